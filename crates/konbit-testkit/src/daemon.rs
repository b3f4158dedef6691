//! Start real programs (chromedriver, PowerDNS, Postfix, nginx, ...) as
//! children of a test, with their output in a log file, a bounded readiness
//! wait, and a guaranteed kill of the program and all its descendants.
//!
//! # How the kill is guaranteed
//!
//! The program is not started directly. `watchdog.sh` (next to this crate's
//! `Cargo.toml`) is started in a **new process group** with its stdin on a
//! pipe whose write end only the test process holds. The script starts the
//! program in the background (same group), then blocks reading stdin; when
//! the pipe closes it runs `kill -KILL 0`, killing the whole group. The pipe
//! closes when the [`Daemon`] is dropped, but also when the test binary
//! panics, calls `exit`, is SIGKILLed or is killed by a nextest timeout, so
//! nothing is left behind even when `Drop` never runs.
//!
//! Programs must stay in the foreground and in their process group: run
//! nginx with `-g 'daemon off;'`, PowerDNS with `--daemon=no`, Postfix's
//! master with `master -d` (not `postfix start-fg` nor `master -s`: both
//! call `setsid`), and so on. Descendants that call `setsid` escape.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo(dir: &std::path::Path) -> anyhow::Result<()> {
//! use std::time::Duration;
//! use konbit_testkit::daemon::{Daemon, require_binary};
//!
//! let pdns = require_binary("/usr/sbin/pdns_server", "pdns-server")?;
//! let daemon = Daemon::builder("pdns", pdns, dir)
//!     .args(["--daemon=no", "--local-address=127.0.0.1", "--local-port=5300"])
//!     .start()?;
//! daemon
//!     .wait_for_tcp("127.0.0.1:5300".parse()?, Duration::from_secs(10))
//!     .await?;
//! // ... use it; dropping `daemon` kills it and its children.
//! # Ok(()) }
//! ```

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// The watchdog script shipped with this crate.
pub const WATCHDOG_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/watchdog.sh");

/// How often readiness waits poll.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How long one TCP connection attempt may take during a readiness wait.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long `start` waits for the watchdog to report the program's pid.
const PID_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `Drop` waits for the watchdog to kill its group and exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Log lines quoted in readiness errors.
const TAIL_LINES: usize = 30;

// ---------------------------------------------------------------------------
// Missing programs and files
// ---------------------------------------------------------------------------

/// Error: something a test needs (a program, a file) is not installed.
///
/// Returned (inside an [`anyhow::Error`]) by [`require_binary`] and
/// [`require_file`]; test [`is_missing`] or use [`skip_if_missing`] to turn
/// it into a skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing, usually a path.
    pub what: String,
    /// How to install it, e.g. `apt-get install chromium-driver`.
    pub install: String,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} not found (install with: {})",
            self.what, self.install
        )
    }
}

impl std::error::Error for Missing {}

/// Whether `err` (or any error in its chain) is a [`Missing`].
pub fn is_missing(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<Missing>())
}

/// Check that `program` exists and is executable, else return a [`Missing`]
/// error telling to `apt-get install <debian_package>`.
///
/// `program` is either a path (anything containing `/`) or a bare name
/// looked up in `PATH`. Returns the path to run.
pub fn require_binary(program: impl AsRef<Path>, debian_package: &str) -> Result<PathBuf> {
    let program = program.as_ref();
    let install = format!("apt-get install --no-install-recommends {debian_package}");
    find_executable(program).ok_or_else(|| {
        anyhow!(Missing {
            what: format!(
                "program `{}` (Debian package `{debian_package}`)",
                program.display()
            ),
            install,
        })
    })
}

/// Check that the file `path` exists, else return a [`Missing`] error whose
/// install hint is `install` (e.g. `npm install --no-save axe-core`).
pub fn require_file(path: impl AsRef<Path>, install: &str) -> Result<PathBuf> {
    let path = path.as_ref();
    if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(anyhow!(Missing {
            what: format!("file `{}`", path.display()),
            install: install.to_owned(),
        }))
    }
}

