//! The provisioners the worker knows, by kind.
//!
//! `Provisioner` uses `impl Future` returns, so it is not object safe; the
//! registry erases each one behind a small adapter that boxes the future.
//! One allocation per apply is nothing next to the daemon I/O it drives,
//! and it lets the binary and the tests register any set of provisioners.
//! Unknown kinds stay queued untouched.

use crate::provisioner::{Applied, ProvisionError, Provisioner};
use std::future::Future;
use std::pin::Pin;

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProvisionError>> + Send + 'a>>;
type BoxedMany<'a> =
    Pin<Box<dyn Future<Output = Vec<Result<Applied, ProvisionError>>> + Send + 'a>>;

/// The object-safe face of a `Provisioner`.
pub(crate) trait Erased: Send + Sync {
    fn kind(&self) -> &'static str;
    fn apply_many<'a>(&'a self, items: &'a [(i64, i64)]) -> BoxedMany<'a>;
    fn remove(&self, object_id: i64) -> Boxed<'_, Applied>;
    fn plan(&self, object_id: i64, generation: Option<i64>) -> Boxed<'_, Vec<String>>;
    fn all_ids(&self) -> Boxed<'_, Vec<i64>>;
}

impl<P: Provisioner> Erased for P {
    fn kind(&self) -> &'static str {
        Provisioner::kind(self)
    }
    fn apply_many<'a>(&'a self, items: &'a [(i64, i64)]) -> BoxedMany<'a> {
        Box::pin(Provisioner::apply_many(self, items))
    }
    fn remove(&self, object_id: i64) -> Boxed<'_, Applied> {
        Box::pin(Provisioner::remove(self, object_id))
    }
    fn plan(&self, object_id: i64, generation: Option<i64>) -> Boxed<'_, Vec<String>> {
        Box::pin(Provisioner::plan(self, object_id, generation))
    }
    fn all_ids(&self) -> Boxed<'_, Vec<i64>> {
        Box::pin(Provisioner::all_ids(self))
    }
}

/// The provisioners by kind; at most one per kind.
#[derive(Default)]
pub struct Registry {
    provisioners: Vec<Box<dyn Erased>>,
}

impl Registry {
    /// No provisioners yet: every row stays queued.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `p`, replacing any provisioner of the same kind.
    pub fn register<P: Provisioner>(mut self, p: P) -> Self {
        self.provisioners.retain(|q| q.kind() != p.kind());
        self.provisioners.push(Box::new(p));
        self
    }

    /// The kinds that have a provisioner.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.provisioners.iter().map(|p| p.kind()).collect()
    }

    pub(crate) fn get(&self, kind: &str) -> Option<&dyn Erased> {
        self.provisioners
            .iter()
            .find(|p| p.kind() == kind)
            .map(|p| p.as_ref())
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &dyn Erased> {
        self.provisioners.iter().map(|p| p.as_ref())
    }
}
