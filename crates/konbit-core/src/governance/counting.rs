//! Quorum, thresholds and the counts of yes/no/abstain, approval, time polls and consent.
//!
//! Every count takes the electorate frozen when the vote opened and the
//! *last* ballot of each voter, as a map keyed by voter: a person who changed
//! their vote while it was open has exactly one entry, so nobody can be
//! counted twice and the order ballots arrived in cannot matter.
//!
//! All comparisons are integer cross-multiplications in `u128`: a weight sum
//! fits in `u64` (the electorate refuses an overflowing total), and a `u64`
//! times a `u64` always fits in `u128`, so no comparison can overflow or round.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------
// Ratios shared by quorums and thresholds
// ---------------------------------------------------------------------------

/// Whether reaching a fraction exactly is enough. "More than half" and "at
/// least half" are different rules, and bylaws use both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// `part / whole >= numerator / denominator`.
    AtLeast,
    /// `part / whole > numerator / denominator`.
    MoreThan,
}

fn ratio_met(bound: Bound, part: u64, whole: u64, numerator: u64, denominator: u64) -> bool {
    let scaled_part = u128::from(part) * u128::from(denominator);
    let scaled_whole = u128::from(numerator) * u128::from(whole);
    match bound {
        Bound::AtLeast => scaled_part >= scaled_whole,
        Bound::MoreThan => scaled_part > scaled_whole,
    }
}

/// A body's decision rules that cannot be applied as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RulesError {
    #[error("a quorum fraction has a zero denominator")]
    ZeroDenominator,
    #[error("a quorum fraction {numerator}/{denominator} is above one")]
    FractionAboveOne { numerator: u64, denominator: u64 },
    /// "More than all of the electorate" can never be met.
    #[error("a quorum of more than {numerator}/{denominator} can never be met")]
    QuorumUnreachable { numerator: u64, denominator: u64 },
    #[error("consent needs at least one round")]
    ZeroMaxRounds,
    #[error("round {round} is outside 1..={max_rounds}")]
    RoundOutOfRange { round: u32, max_rounds: u32 },
}

// ---------------------------------------------------------------------------
// Quorum
// ---------------------------------------------------------------------------

/// How many votes must be cast for a count to decide anything. A quorum is
/// measured in vote weight (with one vote each, that is the number of
/// voters) and every cast ballot counts toward it, abstentions included.
/// A missed quorum keeps the status quo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Quorum {
    None,
    /// At least this many votes, whatever the size of the electorate.
    AtLeastVotes {
        votes: u64,
    },
    /// A fraction of the frozen electorate's total weight, compared by
    /// cross-multiplication, so the number of votes required is rounded
    /// *up*: half of 11 requires 6 under `AtLeast`, and more than half of
    /// 10 requires 6 under `MoreThan`.
    Fraction {
        bound: Bound,
        numerator: u64,
        denominator: u64,
    },
}

/// The numbers a quorum was decided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuorumCheck {
    /// Weight of every cast ballot, abstentions included.
    pub participating: u64,
    /// The smallest participation that meets the quorum.
    pub required: u64,
    pub met: bool,
}

impl Quorum {
    pub fn validate(self) -> Result<(), RulesError> {
        let Quorum::Fraction {
            bound,
            numerator,
            denominator,
        } = self
        else {
            return Ok(());
        };
        if denominator == 0 {
            return Err(RulesError::ZeroDenominator);
        }
        if numerator > denominator {
            return Err(RulesError::FractionAboveOne {
                numerator,
                denominator,
            });
        }
        if bound == Bound::MoreThan && numerator == denominator {
            return Err(RulesError::QuorumUnreachable {
                numerator,
                denominator,
            });
        }
        Ok(())
    }

    /// Whether `participating` votes out of an electorate weighing
    /// `electorate_weight` meet the quorum.
    pub fn check(
        self,
        participating: u64,
        electorate_weight: u64,
    ) -> Result<QuorumCheck, RulesError> {
        self.validate()?;
        let met = match self {
            Quorum::None => true,
            Quorum::AtLeastVotes { votes } => participating >= votes,
            Quorum::Fraction {
                bound,
                numerator,
                denominator,
            } => ratio_met(
                bound,
                participating,
                electorate_weight,
                numerator,
                denominator,
            ),
        };
        Ok(QuorumCheck {
            participating,
            required: self.required(electorate_weight),
            met,
        })
    }

