//! Configuration: defaults, then the TOML file, then `KONBIT_*` environment
//! variables (`__` nests: `KONBIT_SESSION__IDLE_MINUTES`). An error names the
//! bad key and where its value came from.

pub mod hosting;
pub mod lists;
pub mod mail;
pub mod web;

pub use mail::MailSection;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG: &str = "/etc/konbit/konbit.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The file format's version, so a later Konbit can migrate it.
    pub version: u32,
    /// Where Konbit keeps its state.
    pub state_dir: PathBuf,
    /// The state database, relative to `state_dir` unless absolute.
    pub database: PathBuf,
    /// The address the panel and API listen on.
    pub listen: SocketAddr,
    /// The URL people use to reach the panel.
    pub public_url: url::Url,
    pub session: SessionConfig,
    pub accounts: AccountsConfig,
    #[serde(default)]
    pub security: SecurityConfig,
    #[serde(default)]
    pub rate_limits: RateLimitsConfig,
    #[serde(default)]
    pub password_reset: PasswordResetConfig,
    /// The SMTP relay for Konbit's own e-mail (password reset links).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<SmtpSection>,
    /// Authoritative DNS through PowerDNS, and the zone template.
    #[serde(default)]
    pub dns: DnsConfig,
    /// Hosted mail through Postfix, Dovecot and OpenDKIM.
    #[serde(default)]
    pub mail: MailSection,
    /// Websites through nginx, PHP-FPM and an ACME CA.
    #[serde(default)]
    pub web: web::WebSection,
    /// SFTP logins through ProFTPd.
    #[serde(default)]
    pub sftp: hosting::SftpSection,
    /// Members' databases on MariaDB and PostgreSQL.
    #[serde(default)]
    pub databases: hosting::DatabasesSection,
    /// Mailing lists through Mailman.
    #[serde(default)]
    pub lists: lists::ListsSection,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnsConfig {
    /// Whether Konbit writes zones for PowerDNS (off: domains are kept,
    /// their zones stay queued).
    pub enabled: bool,
    /// PowerDNS's gsqlite3 database, which Konbit writes and PowerDNS reads;
    /// relative to `state_dir` unless absolute. Point PowerDNS's
    /// `gsqlite3-database` at it.
    pub pdns_database: PathBuf,
    /// The schema Konbit creates that database with.
    pub pdns_schema: PathBuf,
    /// The group PowerDNS runs as (Debian: "pdns"): the database is shared
    /// with it alone. Unset: the files keep Konbit's owner and umask.
    pub pdns_group: Option<String>,
    /// Where PowerDNS answers, for `konbit doctor`.
    pub pdns_address: SocketAddr,
    /// The co-op's name servers: every zone's NS set and SOA primary.
    pub nameservers: Vec<String>,
    /// The SOA contact, as an e-mail address or a name.
    pub hostmaster: String,
    /// The co-op's mail exchanger, added as MX when a domain gets mail.
    pub mail_exchanger: Option<String>,
    pub spf: String,
    pub dmarc: String,
    /// TTL of the records the template adds, and of the SOA.
    pub ttl: u32,
    pub negative_ttl: u32,
    pub max_records_per_zone: usize,
}

impl Default for DnsConfig {
    fn default() -> Self {
        let t = konbit_core::zone_template::ZoneTemplate::default();
        Self {
            enabled: true,
            pdns_database: PathBuf::from("pdns/pdns.sqlite3"),
            pdns_schema: PathBuf::from(konbit_provision::dns::pdns_db::DEBIAN_SCHEMA),
            pdns_group: None,
            pdns_address: SocketAddr::from(([127, 0, 0, 1], 53)),
            nameservers: t.nameservers.iter().map(ToString::to_string).collect(),
            hostmaster: t.hostmaster.to_string(),
            mail_exchanger: None,
            spf: t.spf,
            dmarc: t.dmarc,
            ttl: t.ttl,
            negative_ttl: t.negative_ttl,
            max_records_per_zone: 2000,
        }
    }
}

