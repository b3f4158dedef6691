//! HTTPS by ACME: pebble validates http-01 through our PowerDNS and nginx,
//! the certificate is installed and served, the chain verifies against
//! pebble's root; a failed order shows the CA's reason.

use super::{Options, WebEnv};
use reqwest::Method;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

async fn env() -> Option<WebEnv> {
    WebEnv::start(Options { https: true }).await
}

/// A served zone with `names` pointing at 127.0.0.1 (where nginx is).
async fn zone(env: &WebEnv, domain: &str, names: &[&str]) {
    env.domain(domain).await;
    for name in names {
        env.call(
            Method::POST,
            &format!("/api/v1/domains/{domain}/records"),
            json!({ "name": name, "type": "A", "value": "127.0.0.1", "ttl": 60 }),
            201,
        )
        .await;
    }
    // PowerDNS serves the names before any order is placed.
    for _ in 0..200 {
        let d: Value = env
            .api
            .get(&format!("/api/v1/domains/{domain}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if d["status"]["state"] == "applied" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the zone {domain} was never applied");
}

/// Waits (at most 60 s) until the site's certificate is `want`.
async fn until_certificate(env: &WebEnv, id: i64, want: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        last = env
            .api
            .get(&format!("/api/v1/sites/{id}/certificate"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if last["status"] == want {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the certificate of site {id} never became {want}: {last:#}");
}

fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn pebble_issues_a_certificate_that_the_site_serves() {
    let Some(env) = env().await else { return };
    let pebble = env.pebble.as_ref().unwrap();
    zone(&env, "radio.test", &["@", "www"]).await;
    let id = env
        .site(
            json!({ "host": "radio.test", "type": "static", "aliases": ["www.radio.test"],
                      "https": { "certificate": true, "force_https": true, "hsts": true } }),
        )
        .await;
    let cert = until_certificate(&env, id, "issued").await;
    let mut names: Vec<String> = serde_json::from_value(cert["names"].clone()).unwrap();
    names.sort();
    assert_eq!(names, ["radio.test", "www.radio.test"]);
    assert!(
        cert["not_after"].is_string() || cert["not_after"].is_number(),
        "{cert:#}"
    );
    env.until_status(id, "applied").await;

    // The chain nginx serves verifies against pebble's root alone.
    let root = env.t.dir.path().join("pebble-root.pem");
    std::fs::write(&root, pebble.issuing_roots().await.unwrap()).unwrap();
    let https = env.web.https_port();
    let resolve = format!("radio.test:{https}:127.0.0.1");
    let url = format!("https://radio.test:{https}/");
    let mut served = (false, String::new());
    for _ in 0..50 {
        served = curl(&[
            "--resolve",
            &resolve,
            "--cacert",
            root.to_str().unwrap(),
            "-D",
            "-",
            &url,
        ]);
        if served.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ok, text) = served;
    assert!(ok, "{text}");
    assert!(text.contains("This site is ready"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("strict-transport-security: max-age="),
        "{text}"
    );

    // The certificate on file: leaf + intermediate, verified by openssl.
    let files = env.target.cert_files(konbit_core::model::SiteId(id));
    let chain = std::fs::read_to_string(&files.cert).unwrap();
    let blocks: Vec<&str> = chain
        .split_inclusive("-----END CERTIFICATE-----")
        .filter(|b| b.contains("BEGIN CERTIFICATE"))
        .collect();
    assert!(blocks.len() >= 2, "{chain}");
    let leaf = env.t.dir.path().join("leaf.pem");
    let rest = env.t.dir.path().join("intermediates.pem");
    std::fs::write(&leaf, blocks[0].trim()).unwrap();
    std::fs::write(&rest, blocks[1..].concat()).unwrap();
    let out = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&root)
        .arg("-untrusted")
        .arg(&rest)
        .arg(&leaf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key_mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&files.key).unwrap().permissions(),
    );
    assert_eq!(key_mode & 0o777, 0o600);

    // HTTP goes to HTTPS (keeping the port and path). Old workers of the
    // reload before the certificate may answer for a moment: poll.
    let http = env.web.http_port();
    let want = format!("301 https://www.radio.test:{https}/page?x=1");
    let mut last = String::new();
    for _ in 0..100 {
        let (ok, text) = curl(&[
            "--resolve",
            &format!("www.radio.test:{http}:127.0.0.1"),
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            &format!("http://www.radio.test:{http}/page?x=1"),
        ]);
        assert!(ok, "{text}");
        last = text;
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last, want);
}

#[tokio::test]
async fn a_failed_order_shows_the_cas_reason_and_is_retried() {
    let Some(env) = env().await else { return };
    // The zone exists, but no record sends `lost.radio.test` here.
    zone(&env, "radio.test", &["@"]).await;
    let id = env
        .site(json!({ "host": "lost.radio.test", "type": "static", "https": { "certificate": true } }))
        .await;
    let cert = until_certificate(&env, id, "failed").await;
    let reason = cert["last_error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("certificate authority"),
        "the CA's reason is shown: {cert:#}"
    );
    assert!(!cert["next_attempt_at"].is_null(), "{cert:#}");
    // The site itself is served over HTTP meanwhile.
    env.until_status(id, "applied").await;
    env.web
        .wait_for_status("lost.radio.test", "/", 200, Duration::from_secs(5))
        .await
        .unwrap();
    // Once the name resolves, the retry (after its backoff) succeeds.
    env.call(
        Method::POST,
        "/api/v1/domains/radio.test/records",
        json!({ "name": "lost", "type": "A", "value": "127.0.0.1", "ttl": 60 }),
        201,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    env.call(
        Method::POST,
        &format!("/api/v1/sites/{id}/certificate/renew"),
        json!({}),
        200,
    )
    .await;
    until_certificate(&env, id, "issued").await;
}
