//! A real MariaDB server for tests, under the [`Daemon`] watchdog, on a
//! free loopback port, with its data, socket and configuration in one
//! directory.
//!
//! [`MariaDb::start`] runs `mariadb-install-db` into `dir/data` (root may
//! log in only over the Unix socket, as OS user root: `unix_socket`
//! authentication, as on Debian), writes `dir/my.cnf` and starts
//! `mariadbd --defaults-file=dir/my.cnf` in the foreground. The server
//! runs as `mysql`; `dir/run` (socket and pid file) and `dir/data` belong to
//! it, and `dir` itself is handed to it too so it can traverse it (every
//! directory above `dir` must be traversable by others, as a
//! [`tempfile::TempDir`] in `/tmp` is). Its error log is the daemon's log
//! ([`Daemon::log`]).
//!
//! Needs Debian's `mariadb-server` and `mariadb-client`, and root (to run
//! the client as OS user root over the socket, and to give the directory to
//! `mysql`). [`MariaDb::try_start`] skips (prints `SKIPPED`) when they are
//! missing, unless `REQUIRE_DATABASE_TESTS=1`.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use konbit_testkit::mariadb::MariaDb;
//!
//! let dir = tempfile::tempdir()?;
//! let Some(db) = MariaDb::try_start(dir.path()).await? else { return Ok(()) };
//! db.root_sql("CREATE DATABASE site1_db")?;
//! let out = db.sql_as("site1", "S1te-pass", Some("site1_db"), "SELECT 1")?;
//! assert!(!out.status.success(), "no such user yet");
//! // konbit-provision's MariaDB provisioner takes db.admin_url().
//! # Ok(()) }
//! ```

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::daemon::{Daemon, Missing, free_port, group_pids, require_binary, skip_if_missing};

/// Environment variable that turns "not installed" skips into failures
/// (shared with [`crate::postgres`]).
pub const REQUIRE_ENV: &str = "REQUIRE_DATABASE_TESTS";

const SERVER: &str = "/usr/sbin/mariadbd";
const INSTALL_DB: &str = "/usr/bin/mariadb-install-db";
const CLIENT: &str = "/usr/bin/mariadb";
const DUMP: &str = "/usr/bin/mariadb-dump";
const SERVER_PACKAGE: &str = "mariadb-server";
const CLIENT_PACKAGE: &str = "mariadb-client";
/// The OS user the server runs as.
const SERVER_USER: &str = "mysql";
/// `mariadb-install-db` takes about a second.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the server may take to accept connections once started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// One client run.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// One `mariadb-dump` run.
const DUMP_TIMEOUT: Duration = Duration::from_secs(120);
/// Ports tried when the one picked is taken before the server binds it.
const START_ATTEMPTS: usize = 3;
/// How long a killed server may take to be gone.
pub(crate) const GONE_TIMEOUT: Duration = Duration::from_secs(10);
/// `sun_path` holds 108 bytes, the last one a NUL.
pub(crate) const MAX_SOCKET_PATH: usize = 107;

/// A running `mariadbd`; killed when dropped (see [`MariaDb::stop`]).
#[derive(Debug)]
pub struct MariaDb {
    daemon: Daemon,
    dir: PathBuf,
    port: u16,
    socket: PathBuf,
}

impl MariaDb {
    /// Initialise `dir/data`, write `dir/my.cnf` and start the server on a
    /// free loopback port; returns once the port accepts and the socket
    /// exists. `dir` is created if needed and must be empty of an earlier
    /// server's data.
    pub async fn start(dir: &Path) -> Result<MariaDb> {
        for (program, package) in [
            (SERVER, SERVER_PACKAGE),
            (INSTALL_DB, SERVER_PACKAGE),
            (CLIENT, CLIENT_PACKAGE),
            (DUMP, CLIENT_PACKAGE),
        ] {
            require_binary(program, package)?;
        }
        require_root("the client logs in as OS user root over the socket")?;
        let (uid, gid) = passwd_ids(SERVER_USER)?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
        check_traversable(&dir, SERVER_USER)?;
        let data = dir.join("data");
        let run = dir.join("run");
        if data.exists() {
            bail!(
                "{} already exists: start MariaDB in a fresh directory",
                data.display()
            );
        }
        let socket = run.join("mysqld.sock");
        check_config_path(&socket)?;
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            bail!(
                "the socket path {} is longer than {MAX_SOCKET_PATH} bytes; use a shorter directory",
                socket.display()
            );
        }
        for sub in [&data, &run] {
            fs::create_dir_all(sub).with_context(|| format!("creating {}", sub.display()))?;
        }
        chown_mode(&dir, uid, gid, 0o755)?;
        chown_mode(&data, uid, gid, 0o750)?;
        chown_mode(&run, uid, gid, 0o755)?;