/// Turn a [`Missing`] error into a skip, unless the environment variable
/// `require_env` is `1`.
///
/// - `Ok(v)` becomes `Ok(Some(v))`;
/// - a [`Missing`] error becomes `Ok(None)` after printing
///   `SKIPPED: <error>` to stderr, or stays an error (with a note naming
///   `require_env`) when `require_env=1`;
/// - any other error is returned unchanged.
pub fn skip_if_missing<T>(result: Result<T>, require_env: &str) -> Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(err) if is_missing(&err) => {
            if std::env::var_os(require_env).is_some_and(|v| v == "1") {
                let msg = format!("{err:#} ({require_env}=1, so this test may not be skipped)");
                Err(err.context(msg))
            } else {
                eprintln!("SKIPPED: {err:#} (set {require_env}=1 to make this an error)");
                Ok(None)
            }
        }
        Err(err) => Err(err),
    }
}

fn is_executable_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `program` if it is a path to an executable file, or else the first
/// executable `program` in `PATH`.
pub(crate) fn find_executable(program: &Path) -> Option<PathBuf> {
    if program.as_os_str().as_encoded_bytes().contains(&b'/') {
        return is_executable_file(program).then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable_file(candidate))
}

// ---------------------------------------------------------------------------
// Ports and bounded commands
// ---------------------------------------------------------------------------

/// A port free on 127.0.0.1 for both TCP and UDP right now.
pub fn free_port() -> Result<u16> {
    for _ in 0..50 {
        let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding 127.0.0.1:0")?;
        let port = tcp.local_addr()?.port();
        if UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no port free for both TCP and UDP on 127.0.0.1")
}

/// Run `cmd` with stdin closed, collecting its output; kill it after
/// `timeout`.
pub fn run_bounded(mut cmd: Command, timeout: Duration) -> Result<Output> {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("spawning {what}"))?;
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
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
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

// ---------------------------------------------------------------------------
// Daemon
// ---------------------------------------------------------------------------

/// How to start a [`Daemon`]; build one with [`Daemon::builder`].
#[derive(Debug, Clone)]
#[must_use = "call .start() to start the daemon"]
pub struct DaemonBuilder {
    name: String,
    program: PathBuf,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    current_dir: Option<PathBuf>,
    log_dir: PathBuf,
}

impl DaemonBuilder {
    /// Add one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Add several arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Set an environment variable for the program (the rest is inherited).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Run the program in `dir` instead of the test's working directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.current_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Start the program under the watchdog.
    ///
    /// Its stdout and stderr go to `<log_dir>/<name>.log` (or `<name>-2.log`
    /// and so on if that exists), its stdin is `/dev/null`. Returns once the
    /// program has been forked; use the `wait_for_*` methods to wait until it
    /// is ready.
    pub fn start(self) -> Result<Daemon> {
        let name = self.name;
        fs::create_dir_all(&self.log_dir)
            .with_context(|| format!("daemon `{name}`: creating {}", self.log_dir.display()))?;
        let (log_path, log) = create_log(&self.log_dir, &name)?;
        let pid_path = log_path.with_extension("pid");
        // A stale pid file from an earlier run would be read as ours.
        match fs::remove_file(&pid_path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("daemon `{name}`: removing {}", pid_path.display()));
            }
        }
        let log_err = log
            .try_clone()
            .with_context(|| format!("daemon `{name}`: duplicating log file handle"))?;

        // Run the script through /bin/sh so a lost exec bit does not matter.
        let mut cmd = Command::new("/bin/sh");
        cmd.arg(WATCHDOG_SCRIPT)
            .arg(&pid_path)
            .arg(&self.program)
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .process_group(0);
        if let Some(dir) = &self.current_dir {
            cmd.current_dir(dir);
        }
        let watchdog = cmd.spawn().with_context(|| {
            format!(
                "daemon `{name}`: spawning /bin/sh {WATCHDOG_SCRIPT} {}",
                self.program.display()
            )
        })?;

        let mut daemon = Daemon {
            name,
            pgid: watchdog.id(),
            pid: 0,
            log_path,
            watchdog: Some(watchdog),
        };
        daemon.pid = daemon.read_pid(&pid_path)?;
        Ok(daemon)
    }
}

