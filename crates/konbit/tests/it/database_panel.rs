//! Databases in the panel over plain HTTP: a member adds a database (its
//! password made by Konbit and shown once), reads how to connect, adds a
//! read-only and a read-write user, changes passwords, removes a user,
//! sees the size against the limit, deletes the database, downloads its
//! final dump and restores it; hostile values come back next to their
//! fields in French and in English; another account's people get "not
//! found" for all of it, forged forms change nothing, and a server
//! without database engines says so. No provisioner runs here, so
//! statuses stay pending. With a browser at hand, the pages also go
//! through axe in both languages.

use crate::browser::{sign_in, snap, snap_pages};
use konbit_app::AppConfig;
use konbit_app::database::{DatabaseConfig, DatabaseInput, DatabaseView, EngineConfig};
use konbit_core::authz::Actor;
use konbit_core::database::{DbEngine, DbRight};
use konbit_testkit::TestApp;
use konbit_testkit::app::{Session, hidden_value, http_client};
use konbit_testkit::browser::Browser;
use std::collections::HashMap;

const PASSWORD: &str = "Correct-Horse-9x";

struct World {
    t: TestApp,
    /// Radio's member.
    s: Session,
    /// Garden's owner.
    g: Session,
    /// Where the final dumps are kept.
    dumps: tempfile::TempDir,
}

fn config(dumps: &std::path::Path) -> AppConfig {
    AppConfig {
        databases: DatabaseConfig {
            mariadb: Some(EngineConfig {
                public_host: "db.coop.test".into(),
                public_port: 3306,
            }),
            postgresql: Some(EngineConfig {
                public_host: "pg.coop.test".into(),
                public_port: 5432,
            }),
            max_size_mb: 100,
            dump_dir: Some(dumps.to_owned()),
            ..Default::default()
        },
        ..AppConfig::default()
    }
}

