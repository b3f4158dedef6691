//! A real ACME test CA (Debian's pebble) on loopback ports, under the
//! [`Daemon`] watchdog.
//!
//! Debian's `pebble` ships no test configuration and no certificates, so
//! [`Pebble::start`] makes, with the `openssl` CLI, a P-256 CA and a
//! certificate for `localhost`/`127.0.0.1` signed by it for pebble's own
//! HTTPS listeners. The ACME client must trust that CA
//! ([`Pebble::ca_cert_path`]). The CA that *issues* certificates is
//! something else: pebble makes a new one at every start; fetch it with
//! [`Pebble::issuing_roots`].
//!
//! pebble keeps no state: accounts and orders are gone after a restart.
//! Validation sleeps are off (`PEBBLE_VA_NOSLEEP=1`); unless
//! [`PebbleOptions::nonce_reject_percent`] says otherwise, pebble rejects 5 %
//! of good nonces with `badNonce`, as it does by default.
//!
//! Needs Debian's `pebble`, `openssl` and `curl`.
//!
//! # Skipping
//!
//! [`Pebble::try_start`] returns `Ok(None)` and prints `SKIPPED: ...` when
//! something is not installed, unless `REQUIRE_WEB_TESTS=1`.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use konbit_testkit::pebble::{Pebble, PebbleOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let options = PebbleOptions { always_valid: true, ..PebbleOptions::default() };
//! let Some(pebble) = Pebble::try_start(dir.path(), &options).await? else { return Ok(()) };
//! // Point the ACME client at pebble.directory_url(), trusting
//! // pebble.ca_cert_path(); verify what it issued against
//! // pebble.issuing_roots().await?.
//! # Ok(()) }
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::daemon::{
    Daemon, DaemonBuilder, free_port, require_binary, run_bounded, skip_if_missing,
};

/// Environment variable that turns "not installed" skips into failures.
pub const REQUIRE_ENV: &str = "REQUIRE_WEB_TESTS";

/// The port pebble's VA uses for http-01 when nothing else is said.
pub const DEFAULT_HTTP_PORT: u16 = 5002;

/// How long pebble may take to listen after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Hard limit for one `openssl` run.
const OPENSSL_TIMEOUT: Duration = Duration::from_secs(30);
/// Hard limit for one `curl` run (it gives up by itself after 10 s).
const CURL_TIMEOUT: Duration = Duration::from_secs(15);
/// Ports tried when one picked is taken before pebble binds it.
const START_ATTEMPTS: usize = 3;
/// Validity of the listener CA and certificate, in days.
const LISTENER_CERT_DAYS: &str = "30";

/// How to run pebble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PebbleOptions {
    /// The port pebble's VA connects to for http-01 challenges
    /// (`http://NAME:PORT/.well-known/acme-challenge/TOKEN`), e.g. an
    /// nginx's. Default [`DEFAULT_HTTP_PORT`].
    pub http_port: u16,
    /// pebble's `-dnsserver`: where its VA resolves names (e.g. a test
    /// PowerDNS). `None`: no flag, pebble uses the system resolver.
    pub dns_server: Option<SocketAddr>,
    /// `PEBBLE_VA_ALWAYS_VALID=1`: every challenge passes without any
    /// request, so names need not resolve.
    pub always_valid: bool,
    /// `PEBBLE_WFE_NONCEREJECT`: the percentage of good nonces rejected with
    /// `badNonce`. `None`: pebble's default, 5 %.
    pub nonce_reject_percent: Option<u8>,
}

impl Default for PebbleOptions {
    fn default() -> Self {
        PebbleOptions {
            http_port: DEFAULT_HTTP_PORT,
            dns_server: None,
            always_valid: false,
            nonce_reject_percent: None,
        }
    }
}

/// A running pebble; killed when dropped.
#[derive(Debug)]
pub struct Pebble {
    daemon: Daemon,
    /// How the daemon was started, for [`Pebble::restart`].
    builder: DaemonBuilder,
    dir: PathBuf,
    port: u16,
    management_port: u16,
    ca_cert: PathBuf,
    curl: PathBuf,
}

/// The programs pebble's tests need.
struct Tools {
    pebble: PathBuf,
    openssl: PathBuf,
    curl: PathBuf,
}

fn tools() -> Result<Tools> {
    Ok(Tools {
        pebble: require_binary("pebble", "pebble")?,
        openssl: require_binary("openssl", "openssl")?,
        curl: require_binary("curl", "curl")?,
    })
}