impl DnsConfig {
    /// The zone template, or the first bad setting.
    pub fn template(&self) -> Result<konbit_core::zone_template::ZoneTemplate, String> {
        use konbit_core::names::Fqdn;
        let name = |key: &str, v: &str| {
            Fqdn::parse("dns", v, 2).map_err(|_| format!("dns.{key} = {v:?} is not a host name"))
        };
        if self.nameservers.is_empty() {
            return Err("dns.nameservers must name at least one server".into());
        }
        let nameservers = self
            .nameservers
            .iter()
            .map(|n| name("nameservers", n))
            .collect::<Result<Vec<_>, _>>()?;
        // hostmaster@coop.example is written hostmaster.coop.example in a SOA.
        let hostmaster = name("hostmaster", &self.hostmaster.replacen('@', ".", 1))?;
        let mail_exchanger = self
            .mail_exchanger
            .as_deref()
            .map(|m| name("mail_exchanger", m))
            .transpose()?;
        if !(60..=604_800).contains(&self.ttl) || !(60..=86_400).contains(&self.negative_ttl) {
            return Err("dns.ttl must be 60..604800 and dns.negative_ttl 60..86400".into());
        }
        Ok(konbit_core::zone_template::ZoneTemplate {
            nameservers,
            hostmaster,
            soa_ttl: self.ttl,
            ttl: self.ttl,
            negative_ttl: self.negative_ttl,
            mail_exchanger,
            spf: self.spf.clone(),
            dmarc: self.dmarc.clone(),
            ..Default::default()
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Who must use two-step verification: "none", "admins" or "everyone".
    pub require_2fa: konbit_core::two_factor::TwoFactorPolicy,
    /// The key that seals TOTP secrets, relative to `state_dir` unless
    /// absolute. Created on first use with mode 0600; back it up apart
    /// from the database.
    pub key_file: PathBuf,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            require_2fa: Default::default(),
            key_file: PathBuf::from("secret.key"),
        }
    }
}

/// Attempts per client IP and per account on sign-in, the 2FA step and
/// password reset, within a sliding window (kept in memory on each node).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsConfig {
    pub window_seconds: u64,
    pub per_ip: u32,
    pub per_account: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        let d = konbit_app::rate_limit::RateLimits::default();
        Self {
            window_seconds: d.window_secs,
            per_ip: d.per_ip,
            per_account: d.per_account,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfig {
    /// How long a reset link works.
    pub link_minutes: u32,
}

impl Default for PasswordResetConfig {
    fn default() -> Self {
        Self { link_minutes: 60 }
    }
}

/// Plain SMTP to a relay (no TLS in this build: use a relay on loopback or
/// a trusted network, such as the local Postfix).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSection {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    pub from: String,
    /// Must stay false: this build has no TLS stack.
    #[serde(default)]
    pub starttls: bool,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

fn default_smtp_port() -> u16 {
    25
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    pub idle_minutes: u32,
    pub absolute_hours: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsConfig {
    /// Days a deleted account can still be restored.
    pub deletion_grace_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: 1,
            state_dir: PathBuf::from("/var/lib/konbit"),
            database: PathBuf::from("konbit.db"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: url::Url::parse("http://127.0.0.1:8080")
                .unwrap_or_else(|_| unreachable_url()),
            session: SessionConfig {
                idle_minutes: 60,
                absolute_hours: 12,
            },
            accounts: AccountsConfig {
                deletion_grace_days: 30,
            },
            security: SecurityConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            password_reset: PasswordResetConfig::default(),
            smtp: None,
            dns: DnsConfig::default(),
            mail: MailSection::default(),
            web: web::WebSection::default(),
            sftp: hosting::SftpSection::default(),
            databases: hosting::DatabasesSection::default(),
            lists: lists::ListsSection::default(),
        }
    }
}

// The literal above always parses; this keeps the code free of `expect`.
fn unreachable_url() -> url::Url {
    url::Url::parse("http://localhost").unwrap_or_else(|_| std::process::abort())
}

impl Config {
    pub fn database_path(&self) -> PathBuf {
        if self.database.is_absolute() {
            self.database.clone()
        } else {
            self.state_dir.join(&self.database)
        }
    }

    pub fn app_config(&self) -> konbit_app::AppConfig {
        konbit_app::AppConfig {
            session_idle_secs: i64::from(self.session.idle_minutes) * 60,
            session_absolute_secs: i64::from(self.session.absolute_hours) * 3600,
            deletion_grace_secs: i64::from(self.accounts.deletion_grace_days) * 86_400,
            two_factor_policy: self.security.require_2fa,
            secret_key_file: Some(self.key_file_path()),
            rate_limits: konbit_app::rate_limit::RateLimits {
                window_secs: self.rate_limits.window_seconds,
                per_ip: self.rate_limits.per_ip,
                per_account: self.rate_limits.per_account,
            },
            password_reset_ttl_secs: i64::from(self.password_reset.link_minutes) * 60,
            smtp: self.smtp.as_ref().map(|s| konbit_app::mail::SmtpConfig {
                host: s.host.clone(),
                port: s.port,
                from: s.from.clone(),
                username: s.username.clone(),
                password: s.password.clone(),
            }),
            // `check` has refused a bad template already.
            zone_template: self.dns.template().unwrap_or_default(),
            max_records_per_zone: self.dns.max_records_per_zone,
            mail: self.mail.app_config(self.public_url.host_str()),
            sites: self.web.app_config(self),
            sftp: self.sftp_app_config(),
            databases: self.databases_app_config(),
            lists: self.lists_app_config(),
            public_url: self.public_url.as_str().trim_end_matches('/').to_owned(),
        }
    }

    /// A path from the configuration: relative ones are under `state_dir`.
    pub fn state_path(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.state_dir.join(path)
        }
    }

    pub fn pdns_database_path(&self) -> PathBuf {
        if self.dns.pdns_database.is_absolute() {
            self.dns.pdns_database.clone()
        } else {
            self.state_dir.join(&self.dns.pdns_database)
        }
    }

    /// How the DNS provisioner reaches PowerDNS's database.
    pub fn pdns_target(&self) -> konbit_provision::dns::PdnsTarget {
        konbit_provision::dns::PdnsTarget {
            database: self.pdns_database_path(),
            schema: self.dns.pdns_schema.clone(),
            group: self.dns.pdns_group.clone(),
            busy_timeout: std::time::Duration::from_secs(5),
        }
    }

    /// Where the mail provisioner writes. With `[mail.server]`, the groups,
    /// `sievec` and OpenDKIM's user and pid file default to what those
    /// servers use (see [`MailSection::lookup_group`] and the others).
    pub fn mail_target(&self) -> konbit_provision::mail::MailTarget {
        let m = &self.mail;
        konbit_provision::mail::MailTarget {
            lookup_db: self.state_path(&m.lookup_database),
            group: m.lookup_group(),
            vmail_root: self.state_path(&m.vmail_root),
            sieve_dir: self.state_path(&m.sieve_dir),
            sievec: m.sievec(),
            mail_group: m.mail_group(),
            dkim: Some(konbit_provision::mail::DkimTarget {
                dir: self.state_path(&m.dkim_dir),
                pid_file: m.opendkim_pid_file().map(|p| self.state_path(&p)),
                owner: m.opendkim_user(),
            }),
            busy_timeout: std::time::Duration::from_secs(5),
        }
    }

    pub fn key_file_path(&self) -> PathBuf {
        if self.security.key_file.is_absolute() {
            self.security.key_file.clone()
        } else {
            self.state_dir.join(&self.security.key_file)
        }
    }

    /// Loads the configuration. `explicit` is `--config` or `KONBIT_CONFIG`:
    /// it must exist. Without it, the default file is read if present.
    pub fn load(explicit: Option<&Path>) -> Result<(Self, Option<PathBuf>), Box<figment::Error>> {
        let file = match explicit {
            Some(p) => {
                if !p.exists() {
                    return Err(Box::new(figment::Error::from(format!(
                        "the configuration file {} does not exist",
                        p.display()
                    ))));
                }
                Some(p.to_path_buf())
            }
            None => Some(PathBuf::from(DEFAULT_CONFIG)).filter(|p| p.exists()),
        };
        let mut fig = Figment::new().merge(Serialized::defaults(Config::default()));
        if let Some(f) = &file {
            fig = fig.merge(Named(Toml::file_exact(f), |k| k.join(".")));
        }
        let env = Env::prefixed("KONBIT_").split("__").filter(|k| {
            let k = k.as_str().to_ascii_lowercase();
            // Variables of Konbit's scripts, tests and bench are not settings.
            !(k == "config"
                || k.starts_with("playground")
                || k.starts_with("test")
                || k.starts_with("bench"))
        });
        fig = fig.merge(Named(env, |k| {
            format!("KONBIT_{}", k.join("__").to_ascii_uppercase())
        }));
        let config: Config = fig.extract().map_err(Box::new)?;
        config.check()?;
        Ok((config, file))
    }

    fn check(&self) -> Result<(), Box<figment::Error>> {
        if self.version != 1 {
            return Err(Box::new(figment::Error::from(format!(
                "version = {} is not supported (this Konbit reads version 1)",
                self.version
            ))));
        }
        if !matches!(self.public_url.scheme(), "http" | "https") {
            return Err(Box::new(figment::Error::from(
                "public_url must start with http:// or https://".to_owned(),
            )));
        }
        if self.smtp.as_ref().is_some_and(|s| s.starttls) {
            return Err(Box::new(figment::Error::from(
                "smtp.starttls = true is not supported: this build speaks plain SMTP to a local relay (see the docs)".to_owned(),
            )));
        }
        self.web
            .check()
            .map_err(|e| Box::new(figment::Error::from(e)))?;
        if self.rate_limits.window_seconds == 0
            || self.rate_limits.per_ip == 0
            || self.rate_limits.per_account == 0
            || self.password_reset.link_minutes == 0
        {
            return Err(Box::new(figment::Error::from(
                "rate_limits.* and password_reset.link_minutes must be at least 1".to_owned(),
            )));
        }
        self.dns
            .template()
            .map_err(|e| Box::new(figment::Error::from(e)))?;
        self.mail
            .check()
            .map_err(|e| Box::new(figment::Error::from(e)))?;
        self.lists
            .check()
            .map_err(|e| Box::new(figment::Error::from(e)))?;
        if self.session.idle_minutes == 0 || self.session.absolute_hours == 0 {
            return Err(Box::new(figment::Error::from(
                "session.idle_minutes and session.absolute_hours must be at least 1".to_owned(),
            )));
        }
        Ok(())
    }

    /// The file `konbit init` writes.
    pub fn to_toml(&self) -> String {
        format!(
            "# Konbit configuration. Environment variables KONBIT_* override these\n\
             # values (KONBIT_LISTEN, KONBIT_PUBLIC_URL, KONBIT_SESSION__IDLE_MINUTES...).\n\
             version = 1\n\
             state_dir = {state_dir}\n\
             database = {database}\n\
             listen = \"{listen}\"\n\
             public_url = \"{public_url}\"\n\n\
             [session]\n\
             idle_minutes = {idle}\n\
             absolute_hours = {absolute}\n\n\
             [accounts]\n\
             deletion_grace_days = {grace}\n\n\
             [security]\n\
             # Who must use two-step verification: \"none\", \"admins\" or \"everyone\".\n\
             require_2fa = \"none\"\n\
             # Seals 2FA secrets; keep it out of database backups, back it up apart.\n\
             key_file = \"secret.key\"\n\n\
             [rate_limits]\n\
             window_seconds = {window}\n\
             per_ip = {per_ip}\n\
             per_account = {per_account}\n\n\
             [password_reset]\n\
             link_minutes = {link_minutes}\n\n\
             # Password reset e-mail goes through a relay over plain SMTP (no TLS):\n\
             # use a relay on this machine, such as Postfix on 127.0.0.1.\n\
             # [smtp]\n\
             # host = \"127.0.0.1\"\n\
             # port = 25\n\
             # from = \"Konbit <konbit@coop.example>\"\n\n\
             [dns]\n\
             # PowerDNS (pdns-server + pdns-backend-sqlite3) serves the zones Konbit\n\
             # writes into this file: set gsqlite3-database to it, and every cache\n\
             # TTL to 0 (see the README).\n\
             pdns_database = {pdns_database}\n\
             pdns_address = \"{pdns_address}\"\n\
             # The co-op's name servers (NS set and SOA) and the SOA contact.\n\
             nameservers = [{nameservers}]\n\
             hostmaster = {hostmaster}\n\
             # mail_exchanger = \"mx.coop.example\"\n",
            state_dir = toml_string(&self.state_dir.to_string_lossy()),
            database = toml_string(&self.database.to_string_lossy()),
            listen = self.listen,
            public_url = self.public_url,
            idle = self.session.idle_minutes,
            absolute = self.session.absolute_hours,
            grace = self.accounts.deletion_grace_days,
            window = self.rate_limits.window_seconds,
            per_ip = self.rate_limits.per_ip,
            per_account = self.rate_limits.per_account,
            link_minutes = self.password_reset.link_minutes,
            pdns_database = toml_string(&self.dns.pdns_database.to_string_lossy()),
            pdns_address = self.dns.pdns_address,
            nameservers = self
                .dns
                .nameservers
                .iter()
                .map(|n| toml_string(n))
                .collect::<Vec<_>>()
                .join(", "),
            hostmaster = toml_string(&self.dns.hostmaster),
        )
    }
}

/// A provider whose errors name a key the way the operator writes it:
/// `session.idle_minutes` in the file (figment would say
/// `default.session.idle_minutes`), `KONBIT_SESSION__IDLE_MINUTES` in the
/// environment (figment would say `SESSION.IDLE_MINUTES`).
struct Named<P>(P, fn(&[&str]) -> String);

impl<P: figment::Provider> figment::Provider for Named<P> {
    fn metadata(&self) -> figment::Metadata {
        let name = self.1;
        self.0
            .metadata()
            .interpolater(move |_: &figment::Profile, k: &[&str]| name(k))
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        self.0.data()
    }
}

/// A TOML basic string with the characters TOML requires escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_file_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config {
            state_dir: dir.path().join("we\"ird dir"),
            ..Config::default()
        };
        let path = dir.path().join("konbit.toml");
        std::fs::write(&path, c.to_toml()).unwrap();
        let (read, file) = Config::load(Some(&path)).unwrap();
        assert_eq!(read.state_dir, c.state_dir);
        assert_eq!(file.as_deref(), Some(path.as_path()));
    }

    #[test]
    fn errors_name_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("konbit.toml");
        std::fs::write(&path, "version = 1\nlisten = \"not an address\"\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("listen"), "{err}");
        assert!(err.contains("konbit.toml"), "{err}");
        std::fs::write(&path, "version = 1\nlisen = \"127.0.0.1:1\"\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
        assert!(Config::load(Some(&dir.path().join("missing.toml"))).is_err());
    }
}
