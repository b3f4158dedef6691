//! `[mail]`: where the mail provisioner writes (the lookup database that
//! Postfix and Dovecot read, Sieve scripts, DKIM keys), what mail programs
//! are told, and where `konbit doctor` finds the mail daemons.
//!
//! `[mail.server]`: how Postfix, Dovecot and OpenDKIM themselves are set up
//! by `konbit mail-server setup` (host name, listeners, their directories,
//! TLS), rendered through [`Config::mail_services`].

use super::Config;
use konbit_provision::mail::config::{
    ConfigError, DkimSettings, MailListeners, MailPaths, MailServices,
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSection {
    /// Whether Konbit writes the mail servers' files (off: mailboxes are
    /// kept, their domains stay queued).
    pub enabled: bool,
    /// The lookup database Postfix's sqlite maps and Dovecot's sql driver
    /// read, in a directory of its own (shared with `lookup_group`);
    /// relative paths here and below are under `state_dir`.
    pub lookup_database: PathBuf,
    /// The group Postfix runs as (Debian: "postfix"): the lookup database
    /// is shared with it alone (Dovecot's auth runs as root).
    pub lookup_group: Option<String>,
    /// Where Dovecot stores mail: `<vmail_root>/<domain>/<local part>`.
    pub vmail_root: PathBuf,
    /// Per-mailbox automatic replies, read by Dovecot's `sieve_before`.
    pub sieve_dir: PathBuf,
    /// Pigeonhole's compiler; unset: scripts are compiled on first use.
    pub sievec: Option<PathBuf>,
    /// The group Dovecot delivers as, which must read the Sieve scripts.
    pub mail_group: Option<String>,
    /// OpenDKIM's keys, KeyTable and SigningTable.
    pub dkim_dir: PathBuf,
    /// OpenDKIM's pid file: it is told to reload (SIGUSR1) after a change.
    pub opendkim_pid_file: Option<PathBuf>,
    /// The user OpenDKIM runs as, who must read the keys.
    pub opendkim_user: Option<String>,
    /// Where `konbit doctor` finds Postfix (SMTP), Dovecot (IMAP) and
    /// Dovecot's LMTP socket.
    pub smtp_address: SocketAddr,
    pub imap_address: SocketAddr,
    pub lmtp_socket: Option<PathBuf>,
    /// What mail programs are told (autoconfig, the panel). Unset
    /// autoconfig_host: the panel's host.
    pub imap_host: Option<String>,
    pub imap_port: u16,
    pub smtp_host: Option<String>,
    pub submission_port: u16,
    pub autoconfig_host: Option<String>,
    /// A new mailbox's storage when none is given.
    pub default_quota_mb: u64,
    pub dkim_bits: u32,
    /// The tool that makes DKIM keys.
    pub openssl: PathBuf,
    /// The mail servers themselves, for `konbit mail-server setup`. With
    /// it, `lookup_group`, `mail_group`, `sievec`, `opendkim_user` and
    /// `opendkim_pid_file` default to what those servers use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<MailServerSection>,
}

/// `[mail.server]`: Postfix, Dovecot and OpenDKIM on this machine. Relative
/// paths are under `state_dir`. OpenDKIM's directory, pid file and user are
/// `[mail]`'s `dkim_dir`, `opendkim_pid_file` and `opendkim_user`, which the
/// mail provisioner uses too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailServerSection {
    /// The MX's name (Postfix's `myhostname`, the certificate's name).
    /// Unset: `dns.mail_exchanger`.
    pub hostname: Option<String>,
    /// Where Dovecot's reports come from. Unset: `postmaster@<hostname>`.
    pub postmaster: Option<String>,
    /// The system user that owns the stored mail. Debian's `mail` (uid 8)
    /// exists on every Debian machine and owns nothing else of note; a
    /// dedicated user (`adduser --system --group vmail`) isolates the
    /// mail further.
    pub mail_user: String,
    /// Incoming mail for the hosted domains (no login).
    pub mx: SocketAddr,
    /// Submission with STARTTLS, then a login.
    pub submission: SocketAddr,
    /// Submission over TLS from the first byte.
    pub submissions: SocketAddr,
    /// Where Dovecot's automatic replies go; loopback only.
    pub internal: SocketAddr,
    pub imap: SocketAddr,
    /// IMAP over TLS from the first byte; unset: none.
    pub imaps: Option<SocketAddr>,
    /// `main.cf`, `master.cf` and the sqlite maps.
    pub postfix_config_dir: PathBuf,
    pub postfix_queue_dir: PathBuf,
    pub postfix_data_dir: PathBuf,
    /// Where Postfix's `dynamicmaps.cf` is (Debian: `/etc/postfix`).
    pub postfix_meta_dir: PathBuf,
    /// Postfix's log file; unset: syslog.
    pub maillog: Option<PathBuf>,
    /// `dovecot.conf` and `dovecot-sql.conf.ext`.
    pub dovecot_config_dir: PathBuf,
    /// Dovecot's sockets (`base_dir`).
    pub dovecot_base_dir: PathBuf,
    pub dovecot_state_dir: PathBuf,
    /// Dovecot's log file; unset: syslog.
    pub dovecot_log: Option<PathBuf>,
    /// The certificate chain and key Postfix and Dovecot present.
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// Sign outgoing mail with OpenDKIM.
    pub dkim: bool,
    /// OpenDKIM's milter socket; its directory is given to OpenDKIM's user
    /// and group postfix.
    pub dkim_socket: PathBuf,
    /// OpenDKIM's `RequireSafeKeys`: refuse keys that anyone but root or
    /// OpenDKIM could read or replace, up every parent directory. Turn it
    /// off only for a test machine whose state is under `/tmp`.
    pub dkim_require_safe_keys: bool,
}

