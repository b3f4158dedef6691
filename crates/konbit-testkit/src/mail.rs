//! A real Postfix + Dovecot (+ OpenDKIM) for tests, each under the
//! [`Daemon`] watchdog, configured by Konbit's own templates
//! ([`konbit_provision::mail::config`]) in a test directory, on free
//! loopback ports, reading users, domains and aliases from a SQLite lookup
//! database ([`LOOKUP_SCHEMA`], the file Konbit's mail provisioner writes).
//!
//! Needs Debian's `postfix`, `postfix-sqlite`, `dovecot-core`,
//! `dovecot-imapd`, `dovecot-lmtpd`, `dovecot-sqlite`, `dovecot-sieve`,
//! `openssl` (the TLS certificate) and `curl` (submission over TLS), plus
//! `opendkim` for [`MailOptions::dkim`], and root (Postfix's and Dovecot's
//! masters start as root and drop privileges). Postfix installs
//! non-interactively after
//! `echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections`
//! (then there is no `/etc/postfix/main.cf`; this harness never uses it).
//!
//! # Listeners
//!
//! All on 127.0.0.1, as [`konbit_provision::mail::config`] describes them:
//! - [`MailServer::smtp_addr`], the MX: mail for hosted domains, no AUTH,
//!   and a hosted address as envelope sender is refused (553). Tests that
//!   send unauthenticated use an outside sender.
//! - [`MailServer::submission_addr`] (STARTTLS required before AUTH) and
//!   [`MailServer::submissions_addr`] (implicit TLS): use
//!   [`send_submission`]; lettre here has no TLS.
//! - [`MailServer::internal_addr`]: Dovecot's automatic replies; relays only
//!   the null sender.
//! - [`MailServer::imap_addr`]: plain IMAP (logins from loopback are
//!   allowed without TLS).
//! - With [`MailServer::start_with_lists`], [`MailServer::list_relay_addr`]:
//!   where Mailman sends, with the [`ListRelay`] login only and list
//!   addresses as envelope senders; list addresses in the lookup database
//!   ([`add_list_routes`]) are delivered to Mailman's LMTP.
//!
//! # Permissions
//!
//! [`MailServer::start`] adds `o+x` to `dir`, then prepares the directories
//! with [`MailServices::prepare_dirs`], as `konbit mail-server setup` does
//! in production: among others, the lookup database's directory becomes
//! `root:postfix 2770` and the database (and its `-wal`/`-shm`)
//! `root:postfix 0660`, since Postfix's daemons run as user `postfix` with
//! only group `postfix`, and in WAL mode every reader must be able to write
//! `-shm`. The directories above `dir` and the database must already be
//! traversable (put the database inside the test's temp dir, as the tests
//! do; `prepare_dirs` names the directory that is not). Mail is stored as
//! the Debian user `mail` under `dir/vmail`.
//!
//! # OpenDKIM
//!
//! OpenDKIM logs only through syslog, and there is none here: when it
//! fails, it fails silently. [`MailServer::start_with`] waits for its
//! socket, and [`MailServer::add_dkim_key`] writes a key and the tables the
//! way the mail provisioner does, then reloads it with SIGUSR1.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use konbit_provision::mail::config::{
    DkimSettings, ListRouting, MailListeners, MailPaths, MailServices, MailTools,
};
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

pub use konbit_provision::mail::schema::LOOKUP_SCHEMA;

/// Environment variable that turns "not installed" skips into failures.
pub const REQUIRE_ENV: &str = "REQUIRE_MAIL_TESTS";
/// The `owner` written on every lookup row by the helpers below.
pub const TEST_OWNER: i64 = 1;
/// The MX host name, and the name in the TLS certificate.
pub const HOSTNAME: &str = "mx.konbit.test";

const POSTFIX: &str = "/usr/sbin/postfix";
const DOVECOT: &str = "/usr/sbin/dovecot";
const OPENDKIM: &str = "/usr/sbin/opendkim";
/// Postfix's master daemon, run directly (see [`MailServer::start_with`]).
const POSTFIX_MASTER: &str = "/usr/lib/postfix/sbin/master";
/// How long each daemon may take to listen after it was started (Postfix
/// runs its integrity check first, about 2 s on a cold queue).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long SQLite waits for a lock held by a reader.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Hard limit for one SMTP or IMAP conversation.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Hard limit for one run of openssl, sievec or `opendkim -t`.
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// The Debian user mail is stored as.
const MAIL_USER: &str = "mail";
const DKIM_USER: &str = "opendkim";

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

/// A pool on an existing lookup database (WAL, busy timeout).
pub async fn lookup_pool(path: &Path) -> Result<SqlitePool> {
    connect(path, false).await
}

async fn connect(path: &Path, create: bool) -> Result<SqlitePool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(BUSY_TIMEOUT);
    SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .with_context(|| format!("opening the mail lookup database {}", path.display()))
}

/// Insert a hosted domain (owner [`TEST_OWNER`]).
pub async fn add_domain(db: &SqlitePool, name: &str) -> Result<()> {
    sqlx::query("INSERT INTO domains (name, owner) VALUES (?, ?)")
        .bind(name)
        .bind(TEST_OWNER)
        .execute(db)
        .await
        .with_context(|| format!("adding mail domain {name}"))?;
    Ok(())
}

