-- Konbit's own state. No daemon ever reads this file: provisioners write the
-- files each daemon reads. Timestamps are unix seconds (portable to PostgreSQL).

CREATE TABLE quota_profiles (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    domains         INTEGER NOT NULL,
    mailboxes       INTEGER NOT NULL,
    mail_storage_mb INTEGER NOT NULL,
    aliases         INTEGER NOT NULL,
    mailing_lists   INTEGER NOT NULL,
    sites           INTEGER NOT NULL,
    sftp_accounts   INTEGER NOT NULL,
    databases       INTEGER NOT NULL,
    disk_mb         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE accounts (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    quota_profile_id   INTEGER NOT NULL REFERENCES quota_profiles(id),
    locked_at          INTEGER,
    lock_reason        TEXT,
    deleted_at         INTEGER,
    purge_after        INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    -- reconcile state, shared by every provisioned object
    generation         INTEGER NOT NULL DEFAULT 1,
    applied_generation INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    last_error         TEXT
);
CREATE INDEX accounts_deleted ON accounts(deleted_at);
CREATE INDEX accounts_profile ON accounts(quota_profile_id);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    is_admin       INTEGER NOT NULL DEFAULT 0,
    locale         TEXT CHECK (locale IN ('fr', 'en')),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE memberships (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

-- Only a hash of the session id is stored, so a copy of the database does not
-- hand out live sessions.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ip            TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Every change, by every path. Written in the same transaction as the change.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_user_id INTEGER,
    actor_label   TEXT NOT NULL,
    token_id      INTEGER,
    source        TEXT NOT NULL,
    ip            TEXT,
    action        TEXT NOT NULL,
    object_kind   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    account_id    INTEGER,
    old_value     TEXT,
    new_value     TEXT
);
CREATE INDEX audit_account ON audit_log(account_id, id);

-- The transactional outbox of the reconciler: one row per object whose live
-- state must catch up. An upsert bumps the generation, so a burst of edits
-- becomes one apply.
CREATE TABLE reconcile_queue (
    kind          TEXT NOT NULL,
    object_id     INTEGER NOT NULL,
    generation    INTEGER NOT NULL,
    not_before    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    claimed_until INTEGER,
    enqueued_at   INTEGER NOT NULL,
    PRIMARY KEY (kind, object_id)
);
CREATE INDEX reconcile_queue_due ON reconcile_queue(not_before);
