//! The engine against a real SQLite store, with scripted provisioners and a
//! clock the tests move by hand: no sleeps, no timed assertions.

use super::*;
use konbit_core::model::{AccountId, ObjectStatus, QuotaProfileId, Timestamp};
use konbit_core::names::{AccountName, DisplayName, Label};
use konbit_core::quota::QuotaLimits;
use konbit_store::{NewAccount, NewQuotaProfile, QueueRow, Store};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

const T0: Timestamp = 1_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    clock: Arc<AtomicI64>,
    wakeup: Arc<Notify>,
    profile: QuotaProfileId,
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.db")).await.unwrap();
        store.migrate().await.unwrap();
        let mut tx = store.write().await.unwrap();
        let profile = tx
            .insert_quota_profile(
                &NewQuotaProfile {
                    name: Label::parse("name", "basic").unwrap(),
                    limits: QuotaLimits::starter(),
                },
                T0,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        Self {
            _dir: dir,
            store,
            clock: Arc::new(AtomicI64::new(T0)),
            wakeup: Arc::new(Notify::new()),
            profile,
        }
    }

    fn config(&self) -> WorkerConfig {
        let clock = self.clock.clone();
        WorkerConfig {
            clock: Arc::new(move || clock.load(Ordering::SeqCst)),
            idle_tick: std::time::Duration::from_millis(20),
            ..WorkerConfig::default()
        }
    }

    fn worker(&self, registry: Registry) -> Worker {
        Worker::new(
            self.store.clone(),
            registry,
            self.wakeup.clone(),
            self.config(),
        )
    }

    fn advance(&self, secs: i64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }

    fn now(&self) -> Timestamp {
        self.clock.load(Ordering::SeqCst)
    }

    /// A new account, queued at generation 1, as the service does it.
    async fn account(&self, name: &str) -> i64 {
        let mut tx = self.store.write().await.unwrap();
        let id = tx
            .insert_account(
                &NewAccount {
                    name: AccountName::parse("name", name).unwrap(),
                    display_name: DisplayName::parse("display_name", name).unwrap(),
                    quota_profile_id: self.profile,
                },
                self.now(),
            )
            .await
            .unwrap();
        tx.enqueue("account", id.0, 1, self.now()).await.unwrap();
        tx.commit().await.unwrap();
        id.0
    }

    /// An edit: bumps the generation and queues it.
    async fn edit(&self, id: i64) -> i64 {
        bump(&self.store, self.profile, id, self.now()).await
    }

    async fn queue(&self) -> Vec<QueueRow> {
        let mut tx = self.store.read().await.unwrap();
        tx.queue().await.unwrap()
    }

    async fn state(&self, id: i64) -> konbit_core::model::ProvisionState {
        let mut tx = self.store.read().await.unwrap();
        tx.account(AccountId(id)).await.unwrap().provision
    }
}

async fn bump(store: &Store, profile: QuotaProfileId, id: i64, now: Timestamp) -> i64 {
    let mut tx = store.write().await.unwrap();
    let display = DisplayName::parse("display_name", &format!("edited {now}")).unwrap();
    let g = tx
        .update_account(AccountId(id), &display, profile, now)
        .await
        .unwrap();
    tx.enqueue("account", id, g, now).await.unwrap();
    tx.commit().await.unwrap();
    g
}

/// An edit to make during an apply: store, profile, object, time.
type Bump = (Store, QuotaProfileId, i64, Timestamp);

/// A provisioner that records its calls and fails as scripted.
#[derive(Clone, Default)]
struct Scripted {
    kind: &'static str,
    calls: Arc<Mutex<Vec<(i64, i64)>>>,
    /// Errors to return, per object, before succeeding.
    errors: Arc<Mutex<HashMap<i64, VecDeque<ProvisionError>>>>,
    /// Bumps the object's generation during its first apply.
    bump_during_apply: Arc<Mutex<Option<Bump>>>,
    ids: Vec<i64>,
}

