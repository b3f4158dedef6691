//! Mailing lists through real Postfix + Dovecot: list addresses routed to
//! Mailman's LMTP by the lookup database's `list_routes` (no reload), and
//! the listener Mailman sends through, which relays for Mailman's login
//! only.
//!
//! - `list_addresses_reach_lmtp_without_a_reload` needs no Mailman: a small
//!   LMTP sink stands in for it and records what Postfix hands over.
//! - `mailman_delivers_a_post_to_local_members` runs the testkit's Mailman
//!   3 core too (skipped when it is not installed, unless
//!   REQUIRE_LISTS_TESTS=1): a list made over Mailman's REST API, a post
//!   from a member through the MX read by two local members over IMAP
//!   (Mailman sent it through its listener, with its login), and a
//!   subscription confirmed by a reply to `team-confirm+TOKEN@…` through
//!   submission; Mailman's mail is DKIM-signed when OpenDKIM is
//!   installed.
//!
//! Skipped when Postfix and Dovecot are not installed, unless
//! REQUIRE_MAIL_TESTS=1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use konbit_testkit::mail::{
    ListRelay, MailLists, MailOptions, MailServer, Tls, add_alias, add_domain, add_list_routes,
    add_mailbox, build_message, create_lookup_db, dovecot_hash, imap_count, imap_fetch_latest,
    lookup_pool, remove_list_routes, send, send_submission, smtp_probe,
};
use konbit_testkit::mailman::{Mailman, MailmanOptions};
use sqlx::SqlitePool;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);
const OUTSIDE: &str = "someone@outside.test";
const LISTS: &str = "lists.konbit.test";
const TEAM: &str = "team@lists.konbit.test";

fn password(address: &str) -> String {
    format!("{}-pw", address.split('@').next().unwrap_or(address))
}

/// A lookup database with `konbit.test` (mailboxes ada and bob) and the
/// list domain `lists.konbit.test`, whose catch-all goes to bob.
async fn lookup_db(dir: &Path) -> Result<(PathBuf, SqlitePool)> {
    let path = dir.join("lookup/mail.sqlite3");
    create_lookup_db(&path).await?;
    let db = lookup_pool(&path).await?;
    add_domain(&db, "konbit.test").await?;
    add_domain(&db, LISTS).await?;
    for a in ["ada@konbit.test", "bob@konbit.test"] {
        add_mailbox(&db, a, &dovecot_hash(&password(a)).await?, 0).await?;
    }
    add_alias(&db, &format!("@{LISTS}"), "bob@konbit.test").await?;
    Ok((path, db))
}

async fn count(server: &MailServer, address: &str) -> u32 {
    imap_count(server.imap_addr(), address, &password(address))
        .await
        .unwrap()
}

/// Wait until `address`'s newest message contains `needle`.
async fn wait_for_message(server: &MailServer, address: &str, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let latest = imap_fetch_latest(server.imap_addr(), address, &password(address))
            .await
            .unwrap();
        if let Some(text) = latest.filter(|t| t.contains(needle)) {
            return text;
        }
        assert!(
            started.elapsed() < DELIVERY_TIMEOUT,
            "no message with {needle:?} for {address}; maillog:\n{}",
            server.maillog_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------
// A stand-in for Mailman's LMTP runner
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Delivery {
    from: String,
    rcpts: Vec<String>,
    data: String,
}

/// Accepts every LMTP transaction and passes it on; aborted when dropped.
struct LmtpSink {
    addr: SocketAddr,
    rx: mpsc::UnboundedReceiver<Delivery>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LmtpSink {
    async fn start() -> LmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            // Ends when the test drops the sink (abort).
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = lmtp_session(stream, tx).await;
                });
            }
        });
        LmtpSink { addr, rx, task }
    }

    /// The next delivery, within [`DELIVERY_TIMEOUT`].
    async fn next(&mut self, server: &MailServer) -> Delivery {
        match tokio::time::timeout(DELIVERY_TIMEOUT, self.rx.recv()).await {
            Ok(Some(d)) => d,
            _ => panic!(
                "nothing reached the LMTP sink; maillog:\n{}",
                server.maillog_tail(40)
            ),
        }
    }
}

