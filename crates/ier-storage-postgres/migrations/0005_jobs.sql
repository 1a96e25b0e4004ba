-- The durable job queue (ier_storage::jobs): work that follows from a
-- submission or a determination, written in the same transaction as its cause.
-- A job names its application and kind (JSON with no personal data); `dedupe`
-- keeps the same work from being queued twice. Claimed with a lease (FOR
-- UPDATE SKIP LOCKED): `worker` holds it until `run_after` (a lease that runs
-- out makes it due again).
CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    queue        TEXT NOT NULL,
    reference    TEXT NOT NULL REFERENCES applications (reference),
    ero_id       TEXT NOT NULL,
    kind         JSONB NOT NULL,
    dedupe       TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- Due from (queued), or leased until (running).
    run_after    TIMESTAMPTZ NOT NULL,
    -- When it first became due: the age of the queue's oldest job.
    due_at       TIMESTAMPTZ NOT NULL,
    worker       TEXT,
    last_error   TEXT,
    result       TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX jobs_due ON jobs (queue, run_after) WHERE finished_at IS NULL;
CREATE INDEX jobs_by_reference ON jobs (reference);

-- Identity checks not yet done move onto the queue; the old table goes.
INSERT INTO jobs (queue, reference, ero_id, kind, dedupe, state, run_after, due_at, created_at)
SELECT 'verify', reference, ero_id, '{"job":"verify"}'::jsonb, 'verify:' || reference, 'queued', requested_at, requested_at, requested_at
  FROM verification_requests WHERE completed_at IS NULL ORDER BY seq;
DROP TABLE verification_requests;

-- A determination (made in one ERO's scope) queues the message that tells the
-- applicant: that role may add jobs for its own ERO's applications, no more.
GRANT SELECT, INSERT ON jobs TO ier_ero_scope;
GRANT USAGE ON SEQUENCE jobs_id_seq TO ier_ero_scope;
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON jobs TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));

-- Rate limits shared by every instance (the sending rate to GOV.UK Notify;
-- guesses at an application's status): token buckets.
CREATE TABLE token_buckets (
    name        TEXT PRIMARY KEY,
    tokens      DOUBLE PRECISION NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
