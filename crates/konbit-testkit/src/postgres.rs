//! A real PostgreSQL 15 server for tests, under the [`Daemon`] watchdog,
//! on a free loopback port, with its data and socket in one directory.
//!
//! [`Postgres::start`] runs `initdb` as OS user `postgres` into `dir/data`
//! (`--auth-local=peer --auth-host=scram-sha-256 -E UTF8
//! --locale=C.UTF-8`), then `postgres -D dir/data` in the foreground as
//! `postgres` (through `setpriv`, which execs it: the postmaster is the
//! watched program) listening on 127.0.0.1 and on a socket in `dir/run`.
//! `dir` is handed to `postgres`; every directory above it must be
//! traversable by others (as a [`tempfile::TempDir`] in `/tmp` is). The
//! server's log is the daemon's log ([`Daemon::log`]). Durability is off
//! (`fsync`, `full_page_writes`, `synchronous_commit`): it is a test
//! server.
//!
//! Since local connections use peer authentication (OS user = role), a
//! superuser role [`ADMIN_ROLE`] with a random password is created at
//! start; [`Postgres::admin_url`] reaches it over TCP (scram-sha-256).
//!
//! # Stopping
//!
//! The postmaster stays in the watchdog's process group, but its children
//! call `setsid()` and leave it. On drop (or [`Postgres::stop`]) the
//! postmaster gets SIGQUIT (immediate shutdown: it stops its children and
//! removes its shared memory) before the watchdog kills the group; any child
//! still alive after that is killed by its own group. If the test process
//! dies without dropping, the watchdog SIGKILLs the postmaster and its
//! children exit on their own when they notice (PostgreSQL watches for
//! postmaster death).
//!
//! Needs Debian's `postgresql-15` and `postgresql-client-15`, `setpriv`
//! (util-linux), and root. [`Postgres::try_start`] skips (prints
//! `SKIPPED`) when they are missing, unless `REQUIRE_DATABASE_TESTS=1`.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use konbit_testkit::postgres::Postgres;
//!
//! let dir = tempfile::tempdir()?;
//! let Some(pg) = Postgres::try_start(dir.path()).await? else { return Ok(()) };
//! pg.admin_sql("CREATE ROLE site1 LOGIN PASSWORD 'S1te-pass'")?;
//! let out = pg.sql_as("site1", "S1te-pass", "postgres", "SELECT current_user")?;
//! assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "site1");
//! // konbit-provision's PostgreSQL provisioner takes pg.admin_url() and
//! // pg.bin_dir().
//! # Ok(()) }
//! ```

use std::fs;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::daemon::{Daemon, free_port, group_pids, require_binary, skip_if_missing};
use crate::mariadb::{
    GONE_TIMEOUT, MAX_SOCKET_PATH, check_traversable, chown_mode, passwd_ids, proc_fields,
    require_root, run_with_input, wait_group_gone,
};

/// Environment variable that turns "not installed" skips into failures
/// (shared with [`crate::mariadb`]).
pub const REQUIRE_ENV: &str = crate::mariadb::REQUIRE_ENV;
/// The superuser role created at start, reached with
/// [`Postgres::admin_url`].
pub const ADMIN_ROLE: &str = "konbit_admin";
/// Where Debian's `postgresql-15` and `postgresql-client-15` put the
/// programs (`initdb`, `postgres`, `psql`, `pg_dump`, ...).
pub const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

const SETPRIV: &str = "/usr/bin/setpriv";
const SERVER_PACKAGE: &str = "postgresql-15";
const CLIENT_PACKAGE: &str = "postgresql-client-15";
/// The OS user the server runs as.
const SERVER_USER: &str = "postgres";
/// `initdb` takes one or two seconds.
const INITDB_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the server may take to accept connections once started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// One `psql` run.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// One `pg_dump` run.
const DUMP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the postmaster may take to stop after SIGQUIT.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Ports tried when the one picked is taken before the server binds it.
const START_ATTEMPTS: usize = 3;

