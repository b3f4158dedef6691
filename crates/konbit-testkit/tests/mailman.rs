//! The testkit's Mailman 3 core, through its REST API, its LMTP runner and
//! its outgoing SMTP:
//!
//! - `rest_lmtp_and_smtp_then_nothing_is_left`: a domain, a list, a member
//!   subscribed pre-verified/confirmed/approved and read back, a pending
//!   subscription, a non-member's post over LMTP held for moderation, a
//!   member's post sent out over SMTP with AUTH (to a small SMTP sink in
//!   this test), the list deleted; then no Mailman process is left, and a
//!   new start in the same directory finds the data again.
//! - `posts_reach_members_through_postfix`: the whole loop with the
//!   testkit's Postfix + Dovecot (Mailman's relay listener and login): a
//!   post to the list through the MX reaches both members' mailboxes.
//!
//! Skipped when Mailman is not installed, unless `REQUIRE_LISTS_TESTS=1`
//! (the second test also when Postfix and Dovecot are not, unless
//! `REQUIRE_MAIL_TESTS=1`). At most two Mailmans run at once in this
//! binary (each is about 650 MB and takes seconds of CPU to start).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use konbit_testkit::daemon::group_pids;
use konbit_testkit::mail::{
    ListRelay, MailLists, MailOptions, MailServer, add_domain, add_list_routes, add_mailbox,
    create_lookup_db, dovecot_hash, imap_fetch_latest, lookup_pool, send,
};
use konbit_testkit::mailman::{Mailman, MailmanOptions, SITE_OWNER};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};

static SLOTS: Semaphore = Semaphore::const_new(2);
/// One LMTP or SMTP step.
const STEP: Duration = Duration::from_secs(10);
/// How long Mailman may take to hold or send a message.
const PIPELINE_WAIT: Duration = Duration::from_secs(30);
const DOMAIN: &str = "lists.konbit.test";
const TEAM: &str = "team@lists.konbit.test";
const TEAM_ID: &str = "team.lists.konbit.test";

// ---------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------

struct Rest {
    client: reqwest::Client,
    base: String,
    user: String,
    password: String,
}

