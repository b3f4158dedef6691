//! `[mail]`: where the mail provisioner writes (the lookup database that
//! Postfix and Dovecot read, Sieve scripts, DKIM keys), what mail programs
//! are told, and where `konbit doctor` finds the mail daemons.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSection {
    /// Whether Konbit writes the mail servers' files (off: mailboxes are
    /// kept, their domains stay queued).
    pub enabled: bool,
    /// The lookup database Postfix's sqlite maps and Dovecot's sql driver
    /// read; relative paths here and below are under `state_dir`.
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
}

impl Default for MailSection {
    fn default() -> Self {
        Self {
            enabled: false,
            lookup_database: "mail/lookup.sqlite3".into(),
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
            None => panel_host
                .and_then(|h| konbit_core::names::Fqdn::parse("mail", h, 2).ok()),
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
