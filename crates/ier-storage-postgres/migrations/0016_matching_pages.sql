-- Data matching runs keep a page of electors as one sealed value, and a match's results as
-- chunks of 10,000 (ier_storage::matching): a row per elector made uploading and reading back
-- a million electors cost several times the matching itself (docs/BENCHMARKS.md, issue 18).
-- Runs started before this change are deleted (data matching had not been released): start
-- them again.
DELETE FROM matching_runs;
DROP TABLE matching_results;
DROP TABLE matching_electors;

-- A page as uploaded: its electors sealed whole (associated data: the run and page_id), and
-- its elector numbers' digests, sorted, 8 bytes each (how a number sent again in a later page
-- is found). seq is the order received; position the sender's order, where it gave one (pages
-- are read by position, then seq).
CREATE TABLE matching_pages (
    run_id            text NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    seq               bigint NOT NULL,
    page_id           bigint NOT NULL,
    position          bigint,
    ero_id            text NOT NULL,
    numbers           bytea NOT NULL,
    key_id            text NOT NULL,
    details           bytea NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- A match's results in elector-number order, 10,000 a chunk (no personal data).
CREATE TABLE matching_result_chunks (
    run_id            text NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    ero_id            text NOT NULL,
    first_number      text COLLATE "C" NOT NULL,
    last_number       text COLLATE "C" NOT NULL,
    details           bytea NOT NULL,
    PRIMARY KEY (run_id, last_number)
);

-- Its properties in property order, 10,000 a chunk.
CREATE TABLE matching_property_chunks (
    run_id            text NOT NULL REFERENCES matching_runs (id) ON DELETE CASCADE,
    ero_id            text NOT NULL,
    first_property    integer NOT NULL,
    last_property     integer NOT NULL,
    details           bytea NOT NULL,
    PRIMARY KEY (run_id, last_property)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON matching_pages, matching_result_chunks, matching_property_chunks
    TO ier_ero_scope;
ALTER TABLE matching_pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE matching_result_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE matching_property_chunks ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON matching_pages TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
CREATE POLICY one_ero ON matching_result_chunks TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
CREATE POLICY one_ero ON matching_property_chunks TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
