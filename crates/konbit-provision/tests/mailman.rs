//! The Mailman REST client against a real Mailman 3 core (the testkit's,
//! one per test in its own temporary directory): lists and domains made
//! and removed idempotently, every setting written and read back, owners
//! and moderators, members (one by one, 120 across pages, refused
//! addresses with Mailman's message), pending subscriptions, messages
//! held for moderation (posted over LMTP by a non-member) and moderated,
//! and the errors of an unreachable or silent server.
//!
//! Skipped when Mailman is not installed, unless `REQUIRE_LISTS_TESTS=1`.
//! At most two Mailmans run at once (each is about 0.8 GB and takes
//! seconds of CPU to start).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use konbit_provision::lists::mailman::{
    Action, ArchivePolicy, DigestFrequency, DmarcMitigation, DomainRemoval, Ensured, HeldAction,
    HeldMessage, ListAddress, ListId, ListSettings, ListSettingsPatch, MailHost, MailmanClient,
    MailmanError, NewMember, PageRequest, ReplyGoesToList, RequestAction, Role, StaffRole,
    Subscription, SubscriptionPolicy, TokenOwner,
};
use konbit_testkit::daemon::free_port;
use konbit_testkit::mailman::{Mailman, MailmanOptions, REQUIRE_ENV};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How many Mailmans may run at once.
static SLOTS: Semaphore = Semaphore::const_new(2);
/// How long one LMTP step may take.
const LMTP_STEP: Duration = Duration::from_secs(10);
/// How long a posted message may take to show up as held.
const HOLD_WAIT: Duration = Duration::from_secs(30);
/// Makes each Message-ID unique.
static NEXT_MESSAGE: AtomicU32 = AtomicU32::new(1);

struct Fixture {
    client: MailmanClient,
    mailman: Mailman,
    _dir: tempfile::TempDir,
    _slot: SemaphorePermit<'static>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- Mailman's log ---\n{}", self.mailman.log_tail(60));
        }
    }
}

/// A Mailman of the test's own, or `None` (skipped) when it is not
/// installed.
async fn start() -> Option<Fixture> {
    let slot = SLOTS.acquire().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: whatever Mailman sends fails and waits in its
    // retry queue, which these tests do not look at.
    let smtp = SocketAddr::from(([127, 0, 0, 1], free_port().unwrap()));
    let started = Instant::now();
    let options = MailmanOptions {
        smtp,
        smtp_auth: None,
    };
    let Some(mailman) = Mailman::try_start(dir.path(), options).await.unwrap() else {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "Mailman is not installed, and {REQUIRE_ENV} is set"
        );
        eprintln!("skipped: Mailman 3 is not installed");
        return None;
    };
    eprintln!("Mailman ready in {:?}", started.elapsed());
    let client = MailmanClient::new(
        &mailman.rest_url(),
        mailman.rest_user(),
        mailman.rest_password(),
    )
    .unwrap();
    Some(Fixture {
        client,
        mailman,
        _dir: dir,
        _slot: slot,
    })
}

fn host(name: &str) -> MailHost {
    MailHost::parse(name).unwrap()
}

fn list_address(name: &str, domain: &str) -> ListAddress {
    ListAddress::new(name, &host(domain)).unwrap()
}

/// Creates `name@lists.example.test`.
async fn make_list(client: &MailmanClient, name: &str) -> ListId {
    let list = list_address(name, "lists.example.test");
    client.ensure_list(&list).await.unwrap();
    list.list_id()
}

// ---------------------------------------------------------------------------
// Domains and lists
// ---------------------------------------------------------------------------

