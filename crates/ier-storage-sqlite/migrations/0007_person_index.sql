-- Who has applied, and who is registered, without holding either in clear.
-- A subject is an application (by its reference) or an elector on a register
-- an EMS uploaded (by the EMS's elector number). Its keys are keyed digests
-- (the first 8 bytes of HMAC-SHA256 under a key derived from the data key
-- `key_id`) of normalised names, date of birth and address, and of the NINO
-- (`ier_match::person`): a look-up digests what was typed and asks for equal
-- digests. Nothing here can be read back into a name or an address.
CREATE TABLE person_subjects (
    id        INTEGER PRIMARY KEY,
    ero_id    TEXT NOT NULL,
    source    TEXT NOT NULL CHECK (source IN ('application', 'elector')),
    subject   TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    added_at  TEXT NOT NULL,
    UNIQUE (ero_id, source, subject)
);
CREATE TABLE person_keys (
    digest      INTEGER NOT NULL,
    subject_id  INTEGER NOT NULL,
    PRIMARY KEY (digest, subject_id)
) WITHOUT ROWID;
CREATE INDEX person_keys_subject ON person_keys (subject_id);
