//! Websites in the panel over plain HTTP: a member adds a site through the
//! form, sees it listed and on its page, gets rule messages in French and
//! in English, turns it off and on, deletes and restores it, reads and
//! downloads its logs; another account's people get "not found" for all
//! of it, and forged forms change nothing. No web provisioner runs here, so
//! statuses stay pending. With a browser at hand, the pages also go
//! through axe in both languages.

use crate::browser::{sign_in, snap, snap_pages};
use konbit_app::AppConfig;
use konbit_core::authz::Actor;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Session, hidden_value, http_client};
use konbit_testkit::browser::Browser;

const DOMAIN: &str = "radio-web.test";
const HOST: &str = "blog.radio-web.test";

struct World {
    t: TestApp,
    /// Radio's member.
    s: Session,
    /// Garden's owner.
    g: Session,
    /// Where nginx would write the sites' logs.
    logs: tempfile::TempDir,
}

/// A server where account "radio" has a domain and account "garden"
/// another; sessions of radio's member and garden's owner.
async fn world() -> World {
    let logs = tempfile::tempdir().unwrap();
    let mut config = AppConfig::default();
    config.sites.log_dir = Some(logs.path().to_owned());
    // Certificates are ordered (no ACME provisioner runs to issue them).
    config.sites.acme = true;
    let t = TestApp::spawn_with(config).await.unwrap();
    let (radio, _, member) = t.seed_account("radio").await.unwrap();
    let (garden, garden_owner, _) = t.seed_account("garden").await.unwrap();
    let cli = Actor::operator_cli();
    for (account, name) in [(radio, DOMAIN), (garden, "garden-web.test")] {
        t.app
            .domains()
            .create(
                &cli,
                konbit_app::domain::CreateDomain {
                    account_id: account.0,
                    name: name.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let s = t.session_for(&member).await.unwrap();
    let g = t.session_for(&garden_owner).await.unwrap();
    World { t, s, g, logs }
}

/// Text as the page holds it: askama escapes apostrophes.
fn esc(text: &str) -> String {
    text.replace('\'', "&#39;")
}

/// The fields of a static site that the form accepts.
fn static_site(host: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("host", host),
        ("kind", "static"),
        ("root", ""),
        ("redirect_permanent", "1"),
        ("www", "1"),
        ("certificate", "1"),
    ]
}

/// Adds HOST through the form, with the token the form itself carries;
/// returns the site's number.
async fn add_site(w: &World) -> i64 {
    let page = w.s.get("/sites/new").await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let token = hidden_value(&html, "_csrf").unwrap();
    assert_eq!(token, w.s.csrf);
    // The port hint names the operator's range.
    assert!(
        html.contains("de 10000 à 20000") || html.contains("from 10000 to 20000"),
        "{html}"
    );
    let mut form = static_site(HOST);
    form.push(("_csrf", token.as_str()));
    let res =
        w.s.http
            .post(w.t.url("/sites/new"))
            .header("cookie", format!("{}={}", w.s.cookie_name, w.s.cookie))
            .header("origin", &w.t.base)
            .form(&form)
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let id = to
        .strip_prefix("/sites/")
        .and_then(|r| r.strip_suffix("?flash=site-created"))
        .unwrap_or_else(|| panic!("{to}"));
    id.parse().unwrap()
}

/// What the site looks like in the store, to check what a request did.
async fn site_state(t: &TestApp, id: i64) -> String {
    let v = t.app.sites().get(&Actor::operator_cli(), id).await.unwrap();
    format!(
        "{:?}|{}|{:?}|{:?}|{}",
        v.site.kind, v.site.enabled, v.site.deleted_at, v.site.aliases, v.site.provision.generation
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_adds_and_runs_a_site() {
    let w = world().await;
    let s = &w.s;
    // The menu leads here, and the list invites to add one.
    let list = s.get("/sites").await.unwrap().text().await.unwrap();
    assert!(list.contains("href=\"/sites\" aria-current=\"page\">Sites web<"));
    assert!(list.contains("href=\"/sites/new\""), "{list}");
    assert!(list.contains(&esc("Aucun site pour l'instant.")));

    let id = add_site(&w).await;
    let v =
        w.t.app
            .sites()
            .get(&Actor::operator_cli(), id)
            .await
            .unwrap();
    assert_eq!(v.site.host.as_str(), HOST);
    assert_eq!(v.site.aliases[0].as_str(), "www.blog.radio-web.test");
    assert_eq!(
        v.site.kind.root().map(ToString::to_string).as_deref(),
        Some("www/blog.radio-web.test")
    );
    assert!(v.site.https.certificate);

    // Listed, pending (no provisioner runs), with its certificate pending.
    let list = s.get("/sites").await.unwrap().text().await.unwrap();
    assert!(list.contains(&format!("href=\"/sites/{id}\"")), "{list}");
    assert!(list.contains(HOST) && list.contains("www.blog.radio-web.test"));
    assert!(list.contains("badge-pending"), "{list}");
    assert!(list.contains("Fichiers statiques"));
    // The account's web space against its quota.
    assert!(
        list.contains("Espace disque") && list.contains("<meter"),
        "{list}"
    );
    assert!(list.contains("Espace pas encore mesuré"));

    // Its page: the flash, the folder, the certificate, the edit form.
    let page = s
        .get(&format!("/sites/{id}?flash=site-created"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Le site a été ajouté."), "{page}");
    assert!(page.contains(
        "Déposez les fichiers du site dans le dossier www/blog.radio-web.test de votre espace SFTP."
    ));
    assert!(page.contains("Certificat HTTPS") && page.contains("En attente"));
    assert!(page.contains("Servir aussi www.blog.radio-web.test"));
    assert!(page.contains(&format!("action=\"/sites/{id}/certificate/renew\"")));

    // The edit form keeps the name and changes what is served.
    let res = s
        .post(
            &format!("/sites/{id}"),
            &[
                ("kind", "redirect"),
                ("redirect_to", "https://radio.example/news"),
                ("redirect_permanent", "0"),
                ("www", "1"),
                ("certificate", "1"),
                ("force_https", "1"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/sites/{id}?flash=site-saved").as_str()
    );
    let state = site_state(&w.t, id).await;
    assert!(
        state.contains("Redirect") && state.contains("permanent: false"),
        "{state}"
    );

    // Off, and on again.
    let res = s.post(&format!("/sites/{id}/disable"), &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    let page = s.get(&format!("/sites/{id}")).await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Ce site est désactivé"), "{page}");
    assert!(!site_state(&w.t, id).await.contains("|true|"));
    let res = s.post(&format!("/sites/{id}/enable"), &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(site_state(&w.t, id).await.contains("|true|"));

    // The certificate again, now.
    let res = s
        .post(&format!("/sites/{id}/certificate/renew"), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/sites/{id}?flash=certificate-renewal-requested").as_str()
    );

    // Deleting wants the box ticked.
    let res = s.post(&format!("/sites/{id}/delete"), &[]).await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Cochez la case pour confirmer la suppression.")
    );
    assert!(site_state(&w.t, id).await.contains("|None|"));
    let res = s
        .post(&format!("/sites/{id}/delete"), &[("confirm", "1")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/sites?flash=site-deleted");
    let list = s
        .get("/sites?flash=site-deleted")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Sites supprimés"), "{list}");
    assert!(list.contains(&format!("Restaurer {HOST}")));
    assert!(list.contains(&format!("action=\"/sites/{id}/restore\"")));
    // Its page still opens, to restore it.
    let page = s.get(&format!("/sites/{id}")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Ce site est supprimé"));
    let res = s.post(&format!("/sites/{id}/restore"), &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/sites/{id}?flash=site-restored").as_str()
    );
    assert!(site_state(&w.t, id).await.contains("|None|"));
    let list = s.get("/sites").await.unwrap().text().await.unwrap();
    assert!(!list.contains("Sites supprimés"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_values_come_back_with_the_rule_in_the_persons_language() {
    let w = world().await;
    let s = &w.s;
    let bad_root = [
        ("host", "shop.radio-web.test"),
        ("kind", "static"),
        ("root", "../x"),
        ("aliases", "news.radio-web.test"),
        ("certificate", "1"),
    ];
    let res = s.post("/sites/new", &bad_root).await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-root-error\""), "{page}");
    assert!(
        page.contains("Dossier du site : donnez un chemin dans votre espace SFTP"),
        "{page}"
    );
    // The summary links to the field, and what was typed comes back.
    assert!(page.contains("href=\"#f-root\""));
    assert!(page.contains("value=\"shop.radio-web.test\""));
    assert!(page.contains("value=\"../x\""), "{page}");
    assert!(page.contains(">news.radio-web.test</textarea>"));
    let bad_target = [
        ("host", "shop.radio-web.test"),
        ("kind", "redirect"),
        ("redirect_to", "https://a.test/$host"),
    ];
    let res = s.post("/sites/new", &bad_target).await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Adresse de destination : donnez une adresse complète"),
        "{page}"
    );
    // The redirect kind stays chosen.
    assert!(
        page.contains(
            "value=\"redirect\" required aria-describedby=\"f-kind-redirect-hint\" checked"
        )
    );
    // A name outside the person's domains, another account's included.
    for host in ["elsewhere.test", "www.garden-web.test"] {
        let res = s
            .post("/sites/new", &[("host", host), ("kind", "static")])
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{host}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains(&esc(
                "Nom du site : ce nom n'est dans aucun de vos domaines."
            )),
            "{page}"
        );
    }
    // The options of HTTPS hang together; "extra names" are the site's own
    // word, not mail aliases.
    let res = s
        .post(
            "/sites/new",
            &[
                ("host", "shop.radio-web.test"),
                ("kind", "static"),
                ("hsts", "1"),
                ("aliases", "shop.radio-web.test"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("HSTS : HSTS demande aussi"), "{page}");
    assert!(
        page.contains("Autres noms : un site sert déjà ce nom"),
        "{page}"
    );
    assert!(!page.contains("Alias de courriel :"));
    // Nothing was added.
    let none =
        w.t.app
            .sites()
            .list(&Actor::operator_cli(), None, false)
            .await
            .unwrap();
    assert!(none.is_empty());

    // In English once the person chooses it.
    s.post("/settings/language", &[("locale", "en"), ("next", "/")])
        .await
        .unwrap();
    let res = s.post("/sites/new", &bad_root).await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Site folder: give a path in your SFTP space"),
        "{page}"
    );
    let res = s.post("/sites/new", &bad_target).await.unwrap();
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Destination address: give a full address"),
        "{page}"
    );
    // And on the edit form, the port out of the operator's range.
    let id = add_site(&w).await;
    let res = s
        .post(
            &format!("/sites/{id}"),
            &[("kind", "proxy"), ("proxy_port", "22")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Application port: "), "{page}");
    assert!(page.contains("value=\"22\""));
    let res = s
        .post(
            &format!("/sites/{id}"),
            &[("kind", "proxy"), ("proxy_port", "not a port")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_logs_are_shown_escaped_and_downloaded() {
    let w = world().await;
    let id = add_site(&w).await;
    let s = &w.s;
    // Nothing written yet.
    let page = s.get(&format!("/sites/{id}/logs")).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains(&esc("Rien d'écrit pour l'instant.")),
        "{page}"
    );
    assert_eq!(
        s.get(&format!("/sites/{id}/logs/access.log"))
            .await
            .unwrap()
            .status(),
        404
    );
    // A visitor's odd request, as nginx would log it.
    let dir = w.logs.path().join(id.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let access: String = (1..=300)
        .map(|i| format!("203.0.113.7 - - \"GET /{i}?<script>alert(1)</script> HTTP/1.1\" 404\n"))
        .collect();
    std::fs::write(dir.join("access.log"), &access).unwrap();
    let page = s
        .get(&format!("/sites/{id}/logs?log=access&lines=5"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("GET /300?&#60;script&#62;"), "{page}");
    assert!(page.contains("GET /296?") && !page.contains("GET /295?"));
    assert!(page.contains(&format!("href=\"/sites/{id}/logs/access.log\"")));
    // The error log is empty, and its link is there.
    let page = s
        .get(&format!("/sites/{id}/logs?log=error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&esc("Rien d'écrit pour l'instant.")));
    assert!(page.contains(&format!("href=\"/sites/{id}/logs/error.log\"")));
    // The download, whole.
    let res = s
        .get(&format!("/sites/{id}/logs/access.log"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(res.text().await.unwrap(), access);
    for missing in ["error.log", "other.log", "access", "..%2Faccess.log"] {
        let res = s.get(&format!("/sites/{id}/logs/{missing}")).await.unwrap();
        assert_eq!(res.status(), 404, "{missing}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_site_is_not_found() {
    let w = world().await;
    let id = add_site(&w).await;
    std::fs::create_dir_all(w.logs.path().join(id.to_string())).unwrap();
    std::fs::write(
        w.logs.path().join(id.to_string()).join("access.log"),
        "secret line\n",
    )
    .unwrap();
    let before = site_state(&w.t, id).await;
    let g = &w.g;
    for path in [
        format!("/sites/{id}"),
        format!("/sites/{id}/logs"),
        format!("/sites/{id}/logs?log=error"),
        format!("/sites/{id}/logs/access.log"),
        "/sites/999999".to_owned(),
        "/sites/not-a-number".to_owned(),
        "/sites/999999/logs".to_owned(),
    ] {
        let res = g.get(&path).await.unwrap();
        assert_eq!(res.status(), 404, "GET {path}");
        assert!(!res.text().await.unwrap().contains("secret line"));
    }
    let mut edit = static_site(HOST);
    edit.retain(|(k, _)| *k != "host");
    for (path, body) in [
        (format!("/sites/{id}"), edit),
        (format!("/sites/{id}/disable"), vec![]),
        (format!("/sites/{id}/enable"), vec![]),
        (format!("/sites/{id}/delete"), vec![("confirm", "1")]),
        (format!("/sites/{id}/delete"), vec![]),
        (format!("/sites/{id}/restore"), vec![]),
        (format!("/sites/{id}/certificate/renew"), vec![]),
    ] {
        let res = g.post(&path, &body).await.unwrap();
        assert_eq!(res.status(), 404, "POST {path} as garden's owner");
    }
    assert_eq!(site_state(&w.t, id).await, before);
    // Garden's own list does not show radio's site.
    let list = g.get("/sites").await.unwrap().text().await.unwrap();
    assert!(!list.contains(HOST), "{list}");
    assert!(list.contains("The garden group"), "{list}");
    assert!(!list.contains("The radio group"), "{list}");
}

#[tokio::test(flavor = "multi_thread")]
async fn site_forms_refuse_forged_requests() {
    let w = world().await;
    let id = add_site(&w).await;
    let before = site_state(&w.t, id).await;
    let http = http_client().unwrap();
    let cookie = format!("{}={}", w.s.cookie_name, w.s.cookie);
    let mut edit = static_site(HOST);
    edit.retain(|(k, _)| *k != "host");
    edit.push(("hsts", ""));
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/sites/new".into(), static_site("shop.radio-web.test")),
        (format!("/sites/{id}"), edit),
        (format!("/sites/{id}/disable"), vec![]),
        (format!("/sites/{id}/delete"), vec![("confirm", "1")]),
        (format!("/sites/{id}/restore"), vec![]),
        (format!("/sites/{id}/certificate/renew"), vec![]),
    ];
    for (path, body) in forms {
        let mut wrong = body.clone();
        wrong.push(("_csrf", "not-the-token"));
        let mut right = body.clone();
        right.push(("_csrf", w.s.csrf.as_str()));
        for (form, origin) in [
            (body.clone(), w.t.base.as_str()),
            (wrong, w.t.base.as_str()),
            (right, "https://evil.example"),
        ] {
            let res = http
                .post(w.t.url(&path))
                .header("cookie", &cookie)
                .header("origin", origin)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "POST {path} {form:?} from {origin}");
        }
    }
    assert_eq!(site_state(&w.t, id).await, before);
    let all =
        w.t.app
            .sites()
            .list(&Actor::operator_cli(), None, false)
            .await
            .unwrap();
    assert_eq!(all.len(), 1);
}

/// The site pages in Chromium, in French and in English, at desktop and
/// phone width, with axe finding no serious problem (skipped without a
/// browser).
#[tokio::test(flavor = "multi_thread")]
async fn site_pages_are_accessible() {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let w = world().await;
    let id = add_site(&w).await;
    let dir = w.logs.path().join(id.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("access.log"),
        "203.0.113.7 - - [01/Jan/2030:00:00:00 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8\"\n"
            .repeat(40),
    )
    .unwrap();
    sign_in(&b, &w.t, "member@radio.test").await;
    for lang in ["fr", "en"] {
        // The person has no preference: the language cookie decides.
        b.goto(&w.t.url(&format!("/lang/{lang}?next=/sites")))
            .await
            .unwrap();
        snap_pages(
            &b,
            &w.t,
            lang,
            &[
                ("sites", "/sites".to_owned()),
                ("site-new", "/sites/new".to_owned()),
                ("site", format!("/sites/{id}")),
                ("site-logs", format!("/sites/{id}/logs")),
            ],
        )
        .await;
        // A form with errors.
        b.goto(&w.t.url("/sites/new")).await.unwrap();
        b.fill("#f-host", "shop.radio-web.test").await.unwrap();
        b.fill("#f-root", "../x").await.unwrap();
        b.click("form[action='/sites/new'] button[type=submit]")
            .await
            .unwrap();
        b.wait_for("#f-root-error").await.unwrap();
        snap(&b, &format!("{lang}-site-new-error")).await;
    }
}
