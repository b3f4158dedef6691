//! The Schulze method: ranked ballots, the status quo as a candidate, winning-votes strength.
//!
//! A ballot ranks candidates in groups: the first group is preferred to the
//! second, and so on; candidates in one group are ranked equal. Candidates a
//! ballot leaves out rank below all it ranks, equal among themselves.
//!
//! `d[i][j]` is the total weight of ballots ranking `i` strictly above `j`.
//! A link `i → j` exists only when `d[i][j] > d[j][i]` and is as strong as
//! `d[i][j]` (winning votes); `p[i][j]` is the strength of the strongest path,
//! a path being as strong as its weakest link. The potential winners are the
//! candidates `w` with `p[w][x] >= p[x][w]` for every other `x`; Schulze
//! proved this set is never empty. When it holds more than one candidate the
//! tie-break published with the vote picks the winner.

use serde::{Deserialize, Serialize};

/// The rule, published before the vote, that picks one winner among several
/// potential winners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// The status quo wins any tie it is part of. A tie it is not part of
    /// goes to the candidate listed first on the published ballot, so the
    /// rule still names a single winner.
    StatusQuoWins,
    /// The potential winner that comes first in this order wins. The order
    /// must list every candidate exactly once.
    PublishedOrder(Vec<String>),
}

/// Why a contest cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum ContestError {
    #[error("a ranked vote needs at least two candidates, got {count}")]
    TooFewCandidates { count: usize },
    #[error("candidate {candidate:?} is listed twice")]
    DuplicateCandidate { candidate: String },
    #[error("the status quo {status_quo:?} is not one of the candidates")]
    StatusQuoNotACandidate { status_quo: String },
    #[error("the tie-break order names {candidate:?}, which is not a candidate")]
    TieBreakUnknownCandidate { candidate: String },
    #[error("the tie-break order lists {candidate:?} twice")]
    TieBreakRepeatsCandidate { candidate: String },
    #[error("the tie-break order leaves out {candidate:?}")]
    TieBreakMissesCandidate { candidate: String },
}

/// Why one ballot is refused. A refused ballot is never counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum BallotError {
    #[error("the ballot ranks no candidate")]
    Empty,
    #[error("rank group {rank} is empty")]
    EmptyRankGroup { rank: usize },
    #[error("{candidate:?} is not a candidate")]
    UnknownCandidate { candidate: String },
    #[error("{candidate:?} is ranked more than once")]
    RankedTwice { candidate: String },
    #[error("the ballot has weight zero")]
    ZeroWeight,
}

/// Why a count cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum CountError {
    #[error("ballot {ballot} is invalid: {error}")]
    InvalidBallot { ballot: usize, error: BallotError },
    #[error("the ballot weights add up to more than the count can hold")]
    TotalWeightOverflow,
}

/// One ranked ballot: groups of candidates from most to least preferred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ballot {
    pub ranking: Vec<Vec<String>>,
    pub weight: u32,
}

impl Ballot {
    /// A ballot of weight one, the case of one member one vote.
    pub fn new(ranking: Vec<Vec<String>>) -> Self {
        Self { ranking, weight: 1 }
    }
}

/// Everything a Schulze count decides, published as is in the decision log.
/// Candidates are referred to by their position in `candidates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchulzeOutcome {
    pub candidates: Vec<String>,
    pub status_quo: usize,
    pub tie_break: TieBreak,
    pub total_weight: u64,
    /// `pairwise[i][j]`: weight of the ballots ranking `i` strictly above `j`.
    pub pairwise: Vec<Vec<u64>>,
    /// `strongest_paths[i][j]`: strength of the strongest path from `i` to `j`.
    pub strongest_paths: Vec<Vec<u64>>,
    /// In the order of `candidates`.
    pub potential_winners: Vec<usize>,
    pub winner: usize,
    pub tie_break_used: bool,
}

impl SchulzeOutcome {
    pub fn winner_name(&self) -> &str {
        &self.candidates[self.winner]
    }

    pub fn status_quo_kept(&self) -> bool {
        self.winner == self.status_quo
    }
}

