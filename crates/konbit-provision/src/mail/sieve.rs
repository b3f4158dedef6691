//! Automatic replies: one Sieve script per mailbox whose reply is on,
//! `<sieve_dir>/<address>.sieve`, which Dovecot runs before the user's own
//! scripts (`sieve_before`), kept apart from what the user manages with
//! ManageSieve. The directory is not writable by Dovecot, so each script is
//! compiled here (`.svbin` beside it): otherwise Dovecot logs an error on
//! every delivery because it cannot save the binary.

use super::MailTarget;
use crate::ProvisionError;
use crate::files::{self, FileMode};
use konbit_core::mail::{AliasSource, MailAddress, parse_autoreply, vacation_sieve};
use konbit_store::MailDomainSource;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SIEVEC_TIMEOUT: Duration = Duration::from_secs(30);

/// One script to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub address: String,
    pub text: String,
}

/// The scripts a served domain needs: one per live mailbox whose automatic
/// reply is on, answering mail sent to the mailbox, to the aliases that
/// deliver to it, and to their equivalents in the domain aliases (without
/// them, mail sent to an alias would get no reply).
pub fn scripts(source: &MailDomainSource) -> Result<Vec<Script>, ProvisionError> {
    let mut out = Vec::new();
    for served in &source.mailboxes {
        let m = &served.mailbox;
        let Some(r) = served.autoreply.as_ref().filter(|r| r.enabled) else {
            continue;
        };
        if m.is_deleted() {
            continue;
        }
        let address = m.address.to_string();
        let reply = parse_autoreply(
            &r.subject,
            &r.body,
            r.start_date.as_deref().unwrap_or(""),
            r.end_date.as_deref().unwrap_or(""),
        )
        .map_err(|errors| ProvisionError::Invalid {
            reason: format!(
                "automatic reply of {address}: {}",
                errors
                    .iter()
                    .map(|e| format!("{} {:?}", e.field, e.rule))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
        let mut own = vec![m.address.clone()];
        for alias in &source.aliases {
            if let AliasSource::Address(a) = &alias.source
                && !own.contains(a)
                && !source.mailboxes.iter().any(|b| b.mailbox.address == *a)
                && alias
                    .destinations
                    .iter()
                    .any(|d| d.trim().eq_ignore_ascii_case(&address))
            {
                own.push(a.clone());
            }
        }
        let mut addresses = own.clone();
        for domain in &source.alias_domains {
            for a in &own {
                // Too long in the alias domain: no mail can be sent to it.
                if let Ok(x) = MailAddress::new("address", a.local().clone(), domain.clone())
                    && !addresses.contains(&x)
                {
                    addresses.push(x);
                }
            }
        }
        out.push(Script {
            address,
            text: vacation_sieve(&reply, &addresses),
        });
    }
    Ok(out)
}

/// The script files of the Sieve directory, and how they are written.
pub struct SieveFiles<'a> {
    dir: &'a Path,
    sievec: Option<&'a Path>,
    gid: Option<u32>,
}

/// The address a file of the Sieve directory is for, if it is a script or
/// binary of `domain`.
fn address_of<'n>(name: &'n str, domain: &str) -> Option<&'n str> {
    let address = name
        .strip_suffix(".sieve")
        .or_else(|| name.strip_suffix(".svbin"))?;
    let (local, d) = address.rsplit_once('@')?;
    (!local.is_empty() && d.eq_ignore_ascii_case(domain)).then_some(address)
}

fn io(e: String) -> ProvisionError {
    ProvisionError::Transient(format!("sieve scripts: {e}"))
}

impl<'a> SieveFiles<'a> {
    pub fn new(target: &'a MailTarget) -> Result<Self, ProvisionError> {
        let gid = match &target.mail_group {
            Some(g) => Some(files::group_id(g).ok_or_else(|| {
                ProvisionError::Fatal(format!("group {g} does not exist (mail group)"))
            })?),
            None => None,
        };
        Ok(Self {
            dir: &target.sieve_dir,
            sievec: target.sievec.as_deref(),
            gid,
        })
    }

    fn mode(&self) -> FileMode {
        FileMode {
            mode: 0o640,
            uid: None,
            gid: self.gid,
        }
    }

