//! The rows of the lookup database for one mail domain, built from the
//! store's snapshot alone (no I/O), so every routing rule can be tested
//! without a daemon.

use crate::ProvisionError;
use konbit_core::mail::{AliasSource, Destination};
use konbit_store::MailDomainSource;
use std::collections::BTreeSet;

/// One row of the `mailboxes` table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MailboxRow {
    pub address: String,
    /// `{ARGON2ID}` and the PHC string, as Dovecot reads it.
    pub password_hash: String,
    pub quota_bytes: i64,
    pub enabled: bool,
    /// The home, relative to the mail root: `<domain>/<local part>`.
    pub maildir: String,
}

/// Any row of the lookup database, for diffs and logs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum LookupRow {
    Domain(String),
    Mailbox(MailboxRow),
    Alias {
        source: String,
        destination: String,
    },
    SenderLogin {
        address: String,
        login: String,
    },
    /// An address of a mailing list: Postfix hands its mail to Mailman.
    ListRoute(String),
    /// An address of a soft-deleted list: refused at RCPT.
    RefusedListAddress(String),
}

impl LookupRow {
    /// The row as a line of a dry run or a log; never a whole password
    /// hash.
    pub fn describe(&self) -> String {
        match self {
            Self::Domain(name) => format!("domain {name}"),
            Self::Mailbox(m) => format!(
                "mailbox {} ({}, quota {} bytes, maildir {}, password {})",
                m.address,
                if m.enabled { "enabled" } else { "disabled" },
                m.quota_bytes,
                m.maildir,
                m.password_hash
                    .split_once('}')
                    .map_or_else(|| "…".to_owned(), |(scheme, _)| format!("{scheme}}}…")),
            ),
            Self::Alias {
                source,
                destination,
            } => format!("alias {source} -> {destination}"),
            Self::SenderLogin { address, login } => {
                format!("sender {address} allowed for login {login}")
            }
            Self::ListRoute(address) => format!("list address {address} (to Mailman)"),
            Self::RefusedListAddress(address) => {
                format!("deleted list address {address} (refused)")
            }
        }
    }
}

/// What the lookup database must hold for one mail domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupRows {
    /// The Konbit domain id, written as `owner` on every row.
    pub owner: i64,
    /// The domain itself (its aliases are only in `domains`): the first
    /// component of every maildir.
    pub domain: String,
    pub domains: BTreeSet<String>,
    pub mailboxes: BTreeSet<MailboxRow>,
    /// `(source key, destination)`; a catch-all's key is `@domain`.
    pub aliases: BTreeSet<(String, String)>,
    /// `(address, login)`: the login may send as the address.
    pub sender_logins: BTreeSet<(String, String)>,
    /// Every address of the domain's live mailing lists (under the domain
    /// itself; its domain aliases lead there through `aliases`).
    pub list_routes: BTreeSet<String>,
    /// Every address of the domain's soft-deleted lists, under the domain
    /// and each of its domain aliases.
    pub refused_list_addresses: BTreeSet<String>,
}

impl LookupRows {
    /// Every row, for a diff.
    pub fn rows(&self) -> BTreeSet<LookupRow> {
        let domains = self.domains.iter().cloned().map(LookupRow::Domain);
        let mailboxes = self.mailboxes.iter().cloned().map(LookupRow::Mailbox);
        let aliases = self
            .aliases
            .iter()
            .map(|(source, destination)| LookupRow::Alias {
                source: source.clone(),
                destination: destination.clone(),
            });
        let logins = self
            .sender_logins
            .iter()
            .map(|(address, login)| LookupRow::SenderLogin {
                address: address.clone(),
                login: login.clone(),
            });
        let lists = self.list_routes.iter().cloned().map(LookupRow::ListRoute);
        let refused = self
            .refused_list_addresses
            .iter()
            .cloned()
            .map(LookupRow::RefusedListAddress);
        domains
            .chain(mailboxes)
            .chain(aliases)
            .chain(logins)
            .chain(lists)
            .chain(refused)
            .collect()
    }
}

const MIB: i64 = 1024 * 1024;

