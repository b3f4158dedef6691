//! A real PowerDNS Authoritative server (gsqlite3 backend) for tests, under
//! the [`Daemon`] watchdog, on a free loopback port, with every cache off so
//! rows written by SQL are served on the next query.
//!
//! Needs Debian's `pdns-server`, `pdns-backend-sqlite3` and
//! `bind9-dnsutils` (for `dig`).
//!
//! # Skipping
//!
//! [`PowerDns::try_start`] returns `Ok(None)` and prints `SKIPPED: ...` when
//! something is not installed, unless `REQUIRE_PDNS_TESTS=1`, in which case
//! it fails with an error naming the packages to install. [`PowerDns::start`]
//! always fails; the error then satisfies [`is_missing`](crate::daemon::is_missing).
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use konbit_testkit::pdns::PowerDns;
//!
//! let dir = tempfile::tempdir()?;
//! let Some(pdns) = PowerDns::try_start(dir.path()).await? else { return Ok(()) };
//! let db = pdns.pool().await?;
//! sqlx::query("INSERT INTO domains (name, type) VALUES ('example.test', 'NATIVE')")
//!     .execute(&db)
//!     .await?;
//! // ... insert the SOA, NS and A rows ...
//! assert_eq!(pdns.dig("www.example.test", "A")?, ["192.0.2.1"]);
//! # Ok(()) }
//! ```

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use crate::daemon::{
    Daemon, free_port, require_binary, require_file, run_bounded, skip_if_missing,
};

/// Environment variable that turns "not installed" skips into failures.
pub const REQUIRE_ENV: &str = "REQUIRE_PDNS_TESTS";
/// Where Debian's `pdns-backend-sqlite3` ships the gsqlite3 schema. It is
/// read at run time, never copied.
pub const SCHEMA: &str = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";
/// Name of the database file [`PowerDns::start`] creates in its directory.
pub const DATABASE_FILE: &str = "pdns.sqlite3";

const SERVER_PACKAGE: &str = "pdns-server";
const BACKEND_PACKAGE: &str = "pdns-backend-sqlite3";
const DIG_PACKAGE: &str = "bind9-dnsutils";
/// How long the server may take to answer after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Hard limit for one `dig` run (it gives up by itself after about 2 s).
const DIG_TIMEOUT: Duration = Duration::from_secs(10);
/// Hard limit for one `pdnsutil` run.
const PDNSUTIL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long SQLite waits for a lock held by PowerDNS or pdnsutil.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Ports tried when the one picked is taken before the server binds it.
const START_ATTEMPTS: usize = 3;

/// A running `pdns_server`; killed (with its children) when dropped.
#[derive(Debug)]
pub struct PowerDns {
    daemon: Daemon,
    dir: PathBuf,
    database: PathBuf,
    port: u16,
    server: PathBuf,
    pdnsutil: PathBuf,
    dig: PathBuf,
}

impl PowerDns {
    /// Create `dir/pdns.sqlite3` with PowerDNS's schema (WAL mode), write
    /// `dir/pdns.conf` and start `pdns_server` on a free loopback port;
    /// returns once it answers over TCP.
    pub async fn start(dir: &Path) -> Result<PowerDns> {
        // Check the programs first, so a missing one is reported as such
        // and not as a failure to create the database.
        tools()?;
        let database = dir.join(DATABASE_FILE);
        create_database(&database).await?;
        PowerDns::start_on(dir, &database).await
    }

    /// Like [`PowerDns::start`], but on an existing database file (made by
    /// Konbit's provisioner, or by [`create_database`]).
    pub async fn start_on(dir: &Path, database: &Path) -> Result<PowerDns> {
        let (server, pdnsutil, dig) = tools()?;
        if !database.is_file() {
            bail!("PowerDNS database {} does not exist", database.display());
        }
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the PowerDNS directory {}", dir.display()))?;
        let dir = absolute(dir)?;
        let database = absolute(database)?;
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            write_config(&dir, &database, port)?;
            let mut pdns = PowerDns {
                daemon: spawn(&server, &dir)?,
                dir: dir.clone(),
                database: database.clone(),
                port,
                server: server.clone(),
                pdnsutil: pdnsutil.clone(),
                dig: dig.clone(),
            };
            match pdns.wait_until_ready().await {
                Ok(()) => return Ok(pdns),
                // Someone took the port between our probe and the bind.
                Err(e) if pdns.daemon.log().contains("in use") => {
                    pdns.stop();
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("PowerDNS did not start")))
    }

    /// Like [`PowerDns::start`], but if PowerDNS or dig is not installed,
    /// print `SKIPPED: ...` and return `Ok(None)`, unless
    /// `REQUIRE_PDNS_TESTS=1`. Typical use:
    /// `let Some(pdns) = PowerDns::try_start(dir.path()).await? else { return Ok(()) };`
    pub async fn try_start(dir: &Path) -> Result<Option<PowerDns>> {
        skip_if_missing(PowerDns::start(dir).await, REQUIRE_ENV)
    }

