//! A real Postfix + Dovecot pair for tests, each under the [`Daemon`]
//! watchdog with its own configuration in a test directory, reading users,
//! domains and aliases from a SQLite "lookup database" (the file Konbit's
//! mail provisioner will write).
//!
//! Needs Debian's `postfix`, `postfix-sqlite`, `dovecot-core`,
//! `dovecot-imapd`, `dovecot-lmtpd`, `dovecot-sqlite` and `dovecot-sieve`,
//! and root (Postfix's master and Dovecot's master start as root and drop
//! privileges). Postfix installs non-interactively after
//! `echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections`
//! (then there is no `/etc/postfix/main.cf`; this harness never uses it).
//!
//! # The lookup database
//!
//! ```sql
//! domains(name TEXT PRIMARY KEY COLLATE NOCASE)
//! mailboxes(address TEXT PRIMARY KEY COLLATE NOCASE,      -- 'alice@example.test'
//!           domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
//!           password_hash TEXT NOT NULL,                  -- '{ARGON2ID}$argon2id$v=19$...'
//!           quota_bytes INTEGER NOT NULL DEFAULT 0,       -- 0 = unlimited
//!           enabled INTEGER NOT NULL DEFAULT 1,           -- 0: unknown to Postfix and Dovecot
//!           maildir TEXT NOT NULL UNIQUE)                 -- home, relative to the mail root: 'example.test/alice'
//! aliases(source TEXT COLLATE NOCASE, destination TEXT COLLATE NOCASE,  -- one row per target
//!         PRIMARY KEY (source, destination))
//! sender_logins(address TEXT COLLATE NOCASE, login TEXT COLLATE NOCASE, -- extra envelope senders a login may use
//!         PRIMARY KEY (address, login))
//! ```
//! The file is in WAL mode (Postfix sets no busy timeout, so the rollback
//! journal makes its lookups fail under writes). What reads what:
//! - Postfix `virtual_mailbox_domains`: `domains`;
//! - `virtual_mailbox_maps`: enabled `mailboxes`;
//! - `virtual_alias_maps`: `aliases` (rows joined with commas), plus every
//!   enabled mailbox mapped to itself so that a `@domain` catch-all does not
//!   swallow real mailboxes;
//! - `smtpd_sender_login_maps`: an enabled mailbox owns its own address, and
//!   `sender_logins` adds more (an alias its members may send as);
//! - Dovecot passdb/userdb: enabled `mailboxes` (hash, home, quota).
//!
//! # Permissions
//!
//! Postfix's daemons run as user `postfix` with only group `postfix`, and in
//! WAL mode every reader must be able to write `-shm`. [`MailServer::start`]
//! therefore makes the lookup database's directory `root:postfix 2770` and
//! the database (and its `-wal`/`-shm`) `root:postfix 0660`, and adds
//! `o+x` to `dir`; the directories above them must already be traversable
//! (put the database inside `dir`, as the tests do). Mail is stored as the
//! Debian user `mail` under `dir/vmail`.
//!
//! # One SMTP listener
//!
//! There is a single smtpd on 127.0.0.1 for both incoming mail and
//! submission: SASL (Dovecot, PLAIN/LOGIN over plain TCP, loopback only) is
//! offered, relaying needs a login, and `reject_sender_login_mismatch` is
//! on, so a message whose envelope sender is a hosted address must come
//! from that address's login. Unauthenticated tests send from an outside
//! address.

use std::fmt::Write as _;
use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::daemon::{
    Daemon, Missing, free_port, require_binary, require_file, run_bounded, skip_if_missing,
};

/// Environment variable that turns "not installed" skips into failures.
pub const REQUIRE_ENV: &str = "REQUIRE_MAIL_TESTS";

/// The lookup database schema; see the [module documentation](self).
pub const LOOKUP_SCHEMA: &str = "\
CREATE TABLE domains (
  name TEXT PRIMARY KEY COLLATE NOCASE
);
CREATE TABLE mailboxes (
  address TEXT PRIMARY KEY COLLATE NOCASE,
  domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  quota_bytes INTEGER NOT NULL DEFAULT 0 CHECK (quota_bytes >= 0),
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  maildir TEXT NOT NULL UNIQUE
);
CREATE TABLE aliases (
  source TEXT NOT NULL COLLATE NOCASE,
  destination TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (source, destination)
);
CREATE TABLE sender_logins (
  address TEXT NOT NULL COLLATE NOCASE,
  login TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (address, login)
);
";

