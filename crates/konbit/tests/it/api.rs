//! The REST API through HTTP only: bad input is refused with an RFC 9457
//! problem (and changes nothing), the happy paths work end to end, the
//! OpenAPI document matches the router, and every response carries the
//! security headers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use konbit_core::authz::Actor;
use konbit_core::quota::QuotaLimits;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person, http_client};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Every scope there is, with write access.
const ALL_SCOPES: &[&str] = &[
    "accounts:write",
    "users:write",
    "quota-profiles:write",
    "tokens:write",
];

/// A response, read whole so a failed assertion can show it.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
    pub(crate) body: Value,
}

impl Reply {
    pub(crate) async fn of(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a success status and returns the JSON body.
    pub(crate) fn ok(self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        self.body
    }

    /// Asserts an RFC 9457 problem with this status and code.
    pub(crate) fn problem(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status, status,
            "expected {status} {code}, got {}: {}",
            self.status, self.text
        );
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{status} {code} must be problem+json: {}",
            self.text
        );
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert_eq!(
            self.body["type"],
            format!("urn:konbit:problem:{code}"),
            "{}",
            self.text
        );
        assert!(
            self.body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{}",
            self.text
        );
        self.body
    }
}

pub(crate) async fn send(api: &Api, method: Method, path: &str, body: &Value) -> Reply {
    Reply::of(api.send_json(method, path, body).await.unwrap()).await
}

pub(crate) async fn get(api: &Api, path: &str) -> Reply {
    Reply::of(api.get(path).await.unwrap()).await
}

pub(crate) async fn delete(api: &Api, path: &str) -> Reply {
    Reply::of(api.request(Method::DELETE, path).send().await.unwrap()).await
}

pub(crate) async fn post_empty(api: &Api, path: &str) -> Reply {
    Reply::of(api.request(Method::POST, path).send().await.unwrap()).await
}

