use super::*;
use proptest::prelude::*;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| (*name).to_owned()).collect()
}

/// A strict ranking written as one letter per candidate, "ACBED" meaning
/// A > C > B > E > D, the way the published examples write their ballots.
fn strict(order: &str, weight: u32) -> Ballot {
    Ballot {
        ranking: order.chars().map(|c| vec![c.to_string()]).collect(),
        weight,
    }
}

fn contest(candidates: &[&str], status_quo: &str) -> Contest {
    Contest::new(names(candidates), status_quo, TieBreak::StatusQuoWins).unwrap()
}

/// Example 1 of the Schulze method: 45 voters, candidates A–E. Source:
/// M. Schulze, "A new monotonic, clone-independent, reversal symmetric,
/// and Condorcet-consistent single-winner election method", Social Choice
/// and Welfare 36 (2011), and the Wikipedia article "Schulze method",
/// section "Example". Both tables below match the published ones; they
/// were also recomputed by hand from the ballots.
#[test]
fn schulze_paper_example_with_45_voters_elects_e() {
    let ballots = [
        strict("ACBED", 5),
        strict("ADECB", 5),
        strict("BEDAC", 8),
        strict("CABED", 3),
        strict("CAEBD", 7),
        strict("CBADE", 2),
        strict("DCEBA", 7),
        strict("EBADC", 8),
    ];
    let outcome = contest(&["A", "B", "C", "D", "E"], "A")
        .count(&ballots)
        .unwrap();
    assert_eq!(outcome.total_weight, 45);
    assert_eq!(
        outcome.pairwise,
        vec![
            vec![0, 20, 26, 30, 22],
            vec![25, 0, 16, 33, 18],
            vec![19, 29, 0, 17, 24],
            vec![15, 12, 28, 0, 14],
            vec![23, 27, 21, 31, 0],
        ]
    );
    assert_eq!(
        outcome.strongest_paths,
        vec![
            vec![0, 28, 28, 30, 24],
            vec![25, 0, 28, 33, 24],
            vec![25, 29, 0, 29, 24],
            vec![25, 28, 28, 0, 24],
            vec![25, 28, 28, 31, 0],
        ]
    );
    assert_eq!(outcome.potential_winners, vec![4]);
    assert_eq!(outcome.winner_name(), "E");
    assert!(!outcome.tie_break_used);
    assert!(!outcome.status_quo_kept());
}

/// The "Tennessee capital" example of the Wikipedia articles on Condorcet
/// methods and on the Schulze method: 42 % Memphis > Nashville >
/// Chattanooga > Knoxville, 26 % Nashville > Chattanooga > Knoxville >
/// Memphis, 15 % Chattanooga > Knoxville > Nashville > Memphis, 17 %
/// Knoxville > Chattanooga > Nashville > Memphis. Nashville beats every
/// other city head to head and wins. Candidates: M, N, C, K.
#[test]
fn tennessee_capital_example_elects_nashville() {
    let ballots = [
        strict("MNCK", 42),
        strict("NCKM", 26),
        strict("CKNM", 15),
        strict("KCNM", 17),
    ];
    let outcome = contest(&["M", "N", "C", "K"], "M").count(&ballots).unwrap();
    assert_eq!(
        outcome.pairwise,
        vec![
            vec![0, 42, 42, 42],
            vec![58, 0, 68, 68],
            vec![58, 32, 0, 83],
            vec![58, 32, 17, 0],
        ]
    );
    // Memphis beats nobody and nobody beats Nashville, so no path leads out
    // of Memphis or into Nashville; Knoxville's only link is to Memphis.
    assert_eq!(
        outcome.strongest_paths,
        vec![
            vec![0, 0, 0, 0],
            vec![58, 0, 68, 68],
            vec![58, 0, 0, 83],
            vec![58, 0, 0, 0],
        ]
    );
    assert_eq!(outcome.potential_winners, vec![1]);
    assert_eq!(outcome.winner_name(), "N");
    assert!(!outcome.tie_break_used);
}

/// A perfect three-way cycle (A > B > C, B > C > A, C > A > B, one voter
/// each): every link has strength 2, so every candidate is a potential
/// winner and only the published rule can decide.
fn cycle_ballots() -> Vec<Ballot> {
    vec![strict("ABC", 1), strict("BCA", 1), strict("CAB", 1)]
}

#[test]
fn a_full_tie_keeps_the_status_quo() {
    let outcome = contest(&["A", "B", "C"], "B")
        .count(&cycle_ballots())
        .unwrap();
    assert_eq!(
        outcome.pairwise,
        vec![vec![0, 2, 1], vec![1, 0, 2], vec![2, 1, 0]]
    );
    assert_eq!(
        outcome.strongest_paths,
        vec![vec![0, 2, 2], vec![2, 0, 2], vec![2, 2, 0]]
    );
    assert_eq!(outcome.potential_winners, vec![0, 1, 2]);
    assert_eq!(outcome.winner_name(), "B");
    assert!(outcome.tie_break_used);
    assert!(outcome.status_quo_kept());
}