fn create_log(dir: &Path, name: &str) -> Result<(PathBuf, File)> {
    const MAX_LOGS: u32 = 1000;
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    for n in 1..=MAX_LOGS {
        let file_name = if n == 1 {
            format!("{stem}.log")
        } else {
            format!("{stem}-{n}.log")
        };
        let path = dir.join(file_name);
        match OpenOptions::new().append(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("daemon `{name}`: creating {}", path.display()));
            }
        }
    }
    bail!(
        "daemon `{name}`: {MAX_LOGS} log files named {stem}*.log already exist in {}",
        dir.display()
    )
}

/// A program running under the watchdog; killed, with all its descendants,
/// when dropped. See the [module documentation](self).
#[derive(Debug)]
pub struct Daemon {
    name: String,
    /// Pid of the watchdog, which is also the process group id.
    pgid: u32,
    /// Pid of the program itself.
    pid: u32,
    log_path: PathBuf,
    watchdog: Option<Child>,
}

impl Daemon {
    /// Describe a daemon called `name` (used in log file names and error
    /// messages) that runs `program`, logging into `log_dir` (created if
    /// needed; usually a [`tempfile::TempDir`]).
    pub fn builder(
        name: impl Into<String>,
        program: impl AsRef<Path>,
        log_dir: impl AsRef<Path>,
    ) -> DaemonBuilder {
        DaemonBuilder {
            name: name.into(),
            program: program.as_ref().to_path_buf(),
            args: Vec::new(),
            envs: Vec::new(),
            current_dir: None,
            log_dir: log_dir.as_ref().to_path_buf(),
        }
    }

    /// The name given to [`Daemon::builder`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Pid of the program.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Process group of the watchdog, the program and its descendants.
    pub fn pgid(&self) -> u32 {
        self.pgid
    }