    /// Only called on a validated quorum: then the fraction is at most one
    /// (strictly below one under `MoreThan`), so the result never exceeds the
    /// electorate except for an empty electorate under `MoreThan`, where 1 is
    /// the honest answer.
    fn required(self, electorate_weight: u64) -> u64 {
        match self {
            Quorum::None => 0,
            Quorum::AtLeastVotes { votes } => votes,
            Quorum::Fraction {
                bound,
                numerator,
                denominator,
            } => {
                let scaled = u128::from(numerator) * u128::from(electorate_weight);
                let denominator = u128::from(denominator.max(1));
                let required = match bound {
                    Bound::AtLeast => scaled.div_ceil(denominator),
                    Bound::MoreThan => scaled / denominator + 1,
                };
                u64::try_from(required).unwrap_or(u64::MAX)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Thresholds
// ---------------------------------------------------------------------------

/// The share of the base (see [`AbstentionsIn`]) that must vote yes. Every
/// threshold also needs at least one yes: a base of zero adopts nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// Simple majority: `yes * 2 > base`. A tie fails.
    MoreThanHalf,
    /// `yes * 2 >= base`. A tie passes.
    AtLeastHalf,
    /// `yes * 3 >= base * 2`. The consent fallback uses this one.
    AtLeastTwoThirds,
    /// `yes * 3 > base * 2`.
    MoreThanTwoThirds,
    /// `yes == base`: nobody in the base voted no (and, when abstentions are
    /// in the base, nobody abstained either).
    Unanimity,
}

impl Threshold {
    pub const ALL: [Threshold; 5] = [
        Threshold::MoreThanHalf,
        Threshold::AtLeastHalf,
        Threshold::AtLeastTwoThirds,
        Threshold::MoreThanTwoThirds,
        Threshold::Unanimity,
    ];

    fn ratio(self) -> (Bound, u64, u64) {
        match self {
            Threshold::MoreThanHalf => (Bound::MoreThan, 1, 2),
            Threshold::AtLeastHalf => (Bound::AtLeast, 1, 2),
            Threshold::AtLeastTwoThirds => (Bound::AtLeast, 2, 3),
            Threshold::MoreThanTwoThirds => (Bound::MoreThan, 2, 3),
            Threshold::Unanimity => (Bound::AtLeast, 1, 1),
        }
    }

    pub fn is_met(self, yes: u64, base: u64) -> bool {
        let (bound, numerator, denominator) = self.ratio();
        yes > 0 && ratio_met(bound, yes, base, numerator, denominator)
    }
}

/// What abstentions count toward. The usual co-op rule is
/// [`AbstentionsIn::Quorum`]: an abstainer is present but takes no side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbstentionsIn {
    /// Abstentions count toward the quorum; the threshold's base is `yes + no`.
    Quorum,
    /// Abstentions count toward the quorum and the base is
    /// `yes + no + abstain`, so abstaining weighs like voting no.
    QuorumAndBase,
}

/// A body's rules for a yes/no/abstain vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct YesNoRules {
    pub quorum: Quorum,
    pub threshold: Threshold,
    pub abstentions: AbstentionsIn,
}

// ---------------------------------------------------------------------------
// Electorate
// ---------------------------------------------------------------------------

/// The voters frozen when a vote opens, each with a weight (one vote each,
/// or per person as the bylaws say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Electorate<V: Ord> {
    weights: BTreeMap<V, u64>,
    total_weight: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ElectorateError<V> {
    #[error("voter {voter:?} is listed twice in the electorate")]
    ListedTwice { voter: V },
    #[error("voter {voter:?} has a weight of zero")]
    ZeroWeight { voter: V },
    #[error("the electorate's total weight does not fit in 64 bits")]
    TotalWeightOverflow,
}

/// A ballot from someone outside the frozen electorate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("voter {voter:?} is not in the frozen electorate")]
pub struct OutsideElectorate<V> {
    pub voter: V,
}

impl<V: Ord + Clone> Electorate<V> {
    pub fn one_vote_each(voters: impl IntoIterator<Item = V>) -> Result<Self, ElectorateError<V>> {
        Self::weighted(voters.into_iter().map(|voter| (voter, 1)))
    }

