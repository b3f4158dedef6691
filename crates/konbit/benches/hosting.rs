//! SFTP and member database figures with the real ProFTPd (with the
//! configuration Konbit renders), MariaDB and PostgreSQL: how long from
//! the call that creates an SFTP login until the provisioner has applied
//! it and until OpenSSH's `sftp` logs in with its password (p50, p99);
//! with thousands of logins already served, how long one more takes to be
//! applied; and per engine, how long from the call that creates a
//! database until it is applied and its owner connects. Figures are
//! printed, never asserted.
//!
//!     cargo bench -p konbit --bench hosting
//!
//! Without `--bench` on the command line it runs a small smoke version.
//! Needs root, Debian's proftpd-core and proftpd-mod-crypto,
//! openssh-client, mariadb-server and postgresql; it says what is missing
//! and skips the figures that need it.
//!
//! Environment: `KONBIT_BENCH_SFTP` (logins timed to their first login,
//! default 50), `KONBIT_BENCH_SFTP_MANY` (logins already served behind
//! the timed one, default 2000), `KONBIT_BENCH_DATABASES` (databases
//! timed per engine, default 20).

use anyhow::{Context, Result, anyhow, bail};
use konbit_app::AppConfig;
use konbit_app::database::{DatabaseConfig, DatabaseInput, EngineConfig, OverSize};
use konbit_app::sftp::{SftpConfig, SftpInput};
use konbit_core::authz::Actor;
use konbit_core::database::DbEngine;
use konbit_core::model::{ObjectStatus, ProvisionState};
use konbit_core::quota::QuotaLimits;
use konbit_provision::database::DatabaseProvisioner;
use konbit_provision::database::mariadb::MariaDbServer;
use konbit_provision::database::postgres::PostgresServer;
use konbit_provision::sftp::files::SftpFiles;
use konbit_provision::sftp::provisioner::SftpProvisioner;
use konbit_provision::sftp::server::SftpServer;
use konbit_provision::web::UnixSettings;
use konbit_provision::{Registry, Worker, WorkerConfig};
use konbit_testkit::app::TestApp;
use konbit_testkit::mariadb::MariaDb;
use konbit_testkit::postgres::Postgres;
use konbit_testkit::proftpd::{ProFtpd, ProFtpdOptions};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The password of every timed SFTP login: the bench logs in with it.
const SFTP_PASSWORD: &str = "Bench-2026-upload";
/// Between two looks at an object's provision status.
const STATUS_POLL: Duration = Duration::from_millis(2);
/// How long one object may take to be applied; with many SFTP logins each
/// batch rewrites ProFTPd's whole user file.
const APPLY_TIMEOUT: Duration = Duration::from_secs(120);
/// Login or connection attempts once applied, and the pause between them.
const CLIENT_ATTEMPTS: usize = 20;
const CLIENT_RETRY: Duration = Duration::from_millis(20);
/// Samples of one new login among many.
const MANY_SAMPLES: usize = 20;

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

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A prefix and uid range of its own, so that the Unix users made here
/// cannot be mistaken for anyone else's (tests run beside it may pick
/// theirs the same way).
fn unix_settings(homes_root: PathBuf) -> UnixSettings {
    let n: u32 = rand::random();
    let letters: String = (0..4u32)
        .map(|i| char::from(b'a' + ((n >> (i * 5)) % 26) as u8))
        .collect();
    UnixSettings {
        prefix: format!("b{letters}-"),
        uid_base: 300_000 + (n % 50_000) * 100,
        homes_root,
        ..UnixSettings::default()
    }
}