/// A ranked vote as published when it opens: the candidates, which of them
/// is the status quo, and the tie-break rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contest {
    candidates: Vec<String>,
    status_quo: usize,
    tie_break: TieBreak,
    /// Both tie-break rules come down to a priority order over all
    /// candidates; resolving it once keeps the count free of special cases.
    #[serde(skip)]
    tie_break_priority: Vec<usize>,
}

/// Rank position of a candidate a ballot leaves out: below every ranked one.
const UNRANKED: usize = usize::MAX;

impl Contest {
    pub fn new(
        candidates: Vec<String>,
        status_quo: &str,
        tie_break: TieBreak,
    ) -> Result<Self, ContestError> {
        if candidates.len() < 2 {
            return Err(ContestError::TooFewCandidates {
                count: candidates.len(),
            });
        }
        if let Some(candidate) = first_repeated(&candidates) {
            return Err(ContestError::DuplicateCandidate { candidate });
        }
        let status_quo_index = index_of(&candidates, status_quo).ok_or_else(|| {
            ContestError::StatusQuoNotACandidate {
                status_quo: status_quo.to_owned(),
            }
        })?;
        let tie_break_priority = match &tie_break {
            TieBreak::StatusQuoWins => status_quo_first(candidates.len(), status_quo_index),
            TieBreak::PublishedOrder(order) => published_priority(&candidates, order)?,
        };
        Ok(Self {
            candidates,
            status_quo: status_quo_index,
            tie_break,
            tie_break_priority,
        })
    }

    pub fn candidates(&self) -> &[String] {
        &self.candidates
    }

    pub fn status_quo(&self) -> usize {
        self.status_quo
    }

    pub fn tie_break(&self) -> &TieBreak {
        &self.tie_break
    }

    /// Checks a ballot when it is cast, so a bad one is refused with its
    /// reason before it is stored.
    pub fn check_ballot(&self, ballot: &Ballot) -> Result<(), BallotError> {
        self.rank_positions(ballot).map(|_| ())
    }

