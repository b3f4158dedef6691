//! Mailing lists through the REST API only, without Mailman: the contract
//! of `/api/v1/lists`, what the store holds afterwards, and that no
//! hostile value gets past the rules towards Mailman or a mail header.

use crate::api::{Reply, delete, field_rules, get, items, post_empty, send};
use konbit_app::AppConfig;
use konbit_app::list::ListConfig;
use konbit_core::authz::Actor;
use konbit_core::quota::QuotaLimits;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person};
use reqwest::Method;
use serde_json::{Value, json};

fn addresses(list: &Value) -> Vec<String> {
    items(list)
        .iter()
        .map(|l| l["address"].as_str().unwrap().to_owned())
        .collect()
}

/// A server that hosts mailing lists (or not).
async fn spawn(enabled: bool) -> TestApp {
    TestApp::spawn_with(AppConfig {
        lists: ListConfig { enabled },
        ..AppConfig::default()
    })
    .await
    .unwrap()
}

/// Account `name` with its domain `<name>.example`, mail on (made by the
/// operator), its owner, and an API client for that owner with the
/// `lists:write` scope alone: making a list needs no mail scope.
async fn owner_api(t: &TestApp, name: &str) -> (i64, Person, Api) {
    let (account, owner, _) = t.seed_account(name).await.unwrap();
    mail_domain(t, account.0, &format!("{name}.example")).await;
    let token = t.token_for(&owner, &["lists:write"]).await.unwrap();
    (account.0, owner, t.api(Some(&token)).unwrap())
}