impl Pebble {
    /// Make the listener CA and certificate in `dir/pebble/`, write the
    /// configuration there and start pebble on two free loopback ports (ACME
    /// and management); returns once both accept connections.
    pub async fn start(dir: &Path, options: &PebbleOptions) -> Result<Pebble> {
        let tools = tools()?;
        let dir = std::path::absolute(dir.join("pebble"))
            .with_context(|| format!("resolving {}", dir.display()))?;
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let files = make_listener_certificates(&tools.openssl, &dir)?;
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let management_port = free_port()?;
            if port == management_port {
                continue;
            }
            let config = write_config(&dir, &files, port, management_port, options.http_port)?;
            let mut builder = Daemon::builder("pebble", &tools.pebble, &dir)
                .arg("-config")
                .arg(&config)
                .current_dir(&dir)
                .env("PEBBLE_VA_NOSLEEP", "1")
                .env(
                    "PEBBLE_VA_ALWAYS_VALID",
                    if options.always_valid { "1" } else { "0" },
                );
            if let Some(dns) = options.dns_server {
                builder = builder.arg("-dnsserver").arg(dns.to_string());
            }
            if let Some(percent) = options.nonce_reject_percent {
                builder = builder.env("PEBBLE_WFE_NONCEREJECT", percent.to_string());
            }
            let pebble = Pebble {
                daemon: builder.clone().start()?,
                builder,
                dir: dir.clone(),
                port,
                management_port,
                ca_cert: files.ca_cert.clone(),
                curl: tools.curl.clone(),
            };
            match pebble.wait_until_ready().await {
                Ok(()) => return Ok(pebble),
                // Someone took a port between our probe and the bind.
                Err(e) if pebble.daemon.log().contains("address already in use") => {
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("pebble did not start")))
    }

    /// Like [`Pebble::start`], but if pebble, openssl or curl is not
    /// installed, print `SKIPPED: ...` and return `Ok(None)`, unless
    /// `REQUIRE_WEB_TESTS=1`.
    pub async fn try_start(dir: &Path, options: &PebbleOptions) -> Result<Option<Pebble>> {
        skip_if_missing(Pebble::start(dir, options).await, REQUIRE_ENV)
    }

