//! Service behaviour over a real store: authorization, validation, quota,
//! audit and queue written together, and nothing half-applied.

use crate::account::{CreateAccount, OwnerInput, UpdateAccount};
use crate::auth::ClientInfo;
use crate::quota_profile::ProfileInput;
use crate::user::{AddPerson, NewAdmin};
use crate::*;
use konbit_core::model::Role;
use konbit_core::page::PageRequest;
use konbit_core::quota::QuotaLimits;

async fn app() -> (tempfile::TempDir, App) {
    app_with(AppConfig::default()).await
}

pub(crate) async fn app_with(config: AppConfig) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, config);
    let cli = Actor::operator_cli();
    app.quota_profiles()
        .create(
            &cli,
            ProfileInput {
                name: "basic".into(),
                limits: QuotaLimits::starter(),
            },
        )
        .await
        .unwrap();
    (dir, app)
}

pub(crate) fn owner(email: &str) -> OwnerInput {
    OwnerInput {
        email: email.into(),
        display_name: "Owner".into(),
        password: "a long enough password".into(),
    }
}

pub(crate) async fn actor_for(app: &App, email: &str) -> Actor {
    let s = app
        .auth()
        .sign_in(email, "a long enough password", None, ClientInfo::default())
        .await
        .unwrap();
    app.auth()
        .session(&s.cookie_value, None)
        .await
        .unwrap()
        .unwrap()
        .actor
}

#[tokio::test]
async fn create_account_writes_audit_and_queue_in_one_go() {
    let (_d, app) = app().await;
    let cli = Actor::operator_cli();
    let acc = app
        .accounts()
        .create(
            &cli,
            CreateAccount {
                name: "radio".into(),
                display_name: "Radio".into(),
                owner: Some(owner("o@radio.org")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut tx = app.store.read().await.unwrap();
    let q = tx.queue().await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].kind.as_str(), q[0].object_id), ("account", acc.id.0));
    let audit = tx.audit_entries(Some(acc.id), 10).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "account_created"));
    assert!(audit.iter().any(|e| e.action == "membership_added"));
}

#[tokio::test]
async fn a_bad_owner_leaves_nothing_behind() {
    let (_d, app) = app().await;
    let cli = Actor::operator_cli();
    let bad = OwnerInput {
        email: "o@radio.org".into(),
        display_name: "Owner".into(),
        password: "short".into(),
    };
    let err = app
        .accounts()
        .create(
            &cli,
            CreateAccount {
                name: "radio".into(),
                display_name: "Radio".into(),
                owner: Some(bad),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Invalid(f) if f[0].field == "owner_password"),
        "{err:?}"
    );
    let mut tx = app.store.read().await.unwrap();
    assert!(
        tx.account_by_name("radio").await.is_err(),
        "the account must not exist"
    );
    assert!(tx.queue().await.unwrap().is_empty());
    assert_eq!(
        tx.audit_count().await.unwrap(),
        1,
        "only the profile creation is audited"
    );
}

