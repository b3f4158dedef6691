//! Real Postfix + Dovecot (+ OpenDKIM, + PowerDNS for DKIM keys) over a
//! SQLite lookup database, configured by Konbit's own templates: delivery,
//! IMAP login, aliases, unknown and disabled recipients, sender login map,
//! submission over TLS, quota, the internal listener, DKIM and automatic
//! replies. Skipped when not installed, unless REQUIRE_MAIL_TESTS=1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use konbit_core::mail::{MailAddress, parse_autoreply, vacation_sieve};
use konbit_provision::mail::config::MailTools;
use konbit_testkit::mail::{
    MailOptions, MailServer, Tls, add_alias, add_domain, add_mailbox, build_message,
    create_lookup_db, dkim_verify, dovecot_hash, imap_count, imap_fetch_latest, imap_login_ok,
    lookup_pool, send, send_submission, set_mailbox_enabled, set_mailbox_quota, smtp_probe,
};
use konbit_testkit::pdns::PowerDns;
use sqlx::SqlitePool;
use tempfile::TempDir;

const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);
const OUTSIDE: &str = "someone@outside.test";

struct Setup {
    server: MailServer,
    db: SqlitePool,
    dir: TempDir,
}

/// A temp dir, a lookup database with domain `example.test` and the given
/// mailboxes (password = local part + "-pw"), and the servers.
async fn setup(mailboxes: &[&str]) -> Result<Option<Setup>> {
    setup_with(mailboxes, &MailOptions::default()).await
}

