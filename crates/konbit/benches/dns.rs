//! DNS figures: how long from an API call that creates a record until the
//! real PowerDNS answers it (p50, p99 over 1,000 changes); how long a full
//! resync of 50,000 zones of 10 records takes, from an empty PowerDNS
//! database and again when nothing changed; and whether the cost of one
//! change grows with the number of zones. Figures are printed, never
//! asserted.
//!
//!     cargo bench -p konbit --bench dns
//!
//! Without `--bench` on the command line (as under `cargo test
//! --all-targets`) it runs a small smoke version. Needs pdns-server,
//! pdns-backend-sqlite3 (Debian) on this machine; it says so and exits if
//! they are missing.
//!
//! Environment: `KONBIT_BENCH_CHANGES` (default 1000), `KONBIT_BENCH_ZONES`
//! (default 50000).

use anyhow::{Context, Result, anyhow};
use base64::Engine;
use konbit_app::AppConfig;
use konbit_app::dnssec_key::generate_key;
use konbit_core::model::{AccountId, DomainId};
use konbit_core::names::Fqdn;
use konbit_core::zone_template::{ZoneTemplate, serial_floor};
use konbit_provision::dns::{DnsProvisioner, PdnsTarget};
use konbit_provision::{Registry, Worker, WorkerConfig};
use konbit_store::{DnssecKeyRow, NewDomain, NewRecord};
use konbit_testkit::app::TestApp;
use konbit_testkit::pdns::{PowerDns, SCHEMA};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const TARGET_P99_MS: f64 = 1000.0;
const TARGET_RESYNC_S: f64 = 60.0;
const RECORDS_PER_ZONE: usize = 10;

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

fn template() -> Result<ZoneTemplate> {
    Ok(ZoneTemplate {
        nameservers: vec![
            Fqdn::parse("ns", "ns1.coop.test", 2).map_err(|e| anyhow!("{e}"))?,
            Fqdn::parse("ns", "ns2.coop.test", 2).map_err(|e| anyhow!("{e}"))?,
        ],
        ..ZoneTemplate::default()
    })
}

fn worker(t: &TestApp, pdns: &PowerDns) -> Result<Worker> {
    let registry = Registry::new().register(DnsProvisioner::new(
        t.app.store.clone(),
        PdnsTarget {
            database: pdns.database().to_owned(),
            schema: SCHEMA.into(),
            group: None,
            busy_timeout: Duration::from_secs(5),
        },
        template()?,
    ));
    Ok(Worker::new(
        t.app.store.clone(),
        registry,
        t.app.reconcile_wakeup.clone(),
        WorkerConfig {
            batch: 256,
            ..WorkerConfig::default()
        },
    ))
}

