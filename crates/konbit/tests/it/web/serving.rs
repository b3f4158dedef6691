//! Each kind of site served by the real nginx and PHP-FPM over HTTP.

use super::{Options, WebEnv};
use reqwest::Method;
use serde_json::json;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

async fn env() -> Option<WebEnv> {
    WebEnv::start(Options::default()).await
}

/// Writes a file into a site's directory as the account's user would.
fn put(env: &WebEnv, account: &str, path: &str, body: &str) {
    let file = env.home(account).join(path);
    std::fs::write(&file, body).unwrap();
    let owner = std::fs::metadata(file.parent().unwrap()).unwrap();
    std::os::unix::fs::chown(&file, Some(owner.uid()), Some(owner.gid())).unwrap();
}

#[tokio::test]
async fn each_kind_of_site_answers_with_its_host() {
    let Some(env) = env().await else { return };
    env.raise_site_quota(10).await;
    env.domain("radio.test").await;

    // Static: the first page is there at once, then the member's files.
    let id = env
        .site(json!({ "host": "radio.test", "type": "static", "aliases": ["www.radio.test"] }))
        .await;
    env.until_status(id, "applied").await;
    let (status, body) = env
        .web
        .wait_for_status("radio.test", "/", 200, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("This site is ready"), "{body}");
    let home = env.home("radio");
    let root = home.join("www/radio.test");
    assert_eq!(std::fs::metadata(&root).unwrap().uid(), env.uid(env.radio));
    assert_eq!(std::fs::metadata(&home).unwrap().mode() & 0o777, 0o750);
    put(
        &env,
        "radio",
        "www/radio.test/hello.txt",
        "hello from radio",
    );
    let (_, body) = env
        .web
        .get("www.radio.test", "/hello.txt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(body, "hello from radio");
    // A dot-file is not served.
    put(&env, "radio", "www/radio.test/.env", "SECRET=1");
    let (status, _) = env.web.get("radio.test", "/.env").await.unwrap().unwrap();
    assert_eq!(status, 403);

    // PHP, run as the account's own user.
    let php = env
        .site(json!({ "host": "php.radio.test", "type": "php", "root": "php-site" }))
        .await;
    env.until_status(php, "applied").await;
    put(
        &env,
        "radio",
        "php-site/index.php",
        "<?php echo 'uid=', posix_geteuid(), ' user=', getenv('USER') ?: '-';",
    );
    let (status, body) = env
        .web
        .wait_for_status("php.radio.test", "/index.php", 200, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with(&format!("uid={}", env.uid(env.radio))),
        "{body}"
    );

    // A permanent redirect keeping the path, and a temporary one to a page.
    let redirect = env
        .site(json!({ "host": "old.radio.test", "type": "redirect",
                      "redirect_to": "https://radio.example" }))
        .await;
    let temporary = env
        .site(json!({ "host": "promo.radio.test", "type": "redirect",
                      "redirect_to": "https://radio.example/promo?x=1", "redirect_permanent": false }))
        .await;
    env.until_status(redirect, "applied").await;
    env.until_status(temporary, "applied").await;
    // nginx's reload is asynchronous: wait until its new workers answer.
    for host in ["old.radio.test", "promo.radio.test"] {
        env.until_answered(host).await;
    }
    let (status, headers) = env
        .web
        .wait_for_head("old.radio.test", "/a/b?c=d", 301, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(status, 301);
    assert_eq!(
        headers.get("location").unwrap(),
        "https://radio.example/a/b?c=d"
    );
    let (status, headers) = env
        .web
        .wait_for_head("promo.radio.test", "/ignored", 302, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(status, 302);
    assert_eq!(
        headers.get("location").unwrap(),
        "https://radio.example/promo?x=1"
    );

    // A reverse proxy to the member's own application on a local port.
    let app = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = app.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        for _ in 0..5 {
            let Ok((mut s, _)) = app.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let host = request
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Host: ")
                        .or_else(|| l.strip_prefix("host: "))
                })
                .unwrap_or("-")
                .to_owned();
            let body = format!("app saw host {host}");
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(reply.as_bytes()).await;
        }
    });
    let proxy = env
        .site(json!({ "host": "app.radio.test", "type": "proxy", "proxy_port": port }))
        .await;
    env.until_status(proxy, "applied").await;
    let (status, body) = env
        .web
        .wait_for_status("app.radio.test", "/", 200, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        (status, body.as_str()),
        (200, "app saw host app.radio.test")
    );
    server.abort();

    // An unknown host gets nothing.
    assert!(env.web.get("nobody.test", "/").await.unwrap().is_none());
}

