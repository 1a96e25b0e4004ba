-- 0015: first passwords, and notes with a rejection.
-- Whether a member of staff has chosen their own password: a first password is set by
-- someone else (an operator, an administrator), and the portal asks for a new one before
-- anything else. Accounts made before this migration are asked too.
ALTER TABLE staff ADD COLUMN password_chosen boolean NOT NULL DEFAULT false;

-- Notes for the applicant with a rejection, in English and Welsh (free text: sealed, never
-- in an event), the latest determination's; deleted with the application's personal data.
CREATE TABLE determination_notes (
    reference   text PRIMARY KEY REFERENCES applications (reference),
    ero_id      text NOT NULL,
    key_id      text NOT NULL,
    notes       bytea NOT NULL,
    at          timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON determination_notes TO ier_ero_scope;
ALTER TABLE determination_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_ero ON determination_notes TO ier_ero_scope
    USING (ero_id = current_setting('ier.ero_id', true))
    WITH CHECK (ero_id = current_setting('ier.ero_id', true));
