//! The Postfix, Dovecot and OpenDKIM configurations of one mail setup,
//! rendered from a typed [`MailServices`], written atomically and checked
//! with the daemons' own tools before anything is reloaded.
//!
//! # Listeners and what each one accepts
//!
//! - **MX** (`listeners.mx`, port 25 in production): unauthenticated mail
//!   for hosted domains only (`reject_unauth_destination`, no
//!   `permit_mynetworks`, so a local process cannot relay through it). It
//!   never offers AUTH, and a MAIL FROM that is a hosted address is refused
//!   (`reject_unauthenticated_sender_login_mismatch`): outsiders cannot
//!   pretend to be a hosted mailbox. Dovecot's `quota-status` policy refuses
//!   mail for a full mailbox at RCPT time, so the sending server keeps the
//!   error and we send no bounce (no backscatter). A disabled mailbox is
//!   refused at RCPT too ([`DISABLED_MAILBOX_QUERY`]).
//! - **Submission** (587, STARTTLS required before AUTH) and
//!   **submissions** (465, implicit TLS): SASL through Dovecot, nothing
//!   without a login, and the envelope sender must belong to the login
//!   (`smtpd_sender_login_maps`). Signed by OpenDKIM.
//! - **Internal** (loopback only): where Dovecot sends its automatic replies
//!   (`submission_host`). They leave with the null sender `<>`, so only mail
//!   with the null sender may be relayed out; anything else is treated as on
//!   the MX. Signed by OpenDKIM.
//! - **Lists** (loopback only, with [`ListRouting`]): where Mailman sends
//!   every post and notice. Members' sites run on this host and can reach
//!   any loopback port, so it relays nothing for an unknown client: it
//!   needs SMTP AUTH as [`ListRouting::relay_login`] (a Dovecot passdb of
//!   its own, usable from loopback only; no mailbox login is taken there),
//!   and the envelope sender must be an address of a routed list (or
//!   Mailman's site owner), else the mail is deferred (450: Mailman retries
//!   it rather than counting a bounce for each recipient). Signed by
//!   OpenDKIM.
//!
//! # Mailing lists
//!
//! With [`ListRouting`] (the `*_with` methods), list addresses are routed
//! to Mailman's LMTP through the lookup database's `list_routes` (see
//! [`super::schema`]): `transport_maps` is a sqlite map, read on every
//! lookup, so a new list receives mail as soon as its rows are written,
//! with no `postfix reload`. `recipient_delimiter = +` is set, so that
//! `team-confirm+TOKEN@d` and VERP'd `team-bounces+…@d` are found under
//! their base address and reach Mailman whole. It also gives every mailbox
//! `+` sub-addresses (`ada+news@d` is delivered to `ada@d`). Without
//! `ListRouting` the files are exactly as before.
//!
//! The sqlite maps use the queries of [`super::schema::postfix_queries`];
//! Dovecot reads the same lookup database (see [`super::schema`]).
//!
//! Postfix runs with every service unchrooted (a chrooted smtpd cannot open
//! the lookup database) and logs through `postlogd` when `maillog` is set,
//! because containers and CI machines have no syslog.
//!
//! [`MailServices::prepare_dirs`] creates the directories the daemons use,
//! each with the owner and mode its daemon needs, and
//! [`MailServices::ensure_lookup_db`] the lookup database; `konbit
//! mail-server setup` and the testkit's mail servers both go through them.

use std::fmt::Write as _;
use std::fs;
use std::io::{ErrorKind, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;

use super::schema::postfix_queries;
use crate::command::run_checked;

/// How long one check or reload tool may run. The first `postfix check`
/// on a new queue directory creates it, which takes about 2 s.
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// The user Postfix's daemons run as; Dovecot's sockets are given to it.
const POSTFIX_USER: &str = "postfix";
/// A unix socket path must fit `sun_path` (108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Why a configuration could not be rendered, written, checked or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value cannot go into a configuration file as it is.
    #[error("mail configuration: {field} {value:?}: {reason}")]
    Invalid {
        field: &'static str,
        value: String,
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("mail configuration: {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    /// A daemon's own checker refused the configuration (after
    /// [`MailServices::write_and_check`], the previous files are back).
    #[error("{tool} refused the mail configuration: {output}")]
    Check { tool: &'static str, output: String },
    /// A reload could not be sent.
    #[error("reloading {daemon}: {message}")]
    Reload {
        daemon: &'static str,
        message: String,
    },
}

fn invalid(
    field: &'static str,
    value: impl Into<String>,
    reason: impl Into<String>,
) -> ConfigError {
    ConfigError::Invalid {
        field,
        value: value.into(),
        reason: reason.into(),
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> ConfigError {
    ConfigError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// One mail setup: which names, paths and ports Postfix, Dovecot and
/// OpenDKIM use. Every field is checked by [`MailServices::validate`]
/// before it is written into a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailServices {
    /// The MX name: Postfix's `myhostname`, Dovecot's `hostname`, the name
    /// the TLS certificate is for.
    pub hostname: String,
    /// Where Dovecot's LMTP sends reports (`postmaster_address`).
    pub postmaster: String,
    /// The system user that owns the stored mail (Debian's `mail`, or a
    /// dedicated `vmail`).
    pub mail_user: String,
    /// Its uid: Dovecot refuses mail access below `first_valid_uid`, and
    /// system users sit below the default of 500.
    pub mail_uid: u32,
    pub paths: MailPaths,
    pub listeners: MailListeners,
    /// DKIM signing of outgoing mail; `None` runs without OpenDKIM.
    pub dkim: Option<DkimSettings>,
}

/// Mailing lists served by Mailman 3 core: how Postfix reaches it and how
/// it sends. The same values go into Mailman's own `[mta]` section
/// (`lmtp_host`/`lmtp_port`, `smtp_host`/`smtp_port`,
/// `smtp_user`/`smtp_pass`, and `[mailman] site_owner`).
#[derive(Clone, PartialEq, Eq)]
pub struct ListRouting {
    /// Mailman's LMTP runner; Postfix delivers list mail there.
    pub lmtp: SocketAddr,
    /// The Postfix listener Mailman sends through; must be a loopback
    /// address.
    pub relay: SocketAddr,
    /// The SASL login Mailman authenticates with on `relay` (a system-user
    /// style name: it can never be a mailbox's address). Only this login
    /// may relay there.
    pub relay_login: String,
    /// Its password as Dovecot verifies it: `{ARGON2ID}` and an Argon2id
    /// PHC string (`konbit_app::password::hash`). Written only into a
    /// root-only (0600) Dovecot file.
    pub relay_password_hash: String,
    /// Mailman's `site_owner`: the envelope sender of the few messages
    /// Mailman sends for no list in particular (`None`: they are
    /// deferred). Everything a list sends, posts, notices and mail to its
    /// owners alike, leaves with its `-bounces` address (VERP'd or not).
    pub site_owner: Option<String>,
}

/// Never shows the password hash.
impl std::fmt::Debug for ListRouting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRouting")
            .field("lmtp", &self.lmtp)
            .field("relay", &self.relay)
            .field("relay_login", &self.relay_login)
            .field("relay_password_hash", &"…")
            .field("site_owner", &self.site_owner)
            .finish()
    }
}

/// Where every daemon reads and writes. All absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPaths {
    /// The SQLite lookup database (see [`super::schema`]).
    pub lookup_db: PathBuf,
    /// Mail is stored under `<vmail_root>/<maildir>/Maildir`.
    pub vmail_root: PathBuf,
    /// Holds `<address>.sieve` (and its compiled `.svbin`), run before the
    /// mailbox's own Sieve script: the panel's automatic replies.
    pub sieve_dir: PathBuf,
    /// `main.cf`, `master.cf` and the sqlite map files are written here.
    pub postfix_config_dir: PathBuf,
    /// Postfix's `queue_directory`, beside the config directory, not in it.
    pub postfix_queue_dir: PathBuf,
    /// Postfix's `data_directory` (owned by user postfix).
    pub postfix_data_dir: PathBuf,
    /// Where Postfix finds `dynamicmaps.cf` (Debian: `/etc/postfix`).
    pub postfix_meta_dir: PathBuf,
    /// Postfix's log file, written by postlogd; `None` logs to syslog.
    pub maillog: Option<PathBuf>,
    /// `dovecot.conf` and `dovecot-sql.conf.ext` are written here.
    pub dovecot_config_dir: PathBuf,
    /// Dovecot's `base_dir`: its sockets (LMTP, auth, quota-status).
    pub dovecot_base_dir: PathBuf,
    /// Dovecot's `state_dir`.
    pub dovecot_state_dir: PathBuf,
    /// Dovecot's `log_path`; `None` logs to syslog.
    pub dovecot_log: Option<PathBuf>,
    /// PEM certificate chain and key for SMTP and IMAP TLS.
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
}

/// The addresses the daemons listen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailListeners {
    /// Incoming mail for hosted domains (port 25).
    pub mx: SocketAddr,
    /// Submission with STARTTLS (587).
    pub submission: SocketAddr,
    /// Submission over implicit TLS (465).
    pub submissions: SocketAddr,
    /// Dovecot's automatic replies; must be a loopback address.
    pub internal: SocketAddr,
    /// IMAP (143): plain-text logins only after STARTTLS or from loopback.
    pub imap: SocketAddr,
    /// IMAP over implicit TLS (993), if wanted.
    pub imaps: Option<SocketAddr>,
}

/// OpenDKIM, signing mail from the submission and internal listeners and
/// mail Postfix itself picks up.
///
/// The mail provisioner owns the tables and keys: it writes
/// [`key_file`](Self::key_file)s, then [`key_table`](Self::key_table) and
/// [`signing_table`](Self::signing_table), then sends SIGUSR1 to the pid in
/// [`pid_file`](Self::pid_file). This module only points OpenDKIM at them
/// and creates empty tables when there are none yet, so OpenDKIM starts
/// before the first key exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSettings {
    /// Holds `opendkim.conf`, `KeyTable`, `SigningTable` and
    /// `keys/<domain>/<selector>.private`.
    pub dir: PathBuf,
    /// The milter socket. Its directory must be writable by `user` (the
    /// socket is made after OpenDKIM drops privileges) and searchable by
    /// group postfix (Postfix keeps no supplementary groups):
    /// `opendkim:postfix 0750`.
    pub socket: PathBuf,
    pub pid_file: PathBuf,
    /// The user OpenDKIM runs as (`UserID`).
    pub user: String,
    /// OpenDKIM's `RequireSafeKeys`: refuse keys that someone other than
    /// root or `user` could read or replace, checked up every ancestor
    /// directory. Only tests with keys under `/tmp` turn it off.
    pub require_safe_keys: bool,
}

impl DkimSettings {
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("opendkim.conf")
    }

    /// `keyname domain:selector:keyfile`, one line per key.
    pub fn key_table(&self) -> PathBuf {
        self.dir.join("KeyTable")
    }

    /// `*@domain keyname`, one line per domain (a `refile` table).
    pub fn signing_table(&self) -> PathBuf {
        self.dir.join("SigningTable")
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.dir.join("keys")
    }

    /// `<dir>/keys/<domain>/<selector>.private`. `domain` and `selector`
    /// must already be validated names: they are joined as they are.
    pub fn key_file(&self, domain: &str, selector: &str) -> PathBuf {
        self.keys_dir()
            .join(domain)
            .join(format!("{selector}.private"))
    }
}

/// One rendered file: its name inside the daemon's directory, its text and
/// its mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    pub name: &'static str,
    pub text: String,
    pub mode: u32,
}

/// The programs used to check and reload; [`MailTools::default`] gives
/// Debian's paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTools {
    pub postfix: PathBuf,
    pub doveconf: PathBuf,
    pub doveadm: PathBuf,
    pub opendkim: PathBuf,
    pub kill: PathBuf,
}

