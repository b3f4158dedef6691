//! Hosted mail through the REST API only, without Postfix or Dovecot: the
//! contract of every route (`/api/v1/domains/{name}/mail`,
//! `/api/v1/mailboxes`, `/api/v1/aliases`), what the store holds
//! afterwards, and that a mailbox's password never comes back out.

use crate::api::{Reply, delete, field_rules, get, items, post_empty, send};
use konbit_app::AppConfig;
use konbit_core::authz::Actor;
use konbit_core::names::Fqdn;
use konbit_core::quota::QuotaLimits;
use konbit_core::zone_template::ZoneTemplate;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person};
use reqwest::Method;
use serde_json::{Value, json};

const MAILBOX_PASSWORD: &str = "a long enough mailbox password";

fn addresses(list: &Value) -> Vec<String> {
    items(list)
        .iter()
        .map(|m| m["address"].as_str().unwrap().to_owned())
        .collect()
}

/// A server whose zone template has a mail exchanger, so turning mail on
/// adds an MX record too.
async fn spawn() -> TestApp {
    let config = AppConfig {
        zone_template: ZoneTemplate {
            mail_exchanger: Some(Fqdn::parse("mail_exchanger", "mx.coop.test", 2).unwrap()),
            ..ZoneTemplate::default()
        },
        ..AppConfig::default()
    };
    TestApp::spawn_with(config).await.unwrap()
}

/// Account `name` with its owner, and an API client for that owner with
/// the `domains:write` and `mail:write` scopes.
async fn owner_api(t: &TestApp, name: &str) -> (i64, Person, Api) {
    let (account, owner, _) = t.seed_account(name).await.unwrap();
    let token = t
        .token_for(&owner, &["domains:write", "mail:write"])
        .await
        .unwrap();
    (account.0, owner, t.api(Some(&token)).unwrap())
}

/// A domain of `account` with mail on.
async fn mail_domain(api: &Api, account: &str, name: &str) -> Value {
    send(
        api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": account, "name": name }),
    )
    .await
    .ok(201);
    send(
        api,
        Method::PUT,
        &format!("/api/v1/domains/{name}/mail"),
        &json!({ "enabled": true }),
    )
    .await
    .ok(200)
}

async fn create_mailbox(api: &Api, address: &str) -> Value {
    send(
        api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": address, "password": MAILBOX_PASSWORD, "quota_mb": 100 }),
    )
    .await
    .ok(201)
}

async fn create_alias(api: &Api, source: &str, destinations: &[&str]) -> Reply {
    send(
        api,
        Method::POST,
        "/api/v1/aliases",
        &json!({ "source": source, "destinations": destinations }),
    )
    .await
}

/// Every password hash of a mailbox in the store.
async fn stored_hashes(t: &TestApp) -> Vec<String> {
    let pool = t.db().await.unwrap();
    let hashes: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM mailboxes")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    hashes
}

