//! Zones as wholes: sub-zones delegated from their parent, aliases that
//! mirror another domain, soft delete and restore, IDN, imports.

use super::DnsEnv;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subdomain_is_its_own_zone_delegated_with_its_ds() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    env.add_domain("studio.radio.test", json!({})).await;
    env.add_record("studio.radio.test", "www", "A", "192.0.2.30")
        .await;
    env.until_served("www.studio.radio.test", "A", &["192.0.2.30"])
        .await;
    env.until_status("radio.test", "applied").await;
    // The parent zone holds the delegation and the child's DS.
    let db = env.pdns.pool().await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.type, r.content FROM records r JOIN domains d ON d.id = r.domain_id \
         WHERE d.name = 'radio.test' AND r.name = 'studio.radio.test' ORDER BY 1, 2",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let types: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    assert!(types.contains(&"DS"), "{rows:?}");
    assert_eq!(types.iter().filter(|t| **t == "NS").count(), 2, "{rows:?}");
    let child_ds = env
        .pdns
        .pdnsutil(&["export-zone-ds", "studio.radio.test"])
        .unwrap()
        .to_lowercase();
    for (t, content) in &rows {
        if t == "DS" {
            assert!(
                child_ds.contains(&content.to_lowercase()),
                "{content} / {child_ds}"
            );
        }
    }
    env.pdns.check_zone("radio.test").unwrap();
    env.pdns.check_zone("studio.radio.test").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_serves_the_records_of_its_target() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    env.add_domain("radio-alias.test", json!({ "alias_of": "radio.test" }))
        .await;
    env.add_record("radio.test", "www", "A", "192.0.2.40").await;
    env.until_served("www.radio-alias.test", "A", &["192.0.2.40"])
        .await;
    // The alias's records cannot be edited: edit the target.
    let (status, body) = env
        .add_record("radio-alias.test", "www", "A", "192.0.2.41")
        .await;
    assert_eq!(status, 409, "{body:#}");
    assert_eq!(body["code"], "domain_is_alias");
    env.pdns.check_zone("radio-alias.test").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_domain_stops_being_served_and_comes_back_on_restore() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    env.add_record("radio.test", "www", "A", "192.0.2.50").await;
    env.until_served("www.radio.test", "A", &["192.0.2.50"])
        .await;
    let res = env
        .api
        .request(reqwest::Method::DELETE, "/api/v1/domains/radio.test")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let mut refused = String::new();
    for _ in 0..200 {
        refused = env.pdns.dig_full("www.radio.test", "A", &[]).unwrap();
        if refused.contains("REFUSED") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(refused.contains("REFUSED"), "{refused}");
    // Nobody else may take the name during the grace period.
    let (_, other, _) = env.t.seed_account("other").await.unwrap();
    let token = env.t.token_for(&other, &["domains:write"]).await.unwrap();
    let res = env
        .t
        .api(Some(&token))
        .unwrap()
        .send_json(
            reqwest::Method::POST,
            "/api/v1/domains",
            &json!({ "account": "other", "name": "radio.test" }),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    let res = env
        .api
        .request(reqwest::Method::POST, "/api/v1/domains/radio.test/restore")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    env.until_served("www.radio.test", "A", &["192.0.2.50"])
        .await;
    env.pdns.check_zone("radio.test").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idn_domain_is_served_under_its_punycode_name() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    let created = env.add_domain("kréyòl.test", json!({})).await;
    assert_eq!(created["name"], "xn--kryl-cpa9c.test", "{created:#}");
    env.add_record("kréyòl.test", "www", "A", "192.0.2.60")
        .await;
    env.until_served("www.xn--kryl-cpa9c.test", "A", &["192.0.2.60"])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_zone_file_is_served_as_one_change() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    let zone = "$ORIGIN radio.test.\n$TTL 600\n\
                @ IN SOA ns.old.example. admin.old.example. 1 2 3 4 5\n\
                @ IN NS ns.old.example.\n\
                www IN A 192.0.2.70\n\
                www IN AAAA 2001:db8::70\n\
                @ IN MX 10 mail\n\
                mail IN A 192.0.2.71\n";
    let res = env
        .api
        .send_json(
            reqwest::Method::POST,
            "/api/v1/domains/radio.test/zone",
            &json!({ "zone": zone, "dry_run": false }),
        )
        .await
        .unwrap();
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(status.is_success(), "{body:#}");
    env.until_served("www.radio.test", "A", &["192.0.2.70"])
        .await;
    env.until_served("radio.test", "MX", &["10 mail.radio.test."])
        .await;
    // The co-op's name servers stay; the old provider's are ignored.
    env.until_served("radio.test", "NS", &["ns1.coop.test.", "ns2.coop.test."])
        .await;
    env.pdns.check_zone("radio.test").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purged_domains_and_deleted_accounts_leave_powerdns() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    env.add_domain("radio2.test", json!({})).await;
    env.until_status("radio.test", "applied").await;
    env.until_status("radio2.test", "applied").await;
    let cli = konbit_core::authz::Actor::operator_cli();
    let zones = async || -> Vec<String> {
        let pool = env.pdns.pool().await.unwrap();
        sqlx::query_scalar("SELECT name FROM domains ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    // A domain past its grace period is purged, and its zone goes.
    env.t
        .app
        .domains()
        .delete(&cli, "radio.test")
        .await
        .unwrap();
    let db = env.t.db().await.unwrap();
    sqlx::query("UPDATE domains SET purge_after = 1 WHERE name = 'radio.test'")
        .execute(&db)
        .await
        .unwrap();
    let purged = env
        .t
        .app
        .domains()
        .purge_expired(&konbit_core::authz::Actor::system())
        .await
        .unwrap();
    assert_eq!(purged.len(), 1);
    let mut left = Vec::new();
    for _ in 0..200 {
        left = zones().await;
        if left == ["radio2.test"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, ["radio2.test"]);
    // A deleted account's zones stop being served; restored, they return.
    let account = env
        .t
        .app
        .accounts()
        .get_by_name(&cli, "radio")
        .await
        .unwrap();
    env.t.app.accounts().delete(&cli, account.id).await.unwrap();
    for _ in 0..200 {
        left = zones().await;
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(left.is_empty(), "{left:?}");
    env.t
        .app
        .accounts()
        .restore(&cli, account.id)
        .await
        .unwrap();
    env.until_served("radio2.test", "NS", &["ns1.coop.test.", "ns2.coop.test."])
        .await;
}

/// The panel's import form also takes an uploaded file (multipart), still
/// checked against the session's CSRF token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zone_file_uploaded_in_the_panel_is_served() {
    let Some(env) = DnsEnv::start().await else {
        return;
    };
    env.add_domain("radio.test", json!({})).await;
    let owner = konbit_testkit::app::Person {
        id: env
            .t
            .app
            .users()
            .list(
                &konbit_core::authz::Actor::operator_cli(),
                None,
                Default::default(),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|p| p.email.as_str() == "owner@radio.test")
            .unwrap()
            .id,
        email: "owner@radio.test".into(),
    };
    let s = env.t.session_for(&owner).await.unwrap();
    let multipart = |csrf: &str, file: &str| {
        let b = "----konbit-test-boundary";
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"step\"\r\n\r\napply\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"zone_file\"; filename=\"radio.zone\"\r\nContent-Type: text/plain\r\n\r\n{file}\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"zone\"\r\n\r\n\r\n\
             --{b}--\r\n"
        );
        s.http
            .post(env.t.url("/domains/radio.test/import"))
            .header("cookie", format!("{}={}", s.cookie_name, s.cookie))
            .header("origin", &env.t.base)
            .header("content-type", format!("multipart/form-data; boundary={b}"))
            .body(body)
    };
    let file = "$ORIGIN radio.test.\nwww 300 IN A 192.0.2.77\n";
    // A wrong CSRF token changes nothing.
    let res = multipart("not-the-token", file).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = multipart(&s.csrf, file).send().await.unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    env.until_served("www.radio.test", "A", &["192.0.2.77"])
        .await;
}
