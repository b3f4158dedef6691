//! The housekeeping step: opens votes when discussion ends, reminds those
//! who have not voted, counts and closes votes, holds another consent
//! round or the fallback vote, and applies adopted platform actions once
//! their appeal window is over. Each proposal moves in its own
//! transaction, so one that fails never holds back the others.

use super::actions::apply_in;
use super::decisions::log;
use super::notify::{Notice, NoticeKind, Outgoing, is_newcomer};
use super::proposals::frozen_voters;
use super::{GovernanceService, decision_actor, lifecycle_error};
use crate::{AppError, Audit, Result, audit, json};
use konbit_core::authz::{Action, Actor};
use konbit_core::governance::action::PlatformAction;
use konbit_core::governance::ballot::{BallotContent, CountVerdict, count};
use konbit_core::governance::decision_log::DecisionEvent;
use konbit_core::governance::proposal::{Decision, RejectionReason, Stage, StageKind};
use konbit_core::governance::record::ProposalRecord;
use konbit_core::governance::rules::{BallotVisibility, BodyKind, Method, Weighting};
use konbit_core::governance::voter::Voter;
use konbit_core::model::ProposalId;
use konbit_store::Tx;
use serde::Serialize;

/// How many steps one proposal may take in one tick (discussion → vote
/// is one; closed without an action → in effect is another).
const MAX_STEPS: usize = 4;
/// At most a day before the close, or a quarter of a short vote.
const MAX_REMINDER_LEAD: i64 = 24 * 60 * 60;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TickReport {
    pub votes_opened: u32,
    pub reminders_sent: u32,
    pub votes_closed: u32,
    pub applied: u32,
    pub failed: u32,
    pub mails: u32,
}

fn reminder_at(opened_at: i64, closes_at: i64) -> i64 {
    let lead = ((closes_at - opened_at) / 4).min(MAX_REMINDER_LEAD);
    closes_at - lead
}

fn next_due_while_voting(record: &ProposalRecord, now: i64) -> Option<i64> {
    match record.proposal.stage() {
        Stage::Voting { vote } => {
            let remind = reminder_at(vote.opened_at, vote.closes_at);
            if record.reminded_round < record.spec.round && remind > now {
                Some(remind)
            } else {
                Some(vote.closes_at)
            }
        }
        _ => None,
    }
}

fn outcome_word(decision: Decision) -> &'static str {
    match decision {
        Decision::Adopted => "adopted",
        Decision::Rejected {
            reason: RejectionReason::QuorumMissed,
        } => "quorum_missed",
        Decision::Rejected {
            reason: RejectionReason::NotAdopted,
        } => "rejected",
        Decision::Rejected {
            reason: RejectionReason::SetAsideOnAppeal,
        } => "set_aside",
    }
}

/// Why an action could not be carried out, as stored with the proposal:
/// the error's code, then what it names (`not_found`, `duplicate: name`).
/// Front ends word the code in the reader's language.
pub(crate) fn failure_text(error: &AppError) -> String {
    let code = error.code().as_str();
    let detail = match error {
        AppError::Duplicate { field } => (*field).to_owned(),
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| f.field)
            .collect::<Vec<_>>()
            .join(", "),
        AppError::Conflict { detail, .. } => detail.clone(),
        _ => String::new(),
    };
    if detail.is_empty() {
        code.to_owned()
    } else {
        format!("{code}: {detail}")
    }
}

