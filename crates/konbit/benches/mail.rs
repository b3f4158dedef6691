//! Mail figures with the real Postfix and Dovecot: how long from an API call
//! that creates a mailbox until Dovecot accepts its IMAP login (p50, p99),
//! and how fast 10,000 messages to 1,000 mailboxes are accepted by Postfix
//! and stored by Dovecot, with the loss counted. Figures are printed, never
//! asserted.
//!
//!     cargo bench -p konbit --bench mail
//!
//! Without `--bench` on the command line (as under `cargo test
//! --all-targets`) it runs a small smoke version. Needs root and Debian's
//! postfix, postfix-sqlite and dovecot packages; it says so and exits if
//! they are missing.
//!
//! Environment: `KONBIT_BENCH_LOGINS` (default 200), `KONBIT_BENCH_MAILBOXES`
//! (default 1000), `KONBIT_BENCH_MESSAGES` (default 10000),
//! `KONBIT_BENCH_CONNECTIONS` (default 8).

use anyhow::{Context, Result, anyhow, bail};
use konbit_app::AppConfig;
use konbit_core::authz::Actor;
use konbit_core::names::Fqdn;
use konbit_core::quota::QuotaLimits;
use konbit_core::zone_template::ZoneTemplate;
use konbit_provision::mail::{MailProvisioner, MailTarget};
use konbit_provision::{Registry, Worker, WorkerConfig};
use konbit_testkit::app::{Api, TestApp};
use konbit_testkit::mail::{MailServer, create_lookup_db, imap_login_ok};
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const TARGET_P99_MS: f64 = 1000.0;
const PASSWORD: &str = "correct horse battery";
const DOMAIN: &str = "radio.test";