/// Builds the rows of a served domain (see [`super::schema`] for how the
/// daemons read them):
///
/// - `domains`: the domain and its live domain aliases;
/// - `mailboxes`: every mailbox, soft-deleted ones written disabled: the
///   identity row Postfix adds for every mailbox then refuses their
///   address at RCPT, where a missing row would let a catch-all take the
///   mail of an address whose owner just deleted it;
/// - `aliases`: one row per destination of each alias, never an alias
///   with a mailbox's address (the mailbox wins) and only the first alias
///   of a source; for each domain alias `A`, `local@A` leads to `local@D`
///   for each mailbox and address alias, and `@A` to the catch-all's
///   destinations. Mailboxes map to themselves through the Postfix query,
///   not through rows here;
/// - `sender_logins`: a live mailbox may send as the address aliases that
///   deliver to it, and as its own and those aliases' equivalents in each
///   domain alias;
/// - `list_routes`: the list's own address and Mailman's eight
///   (`<name>-bounces`, `-confirm`…) for each live list, unless a mailbox
///   has the address (the mailbox wins: its mail is stored there; Konbit
///   refuses such a list anyway). An alias with a list address is left
///   out (the list wins), and for each domain alias `A`, `local@A` leads to
///   `local@D` for each list address, as for mailboxes. The catch-all never
///   takes a list's mail: every list address maps to itself in Postfix's
///   query.
/// - `refused_list_addresses`: the same addresses of each soft-deleted
///   list, under the domain and each domain alias, so that they are
///   refused at RCPT during the grace period, as a soft-deleted mailbox's
///   identity row is, instead of falling to the catch-all. An address that
///   is a mailbox's, a live list's or an address alias's is left to it.
///
/// Stored values are checked again (the store's types validated them when
/// they were written): a destination that is not a plain address, or a
/// password hash that is not Argon2id, makes the domain `Invalid` rather
/// than reaching Postfix or Dovecot.
pub fn build_lookup(source: &MailDomainSource) -> Result<LookupRows, ProvisionError> {
    let invalid = |reason: String| ProvisionError::Invalid { reason };
    let domain = &source.domain.name;
    let mut out = LookupRows {
        owner: source.domain.id.0,
        domain: domain.to_string(),
        ..LookupRows::default()
    };
    let alias_domains: Vec<String> = source
        .alias_domains
        .iter()
        .filter(|a| *a != domain)
        .map(ToString::to_string)
        .collect();
    out.domains.insert(domain.to_string());
    out.domains.extend(alias_domains.iter().cloned());

    let mut all_boxes = BTreeSet::new();
    let mut live_boxes = BTreeSet::new();
    for served in &source.mailboxes {
        let m = &served.mailbox;
        let address = m.address.to_string();
        if m.address.domain() != domain {
            return Err(invalid(format!("mailbox {address} is not of {domain}")));
        }
        let hash = &served.password_hash;
        if !hash.starts_with("$argon2id$") || !hash.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(format!(
                "mailbox {address}: the stored password hash is not an Argon2id PHC string"
            )));
        }
        let quota_mb = i64::try_from(m.quota_mb).unwrap_or(i64::MAX);
        out.mailboxes.insert(MailboxRow {
            address: address.clone(),
            password_hash: format!("{{ARGON2ID}}{hash}"),
            quota_bytes: quota_mb.saturating_mul(MIB),
            enabled: m.enabled && !m.is_deleted(),
            maildir: format!("{domain}/{}", m.address.local()),
        });
        if !m.is_deleted() {
            live_boxes.insert(address.clone());
        }
        all_boxes.insert(address);
    }

    // The lists' addresses, under the domain itself.
    let mut list_locals: Vec<String> = Vec::new();
    for name in &source.lists {
        for local in name.local_parts() {
            let address = format!("{local}@{domain}").to_ascii_lowercase();
            if all_boxes.contains(&address) || !out.list_routes.insert(address) {
                continue;
            }
            list_locals.push(local);
        }
    }

    // The aliases Postfix will see, with their destinations normalised.
    let mut seen = BTreeSet::new();
    let mut served_aliases: Vec<(&AliasSource, Vec<String>)> = Vec::new();
    for alias in &source.aliases {
        if alias.source.domain() != domain {
            return Err(invalid(format!(
                "alias {} is not of {domain}",
                alias.source
            )));
        }
        if let AliasSource::Address(a) = &alias.source
            && (all_boxes.contains(&a.to_string())
                || out
                    .list_routes
                    .contains(&a.to_string().to_ascii_lowercase()))
        {
            continue;
        }
        if !seen.insert(alias.source.postfix_key()) {
            continue;
        }
        let mut dests: Vec<String> = Vec::with_capacity(alias.destinations.len());
        for raw in &alias.destinations {
            let d = Destination::parse("destination", raw, |_| false).map_err(|e| {
                invalid(format!(
                    "alias {}: the destination {raw:?} is not a valid address ({:?})",
                    alias.source, e.rule
                ))
            })?;
            let d = d.address();
            if !dests.contains(&d) {
                dests.push(d);
            }
        }
        if !dests.is_empty() {
            served_aliases.push((&alias.source, dests));
        }
    }
    for (source_key, dests) in &served_aliases {
        for d in dests {
            out.aliases.insert((source_key.postfix_key(), d.clone()));
        }
    }

    for a in &alias_domains {
        for served in &source.mailboxes {
            let m = &served.mailbox.address;
            out.aliases
                .insert((format!("{}@{a}", m.local()), m.to_string()));
        }
        for local in &list_locals {
            out.aliases
                .insert((format!("{local}@{a}"), format!("{local}@{domain}")));
        }
        for (source_key, dests) in &served_aliases {
            match source_key {
                AliasSource::Address(s) => {
                    out.aliases
                        .insert((format!("{}@{a}", s.local()), s.to_string()));
                }
                AliasSource::CatchAll(_) => {
                    for d in dests {
                        out.aliases.insert((format!("@{a}"), d.clone()));
                    }
                }
            }
        }
        for m in &source.mailboxes {
            let address = &m.mailbox.address;
            if !m.mailbox.is_deleted() {
                out.sender_logins
                    .insert((format!("{}@{a}", address.local()), address.to_string()));
            }
        }
    }
    refuse_deleted_lists(source, &alias_domains, &all_boxes, &mut out);
    for (source_key, dests) in &served_aliases {
        let AliasSource::Address(s) = source_key else {
            continue;
        };
        for login in dests.iter().filter(|d| live_boxes.contains(*d)) {
            out.sender_logins.insert((s.to_string(), login.clone()));
            for a in &alias_domains {
                out.sender_logins
                    .insert((format!("{}@{a}", s.local()), login.clone()));
            }
        }
    }
    Ok(out)
}

