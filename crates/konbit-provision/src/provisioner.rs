//! The contract between the reconciler and one service (DNS, web, mail…).

use std::future::Future;

/// What an apply did, for the log (empty when nothing had to change).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub changes: Vec<String>,
}

/// Why an apply did not succeed; the class decides what the worker does.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ProvisionError {
    /// Worth retrying soon (a timeout, a busy daemon): capped exponential
    /// backoff on this object only.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The desired state cannot be applied as it is: the object is marked
    /// `failed` with the reason until an edit re-queues it.
    #[error("{reason}")]
    Invalid { reason: String },
    /// The service itself is down: the row stays, and the worker leaves
    /// this kind alone for a while instead of failing every object.
    #[error("service unavailable: {0}")]
    Fatal(String),
}

/// One service's provisioner. Every method must be idempotent: the worker
/// may call `apply` again for a generation already applied (after a crash,
/// or by the periodic resync), and that must converge, not duplicate.
///
/// Written as `fn … -> impl Future + Send` rather than `async fn` so the
/// futures are `Send` for the spawned worker; implementors may still write
/// `async fn`.
pub trait Provisioner: Send + Sync + 'static {
    /// The queue kind this provisioner serves (`account`, `dns_zone`…).
    fn kind(&self) -> &'static str;

    /// Makes the service serve `object_id` as of `generation` (read the
    /// desired state from the store; the generation says which one).
    fn apply(
        &self,
        object_id: i64,
        generation: i64,
    ) -> impl Future<Output = Result<Applied, ProvisionError>> + Send;

    /// Applies several objects in one go: one result per item, in order.
    /// The default applies them one by one; a provisioner whose service
    /// takes a batch in one transaction (a full resync of 50,000 zones)
    /// overrides it. One item's failure must not fail the others, but after
    /// a `Fatal` (the service is down) the rest may be left out: the
    /// result list then stops there and those rows are given back as is.
    fn apply_many(
        &self,
        items: &[(i64, i64)],
    ) -> impl Future<Output = Vec<Result<Applied, ProvisionError>>> + Send {
        async move {
            let mut out = Vec::with_capacity(items.len());
            for (id, generation) in items {
                let result = self.apply(*id, *generation).await;
                let fatal = matches!(result, Err(ProvisionError::Fatal(_)));
                out.push(result);
                if fatal {
                    break;
                }
            }
            out
        }
    }

    /// The object is gone from the store: remove it from the service.
    fn remove(
        &self,
        object_id: i64,
    ) -> impl Future<Output = Result<Applied, ProvisionError>> + Send;

    /// The dry run: compare the service with the desired state (`None`:
    /// the object is gone) and say, line by line, what `apply` or `remove`
    /// would change, changing nothing.
    fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> impl Future<Output = Result<Vec<String>, ProvisionError>> + Send;

    /// Every object of this kind the service should know or does know,
    /// for the periodic full resync that repairs drift.
    fn all_ids(&self) -> impl Future<Output = Result<Vec<i64>, ProvisionError>> + Send;
}
