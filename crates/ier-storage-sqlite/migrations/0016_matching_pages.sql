-- Data matching runs keep a page of electors as one sealed value, and a match's results as
-- chunks of 10,000 (ier_storage::matching): a row per elector made uploading and reading back
-- a million electors cost several times the matching itself (docs/BENCHMARKS.md, issue 18).
-- Runs started before this change are deleted (data matching had not been released): start
-- them again.
DELETE FROM matching_local_records;
DELETE FROM matching_results;
DELETE FROM matching_electors;
DELETE FROM matching_runs;
DROP TABLE matching_results;
DROP TABLE matching_electors;

-- A page as uploaded: its electors sealed whole (associated data: the run and page_id), and
-- its elector numbers' digests, sorted, 8 bytes each (how a number sent again in a later page
-- is found). seq is the order received; position the sender's order, where it gave one (pages
-- are read by position, then seq).
CREATE TABLE matching_pages (
    run_id            TEXT NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,
    page_id           INTEGER NOT NULL,
    position          INTEGER,
    ero_id            TEXT NOT NULL,
    numbers           BLOB NOT NULL,
    key_id            TEXT NOT NULL,
    details           BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- A match's results in elector-number order, 10,000 a chunk (no personal data).
CREATE TABLE matching_result_chunks (
    run_id            TEXT NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    ero_id            TEXT NOT NULL,
    first_number      TEXT NOT NULL,
    last_number       TEXT NOT NULL,
    details           BLOB NOT NULL,
    PRIMARY KEY (run_id, last_number)
);

-- Its properties in property order, 10,000 a chunk.
CREATE TABLE matching_property_chunks (
    run_id            TEXT NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    ero_id            TEXT NOT NULL,
    first_property    INTEGER NOT NULL,
    last_property     INTEGER NOT NULL,
    details           BLOB NOT NULL,
    PRIMARY KEY (run_id, last_property)
);
