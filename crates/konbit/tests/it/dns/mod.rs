//! Domains served by a real PowerDNS: the API writes, the reconciler
//! applies, `dig` reads the answer. Each test starts its own Konbit, its
//! own PowerDNS on a free loopback port, and a reconcile worker.

mod crash;
mod doctor;
mod property;
mod reconciler;
mod records;
mod zones;

use konbit_app::AppConfig;
use konbit_core::names::Fqdn;
use konbit_core::zone_template::ZoneTemplate;
use konbit_provision::dns::{DnsProvisioner, PdnsTarget};
use konbit_provision::{Registry, Worker, WorkerConfig};
use konbit_testkit::app::{Api, TestApp};
use konbit_testkit::pdns::{PowerDns, SCHEMA};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::oneshot;

pub struct DnsEnv {
    pub t: TestApp,
    pub pdns: PowerDns,
    /// The owner's API client (every scope) for account "radio".
    pub api: Api,
    pub account: String,
    stop: Option<oneshot::Sender<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
}

pub fn template() -> ZoneTemplate {
    let name = |s: &str| Fqdn::parse("test", s, 2).unwrap();
    ZoneTemplate {
        nameservers: vec![name("ns1.coop.test"), name("ns2.coop.test")],
        hostmaster: name("hostmaster.coop.test"),
        mail_exchanger: Some(name("mx.coop.test")),
        ..ZoneTemplate::default()
    }
}

pub fn target(pdns: &PowerDns) -> PdnsTarget {
    PdnsTarget {
        database: pdns.database().to_owned(),
        schema: SCHEMA.into(),
        group: None,
        busy_timeout: Duration::from_millis(300),
    }
}

pub fn worker_config() -> WorkerConfig {
    WorkerConfig {
        idle_tick: Duration::from_millis(200),
        backoff_base_secs: 1,
        backoff_max_secs: 1,
        fatal_pause_secs: 1,
        ..WorkerConfig::default()
    }
}

impl DnsEnv {
    /// Konbit + PowerDNS + a running worker; `None` when PowerDNS is not
    /// installed and `REQUIRE_PDNS_TESTS` is not set.
    pub async fn start() -> Option<Self> {
        let mut env = Self::without_worker().await?;
        env.start_worker();
        Some(env)
    }

    /// Konbit + PowerDNS; the test drives the worker itself.
    pub async fn without_worker() -> Option<Self> {
        let t = TestApp::spawn_with(AppConfig {
            zone_template: template(),
            ..AppConfig::default()
        })
        .await
        .unwrap();
        let pdns = PowerDns::try_start(&t.dir.path().join("pdns"))
            .await
            .unwrap()?;
        let (_, owner, _) = t.seed_account("radio").await.unwrap();
        let token = t
            .token_for(&owner, &["domains:write", "accounts:read"])
            .await
            .unwrap();
        let api = t.api(Some(&token)).unwrap();
        Some(Self {
            t,
            pdns,
            api,
            account: "radio".into(),
            stop: None,
            worker: None,
        })
    }

    pub fn worker(&self) -> Worker {
        let registry = Registry::new().register(DnsProvisioner::new(
            self.t.app.store.clone(),
            target(&self.pdns),
            template(),
        ));
        Worker::new(
            self.t.app.store.clone(),
            registry,
            self.t.app.reconcile_wakeup.clone(),
            worker_config(),
        )
    }

    pub fn start_worker(&mut self) {
        let (tx, rx) = oneshot::channel::<()>();
        let worker = self.worker();
        self.worker = Some(tokio::spawn(worker.run(async {
            let _ = rx.await;
        })));
        self.stop = Some(tx);
    }

    /// Adds a domain through the API; panics with the answer on failure.
    pub async fn add_domain(&self, name: &str, extra: Value) -> Value {
        let mut body = json!({ "account": self.account, "name": name });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let res = self
            .api
            .send_json(reqwest::Method::POST, "/api/v1/domains", &body)
            .await
            .unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{v:#}");
        v
    }

    /// Adds a record through the API; returns the answer (status, body).
    pub async fn add_record(
        &self,
        domain: &str,
        name: &str,
        rtype: &str,
        value: &str,
    ) -> (u16, Value) {
        let res = self
            .api
            .send_json(
                reqwest::Method::POST,
                &format!("/api/v1/domains/{domain}/records"),
                &json!({ "name": name, "type": rtype, "value": value, "ttl": 300 }),
            )
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// Waits (at most 10 s) until `dig name type` answers `want`.
    pub async fn until_served(&self, name: &str, rtype: &str, want: &[&str]) {
        let mut last = Vec::new();
        for _ in 0..200 {
            last = self.pdns.dig(name, rtype).unwrap();
            let mut got = last.clone();
            got.sort();
            let mut expected: Vec<String> = want.iter().map(|s| s.to_string()).collect();
            expected.sort();
            if got == expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("dig {name} {rtype}: got {last:?}, want {want:?}");
    }

    /// The zone's status as the API shows it.
    pub async fn zone_status(&self, domain: &str) -> Value {
        let v: Value = self
            .api
            .get(&format!("/api/v1/domains/{domain}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v
    }

    /// Waits (at most 10 s) until the zone's status is `want`.
    pub async fn until_status(&self, domain: &str, want: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..200 {
            last = self.zone_status(domain).await;
            if status_of(&last) == want {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{domain}: status never became {want}: {last:#}");
    }
}

/// The status string of a domain answer, wherever the DTO puts it.
pub fn status_of(v: &Value) -> &str {
    v.pointer("/status/state")
        .or_else(|| v.pointer("/status/status"))
        .or_else(|| v.pointer("/domain/status/status"))
        .or_else(|| v.pointer("/status"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

impl Drop for DnsEnv {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.worker.take() {
            h.abort();
        }
    }
}