impl Default for MailTools {
    fn default() -> Self {
        MailTools {
            postfix: "/usr/sbin/postfix".into(),
            doveconf: "/usr/bin/doveconf".into(),
            doveadm: "/usr/bin/doveadm".into(),
            opendkim: "/usr/sbin/opendkim".into(),
            kill: "/bin/kill".into(),
        }
    }
}

// Postfix file names, in `postfix_config_dir`.
pub const POSTFIX_MAIN: &str = "main.cf";
pub const POSTFIX_MASTER: &str = "master.cf";
pub const MAP_DOMAINS: &str = "sqlite-domains.cf";
pub const MAP_MAILBOXES: &str = "sqlite-mailboxes.cf";
pub const MAP_ALIASES: &str = "sqlite-aliases.cf";
pub const MAP_SENDER_LOGINS: &str = "sqlite-sender-logins.cf";
pub const MAP_DISABLED_MAILBOXES: &str = "sqlite-disabled-mailboxes.cf";
/// With [`ListRouting`]: Mailman's LMTP for every list address.
pub const MAP_LIST_TRANSPORT: &str = "sqlite-list-transport.cf";
/// With [`ListRouting`]: the envelope senders Mailman's listener accepts.
pub const MAP_LIST_SENDERS: &str = "sqlite-list-senders.cf";

/// An access(5) lookup refusing a disabled mailbox at RCPT.
///
/// [`postfix_queries::ALIASES`] maps every mailbox to itself, enabled or
/// not, so that a catch-all never takes a disabled mailbox's mail. But
/// Postfix's `smtpd_reject_unlisted_recipient` takes any address found in
/// `virtual_alias_maps` as known, so without this check the mail would be
/// accepted, refused by Dovecot's LMTP, and bounced by us (backscatter).
/// It belongs with the other queries in [`super::schema`]; it is here until
/// it moves there.
pub const DISABLED_MAILBOX_QUERY: &str = "SELECT '550 5.1.1 User unknown' FROM mailboxes \
     WHERE address = '%s' AND enabled = 0";
// Dovecot file names, in `dovecot_config_dir`.
pub const DOVECOT_CONF: &str = "dovecot.conf";
pub const DOVECOT_SQL: &str = "dovecot-sql.conf.ext";
/// With [`ListRouting`]: the passdb of Mailman's relay login (mode 0600).
pub const DOVECOT_LIST_RELAY: &str = "dovecot-list-relay.conf.ext";
// Dovecot socket names, in `dovecot_base_dir`.
pub const LMTP_SOCKET: &str = "lmtp";
pub const AUTH_SOCKET: &str = "auth-postfix";
pub const QUOTA_STATUS_SOCKET: &str = "quota-status";

impl MailServices {
    pub fn dovecot_config_file(&self) -> PathBuf {
        self.paths.dovecot_config_dir.join(DOVECOT_CONF)
    }

    /// Where Dovecot's LMTP listens for Postfix.
    pub fn lmtp_socket(&self) -> PathBuf {
        self.paths.dovecot_base_dir.join(LMTP_SOCKET)
    }

    /// Where Dovecot answers Postfix's SASL questions.
    pub fn auth_socket(&self) -> PathBuf {
        self.paths.dovecot_base_dir.join(AUTH_SOCKET)
    }

    /// Where Dovecot's quota policy service listens for Postfix.
    pub fn quota_status_socket(&self) -> PathBuf {
        self.paths.dovecot_base_dir.join(QUOTA_STATUS_SOCKET)
    }