/// The `(field, rule)` pairs of a 422 problem, whose messages must all be
/// translated (no message id left showing).
pub(crate) fn field_rules(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors[] in {problem}"))
        .iter()
        .map(|e| {
            let message = e["message"].as_str().unwrap_or_default();
            assert!(
                !message.is_empty() && !message.contains("field-") && !message.contains("rule-"),
                "untranslated: {problem}"
            );
            (
                e["field"].as_str().unwrap().to_owned(),
                e["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The `items` of a list reply.
pub(crate) fn items(list: &Value) -> &Vec<Value> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {list}"))
}

/// Gives the account a quota profile of its own with these limits.
pub(crate) async fn give_quota(t: &TestApp, account: i64, name: &str, limits: QuotaLimits) {
    let cli = Actor::operator_cli();
    let profile = t
        .app
        .quota_profiles()
        .create(
            &cli,
            konbit_app::quota_profile::ProfileInput {
                name: name.to_owned(),
                limits,
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
                quota_profile_id: Some(profile.id.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

/// The seeded admin (`admin@coop.test`).
async fn admin(t: &TestApp) -> Person {
    let p = t
        .app
        .users()
        .get_by_email(&Actor::operator_cli(), "admin@coop.test")
        .await
        .unwrap();
    Person {
        id: p.id,
        email: p.email.as_str().to_owned(),
    }
}

/// An API client for the seeded admin, with every scope.
async fn admin_api(t: &TestApp) -> Api {
    let token = t.token_for(&admin(t).await, ALL_SCOPES).await.unwrap();
    t.api(Some(&token)).unwrap()
}

/// The `errors[]` entry of a problem for one field.
fn field_error<'a>(problem: &'a Value, field: &str) -> &'a Value {
    problem["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["field"] == field))
        .unwrap_or_else(|| panic!("no error on `{field}` in {problem}"))
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------- bad input

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_account_is_422_naming_each_field_in_the_callers_language() {
    let t = TestApp::spawn().await.unwrap();
    let api = admin_api(&t).await;
    let before = t.fingerprint().await.unwrap();

    let body = json!({ "name": "X", "display_name": "" });
    let p = send(&api, Method::POST, "/api/v1/accounts", &body)
        .await
        .problem(422, "invalid_input");
    let name = field_error(&p, "name");
    assert_eq!(name["rule"], "too_short", "{p}");
    assert_eq!(name["min"], 3, "{p}");
    let message = name["message"].as_str().unwrap();
    assert!(
        message.contains("Name") && message.contains('3'),
        "the message names the field: {message}"
    );
    // Every bad field is reported at once.
    assert_eq!(field_error(&p, "display_name")["rule"], "required", "{p}");

    let p = send(
        &api,
        Method::POST,
        "/api/v1/accounts",
        &json!({ "name": "Bad_Name", "display_name": "Bad" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(field_error(&p, "name")["rule"], "slug_format", "{p}");

    let p = send(
        &api,
        Method::POST,
        "/api/v1/accounts",
        &json!({ "name": "admin", "display_name": "Admin" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(field_error(&p, "name")["rule"], "reserved", "{p}");

    // The same mistake, for a French-speaking caller.
    let res = api
        .request(Method::POST, "/api/v1/accounts")
        .header("accept-language", "fr-CA,fr;q=0.9")
        .json(&body)
        .send()
        .await
        .unwrap();
    let p = Reply::of(res).await.problem(422, "invalid_input");
    let message = field_error(&p, "name")["message"].as_str().unwrap();
    assert!(
        message.contains("Nom") && message.contains("caractères"),
        "French message: {message}"
    );
    assert!(
        p["title"].as_str().unwrap().contains("informations"),
        "French title: {p}"
    );

    assert_eq!(
        t.fingerprint().await.unwrap(),
        before,
        "a refused write changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_account_name_is_409() {
    let t = TestApp::spawn().await.unwrap();
    let api = admin_api(&t).await;
    send(
        &api,
        Method::POST,
        "/api/v1/accounts",
        &json!({ "name": "radio", "display_name": "Radio" }),
    )
    .await
    .ok(201);
    let before = t.fingerprint().await.unwrap();

    let p = send(
        &api,
        Method::POST,
        "/api/v1/accounts",
        &json!({ "name": "radio", "display_name": "Radio bis" }),
    )
    .await
    .problem(409, "duplicate");
    let message = field_error(&p, "name")["message"].as_str().unwrap();
    assert!(
        message.contains("Name") && message.contains("taken"),
        "the message says the name is taken: {message}"
    );
    // Names are trimmed before they are compared.
    send(
        &api,
        Method::POST,
        "/api/v1/accounts",
        &json!({ "name": " radio ", "display_name": "Radio ter" }),
    )
    .await
    .problem(409, "duplicate");

    assert_eq!(t.fingerprint().await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_bodies_are_4xx_never_500() {
    let t = TestApp::spawn().await.unwrap();
    let api = admin_api(&t).await;
    let before = t.fingerprint().await.unwrap();
    let post = |content_type: &'static str, body: Vec<u8>| {
        api.request(Method::POST, "/api/v1/accounts")
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };

    // Over 64 KiB.
    let big = json!({ "name": "big", "display_name": "x".repeat(70 * 1024) })
        .to_string()
        .into_bytes();
    assert!(big.len() > konbit_web::MAX_BODY_BYTES);
    let p = Reply::of(post("application/json", big).await.unwrap())
        .await
        .problem(413, "payload_too_large");
    assert!(p["detail"].as_str().unwrap().contains("65536"), "{p}");

    // Not JSON, or cut short.
    for bad in [
        &b"{\"name\": \"abc\","[..],
        b"not json",
        b"",
        b"[1, 2]",
        b"{\"name\": 5, \"display_name\": \"A\"}",
    ] {
        let r = Reply::of(post("application/json", bad.to_vec()).await.unwrap()).await;
        let shown = String::from_utf8_lossy(bad).into_owned();
        assert_eq!(r.status, 400, "{shown:?} → {}", r.text);
        r.problem(400, "malformed_body");
    }

    // A field the API does not know: a typo must not be silently ignored.
    let body = json!({ "name": "abc", "display_name": "A", "colour": "red" })
        .to_string()
        .into_bytes();
    let p = Reply::of(post("application/json", body).await.unwrap())
        .await
        .problem(400, "malformed_body");
    assert!(
        p["detail"].as_str().unwrap().contains("colour"),
        "the detail names the unknown field: {p}"
    );

    // Not JSON at all, as far as the headers go.
    let body = json!({ "name": "abc", "display_name": "A" })
        .to_string()
        .into_bytes();
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ] {
        Reply::of(post(ct, body.clone()).await.unwrap())
            .await
            .problem(415, "unsupported_media_type");
    }
    let res = api
        .request(Method::POST, "/api/v1/accounts")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    Reply::of(res).await.problem(415, "unsupported_media_type");
    // A charset parameter is fine.
    Reply::of(post("application/json; charset=utf-8", body).await.unwrap())
        .await
        .ok(201);
    let after_create = t.fingerprint().await.unwrap();
    assert_ne!(
        after_create, before,
        "the one good request did create the account"
    );

    // The same checks on other writes: PATCH and PUT.
    let p = send(
        &api,
        Method::PATCH,
        "/api/v1/accounts/1",
        &json!({ "colour": "red" }),
    )
    .await
    .problem(400, "malformed_body");
    assert!(p["detail"].as_str().unwrap().contains("colour"), "{p}");
    let res = api
        .request(Method::PUT, "/api/v1/quota-profiles/1")
        .header(CONTENT_TYPE, "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    Reply::of(res).await.problem(415, "unsupported_media_type");
    let res = api
        .request(Method::POST, "/api/v1/accounts/1/lock")
        .header(CONTENT_TYPE, "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    Reply::of(res).await.problem(400, "malformed_body");

    assert_eq!(
        t.fingerprint().await.unwrap(),
        after_create,
        "refused writes change nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_bad_token_is_401_with_www_authenticate() {
    let t = TestApp::spawn().await.unwrap();
    let good = admin_api(&t).await;
    let session = t.session_for(&admin(&t).await).await.unwrap();
    let before = t.fingerprint().await.unwrap();
    let http = http_client().unwrap();
    let body = json!({ "name": "radio", "display_name": "Radio" });
    let bogus_token = format!("konbit_{}", "0".repeat(43));
    let attempts: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("empty bearer", Some("Bearer ".into())),
        ("basic auth", Some("Basic YWRtaW46YWRtaW4=".into())),
        ("no scheme", Some(good.token.clone().unwrap())),
        ("unknown token", Some(format!("Bearer {bogus_token}"))),
        (
            "overlong token",
            Some(format!("Bearer {}", "a".repeat(600))),
        ),
    ];
    for (what, authorization) in attempts {
        for (method, path) in [
            (Method::GET, "/api/v1/accounts"),
            (Method::POST, "/api/v1/accounts"),
            (Method::GET, "/api/v1/me"),
        ] {
            let mut rb = http.request(method.clone(), t.url(path));
            if let Some(a) = &authorization {
                rb = rb.header("authorization", a);
            }
            if method == Method::POST {
                rb = rb.json(&body);
            }
            let r = Reply::of(rb.send().await.unwrap()).await;
            assert_eq!(r.status, 401, "{what}: {method} {path} → {}", r.text);
            assert!(
                r.header("www-authenticate").starts_with("Bearer"),
                "{what}: {method} {path} needs WWW-Authenticate"
            );
            r.problem(401, "unauthenticated");
        }
    }
    // A cookie never authenticates an API call.
    let res = session.get("/api/v1/me").await.unwrap();
    Reply::of(res).await.problem(401, "unauthenticated");

    assert_eq!(t.fingerprint().await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_query_numbers_are_400_and_unknown_paths_404() {
    let t = TestApp::spawn().await.unwrap();
    let api = admin_api(&t).await;
    for query in [
        "page=abc",
        "per_page=-1",
        "page=1.5",
        "per_page=",
        "page=99999999999",
    ] {
        let p = get(&api, &format!("/api/v1/accounts?{query}"))
            .await
            .problem(400, "malformed_body");
        let param = query.split('=').next().unwrap();
        assert!(
            p["detail"].as_str().unwrap().contains(param),
            "{query}: the detail names `{param}`: {p}"
        );
    }
    get(&api, "/api/v1/users?account_id=abc")
        .await
        .problem(400, "malformed_body");
    get(&api, "/api/v1/accounts/999")
        .await
        .problem(404, "not_found");
    get(&api, "/api/v1/nothing-here")
        .await
        .problem(404, "not_found");
    // A malformed id in the path names nothing: a 404 problem, not a 500
    // or a plain-text rejection.
    for path in [
        "/api/v1/accounts/abc",
        "/api/v1/accounts/1.5/members",
        "/api/v1/quota-profiles/99999999999999999999",
    ] {
        get(&api, path).await.problem(404, "not_found");
    }
    let res = api
        .request(Method::DELETE, "/api/v1/accounts/1/members/x")
        .send()
        .await
        .unwrap();
    Reply::of(res).await.problem(404, "not_found");
}

// ---------------------------------------------------------------- happy paths

#[tokio::test(flavor = "multi_thread")]
async fn accounts_end_to_end() {
    let t = TestApp::spawn().await.unwrap();
    let api = admin_api(&t).await;

    // A quota profile.
    let limits = json!({ "domains": 2, "mailboxes": 5, "mail_storage_mb": 1024, "aliases": 10, "mailing_lists": 1,
                         "sites": 1, "sftp_accounts": 1, "databases": 1, "disk_mb": 512 });
    let res = api
        .send_json(
            Method::POST,
            "/api/v1/quota-profiles",
            &json!({ "name": "small", "limits": limits }),
        )
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let small = Reply::of(res).await.ok(201);
    let small_id = small["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/quota-profiles/{small_id}"));
    assert_eq!(small["limits"], limits);
    assert_eq!(small["account_count"], 0);
    let listed = get(&api, "/api/v1/quota-profiles").await.ok(200);
    let profile_names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(profile_names, ["small", "standard"]);
    let standard_id = profile_names
        .iter()
        .position(|n| *n == "standard")
        .map(|i| listed["items"][i]["id"].clone())
        .unwrap();
    let mut bigger = limits.clone();
    bigger["domains"] = json!(3);
    let updated = send(
        &api,
        Method::PUT,
        &format!("/api/v1/quota-profiles/{small_id}"),
        &json!({ "name": "small", "limits": bigger }),
    )
    .await
    .ok(200);
    assert_eq!(updated["limits"]["domains"], 3);

    // An account with a new owner, in that profile.
    let body = json!({
        "name": "radio-centre-ville",
        "display_name": "Radio Centre-Ville",
        "quota_profile_id": small_id,
        "owner": { "email": "olive@radio.test", "display_name": "Olive Owner", "password": "a long first password" },
    });
    let res = api
        .send_json(Method::POST, "/api/v1/accounts", &body)
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let radio = Reply::of(res).await.ok(201);
    let radio_id = radio["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/accounts/{radio_id}"));
    assert_eq!(radio["name"], "radio-centre-ville");
    assert_eq!(radio["display_name"], "Radio Centre-Ville");
    assert_eq!(
        radio["quota_profile"],
        json!({ "id": small_id, "name": "small" })
    );
    assert_eq!(radio["locked"], false);
    assert_eq!(radio["deleted_at"], Value::Null);
    assert_eq!(radio["status"]["state"], "pending", "{radio}");
    let members = get(&api, &format!("/api/v1/accounts/{radio_id}/members"))
        .await
        .ok(200);
    assert_eq!(members["total"], 1);
    assert_eq!(members["items"][0]["email"], "olive@radio.test");
    assert_eq!(
        members["items"][0]["memberships"],
        json!([{ "account_id": radio_id, "role": "owner" }])
    );
    // The new owner can sign in with the password given.
    t.sign_in("olive@radio.test", "a long first password")
        .await
        .unwrap();
    assert_eq!(
        get(&api, &format!("/api/v1/quota-profiles/{small_id}"))
            .await
            .ok(200)["account_count"],
        1
    );
    // A profile in use cannot go.
    send(
        &api,
        Method::DELETE,
        &format!("/api/v1/quota-profiles/{small_id}"),
        &Value::Null,
    )
    .await
    .problem(409, "profile_in_use");

    // Six more, for pagination and search.
    let more = [
        "garden-club",
        "radio-libre",
        "tenants-union",
        "food-coop",
        "choir",
        "bike-shop",
    ];
    for name in more {
        send(
            &api,
            Method::POST,
            "/api/v1/accounts",
            &json!({ "name": name, "display_name": format!("The {name}"), "quota_profile_id": standard_id }),
        )
        .await
        .ok(201);
    }
    let mut seen = Vec::new();
    for (page, expected) in [(1, 3), (2, 3), (3, 1)] {
        let p = get(&api, &format!("/api/v1/accounts?per_page=3&page={page}"))
            .await
            .ok(200);
        assert_eq!(p["total"], 7, "{p}");
        assert_eq!(p["page"], page, "{p}");
        assert_eq!(p["per_page"], 3, "{p}");
        assert_eq!(
            p["items"].as_array().unwrap().len(),
            expected,
            "page {page}: {p}"
        );
        seen.extend(names(&p));
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        7,
        "each account on exactly one page: {seen:?}"
    );
    let past_the_end = get(&api, "/api/v1/accounts?per_page=3&page=4")
        .await
        .ok(200);
    assert_eq!(past_the_end["items"], json!([]));
    assert_eq!(past_the_end["total"], 7);
    // per_page is clamped, never unbounded.
    assert_eq!(
        get(&api, "/api/v1/accounts?per_page=100000").await.ok(200)["per_page"],
        200
    );

    // Search in names and display names.
    let mut found = names(&get(&api, "/api/v1/accounts?q=radio").await.ok(200));
    found.sort();
    assert_eq!(found, ["radio-centre-ville", "radio-libre"]);
    assert_eq!(
        names(&get(&api, "/api/v1/accounts?q=Centre-Ville").await.ok(200)),
        ["radio-centre-ville"]
    );
    let none = get(&api, "/api/v1/accounts?q=nothing-like-this")
        .await
        .ok(200);
    assert_eq!(
        (none["total"].clone(), none["items"].clone()),
        (json!(0), json!([]))
    );

    // Edit.
    let path = format!("/api/v1/accounts/{radio_id}");
    let patched = send(
        &api,
        Method::PATCH,
        &path,
        &json!({ "display_name": "CIBL Radio", "quota_profile_id": standard_id }),
    )
    .await
    .ok(200);
    assert_eq!(patched["display_name"], "CIBL Radio");
    assert_eq!(patched["quota_profile"]["name"], "standard");
    assert_eq!(
        patched["name"], "radio-centre-ville",
        "the name does not change"
    );
    assert!(
        patched["status"]["generation"].as_i64() > radio["status"]["generation"].as_i64(),
        "{patched}"
    );
    assert_eq!(get(&api, &path).await.ok(200)["display_name"], "CIBL Radio");
    let p = send(
        &api,
        Method::PATCH,
        &path,
        &json!({ "quota_profile_id": 9999 }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_error(&p, "quota_profile_id")["rule"],
        "unknown_choice"
    );
    // Now unused, the profile can go.
    let res = api
        .request(
            Method::DELETE,
            &format!("/api/v1/quota-profiles/{small_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    get(&api, &format!("/api/v1/quota-profiles/{small_id}"))
        .await
        .problem(404, "not_found");

    // Lock and unlock.
    let locked = send(
        &api,
        Method::POST,
        &format!("{path}/lock"),
        &json!({ "reason": "dues unpaid" }),
    )
    .await
    .ok(200);
    assert_eq!(
        (locked["locked"].clone(), locked["lock_reason"].clone()),
        (json!(true), json!("dues unpaid"))
    );
    let res = api
        .request(Method::POST, &format!("{path}/unlock"))
        .send()
        .await
        .unwrap();
    let unlocked = Reply::of(res).await.ok(200);
    assert_eq!(
        (unlocked["locked"].clone(), unlocked["lock_reason"].clone()),
        (json!(false), Value::Null)
    );
    // A lock without a body at all.
    let res = api
        .request(Method::POST, &format!("{path}/lock"))
        .send()
        .await
        .unwrap();
    assert_eq!(Reply::of(res).await.ok(200)["locked"], true);
    let res = api
        .request(Method::POST, &format!("{path}/unlock"))
        .send()
        .await
        .unwrap();
    Reply::of(res).await.ok(200);

    // Soft delete: gone from the list, listed with `deleted=true`, restorable.
    let res = api.request(Method::DELETE, &path).send().await.unwrap();
    let deleted = Reply::of(res).await.ok(200);
    let deleted_at = deleted["deleted_at"].as_i64().expect("deleted_at is set");
    let purge_after = deleted["purge_after"].as_i64().expect("purge_after is set");
    assert_eq!(
        purge_after - deleted_at,
        30 * 86_400,
        "the default grace period is 30 days"
    );
    let active = get(&api, "/api/v1/accounts").await.ok(200);
    assert_eq!(active["total"], 6);
    assert!(!names(&active).contains(&"radio-centre-ville".to_owned()));
    let gone = get(&api, "/api/v1/accounts?deleted=true").await.ok(200);
    assert_eq!(names(&gone), ["radio-centre-ville"]);
    // Deleting twice is not found: there is nothing left to delete.
    let res = api.request(Method::DELETE, &path).send().await.unwrap();
    Reply::of(res).await.problem(404, "not_found");
    let res = api
        .request(Method::POST, &format!("{path}/restore"))
        .send()
        .await
        .unwrap();
    let restored = Reply::of(res).await.ok(200);
    assert_eq!(
        (
            restored["deleted_at"].clone(),
            restored["purge_after"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_eq!(get(&api, "/api/v1/accounts").await.ok(200)["total"], 7);
    assert_eq!(
        get(&api, "/api/v1/accounts?deleted=true").await.ok(200)["total"],
        0
    );
    let res = api
        .request(Method::POST, &format!("{path}/restore"))
        .send()
        .await
        .unwrap();
    Reply::of(res).await.problem(409, "conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn members_end_to_end() {
    let t = TestApp::spawn().await.unwrap();
    let api = admin_api(&t).await;
    let body = json!({ "name": "radio", "display_name": "Radio",
                       "owner": { "email": "olive@radio.test", "display_name": "Olive", "password": "a long first password" } });
    let radio_id = send(&api, Method::POST, "/api/v1/accounts", &body)
        .await
        .ok(201)["id"]
        .as_i64()
        .unwrap();
    let members = format!("/api/v1/accounts/{radio_id}/members");
    let owner_id = get(&api, &members).await.ok(200)["items"][0]["id"]
        .as_i64()
        .unwrap();

    // Add a new person as a member.
    let body = json!({ "email": "milo@radio.test", "display_name": "Milo", "password": "another long password", "role": "member" });
    let milo = send(&api, Method::POST, &members, &body).await.ok(201);
    let milo_id = milo["id"].as_i64().unwrap();
    assert_eq!(milo["email"], "milo@radio.test");
    assert_eq!(
        milo["memberships"],
        json!([{ "account_id": radio_id, "role": "member" }])
    );
    assert_eq!(get(&api, &members).await.ok(200)["total"], 2);
    // The person exists now; adding them elsewhere needs only the address.
    let other_id = send(
        &api,
        Method::POST,
        "/api/v1/accounts",
        &json!({ "name": "garden", "display_name": "Garden" }),
    )
    .await
    .ok(201)["id"]
        .as_i64()
        .unwrap();
    let again = send(
        &api,
        Method::POST,
        &format!("/api/v1/accounts/{other_id}/members"),
        &json!({ "email": "milo@radio.test", "role": "owner" }),
    )
    .await
    .ok(201);
    assert_eq!(again["id"], milo_id);
    // A new person without a password is refused, naming the field.
    let before = t.fingerprint().await.unwrap();
    let p = send(
        &api,
        Method::POST,
        &members,
        &json!({ "email": "nina@radio.test", "display_name": "Nina", "role": "member" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(field_error(&p, "password")["rule"], "required", "{p}");
    let p = send(
        &api,
        Method::POST,
        &members,
        &json!({ "email": "milo@radio.test", "role": "boss" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(field_error(&p, "role")["rule"], "unknown_choice", "{p}");
    assert_eq!(t.fingerprint().await.unwrap(), before);

    // Change a role, and back.
    let promoted = send(
        &api,
        Method::PATCH,
        &format!("{members}/{milo_id}"),
        &json!({ "role": "owner" }),
    )
    .await
    .ok(200);
    assert!(
        promoted["memberships"]
            .as_array()
            .unwrap()
            .contains(&json!({ "account_id": radio_id, "role": "owner" })),
        "{promoted}"
    );
    // With two owners, one may step down.
    send(
        &api,
        Method::PATCH,
        &format!("{members}/{owner_id}"),
        &json!({ "role": "member" }),
    )
    .await
    .ok(200);
    send(
        &api,
        Method::PATCH,
        &format!("{members}/{owner_id}"),
        &json!({ "role": "owner" }),
    )
    .await
    .ok(200);
    send(
        &api,
        Method::PATCH,
        &format!("{members}/{milo_id}"),
        &json!({ "role": "member" }),
    )
    .await
    .ok(200);

    // The last owner can neither leave nor step down.
    let before = t.fingerprint().await.unwrap();
    let res = api
        .request(Method::DELETE, &format!("{members}/{owner_id}"))
        .send()
        .await
        .unwrap();
    Reply::of(res).await.problem(409, "last_owner");
    send(
        &api,
        Method::PATCH,
        &format!("{members}/{owner_id}"),
        &json!({ "role": "member" }),
    )
    .await
    .problem(409, "last_owner");
    send(
        &api,
        Method::POST,
        &members,
        &json!({ "email": "olive@radio.test", "role": "member" }),
    )
    .await
    .problem(409, "last_owner");
    assert_eq!(
        t.fingerprint().await.unwrap(),
        before,
        "a refused change leaves the memberships as they were"
    );

    // A member can be removed; removing them twice is not found.
    let res = api
        .request(Method::DELETE, &format!("{members}/{milo_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = api
        .request(Method::DELETE, &format!("{members}/{milo_id}"))
        .send()
        .await
        .unwrap();
    Reply::of(res).await.problem(404, "not_found");
    let left = get(&api, &members).await.ok(200);
    assert_eq!(left["total"], 1);
    assert_eq!(left["items"][0]["id"], owner_id);
    // Milo still exists, in the other account.
    let milo = get(&api, &format!("/api/v1/users/{milo_id}")).await.ok(200);
    assert_eq!(
        milo["memberships"],
        json!([{ "account_id": other_id, "role": "owner" }])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_end_to_end_and_me() {
    let t = TestApp::spawn().await.unwrap();
    let api = admin_api(&t).await;

    let me = get(&api, "/api/v1/me").await.ok(200);
    assert_eq!(me["email"], "admin@coop.test");
    assert_eq!(me["is_admin"], true);
    assert!(me.get("password_hash").is_none(), "{me}");

    // Create: the secret comes back once.
    let body = json!({ "name": "ci script", "scopes": ["accounts:read", "users:read"], "expires_in_days": 30 });
    let res = api
        .send_json(Method::POST, "/api/v1/tokens", &body)
        .await
        .unwrap();
    let created = Reply::of(res).await.ok(201);
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("konbit_") && secret.len() > 30,
        "{secret}"
    );
    let token_id = created["token"]["id"].as_i64().unwrap();
    assert_eq!(created["token"]["name"], "ci script");
    assert_eq!(
        created["token"]["scopes"],
        json!(["accounts:read", "users:read"])
    );
    let prefix = created["token"]["prefix"].as_str().unwrap();
    assert!(
        secret.starts_with(prefix) && prefix.len() < secret.len() / 2,
        "the prefix is a short start of the secret"
    );
    let expires = created["token"]["expires_at"].as_i64().unwrap()
        - created["token"]["created_at"].as_i64().unwrap();
    assert_eq!(expires, 30 * 86_400);

    // The list never shows a secret.
    let list = get(&api, "/api/v1/tokens").await;
    assert!(
        !list.text.contains(&secret),
        "the secret is never listed: {}",
        list.text
    );
    assert!(!list.text.contains(api.token.as_deref().unwrap()));
    let list = list.ok(200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the admin's own token and the new one");
    assert!(
        items
            .iter()
            .all(|i| i.get("secret").is_none() && i.get("secret_hash").is_none()),
        "{list}"
    );
    assert!(items.iter().any(|i| i["id"] == token_id));

    // The new token works, within its scopes.
    let ci = t.api(Some(&secret)).unwrap();
    assert_eq!(
        get(&ci, "/api/v1/me").await.ok(200)["email"],
        "admin@coop.test"
    );
    get(&ci, "/api/v1/accounts").await.ok(200);
    let before = t.fingerprint().await.unwrap();
    send(
        &ci,
        Method::POST,
        "/api/v1/accounts",
        &json!({ "name": "radio", "display_name": "Radio" }),
    )
    .await
    .problem(403, "insufficient_scope");
    get(&ci, "/api/v1/quota-profiles")
        .await
        .problem(403, "insufficient_scope");
    // A token cannot mint itself wider scopes (nor any: it lacks tokens:write).
    send(
        &ci,
        Method::POST,
        "/api/v1/tokens",
        &json!({ "name": "wider", "scopes": ["accounts:write"] }),
    )
    .await
    .problem(403, "insufficient_scope");
    let p = send(
        &api,
        Method::POST,
        "/api/v1/tokens",
        &json!({ "name": "odd", "scopes": ["dns:admin"] }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(field_error(&p, "scopes")["rule"], "unknown_choice");
    let p = send(
        &api,
        Method::POST,
        "/api/v1/tokens",
        &json!({ "name": "forever", "scopes": ["accounts:read"], "expires_in_days": 0 }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(field_error(&p, "expires_in_days")["rule"], "out_of_range");
    assert_eq!(t.fingerprint().await.unwrap(), before);

    // Revoke: the token stops working at once.
    let res = api
        .request(Method::DELETE, &format!("/api/v1/tokens/{token_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let r = get(&ci, "/api/v1/me").await;
    assert!(r.header("www-authenticate").starts_with("Bearer"));
    r.problem(401, "unauthenticated");
    let listed = get(&api, "/api/v1/tokens").await.ok(200);
    assert!(
        !listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == token_id),
        "a revoked token is no longer listed: {listed}"
    );
    // The admin's own token still works.
    get(&api, "/api/v1/me").await.ok(200);
    // Someone else's token is not found, even for an admin.
    let other = t
        .add_person("someone@coop.test", "Someone", false)
        .await
        .unwrap();
    let other_secret = t.token_for(&other, &["tokens:read"]).await.unwrap();
    let other_id = get(&t.api(Some(&other_secret)).unwrap(), "/api/v1/tokens")
        .await
        .ok(200)["items"][0]["id"]
        .as_i64()
        .unwrap();
    let res = api
        .request(Method::DELETE, &format!("/api/v1/tokens/{other_id}"))
        .send()
        .await
        .unwrap();
    Reply::of(res).await.problem(404, "not_found");
}

// ---------------------------------------------------------------- OpenAPI

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_matches_the_router() {
    let t = TestApp::spawn().await.unwrap();
    let http = http_client().unwrap();
    let res = http
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ct = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("application/json"), "{ct}");
    let doc: Value =
        serde_json::from_str(&res.text().await.unwrap()).expect("the document is JSON");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut documented = BTreeSet::new();
    // Operations the document declares public (`security: [{}]`).
    let mut public = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().unwrap() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            documented.insert((method.to_ascii_uppercase(), path.clone()));
            if op["security"] == json!([{}]) {
                public.insert((method.to_ascii_uppercase(), path.clone()));
            }
            let responses = op["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} has no responses"));
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} declares no 2xx response"
            );
        }
    }
    let routed: BTreeSet<(String, String)> = konbit_web::routes()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
        .map(|r| (r.method, r.path))
        .collect();
    assert!(routed.len() >= 20, "{routed:?}");
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "undocumented routes: {missing:?}; documented but not routed: {extra:?}"
    );

    // Each documented route answers (401 without a token, anything but
    // 401 for a public one), so the router serves every path the document
    // declares.
    for (method, path) in &documented {
        let concrete = path.replace("{id}", "1").replace("{user_id}", "1");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let r = Reply::of(
            http.request(method.clone(), t.url(&concrete))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if public.contains(&(method.to_string(), path.clone())) {
            assert!(
                r.status != 401 && r.status < 500,
                "{method} {concrete} → {}",
                r.text
            );
            continue;
        }
        assert_eq!(r.status, 401, "{method} {concrete} → {}", r.text);
    }
}

// ---------------------------------------------------------------- headers

fn assert_security_headers(r: &Reply, what: &str) {
    let csp = r.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{what}: CSP {csp:?}"
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(r.header("x-frame-options"), "DENY", "{what}");
    assert_eq!(r.header("referrer-policy"), "same-origin", "{what}");
    assert!(
        r.header("cache-control").contains("no-store"),
        "{what}: {:?}",
        r.header("cache-control")
    );
    assert!(
        r.header("strict-transport-security").is_empty(),
        "{what}: no HSTS over plain-HTTP loopback"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn security_headers_on_api_and_panel_responses() {
    let t = TestApp::spawn().await.unwrap();
    let api = admin_api(&t).await;
    let http = http_client().unwrap();
    let me = get(&api, "/api/v1/me").await;
    assert_eq!(me.status, 200);
    assert_security_headers(&me, "API 200");
    let anon = Reply::of(http.get(t.url("/api/v1/accounts")).send().await.unwrap()).await;
    assert_security_headers(&anon, "API 401");
    let big = api
        .request(Method::POST, "/api/v1/accounts")
        .header(CONTENT_TYPE, "application/json")
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_security_headers(&Reply::of(big).await, "API 413");
    let login = Reply::of(http.get(t.url("/login")).send().await.unwrap()).await;
    assert_eq!(login.status, 200);
    assert!(login.header("content-type").starts_with("text/html"));
    assert_security_headers(&login, "panel /login");
    let missing = Reply::of(http.get(t.url("/no-such-page")).send().await.unwrap()).await;
    assert_eq!(missing.status, 404);
    assert_security_headers(&missing, "panel 404");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_method_is_a_405_problem() {
    let t = TestApp::spawn().await.unwrap();
    let api = t.api(None).unwrap();
    let res = api
        .request(reqwest::Method::DELETE, "/api/v1/accounts")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");
    assert_eq!(
        body["title"],
        "This address does not accept this kind of request."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_can_be_limited_to_an_account_its_person_can_see() {
    let t = TestApp::spawn().await.unwrap();
    let (radio, owner, _) = t.seed_account("radio").await.unwrap();
    let (garden, _, _) = t.seed_account("garden").await.unwrap();
    let token = t
        .token_for(&owner, &["tokens:write", "accounts:read"])
        .await
        .unwrap();
    let api = t.api(Some(&token)).unwrap();
    let body = |account: i64| serde_json::json!({ "name": "radio bot", "scopes": ["accounts:read"], "account_id": account });
    // Another account's id is refused as a choice, without saying whether it exists.
    let res = api
        .send_json(reqwest::Method::POST, "/api/v1/tokens", &body(garden.0))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: serde_json::Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "account_id");
    let res = api
        .send_json(reqwest::Method::POST, "/api/v1/tokens", &body(radio.0))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    assert_eq!(created["token"]["account_id"], radio.0);
    // The limited token sees its account, and a token it makes stays limited.
    let limited = t.api(Some(created["secret"].as_str().unwrap())).unwrap();
    let list: serde_json::Value = limited
        .get("/api/v1/accounts")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "radio");
    assert_eq!(
        limited
            .get(&format!("/api/v1/accounts/{}", garden.0))
            .await
            .unwrap()
            .status(),
        404
    );
}