impl Default for MailServerSection {
    fn default() -> Self {
        let at = |ip: [u8; 4], port: u16| SocketAddr::from((ip, port));
        Self {
            hostname: None,
            postmaster: None,
            mail_user: "mail".into(),
            mx: at([0, 0, 0, 0], 25),
            submission: at([0, 0, 0, 0], 587),
            submissions: at([0, 0, 0, 0], 465),
            internal: at([127, 0, 0, 1], 10025),
            imap: at([0, 0, 0, 0], 143),
            imaps: None,
            postfix_config_dir: "mail/postfix/etc".into(),
            postfix_queue_dir: "mail/postfix/spool".into(),
            postfix_data_dir: "mail/postfix/data".into(),
            postfix_meta_dir: "/etc/postfix".into(),
            maillog: None,
            dovecot_config_dir: "mail/dovecot".into(),
            dovecot_base_dir: "mail/dovecot/run".into(),
            dovecot_state_dir: "mail/dovecot/state".into(),
            dovecot_log: None,
            tls_cert: "mail/tls/cert.pem".into(),
            tls_key: "mail/tls/key.pem".into(),
            dkim: true,
            dkim_socket: "mail/dkim/run/opendkim.sock".into(),
            dkim_require_safe_keys: true,
        }
    }
}

/// Postfix runs as this user and group; the lookup database is shared with
/// it.
const POSTFIX_GROUP: &str = "postfix";
/// The user OpenDKIM runs as unless `mail.opendkim_user` says otherwise.
const OPENDKIM_USER: &str = "opendkim";
const SIEVEC: &str = "/usr/bin/sievec";

impl Default for MailSection {
    fn default() -> Self {
        Self {
            enabled: false,
            // A directory of its own: it is shared with Postfix's group.
            lookup_database: "mail/lookup/lookup.sqlite3".into(),
            lookup_group: None,
            vmail_root: "mail/vmail".into(),
            sieve_dir: "mail/sieve".into(),
            sievec: None,
            mail_group: None,
            dkim_dir: "mail/dkim".into(),
            opendkim_pid_file: None,
            opendkim_user: None,
            smtp_address: SocketAddr::from(([127, 0, 0, 1], 25)),
            imap_address: SocketAddr::from(([127, 0, 0, 1], 143)),
            lmtp_socket: None,
            imap_host: None,
            imap_port: 993,
            smtp_host: None,
            submission_port: 587,
            autoconfig_host: None,
            default_quota_mb: 1024,
            dkim_bits: 2048,
            openssl: "openssl".into(),
            server: None,
        }
    }
}