impl Rest {
    fn new(mailman: &Mailman) -> Rest {
        Rest {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .no_proxy()
                .build()
                .unwrap(),
            base: mailman.rest_url(),
            user: mailman.rest_user().to_owned(),
            password: mailman.rest_password().to_owned(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Option<String>, Value) {
        let response = request
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, location, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .send(self.client.get(format!("{}{path}", self.base)))
            .await;
        (status, body)
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Option<String>, Value) {
        self.send(self.client.post(format!("{}{path}", self.base)).form(form))
            .await
    }

    async fn patch(&self, path: &str, form: &[(&str, &str)]) -> StatusCode {
        self.send(self.client.patch(format!("{}{path}", self.base)).form(form))
            .await
            .0
    }

    async fn delete(&self, path: &str) -> StatusCode {
        self.send(self.client.delete(format!("{}{path}", self.base)))
            .await
            .0
    }

    /// The domain and the list `team@lists.konbit.test`.
    async fn make_team(&self) {
        let (status, location, _) = self.post("/domains", &[("mail_host", DOMAIN)]).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(
            location
                .unwrap()
                .ends_with("/3.1/domains/lists.konbit.test")
        );
        let (status, location, _) = self.post("/lists", &[("fqdn_listname", TEAM)]).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(
            location
                .unwrap()
                .ends_with("/3.1/lists/team.lists.konbit.test")
        );
    }

    /// Subscribe `email` to the team list with no confirmation or approval.
    async fn subscribe(&self, email: &str, name: &str) -> String {
        let (status, location, body) = self
            .post(
                "/members",
                &[
                    ("list_id", TEAM_ID),
                    ("subscriber", email),
                    ("display_name", name),
                    ("pre_verified", "true"),
                    ("pre_confirmed", "true"),
                    ("pre_approved", "true"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        location.unwrap()
    }
}

/// Start a Mailman sending to `smtp`; `None` when skipped.
async fn start(
    dir: &std::path::Path,
    smtp: SocketAddr,
    smtp_auth: Option<(String, String)>,
) -> Option<Mailman> {
    let started = Instant::now();
    let mailman = Mailman::try_start(dir, MailmanOptions { smtp, smtp_auth })
        .await
        .unwrap()?;
    eprintln!(
        "Mailman ready in {:.1} s; {} processes, {} MB PSS",
        started.elapsed().as_secs_f64(),
        mailman.pids().len(),
        pss_kb(&mailman.pids()) / 1024
    );
    Some(mailman)
}

/// Summed PSS of `pids`, in kB.
fn pss_kb(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .sum()
}

/// Stop `mailman` and check that none of its processes is left.
fn stop_and_check(mut mailman: Mailman) {
    let pgid = mailman.daemon().pgid();
    let master = mailman.daemon().pid();
    assert!(
        mailman.pids().len() >= 9,
        "master, 8 runners, REST worker: {:?}",
        mailman.pids()
    );
    // No process of this Mailman (every one has its mailman.cfg on its
    // command line) left the watchdog's process group.
    assert_eq!(mailman.pids(), group_pids(pgid));
    assert!(group_pids(pgid).contains(&master));
    mailman.stop();
    assert_eq!(mailman.pids(), Vec::<u32>::new());
    assert_eq!(group_pids(pgid), Vec::<u32>::new());
    drop(mailman);
}

// ---------------------------------------------------------------------------
// LMTP client
// ---------------------------------------------------------------------------

/// Read one (possibly multi-line) reply; returns its code and text.
async fn reply(stream: &mut BufReader<TcpStream>) -> (u16, String) {
    let mut text = String::new();
    for _ in 0..100 {
        let mut line = String::new();
        let n = tokio::time::timeout(STEP, stream.read_line(&mut line))
            .await
            .expect("reply in time")
            .unwrap();
        assert!(n > 0, "connection closed; so far: {text}");
        text.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return (line[..3].parse().unwrap(), text);
        }
    }
    panic!("endless reply: {text}")
}

async fn command(stream: &mut BufReader<TcpStream>, line: &str) -> (u16, String) {
    stream
        .get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .unwrap();
    reply(stream).await
}

/// One LMTP transaction; the reply code for each recipient (at RCPT, or
/// after the data for those accepted).
async fn lmtp_send(addr: SocketAddr, from: &str, rcpts: &[&str], message: &str) -> Vec<u16> {
    let stream = tokio::time::timeout(STEP, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    let mut s = BufReader::new(stream);
    let (code, greeting) = reply(&mut s).await;
    assert_eq!(code, 220, "{greeting}");
    assert!(greeting.contains("GNU Mailman LMTP"), "{greeting}");
    assert_eq!(command(&mut s, "LHLO test.konbit.test").await.0, 250);
    assert_eq!(command(&mut s, &format!("MAIL FROM:<{from}>")).await.0, 250);
    let mut codes = Vec::new();
    for rcpt in rcpts {
        codes.push(command(&mut s, &format!("RCPT TO:<{rcpt}>")).await.0);
    }
    let accepted = codes.iter().filter(|&&c| c == 250).count();
    if accepted > 0 {
        assert_eq!(command(&mut s, "DATA").await.0, 354);
        let body = message.replace("\r\n", "\n").replace('\n', "\r\n");
        s.get_mut().write_all(body.as_bytes()).await.unwrap();
        s.get_mut().write_all(b"\r\n.\r\n").await.unwrap();
        let mut after_data = Vec::new();
        for _ in 0..accepted {
            after_data.push(reply(&mut s).await.0);
        }
        let mut after = after_data.into_iter();
        for code in codes.iter_mut().filter(|c| **c == 250) {
            *code = after.next().unwrap();
        }
    }
    let _ = command(&mut s, "QUIT").await;
    codes
}

fn message(from: &str, subject: &str, body: &str, id: &str) -> String {
    format!(
        "From: {from}\nTo: {TEAM}\nSubject: {subject}\nMessage-ID: <{id}@konbit.test>\n\
         Date: Mon, 23 Nov 2026 10:00:00 +0000\n\n{body}\n"
    )
}

// ---------------------------------------------------------------------------
// SMTP sink (Mailman's outgoing mail)
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Delivery {
    auth: Option<String>,
    from: String,
    rcpts: Vec<String>,
    data: String,
}

/// Accepts everything, offers AUTH PLAIN (without TLS, as Postfix's relay
/// listener for Mailman does on loopback); aborted when dropped.
struct SmtpSink {
    addr: SocketAddr,
    rx: mpsc::UnboundedReceiver<Delivery>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(60), smtp_session(stream, tx))
                        .await;
                });
            }
        });
        SmtpSink { addr, rx, task }
    }

    /// The next delivery whose data contains `needle`, within
    /// [`PIPELINE_WAIT`].
    async fn wait_for(&mut self, needle: &str, mailman: &Mailman) -> Delivery {
        let deadline = Instant::now() + PIPELINE_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(d)) if d.data.contains(needle) => return d,
                Ok(Some(d)) => eprintln!("sink: also got {} -> {:?}", d.from, d.rcpts),
                _ => panic!(
                    "no mail with {needle:?} reached the SMTP sink; Mailman's logs:\n{}",
                    mailman.log_tail(30)
                ),
            }
        }
    }
}

