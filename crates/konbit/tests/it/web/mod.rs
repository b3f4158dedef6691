//! Websites end to end: the API writes, the web provisioner applies, the
//! real nginx and PHP-FPM that the testkit starts on loopback serve it, and
//! HTTP requests with the site's `Host` check it. The HTTPS tests add
//! PowerDNS and pebble (an ACME test CA). Each test starts its own Konbit,
//! daemons and worker, and its own Unix users (a random prefix and uid
//! range), removed when it ends.

mod https;
mod scale;
mod serving;

use konbit_app::AppConfig;
use konbit_app::site::SiteConfig;
use konbit_provision::acme::{AcmeSettings, CertificateProvisioner, Retry};
use konbit_provision::dns::DnsProvisioner;
use konbit_provision::web::nginx::Nginx;
use konbit_provision::web::php::PhpFpm;
use konbit_provision::web::{PhpTarget, SiteProvisioner, UnixSettings, WebTarget};
use konbit_provision::{Registry, Worker};
use konbit_testkit::app::{Api, TestApp};
use konbit_testkit::pdns::PowerDns;
use konbit_testkit::pebble::{Pebble, PebbleOptions};
use konbit_testkit::web::WebServer;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use tokio::sync::oneshot;

pub struct WebEnv {
    pub t: TestApp,
    pub web: WebServer,
    /// Kept running for the test (the HTTPS tests resolve through it).
    _pdns: Option<PowerDns>,
    pub pebble: Option<Pebble>,
    /// Account "radio"'s owner, with domain and site scopes.
    pub api: Api,
    pub target: WebTarget,
    /// Account "radio"'s id.
    pub radio: i64,
    stops: Vec<oneshot::Sender<()>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

/// What a test needs besides nginx and PHP-FPM.
#[derive(Default)]
pub struct Options {
    /// PowerDNS, pebble and the certificate worker.
    pub https: bool,
}

/// A prefix (≤ 8 characters) and a uid range no other test uses.
pub(crate) fn unix_settings(homes_root: std::path::PathBuf) -> UnixSettings {
    let n: u32 = rand_u32();
    let letters: String = (0..4)
        .map(|i| char::from(b'a' + u8::try_from((n >> (i * 5)) % 26).unwrap()))
        .collect();
    UnixSettings {
        prefix: format!("t{letters}-"),
        uid_base: 300_000 + (n % 50_000) * 100,
        homes_root,
        ..UnixSettings::default()
    }
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    u32::try_from(h.finish() & 0xffff_ffff).unwrap()
}

impl WebEnv {
    pub async fn start(options: Options) -> Option<Self> {
        let t = TestApp::spawn_with(AppConfig {
            zone_template: crate::dns::template(),
            sites: SiteConfig {
                proxy_port_min: 1024,
                proxy_port_max: 65535,
                log_dir: None,
                acme: options.https,
            },
            ..AppConfig::default()
        })
        .await
        .unwrap();
        // nginx's workers (www-data) and the accounts' PHP workers must
        // reach the homes inside the test's directory.
        std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        let web = WebServer::try_start(&t.dir.path().join("web"))
            .await
            .unwrap()?;
        let (pdns, pebble) = if options.https {
            let pdns = PowerDns::try_start(&t.dir.path().join("pdns"))
                .await
                .unwrap()?;
            let pebble = Pebble::try_start(
                &t.dir.path().join("pebble"),
                &PebbleOptions {
                    http_port: web.http_port(),
                    dns_server: Some(pdns.addr()),
                    always_valid: false,
                    ..PebbleOptions::default()
                },
            )
            .await
            .unwrap()?;
            (Some(pdns), Some(pebble))
        } else {
            (None, None)
        };
        let target = WebTarget {
            nginx: Nginx {
                binary: web.nginx_binary().to_owned(),
                main_conf: web.nginx_conf().to_owned(),
                prefix: Some(web.nginx_prefix().to_owned()),
                error_log: Some(web.nginx_error_log_path().to_owned()),
            },
            sites_dir: web.sites_dir().to_owned(),
            scratch_dir: t.dir.path().join("web-scratch"),
            fastcgi_params: "/etc/nginx/fastcgi_params".into(),
            listen_http: vec![SocketAddr::from(([127, 0, 0, 1], web.http_port()))],
            listen_https: vec![SocketAddr::from(([127, 0, 0, 1], web.https_port()))],
            acme_webroot: web.acme_webroot().to_owned(),
            certs_dir: web.certs_dir().to_owned(),
            log_dir: web.site_logs_dir().to_owned(),
            log_group: None,
            unix: unix_settings(web.homes_dir().to_owned()),
            php: Some(PhpTarget {
                fpm: PhpFpm {
                    binary: web.php_fpm_binary().to_owned(),
                    conf: web.php_fpm_conf().to_owned(),
                    pid_file: web.php_pid_file().to_owned(),
                    kill: "/bin/kill".into(),
                },
                pool_dir: web.php_pool_dir().to_owned(),
                socket_dir: web.php_socket_dir().to_owned(),
                max_children: 2,
                memory_limit_mb: 64,
                request_timeout_secs: 30,
                listen_owner: "www-data".into(),
            }),
        };
        let (radio, owner, _) = t.seed_account("radio").await.unwrap();
        let token = t
            .token_for(&owner, &["domains:write", "sites:write", "accounts:read"])
            .await
            .unwrap();
        let api = t.api(Some(&token)).unwrap();
        let sites = SiteProvisioner::new(t.app.store.clone(), target.clone());
        let mut registry = Registry::new()
            .register(sites.accounts())
            .register(sites.clone());
        if let Some(pdns) = &pdns {
            registry = registry.register(DnsProvisioner::new(
                t.app.store.clone(),
                crate::dns::target(pdns),
                crate::dns::template(),
            ));
        }
        let mut env = Self {
            t,
            web,
            _pdns: pdns,
            pebble,
            api,
            target,
            radio: radio.0,
            stops: Vec::new(),
            workers: Vec::new(),
        };
        env.spawn_worker(registry, env.t.app.reconcile_wakeup.clone());
        if let Some(pebble) = &env.pebble {
            let settings = AcmeSettings {
                directory_url: pebble.directory_url(),
                contact_email: Some("admin@radio.test".into()),
                extra_roots_pem: Some(pebble.ca_cert_path().to_owned()),
                account_file: env.t.dir.path().join("acme-account.json"),
                challenge_dir: env.target.acme_webroot.clone(),
                timeout: Duration::from_secs(60),
            };
            let retry = Retry {
                base: Duration::from_secs(1),
                max: Duration::from_secs(4),
            };
            let registry = Registry::new().register(CertificateProvisioner::new(
                env.t.app.store.clone(),
                settings,
                retry,
                sites,
            ));
            env.spawn_worker(registry, env.t.app.certificate_wakeup.clone());
        }
        Some(env)
    }

