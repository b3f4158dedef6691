//! The binary's `MailmanListServer` against a real Mailman core: what the
//! panel, the API and the CLI read and change in Mailman. The list is made
//! in Mailman directly, as the provisioner would. Every test that starts
//! Mailman has `mailman` in its name (nextest runs them in that group).

// The binary has no library: its module is compiled into this test.
#[path = "../../src/list_server.rs"]
pub mod imp;

use imp::MailmanListServer;
use konbit_app::AppConfig;
use konbit_app::list::{CreateList, ListConfig, ListSettingsInput};
use konbit_app::list_server::{
    ListServer, ListServerError, Moderation, RequestDecision, StaffRole, SubscribeAs, Subscribed,
};
use konbit_core::authz::Actor;
use konbit_core::list::ListSettings;
use konbit_core::model::MailingList;
use konbit_provision::lists::mailman::{
    ListAddress, ListId, ListSettingsPatch, MailHost, MailmanClient, SubscriptionPolicy,
};
use konbit_testkit::TestApp;
use konbit_testkit::app::Person;
use konbit_testkit::mailman::{Mailman, MailmanOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A Konbit whose lists live in a real Mailman, with account "radio", its
/// mail domain `radio.example` and the list `team@radio.example`.
pub struct Env {
    pub t: TestApp,
    pub mailman: Mailman,
    pub client: MailmanClient,
    pub server: Arc<MailmanListServer>,
    pub list: MailingList,
    pub owner: Person,
    pub member: Person,
    _dir: tempfile::TempDir,
}

/// A loopback port nothing listens on.
pub async fn closed_port() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}

impl Env {
    /// `None` when Mailman is not installed (and `REQUIRE_LISTS_TESTS` is
    /// not set). Mailman's own mail (welcomes) goes nowhere.
    pub async fn start() -> Option<Env> {
        let dir = tempfile::Builder::new()
            .prefix("konbit-lists-")
            .tempdir()
            .unwrap();
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
        let t = TestApp::spawn_with_list_server(
            AppConfig {
                lists: ListConfig { enabled: true },
                ..AppConfig::default()
            },
            server.clone(),
        )
        .await
        .unwrap();
        let (account, owner, member) = t.seed_account("radio").await.unwrap();
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
                    address: "team@radio.example".into(),
                    settings: ListSettingsInput::from_settings(&ListSettings::default()),
                },
            )
            .await
            .unwrap();
        let env = Env {
            t,
            mailman,
            client,
            server,
            list,
            owner,
            member,
            _dir: dir,
        };
        env.make_in_mailman(&env.list).await;
        Some(env)
    }

    /// Makes the list in Mailman, as the provisioner would.
    pub async fn make_in_mailman(&self, list: &MailingList) {
        let host = MailHost::parse(&list.domain).unwrap();
        let address = ListAddress::new(list.name.as_str(), &host).unwrap();
        self.client.ensure_list(&address).await.unwrap();
    }

    pub fn list_id(&self) -> ListId {
        ListId::parse(&self.list.list_id()).unwrap()
    }

    /// Subscriptions then wait for a moderator.
    pub async fn moderate_subscriptions(&self) {
        let patch = ListSettingsPatch {
            subscription_policy: Some(SubscriptionPolicy::ConfirmThenModerate),
            ..Default::default()
        };
        self.client
            .update_settings(&self.list_id(), &patch)
            .await
            .unwrap();
    }

    /// Posts to the list from `from` straight into Mailman's LMTP runner.
    pub async fn post(&self, from: &str, subject: &str) {
        let rcpt = self.list.address();
        let message = format!(
            "From: {from}\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\
             Message-ID: <{}@konbit.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n\
             Hello from the test.\r\n",
            subject.replace(' ', "-")
        );
        lmtp_send(self.mailman.lmtp_addr(), from, &rcpt, &message).await;
    }

    /// Waits (at most 60 s: Mailman's runners are slow on two cores) until
    /// `n` messages are held.
    pub async fn until_held(&self, n: usize) -> Vec<konbit_app::list_server::HeldPost> {
        let mut last = Vec::new();
        for _ in 0..600 {
            last = self.server.held(&self.list).await.unwrap();
            if last.len() >= n {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{n} held messages expected, found {last:?}\n{}",
            self.mailman.log_tail(40)
        );
    }
}

