//! SFTP logins through the REST API only, without ProFTPd: the contract of
//! `/api/v1/sftp-accounts`, what the store holds afterwards, and that no
//! hostile value gets past the rules into ProFTPd's files.

use crate::api::{Reply, delete, field_rules, get, items, post_empty, send};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use konbit_app::AppConfig;
use konbit_app::sftp::SftpConfig;
use konbit_core::quota::QuotaLimits;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person};
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "sftp-Api-2026!pass";

/// SSH's wire form of a key: each part as a 32-bit length and its bytes.
fn ssh_key(key_type: &str, parts: &[&[u8]], comment: &str) -> String {
    let mut blob = Vec::new();
    for part in std::iter::once(key_type.as_bytes()).chain(parts.iter().copied()) {
        blob.extend_from_slice(&u32::try_from(part.len()).unwrap().to_be_bytes());
        blob.extend_from_slice(part);
    }
    format!("{key_type} {} {comment}", STANDARD.encode(blob))
        .trim_end()
        .to_owned()
}

fn ed25519(fill: u8, comment: &str) -> String {
    ssh_key("ssh-ed25519", &[&[fill; 32]], comment)
}

fn ecdsa_p256(comment: &str) -> String {
    let mut point = vec![4u8];
    point.extend_from_slice(&[0x21; 64]);
    ssh_key("ecdsa-sha2-nistp256", &[b"nistp256", &point], comment)
}

/// An RSA key whose modulus has `bits` bits.
fn rsa(bits: usize, comment: &str) -> String {
    let mut modulus = vec![0u8];
    modulus.extend(std::iter::repeat_n(0xc5, bits / 8));
    ssh_key("ssh-rsa", &[&[1, 0, 1], &modulus], comment)
}

fn logins(list: &Value) -> Vec<String> {
    items(list)
        .iter()
        .map(|s| s["login"].as_str().unwrap().to_owned())
        .collect()
}

/// A server that manages SFTP logins (or not).
async fn spawn(enabled: bool) -> TestApp {
    TestApp::spawn_with(AppConfig {
        sftp: SftpConfig {
            enabled,
            public_host: "sftp.coop.test".into(),
            public_port: 2222,
        },
        ..AppConfig::default()
    })
    .await
    .unwrap()
}

/// Account `name` with its owner and an API client for that owner with
/// the `sftp:write` scope.
async fn owner_api(t: &TestApp, name: &str) -> (i64, Person, Api) {
    let (account, owner, _) = t.seed_account(name).await.unwrap();
    let token = t.token_for(&owner, &["sftp:write"]).await.unwrap();
    (account.0, owner, t.api(Some(&token)).unwrap())
}

async fn create(api: &Api, body: Value) -> Value {
    send(api, Method::POST, "/api/v1/sftp-accounts", &body)
        .await
        .ok(201)
}

