//! A member runs a domain's mail in Chromium: turns mail on, adds a
//! mailbox (a mistyped password first) and sees it listed with its storage
//! bar, adds an alias with two destinations, sets an automatic reply; then
//! the mailbox's user changes its password on the public page (a wrong one
//! first). In French and in English, each page at desktop and phone width
//! with axe finding no serious problem.

use crate::browser::{sign_in, snap};
use crate::mail_panel::config;
use konbit_testkit::TestApp;
use konbit_testkit::browser::Browser;

const DOMAIN: &str = "radio-mail.test";
const ADDRESS: &str = "info@radio-mail.test";

struct Words {
    lang: &'static str,
    mail: &'static str,
    mail_on: &'static str,
    differs: &'static str,
    mailbox_added: &'static str,
    alias_added: &'static str,
    autoreply_on: &'static str,
    wrong: &'static str,
    changed: &'static str,
}

const FR: Words = Words {
    lang: "fr",
    mail: "Courriel",
    mail_on: "Le courriel est activé.",
    differs: "Mot de passe, encore : les deux mots de passe diffèrent",
    mailbox_added: "La boîte aux lettres a été ajoutée.",
    alias_added: "L'alias a été ajouté.",
    autoreply_on: "La réponse automatique est active.",
    wrong: "L'adresse ou le mot de passe actuel est erroné.",
    changed: "Le mot de passe a été changé.",
};
const EN: Words = Words {
    lang: "en",
    mail: "Mail",
    mail_on: "Mail is on.",
    differs: "Password, again: the two passwords differ",
    mailbox_added: "The mailbox was added.",
    alias_added: "The alias was added.",
    autoreply_on: "The automatic reply is on.",
    wrong: "The address or the current password is wrong.",
    changed: "The password was changed.",
};

/// Sets a field's value directly (a date input takes its value in the
/// browser's own format when typed).
async fn set_value(b: &Browser, selector: &str, value: &str) {
    b.driver()
        .execute(
            &format!("document.querySelector(\"{selector}\").value = '{value}';"),
            vec![],
        )
        .await
        .unwrap();
}

async fn scroll_to(b: &Browser, selector: &str) {
    b.driver()
        .execute(
            &format!("document.querySelector(\"{selector}\").scrollIntoView();"),
            vec![],
        )
        .await
        .unwrap();
}

/// Like [`snap`], for a section further down the page: scrolled to it at
/// both widths (the phone screenshot is taken again once scrolled there).
async fn snap_at(b: &Browser, name: &str, selector: &str) {
    scroll_to(b, selector).await;
    snap(b, name).await;
    let (w, h) = konbit_testkit::browser::PHONE;
    b.set_viewport_size(w, h).await.unwrap();
    scroll_to(b, selector).await;
    b.screenshot(&format!("{name}-phone")).await.unwrap();
    let (w, h) = konbit_testkit::browser::DESKTOP;
    b.set_viewport_size(w, h).await.unwrap();
}