/// One LMTP transaction with one recipient, which must be accepted.
async fn lmtp_send(addr: SocketAddr, from: &str, rcpt: &str, message: &str) {
    const STEP: Duration = Duration::from_secs(30);
    async fn reply(s: &mut BufReader<TcpStream>) -> u16 {
        for _ in 0..100 {
            let mut line = String::new();
            let n = tokio::time::timeout(STEP, s.read_line(&mut line))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "LMTP connection closed");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].parse().unwrap();
            }
        }
        panic!("endless LMTP reply")
    }
    async fn command(s: &mut BufReader<TcpStream>, line: &str) -> u16 {
        s.get_mut()
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        reply(s).await
    }
    let stream = tokio::time::timeout(STEP, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    let mut s = BufReader::new(stream);
    assert_eq!(reply(&mut s).await, 220);
    assert_eq!(command(&mut s, "LHLO konbit.test").await, 250);
    assert_eq!(command(&mut s, &format!("MAIL FROM:<{from}>")).await, 250);
    assert_eq!(command(&mut s, &format!("RCPT TO:<{rcpt}>")).await, 250);
    assert_eq!(command(&mut s, "DATA").await, 354);
    s.get_mut().write_all(message.as_bytes()).await.unwrap();
    assert_eq!(command(&mut s, ".").await, 250);
    let _ = command(&mut s, "QUIT").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mailman_subscribers_are_added_paged_and_removed() {
    let Some(env) = Env::start().await else {
        return;
    };
    let (s, list) = (&env.server, &env.list);
    for a in ["carol@example.org", "alice@example.org", "bob@example.org"] {
        assert_eq!(
            s.subscribe(list, a, Some("Someone"), SubscribeAs::Manager)
                .await
                .unwrap(),
            Subscribed::Subscribed
        );
    }
    assert_eq!(
        s.subscribe(list, "bob@example.org", None, SubscribeAs::Manager)
            .await
            .unwrap(),
        Subscribed::AlreadyMember
    );
    let first = s.subscribers(list, 1, 2).await.unwrap();
    assert_eq!(first.total, 3);
    let addresses: Vec<_> = first
        .subscribers
        .iter()
        .map(|m| m.address.as_str())
        .collect();
    assert_eq!(addresses, ["alice@example.org", "bob@example.org"]);
    assert_eq!(first.subscribers[0].display_name, "Someone");
    assert!(!first.subscribers[0].digest);
    let second = s.subscribers(list, 2, 2).await.unwrap();
    assert_eq!(second.subscribers.len(), 1);
    assert_eq!(second.subscribers[0].address, "carol@example.org");

    assert!(s.unsubscribe(list, "bob@example.org").await.unwrap());
    assert!(!s.unsubscribe(list, "bob@example.org").await.unwrap());
    assert_eq!(s.subscribers(list, 1, 10).await.unwrap().total, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn mailman_staff_are_added_and_removed() {
    let Some(env) = Env::start().await else {
        return;
    };
    let (s, list) = (&env.server, &env.list);
    s.add_staff(list, StaffRole::Owner, "olga@example.org")
        .await
        .unwrap();
    s.add_staff(list, StaffRole::Moderator, "mo@example.org")
        .await
        .unwrap();
    // Again: nothing changes.
    s.add_staff(list, StaffRole::Moderator, "mo@example.org")
        .await
        .unwrap();
    let staff = s.staff(list).await.unwrap();
    let mut seen: Vec<_> = staff
        .iter()
        .map(|m| (m.role.as_str(), m.address.as_str()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("moderator", "mo@example.org"),
            ("owner", "olga@example.org")
        ]
    );
    assert!(
        s.remove_staff(list, StaffRole::Moderator, "mo@example.org")
            .await
            .unwrap()
    );
    assert!(
        !s.remove_staff(list, StaffRole::Moderator, "mo@example.org")
            .await
            .unwrap()
    );
    // A role is not another: olga is no moderator.
    assert!(
        !s.remove_staff(list, StaffRole::Moderator, "olga@example.org")
            .await
            .unwrap()
    );
    assert_eq!(s.staff(list).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn mailman_held_posts_and_moderated_subscriptions() {
    let Some(env) = Env::start().await else {
        return;
    };
    let (s, list) = (&env.server, &env.list);
    // Self-subscription on a moderated list waits for a moderator.
    env.moderate_subscriptions().await;
    assert_eq!(
        s.subscribe(
            list,
            "dave@example.org",
            Some("Dave"),
            SubscribeAs::ConfirmedSelf
        )
        .await
        .unwrap(),
        Subscribed::AwaitingApproval
    );
    assert_eq!(
        s.subscribe(list, "erin@example.org", None, SubscribeAs::ConfirmedSelf)
            .await
            .unwrap(),
        Subscribed::AwaitingApproval
    );
    // A manager's subscription is not held.
    assert_eq!(
        s.subscribe(list, "fay@example.org", None, SubscribeAs::Manager)
            .await
            .unwrap(),
        Subscribed::Subscribed
    );
    let mut pending = s.pending(list).await.unwrap();
    pending.sort_by(|a, b| a.address.cmp(&b.address));
    let addresses: Vec<_> = pending.iter().map(|p| p.address.as_str()).collect();
    assert_eq!(addresses, ["dave@example.org", "erin@example.org"]);
    assert_eq!(pending[0].display_name, "Dave");
    assert!(
        s.decide(list, &pending[0].token, &RequestDecision::Approve)
            .await
            .unwrap()
    );
    assert!(
        s.decide(
            list,
            &pending[1].token,
            &RequestDecision::Reject {
                reason: Some("Members of the radio only".into())
            }
        )
        .await
        .unwrap()
    );
    // Decided meanwhile, or never a token.
    assert!(
        !s.decide(list, &pending[0].token, &RequestDecision::Discard)
            .await
            .unwrap()
    );
    assert!(
        !s.decide(list, "not a token", &RequestDecision::Discard)
            .await
            .unwrap()
    );
    assert!(s.pending(list).await.unwrap().is_empty());
    let members = s.subscribers(list, 1, 10).await.unwrap();
    let addresses: Vec<_> = members
        .subscribers
        .iter()
        .map(|m| m.address.as_str())
        .collect();
    assert_eq!(addresses, ["dave@example.org", "fay@example.org"]);

    // A post from a non-member is held.
    env.post("stranger@example.net", "Buy now").await;
    env.post("other@example.net", "Second").await;
    let held = env.until_held(2).await;
    let first = &held[0];
    assert_eq!(first.sender, "stranger@example.net");
    assert_eq!(first.subject, "Buy now");
    assert!(!first.reason.is_empty());
    let text = s.held_post(list, first.id).await.unwrap().unwrap();
    assert_eq!(text.post, *first);
    assert!(text.text.contains("Hello from the test."), "{}", text.text);
    assert!(s.held_post(list, 999_999).await.unwrap().is_none());
    assert!(
        s.moderate(list, first.id, &Moderation::Discard)
            .await
            .unwrap()
    );
    assert!(
        !s.moderate(list, first.id, &Moderation::Approve)
            .await
            .unwrap()
    );
    assert!(
        s.moderate(
            list,
            held[1].id,
            &Moderation::Reject {
                reason: Some("Off topic".into())
            }
        )
        .await
        .unwrap()
    );
    assert!(s.held(list).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn mailman_without_the_list_says_not_provisioned() {
    let Some(env) = Env::start().await else {
        return;
    };
    let s = &env.server;
    let mut missing = env.list.clone();
    missing.name = konbit_core::list::ListName::parse("address", "ghost").unwrap();
    let np = Err(ListServerError::NotProvisioned);
    assert_eq!(s.subscribers(&missing, 1, 10).await.map(|_| ()), np);
    assert_eq!(
        s.subscribe(&missing, "a@example.org", None, SubscribeAs::Manager)
            .await
            .map(|_| ()),
        np
    );
    assert_eq!(
        s.unsubscribe(&missing, "a@example.org").await.map(|_| ()),
        np
    );
    assert_eq!(s.staff(&missing).await.map(|_| ()), np);
    assert_eq!(
        s.add_staff(&missing, StaffRole::Owner, "a@example.org")
            .await,
        np
    );
    assert_eq!(
        s.remove_staff(&missing, StaffRole::Owner, "a@example.org")
            .await
            .map(|_| ()),
        np
    );
    assert_eq!(s.held(&missing).await.map(|_| ()), np);
    assert_eq!(s.held_post(&missing, 1).await.map(|_| ()), np);
    assert_eq!(
        s.moderate(&missing, 1, &Moderation::Approve)
            .await
            .map(|_| ()),
        np
    );
    assert_eq!(s.pending(&missing).await.map(|_| ()), np);
    assert_eq!(
        s.decide(&missing, "abc123", &RequestDecision::Approve)
            .await
            .map(|_| ()),
        np
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_is_unavailable() {
    let port = closed_port().await;
    let client = MailmanClient::new(&format!("http://{port}/3.1"), "restadmin", "x").unwrap();
    let s = MailmanListServer::new(client);
    let t = TestApp::spawn_with(AppConfig {
        lists: ListConfig { enabled: true },
        ..AppConfig::default()
    })
    .await
    .unwrap();
    let (account, _, _) = t.seed_account("radio").await.unwrap();
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
                address: "team@radio.example".into(),
                settings: ListSettingsInput::from_settings(&ListSettings::default()),
            },
        )
        .await
        .unwrap();
    let unavailable = |r: Result<(), ListServerError>| {
        assert!(matches!(r, Err(ListServerError::Unavailable(_))), "{r:?}");
    };
    unavailable(s.subscribers(&list, 1, 10).await.map(|_| ()));
    unavailable(
        s.subscribe(&list, "a@example.org", None, SubscribeAs::Manager)
            .await
            .map(|_| ()),
    );
    unavailable(s.unsubscribe(&list, "a@example.org").await.map(|_| ()));
    unavailable(s.staff(&list).await.map(|_| ()));
    unavailable(s.held(&list).await.map(|_| ()));
    unavailable(s.pending(&list).await.map(|_| ()));
    unavailable(s.moderate(&list, 1, &Moderation::Discard).await.map(|_| ()));
}