/// Removes every Unix user whose login starts with `prefix`.
fn remove_bench_users(prefix: &str) {
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

struct Bench {
    t: TestApp,
    ftp: Option<ProFtpd>,
    mariadb: Option<MariaDb>,
    postgres: Option<Postgres>,
    unix: UnixSettings,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
    /// The final dumps of deleted databases (none here, but the
    /// provisioner needs the place).
    _dumps: tempfile::TempDir,
    /// MariaDB's and PostgreSQL's data, removed after they stop (fields
    /// drop in order).
    _daemon_dirs: tempfile::TempDir,
}

impl Bench {
    async fn start(limits: QuotaLimits) -> Result<Self> {
        let dumps = tempfile::tempdir()?;
        let daemon_dirs = tempfile::tempdir()?;
        let mariadb = MariaDb::try_start(&daemon_dirs.path().join("mariadb")).await?;
        let postgres = Postgres::try_start(&daemon_dirs.path().join("postgres")).await?;
        let engine = |addr: SocketAddr| EngineConfig {
            public_host: addr.ip().to_string(),
            public_port: addr.port(),
        };
        let t = TestApp::spawn_with(AppConfig {
            sftp: SftpConfig {
                enabled: true,
                public_host: "127.0.0.1".into(),
                public_port: 22,
            },
            databases: DatabaseConfig {
                mariadb: mariadb.as_ref().map(|m| engine(m.addr())),
                postgresql: postgres.as_ref().map(|p| engine(p.addr())),
                max_size_mb: 0,
                over_size: OverSize::ReadOnly,
                dump_dir: Some(dumps.path().to_owned()),
            },
            ..AppConfig::default()
        })
        .await?;
        // Sessions chrooted in the homes, and `mkdir` as the account's
        // user, must get through the bench's directory.
        std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o711))?;
        let unix = unix_settings(t.dir.path().join("homes"));
        std::fs::create_dir_all(&unix.homes_root)?;
        std::fs::set_permissions(&unix.homes_root, std::fs::Permissions::from_mode(0o711))?;
        let files = SftpFiles {
            user_file: t.dir.path().join("sftp/passwd"),
            group_file: t.dir.path().join("sftp/group"),
            keys_dir: t.dir.path().join("sftp/keys"),
        };
        // ProFTPd reads these at start: they must exist.
        files.write_all(&[]).map_err(|e| anyhow!("{e}"))?;
        let ftp = start_proftpd(&t.dir.path().join("proftpd"), &files).await?;

        let cli = Actor::operator_cli();
        let (account, _, _) = t.seed_account("radio").await?;
        let big = t
            .app
            .quota_profiles()
            .create(
                &cli,
                konbit_app::quota_profile::ProfileInput {
                    name: "bench".into(),
                    limits,
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

        let mut registry = Registry::new();
        if ftp.is_some() {
            registry = registry.register(SftpProvisioner::new(
                t.app.store.clone(),
                files.clone(),
                unix.clone(),
            ));
        }
        if mariadb.is_some() || postgres.is_some() {
            let maria = match &mariadb {
                Some(m) => Some(
                    MariaDbServer::new(&m.admin_url(), "/usr/bin".into(), Some(m.socket().into()))
                        .map_err(|e| anyhow!("{e}"))?,
                ),
                None => None,
            };
            let pg = match &postgres {
                Some(p) => Some(
                    PostgresServer::new(&p.admin_url(), p.bin_dir().to_owned())
                        .map_err(|e| anyhow!("{e}"))?,
                ),
                None => None,
            };
            registry = registry.register(DatabaseProvisioner::new(
                t.app.store.clone(),
                maria,
                pg,
                dumps.path().to_owned(),
            ));
        }
        let worker = Worker::new(
            t.app.store.clone(),
            registry,
            t.app.reconcile_wakeup.clone(),
            WorkerConfig {
                idle_tick: Duration::from_millis(200),
                backoff_base_secs: 1,
                backoff_max_secs: 1,
                fatal_pause_secs: 1,
                ..WorkerConfig::default()
            },
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));
        Ok(Bench {
            t,
            ftp,
            mariadb,
            postgres,
            unix,
            stop: Some(stop),
            worker: Some(worker),
            _dumps: dumps,
            _daemon_dirs: daemon_dirs,
        })
    }

    /// Creates SFTP login `radio_<suffix>` chrooted to `<suffix>` in the
    /// account's home; returns its id.
    async fn sftp_login(&self, suffix: &str) -> Result<i64> {
        Ok(self
            .t
            .app
            .sftp()
            .create(
                &Actor::operator_cli(),
                SftpInput {
                    account: "radio".into(),
                    suffix: suffix.into(),
                    dir: suffix.into(),
                    password: SFTP_PASSWORD.into(),
                    ..SftpInput::default()
                },
            )
            .await
            .map_err(|e| anyhow!("{e}"))?
            .sftp
            .id
            .0)
    }

    /// Polls until SFTP login `id` is applied as of its latest generation.
    async fn sftp_applied(&self, id: i64) -> Result<()> {
        until_applied(&format!("SFTP login {id}"), || async {
            Ok(self
                .t
                .app
                .sftp()
                .get(&Actor::operator_cli(), id)
                .await
                .map_err(|e| anyhow!("{e}"))?
                .sftp
                .provision)
        })
        .await
    }

    async fn database_applied(&self, id: i64) -> Result<()> {
        until_applied(&format!("database {id}"), || async {
            Ok(self
                .t
                .app
                .databases()
                .get(&Actor::operator_cli(), id)
                .await
                .map_err(|e| anyhow!("{e}"))?
                .database
                .provision)
        })
        .await
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
        if let Some(ftp) = &mut self.ftp {
            ftp.stop();
        }
        remove_bench_users(&self.unix.prefix);
    }
}

