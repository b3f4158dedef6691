-- Hosted mail (issue 5). These rows are Konbit's desired state; the mail
-- provisioner turns them into the lookup database that Postfix and Dovecot
-- read (one "mail domain" at a time), the Sieve scripts and the DKIM keys.

-- One row per domain whose mail was ever turned on (domains.mail says
-- whether it is on now). It carries the reconcile status of the domain's
-- mail, apart from its DNS zone's.
CREATE TABLE mail_domains (
    id                 INTEGER PRIMARY KEY REFERENCES domains(id) ON DELETE CASCADE,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    generation         INTEGER NOT NULL DEFAULT 1,
    applied_generation INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    last_error         TEXT
);
CREATE INDEX mail_domains_account ON mail_domains(account_id);

CREATE TABLE mailboxes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    domain_id       INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    -- ASCII, lowercase; the address is local_part@domains.name.
    local_part      TEXT NOT NULL,
    -- Argon2id PHC string; the provisioner adds Dovecot's {ARGON2ID} prefix.
    password_hash   TEXT NOT NULL,
    quota_mb        INTEGER NOT NULL CHECK (quota_mb > 0),
    enabled         INTEGER NOT NULL DEFAULT 1,
    used_bytes      INTEGER NOT NULL DEFAULT 0,
    used_at         INTEGER,
    deleted_at      INTEGER,
    purge_after     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    -- The mail domain's generation when this row last changed.
    mail_generation INTEGER NOT NULL,
    -- Deleted mailboxes keep their address during the grace period, so the
    -- address cannot be taken (and its mail read) by someone else.
    UNIQUE (domain_id, local_part)
);
CREATE INDEX mailboxes_account ON mailboxes(account_id, domain_id, local_part);
CREATE INDEX mailboxes_purge ON mailboxes(purge_after);

-- local_part '' is the domain's catch-all.
CREATE TABLE mail_aliases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    domain_id       INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    local_part      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    mail_generation INTEGER NOT NULL,
    UNIQUE (domain_id, local_part)
);
CREATE INDEX mail_aliases_account ON mail_aliases(account_id, domain_id, local_part);

CREATE TABLE mail_alias_destinations (
    alias_id INTEGER NOT NULL REFERENCES mail_aliases(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    address  TEXT NOT NULL,
    PRIMARY KEY (alias_id, position)
);

CREATE TABLE autoreplies (
    mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
    enabled    INTEGER NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    -- YYYY-MM-DD, both days included; NULL = no bound.
    start_date TEXT,
    end_date   TEXT,
    updated_at INTEGER NOT NULL
);

-- DKIM keys: the newest signs; the one before stays published after a
-- rotation, so mail signed just before it still verifies.
CREATE TABLE dkim_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    domain_id   INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    selector    TEXT NOT NULL,
    -- RSA private key, PKCS#8 PEM.
    private_key TEXT NOT NULL,
    -- Base64 of the DER SubjectPublicKeyInfo (the DNS p= value).
    public_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (domain_id, selector)
);
CREATE INDEX dkim_keys_domain ON dkim_keys(domain_id, id);

-- Records Konbit adds for a domain's mail (MX, SPF, DMARC, DKIM, autoconfig),
-- so that turning mail off removes exactly those.
ALTER TABLE dns_records ADD COLUMN managed TEXT;
