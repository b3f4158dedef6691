//! How much storage each mailbox uses, measured on disk and recorded in
//! the store for the panel (Dovecot enforces the quota itself).

use super::MailTarget;
use crate::ProvisionError;
use crate::files;
use konbit_core::model::MailboxId;
use konbit_store::{MailFilter, Store};
use std::path::{Path, PathBuf};

/// Deeper than any Maildir++ layout (`Maildir/.Folder/cur/file`); a
/// deeper tree is not Dovecot's and is not counted.
const MAX_DEPTH: usize = 8;

/// The bytes of the regular files under `path`, without following links
/// and at most [`MAX_DEPTH`] levels down; 0 when it does not exist.
pub fn maildir_bytes(path: &Path) -> u64 {
    files::tree_bytes(path, MAX_DEPTH)
}

fn store_error(e: konbit_store::StoreError) -> ProvisionError {
    ProvisionError::Transient(format!("state store: {e}"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Measures every live mailbox's `<vmail_root>/<domain>/<local>/Maildir`
/// and records it in one write; returns how many were measured. The
/// measuring happens outside any transaction, so the store is held only
/// for the write.
pub async fn refresh_usage(store: &Store, target: &MailTarget) -> Result<usize, ProvisionError> {
    let mut tx = store.read().await.map_err(store_error)?;
    let mailboxes = tx
        .mailboxes(&MailFilter::default())
        .await
        .map_err(store_error)?;
    tx.commit().await.map_err(store_error)?;
    let homes: Vec<(MailboxId, Option<PathBuf>)> = mailboxes
        .iter()
        .map(|m| {
            let home = files::child(&target.vmail_root, m.address.domain().as_str())
                .and_then(|d| files::child(&d, m.address.local().as_str()))
                .ok()
                .map(|h| h.join("Maildir"));
            (m.id, home)
        })
        .collect();
    let measured = tokio::task::spawn_blocking(move || {
        homes
            .into_iter()
            .filter_map(|(id, home)| Some((id, maildir_bytes(&home?))))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ProvisionError::Transient(format!("measuring mail storage: {e}")))?;
    let at = now();
    let mut tx = store.write().await.map_err(store_error)?;
    for (id, bytes) in &measured {
        tx.set_mailbox_usage(*id, *bytes, at)
            .await
            .map_err(store_error)?;
    }
    tx.commit().await.map_err(store_error)?;
    Ok(measured.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_files_not_links() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("Maildir");
        std::fs::create_dir_all(md.join("cur")).unwrap();
        std::fs::create_dir_all(md.join(".Sent/new")).unwrap();
        std::fs::write(md.join("cur/1"), vec![0u8; 100]).unwrap();
        std::fs::write(md.join(".Sent/new/2"), vec![0u8; 50]).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("big"), vec![0u8; 10_000]).unwrap();
        std::os::unix::fs::symlink(outside.path(), md.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("big"), md.join("cur/big")).unwrap();
        assert_eq!(maildir_bytes(&md), 150);
        assert_eq!(maildir_bytes(&dir.path().join("none")), 0);
    }
}
