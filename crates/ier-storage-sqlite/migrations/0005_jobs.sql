-- The durable job queue (ier_storage::jobs): work that follows from a
-- submission or a determination, written in the same transaction as its cause.
-- A job names its application and kind (JSON with no personal data); `dedupe`
-- keeps the same work from being queued twice. Claimed with a lease: `worker`
-- holds it until `run_after` (a lease that runs out makes it due again).
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    queue        TEXT NOT NULL,
    reference    TEXT NOT NULL REFERENCES applications (reference),
    ero_id       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    dedupe       TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- Due from (queued), or leased until (running).
    run_after    TEXT NOT NULL,
    -- When it first became due: the age of the queue's oldest job.
    due_at       TEXT NOT NULL,
    worker       TEXT,
    last_error   TEXT,
    result       TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
) STRICT;
CREATE INDEX jobs_due ON jobs (queue, run_after) WHERE finished_at IS NULL;
CREATE INDEX jobs_by_reference ON jobs (reference);

-- Identity checks not yet done move onto the queue; the old table goes.
INSERT INTO jobs (queue, reference, ero_id, kind, dedupe, state, run_after, due_at, created_at)
SELECT 'verify', reference, ero_id, '{"job":"verify"}', 'verify:' || reference, 'queued', requested_at, requested_at, requested_at
  FROM verification_requests WHERE completed_at IS NULL ORDER BY seq;
DROP TABLE verification_requests;

-- Rate limits shared by every instance (the sending rate to GOV.UK Notify;
-- guesses at an application's status): token buckets.
CREATE TABLE token_buckets (
    name        TEXT PRIMARY KEY,
    tokens      REAL NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