    /// The file receiving the program's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The whole log so far (lossily decoded; empty if unreadable).
    pub fn log(&self) -> String {
        fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Whether the program itself is still running (not a zombie).
    pub fn is_running(&self) -> bool {
        self.watchdog.is_some()
            && proc_stat(self.pid).is_some_and(|s| s.pgrp == self.pgid && s.is_alive())
    }

    /// Live (non-zombie) processes in the daemon's process group: the
    /// watchdog, the program and its descendants.
    pub fn group_pids(&self) -> Vec<u32> {
        group_pids(self.pgid)
    }

    /// Wait until a TCP connection to `addr` succeeds.
    ///
    /// Fails early if the program exits, and after `timeout` otherwise; the
    /// error names the daemon and quotes the end of its log.
    pub async fn wait_for_tcp(&self, addr: SocketAddr, timeout: Duration) -> Result<()> {
        let what = format!("a TCP connection to {addr}");
        self.poll(&what, timeout, || async {
            match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await
            {
                Ok(Ok(_stream)) => Some(()),
                _ => None,
            }
        })
        .await
    }

    /// Wait until a line of the log satisfies `find`, and return what it
    /// returned. Only complete (newline-terminated) lines are passed, each
    /// once, oldest first. For a plain condition use
    /// `|line| line.contains("ready").then_some(())`.
    ///
    /// Fails early if the program exits (after a last look at the log), and
    /// after `timeout` otherwise; the error names the daemon and quotes the
    /// end of its log.
    pub async fn wait_for_line<T>(
        &self,
        timeout: Duration,
        mut find: impl FnMut(&str) -> Option<T>,
    ) -> Result<T> {
        let mut reader = LineReader::new(&self.log_path);
        let what = "a matching line in its log".to_owned();
        self.poll(&what, timeout, || {
            let found = reader.next_lines().and_then(|lines| {
                // Read everything new, stop at the first match.
                lines.iter().find_map(|l| find(l))
            });
            std::future::ready(found)
        })
        .await
    }

    /// Poll `check` until it returns `Some`, the program exits, or `timeout`
    /// passes. Bounded both by time and by number of attempts.
    async fn poll<T, F, Fut>(&self, what: &str, timeout: Duration, mut check: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let started = Instant::now();
        let deadline = started + timeout;
        // Each attempt takes at least POLL_INTERVAL, so this is never reached
        // before the deadline; it only guards against a clock that stalls.
        let max_attempts = timeout.as_millis() / POLL_INTERVAL.as_millis() + 2;
        let mut attempts = 0u128;
        loop {
            attempts += 1;
            // Look at the program's state before checking, so that a check
            // that fails after the program exited is reported as an exit.
            let running = self.is_running();
            if let Some(v) = check().await {
                return Ok(v);
            }
            if !running {
                bail!(
                    "daemon `{}` (pid {}) exited while waiting for {what}; end of {}:\n{}",
                    self.name,
                    self.pid,
                    self.log_path.display(),
                    self.log_tail(TAIL_LINES)
                );
            }
            if Instant::now() >= deadline || attempts >= max_attempts {
                bail!(
                    "daemon `{}` (pid {}) not ready: no {what} after {:.1} s ({attempts} attempts); end of {}:\n{}",
                    self.name,
                    self.pid,
                    started.elapsed().as_secs_f64(),
                    self.log_path.display(),
                    self.log_tail(TAIL_LINES)
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Read the program's pid written by the watchdog (bounded wait).
    fn read_pid(&mut self, pid_path: &Path) -> Result<u32> {
        let deadline = Instant::now() + PID_TIMEOUT;
        loop {
            if let Ok(text) = fs::read_to_string(pid_path)
                && let Some(line) = text.strip_suffix('\n')
            {
                return line.trim().parse().with_context(|| {
                    format!(
                        "daemon `{}`: bad pid {line:?} in {}",
                        self.name,
                        pid_path.display()
                    )
                });
            }
            let exited = self
                .watchdog
                .as_mut()
                .is_none_or(|w| w.try_wait().ok().flatten().is_some());
            if exited || Instant::now() >= deadline {
                bail!(
                    "daemon `{}`: the watchdog ({WATCHDOG_SCRIPT}) did not report a pid in {}; end of {}:\n{}",
                    self.name,
                    pid_path.display(),
                    self.log_path.display(),
                    self.log_tail(TAIL_LINES)
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Kill the program and all its descendants now, and wait for the
    /// watchdog to exit. Also done by `Drop`; calling it twice is harmless.
    pub fn stop(&mut self) {
        let Some(mut watchdog) = self.watchdog.take() else {
            return;
        };
        // Closing the pipe makes the watchdog kill its whole group.
        drop(watchdog.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while matches!(watchdog.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if !matches!(watchdog.try_wait(), Ok(Some(_))) {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        // Should never happen (the watchdog was stuck, or was killed by
        // someone else before it could kill its group): kill the group by
        // hand. While members are left, the group id cannot be reused.
        if !group_pids(self.pgid).is_empty() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.pgid)])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads the complete lines appended to a file since the last call.
struct LineReader {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
}

impl LineReader {
    fn new(path: &Path) -> Self {
        LineReader {
            path: path.to_path_buf(),
            offset: 0,
            partial: Vec::new(),
        }
    }

    /// New complete lines, or `None` if there are none (or on I/O error).
    fn next_lines(&mut self) -> Option<Vec<String>> {
        let mut file = File::open(&self.path).ok()?;
        file.seek(SeekFrom::Start(self.offset)).ok()?;
        let mut buf = Vec::new();
        let read = file.read_to_end(&mut buf).ok()?;
        self.offset += read as u64;
        self.partial.extend_from_slice(&buf);
        let end = self.partial.iter().rposition(|&b| b == b'\n')?;
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        let lines = String::from_utf8_lossy(&complete)
            .lines()
            .map(str::to_owned)
            .collect();
        Some(lines)
    }
}

// ---------------------------------------------------------------------------
// /proc helpers
// ---------------------------------------------------------------------------

struct ProcStat {
    state: char,
    pgrp: u32,
}

impl ProcStat {
    fn is_alive(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// State and process group of `pid`, from `/proc/<pid>/stat`.
fn proc_stat(pid: u32) -> Option<ProcStat> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and ')'.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcStat { state, pgrp })
}

/// Live (non-zombie) processes whose process group is `pgid`.
pub fn group_pids(pgid: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&pid| proc_stat(pid).is_some_and(|s| s.pgrp == pgid && s.is_alive()))
        .collect();
    pids.sort_unstable();
    pids
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_usable() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn bounded_runs_are_killed() {
        let mut sleep = Command::new("sleep");
        sleep.arg("30");
        let started = Instant::now();
        let err = run_bounded(sleep, Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.to_string().contains("did not finish"), "{err}");
        // Both pipes are read: `ls` prints the one path that exists and
        // complains about the other.
        let mut ls = Command::new("ls");
        ls.args(["-d", "/", "/konbit-does-not-exist"]);
        let out = run_bounded(ls, Duration::from_secs(10)).unwrap();
        assert_eq!(out.stdout, b"/\n");
        assert!(String::from_utf8_lossy(&out.stderr).contains("konbit-does-not-exist"));
    }

    /// Wait (bounded) until no live process is left in `pgid`.
    async fn group_gone(pgid: u32) -> bool {
        for _ in 0..200 {
            if group_pids(pgid).is_empty() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    fn pid_alive(pid: u32) -> bool {
        proc_stat(pid).is_some_and(|s| s.is_alive())
    }

    #[tokio::test]
    async fn http_server_is_ready_then_killed_with_its_group_on_drop() {
        let Some(python) =
            skip_if_missing(require_binary("python3", "python3"), "REQUIRE_DAEMON_TESTS").unwrap()
        else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let daemon = Daemon::builder("http.server", &python, dir.path())
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .current_dir(dir.path())
            .start()
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port: u16 = daemon
            .wait_for_line(Duration::from_secs(20), |line| {
                line.split(" port ").nth(1)?.split(' ').next()?.parse().ok()
            })
            .await
            .unwrap();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        daemon
            .wait_for_tcp(addr, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(daemon.is_running());

        let (pid, pgid) = (daemon.pid(), daemon.pgid());
        assert_ne!(pid, pgid, "the program runs under the watchdog");
        let group = daemon.group_pids();
        assert!(group.contains(&pid) && group.contains(&pgid), "{group:?}");
        assert!(pid_alive(pid));

        drop(daemon);
        assert!(group_gone(pgid).await, "left: {:?}", group_pids(pgid));
        assert!(!pid_alive(pid));
        // The port itself is not checked: with other tests running, another
        // daemon may bind it as soon as it is free.
        let _ = addr;
    }

    #[tokio::test]
    async fn descendants_are_killed_too() {
        let sleep = require_binary("sleep", "coreutils").unwrap();
        let dir = tempfile::tempdir().unwrap();
        // sh (the program) starts a grandchild `sleep`, then waits for it.
        let script = format!("{} 300 &\necho started $!\nwait\n", sleep.display());
        let daemon = start_script(dir.path(), "nested", &script);
        let grandchild: u32 = daemon
            .wait_for_line(Duration::from_secs(10), |l| {
                l.strip_prefix("started ")?.parse().ok()
            })
            .await
            .unwrap();
        assert!(pid_alive(grandchild));
        assert_eq!(proc_stat(grandchild).unwrap().pgrp, daemon.pgid());
        let pgid = daemon.pgid();
        drop(daemon);
        assert!(group_gone(pgid).await, "left: {:?}", group_pids(pgid));
        assert!(!pid_alive(grandchild));
    }

    /// Start `/bin/sh <dir>/<name>.sh` with `script` as the file's content.
    fn start_script(dir: &Path, name: &str, script: &str) -> Daemon {
        let path = dir.join(format!("{name}.sh"));
        fs::write(&path, script).unwrap();
        Daemon::builder(name, "/bin/sh", dir)
            .arg(path)
            .start()
            .unwrap()
    }

    #[tokio::test]
    async fn group_is_killed_even_if_the_watchdog_died() {
        let dir = tempfile::tempdir().unwrap();
        let mut daemon = Daemon::builder("orphan", "/bin/sleep", dir.path())
            .arg("300")
            .start()
            .unwrap();
        let (pid, pgid) = (daemon.pid(), daemon.pgid());
        daemon.watchdog.as_mut().unwrap().kill().unwrap();
        daemon.watchdog.as_mut().unwrap().wait().unwrap();
        assert!(pid_alive(pid), "the program outlives a killed watchdog");
        drop(daemon);
        assert!(group_gone(pgid).await, "left: {:?}", group_pids(pgid));
    }

    #[tokio::test]
    async fn readiness_timeout_names_daemon_and_quotes_log() {
        let dir = tempfile::tempdir().unwrap();
        let daemon = start_script(
            dir.path(),
            "slowpoke",
            "echo 'booting, please wait'\nexec sleep 300\n",
        );
        let started = Instant::now();
        let err = daemon
            .wait_for_line(Duration::from_millis(400), |l| {
                l.contains("ready").then_some(())
            })
            .await
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.contains("`slowpoke`"), "{err}");
        assert!(err.contains("not ready"), "{err}");
        assert!(err.contains("booting, please wait"), "{err}");

        let err = daemon
            .wait_for_tcp("127.0.0.1:1".parse().unwrap(), Duration::from_millis(300))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`slowpoke`") && err.contains("127.0.0.1:1"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn early_exit_is_reported_without_waiting_for_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let daemon = start_script(
            dir.path(),
            "crashy",
            "echo 'fatal: no config' >&2\nexit 1\n",
        );
        let started = Instant::now();
        let err = daemon
            .wait_for_tcp("127.0.0.1:1".parse().unwrap(), Duration::from_secs(60))
            .await
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(10), "{err}");
        assert!(err.contains("`crashy`") && err.contains("exited"), "{err}");
        assert!(err.contains("fatal: no config"), "{err}");
    }

    #[test]
    fn same_name_gets_separate_logs() {
        let dir = tempfile::tempdir().unwrap();
        let a = Daemon::builder("twin", "/bin/sleep", dir.path())
            .arg("300")
            .start()
            .unwrap();
        let b = Daemon::builder("twin", "/bin/sleep", dir.path())
            .arg("300")
            .start()
            .unwrap();
        assert_ne!(a.log_path(), b.log_path());
        assert_ne!(a.pid(), b.pid());
        assert!(a.is_running() && b.is_running());
    }

    #[test]
    fn missing_binary_names_the_package() {
        let err = require_binary("/nonexistent/chromedriver", "chromium-driver").unwrap_err();
        assert!(is_missing(&err));
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/chromedriver"), "{msg}");
        assert!(msg.contains("apt-get install"), "{msg}");
        assert!(msg.contains("chromium-driver"), "{msg}");
        assert!(require_binary("no-such-program-konbit", "x").is_err());
        assert_eq!(
            require_binary("sh", "dash").ok().map(|p| p.is_absolute()),
            Some(true)
        );

        let err =
            require_file("/nonexistent/axe.min.js", "npm install --no-save axe-core").unwrap_err();
        assert!(is_missing(&err) && err.to_string().contains("npm install"));
        let other = anyhow!("boom");
        assert!(!is_missing(&other));
        assert!(skip_if_missing::<()>(Err(other), "KONBIT_NO_SUCH_VAR").is_err());
        assert!(
            skip_if_missing::<()>(Err(err), "KONBIT_NO_SUCH_VAR")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn watchdog_script_is_executable() {
        let mode = fs::metadata(WATCHDOG_SCRIPT).unwrap().permissions().mode();
        assert_ne!(mode & 0o111, 0, "chmod +x {WATCHDOG_SCRIPT}");
    }
}