async fn smtp_session(
    stream: TcpStream,
    tx: mpsc::UnboundedSender<Delivery>,
) -> std::io::Result<()> {
    let mut s = BufReader::new(stream);
    s.get_mut().write_all(b"220 sink ESMTP\r\n").await?;
    let (mut auth, mut from, mut rcpts) = (None, String::new(), Vec::new());
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let line = line.trim_end().to_owned();
        let upper = line.to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper == "NOOP" {
            b"250 ok\r\n"
        } else if let Some(initial) = upper.strip_prefix("AUTH PLAIN") {
            let initial = line[line.len() - initial.len()..].trim().to_owned();
            let response = if initial.is_empty() {
                s.get_mut().write_all(b"334 \r\n").await?;
                let mut next = String::new();
                s.read_line(&mut next).await?;
                next.trim().to_owned()
            } else {
                initial
            };
            auth = Some(response);
            b"235 2.7.0 ok\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&line);
            rcpts.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            rcpts.push(address(&line));
            b"250 ok\r\n"
        } else if upper == "DATA" {
            s.get_mut().write_all(b"354 go on\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if s.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l.trim_end_matches(['\r', '\n']) == "." {
                    break;
                }
                data.push_str(&l);
            }
            let _ = tx.send(Delivery {
                auth: auth.clone(),
                from: from.clone(),
                rcpts: std::mem::take(&mut rcpts),
                data,
            });
            b"250 queued\r\n"
        } else if upper == "QUIT" {
            s.get_mut().write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not here\r\n"
        };
        s.get_mut().write_all(answer).await?;
    }
}

