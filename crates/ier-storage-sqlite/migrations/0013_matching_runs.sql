-- Data matching runs (ier_storage::matching): an ERO's register uploaded by
-- its EMS in pages, matched against DWP's records and then the ERO's local
-- data, with a result per elector and a property number per elector for the
-- canvass routes. Electors and local records are sealed with the data keys
-- (associated data: the run, and the elector's number or the record's id).
-- The run row is its own queue entry: a worker leases it (leased_by,
-- leased_until) while matching. Deleted whole under the retention periods.
CREATE TABLE matching_runs (
    id                TEXT PRIMARY KEY,
    ero_id            TEXT NOT NULL REFERENCES eros (id),
    purpose           TEXT NOT NULL CHECK (purpose IN ('canvass', 'confirmation')),
    state             TEXT NOT NULL CHECK (state IN ('uploading', 'queued', 'matching', 'matched', 'failed')),
    against           TEXT CHECK (against IN ('dwp', 'local-data')),
    created_at        TEXT NOT NULL,
    queued_at         TEXT,
    started_at        TEXT,
    finished_at       TEXT,
    dwp_matched_at    TEXT,
    local_matched_at  TEXT,
    electors          INTEGER NOT NULL DEFAULT 0,
    local_records     INTEGER NOT NULL DEFAULT 0,
    done              INTEGER NOT NULL DEFAULT 0,
    total             INTEGER NOT NULL DEFAULT 0,
    leased_by         TEXT,
    leased_until      TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    error             TEXT
);
CREATE INDEX matching_runs_by_ero ON matching_runs (ero_id, created_at);
CREATE INDEX matching_runs_waiting ON matching_runs (queued_at) WHERE state IN ('queued', 'matching');

CREATE TABLE matching_electors (
    run_id            TEXT NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    elector_number    TEXT NOT NULL,
    ero_id            TEXT NOT NULL,
    key_id            TEXT NOT NULL,
    details           BLOB NOT NULL
);
-- A rowid table (rows are appended in upload order) with the key as an index: with the
-- sealed details in the row, a table ordered by the key moved whole rows about on every insert.
CREATE UNIQUE INDEX matching_electors_by_number ON matching_electors (run_id, elector_number);

-- Results apart from the electors: written whole by each match, in number order (an update
-- of the electors' rows would grow every one of them, splitting nearly every page).
-- Results: 0 not matched, 1 likely, 2 strong; the property is numbered by the DWP match.
CREATE TABLE matching_results (
    run_id            TEXT NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    elector_number    TEXT NOT NULL,
    ero_id            TEXT NOT NULL,
    property          INTEGER,
    dwp_result        INTEGER,
    dwp_probability   REAL,
    local_result      INTEGER,
    local_probability REAL,
    PRIMARY KEY (run_id, elector_number)
) WITHOUT ROWID;
CREATE INDEX matching_results_by_property ON matching_results (run_id, property);

CREATE TABLE matching_local_records (
    run_id            TEXT NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    id                INTEGER NOT NULL,
    ero_id            TEXT NOT NULL,
    key_id            TEXT NOT NULL,
    details           BLOB NOT NULL,
    PRIMARY KEY (run_id, id)
);
