-- Data matching runs (ier_storage::matching): an ERO's register uploaded by
-- its EMS in pages, matched against DWP's records and then the ERO's local
-- data, with a result per elector and a property number per elector for the
-- canvass routes. Electors and local records are sealed with the data keys
-- (associated data: the run, and the elector's number or the record's id).
-- The run row is its own queue entry: a worker leases it (leased_by,
-- leased_until) while matching. Deleted whole under the retention periods.
-- The EMS's side runs as ier_ero_scope: row-level security keeps each ERO to
-- its own runs, electors, local data and results.
CREATE TABLE matching_runs (
    id                text PRIMARY KEY,
    ero_id            text NOT NULL REFERENCES eros (id),
    purpose           text NOT NULL CHECK (purpose IN ('canvass', 'confirmation')),
    state             text NOT NULL CHECK (state IN ('uploading', 'queued', 'matching', 'matched', 'failed')),
    against           text CHECK (against IN ('dwp', 'local-data')),
    created_at        timestamptz NOT NULL,
    queued_at         timestamptz,
    started_at        timestamptz,
    finished_at       timestamptz,
    dwp_matched_at    timestamptz,
    local_matched_at  timestamptz,
    electors          bigint NOT NULL DEFAULT 0,
    local_records     bigint NOT NULL DEFAULT 0,
    done              bigint NOT NULL DEFAULT 0,
    total             bigint NOT NULL DEFAULT 0,
    leased_by         text,
    leased_until      timestamptz,
    attempts          integer NOT NULL DEFAULT 0,
    error             text
);
CREATE INDEX matching_runs_by_ero ON matching_runs (ero_id, created_at);
CREATE INDEX matching_runs_waiting ON matching_runs (queued_at) WHERE state IN ('queued', 'matching');

CREATE TABLE matching_electors (
    run_id            text NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    elector_number    text COLLATE "C" NOT NULL,
    ero_id            text NOT NULL,
    key_id            text NOT NULL,
    details           bytea NOT NULL,
    PRIMARY KEY (run_id, elector_number)
);

-- Results apart from the electors: written whole by each match (an update of the electors'
-- rows would write every one of them again). 0 not matched, 1 likely, 2 strong.
CREATE TABLE matching_results (
    run_id            text NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    elector_number    text COLLATE "C" NOT NULL,
    ero_id            text NOT NULL,
    property          integer,
    dwp_result        smallint,
    dwp_probability   double precision,
    local_result      smallint,
    local_probability double precision,
    PRIMARY KEY (run_id, elector_number)
);
CREATE INDEX matching_results_by_property ON matching_results (run_id, property);

CREATE TABLE matching_local_records (
    run_id            text NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    id                bigint NOT NULL,
    ero_id            text NOT NULL,
    key_id            text NOT NULL,
    details           bytea NOT NULL,
    PRIMARY KEY (run_id, id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON matching_runs, matching_electors, matching_results, matching_local_records
    TO ier_ero_scope;
ALTER TABLE matching_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE matching_electors ENABLE ROW LEVEL SECURITY;
ALTER TABLE matching_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE matching_local_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON matching_runs TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
CREATE POLICY one_ero ON matching_electors TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
CREATE POLICY one_ero ON matching_results TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
CREATE POLICY one_ero ON matching_local_records TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
