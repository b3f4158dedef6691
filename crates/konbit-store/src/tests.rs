//! Store behaviour that the services rely on: constraint mapping, atomic
//! transactions and the queue upsert.

use super::*;
use konbit_core::model::UserId;
use konbit_core::names::{AccountName, DisplayName, EmailAddress, Label};
use konbit_core::page::PageRequest;
use konbit_core::quota::QuotaLimits;

async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("state.db")).await.unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

async fn profile(tx: &mut Tx) -> konbit_core::model::QuotaProfileId {
    tx.insert_quota_profile(
        &NewQuotaProfile {
            name: Label::parse("n", "basic").unwrap(),
            limits: QuotaLimits::starter(),
        },
        1,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn migrate_twice_is_harmless() {
    let (_d, store) = fresh().await;
    store.migrate().await.unwrap();
    let (applied, known) = store.migration_status().await.unwrap();
    assert_eq!(applied, known);
}

#[tokio::test]
async fn duplicates_are_conflicts() {
    let (_d, store) = fresh().await;
    let mut tx = store.write().await.unwrap();
    let p = profile(&mut tx).await;
    let a = NewAccount {
        name: AccountName::parse("n", "radio").unwrap(),
        display_name: DisplayName::parse("n", "Radio").unwrap(),
        quota_profile_id: p,
    };
    tx.insert_account(&a, 1).await.unwrap();
    match tx.insert_account(&a, 1).await {
        Err(StoreError::Conflict { constraint }) => assert_eq!(constraint, "accounts.name"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn dropped_transaction_writes_nothing() {
    let (_d, store) = fresh().await;
    {
        let mut tx = store.write().await.unwrap();
        profile(&mut tx).await;
        tx.enqueue("account", 1, 1, 1).await.unwrap();
        // dropped without commit
    }
    let mut tx = store.read().await.unwrap();
    assert!(tx.quota_profiles().await.unwrap().is_empty());
    assert!(tx.queue().await.unwrap().is_empty());
}

#[tokio::test]
async fn enqueue_keeps_the_newest_generation() {
    let (_d, store) = fresh().await;
    let mut tx = store.write().await.unwrap();
    tx.enqueue("account", 5, 3, 10).await.unwrap();
    tx.enqueue("account", 5, 2, 11).await.unwrap();
    tx.enqueue("account", 6, 1, 11).await.unwrap();
    let q = tx.queue().await.unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q.iter().find(|r| r.object_id == 5).unwrap().generation, 3);
}

#[tokio::test]
async fn account_search_and_membership_filter() {
    let (_d, store) = fresh().await;
    let mut tx = store.write().await.unwrap();
    let p = profile(&mut tx).await;
    for (n, d) in [
        ("radio", "Radio Centre-Ville"),
        ("tenants", "Tenants_Union"),
        ("garden", "Jardin 100%"),
    ] {
        tx.insert_account(
            &NewAccount {
                name: AccountName::parse("n", n).unwrap(),
                display_name: DisplayName::parse("n", d).unwrap(),
                quota_profile_id: p,
            },
            1,
        )
        .await
        .unwrap();
    }
    let uid = tx
        .insert_user(
            &NewUser {
                email: EmailAddress::parse("e", "a@b.org").unwrap(),
                display_name: DisplayName::parse("n", "A").unwrap(),
                password_hash: "x".into(),
                is_admin: false,
                locale: None,
            },
            1,
        )
        .await
        .unwrap();
    let garden = tx.account_by_name("garden").await.unwrap();
    tx.upsert_membership(garden.id, uid, konbit_core::model::Role::Owner, 1)
        .await
        .unwrap();

    let search = |s: &str| AccountFilter {
        search: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(
        tx.accounts(&search("centre"), PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );
    // `_` and `%` are literal characters, not wildcards.
    assert_eq!(
        tx.accounts(&search("s_u"), PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        tx.accounts(&search("100%"), PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );
    let mine = AccountFilter {
        member: Some(uid),
        ..Default::default()
    };
    let page = tx.accounts(&mine, PageRequest::default()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].name.as_str(), "garden");
    let all = tx
        .accounts(
            &AccountFilter::default(),
            PageRequest::new(Some(2), Some(2)),
        )
        .await
        .unwrap();
    assert_eq!((all.total, all.items.len()), (3, 1));
    assert!(tx.user(UserId(999)).await.is_err());
}