/// Polls `state` every [`STATUS_POLL`], at most [`APPLY_TIMEOUT`], until
/// the object is applied; fails at once when the provisioner failed it.
async fn until_applied<F, Fut>(what: &str, state: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<ProvisionState>>,
{
    let started = Instant::now();
    loop {
        let p = state().await?;
        match p.status {
            ObjectStatus::Applied if p.applied_generation >= p.generation => return Ok(()),
            ObjectStatus::Failed => bail!(
                "{what} failed: {}",
                p.last_error.unwrap_or_else(|| "no reason given".into())
            ),
            _ => {}
        }
        if started.elapsed() > APPLY_TIMEOUT {
            bail!("{what} was not applied within {APPLY_TIMEOUT:?}");
        }
        tokio::time::sleep(STATUS_POLL).await;
    }
}

/// ProFTPd with the configuration `konbit sftp-server setup` renders;
/// `None` (the testkit says what is missing) when it cannot run here.
async fn start_proftpd(dir: &Path, files: &SftpFiles) -> Result<Option<ProFtpd>> {
    std::fs::create_dir_all(dir)?;
    let canonical = std::fs::canonicalize(dir)?;
    let opts = ProFtpdOptions {
        auth_user_file: files.user_file.clone(),
        auth_group_file: files.group_file.clone(),
        authorized_keys_dir: files.keys_dir.clone(),
    };
    let files = files.clone();
    let render = move |port: u16, host_keys: &[PathBuf]| {
        SftpServer {
            conf: canonical.join("proftpd.conf"),
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            files: files.clone(),
            host_keys: host_keys.to_vec(),
            pid_file: canonical.join("run/proftpd.pid"),
            scoreboard: canonical.join("run/proftpd.scoreboard"),
            log: canonical.join("proftpd.log"),
            max_login_attempts: 3,
        }
        .render()
        // Not a directive: `proftpd -t` refuses it, quoting the reason.
        .unwrap_or_else(|e| format!("KonbitCouldNotRender \"{e}\"\n"))
    };
    ProFtpd::try_start_rendered(dir, opts, &render).await
}

/// One password login with OpenSSH's `sftp`; whether it got a prompt.
fn sftp_logs_in(ftp: &ProFtpd, login: &str) -> Result<bool> {
    let out = tokio::task::block_in_place(|| ftp.sftp_password(login, SFTP_PASSWORD, "pwd\n"))?;
    Ok(String::from_utf8_lossy(&out.stdout).contains("sftp>"))
}

async fn sftp_first_login(b: &Bench, ftp: &ProFtpd, n: usize) -> Result<()> {
    let mut calls = Vec::with_capacity(n);
    let mut applied = Vec::with_capacity(n);
    let mut logged_in = Vec::with_capacity(n);
    let mut retried = 0;
    for i in 0..n {
        let suffix = format!("s{i}");
        let called = Instant::now();
        let id = b.sftp_login(&suffix).await?;
        let created = Instant::now();
        calls.push(millis(created - called));
        b.sftp_applied(id).await?;
        applied.push(millis(created.elapsed()));
        // A refused login may be held back by mod_delay: only try once
        // the user file holds the login.
        let login = format!("radio_{suffix}");
        let mut ok = false;
        for attempt in 0..CLIENT_ATTEMPTS {
            if sftp_logs_in(ftp, &login)? {
                ok = true;
                break;
            }
            if attempt == 0 {
                retried += 1;
            }
            tokio::time::sleep(CLIENT_RETRY).await;
        }
        if !ok {
            bail!(
                "{login} never logged in after {CLIENT_ATTEMPTS} attempts\n{}",
                ftp.logs()
            );
        }
        logged_in.push(millis(created.elapsed()));
    }
    report("sftp create call (hashes the password)", calls);
    report("sftp create -> applied (user file written)", applied);
    report(
        "sftp create -> first password login with OpenSSH sftp (tried once applied)",
        logged_in,
    );
    if retried > 0 {
        println!("  ({retried} of {n} logins were refused at first after being applied)");
    }
    Ok(())
}

async fn sftp_one_among_many(b: &Bench, ftp: &ProFtpd, many: usize) -> Result<()> {
    let started = Instant::now();
    let mut last = None;
    for i in 0..many {
        last = Some(b.sftp_login(&format!("m{i}")).await?);
    }
    let created = started.elapsed();
    if let Some(last) = last {
        b.sftp_applied(last).await?;
    }
    println!(
        "{many} SFTP logins: created in {:.1} s, all applied after {:.1} s",
        created.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let mut ms = Vec::with_capacity(MANY_SAMPLES);
    let mut login = String::new();
    for i in 0..MANY_SAMPLES {
        let suffix = format!("n{i}");
        let id = b.sftp_login(&suffix).await?;
        let created = Instant::now();
        b.sftp_applied(id).await?;
        ms.push(millis(created.elapsed()));
        login = format!("radio_{suffix}");
    }
    report(
        &format!(
            "with {many} SFTP logins: one more create -> applied \
             (ProFTPd's user file is rewritten whole: grows with the number of logins)"
        ),
        ms,
    );
    if !login.is_empty() && !sftp_logs_in(ftp, &login)? {
        bail!("{login} did not log in among {many} others\n{}", ftp.logs());
    }
    Ok(())
}

/// Runs `SELECT 1` as the owner of `name` with the engine's own client;
/// whether it answered.
fn owner_connects(b: &Bench, engine: DbEngine, name: &str, password: &str) -> Result<bool> {
    let out = tokio::task::block_in_place(|| match engine {
        DbEngine::Mariadb => b
            .mariadb
            .as_ref()
            .map(|m| m.sql_as(name, password, Some(name), "SELECT 1"))
            .transpose(),
        DbEngine::Postgresql => b
            .postgres
            .as_ref()
            .map(|p| p.sql_as(name, password, name, "SELECT 1"))
            .transpose(),
    })?;
    let Some(out) = out else {
        bail!("{} is not running", engine.as_str());
    };
    Ok(out.status.success() && String::from_utf8_lossy(&out.stdout).contains('1'))
}

async fn databases(b: &Bench, engine: DbEngine, n: usize) -> Result<()> {
    let mut calls = Vec::with_capacity(n);
    let mut applied = Vec::with_capacity(n);
    let mut connected = Vec::with_capacity(n);
    let engine_name = engine.as_str();
    for i in 0..n {
        let called = Instant::now();
        let v =
            b.t.app
                .databases()
                .create(
                    &Actor::operator_cli(),
                    DatabaseInput {
                        account: "radio".into(),
                        engine: engine_name.into(),
                        suffix: format!("b{i}"),
                        // Konbit makes one and shows it once.
                        password: String::new(),
                    },
                )
                .await
                .map_err(|e| anyhow!("{e}"))?;
        let created = Instant::now();
        calls.push(millis(created - called));
        let Some(password) = v.password else {
            bail!(
                "no password was shown for the new database {}",
                v.database.name
            );
        };
        let name = v.database.name.to_string();
        b.database_applied(v.database.id.0).await?;
        applied.push(millis(created.elapsed()));
        let mut ok = false;
        for _ in 0..CLIENT_ATTEMPTS {
            if owner_connects(b, engine, &name, &password)? {
                ok = true;
                break;
            }
            tokio::time::sleep(CLIENT_RETRY).await;
        }
        if !ok {
            bail!("the owner of {engine_name} database {name} never connected");
        }
        connected.push(millis(created.elapsed()));
    }
    report(&format!("{engine_name} database create call"), calls);
    report(
        &format!("{engine_name} database create -> applied"),
        applied,
    );
    report(
        &format!(
            "{engine_name} database create -> owner's first SELECT 1 with the engine's client \
             (tried once applied)"
        ),
        connected,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let sftp = count("KONBIT_BENCH_SFTP", 50, 3, smoke)?;
    let sftp_many = count("KONBIT_BENCH_SFTP_MANY", 2000, 20, smoke)?;
    let databases_per_engine = count("KONBIT_BENCH_DATABASES", 20, 2, smoke)?;
    if !rustix::process::geteuid().is_root() {
        println!(
            "needs root (Unix users for the SFTP homes, ProFTPd's per-login chroot, \
             the database daemons): skipping"
        );
        return Ok(());
    }
    println!(
        "machine: {} core(s)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let b = Bench::start(QuotaLimits {
        sftp_accounts: u64::try_from(sftp + sftp_many + MANY_SAMPLES)?,
        databases: u64::try_from(2 * databases_per_engine)?,
        ..QuotaLimits::starter()
    })
    .await?;
    match &b.ftp {
        Some(ftp) => {
            sftp_first_login(&b, ftp, sftp).await?;
            sftp_one_among_many(&b, ftp, sftp_many).await?;
        }
        None => println!(
            "ProFTPd with mod_sftp or OpenSSH's sftp is missing (see SKIPPED above): \
             no SFTP figures"
        ),
    }
    for (engine, running, package) in [
        (DbEngine::Mariadb, b.mariadb.is_some(), "mariadb-server"),
        (DbEngine::Postgresql, b.postgres.is_some(), "postgresql"),
    ] {
        if running {
            databases(&b, engine, databases_per_engine).await?;
        } else {
            println!(
                "{} is missing ({package}; see SKIPPED above): no {} figures",
                engine.as_str(),
                engine.as_str()
            );
        }
    }
    Ok(())
}
