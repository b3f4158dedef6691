//! Members' databases through the REST API only, without MariaDB or
//! PostgreSQL running: the contract of `/api/v1/databases`, what the store
//! holds afterwards (verifiers, never passwords), and that no hostile name
//! or password gets past the rules into the SQL the provisioner writes.

use crate::api::{Reply, delete, field_rules, get, items, post_empty, send};
use konbit_app::AppConfig;
use konbit_app::database::{DatabaseConfig, EngineConfig};
use konbit_core::quota::QuotaLimits;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person};
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "db-Api-2026!pass";

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = items(list)
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["engine"].as_str().unwrap(),
                d["name"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    names
}

/// The users of a database as `(name, right)`.
fn users(database: &Value) -> Vec<(String, String)> {
    database["users"]
        .as_array()
        .unwrap_or_else(|| panic!("no users in {database}"))
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap().to_owned(),
                u["right"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn user_id(database: &Value, name: &str) -> i64 {
    database["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("no user {name} in {database}"))["id"]
        .as_i64()
        .unwrap()
}

fn engine(port: u16) -> Option<EngineConfig> {
    Some(EngineConfig {
        public_host: "db.coop.test".into(),
        public_port: port,
    })
}

/// A server offering MariaDB and, when `postgresql`, PostgreSQL (no daemon:
/// the API only records what the provisioner is to do), with its dumps in
/// a directory of the test's.
async fn spawn(postgresql: bool) -> (TestApp, tempfile::TempDir) {
    let dumps = tempfile::Builder::new()
        .prefix("konbit-dumps-")
        .tempdir()
        .unwrap();
    let t = TestApp::spawn_with(AppConfig {
        databases: DatabaseConfig {
            mariadb: engine(3306),
            postgresql: if postgresql { engine(5432) } else { None },
            dump_dir: Some(dumps.path().to_owned()),
            ..DatabaseConfig::default()
        },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    (t, dumps)
}

/// Account `name` with its owner and an API client for that owner with
/// the `databases:write` scope.
async fn owner_api(t: &TestApp, name: &str) -> (i64, Person, Api) {
    let (account, owner, _) = t.seed_account(name).await.unwrap();
    let token = t.token_for(&owner, &["databases:write"]).await.unwrap();
    (account.0, owner, t.api(Some(&token)).unwrap())
}

async fn create(api: &Api, body: Value) -> Value {
    send(api, Method::POST, "/api/v1/databases", &body)
        .await
        .ok(201)
}

async fn count(t: &TestApp, table: &str) -> i64 {
    let query = match table {
        "databases" => "SELECT count(*) FROM databases",
        "database_users" => "SELECT count(*) FROM database_users",
        other => panic!("no count of {other}"),
    };
    let pool = t.db().await.unwrap();
    let n: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

async fn verifier(t: &TestApp, user: i64) -> String {
    let pool = t.db().await.unwrap();
    let v: String = sqlx::query_scalar("SELECT verifier FROM database_users WHERE id = ?")
        .bind(user)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    v
}

/// Every stored verifier, to show that a refused request left them all.
async fn verifiers(t: &TestApp) -> Vec<String> {
    let pool = t.db().await.unwrap();
    let v: Vec<String> = sqlx::query_scalar("SELECT verifier FROM database_users ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    v
}

/// Gives the account a quota profile with room for `databases` databases.
async fn allow_databases(t: &TestApp, account: i64, databases: u64) {
    let limits = QuotaLimits {
        databases,
        ..QuotaLimits::starter()
    };
    crate::api::give_quota(t, account, &format!("db{databases}"), limits).await;
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test(flavor = "multi_thread")]
async fn database_api_on_mariadb_and_postgresql_with_a_password_shown_once() {
    let (t, _dumps) = spawn(true).await;
    let (account, _, api) = owner_api(&t, "radio").await;
    allow_databases(&t, account, 10).await;

    for (engine, port, scheme, verifier_prefix) in [
        ("mariadb", 3306, "mysql", "*"),
        ("postgresql", 5432, "postgresql", "SCRAM-SHA-256$4096:"),
    ] {
        let r = send(
            &api,
            Method::POST,
            "/api/v1/databases",
            &json!({ "account": "radio", "engine": engine, "suffix": "wp" }),
        )
        .await;
        let location = r.header("location").to_owned();
        let text = r.text.clone();
        let d = r.ok(201);
        let id = d["id"].as_i64().unwrap();
        assert_eq!(location, format!("/api/v1/databases/{id}"));
        assert_eq!(d["engine"], engine, "{d}");
        assert_eq!(d["name"], "radio_wp");
        assert_eq!(d["account"], "radio");
        assert_eq!(d["account_id"], account);
        assert_eq!(users(&d), [("radio_wp".to_owned(), "owner".to_owned())]);
        assert_eq!(d["deleted_at"], Value::Null);
        assert_eq!(d["dump_available"], false);
        assert_eq!(d["status"]["state"], "pending");
        let connection = &d["connection"];
        assert_eq!(connection["host"], "db.coop.test");
        assert_eq!(connection["port"], port);
        assert_eq!(connection["database"], "radio_wp");
        assert_eq!(connection["user"], "radio_wp");
        assert_eq!(
            connection["url"],
            format!("{scheme}://radio_wp@db.coop.test:{port}/radio_wp")
        );
        // The password Konbit made: once, here, and nowhere after.
        let password = d["password"].as_str().unwrap().to_owned();
        assert!(password.len() >= 12, "{d}");
        assert!(
            password.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{password}"
        );
        let owner = user_id(&d, "radio_wp");
        let stored = verifier(&t, owner).await;
        assert!(stored.starts_with(verifier_prefix), "{stored}");
        assert!(!stored.contains(&password));
        assert!(!text.contains(&stored), "the verifier is never shown");
        let again = get(&api, &location).await;
        assert!(!again.text.contains(&password), "{}", again.text);
        assert!(!again.text.contains(&stored), "{}", again.text);
        assert!(again.ok(200).get("password").is_none());
        let list = get(&api, "/api/v1/databases").await;
        assert!(!list.text.contains(&password), "{}", list.text);
    }
    // The same name on each engine is two databases.
    assert_eq!(
        names(&get(&api, "/api/v1/databases").await.ok(200)),
        ["mariadb:radio_wp", "postgresql:radio_wp"]
    );
    // A chosen password is not echoed. The engine's other names are taken.
    let d = create(
        &api,
        json!({ "account": "radio", "engine": "MySQL", "suffix": "shop", "password": PASSWORD }),
    )
    .await;
    assert_eq!(d["engine"], "mariadb");
    assert!(d.get("password").is_none(), "{d}");
    let d = create(
        &api,
        json!({ "account": "radio", "engine": "pg", "suffix": "shop", "password": PASSWORD }),
    )
    .await;
    assert_eq!(d["engine"], "postgresql");
    // By account, by name or id.
    for q in ["radio".to_owned(), account.to_string()] {
        let list = get(&api, &format!("/api/v1/databases?account={q}"))
            .await
            .ok(200);
        assert_eq!(items(&list).len(), 4, "{list}");
    }
    get(&api, "/api/v1/databases?account=nobody")
        .await
        .problem(404, "not_found");
    get(&api, "/api/v1/databases/999999")
        .await
        .problem(404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn database_api_passwords_and_extra_users() {
    let (t, _dumps) = spawn(true).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let d = create(
        &api,
        json!({ "account": "radio", "engine": "postgresql", "suffix": "wp", "password": PASSWORD }),
    )
    .await;
    let path = format!("/api/v1/databases/{}", d["id"]);
    let owner = user_id(&d, "radio_wp");
    let first = verifier(&t, owner).await;

    // A new password, made by Konbit and shown once.
    let v = send(
        &api,
        Method::POST,
        &format!("{path}/users/{owner}/password"),
        &json!({}),
    )
    .await
    .ok(200);
    let made = v["password"].as_str().unwrap().to_owned();
    assert!(made.len() >= 12, "{v}");
    let second = verifier(&t, owner).await;
    assert_ne!(second, first);
    assert!(!second.contains(&made));
    assert!(get(&api, &path).await.ok(200).get("password").is_none());
    // One chosen: not echoed.
    let v = send(
        &api,
        Method::POST,
        &format!("{path}/users/{owner}/password"),
        &json!({ "password": "Another-2026-passphrase" }),
    )
    .await
    .ok(200);
    assert!(v.get("password").is_none(), "{v}");
    assert_ne!(verifier(&t, owner).await, second);

    // Extra users: read-write and read-only, on this database only.
    let v = send(
        &api,
        Method::POST,
        &format!("{path}/users"),
        &json!({ "suffix": "writer", "right": "read_write" }),
    )
    .await
    .ok(201);
    assert!(v["password"].as_str().unwrap().len() >= 12, "{v}");
    let v = send(
        &api,
        Method::POST,
        &format!("{path}/users"),
        &json!({ "suffix": "reader", "right": "ro", "password": PASSWORD }),
    )
    .await
    .ok(201);
    assert!(v.get("password").is_none(), "{v}");
    let mut got = users(&v);
    got.sort();
    assert_eq!(
        got,
        [
            ("radio_reader".to_owned(), "read_only".to_owned()),
            ("radio_wp".to_owned(), "owner".to_owned()),
            ("radio_writer".to_owned(), "read_write".to_owned()),
        ]
    );
    let reader = user_id(&v, "radio_reader");
    let writer = user_id(&v, "radio_writer");
    // An extra user's password changes like the owner's.
    send(
        &api,
        Method::POST,
        &format!("{path}/users/{reader}/password"),
        &json!({}),
    )
    .await
    .ok(200);
    // Names are unique per engine, users' and databases' alike.
    for suffix in ["wp", "reader"] {
        let p = send(
            &api,
            Method::POST,
            &format!("{path}/users"),
            &json!({ "suffix": suffix, "right": "read_only" }),
        )
        .await
        .problem(422, "invalid_input");
        assert_eq!(
            field_rules(&p),
            [("name".to_owned(), "name_taken".to_owned())],
            "{suffix}"
        );
    }
    let p = send(
        &api,
        Method::POST,
        "/api/v1/databases",
        &json!({ "account": "radio", "engine": "postgresql", "suffix": "reader" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("name".to_owned(), "name_taken".to_owned())]
    );
    // The owner's right is not given; unknown rights are refused.
    for right in ["owner", "all", "", "read_write;"] {
        let p = send(
            &api,
            Method::POST,
            &format!("{path}/users"),
            &json!({ "suffix": "x", "right": right }),
        )
        .await
        .problem(422, "invalid_input");
        let got = field_rules(&p);
        assert_eq!(got.len(), 1, "{p}");
        assert_eq!(got[0].0, "right", "{p}");
        assert!(
            ["unknown_choice", "required"].contains(&got[0].1.as_str()),
            "{p}"
        );
    }

    // Removing an extra user; the owner goes only with its database.
    let v = delete(&api, &format!("{path}/users/{writer}"))
        .await
        .ok(200);
    assert!(!users(&v).iter().any(|(n, _)| n == "radio_writer"), "{v}");
    delete(&api, &format!("{path}/users/{writer}"))
        .await
        .problem(404, "not_found");
    delete(&api, &format!("{path}/users/{owner}"))
        .await
        .problem(409, "conflict");
    // A user of another database is not this one's.
    let other = create(
        &api,
        json!({ "account": "radio", "engine": "mariadb", "suffix": "shop" }),
    )
    .await;
    let other_owner = user_id(&other, "radio_shop");
    delete(&api, &format!("{path}/users/{other_owner}"))
        .await
        .problem(404, "not_found");
    send(
        &api,
        Method::POST,
        &format!("{path}/users/{other_owner}/password"),
        &json!({}),
    )
    .await
    .problem(404, "not_found");
    assert_eq!(count(&t, "database_users").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn database_api_delete_keeps_it_restorable() {
    let (t, dumps) = spawn(false).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let d = create(
        &api,
        json!({ "account": "radio", "engine": "mariadb", "suffix": "wp" }),
    )
    .await;
    let id = d["id"].as_i64().unwrap();
    let path = format!("/api/v1/databases/{id}");
    let owner = user_id(&d, "radio_wp");
    // A live database has no dump to download.
    get(&api, &format!("{path}/dump"))
        .await
        .problem(404, "not_found");
    post_empty(&api, &format!("{path}/restore"))
        .await
        .problem(409, "conflict");

    // Deleted: still readable, with when it goes for good; out of the
    // list of live ones, in the list of deleted ones.
    let v = delete(&api, &path).await.ok(200);
    let deleted_at = v["deleted_at"].as_i64().unwrap();
    assert!(v["purge_after"].as_i64().unwrap() > deleted_at, "{v}");
    assert_eq!(
        v["status"]["generation"],
        d["status"]["generation"].as_i64().unwrap() + 1
    );
    let v = get(&api, &path).await.ok(200);
    assert_eq!(v["deleted_at"], deleted_at);
    assert!(items(&get(&api, "/api/v1/databases").await.ok(200)).is_empty());
    assert_eq!(
        names(&get(&api, "/api/v1/databases?deleted=true").await.ok(200)),
        ["mariadb:radio_wp"]
    );
    delete(&api, &path).await.problem(404, "not_found");
    // Nothing changes in a deleted database.
    send(
        &api,
        Method::POST,
        &format!("{path}/users"),
        &json!({ "suffix": "x", "right": "read_only" }),
    )
    .await
    .problem(404, "not_found");
    send(
        &api,
        Method::POST,
        &format!("{path}/users/{owner}/password"),
        &json!({}),
    )
    .await
    .problem(404, "not_found");
    // Its name stays taken while it can come back.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/databases",
        &json!({ "account": "radio", "engine": "mariadb", "suffix": "wp" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("name".to_owned(), "name_taken".to_owned())]
    );

    // The final dump, once the provisioner wrote it.
    get(&api, &format!("{path}/dump"))
        .await
        .problem(404, "not_found");
    std::fs::create_dir_all(dumps.path().join("mariadb")).unwrap();
    std::fs::write(
        dumps.path().join("mariadb/radio_wp.sql"),
        "CREATE TABLE t (x INT);\n",
    )
    .unwrap();
    assert_eq!(get(&api, &path).await.ok(200)["dump_available"], true);
    let r = get(&api, &format!("{path}/dump")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), "application/sql");
    assert_eq!(
        r.header("content-disposition"),
        "attachment; filename=\"mariadb-radio_wp.sql\""
    );
    assert_eq!(r.text, "CREATE TABLE t (x INT);\n");

    // Restored, with its users.
    let v = post_empty(&api, &format!("{path}/restore")).await.ok(200);
    assert_eq!(v["deleted_at"], Value::Null, "{v}");
    assert_eq!(v["purge_after"], Value::Null);
    assert_eq!(users(&v), [("radio_wp".to_owned(), "owner".to_owned())]);
    assert_eq!(
        names(&get(&api, "/api/v1/databases").await.ok(200)),
        ["mariadb:radio_wp"]
    );
    post_empty(&api, &format!("{path}/restore"))
        .await
        .problem(409, "conflict");
    get(&api, &format!("{path}/dump"))
        .await
        .problem(404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn database_api_quota_of_databases_is_409() {
    let (t, _dumps) = spawn(true).await;
    let (account, _, api) = owner_api(&t, "radio").await;
    allow_databases(&t, account, 1).await;
    let first = create(
        &api,
        json!({ "account": "radio", "engine": "mariadb", "suffix": "wp" }),
    )
    .await;
    let before = t.fingerprint().await.unwrap();
    for engine in ["mariadb", "postgresql"] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/databases",
            &json!({ "account": "radio", "engine": engine, "suffix": "shop" }),
        )
        .await
        .problem(409, "quota_exceeded");
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "the problem says which quota: {p}"
        );
    }
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count(&t, "databases").await, 1);
    // Extra users are not databases.
    send(
        &api,
        Method::POST,
        &format!("/api/v1/databases/{}/users", first["id"]),
        &json!({ "suffix": "reader", "right": "read_only" }),
    )
    .await
    .ok(201);
    // A deleted database frees its place; bringing it back needs one.
    delete(&api, &format!("/api/v1/databases/{}", first["id"]))
        .await
        .ok(200);
    create(
        &api,
        json!({ "account": "radio", "engine": "postgresql", "suffix": "shop" }),
    )
    .await;
    post_empty(&api, &format!("/api/v1/databases/{}/restore", first["id"]))
        .await
        .problem(409, "quota_exceeded");
    let still = get(&api, &format!("/api/v1/databases/{}", first["id"]))
        .await
        .ok(200);
    assert!(still["deleted_at"].is_i64(), "{still}");
}

// ---------------------------------------------------------------- hostile input

#[tokio::test(flavor = "multi_thread")]
async fn database_api_hostile_values_are_422_naming_the_field() {
    let (t, _dumps) = spawn(false).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let existing = create(
        &api,
        json!({ "account": "radio", "engine": "mariadb", "suffix": "wp", "password": PASSWORD }),
    )
    .await;
    let path = format!("/api/v1/databases/{}", existing["id"]);
    let owner = user_id(&existing, "radio_wp");
    let before = t.fingerprint().await.unwrap();
    let stored_before = verifiers(&t).await;

    let refused = |p: Value, field: &str, rules: &[&str], what: &str| {
        let got = field_rules(&p);
        assert_eq!(got.len(), 1, "{what}: {p}");
        assert_eq!(got[0].0, field, "{what}: {p}");
        assert!(
            rules.contains(&got[0].1.as_str()),
            "{what}: rule {} not in {rules:?}",
            got[0].1
        );
    };

    // Names go into `CREATE DATABASE`, `CREATE USER` and `GRANT`, which
    // take no bound parameters: lowercase letters, digits and `_` only
    // (the provisioner escapes `_` in GRANT's patterns). A `%` would be a
    // pattern too.
    let too_long = "a".repeat(27);
    for suffix in [
        "a'b",
        "a\"b",
        "a\\b",
        "a`b",
        "a\nb",
        "a\rb",
        "a\0b",
        "a b",
        "a;b",
        "a-b",
        "a%b",
        "%",
        "a.b",
        "a/b",
        "Wp",
        "WP",
        "é",
        "wp*",
        "a$b",
        "a@b",
        too_long.as_str(),
        "",
    ] {
        let rules = [
            "db_name_format",
            "control_character",
            "too_long",
            "required",
        ];
        let p = send(
            &api,
            Method::POST,
            "/api/v1/databases",
            &json!({ "account": "radio", "engine": "mariadb", "suffix": suffix }),
        )
        .await
        .problem(422, "invalid_input");
        refused(p, "name", &rules, &format!("database {suffix:?}"));
        let p = send(
            &api,
            Method::POST,
            &format!("{path}/users"),
            &json!({ "suffix": suffix, "right": "read_only" }),
        )
        .await
        .problem(422, "invalid_input");
        refused(p, "name", &rules, &format!("user {suffix:?}"));
    }
    // 32 characters in all at most: `radio_` leaves 26.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/databases",
        &json!({ "account": "radio", "engine": "mariadb", "suffix": too_long }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(p["errors"][0]["rule"], "too_long", "{p}");
    assert_eq!(p["errors"][0]["max"], 26, "{p}");

    // Passwords go into `IDENTIFIED BY` only as a verifier, and still
    // refuse what could end a literal.
    for password in [
        "Garden-2026-'x",
        "Garden-2026-\"x",
        "Garden-2026-\\x",
        "Garden-2026-`x",
        "Garden 2026 x y",
        "Garden-2026-\nx",
        "Garden-2026-\0x",
        "Garden-2026-é",
        "short",
        &"x".repeat(129),
    ] {
        let rules = [
            "unsafe_character",
            "control_character",
            "too_short",
            "too_long",
        ];
        let p = send(
            &api,
            Method::POST,
            "/api/v1/databases",
            &json!({ "account": "radio", "engine": "mariadb", "suffix": "x", "password": password }),
        )
        .await
        .problem(422, "invalid_input");
        refused(p, "password", &rules, &format!("{password:?}"));
        let p = send(
            &api,
            Method::POST,
            &format!("{path}/users"),
            &json!({ "suffix": "x", "right": "read_only", "password": password }),
        )
        .await
        .problem(422, "invalid_input");
        refused(p, "password", &rules, &format!("{password:?}"));
        let p = send(
            &api,
            Method::POST,
            &format!("{path}/users/{owner}/password"),
            &json!({ "password": password }),
        )
        .await
        .problem(422, "invalid_input");
        refused(p, "password", &rules, &format!("{password:?}"));
    }

    // Engines: unknown, or known but not offered by this server.
    for engine in ["oracle", "postgresql", "postgres", "pg", "mariadb;", ""] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/databases",
            &json!({ "account": "radio", "engine": engine, "suffix": "x" }),
        )
        .await
        .problem(422, "invalid_input");
        refused(p, "engine", &["unknown_choice", "required"], engine);
    }
    // Every bad field at once.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/databases",
        &json!({ "account": "radio", "engine": "oracle", "suffix": "a'b", "password": "short" }),
    )
    .await
    .problem(422, "invalid_input");
    let fields: Vec<String> = field_rules(&p).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["engine", "name", "password"], "{p}");

    // Malformed bodies are 400.
    for body in [
        json!({ "account": "radio", "engine": "mariadb", "suffix": "x", "name": "mysql" }),
        json!({ "account": "radio", "engine": "mariadb" }),
        json!({ "account": "radio", "engine": "mariadb", "suffix": ["x"] }),
    ] {
        send(&api, Method::POST, "/api/v1/databases", &body)
            .await
            .problem(400, "malformed_body");
    }
    send(
        &api,
        Method::POST,
        &format!("{path}/users"),
        &json!({ "suffix": "x", "right": "read_only", "grant": "ALL" }),
    )
    .await
    .problem(400, "malformed_body");

    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count(&t, "databases").await, 1);
    assert_eq!(verifiers(&t).await, stored_before);
    let unchanged = get(&api, &path).await.ok(200);
    assert_eq!(
        unchanged["status"]["generation"],
        existing["status"]["generation"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn database_api_errors_are_worded_in_french_too() {
    let (t, _dumps) = spawn(false).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let res = api
        .request(Method::POST, "/api/v1/databases")
        .header("accept-language", "fr")
        .json(&json!({ "account": "radio", "engine": "oracle", "suffix": "a'b" }))
        .send()
        .await
        .unwrap();
    let p = Reply::of(res).await.problem(422, "invalid_input");
    let messages: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{p}");
    assert!(messages[0].starts_with("Moteur"), "{p}");
    assert!(messages[1].starts_with("Nom de la base"), "{p}");
}

// ---------------------------------------------------------------- who may

#[tokio::test(flavor = "multi_thread")]
async fn database_api_another_accounts_databases_are_404() {
    let (t, _dumps) = spawn(false).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let d = create(
        &api,
        json!({ "account": "radio", "engine": "mariadb", "suffix": "wp" }),
    )
    .await;
    let path = format!("/api/v1/databases/{}", d["id"]);
    let owner = user_id(&d, "radio_wp");
    let (_, _, other) = owner_api(&t, "garden").await;
    let before = t.fingerprint().await.unwrap();
    let stored_before = verifiers(&t).await;

    get(&other, &path).await.problem(404, "not_found");
    get(&other, &format!("{path}/dump"))
        .await
        .problem(404, "not_found");
    delete(&other, &path).await.problem(404, "not_found");
    post_empty(&other, &format!("{path}/restore"))
        .await
        .problem(404, "not_found");
    send(
        &other,
        Method::POST,
        &format!("{path}/users"),
        &json!({ "suffix": "spy", "right": "read_only" }),
    )
    .await
    .problem(404, "not_found");
    send(
        &other,
        Method::POST,
        &format!("{path}/users/{owner}/password"),
        &json!({ "password": PASSWORD }),
    )
    .await
    .problem(404, "not_found");
    delete(&other, &format!("{path}/users/{owner}"))
        .await
        .problem(404, "not_found");
    get(&other, "/api/v1/databases?account=radio")
        .await
        .problem(404, "not_found");
    send(
        &other,
        Method::POST,
        "/api/v1/databases",
        &json!({ "account": "radio", "engine": "mariadb", "suffix": "spy" }),
    )
    .await
    .problem(404, "not_found");
    assert!(items(&get(&other, "/api/v1/databases").await.ok(200)).is_empty());
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(verifiers(&t).await, stored_before);
    assert_eq!(count(&t, "databases").await, 1);
    // Its own databases are named after its own account.
    let own = create(
        &other,
        json!({ "account": "garden", "engine": "mariadb", "suffix": "wp" }),
    )
    .await;
    assert_eq!(own["name"], "garden_wp");
}

#[tokio::test(flavor = "multi_thread")]
async fn database_api_needs_the_databases_scope() {
    let (t, _dumps) = spawn(false).await;
    let (_, owner, api) = owner_api(&t, "radio").await;
    let d = create(
        &api,
        json!({ "account": "radio", "engine": "mariadb", "suffix": "wp" }),
    )
    .await;
    let path = format!("/api/v1/databases/{}", d["id"]);
    let owner_user = user_id(&d, "radio_wp");
    let token = t.token_for(&owner, &["sftp:write"]).await.unwrap();
    let sftp_only = t.api(Some(&token)).unwrap();
    let token = t.token_for(&owner, &["databases:read"]).await.unwrap();
    let reader = t.api(Some(&token)).unwrap();
    let anonymous = t.api(None).unwrap();
    let before = t.fingerprint().await.unwrap();
    let stored_before = verifiers(&t).await;
    let new = json!({ "account": "radio", "engine": "mariadb", "suffix": "x" });

    for r in [
        get(&sftp_only, "/api/v1/databases").await,
        get(&sftp_only, &path).await,
        get(&sftp_only, &format!("{path}/dump")).await,
        send(&sftp_only, Method::POST, "/api/v1/databases", &new).await,
        delete(&sftp_only, &path).await,
    ] {
        r.problem(403, "insufficient_scope");
    }
    assert_eq!(
        names(&get(&reader, "/api/v1/databases").await.ok(200)),
        ["mariadb:radio_wp"]
    );
    get(&reader, &path).await.ok(200);
    for r in [
        send(&reader, Method::POST, "/api/v1/databases", &new).await,
        delete(&reader, &path).await,
        post_empty(&reader, &format!("{path}/restore")).await,
        send(
            &reader,
            Method::POST,
            &format!("{path}/users"),
            &json!({ "suffix": "x", "right": "read_only" }),
        )
        .await,
        send(
            &reader,
            Method::POST,
            &format!("{path}/users/{owner_user}/password"),
            &json!({}),
        )
        .await,
        delete(&reader, &format!("{path}/users/{owner_user}")).await,
    ] {
        r.problem(403, "insufficient_scope");
    }
    for r in [
        get(&anonymous, "/api/v1/databases").await,
        get(&anonymous, &path).await,
        send(&anonymous, Method::POST, "/api/v1/databases", &new).await,
        delete(&anonymous, &path).await,
    ] {
        assert_eq!(r.status, 401, "{}", r.text);
    }
    // Even for what does not exist: the answer must not tell which ids
    // are taken.
    get(&sftp_only, "/api/v1/databases/999999")
        .await
        .problem(403, "insufficient_scope");
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(verifiers(&t).await, stored_before);
    assert_eq!(count(&t, "databases").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn database_api_is_in_the_openapi_document() {
    let t = TestApp::spawn().await.unwrap();
    let api = t.api(None).unwrap();
    let doc = get(&api, "/api/v1/openapi.json").await.ok(200);
    for (path, methods) in [
        ("/api/v1/databases", &["get", "post"][..]),
        ("/api/v1/databases/{id}", &["get", "delete"]),
        ("/api/v1/databases/{id}/restore", &["post"]),
        ("/api/v1/databases/{id}/users", &["post"]),
        ("/api/v1/databases/{id}/users/{user}", &["delete"]),
        ("/api/v1/databases/{id}/users/{user}/password", &["post"]),
        ("/api/v1/databases/{id}/dump", &["get"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} documented");
            assert_eq!(
                doc["paths"][path][m]["tags"],
                json!(["databases"]),
                "{path}"
            );
        }
    }
    let schemas = &doc["components"]["schemas"];
    let body = &schemas["CreateDatabaseBody"]["properties"];
    for field in ["account", "engine", "suffix", "password"] {
        assert!(
            body.get(field).is_some(),
            "CreateDatabaseBody.{field}: {body}"
        );
    }
    let dto = &schemas["DatabaseDto"]["properties"];
    for field in [
        "engine",
        "name",
        "users",
        "connection",
        "size_bytes",
        "deleted_at",
        "purge_after",
        "dump_available",
        "status",
    ] {
        assert!(dto.get(field).is_some(), "DatabaseDto.{field}");
    }
    assert!(
        !doc.to_string().contains("verifier\":"),
        "no verifier field"
    );
    assert!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "databases"),
        "the databases tag"
    );
}
