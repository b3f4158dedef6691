//! SFTP accounts and databases over a real store: quota, names, passwords
//! kept only as hashes, the queue, and other accounts kept out.

use crate::database::{DatabaseConfig, DatabaseInput, DatabaseUserInput, EngineConfig};
use crate::sftp::{SftpConfig, SftpInput, SftpUpdate};
use crate::tests::{app_with, member_of};
use crate::*;

fn config() -> AppConfig {
    AppConfig {
        sftp: SftpConfig {
            enabled: true,
            public_host: "sftp.coop.test".into(),
            public_port: 22,
        },
        databases: DatabaseConfig {
            mariadb: Some(EngineConfig {
                public_host: "localhost".into(),
                public_port: 3306,
            }),
            postgresql: Some(EngineConfig {
                public_host: "localhost".into(),
                public_port: 5432,
            }),
            ..DatabaseConfig::default()
        },
        ..AppConfig::default()
    }
}

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH me@laptop";

#[tokio::test]
async fn sftp_accounts_hash_passwords_count_against_quota_and_stay_in_their_account() {
    let (_d, app) = app_with(config()).await;
    let radio = member_of(&app, "radio", "o@radio.org").await;
    let other = member_of(&app, "other", "o@other.org").await;
    let made = app
        .sftp()
        .create(
            &radio,
            SftpInput {
                account: "radio".into(),
                suffix: "web".into(),
                dir: "www".into(),
                generate_password: true,
                keys: KEY.into(),
                ..SftpInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(made.sftp.login.as_str(), "radio_web");
    let shown = made.password.clone().unwrap_or_default();
    assert!(shown.len() >= 12);
    assert_eq!(made.sftp.keys.len(), 1);
    // The store keeps a crypt hash, never the password.
    let mut tx = app.store.read().await.unwrap();
    let (served, unreadable) = tx.served_sftp_accounts().await.unwrap();
    assert!(unreadable.is_empty());
    let hash = served[0].password_hash.clone().unwrap_or_default();
    assert!(konbit_core::crypt::is_crypt_hash(&hash), "{hash}");
    assert!(!hash.contains(&shown));
    let q = tx.queue().await.unwrap();
    assert!(
        q.iter()
            .any(|r| r.kind == "sftp_account" && r.object_id == made.sftp.id.0)
    );
    drop(tx);

    // Neither a password nor a key: nobody could log in.
    let err = app
        .sftp()
        .create(
            &radio,
            SftpInput {
                account: "radio".into(),
                suffix: "nokey".into(),
                ..SftpInput::default()
            },
        )
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("NeedsPasswordOrKey"), "{err:?}");
    // A hostile suffix or key is refused with its field.
    for (suffix, keys) in [("a:b", KEY), ("ok", "ssh-ed25519 AAAA\nroot")] {
        let err = app
            .sftp()
            .create(
                &radio,
                SftpInput {
                    account: "radio".into(),
                    suffix: suffix.into(),
                    keys: keys.into(),
                    ..SftpInput::default()
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(_)), "{err:?}");
    }
    // Another account sees nothing and cannot change it.
    assert!(app.sftp().list(&other, None).await.unwrap().is_empty());
    let hidden = app.sftp().get(&other, made.sftp.id.0).await.unwrap_err();
    assert_eq!(hidden.code(), konbit_core::ErrorCode::NotFound);
    assert!(
        app.sftp()
            .create(
                &other,
                SftpInput {
                    account: "radio".into(),
                    suffix: "x".into(),
                    keys: KEY.into(),
                    ..SftpInput::default()
                },
            )
            .await
            .is_err()
    );
    // Disabled: no longer served.
    app.sftp()
        .set_enabled(&radio, made.sftp.id.0, false)
        .await
        .unwrap();
    let mut tx = app.store.read().await.unwrap();
    assert!(tx.served_sftp_accounts().await.unwrap().0.is_empty());
    drop(tx);
    // Removing the password leaves the key.
    let updated = app
        .sftp()
        .update(
            &radio,
            made.sftp.id.0,
            SftpUpdate {
                password: Some(String::new()),
                ..SftpUpdate::default()
            },
        )
        .await
        .unwrap();
    assert!(!updated.sftp.has_password);
    // The starter profile allows 3.
    for suffix in ["b", "c"] {
        app.sftp()
            .create(
                &radio,
                SftpInput {
                    account: "radio".into(),
                    suffix: suffix.into(),
                    keys: KEY.into(),
                    ..SftpInput::default()
                },
            )
            .await
            .unwrap();
    }
    let err = app
        .sftp()
        .create(
            &radio,
            SftpInput {
                account: "radio".into(),
                suffix: "d".into(),
                keys: KEY.into(),
                ..SftpInput::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Quota(_)), "{err:?}");
}

#[tokio::test]
async fn databases_keep_verifiers_refuse_taken_names_and_other_accounts() {
    let (_d, app) = app_with(config()).await;
    let radio = member_of(&app, "my-radio", "o@radio.org").await;
    let other = member_of(&app, "other", "o@other.org").await;
    let db = app
        .databases()
        .create(
            &radio,
            DatabaseInput {
                account: "my-radio".into(),
                engine: "mariadb".into(),
                suffix: "wp".into(),
                password: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(db.database.name.as_str(), "my_radio_wp");
    let password = db.password.clone().unwrap_or_default();
    let connection = db.connection.clone().unwrap();
    assert_eq!(
        connection.url,
        "mysql://my_radio_wp@localhost:3306/my_radio_wp"
    );
    assert!(!connection.url.contains(&password));
    let mut tx = app.store.read().await.unwrap();
    let source = tx.database_source(db.database.id).await.unwrap();
    assert_eq!(
        source.users[0].1,
        konbit_core::db_verifier::mysql_native(&password)
    );
    drop(tx);
    // The same name on the same engine is taken; on PostgreSQL it is free.
    let again = DatabaseInput {
        account: "my-radio".into(),
        engine: "mariadb".into(),
        suffix: "wp".into(),
        password: "Correct-Horse-9".into(),
    };
    let err = app
        .databases()
        .create(&radio, again.clone())
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("NameTaken"), "{err:?}");
    let pg = app
        .databases()
        .create(
            &radio,
            DatabaseInput {
                engine: "postgresql".into(),
                ..again
            },
        )
        .await
        .unwrap();
    assert!(pg.password.is_none());
    let mut tx = app.store.read().await.unwrap();
    let source = tx.database_source(pg.database.id).await.unwrap();
    assert!(konbit_core::db_verifier::is_scram(&source.users[0].1));
    drop(tx);
    // Hostile values never pass.
    for (suffix, password) in [
        ("w'p", ""),
        ("wp2", "with'quote-long"),
        ("wp3", "nul\0-long-long"),
    ] {
        let err = app
            .databases()
            .create(
                &radio,
                DatabaseInput {
                    account: "my-radio".into(),
                    engine: "mariadb".into(),
                    suffix: suffix.into(),
                    password: password.into(),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(_)), "{suffix}: {err:?}");
    }
    // An extra read-only user; the owner cannot be removed.
    let with_user = app
        .databases()
        .add_user(
            &radio,
            db.database.id.0,
            DatabaseUserInput {
                suffix: "reader".into(),
                right: "read_only".into(),
                password: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(with_user.users.len(), 2);
    let owner = with_user.users[0].id.0;
    assert!(
        app.databases()
            .delete_user(&radio, db.database.id.0, owner)
            .await
            .is_err()
    );
    // Another account sees nothing.
    assert!(
        app.databases()
            .list(&other, None, false)
            .await
            .unwrap()
            .is_empty()
    );
    let hidden = app
        .databases()
        .get(&other, db.database.id.0)
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), konbit_core::ErrorCode::NotFound);
    // Delete, then restore within the grace period.
    app.databases()
        .delete(&radio, db.database.id.0)
        .await
        .unwrap();
    assert_eq!(
        app.databases()
            .list(&radio, None, true)
            .await
            .unwrap()
            .len(),
        1
    );
    app.databases()
        .restore(&radio, db.database.id.0)
        .await
        .unwrap();
    // Sizes over the limit make it read-only (and queue it).
    let (_d2, limited) = app_with(AppConfig {
        databases: DatabaseConfig {
            max_size_mb: 1,
            ..config().databases
        },
        ..config()
    })
    .await;
    let r = member_of(&limited, "radio", "o@radio.org").await;
    let small = limited
        .databases()
        .create(
            &r,
            DatabaseInput {
                account: "radio".into(),
                engine: "postgresql".into(),
                suffix: "big".into(),
                password: String::new(),
            },
        )
        .await
        .unwrap();
    let mut sizes = std::collections::HashMap::new();
    sizes.insert(
        (
            konbit_core::database::DbEngine::Postgresql,
            "radio_big".to_owned(),
        ),
        5 * 1024 * 1024,
    );
    assert_eq!(limited.databases().record_sizes(&sizes).await.unwrap(), 1);
    let v = limited
        .databases()
        .get(&r, small.database.id.0)
        .await
        .unwrap();
    assert!(v.database.read_only && v.over_size);
}
