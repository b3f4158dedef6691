//! The governance service over a real store: a decision from draft to
//! applied platform change, every refused ballot, secret ballots, the
//! missed quorum, consent rounds, one-time links and the rollback.

use super::notify::NoticeKind;
use super::*;
use crate::account::CreateAccount;
use crate::tests::{actor_for, app_with, owner};
use crate::{AppConfig, now};
use konbit_core::governance::action::PlatformAction;
use konbit_core::governance::ballot::{BallotContent, STATUS_QUO};
use konbit_core::governance::counting::{
    Bound, Choice, ConsentResponse, Quorum, Reason, Threshold,
};
use konbit_core::governance::proposal::StageKind;
use konbit_core::governance::rules::{BallotVisibility, BodyKind, DecisionRules, Method};
use konbit_core::model::{AccountId, BodyId, QuotaProfileId};
use konbit_core::quota::QuotaLimits;

const DAY: i64 = 24 * 60 * 60;

struct World {
    _dir: tempfile::TempDir,
    app: App,
    owners: Vec<Actor>,
    accounts: Vec<AccountId>,
    profile: QuotaProfileId,
}

async fn world(members: usize) -> World {
    let (dir, app) = app_with(AppConfig::default()).await;
    let cli = Actor::operator_cli();
    let mut owners = Vec::new();
    let mut accounts = Vec::new();
    for i in 0..members {
        let email = format!("owner{i}@coop.test");
        let account = app
            .accounts()
            .create(
                &cli,
                CreateAccount {
                    name: format!("member{i}"),
                    display_name: format!("Member {i}"),
                    owner: Some(owner(&email)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        accounts.push(account.id);
        owners.push(actor_for(&app, &email).await);
    }
    let profile = app.quota_profiles().list(&cli).await.unwrap()[0].id;
    World {
        _dir: dir,
        app,
        owners,
        accounts,
        profile,
    }
}

impl World {
    async fn assembly(&self, rules: DecisionRules) -> BodyId {
        self.app
            .governance()
            .create_body(
                &Actor::operator_cli(),
                BodyInput {
                    name: "General assembly".into(),
                    rules,
                    members: Vec::new(),
                },
            )
            .await
            .unwrap()
            .id
    }

    /// A proposal carrying `action` before an assembly with no appeal
    /// window, voted yes by the first two owners: the step at the close
    /// (the returned time) adopts and applies it.
    async fn adopted_at_close(&self, action: PlatformAction) -> (ProposalId, i64) {
        let mut rules = DecisionRules::default_for(BodyKind::GeneralAssembly);
        rules.appeal_window_seconds = 0;
        let body = self.assembly(rules).await;
        let (id, hash, closes_at) = self.voting(body, yes_no(body, Some(action))).await;
        self.vote(0, id, &hash, choice(Choice::Yes)).await.unwrap();
        self.vote(1, id, &hash, choice(Choice::Yes)).await.unwrap();
        (id, closes_at)
    }

    /// A proposal by the first owner, through discussion into its vote.
    async fn voting(&self, body: BodyId, input: ProposalInput) -> (ProposalId, String, i64) {
        let gov = self.app.governance();
        let p = gov.create_proposal(&self.owners[0], input).await.unwrap();
        gov.start_discussion(&self.owners[0], p.id).await.unwrap();
        let rules = gov.body(&self.owners[0], body).await.unwrap().0.rules;
        let opened = now() + rules.discussion_seconds as i64 + 1;
        let report = gov.tick(opened).await.unwrap();
        assert_eq!(report.votes_opened, 1, "{report:?}");
        let view = gov.proposal(&self.owners[0], p.id).await.unwrap();
        assert_eq!(view.stage, StageKind::Voting);
        (p.id, view.current_text_hash, view.vote_closes_at.unwrap())
    }

    async fn vote(
        &self,
        who: usize,
        id: ProposalId,
        hash: &str,
        content: BallotContent,
    ) -> Result<()> {
        self.app
            .governance()
            .cast_ballot(
                &self.owners[who],
                id,
                BallotInput {
                    text_hash: hash.into(),
                    content,
                    voter: None,
                },
            )
            .await
    }
}

fn yes_no(body: BodyId, action: Option<PlatformAction>) -> ProposalInput {
    ProposalInput {
        body_id: body,
        title: "Raise the standard profile".into(),
        text: "Twenty mailboxes per member instead of ten.".into(),
        method: Some(Method::YesNo),
        options: Vec::new(),
        action,
        tie_break: None,
    }
}

fn choice(c: Choice) -> BallotContent {
    BallotContent::YesNo { choice: c }
}

fn code(e: &AppError) -> konbit_core::ErrorCode {
    e.code()
}

#[tokio::test]
async fn an_adopted_quota_change_applies_after_its_appeal_window_and_is_logged_twice() {
    let w = world(3).await;
    let body = w
        .assembly(DecisionRules::default_for(BodyKind::GeneralAssembly))
        .await;
    let new_limits = QuotaLimits {
        mailboxes: 20,
        ..QuotaLimits::starter()
    };
    let action = PlatformAction::SetQuotaLimits {
        profile_id: w.profile,
        limits: new_limits,
    };
    let (id, hash, closes_at) = w.voting(body, yes_no(body, Some(action))).await;
    let gov = w.app.governance();
    let view = gov.proposal(&w.owners[1], id).await.unwrap();
    let preview = view.preview.expect("a preview of the action");
    assert_eq!(preview.changes.len(), 1);
    assert_eq!(preview.changes[0].field, "mailboxes");
    assert_eq!(preview.affected_accounts.len(), 3);

    w.vote(0, id, &hash, choice(Choice::No)).await.unwrap();
    // People may change their vote while it is open; it is counted once.
    w.vote(0, id, &hash, choice(Choice::Yes)).await.unwrap();
    w.vote(1, id, &hash, choice(Choice::Yes)).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(view.participation, 2);
    assert_eq!(view.ballots.len(), 2, "a public vote shows its ballots");

    gov.tick(closes_at).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(view.stage, StageKind::Closed);
    assert_eq!(view.record.outcome.as_deref(), Some("adopted"));
    let tally = view.record.tally.unwrap();
    assert_eq!(tally["count"]["tally"]["yes"], 2);
    assert_eq!(tally["count"]["tally"]["no"], 0);
    let applicable = view.applicable_at.unwrap();
    assert_eq!(applicable, closes_at + 3 * DAY);

    // Not before the appeal window is over.
    gov.tick(applicable - 1).await.unwrap();
    let cli = Actor::operator_cli();
    let limits = |w: &World| {
        let app = w.app.clone();
        let profile = w.profile;
        async move {
            app.quota_profiles()
                .get(&cli_actor(), profile)
                .await
                .unwrap()
                .limits
        }
    };
    assert_eq!(limits(&w).await, QuotaLimits::starter());
    let report = gov.tick(applicable).await.unwrap();
    assert_eq!(report.applied, 1, "{report:?}");
    assert_eq!(limits(&w).await, new_limits);
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(view.stage, StageKind::Applied);
    assert!(!view.may_roll_back, "members never roll back");

    // The audit log names the decision as the actor of the change.
    let mut tx = w.app.store.read().await.unwrap();
    let entries = tx.audit_entries(None, 200).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "quota_profile_updated"
                && e.actor_label == format!("decision #{id}"))
    );
    assert!(entries.iter().any(|e| e.action == "proposal_vote_closed"));
    drop(tx);

    // The public log holds the final text, the tally and the outcome, then
    // the application, and its chain verifies.
    let page = gov.decisions(None, 50).await.unwrap();
    let events: Vec<&str> = page.entries.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["applied", "decided"]);
    let decided = &page.entries[1];
    assert_eq!(decided.text, "Twenty mailboxes per member instead of ten.");
    assert_eq!(decided.text_hash, hash);
    assert!(decided.tally.as_deref().unwrap_or("").contains("\"yes\":2"));
    assert_eq!(decided.outcome, "adopted");
    let report = gov.verify_decisions().await.unwrap();
    assert_eq!((report.entries, report.first_bad), (2, None));
    assert_eq!(report.head, page.head);

    // An admin rolls it back: the old limits return, and the log says so.
    gov.roll_back(&cli, id).await.unwrap();
    assert_eq!(limits(&w).await, QuotaLimits::starter());
    assert!(gov.roll_back(&cli, id).await.is_err(), "only once");
    assert_eq!(
        gov.decisions(None, 1).await.unwrap().entries[0].event,
        "rolled_back"
    );
    assert!(matches!(
        gov.roll_back(&w.owners[0], id).await,
        Err(AppError::Denied(_))
    ));
}