#[tokio::test]
async fn all_field_errors_come_back_at_once() {
    let (_d, app) = app().await;
    let err = app
        .accounts()
        .create(
            &Actor::operator_cli(),
            CreateAccount {
                name: "X".into(),
                display_name: "".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let AppError::Invalid(fields) = err else {
        panic!()
    };
    let names: Vec<_> = fields.iter().map(|f| f.field).collect();
    assert_eq!(names, ["name", "display_name"]);
}

#[tokio::test]
async fn duplicates_are_reported_on_the_field() {
    let (_d, app) = app().await;
    let cli = Actor::operator_cli();
    let input = CreateAccount {
        name: "radio".into(),
        display_name: "Radio".into(),
        ..Default::default()
    };
    app.accounts().create(&cli, input.clone()).await.unwrap();
    let err = app.accounts().create(&cli, input).await.unwrap_err();
    assert!(matches!(err, AppError::Duplicate { field: "name" }));
    assert_eq!(err.code(), konbit_core::ErrorCode::Duplicate);
}

#[tokio::test]
async fn owners_manage_people_members_do_not_and_others_see_nothing() {
    let (_d, app) = app().await;
    let cli = Actor::operator_cli();
    let a = app
        .accounts()
        .create(
            &cli,
            CreateAccount {
                name: "radio".into(),
                display_name: "Radio".into(),
                owner: Some(owner("o@radio.org")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let b = app
        .accounts()
        .create(
            &cli,
            CreateAccount {
                name: "garden".into(),
                display_name: "Garden".into(),
                owner: Some(owner("o@garden.org")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let owner_a = actor_for(&app, "o@radio.org").await;
    let add = AddPerson {
        email: "m@radio.org".into(),
        display_name: "M".into(),
        password: "a long enough password".into(),
        role: Role::Member,
    };
    app.users()
        .add_to_account(&owner_a, a.id, add.clone())
        .await
        .unwrap();
    let member_a = actor_for(&app, "m@radio.org").await;
    assert!(matches!(
        app.users()
            .add_to_account(&member_a, a.id, add.clone())
            .await,
        Err(AppError::Denied(konbit_core::Denied::Forbidden))
    ));
    assert!(matches!(
        app.users()
            .add_to_account(&owner_a, b.id, add.clone())
            .await,
        Err(AppError::Denied(konbit_core::Denied::NotFound))
    ));
    assert!(matches!(
        app.accounts().get(&owner_a, b.id).await,
        Err(AppError::Denied(konbit_core::Denied::NotFound))
    ));
    let mine = app
        .accounts()
        .list(&member_a, Default::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        mine.items
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["radio"]
    );
    // The last owner cannot leave or be demoted.
    let o = owner_a.user_id.unwrap();
    assert!(matches!(
        app.users().remove_from_account(&owner_a, a.id, o).await,
        Err(AppError::Conflict {
            code: konbit_core::ErrorCode::LastOwner,
            ..
        })
    ));
    assert!(matches!(
        app.users().set_role(&cli, a.id, o, Role::Member).await,
        Err(AppError::Conflict { .. })
    ));
}

#[tokio::test]
async fn lock_blocks_changes_and_delete_hides_until_restored() {
    let (_d, app) = app().await;
    let cli = Actor::operator_cli();
    let a = app
        .accounts()
        .create(
            &cli,
            CreateAccount {
                name: "radio".into(),
                display_name: "Radio".into(),
                owner: Some(owner("o@radio.org")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let owner_a = actor_for(&app, "o@radio.org").await;
    app.accounts()
        .set_locked(&cli, a.id, Some("dues unpaid".into()))
        .await
        .unwrap();
    let add = AddPerson {
        email: "m@radio.org".into(),
        display_name: "M".into(),
        password: "a long enough password".into(),
        role: Role::Member,
    };
    assert!(matches!(
        app.users()
            .add_to_account(&owner_a, a.id, add.clone())
            .await,
        Err(AppError::Denied(konbit_core::Denied::AccountLocked))
    ));
    assert!(
        app.accounts().get(&owner_a, a.id).await.unwrap().locked,
        "a locked account stays visible"
    );
    app.accounts().set_locked(&cli, a.id, None).await.unwrap();
    app.users()
        .add_to_account(&owner_a, a.id, add)
        .await
        .unwrap();

    let deleted = app.accounts().delete(&cli, a.id).await.unwrap();
    assert!(deleted.purge_after.unwrap() > deleted.deleted_at.unwrap());
    assert!(app.accounts().get(&owner_a, a.id).await.is_err());
    assert!(
        app.accounts().purge_expired(&cli).await.unwrap().is_empty(),
        "grace period not over"
    );
    app.accounts().restore(&cli, a.id).await.unwrap();
    assert_eq!(
        app.accounts()
            .get(&owner_a, a.id)
            .await
            .unwrap()
            .name
            .as_str(),
        "radio"
    );
}

#[tokio::test]
async fn purge_removes_after_the_grace_period() {
    let (_d, mut app) = app().await;
    app.config.deletion_grace_secs = -1;
    let cli = Actor::operator_cli();
    let a = app
        .accounts()
        .create(
            &cli,
            CreateAccount {
                name: "radio".into(),
                display_name: "Radio".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.accounts().delete(&cli, a.id).await.unwrap();
    assert_eq!(
        app.accounts().purge_expired(&cli).await.unwrap(),
        vec![a.id]
    );
    assert!(app.accounts().get(&cli, a.id).await.is_err());
}

#[tokio::test]
async fn sessions_rotate_expire_and_end_everywhere() {
    let (_d, mut app) = app().await;
    let cli = Actor::operator_cli();
    app.users()
        .create_admin(
            &cli,
            NewAdmin {
                email: "admin@coop.org".into(),
                display_name: "Admin".into(),
                password: "a long enough password".into(),
            },
        )
        .await
        .unwrap();
    let auth = app.auth();
    assert!(matches!(
        auth.sign_in(
            "admin@coop.org",
            "wrong password!!",
            None,
            ClientInfo::default()
        )
        .await,
        Err(AppError::InvalidCredentials)
    ));
    assert!(matches!(
        auth.sign_in(
            "nobody@coop.org",
            "wrong password!!",
            None,
            ClientInfo::default()
        )
        .await,
        Err(AppError::InvalidCredentials)
    ));
    let first = auth
        .sign_in(
            "admin@coop.org",
            "a long enough password",
            None,
            ClientInfo::default(),
        )
        .await
        .unwrap();
    let second = auth
        .sign_in(
            "Admin@Coop.org",
            "a long enough password",
            Some(&first.cookie_value),
            ClientInfo::default(),
        )
        .await
        .unwrap();
    assert_ne!(first.cookie_value, second.cookie_value);
    assert!(
        auth.session(&first.cookie_value, None)
            .await
            .unwrap()
            .is_none(),
        "the old id is gone"
    );
    let info = auth
        .session(&second.cookie_value, None)
        .await
        .unwrap()
        .unwrap();
    assert!(info.actor.is_admin);
    let third = auth
        .sign_in(
            "admin@coop.org",
            "a long enough password",
            None,
            ClientInfo::default(),
        )
        .await
        .unwrap();
    assert_eq!(auth.sign_out_everywhere(&info.actor).await.unwrap(), 2);
    assert!(
        auth.session(&third.cookie_value, None)
            .await
            .unwrap()
            .is_none()
    );

    app.config.session_idle_secs = 0;
    let s = app
        .auth()
        .sign_in(
            "admin@coop.org",
            "a long enough password",
            None,
            ClientInfo::default(),
        )
        .await
        .unwrap();
    assert!(
        app.auth()
            .session(&s.cookie_value, None)
            .await
            .unwrap()
            .is_none(),
        "idle expiry"
    );
}

#[tokio::test]
async fn tokens_are_hashed_scoped_and_revocable() {
    let (_d, app) = app().await;
    let cli = Actor::operator_cli();
    let admin = app
        .users()
        .create_admin(
            &cli,
            NewAdmin {
                email: "admin@coop.org".into(),
                display_name: "Admin".into(),
                password: "a long enough password".into(),
            },
        )
        .await
        .unwrap();
    let created = app
        .tokens()
        .create_for(
            &cli,
            admin.id,
            crate::token::CreateToken {
                name: "ci".into(),
                scopes: vec!["accounts:read".into()],
                expires_in_days: Some(30),
                account_id: None,
            },
        )
        .await
        .unwrap();
    assert!(created.secret.starts_with("konbit_"));
    let actor = app
        .auth()
        .token_actor(&created.secret, None)
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.accounts()
            .list(&actor, Default::default(), PageRequest::default())
            .await
            .is_ok()
    );
    let err = app
        .accounts()
        .create(
            &actor,
            CreateAccount {
                name: "radio".into(),
                display_name: "R".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), konbit_core::ErrorCode::InsufficientScope);
    // A token cannot mint a wider token.
    let wider = crate::token::CreateToken {
        name: "x".into(),
        scopes: vec!["accounts:write".into()],
        expires_in_days: None,
        account_id: None,
    };
    assert!(app.tokens().create(&actor, wider).await.is_err());
    let mut tx = app.store.read().await.unwrap();
    assert!(
        tx.live_token_by_hash(&created.secret, now())
            .await
            .unwrap()
            .is_none(),
        "the secret itself is not stored"
    );
    drop(tx);
    assert_eq!(
        app.tokens()
            .revoke(&actor, created.token.id)
            .await
            .unwrap_err()
            .code(),
        konbit_core::ErrorCode::InsufficientScope
    );
    let session = actor_for(&app, "admin@coop.org").await;
    app.tokens()
        .revoke(&session, created.token.id)
        .await
        .unwrap();
    assert!(
        app.auth()
            .token_actor(&created.secret, None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn profile_in_use_cannot_be_deleted_and_updates_apply() {
    let (_d, app) = app().await;
    let cli = Actor::operator_cli();
    let a = app
        .accounts()
        .create(
            &cli,
            CreateAccount {
                name: "radio".into(),
                display_name: "Radio".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = app
        .quota_profiles()
        .delete(&cli, a.quota_profile_id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), konbit_core::ErrorCode::ProfileInUse);
    let big = app
        .quota_profiles()
        .create(
            &cli,
            ProfileInput {
                name: "big".into(),
                limits: QuotaLimits {
                    sites: 50,
                    ..QuotaLimits::starter()
                },
            },
        )
        .await
        .unwrap();
    app.accounts()
        .update(
            &cli,
            a.id,
            UpdateAccount {
                quota_profile_id: Some(big.id.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ov = app.accounts().overview(&cli, a.id).await.unwrap();
    let sites = ov
        .quota
        .iter()
        .find(|l| l.resource == konbit_core::quota::Resource::Sites)
        .unwrap();
    assert_eq!((sites.used, sites.limit), (0, 50));
    let bad = app
        .quota_profiles()
        .create(
            &cli,
            ProfileInput {
                name: "huge".into(),
                limits: QuotaLimits {
                    aliases: u64::MAX,
                    ..Default::default()
                },
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(bad, AppError::Invalid(ref f) if f[0].field == "aliases"));
}

/// An account with its owner, signed in.
pub(crate) async fn member_of(app: &App, account: &str, email: &str) -> Actor {
    app.accounts()
        .create(
            &Actor::operator_cli(),
            CreateAccount {
                name: account.into(),
                display_name: account.into(),
                owner: Some(owner(email)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    actor_for(app, email).await
}
