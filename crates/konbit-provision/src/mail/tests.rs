//! The mail provisioner against a real store and a real lookup database
//! in a temporary directory; no daemon runs (sievec compiles the scripts
//! when it is installed).

use super::*;
use crate::Provisioner;
use konbit_core::mail::LocalPart;
use konbit_core::model::{AccountId, MailAliasId, MailboxId, Timestamp};
use konbit_core::names::{AccountName, DisplayName, Fqdn, Label};
use konbit_core::quota::QuotaLimits;
use konbit_store::{AutoreplyRow, DkimKeyRow, NewAccount, NewDomain, NewMailbox, NewQuotaProfile};
use sqlx::SqlitePool;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const T0: Timestamp = 1_000_000;
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
const PEM: &str =
    "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    account: AccountId,
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.db")).await.unwrap();
        store.migrate().await.unwrap();
        let mut tx = store.write().await.unwrap();
        let profile = tx
            .insert_quota_profile(
                &NewQuotaProfile {
                    name: Label::parse("name", "basic").unwrap(),
                    limits: QuotaLimits::starter(),
                },
                T0,
            )
            .await
            .unwrap();
        let account = tx
            .insert_account(
                &NewAccount {
                    name: AccountName::parse("name", "coop").unwrap(),
                    display_name: DisplayName::parse("display_name", "Coop").unwrap(),
                    quota_profile_id: profile,
                },
                T0,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        Self {
            dir,
            store,
            account,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn target(&self) -> MailTarget {
        let sievec = Path::new("/usr/bin/sievec");
        MailTarget {
            lookup_db: self.path("lookup/mail.db"),
            group: None,
            vmail_root: self.path("vmail"),
            sieve_dir: self.path("sieve"),
            sievec: sievec.exists().then(|| sievec.to_owned()),
            mail_group: None,
            dkim: Some(DkimTarget {
                dir: self.path("dkim"),
                pid_file: Some(self.path("dkim/opendkim.pid")),
                owner: None,
            }),
            busy_timeout: Duration::from_millis(200),
        }
    }

    fn provisioner(&self) -> MailProvisioner {
        MailProvisioner::new(self.store.clone(), self.target())
    }

    async fn domain(&self, name: &str, alias_of: Option<DomainId>) -> DomainId {
        let mut tx = self.store.write().await.unwrap();
        let id = tx
            .insert_domain(
                &NewDomain {
                    account_id: self.account,
                    name: Fqdn::parse("name", name, 2).unwrap(),
                    alias_of,
                    dnssec: false,
                    mail: alias_of.is_none(),
                },
                1,
                T0,
            )
            .await
            .unwrap();
        if alias_of.is_none() {
            tx.bump_mail_domain(id, self.account, T0).await.unwrap();
        }
        tx.commit().await.unwrap();
        id
    }

    async fn mailbox(&self, domain: DomainId, local: &str) -> MailboxId {
        let mut tx = self.store.write().await.unwrap();
        let id = tx
            .insert_mailbox(
                &NewMailbox {
                    account_id: self.account,
                    domain_id: domain,
                    local_part: LocalPart::parse("local_part", local).unwrap(),
                    password_hash: HASH.into(),
                    quota_mb: 10,
                },
                1,
                T0,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn alias(&self, domain: DomainId, local: &str, dests: &[&str]) -> MailAliasId {
        let mut tx = self.store.write().await.unwrap();
        let dests: Vec<String> = dests.iter().map(|d| d.to_string()).collect();
        let id = tx
            .insert_mail_alias(self.account, domain, local, &dests, 1, T0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn autoreply(&self, mailbox: MailboxId, enabled: bool, body: &str) {
        let mut tx = self.store.write().await.unwrap();
        tx.put_autoreply(
            mailbox,
            &AutoreplyRow {
                enabled,
                subject: "Away".into(),
                body: body.into(),
                start_date: Some("2026-01-01".into()),
                end_date: None,
                updated_at: T0,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    async fn dkim_key(&self, domain: DomainId, selector: &str) {
        let mut tx = self.store.write().await.unwrap();
        tx.insert_dkim_key(
            domain,
            &DkimKeyRow {
                selector: selector.into(),
                private_key: PEM.into(),
                public_key: "AAAA".into(),
                created_at: T0,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    async fn lookup(&self) -> SqlitePool {
        SqlitePool::connect(&format!(
            "sqlite://{}",
            self.path("lookup/mail.db").display()
        ))
        .await
        .unwrap()
    }
}

/// What Postfix gets for `key` from one of its queries.
async fn postfix(pool: &SqlitePool, query: &str, key: &str) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(query.replace("%s", key)))
        .fetch_all(pool)
        .await
        .unwrap();
    rows.sort();
    rows
}

/// What `virtual_alias_maps` makes of an address: its own key, or else its
/// domain's catch-all, as Postfix tries them.
async fn rewrite(pool: &SqlitePool, address: &str) -> Vec<String> {
    let found = postfix(pool, schema::postfix_queries::ALIASES, address).await;
    match address.split_once('@') {
        Some((_, domain)) if found.is_empty() => {
            postfix(
                pool,
                schema::postfix_queries::ALIASES,
                &format!("@{domain}"),
            )
            .await
        }
        _ => found,
    }
}

async fn pairs(pool: &SqlitePool, sql: &'static str) -> Vec<(String, String)> {
    sqlx::query_as(sql).fetch_all(pool).await.unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test]
async fn serves_edits_stops_and_removes_a_domain() {
    use schema::postfix_queries::{ALIASES, DOMAINS, MAILBOXES, SENDER_LOGINS};
    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    f.domain("example.net", Some(d)).await;
    let ada = f.mailbox(d, "ada").await;
    let bob = f.mailbox(d, "bob").await;
    let info = f
        .alias(d, "info", &["ada@example.org", "bob@example.org"])
        .await;
    f.alias(d, "", &["ada@example.org"]).await;
    f.autoreply(ada, true, "I am away.").await;
    f.dkim_key(d, "k1").await;
    let p = f.provisioner();

    let applied = p.apply(d.0, 1).await.unwrap();
    assert!(
        applied.changes.iter().any(|c| c == "+ domain example.org"),
        "{applied:?}"
    );
    let db = f.lookup().await;
    assert_eq!(postfix(&db, DOMAINS, "example.net").await, ["example.net"]);
    assert_eq!(
        postfix(&db, MAILBOXES, "bob@example.org").await,
        ["bob@example.org"]
    );
    // A mailbox keeps its own mail despite the catch-all.
    assert_eq!(
        postfix(&db, ALIASES, "ada@example.org").await,
        ["ada@example.org"]
    );
    assert_eq!(
        rewrite(&db, "nobody@example.org").await,
        ["ada@example.org"]
    );
    assert_eq!(
        postfix(&db, ALIASES, "info@example.org").await,
        ["ada@example.org", "bob@example.org"]
    );
    assert_eq!(
        postfix(&db, ALIASES, "bob@example.net").await,
        ["bob@example.org"]
    );
    assert_eq!(rewrite(&db, "x@example.net").await, ["ada@example.org"]);
    assert_eq!(
        postfix(&db, SENDER_LOGINS, "info@example.org").await,
        ["ada@example.org", "bob@example.org"]
    );
    let identity: Vec<(String, String)> = pairs(
        &db,
        "SELECT source, destination FROM aliases WHERE source = destination",
    )
    .await;
    assert!(identity.is_empty(), "{identity:?}");
    let (hash, quota, maildir): (String, i64, String) = sqlx::query_as(
        "SELECT password_hash, quota_bytes, maildir FROM mailboxes WHERE address = 'ada@example.org'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(hash, format!("{{ARGON2ID}}{HASH}"));
    assert_eq!(quota, 10 * 1024 * 1024);
    assert_eq!(maildir, "example.org/ada");

    // The automatic reply answers the mailbox and its aliases.
    let script = f.path("sieve/ada@example.org.sieve");
    let text = read(&script);
    for a in [
        "ada@example.org",
        "info@example.org",
        "ada@example.net",
        "info@example.net",
    ] {
        assert!(text.contains(a), "{a} in {text}");
    }
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    if f.target().sievec.is_some() {
        assert!(f.path("sieve/ada@example.org.svbin").exists());
    }

    // DKIM: the key, then the tables naming it, for the alias too.
    let key = f.path("dkim/keys/example.org/k1.private");
    assert_eq!(read(&key), PEM);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let k = key.display();
    assert_eq!(
        read(&f.path("dkim/KeyTable")),
        format!(
            "k1._domainkey.example.org example.org:k1:{k}\nk1._domainkey.example.net example.net:k1:{k}\n"
        )
    );
    assert_eq!(
        read(&f.path("dkim/SigningTable")),
        "*@example.org k1._domainkey.example.org\n*@example.net k1._domainkey.example.net\n"
    );

    // Applying again changes nothing, and the plan is empty.
    assert_eq!(p.apply(d.0, 1).await.unwrap().changes, Vec::<String>::new());
    assert_eq!(p.plan(d.0, Some(1)).await.unwrap(), Vec::<String>::new());

    // Edits: bob disabled, the alias deleted, the reply off, a key
    // rotation, a purged mailbox's mail left on disk.
    let home = f.path("vmail/example.org");
    std::fs::create_dir_all(home.join("ada/Maildir/cur")).unwrap();
    std::fs::create_dir_all(home.join("ghost/Maildir/cur")).unwrap();
    let mut tx = f.store.write().await.unwrap();
    tx.update_mailbox(bob, 10, false, 2, T0).await.unwrap();
    tx.delete_mail_alias(info).await.unwrap();
    tx.commit().await.unwrap();
    f.autoreply(ada, false, "I am away.").await;
    f.dkim_key(d, "k2").await;
    let plan = p.plan(d.0, Some(2)).await.unwrap();
    assert!(
        plan.iter()
            .any(|l| l.starts_with("- alias info@example.org")),
        "{plan:?}"
    );
    assert!(
        plan.iter()
            .any(|l| l.contains("- mail in") && l.contains("ghost")),
        "{plan:?}"
    );
    assert!(plan.iter().all(|l| !l.contains("argon2id$")), "{plan:?}");
    p.apply(d.0, 2).await.unwrap();
    assert!(postfix(&db, MAILBOXES, "bob@example.org").await.is_empty());
    // Refused at RCPT rather than caught by the catch-all.
    assert_eq!(
        postfix(&db, ALIASES, "bob@example.org").await,
        ["bob@example.org"]
    );
    assert!(postfix(&db, ALIASES, "info@example.org").await.is_empty());
    assert_eq!(rewrite(&db, "info@example.org").await, ["ada@example.org"]);
    assert!(
        postfix(&db, SENDER_LOGINS, "info@example.org")
            .await
            .is_empty()
    );
    assert!(!script.exists());
    assert!(!f.path("sieve/ada@example.org.svbin").exists());
    assert!(home.join("ada/Maildir/cur").is_dir());
    assert!(!home.join("ghost").exists());
    assert!(read(&f.path("dkim/KeyTable")).contains("example.org:k2:"));
    assert!(!key.exists(), "the old key is removed after the reload");

    // Mail off: nothing served, the stored mail kept.
    let mut tx = f.store.write().await.unwrap();
    tx.set_domain_mail(d, false).await.unwrap();
    tx.commit().await.unwrap();
    p.apply(d.0, 3).await.unwrap();
    assert!(postfix(&db, DOMAINS, "example.org").await.is_empty());
    assert!(postfix(&db, ALIASES, "ada@example.org").await.is_empty());
    assert_eq!(read(&f.path("dkim/KeyTable")), "");
    assert!(home.join("ada/Maildir").is_dir());
    assert!(p.all_ids().await.unwrap().contains(&d.0));

    // Purged from the store: the removal deletes the stored mail too.
    let mut tx = f.store.write().await.unwrap();
    for alias in tx.domain_aliases(d).await.unwrap() {
        tx.purge_domain(alias.id).await.unwrap();
    }
    tx.purge_domain(d).await.unwrap();
    tx.commit().await.unwrap();
    let plan = p.plan(d.0, None).await.unwrap();
    assert!(
        plan.iter().any(|l| l.contains("would be removed")),
        "{plan:?}"
    );
    let removed = p.remove(d.0).await.unwrap();
    assert!(
        removed.changes.iter().any(|c| c.contains("mail in")),
        "{removed:?}"
    );
    assert!(!home.exists());
    assert!(!p.all_ids().await.unwrap().contains(&d.0));
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM domains) + (SELECT COUNT(*) FROM mailboxes) \
         + (SELECT COUNT(*) FROM aliases) + (SELECT COUNT(*) FROM sender_logins)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_batch_applies_many_domains_and_blames_only_the_bad_one() {
    let f = Fixture::new().await;
    let a = f.domain("a.example", None).await;
    let b = f.domain("b.example", None).await;
    let c = f.domain("c.example", None).await;
    f.mailbox(a, "ada").await;
    f.mailbox(c, "cid").await;
    // A destination the store's rules would refuse, written behind their
    // back.
    f.alias(b, "info", &["not an address"]).await;
    let p = f.provisioner();
    let results = p.apply_many(&[(a.0, 1), (b.0, 1), (c.0, 1)]).await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(
        matches!(&results[1], Err(ProvisionError::Invalid { reason }) if reason.contains("info@b.example")),
        "{results:?}"
    );
    let db = f.lookup().await;
    let owners: Vec<(String, String)> = pairs(
        &db,
        "SELECT address, CAST(owner AS TEXT) FROM mailboxes ORDER BY address",
    )
    .await;
    assert_eq!(
        owners,
        [
            ("ada@a.example".to_owned(), a.0.to_string()),
            ("cid@c.example".to_owned(), c.0.to_string())
        ]
    );
}

#[tokio::test]
async fn a_name_held_by_a_purged_domain_is_taken_over_without_its_mail() {
    let f = Fixture::new().await;
    let old = f.domain("example.org", None).await;
    f.mailbox(old, "ada").await;
    let p = f.provisioner();
    p.apply(old.0, 1).await.unwrap();
    let home = f.path("vmail/example.org/ada/Maildir");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("secret"), b"old mail").unwrap();
    // Purged, and its removal has not run yet.
    let mut tx = f.store.write().await.unwrap();
    tx.purge_domain(old).await.unwrap();
    tx.commit().await.unwrap();
    let new = f.domain("example.org", None).await;
    f.mailbox(new, "ada").await;
    p.apply(new.0, 1).await.unwrap();
    assert!(!home.join("secret").exists());
    let db = f.lookup().await;
    let owner: i64 =
        sqlx::query_scalar("SELECT owner FROM mailboxes WHERE address = 'ada@example.org'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(owner, new.0);
}

#[tokio::test]
async fn a_name_held_by_a_live_domain_is_invalid() {
    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    let other = f.domain("other.example", None).await;
    let p = f.provisioner();
    p.apply(other.0, 1).await.unwrap();
    let db = f.lookup().await;
    sqlx::query("INSERT INTO domains (name, owner) VALUES ('example.org', $1)")
        .bind(other.0)
        .execute(&db)
        .await
        .unwrap();
    let err = p.apply(d.0, 1).await.unwrap_err();
    assert!(
        matches!(&err, ProvisionError::Invalid { reason } if reason.contains("example.org")),
        "{err}"
    );
}

#[tokio::test]
async fn a_busy_database_is_transient() {
    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    let p = f.provisioner();
    p.apply(d.0, 1).await.unwrap();
    f.mailbox(d, "ada").await;
    let db = f.lookup().await;
    let holder = db.begin_with("BEGIN IMMEDIATE").await.unwrap();
    let err = p.apply(d.0, 2).await.unwrap_err();
    assert!(matches!(err, ProvisionError::Transient(_)), "{err}");
    holder.rollback().await.unwrap();
    p.apply(d.0, 2).await.unwrap();
}

#[tokio::test]
async fn a_lookup_database_that_cannot_be_created_is_fatal() {
    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    std::fs::write(f.path("file"), b"").unwrap();
    let mut target = f.target();
    target.lookup_db = f.path("file/mail.db");
    let p = MailProvisioner::new(f.store.clone(), target);
    let err = p.apply(d.0, 1).await.unwrap_err();
    assert!(matches!(err, ProvisionError::Fatal(_)), "{err}");
}

#[tokio::test]
async fn a_script_sievec_refuses_is_invalid_and_not_installed() {
    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    let ada = f.mailbox(d, "ada").await;
    f.autoreply(ada, true, "Away.").await;
    let mut target = f.target();
    target.sievec = Some("/bin/false".into());
    let p = MailProvisioner::new(f.store.clone(), target);
    let err = p.apply(d.0, 1).await.unwrap_err();
    assert!(
        matches!(&err, ProvisionError::Invalid { reason } if reason.contains("ada@example.org")),
        "{err}"
    );
    assert!(!f.path("sieve/ada@example.org.sieve").exists());
    let stray: Vec<_> = std::fs::read_dir(f.path("sieve")).unwrap().collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[tokio::test]
async fn opendkim_is_told_to_reload_its_tables() {
    use std::os::unix::process::ExitStatusExt;
    // A stand-in for OpenDKIM: `sleep` under OpenDKIM's name, which
    // SIGUSR1 ends.
    let bin = tempfile::tempdir().unwrap();
    let opendkim = bin.path().join("opendkim");
    std::fs::copy("/bin/sleep", &opendkim).unwrap();
    // A pid file naming another program (a dead OpenDKIM's pid, taken
    // since): nothing is signalled.
    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    f.dkim_key(d, "k1").await;
    let mut other = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::create_dir_all(f.path("dkim")).unwrap();
    std::fs::write(f.path("dkim/opendkim.pid"), format!("{}\n", other.id())).unwrap();
    let applied = f.provisioner().apply(d.0, 1).await.unwrap();
    assert!(
        !applied.changes.iter().any(|c| c.contains("reload")),
        "{applied:?}"
    );
    assert!(matches!(other.try_wait(), Ok(None)), "still running");
    let _ = other.kill();
    let _ = other.wait();

    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    f.dkim_key(d, "k1").await;
    let mut daemon = std::process::Command::new(&opendkim)
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::create_dir_all(f.path("dkim")).unwrap();
    std::fs::write(f.path("dkim/opendkim.pid"), format!("{}\n", daemon.id())).unwrap();
    let applied = f.provisioner().apply(d.0, 1).await.unwrap();
    assert!(
        applied.changes.iter().any(|c| c.contains("reload")),
        "{applied:?}"
    );
    let status = daemon.wait().unwrap();
    assert_eq!(status.signal(), Some(10), "SIGUSR1");
}

#[tokio::test]
async fn usage_is_measured_per_mailbox() {
    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    let ada = f.mailbox(d, "ada").await;
    f.mailbox(d, "bob").await;
    let md = f.path("vmail/example.org/ada/Maildir/cur");
    std::fs::create_dir_all(&md).unwrap();
    std::fs::write(md.join("1"), vec![0u8; 1234]).unwrap();
    let n = refresh_usage(&f.store, &f.target()).await.unwrap();
    assert_eq!(n, 2);
    let mut tx = f.store.read().await.unwrap();
    let m = tx.mailbox(ada).await.unwrap();
    assert_eq!(m.used_bytes, 1234);
    assert!(m.used_at.is_some());
}

#[tokio::test]
async fn a_stored_reply_that_fails_its_rules_is_invalid() {
    let f = Fixture::new().await;
    let d = f.domain("example.org", None).await;
    let ada = f.mailbox(d, "ada").await;
    f.autoreply(ada, true, "   ").await;
    let err = f.provisioner().apply(d.0, 1).await.unwrap_err();
    assert!(
        matches!(&err, ProvisionError::Invalid { reason } if reason.contains("ada@example.org") && reason.contains("body")),
        "{err}"
    );
    // Turned off, it is not checked: nothing is served from it.
    f.autoreply(ada, false, "   ").await;
    f.provisioner().apply(d.0, 2).await.unwrap();
}

/// Mailing lists: every address of a live list is routed to Mailman (the
/// transport and the identity rows as Postfix reads them), under the domain
/// alias too; a deleted list, mail turned off and a domain's removal take
/// them away; and a lookup database written before `list_routes` existed
/// gains the table.
#[tokio::test]
async fn lists_are_routed_while_they_live() {
    use konbit_core::list::{ListName, ListSettings};
    use schema::postfix_queries::{ALIASES_WITH_LISTS, list_senders, list_transport};
    let f = Fixture::new().await;

    // A database as the previous release wrote it: no list_routes.
    let old = f.path("lookup/mail.db");
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    let pool = SqlitePool::connect(&format!("sqlite://{}?mode=rwc", old.display()))
        .await
        .unwrap();
    let previous = schema::LOOKUP_SCHEMA
        .split(";\n")
        .filter(|stmt| !stmt.contains("list_routes"))
        .collect::<Vec<_>>()
        .join(";\n");
    sqlx::raw_sql(sqlx::AssertSqlSafe(previous))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let d = f.domain("example.org", None).await;
    f.domain("example.net", Some(d)).await;
    f.mailbox(d, "ada").await;
    f.alias(d, "", &["ada@example.org"]).await;
    let mut tx = f.store.write().await.unwrap();
    let team = tx
        .insert_mailing_list(
            f.account,
            d,
            &ListName::parse("name", "team").unwrap(),
            &ListSettings::default(),
            T0,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let p = f.provisioner();
    let plan = p.plan(d.0, Some(1)).await.unwrap();
    assert!(
        plan.contains(&"+ list address team-confirm@example.org (to Mailman)".to_owned()),
        "{plan:?}"
    );
    p.apply(d.0, 1).await.unwrap();

    let db = f.lookup().await;
    let transport = list_transport("lmtp:inet:[127.0.0.1]:8024");
    for a in [
        "team@example.org",
        "team-bounces@example.org",
        "TEAM-Confirm@example.org",
    ] {
        assert_eq!(
            postfix(&db, &transport, a).await,
            ["lmtp:inet:[127.0.0.1]:8024"],
            "{a}"
        );
        // Known, and never the catch-all's.
        assert_eq!(
            postfix(&db, ALIASES_WITH_LISTS, a).await,
            [a.to_ascii_lowercase()],
            "{a}"
        );
    }
    // The catch-all still takes the rest; mailboxes are unchanged.
    assert!(
        postfix(&db, ALIASES_WITH_LISTS, "x@example.org")
            .await
            .is_empty()
    );
    assert_eq!(
        postfix(&db, ALIASES_WITH_LISTS, "@example.org").await,
        ["ada@example.org"]
    );
    assert_eq!(
        postfix(&db, ALIASES_WITH_LISTS, "ada@example.org").await,
        ["ada@example.org"]
    );
    assert!(postfix(&db, &transport, "ada@example.org").await.is_empty());
    assert!(postfix(&db, &transport, "example.org").await.is_empty());
    // The domain alias leads to the list's own addresses.
    assert_eq!(
        postfix(&db, ALIASES_WITH_LISTS, "team-join@example.net").await,
        ["team-join@example.org"]
    );
    assert!(
        postfix(&db, &transport, "team@example.net")
            .await
            .is_empty()
    );
    // Mailman's listener: list addresses and the site owner only.
    let senders = list_senders(Some("owner@konbit.test"));
    assert_eq!(
        postfix(&db, &senders, "team-bounces@example.org").await,
        ["OK"]
    );
    assert_eq!(postfix(&db, &senders, "Owner@Konbit.test").await, ["OK"]);
    assert!(postfix(&db, &senders, "ada@example.org").await.is_empty());
    assert!(postfix(&db, &senders, "team@example.net").await.is_empty());

    // Nothing to do twice.
    assert_eq!(p.apply(d.0, 1).await.unwrap().changes, Vec::<String>::new());

    // Deleted: its addresses are no longer Mailman's.
    let mut tx = f.store.write().await.unwrap();
    tx.set_mailing_list_deleted(team, Some((T0, T0 + 10)), T0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let applied = p.apply(d.0, 2).await.unwrap();
    assert!(
        applied
            .changes
            .contains(&"- list address team@example.org (to Mailman)".to_owned()),
        "{applied:?}"
    );
    let count = |db: SqlitePool| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM list_routes")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(count(db.clone()).await, 0);
    // Refused at RCPT during the grace period, under the domain and its
    // domain alias, and known (mapped to itself), so never the catch-all's.
    let refuse = schema::postfix_queries::DISABLED_WITH_LISTS;
    for a in ["team-join@example.net", "Team@example.org"] {
        assert_eq!(
            postfix(&db, ALIASES_WITH_LISTS, a).await,
            [a.to_ascii_lowercase()],
            "{a}"
        );
        assert_eq!(
            postfix(&db, refuse, a).await,
            ["550 5.1.1 User unknown"],
            "{a}"
        );
        assert!(postfix(&db, &transport, a).await.is_empty(), "{a}");
    }
    assert!(postfix(&db, refuse, "x@example.org").await.is_empty());
    assert!(postfix(&db, refuse, "ada@example.org").await.is_empty());
    let refused = |db: SqlitePool| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM refused_list_addresses")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(refused(db.clone()).await, 18);

    // Restored, then mail off: not served while the domain is not.
    let mut tx = f.store.write().await.unwrap();
    tx.set_mailing_list_deleted(team, None, T0).await.unwrap();
    tx.commit().await.unwrap();
    p.apply(d.0, 3).await.unwrap();
    assert_eq!(count(db.clone()).await, 9);
    assert_eq!(refused(db.clone()).await, 0);
    let mut tx = f.store.write().await.unwrap();
    tx.set_domain_mail(d, false).await.unwrap();
    tx.commit().await.unwrap();
    p.apply(d.0, 4).await.unwrap();
    assert_eq!(count(db.clone()).await, 0);
    let mut tx = f.store.write().await.unwrap();
    tx.set_domain_mail(d, true).await.unwrap();
    tx.commit().await.unwrap();
    p.apply(d.0, 5).await.unwrap();
    assert_eq!(count(db.clone()).await, 9);

    // Purged with its domain: the removal takes the routes too.
    let mut tx = f.store.write().await.unwrap();
    tx.purge_mailing_list(team).await.unwrap();
    for alias in tx.domain_aliases(d).await.unwrap() {
        tx.purge_domain(alias.id).await.unwrap();
    }
    tx.purge_domain(d).await.unwrap();
    tx.commit().await.unwrap();
    p.remove(d.0).await.unwrap();
    assert_eq!(count(db.clone()).await, 0);
}
