//! Proposals: writing, discussing, withdrawing, and what a person sees of
//! one (its text, comments, ballots when public, their own ballot, the
//! preview of its platform action and its entries in the decision log).

use super::actions::{ActionPreview, preview_in};
use super::{
    GovernanceService, MAX_COMMENT_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, PROPOSAL_KIND, check,
    lifecycle_error,
};
use crate::{AppError, Audit, Fields, Result, audit, json, now};
use konbit_core::authz::{Action, Actor};
use konbit_core::governance::action::PlatformAction;
use konbit_core::governance::ballot::{BallotContent, CountSpec, parse_options};
use konbit_core::governance::decision_log::{DecisionEntry, DecisionEvent};
use konbit_core::governance::proposal::{Proposal, Stage, StageKind};
use konbit_core::governance::record::{Body, Comment, ProposalRecord};
use konbit_core::governance::rules::{BodyKind, Method, Proposers};
use konbit_core::governance::schulze::TieBreak;
use konbit_core::governance::voter::Voter;
use konbit_core::model::{BodyId, ProposalId, Role};
use konbit_core::names::check_text;
use konbit_core::{ErrorCode, FieldError, Rule};
use konbit_store::{NewProposal, Tx};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct ProposalInput {
    pub body_id: BodyId,
    pub title: String,
    pub text: String,
    /// `None`: the body's default method.
    pub method: Option<Method>,
    /// The options of a ranked vote, an approval vote or a time poll.
    pub options: Vec<String>,
    pub action: Option<PlatformAction>,
    /// How a ranked vote breaks a tie; `None`: the status quo wins.
    pub tie_break: Option<TieBreak>,
}

/// One voter the person speaks for in the current round, and the ballot
/// they cast as that voter, if any.
#[derive(Debug, Clone, Serialize)]
pub struct VoterChoice {
    pub voter: Voter,
    pub label: String,
    pub ballot: Option<BallotContent>,
}

/// A ballot as members see it in a public vote.
#[derive(Debug, Clone, Serialize)]
pub struct PublicBallot {
    pub voter: String,
    pub label: String,
    pub content: BallotContent,
    pub cast_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProposalView {
    pub record: ProposalRecord,
    pub stage: StageKind,
    pub current_text_hash: String,
    /// The frozen electorate's size while voting and after.
    pub electorate: usize,
    /// How many voters took part in the current round.
    pub participation: usize,
    pub comments: Vec<Comment>,
    /// Empty while the vote is secret.
    pub ballots: Vec<PublicBallot>,
    /// Whom this person may vote as now (empty unless voting and in the
    /// electorate).
    pub my_voters: Vec<VoterChoice>,
    pub may_edit: bool,
    pub may_withdraw: bool,
    pub may_start_discussion: bool,
    pub may_comment: bool,
    pub may_roll_back: bool,
    /// An admin, when carrying out an adopted decision failed.
    pub may_retry_apply: bool,
    /// A voter of an adopted decision, during its appeal window.
    pub may_appeal: bool,
    /// An admin, while an appeal waits.
    pub may_settle_appeal: bool,
    pub preview: Option<ActionPreview>,
    pub decisions: Vec<DecisionEntry>,
    pub discussion_ends_at: Option<i64>,
    pub vote_opens_at: Option<i64>,
    pub vote_closes_at: Option<i64>,
    pub applicable_at: Option<i64>,
}

fn text_fields(f: &mut Fields, title: &str, text: &str) {
    f.check(check_text("title", title, MAX_TITLE_CHARS));
    if title.contains('\n') {
        f.push(FieldError::new("title", Rule::ControlCharacter));
    }
    f.check(check_text("text", text, MAX_TEXT_CHARS));
}

/// Whether the actor may put a proposal to this body.
pub(crate) async fn may_propose(tx: &mut Tx, actor: &Actor, body: &Body) -> Result<bool> {
    if actor.is_admin {
        return Ok(true);
    }
    let Some(me) = actor.user_id else {
        return Ok(false);
    };
    Ok(match body.rules.proposers {
        Proposers::AdminsOnly => false,
        Proposers::BoardOnly => {
            let mut on_board = false;
            for b in tx.bodies().await? {
                if b.rules.body == BodyKind::Board
                    && tx.body_members(b.id).await?.iter().any(|m| m.user_id == me)
                {
                    on_board = true;
                    break;
                }
            }
            on_board
        }
        Proposers::AnyMemberOfBody => match body.rules.body {
            BodyKind::GeneralAssembly => tx.voting_people().await?.contains(&me),
            _ => tx
                .body_members(body.id)
                .await?
                .iter()
                .any(|m| m.user_id == me),
        },
    })
}

/// The voters of `electorate` the actor speaks for: themselves, and each
/// account they own.
pub(crate) fn actor_voters(actor: &Actor, electorate: &[Voter]) -> Vec<Voter> {
    let mut mine = Vec::new();
    if let Some(me) = actor.user_id {
        mine.push(Voter::Person(me));
    }
    for m in &actor.memberships {
        if m.role == Role::Owner {
            mine.push(Voter::Account(m.account_id));
        }
    }
    mine.retain(|v| electorate.binary_search(v).is_ok());
    mine
}

pub(crate) async fn voter_label(tx: &mut Tx, voter: Voter) -> String {
    match voter {
        Voter::Account(id) => tx
            .account(id)
            .await
            .map(|a| a.display_name.to_string())
            .unwrap_or_else(|_| voter.key()),
        Voter::Person(id) => tx
            .user(id)
            .await
            .map(|p| p.display_name.to_string())
            .unwrap_or_else(|_| voter.key()),
    }
}

pub(crate) fn frozen_voters(record: &ProposalRecord) -> &[Voter] {
    match record.proposal.stage() {
        Stage::Voting { vote }
        | Stage::Closed { vote, .. }
        | Stage::Applied { vote, .. }
        | Stage::Rejected { vote, .. } => vote.electorate.voters(),
        _ => &[],
    }
}

fn is_author_or_admin(actor: &Actor, record: &ProposalRecord) -> bool {
    actor.is_admin || actor.user_id.is_some() && actor.user_id == record.author_user_id
}

impl GovernanceService<'_> {
    pub async fn proposals(
        &self,
        actor: &Actor,
        body: Option<BodyId>,
        stage: Option<StageKind>,
    ) -> Result<Vec<ProposalRecord>> {
        check(actor, Action::ViewGovernance)?;
        let stage = stage.map(|s| konbit_core::governance::wire_name(&s));
        let mut tx = self.app.store.read().await?;
        let mut list = tx.proposals(body, stage.as_deref()).await?;
        // A draft is its author's until discussion opens.
        list.retain(|p| {
            p.proposal.stage().kind() != StageKind::Draft || is_author_or_admin(actor, p)
        });
        Ok(list)
    }