    pub fn weighted(
        voters: impl IntoIterator<Item = (V, u64)>,
    ) -> Result<Self, ElectorateError<V>> {
        let mut weights = BTreeMap::new();
        let mut total_weight: u64 = 0;
        for (voter, weight) in voters {
            if weight == 0 {
                return Err(ElectorateError::ZeroWeight { voter });
            }
            if weights.contains_key(&voter) {
                return Err(ElectorateError::ListedTwice { voter });
            }
            total_weight = total_weight
                .checked_add(weight)
                .ok_or(ElectorateError::TotalWeightOverflow)?;
            weights.insert(voter, weight);
        }
        Ok(Self {
            weights,
            total_weight,
        })
    }

    /// Number of people, whatever their weight.
    pub fn size(&self) -> u64 {
        len_u64(self.weights.len())
    }

    pub fn total_weight(&self) -> u64 {
        self.total_weight
    }

    pub fn weight_of(&self, voter: &V) -> Result<u64, OutsideElectorate<V>> {
        self.weights
            .get(voter)
            .copied()
            .ok_or_else(|| OutsideElectorate {
                voter: voter.clone(),
            })
    }
}

/// Sums weights that the electorate already proved fit in `u64` together;
/// saturating keeps that a non-issue rather than a panic if it ever changed.
fn add_weight(sum: &mut u64, weight: u64) {
    *sum = sum.saturating_add(weight);
}

/// A `usize` length as a count; no collection in memory can exceed `u64`.
fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

// ---------------------------------------------------------------------------
// Yes / no / abstain
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Yes,
    No,
    Abstain,
}

/// Weights per choice, and head counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct YesNoTally {
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
    /// People who cast a ballot.
    pub voters: u64,
    /// People in the frozen electorate.
    pub electorate: u64,
    pub electorate_weight: u64,
}

impl YesNoTally {
    pub fn participating(&self) -> u64 {
        self.yes
            .saturating_add(self.no)
            .saturating_add(self.abstain)
    }