fn angle(arg: &str) -> String {
    let a = arg.split_once(':').map_or(arg, |(_, a)| a).trim();
    let a = a.split_whitespace().next().unwrap_or(a);
    a.trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase()
}

/// One LMTP session; every read ends at EOF, and Postfix closes idle
/// connections.
async fn lmtp_session(stream: TcpStream, tx: mpsc::UnboundedSender<Delivery>) -> Result<()> {
    let mut stream = BufReader::new(stream);
    stream.get_mut().write_all(b"220 sink LMTP\r\n").await?;
    let (mut from, mut rcpts) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("LHLO") {
            "250 sink\r\n".into()
        } else if upper.starts_with("MAIL FROM") {
            from = angle(&line);
            rcpts.clear();
            "250 ok\r\n".into()
        } else if upper.starts_with("RCPT TO") {
            rcpts.push(angle(&line));
            "250 ok\r\n".into()
        } else if upper.starts_with("DATA") {
            stream.get_mut().write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if stream.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(&l);
            }
            let replies = "250 delivered\r\n".repeat(rcpts.len());
            let _ = tx.send(Delivery {
                from: from.clone(),
                rcpts: std::mem::take(&mut rcpts),
                data,
            });
            replies
        } else if upper.starts_with("QUIT") {
            stream.get_mut().write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            // RSET, NOOP
            "250 ok\r\n".into()
        };
        stream.get_mut().write_all(reply.as_bytes()).await?;
    }
}

// ---------------------------------------------------------------------------
// Routing and the relay, without Mailman
// ---------------------------------------------------------------------------