impl MailSection {
    /// Checks the settings the services use; the first bad one is named.
    pub fn check(&self) -> Result<(), String> {
        self.hosts(None).map(|_| ())?;
        if !(1024..=4096).contains(&self.dkim_bits) {
            return Err("mail.dkim_bits must be 1024..4096 (2048 is what receivers expect)".into());
        }
        if self.default_quota_mb == 0 {
            return Err("mail.default_quota_mb must be at least 1".into());
        }
        Ok(())
    }

    /// `(imap_host, smtp_host, autoconfig_host)`, validated; the autoconfig
    /// host defaults to `panel_host`.
    #[allow(clippy::type_complexity)]
    pub fn hosts(
        &self,
        panel_host: Option<&str>,
    ) -> Result<
        (
            Option<konbit_core::names::Fqdn>,
            Option<konbit_core::names::Fqdn>,
            Option<konbit_core::names::Fqdn>,
        ),
        String,
    > {
        let name = |key: &str, v: Option<&str>| {
            v.map(|v| {
                konbit_core::names::Fqdn::parse("mail", v, 1)
                    .map_err(|_| format!("mail.{key} = {v:?} is not a host name"))
            })
            .transpose()
        };
        let autoconfig = match self.autoconfig_host.as_deref() {
            Some(h) => name("autoconfig_host", Some(h))?,
            // A panel on an IP address or `localhost` has no name to publish.
            None => panel_host.and_then(|h| konbit_core::names::Fqdn::parse("mail", h, 2).ok()),
        };
        Ok((
            name("imap_host", self.imap_host.as_deref())?,
            name("smtp_host", self.smtp_host.as_deref())?,
            autoconfig,
        ))
    }

    pub fn app_config(&self, panel_host: Option<&str>) -> konbit_app::MailConfig {
        let (imap_host, smtp_host, autoconfig_host) =
            self.hosts(panel_host).unwrap_or((None, None, None));
        konbit_app::MailConfig {
            openssl: self.openssl.clone(),
            dkim_bits: self.dkim_bits,
            default_quota_mb: self.default_quota_mb,
            autoconfig_host,
            imap_host,
            imap_port: self.imap_port,
            smtp_host,
            submission_port: self.submission_port,
        }
    }
}

impl MailSection {
    /// The group the lookup database is shared with: `lookup_group`, or
    /// Postfix's with `[mail.server]`.
    pub fn lookup_group(&self) -> Option<String> {
        self.lookup_group
            .clone()
            .or_else(|| self.server.as_ref().map(|_| POSTFIX_GROUP.to_owned()))
    }

    /// The group that reads the Sieve scripts: `mail_group`, or the mail
    /// user's with `[mail.server]`.
    pub fn mail_group(&self) -> Option<String> {
        self.mail_group
            .clone()
            .or_else(|| self.server.as_ref().map(|s| s.mail_user.clone()))
    }

    /// `sievec`: with `[mail.server]`, Debian's when unset (Dovecot cannot
    /// write the compiled script beside one it does not own).
    pub fn sievec(&self) -> Option<PathBuf> {
        self.sievec
            .clone()
            .or_else(|| self.server.as_ref().map(|_| PathBuf::from(SIEVEC)))
    }

    /// OpenDKIM's user: `opendkim_user`, or `opendkim` when `[mail.server]`
    /// runs OpenDKIM.
    pub fn opendkim_user(&self) -> Option<String> {
        self.opendkim_user.clone().or_else(|| {
            self.server
                .as_ref()
                .filter(|s| s.dkim)
                .map(|_| OPENDKIM_USER.to_owned())
        })
    }

    /// OpenDKIM's pid file (relative to `state_dir`): `opendkim_pid_file`,
    /// or `opendkim.pid` beside the socket when `[mail.server]` runs
    /// OpenDKIM.
    pub fn opendkim_pid_file(&self) -> Option<PathBuf> {
        self.opendkim_pid_file.clone().or_else(|| {
            let s = self.server.as_ref().filter(|s| s.dkim)?;
            Some(s.dkim_socket.with_file_name("opendkim.pid"))
        })
    }
}

/// The configuration key a [`MailServices`] field comes from, for errors.
pub fn config_key(field: &str) -> String {
    let key = match field {
        "lookup_db" => "mail.lookup_database",
        "vmail_root" => "mail.vmail_root",
        "sieve_dir" => "mail.sieve_dir",
        "mail_uid" => "mail.server.mail_user",
        "dkim.dir" => "mail.dkim_dir",
        "dkim.pid_file" => "mail.opendkim_pid_file",
        "dkim.user" => "mail.opendkim_user",
        "dkim.socket" => "mail.server.dkim_socket",
        f => {
            let f = f.strip_prefix("listeners.").unwrap_or(f);
            return format!("mail.server.{f}");
        }
    };
    key.to_owned()
}

