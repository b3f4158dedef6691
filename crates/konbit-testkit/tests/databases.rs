//! The MariaDB and PostgreSQL test servers: a database and its user made
//! by the administrator, the user working in it over TCP and refused
//! elsewhere, and a dump. Skipped when the servers are not installed,
//! unless `REQUIRE_DATABASE_TESTS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use konbit_testkit::daemon::group_pids;
use konbit_testkit::mariadb::MariaDb;
use konbit_testkit::postgres::Postgres;
use sqlx::Connection;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn mariadb_user_works_in_its_database_only() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let Some(db) = MariaDb::try_start(&dir.path().join("mariadb"))
        .await
        .unwrap()
    else {
        return;
    };
    eprintln!("MariaDB started in {:?}", started.elapsed());
    assert!(db.socket().exists());
    assert!(db.config_file().is_file());

    db.root_sql(
        "CREATE DATABASE site1_db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
         CREATE USER 'site1'@'localhost' IDENTIFIED BY 'S1te-pass';
         CREATE USER 'site1'@'127.0.0.1' IDENTIFIED BY 'S1te-pass';
         GRANT ALL PRIVILEGES ON site1_db.* TO 'site1'@'localhost';
         GRANT ALL PRIVILEGES ON site1_db.* TO 'site1'@'127.0.0.1';",
    )
    .unwrap();
    let whoami = db.root_sql("SELECT CURRENT_USER()").unwrap();
    assert_eq!(whoami.trim(), "root@localhost");

    // The user works in its database over TCP.
    let out = db
        .sql_as(
            "site1",
            "S1te-pass",
            Some("site1_db"),
            "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);
             INSERT INTO notes VALUES (1, 'hello from site1');
             SELECT body FROM notes;",
        )
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "hello from site1");
    let out = db
        .sql_as("site1", "S1te-pass", None, "SHOW DATABASES")
        .unwrap();
    let listed = text(&out.stdout);
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        ["information_schema", "site1_db"]
    );

    // ... and nowhere else.
    let out = db
        .sql_as("site1", "S1te-pass", None, "CREATE DATABASE evil")
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("ERROR 1044"),
        "{}",
        text(&out.stderr)
    );
    let out = db
        .sql_as("site1", "S1te-pass", Some("mysql"), "SELECT 1")
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("ERROR 1044"),
        "{}",
        text(&out.stderr)
    );
    // A wrong password is refused (1045).
    let out = db
        .sql_as("site1", "wrong", Some("site1_db"), "SELECT 1")
        .unwrap();
    assert!(
        text(&out.stderr).contains("ERROR 1045"),
        "{}",
        text(&out.stderr)
    );

    let dump = text(&db.dump("site1_db").unwrap());
    assert!(dump.contains("CREATE TABLE `notes`"), "{dump}");
    assert!(dump.contains("hello from site1"), "{dump}");

    // The admin URL is what the panel's provisioner connects with.
    let mut conn = sqlx::MySqlConnection::connect(&db.admin_url())
        .await
        .unwrap();
    let user: String = sqlx::query_scalar("SELECT CURRENT_USER()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(user, "root@localhost");
    conn.close().await.unwrap();

    // The server is in the watchdog's group and gone after the drop.
    let pgid = db.daemon().pgid();
    assert!(group_pids(pgid).contains(&db.daemon().pid()));
    drop(db);
    assert!(group_pids(pgid).is_empty());
}

#[tokio::test]
async fn postgres_role_works_in_its_database_only() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let Some(pg) = Postgres::try_start(&dir.path().join("postgres"))
        .await
        .unwrap()
    else {
        return;
    };
    eprintln!("PostgreSQL started in {:?}", started.elapsed());
    assert!(
        pg.socket_dir()
            .join(format!(".s.PGSQL.{}", pg.port()))
            .exists()
    );

    pg.admin_sql(
        "CREATE ROLE site1 LOGIN PASSWORD 'S1te-pass';
         CREATE DATABASE site1_db OWNER site1;
         REVOKE CONNECT, TEMPORARY ON DATABASE site1_db FROM PUBLIC;
         GRANT CONNECT, TEMPORARY ON DATABASE site1_db TO site1;
         CREATE ROLE other LOGIN PASSWORD 'Oth3r-pass';",
    )
    .unwrap();

    // The owner works in its database over TCP.
    let out = pg
        .sql_as(
            "site1",
            "S1te-pass",
            "site1_db",
            "CREATE TABLE notes (id int PRIMARY KEY, body text);
             INSERT INTO notes VALUES (1, 'hello from site1');
             SELECT body FROM notes;",
        )
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "hello from site1");

    // Another role cannot even connect to it.
    let out = pg
        .sql_as("other", "Oth3r-pass", "site1_db", "SELECT 1")
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("permission denied for database"),
        "{}",
        text(&out.stderr)
    );
    // The owner cannot create databases.
    let out = pg
        .sql_as("site1", "S1te-pass", "site1_db", "CREATE DATABASE evil")
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("permission denied"),
        "{}",
        text(&out.stderr)
    );
    // A wrong password is refused.
    let out = pg.sql_as("site1", "wrong", "site1_db", "SELECT 1").unwrap();
    assert!(
        text(&out.stderr).contains("password authentication failed"),
        "{}",
        text(&out.stderr)
    );

    let dump = text(&pg.dump("site1_db").unwrap());
    assert!(dump.contains("CREATE TABLE public.notes"), "{dump}");
    assert!(dump.contains("hello from site1"), "{dump}");

    // The admin URL is what the panel's provisioner connects with.
    let mut conn = sqlx::PgConnection::connect(&pg.admin_url()).await.unwrap();
    let (user, superuser): (String, bool) = sqlx::query_as(
        "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((user.as_str(), superuser), ("konbit_admin", true));
    conn.close().await.unwrap();

    // Every process is gone after the drop, the backends (which leave the
    // watchdog's group) included.
    let postmaster = pg.daemon().pid();
    let pgid = pg.daemon().pgid();
    let children = children_of(postmaster);
    assert!(!children.is_empty());
    drop(pg);
    assert!(group_pids(pgid).is_empty());
    let alive = |pid: &u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| !s.rsplit(')').next().unwrap().trim_start().starts_with('Z'))
    };
    assert!(!alive(&postmaster));
    let left: Vec<u32> = children.iter().copied().filter(alive).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|s| {
                s.rsplit(')').next().unwrap().split_whitespace().nth(1)
                    == Some(pid.to_string().as_str())
            })
        })
        .collect()
}
