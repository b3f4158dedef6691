-- Mailing lists (issue 8). These rows are Konbit's desired state for each
-- list; the list provisioner makes Mailman match them and the mail
-- provisioner routes their addresses to Mailman. Subscribers and held
-- messages live in Mailman itself.

CREATE TABLE mailing_lists (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    domain_id          INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    subscription       TEXT NOT NULL CHECK (subscription IN ('open', 'confirm', 'moderate')),
    posting            TEXT NOT NULL CHECK (posting IN ('members', 'anyone', 'moderated')),
    reply_to           TEXT NOT NULL CHECK (reply_to IN ('author', 'list', 'address')),
    reply_to_address   TEXT,
    munge_from         INTEGER NOT NULL DEFAULT 1,
    archives           INTEGER NOT NULL DEFAULT 1,
    digest             INTEGER NOT NULL DEFAULT 0,
    language           TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    deleted_at         INTEGER,
    purge_after        INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    generation         INTEGER NOT NULL DEFAULT 1,
    applied_generation INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    last_error         TEXT,
    UNIQUE (domain_id, name),
    CHECK ((reply_to = 'address') = (reply_to_address IS NOT NULL))
);
CREATE INDEX mailing_lists_account ON mailing_lists(account_id, name);
CREATE INDEX mailing_lists_purge ON mailing_lists(purge_after);