/// A domain of the account with mail on.
async fn mail_domain(t: &TestApp, account: i64, name: &str) {
    t.app
        .domains()
        .create(
            &Actor::operator_cli(),
            konbit_app::domain::CreateDomain {
                account_id: account,
                name: name.to_owned(),
                mail: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

async fn create(api: &Api, body: Value) -> Value {
    send(api, Method::POST, "/api/v1/lists", &body)
        .await
        .ok(201)
}

/// Every stored list, every column: what "nothing changed" compares.
async fn stored(t: &TestApp) -> Vec<String> {
    let pool = t.db().await.unwrap();
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT id || '|' || account_id || '|' || domain_id || '|' || name || '|' || description \
         || '|' || subscription || '|' || posting || '|' || reply_to || '|' \
         || coalesce(reply_to_address, '-') || '|' || munge_from || archives || digest || '|' \
         || language || '|' || coalesce(deleted_at, '-') || '|' || generation \
         FROM mailing_lists ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

/// The generation queued for one object of a kind, if any.
async fn queued(t: &TestApp, kind: &str, id: i64) -> Option<i64> {
    let pool = t.db().await.unwrap();
    let g: Option<i64> = sqlx::query_scalar(
        "SELECT generation FROM reconcile_queue WHERE kind = ? AND object_id = ?",
    )
    .bind(kind)
    .bind(id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    g
}

/// Gives the account a quota profile with room for `lists` mailing lists.
async fn allow_lists(t: &TestApp, account: i64, lists: u64) {
    let limits = QuotaLimits {
        mailing_lists: lists,
        ..QuotaLimits::starter()
    };
    crate::api::give_quota(t, account, &format!("lists{lists}"), limits).await;
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test(flavor = "multi_thread")]
async fn list_api_create_read_update_delete_and_restore() {
    let t = spawn(true).await;
    let (account, _, api) = owner_api(&t, "radio").await;

    // The least a body may say: the address; the settings take their
    // defaults.
    let r = send(
        &api,
        Method::POST,
        "/api/v1/lists",
        &json!({ "address": "News@Radio.Example" }),
    )
    .await;
    let location = r.header("location").to_owned();
    let news = r.ok(201);
    let id = news["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/lists/{id}"));
    assert_eq!(news["address"], "news@radio.example", "{news}");
    assert_eq!(news["name"], "news");
    assert_eq!(news["domain"], "radio.example");
    assert_eq!(news["account"], "radio");
    assert_eq!(news["account_id"], account);
    assert_eq!(
        news["settings"],
        json!({
            "description": "",
            "subscription": "confirm",
            "posting": "members",
            "reply_to": "author",
            "reply_to_address": null,
            "munge_from": true,
            "archives": true,
            "digest": false,
            "language": "fr",
        })
    );
    assert_eq!(news["deleted_at"], Value::Null);
    assert_eq!(news["purge_after"], Value::Null);
    assert_eq!(news["status"]["state"], "pending");
    assert_eq!(news["status"]["generation"], 1);
    assert_eq!(queued(&t, "mailing_list", id).await, Some(1));
    let domain_id: i64 = {
        let pool = t.db().await.unwrap();
        let d = sqlx::query_scalar("SELECT id FROM domains WHERE name = 'radio.example'")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        d
    };
    assert!(
        queued(&t, "mail_domain", domain_id).await.is_some(),
        "the mail servers route the list's addresses to Mailman"
    );

    // Every setting given.
    let team = create(
        &api,
        json!({
            "address": "team@radio.example",
            "description": "  The team's discussion  ",
            "subscription": "moderate",
            "posting": "anyone",
            "reply_to": "address",
            "reply_to_address": "Desk@Radio.Example",
            "munge_from": false,
            "archives": false,
            "digest": true,
            "language": "en",
        }),
    )
    .await;
    assert_eq!(
        team["settings"],
        json!({
            "description": "The team's discussion",
            "subscription": "moderate",
            "posting": "anyone",
            "reply_to": "address",
            "reply_to_address": "desk@radio.example",
            "munge_from": false,
            "archives": false,
            "digest": true,
            "language": "en",
        }),
        "{team}"
    );
    // A reply address alone means replies go there.
    let desk = create(
        &api,
        json!({ "address": "desk.info@radio.example", "reply_to_address": "desk@radio.example" }),
    )
    .await;
    assert_eq!(desk["settings"]["reply_to"], "address", "{desk}");
    assert_eq!(desk["settings"]["reply_to_address"], "desk@radio.example");

    // Read: the list, by account name or id, and one list.
    let all = get(&api, "/api/v1/lists").await.ok(200);
    assert_eq!(
        addresses(&all),
        [
            "desk.info@radio.example",
            "news@radio.example",
            "team@radio.example"
        ]
    );
    for q in ["radio".to_owned(), account.to_string()] {
        let by = get(&api, &format!("/api/v1/lists?account={q}"))
            .await
            .ok(200);
        assert_eq!(items(&by).len(), 3, "{by}");
    }
    get(&api, "/api/v1/lists?account=nobody")
        .await
        .problem(404, "not_found");
    let path = format!("/api/v1/lists/{id}");
    assert_eq!(get(&api, &path).await.ok(200), news);

    // Update: what is left out stays.
    let v = send(
        &api,
        Method::PATCH,
        &path,
        &json!({ "description": "Radio news", "posting": "moderated" }),
    )
    .await
    .ok(200);
    assert_eq!(v["settings"]["description"], "Radio news", "{v}");
    assert_eq!(v["settings"]["posting"], "moderated");
    assert_eq!(v["settings"]["subscription"], "confirm");
    assert_eq!(v["settings"]["munge_from"], true);
    assert_eq!(v["settings"]["language"], "fr");
    assert_eq!(v["status"]["generation"], 2);
    assert_eq!(queued(&t, "mailing_list", id).await, Some(2));
    let v = send(
        &api,
        Method::PATCH,
        &path,
        &json!({ "reply_to": "list", "digest": true, "munge_from": false, "language": "en",
                 "subscription": "open", "description": null }),
    )
    .await
    .ok(200);
    assert_eq!(v["settings"]["reply_to"], "list", "{v}");
    assert_eq!(v["settings"]["reply_to_address"], Value::Null);
    assert_eq!(v["settings"]["digest"], true);
    assert_eq!(v["settings"]["munge_from"], false);
    assert_eq!(v["settings"]["language"], "en");
    assert_eq!(v["settings"]["subscription"], "open");
    assert_eq!(v["settings"]["description"], "Radio news", "null keeps it");
    let v = send(
        &api,
        Method::PATCH,
        &path,
        &json!({ "reply_to_address": "editor@radio.example" }),
    )
    .await
    .ok(200);
    assert_eq!(v["settings"]["reply_to"], "address", "{v}");
    assert_eq!(v["settings"]["reply_to_address"], "editor@radio.example");
    // An empty body changes no setting.
    let same = send(&api, Method::PATCH, &path, &json!({})).await.ok(200);
    assert_eq!(same["settings"], v["settings"]);
    assert_eq!(get(&api, &path).await.ok(200)["settings"], v["settings"]);

    // Delete: kept, and restorable, until the purge; mail stops at once.
    let v = delete(&api, &path).await.ok(200);
    let deleted_at = v["deleted_at"].as_i64().unwrap();
    assert!(v["purge_after"].as_i64().unwrap() > deleted_at, "{v}");
    let generation = v["status"]["generation"].as_i64().unwrap();
    assert_eq!(queued(&t, "mailing_list", id).await, Some(generation));
    assert_eq!(get(&api, &path).await.ok(200)["deleted_at"], deleted_at);
    assert_eq!(
        addresses(&get(&api, "/api/v1/lists").await.ok(200)),
        ["desk.info@radio.example", "team@radio.example"]
    );
    assert_eq!(
        addresses(&get(&api, "/api/v1/lists?deleted=true").await.ok(200)),
        [
            "desk.info@radio.example",
            "news@radio.example",
            "team@radio.example"
        ]
    );
    // A deleted list is not changed, deleted again, nor taken again.
    send(&api, Method::PATCH, &path, &json!({ "digest": false }))
        .await
        .problem(404, "not_found");
    delete(&api, &path).await.problem(404, "not_found");
    let p = send(
        &api,
        Method::POST,
        "/api/v1/lists",
        &json!({ "address": "news@radio.example" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("address".to_owned(), "name_taken".to_owned())]
    );

    // Restore: back with its settings; restoring a live list is a 409.
    let v = post_empty(&api, &format!("{path}/restore")).await.ok(200);
    assert_eq!(v["deleted_at"], Value::Null, "{v}");
    assert_eq!(v["purge_after"], Value::Null);
    assert_eq!(v["settings"]["reply_to_address"], "editor@radio.example");
    assert_eq!(v["status"]["generation"], generation + 1);
    post_empty(&api, &format!("{path}/restore"))
        .await
        .problem(409, "conflict");
    assert_eq!(items(&get(&api, "/api/v1/lists").await.ok(200)).len(), 3);

    // Unknown or malformed ids.
    for p in ["/api/v1/lists/999999", "/api/v1/lists/abc"] {
        get(&api, p).await.problem(404, "not_found");
        delete(&api, p).await.problem(404, "not_found");
        send(&api, Method::PATCH, p, &json!({}))
            .await
            .problem(404, "not_found");
        post_empty(&api, &format!("{p}/restore"))
            .await
            .problem(404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_api_quota_of_lists_is_409() {
    let t = spawn(true).await;
    let (account, _, api) = owner_api(&t, "radio").await;
    allow_lists(&t, account, 1).await;
    let first = create(&api, json!({ "address": "news@radio.example" })).await;
    let before = t.fingerprint().await.unwrap();
    let rows = stored(&t).await;
    let p = send(
        &api,
        Method::POST,
        "/api/v1/lists",
        &json!({ "address": "team@radio.example" }),
    )
    .await
    .problem(409, "quota_exceeded");
    assert_eq!(
        p["detail"], "Mailing lists: the quota allows 1, and this would go past it.",
        "{p}"
    );
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(stored(&t).await, rows);
    // Changing the one list is not a new one.
    let path = format!("/api/v1/lists/{}", first["id"]);
    send(&api, Method::PATCH, &path, &json!({ "digest": true }))
        .await
        .ok(200);
    // A deleted list keeps its place (its name and archive stay), so it
    // can always be restored.
    delete(&api, &path).await.ok(200);
    send(
        &api,
        Method::POST,
        "/api/v1/lists",
        &json!({ "address": "team@radio.example" }),
    )
    .await
    .problem(409, "quota_exceeded");
    post_empty(&api, &format!("{path}/restore")).await.ok(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_api_needs_lists_set_up_and_mail_on() {
    let t = spawn(false).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let p = send(
        &api,
        Method::POST,
        "/api/v1/lists",
        &json!({ "address": "news@radio.example" }),
    )
    .await
    .problem(409, "conflict");
    assert!(p["detail"].as_str().unwrap().contains("not set up"), "{p}");
    assert!(stored(&t).await.is_empty());
    assert!(items(&get(&api, "/api/v1/lists").await.ok(200)).is_empty());

    // On a server with lists: a domain without mail takes none, and an
    // unknown domain is nobody's.
    let t = spawn(true).await;
    let (account, _, api) = owner_api(&t, "radio").await;
    t.app
        .domains()
        .create(
            &Actor::operator_cli(),
            konbit_app::domain::CreateDomain {
                account_id: account,
                name: "quiet.example".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let p = send(
        &api,
        Method::POST,
        "/api/v1/lists",
        &json!({ "address": "news@quiet.example" }),
    )
    .await
    .problem(409, "conflict");
    assert!(p["detail"].as_str().unwrap().contains("mail is off"), "{p}");
    for address in ["news@nowhere.example", "news@../etc", "news@"] {
        send(
            &api,
            Method::POST,
            "/api/v1/lists",
            &json!({ "address": address }),
        )
        .await
        .problem(404, "not_found");
    }
    assert!(stored(&t).await.is_empty());
}

// ---------------------------------------------------------------- hostile input

#[tokio::test(flavor = "multi_thread")]
async fn list_api_hostile_values_are_422_naming_the_field() {
    let t = spawn(true).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let existing = create(
        &api,
        json!({ "address": "news@radio.example", "description": "News" }),
    )
    .await;
    let existing_path = format!("/api/v1/lists/{}", existing["id"]);
    // An alias takes an address Mailman would answer for a list `info`.
    t.app
        .mail_aliases()
        .create(
            &Actor::operator_cli(),
            konbit_app::mail_alias::CreateAlias {
                source: "info-request@radio.example".into(),
                destinations: vec!["someone@elsewhere.example".into()],
            },
        )
        .await
        .unwrap();
    let before = t.fingerprint().await.unwrap();
    let rows = stored(&t).await;

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
            send(api, Method::POST, "/api/v1/lists", &body)
                .await
                .problem(422, "invalid_input")
        }
    };

    // The name: nothing that could leave Mailman's REST paths, a mail
    // header or Postfix's maps, nor another list's or a person's address.
    for (name, rules) in [
        ("a'b", &["list_name_format"][..]),
        ("a\"b", &["list_name_format"]),
        ("a\nb", &["control_character"]),
        ("a\rb", &["control_character"]),
        ("a\0b", &["control_character"]),
        ("../team", &["list_name_format"]),
        ("..", &["list_name_format"]),
        ("a/b", &["list_name_format"]),
        ("a\\b", &["list_name_format"]),
        ("a b", &["list_name_format"]),
        ("a..b", &["list_name_format"]),
        ("-team", &["list_name_format"]),
        ("team.", &["list_name_format"]),
        ("tèam", &["list_name_format"]),
        ("a+b", &["list_name_format"]),
        ("a%b", &["list_name_format"]),
        ("a;b", &["list_name_format"]),
        ("a,b", &["list_name_format"]),
        ("", &["required"]),
        ("team-bounces", &["reserved"]),
        ("team-request", &["reserved"]),
        ("team-owner", &["reserved"]),
        ("x-unsubscribe", &["reserved"]),
        ("postmaster", &["reserved"]),
        ("abuse", &["reserved"]),
        ("news", &["name_taken"]),
        ("info", &["list_address_taken"]),
    ] {
        let p = create_refused(json!({ "address": format!("{name}@radio.example") })).await;
        refused(p, "address", rules, &format!("{name:?}"));
    }
    let p = create_refused(json!({ "address": format!("{}@radio.example", "a".repeat(41)) })).await;
    refused(p.clone(), "address", &["too_long"], "41 characters");
    assert_eq!(p["errors"][0]["max"], 40, "{p}");
    for address in ["news", "", "news radio.example"] {
        let p = create_refused(json!({ "address": address })).await;
        refused(p, "address", &["email_format"], &format!("{address:?}"));
    }

    // The settings, on create and on update alike.
    let bad_settings: Vec<(Value, &str, &[&str])> = vec![
        (
            json!({ "description": "News\nBcc: all@elsewhere.example" }),
            "description",
            &["control_character"],
        ),
        (
            json!({ "description": "News\r" }),
            "description",
            &["control_character"],
        ),
        (
            json!({ "description": "a".repeat(201) }),
            "description",
            &["too_long"],
        ),
        (
            json!({ "subscription": "everyone" }),
            "subscription",
            &["unknown_choice"],
        ),
        (
            json!({ "posting": "mem\nbers" }),
            "posting",
            &["unknown_choice"],
        ),
        (
            json!({ "reply_to": "sender" }),
            "reply_to",
            &["unknown_choice"],
        ),
        (
            json!({ "reply_to": "address" }),
            "reply_to_address",
            &["required", "email_format"],
        ),
        (
            json!({ "reply_to": "address", "reply_to_address": "nope" }),
            "reply_to_address",
            &["email_format"],
        ),
        (
            json!({ "reply_to_address": "a@radio.example\nBcc: x@elsewhere.example" }),
            "reply_to_address",
            &["control_character", "email_format"],
        ),
        (
            json!({ "reply_to_address": "a\"b@radio.example" }),
            "reply_to_address",
            &["email_format", "unsafe_character"],
        ),
        (json!({ "language": "de" }), "language", &["unknown_choice"]),
        (
            json!({ "language": "../fr" }),
            "language",
            &["unknown_choice"],
        ),
    ];
    for (settings, field, rules) in &bad_settings {
        let mut body = settings.clone();
        body["address"] = json!("team@radio.example");
        let p = create_refused(body).await;
        refused(p, field, rules, &format!("create {settings}"));
        let p = send(&api, Method::PATCH, &existing_path, settings)
            .await
            .problem(422, "invalid_input");
        refused(p, field, rules, &format!("update {settings}"));
    }
    // Every bad field at once, each named.
    let p = create_refused(
        json!({ "address": "a'b@radio.example", "description": "a\nb",
                                   "subscription": "x", "posting": "x", "language": "x" }),
    )
    .await;
    let fields: Vec<String> = field_rules(&p).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "address",
            "description",
            "subscription",
            "posting",
            "language"
        ],
        "{p}"
    );

    // Malformed bodies are 400.
    for body in [
        json!({ "address": "team@radio.example", "name": "team" }),
        json!({ "address": 7 }),
        json!({ "description": "x" }),
        json!({ "address": "team@radio.example", "digest": "yes" }),
        json!({ "address": "team@radio.example", "subscription": ["open"] }),
    ] {
        send(&api, Method::POST, "/api/v1/lists", &body)
            .await
            .problem(400, "malformed_body");
    }
    for body in [
        json!({ "address": "other@radio.example" }),
        json!({ "name": "other" }),
        json!({ "archives": 1 }),
    ] {
        send(&api, Method::PATCH, &existing_path, &body)
            .await
            .problem(400, "malformed_body");
    }

    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(stored(&t).await, rows);
    let unchanged = get(&api, &existing_path).await.ok(200);
    assert_eq!(unchanged["settings"]["description"], "News", "{unchanged}");
    assert_eq!(unchanged["status"]["generation"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_api_errors_are_worded_in_french_too() {
    let t = spawn(true).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let res = api
        .request(Method::POST, "/api/v1/lists")
        .header("accept-language", "fr")
        .json(
            &json!({ "address": "a'b@radio.example", "description": "a\nb",
                        "subscription": "x", "posting": "x", "reply_to": "address",
                        "language": "x" }),
        )
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
    assert_eq!(messages.len(), 6, "{p}");
    assert!(messages[0].starts_with("Adresse : utilisez"), "{p}");
    assert!(messages[1].starts_with("Description : "), "{p}");
    assert!(messages[2].starts_with("Qui peut s'inscrire : "), "{p}");
    assert!(messages[3].starts_with("Qui peut écrire : "), "{p}");
    assert!(messages[4].starts_with("Langue de la liste : "), "{p}");
    assert!(messages[5].starts_with("Adresse de réponse : "), "{p}");
    // And in English without Accept-Language.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/lists",
        &json!({ "address": "team@radio.example", "posting": "x" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        p["errors"][0]["message"],
        "Who may post: this choice is not valid."
    );
}

// ---------------------------------------------------------------- who may

#[tokio::test(flavor = "multi_thread")]
async fn list_api_another_accounts_lists_are_404() {
    let t = spawn(true).await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let l = create(&api, json!({ "address": "news@radio.example" })).await;
    let path = format!("/api/v1/lists/{}", l["id"]);
    let (_, _, other) = owner_api(&t, "garden").await;
    let before = t.fingerprint().await.unwrap();
    let rows = stored(&t).await;

    get(&other, &path).await.problem(404, "not_found");
    send(
        &other,
        Method::PATCH,
        &path,
        &json!({ "posting": "anyone" }),
    )
    .await
    .problem(404, "not_found");
    delete(&other, &path).await.problem(404, "not_found");
    post_empty(&other, &format!("{path}/restore"))
        .await
        .problem(404, "not_found");
    get(&other, "/api/v1/lists?account=radio")
        .await
        .problem(404, "not_found");
    // Nor can it add a list on the other account's domain.
    send(
        &other,
        Method::POST,
        "/api/v1/lists",
        &json!({ "address": "spy@radio.example" }),
    )
    .await
    .problem(404, "not_found");
    let mine = get(&other, "/api/v1/lists").await;
    assert!(!mine.text.contains("radio"), "{}", mine.text);
    assert!(items(&mine.ok(200)).is_empty());
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(stored(&t).await, rows);

    // A deleted list of the other account is no more reachable.
    delete(&api, &path).await.ok(200);
    let rows = stored(&t).await;
    post_empty(&other, &format!("{path}/restore"))
        .await
        .problem(404, "not_found");
    assert!(items(&get(&other, "/api/v1/lists?deleted=true").await.ok(200)).is_empty());
    assert_eq!(stored(&t).await, rows);

    let own = create(&other, json!({ "address": "news@garden.example" })).await;
    assert_eq!(own["account"], "garden");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_api_needs_the_lists_scope() {
    let t = spawn(true).await;
    let (_, owner, api) = owner_api(&t, "radio").await;
    let l = create(&api, json!({ "address": "news@radio.example" })).await;
    let path = format!("/api/v1/lists/{}", l["id"]);
    let token = t
        .token_for(&owner, &["mail:write", "domains:write"])
        .await
        .unwrap();
    let mail_only = t.api(Some(&token)).unwrap();
    let token = t.token_for(&owner, &["lists:read"]).await.unwrap();
    let reader = t.api(Some(&token)).unwrap();
    let anonymous = t.api(None).unwrap();
    let before = t.fingerprint().await.unwrap();
    let rows = stored(&t).await;
    let new = json!({ "address": "team@radio.example" });
    let patch = json!({ "posting": "anyone" });

    // Without the scope: 403, reads included, and for ids that exist or
    // not alike, so the answer tells nothing about which ids are taken.
    for p in [path.as_str(), "/api/v1/lists/999999"] {
        for r in [
            get(&mail_only, "/api/v1/lists").await,
            get(&mail_only, p).await,
            send(&mail_only, Method::POST, "/api/v1/lists", &new).await,
            send(&mail_only, Method::PATCH, p, &patch).await,
            delete(&mail_only, p).await,
            post_empty(&mail_only, &format!("{p}/restore")).await,
        ] {
            r.problem(403, "insufficient_scope");
        }
    }
    // Reading is not writing.
    assert_eq!(
        addresses(&get(&reader, "/api/v1/lists").await.ok(200)),
        ["news@radio.example"]
    );
    get(&reader, &path).await.ok(200);
    for p in [path.as_str(), "/api/v1/lists/999999"] {
        for r in [
            send(&reader, Method::POST, "/api/v1/lists", &new).await,
            send(&reader, Method::PATCH, p, &patch).await,
            delete(&reader, p).await,
            post_empty(&reader, &format!("{p}/restore")).await,
        ] {
            r.problem(403, "insufficient_scope");
        }
    }
    for r in [
        get(&anonymous, "/api/v1/lists").await,
        get(&anonymous, &path).await,
        send(&anonymous, Method::POST, "/api/v1/lists", &new).await,
        send(&anonymous, Method::PATCH, &path, &patch).await,
        delete(&anonymous, &path).await,
        post_empty(&anonymous, &format!("{path}/restore")).await,
    ] {
        assert_eq!(r.status, 401, "{}", r.text);
    }
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(stored(&t).await, rows);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_api_is_in_the_openapi_document() {
    let t = TestApp::spawn().await.unwrap();
    let api = t.api(None).unwrap();
    let doc = get(&api, "/api/v1/openapi.json").await.ok(200);
    for (path, methods) in [
        ("/api/v1/lists", &["get", "post"][..]),
        ("/api/v1/lists/{id}", &["get", "patch", "delete"]),
        ("/api/v1/lists/{id}/restore", &["post"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} documented");
            assert_eq!(doc["paths"][path][m]["tags"], json!(["lists"]), "{path}");
        }
    }
    let schemas = &doc["components"]["schemas"];
    let settings = [
        "description",
        "subscription",
        "posting",
        "reply_to",
        "reply_to_address",
        "munge_from",
        "archives",
        "digest",
        "language",
    ];
    let body = &schemas["CreateListBody"]["properties"];
    for field in std::iter::once("address").chain(settings) {
        assert!(body.get(field).is_some(), "CreateListBody.{field}: {body}");
    }
    let patch = &schemas["UpdateListBody"]["properties"];
    for field in settings {
        assert!(patch.get(field).is_some(), "UpdateListBody.{field}");
    }
    assert!(patch.get("address").is_none(), "the address is fixed");
    let dto = &schemas["MailingListDto"]["properties"];
    for field in [
        "id",
        "account",
        "address",
        "name",
        "domain",
        "settings",
        "status",
        "deleted_at",
        "purge_after",
    ] {
        assert!(dto.get(field).is_some(), "MailingListDto.{field}");
    }
    let dto_settings = &schemas["ListSettingsDto"]["properties"];
    for field in settings {
        assert!(dto_settings.get(field).is_some(), "ListSettingsDto.{field}");
    }
    assert!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "lists"),
        "the lists tag"
    );
}
