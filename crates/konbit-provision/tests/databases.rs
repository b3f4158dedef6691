//! MariaDB and PostgreSQL as Konbit drives them, each on a real server of
//! its own in a temporary directory: users log in with the password whose
//! verifier Konbit stored (so both engines accept `db_verifier`'s output),
//! rights hold, read only blocks the owner, apply is idempotent, removed
//! users are dropped, and a dump survives a drop and a restore.
//!
//! Needs root (the servers run as `mysql` and `postgres`). Skipped when the
//! servers are not installed or the test is not root, unless
//! `REQUIRE_DATABASE_TESTS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use konbit_core::database::{DbName, DbRight};
use konbit_core::db_verifier::{mysql_native, scram_sha256};
use konbit_provision::database::mariadb::MariaDbServer;
use konbit_provision::database::postgres::PostgresServer;
use konbit_provision::database::{DbError, DbServer, DesiredDatabase, DesiredUser};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use konbit_testkit::mariadb::MariaDb;
use konbit_testkit::postgres::Postgres;

const OWNER_PW: &str = "Owner-Pass-123";
const RO_PW: &str = "Reader-Pass-123";
const RO_PW2: &str = "Reader-Pass-456";
const RW_PW: &str = "Writer-Pass-123";
const OTHER_PW: &str = "Other-Pass-123";

/// What the scenario needs from each engine besides the `DbServer`.
trait Engine {
    const LABEL: &'static str;
    fn verifier(password: &str) -> String;
    /// Runs `sql` as `user` over TCP with its password.
    fn run_as(&self, user: &str, password: &str, database: Option<&str>, sql: &str) -> Output;
    /// The server's users, grants and settings that Konbit manages, as the
    /// administrator sees them.
    async fn snapshot(&self) -> Vec<String>;
    /// Creates `name` as an account with rights outside any member
    /// database (as an administrator might have).
    async fn make_foreign(&self, name: &str);
    /// A statement the owner of a read-only database may use to write
    /// anyway, if the engine lets it.
    fn read_only_bypass(&self) -> Option<&'static str>;
    /// A session of `user` on `database`, kept open.
    async fn session(&self, user: &str, password: &str, database: &str) -> Session;
}

/// A client session kept open across applies (as an application's pool
/// keeps its connections).
enum Session {
    MariaDb(sqlx::MySqlConnection),
    Postgres(sqlx::PgConnection),
}

impl Session {
    async fn execute(&mut self, sql: &'static str) -> Result<(), String> {
        let result = match self {
            Self::MariaDb(c) => sqlx::raw_sql(sql).execute(c).await.map(|_| ()),
            Self::Postgres(c) => sqlx::raw_sql(sql).execute(c).await.map(|_| ()),
        };
        result.map_err(|e| e.to_string())
    }
}

fn name(s: &str) -> DbName {
    DbName::parse_existing(s).unwrap()
}

fn user<E: Engine>(n: &str, right: DbRight, password: &str) -> DesiredUser {
    DesiredUser {
        name: name(n),
        right,
        verifier: E::verifier(password),
    }
}