fn cli_actor() -> Actor {
    Actor::operator_cli()
}

#[tokio::test]
async fn every_bad_ballot_is_refused_with_its_reason_and_nothing_is_counted_twice() {
    let w = world(2).await;
    let body = w
        .assembly(DecisionRules::default_for(BodyKind::GeneralAssembly))
        .await;
    let gov = w.app.governance();
    let draft = gov
        .create_proposal(&w.owners[0], yes_no(body, None))
        .await
        .unwrap();
    let hash = draft.proposal.current_hash().as_str().to_owned();
    // Not open yet (a draft is its author's only).
    let e = w
        .vote(0, draft.id, &hash, choice(Choice::Yes))
        .await
        .unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::VoteNotOpen);

    let (id, hash, closes_at) = w.voting(body, yes_no(body, None)).await;
    let e = w
        .vote(0, id, &"0".repeat(64), choice(Choice::Yes))
        .await
        .unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::StaleText);
    // Text frozen: no edit once the vote is open.
    let e = gov
        .edit_proposal(&w.owners[0], id, "Other", "Other text", None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::TextFrozen);
    // A ballot of another method.
    let e = w
        .vote(0, id, &hash, BallotContent::Approval { approved: vec![] })
        .await
        .unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::InvalidBallot);
    // Someone who joined after the vote opened is outside the frozen electorate.
    let late = w
        .app
        .accounts()
        .create(
            &Actor::operator_cli(),
            CreateAccount {
                name: "latecomer".into(),
                display_name: "Latecomer".into(),
                owner: Some(owner("late@coop.test")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(late.id.0 > 0);
    let latecomer = actor_for(&w.app, "late@coop.test").await;
    let e = gov
        .cast_ballot(
            &latecomer,
            id,
            BallotInput {
                text_hash: hash.clone(),
                content: choice(Choice::Yes),
                voter: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::NotInElectorate);
    // Naming someone else's account as the voter.
    let e = gov
        .cast_ballot(
            &w.owners[0],
            id,
            BallotInput {
                text_hash: hash.clone(),
                content: choice(Choice::Yes),
                voter: Some(Voter::Account(w.accounts[1])),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::NotInElectorate);

    w.vote(0, id, &hash, choice(Choice::Yes)).await.unwrap();
    w.vote(0, id, &hash, choice(Choice::Yes)).await.unwrap();
    gov.tick(closes_at).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    let tally = view.record.tally.unwrap();
    assert_eq!(tally["count"]["tally"]["yes"], 1, "one voter, one vote");
    // Closed: refused.
    let e = w.vote(1, id, &hash, choice(Choice::No)).await.unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::VoteClosed);
}

#[tokio::test]
async fn a_ranked_ballot_with_a_duplicate_or_an_unknown_candidate_is_refused() {
    let w = world(2).await;
    let body = w
        .assembly(DecisionRules::default_for(BodyKind::GeneralAssembly))
        .await;
    let input = ProposalInput {
        method: Some(Method::Schulze),
        options: vec!["Monday".into(), "Friday".into()],
        ..yes_no(body, None)
    };
    let (id, hash, closes_at) = w.voting(body, input).await;
    let ranked = |groups: &[&[&str]]| BallotContent::Schulze {
        ranking: groups
            .iter()
            .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
            .collect(),
    };
    for bad in [
        ranked(&[&["Monday"], &["Monday"]]),
        ranked(&[&["Sunday"]]),
        ranked(&[]),
    ] {
        let e = w.vote(0, id, &hash, bad).await.unwrap_err();
        assert_eq!(code(&e), konbit_core::ErrorCode::InvalidBallot);
    }
    w.vote(
        0,
        id,
        &hash,
        ranked(&[&["Friday"], &[STATUS_QUO], &["Monday"]]),
    )
    .await
    .unwrap();
    w.vote(
        1,
        id,
        &hash,
        ranked(&[&["Friday", "Monday"], &[STATUS_QUO]]),
    )
    .await
    .unwrap();
    let gov = w.app.governance();
    gov.tick(closes_at).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(view.record.tally.unwrap()["winner"], "Friday");
    // No action: adopted takes effect at once.
    assert_eq!(view.stage, StageKind::Applied);
}

#[tokio::test]
async fn a_missed_quorum_keeps_the_status_quo_and_applies_nothing() {
    let w = world(3).await;
    let mut rules = DecisionRules::default_for(BodyKind::GeneralAssembly);
    rules.yes_no.quorum = Quorum::Fraction {
        bound: Bound::MoreThan,
        numerator: 1,
        denominator: 2,
    };
    let body = w.assembly(rules).await;
    let action = PlatformAction::LockAccount {
        account_id: w.accounts[2],
        reason: "unpaid dues".into(),
    };
    let (id, hash, closes_at) = w.voting(body, yes_no(body, Some(action))).await;
    w.vote(0, id, &hash, choice(Choice::Yes)).await.unwrap();
    let gov = w.app.governance();
    gov.tick(closes_at + 30 * DAY).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(view.stage, StageKind::Rejected);
    assert_eq!(view.record.outcome.as_deref(), Some("quorum_missed"));
    let account = w
        .app
        .accounts()
        .get(&Actor::operator_cli(), w.accounts[2])
        .await
        .unwrap();
    assert!(!account.locked);
}

#[tokio::test]
async fn a_secret_vote_keeps_no_link_between_person_and_ballot_once_closed() {
    let w = world(2).await;
    let mut rules = DecisionRules::default_for(BodyKind::GeneralAssembly);
    rules.visibility = BallotVisibility::Secret;
    let body = w.assembly(rules).await;
    let (id, hash, closes_at) = w.voting(body, yes_no(body, None)).await;
    w.vote(0, id, &hash, choice(Choice::No)).await.unwrap();
    w.vote(1, id, &hash, choice(Choice::Yes)).await.unwrap();
    let gov = w.app.governance();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert!(
        view.ballots.is_empty(),
        "nobody sees others' secret ballots"
    );
    assert_eq!(view.my_voters[0].ballot, Some(choice(Choice::No)));
    let mut tx = w.app.store.read().await.unwrap();
    let stored = tx.ballots(id, 1).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|b| b.key.starts_with("hmac:") && b.cast_by.is_none() && b.cast_at.is_none())
    );
    let audit = tx.audit_entries(None, 100).await.unwrap();
    assert!(
        audit
            .iter()
            .filter(|e| e.action.starts_with("ballot_"))
            .all(|e| !e.new_value.as_deref().unwrap_or("").contains("\"choice\"")),
        "a secret ballot's content never reaches the audit log"
    );
    drop(tx);
    gov.tick(closes_at).await.unwrap();
    let mut tx = w.app.store.read().await.unwrap();
    let stored = tx.ballots(id, 1).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|b| b.key.starts_with("sealed:")));
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    let tally = view.record.tally.unwrap();
    assert_eq!(
        (
            tally["count"]["tally"]["yes"].as_u64(),
            tally["count"]["tally"]["no"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn an_unresolved_block_goes_back_to_discussion_then_to_a_two_thirds_vote() {
    let w = world(3).await;
    let mut rules = DecisionRules::default_for(BodyKind::GeneralAssembly);
    rules.consent.max_rounds = 2;
    let body = w.assembly(rules).await;
    let input = ProposalInput {
        method: Some(Method::Consent),
        ..yes_no(body, None)
    };
    let (id, hash, closes_at) = w.voting(body, input).await;
    let block = BallotContent::Consent {
        response: ConsentResponse::Block {
            reason: Reason::parse("This breaks the bylaws").unwrap(),
        },
    };
    let gov = w.app.governance();
    w.vote(0, id, &hash, block.clone()).await.unwrap();
    gov.tick(closes_at).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(view.stage, StageKind::Discussion);
    assert_eq!(view.record.spec.round, 2);
    // Amended between rounds; the next round votes on the new text.
    gov.edit_proposal(
        &w.owners[0],
        id,
        "Raise the standard profile",
        "Fifteen mailboxes.",
        None,
    )
    .await
    .unwrap();
    let opened = closes_at + rules.discussion_seconds as i64;
    gov.tick(opened).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(view.stage, StageKind::Voting);
    let e = w.vote(0, id, &hash, block.clone()).await.unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::StaleText);
    let hash2 = view.current_text_hash.clone();
    w.vote(0, id, &hash2, block).await.unwrap();
    gov.tick(view.vote_closes_at.unwrap()).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(view.stage, StageKind::Voting, "the fallback vote");
    assert_eq!(view.record.spec.method, Method::YesNo);
    assert_eq!(
        view.record.spec.yes_no.threshold,
        Threshold::AtLeastTwoThirds
    );
    for who in 0..2 {
        w.vote(who, id, &hash2, choice(Choice::Yes)).await.unwrap();
    }
    w.vote(2, id, &hash2, choice(Choice::No)).await.unwrap();
    gov.tick(view.vote_closes_at.unwrap()).await.unwrap();
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(
        view.record.outcome.as_deref(),
        Some("adopted"),
        "2 of 3 is at least two thirds"
    );
}

#[tokio::test]
async fn a_one_time_link_votes_once_and_only_while_the_vote_is_open() {
    let w = world(2).await;
    let body = w
        .assembly(DecisionRules::default_for(BodyKind::GeneralAssembly))
        .await;
    let (id, hash, closes_at) = w.voting(body, yes_no(body, None)).await;
    let token = "a-test-token-with-enough-entropy-for-this-test";
    let mut tx = w.app.store.write().await.unwrap();
    tx.insert_vote_link(
        &crate::secret::sha256_hex(token),
        &konbit_store::VoteLinkRow {
            proposal_id: id,
            round: 1,
            voter: Voter::Account(w.accounts[1]),
            user_id: w.owners[1].user_id.unwrap(),
            expires_at: closes_at,
            used_at: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let gov = w.app.governance();
    let view = gov.vote_link(token).await.unwrap();
    assert_eq!(view.text_hash, hash);
    assert_eq!(view.voter_label, "Member 1");
    gov.vote_by_link(token, &hash, choice(Choice::No))
        .await
        .unwrap();
    assert!(matches!(
        gov.vote_by_link(token, &hash, choice(Choice::Yes)).await,
        Err(AppError::InvalidLink)
    ));
    assert!(matches!(
        gov.vote_link("forged").await,
        Err(AppError::InvalidLink)
    ));
    let view = gov.proposal(&w.owners[1], id).await.unwrap();
    assert_eq!(view.my_voters[0].ballot, Some(choice(Choice::No)));
}

#[tokio::test]
async fn only_admins_make_bodies_and_bad_rules_name_their_fields() {
    let w = world(1).await;
    let gov = w.app.governance();
    let rules = DecisionRules::default_for(BodyKind::Board);
    let denied = gov
        .create_body(
            &w.owners[0],
            BodyInput {
                name: "Board".into(),
                rules,
                members: vec![],
            },
        )
        .await;
    assert!(matches!(denied, Err(AppError::Denied(_))));
    let mut bad = rules;
    bad.vote_seconds = 60;
    bad.consent.max_rounds = 0;
    let Err(AppError::Invalid(fields)) = gov
        .create_body(
            &Actor::operator_cli(),
            BodyInput {
                name: "Board".into(),
                rules: bad,
                members: vec!["nobody@coop.test".into()],
            },
        )
        .await
    else {
        panic!("bad rules accepted");
    };
    let names: Vec<&str> = fields.iter().map(|f| f.field).collect();
    assert_eq!(names, ["consent_rounds", "vote_hours", "members"]);
    // A board votes per person, among its people only.
    let board = gov
        .create_body(
            &Actor::operator_cli(),
            BodyInput {
                name: "Board".into(),
                rules,
                members: vec!["owner0@coop.test".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(board.member_count, 1);
}

#[tokio::test]
async fn an_admission_creates_the_account_with_its_owner_and_rolls_back_to_a_deletion() {
    let w = world(2).await;
    let action = PlatformAction::AdmitAccount {
        name: "bakery".into(),
        display_name: "The Bakery".into(),
        quota_profile_id: w.profile,
        owner_email: "baker@coop.test".into(),
    };
    let (id, closes_at) = w.adopted_at_close(action).await;
    let gov = w.app.governance();
    let (report, mails) = gov.advance(closes_at).await.unwrap();
    assert_eq!((report.votes_closed, report.applied), (1, 1), "{report:?}");

    // The newcomer is welcomed in their mail, with a link that sets the
    // password they never had; the voters only hear the outcome.
    let welcome: Vec<_> = mails
        .iter()
        .filter(|m| m.notice.kind == NoticeKind::Admitted)
        .collect();
    assert_eq!(welcome.len(), 1, "{mails:?}");
    assert_eq!(welcome[0].to.email, "baker@coop.test");
    let mail = super::notify::render(welcome[0], "https://panel.coop.test");
    assert!(
        mail.subject.contains("bakery") && mail.body.contains("The Bakery"),
        "{mail:?}"
    );
    let token = welcome[0].token.clone().unwrap();
    assert!(
        mail.body
            .contains(&format!("https://panel.coop.test/password-reset/{token}")),
        "{mail:?}"
    );
    assert!(
        mails
            .iter()
            .filter(|m| m.to.email.starts_with("owner"))
            .all(|m| m.notice.kind == NoticeKind::Outcome && m.token.is_none()),
        "{mails:?}"
    );
    let chosen = "the baker's own long password";
    let client = crate::auth::ClientInfo::default();
    w.app
        .password_reset()
        .reset(&token, chosen, client.clone())
        .await
        .unwrap();
    w.app
        .auth()
        .sign_in("baker@coop.test", chosen, None, client)
        .await
        .unwrap();

    let cli = Actor::operator_cli();
    let bakery = w.app.accounts().get_by_name(&cli, "bakery").await.unwrap();
    assert_eq!(bakery.display_name.as_str(), "The Bakery");
    let mut tx = w.app.store.read().await.unwrap();
    assert_eq!(tx.account_owners(bakery.id).await.unwrap().len(), 1);
    drop(tx);
    gov.roll_back(&cli, id).await.unwrap();
    let bakery = w.app.accounts().get(&cli, bakery.id).await.unwrap();
    assert!(bakery.is_deleted(), "restorable during the grace period");
}

#[tokio::test]
async fn admitting_someone_who_already_has_a_password_sends_no_welcome() {
    let w = world(2).await;
    let action = PlatformAction::AdmitAccount {
        name: "second-home".into(),
        display_name: "A second account".into(),
        quota_profile_id: w.profile,
        owner_email: "owner1@coop.test".into(),
    };
    let (_, closes_at) = w.adopted_at_close(action).await;
    let (report, mails) = w.app.governance().advance(closes_at).await.unwrap();
    assert_eq!(report.applied, 1, "{report:?}");
    assert!(
        mails.iter().all(|m| m.notice.kind == NoticeKind::Outcome),
        "{mails:?}"
    );
}

#[tokio::test]
async fn a_failed_application_is_recorded_and_an_admin_retries_it_once_the_cause_is_gone() {
    let w = world(3).await;
    let target = w.accounts[2];
    let action = PlatformAction::LockAccount {
        account_id: target,
        reason: "unpaid dues".into(),
    };
    let (id, closes_at) = w.adopted_at_close(action).await;
    // Meanwhile an admin deletes the account the decision names.
    let cli = Actor::operator_cli();
    w.app.accounts().delete(&cli, target).await.unwrap();
    let gov = w.app.governance();
    let report = gov.tick(closes_at).await.unwrap();
    assert_eq!((report.applied, report.failed), (0, 1), "{report:?}");
    let record = w
        .app
        .store
        .read()
        .await
        .unwrap()
        .proposal(id)
        .await
        .unwrap();
    assert_eq!(record.proposal.stage().kind(), StageKind::Closed);
    assert_eq!(record.action_error.as_deref(), Some("not_found"));
    assert!(record.due_at.is_none(), "not retried by itself");
    let view = gov.proposal(&w.owners[0], id).await.unwrap();
    assert!(!view.may_retry_apply, "admins only");

    // Neither a member nor a retry while the cause remains.
    let refused = gov
        .retry_apply_at(&w.owners[0], id, closes_at)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Denied(_)), "{refused:?}");
    let again = gov.retry_apply_at(&cli, id, closes_at).await.unwrap_err();
    assert!(
        matches!(
            again,
            AppError::Conflict {
                code: konbit_core::ErrorCode::ApplyFailed,
                ..
            }
        ),
        "{again:?}"
    );

    w.app.accounts().restore(&cli, target).await.unwrap();
    let record = gov.retry_apply_at(&cli, id, closes_at).await.unwrap();
    assert_eq!(record.proposal.stage().kind(), StageKind::Applied);
    assert!(record.action_error.is_none());
    let account = w.app.accounts().get(&cli, target).await.unwrap();
    assert_eq!(account.lock_reason.as_deref(), Some("unpaid dues"));
    let log = w
        .app
        .store
        .read()
        .await
        .unwrap()
        .decisions_of(id)
        .await
        .unwrap();
    assert!(log.iter().any(|d| d.event == "applied"), "{log:?}");
    // Done is done.
    let twice = gov.retry_apply_at(&cli, id, closes_at).await.unwrap_err();
    assert!(
        matches!(
            twice,
            AppError::Conflict {
                code: konbit_core::ErrorCode::WrongStage,
                ..
            }
        ),
        "{twice:?}"
    );
}

#[tokio::test]
async fn adopted_zone_defaults_reach_the_template_and_roll_back() {
    let w = world(1).await;
    let app = &w.app;
    let before = {
        let mut tx = app.store.write().await.unwrap();
        super::actions::zone_template(&mut tx, app).await.unwrap()
    };
    let mut tx = app.store.write().await.unwrap();
    let undo = super::actions::apply_in(
        &mut tx,
        app,
        &decision_actor(ProposalId(1)),
        &PlatformAction::SetZoneDefaults {
            ttl: 600,
            spf: "v=spf1 mx a -all".into(),
            dmarc: "v=DMARC1; p=reject".into(),
        },
        now(),
    )
    .await
    .unwrap();
    let after = super::actions::zone_template(&mut tx, app).await.unwrap();
    assert_eq!((after.ttl, after.spf.as_str()), (600, "v=spf1 mx a -all"));
    assert_eq!(
        after.nameservers, before.nameservers,
        "the operator's part stays"
    );
    super::actions::apply_in(&mut tx, app, &Actor::operator_cli(), &undo, now())
        .await
        .unwrap();
    let restored = super::actions::zone_template(&mut tx, app).await.unwrap();
    assert_eq!(restored, before);
}

#[tokio::test]
async fn notices_go_to_the_right_people_and_the_reminder_only_to_those_who_have_not_voted() {
    let w = world(3).await;
    let body = w
        .assembly(DecisionRules::default_for(BodyKind::GeneralAssembly))
        .await;
    let (id, hash, _) = w.voting(body, yes_no(body, None)).await;
    w.vote(0, id, &hash, choice(Choice::Yes)).await.unwrap();
    let gov = w.app.governance();
    let mut tx = w.app.store.write().await.unwrap();
    let record = tx.proposal(id).await.unwrap();
    let opened = gov.vote_opened(&mut tx, &record).await.unwrap();
    let mut to: Vec<&str> = opened.iter().map(|o| o.to.email.as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        ["owner0@coop.test", "owner1@coop.test", "owner2@coop.test"]
    );
    assert!(
        opened.iter().all(|o| o.token.is_some()),
        "each with its own link"
    );
    let reminded = gov.reminders(&mut tx, &record).await.unwrap();
    let mut to: Vec<&str> = reminded.iter().map(|o| o.to.email.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["owner1@coop.test", "owner2@coop.test"]);
    tx.commit().await.unwrap();

    // The mail carries a link that votes, in the person's language.
    let out = &reminded[0];
    let mail = super::notify::render(out, "https://panel.coop.test");
    let token = out.token.clone().unwrap();
    assert!(
        mail.subject
            .starts_with("[Konbit] Le vote se termine bientôt"),
        "{mail:?}"
    );
    assert!(
        mail.body
            .contains(&format!("https://panel.coop.test/vote/{token}"))
    );
    assert!(mail.body.contains(&hash), "the frozen text's hash");
    gov.vote_by_link(&token, &hash, choice(Choice::No))
        .await
        .unwrap();
    let voter = gov.proposal(&w.owners[0], id).await.unwrap();
    assert_eq!(voter.participation, 2);
}

#[tokio::test]
async fn an_appeal_holds_the_decision_until_the_admins_settle_it() {
    let w = world(3).await;
    let body = w
        .assembly(DecisionRules::default_for(BodyKind::GeneralAssembly))
        .await;
    let lock = |i: usize| PlatformAction::LockAccount {
        account_id: w.accounts[i],
        reason: "unpaid dues".into(),
    };
    let gov = w.app.governance();
    let cli = Actor::operator_cli();
    let mut adopted = Vec::new();
    for target in [2, 1] {
        let (id, hash, closes_at) = w.voting(body, yes_no(body, Some(lock(target)))).await;
        w.vote(0, id, &hash, choice(Choice::Yes)).await.unwrap();
        gov.tick(closes_at).await.unwrap();
        adopted.push(id);
    }
    let (upheld, dismissed) = (adopted[0], adopted[1]);

    // Not before the count, never twice, only with a reason, only by a voter.
    let e = gov.appeal(&w.owners[1], upheld, "  ").await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)));
    let outsider = {
        w.app
            .accounts()
            .create(
                &cli,
                CreateAccount {
                    name: "newcomer".into(),
                    display_name: "Newcomer".into(),
                    owner: Some(owner("new@coop.test")),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        actor_for(&w.app, "new@coop.test").await
    };
    let e = gov.appeal(&outsider, upheld, "I object").await.unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::NotInElectorate);
    let view = gov.proposal(&w.owners[2], upheld).await.unwrap();
    assert!(view.may_appeal);
    gov.appeal(&w.owners[2], upheld, "Our dues were paid on time.")
        .await
        .unwrap();
    let e = gov
        .appeal(&w.owners[1], upheld, "Me too")
        .await
        .unwrap_err();
    assert_eq!(code(&e), konbit_core::ErrorCode::WrongStage);
    gov.appeal(&w.owners[1], dismissed, "Give us a week.")
        .await
        .unwrap();

    // Past the window, nothing applies while the appeals wait.
    gov.tick(now() + 60 * DAY).await.unwrap();
    for id in [upheld, dismissed] {
        assert_eq!(
            gov.proposal(&cli, id).await.unwrap().stage,
            StageKind::Closed
        );
    }
    assert!(matches!(
        gov.settle_appeal(&w.owners[0], upheld, true).await,
        Err(AppError::Denied(_))
    ));
    assert!(gov.proposal(&cli, upheld).await.unwrap().may_settle_appeal);
    gov.settle_appeal(&cli, upheld, true).await.unwrap();
    gov.settle_appeal(&cli, dismissed, false).await.unwrap();
    assert!(
        gov.settle_appeal(&cli, dismissed, false).await.is_err(),
        "once"
    );
    // A dismissed appeal lets the decision apply when its window ends
    // (here long past on the simulated clock).
    gov.tick(now() + 60 * DAY).await.unwrap();

    let set_aside = gov.proposal(&cli, upheld).await.unwrap();
    assert_eq!(set_aside.stage, StageKind::Rejected);
    assert_eq!(set_aside.record.outcome.as_deref(), Some("set_aside"));
    let accounts = w.app.accounts();
    assert!(!accounts.get(&cli, w.accounts[2]).await.unwrap().locked);
    assert_eq!(
        gov.proposal(&cli, dismissed).await.unwrap().stage,
        StageKind::Applied
    );
    assert!(accounts.get(&cli, w.accounts[1]).await.unwrap().locked);

    let events: Vec<String> = gov
        .decisions(None, 50)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| format!("{}:{}", e.proposal_id, e.event))
        .collect();
    for want in [
        format!("{upheld}:appealed"),
        format!("{upheld}:appeal_upheld"),
        format!("{dismissed}:appeal_dismissed"),
        format!("{dismissed}:applied"),
    ] {
        assert!(events.contains(&want), "{want} missing from {events:?}");
    }
    assert!(gov.verify_decisions().await.unwrap().first_bad.is_none());
}
