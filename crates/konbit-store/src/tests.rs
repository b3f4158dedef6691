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
    // `_` and `%` are literal characters, not wildcards: "t_nants" would
    // match "tenants" if `_` were a wildcard; "s_u" is in "tenants_union".
    assert_eq!(
        tx.accounts(&search("s_u"), PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        tx.accounts(&search("t_nants"), PageRequest::default())
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

fn audit_entry<'a>(
    actor: &'a konbit_core::authz::Actor,
    action: &'a str,
    account: Option<i64>,
    new: serde_json::Value,
) -> NewAuditEntry<'a> {
    NewAuditEntry {
        actor,
        impersonator: None,
        action,
        object_kind: "account",
        object_id: account.unwrap_or(0).to_string(),
        account_id: account.map(konbit_core::model::AccountId),
        old_value: None,
        new_value: Some(new),
    }
}

#[tokio::test]
async fn audit_entries_are_chained_redacted_and_filtered() {
    let (_d, store) = fresh().await;
    let cli = konbit_core::authz::Actor::operator_cli();
    let mut tx = store.write().await.unwrap();
    for (i, account) in [Some(1), Some(2), None, Some(1)].into_iter().enumerate() {
        let new = serde_json::json!({ "n": i, "password_hash": "$argon2id$secret", "nested": { "secret_hash": "s3cr3t" } });
        tx.insert_audit(
            audit_entry(&cli, "account_updated", account, new),
            100 + i as i64,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let report = tx.verify_audit_chain().await.unwrap();
    assert_eq!(report.entries, 4);
    assert_eq!(report.first_bad, None);
    let all = tx.audit_entries(None, 10).await.unwrap();
    for e in &all {
        let v = e.new_value.as_deref().unwrap();
        assert!(!v.contains("argon2id") && !v.contains("s3cr3t"), "{v}");
    }
    assert_eq!(all[0].prev_hash.as_deref(), all[1].hash.as_deref());

    let only_1 = AuditFilter {
        visible_accounts: Some(vec![konbit_core::model::AccountId(1)]),
        ..Default::default()
    };
    let page = tx
        .audit_page(&only_1, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert!(page.items.iter().all(|e| e.account_id == Some(1)));
    let nothing = AuditFilter {
        visible_accounts: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(
        tx.audit_page(&nothing, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    let dates = AuditFilter {
        from: Some(101),
        to: Some(103),
        ..Default::default()
    };
    assert_eq!(
        tx.audit_page(&dates, PageRequest::default())
            .await
            .unwrap()
            .total,
        2
    );
    let by_label = AuditFilter {
        actor_label: Some("cli".into()),
        ..Default::default()
    };
    assert_eq!(
        tx.audit_page(&by_label, PageRequest::default())
            .await
            .unwrap()
            .total,
        4
    );
    drop(tx);

    // Tampering with a stored row names it.
    sqlx::query("UPDATE audit_log SET new_value = '{}' WHERE id = 2")
        .execute(&store.pool)
        .await
        .unwrap();
    let report = store
        .read()
        .await
        .unwrap()
        .verify_audit_chain()
        .await
        .unwrap();
    let bad = report.first_bad.unwrap();
    assert_eq!(
        (bad.id, bad.problem),
        (2, konbit_core::audit::Problem::Modified)
    );
}

#[tokio::test]
async fn entries_written_before_the_chain_are_backfilled_once() {
    let (_d, store) = fresh().await;
    let cli = konbit_core::authz::Actor::operator_cli();
    let mut tx = store.write().await.unwrap();
    for i in 0..3 {
        tx.insert_audit(
            audit_entry(&cli, "account_created", Some(i), serde_json::json!({})),
            i,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    // As they were before migration 0004.
    sqlx::query("UPDATE audit_log SET prev_hash = NULL, hash = NULL")
        .execute(&store.pool)
        .await
        .unwrap();
    let report = store
        .read()
        .await
        .unwrap()
        .verify_audit_chain()
        .await
        .unwrap();
    assert_eq!(
        report.first_bad.unwrap().problem,
        konbit_core::audit::Problem::Unhashed
    );
    store.migrate().await.unwrap();
    let report = store
        .read()
        .await
        .unwrap()
        .verify_audit_chain()
        .await
        .unwrap();
    assert_eq!((report.entries, report.first_bad), (3, None));
    // The chain goes on from the backfilled entries.
    let mut tx = store.write().await.unwrap();
    tx.insert_audit(
        audit_entry(&cli, "account_updated", Some(1), serde_json::json!({})),
        9,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.backfill_audit_chain().await.unwrap(), 0);
    drop(tx);
    let report = store
        .read()
        .await
        .unwrap()
        .verify_audit_chain()
        .await
        .unwrap();
    assert_eq!((report.entries, report.first_bad), (4, None));
}

#[tokio::test]
async fn the_decision_log_chains_its_entries_and_the_database_refuses_to_rewrite_them() {
    let (_d, store) = fresh().await;
    let mut tx = store.write().await.unwrap();
    for (i, outcome) in ["adopted", "rejected"].into_iter().enumerate() {
        tx.append_decision(
            NewDecision {
                proposal_id: konbit_core::model::ProposalId(i as i64 + 1),
                event: "decided",
                body: "General assembly".into(),
                title: format!("Proposal {i}"),
                text: "Text".into(),
                text_hash: "ab".repeat(32),
                method: "yes_no".into(),
                tally: Some("{}".into()),
                outcome: outcome.into(),
                detail: None,
            },
            100 + i as i64,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let report = tx.verify_decision_chain().await.unwrap();
    assert_eq!((report.entries, report.first_bad), (2, None));
    let first = tx.decision(1).await.unwrap();
    assert_eq!(tx.decision(2).await.unwrap().prev_hash, first.hash);
    assert_eq!(report.head, tx.decision(2).await.unwrap().hash);
    for sql in [
        "UPDATE decision_log SET outcome = 'adopted' WHERE id = 2",
        "DELETE FROM decision_log WHERE id = 1",
    ] {
        let refused = sqlx::query(sql).execute(tx.conn()).await;
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("the decision log is append-only"),
            "{sql}"
        );
    }
    // Around the triggers (an attacker with the file), the chain tells.
    sqlx::query("DROP TRIGGER decision_log_no_update")
        .execute(tx.conn())
        .await
        .unwrap();
    sqlx::query("UPDATE decision_log SET outcome = 'adopted' WHERE id = 2")
        .execute(tx.conn())
        .await
        .unwrap();
    let report = tx.verify_decision_chain().await.unwrap();
    let bad = report.first_bad.unwrap();
    assert_eq!(
        (bad.id, bad.problem),
        (2, konbit_core::audit::Problem::Modified)
    );
}
