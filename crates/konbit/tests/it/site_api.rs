//! Websites through the REST API only, without nginx or an ACME server: the
//! contract of every route (`/api/v1/sites`, `/api/v1/certificates`,
//! `/api/v1/accounts/{id}/disk-usage`), what the store and the queue hold
//! afterwards, and that no hostile value gets past the rules.

use crate::api::{delete, get, items, post_empty, send};
use konbit_app::AppConfig;
use konbit_app::site::SiteConfig;
use konbit_core::quota::QuotaLimits;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;

/// The `(field, rule)` pairs of a 422 problem, whose messages must all be
/// translated, with the site's own labels: a site's aliases are not mail
/// aliases, its type is not an audit entry's kind of object.
fn field_rules(problem: &Value) -> Vec<(String, String)> {
    for e in problem["errors"].as_array().into_iter().flatten() {
        let message = e["message"].as_str().unwrap_or_default();
        assert!(
            !message.starts_with("Mail aliases") && !message.starts_with("Kind of object"),
            "another object's label: {problem}"
        );
    }
    crate::api::field_rules(problem)
}

fn hosts(list: &Value) -> Vec<String> {
    items(list)
        .iter()
        .map(|s| s["host"].as_str().unwrap().to_owned())
        .collect()
}

/// A server whose sites' logs are under a directory of the test's.
async fn spawn() -> (TestApp, tempfile::TempDir) {
    let logs = tempfile::Builder::new()
        .prefix("konbit-site-logs-")
        .tempdir()
        .unwrap();
    let config = AppConfig {
        sites: SiteConfig {
            log_dir: Some(logs.path().to_path_buf()),
            ..SiteConfig::default()
        },
        ..AppConfig::default()
    };
    (TestApp::spawn_with(config).await.unwrap(), logs)
}

/// Account `name` with its owner, its domain `<name>.example`, and an API
/// client for that owner with the `domains:write` and `sites:write` scopes.
async fn owner_api(t: &TestApp, name: &str) -> (i64, Person, Api) {
    let (account, owner, _) = t.seed_account(name).await.unwrap();
    let token = t
        .token_for(&owner, &["domains:write", "sites:write"])
        .await
        .unwrap();
    let api = t.api(Some(&token)).unwrap();
    add_domain(&api, name, &format!("{name}.example")).await;
    (account.0, owner, api)
}

async fn add_domain(api: &Api, account: &str, name: &str) {
    send(
        api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": account, "name": name }),
    )
    .await
    .ok(201);
}

async fn create_site(api: &Api, body: Value) -> Value {
    send(api, Method::POST, "/api/v1/sites", &body)
        .await
        .ok(201)
}

/// Gives the account a quota profile with room for `sites` sites.
async fn allow_sites(t: &TestApp, account: i64, sites: u64) {
    let limits = QuotaLimits {
        sites,
        ..QuotaLimits::starter()
    };
    crate::api::give_quota(t, account, &format!("sites{sites}"), limits).await;
}

