//! `[lists]`: mailing lists through Mailman 3 core. Where Konbit reaches
//! Mailman's REST API and LMTP runner, the Postfix listener Mailman sends
//! through with its own login, and the files `konbit list-server setup`
//! writes. Relative paths are under `state_dir`.
//!
//! The two passwords live in files (root only, mode 0600), read when a
//! command or `konbit serve` starts and never logged: the REST password
//! Konbit sends Mailman, and the relay password Mailman sends Postfix
//! (Dovecot verifies it against the Argon2id hash written with the mail
//! configuration).

use super::Config;
use konbit_provision::lists::mailman::MailmanClient;
use konbit_provision::mail::config::ListRouting;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A password file larger than this is not a password file.
const MAX_SECRET_BYTES: u64 = 4096;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListsSection {
    /// Whether Konbit manages mailing lists (needs Mailman, and mail).
    pub enabled: bool,
    /// Mailman's REST API, version 3.1, on loopback.
    pub rest_url: String,
    /// Mailman's `[webservice] admin_user`.
    pub rest_user: String,
    /// Holds Mailman's `[webservice] admin_pass` (root only).
    pub rest_password_file: PathBuf,
    /// Mailman's LMTP runner: Postfix delivers list mail there.
    pub lmtp: SocketAddr,
    /// The Postfix listener Mailman sends every post and notice through.
    pub relay: SocketAddr,
    /// The SASL login Mailman authenticates with on `relay`; never a
    /// mailbox's address.
    pub relay_login: String,
    /// Holds the relay login's password (root only).
    pub relay_password_file: PathBuf,
    /// Mailman's `site_owner`; empty: `postmaster@` the MX's name.
    pub site_owner: String,
    /// Which Mailman list each Konbit list is, so a purge deletes the
    /// right one.
    pub record_file: PathBuf,
    /// Mailman's configuration file, which `konbit list-server setup`
    /// writes (Debian reads `/etc/mailman3/mailman.cfg`).
    pub mailman_config: PathBuf,
    /// The public suffix list Mailman's DMARC checks read (Debian's
    /// `publicsuffix` package), instead of downloading it.
    pub public_suffix_list: PathBuf,
}

impl Default for ListsSection {
    fn default() -> Self {
        Self {
            enabled: false,
            rest_url: "http://127.0.0.1:8001/3.1".into(),
            rest_user: "restadmin".into(),
            rest_password_file: "lists/rest-password".into(),
            lmtp: SocketAddr::from(([127, 0, 0, 1], 8024)),
            relay: SocketAddr::from(([127, 0, 0, 1], 10026)),
            relay_login: "mailman-relay".into(),
            relay_password_file: "lists/relay-password".into(),
            site_owner: String::new(),
            record_file: "lists/provisioned.json".into(),
            mailman_config: "/etc/mailman3/mailman.cfg".into(),
            public_suffix_list: "/usr/share/publicsuffix/public_suffix_list.dat".into(),
        }
    }
}

/// Whether `login` is a system-user style name: it can never be taken
/// for a mailbox address, and goes into Dovecot's file as it is.
fn login_ok(login: &str) -> bool {
    let first = login.bytes().next();
    first.is_some_and(|b| b.is_ascii_lowercase())
        && login.len() <= 32
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl ListsSection {
    /// Checks what can be checked without reading files.
    pub fn check(&self) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        for (key, addr) in [("lists.lmtp", self.lmtp), ("lists.relay", self.relay)] {
            if !addr.ip().is_loopback() {
                return Err(format!(
                    "{key} = \"{addr}\": Mailman and Postfix talk over loopback only \
                     (e.g. \"127.0.0.1:{}\")",
                    addr.port()
                ));
            }
        }
        if self.lmtp == self.relay {
            return Err(format!(
                "lists.lmtp and lists.relay are both \"{}\": they are two listeners",
                self.lmtp
            ));
        }
        if !login_ok(&self.relay_login) {
            return Err(format!(
                "lists.relay_login = {:?}: use lowercase letters, digits, - and _, starting \
                 with a letter (e.g. \"mailman-relay\")",
                self.relay_login
            ));
        }
        let url = url::Url::parse(&self.rest_url)
            .map_err(|e| format!("lists.rest_url = {:?}: {e}", self.rest_url))?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        };
        if !loopback {
            return Err(format!(
                "lists.rest_url = {:?}: Mailman's REST API must be on a loopback address \
                 (e.g. \"http://127.0.0.1:8001/3.1\")",
                self.rest_url
            ));
        }
        if self.rest_user.is_empty() || self.rest_user.chars().any(|c| c.is_control() || c == ':') {
            return Err(format!(
                "lists.rest_user = {:?}: one word, without ':'",
                self.rest_user
            ));
        }
        Ok(())
    }
}

/// Reads a password from a root-only file: the first line, trimmed.
/// The error names the file and the key, never the content.
pub fn read_secret_file(path: &Path, key: &str) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        format!("{key}: cannot read {shown}: {e} (`konbit list-server setup` makes it)")
    })?;
    if !meta.is_file() || meta.len() > MAX_SECRET_BYTES {
        return Err(format!("{key}: {shown} is not a password file"));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{key}: {shown} has mode {mode:04o}, so others may read the password: chmod 600 {shown}"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{key}: {shown}: {e}"))?;
    let secret = text.lines().next().unwrap_or_default().trim();
    if secret.is_empty() {
        return Err(format!("{key}: {shown} is empty"));
    }
    Ok(secret.to_owned())
}

