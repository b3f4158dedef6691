//! Mailing lists over a real store: the addresses a list takes on its
//! domain, quota, the queue, and other accounts kept out.

use crate::domain::CreateDomain;
use crate::list::{CreateList, ListConfig, ListSettingsInput};
use crate::mail_alias::CreateAlias;
use crate::mailbox::CreateMailbox;
use crate::tests::{app_with, member_of};
use crate::*;
use konbit_core::Rule;

fn config() -> AppConfig {
    AppConfig {
        lists: ListConfig { enabled: true },
        ..AppConfig::default()
    }
}

async fn mail_domain(app: &App, actor: &Actor, account: &str, name: &str) {
    let acc = app
        .accounts()
        .get_by_name(&Actor::operator_cli(), account)
        .await
        .unwrap();
    app.domains()
        .create(
            actor,
            CreateDomain {
                account_id: acc.id.0,
                name: name.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.mail_domains().enable(actor, name).await.unwrap();
}

fn rule_of(e: AppError) -> Rule {
    match e {
        AppError::Invalid(errors) => errors[0].rule.clone(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// Another account's object does not exist, whichever way the lookup says
/// so.
fn not_found(e: &AppError) -> bool {
    matches!(
        e,
        AppError::NotFound | AppError::Denied(konbit_core::Denied::NotFound)
    )
}

fn list(address: &str) -> CreateList {
    CreateList {
        address: address.into(),
        settings: ListSettingsInput::default(),
    }
}

#[tokio::test]
async fn a_list_takes_its_addresses_on_the_domain_and_counts_against_quota() {
    let (_d, app) = app_with(config()).await;
    let radio = member_of(&app, "radio", "o@radio.org").await;
    mail_domain(&app, &radio, "radio", "radio.org").await;
    let made = app
        .lists()
        .create(&radio, list("Nouvelles@radio.org"))
        .await
        .unwrap();
    assert_eq!(made.address(), "nouvelles@radio.org");
    assert_eq!(made.list_id(), "nouvelles.radio.org");
    let mut tx = app.store.read().await.unwrap();
    let q = tx.queue().await.unwrap();
    assert!(
        q.iter()
            .any(|r| r.kind == "mailing_list" && r.object_id == made.id.0)
    );
    let source = tx.mail_domain_source(made.domain_id).await.unwrap();
    assert_eq!(
        source.lists.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        ["nouvelles"]
    );
    drop(tx);

    // The list's own address and Mailman's are no mailbox's or alias's.
    for address in ["nouvelles@radio.org", "nouvelles-bounces@radio.org"] {
        let e = app
            .mailboxes()
            .create(
                &radio,
                CreateMailbox {
                    address: address.into(),
                    password: "a long enough password".into(),
                    quota_mb: None,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(rule_of(e), Rule::ListAddressTaken, "{address}");
    }
    let e = app
        .mail_aliases()
        .create(
            &radio,
            CreateAlias {
                source: "nouvelles-request@radio.org".into(),
                destinations: vec!["o@radio.org".into()],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(rule_of(e), Rule::ListAddressTaken);
    // And the other way round: a list may not take a mailbox's address,
    // nor one Mailman would add beside it.
    app.mailboxes()
        .create(
            &radio,
            CreateMailbox {
                address: "info-owner@radio.org".into(),
                password: "a long enough password".into(),
                quota_mb: None,
            },
        )
        .await
        .unwrap();
    for address in ["info-owner@radio.org", "info@radio.org"] {
        let e = app.lists().create(&radio, list(address)).await.unwrap_err();
        let expected = if address.starts_with("info-owner") {
            Rule::Reserved
        } else {
            Rule::ListAddressTaken
        };
        assert_eq!(rule_of(e), expected, "{address}");
    }
    let e = app
        .lists()
        .create(&radio, list("nouvelles@radio.org"))
        .await
        .unwrap_err();
    assert_eq!(rule_of(e), Rule::NameTaken);

    // Quota: the starter profile has three lists.
    for name in ["b", "c"] {
        app.lists()
            .create(&radio, list(&format!("{name}@radio.org")))
            .await
            .unwrap();
    }
    let e = app
        .lists()
        .create(&radio, list("d@radio.org"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Quota(_)), "{e:?}");
}

#[tokio::test]
async fn another_accounts_lists_do_not_exist_and_delete_keeps_the_name() {
    let (_d, app) = app_with(config()).await;
    let radio = member_of(&app, "radio", "o@radio.org").await;
    let other = member_of(&app, "other", "o@other.org").await;
    mail_domain(&app, &radio, "radio", "radio.org").await;
    mail_domain(&app, &other, "other", "other.org").await;
    let made = app
        .lists()
        .create(&radio, list("team@radio.org"))
        .await
        .unwrap();
    // Another account's domain is not found, its lists neither.
    let e = app
        .lists()
        .create(&other, list("spy@radio.org"))
        .await
        .unwrap_err();
    assert!(not_found(&e), "{e:?}");
    for e in [
        app.lists().get(&other, made.id.0).await.unwrap_err(),
        app.lists()
            .update(&other, made.id.0, ListSettingsInput::default())
            .await
            .unwrap_err(),
        app.lists().delete(&other, made.id.0).await.unwrap_err(),
    ] {
        assert!(not_found(&e), "{e:?}");
    }
    assert!(
        app.lists()
            .list(&other, None, true)
            .await
            .unwrap()
            .is_empty()
    );

    // Settings change, then delete: the routes go, the name stays taken.
    let changed = app
        .lists()
        .update(
            &radio,
            made.id.0,
            ListSettingsInput {
                posting: "moderated".into(),
                description: "Annonces".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.provision.generation, 2);
    app.lists().delete(&radio, made.id.0).await.unwrap();
    let mut tx = app.store.read().await.unwrap();
    assert!(
        tx.mail_domain_source(made.domain_id)
            .await
            .unwrap()
            .lists
            .is_empty()
    );
    drop(tx);
    let e = app
        .lists()
        .create(&radio, list("team@radio.org"))
        .await
        .unwrap_err();
    assert_eq!(rule_of(e), Rule::NameTaken);
    let back = app.lists().restore(&radio, made.id.0).await.unwrap();
    assert!(!back.is_deleted());
    assert_eq!(back.settings.description.as_str(), "Annonces");
}

#[tokio::test]
async fn lists_need_mailman_to_be_set_up() {
    let (_d, app) = app_with(AppConfig::default()).await;
    let radio = member_of(&app, "radio", "o@radio.org").await;
    let e = app
        .lists()
        .create(&radio, list("team@radio.org"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict { .. }), "{e:?}");
}
