//! `kill -9` of `konbit serve` in the middle of applying a backlog of
//! zones: after a restart, every zone converges and nothing is lost.

use konbit_app::account::CreateAccount;
use konbit_app::domain::CreateDomain;
use konbit_app::quota_profile::ProfileInput;
use konbit_app::{App, AppConfig};
use konbit_core::authz::Actor;
use konbit_core::dns::RecordInput;
use konbit_core::quota::QuotaLimits;
use konbit_store::Store;
use konbit_testkit::daemon::Daemon;
use konbit_testkit::pdns::PowerDns;
use std::path::Path;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_konbit");
const ZONES: usize = 400;

fn serve(root: &Path, state: &Path, pdns: &PowerDns, name: &str) -> Daemon {
    let b = Daemon::builder(name, BIN, root)
        .args(["serve"])
        .env("KONBIT_CONFIG", state.join("konbit.toml"))
        .env("KONBIT_LISTEN", "127.0.0.1:0")
        .env("KONBIT_DNS__PDNS_DATABASE", pdns.database())
        .env("KONBIT_DNS__PDNS_ADDRESS", pdns.addr().to_string())
        .env("RUST_LOG", "info,sqlx=warn")
        .current_dir(root);
    b.start().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_during_the_applies_loses_nothing() {
    let dir = tempfile::Builder::new()
        .prefix("konbit-crash-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    let Some(pdns) = PowerDns::try_start(&root.join("pdns")).await.unwrap() else {
        return;
    };
    let state = root.join("state");
    let init = std::process::Command::new(BIN)
        .args(["init", "--state-dir", state.to_str().unwrap()])
        .env_remove("KONBIT_CONFIG")
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");

    // A backlog: many zones queued while no worker runs.
    let store = Store::open(&state.join("konbit.db")).await.unwrap();
    let app = App::new(store.clone(), AppConfig::default());
    let cli = Actor::operator_cli();
    let profile = app
        .quota_profiles()
        .create(
            &cli,
            ProfileInput {
                name: "big".into(),
                limits: QuotaLimits {
                    domains: 10_000,
                    ..QuotaLimits::starter()
                },
            },
        )
        .await
        .unwrap();
    let account = app
        .accounts()
        .create(
            &cli,
            CreateAccount {
                name: "radio".into(),
                display_name: "Radio".into(),
                quota_profile_id: Some(profile.id.0),
                owner: None,
            },
        )
        .await
        .unwrap();
    for i in 0..ZONES {
        let name = format!("zone{i}.test");
        app.domains()
            .create(
                &cli,
                CreateDomain {
                    account_id: account.id.0,
                    name: name.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        app.domains()
            .add_record(
                &cli,
                &name,
                RecordInput {
                    name: "www".into(),
                    rtype: "A".into(),
                    ttl: Some(300),
                    value: format!("192.0.2.{}", i % 250 + 1),
                },
            )
            .await
            .unwrap();
    }
    let pool =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", state.join("konbit.db").display()))
            .await
            .unwrap();
    let applied = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM domains WHERE status = 'applied'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(applied().await, 0);

    // Start, let it apply some, kill -9 while it is at work.
    let mut first = serve(root, &state, &pdns, "konbit-first");
    let mut at_kill = 0;
    for _ in 0..3000 {
        at_kill = applied().await;
        if at_kill > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.stop();
    assert!(
        at_kill > 0,
        "nothing applied before the kill:\n{}",
        first.log_tail(30)
    );
    let after_kill = applied().await;
    let claimed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM reconcile_queue WHERE claimed_until IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        (after_kill as usize) < ZONES,
        "the backlog was done before the kill ({after_kill}); the test needs more zones"
    );
    eprintln!("killed with {after_kill}/{ZONES} applied and {claimed} rows claimed");

    // Restart: everything converges, the killed worker's claims included.
    let second = serve(root, &state, &pdns, "konbit-second");
    let mut done = 0;
    for _ in 0..600 {
        done = applied().await;
        let queued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM reconcile_queue WHERE kind = 'dns_zone'")
                .fetch_one(&pool)
                .await
                .unwrap();
        if done as usize == ZONES && queued == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done as usize, ZONES, "{}", second.log_tail(30));
    let pdns_pool = pdns.pool().await.unwrap();
    let zones: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM domains")
        .fetch_one(&pdns_pool)
        .await
        .unwrap();
    assert_eq!(zones as usize, ZONES);
    for i in [0, ZONES / 2, ZONES - 1] {
        let want = format!("192.0.2.{}", i % 250 + 1);
        assert_eq!(pdns.dig(&format!("www.zone{i}.test"), "A").unwrap(), [want]);
    }
    pdns.check_zone("zone0.test").unwrap();
}

/// A change made with the CLI, another process, wakes the running server's
/// reconciler through its socket: it is served without waiting for the
/// worker's idle tick (15 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_with_the_cli_is_applied_by_the_running_server() {
    let dir = tempfile::Builder::new()
        .prefix("konbit-wake-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    let Some(pdns) = PowerDns::try_start(&root.join("pdns")).await.unwrap() else {
        return;
    };
    let state = root.join("state");
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args(args)
            .env("KONBIT_CONFIG", state.join("konbit.toml"))
            .env("KONBIT_DNS__PDNS_DATABASE", pdns.database())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "konbit {args:?}: {out:?}");
    };
    let init = std::process::Command::new(BIN)
        .args(["init", "--state-dir", state.to_str().unwrap()])
        .env_remove("KONBIT_CONFIG")
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let server = serve(root, &state, &pdns, "konbit-serve");
    server
        .wait_for_line(Duration::from_secs(30), |l| {
            l.contains("Konbit is serving").then_some(())
        })
        .await
        .unwrap();
    cli(&[
        "account",
        "create",
        "--name",
        "radio",
        "--display-name",
        "Radio",
    ]);
    cli(&["domain", "add", "radio.test", "--account", "radio"]);
    let mut answer = Vec::new();
    // Bounded well below the idle tick: only the wake-up can make it.
    for _ in 0..100 {
        answer = pdns.dig("radio.test", "SOA").unwrap();
        if !answer.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answer.len(), 1, "not served:\n{}", server.log_tail(20));
}