/// One UDP query; true when the answer section is not empty.
async fn answered(
    socket: &tokio::net::UdpSocket,
    server: SocketAddr,
    name: &str,
    id: u16,
) -> Result<bool> {
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(u8::try_from(label.len())?);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    socket.send_to(&q, server).await?;
    let mut buf = [0u8; 1500];
    let n = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf))
        .await
        .context("no answer from PowerDNS within 2 s")??;
    Ok(n >= 8 && buf[..2] == id.to_be_bytes() && u16::from_be_bytes([buf[6], buf[7]]) > 0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn latency(changes: usize) -> Result<()> {
    let t = TestApp::spawn_with(AppConfig {
        zone_template: template()?,
        ..AppConfig::default()
    })
    .await?;
    let Some(pdns) = PowerDns::try_start(&t.dir.path().join("pdns")).await? else {
        println!("PowerDNS is not installed: skipping the DNS figures");
        return Ok(());
    };
    let (_, owner, _) = t.seed_account("radio").await?;
    let token = t.token_for(&owner, &["domains:write"]).await?;
    let api = t.api(Some(&token))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker(&t, &pdns)?.run(async {
        let _ = stopped.await;
    }));
    let res = api
        .send_json(
            reqwest::Method::POST,
            "/api/v1/domains",
            &json!({ "account": "radio", "name": "radio.test" }),
        )
        .await?;
    anyhow::ensure!(
        res.status() == 201,
        "creating the zone: {}",
        res.text().await?
    );
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    let mut samples = Vec::with_capacity(changes);
    for i in 0..changes {
        let name = format!("r{i}");
        let started = Instant::now();
        let res = api
            .send_json(
                reqwest::Method::POST,
                "/api/v1/domains/radio.test/records",
                &json!({ "name": name, "type": "A", "value": "192.0.2.1", "ttl": 300 }),
            )
            .await?;
        anyhow::ensure!(res.status() == 201, "record {i}: {}", res.text().await?);
        let fqdn = format!("{name}.radio.test");
        let mut served = false;
        // Bounded: 2,000 queries of at most 2 s, but each answer comes back
        // in well under a millisecond.
        for attempt in 0..2000u16 {
            if answered(&socket, pdns.addr(), &fqdn, attempt).await? {
                served = true;
                break;
            }
        }
        anyhow::ensure!(served, "{fqdn} was never served");
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = stop.send(());
    let _ = running.await;
    samples.sort_by(|a, b| a.total_cmp(b));
    println!(
        "create-record -> PowerDNS answers, {changes} changes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < {TARGET_P99_MS} ms)",
        percentile(&samples, 50.0),
        percentile(&samples, 99.0),
        samples.last().copied().unwrap_or_default(),
    );
    Ok(())
}

/// Writes `zones` domains of 10 records (and a DNSSEC key each) straight
/// into the store, in large transactions, and queues nothing.
async fn seed(
    t: &TestApp,
    account: AccountId,
    zones: usize,
    first: usize,
) -> Result<Vec<DomainId>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let now = konbit_app::now();
    let mut ids = Vec::with_capacity(zones);
    for chunk_start in (0..zones).step_by(2000) {
        let mut tx = t.app.store.write().await?;
        for i in chunk_start..(chunk_start + 2000).min(zones) {
            let n = first + i;
            let name =
                Fqdn::parse("name", &format!("zone{n}.test"), 2).map_err(|e| anyhow!("{e}"))?;
            let id = tx
                .insert_domain(
                    &NewDomain {
                        account_id: account,
                        name,
                        alias_of: None,
                        dnssec: true,
                        mail: false,
                    },
                    serial_floor(now),
                    now,
                )
                .await?;
            for ns in ["ns1.coop.test", "ns2.coop.test"] {
                let r = NewRecord {
                    name: String::new(),
                    rtype: "NS".into(),
                    ttl: 3600,
                    value: ns.into(),
                };
                tx.insert_record(id, &r, 1, now).await?;
            }
            for r in 0..RECORDS_PER_ZONE - 2 {
                let rec = NewRecord {
                    name: format!("host{r}"),
                    rtype: "A".into(),
                    ttl: 300,
                    value: format!("192.0.2.{}", r + 1),
                };
                tx.insert_record(id, &rec, 1, now).await?;
            }
            let key = generate_key().map_err(|e| anyhow!("{e}"))?;
            tx.insert_dnssec_key(
                id,
                &DnssecKeyRow {
                    algorithm: 13,
                    flags: 257,
                    private_key: b64.encode(key.private_scalar),
                    public_key: b64.encode(&key.public_key),
                },
                now,
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
    }
    Ok(ids)
}

/// Queues every zone and applies the queue; returns the seconds it took.
async fn full_resync(w: &mut Worker) -> Result<f64> {
    let started = Instant::now();
    w.resync().await?;
    for _ in 0..1_000_000 {
        let r = w.run_once().await?;
        if r.applied == 0 && r.failed == 0 && r.retried == 0 {
            break;
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The time to apply one record change in zone `id`, median of `n`.
async fn one_change(t: &TestApp, w: &mut Worker, id: DomainId, n: usize) -> Result<f64> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let now = konbit_app::now();
        let mut tx = t.app.store.write().await?;
        let g = tx.bump_domain(id, serial_floor(now), now).await?;
        let r = NewRecord {
            name: format!("change{i}"),
            rtype: "A".into(),
            ttl: 300,
            value: "192.0.2.9".into(),
        };
        tx.insert_record(id, &r, g, now).await?;
        tx.enqueue("dns_zone", id.0, g, now).await?;
        tx.commit().await?;
        let started = Instant::now();
        w.run_once().await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    Ok(percentile(&samples, 50.0))
}

async fn resync(zones: usize) -> Result<()> {
    let t = TestApp::spawn_with(AppConfig {
        zone_template: template()?,
        ..AppConfig::default()
    })
    .await?;
    let Some(pdns) = PowerDns::try_start(&t.dir.path().join("pdns")).await? else {
        return Ok(());
    };
    let (account, _, _) = t.seed_account("big").await?;
    let small = 100.min(zones);
    let seeded = Instant::now();
    let ids = seed(&t, account, small, 0).await?;
    let mut w = worker(&t, &pdns)?;
    full_resync(&mut w).await?;
    let small_change = one_change(&t, &mut w, ids[0], 50).await?;
    seed(&t, account, zones - small, small).await?;
    println!(
        "seeded {zones} zones x {RECORDS_PER_ZONE} records in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    let cold = full_resync(&mut w).await?;
    let warm = full_resync(&mut w).await?;
    let big_change = one_change(&t, &mut w, ids[0], 50).await?;
    println!(
        "full resync of {zones} zones: {cold:.1} s into an empty PowerDNS database, {warm:.1} s when nothing changed (target < {TARGET_RESYNC_S} s)"
    );
    println!(
        "one change applied: {small_change:.2} ms (median) with {small} zones, {big_change:.2} ms with {zones} zones"
    );
    pdns.check_zone(&format!("zone{}.test", zones - 1))?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let changes = count("KONBIT_BENCH_CHANGES", 1000, 20, smoke)?;
    let zones = count("KONBIT_BENCH_ZONES", 50_000, 200, smoke)?;
    latency(changes).await?;
    resync(zones).await?;
    Ok(())
}