async fn setup_with(mailboxes: &[&str], options: &MailOptions) -> Result<Option<Setup>> {
    if !MailServer::available_with(options)? {
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
    let Some(server) =
        MailServer::try_start_with(&dir.path().join("servers"), &db_path, options).await?
    else {
        return Ok(None);
    };
    Ok(Some(Setup { server, db, dir }))
}

fn password(address: &str) -> String {
    format!("{}-pw", address.split('@').next().unwrap_or(address))
}

fn login(address: &str) -> (String, String) {
    (address.to_owned(), password(address))
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

/// Submit as `address` (logged in as itself) over STARTTLS.
async fn submit_as(s: &Setup, address: &str, to: &str, raw: &str) -> Result<(), String> {
    let (user, pw) = login(address);
    send_submission(
        s.server.submission_addr(),
        Tls::Starttls,
        Some((&user, &pw)),
        address,
        &[to],
        raw,
    )
    .await
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
    assert!(
        !imap_login_ok(s.server.imap_addr(), "alice@example.test", "wrong")
            .await
            .unwrap()
    );
    assert!(
        imap_login_ok(s.server.imap_addr(), "alice@example.test", "alice-pw")
            .await
            .unwrap()
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

    // The production path on running daemons: write, check, reload.
    let services = s.server.services();
    let tools = MailTools::default();
    services.write_and_check(&tools).await.unwrap();
    services.reload_postfix(&tools).await.unwrap();
    services.reload_dovecot(&tools).await.unwrap();
    s.server
        .wait_for_maillog(&["reload -- version"], DELIVERY_TIMEOUT)
        .await
        .unwrap();
    send(
        s.server.smtp_addr(),
        OUTSIDE,
        &["team@example.test"],
        "Again",
        "after the reload",
        None,
    )
    .await
    .unwrap();
    wait_for_message(&s, "bob@example.test", "after the reload").await;
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
    // Mail to another domain is not relayed for an anonymous client, not
    // even from loopback (no permit_mynetworks on the MX).
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
    let forged = build_message(
        "bob@example.test",
        &["alice@example.test"],
        "forged",
        "forged body",
        &[],
    )
    .unwrap();
    let err = submit_as_login(&s, "alice@example.test", "bob@example.test", &forged)
        .await
        .unwrap_err();
    assert!(
        err.contains("553") && err.contains("not owned by user alice@example.test"),
        "{err}"
    );
    // Nor anonymously on the MX: a hosted address needs its login.
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
    let err = send_submission(
        s.server.submission_addr(),
        Tls::Starttls,
        Some(("alice@example.test", "wrong")),
        "alice@example.test",
        &["bob@example.test"],
        &forged,
    )
    .await
    .unwrap_err();
    assert!(err.contains("535"), "{err}");

    let genuine = build_message(
        "alice@example.test",
        &["bob@example.test"],
        "from alice",
        "genuine body",
        &[],
    )
    .unwrap();
    submit_as(&s, "alice@example.test", "bob@example.test", &genuine)
        .await
        .unwrap();
    let text = wait_for_message(&s, "bob@example.test", "genuine body").await;
    assert!(text.contains("From: alice@example.test"), "{text}");
    s.server.stop();
}

/// Logged in as `login`, envelope sender `from`, to alice.
async fn submit_as_login(s: &Setup, login_as: &str, from: &str, raw: &str) -> Result<(), String> {
    let (user, pw) = login(login_as);
    send_submission(
        s.server.submission_addr(),
        Tls::Starttls,
        Some((&user, &pw)),
        from,
        &["alice@example.test"],
        raw,
    )
    .await
}

#[tokio::test]
async fn submission_needs_tls_before_auth_and_a_login() {
    let Some(mut s) = setup(&["alice@example.test", "bob@example.test"])
        .await
        .unwrap()
    else {
        return;
    };
    // Before STARTTLS: no AUTH offered, AUTH and MAIL refused.
    let replies = smtp_probe(
        s.server.submission_addr(),
        &[
            "EHLO client.konbit.test",
            "AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1wdw==",
            "MAIL FROM:<alice@example.test>",
            "QUIT",
        ],
    )
    .await
    .unwrap();
    let ehlo = &replies[1];
    assert!(ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
    assert!(replies[2].starts_with('5'), "AUTH before TLS: {replies:?}");
    assert!(
        replies[3].starts_with("530") && replies[3].contains("STARTTLS"),
        "{replies:?}"
    );
    let raw = build_message("alice@example.test", &["bob@example.test"], "x", "x", &[]).unwrap();
    let (user, pw) = login("alice@example.test");
    let err = send_submission(
        s.server.submission_addr(),
        Tls::None,
        Some((&user, &pw)),
        "alice@example.test",
        &["bob@example.test"],
        &raw,
    )
    .await
    .unwrap_err();
    assert!(
        err.contains("530") && err.contains("Must issue a STARTTLS command first"),
        "{err}"
    );
    // TLS without a login: refused.
    let err = send_submission(
        s.server.submission_addr(),
        Tls::Starttls,
        None,
        "alice@example.test",
        &["bob@example.test"],
        &raw,
    )
    .await
    .unwrap_err();
    assert!(
        err.contains("554") && err.contains("Access denied"),
        "{err}"
    );
    // The MX offers no AUTH at all (nor after STARTTLS: curl, finding no
    // AUTH, goes on without logging in, and alice's address needs a login).
    let err = send_submission(
        s.server.smtp_addr(),
        Tls::Starttls,
        Some((&user, &pw)),
        "alice@example.test",
        &["bob@example.test"],
        &raw,
    )
    .await
    .unwrap_err();
    assert!(err.contains("553"), "{err}");
    let replies = smtp_probe(
        s.server.smtp_addr(),
        &[
            "EHLO client.konbit.test",
            "AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1wdw==",
        ],
    )
    .await
    .unwrap();
    assert!(!replies[1].contains("AUTH"), "{replies:?}");
    assert!(replies[2].starts_with('5'), "{replies:?}");
    s.server.stop();
}

#[tokio::test]
async fn submission_over_starttls_and_implicit_tls() {
    let Some(mut s) = setup(&["alice@example.test", "bob@example.test"])
        .await
        .unwrap()
    else {
        return;
    };
    // 587, STARTTLS: alice as herself.
    let raw = build_message(
        "alice@example.test",
        &["bob@example.test"],
        "over 587",
        "body over starttls",
        &[],
    )
    .unwrap();
    submit_as(&s, "alice@example.test", "bob@example.test", &raw)
        .await
        .unwrap();
    wait_for_message(&s, "bob@example.test", "body over starttls").await;
    // …but not as bob.
    let forged = build_message(
        "bob@example.test",
        &["alice@example.test"],
        "forged",
        "x",
        &[],
    )
    .unwrap();
    let err = submit_as_login(&s, "alice@example.test", "bob@example.test", &forged)
        .await
        .unwrap_err();
    assert!(
        err.contains("553") && err.contains("not owned by user alice@example.test"),
        "{err}"
    );

    // 465, implicit TLS: bob as himself, to an outside address too (relayed
    // for a logged-in user; it then waits in the queue, there is no DNS).
    let raw = build_message(
        "bob@example.test",
        &["alice@example.test"],
        "over 465",
        "body over implicit tls",
        &[],
    )
    .unwrap();
    let (user, pw) = login("bob@example.test");
    send_submission(
        s.server.submissions_addr(),
        Tls::Implicit,
        Some((&user, &pw)),
        "bob@example.test",
        &["alice@example.test", "x@elsewhere.test"],
        &raw,
    )
    .await
    .unwrap();
    let text = wait_for_message(&s, "alice@example.test", "body over implicit tls").await;
    assert!(text.contains("Subject: over 465"), "{text}");
    s.server
        .wait_for_maillog(
            &[
                "postfix/submissions/smtpd",
                "sasl_username=bob@example.test",
            ],
            DELIVERY_TIMEOUT,
        )
        .await
        .unwrap();
    s.server.stop();
}

#[tokio::test]
async fn over_quota_mail_is_refused_and_the_mailbox_stays_readable() {
    let Some(mut s) = setup(&["alice@example.test"]).await.unwrap() else {
        return;
    };
    send(
        s.server.smtp_addr(),
        OUTSIDE,
        &["alice@example.test"],
        "before",
        "mail from before the quota",
        None,
    )
    .await
    .unwrap();
    wait_for_message(&s, "alice@example.test", "mail from before the quota").await;
    // Now far over quota: the quota-status policy refuses at RCPT, so the
    // sending client gets the error and we send no bounce.
    set_mailbox_quota(&s.db, "alice@example.test", 100)
        .await
        .unwrap();
    let err = send(
        s.server.smtp_addr(),
        OUTSIDE,
        &["alice@example.test"],
        "after",
        "refused body",
        None,
    )
    .await
    .unwrap_err();
    assert!(
        err.contains("552") && err.contains("Mailbox is full"),
        "{err}"
    );
    s.server
        .wait_for_maillog(&["NOQUEUE: reject", "Mailbox is full"], DELIVERY_TIMEOUT)
        .await
        .unwrap();
    // A message that would cross the limit is refused up front too, when
    // the client declares its size (curl sends SIZE=).
    set_mailbox_quota(&s.db, "alice@example.test", 50_000)
        .await
        .unwrap();
    let big = build_message(
        OUTSIDE,
        &["alice@example.test"],
        "big",
        &"0123456789abcdef\n".repeat(6_000),
        &[],
    )
    .unwrap();
    let err = send_submission(
        s.server.smtp_addr(),
        Tls::None,
        None,
        OUTSIDE,
        &["alice@example.test"],
        &big,
    )
    .await
    .unwrap_err();
    assert!(err.contains("552"), "{err}");

    assert_eq!(
        imap_count(s.server.imap_addr(), "alice@example.test", "alice-pw")
            .await
            .unwrap(),
        1
    );
    let text = imap_fetch_latest(s.server.imap_addr(), "alice@example.test", "alice-pw")
        .await
        .unwrap()
        .unwrap();
    assert!(text.contains("mail from before the quota"), "{text}");
    s.server.stop();
}

#[tokio::test]
async fn internal_listener_relays_only_the_null_sender() {
    let Some(mut s) = setup(&["alice@example.test"]).await.unwrap() else {
        return;
    };
    let replies = smtp_probe(
        s.server.internal_addr(),
        &[
            "EHLO localhost",
            "MAIL FROM:<someone@outside.test>",
            "RCPT TO:<x@elsewhere.test>",
            "RSET",
            "MAIL FROM:<alice@example.test>",
            "RCPT TO:<x@elsewhere.test>",
            "RSET",
            "MAIL FROM:<>",
            "RCPT TO:<x@elsewhere.test>",
            "RCPT TO:<alice@example.test>",
            "QUIT",
        ],
    )
    .await
    .unwrap();
    assert!(!replies[1].contains("AUTH"), "{replies:?}");
    assert!(replies[2].starts_with("250"), "{replies:?}");
    assert!(
        replies[3].starts_with("554") && replies[3].contains("Relay access denied"),
        "a non-null sender relayed out: {replies:?}"
    );
    // A hosted address as sender needs its login, as on the MX.
    assert!(replies[6].starts_with("553"), "{replies:?}");
    assert!(replies[8].starts_with("250"), "{replies:?}");
    assert!(
        replies[9].starts_with("250"),
        "null sender refused: {replies:?}"
    );
    assert!(replies[10].starts_with("250"), "{replies:?}");
    s.server.stop();
}

#[tokio::test]
async fn submitted_mail_is_dkim_signed_and_verifies_against_dns() {
    let options = MailOptions { dkim: true };
    let Some(mut s) = setup_with(&["alice@example.test", "bob@example.test"], &options)
        .await
        .unwrap()
    else {
        return;
    };
    let Some(pdns) = PowerDns::try_start(&s.dir.path().join("pdns"))
        .await
        .unwrap()
    else {
        return;
    };
    let txt = s.server.add_dkim_key("example.test", "k1").await.unwrap();
    pdns.pdnsutil(&["create-zone", "example.test", "ns1.example.test"])
        .unwrap();
    // One quoted string per 255 characters, as DNS TXT strings are.
    let chunks: Vec<String> = txt
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    pdns.pdnsutil(&[
        "add-record",
        "example.test",
        "k1._domainkey",
        "TXT",
        "300",
        &chunks.join(" "),
    ])
    .unwrap();

    let raw = build_message(
        "alice@example.test",
        &["bob@example.test"],
        "signed",
        "a signed body\nwith two lines",
        &[],
    )
    .unwrap();
    submit_as(&s, "alice@example.test", "bob@example.test", &raw)
        .await
        .unwrap();
    let text = wait_for_message(&s, "bob@example.test", "a signed body").await;
    assert!(text.contains("DKIM-Signature:"), "{text}");
    assert!(
        text.contains("d=example.test") && text.contains("s=k1"),
        "{text}"
    );

    let verdict = dkim_verify(&text, pdns.addr()).await.unwrap();
    assert!(verdict.contains("succeeded"), "{verdict}");
    let tampered = text.replace("a signed body", "a changed body");
    let verdict = dkim_verify(&tampered, pdns.addr()).await.unwrap();
    assert!(!verdict.contains("succeeded"), "{verdict}");

    // OpenDKIM is killed, not asked to stop (SIGTERM takes seconds).
    let started = std::time::Instant::now();
    s.server.stop();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(s.server.opendkim().unwrap().group_pids().is_empty());
}

#[tokio::test]
async fn vacation_replies_once_per_sender_and_never_to_lists() {
    let Some(mut s) = setup(&[
        "alice@example.test",
        "bob@example.test",
        "carol@example.test",
    ])
    .await
    .unwrap() else {
        return;
    };
    let autoreply = parse_autoreply("Away", "I am away this week.", "", "").unwrap();
    let addresses = [MailAddress::parse("a", "alice@example.test").unwrap()];
    s.server
        .install_sieve(
            "alice@example.test",
            &vacation_sieve(&autoreply, &addresses),
        )
        .unwrap();

    // A list message from carol: delivered, not answered.
    let list = build_message(
        "carol@example.test",
        &["alice@example.test"],
        "list post",
        "from the list",
        &[("List-Id", "<team.lists.example.test>")],
    )
    .unwrap();
    submit_as(&s, "carol@example.test", "alice@example.test", &list)
        .await
        .unwrap();
    wait_for_message(&s, "alice@example.test", "from the list").await;

    // Two messages from bob: one reply.
    for n in 1..=2 {
        let raw = build_message(
            "bob@example.test",
            &["alice@example.test"],
            &format!("hello {n}"),
            &format!("bob writes {n}"),
            &[],
        )
        .unwrap();
        submit_as(&s, "bob@example.test", "alice@example.test", &raw)
            .await
            .unwrap();
        wait_for_message(&s, "alice@example.test", &format!("bob writes {n}")).await;
        if n == 1 {
            let reply = wait_for_message(&s, "bob@example.test", "I am away this week.").await;
            assert!(reply.contains("Subject: Away"), "{reply}");
            assert!(reply.contains("Auto-Submitted: auto-replied"), "{reply}");
            assert!(reply.contains("Return-Path: <>"), "{reply}");
        }
    }
    s.server
        .dovecot()
        .wait_for_line(DELIVERY_TIMEOUT, |l| {
            l.contains("discarded duplicate vacation response to <bob@example.test>")
                .then_some(())
        })
        .await
        .unwrap();
    // The reply went out through the internal listener.
    s.server
        .wait_for_maillog(
            &["postfix/internal/smtpd", "connect from"],
            DELIVERY_TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(
        imap_count(s.server.imap_addr(), "bob@example.test", "bob-pw")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        imap_count(s.server.imap_addr(), "carol@example.test", "carol-pw")
            .await
            .unwrap(),
        0
    );
    let log = s.server.dovecot().log();
    assert!(
        !log.contains("vacation response to <carol@example.test>"),
        "{log}"
    );
    // The compiled script was used as it is (Dovecot cannot rewrite a
    // binary in the panel's directory, and would log an error each time).
    assert!(!log.contains("Error"), "{log}");
    s.server.stop();
}
