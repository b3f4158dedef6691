//! The order of an apply: the lookup database first (in one transaction
//! for a whole batch), then each domain's files, then OpenDKIM's tables
//! once for the batch; and the removal of a domain gone from the store.

use super::lookup::{LookupDb, Op, Outcome};
use super::{
    Desired, DkimFiles, MailProvisioner, Served, SieveFiles, conflict_error, maildirs, store_error,
};
use crate::{Applied, ProvisionError};
use konbit_core::model::DomainId;
use konbit_store::StoreError;
use std::sync::atomic::Ordering;

/// What one domain changed so far, or why it failed.
type Progress = Result<Vec<String>, ProvisionError>;

fn no_outcome() -> ProvisionError {
    ProvisionError::Transient("mail lookup database: no outcome for a write".into())
}

fn done(mut outcomes: Vec<Outcome>) -> Progress {
    match outcomes.pop() {
        Some(Outcome::Done(changes)) => Ok(changes),
        Some(Outcome::Conflicts(c)) => Err(conflict_error(&c)),
        None => Err(no_outcome()),
    }
}

/// The files part of one domain.
#[derive(Default)]
struct ItemFiles {
    changes: Vec<String>,
    /// Its DKIM fragment changed: OpenDKIM's tables must be rebuilt.
    dirty: bool,
    /// Keys to remove once OpenDKIM has reloaded: `(domain, keep)`.
    prune: Vec<(String, Option<String>)>,
}

impl MailProvisioner {
    /// Applies a batch; one result per id, in order.
    pub(super) async fn apply_batch(&self, ids: &[i64]) -> Vec<Result<Applied, ProvisionError>> {
        let db = match self.db().await {
            Ok(db) => db,
            // The service is down: stop here, the rows are given back.
            Err(e) => return vec![Err(e)],
        };
        let desired = self.desired_many(ids).await;
        let mut progress = self.write_rows(db, ids, &desired).await;
        self.write_files(ids, &desired, &mut progress).await;
        for (i, want) in desired.iter().enumerate() {
            if matches!(want, Ok(Desired::Gone)) && progress[i].is_ok() {
                let removed = self.remove_owner(db, ids[i]).await;
                match (removed, &mut progress[i]) {
                    (Ok(c), Ok(changes)) => changes.extend(c),
                    (Err(e), p) => *p = Err(e),
                    _ => {}
                }
            }
        }
        progress
            .into_iter()
            .map(|p| p.map(|changes| Applied { changes }))
            .collect()
    }

