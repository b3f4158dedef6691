//! Password reset by e-mail, caught by a tiny SMTP listener in the test:
//! the same answer for any address, a link that works once, expires, names
//! its person, and ends every session.

use konbit_app::AppConfig;
use konbit_app::mail::SmtpConfig;
use konbit_app::rate_limit::RateLimits;
use konbit_testkit::app::{hidden_value, http_client, set_cookie_value};
use konbit_testkit::{PASSWORD, TestApp};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Speaks just enough SMTP to take messages; sends each DATA to `tx`.
async fn capture_smtp() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 capture ESMTP\r\n").await.ok();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 capture\r\n",
                        "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "DATA" => {
                            w.write_all(b"354 go ahead\r\n").await.ok();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            let _ = tx.send(data);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            w.write_all(b"221 bye\r\n").await.ok();
                            break;
                        }
                        _ => b"502 not here\r\n",
                    };
                    w.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, rx)
}

/// The reset path in a message, quoted-printable soft breaks undone.
fn link_in(mail: &str) -> String {
    let text = mail.replace("=\n", "").replace("=3D", "=");
    let start = text.find("/password-reset/").expect("no link in the mail");
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

async fn next_mail(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("no e-mail within 15 s")
        .unwrap()
}

struct Anon {
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

async fn form(t: &TestApp, path: &str) -> (Anon, reqwest::StatusCode, String) {
    let http = http_client().unwrap();
    let res = http.get(t.url(path)).send().await.unwrap();
    let status = res.status();
    let cookie = set_cookie_value(&res, t.web.login_cookie()).unwrap();
    let html = res.text().await.unwrap();
    let csrf = hidden_value(&html, "_csrf").unwrap_or_default();
    (Anon { http, cookie, csrf }, status, html)
}

async fn post(t: &TestApp, a: &Anon, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut f = vec![("_csrf", a.csrf.as_str())];
    f.extend_from_slice(fields);
    a.http
        .post(t.url(path))
        .header("cookie", format!("{}={}", t.web.login_cookie(), a.cookie))
        .header("origin", &t.base)
        .form(&f)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_link_works_once_and_ends_every_session() {
    let (port, mut mails) = capture_smtp().await;
    let t = TestApp::spawn_with(AppConfig {
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            from: "Konbit <konbit@coop.test>".into(),
            username: None,
            password: None,
        }),
        rate_limits: RateLimits {
            window_secs: 60,
            per_ip: 100,
            per_account: 3,
        },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    let (_, owner, member) = t.seed_account("radio").await.unwrap();
    let before = t.sign_in(&owner.email, PASSWORD).await.unwrap();

    // The same answer whether or not the address exists.
    let (a, _, _) = form(&t, "/password-reset").await;
    let known = post(&t, &a, "/password-reset", &[("email", &owner.email)]).await;
    let unknown = post(&t, &a, "/password-reset", &[("email", "nobody@radio.test")]).await;
    assert_eq!(known.status(), 200);
    assert_eq!(unknown.status(), 200);
    let (k, u) = (known.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(k.contains("id=\"reset-sent\"") && u.contains("id=\"reset-sent\""));
    let strip = |h: &str| {
        h.split("name=\"_csrf\"")
            .next()
            .unwrap()
            .replace(&owner.email, "")
            .replace("nobody@radio.test", "")
    };
    assert_eq!(strip(&k), strip(&u));

    // The e-mail, in French (no preference), with the link.
    let mail = next_mail(&mut mails).await;
    assert!(
        mail.contains("Subject: Konbit") && mail.contains("Bonjour"),
        "{mail}"
    );
    assert!(mail.contains("owner@radio.test"));
    let path = link_in(&mail);
    let token = path.trim_start_matches("/password-reset/").to_owned();

    // Someone else's id with this secret is refused.
    let (_, rest) = token.split_once('.').unwrap();
    let (_, status, html) = form(&t, &format!("/password-reset/{}.{rest}", member.id)).await;
    assert_eq!(status, 410);
    assert!(html.contains("id=\"reset-invalid\""));

    let (a, status, _) = form(&t, &path).await;
    assert_eq!(status, 200);
    let res = post(
        &t,
        &a,
        &path,
        &[
            ("new_password", "a brand new password"),
            ("confirm_password", "another one!!!!"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = post(
        &t,
        &a,
        &path,
        &[("new_password", "short"), ("confirm_password", "short")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = post(
        &t,
        &a,
        &path,
        &[
            ("new_password", "a brand new password"),
            ("confirm_password", "a brand new password"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/login?flash=password-reset-done"
    );
    assert_eq!(
        before.get("/").await.unwrap().status(),
        303,
        "other sessions ended"
    );
    assert!(t.sign_in(&owner.email, PASSWORD).await.is_err());
    t.sign_in(&owner.email, "a brand new password")
        .await
        .unwrap();

    // Used: refused, with a clear page.
    let (_, status, html) = form(&t, &path).await;
    assert_eq!(status, 410);
    // Posting with a good form token (the earlier form's) is refused too.
    assert!(html.contains("ne fonctionne plus"));
    let res = post(
        &t,
        &a,
        &path,
        &[
            ("new_password", "yet another password"),
            ("confirm_password", "yet another password"),
        ],
    )
    .await;
    assert_eq!(res.status(), 410);

    // Expired: refused.
    let (a, _, _) = form(&t, "/password-reset").await;
    post(&t, &a, "/password-reset", &[("email", &owner.email)]).await;
    let path2 = link_in(&next_mail(&mut mails).await);
    let pool = t.db().await.unwrap();
    sqlx::query("UPDATE password_resets SET expires_at = 0 WHERE used_at IS NULL")
        .execute(&pool)
        .await
        .unwrap();
    let (_, status, _) = form(&t, &path2).await;
    assert_eq!(status, 410);
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM password_resets")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|h| !path.contains(h.as_str()) && h.len() == 64),
        "only hashes"
    );

    // The third request for the address is the last one in the window.
    post(&t, &a, "/password-reset", &[("email", &owner.email)]).await;
    let res = post(&t, &a, "/password-reset", &[("email", &owner.email)]).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.unwrap().contains("Réessayez dans"));
}