    /// Check every value that goes into a file: names and paths hold only
    /// characters no daemon reads specially, the listeners do not collide,
    /// and the internal listener is on loopback.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_with(None)
    }

    /// [`validate`](Self::validate), and the list routing: Mailman's
    /// listener on loopback, apart from the other listeners, and Mailman's
    /// LMTP not one of ours.
    pub fn validate_with(&self, lists: Option<&ListRouting>) -> Result<(), ConfigError> {
        self.values(lists).map(|_| ())
    }

    fn values(&self, lists: Option<&ListRouting>) -> Result<Values, ConfigError> {
        let p = &self.paths;
        let hostname = hostname("hostname", &self.hostname)?;
        let postmaster = address("postmaster", &self.postmaster)?;
        let mail_user = user_name("mail_user", &self.mail_user)?;
        if self.mail_uid == 0 {
            return Err(invalid("mail_uid", "0", "mail must not be stored as root"));
        }
        let dovecot_base_dir = conf_path("dovecot_base_dir", &p.dovecot_base_dir)?;
        for socket in [LMTP_SOCKET, AUTH_SOCKET, QUOTA_STATUS_SOCKET] {
            socket_fits("dovecot_base_dir", &dovecot_base_dir, socket)?;
        }
        let dkim = match &self.dkim {
            None => None,
            Some(d) => {
                let socket = conf_path("dkim.socket", &d.socket)?;
                if socket.len() > MAX_SOCKET_PATH {
                    return Err(invalid(
                        "dkim.socket",
                        socket,
                        format!("a unix socket path has at most {MAX_SOCKET_PATH} bytes"),
                    ));
                }
                Some(DkimValues {
                    dir: conf_path("dkim.dir", &d.dir)?,
                    socket,
                    pid_file: conf_path("dkim.pid_file", &d.pid_file)?,
                    user: user_name("dkim.user", &d.user)?,
                    require_safe_keys: d.require_safe_keys,
                })
            }
        };
        let l = &self.listeners;
        if !l.internal.ip().is_loopback() {
            return Err(invalid(
                "listeners.internal",
                l.internal.to_string(),
                "must be a loopback address: it relays mail with the null sender for anyone \
                 who can reach it",
            ));
        }
        let mut smtp = vec![
            ("listeners.mx", l.mx),
            ("listeners.submission", l.submission),
            ("listeners.submissions", l.submissions),
            ("listeners.internal", l.internal),
        ];
        let lists = lists.map(|r| list_values(r, &smtp)).transpose()?;
        if let Some(r) = &lists {
            smtp.push(("lists.relay", r.relay));
        }
        let mut imap = vec![("listeners.imap", l.imap)];
        if let Some(imaps) = l.imaps {
            imap.push(("listeners.imaps", imaps));
        }
        for group in [&smtp[..], &imap[..]] {
            for (i, (name, a)) in group.iter().enumerate() {
                if a.port() == 0 {
                    return Err(invalid(name, a.to_string(), "needs a port"));
                }
                if let Some((other, _)) = group[..i].iter().find(|(_, b)| overlap(*a, *b)) {
                    return Err(invalid(
                        name,
                        a.to_string(),
                        format!("collides with {other}"),
                    ));
                }
            }
        }
        Ok(Values {
            hostname,
            postmaster,
            mail_user,
            lookup_db: conf_path("lookup_db", &p.lookup_db)?,
            vmail_root: conf_path("vmail_root", &p.vmail_root)?,
            sieve_dir: conf_path("sieve_dir", &p.sieve_dir)?,
            postfix_config_dir: conf_path("postfix_config_dir", &p.postfix_config_dir)?,
            postfix_queue_dir: conf_path("postfix_queue_dir", &p.postfix_queue_dir)?,
            postfix_data_dir: conf_path("postfix_data_dir", &p.postfix_data_dir)?,
            postfix_meta_dir: conf_path("postfix_meta_dir", &p.postfix_meta_dir)?,
            maillog: p
                .maillog
                .as_deref()
                .map(|m| conf_path("maillog", m))
                .transpose()?,
            dovecot_config_dir: conf_path("dovecot_config_dir", &p.dovecot_config_dir)?,
            dovecot_base_dir,
            dovecot_state_dir: conf_path("dovecot_state_dir", &p.dovecot_state_dir)?,
            dovecot_log: p
                .dovecot_log
                .as_deref()
                .map(|m| conf_path("dovecot_log", m))
                .transpose()?,
            tls_cert: conf_path("tls_cert", &p.tls_cert)?,
            tls_key: conf_path("tls_key", &p.tls_key)?,
            dkim,
            lists,
        })
    }

    // -----------------------------------------------------------------------
    // Postfix
    // -----------------------------------------------------------------------

    /// Every file of `postfix_config_dir`: `main.cf`, `master.cf` and the
    /// sqlite maps.
    pub fn postfix_files(&self) -> Result<Vec<ConfigFile>, ConfigError> {
        self.postfix_files_with(None)
    }

    /// [`postfix_files`](Self::postfix_files), routing list addresses to
    /// Mailman when `lists` is given (two more maps, and Mailman's
    /// listener in `master.cf`).
    pub fn postfix_files_with(
        &self,
        lists: Option<&ListRouting>,
    ) -> Result<Vec<ConfigFile>, ConfigError> {
        let v = self.values(lists)?;
        let map = |name, query: &str| ConfigFile {
            name,
            text: format!(
                "# Written by Konbit; changes made here are lost.\ndbpath = {}\nquery = {query}\n",
                v.lookup_db
            ),
            mode: 0o644,
        };
        let aliases = match &v.lists {
            Some(_) => postfix_queries::ALIASES_WITH_LISTS,
            None => postfix_queries::ALIASES,
        };
        let disabled = match &v.lists {
            Some(_) => postfix_queries::DISABLED_WITH_LISTS,
            None => DISABLED_MAILBOX_QUERY,
        };
        let mut files = vec![
            ConfigFile {
                name: POSTFIX_MAIN,
                text: self.render_main_cf(&v),
                mode: 0o644,
            },
            ConfigFile {
                name: POSTFIX_MASTER,
                text: self.render_master_cf(&v),
                mode: 0o644,
            },
            map(MAP_DOMAINS, postfix_queries::DOMAINS),
            map(MAP_MAILBOXES, postfix_queries::MAILBOXES),
            map(MAP_ALIASES, aliases),
            map(MAP_SENDER_LOGINS, postfix_queries::SENDER_LOGINS),
            map(MAP_DISABLED_MAILBOXES, disabled),
        ];
        if let Some(r) = &v.lists {
            files.push(map(
                MAP_LIST_TRANSPORT,
                &postfix_queries::list_transport(&r.transport),
            ));
            files.push(map(
                MAP_LIST_SENDERS,
                &postfix_queries::list_senders(r.site_owner.as_deref()),
            ));
        }
        Ok(files)
    }

    fn render_main_cf(&self, v: &Values) -> String {
        let l = &self.listeners;
        let ips: Vec<IpAddr> = [l.mx, l.submission, l.submissions, l.internal]
            .iter()
            .chain(v.lists.as_ref().map(|r| &r.relay))
            .map(SocketAddr::ip)
            .collect();
        let interfaces = if ips.iter().all(IpAddr::is_loopback) {
            "loopback-only"
        } else {
            "all"
        };
        let protocols = match (
            ips.iter().any(IpAddr::is_ipv4),
            ips.iter().any(IpAddr::is_ipv6),
        ) {
            (true, true) => "all",
            (false, true) => "ipv6",
            _ => "ipv4",
        };
        let cfg = &v.postfix_config_dir;
        let base = &v.dovecot_base_dir;
        let mut s = String::new();
        let mut line = |key: &str, value: &str| {
            let _ = writeln!(s, "{key} = {value}");
        };
        line("compatibility_level", "3.6");
        line("myhostname", &v.hostname);
        line("myorigin", "$myhostname");
        // Every hosted domain is virtual: no local delivery, no aliases(5).
        line("mydestination", "");
        line("local_recipient_maps", "");
        line("alias_maps", "");
        line("alias_database", "");
        line("inet_interfaces", interfaces);
        line("inet_protocols", protocols);
        line("mynetworks", "127.0.0.0/8");
        line("biff", "no");
        line("append_dot_mydomain", "no");
        line("smtpd_banner", "$myhostname ESMTP");
        line("meta_directory", &v.postfix_meta_dir);
        line("queue_directory", &v.postfix_queue_dir);
        line("data_directory", &v.postfix_data_dir);
        if let Some(maillog) = &v.maillog {
            line("maillog_file", maillog);
            let dir = maillog.rsplit_once('/').map_or("/", |(d, _)| d);
            line(
                "maillog_file_prefixes",
                &format!("/var, /dev/stdout, {dir}"),
            );
        }
        line(
            "virtual_mailbox_domains",
            &format!("sqlite:{cfg}/{MAP_DOMAINS}"),
        );
        line(
            "virtual_mailbox_maps",
            &format!("sqlite:{cfg}/{MAP_MAILBOXES}"),
        );
        line("virtual_alias_maps", &format!("sqlite:{cfg}/{MAP_ALIASES}"));
        // The default ($virtual_alias_maps) would look domains up in the
        // alias table.
        line("virtual_alias_domains", "");
        line(
            "virtual_transport",
            &format!("lmtp:unix:{base}/{LMTP_SOCKET}"),
        );
        line(
            "smtpd_sender_login_maps",
            &format!("sqlite:{cfg}/{MAP_SENDER_LOGINS}"),
        );
        line("smtpd_tls_cert_file", &v.tls_cert);
        line("smtpd_tls_key_file", &v.tls_key);
        line("smtpd_tls_security_level", "may");
        line("smtpd_tls_auth_only", "yes");
        line("smtpd_tls_mandatory_protocols", ">=TLSv1.2");
        line("smtp_tls_security_level", "may");
        // SASL is switched on per listener in master.cf.
        line("smtpd_sasl_auth_enable", "no");
        line("smtpd_sasl_type", "dovecot");
        line("smtpd_sasl_path", &format!("{base}/{AUTH_SOCKET}"));
        line("smtpd_sasl_security_options", "noanonymous");
        line("smtpd_sasl_tls_security_options", "noanonymous");
        // The defaults are the MX's; each listener sets its own in master.cf.
        line("smtpd_relay_restrictions", "reject_unauth_destination");
        line("smtpd_recipient_restrictions", "");
        line("smtpd_sender_restrictions", "");
        // Values with spaces or braces cannot be given with `-o` in
        // master.cf, so the listeners refer to these by name.
        let disabled = format!("check_recipient_access sqlite:{cfg}/{MAP_DISABLED_MAILBOXES}");
        line(
            "konbit_mx_recipient_restrictions",
            &format!(
                "{disabled}, check_policy_service {{ unix:{base}/{QUOTA_STATUS_SOCKET}, \
                 default_action=DUNNO, timeout=10s }}"
            ),
        );
        line("konbit_local_recipient_restrictions", &disabled);
        line(
            "konbit_internal_relay_restrictions",
            "check_sender_access inline:{ <>=OK }, reject_unauth_destination",
        );
        if let Some(r) = &v.lists {
            // `team-confirm+TOKEN@d` is looked up as itself, then as
            // `team-confirm@d`; the extension is kept on the way to
            // Mailman (`propagate_unmatched_extensions`, default).
            line("recipient_delimiter", "+");
            line(
                "transport_maps",
                &format!("sqlite:{cfg}/{MAP_LIST_TRANSPORT}"),
            );
            line(
                "konbit_lists_client_restrictions",
                &format!("check_sasl_access inline:{{ {}=OK }}, reject", r.login),
            );
            line(
                "konbit_lists_sender_restrictions",
                &format!("check_sender_access sqlite:{cfg}/{MAP_LIST_SENDERS}, defer"),
            );
        }
        line("smtpd_milters", "");
        match &v.dkim {
            Some(d) => line("non_smtpd_milters", &format!("unix:{}", d.socket)),
            None => line("non_smtpd_milters", ""),
        }
        // Unsigned mail must not leave while OpenDKIM restarts.
        line("milter_default_action", "tempfail");
        format!("# Written by Konbit; changes made here are lost.\n{s}")
    }

    fn render_master_cf(&self, v: &Values) -> String {
        let l = &self.listeners;
        let milter = v.dkim.as_ref().map(|d| format!("unix:{}", d.socket));
        let mut s = String::from(
            "# Written by Konbit; changes made here are lost.\n\
             # Every service unchrooted: a chrooted daemon cannot open the lookup database.\n",
        );
        let mut service = |addr: SocketAddr, options: &[String]| {
            let _ = writeln!(s, "{} inet n - n - - smtpd", postfix_listen(addr));
            for o in options {
                let _ = writeln!(s, "  -o {o}");
            }
        };
        let o = |k: &str, v: &str| format!("{k}={v}");

        service(
            l.mx,
            &[
                // SASL must be on for the sender login check; AUTH itself is
                // neither offered nor accepted here.
                o("smtpd_sasl_auth_enable", "yes"),
                o("smtpd_tls_auth_only", "yes"),
                o("smtpd_discard_ehlo_keywords", "auth"),
                o(
                    "smtpd_sender_restrictions",
                    "reject_unauthenticated_sender_login_mismatch",
                ),
                o("smtpd_relay_restrictions", "reject_unauth_destination"),
                o(
                    "smtpd_recipient_restrictions",
                    "$konbit_mx_recipient_restrictions",
                ),
                o("smtpd_milters", ""),
            ],
        );
        let submission = |name: &str, wrapper: bool| {
            let mut opts = vec![o("syslog_name", &format!("postfix/{name}"))];
            if wrapper {
                opts.push(o("smtpd_tls_wrappermode", "yes"));
            }
            opts.extend([
                o("smtpd_tls_security_level", "encrypt"),
                o("smtpd_tls_auth_only", "yes"),
                o("smtpd_sasl_auth_enable", "yes"),
                o("smtpd_discard_ehlo_keywords", ""),
                o(
                    "smtpd_client_restrictions",
                    "permit_sasl_authenticated,reject",
                ),
                o("smtpd_sender_restrictions", "reject_sender_login_mismatch"),
                o(
                    "smtpd_relay_restrictions",
                    "permit_sasl_authenticated,reject",
                ),
                o(
                    "smtpd_recipient_restrictions",
                    "$konbit_local_recipient_restrictions",
                ),
                o("milter_macro_daemon_name", "ORIGINATING"),
            ]);
            if let Some(m) = &milter {
                opts.push(o("smtpd_milters", m));
                opts.push(o("milter_default_action", "tempfail"));
            }
            opts
        };
        service(l.submission, &submission("submission", false));
        service(l.submissions, &submission("submissions", true));
        let mut internal = vec![
            o("syslog_name", "postfix/internal"),
            o("smtpd_tls_security_level", "none"),
            o("smtpd_sasl_auth_enable", "yes"),
            o("smtpd_tls_auth_only", "yes"),
            o("smtpd_discard_ehlo_keywords", "auth"),
            o(
                "smtpd_sender_restrictions",
                "reject_unauthenticated_sender_login_mismatch",
            ),
            o(
                "smtpd_relay_restrictions",
                "$konbit_internal_relay_restrictions",
            ),
            o(
                "smtpd_recipient_restrictions",
                "$konbit_local_recipient_restrictions",
            ),
            o("milter_macro_daemon_name", "ORIGINATING"),
        ];
        if let Some(m) = &milter {
            internal.push(o("smtpd_milters", m));
            internal.push(o("milter_default_action", "tempfail"));
        }
        service(l.internal, &internal);
        if let Some(r) = &v.lists {
            // Mailman's outgoing mail: its login only (loopback, plain
            // text: Mailman does not start TLS by default), list senders
            // only, to anyone.
            let mut lists = vec![
                o("syslog_name", "postfix/lists"),
                o("smtpd_tls_security_level", "none"),
                o("smtpd_sasl_auth_enable", "yes"),
                o("smtpd_tls_auth_only", "no"),
                o(
                    "smtpd_client_restrictions",
                    "$konbit_lists_client_restrictions",
                ),
                o(
                    "smtpd_sender_restrictions",
                    "$konbit_lists_sender_restrictions",
                ),
                o(
                    "smtpd_relay_restrictions",
                    "permit_sasl_authenticated,reject",
                ),
                o(
                    "smtpd_recipient_restrictions",
                    "$konbit_local_recipient_restrictions",
                ),
                o("milter_macro_daemon_name", "ORIGINATING"),
            ];
            if let Some(m) = &milter {
                lists.push(o("smtpd_milters", m));
                lists.push(o("milter_default_action", "tempfail"));
            }
            service(r.relay, &lists);
        }

        s.push_str(
            "\
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
",
        );
        s
    }

    // -----------------------------------------------------------------------
    // Dovecot
    // -----------------------------------------------------------------------

    /// Every file of `dovecot_config_dir`: `dovecot.conf` and
    /// `dovecot-sql.conf.ext` (mode 0600: it names the password column).
    pub fn dovecot_files(&self) -> Result<Vec<ConfigFile>, ConfigError> {
        self.dovecot_files_with(None)
    }

    /// [`dovecot_files`](Self::dovecot_files), with the passdb of
    /// Mailman's relay login (`dovecot-list-relay.conf.ext`, mode 0600: it
    /// holds the password hash) when `lists` is given.
    pub fn dovecot_files_with(
        &self,
        lists: Option<&ListRouting>,
    ) -> Result<Vec<ConfigFile>, ConfigError> {
        let v = self.values(lists)?;
        let mut files = vec![
            ConfigFile {
                name: DOVECOT_CONF,
                text: self.render_dovecot_conf(&v),
                mode: 0o644,
            },
            ConfigFile {
                name: DOVECOT_SQL,
                text: render_dovecot_sql(&v),
                mode: 0o600,
            },
        ];
        if let Some(r) = &v.lists {
            files.push(ConfigFile {
                name: DOVECOT_LIST_RELAY,
                text: render_dovecot_list_relay(&v.lookup_db, r),
                mode: 0o600,
            });
        }
        Ok(files)
    }

    fn render_dovecot_conf(&self, v: &Values) -> String {
        let l = &self.listeners;
        let uid = self.mail_uid;
        let base = &v.dovecot_base_dir;
        let sql = format!("{}/{DOVECOT_SQL}", v.dovecot_config_dir);
        let mut s = String::from("# Written by Konbit; changes made here are lost.\n");
        let _ = writeln!(s, "protocols = imap lmtp");
        let _ = writeln!(s, "listen = {}", dovecot_ip(l.imap.ip()));
        let _ = writeln!(s, "base_dir = {base}");
        let _ = writeln!(s, "state_dir = {}", v.dovecot_state_dir);
        if let Some(log) = &v.dovecot_log {
            let _ = writeln!(s, "log_path = {log}");
        }
        let _ = writeln!(s, "hostname = {}", v.hostname);
        let _ = writeln!(s, "ssl = yes");
        let _ = writeln!(s, "ssl_cert = <{}", v.tls_cert);
        let _ = writeln!(s, "ssl_key = <{}", v.tls_key);
        let _ = writeln!(s, "ssl_min_protocol = TLSv1.2");
        // Plain-text passwords only over TLS, or from this machine to itself.
        let _ = writeln!(s, "disable_plaintext_auth = yes");
        let _ = writeln!(s, "auth_mechanisms = plain login");
        let _ = writeln!(s, "auth_username_format = %Lu");
        let _ = writeln!(s, "mail_location = maildir:~/Maildir");
        let _ = writeln!(s, "mail_uid = {}", v.mail_user);
        let _ = writeln!(s, "mail_gid = {}", v.mail_user);
        let _ = writeln!(s, "first_valid_uid = {uid}");
        let _ = writeln!(s, "last_valid_uid = {uid}");
        let _ = writeln!(s, "mail_plugins = $mail_plugins quota");
        // A full mailbox is refused at RCPT, before the message is sent.
        let _ = writeln!(s, "lmtp_rcpt_check_quota = yes");
        // Automatic replies leave through Postfix's internal listener.
        let _ = writeln!(s, "submission_host = {}", dovecot_host_port(l.internal));
        let _ = writeln!(
            s,
            "passdb {{\n  driver = sql\n  args = {sql}\n}}\nuserdb {{\n  driver = sql\n  args = {sql}\n}}"
        );
        if v.lists.is_some() {
            // Tried after the mailboxes' passdb; knows one login only, and
            // no userdb has it, so it opens no mailbox.
            let _ = writeln!(
                s,
                "passdb {{\n  driver = sql\n  args = {}/{DOVECOT_LIST_RELAY}\n}}",
                v.dovecot_config_dir
            );
        }
        let _ = writeln!(s, "namespace inbox {{\n  inbox = yes\n}}");
        let imaps = match l.imaps {
            Some(a) => format!(
                "    address = {}\n    port = {}\n",
                dovecot_ip(a.ip()),
                a.port()
            ),
            None => "    port = 0\n".to_owned(),
        };
        let _ = writeln!(
            s,
            "service imap-login {{\n  inet_listener imap {{\n    address = {}\n    port = {}\n  }}\n  \
             inet_listener imaps {{\n{imaps}  }}\n}}",
            dovecot_ip(l.imap.ip()),
            l.imap.port()
        );
        let for_postfix = |name: &str| {
            format!(
                "  unix_listener {name} {{\n    mode = 0660\n    user = {POSTFIX_USER}\n    \
                 group = {POSTFIX_USER}\n  }}\n"
            )
        };
        let _ = writeln!(s, "service lmtp {{\n{}}}", for_postfix(LMTP_SOCKET));
        let _ = writeln!(s, "service auth {{\n{}}}", for_postfix(AUTH_SOCKET));
        let _ = writeln!(
            s,
            "service quota-status {{\n  executable = quota-status -p postfix\n{}  client_limit = 1\n}}",
            for_postfix(QUOTA_STATUS_SOCKET)
        );
        let _ = writeln!(
            s,
            "protocol imap {{\n  mail_plugins = $mail_plugins imap_quota\n}}"
        );
        let _ = writeln!(
            s,
            "protocol lmtp {{\n  postmaster_address = {}\n  mail_plugins = $mail_plugins sieve\n}}",
            v.postmaster
        );
        s.push_str(
            "\
plugin {
  quota = count:User quota
  quota_vsizes = yes
  # Unlimited unless the userdb gives a quota_rule.
  quota_rule = *:storage=0
  # The message that crosses the limit may still go 10 % over it.
  quota_grace = 10%%
  quota_exceeded_message = Quota exceeded (mailbox for user is full)
  quota_status_success = DUNNO
  quota_status_nouser = DUNNO
  quota_status_overquota = \"552 5.2.2 Mailbox is full\"
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_vacation_min_period = 1d
  # Replies leave with the null sender, so they never bounce back.
  sieve_vacation_send_from_recipient = no
}
",
        );
        s
    }

    // -----------------------------------------------------------------------
    // OpenDKIM
    // -----------------------------------------------------------------------

    /// `opendkim.conf` (in [`DkimSettings::dir`]), or nothing without DKIM.
    pub fn opendkim_files(&self) -> Result<Vec<ConfigFile>, ConfigError> {
        let v = self.values(None)?;
        let Some(d) = &v.dkim else {
            return Ok(Vec::new());
        };
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut s = String::from("# Written by Konbit; changes made here are lost.\n");
        let mut line = |key: &str, value: &str| {
            let _ = writeln!(s, "{key} {value}");
        };
        line("Mode", "s");
        line("Socket", &format!("local:{}", d.socket));
        line("PidFile", &d.pid_file);
        line("UserID", &d.user);
        // The socket is guarded by its directory (opendkim:postfix 0750).
        line("UMask", "0111");
        line("Syslog", "yes");
        line("SyslogSuccess", "yes");
        line("LogWhy", "yes");
        line("Canonicalization", "relaxed/simple");
        line("KeyTable", &format!("file:{}/KeyTable", d.dir));
        line("SigningTable", &format!("refile:{}/SigningTable", d.dir));
        line("OversignHeaders", "From");
        // Postfix names the submission and internal listeners ORIGINATING;
        // mail Postfix picks up itself comes from 127.0.0.1.
        line("MTA", "ORIGINATING");
        line("InternalHosts", "127.0.0.1");
        line("RequireSafeKeys", yes_no(d.require_safe_keys));
        Ok(vec![ConfigFile {
            name: "opendkim.conf",
            text: s,
            mode: 0o644,
        }])
    }

    // -----------------------------------------------------------------------
    // Writing, checking, reloading
    // -----------------------------------------------------------------------

    /// Write every file (each one atomically: a temporary file, then a
    /// rename) and check the result with `postfix check`, `doveconf -n` and
    /// `opendkim -n`. If a check fails, the previous files are put back and
    /// the error quotes the tool. Also creates empty DKIM tables when there
    /// are none, so OpenDKIM starts before the first key. Reloads nothing.
    ///
    /// The directories must exist; `postfix check` creates the queue's
    /// subdirectories with their owners.
    pub async fn write_and_check(&self, tools: &MailTools) -> Result<(), ConfigError> {
        self.write_and_check_with(tools, None).await
    }

    /// [`write_and_check`](Self::write_and_check) with the files of
    /// [`postfix_files_with`](Self::postfix_files_with) and
    /// [`dovecot_files_with`](Self::dovecot_files_with). Without `lists`,
    /// the list files a previous setup wrote (the relay's password hash
    /// among them) are removed, and put back if a check fails.
    pub async fn write_and_check_with(
        &self,
        tools: &MailTools,
        lists: Option<&ListRouting>,
    ) -> Result<(), ConfigError> {
        let mut plan = Vec::new();
        for f in self.postfix_files_with(lists)? {
            plan.push((self.paths.postfix_config_dir.join(f.name), f));
        }
        for f in self.dovecot_files_with(lists)? {
            plan.push((self.paths.dovecot_config_dir.join(f.name), f));
        }
        if let Some(d) = &self.dkim {
            for f in self.opendkim_files()? {
                plan.push((d.dir.join(f.name), f));
            }
            for table in [d.key_table(), d.signing_table()] {
                create_if_missing(&table, 0o644)?;
            }
        }
        let mut previous = Vec::with_capacity(plan.len());
        for (path, file) in &plan {
            let old = match read_with_mode(path) {
                Ok(old) => old,
                Err(e) => {
                    restore(&previous);
                    return Err(e);
                }
            };
            previous.push((path.clone(), old));
            if let Err(e) = write_atomically(path, file.text.as_bytes(), file.mode) {
                restore(&previous);
                return Err(e);
            }
        }
        if lists.is_none() {
            let stale = [
                self.paths.postfix_config_dir.join(MAP_LIST_TRANSPORT),
                self.paths.postfix_config_dir.join(MAP_LIST_SENDERS),
                self.paths.dovecot_config_dir.join(DOVECOT_LIST_RELAY),
            ];
            for path in stale {
                let removed = read_with_mode(&path).and_then(|old| {
                    if old.is_some() {
                        fs::remove_file(&path).map_err(|e| io_error(&path, &e))?;
                    }
                    Ok(old)
                });
                match removed {
                    Ok(old) => previous.push((path, old)),
                    Err(e) => {
                        restore(&previous);
                        return Err(e);
                    }
                }
            }
        }
        if let Err(e) = self.check(tools).await {
            restore(&previous);
            return Err(e);
        }
        Ok(())
    }

    /// Check the files as they are on disk with the daemons' own tools.
    pub async fn check(&self, tools: &MailTools) -> Result<(), ConfigError> {
        let mut postfix = Command::new(&tools.postfix);
        // A relative `-c` makes postfix fail without a word.
        postfix
            .arg("-c")
            .arg(absolute(&self.paths.postfix_config_dir)?)
            .arg("check");
        run_checked(postfix, TOOL_TIMEOUT)
            .await
            .map_err(|output| ConfigError::Check {
                tool: "postfix check",
                output,
            })?;
        let mut doveconf = Command::new(&tools.doveconf);
        doveconf.arg("-n").arg("-c").arg(self.dovecot_config_file());
        run_checked(doveconf, TOOL_TIMEOUT)
            .await
            .map_err(|output| ConfigError::Check {
                tool: "doveconf",
                output,
            })?;
        if let Some(d) = &self.dkim {
            let mut opendkim = Command::new(&tools.opendkim);
            opendkim.arg("-n").arg("-x").arg(d.config_file());
            run_checked(opendkim, TOOL_TIMEOUT)
                .await
                .map_err(|output| ConfigError::Check {
                    tool: "opendkim -n",
                    output,
                })?;
        }
        Ok(())
    }

    /// `postfix -c DIR reload`, for a Postfix started with `postfix start`.
    pub async fn reload_postfix(&self, tools: &MailTools) -> Result<(), ConfigError> {
        let mut cmd = Command::new(&tools.postfix);
        cmd.arg("-c")
            .arg(absolute(&self.paths.postfix_config_dir)?)
            .arg("reload");
        run_checked(cmd, TOOL_TIMEOUT)
            .await
            .map(|_| ())
            .map_err(|message| ConfigError::Reload {
                daemon: "postfix",
                message,
            })
    }

    /// `doveadm -c FILE reload`.
    pub async fn reload_dovecot(&self, tools: &MailTools) -> Result<(), ConfigError> {
        let mut cmd = Command::new(&tools.doveadm);
        cmd.arg("-c").arg(self.dovecot_config_file()).arg("reload");
        run_checked(cmd, TOOL_TIMEOUT)
            .await
            .map(|_| ())
            .map_err(|message| ConfigError::Reload {
                daemon: "dovecot",
                message,
            })
    }

    /// SIGUSR1 to the OpenDKIM in the pid file: it reads its configuration
    /// and tables again before the next message. Refuses a pid that is not
    /// an `opendkim` process (a stale pid file).
    pub async fn reload_opendkim(&self, tools: &MailTools) -> Result<(), ConfigError> {
        let reload_error = |message: String| ConfigError::Reload {
            daemon: "opendkim",
            message,
        };
        let Some(d) = &self.dkim else {
            return Err(reload_error("DKIM is not configured".to_owned()));
        };
        let pid = opendkim_pid(&d.pid_file).map_err(reload_error)?;
        let mut cmd = Command::new(&tools.kill);
        cmd.arg("-USR1").arg(pid.to_string());
        run_checked(cmd, TOOL_TIMEOUT)
            .await
            .map(|_| ())
            .map_err(reload_error)
    }
}