const POSTFIX: &str = "/usr/sbin/postfix";
const DOVECOT: &str = "/usr/sbin/dovecot";
/// Postfix's master daemon, run directly (see [`MailServer::start`]).
const POSTFIX_MASTER: &str = "/usr/lib/postfix/sbin/master";
/// How long each daemon may take to listen after it was started (Postfix
/// runs its integrity check first, about 2 s on a cold queue).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long SQLite waits for a lock held by a reader.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Hard limit for one SMTP or IMAP conversation.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// The Debian user mail is stored as.
const MAIL_USER: &str = "mail";

// ---------------------------------------------------------------------------
// Lookup database
// ---------------------------------------------------------------------------

/// Create the lookup database at `path` (which must not exist yet) with
/// [`LOOKUP_SCHEMA`], in WAL mode.
pub async fn create_lookup_db(path: &Path) -> Result<()> {
    if path.exists() {
        bail!("{} already exists", path.display());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let pool = connect(path, true).await?;
    let result = sqlx::raw_sql(LOOKUP_SCHEMA)
        .execute(&pool)
        .await
        .with_context(|| format!("creating the mail lookup schema in {}", path.display()));
    pool.close().await;
    result?;
    Ok(())
}

/// A pool on an existing lookup database (WAL, foreign keys, busy timeout).
pub async fn lookup_pool(path: &Path) -> Result<SqlitePool> {
    connect(path, false).await
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
        .with_context(|| format!("opening the mail lookup database {}", path.display()))
}

/// Insert a hosted domain.
pub async fn add_domain(db: &SqlitePool, name: &str) -> Result<()> {
    sqlx::query("INSERT INTO domains (name) VALUES (?)")
        .bind(name)
        .execute(db)
        .await
        .with_context(|| format!("adding mail domain {name}"))?;
    Ok(())
}

/// Insert an enabled mailbox (its domain must exist), stored under
/// `<domain>/<local part>`. `password_hash` is what Dovecot verifies, e.g.
/// from [`dovecot_hash`]; `quota_bytes` 0 means unlimited.
pub async fn add_mailbox(
    db: &SqlitePool,
    address: &str,
    password_hash: &str,
    quota_bytes: u64,
) -> Result<()> {
    let (local, domain) = address
        .rsplit_once('@')
        .filter(|(l, d)| !l.is_empty() && !d.is_empty())
        .ok_or_else(|| anyhow!("not a mail address: {address:?}"))?;
    let safe = |s: &str| {
        !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
    };
    if !safe(local) || !safe(domain) {
        bail!("address {address:?} does not make a safe maildir path");
    }
    let quota = i64::try_from(quota_bytes).context("quota_bytes too large")?;
    sqlx::query(
        "INSERT INTO mailboxes (address, domain, password_hash, quota_bytes, enabled, maildir) \
         VALUES (?, ?, ?, ?, 1, ?)",
    )
    .bind(address)
    .bind(domain)
    .bind(password_hash)
    .bind(quota)
    .bind(format!(
        "{}/{}",
        domain.to_ascii_lowercase(),
        local.to_ascii_lowercase()
    ))
    .execute(db)
    .await
    .with_context(|| format!("adding mailbox {address}"))?;
    Ok(())
}

/// Enable or disable a mailbox.
pub async fn set_mailbox_enabled(db: &SqlitePool, address: &str, enabled: bool) -> Result<()> {
    let done = sqlx::query("UPDATE mailboxes SET enabled = ? WHERE address = ?")
        .bind(i64::from(enabled))
        .bind(address)
        .execute(db)
        .await
        .with_context(|| format!("updating mailbox {address}"))?;
    if done.rows_affected() != 1 {
        bail!("no mailbox {address}");
    }
    Ok(())
}

/// Insert an alias row: mail to `source` also goes to `destination` (one
/// row per target).
pub async fn add_alias(db: &SqlitePool, source: &str, destination: &str) -> Result<()> {
    sqlx::query("INSERT INTO aliases (source, destination) VALUES (?, ?)")
        .bind(source)
        .bind(destination)
        .execute(db)
        .await
        .with_context(|| format!("adding alias {source} -> {destination}"))?;
    Ok(())
}

/// Let `login` use `address` as envelope sender (a mailbox may always use
/// its own address).
pub async fn add_sender_login(db: &SqlitePool, address: &str, login: &str) -> Result<()> {
    sqlx::query("INSERT INTO sender_logins (address, login) VALUES (?, ?)")
        .bind(address)
        .bind(login)
        .execute(db)
        .await
        .with_context(|| format!("adding sender login {address} -> {login}"))?;
    Ok(())
}

/// `{ARGON2ID}` + the Argon2id PHC string from Konbit's own hasher (Rust
/// `argon2` defaults, `m=19456,t=2,p=1`), a form Dovecot 2.3 verifies.
pub async fn dovecot_hash(password: &str) -> Result<String> {
    let phc = konbit_app::password::hash(password.to_owned())
        .await
        .map_err(|e| anyhow!("hashing a password: {e}"))?;
    Ok(format!("{{ARGON2ID}}{phc}"))
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

/// Postfix and Dovecot running; both killed (with their children) when
/// dropped. See the [module documentation](self).
#[derive(Debug)]
pub struct MailServer {
    postfix: Daemon,
    dovecot: Daemon,
    dir: PathBuf,
    smtp_port: u16,
    imap_port: u16,
}

struct Tools {
    postfix: PathBuf,
    dovecot: PathBuf,
}

fn tools() -> Result<Tools> {
    let postfix = require_binary(POSTFIX, "postfix")?;
    require_binary(POSTFIX_MASTER, "postfix")?;
    require_file(
        "/usr/lib/postfix/postfix-sqlite.so",
        "apt-get install --no-install-recommends postfix-sqlite",
    )?;
    let dovecot = require_binary(DOVECOT, "dovecot-core")?;
    for (file, package) in [
        ("/usr/lib/dovecot/imap", "dovecot-imapd"),
        ("/usr/lib/dovecot/lmtp", "dovecot-lmtpd"),
        (
            "/usr/lib/dovecot/modules/auth/libdriver_sqlite.so",
            "dovecot-sqlite",
        ),
        (
            "/usr/lib/dovecot/modules/lib90_sieve_plugin.so",
            "dovecot-sieve",
        ),
    ] {
        require_file(
            file,
            &format!("apt-get install --no-install-recommends {package}"),
        )?;
    }
    if fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
        != 0
    {
        return Err(anyhow!(Missing {
            what: "root privileges (Postfix and Dovecot masters start as root)".to_owned(),
            install: "run the mail tests as root".to_owned(),
        }));
    }
    Ok(Tools { postfix, dovecot })
}

/// uid and gid of `user` from /etc/passwd.
fn passwd_ids(user: &str) -> Result<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && f[0] == user)
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .ok_or_else(|| anyhow!("no user `{user}` in /etc/passwd"))
}

