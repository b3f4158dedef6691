//! Real Postfix + Dovecot over a SQLite lookup database: delivery, IMAP
//! login, aliases, unknown and disabled recipients, sender login map.
//! Skipped when not installed, unless REQUIRE_MAIL_TESTS=1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use konbit_testkit::mail::{
    MailServer, add_alias, add_domain, add_mailbox, create_lookup_db, dovecot_hash,
    imap_fetch_latest, lookup_pool, send, set_mailbox_enabled,
};
use sqlx::SqlitePool;
use tempfile::TempDir;

const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);
const OUTSIDE: &str = "someone@outside.test";

struct Setup {
    server: MailServer,
    db: SqlitePool,
    _dir: TempDir,
}

/// A temp dir, a lookup database with domain `example.test` and the given
/// mailboxes (password = local part + "-pw"), and the servers.
async fn setup(mailboxes: &[&str]) -> Result<Option<Setup>> {
    if !MailServer::available()? {
        return Ok(None);
    }
    let dir = tempfile::tempdir()?;
    let db_path: PathBuf = dir.path().join("lookup/mail.sqlite3");
    create_lookup_db(&db_path).await?;
    let db = lookup_pool(&db_path).await?;
    add_domain(&db, "example.test").await?;
    for address in mailboxes {
        let hash = dovecot_hash(&password(address)).await?;
        add_mailbox(&db, address, &hash, 0).await?;
    }
    let Some(server) = MailServer::try_start(&dir.path().join("servers"), &db_path).await? else {
        return Ok(None);
    };
    Ok(Some(Setup {
        server,
        db,
        _dir: dir,
    }))
}

fn password(address: &str) -> String {
    format!("{}-pw", address.split('@').next().unwrap_or(address))
}

/// Wait until `address`'s INBOX has a message whose text contains `needle`.
async fn wait_for_message(s: &Setup, address: &str, needle: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let latest = imap_fetch_latest(s.server.imap_addr(), address, &password(address))
            .await
            .unwrap();
        if let Some(text) = latest.filter(|t| t.contains(needle)) {
            return text;
        }
        assert!(
            started.elapsed() < DELIVERY_TIMEOUT,
            "no message with {needle:?} for {address}; maillog:\n{}\ndovecot:\n{}",
            s.server.maillog_tail(30),
            s.server.dovecot().log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn delivered_message_is_read_over_imap() {
    let Some(mut s) = setup(&["alice@example.test"]).await.unwrap() else {
        return;
    };
    assert_eq!(
        imap_fetch_latest(s.server.imap_addr(), "alice@example.test", "alice-pw")
            .await
            .unwrap(),
        None
    );
    send(
        s.server.smtp_addr(),
        OUTSIDE,
        &["alice@example.test"],
        "Hello Alice",
        "first message body",
        None,
    )
    .await
    .unwrap();
    let text = wait_for_message(&s, "alice@example.test", "first message body").await;
    assert!(text.contains("Subject: Hello Alice"), "{text}");

    // Postfix's master and its children stay in the watchdog's group, so
    // stopping leaves nothing behind.
    let master = s.server.postfix().pid();
    let pgid = s.server.postfix().pgid();
    assert_eq!(pgid_of(master), Some(pgid));
    s.server.stop();
    assert!(s.server.postfix().group_pids().is_empty());
    assert!(s.server.dovecot().group_pids().is_empty());
    assert_eq!(pgid_of(master), None, "postfix master {master} survived");
}

/// The process group of a live (non-zombie) process.
fn pgid_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    (fields.first() != Some(&"Z")).then(|| fields.get(2)?.parse().ok())?
}

#[tokio::test]
async fn wrong_imap_password_is_refused() {
    let Some(mut s) = setup(&["alice@example.test"]).await.unwrap() else {
        return;
    };
    let err = imap_fetch_latest(s.server.imap_addr(), "alice@example.test", "wrong")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("LOGIN refused") && err.contains(" NO "),
        "{err}"
    );
    s.server.stop();
}

#[tokio::test]
async fn alias_fans_out_to_two_mailboxes() {
    let Some(mut s) = setup(&["alice@example.test", "bob@example.test"])
        .await
        .unwrap()
    else {
        return;
    };
    add_alias(&s.db, "team@example.test", "alice@example.test")
        .await
        .unwrap();
    add_alias(&s.db, "team@example.test", "bob@example.test")
        .await
        .unwrap();
    send(
        s.server.smtp_addr(),
        OUTSIDE,
        &["team@example.test"],
        "To the team",
        "alias body",
        None,
    )
    .await
    .unwrap();
    for address in ["alice@example.test", "bob@example.test"] {
        let text = wait_for_message(&s, address, "alias body").await;
        assert!(text.contains("To: team@example.test"), "{text}");
    }
    s.server.stop();
}

#[tokio::test]
async fn unknown_and_disabled_recipients_are_refused_at_rcpt() {
    let Some(mut s) = setup(&["alice@example.test", "carol@example.test"])
        .await
        .unwrap()
    else {
        return;
    };
    let err = send(
        s.server.smtp_addr(),
        OUTSIDE,
        &["nobody@example.test"],
        "x",
        "x",
        None,
    )
    .await
    .unwrap_err();
    assert!(err.contains("550") && err.contains("User unknown"), "{err}");

    set_mailbox_enabled(&s.db, "carol@example.test", false)
        .await
        .unwrap();
    let err = send(
        s.server.smtp_addr(),
        OUTSIDE,
        &["carol@example.test"],
        "x",
        "x",
        None,
    )
    .await
    .unwrap_err();
    assert!(err.contains("550") && err.contains("User unknown"), "{err}");
    // A disabled mailbox cannot log in either.
    let err = imap_fetch_latest(s.server.imap_addr(), "carol@example.test", "carol-pw")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("LOGIN refused"), "{err}");
    // Mail to another domain is not relayed for an anonymous client.
    let err = send(
        s.server.smtp_addr(),
        OUTSIDE,
        &["x@elsewhere.test"],
        "x",
        "x",
        None,
    )
    .await
    .unwrap_err();
    assert!(err.contains("Relay access denied"), "{err}");
    s.server.stop();
}

#[tokio::test]
async fn authenticated_user_may_only_send_as_own_address() {
    let Some(mut s) = setup(&["alice@example.test", "bob@example.test"])
        .await
        .unwrap()
    else {
        return;
    };
    let alice = Some(("alice@example.test", "alice-pw"));
    let err = send(
        s.server.smtp_addr(),
        "bob@example.test",
        &["alice@example.test"],
        "forged",
        "forged body",
        alice,
    )
    .await
    .unwrap_err();
    assert!(
        err.contains("553") && err.contains("not owned by user alice@example.test"),
        "{err}"
    );
    // Nor anonymously.
    let err = send(
        s.server.smtp_addr(),
        "bob@example.test",
        &["alice@example.test"],
        "forged",
        "forged body",
        None,
    )
    .await
    .unwrap_err();
    assert!(err.contains("553"), "{err}");
    // A wrong password is refused.
    let err = send(
        s.server.smtp_addr(),
        "alice@example.test",
        &["bob@example.test"],
        "x",
        "x",
        Some(("alice@example.test", "wrong")),
    )
    .await
    .unwrap_err();
    assert!(err.contains("535"), "{err}");

    send(
        s.server.smtp_addr(),
        "alice@example.test",
        &["bob@example.test"],
        "from alice",
        "genuine body",
        alice,
    )
    .await
    .unwrap();
    let text = wait_for_message(&s, "bob@example.test", "genuine body").await;
    assert!(text.contains("From: alice@example.test"), "{text}");
    s.server.stop();
}