impl Config {
    pub fn lists_app_config(&self) -> konbit_app::list::ListConfig {
        konbit_app::list::ListConfig {
            enabled: self.lists.enabled,
        }
    }

    /// The client of Mailman's REST API, with the password read from its
    /// file.
    pub fn mailman_client(&self) -> Result<MailmanClient, String> {
        let l = &self.lists;
        let password = read_secret_file(
            &self.state_path(&l.rest_password_file),
            "lists.rest_password_file",
        )?;
        MailmanClient::new(&l.rest_url, &l.rest_user, &password)
            .map_err(|e| format!("lists.rest_url = {:?}: {e}", l.rest_url))
    }

    pub fn list_record_path(&self) -> PathBuf {
        self.state_path(&self.lists.record_file)
    }

    /// Mailman's `site_owner`: the configured one, else `postmaster@` the
    /// MX's name.
    pub fn list_site_owner(&self) -> Option<String> {
        let owner = &self.lists.site_owner;
        if !owner.is_empty() {
            return Some(owner.clone());
        }
        self.mail
            .server
            .as_ref()
            .and_then(|s| s.hostname.clone())
            .or_else(|| self.dns.mail_exchanger.clone())
            .map(|host| format!("postmaster@{host}"))
    }

    /// How Postfix routes list mail to Mailman and lets Mailman send,
    /// `None` when lists are off. Reads the relay password and hashes it
    /// for Dovecot (Argon2id: about a tenth of a second).
    pub async fn list_routing(&self) -> Result<Option<ListRouting>, String> {
        let l = &self.lists;
        if !l.enabled {
            return Ok(None);
        }
        let password = read_secret_file(
            &self.state_path(&l.relay_password_file),
            "lists.relay_password_file",
        )?;
        let phc = konbit_app::password::hash(password)
            .await
            .map_err(|e| format!("hashing the relay password: {e}"))?;
        Ok(Some(ListRouting {
            lmtp: l.lmtp,
            relay: l.relay,
            relay_login: l.relay_login.clone(),
            relay_password_hash: format!("{{ARGON2ID}}{phc}"),
            site_owner: self.list_site_owner(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn load(toml: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("konbit.toml");
        std::fs::write(&path, format!("version = 1\n{toml}")).unwrap();
        Config::load(Some(&path))
            .map(|(c, _)| c)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn lists_are_off_unless_turned_on() {
        let c = load("").unwrap();
        assert!(!c.app_config().lists.enabled);
        let c = load("[lists]\nenabled = true\n").unwrap();
        assert!(c.app_config().lists.enabled);
        assert_eq!(c.lists.rest_url, "http://127.0.0.1:8001/3.1");
        assert_eq!(c.lists.lmtp.to_string(), "127.0.0.1:8024");
        let err = load("[lists]\nenabeld = true\n").unwrap_err();
        assert!(err.contains("enabeld"), "{err}");
    }

    #[test]
    fn bad_settings_are_named() {
        for (toml, key) in [
            ("lmtp = \"192.0.2.1:8024\"", "lists.lmtp"),
            ("relay = \"0.0.0.0:10026\"", "lists.relay"),
            ("relay = \"127.0.0.1:8024\"", "lists.lmtp and lists.relay"),
            ("relay_login = \"bob@example.org\"", "lists.relay_login"),
            (
                "rest_url = \"http://mailman.example.org/3.1\"",
                "lists.rest_url",
            ),
            ("rest_url = \"nope\"", "lists.rest_url"),
            ("rest_user = \"a:b\"", "lists.rest_user"),
        ] {
            let err = load(&format!("[lists]\nenabled = true\n{toml}\n")).unwrap_err();
            assert!(err.contains(key), "{toml}: {err}");
            // Off, the section is not judged.
            load(&format!("[lists]\n{toml}\n")).unwrap();
        }
    }

    #[tokio::test]
    async fn passwords_come_from_root_only_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = load("[lists]\nenabled = true\n").unwrap();
        c.state_dir = dir.path().to_path_buf();
        let err = c.mailman_client().unwrap_err();
        assert!(err.contains("lists.rest_password_file"), "{err}");
        assert!(err.contains("list-server setup"), "{err}");

        let lists = dir.path().join("lists");
        std::fs::create_dir(&lists).unwrap();
        let rest = lists.join("rest-password");
        std::fs::write(&rest, "s3cret-rest\n").unwrap();
        std::fs::set_permissions(&rest, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = c.mailman_client().unwrap_err();
        assert!(err.contains("chmod 600"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        std::fs::set_permissions(&rest, std::fs::Permissions::from_mode(0o600)).unwrap();
        let client = c.mailman_client().unwrap();
        assert!(!format!("{client:?}").contains("s3cret"));

        let relay = lists.join("relay-password");
        std::fs::write(&relay, "").unwrap();
        std::fs::set_permissions(&relay, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = c.list_routing().await.unwrap_err();
        assert!(err.contains("is empty"), "{err}");
        std::fs::write(&relay, "s3cret-relay").unwrap();
        let routing = c.list_routing().await.unwrap().unwrap();
        assert_eq!(routing.relay_login, "mailman-relay");
        assert!(
            routing
                .relay_password_hash
                .starts_with("{ARGON2ID}$argon2id$")
        );
        assert!(!routing.relay_password_hash.contains("s3cret"));

        c.lists.enabled = false;
        assert!(c.list_routing().await.unwrap().is_none());
    }
}