/// A [`ConfigError`] told with the configuration key, not the field name.
pub fn describe(e: &ConfigError) -> String {
    match e {
        ConfigError::Invalid {
            field,
            value,
            reason,
        } => {
            let key = match *field {
                // Not settings: the system users the daemons run as.
                "postfix user" | "directory" => (*field).to_owned(),
                f => config_key(f),
            };
            format!("{key} = {value:?}: {reason}")
        }
        other => other.to_string(),
    }
}

impl Config {
    /// Postfix's, Dovecot's and OpenDKIM's setup from `[mail.server]` and
    /// `[mail]`, checked: every path absolute and safe in a configuration
    /// file, the listeners apart, the mail user present. The error names
    /// the configuration key.
    pub fn mail_services(&self) -> Result<MailServices, String> {
        let m = &self.mail;
        let Some(s) = &m.server else {
            return Err("there is no [mail.server] section: set at least \
                        mail.server.hostname (the MX's name, e.g. \"mx.coop.example\")"
                .into());
        };
        let hostname = s
            .hostname
            .clone()
            .or_else(|| self.dns.mail_exchanger.clone())
            .ok_or(
                "mail.server.hostname is not set (nor dns.mail_exchanger): the MX's name, \
                    e.g. \"mx.coop.example\"",
            )?;
        let postmaster = s
            .postmaster
            .clone()
            .unwrap_or_else(|| format!("postmaster@{hostname}"));
        if let Some(g) = m.lookup_group.as_deref().filter(|g| *g != POSTFIX_GROUP) {
            return Err(format!(
                "mail.lookup_group = {g:?}: with [mail.server] the lookup database is shared \
                 with Postfix's group, \"{POSTFIX_GROUP}\" (or leave it unset)"
            ));
        }
        if let Some(g) = m.mail_group.as_deref().filter(|g| *g != s.mail_user) {
            return Err(format!(
                "mail.mail_group = {g:?}: with [mail.server] Dovecot delivers as the group of \
                 mail.server.mail_user, {:?} (or leave it unset)",
                s.mail_user
            ));
        }
        let mail_uid = system_uid(&s.mail_user).ok_or_else(|| {
            format!(
                "mail.server.mail_user = {:?}: there is no such system user (Debian's \"mail\" \
                 always exists)",
                s.mail_user
            )
        })?;
        let path = |p: &Path| -> Result<PathBuf, String> {
            let p = self.state_path(p);
            std::path::absolute(&p).map_err(|e| format!("{}: {e}", p.display()))
        };
        let opt = |p: &Option<PathBuf>| p.as_deref().map(path).transpose();
        let dkim = if s.dkim {
            Some(DkimSettings {
                dir: path(&m.dkim_dir)?,
                socket: path(&s.dkim_socket)?,
                pid_file: path(&m.opendkim_pid_file().unwrap_or_default())?,
                user: m.opendkim_user().unwrap_or_else(|| OPENDKIM_USER.into()),
                require_safe_keys: s.dkim_require_safe_keys,
            })
        } else {
            None
        };
        let services = MailServices {
            hostname,
            postmaster,
            mail_user: s.mail_user.clone(),
            mail_uid,
            paths: MailPaths {
                lookup_db: path(&m.lookup_database)?,
                vmail_root: path(&m.vmail_root)?,
                sieve_dir: path(&m.sieve_dir)?,
                postfix_config_dir: path(&s.postfix_config_dir)?,
                postfix_queue_dir: path(&s.postfix_queue_dir)?,
                postfix_data_dir: path(&s.postfix_data_dir)?,
                postfix_meta_dir: path(&s.postfix_meta_dir)?,
                maillog: opt(&s.maillog)?,
                dovecot_config_dir: path(&s.dovecot_config_dir)?,
                dovecot_base_dir: path(&s.dovecot_base_dir)?,
                dovecot_state_dir: path(&s.dovecot_state_dir)?,
                dovecot_log: opt(&s.dovecot_log)?,
                tls_cert: path(&s.tls_cert)?,
                tls_key: path(&s.tls_key)?,
            },
            listeners: MailListeners {
                mx: s.mx,
                submission: s.submission,
                submissions: s.submissions,
                internal: s.internal,
                imap: s.imap,
                imaps: s.imaps,
            },
            dkim,
        };
        services.validate().map_err(|e| describe(&e))?;
        Ok(services)
    }
}

