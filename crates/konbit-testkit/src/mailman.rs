//! A real Mailman 3 core for tests, under the [`Daemon`] watchdog, with its
//! REST API and LMTP runner on free loopback ports and everything it writes
//! in one directory.
//!
//! [`Mailman::start`] writes `dir/mailman.cfg` (its own `layout` with every
//! path under `dir/var`, the pid file in `dir/run`, SQLite in
//! `dir/var/data/mailman.db`, a random REST admin password) and runs
//! Mailman's master watcher **directly**, as Debian's `list` user:
//!
//! ```text
//! setpriv --reuid=list --regid=list --init-groups -- env -i PATH=… HOME=dir/var LANG=C.UTF-8 \
//!     /usr/lib/mailman3/bin/master --force -C dir/mailman.cfg
//! ```
//!
//! # Foreground and process group (verified)
//!
//! `mailman start` (`mailman/commands/cli_control.py`) forks, and the
//! child calls `setsid()` and `chdir(var_dir)` before exec'ing the master:
//! it escapes the watchdog's process group, and keeps the caller's stdout
//! (a CI step that pipes output hangs until Mailman exits). The `master`
//! entry point itself (`mailman/bin/master.py`) does neither: it writes
//! its pid file, takes the master lock (`--force` breaks a stale one left
//! by a killed run) and forks + execs one `runner` per configured runner,
//! which stay in its process group, as does the REST runner's gunicorn
//! worker. `setpriv` and `env` exec, so the master is the daemon's own pid.
//! Checked with `ps -o pgid`: the master, the 8 runners and the gunicorn
//! worker all carry the watchdog's process group, and after
//! [`Mailman::stop`] none of them is left. As a safeguard, `stop` also
//! kills any process whose command line names this instance's
//! `mailman.cfg` (every runner has `-C <cfg>`), bounded in time.
//!
//! The stdout and stderr of the master and every runner (Python
//! tracebacks, such as a runner's failure to bind its port) go to the
//! daemon's log file (`dir/mailman-master.log`, from
//! [`Daemon`]), never to a pipe of the test; Mailman's own logs are in
//! `dir/var/logs` (`mailman.log` with the REST access log, `smtp.log`,
//! `bounce.log`, …). [`Mailman::log_tail`] quotes them all.
//!
//! # Trimmed for tests
//!
//! Only the runners `in`, `out`, `lmtp`, `pipeline`, `virgin`, `bounces`,
//! `command` and `rest` start (`archive`, `nntp`, `digest`, `retry` and
//! `task` are off: `retry` would re-send failed deliveries after 15 min
//! only), with one gunicorn worker. Measured on this 2-core machine:
//! **REST and LMTP answer 4.5 s after the start** when no other Mailman
//! starts at the same time, 7–19 s when two start together while other
//! tests and builds load the cores. The 10 processes (master, 8 runners,
//! one REST worker) take **about 0.6 GB PSS** (590–650 MB measured; 835
//! MB summed RSS: each Python process is 80–90 MB RSS and, being exec'd,
//! shares little). Debian's default set (13 runners, 2 workers) is about
//! 0.8–1 GB.
//!
//! # Mail in and out
//!
//! - In: [`Mailman::lmtp_addr`], Mailman's LMTP runner
//!   (`[mta] incoming: mailman.mta.postfix.LMTP`; its banner is
//!   `220 … GNU Mailman LMTP runner 2.0`). It answers `550` at RCPT for an
//!   address that is no list's. Mailman still writes its Postfix maps
//!   (`var/data/postfix_lmtp` and `postfix_domains`, as regexp tables so no
//!   `postmap` is needed); Konbit routes lists from its own lookup database
//!   and does not use them.
//! - Out: plain SMTP (`smtp_secure_mode: smtp`) to
//!   [`MailmanOptions::smtp`], with `AUTH` when
//!   [`MailmanOptions::smtp_auth`] is given (Python's `smtplib.login`:
//!   the server must offer AUTH without TLS). Posts and notices leave with
//!   the envelope sender `<list>-bounces@<domain>`; notices about a list go
//!   to `<list>-owner@<domain>`, which comes back in through LMTP. A failed
//!   delivery waits in `var/queue/retry`, which nothing re-sends here.
//!   Besides posts, expect Mailman's own mail: a welcome message for each
//!   new member (list setting `send_welcome_message`), a confirmation
//!   request for a pending subscription, and for a held post a notice to
//!   its sender and one to `<list>-owner@`. Tests that look at the
//!   newest message of a mailbox should turn the welcome message off.
//!
//! Needs Debian's `mailman3` (its `list` user) and root.
//! [`Mailman::try_start`] skips (prints `SKIPPED`) when Mailman is not
//! installed, unless `REQUIRE_LISTS_TESTS=1`.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use konbit_testkit::mailman::{Mailman, MailmanOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let options = MailmanOptions {
//!     smtp: "127.0.0.1:2525".parse()?,
//!     smtp_auth: None,
//! };
//! let Some(mailman) = Mailman::try_start(dir.path(), options).await? else {
//!     return Ok(());
//! };
//! let client = reqwest::Client::new();
//! let domains = client
//!     .post(format!("{}/domains", mailman.rest_url()))
//!     .basic_auth(mailman.rest_user(), Some(mailman.rest_password()))
//!     .form(&[("mail_host", "lists.konbit.test")])
//!     .send()
//!     .await?;
//! assert_eq!(domains.status(), 201);
//! # Ok(()) }
//! ```

