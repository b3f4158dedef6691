-- Domains and their DNS records (issue 4). A domain is one zone served by
-- PowerDNS; the zone itself lives in PowerDNS's own database, written by the
-- DNS provisioner from these rows.

-- AUTOINCREMENT: an id is never reused, so the mark a zone carries in
-- PowerDNS's database (konbit:<id>) names one domain forever.
CREATE TABLE domains (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- ASCII (punycode), lowercase, no trailing dot; unique across the co-op,
    -- deleted domains included, so nobody takes a name during its grace time.
    name               TEXT NOT NULL UNIQUE,
    -- The labels in reverse order ("org.example.www"): the index finds a
    -- domain's ancestors and descendants with range scans, whatever the
    -- number of zones.
    rname              TEXT NOT NULL UNIQUE,
    -- A domain alias serves the records of another domain of its account.
    alias_of           INTEGER REFERENCES domains(id),
    dnssec             INTEGER NOT NULL DEFAULT 1,
    mail               INTEGER NOT NULL DEFAULT 0,
    serial             INTEGER NOT NULL,
    deleted_at         INTEGER,
    purge_after        INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    generation         INTEGER NOT NULL DEFAULT 1,
    applied_generation INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    last_error         TEXT
);
CREATE INDEX domains_account ON domains(account_id, name);
CREATE INDEX domains_alias ON domains(alias_of);
CREATE INDEX domains_purge ON domains(purge_after);

CREATE TABLE dns_records (
    id              INTEGER PRIMARY KEY,
    domain_id       INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    -- Relative to the zone, "" for the apex.
    name            TEXT NOT NULL,
    type            TEXT NOT NULL,
    ttl             INTEGER NOT NULL,
    -- The validated value in its canonical form (what the person sees).
    value           TEXT NOT NULL,
    -- The domain's generation when this record last changed: the record is
    -- live once the zone's applied generation reaches it.
    zone_generation INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX dns_records_domain ON dns_records(domain_id, name, type);

-- The zone signing key (one CSK, ECDSA P-256). Kept here, not only in
-- PowerDNS's file, so a rebuilt PowerDNS database signs with the same key
-- and the DS at the registrar stays valid.
CREATE TABLE dnssec_keys (
    domain_id   INTEGER PRIMARY KEY REFERENCES domains(id) ON DELETE CASCADE,
    algorithm   INTEGER NOT NULL,
    flags       INTEGER NOT NULL,
    private_key TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Who holds a claim ("host:pid"), so a restarted worker can take back at
-- once the rows that a killed worker of the same host had claimed, instead
-- of waiting for their lease to run out.
ALTER TABLE reconcile_queue ADD COLUMN claimed_by TEXT;
