//! DKIM signing by OpenDKIM: the signing key of each domain in
//! `<dir>/keys/<domain>/<selector>.private`, and OpenDKIM's `KeyTable` and
//! `SigningTable` (refile), rebuilt from one fragment per domain in
//! `<dir>/fragments/<domain id>`, so a domain's lines can be replaced or
//! removed without reading the store's other domains. OpenDKIM reads the
//! tables at start and on SIGUSR1.
//!
//! A table line must never name a key file that does not exist (every mail
//! of that domain would get a 451), so keys are written before the tables,
//! and removed only after OpenDKIM was told to reload them.

use super::DkimTarget;
use crate::ProvisionError;
use crate::files::{self, FileMode};
use konbit_store::MailDomainSource;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The key a served domain signs with, and the names it signs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainKey {
    pub domain: String,
    /// Its domain aliases: signed with the same key, `d=` the alias.
    pub aliases: Vec<String>,
    pub selector: String,
    /// PKCS#8 PEM.
    pub private_key: String,
}

fn invalid(reason: String) -> ProvisionError {
    ProvisionError::Invalid { reason }
}

fn io(e: String) -> ProvisionError {
    ProvisionError::Transient(format!("DKIM files: {e}"))
}

/// The newest key signs; the older ones are only published in DNS (mail
/// signed just before a rotation still verifies) and need no file.
pub fn desired(source: &MailDomainSource) -> Result<Option<DomainKey>, ProvisionError> {
    let Some(key) = source.dkim_keys.first() else {
        return Ok(None);
    };
    let domain = source.domain.name.to_string();
    let s = &key.selector;
    let selector_ok = !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !selector_ok {
        return Err(invalid(format!(
            "DKIM key of {domain}: {s:?} is not a valid selector"
        )));
    }
    let pem = key.private_key.trim();
    let pem_ok = pem.starts_with("-----BEGIN ")
        && pem.contains("PRIVATE KEY-----")
        && pem.ends_with("-----")
        && pem
            .bytes()
            .all(|b| b.is_ascii_graphic() || b == b'\n' || b == b' ' || b == b'\r');
    if !pem_ok {
        return Err(invalid(format!(
            "DKIM key {s} of {domain} is not a PEM private key"
        )));
    }
    Ok(Some(DomainKey {
        aliases: source
            .alias_domains
            .iter()
            .map(ToString::to_string)
            .filter(|a| *a != domain)
            .collect(),
        domain,
        selector: s.clone(),
        private_key: format!("{pem}\n"),
    }))
}

/// OpenDKIM's files under the DKIM directory.
pub struct DkimFiles<'a> {
    target: &'a DkimTarget,
    /// OpenDKIM's uid and gid: it owns the keys.
    ids: Option<(u32, u32)>,
}

