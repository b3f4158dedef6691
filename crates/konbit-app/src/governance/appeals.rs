//! Appeals: during the appeal window, a voter of an adopted decision that
//! changes the platform may appeal it, with a reason. The decision then
//! waits, whatever the clock says, until the admins settle the appeal:
//! upheld, the decision is set aside; dismissed, it applies.

use super::decisions::log;
use super::proposals::{actor_voters, frozen_voters};
use super::{GovernanceService, PROPOSAL_KIND, ballot_refusal, check, lifecycle_error};
use crate::{AppError, Audit, Result, audit, json, now};
use konbit_core::authz::{Action, Actor};
use konbit_core::governance::counting::{Reason, ReasonError};
use konbit_core::governance::decision_log::DecisionEvent;
use konbit_core::governance::proposal::BallotRefusal;
use konbit_core::governance::record::{Appeal, AppealSettlement, ProposalRecord};
use konbit_core::model::ProposalId;
use konbit_core::{ErrorCode, FieldError, Rule};

fn reason_field(e: ReasonError) -> AppError {
    let rule = match e {
        ReasonError::Empty => Rule::Required,
        ReasonError::TooLong { max, .. } => Rule::TooLong { max },
    };
    AppError::invalid(FieldError::new("reason", rule))
}

fn no_appeal(detail: &str) -> AppError {
    AppError::Conflict {
        code: ErrorCode::WrongStage,
        detail: detail.into(),
    }
}

impl GovernanceService<'_> {
    pub async fn appeal(
        &self,
        actor: &Actor,
        id: ProposalId,
        reason: &str,
    ) -> Result<ProposalRecord> {
        check(actor, Action::TakePartInGovernance)?;
        let reason = Reason::parse(reason).map_err(reason_field)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let mut record = self.visible(&mut tx, actor, id).await?;
        if !record.proposal.appealable(now) {
            return Err(no_appeal("no appeal window is open for this proposal"));
        }
        if actor_voters(actor, frozen_voters(&record)).is_empty() {
            let me = actor
                .user_id
                .map(konbit_core::governance::voter::Voter::Person)
                .ok_or(konbit_core::Denied::Unauthenticated)?;
            return Err(ballot_refusal(BallotRefusal::NotInElectorate { voter: me }));
        }
        if record.appeal.is_some() {
            return Err(no_appeal("this decision is already under appeal"));
        }
        let old = record.clone();
        record.appeal = Some(Appeal {
            by_user_id: actor.user_id,
            by: actor.label.clone(),
            reason: reason.clone(),
            at: now,
            settled: None,
        });
        // Held back until the admins settle the appeal.
        record.due_at = None;
        tx.save_proposal(&record, now).await?;
        log(
            &mut tx,
            &record,
            DecisionEvent::Appealed,
            Some(serde_json::json!({ "reason": reason })),
            now,
        )
        .await?;
        self.audit_change(&mut tx, actor, "decision_appealed", &old, &record, now)
            .await?;
        self.app.commit(tx).await?;
        Ok(record)
    }

    /// Upheld: the decision is set aside. Dismissed: it applies at the end
    /// of its appeal window, or at once if that is over.
    pub async fn settle_appeal(
        &self,
        actor: &Actor,
        id: ProposalId,
        uphold: bool,
    ) -> Result<ProposalRecord> {
        check(actor, Action::ManageGovernance)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let mut record = tx.proposal(id).await?;
        let Some(appeal) = record.appeal.clone().filter(|a| a.settled.is_none()) else {
            return Err(no_appeal("no appeal is waiting on this proposal"));
        };
        let old = record.clone();
        let event = if uphold {
            record.proposal = record.proposal.set_aside().map_err(lifecycle_error)?;
            record.outcome = Some("set_aside".into());
            record.due_at = None;
            DecisionEvent::AppealUpheld
        } else {
            let applicable_at = record
                .proposal
                .applicable_at()
                .ok_or_else(|| no_appeal("the decision is no longer waiting"))?;
            record.due_at = Some(applicable_at.max(now));
            DecisionEvent::AppealDismissed
        };
        record.appeal = Some(Appeal {
            settled: Some(AppealSettlement {
                upheld: uphold,
                by: actor.label.clone(),
                at: now,
            }),
            ..appeal
        });
        tx.save_proposal(&record, now).await?;
        log(
            &mut tx,
            &record,
            event,
            Some(serde_json::json!({ "by": actor.label })),
            now,
        )
        .await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: if uphold {
                    "decision_appeal_upheld"
                } else {
                    "decision_appeal_dismissed"
                },
                kind: PROPOSAL_KIND,
                id: id.to_string(),
                account: None,
                old: json(&old.appeal),
                new: json(&record.appeal),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(record)
    }
}