#[track_caller]
fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "expected success: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[track_caller]
fn fails(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected failure, got: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

fn ms(since: Instant) -> u128 {
    since.elapsed().as_millis()
}

async fn scenario<S: DbServer, E: Engine>(server: &S, engine: &E, dir: &Path) {
    let label = E::LABEL;
    let version = server.version().await.unwrap();
    assert!(!version.is_empty());

    let db = name("acme_shop");
    let mut desired = DesiredDatabase {
        name: db.clone(),
        users: vec![
            user::<E>("acme_shop", DbRight::Owner, OWNER_PW),
            user::<E>("acme_ro", DbRight::ReadOnly, RO_PW),
            user::<E>("acme_rw", DbRight::ReadWrite, RW_PW),
        ],
        read_only: false,
    };
    let t = Instant::now();
    server.apply(&desired).await.unwrap();
    let apply_new = ms(t);

    // The owner logs in with its password and works in its database.
    let shop = Some("acme_shop");
    ok(&engine.run_as(
        "acme_shop",
        OWNER_PW,
        shop,
        "CREATE TABLE notes (id SERIAL PRIMARY KEY, body VARCHAR(100)); \
         INSERT INTO notes (body) VALUES ('one')",
    ));
    fails(&engine.run_as("acme_shop", "Wrong-Pass-123", shop, "SELECT 1"));
    // A read-only user reads, does not write.
    assert_eq!(
        ok(&engine.run_as("acme_ro", RO_PW, shop, "SELECT count(*) FROM notes")),
        "1"
    );
    fails(&engine.run_as(
        "acme_ro",
        RO_PW,
        shop,
        "INSERT INTO notes (body) VALUES ('ro')",
    ));
    // A read-write user writes rows (through the owner's sequence on
    // PostgreSQL), changes no schema.
    ok(&engine.run_as(
        "acme_rw",
        RW_PW,
        shop,
        "INSERT INTO notes (body) VALUES ('rw')",
    ));
    fails(&engine.run_as("acme_rw", RW_PW, shop, "CREATE TABLE rw_table (id INT)"));
    fails(&engine.run_as("acme_rw", RW_PW, shop, "DROP TABLE notes"));
    // The owner creates no database, not even one its name's `_` would
    // match as a MariaDB pattern.
    fails(&engine.run_as("acme_shop", OWNER_PW, shop, "CREATE DATABASE acmexshop"));
    fails(&engine.run_as("acme_shop", OWNER_PW, shop, "CREATE DATABASE acme_shop2"));

    // Another account's user cannot reach the database.
    let other = DesiredDatabase {
        name: name("other_db"),
        users: vec![user::<E>("other_db", DbRight::Owner, OTHER_PW)],
        read_only: false,
    };
    server.apply(&other).await.unwrap();
    ok(&engine.run_as("other_db", OTHER_PW, Some("other_db"), "SELECT 1"));
    fails(&engine.run_as("other_db", OTHER_PW, shop, "SELECT 1"));
    fails(&engine.run_as("acme_shop", OWNER_PW, Some("other_db"), "SELECT 1"));

    // Idempotent: a second apply changes nothing.
    let before = engine.snapshot().await;
    let t = Instant::now();
    server.apply(&desired).await.unwrap();
    let apply_again = ms(t);
    assert_eq!(
        engine.snapshot().await,
        before,
        "{label}: a second apply changed something"
    );

    // A new password replaces the old one.
    desired.users[1].verifier = E::verifier(RO_PW2);
    server.apply(&desired).await.unwrap();
    ok(&engine.run_as("acme_ro", RO_PW2, shop, "SELECT 1"));
    fails(&engine.run_as("acme_ro", RO_PW, shop, "SELECT 1"));

    // An account Konbit did not make is not taken over.
    engine.make_foreign("acme_admin").await;
    let mut hijack = desired.clone();
    hijack.users.push(user::<E>(
        "acme_admin",
        DbRight::ReadOnly,
        "Hijack-Pass-123",
    ));
    let err = server.apply(&hijack).await.unwrap_err();
    assert!(
        matches!(&err, DbError::Refused(m) if m.contains("does not take it over")),
        "{err:?}"
    );
    fails(&engine.run_as("acme_admin", "Hijack-Pass-123", shop, "SELECT 1"));

    // Read only: the owner can no longer write, everyone still reads; a
    // session opened before cannot write either.
    let insert = "INSERT INTO notes (body) VALUES ('blocked')";
    let mut held = engine.session("acme_shop", OWNER_PW, "acme_shop").await;
    held.execute("SELECT count(*) FROM notes").await.unwrap();
    desired.read_only = true;
    let t = Instant::now();
    server.apply(&desired).await.unwrap();
    let apply_read_only = ms(t);
    let held_err = held.execute(insert).await.unwrap_err();
    println!("{label}: a session held across read only: {held_err}");
    fails(&engine.run_as("acme_shop", OWNER_PW, shop, insert));
    fails(&engine.run_as("acme_shop", OWNER_PW, shop, "CREATE TABLE more (id INT)"));
    fails(&engine.run_as("acme_rw", RW_PW, shop, insert));
    assert_eq!(
        ok(&engine.run_as("acme_shop", OWNER_PW, shop, "SELECT count(*) FROM notes")),
        "2"
    );
    ok(&engine.run_as("acme_rw", RW_PW, shop, "SELECT count(*) FROM notes"));
    let bypassed = engine.read_only_bypass().map(|sql| {
        // PostgreSQL: best effort, documented in postgres.rs. Undo the row
        // so the counts below hold.
        ok(&engine.run_as("acme_shop", OWNER_PW, shop, sql));
        ok(&engine.run_as(
            "acme_shop",
            OWNER_PW,
            shop,
            "BEGIN READ WRITE; DELETE FROM notes WHERE body = 'bypass'; COMMIT",
        ));
    });
    let read_only_snapshot = engine.snapshot().await;
    server.apply(&desired).await.unwrap();
    assert_eq!(engine.snapshot().await, read_only_snapshot);
    desired.read_only = false;
    server.apply(&desired).await.unwrap();
    ok(&engine.run_as(
        "acme_shop",
        OWNER_PW,
        shop,
        "INSERT INTO notes (body) VALUES ('three')",
    ));
    ok(&engine.run_as(
        "acme_rw",
        RW_PW,
        shop,
        "INSERT INTO notes (body) VALUES ('four')",
    ));

    // A user taken off the list is dropped.
    desired.users.retain(|u| u.name.as_str() != "acme_rw");
    server.apply(&desired).await.unwrap();
    fails(&engine.run_as("acme_rw", RW_PW, shop, "SELECT 1"));
    ok(&engine.run_as("acme_ro", RO_PW2, shop, "SELECT 1"));

    // Sizes.
    let sizes = server.sizes().await.unwrap();
    assert!(sizes.get("acme_shop").is_some_and(|s| *s > 0), "{sizes:?}");
    assert!(sizes.contains_key("other_db"), "{sizes:?}");
    assert!(
        sizes.keys().all(|k| DbName::parse_existing(k).is_ok()),
        "{sizes:?}"
    );

    // Dump, drop, restore, over its limit (so read only) as it may well be.
    desired.read_only = true;
    server.apply(&desired).await.unwrap();
    let dump = dir.join("acme_shop.sql");
    let t = Instant::now();
    server.dump(&db, &dump).await.unwrap();
    let dump_ms = ms(t);
    let meta = std::fs::metadata(&dump).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(std::fs::read_to_string(&dump).unwrap().contains("notes"));
    let t = Instant::now();
    server.drop_database(&db).await.unwrap();
    let drop_ms = ms(t);
    assert!(!server.sizes().await.unwrap().contains_key("acme_shop"));
    fails(&engine.run_as("acme_shop", OWNER_PW, None, "SELECT 1"));
    fails(&engine.run_as("acme_ro", RO_PW2, None, "SELECT 1"));
    // Nothing left to drop is not an error; the other account is intact.
    server.drop_database(&db).await.unwrap();
    ok(&engine.run_as("other_db", OTHER_PW, Some("other_db"), "SELECT 1"));
    let t = Instant::now();
    server.restore(&desired, &dump).await.unwrap();
    let restore_ms = ms(t);
    assert_eq!(
        ok(&engine.run_as("acme_shop", OWNER_PW, shop, "SELECT count(*) FROM notes")),
        "4"
    );
    assert_eq!(
        ok(&engine.run_as("acme_ro", RO_PW2, shop, "SELECT count(*) FROM notes")),
        "4"
    );
    fails(&engine.run_as("acme_ro", RO_PW2, shop, insert));
    fails(&engine.run_as("acme_shop", OWNER_PW, shop, insert));
    desired.read_only = false;
    server.apply(&desired).await.unwrap();
    ok(&engine.run_as(
        "acme_shop",
        OWNER_PW,
        shop,
        "INSERT INTO notes (body) VALUES ('five')",
    ));

    // A restore that fails leaves no database behind.
    let broken = dir.join("broken.sql");
    std::fs::write(&broken, "CREATE TABLE t (id INT);\nTHIS IS NOT SQL;\n").unwrap();
    let third = DesiredDatabase {
        name: name("acme_third"),
        users: vec![user::<E>("acme_third", DbRight::Owner, OWNER_PW)],
        read_only: false,
    };
    assert!(server.restore(&third, &broken).await.is_err());
    assert!(!server.sizes().await.unwrap().contains_key("acme_third"));

    server.drop_database(&other.name).await.unwrap();
    server.drop_database(&db).await.unwrap();
    server.drop_database(&third.name).await.unwrap();
    let left = server.sizes().await.unwrap();
    assert!(left.is_empty(), "{left:?}");

    println!(
        "{label} {version}: apply (new) {apply_new} ms, apply (unchanged) {apply_again} ms, \
         apply (read only) {apply_read_only} ms, dump {dump_ms} ms, drop {drop_ms} ms, \
         restore {restore_ms} ms; read-only bypass by the owner: {}",
        if bypassed.is_some() {
            "possible"
        } else {
            "impossible"
        }
    );
}

// ---------------------------------------------------------------------------
// MariaDB
// ---------------------------------------------------------------------------

impl Engine for MariaDb {
    const LABEL: &'static str = "MariaDB";

    fn verifier(password: &str) -> String {
        mysql_native(password)
    }

    fn run_as(&self, user: &str, password: &str, database: Option<&str>, sql: &str) -> Output {
        self.sql_as(user, password, database, sql).unwrap()
    }

    async fn snapshot(&self) -> Vec<String> {
        let sql = "SELECT CONCAT_WS(':', User, Host, plugin, authentication_string) \
             FROM mysql.user WHERE User LIKE 'acme%' OR User LIKE 'other%' ORDER BY 1; \
             SELECT CONCAT_WS(':', GRANTEE, TABLE_SCHEMA, PRIVILEGE_TYPE, IS_GRANTABLE) \
             FROM information_schema.SCHEMA_PRIVILEGES ORDER BY 1; \
             SELECT CONCAT_WS(':', GRANTEE, PRIVILEGE_TYPE) \
             FROM information_schema.USER_PRIVILEGES ORDER BY 1; \
             SELECT CONCAT_WS(':', User, Host, Db) FROM mysql.db ORDER BY 1; \
             SELECT CONCAT_WS(':', User, Host, Db, Table_name) FROM mysql.tables_priv ORDER BY 1";
        self.root_sql(sql)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    async fn make_foreign(&self, name: &str) {
        self.root_sql(&format!(
            "CREATE USER '{name}'@'localhost' IDENTIFIED BY 'Admin-Pass-123'; \
             GRANT SELECT ON *.* TO '{name}'@'localhost'"
        ))
        .unwrap();
    }

    fn read_only_bypass(&self) -> Option<&'static str> {
        None
    }

    async fn session(&self, user: &str, password: &str, database: &str) -> Session {
        let url = format!(
            "mysql://{user}:{password}@127.0.0.1:{}/{database}",
            self.port()
        );
        Session::MariaDb(
            <sqlx::MySqlConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap(),
        )
    }
}

/// A temporary directory the servers' own users can get through.
fn server_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[tokio::test]
async fn mariadb_holds_databases_as_desired() {
    let dir = server_dir();
    let Some(mariadb) = MariaDb::try_start(&dir.path().join("mariadb"))
        .await
        .unwrap()
    else {
        return;
    };
    let server = MariaDbServer::new(
        &mariadb.admin_url(),
        PathBuf::from("/usr/bin"),
        Some(mariadb.socket().to_owned()),
    )
    .unwrap();
    scenario(&server, &mariadb, dir.path()).await;
}

// ---------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------

impl Engine for Postgres {
    const LABEL: &'static str = "PostgreSQL";

    fn verifier(password: &str) -> String {
        // Any 16 bytes do for a test; Konbit's app draws them at random.
        let mut salt = [0u8; 16];
        for (i, (b, c)) in salt.iter_mut().zip(password.bytes().cycle()).enumerate() {
            *b = c.wrapping_add(i as u8);
        }
        scram_sha256(password, &salt, 4096)
    }

    fn run_as(&self, user: &str, password: &str, database: Option<&str>, sql: &str) -> Output {
        self.sql_as(user, password, database.unwrap_or("postgres"), sql)
            .unwrap()
    }

    async fn snapshot(&self) -> Vec<String> {
        let cluster = "SELECT rolname || ':' || coalesce(rolpassword, '') || ':' || rolinherit::text \
             || ':' || rolcanlogin::text FROM pg_authid \
             WHERE rolname LIKE 'acme%' OR rolname LIKE 'other%' ORDER BY 1; \
             SELECT datname || ':' || pg_get_userbyid(datdba) || ':' || coalesce(datacl::text, '') \
             FROM pg_database ORDER BY 1; \
             SELECT setdatabase::text || ':' || setrole::text || ':' || setconfig::text \
             FROM pg_db_role_setting ORDER BY 1;";
        let inside = "SELECT relname || ':' || coalesce(relacl::text, '') FROM pg_class \
             WHERE relnamespace = 'public'::regnamespace ORDER BY 1; \
             SELECT defaclobjtype::text || ':' || defaclacl::text FROM pg_default_acl ORDER BY 1; \
             SELECT coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'public';";
        let mut out: Vec<String> = self
            .admin_sql(cluster)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        out.extend(
            self.admin_sql_in("acme_shop", inside)
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
        out
    }

    async fn make_foreign(&self, name: &str) {
        self.admin_sql(&format!(
            "CREATE ROLE {name} LOGIN CREATEROLE PASSWORD 'Admin-Pass-123'"
        ))
        .unwrap();
    }

    fn read_only_bypass(&self) -> Option<&'static str> {
        Some("BEGIN READ WRITE; INSERT INTO notes (body) VALUES ('bypass'); COMMIT")
    }

    async fn session(&self, user: &str, password: &str, database: &str) -> Session {
        let url = format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{database}",
            self.port()
        );
        Session::Postgres(
            <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap(),
        )
    }
}

