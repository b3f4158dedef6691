//! `/api/v1/domains` through HTTP only, without PowerDNS: the contract of
//! every route, what the store holds afterwards, and that each change
//! leaves the zone `pending` with a row queued for the DNS provisioner.

use crate::api::Reply;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Api, Person, http_client};
use reqwest::Method;
use serde_json::{Value, json};

async fn send(api: &Api, method: Method, path: &str, body: &Value) -> Reply {
    Reply::of(api.send_json(method, path, body).await.unwrap()).await
}

async fn get(api: &Api, path: &str) -> Reply {
    Reply::of(api.get(path).await.unwrap()).await
}

async fn delete(api: &Api, path: &str) -> Reply {
    Reply::of(api.request(Method::DELETE, path).send().await.unwrap()).await
}

/// The rules named in a 422 problem.
fn rules(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors[] in {problem}"))
        .iter()
        .map(|e| e["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Account `name` with its owner, and an API client for that owner with
/// the `domains:write` scope.
async fn owner_api(t: &TestApp, name: &str) -> (i64, Person, Api) {
    let (account, owner, _) = t.seed_account(name).await.unwrap();
    let token = t.token_for(&owner, &["domains:write"]).await.unwrap();
    (account.0, owner, t.api(Some(&token)).unwrap())
}

async fn create_domain(api: &Api, account: &str, name: &str) -> Value {
    send(
        api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": account, "name": name }),
    )
    .await
    .ok(201)
}

/// The records of a domain, as listed.
async fn records(api: &Api, domain: &str) -> Vec<Value> {
    get(api, &format!("/api/v1/domains/{domain}/records"))
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The zone's reconcile state in the store, and the generation queued for
/// it (`None`: no row).
async fn zone_state(t: &TestApp, name: &str) -> (String, i64, i64, Option<i64>) {
    let pool = t.db().await.unwrap();
    let (id, status, generation, applied): (i64, String, i64, i64) = sqlx::query_as(
        "SELECT id, status, generation, applied_generation FROM domains WHERE name = ?",
    )
    .bind(name)
    .fetch_one(&pool)
    .await
    .unwrap();
    let queued: Option<i64> = sqlx::query_scalar(
        "SELECT generation FROM reconcile_queue WHERE kind = 'dns_zone' AND object_id = ?",
    )
    .bind(id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    (status, generation, applied, queued)
}

/// Asserts the zone waits for the provisioner at a generation newer than
/// `before`, with a queue row for exactly that generation; returns it.
async fn assert_queued_after(t: &TestApp, name: &str, before: i64) -> i64 {
    let (status, generation, applied, queued) = zone_state(t, name).await;
    assert_eq!(status, "pending", "{name}");
    assert!(
        generation > before,
        "{name}: generation {generation} after {before}"
    );
    assert!(applied < generation, "{name}");
    assert_eq!(queued, Some(generation), "{name}: the queue row");
    generation
}

async fn domain_count(t: &TestApp) -> i64 {
    let pool = t.db().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM domains")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

// ---------------------------------------------------------------- domains

#[tokio::test(flavor = "multi_thread")]
async fn domain_create_list_get_patch_delete_restore() {
    let t = TestApp::spawn().await.unwrap();
    let (account, _, api) = owner_api(&t, "radio").await;

    let r = send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "Radio.Example." }),
    )
    .await;
    assert_eq!(r.header("location"), "/api/v1/domains/radio.example");
    let d = r.ok(201);
    assert_eq!(d["name"], "radio.example", "{d}");
    assert_eq!(d["display_name"], "radio.example");
    assert_eq!(d["account_id"], account);
    assert_eq!(d["dnssec"], true);
    assert_eq!(d["mail"], false);
    assert_eq!(d["alias_of"], Value::Null);
    assert_eq!(d["deleted_at"], Value::Null);
    assert_eq!(d["status"]["state"], "pending");
    let g1 = assert_queued_after(&t, "radio.example", 0).await;

    // The account by id works as well as by name.
    let other = send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": account.to_string(), "name": "radio.example.net", "dnssec": false, "mail": true }),
    )
    .await
    .ok(201);
    assert_eq!(other["dnssec"], false);
    assert_eq!(other["mail"], true);

    let page = get(&api, "/api/v1/domains").await.ok(200);
    assert_eq!(names(&page), ["radio.example", "radio.example.net"]);
    assert_eq!(page["total"], 2);
    let page = get(&api, "/api/v1/domains?account=radio&q=net")
        .await
        .ok(200);
    assert_eq!(names(&page), ["radio.example.net"]);
    let page = get(&api, &format!("/api/v1/domains?account={account}"))
        .await
        .ok(200);
    assert_eq!(page["total"], 2);
    get(&api, "/api/v1/domains?account=nobody")
        .await
        .problem(404, "not_found");

    let detail = get(&api, "/api/v1/domains/radio.example").await.ok(200);
    assert_eq!(detail["name"], "radio.example");
    assert_eq!(detail["status"]["generation"], g1);
    assert_eq!(detail["nameservers"], json!(["ns1.konbit.invalid"]));
    let recs = detail["records"].as_array().unwrap();
    assert_eq!(recs.len(), 1, "a new zone has the co-op's NS: {detail}");
    assert_eq!(recs[0]["type"], "NS");
    assert_eq!(recs[0]["name"], "");
    assert_eq!(recs[0]["fqdn"], "radio.example");
    assert_eq!(recs[0]["value"], "ns1.konbit.invalid");
    assert_eq!(recs[0]["status"], "pending");
    let ds = detail["ds"].as_array().unwrap();
    assert!(!ds.is_empty(), "DNSSEC is on: {detail}");
    assert_eq!(ds[0]["algorithm"], 13);
    assert!(ds.iter().any(|d| d["digest_type"] == 2));
    let record = ds[0]["record"].as_str().unwrap();
    assert!(
        record.starts_with(&format!("{} 13 ", ds[0]["key_tag"])),
        "{record}"
    );
    assert!(record.ends_with(ds[0]["digest"].as_str().unwrap()));
    // With mail, the template's SPF and DMARC are there.
    let net = get(&api, "/api/v1/domains/radio.example.net").await.ok(200);
    assert_eq!(net["ds"], json!([]), "DNSSEC is off");
    assert!(
        net["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["fqdn"] == "_dmarc.radio.example.net" && r["type"] == "TXT"),
        "{net}"
    );

    let patched = send(
        &api,
        Method::PATCH,
        "/api/v1/domains/radio.example",
        &json!({ "dnssec": false }),
    )
    .await
    .ok(200);
    assert_eq!(patched["dnssec"], false);
    let g2 = assert_queued_after(&t, "radio.example", g1).await;
    assert_eq!(patched["status"]["generation"], g2);
    let detail = get(&api, "/api/v1/domains/radio.example").await.ok(200);
    assert_eq!(detail["ds"], json!([]));
    send(
        &api,
        Method::PATCH,
        "/api/v1/domains/radio.example",
        &json!({ "dnssec": "yes" }),
    )
    .await
    .problem(400, "malformed_body");

    let deleted = delete(&api, "/api/v1/domains/radio.example").await.ok(200);
    assert!(deleted["deleted_at"].is_i64(), "{deleted}");
    assert!(deleted["purge_after"].as_i64().unwrap() > deleted["deleted_at"].as_i64().unwrap());
    let g3 = assert_queued_after(&t, "radio.example", g2).await;
    assert_eq!(
        names(&get(&api, "/api/v1/domains").await.ok(200)),
        ["radio.example.net"]
    );
    assert_eq!(
        names(&get(&api, "/api/v1/domains?deleted=true").await.ok(200)),
        ["radio.example"]
    );
    // A deleted zone takes no record and cannot be deleted twice.
    send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/records",
        &json!({ "name": "www", "type": "A", "value": "192.0.2.1" }),
    )
    .await
    .problem(404, "not_found");
    delete(&api, "/api/v1/domains/radio.example")
        .await
        .problem(404, "not_found");

    let restored = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/restore",
        &json!({}),
    )
    .await
    .ok(200);
    assert_eq!(restored["deleted_at"], Value::Null);
    assert_queued_after(&t, "radio.example", g3).await;
    send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/restore",
        &json!({}),
    )
    .await
    .problem(409, "conflict");

    get(&api, "/api/v1/domains/nowhere.example")
        .await
        .problem(404, "not_found");
    // The same name twice.
    send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "radio.example" }),
    )
    .await
    .problem(409, "duplicate");
    let bad = send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "not a domain" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(bad["errors"][0]["field"], "name", "{bad}");
    assert_eq!(domain_count(&t).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn domain_idn_is_stored_as_punycode_and_shown_in_unicode() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, api) = owner_api(&t, "radio").await;
    let r = send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "Café.Example" }),
    )
    .await;
    assert_eq!(r.header("location"), "/api/v1/domains/xn--caf-dma.example");
    let d = r.ok(201);
    assert_eq!(d["name"], "xn--caf-dma.example");
    assert_eq!(d["display_name"], "café.example");

    let pool = t.db().await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT name FROM domains")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(stored, "xn--caf-dma.example");

    // Either form names it in a path.
    for path in ["café.example", "xn--caf-dma.example"] {
        let detail = get(&api, &format!("/api/v1/domains/{path}")).await.ok(200);
        assert_eq!(detail["display_name"], "café.example", "{path}");
        assert_eq!(detail["records"][0]["fqdn"], "xn--caf-dma.example");
    }
    let rec = send(
        &api,
        Method::POST,
        "/api/v1/domains/café.example/records",
        &json!({ "name": "www", "type": "A", "value": "192.0.2.7" }),
    )
    .await;
    assert!(
        rec.header("location")
            .starts_with("/api/v1/domains/xn--caf-dma.example/records/"),
        "{}",
        rec.header("location")
    );
    assert_eq!(rec.ok(201)["fqdn"], "www.xn--caf-dma.example");
    // The same name in Unicode is a duplicate of the punycode one.
    send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "xn--caf-dma.example" }),
    )
    .await
    .problem(409, "duplicate");
}

