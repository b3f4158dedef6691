-- The audit log becomes a hash chain: each entry stores the hash of the one
-- before it (`prev_hash`) and its own (`hash`, SHA-256 of a canonical
-- encoding of every field, see konbit_core::audit). `konbit audit verify`
-- walks the chain and names the first modified, deleted or reordered entry.
--
-- SQLite has no SHA-256 function, so rows written before this migration are
-- chained by a one-time backfill in Rust that `Store::migrate` runs right
-- after the migrations (konbit-store/src/audit.rs, `backfill_audit_chain`).
-- It only runs while no row has a hash yet, so it cannot re-chain a log that
-- was tampered with later.
--
-- `impersonator_user_id` is the admin acting as this entry's actor, if any
-- (filled once impersonation exists).
ALTER TABLE audit_log ADD COLUMN impersonator_user_id INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

-- The audit views filter by person, by object and by date.
CREATE INDEX audit_actor ON audit_log(actor_user_id, id);
CREATE INDEX audit_object ON audit_log(object_kind, object_id, id);
CREATE INDEX audit_at ON audit_log(at, id);