impl<'a> DkimFiles<'a> {
    pub fn new(target: &'a DkimTarget) -> Result<Self, ProvisionError> {
        // The key path is a field of a KeyTable line, split on blanks and
        // colons.
        let dir_ok = target.dir.to_str().is_some_and(|d| {
            !d.is_empty()
                && !d
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == ':' || c == '#')
        });
        if !dir_ok {
            return Err(ProvisionError::Fatal(format!(
                "the DKIM directory {:?} cannot be written in OpenDKIM's KeyTable",
                target.dir
            )));
        }
        let ids = match &target.owner {
            Some(user) => Some(files::user_ids(user).ok_or_else(|| {
                ProvisionError::Fatal(format!("user {user} does not exist (DKIM key owner)"))
            })?),
            None => None,
        };
        Ok(Self { target, ids })
    }

    fn fragments(&self) -> PathBuf {
        self.target.dir.join("fragments")
    }

    fn fragment_path(&self, owner: i64) -> PathBuf {
        self.fragments().join(owner.to_string())
    }

    fn key_dir(&self, domain: &str) -> Result<PathBuf, ProvisionError> {
        files::child(&self.target.dir.join("keys"), domain).map_err(invalid)
    }

    fn key_path(&self, key: &DomainKey) -> Result<PathBuf, ProvisionError> {
        files::child(
            &self.key_dir(&key.domain)?,
            &format!("{}.private", key.selector),
        )
        .map_err(invalid)
    }

    /// Private directories OpenDKIM can still walk through.
    fn key_dir_mode(&self) -> FileMode {
        FileMode {
            mode: 0o750,
            uid: None,
            gid: self.ids.map(|(_, g)| g),
        }
    }

    fn public_mode(mode: u32) -> FileMode {
        FileMode {
            mode,
            uid: None,
            gid: None,
        }
    }

    /// A domain's lines, led by its name (for [`Self::uninstall`]).
    fn fragment(&self, key: &DomainKey) -> Result<String, ProvisionError> {
        let path = self.key_path(key)?;
        let path = path.display();
        let sel = &key.selector;
        let mut out = format!("domain {}\n", key.domain);
        for d in std::iter::once(&key.domain).chain(&key.aliases) {
            out.push_str(&format!(
                "key {sel}._domainkey.{d} {d}:{sel}:{path}\nsign *@{d} {sel}._domainkey.{d}\n"
            ));
        }
        Ok(out)
    }

    /// Writes the key, then the domain's fragment. Returns whether either
    /// changed (the tables must be rebuilt and OpenDKIM told, which may
    /// keep a key it already loaded), and what changed.
    pub fn install(
        &self,
        owner: i64,
        key: &DomainKey,
    ) -> Result<(bool, Vec<String>), ProvisionError> {
        let mut changes = Vec::new();
        let fatal = |e: String| ProvisionError::Fatal(format!("DKIM directory: {e}"));
        files::make_dir(&self.target.dir, Self::public_mode(0o755)).map_err(fatal)?;
        files::ensure_dir(&self.target.dir.join("keys"), self.key_dir_mode()).map_err(fatal)?;
        files::ensure_dir(&self.key_dir(&key.domain)?, self.key_dir_mode()).map_err(io)?;
        let key_mode = FileMode {
            mode: 0o600,
            uid: self.ids.map(|(u, _)| u),
            gid: self.ids.map(|(_, g)| g),
        };
        let key_changed =
            files::write_atomic(&self.key_path(key)?, key.private_key.as_bytes(), key_mode)
                .map_err(io)?;
        if key_changed {
            changes.push(format!(
                "DKIM key {} of {} written",
                key.selector, key.domain
            ));
        }
        // Only Konbit reads the fragments.
        files::ensure_dir(&self.fragments(), Self::public_mode(0o700)).map_err(fatal)?;
        let fragment = self.fragment(key)?;
        let changed = files::write_atomic(
            &self.fragment_path(owner),
            fragment.as_bytes(),
            Self::public_mode(0o600),
        )
        .map_err(io)?;
        if changed {
            changes.push(format!(
                "DKIM signing of {} with {}",
                std::iter::once(&key.domain)
                    .chain(&key.aliases)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                key.selector
            ));
        }
        Ok((changed || key_changed, changes))
    }

    /// Removes the domain's fragment; returns the domain it was for, whose
    /// keys go once OpenDKIM has reloaded.
    pub fn uninstall(&self, owner: i64) -> Result<Option<String>, ProvisionError> {
        let path = self.fragment_path(owner);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(format!("{}: {e}", path.display()))),
        };
        files::remove_file(&path).map_err(io)?;
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix("domain "))
            .map(|d| d.trim().to_owned()))
    }

    pub fn tables_missing(&self) -> bool {
        !self.target.dir.join("KeyTable").exists() || !self.target.dir.join("SigningTable").exists()
    }

    /// Rebuilds both tables from every fragment; returns whether they
    /// changed.
    pub fn rebuild(&self) -> Result<bool, ProvisionError> {
        let mut owners: Vec<i64> = match std::fs::read_dir(self.fragments()) {
            Ok(entries) => entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(format!("{}: {e}", self.fragments().display()))),
        };
        owners.sort_unstable();
        let (mut keys, mut signing) = (String::new(), String::new());
        for owner in owners {
            let path = self.fragment_path(owner);
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                // Removed meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(format!("{}: {e}", path.display()))),
            };
            for line in text.lines() {
                if let Some(l) = line.strip_prefix("key ") {
                    keys.push_str(l);
                    keys.push('\n');
                } else if let Some(l) = line.strip_prefix("sign ") {
                    signing.push_str(l);
                    signing.push('\n');
                }
            }
        }
        files::make_dir(&self.target.dir, Self::public_mode(0o755))
            .map_err(|e| ProvisionError::Fatal(format!("DKIM directory: {e}")))?;
        let mode = Self::public_mode(0o644);
        let k = files::write_atomic(&self.target.dir.join("KeyTable"), keys.as_bytes(), mode)
            .map_err(io)?;
        let s = files::write_atomic(
            &self.target.dir.join("SigningTable"),
            signing.as_bytes(),
            mode,
        )
        .map_err(io)?;
        Ok(k || s)
    }

    /// Removes a domain's keys other than `keep` (every key when `None`).
    pub fn prune_keys(
        &self,
        domain: &str,
        keep: Option<&str>,
    ) -> Result<Vec<String>, ProvisionError> {
        let dir = self.key_dir(domain)?;
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("{}: {e}", dir.display()))),
        };
        let keep = keep.map(|s| format!("{s}.private"));
        let mut changes = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            if keep.as_deref().is_some_and(|k| name == k) {
                continue;
            }
            let path = entry.path();
            // `remove_file` removes a link, never what it points at.
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => continue,
                _ => {}
            }
            files::remove_file(&path).map_err(io)?;
            changes.push(format!(
                "DKIM key {} of {domain} removed",
                name.to_string_lossy().trim_end_matches(".private")
            ));
        }
        if keep.is_none() {
            // Empty now, unless something else was put there.
            let _ = std::fs::remove_dir(&dir);
        }
        Ok(changes)
    }

    /// Tells a running OpenDKIM to read its tables again.
    pub async fn reload(&self) -> Result<Option<String>, ProvisionError> {
        let Some(pid_file) = &self.target.pid_file else {
            return Ok(None);
        };
        let Some(pid) = read_pid(pid_file)? else {
            // Not running: it reads the tables when it starts.
            return Ok(None);
        };
        let mut cmd = tokio::process::Command::new("kill");
        cmd.arg("-USR1").arg(pid.to_string());
        crate::command::run_checked(cmd, Duration::from_secs(10))
            .await
            .map_err(|e| ProvisionError::Transient(format!("reloading OpenDKIM: {e}")))?;
        Ok(Some(format!(
            "OpenDKIM (pid {pid}) told to reload its tables"
        )))
    }

    /// The dry-run lines of installing `key` (or removing the domain's
    /// signing when `None`).
    pub fn plan(&self, owner: i64, key: Option<&DomainKey>) -> Vec<String> {
        let have = std::fs::read_to_string(self.fragment_path(owner)).ok();
        let want = key.and_then(|k| self.fragment(k).ok());
        let domain_of = |t: &str| {
            t.lines()
                .find_map(|l| l.strip_prefix("domain "))
                .unwrap_or_default()
                .to_owned()
        };
        match (have, want, key) {
            (Some(h), Some(w), _) if h == w => Vec::new(),
            (_, Some(_), Some(k)) => vec![format!(
                "+ DKIM signing of {} with {}",
                k.domain, k.selector
            )],
            (Some(h), None, _) => vec![format!("- DKIM signing of {}", domain_of(&h))],
            _ => Vec::new(),
        }
    }
}

/// The pid in OpenDKIM's pid file, if that process is running.
fn read_pid(path: &Path) -> Result<Option<u32>, ProvisionError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(format!("{}: {e}", path.display()))),
    };
    // A pid left behind by a dead OpenDKIM may belong to another program.
    Ok(text
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|pid| files::daemon_pid(path, "opendkim") == Some(*pid)))
}
