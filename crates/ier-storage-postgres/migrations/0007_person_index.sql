-- Who has applied, and who is registered, without holding either in clear.
-- A subject is an application (by its reference) or an elector on a register
-- an EMS uploaded (by the EMS's elector number). Its keys are keyed digests
-- (the first 8 bytes of HMAC-SHA256 under a key derived from the data key
-- `key_id`) of normalised names, date of birth and address, and of the NINO
-- (`ier_match::person`): a look-up digests what was typed and asks for equal
-- digests. Nothing here can be read back into a name or an address.
CREATE TABLE person_subjects (
    id        BIGSERIAL PRIMARY KEY,
    ero_id    TEXT NOT NULL,
    source    TEXT NOT NULL CHECK (source IN ('application', 'elector')),
    subject   TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    added_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (ero_id, source, subject)
);
CREATE TABLE person_keys (
    digest      BIGINT NOT NULL,
    subject_id  BIGINT NOT NULL REFERENCES person_subjects (id) ON DELETE CASCADE,
    PRIMARY KEY (digest, subject_id)
);
CREATE INDEX person_keys_subject ON person_keys (subject_id);

-- An EMS uploads and removes its own ERO's electors, no other's.
GRANT SELECT, INSERT, DELETE ON person_subjects, person_keys TO ier_ero_scope;
GRANT USAGE ON SEQUENCE person_subjects_id_seq TO ier_ero_scope;
ALTER TABLE person_subjects ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON person_subjects TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
ALTER TABLE person_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON person_keys TO ier_ero_scope
    USING (EXISTS (SELECT 1 FROM person_subjects s WHERE s.id = subject_id))
    WITH CHECK (EXISTS (SELECT 1 FROM person_subjects s WHERE s.id = subject_id));