impl Scripted {
    fn account() -> Self {
        Self {
            kind: "account",
            ..Self::default()
        }
    }
    fn fail(&self, id: i64, errors: Vec<ProvisionError>) {
        self.errors.lock().unwrap().insert(id, errors.into());
    }
    fn calls(&self) -> Vec<(i64, i64)> {
        self.calls.lock().unwrap().clone()
    }
}

impl Provisioner for Scripted {
    fn kind(&self) -> &'static str {
        self.kind
    }
    async fn apply(&self, object_id: i64, generation: i64) -> Result<Applied, ProvisionError> {
        self.calls.lock().unwrap().push((object_id, generation));
        let bump_now = {
            let mut b = self.bump_during_apply.lock().unwrap();
            match b.as_ref() {
                Some((_, _, id, _)) if *id == object_id => b.take(),
                _ => None,
            }
        };
        if let Some((store, profile, id, now)) = bump_now {
            bump(&store, profile, id, now).await;
        }
        let next = self
            .errors
            .lock()
            .unwrap()
            .get_mut(&object_id)
            .and_then(VecDeque::pop_front);
        match next {
            Some(e) => Err(e),
            None => Ok(Applied {
                changes: vec![format!("applied {object_id}@{generation}")],
            }),
        }
    }
    async fn remove(&self, object_id: i64) -> Result<Applied, ProvisionError> {
        self.calls.lock().unwrap().push((object_id, 0));
        Ok(Applied::default())
    }
    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        Ok(vec![format!("would apply {object_id}@{generation:?}")])
    }
    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        Ok(self.ids.clone())
    }
}

