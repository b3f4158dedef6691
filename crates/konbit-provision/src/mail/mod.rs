//! The mail provisioner: makes Postfix, Dovecot and OpenDKIM serve each
//! domain's mail as the store describes it. One queue object per domain
//! (`mail_domain`, keyed by the domain id) covers its mailboxes, aliases,
//! catch-all, domain aliases, automatic replies and DKIM keys, and the
//! routes of its mailing lists: every address of a live list goes to
//! Mailman (`list_routes`, see [`schema`]); creating or deleting a list
//! re-queues its domain. Mailman itself (lists, members) is not this
//! provisioner's.
//!
//! An apply writes the domain's rows of the lookup database (see
//! [`schema`]) in one transaction, then its files: the Sieve scripts of its
//! automatic replies, its DKIM key and OpenDKIM's tables, and it deletes
//! the stored mail of purged mailboxes. A batch (the resync) writes every
//! domain's rows in one transaction.

pub mod config;
pub mod schema;

mod apply;
mod dkim;
mod lookup;
mod maildirs;
mod rows;
mod sieve;
pub mod usage;

#[cfg(test)]
mod tests;

pub use rows::{LookupRow, LookupRows, MailboxRow, build_lookup};
pub use usage::{maildir_bytes, refresh_usage};

use crate::{Applied, ProvisionError, Provisioner};
use dkim::{DkimFiles, DomainKey};
use konbit_core::model::DomainId;
use konbit_store::{MailDomainSource, Store, StoreError};
use lookup::{Conflict, LookupDb};
use sieve::{Script, SieveFiles};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// The queue kind of mail domains (one per domain).
pub const KIND: &str = "mail_domain";

/// Where OpenDKIM's keys and tables are, and how to reach it.
#[derive(Debug, Clone)]
pub struct DkimTarget {
    /// Holds `KeyTable`, `SigningTable` and `keys/<domain>/`.
    pub dir: PathBuf,
    /// OpenDKIM's pid file: the running daemon is sent SIGUSR1 after its
    /// tables change.
    pub pid_file: Option<PathBuf>,
    /// The user OpenDKIM runs as (`opendkim`): it owns the key files.
    pub owner: Option<String>,
}

/// Where the mail daemons read what this provisioner writes.
#[derive(Debug, Clone)]
pub struct MailTarget {
    pub lookup_db: PathBuf,
    /// Postfix's group: the database's directory is made 2770 and its files
    /// 0660 for it (in WAL mode every reader writes `-shm`).
    pub group: Option<String>,
    /// Mail is stored under `<vmail_root>/<domain>/<local part>/Maildir`.
    pub vmail_root: PathBuf,
    /// The automatic replies' `<address>.sieve`.
    pub sieve_dir: PathBuf,
    /// `sievec`, to compile each script beside it; `None`: not compiled.
    pub sievec: Option<PathBuf>,
    /// The group Dovecot delivers mail as: it reads the Sieve scripts.
    pub mail_group: Option<String>,
    /// `None`: no DKIM signing.
    pub dkim: Option<DkimTarget>,
    /// How long a write waits for the daemons' readers before it is
    /// retried.
    pub busy_timeout: Duration,
}

pub struct MailProvisioner {
    store: Store,
    target: MailTarget,
    /// Opened on first use, so `konbit serve` starts (and retries) even
    /// while the lookup database cannot be opened yet.
    db: tokio::sync::OnceCell<LookupDb>,
    /// OpenDKIM's tables changed and it has not been told yet (the signal
    /// failed): the next apply tries again.
    dkim_reload: AtomicBool,
}

/// What a domain's mail must be.
enum Desired {
    /// Gone from the store: nothing served, and its stored mail deleted.
    Gone,
    /// Mail off, or the domain or its account deleted: nothing served,
    /// the stored mail kept.
    Stopped {
        domain: String,
    },
    Served(Box<Served>),
}

struct Served {
    rows: LookupRows,
    scripts: Vec<Script>,
    dkim: Option<DomainKey>,
    /// The local part of every mailbox, soft-deleted ones included: their
    /// stored mail is kept.
    homes: BTreeSet<String>,
}

impl Served {
    /// `signing`: DKIM is set up (otherwise a bad key blocks nothing).
    fn build(source: &MailDomainSource, signing: bool) -> Result<Self, ProvisionError> {
        Ok(Self {
            rows: build_lookup(source)?,
            scripts: sieve::scripts(source)?,
            dkim: if signing {
                dkim::desired(source)?
            } else {
                None
            },
            homes: source
                .mailboxes
                .iter()
                .map(|m| m.mailbox.address.local().to_string())
                .collect(),
        })
    }
}

fn store_error(e: StoreError) -> ProvisionError {
    ProvisionError::Transient(format!("state store: {e}"))
}

