//! Co-op governance: bodies with their rules, proposals from draft to
//! decision, ballots (in the panel, the API or by a one-time e-mail link),
//! the housekeeping step that opens and closes votes and applies adopted
//! platform actions after their appeal window, and the public decision log.
//!
//! The counting itself is pure (`konbit_core::governance`); this module
//! reads and writes the store around it, one transaction per step.

mod actions;
mod appeals;
mod bodies;
mod decisions;
mod lifecycle;
mod notify;
mod proposals;
mod votes;

pub(crate) use actions::zone_template;
pub use actions::{ActionPreview, PreviewLine, PreviewProblem};
pub use bodies::BodyInput;
pub use decisions::DecisionPage;
pub use lifecycle::TickReport;
pub use notify::GovernanceMail;
pub use proposals::{ProposalInput, ProposalView, VoterChoice};
pub use votes::{BallotInput, VoteLinkView};

use crate::{App, AppError, Result};
use konbit_core::ErrorCode;
use konbit_core::authz::{Action, Actor, Source};
use konbit_core::governance::proposal::{BallotRefusal, LifecycleError};
use konbit_core::governance::voter::Voter;
use konbit_core::model::ProposalId;

pub const BODY_KIND: &str = "governance_body";
pub const PROPOSAL_KIND: &str = "proposal";

/// A proposal's title: a line.
pub const MAX_TITLE_CHARS: usize = 200;
/// A proposal's text: a long motion with its reasons fits.
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_COMMENT_CHARS: usize = 5_000;

pub struct GovernanceService<'a> {
    pub(crate) app: &'a App,
}

impl App {
    pub fn governance(&self) -> GovernanceService<'_> {
        GovernanceService { app: self }
    }
}

/// Who applies an adopted decision: Konbit itself, named after the
/// proposal so the audit log says which decision made each change.
pub(crate) fn decision_actor(proposal: ProposalId) -> Actor {
    Actor {
        label: format!("decision #{proposal}"),
        source: Source::System,
        ..Actor::operator_cli()
    }
}

pub(crate) fn lifecycle_error(e: LifecycleError) -> AppError {
    let code = match e {
        LifecycleError::TextFrozen { .. } => ErrorCode::TextFrozen,
        _ => ErrorCode::WrongStage,
    };
    AppError::Conflict {
        code,
        detail: e.to_string(),
    }
}

pub(crate) fn ballot_refusal(e: BallotRefusal<Voter>) -> AppError {
    let code = match e {
        BallotRefusal::VoteNotOpen { .. } => ErrorCode::VoteNotOpen,
        BallotRefusal::VoteClosed => ErrorCode::VoteClosed,
        BallotRefusal::StaleText { .. } => ErrorCode::StaleText,
        BallotRefusal::NotInElectorate { .. } => ErrorCode::NotInElectorate,
    };
    AppError::Conflict {
        code,
        detail: e.to_string(),
    }
}

/// Checks the actor's standing for a governance action before anything is
/// looked up.
pub(crate) fn check(actor: &Actor, action: Action) -> Result<()> {
    Ok(konbit_core::authz::authorize(
        actor,
        action,
        konbit_core::authz::Target::default(),
    )?)
}

#[cfg(test)]
mod tests;