/// Insert an enabled mailbox of a hosted domain, stored under
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
    if !safe_name(local) || !safe_name(domain) {
        bail!("address {address:?} does not make a safe maildir path");
    }
    let hosted: Option<String> = sqlx::query_scalar("SELECT name FROM domains WHERE name = ?")
        .bind(domain)
        .fetch_optional(db)
        .await
        .with_context(|| format!("looking up domain {domain}"))?;
    if hosted.is_none() {
        bail!("{domain} is not a hosted domain; add_domain first");
    }
    let quota = i64::try_from(quota_bytes).context("quota_bytes too large")?;
    sqlx::query(
        "INSERT INTO mailboxes (address, owner, password_hash, quota_bytes, enabled, maildir) \
         VALUES (?, ?, ?, ?, 1, ?)",
    )
    .bind(address)
    .bind(TEST_OWNER)
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

/// Letters, digits and `. - _ +`, not starting with a dot: safe as a file
/// name.
fn safe_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
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

/// Change a mailbox's quota (0 = unlimited); Dovecot applies it on the
/// next delivery, with no reload.
pub async fn set_mailbox_quota(db: &SqlitePool, address: &str, quota_bytes: u64) -> Result<()> {
    let quota = i64::try_from(quota_bytes).context("quota_bytes too large")?;
    let done = sqlx::query("UPDATE mailboxes SET quota_bytes = ? WHERE address = ?")
        .bind(quota)
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
    sqlx::query("INSERT INTO aliases (source, destination, owner) VALUES (?, ?, ?)")
        .bind(source)
        .bind(destination)
        .bind(TEST_OWNER)
        .execute(db)
        .await
        .with_context(|| format!("adding alias {source} -> {destination}"))?;
    Ok(())
}

/// Let `login` use `address` as envelope sender (a mailbox may always use
/// its own address).
pub async fn add_sender_login(db: &SqlitePool, address: &str, login: &str) -> Result<()> {
    sqlx::query("INSERT INTO sender_logins (address, login, owner) VALUES (?, ?, ?)")
        .bind(address)
        .bind(login)
        .bind(TEST_OWNER)
        .execute(db)
        .await
        .with_context(|| format!("adding sender login {address} -> {login}"))?;
    Ok(())
}

/// Insert the routes of the list `list_address` (`team@lists.example.test`)
/// as the mail provisioner writes them: the list's address and Mailman's
/// eight (`team-bounces@…`, `team-confirm@…`, …), each then delivered to
/// Mailman's LMTP by a server started with
/// [`MailServer::start_with_lists`]. Its domain must be hosted. Returns the
/// addresses.
pub async fn add_list_routes(db: &SqlitePool, list_address: &str) -> Result<Vec<String>> {
    let addresses = list_addresses(db, list_address).await?;
    let mut tx = db.begin().await.context("starting a transaction")?;
    for a in &addresses {
        sqlx::query("INSERT INTO list_routes (address, owner) VALUES (?, ?)")
            .bind(a)
            .bind(TEST_OWNER)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("adding list route {a}"))?;
    }
    tx.commit().await.context("committing list routes")?;
    Ok(addresses)
}

/// Delete the routes [`add_list_routes`] inserted for `list_address`.
pub async fn remove_list_routes(db: &SqlitePool, list_address: &str) -> Result<()> {
    for a in list_addresses(db, list_address).await? {
        sqlx::query("DELETE FROM list_routes WHERE address = ?")
            .bind(&a)
            .execute(db)
            .await
            .with_context(|| format!("removing list route {a}"))?;
    }
    Ok(())
}

async fn list_addresses(db: &SqlitePool, list_address: &str) -> Result<Vec<String>> {
    let (name, domain) = list_address
        .rsplit_once('@')
        .ok_or_else(|| anyhow!("not a list address: {list_address:?}"))?;
    let name = konbit_core::list::ListName::parse("name", name)
        .map_err(|e| anyhow!("{list_address:?} is not a list name Konbit accepts: {e:?}"))?;
    let hosted: Option<String> = sqlx::query_scalar("SELECT name FROM domains WHERE name = ?")
        .bind(domain)
        .fetch_optional(db)
        .await
        .with_context(|| format!("looking up domain {domain}"))?;
    if hosted.is_none() || !safe_name(domain) {
        bail!("{domain} is not a hosted domain; add_domain first");
    }
    Ok(name
        .local_parts()
        .into_iter()
        .map(|local| format!("{local}@{}", domain.to_ascii_lowercase()))
        .collect())
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

/// What to start besides Postfix and Dovecot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailOptions {
    /// Start OpenDKIM and sign mail from the submission and internal
    /// listeners (see [`MailServer::add_dkim_key`]).
    pub dkim: bool,
}

/// The listener Postfix opens for Mailman's outgoing mail and the SASL
/// login only Mailman has, chosen before either daemon starts: Mailman's
/// configuration names them ([`ListRelay::smtp_auth`] is the testkit
/// Mailman's `smtp_auth`), and the [`MailServer`] needs Mailman's LMTP
/// address (see [`MailServer::start_with_lists`]).
#[derive(Clone)]
pub struct ListRelay {
    addr: SocketAddr,
    login: String,
    password: String,
}

impl std::fmt::Debug for ListRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRelay")
            .field("addr", &self.addr)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// Mailman's relay login in tests.
pub const LIST_RELAY_LOGIN: &str = "konbit-mailman";