async fn count_logins(t: &TestApp) -> i64 {
    let pool = t.db().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sftp_accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// What the store holds of a login: its password hash and its keys.
async fn stored(t: &TestApp, id: i64) -> (Option<String>, String) {
    let pool = t.db().await.unwrap();
    let row: (Option<String>, String) =
        sqlx::query_as("SELECT password_hash, ssh_keys FROM sftp_accounts WHERE id = ?")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    row
}

/// Gives the account a quota profile with room for `logins` SFTP logins.
async fn allow_logins(t: &TestApp, account: i64, logins: u64) {
    let limits = QuotaLimits {
        sftp_accounts: logins,
        ..QuotaLimits::starter()
    };
    crate::api::give_quota(t, account, &format!("sftp{logins}"), limits).await;
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test(flavor = "multi_thread")]
async fn sftp_api_create_read_update_and_delete() {
    let t = spawn(true).await;
    let (account, _, api) = owner_api(&t, "radio").await;
    allow_logins(&t, account, 10).await;

    // A password, chosen: kept only as a SHA-512 crypt hash, never shown.
    let r = send(
        &api,
        Method::POST,
        "/api/v1/sftp-accounts",
        &json!({ "account": "radio", "suffix": "web", "dir": "/www/", "password": PASSWORD }),
    )
    .await;
    let location = r.header("location").to_owned();
    let web = r.ok(201);
    let web_id = web["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/sftp-accounts/{web_id}"));
    assert_eq!(web["login"], "radio_web", "{web}");
    assert_eq!(web["account"], "radio");
    assert_eq!(web["account_id"], account);
    assert_eq!(web["dir"], "www");
    assert_eq!(web["has_password"], true);
    assert_eq!(web["keys"], json!([]));
    assert_eq!(web["enabled"], true);
    assert_eq!(web["host"], "sftp.coop.test");
    assert_eq!(web["port"], 2222);
    assert_eq!(web["status"]["state"], "pending");
    assert_eq!(web["status"]["generation"], 1);
    assert!(
        web.get("password").is_none(),
        "a chosen password is not echoed: {web}"
    );
    let (hash, _) = stored(&t, web_id).await;
    let hash = hash.unwrap();
    assert!(hash.starts_with("$6$"), "{hash}");
    assert!(!hash.contains(PASSWORD));

    // Keys only, of each kind core takes; a key's comment keeps only safe
    // characters, and the same key twice is kept once.
    let keys = [
        ed25519(7, "alice@laptop"),
        ecdsa_p256("bob"),
        rsa(2048, "carol\"; rm -rf:/"),
        ed25519(7, "alice-again"),
    ];
    let photos = create(
        &api,
        json!({ "account": "radio", "suffix": "photos", "keys": keys }),
    )
    .await;
    assert_eq!(photos["login"], "radio_photos");
    assert_eq!(photos["dir"], Value::Null, "the whole home");
    assert_eq!(photos["has_password"], false);
    let shown: Vec<(&str, &str)> = photos["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key_type"].as_str().unwrap(),
                k["comment"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("ssh-ed25519", "alice@laptop"),
            ("ecdsa-sha2-nistp256", "bob"),
            ("ssh-rsa", "carolrm-rf")
        ],
        "{photos}"
    );
    for k in photos["keys"].as_array().unwrap() {
        assert!(k["fingerprint"].as_str().unwrap().starts_with("SHA256:"));
        assert!(
            k["public_key"]
                .as_str()
                .unwrap()
                .starts_with(k["key_type"].as_str().unwrap())
        );
    }
    assert_eq!(photos["keys"][0]["public_key"], keys[0]);

    // A password Konbit makes is shown once, in the answer that made it.
    let made = create(
        &api,
        json!({ "account": "radio", "suffix": "backup", "generate_password": true }),
    )
    .await;
    let generated = made["password"].as_str().unwrap().to_owned();
    assert!(generated.len() >= 12, "{made}");
    let again = get(&api, &format!("/api/v1/sftp-accounts/{}", made["id"]))
        .await
        .ok(200);
    assert!(again.get("password").is_none(), "{again}");
    assert_eq!(again["has_password"], true);

    // The login of the account's name alone, without a suffix.
    let bare = create(&api, json!({ "account": "radio", "password": PASSWORD })).await;
    assert_eq!(bare["login"], "radio");

    // The list, with or without naming the account; no hash anywhere.
    let list = get(&api, "/api/v1/sftp-accounts").await;
    assert!(!list.text.contains("$6$"), "{}", list.text);
    assert!(!list.text.contains(&generated), "{}", list.text);
    let list = list.ok(200);
    let mut names = logins(&list);
    names.sort();
    assert_eq!(
        names,
        ["radio", "radio_backup", "radio_photos", "radio_web"]
    );
    let by_name = get(&api, "/api/v1/sftp-accounts?account=radio")
        .await
        .ok(200);
    assert_eq!(items(&by_name).len(), 4);
    let by_id = get(&api, &format!("/api/v1/sftp-accounts?account={account}"))
        .await
        .ok(200);
    assert_eq!(items(&by_id).len(), 4);
    get(&api, "/api/v1/sftp-accounts?account=nobody")
        .await
        .problem(404, "not_found");

    // Update: what is left out stays.
    let path = format!("/api/v1/sftp-accounts/{web_id}");
    let v = send(&api, Method::PATCH, &path, &json!({ "dir": "www/blog" }))
        .await
        .ok(200);
    assert_eq!(v["dir"], "www/blog");
    assert_eq!(v["has_password"], true);
    assert_eq!(v["status"]["generation"], 2);
    assert_eq!(stored(&t, web_id).await.0.as_deref(), Some(hash.as_str()));
    // Keys added, then the password removed: keys only.
    let v = send(
        &api,
        Method::PATCH,
        &path,
        &json!({ "keys": [ed25519(9, "dave")] }),
    )
    .await
    .ok(200);
    assert_eq!(v["keys"].as_array().unwrap().len(), 1);
    let v = send(&api, Method::PATCH, &path, &json!({ "password": "" }))
        .await
        .ok(200);
    assert_eq!(v["has_password"], false);
    assert_eq!(stored(&t, web_id).await.0, None);
    // Removing the last way in is refused.
    let p = send(&api, Method::PATCH, &path, &json!({ "keys": [] }))
        .await
        .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("password".to_owned(), "needs_password_or_key".to_owned())]
    );
    // A new password, made by Konbit, shown once; the whole home again.
    let v = send(
        &api,
        Method::PATCH,
        &path,
        &json!({ "generate_password": true, "dir": "" }),
    )
    .await
    .ok(200);
    assert!(v["password"].as_str().unwrap().len() >= 12, "{v}");
    assert_eq!(v["dir"], Value::Null);
    assert_eq!(v["has_password"], true);
    let after_update = get(&api, &path).await.ok(200);
    assert!(after_update.get("password").is_none());

    // Disable and enable: each a new version for ProFTPd.
    let before = after_update["status"]["generation"].as_i64().unwrap();
    let v = post_empty(&api, &format!("{path}/disable")).await.ok(200);
    assert_eq!(v["enabled"], false);
    assert_eq!(v["status"]["generation"], before + 1);
    assert_eq!(get(&api, &path).await.ok(200)["enabled"], false);
    let v = post_empty(&api, &format!("{path}/enable")).await.ok(200);
    assert_eq!(v["enabled"], true);
    assert_eq!(v["status"]["generation"], before + 2);

    // Delete: gone at once, and the name is free again.
    let r = delete(&api, &path).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());
    get(&api, &path).await.problem(404, "not_found");
    delete(&api, &path).await.problem(404, "not_found");
    post_empty(&api, &format!("{path}/enable"))
        .await
        .problem(404, "not_found");
    assert_eq!(count_logins(&t).await, 3);
    let pool = t.db().await.unwrap();
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM reconcile_queue WHERE kind = 'sftp_account' AND object_id = ?",
    )
    .bind(web_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(queued, 1, "ProFTPd's files must lose the login");
    let reborn = create(
        &api,
        json!({ "account": "radio", "suffix": "web", "password": PASSWORD }),
    )
    .await;
    assert_ne!(reborn["id"], web_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_api_quota_of_logins_is_409() {
    let t = spawn(true).await;
    let (account, _, api) = owner_api(&t, "radio").await;
    allow_logins(&t, account, 1).await;
    let first = create(
        &api,
        json!({ "account": "radio", "suffix": "web", "password": PASSWORD }),
    )
    .await;
    let before = t.fingerprint().await.unwrap();
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sftp-accounts",
        &json!({ "account": "radio", "suffix": "photos", "password": PASSWORD }),
    )
    .await
    .problem(409, "quota_exceeded");
    assert_eq!(
        p["detail"], "SFTP accounts: the quota allows 1, and this would go past it.",
        "the problem says which quota, in the caller's words: {p}"
    );
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count_logins(&t).await, 1);
    // Changing the one login is not a new one.
    send(
        &api,
        Method::PATCH,
        &format!("/api/v1/sftp-accounts/{}", first["id"]),
        &json!({ "dir": "www" }),
    )
    .await
    .ok(200);
    // Once it is deleted there is room again.
    delete(&api, &format!("/api/v1/sftp-accounts/{}", first["id"]))
        .await
        .ok(204);
    create(
        &api,
        json!({ "account": "radio", "suffix": "photos", "password": PASSWORD }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_api_needs_sftp_set_up() {
    let t = spawn(false).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sftp-accounts",
        &json!({ "account": "radio", "suffix": "web", "password": PASSWORD }),
    )
    .await
    .problem(409, "conflict");
    assert!(p["detail"].as_str().unwrap().contains("SFTP"), "{p}");
    assert_eq!(count_logins(&t).await, 0);
    assert!(items(&get(&api, "/api/v1/sftp-accounts").await.ok(200)).is_empty());
}

// ---------------------------------------------------------------- hostile input

#[tokio::test(flavor = "multi_thread")]
async fn sftp_api_hostile_values_are_422_naming_the_field() {
    let t = spawn(true).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let existing = create(
        &api,
        json!({ "account": "radio", "suffix": "web", "dir": "www", "password": PASSWORD }),
    )
    .await;
    let existing_path = format!("/api/v1/sftp-accounts/{}", existing["id"]);
    let existing_stored = stored(&t, existing["id"].as_i64().unwrap()).await;
    let before = t.fingerprint().await.unwrap();

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
    let create_refused = |body: Value| {
        let api = &api;
        async move {
            send(api, Method::POST, "/api/v1/sftp-accounts", &body)
                .await
                .problem(422, "invalid_input")
        }
    };

    // The login: `<account>_` then a suffix of lowercase letters, digits,
    // `_` and `-`. Nothing a person types can add a field or a line to
    // ProFTPd's user file, nor name another account's login.
    for suffix in [
        "a'b",
        "a\"b",
        "a\\b",
        "a\nb",
        "a\rb",
        "a\0b",
        "a b",
        "a:b",
        "a/b",
        "../garden",
        "Web",
        "wéb",
        "-web",
        "_web",
        "a;b",
        "a`b",
        "a$b",
        "a*b",
    ] {
        let p =
            create_refused(json!({ "account": "radio", "suffix": suffix, "password": PASSWORD }))
                .await;
        refused(
            p,
            "login",
            &["slug_format", "control_character"],
            &format!("{suffix:?}"),
        );
    }
    let p = create_refused(
        json!({ "account": "radio", "suffix": "a".repeat(17), "password": PASSWORD }),
    )
    .await;
    refused(p.clone(), "login", &["too_long"], "17 characters");
    assert_eq!(p["errors"][0]["max"], 16, "{p}");

    // The directory stays inside the home, out of dot-directories.
    for dir in [
        "..",
        "../etc",
        "www/../..",
        "www/..",
        "./www",
        ".ssh",
        "www/.git",
        "a//b",
        "www/a'b",
        "www/a\"b",
        "www\\..\\..",
        "www/a b",
        "www/a:b",
        "www\n..",
        "www\0",
        "a/b/c/d/e/f/g/h/i",
    ] {
        let p = create_refused(
            json!({ "account": "radio", "suffix": "x", "dir": dir, "password": PASSWORD }),
        )
        .await;
        refused(
            p,
            "dir",
            &["path_format", "control_character"],
            &format!("{dir:?}"),
        );
        let p = send(&api, Method::PATCH, &existing_path, &json!({ "dir": dir }))
            .await
            .problem(422, "invalid_input");
        refused(
            p,
            "dir",
            &["path_format", "control_character"],
            &format!("{dir:?}"),
        );
    }

    // Passwords go into ProFTPd's file only as a hash, and still refuse
    // what a shell or a config line would read.
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
    ] {
        let p = create_refused(json!({ "account": "radio", "suffix": "x", "password": password }))
            .await;
        refused(
            p,
            "password",
            &["unsafe_character", "control_character", "too_short"],
            &format!("{password:?}"),
        );
        let p = send(
            &api,
            Method::PATCH,
            &existing_path,
            &json!({ "password": password }),
        )
        .await
        .problem(422, "invalid_input");
        refused(
            p,
            "password",
            &["unsafe_character", "control_character", "too_short"],
            &format!("{password:?}"),
        );
    }

    // Keys: OpenSSH lines whose blob decodes to the type it names. An
    // RFC 4716 block is not taken (the provisioner writes that form for
    // ProFTPd itself), nor a weak or garbled key, nor a line hidden in one.
    let valid = ed25519(7, "alice");
    let rfc4716 = format!(
        "---- BEGIN SSH2 PUBLIC KEY ----\n{}\n---- END SSH2 PUBLIC KEY ----",
        valid.split(' ').nth(1).unwrap()
    );
    let mut truncated = valid.clone();
    truncated.truncate(40);
    let bad_keys: Vec<(String, &[&str])> = vec![
        ("not a key".into(), &["ssh_key_format"]),
        ("ssh-ed25519".into(), &["ssh_key_format"]),
        ("ssh-ed25519 !!!notbase64".into(), &["ssh_key_format"]),
        (truncated, &["ssh_key_format"]),
        (
            ed25519(7, "").replace("ssh-ed25519", "ssh-dss"),
            &["ssh_key_format"],
        ),
        // The blob names another type than the line.
        (
            ecdsa_p256("x").replace("ecdsa-sha2-nistp256", "ssh-ed25519"),
            &["ssh_key_format"],
        ),
        (
            ssh_key("ssh-ed25519", &[&[7; 31]], "short"),
            &["ssh_key_format"],
        ),
        (
            ssh_key("ssh-ed25519", &[&[7; 32], b"extra"], "trailing"),
            &["ssh_key_format"],
        ),
        (rsa(1024, "weak"), &["ssh_key_too_weak"]),
        (rsa(2040, "almost"), &["ssh_key_too_weak"]),
        (rfc4716, &["ssh_key_format"]),
        (
            format!("{valid}\nradio_x:$6$x:1000:1000::/:/bin/sh"),
            &["ssh_key_format"],
        ),
        (
            format!("{valid}\0"),
            &["control_character", "ssh_key_format"],
        ),
        (format!("ssh-ed25519 {}", "A".repeat(5000)), &["too_long"]),
    ];
    for (key, rules) in &bad_keys {
        let p = create_refused(json!({ "account": "radio", "suffix": "x", "keys": [key] })).await;
        refused(p, "keys", rules, &format!("{key:?}"));
        let p = send(
            &api,
            Method::PATCH,
            &existing_path,
            &json!({ "keys": [valid, key] }),
        )
        .await
        .problem(422, "invalid_input");
        refused(p, "keys", rules, &format!("{key:?}"));
    }
    let many: Vec<String> = (0..21).map(|i| ed25519(i, "")).collect();
    let p = create_refused(json!({ "account": "radio", "suffix": "x", "keys": many })).await;
    refused(p, "keys", &["too_many"], "21 keys");

    // Neither a password nor a key: nobody could log in.
    let p = create_refused(json!({ "account": "radio", "suffix": "x" })).await;
    refused(p, "password", &["needs_password_or_key"], "no way in");
    // The same login twice.
    let p =
        create_refused(json!({ "account": "radio", "suffix": "web", "password": PASSWORD })).await;
    refused(p, "login", &["name_taken"], "taken");
    // Every bad field at once.
    let p = create_refused(json!({ "account": "radio", "suffix": "a'b", "dir": "../x",
                                   "password": "short", "keys": ["nope"] }))
    .await;
    let fields: Vec<String> = field_rules(&p).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["login", "dir", "keys", "password"], "{p}");

    // Malformed bodies are 400.
    for body in [
        json!({ "account": "radio", "suffix": "x", "password": PASSWORD, "login": "root" }),
        json!({ "account": "radio", "suffix": "x", "keys": valid }),
        json!({ "account": "radio", "suffix": 7, "password": PASSWORD }),
        json!({ "suffix": "x", "password": PASSWORD }),
    ] {
        send(&api, Method::POST, "/api/v1/sftp-accounts", &body)
            .await
            .problem(400, "malformed_body");
    }
    send(
        &api,
        Method::PATCH,
        &existing_path,
        &json!({ "login": "radio_root" }),
    )
    .await
    .problem(400, "malformed_body");

    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count_logins(&t).await, 1);
    let id = existing["id"].as_i64().unwrap();
    assert_eq!(stored(&t, id).await, existing_stored);
    let unchanged = get(&api, &existing_path).await.ok(200);
    assert_eq!(unchanged["dir"], "www", "{unchanged}");
    assert_eq!(unchanged["status"]["generation"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_api_errors_are_worded_in_french_too() {
    let t = spawn(true).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let res = api
        .request(Method::POST, "/api/v1/sftp-accounts")
        .header("accept-language", "fr")
        .json(&json!({ "account": "radio", "suffix": "a'b", "dir": "..", "keys": ["x"] }))
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
    assert_eq!(messages.len(), 3, "{p}");
    assert!(messages[0].starts_with("Identifiant"), "{p}");
    assert!(messages[1].starts_with("Dossier"), "{p}");
    assert!(messages[2].starts_with("Clés publiques SSH"), "{p}");
}

// ---------------------------------------------------------------- who may

#[tokio::test(flavor = "multi_thread")]
async fn sftp_api_another_accounts_logins_are_404() {
    let t = spawn(true).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let s = create(
        &api,
        json!({ "account": "radio", "suffix": "web", "password": PASSWORD }),
    )
    .await;
    let path = format!("/api/v1/sftp-accounts/{}", s["id"]);
    let (_, _, other) = owner_api(&t, "garden").await;
    let before = t.fingerprint().await.unwrap();
    let stored_before = stored(&t, s["id"].as_i64().unwrap()).await;

    get(&other, &path).await.problem(404, "not_found");
    send(&other, Method::PATCH, &path, &json!({ "dir": "x" }))
        .await
        .problem(404, "not_found");
    delete(&other, &path).await.problem(404, "not_found");
    for action in ["enable", "disable"] {
        post_empty(&other, &format!("{path}/{action}"))
            .await
            .problem(404, "not_found");
    }
    get(&other, "/api/v1/sftp-accounts?account=radio")
        .await
        .problem(404, "not_found");
    // Nor can it add a login to the account: its own logins are named
    // after its own account only.
    send(
        &other,
        Method::POST,
        "/api/v1/sftp-accounts",
        &json!({ "account": "radio", "suffix": "spy", "password": PASSWORD }),
    )
    .await
    .problem(404, "not_found");
    assert!(items(&get(&other, "/api/v1/sftp-accounts").await.ok(200)).is_empty());
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(stored(&t, s["id"].as_i64().unwrap()).await, stored_before);
    assert_eq!(count_logins(&t).await, 1);
    let own = create(
        &other,
        json!({ "account": "garden", "suffix": "web", "password": PASSWORD }),
    )
    .await;
    assert_eq!(own["login"], "garden_web");
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_api_needs_the_sftp_scope() {
    let t = spawn(true).await;
    let (_, owner, api) = owner_api(&t, "radio").await;
    let s = create(
        &api,
        json!({ "account": "radio", "suffix": "web", "password": PASSWORD }),
    )
    .await;
    let path = format!("/api/v1/sftp-accounts/{}", s["id"]);
    let token = t.token_for(&owner, &["sites:write"]).await.unwrap();
    let sites_only = t.api(Some(&token)).unwrap();
    let token = t.token_for(&owner, &["sftp:read"]).await.unwrap();
    let reader = t.api(Some(&token)).unwrap();
    let anonymous = t.api(None).unwrap();
    let before = t.fingerprint().await.unwrap();
    let new = json!({ "account": "radio", "suffix": "x", "password": PASSWORD });

    // Without the scope: 403, reads included, even for what does not exist.
    for r in [
        get(&sites_only, "/api/v1/sftp-accounts").await,
        get(&sites_only, &path).await,
        send(&sites_only, Method::POST, "/api/v1/sftp-accounts", &new).await,
        delete(&sites_only, &path).await,
    ] {
        r.problem(403, "insufficient_scope");
    }
    // Reading is not writing.
    assert_eq!(
        logins(&get(&reader, "/api/v1/sftp-accounts").await.ok(200)),
        ["radio_web"]
    );
    get(&reader, &path).await.ok(200);
    for r in [
        send(&reader, Method::POST, "/api/v1/sftp-accounts", &new).await,
        send(&reader, Method::PATCH, &path, &json!({ "dir": "x" })).await,
        delete(&reader, &path).await,
        post_empty(&reader, &format!("{path}/disable")).await,
        post_empty(&reader, &format!("{path}/enable")).await,
    ] {
        r.problem(403, "insufficient_scope");
    }
    for r in [
        get(&anonymous, "/api/v1/sftp-accounts").await,
        get(&anonymous, &path).await,
        send(&anonymous, Method::POST, "/api/v1/sftp-accounts", &new).await,
        delete(&anonymous, &path).await,
    ] {
        assert_eq!(r.status, 401, "{}", r.text);
    }
    // Even for what does not exist: the answer must not tell which ids
    // are taken.
    get(&sites_only, "/api/v1/sftp-accounts/999999")
        .await
        .problem(403, "insufficient_scope");
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count_logins(&t).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_api_is_in_the_openapi_document() {
    let t = TestApp::spawn().await.unwrap();
    let api = t.api(None).unwrap();
    let doc = get(&api, "/api/v1/openapi.json").await.ok(200);
    for (path, methods) in [
        ("/api/v1/sftp-accounts", &["get", "post"][..]),
        ("/api/v1/sftp-accounts/{id}", &["get", "patch", "delete"]),
        ("/api/v1/sftp-accounts/{id}/enable", &["post"]),
        ("/api/v1/sftp-accounts/{id}/disable", &["post"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} documented");
            assert_eq!(doc["paths"][path][m]["tags"], json!(["sftp"]), "{path}");
        }
    }
    let schemas = &doc["components"]["schemas"];
    let body = &schemas["CreateSftpBody"]["properties"];
    for field in [
        "account",
        "suffix",
        "dir",
        "password",
        "generate_password",
        "keys",
    ] {
        assert!(body.get(field).is_some(), "CreateSftpBody.{field}: {body}");
    }
    assert!(
        schemas["UpdateSftpBody"]["properties"]
            .get("suffix")
            .is_none(),
        "the login is fixed"
    );
    let dto = &schemas["SftpAccountDto"]["properties"];
    for field in [
        "login",
        "dir",
        "has_password",
        "keys",
        "enabled",
        "host",
        "port",
        "status",
    ] {
        assert!(dto.get(field).is_some(), "SftpAccountDto.{field}");
    }
    assert!(!doc.to_string().contains("password_hash"));
    assert!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "sftp"),
        "the sftp tag"
    );
}
