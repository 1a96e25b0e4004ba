-- Whether a member of staff has chosen their own password: a first password is set by
-- someone else (an operator, an administrator), and the portal asks for a new one before
-- anything else. Accounts made before this migration are asked too.
ALTER TABLE staff ADD COLUMN password_chosen boolean NOT NULL DEFAULT false;
