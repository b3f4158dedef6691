//! Mail in the panel over plain HTTP: the forms' CSRF defences, another
//! account's mailboxes and aliases out of reach, the autoconfig and
//! autodiscover answers, and the self-service password page, which never
//! tells whether an address exists.

use konbit_app::AppConfig;
use konbit_app::mail_alias::CreateAlias;
use konbit_app::mailbox::{CreateMailbox, MailboxQuery};
use konbit_core::authz::Actor;
use konbit_core::names::Fqdn;
use konbit_testkit::TestApp;
use konbit_testkit::app::{Session, hidden_value, http_client, set_cookie_value};

const DOMAIN: &str = "radio-mail.test";
const MAILBOX: &str = "info@radio-mail.test";
const MAILBOX_PASSWORD: &str = "a mailbox password";

pub(crate) fn config() -> AppConfig {
    let mut c = AppConfig::default();
    c.mail.imap_host = Some(Fqdn::parse("imap", "imap.coop.test", 2).unwrap());
    c.mail.smtp_host = Some(Fqdn::parse("smtp", "smtp.coop.test", 2).unwrap());
    // A small key keeps the tests quick; the size is not what they check.
    c.mail.dkim_bits = 1024;
    c
}

/// A server where account "radio" has a domain with mail on, a mailbox and
/// an alias; account "garden" has a domain without mail. Returns the
/// server, a session of radio's member and one of garden's owner, and the
/// alias's id.
async fn world() -> (TestApp, Session, Session, i64) {
    let t = TestApp::spawn_with(config()).await.unwrap();
    let (radio, _, member) = t.seed_account("radio").await.unwrap();
    let (garden, garden_owner, _) = t.seed_account("garden").await.unwrap();
    let cli = Actor::operator_cli();
    for (account, name) in [(radio, DOMAIN), (garden, "garden.test")] {
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
    // Mail goes on through the panel.
    let res = s
        .post(&format!("/domains/{DOMAIN}/mail"), &[("mail", "on")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    t.app
        .mailboxes()
        .create(
            &cli,
            CreateMailbox {
                address: MAILBOX.into(),
                password: MAILBOX_PASSWORD.into(),
                quota_mb: Some(100),
            },
        )
        .await
        .unwrap();
    let alias = t
        .app
        .mail_aliases()
        .create(
            &cli,
            CreateAlias {
                source: format!("contact@{DOMAIN}"),
                destinations: vec![MAILBOX.into()],
            },
        )
        .await
        .unwrap();
    let g = t.session_for(&garden_owner).await.unwrap();
    (t, s, g, alias.alias.id.0)
}

/// What mail holds, to check that a refused request changed nothing.
async fn mail_state(t: &TestApp) -> String {
    let cli = Actor::operator_cli();
    let boxes = t
        .app
        .mailboxes()
        .list(&cli, MailboxQuery::default())
        .await
        .unwrap();
    let aliases = t
        .app
        .mail_aliases()
        .list(&cli, Default::default())
        .await
        .unwrap();
    let settings = t.app.mail_domains().settings(&cli, DOMAIN).await.unwrap();
    format!(
        "{:?}|{:?}|{:?}|{}",
        boxes
            .iter()
            .map(|b| (
                b.mailbox.address.to_string(),
                b.mailbox.quota_mb,
                b.mailbox.enabled,
                b.mailbox.deleted_at,
                b.mailbox.mail_generation
            ))
            .collect::<Vec<_>>(),
        aliases
            .iter()
            .map(|a| (a.alias.source.to_string(), a.alias.destinations.clone()))
            .collect::<Vec<_>>(),
        settings
            .dkim
            .iter()
            .map(|k| k.selector.clone())
            .collect::<Vec<_>>(),
        settings.enabled,
    )
}

/// Every new form that changes something, with a body that would succeed.
fn forms(alias: i64) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    let mb = format!("/mail/mailboxes/{MAILBOX}");
    vec![
        (format!("/domains/{DOMAIN}/mail"), vec![("mail", "off")]),
        (format!("/domains/{DOMAIN}/mail/dkim"), vec![]),
        (
            "/mail/mailboxes".into(),
            vec![
                ("local_part", "new"),
                ("domain", DOMAIN),
                ("password", "another long password"),
                ("password_confirm", "another long password"),
            ],
        ),
        (
            format!("{mb}/password"),
            vec![
                ("password", "another long password"),
                ("password_confirm", "another long password"),
            ],
        ),
        (format!("{mb}/quota"), vec![("quota_mb", "200")]),
        (format!("{mb}/enabled"), vec![("enabled", "off")]),
        (
            format!("{mb}/autoreply"),
            vec![
                ("enabled", "1"),
                ("subject", "Away"),
                ("body", "Back soon."),
            ],
        ),
        (format!("{mb}/delete"), vec![("confirm", "1")]),
        (
            "/mail/aliases".into(),
            vec![
                ("local_part", "news"),
                ("domain", DOMAIN),
                ("destinations", "a@example.org"),
            ],
        ),
        (
            format!("/mail/aliases/{alias}"),
            vec![("destinations", "a@example.org\nb@example.org")],
        ),
        (format!("/mail/aliases/{alias}/delete"), vec![]),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_forms_refuse_forged_requests() {
    let (t, s, _, alias) = world().await;
    let before = mail_state(&t).await;
    let http = http_client().unwrap();
    let cookie = format!("{}={}", s.cookie_name, s.cookie);
    for (path, body) in forms(alias) {
        // No token, a wrong token, the right token from another site.
        let mut wrong = body.clone();
        wrong.push(("_csrf", "not-the-token"));
        let mut right = body.clone();
        right.push(("_csrf", s.csrf.as_str()));
        let attempts = [
            (body.clone(), Some(t.base.as_str())),
            (wrong, Some(t.base.as_str())),
            (right, Some("https://evil.example")),
        ];
        for (form, origin) in attempts {
            let mut rb = http
                .post(t.url(&path))
                .header("cookie", &cookie)
                .form(&form);
            if let Some(o) = origin {
                rb = rb.header("origin", o);
            }
            let res = rb.send().await.unwrap();
            assert_eq!(
                res.status(),
                403,
                "POST {path} with {form:?} from {origin:?}"
            );
        }
    }
    // The restore of a deleted mailbox, the same way.
    let res = http
        .post(t.url(&format!("/mail/mailboxes/{MAILBOX}/restore")))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("_csrf", s.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(mail_state(&t).await, before, "a refused form changed mail");

    // The self-service form wants its cookie and token to match.
    let page = http.get(t.url("/mail/password")).send().await.unwrap();
    let login_cookie = set_cookie_value(&page, t.web.login_cookie()).unwrap();
    let token = hidden_value(&page.text().await.unwrap(), "_csrf").unwrap();
    let fields = [
        ("address", MAILBOX),
        ("current_password", MAILBOX_PASSWORD),
        ("new_password", "another long password"),
        ("password_confirm", "another long password"),
    ];
    let cases = [
        (None, Some(token.as_str())),
        (Some(login_cookie.as_str()), None),
        (Some(login_cookie.as_str()), Some("not-the-token")),
    ];
    for (cookie, csrf) in cases {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(c) = csrf {
            form.push(("_csrf", c));
        }
        let mut rb = http
            .post(t.url("/mail/password"))
            .header("origin", &t.base)
            .form(&form);
        if let Some(c) = cookie {
            rb = rb.header("cookie", format!("{}={c}", t.web.login_cookie()));
        }
        assert_eq!(rb.send().await.unwrap().status(), 403);
    }
    // From another site, even with a matching pair.
    let res = http
        .post(t.url("/mail/password"))
        .header("origin", "https://evil.example")
        .header("cookie", format!("{}={login_cookie}", t.web.login_cookie()))
        .form(&[fields.as_slice(), &[("_csrf", token.as_str())]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Not even the mailbox's password changed (it would bump its generation).
    assert_eq!(mail_state(&t).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_accounts_mail_is_not_found() {
    let (t, s, g, alias) = world().await;
    let before = mail_state(&t).await;
    for path in [
        format!("/mail/mailboxes/{MAILBOX}"),
        format!("/mail/aliases/{alias}"),
        format!("/mail?domain={DOMAIN}"),
        "/mail/mailboxes/nobody@radio-mail.test".to_owned(),
        "/mail/aliases/999999".to_owned(),
        "/mail/aliases/not-a-number".to_owned(),
    ] {
        assert_eq!(g.get(&path).await.unwrap().status(), 404, "GET {path}");
    }
    for (path, body) in forms(alias) {
        // Adding to another account's domain too: no such domain.
        let res = g.post(&path, &body).await.unwrap();
        assert_eq!(res.status(), 404, "POST {path} as garden's owner");
    }
    assert_eq!(mail_state(&t).await, before);
    // Garden's own list does not show radio's mail.
    let page = g.get("/mail").await.unwrap().text().await.unwrap();
    assert!(
        !page.contains(MAILBOX) && !page.contains("contact@"),
        "{page}"
    );
    // Radio's member sees both, with the storage bar.
    let page = s.get("/mail").await.unwrap().text().await.unwrap();
    assert!(page.contains(MAILBOX) && page.contains("contact@radio-mail.test"));
    assert!(
        page.contains("<meter") && page.contains("max=\"100\""),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn form_errors_name_the_field_in_the_persons_language() {
    let (_t, s, _, _) = world().await;
    // French by default.
    let res = s
        .post(
            "/mail/mailboxes",
            &[
                ("local_part", "Not Valid"),
                ("domain", DOMAIN),
                ("password", "another long password"),
                ("password_confirm", "another long password"),
                ("quota_mb", "0"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-address-error\""), "{page}");
    assert!(
        page.contains("Adresse :") && page.contains("Espace (Mo) :"),
        "{page}"
    );
    // The typed name comes back.
    assert!(page.contains("value=\"Not Valid\""));
    let res = s
        .post(
            "/mail/mailboxes",
            &[
                ("local_part", "ok"),
                ("domain", DOMAIN),
                ("password", "another long password"),
                ("password_confirm", "a different password"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Mot de passe, encore : les deux mots de passe diffèrent"));
    // In English once the person chooses it.
    s.post("/settings/language", &[("locale", "en"), ("next", "/")])
        .await
        .unwrap();
    let res = s
        .post(
            "/mail/aliases",
            &[
                ("local_part", "loop"),
                ("domain", DOMAIN),
                ("destinations", "loop@radio-mail.test"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Destinations: an alias cannot forward to its own address."),
        "{page}"
    );
    let res = s
        .post(
            &format!("/mail/mailboxes/{MAILBOX}/autoreply"),
            &[
                ("enabled", "1"),
                ("body", "Back soon."),
                ("start_date", "2030-02-30"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("First day: write the date"), "{page}");
    // The typed reply comes back.
    assert!(page.contains(">Back soon.</textarea>"));
}

/// Posts the self-service form: (status, body without the form token).
async fn own_password(t: &TestApp, address: &str, current: &str, new: &str) -> (u16, String) {
    let http = http_client().unwrap();
    let page = http.get(t.url("/mail/password")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let cookie = set_cookie_value(&page, t.web.login_cookie()).unwrap();
    let token = hidden_value(&page.text().await.unwrap(), "_csrf").unwrap();
    let res = http
        .post(t.url("/mail/password"))
        .header("cookie", format!("{}={cookie}", t.web.login_cookie()))
        .header("origin", &t.base)
        .form(&[
            ("_csrf", token.as_str()),
            ("address", address),
            ("current_password", current),
            ("new_password", new),
            ("password_confirm", new),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    let body = match hidden_value(&body, "_csrf") {
        Some(token) => body.replace(&token, "TOKEN"),
        None => body,
    };
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_self_service_page_never_tells_whether_an_address_exists() {
    let (t, _, _, _) = world().await;
    let new = "a brand new mailbox password";
    let wrong_password = own_password(&t, MAILBOX, "not the password", new).await;
    let unknown_address = own_password(&t, "nobody@radio-mail.test", "not the password", new).await;
    let unknown_domain = own_password(&t, "info@elsewhere.test", "not the password", new).await;
    let not_an_address = own_password(&t, "not an address", "not the password", new).await;
    assert_eq!(wrong_password.0, 401);
    assert!(
        wrong_password
            .1
            .contains("ou le mot de passe actuel est erroné."),
        "{}",
        wrong_password.1
    );
    // The same page, but for the address typed in the form.
    let same = |other: &(u16, String), typed: &str| {
        assert_eq!(other.0, wrong_password.0, "{typed}");
        assert_eq!(
            other
                .1
                .replace(&format!("value=\"{typed}\""), "value=\"X\""),
            wrong_password
                .1
                .replace(&format!("value=\"{MAILBOX}\""), "value=\"X\""),
            "{typed}"
        );
    };
    same(&unknown_address, "nobody@radio-mail.test");
    same(&unknown_domain, "info@elsewhere.test");
    same(&not_an_address, "not an address");

    // The right password changes it; the old one then fails.
    let done = own_password(&t, MAILBOX, MAILBOX_PASSWORD, new).await;
    assert_eq!(done.0, 303);
    assert_eq!(
        own_password(&t, MAILBOX, MAILBOX_PASSWORD, new).await.0,
        401
    );
    let page = http_client()
        .unwrap()
        .get(t.url("/mail/password?flash=mailbox-own-password-changed"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Le mot de passe a été changé."));
    // The sign-in page links to it.
    let login = http_client()
        .unwrap()
        .get(t.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("href=\"/mail/password\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_programs_get_their_settings_for_hosted_domains_only() {
    let (t, _, _, _) = world().await;
    let http = http_client().unwrap();
    let res = http
        .get(t.url(&format!(
            "/mail/config-v1.1.xml?emailaddress=someone%40{DOMAIN}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = res.text().await.unwrap();
    for part in [
        "<clientConfig version=\"1.1\">",
        "<emailProvider id=\"radio-mail.test\">",
        "<incomingServer type=\"imap\">",
        "<hostname>imap.coop.test</hostname>",
        "<port>993</port>",
        "<socketType>SSL</socketType>",
        "<hostname>smtp.coop.test</hostname>",
        "<port>587</port>",
        "<socketType>STARTTLS</socketType>",
        "<username>%EMAILADDRESS%</username>",
    ] {
        assert!(xml.contains(part), "{part} missing from {xml}");
    }
    // The well-known address, asked on the domain's own name.
    let res = http
        .get(t.url("/.well-known/autoconfig/mail/config-v1.1.xml"))
        .header("host", DOMAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("<domain>radio-mail.test</domain>")
    );
    // And on autoconfig.<domain>, as Thunderbird first tries.
    let res = http
        .get(t.url("/mail/config-v1.1.xml"))
        .header("host", format!("autoconfig.{DOMAIN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Unknown domains, domains without mail, and no domain at all: 404.
    for q in [
        "?emailaddress=someone%40unknown.test",
        "?emailaddress=someone%40garden.test",
        "?emailaddress=%3Cscript%3E",
        "",
    ] {
        let res = http
            .get(t.url(&format!("/mail/config-v1.1.xml{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{q}");
    }

    // Outlook posts from anywhere, with no cookie: the origin check lets
    // this one request through.
    let request = |address: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>{address}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>"#
        )
    };
    let res = http
        .post(t.url("/autodiscover/autodiscover.xml"))
        .header("origin", "https://elsewhere.example")
        .header("content-type", "text/xml")
        .body(request(MAILBOX))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = res.text().await.unwrap();
    for part in [
        "<Type>IMAP</Type>",
        "<Server>imap.coop.test</Server>",
        "<Port>993</Port>",
        "<Type>SMTP</Type>",
        "<Server>smtp.coop.test</Server>",
        "<Port>587</Port>",
        "<LoginName>info@radio-mail.test</LoginName>",
    ] {
        assert!(xml.contains(part), "{part} missing from {xml}");
    }
    for (body, want) in [
        (request("someone@garden.test"), 404),
        (request("someone@unknown.test"), 404),
        (request("<b>"), 400),
        ("not xml".to_owned(), 400),
        ("x".repeat(64 * 1024), 413),
    ] {
        let res = http
            .post(t.url("/autodiscover/autodiscover.xml"))
            .header("origin", "https://elsewhere.example")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), want);
        if want == 413 {
            // The unread body stays on the socket: the client must not reuse it.
            assert_eq!(res.headers()["connection"], "close");
        }
    }
    // The exemption is for that one address only.
    let res = http
        .post(t.url("/autodiscover/Autodiscover.xml"))
        .header("origin", "https://elsewhere.example")
        .body(request(MAILBOX))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mailbox_is_deleted_softly_and_restored() {
    let (_t, s, _, _) = world().await;
    let page = format!("/mail/mailboxes/{MAILBOX}");
    // Not without the ticked box.
    let res = s.post(&format!("{page}/delete"), &[]).await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Cochez la case"));
    let res = s
        .post(&format!("{page}/delete"), &[("confirm", "1")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // Its page says until when its mail is kept, and offers the restore.
    let html = s.get(&page).await.unwrap().text().await.unwrap();
    assert!(html.contains("Cette boîte est supprimée"), "{html}");
    assert!(html.contains(&format!("action=\"{page}/restore\"")));
    assert!(!html.contains(&format!("action=\"{page}/password\"")));
    // The live list no longer has it; the deleted one does.
    let live = s.get("/mail").await.unwrap().text().await.unwrap();
    assert!(!live.contains(&format!("href=\"{page}\"")));
    let deleted = s
        .get("/mail?deleted=1")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(deleted.contains(&format!("href=\"{page}\"")), "{deleted}");
    let res = s.post(&format!("{page}/restore"), &[]).await.unwrap();
    assert_eq!(res.status(), 303);
    let live = s.get("/mail").await.unwrap().text().await.unwrap();
    assert!(live.contains(&format!("href=\"{page}\"")));
    // Mail cannot go off while the domain has mailboxes: said at the top.
    let res = s
        .post(&format!("/domains/{DOMAIN}/mail"), &[("mail", "off")])
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("supprimez-les avant de couper le courriel")
    );
}