#[tokio::test]
async fn list_addresses_reach_lmtp_without_a_reload() {
    if !MailServer::available().unwrap() {
        return;
    }
    let dir: TempDir = tempfile::tempdir().unwrap();
    let (db_path, db) = lookup_db(dir.path()).await.unwrap();
    // A domain alias of the list domain, as the provisioner writes it: one
    // alias row per list address, to the list domain's.
    add_domain(&db, "lists-alias.konbit.test").await.unwrap();
    let mut sink = LmtpSink::start().await;
    let relay = ListRelay::new().unwrap();
    let lists = MailLists {
        lmtp: sink.addr,
        relay: relay.clone(),
        site_owner: Some("listmaster@konbit.test".into()),
    };
    // OpenDKIM when installed: Mailman's mail is signed like other
    // outgoing mail.
    let options = MailOptions {
        dkim: Path::new("/usr/sbin/opendkim").exists(),
    };
    let started = Instant::now();
    let Some(server) =
        MailServer::try_start_with_lists(&dir.path().join("servers"), &db_path, &options, &lists)
            .await
            .unwrap()
    else {
        return;
    };
    eprintln!("mail servers up in {:?}", started.elapsed());
    let mx = server.smtp_addr();
    if options.dkim {
        server.add_dkim_key(LISTS, "k1").await.unwrap();
    }

    // No route yet: the catch-all takes it.
    send(mx, OUTSIDE, &[TEAM], "before", "to the catch-all", None)
        .await
        .unwrap();
    wait_for_message(&server, "bob@konbit.test", "to the catch-all").await;

    // The list's rows, written while Postfix runs: no reload.
    let routed = Instant::now();
    let addresses = add_list_routes(&db, TEAM).await.unwrap();
    assert_eq!(addresses.len(), 9);
    for a in &addresses {
        let local = a.split('@').next().unwrap();
        add_alias(&db, &format!("{local}@lists-alias.konbit.test"), a)
            .await
            .unwrap();
    }
    send(mx, OUTSIDE, &[TEAM], "post", "first post", None)
        .await
        .unwrap();
    let d = sink.next(&server).await;
    eprintln!(
        "routed to LMTP {:?} after the rows were written",
        routed.elapsed()
    );
    assert_eq!(d.rcpts, [TEAM]);
    assert_eq!(d.from, OUTSIDE);
    assert!(d.data.contains("first post"), "{}", d.data);

    // The address extension reaches Mailman whole, under the domain alias
    // too (rewritten to the list domain).
    let confirm = "team-confirm+0123abcd@lists.konbit.test";
    send(mx, OUTSIDE, &[confirm], "confirm", "yes", None)
        .await
        .unwrap();
    assert_eq!(sink.next(&server).await.rcpts, [confirm]);
    send(
        mx,
        OUTSIDE,
        &["team-confirm+feed@lists-alias.konbit.test"],
        "confirm",
        "yes",
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        sink.next(&server).await.rcpts,
        ["team-confirm+feed@lists.konbit.test"]
    );
    // VERP'd bounces too.
    let verp = "team-bounces+ada=konbit.test@lists.konbit.test";
    send(mx, OUTSIDE, &[verp], "bounce", "a bounce", None)
        .await
        .unwrap();
    assert_eq!(sink.next(&server).await.rcpts, [verp]);

    // The rest of the list domain is still the catch-all's, and a mailbox's
    // sub-address is the mailbox's.
    send(
        mx,
        OUTSIDE,
        &["nobody@lists.konbit.test"],
        "x",
        "caught again",
        None,
    )
    .await
    .unwrap();
    wait_for_message(&server, "bob@konbit.test", "caught again").await;
    send(
        mx,
        OUTSIDE,
        &["ada+news@konbit.test"],
        "x",
        "a sub-address",
        None,
    )
    .await
    .unwrap();
    wait_for_message(&server, "ada@konbit.test", "a sub-address").await;
    assert_eq!(count(&server, "bob@konbit.test").await, 2);

    // The list gone: its address is the catch-all's again, at once.
    remove_list_routes(&db, TEAM).await.unwrap();
    send(mx, OUTSIDE, &[TEAM], "after", "list removed", None)
        .await
        .unwrap();
    wait_for_message(&server, "bob@konbit.test", "list removed").await;
    add_list_routes(&db, TEAM).await.unwrap();

    // --- The relay: only Mailman's login, only list senders. ---
    let r = server.list_relay_addr().unwrap();
    let bounces = "team-bounces@lists.konbit.test";
    // No login: refused at RCPT, for a local recipient as for an outside
    // one.
    for to in ["bob@konbit.test", "victim@outside.test"] {
        let err = send(r, bounces, &[to], "spam", "spam", None)
            .await
            .unwrap_err();
        assert!(err.contains("554") || err.contains("5.7.1"), "{to}: {err}");
    }
    let replies = smtp_probe(
        r,
        &[
            "EHLO php.konbit.test",
            &format!("MAIL FROM:<{bounces}>"),
            "RCPT TO:<victim@outside.test>",
            "QUIT",
        ],
    )
    .await
    .unwrap();
    assert!(replies[1].contains("AUTH"), "{replies:?}");
    assert!(replies[3].starts_with("554"), "{replies:?}");
    // A mailbox's own login is not Mailman's.
    let err = send(
        r,
        bounces,
        &["victim@outside.test"],
        "spam",
        "spam",
        Some(("ada@konbit.test", &password("ada@konbit.test"))),
    )
    .await
    .unwrap_err();
    assert!(err.contains("554"), "{err}");
    // A wrong password.
    let err = send(
        r,
        bounces,
        &["bob@konbit.test"],
        "x",
        "x",
        Some((relay.login(), "not-the-password")),
    )
    .await
    .unwrap_err();
    assert!(err.contains("535"), "{err}");
    // Mailman's login, but a sender that is not a list's: deferred (a
    // temporary error, so Mailman retries rather than counting bounces).
    let mailman = Some((relay.login(), relay.password()));
    let err = send(
        r,
        "ada@konbit.test",
        &["victim@outside.test"],
        "x",
        "x",
        mailman,
    )
    .await
    .unwrap_err();
    assert!(err.contains("450"), "{err}");
    // Mailman's login and a list sender (VERP'd): delivered locally and
    // relayed out.
    let verp_sender = "team-bounces+bob=konbit.test@lists.konbit.test";
    send(
        r,
        verp_sender,
        &["bob@konbit.test"],
        "list post",
        "from mailman",
        mailman,
    )
    .await
    .unwrap();
    let post = wait_for_message(&server, "bob@konbit.test", "from mailman").await;
    if options.dkim {
        let signature = post
            .lines()
            .find(|l| l.starts_with("DKIM-Signature:"))
            .unwrap_or_else(|| panic!("not signed:\n{post}"));
        let header: String = post[post.find(signature).unwrap()..]
            .lines()
            .take_while(|l| l.starts_with("DKIM-Signature:") || l.starts_with([' ', '\t']))
            .collect();
        assert!(header.contains("d=lists.konbit.test"), "{header}");
        assert!(header.contains("s=k1"), "{header}");
    }
    send(
        r,
        bounces,
        &["member@outside.test"],
        "list post",
        "out",
        mailman,
    )
    .await
    .unwrap();
    server
        .wait_for_maillog(&["to=<member@outside.test>"], DELIVERY_TIMEOUT)
        .await
        .unwrap();
    // The site owner may send too (Mailman's mail to list owners).
    send(
        r,
        "listmaster@konbit.test",
        &["ada@konbit.test"],
        "owner",
        "for the owners",
        mailman,
    )
    .await
    .unwrap();
    wait_for_message(&server, "ada@konbit.test", "for the owners").await;
    // Mailman's login is worth nothing on submission: it owns no address.
    let raw = build_message(bounces, &["victim@outside.test"], "x", "x", &[]).unwrap();
    let err = send_submission(
        server.submission_addr(),
        Tls::Starttls,
        mailman,
        bounces,
        &["victim@outside.test"],
        &raw,
    )
    .await
    .unwrap_err();
    assert!(err.contains("553"), "{err}");
    // Dovecot takes the login from loopback and for SMTP only.
    let auth_test = |service: &str, rip: &str| {
        let mut cmd = std::process::Command::new("/usr/bin/doveadm");
        cmd.arg("-c")
            .arg(server.services().dovecot_config_file())
            .args(["auth", "test", "-x"])
            .arg(format!("service={service}"))
            .arg("-x")
            .arg(format!("rip={rip}"))
            .arg(relay.login())
            .arg(relay.password());
        konbit_testkit::daemon::run_bounded(cmd, Duration::from_secs(30)).unwrap()
    };
    let ok = auth_test("smtp", "127.0.0.1");
    assert!(ok.status.success(), "{ok:?}");
    for (service, rip) in [("smtp", "192.0.2.1"), ("imap", "127.0.0.1")] {
        let refused = auth_test(service, rip);
        assert!(!refused.status.success(), "{service} {rip}: {refused:?}");
    }
    // Nor may it log in to IMAP.
    assert!(
        !konbit_testkit::mail::imap_login_ok(server.imap_addr(), relay.login(), relay.password())
            .await
            .unwrap()
    );
}