async fn count_sites(t: &TestApp) -> i64 {
    let pool = t.db().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sites")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// The site's generation and the one queued for the web provisioner.
async fn site_queue(t: &TestApp, id: i64) -> (i64, Option<i64>) {
    let pool = t.db().await.unwrap();
    let generation: i64 = sqlx::query_scalar("SELECT generation FROM sites WHERE id = ?")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let queued: Option<i64> = sqlx::query_scalar(
        "SELECT generation FROM reconcile_queue WHERE kind = 'site' AND object_id = ?",
    )
    .bind(id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    (generation, queued)
}

async fn sql(t: &TestApp, query: &'static str, binds: &[i64]) {
    let pool = t.db().await.unwrap();
    let mut q = sqlx::query(query);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&pool).await.unwrap();
    pool.close().await;
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test(flavor = "multi_thread")]
async fn site_api_each_type_and_its_lifecycle() {
    let (t, _logs) = spawn().await;
    let (account, _, api) = owner_api(&t, "radio").await;
    allow_sites(&t, account, 10).await;

    // Static, with an alias; the root defaults to www/<host>.
    let r = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "Radio.Example", "aliases": ["www.radio.example"], "type": "static" }),
    )
    .await;
    let location = r.header("location").to_owned();
    let s = r.ok(201);
    let id = s["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/sites/{id}"));
    assert_eq!(s["host"], "radio.example", "{s}");
    assert_eq!(s["display_host"], "radio.example");
    assert_eq!(s["account_id"], account);
    assert_eq!(s["aliases"], json!(["www.radio.example"]));
    assert_eq!(s["type"], "static");
    assert_eq!(s["root"], "www/radio.example");
    assert_eq!(s["redirect_to"], Value::Null);
    assert_eq!(s["proxy_port"], Value::Null);
    assert_eq!(
        s["https"],
        json!({ "certificate": true, "force_https": false, "hsts": false })
    );
    assert_eq!(s["enabled"], true);
    assert_eq!(s["deleted_at"], Value::Null);
    assert_eq!(s["status"]["state"], "pending", "{s}");
    assert_eq!(s["status"]["last_error"], Value::Null);
    assert_eq!(s["certificate"]["status"], "pending", "{s}");
    assert_eq!(s["certificate"]["host"], "radio.example");
    assert_eq!(s["certificate"]["names"], json!([]));
    let (generation, queued) = site_queue(&t, id).await;
    assert_eq!(queued, Some(generation), "queued for the web provisioner");

    // PHP with its own directory.
    let php = create_site(
        &api,
        json!({ "host": "blog.radio.example", "type": "php", "root": "/blog/public/" }),
    )
    .await;
    assert_eq!(php["type"], "php", "{php}");
    assert_eq!(php["root"], "blog/public");
    // A temporary redirect; the path is kept unless said otherwise.
    let redirect = create_site(
        &api,
        json!({ "host": "old.radio.example", "type": "redirect",
                "redirect_to": "HTTPS://Radio.Example/new", "redirect_permanent": false,
                "https": { "certificate": false } }),
    )
    .await;
    assert_eq!(redirect["type"], "redirect", "{redirect}");
    assert_eq!(redirect["redirect_to"], "https://radio.example/new");
    assert_eq!(redirect["redirect_permanent"], false);
    assert_eq!(redirect["redirect_keep_path"], true);
    assert_eq!(redirect["root"], Value::Null);
    assert_eq!(redirect["certificate"], Value::Null, "no certificate asked");
    // A proxy with every HTTPS option.
    let proxy = create_site(
        &api,
        json!({ "host": "app.radio.example", "type": "proxy", "proxy_port": 10080,
                "https": { "certificate": true, "force_https": true, "hsts": true } }),
    )
    .await;
    assert_eq!(proxy["proxy_port"], 10080, "{proxy}");
    assert_eq!(
        proxy["https"],
        json!({ "certificate": true, "force_https": true, "hsts": true })
    );
    let proxy_id = proxy["id"].as_i64().unwrap();

    // Read back: a list, filters, one site, its certificate.
    let list = get(&api, "/api/v1/sites").await.ok(200);
    assert_eq!(
        hosts(&list),
        [
            "app.radio.example",
            "blog.radio.example",
            "old.radio.example",
            "radio.example"
        ]
    );
    let list = get(&api, &format!("/api/v1/sites?account={account}"))
        .await
        .ok(200);
    assert_eq!(items(&list).len(), 4, "{list}");
    let list = get(&api, "/api/v1/sites?account=radio").await.ok(200);
    assert_eq!(items(&list).len(), 4, "{list}");
    assert!(items(&get(&api, "/api/v1/sites?deleted=true").await.ok(200)).is_empty());
    get(&api, "/api/v1/sites?account=nobody")
        .await
        .problem(404, "not_found");
    let one = get(&api, &format!("/api/v1/sites/{id}")).await.ok(200);
    assert_eq!(one["host"], "radio.example", "{one}");
    get(&api, "/api/v1/sites/999999")
        .await
        .problem(404, "not_found");
    get(&api, "/api/v1/sites/abc")
        .await
        .problem(404, "not_found");
    let cert = get(&api, &format!("/api/v1/sites/{id}/certificate"))
        .await
        .ok(200);
    assert_eq!(cert["status"], "pending", "{cert}");
    assert_eq!(cert["site_id"], id);
    assert_eq!(cert["not_after"], Value::Null);
    assert_eq!(cert["not_after_rfc3339"], Value::Null);
    assert!(cert.get("private_key").is_none() && cert.get("key").is_none());
    get(
        &api,
        &format!("/api/v1/sites/{}/certificate", redirect["id"]),
    )
    .await
    .problem(404, "not_found");
    // Every certificate, with its site's host.
    let certs = get(&api, "/api/v1/certificates").await.ok(200);
    let mut cert_hosts: Vec<&str> = items(&certs)
        .iter()
        .map(|c| c["host"].as_str().unwrap())
        .collect();
    cert_hosts.sort();
    assert_eq!(
        cert_hosts,
        ["app.radio.example", "blog.radio.example", "radio.example"]
    );

    // An issued certificate's dates, in unix seconds and RFC 3339.
    let now = konbit_app::now();
    let not_after = now + 60 * 86_400 + 3600;
    sql(
        &t,
        "UPDATE certificates SET cert_status = 'issued', names = '[\"radio.example\",\"www.radio.example\"]', \
         not_before = ?, not_after = ?, issued_at = ? WHERE id = ?",
        &[now - 30 * 86_400, not_after, now - 30 * 86_400, id],
    )
    .await;
    let cert = get(&api, &format!("/api/v1/sites/{id}/certificate"))
        .await
        .ok(200);
    assert_eq!(cert["status"], "issued", "{cert}");
    assert_eq!(cert["names"], json!(["radio.example", "www.radio.example"]));
    assert_eq!(cert["not_after"], not_after);
    assert_eq!(cert["days_left"], 60, "{cert}");
    assert_eq!(
        cert["not_after_rfc3339"],
        konbit_app::audit::iso_time(not_after)
    );
    assert!(cert["not_before_rfc3339"].as_str().unwrap().ends_with('Z'));
    assert_eq!(cert["covers_site_names"], true, "{cert}");
    assert!(cert["renew_at"].as_i64().unwrap() < not_after);

    // PATCH: what is left out stays.
    let patched = send(
        &api,
        Method::PATCH,
        &format!("/api/v1/sites/{id}"),
        &json!({ "type": "php" }),
    )
    .await
    .ok(200);
    assert_eq!(patched["type"], "php", "{patched}");
    assert_eq!(patched["root"], "www/radio.example");
    assert_eq!(patched["aliases"], json!(["www.radio.example"]));
    assert_eq!(patched["https"]["certificate"], true);
    assert_eq!(
        patched["certificate"]["status"], "issued",
        "same names: the certificate stays"
    );
    assert_eq!(patched["certificate"]["covers_site_names"], true);
    let (generation, queued) = site_queue(&t, id).await;
    assert_eq!(queued, Some(generation));
    assert!(generation > 1);
    // New names: a new certificate is ordered.
    let patched = send(
        &api,
        Method::PATCH,
        &format!("/api/v1/sites/{id}"),
        &json!({ "aliases": [] }),
    )
    .await
    .ok(200);
    assert_eq!(patched["aliases"], json!([]), "{patched}");
    // The old one is served until the new one is issued.
    assert_eq!(patched["certificate"]["status"], "issued", "{patched}");
    assert_eq!(patched["certificate"]["covers_site_names"], false);
    let pool = t.db().await.unwrap();
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM certificates WHERE id = ? AND status = 'pending' AND generation > 1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(queued, 1, "a new certificate is wanted");
    // Without a certificate, there is none to show or renew.
    let patched = send(
        &api,
        Method::PATCH,
        &format!("/api/v1/sites/{id}"),
        &json!({ "https": { "certificate": false } }),
    )
    .await
    .ok(200);
    assert_eq!(patched["certificate"], Value::Null, "{patched}");
    get(&api, &format!("/api/v1/sites/{id}/certificate"))
        .await
        .problem(404, "not_found");
    post_empty(&api, &format!("/api/v1/sites/{id}/certificate/renew"))
        .await
        .problem(409, "conflict");
    // The redirect becomes a proxy: the port is needed.
    let p = send(
        &api,
        Method::PATCH,
        &format!("/api/v1/sites/{}", redirect["id"]),
        &json!({ "type": "proxy" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("proxy_port".to_owned(), "required".to_owned())]
    );
    let became = send(
        &api,
        Method::PATCH,
        &format!("/api/v1/sites/{}", redirect["id"]),
        &json!({ "type": "static" }),
    )
    .await
    .ok(200);
    assert_eq!(became["root"], "www/old.radio.example", "{became}");
    assert_eq!(became["redirect_to"], Value::Null);
    // The host is fixed; unknown fields are refused.
    for body in [
        json!({ "host": "other.radio.example" }),
        json!({ "type": "static", "colour": "red" }),
        json!({ "proxy_port": "10080" }),
    ] {
        send(&api, Method::PATCH, &format!("/api/v1/sites/{id}"), &body)
            .await
            .problem(400, "malformed_body");
    }

    // Renewing asks the ACME provisioner again.
    let renewed = post_empty(&api, &format!("/api/v1/sites/{proxy_id}/certificate/renew"))
        .await
        .ok(200);
    assert_eq!(renewed["certificate"]["status"], "pending", "{renewed}");
    let pool = t.db().await.unwrap();
    let queued: Option<i64> = sqlx::query_scalar(
        "SELECT generation FROM reconcile_queue WHERE kind = 'certificate' AND object_id = ?",
    )
    .bind(proxy_id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert!(queued.is_some(), "the certificate is queued");

    // Disable and enable: a disabled site has no certificate.
    let off = post_empty(&api, &format!("/api/v1/sites/{proxy_id}/disable"))
        .await
        .ok(200);
    assert_eq!(off["enabled"], false, "{off}");
    assert_eq!(off["certificate"], Value::Null);
    let on = post_empty(&api, &format!("/api/v1/sites/{proxy_id}/enable"))
        .await
        .ok(200);
    assert_eq!(on["enabled"], true, "{on}");
    assert_eq!(on["certificate"]["status"], "pending");

    // Soft delete and restore.
    let deleted = delete(&api, &format!("/api/v1/sites/{proxy_id}"))
        .await
        .ok(200);
    assert!(deleted["deleted_at"].is_i64(), "{deleted}");
    assert!(deleted["purge_after"].as_i64().unwrap() > deleted["deleted_at"].as_i64().unwrap());
    assert!(
        !hosts(&get(&api, "/api/v1/sites").await.ok(200)).contains(&"app.radio.example".into())
    );
    assert_eq!(
        hosts(&get(&api, "/api/v1/sites?deleted=1").await.ok(200)),
        ["app.radio.example"]
    );
    delete(&api, &format!("/api/v1/sites/{proxy_id}"))
        .await
        .problem(404, "not_found");
    send(
        &api,
        Method::PATCH,
        &format!("/api/v1/sites/{proxy_id}"),
        &json!({ "proxy_port": 10081 }),
    )
    .await
    .problem(404, "not_found");
    post_empty(&api, &format!("/api/v1/sites/{proxy_id}/enable"))
        .await
        .problem(404, "not_found");
    // Its name stays taken while it can be restored.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "app.radio.example", "type": "static" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("host".to_owned(), "duplicate_site_name".to_owned())]
    );
    let restored = post_empty(&api, &format!("/api/v1/sites/{proxy_id}/restore"))
        .await
        .ok(200);
    assert_eq!(restored["deleted_at"], Value::Null, "{restored}");
    assert_eq!(restored["proxy_port"], 10080);
    post_empty(&api, &format!("/api/v1/sites/{proxy_id}/restore"))
        .await
        .problem(409, "conflict");
    let (generation, queued) = site_queue(&t, proxy_id).await;
    assert_eq!(queued, Some(generation));
}

