//! The reconciler against the real PowerDNS: a dry run that shows the
//! diff, one bad zone that blocks nobody, a database that is busy then
//! free, a daemon that is down then back, and a resync that repairs drift.

use super::{DnsEnv, status_of};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_the_diff_and_changes_nothing() {
    let Some(env) = DnsEnv::without_worker().await else {
        return;
    };
    env.add_domain("radio.test", json!({ "dnssec": false }))
        .await;
    env.add_record("radio.test", "www", "A", "192.0.2.10").await;
    let mut worker = env.worker();
    let plan = worker.dry_run().await.unwrap();
    let row = plan.rows.iter().find(|r| r.row.kind == "dns_zone").unwrap();
    let lines = row.plan.join("\n");
    assert!(
        lines.contains("zone radio.test would be created"),
        "{lines}"
    );
    assert!(
        lines.contains("+ www.radio.test 300 A 192.0.2.10"),
        "{lines}"
    );
    assert!(
        lines.contains("+ radio.test 3600 NS ns1.coop.test"),
        "{lines}"
    );
    // Nothing was written.
    assert_eq!(
        env.pdns.dig("www.radio.test", "A").unwrap(),
        Vec::<String>::new()
    );
    let pool = env.pdns.pool().await.unwrap();
    let zones: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM domains")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(zones, 0);

    worker.run_once().await.unwrap();
    env.until_served("www.radio.test", "A", &["192.0.2.10"])
        .await;
    // Applied: the queue is empty and a new dry run has nothing to show.
    let left = worker.dry_run().await.unwrap();
    assert!(
        !left.rows.iter().any(|r| r.row.kind == "dns_zone"),
        "{left:?}"
    );
    // An edit shows as one line out, one line in.
    let records: serde_json::Value = env
        .api
        .get("/api/v1/domains/radio.test/records")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = records.get("items").unwrap_or(&records);
    let www = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "A")
        .unwrap();
    let id = www["id"].as_i64().unwrap();
    env.api
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/domains/radio.test/records/{id}"),
            &json!({ "name": "www", "type": "A", "value": "192.0.2.11", "ttl": 300 }),
        )
        .await
        .unwrap();
    let plan = worker.dry_run().await.unwrap();
    let row = plan.rows.iter().find(|r| r.row.kind == "dns_zone").unwrap();
    let lines = row.plan.join("\n");
    assert!(
        lines.contains("- www.radio.test 300 A 192.0.2.10"),
        "{lines}"
    );
    assert!(
        lines.contains("+ www.radio.test 300 A 192.0.2.11"),
        "{lines}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_zone_fails_with_its_reason_and_blocks_no_other() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("bad.test", json!({})).await;
    env.add_domain("good.test", json!({})).await;
    env.until_status("bad.test", "applied").await;
    // A row that no longer validates (written behind Konbit's back).
    let db = env.t.db().await.unwrap();
    sqlx::query(
        "INSERT INTO dns_records (domain_id, name, type, ttl, value, zone_generation, created_at, updated_at) \
         SELECT id, 'www', 'A', 300, 'not-an-address', generation + 1, 0, 0 FROM domains WHERE name = 'bad.test'",
    )
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("UPDATE domains SET generation = generation + 1 WHERE name = 'bad.test'")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO reconcile_queue (kind, object_id, generation, not_before, enqueued_at) \
         SELECT 'dns_zone', id, generation, 0, 0 FROM domains WHERE name = 'bad.test'",
    )
    .execute(&db)
    .await
    .unwrap();
    env.t.app.reconcile_wakeup.notify_one();
    let bad = env.until_status("bad.test", "failed").await;
    let reason = bad
        .pointer("/status/last_error")
        .or_else(|| bad.pointer("/last_error"))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("not-an-address"), "{bad:#}");

    // The other zone goes on changing.
    env.add_record("good.test", "www", "A", "192.0.2.80").await;
    env.until_served("www.good.test", "A", &["192.0.2.80"])
        .await;
    // The bad zone still serves its last good version.
    env.until_served("bad.test", "NS", &["ns1.coop.test.", "ns2.coop.test."])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_database_delays_the_change_until_it_is_free() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    env.until_status("radio.test", "applied").await;
    // Another writer holds PowerDNS's database.
    let pool = env.pdns.pool().await.unwrap();
    let mut lock = pool.acquire().await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut *lock)
        .await
        .unwrap();
    env.add_record("radio.test", "www", "A", "192.0.2.90").await;
    let mut waiting = serde_json::Value::Null;
    for _ in 0..100 {
        waiting = env.zone_status("radio.test").await;
        let err = waiting
            .pointer("/status/last_error")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if !err.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status_of(&waiting), "pending", "{waiting:#}");
    assert!(
        waiting.to_string().contains("locked") || waiting.to_string().contains("busy"),
        "{waiting:#}"
    );
    sqlx::query("ROLLBACK").execute(&mut *lock).await.unwrap();
    drop(lock);
    env.until_served("www.radio.test", "A", &["192.0.2.90"])
        .await;
    env.until_status("radio.test", "applied").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_while_powerdns_is_down_are_served_when_it_returns() {
    let Some(mut env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    env.until_status("radio.test", "applied").await;
    env.pdns.stop();
    assert!(
        env.pdns.dig("radio.test", "SOA").is_err()
            || env.pdns.dig("radio.test", "SOA").unwrap().is_empty()
    );
    env.add_record("radio.test", "www", "A", "192.0.2.100")
        .await;
    env.until_status("radio.test", "applied").await;
    env.pdns.restart().await.unwrap();
    env.until_served("www.radio.test", "A", &["192.0.2.100"])
        .await;
    env.pdns.check_zone("radio.test").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resync_repairs_what_was_changed_behind_konbits_back() {
    let Some(env) = DnsEnv::without_worker().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    env.add_record("radio.test", "www", "A", "192.0.2.110")
        .await;
    let mut worker = env.worker();
    worker.run_once().await.unwrap();
    env.until_served("www.radio.test", "A", &["192.0.2.110"])
        .await;
    // Someone edits PowerDNS's database by hand, and adds a zone Konbit
    // does not know under Konbit's mark.
    let pool = env.pdns.pool().await.unwrap();
    sqlx::query("UPDATE records SET content = '203.0.113.66' WHERE name = 'www.radio.test'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO domains (name, type, account) VALUES ('ghost.test', 'NATIVE', 'konbit:999')",
    )
    .execute(&pool)
    .await
    .unwrap();
    env.until_served("www.radio.test", "A", &["203.0.113.66"])
        .await;
    let queued = worker.resync().await.unwrap();
    assert!(queued >= 2, "queued {queued}");
    worker.run_once().await.unwrap();
    env.until_served("www.radio.test", "A", &["192.0.2.110"])
        .await;
    let ghosts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM domains WHERE name = 'ghost.test'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(ghosts, 0);
    env.pdns.check_zone("radio.test").unwrap();
}
