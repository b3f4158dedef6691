-- Lists of accounts walk an index in the order they show instead of sorting
-- every account: by name (the accounts list, panel and API) and newest first
-- (the dashboard). With `accounts_deleted(deleted_at)` alone, SQLite (which
-- has no statistics here) took that index for `deleted_at IS NULL`, matched
-- every live account, then sorted them all for each page: ~20 ms a list at
-- 10,000 accounts. The dashboard's counts (active, locked, deleted) read the
-- narrow `(deleted_at, locked_at)` index instead of every row. All three
-- start with `deleted_at`, so the old index is redundant.
DROP INDEX accounts_deleted;
CREATE INDEX accounts_deleted_name ON accounts(deleted_at, name);
CREATE INDEX accounts_deleted_created ON accounts(deleted_at, created_at);
CREATE INDEX accounts_deleted_locked ON accounts(deleted_at, locked_at);