/// A soft-deleted list's addresses, as the mail provisioner writes them in
/// `refused_list_addresses` during the grace period, are refused at RCPT
/// under the list domain and its domain alias, though both have a
/// catch-all; once the rows go (the list purged), the catch-all takes them
/// again.
#[tokio::test]
async fn a_deleted_lists_addresses_are_refused_despite_a_catch_all() {
    if !MailServer::available().unwrap() {
        return;
    }
    let dir: TempDir = tempfile::tempdir().unwrap();
    let (db_path, db) = lookup_db(dir.path()).await.unwrap();
    let alias_domain = "lists-alias.konbit.test";
    add_domain(&db, alias_domain).await.unwrap();
    add_alias(&db, &format!("@{alias_domain}"), "bob@konbit.test")
        .await
        .unwrap();
    let mut sink = LmtpSink::start().await;
    let lists = MailLists {
        lmtp: sink.addr,
        relay: ListRelay::new().unwrap(),
        site_owner: None,
    };
    let options = MailOptions { dkim: false };
    let Some(server) =
        MailServer::try_start_with_lists(&dir.path().join("servers"), &db_path, &options, &lists)
            .await
            .unwrap()
    else {
        return;
    };
    let mx = server.smtp_addr();

    let suffixes = [
        "",
        "-bounces",
        "-confirm",
        "-join",
        "-leave",
        "-owner",
        "-request",
        "-subscribe",
        "-unsubscribe",
    ];
    let refused: Vec<String> = [LISTS, alias_domain]
        .iter()
        .flat_map(|d| suffixes.iter().map(move |s| format!("team{s}@{d}")))
        .collect();
    for a in &refused {
        sqlx::query("INSERT INTO refused_list_addresses (address, owner) VALUES (?, 1)")
            .bind(a)
            .execute(&db)
            .await
            .unwrap();
    }
    let rcpts = [
        TEAM.to_owned(),
        "team-confirm+0123abcd@lists.konbit.test".to_owned(),
        "TEAM-Owner@lists.konbit.test".to_owned(),
        format!("team@{alias_domain}"),
        "nobody@lists.konbit.test".to_owned(),
    ];
    let mut commands = vec![
        "EHLO outside.test".to_owned(),
        format!("MAIL FROM:<{OUTSIDE}>"),
    ];
    commands.extend(rcpts.iter().map(|r| format!("RCPT TO:<{r}>")));
    commands.push("QUIT".to_owned());
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    let replies = smtp_probe(mx, &commands).await.unwrap();
    for (i, rcpt) in rcpts.iter().enumerate() {
        let reply = &replies[3 + i];
        if rcpt.starts_with("nobody") {
            // The rest of the domain is still the catch-all's.
            assert!(reply.starts_with("250"), "{rcpt}: {replies:?}");
        } else {
            assert!(reply.starts_with("550"), "{rcpt}: {replies:?}");
            assert!(reply.contains("User unknown"), "{rcpt}: {reply}");
        }
    }
    // Refused, so never accepted then bounced (no backscatter), nor caught.
    let err = send(mx, OUTSIDE, &[TEAM], "late", "to a deleted list", None)
        .await
        .unwrap_err();
    assert!(err.contains("550"), "{err}");
    assert_eq!(count(&server, "bob@konbit.test").await, 0);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), sink.rx.recv())
            .await
            .is_err(),
        "nothing goes to Mailman"
    );

    // Purged: the rows go, and the catch-all takes the address again.
    sqlx::query("DELETE FROM refused_list_addresses")
        .execute(&db)
        .await
        .unwrap();
    send(mx, OUTSIDE, &[TEAM], "after", "list purged", None)
        .await
        .unwrap();
    wait_for_message(&server, "bob@konbit.test", "list purged").await;
}

