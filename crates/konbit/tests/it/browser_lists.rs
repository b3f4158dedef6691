//! A member runs the account's mailing lists in Chromium: makes a list (a
//! bad name first), sees the list that is not made in Mailman yet say so,
//! pastes subscribers (a bad line kept in the box), adds a moderator,
//! reads a held message and lets it through, sees a subscription request,
//! and deletes a list with its box ticked. In French and in English, each
//! page at desktop and phone width with axe finding no serious problem.
//! The people and the queue live in a real Mailman; without one, the
//! settings pages are still walked through and the people's pages show
//! their "no list server" message.

use crate::browser::{sign_in, snap};
use crate::list_server::Env;
use konbit_app::AppConfig;
use konbit_app::list::ListConfig;
use konbit_app::list_server::{ListServer, SubscribeAs};
use konbit_core::authz::Actor;
use konbit_testkit::TestApp;
use konbit_testkit::app::Person;
use konbit_testkit::browser::Browser;

struct Words {
    lang: &'static str,
    nav: &'static str,
    name_rule: &'static str,
    created: &'static str,
    not_ready: &'static str,
    no_server: &'static str,
    pasted: &'static str,
    staff_added: &'static str,
    approved: &'static str,
    deleted: &'static str,
}

const FR: Words = Words {
    lang: "fr",
    nav: "Listes",
    name_rule: "Nom de la liste : utilisez des minuscules",
    created: "La liste a été créée.",
    not_ready: "Cette liste est encore en cours de création",
    no_server: "Aucun serveur de listes n'est relié",
    pasted: "Inscrites : 1. Déjà inscrites : 0. Non faites : 1.",
    staff_added: "L'adresse a été ajoutée.",
    approved: "Le message a été envoyé à la liste.",
    deleted: "La liste a été supprimée.",
};
const EN: Words = Words {
    lang: "en",
    nav: "Lists",
    name_rule: "Name of the list: use lowercase letters",
    created: "The list was created.",
    not_ready: "This list is still being set up",
    no_server: "This server has no list server connected",
    pasted: "Subscribed: 1. Already subscribed: 0. Not done: 1.",
    staff_added: "The address was added.",
    approved: "The message was sent to the list.",
    deleted: "The list was deleted.",
};

async fn scroll_to(b: &Browser, selector: &str) {
    b.driver()
        .execute(
            &format!("document.querySelector(\"{selector}\").scrollIntoView();"),
            vec![],
        )
        .await
        .unwrap();
}

/// Like [`snap`], for a section further down the page, at both widths.
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

/// Waits (at most 10 s) for the next page's flash starting with `prefix`.
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

