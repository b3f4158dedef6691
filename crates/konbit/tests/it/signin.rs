//! Signing in and out through the real panel: passwords, session rotation,
//! CSRF defences and expiry.

use konbit_testkit::app::{hidden_value, http_client, login_form, set_cookie_value};
use konbit_testkit::{PASSWORD, TestApp};

async fn app_with_owner() -> (TestApp, String) {
    let t = TestApp::spawn().await.unwrap();
    let (_, owner, _) = t.seed_account("radio").await.unwrap();
    (t, owner.email)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_is_refused_in_the_persons_language() {
    let (t, email) = app_with_owner().await;
    let http = http_client().unwrap();
    for (lang, expected) in [
        (
            "en-CA,en;q=0.9",
            "The e-mail address or the password is wrong.",
        ),
        ("fr-CA", "Le courriel ou le mot de passe est erroné."),
    ] {
        let (cookie, csrf) = login_form(&http, &t.base, t.web.login_cookie())
            .await
            .unwrap();
        let res = http
            .post(t.url("/login"))
            .header("cookie", format!("{}={cookie}", t.web.login_cookie()))
            .header("accept-language", lang)
            .form(&[
                ("_csrf", csrf.as_str()),
                ("email", email.as_str()),
                ("password", "not the right password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert!(
            set_cookie_value(&res, t.web.session_cookie()).is_none(),
            "no session for a wrong password"
        );
        let html = res.text().await.unwrap();
        assert!(html.contains(expected), "{lang}: {html}");
        assert!(
            html.contains(&format!("value=\"{email}\"")),
            "the address typed is kept"
        );
    }
    // An unknown address gets the very same answer.
    assert!(t.sign_in("nobody@radio.test", PASSWORD).await.is_err());
    let pool = t.db().await.unwrap();
    let failures: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(failures, 3, "failed sign-ins are audited");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_id_is_rotated_at_sign_in() {
    let (t, email) = app_with_owner().await;
    let first = t.sign_in(&email, PASSWORD).await.unwrap();
    // Sign in again from a browser that still carries the first session.
    let http = http_client().unwrap();
    let (cookie, csrf) = login_form(&http, &t.base, t.web.login_cookie())
        .await
        .unwrap();
    let res = http
        .post(t.url("/login"))
        .header(
            "cookie",
            format!(
                "{}={cookie}; {}={}",
                t.web.login_cookie(),
                t.web.session_cookie(),
                first.cookie
            ),
        )
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let header = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(t.web.session_cookie()))
        .unwrap()
        .to_owned();
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Lax") && header.contains("Path=/"),
        "{header}"
    );
    let second = set_cookie_value(&res, t.web.session_cookie()).unwrap();
    assert_ne!(second, first.cookie);
    let old = first.get("/").await.unwrap();
    assert_eq!(old.status(), 303, "the old session id no longer works");
    assert!(
        old.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    let res = http
        .get(t.url("/"))
        .header("cookie", format!("{}={second}", t.web.session_cookie()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_without_the_token_or_from_another_site_are_refused() {
    let (t, email) = app_with_owner().await;
    let s = t.sign_in(&email, PASSWORD).await.unwrap();
    let before = t.fingerprint().await.unwrap();
    let cookie = format!("{}={}", s.cookie_name, s.cookie);
    let post = |origin: Option<&'static str>, site: Option<&'static str>, csrf: Option<String>| {
        let mut rb = s
            .http
            .post(t.url("/settings"))
            .header("cookie", cookie.clone());
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        if let Some(site) = site {
            rb = rb.header("sec-fetch-site", site);
        }
        let mut form = vec![
            ("display_name".to_owned(), "Mallory".to_owned()),
            ("locale".to_owned(), "en".to_owned()),
        ];
        if let Some(c) = csrf {
            form.push(("_csrf".into(), c));
        }
        rb.form(&form).send()
    };
    // No token at all.
    assert_eq!(post(None, None, None).await.unwrap().status(), 403);
    // A wrong token.
    assert_eq!(
        post(None, None, Some("forged".into()))
            .await
            .unwrap()
            .status(),
        403
    );
    // The right token, but sent by another site's page.
    assert_eq!(
        post(Some("https://evil.example"), None, Some(s.csrf.clone()))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post(None, Some("cross-site"), Some(s.csrf.clone()))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(t.fingerprint().await.unwrap(), before, "nothing changed");
    // The same request from our own page goes through.
    let ok = s
        .post("/settings", &[("display_name", "Olga"), ("locale", "en")])
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_ne!(t.fingerprint().await.unwrap(), before);

    // The sign-in form has its own token, tied to a cookie.
    let http = http_client().unwrap();
    let (_, csrf) = login_form(&http, &t.base, t.web.login_cookie())
        .await
        .unwrap();
    let res = http
        .post(t.url("/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        403,
        "a login form posted without its cookie is refused"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_and_expired_sessions_are_refused() {
    let (t, email) = app_with_owner().await;
    let idle = t.sign_in(&email, PASSWORD).await.unwrap();
    let expired = t.sign_in(&email, PASSWORD).await.unwrap();
    let fresh = t.sign_in(&email, PASSWORD).await.unwrap();
    let pool = t.db().await.unwrap();
    let hash = |c: &str| konbit_app::secret::sha256_hex(c);
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 2 * 3600 WHERE id_hash = $1")
        .bind(hash(&idle.cookie))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE sessions SET expires_at = created_at - 1 WHERE id_hash = $1")
        .bind(hash(&expired.cookie))
        .execute(&pool)
        .await
        .unwrap();
    for s in [&idle, &expired] {
        let res = s.get("/accounts").await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/login?next=%2Faccounts");
    }
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 1, "expired sessions are removed when seen");
    assert_eq!(fresh.get("/accounts").await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_everywhere_ends_every_session() {
    let (t, email) = app_with_owner().await;
    let laptop = t.sign_in(&email, PASSWORD).await.unwrap();
    let phone = t.sign_in(&email, PASSWORD).await.unwrap();
    let res = phone.post("/logout/everywhere", &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/login?flash=signed-out-everywhere"
    );
    assert_eq!(laptop.get("/").await.unwrap().status(), 303);
    assert_eq!(phone.get("/").await.unwrap().status(), 303);
    // A plain sign-out ends only that session.
    let a = t.sign_in(&email, PASSWORD).await.unwrap();
    let b = t.sign_in(&email, PASSWORD).await.unwrap();
    assert_eq!(a.post("/logout", &[]).await.unwrap().status(), 303);
    assert_eq!(a.get("/").await.unwrap().status(), 303);
    assert_eq!(b.get("/").await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_panel_speaks_french_by_default_and_english_on_request() {
    let (t, email) = app_with_owner().await;
    let http = http_client().unwrap();
    let fr = http
        .get(t.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fr.contains("<html lang=\"fr\">") && fr.contains("Connexion"));
    let en = http
        .get(t.url("/login"))
        .header("accept-language", "en-US,en;q=0.8")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Sign in"));
    // The switch brings people back to the page they were on.
    let reset = http
        .get(t.url("/password-reset"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        reset.contains("href=\"/lang/en?next=%2Fpassword-reset\""),
        "{reset}"
    );
    // The person's preference wins over the browser.
    let s = t.sign_in(&email, PASSWORD).await.unwrap();
    assert_eq!(
        s.post(
            "/settings/language",
            &[("locale", "en"), ("next", "/settings")]
        )
        .await
        .unwrap()
        .status(),
        303
    );
    let page = s
        .http
        .get(t.url("/settings"))
        .header("cookie", format!("{}={}", s.cookie_name, s.cookie))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<html lang=\"en\">"),
        "preference beats Accept-Language"
    );
    assert!(hidden_value(&page, "_csrf").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_form_bodies_get_a_clear_page_and_change_nothing() {
    let (t, email) = app_with_owner().await;
    let s = t.sign_in(&email, PASSWORD).await.unwrap();
    let before = t.fingerprint().await.unwrap();
    let cookie = format!("{}={}", s.cookie_name, s.cookie);
    // Too large: 413, with a page that says so.
    let huge = "x".repeat(100 * 1024);
    let res = s
        .post("/settings", &[("display_name", huge.as_str())])
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("trop volumineux"));
    // Not a form: 415.
    let res = s
        .http
        .post(t.url("/settings"))
        .header("cookie", &cookie)
        .header("origin", &t.base)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    // Garbage in a form is just text: the field rules answer, never a 500.
    let res = s
        .post(
            "/settings",
            &[("display_name", "a\u{0}b\nc"), ("locale", "%%%")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(
            "Nom complet : les sauts de ligne et caractères de contrôle ne sont pas permis."
        ),
        "{html}"
    );
    assert_eq!(t.fingerprint().await.unwrap(), before, "nothing changed");
    // Unknown pages are a translated 404, and ids that are not numbers too.
    for path in ["/nowhere", "/accounts/abc", "/accounts/99999"] {
        let res = s.get(path).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.text().await.unwrap().contains("Introuvable"), "{path}");
    }
}
