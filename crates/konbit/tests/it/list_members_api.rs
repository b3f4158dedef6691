//! A list's people and moderation queue through the REST API, against a
//! real Mailman (tests named `mailman…`, run in nextest's `mailman` group).

use crate::api::{delete, get, items, send};
use crate::list_server::Env;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn mailman_members_through_the_api() {
    let Some(env) = Env::start().await else {
        return;
    };
    let token = env.t.token_for(&env.owner, &["lists:write"]).await.unwrap();
    let api = env.t.api(Some(&token)).unwrap();
    let base = format!("/api/v1/lists/{}", env.list.id.0);

    let out = send(
        &api,
        Method::POST,
        &format!("{base}/members"),
        &json!({ "addresses": "alice@example.org\nnot an address\n\nBob Martin <BOB@example.org>\nteam@radio.example\n" }),
    )
    .await
    .ok(200);
    assert_eq!(out["done"], json!(["alice@example.org", "bob@example.org"]));
    assert_eq!(out["unchanged"], json!([]));
    assert_eq!(out["failed"][0]["address"], "team@radio.example");
    let bad = out["bad_lines"].as_array().unwrap();
    assert_eq!(bad.len(), 1, "{out}");
    assert_eq!(bad[0]["line"], 2);
    assert_eq!(bad[0]["field"], "addresses");
    assert!(!bad[0]["rule"].as_str().unwrap().is_empty());
    assert!(!bad[0]["message"].as_str().unwrap().is_empty());

    let again = send(
        &api,
        Method::POST,
        &format!("{base}/members"),
        &json!({ "addresses": "alice@example.org" }),
    )
    .await
    .ok(200);
    assert_eq!(again["unchanged"], json!(["alice@example.org"]));

    let page = get(&api, &format!("{base}/members?per_page=1&page=2"))
        .await
        .ok(200);
    assert_eq!(page["total"], 2);
    assert_eq!(items(&page)[0]["address"], "bob@example.org");
    assert_eq!(items(&page)[0]["display_name"], "Bob Martin");

    let csv = get(&api, &format!("{base}/members.csv")).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert!(
        csv.text.starts_with("address,name,delivery\r\n"),
        "{}",
        csv.text
    );
    assert!(
        csv.text
            .contains("\"bob@example.org\",\"Bob Martin\",\"each\"")
    );

    assert_eq!(
        delete(&api, &format!("{base}/members/alice@example.org"))
            .await
            .status,
        204
    );
    delete(&api, &format!("{base}/members/alice@example.org"))
        .await
        .problem(404, "not_found");
    let out = send(
        &api,
        Method::POST,
        &format!("{base}/members/remove"),
        &json!({ "addresses": "bob@example.org\nnobody@example.org" }),
    )
    .await
    .ok(200);
    assert_eq!(out["done"], json!(["bob@example.org"]));
    assert_eq!(out["unchanged"], json!(["nobody@example.org"]));
    assert_eq!(
        get(&api, &format!("{base}/members")).await.ok(200)["total"],
        0
    );

    // Staff.
    let staff = send(
        &api,
        Method::POST,
        &format!("{base}/staff"),
        &json!({ "role": "moderator", "address": "mo@example.org" }),
    )
    .await
    .ok(200);
    assert_eq!(
        staff,
        json!([{ "address": "mo@example.org", "role": "moderator" }])
    );
    send(
        &api,
        Method::POST,
        &format!("{base}/staff"),
        &json!({ "role": "owner", "address": "team-owner@radio.example" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        delete(&api, &format!("{base}/staff/moderator/mo@example.org"))
            .await
            .status,
        204
    );
    delete(&api, &format!("{base}/staff/moderator/mo@example.org"))
        .await
        .problem(404, "not_found");
    delete(&api, &format!("{base}/staff/boss/mo@example.org"))
        .await
        .problem(404, "not_found");

    // A reader may read, not write.
    let reader = env.t.token_for(&env.member, &["lists:read"]).await.unwrap();
    let reader = env.t.api(Some(&reader)).unwrap();
    get(&reader, &format!("{base}/members")).await.ok(200);
    send(
        &reader,
        Method::POST,
        &format!("{base}/members"),
        &json!({ "addresses": "x@example.org" }),
    )
    .await
    .problem(403, "insufficient_scope");
}

#[tokio::test(flavor = "multi_thread")]
async fn mailman_moderation_through_the_api() {
    let Some(env) = Env::start().await else {
        return;
    };
    let token = env.t.token_for(&env.owner, &["lists:write"]).await.unwrap();
    let api = env.t.api(Some(&token)).unwrap();
    let base = format!("/api/v1/lists/{}", env.list.id.0);

    env.post("stranger@example.net", "Hello list").await;
    env.until_held(1).await;
    let held = get(&api, &format!("{base}/held")).await.ok(200);
    let request = held[0]["id"].as_u64().unwrap();
    assert_eq!(held[0]["sender"], "stranger@example.net");
    let one = get(&api, &format!("{base}/held/{request}")).await.ok(200);
    assert_eq!(one["subject"], "Hello list");
    assert!(
        one["text"]
            .as_str()
            .unwrap()
            .contains("Hello from the test.")
    );
    send(
        &api,
        Method::POST,
        &format!("{base}/held/{request}"),
        &json!({ "action": "maybe" }),
    )
    .await
    .problem(400, "malformed_body");
    let r = send(
        &api,
        Method::POST,
        &format!("{base}/held/{request}"),
        &json!({ "action": "reject", "reason": "Off topic" }),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    send(
        &api,
        Method::POST,
        &format!("{base}/held/{request}"),
        &json!({ "action": "approve" }),
    )
    .await
    .problem(404, "not_found");
    get(&api, &format!("{base}/held/{request}"))
        .await
        .problem(404, "not_found");

    env.moderate_subscriptions().await;
    use konbit_app::list_server::{ListServer, SubscribeAs};
    env.server
        .subscribe(
            &env.list,
            "dave@example.org",
            None,
            SubscribeAs::ConfirmedSelf,
        )
        .await
        .unwrap();
    let requests = get(&api, &format!("{base}/requests")).await.ok(200);
    assert_eq!(requests[0]["address"], "dave@example.org");
    let token = requests[0]["token"].as_str().unwrap();
    let r = send(
        &api,
        Method::POST,
        &format!("{base}/requests/{token}"),
        &json!({ "action": "approve" }),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        get(&api, &format!("{base}/requests")).await.ok(200),
        json!([])
    );
    let members = get(&api, &format!("{base}/members")).await.ok(200);
    assert_eq!(items(&members)[0]["address"], "dave@example.org");

    // A list the provisioner has not made yet.
    let cli = konbit_core::authz::Actor::operator_cli();
    let other = env
        .t
        .app
        .lists()
        .create(
            &cli,
            konbit_app::list::CreateList {
                address: "later@radio.example".into(),
                settings: konbit_app::list::ListSettingsInput::from_settings(
                    &konbit_core::list::ListSettings::default(),
                ),
            },
        )
        .await
        .unwrap();
    get(&api, &format!("/api/v1/lists/{}/members", other.id.0))
        .await
        .problem(409, "list_not_ready");
}
