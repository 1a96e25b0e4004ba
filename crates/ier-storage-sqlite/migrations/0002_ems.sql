-- What the council's EMS does: confirm receipt (the queue is the applications
-- not yet confirmed), send determinations, answer register checks; and the
-- audit of every API access (no personal data).

ALTER TABLE applications ADD COLUMN ems_confirmed_at TEXT;
ALTER TABLE applications ADD COLUMN ems_success INTEGER;
-- The EMS's message with a failed receipt may name people: sealed like the details.
ALTER TABLE applications ADD COLUMN ems_message_key TEXT;
ALTER TABLE applications ADD COLUMN ems_message BLOB;
ALTER TABLE applications ADD COLUMN determination TEXT;
ALTER TABLE applications ADD COLUMN determined_at TEXT;
CREATE INDEX applications_pending_for_ems ON applications (ero_id, seq) WHERE ems_confirmed_at IS NULL;

-- One register check per application, made with it; the answer's candidates sealed.
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
CREATE INDEX register_checks_pending ON register_checks (ero_id, seq) WHERE answered_at IS NULL;

-- Register checks for applications stored before checks existed.
INSERT INTO register_checks (id, reference, ero_id, gss_code, historical, created_at)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
             || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       reference, ero_id, gss_code, kind = 'overseas', submitted_at
FROM applications;

CREATE TABLE api_audit (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    at                  TEXT NOT NULL,
    request_id          TEXT NOT NULL,
    ero_id              TEXT NOT NULL,
    certificate_serial  TEXT NOT NULL,
    method              TEXT NOT NULL,
    route               TEXT NOT NULL,
    target              TEXT,
    status              INTEGER NOT NULL,
    items               INTEGER
) STRICT;
CREATE INDEX api_audit_by_ero ON api_audit (ero_id, id);
