//! `konbit database …` run for real, in text and JSON, against its own
//! state directory. No database server is needed: changes stay queued for
//! the database provisioner, which is what makes, dumps and drops them.

use crate::api::items;
use crate::cli::Konbit;
use serde_json::Value;

const PASSWORD: &str = "db-Pass-2024!xyz";

/// A state directory made by `konbit init` with MariaDB offered to members
/// (the engine must be configured for the service to take a database), and
/// account `radio`.
fn radio_with_mariadb() -> Konbit {
    let k = Konbit::init();
    let mut config = std::fs::read_to_string(&k.config).unwrap();
    config.push_str(
        "\n[databases.mariadb]\n\
         admin_url = \"mysql://root@localhost/mysql?socket=/nonexistent/mysqld.sock\"\n\
         public_host = \"db.example\"\n\
         public_port = 3306\n",
    );
    std::fs::write(&k.config, config).unwrap();
    k.run(&[
        "account",
        "create",
        "--name",
        "radio",
        "--display-name",
        "Radio",
    ])
    .ok();
    k
}
async fn pool(k: &Konbit) -> sqlx::SqlitePool {
    let db = format!("sqlite://{}", k.state.join("konbit.db").display());
    sqlx::SqlitePool::connect(&db).await.unwrap()
}

async fn scalar(k: &Konbit, sql: &'static str) -> i64 {
    let pool = pool(k).await;
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

/// The stored verifier of a database user.
async fn verifier_of(k: &Konbit, user: &str) -> String {
    let pool = pool(k).await;
    let v: String = sqlx::query_scalar("SELECT verifier FROM database_users WHERE name = ?")
        .bind(user.to_owned())
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    v
}

/// The password after `Password: ` in a command's text.
fn printed_password(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .unwrap_or_else(|| panic!("no password in {text}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn database_cli_add_users_list_delete_restore() {
    let k = radio_with_mariadb();

    // No password given: Konbit makes one and prints it once.
    let text = k
        .run(&[
            "database",
            "add",
            "--account",
            "radio",
            "--engine",
            "mariadb",
            "--name",
            "wp",
        ])
        .ok()
        .to_owned();
    assert!(
        text.starts_with("Added radio_wp on MariaDB (database "),
        "{text}"
    );
    let password = printed_password(&text);
    assert!(password.len() >= 12, "{text}");
    assert!(text.contains("shown once"), "{text}");
    assert_eq!(
        verifier_of(&k, "radio_wp").await,
        konbit_core::db_verifier::mysql_native(&password),
        "the printed password is the one set"
    );

    let list = k.json(&["database", "list"]);
    let id = items(&list)[0]["id"].as_i64().unwrap().to_string();

    // Show: how to connect, never the password again.
    let text = k.run(&["database", "show", &id]).ok().to_owned();
    for needle in [
        "radio_wp (MariaDB database ",
        "account radio",
        "size: not measured yet",
        "host      db.example",
        "port      3306",
        "database  radio_wp",
        "user      radio_wp",
        "mysql://radio_wp@db.example:3306/radio_wp",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    let users = text.split("\nUsers:").nth(1).unwrap();
    assert!(
        users
            .lines()
            .any(|l| l.contains(" radio_wp ") && l.ends_with(" owner")),
        "{text}"
    );
    assert!(!text.contains(&password), "{text}");
    assert!(!text.contains("Password"), "{text}");
    let shown = k.json(&["database", "show", &id]);
    assert!(shown.get("password").is_none(), "{shown}");
    assert!(!shown.to_string().contains(&password), "{shown}");
    assert_eq!(
        shown["connection"]["url"],
        "mysql://radio_wp@db.example:3306/radio_wp"
    );

    // A password from stdin is not printed; JSON shows a made one once.
    let out = k.run_stdin(
        &[
            "--output",
            "json",
            "database",
            "add",
            "--account",
            "radio",
            "--engine",
            "mariadb",
            "--name",
            "radio_stats",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let stats = out.json();
    assert_eq!(stats["name"], "radio_stats", "{stats}");
    assert!(stats.get("password").is_none(), "{stats}");
    assert_eq!(
        verifier_of(&k, "radio_stats").await,
        konbit_core::db_verifier::mysql_native(PASSWORD)
    );

    // An extra user, its password made and printed once.
    let text = k
        .run(&[
            "database",
            "user",
            "add",
            &id,
            "--name",
            "reader",
            "--access",
            "read-only",
        ])
        .ok()
        .to_owned();
    assert!(
        text.starts_with("Added user radio_reader (read_only) to radio_wp."),
        "{text}"
    );
    let reader_password = printed_password(&text);
    assert_eq!(
        verifier_of(&k, "radio_reader").await,
        konbit_core::db_verifier::mysql_native(&reader_password)
    );
    let out = k.run_stdin(
        &[
            "--output",
            "json",
            "database",
            "user",
            "add",
            &id,
            "--name",
            "radio_writer",
            "--access",
            "read-write",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    let v = out.json();
    assert!(v.get("password").is_none(), "{v}");
    let rights: Vec<(&str, &str)> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["right"].as_str().unwrap()))
        .collect();
    for user in [
        ("radio_wp", "owner"),
        ("radio_reader", "read_only"),
        ("radio_writer", "read_write"),
    ] {
        assert!(rights.contains(&user), "{user:?} in {v}");
    }

    // A new password for a user named by its suffix, then the owner's.
    let out = k.run_stdin(
        &[
            "database",
            "password",
            &id,
            "--user",
            "reader",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    assert_eq!(
        out.ok().trim(),
        "New password set for radio_reader.",
        "{out:?}"
    );
    assert_eq!(
        verifier_of(&k, "radio_reader").await,
        konbit_core::db_verifier::mysql_native(PASSWORD)
    );
    let v = k.json(&["database", "password", &id]);
    assert_eq!(v["user"], "radio_wp", "{v}");
    let owner_password = v["password"].as_str().unwrap();
    assert_ne!(owner_password, password);
    assert_eq!(
        verifier_of(&k, "radio_wp").await,
        konbit_core::db_verifier::mysql_native(owner_password)
    );

    // Lists in JSON: both databases, their users, no password.
    let list = k.json(&["database", "list", "--account", "radio"]);
    assert_eq!(items(&list).len(), 2, "{list}");
    let wp = items(&list)
        .iter()
        .find(|d| d["name"] == "radio_wp")
        .unwrap();
    assert_eq!(wp["engine"], "mariadb", "{wp}");
    assert_eq!(wp["account_name"], "radio");
    assert_eq!(wp["users"].as_array().unwrap().len(), 3, "{wp}");
    assert!(items(&list).iter().all(|d| d.get("password").is_none()));
    let text = k.run(&["database", "list"]).ok().to_owned();
    for column in ["ID", "NAME", "ACCOUNT", "ENGINE", "STATUS", "SIZE", "USERS"] {
        assert!(
            text.lines().next().unwrap().contains(column),
            "{column} in {text}"
        );
    }
    assert!(text.contains("2 databases"), "{text}");

    // Removing users: an extra one by name, not the owner.
    let text = k
        .run(&["database", "user", "delete", &id, "radio_writer"])
        .ok()
        .to_owned();
    assert_eq!(text.trim(), "Removed user radio_writer from radio_wp.");
    let err = k
        .run(&["database", "user", "delete", &id, "wp"])
        .fails(3)
        .to_owned();
    assert!(err.contains("goes only with the database"), "{err}");
    k.run(&["database", "user", "delete", &id, "nobody"])
        .fails(4);

    // Delete, then restore.
    let text = k.run(&["database", "delete", &id]).ok().to_owned();
    assert!(text.starts_with("Deleted radio_wp; "), "{text}");
    assert!(text.contains("restorable until"), "{text}");
    assert_eq!(items(&k.json(&["database", "list"])).len(), 1);
    let deleted = k.json(&["database", "list", "--deleted"]);
    assert_eq!(items(&deleted).len(), 1, "{deleted}");
    assert!(items(&deleted)[0]["deleted_at"].is_i64(), "{deleted}");
    let text = k.run(&["database", "show", &id]).ok().to_owned();
    assert!(text.contains("deleted; restorable until"), "{text}");
    k.run(&["database", "delete", &id]).fails(4);
    k.run(&[
        "database",
        "user",
        "add",
        &id,
        "--name",
        "x",
        "--access",
        "read-only",
    ])
    .fails(4);

    // The final dump, once the provisioner has written it.
    k.run(&["database", "dump", &id]).fails(4);
    let dumps = k.state.join("database-dumps/mariadb");
    std::fs::create_dir_all(&dumps).unwrap();
    std::fs::write(dumps.join("radio_wp.sql"), "CREATE TABLE t (x INT);\n").unwrap();
    let out = k.run(&["database", "dump", &id]);
    assert_eq!(out.ok(), "CREATE TABLE t (x INT);\n");
    let copy = k.root.join("wp.sql");
    let v = k.json(&["database", "dump", &id, "--file", copy.to_str().unwrap()]);
    assert_eq!(v["bytes"], 24, "{v}");
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        "CREATE TABLE t (x INT);\n"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // An existing file is not overwritten.
    k.run(&["database", "dump", &id, "--file", copy.to_str().unwrap()])
        .fails(1);
    let shown = k.json(&["database", "show", &id]);
    assert_eq!(shown["dump_available"], true, "{shown}");

    let text = k.run(&["database", "restore", &id]).ok().to_owned();
    assert!(text.starts_with("Restored: "), "{text}");
    assert!(text.contains("radio_wp"), "{text}");
    let list = k.json(&["database", "list"]);
    assert_eq!(items(&list).len(), 2, "{list}");
    assert!(items(&k.json(&["database", "list", "--deleted"])).is_empty());
    k.run(&["database", "restore", &id]).fails(3);

    // Every change is queued for the database provisioner.
    let generation = scalar(
        &k,
        "SELECT generation FROM databases WHERE name = 'radio_wp'",
    )
    .await;
    let queued = scalar(
        &k,
        "SELECT q.generation FROM reconcile_queue q JOIN databases d ON d.id = q.object_id \
         WHERE q.kind = 'database' AND d.name = 'radio_wp'",
    )
    .await;
    assert!(generation > 1);
    assert_eq!(queued, generation);
}

#[tokio::test(flavor = "multi_thread")]
async fn database_cli_errors_say_why() {
    let k = radio_with_mariadb();

    // PostgreSQL is not offered here: the engine is refused.
    let out = k.run(&[
        "--output",
        "json",
        "database",
        "add",
        "--account",
        "radio",
        "--engine",
        "postgresql",
        "--name",
        "wp",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["errors"][0]["field"], "engine", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "unknown_choice");

    // A bad name: the rule's message, nothing stored.
    let err = k
        .run(&[
            "database",
            "add",
            "--account",
            "radio",
            "--engine",
            "mariadb",
            "--name",
            "w'p",
        ])
        .fails(5)
        .to_owned();
    assert!(
        err.contains(
            "  - Database name: use lowercase letters without accents, digits and _ only."
        ),
        "{err}"
    );
    let out = k.run_stdin(
        &[
            "database",
            "add",
            "--account",
            "radio",
            "--engine",
            "mariadb",
            "--name",
            "wp",
            "--password-stdin",
        ],
        Some("has a space in it"),
    );
    assert!(out.fails(5).contains("  - Password: "), "{out:?}");
    // An empty password on stdin is refused, not replaced by a made-up one.
    let out = k.run_stdin(
        &[
            "database",
            "add",
            "--account",
            "radio",
            "--engine",
            "mariadb",
            "--name",
            "wp",
            "--password-stdin",
        ],
        Some(""),
    );
    assert!(out.fails(5).contains("this is required"), "{out:?}");
    assert_eq!(scalar(&k, "SELECT count(*) FROM databases").await, 0);
    assert_eq!(scalar(&k, "SELECT count(*) FROM database_users").await, 0);

    // The same name twice.
    k.run(&[
        "database",
        "add",
        "--account",
        "radio",
        "--engine",
        "mariadb",
        "--name",
        "wp",
    ])
    .ok();
    let err = k
        .run(&[
            "database",
            "add",
            "--account",
            "radio",
            "--engine",
            "oracle",
            "--name",
            "wp",
        ])
        .fails(2)
        .to_owned();
    assert!(err.contains("oracle"), "{err}");
    let out = k.run(&[
        "--output",
        "json",
        "database",
        "add",
        "--account",
        "radio",
        "--engine",
        "mysql",
        "--name",
        "radio_wp",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["errors"][0]["field"], "name", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "name_taken");
    let id = items(&k.json(&["database", "list"]))[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // An extra user's name is worded as a user name.
    let err = k
        .run(&[
            "database",
            "user",
            "add",
            &id,
            "--name",
            "A-b",
            "--access",
            "read-only",
        ])
        .fails(5)
        .to_owned();
    assert!(err.contains("  - User name: "), "{err}");
    k.run(&[
        "database", "user", "add", &id, "--name", "r", "--access", "admin",
    ])
    .fails(2);

    // Not found, conflicts.
    k.run(&["database", "show", "999"]).fails(4);
    k.run(&["database", "password", &id, "--user", "nobody"])
        .fails(4);
    k.run(&["database", "restore", &id]).fails(3);
    k.run(&["database", "dump", &id]).fails(4);
    k.run(&["database", "list", "--account", "nobody"]).fails(4);
}
