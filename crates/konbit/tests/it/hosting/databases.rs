//! Member databases made through the API, used with MariaDB's and
//! PostgreSQL's own clients.

use super::{HostingEnv, Options};
use reqwest::Method;
use serde_json::{Value, json};
use std::process::Output;

async fn env(max_size_mb: u64) -> Option<HostingEnv> {
    HostingEnv::start(Options {
        databases: true,
        max_size_mb,
        ..Options::default()
    })
    .await
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Mariadb,
    Postgresql,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Mariadb => "mariadb",
            Engine::Postgresql => "postgresql",
        }
    }
}

/// Runs `sql` as `user` in `database` with the engine's own client.
fn sql(
    env: &HostingEnv,
    engine: Engine,
    user: &str,
    password: &str,
    db: &str,
    sql: &str,
) -> Output {
    match engine {
        Engine::Mariadb => env
            .mariadb
            .as_ref()
            .unwrap()
            .sql_as(user, password, Some(db), sql)
            .unwrap(),
        Engine::Postgresql => env
            .postgres
            .as_ref()
            .unwrap()
            .sql_as(user, password, db, sql)
            .unwrap(),
    }
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: &Output) {
    assert!(!out.status.success(), "it was allowed: {}", text(out));
}

/// Creates database `<owner>_<suffix>` with a generated password; waits
/// until it is applied; returns (id, name, password).
async fn create(
    env: &HostingEnv,
    api: &konbit_testkit::app::Api,
    account: &str,
    engine: Engine,
    suffix: &str,
) -> (i64, String, String) {
    let v = HostingEnv::call_as(
        api,
        Method::POST,
        "/api/v1/databases",
        json!({ "account": account, "engine": engine.name(), "suffix": suffix }),
        201,
    )
    .await;
    let id = v["id"].as_i64().unwrap();
    let password = v["password"].as_str().unwrap().to_owned();
    let name = v["name"].as_str().unwrap().to_owned();
    assert_eq!(name, format!("{account}_{suffix}"));
    let shown = HostingEnv::until_applied_as(api, &format!("/api/v1/databases/{id}")).await;
    assert!(shown.get("password").is_none(), "shown again: {shown:#}");
    let _ = env;
    (id, name, password)
}

