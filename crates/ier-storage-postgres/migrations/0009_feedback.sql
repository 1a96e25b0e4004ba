-- Feedback from the public feedback form (ier_storage::feedback): a rating,
-- the page it was about (a path) and the hour it came, with no address,
-- cookie, user agent, journey or application: nothing says who sent it. The
-- comment is sealed with the data keys (it may hold personal data despite the
-- form's hint). The form's random id is the key: a form sent twice is stored once.
--
-- The public tier reaches it only through CitizenStore::send_feedback (insert);
-- reading it back is Store::feedback_since, for operators (`ier feedback
-- export`). The EROs' role (ier_ero_scope) is granted nothing on it, and
-- row-level security with no policy for that role keeps it out even if a later
-- grant were made by mistake.
CREATE TABLE feedback (
    form_id      TEXT PRIMARY KEY,
    received_at  TIMESTAMPTZ NOT NULL,
    rating       TEXT NOT NULL CHECK (rating IN ('very-satisfied', 'satisfied', 'neither', 'dissatisfied', 'very-dissatisfied')),
    page         TEXT,
    key_id       TEXT,
    comment      BYTEA,
    CHECK ((key_id IS NULL) = (comment IS NULL))
);
CREATE INDEX feedback_received ON feedback (received_at);
ALTER TABLE feedback ENABLE ROW LEVEL SECURITY;
