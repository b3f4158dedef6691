//! A real nginx and PHP-FPM for website tests, under the [`Daemon`]
//! watchdog, on free loopback ports, with every file in one directory.
//!
//! nginx's master runs as root with `user www-data`, as on a server, so
//! its workers read the sites as nginx's group does; PHP-FPM's master runs
//! as root so each account's pool runs as that account's user. The layout
//! under `dir`: `nginx/` (prefix, `nginx.conf`, `sites/`), `php/`
//! (`php-fpm.conf`, `pool.d/`, `run/`), `acme/` (http-01 tokens, served
//! for every host at `/.well-known/acme-challenge/`), `certs/`,
//! `site-logs/` and `homes/`.
//!
//! Needs Debian's `nginx` and `php8.2-fpm`, and root; [`WebServer::try_start`]
//! skips (prints `SKIPPED`) when they are missing or the test is not root,
//! unless `REQUIRE_WEB_TESTS=1`. Every directory above `dir` must be
//! traversable by others (e.g. `chmod 711` a [`tempfile::TempDir`]), since
//! nginx's workers and the accounts' PHP workers read files inside it;
//! [`WebServer::start`] checks this.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::os::unix::fs::PermissionsExt;
//! use std::time::Duration;
//! use konbit_testkit::web::WebServer;
//!
//! let tmp = tempfile::tempdir()?;
//! std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o711))?;
//! let Some(web) = WebServer::try_start(&tmp.path().join("web")).await? else {
//!     return Ok(());
//! };
//! // ... write web.sites_dir()/<site>.conf listening on web.http_port() ...
//! web.reload_nginx().await?;
//! let (_, body) = web
//!     .wait_for_status("site.test", "/", 200, Duration::from_secs(5))
//!     .await?;
//! # Ok(()) }
//! ```

use crate::daemon::{
    Daemon, Missing, free_port, group_pids, require_binary, run_bounded, skip_if_missing,
};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const REQUIRE_ENV: &str = "REQUIRE_WEB_TESTS";
const NGINX: &str = "/usr/sbin/nginx";
const PRLIMIT: &str = "/usr/bin/prlimit";
/// nginx's open files at most: enough for the 10,000 sites of the web
/// benchmark.
const NGINX_OPEN_FILES: u64 = 65_536;

/// The open files nginx gets: [`NGINX_OPEN_FILES`], or less when this
/// process's hard limit is lower.
pub fn nginx_open_files() -> u64 {
    konbit_provision::web::limits::own_hard_open_files()
        .map_or(NGINX_OPEN_FILES, |hard| hard.min(NGINX_OPEN_FILES))
}
const PHP_FPM: &str = "/usr/sbin/php-fpm8.2";
const SETPRIV: &str = "/usr/bin/setpriv";
/// How long PHP-FPM's master may take to stop its workers and exit.
const PHP_STOP_TIMEOUT: Duration = Duration::from_secs(5);
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const START_ATTEMPTS: usize = 3;
/// How long a reload may take until the new workers serve alone.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(10);
/// One `nginx -t` or `nginx -s reload`.
const NGINX_COMMAND_TIMEOUT: Duration = Duration::from_secs(20);
/// nginx's workers and the base PHP pool run as this user.
const WORKER_USER: &str = "www-data";
/// One HTTP exchange in tests.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// nginx and PHP-FPM; both stopped on drop.
#[derive(Debug)]
pub struct WebServer {
    dir: PathBuf,
    nginx: Daemon,
    php: PhpMaster,
    http_port: u16,
    https_port: u16,
}

/// What [`WebServer::head`] returns: the status and the headers, names in
/// lowercase.
pub type Head = (u16, HashMap<String, String>);

/// Status, headers (names in lowercase) and body.
type Answer = (u16, HashMap<String, String>, String);

impl WebServer {
    pub async fn try_start(dir: &Path) -> Result<Option<WebServer>> {
        skip_if_missing(WebServer::start(dir).await, REQUIRE_ENV)
    }

