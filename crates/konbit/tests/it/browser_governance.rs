//! Co-op governance in Chromium: the governance index, a body's rules, the
//! new proposal form, a proposal open for a ranked vote with its ballot
//! form, a decided proposal with its tally, and the public decision log
//! (signed out too), in French and in English, at desktop and phone width
//! with axe finding no serious problem. The owner then casts a ballot by
//! clicking, and sees it recorded. The other ballots (consent, approval,
//! time poll) and the admins' repairs (roll back, try again) too.

use crate::browser::{sign_in, snap, snap_pages};
use crate::governance_panel::{
    get, make_assembly, make_assembly_with, post, voting_proposal, world,
};
use konbit_testkit::browser::Browser;

const DAY: i64 = 24 * 60 * 60;

/// Screenshots of a section further down the page, at both widths.
async fn snap_section(b: &Browser, name: &str, selector: &str) {
    let scroll = format!("document.querySelector(\"{selector}\").scrollIntoView();");
    for (size, suffix) in [
        (konbit_testkit::browser::DESKTOP, "desktop"),
        (konbit_testkit::browser::PHONE, "phone"),
    ] {
        b.set_viewport_size(size.0, size.1).await.unwrap();
        b.driver().execute(&scroll, vec![]).await.unwrap();
        b.screenshot(&format!("{name}-{suffix}")).await.unwrap();
    }
    let (w, h) = konbit_testkit::browser::DESKTOP;
    b.set_viewport_size(w, h).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_pages_in_a_browser() {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let w = world().await;
    let body = make_assembly(&w).await;
    // A decided yes/no proposal, with a ballot.
    let decided = voting_proposal(
        &w,
        body,
        &[
            ("title", "Raise the standard profile to twenty mailboxes"),
            (
                "text",
                "Twenty mailboxes per member account instead of ten.\nNothing else changes.",
            ),
            ("method", "yes_no"),
        ],
    )
    .await;
    let path = format!("/governance/proposals/{decided}");
    let (_, page) = get(&w.owner, &path, "en").await;
    let hash = konbit_testkit::app::hidden_value(&page, "text_hash").unwrap();
    let (status, _, _) = post(
        &w.owner,
        &format!("{path}/ballot"),
        "en",
        &[("text_hash", &hash), ("choice", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    w.t.app
        .governance()
        .tick(konbit_app::now() + 10 * DAY)
        .await
        .unwrap();
    // A ranked vote, open now.
    let ranked = voting_proposal(
        &w,
        body,
        &[
            ("title", "Colour of the new website"),
            ("text", "Pick the main colour of the co-op's website."),
            ("method", "schulze"),
            ("options", "Deep red\nOcean blue\nForest green"),
        ],
    )
    .await;
    // And a yes/no vote to cast by clicking.
    let yes_no = voting_proposal(
        &w,
        body,
        &[
            ("title", "Hold the assembly online"),
            ("text", "The next general assembly meets online."),
            ("method", "yes_no"),
        ],
    )
    .await;

    sign_in(&b, &w.t, "owner@radio.test").await;
    for lang in ["fr", "en"] {
        b.goto(&w.t.url(&format!("/lang/{lang}?next=/governance")))
            .await
            .unwrap();
        snap_pages(
            &b,
            &w.t,
            lang,
            &[
                ("governance", "/governance".to_owned()),
                ("governance-body", format!("/governance/bodies/{body}")),
                ("proposal-new", "/governance/proposals/new".to_owned()),
                ("proposal-ranked", format!("/governance/proposals/{ranked}")),
                (
                    "proposal-decided",
                    format!("/governance/proposals/{decided}"),
                ),
                ("decisions", "/decisions".to_owned()),
            ],
        )
        .await;
        // The ranked ballot form and the decided tally, scrolled to.
        b.goto(&w.t.url(&format!("/governance/proposals/{ranked}")))
            .await
            .unwrap();
        snap_section(&b, &format!("{lang}-proposal-ranked-ballot"), "#ballot").await;
        b.goto(&w.t.url(&format!("/governance/proposals/{decided}")))
            .await
            .unwrap();
        snap_section(
            &b,
            &format!("{lang}-proposal-decided-tally"),
            "#tally-heading",
        )
        .await;
        // A ballot by clicking: the current ballot shows.
        b.goto(&w.t.url(&format!("/governance/proposals/{yes_no}")))
            .await
            .unwrap();
        b.click("#f-choice-abstain").await.unwrap();
        b.click("#ballot-form button[type=submit]").await.unwrap();
        b.wait_for(".flash").await.unwrap();
        let mine = b.text(".current-ballot").await.unwrap();
        let words = if lang == "fr" {
            "Abstention"
        } else {
            "Abstain"
        };
        assert!(mine.contains(words), "{mine}");
        snap(&b, &format!("{lang}-proposal-voted")).await;
    }
    b.quit().await;

    // Signed out, the decision log in both languages.
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    for lang in ["fr", "en"] {
        b.goto(&w.t.url(&format!("/lang/{lang}?next=/decisions")))
            .await
            .unwrap();
        b.wait_for("#head-hash").await.unwrap();
        snap(&b, &format!("{lang}-decisions-public")).await;
    }
    b.quit().await;
}

/// The admins' side in Chromium: the body form, the new proposal form with
/// its platform actions, and a decision under appeal with the buttons
/// that settle it; axe-clean in both languages at both widths.
#[tokio::test(flavor = "multi_thread")]
async fn governance_admin_pages_in_a_browser() {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let w = world().await;
    let body = make_assembly(&w).await.to_string();
    let radio = w.radio.0.to_string();
    let (status, location, page) = post(
        &w.owner,
        "/governance/proposals/new",
        "en",
        &[
            ("body_id", &body),
            ("title", "Pause the radio account"),
            ("text", "Lock it until the dues are paid."),
            ("method", "yes_no"),
            ("action", "lock_account"),
            ("account_id", &radio),
            ("reason", "Unpaid dues"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let id = location
        .strip_prefix("/governance/proposals/")
        .and_then(|r| r.split('?').next())
        .unwrap()
        .to_owned();
    let path = format!("/governance/proposals/{id}");
    let (status, _, _) = post(&w.owner, &format!("{path}/discussion"), "en", &[]).await;
    assert_eq!(status, 303);
    let gov = w.t.app.governance();
    gov.tick(konbit_app::now() + 3 * DAY).await.unwrap();
    let (_, page) = get(&w.owner, &path, "en").await;
    let hash = konbit_testkit::app::hidden_value(&page, "text_hash").unwrap();
    let (status, _, _) = post(
        &w.owner,
        &format!("{path}/ballot"),
        "en",
        &[("text_hash", &hash), ("choice", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    // Closed and adopted, inside its one-day appeal window: appealed.
    gov.tick(konbit_app::now() + 5 * DAY + 60).await.unwrap();
    let (status, _, page) = post(
        &w.owner,
        &format!("{path}/appeal"),
        "en",
        &[("reason", "The dues were paid yesterday; the bank is slow.")],
    )
    .await;
    assert_eq!(status, 303, "{page}");

    sign_in(&b, &w.t, "admin@coop.test").await;
    for lang in ["fr", "en"] {
        b.goto(&w.t.url(&format!("/lang/{lang}?next=/governance")))
            .await
            .unwrap();
        snap_pages(
            &b,
            &w.t,
            lang,
            &[
                ("admin-body-new", "/governance/bodies/new".to_owned()),
                ("admin-body-edit", format!("/governance/bodies/{body}")),
                ("admin-proposal-new", "/governance/proposals/new".to_owned()),
                ("admin-proposal-appealed", path.clone()),
            ],
        )
        .await;
        b.goto(&w.t.url(&path)).await.unwrap();
        let appeal = b.text("#appeal-heading").await.unwrap();
        assert!(!appeal.is_empty());
        snap_section(&b, &format!("{lang}-admin-appeal"), "#appeal-heading").await;
    }
    b.quit().await;
}

/// A proposal by the radio's owner that carries a platform action, through
/// its discussion into the vote, with the owner's yes; its page.
async fn adopted_soon(
    w: &crate::governance_panel::World,
    body: &str,
    fields: &[(&str, &str)],
) -> String {
    let mut form = vec![("body_id", body), ("method", "yes_no")];
    form.extend_from_slice(fields);
    let (status, location, page) = post(&w.owner, "/governance/proposals/new", "en", &form).await;
    assert_eq!(status, 303, "{page}");
    let path = location.split('?').next().unwrap().to_owned();
    let (status, _, _) = post(&w.owner, &format!("{path}/discussion"), "en", &[]).await;
    assert_eq!(status, 303);
    w.t.app
        .governance()
        .tick(konbit_app::now() + 3 * DAY)
        .await
        .unwrap();
    let (_, page) = get(&w.owner, &path, "en").await;
    let hash = konbit_testkit::app::hidden_value(&page, "text_hash").unwrap();
    let (status, _, _) = post(
        &w.owner,
        &format!("{path}/ballot"),
        "en",
        &[("text_hash", &hash), ("choice", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    path
}

/// The ballots of the other methods (consent, approval, time poll), cast
/// by clicking; then, as an admin, an applied decision rolled back and a
/// failed one carried out once its cause is gone. Axe-clean in both
/// languages at both widths.
#[tokio::test(flavor = "multi_thread")]
async fn governance_ballots_of_every_method_and_repairs_in_a_browser() {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let w = world().await;
    // No appeal window: an adopted lock applies when its vote closes.
    let assembly = make_assembly_with(&w, &[("appeal_hours", "0")]).await;
    let (garden, _, _) = w.t.seed_account("garden").await.unwrap();
    let (bakery, _, _) = w.t.seed_account("bakery").await.unwrap();
    let consent = voting_proposal(
        &w,
        assembly,
        &[
            ("title", "Adopt the new code of conduct"),
            ("text", "The code of conduct drafted by the working group."),
            ("method", "consent"),
        ],
    )
    .await;
    let approval = voting_proposal(
        &w,
        assembly,
        &[
            ("title", "Which days for the help desk?"),
            ("text", "Approve every day you could staff it."),
            ("method", "approval"),
            ("options", "Monday\nWednesday\nFriday"),
        ],
    )
    .await;
    let poll = voting_proposal(
        &w,
        assembly,
        &[
            ("title", "When do we meet?"),
            ("text", "The autumn general assembly."),
            ("method", "time_poll"),
            (
                "options",
                "Tuesday 1 December, 18:00\nSaturday 5 December, 10:00",
            ),
        ],
    )
    .await;
    let body = assembly.to_string();
    let (garden, bakery) = (garden.0.to_string(), bakery.0.to_string());
    fn pause<'a>(title: &'a str, account: &'a str) -> [(&'a str, &'a str); 5] {
        [
            ("title", title),
            ("text", "Until the dues are paid."),
            ("action", "lock_account"),
            ("account_id", account),
            ("reason", "Unpaid dues"),
        ]
    }
    let applied = adopted_soon(&w, &body, &pause("Pause the garden account", &garden)).await;
    let fields = pause("Pause the bakery account", &bakery);
    let failed = adopted_soon(&w, &body, &fields).await;

    sign_in(&b, &w.t, "owner@radio.test").await;
    for lang in ["fr", "en"] {
        b.goto(&w.t.url(&format!("/lang/{lang}?next=/governance")))
            .await
            .unwrap();
        let pages = [
            ("proposal-consent", consent),
            ("proposal-approval", approval),
            ("proposal-time-poll", poll),
        ];
        snap_pages(
            &b,
            &w.t,
            lang,
            &pages.map(|(name, id)| (name, format!("/governance/proposals/{id}"))),
        )
        .await;
        for (name, id) in pages {
            b.goto(&w.t.url(&format!("/governance/proposals/{id}")))
                .await
                .unwrap();
            snap_section(&b, &format!("{lang}-{name}-ballot"), "#ballot").await;
        }
    }
    // Ballots by clicking (the page is in English now).
    let cast = async |id: i64, clicks: &[&str]| {
        b.goto(&w.t.url(&format!("/governance/proposals/{id}")))
            .await
            .unwrap();
        for c in clicks {
            b.click(c).await.unwrap();
        }
        b.click_and_leave("#ballot-form button[type=submit]")
            .await
            .unwrap();
        b.wait_for(".flash").await.unwrap();
        b.text(".current-ballot").await.unwrap()
    };
    let mine = cast(consent, &["#f-choice-stand_aside"]).await;
    assert!(mine.contains("Stand aside"), "{mine}");
    let mine = cast(approval, &["#f-approve-0", "#f-approve-2"]).await;
    assert!(mine.contains("Monday, Friday"), "{mine}");
    let mine = cast(poll, &["#f-slot-0-no", "#f-slot-1-if_need_be"]).await;
    assert!(
        mine.contains("Tuesday 1 December, 18:00: No")
            && mine.contains("Saturday 5 December, 10:00: If need be"),
        "{mine}"
    );
    snap(&b, "en-proposal-time-poll-voted").await;
    b.quit().await;

    // The bakery is deleted before its lock applies: that decision fails.
    let admin = konbit_core::authz::Actor::operator_cli();
    let bakery_id = konbit_core::model::AccountId(bakery.parse().unwrap());
    w.t.app.accounts().delete(&admin, bakery_id).await.unwrap();
    let gov = w.t.app.governance();
    // Every vote closes, and the locks apply at once: one fails.
    let report = gov.tick(konbit_app::now() + 9 * DAY).await.unwrap();
    assert_eq!(report.votes_closed, 5, "{report:?}");
    assert_eq!(report.failed, 1, "{report:?}");

    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    sign_in(&b, &w.t, "admin@coop.test").await;
    for lang in ["fr", "en"] {
        b.goto(&w.t.url(&format!("/lang/{lang}?next=/governance")))
            .await
            .unwrap();
        snap_pages(
            &b,
            &w.t,
            lang,
            &[
                ("admin-proposal-applied", applied.clone()),
                ("admin-proposal-failed", failed.clone()),
            ],
        )
        .await;
        // Why it failed, in the reader's language.
        let why = b.text(".alert").await.unwrap();
        let words = if lang == "fr" {
            "n'existe plus"
        } else {
            "no longer exists"
        };
        assert!(why.contains(words), "{why}");
    }
    // Trying again while the account is still deleted: it says so.
    b.goto(&w.t.url(&failed)).await.unwrap();
    b.click_and_leave("form[action$='/retry'] button")
        .await
        .unwrap();
    b.wait_for(".alert").await.unwrap();
    let said = b.text("main").await.unwrap();
    assert!(said.contains("failed again"), "{said}");
    snap(&b, "en-admin-proposal-retry-refused").await;
    // Restored, it is carried out.
    w.t.app.accounts().restore(&admin, bakery_id).await.unwrap();
    b.goto(&w.t.url(&failed)).await.unwrap();
    b.click_and_leave("form[action$='/retry'] button")
        .await
        .unwrap();
    if b.wait_for(".flash").await.is_err() {
        let text = b.text("body").await.unwrap();
        panic!("no flash: {}", &text[text.find("Please").unwrap_or(0)..]);
    }
    let said = b.text(".flash").await.unwrap();
    assert!(said.contains("carried out"), "{said}");
    let locked = w.t.app.accounts().get(&admin, bakery_id).await.unwrap();
    assert_eq!(locked.lock_reason.as_deref(), Some("Unpaid dues"));
    // The garden's lock is rolled back by a click.
    b.goto(&w.t.url(&applied)).await.unwrap();
    b.click_and_leave("form[action$='/roll-back'] button")
        .await
        .unwrap();
    b.wait_for(".flash").await.unwrap();
    let said = b.text(".flash").await.unwrap();
    assert!(said.contains("rolled back"), "{said}");
    let garden_id = konbit_core::model::AccountId(garden.parse().unwrap());
    let unlocked = w.t.app.accounts().get(&admin, garden_id).await.unwrap();
    assert!(!unlocked.locked, "{unlocked:?}");
    b.quit().await;
}