// ---------------------------------------------------------------------------
// With Mailman 3 core
// ---------------------------------------------------------------------------

/// Mailman's REST API, as the tests use it.
struct Rest {
    client: reqwest::Client,
    url: String,
    user: String,
    password: String,
}

impl Rest {
    fn new(mailman: &Mailman) -> Rest {
        Rest {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            url: mailman.rest_url(),
            user: mailman.rest_user().to_owned(),
            password: mailman.rest_password().to_owned(),
        }
    }

    /// Send a form; any status but 2xx fails the test with Mailman's
    /// answer. Returns the `Location` header, if any.
    async fn form(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
        mailman: &Mailman,
    ) -> Option<String> {
        let response = self
            .client
            .request(method.clone(), format!("{}/{path}", self.url))
            .basic_auth(&self.user, Some(&self.password))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "{method} {path} {form:?}: {status} {body}\nMailman log:\n{}",
            mailman.log_tail(30)
        );
        location
    }

    async fn status(&self, path: &str) -> reqwest::StatusCode {
        self.client
            .get(format!("{}/{path}", self.url))
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await
            .unwrap()
            .status()
    }
}

#[tokio::test]
async fn mailman_delivers_a_post_to_local_members() {
    if !MailServer::available().unwrap() {
        return;
    }
    let dir: TempDir = tempfile::tempdir().unwrap();
    let (db_path, db) = lookup_db(dir.path()).await.unwrap();
    add_mailbox(
        &db,
        "dave@konbit.test",
        &dovecot_hash(&password("dave@konbit.test")).await.unwrap(),
        0,
    )
    .await
    .unwrap();
    let relay = ListRelay::new().unwrap();
    let started = Instant::now();
    let Some(mailman) = Mailman::try_start(
        &dir.path().join("mailman"),
        MailmanOptions {
            smtp: relay.addr(),
            smtp_auth: Some(relay.smtp_auth()),
        },
    )
    .await
    .unwrap() else {
        return;
    };
    eprintln!("Mailman up in {:?}", started.elapsed());
    let options = MailOptions {
        dkim: Path::new("/usr/sbin/opendkim").exists(),
    };
    let lists = MailLists {
        lmtp: mailman.lmtp_addr(),
        relay: relay.clone(),
        site_owner: Some(mailman.site_owner().to_owned()),
    };
    let Some(server) =
        MailServer::try_start_with_lists(&dir.path().join("servers"), &db_path, &options, &lists)
            .await
            .unwrap()
    else {
        return;
    };
    if options.dkim {
        server.add_dkim_key(LISTS, "k1").await.unwrap();
    }

    // The list, as Konbit's Mailman client makes it, and its members.
    let rest = Rest::new(&mailman);
    let post = reqwest::Method::POST;
    rest.form(post.clone(), "domains", &[("mail_host", LISTS)], &mailman)
        .await;
    rest.form(post.clone(), "lists", &[("fqdn_listname", TEAM)], &mailman)
        .await;
    let list_id = "team.lists.konbit.test";
    // No welcome messages: the counts below are the post's.
    rest.form(
        reqwest::Method::PATCH,
        &format!("lists/{list_id}/config"),
        &[("send_welcome_message", "false")],
        &mailman,
    )
    .await;
    // The routes, as the mail provisioner writes them once the list is in
    // the store: no Postfix reload.
    add_list_routes(&db, TEAM).await.unwrap();
    let mut carol = None;
    for member in ["ada@konbit.test", "bob@konbit.test", "carol@outside.test"] {
        let location = rest
            .form(
                post.clone(),
                "members",
                &[
                    ("list_id", list_id),
                    ("subscriber", member),
                    ("pre_verified", "true"),
                    ("pre_confirmed", "true"),
                    ("pre_approved", "true"),
                ],
                &mailman,
            )
            .await;
        if member.starts_with("carol") {
            carol = location;
        }
    }
    // Carol posts from outside and reads the list elsewhere: no copy for
    // her (it could not leave this machine anyway).
    let carol = carol.expect("no Location for carol's membership");
    let carol_path = carol
        .split_once("/members/")
        .map(|(_, id)| format!("members/{id}/preferences"))
        .unwrap();
    rest.form(
        reqwest::Method::PATCH,
        &carol_path,
        &[("delivery_status", "by_user")],
        &mailman,
    )
    .await;

    let bob_before = count(&server, "bob@konbit.test").await;

    // A post from a member, through the MX.
    let posted = Instant::now();
    send(
        server.smtp_addr(),
        "carol@outside.test",
        &[TEAM],
        "Assemblée générale",
        "the general assembly is on Monday",
        None,
    )
    .await
    .unwrap();
    for member in ["ada@konbit.test", "bob@konbit.test"] {
        let text = wait_for_message_long(&server, &mailman, member, "general assembly is").await;
        assert!(text.contains("List-Id:"), "{text}");
        assert!(text.contains("team.lists.konbit.test"), "{text}");
    }
    eprintln!("post delivered to both members in {:?}", posted.elapsed());
    // Through Mailman only: the catch-all took no copy.
    assert_eq!(count(&server, "bob@konbit.test").await, bob_before + 1);
    let lmtp = format!("relay=127.0.0.1[127.0.0.1]:{}", mailman.lmtp_addr().port());
    server
        .wait_for_maillog(
            &["to=<team@lists.konbit.test>", &lmtp, "status=sent"],
            DELIVERY_TIMEOUT,
        )
        .await
        .unwrap();
    server
        .wait_for_maillog(
            &["postfix/lists/smtpd", "sasl_username=konbit-mailman"],
            DELIVERY_TIMEOUT,
        )
        .await
        .unwrap();

    // A subscription confirmed by mail: Mailman writes from
    // team-confirm+TOKEN@…, and the reply must reach it with the token.
    rest.form(
        post.clone(),
        "members",
        &[
            ("list_id", list_id),
            ("subscriber", "dave@konbit.test"),
            ("pre_verified", "true"),
            ("pre_confirmed", "false"),
            ("pre_approved", "true"),
        ],
        &mailman,
    )
    .await;
    let request =
        wait_for_message_long(&server, &mailman, "dave@konbit.test", "team-confirm+").await;
    let confirm = request
        .lines()
        .filter(|l| {
            l.to_ascii_lowercase().starts_with("from:")
                || l.to_ascii_lowercase().starts_with("reply-to:")
        })
        .find_map(|l| {
            l.split(|c: char| c == '<' || c == '>' || c.is_whitespace())
                .find(|w| w.starts_with("team-confirm+") && w.ends_with("@lists.konbit.test"))
        })
        .unwrap_or_else(|| panic!("no confirmation address in:\n{request}"))
        .to_owned();
    if options.dkim {
        assert!(
            request.contains("d=lists.konbit.test"),
            "Mailman's mail is not signed:\n{request}"
        );
    }
    let reply =
        build_message("dave@konbit.test", &[&confirm], "Re: confirm", "yes\n", &[]).unwrap();
    send_submission(
        server.submission_addr(),
        Tls::Starttls,
        Some(("dave@konbit.test", &password("dave@konbit.test"))),
        "dave@konbit.test",
        &[&confirm],
        &reply,
    )
    .await
    .unwrap();
    let member_path = format!("lists/{list_id}/member/dave@konbit.test");
    let confirmed = Instant::now();
    while rest.status(&member_path).await != reqwest::StatusCode::OK {
        assert!(
            confirmed.elapsed() < MAILMAN_TIMEOUT,
            "dave is not a member; maillog:\n{}\nMailman log:\n{}",
            server.maillog_tail(30),
            mailman.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!(
        "subscription confirmed by mail in {:?}",
        confirmed.elapsed()
    );
}

/// Mailman's runners poll their queues: longer than a plain delivery.
const MAILMAN_TIMEOUT: Duration = Duration::from_secs(60);

async fn wait_for_message_long(
    server: &MailServer,
    mailman: &Mailman,
    address: &str,
    needle: &str,
) -> String {
    let started = Instant::now();
    loop {
        let latest = imap_fetch_latest(server.imap_addr(), address, &password(address))
            .await
            .unwrap();
        if let Some(text) = latest.filter(|t| t.contains(needle)) {
            return text;
        }
        assert!(
            started.elapsed() < MAILMAN_TIMEOUT,
            "no message with {needle:?} for {address}; maillog:\n{}\nMailman log:\n{}",
            server.maillog_tail(40),
            mailman.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