fn conflict_error(conflicts: &[Conflict]) -> ProvisionError {
    ProvisionError::Invalid {
        reason: conflicts
            .iter()
            .map(|c| {
                format!(
                    "mail for {} is already served for another domain (id {})",
                    c.name, c.owner
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

impl MailProvisioner {
    pub fn new(store: Store, target: MailTarget) -> Self {
        Self {
            store,
            target,
            db: tokio::sync::OnceCell::new(),
            dkim_reload: AtomicBool::new(false),
        }
    }

    async fn db(&self) -> Result<&LookupDb, ProvisionError> {
        self.db
            .get_or_try_init(|| {
                LookupDb::open(
                    &self.target.lookup_db,
                    self.target.group.as_deref(),
                    self.target.busy_timeout,
                )
            })
            .await
    }

    /// The domains' mail as it must be, read in one snapshot.
    async fn desired_many(&self, ids: &[i64]) -> Vec<Result<Desired, ProvisionError>> {
        let mut tx = match self.store.read().await {
            Ok(tx) => tx,
            Err(e) => {
                let e = store_error(e);
                return ids.iter().map(|_| Err(e.clone())).collect();
            }
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(match tx.mail_domain_source(DomainId(*id)).await {
                Ok(s) if !s.serving => Ok(Desired::Stopped {
                    domain: s.domain.name.to_string(),
                }),
                Ok(s) => Served::build(&s, self.target.dkim.is_some())
                    .map(|s| Desired::Served(Box::new(s))),
                Err(StoreError::NotFound) => Ok(Desired::Gone),
                Err(e) => Err(store_error(e)),
            });
        }
        let _ = tx.commit().await;
        out
    }

    async fn desired(&self, id: i64) -> Result<Desired, ProvisionError> {
        self.desired_many(&[id])
            .await
            .pop()
            .unwrap_or_else(|| Err(ProvisionError::Transient("nothing read".into())))
    }
}

impl Provisioner for MailProvisioner {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn apply(&self, object_id: i64, _generation: i64) -> Result<Applied, ProvisionError> {
        self.apply_batch(&[object_id])
            .await
            .pop()
            .unwrap_or_else(|| Err(ProvisionError::Transient("nothing applied".into())))
    }

    /// A batch (a resync) writes every domain's rows in one transaction.
    async fn apply_many(&self, items: &[(i64, i64)]) -> Vec<Result<Applied, ProvisionError>> {
        let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
        self.apply_batch(&ids).await
    }

    async fn remove(&self, object_id: i64) -> Result<Applied, ProvisionError> {
        // Only a domain gone from the store loses its stored mail; one
        // that is still there (its mail row went some other way) is
        // applied as it is.
        if !self.is_gone(object_id).await? {
            return self.apply(object_id, 0).await;
        }
        let db = self.db().await?;
        Ok(Applied {
            changes: self.remove_owner(db, object_id).await?,
        })
    }

    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        let desired = match generation {
            Some(_) => self.desired(object_id).await?,
            None => Desired::Gone,
        };
        self.plan_changes(object_id, &desired).await
    }

    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let mut tx = self.store.read().await.map_err(store_error)?;
        let mut ids = tx.mail_domain_ids().await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        ids.extend(self.db().await?.owners().await?);
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

impl MailProvisioner {
    /// The dry run: what an apply would change, changing nothing.
    async fn plan_changes(
        &self,
        id: i64,
        desired: &Desired,
    ) -> Result<Vec<String>, ProvisionError> {
        let current = self.db().await?.current(id).await?;
        let sieve = SieveFiles::new(&self.target)?;
        let listing = sieve.listing()?;
        let dkim = self.target.dkim.as_ref().map(DkimFiles::new).transpose()?;
        let root = &self.target.vmail_root;
        let mut out = Vec::new();
        let (domain, want, scripts, key, keep) = match desired {
            Desired::Served(s) => {
                if current.rows.is_empty() {
                    out.push(format!("mail for {} would be served", s.rows.domain));
                }
                (
                    Some(s.rows.domain.clone()),
                    s.rows.rows(),
                    s.scripts.as_slice(),
                    s.dkim.as_ref(),
                    Some(&s.homes),
                )
            }
            Desired::Stopped { domain } => {
                if !current.rows.is_empty() {
                    out.push(format!(
                        "mail for {domain} would no longer be served (its stored mail is kept)"
                    ));
                }
                (Some(domain.clone()), BTreeSet::new(), &[][..], None, None)
            }
            Desired::Gone => {
                if let Some(d) = &current.domain {
                    out.push(format!(
                        "mail domain {d} would be removed, its stored mail too"
                    ));
                }
                (current.domain.clone(), BTreeSet::new(), &[][..], None, None)
            }
        };
        out.extend(rows::diff(&current.rows, &want));
        let Some(domain) = domain else {
            return Ok(out);
        };
        out.extend(sieve.plan(&domain, scripts, &listing));
        if let Some(files) = &dkim {
            out.extend(files.plan(id, key));
        }
        match (desired, keep) {
            (Desired::Served(_), Some(keep)) => {
                out.extend(maildirs::plan(root, &domain, Some(keep)));
            }
            (Desired::Gone, _) => out.extend(maildirs::plan(root, &domain, None)),
            _ => {}
        }
        Ok(out)
    }
}
