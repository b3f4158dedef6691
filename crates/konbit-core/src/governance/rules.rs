//! A body's decision rules, stored as data (JSON) so each co-op can write
//! its bylaws into Konbit without code: who votes and with what weight, who
//! may propose, the default method, the quorum and threshold, and how long
//! each phase lasts.

use super::counting::{ConsentRules, RulesError, YesNoRules};
use serde::{Deserialize, Serialize};

/// One hour: a shorter discussion or vote gives members no real chance to take part.
pub const MIN_PHASE_SECONDS: u64 = 60 * 60;
/// Ninety days: a longer phase leaves a decision hanging past any co-op's calendar.
pub const MAX_PHASE_SECONDS: u64 = 90 * 24 * 60 * 60;
/// Zero is allowed: some bodies apply decisions as soon as they close.
pub const MIN_APPEAL_SECONDS: u64 = 0;
pub const MAX_APPEAL_SECONDS: u64 = 30 * 24 * 60 * 60;
/// Past a dozen rounds, consent has become obstruction; the fallback vote settles it.
pub const MAX_CONSENT_ROUNDS: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    GeneralAssembly,
    Board,
    Committee,
}

/// Bylaws differ on whether a person holding several member accounts (say,
/// a worker who is also the delegate of a member organisation) votes once
/// or once per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    OneVotePerAccount,
    OneVotePerPerson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proposers {
    AnyMemberOfBody,
    BoardOnly,
    AdminsOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Consent,
    YesNo,
    Schulze,
    Approval,
    TimePoll,
}

/// A secret vote stores no link between person and ballot; the operator
/// is trusted for this, and the UI says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BallotVisibility {
    PublicToMembers,
    Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DecisionRules {
    pub body: BodyKind,
    pub weighting: Weighting,
    pub proposers: Proposers,
    pub default_method: Method,
    pub yes_no: YesNoRules,
    pub consent: ConsentRules,
    pub discussion_seconds: u64,
    pub vote_seconds: u64,
    pub appeal_window_seconds: u64,
    pub visibility: BallotVisibility,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationField {
    Discussion,
    Vote,
    AppealWindow,
}

/// One thing wrong with a body's rules. `validate` reports all of them at
/// once so an admin fixes the form in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleProblem {
    #[error("the quorum is invalid: {problem}")]
    Quorum { problem: RulesError },
    #[error("consent needs at least one round")]
    ZeroConsentRounds,
    #[error("consent allows {max_rounds} rounds, more than {max}")]
    TooManyConsentRounds { max_rounds: u32, max: u32 },
    #[error("{field:?} lasts {seconds} s, outside {min}..={max}")]
    DurationOutOfRange {
        field: DurationField,
        seconds: u64,
        min: u64,
        max: u64,
    },
}

impl DecisionRules {
    /// What a new body starts with; the admins then write their bylaws in.
    /// A general assembly gives each member account one vote and a week to
    /// discuss; a board or committee votes per person, on a shorter clock.
    pub fn default_for(body: BodyKind) -> Self {
        use super::counting::{AbstentionsIn, Bound, Quorum, Threshold};
        const DAY: u64 = 24 * 60 * 60;
        let assembly = body == BodyKind::GeneralAssembly;
        Self {
            body,
            weighting: if assembly {
                Weighting::OneVotePerAccount
            } else {
                Weighting::OneVotePerPerson
            },
            proposers: Proposers::AnyMemberOfBody,
            default_method: Method::YesNo,
            yes_no: YesNoRules {
                quorum: Quorum::Fraction {
                    bound: if assembly {
                        Bound::AtLeast
                    } else {
                        Bound::MoreThan
                    },
                    numerator: 1,
                    denominator: if assembly { 3 } else { 2 },
                },
                threshold: Threshold::MoreThanHalf,
                abstentions: AbstentionsIn::Quorum,
            },
            consent: ConsentRules { max_rounds: 3 },
            discussion_seconds: if assembly { 7 * DAY } else { 2 * DAY },
            vote_seconds: if assembly { 3 * DAY } else { 2 * DAY },
            appeal_window_seconds: if assembly { 3 * DAY } else { 2 * DAY },
            visibility: BallotVisibility::PublicToMembers,
        }
    }

    pub fn validate(&self) -> Result<(), Vec<RuleProblem>> {
        let problems: Vec<RuleProblem> = self
            .quorum_problem()
            .into_iter()
            .chain(self.consent_problem())
            .chain(self.duration_problems())
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn quorum_problem(&self) -> Option<RuleProblem> {
        self.yes_no
            .quorum
            .validate()
            .err()
            .map(|problem| RuleProblem::Quorum { problem })
    }

    fn consent_problem(&self) -> Option<RuleProblem> {
        let max_rounds = self.consent.max_rounds;
        if max_rounds == 0 {
            Some(RuleProblem::ZeroConsentRounds)
        } else if max_rounds > MAX_CONSENT_ROUNDS {
            Some(RuleProblem::TooManyConsentRounds {
                max_rounds,
                max: MAX_CONSENT_ROUNDS,
            })
        } else {
            None
        }
    }

    fn duration_problems(&self) -> impl Iterator<Item = RuleProblem> {
        [
            (
                DurationField::Discussion,
                self.discussion_seconds,
                MIN_PHASE_SECONDS,
                MAX_PHASE_SECONDS,
            ),
            (
                DurationField::Vote,
                self.vote_seconds,
                MIN_PHASE_SECONDS,
                MAX_PHASE_SECONDS,
            ),
            (
                DurationField::AppealWindow,
                self.appeal_window_seconds,
                MIN_APPEAL_SECONDS,
                MAX_APPEAL_SECONDS,
            ),
        ]
        .into_iter()
        .filter(|&(_, seconds, min, max)| !(min..=max).contains(&seconds))
        .map(
            |(field, seconds, min, max)| RuleProblem::DurationOutOfRange {
                field,
                seconds,
                min,
                max,
            },
        )
    }
}

#[cfg(test)]
mod tests;