#[tokio::test]
async fn lists_and_domains_are_made_and_removed_idempotently() {
    let Some(f) = start().await else { return };
    let c = &f.client;
    assert!(c.version().await.unwrap().contains("Mailman"));

    let domain = host("lists.example.test");
    assert_eq!(c.ensure_domain(&domain).await.unwrap(), Ensured::Created);
    assert_eq!(c.ensure_domain(&domain).await.unwrap(), Ensured::Existed);

    // The list's domain is made with it when missing.
    let team = list_address("Team", "other.example.test");
    assert_eq!(c.ensure_list(&team).await.unwrap(), Ensured::Created);
    assert_eq!(c.ensure_list(&team).await.unwrap(), Ensured::Existed);
    let id = team.list_id();
    assert_eq!(id.as_str(), "team.other.example.test");
    let got = c.list(&id).await.unwrap().unwrap();
    assert_eq!(got.list_id, id);
    assert_eq!(got.fqdn_listname, "team@other.example.test");
    assert_eq!(got.list_name, "team");
    assert_eq!(got.mail_host, "other.example.test");
    assert_eq!(got.display_name, "Team");
    assert_eq!(got.member_count, 0);

    // A name with dots, a second list on the same domain.
    let dotted = list_address("board.2026", "other.example.test");
    c.ensure_list(&dotted).await.unwrap();
    let other = host("other.example.test");
    let ids: BTreeSet<String> = c
        .domain_list_ids(&other)
        .await
        .unwrap()
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "board.2026.other.example.test".to_owned(),
            "team.other.example.test".to_owned()
        ])
    );
    assert!(c.domain_list_ids(&domain).await.unwrap().is_empty());
    assert!(
        c.domain_list_ids(&host("nowhere.example.test"))
            .await
            .unwrap()
            .is_empty()
    );

    // A domain with lists is kept (Mailman would delete them with it).
    assert_eq!(
        c.remove_domain_if_empty(&other).await.unwrap(),
        DomainRemoval::NotEmpty(2)
    );
    assert!(c.list(&id).await.unwrap().is_some());

    assert!(c.delete_list(&id).await.unwrap());
    assert!(!c.delete_list(&id).await.unwrap());
    assert!(c.list(&id).await.unwrap().is_none());
    assert!(c.delete_list(&dotted.list_id()).await.unwrap());
    assert_eq!(
        c.remove_domain_if_empty(&other).await.unwrap(),
        DomainRemoval::Removed
    );
    assert_eq!(
        c.remove_domain_if_empty(&other).await.unwrap(),
        DomainRemoval::Absent
    );
    // A list can be made again after its domain went.
    assert_eq!(c.ensure_list(&team).await.unwrap(), Ensured::Created);

    // What a missing list gives.
    let missing = ListId::parse("nope.lists.example.test").unwrap();
    assert!(matches!(
        c.settings(&missing).await,
        Err(MailmanError::NotFound(_))
    ));
    assert!(matches!(
        c.add_member(&missing, &NewMember::by_owner("a@example.test"))
            .await,
        Err(MailmanError::BadRequest(m)) if m == "No such list"
    ));

    // Wrong credentials: refused, and the password is nowhere in the error.
    let wrong =
        MailmanClient::new(&f.mailman.rest_url(), f.mailman.rest_user(), "Wr0ng-Pass!").unwrap();
    let e = wrong.list(&id).await.unwrap_err();
    assert_eq!(e, MailmanError::Unauthorized);
    assert!(!e.is_transient());
    assert!(!format!("{e} {e:?} {wrong:?}").contains("Wr0ng-Pass!"));
    assert!(!format!("{c:?}").contains(f.mailman.rest_password()));
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_setting_is_written_and_read_back() {
    let Some(f) = start().await else { return };
    let c = &f.client;
    let id = make_list(c, "settings").await;

    let defaults = c.settings(&id).await.unwrap();
    assert_eq!(defaults.display_name, "Settings");
    assert_eq!(defaults.subscription_policy, SubscriptionPolicy::Confirm);
    assert_eq!(defaults.default_member_action, Action::Defer);
    assert_eq!(defaults.default_nonmember_action, Action::Hold);
    assert_eq!(defaults.reply_goes_to_list, ReplyGoesToList::NoMunging);
    assert_eq!(
        defaults.dmarc_mitigate_action,
        DmarcMitigation::NoMitigation
    );

    // Everything at once, every value different from the defaults.
    let all = ListSettings {
        display_name: "Conseil d'administration".into(),
        description: "Les décisions du CA, une ligne".into(),
        subject_prefix: "[CA] ".into(),
        subscription_policy: SubscriptionPolicy::ConfirmThenModerate,
        default_member_action: Action::Hold,
        default_nonmember_action: Action::Reject,
        reply_goes_to_list: ReplyGoesToList::ExplicitHeader,
        reply_to_address: "secretariat@example.test".into(),
        dmarc_mitigate_action: DmarcMitigation::MungeFrom,
        dmarc_mitigate_unconditionally: !defaults.dmarc_mitigate_unconditionally,
        archive_policy: ArchivePolicy::Private,
        digests_enabled: !defaults.digests_enabled,
        digest_size_threshold: 75.5,
        digest_send_periodic: !defaults.digest_send_periodic,
        digest_volume_frequency: DigestFrequency::Weekly,
        preferred_language: if defaults.preferred_language == "fr" {
            "en".into()
        } else {
            "fr".into()
        },
        advertised: !defaults.advertised,
        send_welcome_message: !defaults.send_welcome_message,
    };
    c.set_settings(&id, &all).await.unwrap();
    assert_eq!(c.settings(&id).await.unwrap(), all);
    let list = c.list(&id).await.unwrap().unwrap();
    assert_eq!(list.display_name, all.display_name);
    assert_eq!(list.description, all.description);
    assert_eq!(list.advertised, all.advertised);

    // Each value of each setting, one patch at a time.
    let mut expected = all.clone();
    let mut patches = Vec::new();
    let patch = ListSettingsPatch::default;
    for p in [
        SubscriptionPolicy::Open,
        SubscriptionPolicy::Confirm,
        SubscriptionPolicy::Moderate,
        SubscriptionPolicy::ConfirmThenModerate,
    ] {
        patches.push(ListSettingsPatch {
            subscription_policy: Some(p),
            ..patch()
        });
    }
    for a in [
        Action::Accept,
        Action::Hold,
        Action::Reject,
        Action::Discard,
        Action::Defer,
    ] {
        patches.push(ListSettingsPatch {
            default_member_action: Some(a),
            ..patch()
        });
        patches.push(ListSettingsPatch {
            default_nonmember_action: Some(a),
            ..patch()
        });
    }
    for r in [
        ReplyGoesToList::NoMunging,
        ReplyGoesToList::PointToList,
        ReplyGoesToList::ExplicitHeader,
        ReplyGoesToList::ExplicitHeaderOnly,
    ] {
        patches.push(ListSettingsPatch {
            reply_goes_to_list: Some(r),
            ..patch()
        });
    }
    for d in [
        DmarcMitigation::NoMitigation,
        DmarcMitigation::MungeFrom,
        DmarcMitigation::WrapMessage,
        DmarcMitigation::Reject,
        DmarcMitigation::Discard,
    ] {
        patches.push(ListSettingsPatch {
            dmarc_mitigate_action: Some(d),
            ..patch()
        });
    }
    for a in [
        ArchivePolicy::Never,
        ArchivePolicy::Private,
        ArchivePolicy::Public,
    ] {
        patches.push(ListSettingsPatch {
            archive_policy: Some(a),
            ..patch()
        });
    }
    for d in [
        DigestFrequency::Yearly,
        DigestFrequency::Monthly,
        DigestFrequency::Quarterly,
        DigestFrequency::Weekly,
        DigestFrequency::Daily,
    ] {
        patches.push(ListSettingsPatch {
            digest_volume_frequency: Some(d),
            ..patch()
        });
    }
    for l in ["fr", "en"] {
        patches.push(ListSettingsPatch {
            preferred_language: Some(l.into()),
            ..patch()
        });
    }
    for b in [true, false] {
        patches.push(ListSettingsPatch {
            advertised: Some(b),
            send_welcome_message: Some(b),
            digests_enabled: Some(b),
            digest_send_periodic: Some(b),
            dmarc_mitigate_unconditionally: Some(b),
            ..patch()
        });
    }
    patches.push(ListSettingsPatch {
        reply_to_address: Some(String::new()),
        description: Some(String::new()),
        digest_size_threshold: Some(0.0),
        display_name: Some("Équipe".into()),
        subject_prefix: Some(String::new()),
        ..patch()
    });
    for p in patches {
        c.update_settings(&id, &p).await.unwrap();
        apply(&mut expected, &p);
        assert_eq!(c.settings(&id).await.unwrap(), expected, "after {p:?}");
    }

    // Refused by Mailman, with its message, and nothing changed.
    let e = c
        .update_settings(
            &id,
            &ListSettingsPatch {
                preferred_language: Some("xx".into()),
                advertised: Some(!expected.advertised),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e,
        MailmanError::BadRequest("Unexpected parameters: preferred_language".into())
    );
    assert_eq!(c.settings(&id).await.unwrap(), expected);
    // Refused before sending.
    for bad in [
        ListSettingsPatch {
            description: Some("two\nlines".into()),
            ..Default::default()
        },
        ListSettingsPatch {
            display_name: Some("x\r\nBcc: someone@example.test".into()),
            ..Default::default()
        },
        ListSettingsPatch {
            reply_to_address: Some("not an address".into()),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            c.update_settings(&id, &bad).await,
            Err(MailmanError::Invalid(_))
        ));
    }
    assert_eq!(c.settings(&id).await.unwrap(), expected);
}