use std::fmt;
use std::fs::{self, File};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::daemon::{Daemon, free_port, group_pids, require_binary, skip_if_missing};
use crate::mariadb::{
    GONE_TIMEOUT, check_config_path, check_traversable, chown_mode, passwd_ids, require_root,
    wait_group_gone, write_file,
};

/// Environment variable that turns "not installed" skips into failures.
pub const REQUIRE_ENV: &str = "REQUIRE_LISTS_TESTS";
/// Mailman's `[mailman] site_owner`: the address of site-wide notices.
pub const SITE_OWNER: &str = "mailman-owner@konbit.test";
/// The REST API's admin user.
pub const REST_USER: &str = "restadmin";

/// Mailman's master watcher (the `master` entry point of Debian's
/// `mailman3`; `mailman start` would daemonize it).
const MASTER: &str = "/usr/lib/mailman3/bin/master";
const SETPRIV: &str = "/usr/bin/setpriv";
const ENV: &str = "/usr/bin/env";
const PACKAGE: &str = "mailman3";
/// The Debian user Mailman runs as (created by the package).
const MAILMAN_USER: &str = "list";
/// The public suffix list, read from disk instead of publicsuffix.org
/// (there is no network in CI); `python3-authheaders` pulls it in.
const PUBLIC_SUFFIX_LIST: &str = "/usr/share/publicsuffix/public_suffix_list.dat";
/// How long one start attempt may wait for the REST API and LMTP.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts with new ports, made only when a port was taken meanwhile.
const START_ATTEMPTS: usize = 3;
/// One REST or LMTP probe during the readiness wait.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Between two probes.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Runners not started (see the module documentation).
const RUNNERS_OFF: [&str; 5] = ["archive", "nntp", "digest", "retry", "task"];
/// What Mailman's logs say when a runner cannot bind its port: gunicorn
/// (REST) says "Connection in use", aiosmtpd (LMTP) "address already in
/// use".
const PORT_TAKEN: [&str; 2] = ["connection in use", "already in use"];

/// Where Mailman sends its mail.
#[derive(Clone, PartialEq, Eq)]
pub struct MailmanOptions {
    /// Where Mailman sends outgoing mail (its [mta] smtp_host/smtp_port): a test Postfix listener.
    pub smtp: SocketAddr,
    /// Optional SMTP AUTH for that (Mailman's [mta] smtp_user / smtp_pass); None: no AUTH.
    pub smtp_auth: Option<(String, String)>,
}

impl fmt::Debug for MailmanOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailmanOptions")
            .field("smtp", &self.smtp)
            .field("smtp_user", &self.smtp_auth.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

/// A running Mailman 3 core (master, runners, REST worker); killed, with
/// all of them, when dropped (see [`Mailman::stop`]). See the [module
/// documentation](self).
pub struct Mailman {
    daemon: Daemon,
    dir: PathBuf,
    rest_port: u16,
    lmtp_port: u16,
    rest_password: String,
}

impl fmt::Debug for Mailman {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailman")
            .field("dir", &self.dir)
            .field("rest_port", &self.rest_port)
            .field("lmtp_port", &self.lmtp_port)
            .field("pid", &self.daemon.pid())
            .finish_non_exhaustive()
    }
}