    /// The ACME directory: `https://127.0.0.1:PORT/dir`.
    pub fn directory_url(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.port)
    }

    /// The ACME port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The management port on 127.0.0.1 (`/roots/0`,
    /// `/intermediates/0`, ...).
    pub fn management_port(&self) -> u16 {
        self.management_port
    }

    /// The CA (PEM, one certificate) that signed pebble's own HTTPS
    /// certificate: what an ACME client must trust to talk to pebble.
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert
    }

    /// The directory holding the configuration, certificates and log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The pebble process (its log, its pid).
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// Stop pebble (for "the CA is down" tests). Idempotent.
    pub fn stop(&mut self) {
        self.daemon.stop();
    }

    /// Start pebble again on the same ports and listener certificate
    /// (stopping it first if it still runs); returns once it listens. Like
    /// any pebble restart, this forgets every account and order and makes
    /// a new issuing CA.
    pub async fn restart(&mut self) -> Result<()> {
        self.daemon.stop();
        self.daemon = self.builder.clone().start()?;
        self.wait_until_ready().await
    }

    /// The root (PEM) of the chains pebble issues, from the management
    /// port's `/roots/0`. It changes at every start of pebble.
    pub async fn issuing_roots(&self) -> Result<String> {
        self.management_get("/roots/0").await
    }

    /// The intermediate (PEM) that signs the certificates pebble issues,
    /// from `/intermediates/0`.
    pub async fn issuing_intermediates(&self) -> Result<String> {
        self.management_get("/intermediates/0").await
    }

    /// `GET https://127.0.0.1:MGMT{path}` with curl, trusting
    /// [`Pebble::ca_cert_path`].
    async fn management_get(&self, path: &str) -> Result<String> {
        let url = format!("https://127.0.0.1:{}{path}", self.management_port);
        let mut cmd = Command::new(&self.curl);
        cmd.args(["--silent", "--show-error", "--fail", "--max-time", "10"])
            .arg("--cacert")
            .arg(&self.ca_cert)
            .arg(&url);
        let out = tokio::task::spawn_blocking(move || run_bounded(cmd, CURL_TIMEOUT))
            .await
            .context("joining the curl thread")??;
        let body = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || !body.contains("-----BEGIN CERTIFICATE-----") {
            bail!(
                "curl {url} failed ({}): {}{}",
                out.status,
                body.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(body)
    }

    /// Wait until both listeners accept TCP connections.
    async fn wait_until_ready(&self) -> Result<()> {
        for port in [self.port, self.management_port] {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            self.daemon.wait_for_tcp(addr, READY_TIMEOUT).await?;
        }
        Ok(())
    }
}

/// The files of pebble's HTTPS listeners.
struct ListenerFiles {
    ca_cert: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

/// A P-256 CA, and a P-256 certificate for `localhost` and `127.0.0.1`
/// signed by it, made with the openssl CLI in `dir`.
fn make_listener_certificates(openssl: &Path, dir: &Path) -> Result<ListenerFiles> {
    let ca_key = dir.join("ca-key.pem");
    let ca_cert = dir.join("ca.pem");
    let key = dir.join("key.pem");
    let csr = dir.join("cert.csr");
    let cert = dir.join("cert.pem");
    let ext = dir.join("cert-ext.cnf");
    std::fs::write(
        &ext,
        "subjectAltName = DNS:localhost, IP:127.0.0.1\n\
         basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\n",
    )
    .with_context(|| format!("writing {}", ext.display()))?;
    let run = |args: &[&std::ffi::OsStr]| -> Result<()> {
        let mut cmd = Command::new(openssl);
        cmd.args(args);
        let out = run_bounded(cmd, OPENSSL_TIMEOUT)?;
        if !out.status.success() {
            bail!(
                "openssl {:?} failed ({}): {}{}",
                args,
                out.status,
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    run(&[
        os("req"),
        os("-x509"),
        os("-newkey"),
        os("ec"),
        os("-pkeyopt"),
        os("ec_paramgen_curve:P-256"),
        os("-nodes"),
        os("-keyout"),
        ca_key.as_os_str(),
        os("-out"),
        ca_cert.as_os_str(),
        os("-days"),
        os(LISTENER_CERT_DAYS),
        os("-subj"),
        os("/CN=Konbit test pebble listener CA"),
    ])?;
    run(&[
        os("req"),
        os("-newkey"),
        os("ec"),
        os("-pkeyopt"),
        os("ec_paramgen_curve:P-256"),
        os("-nodes"),
        os("-keyout"),
        key.as_os_str(),
        os("-out"),
        csr.as_os_str(),
        os("-subj"),
        os("/CN=localhost"),
    ])?;
    run(&[
        os("x509"),
        os("-req"),
        os("-in"),
        csr.as_os_str(),
        os("-CA"),
        ca_cert.as_os_str(),
        os("-CAkey"),
        ca_key.as_os_str(),
        os("-set_serial"),
        os("1"),
        os("-days"),
        os(LISTENER_CERT_DAYS),
        os("-extfile"),
        ext.as_os_str(),
        os("-out"),
        cert.as_os_str(),
    ])?;
    Ok(ListenerFiles { ca_cert, cert, key })
}

/// Write `dir/pebble-config.json`; returns its path.
fn write_config(
    dir: &Path,
    files: &ListenerFiles,
    port: u16,
    management_port: u16,
    http_port: u16,
) -> Result<PathBuf> {
    let path_str = |p: &Path| {
        p.to_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("path is not UTF-8: {}", p.display()))
    };
    let config = serde_json::json!({
        "pebble": {
            "listenAddress": format!("127.0.0.1:{port}"),
            "managementListenAddress": format!("127.0.0.1:{management_port}"),
            "certificate": path_str(&files.cert)?,
            "privateKey": path_str(&files.key)?,
            "httpPort": http_port,
            // Nothing listens there: tls-alpn-01 is not used by Konbit.
            "tlsPort": 5001,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }
    });
    let path = dir.join("pebble-config.json");
    let text = serde_json::to_string_pretty(&config).context("serializing pebble's config")?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pebble_serves_its_directory_and_roots() {
        let dir = tempfile::tempdir().unwrap();
        let options = PebbleOptions {
            always_valid: true,
            ..PebbleOptions::default()
        };
        let Some(pebble) = Pebble::try_start(dir.path(), &options).await.unwrap() else {
            return;
        };
        let root = pebble.issuing_roots().await.unwrap();
        assert!(root.contains("-----BEGIN CERTIFICATE-----"), "{root}");
        let intermediate = pebble.issuing_intermediates().await.unwrap();
        assert!(intermediate.contains("-----BEGIN CERTIFICATE-----"));
        assert_ne!(root, intermediate);

        // The directory, over HTTPS trusting only the listener CA.
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--fail", "--max-time", "10", "--cacert"])
            .arg(pebble.ca_cert_path())
            .arg(pebble.directory_url());
        let out = run_bounded(cmd, CURL_TIMEOUT).unwrap();
        let body = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{out:?}");
        assert!(body.contains("newAccount"), "{body}");

        let log = pebble.daemon().log();
        assert!(log.contains("Disabling random VA sleeps"), "{log}");
        assert!(log.contains("VA always returns valid"), "{log}");
    }
}