#[tokio::test(flavor = "multi_thread")]
async fn domain_quota_is_enforced() {
    let t = TestApp::spawn().await.unwrap();
    let (account, _, api) = owner_api(&t, "radio").await;
    let admin = t
        .app
        .users()
        .get_by_email(
            &konbit_core::authz::Actor::operator_cli(),
            "admin@coop.test",
        )
        .await
        .unwrap();
    let admin = Person {
        id: admin.id,
        email: admin.email.as_str().to_owned(),
    };
    let admin_token = t
        .token_for(&admin, &["quota-profiles:write", "accounts:write"])
        .await
        .unwrap();
    let admin_api = t.api(Some(&admin_token)).unwrap();
    let limits = json!({
        "domains": 1, "mailboxes": 1, "mail_storage_mb": 1, "aliases": 1, "mailing_lists": 1,
        "sites": 1, "sftp_accounts": 1, "databases": 1, "disk_mb": 1
    });
    let profile = send(
        &admin_api,
        Method::POST,
        "/api/v1/quota-profiles",
        &json!({ "name": "tiny", "limits": limits }),
    )
    .await
    .ok(201);
    send(
        &admin_api,
        Method::PATCH,
        &format!("/api/v1/accounts/{account}"),
        &json!({ "quota_profile_id": profile["id"] }),
    )
    .await
    .ok(200);

    create_domain(&api, "radio", "radio.example").await;
    let p = send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "radio.example.net" }),
    )
    .await
    .problem(409, "quota_exceeded");
    assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p}");
    assert_eq!(domain_count(&t).await, 1);
    assert_eq!(
        names(&get(&api, "/api/v1/domains").await.ok(200)),
        ["radio.example"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn domain_of_another_account_and_its_subdomains_are_refused() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, radio) = owner_api(&t, "radio").await;
    let (_, _, garden) = owner_api(&t, "garden").await;
    create_domain(&garden, "garden", "garden.example").await;

    for name in [
        "garden.example",
        "blog.garden.example",
        "a.b.garden.example",
    ] {
        let p = send(
            &radio,
            Method::POST,
            "/api/v1/domains",
            &json!({ "account": "radio", "name": name }),
        )
        .await
        .problem(409, "domain_taken");
        assert!(p["title"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
    }
    // Nor above one of garden's domains.
    create_domain(&garden, "garden", "shop.garden.org").await;
    send(
        &radio,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "garden.org" }),
    )
    .await
    .problem(409, "domain_taken");

    // Garden may put a sub-zone under its own domain.
    let sub = create_domain(&garden, "garden", "blog.garden.example").await;
    assert_eq!(sub["name"], "blog.garden.example");
    // Radio cannot reach garden's account or domains at all.
    send(
        &radio,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "garden", "name": "radio.example" }),
    )
    .await
    .problem(404, "not_found");
    get(&radio, "/api/v1/domains/garden.example")
        .await
        .problem(404, "not_found");
    get(&radio, "/api/v1/domains?account=garden")
        .await
        .problem(404, "not_found");
    assert_eq!(
        names(&get(&radio, "/api/v1/domains").await.ok(200)),
        Vec::<String>::new()
    );
    assert_eq!(domain_count(&t).await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn domain_alias_serves_its_targets_records_and_has_none_of_its_own() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, api) = owner_api(&t, "radio").await;
    create_domain(&api, "radio", "radio.example").await;
    send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/records",
        &json!({ "name": "www", "type": "A", "value": "192.0.2.10" }),
    )
    .await
    .ok(201);

    let alias = send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "radio.example.org", "alias_of": "radio.example" }),
    )
    .await
    .ok(201);
    assert_eq!(alias["alias_of"], "radio.example");
    let detail = get(&api, "/api/v1/domains/radio.example.org").await.ok(200);
    let fqdns: Vec<&str> = detail["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fqdn"].as_str().unwrap())
        .collect();
    assert!(fqdns.contains(&"www.radio.example.org"), "{detail}");

    let before = records(&api, "radio.example").await;
    let p = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example.org/records",
        &json!({ "name": "mail", "type": "A", "value": "192.0.2.11" }),
    )
    .await
    .problem(409, "domain_is_alias");
    assert_eq!(p["detail"], "radio.example", "{p}");
    let www = before.iter().find(|r| r["name"] == "www").unwrap();
    send(
        &api,
        Method::PUT,
        &format!("/api/v1/domains/radio.example.org/records/{}", www["id"]),
        &json!({ "name": "www", "type": "A", "value": "192.0.2.99" }),
    )
    .await
    .problem(409, "domain_is_alias");
    let p = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example.org/zone",
        &json!({ "zone": "www 3600 IN A 192.0.2.12\n", "dry_run": true }),
    )
    .await
    .problem(409, "domain_is_alias");
    assert_eq!(p["status"], 409);
    assert_eq!(records(&api, "radio.example").await, before);

    // A record change of the target queues the alias too.
    let (_, alias_gen, _, _) = zone_state(&t, "radio.example.org").await;
    send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/records",
        &json!({ "name": "mail", "type": "A", "value": "192.0.2.11" }),
    )
    .await
    .ok(201);
    assert_queued_after(&t, "radio.example.org", alias_gen).await;

    // The target cannot go while its alias lives.
    delete(&api, "/api/v1/domains/radio.example")
        .await
        .problem(409, "domain_in_use");
    // An alias of an unknown domain is refused.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "radio.example.com", "alias_of": "nowhere.example" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(p["errors"][0]["field"], "alias_of");
}