/// How one start attempt ended.
enum Attempt {
    Ready(Mailman),
    /// A port was taken between [`free_port`] and the runner's bind.
    PortTaken(anyhow::Error),
}

impl Mailman {
    /// Starts Mailman core in `dir` on free loopback ports and waits (bounded, ~60 s max) until its REST API answers.
    ///
    /// `dir` (created if needed; every directory above it must be
    /// traversable by others, as a [`tempfile::TempDir`] in `/tmp` is) is
    /// given to user `list`; Mailman writes only under it. Returns once the
    /// REST API answers with this instance's password and the LMTP runner
    /// greets, at most 60 s after the start. If a port was taken meanwhile
    /// (Mailman logs it as soon as the runner tries to bind, within seconds),
    /// the start is retried on new ports, at most 3 attempts in all.
    pub async fn start(dir: &Path, options: MailmanOptions) -> Result<Mailman> {
        require_binary(MASTER, PACKAGE)?;
        require_binary(SETPRIV, "util-linux")?;
        require_binary(ENV, "coreutils")?;
        require_root("Mailman runs as user `list`, and its directory is given to it")?;
        let (uid, gid) = passwd_ids(MAILMAN_USER)
            .with_context(|| format!("the `{MAILMAN_USER}` user of Debian's {PACKAGE}"))?;
        if let Some((user, pass)) = &options.smtp_auth {
            for (what, value) in [("user", user), ("password", pass)] {
                if value.is_empty()
                    || value.trim() != value
                    || value.chars().any(|c| c.is_control())
                {
                    bail!(
                        "MailmanOptions::smtp_auth: the {what} must be non-empty, without control characters or surrounding spaces (a line of mailman.cfg)"
                    );
                }
            }
        }

        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
        check_config_path(&dir)?;
        check_traversable(&dir, MAILMAN_USER)?;
        let var = dir.join("var");
        let run = dir.join("run");
        for sub in [&var, &run] {
            fs::create_dir_all(sub).with_context(|| format!("creating {}", sub.display()))?;
        }
        chown_mode(&dir, uid, gid, 0o755)?;
        // Left by an earlier run in this directory (e.g. as root).
        chown_tree(&var, uid, gid)?;
        chown_mode(&var, uid, gid, 0o750)?;
        chown_mode(&run, uid, gid, 0o755)?;
        let postfix_cfg = dir.join("postfix.cfg");
        write_file(
            &postfix_cfg,
            "[postfix]\npostmap_command: /usr/sbin/postmap\ntransport_file_type: regex\n",
        )?;
        chown_mode(&postfix_cfg, 0, gid, 0o640)?;

        let rest_password = random_hex(24)?;
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            match start_once(&dir, &options, uid, gid, &rest_password).await? {
                Attempt::Ready(mailman) => return Ok(mailman),
                Attempt::PortTaken(e) => last_error = Some(e),
            }
        }
        Err(last_error
            .unwrap_or_else(|| anyhow!("Mailman did not start"))
            .context(format!(
                "Mailman: a port was taken in each of {START_ATTEMPTS} attempts"
            )))
    }

    /// Like start, but Ok(None) (printing SKIPPED) when mailman3 is not installed, unless REQUIRE_LISTS_TESTS=1.
    ///
    /// Also skipped when the test does not run as root.
    pub async fn try_start(dir: &Path, options: MailmanOptions) -> Result<Option<Mailman>> {
        skip_if_missing(Mailman::start(dir, options).await, REQUIRE_ENV)
    }

    /// Whether Mailman (and root) is there: `Ok(true)`, `Ok(false)` after
    /// printing `SKIPPED: ...`, or an error when `REQUIRE_LISTS_TESTS=1`.
    /// For tests that want to skip before preparing anything.
    pub fn available() -> Result<bool> {
        let check = || -> Result<()> {
            require_binary(MASTER, PACKAGE)?;
            require_binary(SETPRIV, "util-linux")?;
            require_binary(ENV, "coreutils")?;
            require_root("Mailman runs as user `list`")
        };
        Ok(skip_if_missing(check(), REQUIRE_ENV)?.is_some())
    }

    /// e.g. "http://127.0.0.1:PORT/3.1" (no trailing slash)
    pub fn rest_url(&self) -> String {
        format!("http://127.0.0.1:{}/3.1", self.rest_port)
    }

    /// The REST API's admin user, [`REST_USER`] (HTTP basic auth).
    pub fn rest_user(&self) -> &str {
        REST_USER
    }

    /// The REST admin's password: random, this instance's own.
    pub fn rest_password(&self) -> &str {
        &self.rest_password
    }

    /// Mailman's LMTP listener, where Postfix must deliver list mail.
    pub fn lmtp_addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.lmtp_port).into()
    }

    /// Mailman's `site_owner`, [`SITE_OWNER`].
    pub fn site_owner(&self) -> &str {
        SITE_OWNER
    }

    /// The directory given to [`Mailman::start`], canonicalized.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `dir/mailman.cfg`.
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("mailman.cfg")
    }

    /// Mailman's own logs, `dir/var/logs`.
    pub fn log_dir(&self) -> PathBuf {
        self.dir.join("var/logs")
    }

    /// The master watcher's process (its log is the runners' stdout and
    /// stderr).
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// Processes of this instance still running: those of the watchdog's
    /// process group (the watchdog itself included), and any other whose
    /// command line names this instance's `mailman.cfg`. Empty after
    /// [`Mailman::stop`].
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = group_pids(self.daemon.pgid());
        for pid in config_pids(&self.config_file()) {
            if !pids.contains(&pid) {
                pids.push(pid);
            }
        }
        pids.sort_unstable();
        pids
    }

    /// Mailman's logs (mailman.log, smtp.log, lmtp.log...) tail, for failure messages.
    ///
    /// The last `lines` lines of each non-empty log of `dir/var/logs`
    /// (`mailman.log` first) and of the runners' stdout and stderr.
    pub fn log_tail(&self, lines: usize) -> String {
        logs_tail(&self.dir, &self.daemon, lines)
    }

    /// Kill the master, its runners and the REST worker now (SIGKILL to the
    /// process group: a test has nothing to flush) and wait, at most 10 s,
    /// until none is left. Also done on drop; idempotent.
    pub fn stop(&mut self) {
        self.daemon.stop();
        wait_group_gone(self.daemon.pgid(), GONE_TIMEOUT);
        kill_config_pids(&self.config_file());
    }
}

