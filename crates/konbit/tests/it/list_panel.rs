//! Mailing lists in the panel over plain HTTP: a member makes a list on
//! the account's mail domain, changes its settings, deletes it (after
//! ticking the box) and restores it; hostile values come back next to
//! their fields in French and in English; another account's people get
//! "not found" on every list page and their forms change nothing; and
//! without a list server the subscribers' and moderation pages say so in
//! words while the settings keep working. With a real Mailman (tests named
//! `mailman_…`), pasting addresses subscribes the good lines and keeps the
//! bad ones, the export is a CSV file, and held messages are decided.

use crate::list_server::Env;
use konbit_app::AppConfig;
use konbit_app::list::ListConfig;
use konbit_core::authz::Actor;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Session, http_client};

const DOMAIN: &str = "radio.example";

struct World {
    t: TestApp,
    /// Radio's member.
    s: Session,
    /// Garden's owner.
    g: Session,
}

async fn world(enabled: bool) -> World {
    let t = TestApp::spawn_with(AppConfig {
        lists: ListConfig { enabled },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    let (radio, _, member) = t.seed_account("radio").await.unwrap();
    let (_, garden_owner, _) = t.seed_account("garden").await.unwrap();
    t.app
        .domains()
        .create(
            &Actor::operator_cli(),
            konbit_app::domain::CreateDomain {
                account_id: radio.0,
                name: DOMAIN.into(),
                mail: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let s = t.session_for(&member).await.unwrap();
    let g = t.session_for(&garden_owner).await.unwrap();
    World { t, s, g }
}

/// Text as the page holds it: askama escapes these five characters.
fn esc(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
}

/// Every stored list, every column: what "nothing changed" compares.
async fn stored(t: &TestApp) -> Vec<String> {
    let pool = t.db().await.unwrap();
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT id || '|' || name || '|' || description || '|' || subscription || '|' \
         || posting || '|' || reply_to || '|' || coalesce(reply_to_address, '-') || '|' \
         || munge_from || archives || digest || '|' || language || '|' \
         || coalesce(deleted_at, '-') FROM mailing_lists ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

async fn text(s: &Session, path: &str) -> (u16, String) {
    let res = s.get(path).await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Makes `news@radio.example` through the form, as a member would.
async fn create_news(s: &Session) -> i64 {
    let res = s
        .post(
            "/lists/new",
            &[
                ("name", "news"),
                ("domain", DOMAIN),
                ("description", "Les nouvelles de la radio"),
                ("subscription", "moderate"),
                ("posting", "moderated"),
                ("reply_to", "author"),
                ("munge_from", "1"),
                ("archives", "1"),
                ("language", "fr"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .strip_prefix("/lists/")
        .and_then(|r| r.strip_suffix("?flash=list-created"))
        .unwrap_or_else(|| panic!("{location}"));
    id.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_makes_changes_deletes_and_restores_a_list() {
    let w = world(true).await;
    let s = &w.s;
    let (status, page) = text(s, "/lists").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("href=\"/lists\" aria-current=\"page\">Listes<"),
        "{page}"
    );
    assert!(page.contains("Aucune liste pour l&#39;instant."), "{page}");
    assert!(page.contains("href=\"/lists/new\""));

    // The form: the account's mail domain, every setting, its token.
    let (_, form) = text(s, "/lists/new").await;
    assert!(
        form.contains(&format!("<option value=\"{DOMAIN}\"")),
        "{form}"
    );
    for name in [
        "name=\"description\"",
        "name=\"subscription\" value=\"open\"",
        "name=\"posting\" value=\"anyone\"",
        "name=\"reply_to\" value=\"address\"",
        "name=\"reply_to_address\"",
        "name=\"munge_from\"",
        "name=\"archives\"",
        "name=\"digest\"",
        "name=\"language\"",
    ] {
        assert!(form.contains(name), "{name}: {form}");
    }
    assert!(form.contains("DMARC"));
    assert!(form.contains(&format!("name=\"_csrf\" value=\"{}\"", s.csrf)));

    let id = create_news(s).await;
    assert_eq!(
        stored(&w.t).await,
        [format!(
            "{id}|news|Les nouvelles de la radio|moderate|moderated|author|-|110|fr|-"
        )]
    );
    let (_, page) = text(s, &format!("/lists/{id}?flash=list-created")).await;
    assert!(page.contains("La liste a été créée."), "{page}");
    assert!(page.contains("<h1 class=\"wrap\">news@radio.example</h1>"));
    assert!(page.contains("value=\"Les nouvelles de la radio\""));
    assert!(page.contains(&format!("href=\"/lists/{id}/members\"")));
    assert!(page.contains(&format!("href=\"/lists/{id}/moderation\"")));
    let (_, list) = text(s, "/lists").await;
    assert!(list.contains("news@radio.example") && list.contains("Chaque message est modéré"));

    // Replies to another address, with the address.
    let res = s
        .post(
            &format!("/lists/{id}"),
            &[
                ("description", "Nouvelles"),
                ("subscription", "open"),
                ("posting", "members"),
                ("reply_to", "address"),
                ("reply_to_address", "Bureau@Radio.example"),
                ("digest", "1"),
                ("language", "en"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/lists/{id}?flash=list-saved").as_str()
    );
    assert_eq!(
        stored(&w.t).await,
        [format!(
            "{id}|news|Nouvelles|open|members|address|bureau@radio.example|001|en|-"
        )]
    );

    // Deleting wants the box ticked.
    let res = s.post(&format!("/lists/{id}/delete"), &[]).await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Cochez la case"));
    assert!(stored(&w.t).await[0].ends_with("|-"));
    let res = s
        .post(&format!("/lists/{id}/delete"), &[("confirm", "1")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/lists?flash=list-deleted");
    assert!(!stored(&w.t).await[0].ends_with("|-"));
    let (_, list) = text(s, "/lists?flash=list-deleted").await;
    assert!(list.contains("Listes supprimées"), "{list}");
    assert!(list.contains("Restaurer news@radio.example"));
    assert!(list.contains(&format!("action=\"/lists/{id}/restore\"")));
    // A deleted list's page says so and offers no settings form.
    let (_, page) = text(s, &format!("/lists/{id}")).await;
    assert!(page.contains("Cette liste est supprimée"), "{page}");
    assert!(!page.contains(&format!("action=\"/lists/{id}\"")));
    let (_, members) = text(s, &format!("/lists/{id}/members")).await;
    assert!(
        members.contains("Cette liste est supprimée : restaurez-la"),
        "{members}"
    );

    let res = s.post(&format!("/lists/{id}/restore"), &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/lists/{id}?flash=list-restored").as_str()
    );
    assert!(stored(&w.t).await[0].ends_with("|-"));
    // Restoring a live list is refused in words.
    let res = s.post(&format!("/lists/{id}/restore"), &[]).await.unwrap();
    assert_eq!(res.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_list_values_come_back_next_to_their_fields() {
    let w = world(true).await;
    let s = &w.s;
    let bad = [
        ("name", "News\"><b>"),
        ("domain", DOMAIN),
        ("description", "a\u{7}b"),
        ("subscription", "everyone"),
        ("posting", "members"),
        ("reply_to", "address"),
        ("reply_to_address", "not-an-address"),
        ("language", "de"),
    ];
    let res = s.post("/lists/new", &bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    for key in [
        "name",
        "description",
        "subscription",
        "reply_to_address",
        "language",
    ] {
        assert!(
            page.contains(&format!("id=\"f-{key}-error\"")),
            "{key}: {page}"
        );
        assert!(page.contains(&format!("href=\"#f-{key}\"")), "{key}");
    }
    assert!(
        page.contains("Nom de la liste : utilisez des minuscules"),
        "{page}"
    );
    assert!(page.contains("Qui peut s&#39;inscrire : "), "{page}");
    assert!(page.contains("Adresse de réponse : "), "{page}");
    // What was typed is kept, escaped.
    assert!(
        page.contains(&format!("value=\"{}\"", esc("news\"><b>"))),
        "{page}"
    );
    assert!(!page.contains("<b>"));
    assert!(page.contains("value=\"not-an-address\""));
    assert!(stored(&w.t).await.is_empty());

    // The same in English, on the settings form of a list.
    let id = create_news(s).await;
    let before = stored(&w.t).await;
    s.post("/settings/language", &[("locale", "en"), ("next", "/")])
        .await
        .unwrap();
    let res = s
        .post(
            &format!("/lists/{id}"),
            &[
                ("description", &"x".repeat(201)),
                ("posting", "whoever"),
                ("reply_to", "address"),
                ("reply_to_address", ""),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-description-error\""), "{page}");
    assert!(page.contains("Description: "), "{page}");
    assert!(page.contains("id=\"f-posting-error\""));
    assert!(page.contains("Who may post: "));
    assert!(page.contains("id=\"f-reply_to_address-error\""));
    assert!(page.contains("Reply address: "));
    assert_eq!(stored(&w.t).await, before);
    // A name another list of the domain has.
    let res = s
        .post(
            "/lists/new",
            &[("name", "news"), ("domain", DOMAIN), ("language", "en")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-name-error\""), "{page}");
    assert!(page.contains("Name of the list: "), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_list_is_not_found_on_every_page() {
    let w = world(true).await;
    let id = create_news(&w.s).await;
    let before = stored(&w.t).await;
    let g = &w.g;
    for path in [
        format!("/lists/{id}"),
        format!("/lists/{id}/members"),
        format!("/lists/{id}/members.csv"),
        format!("/lists/{id}/moderation"),
        format!("/lists/{id}/held/1"),
        "/lists/nope".to_owned(),
        "/lists/999999".to_owned(),
    ] {
        let (status, page) = text(g, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!page.contains("news@radio.example"), "{path}");
    }
    let posts: [(String, &[(&str, &str)]); 10] = [
        (format!("/lists/{id}"), &[("description", "Pirate")]),
        (format!("/lists/{id}/delete"), &[("confirm", "1")]),
        (format!("/lists/{id}/restore"), &[]),
        (
            format!("/lists/{id}/members/subscribe"),
            &[("addresses", "eve@garden.test")],
        ),
        (
            format!("/lists/{id}/members/unsubscribe"),
            &[("addresses", "eve@garden.test")],
        ),
        (
            format!("/lists/{id}/staff"),
            &[("role", "owner"), ("address", "eve@garden.test")],
        ),
        (
            format!("/lists/{id}/staff/remove"),
            &[("role", "owner"), ("address", "eve@garden.test")],
        ),
        (format!("/lists/{id}/held/1"), &[("decision", "approve")]),
        (
            format!("/lists/{id}/requests"),
            &[("decision", "approve"), ("token", "abc")],
        ),
        (
            "/lists/new".to_owned(),
            &[("name", "pirate"), ("domain", DOMAIN)],
        ),
    ];
    for (path, body) in posts {
        let res = g.post(&path, body).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    assert_eq!(stored(&w.t).await, before);
    // Garden has no mail domain: its form says what to do first.
    let (_, form) = text(g, "/lists/new").await;
    assert!(form.contains("Activez d&#39;abord le courrier"), "{form}");
    assert!(!form.contains(DOMAIN));
    // A form without its token, or with another, changes nothing.
    let http = http_client().unwrap();
    let cookie = format!("{}={}", w.s.cookie_name, w.s.cookie);
    for form in [
        vec![("confirm", "1")],
        vec![("confirm", "1"), ("_csrf", "not-the-token")],
    ] {
        let res = http
            .post(w.t.url(&format!("/lists/{id}/delete")))
            .header("cookie", &cookie)
            .header("origin", w.t.base.as_str())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{form:?}");
    }
    assert_eq!(stored(&w.t).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_list_server_the_people_pages_say_so() {
    let w = world(true).await;
    let s = &w.s;
    let id = create_news(s).await;
    for lang in ["fr", "en"] {
        if lang == "en" {
            s.post("/settings/language", &[("locale", "en"), ("next", "/")])
                .await
                .unwrap();
        }
        let missing = if lang == "fr" {
            "Aucun serveur de listes n&#39;est relié à ce serveur"
        } else {
            "This server has no list server connected"
        };
        for path in [
            format!("/lists/{id}/members"),
            format!("/lists/{id}/moderation"),
        ] {
            let (status, page) = text(s, &path).await;
            assert_eq!(status, 200, "{path}");
            assert!(page.contains(missing), "{path}: {page}");
            // The settings are one link away and still work.
            assert!(page.contains(&format!("href=\"/lists/{id}\"")));
        }
        // A paste is kept whole when nothing could be done.
        let pasted = "ana@example.org\nnot an address";
        let res = s
            .post(
                &format!("/lists/{id}/members/subscribe"),
                &[("addresses", pasted)],
            )
            .await
            .unwrap();
        assert_eq!(res.status(), 409);
        let page = res.text().await.unwrap();
        assert!(page.contains(missing), "{page}");
        assert!(page.contains(&format!("{pasted}</textarea>")), "{page}");
        let (status, page) = text(s, &format!("/lists/{id}/members.csv")).await;
        assert_eq!(status, 409);
        assert!(page.contains(missing));
    }
    let res = s
        .post(&format!("/lists/{id}"), &[("description", "Still works")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(stored(&w.t).await[0].contains("|Still works|"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_lists_says_so() {
    let w = world(false).await;
    let (status, page) = text(&w.s, "/lists").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Les listes de diffusion ne sont pas encore installées"),
        "{page}"
    );
    assert!(!page.contains("href=\"/lists/new\""));
    let res =
        w.s.post("/lists/new", &[("name", "news"), ("domain", DOMAIN)])
            .await
            .unwrap();
    assert_eq!(res.status(), 409);
    assert!(stored(&w.t).await.is_empty());
}

/// Sign in to the Mailman-backed Konbit as radio's member.
async fn mailman_session(env: &Env) -> Session {
    env.t.session_for(&env.member).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn mailman_pasted_addresses_keep_the_bad_lines_and_export_as_csv() {
    let Some(env) = Env::start().await else {
        return;
    };
    let s = mailman_session(&env).await;
    let id = env.list.id.0;
    let pasted =
        "Ana Martin <ana@example.org>\nnot an address\nbob@example.org\nteam@radio.example";
    let res = s
        .post(
            &format!("/lists/{id}/members/subscribe"),
            &[("addresses", pasted)],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Inscrites : 2. Déjà inscrites : 0. Non faites : 2."),
        "{page}"
    );
    assert!(page.contains("Ligne 2 : "), "{page}");
    assert!(
        page.contains("team@radio.example : c&#39;est l&#39;adresse de la liste elle-même"),
        "{page}"
    );
    // The bad line and the refused address stay in the box.
    assert!(
        page.contains("not an address\nteam@radio.example</textarea>"),
        "{page}"
    );
    // Again: already there.
    let res = s
        .post(
            &format!("/lists/{id}/members/subscribe"),
            &[("addresses", "bob@example.org")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Inscrites : 0. Déjà inscrites : 1. Non faites : 0.")
    );
    let (_, page) = text(&s, &format!("/lists/{id}/members")).await;
    assert!(page.contains("Inscrits au total : 2"), "{page}");
    assert!(page.contains("ana@example.org") && page.contains("Ana Martin"));
    let res = s.get(&format!("/lists/{id}/members.csv")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"team.radio.example-subscribers.csv\""
    );
    let csv = res.text().await.unwrap();
    assert!(
        csv.contains("ana@example.org") && csv.contains("bob@example.org"),
        "{csv}"
    );

    // A moderator, then removed.
    let res = s
        .post(
            &format!("/lists/{id}/staff"),
            &[("role", "moderator"), ("address", "mod@example.org")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, page) = text(&s, &format!("/lists/{id}/members")).await;
    assert!(
        page.contains("Retirer mod@example.org (Modération)"),
        "{page}"
    );
    let res = s
        .post(
            &format!("/lists/{id}/staff"),
            &[("role", "moderator"), ("address", "nope")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("id=\"f-staff_address-error\"")
    );
    let res = s
        .post(
            &format!("/lists/{id}/staff/remove"),
            &[("role", "moderator"), ("address", "mod@example.org")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    // Unsubscribing.
    let res = s
        .post(
            &format!("/lists/{id}/members/unsubscribe"),
            &[("addresses", "bob@example.org\nzed@example.org")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Désinscrites : 1. Pas inscrites : 1. Non faites : 0.")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mailman_held_messages_are_read_and_decided() {
    let Some(env) = Env::start().await else {
        return;
    };
    let s = mailman_session(&env).await;
    let id = env.list.id.0;
    env.post("stranger@example.net", "Buy <now>").await;
    let held = env.until_held(1).await;
    let (_, page) = text(&s, &format!("/lists/{id}/moderation")).await;
    assert!(page.contains("stranger@example.net"), "{page}");
    assert!(page.contains(&esc("Buy <now>")));
    let request = held[0].id;
    let (status, page) = text(&s, &format!("/lists/{id}/held/{request}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<pre class=\"held-text\""), "{page}");
    assert!(page.contains("From: stranger@example.net\n"), "{page}");
    assert!(page.contains("Subject: Buy &#60;now&#62;\n"), "{page}");
    assert!(!page.contains("Buy <now>"));
    let res = s
        .post(
            &format!("/lists/{id}/held/{request}"),
            &[("decision", "reject"), ("reason", "Hors sujet")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/lists/{id}/moderation?flash=list-held-rejected").as_str()
    );
    // Decided meanwhile: not found.
    let res = s
        .post(
            &format!("/lists/{id}/held/{request}"),
            &[("decision", "approve")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (_, page) = text(&s, &format!("/lists/{id}/moderation")).await;
    assert!(page.contains("Aucun message en attente."), "{page}");
}