    pub fn base(&self, abstentions: AbstentionsIn) -> u64 {
        match abstentions {
            AbstentionsIn::Quorum => self.yes.saturating_add(self.no),
            AbstentionsIn::QuorumAndBase => self.participating(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Adopted,
    Rejected,
    /// Nothing was decided: the status quo stays.
    QuorumMissed,
}

/// A count with every number that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct YesNoCount {
    pub tally: YesNoTally,
    pub quorum: QuorumCheck,
    /// The threshold's base under the body's [`AbstentionsIn`] rule.
    pub base: u64,
    pub threshold: Threshold,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum YesNoError<V> {
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error("voter {voter:?} is not in the frozen electorate")]
    OutsideElectorate { voter: V },
}

impl<V> From<OutsideElectorate<V>> for YesNoError<V> {
    fn from(error: OutsideElectorate<V>) -> Self {
        YesNoError::OutsideElectorate { voter: error.voter }
    }
}

pub fn tally_yes_no<V: Ord + Clone>(
    electorate: &Electorate<V>,
    ballots: &BTreeMap<V, Choice>,
) -> Result<YesNoTally, OutsideElectorate<V>> {
    let mut tally = YesNoTally {
        voters: len_u64(ballots.len()),
        electorate: electorate.size(),
        electorate_weight: electorate.total_weight(),
        ..YesNoTally::default()
    };
    for (voter, choice) in ballots {
        let weight = electorate.weight_of(voter)?;
        let sum = match choice {
            Choice::Yes => &mut tally.yes,
            Choice::No => &mut tally.no,
            Choice::Abstain => &mut tally.abstain,
        };
        add_weight(sum, weight);
    }
    Ok(tally)
}

pub fn count_yes_no<V: Ord + Clone>(
    electorate: &Electorate<V>,
    rules: YesNoRules,
    ballots: &BTreeMap<V, Choice>,
) -> Result<YesNoCount, YesNoError<V>> {
    let tally = tally_yes_no(electorate, ballots)?;
    let quorum = rules
        .quorum
        .check(tally.participating(), tally.electorate_weight)?;
    let base = tally.base(rules.abstentions);
    let outcome = if !quorum.met {
        Outcome::QuorumMissed
    } else if rules.threshold.is_met(tally.yes, base) {
        Outcome::Adopted
    } else {
        Outcome::Rejected
    };
    Ok(YesNoCount {
        tally,
        quorum,
        base,
        threshold: rules.threshold,
        outcome,
    })
}

// ---------------------------------------------------------------------------
// Ballots over a list of options (approval, time poll)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptionBallotError<V, O> {
    #[error("the vote lists no options")]
    NoOptions,
    #[error("option {option:?} is listed twice")]
    OptionListedTwice { option: O },
    #[error("voter {voter:?} is not in the frozen electorate")]
    OutsideElectorate { voter: V },
    #[error("voter {voter:?} named unknown option {option:?}")]
    UnknownOption { voter: V, option: O },
    #[error("voter {voter:?} named option {option:?} twice")]
    OptionRepeated { voter: V, option: O },
}

impl<V, O> From<OutsideElectorate<V>> for OptionBallotError<V, O> {
    fn from(error: OutsideElectorate<V>) -> Self {
        OptionBallotError::OutsideElectorate { voter: error.voter }
    }
}

/// Options in their listed order, with their position for tallying.
fn index_options<V, O: Ord + Clone>(
    options: &[O],
) -> Result<BTreeMap<O, usize>, OptionBallotError<V, O>> {
    if options.is_empty() {
        return Err(OptionBallotError::NoOptions);
    }
    let mut index = BTreeMap::new();
    for (position, option) in options.iter().enumerate() {
        if index.insert(option.clone(), position).is_some() {
            return Err(OptionBallotError::OptionListedTwice {
                option: option.clone(),
            });
        }
    }
    Ok(index)
}

/// Positions of the options a ballot names, refusing unknown or repeated ones.
fn ballot_positions<'a, V: Clone, O: Ord + Clone + 'a>(
    voter: &V,
    named: impl IntoIterator<Item = &'a O>,
    index: &BTreeMap<O, usize>,
) -> Result<Vec<usize>, OptionBallotError<V, O>> {
    let mut seen = BTreeSet::new();
    let mut positions = Vec::new();
    for option in named {
        let position = *index
            .get(option)
            .ok_or_else(|| OptionBallotError::UnknownOption {
                voter: voter.clone(),
                option: option.clone(),
            })?;
        if !seen.insert(position) {
            return Err(OptionBallotError::OptionRepeated {
                voter: voter.clone(),
                option: option.clone(),
            });
        }
        positions.push(position);
    }
    Ok(positions)
}

// ---------------------------------------------------------------------------
// Approval
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionApprovals<O> {
    pub option: O,
    /// Weight of the ballots approving this option.
    pub approvals: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalCount<O> {
    /// In the order the options were listed.
    pub options: Vec<OptionApprovals<O>>,
    /// Every option with the most approvals, in listed order: more than one
    /// is a tie, which the body settles, not the count. Empty when nobody
    /// approved anything.
    pub winners: Vec<O>,
    /// People who cast a ballot, an empty one included.
    pub voters: u64,
    pub participating_weight: u64,
    pub electorate: u64,
    pub electorate_weight: u64,
}

impl<O> ApprovalCount<O> {
    pub fn is_tie(&self) -> bool {
        self.winners.len() > 1
    }
}

/// Each ballot is the list of options its voter approves; a `Vec` rather
/// than a set so that a ballot naming an option twice is refused, not
/// silently merged.
pub fn count_approval<V: Ord + Clone, O: Ord + Clone>(
    electorate: &Electorate<V>,
    options: &[O],
    ballots: &BTreeMap<V, Vec<O>>,
) -> Result<ApprovalCount<O>, OptionBallotError<V, O>> {
    let index = index_options(options)?;
    let mut approvals = vec![0_u64; options.len()];
    let mut participating_weight = 0;
    for (voter, approved) in ballots {
        let weight = electorate.weight_of(voter)?;
        add_weight(&mut participating_weight, weight);
        for position in ballot_positions(voter, approved, &index)? {
            add_weight(&mut approvals[position], weight);
        }
    }
    let most = approvals.iter().copied().max().unwrap_or(0);
    let winners = options
        .iter()
        .zip(&approvals)
        .filter(|&(_, &count)| most > 0 && count == most)
        .map(|(option, _)| option.clone())
        .collect();
    Ok(ApprovalCount {
        options: options
            .iter()
            .zip(approvals)
            .map(|(option, approvals)| OptionApprovals {
                option: option.clone(),
                approvals,
            })
            .collect(),
        winners,
        voters: len_u64(ballots.len()),
        participating_weight,
        electorate: electorate.size(),
        electorate_weight: electorate.total_weight(),
    })
}

// ---------------------------------------------------------------------------
// Time poll
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Yes,
    IfNeedBe,
    No,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotTally<O> {
    pub slot: O,
    pub yes: u64,
    pub if_need_be: u64,
    /// Explicit noes and slots a ballot left unanswered.
    pub no: u64,
}

impl<O> SlotTally<O> {
    /// Slots rank by yes first, then by everyone who could come.
    fn rank_key(&self) -> (u64, u64) {
        (self.yes, self.yes.saturating_add(self.if_need_be))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimePollCount<O> {
    /// In the order the slots were listed.
    pub slots: Vec<SlotTally<O>>,
    /// Groups of slots, best first; the slots in one group are tied (same
    /// yes and same yes + if-need-be) and keep their listed order.
    pub ranking: Vec<Vec<O>>,
    pub voters: u64,
    pub participating_weight: u64,
    pub electorate: u64,
}

impl<O> TimePollCount<O> {
    pub fn best(&self) -> &[O] {
        self.ranking.first().map_or(&[], Vec::as_slice)
    }
}

/// Each ballot answers some slots; a slot it leaves out counts as no,
/// as in any meeting poll where people tick only what suits them.
pub fn count_time_poll<V: Ord + Clone, O: Ord + Clone>(
    electorate: &Electorate<V>,
    slots: &[O],
    ballots: &BTreeMap<V, Vec<(O, Availability)>>,
) -> Result<TimePollCount<O>, OptionBallotError<V, O>> {
    let index = index_options(slots)?;
    let mut tallies: Vec<SlotTally<O>> = slots
        .iter()
        .map(|slot| SlotTally {
            slot: slot.clone(),
            yes: 0,
            if_need_be: 0,
            no: 0,
        })
        .collect();
    let mut participating_weight = 0;
    for (voter, answers) in ballots {
        let weight = electorate.weight_of(voter)?;
        add_weight(&mut participating_weight, weight);
        let positions = ballot_positions(voter, answers.iter().map(|(slot, _)| slot), &index)?;
        for (position, (_, availability)) in positions.into_iter().zip(answers) {
            match availability {
                Availability::Yes => add_weight(&mut tallies[position].yes, weight),
                Availability::IfNeedBe => add_weight(&mut tallies[position].if_need_be, weight),
                Availability::No => {}
            }
        }
    }
    for tally in &mut tallies {
        tally.no = participating_weight
            .saturating_sub(tally.yes)
            .saturating_sub(tally.if_need_be);
    }
    Ok(TimePollCount {
        ranking: rank_slots(&tallies),
        slots: tallies,
        voters: len_u64(ballots.len()),
        participating_weight,
        electorate: electorate.size(),
    })
}

fn rank_slots<O: Clone>(tallies: &[SlotTally<O>]) -> Vec<Vec<O>> {
    let mut order: Vec<&SlotTally<O>> = tallies.iter().collect();
    // A stable sort keeps tied slots in their listed order.
    order.sort_by_key(|tally| std::cmp::Reverse(tally.rank_key()));
    let mut groups: Vec<(u64, u64, Vec<O>)> = Vec::new();
    for tally in order {
        let (yes, could_come) = tally.rank_key();
        match groups.last_mut() {
            Some((group_yes, group_could, members))
                if (*group_yes, *group_could) == (yes, could_come) =>
            {
                members.push(tally.slot.clone());
            }
            _ => groups.push((yes, could_come, vec![tally.slot.clone()])),
        }
    }
    groups.into_iter().map(|(_, _, members)| members).collect()
}

// ---------------------------------------------------------------------------
// Consent
// ---------------------------------------------------------------------------

/// The longest reason an objection or block may carry, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// After `max_rounds` rounds with blocks, the proposal goes to a vote
/// with this threshold, as issue 9 asks.
pub const CONSENT_FALLBACK_THRESHOLD: Threshold = Threshold::AtLeastTwoThirds;

/// Why someone objects or blocks: trimmed, non-empty, at most
/// [`MAX_REASON_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reason(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasonError {
    #[error("a reason is required")]
    Empty,
    #[error("a reason has {chars} characters, more than {max}")]
    TooLong { chars: usize, max: usize },
}

impl Reason {
    pub fn parse(text: &str) -> Result<Self, ReasonError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ReasonError::Empty);
        }
        let chars = trimmed.chars().count();
        if chars > MAX_REASON_CHARS {
            return Err(ReasonError::TooLong {
                chars,
                max: MAX_REASON_CHARS,
            });
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Reason {
    type Error = ReasonError;
    fn try_from(text: String) -> Result<Self, ReasonError> {
        Reason::parse(&text)
    }
}

impl From<Reason> for String {
    fn from(reason: Reason) -> Self {
        reason.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsentResponse {
    Consent,
    /// Does not support it but will not stop it.
    StandAside,
    /// Recorded and shown with the outcome; does not stop the proposal.
    Objection {
        reason: Reason,
    },
    /// Stops the proposal in this round.
    Block {
        reason: Reason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConsentRules {
    pub max_rounds: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoundOutcome {
    Passed,
    /// Blocks remain: amend the proposal and hold this round next.
    NextRound {
        round: u32,
    },
    /// Blocks remain after the last round allowed.
    FallBackToVote {
        threshold: Threshold,
    },
}

/// One round's responses, counted in people: a block stops the round
/// whatever the blocker's vote weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRoundCount<V> {
    pub round: u32,
    pub consents: u64,
    pub stand_asides: u64,
    pub objections: Vec<(V, Reason)>,
    pub blocks: Vec<(V, Reason)>,
    pub responded: u64,
    pub electorate: u64,
    pub outcome: RoundOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsentError<V> {
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error("voter {voter:?} is not in the frozen electorate")]
    OutsideElectorate { voter: V },
}

impl<V> From<OutsideElectorate<V>> for ConsentError<V> {
    fn from(error: OutsideElectorate<V>) -> Self {
        ConsentError::OutsideElectorate { voter: error.voter }
    }
}

/// Counts round `round` (from 1) of a consent decision.
pub fn count_consent_round<V: Ord + Clone>(
    electorate: &Electorate<V>,
    rules: ConsentRules,
    round: u32,
    responses: &BTreeMap<V, ConsentResponse>,
) -> Result<ConsentRoundCount<V>, ConsentError<V>> {
    check_round(rules, round)?;
    let mut count = ConsentRoundCount {
        round,
        consents: 0,
        stand_asides: 0,
        objections: Vec::new(),
        blocks: Vec::new(),
        responded: len_u64(responses.len()),
        electorate: electorate.size(),
        outcome: RoundOutcome::Passed,
    };
    for (voter, response) in responses {
        electorate.weight_of(voter)?;
        match response {
            ConsentResponse::Consent => count.consents += 1,
            ConsentResponse::StandAside => count.stand_asides += 1,
            ConsentResponse::Objection { reason } => {
                count.objections.push((voter.clone(), reason.clone()))
            }
            ConsentResponse::Block { reason } => count.blocks.push((voter.clone(), reason.clone())),
        }
    }
    count.outcome = round_outcome(rules, round, len_u64(count.blocks.len()));
    Ok(count)
}

fn check_round(rules: ConsentRules, round: u32) -> Result<(), RulesError> {
    if rules.max_rounds == 0 {
        return Err(RulesError::ZeroMaxRounds);
    }
    if round == 0 || round > rules.max_rounds {
        return Err(RulesError::RoundOutOfRange {
            round,
            max_rounds: rules.max_rounds,
        });
    }
    Ok(())
}

fn round_outcome(rules: ConsentRules, round: u32, blocks: u64) -> RoundOutcome {
    if blocks == 0 {
        RoundOutcome::Passed
    } else if round < rules.max_rounds {
        RoundOutcome::NextRound { round: round + 1 }
    } else {
        RoundOutcome::FallBackToVote {
            threshold: CONSENT_FALLBACK_THRESHOLD,
        }
    }
}

#[cfg(test)]
mod tests;