impl Drop for Mailman {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One start on new ports: `Ok(Attempt::PortTaken)` when Mailman's log says
/// a port was taken, an error for any other failure.
async fn start_once(
    dir: &Path,
    options: &MailmanOptions,
    uid: u32,
    gid: u32,
    rest_password: &str,
) -> Result<Attempt> {
    let rest_port = free_port()?;
    let mut lmtp_port = free_port()?;
    for _ in 0..10 {
        if lmtp_port != rest_port {
            break;
        }
        lmtp_port = free_port()?;
    }
    let config = dir.join("mailman.cfg");
    write_file(
        &config,
        &mailman_cfg(dir, rest_port, lmtp_port, rest_password, options),
    )?;
    // It holds the REST and SMTP passwords.
    chown_mode(&config, 0, gid, 0o640)?;
    // Mailman's logs are appended to; only this attempt's lines count.
    let log_offset = mailman_log_size(dir);

    let var = dir.join("var");
    let daemon = Daemon::builder("mailman-master", SETPRIV, dir)
        .arg(format!("--reuid={uid}"))
        .arg(format!("--regid={gid}"))
        .args(["--init-groups", "--", ENV, "-i"])
        .arg("PATH=/usr/sbin:/usr/bin:/sbin:/bin")
        .arg(format!("HOME={}", var.display()))
        .arg("LANG=C.UTF-8")
        .args([MASTER, "--force", "-C"])
        .arg(&config)
        .current_dir(&var)
        .start()?;
    let mut mailman = Mailman {
        daemon,
        dir: dir.to_path_buf(),
        rest_port,
        lmtp_port,
        rest_password: rest_password.to_owned(),
    };
    match wait_until_ready(&mailman, log_offset).await {
        Ok(()) => Ok(Attempt::Ready(mailman)),
        Err(e) => {
            let taken = port_taken(dir, &mailman.daemon, log_offset);
            // Stop before the error leaves: the next attempt reuses `var`.
            mailman.stop();
            if taken {
                Ok(Attempt::PortTaken(e))
            } else {
                Err(e)
            }
        }
    }
}

/// Wait until the REST API answers with our password and the LMTP runner
/// greets; fail early when the master exits or a port is taken.
async fn wait_until_ready(mailman: &Mailman, log_offset: u64) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .no_proxy()
        .build()
        .context("building an HTTP client")?;
    let versions = format!("{}/system/versions", mailman.rest_url());
    let started = Instant::now();
    let max_polls = READY_TIMEOUT.as_millis() / POLL_INTERVAL.as_millis() + 1;
    let (mut rest_ok, mut lmtp_ok) = (false, false);
    let mut last_rest = String::from("no answer yet");
    for _ in 0..max_polls {
        let running = mailman.daemon.is_running();
        if !rest_ok {
            match rest_probe(&client, &versions, mailman).await {
                Ok(()) => rest_ok = true,
                Err(e) => last_rest = format!("{e:#}"),
            }
        }
        if !lmtp_ok {
            lmtp_ok = lmtp_probe(mailman.lmtp_addr()).await;
        }
        if rest_ok && lmtp_ok {
            // A runner that lost its port may have failed after the other
            // one was ready; do not hand out an instance missing one.
            if port_taken(&mailman.dir, &mailman.daemon, log_offset) {
                break;
            }
            return Ok(());
        }
        if !running || port_taken(&mailman.dir, &mailman.daemon, log_offset) {
            break;
        }
        if started.elapsed() >= READY_TIMEOUT {
            break;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    bail!(
        "Mailman (pid {}, running: {}) not ready after {:.1} s: REST {} ({}), LMTP {} ({}); logs:\n{}",
        mailman.daemon.pid(),
        mailman.daemon.is_running(),
        started.elapsed().as_secs_f64(),
        versions,
        if rest_ok { "ok" } else { last_rest.as_str() },
        mailman.lmtp_addr(),
        if lmtp_ok { "ok" } else { "no greeting" },
        mailman.log_tail(30)
    )
}

/// `GET /system/versions` with the admin's credentials: 200 and Mailman's
/// version. A 401 means another Mailman holds the port.
async fn rest_probe(client: &reqwest::Client, url: &str, mailman: &Mailman) -> Result<()> {
    let response = client
        .get(url)
        .basic_auth(mailman.rest_user(), Some(mailman.rest_password()))
        .send()
        .await
        .context("GET")?;
    let status = response.status();
    let body = response.text().await.context("reading the body")?;
    if status != reqwest::StatusCode::OK || !body.contains("GNU Mailman") {
        bail!(
            "HTTP {status}: {}",
            body.chars().take(200).collect::<String>()
        );
    }
    Ok(())
}

/// Whether `addr` greets as Mailman's LMTP runner (then says QUIT).
async fn lmtp_probe(addr: SocketAddr) -> bool {
    let probe = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let mut greeting = Vec::new();
        let mut buf = [0u8; 256];
        // The greeting is one short line; stop at its end.
        for _ in 0..8 {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            greeting.extend_from_slice(&buf[..n]);
            if greeting.ends_with(b"\n") {
                break;
            }
        }
        let _ = stream.write_all(b"QUIT\r\n").await;
        let greeting = String::from_utf8_lossy(&greeting);
        Some(greeting.starts_with("220") && greeting.contains("GNU Mailman LMTP"))
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, probe).await,
        Ok(Some(true))
    )
}

