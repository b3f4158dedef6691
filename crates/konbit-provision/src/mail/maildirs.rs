//! Stored mail: `<vmail_root>/<domain>/<local part>/` is a mailbox's home
//! (Dovecot creates it on the first delivery). A purged mailbox's home is
//! deleted when its domain is next applied; a purged domain's whole
//! directory when the domain is removed. Soft-deleted mailboxes and domains
//! keep their mail until they are purged.
//!
//! Nothing here follows a symbolic link: a link is removed, never what it
//! points at, and a domain directory that is a link is left alone.

use crate::ProvisionError;
use crate::files;
use konbit_core::mail::LocalPart;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn io(e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError::Transient(format!("mail storage: {e}"))
}

/// Whether a name in a domain directory is one Konbit could have made: a
/// local part as stored. Anything else was put there by someone else and
/// is left alone.
fn is_home_name(name: &str) -> bool {
    LocalPart::parse("local_part", name).is_ok_and(|l| l.as_str() == name)
}

/// The homes in `<vmail_root>/<domain>` that belong to no mailbox in
/// `keep`.
fn orphans(
    root: &Path,
    domain: &str,
    keep: &BTreeSet<String>,
) -> Result<Vec<PathBuf>, ProvisionError> {
    let dir = files::child(root, domain).map_err(io)?;
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            tracing::warn!(path = %dir.display(), "a domain's mail directory is not a directory: left alone");
            return Ok(Vec::new());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(format!("{}: {e}", dir.display()))),
    }
    let entries = std::fs::read_dir(&dir).map_err(|e| io(format!("{}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io(format!("{}: {e}", dir.display())))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if is_home_name(&name) && !keep.contains(&name) {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Removes a path without following links: a directory with everything in
/// it (`remove_dir_all` does not follow links inside), a link or a file
/// alone.
fn remove_path(path: &Path) -> Result<(), ProvisionError> {
    let result = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
    };
    result.map_err(|e| io(format!("{}: {e}", path.display())))
}

/// Deletes the homes of `domain` that belong to no mailbox of `keep`
/// (local parts, soft-deleted mailboxes included).
pub async fn prune(
    root: PathBuf,
    domain: String,
    keep: BTreeSet<String>,
) -> Result<Vec<String>, ProvisionError> {
    tokio::task::spawn_blocking(move || {
        let mut changes = Vec::new();
        for path in orphans(&root, &domain, &keep)? {
            remove_path(&path)?;
            changes.push(format!("mail in {} deleted", path.display()));
        }
        Ok(changes)
    })
    .await
    .map_err(io)?
}

/// Deletes every mail of `domain`.
pub async fn remove_domain(root: PathBuf, domain: String) -> Result<Vec<String>, ProvisionError> {
    tokio::task::spawn_blocking(move || {
        let dir = files::child(&root, &domain).map_err(io)?;
        if std::fs::symlink_metadata(&dir).is_err() {
            return Ok(Vec::new());
        }
        remove_path(&dir)?;
        Ok(vec![format!("mail in {} deleted", dir.display())])
    })
    .await
    .map_err(io)?
}

/// The dry-run lines of [`prune`] (`keep`: `Some`) or [`remove_domain`].
pub fn plan(root: &Path, domain: &str, keep: Option<&BTreeSet<String>>) -> Vec<String> {
    match keep {
        Some(keep) => orphans(root, domain, keep)
            .unwrap_or_default()
            .into_iter()
            .map(|p| format!("- mail in {}", p.display()))
            .collect(),
        None => files::child(root, domain)
            .ok()
            .filter(|d| std::fs::symlink_metadata(d).is_ok())
            .map(|d| vec![format!("- mail in {}", d.display())])
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_orphan_homes_go_and_links_are_not_followed() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("precious"), b"x").unwrap();
        let d = root.path().join("example.org");
        for home in ["ada", "gone", ".hidden", "Upper"] {
            std::fs::create_dir_all(d.join(home).join("Maildir/cur")).unwrap();
        }
        std::os::unix::fs::symlink(outside.path(), d.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.join("gone/Maildir/escape")).unwrap();
        let keep = BTreeSet::from(["ada".to_owned()]);
        let changes = prune(root.path().into(), "example.org".into(), keep)
            .await
            .unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(d.join("ada/Maildir/cur").is_dir());
        assert!(!d.join("gone").exists());
        assert!(d.join(".hidden").is_dir() && d.join("Upper").is_dir());
        assert!(std::fs::symlink_metadata(d.join("link")).is_err());
        assert!(outside.path().join("precious").exists());

        // A domain directory that is a link is left alone.
        std::os::unix::fs::symlink(outside.path(), root.path().join("example.net")).unwrap();
        let changes = prune(root.path().into(), "example.net".into(), BTreeSet::new())
            .await
            .unwrap();
        assert!(changes.is_empty());
        assert!(outside.path().join("precious").exists());

        let changes = remove_domain(root.path().into(), "example.org".into())
            .await
            .unwrap();
        assert_eq!(changes.len(), 1);
        assert!(!d.exists());
        assert!(
            remove_domain(root.path().into(), "../x".into())
                .await
                .is_err()
        );
    }
}
