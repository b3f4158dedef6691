//! Co-op governance through the REST API: an admin sets up the general
//! assembly, a member proposes a quota change, discusses it, votes (and
//! changes their vote), every refused ballot gets its stable code, the
//! housekeeping step carries the decision through to the platform, and the
//! decision log is readable and verifiable without any credentials.

use crate::api::{Reply, get, items, post_empty, send};
use konbit_core::authz::Actor;
use konbit_core::quota::QuotaLimits;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person, http_client};
use reqwest::Method;
use serde_json::{Value, json};

const DAY: i64 = 24 * 60 * 60;

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

async fn api_for(t: &TestApp, person: &Person, scopes: &[&str]) -> Api {
    let token = t.token_for(person, scopes).await.unwrap();
    t.api(Some(&token)).unwrap()
}

/// A client without any credentials.
async fn anonymous(t: &TestApp, path: &str) -> Reply {
    Reply::of(
        http_client()
            .unwrap()
            .get(t.url(path))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The general assembly, made by the admin through the API with the usual
/// rules of its kind.
async fn assembly(admin: &Api) -> i64 {
    let r = send(
        admin,
        Method::POST,
        "/api/v1/governance/bodies",
        &json!({ "name": "General assembly", "kind": "general_assembly" }),
    )
    .await;
    let location = r.header("location").to_owned();
    let body = r.ok(201);
    let id = body["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/governance/bodies/{id}"));
    id
}

/// The proposal's view as this client sees it.
async fn view(api: &Api, id: i64) -> Value {
    get(api, &format!("/api/v1/governance/proposals/{id}"))
        .await
        .ok(200)
}

async fn ballot(api: &Api, id: i64, body: Value) -> Reply {
    send(
        api,
        Method::PUT,
        &format!("/api/v1/governance/proposals/{id}/ballot"),
        &body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_api_from_proposal_to_applied_decision_and_public_log() {
    let t = TestApp::spawn().await.unwrap();
    let (radio, owner, member) = t.seed_account("radio").await.unwrap();
    t.seed_account("garden").await.unwrap();
    let admin_api = api_for(&t, &admin(&t).await, &["governance:write"]).await;
    let owner_api = api_for(&t, &owner, &["governance:write"]).await;
    let member_api = api_for(&t, &member, &["governance:write"]).await;

    // Only admins make bodies; the rules come back as data.
    let refused = send(
        &member_api,
        Method::POST,
        "/api/v1/governance/bodies",
        &json!({ "name": "Our own assembly", "kind": "general_assembly" }),
    )
    .await;
    refused.problem(403, "forbidden");
    let body_id = assembly(&admin_api).await;
    let body = get(&owner_api, &format!("/api/v1/governance/bodies/{body_id}"))
        .await
        .ok(200);
    assert_eq!(body["kind"], "general_assembly", "{body}");
    assert_eq!(body["rules"]["body"], "general_assembly");
    assert_eq!(body["rules"]["discussion_seconds"], 7 * DAY);
    assert_eq!(body["members"], json!([]));
    let listed = get(&member_api, "/api/v1/governance/bodies").await.ok(200);
    assert_eq!(items(&listed).len(), 1);
    // An admin changes a rule; the rest stays.
    let mut rules = body["rules"].clone();
    rules["appeal_window_seconds"] = json!(DAY);
    let changed = send(
        &admin_api,
        Method::PUT,
        &format!("/api/v1/governance/bodies/{body_id}"),
        &json!({ "rules": rules }),
    )
    .await
    .ok(200);
    assert_eq!(changed["rules"]["appeal_window_seconds"], DAY);
    assert_eq!(changed["name"], "General assembly");
    send(
        &member_api,
        Method::PUT,
        &format!("/api/v1/governance/bodies/{body_id}"),
        &json!({ "name": "Mine" }),
    )
    .await
    .problem(403, "forbidden");

    // A member account's owner proposes new limits for the standard profile.
    let profile = t
        .app
        .quota_profiles()
        .list(&Actor::operator_cli())
        .await
        .unwrap()[0]
        .clone();
    let new_limits = QuotaLimits {
        mailboxes: profile.limits.mailboxes + 10,
        ..profile.limits
    };
    let r = send(
        &owner_api,
        Method::POST,
        "/api/v1/governance/proposals",
        &json!({
            "body_id": body_id,
            "title": "More mailboxes for everyone",
            "text": "Ten more mailboxes per member account.",
            "action": { "kind": "set_quota_limits", "profile_id": profile.id.0, "limits": new_limits },
        }),
    )
    .await;
    let location = r.header("location").to_owned();
    let draft = r.ok(201);
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/governance/proposals/{id}"));
    assert_eq!(draft["stage"], "draft", "{draft}");
    assert_eq!(draft["method"], "yes_no");
    assert_eq!(draft["action"]["kind"], "set_quota_limits");
    assert_eq!(draft["may_start_discussion"], true);
    let preview = get(
        &owner_api,
        &format!("/api/v1/governance/proposals/{id}/preview"),
    )
    .await
    .ok(200);
    assert_eq!(preview["changes"][0]["field"], "mailboxes", "{preview}");
    assert!(
        preview["affected_accounts"]
            .as_array()
            .unwrap()
            .contains(&json!("radio")),
        "{preview}"
    );
    // A draft is its author's alone.
    get(&member_api, &format!("/api/v1/governance/proposals/{id}"))
        .await
        .problem(404, "not_found");

    // Discussion: the text may still change, and people comment.
    let discussed = post_empty(
        &owner_api,
        &format!("/api/v1/governance/proposals/{id}/discussion"),
    )
    .await
    .ok(200);
    assert_eq!(discussed["stage"], "discussion", "{discussed}");
    assert!(discussed["vote_opens_at"].as_i64().is_some());
    post_empty(
        &owner_api,
        &format!("/api/v1/governance/proposals/{id}/discussion"),
    )
    .await
    .problem(409, "wrong_stage");
    let first_hash = discussed["text_hash"].as_str().unwrap().to_owned();
    let amended = send(
        &owner_api,
        Method::PUT,
        &format!("/api/v1/governance/proposals/{id}"),
        &json!({ "text": "Ten more mailboxes per member account, from next month." }),
    )
    .await
    .ok(200);
    assert_eq!(amended["title"], "More mailboxes for everyone");
    assert_ne!(amended["text_hash"], first_hash.as_str());
    let in_discussion = get(
        &member_api,
        &format!("/api/v1/governance/proposals?stage=discussion&body_id={body_id}"),
    )
    .await
    .ok(200);
    assert_eq!(items(&in_discussion).len(), 1, "{in_discussion}");
    assert_eq!(items(&in_discussion)[0]["id"], id);
    get(&member_api, "/api/v1/governance/proposals?stage=someday")
        .await
        .problem(400, "malformed_body");
    let comment = send(
        &member_api,
        Method::POST,
        &format!("/api/v1/governance/proposals/{id}/comments"),
        &json!({ "body": "Good idea, our choir needs three more." }),
    )
    .await
    .ok(201);
    assert_eq!(comment["author_user_id"], member.id.0, "{comment}");
    let comments = get(
        &owner_api,
        &format!("/api/v1/governance/proposals/{id}/comments"),
    )
    .await
    .ok(200);
    assert_eq!(items(&comments).len(), 1);
    assert_eq!(
        items(&comments)[0]["body"],
        "Good idea, our choir needs three more."
    );

    // The discussion ends: the vote opens with the electorate frozen.
    let report = t
        .app
        .governance()
        .tick(konbit_app::now() + 8 * DAY)
        .await
        .unwrap();
    assert_eq!(report.votes_opened, 1, "{report:?}");
    let voting = view(&owner_api, id).await;
    assert_eq!(voting["stage"], "voting", "{voting}");
    assert_eq!(voting["electorate"], 2);
    let voter = format!("account:{}", radio.0);
    assert_eq!(voting["my_voters"][0]["voter"], voter.as_str(), "{voting}");
    assert_eq!(voting["my_voters"][0]["ballot"], Value::Null);
    let hash = voting["text_hash"].as_str().unwrap().to_owned();

    // The owner votes for their account, then changes their mind twice.
    for choice in ["yes", "no", "yes"] {
        let r = ballot(
            &owner_api,
            id,
            json!({ "text_hash": hash, "ballot": { "method": "yes_no", "choice": choice } }),
        )
        .await;
        assert_eq!(r.status, 204, "{choice}: {}", r.text);
    }
    let voted = view(&owner_api, id).await;
    assert_eq!(voted["participation"], 1, "counted once: {voted}");
    assert_eq!(
        voted["my_voters"][0]["ballot"],
        json!({ "method": "yes_no", "choice": "yes" })
    );
    assert_eq!(voted["ballots"].as_array().unwrap().len(), 1, "{voted}");
    // Naming the voter explicitly works as well.
    let r = ballot(
        &owner_api,
        id,
        json!({ "text_hash": hash, "ballot": { "method": "yes_no", "choice": "yes" }, "voter": voter }),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);

    // Refused ballots, each with its own code.
    ballot(
        &owner_api,
        id,
        json!({ "text_hash": first_hash, "ballot": { "method": "yes_no", "choice": "no" } }),
    )
    .await
    .problem(409, "stale_text");
    ballot(
        &member_api,
        id,
        json!({ "text_hash": hash, "ballot": { "method": "yes_no", "choice": "no" } }),
    )
    .await
    .problem(403, "not_in_electorate");
    ballot(
        &owner_api,
        id,
        json!({ "text_hash": hash, "ballot": { "method": "approval", "approved": [] } }),
    )
    .await
    .problem(422, "invalid_ballot");
    ballot(
        &owner_api,
        id,
        json!({ "text_hash": hash, "ballot": { "method": "yes_no", "choice": "yes" }, "voter": "someone" }),
    )
    .await
    .problem(422, "invalid_input");
    send(
        &owner_api,
        Method::PUT,
        &format!("/api/v1/governance/proposals/{id}"),
        &json!({ "text": "Something else entirely." }),
    )
    .await
    .problem(409, "text_frozen");
    // A token without the governance scope, and a read-only one writing.
    let lists_only = api_for(&t, &owner, &["lists:write"]).await;
    get(&lists_only, "/api/v1/governance/proposals")
        .await
        .problem(403, "insufficient_scope");
    let read_only = api_for(&t, &owner, &["governance:read"]).await;
    assert_eq!(view(&read_only, id).await["id"], id);
    ballot(
        &read_only,
        id,
        json!({ "text_hash": hash, "ballot": { "method": "yes_no", "choice": "no" } }),
    )
    .await
    .problem(403, "insufficient_scope");
    // No credentials: the governance routes need a token.
    anonymous(&t, "/api/v1/governance/bodies")
        .await
        .problem(401, "unauthenticated");
    // Nothing of that reached the ballot box.
    let still = view(&owner_api, id).await;
    assert_eq!(
        still["my_voters"][0]["ballot"],
        json!({ "method": "yes_no", "choice": "yes" })
    );

    // The vote closes, the appeal window passes: the change is applied.
    let closes_at = voting["vote_closes_at"].as_i64().unwrap();
    t.app.governance().tick(closes_at).await.unwrap();
    let closed = view(&owner_api, id).await;
    assert_eq!(closed["stage"], "closed", "{closed}");
    assert_eq!(closed["outcome"], "adopted");
    let applicable_at = closed["applicable_at"].as_i64().unwrap();
    assert_eq!(applicable_at, closes_at + DAY, "the amended appeal window");
    ballot(
        &owner_api,
        id,
        json!({ "text_hash": hash, "ballot": { "method": "yes_no", "choice": "no" } }),
    )
    .await
    .problem(409, "vote_closed");
    let report = t.app.governance().tick(applicable_at).await.unwrap();
    assert_eq!(report.applied, 1, "{report:?}");
    let applied = view(&owner_api, id).await;
    assert_eq!(applied["stage"], "applied", "{applied}");
    assert_eq!(applied["undo"]["kind"], "set_quota_limits");
    assert_eq!(applied["may_roll_back"], false, "members never roll back");
    let now_limits = t
        .app
        .quota_profiles()
        .get(&Actor::operator_cli(), profile.id)
        .await
        .unwrap()
        .limits;
    assert_eq!(now_limits, new_limits);
    let stage_applied = get(&member_api, "/api/v1/governance/proposals?stage=applied")
        .await
        .ok(200);
    assert_eq!(items(&stage_applied).len(), 1);

    // The decision log, without any credentials: newest first, chained.
    let log = anonymous(&t, "/api/v1/decisions").await.ok(200);
    let entries = log["entries"].as_array().unwrap();
    let events: Vec<&str> = entries
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["applied", "decided"], "{log}");
    assert!(entries.iter().all(|e| e["proposal_id"] == id));
    assert_eq!(log["head"], entries[0]["hash"], "{log}");
    assert_eq!(entries[0]["prev_hash"], entries[1]["hash"]);
    assert_eq!(entries[1]["outcome"], "adopted");
    assert_eq!(log["next_before"], Value::Null);
    let first = anonymous(&t, "/api/v1/decisions?limit=1").await.ok(200);
    assert_eq!(first["entries"].as_array().unwrap().len(), 1);
    assert_eq!(first["next_before"], entries[0]["id"]);
    let older = anonymous(
        &t,
        &format!("/api/v1/decisions?before={}", entries[0]["id"]),
    )
    .await
    .ok(200);
    assert_eq!(older["entries"][0]["id"], entries[1]["id"], "{older}");
    anonymous(&t, "/api/v1/decisions?limit=many")
        .await
        .problem(400, "malformed_body");
    let one = anonymous(&t, &format!("/api/v1/decisions/{}", entries[1]["id"]))
        .await
        .ok(200);
    assert_eq!(one, entries[1]);
    anonymous(&t, "/api/v1/decisions/999999")
        .await
        .problem(404, "not_found");
    let verified = anonymous(&t, "/api/v1/decisions/verify").await.ok(200);
    assert_eq!(verified["intact"], true, "{verified}");
    assert_eq!(verified["first_bad"], Value::Null);
    assert_eq!(verified["entries"], 2);
    assert_eq!(verified["head"], log["head"]);
    // The proposal's view lists its own entries too.
    assert_eq!(applied["decisions"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_api_ranked_ballots_are_checked_and_drafts_withdrawn() {
    let t = TestApp::spawn().await.unwrap();
    let (_, owner, _) = t.seed_account("radio").await.unwrap();
    let admin_api = api_for(&t, &admin(&t).await, &["governance:write"]).await;
    let owner_api = api_for(&t, &owner, &["governance:write"]).await;
    let body_id = assembly(&admin_api).await;

    let ranked = send(
        &owner_api,
        Method::POST,
        "/api/v1/governance/proposals",
        &json!({
            "body_id": body_id,
            "title": "Where the assembly meets",
            "text": "Rank the places.",
            "method": "schulze",
            "options": ["The library", "The garden"],
        }),
    )
    .await
    .ok(201);
    let id = ranked["id"].as_i64().unwrap();
    assert_eq!(ranked["method"], "schulze");
    assert_eq!(ranked["options"], json!(["The library", "The garden"]));
    get(
        &owner_api,
        &format!("/api/v1/governance/proposals/{id}/preview"),
    )
    .await
    .problem(404, "not_found");
    // Before the vote opens, a ballot is refused as such.
    post_empty(
        &owner_api,
        &format!("/api/v1/governance/proposals/{id}/discussion"),
    )
    .await
    .ok(200);
    let hash = view(&owner_api, id).await["text_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    ballot(
        &owner_api,
        id,
        json!({ "text_hash": hash, "ballot": { "method": "schulze", "ranking": [["The library"]] } }),
    )
    .await
    .problem(409, "vote_not_open");
    t.app
        .governance()
        .tick(konbit_app::now() + 8 * DAY)
        .await
        .unwrap();
    assert_eq!(view(&owner_api, id).await["stage"], "voting");

    // An option ranked twice is not a ballot.
    ballot(
        &owner_api,
        id,
        json!({
            "text_hash": hash,
            "ballot": { "method": "schulze", "ranking": [["The library"], ["The library", "status quo"]] },
        }),
    )
    .await
    .problem(422, "invalid_ballot");
    ballot(
        &owner_api,
        id,
        json!({
            "text_hash": hash,
            "ballot": { "method": "schulze", "ranking": [["The garden"], ["status quo"], ["The library"]] },
        }),
    )
    .await
    .ok(204);
    // A ballot that is not JSON of a known shape never reaches the service.
    ballot(
        &owner_api,
        id,
        json!({ "text_hash": hash, "ballot": { "method": "dice" } }),
    )
    .await
    .problem(400, "malformed_body");

    // A second draft is withdrawn; it stays out of the public log.
    let draft = send(
        &owner_api,
        Method::POST,
        "/api/v1/governance/proposals",
        &json!({ "body_id": body_id, "title": "Never mind", "text": "A thought." }),
    )
    .await
    .ok(201);
    let draft_id = draft["id"].as_i64().unwrap();
    let withdrawn = post_empty(
        &owner_api,
        &format!("/api/v1/governance/proposals/{draft_id}/withdraw"),
    )
    .await
    .ok(200);
    assert_eq!(withdrawn["stage"], "withdrawn", "{withdrawn}");
    // Rolling back is the admins' (and there is nothing applied here).
    post_empty(
        &owner_api,
        &format!("/api/v1/governance/proposals/{id}/rollback"),
    )
    .await
    .problem(403, "forbidden");
    post_empty(
        &admin_api,
        &format!("/api/v1/governance/proposals/{id}/rollback"),
    )
    .await
    .problem(409, "wrong_stage");
    let log = anonymous(&t, "/api/v1/decisions").await.ok(200);
    assert_eq!(log["entries"], json!([]), "{log}");
    let verified = anonymous(&t, "/api/v1/decisions/verify").await.ok(200);
    assert_eq!(verified["intact"], true);
    assert_eq!(verified["entries"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_api_is_in_the_openapi_document() {
    let t = TestApp::spawn().await.unwrap();
    let doc: Value = anonymous(&t, "/api/v1/openapi.json").await.ok(200);
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in [
        ("get", "/api/v1/governance/bodies"),
        ("post", "/api/v1/governance/bodies"),
        ("get", "/api/v1/governance/bodies/{id}"),
        ("put", "/api/v1/governance/bodies/{id}"),
        ("get", "/api/v1/governance/proposals"),
        ("post", "/api/v1/governance/proposals"),
        ("get", "/api/v1/governance/proposals/{id}"),
        ("put", "/api/v1/governance/proposals/{id}"),
        ("post", "/api/v1/governance/proposals/{id}/discussion"),
        ("post", "/api/v1/governance/proposals/{id}/withdraw"),
        ("post", "/api/v1/governance/proposals/{id}/rollback"),
        ("get", "/api/v1/governance/proposals/{id}/comments"),
        ("post", "/api/v1/governance/proposals/{id}/comments"),
        ("put", "/api/v1/governance/proposals/{id}/ballot"),
        ("get", "/api/v1/governance/proposals/{id}/preview"),
        ("get", "/api/v1/decisions"),
        ("get", "/api/v1/decisions/{id}"),
        ("get", "/api/v1/decisions/verify"),
    ] {
        let op = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is not documented"))[method];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert_eq!(op["tags"], json!(["governance"]), "{method} {path}");
        // The decision log is public: the document says no credentials.
        let public = path.starts_with("/api/v1/decisions");
        assert_eq!(
            op["security"] == json!([{}]),
            public,
            "{method} {path}: {}",
            op["security"]
        );
    }
    let tag = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "governance")
        .expect("a governance tag");
    assert!(
        tag["description"]
            .as_str()
            .is_some_and(|d| d.contains("governance:read")),
        "{tag}"
    );
}
