//! Website figures with the real nginx, PHP-FPM, PowerDNS and pebble: how
//! long from the call that creates a site until nginx answers 200 for it
//! (p50, p99), until it serves HTTPS with a pebble certificate (p50), and,
//! with 10,000 sites, how long one change takes to be served (render,
//! check, reload). Figures are printed, never asserted.
//!
//!     cargo bench -p konbit --bench web
//!
//! Without `--bench` on the command line it runs a small smoke version.
//! Needs root and Debian's nginx, php8.2-fpm, pdns-server and pebble; it
//! says so and exits if they are missing.
//!
//! Environment: `KONBIT_BENCH_SITES` (sites timed to their first 200,
//! default 200), `KONBIT_BENCH_HTTPS` (sites timed to HTTPS, default 10),
//! `KONBIT_BENCH_MANY` (sites behind the one change, default 10000).

use anyhow::{Context, Result, anyhow, bail};
use konbit_app::AppConfig;
use konbit_app::site::{SiteConfig, SiteInput};
use konbit_core::authz::Actor;
use konbit_core::model::{AccountId, SiteId};
use konbit_core::quota::QuotaLimits;
use konbit_provision::acme::{AcmeSettings, CertificateProvisioner, Retry};
use konbit_provision::dns::{DnsProvisioner, PdnsTarget};
use konbit_provision::web::nginx::Nginx;
use konbit_provision::web::{SiteProvisioner, UnixSettings, WebTarget};
use konbit_provision::{Registry, Worker, WorkerConfig};
use konbit_testkit::app::TestApp;
use konbit_testkit::pdns::PowerDns;
use konbit_testkit::pebble::{Pebble, PebbleOptions};
use konbit_testkit::web::WebServer;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

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

fn report(what: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{what}: n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
        ms.len(),
        percentile(&ms, 50.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(0.0)
    );
}