// ---------------------------------------------------------------------------
// Directories
// ---------------------------------------------------------------------------

/// A system user's uid and primary gid: what a daemon runs as (Postfix and
/// Dovecot's mail processes keep no supplementary groups).
type Ids = (u32, u32);

fn system_user(field: &'static str, name: &str, hint: &str) -> Result<Ids, ConfigError> {
    crate::files::user_ids(name).ok_or_else(|| {
        invalid(
            field,
            name,
            format!("there is no such system user ({hint})"),
        )
    })
}

/// What [`make_dir`] does to a directory that exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// Leave its owner and mode: a daemon or the operator set them.
    Keep,
    /// Give it the owner and mode asked for.
    Reset,
}

impl MailServices {
    /// Create every directory the daemons use, with the owner and mode each
    /// one needs, so that [`write_and_check`](Self::write_and_check) can
    /// write and the daemons can start. Needs root. Idempotent.
    ///
    /// | directory | owner | mode |
    /// | --- | --- | --- |
    /// | `vmail_root` | `mail_user` and its group | 0770 |
    /// | `sieve_dir` (written by Konbit, read by LMTP) | root, group of `mail_user` | 0750 |
    /// | the lookup database's | group postfix (WAL: every reader writes `-shm`) | 2770 |
    /// | `postfix_config_dir`, `dovecot_config_dir` | root | 0755 |
    /// | `postfix_data_dir` | postfix | 0700 |
    /// | `dkim.dir` | root (kept if it exists) | 0755 |
    /// | `dkim.dir/keys` | root, group of `dkim.user` | 0750 |
    /// | the DKIM socket's | `dkim.user`, group postfix | 0750 |
    ///
    /// The queue, Dovecot's `base_dir` and `state_dir`, the log files' and
    /// the TLS files' directories are created if missing (the TLS ones
    /// 0700: Postfix and Dovecot read the key as root) and otherwise left
    /// as they are. Missing parents are created root 0711: the daemons'
    /// users pass through them without listing them. Existing directories
    /// above are not changed, but each daemon user must be able to pass
    /// through them: the error names the one that stops it. The lookup
    /// database's directory must hold nothing else, since group postfix may
    /// write there.
    pub fn prepare_dirs(&self) -> Result<(), ConfigError> {
        self.validate()?;
        let p = &self.paths;
        let postfix = system_user(
            "postfix user",
            POSTFIX_USER,
            "install Postfix: Debian package postfix",
        )?;
        let mail = system_user(
            "mail_user",
            &self.mail_user,
            "create it, or use Debian's `mail`",
        )?;
        if mail.0 != self.mail_uid {
            return Err(invalid(
                "mail_uid",
                self.mail_uid.to_string(),
                format!("is not the uid of {} ({})", self.mail_user, mail.0),
            ));
        }
        let dkim = match &self.dkim {
            Some(d) => Some((
                d,
                system_user(
                    "dkim.user",
                    &d.user,
                    "install OpenDKIM: Debian package opendkim",
                )?,
            )),
            None => None,
        };
        let lookup_dir = parent("lookup_db", &p.lookup_db)?;
        let mut others = vec![
            ("vmail_root", p.vmail_root.as_path()),
            ("sieve_dir", &p.sieve_dir),
            ("postfix_config_dir", &p.postfix_config_dir),
            ("postfix_queue_dir", &p.postfix_queue_dir),
            ("postfix_data_dir", &p.postfix_data_dir),
            ("dovecot_config_dir", &p.dovecot_config_dir),
            ("dovecot_base_dir", &p.dovecot_base_dir),
            ("dovecot_state_dir", &p.dovecot_state_dir),
            ("tls_cert", &p.tls_cert),
            ("tls_key", &p.tls_key),
        ];
        if let Some((d, _)) = &dkim {
            others.extend([("dkim.dir", d.dir.as_path()), ("dkim.socket", &d.socket)]);
        }
        if let Some((field, other)) = others.iter().find(|(_, o)| o.starts_with(lookup_dir)) {
            return Err(invalid(
                "lookup_db",
                p.lookup_db.display().to_string(),
                format!(
                    "its directory {} is given to group postfix (mode 2770), so it cannot also \
                     hold {field} ({}): give the database a directory of its own",
                    lookup_dir.display(),
                    other.display()
                ),
            ));
        }

        make_dir(&p.vmail_root, Some(mail), 0o770, Existing::Reset)?;
        make_dir(&p.sieve_dir, Some((0, mail.1)), 0o750, Existing::Reset)?;
        make_dir(lookup_dir, Some((0, postfix.1)), 0o2770, Existing::Keep)?;
        crate::files::share_with_group(&p.lookup_db, POSTFIX_USER, "postfix").map_err(
            |message| ConfigError::Io {
                path: p.lookup_db.clone(),
                message,
            },
        )?;
        make_dir(&p.postfix_config_dir, Some((0, 0)), 0o755, Existing::Reset)?;
        // `postfix check` gives the queue's subdirectories their owners.
        make_dir(&p.postfix_queue_dir, Some((0, 0)), 0o755, Existing::Keep)?;
        make_dir(&p.postfix_data_dir, Some(postfix), 0o700, Existing::Reset)?;
        make_dir(&p.dovecot_config_dir, Some((0, 0)), 0o755, Existing::Reset)?;
        make_dir(&p.dovecot_base_dir, Some((0, 0)), 0o755, Existing::Keep)?;
        make_dir(&p.dovecot_state_dir, Some((0, 0)), 0o755, Existing::Keep)?;
        for (field, log) in [("maillog", &p.maillog), ("dovecot_log", &p.dovecot_log)] {
            if let Some(log) = log.as_deref().filter(|l| !l.starts_with("/dev")) {
                make_dir(parent(field, log)?, Some((0, 0)), 0o755, Existing::Keep)?;
            }
        }
        for (field, file) in [("tls_cert", &p.tls_cert), ("tls_key", &p.tls_key)] {
            make_dir(parent(field, file)?, Some((0, 0)), 0o700, Existing::Keep)?;
        }
        if let Some((d, ids)) = &dkim {
            make_dir(&d.dir, Some((0, 0)), 0o755, Existing::Keep)?;
            make_dir(&d.keys_dir(), Some((0, ids.1)), 0o750, Existing::Reset)?;
            // OpenDKIM makes its socket after it dropped to its user;
            // Postfix reaches it with group postfix alone.
            let socket_dir = parent("dkim.socket", &d.socket)?;
            make_dir(socket_dir, Some((ids.0, postfix.1)), 0o750, Existing::Reset)?;
            make_dir(
                parent("dkim.pid_file", &d.pid_file)?,
                Some((0, 0)),
                0o755,
                Existing::Keep,
            )?;
        }

        // (setting, its value, the directory to reach, who, as whom)
        let mut reach = vec![
            ("lookup_db", &p.lookup_db, lookup_dir, POSTFIX_USER, postfix),
            (
                "postfix_data_dir",
                &p.postfix_data_dir,
                &p.postfix_data_dir,
                POSTFIX_USER,
                postfix,
            ),
            (
                "dovecot_base_dir",
                &p.dovecot_base_dir,
                &p.dovecot_base_dir,
                POSTFIX_USER,
                postfix,
            ),
            (
                "vmail_root",
                &p.vmail_root,
                &p.vmail_root,
                self.mail_user.as_str(),
                mail,
            ),
            (
                "sieve_dir",
                &p.sieve_dir,
                &p.sieve_dir,
                self.mail_user.as_str(),
                mail,
            ),
        ];
        if let Some((d, ids)) = &dkim {
            let socket_dir = parent("dkim.socket", &d.socket)?;
            reach.push(("dkim.socket", &d.socket, socket_dir, d.user.as_str(), *ids));
            reach.push(("dkim.socket", &d.socket, socket_dir, POSTFIX_USER, postfix));
            reach.push(("dkim.dir", &d.dir, &d.dir, d.user.as_str(), *ids));
        }
        for (field, value, dir, who, ids) in reach {
            reachable(field, value, dir, who, ids)?;
        }
        Ok(())
    }