impl ListRelay {
    /// A free 127.0.0.1 port, the login [`LIST_RELAY_LOGIN`] and a random
    /// password (24 bytes of `/dev/urandom`, hex).
    pub fn new() -> Result<ListRelay> {
        let port = free_port()?;
        let mut bytes = [0u8; 24];
        {
            use std::io::Read as _;
            fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut bytes))
                .context("reading /dev/urandom")?;
        }
        let password = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(ListRelay {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            login: LIST_RELAY_LOGIN.to_owned(),
            password,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn login(&self) -> &str {
        &self.login
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// `(login, password)`, as Mailman's `[mta] smtp_user`/`smtp_pass`.
    pub fn smtp_auth(&self) -> (String, String) {
        (self.login.clone(), self.password.clone())
    }
}

/// How [`MailServer::start_with_lists`] routes mailing lists.
#[derive(Debug, Clone)]
pub struct MailLists {
    /// Mailman's LMTP (the testkit Mailman's `lmtp_addr()`, or a fake).
    pub lmtp: SocketAddr,
    pub relay: ListRelay,
    /// Mailman's `site_owner`, which may also send through the relay.
    pub site_owner: Option<String>,
}

/// Postfix, Dovecot and (if asked) OpenDKIM running; all killed (with their
/// children) when dropped. See the [module documentation](self).
#[derive(Debug)]
pub struct MailServer {
    postfix: Daemon,
    dovecot: Daemon,
    opendkim: Option<Daemon>,
    dir: PathBuf,
    services: MailServices,
    lists: Option<ListRouting>,
    tools: MailTools,
    mail_gid: u32,
}

struct Tools {
    dovecot: PathBuf,
    openssl: PathBuf,
}

fn tools(options: &MailOptions) -> Result<Tools> {
    require_binary(POSTFIX, "postfix")?;
    require_binary(POSTFIX_MASTER, "postfix")?;
    require_file(
        "/usr/lib/postfix/postfix-sqlite.so",
        "apt-get install --no-install-recommends postfix-sqlite",
    )?;
    let dovecot = require_binary(DOVECOT, "dovecot-core")?;
    require_binary("/usr/bin/doveconf", "dovecot-core")?;
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
    require_binary("sievec", "dovecot-sieve")?;
    let openssl = require_binary("openssl", "openssl")?;
    require_binary("curl", "curl")?;
    if options.dkim {
        require_binary(OPENDKIM, "opendkim")?;
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
    Ok(Tools { dovecot, openssl })
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

fn mkdir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))
}

fn chown_mode(path: &Path, uid: u32, gid: u32, mode: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("chown {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

/// Write `text` to a temporary file beside `path`, then rename it over
/// `path`, so a daemon never reads half a file.
fn write_replace(path: &Path, text: &[u8], uid: u32, gid: u32, mode: u32) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} has no file name", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    chown_mode(&tmp, uid, gid, mode)?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {}", tmp.display()))
}

fn run_tool(cmd: Command) -> Result<std::process::Output> {
    let what = format!("{cmd:?}");
    let out = run_bounded(cmd, TOOL_TIMEOUT)?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out)
}

/// Distinct free ports, `n` of them.
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let mut ports = Vec::with_capacity(n);
    for _ in 0..n * 20 {
        if ports.len() == n {
            break;
        }
        let port = free_port()?;
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    if ports.len() != n {
        bail!("could not find {n} distinct free ports");
    }
    Ok(ports)
}

impl MailServer {
    /// [`MailServer::start_with`] without OpenDKIM.
    pub async fn start(dir: &Path, lookup_db: &Path) -> Result<MailServer> {
        MailServer::start_with(dir, lookup_db, &MailOptions::default()).await
    }

    /// Render the configurations with [`MailServices`] under `dir`
    /// (`dir/postfix`, `dir/dovecot`, `dir/dkim`, mail in `dir/vmail`,
    /// automatic replies in `dir/sieve`, a self-signed certificate in
    /// `dir/tls`), prepare the directories and the lookup database's
    /// permissions ([`MailServices::prepare_dirs`]), check the files with
    /// the daemons' tools, start OpenDKIM (if asked), Dovecot and
    /// Postfix on free 127.0.0.1 ports, and return once every listener
    /// accepts connections and every socket exists.
    pub async fn start_with(
        dir: &Path,
        lookup_db: &Path,
        options: &MailOptions,
    ) -> Result<MailServer> {
        MailServer::start_inner(dir, lookup_db, options, None).await
    }

    /// [`MailServer::start_with`], and mailing lists routed as the mail
    /// configuration does it with [`ListRouting`]: list addresses found in
    /// the lookup database's `list_routes` ([`add_list_routes`], read on
    /// every lookup: no reload) go to `lists.lmtp`, and Postfix listens on
    /// `lists.relay` for Mailman's outgoing mail, which the relay's login
    /// may send (with a list address as envelope sender) to anyone.
    pub async fn start_with_lists(
        dir: &Path,
        lookup_db: &Path,
        options: &MailOptions,
        lists: &MailLists,
    ) -> Result<MailServer> {
        MailServer::start_inner(dir, lookup_db, options, Some(lists)).await
    }

