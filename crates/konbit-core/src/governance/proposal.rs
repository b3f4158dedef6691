//! A proposal's lifecycle as a pure state machine: every transition takes
//! the current proposal and the time (unix seconds) and returns the next
//! proposal or says exactly why it may not move.
//!
//! Draft → Discussion → Voting → Closed → Applied or Rejected; a draft or a
//! proposal under discussion may be withdrawn. The text is frozen when
//! voting opens, and every ballot names the hash of the text it was cast
//! on, so nobody's vote can be carried over to a text they never saw.

use super::counting::Outcome;
use super::rules::DecisionRules;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------
// Text hash
// ---------------------------------------------------------------------------

/// Versioned so a later change of encoding can never match an old hash.
const TEXT_DOMAIN: &[u8] = b"konbit/proposal-text/v1";

/// SHA-256, lowercase hex, of [`encode_text`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TextHash(String);

impl TextHash {
    /// A hash as a ballot names it; whatever it holds, it only ever
    /// matches the frozen one if it is that hash.
    pub fn from_hex(hex: &str) -> Self {
        Self(hex.trim().to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Each field is prefixed with its length in bytes (u64, big-endian), so
/// the boundary between title and body cannot move: ("ab", "c") and
/// ("a", "bc") encode differently.
pub fn encode_text(title: &str, body: &str) -> Vec<u8> {
    let mut encoded = Vec::with_capacity(TEXT_DOMAIN.len() + 24 + title.len() + body.len());
    for field in [TEXT_DOMAIN, title.as_bytes(), body.as_bytes()] {
        encoded.extend_from_slice(&len_u64(field.len()).to_be_bytes());
        encoded.extend_from_slice(field);
    }
    encoded
}

pub fn text_hash(title: &str, body: &str) -> TextHash {
    TextHash(hex::encode(Sha256::digest(encode_text(title, body))))
}

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// Durations are bounded by the rules (at most 90 days), so only a
/// nonsensical clock near `i64::MAX` could saturate.
fn after(start: i64, seconds: u64) -> i64 {
    start.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------
// Frozen electorate
// ---------------------------------------------------------------------------

/// The voters captured when voting opens: sorted and deduplicated, so
/// membership is a binary search and the list hashes the same whatever
/// order the database returned it in.
///
/// Deserializing goes through [`FrozenElectorate::capture`] too, so a
/// stored list edited out of order cannot break the binary search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<V>", bound(deserialize = "V: Ord + Deserialize<'de>"))]
pub struct FrozenElectorate<V>(Vec<V>);

impl<V: Ord> From<Vec<V>> for FrozenElectorate<V> {
    fn from(voters: Vec<V>) -> Self {
        Self::capture(voters)
    }
}

impl<V: Ord> FrozenElectorate<V> {
    pub fn capture(voters: impl IntoIterator<Item = V>) -> Self {
        let mut voters: Vec<V> = voters.into_iter().collect();
        voters.sort();
        voters.dedup();
        Self(voters)
    }

    pub fn contains(&self, voter: &V) -> bool {
        self.0.binary_search(voter).is_ok()
    }

    pub fn voters(&self) -> &[V] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// ---------------------------------------------------------------------------
// States
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    Draft,
    Discussion,
    Voting,
    Closed,
    Applied,
    Rejected,
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    /// Too few took part: the status quo stays.
    QuorumMissed,
    /// The threshold was not met, the status quo won, or consent failed.
    NotAdopted,
    /// Adopted, then set aside on an appeal lodged during the appeal
    /// window and upheld.
    SetAsideOnAppeal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    Adopted,
    Rejected { reason: RejectionReason },
}

impl From<Outcome> for Decision {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Adopted => Decision::Adopted,
            Outcome::Rejected => Decision::Rejected {
                reason: RejectionReason::NotAdopted,
            },
            Outcome::QuorumMissed => Decision::Rejected {
                reason: RejectionReason::QuorumMissed,
            },
        }
    }
}

/// What was fixed when voting opened. The appeal window is frozen with it
/// so a later change of the body's rules cannot shorten an appeal already
/// running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "V: Ord + Deserialize<'de>"))]
pub struct FrozenVote<V> {
    pub text_hash: TextHash,
    pub electorate: FrozenElectorate<V>,
    pub opened_at: i64,
    pub closes_at: i64,
    pub appeal_window_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "stage",
    rename_all = "snake_case",
    bound(deserialize = "V: Ord + Deserialize<'de>")
)]
pub enum Stage<V> {
    Draft,
    Discussion {
        opened_at: i64,
        ends_at: i64,
    },
    Voting {
        vote: FrozenVote<V>,
    },
    Closed {
        vote: FrozenVote<V>,
        closed_at: i64,
        decision: Decision,
    },
    Applied {
        vote: FrozenVote<V>,
        closed_at: i64,
        applied_at: i64,
    },
    Rejected {
        vote: FrozenVote<V>,
        closed_at: i64,
        reason: RejectionReason,
    },
    Withdrawn {
        at: i64,
    },
}

impl<V> Stage<V> {
    pub fn kind(&self) -> StageKind {
        match self {
            Stage::Draft => StageKind::Draft,
            Stage::Discussion { .. } => StageKind::Discussion,
            Stage::Voting { .. } => StageKind::Voting,
            Stage::Closed { .. } => StageKind::Closed,
            Stage::Applied { .. } => StageKind::Applied,
            Stage::Rejected { .. } => StageKind::Rejected,
            Stage::Withdrawn { .. } => StageKind::Withdrawn,
        }
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LifecycleError {
    #[error("a proposal cannot go from {from:?} to {to:?}")]
    WrongState { from: StageKind, to: StageKind },
    #[error("the discussion runs until {ends_at}")]
    DiscussionNotOver { ends_at: i64 },
    #[error("the vote runs until {closes_at}")]
    VoteNotOver { closes_at: i64 },
    #[error("the appeal window runs until {applicable_at}")]
    AppealWindowOpen { applicable_at: i64 },
    #[error("the text is frozen since voting opened (now {stage:?})")]
    TextFrozen { stage: StageKind },
    #[error("nobody is in the electorate")]
    EmptyElectorate,
    #[error("the proposal was not adopted")]
    NotAdopted,
    #[error("the proposal was adopted")]
    WasAdopted,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BallotRefusal<V> {
    #[error("voting has not opened (now {stage:?})")]
    VoteNotOpen { stage: StageKind },
    #[error("the vote is closed")]
    VoteClosed,
    #[error("the ballot was cast on an older text; the current hash is {current:?}")]
    StaleText { current: TextHash },
    #[error("voter {voter:?} is not in the frozen electorate")]
    NotInElectorate { voter: V },
}

// ---------------------------------------------------------------------------
// Proposal
// ---------------------------------------------------------------------------

/// Fields are private so the text can only change through [`Proposal::edit`],
/// which refuses once voting opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "V: Ord + Deserialize<'de>"))]
pub struct Proposal<V> {
    title: String,
    body: String,
    /// Whether adoption changes the platform (a quota profile, an account…);
    /// only then does the appeal window hold the decision back.
    carries_platform_action: bool,
    stage: Stage<V>,
}

impl<V: Ord + Clone> Proposal<V> {
    pub fn draft(title: String, body: String, carries_platform_action: bool) -> Self {
        Self {
            title,
            body,
            carries_platform_action,
            stage: Stage::Draft,
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    pub fn carries_platform_action(&self) -> bool {
        self.carries_platform_action
    }

    pub fn stage(&self) -> &Stage<V> {
        &self.stage
    }

    pub fn current_hash(&self) -> TextHash {
        text_hash(&self.title, &self.body)
    }

    /// Amending is part of discussion; once voting opened, a changed text
    /// would need a new proposal.
    pub fn edit(&self, title: String, body: String) -> Result<Self, LifecycleError> {
        match self.stage {
            Stage::Draft | Stage::Discussion { .. } => Ok(Self {
                title,
                body,
                ..self.clone()
            }),
            _ => Err(LifecycleError::TextFrozen {
                stage: self.stage.kind(),
            }),
        }
    }

    pub fn open_discussion(&self, rules: &DecisionRules, now: i64) -> Result<Self, LifecycleError> {
        self.require(StageKind::Draft, StageKind::Discussion)?;
        Ok(self.with_stage(Stage::Discussion {
            opened_at: now,
            ends_at: after(now, rules.discussion_seconds),
        }))
    }

    pub fn open_vote(
        &self,
        rules: &DecisionRules,
        voters: impl IntoIterator<Item = V>,
        now: i64,
    ) -> Result<Self, LifecycleError> {
        let Stage::Discussion { ends_at, .. } = self.stage else {
            return Err(self.wrong_state(StageKind::Voting));
        };
        if now < ends_at {
            return Err(LifecycleError::DiscussionNotOver { ends_at });
        }
        let electorate = FrozenElectorate::capture(voters);
        if electorate.is_empty() {
            return Err(LifecycleError::EmptyElectorate);
        }
        Ok(self.with_stage(Stage::Voting {
            vote: FrozenVote {
                text_hash: self.current_hash(),
                electorate,
                opened_at: now,
                closes_at: after(now, rules.vote_seconds),
                appeal_window_seconds: rules.appeal_window_seconds,
            },
        }))
    }

    /// `decision` comes from counting the ballots with the body's method.
    pub fn close_vote(&self, decision: Decision, now: i64) -> Result<Self, LifecycleError> {
        let Stage::Voting { vote } = &self.stage else {
            return Err(self.wrong_state(StageKind::Closed));
        };
        if now < vote.closes_at {
            return Err(LifecycleError::VoteNotOver {
                closes_at: vote.closes_at,
            });
        }
        Ok(self.with_stage(Stage::Closed {
            vote: vote.clone(),
            closed_at: now,
            decision,
        }))
    }

    /// Consent with blocks left and rounds to spare: the proposal goes back
    /// to discussion so it can be amended; the next round is a new vote
    /// (a new text hash, a newly frozen electorate).
    pub fn back_to_discussion(
        &self,
        rules: &DecisionRules,
        now: i64,
    ) -> Result<Self, LifecycleError> {
        self.voting_over(now, StageKind::Discussion)?;
        Ok(self.with_stage(Stage::Discussion {
            opened_at: now,
            ends_at: after(now, rules.discussion_seconds),
        }))
    }

    /// Consent blocked in its last round: the same text and electorate go
    /// to the fallback vote for another vote period.
    pub fn reopen_vote(&self, rules: &DecisionRules, now: i64) -> Result<Self, LifecycleError> {
        let vote = self.voting_over(now, StageKind::Voting)?;
        Ok(self.with_stage(Stage::Voting {
            vote: FrozenVote {
                opened_at: now,
                closes_at: after(now, rules.vote_seconds),
                ..vote.clone()
            },
        }))
    }

    fn voting_over(&self, now: i64, to: StageKind) -> Result<&FrozenVote<V>, LifecycleError> {
        let Stage::Voting { vote } = &self.stage else {
            return Err(self.wrong_state(to));
        };
        if now < vote.closes_at {
            return Err(LifecycleError::VoteNotOver {
                closes_at: vote.closes_at,
            });
        }
        Ok(vote)
    }

    /// `None` unless the proposal is closed and adopted. Without a platform
    /// action there is nothing to hold back, so it is applicable at once.
    pub fn applicable_at(&self) -> Option<i64> {
        let Stage::Closed {
            vote,
            closed_at,
            decision: Decision::Adopted,
        } = &self.stage
        else {
            return None;
        };
        if self.carries_platform_action {
            Some(after(*closed_at, vote.appeal_window_seconds))
        } else {
            Some(*closed_at)
        }
    }

    pub fn may_apply(&self, now: i64) -> bool {
        self.applicable_at()
            .is_some_and(|applicable_at| now >= applicable_at)
    }

    pub fn apply(&self, now: i64) -> Result<Self, LifecycleError> {
        let Stage::Closed {
            vote,
            closed_at,
            decision,
        } = &self.stage
        else {
            return Err(self.wrong_state(StageKind::Applied));
        };
        if *decision != Decision::Adopted {
            return Err(LifecycleError::NotAdopted);
        }
        match self.applicable_at() {
            Some(applicable_at) if now < applicable_at => {
                Err(LifecycleError::AppealWindowOpen { applicable_at })
            }
            _ => Ok(self.with_stage(Stage::Applied {
                vote: vote.clone(),
                closed_at: *closed_at,
                applied_at: now,
            })),
        }
    }

    /// An appeal (lodged during the appeal window, which holds the decision
    /// back until it is settled) is upheld: the adopted decision is set
    /// aside and never applied.
    pub fn set_aside(&self) -> Result<Self, LifecycleError> {
        let Stage::Closed {
            vote,
            closed_at,
            decision,
        } = &self.stage
        else {
            return Err(self.wrong_state(StageKind::Rejected));
        };
        if *decision != Decision::Adopted {
            return Err(LifecycleError::NotAdopted);
        }
        Ok(self.with_stage(Stage::Rejected {
            vote: vote.clone(),
            closed_at: *closed_at,
            reason: RejectionReason::SetAsideOnAppeal,
        }))
    }

    /// Whether an appeal may be lodged at `now`: adopted, carrying a
    /// platform action, and within the appeal window.
    pub fn appealable(&self, now: i64) -> bool {
        let adopted = matches!(
            self.stage,
            Stage::Closed {
                decision: Decision::Adopted,
                ..
            }
        );
        adopted && self.carries_platform_action && self.applicable_at().is_some_and(|at| now < at)
    }

    /// Files a closed, not adopted proposal as rejected.
    pub fn reject(&self) -> Result<Self, LifecycleError> {
        let Stage::Closed {
            vote,
            closed_at,
            decision,
        } = &self.stage
        else {
            return Err(self.wrong_state(StageKind::Rejected));
        };
        let Decision::Rejected { reason } = *decision else {
            return Err(LifecycleError::WasAdopted);
        };
        Ok(self.with_stage(Stage::Rejected {
            vote: vote.clone(),
            closed_at: *closed_at,
            reason,
        }))
    }

    pub fn withdraw(&self, now: i64) -> Result<Self, LifecycleError> {
        match self.stage {
            Stage::Draft | Stage::Discussion { .. } => {
                Ok(self.with_stage(Stage::Withdrawn { at: now }))
            }
            _ => Err(self.wrong_state(StageKind::Withdrawn)),
        }
    }

    /// Everything a ballot must pass before it is counted: the vote is open
    /// at `now`, the voter is in the frozen electorate, and the ballot names
    /// the frozen text.
    pub fn check_ballot(
        &self,
        voter: &V,
        cast_on_hash: &TextHash,
        now: i64,
    ) -> Result<(), BallotRefusal<V>> {
        let vote = self.open_vote_at(now)?;
        if !vote.electorate.contains(voter) {
            return Err(BallotRefusal::NotInElectorate {
                voter: voter.clone(),
            });
        }
        check_ballot_hash(&self.stage, cast_on_hash)
    }

    fn open_vote_at(&self, now: i64) -> Result<&FrozenVote<V>, BallotRefusal<V>> {
        match &self.stage {
            Stage::Voting { vote } if now < vote.closes_at => Ok(vote),
            Stage::Voting { .. }
            | Stage::Closed { .. }
            | Stage::Applied { .. }
            | Stage::Rejected { .. } => Err(BallotRefusal::VoteClosed),
            stage => Err(BallotRefusal::VoteNotOpen {
                stage: stage.kind(),
            }),
        }
    }

    fn require(&self, from: StageKind, to: StageKind) -> Result<(), LifecycleError> {
        if self.stage.kind() == from {
            Ok(())
        } else {
            Err(self.wrong_state(to))
        }
    }

    fn wrong_state(&self, to: StageKind) -> LifecycleError {
        LifecycleError::WrongState {
            from: self.stage.kind(),
            to,
        }
    }

    fn with_stage(&self, stage: Stage<V>) -> Self {
        Self {
            stage,
            ..self.clone()
        }
    }
}

/// Refuses a ballot cast on any text but the one frozen when voting opened.
pub fn check_ballot_hash<V>(
    stage: &Stage<V>,
    cast_on_hash: &TextHash,
) -> Result<(), BallotRefusal<V>> {
    match stage {
        Stage::Voting { vote } if vote.text_hash == *cast_on_hash => Ok(()),
        Stage::Voting { vote } => Err(BallotRefusal::StaleText {
            current: vote.text_hash.clone(),
        }),
        Stage::Closed { .. } | Stage::Applied { .. } | Stage::Rejected { .. } => {
            Err(BallotRefusal::VoteClosed)
        }
        stage => Err(BallotRefusal::VoteNotOpen {
            stage: stage.kind(),
        }),
    }
}

#[cfg(test)]
mod tests;
