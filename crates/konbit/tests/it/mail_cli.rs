//! `konbit mail …`, `konbit mailbox …` and `konbit alias …` run for real,
//! in text and JSON, against their own state directory (no Postfix or
//! Dovecot: changes stay queued for the mail provisioner).

use crate::api::items;
use crate::cli::Konbit;
use serde_json::Value;
use std::time::Duration;

const PASSWORD: &str = "a long enough mailbox password";

/// A state directory made by `konbit init`, with account `radio` and its
/// domain `radio.example`, mail on.
fn radio_with_mail() -> Konbit {
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
    k.run(&["domain", "add", "radio.example", "--account", "radio"])
        .ok();
    let text = k.run(&["mail", "show", "radio.example"]).ok().to_owned();
    assert!(text.contains("mail off"), "{text}");
    let on = k.json(&["mail", "on", "radio.example"]);
    assert_eq!(on["enabled"], true, "{on}");
    k
}

async fn pool(k: &Konbit) -> sqlx::SqlitePool {
    let db = format!("sqlite://{}", k.root.join("state/konbit.db").display());
    sqlx::SqlitePool::connect(&db).await.unwrap()
}

async fn scalar(k: &Konbit, sql: &'static str) -> i64 {
    let pool = pool(k).await;
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

/// The stored password hash of a mailbox.
async fn hash_of(k: &Konbit, local_part: &str) -> String {
    let pool = pool(k).await;
    let h: String = sqlx::query_scalar("SELECT password_hash FROM mailboxes WHERE local_part = ?")
        .bind(local_part.to_owned())
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    h
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_cli_mailboxes_aliases_and_domain_mail() {
    let k = radio_with_mail();

    let text = k.run(&["mail", "show", "radio.example"]).ok().to_owned();
    for needle in ["mail on", "._domainkey.radio.example", "v=DKIM1", "IMAP"] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }

    // A mailbox with its password on standard input: never printed.
    let out = k.run_stdin(
        &[
            "mailbox",
            "add",
            "info@radio.example",
            "--quota-mb",
            "100",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let text = out.ok().to_owned();
    assert!(
        text.contains("Created info@radio.example: 100 MB."),
        "{text}"
    );
    assert!(
        !text.contains(PASSWORD) && !text.contains("Password"),
        "{text}"
    );
    // Without one, a password is made and shown once.
    let made = k.json(&["mailbox", "add", "ada@radio.example"]);
    let password = made["password"].as_str().unwrap();
    assert!(password.len() >= 12, "{made}");
    assert_eq!(made["mailbox"]["address"], "ada@radio.example", "{made}");
    assert_eq!(made["mailbox"]["status"], "pending");
    assert!(made["mailbox"].get("password_hash").is_none(), "{made}");
    let hash = scalar(
        &k,
        "SELECT count(*) FROM mailboxes WHERE password_hash LIKE '$argon2id$%'",
    )
    .await;
    assert_eq!(hash, 2, "stored as Argon2id");

    // Lists: aligned text, and JSON that parses.
    let text = k.run(&["mailbox", "list"]).ok().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID "), "{text}");
    assert!(
        lines[0].contains("ADDRESS") && lines[0].contains("STATUS"),
        "{text}"
    );
    assert!(text.contains("info@radio.example"), "{text}");
    assert!(text.contains("2 mailboxes"), "{text}");
    let status_at = lines[0].find("STATUS").unwrap();
    for line in &lines[1..3] {
        assert_eq!(
            line.get(status_at..status_at + 7),
            Some("pending"),
            "aligned: {text}"
        );
    }
    let list = k.json(&["mailbox", "list", "--domain", "radio.example"]);
    assert_eq!(items(&list).len(), 2, "{list}");
    assert!(!list.to_string().contains("argon2"), "{list}");
    let list = k.json(&["mailbox", "list", "--account", "radio"]);
    assert_eq!(items(&list).len(), 2, "{list}");
    assert!(items(&k.json(&["mailbox", "list", "--deleted"])).is_empty());

    // Changes.
    let m = k.json(&["mailbox", "quota", "info@radio.example", "200"]);
    assert_eq!(m["quota_mb"], 200, "{m}");
    let m = k.json(&["mailbox", "disable", "info@radio.example"]);
    assert_eq!(m["enabled"], false, "{m}");
    let text = k
        .run(&["mailbox", "enable", "info@radio.example"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Enabled: "), "{text}");
    let before = hash_of(&k, "info").await;
    let out = k.run_stdin(
        &[
            "mailbox",
            "password",
            "info@radio.example",
            "--password-stdin",
        ],
        Some("another long enough password"),
    );
    let text = out.ok().to_owned();
    assert!(text.contains("New password set"), "{text}");
    assert!(!text.contains("another long"), "{text}");
    assert_ne!(hash_of(&k, "info").await, before, "the hash changed");

    // The automatic reply; `--off` keeps its text.
    let m = k.json(&[
        "mailbox",
        "autoreply",
        "info@radio.example",
        "--subject",
        "Away",
        "--body",
        "Back on Monday.",
        "--start",
        "2030-01-01",
        "--end",
        "2030-01-31",
    ]);
    assert_eq!(m["autoreply"]["enabled"], true, "{m}");
    assert_eq!(m["autoreply"]["start_date"], "2030-01-01");
    let m = k.json(&["mailbox", "autoreply", "info@radio.example", "--off"]);
    assert_eq!(m["autoreply"]["enabled"], false, "{m}");
    assert_eq!(m["autoreply"]["subject"], "Away", "{m}");
    assert_eq!(m["autoreply"]["end_date"], "2030-01-31", "{m}");
    let text = k
        .run(&["mailbox", "autoreply", "ada@radio.example", "--off"])
        .ok()
        .to_owned();
    assert!(text.contains("has no automatic reply"), "{text}");
    let text = k
        .run(&["mailbox", "show", "info@radio.example"])
        .ok()
        .to_owned();
    for needle in [
        "info@radio.example",
        "200 MB",
        "Automatic reply: off",
        "| Back on Monday.",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }

    // Aliases.
    let a = k.json(&[
        "alias",
        "add",
        "contact@radio.example",
        "info@radio.example",
        "ada@elsewhere.example",
    ]);
    let id = a["id"].as_i64().unwrap().to_string();
    assert_eq!(a["source"], "contact@radio.example", "{a}");
    assert_eq!(
        a["destinations"],
        serde_json::json!(["info@radio.example", "ada@elsewhere.example"])
    );
    let text = k
        .run(&["alias", "add", "@radio.example", "info@radio.example"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Added: "), "{text}");
    let text = k.run(&["alias", "list"]).ok().to_owned();
    assert!(
        text.lines().next().unwrap().contains("DESTINATIONS"),
        "{text}"
    );
    assert!(
        text.contains("contact@radio.example") && text.contains("@radio.example "),
        "{text}"
    );
    assert!(text.contains("2 aliases"), "{text}");
    let list = k.json(&["alias", "list", "--domain", "radio.example"]);
    assert_eq!(items(&list).len(), 2, "{list}");
    assert!(
        items(&list).iter().any(|a| a["catch_all"] == true),
        "{list}"
    );
    let a = k.json(&["alias", "set", &id, "grace@elsewhere.example"]);
    assert_eq!(
        a["destinations"],
        serde_json::json!(["grace@elsewhere.example"])
    );
    let text = k.run(&["alias", "show", &id]).ok().to_owned();
    assert!(text.contains("-> grace@elsewhere.example"), "{text}");
    let text = k.run(&["alias", "delete", &id]).ok().to_owned();
    assert!(text.contains(&format!("Deleted alias {id}")), "{text}");
    k.run(&["alias", "show", &id]).fails(4);

    // Soft delete and restore.
    let m = k.json(&["mailbox", "delete", "ada@radio.example"]);
    assert!(m["deleted_at"].is_i64(), "{m}");
    let list = k.json(&["mailbox", "list", "--deleted"]);
    assert_eq!(items(&list)[0]["address"], "ada@radio.example", "{list}");
    let text = k
        .run(&["mailbox", "restore", "ada@radio.example"])
        .ok()
        .to_owned();
    assert!(text.starts_with("Restored: "), "{text}");

    // Mail stays on while the domain has mailboxes.
    let err = k.run(&["mail", "off", "radio.example"]).fails(3).to_owned();
    assert!(err.contains("mailboxes or aliases"), "{err}");
    // DKIM rotation keeps the previous key.
    let m = k.json(&["mail", "dkim-rotate", "radio.example"]);
    assert_eq!(m["dkim"].as_array().unwrap().len(), 2, "{m}");

    // Every change is queued for the mail provisioner.
    let generation = scalar(&k, "SELECT generation FROM mail_domains").await;
    let queued = scalar(
        &k,
        "SELECT generation FROM reconcile_queue WHERE kind = 'mail_domain'",
    )
    .await;
    assert!(generation > 1);
    assert_eq!(queued, generation);
}

#[test]
fn mail_cli_errors_say_why_in_the_operators_language() {
    let k = radio_with_mail();

    // A bad address: exit 5, the field and its rule spelled out.
    let err = k
        .run(&["mailbox", "add", "a%b@radio.example"])
        .fails(5)
        .to_owned();
    assert!(err.starts_with("konbit: "), "{err}");
    assert!(err.contains("  - Address"), "{err}");
    let out = k.run(&["--output", "json", "mailbox", "add", "a\nb@radio.example"]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).unwrap();
    assert_eq!(problem["code"], "invalid_input");
    assert_eq!(problem["errors"][0]["field"], "address", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "control_character");
    // An empty password on standard input.
    let err = k
        .run_stdin(
            &["mailbox", "add", "info@radio.example", "--password-stdin"],
            Some(""),
        )
        .fails(5)
        .to_owned();
    assert!(err.contains("Password"), "{err}");

    // In French, from LANG or LC_ALL.
    for lang in [("LANG", "fr_FR.UTF-8"), ("LC_ALL", "fr_CA.UTF-8")] {
        let out = k.run_env(&["mailbox", "add", "a%b@radio.example"], &[lang]);
        let err = out.fails(5);
        assert!(
            err.contains("Adresse") && err.contains("minuscules"),
            "{lang:?}: {err}"
        );
        let out = k.run_env(
            &["alias", "add", "self@radio.example", "self@radio.example"],
            &[lang],
        );
        let err = out.fails(5);
        assert!(err.contains("sa propre adresse"), "{lang:?}: {err}");
    }

    // Not found, conflicts, out of range.
    k.run(&["mailbox", "show", "nobody@radio.example"]).fails(4);
    k.run(&["mail", "on", "nowhere.example"]).fails(4);
    k.run(&["mailbox", "add", "x@nowhere.example"]).fails(4);
    k.run_stdin(
        &["mailbox", "add", "info@radio.example", "--password-stdin"],
        Some(PASSWORD),
    )
    .ok();
    k.run_stdin(
        &["mailbox", "add", "info@radio.example", "--password-stdin"],
        Some(PASSWORD),
    )
    .fails(3);
    let err = k
        .run(&["mailbox", "quota", "info@radio.example", "0"])
        .fails(5)
        .to_owned();
    assert!(err.contains("  - "), "{err}");
    let err = k
        .run(&["alias", "add", "info@radio.example", "x@elsewhere.example"])
        .fails(5)
        .to_owned();
    assert!(err.contains("mailbox already has this address"), "{err}");
    let err = k
        .run_env(
            &["mail", "off", "radio.example"],
            &[("LANG", "fr_FR.UTF-8")],
        )
        .fails(3)
        .to_owned();
    assert!(err.contains("Ce domaine a encore des boîtes"), "{err}");
    // A password is never an argument.
    k.run(&["mailbox", "add", "y@radio.example", "--password", PASSWORD])
        .fails(2);
}

/// A change made by the CLI wakes the running server's reconciler, as the
/// domain commands do.
#[test]
fn mail_cli_pokes_the_running_server() {
    let k = radio_with_mail();
    let socket_path = k.state.join("reconcile.sock");
    let _ = std::fs::remove_file(&socket_path);
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    k.run_stdin(
        &["mailbox", "add", "info@radio.example", "--password-stdin"],
        Some(PASSWORD),
    )
    .ok();
    let mut buf = [0u8; 16];
    let n = socket.recv(&mut buf).expect("a wake-up datagram");
    assert!(n > 0);
}