    /// [`MailServer::start_with_lists`] with the skipping of
    /// [`MailServer::try_start`].
    pub async fn try_start_with_lists(
        dir: &Path,
        lookup_db: &Path,
        options: &MailOptions,
        lists: &MailLists,
    ) -> Result<Option<MailServer>> {
        skip_if_missing(
            MailServer::start_with_lists(dir, lookup_db, options, lists).await,
            REQUIRE_ENV,
        )
    }

    async fn start_inner(
        dir: &Path,
        lookup_db: &Path,
        options: &MailOptions,
        lists: Option<&MailLists>,
    ) -> Result<MailServer> {
        let tools = tools(options)?;
        if !lookup_db.is_file() {
            bail!(
                "mail lookup database {} does not exist",
                lookup_db.display()
            );
        }
        mkdir(dir)?;
        let dir =
            std::path::absolute(dir).with_context(|| format!("resolving {}", dir.display()))?;
        let lookup_db = std::path::absolute(lookup_db)
            .with_context(|| format!("resolving {}", lookup_db.display()))?;
        let (mail_uid, mail_gid) = passwd_ids(MAIL_USER)?;

        // Postfix (user postfix) and Dovecot's login/mail processes must get
        // through `dir`.
        let mode = fs::metadata(&dir)?.permissions().mode();
        fs::set_permissions(&dir, fs::Permissions::from_mode((mode & 0o7777) | 0o011))
            .with_context(|| format!("chmod {}", dir.display()))?;
        let postfix_dir = dir.join("postfix");
        let dovecot_dir = dir.join("dovecot");
        let tls = dir.join("tls");
        let (tls_cert, tls_key) = (tls.join("cert.pem"), tls.join("key.pem"));
        let dkim = options.dkim.then(|| {
            let dkim_dir = dir.join("dkim");
            let run = dkim_dir.join("run");
            DkimSettings {
                dir: dkim_dir,
                socket: run.join("opendkim.sock"),
                pid_file: run.join("opendkim.pid"),
                user: DKIM_USER.to_owned(),
                require_safe_keys: false,
            }
        });

        // Distinct from the relay's port, chosen earlier.
        let taken: Vec<u16> = lists.map(|l| l.relay.addr.port()).into_iter().collect();
        let ports: Vec<u16> = free_ports(5 + taken.len())?
            .into_iter()
            .filter(|p| !taken.contains(p))
            .take(5)
            .collect();
        if ports.len() != 5 {
            bail!("could not find 5 free ports apart from the list relay's");
        }
        let at = |port: u16| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let services = MailServices {
            hostname: HOSTNAME.to_owned(),
            postmaster: "postmaster@konbit.test".to_owned(),
            mail_user: MAIL_USER.to_owned(),
            mail_uid,
            paths: MailPaths {
                lookup_db,
                vmail_root: dir.join("vmail"),
                sieve_dir: dir.join("sieve"),
                postfix_config_dir: postfix_dir.join("etc"),
                postfix_queue_dir: postfix_dir.join("spool"),
                postfix_data_dir: postfix_dir.join("data"),
                postfix_meta_dir: "/etc/postfix".into(),
                maillog: Some(postfix_dir.join("maillog")),
                dovecot_config_dir: dovecot_dir.clone(),
                dovecot_base_dir: dovecot_dir.join("run"),
                dovecot_state_dir: dovecot_dir.join("state"),
                dovecot_log: Some("/dev/stderr".into()),
                tls_cert,
                tls_key,
            },
            listeners: MailListeners {
                mx: at(ports[0]),
                submission: at(ports[1]),
                submissions: at(ports[2]),
                internal: at(ports[3]),
                imap: at(ports[4]),
                imaps: None,
            },
            dkim,
        };
        let routing = match lists {
            Some(l) => Some(ListRouting {
                lmtp: l.lmtp,
                relay: l.relay.addr,
                relay_login: l.relay.login.clone(),
                relay_password_hash: dovecot_hash(&l.relay.password).await?,
                site_owner: l.site_owner.clone(),
            }),
            None => None,
        };
        services
            .validate_with(routing.as_ref())
            .map_err(|e| anyhow!("{e}"))?;
        // The directories with their owners and modes, the lookup
        // database's shared with group postfix, as in production.
        services.prepare_dirs().map_err(|e| anyhow!("{e}"))?;
        self_signed_cert(
            &tools.openssl,
            &services.paths.tls_cert,
            &services.paths.tls_key,
        )?;
        let mail_tools = MailTools::default();
        // `postfix check` (part of it) creates the queue directories with
        // their owners, about 2 s the first time.
        services
            .write_and_check_with(&mail_tools, routing.as_ref())
            .await
            .map_err(|e| anyhow!("{e}"))?;

        let opendkim = match &services.dkim {
            Some(d) => {
                let daemon = Daemon::builder("opendkim", OPENDKIM, &dir)
                    .arg("-f")
                    .arg("-x")
                    .arg(d.config_file())
                    .current_dir(&dir)
                    .start()?;
                wait_for_path(&daemon, &d.socket).await.context(
                    "OpenDKIM logs only to syslog, which is absent here: check its \
                     configuration with `opendkim -n -x` and the socket directory's owner",
                )?;
                Some(daemon)
            }
            None => None,
        };

        let dovecot = Daemon::builder("dovecot", &tools.dovecot, &dovecot_dir)
            .args(["-F", "-c"])
            .arg(services.dovecot_config_file())
            .current_dir(&dovecot_dir)
            .start()?;
        dovecot
            .wait_for_tcp(services.listeners.imap, READY_TIMEOUT)
            .await?;
        for socket in [
            services.lmtp_socket(),
            services.auth_socket(),
            services.quota_status_socket(),
        ] {
            wait_for_path(&dovecot, &socket).await?;
        }

        // `master -d` under the watchdog: `postfix start-fg` and `master -s`
        // call setsid(), which would take Postfix out of the watchdog's
        // process group.
        let postfix = Daemon::builder("postfix", POSTFIX_MASTER, &postfix_dir)
            .arg("-d")
            .arg("-c")
            .arg(&services.paths.postfix_config_dir)
            .current_dir(&postfix_dir)
            .start()?;
        let server = MailServer {
            postfix,
            dovecot,
            opendkim,
            dir,
            services,
            lists: routing,
            tools: mail_tools,
            mail_gid,
        };
        let l = &server.services.listeners;
        let relay = server.lists.as_ref().map(|r| r.relay);
        for addr in [l.mx, l.submission, l.submissions, l.internal]
            .into_iter()
            .chain(relay)
        {
            if let Err(e) = server.postfix.wait_for_tcp(addr, READY_TIMEOUT).await {
                return Err(e.context(format!(
                    "end of the Postfix maillog:\n{}",
                    server.maillog_tail(30)
                )));
            }
        }
        Ok(server)
    }

