//! `konbit doctor` against a real MariaDB and PostgreSQL (started by the
//! testkit on loopback): ok with each server's version while the
//! administrator's URLs reach them, a failure naming the address (exit 1)
//! when they point at a port nothing listens on. Skipped where the servers
//! are not installed, unless `REQUIRE_DATABASE_TESTS=1`.

use crate::cli::{Konbit, Out};
use konbit_testkit::daemon::free_port;
use konbit_testkit::mariadb::MariaDb;
use konbit_testkit::postgres::Postgres;
use serde_json::Value;

/// `konbit init`'s file with both database servers after it.
fn configure(k: &Konbit, base: &str, mariadb_url: &str, postgres_url: &str) {
    let text = format!(
        r#"{base}
[databases.mariadb]
admin_url = "{mariadb_url}"
public_host = "db.coop.test"
public_port = 3306

[databases.postgresql]
admin_url = "{postgres_url}"
public_host = "db.coop.test"
public_port = 5432
"#
    );
    std::fs::write(&k.config, text).unwrap();
}

/// `konbit doctor` with only the state and the database checks.
fn doctor(k: &Konbit) -> (Out, Value) {
    let out = k.run_env(
        &["--output", "json", "doctor"],
        &[("KONBIT_DNS__ENABLED", "false")],
    );
    let report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor's stdout is not JSON ({e}): {out:#?}"));
    (out, report)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {report:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_reports_the_database_servers_versions_and_failures() {
    // The servers' users must pass through their directories.
    let mariadb_dir = tempfile::tempdir().unwrap();
    let postgres_dir = tempfile::tempdir().unwrap();
    let Some(mariadb) = MariaDb::try_start(mariadb_dir.path()).await.unwrap() else {
        return;
    };
    let Some(postgres) = Postgres::try_start(postgres_dir.path()).await.unwrap() else {
        return;
    };
    let k = Konbit::init();
    let base = std::fs::read_to_string(&k.config).unwrap();

    configure(&k, &base, &mariadb.admin_url(), &postgres.admin_url());
    let (out, report) = doctor(&k);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(report["ok"], true, "{report:#}");
    let mariadb_version = mariadb.root_sql("SELECT VERSION()").unwrap();
    let m = check(&report, "mariadb");
    assert_eq!(m["ok"], true, "{report:#}");
    let detail = m["detail"].as_str().unwrap();
    assert!(detail.contains(mariadb_version.trim()), "{detail}");
    assert!(
        detail.contains(&mariadb.socket().display().to_string()),
        "{detail}"
    );
    let postgres_version = postgres.admin_sql("SHOW server_version").unwrap();
    let p = check(&report, "postgresql");
    assert_eq!(p["ok"], true, "{report:#}");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains(postgres_version.trim()), "{detail}");
    assert!(detail.contains(&postgres.addr().to_string()), "{detail}");
    // The administrator's password is nobody's business.
    assert!(
        !out.stdout.contains(postgres.admin_password()),
        "{}",
        out.stdout
    );

    // Ports nothing listens on: each check fails, naming where it tried.
    let (mariadb_port, postgres_port) = (free_port().unwrap(), free_port().unwrap());
    let wrong_postgres = postgres.admin_url().replace(
        &format!(":{}/", postgres.port()),
        &format!(":{postgres_port}/"),
    );
    assert_ne!(wrong_postgres, postgres.admin_url());
    configure(
        &k,
        &base,
        &format!("mysql://root@127.0.0.1:{mariadb_port}/mysql"),
        &wrong_postgres,
    );
    let (out, report) = doctor(&k);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(report["ok"], false, "{report:#}");
    assert_eq!(check(&report, "state")["ok"], true, "{report:#}");
    for (name, port) in [("mariadb", mariadb_port), ("postgresql", postgres_port)] {
        let c = check(&report, name);
        assert_eq!(c["ok"], false, "{report:#}");
        let detail = c["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("127.0.0.1:{port}")), "{detail}");
        assert!(detail.contains("refused"), "{detail}");
    }
    assert!(
        !out.stdout.contains(postgres.admin_password()),
        "{}",
        out.stdout
    );
}