async fn count(t: &TestApp, table: &str) -> i64 {
    let sql = match table {
        "mailboxes" => "SELECT count(*) FROM mailboxes",
        "mail_aliases" => "SELECT count(*) FROM mail_aliases",
        other => panic!("no count for {other}"),
    };
    let pool = t.db().await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

/// The mail domain's generation and the one queued for the mail provisioner.
async fn mail_queue(t: &TestApp, domain: &str) -> (i64, Option<i64>) {
    let pool = t.db().await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM domains WHERE name = ?")
        .bind(domain)
        .fetch_one(&pool)
        .await
        .unwrap();
    let generation: i64 = sqlx::query_scalar("SELECT generation FROM mail_domains WHERE id = ?")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let queued: Option<i64> = sqlx::query_scalar(
        "SELECT generation FROM reconcile_queue WHERE kind = 'mail_domain' AND object_id = ?",
    )
    .bind(id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    (generation, queued)
}

/// Asserts no response text carries a password or a stored hash.
fn assert_secret_free(texts: &[&str], hashes: &[String]) {
    for text in texts {
        assert!(!text.contains(MAILBOX_PASSWORD), "password echoed: {text}");
        assert!(!text.contains("$argon2"), "a hash in: {text}");
        assert!(!text.contains("password_hash"), "{text}");
        for h in hashes {
            assert!(!text.contains(h.as_str()), "the stored hash in: {text}");
        }
    }
}

// ---------------------------------------------------------------- mailboxes

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_mailbox_lifecycle_never_shows_the_password() {
    let t = spawn().await;
    let (account, _, api) = owner_api(&t, "radio").await;
    mail_domain(&api, "radio", "radio.example").await;
    let mut texts: Vec<String> = Vec::new();

    let r = send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "Info@Radio.Example", "password": MAILBOX_PASSWORD, "quota_mb": 100 }),
    )
    .await;
    assert_eq!(r.header("location"), "/api/v1/mailboxes/info@radio.example");
    texts.push(r.text.clone());
    let m = r.ok(201);
    assert_eq!(m["address"], "info@radio.example", "{m}");
    assert_eq!(m["display_address"], "info@radio.example");
    assert_eq!(m["account_id"], account);
    assert_eq!(m["quota_mb"], 100);
    assert_eq!(m["enabled"], true);
    assert_eq!(m["deleted_at"], Value::Null);
    assert_eq!(m["status"], "pending");
    assert!(m.get("password").is_none(), "{m}");
    let (generation, queued) = mail_queue(&t, "radio.example").await;
    assert_eq!(queued, Some(generation), "queued for the mail provisioner");

    // Without quota_mb: the configured default, within what is left.
    let r = send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "ada@radio.example", "password": MAILBOX_PASSWORD }),
    )
    .await;
    texts.push(r.text.clone());
    assert_eq!(r.ok(201)["quota_mb"], 1024);

    // The same address twice.
    let r = send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "info@radio.example", "password": MAILBOX_PASSWORD }),
    )
    .await;
    texts.push(r.text.clone());
    let p = r.problem(409, "duplicate");
    assert_eq!(field_rules(&p)[0].0, "address", "{p}");

    // Read back: one mailbox, a list, filters.
    let r = get(&api, "/api/v1/mailboxes/info@radio.example").await;
    texts.push(r.text.clone());
    let one = r.ok(200);
    assert_eq!(one["autoreply"], Value::Null, "{one}");
    let r = get(&api, "/api/v1/mailboxes").await;
    texts.push(r.text.clone());
    assert_eq!(
        addresses(&r.ok(200)),
        ["ada@radio.example", "info@radio.example"]
    );
    let list = get(&api, "/api/v1/mailboxes?domain=radio.example&account=radio")
        .await
        .ok(200);
    assert_eq!(items(&list).len(), 2, "{list}");
    let list = get(&api, &format!("/api/v1/mailboxes?account={account}"))
        .await
        .ok(200);
    assert_eq!(items(&list).len(), 2, "{list}");
    assert!(items(&get(&api, "/api/v1/mailboxes?deleted=true").await.ok(200)).is_empty());
    get(&api, "/api/v1/mailboxes?account=nobody")
        .await
        .problem(404, "not_found");
    get(&api, "/api/v1/mailboxes/nobody@radio.example")
        .await
        .problem(404, "not_found");

    // PATCH: quota and enabled; what is left out stays.
    let r = send(
        &api,
        Method::PATCH,
        "/api/v1/mailboxes/info@radio.example",
        &json!({ "quota_mb": 200 }),
    )
    .await;
    texts.push(r.text.clone());
    let patched = r.ok(200);
    assert_eq!(patched["quota_mb"], 200);
    assert_eq!(patched["enabled"], true);
    let patched = send(
        &api,
        Method::PATCH,
        "/api/v1/mailboxes/info@radio.example",
        &json!({ "enabled": false }),
    )
    .await
    .ok(200);
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["quota_mb"], 200);
    let p = send(
        &api,
        Method::PATCH,
        "/api/v1/mailboxes/info@radio.example",
        &json!({ "quota_mb": 0 }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("quota_mb".to_owned(), "out_of_range".to_owned())]
    );
    send(
        &api,
        Method::PATCH,
        "/api/v1/mailboxes/info@radio.example",
        &json!({ "quota_mb": -1 }),
    )
    .await
    .problem(400, "malformed_body");
    send(
        &api,
        Method::PATCH,
        "/api/v1/mailboxes/info@radio.example",
        &json!({ "password_hash": "x" }),
    )
    .await
    .problem(400, "malformed_body");

    // A new password: 204 with nothing in the body; the hash changes.
    let before = stored_hashes(&t).await;
    let r = send(
        &api,
        Method::PUT,
        "/api/v1/mailboxes/info@radio.example/password",
        &json!({ "password": "another long enough password" }),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty(), "{}", r.text);
    assert_ne!(stored_hashes(&t).await, before);
    let p = send(
        &api,
        Method::PUT,
        "/api/v1/mailboxes/info@radio.example/password",
        &json!({ "password": "short" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(field_rules(&p)[0].0, "password", "{p}");

    // The automatic reply.
    let r = send(
        &api,
        Method::PUT,
        "/api/v1/mailboxes/info@radio.example/autoreply",
        &json!({ "enabled": true, "subject": "Away", "body": "Back on Monday.\nAda",
                 "start_date": "2030-01-01", "end_date": "2030-01-31" }),
    )
    .await;
    texts.push(r.text.clone());
    let with_reply = r.ok(200);
    assert_eq!(
        with_reply["autoreply"],
        json!({ "enabled": true, "subject": "Away", "body": "Back on Monday.\nAda",
                "start_date": "2030-01-01", "end_date": "2030-01-31" }),
        "{with_reply}"
    );
    let p = send(
        &api,
        Method::PUT,
        "/api/v1/mailboxes/info@radio.example/autoreply",
        &json!({ "enabled": true, "subject": "Away", "body": "",
                 "start_date": "2030-02-01", "end_date": "2030-01-31" }),
    )
    .await
    .problem(422, "invalid_input");
    let rules = field_rules(&p);
    assert!(
        rules.contains(&("body".into(), "required".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("end_date".into(), "date_order".into())),
        "{rules:?}"
    );
    let off = send(
        &api,
        Method::PUT,
        "/api/v1/mailboxes/info@radio.example/autoreply",
        &json!({ "enabled": false, "subject": "Away", "body": "Back on Monday.\nAda" }),
    )
    .await
    .ok(200);
    assert_eq!(off["autoreply"]["enabled"], false, "{off}");
    assert_eq!(off["autoreply"]["start_date"], Value::Null, "{off}");

    // Soft delete and restore.
    let r = delete(&api, "/api/v1/mailboxes/info@radio.example").await;
    texts.push(r.text.clone());
    let deleted = r.ok(200);
    assert!(deleted["deleted_at"].is_i64(), "{deleted}");
    assert!(deleted["purge_after"].as_i64().unwrap() > deleted["deleted_at"].as_i64().unwrap());
    assert_eq!(
        addresses(&get(&api, "/api/v1/mailboxes").await.ok(200)),
        ["ada@radio.example"]
    );
    assert_eq!(
        addresses(&get(&api, "/api/v1/mailboxes?deleted=1").await.ok(200)),
        ["info@radio.example"]
    );
    delete(&api, "/api/v1/mailboxes/info@radio.example")
        .await
        .problem(404, "not_found");
    send(
        &api,
        Method::PATCH,
        "/api/v1/mailboxes/info@radio.example",
        &json!({ "quota_mb": 300 }),
    )
    .await
    .problem(404, "not_found");
    let restored = post_empty(&api, "/api/v1/mailboxes/info@radio.example/restore")
        .await
        .ok(200);
    assert_eq!(restored["deleted_at"], Value::Null, "{restored}");
    post_empty(&api, "/api/v1/mailboxes/info@radio.example/restore")
        .await
        .problem(409, "conflict");

    // Nothing said so far carries the password or its hash.
    let hashes = stored_hashes(&t).await;
    assert_eq!(hashes.len(), 2);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    assert_secret_free(&texts, &hashes);
    // Nor does the OpenAPI document describe one.
    let doc = get(&api, "/api/v1/openapi.json").await.ok(200);
    let mailbox = &doc["components"]["schemas"]["MailboxDto"]["properties"];
    assert!(mailbox.is_object(), "{doc}");
    assert!(mailbox.get("password").is_none() && mailbox.get("password_hash").is_none());
    for path in [
        "/api/v1/mailboxes/{address}",
        "/api/v1/aliases/{id}",
        "/api/v1/domains/{name}/mail",
        "/api/v1/domains/{name}/mail/dkim/rotate",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_unicode_domain_addresses() {
    let t = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    mail_domain(&api, "radio", "café.example").await;
    let r = send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "ada@café.example", "password": MAILBOX_PASSWORD }),
    )
    .await;
    assert_eq!(
        r.header("location"),
        "/api/v1/mailboxes/ada@xn--caf-dma.example"
    );
    let m = r.ok(201);
    assert_eq!(m["address"], "ada@xn--caf-dma.example", "{m}");
    assert_eq!(m["display_address"], "ada@café.example");
    // Either spelling names it.
    for path in [
        "/api/v1/mailboxes/ada@café.example",
        "/api/v1/mailboxes/ada@xn--caf-dma.example",
    ] {
        assert_eq!(get(&api, path).await.ok(200)["id"], m["id"], "{path}");
    }
    let list = get(&api, "/api/v1/mailboxes?domain=café.example")
        .await
        .ok(200);
    assert_eq!(addresses(&list), ["ada@xn--caf-dma.example"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_mailbox_quotas_are_409() {
    let t = spawn().await;
    let (account, _, api) = owner_api(&t, "radio").await;
    mail_domain(&api, "radio", "radio.example").await;
    let cli = Actor::operator_cli();
    let tiny = t
        .app
        .quota_profiles()
        .create(
            &cli,
            konbit_app::quota_profile::ProfileInput {
                name: "tiny".into(),
                limits: QuotaLimits {
                    mailboxes: 1,
                    mail_storage_mb: 500,
                    aliases: 1,
                    ..QuotaLimits::starter()
                },
            },
        )
        .await
        .unwrap();
    t.app
        .accounts()
        .update(
            &cli,
            konbit_core::model::AccountId(account),
            konbit_app::account::UpdateAccount {
                quota_profile_id: Some(tiny.id.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // More storage than the account has.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "big@radio.example", "password": MAILBOX_PASSWORD, "quota_mb": 501 }),
    )
    .await
    .problem(409, "quota_exceeded");
    assert!(p["detail"].is_string(), "{p}");
    assert_eq!(count(&t, "mailboxes").await, 0);

    // Within quota: 201; without quota_mb, the default fits what is left.
    let first = send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "one@radio.example", "password": MAILBOX_PASSWORD }),
    )
    .await
    .ok(201);
    assert_eq!(first["quota_mb"], 500, "{first}");
    // One mailbox more than the count allows.
    send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "two@radio.example", "password": MAILBOX_PASSWORD, "quota_mb": 1 }),
    )
    .await
    .problem(409, "quota_exceeded");
    assert_eq!(count(&t, "mailboxes").await, 1);
    // A larger mailbox than the storage left.
    send(
        &api,
        Method::PATCH,
        "/api/v1/mailboxes/one@radio.example",
        &json!({ "quota_mb": 501 }),
    )
    .await
    .problem(409, "quota_exceeded");
    // Aliases count too (catch-alls included).
    send(
        &api,
        Method::POST,
        "/api/v1/aliases",
        &json!({ "source": "info@radio.example", "destinations": ["one@radio.example"] }),
    )
    .await
    .ok(201);
    send(
        &api,
        Method::POST,
        "/api/v1/aliases",
        &json!({ "source": "@radio.example", "destinations": ["one@radio.example"] }),
    )
    .await
    .problem(409, "quota_exceeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_bad_addresses_are_422_naming_the_field() {
    let t = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    mail_domain(&api, "radio", "radio.example").await;
    let before = t.fingerprint().await.unwrap();

    for (address, rule) in [
        // `%` and `!` (source routing) are outside what a local part may hold.
        ("a%b@x", "local_part_format"),
        ("a%b@radio.example", "local_part_format"),
        ("a!b@radio.example", "local_part_format"),
        ("a b@radio.example", "local_part_format"),
        ("a\nb@radio.example", "control_character"),
        ("info@radio.example\n", "control_character"),
        ("radio.example", "email_format"),
        ("", "required"),
    ] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/mailboxes",
            &json!({ "address": address, "password": MAILBOX_PASSWORD }),
        )
        .await
        .problem(422, "invalid_input");
        assert_eq!(
            field_rules(&p),
            [("address".to_owned(), rule.to_owned())],
            "{address:?}: {p}"
        );
        let message = p["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("Address"), "{address:?}: {message}");
    }
    // Every bad field at once.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "a%b@radio.example", "password": "short", "quota_mb": 0 }),
    )
    .await
    .problem(422, "invalid_input");
    let fields: Vec<String> = field_rules(&p).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["address", "password", "quota_mb"], "{p}");

    // A French-speaking caller gets French.
    let res = api
        .request(Method::POST, "/api/v1/mailboxes")
        .header("accept-language", "fr")
        .json(&json!({ "address": "a%b@radio.example", "password": MAILBOX_PASSWORD }))
        .send()
        .await
        .unwrap();
    let p = Reply::of(res).await.problem(422, "invalid_input");
    let message = p["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Adresse") && message.contains("minuscules"),
        "{message}"
    );

    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count(&t, "mailboxes").await, 0);
}

