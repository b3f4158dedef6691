//! The audit log end to end: changes from the panel, the API and the CLI
//! land in it with the right actor and source; `konbit audit verify` (the
//! real binary) names a modified, deleted or reordered entry; members see
//! only their accounts' entries (panel, API, CSV); filters and CSV quoting.

use konbit_core::authz::Actor;
use konbit_core::model::Locale;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Person, http_client, login_form};
use konbit_web::i18n::Tr;
use serde_json::Value;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_konbit");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary against the test server's state directory.
fn konbit(t: &TestApp, args: &[&str]) -> Out {
    let mut c = Command::new(BIN);
    c.args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KONBIT_") {
            c.env_remove(&key);
        }
    }
    c.env_remove("LC_ALL")
        .env("LANG", "C.UTF-8")
        .env("RUST_LOG", "warn")
        .env("KONBIT_STATE_DIR", t.dir.path());
    let out = c.output().expect("the konbit binary runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn admin(t: &TestApp) -> Person {
    let p = t
        .app
        .users()
        .get_by_email(&Actor::operator_cli(), "admin@coop.test")
        .await
        .unwrap();
    Person {
        id: p.id,
        email: p.email.to_string(),
    }
}

/// A minimal RFC 4180 reader, so the test checks what a spreadsheet reads.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