    /// Like [`MailServer::start`], but if a program is not installed (or
    /// the test is not root), print `SKIPPED: ...` and return `Ok(None)`,
    /// unless `REQUIRE_MAIL_TESTS=1`.
    pub async fn try_start(dir: &Path, lookup_db: &Path) -> Result<Option<MailServer>> {
        MailServer::try_start_with(dir, lookup_db, &MailOptions::default()).await
    }

    /// [`MailServer::start_with`] with the skipping of
    /// [`MailServer::try_start`].
    pub async fn try_start_with(
        dir: &Path,
        lookup_db: &Path,
        options: &MailOptions,
    ) -> Result<Option<MailServer>> {
        skip_if_missing(
            MailServer::start_with(dir, lookup_db, options).await,
            REQUIRE_ENV,
        )
    }

    /// Whether Postfix, Dovecot, the plugins and tools used are installed
    /// (and we are root): `Ok(true)`, `Ok(false)` after printing
    /// `SKIPPED: ...`, or an error when `REQUIRE_MAIL_TESTS=1`. For tests
    /// that want to skip before building their lookup database.
    pub fn available() -> Result<bool> {
        MailServer::available_with(&MailOptions::default())
    }

    /// [`MailServer::available`] for these options (OpenDKIM too).
    pub fn available_with(options: &MailOptions) -> Result<bool> {
        Ok(skip_if_missing(tools(options), REQUIRE_ENV)?.is_some())
    }

    /// The configuration the daemons run with.
    pub fn services(&self) -> &MailServices {
        &self.services
    }

    /// The MX listener (unauthenticated mail for hosted domains).
    pub fn smtp_addr(&self) -> SocketAddr {
        self.services.listeners.mx
    }

    /// Submission with STARTTLS (the 587 listener).
    pub fn submission_addr(&self) -> SocketAddr {
        self.services.listeners.submission
    }

    /// Submission over implicit TLS (the 465 listener).
    pub fn submissions_addr(&self) -> SocketAddr {
        self.services.listeners.submissions
    }

    /// The listener Dovecot sends automatic replies to.
    pub fn internal_addr(&self) -> SocketAddr {
        self.services.listeners.internal
    }

    /// Dovecot's IMAP (plain text from loopback).
    pub fn imap_addr(&self) -> SocketAddr {
        self.services.listeners.imap
    }

    /// Where Mailman sends (with [`MailServer::start_with_lists`]).
    pub fn list_relay_addr(&self) -> Option<SocketAddr> {
        self.lists.as_ref().map(|r| r.relay)
    }

    /// The list routing the configuration was rendered with.
    pub fn list_routing(&self) -> Option<&ListRouting> {
        self.lists.as_ref()
    }

    /// The self-signed certificate both Postfix and Dovecot present.
    pub fn tls_cert_path(&self) -> &Path {
        &self.services.paths.tls_cert
    }

    /// Where `<address>.sieve` automatic replies go (see
    /// [`MailServer::install_sieve`]).
    pub fn sieve_dir(&self) -> &Path {
        &self.services.paths.sieve_dir
    }

    /// OpenDKIM's directory (config, tables, `keys/`), when started.
    pub fn dkim_dir(&self) -> Option<&Path> {
        self.services.dkim.as_ref().map(|d| d.dir.as_path())
    }

    /// OpenDKIM's pid file, when started.
    pub fn opendkim_pid_file(&self) -> Option<&Path> {
        self.services.dkim.as_ref().map(|d| d.pid_file.as_path())
    }

    /// The Postfix process group (its stdout/stderr log).
    pub fn postfix(&self) -> &Daemon {
        &self.postfix
    }

    /// The Dovecot process group (its log: Dovecot logs to stderr).
    pub fn dovecot(&self) -> &Daemon {
        &self.dovecot
    }

    /// The OpenDKIM process group, when started.
    pub fn opendkim(&self) -> Option<&Daemon> {
        self.opendkim.as_ref()
    }

    /// Where mail is stored: `<vmail>/<maildir>/Maildir`.
    pub fn vmail_dir(&self) -> PathBuf {
        self.services.paths.vmail_root.clone()
    }