/// A running PostgreSQL server; stopped (with all its processes) when
/// dropped.
#[derive(Debug)]
pub struct Postgres {
    daemon: Daemon,
    dir: PathBuf,
    port: u16,
    password: String,
    stopped: bool,
}

impl Postgres {
    /// Initialise `dir/data` and start the server on a free loopback port;
    /// returns once it accepts queries and [`ADMIN_ROLE`] exists. `dir` is
    /// created if needed and must not hold an earlier server's data.
    pub async fn start(dir: &Path) -> Result<Postgres> {
        for program in ["initdb", "postgres"] {
            require_binary(Path::new(BIN_DIR).join(program), SERVER_PACKAGE)?;
        }
        for program in ["psql", "pg_dump"] {
            require_binary(Path::new(BIN_DIR).join(program), CLIENT_PACKAGE)?;
        }
        require_binary(SETPRIV, "util-linux")?;
        require_root("initdb and the server run as OS user postgres")?;
        let (uid, gid) = passwd_ids(SERVER_USER)?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
        check_traversable(&dir, SERVER_USER)?;
        let data = dir.join("data");
        let run = dir.join("run");
        if data.exists() {
            bail!(
                "{} already exists: start PostgreSQL in a fresh directory",
                data.display()
            );
        }
        // ".s.PGSQL.65535"
        if run.as_os_str().len() + 15 > MAX_SOCKET_PATH {
            bail!(
                "the socket directory {} is too long for a Unix socket path; use a shorter directory",
                run.display()
            );
        }
        fs::create_dir_all(&run).with_context(|| format!("creating {}", run.display()))?;
        chown_mode(&dir, uid, gid, 0o755)?;
        chown_mode(&run, uid, gid, 0o755)?;
        initdb(&dir)?;

        let password = random_password()?;
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let daemon = as_postgres_daemon(&dir, port)?;
            let mut pg = Postgres {
                daemon,
                dir: dir.clone(),
                port,
                password: password.clone(),
                stopped: false,
            };
            match pg.wait_until_ready().await {
                Ok(()) => {
                    pg.create_admin()?;
                    return Ok(pg);
                }
                Err(e) if pg.daemon.log().contains("already in use") => {
                    pg.stop();
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("postgres did not start")))
    }

    /// Like [`Postgres::start`], but if PostgreSQL is not installed (or
    /// the test is not root), print `SKIPPED: ...` and return `Ok(None)`,
    /// unless `REQUIRE_DATABASE_TESTS=1`.
    pub async fn try_start(dir: &Path) -> Result<Option<Postgres>> {
        skip_if_missing(Postgres::start(dir).await, REQUIRE_ENV)
    }

    /// The TCP port on 127.0.0.1 (also the socket's number).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// The directory of the Unix socket (`dir/run`; the socket is
    /// `.s.PGSQL.<port>` in it). Peer authentication: only OS user
    /// `postgres` (role `postgres`) logs in there without a password.
    pub fn socket_dir(&self) -> PathBuf {
        self.dir.join("run")
    }

    /// The data directory (`dir/data`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Where `psql`, `pg_dump` and the rest are.
    pub fn bin_dir(&self) -> &Path {
        Path::new(BIN_DIR)
    }

    /// The server process (its log is PostgreSQL's log).
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// [`ADMIN_ROLE`]'s password.
    pub fn admin_password(&self) -> &str {
        &self.password
    }

    /// `postgres://konbit_admin:<password>@127.0.0.1:<port>/postgres`: the
    /// superuser over TCP (scram-sha-256). The password is alphanumeric, so
    /// the URL needs no escaping.
    pub fn admin_url(&self) -> String {
        format!(
            "postgres://{ADMIN_ROLE}:{}@127.0.0.1:{}/postgres",
            self.password, self.port
        )
    }

