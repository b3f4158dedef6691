//! What a ballot holds for each method, how it is checked when cast, and
//! how a set of stored ballots is counted into a published tally and a
//! decision. Counting never needs to know who cast a ballot: every voter
//! has one vote, so ballots are counted against an anonymous electorate of
//! the frozen size, and a secret vote counts exactly like a public one.

use super::counting::{
    ApprovalCount, Availability, Choice, ConsentResponse, ConsentRoundCount, ConsentRules,
    Electorate, Outcome, QuorumCheck, RoundOutcome, Threshold, TimePollCount, YesNoCount,
    YesNoRules, count_approval, count_consent_round, count_time_poll, count_yes_no,
};
use super::proposal::Decision;
use super::rules::Method;
use super::schulze::{Ballot, Contest, SchulzeOutcome, TieBreak};
use crate::error::{FieldError, Rule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The candidate every ranked vote carries: keeping things as they are.
pub const STATUS_QUO: &str = "status quo";
pub const MAX_OPTIONS: usize = 30;
pub const MAX_OPTION_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum BallotContent {
    YesNo {
        choice: Choice,
    },
    Consent {
        response: ConsentResponse,
    },
    /// Groups of options from most to least preferred; the status quo is
    /// one of the candidates and may be ranked like any other.
    Schulze {
        ranking: Vec<Vec<String>>,
    },
    Approval {
        approved: Vec<String>,
    },
    TimePoll {
        answers: Vec<SlotAnswer>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotAnswer {
    pub slot: String,
    pub availability: Availability,
}

impl BallotContent {
    pub fn method(&self) -> Method {
        match self {
            Self::YesNo { .. } => Method::YesNo,
            Self::Consent { .. } => Method::Consent,
            Self::Schulze { .. } => Method::Schulze,
            Self::Approval { .. } => Method::Approval,
            Self::TimePoll { .. } => Method::TimePoll,
        }
    }
}

/// Why a ballot is refused when it is cast. Nothing is stored then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BallotProblem {
    #[error("this vote uses {expected:?}, the ballot is for {got:?}")]
    WrongMethod { expected: Method, got: Method },
    #[error("{option:?} is not one of the options")]
    UnknownOption { option: String },
    #[error("{option:?} appears twice on the ballot")]
    Repeated { option: String },
    #[error("the ballot ranks nothing")]
    Empty,
}

/// Which methods need a list of options, and how many.
pub fn option_bounds(method: Method) -> Option<(usize, usize)> {
    match method {
        Method::YesNo | Method::Consent => None,
        // The status quo is added to a ranked vote, so one option already
        // makes a real choice.
        Method::Schulze => Some((1, MAX_OPTIONS)),
        Method::Approval => Some((2, MAX_OPTIONS)),
        Method::TimePoll => Some((1, MAX_OPTIONS)),
    }
}

/// Trims each option and checks the list for the method: count, length,
/// control characters, duplicates and the reserved status-quo name.
pub fn parse_options(method: Method, raw: &[String]) -> Result<Vec<String>, FieldError> {
    let options: Vec<String> = raw
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    let Some((min, max)) = option_bounds(method) else {
        return if options.is_empty() {
            Ok(options)
        } else {
            Err(FieldError::new("options", Rule::TooLong { max: 0 }))
        };
    };
    if options.len() < min {
        return Err(FieldError::new("options", Rule::TooShort { min }));
    }
    if options.len() > max {
        return Err(FieldError::new("options", Rule::TooLong { max }));
    }
    for (i, option) in options.iter().enumerate() {
        if option.chars().count() > MAX_OPTION_CHARS {
            return Err(FieldError::new(
                "options",
                Rule::TooLong {
                    max: MAX_OPTION_CHARS,
                },
            ));
        }
        if option.chars().any(char::is_control) {
            return Err(FieldError::new("options", Rule::ControlCharacter));
        }
        if options[..i].contains(option)
            || method == Method::Schulze && option.eq_ignore_ascii_case(STATUS_QUO)
        {
            return Err(FieldError::new("options", Rule::Reserved));
        }
    }
    Ok(options)
}

/// The candidates of a ranked vote: the status quo first, then the options.
pub fn schulze_candidates(options: &[String]) -> Vec<String> {
    std::iter::once(STATUS_QUO.to_owned())
        .chain(options.iter().cloned())
        .collect()
}

/// Checks a ballot against the vote's method and options.
pub fn check_ballot(
    method: Method,
    options: &[String],
    content: &BallotContent,
) -> Result<(), BallotProblem> {
    if content.method() != method {
        return Err(BallotProblem::WrongMethod {
            expected: method,
            got: content.method(),
        });
    }
    match content {
        BallotContent::YesNo { .. } | BallotContent::Consent { .. } => Ok(()),
        BallotContent::Schulze { ranking } => {
            let candidates = schulze_candidates(options);
            let flat: Vec<&String> = ranking.iter().flatten().collect();
            if flat.is_empty() {
                return Err(BallotProblem::Empty);
            }
            check_names(&candidates, flat)
        }
        BallotContent::Approval { approved } => check_names(options, approved.iter().collect()),
        BallotContent::TimePoll { answers } => {
            check_names(options, answers.iter().map(|a| &a.slot).collect())
        }
    }
}

fn check_names(known: &[String], named: Vec<&String>) -> Result<(), BallotProblem> {
    for (i, name) in named.iter().enumerate() {
        if !known.contains(name) {
            return Err(BallotProblem::UnknownOption {
                option: (*name).clone(),
            });
        }
        if named[..i].contains(name) {
            return Err(BallotProblem::Repeated {
                option: (*name).clone(),
            });
        }
    }
    Ok(())
}

/// The published result of one count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Tally {
    YesNo {
        count: YesNoCount,
    },
    Consent {
        count: ConsentRoundCount<u64>,
    },
    Schulze {
        quorum: QuorumCheck,
        outcome: SchulzeOutcome,
        winner: String,
    },
    Approval {
        quorum: QuorumCheck,
        count: ApprovalCount<String>,
    },
    TimePoll {
        count: TimePollCount<String>,
    },
}

/// What the count means for the proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CountVerdict {
    Decided(Decision),
    /// Consent: blocks remain and another round is allowed.
    AnotherRound {
        round: u32,
    },
    /// Consent: blocks remain after the last round; a vote with this
    /// threshold decides.
    FallBackToVote {
        threshold: Threshold,
    },
}