// ---------------------------------------------------------------- who may

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_another_accounts_mail_is_404() {
    let t = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    mail_domain(&api, "radio", "radio.example").await;
    create_mailbox(&api, "info@radio.example").await;
    let alias = create_alias(&api, "contact@radio.example", &["info@radio.example"])
        .await
        .ok(201);
    let alias_path = format!("/api/v1/aliases/{}", alias["id"]);

    // The owner of another account, with every mail scope.
    let (_, _, other) = owner_api(&t, "garden").await;
    let before = t.fingerprint().await.unwrap();
    let mailbox = "/api/v1/mailboxes/info@radio.example";
    get(&other, mailbox).await.problem(404, "not_found");
    send(&other, Method::PATCH, mailbox, &json!({ "enabled": false }))
        .await
        .problem(404, "not_found");
    delete(&other, mailbox).await.problem(404, "not_found");
    post_empty(&other, &format!("{mailbox}/restore"))
        .await
        .problem(404, "not_found");
    send(
        &other,
        Method::PUT,
        &format!("{mailbox}/password"),
        &json!({ "password": "a long enough password" }),
    )
    .await
    .problem(404, "not_found");
    send(
        &other,
        Method::PUT,
        &format!("{mailbox}/autoreply"),
        &json!({ "enabled": true, "subject": "", "body": "Away" }),
    )
    .await
    .problem(404, "not_found");
    get(&other, &alias_path).await.problem(404, "not_found");
    send(
        &other,
        Method::PATCH,
        &alias_path,
        &json!({ "destinations": ["x@elsewhere.example"] }),
    )
    .await
    .problem(404, "not_found");
    delete(&other, &alias_path).await.problem(404, "not_found");
    // Nor can it add to, or read, the domain's mail.
    send(
        &other,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "spy@radio.example", "password": MAILBOX_PASSWORD }),
    )
    .await
    .problem(404, "not_found");
    create_alias(&other, "spy@radio.example", &["x@elsewhere.example"])
        .await
        .problem(404, "not_found");
    get(&other, "/api/v1/domains/radio.example/mail")
        .await
        .problem(404, "not_found");
    send(
        &other,
        Method::PUT,
        "/api/v1/domains/radio.example/mail",
        &json!({ "enabled": false }),
    )
    .await
    .problem(404, "not_found");
    post_empty(&other, "/api/v1/domains/radio.example/mail/dkim/rotate")
        .await
        .problem(404, "not_found");
    get(&other, "/api/v1/mailboxes?account=radio")
        .await
        .problem(404, "not_found");
    get(&other, "/api/v1/aliases?domain=radio.example")
        .await
        .problem(404, "not_found");
    // Its own lists are empty.
    assert!(items(&get(&other, "/api/v1/mailboxes").await.ok(200)).is_empty());
    assert!(items(&get(&other, "/api/v1/aliases").await.ok(200)).is_empty());
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count(&t, "mailboxes").await, 1);
    assert_eq!(count(&t, "mail_aliases").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_needs_the_mail_scope() {
    let t = spawn().await;
    let (_, owner, api) = owner_api(&t, "radio").await;
    mail_domain(&api, "radio", "radio.example").await;
    create_mailbox(&api, "info@radio.example").await;
    let alias = create_alias(&api, "contact@radio.example", &["info@radio.example"])
        .await
        .ok(201);
    let alias_path = format!("/api/v1/aliases/{}", alias["id"]);

    // Domains only: every mail route is 403, reads included.
    let token = t.token_for(&owner, &["domains:write"]).await.unwrap();
    let domains_only = t.api(Some(&token)).unwrap();
    let token = t.token_for(&owner, &["mail:read"]).await.unwrap();
    let reader = t.api(Some(&token)).unwrap();
    let before = t.fingerprint().await.unwrap();
    let mailbox = "/api/v1/mailboxes/info@radio.example";
    for r in [
        get(&domains_only, "/api/v1/mailboxes").await,
        get(&domains_only, mailbox).await,
        get(&domains_only, "/api/v1/aliases").await,
        get(&domains_only, &alias_path).await,
        get(&domains_only, "/api/v1/domains/radio.example/mail").await,
        send(
            &domains_only,
            Method::POST,
            "/api/v1/mailboxes",
            &json!({ "address": "new@radio.example", "password": MAILBOX_PASSWORD }),
        )
        .await,
        send(
            &domains_only,
            Method::PATCH,
            mailbox,
            &json!({ "enabled": false }),
        )
        .await,
        delete(&domains_only, mailbox).await,
        delete(&domains_only, &alias_path).await,
        send(
            &domains_only,
            Method::PUT,
            "/api/v1/domains/radio.example/mail",
            &json!({ "enabled": false }),
        )
        .await,
        // Even for an address that does not exist: no hint either way.
        get(&domains_only, "/api/v1/mailboxes/nobody@nowhere.example").await,
    ] {
        r.problem(403, "insufficient_scope");
    }
    // The domain itself is still reachable with that token.
    get(&domains_only, "/api/v1/domains/radio.example")
        .await
        .ok(200);

    // Reading is not writing.
    assert_eq!(
        addresses(&get(&reader, "/api/v1/mailboxes").await.ok(200)),
        ["info@radio.example"]
    );
    get(&reader, "/api/v1/domains/radio.example/mail")
        .await
        .ok(200);
    send(
        &reader,
        Method::PATCH,
        mailbox,
        &json!({ "enabled": false }),
    )
    .await
    .problem(403, "insufficient_scope");
    create_alias(&reader, "new@radio.example", &["info@radio.example"])
        .await
        .problem(403, "insufficient_scope");
    post_empty(&reader, "/api/v1/domains/radio.example/mail/dkim/rotate")
        .await
        .problem(403, "insufficient_scope");
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count(&t, "mailboxes").await, 1);
    assert_eq!(count(&t, "mail_aliases").await, 1);
}