/// Waits (at most 10 s) for the next page's flash message starting with
/// `prefix`. The page that sent the form may still show an older flash, or
/// be replaced while it is read (a stale element), so both are retried.
async fn until_flash(b: &Browser, prefix: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(el) = b.driver().find(thirtyfour::By::Css(".flash")).await
            && let Ok(text) = el.text().await
        {
            if text.starts_with(prefix) {
                return;
            }
            last = text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no flash starting with {prefix:?}; the last one read: {last:?}");
}

async fn journey(w: &Words) {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let t = TestApp::spawn_with(config()).await.unwrap();
    let (account, _, member) = t.seed_account("radio").await.unwrap();
    t.app
        .domains()
        .create(
            &konbit_core::authz::Actor::operator_cli(),
            konbit_app::domain::CreateDomain {
                account_id: account.0,
                name: DOMAIN.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let lang = w.lang;
    b.goto(&t.url(&format!("/lang/{lang}?next=/login")))
        .await
        .unwrap();
    sign_in(&b, &t, &member.email).await;
    let nav = b.text("nav").await.unwrap();
    assert!(nav.contains(w.mail), "{nav}");

    // Mail goes on from the domain's page.
    b.goto(&t.url("/mail")).await.unwrap();
    snap(&b, &format!("{lang}-mail-no-domain")).await;
    b.goto(&t.url(&format!("/domains/{DOMAIN}"))).await.unwrap();
    snap_at(&b, &format!("{lang}-domain-mail-off"), "#mail-heading").await;
    b.click("form[action$='/mail'] button[type=submit]")
        .await
        .unwrap();
    until_flash(&b, w.mail_on).await;
    let section = b
        .text("section[aria-labelledby=mail-heading]")
        .await
        .unwrap();
    assert!(
        section.contains("imap.coop.test") && section.contains("v=DKIM1"),
        "{section}"
    );
    snap_at(&b, &format!("{lang}-domain-mail-on"), "#mail-heading").await;

    // To the domain's mailboxes.
    b.click("a[href='/mail?domain=radio-mail.test']")
        .await
        .unwrap();
    b.wait_for("#f-address").await.unwrap();
    snap(&b, &format!("{lang}-mail-empty")).await;

    // A mailbox, with the password mistyped the first time.
    b.fill("#f-address", "info").await.unwrap();
    b.fill("#f-password", "a long mailbox password")
        .await
        .unwrap();
    b.fill("#f-password_confirm", "a long mailbox pasword")
        .await
        .unwrap();
    b.fill("#f-quota_mb", "500").await.unwrap();
    b.click("form[action='/mail/mailboxes'] button[type=submit]")
        .await
        .unwrap();
    let error = b.text("#f-password_confirm-error").await.unwrap();
    assert!(error.starts_with(w.differs), "{error}");
    snap_at(
        &b,
        &format!("{lang}-mailbox-new-error"),
        "#add-mailbox-heading",
    )
    .await;
    // What was typed is kept, except the passwords.
    b.fill("#f-password", "a long mailbox password")
        .await
        .unwrap();
    b.fill("#f-password_confirm", "a long mailbox password")
        .await
        .unwrap();
    b.click("form[action='/mail/mailboxes'] button[type=submit]")
        .await
        .unwrap();
    until_flash(&b, w.mailbox_added).await;
    let row = b.text("table.mailboxes tbody tr").await.unwrap();
    assert!(row.contains(ADDRESS), "{row}");
    let meter = b.wait_for("table.mailboxes meter").await.unwrap();
    assert_eq!(meter.attr("max").await.unwrap().as_deref(), Some("500"));
    assert!(row.contains("500"), "{row}");

    // An alias with two destinations.
    b.fill("#f-source", "contact").await.unwrap();
    b.fill("#f-destinations", &format!("{ADDRESS}\nada@example.org"))
        .await
        .unwrap();
    b.click("form[action='/mail/aliases'] button[type=submit]")
        .await
        .unwrap();
    until_flash(&b, w.alias_added).await;
    let row = b.text("table.aliases tbody tr").await.unwrap();
    assert!(
        row.contains("contact@radio-mail.test")
            && row.contains(ADDRESS)
            && row.contains("ada@example.org"),
        "{row}"
    );
    snap(&b, &format!("{lang}-mail-list")).await;
    snap_at(&b, &format!("{lang}-mail-list-aliases"), "#aliases-heading").await;

    // The alias's page.
    b.click("table.aliases tbody a").await.unwrap();
    b.wait_for("#f-destinations").await.unwrap();
    snap(&b, &format!("{lang}-alias")).await;

    // The mailbox's page, and an automatic reply.
    b.goto(&t.url(&format!("/mail/mailboxes/{ADDRESS}")))
        .await
        .unwrap();
    b.wait_for("#storage-heading").await.unwrap();
    snap(&b, &format!("{lang}-mailbox")).await;
    b.click("#f-enabled").await.unwrap();
    b.fill("#f-subject", "Away").await.unwrap();
    b.fill("#f-body", "Back on Monday.\nAda").await.unwrap();
    set_value(&b, "#f-start_date", "2030-07-01").await;
    set_value(&b, "#f-end_date", "2030-07-14").await;
    b.click("form[action$='/autoreply'] button[type=submit]")
        .await
        .unwrap();
    until_flash(&b, w.autoreply_on).await;
    let body = b
        .wait_for("#f-body")
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(body.as_deref(), Some("Back on Monday.\nAda"));
    let end = b
        .wait_for("#f-end_date")
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(end.as_deref(), Some("2030-07-14"));
    snap_at(
        &b,
        &format!("{lang}-mailbox-autoreply"),
        "#autoreply-heading",
    )
    .await;
    snap_at(&b, &format!("{lang}-mailbox-bottom"), "#client-heading").await;

    // The mailbox's user, without a Konbit sign-in.
    b.click("form[action='/logout'] button").await.unwrap();
    b.wait_for("#email").await.unwrap();
    b.click("a[href='/mail/password']").await.unwrap();
    b.wait_for("#f-current_password").await.unwrap();
    snap(&b, &format!("{lang}-mail-own-password")).await;
    let own = async |current: &str| {
        b.fill("#f-address", ADDRESS).await.unwrap();
        b.fill("#f-current_password", current).await.unwrap();
        b.fill("#f-new_password", "my very own password")
            .await
            .unwrap();
        b.fill("#f-password_confirm", "my very own password")
            .await
            .unwrap();
        b.click("form[action='/mail/password'] button[type=submit]")
            .await
            .unwrap();
    };
    own("not the password").await;
    let alert = b.text(".alert").await.unwrap();
    assert!(alert.contains(w.wrong), "{alert}");
    snap(&b, &format!("{lang}-mail-own-password-wrong")).await;
    own("a long mailbox password").await;
    until_flash(&b, w.changed).await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_mail_in_french() {
    journey(&FR).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_mail_in_english() {
    journey(&EN).await;
}