// ---------------------------------------------------------------- records

#[tokio::test(flavor = "multi_thread")]
async fn domain_records_of_every_type_with_good_values() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, api) = owner_api(&t, "radio").await;
    create_domain(&api, "radio", "radio.example").await;
    let good = [
        ("www", "A", "192.0.2.10", "192.0.2.10"),
        ("www", "AAAA", "2001:DB8::10", "2001:db8::10"),
        ("blog", "CNAME", "www.radio.example.", "www.radio.example"),
        ("@", "MX", "10 mx.radio.example", "10 mx.radio.example"),
        ("@", "TXT", "v=spf1 mx -all", "v=spf1 mx -all"),
        (
            "_sip._tcp",
            "SRV",
            "10 5 5060 sip.radio.example",
            "10 5 5060 sip.radio.example",
        ),
        (
            "",
            "CAA",
            "0 issue \"letsencrypt.org\"",
            "0 issue \"letsencrypt.org\"",
        ),
        (
            "lab",
            "NS",
            "ns1.elsewhere.example",
            "ns1.elsewhere.example",
        ),
    ];
    let mut ids = Vec::new();
    let mut generation = zone_state(&t, "radio.example").await.1;
    for (name, rtype, value, canonical) in good {
        let r = send(
            &api,
            Method::POST,
            "/api/v1/domains/radio.example/records",
            &json!({ "name": name, "type": rtype, "value": value, "ttl": 600 }),
        )
        .await;
        let location = r.header("location").to_owned();
        let rec = r.ok(201);
        let stored_name = if name == "@" { "" } else { name };
        assert_eq!(rec["type"], rtype, "{rec}");
        assert_eq!(rec["name"], stored_name, "{rec}");
        assert_eq!(rec["value"], canonical, "{rec}");
        assert_eq!(rec["ttl"], 600);
        assert_eq!(rec["status"], "pending");
        let fqdn = if stored_name.is_empty() {
            "radio.example".to_owned()
        } else {
            format!("{stored_name}.radio.example")
        };
        assert_eq!(rec["fqdn"], fqdn.as_str());
        assert_eq!(
            location,
            format!("/api/v1/domains/radio.example/records/{}", rec["id"])
        );
        generation = assert_queued_after(&t, "radio.example", generation).await;
        ids.push(rec["id"].as_i64().unwrap());
    }
    let listed = records(&api, "radio.example").await;
    assert_eq!(listed.len(), 9, "the NS of the template and 8 more");
    for id in &ids {
        assert!(listed.iter().any(|r| r["id"] == *id));
    }

    // The TTL defaults to an hour.
    let txt = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/records",
        &json!({ "name": "_dmarc", "type": "TXT", "value": "v=DMARC1; p=none" }),
    )
    .await
    .ok(201);
    assert_eq!(txt["ttl"], 3600);

    // One record: read, replace, delete.
    let a = ids[0];
    let path = format!("/api/v1/domains/radio.example/records/{a}");
    let one = get(&api, &path).await.ok(200);
    assert_eq!(one["value"], "192.0.2.10");
    let replaced = send(
        &api,
        Method::PUT,
        &path,
        &json!({ "name": "www", "type": "A", "value": "192.0.2.20", "ttl": 300 }),
    )
    .await
    .ok(200);
    assert_eq!(replaced["value"], "192.0.2.20");
    assert_eq!(replaced["ttl"], 300);
    assert_eq!(replaced["id"], a);
    generation = assert_queued_after(&t, "radio.example", generation).await;
    assert_eq!(get(&api, &path).await.ok(200)["value"], "192.0.2.20");
    let r = delete(&api, &path).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_queued_after(&t, "radio.example", generation).await;
    get(&api, &path).await.problem(404, "not_found");
    delete(&api, &path).await.problem(404, "not_found");
    get(&api, "/api/v1/domains/radio.example/records/abc")
        .await
        .problem(404, "not_found");
    assert_eq!(records(&api, "radio.example").await.len(), 9);
}

