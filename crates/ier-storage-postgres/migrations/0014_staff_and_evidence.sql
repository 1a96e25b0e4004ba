-- The ERO portal (ier_storage::staff): staff accounts per ERO, their recovery
-- codes (SHA-256 digests) and sessions (the token's digest, never the token).
-- Signing in happens before anyone is scoped to an ERO, so these tables are
-- read by the service's own role; what a signed-in member of staff reads of
-- applications and evidence runs as ier_ero_scope under the policies below.
CREATE TABLE staff (
    id              text PRIMARY KEY,
    ero_id          text NOT NULL REFERENCES eros (id),
    username        text NOT NULL UNIQUE,
    role            text NOT NULL CHECK (role IN ('administrator', 'officer', 'viewer')),
    password_hash   text NOT NULL,
    totp_key_id     text NOT NULL,
    totp_secret     bytea NOT NULL,
    created_at      timestamptz NOT NULL,
    failed_signins  integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    last_totp_step  bigint NOT NULL DEFAULT 0
);
CREATE INDEX staff_by_ero ON staff (ero_id, created_at);

CREATE TABLE staff_recovery_codes (
    staff_id   text NOT NULL REFERENCES staff (id),
    digest     text NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (staff_id, digest)
);

CREATE TABLE staff_sessions (
    token_hash  text PRIMARY KEY,
    staff_id    text NOT NULL REFERENCES staff (id),
    created_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id, expires_at);

-- The exceptions process online (ier_storage::evidence).
CREATE TABLE evidence_requests (
    id          text PRIMARY KEY,
    reference   text NOT NULL REFERENCES applications (reference),
    ero_id      text NOT NULL,
    documents   jsonb NOT NULL,
    attestation boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX evidence_requests_by_application ON evidence_requests (ero_id, reference, created_at);

CREATE TABLE evidence_files (
    seq           bigserial PRIMARY KEY,
    id            text NOT NULL UNIQUE,
    request_id    text NOT NULL REFERENCES evidence_requests (id),
    reference     text NOT NULL REFERENCES applications (reference),
    ero_id        text NOT NULL,
    document      text NOT NULL,
    content_type  text NOT NULL,
    size          bigint NOT NULL,
    key_id        text NOT NULL,
    file_key      bytea NOT NULL,
    stored_at     timestamptz NOT NULL
);
CREATE INDEX evidence_files_by_application ON evidence_files (ero_id, reference, seq);

GRANT SELECT, INSERT, UPDATE, DELETE ON evidence_requests, evidence_files TO ier_ero_scope;
GRANT USAGE ON SEQUENCE evidence_files_seq_seq TO ier_ero_scope;
ALTER TABLE evidence_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence_files ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON evidence_requests TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
CREATE POLICY one_ero ON evidence_files TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));

-- Determinations in the order they were recorded, per ERO: the EMS reads decisions made in
-- the ERO portal from them (GET /v1/determinations).
CREATE INDEX application_events_determined ON application_events (ero_id, id) WHERE kind = 'determined';

-- Attestations: the person an applicant named to confirm who they are (sealed), their link's
-- lifetime, and their confirmation with whether they were found on a register.
CREATE TABLE attestations (
    id            text PRIMARY KEY,
    request_id    text NOT NULL REFERENCES evidence_requests (id),
    reference     text NOT NULL REFERENCES applications (reference),
    ero_id        text NOT NULL,
    key_id        text NOT NULL,
    attestor      bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    confirmed_at  timestamptz,
    on_register   boolean
);
CREATE INDEX attestations_by_application ON attestations (ero_id, reference, created_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON attestations TO ier_ero_scope;
ALTER TABLE attestations ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON attestations TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
