//! The decision that changes the platform, end to end over HTTP: the
//! assembly adopts a quota change, nothing happens during the appeal
//! window, then the profile changes; the audit log names the decision as
//! the actor of the change, and the public decision log (JSON and page,
//! no sign-in) holds the final text, the tally, the outcome and the
//! application, with a chain that verifies.

use crate::api::{get, post_empty, send};
use konbit_core::authz::Actor;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person, http_client};
use reqwest::Method;
use serde_json::{Value, json};

const DAY: i64 = 24 * 60 * 60;
const APPEAL: i64 = 2 * DAY;

async fn api_for(t: &TestApp, person: &Person, scopes: &[&str]) -> Api {
    let token = t.token_for(person, scopes).await.unwrap();
    t.api(Some(&token)).unwrap()
}

async fn mailboxes(admin: &Api, profile: i64) -> u64 {
    get(admin, &format!("/api/v1/quota-profiles/{profile}"))
        .await
        .ok(200)["limits"]["mailboxes"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn an_adopted_quota_change_applies_after_its_appeal_window_and_shows_in_both_logs() {
    let t = TestApp::spawn().await.unwrap();
    let cli = Actor::operator_cli();
    let admin_person = t
        .app
        .users()
        .get_by_email(&cli, "admin@coop.test")
        .await
        .unwrap();
    let admin = Person {
        id: admin_person.id,
        email: "admin@coop.test".into(),
    };
    let admin = api_for(
        &t,
        &admin,
        &["governance:write", "quota-profiles:read", "audit:read"],
    )
    .await;
    let mut owners = Vec::new();
    for name in ["radio", "garden", "bakery"] {
        let (_, owner, _) = t.seed_account(name).await.unwrap();
        owners.push(api_for(&t, &owner, &["governance:write"]).await);
    }

    // The assembly's rules, as the bylaws say: two days of appeal.
    let mut rules =
        serde_json::to_value(konbit_core::governance::rules::DecisionRules::default_for(
            konbit_core::governance::rules::BodyKind::GeneralAssembly,
        ))
        .unwrap();
    rules["appeal_window_seconds"] = json!(APPEAL);
    let body = send(
        &admin,
        Method::POST,
        "/api/v1/governance/bodies",
        &json!({ "name": "General assembly", "rules": rules }),
    )
    .await
    .ok(201)["id"]
        .as_i64()
        .unwrap();

    let profiles = get(&admin, "/api/v1/quota-profiles").await.ok(200);
    let profile = &profiles["items"][0];
    let profile_id = profile["id"].as_i64().unwrap();
    let before = mailboxes(&admin, profile_id).await;
    let mut limits = profile["limits"].clone();
    limits["mailboxes"] = json!(before + 10);

    let proposal = send(
        &owners[0],
        Method::POST,
        "/api/v1/governance/proposals",
        &json!({
            "body_id": body,
            "title": "Ten more mailboxes",
            "text": "Every member gets ten more mailboxes on the standard profile.",
            "action": { "kind": "set_quota_limits", "profile_id": profile_id, "limits": limits },
        }),
    )
    .await
    .ok(201);
    let id = proposal["id"].as_i64().unwrap();
    let path = format!("/api/v1/governance/proposals/{id}");
    post_empty(&owners[0], &format!("{path}/discussion"))
        .await
        .ok(200);

    // The discussion lasts a week; then the vote opens, the text frozen.
    t.app
        .governance()
        .tick(konbit_app::now() + 7 * DAY + 1)
        .await
        .unwrap();
    let view = get(&owners[1], &path).await.ok(200);
    assert_eq!(view["stage"], "voting", "{view}");
    let hash = view["text_hash"].as_str().unwrap().to_owned();
    let closes_at = view["vote_closes_at"].as_i64().unwrap();
    for owner in &owners[..2] {
        let r = send(
            owner,
            Method::PUT,
            &format!("{path}/ballot"),
            &json!({ "text_hash": hash, "ballot": { "method": "yes_no", "choice": "yes" } }),
        )
        .await;
        assert_eq!(r.status, 204, "{}", r.body);
    }

    // Closed and adopted: the decision is logged, the platform not yet changed.
    t.app.governance().tick(closes_at).await.unwrap();
    let view = get(&owners[2], &path).await.ok(200);
    assert_eq!(view["stage"], "closed", "{view}");
    assert_eq!(view["outcome"], "adopted");
    let applicable_at = view["applicable_at"].as_i64().unwrap();
    assert_eq!(applicable_at, closes_at + APPEAL);
    t.app.governance().tick(applicable_at - 1).await.unwrap();
    assert_eq!(
        mailboxes(&admin, profile_id).await,
        before,
        "the appeal window holds it"
    );

    // Past the appeal window: applied.
    let report = t.app.governance().tick(applicable_at).await.unwrap();
    assert_eq!(report.applied, 1, "{report:?}");
    assert_eq!(mailboxes(&admin, profile_id).await, before + 10);
    let view = get(&owners[0], &path).await.ok(200);
    assert_eq!(view["stage"], "applied");

    // The audit log names the decision as the actor of the change.
    let audit = get(&admin, "/api/v1/audit?kind=quota_profile")
        .await
        .ok(200);
    let entries = audit["items"].as_array().unwrap();
    let change = entries
        .iter()
        .find(|e| e["action"] == "quota_profile_updated")
        .unwrap_or_else(|| panic!("no quota change in the audit log: {audit}"));
    assert_eq!(change["actor"], format!("decision #{id}"), "{change}");

    // The public decision log, without any credentials: the final text,
    // the tally, the outcome, then the application with its undo.
    let anonymous = http_client().unwrap();
    let log: Value = anonymous
        .get(t.url("/api/v1/decisions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = log["entries"].as_array().unwrap();
    let events: Vec<&str> = entries
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["applied", "decided"], "{log}");
    let decided = &entries[1];
    assert_eq!(decided["text_hash"], hash.as_str());
    assert_eq!(decided["outcome"], "adopted");
    assert!(
        decided["text"]
            .as_str()
            .unwrap()
            .contains("ten more mailboxes")
    );
    let tally: Value = serde_json::from_str(decided["tally"].as_str().unwrap()).unwrap();
    assert_eq!(tally["count"]["tally"]["yes"], 2, "{tally}");
    let detail: Value = serde_json::from_str(entries[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["undo"]["limits"]["mailboxes"], before, "{detail}");
    let head = log["head"].as_str().unwrap().to_owned();
    assert_eq!(entries[0]["hash"], head.as_str());
    let verify: Value = anonymous
        .get(t.url("/api/v1/decisions/verify"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verify["entries"], 2, "{verify}");
    assert_eq!(verify["head"], head.as_str());
    assert!(verify["first_bad"].is_null(), "{verify}");
    let page = anonymous
        .get(t.url("/decisions"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&head), "the public page shows the head hash");
    assert!(html.contains("Ten more mailboxes"));
}

/// An appeal lodged from the panel during the appeal window holds the
/// change past the window's end; once an admin dismisses it (API), the
/// change applies; the log tells the whole story.
#[tokio::test]
async fn an_appeal_holds_the_change_until_an_admin_settles_it() {
    let t = TestApp::spawn().await.unwrap();
    let cli = Actor::operator_cli();
    let admin_person = t
        .app
        .users()
        .get_by_email(&cli, "admin@coop.test")
        .await
        .unwrap();
    let admin = api_for(
        &t,
        &Person {
            id: admin_person.id,
            email: "admin@coop.test".into(),
        },
        &["governance:write", "accounts:read"],
    )
    .await;
    let mut people = Vec::new();
    let mut accounts = Vec::new();
    for name in ["radio", "garden"] {
        let (account, owner, _) = t.seed_account(name).await.unwrap();
        accounts.push(account);
        people.push(owner);
    }
    let owner = api_for(&t, &people[0], &["governance:write"]).await;
    let body = send(
        &admin,
        Method::POST,
        "/api/v1/governance/bodies",
        &json!({ "name": "General assembly", "kind": "general_assembly" }),
    )
    .await
    .ok(201)["id"]
        .as_i64()
        .unwrap();
    let id = send(
        &owner,
        Method::POST,
        "/api/v1/governance/proposals",
        &json!({
            "body_id": body,
            "title": "Lock the garden account",
            "text": "Dues unpaid for a year.",
            "action": { "kind": "lock_account", "account_id": accounts[1].0, "reason": "unpaid dues" },
        }),
    )
    .await
    .ok(201)["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/governance/proposals/{id}");
    post_empty(&owner, &format!("{path}/discussion"))
        .await
        .ok(200);
    let gov = t.app.governance();
    gov.tick(konbit_app::now() + 7 * DAY + 1).await.unwrap();
    let view = get(&owner, &path).await.ok(200);
    let hash = view["text_hash"].as_str().unwrap().to_owned();
    send(
        &owner,
        Method::PUT,
        &format!("{path}/ballot"),
        &json!({ "text_hash": hash, "ballot": { "method": "yes_no", "choice": "yes" } }),
    )
    .await;
    gov.tick(view["vote_closes_at"].as_i64().unwrap())
        .await
        .unwrap();
    let applicable_at = get(&owner, &path).await.ok(200)["applicable_at"]
        .as_i64()
        .unwrap();

    // The garden's owner (a voter) appeals from the panel, in French.
    let garden = t.session_for(&people[1]).await.unwrap();
    let page = garden
        .get(&format!("/governance/proposals/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"reason\""),
        "the appeal form is offered"
    );
    let res = garden
        .post(
            &format!("/governance/proposals/{id}/appeal"),
            &[("reason", "Our dues were paid <on time>.")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = garden
        .get(&format!("/governance/proposals/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Our dues were paid &#60;on time&#62;."),
        "escaped: {page}"
    );
    assert!(!page.contains("name=\"reason\""), "one appeal at a time");

    // Past the window, the account is still unlocked: the appeal holds it.
    gov.tick(applicable_at + DAY).await.unwrap();
    let locked = || async {
        get(&admin, &format!("/api/v1/accounts/{}", accounts[1].0))
            .await
            .ok(200)["locked"]
            .as_bool()
            .unwrap()
    };
    assert!(!locked().await);
    assert_eq!(get(&owner, &path).await.ok(200)["stage"], "closed");

    // Only an admin settles it; dismissed, the change applies.
    let r = send(
        &owner,
        Method::POST,
        &format!("{path}/appeal/decision"),
        &json!({ "uphold": false }),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let settled = send(
        &admin,
        Method::POST,
        &format!("{path}/appeal/decision"),
        &json!({ "uphold": false }),
    )
    .await
    .ok(200);
    assert_eq!(settled["appeal"]["settled"]["upheld"], false, "{settled}");
    gov.tick(applicable_at + DAY).await.unwrap();
    assert!(locked().await);
    let log = get(&owner, "/api/v1/decisions").await.ok(200);
    let events: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["applied", "appeal_dismissed", "appealed", "decided"],
        "{log}"
    );
}