#[tokio::test]
async fn php_cannot_read_another_accounts_files() {
    let Some(env) = env().await else { return };
    env.domain("radio.test").await;
    let (club, club_owner, _) = env.t.seed_account("club").await.unwrap();
    let token = env
        .t
        .token_for(&club_owner, &["domains:write", "sites:write"])
        .await
        .unwrap();
    let club_api = env.t.api(Some(&token)).unwrap();
    let res = club_api
        .send_json(
            Method::POST,
            "/api/v1/domains",
            &json!({ "account": "club", "name": "club.test", "dnssec": false }),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = club_api
        .send_json(
            Method::POST,
            "/api/v1/sites",
            &json!({ "host": "club.test", "type": "php" }),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let radio = env
        .site(json!({ "host": "radio.test", "type": "php" }))
        .await;
    env.until_status(radio, "applied").await;
    // Wait for club's site too: its home and pool exist then.
    env.web
        .wait_for_status("club.test", "/", 200, Duration::from_secs(10))
        .await
        .unwrap();
    put(&env, "club", "www/club.test/secret.txt", "club's secret");
    let secret = env.home("club").join("www/club.test/secret.txt");
    put(
        &env,
        "radio",
        "www/radio.test/steal.php",
        &format!(
            "<?php $s = @file_get_contents('{}'); echo $s === false ? 'refused' : $s; \
             echo ' passwd=', @file_get_contents('/etc/passwd') === false ? 'refused' : 'READ';",
            secret.display()
        ),
    );
    let (status, body) = env
        .web
        .wait_for_status("radio.test", "/steal.php", 200, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, "refused passwd=refused");
    // The second layer: without PHP's open_basedir, the file modes keep
    // radio's user out of club's home.
    let radio_login = format!("{}radio", env.target.unix.prefix);
    let out = std::process::Command::new("setpriv")
        .arg(format!("--reuid={}", env.uid(env.radio)))
        .arg(format!("--regid={}", env.uid(env.radio)))
        .arg("--clear-groups")
        .arg("cat")
        .arg(&secret)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{radio_login} read club's file");
    let _ = club;
}

#[tokio::test]
async fn a_disabled_site_is_not_served_at_all() {
    let Some(env) = env().await else { return };
    env.domain("radio.test").await;
    let id = env
        .site(json!({ "host": "radio.test", "type": "static" }))
        .await;
    env.until_status(id, "applied").await;
    env.web
        .wait_for_status("radio.test", "/", 200, Duration::from_secs(5))
        .await
        .unwrap();
    env.call(
        Method::POST,
        &format!("/api/v1/sites/{id}/disable"),
        json!({}),
        200,
    )
    .await;
    env.until_status(id, "applied").await;
    env.until_silent("radio.test").await;
    assert!(
        !env.target
            .site_file(konbit_core::model::SiteId(id))
            .exists()
    );
    env.call(
        Method::POST,
        &format!("/api/v1/sites/{id}/enable"),
        json!({}),
        200,
    )
    .await;
    env.web
        .wait_for_status("radio.test", "/", 200, Duration::from_secs(5))
        .await
        .unwrap();
    // Deleted: not served; restored: served again.
    env.call(
        Method::DELETE,
        &format!("/api/v1/sites/{id}"),
        json!({}),
        200,
    )
    .await;
    env.until_status(id, "applied").await;
    env.until_silent("radio.test").await;
    env.call(
        Method::POST,
        &format!("/api/v1/sites/{id}/restore"),
        json!({}),
        200,
    )
    .await;
    env.web
        .wait_for_status("radio.test", "/", 200, Duration::from_secs(5))
        .await
        .unwrap();
}

#[tokio::test]
async fn hostile_values_never_reach_nginx() {
    let Some(env) = env().await else { return };
    env.domain("radio.test").await;
    for body in [
        json!({ "host": "radio.test;", "type": "static" }),
        json!({ "host": "radio.test", "type": "static", "root": "../../etc" }),
        json!({ "host": "radio.test", "type": "static", "root": "www/a b" }),
        json!({ "host": "radio.test", "type": "static", "root": "www/x;}" }),
        json!({ "host": "radio.test", "type": "static", "aliases": ["a.radio.test\nserver_name evil"] }),
        json!({ "host": "radio.test", "type": "redirect", "redirect_to": "https://a.test/\"; return 200 \"owned" }),
        json!({ "host": "radio.test", "type": "redirect", "redirect_to": "https://a.test/$host" }),
        json!({ "host": "radio.test", "type": "redirect", "redirect_to": "https://a.test/{x}" }),
        json!({ "host": "radio.test", "type": "proxy", "proxy_port": 0 }),
        json!({ "host": "radio.test", "type": "proxy", "proxy_port": 70000 }),
        json!({ "host": "evil.test", "type": "static" }),
    ] {
        let res = env
            .api
            .send_json(Method::POST, "/api/v1/sites", &body)
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{body}");
        let problem: serde_json::Value = res.json().await.unwrap();
        assert!(problem["errors"][0]["field"].is_string(), "{problem:#}");
    }
    let files: Vec<_> = std::fs::read_dir(env.web.sites_dir()).unwrap().collect();
    assert!(files.is_empty(), "nothing was written for nginx");
}