async fn audit_json(t: &TestApp, token: &str, query: &str) -> Value {
    let res = t
        .api(Some(token))
        .unwrap()
        .get(&format!("/api/v1/audit{query}"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_from_the_panel_the_api_and_the_cli_are_audited_with_actor_and_source() {
    let t = TestApp::spawn().await.unwrap();
    let (a, owner, _member) = t.seed_account("radio").await.unwrap();
    let admin = admin(&t).await;
    let profile = t
        .app
        .accounts()
        .get(&Actor::operator_cli(), a)
        .await
        .unwrap()
        .quota_profile_id;

    // Panel.
    let s = t.session_for(&admin).await.unwrap();
    let res = s
        .post(
            &format!("/accounts/{a}/edit"),
            &[
                ("display_name", "Radio Panel"),
                ("quota_profile_id", &profile.to_string()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // API.
    let token = t
        .token_for(&admin, &["accounts:write", "audit:read"])
        .await
        .unwrap();
    let res = t
        .api(Some(&token))
        .unwrap()
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{a}"),
            &serde_json::json!({ "display_name": "Radio API" }),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // CLI, against the same state directory.
    let out = konbit(
        &t,
        &["account", "update", "radio", "--display-name", "Radio CLI"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);

    let page = audit_json(
        &t,
        &token,
        &format!("?account_id={a}&kind=account&object_id={a}"),
    )
    .await;
    let updates: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "account_updated")
        .collect();
    let find = |name: &str| {
        *updates
            .iter()
            .find(|e| e["new_value"]["display_name"] == name)
            .unwrap_or_else(|| panic!("no entry for {name}: {page:#}"))
    };
    let panel = find("Radio Panel");
    assert_eq!(panel["source"], "panel");
    assert_eq!(panel["actor"], "admin@coop.test");
    assert_eq!(panel["actor_user_id"], admin.id.0);
    assert_eq!(panel["ip"], "127.0.0.1");
    assert_eq!(panel["old_value"]["display_name"], "The radio group");
    let api = find("Radio API");
    assert_eq!(api["source"], "api");
    assert!(
        api["actor"]
            .as_str()
            .unwrap()
            .starts_with("admin@coop.test (token")
    );
    assert!(api["token_id"].is_i64());
    assert_eq!(api["old_value"]["display_name"], "Radio Panel");
    let cli = find("Radio CLI");
    assert_eq!(cli["source"], "cli");
    assert_eq!(cli["actor"], "cli");
    assert_eq!(cli["old_value"]["display_name"], "Radio API");
    // Every entry carries its chain hash.
    let items = page["items"].as_array().unwrap();
    assert!(items[0]["hash"].as_str().unwrap().len() == 64);

    // Sign-in, password change and sign-out are audited, secrets never.
    let s = t
        .sign_in(&owner.email, konbit_testkit::app::PASSWORD)
        .await
        .unwrap();
    let res = s
        .post(
            "/settings/password",
            &[
                ("current_password", konbit_testkit::app::PASSWORD),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = s.post("/logout", &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    let page = audit_json(&t, &token, &format!("?actor={}", owner.email)).await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in ["sign_in", "password_changed", "sign_out"] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    let db = t.db().await.unwrap();
    let leaks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE coalesce(old_value, '') || coalesce(new_value, '') \
         LIKE '%argon2%' OR coalesce(new_value, '') LIKE '%brand new%'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(leaks, 0);

    // The panel page, in French (the default) and in English: translated
    // actions and "field: old → new", no raw JSON.
    let s = t.session_for(&admin).await.unwrap();
    let html = s.get("/audit").await.unwrap().text().await.unwrap();
    let fr = Tr::new(Locale::Fr);
    assert!(html.contains(&fr.t("audit-account-updated")), "{html}");
    assert!(html.contains(&fr.t("audit-field-display-name")));
    assert!(html.contains("<del>Radio API</del>") && html.contains("<ins>Radio CLI</ins>"));
    assert!(!html.contains("{&quot;display_name"));
    let en = s
        .http
        .get(t.url("/audit"))
        .header(
            "cookie",
            format!("{}={}; konbit_lang=en", s.cookie_name, s.cookie),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("Account edited"), "{en}");
    assert!(en.contains("lang=\"en\""));
    // The account page's recent activity shows the same readable changes.
    let html = s
        .get(&format!("/accounts/{a}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<ins>Radio CLI</ins>"), "{html}");
}

/// A server with a few audited changes, and its verified chain.
async fn chained() -> TestApp {
    let t = TestApp::spawn().await.unwrap();
    t.seed_account("radio").await.unwrap();
    t.seed_account("garden").await.unwrap();
    let out = konbit(&t, &["audit", "verify", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert!(v["entries_checked"].as_u64().unwrap() >= 3, "{v}");
    t
}

async fn tamper(t: &TestApp, statements: &[&'static str]) {
    let db = t.db().await.unwrap();
    for s in statements {
        sqlx::query(*s).execute(&db).await.unwrap();
    }
    db.close().await;
}

fn broken(t: &TestApp) -> (Value, String) {
    let json = konbit(t, &["audit", "verify", "--output", "json"]);
    assert_eq!(json.code, 6, "{} {}", json.stdout, json.stderr);
    let text = konbit(t, &["audit", "verify"]);
    assert_eq!(text.code, 6);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    (v["first_bad"].clone(), text.stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn konbit_audit_verify_names_a_modified_deleted_or_reordered_entry() {
    // Modified.
    let t = chained().await;
    tamper(
        &t,
        &["UPDATE audit_log SET new_value = '{\"display_name\":\"Forged\"}' WHERE id = 3"],
    )
    .await;
    let (bad, text) = broken(&t);
    assert_eq!(bad["id"], 3);
    assert_eq!(bad["problem"], "modified");
    let action = bad["action"].as_str().unwrap().to_owned();
    assert!(text.contains("#3") && text.contains(&action), "{text}");

    // Deleted: the entry after the gap is named.
    let t = chained().await;
    tamper(&t, &["DELETE FROM audit_log WHERE id = 2"]).await;
    let (bad, text) = broken(&t);
    assert_eq!(bad["id"], 3);
    assert_eq!(bad["problem"], "unlinked");
    assert!(text.contains("#3"), "{text}");

    // Reordered: two entries swap places.
    let t = chained().await;
    tamper(
        &t,
        &[
            "UPDATE audit_log SET id = -1 WHERE id = 2",
            "UPDATE audit_log SET id = 2 WHERE id = 3",
            "UPDATE audit_log SET id = 3 WHERE id = -1",
        ],
    )
    .await;
    let (bad, text) = broken(&t);
    assert_eq!(bad["id"], 2);
    assert!(text.contains("#2"), "{text}");

    // The CLI lists and exports too.
    let t = chained().await;
    let out = konbit(
        &t,
        &["audit", "list", "--account", "radio", "--output", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(v["total"].as_u64().unwrap() >= 1);
    let out = konbit(
        &t,
        &["audit", "export", "--format", "csv", "--kind", "account"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = parse_csv(&out.stdout);
    assert_eq!(rows[0][0], "id");
    assert_eq!(rows.len(), 3, "{}", out.stdout);
    let out = konbit(&t, &["audit", "list", "--from", "yesterday"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_sees_only_their_accounts_entries() {
    let t = TestApp::spawn().await.unwrap();
    let (a, _owner_a, member_a) = t.seed_account("radio").await.unwrap();
    let (b, _owner_b, _) = t.seed_account("garden").await.unwrap();
    let admin = admin(&t).await;

    // API.
    let token = t.token_for(&member_a, &["audit:read"]).await.unwrap();
    let page = audit_json(&t, &token, "").await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["account_id"] == a.0), "{page:#}");
    let res = t
        .api(Some(&token))
        .unwrap()
        .get(&format!("/api/v1/audit?account_id={b}"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let csv = t
        .api(Some(&token))
        .unwrap()
        .get("/api/v1/audit.csv")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = parse_csv(&csv);
    assert!(rows.len() > 1);
    assert!(rows[1..].iter().all(|r| r[11] == a.0.to_string()), "{csv}");
    assert!(!csv.contains("garden"));
    // Without the scope: refused.
    let other = t.token_for(&member_a, &["accounts:read"]).await.unwrap();
    let res = t
        .api(Some(&other))
        .unwrap()
        .get("/api/v1/audit")
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Panel.
    let s = t.session_for(&member_a).await.unwrap();
    let html = s.get("/audit").await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/accounts/{a}\"")));
    assert!(!html.contains(&format!("/accounts/{b}\"")), "{html}");
    assert!(!html.contains("garden"));
    let res = s.get(&format!("/audit?account_id={b}")).await.unwrap();
    assert_eq!(res.status(), 404);
    let csv = s.get("/audit.csv").await.unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(!csv.contains("garden"));
    assert!(
        parse_csv(&csv)[1..]
            .iter()
            .all(|r| r[11] == a.0.to_string())
    );

    // An admin sees everything, co-op-wide entries (no account) included.
    let token = t.token_for(&admin, &["audit:read"]).await.unwrap();
    let page = audit_json(&t, &token, "?per_page=200").await;
    let items = page["items"].as_array().unwrap();
    assert!(items.iter().any(|e| e["account_id"] == b.0));
    assert!(items.iter().any(|e| e["account_id"].is_null()));
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_validate_dates_and_csv_is_quoted_and_neutralised() {
    let t = TestApp::spawn().await.unwrap();
    let (a, _, _) = t.seed_account("radio").await.unwrap();
    let admin = admin(&t).await;
    let token = t
        .token_for(&admin, &["accounts:write", "audit:read"])
        .await
        .unwrap();
    let api = t.api(Some(&token)).unwrap();
    let tricky = "Radio, \"Centre\" =1+1";
    let res = api
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{a}"),
            &serde_json::json!({ "display_name": tricky }),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A failed sign-in records what was typed as the actor: a formula here.
    let http = http_client().unwrap();
    let (cookie, csrf) = login_form(&http, &t.base, t.web.login_cookie())
        .await
        .unwrap();
    let res = http
        .post(t.url("/login"))
        .header("cookie", format!("{}={cookie}", t.web.login_cookie()))
        .header("origin", &t.base)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "=HYPERLINK(\"http://evil.test\")"),
            ("password", "whatever it is"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());

    let csv = api
        .get("/api/v1/audit.csv")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = parse_csv(&csv);
    assert_eq!(rows[0].join(","), konbit_app::audit::CSV_HEADER.join(","));
    assert!(rows.iter().all(|r| r.len() == 15), "{csv}");
    let update = rows
        .iter()
        .find(|r| r[8] == "account_updated")
        .expect("the update is exported");
    let new: Value = serde_json::from_str(&update[13]).unwrap();
    assert_eq!(new["display_name"], tricky);
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell could run as a formula: {cell}"
            );
        }
    }
    assert!(
        rows.iter()
            .any(|r| r[2] == "'=HYPERLINK(\"http://evil.test\")"),
        "{csv}"
    );

    // Filters.
    let today = konbit_app::audit::iso_time(konbit_app::now())[..10].to_owned();
    let page = audit_json(&t, &token, "?from=2000-01-01&to=2000-01-02").await;
    assert_eq!(page["total"], 0);
    let page = audit_json(&t, &token, &format!("?from={today}&to={today}")).await;
    assert!(page["total"].as_u64().unwrap() >= 3);
    let page = audit_json(&t, &token, "?kind=account").await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["object_kind"] == "account"));
    let page = audit_json(&t, &token, "?actor=admin@coop.test").await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|e| e["actor"].as_str().unwrap().starts_with("admin@coop.test"))
    );
    let page = audit_json(&t, &token, &format!("?actor_id={}", admin.id)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), items.len());

    let res = api
        .get("/api/v1/audit?from=31/01/2025&to=2025-01-01&kind=x")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"from") && fields.contains(&"kind"),
        "{problem}"
    );
    let res = api
        .get("/api/v1/audit?from=2025-02-01&to=2025-01-01")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "to");
    assert_eq!(problem["errors"][0]["rule"], "date_order");
    let res = api.get("/api/v1/audit?account_id=abc").await.unwrap();
    assert_eq!(res.status(), 400);

    // The panel says what is wrong, in French by default.
    let s = t.session_for(&admin).await.unwrap();
    let res = s.get("/audit?from=hier").await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("écrivez la date sous la forme année-mois-jour"),
        "{html}"
    );
    let html = s
        .get(&format!("/audit?kind=account&object_id={a}&from={today}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Radio, &quot;Centre&quot; =1+1")
            || html.contains("Radio, &#34;Centre&#34; =1+1"),
        "{html}"
    );
}