/// The size of Mailman's `mailman.log` now: it is appended to, and only
/// the lines of the attempt being made count.
fn mailman_log_size(dir: &Path) -> u64 {
    fs::metadata(dir.join("var/logs/mailman.log")).map_or(0, |m| m.len())
}

/// Whether the runners' output (a new file for each attempt) or the lines
/// of `mailman.log` after `offset` say a port was taken.
fn port_taken(dir: &Path, daemon: &Daemon, offset: u64) -> bool {
    says_port_taken(&daemon.log())
        || says_port_taken(&read_from(&dir.join("var/logs/mailman.log"), offset))
}

fn says_port_taken(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    PORT_TAKEN.iter().any(|needle| text.contains(needle))
}

/// The file's text from byte `offset` on (lossy; empty if unreadable).
fn read_from(path: &Path, offset: u64) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let mut buf = Vec::new();
    let skip = std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset));
    if skip.is_err() || file.read_to_end(&mut buf).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn mailman_cfg(
    dir: &Path,
    rest_port: u16,
    lmtp_port: u16,
    rest_password: &str,
    options: &MailmanOptions,
) -> String {
    let d = dir.display();
    let smtp_auth = match &options.smtp_auth {
        Some((user, pass)) => format!("smtp_user: {user}\nsmtp_pass: {pass}\n"),
        None => String::new(),
    };
    let runners_off: String = RUNNERS_OFF
        .iter()
        .map(|r| format!("[runner.{r}]\nstart: no\n"))
        .collect();
    let dmarc = if Path::new(PUBLIC_SUFFIX_LIST).is_file() {
        format!("[dmarc]\norg_domain_data_url: file://{PUBLIC_SUFFIX_LIST}\n")
    } else {
        String::new()
    };
    format!(
        "# Written by konbit-testkit for one test run.
[mailman]
site_owner: {SITE_OWNER}
layout: testkit

[paths.testkit]
var_dir: {d}/var
queue_dir: $var_dir/queue
bin_dir: /usr/lib/mailman3/bin
list_data_dir: $var_dir/lists
log_dir: $var_dir/logs
lock_dir: $var_dir/locks
data_dir: $var_dir/data
cache_dir: $var_dir/cache
etc_dir: {d}
ext_dir: $var_dir/ext
messages_dir: $var_dir/messages
archive_dir: $var_dir/archives
template_dir: $var_dir/templates
pid_file: {d}/run/master.pid
lock_file: $lock_dir/master.lck

[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///$DATA_DIR/mailman.db

[webservice]
hostname: 127.0.0.1
port: {rest_port}
use_https: no
admin_user: {REST_USER}
admin_pass: {rest_password}
workers: 1

[mta]
incoming: mailman.mta.postfix.LMTP
outgoing: mailman.mta.deliver.deliver
smtp_host: {smtp_host}
smtp_port: {smtp_port}
smtp_secure_mode: smtp
{smtp_auth}lmtp_host: 127.0.0.1
lmtp_port: {lmtp_port}
configuration: {d}/postfix.cfg

{runners_off}
{dmarc}",
        smtp_host = options.smtp.ip(),
        smtp_port = options.smtp.port(),
    )
}

/// The tails of Mailman's logs and of the runners' output.
fn logs_tail(dir: &Path, daemon: &Daemon, lines: usize) -> String {
    let tail = |text: &str| {
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    };
    let log_dir = dir.join("var/logs");
    let mut files: Vec<PathBuf> = fs::read_dir(&log_dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect()
        })
        .unwrap_or_default();
    // mailman.log first, then by name.
    files.sort_by_key(|p| (!p.ends_with("mailman.log"), p.clone()));
    let mut out = String::new();
    for file in files {
        let text = read_from(&file, 0);
        if text.trim().is_empty() {
            continue;
        }
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        out.push_str(&format!(
            "--- var/logs/{} ---\n{}\n",
            name.unwrap_or_default(),
            tail(&text)
        ));
    }
    out.push_str(&format!(
        "--- runners' stdout/stderr ({}) ---\n{}\n",
        daemon.log_path().display(),
        tail(&daemon.log())
    ));
    out
}

