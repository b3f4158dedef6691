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
//!
//! With mailing lists routed to Mailman (see
//! [`super::config::ListRouting`]), `list_routes` holds every address of
//! every live list of a served domain (the list's own and Mailman's
//! `-bounces`, `-confirm`… ones), under the domain itself only: a domain
//! alias reaches them through `aliases` rows, as it reaches mailboxes.
//! - `virtual_alias_maps` ([`postfix_queries::ALIASES_WITH_LISTS`]) maps each
//!   of them to itself, so it is a known recipient and a catch-all never
//!   takes it;
//! - `transport_maps` ([`postfix_queries::list_transport`]) sends mail for
//!   them to Mailman's LMTP. Postfix reads sqlite maps on every lookup, so
//!   a new list works as soon as its rows are committed, with no reload;
//! - the listener Mailman sends through accepts only these addresses as
//!   envelope senders ([`postfix_queries::list_senders`]).
//!
//! `refused_list_addresses` holds the same addresses of the domain's
//! soft-deleted lists (under the domain and each domain alias) during the
//! grace period: `virtual_alias_maps` maps them to themselves too, so the
//! catch-all never takes the mail of a list its owner just deleted, and the
//! disabled-recipient check ([`postfix_queries::DISABLED_WITH_LISTS`])
//! refuses them at RCPT, as it refuses a soft-deleted mailbox.
//!
//! The transport is not stored: the rows say which addresses are lists, the
//! configuration where Mailman listens.

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
CREATE TABLE IF NOT EXISTS list_routes (
  address TEXT PRIMARY KEY COLLATE NOCASE,
  owner INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refused_list_addresses (
  address TEXT PRIMARY KEY COLLATE NOCASE,
  owner INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS domains_owner ON domains(owner);
CREATE INDEX IF NOT EXISTS mailboxes_owner ON mailboxes(owner);
CREATE INDEX IF NOT EXISTS aliases_owner ON aliases(owner);
CREATE INDEX IF NOT EXISTS sender_logins_owner ON sender_logins(owner);
CREATE INDEX IF NOT EXISTS list_routes_owner ON list_routes(owner);
CREATE INDEX IF NOT EXISTS refused_list_addresses_owner ON refused_list_addresses(owner);
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
    /// [`ALIASES`], plus every list address mapped to itself: a known
    /// recipient, never taken by a catch-all. With `recipient_delimiter`,
    /// `team-confirm+TOKEN@d` is found under `team-confirm@d` and Postfix
    /// puts the extension back (`propagate_unmatched_extensions`).
    /// A soft-deleted list's addresses map to themselves as well, so that
    /// the catch-all never takes them while [`DISABLED_WITH_LISTS`]
    /// refuses them.
    pub const ALIASES_WITH_LISTS: &str = "SELECT destination FROM aliases WHERE source = '%s' \
         UNION SELECT address FROM mailboxes WHERE address = '%s' \
         UNION SELECT address FROM list_routes WHERE address = '%s' \
         UNION SELECT address FROM refused_list_addresses WHERE address = '%s'";

    /// The recipient check refusing at RCPT a disabled mailbox and, with
    /// lists routed, the addresses of a soft-deleted list: "550 5.1.1 User
    /// unknown" rather than an accepted message bounced later
    /// (backscatter). With `recipient_delimiter`, `team-confirm+x@d` is
    /// looked up as `team-confirm@d` too.
    pub const DISABLED_WITH_LISTS: &str = "SELECT '550 5.1.1 User unknown' FROM mailboxes \
         WHERE address = '%s' AND enabled = 0 \
         UNION SELECT '550 5.1.1 User unknown' FROM refused_list_addresses WHERE address = '%s'";

    /// The `transport_maps` query: `transport` (e.g.
    /// `lmtp:inet:[127.0.0.1]:8024`) for every list address. `transport`
    /// is spliced in as it is: only a value built from a validated socket
    /// address may be given.
    pub fn list_transport(transport: &str) -> String {
        format!("SELECT '{transport}' FROM list_routes WHERE address = '%s'")
    }

    /// The `check_sender_access` query of Mailman's listener: `OK` for a
    /// list address (VERP senders such as `team-bounces+x=y@d` are found
    /// under `team-bounces@d`) and for `site_owner`, the envelope sender
    /// of what Mailman sends for no list in particular. `site_owner` is
    /// spliced in as it is: only a validated plain address may be given.
    pub fn list_senders(site_owner: Option<&str>) -> String {
        let mut q = "SELECT 'OK' FROM list_routes WHERE address = '%s'".to_owned();
        if let Some(owner) = site_owner {
            q.push_str(&format!(
                " UNION SELECT 'OK' WHERE '%s' = '{owner}' COLLATE NOCASE"
            ));
        }
        q
    }
}
