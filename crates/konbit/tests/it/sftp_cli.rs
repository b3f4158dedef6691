//! `konbit sftp …` run for real, in text and JSON, against its own state
//! directory (no ProFTPd: changes stay queued for the SFTP provisioner).

use crate::api::items;
use crate::cli::Konbit;
use serde_json::Value;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH alice@laptop";
const OTHER_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ bob@desk";
const PASSWORD: &str = "sftp-Pass-2024!x";

/// A state directory made by `konbit init`, SFTP on, with account `radio`.
fn radio_with_sftp() -> Konbit {
    let k = Konbit::init();
    let mut config = std::fs::read_to_string(&k.config).unwrap();
    config.push_str("\n[sftp]\nenabled = true\npublic_host = \"files.example\"\n");
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
async fn scalar(k: &Konbit, sql: &'static str) -> i64 {
    let db = format!("sqlite://{}", k.state.join("konbit.db").display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_cli_add_list_show_disable_delete() {
    let k = radio_with_sftp();
    let keys = k.write("keys.pub", &format!("# mine\n{KEY}\n"));

    // A password from stdin and a key file: the password is never printed.
    let out = k.run_stdin(
        &[
            "sftp",
            "add",
            "--account",
            "radio",
            "--login",
            "web",
            "--dir",
            "www",
            "--password-stdin",
            "--key-file",
            keys.to_str().unwrap(),
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let text = out.ok().to_owned();
    assert!(text.starts_with("Added: "), "{text}");
    assert!(text.contains("radio_web"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains("Password:"), "{text}");
    let hash = scalar(
        &k,
        "SELECT count(*) FROM sftp_accounts WHERE login = 'radio_web' \
         AND password_hash LIKE '$6$%'",
    )
    .await;
    assert_eq!(hash, 1, "stored as a SHA-512 crypt hash");

    // Neither a password nor a key: one is made and printed once, in JSON too.
    let made = k.json(&[
        "sftp",
        "add",
        "--account",
        "radio",
        "--login",
        "radio_backup",
    ]);
    assert_eq!(made["login"], "radio_backup", "{made}");
    assert_eq!(made["dir"], Value::Null);
    assert_eq!(made["has_password"], true);
    let password = made["password"].as_str().unwrap();
    assert!(password.len() >= 12, "{made}");
    let made_id = made["id"].as_i64().unwrap().to_string();
    let shown = k.json(&["sftp", "show", &made_id]);
    assert!(shown.get("password").is_none(), "shown once: {shown}");
    let text = k.run(&["sftp", "show", &made_id]).ok().to_owned();
    assert!(!text.contains(password), "{text}");

    // Keys only, the account's name alone as the login.
    let only_keys = k.json(&[
        "sftp",
        "add",
        "--account",
        "radio",
        "--login",
        "radio",
        "--key-file",
        keys.to_str().unwrap(),
    ]);
    assert_eq!(only_keys["login"], "radio", "{only_keys}");
    assert_eq!(only_keys["has_password"], false);
    assert!(only_keys.get("password").is_none(), "{only_keys}");

    // Lists: aligned text, and JSON.
    let text = k.run(&["sftp", "list"]).ok().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    for column in ["ID", "LOGIN", "ACCOUNT", "STATUS", "SIGN-IN", "DIRECTORY"] {
        assert!(lines[0].contains(column), "{column} in {text}");
    }
    assert!(text.contains("3 SFTP logins"), "{text}");
    let status_at = lines[0].find("STATUS").unwrap();
    for line in &lines[1..4] {
        assert_eq!(
            line.get(status_at..status_at + 7),
            Some("pending"),
            "aligned: {text}"
        );
    }
    let list = k.json(&["sftp", "list", "--account", "radio"]);
    let logins: Vec<&str> = items(&list)
        .iter()
        .map(|s| s["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins.len(), 3, "{list}");
    for login in ["radio", "radio_backup", "radio_web"] {
        assert!(logins.contains(&login), "{login} in {list}");
    }
    assert!(
        items(&list).iter().all(|s| s.get("password").is_none()),
        "{list}"
    );
    let web = items(&list)
        .iter()
        .find(|s| s["login"] == "radio_web")
        .unwrap();
    let id = web["id"].as_i64().unwrap().to_string();
    assert_eq!(web["dir"], "www", "{web}");
    assert_eq!(web["keys"][0]["key_type"], "ssh-ed25519", "{web}");
    assert_eq!(web["host"], "files.example");

    // Show: where it leads, how it signs in, how to connect.
    let text = k.run(&["sftp", "show", &id]).ok().to_owned();
    for needle in [
        "radio_web (SFTP login ",
        "account radio",
        "directory: ~/www",
        "password: set",
        "ssh-ed25519 SHA256:",
        "alice@laptop",
        "sftp -P 2222 radio_web@files.example",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }

    // Update: keys replaced from stdin, password removed, directory kept.
    let out = k.run_stdin(
        &[
            "--output",
            "json",
            "sftp",
            "update",
            &id,
            "--key-file",
            "-",
            "--clear-password",
        ],
        Some(OTHER_KEY),
    );
    let v = out.json();
    assert_eq!(v["has_password"], false, "{v}");
    assert_eq!(v["keys"][0]["comment"], "bob@desk", "{v}");
    assert_eq!(v["keys"].as_array().unwrap().len(), 1);
    assert_eq!(v["dir"], "www");
    // Without a password, the last key cannot go.
    let err = k
        .run(&["sftp", "update", &id, "--clear-keys"])
        .fails(5)
        .to_owned();
    assert!(
        err.contains("give a password, an SSH key, or both"),
        "{err}"
    );
    let text = k
        .run(&["sftp", "update", &id, "--generate-password", "--dir", "/"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Saved: "), "{text}");
    assert!(text.contains("\nPassword: "), "{text}");
    let v = k.json(&["sftp", "show", &id]);
    assert_eq!(v["dir"], Value::Null, "{v}");
    assert_eq!(v["has_password"], true);

    // Disable and enable.
    let v = k.json(&["sftp", "disable", &id]);
    assert_eq!(v["enabled"], false, "{v}");
    let text = k.run(&["sftp", "list"]).ok().to_owned();
    assert!(
        text.lines()
            .any(|l| l.contains("radio_web") && l.contains("disabled")),
        "{text}"
    );
    let text = k.run(&["sftp", "enable", &id]).ok().to_owned();
    assert!(text.starts_with("Enabled: "), "{text}");

    // Every change is queued for the SFTP provisioner.
    let generation = scalar(
        &k,
        "SELECT generation FROM sftp_accounts WHERE login = 'radio_web'",
    )
    .await;
    let queued = scalar(
        &k,
        "SELECT q.generation FROM reconcile_queue q JOIN sftp_accounts s ON s.id = q.object_id \
         WHERE q.kind = 'sftp_account' AND s.login = 'radio_web'",
    )
    .await;
    assert!(generation > 1);
    assert_eq!(queued, generation);

    // Delete: gone for good, in text and JSON.
    let text = k.run(&["sftp", "delete", &id]).ok().to_owned();
    assert!(text.contains("Deleted SFTP login radio_web"), "{text}");
    k.run(&["sftp", "show", &id]).fails(4);
    let v = k.json(&["sftp", "delete", &made_id]);
    assert_eq!(v["login"], "radio_backup", "{v}");
    let list = k.json(&["sftp", "list"]);
    assert_eq!(items(&list).len(), 1, "{list}");
    assert_eq!(scalar(&k, "SELECT count(*) FROM sftp_accounts").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_cli_refuses_bad_logins_and_says_why() {
    let k = radio_with_sftp();

    // A quote, then a newline, in the login: the rule's message, nothing stored.
    let out = k.run_stdin(
        &[
            "sftp",
            "add",
            "--account",
            "radio",
            "--login",
            "we'b",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    let err = out.fails(5).to_owned();
    assert!(err.starts_with("konbit: "), "{err}");
    assert!(
        err.contains(
            "  - Login: use lowercase letters, digits and single hyphens, starting with a letter."
        ),
        "{err}"
    );
    let out = k.run(&[
        "--output",
        "json",
        "sftp",
        "add",
        "--account",
        "radio",
        "--login",
        "web\nx",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["code"], "invalid_input", "{problem}");
    assert_eq!(problem["errors"][0]["field"], "login", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "control_character");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Login: line breaks"),
        "{problem}"
    );
    assert_eq!(scalar(&k, "SELECT count(*) FROM sftp_accounts").await, 0);
    assert_eq!(
        scalar(
            &k,
            "SELECT count(*) FROM reconcile_queue WHERE kind = 'sftp_account'"
        )
        .await,
        0
    );

    // A bad password, a bad key, a directory outside the home.
    let out = k.run_stdin(
        &[
            "sftp",
            "add",
            "--account",
            "radio",
            "--login",
            "web",
            "--password-stdin",
        ],
        Some("short"),
    );
    assert!(out.fails(5).contains("  - Password: "), "{out:?}");
    let bad_key = k.write("bad.pub", "ssh-ed25519 nope\n");
    let out = k.run(&[
        "--output",
        "json",
        "sftp",
        "add",
        "--account",
        "radio",
        "--login",
        "web",
        "--key-file",
        bad_key.to_str().unwrap(),
        "--dir",
        "../etc",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"dir"), "{problem}");
    assert!(fields.contains(&"keys"), "{problem}");
    // An empty password on stdin is refused, not replaced by a made-up one.
    let out = k.run_stdin(
        &[
            "sftp",
            "add",
            "--account",
            "radio",
            "--login",
            "web",
            "--password-stdin",
        ],
        Some("\n"),
    );
    assert!(out.fails(5).contains("this is required"), "{out:?}");
    assert_eq!(scalar(&k, "SELECT count(*) FROM sftp_accounts").await, 0);

    // Usage: stdin read twice, a missing key file, an unknown account or login.
    let err = k
        .run(&[
            "sftp",
            "add",
            "--account",
            "radio",
            "--login",
            "web",
            "--password-stdin",
            "--key-file",
            "-",
        ])
        .fails(2)
        .to_owned();
    assert!(err.contains("standard input"), "{err}");
    k.run(&[
        "sftp",
        "update",
        "1",
        "--clear-password",
        "--password-stdin",
    ])
    .fails(2);
    let err = k
        .run(&[
            "sftp",
            "add",
            "--account",
            "radio",
            "--login",
            "web",
            "--key-file",
            "/nonexistent/keys.pub",
        ])
        .fails(1)
        .to_owned();
    assert!(err.contains("/nonexistent/keys.pub"), "{err}");
    k.run(&["sftp", "add", "--account", "nobody", "--login", "web"])
        .fails(4);
    k.run(&["sftp", "show", "999"]).fails(4);
    k.run(&["sftp", "list", "--account", "nobody"]).fails(4);
    assert_eq!(scalar(&k, "SELECT count(*) FROM sftp_accounts").await, 0);
}

#[test]
fn sftp_cli_says_when_sftp_is_not_set_up() {
    let k = Konbit::init();
    k.run(&[
        "account",
        "create",
        "--name",
        "radio",
        "--display-name",
        "Radio",
    ])
    .ok();
    let err = k
        .run(&["sftp", "add", "--account", "radio", "--login", "web"])
        .fails(3)
        .to_owned();
    assert!(err.contains("SFTP is not set up on this server"), "{err}");
    let out = k.run(&[
        "--output",
        "json",
        "sftp",
        "add",
        "--account",
        "radio",
        "--login",
        "web",
    ]);
    let problem: Value = serde_json::from_str(out.fails(3).trim()).unwrap();
    assert_eq!(problem["code"], "conflict", "{problem}");
    assert!(
        problem.to_string().contains("SFTP is not set up"),
        "{problem}"
    );
    let list = k.json(&["sftp", "list"]);
    assert!(items(&list).is_empty(), "{list}");
}