    /// The directory everything of this server lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
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

    /// Install `script` as `address`'s automatic-reply script the way the
    /// mail provisioner does: `<sieve_dir>/<address>.sieve`, compiled with
    /// `sievec` (Dovecot cannot write the binary beside a script it does
    /// not own), both readable by the mail user.
    pub fn install_sieve(&self, address: &str, script: &str) -> Result<PathBuf> {
        let (local, domain) = address
            .rsplit_once('@')
            .ok_or_else(|| anyhow!("not a mail address: {address:?}"))?;
        if !safe_name(local) || !safe_name(domain) {
            bail!("address {address:?} does not make a safe file name");
        }
        let path = self.sieve_dir().join(format!("{address}.sieve"));
        write_replace(&path, script.as_bytes(), 0, self.mail_gid, 0o640)?;
        let sievec = require_binary("sievec", "dovecot-sieve")?;
        let mut cmd = Command::new(sievec);
        cmd.arg("-c")
            .arg(self.services.dovecot_config_file())
            .arg(&path);
        run_tool(cmd)?;
        let binary = path.with_extension("svbin");
        chown_mode(&binary, 0, self.mail_gid, 0o640)?;
        Ok(path)
    }

    /// Generate an RSA-2048 DKIM key for `domain` and `selector` where the
    /// mail provisioner puts it, add it to KeyTable and SigningTable
    /// (`*@domain`), and reload OpenDKIM with SIGUSR1 (through
    /// [`MailServices::reload_opendkim`]). Returns the TXT value to publish
    /// at `<selector>._domainkey.<domain>`.
    pub async fn add_dkim_key(&self, domain: &str, selector: &str) -> Result<String> {
        let d = self
            .services
            .dkim
            .as_ref()
            .ok_or_else(|| anyhow!("OpenDKIM was not started (MailOptions::dkim)"))?;
        if !safe_name(domain) || !safe_name(selector) {
            bail!("unsafe DKIM domain or selector: {domain:?} {selector:?}");
        }
        let (dkim_uid, dkim_gid) = passwd_ids(DKIM_USER)?;
        let key = d.key_file(domain, selector);
        let key_dir = key
            .parent()
            .ok_or_else(|| anyhow!("{} has no directory", key.display()))?;
        mkdir(key_dir)?;
        chown_mode(key_dir, 0, dkim_gid, 0o750)?;
        let txt = dkim_keygen(&key)?;
        chown_mode(&key, dkim_uid, dkim_gid, 0o600)?;
        let name = format!("{selector}._domainkey.{domain}");
        for (table, line) in [
            (
                d.key_table(),
                format!("{name} {domain}:{selector}:{}\n", key.display()),
            ),
            (d.signing_table(), format!("*@{domain} {name}\n")),
        ] {
            let mut text = fs::read(&table).unwrap_or_default();
            text.extend_from_slice(line.as_bytes());
            write_replace(&table, &text, 0, 0, 0o644)?;
        }
        self.services
            .reload_opendkim(&self.tools)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        Ok(txt)
    }