    /// Create the lookup database (its schema, WAL mode, shared with group
    /// postfix) if it does not exist yet, so that Postfix and Dovecot start
    /// on tables rather than on an empty file. The mail provisioner does
    /// the same on its first write.
    pub async fn ensure_lookup_db(&self) -> Result<(), ConfigError> {
        super::lookup::LookupDb::open(
            &self.paths.lookup_db,
            Some(POSTFIX_USER),
            Duration::from_secs(5),
        )
        .await
        .map(drop)
        .map_err(|e| ConfigError::Io {
            path: self.paths.lookup_db.clone(),
            message: e.to_string(),
        })
    }
}

fn parent<'a>(field: &'static str, path: &'a Path) -> Result<&'a Path, ConfigError> {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .ok_or_else(|| invalid(field, path.display().to_string(), "has no directory"))
}

/// Create `dir` (missing parents root 0711) with this owner and mode; an
/// existing one is changed only with [`Existing::Reset`].
fn make_dir(
    dir: &Path,
    owner: Option<Ids>,
    mode: u32,
    existing: Existing,
) -> Result<(), ConfigError> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .skip(1)
        .take_while(|a| !a.exists())
        .collect();
    for a in missing.into_iter().rev() {
        create_dir(a, None, 0o711)?;
    }
    let created = create_dir(dir, owner, mode)?;
    if !created && existing == Existing::Reset {
        set_owner_mode(dir, owner, mode)?;
    }
    Ok(())
}

/// Create one directory with this owner and mode; `false` if it existed.
fn create_dir(dir: &Path, owner: Option<Ids>, mode: u32) -> Result<bool, ConfigError> {
    match fs::create_dir(dir) {
        Ok(()) => {
            set_owner_mode(dir, owner, mode)?;
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            if fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
                Ok(false)
            } else {
                Err(invalid(
                    "directory",
                    dir.display().to_string(),
                    "exists and is not a directory",
                ))
            }
        }
        Err(e) => Err(io_error(dir, &e)),
    }
}

fn set_owner_mode(dir: &Path, owner: Option<Ids>, mode: u32) -> Result<(), ConfigError> {
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|e| io_error(dir, &e))?;
    }
    // Explicitly: the umask narrows the mode given at creation.
    fs::set_permissions(dir, fs::Permissions::from_mode(mode)).map_err(|e| io_error(dir, &e))
}