// ---------------------------------------------------------------- aliases

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_aliases_rules_and_catch_all() {
    let t = spawn().await;
    let (account, _, api) = owner_api(&t, "radio").await;
    mail_domain(&api, "radio", "radio.example").await;
    create_mailbox(&api, "info@radio.example").await;

    let r = create_alias(
        &api,
        "Contact@radio.example",
        &["info@radio.example", "ada@elsewhere.example"],
    )
    .await;
    let a = r.ok(201);
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["source"], "contact@radio.example", "{a}");
    assert_eq!(a["catch_all"], false);
    assert_eq!(a["account_id"], account);
    assert_eq!(
        a["destinations"],
        json!(["info@radio.example", "ada@elsewhere.example"])
    );
    assert_eq!(a["status"], "pending");
    let r = create_alias(&api, "team@radio.example", &["info@radio.example"]).await;
    assert_eq!(r.header("location"), format!("/api/v1/aliases/{}", id + 1));
    r.ok(201);

    // Forward to itself, a loop, over a mailbox, twice the same: 422 with
    // the rule.
    let p = create_alias(&api, "self@radio.example", &["self@radio.example"])
        .await
        .problem(422, "invalid_input");
    assert!(
        field_rules(&p).contains(&("destinations".into(), "forward_to_self".into())),
        "{p}"
    );
    let loop_a = create_alias(&api, "a@radio.example", &["b@radio.example"])
        .await
        .ok(201);
    let p = create_alias(&api, "b@radio.example", &["a@radio.example"])
        .await
        .problem(422, "invalid_input");
    assert!(
        field_rules(&p).contains(&("destinations".into(), "alias_loop".into())),
        "{p}"
    );
    assert!(
        p["errors"][0]["message"].as_str().unwrap().contains("loop"),
        "{p}"
    );
    let p = create_alias(&api, "info@radio.example", &["ada@elsewhere.example"])
        .await
        .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("source".to_owned(), "alias_is_mailbox".to_owned())]
    );
    // A second alias for the same address.
    let p = create_alias(&api, "contact@radio.example", &["ada@elsewhere.example"])
        .await
        .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("source".to_owned(), "duplicate_alias".to_owned())]
    );
    let p = create_alias(&api, "x@radio.example", &["a%b@elsewhere.example"])
        .await
        .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [(
            "destinations".to_owned(),
            "mail_routing_character".to_owned()
        )]
    );
    let p = create_alias(&api, "x@radio.example", &[])
        .await
        .problem(422, "invalid_input");
    assert_eq!(field_rules(&p)[0].0, "destinations", "{p}");
    let p = create_alias(&api, "a\nb@radio.example", &["info@radio.example"])
        .await
        .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("source".to_owned(), "control_character".to_owned())]
    );
    // A domain without mail takes no alias.
    send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "quiet.example" }),
    )
    .await
    .ok(201);
    create_alias(&api, "x@quiet.example", &["info@radio.example"])
        .await
        .problem(409, "conflict");

    // The catch-all, written `@domain` or `*@domain`.
    let all = create_alias(&api, "@radio.example", &["info@radio.example"])
        .await
        .ok(201);
    assert_eq!(all["source"], "@radio.example", "{all}");
    assert_eq!(all["catch_all"], true);
    // One catch-all per domain.
    let p = create_alias(&api, "*@radio.example", &["ada@elsewhere.example"])
        .await
        .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("source".to_owned(), "duplicate_alias".to_owned())]
    );

    // List, filter, get.
    let list = get(&api, "/api/v1/aliases").await.ok(200);
    let sources: Vec<&str> = items(&list)
        .iter()
        .map(|a| a["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources.len(), 4, "{list}");
    assert!(sources.contains(&"@radio.example"), "{sources:?}");
    let list = get(&api, "/api/v1/aliases?domain=radio.example&account=radio")
        .await
        .ok(200);
    assert_eq!(items(&list).len(), 4);
    get(&api, "/api/v1/aliases?domain=quiet.example")
        .await
        .ok(200);
    let one = get(&api, &format!("/api/v1/aliases/{id}")).await.ok(200);
    assert_eq!(one["source"], "contact@radio.example");
    get(&api, "/api/v1/aliases/abc")
        .await
        .problem(404, "not_found");
    get(&api, "/api/v1/aliases/999999")
        .await
        .problem(404, "not_found");

    // PATCH replaces the destinations, with the same rules.
    let patched = send(
        &api,
        Method::PATCH,
        &format!("/api/v1/aliases/{id}"),
        &json!({ "destinations": ["grace@elsewhere.example"] }),
    )
    .await
    .ok(200);
    assert_eq!(patched["destinations"], json!(["grace@elsewhere.example"]));
    let p = send(
        &api,
        Method::PATCH,
        &format!("/api/v1/aliases/{}", loop_a["id"]),
        &json!({ "destinations": ["a@radio.example"] }),
    )
    .await
    .problem(422, "invalid_input");
    assert!(
        field_rules(&p).contains(&("destinations".into(), "forward_to_self".into())),
        "{p}"
    );
    send(
        &api,
        Method::PATCH,
        &format!("/api/v1/aliases/{id}"),
        &json!({ "source": "other@radio.example", "destinations": ["x@y.example"] }),
    )
    .await
    .problem(400, "malformed_body");

    // Delete: 204, then gone.
    let r = delete(&api, &format!("/api/v1/aliases/{id}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    get(&api, &format!("/api/v1/aliases/{id}"))
        .await
        .problem(404, "not_found");
    delete(&api, &format!("/api/v1/aliases/{id}"))
        .await
        .problem(404, "not_found");
    let (generation, queued) = mail_queue(&t, "radio.example").await;
    assert_eq!(queued, Some(generation));
}

// ---------------------------------------------------------------- domain mail

/// The records of a domain as `GET /api/v1/domains/{name}` shows them.
async fn domain_records(api: &Api, name: &str) -> Vec<Value> {
    get(api, &format!("/api/v1/domains/{name}")).await.ok(200)["records"]
        .as_array()
        .unwrap()
        .clone()
}

fn has_record(records: &[Value], name: &str, rtype: &str, value_start: &str) -> bool {
    records.iter().any(|r| {
        r["name"] == name
            && r["type"] == rtype
            && r["value"]
                .as_str()
                .is_some_and(|v| v.trim_start_matches('"').starts_with(value_start))
    })
}

fn dkim_records(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .filter(|r| r["type"] == "TXT" && r["name"].as_str().unwrap().ends_with("._domainkey"))
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_on_adds_records_and_off_is_refused_while_in_use() {
    let t = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "radio.example" }),
    )
    .await
    .ok(201);

    let off = get(&api, "/api/v1/domains/radio.example/mail")
        .await
        .ok(200);
    assert_eq!(off["enabled"], false, "{off}");
    assert_eq!(off["status"], Value::Null);
    assert_eq!(off["dkim"], json!([]));
    assert_eq!(off["client"]["imap_port"], 993);
    let records = domain_records(&api, "radio.example").await;
    assert!(!has_record(&records, "", "MX", ""), "{records:?}");
    // No mailbox before mail is on.
    send(
        &api,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({ "address": "info@radio.example", "password": MAILBOX_PASSWORD }),
    )
    .await
    .problem(409, "conflict");

    let on = send(
        &api,
        Method::PUT,
        "/api/v1/domains/radio.example/mail",
        &json!({ "enabled": true }),
    )
    .await
    .ok(200);
    assert_eq!(on["enabled"], true, "{on}");
    assert_eq!(on["domain"], "radio.example");
    assert_eq!(on["status"], "pending");
    let dkim = on["dkim"].as_array().unwrap();
    assert_eq!(dkim.len(), 1, "{on}");
    assert_eq!(dkim[0]["signing"], true);
    let selector = dkim[0]["selector"].as_str().unwrap().to_owned();
    assert_eq!(
        dkim[0]["name"],
        format!("{selector}._domainkey.radio.example")
    );
    assert!(dkim[0]["txt"].as_str().unwrap().contains("v=DKIM1"), "{on}");
    let (generation, queued) = mail_queue(&t, "radio.example").await;
    assert_eq!(queued, Some(generation));

    // The zone now has the MX, SPF, DMARC and DKIM records.
    let records = domain_records(&api, "radio.example").await;
    assert!(
        has_record(&records, "", "MX", "10 mx.coop.test"),
        "{records:?}"
    );
    assert!(has_record(&records, "", "TXT", "v=spf1"), "{records:?}");
    assert!(
        has_record(&records, "_dmarc", "TXT", "v=DMARC1"),
        "{records:?}"
    );
    assert!(
        has_record(
            &records,
            &format!("{selector}._domainkey"),
            "TXT",
            "v=DKIM1"
        ),
        "{records:?}"
    );
    // Asking again changes nothing.
    let again = send(
        &api,
        Method::PUT,
        "/api/v1/domains/radio.example/mail",
        &json!({ "enabled": true }),
    )
    .await
    .ok(200);
    assert_eq!(again["dkim"], on["dkim"]);
    assert_eq!(
        domain_records(&api, "radio.example").await.len(),
        records.len()
    );
    send(
        &api,
        Method::PUT,
        "/api/v1/domains/radio.example/mail",
        &json!({ "enabled": "yes" }),
    )
    .await
    .problem(400, "malformed_body");

    // Off is refused while a mailbox, then an alias, exists.
    create_mailbox(&api, "info@radio.example").await;
    let p = send(
        &api,
        Method::PUT,
        "/api/v1/domains/radio.example/mail",
        &json!({ "enabled": false }),
    )
    .await
    .problem(409, "mail_in_use");
    assert!(p["title"].as_str().unwrap().contains("mailboxes"), "{p}");
    // A deleted mailbox still holds its mail until it is purged.
    delete(&api, "/api/v1/mailboxes/info@radio.example")
        .await
        .ok(200);
    send(
        &api,
        Method::PUT,
        "/api/v1/domains/radio.example/mail",
        &json!({ "enabled": false }),
    )
    .await
    .problem(409, "mail_in_use");
    // Purged (as the purge does once the grace period is over).
    let pool = t.db().await.unwrap();
    sqlx::query("DELETE FROM mailboxes")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let alias = create_alias(&api, "contact@radio.example", &["x@elsewhere.example"])
        .await
        .ok(201);
    send(
        &api,
        Method::PUT,
        "/api/v1/domains/radio.example/mail",
        &json!({ "enabled": false }),
    )
    .await
    .problem(409, "mail_in_use");
    assert!(has_record(
        &domain_records(&api, "radio.example").await,
        "",
        "MX",
        "10 "
    ));

    // With nothing left, off removes the records mail added.
    delete(&api, &format!("/api/v1/aliases/{}", alias["id"]))
        .await
        .ok(204);
    let off = send(
        &api,
        Method::PUT,
        "/api/v1/domains/radio.example/mail",
        &json!({ "enabled": false }),
    )
    .await
    .ok(200);
    assert_eq!(off["enabled"], false, "{off}");
    let records = domain_records(&api, "radio.example").await;
    assert!(!has_record(&records, "", "MX", ""), "{records:?}");
    assert!(dkim_records(&records).is_empty(), "{records:?}");
    assert!(has_record(&records, "", "NS", ""), "{records:?}");
    // Rotating needs mail on.
    post_empty(&api, "/api/v1/domains/radio.example/mail/dkim/rotate")
        .await
        .problem(409, "conflict");
    get(&api, "/api/v1/domains/nowhere.example/mail")
        .await
        .problem(404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_api_dkim_rotation_keeps_two_keys() {
    let t = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let on = mail_domain(&api, "radio", "radio.example").await;
    let first = on["dkim"][0]["selector"].as_str().unwrap().to_owned();

    let rotate = || async {
        post_empty(&api, "/api/v1/domains/radio.example/mail/dkim/rotate")
            .await
            .ok(200)
    };
    let once = rotate().await;
    let keys = once["dkim"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{once}");
    assert_eq!(keys[0]["signing"], true);
    assert_eq!(keys[1]["signing"], false);
    assert_eq!(keys[1]["selector"], first.as_str(), "the old key stays");
    let second = keys[0]["selector"].as_str().unwrap().to_owned();
    assert_ne!(second, first);

    let twice = rotate().await;
    let keys = twice["dkim"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{twice}");
    let selectors: Vec<&str> = keys
        .iter()
        .map(|k| k["selector"].as_str().unwrap())
        .collect();
    assert_eq!(selectors[1], second, "{twice}");
    assert!(!selectors.contains(&first.as_str()), "the oldest goes");

    // The zone publishes exactly the two kept keys.
    let mut published = dkim_records(&domain_records(&api, "radio.example").await);
    published.sort();
    let mut expected: Vec<String> = selectors
        .iter()
        .map(|s| format!("{s}._domainkey"))
        .collect();
    expected.sort();
    assert_eq!(published, expected);
    let pool = t.db().await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM dkim_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(stored, 2);
    // The private key is never shown.
    let text = get(&api, "/api/v1/domains/radio.example/mail").await.text;
    assert!(!text.contains("PRIVATE KEY"), "{text}");
}
