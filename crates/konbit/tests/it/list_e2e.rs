//! Mailing lists end to end: a list made through Konbit's API exists in a
//! real Mailman (the list provisioner), its addresses reach Mailman's LMTP
//! through the real Postfix (the mail provisioner's routes), members are
//! subscribed and removed through the API, a held post is approved from
//! the panel, and the posts land in Dovecot mailboxes, read over IMAP.
//! Both provisioners run in the reconciler as `konbit serve` runs them.
//! Tests that start Mailman have `mailman` in their name (nextest runs
//! them in that group).

use crate::api::{delete, get, items, send};
use crate::list_server::imp::MailmanListServer;
use konbit_app::AppConfig;
use konbit_app::list::ListConfig;
use konbit_provision::lists::ListProvisioner;
use konbit_provision::lists::mailman::{ListId, ListSettingsPatch, MailmanClient};
use konbit_provision::mail::{MailProvisioner, MailTarget};
use konbit_provision::{Registry, Worker};
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person};
use konbit_testkit::mail::{
    ListRelay, MailLists, MailOptions, MailServer, Tls, build_message, create_lookup_db,
    imap_count, imap_fetch_latest, imap_login_ok, send as smtp_send, send_submission,
};
use konbit_testkit::mailman::{Mailman, MailmanOptions};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

const DOMAIN: &str = "radio.example";
const LIST: &str = "team@radio.example";
const ADA: &str = "ada@radio.example";
const BOB: &str = "bob@radio.example";
const STRANGER: &str = "stranger@outside.test";
const PASSWORD: &str = "correct horse battery";
/// Mailman's runners poll their queues, slowly on two cores.
const PIPELINE_WAIT: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(250);

/// Konbit with both provisioners in its reconciler, a real Mailman, and
/// Postfix + Dovecot routing list addresses to Mailman; account "radio"
/// with the mail domain `radio.example`, two mailboxes and the list
/// `team@radio.example`, made through the API and applied.
struct Env {
    t: TestApp,
    mail: MailServer,
    mailman: Mailman,
    client: MailmanClient,
    /// Account radio's owner, with the domain, mail and list scopes.
    api: Api,
    owner: Person,
    list_id: i64,
    stop: Option<oneshot::Sender<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        // The worker first, so nothing writes to the daemons as they stop.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
        self.mail.stop();
        self.mailman.stop();
    }
}

