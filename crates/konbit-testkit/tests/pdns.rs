//! The PowerDNS test daemon: rows written by SQL are served on the next
//! query, and the server can be stopped and started again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use konbit_testkit::pdns::{PowerDns, create_database};
use sqlx::SqlitePool;

/// Insert `zone` with a SOA, an NS and `www` A `address`; returns its id.
async fn insert_zone(db: &SqlitePool, zone: &str, address: &str) -> i64 {
    let id: i64 =
        sqlx::query_scalar("INSERT INTO domains (name, type) VALUES ($1, 'NATIVE') RETURNING id")
            .bind(zone)
            .fetch_one(db)
            .await
            .unwrap();
    let rows = [
        (
            zone.to_owned(),
            "SOA",
            format!("ns1.{zone}. hostmaster.{zone}. 2024010101 10800 3600 604800 300"),
        ),
        (zone.to_owned(), "NS", format!("ns1.{zone}")),
        (format!("ns1.{zone}"), "A", "192.0.2.53".to_owned()),
        (format!("www.{zone}"), "A", address.to_owned()),
    ];
    for (name, rtype, content) in rows {
        sqlx::query(
            "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)
             VALUES ($1, $2, $3, $4, 300, 0, 0, 1)",
        )
        .bind(id)
        .bind(name)
        .bind(rtype)
        .bind(content)
        .execute(db)
        .await
        .unwrap();
    }
    id
}

#[tokio::test]
async fn serves_sql_rows_at_once_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut pdns) = PowerDns::try_start(dir.path()).await.unwrap() else {
        return;
    };
    assert!(pdns.config_dir().join("pdns.conf").is_file());
    assert_eq!(pdns.database(), dir.path().join("pdns.sqlite3"));
    let db = pdns.pool().await.unwrap();

    // Unknown zone: no answer records.
    assert!(pdns.dig("www.example.test", "A").unwrap().is_empty());
    let full = pdns.dig_full("www.example.test", "A", &[]).unwrap();
    assert!(full.contains("status: REFUSED"), "{full}");

    // A zone inserted by SQL is served on the very next query.
    insert_zone(&db, "example.test", "192.0.2.10").await;
    assert_eq!(pdns.dig("www.example.test", "A").unwrap(), ["192.0.2.10"]);
    assert_eq!(
        pdns.dig("example.test", "NS").unwrap(),
        ["ns1.example.test."]
    );
    let full = pdns.dig_full("www.example.test", "A", &["+tcp"]).unwrap();
    assert!(full.contains("status: NOERROR"), "{full}");
    assert!(full.contains(" aa"), "authoritative answer: {full}");
    let nx = pdns.dig_full("nope.example.test", "A", &[]).unwrap();
    assert!(nx.contains("status: NXDOMAIN"), "{nx}");

    // And so is a change.
    sqlx::query("UPDATE records SET content = '192.0.2.11' WHERE name = 'www.example.test'")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(pdns.dig("www.example.test", "A").unwrap(), ["192.0.2.11"]);

    let check = pdns.check_zone("example.test").unwrap();
    assert!(check.contains("0 errors"), "{check}");
    let listed = pdns.pdnsutil(&["list-all-zones"]).unwrap();
    assert!(listed.lines().any(|l| l == "example.test"), "{listed}");
    // A zone with an error fails check_zone.
    sqlx::query(
        "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)
         SELECT id, 'bad.example.test', 'A', 'not-an-address', 300, 0, 0, 1 FROM domains",
    )
    .execute(&db)
    .await
    .unwrap();
    let err = pdns.check_zone("example.test").unwrap_err().to_string();
    assert!(err.contains("not-an-address"), "{err}");
    assert!(pdns.pdnsutil(&["no-such-command"]).is_err());

    // Down: queries fail (no answer within the timeout).
    let port = pdns.port();
    pdns.stop();
    pdns.stop();
    assert!(!pdns.daemon().is_running());
    assert!(pdns.dig("www.example.test", "A").is_err());

    // Up again on the same port and database.
    pdns.restart().await.unwrap();
    assert_eq!(pdns.port(), port);
    assert_eq!(pdns.dig("www.example.test", "A").unwrap(), ["192.0.2.11"]);
    // Restarting a running server works too.
    pdns.restart().await.unwrap();
    assert_eq!(pdns.dig("www.example.test", "A").unwrap(), ["192.0.2.11"]);
    db.close().await;
}

#[tokio::test]
async fn starts_on_an_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("data/konbit-pdns.sqlite3");
    if konbit_testkit::daemon::skip_if_missing(
        create_database(&database).await,
        konbit_testkit::pdns::REQUIRE_ENV,
    )
    .unwrap()
    .is_none()
    {
        return;
    }
    let db = SqlitePool::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    insert_zone(&db, "other.test", "192.0.2.20").await;
    db.close().await;

    let Some(pdns) = konbit_testkit::daemon::skip_if_missing(
        PowerDns::start_on(&dir.path().join("pdns"), &database).await,
        konbit_testkit::pdns::REQUIRE_ENV,
    )
    .unwrap() else {
        return;
    };
    assert_eq!(pdns.database(), database);
    assert_eq!(pdns.dig("www.other.test", "A").unwrap(), ["192.0.2.20"]);
    assert!(
        PowerDns::start_on(dir.path(), &dir.path().join("missing.sqlite3"))
            .await
            .is_err()
    );
}