#[tokio::test]
async fn postgres_holds_databases_as_desired() {
    let dir = server_dir();
    let Some(postgres) = Postgres::try_start(&dir.path().join("postgres"))
        .await
        .unwrap()
    else {
        return;
    };
    let server = PostgresServer::new(&postgres.admin_url(), postgres.bin_dir().to_owned()).unwrap();
    scenario(&server, &postgres, dir.path()).await;
}

/// A server that cannot be reached is `Unreachable`, and construction never
/// waits for it.
#[tokio::test]
async fn an_unreachable_server_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let mariadb = MariaDbServer::new(
        &format!(
            "mysql://root@localhost/mysql?socket={}",
            dir.path().join("none.sock").display()
        ),
        PathBuf::from("/usr/bin"),
        None,
    )
    .unwrap();
    let postgres = PostgresServer::new(
        "postgres://konbit:secret@127.0.0.1:1/postgres",
        PathBuf::from("/usr/bin"),
    )
    .unwrap();
    assert!(t.elapsed().as_millis() < 500);
    assert!(matches!(
        mariadb.version().await,
        Err(DbError::Unreachable(_))
    ));
    assert!(matches!(
        postgres.version().await,
        Err(DbError::Unreachable(_))
    ));
    assert!(matches!(
        MariaDbServer::new("not a url", PathBuf::from("/usr/bin"), None),
        Err(DbError::Refused(_))
    ));
    let err = PostgresServer::new("postgres://u:hunter2@[bad/x", PathBuf::from("/usr/bin"))
        .err()
        .unwrap();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}
