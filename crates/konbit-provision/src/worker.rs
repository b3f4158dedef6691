//! The worker: claims due queue rows, applies the latest generation of each
//! object through its provisioner, one object at a time, and records the
//! outcome. Level-triggered: whatever the row says, the provisioner is
//! asked to make the service match the store as it is now.

use crate::registry::Registry;
use crate::{ProvisionError, provisioner::Applied};
use konbit_core::model::Timestamp;
use konbit_store::{QueueRow, Store, StoreError, tracks_status};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The full resync period: every 30 minutes `konbit serve` queues every
/// object each provisioner knows, so drift (a file edited by hand, a daemon
/// restored from backup) is repaired without an edit. A constant until
/// someone needs to tune it.
pub const RESYNC_EVERY_SECS: i64 = 30 * 60;

/// The time source, in Unix seconds; tests inject one they can advance.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How the worker paces itself.
#[derive(Clone)]
pub struct WorkerConfig {
    /// Rows claimed per round trip.
    pub batch: i64,
    /// How long a claim keeps other workers off a row; a worker that died
    /// mid-apply loses its rows after this.
    pub lease_secs: i64,
    /// First retry delay after a transient error; doubled per attempt…
    pub backoff_base_secs: i64,
    /// …up to this.
    pub backoff_max_secs: i64,
    /// After a `Fatal` error the kind is left alone this long.
    pub fatal_pause_secs: i64,
    /// Wake up at least this often even without a notification (rows
    /// whose backoff ended, changes made by another process).
    pub idle_tick: Duration,
    pub resync_every_secs: i64,
    pub clock: Clock,
    /// Who this worker is in claims: `host:pid`.
    pub holder: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            batch: 128,
            lease_secs: 300,
            backoff_base_secs: 1,
            backoff_max_secs: 300,
            fatal_pause_secs: 60,
            idle_tick: Duration::from_secs(15),
            resync_every_secs: RESYNC_EVERY_SECS,
            clock: Arc::new(unix_now),
            holder: format!("{}:{}", host_name(), std::process::id()),
        }
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

/// Whether a claim holder is a worker of this host whose process is gone
/// (killed mid-apply): its rows can be taken back without waiting.
fn holder_is_dead_here(holder: &str, this_host: &str) -> bool {
    let Some((host, pid)) = holder.rsplit_once(':') else {
        return false;
    };
    host == this_host
        && pid
            .parse::<u32>()
            .is_ok_and(|pid| pid != std::process::id() && !crate::files::process_runs(pid))
}

fn unix_now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Capped exponential backoff after `attempts` failures so far: base,
/// 2×base, 4×base… up to the max.
pub(crate) fn backoff(config: &WorkerConfig, attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(0, 62)).unwrap_or(62);
    config
        .backoff_base_secs
        .saturating_mul(2i64.saturating_pow(exp))
        .min(config.backoff_max_secs)
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassReport {
    pub applied: usize,
    pub failed: usize,
    pub retried: usize,
}

/// One queue row as the dry run shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DryRunRow {
    #[serde(flatten)]
    pub row: QueueRow,
    /// The object's desired generation now (`None`: purged, or a kind
    /// without a status table).
    pub desired_generation: Option<i64>,
    /// Whether a provisioner serves this kind.
    pub provisioner: bool,
    pub plan: Vec<String>,
    pub plan_error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DryRun {
    pub rows: Vec<DryRunRow>,
}

pub struct Worker {
    store: Store,
    registry: Registry,
    config: WorkerConfig,
    wakeup: Arc<Notify>,
    /// Kinds whose service reported `Fatal`, until when.
    paused: HashMap<String, Timestamp>,
    /// Kinds without a provisioner already logged, to log each once.
    unknown_logged: HashSet<String>,
}

/// A guard against a pass that never ends (an object edited faster than it
/// can be applied): the rest waits for the next wake-up.
const MAX_ROUNDS: usize = 1000;

impl Worker {
    pub fn new(
        store: Store,
        registry: Registry,
        wakeup: Arc<Notify>,
        config: WorkerConfig,
    ) -> Self {
        Self {
            store,
            registry,
            config,
            wakeup,
            paused: HashMap::new(),
            unknown_logged: HashSet::new(),
        }
    }

    fn now(&self) -> Timestamp {
        (self.config.clock)()
    }