/// `chown -R uid:gid path` (not following symlinks), at most 100,000
/// entries.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<()> {
    let mut stack = vec![path.to_path_buf()];
    let mut seen = 0usize;
    while let Some(p) = stack.pop() {
        seen += 1;
        if seen > 100_000 {
            bail!("more than 100,000 files under {}", path.display());
        }
        std::os::unix::fs::lchown(&p, Some(uid), Some(gid))
            .with_context(|| format!("chown {uid}:{gid} {}", p.display()))?;
        let meta = fs::symlink_metadata(&p).with_context(|| format!("reading {}", p.display()))?;
        if meta.is_dir() {
            for entry in fs::read_dir(&p).with_context(|| format!("listing {}", p.display()))? {
                stack.push(
                    entry
                        .with_context(|| format!("listing {}", p.display()))?
                        .path(),
                );
            }
        }
    }
    Ok(())
}

/// `bytes` random bytes from `/dev/urandom`, as hex.
fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Live processes whose command line has `config` as an argument (every
/// runner runs with `-C <config>`).
fn config_pids(config: &Path) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let needle = config.as_os_str().as_encoded_bytes();
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|pid: &u32| {
            // A zombie's cmdline is empty.
            fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| cmdline.split(|&b| b == 0).any(|arg| arg == needle))
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// SIGKILL what [`config_pids`] finds (processes that left the watchdog's
/// group, which Mailman's master and runners do not do) and wait, at most
/// [`GONE_TIMEOUT`], until they are gone.
fn kill_config_pids(config: &Path) {
    let deadline = Instant::now() + GONE_TIMEOUT;
    for _ in 0..GONE_TIMEOUT.as_millis() / 20 + 1 {
        let pids = config_pids(config);
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &pid.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn options(auth: Option<(&str, &str)>) -> MailmanOptions {
        MailmanOptions {
            smtp: "127.0.0.1:2525".parse().unwrap(),
            smtp_auth: auth.map(|(u, p)| (u.to_owned(), p.to_owned())),
        }
    }

    #[test]
    fn the_configuration_keeps_everything_under_dir() {
        let cfg = mailman_cfg(
            Path::new("/tmp/mm"),
            8001,
            8024,
            "s3cret",
            &options(Some(("konbit-mailman", "pw"))),
        );
        for line in [
            "layout: testkit",
            "var_dir: /tmp/mm/var",
            "pid_file: /tmp/mm/run/master.pid",
            "etc_dir: /tmp/mm",
            "port: 8001",
            "admin_pass: s3cret",
            "workers: 1",
            "incoming: mailman.mta.postfix.LMTP",
            "smtp_host: 127.0.0.1",
            "smtp_port: 2525",
            "smtp_user: konbit-mailman",
            "smtp_pass: pw",
            "lmtp_host: 127.0.0.1",
            "lmtp_port: 8024",
            "configuration: /tmp/mm/postfix.cfg",
            "[runner.nntp]\nstart: no",
            "[runner.retry]\nstart: no",
        ] {
            assert!(
                cfg.lines().any(|l| l == line) || cfg.contains(line),
                "{line}\n{cfg}"
            );
        }
        let no_auth = mailman_cfg(Path::new("/tmp/mm"), 1, 2, "x", &options(None));
        assert!(!no_auth.contains("smtp_user"), "{no_auth}");
        let v6 = MailmanOptions {
            smtp: "[::1]:25".parse().unwrap(),
            smtp_auth: None,
        };
        assert!(mailman_cfg(Path::new("/m"), 1, 2, "x", &v6).contains("smtp_host: ::1\n"));
    }

    #[test]
    fn taken_ports_are_recognised_in_the_logs() {
        // As gunicorn (REST) and aiosmtpd (LMTP) log them.
        for line in [
            "[2026-11-23 07:24:48 +0000] [10994] [ERROR] Connection in use: ('127.0.0.1', 18001)",
            "OSError: [Errno 98] error while attempting to bind on address ('127.0.0.1', 18024): address already in use",
        ] {
            assert!(says_port_taken(line), "{line}");
        }
        assert!(!says_port_taken(
            "Nov 23 07:24:48 2026 (10986) lmtp runner started."
        ));
    }

    #[test]
    fn debug_hides_passwords() {
        let shown = format!("{:?}", options(Some(("user", "hunter2-secret"))));
        assert!(
            shown.contains("user") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn random_passwords_differ() {
        let (a, b) = (random_hex(24).unwrap(), random_hex(24).unwrap());
        assert_eq!(a.len(), 48);
        assert_ne!(a, b);
    }
}