#[tokio::test(flavor = "multi_thread")]
async fn site_api_unicode_hosts() {
    let (t, _logs) = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    add_domain(&api, "radio", "café.example").await;
    let s = create_site(
        &api,
        json!({ "host": "www.café.example", "aliases": ["café.example"], "type": "static" }),
    )
    .await;
    assert_eq!(s["host"], "www.xn--caf-dma.example", "{s}");
    assert_eq!(s["display_host"], "www.café.example");
    assert_eq!(s["aliases"], json!(["xn--caf-dma.example"]));
    assert_eq!(s["display_aliases"], json!(["café.example"]));
    assert_eq!(s["root"], "www/www.xn--caf-dma.example");
    assert_eq!(s["certificate"]["display_host"], "www.café.example");
}

// ---------------------------------------------------------------- rules

/// Values that must never reach nginx's configuration, in every field.
const HOSTILE: [&str; 9] = [";", "{", "}", "\"", "'", "$", " ", "\n", "\\"];

#[tokio::test(flavor = "multi_thread")]
async fn site_api_hostile_values_are_422_naming_the_field() {
    let (t, _logs) = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let existing = create_site(&api, json!({ "host": "radio.example", "type": "static" })).await;
    let existing_path = format!("/api/v1/sites/{}", existing["id"]);
    let before = t.fingerprint().await.unwrap();

    let check = |p: Value, field: &str, rules: &[&str], what: &str| {
        let got = field_rules(&p);
        assert_eq!(got.len(), 1, "{what}: {p}");
        assert_eq!(got[0].0, field, "{what}: {p}");
        assert!(
            rules.contains(&got[0].1.as_str()),
            "{what}: rule {} not in {rules:?}",
            got[0].1
        );
    };
    for c in HOSTILE {
        let name = format!("a{c}b.radio.example");
        // The host. (An unparsable host belongs to no account's domain:
        // the service names that rule before the format's.)
        let p = send(
            &api,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": name, "type": "static" }),
        )
        .await
        .problem(422, "invalid_input");
        check(
            p,
            "host",
            &[
                "hostname_format",
                "control_character",
                "host_outside_account",
            ],
            &format!("host {name:?}"),
        );
        // An alias, on create and on update.
        for (method, path, body) in [
            (
                Method::POST,
                "/api/v1/sites",
                json!({ "host": "new.radio.example", "type": "static", "aliases": [name] }),
            ),
            (
                Method::PATCH,
                existing_path.as_str(),
                json!({ "aliases": ["www.radio.example", name] }),
            ),
        ] {
            let p = send(&api, method, path, &body)
                .await
                .problem(422, "invalid_input");
            check(
                p,
                "aliases",
                &["hostname_format", "control_character"],
                &format!("alias {name:?}"),
            );
        }
        // The directory served.
        let root = format!("www/a{c}b");
        let p = send(
            &api,
            Method::PATCH,
            &existing_path,
            &json!({ "root": root }),
        )
        .await
        .problem(422, "invalid_input");
        check(
            p,
            "root",
            &["path_format", "control_character"],
            &format!("root {root:?}"),
        );
        // Where a redirect sends visitors, in its path and in its host.
        for target in [
            format!("https://radio.example/a{c}b"),
            format!("https://a{c}b.example/"),
        ] {
            let p = send(
                &api,
                Method::POST,
                "/api/v1/sites",
                &json!({ "host": "go.radio.example", "type": "redirect", "redirect_to": target }),
            )
            .await
            .problem(422, "invalid_input");
            check(
                p,
                "redirect_to",
                &["url_format", "control_character"],
                &format!("target {target:?}"),
            );
        }
    }
    // `..` and dot-directories never leave or hide in the home.
    for root in [
        "..",
        "www/../..",
        "../etc",
        "./www",
        ".ssh",
        "www/.git",
        "a//b",
    ] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": "new.radio.example", "type": "php", "root": root }),
        )
        .await
        .problem(422, "invalid_input");
        check(p, "root", &["path_format"], root);
    }
    for target in [
        "javascript:alert(1)",
        "ftp://radio.example/",
        "//radio.example",
        "https://radio.example/$host",
        "https://radio.example/\"; return 200 x",
        "https://radio.example/#x",
        "https://radio.example/%zz",
        "https://radio.example/\nx",
        "",
    ] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": "go.radio.example", "type": "redirect", "redirect_to": target }),
        )
        .await
        .problem(422, "invalid_input");
        check(
            p,
            "redirect_to",
            &["url_format", "control_character", "required"],
            target,
        );
    }
    // Proxy ports stay in the operator's range (10000–20000 by default).
    for port in [0, -1, 22, 80, 3306, 9999, 20001, 65535, 70000] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": "app.radio.example", "type": "proxy", "proxy_port": port }),
        )
        .await
        .problem(422, "invalid_input");
        check(
            p.clone(),
            "proxy_port",
            &["out_of_range"],
            &port.to_string(),
        );
        assert_eq!(p["errors"][0]["min"], 10000, "{p}");
        assert_eq!(p["errors"][0]["max"], 20000, "{p}");
    }
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "app.radio.example", "type": "proxy" }),
    )
    .await
    .problem(422, "invalid_input");
    check(p, "proxy_port", &["required"], "no port");
    // The type, named as the API names it.
    for kind in ["cgi", "", "static;"] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": "new.radio.example", "type": kind }),
        )
        .await
        .problem(422, "invalid_input");
        check(p, "type", &["unknown_choice"], kind);
    }
    // HTTPS options that do not hang together.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "new.radio.example", "type": "static",
                 "https": { "certificate": false, "force_https": true } }),
    )
    .await
    .problem(422, "invalid_input");
    check(p, "force_https", &["https_needs_certificate"], "redirect");
    let p = send(
        &api,
        Method::PATCH,
        &existing_path,
        &json!({ "https": { "hsts": true } }),
    )
    .await
    .problem(422, "invalid_input");
    check(p, "hsts", &["hsts_needs_https"], "hsts");
    // Every bad field at once.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "new.radio.example", "type": "php", "root": "../x",
                 "aliases": ["a;b.radio.example"], "https": { "hsts": true } }),
    )
    .await
    .problem(422, "invalid_input");
    let fields: Vec<String> = field_rules(&p).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["aliases", "root", "hsts"], "{p}");
    // Malformed bodies are 400.
    for body in [
        json!({ "host": "new.radio.example" }),
        json!({ "host": "new.radio.example", "type": "proxy", "proxy_port": "10080" }),
        json!({ "host": "new.radio.example", "type": "static", "owner": 1 }),
        json!({ "host": "new.radio.example", "type": "static", "https": { "tls": true } }),
    ] {
        send(&api, Method::POST, "/api/v1/sites", &body)
            .await
            .problem(400, "malformed_body");
    }

    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count_sites(&t).await, 1);
    let unchanged = get(&api, &existing_path).await.ok(200);
    assert_eq!(unchanged["root"], "www/radio.example", "{unchanged}");
    assert_eq!(unchanged["aliases"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn site_api_names_stay_in_the_account_and_unique() {
    let (t, _logs) = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let (_, _, garden) = owner_api(&t, "garden").await;
    create_site(&api, json!({ "host": "radio.example", "type": "static" })).await;

    // A name in no domain of any account.
    for host in [
        "elsewhere.example",
        "radio.example.evil",
        "otherradio.example",
    ] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": host, "type": "static" }),
        )
        .await
        .problem(422, "invalid_input");
        assert_eq!(
            field_rules(&p),
            [("host".to_owned(), "host_outside_account".to_owned())],
            "{host}"
        );
    }
    // An alias outside the account's domains, another account's included.
    for alias in ["elsewhere.example", "garden.example", "www.garden.example"] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": "new.radio.example", "type": "static", "aliases": [alias] }),
        )
        .await
        .problem(422, "invalid_input");
        assert_eq!(
            field_rules(&p),
            [("aliases".to_owned(), "host_outside_account".to_owned())],
            "{alias}"
        );
    }
    // A name of another account's domain is in none of the caller's: the
    // answer does not tell that the domain is hosted here.
    for host in ["garden.example", "www.garden.example"] {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": host, "type": "static" }),
        )
        .await
        .problem(422, "invalid_input");
        assert_eq!(
            field_rules(&p),
            [("host".to_owned(), "host_outside_account".to_owned())],
            "{host}"
        );
    }
    // A name another site already serves, as host or as alias.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "RADIO.example", "type": "php" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("host".to_owned(), "duplicate_site_name".to_owned())]
    );
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "www.radio.example", "type": "static", "aliases": ["radio.example"] }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("aliases".to_owned(), "duplicate_site_name".to_owned())]
    );
    // The same alias twice, or the host again as an alias.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "www.radio.example", "type": "static",
                 "aliases": ["www.radio.example"] }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("aliases".to_owned(), "duplicate_site_name".to_owned())]
    );
    // The garden's own site is fine, and its name is then taken.
    create_site(
        &garden,
        json!({ "host": "garden.example", "type": "static" }),
    )
    .await;
    assert_eq!(count_sites(&t).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn site_api_quota_of_sites_is_409() {
    let (t, _logs) = spawn().await;
    let (account, _, api) = owner_api(&t, "radio").await;
    allow_sites(&t, account, 1).await;
    let first = create_site(&api, json!({ "host": "radio.example", "type": "static" })).await;
    let p = send(
        &api,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "www.radio.example", "type": "static" }),
    )
    .await
    .problem(409, "quota_exceeded");
    assert!(p["detail"].is_string(), "{p}");
    assert_eq!(count_sites(&t).await, 1);
    // Changing the one site is not a new one.
    send(
        &api,
        Method::PATCH,
        &format!("/api/v1/sites/{}", first["id"]),
        &json!({ "type": "php" }),
    )
    .await
    .ok(200);
    // The disk quota shows with the usage.
    let usage = get(&api, "/api/v1/accounts/radio/disk-usage").await.ok(200);
    assert_eq!(usage["quota_disk_mb"], QuotaLimits::starter().disk_mb);
}

