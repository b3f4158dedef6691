-- Websites (issue 6). These rows are Konbit's desired state; the web
-- provisioner turns each site into one nginx file (and its account's PHP-FPM
-- pool), the ACME provisioner into a certificate.

CREATE TABLE sites (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    domain_id          INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    -- ASCII, lowercase; also in site_names.
    host               TEXT NOT NULL UNIQUE,
    kind               TEXT NOT NULL CHECK (kind IN ('static', 'php', 'redirect', 'proxy')),
    -- static and php: the directory served, relative to the account's home.
    root               TEXT,
    -- redirect
    redirect_to        TEXT,
    redirect_permanent INTEGER NOT NULL DEFAULT 1,
    redirect_keep_path INTEGER NOT NULL DEFAULT 1,
    -- proxy: a port on 127.0.0.1
    proxy_port         INTEGER,
    certificate        INTEGER NOT NULL DEFAULT 1,
    force_https        INTEGER NOT NULL DEFAULT 0,
    hsts               INTEGER NOT NULL DEFAULT 0,
    enabled            INTEGER NOT NULL DEFAULT 1,
    deleted_at         INTEGER,
    purge_after        INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    generation         INTEGER NOT NULL DEFAULT 1,
    applied_generation INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    last_error         TEXT
);
CREATE INDEX sites_account ON sites(account_id, host);
CREATE INDEX sites_domain ON sites(domain_id);
CREATE INDEX sites_purge ON sites(purge_after);

-- Every name a site answers to, its host included: a name is served by one
-- site at most, deleted ones included during their grace period.
CREATE TABLE site_names (
    name     TEXT PRIMARY KEY,
    site_id  INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    position INTEGER NOT NULL
);
CREATE INDEX site_names_site ON site_names(site_id, position);

-- One row per site that asked for HTTPS. The reconcile columns are the
-- worker's; the others are what the ACME provisioner last did. The private
-- key is never here: it stays in a root-only file.
CREATE TABLE certificates (
    id                 INTEGER PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    cert_status        TEXT NOT NULL DEFAULT 'pending' CHECK (cert_status IN ('pending', 'issued', 'failed')),
    -- JSON array of the names the installed certificate covers.
    names              TEXT NOT NULL DEFAULT '[]',
    not_before         INTEGER,
    not_after          INTEGER,
    issued_at          INTEGER,
    cert_error         TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    INTEGER,
    updated_at         INTEGER NOT NULL,
    generation         INTEGER NOT NULL DEFAULT 1,
    applied_generation INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    last_error         TEXT
);
CREATE INDEX certificates_account ON certificates(account_id);
CREATE INDEX certificates_due ON certificates(next_attempt_at);

-- The disk used by each account's home (sites' files), as last measured.
CREATE TABLE web_usage (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    bytes       INTEGER NOT NULL,
    measured_at INTEGER NOT NULL
);
