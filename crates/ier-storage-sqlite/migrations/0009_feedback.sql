-- Feedback from the public feedback form (ier_storage::feedback): a rating,
-- the page it was about (a path) and the hour it came, with no address,
-- cookie, user agent, journey or application: nothing says who sent it. The
-- comment is sealed with the data keys (it may hold personal data despite the
-- form's hint). The form's random id is the key: a form sent twice is stored once.
CREATE TABLE feedback (
    form_id      TEXT PRIMARY KEY,
    received_at  TEXT NOT NULL,
    rating       TEXT NOT NULL CHECK (rating IN ('very-satisfied', 'satisfied', 'neither', 'dissatisfied', 'very-dissatisfied')),
    page         TEXT,
    key_id       TEXT,
    comment      BLOB,
    CHECK ((key_id IS NULL) = (comment IS NULL))
) WITHOUT ROWID;
CREATE INDEX feedback_received ON feedback (received_at);
