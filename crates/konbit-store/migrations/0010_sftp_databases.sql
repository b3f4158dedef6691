-- SFTP accounts and members' databases (issue 7). These rows are Konbit's
-- desired state; the SFTP provisioner writes ProFTPd's user and key files
-- from them, the database provisioner makes MariaDB and PostgreSQL match.

CREATE TABLE sftp_accounts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    login              TEXT NOT NULL UNIQUE,
    -- Relative to the account's home; NULL: the whole home.
    dir                TEXT,
    -- crypt(3) SHA-512; NULL: keys only.
    password_hash      TEXT,
    -- JSON array of OpenSSH public key lines.
    ssh_keys           TEXT NOT NULL DEFAULT '[]',
    enabled            INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    generation         INTEGER NOT NULL DEFAULT 1,
    applied_generation INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    last_error         TEXT
);
CREATE INDEX sftp_accounts_account ON sftp_accounts(account_id, login);

CREATE TABLE databases (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    engine             TEXT NOT NULL CHECK (engine IN ('mariadb', 'postgresql')),
    name               TEXT NOT NULL,
    size_bytes         INTEGER,
    size_measured_at   INTEGER,
    read_only          INTEGER NOT NULL DEFAULT 0,
    deleted_at         INTEGER,
    purge_after        INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    generation         INTEGER NOT NULL DEFAULT 1,
    applied_generation INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    last_error         TEXT,
    UNIQUE (engine, name)
);
CREATE INDEX databases_account ON databases(account_id, name);
CREATE INDEX databases_purge ON databases(purge_after);

-- A user of one database. Only the engine's own verifier is kept (MariaDB's
-- mysql_native_password hash, PostgreSQL's SCRAM-SHA-256), never the
-- password.
CREATE TABLE database_users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    database_id INTEGER NOT NULL REFERENCES databases(id) ON DELETE CASCADE,
    engine      TEXT NOT NULL,
    name        TEXT NOT NULL,
    rights      TEXT NOT NULL CHECK (rights IN ('owner', 'read_write', 'read_only')),
    verifier    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (engine, name)
);
CREATE INDEX database_users_database ON database_users(database_id, name);