    fn spawn_worker(&mut self, registry: Registry, wakeup: std::sync::Arc<tokio::sync::Notify>) {
        let worker = Worker::new(
            self.t.app.store.clone(),
            registry,
            wakeup,
            crate::dns::worker_config(),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        self.workers.push(tokio::spawn(worker.run(async {
            let _ = stopped.await;
        })));
        self.stops.push(stop);
    }

    /// Sends `body` with `method` to `path`; panics unless the status is `want`.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value, want: u16) -> Value {
        let res = self.api.send_json(method, path, &body).await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, want, "{path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A domain of account "radio" (DNSSEC off: these tests are about
    /// the web).
    pub async fn domain(&self, name: &str) {
        self.call(
            reqwest::Method::POST,
            "/api/v1/domains",
            json!({ "account": "radio", "name": name, "dnssec": false }),
            201,
        )
        .await;
    }

    /// Creates a site; returns its id.
    pub async fn site(&self, body: Value) -> i64 {
        let v = self
            .call(reqwest::Method::POST, "/api/v1/sites", body, 201)
            .await;
        v["id"].as_i64().unwrap()
    }

    /// Waits (at most 10 s) until the site's status is `want`; returns it.
    pub async fn until_status(&self, id: i64, want: &str) -> Value {
        self.until_status_within(id, want, Duration::from_secs(10))
            .await
    }

    pub async fn until_status_within(&self, id: i64, want: &str, limit: Duration) -> Value {
        let mut last = Value::Null;
        let rounds = limit.as_millis() / 50;
        for _ in 0..rounds {
            last = self
                .api
                .get(&format!("/api/v1/sites/{id}"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if last["status"]["state"] == want {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("site {id} never became {want}: {last:#}");
    }

    /// Gives account "radio" room for `sites` sites.
    pub async fn raise_site_quota(&self, sites: u64) {
        let cli = konbit_core::authz::Actor::operator_cli();
        let big = self
            .t
            .app
            .quota_profiles()
            .create(
                &cli,
                konbit_app::quota_profile::ProfileInput {
                    name: "many-sites".into(),
                    limits: konbit_core::quota::QuotaLimits {
                        sites,
                        ..konbit_core::quota::QuotaLimits::starter()
                    },
                },
            )
            .await
            .unwrap();
        self.t
            .app
            .accounts()
            .update(
                &cli,
                konbit_core::model::AccountId(self.radio),
                konbit_app::account::UpdateAccount {
                    quota_profile_id: Some(big.id.0),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }

    /// Waits (at most 5 s) until nginx answers anything for `host`.
    pub async fn until_answered(&self, host: &str) {
        for _ in 0..250 {
            if self.web.get(host, "/").await.unwrap().is_some() {
                let _ = self.web.wait_nginx_settled(Duration::from_secs(5)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{host} never answered\n{}", self.web.logs());
    }

    /// Waits (at most 5 s) until nginx answers nothing at all for `host`
    /// (its 444: the site is not served).
    pub async fn until_silent(&self, host: &str) {
        for _ in 0..250 {
            if self.web.get(host, "/").await.unwrap().is_none() {
                let _ = self.web.wait_nginx_settled(Duration::from_secs(5)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{host} is still served");
    }

    /// The account's home, as the provisioner makes it.
    pub fn home(&self, account: &str) -> std::path::PathBuf {
        self.target
            .unix
            .homes_root
            .join(format!("{}{account}", self.target.unix.prefix))
    }

    /// The uid of account `id`.
    pub fn uid(&self, account_id: i64) -> u32 {
        self.target.unix.uid_base + u32::try_from(account_id).unwrap()
    }
}

impl Drop for WebEnv {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
        for worker in self.workers.drain(..) {
            worker.abort();
        }
        self.web.stop();
        remove_test_users(&self.target.unix.prefix);
    }
}

/// Removes the test's Unix users: every login with its prefix.
pub(crate) fn remove_test_users(prefix: &str) {
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd") {
        for login in passwd
            .lines()
            .filter_map(|l| l.split(':').next())
            .filter(|l| l.starts_with(prefix))
        {
            let _ = std::process::Command::new("userdel")
                .arg("--force")
                .arg(login)
                .status();
        }
    }
}