/// The uid of a system user, from `/etc/passwd`.
fn system_uid(name: &str) -> Option<u32> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then_some(())?;
        fields.nth(1)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("konbit.toml");
        std::fs::write(
            &path,
            format!("version = 1\nstate_dir = \"/srv/konbit\"\n{toml}"),
        )
        .unwrap();
        Config::load(Some(&path))
            .map(|(c, _)| c)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_server_section_and_the_provisioner_agree() {
        let c = load(
            "[mail]\nenabled = true\n[mail.server]\nhostname = \"mx.coop.example\"\n\
             mx = \"127.0.0.1:2525\"\n",
        )
        .unwrap();
        let s = c.mail_services().unwrap();
        assert_eq!(s.postmaster, "postmaster@mx.coop.example");
        assert_eq!(s.listeners.mx.to_string(), "127.0.0.1:2525");
        assert_eq!(s.listeners.internal.to_string(), "127.0.0.1:10025");
        assert_eq!(
            s.paths.postfix_config_dir,
            Path::new("/srv/konbit/mail/postfix/etc")
        );
        assert_eq!(
            s.paths.lookup_db,
            Path::new("/srv/konbit/mail/lookup/lookup.sqlite3")
        );
        let d = s.dkim.unwrap();
        assert!(d.require_safe_keys);
        // What the provisioner signals, writes and shares is what the
        // servers run with.
        let t = c.mail_target();
        let td = t.dkim.unwrap();
        assert_eq!(td.dir, d.dir);
        assert_eq!(td.pid_file.as_deref(), Some(d.pid_file.as_path()));
        assert_eq!(
            d.pid_file,
            Path::new("/srv/konbit/mail/dkim/run/opendkim.pid")
        );
        assert_eq!(td.owner.as_deref(), Some(d.user.as_str()));
        assert_eq!(t.group.as_deref(), Some("postfix"));
        assert_eq!(t.mail_group.as_deref(), Some("mail"));
        assert_eq!(t.lookup_db, s.paths.lookup_db);
    }

    #[test]
    fn without_the_server_section_the_provisioner_is_unchanged() {
        let c = load("[mail]\nenabled = true\n").unwrap();
        let t = c.mail_target();
        assert_eq!(t.group, None);
        assert_eq!(t.sievec, None);
        let td = t.dkim.unwrap();
        assert_eq!((td.owner, td.pid_file), (None, None));
        let err = c.mail_services().unwrap_err();
        assert!(err.contains("mail.server.hostname"), "{err}");
    }

    #[test]
    fn errors_name_the_key() {
        let err = load("[mail.server]\nhostnme = \"mx.coop.example\"\n").unwrap_err();
        assert!(err.contains("hostnme"), "{err}");
        let c =
            load("[mail.server]\nhostname = \"mx.coop.example\"\ninternal = \"192.0.2.1:10025\"\n")
                .unwrap();
        let err = c.mail_services().unwrap_err();
        assert!(err.starts_with("mail.server.internal = "), "{err}");
        let c = load("[mail.server]\nhostname = \"mx coop\"\n").unwrap();
        let err = c.mail_services().unwrap_err();
        assert!(err.starts_with("mail.server.hostname = "), "{err}");
        let c =
            load("[mail]\ndkim_dir = \"/srv/dk im\"\n[mail.server]\nhostname = \"mx.c.example\"\n")
                .unwrap();
        let err = c.mail_services().unwrap_err();
        assert!(err.starts_with("mail.dkim_dir = "), "{err}");
        let c =
            load("[mail]\nlookup_group = \"pdns\"\n[mail.server]\nhostname = \"mx.c.example\"\n")
                .unwrap();
        let err = c.mail_services().unwrap_err();
        assert!(err.starts_with("mail.lookup_group"), "{err}");
        assert_eq!(config_key("listeners.imaps"), "mail.server.imaps");
    }
}
