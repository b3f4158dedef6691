//! Hosted mail end to end: the API writes, the mail provisioner applies,
//! the real Postfix and Dovecot (and OpenDKIM, PowerDNS for DKIM) that the
//! testkit starts on loopback serve it, and real clients (SMTP, IMAP)
//! check it. Each test starts its own Konbit, mail servers and worker.

mod delivery;
mod sending;

use konbit_app::AppConfig;
use konbit_provision::dns::DnsProvisioner;
use konbit_provision::mail::{DkimTarget, MailProvisioner, MailTarget};
use konbit_provision::{Registry, Worker};
use konbit_testkit::app::{Api, TestApp};
use konbit_testkit::mail::{MailOptions, MailServer, create_lookup_db, imap_login_ok};
use konbit_testkit::pdns::PowerDns;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";

pub struct MailEnv {
    pub t: TestApp,
    pub mail: MailServer,
    pub pdns: Option<PowerDns>,
    /// Account "radio"'s owner, with mail and domain scopes.
    pub api: Api,
    stop: Option<oneshot::Sender<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl MailEnv {
    /// Konbit + Postfix + Dovecot (+ OpenDKIM and PowerDNS with `dkim`) and
    /// a running worker; `None` when the daemons are not installed and the
    /// `REQUIRE_*_TESTS` variables are not set.
    pub async fn start(dkim: bool) -> Option<Self> {
        let t = TestApp::spawn_with(AppConfig {
            zone_template: crate::dns::template(),
            ..AppConfig::default()
        })
        .await
        .unwrap();
        let dir = t.dir.path().join("mail");
        let lookup = dir.join("db").join("lookup.sqlite3");
        if !MailServer::available_with(&MailOptions { dkim }).unwrap() {
            return None;
        }
        create_lookup_db(&lookup).await.unwrap();
        let pdns = if dkim {
            Some(
                PowerDns::try_start(&t.dir.path().join("pdns"))
                    .await
                    .unwrap()?,
            )
        } else {
            None
        };
        let mail = MailServer::try_start_with(&dir.join("servers"), &lookup, &MailOptions { dkim })
            .await
            .unwrap()?;
        let (_, owner, _) = t.seed_account("radio").await.unwrap();
        let token = t
            .token_for(&owner, &["domains:write", "mail:write", "accounts:read"])
            .await
            .unwrap();
        let api = t.api(Some(&token)).unwrap();
        let target = MailTarget {
            lookup_db: lookup,
            group: Some("postfix".into()),
            vmail_root: mail.vmail_dir(),
            sieve_dir: mail.sieve_dir().to_owned(),
            sievec: Some("/usr/bin/sievec".into()),
            mail_group: Some("mail".into()),
            dkim: mail.dkim_dir().map(|dir| DkimTarget {
                dir: dir.to_owned(),
                pid_file: mail.opendkim_pid_file().map(ToOwned::to_owned),
                owner: Some("opendkim".into()),
            }),
            busy_timeout: Duration::from_millis(500),
        };
        let mut registry =
            Registry::new().register(MailProvisioner::new(t.app.store.clone(), target));
        if let Some(pdns) = &pdns {
            registry = registry.register(DnsProvisioner::new(
                t.app.store.clone(),
                crate::dns::target(pdns),
                crate::dns::template(),
            ));
        }
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
        Some(Self {
            t,
            mail,
            pdns,
            api,
            stop: Some(stop),
            worker: Some(worker),
        })
    }

    /// Sends `body` with `method` to `path`; panics unless the status is `want`.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value, want: u16) -> Value {
        let res = self.api.send_json(method, path, &body).await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, want, "{path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A domain of account "radio", with mail on.
    pub async fn mail_domain(&self, name: &str) {
        self.call(
            reqwest::Method::POST,
            "/api/v1/domains",
            json!({ "account": "radio", "name": name, "dnssec": false }),
            201,
        )
        .await;
        self.call(
            reqwest::Method::PUT,
            &format!("/api/v1/domains/{name}/mail"),
            json!({ "enabled": true }),
            200,
        )
        .await;
    }

    pub async fn mailbox(&self, address: &str, quota_mb: u64) {
        self.call(
            reqwest::Method::POST,
            "/api/v1/mailboxes",
            json!({ "address": address, "password": PASSWORD, "quota_mb": quota_mb }),
            201,
        )
        .await;
    }

    /// Waits (at most 10 s) until Dovecot accepts the mailbox's login;
    /// returns how long it took.
    pub async fn until_login(&self, address: &str) -> Duration {
        let started = Instant::now();
        for _ in 0..200 {
            if imap_login_ok(self.mail.imap_addr(), address, PASSWORD)
                .await
                .unwrap()
            {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{address} could not log in over IMAP within 10 s");
    }

    /// Waits (at most 10 s) until the mail domain's status is "applied".
    pub async fn until_applied(&self, domain: &str) {
        let mut last = Value::Null;
        for _ in 0..200 {
            last = self
                .api
                .get(&format!("/api/v1/domains/{domain}/mail"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if last["status"] == "applied" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("mail of {domain} never applied: {last:#}");
    }
}

impl Drop for MailEnv {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
        self.mail.stop();
    }
}

/// Waits (at most 15 s) until `address`'s INBOX holds `n` messages.
pub async fn until_count(env: &MailEnv, address: &str, n: u32) {
    let mut last = 0;
    for _ in 0..300 {
        last = konbit_testkit::mail::imap_count(env.mail.imap_addr(), address, PASSWORD)
            .await
            .unwrap();
        if last >= n {
            assert_eq!(last, n, "{address}: more messages than expected");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{address}: {last} message(s), want {n}; end of the maillog:\n{}",
        env.mail.maillog_tail(20)
    );
}
