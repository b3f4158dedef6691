//! SFTP logins in the panel over plain HTTP: a member adds a login through
//! the form (with a password Konbit makes, shown once), sees how to
//! connect, changes its directory, keys and password, turns it off and
//! on, deletes it; hostile values come back next to their fields in
//! French and in English; another account's people get "not found" for
//! all of it, forged forms change nothing, and a server without SFTP says
//! so. No provisioner runs here, so statuses stay pending. With a browser
//! at hand, the pages also go through axe in both languages.

use crate::browser::{sign_in, snap, snap_pages};
use konbit_app::AppConfig;
use konbit_app::sftp::{SftpConfig, SftpInput, SftpView};
use konbit_core::authz::Actor;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Session, hidden_value, http_client};
use konbit_testkit::browser::Browser;

/// Two ed25519 keys (their blobs are well-formed; nobody holds them).
const KEY_A: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH alice@laptop";
const KEY_B: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ bob@desk";
/// An RSA key of 1024 bits: too weak.
const WEAK_RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgP////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////// old";
/// A key with a quote that would end an HTML attribute or a file field.
const HOSTILE_KEY: &str = "ssh-ed25519 AAAA\"><script>alert(1)</script>";
const PASSWORD: &str = "Correct-Horse-9x";

struct World {
    t: TestApp,
    /// Radio's member.
    s: Session,
    /// Garden's owner.
    g: Session,
}

fn config() -> AppConfig {
    AppConfig {
        sftp: SftpConfig {
            enabled: true,
            public_host: "sftp.coop.test".into(),
            public_port: 2222,
        },
        ..AppConfig::default()
    }
}