fn count(var: &str, default: usize, smoke: usize, is_smoke: bool) -> Result<usize> {
    if is_smoke {
        return Ok(smoke);
    }
    match std::env::var(var) {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{var}={v:?} is not a count")),
        Err(_) => Ok(default),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Konbit with account "radio" (room for `mailboxes`), its domain with mail
/// on, Postfix and Dovecot, and a running worker with the mail provisioner.
struct Bench {
    t: TestApp,
    mail: MailServer,
    api: Api,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Bench {
    async fn start(mailboxes: usize) -> Result<Option<Self>> {
        let t = TestApp::spawn_with(AppConfig {
            zone_template: ZoneTemplate {
                mail_exchanger: Some(
                    Fqdn::parse("mx", "mx.coop.test", 2).map_err(|e| anyhow!("{e}"))?,
                ),
                ..ZoneTemplate::default()
            },
            ..AppConfig::default()
        })
        .await?;
        if !MailServer::available()? {
            return Ok(None);
        }
        let lookup = t.dir.path().join("mail/db/lookup.sqlite3");
        create_lookup_db(&lookup).await?;
        let Some(mail) = MailServer::try_start(&t.dir.path().join("mail/servers"), &lookup).await?
        else {
            return Ok(None);
        };
        let cli = Actor::operator_cli();
        let (account, owner, _) = t.seed_account("radio").await?;
        let big = t
            .app
            .quota_profiles()
            .create(
                &cli,
                konbit_app::quota_profile::ProfileInput {
                    name: "bench".into(),
                    limits: QuotaLimits {
                        mailboxes: mailboxes as u64 + 1000,
                        mail_storage_mb: (mailboxes as u64 + 1000) * 100,
                        ..QuotaLimits::starter()
                    },
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        t.app
            .accounts()
            .update(
                &cli,
                account,
                konbit_app::account::UpdateAccount {
                    quota_profile_id: Some(big.id.0),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let token = t
            .token_for(&owner, &["domains:write", "mail:write"])
            .await?;
        let api = t.api(Some(&token))?;
        for (method, path, body) in [
            (
                reqwest::Method::POST,
                "/api/v1/domains".to_owned(),
                json!({ "account": "radio", "name": DOMAIN, "dnssec": false }),
            ),
            (
                reqwest::Method::PUT,
                format!("/api/v1/domains/{DOMAIN}/mail"),
                json!({ "enabled": true }),
            ),
        ] {
            let res = api.send_json(method, &path, &body).await?;
            if !res.status().is_success() {
                bail!("{path}: {}", res.text().await?);
            }
        }
        let target = MailTarget {
            lookup_db: lookup,
            group: Some("postfix".into()),
            vmail_root: mail.vmail_dir(),
            sieve_dir: mail.sieve_dir().to_owned(),
            sievec: None,
            mail_group: Some("mail".into()),
            dkim: None,
            busy_timeout: Duration::from_secs(5),
        };
        let worker = Worker::new(
            t.app.store.clone(),
            Registry::new().register(MailProvisioner::new(t.app.store.clone(), target)),
            t.app.reconcile_wakeup.clone(),
            WorkerConfig::default(),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));
        Ok(Some(Self {
            t,
            mail,
            api,
            stop: Some(stop),
        }))
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.mail.stop();
    }
}

/// Mailbox created through the API → the first IMAP login Dovecot accepts.
async fn login_latency(b: &Bench, n: usize) -> Result<()> {
    let mut samples = Vec::with_capacity(n);
    let mut applied = Vec::with_capacity(n);
    for i in 0..n {
        let address = format!("login{i}@{DOMAIN}");
        let started = Instant::now();
        let res = b
            .api
            .send_json(
                reqwest::Method::POST,
                "/api/v1/mailboxes",
                &json!({ "address": address, "password": PASSWORD, "quota_mb": 10 }),
            )
            .await?;
        if res.status() != 201 {
            bail!("creating {address}: {}", res.text().await?);
        }
        // Wait for the panel's "live" before logging in: a login refused
        // because it came too early costs Dovecot's failure delay (2 s, and
        // more for repeated failures from one IP), which would measure the
        // probe, not Konbit.
        let mut live = false;
        for _ in 0..2000 {
            let v: serde_json::Value = b
                .api
                .get(&format!("/api/v1/mailboxes/{address}"))
                .await?
                .json()
                .await?;
            if v["status"] == "applied" {
                live = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if !live {
            bail!("{address}: not applied within 10 s");
        }
        applied.push(started.elapsed().as_secs_f64() * 1000.0);
        if !imap_login_ok(b.mail.imap_addr(), &address, PASSWORD).await? {
            bail!("{address}: applied, but Dovecot refused the login");
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    applied.sort_by(f64::total_cmp);
    println!(
        "mailbox create (API) -> shown as live (applied), {n} mailboxes: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&applied, 50.0),
        percentile(&applied, 99.0),
    );
    println!(
        "mailbox create (API) -> first IMAP login, {n} mailboxes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < {TARGET_P99_MS} ms)",
        percentile(&samples, 50.0),
        percentile(&samples, 99.0),
        samples.last().copied().unwrap_or(0.0),
    );
    println!(
        "  (includes the API's Argon2id hash of the password, the worker's apply into the lookup database, and Dovecot's Argon2id check at login)"
    );
    Ok(())
}

/// One SMTP conversation sending `messages` (recipient, subject) in turn.
async fn smtp_session(server: SocketAddr, messages: Vec<String>) -> Result<usize> {
    let stream = tokio::net::TcpStream::connect(server).await?;
    let mut s = BufReader::new(stream);
    let mut line = String::new();
    async fn reply(s: &mut BufReader<tokio::net::TcpStream>, line: &mut String) -> Result<String> {
        // Multi-line replies end with "NNN " (no dash); bounded.
        for _ in 0..64 {
            line.clear();
            if s.read_line(line).await? == 0 {
                bail!("the SMTP server closed the connection");
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(line.trim_end().to_owned());
            }
        }
        bail!("an endless SMTP reply")
    }
    let expect = |got: String, code: &str| -> Result<()> {
        if got.starts_with(code) {
            Ok(())
        } else {
            Err(anyhow!("expected {code}, got {got}"))
        }
    };
    expect(reply(&mut s, &mut line).await?, "220")?;
    s.get_mut().write_all(b"EHLO bench.example\r\n").await?;
    expect(reply(&mut s, &mut line).await?, "250")?;
    let mut sent = 0;
    for (i, rcpt) in messages.iter().enumerate() {
        s.get_mut()
            .write_all(b"MAIL FROM:<bench@outside.example>\r\n")
            .await?;
        expect(reply(&mut s, &mut line).await?, "250")?;
        s.get_mut()
            .write_all(format!("RCPT TO:<{rcpt}>\r\n").as_bytes())
            .await?;
        expect(reply(&mut s, &mut line).await?, "250")?;
        s.get_mut().write_all(b"DATA\r\n").await?;
        expect(reply(&mut s, &mut line).await?, "354")?;
        let body = format!(
            "From: bench@outside.example\r\nTo: {rcpt}\r\nSubject: bench {i}\r\n\r\nA small message for the delivery benchmark.\r\n.\r\n"
        );
        s.get_mut().write_all(body.as_bytes()).await?;
        expect(reply(&mut s, &mut line).await?, "250")?;
        sent += 1;
    }
    s.get_mut().write_all(b"QUIT\r\n").await?;
    Ok(sent)
}

fn stored(maildir: &Path) -> usize {
    ["new", "cur"]
        .iter()
        .filter_map(|d| std::fs::read_dir(maildir.join(d)).ok())
        .map(|entries| entries.filter_map(|e| e.ok()).count())
        .sum()
}

/// `messages` messages to `mailboxes` mailboxes over `connections` parallel
/// SMTP sessions; counts what Dovecot stored.
async fn delivery(b: &Bench, mailboxes: usize, messages: usize, connections: usize) -> Result<()> {
    let cli = Actor::operator_cli();
    let started = Instant::now();
    for i in 0..mailboxes {
        b.t.app
            .mailboxes()
            .create(
                &cli,
                konbit_app::mailbox::CreateMailbox {
                    address: format!("box{i}@{DOMAIN}"),
                    password: PASSWORD.into(),
                    quota_mb: Some(50),
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
    }
    let mut live = false;
    for _ in 0..1200 {
        let settings =
            b.t.app
                .mail_domains()
                .settings(&cli, DOMAIN)
                .await
                .map_err(|e| anyhow!("{e}"))?;
        if settings.status == Some(konbit_core::model::ObjectStatus::Applied) {
            live = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !live {
        bail!("the mailboxes never became live");
    }
    println!(
        "{mailboxes} mailboxes created and served in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let lanes = connections.max(1);
    let mut queues: Vec<Vec<String>> = vec![Vec::new(); lanes];
    for m in 0..messages {
        queues[m % lanes].push(format!("box{}@{DOMAIN}", m % mailboxes));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for q in queues {
        tasks.push(tokio::spawn(smtp_session(b.mail.smtp_addr(), q)));
    }
    let mut accepted = 0;
    for task in tasks {
        accepted += task.await??;
    }
    let accept_secs = started.elapsed().as_secs_f64();
    let vmail = b.mail.vmail_dir().join(DOMAIN);
    let maildir = |i: usize| vmail.join(format!("box{i}")).join("Maildir");
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut total = 0;
    while Instant::now() < deadline {
        total = (0..mailboxes).map(|i| stored(&maildir(i))).sum::<usize>();
        if total >= messages {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered_secs = started.elapsed().as_secs_f64();
    println!(
        "{messages} messages to {mailboxes} mailboxes over {connections} SMTP connections: accepted by Postfix in {accept_secs:.1} s ({:.0} msg/s), all stored by Dovecot in {delivered_secs:.1} s ({:.0} msg/s end to end)",
        accepted as f64 / accept_secs,
        total as f64 / delivered_secs,
    );
    let want = |i: usize| messages / mailboxes + usize::from(i < messages % mailboxes);
    let wrong: Vec<String> = (0..mailboxes)
        .filter_map(|i| {
            let got = stored(&maildir(i));
            (got != want(i)).then(|| format!("box{i}: {got} (want {})", want(i)))
        })
        .collect();
    println!(
        "loss: {} message(s) missing, {} mailbox(es) with a wrong count{}",
        messages.saturating_sub(total),
        wrong.len(),
        if wrong.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                wrong
                    .iter()
                    .take(10)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let logins = count("KONBIT_BENCH_LOGINS", 200, 3, smoke)?;
    let mailboxes = count("KONBIT_BENCH_MAILBOXES", 1000, 5, smoke)?.max(1);
    let messages = count("KONBIT_BENCH_MESSAGES", 10_000, 20, smoke)?;
    let connections = count("KONBIT_BENCH_CONNECTIONS", 8, 2, smoke)?;
    println!(
        "machine: {} core(s)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let Some(b) = Bench::start(logins + mailboxes).await? else {
        println!("Postfix/Dovecot are not installed (or not root): skipping the mail figures");
        return Ok(());
    };
    login_latency(&b, logins).await?;
    delivery(&b, mailboxes, messages, connections).await?;
    Ok(())
}