    /// Counts the ballots. One invalid ballot stops the whole count rather
    /// than being skipped, so a count never silently differs from the
    /// ballots it was given.
    pub fn count(&self, ballots: &[Ballot]) -> Result<SchulzeOutcome, CountError> {
        let total_weight = total_weight(ballots)?;
        let ranked = ballots
            .iter()
            .enumerate()
            .map(|(index, ballot)| {
                self.rank_positions(ballot)
                    .map(|positions| (positions, u64::from(ballot.weight)))
                    .map_err(|error| CountError::InvalidBallot {
                        ballot: index,
                        error,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let pairwise = pairwise_preferences(self.candidates.len(), &ranked);
        let strongest_paths = strongest_paths(&pairwise);
        let potential_winners = potential_winners(&strongest_paths);
        let winner = self.break_tie(&potential_winners);
        Ok(SchulzeOutcome {
            candidates: self.candidates.clone(),
            status_quo: self.status_quo,
            tie_break: self.tie_break.clone(),
            total_weight,
            pairwise,
            strongest_paths,
            tie_break_used: potential_winners.len() > 1,
            potential_winners,
            winner,
        })
    }

    /// The rank group of each candidate on this ballot, `UNRANKED` for the
    /// candidates it leaves out.
    fn rank_positions(&self, ballot: &Ballot) -> Result<Vec<usize>, BallotError> {
        if ballot.weight == 0 {
            return Err(BallotError::ZeroWeight);
        }
        if ballot.ranking.is_empty() {
            return Err(BallotError::Empty);
        }
        let mut positions = vec![UNRANKED; self.candidates.len()];
        for (rank, group) in ballot.ranking.iter().enumerate() {
            if group.is_empty() {
                return Err(BallotError::EmptyRankGroup { rank });
            }
            for name in group {
                let candidate = index_of(&self.candidates, name).ok_or_else(|| {
                    BallotError::UnknownCandidate {
                        candidate: name.clone(),
                    }
                })?;
                if positions[candidate] != UNRANKED {
                    return Err(BallotError::RankedTwice {
                        candidate: name.clone(),
                    });
                }
                positions[candidate] = rank;
            }
        }
        Ok(positions)
    }

    fn break_tie(&self, potential_winners: &[usize]) -> usize {
        self.tie_break_priority
            .iter()
            .copied()
            .find(|candidate| potential_winners.contains(candidate))
            // Unreachable: the priority lists every candidate and there is
            // always a potential winner. Keeping the status quo is the
            // conservative answer should that ever fail.
            .unwrap_or(self.status_quo)
    }
}

fn index_of(candidates: &[String], name: &str) -> Option<usize> {
    candidates.iter().position(|candidate| candidate == name)
}

fn first_repeated(names: &[String]) -> Option<String> {
    names
        .iter()
        .enumerate()
        .find(|(index, name)| names[..*index].contains(name))
        .map(|(_, name)| name.clone())
}

fn status_quo_first(candidate_count: usize, status_quo: usize) -> Vec<usize> {
    std::iter::once(status_quo)
        .chain((0..candidate_count).filter(|&candidate| candidate != status_quo))
        .collect()
}

fn published_priority(candidates: &[String], order: &[String]) -> Result<Vec<usize>, ContestError> {
    let mut priority = Vec::with_capacity(candidates.len());
    for name in order {
        let candidate =
            index_of(candidates, name).ok_or_else(|| ContestError::TieBreakUnknownCandidate {
                candidate: name.clone(),
            })?;
        if priority.contains(&candidate) {
            return Err(ContestError::TieBreakRepeatsCandidate {
                candidate: name.clone(),
            });
        }
        priority.push(candidate);
    }
    match candidates
        .iter()
        .enumerate()
        .find(|(candidate, _)| !priority.contains(candidate))
    {
        Some((_, name)) => Err(ContestError::TieBreakMissesCandidate {
            candidate: name.clone(),
        }),
        None => Ok(priority),
    }
}

/// Checked once up front: every `d[i][j]` is at most the total weight, so
/// once the total fits in a `u64` no later addition can overflow.
fn total_weight(ballots: &[Ballot]) -> Result<u64, CountError> {
    sum_weights(ballots.iter().map(|ballot| u64::from(ballot.weight)))
}

fn sum_weights(weights: impl IntoIterator<Item = u64>) -> Result<u64, CountError> {
    weights.into_iter().try_fold(0u64, |sum, weight| {
        sum.checked_add(weight)
            .ok_or(CountError::TotalWeightOverflow)
    })
}

fn pairwise_preferences(candidate_count: usize, ranked: &[(Vec<usize>, u64)]) -> Vec<Vec<u64>> {
    let mut pairwise = vec![vec![0u64; candidate_count]; candidate_count];
    for (positions, weight) in ranked {
        for (above, row) in pairwise.iter_mut().enumerate() {
            for (below, cell) in row.iter_mut().enumerate() {
                if positions[above] < positions[below] {
                    *cell += weight;
                }
            }
        }
    }
    pairwise
}

/// Widest paths by Floyd–Warshall over the winning-votes links.
fn strongest_paths(pairwise: &[Vec<u64>]) -> Vec<Vec<u64>> {
    let count = pairwise.len();
    let mut paths = vec![vec![0u64; count]; count];
    for from in 0..count {
        for to in 0..count {
            if from != to && pairwise[from][to] > pairwise[to][from] {
                paths[from][to] = pairwise[from][to];
            }
        }
    }
    for via in 0..count {
        for from in (0..count).filter(|&from| from != via) {
            for to in (0..count).filter(|&to| to != via && to != from) {
                let through_via = paths[from][via].min(paths[via][to]);
                if through_via > paths[from][to] {
                    paths[from][to] = through_via;
                }
            }
        }
    }
    paths
}

fn potential_winners(paths: &[Vec<u64>]) -> Vec<usize> {
    (0..paths.len())
        .filter(|&candidate| {
            (0..paths.len()).all(|other| paths[candidate][other] >= paths[other][candidate])
        })
        .collect()
}

#[cfg(test)]
mod tests;
