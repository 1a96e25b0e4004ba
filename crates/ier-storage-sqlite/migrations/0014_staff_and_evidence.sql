-- The ERO portal (ier_storage::staff): staff accounts per ERO, their recovery
-- codes (SHA-256 digests) and sessions (the token's digest, never the token).
CREATE TABLE staff (
    id              TEXT PRIMARY KEY,
    ero_id          TEXT NOT NULL REFERENCES eros (id),
    username        TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('administrator', 'officer', 'viewer')),
    password_hash   TEXT NOT NULL,
    totp_key_id     TEXT NOT NULL,
    totp_secret     BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    failed_signins  INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    last_totp_step  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX staff_by_ero ON staff (ero_id, created_at);

CREATE TABLE staff_recovery_codes (
    staff_id   TEXT NOT NULL REFERENCES staff (id),
    digest     TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (staff_id, digest)
) STRICT;

CREATE TABLE staff_sessions (
    token_hash  TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff (id),
    created_at  TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;
CREATE INDEX staff_sessions_by_expiry ON staff_sessions (expires_at);

-- The exceptions process online (ier_storage::evidence): requests for evidence,
-- each a link used once, and the files sent (bytes encrypted in the file store,
-- each file's key sealed here).
CREATE TABLE evidence_requests (
    id          TEXT PRIMARY KEY,
    reference   TEXT NOT NULL REFERENCES applications (reference),
    ero_id      TEXT NOT NULL,
    documents   TEXT NOT NULL,
    attestation INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
) STRICT;
CREATE INDEX evidence_requests_by_application ON evidence_requests (ero_id, reference, created_at);

CREATE TABLE evidence_files (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    request_id    TEXT NOT NULL REFERENCES evidence_requests (id),
    reference     TEXT NOT NULL REFERENCES applications (reference),
    ero_id        TEXT NOT NULL,
    document      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    key_id        TEXT NOT NULL,
    file_key      BLOB NOT NULL,
    stored_at     TEXT NOT NULL
) STRICT;
CREATE INDEX evidence_files_by_application ON evidence_files (ero_id, reference, seq);

-- Determinations in the order they were recorded, per ERO: the EMS reads decisions made in
-- the ERO portal from them (GET /v1/determinations).
CREATE INDEX application_events_determined ON application_events (ero_id, id) WHERE kind = 'determined';

-- Attestations: the person an applicant named to confirm who they are (sealed), their link's
-- lifetime, and their confirmation with whether they were found on a register.
CREATE TABLE attestations (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL REFERENCES evidence_requests (id),
    reference     TEXT NOT NULL REFERENCES applications (reference),
    ero_id        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    attestor      BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    confirmed_at  TEXT,
    on_register   INTEGER
) STRICT;
CREATE INDEX attestations_by_application ON attestations (ero_id, reference, created_at);