    /// Runs until `shutdown` resolves: a resync at start and every
    /// `resync_every_secs`, and a pass on every wake-up or idle tick. A pass
    /// in progress finishes its current work before the worker stops; if it
    /// is killed instead, its claims expire and another worker takes over.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        match self.recover_claims().await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "took back the claims of a stopped worker"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot check for stale claims"),
        }
        let mut next_resync = self.now();
        loop {
            if self.now() >= next_resync {
                match self.resync().await {
                    Ok(n) if n > 0 => tracing::info!(queued = n, "reconcile resync"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reconcile resync failed"),
                }
                next_resync = self.now().saturating_add(self.config.resync_every_secs);
            }
            match self.run_once().await {
                Ok(r) if r != PassReport::default() => tracing::info!(
                    applied = r.applied,
                    failed = r.failed,
                    retried = r.retried,
                    "reconcile pass"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reconcile pass failed"),
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = self.wakeup.notified() => {}
                () = tokio::time::sleep(self.config.idle_tick) => {}
            }
        }
    }

    /// Releases the claims of workers of this host that are no longer
    /// running (a `kill -9` mid-apply), so their rows are applied now
    /// rather than when the lease runs out. Workers of other hosts keep
    /// theirs until the lease ends: their liveness cannot be seen from here.
    pub async fn recover_claims(&mut self) -> Result<u64, StoreError> {
        let this_host = self
            .config
            .holder
            .rsplit_once(':')
            .map(|(h, _)| h.to_owned())
            .unwrap_or_default();
        let mut tx = self.store.write().await?;
        let mut released = 0;
        for holder in tx.claim_holders(self.now()).await? {
            if holder_is_dead_here(&holder, &this_host) {
                released += tx.release_claims_of(&holder).await?;
            }
        }
        tx.commit().await?;
        Ok(released)
    }

    /// Processes every row due now, then returns.
    pub async fn run_once(&mut self) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        self.log_unknown_kinds().await?;
        for _ in 0..MAX_ROUNDS {
            let now = self.now();
            self.paused.retain(|_, until| *until > now);
            let kinds: Vec<&str> = self
                .registry
                .kinds()
                .into_iter()
                .filter(|k| !self.paused.contains_key(*k))
                .collect();
            if kinds.is_empty() {
                break;
            }
            let lease_until = now.saturating_add(self.config.lease_secs);
            let mut tx = self.store.write().await?;
            let rows = tx
                .claim_due(
                    &kinds,
                    now,
                    lease_until,
                    self.config.batch,
                    &self.config.holder,
                )
                .await?;
            tx.commit().await?;
            if rows.is_empty() {
                break;
            }
            let mut by_kind: std::collections::BTreeMap<String, Vec<QueueRow>> =
                std::collections::BTreeMap::new();
            for row in rows {
                by_kind.entry(row.kind.clone()).or_default().push(row);
            }
            for (kind, rows) in by_kind {
                if self.paused.contains_key(&kind) {
                    // Its service just went down: give the rows back as is.
                    let mut tx = self.store.write().await?;
                    for row in &rows {
                        tx.release_claim(&row.kind, row.object_id).await?;
                    }
                    tx.commit().await?;
                    continue;
                }
                self.process_batch(&kind, rows, &mut report).await?;
            }
        }
        Ok(report)
    }

    /// Applies claimed rows of one kind (their latest generations, in one
    /// batch for the provisioner), and records every outcome in one write.
    async fn process_batch(
        &mut self,
        kind: &str,
        rows: Vec<QueueRow>,
        report: &mut PassReport,
    ) -> Result<(), StoreError> {
        let Some(p) = self.registry.get(kind) else {
            return Ok(());
        };
        let desired = self.desired_generations(kind, &rows).await?;
        // The store is the truth: apply its latest generation even if the
        // row lags behind it.
        let applies: Vec<(i64, i64)> = rows
            .iter()
            .zip(&desired)
            .filter_map(|(row, d)| d.map(|g| (row.object_id, g.max(row.generation))))
            .collect();
        let mut applied = p.apply_many(&applies).await.into_iter();
        let mut outcomes = Vec::with_capacity(rows.len());
        for (row, d) in rows.iter().zip(&desired) {
            // `None`: left out after the service went down.
            let outcome = match d {
                Some(g) => applied.next().map(|r| ((*g).max(row.generation), r)),
                None if self.paused.contains_key(kind) => None,
                None => {
                    let r = p.remove(row.object_id).await;
                    if let Err(ProvisionError::Fatal(_)) = &r {
                        let until = self.now().saturating_add(self.config.fatal_pause_secs);
                        self.paused.insert(kind.to_owned(), until);
                    }
                    Some((row.generation, r))
                }
            };
            outcomes.push(outcome);
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        for (row, outcome) in rows.iter().zip(outcomes) {
            match outcome {
                Some((generation, outcome)) => {
                    self.record(&mut tx, row, generation, outcome, now, report)
                        .await?
                }
                None => tx.release_claim(&row.kind, row.object_id).await?,
            }
        }
        tx.commit().await
    }

    /// Records the outcome of one apply.
    async fn record(
        &mut self,
        tx: &mut konbit_store::Tx,
        row: &QueueRow,
        generation: i64,
        outcome: Result<Applied, ProvisionError>,
        now: Timestamp,
        report: &mut PassReport,
    ) -> Result<(), StoreError> {
        match outcome {
            Ok(Applied { changes }) => {
                tx.finish_applied(&row.kind, row.object_id, generation)
                    .await?;
                report.applied += 1;
                if !changes.is_empty() {
                    tracing::info!(kind = %row.kind, id = row.object_id, generation, changes = changes.len(), "applied");
                }
                for change in &changes {
                    tracing::debug!(kind = %row.kind, id = row.object_id, generation, "{change}");
                }
            }
            Err(ProvisionError::Invalid { reason }) => {
                tracing::warn!(kind = %row.kind, id = row.object_id, generation, %reason, "cannot apply");
                tx.finish_invalid(&row.kind, row.object_id, generation, &reason)
                    .await?;
                report.failed += 1;
            }
            Err(e) => {
                let not_before = now.saturating_add(backoff(&self.config, row.attempts));
                if matches!(e, ProvisionError::Fatal(_)) {
                    let until = now.saturating_add(self.config.fatal_pause_secs);
                    self.paused.insert(row.kind.clone(), until);
                }
                tracing::warn!(kind = %row.kind, id = row.object_id, generation, error = %e, not_before, "will retry");
                tx.retry_later(
                    &row.kind,
                    row.object_id,
                    generation,
                    not_before,
                    &e.to_string(),
                )
                .await?;
                report.retried += 1;
            }
        }
        Ok(())
    }

    /// For each row, the generation to apply, or `None` when the object
    /// is gone; read in one snapshot.
    async fn desired_generations(
        &self,
        kind: &str,
        rows: &[QueueRow],
    ) -> Result<Vec<Option<i64>>, StoreError> {
        if !tracks_status(kind) {
            return Ok(rows.iter().map(|r| Some(r.generation)).collect());
        }
        let mut tx = self.store.read().await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(tx.object_generation(kind, row.object_id).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn log_unknown_kinds(&mut self) -> Result<(), StoreError> {
        let mut tx = self.store.read().await?;
        let kinds = tx.queued_kinds().await?;
        tx.commit().await?;
        for kind in kinds {
            if self.registry.get(&kind).is_none() && self.unknown_logged.insert(kind.clone()) {
                tracing::debug!(%kind, "no provisioner for this kind yet: its rows stay queued");
            }
        }
        Ok(())
    }

    /// Queues every object each provisioner knows (unless already queued),
    /// so the next pass re-applies them all. Returns how many were queued.
    pub async fn resync(&mut self) -> Result<usize, StoreError> {
        let now = self.now();
        let mut queued = 0;
        for p in self.registry.all() {
            let ids = match p.all_ids().await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(kind = p.kind(), error = %e, "cannot list objects for the resync");
                    continue;
                }
            };
            let mut tx = self.store.write().await?;
            for id in ids {
                // A purged object is queued at generation 0: removing it.
                let g = tx.object_generation(p.kind(), id).await?.unwrap_or(0);
                if tx.enqueue_if_absent(p.kind(), id, g, now).await? {
                    queued += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(queued)
    }

    /// What a pass would do, changing nothing: every queue row, and the
    /// plan of its provisioner.
    pub async fn dry_run(&self) -> Result<DryRun, StoreError> {
        let mut tx = self.store.read().await?;
        let rows = tx.queue().await?;
        let mut desired = Vec::with_capacity(rows.len());
        for row in &rows {
            desired.push(if tracks_status(&row.kind) {
                tx.object_generation(&row.kind, row.object_id).await?
            } else {
                Some(row.generation)
            });
        }
        tx.commit().await?;
        let mut out = DryRun::default();
        for (row, desired_generation) in rows.into_iter().zip(desired) {
            let p = self.registry.get(&row.kind);
            let (plan, plan_error) = match p {
                Some(p) => {
                    let g = desired_generation.map(|g| g.max(row.generation));
                    match p.plan(row.object_id, g).await {
                        Ok(lines) => (lines, None),
                        Err(e) => (Vec::new(), Some(e.to_string())),
                    }
                }
                None => (Vec::new(), None),
            };
            out.rows.push(DryRunRow {
                row,
                desired_generation,
                provisioner: p.is_some(),
                plan,
                plan_error,
            });
        }
        Ok(out)
    }
}