// ---------------------------------------------------------------- logs, disk

#[tokio::test(flavor = "multi_thread")]
async fn site_api_logs_and_disk_usage() {
    let (t, logs) = spawn().await;
    let (account, _, api) = owner_api(&t, "radio").await;
    let s = create_site(&api, json!({ "host": "radio.example", "type": "static" })).await;
    let id = s["id"].as_i64().unwrap();

    // Before nginx writes anything: empty.
    let r = get(&api, &format!("/api/v1/sites/{id}/logs/access")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").starts_with("text/plain"));
    assert!(r.text.is_empty(), "{}", r.text);

    let dir: PathBuf = logs.path().join(id.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let lines: Vec<String> = (1..=150)
        .map(|i| format!("192.0.2.1 - - \"GET /page{i} HTTP/1.1\" 200"))
        .collect();
    std::fs::write(dir.join("access.log"), lines.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("error.log"), "oops\n<script>\n").unwrap();
    let r = get(&api, &format!("/api/v1/sites/{id}/logs/access?lines=2")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, format!("{}\n{}", lines[148], lines[149]));
    // 100 lines by default.
    let r = get(&api, &format!("/api/v1/sites/{id}/logs/access")).await;
    assert_eq!(r.text.lines().count(), 100, "{}", r.text);
    let r = get(&api, &format!("/api/v1/sites/{id}/logs/error")).await;
    assert_eq!(r.text, "oops\n<script>");
    assert!(r.header("content-type").starts_with("text/plain"));
    get(&api, &format!("/api/v1/sites/{id}/logs/access?lines=abc"))
        .await
        .problem(400, "malformed_body");
    get(&api, &format!("/api/v1/sites/{id}/logs/secret"))
        .await
        .problem(404, "not_found");
    get(&api, "/api/v1/sites/999999/logs/access")
        .await
        .problem(404, "not_found");

    // Disk usage: never measured, then measured.
    let usage = get(&api, &format!("/api/v1/accounts/{account}/disk-usage"))
        .await
        .ok(200);
    assert_eq!(usage["account_id"], account, "{usage}");
    assert_eq!(usage["bytes"], 0);
    assert_eq!(usage["measured_at"], Value::Null);
    assert_eq!(usage["quota_disk_mb"], QuotaLimits::starter().disk_mb);
    sql(
        &t,
        "INSERT INTO web_usage (account_id, bytes, measured_at) VALUES (?, ?, ?)",
        &[account, 5 * 1024 * 1024, 1_767_225_600],
    )
    .await;
    let usage = get(&api, "/api/v1/accounts/radio/disk-usage").await.ok(200);
    assert_eq!(usage["bytes"], 5 * 1024 * 1024, "{usage}");
    assert_eq!(usage["measured_at"], 1_767_225_600);
    assert_eq!(usage["measured_at_rfc3339"], "2026-01-01T00:00:00Z");
    get(&api, "/api/v1/accounts/nobody/disk-usage")
        .await
        .problem(404, "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn site_api_logs_need_a_log_directory() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, api) = owner_api(&t, "radio").await;
    let s = create_site(&api, json!({ "host": "radio.example", "type": "static" })).await;
    get(&api, &format!("/api/v1/sites/{}/logs/access", s["id"]))
        .await
        .problem(409, "conflict");
}

// ---------------------------------------------------------------- who may

#[tokio::test(flavor = "multi_thread")]
async fn site_api_another_accounts_sites_are_404() {
    let (t, _logs) = spawn().await;
    let (_, _, api) = owner_api(&t, "radio").await;
    let s = create_site(&api, json!({ "host": "radio.example", "type": "static" })).await;
    let path = format!("/api/v1/sites/{}", s["id"]);
    let (_, _, other) = owner_api(&t, "garden").await;
    let before = t.fingerprint().await.unwrap();

    get(&other, &path).await.problem(404, "not_found");
    send(&other, Method::PATCH, &path, &json!({ "type": "php" }))
        .await
        .problem(404, "not_found");
    delete(&other, &path).await.problem(404, "not_found");
    for action in ["restore", "enable", "disable", "certificate/renew"] {
        post_empty(&other, &format!("{path}/{action}"))
            .await
            .problem(404, "not_found");
    }
    get(&other, &format!("{path}/certificate"))
        .await
        .problem(404, "not_found");
    get(&other, &format!("{path}/logs/access"))
        .await
        .problem(404, "not_found");
    get(&other, "/api/v1/sites?account=radio")
        .await
        .problem(404, "not_found");
    get(&other, "/api/v1/certificates?account=radio")
        .await
        .problem(404, "not_found");
    get(&other, "/api/v1/accounts/radio/disk-usage")
        .await
        .problem(404, "not_found");
    // Nor can it put a site under the account's names, which are to it in
    // none of its domains.
    let p = send(
        &other,
        Method::POST,
        "/api/v1/sites",
        &json!({ "host": "spy.radio.example", "type": "static" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(
        field_rules(&p),
        [("host".to_owned(), "host_outside_account".to_owned())]
    );
    // Its own lists are empty.
    assert!(items(&get(&other, "/api/v1/sites").await.ok(200)).is_empty());
    assert!(items(&get(&other, "/api/v1/certificates").await.ok(200)).is_empty());
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count_sites(&t).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn site_api_needs_the_sites_scope() {
    let (t, _logs) = spawn().await;
    let (_, owner, api) = owner_api(&t, "radio").await;
    let s = create_site(&api, json!({ "host": "radio.example", "type": "static" })).await;
    let path = format!("/api/v1/sites/{}", s["id"]);

    let token = t.token_for(&owner, &["domains:write"]).await.unwrap();
    let domains_only = t.api(Some(&token)).unwrap();
    let token = t.token_for(&owner, &["sites:read"]).await.unwrap();
    let reader = t.api(Some(&token)).unwrap();
    let before = t.fingerprint().await.unwrap();

    // Without the scope: 403, reads included, even for what does not exist.
    for r in [
        get(&domains_only, "/api/v1/sites").await,
        get(&domains_only, &path).await,
        get(&domains_only, "/api/v1/sites/999999").await,
        get(&domains_only, "/api/v1/certificates").await,
        get(&domains_only, &format!("{path}/certificate")).await,
        get(&domains_only, &format!("{path}/logs/access")).await,
        get(&domains_only, "/api/v1/accounts/radio/disk-usage").await,
        send(
            &domains_only,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": "www.radio.example", "type": "static" }),
        )
        .await,
        delete(&domains_only, &path).await,
    ] {
        r.problem(403, "insufficient_scope");
    }

    // Reading is not writing.
    assert_eq!(
        hosts(&get(&reader, "/api/v1/sites").await.ok(200)),
        ["radio.example"]
    );
    get(&reader, &path).await.ok(200);
    get(&reader, &format!("{path}/certificate")).await.ok(200);
    get(&reader, &format!("{path}/logs/error")).await.ok(200);
    get(&reader, "/api/v1/certificates").await.ok(200);
    get(&reader, "/api/v1/accounts/radio/disk-usage")
        .await
        .ok(200);
    for r in [
        send(
            &reader,
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": "www.radio.example", "type": "static" }),
        )
        .await,
        send(&reader, Method::PATCH, &path, &json!({ "type": "php" })).await,
        delete(&reader, &path).await,
        post_empty(&reader, &format!("{path}/disable")).await,
        post_empty(&reader, &format!("{path}/enable")).await,
        post_empty(&reader, &format!("{path}/restore")).await,
        post_empty(&reader, &format!("{path}/certificate/renew")).await,
    ] {
        r.problem(403, "insufficient_scope");
    }
    assert_eq!(t.fingerprint().await.unwrap(), before);
    assert_eq!(count_sites(&t).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn site_api_is_in_the_openapi_document() {
    let t = TestApp::spawn().await.unwrap();
    let api = t.api(None).unwrap();
    let doc = get(&api, "/api/v1/openapi.json").await.ok(200);
    for (path, methods) in [
        ("/api/v1/sites", &["get", "post"][..]),
        ("/api/v1/sites/{id}", &["get", "patch", "delete"]),
        ("/api/v1/sites/{id}/restore", &["post"]),
        ("/api/v1/sites/{id}/enable", &["post"]),
        ("/api/v1/sites/{id}/disable", &["post"]),
        ("/api/v1/sites/{id}/certificate", &["get"]),
        ("/api/v1/sites/{id}/certificate/renew", &["post"]),
        ("/api/v1/sites/{id}/logs/{kind}", &["get"]),
        ("/api/v1/certificates", &["get"]),
        ("/api/v1/accounts/{id}/disk-usage", &["get"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} documented");
            assert_eq!(doc["paths"][path][m]["tags"], json!(["sites"]), "{path}");
        }
    }
    let schemas = &doc["components"]["schemas"];
    let body = &schemas["CreateSiteBody"]["properties"];
    for field in [
        "host",
        "aliases",
        "type",
        "root",
        "redirect_to",
        "proxy_port",
        "https",
    ] {
        assert!(body.get(field).is_some(), "CreateSiteBody.{field}: {body}");
    }
    assert!(
        schemas["UpdateSiteBody"]["properties"]
            .get("host")
            .is_none(),
        "the host is fixed"
    );
    let site = &schemas["SiteDto"]["properties"];
    for field in ["display_host", "status", "certificate", "type"] {
        assert!(site.get(field).is_some(), "SiteDto.{field}");
    }
    let cert = &schemas["CertificateDto"]["properties"];
    for field in [
        "not_after",
        "not_after_rfc3339",
        "last_error",
        "next_attempt_at",
    ] {
        assert!(cert.get(field).is_some(), "CertificateDto.{field}");
    }
    assert!(!doc.to_string().contains("private_key"));
    assert!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "sites"),
        "the sites tag"
    );
}