    /// The port the server listens on, UDP and TCP, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// The gsqlite3 database file the server reads.
    pub fn database(&self) -> &Path {
        &self.database
    }

    /// The directory holding `pdns.conf` (give it to `pdnsutil
    /// --config-dir`), the control socket and the logs.
    pub fn config_dir(&self) -> &Path {
        &self.dir
    }

    /// The server process (its log, its pid).
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// A connection pool to the database (WAL, foreign keys on, a busy
    /// timeout), for tests that write zones by SQL.
    pub async fn pool(&self) -> Result<SqlitePool> {
        connect(&self.database, false).await
    }

    /// Stop the server (for "DNS is down" tests). Idempotent.
    pub fn stop(&mut self) {
        self.daemon.stop();
    }

    /// Start the server again on the same port, configuration and database
    /// (stopping it first if it still runs); returns once it answers.
    pub async fn restart(&mut self) -> Result<()> {
        self.daemon.stop();
        self.daemon = spawn(&self.server, &self.dir)?;
        self.wait_until_ready().await
    }

    /// `dig +short +norecurse @127.0.0.1 -p PORT NAME TYPE`: the answer's
    /// records in presentation form, one per line (empty for NXDOMAIN,
    /// NODATA or REFUSED). Fails when the server does not answer within
    /// about 2 s.
    pub fn dig(&self, name: &str, rtype: &str) -> Result<Vec<String>> {
        let out = self.run_dig(name, rtype, &["+short"])?;
        Ok(out
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// The whole `dig +norecurse` output (header with status and flags, the
    /// sections), with `extra` options added, e.g. `&["+dnssec"]` to see
    /// RRSIG and NSEC records, or `&["+tcp"]`.
    pub fn dig_full(&self, name: &str, rtype: &str, extra: &[&str]) -> Result<String> {
        self.run_dig(name, rtype, extra)
    }

    fn run_dig(&self, name: &str, rtype: &str, extra: &[&str]) -> Result<String> {
        let mut cmd = Command::new(&self.dig);
        cmd.args(["+norecurse", "+time=2", "+tries=1"])
            .args(extra)
            .arg("@127.0.0.1")
            .args(["-p", &self.port.to_string()])
            // `-q` and `-t` so that a name starting with `+` or `-` is
            // still read as a name.
            .args(["-q", name, "-t", rtype]);
        let out = run_bounded(cmd, DIG_TIMEOUT)?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            bail!(
                "dig {name} {rtype} @127.0.0.1 -p {} failed ({}): {}{}",
                self.port,
                out.status,
                stdout.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(stdout)
    }

    /// `pdnsutil --config-dir=DIR check-zone ZONE`: `Ok(output)` when it
    /// reports 0 errors and 0 warnings, else an error quoting its output.
    pub fn check_zone(&self, zone: &str) -> Result<String> {
        let out = self.pdnsutil_output(&["check-zone", zone])?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let clean = text
            .lines()
            .any(|l| l.starts_with("Checked ") && l.ends_with(" 0 errors, 0 warnings."));
        if !out.status.success() || !clean {
            bail!(
                "pdnsutil check-zone {zone} is not clean ({}):\n{text}",
                out.status
            );
        }
        Ok(text)
    }

    /// Run `pdnsutil --config-dir=DIR ARGS...` (e.g. `["rectify-zone",
    /// "example.test"]`) and return its stdout; an error quotes stdout and
    /// stderr when it exits non-zero.
    pub fn pdnsutil(&self, args: &[&str]) -> Result<String> {
        let out = self.pdnsutil_output(args)?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            bail!(
                "pdnsutil {} failed ({}):\n{stdout}{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(stdout)
    }

    fn pdnsutil_output(&self, args: &[&str]) -> Result<Output> {
        let mut cmd = Command::new(&self.pdnsutil);
        cmd.arg(format!("--config-dir={}", self.dir.display()))
            .args(args);
        run_bounded(cmd, PDNSUTIL_TIMEOUT)
    }

    /// Wait until the server accepts TCP connections and answers a query
    /// over TCP (any answer, REFUSED included).
    async fn wait_until_ready(&self) -> Result<()> {
        let started = Instant::now();
        self.daemon.wait_for_tcp(self.addr(), READY_TIMEOUT).await?;
        loop {
            let mut cmd = tokio::process::Command::new(&self.dig);
            cmd.args(["+tcp", "+time=1", "+tries=1", "+norecurse", "@127.0.0.1"])
                .args(["-p", &self.port.to_string(), ".", "SOA"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true);
            let answered = tokio::time::timeout(DIG_TIMEOUT, cmd.status())
                .await
                .is_ok_and(|s| s.is_ok_and(|s| s.success()));
            if answered {
                return Ok(());
            }
            if !self.daemon.is_running() || started.elapsed() > READY_TIMEOUT {
                bail!(
                    "pdns_server on port {} does not answer over TCP after {:.1} s (running: {}); end of {}:\n{}",
                    self.port,
                    started.elapsed().as_secs_f64(),
                    self.daemon.is_running(),
                    self.daemon.log_path().display(),
                    self.daemon.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Create an empty PowerDNS gsqlite3 database at `path` (which must not
/// exist yet): the schema from [`SCHEMA`], in WAL mode.
pub async fn create_database(path: &Path) -> Result<()> {
    let schema_path = require_file(
        SCHEMA,
        &format!("apt-get install --no-install-recommends {BACKEND_PACKAGE}"),
    )?;
    if path.exists() {
        bail!("{} already exists", path.display());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let schema = std::fs::read_to_string(&schema_path)
        .with_context(|| format!("reading {}", schema_path.display()))?;
    let pool = connect(path, true).await?;
    let result = sqlx::raw_sql(sqlx::AssertSqlSafe(schema))
        .execute(&pool)
        .await
        .with_context(|| format!("creating the PowerDNS schema in {}", path.display()));
    pool.close().await;
    result?;
    Ok(())
}

async fn connect(path: &Path, create: bool) -> Result<SqlitePool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT);
    SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .with_context(|| format!("opening the PowerDNS database {}", path.display()))
}

/// The paths of `pdns_server`, `pdnsutil` and `dig`, or a [`Missing`]
/// error.
///
/// [`Missing`]: crate::daemon::Missing
fn tools() -> Result<(PathBuf, PathBuf, PathBuf)> {
    // pdns_server is in /usr/sbin, which is not in every user's PATH.
    let server = require_binary("/usr/sbin/pdns_server", SERVER_PACKAGE)
        .or_else(|_| require_binary("pdns_server", SERVER_PACKAGE))?;
    let pdnsutil = require_binary("pdnsutil", SERVER_PACKAGE)?;
    let dig = require_binary("dig", DIG_PACKAGE)?;
    require_file(
        SCHEMA,
        &format!("apt-get install --no-install-recommends {BACKEND_PACKAGE}"),
    )?;
    Ok((server, pdnsutil, dig))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

fn write_config(dir: &Path, database: &Path, port: u16) -> Result<()> {
    for path in [dir, database] {
        if path.to_str().is_none_or(|s| s.contains(['\n', '\r'])) {
            bail!("unusable path for pdns.conf: {}", path.display());
        }
    }
    let mut conf = String::new();
    let mut line = |key: &str, value: &str| {
        let _ = writeln!(conf, "{key}={value}");
    };
    line("launch", "gsqlite3");
    line("gsqlite3-database", &database.display().to_string());
    line("gsqlite3-dnssec", "yes");
    line("gsqlite3-pragma-foreign-keys", "yes");
    line("local-address", "127.0.0.1");
    line("local-port", &port.to_string());
    // In the foreground, in the watchdog's process group.
    line("daemon", "no");
    line("guardian", "no");
    line("socket-dir", &dir.display().to_string());
    line("disable-syslog", "yes");
    line("loglevel", "4");
    line("security-poll-suffix", "");
    line("webserver", "no");
    line("api", "no");
    line("receiver-threads", "1");
    line("distributor-threads", "1");
    // No caches: rows written by SQL are served on the next query.
    for key in [
        "cache-ttl",
        "negquery-cache-ttl",
        "query-cache-ttl",
        "zone-cache-refresh-interval",
        "dnssec-key-cache-ttl",
        "zone-metadata-cache-ttl",
    ] {
        line(key, "0");
    }
    let path = dir.join("pdns.conf");
    std::fs::write(&path, conf).with_context(|| format!("writing {}", path.display()))
}

fn spawn(server: &Path, dir: &Path) -> Result<Daemon> {
    // Named `pdns_server`, not `pdns`: the watchdog writes `<name>.pid` in
    // `dir`, and PowerDNS writes its own `pdns.pid` in its socket-dir.
    Daemon::builder("pdns_server", server, dir)
        .arg(format!("--config-dir={}", dir.display()))
        .current_dir(dir)
        .start()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn create_database_refuses_an_existing_file() {
        let Some(()) = skip_if_missing(
            require_file(SCHEMA, BACKEND_PACKAGE).map(|_| ()),
            REQUIRE_ENV,
        )
        .unwrap() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/pdns.sqlite3");
        create_database(&path).await.unwrap();
        let pool = connect(&path, false).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(&pool)
                .await
                .unwrap();
        for t in ["cryptokeys", "domainmetadata", "domains", "records"] {
            assert!(tables.iter().any(|n| n == t), "{tables:?}");
        }
        pool.close().await;
        assert!(create_database(&path).await.is_err());
    }
}
