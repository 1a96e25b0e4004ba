-- Councils, EROs, applications (personal data sealed), their events and the
-- verification queue. Times are timestamptz (UTC).

CREATE TABLE eros (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    name_cy   TEXT,
    email     TEXT,
    phone     TEXT,
    website   TEXT,
    address   TEXT
);

CREATE TABLE councils (
    gss_code  TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    name_cy   TEXT,
    nation    TEXT NOT NULL CHECK (nation IN ('england', 'wales', 'scotland')),
    ero_id    TEXT NOT NULL REFERENCES eros (id)
);
CREATE INDEX councils_by_ero ON councils (ero_id);

CREATE TABLE applications (
    seq           BIGSERIAL PRIMARY KEY,
    reference     TEXT NOT NULL UNIQUE,
    ero_id        TEXT NOT NULL REFERENCES eros (id),
    gss_code      TEXT NOT NULL REFERENCES councils (gss_code),
    kind          TEXT NOT NULL,
    language      TEXT NOT NULL,
    stage         TEXT NOT NULL,
    submitted_at  TIMESTAMPTZ NOT NULL,
    key_id        TEXT NOT NULL,
    details       BYTEA NOT NULL
);
CREATE INDEX applications_by_ero ON applications (ero_id, seq);

CREATE TABLE application_events (
    id         BIGSERIAL PRIMARY KEY,
    reference  TEXT NOT NULL REFERENCES applications (reference),
    ero_id     TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    kind       TEXT NOT NULL,
    detail     JSONB NOT NULL
);
CREATE INDEX application_events_by_reference ON application_events (reference, id);

CREATE TABLE verification_requests (
    seq           BIGSERIAL PRIMARY KEY,
    reference     TEXT NOT NULL UNIQUE REFERENCES applications (reference),
    ero_id        TEXT NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,
    completed_at  TIMESTAMPTZ
);
CREATE INDEX verification_requests_pending ON verification_requests (seq) WHERE completed_at IS NULL;