async fn world() -> World {
    let dumps = tempfile::tempdir().unwrap();
    let t = TestApp::spawn_with(config(dumps.path())).await.unwrap();
    let (_, _, member) = t.seed_account("radio").await.unwrap();
    let (_, garden_owner, _) = t.seed_account("garden").await.unwrap();
    let s = t.session_for(&member).await.unwrap();
    let g = t.session_for(&garden_owner).await.unwrap();
    World { t, s, g, dumps }
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

async fn all(t: &TestApp, deleted: bool) -> Vec<DatabaseView> {
    t.app
        .databases()
        .list(&Actor::operator_cli(), None, deleted)
        .await
        .unwrap()
}

async fn view(t: &TestApp, id: i64) -> DatabaseView {
    t.app
        .databases()
        .get(&Actor::operator_cli(), id)
        .await
        .unwrap()
}

/// What the database looks like in the store, to check what a request did.
async fn state(t: &TestApp, id: i64) -> String {
    let v = view(t, id).await;
    let users: Vec<String> = v
        .users
        .iter()
        .map(|u| format!("{}:{}", u.name, u.right.as_str()))
        .collect();
    format!(
        "{}|{}|{:?}|{}|{}",
        v.database.name,
        users.join(","),
        v.database.deleted_at,
        v.database.read_only,
        v.database.provision.generation
    )
}

/// Adds radio's MariaDB database `radio_wp` straight through the service.
async fn seed_database(t: &TestApp) -> i64 {
    t.app
        .databases()
        .create(
            &Actor::operator_cli(),
            DatabaseInput {
                account: "radio".into(),
                engine: "mariadb".into(),
                suffix: "wp".into(),
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap()
        .database
        .id
        .0
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_adds_a_database_and_its_users() {
    let w = world().await;
    let s = &w.s;
    let list = s.get("/databases").await.unwrap().text().await.unwrap();
    assert!(
        list.contains("href=\"/databases\" aria-current=\"page\">Bases de données<"),
        "{list}"
    );
    assert!(list.contains("href=\"/databases/new\""));
    assert!(list.contains(&esc("Aucune base de données pour l'instant.")));

    // The form: both engines, the prefix, its token.
    let page = s.get("/databases/new").await.unwrap().text().await.unwrap();
    assert_eq!(hidden_value(&page, "_csrf").unwrap(), s.csrf);
    assert!(page.contains("value=\"mariadb\"") && page.contains("value=\"postgresql\""));
    assert!(page.contains("Le nom commence par radio_"), "{page}");

    // The password Konbit makes is shown once, on the answer.
    let res = s
        .post(
            "/databases/new",
            &[
                ("account", "radio"),
                ("engine", "mariadb"),
                ("suffix", "wp"),
                ("password_mode", "generate"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let page = res.text().await.unwrap();
    let password = generated_password(&page).unwrap_or_else(|| panic!("{page}"));
    assert_eq!(password.len(), 20);
    assert!(page.contains("Mot de passe de radio_wp"));
    assert!(page.contains("La base a été ajoutée."));
    // How to connect: a read-only field with the URL, without the password.
    assert!(
        page.contains(
            "id=\"connection-url\" class=\"secret\" type=\"text\" readonly value=\"mysql://radio_wp@db.coop.test:3306/radio_wp\""
        ),
        "{page}"
    );
    assert_eq!(page.matches(&password).count(), 1);
    let id = all(&w.t, false).await[0].database.id.0;
    assert_eq!(
        state(&w.t, id).await,
        "radio_wp|radio_wp:owner|None|false|1"
    );
    // Shown once: the page itself does not have it.
    let page = s
        .get(&format!("/databases/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(generated_password(&page).is_none() && !page.contains(&password));
    assert!(page.contains("Pas encore mesurée"));

    // A read-only user, its password made by Konbit.
    let res = s
        .post(
            &format!("/databases/{id}/users"),
            &[
                ("suffix", "stats"),
                ("right", "read_only"),
                ("password_mode", "generate"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(generated_password(&page).is_some());
    assert!(page.contains("Mot de passe de radio_stats"), "{page}");
    // A read-write user with a password of one's own.
    let res = s
        .post(
            &format!("/databases/{id}/users"),
            &[
                ("suffix", "app"),
                ("right", "read_write"),
                ("password_mode", "choose"),
                ("password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/databases/{id}?flash=database-user-added").as_str()
    );
    let v = view(&w.t, id).await;
    let user = |name: &str| {
        v.users
            .iter()
            .find(|u| u.name.as_str() == name)
            .unwrap_or_else(|| panic!("no user {name}"))
    };
    assert_eq!(user("radio_wp").right, DbRight::Owner);
    assert_eq!(user("radio_stats").right, DbRight::ReadOnly);
    assert_eq!(user("radio_app").right, DbRight::ReadWrite);
    let owner = user("radio_wp").id.0;
    let stats = user("radio_stats").id.0;
    let page = s
        .get(&format!("/databases/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Lecture seule") && page.contains("Lecture et écriture"));
    assert!(page.contains(&format!("action=\"/databases/{id}/users/{stats}/delete\"")));
    // The owner goes only with its database: no button for it.
    assert!(!page.contains(&format!("/users/{owner}/delete")));

    // Passwords: made by Konbit, then one's own.
    let res = s
        .post(
            &format!("/databases/{id}/password"),
            &[("user", &owner.to_string()), ("password_mode", "generate")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(generated_password(&page).is_some_and(|p| p != password));
    assert!(page.contains("Mot de passe de radio_wp"));
    let res = s
        .post(
            &format!("/databases/{id}/password"),
            &[
                ("user", &stats.to_string()),
                ("password_mode", "choose"),
                ("password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/databases/{id}?flash=database-password-changed").as_str()
    );

    // An extra user goes; the owner does not.
    let res = s
        .post(&format!("/databases/{id}/users/{stats}/delete"), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = s
        .post(&format!("/databases/{id}/users/{owner}/delete"), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(
        state(&w.t, id)
            .await
            .contains("radio_wp:owner,radio_app:read_write|")
    );

    // Over the limit: read-only, and said in words.
    let sizes = HashMap::from([(
        (DbEngine::Mariadb, "radio_wp".to_owned()),
        150 * 1024 * 1024,
    )]);
    w.t.app.databases().record_sizes(&sizes).await.unwrap();
    let list = s.get("/databases").await.unwrap().text().await.unwrap();
    assert!(list.contains("150 Mo sur 100 Mo"), "{list}");
    assert!(list.contains("badge badge-warn\">Lecture seule<"), "{list}");
    let page = s
        .get(&format!("/databases/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Cette base dépasse la taille limite (100 Mo)"),
        "{page}"
    );
    assert!(page.contains("<meter"));

    // Deleting wants the box ticked, and says a dump is kept.
    assert!(page.contains("Konbit en fait d&#39;abord un dernier dump"));
    let res = s
        .post(&format!("/databases/{id}/delete"), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Cochez la case"));
    let res = s
        .post(&format!("/databases/{id}/delete"), &[("confirm", "1")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/databases?flash=database-deleted"
    );
    let list = s.get("/databases").await.unwrap().text().await.unwrap();
    assert!(list.contains("Bases supprimées") && list.contains("Restaurer radio_wp"));
    // No dump yet (no provisioner made one): no link.
    assert!(!list.contains(&format!("/databases/{id}/dump")), "{list}");
    assert_eq!(
        s.get(&format!("/databases/{id}/dump"))
            .await
            .unwrap()
            .status(),
        404
    );
    // The provisioner's dump, then the link and the download.
    let dump = "-- MariaDB dump\nCREATE TABLE t (x int);\n";
    std::fs::create_dir_all(w.dumps.path().join("mariadb")).unwrap();
    std::fs::write(w.dumps.path().join("mariadb/radio_wp.sql"), dump).unwrap();
    let list = s.get("/databases").await.unwrap().text().await.unwrap();
    assert!(list.contains(&format!("href=\"/databases/{id}/dump\" download")));
    let page = s
        .get(&format!("/databases/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Cette base est supprimée."), "{page}");
    assert!(page.contains(&format!("href=\"/databases/{id}/dump\"")));
    // A deleted database takes no new user.
    assert!(!page.contains(&format!("action=\"/databases/{id}/users\"")));
    let res = s.get(&format!("/databases/{id}/dump")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"mariadb-radio_wp.sql\""
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/sql")
    );
    assert_eq!(res.text().await.unwrap(), dump);

    let res = s
        .post(&format!("/databases/{id}/restore"), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/databases/{id}?flash=database-restored").as_str()
    );
    assert!(state(&w.t, id).await.contains("|None|"));
    let list = s.get("/databases").await.unwrap().text().await.unwrap();
    assert!(!list.contains("Bases supprimées"));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_database_values_come_back_next_to_their_fields() {
    let w = world().await;
    let s = &w.s;
    let bad = [
        ("account", "radio"),
        ("engine", "oracle"),
        ("suffix", "w'p\"><b>"),
        ("password_mode", "choose"),
        ("password", "with'quote-long"),
    ];
    let res = s.post("/databases/new", &bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-name-error\""), "{page}");
    assert!(page.contains("Nom de la base : utilisez seulement des lettres minuscules"));
    assert!(page.contains("id=\"f-engine-error\""));
    assert!(page.contains("Moteur : ce choix n&#39;est pas valide."));
    assert!(page.contains("id=\"f-password-error\""));
    assert!(page.contains("Mot de passe : "));
    assert!(page.contains(&format!("value=\"{}\"", esc("w'p\"><b>"))));
    assert!(!page.contains("<b>"));
    assert!(!page.contains("with&#39;quote-long"));
    assert!(page.contains("aria-describedby=\"f-name-hint f-name-error\""));
    // A chosen password left empty.
    let res = s
        .post(
            "/databases/new",
            &[
                ("account", "radio"),
                ("engine", "postgresql"),
                ("suffix", "app"),
                ("password_mode", "choose"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-password-error\""), "{page}");
    // The engine stays chosen.
    assert!(page.contains(
        "value=\"postgresql\" required aria-describedby=\"f-engine-postgresql-hint\" checked"
    ));
    assert!(all(&w.t, false).await.is_empty());

    // In English once the person chooses it.
    s.post("/settings/language", &[("locale", "en"), ("next", "/")])
        .await
        .unwrap();
    let res = s.post("/databases/new", &bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Database name: use lowercase letters without accents"),
        "{page}"
    );
    assert!(page.contains("Engine: this choice is not valid."));
    // A name already taken.
    let id = seed_database(&w.t).await;
    let res = s
        .post(
            "/databases/new",
            &[
                ("account", "radio"),
                ("engine", "mariadb"),
                ("suffix", "wp"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Database name: this name is already used"),
        "{page}"
    );

    // The page's other forms keep their errors apart.
    let before = state(&w.t, id).await;
    let res = s
        .post(
            &format!("/databases/{id}/users"),
            &[("suffix", "a b"), ("right", "owner")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-user_name-error\""), "{page}");
    assert!(page.contains("User name: use lowercase letters without accents"));
    assert!(page.contains("id=\"f-user_right-error\""));
    assert!(page.contains("Rights: this choice is not valid."));
    assert!(page.contains("value=\"a b\""));
    // The user's name is the database's own: taken.
    let res = s
        .post(
            &format!("/databases/{id}/users"),
            &[("suffix", "wp"), ("right", "read_only")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("User name: this name is already used")
    );
    let owner = view(&w.t, id).await.users[0].id.0;
    let res = s
        .post(
            &format!("/databases/{id}/password"),
            &[
                ("user", &owner.to_string()),
                ("password_mode", "choose"),
                ("password", "short"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-new_password-error\""), "{page}");
    assert!(page.contains("New password: use at least 12 characters."));
    assert_eq!(state(&w.t, id).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_database_is_not_found() {
    let w = world().await;
    let id = seed_database(&w.t).await;
    let owner = view(&w.t, id).await.users[0].id.0;
    w.t.app
        .databases()
        .add_user(
            &Actor::operator_cli(),
            id,
            konbit_app::database::DatabaseUserInput {
                suffix: "ro".into(),
                right: "read_only".into(),
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let extra = view(&w.t, id)
        .await
        .users
        .iter()
        .find(|u| u.right == DbRight::ReadOnly)
        .unwrap()
        .id
        .0;
    let g = &w.g;
    for path in [
        format!("/databases/{id}"),
        format!("/databases/{id}/dump"),
        "/databases/999999".to_owned(),
        "/databases/not-a-number".to_owned(),
    ] {
        let res = g.get(&path).await.unwrap();
        assert_eq!(res.status(), 404, "GET {path}");
        assert!(!res.text().await.unwrap().contains("radio_wp"));
    }
    let owner_s = owner.to_string();
    let mut posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/databases/{id}/users"),
            vec![("suffix", "x"), ("right", "read_only")],
        ),
        (
            format!("/databases/{id}/users"),
            vec![("suffix", "x"), ("password_mode", "choose")],
        ),
        (
            format!("/databases/{id}/password"),
            vec![("user", &owner_s), ("password_mode", "generate")],
        ),
        (
            format!("/databases/{id}/password"),
            vec![("user", &owner_s), ("password_mode", "choose")],
        ),
        (format!("/databases/{id}/users/{extra}/delete"), vec![]),
        (format!("/databases/{id}/delete"), vec![("confirm", "1")]),
        (format!("/databases/{id}/delete"), vec![]),
        (
            "/databases/new".to_owned(),
            vec![("account", "radio"), ("engine", "mariadb"), ("suffix", "x")],
        ),
    ];
    let before = state(&w.t, id).await;
    for (path, body) in posts.drain(..) {
        let res = g.post(&path, &body).await.unwrap();
        assert_eq!(res.status(), 404, "POST {path} {body:?} as garden's owner");
    }
    assert_eq!(state(&w.t, id).await, before);
    // Deleted, then restored by someone else: still out of reach.
    w.t.app
        .databases()
        .delete(&Actor::operator_cli(), id)
        .await
        .unwrap();
    std::fs::create_dir_all(w.dumps.path().join("mariadb")).unwrap();
    std::fs::write(w.dumps.path().join("mariadb/radio_wp.sql"), "secret").unwrap();
    for path in [format!("/databases/{id}"), format!("/databases/{id}/dump")] {
        let res = g.get(&path).await.unwrap();
        assert_eq!(res.status(), 404, "GET {path}");
        assert!(!res.text().await.unwrap().contains("secret"));
    }
    let res = g
        .post(&format!("/databases/{id}/restore"), &[])
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(all(&w.t, true).await.len(), 1);
    // Garden's own list does not show radio's database.
    let list = g.get("/databases").await.unwrap().text().await.unwrap();
    assert!(!list.contains("radio_wp"), "{list}");
    let new = g.get("/databases/new").await.unwrap().text().await.unwrap();
    assert!(new.contains("garden_") && !new.contains("radio_"), "{new}");
}

#[tokio::test(flavor = "multi_thread")]
async fn database_forms_refuse_forged_requests() {
    let w = world().await;
    let id = seed_database(&w.t).await;
    let owner = view(&w.t, id).await.users[0].id.0.to_string();
    let before = state(&w.t, id).await;
    let http = http_client().unwrap();
    let cookie = format!("{}={}", w.s.cookie_name, w.s.cookie);
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/databases/new".into(),
            vec![("account", "radio"), ("engine", "mariadb"), ("suffix", "x")],
        ),
        (
            format!("/databases/{id}/users"),
            vec![("suffix", "x"), ("right", "read_only")],
        ),
        (
            format!("/databases/{id}/password"),
            vec![("user", owner.as_str())],
        ),
        (format!("/databases/{id}/users/{owner}/delete"), vec![]),
        (format!("/databases/{id}/delete"), vec![("confirm", "1")]),
        (format!("/databases/{id}/restore"), vec![]),
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
    assert_eq!(all(&w.t, false).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_database_engines_says_so() {
    let t = TestApp::spawn().await.unwrap();
    let (_, _, member) = t.seed_account("radio").await.unwrap();
    let s = t.session_for(&member).await.unwrap();
    for path in ["/databases", "/databases/new"] {
        let res = s.get(path).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains("Aucun serveur de bases de données n&#39;est encore mis en place"),
            "{page}"
        );
        assert!(!page.contains("action=\"/databases/new\""), "{page}");
        assert!(!page.contains("href=\"/databases/new\""), "{page}");
    }
    // Only configured engines are offered.
    let dumps = tempfile::tempdir().unwrap();
    let mut c = config(dumps.path());
    c.databases.mariadb = None;
    let t = TestApp::spawn_with(c).await.unwrap();
    let (_, _, member) = t.seed_account("radio").await.unwrap();
    let s = t.session_for(&member).await.unwrap();
    let page = s.get("/databases/new").await.unwrap().text().await.unwrap();
    assert!(page.contains("Moteur : PostgreSQL."), "{page}");
    assert!(!page.contains("mariadb"));
    let res = s
        .post(
            "/databases/new",
            &[("account", "radio"), ("engine", "mariadb"), ("suffix", "x")],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(all(&t, false).await.is_empty());
}

/// The database pages in Chromium, in French and in English, at desktop
/// and phone width, with axe finding no serious problem (skipped without
/// a browser).
#[tokio::test(flavor = "multi_thread")]
async fn database_pages_are_accessible() {
    let Some(b) = Browser::try_start(1280, 800).await.unwrap() else {
        return;
    };
    let w = world().await;
    let id = seed_database(&w.t).await;
    w.t.app
        .databases()
        .add_user(
            &Actor::operator_cli(),
            id,
            konbit_app::database::DatabaseUserInput {
                suffix: "stats".into(),
                right: "read_only".into(),
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let sizes = HashMap::from([((DbEngine::Mariadb, "radio_wp".to_owned()), 40 * 1024 * 1024)]);
    w.t.app.databases().record_sizes(&sizes).await.unwrap();
    // A deleted one with its dump.
    let gone =
        w.t.app
            .databases()
            .create(
                &Actor::operator_cli(),
                DatabaseInput {
                    account: "radio".into(),
                    engine: "postgresql".into(),
                    suffix: "old_forum".into(),
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap()
            .database
            .id
            .0;
    w.t.app
        .databases()
        .delete(&Actor::operator_cli(), gone)
        .await
        .unwrap();
    std::fs::create_dir_all(w.dumps.path().join("postgresql")).unwrap();
    std::fs::write(
        w.dumps.path().join("postgresql/radio_old_forum.sql"),
        "-- dump\n",
    )
    .unwrap();
    sign_in(&b, &w.t, "member@radio.test").await;
    for lang in ["fr", "en"] {
        b.goto(&w.t.url(&format!("/lang/{lang}?next=/databases")))
            .await
            .unwrap();
        snap_pages(
            &b,
            &w.t,
            lang,
            &[
                ("databases", "/databases".to_owned()),
                ("database-new", "/databases/new".to_owned()),
                ("database", format!("/databases/{id}")),
                ("database-deleted", format!("/databases/{gone}")),
            ],
        )
        .await;
        // A form with errors.
        b.goto(&w.t.url("/databases/new")).await.unwrap();
        b.fill("#f-name", "w'p").await.unwrap();
        b.click("form[action='/databases/new'] button[type=submit]")
            .await
            .unwrap();
        b.wait_for("#f-name-error").await.unwrap();
        snap(&b, &format!("{lang}-database-new-error")).await;
        // A user with a password Konbit made, shown once.
        b.goto(&w.t.url(&format!("/databases/{id}"))).await.unwrap();
        b.fill("#f-user_name", &format!("app_{lang}"))
            .await
            .unwrap();
        b.click(&format!(
            "form[action='/databases/{id}/users'] button[type=submit]"
        ))
        .await
        .unwrap();
        b.wait_for("#generated-password").await.unwrap();
        snap(&b, &format!("{lang}-database-password")).await;
    }
    b.quit().await;
}