/// A path to put in a Postfix or Dovecot configuration: absolute, UTF-8,
/// without characters either would read specially.
fn conf_path(path: &Path) -> Result<String> {
    let path =
        std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    match path.to_str() {
        Some(s) if !s.contains(['\n', '\r', '\'', '%', '$', ' ', '#', '"', '\\', ',']) => {
            Ok(s.to_owned())
        }
        _ => bail!("unusable path for a mail configuration: {}", path.display()),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn mkdir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))
}

fn chown_mode(path: &Path, uid: u32, gid: u32, mode: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("chown {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

impl MailServer {
    /// Write the configurations under `dir` (`dir/dovecot`, `dir/postfix`,
    /// mail in `dir/vmail`), fix the lookup database's permissions, start
    /// Dovecot then Postfix on free 127.0.0.1 ports, and return once IMAP
    /// and SMTP accept connections and the LMTP and auth sockets exist.
    pub async fn start(dir: &Path, lookup_db: &Path) -> Result<MailServer> {
        let tools = tools()?;
        if !lookup_db.is_file() {
            bail!(
                "mail lookup database {} does not exist",
                lookup_db.display()
            );
        }
        mkdir(dir)?;
        let root = conf_path(dir)?;
        let dir = PathBuf::from(&root);
        let db = conf_path(lookup_db)?;
        let (postfix_uid, postfix_gid) = passwd_ids("postfix")?;
        let (mail_uid, mail_gid) = passwd_ids(MAIL_USER)?;

        // Postfix (user postfix) and Dovecot's login/mail processes must get
        // through `dir`.
        let mode = fs::metadata(&dir)?.permissions().mode();
        fs::set_permissions(&dir, fs::Permissions::from_mode((mode & 0o7777) | 0o011))
            .with_context(|| format!("chmod {}", dir.display()))?;
        let db_dir = Path::new(&db)
            .parent()
            .ok_or_else(|| anyhow!("{db} has no directory"))?;
        chown_mode(db_dir, 0, postfix_gid, 0o2770)?;
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{db}{suffix}"));
            if file.exists() {
                chown_mode(&file, 0, postfix_gid, 0o660)?;
            }
        }

        let vmail = dir.join("vmail");
        mkdir(&vmail)?;
        chown_mode(&vmail, mail_uid, mail_gid, 0o770)?;
        let dovecot_dir = dir.join("dovecot");
        mkdir(&dovecot_dir.join("state"))?;
        let postfix_dir = dir.join("postfix");
        for sub in ["etc", "spool", "data"] {
            mkdir(&postfix_dir.join(sub))?;
        }
        chown_mode(&postfix_dir.join("data"), postfix_uid, postfix_gid, 0o700)?;

        let smtp_port = free_port()?;
        let mut imap_port = free_port()?;
        for _ in 0..10 {
            if imap_port != smtp_port {
                break;
            }
            imap_port = free_port()?;
        }
        let run = format!("{root}/dovecot/run");
        let lmtp_socket = format!("{run}/lmtp");
        let auth_socket = format!("{run}/auth-postfix");
        let vmail = conf_path(&vmail)?;

        write_dovecot_config(&root, &db, &vmail, mail_uid, smtp_port, imap_port)?;
        let dovecot = Daemon::builder("dovecot", &tools.dovecot, &dovecot_dir)
            .args(["-F", "-c"])
            .arg(dovecot_dir.join("dovecot.conf"))
            .current_dir(&dovecot_dir)
            .start()?;
        let imap_addr: SocketAddr = (Ipv4Addr::LOCALHOST, imap_port).into();
        dovecot.wait_for_tcp(imap_addr, READY_TIMEOUT).await?;
        for socket in [&lmtp_socket, &auth_socket] {
            wait_for_path(&dovecot, Path::new(socket)).await?;
        }

        write_postfix_config(&root, &db, smtp_port, &lmtp_socket, &auth_socket)?;
        let etc = postfix_dir.join("etc");
        // `postfix check` creates the queue directories with the right
        // owners (about 2 s the first time). Then run `master -d` under the
        // watchdog: `postfix start-fg` and `master -s` call setsid(), which
        // would take Postfix out of the watchdog's process group.
        let mut check = Command::new(&tools.postfix);
        check.arg("-c").arg(&etc).arg("check");
        let out = run_bounded(check, READY_TIMEOUT)?;
        if !out.status.success() {
            bail!(
                "postfix -c {} check failed ({}): {}{}",
                etc.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let postfix = Daemon::builder("postfix", POSTFIX_MASTER, &postfix_dir)
            .arg("-d")
            .arg("-c")
            .arg(&etc)
            .current_dir(&postfix_dir)
            .start()?;
        let server = MailServer {
            postfix,
            dovecot,
            dir,
            smtp_port,
            imap_port,
        };
        let smtp_addr = server.smtp_addr();
        if let Err(e) = server.postfix.wait_for_tcp(smtp_addr, READY_TIMEOUT).await {
            return Err(e.context(format!(
                "end of the Postfix maillog:\n{}",
                server.maillog_tail(30)
            )));
        }
        Ok(server)
    }

    /// Like [`MailServer::start`], but if Postfix, Dovecot or a plugin is
    /// not installed (or the test is not root), print `SKIPPED: ...` and
    /// return `Ok(None)`, unless `REQUIRE_MAIL_TESTS=1`.
    pub async fn try_start(dir: &Path, lookup_db: &Path) -> Result<Option<MailServer>> {
        skip_if_missing(MailServer::start(dir, lookup_db).await, REQUIRE_ENV)
    }

    /// Whether Postfix, Dovecot and the plugins used are installed (and we
    /// are root): `Ok(true)`, `Ok(false)` after printing `SKIPPED: ...`,
    /// or an error when `REQUIRE_MAIL_TESTS=1`. For tests that want to skip
    /// before building their lookup database.
    pub fn available() -> Result<bool> {
        Ok(skip_if_missing(tools(), REQUIRE_ENV)?.is_some())
    }

    /// Postfix's smtpd, `127.0.0.1:port`.
    pub fn smtp_addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.smtp_port).into()
    }

    /// Dovecot's IMAP (plain text, no TLS), `127.0.0.1:port`.
    pub fn imap_addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.imap_port).into()
    }

    /// The Postfix process group (its stdout/stderr log).
    pub fn postfix(&self) -> &Daemon {
        &self.postfix
    }

    /// The Dovecot process group (its log: Dovecot logs to stderr).
    pub fn dovecot(&self) -> &Daemon {
        &self.dovecot
    }

    /// Where mail is stored: `<vmail>/<maildir>/Maildir`.
    pub fn vmail_dir(&self) -> PathBuf {
        self.dir.join("vmail")
    }

    /// Postfix's own log file (written by postlogd; there is no syslog).
    pub fn maillog_path(&self) -> PathBuf {
        self.dir.join("postfix/maillog")
    }

    /// The last `lines` lines of Postfix's maillog.
    pub fn maillog_tail(&self, lines: usize) -> String {
        let log = fs::read(self.maillog_path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Wait until Postfix's maillog has a line containing every string in
    /// `needles` (e.g. `["to=<bob@example.test>", "status=sent"]`), and
    /// return it.
    pub async fn wait_for_maillog(&self, needles: &[&str], timeout: Duration) -> Result<String> {
        let started = Instant::now();
        loop {
            let log = fs::read(self.maillog_path())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            if let Some(line) = log.lines().find(|l| needles.iter().all(|n| l.contains(n))) {
                return Ok(line.to_owned());
            }
            if started.elapsed() > timeout {
                bail!(
                    "no maillog line with {needles:?} after {} s; end of the maillog:\n{}",
                    timeout.as_secs(),
                    self.maillog_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stop Postfix and Dovecot (and all their children). Idempotent.
    pub fn stop(&mut self) {
        self.postfix.stop();
        self.dovecot.stop();
    }
}

async fn wait_for_path(daemon: &Daemon, path: &Path) -> Result<()> {
    let started = Instant::now();
    while !path.exists() {
        if !daemon.is_running() || started.elapsed() > READY_TIMEOUT {
            bail!(
                "{} did not create {} (running: {}); end of {}:\n{}",
                daemon.name(),
                path.display(),
                daemon.is_running(),
                daemon.log_path().display(),
                daemon.log_tail(30)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn write_dovecot_config(
    root: &str,
    db: &str,
    vmail: &str,
    mail_uid: u32,
    smtp_port: u16,
    imap_port: u16,
) -> Result<()> {
    let d = format!("{root}/dovecot");
    let mut conf = String::new();
    let _ = write!(
        conf,
        "\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
hostname = mx.konbit.test
mail_location = maildir:~/Maildir
mail_uid = {MAIL_USER}
mail_gid = {MAIL_USER}
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
mail_plugins = $mail_plugins quota
lmtp_rcpt_check_quota = yes
submission_host = 127.0.0.1:{smtp_port}
passdb {{
  driver = sql
  args = {d}/dovecot-sql.conf.ext
}}
userdb {{
  driver = sql
  args = {d}/dovecot-sql.conf.ext
}}
namespace inbox {{
  inbox = yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}
protocol lmtp {{
  postmaster_address = postmaster@konbit.test
  mail_plugins = $mail_plugins sieve
}}
plugin {{
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=0
  quota_grace = 10%%
  quota_exceeded_message = Quota exceeded (mailbox for user is full)
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_vacation_min_period = 1d
  sieve_vacation_send_from_recipient = no
}}
"
    );
    write(Path::new(&format!("{d}/dovecot.conf")), &conf)?;
    let sql = format!(
        "\
driver = sqlite
connect = {db}
default_pass_scheme = ARGON2ID
password_query = SELECT address AS user, password_hash AS password FROM mailboxes WHERE address = '%u' AND enabled = 1
user_query = SELECT '{vmail}/' || maildir AS home, '*:bytes=' || quota_bytes AS quota_rule FROM mailboxes WHERE address = '%u' AND enabled = 1
iterate_query = SELECT address AS user FROM mailboxes WHERE enabled = 1
"
    );
    let sql_path = PathBuf::from(format!("{d}/dovecot-sql.conf.ext"));
    write(&sql_path, &sql)?;
    fs::set_permissions(&sql_path, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("chmod {}", sql_path.display()))
}

fn write_postfix_config(
    root: &str,
    db: &str,
    smtp_port: u16,
    lmtp_socket: &str,
    auth_socket: &str,
) -> Result<()> {
    let p = format!("{root}/postfix");
    let etc = format!("{p}/etc");
    let mut main = String::new();
    let _ = write!(
        main,
        "\
compatibility_level = 3.6
myhostname = mx.konbit.test
mydomain = konbit.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
biff = no
append_dot_mydomain = no
smtpd_banner = $myhostname ESMTP
meta_directory = /etc/postfix
queue_directory = {p}/spool
data_directory = {p}/data
maillog_file = {p}/maillog
maillog_file_prefixes = {p}
virtual_mailbox_domains = sqlite:{etc}/sqlite-domains.cf
virtual_mailbox_maps = sqlite:{etc}/sqlite-mailboxes.cf
virtual_alias_maps = sqlite:{etc}/sqlite-aliases.cf
virtual_alias_domains =
virtual_transport = lmtp:unix:{lmtp_socket}
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {auth_socket}
smtpd_sasl_security_options = noanonymous
smtpd_sender_login_maps = sqlite:{etc}/sqlite-sender-login.cf
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
"
    );
    write(Path::new(&format!("{etc}/main.cf")), &main)?;
    let maps = [
        (
            "sqlite-domains.cf",
            "SELECT name FROM domains WHERE name = '%s'",
        ),
        (
            "sqlite-mailboxes.cf",
            "SELECT address FROM mailboxes WHERE address = '%s' AND enabled = 1",
        ),
        (
            "sqlite-aliases.cf",
            "SELECT destination FROM aliases WHERE source = '%s' \
             UNION SELECT address FROM mailboxes WHERE address = '%s' AND enabled = 1",
        ),
        (
            "sqlite-sender-login.cf",
            "SELECT address FROM mailboxes WHERE address = '%s' AND enabled = 1 \
             UNION SELECT login FROM sender_logins WHERE address = '%s'",
        ),
    ];
    for (file, query) in maps {
        write(
            Path::new(&format!("{etc}/{file}")),
            &format!("dbpath = {db}\nquery = {query}\n"),
        )?;
    }
    // Debian's service list with every chroot column `n` (a chrooted smtpd
    // cannot reach the lookup database), one smtpd on loopback, and postlogd
    // because there is no syslog.
    let master = format!(
        "\
127.0.0.1:{smtp_port} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"
    );
    write(Path::new(&format!("{etc}/master.cf")), &master)
}

// ---------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------

/// Send one plain-text message through `server` with lettre: envelope and
/// headers from `from` and `to`. With `login`, authenticate first (AUTH
/// PLAIN over plain TCP, which the harness allows on loopback). Returns the
/// SMTP error text on failure.
pub async fn send(
    server: SocketAddr,
    from: &str,
    to: &[&str],
    subject: &str,
    body: &str,
    login: Option<(&str, &str)>,
) -> Result<(), String> {
    let mut builder = Message::builder()
        .from(
            from.parse::<Mailbox>()
                .map_err(|e| format!("from {from:?}: {e}"))?,
        )
        .subject(subject);
    for rcpt in to {
        builder = builder.to(rcpt
            .parse::<Mailbox>()
            .map_err(|e| format!("to {rcpt:?}: {e}"))?);
    }
    let message = builder.body(body.to_owned()).map_err(|e| e.to_string())?;
    let mut transport =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.ip().to_string())
            .port(server.port())
            .timeout(Some(CLIENT_TIMEOUT));
    if let Some((user, password)) = login {
        transport = transport
            .credentials(Credentials::new(user.to_owned(), password.to_owned()))
            .authentication(vec![Mechanism::Plain]);
    }
    let transport = transport.build();
    match tokio::time::timeout(CLIENT_TIMEOUT, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("SMTP to {server} timed out")),
    }
}

/// Minimal IMAP over plain TCP: LOGIN, SELECT INBOX, and if it holds
/// messages, FETCH the newest one's full text (`BODY.PEEK[]`), LOGOUT.
/// `Ok(None)` for an empty INBOX; a refused login is an error quoting the
/// server's `NO` line.
pub async fn imap_fetch_latest(
    server: SocketAddr,
    user: &str,
    password: &str,
) -> Result<Option<String>> {
    tokio::time::timeout(CLIENT_TIMEOUT, imap_session(server, user, password))
        .await
        .map_err(|_| anyhow!("IMAP session with {server} timed out"))?
}

async fn imap_session(server: SocketAddr, user: &str, password: &str) -> Result<Option<String>> {
    let stream = TcpStream::connect(server)
        .await
        .with_context(|| format!("connecting to IMAP {server}"))?;
    let mut imap = Imap {
        stream: BufReader::new(stream),
        tag: 0,
    };
    let greeting = imap.line().await?;
    if !greeting.starts_with("* OK") {
        bail!("unexpected IMAP greeting: {greeting}");
    }
    imap.command(&format!("LOGIN {} {}", quote(user), quote(password)))
        .await?;
    let lines = imap.command("SELECT INBOX").await?;
    let exists = lines
        .iter()
        .find_map(|l| {
            l.strip_prefix("* ")?
                .strip_suffix(" EXISTS")?
                .parse::<u32>()
                .ok()
        })
        .ok_or_else(|| anyhow!("no EXISTS in the SELECT answer: {lines:?}"))?;
    let text = if exists == 0 {
        None
    } else {
        Some(imap.fetch_body(exists).await?)
    };
    // The answer does not matter any more.
    let _ = imap.command("LOGOUT").await;
    Ok(text)
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

struct Imap {
    stream: BufReader<TcpStream>,
    tag: u32,
}

impl Imap {
    async fn line(&mut self) -> Result<String> {
        let mut line = String::new();
        let n = self
            .stream
            .read_line(&mut line)
            .await
            .context("reading from the IMAP server")?;
        if n == 0 {
            bail!("the IMAP server closed the connection");
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    async fn send(&mut self, command: &str) -> Result<String> {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.stream
            .get_mut()
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .await
            .context("writing to the IMAP server")?;
        Ok(tag)
    }

    fn check_tagged(tag: &str, line: &str, command: &str) -> Result<bool> {
        let Some(rest) = line.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')) else {
            return Ok(false);
        };
        if rest.starts_with("OK") {
            return Ok(true);
        }
        let verb = command.split(' ').next().unwrap_or(command);
        bail!("IMAP {verb} refused: {line}")
    }

    /// Send `command`; return the untagged lines once the tagged OK comes
    /// (a NO or BAD is an error quoting it).
    async fn command(&mut self, command: &str) -> Result<Vec<String>> {
        let tag = self.send(command).await?;
        let mut lines = Vec::new();
        loop {
            let line = self.line().await?;
            if Self::check_tagged(&tag, &line, command)? {
                return Ok(lines);
            }
            lines.push(line);
        }
    }

    async fn fetch_body(&mut self, seq: u32) -> Result<String> {
        let command = format!("FETCH {seq} BODY.PEEK[]");
        let tag = self.send(&command).await?;
        let mut body = None;
        loop {
            let line = self.line().await?;
            if Self::check_tagged(&tag, &line, &command)? {
                return body.ok_or_else(|| anyhow!("FETCH {seq} returned no body"));
            }
            // `* N FETCH (BODY[] {size}` then `size` bytes, then `)`.
            if line.starts_with("* ")
                && line.contains("FETCH")
                && let Some(size) = line
                    .strip_suffix('}')
                    .and_then(|l| l.rsplit_once('{'))
                    .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut buf = vec![0; size];
                self.stream
                    .read_exact(&mut buf)
                    .await
                    .context("reading a FETCH literal")?;
                body = Some(String::from_utf8_lossy(&buf).into_owned());
            }
        }
    }
}