#[test]
fn a_full_tie_follows_the_published_order() {
    let contest = Contest::new(
        names(&["A", "B", "C"]),
        "B",
        TieBreak::PublishedOrder(names(&["C", "A", "B"])),
    )
    .unwrap();
    let outcome = contest.count(&cycle_ballots()).unwrap();
    assert_eq!(outcome.winner_name(), "C");
    assert!(outcome.tie_break_used);
}

#[test]
fn a_tie_without_the_status_quo_goes_to_the_first_listed() {
    // A and B tie (one voter each way), both beat the status quo S.
    let ballots = [strict("ABS", 1), strict("BAS", 1)];
    let outcome = contest(&["S", "B", "A"], "S").count(&ballots).unwrap();
    assert_eq!(outcome.potential_winners, vec![1, 2]);
    assert_eq!(outcome.winner_name(), "B");
    assert!(outcome.tie_break_used);
}

#[test]
fn no_ballots_keep_the_status_quo() {
    let outcome = contest(&["A", "B"], "B").count(&[]).unwrap();
    assert_eq!(outcome.total_weight, 0);
    assert_eq!(outcome.winner_name(), "B");
    assert!(outcome.tie_break_used);
}

#[test]
fn equal_ranks_and_unranked_candidates() {
    // A = B > C, D unranked: D is below all, equal to nobody ranked.
    let ballot = Ballot::new(vec![names(&["A", "B"]), names(&["C"])]);
    let outcome = contest(&["A", "B", "C", "D"], "D")
        .count(&[ballot])
        .unwrap();
    assert_eq!(
        outcome.pairwise,
        vec![
            vec![0, 0, 1, 1],
            vec![0, 0, 1, 1],
            vec![0, 0, 0, 1],
            vec![0, 0, 0, 0],
        ]
    );
    assert_eq!(outcome.potential_winners, vec![0, 1]);
    assert_eq!(outcome.winner_name(), "A");
}

#[test]
fn ballot_errors_are_typed() {
    let contest = contest(&["A", "B", "C"], "A");
    let check =
        |ranking: Vec<Vec<String>>, weight| contest.check_ballot(&Ballot { ranking, weight });
    assert_eq!(check(vec![], 1), Err(BallotError::Empty));
    assert_eq!(
        check(vec![names(&["A"]), vec![]], 1),
        Err(BallotError::EmptyRankGroup { rank: 1 })
    );
    assert_eq!(
        check(vec![names(&["A", "Z"])], 1),
        Err(BallotError::UnknownCandidate {
            candidate: "Z".into()
        })
    );
    assert_eq!(
        check(vec![names(&["A"]), names(&["B", "A"])], 1),
        Err(BallotError::RankedTwice {
            candidate: "A".into()
        })
    );
    assert_eq!(
        check(vec![names(&["A", "A"])], 1),
        Err(BallotError::RankedTwice {
            candidate: "A".into()
        })
    );
    assert_eq!(check(vec![names(&["A"])], 0), Err(BallotError::ZeroWeight));
    assert_eq!(check(vec![names(&["C"]), names(&["A", "B"])], 3), Ok(()));
}

#[test]
fn one_bad_ballot_stops_the_count() {
    let ballots = [strict("AB", 1), strict("AA", 1)];
    assert_eq!(
        contest(&["A", "B"], "A").count(&ballots),
        Err(CountError::InvalidBallot {
            ballot: 1,
            error: BallotError::RankedTwice {
                candidate: "A".into()
            }
        })
    );
}

#[test]
fn contest_errors_are_typed() {
    let new = |candidates: &[&str], status_quo, tie_break| {
        Contest::new(names(candidates), status_quo, tie_break)
    };
    assert_eq!(
        new(&["A"], "A", TieBreak::StatusQuoWins),
        Err(ContestError::TooFewCandidates { count: 1 })
    );
    assert_eq!(
        new(&["A", "B", "A"], "A", TieBreak::StatusQuoWins),
        Err(ContestError::DuplicateCandidate {
            candidate: "A".into()
        })
    );
    assert_eq!(
        new(&["A", "B"], "S", TieBreak::StatusQuoWins),
        Err(ContestError::StatusQuoNotACandidate {
            status_quo: "S".into()
        })
    );
    let order = |list: &[&str]| TieBreak::PublishedOrder(names(list));
    assert_eq!(
        new(&["A", "B"], "A", order(&["A", "Z"])),
        Err(ContestError::TieBreakUnknownCandidate {
            candidate: "Z".into()
        })
    );
    assert_eq!(
        new(&["A", "B"], "A", order(&["B", "B"])),
        Err(ContestError::TieBreakRepeatsCandidate {
            candidate: "B".into()
        })
    );
    assert_eq!(
        new(&["A", "B"], "A", order(&["B"])),
        Err(ContestError::TieBreakMissesCandidate {
            candidate: "A".into()
        })
    );
}

