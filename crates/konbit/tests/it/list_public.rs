//! A list's public page, without a Konbit sign-in: subscribe and leave,
//! confirmed by a link e-mailed to the address. The lists live in a real
//! Mailman (through the binary's `MailmanListServer`), and Konbit's e-mail
//! goes through the testkit's Postfix into Dovecot mailboxes, read back
//! over IMAP. Tests that start Mailman have `mailman` in their name
//! (nextest runs them in that group).

use crate::list_server::closed_port;
use crate::list_server::imp::MailmanListServer;
use konbit_app::AppConfig;
use konbit_app::list::{CreateList, ListConfig, ListSettingsInput};
use konbit_app::list_server::ListServer;
use konbit_app::mail::SmtpConfig;
use konbit_app::rate_limit::RateLimits;
use konbit_core::authz::Actor;
use konbit_core::model::MailingList;
use konbit_provision::lists::mailman::{
    ListAddress, ListId, ListSettingsPatch, MailHost, MailmanClient, SubscriptionPolicy,
};
use konbit_testkit::TestApp;
use konbit_testkit::app::Person;
use konbit_testkit::app::{hidden_value, http_client, set_cookie_value};
use konbit_testkit::mail::{
    MailServer, add_domain, add_mailbox, create_lookup_db, dovecot_hash, imap_count,
    imap_fetch_latest, lookup_pool,
};
use konbit_testkit::mailman::{Mailman, MailmanOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

const LIST: &str = "team@radio.example";
const ADA: &str = "ada@elsewhere.test";
const BOB: &str = "bob@elsewhere.test";
const MAILBOX_PASSWORD: &str = "correct horse battery";

/// Konbit with a real Mailman and Postfix + Dovecot as its relay, the
/// list `team@radio.example`, and two mailboxes elsewhere to subscribe.
struct Env {
    t: TestApp,
    server: Arc<MailmanListServer>,
    client: MailmanClient,
    list: MailingList,
    owner: Person,
    imap: SocketAddr,
    _mail: MailServer,
    _mailman: Mailman,
    _dir: tempfile::TempDir,
}

impl Env {
    async fn start() -> Option<Env> {
        if !MailServer::available().unwrap() {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("konbit-lpub-")
            .tempdir()
            .unwrap();
        // The lookup database's directory is given to Postfix's group.
        let lookup = dir.path().join("lookup").join("lookup.db");
        create_lookup_db(&lookup).await.unwrap();
        let pool = lookup_pool(&lookup).await.unwrap();
        add_domain(&pool, "elsewhere.test").await.unwrap();
        let hash = dovecot_hash(MAILBOX_PASSWORD).await.unwrap();
        for a in [ADA, BOB] {
            add_mailbox(&pool, a, &hash, 0).await.unwrap();
        }
        pool.close().await;
        let mail = MailServer::try_start(&dir.path().join("mail"), &lookup)
            .await
            .unwrap()?;
        let options = MailmanOptions {
            smtp: closed_port().await,
            smtp_auth: None,
        };
        let mailman = Mailman::try_start(&dir.path().join("mailman"), options)
            .await
            .unwrap()?;
        let client = MailmanClient::new(
            &mailman.rest_url(),
            mailman.rest_user(),
            mailman.rest_password(),
        )
        .unwrap();
        let server = Arc::new(MailmanListServer::new(client.clone()));
        let relay = mail.smtp_addr();
        let t = TestApp::spawn_with_list_server(
            AppConfig {
                lists: ListConfig { enabled: true },
                smtp: Some(SmtpConfig {
                    host: relay.ip().to_string(),
                    port: relay.port(),
                    from: "Konbit <konbit@coop.test>".into(),
                    username: None,
                    password: None,
                }),
                rate_limits: RateLimits {
                    window_secs: 60,
                    per_ip: 100,
                    per_account: 5,
                },
                ..AppConfig::default()
            },
            server.clone(),
        )
        .await
        .unwrap();
        let (list, owner) = make_list(&t).await;
        let host = MailHost::parse(&list.domain).unwrap();
        let address = ListAddress::new(list.name.as_str(), &host).unwrap();
        client.ensure_list(&address).await.unwrap();
        Some(Env {
            t,
            server,
            client,
            list,
            owner,
            imap: mail.imap_addr(),
            _mail: mail,
            _mailman: mailman,
            _dir: dir,
        })
    }

    async fn members(&self) -> Vec<String> {
        let page = self.server.subscribers(&self.list, 1, 100).await.unwrap();
        page.subscribers.into_iter().map(|s| s.address).collect()
    }

    /// Waits for the `n`th message in `address`'s INBOX and returns it.
    async fn mail(&self, address: &str, n: u32) -> String {
        for _ in 0..300 {
            let count = imap_count(self.imap, address, MAILBOX_PASSWORD)
                .await
                .unwrap();
            if count >= n {
                assert_eq!(count, n, "more mail than expected for {address}");
                return imap_fetch_latest(self.imap, address, MAILBOX_PASSWORD)
                    .await
                    .unwrap()
                    .unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no mail number {n} for {address} within 30 s");
    }
}

/// Account radio, its mail domain `radio.example` and the list; and the
/// account's owner.
async fn make_list(t: &TestApp) -> (MailingList, Person) {
    let (account, owner, _) = t.seed_account("radio").await.unwrap();
    let cli = Actor::operator_cli();
    t.app
        .domains()
        .create(
            &cli,
            konbit_app::domain::CreateDomain {
                account_id: account.0,
                name: "radio.example".into(),
                mail: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let list = t
        .app
        .lists()
        .create(
            &cli,
            CreateList {
                address: LIST.into(),
                settings: ListSettingsInput {
                    description: "Nouvelles <em>de la radio</em>".into(),
                    ..Default::default()
                },
            },
        )
        .await
        .unwrap();
    (list, owner)
}

/// The list's page in the panel, as its owner sees it.
async fn panel_page(t: &TestApp, owner: &Person, list: &MailingList) -> String {
    let session = t.session_for(owner).await.unwrap();
    let res = session.get(&format!("/lists/{}", list.id.0)).await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The confirmation path in a message, quoted-printable undone.
fn link_in(mail: &str) -> String {
    let text = mail
        .replace("\r\n", "\n")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find("/l/").expect("no link in the mail");
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

/// A browser without a session, in one language.
struct Visitor {
    http: reqwest::Client,
    lang: &'static str,
    cookie: String,
    csrf: String,
}

impl Visitor {
    fn new(lang: &'static str) -> Self {
        Self {
            http: http_client().unwrap(),
            lang,
            cookie: String::new(),
            csrf: String::new(),
        }
    }

    /// Opens a page and keeps its form token.
    async fn get(&mut self, t: &TestApp, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(t.url(path))
            .header("accept-language", self.lang)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        if let Some(c) = set_cookie_value(&res, t.web.login_cookie()) {
            self.cookie = c;
        }
        let html = res.text().await.unwrap();
        self.csrf = hidden_value(&html, "_csrf").unwrap_or_default();
        (status, html)
    }

    async fn post(&mut self, t: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        // A page without a form (a refusal, a result) still set the
        // token's cookie: post it as a resubmitted form would.
        if self.csrf.is_empty() {
            self.csrf = self.cookie.clone();
        }
        let mut f = vec![("_csrf", self.csrf.as_str())];
        f.extend_from_slice(fields);
        let res = self
            .http
            .post(t.url(path))
            .header(
                "cookie",
                format!("{}={}", t.web.login_cookie(), self.cookie),
            )
            .header("origin", &t.base)
            .header("accept-language", self.lang)
            .form(&f)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        if let Some(c) = set_cookie_value(&res, t.web.login_cookie()) {
            self.cookie = c;
        }
        let html = res.text().await.unwrap();
        self.csrf = hidden_value(&html, "_csrf").unwrap_or_default();
        (status, html)
    }

    /// Asks for a link on the list's page.
    async fn ask(&mut self, t: &TestApp, email: &str, action: &str) -> (u16, String) {
        self.get(t, &format!("/l/{LIST}")).await;
        self.post(
            t,
            &format!("/l/{LIST}"),
            &[("email", email), ("action", action)],
        )
        .await
    }
}

/// The page without what differs from one answer to the next: the form
/// token and the address typed.
fn stripped(html: &str, email: &str) -> String {
    let mut parts = html.split("name=\"_csrf\"");
    let mut out = parts.next().unwrap_or("").to_owned();
    for part in parts {
        out.push_str(part.split_once('>').map_or(part, |(_, rest)| rest));
    }
    out.replace(email, "")
}

#[tokio::test(flavor = "multi_thread")]
async fn mailman_subscribe_and_leave_by_web_with_a_link_by_mail() {
    let Some(env) = Env::start().await else {
        return;
    };
    let t = &env.t;

    // The list's panel page leads to its public page.
    let html = panel_page(t, &env.owner, &env.list).await;
    assert!(html.contains(&format!("href=\"/l/{LIST}\"")), "{html}");

    // The page shows the list, escaped, and a form.
    let mut en = Visitor::new("en");
    let (status, html) = en.get(t, &format!("/l/{LIST}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(LIST) && html.contains("Subscribe to this list"));
    assert!(html.contains("Nouvelles &#60;em&#62;de la radio"), "{html}");
    assert!(!html.contains("<em>"), "{html}");

    // English page, English mail; nothing changes until the button.
    let (status, html) = en.ask(t, ADA, "subscribe").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"lpub-sent\""), "{html}");
    let mail = env.mail(ADA, 1).await;
    assert!(
        mail.contains("Confirm your subscription to team@radio.example"),
        "{mail}"
    );
    assert!(mail.contains("Hello"), "{mail}");
    let link = link_in(&mail);
    assert!(link.starts_with(&format!("/l/{LIST}/confirm/")), "{link}");
    let (status, html) = en.get(t, &link).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("id=\"lpub-confirm\"") && html.contains(ADA),
        "{html}"
    );
    assert!(
        env.members().await.is_empty(),
        "opening the link subscribed"
    );
    let (status, html) = en.post(t, &link, &[]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"lpub-done-subscribed\""), "{html}");
    assert_eq!(env.members().await, [ADA]);

    // Used once, the link is refused, clearly.
    let (status, html) = en.post(t, &link, &[]).await;
    assert_eq!(status, 410, "{html}");
    assert!(html.contains("id=\"lpub-link-invalid\""), "{html}");
    let (status, _) = en.get(t, &link).await;
    assert_eq!(status, 410);

    // The answer is the same for a subscriber and for anyone else.
    let (_, member) = en.ask(t, ADA, "subscribe").await;
    let (_, stranger) = en.ask(t, BOB, "subscribe").await;
    assert_eq!(stripped(&member, ADA), stripped(&stranger, BOB));
    let (_, member) = en.ask(t, ADA, "unsubscribe").await;
    let (_, stranger) = en.ask(t, BOB, "unsubscribe").await;
    assert_eq!(stripped(&member, ADA), stripped(&stranger, BOB));
    env.mail(ADA, 3).await;
    env.mail(BOB, 2).await;

    // An expired link is refused too.
    let pool = t.db().await.unwrap();
    sqlx::query("UPDATE list_confirmations SET expires_at = 1")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let expired = link_in(&env.mail(BOB, 2).await);
    let (status, html) = en.get(t, &expired).await;
    assert_eq!(status, 410, "{html}");
    let (status, _) = en.post(t, &expired, &[]).await;
    assert_eq!(status, 410);
    assert_eq!(env.members().await, [ADA]);

    // Leaving, in French.
    let mut fr = Visitor::new("fr");
    let (status, html) = fr.ask(t, ADA, "unsubscribe").await;
    assert_eq!(status, 200, "{html}");
    let mail = env.mail(ADA, 4).await;
    assert!(mail.contains("Bonjour"), "{mail}");
    let link = link_in(&mail);
    let (_, html) = fr.get(t, &link).await;
    assert!(html.contains("Oui, retirez-moi"), "{html}");
    let (status, html) = fr.post(t, &link, &[]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"lpub-done-unsubscribed\""), "{html}");
    assert!(env.members().await.is_empty());

    // A moderated list: the page says so, and a confirmed address waits.
    t.app
        .lists()
        .update(
            &Actor::operator_cli(),
            env.list.id.0,
            ListSettingsInput {
                description: "Nouvelles".into(),
                subscription: "moderate".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let patch = ListSettingsPatch {
        subscription_policy: Some(SubscriptionPolicy::ConfirmThenModerate),
        ..Default::default()
    };
    env.client
        .update_settings(&ListId::parse(&env.list.list_id()).unwrap(), &patch)
        .await
        .unwrap();
    let (_, html) = en.get(t, &format!("/l/{LIST}")).await;
    assert!(html.contains("id=\"lpub-moderated\""), "{html}");
    en.ask(t, BOB, "subscribe").await;
    let link = link_in(&env.mail(BOB, 3).await);
    en.get(t, &link).await;
    let (status, html) = en.post(t, &link, &[]).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("id=\"lpub-done-awaiting-approval\""),
        "{html}"
    );
    assert!(env.members().await.is_empty());
    let pending = env.server.pending(&env.list).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].address, BOB);

    // Deleted, the list has no page and its links stop working.
    en.ask(t, ADA, "subscribe").await;
    let link = link_in(&env.mail(ADA, 5).await);
    t.app
        .lists()
        .delete(&Actor::operator_cli(), env.list.id.0)
        .await
        .unwrap();
    let (status, _) = en.get(t, &format!("/l/{LIST}")).await;
    assert_eq!(status, 404);
    let (status, _) = en.get(t, &link).await;
    assert_eq!(status, 410);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_mailman_or_a_relay_the_page_says_so_and_unknown_lists_are_404() {
    let t = TestApp::spawn_with(AppConfig {
        lists: ListConfig { enabled: true },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    let (list, owner) = make_list(&t).await;
    // The panel does not send members to a page that cannot take requests.
    assert!(!panel_page(&t, &owner, &list).await.contains("/l/"));
    let mut v = Visitor::new("en");
    let (status, html) = v.get(&t, &format!("/l/{LIST}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"lpub-unavailable\""), "{html}");
    assert!(!html.contains("name=\"email\""), "{html}");
    // No form is shown; a hand-made one with a good token still gets no
    // further.
    let (status, html) = v
        .post(
            &t,
            &format!("/l/{LIST}"),
            &[("email", ADA), ("action", "subscribe")],
        )
        .await;
    assert_eq!(status, 503, "{html}");
    // A made-up link is refused with the same clear page.
    let (status, html) = v
        .get(&t, &format!("/l/{LIST}/confirm/{}", "a".repeat(43)))
        .await;
    assert_eq!(status, 410);
    assert!(html.contains("id=\"lpub-link-invalid\""), "{html}");
    for unknown in ["/l/nobody@radio.example", "/l/team@nowhere.example", "/l/x"] {
        let (status, _) = v.get(&t, unknown).await;
        assert_eq!(status, 404, "{unknown}");
    }
    // A form without its token does nothing.
    let res = v
        .http
        .post(t.url(&format!("/l/{LIST}")))
        .header("origin", &t.base)
        .form(&[("email", ADA), ("action", "subscribe")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    t.app
        .lists()
        .delete(&Actor::operator_cli(), list.id.0)
        .await
        .unwrap();
    let (status, _) = v.get(&t, &format!("/l/{LIST}")).await;
    assert_eq!(status, 404);

    // Lists off: no page at all.
    let off = TestApp::spawn().await.unwrap();
    let (status, _) = Visitor::new("fr").get(&off, &format!("/l/{LIST}")).await;
    assert_eq!(status, 404);
}

/// The public page in Chromium, in French and English: the form, then the
/// answer after a request, each at desktop and phone width with axe
/// finding no serious problem.
#[tokio::test]
async fn mailman_public_page_in_a_browser() {
    let Some(b) = konbit_testkit::browser::Browser::try_start(1280, 800)
        .await
        .unwrap()
    else {
        return;
    };
    let Some(env) = Env::start().await else {
        return;
    };
    let t = &env.t;
    for (lang, sent) in [
        ("fr", "un lien part vers cette adresse"),
        ("en", "a link is on its way"),
    ] {
        // People who are not signed in choose their language by cookie.
        b.goto(&t.url(&format!("/lang/{lang}?next=/l/{LIST}")))
            .await
            .unwrap();
        b.wait_for("#f-email").await.unwrap();
        crate::browser::snap(&b, &format!("{lang}-list-public")).await;
        b.fill("#f-email", ADA).await.unwrap();
        b.click_and_leave("form[action^='/l/'] button[type=submit]")
            .await
            .unwrap();
        let answer = b.text("#lpub-sent").await.unwrap();
        assert!(answer.contains(sent), "{lang}: {answer}");
        crate::browser::snap(&b, &format!("{lang}-list-public-sent")).await;
    }
}