/// Fills `out.refused_list_addresses` (see [`build_lookup`]); called once
/// the live lists' routes and the aliases are in `out`.
fn refuse_deleted_lists(
    source: &MailDomainSource,
    alias_domains: &[String],
    all_boxes: &BTreeSet<String>,
    out: &mut LookupRows,
) {
    let domain = &source.domain.name;
    let taken = |address: &str, out: &LookupRows| {
        all_boxes.contains(address)
            || out.list_routes.contains(address)
            || out.aliases.iter().any(|(key, _)| key == address)
    };
    for name in &source.deleted_lists {
        for local in name.local_parts() {
            let address = format!("{local}@{domain}").to_ascii_lowercase();
            if taken(&address, out) {
                continue;
            }
            out.refused_list_addresses.insert(address);
            for a in alias_domains {
                let address = format!("{local}@{a}").to_ascii_lowercase();
                if !taken(&address, out) {
                    out.refused_list_addresses.insert(address);
                }
            }
        }
    }
}

/// The dry-run lines between two sets of rows.
pub fn diff(have: &BTreeSet<LookupRow>, want: &BTreeSet<LookupRow>) -> Vec<String> {
    let mut out: Vec<String> = have
        .difference(want)
        .map(|r| format!("- {}", r.describe()))
        .collect();
    out.extend(want.difference(have).map(|r| format!("+ {}", r.describe())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::mail::{LocalPart, MailAddress};
    use konbit_core::model::{
        AccountId, Domain, DomainId, MailAlias, MailAliasId, Mailbox, MailboxId, ObjectStatus,
        ProvisionState,
    };
    use konbit_core::names::Fqdn;
    use konbit_store::ServedMailbox;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";

    fn fqdn(s: &str) -> Fqdn {
        Fqdn::parse("domain", s, 2).unwrap()
    }

    fn source(aliases: &[&str]) -> MailDomainSource {
        MailDomainSource {
            domain: Domain {
                id: DomainId(7),
                account_id: AccountId(1),
                name: fqdn("example.org"),
                alias_of: None,
                alias_of_name: None,
                dnssec: false,
                mail: true,
                serial: 1,
                deleted_at: None,
                purge_after: None,
                created_at: 0,
                updated_at: 0,
                provision: ProvisionState {
                    status: ObjectStatus::Applied,
                    generation: 1,
                    applied_generation: 1,
                    last_error: None,
                },
            },
            serving: true,
            alias_domains: aliases.iter().map(|a| fqdn(a)).collect(),
            mailboxes: Vec::new(),
            aliases: Vec::new(),
            dkim_keys: Vec::new(),
            lists: Vec::new(),
            deleted_lists: Vec::new(),
        }
    }

    fn mailbox(s: &mut MailDomainSource, local: &str, enabled: bool, deleted: bool) {
        let id = s.mailboxes.len() as i64 + 1;
        s.mailboxes.push(ServedMailbox {
            mailbox: Mailbox {
                id: MailboxId(id),
                account_id: AccountId(1),
                domain_id: DomainId(7),
                address: MailAddress::new(
                    "address",
                    LocalPart::parse("l", local).unwrap(),
                    fqdn("example.org"),
                )
                .unwrap(),
                quota_mb: 2,
                enabled,
                used_bytes: 0,
                used_at: None,
                deleted_at: deleted.then_some(5),
                purge_after: deleted.then_some(10),
                created_at: 0,
                updated_at: 0,
                mail_generation: 1,
            },
            password_hash: HASH.to_owned(),
            autoreply: None,
        });
    }

    fn alias(s: &mut MailDomainSource, source: &str, dests: &[&str]) {
        let id = s.aliases.len() as i64 + 1;
        s.aliases.push(MailAlias {
            id: MailAliasId(id),
            account_id: AccountId(1),
            domain_id: DomainId(7),
            source: AliasSource::parse("source", source).unwrap(),
            destinations: dests.iter().map(|d| d.to_string()).collect(),
            created_at: 0,
            updated_at: 0,
            mail_generation: 1,
        });
    }

    fn list(s: &mut MailDomainSource, name: &str) {
        s.lists
            .push(konbit_core::list::ListName::parse("name", name).unwrap());
    }

    fn routes(rows: &LookupRows) -> Vec<&str> {
        rows.list_routes.iter().map(String::as_str).collect()
    }

    fn pairs(set: &BTreeSet<(String, String)>) -> Vec<(&str, &str)> {
        set.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
    }

    #[test]
    fn mailboxes_are_rows_and_deleted_ones_are_refused() {
        let mut s = source(&[]);
        mailbox(&mut s, "ada", true, false);
        mailbox(&mut s, "bob", false, false);
        mailbox(&mut s, "old", true, true);
        let rows = build_lookup(&s).unwrap();
        assert_eq!(rows.owner, 7);
        assert_eq!(rows.domains, BTreeSet::from(["example.org".to_owned()]));
        let boxes: Vec<_> = rows
            .mailboxes
            .iter()
            .map(|m| (m.address.as_str(), m.enabled, m.maildir.as_str()))
            .collect();
        assert_eq!(
            boxes,
            vec![
                ("ada@example.org", true, "example.org/ada"),
                ("bob@example.org", false, "example.org/bob"),
                ("old@example.org", false, "example.org/old"),
            ]
        );
        let ada = rows.mailboxes.first().unwrap();
        assert_eq!(ada.quota_bytes, 2 * 1024 * 1024);
        assert_eq!(ada.password_hash, format!("{{ARGON2ID}}{HASH}"));
        assert!(rows.aliases.is_empty(), "no identity rows");
        assert!(rows.sender_logins.is_empty());
    }

    #[test]
    fn aliases_catch_all_and_sender_logins() {
        let mut s = source(&[]);
        mailbox(&mut s, "ada", true, false);
        mailbox(&mut s, "bob", true, false);
        mailbox(&mut s, "old", true, true);
        alias(
            &mut s,
            "info@example.org",
            &["ada@example.org", "x@Gmail.com"],
        );
        alias(
            &mut s,
            "team@example.org",
            &["bob@example.org", "old@example.org"],
        );
        alias(&mut s, "@example.org", &["ada@example.org"]);
        // Never served: a mailbox's address, even a deleted one's.
        alias(&mut s, "bob@example.org", &["ada@example.org"]);
        alias(&mut s, "old@example.org", &["ada@example.org"]);
        let rows = build_lookup(&s).unwrap();
        assert_eq!(
            pairs(&rows.aliases),
            vec![
                ("@example.org", "ada@example.org"),
                ("info@example.org", "ada@example.org"),
                ("info@example.org", "x@gmail.com"),
                ("team@example.org", "bob@example.org"),
                ("team@example.org", "old@example.org"),
            ]
        );
        assert_eq!(
            pairs(&rows.sender_logins),
            vec![
                ("info@example.org", "ada@example.org"),
                ("team@example.org", "bob@example.org"),
            ]
        );
    }

    #[test]
    fn domain_aliases_lead_to_the_domain() {
        let mut s = source(&["example.net"]);
        mailbox(&mut s, "ada", true, false);
        mailbox(&mut s, "old", true, true);
        alias(&mut s, "info@example.org", &["ada@example.org"]);
        alias(&mut s, "@example.org", &["ada@example.org", "x@gmail.com"]);
        let rows = build_lookup(&s).unwrap();
        assert_eq!(
            rows.domains,
            BTreeSet::from(["example.org".to_owned(), "example.net".to_owned()])
        );
        assert_eq!(
            pairs(&rows.aliases),
            vec![
                ("@example.net", "ada@example.org"),
                ("@example.net", "x@gmail.com"),
                ("@example.org", "ada@example.org"),
                ("@example.org", "x@gmail.com"),
                ("ada@example.net", "ada@example.org"),
                ("info@example.net", "info@example.org"),
                ("info@example.org", "ada@example.org"),
                // The deleted mailbox's address is refused at the alias
                // domain too, through its disabled row.
                ("old@example.net", "old@example.org"),
            ]
        );
        assert_eq!(
            pairs(&rows.sender_logins),
            vec![
                ("ada@example.net", "ada@example.org"),
                ("info@example.net", "ada@example.org"),
                ("info@example.org", "ada@example.org"),
            ]
        );
    }

    #[test]
    fn bad_stored_values_are_invalid() {
        let mut s = source(&[]);
        mailbox(&mut s, "ada", true, false);
        alias(&mut s, "info@example.org", &["a,b@example.org"]);
        let err = build_lookup(&s).unwrap_err();
        assert!(
            matches!(&err, ProvisionError::Invalid { reason } if reason.contains("info@example.org")),
            "{err}"
        );
        let mut s = source(&[]);
        mailbox(&mut s, "ada", true, false);
        s.mailboxes[0].password_hash = "$6$salt$hash".into();
        let err = build_lookup(&s).unwrap_err();
        assert!(err.to_string().contains("ada@example.org"), "{err}");
    }

    #[test]
    fn first_alias_of_a_source_wins_and_empty_ones_are_left_out() {
        let mut s = source(&[]);
        alias(&mut s, "info@example.org", &["a@example.com"]);
        alias(&mut s, "Info@example.org", &["b@example.com"]);
        alias(&mut s, "none@example.org", &[]);
        let rows = build_lookup(&s).unwrap();
        assert_eq!(
            pairs(&rows.aliases),
            vec![("info@example.org", "a@example.com")]
        );
    }

    const TEAM: [&str; 9] = [
        "team-bounces@example.org",
        "team-confirm@example.org",
        "team-join@example.org",
        "team-leave@example.org",
        "team-owner@example.org",
        "team-request@example.org",
        "team-subscribe@example.org",
        "team-unsubscribe@example.org",
        "team@example.org",
    ];

    #[test]
    fn every_address_of_a_list_is_routed() {
        let mut s = source(&[]);
        mailbox(&mut s, "ada", true, false);
        alias(&mut s, "@example.org", &["ada@example.org"]);
        list(&mut s, "team");
        let rows = build_lookup(&s).unwrap();
        assert_eq!(routes(&rows), TEAM);
        // No alias row: the catch-all stays as it was, and Postfix's query
        // maps each list address to itself (tested against the database in
        // the provisioner's tests).
        assert_eq!(
            pairs(&rows.aliases),
            vec![("@example.org", "ada@example.org")]
        );
        assert!(rows.sender_logins.is_empty());
        let lines = diff(&BTreeSet::new(), &rows.rows());
        assert!(
            lines.contains(&"+ list address team@example.org (to Mailman)".to_owned()),
            "{lines:?}"
        );
        // Without lists, nothing is routed.
        s.lists.clear();
        assert!(build_lookup(&s).unwrap().list_routes.is_empty());
    }

    #[test]
    fn a_mailbox_beats_a_list_address_and_a_list_beats_an_alias() {
        let mut s = source(&[]);
        mailbox(&mut s, "ada", true, false);
        // Konbit refuses both; should the store hold them anyway, a
        // mailbox keeps its mail and an alias yields to the list.
        mailbox(&mut s, "team-owner", true, true);
        alias(&mut s, "team@example.org", &["ada@example.org"]);
        alias(&mut s, "team-request@example.org", &["ada@example.org"]);
        alias(&mut s, "info@example.org", &["team@example.org"]);
        list(&mut s, "team");
        let rows = build_lookup(&s).unwrap();
        let want: Vec<&str> = TEAM
            .iter()
            .copied()
            .filter(|a| *a != "team-owner@example.org")
            .collect();
        assert_eq!(routes(&rows), want);
        // An alias may still lead to a list.
        assert_eq!(
            pairs(&rows.aliases),
            vec![("info@example.org", "team@example.org")]
        );
    }

    #[test]
    fn domain_aliases_lead_to_the_lists() {
        let mut s = source(&["example.net"]);
        mailbox(&mut s, "ada", true, false);
        alias(&mut s, "@example.org", &["ada@example.org"]);
        list(&mut s, "team");
        list(&mut s, "a.b_c");
        let rows = build_lookup(&s).unwrap();
        assert_eq!(rows.list_routes.len(), 18);
        assert!(rows.list_routes.contains("a.b_c-unsubscribe@example.org"));
        // Only under the domain itself.
        assert!(rows.list_routes.iter().all(|a| a.ends_with("@example.org")));
        for a in TEAM {
            let local = a.strip_suffix("@example.org").unwrap();
            assert!(
                rows.aliases
                    .contains(&(format!("{local}@example.net"), a.to_owned())),
                "{a}: {:?}",
                rows.aliases
            );
        }
        assert!(rows.aliases.contains(&(
            "a.b_c@example.net".to_owned(),
            "a.b_c@example.org".to_owned()
        )));
        // The alias domain's catch-all is still there for the rest.
        assert!(
            rows.aliases
                .contains(&("@example.net".to_owned(), "ada@example.org".to_owned()))
        );
        // 9 + 9 list addresses, the mailbox and the catch-all.
        assert_eq!(rows.aliases.len(), 18 + 1 + 2);
    }

    #[test]
    fn a_deleted_lists_addresses_are_refused_not_caught() {
        let mut s = source(&["example.net"]);
        mailbox(&mut s, "ada", true, false);
        alias(&mut s, "@example.org", &["ada@example.org"]);
        list(&mut s, "live");
        s.deleted_lists
            .push(konbit_core::list::ListName::parse("name", "team").unwrap());
        // Made after the list was deleted: the member's alias keeps its
        // address.
        alias(&mut s, "team-request@example.org", &["ada@example.org"]);
        let rows = build_lookup(&s).unwrap();
        // Not routed to Mailman...
        assert!(rows.list_routes.iter().all(|a| a.starts_with("live")));
        // ...but refused under the domain and its domain alias, except the
        // alias's address (under both: `team-request@example.net` leads to
        // the alias).
        let mut want: Vec<String> = Vec::new();
        for a in TEAM.iter().filter(|a| **a != "team-request@example.org") {
            want.push((*a).to_owned());
            want.push(a.replace("@example.org", "@example.net"));
        }
        want.sort();
        let refused: Vec<String> = rows.refused_list_addresses.iter().cloned().collect();
        assert_eq!(refused, want);
        // No alias row names a refused address: the catch-all rows stay as
        // they were, and nothing leads a refused address anywhere.
        for (source, _) in &rows.aliases {
            assert!(!rows.refused_list_addresses.contains(source), "{source}");
        }
        let lines = diff(&BTreeSet::new(), &rows.rows());
        assert!(
            lines.contains(&"+ deleted list address team@example.org (refused)".to_owned()),
            "{lines:?}"
        );

        // Restored: routed again, refused no more.
        let restored = s.deleted_lists.remove(0);
        s.lists.push(restored);
        let rows = build_lookup(&s).unwrap();
        assert!(rows.refused_list_addresses.is_empty());
        assert!(rows.list_routes.contains("team@example.org"));

        // A mailbox keeps its own address even if a deleted list had it.
        let mut s = source(&[]);
        mailbox(&mut s, "team-owner", true, false);
        s.deleted_lists
            .push(konbit_core::list::ListName::parse("name", "team").unwrap());
        let rows = build_lookup(&s).unwrap();
        assert_eq!(rows.refused_list_addresses.len(), 8);
        assert!(
            !rows
                .refused_list_addresses
                .contains("team-owner@example.org")
        );
    }

    #[test]
    fn plans_never_show_a_whole_hash() {
        let mut s = source(&[]);
        mailbox(&mut s, "ada", true, false);
        let rows = build_lookup(&s).unwrap();
        let lines = diff(&BTreeSet::new(), &rows.rows());
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("+ mailbox ada@example.org"))
        );
        assert!(lines.iter().all(|l| !l.contains("argon2id$")), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("{ARGON2ID}…")));
    }
}
