//! The `sftp_account` queue kind: ProFTPd's user, group and key files
//! hold every login the store says must be served.
//!
//! The files list every login, so each batch rewrites them from the whole
//! list ([`SftpFiles::write_all`] leaves unchanged files alone). A login
//! whose entry cannot be built (its account's Unix user is missing, its
//! directory cannot be made) or that the writer rejects is left out of the
//! files and fails alone; the others are written all the same.

use super::files::{SftpEntry, SftpFiles};
use crate::web::{AccountHost, UnixSettings};
use crate::{Applied, ProvisionError, Provisioner};
use konbit_core::model::{AccountId, SftpAccountId};
use konbit_store::{ServedSftpAccount, Store, StoreError};
use std::collections::HashMap;

pub const KIND: &str = "sftp_account";

pub struct SftpProvisioner {
    store: Store,
    files: SftpFiles,
    unix: UnixSettings,
}

fn store_error(e: StoreError) -> ProvisionError {
    ProvisionError::Transient(e.to_string())
}

/// What one batch wrote, login by login.
struct Written {
    served: Vec<SftpAccountId>,
    /// Logins that could not be written, with why.
    failed: HashMap<SftpAccountId, String>,
}

impl SftpProvisioner {
    pub fn new(store: Store, files: SftpFiles, unix: UnixSettings) -> Self {
        Self { store, files, unix }
    }

    /// The entry of one login: its account's uid and gid, and its
    /// directory (made as the account's user when missing).
    async fn entry(
        &self,
        login: &ServedSftpAccount,
        hosts: &mut HashMap<AccountId, AccountHost>,
    ) -> Result<SftpEntry, ProvisionError> {
        let host = match hosts.get(&login.account_id) {
            Some(h) => h.clone(),
            None => {
                let h = self
                    .unix
                    .ensure(login.account_id, &login.account_name)
                    .await?;
                hosts.insert(login.account_id, h.clone());
                h
            }
        };
        let chroot = match &login.dir {
            Some(dir) => {
                self.unix.ensure_subdir(&host, dir).await?;
                let chroot = host.root(dir);
                refuse_links(&host, &chroot, dir.as_str())?;
                chroot
            }
            None => host.home.clone(),
        };
        Ok(SftpEntry {
            login: login.login.clone(),
            password_hash: login.password_hash.clone(),
            uid: host.uid,
            gid: host.gid,
            chroot,
            keys: login.keys.clone(),
        })
    }

    /// Rewrites the files from the whole list of served logins.
    async fn write(&self) -> Result<Written, ProvisionError> {
        let (served, unreadable) = {
            let mut tx = self.store.read().await.map_err(store_error)?;
            tx.served_sftp_accounts().await.map_err(store_error)?
        };
        let mut failed: HashMap<SftpAccountId, String> = unreadable.into_iter().collect();
        let mut hosts = HashMap::new();
        let mut entries = Vec::with_capacity(served.len());
        let mut ids_by_login = HashMap::with_capacity(served.len());
        for login in &served {
            match self.entry(login, &mut hosts).await {
                Ok(e) => {
                    ids_by_login.insert(login.login.as_str().to_owned(), login.id);
                    entries.push(e);
                }
                Err(ProvisionError::Invalid { reason }) => {
                    failed.insert(login.id, reason);
                }
                Err(other) => return Err(other),
            }
        }
        let report = tokio::task::spawn_blocking({
            let files = self.files.clone();
            move || files.write_all(&entries)
        })
        .await
        .map_err(|e| ProvisionError::Transient(e.to_string()))?
        .map_err(ProvisionError::Transient)?;
        for (login, reason) in report.rejected {
            if let Some(id) = ids_by_login.get(login.as_str()) {
                failed.insert(*id, reason);
            }
        }
        Ok(Written {
            served: served.iter().map(|s| s.id).collect(),
            failed,
        })
    }

    /// One object's outcome once the files are written.
    fn outcome(written: &Written, id: SftpAccountId) -> Result<Applied, ProvisionError> {
        if let Some(reason) = written.failed.get(&id) {
            return Err(ProvisionError::Invalid {
                reason: reason.clone(),
            });
        }
        let change = if written.served.contains(&id) {
            format!("SFTP login {} served", id.0)
        } else {
            format!("SFTP login {} not served", id.0)
        };
        Ok(Applied {
            changes: vec![change],
        })
    }
}

/// ProFTPd 1.3.8 chroots an SFTP session into its directory following
/// links, whatever `AllowChrootSymlinks` says (checked by
/// `hosting::sftp::the_chroot_holds_against_dot_dot_absolute_paths_and_links`),
/// and the member owns the home, so a directory they replaced with a link
/// would move the chroot out of their files. Such a login is refused here,
/// at each change and each full resync.
fn refuse_links(
    host: &AccountHost,
    chroot: &std::path::Path,
    dir: &str,
) -> Result<(), ProvisionError> {
    let unreadable = |e: std::io::Error| ProvisionError::Invalid {
        reason: format!("the directory {dir} cannot be checked: {e}"),
    };
    let home = std::fs::canonicalize(&host.home).map_err(unreadable)?;
    let real = std::fs::canonicalize(chroot).map_err(unreadable)?;
    let relative = chroot
        .strip_prefix(&host.home)
        .map_err(|_| ProvisionError::Invalid {
            reason: format!("the directory {dir} is outside the account's home"),
        })?;
    if real != home.join(relative) || !real.is_dir() {
        return Err(ProvisionError::Invalid {
            reason: format!(
                "the directory {dir} is a link or goes through one: an SFTP login needs a real directory"
            ),
        });
    }
    Ok(())
}

impl Provisioner for SftpProvisioner {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn apply(&self, object_id: i64, _generation: i64) -> Result<Applied, ProvisionError> {
        let written = self.write().await?;
        Self::outcome(&written, SftpAccountId(object_id))
    }

    async fn apply_many(&self, items: &[(i64, i64)]) -> Vec<Result<Applied, ProvisionError>> {
        match self.write().await {
            Ok(written) => items
                .iter()
                .map(|(id, _)| Self::outcome(&written, SftpAccountId(*id)))
                .collect(),
            Err(e) => items.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn remove(&self, _object_id: i64) -> Result<Applied, ProvisionError> {
        self.write().await?;
        Ok(Applied {
            changes: vec!["SFTP login removed".into()],
        })
    }

    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        Ok(vec![match generation {
            Some(_) => format!("SFTP login {object_id}: ProFTPd's files rewritten"),
            None => format!("SFTP login {object_id}: removed from ProFTPd's files"),
        }])
    }

    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let mut tx = self.store.read().await.map_err(store_error)?;
        let mut ids: Vec<i64> = tx
            .sftp_accounts(None)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(|s| s.id.0)
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }
}
