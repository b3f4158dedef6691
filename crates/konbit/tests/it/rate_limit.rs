//! Attempt limits on sign-in, the code step and password reset: a 429 with
//! `Retry-After` and a translated message, failures in the audit log, and
//! recovery once the window has passed.

use konbit_app::AppConfig;
use konbit_app::rate_limit::RateLimits;
use konbit_testkit::app::{http_client, login_form};
use konbit_testkit::{PASSWORD, TestApp};
use std::time::Duration;

async fn attempt(t: &TestApp, email: &str, password: &str, lang: &str) -> reqwest::Response {
    let http = http_client().unwrap();
    let (cookie, csrf) = login_form(&http, &t.base, t.web.login_cookie())
        .await
        .unwrap();
    http.post(t.url("/login"))
        .header("cookie", format!("{}={cookie}", t.web.login_cookie()))
        .header("accept-language", lang)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_is_limited_per_account_and_recovers() {
    let t = TestApp::spawn_with(AppConfig {
        rate_limits: RateLimits {
            window_secs: 2,
            per_ip: 100,
            per_account: 3,
        },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    let (_, owner, member) = t.seed_account("radio").await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            attempt(&t, &owner.email, "wrong password!", "fr")
                .await
                .status(),
            401
        );
    }
    // Even the right password waits now; another account does not.
    for (lang, expected) in [
        ("fr-CA", "Réessayez dans"),
        ("en", "Too many attempts. Try again in"),
    ] {
        let res = attempt(&t, &owner.email, PASSWORD, lang).await;
        assert_eq!(res.status(), 429);
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry), "{retry}");
        assert!(res.text().await.unwrap().contains(expected), "{lang}");
    }
    assert_eq!(
        attempt(&t, &member.email, PASSWORD, "fr").await.status(),
        303
    );
    // The window passes: the right password works again (bounded wait).
    let mut recovered = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if attempt(&t, &owner.email, PASSWORD, "fr").await.status() == 303 {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "the limit never lifted");
    let pool = t.db().await.unwrap();
    let limited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'rate_limited'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(limited >= 2, "refusals are audited");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_is_limited_per_ip() {
    let t = TestApp::spawn_with(AppConfig {
        rate_limits: RateLimits {
            window_secs: 60,
            per_ip: 2,
            per_account: 100,
        },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    for who in ["a@x.test", "b@x.test"] {
        assert_eq!(
            attempt(&t, who, "wrong password!", "fr").await.status(),
            401
        );
    }
    let res = attempt(&t, "c@x.test", "wrong password!", "fr").await;
    assert_eq!(res.status(), 429, "a third address from the same IP waits");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_code_step_is_limited() {
    let t = TestApp::spawn_with(AppConfig {
        rate_limits: RateLimits {
            window_secs: 60,
            per_ip: 100,
            per_account: 2,
        },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    let (_, owner, _) = t.seed_account("radio").await.unwrap();
    let s = t.sign_in(&owner.email, PASSWORD).await.unwrap();
    let (_, codes, _) = crate::two_factor::enrol(&t, &s).await;
    let (p, _) = crate::two_factor::password_step(&t, &owner.email).await;
    for _ in 0..2 {
        assert_eq!(
            p.post("/login/2fa", &[("code", "000000")])
                .await
                .unwrap()
                .status(),
            401
        );
    }
    let res = p.post("/login/2fa", &[("code", &codes[0])]).await.unwrap();
    assert_eq!(res.status(), 429, "even a right code waits");
    assert!(res.headers().contains_key("retry-after"));
}
