-- Journey state too large for a cookie (an applicant's answers at their
-- longest), kept for the journey's life and then purged. Sealed by the web
-- tier under its session keys: this table holds nothing it can read.
CREATE TABLE journey_states (
    id          TEXT PRIMARY KEY,
    expires_at  TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    state       BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX journey_states_expiry ON journey_states (expires_at);