        let mut last_error = None;
        for attempt in 0..START_ATTEMPTS {
            let port = free_port()?;
            let config = dir.join("my.cnf");
            write_file(&config, &my_cnf(&dir, port))?;
            if attempt == 0 {
                install_db(&config)?;
            }
            let daemon = Daemon::builder("mariadbd", SERVER, &dir)
                .arg(format!("--defaults-file={}", config.display()))
                .current_dir(&dir)
                .start()?;
            let db = MariaDb {
                daemon,
                dir: dir.clone(),
                port,
                socket: socket.clone(),
            };
            match db.wait_until_ready().await {
                Ok(()) => return Ok(db),
                Err(e) if db.daemon.log().contains("Address already in use") => {
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("mariadbd did not start")))
    }

    /// Like [`MariaDb::start`], but if MariaDB is not installed (or the
    /// test is not root), print `SKIPPED: ...` and return `Ok(None)`,
    /// unless `REQUIRE_DATABASE_TESTS=1`.
    pub async fn try_start(dir: &Path) -> Result<Option<MariaDb>> {
        skip_if_missing(MariaDb::start(dir).await, REQUIRE_ENV)
    }

    /// The TCP port, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// The server's Unix socket (`dir/run/mysqld.sock`).
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The data directory (`dir/data`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server's option file (`dir/my.cnf`).
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("my.cnf")
    }

    /// The server process (its log is MariaDB's error log).
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// An sqlx URL for root over the socket, with no password (the
    /// `unix_socket` plugin admits OS user root):
    /// `mysql://root@localhost/mysql?socket=<path>`.
    pub fn admin_url(&self) -> String {
        format!(
            "mysql://root@localhost/mysql?socket={}",
            query_escape(&self.socket.to_string_lossy())
        )
    }

    /// Run `mariadb --no-defaults --socket=<socket> -u root ARGS...` with
    /// `stdin` as its input (SQL, or a dump to load), bounded in time.
    /// The exit status is not checked; see [`MariaDb::root_sql`].
    pub fn client(&self, args: &[&str], stdin: &[u8]) -> Result<Output> {
        let mut cmd = Command::new(CLIENT);
        cmd.arg("--no-defaults")
            .arg("--protocol=socket")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-u", "root"])
            .args(args)
            .env_remove("MYSQL_PWD")
            .env_remove("MYSQL_HOST")
            .env_remove("MYSQL_TCP_PORT")
            .env_remove("MYSQL_UNIX_PORT");
        run_with_input(cmd, stdin, CLIENT_TIMEOUT)
    }

    /// Run `sql` as root over the socket (`--batch --skip-column-names`:
    /// one line per row, tab-separated); returns stdout, or an error with
    /// stderr when the client fails.
    pub fn root_sql(&self, sql: &str) -> Result<String> {
        let out = self.client(&["--batch", "--skip-column-names"], sql.as_bytes())?;
        checked("root", sql, out)
    }

