//! Mailing list figures with the real Mailman 3 core, Postfix and Dovecot:
//! from the API call that creates a list until Mailman has it (the list
//! provisioner's apply) and Postfix routes its address (the mail
//! provisioner's rows), and until a post from a subscribed mailbox, sent
//! through submission, is in another subscriber's mailbox over IMAP (p50,
//! p99). Figures are printed, never asserted.
//!
//!     cargo bench -p konbit --bench lists
//!
//! Without `--bench` on the command line (as under `cargo test
//! --all-targets`) it runs a smoke version of 2 lists. Needs root and
//! Debian's mailman3, postfix, postfix-sqlite and dovecot packages; it says
//! so and exits if they are missing.
//!
//! Environment: `KONBIT_BENCH_LISTS` (default 10).

use anyhow::{Context, Result, anyhow, bail};
use konbit_app::AppConfig;
use konbit_app::list::ListConfig;
use konbit_core::authz::Actor;
use konbit_core::names::Fqdn;
use konbit_core::quota::QuotaLimits;
use konbit_core::zone_template::ZoneTemplate;
use konbit_provision::lists::ListProvisioner;
use konbit_provision::lists::mailman::{ListId, MailmanClient, NewMember};
use konbit_provision::mail::{MailProvisioner, MailTarget};
use konbit_provision::{Registry, Worker, WorkerConfig};
use konbit_testkit::app::{Api, TestApp};
use konbit_testkit::mail::{
    ListRelay, MailLists, MailOptions, MailServer, Tls, build_message, create_lookup_db,
    imap_fetch_latest, lookup_pool, send_submission,
};
use konbit_testkit::mailman::{Mailman, MailmanOptions};
use serde_json::json;
use sqlx::SqlitePool;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
const DOMAIN: &str = "radio.test";
const POSTER: &str = "ada@radio.test";
const READER: &str = "bob@radio.test";
/// How long one step may take before the bench gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(20);

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

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Konbit with account "radio", its domain with mail on and the mailboxes
/// ada and bob; Mailman, Postfix (routing lists to Mailman's LMTP, taking
/// Mailman's mail on its relay listener) and Dovecot; a running worker with
/// the mail and list provisioners.
struct Bench {
    // Dropped last: the daemons' directories are in its temporary one.
    _t: TestApp,
    mail: MailServer,
    mailman: Mailman,
    client: MailmanClient,
    lookup: SqlitePool,
    api: Api,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Bench {
    async fn start(lists: usize) -> Result<Option<Self>> {
        if !Mailman::available()? || !MailServer::available()? {
            return Ok(None);
        }
        let t = TestApp::spawn_with(AppConfig {
            zone_template: ZoneTemplate {
                mail_exchanger: Some(
                    Fqdn::parse("mx", "mx.coop.test", 2).map_err(|e| anyhow!("{e}"))?,
                ),
                ..ZoneTemplate::default()
            },
            lists: ListConfig { enabled: true },
            ..AppConfig::default()
        })
        .await?;
        let relay = ListRelay::new()?;
        let options = MailmanOptions {
            smtp: relay.addr(),
            smtp_auth: Some(relay.smtp_auth()),
        };
        let started = Instant::now();
        let Some(mailman) = Mailman::try_start(&t.dir.path().join("mailman"), options).await?
        else {
            return Ok(None);
        };
        println!(
            "Mailman core answered (REST and LMTP) {:.1} s after its start",
            started.elapsed().as_secs_f64()
        );
        let lookup_path = t.dir.path().join("mail/db/lookup.sqlite3");
        create_lookup_db(&lookup_path).await?;
        let routing = MailLists {
            lmtp: mailman.lmtp_addr(),
            relay,
            site_owner: Some(mailman.site_owner().to_owned()),
        };
        let Some(mail) = MailServer::try_start_with_lists(
            &t.dir.path().join("mail/servers"),
            &lookup_path,
            &MailOptions::default(),
            &routing,
        )
        .await?
        else {
            return Ok(None);
        };
        let lookup = lookup_pool(&lookup_path).await?;
        let client = MailmanClient::new(
            &mailman.rest_url(),
            mailman.rest_user(),
            mailman.rest_password(),
        )
        .map_err(|e| anyhow!("{e}"))?;

        let (account, owner, _) = t.seed_account("radio").await?;
        let cli = Actor::operator_cli();
        let big = t
            .app
            .quota_profiles()
            .create(
                &cli,
                konbit_app::quota_profile::ProfileInput {
                    name: "bench".into(),
                    limits: QuotaLimits {
                        mailing_lists: lists as u64 + 10,
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
            .token_for(&owner, &["domains:write", "mail:write", "lists:write"])
            .await?;
        let api = t.api(Some(&token))?;
        let mut calls = vec![
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
        ];
        for address in [POSTER, READER] {
            calls.push((
                reqwest::Method::POST,
                "/api/v1/mailboxes".to_owned(),
                json!({ "address": address, "password": PASSWORD, "quota_mb": 10 }),
            ));
        }
        for (method, path, body) in calls {
            let res = api.send_json(method, &path, &body).await?;
            if !res.status().is_success() {
                bail!("{path}: {}", res.text().await?);
            }
        }
        let target = MailTarget {
            lookup_db: lookup_path,
            group: Some("postfix".into()),
            vmail_root: mail.vmail_dir(),
            sieve_dir: mail.sieve_dir().to_owned(),
            sievec: None,
            mail_group: Some("mail".into()),
            dkim: None,
            busy_timeout: Duration::from_secs(5),
        };
        let registry = Registry::new()
            .register(MailProvisioner::new(t.app.store.clone(), target))
            .register(ListProvisioner::new(
                t.app.store.clone(),
                client.clone(),
                t.dir.path().join("lists/provisioned.json"),
            ));
        let worker = Worker::new(
            t.app.store.clone(),
            registry,
            t.app.reconcile_wakeup.clone(),
            WorkerConfig::default(),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));
        Ok(Some(Self {
            _t: t,
            mail,
            mailman,
            client,
            lookup,
            api,
            stop: Some(stop),
        }))
    }

    /// Waits (bounded) until `check` says yes; `what` names it in the error.
    async fn until<F, Fut>(&self, what: &str, mut check: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let started = Instant::now();
        while started.elapsed() < STEP_TIMEOUT {
            if check().await? {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
        bail!(
            "{what}: not within {} s; maillog:\n{}\nMailman:\n{}",
            STEP_TIMEOUT.as_secs(),
            self.mail.maillog_tail(20),
            self.mailman.log_tail(20)
        )
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.mailman.stop();
        self.mail.stop();
    }
}

/// The figures of one list, in ms from the API call.
struct Sample {
    in_mailman: f64,
    routed: f64,
    delivered: f64,
    /// From the post's submission to its delivery.
    post: f64,
}

async fn one_list(b: &Bench, i: usize) -> Result<Sample> {
    let name = format!("bench{i}");
    let address = format!("{name}@{DOMAIN}");
    let list_id = ListId::parse(&format!("{name}.{DOMAIN}")).map_err(|e| anyhow!("{e}"))?;
    let started = Instant::now();
    let res = b
        .api
        .send_json(
            reqwest::Method::POST,
            "/api/v1/lists",
            &json!({ "address": address, "subscription": "open", "posting": "members" }),
        )
        .await?;
    if res.status() != 201 {
        bail!("creating {address}: {}", res.text().await?);
    }
    let client = &b.client;
    b.until(&format!("{address} in Mailman"), || async {
        Ok(client
            .list(&list_id)
            .await
            .map_err(|e| anyhow!("{e}"))?
            .is_some())
    })
    .await?;
    let in_mailman = ms(started);
    let lookup = &b.lookup;
    b.until(&format!("{address} routed by Postfix"), || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM list_routes WHERE address = ?")
            .bind(&address)
            .fetch_one(lookup)
            .await?;
        Ok(n == 1)
    })
    .await?;
    let routed = ms(started);

    // Both subscribed as the list's owner would, without a welcome
    // message (it would race the post to bob's mailbox).
    for member in [POSTER, READER] {
        let mut m = NewMember::by_owner(member);
        m.send_welcome_message = Some(false);
        client
            .add_member(&list_id, &m)
            .await
            .map_err(|e| anyhow!("subscribing {member} to {address}: {e}"))?;
    }
    let token = format!("bench-post-{i}-{}", std::process::id());
    let raw = build_message(
        POSTER,
        &[&address],
        &token,
        "A post for the benchmark.",
        &[],
    )
    .map_err(|e| anyhow!("{e}"))?;
    let posted = Instant::now();
    send_submission(
        b.mail.submission_addr(),
        Tls::Starttls,
        Some((POSTER, PASSWORD)),
        POSTER,
        &[&address],
        &raw,
    )
    .await
    .map_err(|e| anyhow!("posting to {address}: {e}"))?;
    let imap = b.mail.imap_addr();
    b.until(&format!("the post to {address} in {READER}"), || async {
        let latest = imap_fetch_latest(imap, READER, PASSWORD).await?;
        Ok(latest.is_some_and(|m| m.contains(&token)))
    })
    .await?;
    Ok(Sample {
        in_mailman,
        routed,
        delivered: ms(started),
        post: ms(posted),
    })
}

fn report(what: &str, n: usize, mut values: Vec<f64>) {
    values.sort_by(f64::total_cmp);
    println!(
        "{what}, {n} lists: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&values, 50.0),
        percentile(&values, 99.0),
        values.last().copied().unwrap_or(0.0),
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let n = count("KONBIT_BENCH_LISTS", 10, 2, smoke)?.max(1);
    println!(
        "machine: {} core(s)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let Some(b) = Bench::start(n).await? else {
        println!(
            "Mailman, Postfix or Dovecot is not installed (or not root): skipping the list figures"
        );
        return Ok(());
    };
    // The mailboxes live before the first list.
    let cli = Actor::operator_cli();
    let app = &b._t.app;
    b.until("the mailboxes served", || async {
        let s = app
            .mail_domains()
            .settings(&cli, DOMAIN)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        Ok(s.status == Some(konbit_core::model::ObjectStatus::Applied))
    })
    .await?;
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        samples.push(one_list(&b, i).await?);
    }
    report(
        "list create (API) -> list exists in Mailman",
        n,
        samples.iter().map(|s| s.in_mailman).collect(),
    );
    report(
        "list create (API) -> its address routed by Postfix",
        n,
        samples.iter().map(|s| s.routed).collect(),
    );
    report(
        "post submitted -> in a subscriber's mailbox (IMAP)",
        n,
        samples.iter().map(|s| s.post).collect(),
    );
    report(
        "list create (API) -> first post delivered (incl. 2 subscriptions over REST)",
        n,
        samples.iter().map(|s| s.delivered).collect(),
    );
    println!(
        "  (the post goes submission -> Postfix -> Mailman's LMTP -> its pipeline and out runner -> Postfix's relay listener -> Dovecot)"
    );
    Ok(())
}