fn address(line: &str) -> String {
    let (_, rest) = line.split_once(':').unwrap_or(("", line));
    let rest = rest.trim();
    let end = rest.find('>').map_or(rest.len(), |i| i + 1);
    rest[..end]
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn rest_lmtp_and_smtp_then_nothing_is_left() {
    let _slot = SLOTS.acquire().await.unwrap();
    if !Mailman::available().unwrap() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut sink = SmtpSink::start().await;
    let auth = ("konbit-mailman".to_owned(), "Relay-pass-0123".to_owned());
    let Some(mailman) = start(dir.path(), sink.addr, Some(auth.clone())).await else {
        return;
    };
    let rest = Rest::new(&mailman);

    // Wrong password: 401.
    let wrong = Rest {
        password: "wrong".into(),
        ..Rest::new(&mailman)
    };
    assert_eq!(
        wrong.get("/system/versions").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, versions) = rest.get("/system/versions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        versions["mailman_version"]
            .as_str()
            .unwrap()
            .starts_with("GNU Mailman 3."),
        "{versions}"
    );
    assert_eq!(versions["api_version"], "3.1");

    // A domain and a list.
    rest.make_team().await;
    let (status, list) = rest.get(&format!("/lists/{TEAM_ID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["fqdn_listname"], TEAM);
    assert_eq!(list["list_id"], TEAM_ID);
    assert_eq!(list["mail_host"], DOMAIN);
    assert_eq!(list["member_count"], 0);
    let (_, config) = rest.get(&format!("/lists/{TEAM_ID}/config")).await;
    assert_eq!(config["default_nonmember_action"], "hold");
    assert_eq!(config["subscription_policy"], "confirm");
    assert_eq!(config["bounces_address"], "team-bounces@lists.konbit.test");

    // A member, subscribed at once, read back.
    let member = rest.subscribe("alice@example.test", "Alice").await;
    assert!(member.contains("/3.1/members/"), "{member}");
    let (status, roster) = rest.get(&format!("/lists/{TEAM_ID}/roster/member")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(roster["total_size"], 1, "{roster}");
    let entry = &roster["entries"][0];
    assert_eq!(entry["email"], "alice@example.test");
    assert_eq!(entry["display_name"], "Alice");
    assert_eq!(entry["role"], "member");
    assert_eq!(entry["delivery_mode"], "regular");
    assert_eq!(entry["list_id"], TEAM_ID);
    let member_id = entry["member_id"].as_str().unwrap();
    assert!(member.ends_with(member_id), "{member} {member_id}");
    let (status, by_id) = rest.get(&format!("/members/{member_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id["email"], "alice@example.test");

    // Without the pre_* flags the subscription waits for the subscriber's
    // confirmation: 202 and a token, listed among the requests.
    let (status, _, pending) = rest
        .post(
            "/members",
            &[("list_id", TEAM_ID), ("subscriber", "bob@example.test")],
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    assert_eq!(pending["token_owner"], "subscriber");
    let token = pending["token"].as_str().unwrap().to_owned();
    let (_, requests) = rest.get(&format!("/lists/{TEAM_ID}/requests")).await;
    assert_eq!(requests["total_size"], 1, "{requests}");
    assert_eq!(requests["entries"][0]["token"], token.as_str());
    assert_eq!(requests["entries"][0]["type"], "subscription");
    assert_eq!(requests["entries"][0]["email"], "bob@example.test");
    let (_, list) = rest.get(&format!("/lists/{TEAM_ID}")).await;
    assert_eq!(list["member_count"], 1);

    // A non-member's post over LMTP is held; an address that is no list's
    // is refused at RCPT.
    let codes = lmtp_send(
        mailman.lmtp_addr(),
        "stranger@outside.test",
        &[TEAM, "nosuch@lists.konbit.test"],
        &message(
            "stranger@outside.test",
            "Hello from outside",
            "Anyone there?",
            "held-1",
        ),
    )
    .await;
    assert_eq!(codes, [250, 550]);
    let started = Instant::now();
    let held = loop {
        let (status, held) = rest.get(&format!("/lists/{TEAM_ID}/held")).await;
        assert_eq!(status, StatusCode::OK);
        if held["total_size"] == 1 {
            break held;
        }
        assert!(
            started.elapsed() < PIPELINE_WAIT,
            "nothing held: {held}; logs:\n{}",
            mailman.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!("held after {:?}", started.elapsed());
    let h = &held["entries"][0];
    assert_eq!(h["subject"], "Hello from outside");
    assert_eq!(h["sender"], "stranger@outside.test");
    assert_eq!(h["message_id"], "<held-1@konbit.test>");
    assert_eq!(h["reason"], "The message is not from a list member");
    assert!(h["msg"].as_str().unwrap().contains("Anyone there?"), "{h}");
    let request_id = h["request_id"].as_u64().unwrap();
    let (status, one) = rest
        .get(&format!("/lists/{TEAM_ID}/held/{request_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["subject"], "Hello from outside");
    let (status, _, _) = rest
        .post(
            &format!("/lists/{TEAM_ID}/held/{request_id}"),
            &[("action", "discard")],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, held) = rest.get(&format!("/lists/{TEAM_ID}/held")).await;
    assert_eq!(held["total_size"], 0, "{held}");

    // A member's post goes out over SMTP, with AUTH, from the list's
    // bounces address.
    let codes = lmtp_send(
        mailman.lmtp_addr(),
        "alice@example.test",
        &[TEAM],
        &message(
            "alice@example.test",
            "Team news",
            "Meeting at noon.",
            "post-1",
        ),
    )
    .await;
    assert_eq!(codes, [250]);
    let started = Instant::now();
    let out = sink.wait_for("Meeting at noon.", &mailman).await;
    eprintln!("sent out after {:?}", started.elapsed());
    assert_eq!(out.from, "team-bounces@lists.konbit.test");
    assert_eq!(out.rcpts, ["alice@example.test"]);
    assert!(
        out.data.contains("Subject: [Team] Team news"),
        "{}",
        out.data
    );
    assert!(
        out.data.contains("List-Id: <team.lists.konbit.test>"),
        "{}",
        out.data
    );
    let plain = format!("\0{}\0{}", auth.0, auth.1);
    assert_eq!(out.auth.as_deref(), Some(base64(plain.as_bytes()).as_str()));

    // The list deleted.
    assert_eq!(
        rest.patch(
            &format!("/lists/{TEAM_ID}/config"),
            &[("default_nonmember_action", "accept")]
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        rest.delete(&format!("/lists/{TEAM_ID}")).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        rest.get(&format!("/lists/{TEAM_ID}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rest.delete(&format!("/lists/{TEAM_ID}")).await,
        StatusCode::NOT_FOUND
    );

    stop_and_check(mailman);

    // Started again in the same directory (as after a port clash): the
    // killed master's lock is broken (`--force`) and the data is kept.
    let mailman = start(dir.path(), sink.addr, Some(auth)).await.unwrap();
    let rest = Rest::new(&mailman);
    let (status, domain) = rest.get("/domains/lists.konbit.test").await;
    assert_eq!(status, StatusCode::OK, "{domain}");
    assert_eq!(domain["mail_host"], DOMAIN);
    stop_and_check(mailman);
}

#[tokio::test]
async fn posts_reach_members_through_postfix() {
    let _slot = SLOTS.acquire().await.unwrap();
    if !Mailman::available().unwrap() || !MailServer::available().unwrap() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let relay = ListRelay::new().unwrap();
    let Some(mailman) = start(
        &dir.path().join("mailman"),
        relay.addr(),
        Some(relay.smtp_auth()),
    )
    .await
    else {
        return;
    };

    let db_path = dir.path().join("lookup/mail.sqlite3");
    create_lookup_db(&db_path).await.unwrap();
    let db = lookup_pool(&db_path).await.unwrap();
    add_domain(&db, "konbit.test").await.unwrap();
    add_domain(&db, DOMAIN).await.unwrap();
    let members = ["ada@konbit.test", "bob@konbit.test"];
    for m in members {
        add_mailbox(&db, m, &dovecot_hash(&format!("{m}-pw")).await.unwrap(), 0)
            .await
            .unwrap();
    }
    add_list_routes(&db, TEAM).await.unwrap();
    let lists = MailLists {
        lmtp: mailman.lmtp_addr(),
        relay,
        site_owner: Some(SITE_OWNER.to_owned()),
    };
    let Some(server) = MailServer::try_start_with_lists(
        &dir.path().join("servers"),
        &db_path,
        &MailOptions::default(),
        &lists,
    )
    .await
    .unwrap() else {
        return;
    };

    let rest = Rest::new(&mailman);
    rest.make_team().await;
    // No welcome message: it would race the post to the members' inboxes.
    assert_eq!(
        rest.patch(
            &format!("/lists/{TEAM_ID}/config"),
            &[
                ("default_nonmember_action", "accept"),
                ("send_welcome_message", "false"),
            ]
        )
        .await,
        StatusCode::NO_CONTENT
    );
    for (m, name) in members.iter().zip(["Ada", "Bob"]) {
        rest.subscribe(m, name).await;
    }

    // An outsider posts through the MX: Postfix -> Mailman's LMTP ->
    // Mailman -> Postfix's relay (AUTH) -> Dovecot, for both members.
    let started = Instant::now();
    send(
        server.smtp_addr(),
        "someone@outside.test",
        &[TEAM],
        "Through Postfix",
        "A post for the whole team.",
        None,
    )
    .await
    .unwrap();
    for m in members {
        loop {
            let latest = imap_fetch_latest(server.imap_addr(), m, &format!("{m}-pw"))
                .await
                .unwrap();
            if let Some(text) = latest.filter(|t| t.contains("A post for the whole team.")) {
                assert!(text.contains("[Team] Through Postfix"), "{text}");
                assert!(text.contains("List-Id: <team.lists.konbit.test>"), "{text}");
                break;
            }
            assert!(
                started.elapsed() < PIPELINE_WAIT,
                "the post did not reach {m}; maillog:\n{}\nMailman:\n{}",
                server.maillog_tail(40),
                mailman.log_tail(30)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    eprintln!("post delivered to both members in {:?}", started.elapsed());
    drop(server);
    stop_and_check(mailman);
}