impl Env {
    /// `None` when Postfix/Dovecot or Mailman is missing and the
    /// `REQUIRE_*_TESTS` variables are not set.
    async fn start() -> Option<Env> {
        if !MailServer::available().unwrap() || !Mailman::available().unwrap() {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("konbit-le2e-")
            .tempdir()
            .unwrap();
        // Mailman sends through the relay listener Postfix opens for it;
        // Postfix delivers list mail to Mailman's LMTP.
        let relay = ListRelay::new().unwrap();
        let mailman = Mailman::try_start(
            &dir.path().join("mailman"),
            MailmanOptions {
                smtp: relay.addr(),
                smtp_auth: Some(relay.smtp_auth()),
            },
        )
        .await
        .unwrap()?;
        let lookup = dir.path().join("mail").join("db").join("lookup.sqlite3");
        create_lookup_db(&lookup).await.unwrap();
        let lists = MailLists {
            lmtp: mailman.lmtp_addr(),
            relay,
            site_owner: Some(mailman.site_owner().to_owned()),
        };
        let mail = MailServer::try_start_with_lists(
            &dir.path().join("mail").join("servers"),
            &lookup,
            &MailOptions { dkim: false },
            &lists,
        )
        .await
        .unwrap()?;
        let client = MailmanClient::new(
            &mailman.rest_url(),
            mailman.rest_user(),
            mailman.rest_password(),
        )
        .unwrap();
        let t = TestApp::spawn_with_list_server(
            AppConfig {
                lists: ListConfig { enabled: true },
                ..AppConfig::default()
            },
            Arc::new(MailmanListServer::new(client.clone())),
        )
        .await
        .unwrap();

        // The reconciler of `konbit serve` with mail and lists on.
        let target = MailTarget {
            lookup_db: lookup,
            group: Some("postfix".into()),
            vmail_root: mail.vmail_dir(),
            sieve_dir: mail.sieve_dir().to_owned(),
            sievec: Some("/usr/bin/sievec".into()),
            mail_group: Some("mail".into()),
            dkim: None,
            busy_timeout: Duration::from_millis(500),
        };
        let registry = Registry::new()
            .register(MailProvisioner::new(t.app.store.clone(), target))
            .register(ListProvisioner::new(
                t.app.store.clone(),
                client.clone(),
                dir.path().join("lists").join("provisioned.json"),
            ));
        let worker = Worker::new(
            t.app.store.clone(),
            registry,
            t.app.reconcile_wakeup.clone(),
            crate::dns::worker_config(),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let worker = tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));

        let (account, owner, _) = t.seed_account("radio").await.unwrap();
        t.app
            .domains()
            .create(
                &konbit_core::authz::Actor::operator_cli(),
                konbit_app::domain::CreateDomain {
                    account_id: account.0,
                    name: DOMAIN.into(),
                    mail: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let token = t
            .token_for(&owner, &["domains:write", "mail:write", "lists:write"])
            .await
            .unwrap();
        let api = t.api(Some(&token)).unwrap();
        let mut env = Env {
            t,
            mail,
            mailman,
            client,
            api,
            owner,
            list_id: 0,
            stop: Some(stop),
            worker: Some(worker),
            _dir: dir,
        };
        for address in [ADA, BOB] {
            send(
                &env.api,
                Method::POST,
                "/api/v1/mailboxes",
                &json!({ "address": address, "password": PASSWORD, "quota_mb": 50 }),
            )
            .await
            .ok(201);
        }
        let list = send(
            &env.api,
            Method::POST,
            "/api/v1/lists",
            &json!({ "address": LIST }),
        )
        .await
        .ok(201);
        env.list_id = list["id"].as_i64().unwrap();
        env.until_applied().await;
        for address in [ADA, BOB] {
            env.until_login(address).await;
        }
        Some(env)
    }

    fn base(&self) -> String {
        format!("/api/v1/lists/{}", self.list_id)
    }

    /// Waits until the list is in Mailman with its settings and the mail
    /// domain (which routes the list's addresses) is applied too.
    async fn until_applied(&self) {
        let started = Instant::now();
        let mut last = (Value::Null, Value::Null);
        while started.elapsed() < PIPELINE_WAIT {
            last = (
                get(&self.api, &self.base()).await.ok(200),
                get(&self.api, &format!("/api/v1/domains/{DOMAIN}/mail"))
                    .await
                    .ok(200),
            );
            if last.0["status"]["state"] == "applied" && last.1["status"] == "applied" {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("the list or its domain's mail never applied: {last:#?}");
    }

    async fn until_login(&self, address: &str) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if imap_login_ok(self.mail.imap_addr(), address, PASSWORD)
                .await
                .unwrap()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{address} could not log in over IMAP within 20 s");
    }

    async fn count(&self, address: &str) -> u32 {
        imap_count(self.mail.imap_addr(), address, PASSWORD)
            .await
            .unwrap()
    }

    /// Waits until `address`'s INBOX holds `n` messages, the newest with
    /// `needle` (in a header: Mailman's footer may re-encode the body),
    /// and returns that message.
    async fn until_mail(&self, address: &str, n: u32, needle: &str) -> String {
        let started = Instant::now();
        let mut count = 0;
        while started.elapsed() < PIPELINE_WAIT {
            count = self.count(address).await;
            if count >= n {
                assert_eq!(count, n, "{address}: more mail than expected");
                let text = imap_fetch_latest(self.mail.imap_addr(), address, PASSWORD)
                    .await
                    .unwrap()
                    .unwrap();
                assert!(
                    text.contains(needle),
                    "{address}: newest is not {needle:?}:\n{text}"
                );
                return text;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!(
            "{address}: {count} message(s) after {PIPELINE_WAIT:?}, want {n} ({needle:?})\n\
             maillog:\n{}\nMailman:\n{}",
            self.mail.maillog_tail(40),
            self.mailman.log_tail(40)
        );
    }

    /// A member posts from her mail client: the submission listener, with
    /// her login (the MX refuses a hosted sender without one).
    async fn member_post(&self, from: &str, subject: &str, body: &str) {
        let raw = build_message(from, &[LIST], subject, body, &[]).unwrap();
        send_submission(
            self.mail.submission_addr(),
            Tls::Starttls,
            Some((from, PASSWORD)),
            from,
            &[LIST],
            &raw,
        )
        .await
        .unwrap();
    }

    /// The held posts, through the API.
    async fn held(&self) -> Vec<Value> {
        get(&self.api, &format!("{}/held", self.base()))
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .clone()
    }

    async fn until_held(&self, n: usize) -> Vec<Value> {
        let started = Instant::now();
        let mut last = Vec::new();
        while started.elapsed() < PIPELINE_WAIT {
            last = self.held().await;
            if last.len() >= n {
                return last;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!(
            "{n} held post(s) expected, found {last:?}\nmaillog:\n{}\nMailman:\n{}",
            self.mail.maillog_tail(40),
            self.mailman.log_tail(40)
        );
    }

    async fn members(&self, api: &Api) -> Vec<String> {
        let page = get(api, &format!("{}/members", self.base())).await.ok(200);
        items(&page)
            .iter()
            .map(|m| m["address"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailman_list_posts_moderation_and_unsubscribe_end_to_end() {
    let Some(env) = Env::start().await else {
        return;
    };
    // The list is in Mailman, as Konbit's settings say.
    let mailman_id = ListId::parse(&format!("team.{DOMAIN}")).unwrap();
    let settings = env.client.settings(&mailman_id).await.unwrap();
    assert!(!settings.advertised, "{settings:?}");
    // No welcome messages: the counts below are the posts'.
    env.client
        .update_settings(
            &mailman_id,
            &ListSettingsPatch {
                send_welcome_message: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // 1. Both mailboxes subscribed through the API; a member's post
    // reaches every subscriber, the poster included.
    let out = send(
        &env.api,
        Method::POST,
        &format!("{}/members", env.base()),
        &json!({ "addresses": format!("{ADA}\n{BOB}\n") }),
    )
    .await
    .ok(200);
    assert_eq!(out["done"], json!([ADA, BOB]), "{out}");
    assert_eq!(env.members(&env.api).await, [ADA, BOB]);
    let posted = Instant::now();
    env.member_post(ADA, "Programme e2e-one", "The schedule for Monday.")
        .await;
    for member in [ADA, BOB] {
        let text = env.until_mail(member, 1, "e2e-one").await;
        assert!(text.contains("List-Id:"), "{text}");
        assert!(text.contains(&format!("team.{DOMAIN}")), "{text}");
    }
    eprintln!("member's post delivered to both in {:?}", posted.elapsed());

    // 2. A non-member's post, through the MX, is held; the owner sees it
    // in the panel's moderation queue and approves it there; then it goes
    // to every subscriber.
    smtp_send(
        env.mail.smtp_addr(),
        STRANGER,
        &[LIST],
        "Offer e2e-two",
        "A word from outside.",
        None,
    )
    .await
    .unwrap();
    let held = env.until_held(1).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["sender"], STRANGER);
    let request = held[0]["id"].as_u64().unwrap();
    let panel = env.t.session_for(&env.owner).await.unwrap();
    let queue = format!("/lists/{}/moderation", env.list_id);
    let res = panel.get(&queue).await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let link = format!("/lists/{}/held/{request}", env.list_id);
    assert!(html.contains(&link), "{html}");
    assert!(html.contains(STRANGER), "{html}");
    let res = panel.post(&link, &[("decision", "approve")]).await.unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(&queue)
    );
    for member in [ADA, BOB] {
        env.until_mail(member, 2, "e2e-two").await;
    }
    assert!(env.held().await.is_empty());
    let html = panel.get(&queue).await.unwrap().text().await.unwrap();
    assert!(!html.contains(&link), "{html}");

    // 3. Bob unsubscribed through the API: the next post reaches Ada only.
    let r = delete(&env.api, &format!("{}/members/{BOB}", env.base())).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(env.members(&env.api).await, [ADA]);
    env.member_post(ADA, "Programme e2e-three", "Only for members.")
        .await;
    env.until_mail(ADA, 3, "e2e-three").await;
    // Mailman sends one post to its recipients together: once Ada has it,
    // Bob's copy would be at most moments behind.
    let grace = Instant::now();
    while grace.elapsed() < Duration::from_secs(3) {
        assert_eq!(env.count(BOB).await, 2, "Bob still receives the list");
        tokio::time::sleep(POLL).await;
    }
    let latest = imap_fetch_latest(env.mail.imap_addr(), BOB, PASSWORD)
        .await
        .unwrap()
        .unwrap();
    assert!(!latest.contains("e2e-three"), "{latest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailman_another_account_cannot_see_or_touch_the_list() {
    let Some(env) = Env::start().await else {
        return;
    };
    send(
        &env.api,
        Method::POST,
        &format!("{}/members", env.base()),
        &json!({ "addresses": ADA }),
    )
    .await
    .ok(200);
    let (_, other, _) = env.t.seed_account("garden").await.unwrap();
    let token = env
        .t
        .token_for(&other, &["lists:write", "lists:read"])
        .await
        .unwrap();
    let b = env.t.api(Some(&token)).unwrap();
    let base = env.base();
    get(&b, &format!("{base}/members"))
        .await
        .problem(404, "not_found");
    get(&b, &format!("{base}/held"))
        .await
        .problem(404, "not_found");
    send(
        &b,
        Method::POST,
        &format!("{base}/members"),
        &json!({ "addresses": BOB }),
    )
    .await
    .problem(404, "not_found");
    delete(&b, &format!("{base}/members/{ADA}"))
        .await
        .problem(404, "not_found");
    send(
        &b,
        Method::POST,
        &format!("{base}/held/1"),
        &json!({ "action": "approve" }),
    )
    .await
    .problem(404, "not_found");
    // Nothing changed in Mailman.
    assert_eq!(env.members(&env.api).await, [ADA]);
}