struct Bench {
    t: TestApp,
    web: WebServer,
    pebble: Pebble,
    _pdns: PowerDns,
    target: WebTarget,
    account: AccountId,
    prefix: String,
    stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Bench {
    async fn start(sites: u64) -> Result<Option<Self>> {
        let t = TestApp::spawn_with(AppConfig {
            sites: SiteConfig {
                acme: true,
                ..SiteConfig::default()
            },
            ..AppConfig::default()
        })
        .await?;
        std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o711))?;
        let Some(web) = WebServer::try_start(&t.dir.path().join("web")).await? else {
            return Ok(None);
        };
        let Some(pdns) = PowerDns::try_start(&t.dir.path().join("pdns")).await? else {
            return Ok(None);
        };
        let Some(pebble) = Pebble::try_start(
            &t.dir.path().join("pebble"),
            &PebbleOptions {
                http_port: web.http_port(),
                dns_server: Some(pdns.addr()),
                ..PebbleOptions::default()
            },
        )
        .await?
        else {
            return Ok(None);
        };
        let prefix = format!("kbb{}-", std::process::id() % 10_000);
        let target = WebTarget {
            nginx: Nginx {
                binary: web.nginx_binary().to_owned(),
                main_conf: web.nginx_conf(),
                prefix: Some(web.nginx_prefix()),
                error_log: Some(web.nginx_error_log_path()),
            },
            sites_dir: web.sites_dir(),
            scratch_dir: t.dir.path().join("web-scratch"),
            fastcgi_params: "/etc/nginx/fastcgi_params".into(),
            listen_http: vec![SocketAddr::from(([127, 0, 0, 1], web.http_port()))],
            listen_https: vec![SocketAddr::from(([127, 0, 0, 1], web.https_port()))],
            acme_webroot: web.acme_webroot(),
            certs_dir: web.certs_dir(),
            log_dir: web.site_logs_dir(),
            log_group: None,
            unix: UnixSettings {
                prefix: prefix.clone(),
                uid_base: 900_000 + (std::process::id() % 10_000) * 10,
                homes_root: web.homes_dir(),
                ..UnixSettings::default()
            },
            php: None,
        };
        let cli = Actor::operator_cli();
        let (account, _, _) = t.seed_account("radio").await?;
        let big = t
            .app
            .quota_profiles()
            .create(
                &cli,
                konbit_app::quota_profile::ProfileInput {
                    name: "bench".into(),
                    limits: QuotaLimits {
                        sites,
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
        let sites = SiteProvisioner::new(t.app.store.clone(), target.clone());
        let mut b = Bench {
            web,
            pebble,
            target,
            account,
            prefix,
            stops: Vec::new(),
            _pdns: pdns,
            t,
        };
        let dns = DnsProvisioner::new(
            b.t.app.store.clone(),
            PdnsTarget {
                database: b._pdns.database().to_owned(),
                schema: konbit_testkit::pdns::SCHEMA.into(),
                group: None,
                busy_timeout: Duration::from_secs(5),
            },
            Default::default(),
        );
        b.spawn(
            Registry::new()
                .register(sites.accounts())
                .register(sites.clone())
                .register(dns),
            b.t.app.reconcile_wakeup.clone(),
        );
        let acme = CertificateProvisioner::new(
            b.t.app.store.clone(),
            AcmeSettings {
                directory_url: b.pebble.directory_url(),
                contact_email: None,
                extra_roots_pem: Some(b.pebble.ca_cert_path().to_owned()),
                account_file: b.t.dir.path().join("acme.json"),
                challenge_dir: b.target.acme_webroot.clone(),
                timeout: Duration::from_secs(60),
            },
            Retry {
                base: Duration::from_secs(1),
                max: Duration::from_secs(4),
            },
            sites,
        );
        b.spawn(
            Registry::new().register(acme),
            b.t.app.certificate_wakeup.clone(),
        );
        Ok(Some(b))
    }

    fn spawn(&mut self, registry: Registry, wakeup: std::sync::Arc<tokio::sync::Notify>) {
        let worker = Worker::new(
            self.t.app.store.clone(),
            registry,
            wakeup,
            WorkerConfig {
                idle_tick: Duration::from_millis(200),
                ..WorkerConfig::default()
            },
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));
        self.stops.push(stop);
    }

    async fn site(&self, input: SiteInput) -> Result<i64> {
        Ok(self
            .t
            .app
            .sites()
            .create(&Actor::system(), input)
            .await
            .map_err(|e| anyhow!("{e}"))?
            .site
            .id
            .0)
    }

    async fn domain(&self, name: &str) -> Result<()> {
        self.t
            .app
            .domains()
            .create(
                &Actor::system(),
                konbit_app::domain::CreateDomain {
                    account_id: self.account.0,
                    name: name.into(),
                    alias_of: None,
                    dnssec: Some(false),
                    mail: None,
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        Ok(())
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
        self.web.stop();
        if let Ok(passwd) = std::fs::read_to_string("/etc/passwd") {
            for login in passwd
                .lines()
                .filter_map(|l| l.split(':').next())
                .filter(|l| l.starts_with(&self.prefix))
            {
                let _ = std::process::Command::new("userdel")
                    .arg("--force")
                    .arg(login)
                    .status();
            }
        }
    }
}

/// Polls (every 2 ms, at most 10 s) until `host` answers `want`.
async fn until_status(b: &Bench, host: &str, want: u16) -> Result<()> {
    let started = Instant::now();
    for _ in 0..5000 {
        if let Some((status, _)) = b.web.get(host, "/").await?
            && status == want
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(10) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("{host} never answered {want}\n{}", b.web.logs())
}

async fn first_200(b: &Bench, n: usize) -> Result<()> {
    let mut ms = Vec::with_capacity(n);
    for i in 0..n {
        let host = format!("s{i}.radio.test");
        let started = Instant::now();
        b.site(SiteInput {
            host: host.clone(),
            kind: "static".into(),
            certificate: false,
            ..SiteInput::default()
        })
        .await?;
        until_status(b, &host, 200).await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    report("site create -> first HTTP 200 (static)", ms);
    Ok(())
}

async fn first_https(b: &Bench, n: usize) -> Result<()> {
    let root = b.t.dir.path().join("pebble-root.pem");
    std::fs::write(&root, b.pebble.issuing_roots().await?)?;
    let https = b.web.https_port();
    let mut ms = Vec::with_capacity(n);
    for i in 0..n {
        let host = format!("tls{i}.radio.test");
        b.t.app
            .domains()
            .add_record(
                &Actor::system(),
                "radio.test",
                konbit_core::dns::RecordInput {
                    name: format!("tls{i}"),
                    rtype: "A".into(),
                    ttl: Some(60),
                    value: "127.0.0.1".into(),
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        // The zone is served before the clock starts.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        b.site(SiteInput {
            host: host.clone(),
            kind: "static".into(),
            certificate: true,
            ..SiteInput::default()
        })
        .await?;
        let resolve = format!("{host}:{https}:127.0.0.1");
        let url = format!("https://{host}:{https}/");
        let mut served = false;
        for _ in 0..600 {
            let ok = std::process::Command::new("curl")
                .args([
                    "-s",
                    "-o",
                    "/dev/null",
                    "--max-time",
                    "5",
                    "--resolve",
                    &resolve,
                ])
                .arg("--cacert")
                .arg(&root)
                .arg(&url)
                .status()?
                .success();
            if ok {
                served = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if !served {
            bail!("{host} was never served over HTTPS");
        }
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    report("site create -> HTTPS served with a pebble certificate", ms);
    Ok(())
}

async fn one_change_among_many(b: &Bench, many: usize) -> Result<()> {
    let started = Instant::now();
    let mut last = 0;
    for i in 0..many {
        last = b
            .site(SiteInput {
                host: format!("m{i}.radio.test"),
                kind: "redirect".into(),
                redirect_to: format!("https://t{i}.example"),
                redirect_permanent: true,
                redirect_keep_path: true,
                certificate: false,
                ..SiteInput::default()
            })
            .await?;
    }
    let created = started.elapsed();
    for _ in 0..6000 {
        let s =
            b.t.app
                .sites()
                .get(&Actor::system(), last)
                .await
                .map_err(|e| anyhow!("{e}"))?;
        if s.site.provision.applied_generation >= s.site.provision.generation {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.web.wait_nginx_settled(Duration::from_secs(60)).await?;
    println!(
        "{many} redirect sites: created in {:.1} s, all applied after {:.1} s",
        created.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let mut ms = Vec::new();
    for round in 0..10i64 {
        // Sites spread over the last ones made.
        let id = SiteId(last - (round * 7 + 1).min(last - 1));
        let site =
            b.t.app
                .sites()
                .get(&Actor::system(), id.0)
                .await
                .map_err(|e| anyhow!("{e}"))?;
        let host = site.site.host.to_string();
        let new_target = format!("https://changed{round}.example");
        let started = Instant::now();
        b.t.app
            .sites()
            .update(
                &Actor::system(),
                site.site.id.0,
                SiteInput {
                    kind: "redirect".into(),
                    redirect_to: new_target.clone(),
                    redirect_permanent: true,
                    redirect_keep_path: true,
                    ..SiteInput::default()
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let want = format!("{new_target}/");
        let mut seen = false;
        for _ in 0..10_000 {
            // Right after a reload nginx may still be starting its workers.
            let Ok((_, headers)) = b.web.head(&host, "/").await else {
                tokio::time::sleep(Duration::from_millis(2)).await;
                continue;
            };
            if headers.get("location") == Some(&want) {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if !seen {
            bail!("the change of {host} was never served");
        }
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    report(
        &format!("with {many} sites: one change served (render, check, reload)"),
        ms,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let sites = count("KONBIT_BENCH_SITES", 200, 3, smoke)?;
    let https = count("KONBIT_BENCH_HTTPS", 10, 1, smoke)?;
    let mut many = count("KONBIT_BENCH_MANY", 10_000, 20, smoke)?;
    // nginx keeps two logs open per site, twice during a reload: the hard
    // limit of open files (which root may lack the right to raise) caps
    // the sites it can load.
    let open_files = konbit_testkit::web::nginx_open_files();
    let fit = usize::try_from(
        open_files.saturating_sub(konbit_provision::web::limits::HEADROOM)
            / konbit_provision::web::limits::FILES_PER_SITE,
    )?;
    if many > fit {
        println!(
            "{many} sites need more open files than nginx may have here ({open_files}): \
             measuring with {fit}"
        );
        many = fit;
    }
    println!(
        "machine: {} core(s)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let total = u64::try_from(sites + https + many + 10)?;
    let Some(b) = Bench::start(total).await? else {
        println!("nginx/PHP-FPM/PowerDNS/pebble are not installed (or not root): skipping");
        return Ok(());
    };
    b.domain("radio.test").await?;
    first_200(&b, sites).await?;
    first_https(&b, https).await?;
    one_change_among_many(&b, many).await?;
    Ok(())
}
