//! The web provisioner: makes nginx and PHP-FPM serve each site as the
//! store describes it, and gives each account its Unix user and home.
//!
//! Two queue kinds share one [`WebApplier`]: `site` (one nginx file per
//! site, checked alone with `nginx -t` so the cost of a change does not
//! grow with the number of sites, then one reload per batch) and `account`
//! (the Unix user, the home and the PHP-FPM pool).

mod apply;
pub mod host;
pub mod limits;
pub mod nginx;
pub mod php;
pub mod server;
pub mod usage;

pub use apply::{PhpTarget, WebTarget};
pub use host::{AccountHost, UnixSettings};

use crate::{Applied, ProvisionError, Provisioner};
use apply::{WebApplier, ids_on_disk};
use konbit_core::model::{AccountId, SiteId};
use konbit_store::Store;
use std::sync::Arc;

/// The queue kind of sites.
pub const KIND: &str = "site";
/// The queue kind of accounts (their Unix side).
pub const ACCOUNT_KIND: &str = "account";

/// Serves the `site` kind. Cheap to clone; clones share one lock, so nginx
/// and PHP-FPM are never reloaded by two applies at once.
#[derive(Clone)]
pub struct SiteProvisioner {
    inner: Arc<Shared>,
}

/// Serves the `account` kind with the same applier as the sites.
pub struct AccountProvisioner {
    inner: Arc<Shared>,
}

struct Shared {
    applier: WebApplier,
    /// One apply at a time touches nginx's and PHP-FPM's files.
    lock: tokio::sync::Mutex<()>,
}

impl SiteProvisioner {
    pub fn new(store: Store, target: WebTarget) -> Self {
        Self {
            inner: Arc::new(Shared {
                applier: WebApplier { store, target },
                lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The `account` kind's provisioner, sharing this one's lock.
    pub fn accounts(&self) -> AccountProvisioner {
        AccountProvisioner {
            inner: self.inner.clone(),
        }
    }

    pub fn target(&self) -> &WebTarget {
        &self.inner.applier.target
    }

    /// Applies sites and reloads nginx once if any file changed. Used by
    /// the worker and by the ACME provisioner once a certificate is in.
    pub async fn apply_sites(&self, ids: &[SiteId]) -> Vec<Result<Applied, ProvisionError>> {
        let _guard = self.inner.lock.lock().await;
        let applier = &self.inner.applier;
        if let Err(e) = applier.prepare() {
            return ids.iter().map(|_| Err(e.clone())).collect();
        }
        let (outcomes, reload) = applier.apply_batch(ids).await;
        let results: Vec<Result<Applied, ProvisionError>> = outcomes
            .into_iter()
            .map(|r| {
                r.map(|out| Applied {
                    changes: out.changes,
                })
            })
            .collect();
        if reload && let Err(message) = applier.target.nginx.reload().await {
            // The files are in place; nginx serves them once it runs again.
            let e = ProvisionError::Fatal(format!("nginx reload: {message}"));
            return results
                .into_iter()
                .map(|r| match r {
                    Ok(a) if !a.changes.is_empty() => Err(e.clone()),
                    other => other,
                })
                .collect();
        }
        results
    }
}

impl Provisioner for SiteProvisioner {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn apply(&self, object_id: i64, _generation: i64) -> Result<Applied, ProvisionError> {
        let mut r = self.apply_sites(&[SiteId(object_id)]).await;
        r.pop()
            .unwrap_or_else(|| Err(ProvisionError::Transient("no result".into())))
    }

    async fn apply_many(&self, items: &[(i64, i64)]) -> Vec<Result<Applied, ProvisionError>> {
        let ids: Vec<SiteId> = items.iter().map(|(id, _)| SiteId(*id)).collect();
        self.apply_sites(&ids).await
    }

    async fn remove(&self, object_id: i64) -> Result<Applied, ProvisionError> {
        // A site whose row is gone is unserved by apply.
        self.apply(object_id, 0).await
    }

    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        let file = self.target().site_file(SiteId(object_id));
        Ok(match (generation, file.exists()) {
            (None, true) => vec![format!("- {}", file.display())],
            (None, false) => Vec::new(),
            (Some(_), exists) => vec![format!(
                "{} {} (checked with nginx -t, then nginx reloads)",
                if exists { "~" } else { "+" },
                file.display()
            )],
        })
    }

    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let mut ids = {
            let mut tx = self
                .inner
                .applier
                .store
                .read()
                .await
                .map_err(|e| ProvisionError::Transient(e.to_string()))?;
            tx.site_ids()
                .await
                .map_err(|e| ProvisionError::Transient(e.to_string()))?
        };
        ids.extend(ids_on_disk(&self.target().sites_dir));
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

impl Provisioner for AccountProvisioner {
    fn kind(&self) -> &'static str {
        ACCOUNT_KIND
    }

    async fn apply(&self, object_id: i64, _generation: i64) -> Result<Applied, ProvisionError> {
        let _guard = self.inner.lock.lock().await;
        self.inner.applier.apply_account(AccountId(object_id)).await
    }

    async fn remove(&self, object_id: i64) -> Result<Applied, ProvisionError> {
        self.apply(object_id, 0).await
    }

    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        Ok(vec![match generation {
            Some(_) => format!("account {object_id}: Unix user, home and PHP pool checked"),
            None => format!("account {object_id}: Unix user and home removed"),
        }])
    }

    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let mut tx = self
            .inner
            .applier
            .store
            .read()
            .await
            .map_err(|e| ProvisionError::Transient(e.to_string()))?;
        tx.account_names()
            .await
            .map(|all| all.into_iter().map(|(id, _)| id.0).collect())
            .map_err(|e| ProvisionError::Transient(e.to_string()))
    }
}
