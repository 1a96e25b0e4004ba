-- One journey, one application: each journey's idempotency key (128 random
-- bits, sealed in the journey's state) with the receipt it was given. Sending
-- the journey again (a replayed cookie, a second click) finds the key and gets
-- the same receipt; two transactions storing one key at once meet on the
-- primary key. Keys are purged a day after (a journey lasts 3 hours).
CREATE TABLE journey_submissions (
    journey_key   TEXT PRIMARY KEY,
    reference     TEXT NOT NULL,
    ero_id        TEXT NOT NULL,
    submitted_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX journey_submissions_age ON journey_submissions (submitted_at);