    pub async fn create_proposal(
        &self,
        actor: &Actor,
        input: ProposalInput,
    ) -> Result<ProposalRecord> {
        check(actor, Action::TakePartInGovernance)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let body = tx
            .body(input.body_id)
            .await
            .map_err(|_| AppError::invalid(FieldError::new("body_id", Rule::UnknownChoice)))?;
        if !may_propose(&mut tx, actor, &body).await? {
            return Err(konbit_core::Denied::Forbidden.into());
        }
        let method = input.method.unwrap_or(body.rules.default_method);
        let mut f = Fields::default();
        text_fields(&mut f, &input.title, &input.text);
        let options = f.check(parse_options(method, &input.options));
        if let Some(action) = &input.action {
            if !matches!(method, Method::YesNo | Method::Consent) {
                f.push(FieldError::new("method", Rule::UnknownChoice));
            }
            if let Err(problems) = action.validate() {
                for p in problems {
                    f.push(p);
                }
            }
            if !konbit_core::governance::action::ActionKind::PROPOSABLE.contains(&action.kind()) {
                f.push(FieldError::new("action", Rule::UnknownChoice));
            }
        }
        f.finish()?;
        if let Some(action) = &input.action {
            // Refuses actions on a profile or account that does not exist.
            preview_in(&mut tx, self.app, action).await?;
        }
        let spec = CountSpec {
            method,
            options: options.unwrap_or_default(),
            yes_no: body.rules.yes_no,
            consent: body.rules.consent,
            round: 1,
            tie_break: input.tie_break.clone().unwrap_or(TieBreak::StatusQuoWins),
        };
        if let TieBreak::PublishedOrder(order) = &spec.tie_break {
            let candidates = konbit_core::governance::ballot::schulze_candidates(&spec.options);
            if konbit_core::governance::schulze::Contest::new(
                candidates,
                konbit_core::governance::ballot::STATUS_QUO,
                TieBreak::PublishedOrder(order.clone()),
            )
            .is_err()
            {
                return Err(AppError::invalid(FieldError::new(
                    "tie_break",
                    Rule::UnknownChoice,
                )));
            }
        }
        let proposal = Proposal::draft(
            input.title.trim().to_owned(),
            input.text.trim().to_owned(),
            input.action.is_some(),
        );
        let id = tx
            .insert_proposal(
                NewProposal {
                    body_id: body.id,
                    author_user_id: actor.user_id,
                    author_label: &actor.label,
                    proposal: &proposal,
                    spec: &spec,
                    visibility: body.rules.visibility,
                    action: input.action.as_ref(),
                },
                now,
            )
            .await?;
        let record = tx.proposal(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "proposal_created",
                kind: PROPOSAL_KIND,
                id: id.to_string(),
                account: None,
                old: None,
                new: json(&record),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(record)
    }

    /// A step only the author (or an admin) may take: `step` changes the
    /// record, which is then saved and audited in the same transaction.
    async fn author_step(
        &self,
        actor: &Actor,
        id: ProposalId,
        audit_action: &str,
        step: impl FnOnce(&mut ProposalRecord, &Body, i64) -> Result<()>,
    ) -> Result<ProposalRecord> {
        check(actor, Action::TakePartInGovernance)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let mut record = self.visible(&mut tx, actor, id).await?;
        if !is_author_or_admin(actor, &record) {
            return Err(konbit_core::Denied::Forbidden.into());
        }
        let body = tx.body(record.body_id).await?;
        let old = record.clone();
        step(&mut record, &body, now)?;
        tx.save_proposal(&record, now).await?;
        let withdrawn_in_public = record.proposal.stage().kind() == StageKind::Withdrawn
            && old.proposal.stage().kind() != StageKind::Draft;
        if withdrawn_in_public {
            super::decisions::log(&mut tx, &record, DecisionEvent::Withdrawn, None, now).await?;
        }
        self.audit_change(&mut tx, actor, audit_action, &old, &record, now)
            .await?;
        self.app.commit(tx).await?;
        Ok(record)
    }

    /// Amends the text (and options) while it is a draft or under
    /// discussion; refused once voting opened.
    pub async fn edit_proposal(
        &self,
        actor: &Actor,
        id: ProposalId,
        title: &str,
        text: &str,
        options: Option<Vec<String>>,
    ) -> Result<ProposalRecord> {
        self.author_step(actor, id, "proposal_edited", |record, _, _| {
            let mut f = Fields::default();
            text_fields(&mut f, title, text);
            let options = match options {
                Some(raw) => f.check(parse_options(record.spec.method, &raw)),
                None => Some(record.spec.options.clone()),
            };
            f.finish()?;
            record.proposal = record
                .proposal
                .edit(title.trim().to_owned(), text.trim().to_owned())
                .map_err(lifecycle_error)?;
            record.spec.options = options.unwrap_or_default();
            Ok(())
        })
        .await
    }

    /// Opens the discussion; the vote opens by itself when it ends.
    pub async fn start_discussion(&self, actor: &Actor, id: ProposalId) -> Result<ProposalRecord> {
        self.author_step(
            actor,
            id,
            "proposal_discussion_opened",
            |record, body, now| {
                record.proposal = record
                    .proposal
                    .open_discussion(&body.rules, now)
                    .map_err(lifecycle_error)?;
                if let Stage::Discussion { ends_at, .. } = record.proposal.stage() {
                    record.due_at = Some(*ends_at);
                }
                Ok(())
            },
        )
        .await
    }

    /// Before the vote only; a proposal withdrawn in public leaves an
    /// entry in the decision log.
    pub async fn withdraw(&self, actor: &Actor, id: ProposalId) -> Result<ProposalRecord> {
        self.author_step(actor, id, "proposal_withdrawn", |record, _, now| {
            record.proposal = record.proposal.withdraw(now).map_err(lifecycle_error)?;
            record.due_at = None;
            Ok(())
        })
        .await
    }

    pub async fn comment(&self, actor: &Actor, id: ProposalId, body: &str) -> Result<Comment> {
        check(actor, Action::TakePartInGovernance)?;
        check_text("body", body, MAX_COMMENT_CHARS).map_err(AppError::invalid)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let record = self.visible(&mut tx, actor, id).await?;
        if !matches!(
            record.proposal.stage().kind(),
            StageKind::Discussion | StageKind::Voting
        ) {
            return Err(AppError::Conflict {
                code: ErrorCode::WrongStage,
                detail: "comments are open during discussion and voting".into(),
            });
        }
        let comment_id = tx
            .insert_comment(id, actor.user_id, &actor.label, body.trim(), now)
            .await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "proposal_commented",
                kind: PROPOSAL_KIND,
                id: id.to_string(),
                account: None,
                old: None,
                new: Some(serde_json::json!({ "comment_id": comment_id, "body": body.trim() })),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        let mut tx = self.app.store.read().await?;
        tx.comments(id)
            .await?
            .into_iter()
            .find(|c| c.id == comment_id)
            .ok_or(AppError::NotFound)
    }

    pub async fn proposal(&self, actor: &Actor, id: ProposalId) -> Result<ProposalView> {
        check(actor, Action::ViewGovernance)?;
        let mut tx = self.app.store.read().await?;
        let record = self.visible(&mut tx, actor, id).await?;
        let stage = record.proposal.stage().kind();
        let electorate = frozen_voters(&record).to_vec();
        let round = record.spec.round;
        let participation = tx.participants(id, round).await?.len();
        let comments = tx.comments(id).await?;
        let mut ballots = Vec::new();
        if record.visibility == konbit_core::governance::rules::BallotVisibility::PublicToMembers {
            for b in tx.ballots(id, round).await? {
                let label = match Voter::parse(&b.key) {
                    Some(v) => voter_label(&mut tx, v).await,
                    None => b.key.clone(),
                };
                ballots.push(PublicBallot {
                    voter: b.key,
                    label,
                    content: b.content,
                    cast_at: b.cast_at,
                });
            }
        }
        let mut my_voters = Vec::new();
        if stage == StageKind::Voting {
            for voter in actor_voters(actor, &electorate) {
                let key = self.ballot_key(&record, voter)?;
                let ballot = tx.ballot(id, round, &key).await?.map(|b| b.content);
                let label = voter_label(&mut tx, voter).await;
                my_voters.push(VoterChoice {
                    voter,
                    label,
                    ballot,
                });
            }
        }
        let preview = match &record.action {
            Some(action)
                if matches!(
                    stage,
                    StageKind::Draft
                        | StageKind::Discussion
                        | StageKind::Voting
                        | StageKind::Closed
                ) =>
            {
                preview_in(&mut tx, self.app, action).await.ok()
            }
            _ => None,
        };
        let decisions = tx.decisions_of(id).await?;
        let author = is_author_or_admin(actor, &record);
        let taking_part = konbit_core::authz::authorize(
            actor,
            Action::TakePartInGovernance,
            konbit_core::authz::Target::default(),
        )
        .is_ok();
        let (discussion_ends_at, vote_opens_at, vote_closes_at) = match record.proposal.stage() {
            Stage::Discussion { ends_at, .. } => (Some(*ends_at), Some(*ends_at), None),
            Stage::Voting { vote }
            | Stage::Closed { vote, .. }
            | Stage::Applied { vote, .. }
            | Stage::Rejected { vote, .. } => (None, Some(vote.opened_at), Some(vote.closes_at)),
            _ => (None, None, None),
        };
        Ok(ProposalView {
            current_text_hash: record.proposal.current_hash().as_str().to_owned(),
            stage,
            electorate: electorate.len(),
            participation,
            comments,
            ballots,
            my_voters,
            may_edit: taking_part
                && author
                && matches!(stage, StageKind::Draft | StageKind::Discussion),
            may_withdraw: taking_part
                && author
                && matches!(stage, StageKind::Draft | StageKind::Discussion),
            may_start_discussion: taking_part && author && stage == StageKind::Draft,
            may_comment: taking_part && matches!(stage, StageKind::Discussion | StageKind::Voting),
            may_appeal: taking_part
                && record.appeal.is_none()
                && record.proposal.appealable(crate::now())
                && !actor_voters(actor, &electorate).is_empty(),
            may_settle_appeal: actor.is_admin
                && stage == StageKind::Closed
                && record.appeal.as_ref().is_some_and(|a| a.settled.is_none()),
            may_retry_apply: actor.is_admin
                && stage == StageKind::Closed
                && record.action_error.is_some(),
            may_roll_back: actor.is_admin
                && stage == StageKind::Applied
                && record.undo.is_some()
                && record.rolled_back_at.is_none(),
            preview,
            decisions,
            discussion_ends_at,
            vote_opens_at,
            vote_closes_at,
            applicable_at: record.proposal.applicable_at(),
            record,
        })
    }

    /// A proposal the actor may see: drafts are their author's (and the
    /// admins'); anything else is for every person of the co-op.
    pub(crate) async fn visible(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: ProposalId,
    ) -> Result<ProposalRecord> {
        let record = tx.proposal(id).await?;
        if record.proposal.stage().kind() == StageKind::Draft && !is_author_or_admin(actor, &record)
        {
            return Err(AppError::NotFound);
        }
        Ok(record)
    }

    pub(crate) async fn audit_change(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: &str,
        old: &ProposalRecord,
        new: &ProposalRecord,
        now: i64,
    ) -> Result<()> {
        audit(
            tx,
            actor,
            Audit {
                action,
                kind: PROPOSAL_KIND,
                id: new.id.to_string(),
                account: None,
                old: json(&summary(old)),
                new: json(&summary(new)),
            },
            now,
        )
        .await
    }
}

/// What the audit log keeps of a proposal: not the frozen electorate.
fn summary(r: &ProposalRecord) -> serde_json::Value {
    serde_json::json!({
        "title": r.proposal.title(),
        "text_hash": r.proposal.current_hash(),
        "stage": r.proposal.stage().kind(),
        "method": r.spec.method,
        "round": r.spec.round,
        "action": r.action,
        "outcome": r.outcome,
    })
}