    /// Stop Postfix, Dovecot and OpenDKIM (and all their children) with
    /// SIGKILL: OpenDKIM takes 3–5 s over SIGTERM, and a test has nothing
    /// to flush. Idempotent.
    pub fn stop(&mut self) {
        self.postfix.stop();
        self.dovecot.stop();
        if let Some(d) = &mut self.opendkim {
            d.stop();
        }
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

/// A self-signed certificate for [`HOSTNAME`] and 127.0.0.1, valid two
/// days; the key is root's only.
fn self_signed_cert(openssl: &Path, cert: &Path, key: &Path) -> Result<()> {
    let mut cmd = Command::new(openssl);
    cmd.args([
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    ])
    .arg("-keyout")
    .arg(key)
    .arg("-out")
    .arg(cert)
    .args(["-subj", &format!("/CN={HOSTNAME}")])
    .args([
        "-addext",
        &format!("subjectAltName=DNS:{HOSTNAME},IP:127.0.0.1"),
    ]);
    run_tool(cmd)?;
    fs::set_permissions(key, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("chmod {}", key.display()))
}

/// Generate an RSA-2048 private key at `path` (PKCS#8 PEM, as OpenDKIM
/// reads it) with `openssl genpkey`, and return the DKIM TXT value of its
/// public key: `v=DKIM1; k=rsa; p=<base64 DER>`.
pub fn dkim_keygen(path: &Path) -> Result<String> {
    let openssl = require_binary("openssl", "openssl")?;
    let mut cmd = Command::new(&openssl);
    cmd.args([
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
    ])
    .arg("-out")
    .arg(path);
    run_tool(cmd)?;
    let mut cmd = Command::new(&openssl);
    cmd.args(["pkey", "-pubout", "-in"]).arg(path);
    let out = run_tool(cmd)?;
    // The PEM body is the base64 of the DER public key.
    let pem = String::from_utf8_lossy(&out.stdout);
    let p: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    if p.is_empty() {
        bail!("openssl pkey printed no public key: {pem}");
    }
    Ok(format!("v=DKIM1; k=rsa; p={p}"))
}

/// Verify the first DKIM signature of `raw_message` with `opendkim -t`,
/// fetching keys from the DNS server at `dns` (PowerDNS in tests) through
/// OpenDKIM's libunbound. Returns OpenDKIM's verdict line, which contains
/// `succeeded` when the signature verifies.
pub async fn dkim_verify(raw_message: &str, dns: SocketAddr) -> Result<String> {
    let opendkim = require_binary(OPENDKIM, "opendkim")?;
    let dir = tempfile::tempdir().context("creating a temp dir for opendkim -t")?;
    let unbound = dir.path().join("unbound.conf");
    // `test.` is one of libunbound's built-in local zones (answered
    // NXDOMAIN without a query) unless told otherwise.
    fs::write(
        &unbound,
        format!(
            "server:\n  do-not-query-localhost: no\n  module-config: \"iterator\"\n  \
             local-zone: \"test.\" nodefault\nforward-zone:\n  name: \".\"\n  \
             forward-addr: {}@{}\n",
            dns.ip(),
            dns.port()
        ),
    )
    .with_context(|| format!("writing {}", unbound.display()))?;
    let conf = dir.path().join("verify.conf");
    fs::write(
        &conf,
        format!(
            "Mode v\nSyslog no\nResolverConfiguration {}\n",
            unbound.display()
        ),
    )
    .with_context(|| format!("writing {}", conf.display()))?;
    let message = dir.path().join("message.eml");
    fs::write(&message, crlf(raw_message))
        .with_context(|| format!("writing {}", message.display()))?;
    let mut cmd = Command::new(opendkim);
    cmd.arg("-x").arg(&conf).arg("-t").arg(&message);
    let out = tokio::task::spawn_blocking(move || run_bounded(cmd, TOOL_TIMEOUT))
        .await
        .context("waiting for opendkim -t")??;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find(|l| l.contains("verification") || l.contains("succeeded") || l.contains("failed"))
        .map(|l| l.trim().to_owned())
        .ok_or_else(|| anyhow!("opendkim -t gave no verdict ({}): {text}", out.status))
}

/// `text` with every line ending as CRLF.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

// ---------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------

/// Send one plain-text message through `server` with lettre over plain SMTP:
/// envelope and headers from `from` and `to`. With `login`, authenticate
/// first (AUTH PLAIN without TLS, which none of [`MailServer`]'s listeners
/// offers: use [`send_submission`] to log in). Returns the SMTP error text
/// on failure.
pub async fn send(
    server: SocketAddr,
    from: &str,
    to: &[&str],
    subject: &str,
    body: &str,
    login: Option<(&str, &str)>,
) -> Result<(), String> {
    let message = message(from, to, subject, body)?;
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

fn message(from: &str, to: &[&str], subject: &str, body: &str) -> Result<Message, String> {
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
    builder.body(body.to_owned()).map_err(|e| e.to_string())
}

/// A complete plain-text message (with `Date` and `Message-ID`) as
/// [`send_submission`] takes it; `extra_headers` (e.g. `("List-Id",
/// "<team.example.test>")`) come first.
pub fn build_message(
    from: &str,
    to: &[&str],
    subject: &str,
    body: &str,
    extra_headers: &[(&str, &str)],
) -> Result<String> {
    let formatted = message(from, to, subject, body)
        .map_err(|e| anyhow!(e))?
        .formatted();
    let mut text = String::new();
    for (name, value) in extra_headers {
        if name.contains([':', '\r', '\n']) || value.contains(['\r', '\n']) {
            bail!("bad header {name:?}: {value:?}");
        }
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&String::from_utf8_lossy(&formatted));
    Ok(text)
}

/// How [`send_submission`] secures the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// No TLS at all (to see a listener refuse it).
    None,
    /// STARTTLS, required (`smtp://` with `--ssl-reqd`).
    Starttls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// Submit `raw_message` with the `curl` CLI: envelope `from` and `to`,
/// SASL `login` (user, password) if given. The certificate is not verified
/// (the harness's is self-signed; its name is checked nowhere else either).
/// On refusal, returns the server's error replies and curl's own message.
pub async fn send_submission(
    server: SocketAddr,
    tls: Tls,
    login: Option<(&str, &str)>,
    from: &str,
    to: &[&str],
    raw_message: &str,
) -> Result<(), String> {
    let curl = require_binary("curl", "curl").map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let file = dir.path().join("message.eml");
    fs::write(&file, crlf(raw_message)).map_err(|e| format!("writing the message: {e}"))?;
    let scheme = if tls == Tls::Implicit {
        "smtps"
    } else {
        "smtp"
    };
    let mut cmd = Command::new(curl);
    // `-v` prints the server's replies, which are the useful part of an
    // error; the path of the URL is the EHLO name.
    cmd.args(["-sS", "-v", "-k", "--max-time"])
        .arg(CLIENT_TIMEOUT.as_secs().to_string())
        .arg("--url")
        .arg(format!(
            "{scheme}://{}:{}/client.konbit.test",
            server.ip(),
            server.port()
        ));
    if tls == Tls::Starttls {
        cmd.arg("--ssl-reqd");
    }
    cmd.arg("--mail-from").arg(from);
    for rcpt in to {
        cmd.arg("--mail-rcpt").arg(rcpt);
    }
    if let Some((user, password)) = login {
        cmd.arg("--user").arg(format!("{user}:{password}"));
    }
    cmd.arg("--upload-file").arg(&file);
    let out = tokio::task::spawn_blocking(move || run_bounded(cmd, CLIENT_TIMEOUT * 2))
        .await
        .map_err(|e| format!("waiting for curl: {e}"))?
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut lines: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("< "))
        .filter(|l| l.starts_with('4') || l.starts_with('5'))
        .collect();
    lines.extend(stderr.lines().filter(|l| l.starts_with("curl: ")));
    Err(if lines.is_empty() {
        format!("curl failed ({}): {stderr}", out.status)
    } else {
        lines.join("\n")
    })
}

/// A raw plain-text SMTP conversation: read the greeting, then send each
/// command and read its whole reply (all lines of a multi-line reply,
/// joined with `\n`). Returns the greeting and the replies; stops early if
/// the server closes the connection.
pub async fn smtp_probe(server: SocketAddr, commands: &[&str]) -> Result<Vec<String>> {
    tokio::time::timeout(CLIENT_TIMEOUT, async {
        let stream = TcpStream::connect(server)
            .await
            .with_context(|| format!("connecting to SMTP {server}"))?;
        let mut stream = BufReader::new(stream);
        let mut replies = Vec::new();
        let Some(greeting) = smtp_reply(&mut stream).await? else {
            bail!("{server} closed the connection before its greeting");
        };
        replies.push(greeting);
        for command in commands {
            stream
                .get_mut()
                .write_all(format!("{command}\r\n").as_bytes())
                .await
                .context("writing to the SMTP server")?;
            match smtp_reply(&mut stream).await? {
                Some(reply) => replies.push(reply),
                None => break,
            }
        }
        Ok(replies)
    })
    .await
    .map_err(|_| anyhow!("SMTP conversation with {server} timed out"))?
}

async fn smtp_reply(stream: &mut BufReader<TcpStream>) -> Result<Option<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if stream
            .read_line(&mut line)
            .await
            .context("reading from the SMTP server")?
            == 0
        {
            return Ok((!lines.is_empty()).then(|| lines.join("\n")));
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        // `250-…` continues, `250 …` ends a reply.
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last {
            return Ok(Some(lines.join("\n")));
        }
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
    imap_with_inbox(server, user, password, |imap, exists| {
        Box::pin(async move {
            if exists == 0 {
                Ok(None)
            } else {
                imap.fetch_body(exists).await.map(Some)
            }
        })
    })
    .await
}

/// How many messages `user`'s INBOX holds.
pub async fn imap_count(server: SocketAddr, user: &str, password: &str) -> Result<u32> {
    imap_with_inbox(server, user, password, |_, exists| {
        Box::pin(async move { Ok(exists) })
    })
    .await
}

/// Whether `user` may log in with `password` (`Ok(false)` for a `NO`).
pub async fn imap_login_ok(server: SocketAddr, user: &str, password: &str) -> Result<bool> {
    tokio::time::timeout(CLIENT_TIMEOUT, async {
        let mut imap = Imap::connect(server).await?;
        let ok = imap.login(user, password).await?;
        if ok {
            // The answer does not matter any more.
            let _ = imap.command("LOGOUT").await;
        }
        Ok(ok)
    })
    .await
    .map_err(|_| anyhow!("IMAP session with {server} timed out"))?
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// LOGIN, SELECT INBOX, run `then` with the message count, LOGOUT; all
/// within [`CLIENT_TIMEOUT`].
async fn imap_with_inbox<T>(
    server: SocketAddr,
    user: &str,
    password: &str,
    then: impl for<'a> FnOnce(&'a mut Imap, u32) -> BoxFuture<'a, Result<T>>,
) -> Result<T> {
    tokio::time::timeout(CLIENT_TIMEOUT, async {
        let mut imap = Imap::connect(server).await?;
        if !imap.login(user, password).await? {
            bail!("IMAP LOGIN refused: {}", imap.last_tagged);
        }
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
        let result = then(&mut imap, exists).await?;
        // The answer does not matter any more.
        let _ = imap.command("LOGOUT").await;
        Ok(result)
    })
    .await
    .map_err(|_| anyhow!("IMAP session with {server} timed out"))?
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

struct Imap {
    stream: BufReader<TcpStream>,
    tag: u32,
    last_tagged: String,
}

impl Imap {
    async fn connect(server: SocketAddr) -> Result<Imap> {
        let stream = TcpStream::connect(server)
            .await
            .with_context(|| format!("connecting to IMAP {server}"))?;
        let mut imap = Imap {
            stream: BufReader::new(stream),
            tag: 0,
            last_tagged: String::new(),
        };
        let greeting = imap.line().await?;
        if !greeting.starts_with("* OK") {
            bail!("unexpected IMAP greeting: {greeting}");
        }
        Ok(imap)
    }

    /// LOGIN: `Ok(true)` on OK, `Ok(false)` on NO (kept in `last_tagged`).
    async fn login(&mut self, user: &str, password: &str) -> Result<bool> {
        let tag = self
            .send(&format!("LOGIN {} {}", quote(user), quote(password)))
            .await?;
        loop {
            let line = self.line().await?;
            let Some(rest) = line.strip_prefix(&tag).and_then(|r| r.strip_prefix(' ')) else {
                continue;
            };
            let ok = rest.starts_with("OK");
            if !ok && !rest.starts_with("NO") {
                bail!("IMAP LOGIN failed: {line}");
            }
            self.last_tagged = line;
            return Ok(ok);
        }
    }

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
