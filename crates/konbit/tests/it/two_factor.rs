//! Two-step verification through the real panel: enrolment with the secret
//! read from the page, sign-in with a code, replays and bad input refused,
//! recovery codes that work once, the operator's policy, and tokens.

use konbit_app::AppConfig;
use konbit_app::two_factor::code_at;
use konbit_core::two_factor::TwoFactorPolicy;
use konbit_testkit::app::{Session, hidden_value, http_client, login_form, set_cookie_value};
use konbit_testkit::{PASSWORD, TestApp};

fn now() -> u64 {
    u64::try_from(konbit_app::now()).unwrap()
}

/// The text of `<input id="secret" ... value="...">` on the enrolment page.
pub fn secret_on_page(html: &str) -> String {
    let marker = "id=\"secret\" class=\"secret\" type=\"text\" readonly value=\"";
    let start = html.find(marker).expect("no secret on the page") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

fn recovery_codes(html: &str) -> Vec<String> {
    html.split("<li><code>")
        .skip(1)
        .filter_map(|p| p.split_once("</code>").map(|(c, _)| c.to_owned()))
        .collect()
}

fn with_cookie(s: &Session, cookie: String, csrf: String) -> Session {
    Session {
        http: s.http.clone(),
        base: s.base.clone(),
        cookie_name: s.cookie_name.clone(),
        cookie,
        csrf,
    }
}

/// Enrols the session's person; returns (the secret, the recovery codes,
/// the renewed session).
pub async fn enrol(t: &TestApp, s: &Session) -> (String, Vec<String>, Session) {
    let page = s.get("/settings/2fa").await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf = hidden_value(&page.text().await.unwrap(), "_csrf").unwrap();
    let s = with_cookie(s, s.cookie.clone(), csrf);
    assert_eq!(
        s.post("/settings/2fa/start", &[]).await.unwrap().status(),
        303
    );
    let html = s.get("/settings/2fa").await.unwrap().text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code as inline SVG");
    let secret = secret_on_page(&html);
    let res = s
        .post(
            "/settings/2fa/confirm",
            &[("code", &code_at(&secret, now()).unwrap())],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = set_cookie_value(&res, t.web.session_cookie()).expect("the session is renewed");
    assert_ne!(cookie, s.cookie);
    let html = res.text().await.unwrap();
    let codes = recovery_codes(&html);
    assert_eq!(codes.len(), 10, "{html}");
    let csrf = hidden_value(&html, "_csrf").unwrap();
    let renewed = with_cookie(&s, cookie, csrf);
    (secret, codes, renewed)
}

/// Signs in with the password; returns the half-signed-in session, and
/// where the server sent it.
pub async fn password_step(t: &TestApp, email: &str) -> (Session, String) {
    let http = http_client().unwrap();
    let (login_cookie, csrf) = login_form(&http, &t.base, t.web.login_cookie())
        .await
        .unwrap();
    let res = http
        .post(t.url("/login"))
        .header("cookie", format!("{}={login_cookie}", t.web.login_cookie()))
        .header("origin", &t.base)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let cookie = set_cookie_value(&res, t.web.session_cookie()).unwrap();
    let mut s = Session {
        http,
        base: t.base.clone(),
        cookie_name: t.web.session_cookie().into(),
        cookie,
        csrf: String::new(),
    };
    let page_path = if to.starts_with("/login/2fa") {
        "/login/2fa"
    } else {
        "/settings/2fa"
    };
    let html = s.get(page_path).await.unwrap().text().await.unwrap();
    s.csrf = hidden_value(&html, "_csrf").unwrap_or_default();
    (s, to)
}

#[tokio::test(flavor = "multi_thread")]
async fn enrol_sign_in_replay_and_recovery_codes() {
    let t = TestApp::spawn().await.unwrap();
    let (_, owner, _) = t.seed_account("radio").await.unwrap();
    let s = t.sign_in(&owner.email, PASSWORD).await.unwrap();

    // Bad input on the confirmation gets a clear message, in French by default.
    let page = s.get("/settings/2fa").await.unwrap().text().await.unwrap();
    let s0 = with_cookie(&s, s.cookie.clone(), hidden_value(&page, "_csrf").unwrap());
    s0.post("/settings/2fa/start", &[]).await.unwrap();
    for (bad, expected) in [
        ("12345", "exactement 6 chiffres"),
        ("12a456", "que des chiffres"),
        (&"1".repeat(5000)[..], "beaucoup trop long"),
    ] {
        let res = s0
            .post("/settings/2fa/confirm", &[("code", bad)])
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{}", &bad[..bad.len().min(10)]);
        assert!(res.text().await.unwrap().contains(expected), "{expected}");
    }

    let (secret, codes, _full) = enrol(&t, &s).await;
    // The secret is sealed at rest, with a private key file beside the database.
    let pool = t.db().await.unwrap();
    let sealed: String = sqlx::query_scalar("SELECT secret_sealed FROM two_factor")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!sealed.contains(&secret));
    let hashes: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| !hashes.iter().any(|h| h.contains(c.as_str())))
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(t.dir.path().join("secret.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Sign-in now stops at the code step, and the pending session reaches nothing else.
    let (p, to) = password_step(&t, &owner.email).await;
    assert_eq!(to, "/login/2fa?next=%2F");
    for path in ["/", "/settings", "/tokens", "/accounts"] {
        let res = p.get(path).await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(res.headers()["location"], "/login/2fa", "{path}");
    }
    let res = p.post("/login/2fa", &[("code", "12 a4 56")]).await.unwrap();
    assert_eq!(res.status(), 422);
    let res = p
        .post("/login/2fa", &[("code", "000000000")])
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    // The next code (the enrolment used the current step).
    let code = code_at(&secret, now() + 30).unwrap();
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let res = p
        .post("/login/2fa", &[("code", &spaced), ("next", "/")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let full = set_cookie_value(&res, t.web.session_cookie()).unwrap();
    assert_ne!(
        full, p.cookie,
        "the session id rotates after the second factor"
    );
    assert_eq!(
        p.get("/").await.unwrap().status(),
        303,
        "the pending id is gone"
    );
    let full_s = with_cookie(&p, full, String::new());
    assert_eq!(full_s.get("/").await.unwrap().status(), 200);

    // The same code again is a replay.
    let (p2, _) = password_step(&t, &owner.email).await;
    let res = p2.post("/login/2fa", &[("code", &code)]).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("déjà servi"));
    // A recovery code works once.
    let res = p2.post("/login/2fa", &[("code", &codes[0])]).await.unwrap();
    assert_eq!(res.status(), 303);
    let (p3, _) = password_step(&t, &owner.email).await;
    let res = p3.post("/login/2fa", &[("code", &codes[0])]).await.unwrap();
    assert_eq!(res.status(), 401);
    // p3 is abandoned: the next full sign-in is told.
    let (p4, _) = password_step(&t, &owner.email).await;
    let res = p4
        .post("/login/2fa", &[("code", &codes[1].to_uppercase())])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let s4 = with_cookie(
        &p4,
        set_cookie_value(&res, t.web.session_cookie()).unwrap(),
        String::new(),
    );
    let dash = s4.get("/").await.unwrap().text().await.unwrap();
    assert!(dash.contains("id=\"incomplete-sign-ins\""), "{dash}");
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor_failed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(n >= 4, "failures are audited: {n}");
    let left = s4.get("/settings/2fa").await.unwrap().text().await.unwrap();
    assert!(left.contains("Il reste 8 codes"), "{left}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_policy_forces_enrolment_and_tokens_need_two_factor() {
    let t = TestApp::spawn_with(AppConfig {
        two_factor_policy: TwoFactorPolicy::Everyone,
        ..AppConfig::default()
    })
    .await
    .unwrap();
    let (_, owner, member) = t.seed_account("radio").await.unwrap();
    let (p, to) = password_step(&t, &owner.email).await;
    assert_eq!(to, "/settings/2fa", "sent to enrolment right after sign-in");
    for path in ["/", "/tokens", "/settings", "/login/2fa"] {
        let res = p.get(path).await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
    }
    assert_eq!(
        p.get("/").await.unwrap().headers()["location"],
        "/settings/2fa"
    );
    let res = p
        .post("/tokens", &[("name", "x"), ("scopes", "accounts:read")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "no token from a session that must enrol");

    // A full session that never passed 2FA (made before the policy) cannot make a token.
    let old = t.session_for(&member).await.unwrap();
    let res = old
        .post("/tokens", &[("name", "x"), ("scopes", "accounts:read")])
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("exige la vérification en deux étapes")
    );
    let api = t
        .api(Some(
            &t.token_for(&member, &["tokens:write"]).await.unwrap(),
        ))
        .unwrap();
    let res = api
        .send_json(
            reqwest::Method::POST,
            "/api/v1/tokens",
            &serde_json::json!({"name": "more", "scopes": ["tokens:read"]}),
        )
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        403,
        "a token cannot make tokens when 2FA is required"
    );

    // After enrolling, the renewed session passed 2FA and can.
    let (_, _, full) = enrol(&t, &p).await;
    assert_eq!(full.get("/").await.unwrap().status(), 200);
    let res = full
        .post("/tokens", &[("name", "x"), ("scopes", "accounts:read")])
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // 2FA cannot be turned off while required.
    let res = full
        .post("/settings/2fa/disable", &[("proof", PASSWORD)])
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn turning_two_factor_off_needs_a_code_or_the_password() {
    let t = TestApp::spawn().await.unwrap();
    let (_, owner, _) = t.seed_account("radio").await.unwrap();
    let s = t.sign_in(&owner.email, PASSWORD).await.unwrap();
    let (_, _, full) = enrol(&t, &s).await;
    let res = full
        .post("/settings/2fa/disable", &[("proof", "not my password")])
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = full
        .post("/settings/2fa/disable", &[("proof", PASSWORD)])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, to) = password_step(&t, &owner.email).await;
    assert_eq!(to, "/", "no second step once it is off");
}
