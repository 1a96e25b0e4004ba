-- What the council's EMS does: confirm receipt (the queue is the applications
-- not yet confirmed), send determinations, answer register checks; the audit
-- of every API access (no personal data); and row-level security as a second
-- wall between EROs.

ALTER TABLE applications ADD COLUMN ems_confirmed_at TIMESTAMPTZ;
ALTER TABLE applications ADD COLUMN ems_success BOOLEAN;
-- The EMS's message with a failed receipt may name people: sealed like the details.
ALTER TABLE applications ADD COLUMN ems_message_key TEXT;
ALTER TABLE applications ADD COLUMN ems_message BYTEA;
ALTER TABLE applications ADD COLUMN determination TEXT;
ALTER TABLE applications ADD COLUMN determined_at TIMESTAMPTZ;
CREATE INDEX applications_pending_for_ems ON applications (ero_id, seq) WHERE ems_confirmed_at IS NULL;

-- One register check per application, made with it; the answer's candidates sealed.
CREATE TABLE register_checks (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    reference    TEXT NOT NULL UNIQUE REFERENCES applications (reference),
    ero_id       TEXT NOT NULL,
    gss_code     TEXT NOT NULL,
    historical   BOOLEAN NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    answered_at  TIMESTAMPTZ,
    result       TEXT,
    match_count  INTEGER,
    key_id       TEXT,
    candidates   BYTEA
);
CREATE INDEX register_checks_pending ON register_checks (ero_id, seq) WHERE answered_at IS NULL;

-- Register checks for applications stored before checks existed.
INSERT INTO register_checks (id, reference, ero_id, gss_code, historical, created_at)
SELECT gen_random_uuid()::text, reference, ero_id, gss_code, kind = 'overseas', submitted_at FROM applications;

CREATE TABLE api_audit (
    id                  BIGSERIAL PRIMARY KEY,
    at                  TIMESTAMPTZ NOT NULL,
    request_id          TEXT NOT NULL,
    ero_id              TEXT NOT NULL,
    certificate_serial  TEXT NOT NULL,
    method              TEXT NOT NULL,
    route               TEXT NOT NULL,
    target              TEXT,
    status              INTEGER NOT NULL,
    items               INTEGER
);
CREATE INDEX api_audit_by_ero ON api_audit (ero_id, id);

-- Row-level security. Every query made for one ERO runs as the role
-- ier_ero_scope with the setting ier.ero_id naming the ERO (both local to the
-- transaction); the policies let that role see and change only that ERO's
-- rows, whatever the query says. The service's own work (submission, the
-- verification worker, audit) runs as the owner, to which RLS does not apply.
DO $$
BEGIN
    CREATE ROLE ier_ero_scope NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- made by another schema's migration (roles belong to the cluster)
END $$;
DO $$
BEGIN
    EXECUTE format('GRANT ier_ero_scope TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation OR internal_error THEN
    NULL; -- already granted, perhaps concurrently
END $$;
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO ier_ero_scope', current_schema());
END $$;
GRANT SELECT ON eros, councils TO ier_ero_scope;
GRANT SELECT, UPDATE ON applications, register_checks TO ier_ero_scope;
GRANT SELECT, INSERT ON application_events TO ier_ero_scope;
GRANT USAGE ON SEQUENCE application_events_id_seq TO ier_ero_scope;

ALTER TABLE applications ENABLE ROW LEVEL SECURITY;
ALTER TABLE application_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE register_checks ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON applications TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
CREATE POLICY one_ero ON application_events TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
CREATE POLICY one_ero ON register_checks TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
