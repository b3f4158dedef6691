//! The mail lookup database: the one file Postfix and Dovecot read to know
//! the hosted domains, mailboxes, aliases and who may send as what.
//!
//! It holds only what those daemons need. `owner` is the Konbit domain id a
//! row was written for, so the provisioner can replace one domain's rows in
//! one transaction; nothing else of Konbit's state is in it.
//!
//! What reads what (see [`super::config`]):
//! - Postfix `virtual_mailbox_domains`: `domains` (hosted domains and their
//!   domain aliases);
//! - `virtual_mailbox_maps`: enabled `mailboxes`;
//! - `virtual_alias_maps`: `aliases` (one row per destination, joined with
//!   commas by Postfix), plus every mailbox mapped to itself (enabled or
//!   not), so that a `@domain` catch-all never takes a mailbox's mail. Postfix
//!   counts an address found there as known, so a disabled mailbox is
//!   refused at RCPT by its own recipient check
//!   ([`super::config::DISABLED_MAILBOX_QUERY`]) rather than caught;
//! - `smtpd_sender_login_maps`: an enabled mailbox owns its own address, and
//!   `sender_logins` adds the aliases its login may send as;
//! - Dovecot passdb/userdb: enabled `mailboxes` (hash, home, quota).

/// Applied with `IF NOT EXISTS`: opening an existing file is harmless.
pub const LOOKUP_SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS domains (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  owner INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mailboxes (
  address TEXT PRIMARY KEY COLLATE NOCASE,
  owner INTEGER NOT NULL,
  password_hash TEXT NOT NULL,
  quota_bytes INTEGER NOT NULL DEFAULT 0 CHECK (quota_bytes >= 0),
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  maildir TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS aliases (
  source TEXT NOT NULL COLLATE NOCASE,
  destination TEXT NOT NULL COLLATE NOCASE,
  owner INTEGER NOT NULL,
  PRIMARY KEY (source, destination)
);
CREATE TABLE IF NOT EXISTS sender_logins (
  address TEXT NOT NULL COLLATE NOCASE,
  login TEXT NOT NULL COLLATE NOCASE,
  owner INTEGER NOT NULL,
  PRIMARY KEY (address, login)
);
CREATE INDEX IF NOT EXISTS domains_owner ON domains(owner);
CREATE INDEX IF NOT EXISTS mailboxes_owner ON mailboxes(owner);
CREATE INDEX IF NOT EXISTS aliases_owner ON aliases(owner);
CREATE INDEX IF NOT EXISTS sender_logins_owner ON sender_logins(owner);
";

/// The Postfix sqlite map queries over [`LOOKUP_SCHEMA`] (`%s` is the key
/// Postfix looks up; it quotes it itself).
pub mod postfix_queries {
    pub const DOMAINS: &str = "SELECT name FROM domains WHERE name = '%s'";
    pub const MAILBOXES: &str =
        "SELECT address FROM mailboxes WHERE address = '%s' AND enabled = 1";
    pub const ALIASES: &str = "SELECT destination FROM aliases WHERE source = '%s' \
         UNION SELECT address FROM mailboxes WHERE address = '%s'";
    pub const SENDER_LOGINS: &str = "SELECT address FROM mailboxes WHERE address = '%s' AND enabled = 1 \
         UNION SELECT login FROM sender_logins WHERE address = '%s'";
}
