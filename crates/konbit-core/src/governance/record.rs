//! Governance records as the store hands them to the services.

use super::action::PlatformAction;
use super::ballot::CountSpec;
use super::proposal::Proposal;
use super::rules::{BallotVisibility, DecisionRules};
use super::voter::Voter;
use crate::model::{BodyId, CommentId, ProposalId, Timestamp, UserId};
use crate::names::{DisplayName, EmailAddress};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Body {
    pub id: BodyId,
    pub name: DisplayName,
    pub rules: DecisionRules,
    /// People listed for a board or committee (0 for an assembly).
    pub member_count: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyMember {
    pub user_id: UserId,
    pub email: EmailAddress,
    pub display_name: DisplayName,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposalRecord {
    pub id: ProposalId,
    pub body_id: BodyId,
    pub body_name: String,
    pub author_user_id: Option<UserId>,
    pub author_label: String,
    pub proposal: Proposal<Voter>,
    pub spec: CountSpec,
    pub visibility: BallotVisibility,
    pub action: Option<PlatformAction>,
    /// The inverse of the action, recorded when it was applied.
    pub undo: Option<PlatformAction>,
    /// The published tally of the last count.
    pub tally: Option<serde_json::Value>,
    /// `adopted`, `rejected` or `quorum_missed` once counted.
    pub outcome: Option<String>,
    /// Why the action could not be applied, if it failed.
    pub action_error: Option<String>,
    pub rolled_back_at: Option<Timestamp>,
    /// An appeal lodged during the appeal window, and how it was settled.
    pub appeal: Option<Appeal>,
    /// The round whose "closes soon" reminder went out.
    pub reminded_round: u32,
    pub due_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub id: CommentId,
    pub author_user_id: Option<UserId>,
    pub author_label: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// A stored ballot. In a secret vote `key` is opaque and `cast_by` empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredBallot {
    pub key: String,
    pub text_hash: String,
    pub content: super::ballot::BallotContent,
    pub cast_by: Option<UserId>,
    pub cast_at: Option<Timestamp>,
}

/// An appeal against an adopted decision, lodged by one of its voters
/// during the appeal window; the decision waits until the admins settle it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub by_user_id: Option<UserId>,
    pub by: String,
    pub reason: super::counting::Reason,
    pub at: Timestamp,
    pub settled: Option<AppealSettlement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealSettlement {
    /// Upheld: the decision is set aside; dismissed: it applies.
    pub upheld: bool,
    pub by: String,
    pub at: Timestamp,
}
