//! The API's JSON shapes for a list's people and moderation queue. They
//! live in Mailman; these shapes keep its own names out of the contract.

use crate::error::field_message;
use crate::i18n::Tr;
use konbit_app::list_members::BulkOutcome;
use konbit_app::list_server::{
    HeldPost, HeldPostText, Moderation, PendingSubscription, RequestDecision, StaffMember,
    StaffRole, Subscriber,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SubscriberDto {
    #[schema(example = "alice@example.org")]
    pub address: String,
    /// May be empty; typed by whoever subscribed.
    pub display_name: String,
    /// Receives digests rather than each post.
    pub digest: bool,
}

impl From<Subscriber> for SubscriberDto {
    fn from(s: Subscriber) -> Self {
        Self {
            address: s.address,
            display_name: s.display_name,
            digest: s.digest,
        }
    }
}

/// Pasted addresses, as a person would paste them from a spreadsheet.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressesBody {
    /// One per line: `alice@example.org` or `Alice Martin <alice@example.org>`;
    /// blank lines are skipped.
    #[schema(example = "alice@example.org\nBob Martin <bob@example.org>")]
    pub addresses: String,
}

/// A line of the paste that is not an address.
#[derive(Serialize, ToSchema)]
pub struct BadLineDto {
    /// From 1.
    pub line: usize,
    #[schema(example = "addresses")]
    pub field: String,
    /// The rule, as in a 422's `errors[]`.
    #[schema(example = "email_format")]
    pub rule: String,
    /// The rule, as a sentence in the caller's language (Accept-Language).
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct FailedAddressDto {
    pub address: String,
    /// The list server's reason, in English.
    pub reason: String,
}

/// What a paste did, address by address.
#[derive(Serialize, ToSchema)]
pub struct BulkOutcomeDto {
    /// Subscribed (or unsubscribed).
    pub done: Vec<String>,
    /// Already subscribed (or not a subscriber).
    pub unchanged: Vec<String>,
    /// Good addresses the list server refused or could not take.
    pub failed: Vec<FailedAddressDto>,
    pub bad_lines: Vec<BadLineDto>,
}

impl BulkOutcomeDto {
    pub fn new(tr: &Tr, o: BulkOutcome) -> Self {
        Self {
            bad_lines: o
                .bad_lines
                .iter()
                .map(|b| BadLineDto {
                    line: b.line,
                    field: b.error.field.to_owned(),
                    rule: rule_name(&b.error),
                    message: field_message(tr, &b.error),
                })
                .collect(),
            done: o.done,
            unchanged: o.unchanged,
            failed: o
                .failed
                .into_iter()
                .map(|(address, reason)| FailedAddressDto { address, reason })
                .collect(),
        }
    }
}

/// The rule's name as a 422 gives it (`email_format`, `too_long`...).
fn rule_name(e: &konbit_core::FieldError) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("rule").and_then(|r| r.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
pub struct StaffDto {
    #[schema(example = "alice@example.org")]
    pub address: String,
    /// `owner` or `moderator`.
    #[schema(example = "moderator")]
    pub role: String,
}

impl From<StaffMember> for StaffDto {
    fn from(s: StaffMember) -> Self {
        Self {
            address: s.address,
            role: s.role.as_str().to_owned(),
        }
    }
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum StaffRoleDto {
    Owner,
    Moderator,
}

impl From<StaffRoleDto> for StaffRole {
    fn from(r: StaffRoleDto) -> Self {
        match r {
            StaffRoleDto::Owner => StaffRole::Owner,
            StaffRoleDto::Moderator => StaffRole::Moderator,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffBody {
    pub role: StaffRoleDto,
    #[schema(example = "alice@example.org")]
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct HeldPostDto {
    /// The request's id, for the decision.
    pub id: u64,
    pub sender: String,
    pub subject: String,
    /// Mailman's reason, in English.
    #[schema(example = "The message is not from a list member")]
    pub reason: String,
    /// ISO 8601, UTC, without a zone.
    pub held_at: String,
}

impl From<HeldPost> for HeldPostDto {
    fn from(p: HeldPost) -> Self {
        Self {
            id: p.id,
            sender: p.sender,
            subject: p.subject,
            reason: p.reason,
            held_at: p.held_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HeldPostTextDto {
    #[serde(flatten)]
    pub post: HeldPostDto,
    /// Headers and body as text, cut at 64 KiB.
    pub text: String,
}

impl From<HeldPostText> for HeldPostTextDto {
    fn from(p: HeldPostText) -> Self {
        Self {
            post: p.post.into(),
            text: p.text,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PendingDto {
    /// The request's token, for the decision.
    pub token: String,
    pub address: String,
    pub display_name: String,
    /// ISO 8601, UTC, without a zone.
    pub since: String,
}

impl From<PendingSubscription> for PendingDto {
    fn from(p: PendingSubscription) -> Self {
        Self {
            token: p.token,
            address: p.address,
            display_name: p.display_name,
            since: p.since,
        }
    }
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum DecisionAction {
    Approve,
    Reject,
    Discard,
}

/// A moderator's decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub action: DecisionAction,
    /// With `reject`: told to the sender (at most 1000 characters).
    pub reason: Option<String>,
}

impl DecisionBody {
    pub fn moderation(self) -> Moderation {
        match self.action {
            DecisionAction::Approve => Moderation::Approve,
            DecisionAction::Reject => Moderation::Reject {
                reason: self.reason,
            },
            DecisionAction::Discard => Moderation::Discard,
        }
    }

    pub fn request_decision(self) -> RequestDecision {
        match self.action {
            DecisionAction::Approve => RequestDecision::Approve,
            DecisionAction::Reject => RequestDecision::Reject {
                reason: self.reason,
            },
            DecisionAction::Discard => RequestDecision::Discard,
        }
    }
}
