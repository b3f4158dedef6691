//! The public page's service over a real store: which lists it shows, the
//! links' shape and life, and refusals without a list server or a relay.
//! Links used against Mailman are tested with the real one in the `it`
//! tests.

use super::*;
use crate::domain::CreateDomain;
use crate::list::{CreateList, ListConfig, ListSettingsInput};
use crate::tests::{app_with, member_of};
use crate::{AppConfig, mail::SmtpConfig};
use konbit_core::authz::Actor;

fn config(smtp: bool) -> AppConfig {
    AppConfig {
        lists: ListConfig { enabled: true },
        smtp: smtp.then(|| SmtpConfig {
            host: "127.0.0.1".into(),
            port: 9,
            from: "konbit@coop.test".into(),
            username: None,
            password: None,
        }),
        ..AppConfig::default()
    }
}

/// A list `news@radio.org` of account radio, moderated or not.
async fn news(app: &App, moderate: bool) -> (Actor, MailingList) {
    let radio = member_of(app, "radio", "o@radio.org").await;
    let acc = app
        .accounts()
        .get_by_name(&Actor::operator_cli(), "radio")
        .await
        .unwrap();
    app.domains()
        .create(
            &radio,
            CreateDomain {
                account_id: acc.id.0,
                name: "radio.org".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.mail_domains()
        .enable(&radio, "radio.org")
        .await
        .unwrap();
    let list = app
        .lists()
        .create(
            &radio,
            CreateList {
                address: "news@radio.org".into(),
                settings: ListSettingsInput {
                    description: "Les nouvelles <b>de la radio</b>".into(),
                    subscription: if moderate { "moderate" } else { "confirm" }.into(),
                    ..Default::default()
                },
            },
        )
        .await
        .unwrap();
    (radio, list)
}

/// A stored link, as `request` writes it.
async fn link(app: &App, list: &MailingList, action: &'static str, expires_in: i64) -> String {
    let token = random_token();
    let now = now();
    let mut tx = app.store.write().await.unwrap();
    tx.insert_list_confirmation(&NewListConfirmation {
        token_hash: &sha256_hex(&token),
        list: list.id,
        address: "ada@elsewhere.org",
        action,
        language: Locale::En,
        created_at: now,
        expires_at: now + expires_in,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    token
}

#[tokio::test]
async fn only_live_lists_have_a_public_page() {
    let (_d, app) = app_with(config(true)).await;
    let (radio, list) = news(&app, true).await;
    let svc = app.lists_public();
    let shown = svc.public_list(" NEWS@Radio.org ").await.unwrap();
    assert_eq!(shown.address, "news@radio.org");
    assert_eq!(shown.description, "Les nouvelles <b>de la radio</b>");
    assert!(shown.moderated);
    assert_eq!(public_path(&list), "/l/news@radio.org");
    for unknown in [
        "",
        "news",
        "other@radio.org",
        "news@nowhere.org",
        "a@b@c",
        "../x@radio.org",
    ] {
        assert!(
            matches!(svc.public_list(unknown).await, Err(AppError::NotFound)),
            "{unknown}"
        );
    }
    app.lists().delete(&radio, list.id.0).await.unwrap();
    assert!(matches!(
        svc.public_list("news@radio.org").await,
        Err(AppError::NotFound)
    ));
    // Lists off: no page at all.
    let (_d2, off) = app_with(AppConfig::default()).await;
    assert!(matches!(
        off.lists_public().public_list("news@radio.org").await,
        Err(AppError::NotFound)
    ));
}

#[tokio::test]
async fn without_a_list_server_or_a_relay_requests_are_unavailable() {
    let render: Arc<RenderMail> = Arc::new(|_, _| (String::new(), String::new()));
    for smtp in [false, true] {
        let (_d, app) = app_with(config(smtp)).await;
        news(&app, false).await;
        let svc = app.lists_public();
        assert!(!svc.available());
        let e = svc
            .request(
                "news@radio.org",
                "ada@elsewhere.org",
                PublicAction::Subscribe,
                Locale::Fr,
                "https://panel.coop.test",
                ClientInfo::default(),
                render.clone(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::ServiceUnavailable, "{e:?}");
        // An unknown list is still not found, first.
        let e = svc
            .request(
                "gone@radio.org",
                "ada@elsewhere.org",
                PublicAction::Subscribe,
                Locale::Fr,
                "https://panel.coop.test",
                ClientInfo::default(),
                render.clone(),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound), "{e:?}");
    }
}

#[tokio::test]
async fn a_link_works_for_its_list_until_it_expires() {
    let (_d, app) = app_with(config(true)).await;
    let (radio, list) = news(&app, false).await;
    let svc = app.lists_public();
    let live = link(&app, &list, "unsubscribe", 3600).await;
    let found = svc.check("news@radio.org", &live).await.unwrap();
    assert_eq!(found.address, "ada@elsewhere.org");
    assert_eq!(found.action, PublicAction::Unsubscribe);
    assert_eq!(found.list.address, "news@radio.org");
    // Another list's page, a token that is not one, an expired link.
    assert!(matches!(
        svc.check("other@radio.org", &live).await,
        Err(AppError::InvalidLink)
    ));
    for bad in [
        "",
        "x",
        &"a".repeat(43),
        &format!("{live}x"),
        "../../etc/passwd",
    ] {
        assert!(
            matches!(
                svc.check("news@radio.org", bad).await,
                Err(AppError::InvalidLink)
            ),
            "{bad}"
        );
    }
    let old = link(&app, &list, "subscribe", -1).await;
    assert!(matches!(
        svc.check("news@radio.org", &old).await,
        Err(AppError::InvalidLink)
    ));
    // Used once, it is used.
    let mut tx = app.store.write().await.unwrap();
    assert!(
        tx.use_list_confirmation(&sha256_hex(&live), now())
            .await
            .unwrap()
    );
    assert!(
        !tx.use_list_confirmation(&sha256_hex(&live), now())
            .await
            .unwrap()
    );
    assert!(
        !tx.use_list_confirmation(&sha256_hex(&old), now())
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert!(matches!(
        svc.check("news@radio.org", &live).await,
        Err(AppError::InvalidLink)
    ));
    // Only the hash is stored.
    let mut tx = app.store.read().await.unwrap();
    assert!(tx.list_confirmation(&live).await.unwrap().is_none());
    assert!(
        tx.list_confirmation(&sha256_hex(&live))
            .await
            .unwrap()
            .is_some()
    );
    drop(tx);
    // A deleted list's links stop working; links expired a week ago go.
    let other = link(&app, &list, "subscribe", 3600).await;
    app.lists().delete(&radio, list.id.0).await.unwrap();
    assert!(matches!(
        svc.check("news@radio.org", &other).await,
        Err(AppError::InvalidLink)
    ));
    let ancient = link(&app, &list, "subscribe", -KEEP_AFTER_EXPIRY_SECS - 10).await;
    assert_eq!(svc.purge_expired().await.unwrap(), 1);
    let mut tx = app.store.read().await.unwrap();
    assert!(
        tx.list_confirmation(&sha256_hex(&ancient))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        tx.list_confirmation(&sha256_hex(&old))
            .await
            .unwrap()
            .is_some()
    );
}

#[test]
fn actions_and_tokens() {
    assert_eq!(
        PublicAction::parse("action", " subscribe ").unwrap(),
        PublicAction::Subscribe
    );
    assert_eq!(
        PublicAction::parse("action", "unsubscribe").unwrap(),
        PublicAction::Unsubscribe
    );
    assert!(matches!(
        PublicAction::parse("action", "SUBSCRIBE"),
        Err(AppError::Invalid(_))
    ));
    assert!(well_formed(&random_token()));
    assert!(!well_formed(&random_token()[1..]));
    assert!(!well_formed(&format!("{}=", &random_token()[1..])));
}

proptest::proptest! {
    #[test]
    fn any_token_text_is_safe(s in "\\PC{0,120}") {
        // Whatever passes is exactly our tokens' alphabet and length.
        if well_formed(&s) {
            proptest::prop_assert_eq!(s.len(), TOKEN_LEN);
        }
    }
}