/// The id of database `id`'s user `name`.
async fn user_id(env: &HostingEnv, id: i64, name: &str) -> i64 {
    let v: Value = env
        .api
        .get(&format!("/api/v1/databases/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .and_then(|u| u["id"].as_i64())
        .unwrap_or_else(|| panic!("no user {name}: {v:#}"))
}

const CREATE_DATABASE: &str = "CREATE DATABASE radio_sneaky";

async fn own_database_only(engine: Engine) {
    let Some(env) = env(0).await else { return };
    let (id, db, pw) = create(&env, &env.api, "radio", engine, "wp").await;
    let owner = user_id(&env, id, &db).await;
    let (_, tele_db, tele_pw) = create(&env, &env.tele_api, "tele", engine, "blog").await;

    ok(&sql(
        &env,
        engine,
        &db,
        &pw,
        &db,
        "CREATE TABLE posts (id INT PRIMARY KEY, title VARCHAR(80)); INSERT INTO posts VALUES (1, 'Konbit')",
    ));
    assert!(ok(&sql(&env, engine, &db, &pw, &db, "SELECT title FROM posts")).contains("Konbit"));
    ok(&sql(
        &env,
        engine,
        &tele_db,
        &tele_pw,
        &tele_db,
        "CREATE TABLE secrets (s VARCHAR(20)); INSERT INTO secrets VALUES ('tele only')",
    ));

    // Another account's database, with this account's user: refused,
    // whether by connecting there or by naming it.
    refused(&sql(&env, engine, &db, &pw, &tele_db, "SELECT 1"));
    if engine == Engine::Mariadb {
        refused(&sql(
            &env,
            engine,
            &db,
            &pw,
            &db,
            &format!("SELECT * FROM {tele_db}.secrets"),
        ));
    }
    // No new databases, no roles, no grants beyond its own.
    refused(&sql(&env, engine, &db, &pw, &db, CREATE_DATABASE));
    let create_user = match engine {
        Engine::Mariadb => "CREATE USER 'evil'@'%' IDENTIFIED BY 'x'",
        Engine::Postgresql => "CREATE ROLE evil LOGIN PASSWORD 'x'",
    };
    refused(&sql(&env, engine, &db, &pw, &db, create_user));
    // A wrong password never connects.
    refused(&sql(
        &env,
        engine,
        &db,
        "Not-the-password-1",
        &db,
        "SELECT 1",
    ));

    // A new password: the old one stops working.
    let v = env
        .call(
            Method::POST,
            &format!("/api/v1/databases/{id}/users/{owner}/password"),
            json!({}),
            200,
        )
        .await;
    let new_pw = v["password"].as_str().unwrap().to_owned();
    env.until_applied(&format!("/api/v1/databases/{id}")).await;
    refused(&sql(&env, engine, &db, &pw, &db, "SELECT 1"));
    assert!(
        ok(&sql(
            &env,
            engine,
            &db,
            &new_pw,
            &db,
            "SELECT title FROM posts"
        ))
        .contains("Konbit")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mariadb_user_reaches_its_own_database_and_nothing_else() {
    own_database_only(Engine::Mariadb).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgresql_user_reaches_its_own_database_and_nothing_else() {
    own_database_only(Engine::Postgresql).await;
}

async fn extra_users(engine: Engine) {
    let Some(env) = env(0).await else { return };
    let (id, db, pw) = create(&env, &env.api, "radio", engine, "shop").await;
    ok(&sql(
        &env,
        engine,
        &db,
        &pw,
        &db,
        "CREATE TABLE items (n INT); INSERT INTO items VALUES (7)",
    ));
    let mut passwords = Vec::new();
    for (suffix, right) in [("reader", "read_only"), ("writer", "read_write")] {
        let v = env
            .call(
                Method::POST,
                &format!("/api/v1/databases/{id}/users"),
                json!({ "suffix": suffix, "right": right }),
                201,
            )
            .await;
        passwords.push(v["password"].as_str().unwrap().to_owned());
    }
    env.until_applied(&format!("/api/v1/databases/{id}")).await;
    let (reader, writer) = ("radio_reader", "radio_writer");
    assert!(
        ok(&sql(
            &env,
            engine,
            reader,
            &passwords[0],
            &db,
            "SELECT n FROM items"
        ))
        .contains('7')
    );
    refused(&sql(
        &env,
        engine,
        reader,
        &passwords[0],
        &db,
        "INSERT INTO items VALUES (8)",
    ));
    ok(&sql(
        &env,
        engine,
        writer,
        &passwords[1],
        &db,
        "INSERT INTO items VALUES (9)",
    ));
    assert!(
        ok(&sql(
            &env,
            engine,
            writer,
            &passwords[1],
            &db,
            "SELECT n FROM items"
        ))
        .contains('9')
    );
    refused(&sql(
        &env,
        engine,
        writer,
        &passwords[1],
        &db,
        CREATE_DATABASE,
    ));

    // A user removed can no longer connect.
    let writer_id = user_id(&env, id, writer).await;
    env.call(
        Method::DELETE,
        &format!("/api/v1/databases/{id}/users/{writer_id}"),
        json!({}),
        200,
    )
    .await;
    env.until_applied(&format!("/api/v1/databases/{id}")).await;
    refused(&sql(&env, engine, writer, &passwords[1], &db, "SELECT 1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_extra_users_get_read_only_or_read_write_rights() {
    extra_users(Engine::Mariadb).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgresql_extra_users_get_read_only_or_read_write_rights() {
    extra_users(Engine::Postgresql).await;
}

async fn dump_and_restore(engine: Engine) {
    let Some(env) = env(0).await else { return };
    let (id, db, pw) = create(&env, &env.api, "radio", engine, "notes").await;
    ok(&sql(
        &env,
        engine,
        &db,
        &pw,
        &db,
        "CREATE TABLE notes (id INT, body VARCHAR(200)); \
         INSERT INTO notes VALUES (1, 'semis de mais'), (2, 'quote '' and backslash \\\\')",
    ));
    let path = format!("/api/v1/databases/{id}");
    env.call(Method::DELETE, &path, json!({}), 200).await;
    let deleted = env.until_applied(&path).await;
    assert!(deleted["deleted_at"].is_i64(), "{deleted:#}");
    assert_eq!(deleted["dump_available"], true, "{deleted:#}");
    // Dropped from the server: its user cannot reach it.
    refused(&sql(&env, engine, &db, &pw, &db, "SELECT 1"));

    let dump = env.api.get(&format!("{path}/dump")).await.unwrap();
    assert_eq!(dump.status().as_u16(), 200);
    let body = dump.text().await.unwrap();
    assert!(body.contains("semis de mais"), "{body}");

    let restored: Value = env
        .call(Method::POST, &format!("{path}/restore"), json!({}), 200)
        .await;
    assert!(restored["deleted_at"].is_null(), "{restored:#}");
    env.until_applied(&path).await;
    let rows = ok(&sql(
        &env,
        engine,
        &db,
        &pw,
        &db,
        "SELECT body FROM notes ORDER BY id",
    ));
    assert!(rows.contains("semis de mais"), "{rows}");
    assert!(rows.contains("quote ' and backslash \\"), "{rows}");
    // Writable again, as before.
    ok(&sql(
        &env,
        engine,
        &db,
        &pw,
        &db,
        "INSERT INTO notes VALUES (3, 'x')",
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mariadb_dump_and_restore_keep_the_data() {
    dump_and_restore(Engine::Mariadb).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgresql_dump_and_restore_keep_the_data() {
    dump_and_restore(Engine::Postgresql).await;
}

/// A database over the operator's size limit is made read-only in the
/// server itself, and writable again once it shrinks.
async fn over_size(engine: Engine) {
    let Some(env) = env(1).await else { return };
    let (id, db, pw) = create(&env, &env.api, "radio", engine, "big").await;
    let fill = match engine {
        Engine::Mariadb => {
            "CREATE TABLE blobs (b LONGTEXT); INSERT INTO blobs VALUES (REPEAT('k', 3000000)); \
             ANALYZE TABLE blobs"
        }
        Engine::Postgresql => {
            "CREATE TABLE blobs (b TEXT); ALTER TABLE blobs ALTER COLUMN b SET STORAGE EXTERNAL; \
             INSERT INTO blobs SELECT string_agg(md5(g::text), '') FROM generate_series(1, 100000) g"
        }
    };
    ok(&sql(&env, engine, &db, &pw, &db, fill));
    let databases = env.databases.as_ref().unwrap();
    let sizes = databases.sizes().await;
    env.t.app.databases().record_sizes(&sizes).await.unwrap();
    let path = format!("/api/v1/databases/{id}");
    let shown = env.until_applied(&path).await;
    assert!(
        shown["size_bytes"].as_i64().unwrap() > 1024 * 1024,
        "{shown:#}"
    );
    assert_eq!(shown["over_size"], true, "{shown:#}");
    assert_eq!(shown["read_only"], true, "{shown:#}");
    refused(&sql(
        &env,
        engine,
        &db,
        &pw,
        &db,
        "INSERT INTO blobs VALUES ('more')",
    ));
    assert!(
        ok(&sql(
            &env,
            engine,
            &db,
            &pw,
            &db,
            "SELECT count(*) FROM blobs"
        ))
        .contains('1')
    );

    // Measured under the limit again (as after the operator removed
    // rows for the member), it is writable again.
    let mut smaller = sizes.clone();
    for v in smaller.values_mut() {
        *v = 1024;
    }
    env.t.app.databases().record_sizes(&smaller).await.unwrap();
    let shown = env.until_applied(&path).await;
    assert_eq!(shown["read_only"], false, "{shown:#}");
    ok(&sql(
        &env,
        engine,
        &db,
        &pw,
        &db,
        "INSERT INTO blobs VALUES ('more')",
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mariadb_database_over_its_size_becomes_read_only_in_the_server() {
    over_size(Engine::Mariadb).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgresql_database_over_its_size_becomes_read_only_in_the_server() {
    over_size(Engine::Postgresql).await;
}
