//! The list provisioner against a real SQLite store and a real Mailman 3
//! core (the testkit's): a list is made with its settings mapped, a
//! changed setting is written and nothing else, a second apply changes
//! nothing, a soft-deleted list stays whole, and the purge deletes the
//! list and its then empty domain. A setting changed in Mailman is set
//! back.
//!
//! Skipped when Mailman is not installed, unless `REQUIRE_LISTS_TESTS=1`.
//! The binary's name puts it in nextest's `mailman` group.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use konbit_core::list::{
    ListDescription, ListLanguage, ListName, ListSettings, PostingPolicy, ReplyTo,
    SubscriptionPolicy,
};
use konbit_core::model::{AccountId, DomainId, MailingListId, Timestamp};
use konbit_core::names::{AccountName, DisplayName, EmailAddress, Fqdn, Label};
use konbit_core::quota::QuotaLimits;
use konbit_provision::Provisioner;
use konbit_provision::lists::ListProvisioner;
use konbit_provision::lists::mailman::{
    Action, ArchivePolicy, DmarcMitigation, ListAddress, MailHost, MailmanClient, ReplyGoesToList,
    SubscriptionPolicy as MailmanSubscription,
};
use konbit_store::{NewAccount, NewDomain, NewQuotaProfile, Store};
use konbit_testkit::daemon::free_port;
use konbit_testkit::mailman::{Mailman, MailmanOptions, REQUIRE_ENV};
use std::net::SocketAddr;

const T0: Timestamp = 1_000_000;

struct Fixture {
    store: Store,
    client: MailmanClient,
    provisioner: ListProvisioner,
    mailman: Mailman,
    domain: DomainId,
    account: AccountId,
    _dir: tempfile::TempDir,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- Mailman's log ---\n{}", self.mailman.log_tail(60));
        }
    }
}

async fn start() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: what Mailman sends waits in its queue.
    let smtp = SocketAddr::from(([127, 0, 0, 1], free_port().unwrap()));
    let options = MailmanOptions {
        smtp,
        smtp_auth: None,
    };
    let Some(mailman) = Mailman::try_start(&dir.path().join("mailman"), options)
        .await
        .unwrap()
    else {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "Mailman is not installed, and {REQUIRE_ENV} is set"
        );
        eprintln!("skipped: Mailman 3 is not installed");
        return None;
    };
    let client = || {
        MailmanClient::new(
            &mailman.rest_url(),
            mailman.rest_user(),
            mailman.rest_password(),
        )
        .unwrap()
    };
    let store = Store::open(&dir.path().join("state.db")).await.unwrap();
    store.migrate().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let profile = tx
        .insert_quota_profile(
            &NewQuotaProfile {
                name: Label::parse("name", "basic").unwrap(),
                limits: QuotaLimits::starter(),
            },
            T0,
        )
        .await
        .unwrap();
    let account = tx
        .insert_account(
            &NewAccount {
                name: AccountName::parse("name", "coop").unwrap(),
                display_name: DisplayName::parse("display_name", "Coop").unwrap(),
                quota_profile_id: profile,
            },
            T0,
        )
        .await
        .unwrap();
    let domain = tx
        .insert_domain(
            &NewDomain {
                account_id: account,
                name: Fqdn::parse("domain", "coop.example.test", 2).unwrap(),
                alias_of: None,
                dnssec: false,
                mail: true,
            },
            1,
            T0,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let record = dir
        .path()
        .join("state")
        .join("lists")
        .join("provisioned.json");
    let provisioner = ListProvisioner::new(store.clone(), client(), record);
    Some(Fixture {
        store,
        client: client(),
        provisioner,
        mailman,
        domain,
        account,
        _dir: dir,
    })
}