/// Whether the user `who` (running with only its primary group) may pass
/// through every directory down to and including `dir`, which `field`'s
/// `value` needs.
fn reachable(
    field: &'static str,
    value: &Path,
    dir: &Path,
    who: &str,
    ids: Ids,
) -> Result<(), ConfigError> {
    use std::os::unix::fs::MetadataExt;
    let (uid, gid) = ids;
    if uid == 0 {
        return Ok(());
    }
    for a in dir.ancestors() {
        let meta = fs::metadata(a).map_err(|e| io_error(a, &e))?;
        let bit = if meta.uid() == uid {
            0o100
        } else if meta.gid() == gid {
            0o010
        } else {
            0o001
        };
        if meta.mode() & bit == 0 {
            return Err(invalid(
                field,
                value.display().to_string(),
                format!(
                    "the user {who} cannot reach it: {} (owner {}:{}, mode {:04o}) does not let \
                     it through; allow it with `chmod o+x {}`, or choose a directory it can reach",
                    a.display(),
                    meta.uid(),
                    meta.gid(),
                    meta.mode() & 0o7777,
                    a.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The pid in `pid_file`, if it is a live `opendkim`.
fn opendkim_pid(pid_file: &Path) -> Result<u32, String> {
    let text =
        fs::read_to_string(pid_file).map_err(|e| format!("reading {}: {e}", pid_file.display()))?;
    let pid: u32 = text
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 1)
        .ok_or_else(|| format!("{} holds no pid: {text:?}", pid_file.display()))?;
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() != "opendkim" {
        return Err(format!(
            "pid {pid} from {} is not opendkim (stale pid file?)",
            pid_file.display()
        ));
    }
    Ok(pid)
}

/// Every value of a [`MailServices`], validated and as written into files.
struct Values {
    hostname: String,
    postmaster: String,
    mail_user: String,
    lookup_db: String,
    vmail_root: String,
    sieve_dir: String,
    postfix_config_dir: String,
    postfix_queue_dir: String,
    postfix_data_dir: String,
    postfix_meta_dir: String,
    maillog: Option<String>,
    dovecot_config_dir: String,
    dovecot_base_dir: String,
    dovecot_state_dir: String,
    dovecot_log: Option<String>,
    tls_cert: String,
    tls_key: String,
    dkim: Option<DkimValues>,
    lists: Option<ListValues>,
}

/// A [`ListRouting`], validated, as written into files.
struct ListValues {
    /// `lmtp:inet:[127.0.0.1]:8024`
    transport: String,
    relay: SocketAddr,
    login: String,
    password_hash: String,
    site_owner: Option<String>,
}

fn list_values(
    r: &ListRouting,
    smtp: &[(&'static str, SocketAddr)],
) -> Result<ListValues, ConfigError> {
    if !r.relay.ip().is_loopback() {
        return Err(invalid(
            "lists.relay",
            r.relay.to_string(),
            "must be a loopback address: Mailman sends through it",
        ));
    }
    if r.lmtp.port() == 0 || r.lmtp.ip().is_unspecified() {
        return Err(invalid(
            "lists.lmtp",
            r.lmtp.to_string(),
            "needs an address and a port (Mailman's [mta] lmtp_host and lmtp_port)",
        ));
    }
    if let Some((name, _)) = smtp.iter().find(|(_, a)| overlap(*a, r.lmtp)) {
        return Err(invalid(
            "lists.lmtp",
            r.lmtp.to_string(),
            format!("is Postfix's own {name}: mail would loop"),
        ));
    }
    let login = user_name("lists.relay_login", &r.relay_login)?;
    let hash = &r.relay_password_hash;
    let ok = hash.len() <= 512
        && hash
            .strip_prefix("{ARGON2ID}$argon2id$")
            .is_some_and(|rest| {
                !rest.is_empty()
                    && rest.chars().all(|c| {
                        c.is_ascii_alphanumeric()
                            || matches!(c, '$' | '=' | ',' | '+' | '/' | '.' | '-')
                    })
            });
    if !ok {
        return Err(invalid(
            "lists.relay_password_hash",
            // Never the hash itself in an error.
            "…",
            "must be {ARGON2ID} and an Argon2id PHC string",
        ));
    }
    let site_owner = r
        .site_owner
        .as_deref()
        .map(|a| address("lists.site_owner", a))
        .transpose()?;
    let host = match r.lmtp.ip() {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => ip.to_string(),
    };
    Ok(ListValues {
        transport: format!("lmtp:inet:[{host}]:{}", r.lmtp.port()),
        relay: r.relay,
        login,
        password_hash: hash.clone(),
        site_owner,
    })
}

/// The passdb of Mailman's relay login: a constant query (the hash is in
/// this root-only file, not in the lookup database), for SMTP only (`%s`,
/// the service: IMAP does not know the login) and only from loopback
/// (`allow_nets`), where Mailman's listener is.
fn render_dovecot_list_relay(lookup_db: &str, r: &ListValues) -> String {
    // `%u` is escaped for SQL by Dovecot; the login and the hash were
    // checked to hold no quote and no `%`.
    format!(
        "# Written by Konbit; changes made here are lost.\n\
         driver = sqlite\n\
         connect = {lookup_db}\n\
         password_query = SELECT '{login}' AS user, '{hash}' AS password, \
         '127.0.0.0/8,::1/128' AS allow_nets WHERE '%u' = '{login}' AND '%s' = 'smtp'\n",
        login = r.login,
        hash = r.password_hash,
    )
}

struct DkimValues {
    dir: String,
    socket: String,
    pid_file: String,
    user: String,
    require_safe_keys: bool,
}

fn render_dovecot_sql(v: &Values) -> String {
    // Dovecot escapes %u for SQL itself. The constant parts are validated
    // paths, which hold no quote.
    format!(
        "# Written by Konbit; changes made here are lost.\n\
         driver = sqlite\n\
         connect = {db}\n\
         default_pass_scheme = ARGON2ID\n\
         password_query = SELECT address AS user, password_hash AS password \
         FROM mailboxes WHERE address = '%u' AND enabled = 1\n\
         user_query = SELECT '{vmail}/' || maildir AS home, \
         '*:bytes=' || quota_bytes AS quota_rule, \
         '{sieve}/' || address || '.sieve' AS sieve_before \
         FROM mailboxes WHERE address = '%u' AND enabled = 1\n\
         iterate_query = SELECT address AS user FROM mailboxes WHERE enabled = 1\n",
        db = v.lookup_db,
        vmail = v.vmail_root,
        sieve = v.sieve_dir,
    )
}

/// `[host:]port` as master.cf wants it; no host means every
/// `inet_interfaces` address.
fn postfix_listen(addr: SocketAddr) -> String {
    match addr.ip() {
        ip if ip.is_unspecified() => addr.port().to_string(),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
    }
}

fn dovecot_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => "*".to_owned(),
        ip => ip.to_string(),
    }
}

fn dovecot_host_port(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
    }
}

/// Whether two listeners would fight for the same socket.
fn overlap(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/// A path every daemon reads literally: absolute, normal (no `.`, `..` or
/// empty component), and only letters, digits and `/ . - _ + @`. That
/// leaves out what one of them reads specially: spaces and `,` (lists), `#`
/// (comments), `%` and `$` (variables), quotes and `\`, `:` (map types,
/// `lmtp:unix:`), `{}` (Dovecot sections, Postfix inline maps), `<`
/// (Dovecot file includes), and line breaks.
fn conf_path(field: &'static str, path: &Path) -> Result<String, ConfigError> {
    let Some(s) = path.to_str() else {
        return Err(invalid(field, path.to_string_lossy(), "is not valid UTF-8"));
    };
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '+' | '@')))
    {
        return Err(invalid(
            field,
            s,
            format!(
                "contains {c:?}; a path in a mail configuration may only hold letters, digits \
                 and / . - _ + @"
            ),
        ));
    }
    if !path.is_absolute() {
        return Err(invalid(field, s, "must be an absolute path"));
    }
    // `Path::components` hides `.` and empty components, so look at the
    // text itself.
    if s != "/"
        && s[1..]
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(invalid(
            field,
            s,
            "must be a plain absolute path (no `.`, `..`, `//` or trailing `/`)",
        ));
    }
    Ok(s.to_owned())
}

fn socket_fits(field: &'static str, dir: &str, name: &str) -> Result<(), ConfigError> {
    if dir.len() + 1 + name.len() > MAX_SOCKET_PATH {
        return Err(invalid(
            field,
            dir,
            format!(
                "too long for the socket {name} (a unix socket path has at most {MAX_SOCKET_PATH} bytes)"
            ),
        ));
    }
    Ok(())
}

/// A DNS host name in ASCII: labels of letters, digits and `-`.
fn hostname(field: &'static str, s: &str) -> Result<String, ConfigError> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if s.is_empty() || s.len() > 253 || !s.split('.').all(label_ok) {
        return Err(invalid(
            field,
            s,
            "must be an ASCII host name (letters, digits, `-` and dots)",
        ));
    }
    Ok(s.to_owned())
}

/// `local@host` with a plain local part (letters, digits, `. - _ +`).
fn address(field: &'static str, s: &str) -> Result<String, ConfigError> {
    let ok = s.rsplit_once('@').is_some_and(|(local, host)| {
        !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
            && hostname(field, host).is_ok()
    });
    if !ok {
        return Err(invalid(
            field,
            s,
            "must be a plain address: local@host with letters, digits and . - _ +",
        ));
    }
    Ok(s.to_owned())
}

/// A system user name as Debian's adduser allows by default.
fn user_name(field: &'static str, s: &str) -> Result<String, ConfigError> {
    let mut chars = s.chars();
    let ok = s.len() <= 32
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if !ok {
        return Err(invalid(
            field,
            s,
            "must be a system user name (lowercase letters, digits, `_` and `-`)",
        ));
    }
    Ok(s.to_owned())
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

fn absolute(path: &Path) -> Result<PathBuf, ConfigError> {
    std::path::absolute(path).map_err(|e| io_error(path, &e))
}

/// A file's content and mode, or `None` where there was no file.
type Saved = Option<(Vec<u8>, u32)>;

/// The current content and mode of `path`, or `None` if it does not exist.
fn read_with_mode(path: &Path) -> Result<Saved, ConfigError> {
    match fs::read(path) {
        Ok(bytes) => {
            let mode = fs::metadata(path)
                .map_err(|e| io_error(path, &e))?
                .permissions()
                .mode()
                & 0o7777;
            Ok(Some((bytes, mode)))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path, &e)),
    }
}

/// Put back what [`read_with_mode`] saw. Best effort: this runs after
/// another error, which is the one reported.
fn restore(previous: &[(PathBuf, Saved)]) {
    for (path, old) in previous.iter().rev() {
        let _ = match old {
            Some((bytes, mode)) => write_atomically(path, bytes, *mode),
            None => fs::remove_file(path).map_err(|e| io_error(path, &e)),
        };
    }
}

/// Write `bytes` to a temporary file beside `path` with `mode`, flush it to
/// disk, and rename it over `path`: a reader sees the old file or the new
/// one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ConfigError> {
    let name = path
        .file_name()
        .ok_or_else(|| invalid("file", path.to_string_lossy(), "has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".konbit-tmp");
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have narrowed the mode given at creation, and an
        // old temporary file keeps its own.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(path, &e)
    })
}