/// Waits (at most 10 s) until the element's text holds `part`.
async fn until_text(b: &Browser, selector: &str, part: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(text) = b.text(selector).await {
            if text.contains(part) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{selector} never held {part:?}; the last text: {last:?}");
}

/// A Konbit with radio's mail domain `radio.example`, and its member.
async fn without_mailman() -> (TestApp, Person) {
    let t = TestApp::spawn_with(AppConfig {
        lists: ListConfig { enabled: true },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    let (account, _, member) = t.seed_account("radio").await.unwrap();
    t.app
        .domains()
        .create(
            &Actor::operator_cli(),
            konbit_app::domain::CreateDomain {
                account_id: account.0,
                name: "radio.example".into(),
                mail: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (t, member)
}

async fn journey(w: &Words) {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let env = Env::start().await;
    let fallback = match env {
        Some(_) => None,
        None => Some(without_mailman().await),
    };
    let (t, member) = match (&env, &fallback) {
        (Some(e), _) => (&e.t, &e.member),
        (None, Some((t, m))) => (t, m),
        (None, None) => unreachable!(),
    };
    let lang = w.lang;
    b.goto(&t.url(&format!("/lang/{lang}?next=/login")))
        .await
        .unwrap();
    sign_in(&b, t, &member.email).await;
    let nav = b.text("nav").await.unwrap();
    assert!(nav.contains(w.nav), "{nav}");

    b.goto(&t.url("/lists")).await.unwrap();
    snap(&b, &format!("{lang}-lists")).await;

    // A new list, a bad name first; what was typed stays.
    b.goto(&t.url("/lists/new")).await.unwrap();
    snap(&b, &format!("{lang}-list-new")).await;
    b.fill("#f-name", "Radio News").await.unwrap();
    b.fill("#f-description", "Les nouvelles").await.unwrap();
    b.click("#f-posting-moderated").await.unwrap();
    b.click("form[action='/lists/new'] button[type=submit]")
        .await
        .unwrap();
    let error = b.text("#f-name-error").await.unwrap();
    assert!(error.starts_with(w.name_rule), "{error}");
    snap(&b, &format!("{lang}-list-new-error")).await;
    b.driver()
        .execute("document.querySelector('#f-name').value = '';", vec![])
        .await
        .unwrap();
    b.fill("#f-name", "news").await.unwrap();
    b.click("form[action='/lists/new'] button[type=submit]")
        .await
        .unwrap();
    until_flash(&b, w.created).await;
    snap(&b, &format!("{lang}-list-show")).await;
    snap_at(&b, &format!("{lang}-list-delete"), "#delete-heading").await;

    // The new list is not in Mailman yet (no provisioner runs here), or
    // there is no Mailman at all: the page says so in words.
    b.click("nav.tabs a[href$='/members']").await.unwrap();
    let notice = b.text(".notice").await.unwrap();
    let expected = if env.is_some() {
        w.not_ready
    } else {
        w.no_server
    };
    assert!(notice.contains(expected), "{notice}");
    snap(&b, &format!("{lang}-list-members-unavailable")).await;

    if let Some(env) = &env {
        let id = env.list.id.0;
        // Subscribers pasted, one bad line kept in the box.
        b.goto(&t.url(&format!("/lists/{id}/members")))
            .await
            .unwrap();
        snap(&b, &format!("{lang}-list-members-empty")).await;
        b.fill(
            "#f-subscribe_addresses",
            "Ana Martin <ana@example.org>\nnot an address",
        )
        .await
        .unwrap();
        b.click("form[action$='/members/subscribe'] button[type=submit]")
            .await
            .unwrap();
        until_text(&b, "section[aria-labelledby=subscribe-heading]", w.pasted).await;
        let kept = b
            .driver()
            .execute(
                "return document.querySelector('#f-subscribe_addresses').value;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(kept.json(), &serde_json::json!("not an address"));
        snap_at(
            &b,
            &format!("{lang}-list-members-pasted"),
            "#subscribe-heading",
        )
        .await;
        // A moderator.
        b.fill("#f-staff_address", "mod@example.org").await.unwrap();
        b.click("form[action$='/staff'] button[type=submit]")
            .await
            .unwrap();
        until_flash(&b, w.staff_added).await;
        let table = b
            .text("section[aria-labelledby=subscribers-heading]")
            .await
            .unwrap();
        assert!(table.contains("ana@example.org"), "{table}");
        snap_at(&b, &format!("{lang}-list-staff"), "#staff-heading").await;

        // A held message and a subscription request.
        env.moderate_subscriptions().await;
        env.server
            .subscribe(
                &env.list,
                "dave@example.org",
                Some("Dave"),
                SubscribeAs::ConfirmedSelf,
            )
            .await
            .unwrap();
        env.post("stranger@example.net", "Concert tonight").await;
        let held = env.until_held(1).await;
        b.goto(&t.url(&format!("/lists/{id}/moderation")))
            .await
            .unwrap();
        let queue = b.text("main").await.unwrap();
        assert!(
            queue.contains("Concert tonight") && queue.contains("dave@example.org"),
            "{queue}"
        );
        snap(&b, &format!("{lang}-list-moderation")).await;
        b.click(&format!("a[href='/lists/{id}/held/{}']", held[0].id))
            .await
            .unwrap();
        let text = b.text("pre.held-text").await.unwrap();
        assert!(text.contains("From: stranger@example.net"), "{text}");
        snap(&b, &format!("{lang}-list-held")).await;
        b.click("button[name=decision][value=approve]")
            .await
            .unwrap();
        until_flash(&b, w.approved).await;
    }

    // Deleting wants the box ticked.
    b.goto(&t.url("/lists")).await.unwrap();
    b.click("table.lists a[href^='/lists/']").await.unwrap();
    b.wait_for("#delete-heading").await.unwrap();
    scroll_to(&b, "#delete-heading").await;
    b.click("input[name=confirm]").await.unwrap();
    b.click("form[action$='/delete'] button[type=submit]")
        .await
        .unwrap();
    until_flash(&b, w.deleted).await;
    snap(&b, &format!("{lang}-lists-deleted")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_in_chromium_with_mailman_in_french() {
    journey(&FR).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_in_chromium_with_mailman_in_english() {
    journey(&EN).await;
}
