//! The panel in a real headless Chromium: sign in, create an account, see
//! it on the dashboard, in French and in English, with axe-core finding no
//! serious accessibility problem. Screenshots at desktop and phone width go
//! to `target/browser-artifacts/` for people to review.

use konbit_testkit::browser::{Browser, serious};
use konbit_testkit::{PASSWORD, TestApp};

struct Words {
    lang: &'static str,
    dashboard: &'static str,
    created: &'static str,
    my_accounts: &'static str,
}

const FR: Words = Words {
    lang: "fr",
    dashboard: "Tableau de bord",
    created: "Le compte a été créé.",
    my_accounts: "Mes comptes",
};
const EN: Words = Words {
    lang: "en",
    dashboard: "Dashboard",
    created: "The account was created.",
    my_accounts: "My accounts",
};

/// Runs axe on the current page and fails on serious or critical findings.
async fn assert_accessible(b: &Browser, page: &str) {
    if let Some(violations) = b.try_axe().await.unwrap() {
        let bad = serious(&violations);
        assert!(
            bad.is_empty(),
            "{page}: serious accessibility violations: {bad:#?}"
        );
    }
}

/// At phone width nothing may stick out sideways: a page that scrolls
/// left and right is hard to use on a phone.
async fn assert_fits_a_phone(b: &Browser, page: &str) {
    let (w, h) = konbit_testkit::browser::PHONE;
    b.set_viewport_size(w, h).await.unwrap();
    let overflow = b
        .driver()
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    let (dw, dh) = konbit_testkit::browser::DESKTOP;
    b.set_viewport_size(dw, dh).await.unwrap();
    assert!(
        overflow.json().as_i64().unwrap_or(0) <= 0,
        "{page}: the page scrolls sideways at phone width by {:?} px",
        overflow.json()
    );
}

pub(crate) async fn snap(b: &Browser, name: &str) {
    b.screenshots(name).await.unwrap();
    assert_fits_a_phone(b, name).await;
    assert_accessible(b, name).await;
}

/// Opens each `(name, path)` page, checks it speaks `lang` (the page's
/// `<html lang>`), and takes its screenshots and accessibility check as
/// `{lang}-{name}`.
pub(crate) async fn snap_pages(b: &Browser, t: &TestApp, lang: &str, pages: &[(&str, String)]) {
    for (name, path) in pages {
        b.goto(&t.url(path)).await.unwrap();
        let html_lang = b
            .driver()
            .execute("return document.documentElement.lang;", vec![])
            .await
            .unwrap();
        assert_eq!(html_lang.json().as_str(), Some(lang), "{path}");
        snap(b, &format!("{lang}-{name}")).await;
    }
}

pub(crate) async fn sign_in(b: &Browser, t: &TestApp, email: &str) {
    b.goto(&t.url("/login")).await.unwrap();
    b.fill("#email", email).await.unwrap();
    b.fill("#password", PASSWORD).await.unwrap();
    b.click("button[type=submit]").await.unwrap();
    b.wait_for(".who-name").await.unwrap();
}

