//! The `certificate` kind: orders each site's certificate by ACME
//! (http-01), installs it, has the site's nginx file serve it, renews it
//! when two thirds of its lifetime are gone, and retries failed orders
//! with a doubling delay. It runs in a worker of its own: an order takes
//! seconds, and no other service's change waits for it.

use super::client::{AcmeClient, AcmeSettings};
use crate::files::{FileMode, ensure_dir, write_atomic};
use crate::web::SiteProvisioner;
use crate::{Applied, ProvisionError, Provisioner};
use konbit_core::model::{CertificateStatus, SiteId};
use konbit_store::{Store, StoreError};
use std::time::Duration;

/// The queue kind of certificates; the object id is the site's.
pub const KIND: &str = "certificate";

/// How failed orders are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub base: Duration,
    pub max: Duration,
}

impl Retry {
    /// The delay after `attempts` failures so far: base, 2·base, 4·base…
    pub fn after(self, attempts: i64) -> Duration {
        let factor = 2u32.saturating_pow(u32::try_from(attempts.clamp(0, 30)).unwrap_or(30));
        self.base.saturating_mul(factor).min(self.max)
    }
}

pub struct CertificateProvisioner {
    store: Store,
    settings: AcmeSettings,
    retry: Retry,
    sites: SiteProvisioner,
    /// Made on first use: the CA may be unreachable when Konbit starts.
    client: tokio::sync::OnceCell<AcmeClient>,
}

fn transient(e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError::Transient(e.to_string())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl CertificateProvisioner {
    pub fn new(store: Store, settings: AcmeSettings, retry: Retry, sites: SiteProvisioner) -> Self {
        Self {
            store,
            settings,
            retry,
            sites,
            client: tokio::sync::OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&AcmeClient, super::client::AcmeError> {
        self.client
            .get_or_try_init(|| AcmeClient::new(self.settings.clone()))
            .await
    }

    fn dir(&self, id: SiteId) -> std::path::PathBuf {
        self.sites
            .target()
            .cert_files(id)
            .cert
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    }

    async fn drop_files(&self, id: SiteId) -> Result<Applied, ProvisionError> {
        let dir = self.dir(id);
        match tokio::fs::remove_dir_all(&dir).await {
            Ok(()) => Ok(Applied {
                changes: vec![format!("removed {}", dir.display())],
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Applied::default()),
            Err(e) => Err(transient(format!("{}: {e}", dir.display()))),
        }
    }

    async fn record_failure(
        &self,
        id: SiteId,
        attempts: i64,
        reason: &str,
    ) -> Result<(), ProvisionError> {
        let now = now();
        let delay = i64::try_from(self.retry.after(attempts).as_secs()).unwrap_or(i64::MAX);
        let mut tx = self.store.write().await.map_err(transient)?;
        tx.record_certificate_failed(id, reason, now.saturating_add(delay), now)
            .await
            .map_err(transient)?;
        tx.commit().await.map_err(transient)
    }
}

impl Provisioner for CertificateProvisioner {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn apply(&self, object_id: i64, _generation: i64) -> Result<Applied, ProvisionError> {
        let id = SiteId(object_id);
        let source = {
            let mut tx = self.store.read().await.map_err(transient)?;
            match tx.site_source(id).await {
                Ok(s) => Some(s),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(transient(e)),
            }
        };
        let wanted = source.filter(|s| {
            s.site.is_served()
                && !s.parent_deleted
                && s.site.https.certificate
                && s.certificate.is_some()
        });
        let Some(source) = wanted else {
            return self.drop_files(id).await;
        };
        let Some(cert) = source.certificate.as_ref() else {
            return self.drop_files(id).await;
        };
        let names = source.site.names();
        let now = now();
        let files = self.sites.target().cert_files(id);
        let current = cert.status == CertificateStatus::Issued
            && cert.covers(&names)
            && files.cert.exists()
            && files.key.exists()
            && cert.renew_at().is_some_and(|at| now < at);
        if current || cert.next_attempt_at.is_some_and(|at| now < at) {
            return Ok(Applied::default());
        }
        let issued = match self.client().await {
            Ok(client) => client.issue(&names).await,
            Err(e) => Err(e),
        };
        let issued = match issued {
            Ok(c) => c,
            Err(e) => {
                let reason = e.to_string();
                tracing::warn!(site = object_id, error = %reason, "certificate order failed");
                self.record_failure(id, cert.attempts, &reason).await?;
                return Ok(Applied {
                    changes: vec![format!("order failed, retried later: {reason}")],
                });
            }
        };
        let root_only = FileMode {
            mode: 0o700,
            uid: None,
            gid: None,
        };
        ensure_dir(&self.dir(id), root_only).map_err(transient)?;
        write_atomic(
            &files.key,
            issued.key_pem.as_bytes(),
            FileMode {
                mode: 0o600,
                uid: None,
                gid: None,
            },
        )
        .map_err(transient)?;
        write_atomic(
            &files.cert,
            issued.chain_pem.as_bytes(),
            FileMode {
                mode: 0o644,
                uid: None,
                gid: None,
            },
        )
        .map_err(transient)?;
        {
            let mut tx = self.store.write().await.map_err(transient)?;
            tx.record_certificate_issued(id, &names, issued.not_before, issued.not_after, now)
                .await
                .map_err(transient)?;
            tx.commit().await.map_err(transient)?;
        }
        // The site's file now names the certificate; nginx reloads.
        let mut changes = vec![format!("issued for {}", names.join(", "))];
        match self.sites.apply_sites(&[id]).await.pop() {
            Some(Ok(applied)) => changes.extend(applied.changes),
            Some(Err(e)) => return Err(e),
            None => {}
        }
        Ok(Applied { changes })
    }

    async fn remove(&self, object_id: i64) -> Result<Applied, ProvisionError> {
        self.drop_files(SiteId(object_id)).await
    }

    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        Ok(vec![match generation {
            Some(_) => format!("certificate of site {object_id}: ordered if missing or due"),
            None => format!("certificate of site {object_id}: files removed"),
        }])
    }

    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let mut tx = self.store.read().await.map_err(transient)?;
        tx.certificate_ids().await.map_err(transient)
    }
}