    /// The names in the directory (none when it does not exist yet).
    pub fn listing(&self) -> Result<Vec<String>, ProvisionError> {
        let entries = match std::fs::read_dir(self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("{}: {e}", self.dir.display()))),
        };
        Ok(entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect())
    }

    fn paths(&self, address: &str) -> Result<(PathBuf, PathBuf), ProvisionError> {
        let script = files::child(self.dir, &format!("{address}.sieve"));
        let binary = files::child(self.dir, &format!("{address}.svbin"));
        match (script, binary) {
            (Ok(s), Ok(b)) => Ok((s, b)),
            (Err(e), _) | (_, Err(e)) => Err(ProvisionError::Invalid { reason: e }),
        }
    }

    fn up_to_date(&self, script: &Path, binary: &Path, text: &str) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::symlink_metadata(script) else {
            return false;
        };
        let same = meta.is_file()
            && meta.mode() & 0o7777 == 0o640
            && self.gid.is_none_or(|g| g == meta.gid())
            && std::fs::read(script).is_ok_and(|old| old == text.as_bytes());
        let compiled = || {
            std::fs::symlink_metadata(binary).is_ok_and(|b| {
                b.is_file()
                    && b.mode() & 0o7777 == 0o640
                    && self.gid.is_none_or(|g| g == b.gid())
                    && b.modified().ok() >= meta.modified().ok()
            })
        };
        same && (self.sievec.is_none() || compiled())
    }

    /// Makes the domain's scripts exactly `scripts`; returns what changed.
    pub async fn sync(
        &self,
        domain: &str,
        scripts: &[Script],
        listing: &[String],
    ) -> Result<Vec<String>, ProvisionError> {
        let mut changes = Vec::new();
        let wanted: BTreeMap<&str, &str> = scripts
            .iter()
            .map(|s| (s.address.as_str(), s.text.as_str()))
            .collect();
        let mut dir_ready = false;
        for (address, text) in &wanted {
            let (script, binary) = self.paths(address)?;
            if self.up_to_date(&script, &binary, text) {
                continue;
            }
            if !dir_ready {
                let mode = if self.gid.is_some() { 0o750 } else { 0o755 };
                files::make_dir(
                    self.dir,
                    FileMode {
                        mode,
                        uid: None,
                        gid: self.gid,
                    },
                )
                .map_err(|e| ProvisionError::Fatal(format!("sieve directory: {e}")))?;
                dir_ready = true;
            }
            self.install(address, text, &script, &binary).await?;
            changes.push(format!("vacation script for {address} written"));
        }
        for name in listing {
            let Some(address) = address_of(name, domain) else {
                continue;
            };
            if wanted.contains_key(address) {
                continue;
            }
            let path = files::child(self.dir, name).map_err(io)?;
            if files::remove_file(&path).map_err(io)? && name.ends_with(".sieve") {
                changes.push(format!("vacation script for {address} removed"));
            }
        }
        Ok(changes)
    }

    async fn install(
        &self,
        address: &str,
        text: &str,
        script: &Path,
        binary: &Path,
    ) -> Result<(), ProvisionError> {
        let Some(sievec) = self.sievec else {
            files::write_atomic(script, text.as_bytes(), self.mode()).map_err(io)?;
            // Left from when scripts were compiled: it would be older than
            // the script, and Dovecot would try to replace it.
            files::remove_file(binary).map_err(io)?;
            return Ok(());
        };
        // Checked under a temporary name first, so a script sievec refuses
        // never replaces one that works.
        let staging = self
            .dir
            .join(format!(".{address}.staging{}.sieve", std::process::id()));
        let staging_bin = staging.with_extension("svbin");
        files::write_atomic(&staging, text.as_bytes(), self.mode()).map_err(io)?;
        let checked = self.compile(sievec, address, &staging, &staging_bin).await;
        let _ = files::remove_file(&staging_bin);
        if let Err(e) = checked {
            let _ = files::remove_file(&staging);
            return Err(e);
        }
        std::fs::rename(&staging, script).map_err(|e| io(format!("{}: {e}", script.display())))?;
        self.compile(sievec, address, script, binary).await?;
        let fail = |e: std::io::Error| io(format!("{}: {e}", binary.display()));
        if self.gid.is_some() {
            std::os::unix::fs::chown(binary, None, self.gid).map_err(fail)?;
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(binary, std::fs::Permissions::from_mode(0o640)).map_err(fail)
    }

    async fn compile(
        &self,
        sievec: &Path,
        address: &str,
        script: &Path,
        binary: &Path,
    ) -> Result<(), ProvisionError> {
        let mut cmd = tokio::process::Command::new(sievec);
        cmd.arg(script).arg(binary);
        let output = crate::command::run_bounded(cmd, SIEVEC_TIMEOUT)
            .await
            .map_err(|e| {
                if e.contains("did not finish") {
                    ProvisionError::Transient(e)
                } else {
                    ProvisionError::Fatal(e)
                }
            })?;
        if output.status.success() {
            return Ok(());
        }
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Err(ProvisionError::Invalid {
            reason: format!("automatic reply of {address}: sievec refused the script: {said}"),
        })
    }

    /// The dry-run lines of [`Self::sync`].
    pub fn plan(&self, domain: &str, scripts: &[Script], listing: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for s in scripts {
            match self.paths(&s.address) {
                Ok((script, binary)) if self.up_to_date(&script, &binary, &s.text) => {}
                _ => out.push(format!("+ vacation script for {}", s.address)),
            }
        }
        for name in listing.iter().filter(|n| n.ends_with(".sieve")) {
            if let Some(address) = address_of(name, domain)
                && !scripts.iter().any(|s| s.address == address)
            {
                out.push(format!("- vacation script for {address}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_belong_to_their_domain_only() {
        assert_eq!(
            address_of("ada@example.org.sieve", "example.org"),
            Some("ada@example.org")
        );
        assert_eq!(
            address_of("ada@example.org.svbin", "example.org"),
            Some("ada@example.org")
        );
        assert_eq!(address_of("ada@sub.example.org.sieve", "example.org"), None);
        assert_eq!(address_of("ada@example.org.sieve.tmp", "example.org"), None);
        assert_eq!(address_of("@example.org.sieve", "example.org"), None);
    }
}