    /// Run `sql` as `user` over TCP to 127.0.0.1:port, in `database` if
    /// given: `mariadb --batch --skip-column-names -e SQL`. The password
    /// goes through `MYSQL_PWD`, never the command line. The exit status is
    /// not checked (tests check refusals: `ERROR 1044` and so on).
    pub fn sql_as(
        &self,
        user: &str,
        password: &str,
        database: Option<&str>,
        sql: &str,
    ) -> Result<Output> {
        let mut cmd = Command::new(CLIENT);
        cmd.arg("--no-defaults")
            .arg("--protocol=tcp")
            .args(["-h", "127.0.0.1", "-P", &self.port.to_string()])
            .arg(format!("--user={user}"))
            .args(["--batch", "--skip-column-names"])
            .arg("-e")
            .arg(sql)
            .env("MYSQL_PWD", password)
            .env_remove("MYSQL_HOST")
            .env_remove("MYSQL_TCP_PORT")
            .env_remove("MYSQL_UNIX_PORT");
        if let Some(database) = database {
            cmd.arg(format!("--database={database}"));
        }
        run_with_input(cmd, b"", CLIENT_TIMEOUT)
    }

    /// `mariadb-dump --single-transaction DATABASE` as root over the
    /// socket: the SQL text.
    pub fn dump(&self, database: &str) -> Result<Vec<u8>> {
        let mut cmd = Command::new(DUMP);
        cmd.arg("--no-defaults")
            .arg("--protocol=socket")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-u", "root", "--single-transaction", "--"])
            .arg(database)
            .env_remove("MYSQL_PWD");
        let out = run_with_input(cmd, b"", DUMP_TIMEOUT)?;
        if !out.status.success() {
            bail!(
                "mariadb-dump {database} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out.stdout)
    }

    /// Kill the server now and wait (at most 10 s) until it is gone;
    /// also done on drop.
    pub fn stop(&mut self) {
        self.daemon.stop();
        wait_group_gone(self.daemon.pgid(), GONE_TIMEOUT);
    }

    async fn wait_until_ready(&self) -> Result<()> {
        let started = Instant::now();
        self.daemon.wait_for_tcp(self.addr(), READY_TIMEOUT).await?;
        // The socket is created with the port; this is only a safeguard.
        for _ in 0..READY_TIMEOUT.as_millis() / 20 + 1 {
            if self.socket.exists() {
                return Ok(());
            }
            if !self.daemon.is_running() || started.elapsed() > READY_TIMEOUT {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!(
            "mariadbd accepts on port {} but created no socket {} within {:?}; end of {}:\n{}",
            self.port,
            self.socket.display(),
            started.elapsed(),
            self.daemon.log_path().display(),
            self.daemon.log_tail(30)
        )
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.stop();
    }
}

fn my_cnf(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        "[mysqld]
user = {SERVER_USER}
datadir = {d}/data
socket = {d}/run/mysqld.sock
pid-file = {d}/run/mysqld.pid
tmpdir = {d}/run
bind-address = 127.0.0.1
port = {port}
skip-name-resolve
skip-external-locking
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
performance_schema = OFF
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
max_connections = 100
"
    )
}

fn install_db(config: &Path) -> Result<()> {
    let mut cmd = Command::new(INSTALL_DB);
    cmd.arg(format!("--defaults-file={}", config.display()))
        .args([
            "--user=mysql",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
        ]);
    let out = run_with_input(cmd, b"", INSTALL_TIMEOUT)?;
    if !out.status.success() {
        bail!(
            "mariadb-install-db failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// stdout of a successful client run, else an error quoting stderr.
fn checked(who: &str, sql: &str, out: Output) -> Result<String> {
    if !out.status.success() {
        bail!(
            "SQL as {who} failed ({}): {}\nSQL: {sql}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Percent-encode what is not safe in a URL query value (`/` stays).
fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Helpers shared with `postgres` and `proftpd`
// ---------------------------------------------------------------------------

/// A [`Missing`] error unless the test runs as root; `why` says what needs
/// it.
pub(crate) fn require_root(why: &str) -> Result<()> {
    let status = fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    // "Uid:\treal\teffective\tsaved\tfs"
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .context("no Uid line in /proc/self/status")?;
    if euid != "0" {
        return Err(anyhow!(Missing {
            what: format!("root privileges (euid is {euid}; {why})"),
            install: "run the tests as root, as CI does".to_owned(),
        }));
    }
    Ok(())
}

/// uid and gid of `user` from /etc/passwd.
pub(crate) fn passwd_ids(user: &str) -> Result<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && f[0] == user)
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .ok_or_else(|| anyhow!("no user `{user}` in /etc/passwd"))
}

pub(crate) fn chown_mode(path: &Path, uid: u32, gid: u32, mode: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("chown {uid}:{gid} {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {mode:o} {}", path.display()))
}

pub(crate) fn write_file(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// `user` (a daemon's user, not owner of the temp dir) must reach `dir`:
/// every directory above it must be traversable by others.
pub(crate) fn check_traversable(dir: &Path, user: &str) -> Result<()> {
    for ancestor in dir.ancestors().skip(1) {
        let mode = fs::metadata(ancestor)
            .with_context(|| format!("reading {}", ancestor.display()))?
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            bail!(
                "{} is mode {:o}: the server (user {user}) cannot reach {}; chmod o+x it",
                ancestor.display(),
                mode & 0o7777,
                dir.display()
            );
        }
    }
    Ok(())
}

/// A path written into a configuration file: UTF-8, without whitespace,
/// quotes or comment characters.
pub(crate) fn check_config_path(path: &Path) -> Result<()> {
    match path.to_str() {
        Some(s) if !s.contains(|c: char| c.is_whitespace() || "\"'#;\\".contains(c)) => Ok(()),
        _ => bail!(
            "unusable path for a configuration file (spaces, quotes, `#` or not UTF-8): {}",
            path.display()
        ),
    }
}

/// Like [`run_bounded`](crate::daemon::run_bounded), but with `input` on
/// the program's stdin. On timeout the program is killed, and so is its
/// process group if it leads one (e.g. after `setsid`).
pub(crate) fn run_with_input(mut cmd: Command, input: &[u8], timeout: Duration) -> Result<Output> {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("spawning {what}"))?;
    let pid = child.id();
    let stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A program that exits without reading all of it is fine.
            let _ = stdin.write_all(&input);
        }
    });
    let readers = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .map(|pipe| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    });
    let deadline = Instant::now() + timeout;
    let max_polls = timeout.as_millis() / 5 + 2;
    let mut status = None;
    for _ in 0..max_polls {
        if let Some(s) = child.try_wait()? {
            status = Some(s);
            break;
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    if status.is_none() {
        if leads_group(pid) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = writer.join();
    let [stdout, stderr] = readers.map(|r| r.join().unwrap_or_default());
    match status {
        Some(status) => Ok(Output {
            status,
            stdout,
            stderr,
        }),
        None => bail!(
            "{what} did not finish within {} s; output so far: {}{}",
            timeout.as_secs(),
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
    }
}

/// Wait until no live process is left in the group `pgid` (a SIGKILLed
/// process may take a moment to exit), at most `timeout`; whether it is
/// empty.
pub(crate) fn wait_group_gone(pgid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    for _ in 0..timeout.as_millis() / 5 + 1 {
        if group_pids(pgid).is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    group_pids(pgid).is_empty()
}

/// Whether `pid` is alive and leads its own process group.
fn leads_group(pid: u32) -> bool {
    proc_fields(pid).is_some_and(|f| f.pgrp == pid && !matches!(f.state, 'Z' | 'X'))
}

/// A few fields of `/proc/<pid>/stat`.
pub(crate) struct ProcFields {
    pub state: char,
    pub ppid: u32,
    pub pgrp: u32,
}

pub(crate) fn proc_fields(pid: u32) -> Option<ProcFields> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and ')'.
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcFields { state, ppid, pgrp })
}

/// Remove `path` if it exists.
pub(crate) fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn socket_paths_are_escaped_in_the_url() {
        assert_eq!(
            query_escape("/tmp/.tmpAb_1/run/x.sock"),
            "/tmp/.tmpAb_1/run/x.sock"
        );
        assert_eq!(query_escape("/a b&c"), "/a%20b%26c");
    }

    #[test]
    fn input_reaches_the_program_and_slow_ones_are_killed() {
        let out = run_with_input(Command::new("cat"), b"hello", Duration::from_secs(10)).unwrap();
        assert_eq!(out.stdout, b"hello");
        let mut sleep = Command::new("sleep");
        sleep.arg("30");
        let started = Instant::now();
        assert!(run_with_input(sleep, b"", Duration::from_millis(200)).is_err());
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
