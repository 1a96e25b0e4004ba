-- 0015: first passwords, and notes with a rejection.
-- Whether a member of staff has chosen their own password: a first password is set by
-- someone else (an operator, an administrator), and the portal asks for a new one before
-- anything else. Accounts made before this migration are asked too.
ALTER TABLE staff ADD COLUMN password_chosen INTEGER NOT NULL DEFAULT 0;

-- Notes for the applicant with a rejection, in English and Welsh (free text: sealed, never
-- in an event), the latest determination's; deleted with the application's personal data.
CREATE TABLE determination_notes (
    reference   TEXT PRIMARY KEY REFERENCES applications (reference),
    ero_id      TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    notes       BLOB NOT NULL,
    at          TEXT NOT NULL
) STRICT;