fn create_if_missing(path: &Path, mode: u32) -> Result<(), ConfigError> {
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
    {
        Ok(file) => file
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| io_error(path, &e)),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_error(path, &e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn services(root: &Path) -> MailServices {
        let p = |s: &str| root.join(s);
        MailServices {
            hostname: "mx.konbit.test".into(),
            postmaster: "postmaster@konbit.test".into(),
            mail_user: "mail".into(),
            mail_uid: 8,
            paths: MailPaths {
                lookup_db: p("lookup/mail.sqlite3"),
                vmail_root: p("vmail"),
                sieve_dir: p("sieve"),
                postfix_config_dir: p("postfix/etc"),
                postfix_queue_dir: p("postfix/spool"),
                postfix_data_dir: p("postfix/data"),
                postfix_meta_dir: "/etc/postfix".into(),
                maillog: Some(p("postfix/maillog")),
                dovecot_config_dir: p("dovecot"),
                dovecot_base_dir: p("dovecot/run"),
                dovecot_state_dir: p("dovecot/state"),
                dovecot_log: Some("/dev/stderr".into()),
                tls_cert: p("tls/cert.pem"),
                tls_key: p("tls/key.pem"),
            },
            listeners: MailListeners {
                mx: "127.0.0.1:2525".parse().unwrap(),
                submission: "127.0.0.1:2587".parse().unwrap(),
                submissions: "127.0.0.1:2465".parse().unwrap(),
                internal: "127.0.0.1:2526".parse().unwrap(),
                imap: "127.0.0.1:2143".parse().unwrap(),
                imaps: None,
            },
            dkim: Some(DkimSettings {
                dir: p("dkim"),
                socket: p("dkim/run/opendkim.sock"),
                pid_file: p("dkim/run/opendkim.pid"),
                user: "opendkim".into(),
                require_safe_keys: false,
            }),
        }
    }

    const RELAY_HASH: &str = "{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";

    fn routing() -> ListRouting {
        ListRouting {
            lmtp: "127.0.0.1:8024".parse().unwrap(),
            relay: "127.0.0.1:2527".parse().unwrap(),
            relay_login: "konbit-mailman".into(),
            relay_password_hash: RELAY_HASH.into(),
            site_owner: Some("listmaster@konbit.test".into()),
        }
    }

    fn file(files: &[ConfigFile], name: &str) -> String {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.text.clone())
            .unwrap()
    }

    #[test]
    fn a_path_with_a_newline_is_refused_everywhere() {
        let mut s = services(Path::new("/srv/mail"));
        s.paths.sieve_dir = "/srv/mail/sieve\nquery = DROP".into();
        for result in [s.postfix_files(), s.dovecot_files(), s.opendkim_files()] {
            let err = result.unwrap_err();
            assert!(
                matches!(
                    &err,
                    ConfigError::Invalid {
                        field: "sieve_dir",
                        ..
                    }
                ),
                "{err}"
            );
            assert!(err.to_string().contains("'\\n'"), "{err}");
        }
    }

    #[test]
    fn special_characters_and_odd_paths_are_refused() {
        for bad in [
            "/srv/ma il",
            "/srv/m%d",
            "/srv/$x",
            "/srv/'x",
            "/srv/\"x",
            "/srv/#x",
            "/srv/a,b",
            "/srv/a\\b",
            "/srv/a\rb",
            "/srv/a:b",
            "/srv/a{b",
            "relative/path",
            "/srv/../etc",
            "/srv/./x",
            "/srv//x",
            "/srv/x/",
        ] {
            let mut s = services(Path::new("/srv/mail"));
            s.paths.vmail_root = bad.into();
            assert!(
                matches!(
                    s.validate(),
                    Err(ConfigError::Invalid {
                        field: "vmail_root",
                        ..
                    })
                ),
                "{bad:?} was accepted"
            );
        }
        let mut s = services(Path::new("/srv/mail"));
        s.hostname = "mx.example.test\nmydestination = x".into();
        assert!(s.validate().is_err());
        let mut s = services(Path::new("/srv/mail"));
        s.postmaster = "post master@example.test".into();
        assert!(s.validate().is_err());
        let mut s = services(Path::new("/srv/mail"));
        s.dkim.as_mut().unwrap().user = "open,dkim".into();
        assert!(s.validate().is_err());
        let mut s = services(Path::new("/srv/mail"));
        s.paths.dovecot_log = Some("/var/log/dovecot log".into());
        assert!(s.validate().is_err());
    }

    #[test]
    fn listeners_must_not_collide_and_internal_stays_on_loopback() {
        let mut s = services(Path::new("/srv/mail"));
        s.listeners.submissions = "127.0.0.1:2587".parse().unwrap();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("collides with listeners.submission"), "{err}");
        let mut s = services(Path::new("/srv/mail"));
        s.listeners.mx = "0.0.0.0:2526".parse().unwrap();
        assert!(s.validate().is_err(), "0.0.0.0 covers 127.0.0.1");
        let mut s = services(Path::new("/srv/mail"));
        s.listeners.internal = "192.0.2.1:2526".parse().unwrap();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("loopback"), "{err}");
        let mut s = services(Path::new("/srv/mail"));
        s.listeners.imaps = Some("127.0.0.1:2143".parse().unwrap());
        assert!(s.validate().is_err());
    }

    #[test]
    fn a_socket_path_too_long_is_refused() {
        let long = format!("/srv/{}", "d".repeat(100));
        let mut s = services(Path::new("/srv/mail"));
        s.paths.dovecot_base_dir = long.into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("unix socket"), "{err}");
    }

    #[test]
    fn main_cf_has_the_expected_lines() {
        let s = services(Path::new("/srv/mail"));
        let files = s.postfix_files().unwrap();
        let main = file(&files, POSTFIX_MAIN);
        for expected in [
            "myhostname = mx.konbit.test",
            "mydestination = ",
            "inet_interfaces = loopback-only",
            "inet_protocols = ipv4",
            "queue_directory = /srv/mail/postfix/spool",
            "maillog_file = /srv/mail/postfix/maillog",
            "maillog_file_prefixes = /var, /dev/stdout, /srv/mail/postfix",
            "virtual_mailbox_domains = sqlite:/srv/mail/postfix/etc/sqlite-domains.cf",
            "virtual_mailbox_maps = sqlite:/srv/mail/postfix/etc/sqlite-mailboxes.cf",
            "virtual_alias_maps = sqlite:/srv/mail/postfix/etc/sqlite-aliases.cf",
            "virtual_alias_domains = ",
            "virtual_transport = lmtp:unix:/srv/mail/dovecot/run/lmtp",
            "smtpd_sender_login_maps = sqlite:/srv/mail/postfix/etc/sqlite-sender-logins.cf",
            "smtpd_tls_cert_file = /srv/mail/tls/cert.pem",
            "smtpd_sasl_path = /srv/mail/dovecot/run/auth-postfix",
            "smtpd_relay_restrictions = reject_unauth_destination",
            "konbit_mx_recipient_restrictions = check_recipient_access \
             sqlite:/srv/mail/postfix/etc/sqlite-disabled-mailboxes.cf, check_policy_service \
             { unix:/srv/mail/dovecot/run/quota-status, default_action=DUNNO, timeout=10s }",
            "konbit_local_recipient_restrictions = check_recipient_access \
             sqlite:/srv/mail/postfix/etc/sqlite-disabled-mailboxes.cf",
            "konbit_internal_relay_restrictions = check_sender_access inline:{ <>=OK }, \
             reject_unauth_destination",
            "non_smtpd_milters = unix:/srv/mail/dkim/run/opendkim.sock",
            "milter_default_action = tempfail",
        ] {
            assert!(
                main.lines().any(|l| l == expected),
                "no line {expected:?} in:\n{main}"
            );
        }
        assert!(!main.contains("permit_mynetworks"), "{main}");

        let disabled = file(&files, MAP_DISABLED_MAILBOXES);
        assert!(disabled.contains("AND enabled = 0"), "{disabled}");
        let aliases = file(&files, MAP_ALIASES);
        assert!(aliases.contains("dbpath = /srv/mail/lookup/mail.sqlite3\n"));
        assert!(aliases.contains(&format!("query = {}\n", postfix_queries::ALIASES)));
    }

    #[test]
    fn master_cf_listeners() {
        let s = services(Path::new("/srv/mail"));
        let master = file(&s.postfix_files().unwrap(), POSTFIX_MASTER);
        // Every service line has chroot `n` (fifth column).
        for l in master
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
        {
            let cols: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(cols.get(4), Some(&"n"), "{l}");
        }
        for service in [
            "tlsmgr unix",
            "postlog unix-dgram",
            "lmtp unix",
            "anvil unix",
        ] {
            assert!(master.contains(service), "{service}: {master}");
        }
        let block = |head: &str| -> String {
            let start = master.find(head).unwrap();
            let rest = &master[start + head.len()..];
            let end = rest.find("\n1").or_else(|| rest.find("\np")).unwrap();
            rest[..end].to_owned()
        };
        let mx = block("127.0.0.1:2525 inet n - n - - smtpd");
        assert!(mx.contains("-o smtpd_relay_restrictions=reject_unauth_destination"));
        assert!(mx.contains("-o smtpd_discard_ehlo_keywords=auth"));
        assert!(mx.contains("reject_unauthenticated_sender_login_mismatch"));
        assert!(mx.contains("$konbit_mx_recipient_restrictions"));
        assert!(mx.contains("-o smtpd_milters=\n") || mx.ends_with("-o smtpd_milters="));
        let sub = block("127.0.0.1:2587 inet n - n - - smtpd");
        for o in [
            "-o smtpd_tls_security_level=encrypt",
            "-o smtpd_tls_auth_only=yes",
            "-o smtpd_client_restrictions=permit_sasl_authenticated,reject",
            "-o smtpd_sender_restrictions=reject_sender_login_mismatch",
            "-o smtpd_milters=unix:/srv/mail/dkim/run/opendkim.sock",
            "-o milter_default_action=tempfail",
        ] {
            assert!(sub.contains(o), "{o}: {sub}");
        }
        assert!(!sub.contains("wrappermode"));
        let subs = block("127.0.0.1:2465 inet n - n - - smtpd");
        assert!(subs.contains("-o smtpd_tls_wrappermode=yes"));
        let internal = block("127.0.0.1:2526 inet n - n - - smtpd");
        assert!(internal.contains("$konbit_internal_relay_restrictions"));
        assert!(internal.contains("-o smtpd_milters=unix:"));
    }

    #[test]
    fn without_lists_nothing_of_them_is_written() {
        let s = services(Path::new("/srv/mail"));
        let files = s.postfix_files().unwrap();
        assert_eq!(files, s.postfix_files_with(None).unwrap());
        assert!(files.iter().all(|f| f.name != MAP_LIST_TRANSPORT));
        for f in &files {
            for word in ["list", "recipient_delimiter", "transport_maps"] {
                assert!(!f.text.contains(word), "{word} in {}: {}", f.name, f.text);
            }
        }
        let dovecot = s.dovecot_files().unwrap();
        assert_eq!(dovecot.len(), 2);
        assert!(!file(&dovecot, DOVECOT_CONF).contains(DOVECOT_LIST_RELAY));
    }

    #[test]
    fn lists_are_routed_to_mailman() {
        let s = services(Path::new("/srv/mail"));
        let r = routing();
        let files = s.postfix_files_with(Some(&r)).unwrap();
        let main = file(&files, POSTFIX_MAIN);
        for expected in [
            "recipient_delimiter = +",
            "transport_maps = sqlite:/srv/mail/postfix/etc/sqlite-list-transport.cf",
            "virtual_alias_maps = sqlite:/srv/mail/postfix/etc/sqlite-aliases.cf",
            "konbit_lists_client_restrictions = check_sasl_access \
             inline:{ konbit-mailman=OK }, reject",
            "konbit_lists_sender_restrictions = check_sender_access \
             sqlite:/srv/mail/postfix/etc/sqlite-list-senders.cf, defer",
            "inet_interfaces = loopback-only",
        ] {
            assert!(
                main.lines().any(|l| l == expected),
                "no line {expected:?} in:\n{main}"
            );
        }
        assert!(!main.contains("propagate_unmatched_extensions"), "{main}");
        let transport = file(&files, MAP_LIST_TRANSPORT);
        assert!(
            transport.contains(
                "query = SELECT 'lmtp:inet:[127.0.0.1]:8024' FROM list_routes \
                 WHERE address = '%s'\n"
            ),
            "{transport}"
        );
        let senders = file(&files, MAP_LIST_SENDERS);
        assert!(
            senders.contains(
                "query = SELECT 'OK' FROM list_routes WHERE address = '%s' UNION \
                 SELECT 'OK' WHERE '%s' = 'listmaster@konbit.test' COLLATE NOCASE\n"
            ),
            "{senders}"
        );
        let aliases = file(&files, MAP_ALIASES);
        assert!(
            aliases.contains(&format!(
                "query = {}\n",
                postfix_queries::ALIASES_WITH_LISTS
            )),
            "{aliases}"
        );
        // A soft-deleted list's addresses are refused at RCPT, like a
        // disabled mailbox's.
        let disabled = file(&files, MAP_DISABLED_MAILBOXES);
        assert!(
            disabled.contains(&format!(
                "query = {}\n",
                postfix_queries::DISABLED_WITH_LISTS
            )),
            "{disabled}"
        );
        assert!(
            disabled.contains("FROM refused_list_addresses"),
            "{disabled}"
        );

        let master = file(&files, POSTFIX_MASTER);
        let start = master
            .find("127.0.0.1:2527 inet n - n - - smtpd\n")
            .unwrap();
        let block: String = master[start..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            .collect::<Vec<_>>()
            .join("\n");
        for o in [
            "-o syslog_name=postfix/lists",
            "-o smtpd_sasl_auth_enable=yes",
            "-o smtpd_tls_auth_only=no",
            "-o smtpd_client_restrictions=$konbit_lists_client_restrictions",
            "-o smtpd_sender_restrictions=$konbit_lists_sender_restrictions",
            "-o smtpd_relay_restrictions=permit_sasl_authenticated,reject",
            "-o smtpd_recipient_restrictions=$konbit_local_recipient_restrictions",
            "-o milter_macro_daemon_name=ORIGINATING",
            "-o smtpd_milters=unix:/srv/mail/dkim/run/opendkim.sock",
            "-o milter_default_action=tempfail",
        ] {
            assert!(block.lines().any(|l| l.trim() == o), "{o}: {block}");
        }
        assert!(!block.contains("permit_mynetworks"), "{block}");

        // Without a site owner, list addresses only.
        let mut r2 = routing();
        r2.site_owner = None;
        let files = s.postfix_files_with(Some(&r2)).unwrap();
        assert!(!file(&files, MAP_LIST_SENDERS).contains("UNION"));

        let dovecot = s.dovecot_files_with(Some(&r)).unwrap();
        let conf = file(&dovecot, DOVECOT_CONF);
        assert!(
            conf.contains(
                "passdb {\n  driver = sql\n  args = /srv/mail/dovecot/dovecot-list-relay.conf.ext\n}"
            ),
            "{conf}"
        );
        let relay = dovecot
            .iter()
            .find(|f| f.name == DOVECOT_LIST_RELAY)
            .unwrap();
        assert_eq!(relay.mode, 0o600);
        assert!(
            relay.text.contains(&format!(
                "password_query = SELECT 'konbit-mailman' AS user, '{RELAY_HASH}' AS password, \
                 '127.0.0.0/8,::1/128' AS allow_nets WHERE '%u' = 'konbit-mailman' \
                 AND '%s' = 'smtp'\n"
            )),
            "{}",
            relay.text
        );
        // The hash is nowhere else.
        assert!(!conf.contains("argon2id"));
    }

    #[test]
    fn list_routing_values_are_checked() {
        let s = services(Path::new("/srv/mail"));
        let refused = |r: ListRouting, field: &str| {
            let err = s.postfix_files_with(Some(&r)).unwrap_err();
            assert!(
                matches!(&err, ConfigError::Invalid { field: f, .. } if *f == field),
                "{field}: {err}"
            );
            err.to_string()
        };
        let mut r = routing();
        r.relay = "192.0.2.1:2527".parse().unwrap();
        assert!(refused(r, "lists.relay").contains("loopback"));
        let mut r = routing();
        r.relay = "127.0.0.1:2525".parse().unwrap();
        assert!(refused(r, "lists.relay").contains("listeners.mx"));
        let mut r = routing();
        r.lmtp = "127.0.0.1:2526".parse().unwrap();
        assert!(refused(r, "lists.lmtp").contains("loop"));
        let mut r = routing();
        r.lmtp = "0.0.0.0:8024".parse().unwrap();
        refused(r, "lists.lmtp");
        for login in ["", "Konbit", "a@b", "x y", "o'k", "a%u"] {
            let mut r = routing();
            r.relay_login = login.into();
            refused(r, "lists.relay_login");
        }
        for hash in [
            "",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            "{SHA512-CRYPT}$6$salt$hash",
            "{ARGON2ID}$argon2id$v=19$m=1'; DROP TABLE x; --",
            "{ARGON2ID}$argon2id$v=19%u",
            "{ARGON2ID}$argon2id$",
        ] {
            let mut r = routing();
            r.relay_password_hash = hash.into();
            let err = refused(r, "lists.relay_password_hash");
            assert!(hash.len() < 12 || !err.contains(&hash[12..]), "{err}");
        }
        let mut r = routing();
        r.site_owner = Some("owner'@x.test".into());
        refused(r, "lists.site_owner");
        s.validate_with(Some(&routing())).unwrap();
        assert!(!format!("{:?}", routing()).contains("argon2id"));
    }

    #[test]
    fn without_dkim_no_milter_is_named() {
        let mut s = services(Path::new("/srv/mail"));
        s.dkim = None;
        let files = s.postfix_files().unwrap();
        assert!(!file(&files, POSTFIX_MAIN).contains("opendkim"));
        assert!(!file(&files, POSTFIX_MASTER).contains("opendkim"));
        assert!(s.opendkim_files().unwrap().is_empty());
    }

    #[test]
    fn public_listeners_bind_all_interfaces() {
        let mut s = services(Path::new("/srv/mail"));
        s.listeners.mx = "0.0.0.0:25".parse().unwrap();
        s.listeners.submission = "[::]:587".parse().unwrap();
        let files = s.postfix_files().unwrap();
        let main = file(&files, POSTFIX_MAIN);
        assert!(main.contains("inet_interfaces = all\n"), "{main}");
        assert!(main.contains("inet_protocols = all\n"), "{main}");
        let master = file(&files, POSTFIX_MASTER);
        assert!(master.contains("\n25 inet n - n - - smtpd\n"), "{master}");
        assert!(master.contains("\n587 inet n - n - - smtpd\n"), "{master}");
    }

    #[test]
    fn dovecot_files() {
        let s = services(Path::new("/srv/mail"));
        let files = s.dovecot_files().unwrap();
        let sql = files.iter().find(|f| f.name == DOVECOT_SQL).unwrap();
        assert_eq!(sql.mode, 0o600);
        assert!(
            sql.text.contains(
                "user_query = SELECT '/srv/mail/vmail/' || maildir AS home, \
                 '*:bytes=' || quota_bytes AS quota_rule, \
                 '/srv/mail/sieve/' || address || '.sieve' AS sieve_before \
                 FROM mailboxes WHERE address = '%u' AND enabled = 1\n"
            ),
            "{}",
            sql.text
        );
        let conf = file(&files, DOVECOT_CONF);
        for expected in [
            "base_dir = /srv/mail/dovecot/run",
            "ssl_cert = </srv/mail/tls/cert.pem",
            "submission_host = 127.0.0.1:2526",
            "lmtp_rcpt_check_quota = yes",
            "  quota = count:User quota",
            "  quota_vsizes = yes",
            "  quota_grace = 10%%",
            "  sieve_vacation_send_from_recipient = no",
            "  sieve_vacation_min_period = 1d",
            "  executable = quota-status -p postfix",
            "  postmaster_address = postmaster@konbit.test",
            "first_valid_uid = 8",
            "  args = /srv/mail/dovecot/dovecot-sql.conf.ext",
        ] {
            assert!(
                conf.lines().any(|l| l == expected),
                "no line {expected:?} in:\n{conf}"
            );
        }
    }

    #[test]
    fn opendkim_conf() {
        let s = services(Path::new("/srv/mail"));
        let conf = file(&s.opendkim_files().unwrap(), "opendkim.conf");
        for expected in [
            "Socket local:/srv/mail/dkim/run/opendkim.sock",
            "PidFile /srv/mail/dkim/run/opendkim.pid",
            "KeyTable file:/srv/mail/dkim/KeyTable",
            "SigningTable refile:/srv/mail/dkim/SigningTable",
            "UMask 0111",
            "RequireSafeKeys no",
        ] {
            assert!(conf.lines().any(|l| l == expected), "{expected}: {conf}");
        }
        let d = s.dkim.unwrap();
        assert_eq!(
            d.key_file("example.test", "k1"),
            Path::new("/srv/mail/dkim/keys/example.test/k1.private")
        );
    }

    #[test]
    fn atomic_write_and_restore() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.cf");
        write_atomically(&path, b"one\n", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let old = read_with_mode(&path).unwrap();
        let new_path = dir.path().join("b.cf");
        let previous = vec![
            (path.clone(), old),
            (new_path.clone(), read_with_mode(&new_path).unwrap()),
        ];
        write_atomically(&path, b"two\n", 0o644).unwrap();
        write_atomically(&new_path, b"new\n", 0o644).unwrap();
        restore(&previous);
        assert_eq!(fs::read(&path).unwrap(), b"one\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(!new_path.exists());
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    /// As root with Postfix and OpenDKIM installed: every directory gets
    /// its owner and mode, missing parents are made passable, and a
    /// directory that shuts a daemon user out, or a lookup database that
    /// shares its directory, is refused with the path to fix.
    #[test]
    fn prepare_dirs_gives_each_daemon_its_directories() {
        use std::os::unix::fs::MetadataExt;
        let ids = |u: &str| crate::files::user_ids(u);
        let root_user = fs::metadata("/proc/self").map(|m| m.uid()).ok() == Some(0);
        let (Some(postfix), Some(dkim), Some(mail), true) =
            (ids("postfix"), ids("opendkim"), ids("mail"), root_user)
        else {
            eprintln!("SKIPPED: needs root and the users postfix, opendkim and mail");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path().join("state");
        let mut s = services(&root);
        s.mail_uid = mail.0;
        s.prepare_dirs().unwrap();
        // Twice: nothing to change the second time.
        s.prepare_dirs().unwrap();
        let owner_mode = |rel: &str| {
            let m = fs::metadata(root.join(rel)).unwrap();
            (m.uid(), m.gid(), m.mode() & 0o7777)
        };
        assert_eq!(owner_mode(""), (0, 0, 0o711));
        assert_eq!(owner_mode("vmail"), (mail.0, mail.1, 0o770));
        assert_eq!(owner_mode("sieve"), (0, mail.1, 0o750));
        assert_eq!(owner_mode("lookup"), (0, postfix.1, 0o2770));
        assert_eq!(owner_mode("postfix/etc"), (0, 0, 0o755));
        assert_eq!(owner_mode("postfix/data"), (postfix.0, postfix.1, 0o700));
        assert_eq!(owner_mode("tls"), (0, 0, 0o700));
        assert_eq!(owner_mode("dkim"), (0, 0, 0o755));
        assert_eq!(owner_mode("dkim/keys"), (0, dkim.1, 0o750));
        assert_eq!(owner_mode("dkim/run"), (dkim.0, postfix.1, 0o750));
        assert!(root.join("dovecot/run").is_dir() && root.join("dovecot/state").is_dir());

        let mut shared = services(&root);
        shared.mail_uid = mail.0;
        shared.paths.lookup_db = root.join("mail.sqlite3");
        let err = shared.prepare_dirs().unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { field: "lookup_db", reason, .. }
                if reason.contains("directory of its own")),
            "{err}"
        );

        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let err = s.prepare_dirs().unwrap_err().to_string();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(err.contains("cannot reach"), "{err}");
        assert!(
            err.contains(&format!("chmod o+x {}", dir.path().display())),
            "{err}"
        );
    }

    /// The real checkers, when installed and run as root: the rendered
    /// files pass `postfix check`, `doveconf -n` and `opendkim -n`; and when
    /// a check fails, the previous files are put back.
    #[tokio::test]
    async fn real_checkers_accept_the_files_and_a_refusal_rolls_back() {
        let tools = MailTools::default();
        let uid = fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
        if !tools.postfix.exists() || !tools.doveconf.exists() || uid.ok() != Some(0) {
            eprintln!("SKIPPED: needs postfix, doveconf and root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut s = services(root);
        if !tools.opendkim.exists() {
            s.dkim = None;
        }
        for d in [
            "postfix/etc",
            "postfix/spool",
            "postfix/data",
            "dovecot",
            "lookup",
            "tls",
            "dkim/run",
        ] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        s.write_and_check(&tools).await.unwrap();
        if let Some(d) = &s.dkim {
            assert_eq!(fs::read(d.key_table()).unwrap(), b"");
            assert_eq!(fs::read(d.signing_table()).unwrap(), b"");
        }
        // With Mailman's routing and listener, the checkers agree too.
        s.write_and_check_with(&tools, Some(&routing()))
            .await
            .unwrap();
        let relay = s.paths.dovecot_config_dir.join(DOVECOT_LIST_RELAY);
        assert_eq!(
            fs::metadata(&relay).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Lists off again: their files go.
        s.write_and_check(&tools).await.unwrap();
        assert!(!relay.exists());
        assert!(!s.paths.postfix_config_dir.join(MAP_LIST_TRANSPORT).exists());
        let sql = s.paths.dovecot_config_dir.join(DOVECOT_SQL);
        assert_eq!(
            fs::metadata(&sql).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let before = fs::read_to_string(s.dovecot_config_file()).unwrap();
        s.hostname = "mx2.konbit.test".into();
        let refusing = MailTools {
            doveconf: "/bin/false".into(),
            ..MailTools::default()
        };
        let err = s.write_and_check(&refusing).await.unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::Check {
                    tool: "doveconf",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(fs::read_to_string(s.dovecot_config_file()).unwrap(), before);
        let main = s.paths.postfix_config_dir.join(POSTFIX_MAIN);
        assert!(
            fs::read_to_string(main)
                .unwrap()
                .contains("myhostname = mx.konbit.test\n")
        );
    }
}