#[tokio::test]
async fn applies_on_wakeup_and_stops_cleanly() {
    let f = Fixture::new().await;
    let p = Scripted::account();
    let worker = f.worker(Registry::new().register(p.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    let id = f.account("alpha").await;
    f.wakeup.notify_one();
    // Bounded wait for the background worker (20 ms idle tick).
    let mut done = false;
    for _ in 0..200 {
        if f.state(id).await.status == ObjectStatus::Applied {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(done, "the worker never applied the account");
    assert_eq!(p.calls(), vec![(id, 1)]);
    assert!(f.queue().await.is_empty());
    let _ = stop.send(());
    handle.await.unwrap();
}

#[tokio::test]
async fn latest_generation_wins_in_a_burst() {
    let f = Fixture::new().await;
    let id = f.account("alpha").await;
    f.edit(id).await;
    f.edit(id).await;
    let last = f.edit(id).await;
    assert_eq!(f.queue().await.len(), 1);
    let p = Scripted::account();
    let mut w = f.worker(Registry::new().register(p.clone()));
    let report = w.run_once().await.unwrap();
    assert_eq!(report.applied, 1);
    assert_eq!(p.calls(), vec![(id, last)]);
    let s = f.state(id).await;
    assert_eq!(
        (s.status, s.applied_generation, s.last_error),
        (ObjectStatus::Applied, last, None)
    );
    assert!(f.queue().await.is_empty());
}

#[tokio::test]
async fn compare_and_delete_keeps_a_row_whose_generation_moved() {
    let f = Fixture::new().await;
    let id = f.account("alpha").await;

    // At the store level: finishing generation 1 when 2 is queued keeps it.
    let g2 = f.edit(id).await;
    let mut tx = f.store.write().await.unwrap();
    assert!(!tx.finish_applied("account", id, 1).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(f.queue().await[0].generation, g2);
    let s = f.state(id).await;
    assert_eq!((s.status, s.applied_generation), (ObjectStatus::Pending, 1));

    // Through the worker: an edit lands while generation 2 is applied.
    let p = Scripted::account();
    *p.bump_during_apply.lock().unwrap() = Some((f.store.clone(), f.profile, id, f.now()));
    let mut w = f.worker(Registry::new().register(p.clone()));
    w.run_once().await.unwrap();
    assert_eq!(p.calls(), vec![(id, g2), (id, g2 + 1)]);
    assert!(f.queue().await.is_empty());
    let s = f.state(id).await;
    assert_eq!(
        (s.status, s.applied_generation),
        (ObjectStatus::Applied, g2 + 1)
    );
}

#[tokio::test]
async fn transient_errors_back_off_and_retry() {
    let f = Fixture::new().await;
    let id = f.account("alpha").await;
    let p = Scripted::account();
    p.fail(
        id,
        vec![
            ProvisionError::Transient("timeout".into()),
            ProvisionError::Transient("timeout".into()),
        ],
    );
    let mut w = f.worker(Registry::new().register(p.clone()));

    assert_eq!(w.run_once().await.unwrap().retried, 1);
    let row = &f.queue().await[0];
    assert_eq!((row.attempts, row.not_before), (1, T0 + 1));
    assert!(row.last_error.as_deref().unwrap_or("").contains("timeout"));
    assert_eq!(f.state(id).await.status, ObjectStatus::Pending);

    // Not due yet: nothing happens.
    assert_eq!(w.run_once().await.unwrap(), PassReport::default());
    f.advance(1);
    assert_eq!(w.run_once().await.unwrap().retried, 1);
    let row = &f.queue().await[0];
    assert_eq!((row.attempts, row.not_before), (2, T0 + 1 + 2));

    f.advance(2);
    assert_eq!(w.run_once().await.unwrap().applied, 1);
    assert!(f.queue().await.is_empty());
    let s = f.state(id).await;
    assert_eq!((s.status, s.last_error), (ObjectStatus::Applied, None));
    assert_eq!(p.calls().len(), 3);
}

#[test]
fn backoff_is_capped() {
    let cfg = WorkerConfig::default();
    let delays: Vec<i64> = (0..12).map(|a| worker::backoff(&cfg, a)).collect();
    assert_eq!(&delays[..4], &[1, 2, 4, 8]);
    assert_eq!(delays[11], 300);
    assert_eq!(worker::backoff(&cfg, i64::MAX), 300);
}

#[tokio::test]
async fn fatal_keeps_the_row_and_pauses_the_kind() {
    let f = Fixture::new().await;
    let a = f.account("alpha").await;
    let b = f.account("beta").await;
    let p = Scripted::account();
    p.fail(a, vec![ProvisionError::Fatal("daemon down".into())]);
    let mut w = f.worker(Registry::new().register(p.clone()));
    let report = w.run_once().await.unwrap();
    assert_eq!(report.retried, 1);
    // The kind is paused: beta was given back untouched.
    assert_eq!(p.calls(), vec![(a, 1)]);
    assert_eq!(f.queue().await.len(), 2);
    f.advance(WorkerConfig::default().fatal_pause_secs);
    w.run_once().await.unwrap();
    assert!(f.queue().await.is_empty());
    assert_eq!(f.state(b).await.status, ObjectStatus::Applied);
}

#[tokio::test]
async fn invalid_marks_failed_and_the_next_object_is_applied() {
    let f = Fixture::new().await;
    let a = f.account("alpha").await;
    let b = f.account("beta").await;
    let p = Scripted::account();
    p.fail(
        a,
        vec![ProvisionError::Invalid {
            reason: "zone name clash".into(),
        }],
    );
    let mut w = f.worker(Registry::new().register(p.clone()));
    let report = w.run_once().await.unwrap();
    assert_eq!((report.applied, report.failed), (1, 1));
    let s = f.state(a).await;
    assert_eq!(s.status, ObjectStatus::Failed);
    assert_eq!(s.last_error.as_deref(), Some("zone name clash"));
    assert_eq!(f.state(b).await.status, ObjectStatus::Applied);
    assert!(f.queue().await.is_empty());

    // An edit re-queues the failed object, and it converges.
    let g = f.edit(a).await;
    w.run_once().await.unwrap();
    let s = f.state(a).await;
    assert_eq!(
        (s.status, s.applied_generation, s.last_error),
        (ObjectStatus::Applied, g, None)
    );
}

#[tokio::test]
async fn a_kind_without_provisioner_stays_queued() {
    let f = Fixture::new().await;
    let id = f.account("alpha").await;
    let mut tx = f.store.write().await.unwrap();
    tx.enqueue("dns_zone", 7, 3, f.now()).await.unwrap();
    tx.commit().await.unwrap();
    let before = f.queue().await;

    // No provisioner at all: nothing is touched.
    let mut w = f.worker(Registry::new());
    assert_eq!(w.run_once().await.unwrap(), PassReport::default());
    assert_eq!(f.queue().await, before);

    // Accounts served, zones not: the zone row stays as it was.
    let mut w = f.worker(Registry::new().register(Scripted::account()));
    assert_eq!(w.run_once().await.unwrap().applied, 1);
    let after = f.queue().await;
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0],
        before
            .iter()
            .find(|r| r.kind == "dns_zone")
            .unwrap()
            .clone()
    );
    assert_eq!(f.state(id).await.status, ObjectStatus::Applied);
}

#[tokio::test]
async fn a_new_worker_converges_after_a_crash() {
    let f = Fixture::new().await;
    let a = f.account("alpha").await;
    let b = f.account("beta").await;
    // A worker claimed both rows, then died before applying them.
    let mut tx = f.store.write().await.unwrap();
    let claimed = tx
        .claim_due(&["account"], f.now(), f.now() + 300, 32, "other-host:1")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 2);

    // While the claim holds, another worker leaves the rows alone.
    let p = Scripted::account();
    let mut w = f.worker(Registry::new().register(p.clone()));
    assert_eq!(w.run_once().await.unwrap(), PassReport::default());
    assert!(p.calls().is_empty());

    // A worker dropped in the middle of a pass (its future cancelled).
    {
        let mut w2 = f.worker(Registry::new().register(Scripted::account()));
        drop(w2.run_once());
    }

    // Once the claim expired, a new worker applies both, once each.
    f.advance(300);
    assert_eq!(w.run_once().await.unwrap().applied, 2);
    assert_eq!(p.calls(), vec![(a, 1), (b, 1)]);
    assert!(f.queue().await.is_empty());
}

#[tokio::test]
async fn a_purged_object_is_removed() {
    let f = Fixture::new().await;
    let id = f.account("alpha").await;
    let mut tx = f.store.write().await.unwrap();
    tx.set_account_deleted(AccountId(id), Some(f.now()), f.now())
        .await
        .unwrap();
    tx.purge_account(AccountId(id)).await.unwrap();
    tx.commit().await.unwrap();
    let p = Scripted::account();
    let mut w = f.worker(Registry::new().register(p.clone()));
    w.run_once().await.unwrap();
    assert_eq!(p.calls(), vec![(id, 0)]);
    assert!(f.queue().await.is_empty());
}

#[tokio::test]
async fn resync_queues_every_object_once() {
    let f = Fixture::new().await;
    let a = f.account("alpha").await;
    let b = f.account("beta").await;
    let p = Scripted {
        ids: vec![a, b],
        ..Scripted::account()
    };
    let mut w = f.worker(Registry::new().register(p.clone()));
    w.run_once().await.unwrap();
    assert!(f.queue().await.is_empty());
    assert_eq!(w.resync().await.unwrap(), 2);
    // Already queued: a second resync adds nothing.
    assert_eq!(w.resync().await.unwrap(), 0);
    w.run_once().await.unwrap();
    assert_eq!(p.calls().len(), 4);
}

async fn dump(store: &Store) -> (Vec<QueueRow>, Vec<konbit_core::model::ProvisionState>) {
    let mut tx = store.read().await.unwrap();
    let queue = tx.queue().await.unwrap();
    let mut states = Vec::new();
    for id in 1..=3 {
        if let Ok(a) = tx.account(AccountId(id)).await {
            states.push(a.provision);
        }
    }
    (queue, states)
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let f = Fixture::new().await;
    let a = f.account("alpha").await;
    let b = f.account("beta").await;
    let mut tx = f.store.write().await.unwrap();
    tx.enqueue("dns_zone", 7, 3, f.now()).await.unwrap();
    tx.commit().await.unwrap();
    let p = Scripted::account();
    p.fail(a, vec![ProvisionError::Transient("timeout".into())]);
    let mut w = f.worker(Registry::new().register(p.clone()));
    w.run_once().await.unwrap();

    let before = dump(&f.store).await;
    let plan = w.dry_run().await.unwrap();
    assert_eq!(dump(&f.store).await, before);
    assert_eq!(plan.rows.len(), 2);
    let acc = plan.rows.iter().find(|r| r.row.kind == "account").unwrap();
    assert_eq!(acc.plan, vec![format!("would apply {a}@Some(1)")]);
    assert_eq!(acc.row.attempts, 1);
    let zone = plan.rows.iter().find(|r| r.row.kind == "dns_zone").unwrap();
    assert!(!zone.provisioner && zone.plan.is_empty());
    // Only the pass applied; the dry run called no apply.
    assert_eq!(p.calls(), vec![(a, 1), (b, 1)]);
}

#[tokio::test]
async fn an_edit_during_an_apply_keeps_the_claim() {
    let f = Fixture::new().await;
    let id = f.account("alpha").await;
    let mut tx = f.store.write().await.unwrap();
    let claimed = tx
        .claim_due(&["account"], f.now(), f.now() + 300, 32, "other-host:1")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);
    // An edit while the first worker applies: a second worker must not
    // start a concurrent apply of the same object.
    f.edit(id).await;
    let p = Scripted::account();
    let mut w = f.worker(Registry::new().register(p.clone()));
    assert_eq!(w.run_once().await.unwrap(), PassReport::default());
    assert!(p.calls().is_empty());
    // The first worker finishes generation 1: the row stays, unclaimed,
    // and the next pass applies generation 2.
    let mut tx = f.store.write().await.unwrap();
    assert!(!tx.finish_applied("account", id, 1).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(w.run_once().await.unwrap().applied, 1);
    assert_eq!(p.calls(), vec![(id, 2)]);
}

#[tokio::test]
async fn claims_of_a_dead_worker_of_this_host_are_taken_back_at_once() {
    let f = Fixture::new().await;
    let a = f.account("alpha").await;
    let b = f.account("beta").await;
    let host = f
        .config()
        .holder
        .rsplit_once(':')
        .map(|(h, _)| h.to_owned())
        .unwrap();
    // A pid that cannot be running: above the kernel's pid_max.
    let dead = format!("{host}:{}", u32::MAX - 1);
    let mut tx = f.store.write().await.unwrap();
    tx.claim_due(&["account"], f.now(), f.now() + 300, 1, &dead)
        .await
        .unwrap();
    // The other row is held by a worker on another host: it keeps its lease.
    tx.claim_due(&["account"], f.now(), f.now() + 300, 1, "elsewhere:1")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let p = Scripted::account();
    let mut w = f.worker(Registry::new().register(p.clone()));
    assert_eq!(w.recover_claims().await.unwrap(), 1);
    assert_eq!(w.run_once().await.unwrap().applied, 1);
    assert_eq!(p.calls(), vec![(a, 1)]);
    // The live (or unknowable) holder's row waits for its lease.
    f.advance(300);
    assert_eq!(w.run_once().await.unwrap().applied, 1);
    assert_eq!(p.calls(), vec![(a, 1), (b, 1)]);
}