impl Fixture {
    async fn add(&self, name: &str, settings: &ListSettings) -> MailingListId {
        let mut tx = self.store.write().await.unwrap();
        let id = tx
            .insert_mailing_list(
                self.account,
                self.domain,
                &ListName::parse("name", name).unwrap(),
                settings,
                T0,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }
}

fn address(name: &str) -> ListAddress {
    ListAddress::new(name, &MailHost::parse("coop.example.test").unwrap()).unwrap()
}

#[tokio::test]
async fn a_list_follows_the_store_into_mailman_and_out() {
    let Some(f) = start().await else { return };
    let p = &f.provisioner;
    let settings = ListSettings {
        description: ListDescription::parse("d", "Le bureau").unwrap(),
        subscription: SubscriptionPolicy::Moderate,
        posting: PostingPolicy::Members,
        reply_to: ReplyTo::List,
        munge_from: true,
        archives: true,
        digest: false,
        language: ListLanguage::Fr,
    };
    let id = f.add("bureau", &settings).await;
    let other = f.add("news", &ListSettings::default()).await;
    let list_id = address("bureau").list_id();

    // The dry run says what would be made, and makes nothing.
    let plan = p.plan(id.0, Some(1)).await.unwrap();
    assert!(plan[0].starts_with("create the list bureau@"), "{plan:?}");
    assert!(f.client.list(&list_id).await.unwrap().is_none());

    let applied = p.apply(id.0, 1).await.unwrap();
    assert_eq!(applied.changes.len(), 2, "{applied:?}");
    let list = f.client.list(&list_id).await.unwrap().unwrap();
    assert_eq!(list.fqdn_listname, "bureau@coop.example.test");
    let s = f.client.settings(&list_id).await.unwrap();
    assert_eq!(s.display_name, "bureau");
    assert_eq!(s.description, "Le bureau");
    assert_eq!(
        s.subscription_policy,
        MailmanSubscription::ConfirmThenModerate
    );
    assert_eq!(s.default_member_action, Action::Defer);
    assert_eq!(s.default_nonmember_action, Action::Hold);
    assert_eq!(s.reply_goes_to_list, ReplyGoesToList::PointToList);
    assert_eq!(s.dmarc_mitigate_action, DmarcMitigation::MungeFrom);
    assert!(s.dmarc_mitigate_unconditionally);
    assert_eq!(s.archive_policy, ArchivePolicy::Private);
    assert!(!s.digests_enabled);
    assert_eq!(s.preferred_language, "fr");
    assert!(!s.advertised);

    // Applying again changes nothing, and the plan is empty.
    assert!(p.apply(id.0, 1).await.unwrap().changes.is_empty());
    assert!(p.plan(id.0, Some(1)).await.unwrap().is_empty());

    // A changed setting is written, alone.
    let changed = ListSettings {
        posting: PostingPolicy::Moderated,
        reply_to: ReplyTo::Address(EmailAddress::parse("r", "ca@coop.example.test").unwrap()),
        ..settings.clone()
    };
    let mut tx = f.store.write().await.unwrap();
    let g = tx.update_mailing_list(id, &changed, T0 + 1).await.unwrap();
    tx.commit().await.unwrap();
    let plan = p.plan(id.0, Some(g)).await.unwrap();
    assert_eq!(
        plan,
        [
            "bureau@coop.example.test: set default_member_action, reply_goes_to_list, reply_to_address"
        ]
    );
    let applied = p.apply(id.0, g).await.unwrap();
    assert_eq!(applied.changes, plan);
    let s = f.client.settings(&list_id).await.unwrap();
    assert_eq!(s.default_member_action, Action::Hold);
    assert_eq!(s.default_nonmember_action, Action::Hold);
    assert_eq!(s.reply_goes_to_list, ReplyGoesToList::ExplicitHeader);
    assert_eq!(s.reply_to_address, "ca@coop.example.test");
    assert!(p.apply(id.0, g).await.unwrap().changes.is_empty());

    // A soft-deleted list stays in Mailman as it is.
    let mut tx = f.store.write().await.unwrap();
    let g = tx
        .set_mailing_list_deleted(id, Some((T0 + 2, T0 + 100)), T0 + 2)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(p.apply(id.0, g).await.unwrap().changes.is_empty());
    assert!(f.client.list(&list_id).await.unwrap().is_some());

    // The resync knows both lists.
    p.apply(other.0, 1).await.unwrap();
    assert_eq!(p.all_ids().await.unwrap(), [id.0, other.0]);

    // The purge deletes the list; the domain stays while another list has it.
    let mut tx = f.store.write().await.unwrap();
    tx.purge_mailing_list(id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        p.plan(id.0, None).await.unwrap(),
        [
            "delete the list bureau@coop.example.test from Mailman (and its domain if it is the last)"
        ]
    );
    let removed = p.remove(id.0).await.unwrap();
    assert_eq!(
        removed.changes,
        ["deleted the list bureau@coop.example.test from Mailman"]
    );
    assert!(f.client.list(&list_id).await.unwrap().is_none());
    assert!(p.remove(id.0).await.unwrap().changes.is_empty());
    assert!(p.plan(id.0, None).await.unwrap().is_empty());

    // The last list of the domain takes the domain with it.
    let mut tx = f.store.write().await.unwrap();
    tx.purge_mailing_list(other).await.unwrap();
    tx.commit().await.unwrap();
    let removed = p.apply(other.0, 2).await.unwrap();
    assert_eq!(
        removed.changes,
        [
            "deleted the list news@coop.example.test from Mailman",
            "removed the domain coop.example.test from Mailman"
        ]
    );
    let host = MailHost::parse("coop.example.test").unwrap();
    assert!(f.client.domain_list_ids(&host).await.unwrap().is_empty());
    assert!(p.all_ids().await.unwrap().is_empty());
}

#[tokio::test]
async fn drift_in_mailman_is_repaired_list_by_list() {
    let Some(f) = start().await else { return };
    let p = &f.provisioner;
    let good = f.add("good", &ListSettings::default()).await;
    let bad = f.add("bad", &ListSettings::default()).await;
    // A setting changed in Mailman behind Konbit's back is set back by the
    // next apply (the periodic resync), and only that list changes.
    p.apply(bad.0, 1).await.unwrap();
    let patch = konbit_provision::lists::mailman::ListSettingsPatch {
        preferred_language: Some("en".into()),
        ..Default::default()
    };
    f.client
        .update_settings(&address("bad").list_id(), &patch)
        .await
        .unwrap();
    let results = p.apply_many(&[(bad.0, 1), (good.0, 1)]).await;
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].as_ref().unwrap().changes,
        ["bad@coop.example.test: set preferred_language"]
    );
    assert_eq!(results[1].as_ref().unwrap().changes.len(), 2);
    assert_eq!(
        f.client
            .settings(&address("bad").list_id())
            .await
            .unwrap()
            .preferred_language,
        "fr"
    );
}