impl GovernanceService<'_> {
    /// Moves every proposal that is due at `now`, then sends the e-mails
    /// the steps called for. The housekeeping calls it every minute.
    pub async fn tick(&self, now: i64) -> Result<TickReport> {
        let (mut report, outgoing) = self.advance(now).await?;
        report.mails = self.send(outgoing).await;
        Ok(report)
    }

    /// Moves every proposal that is due at `now`; returns the e-mails the
    /// steps called for, committed but not sent yet.
    pub(crate) async fn advance(&self, now: i64) -> Result<(TickReport, Vec<Outgoing>)> {
        let due = self.app.store.read().await?.proposals_due(now).await?;
        let mut report = TickReport::default();
        let mut outgoing = Vec::new();
        for id in due {
            for _ in 0..MAX_STEPS {
                match self.step(id, now, &mut report).await {
                    Ok(Some(mut mails)) => outgoing.append(&mut mails),
                    Ok(None) => break,
                    Err(e) => {
                        report.failed += 1;
                        tracing::warn!(proposal = %id, error = %e, "a governance step failed");
                        break;
                    }
                }
            }
        }
        Ok((report, outgoing))
    }

    /// One step of one proposal, if it is due; `None` when nothing is.
    async fn step(
        &self,
        id: ProposalId,
        now: i64,
        report: &mut TickReport,
    ) -> Result<Option<Vec<Outgoing>>> {
        let mut tx = self.app.store.write().await?;
        let mut record = tx.proposal(id).await?;
        if record.due_at.is_none_or(|due| due > now) {
            return Ok(None);
        }
        let old = record.clone();
        let mut mails = Vec::new();
        let audit_action = match record.proposal.stage().clone() {
            Stage::Discussion { ends_at, .. } if now >= ends_at => {
                if !self
                    .open_vote(&mut tx, &mut record, now, &mut mails)
                    .await?
                {
                    tx.save_proposal(&record, now).await?;
                    self.app.commit(tx).await?;
                    return Ok(None);
                }
                report.votes_opened += 1;
                "proposal_vote_opened"
            }
            Stage::Voting { vote } if now < vote.closes_at => {
                record.due_at = Some(vote.closes_at);
                if record.reminded_round >= record.spec.round {
                    // Reminded already: only the close is due.
                    tx.save_proposal(&record, now).await?;
                    self.app.commit(tx).await?;
                    return Ok(None);
                }
                mails.extend(self.reminders(&mut tx, &record).await?);
                report.reminders_sent += 1;
                record.reminded_round = record.spec.round;
                "proposal_reminders_sent"
            }
            Stage::Voting { .. } => {
                report.votes_closed += 1;
                self.close_vote(&mut tx, &mut record, now, &mut mails)
                    .await?
            }
            Stage::Closed { .. } if record.appeal.as_ref().is_some_and(|a| a.settled.is_none()) => {
                // Under appeal: only the admins' settlement moves it on.
                record.due_at = None;
                tx.save_proposal(&record, now).await?;
                self.app.commit(tx).await?;
                return Ok(None);
            }
            Stage::Closed { .. } if record.proposal.may_apply(now) => {
                match self.apply(&mut tx, &mut record, now, &mut mails).await {
                    Ok(()) => report.applied += 1,
                    Err(e) => {
                        drop(tx);
                        report.failed += 1;
                        return self.record_failure(id, &e, now).await.map(|()| None);
                    }
                }
                "decision_applied"
            }
            Stage::Closed { .. } => {
                record.due_at = record.proposal.applicable_at();
                tx.save_proposal(&record, now).await?;
                self.app.commit(tx).await?;
                return Ok(None);
            }
            _ => {
                record.due_at = None;
                tx.save_proposal(&record, now).await?;
                self.app.commit(tx).await?;
                return Ok(None);
            }
        };
        tx.save_proposal(&record, now).await?;
        self.audit_change(&mut tx, &Actor::system(), audit_action, &old, &record, now)
            .await?;
        self.app.commit(tx).await?;
        Ok(Some(mails))
    }

    /// Freezes the electorate and the rules, and opens the vote. `false`
    /// when nobody could vote (a board with no people yet): the proposal
    /// waits an hour and tries again.
    async fn open_vote(
        &self,
        tx: &mut Tx,
        record: &mut ProposalRecord,
        now: i64,
        mails: &mut Vec<Outgoing>,
    ) -> Result<bool> {
        let body = tx.body(record.body_id).await?;
        let voters: Vec<Voter> = match (body.rules.body, body.rules.weighting) {
            (BodyKind::GeneralAssembly, Weighting::OneVotePerAccount) => tx
                .voting_accounts()
                .await?
                .into_iter()
                .map(Voter::Account)
                .collect(),
            (BodyKind::GeneralAssembly, Weighting::OneVotePerPerson) => tx
                .voting_people()
                .await?
                .into_iter()
                .map(Voter::Person)
                .collect(),
            _ => tx
                .body_members(body.id)
                .await?
                .into_iter()
                .map(|m| Voter::Person(m.user_id))
                .collect(),
        };
        if voters.is_empty() {
            record.due_at = Some(now + 3600);
            tracing::warn!(proposal = %record.id, body = %body.name, "nobody can vote in this body yet; trying again in an hour");
            return Ok(false);
        }
        record.proposal = record
            .proposal
            .open_vote(&body.rules, voters, now)
            .map_err(lifecycle_error)?;
        // The rules in force when the vote opens are the ones it is
        // counted by, whatever the admins change later.
        record.spec.yes_no = body.rules.yes_no;
        record.spec.consent = body.rules.consent;
        record.due_at = next_due_while_voting(record, now);
        mails.extend(self.vote_opened(tx, record).await?);
        Ok(true)
    }

    async fn close_vote(
        &self,
        tx: &mut Tx,
        record: &mut ProposalRecord,
        now: i64,
        mails: &mut Vec<Outgoing>,
    ) -> Result<&'static str> {
        let round = record.spec.round;
        let ballots: Vec<BallotContent> = tx
            .ballots(record.id, round)
            .await?
            .into_iter()
            .map(|b| b.content)
            .collect();
        let electorate = u64::try_from(frozen_voters(record).len()).unwrap_or(u64::MAX);
        let (tally, verdict) = count(&record.spec, electorate, &ballots)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        record.tally = json(&tally);
        if record.visibility == BallotVisibility::Secret {
            tx.unlink_secret_ballots(record.id, round).await?;
        }
        let body = tx.body(record.body_id).await?;
        match verdict {
            CountVerdict::Decided(decision) => {
                record.proposal = record
                    .proposal
                    .close_vote(decision, now)
                    .map_err(lifecycle_error)?;
                record.outcome = Some(outcome_word(decision).to_owned());
                log(tx, record, DecisionEvent::Decided, None, now).await?;
                if decision == Decision::Adopted {
                    record.due_at = record.proposal.applicable_at();
                } else {
                    record.proposal = record.proposal.reject().map_err(lifecycle_error)?;
                    record.due_at = None;
                }
                mails.extend(self.to_electorate(tx, record, NoticeKind::Outcome).await?);
                Ok("proposal_vote_closed")
            }
            CountVerdict::AnotherRound { round } => {
                record.proposal = record
                    .proposal
                    .back_to_discussion(&body.rules, now)
                    .map_err(lifecycle_error)?;
                record.spec.round = round;
                if let Stage::Discussion { ends_at, .. } = record.proposal.stage() {
                    record.due_at = Some(*ends_at);
                }
                mails.extend(
                    self.to_electorate(tx, record, NoticeKind::AnotherRound)
                        .await?,
                );
                Ok("proposal_consent_round_blocked")
            }
            CountVerdict::FallBackToVote { threshold } => {
                record.proposal = record
                    .proposal
                    .reopen_vote(&body.rules, now)
                    .map_err(lifecycle_error)?;
                record.spec.method = Method::YesNo;
                record.spec.yes_no.threshold = threshold;
                record.spec.round = round + 1;
                record.due_at = next_due_while_voting(record, now);
                mails.extend(self.vote_opened(tx, record).await?);
                Ok("proposal_fallback_vote_opened")
            }
        }
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        record: &mut ProposalRecord,
        now: i64,
        mails: &mut Vec<Outgoing>,
    ) -> Result<()> {
        let detail = match record.action.clone() {
            Some(action) => {
                // Known before the action creates them: a newcomer has no
                // password of their own yet.
                let newcomer = match &action {
                    PlatformAction::AdmitAccount {
                        owner_email, name, ..
                    } => is_newcomer(tx, owner_email)
                        .await?
                        .then(|| (owner_email.clone(), name.clone())),
                    _ => None,
                };
                let undo = apply_in(tx, self.app, &decision_actor(record.id), &action, now).await?;
                record.undo = Some(undo.clone());
                if let Some((email, account)) = newcomer {
                    mails.push(self.welcome(tx, record, &email, &account, now).await?);
                }
                Some(serde_json::json!({ "action": action, "undo": undo }))
            }
            None => None,
        };
        let event = if detail.is_some() {
            DecisionEvent::Applied
        } else {
            DecisionEvent::Effective
        };
        record.proposal = record.proposal.apply(now).map_err(lifecycle_error)?;
        record.due_at = None;
        record.action_error = None;
        log(tx, record, event, detail, now).await?;
        Ok(())
    }

    /// An action that could not be applied (its profile was deleted, the
    /// account name was taken meanwhile): nothing of it stays, the
    /// proposal says why, and an admin decides what to do.
    async fn record_failure(&self, id: ProposalId, error: &AppError, now: i64) -> Result<()> {
        let mut tx = self.app.store.write().await?;
        let mut record = tx.proposal(id).await?;
        let old = record.clone();
        record.action_error = Some(failure_text(error));
        record.due_at = None;
        tx.save_proposal(&record, now).await?;
        self.audit_change(
            &mut tx,
            &Actor::system(),
            "decision_apply_failed",
            &old,
            &record,
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        tracing::warn!(proposal = %id, error = %error, "an adopted decision could not be applied");
        Ok(())
    }

    /// Tries again to carry out an adopted decision whose application
    /// failed, once an admin has removed the cause (restored the account
    /// it names, freed the name it takes…). It fails the same way, and
    /// says so, while the cause remains.
    pub async fn retry_apply(&self, actor: &Actor, id: ProposalId) -> Result<ProposalRecord> {
        self.retry_apply_at(actor, id, crate::now()).await
    }

    pub(crate) async fn retry_apply_at(
        &self,
        actor: &Actor,
        id: ProposalId,
        now: i64,
    ) -> Result<ProposalRecord> {
        super::check(actor, Action::ManageGovernance)?;
        let mut tx = self.app.store.write().await?;
        let mut record = tx.proposal(id).await?;
        if record.proposal.stage().kind() != StageKind::Closed || record.action_error.is_none() {
            return Err(AppError::Conflict {
                code: konbit_core::ErrorCode::WrongStage,
                detail: "only an adopted decision whose application failed can be tried again"
                    .into(),
            });
        }
        // It was due when it failed: a clock stepped back since does not
        // reopen its appeal window.
        let now = record
            .proposal
            .applicable_at()
            .map_or(now, |due| now.max(due));
        let old = record.clone();
        let mut mails = Vec::new();
        if let Err(e) = self.apply(&mut tx, &mut record, now, &mut mails).await {
            drop(tx);
            self.record_failure(id, &e, now).await?;
            return Err(AppError::Conflict {
                code: konbit_core::ErrorCode::ApplyFailed,
                detail: failure_text(&e),
            });
        }
        tx.save_proposal(&record, now).await?;
        self.audit_change(&mut tx, actor, "decision_applied", &old, &record, now)
            .await?;
        self.app.commit(tx).await?;
        self.send(mails).await;
        Ok(record)
    }

    /// Undoes an applied decision (an admin's call, e.g. after an appeal
    /// upheld later): the inverse recorded when it was applied.
    pub async fn roll_back(&self, actor: &Actor, id: ProposalId) -> Result<ProposalRecord> {
        super::check(actor, Action::ManageGovernance)?;
        let now = crate::now();
        let mut tx = self.app.store.write().await?;
        let mut record = tx.proposal(id).await?;
        let (Stage::Applied { .. }, Some(undo), None) = (
            record.proposal.stage(),
            record.undo.clone(),
            record.rolled_back_at,
        ) else {
            return Err(AppError::Conflict {
                code: konbit_core::ErrorCode::WrongStage,
                detail: "only an applied decision with an action can be rolled back, once".into(),
            });
        };
        let old = record.clone();
        apply_in(&mut tx, self.app, actor, &undo, now).await?;
        record.rolled_back_at = Some(now);
        tx.save_proposal(&record, now).await?;
        log(
            &mut tx,
            &record,
            DecisionEvent::RolledBack,
            Some(serde_json::json!({ "undo": undo, "by": actor.label })),
            now,
        )
        .await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "decision_rolled_back",
                kind: super::PROPOSAL_KIND,
                id: id.to_string(),
                account: None,
                old: json(&old.undo),
                new: json(&undo),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(record)
    }

    pub(crate) fn notice(&self, record: &ProposalRecord, kind: NoticeKind) -> Notice {
        Notice::of(record, kind)
    }
}