    /// Starts PHP-FPM then nginx; fails with a [`Missing`](crate::daemon::Missing)
    /// error when a package is not installed or the test does not run as
    /// root.
    pub async fn start(dir: &Path) -> Result<WebServer> {
        let nginx = require_binary(NGINX, "nginx")?;
        let php = require_binary(PHP_FPM, "php8.2-fpm")?;
        let setpriv = require_binary(SETPRIV, "util-linux")?;
        let prlimit = require_binary(PRLIMIT, "util-linux")?;
        require_root()?;
        require_user(WORKER_USER)?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir =
            std::fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
        check_traversable(&dir)?;
        for sub in [
            "nginx/sites",
            "nginx/logs",
            "nginx/temp",
            "php/pool.d",
            "php/run",
            "php/log",
            "acme",
            "certs",
            "site-logs",
            "homes",
        ] {
            let sub = dir.join(sub);
            std::fs::create_dir_all(&sub).with_context(|| format!("creating {}", sub.display()))?;
        }
        // nginx's workers (www-data) traverse to the homes and the tokens;
        // PHP's sockets are created by the root master.
        for open in ["", "acme", "homes", "php", "php/run"] {
            let open = dir.join(open);
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("chmod 755 {}", open.display()))?;
        }
        // Left by a master killed in an earlier run in this directory, they
        // would pass for the readiness of this one.
        for stale in [
            "php/run/base.sock",
            "php/run/php-fpm.pid",
            "nginx/nginx.pid",
        ] {
            let stale = dir.join(stale);
            match std::fs::remove_file(&stale) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("removing {}", stale.display()));
                }
            }
        }
        write(&dir.join("php/php-fpm.conf"), &php_master(&dir))?;
        write(&dir.join("php/pool.d/konbit-base.conf"), &base_pool(&dir))?;
        // PHP-FPM's master calls setsid() even in the foreground, leaving the
        // watchdog's process group: the watchdog's kill would miss it and its
        // workers. setpriv makes it get SIGTERM when the watchdog (its
        // parent) dies, on which it stops its workers; `PhpMaster` waits for
        // that on drop. The setting survives the USR2 re-exec.
        let php_daemon = Daemon::builder("php-fpm", &setpriv, dir.join("php/log"))
            .args(["--pdeathsig", "TERM", "--"])
            .arg(&php)
            .args(["-F", "-y"])
            .arg(dir.join("php/php-fpm.conf"))
            .args([
                "-d",
                "opcache.validate_permission=1",
                "-d",
                "opcache.validate_root=1",
            ])
            .start()?;
        let php_daemon = PhpMaster {
            daemon: php_daemon,
            stopped: false,
        };
        // The socket is the readiness; the pid file is what the provisioner
        // signals (USR2) to reload.
        wait_for_file(&dir.join("php/run/base.sock"), &php_daemon).await?;
        wait_for_file(&dir.join("php/run/php-fpm.pid"), &php_daemon).await?;
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            let (http_port, https_port) = (free_port()?, free_port()?);
            write(
                &dir.join("nginx/nginx.conf"),
                &nginx_main(&dir, http_port, https_port),
            )?;
            // Two log files per site: a thousand sites need more than the
            // usual soft limit of 1024 open files. Up to the hard limit:
            // raising that needs CAP_SYS_RESOURCE, which a container's root
            // may lack. prlimit execs nginx, which stays the watched process.
            let open_files = nginx_open_files();
            let daemon = Daemon::builder("nginx", &prlimit, dir.join("nginx/logs"))
                .arg(format!("--nofile={open_files}:{open_files}"))
                .arg("--")
                .arg(&nginx)
                .arg("-p")
                .arg(dir.join("nginx"))
                .arg("-c")
                .arg(dir.join("nginx/nginx.conf"))
                .arg("-e")
                .arg(dir.join("nginx/logs/error.log"))
                .args(["-g", "daemon off;"])
                .start()?;
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, http_port));
            match daemon.wait_for_tcp(addr, READY_TIMEOUT).await {
                Ok(()) => {
                    return Ok(WebServer {
                        dir,
                        nginx: daemon,
                        php: php_daemon,
                        http_port,
                        https_port,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("nginx did not start")))
    }

    pub fn http_port(&self) -> u16 {
        self.http_port
    }
    pub fn https_port(&self) -> u16 {
        self.https_port
    }
    pub fn http_addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.http_port).into()
    }
    pub fn nginx_binary(&self) -> &Path {
        Path::new(NGINX)
    }
    pub fn nginx_prefix(&self) -> PathBuf {
        self.dir.join("nginx")
    }
    pub fn nginx_conf(&self) -> PathBuf {
        self.dir.join("nginx/nginx.conf")
    }
    /// nginx's error log (`-e` and `error_log`); sites may log elsewhere.
    pub fn nginx_error_log_path(&self) -> PathBuf {
        self.dir.join("nginx/logs/error.log")
    }
    /// The contents of [`nginx_error_log_path`](Self::nginx_error_log_path),
    /// empty when it cannot be read.
    pub fn nginx_error_log(&self) -> String {
        std::fs::read(self.nginx_error_log_path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
    pub fn sites_dir(&self) -> PathBuf {
        self.dir.join("nginx/sites")
    }
    pub fn php_fpm_binary(&self) -> &Path {
        Path::new(PHP_FPM)
    }
    pub fn php_fpm_conf(&self) -> PathBuf {
        self.dir.join("php/php-fpm.conf")
    }
    pub fn php_pool_dir(&self) -> PathBuf {
        self.dir.join("php/pool.d")
    }
    pub fn php_pid_file(&self) -> PathBuf {
        self.dir.join("php/run/php-fpm.pid")
    }
    pub fn php_socket_dir(&self) -> PathBuf {
        self.dir.join("php/run")
    }
    pub fn acme_webroot(&self) -> PathBuf {
        self.dir.join("acme")
    }
    pub fn certs_dir(&self) -> PathBuf {
        self.dir.join("certs")
    }
    pub fn site_logs_dir(&self) -> PathBuf {
        self.dir.join("site-logs")
    }
    pub fn homes_dir(&self) -> PathBuf {
        self.dir.join("homes")
    }
    /// The end of nginx's and PHP-FPM's logs, for a failing test.
    pub fn logs(&self) -> String {
        let error_log = self.nginx_error_log();
        let lines: Vec<&str> = error_log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!(
            "nginx:\n{}\nnginx error log:\n{tail}\nphp-fpm:\n{}",
            self.nginx.log_tail(30),
            self.php.daemon.log_tail(30)
        )
    }

    /// `nginx -t` then `nginx -s reload` (same `-p`, `-c`, `-e`), for files
    /// written by hand; returns once a new worker serves and the old ones
    /// stopped accepting (bounded; fails with the error log if the master
    /// rejects the new configuration).
    pub async fn reload_nginx(&self) -> Result<()> {
        let before: Vec<u32> = self
            .nginx_workers()
            .into_iter()
            .filter(|w| !w.1)
            .map(|w| w.0)
            .collect();
        let log_len = std::fs::metadata(self.nginx_error_log_path()).map_or(0, |m| m.len());
        let (prefix, conf, error_log) = (
            self.nginx_prefix(),
            self.nginx_conf(),
            self.nginx_error_log_path(),
        );
        tokio::task::spawn_blocking(move || {
            for action in [&["-t", "-q"][..], &["-s", "reload"][..]] {
                let mut cmd = Command::new(NGINX);
                cmd.arg("-p")
                    .arg(&prefix)
                    .arg("-c")
                    .arg(&conf)
                    .arg("-e")
                    .arg(&error_log)
                    .args(action);
                let out = run_bounded(cmd, NGINX_COMMAND_TIMEOUT)?;
                if !out.status.success() {
                    bail!(
                        "nginx {}: {}{}",
                        action.join(" "),
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
            Ok(())
        })
        .await
        .context("the nginx reload task failed")??;
        let started = Instant::now();
        for _ in 0..RELOAD_TIMEOUT.as_millis() / 5 + 1 {
            let workers = self.nginx_workers();
            let new = workers.iter().any(|w| !w.1 && !before.contains(&w.0));
            let old = workers.iter().any(|w| !w.1 && before.contains(&w.0));
            if new && !old {
                return Ok(());
            }
            let log = self.nginx_error_log();
            let since = log
                .get(usize::try_from(log_len).unwrap_or(0)..)
                .unwrap_or("");
            if since.contains("[emerg]") || started.elapsed() > RELOAD_TIMEOUT {
                bail!("nginx did not reload; its error log since the reload:\n{since}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!("nginx did not reload within {RELOAD_TIMEOUT:?}")
    }

    /// nginx's workers, each with whether it is shutting down (an old
    /// generation after a reload, no longer accepting).
    fn nginx_workers(&self) -> Vec<(u32, bool)> {
        let master = self.nginx.pid();
        self.nginx
            .group_pids()
            .into_iter()
            .filter(|&pid| proc_state(pid).is_some_and(|(_, ppid)| ppid == master))
            .map(|pid| {
                let title = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let title = String::from_utf8_lossy(&title);
                (pid, title.contains("shutting down"))
            })
            .collect()
    }

    /// Waits (at most `timeout`) until nginx has a single worker accepting
    /// connections: after a reload (by the provisioner, say) the old
    /// worker may answer a request or two with the old configuration until
    /// the master tells it to stop.
    pub async fn wait_nginx_settled(&self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        for _ in 0..timeout.as_millis() / 5 + 1 {
            let accepting = self.nginx_workers().iter().filter(|w| !w.1).count();
            if accepting <= 1 {
                return Ok(());
            }
            if started.elapsed() > timeout {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!("nginx still had several accepting workers after {timeout:?}")
    }

    /// `GET path` with `Host: host`; `None` when nginx closes the
    /// connection without an answer (its 444 for unknown or disabled
    /// sites).
    pub async fn get(&self, host: &str, path: &str) -> Result<Option<(u16, String)>> {
        Ok(self
            .request("GET", host, path)
            .await?
            .map(|(status, _, body)| (status, body)))
    }

    /// `HEAD path` with `Host: host`; fails when nothing answers.
    pub async fn head(&self, host: &str, path: &str) -> Result<Head> {
        match self.request("HEAD", host, path).await? {
            Some((status, headers, _)) => Ok((status, headers)),
            None => bail!("{host}{path}: nginx closed the connection without an answer"),
        }
    }

    /// Polls `GET` (every 20 ms, at most `timeout`) until the status is
    /// `want`; returns the status and body.
    ///
    /// nginx's reload is asynchronous (`nginx -s reload` returns once the
    /// signal is sent) and an old worker may still answer with the old
    /// configuration for a moment: check every expectation after a
    /// change with a `wait_for_*` method rather than one [`get`](Self::get)
    /// or [`head`](Self::head). Each of them then waits (best effort,
    /// bounded) for [`wait_nginx_settled`](Self::wait_nginx_settled).
    pub async fn wait_for_status(
        &self,
        host: &str,
        path: &str,
        want: u16,
        timeout: Duration,
    ) -> Result<(u16, String)> {
        let (status, _, body) = self
            .wait_for(
                "GET",
                host,
                path,
                timeout,
                &format!("answered {want}"),
                |a| a.is_some_and(|a| a.0 == want),
            )
            .await?
            .context("no answer")?;
        Ok((status, body))
    }

    /// Polls `HEAD` (every 20 ms, at most `timeout`) until the status is
    /// `want`; returns the status and the headers. See
    /// [`wait_for_status`](Self::wait_for_status).
    pub async fn wait_for_head(
        &self,
        host: &str,
        path: &str,
        want: u16,
        timeout: Duration,
    ) -> Result<Head> {
        let (status, headers, _) = self
            .wait_for(
                "HEAD",
                host,
                path,
                timeout,
                &format!("answered {want}"),
                |a| a.is_some_and(|a| a.0 == want),
            )
            .await?
            .context("no answer")?;
        Ok((status, headers))
    }

    /// Polls `GET` (every 20 ms, at most `timeout`) until nginx closes the
    /// connection without an answer (444: unknown, disabled or deleted
    /// site). See [`wait_for_status`](Self::wait_for_status).
    pub async fn wait_for_no_answer(
        &self,
        host: &str,
        path: &str,
        timeout: Duration,
    ) -> Result<()> {
        self.wait_for(
            "GET",
            host,
            path,
            timeout,
            "closed without an answer",
            |a| a.is_none(),
        )
        .await?;
        Ok(())
    }

    /// Polls `method` until `done(answer)`, then lets nginx settle.
    async fn wait_for(
        &self,
        method: &str,
        host: &str,
        path: &str,
        timeout: Duration,
        what: &str,
        done: impl Fn(Option<&Answer>) -> bool,
    ) -> Result<Option<Answer>> {
        let started = Instant::now();
        let mut last = None;
        for _ in 0..timeout.as_millis() / 20 + 1 {
            last = self.request(method, host, path).await?;
            if done(last.as_ref()) {
                // Best effort: a long-lived connection may keep an old
                // worker busy.
                let left = timeout.saturating_sub(started.elapsed());
                let _ = self
                    .wait_nginx_settled(left.max(Duration::from_secs(1)))
                    .await;
                return Ok(last);
            }
            if started.elapsed() > timeout {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!(
            "{method} {host}{path} never {what} within {timeout:?}; last: {:?}\n{}",
            last.map(|(status, _, body)| (status, body)),
            self.logs()
        )
    }

    /// One HTTP/1.0 exchange with nginx.
    async fn request(&self, method: &str, host: &str, path: &str) -> Result<Option<Answer>> {
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(self.http_addr()).await?;
            let request = format!(
                "{method} {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: konbit-test\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await?;
            let mut raw = Vec::new();
            // A reset (nginx's 444) reads as an empty answer.
            let _ = stream.read_to_end(&mut raw).await;
            anyhow::Ok(raw)
        };
        let raw = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .context("the HTTP request timed out")??;
        if raw.is_empty() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP answer: {head}"))?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Ok(Some((status, headers, body.to_owned())))
    }

    /// Kills nginx and PHP-FPM now; also done on drop.
    pub fn stop(&mut self) {
        self.nginx.stop();
        self.php.stop();
    }
}

/// PHP-FPM's master under the watchdog, in its own session (see
/// [`WebServer::start`]); stopped with its workers on drop.
#[derive(Debug)]
struct PhpMaster {
    daemon: Daemon,
    stopped: bool,
}

impl PhpMaster {
    /// [`Daemon::is_running`] would say no once the master left the
    /// watchdog's group.
    fn is_running(&self) -> bool {
        !self.stopped
            && proc_state(self.daemon.pid()).is_some_and(|(state, _)| !matches!(state, 'Z' | 'X'))
    }

    fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        // The master leads its own session and group: its pid is the group
        // id of its workers.
        let group = self.daemon.pid();
        self.daemon.stop();
        let left = || !group_pids(group).is_empty();
        let deadline = Instant::now() + PHP_STOP_TIMEOUT;
        while left() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Members left keep the group id from being reused, so this kills
        // only PHP-FPM's processes.
        if left() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{group}")])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Drop for PhpMaster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The masters must run as root: nginx's to switch its workers to
/// www-data, PHP-FPM's to run each pool as its account.
fn require_root() -> Result<()> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    // "Uid:\treal\teffective\tsaved\tfs"
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .context("no Uid line in /proc/self/status")?;
    if euid != "0" {
        return Err(anyhow::anyhow!(Missing {
            what: format!(
                "root privileges (euid is {euid}; the nginx and PHP-FPM masters must run as root)"
            ),
            install: "run the tests as root, as CI does".to_owned(),
        }));
    }
    Ok(())
}

/// www-data (neither owner nor group of a temp dir) must reach `dir`.
fn check_traversable(dir: &Path) -> Result<()> {
    for ancestor in dir.ancestors().skip(1) {
        let mode = std::fs::metadata(ancestor)
            .with_context(|| format!("reading {}", ancestor.display()))?
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            bail!(
                "{} is mode {:o}: nginx's workers ({WORKER_USER}) and the accounts' PHP \
                 workers cannot reach {}; chmod o+x it (e.g. 711)",
                ancestor.display(),
                mode & 0o7777,
                dir.display()
            );
        }
    }
    Ok(())
}

/// nginx's `user` and the base pool's user must exist.
fn require_user(name: &str) -> Result<()> {
    let mut cmd = Command::new("getent");
    cmd.args(["passwd", name]);
    let out = run_bounded(cmd, Duration::from_secs(10))?;
    if !out.status.success() {
        bail!("the user `{name}` does not exist (Debian's base-passwd creates it)");
    }
    Ok(())
}

/// Waits (bounded) until PHP-FPM creates `path`.
async fn wait_for_file(path: &Path, php: &PhpMaster) -> Result<()> {
    let started = Instant::now();
    for _ in 0..1000 {
        if path.exists() {
            return Ok(());
        }
        if !php.is_running() || started.elapsed() > READY_TIMEOUT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!(
        "{} did not appear within {:?} (php-fpm {}); end of {}:\n{}",
        path.display(),
        started.elapsed(),
        if php.is_running() {
            "running"
        } else {
            "exited"
        },
        php.daemon.log_path().display(),
        php.daemon.log_tail(20)
    )
}

/// State and parent of `pid`, from `/proc/<pid>/stat`.
fn proc_state(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ..."; comm may contain spaces and ')'.
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

fn nginx_main(dir: &Path, http_port: u16, https_port: u16) -> String {
    let d = dir.display();
    format!(
        "user {WORKER_USER};
worker_processes 1;
pid {d}/nginx/nginx.pid;
error_log {d}/nginx/logs/error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;
    client_body_temp_path {d}/nginx/temp/body;
    proxy_temp_path {d}/nginx/temp/proxy;
    fastcgi_temp_path {d}/nginx/temp/fastcgi;
    uwsgi_temp_path {d}/nginx/temp/uwsgi;
    scgi_temp_path {d}/nginx/temp/scgi;
    map $http_upgrade $connection_upgrade_konbit {{
        default upgrade;
        '' close;
    }}
    server {{
        listen 127.0.0.1:{http_port} default_server;
        server_name _;
        location ^~ /.well-known/acme-challenge/ {{
            alias {d}/acme/;
            default_type text/plain;
        }}
        location / {{ return 444; }}
    }}
    server {{
        listen 127.0.0.1:{https_port} ssl default_server;
        ssl_reject_handshake on;
    }}
    include {d}/nginx/sites/*.conf;
}}
"
    )
}

fn php_master(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[global]
pid = {d}/php/run/php-fpm.pid
error_log = {d}/php/log/php-fpm.log
daemonize = no
process_control_timeout = 10s
include = {d}/php/pool.d/*.conf
"
    )
}

/// PHP-FPM does not start without a pool.
fn base_pool(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[konbit-base]
user = www-data
group = www-data
listen = {d}/php/run/base.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = ondemand
pm.max_children = 1
"
    )
}