/// What Mailman should hold after `p` is written over `s`.
fn apply(s: &mut ListSettings, p: &ListSettingsPatch) {
    fn set<T: Clone>(field: &mut T, value: &Option<T>) {
        if let Some(v) = value {
            *field = v.clone();
        }
    }
    set(&mut s.display_name, &p.display_name);
    set(&mut s.description, &p.description);
    set(&mut s.subject_prefix, &p.subject_prefix);
    set(&mut s.subscription_policy, &p.subscription_policy);
    set(&mut s.default_member_action, &p.default_member_action);
    set(&mut s.default_nonmember_action, &p.default_nonmember_action);
    set(&mut s.reply_goes_to_list, &p.reply_goes_to_list);
    set(&mut s.reply_to_address, &p.reply_to_address);
    set(&mut s.dmarc_mitigate_action, &p.dmarc_mitigate_action);
    set(
        &mut s.dmarc_mitigate_unconditionally,
        &p.dmarc_mitigate_unconditionally,
    );
    set(&mut s.archive_policy, &p.archive_policy);
    set(&mut s.digests_enabled, &p.digests_enabled);
    set(&mut s.digest_size_threshold, &p.digest_size_threshold);
    set(&mut s.digest_send_periodic, &p.digest_send_periodic);
    set(&mut s.digest_volume_frequency, &p.digest_volume_frequency);
    set(&mut s.preferred_language, &p.preferred_language);
    set(&mut s.advertised, &p.advertised);
    set(&mut s.send_welcome_message, &p.send_welcome_message);
}

