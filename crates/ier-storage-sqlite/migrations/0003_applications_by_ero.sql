-- Applications clustered by ERO: the table's key becomes (ero_id, seq), so one
-- ERO's applications sit together on disk, oldest first. Reading a page of an
-- ERO's queue, and confirming it, then touch a few neighbouring pages instead
-- of one page an application (applications of all councils arrive interleaved).
--
-- SQLite changes a table's key by rebuilding it. The tables whose foreign keys
-- name `applications` are set aside as plain copies, the old table is dropped,
-- the new one takes its name, and the others are made again from their copies.
-- All in the migration's one transaction, with foreign keys checked throughout.
CREATE TABLE applications_new (
    ero_id            TEXT NOT NULL REFERENCES eros (id),
    seq               INTEGER NOT NULL,
    reference         TEXT NOT NULL,
    gss_code          TEXT NOT NULL REFERENCES councils (gss_code),
    kind              TEXT NOT NULL,
    language          TEXT NOT NULL,
    stage             TEXT NOT NULL,
    submitted_at      TEXT NOT NULL,
    key_id            TEXT NOT NULL,
    details           BLOB NOT NULL,
    ems_confirmed_at  TEXT,
    ems_success       INTEGER,
    ems_message_key   TEXT,
    ems_message       BLOB,
    determination     TEXT,
    determined_at     TEXT,
    PRIMARY KEY (ero_id, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO applications_new (ero_id, seq, reference, gss_code, kind, language, stage, submitted_at, key_id,
    details, ems_confirmed_at, ems_success, ems_message_key, ems_message, determination, determined_at)
SELECT ero_id, seq, reference, gss_code, kind, language, stage, submitted_at, key_id,
    details, ems_confirmed_at, ems_success, ems_message_key, ems_message, determination, determined_at
FROM applications;

CREATE TEMP TABLE events_copy AS SELECT * FROM application_events;
CREATE TEMP TABLE verification_copy AS SELECT * FROM verification_requests;
CREATE TEMP TABLE checks_copy AS SELECT * FROM register_checks;
DROP TABLE application_events;
DROP TABLE verification_requests;
DROP TABLE register_checks;
DROP TABLE applications;
ALTER TABLE applications_new RENAME TO applications;
CREATE UNIQUE INDEX applications_reference ON applications (reference);
-- New applications take the next number (the insert holds the write lock).
CREATE UNIQUE INDEX applications_seq ON applications (seq);
CREATE INDEX applications_pending_for_ems ON applications (ero_id, seq) WHERE ems_confirmed_at IS NULL;

CREATE TABLE application_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    reference  TEXT NOT NULL REFERENCES applications (reference),
    ero_id     TEXT NOT NULL,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL
) STRICT;
INSERT INTO application_events SELECT * FROM events_copy;
CREATE INDEX application_events_by_reference ON application_events (reference, id);

CREATE TABLE verification_requests (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    reference     TEXT NOT NULL UNIQUE REFERENCES applications (reference),
    ero_id        TEXT NOT NULL,
    requested_at  TEXT NOT NULL,
    completed_at  TEXT
) STRICT;
INSERT INTO verification_requests SELECT * FROM verification_copy;
CREATE INDEX verification_requests_pending ON verification_requests (seq) WHERE completed_at IS NULL;

CREATE TABLE register_checks (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    reference    TEXT NOT NULL UNIQUE REFERENCES applications (reference),
    ero_id       TEXT NOT NULL,
    gss_code     TEXT NOT NULL,
    historical   INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    answered_at  TEXT,
    result       TEXT,
    match_count  INTEGER,
    key_id       TEXT,
    candidates   BLOB
) STRICT;
INSERT INTO register_checks SELECT * FROM checks_copy;
CREATE INDEX register_checks_pending ON register_checks (ero_id, seq) WHERE answered_at IS NULL;

DROP TABLE events_copy;
DROP TABLE verification_copy;
DROP TABLE checks_copy;

-- The identity check's result is joined to every application the EMS reads:
-- a small index of just the `verified` events.
CREATE INDEX application_events_verified ON application_events (reference) WHERE kind = 'verified';