#[tokio::test(flavor = "multi_thread")]
async fn domain_records_with_bad_values_are_refused_with_their_rule() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, api) = owner_api(&t, "radio").await;
    create_domain(&api, "radio", "radio.example").await;
    send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/records",
        &json!({ "name": "www", "type": "A", "value": "192.0.2.10" }),
    )
    .await
    .ok(201);
    let before = records(&api, "radio.example").await;
    let (_, generation, _, _) = zone_state(&t, "radio.example").await;

    let bad = [
        (
            json!({ "name": "@", "type": "CNAME", "value": "www.radio.example" }),
            "cname_at_apex",
        ),
        (
            json!({ "name": "www", "type": "CNAME", "value": "other.example" }),
            "cname_not_alone",
        ),
        (
            json!({ "name": "@", "type": "MX", "value": "10 192.0.2.1" }),
            "target_is_ip",
        ),
        (
            json!({ "name": "www", "type": "A", "value": "192.0.2.11", "ttl": 5 }),
            "out_of_range",
        ),
        (
            json!({ "name": "www", "type": "A", "value": "192.0.2.11", "ttl": 99_999_999 }),
            "out_of_range",
        ),
        (
            json!({ "name": "note", "type": "TXT", "value": "first\nsecond" }),
            "control_character",
        ),
        (
            json!({ "name": "www", "type": "A", "value": "2001:db8::1" }),
            "ipv6_needs_aaaa",
        ),
        (
            json!({ "name": "x", "type": "PTR", "value": "host.example" }),
            "unsupported_type",
        ),
    ];
    for (body, rule) in bad {
        let p = send(
            &api,
            Method::POST,
            "/api/v1/domains/radio.example/records",
            &body,
        )
        .await
        .problem(422, "invalid_input");
        assert!(rules(&p).contains(&rule.to_owned()), "{body} → {p}");
        let e = &p["errors"][0];
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{p}");
        if rule == "out_of_range" {
            assert_eq!(e["field"], "ttl");
            assert_eq!(e["min"], 60);
            assert_eq!(e["max"], 604_800);
        }
    }
    // A replacement goes through the same rules.
    let www = before.iter().find(|r| r["name"] == "www").unwrap();
    let p = send(
        &api,
        Method::PUT,
        &format!("/api/v1/domains/radio.example/records/{}", www["id"]),
        &json!({ "name": "@", "type": "CNAME", "value": "other.example" }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(rules(&p), ["cname_at_apex"]);
    // The apex keeps its last NS.
    let ns = before.iter().find(|r| r["type"] == "NS").unwrap();
    let p = delete(
        &api,
        &format!("/api/v1/domains/radio.example/records/{}", ns["id"]),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(rules(&p), ["apex_needs_ns"]);

    assert_eq!(records(&api, "radio.example").await, before);
    let (status, after, _, queued) = zone_state(&t, "radio.example").await;
    assert_eq!(
        after, generation,
        "a refused change leaves the zone as it was"
    );
    assert_eq!(queued, Some(generation));
    assert_eq!(status, "pending");
}

// ---------------------------------------------------------------- zone files

#[tokio::test(flavor = "multi_thread")]
async fn domain_zone_import_preview_apply_and_bad_lines() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, api) = owner_api(&t, "radio").await;
    create_domain(&api, "radio", "radio.example").await;
    let zone = "$ORIGIN radio.example.\n\
                $TTL 3600\n\
                @    IN SOA ns1.elsewhere.example. hostmaster.radio.example. 1 7200 3600 1209600 300\n\
                @    IN NS  ns1.elsewhere.example.\n\
                www  IN A   192.0.2.10\n\
                @    IN MX  10 mx.radio.example.\n\
                @    IN TXT \"v=spf1 mx -all\"\n";
    let before = records(&api, "radio.example").await;
    let (_, generation, _, _) = zone_state(&t, "radio.example").await;

    let preview = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": zone, "dry_run": true }),
    )
    .await
    .ok(200);
    assert_eq!(preview["dry_run"], true, "{preview}");
    assert_eq!(preview["added"], 3, "{preview}");
    assert_eq!(preview["removed"], 0, "{preview}");
    assert_eq!(preview["unchanged"], 1, "the co-op's NS stays: {preview}");
    let added = preview["added_records"].as_array().unwrap();
    assert!(
        added
            .iter()
            .any(|l| l.as_str().unwrap().contains("192.0.2.10")),
        "{preview}"
    );
    let ignored: Vec<&str> = preview["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert!(
        ignored.contains(&"SOA") && ignored.contains(&"NS"),
        "{preview}"
    );
    assert_eq!(
        records(&api, "radio.example").await,
        before,
        "a dry run changes nothing"
    );
    assert_eq!(zone_state(&t, "radio.example").await.1, generation);

    let applied = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": zone }),
    )
    .await
    .ok(200);
    assert_eq!(applied["dry_run"], false);
    assert_eq!(applied["added"], 3);
    assert_eq!(applied["removed"], 0);
    let generation = assert_queued_after(&t, "radio.example", generation).await;
    let after = records(&api, "radio.example").await;
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().all(|r| r["status"] == "pending"));
    assert!(
        after
            .iter()
            .any(|r| r["type"] == "MX" && r["value"] == "10 mx.radio.example")
    );

    // Three bad lines: all are reported, nothing changes.
    let bad = "$TTL 3600\n\
               www   IN A     192.0.2.99\n\
               bad   IN A     300.1.2.3\n\
               ok    IN AAAA  2001:db8::1\n\
               mx    IN MX    ten mx.radio.example.\n\
               @     IN CNAME www.radio.example.\n";
    let p = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": bad }),
    )
    .await
    .problem(422, "invalid_input");
    let errors = p["errors"].as_array().unwrap();
    let lines: Vec<i64> = errors.iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 5, 6], "{p}");
    for e in errors {
        let line = e["line"].as_i64().unwrap();
        let message = e["message"].as_str().unwrap();
        assert!(message.contains(&line.to_string()), "{message}");
    }
    // The same with a dry run.
    let p = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": bad, "dry_run": true }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(p["errors"].as_array().unwrap().len(), 3, "{p}");
    assert_eq!(records(&api, "radio.example").await, after);
    assert_eq!(zone_state(&t, "radio.example").await.1, generation);

    // A zone file over 1 MiB is refused as such, at line 1; a body over
    // the zone route's own limit by its size, naming it.
    let large = format!("; {}\n", "x".repeat(1024 * 1024));
    let p = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": large, "dry_run": true }),
    )
    .await
    .problem(422, "invalid_input");
    assert_eq!(p["errors"][0]["rule"], "zone_file_too_large", "{p}");
    assert_eq!(p["errors"][0]["line"], 1, "{p}");
    let huge = format!("; {}\n", "x".repeat(2 * 1024 * 1024));
    let p = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": huge }),
    )
    .await
    .problem(413, "payload_too_large");
    assert!(p["detail"].as_str().unwrap().contains("2097152"), "{p}");
    // A zone file larger than the other routes take is fine here.
    let padded = format!("{}\nwww IN A 192.0.2.10\n", "; padding\n".repeat(10_000));
    assert!(padded.len() > 64 * 1024);
    send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": padded, "dry_run": true }),
    )
    .await
    .ok(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn domain_export_then_import_changes_nothing() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, api) = owner_api(&t, "radio").await;
    create_domain(&api, "radio", "radio.example").await;
    for (name, rtype, value) in [
        ("www", "A", "192.0.2.10"),
        ("www", "AAAA", "2001:db8::10"),
        ("@", "MX", "10 mx.radio.example"),
        ("@", "TXT", "v=spf1 mx -all; \"quoted\""),
        ("_sip._tcp", "SRV", "10 5 5060 sip.radio.example"),
        ("@", "CAA", "0 issue \"letsencrypt.org\""),
        ("blog", "CNAME", "www.radio.example"),
        ("lab", "NS", "ns1.elsewhere.example"),
    ] {
        send(
            &api,
            Method::POST,
            "/api/v1/domains/radio.example/records",
            &json!({ "name": name, "type": rtype, "value": value }),
        )
        .await
        .ok(201);
    }
    let res = api.get("/api/v1/domains/radio.example/zone").await.unwrap();
    assert_eq!(res.status(), 200);
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("text/dns"), "{ct}");
    let zone = res.text().await.unwrap();
    assert!(zone.contains("SOA"), "{zone}");
    assert!(zone.contains("192.0.2.10"), "{zone}");
    assert!(zone.contains("sip.radio.example."), "{zone}");

    let (_, generation, _, _) = zone_state(&t, "radio.example").await;
    let preview = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": zone, "dry_run": true }),
    )
    .await
    .ok(200);
    assert_eq!(preview["added"], 0, "{preview}\n{zone}");
    assert_eq!(preview["removed"], 0, "{preview}\n{zone}");
    assert_eq!(preview["unchanged"], 9, "{preview}");
    // Applied, it changes nothing either: no new generation.
    let applied = send(
        &api,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": zone, "dry_run": false }),
    )
    .await
    .ok(200);
    assert_eq!(
        (applied["added"].as_i64(), applied["removed"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(zone_state(&t, "radio.example").await.1, generation);
}

// ---------------------------------------------------------------- scopes and docs

#[tokio::test(flavor = "multi_thread")]
async fn domain_routes_need_the_domains_scope() {
    let t = TestApp::spawn().await.unwrap();
    let (_, owner, api) = owner_api(&t, "radio").await;
    create_domain(&api, "radio", "radio.example").await;
    let before = domain_count(&t).await;

    let other = t
        .token_for(&owner, &["accounts:write", "users:write", "tokens:write"])
        .await
        .unwrap();
    let other = t.api(Some(&other)).unwrap();
    get(&other, "/api/v1/domains")
        .await
        .problem(403, "insufficient_scope");
    get(&other, "/api/v1/domains/radio.example")
        .await
        .problem(403, "insufficient_scope");
    // Unknown names answer the same, so the scope-less learn nothing.
    get(&other, "/api/v1/domains/nowhere.example")
        .await
        .problem(403, "insufficient_scope");
    get(&other, "/api/v1/domains/radio.example/zone")
        .await
        .problem(403, "insufficient_scope");
    send(
        &other,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "radio", "name": "radio.example.net" }),
    )
    .await
    .problem(403, "insufficient_scope");
    send(
        &other,
        Method::POST,
        "/api/v1/domains",
        &json!({ "account": "nobody", "name": "radio.example.net" }),
    )
    .await
    .problem(403, "insufficient_scope");
    delete(&other, "/api/v1/domains/radio.example")
        .await
        .problem(403, "insufficient_scope");

    // Read access reads, and changes nothing.
    let read = t.token_for(&owner, &["domains:read"]).await.unwrap();
    let read = t.api(Some(&read)).unwrap();
    get(&read, "/api/v1/domains/radio.example").await.ok(200);
    get(&read, "/api/v1/domains/radio.example/records")
        .await
        .ok(200);
    send(
        &read,
        Method::POST,
        "/api/v1/domains/radio.example/records",
        &json!({ "name": "www", "type": "A", "value": "192.0.2.1" }),
    )
    .await
    .problem(403, "insufficient_scope");
    send(
        &read,
        Method::PATCH,
        "/api/v1/domains/radio.example",
        &json!({ "dnssec": false }),
    )
    .await
    .problem(403, "insufficient_scope");
    send(
        &read,
        Method::POST,
        "/api/v1/domains/radio.example/zone",
        &json!({ "zone": "www IN A 192.0.2.1\n" }),
    )
    .await
    .problem(403, "insufficient_scope");

    // No token at all.
    let anonymous = t.api(None).unwrap();
    get(&anonymous, "/api/v1/domains")
        .await
        .problem(401, "unauthenticated");
    assert_eq!(domain_count(&t).await, before);
    assert_eq!(records(&api, "radio.example").await.len(), 1);
    assert_eq!(
        get(&api, "/api/v1/domains/radio.example").await.ok(200)["dnssec"],
        true
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn domain_paths_are_in_the_openapi_document() {
    let t = TestApp::spawn().await.unwrap();
    let doc: Value = http_client()
        .unwrap()
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected = [
        ("/api/v1/domains", &["get", "post"][..]),
        ("/api/v1/domains/{name}", &["get", "patch", "delete"][..]),
        ("/api/v1/domains/{name}/restore", &["post"][..]),
        ("/api/v1/domains/{name}/records", &["get", "post"][..]),
        (
            "/api/v1/domains/{name}/records/{id}",
            &["get", "put", "delete"][..],
        ),
        ("/api/v1/domains/{name}/zone", &["get", "post"][..]),
    ];
    for (path, methods) in expected {
        let item = &doc["paths"][path];
        assert!(item.is_object(), "{path} is not documented");
        for m in methods {
            let op = &item[*m];
            assert!(op.is_object(), "{m} {path} is not documented");
            assert_eq!(op["tags"], json!(["domains"]), "{m} {path}");
        }
    }
    assert!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "domains"),
        "{}",
        doc["tags"]
    );
    let export = &doc["paths"]["/api/v1/domains/{name}/zone"]["get"]["responses"]["200"]["content"];
    assert!(export["text/dns"].is_object(), "{export}");
    let detail = &doc["components"]["schemas"]["DomainDetailDto"];
    assert!(detail.is_object(), "the detail schema is there");
    let record = &doc["components"]["schemas"]["RecordDto"]["properties"];
    for field in ["id", "name", "fqdn", "type", "ttl", "value", "status"] {
        assert!(record[field].is_object(), "RecordDto.{field}: {record}");
    }
    let body = &doc["components"]["schemas"]["ZoneImportBody"]["properties"];
    assert!(
        body["zone"].is_object() && body["dry_run"].is_object(),
        "{body}"
    );
}