#[test]
fn weights_that_overflow_are_refused() {
    let heaviest = strict("AB", u32::MAX);
    let outcome = contest(&["A", "B"], "A").count(&[heaviest]).unwrap();
    assert_eq!(outcome.pairwise[0][1], u64::from(u32::MAX));
    // Overflowing through `count` takes more ballots than a test can hold,
    // so the sum the count relies on is checked on its own.
    assert_eq!(sum_weights([u64::MAX - 1, 1]), Ok(u64::MAX));
    assert_eq!(
        sum_weights([u64::MAX, 1]),
        Err(CountError::TotalWeightOverflow)
    );
}

const CANDIDATE_NAMES: [&str; 5] = ["S", "A", "B", "C", "D"];

/// A random ballot over `count` candidates: each candidate gets a rank
/// from 0 to `count`, where `count` means unranked; empty ranks are
/// squeezed out and a ballot ranking nobody ranks the first candidate.
fn ballot_strategy(count: usize) -> impl Strategy<Value = Ballot> {
    (prop::collection::vec(0..=count, count), 1u32..=5).prop_map(move |(ranks, weight)| {
        let mut ranking: Vec<Vec<String>> = (0..count)
            .map(|rank| {
                (0..count)
                    .filter(|&candidate| ranks[candidate] == rank)
                    .map(|candidate| CANDIDATE_NAMES[candidate].to_owned())
                    .collect()
            })
            .filter(|group: &Vec<String>| !group.is_empty())
            .collect();
        if ranking.is_empty() {
            ranking.push(vec![CANDIDATE_NAMES[0].to_owned()]);
        }
        Ballot { ranking, weight }
    })
}

fn election_strategy() -> impl Strategy<Value = (Contest, Vec<Ballot>)> {
    (2usize..=5).prop_flat_map(|count| {
        let contest = Contest::new(
            names(&CANDIDATE_NAMES[..count]),
            "S",
            TieBreak::StatusQuoWins,
        )
        .unwrap();
        (
            Just(contest),
            prop::collection::vec(ballot_strategy(count), 0..30),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_winner_beats_or_ties_everyone_on_strongest_paths((contest, ballots) in election_strategy()) {
        let outcome = contest.count(&ballots).unwrap();
        let paths = &outcome.strongest_paths;
        prop_assert!(outcome.potential_winners.contains(&outcome.winner));
        let winner = outcome.winner;
        for (other, row) in paths.iter().enumerate() {
            prop_assert!(paths[winner][other] >= row[winner]);
        }
        prop_assert_eq!(outcome.tie_break_used, outcome.potential_winners.len() > 1);
    }

    #[test]
    fn a_unanimous_electorate_elects_its_first_choice(
        (count, order) in (2usize..=5).prop_flat_map(|count| {
            (Just(count), Just((0..count).collect::<Vec<_>>()).prop_shuffle())
        }),
        ranked in 1usize..=5,
        weights in prop::collection::vec(1u32..=5, 1..20),
    ) {
        let contest = Contest::new(names(&CANDIDATE_NAMES[..count]), "S", TieBreak::StatusQuoWins).unwrap();
        let ranking: Vec<Vec<String>> = order
            .iter()
            .take(ranked.min(count))
            .map(|&candidate| vec![CANDIDATE_NAMES[candidate].to_owned()])
            .collect();
        let ballots: Vec<Ballot> = weights
            .iter()
            .map(|&weight| Ballot { ranking: ranking.clone(), weight })
            .collect();
        let outcome = contest.count(&ballots).unwrap();
        prop_assert_eq!(outcome.winner, order[0]);
        prop_assert!(!outcome.tie_break_used);
    }

    #[test]
    fn one_more_ballot_moves_each_count_by_at_most_its_weight(
        (contest, ballots, extra) in (2usize..=5).prop_flat_map(|count| {
            let contest = Contest::new(names(&CANDIDATE_NAMES[..count]), "S", TieBreak::StatusQuoWins).unwrap();
            (Just(contest), prop::collection::vec(ballot_strategy(count), 0..30), ballot_strategy(count))
        })
    ) {
        let before = contest.count(&ballots).unwrap();
        let mut more = ballots.clone();
        more.push(extra.clone());
        let after = contest.count(&more).unwrap();
        prop_assert_eq!(after.total_weight, before.total_weight + u64::from(extra.weight));
        for (row_before, row_after) in before.pairwise.iter().zip(&after.pairwise) {
            for (&was, &is) in row_before.iter().zip(row_after) {
                prop_assert!(is >= was);
                prop_assert!(is - was <= u64::from(extra.weight));
            }
        }
    }

    #[test]
    fn the_order_of_ballots_does_not_matter(
        ((contest, ballots), shuffled_order) in election_strategy().prop_flat_map(|(contest, ballots)| {
            let order = Just((0..ballots.len()).collect::<Vec<_>>()).prop_shuffle();
            (Just((contest, ballots)), order)
        })
    ) {
        let shuffled: Vec<Ballot> = shuffled_order.iter().map(|&index| ballots[index].clone()).collect();
        prop_assert_eq!(contest.count(&ballots).unwrap(), contest.count(&shuffled).unwrap());
    }
}