    /// Run `sql` as `user` (password through `PGPASSWORD`) over TCP in
    /// `database`: `psql -X -w -q -A -t -h 127.0.0.1 -p PORT -U USER -d DB
    /// -v ON_ERROR_STOP=1 -c SQL`, so stdout holds the rows only, one a
    /// line, columns separated by `|`. Several statements in `sql` run in
    /// one transaction (so no `CREATE DATABASE` among others; see
    /// [`Postgres::admin_sql`]). The exit status is not checked (tests
    /// check refusals).
    pub fn sql_as(&self, user: &str, password: &str, database: &str, sql: &str) -> Result<Output> {
        let mut cmd = self.psql(user, password, database);
        cmd.arg("-c").arg(sql);
        run_with_input(cmd, b"", CLIENT_TIMEOUT)
    }

    /// Run `sql` as [`ADMIN_ROLE`] in database `postgres`, statement by
    /// statement (psql reads it from stdin, stopping at the first error),
    /// so it may mix `CREATE DATABASE` with other statements. Returns
    /// stdout, or an error quoting stderr.
    pub fn admin_sql(&self, sql: &str) -> Result<String> {
        self.admin_sql_in("postgres", sql)
    }

    /// [`Postgres::admin_sql`] in `database`.
    pub fn admin_sql_in(&self, database: &str, sql: &str) -> Result<String> {
        let cmd = self.psql(ADMIN_ROLE, &self.password, database);
        let out = run_with_input(cmd, sql.as_bytes(), CLIENT_TIMEOUT)?;
        if !out.status.success() {
            bail!(
                "SQL as {ADMIN_ROLE} in {database} failed ({}): {}\nSQL: {sql}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `pg_dump DATABASE` as [`ADMIN_ROLE`] over TCP: the SQL text.
    pub fn dump(&self, database: &str) -> Result<Vec<u8>> {
        let mut cmd = Command::new(Path::new(BIN_DIR).join("pg_dump"));
        cmd.args(["-w", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", ADMIN_ROLE, "-d", database]);
        client_env(&mut cmd, &self.password);
        let out = run_with_input(cmd, b"", DUMP_TIMEOUT)?;
        if !out.status.success() {
            bail!(
                "pg_dump {database} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out.stdout)
    }

    /// Stop the server and all its processes now; also done on drop.
    pub fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let postmaster = self.daemon.pid();
        let mut children = children_of(postmaster);
        if self.daemon.is_running() {
            // Immediate shutdown: the postmaster SIGQUITs its children,
            // waits for them, removes its shared memory and exits.
            signal("-QUIT", &postmaster.to_string());
            let deadline = Instant::now() + STOP_TIMEOUT;
            while self.daemon.is_running() && Instant::now() < deadline {
                children.extend(children_of(postmaster));
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        self.daemon.stop();
        wait_group_gone(self.daemon.pgid(), GONE_TIMEOUT);
        // Each child leads its own group (setsid); while a member is left,
        // that group id cannot be reused, so this kills only PostgreSQL's.
        children.sort_unstable();
        children.dedup();
        let deadline = Instant::now() + STOP_TIMEOUT;
        for child in children {
            while !group_pids(child).is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if !group_pids(child).is_empty() {
                signal("-KILL", &format!("-{child}"));
            }
        }
    }

    fn psql(&self, user: &str, password: &str, database: &str) -> Command {
        let mut cmd = Command::new(Path::new(BIN_DIR).join("psql"));
        cmd.args(["-X", "-w", "-q", "-A", "-t"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", user, "-d", database, "-v", "ON_ERROR_STOP=1"]);
        client_env(&mut cmd, password);
        cmd
    }

    /// Wait until the port accepts and a query over the socket (as OS user
    /// postgres) succeeds: the server accepts TCP before it is out of
    /// recovery.
    async fn wait_until_ready(&self) -> Result<()> {
        let started = Instant::now();
        self.daemon.wait_for_tcp(self.addr(), READY_TIMEOUT).await?;
        let mut last = String::new();
        for _ in 0..READY_TIMEOUT.as_millis() / 50 + 1 {
            match self.peer_sql("SELECT 1") {
                Ok(_) => return Ok(()),
                Err(e) => last = format!("{e:#}"),
            }
            if !self.daemon.is_running() || started.elapsed() > READY_TIMEOUT {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "postgres on port {} does not answer queries after {:.1} s (running: {}): {last}; end of {}:\n{}",
            self.port,
            started.elapsed().as_secs_f64(),
            self.daemon.is_running(),
            self.daemon.log_path().display(),
            self.daemon.log_tail(30)
        )
    }

    /// Run `sql` over the socket as OS user and role `postgres` (peer
    /// authentication); the SQL goes through stdin.
    fn peer_sql(&self, sql: &str) -> Result<String> {
        let mut cmd = as_postgres(&self.dir);
        cmd.arg(Path::new(BIN_DIR).join("psql"))
            .args(["-X", "-w", "-q", "-A", "-t", "-h"])
            .arg(self.socket_dir())
            .args(["-p", &self.port.to_string()])
            .args(["-U", SERVER_USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1"]);
        client_env(&mut cmd, "");
        cmd.env_remove("PGPASSWORD");
        let out = run_with_input(cmd, sql.as_bytes(), CLIENT_TIMEOUT)?;
        if !out.status.success() {
            bail!(
                "psql as postgres over the socket failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn create_admin(&self) -> Result<()> {
        // The password is alphanumeric: nothing to quote. It goes through
        // stdin, not the command line.
        self.peer_sql(&format!(
            "CREATE ROLE {ADMIN_ROLE} SUPERUSER CREATEDB CREATEROLE LOGIN PASSWORD '{}';",
            self.password
        ))
        .context("creating the administrator role")?;
        Ok(())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `setpriv` to OS user postgres (with its groups), run in `dir`.
fn as_postgres(dir: &Path) -> Command {
    let mut cmd = Command::new(SETPRIV);
    cmd.args([
        "--reuid",
        SERVER_USER,
        "--regid",
        SERVER_USER,
        "--init-groups",
        "--",
    ])
    .current_dir(dir)
    .env("HOME", dir);
    cmd
}

fn initdb(dir: &Path) -> Result<()> {
    let mut cmd = as_postgres(dir);
    cmd.arg(Path::new(BIN_DIR).join("initdb"))
        .arg("-D")
        .arg(dir.join("data"))
        .args([
            "-U",
            SERVER_USER,
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        ]);
    let out = run_with_input(cmd, b"", INITDB_TIMEOUT)?;
    if !out.status.success() {
        bail!(
            "initdb failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The postmaster, as OS user postgres, in the foreground. `setpriv`
/// execs it, so the watched pid is the postmaster's.
fn as_postgres_daemon(dir: &Path, port: u16) -> Result<Daemon> {
    Daemon::builder("postgres", SETPRIV, dir)
        .args([
            "--reuid",
            SERVER_USER,
            "--regid",
            SERVER_USER,
            "--init-groups",
            "--",
        ])
        .arg(Path::new(BIN_DIR).join("postgres"))
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", &format!("port={port}")])
        .arg("-c")
        .arg(format!(
            "unix_socket_directories={}",
            dir.join("run").display()
        ))
        .args([
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "shared_buffers=32MB",
            "-c",
            "max_connections=50",
        ])
        .env("HOME", dir)
        .current_dir(dir)
        .start()
}

/// Set the password and clear what could redirect a client elsewhere.
fn client_env(cmd: &mut Command, password: &str) {
    for var in [
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGSERVICE",
        "PGSERVICEFILE",
        "PGOPTIONS",
        "PGSSLMODE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PGPASSWORD", password)
        .env("PGPASSFILE", "/dev/null")
        .env("PGCONNECT_TIMEOUT", "10");
}

/// 32 random hexadecimal digits from /dev/urandom.
fn random_password() -> Result<String> {
    let mut bytes = [0u8; 16];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Live processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&p| proc_fields(p).is_some_and(|f| f.ppid == pid && !matches!(f.state, 'Z' | 'X')))
        .collect()
}

/// `kill SIGNAL TARGET`, ignoring failures (the target may be gone).
fn signal(signal: &str, target: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", target])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_random_hex() {
        let a = random_password().unwrap();
        let b = random_password().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