async fn journey(w: &Words) {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let t = TestApp::spawn().await.unwrap();
    let lang = w.lang;

    // The language switch for people not signed in sets a cookie.
    b.goto(&t.url(&format!("/lang/{lang}?next=/login")))
        .await
        .unwrap();
    b.wait_for("#email").await.unwrap();
    let html_lang = b
        .driver()
        .execute("return document.documentElement.lang;", vec![])
        .await
        .unwrap();
    assert_eq!(html_lang.json(), &serde_json::json!(lang));
    snap(&b, &format!("{lang}-login")).await;

    sign_in(&b, &t, "admin@coop.test").await;
    assert_eq!(b.text("h1").await.unwrap(), w.dashboard);
    snap(&b, &format!("{lang}-dashboard-empty")).await;

    // Create an account with its first owner.
    b.goto(&t.url("/accounts/new")).await.unwrap();
    snap(&b, &format!("{lang}-account-new")).await;
    // A bad name first: the form comes back with the error on the field.
    b.fill("#f-display_name", "Radio Centre-Ville")
        .await
        .unwrap();
    b.fill("#f-name", "Radio CV").await.unwrap();
    b.click("form.card button[type=submit]").await.unwrap();
    b.wait_for("#f-name-error").await.unwrap();
    snap(&b, &format!("{lang}-account-new-error")).await;
    b.fill("#f-name", "radio-cv").await.unwrap();
    b.fill("#f-owner_email", "olga@radio.test").await.unwrap();
    b.fill("#f-owner_display_name", "Olga Owner").await.unwrap();
    b.fill("#f-owner_password", PASSWORD).await.unwrap();
    b.click("form.card button[type=submit]").await.unwrap();
    let flash = b.wait_for(".flash").await.unwrap().text().await.unwrap();
    assert_eq!(flash, w.created);
    assert_eq!(b.text("h1").await.unwrap(), "Radio Centre-Ville");
    snap(&b, &format!("{lang}-account-show")).await;

    // It is on the dashboard.
    b.goto(&t.url("/")).await.unwrap();
    let cards = b.text("main").await.unwrap();
    assert!(
        cards.contains("Radio Centre-Ville") && cards.contains("radio-cv"),
        "{cards}"
    );
    snap(&b, &format!("{lang}-dashboard")).await;

    for (path, name) in [
        ("/accounts", "accounts"),
        ("/quota-profiles", "quota-profiles"),
        ("/tokens", "tokens"),
        ("/settings", "settings"),
        ("/audit", "audit"),
    ] {
        b.goto(&t.url(path)).await.unwrap();
        b.wait_for("h1").await.unwrap();
        snap(&b, &format!("{lang}-{name}")).await;
    }

    // The admin acts as the new owner to help them, sees the banner, and
    // ends it.
    b.goto(&t.url("/accounts")).await.unwrap();
    b.click("table a").await.unwrap();
    b.click("form[action$='/impersonate'] button")
        .await
        .unwrap();
    b.wait_for(".impersonation").await.unwrap();
    snap(&b, &format!("{lang}-impersonation")).await;
    b.click_and_leave(".impersonation button").await.unwrap();
    b.wait_for(".flash").await.unwrap();
    assert!(
        b.driver()
            .find_all(thirtyfour::By::Css(".impersonation"))
            .await
            .unwrap()
            .is_empty()
    );

    // The new owner signs in and finds their account with its quota.
    b.click("form[action='/logout'] button").await.unwrap();
    b.wait_for("#email").await.unwrap();
    sign_in(&b, &t, "olga@radio.test").await;
    let main = b.text("main").await.unwrap();
    assert!(
        main.contains(w.my_accounts) && main.contains("Radio Centre-Ville"),
        "{main}"
    );
    let meters = b
        .driver()
        .find_all(thirtyfour::By::Css("meter"))
        .await
        .unwrap();
    assert_eq!(meters.len(), 9, "one quota bar per resource");
    snap(&b, &format!("{lang}-owner-dashboard")).await;

    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_journey_in_french() {
    journey(&FR).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_journey_in_english() {
    journey(&EN).await;
}

/// Enrols 2FA in the browser by reading the secret from the page, then
/// signs in again with a code; screenshots and axe on each new page.
async fn two_factor_journey(lang: &str) {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let t = TestApp::spawn().await.unwrap();
    let (_, owner, _) = t.seed_account("radio").await.unwrap();
    b.goto(&t.url(&format!("/lang/{lang}?next=/login")))
        .await
        .unwrap();
    sign_in(&b, &t, &owner.email).await;
    b.goto(&t.url("/settings/2fa")).await.unwrap();
    snap(&b, &format!("{lang}-two-factor-off")).await;
    b.click("form[action='/settings/2fa/start'] button")
        .await
        .unwrap();
    let secret = b
        .wait_for("#secret")
        .await
        .unwrap()
        .value()
        .await
        .unwrap()
        .unwrap();
    assert!(
        b.driver()
            .find(thirtyfour::By::Css("figure.qr svg"))
            .await
            .is_ok()
    );
    snap(&b, &format!("{lang}-two-factor-enrol")).await;
    let now = u64::try_from(konbit_app::now()).unwrap();
    b.fill(
        "#code",
        &konbit_app::two_factor::code_at(&secret, now).unwrap(),
    )
    .await
    .unwrap();
    b.click("form[action='/settings/2fa/confirm'] button")
        .await
        .unwrap();
    b.wait_for("#recovery-codes").await.unwrap();
    snap(&b, &format!("{lang}-two-factor-recovery-codes")).await;

    b.click("form[action='/logout'] button").await.unwrap();
    b.wait_for("#email").await.unwrap();
    b.fill("#email", &owner.email).await.unwrap();
    b.fill("#password", PASSWORD).await.unwrap();
    b.click("button[type=submit]").await.unwrap();
    b.wait_for("#code").await.unwrap();
    // A wrong code first: the message is on the page.
    b.fill("#code", "12a").await.unwrap();
    b.click("form[action='/login/2fa'] button").await.unwrap();
    b.wait_for("#code-error").await.unwrap();
    snap(&b, &format!("{lang}-two-factor-login-error")).await;
    b.fill(
        "#code",
        &konbit_app::two_factor::code_at(&secret, now + 30).unwrap(),
    )
    .await
    .unwrap();
    b.click("form[action='/login/2fa'] button").await.unwrap();
    b.wait_for(".who-name").await.unwrap();
    b.goto(&t.url("/settings")).await.unwrap();
    b.wait_for("#sessions").await.unwrap();
    snap(&b, &format!("{lang}-settings-sessions")).await;
    b.click("form[action='/logout'] button").await.unwrap();
    b.wait_for("#email").await.unwrap();
    b.goto(&t.url("/password-reset")).await.unwrap();
    snap(&b, &format!("{lang}-password-reset")).await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_two_factor_in_french() {
    two_factor_journey("fr").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_two_factor_in_english() {
    two_factor_journey("en").await;
}
