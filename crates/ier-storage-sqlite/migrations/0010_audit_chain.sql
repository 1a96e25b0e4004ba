-- The audit of EMS API accesses becomes a hash chain (ier_storage::audit_chain): each row's
-- hash covers the previous row's hash and its own content. One row holds where the chain starts
-- (rows already here predate it) and its last id and hash; writers lock it (BEGIN IMMEDIATE).
ALTER TABLE api_audit ADD COLUMN hash BLOB;
CREATE TABLE audit_chain (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    from_id  INTEGER NOT NULL,
    last_id  INTEGER NOT NULL,
    hash     BLOB NOT NULL
) STRICT;
INSERT INTO audit_chain (id, from_id, last_id, hash)
SELECT 1, COALESCE(MAX(id), 0) + 1, COALESCE(MAX(id), 0), zeroblob(32) FROM api_audit;