async fn world() -> World {
    let t = TestApp::spawn_with(config()).await.unwrap();
    let (_, _, member) = t.seed_account("radio").await.unwrap();
    let (_, garden_owner, _) = t.seed_account("garden").await.unwrap();
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

/// The password in the "shown once" box, if the page has one.
fn generated_password(html: &str) -> Option<String> {
    let marker = "id=\"generated-password\" class=\"secret\" type=\"text\" readonly value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

async fn all(t: &TestApp) -> Vec<SftpView> {
    t.app
        .sftp()
        .list(&Actor::operator_cli(), None)
        .await
        .unwrap()
}

async fn login_id(t: &TestApp, login: &str) -> i64 {
    all(t)
        .await
        .into_iter()
        .find(|v| v.sftp.login.as_str() == login)
        .unwrap_or_else(|| panic!("no login {login}"))
        .sftp
        .id
        .0
}

/// What the login looks like in the store, to check what a request did.
async fn state(t: &TestApp, id: i64) -> String {
    let v = t.app.sftp().get(&Actor::operator_cli(), id).await.unwrap();
    format!(
        "{}|{:?}|{}|{}|{}|{}",
        v.sftp.login,
        v.sftp.dir,
        v.sftp.has_password,
        v.sftp.keys.len(),
        v.sftp.enabled,
        v.sftp.provision.generation
    )
}

/// Adds radio's login `radio_web` straight through the service.
async fn seed_login(t: &TestApp) -> i64 {
    t.app
        .sftp()
        .create(
            &Actor::operator_cli(),
            SftpInput {
                account: "radio".into(),
                suffix: "web".into(),
                dir: "www".into(),
                keys: KEY_A.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .sftp
        .id
        .0
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_adds_and_runs_an_sftp_login() {
    let w = world().await;
    let s = &w.s;
    let list = s.get("/sftp").await.unwrap().text().await.unwrap();
    assert!(
        list.contains("href=\"/sftp\" aria-current=\"page\">SFTP<"),
        "{list}"
    );
    assert!(list.contains("href=\"/databases\" aria-current=\"false\">Bases de données<"));
    assert!(list.contains("href=\"/sftp/new\""));
    assert!(list.contains(&esc("Aucun identifiant SFTP pour l'instant.")));
    assert!(list.contains("Le serveur SFTP est sftp.coop.test, port 2222."));

    // The form names the prefix and carries its token.
    let page = s.get("/sftp/new").await.unwrap().text().await.unwrap();
    assert_eq!(hidden_value(&page, "_csrf").unwrap(), s.csrf);
    assert!(
        page.contains("L&#39;identifiant est radio_ suivi de"),
        "{page}"
    );
    // One account: no choice, a hidden field.
    assert!(page.contains("name=\"account\" value=\"radio\""));
    assert!(!page.contains("<select id=\"f-account\""));

    // A password Konbit makes is shown once, on the answer.
    let res = s
        .post(
            "/sftp/new",
            &[
                ("account", "radio"),
                ("suffix", "web"),
                ("dir", "www/blog"),
                ("password_mode", "generate"),
                ("keys", &format!("# mine\n{KEY_A}\n")),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let page = res.text().await.unwrap();
    let password = generated_password(&page).unwrap_or_else(|| panic!("{page}"));
    assert_eq!(password.len(), 20);
    assert!(page.contains("Mot de passe de radio_web"), "{page}");
    assert!(page.contains("L&#39;identifiant a été ajouté."));
    assert!(page.contains("value=\"sftp -P 2222 radio_web@sftp.coop.test\""));
    assert!(page.contains("SHA256:"));
    let id = login_id(&w.t, "radio_web").await;
    assert_eq!(
        state(&w.t, id).await,
        "radio_web|Some(DocRoot(\"www/blog\"))|true|1|true|1"
    );
    // Shown once: the page itself does not have it.
    let page = s
        .get(&format!("/sftp/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(generated_password(&page).is_none());
    assert!(!page.contains(&password));
    assert!(page.contains("alice@laptop"));

    // Listed, pending (no provisioner runs).
    let list = s.get("/sftp").await.unwrap().text().await.unwrap();
    assert!(list.contains(&format!("href=\"/sftp/{id}\"")), "{list}");
    assert!(list.contains("badge-pending") && list.contains("En attente"));
    assert!(list.contains("Une clé") && list.contains("www/blog"));
    assert!(list.contains("<meter"), "{list}");

    // The whole home, two keys, the password kept.
    let res = s
        .post(
            &format!("/sftp/{id}"),
            &[
                ("dir", ""),
                ("keys", &format!("{KEY_A}\n{KEY_B}")),
                ("password_mode", "keep"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/sftp/{id}?flash=sftp-saved").as_str()
    );
    assert_eq!(state(&w.t, id).await, "radio_web|None|true|2|true|2");
    let page = s
        .get(&format!("/sftp/{id}?flash=sftp-saved"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Tout l&#39;espace") && page.contains("2 clés"));
    // Keys only, then a password of one's own.
    let keys = format!("{KEY_A}\n{KEY_B}");
    let res = s
        .post(
            &format!("/sftp/{id}"),
            &[("keys", &keys), ("password_mode", "none")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(state(&w.t, id).await.contains("|false|2|"));
    let res = s
        .post(
            &format!("/sftp/{id}"),
            &[
                ("keys", ""),
                ("password_mode", "choose"),
                ("password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(state(&w.t, id).await.contains("|true|0|"));
    // A new password made by Konbit, shown on the answer.
    let res = s
        .post(
            &format!("/sftp/{id}"),
            &[("password_mode", "generate"), ("keys", KEY_A)],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(generated_password(&page).is_some_and(|p| p != password));

    // Off, and on again.
    let res = s.post(&format!("/sftp/{id}/disable"), &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    let page = s
        .get(&format!("/sftp/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Cet identifiant est désactivé"), "{page}");
    assert!(state(&w.t, id).await.ends_with("|false|6"));
    let res = s.post(&format!("/sftp/{id}/enable"), &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(state(&w.t, id).await.contains("|true|7"));

    // A login of one's own password, without keys: no password to show.
    let res = s
        .post(
            "/sftp/new",
            &[
                ("account", "radio"),
                ("suffix", ""),
                ("password_mode", "choose"),
                ("password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let other = login_id(&w.t, "radio").await;
    assert_eq!(
        res.headers()["location"],
        format!("/sftp/{other}?flash=sftp-created").as_str()
    );

    // Deleting wants the box ticked.
    let res = s.post(&format!("/sftp/{id}/delete"), &[]).await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Cochez la case pour confirmer la suppression.")
    );
    let res = s
        .post(&format!("/sftp/{id}/delete"), &[("confirm", "1")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/sftp?flash=sftp-deleted");
    let list = s
        .get("/sftp?flash=sftp-deleted")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Ses fichiers restent dans votre espace."));
    assert!(!list.contains("radio_web"));
    assert_eq!(s.get(&format!("/sftp/{id}")).await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_sftp_values_come_back_next_to_their_fields() {
    let w = world().await;
    let s = &w.s;
    let bad = [
        ("account", "radio"),
        ("suffix", "we'b"),
        ("dir", "../x"),
        ("password_mode", "none"),
        ("keys", HOSTILE_KEY),
    ];
    let res = s.post("/sftp/new", &bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-login-error\""), "{page}");
    assert!(page.contains("Identifiant : utilisez des minuscules"));
    assert!(page.contains("id=\"f-dir-error\""));
    assert!(page.contains("Dossier : donnez un chemin"));
    assert!(page.contains("id=\"f-keys-error\""));
    assert!(page.contains("Clés publiques SSH : collez une clé publique OpenSSH"));
    // The summary links to the fields; what was typed comes back escaped.
    assert!(page.contains("href=\"#f-login\"") && page.contains("href=\"#f-keys\""));
    assert!(page.contains("value=\"we&#39;b\""), "{page}");
    assert!(page.contains(&format!(">{}</textarea>", esc(HOSTILE_KEY))));
    assert!(!page.contains("<script>alert"));
    // The fields point at their messages.
    assert!(page.contains("aria-describedby=\"f-login-hint f-login-error\""));
    assert!(page.contains("aria-describedby=\"f-keys-hint f-keys-error\""));

    // A weak key; nothing to log in with; a chosen password left empty.
    let res = s
        .post(
            "/sftp/new",
            &[("account", "radio"), ("suffix", "a"), ("keys", WEAK_RSA)],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Clés publiques SSH : cette clé RSA fait moins de 2048 bits"));
    let res = s
        .post(
            "/sftp/new",
            &[("account", "radio"), ("password_mode", "none")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-password-error\""), "{page}");
    assert!(page.contains("Mot de passe : donnez un mot de passe, une clé SSH, ou les deux"));
    // The choice stays made.
    assert!(page.contains("value=\"none\" aria-describedby=\"f-password-none-hint\" checked"));
    let res = s
        .post(
            "/sftp/new",
            &[("account", "radio"), ("password_mode", "choose")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("id=\"f-password-error\"")
    );
    let res = s
        .post(
            "/sftp/new",
            &[
                ("account", "radio"),
                ("password_mode", "choose"),
                ("password", "it's short"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Mot de passe : "), "{page}");
    // A typed password never comes back.
    assert!(!page.contains("it&#39;s short"));
    assert!(all(&w.t).await.is_empty());

    // In English once the person chooses it.
    s.post("/settings/language", &[("locale", "en"), ("next", "/")])
        .await
        .unwrap();
    let res = s.post("/sftp/new", &bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Login: use lowercase letters"), "{page}");
    assert!(page.contains("Directory: give a path"));
    assert!(page.contains("SSH public keys: paste an OpenSSH public key"));

    // A login already taken.
    let id = seed_login(&w.t).await;
    let res = s
        .post(
            "/sftp/new",
            &[("account", "radio"), ("suffix", "web"), ("keys", KEY_B)],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-login-error\""), "{page}");
    assert!(page.contains("Login: this name is already used"));

    // And on the edit form.
    let before = state(&w.t, id).await;
    let res = s
        .post(
            &format!("/sftp/{id}"),
            &[
                ("keys", HOSTILE_KEY),
                ("dir", "www"),
                ("password_mode", "keep"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-keys-error\""), "{page}");
    assert!(page.contains("SSH public keys: paste an OpenSSH public key"));
    assert!(page.contains(&format!(">{}</textarea>", esc(HOSTILE_KEY))));
    let res = s
        .post(
            &format!("/sftp/{id}"),
            &[("keys", ""), ("password_mode", "keep")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Password: give a password, an SSH key, or both")
    );
    assert_eq!(state(&w.t, id).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_sftp_login_is_not_found() {
    let w = world().await;
    let id = seed_login(&w.t).await;
    let before = state(&w.t, id).await;
    let g = &w.g;
    for path in [
        format!("/sftp/{id}"),
        "/sftp/999999".to_owned(),
        "/sftp/not-a-number".to_owned(),
    ] {
        let res = g.get(&path).await.unwrap();
        assert_eq!(res.status(), 404, "GET {path}");
        assert!(!res.text().await.unwrap().contains("radio_web"));
    }
    for (path, body) in [
        (
            format!("/sftp/{id}"),
            vec![("keys", KEY_B), ("password_mode", "keep")],
        ),
        (
            format!("/sftp/{id}"),
            vec![("keys", KEY_B), ("password_mode", "choose")],
        ),
        (format!("/sftp/{id}/disable"), vec![]),
        (format!("/sftp/{id}/enable"), vec![]),
        (format!("/sftp/{id}/delete"), vec![("confirm", "1")]),
        (format!("/sftp/{id}/delete"), vec![]),
        (
            "/sftp/new".to_owned(),
            vec![("account", "radio"), ("suffix", "x"), ("keys", KEY_B)],
        ),
    ] {
        let res = g.post(&path, &body).await.unwrap();
        assert_eq!(res.status(), 404, "POST {path} {body:?} as garden's owner");
    }
    assert_eq!(state(&w.t, id).await, before);
    assert_eq!(all(&w.t).await.len(), 1);
    // Garden's own list does not show radio's login.
    let list = g.get("/sftp").await.unwrap().text().await.unwrap();
    assert!(!list.contains("radio_web"), "{list}");
    assert!(list.contains("The garden group"), "{list}");
    let new = g.get("/sftp/new").await.unwrap().text().await.unwrap();
    assert!(new.contains("garden_") && !new.contains("radio_"), "{new}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_forms_refuse_forged_requests() {
    let w = world().await;
    let id = seed_login(&w.t).await;
    let before = state(&w.t, id).await;
    let http = http_client().unwrap();
    let cookie = format!("{}={}", w.s.cookie_name, w.s.cookie);
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/sftp/new".into(),
            vec![("account", "radio"), ("suffix", "x"), ("keys", KEY_B)],
        ),
        (format!("/sftp/{id}"), vec![("keys", KEY_B)]),
        (format!("/sftp/{id}/disable"), vec![]),
        (format!("/sftp/{id}/delete"), vec![("confirm", "1")]),
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
    assert_eq!(state(&w.t, id).await, before);
    assert_eq!(all(&w.t).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_sftp_says_so() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, member) = t.seed_account("radio").await.unwrap();
    let s = t.session_for(&member).await.unwrap();
    for path in ["/sftp", "/sftp/new"] {
        let res = s.get(path).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains("Le SFTP n&#39;est pas encore mis en place sur ce serveur"),
            "{page}"
        );
        assert!(!page.contains("action=\"/sftp/new\""), "{page}");
        assert!(!page.contains("href=\"/sftp/new\""), "{page}");
    }
    let res = s
        .post(
            "/sftp/new",
            &[("account", "radio"), ("password_mode", "generate")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(all(&t).await.is_empty());
}

/// The SFTP pages in Chromium, in French and in English, at desktop and
/// phone width, with axe finding no serious problem (skipped without a
/// browser).
#[tokio::test(flavor = "multi_thread")]
async fn sftp_pages_are_accessible() {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let w = world().await;
    let id = seed_login(&w.t).await;
    sign_in(&b, &w.t, "member@radio.test").await;
    for lang in ["fr", "en"] {
        b.goto(&w.t.url(&format!("/lang/{lang}?next=/sftp")))
            .await
            .unwrap();
        snap_pages(
            &b,
            &w.t,
            lang,
            &[
                ("sftp", "/sftp".to_owned()),
                ("sftp-new", "/sftp/new".to_owned()),
                ("sftp-login", format!("/sftp/{id}")),
            ],
        )
        .await;
        // A form with errors.
        b.goto(&w.t.url("/sftp/new")).await.unwrap();
        b.fill("#f-login", "we'b").await.unwrap();
        b.fill("#f-keys", "ssh-ed25519 nope").await.unwrap();
        b.click("form[action='/sftp/new'] button[type=submit]")
            .await
            .unwrap();
        b.wait_for("#f-keys-error").await.unwrap();
        snap(&b, &format!("{lang}-sftp-new-error")).await;
        // A login with a password Konbit made.
        b.goto(&w.t.url("/sftp/new")).await.unwrap();
        b.fill("#f-login", &format!("photos-{lang}")).await.unwrap();
        b.click("form[action='/sftp/new'] button[type=submit]")
            .await
            .unwrap();
        b.wait_for("#generated-password").await.unwrap();
        snap(&b, &format!("{lang}-sftp-created")).await;
    }
    b.quit().await;
}