// ---------------------------------------------------------------------------
// Owners, moderators, members, subscription requests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn owners_moderators_and_members() {
    let Some(f) = start().await else { return };
    let c = &f.client;
    let id = make_list(c, "team").await;

    // Owners and moderators.
    assert_eq!(
        c.add_staff(&id, StaffRole::Owner, "Owner@Example.test", Some("Olga"))
            .await
            .unwrap(),
        Ensured::Created
    );
    assert_eq!(
        c.add_staff(&id, StaffRole::Owner, "owner@example.test", None)
            .await
            .unwrap(),
        Ensured::Existed
    );
    c.add_staff(&id, StaffRole::Owner, "second@example.test", None)
        .await
        .unwrap();
    c.add_staff(&id, StaffRole::Moderator, "owner@example.test", None)
        .await
        .unwrap();
    c.add_staff(&id, StaffRole::Moderator, "mod@example.test", Some("Mo"))
        .await
        .unwrap();
    let owners = c.staff(&id, StaffRole::Owner).await.unwrap();
    assert_eq!(
        owners.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(),
        ["owner@example.test", "second@example.test"]
    );
    assert_eq!(owners[0].display_name, "Olga");
    assert!(
        owners
            .iter()
            .all(|m| m.role == Role::Owner && m.list_id == id)
    );
    let mods = c.staff(&id, StaffRole::Moderator).await.unwrap();
    assert_eq!(
        mods.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(),
        ["mod@example.test", "owner@example.test"]
    );
    assert!(
        c.remove_staff(&id, StaffRole::Moderator, "owner@example.test")
            .await
            .unwrap()
    );
    assert!(
        !c.remove_staff(&id, StaffRole::Moderator, "owner@example.test")
            .await
            .unwrap()
    );
    // Still an owner: only the moderator role went.
    assert_eq!(c.staff(&id, StaffRole::Owner).await.unwrap().len(), 2);
    assert_eq!(c.staff(&id, StaffRole::Moderator).await.unwrap().len(), 1);
    assert!(
        c.remove_staff(&id, StaffRole::Owner, "SECOND@example.test")
            .await
            .unwrap()
    );
    assert_eq!(c.staff(&id, StaffRole::Owner).await.unwrap().len(), 1);
    // Staff are not members.
    assert_eq!(c.list(&id).await.unwrap().unwrap().member_count, 0);

    // Members, one by one.
    let alice = NewMember {
        display_name: Some("Alice Martin".into()),
        send_welcome_message: Some(false),
        ..NewMember::by_owner("alice@example.test")
    };
    let Subscription::Subscribed(alice_id) = c.add_member(&id, &alice).await.unwrap() else {
        panic!("alice should be subscribed at once");
    };
    let found = c
        .find_member(&id, "Alice@Example.TEST")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.member_id, alice_id);
    assert_eq!(found.email, "alice@example.test");
    assert_eq!(found.display_name, "Alice Martin");
    assert_eq!(found.role, Role::Member);
    // The owner is not found as a member.
    assert!(
        c.find_member(&id, "owner@example.test")
            .await
            .unwrap()
            .is_none()
    );
    let e = c.add_member(&id, &alice).await.unwrap_err();
    assert_eq!(
        e,
        MailmanError::Conflict("Member already subscribed".into())
    );
    assert_eq!(e.mailman_message(), Some("Member already subscribed"));
    let e = c
        .add_member(&id, &NewMember::by_owner("ALICE@example.test"))
        .await
        .unwrap_err();
    assert!(matches!(e, MailmanError::Conflict(_)), "{e:?}");

    // Addresses Mailman refuses, with its own (terse) message.
    for bad in ["bob@@example.test", "bob@example", "bob()@example.test"] {
        let e = c
            .add_member(&id, &NewMember::by_owner(bad))
            .await
            .unwrap_err();
        assert_eq!(
            e,
            MailmanError::BadRequest("Invalid Parameter \"subscriber\": .".into()),
            "{bad}"
        );
    }
    // The list's own address cannot subscribe.
    assert_eq!(
        c.add_member(&id, &NewMember::by_owner("team@lists.example.test"))
            .await
            .unwrap_err(),
        MailmanError::BadRequest("List posting address cannot subscribe".into())
    );
    // Refused before sending: no '@', spaces, a wildcard to look up.
    for bad in ["not an address", "bob", "a\nb@example.test"] {
        assert!(matches!(
            c.add_member(&id, &NewMember::by_owner(bad)).await,
            Err(MailmanError::Invalid(_))
        ));
    }
    assert!(matches!(
        c.find_member(&id, "*@example.test").await,
        Err(MailmanError::Invalid(_))
    ));

    // Without the pre_ flags and with the default policy (confirm), the
    // subscriber must confirm.
    match c
        .add_member(&id, &NewMember::new("carol@example.test"))
        .await
        .unwrap()
    {
        Subscription::Pending { token_owner, .. } => {
            assert_eq!(token_owner, TokenOwner::Subscriber)
        }
        other => panic!("{other:?}"),
    }
    assert!(
        c.find_member(&id, "carol@example.test")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        c.add_member(&id, &NewMember::new("carol@example.test"))
            .await
            .unwrap_err(),
        MailmanError::Conflict("Subscription request already pending".into())
    );

    assert!(c.remove_member(&id, "ALICE@example.test").await.unwrap());
    assert!(!c.remove_member(&id, "alice@example.test").await.unwrap());
    assert!(
        c.find_member(&id, "alice@example.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(!c.remove_member(&id, "nobody@example.test").await.unwrap());

    // 120 members, read back in pages of 50.
    let started = Instant::now();
    for i in 0..120 {
        let m = NewMember {
            send_welcome_message: Some(false),
            ..NewMember::by_owner(&format!("m{i:03}@example.test"))
        };
        assert!(matches!(
            c.add_member(&id, &m).await.unwrap(),
            Subscription::Subscribed(_)
        ));
    }
    eprintln!("120 subscriptions in {:?}", started.elapsed());
    let mut seen = Vec::new();
    for (page, size) in [(1, 50), (2, 50), (3, 20), (4, 0)] {
        let p = c
            .members(&id, PageRequest { count: 50, page })
            .await
            .unwrap();
        assert_eq!(p.total_size, 120);
        assert_eq!(p.start, u64::from(page - 1) * 50);
        assert_eq!(p.entries.len(), size, "page {page}");
        seen.extend(p.entries.into_iter().map(|m| m.email));
    }
    let expected: Vec<String> = (0..120).map(|i| format!("m{i:03}@example.test")).collect();
    assert_eq!(seen, expected, "every member once, by address");
    assert_eq!(c.list(&id).await.unwrap().unwrap().member_count, 120);

    // Pending subscriptions a moderator decides on.
    c.update_settings(
        &id,
        &ListSettingsPatch {
            subscription_policy: Some(SubscriptionPolicy::Moderate),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for who in ["r1", "r2", "r3"] {
        let m = NewMember {
            pre_verified: true,
            pre_confirmed: true,
            display_name: Some(format!("Req {who}")),
            ..NewMember::new(&format!("{who}@example.test"))
        };
        match c.add_member(&id, &m).await.unwrap() {
            Subscription::Pending { token_owner, .. } => {
                assert_eq!(token_owner, TokenOwner::Moderator)
            }
            other => panic!("{other:?}"),
        }
    }
    let pending = c
        .subscription_requests(&id, Some(TokenOwner::Moderator))
        .await
        .unwrap();
    assert_eq!(
        pending.iter().map(|r| r.email.as_str()).collect::<Vec<_>>(),
        ["r1@example.test", "r2@example.test", "r3@example.test"]
    );
    assert_eq!(pending[0].display_name, "Req r1");
    assert!(
        pending
            .iter()
            .all(|r| r.list_id == id && !r.when.is_empty())
    );
    // carol's, waiting for her, is there too without the filter.
    let everyone = c.subscription_requests(&id, None).await.unwrap();
    assert_eq!(everyone.len(), 4);
    assert!(
        everyone
            .iter()
            .any(|r| r.email == "carol@example.test" && r.token_owner == TokenOwner::Subscriber)
    );

    c.moderate_request(&id, &pending[0].token, &RequestAction::Accept)
        .await
        .unwrap();
    c.moderate_request(
        &id,
        &pending[1].token,
        &RequestAction::Reject {
            reason: Some("Réservée aux membres de la coop".into()),
        },
    )
    .await
    .unwrap();
    c.moderate_request(&id, &pending[2].token, &RequestAction::Discard)
        .await
        .unwrap();
    assert!(
        c.subscription_requests(&id, Some(TokenOwner::Moderator))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        c.moderate_request(&id, &pending[0].token, &RequestAction::Accept)
            .await,
        Err(MailmanError::NotFound(_))
    ));
    assert!(
        c.find_member(&id, "r1@example.test")
            .await
            .unwrap()
            .is_some()
    );
    for gone in ["r2@example.test", "r3@example.test"] {
        assert!(c.find_member(&id, gone).await.unwrap().is_none());
    }
}

// ---------------------------------------------------------------------------
// Held messages
// ---------------------------------------------------------------------------

/// Reads one LMTP reply (all its lines); returns its code and last line.
async fn lmtp_reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> (u16, String) {
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(LMTP_STEP, r.read_line(&mut line))
            .await
            .expect("LMTP reply in time")
            .unwrap();
        assert!(n > 0, "LMTP connection closed");
        let code = line.get(..3).and_then(|c| c.parse().ok()).expect(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return (code, line.trim_end().to_owned());
        }
    }
}

/// Delivers one message to `to` over LMTP, as Postfix would.
async fn lmtp_deliver(addr: SocketAddr, from: &str, to: &str, subject: &str, body: &str) {
    let stream = tokio::time::timeout(LMTP_STEP, TcpStream::connect(addr))
        .await
        .expect("LMTP connect in time")
        .unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    assert_eq!(lmtp_reply(&mut r).await.0, 220);
    // CRLF line ends, and a dot doubled at the start of a line.
    let body: Vec<String> = body
        .lines()
        .map(|l| match l.starts_with('.') {
            true => format!(".{l}"),
            false => l.to_owned(),
        })
        .collect();
    let message = format!(
        "From: Someone Outside <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Message-ID: <{}.{}@outside.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n.\r\n",
        NEXT_MESSAGE.fetch_add(1, Ordering::Relaxed),
        std::process::id(),
        body.join("\r\n"),
    );
    for (command, code) in [
        ("LHLO konbit.test\r\n".to_owned(), 250),
        (format!("MAIL FROM:<{from}>\r\n"), 250),
        (format!("RCPT TO:<{to}>\r\n"), 250),
        ("DATA\r\n".to_owned(), 354),
    ] {
        tokio::time::timeout(LMTP_STEP, w.write_all(command.as_bytes()))
            .await
            .unwrap()
            .unwrap();
        let reply = lmtp_reply(&mut r).await;
        assert_eq!(reply.0, code, "{command:?}: {reply:?}");
    }
    tokio::time::timeout(LMTP_STEP, w.write_all(message.as_bytes()))
        .await
        .unwrap()
        .unwrap();
    let reply = lmtp_reply(&mut r).await;
    assert_eq!(reply.0, 250, "end of DATA: {reply:?}");
    w.write_all(b"QUIT\r\n").await.unwrap();
    let _ = lmtp_reply(&mut r).await;
}

/// Waits until `n` messages are held.
async fn wait_held(c: &MailmanClient, id: &ListId, n: usize) -> Vec<HeldMessage> {
    let deadline = Instant::now() + HOLD_WAIT;
    loop {
        let page = c
            .held_messages(
                id,
                PageRequest {
                    count: 100,
                    page: 1,
                },
            )
            .await
            .unwrap();
        if page.entries.len() >= n {
            return page.entries;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} messages held after {HOLD_WAIT:?}",
            page.entries.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn held_messages_are_moderated() {
    let Some(f) = start().await else { return };
    let c = &f.client;
    let id = make_list(c, "team").await;
    c.update_settings(
        &id,
        &ListSettingsPatch {
            default_nonmember_action: Some(Action::Hold),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    c.add_member(&id, &NewMember::by_owner("alice@example.test"))
        .await
        .unwrap();

    let started = Instant::now();
    let subjects = [
        "=?utf-8?q?R=C3=A9union_du_conseil?=",
        "reject me",
        "discard me",
        "defer me",
    ];
    for subject in subjects {
        lmtp_deliver(
            f.mailman.lmtp_addr(),
            "stranger@outside.test",
            "team@lists.example.test",
            subject,
            &format!("Hello, this is {subject}.\n.leading dot"),
        )
        .await;
    }
    let held = wait_held(c, &id, subjects.len()).await;
    eprintln!("{} messages held in {:?}", held.len(), started.elapsed());
    let by_subject = |s: &str| held.iter().find(|h| h.subject == s).expect(s).clone();
    let first = by_subject("Réunion du conseil");
    assert_eq!(first.sender, "stranger@outside.test");
    assert_eq!(first.reason, "The message is not from a list member");
    assert_eq!(
        first.moderation_reasons,
        std::slice::from_ref(&first.reason)
    );
    assert!(!first.hold_date.is_empty());
    assert!(first.message_id.ends_with("@outside.test>"), "{first:?}");
    let text = first.message.clone().unwrap();
    assert!(text.contains("Hello, this is"), "{text}");
    assert!(text.contains("\n.leading dot"), "dot-unstuffed: {text}");

    let one = c
        .held_message(&id, first.request_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one, first);
    assert!(c.held_message(&id, 999_999).await.unwrap().is_none());

    c.moderate_message(&id, first.request_id, &HeldAction::Accept)
        .await
        .unwrap();
    c.moderate_message(
        &id,
        by_subject("reject me").request_id,
        &HeldAction::Reject {
            comment: Some("Merci d'écrire depuis votre adresse de membre.".into()),
        },
    )
    .await
    .unwrap();
    c.moderate_message(
        &id,
        by_subject("discard me").request_id,
        &HeldAction::Discard,
    )
    .await
    .unwrap();
    let deferred = by_subject("defer me");
    c.moderate_message(&id, deferred.request_id, &HeldAction::Defer)
        .await
        .unwrap();

    // Only the deferred one is left, also once the accepted one went
    // through the pipeline again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let left = c
        .held_messages(&id, PageRequest { count: 10, page: 1 })
        .await
        .unwrap();
    assert_eq!(left.total_size, 1);
    assert_eq!(left.entries[0].request_id, deferred.request_id);
    // A message handled already is not found.
    assert!(matches!(
        c.moderate_message(&id, first.request_id, &HeldAction::Accept)
            .await,
        Err(MailmanError::NotFound(_))
    ));

    // Members post at once (default_member_action defer): nothing held.
    lmtp_deliver(
        f.mailman.lmtp_addr(),
        "alice@example.test",
        "team@lists.example.test",
        "from a member",
        "Hi all",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let left = c
        .held_messages(&id, PageRequest { count: 10, page: 1 })
        .await
        .unwrap();
    assert_eq!(left.total_size, 1, "{left:?}");

    // Deleting the list takes its held messages along.
    assert!(c.delete_list(&id).await.unwrap());
    assert!(matches!(
        c.held_messages(&id, PageRequest { count: 10, page: 1 })
            .await,
        Err(MailmanError::NotFound(_))
    ));
}

// ---------------------------------------------------------------------------
// Unreachable or silent servers
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_unreachable_server_is_a_transient_error() {
    // Nothing listens on a port just freed.
    let port = free_port().unwrap();
    let c = MailmanClient::new(
        &format!("http://127.0.0.1:{port}/3.1"),
        "restadmin",
        "Secret-Pass-9",
    )
    .unwrap();
    let started = Instant::now();
    let e = c.version().await.unwrap_err();
    assert!(matches!(e, MailmanError::Unreachable(_)), "{e:?}");
    assert!(e.is_transient());
    assert!(started.elapsed() < Duration::from_secs(5));
    let id = ListId::parse("team.lists.example.test").unwrap();
    let e = c.find_member(&id, "alice@example.test").await.unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    assert!(!format!("{e} {e:?} {c:?}").contains("Secret-Pass-9"));

    // A server that takes the connection and never answers: the request
    // ends at the time limit.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let c =
        MailmanClient::new(&format!("http://{addr}/3.1"), "restadmin", "Secret-Pass-9").unwrap();
    let started = Instant::now();
    let e = c.list(&id).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, MailmanError::Unreachable(_)), "{e:?}");
    assert!(e.is_transient());
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(15),
        "{took:?}"
    );
    drop(silent);
}