/// How a vote is counted, fixed when it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountSpec {
    pub method: Method,
    pub options: Vec<String>,
    pub yes_no: YesNoRules,
    pub consent: ConsentRules,
    /// Consent round being held (from 1); unused by other methods.
    pub round: u32,
    pub tie_break: TieBreak,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("the ballots cannot be counted: {0}")]
pub struct CountProblem(pub String);

/// Counts `ballots` (one per voter who took part, at most `electorate`)
/// with every voter weighing one.
pub fn count(
    spec: &CountSpec,
    electorate: u64,
    ballots: &[BallotContent],
) -> Result<(Tally, CountVerdict), CountProblem> {
    let problem = |e: &dyn std::fmt::Display| CountProblem(e.to_string());
    if u64::try_from(ballots.len()).unwrap_or(u64::MAX) > electorate {
        return Err(CountProblem(format!(
            "{} ballots for an electorate of {electorate}",
            ballots.len()
        )));
    }
    for ballot in ballots {
        check_ballot(spec.method, &spec.options, ballot).map_err(|e| problem(&e))?;
    }
    let voters = Electorate::one_vote_each(0..electorate).map_err(|e| problem(&e))?;
    let keyed = |i: usize| u64::try_from(i).unwrap_or(u64::MAX);
    let participating = u64::try_from(ballots.len()).unwrap_or(u64::MAX);
    match spec.method {
        Method::YesNo => {
            let choices: BTreeMap<u64, Choice> = ballots
                .iter()
                .enumerate()
                .filter_map(|(i, b)| match b {
                    BallotContent::YesNo { choice } => Some((keyed(i), *choice)),
                    _ => None,
                })
                .collect();
            let count = count_yes_no(&voters, spec.yes_no, &choices).map_err(|e| problem(&e))?;
            let verdict = CountVerdict::Decided(count.outcome.into());
            Ok((Tally::YesNo { count }, verdict))
        }
        Method::Consent => {
            let responses: BTreeMap<u64, ConsentResponse> = ballots
                .iter()
                .enumerate()
                .filter_map(|(i, b)| match b {
                    BallotContent::Consent { response } => Some((keyed(i), response.clone())),
                    _ => None,
                })
                .collect();
            let count = count_consent_round(&voters, spec.consent, spec.round, &responses)
                .map_err(|e| problem(&e))?;
            let verdict = match count.outcome {
                RoundOutcome::Passed => CountVerdict::Decided(Decision::Adopted),
                RoundOutcome::NextRound { round } => CountVerdict::AnotherRound { round },
                RoundOutcome::FallBackToVote { threshold } => {
                    CountVerdict::FallBackToVote { threshold }
                }
            };
            Ok((Tally::Consent { count }, verdict))
        }
        Method::Schulze => {
            let quorum = spec
                .yes_no
                .quorum
                .check(participating, electorate)
                .map_err(|e| problem(&e))?;
            let contest = Contest::new(
                schulze_candidates(&spec.options),
                STATUS_QUO,
                spec.tie_break.clone(),
            )
            .map_err(|e| problem(&e))?;
            let ranked: Vec<Ballot> = ballots
                .iter()
                .filter_map(|b| match b {
                    BallotContent::Schulze { ranking } => Some(Ballot::new(ranking.clone())),
                    _ => None,
                })
                .collect();
            let outcome = contest.count(&ranked).map_err(|e| problem(&e))?;
            let decision = if !quorum.met {
                Outcome::QuorumMissed.into()
            } else if outcome.status_quo_kept() || ranked.is_empty() {
                Outcome::Rejected.into()
            } else {
                Decision::Adopted
            };
            let winner = outcome.winner_name().to_owned();
            Ok((
                Tally::Schulze {
                    quorum,
                    outcome,
                    winner,
                },
                CountVerdict::Decided(decision),
            ))
        }
        Method::Approval => {
            let quorum = spec
                .yes_no
                .quorum
                .check(participating, electorate)
                .map_err(|e| problem(&e))?;
            let approvals: BTreeMap<u64, Vec<String>> = ballots
                .iter()
                .enumerate()
                .filter_map(|(i, b)| match b {
                    BallotContent::Approval { approved } => Some((keyed(i), approved.clone())),
                    _ => None,
                })
                .collect();
            let count =
                count_approval(&voters, &spec.options, &approvals).map_err(|e| problem(&e))?;
            let decision = if !quorum.met {
                Outcome::QuorumMissed.into()
            } else if count.winners.is_empty() {
                Outcome::Rejected.into()
            } else {
                Decision::Adopted
            };
            Ok((
                Tally::Approval { quorum, count },
                CountVerdict::Decided(decision),
            ))
        }
        Method::TimePoll => {
            let answers: BTreeMap<u64, Vec<(String, Availability)>> = ballots
                .iter()
                .enumerate()
                .filter_map(|(i, b)| match b {
                    BallotContent::TimePoll { answers } => Some((
                        keyed(i),
                        answers
                            .iter()
                            .map(|a| (a.slot.clone(), a.availability))
                            .collect(),
                    )),
                    _ => None,
                })
                .collect();
            let count =
                count_time_poll(&voters, &spec.options, &answers).map_err(|e| problem(&e))?;
            // A meeting poll finds a date; it has no quorum. It is settled
            // when at least one slot suits someone.
            let decision = if count
                .slots
                .iter()
                .any(|s| s.yes.saturating_add(s.if_need_be) > 0)
            {
                Decision::Adopted
            } else {
                Outcome::Rejected.into()
            };
            Ok((Tally::TimePoll { count }, CountVerdict::Decided(decision)))
        }
    }
}

#[cfg(test)]
mod tests;
