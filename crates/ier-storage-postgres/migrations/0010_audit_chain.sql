-- The audit of EMS API accesses becomes a hash chain (ier_storage::audit_chain): each row's
-- hash covers the previous row's hash and its own content. One row holds where the chain starts
-- (rows already here predate it) and its last id and hash; writers lock it (FOR UPDATE), so
-- instances writing at once make one chain, and give rows their ids from it.
ALTER TABLE api_audit ADD COLUMN hash BYTEA;
CREATE TABLE audit_chain (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    from_id  BIGINT NOT NULL,
    last_id  BIGINT NOT NULL,
    hash     BYTEA NOT NULL
);
INSERT INTO audit_chain (id, from_id, last_id, hash)
SELECT 1, COALESCE(MAX(id), 0) + 1, COALESCE(MAX(id), 0), decode(repeat('00', 32), 'hex') FROM api_audit;