    /// The lookup database part of a batch, in one transaction, or domain
    /// by domain if that fails, so that one bad domain blocks no other. A
    /// domain whose names another domain holds is tried again alone once
    /// the batch is written: the other one may have let them go in it.
    async fn write_rows(
        &self,
        db: &LookupDb,
        ids: &[i64],
        desired: &[Result<Desired, ProvisionError>],
    ) -> Vec<Progress> {
        let ops: Vec<(usize, Op<'_>)> = desired
            .iter()
            .zip(ids)
            .enumerate()
            .filter_map(|(i, (d, id))| match d {
                Ok(Desired::Served(s)) => Some((i, Op::Serve(&s.rows))),
                Ok(Desired::Stopped { .. }) => Some((i, Op::Stop(*id))),
                _ => None,
            })
            .collect();
        let batch: Vec<Op<'_>> = ops.iter().map(|(_, op)| *op).collect();
        let mut outcomes: Vec<Option<Result<Outcome, ProvisionError>>> = vec![None; desired.len()];
        match db.run(&batch).await {
            Ok(all) => {
                for ((i, _), outcome) in ops.iter().zip(all) {
                    outcomes[*i] = Some(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "batch write failed; writing domain by domain");
                for (i, op) in &ops {
                    let one = db.run(std::slice::from_ref(op)).await;
                    outcomes[*i] = Some(one.and_then(|mut o| o.pop().ok_or_else(no_outcome)));
                }
            }
        }
        let mut out = Vec::with_capacity(desired.len());
        for (want, outcome) in desired.iter().zip(outcomes) {
            out.push(match (want, outcome) {
                (Err(e), _) => Err(e.clone()),
                (Ok(_), None) => Ok(Vec::new()),
                (Ok(_), Some(Err(e))) => Err(e),
                (Ok(_), Some(Ok(Outcome::Done(changes)))) => Ok(changes),
                (Ok(Desired::Served(s)), Some(Ok(Outcome::Conflicts(_)))) => {
                    self.serve_alone(db, s).await
                }
                (Ok(_), Some(Ok(Outcome::Conflicts(c)))) => Err(conflict_error(&c)),
            });
        }
        out
    }

    /// Writes one domain's rows. If another domain holds one of its names
    /// and that domain is gone from the store (purged before its removal
    /// ran), it is removed first, its stored mail included: a new domain of
    /// the same name must not inherit it.
    async fn serve_alone(&self, db: &LookupDb, served: &Served) -> Progress {
        let mut changes = Vec::new();
        let mut cleared = false;
        loop {
            let outcome = db
                .run(&[Op::Serve(&served.rows)])
                .await?
                .pop()
                .ok_or_else(no_outcome)?;
            let conflicts = match outcome {
                Outcome::Done(c) => {
                    changes.extend(c);
                    return Ok(changes);
                }
                Outcome::Conflicts(c) => c,
            };
            if cleared {
                return Err(conflict_error(&conflicts));
            }
            cleared = true;
            let mut owners: Vec<i64> = conflicts.iter().map(|c| c.owner).collect();
            owners.sort_unstable();
            owners.dedup();
            let mut removed = false;
            for owner in owners {
                if self.is_gone(owner).await? {
                    changes.extend(self.remove_owner(db, owner).await?);
                    removed = true;
                }
            }
            if !removed {
                return Err(conflict_error(&conflicts));
            }
        }
    }

    /// Whether a domain is gone from the store.
    pub(super) async fn is_gone(&self, id: i64) -> Result<bool, ProvisionError> {
        let mut tx = self.store.read().await.map_err(store_error)?;
        let gone = match tx.domain(DomainId(id)).await {
            Ok(_) => false,
            Err(StoreError::NotFound) => true,
            Err(e) => return Err(store_error(e)),
        };
        let _ = tx.commit().await;
        Ok(gone)
    }

    /// The files of a batch: Sieve scripts, DKIM keys and the stored mail
    /// of purged mailboxes per domain, then OpenDKIM's tables once.
    async fn write_files(
        &self,
        ids: &[i64],
        desired: &[Result<Desired, ProvisionError>],
        progress: &mut [Progress],
    ) {
        let sieve = SieveFiles::new(&self.target).and_then(|s| {
            let listing = s.listing()?;
            Ok((s, listing))
        });
        let dkim = self.target.dkim.as_ref().map(DkimFiles::new).transpose();
        let mut dirty = vec![false; ids.len()];
        let mut prune = Vec::new();
        for (i, want) in desired.iter().enumerate() {
            let (domain, served) = match want {
                Ok(Desired::Served(s)) => (s.rows.domain.as_str(), Some(s.as_ref())),
                Ok(Desired::Stopped { domain }) => (domain.as_str(), None),
                _ => continue,
            };
            if progress[i].is_err() {
                continue;
            }
            let files = self.item_files(ids[i], domain, served, &sieve, &dkim).await;
            match (files, &mut progress[i]) {
                (Ok(f), Ok(changes)) => {
                    changes.extend(f.changes);
                    dirty[i] = f.dirty;
                    prune.extend(f.prune.into_iter().map(|(d, keep)| (i, d, keep)));
                }
                (Err(e), p) => *p = Err(e),
                _ => {}
            }
        }
        let Ok(Some(files)) = &dkim else {
            return;
        };
        let any_dirty = dirty.contains(&true);
        let tables = if any_dirty || files.tables_missing() {
            files.rebuild()
        } else {
            Ok(false)
        };
        let reloaded = match tables {
            Ok(changed) => {
                if changed || any_dirty {
                    self.dkim_reload.store(true, Ordering::SeqCst);
                }
                self.reload_dkim(files).await
            }
            Err(e) => Err(e),
        };
        match reloaded {
            Ok(lines) => {
                if let Some(Ok(changes)) = dirty
                    .iter()
                    .position(|d| *d)
                    .and_then(|i| progress.get_mut(i))
                {
                    changes.extend(lines);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "OpenDKIM's tables are not up to date");
                for (p, _) in progress.iter_mut().zip(&dirty).filter(|(_, d)| **d) {
                    *p = Err(e.clone());
                }
            }
        }
        for (i, domain, keep) in prune {
            if let Ok(changes) = &mut progress[i] {
                match files.prune_keys(&domain, keep.as_deref()) {
                    Ok(c) => changes.extend(c),
                    Err(e) => progress[i] = Err(e),
                }
            }
        }
    }

    async fn item_files(
        &self,
        id: i64,
        domain: &str,
        served: Option<&Served>,
        sieve: &Result<(SieveFiles<'_>, Vec<String>), ProvisionError>,
        dkim: &Result<Option<DkimFiles<'_>>, ProvisionError>,
    ) -> Result<ItemFiles, ProvisionError> {
        let (scripts, listing) = sieve.as_ref().map_err(Clone::clone)?;
        let wanted = served.map_or(&[][..], |s| s.scripts.as_slice());
        let mut out = ItemFiles {
            changes: scripts.sync(domain, wanted, listing).await?,
            ..ItemFiles::default()
        };
        if let Some(files) = dkim.as_ref().map_err(Clone::clone)? {
            match served.and_then(|s| s.dkim.as_ref()) {
                Some(key) => {
                    let (changed, c) = files.install(id, key)?;
                    out.dirty = changed;
                    out.changes.extend(c);
                    out.prune
                        .push((key.domain.clone(), Some(key.selector.clone())));
                }
                None => {
                    if let Some(d) = files.uninstall(id)? {
                        out.dirty = true;
                        out.changes.push(format!("DKIM signing of {d} stopped"));
                        out.prune.push((d, None));
                    }
                    out.prune.push((domain.to_owned(), None));
                }
            }
        }
        if let Some(s) = served {
            out.changes.extend(
                maildirs::prune(
                    self.target.vmail_root.clone(),
                    domain.to_owned(),
                    s.homes.clone(),
                )
                .await?,
            );
        }
        Ok(out)
    }

    /// Sends OpenDKIM the reload its tables are waiting for, if any.
    async fn reload_dkim(&self, files: &DkimFiles<'_>) -> Result<Vec<String>, ProvisionError> {
        if !self.dkim_reload.load(Ordering::SeqCst) {
            return Ok(Vec::new());
        }
        let line = files.reload().await?;
        self.dkim_reload.store(false, Ordering::SeqCst);
        Ok(line.into_iter().collect())
    }

    /// Removes everything of a domain gone from the store: its rows, files
    /// and stored mail. Its `konbit_owners` row goes last, so a removal
    /// that fails half-way still knows, when retried, where the mail is.
    pub(super) async fn remove_owner(&self, db: &LookupDb, id: i64) -> Progress {
        let current = db.current(id).await?;
        let mut changes = done(db.run(&[Op::Stop(id)]).await?)?;
        if let Some(domain) = &current.domain {
            let sieve = SieveFiles::new(&self.target)?;
            let listing = sieve.listing()?;
            changes.extend(sieve.sync(domain, &[], &listing).await?);
        }
        if let Some(target) = &self.target.dkim {
            let files = DkimFiles::new(target)?;
            if let Some(d) = files.uninstall(id)? {
                if files.rebuild()? {
                    self.dkim_reload.store(true, Ordering::SeqCst);
                }
                changes.extend(self.reload_dkim(&files).await?);
                changes.extend(files.prune_keys(&d, None)?);
            }
        }
        if let Some(domain) = &current.domain {
            changes.extend(
                maildirs::remove_domain(self.target.vmail_root.clone(), domain.clone()).await?,
            );
            changes.push(format!("mail domain {domain} removed"));
        }
        db.run(&[Op::Forget(id)]).await?;
        Ok(changes)
    }
}
