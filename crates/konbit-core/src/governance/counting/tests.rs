use super::*;
use proptest::prelude::*;

fn electorate(size: u32) -> Electorate<u32> {
    Electorate::one_vote_each(0..size).unwrap()
}

/// The first `yes` voters vote yes, the next `no` vote no, the next `abstain` abstain.
fn ballots(yes: u32, no: u32, abstain: u32) -> BTreeMap<u32, Choice> {
    let choices = std::iter::repeat_n(Choice::Yes, yes as usize)
        .chain(std::iter::repeat_n(Choice::No, no as usize))
        .chain(std::iter::repeat_n(Choice::Abstain, abstain as usize));
    (0..).zip(choices).collect()
}

fn half(bound: Bound) -> Quorum {
    Quorum::Fraction {
        bound,
        numerator: 1,
        denominator: 2,
    }
}

fn rules(quorum: Quorum, threshold: Threshold, abstentions: AbstentionsIn) -> YesNoRules {
    YesNoRules {
        quorum,
        threshold,
        abstentions,
    }
}

// --- quorum ---------------------------------------------------------------

#[test]
fn quorum_of_half_with_even_and_odd_electorates() {
    let at_least = half(Bound::AtLeast);
    let more_than = half(Bound::MoreThan);
    // (participating, electorate, meets "at least half", meets "more than half")
    let cases = [
        (4, 10, false, false),
        (5, 10, true, false),
        (6, 10, true, true),
        (5, 11, false, false),
        (6, 11, true, true),
        (0, 0, true, false),
    ];
    for (participating, electorate, at_least_met, more_than_met) in cases {
        let label = format!("{participating} of {electorate}");
        assert_eq!(
            at_least.check(participating, electorate).unwrap().met,
            at_least_met,
            "{label}"
        );
        assert_eq!(
            more_than.check(participating, electorate).unwrap().met,
            more_than_met,
            "{label}"
        );
    }
}

#[test]
fn quorum_required_rounds_up() {
    let required = |quorum: Quorum, electorate| quorum.check(0, electorate).unwrap().required;
    assert_eq!(required(half(Bound::AtLeast), 10), 5);
    assert_eq!(required(half(Bound::AtLeast), 11), 6);
    assert_eq!(required(half(Bound::MoreThan), 10), 6);
    assert_eq!(required(half(Bound::MoreThan), 11), 6);
    let two_thirds = Quorum::Fraction {
        bound: Bound::AtLeast,
        numerator: 2,
        denominator: 3,
    };
    assert_eq!(required(two_thirds, 10), 7);
    assert_eq!(required(two_thirds, 9), 6);
    assert!(!two_thirds.check(6, 10).unwrap().met);
    assert!(two_thirds.check(7, 10).unwrap().met);
    assert_eq!(required(Quorum::None, 10), 0);
    assert_eq!(required(Quorum::AtLeastVotes { votes: 3 }, 10), 3);
}

#[test]
fn quorum_of_a_number_of_votes() {
    let quorum = Quorum::AtLeastVotes { votes: 3 };
    assert!(!quorum.check(2, 100).unwrap().met);
    assert!(quorum.check(3, 100).unwrap().met);
    assert!(Quorum::None.check(0, 100).unwrap().met);
}

#[test]
fn quorum_rules_that_cannot_apply_are_refused() {
    let fraction = |bound, numerator, denominator| Quorum::Fraction {
        bound,
        numerator,
        denominator,
    };
    assert_eq!(
        fraction(Bound::AtLeast, 1, 0).check(1, 1),
        Err(RulesError::ZeroDenominator)
    );
    assert_eq!(
        fraction(Bound::AtLeast, 3, 2).validate(),
        Err(RulesError::FractionAboveOne {
            numerator: 3,
            denominator: 2
        })
    );
    assert_eq!(
        fraction(Bound::MoreThan, 2, 2).validate(),
        Err(RulesError::QuorumUnreachable {
            numerator: 2,
            denominator: 2
        })
    );
    assert_eq!(fraction(Bound::AtLeast, 2, 2).validate(), Ok(()));
}

// --- thresholds -----------------------------------------------------------

#[test]
fn every_threshold_at_its_exact_boundary() {
    // (threshold, base, fewest yes that pass)
    let boundaries = [
        (Threshold::MoreThanHalf, 10, 6),
        (Threshold::MoreThanHalf, 11, 6),
        (Threshold::AtLeastHalf, 10, 5),
        (Threshold::AtLeastHalf, 11, 6),
        (Threshold::AtLeastTwoThirds, 9, 6),
        (Threshold::AtLeastTwoThirds, 10, 7),
        (Threshold::AtLeastTwoThirds, 3, 2),
        (Threshold::MoreThanTwoThirds, 9, 7),
        (Threshold::MoreThanTwoThirds, 10, 7),
        (Threshold::MoreThanTwoThirds, 3, 3),
        (Threshold::Unanimity, 5, 5),
        (Threshold::Unanimity, 1, 1),
    ];
    for (threshold, base, fewest) in boundaries {
        assert!(
            threshold.is_met(fewest, base),
            "{threshold:?} {fewest}/{base}"
        );
        assert!(
            !threshold.is_met(fewest - 1, base),
            "{threshold:?} {}/{base}",
            fewest - 1
        );
    }
}

#[test]
fn no_threshold_adopts_without_a_yes() {
    for threshold in Threshold::ALL {
        assert!(!threshold.is_met(0, 0), "{threshold:?}");
    }
}

#[test]
fn a_tie_fails_more_than_half_and_passes_at_least_half() {
    let count = |threshold| {
        count_yes_no(
            &electorate(10),
            rules(Quorum::None, threshold, AbstentionsIn::Quorum),
            &ballots(4, 4, 2),
        )
        .unwrap()
        .outcome
    };
    assert_eq!(count(Threshold::MoreThanHalf), Outcome::Rejected);
    assert_eq!(count(Threshold::AtLeastHalf), Outcome::Adopted);
}

#[test]
fn unanimity_with_abstentions_depends_on_the_base() {
    let count = |abstentions| {
        count_yes_no(
            &electorate(10),
            rules(half(Bound::MoreThan), Threshold::Unanimity, abstentions),
            &ballots(5, 0, 2),
        )
        .unwrap()
    };
    let outside_base = count(AbstentionsIn::Quorum);
    assert_eq!(outside_base.outcome, Outcome::Adopted);
    assert_eq!(outside_base.base, 5);
    let in_base = count(AbstentionsIn::QuorumAndBase);
    assert_eq!(in_base.outcome, Outcome::Rejected);
    assert_eq!(in_base.base, 7);
}

#[test]
fn abstentions_in_the_base_weigh_like_no() {
    let count = |abstentions| {
        count_yes_no(
            &electorate(10),
            rules(Quorum::None, Threshold::MoreThanHalf, abstentions),
            &ballots(4, 3, 2),
        )
        .unwrap()
        .outcome
    };
    assert_eq!(count(AbstentionsIn::Quorum), Outcome::Adopted);
    assert_eq!(count(AbstentionsIn::QuorumAndBase), Outcome::Rejected);
}

#[test]
fn a_missed_quorum_is_not_a_rejection_and_abstentions_help_reach_it() {
    let vote = rules(
        half(Bound::MoreThan),
        Threshold::MoreThanHalf,
        AbstentionsIn::Quorum,
    );
    let missed = count_yes_no(&electorate(10), vote, &ballots(5, 0, 0)).unwrap();
    assert_eq!(missed.outcome, Outcome::QuorumMissed);
    assert_eq!(
        missed.quorum,
        QuorumCheck {
            participating: 5,
            required: 6,
            met: false
        }
    );
    let met = count_yes_no(&electorate(10), vote, &ballots(5, 0, 1)).unwrap();
    assert_eq!(met.outcome, Outcome::Adopted);
    let rejected = count_yes_no(&electorate(10), vote, &ballots(0, 5, 1)).unwrap();
    assert_eq!(rejected.outcome, Outcome::Rejected);
}

#[test]
fn the_tally_reports_every_number() {
    let count = count_yes_no(
        &electorate(11),
        rules(
            half(Bound::AtLeast),
            Threshold::AtLeastTwoThirds,
            AbstentionsIn::Quorum,
        ),
        &ballots(4, 2, 1),
    )
    .unwrap();
    assert_eq!(
        count.tally,
        YesNoTally {
            yes: 4,
            no: 2,
            abstain: 1,
            voters: 7,
            electorate: 11,
            electorate_weight: 11
        }
    );
    assert_eq!(count.base, 6);
    assert_eq!(count.threshold, Threshold::AtLeastTwoThirds);
    assert_eq!(count.outcome, Outcome::Adopted);
}

#[test]
fn weights_come_from_the_electorate() {
    let shares = Electorate::weighted([("ana", 5), ("bo", 2), ("cy", 2)]).unwrap();
    assert_eq!(shares.size(), 3);
    assert_eq!(shares.total_weight(), 9);
    let cast = BTreeMap::from([("ana", Choice::Yes), ("bo", Choice::No), ("cy", Choice::No)]);
    let count = count_yes_no(
        &shares,
        rules(
            half(Bound::MoreThan),
            Threshold::MoreThanHalf,
            AbstentionsIn::Quorum,
        ),
        &cast,
    )
    .unwrap();
    assert_eq!(
        (count.tally.yes, count.tally.no, count.tally.voters),
        (5, 4, 3)
    );
    assert_eq!(count.outcome, Outcome::Adopted);
}

#[test]
fn a_ballot_from_outside_the_electorate_is_refused() {
    let cast = BTreeMap::from([(3, Choice::Yes), (42, Choice::No)]);
    let refused = count_yes_no(
        &electorate(10),
        rules(Quorum::None, Threshold::MoreThanHalf, AbstentionsIn::Quorum),
        &cast,
    );
    assert_eq!(refused, Err(YesNoError::OutsideElectorate { voter: 42 }));
}

#[test]
fn an_invalid_quorum_is_refused_by_the_count() {
    let broken = Quorum::Fraction {
        bound: Bound::AtLeast,
        numerator: 1,
        denominator: 0,
    };
    let refused = count_yes_no(
        &electorate(3),
        rules(broken, Threshold::MoreThanHalf, AbstentionsIn::Quorum),
        &ballots(1, 0, 0),
    );
    assert_eq!(refused, Err(YesNoError::Rules(RulesError::ZeroDenominator)));
}

#[test]
fn a_changed_vote_counts_once() {
    // Collecting arrivals into the ballot map keeps each voter's last ballot.
    let arrivals = [(1, Choice::Yes), (2, Choice::Yes), (1, Choice::No)];
    let last: BTreeMap<u32, Choice> = arrivals.into_iter().collect();
    let tally = tally_yes_no(&electorate(3), &last).unwrap();
    assert_eq!((tally.yes, tally.no, tally.voters), (1, 1, 2));
}

#[test]
fn a_bad_electorate_is_refused() {
    assert_eq!(
        Electorate::one_vote_each([1, 2, 1]),
        Err(ElectorateError::ListedTwice { voter: 1 })
    );
    assert_eq!(
        Electorate::weighted([(1, 1), (2, 0)]),
        Err(ElectorateError::ZeroWeight { voter: 2 })
    );
    assert_eq!(
        Electorate::weighted([(1, u64::MAX), (2, 1)]),
        Err(ElectorateError::TotalWeightOverflow)
    );
}

#[test]
fn rules_round_trip_as_stored_data() {
    let stored = rules(
        half(Bound::AtLeast),
        Threshold::AtLeastTwoThirds,
        AbstentionsIn::Quorum,
    );
    let json = serde_json::to_string(&stored).unwrap();
    assert_eq!(
        json,
        r#"{"quorum":{"kind":"fraction","bound":"at_least","numerator":1,"denominator":2},"threshold":"at_least_two_thirds","abstentions":"quorum"}"#
    );
    assert_eq!(serde_json::from_str::<YesNoRules>(&json).unwrap(), stored);
}

// --- approval -------------------------------------------------------------

const COLOURS: [&str; 3] = ["red", "green", "blue"];

#[test]
fn approval_counts_and_finds_the_winner() {
    let cast = BTreeMap::from([
        (0, vec!["red", "green"]),
        (1, vec!["green"]),
        (2, vec!["blue", "green"]),
        (3, vec![]),
    ]);
    let count = count_approval(&electorate(5), &COLOURS, &cast).unwrap();
    let approvals: Vec<u64> = count.options.iter().map(|o| o.approvals).collect();
    assert_eq!(approvals, [1, 3, 1]);
    assert_eq!(count.winners, ["green"]);
    assert!(!count.is_tie());
    assert_eq!(
        (count.voters, count.participating_weight, count.electorate),
        (4, 4, 5)
    );
}

#[test]
fn approval_reports_a_tie_without_breaking_it() {
    let cast = BTreeMap::from([
        (0, vec!["blue", "red"]),
        (1, vec!["red"]),
        (2, vec!["blue"]),
    ]);
    let count = count_approval(&electorate(3), &COLOURS, &cast).unwrap();
    assert_eq!(count.winners, ["red", "blue"]);
    assert!(count.is_tie());
}

#[test]
fn approval_with_no_approvals_has_no_winner() {
    let cast = BTreeMap::from([(0, vec![])]);
    let count = count_approval(&electorate(3), &COLOURS, &cast).unwrap();
    assert!(count.winners.is_empty());
}

#[test]
fn approval_refuses_bad_ballots_and_bad_option_lists() {
    let count = |options: &[&'static str], cast: BTreeMap<u32, Vec<&'static str>>| {
        count_approval(&electorate(3), options, &cast)
    };
    assert_eq!(
        count(&COLOURS, BTreeMap::from([(1, vec!["red", "pink"])])),
        Err(OptionBallotError::UnknownOption {
            voter: 1,
            option: "pink"
        })
    );
    assert_eq!(
        count(&COLOURS, BTreeMap::from([(2, vec!["red", "blue", "red"])])),
        Err(OptionBallotError::OptionRepeated {
            voter: 2,
            option: "red"
        })
    );
    assert_eq!(
        count(&COLOURS, BTreeMap::from([(9, vec!["red"])])),
        Err(OptionBallotError::OutsideElectorate { voter: 9 })
    );
    assert_eq!(
        count(&[], BTreeMap::new()),
        Err(OptionBallotError::NoOptions)
    );
    assert_eq!(
        count(&["red", "red"], BTreeMap::new()),
        Err(OptionBallotError::OptionListedTwice { option: "red" })
    );
}

// --- time poll ------------------------------------------------------------

const SLOTS: [&str; 4] = ["mon", "tue", "wed", "thu"];

#[test]
fn time_poll_ranks_by_yes_then_by_who_could_come() {
    use Availability::{IfNeedBe, No, Yes};
    let cast = BTreeMap::from([
        (
            0,
            vec![("mon", Yes), ("tue", Yes), ("wed", IfNeedBe), ("thu", No)],
        ),
        (1, vec![("mon", Yes), ("tue", Yes), ("wed", Yes)]),
        (2, vec![("mon", IfNeedBe), ("tue", No), ("thu", Yes)]),
    ]);
    let count = count_time_poll(&electorate(4), &SLOTS, &cast).unwrap();
    let mon = &count.slots[0];
    assert_eq!((mon.yes, mon.if_need_be, mon.no), (2, 1, 0));
    // "thu" was left out by voter 1: that counts as no.
    let thu = &count.slots[3];
    assert_eq!((thu.yes, thu.if_need_be, thu.no), (1, 0, 2));
    assert_eq!(
        count.ranking,
        vec![vec!["mon"], vec!["tue"], vec!["wed"], vec!["thu"]]
    );
    assert_eq!(count.best(), ["mon"]);
    assert_eq!((count.voters, count.electorate), (3, 4));
}

#[test]
fn time_poll_reports_ties() {
    use Availability::{IfNeedBe, Yes};
    let cast = BTreeMap::from([
        (0, vec![("wed", Yes), ("mon", Yes)]),
        (1, vec![("mon", IfNeedBe), ("wed", IfNeedBe), ("tue", Yes)]),
    ]);
    let count = count_time_poll(&electorate(2), &SLOTS, &cast).unwrap();
    // mon and wed: 1 yes, 2 could come; tue: 1 yes, 1 could come.
    assert_eq!(
        count.ranking,
        vec![vec!["mon", "wed"], vec!["tue"], vec!["thu"]]
    );
    assert_eq!(count.best(), ["mon", "wed"]);
}

#[test]
fn time_poll_refuses_unknown_and_repeated_slots() {
    use Availability::{No, Yes};
    let unknown = BTreeMap::from([(0, vec![("sun", Yes)])]);
    assert_eq!(
        count_time_poll(&electorate(2), &SLOTS, &unknown),
        Err(OptionBallotError::UnknownOption {
            voter: 0,
            option: "sun"
        })
    );
    let repeated = BTreeMap::from([(1, vec![("mon", Yes), ("mon", No)])]);
    assert_eq!(
        count_time_poll(&electorate(2), &SLOTS, &repeated),
        Err(OptionBallotError::OptionRepeated {
            voter: 1,
            option: "mon"
        })
    );
}

// --- consent --------------------------------------------------------------

fn reason(text: &str) -> Reason {
    Reason::parse(text).unwrap()
}

fn objection(text: &str) -> ConsentResponse {
    ConsentResponse::Objection {
        reason: reason(text),
    }
}

fn block(text: &str) -> ConsentResponse {
    ConsentResponse::Block {
        reason: reason(text),
    }
}

const THREE_ROUNDS: ConsentRules = ConsentRules { max_rounds: 3 };

#[test]
fn a_round_without_blocks_passes_and_keeps_the_objections() {
    let responses = BTreeMap::from([
        (0, ConsentResponse::Consent),
        (1, ConsentResponse::StandAside),
        (2, objection("too expensive")),
    ]);
    let count = count_consent_round(&electorate(4), THREE_ROUNDS, 1, &responses).unwrap();
    assert_eq!(count.outcome, RoundOutcome::Passed);
    assert_eq!(
        (count.consents, count.stand_asides, count.responded),
        (1, 1, 3)
    );
    assert_eq!(count.objections, vec![(2, reason("too expensive"))]);
    assert!(count.blocks.is_empty());
}

#[test]
fn blocks_send_the_proposal_to_another_round_then_to_a_two_thirds_vote() {
    let responses = BTreeMap::from([
        (0, ConsentResponse::Consent),
        (1, block("breaks the bylaws")),
    ]);
    let outcome = |round| {
        count_consent_round(&electorate(2), THREE_ROUNDS, round, &responses)
            .unwrap()
            .outcome
    };
    assert_eq!(outcome(1), RoundOutcome::NextRound { round: 2 });
    assert_eq!(outcome(2), RoundOutcome::NextRound { round: 3 });
    assert_eq!(
        outcome(3),
        RoundOutcome::FallBackToVote {
            threshold: Threshold::AtLeastTwoThirds
        }
    );
    let single = ConsentRules { max_rounds: 1 };
    assert_eq!(
        count_consent_round(&electorate(2), single, 1, &responses)
            .unwrap()
            .outcome,
        RoundOutcome::FallBackToVote {
            threshold: Threshold::AtLeastTwoThirds
        }
    );
}

#[test]
fn consent_refuses_bad_rounds_and_outsiders() {
    let none = BTreeMap::new();
    assert_eq!(
        count_consent_round(&electorate(2), THREE_ROUNDS, 4, &none),
        Err(ConsentError::Rules(RulesError::RoundOutOfRange {
            round: 4,
            max_rounds: 3
        }))
    );
    assert_eq!(
        count_consent_round(&electorate(2), THREE_ROUNDS, 0, &none),
        Err(ConsentError::Rules(RulesError::RoundOutOfRange {
            round: 0,
            max_rounds: 3
        }))
    );
    assert_eq!(
        count_consent_round(&electorate(2), ConsentRules { max_rounds: 0 }, 1, &none),
        Err(ConsentError::Rules(RulesError::ZeroMaxRounds))
    );
    let outsider = BTreeMap::from([(7, ConsentResponse::Consent)]);
    assert_eq!(
        count_consent_round(&electorate(2), THREE_ROUNDS, 1, &outsider),
        Err(ConsentError::OutsideElectorate { voter: 7 })
    );
}

#[test]
fn a_reason_is_trimmed_required_and_bounded_in_characters() {
    assert_eq!(Reason::parse(""), Err(ReasonError::Empty));
    assert_eq!(Reason::parse(" \n\t "), Err(ReasonError::Empty));
    assert_eq!(reason("  why not  ").as_str(), "why not");
    let longest = "é".repeat(MAX_REASON_CHARS);
    assert_eq!(reason(&format!(" {longest} ")).as_str(), longest);
    assert_eq!(
        Reason::parse(&"é".repeat(MAX_REASON_CHARS + 1)),
        Err(ReasonError::TooLong {
            chars: MAX_REASON_CHARS + 1,
            max: MAX_REASON_CHARS
        })
    );
}

#[test]
fn stored_responses_cannot_smuggle_an_empty_reason() {
    let empty = r#"{"kind":"block","reason":"   "}"#;
    assert!(serde_json::from_str::<ConsentResponse>(empty).is_err());
    let fine = r#"{"kind":"block","reason":" no "}"#;
    assert_eq!(
        serde_json::from_str::<ConsentResponse>(fine).unwrap(),
        block("no")
    );
}

// --- properties -----------------------------------------------------------

fn choice() -> impl Strategy<Value = Choice> {
    prop_oneof![Just(Choice::Yes), Just(Choice::No), Just(Choice::Abstain)]
}

fn availability() -> impl Strategy<Value = Availability> {
    prop_oneof![
        Just(Availability::Yes),
        Just(Availability::IfNeedBe),
        Just(Availability::No)
    ]
}

fn any_quorum() -> impl Strategy<Value = Quorum> {
    prop_oneof![
        Just(Quorum::None),
        (0_u64..40).prop_map(|votes| Quorum::AtLeastVotes { votes }),
        (1_u64..12, 0_u64..12, any::<bool>()).prop_map(|(denominator, numerator, strict)| {
            let numerator = numerator.min(denominator - u64::from(strict));
            let bound = if strict {
                Bound::MoreThan
            } else {
                Bound::AtLeast
            };
            Quorum::Fraction {
                bound,
                numerator,
                denominator,
            }
        }),
    ]
}

/// Weighted electorate of voters 0..n.
fn weighted_electorate() -> impl Strategy<Value = Electorate<u32>> {
    prop::collection::vec(1_u64..5, 1..30)
        .prop_map(|weights| Electorate::weighted((0..).zip(weights)).unwrap())
}

fn voters_of(electorate: &Electorate<u32>) -> u32 {
    u32::try_from(electorate.size()).unwrap()
}

fn yes_no_tallies(tally: &YesNoTally) -> [u64; 3] {
    [tally.yes, tally.no, tally.abstain]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn quorum_required_agrees_with_cross_multiplication(
        quorum in any_quorum(),
        electorate_weight in 0_u64..60,
        participating in 0_u64..60,
    ) {
        let participating = participating.min(electorate_weight);
        let check = quorum.check(participating, electorate_weight).unwrap();
        prop_assert_eq!(check.met, participating >= check.required);
    }

    #[test]
    fn adding_a_yes_no_ballot_moves_each_count_by_at_most_its_weight(
        electorate in weighted_electorate(),
        choices in prop::collection::vec(choice(), 0..30),
        added in choice(),
    ) {
        let size = voters_of(&electorate);
        let newcomer = size - 1;
        let before: BTreeMap<u32, Choice> =
            (0..newcomer).zip(choices).collect();
        let mut after = before.clone();
        after.insert(newcomer, added);
        let weight = electorate.weight_of(&newcomer).unwrap();
        let old = tally_yes_no(&electorate, &before).unwrap();
        let new = tally_yes_no(&electorate, &after).unwrap();
        let moved: u64 = yes_no_tallies(&old)
            .iter()
            .zip(yes_no_tallies(&new))
            .map(|(old, new)| {
                prop_assert!(new >= *old && new - old <= weight);
                Ok(new - old)
            })
            .sum::<Result<u64, TestCaseError>>()?;
        prop_assert_eq!(moved, weight);
        prop_assert_eq!(new.voters, old.voters + 1);
    }

    #[test]
    fn adding_an_approval_ballot_moves_each_count_by_at_most_its_weight(
        electorate in weighted_electorate(),
        approvals in prop::collection::vec(prop::collection::btree_set(0_usize..3, 0..=3), 0..30),
        added in prop::collection::btree_set(0_usize..3, 0..=3),
    ) {
        let to_ballot = |set: BTreeSet<usize>| set.into_iter().map(|i| COLOURS[i]).collect::<Vec<_>>();
        let newcomer = voters_of(&electorate) - 1;
        let before: BTreeMap<u32, Vec<&str>> =
            (0..newcomer).zip(approvals.into_iter().map(to_ballot)).collect();
        let mut after = before.clone();
        after.insert(newcomer, to_ballot(added));
        let weight = electorate.weight_of(&newcomer).unwrap();
        let old = count_approval(&electorate, &COLOURS, &before).unwrap();
        let new = count_approval(&electorate, &COLOURS, &after).unwrap();
        for (old, new) in old.options.iter().zip(&new.options) {
            prop_assert!(new.approvals >= old.approvals);
            prop_assert!(new.approvals - old.approvals <= weight);
        }
        prop_assert_eq!(new.participating_weight - old.participating_weight, weight);
    }

    #[test]
    fn adding_a_time_poll_ballot_moves_each_count_by_at_most_its_weight(
        electorate in weighted_electorate(),
        answers in prop::collection::vec(prop::collection::vec(availability(), 4), 0..30),
        added in prop::collection::vec(availability(), 4),
    ) {
        let to_ballot = |row: Vec<Availability>| SLOTS.into_iter().zip(row).collect::<Vec<_>>();
        let newcomer = voters_of(&electorate) - 1;
        let before: BTreeMap<u32, Vec<(&str, Availability)>> =
            (0..newcomer).zip(answers.into_iter().map(to_ballot)).collect();
        let mut after = before.clone();
        after.insert(newcomer, to_ballot(added));
        let weight = electorate.weight_of(&newcomer).unwrap();
        let old = count_time_poll(&electorate, &SLOTS, &before).unwrap();
        let new = count_time_poll(&electorate, &SLOTS, &after).unwrap();
        for (old, new) in old.slots.iter().zip(&new.slots) {
            for (old, new) in [(old.yes, new.yes), (old.if_need_be, new.if_need_be), (old.no, new.no)] {
                prop_assert!(new >= old && new - old <= weight);
            }
        }
    }

    #[test]
    fn a_unanimous_yes_with_the_quorum_met_is_adopted_under_every_threshold(
        electorate in weighted_electorate(),
        quorum in any_quorum(),
        abstaining in 0_u32..30,
    ) {
        let size = voters_of(&electorate);
        let abstaining = abstaining.min(size - 1);
        let cast: BTreeMap<u32, Choice> = (0..size)
            .map(|voter| (voter, if voter < abstaining { Choice::Abstain } else { Choice::Yes }))
            .collect();
        for threshold in Threshold::ALL {
            let count = count_yes_no(&electorate, rules(quorum, threshold, AbstentionsIn::Quorum), &cast).unwrap();
            let expected = if count.quorum.met { Outcome::Adopted } else { Outcome::QuorumMissed };
            prop_assert_eq!(count.outcome, expected);
        }
        // With nobody abstaining, abstentions in the base change nothing.
        let all_yes: BTreeMap<u32, Choice> = (0..size).map(|voter| (voter, Choice::Yes)).collect();
        for threshold in Threshold::ALL {
            for abstentions in [AbstentionsIn::Quorum, AbstentionsIn::QuorumAndBase] {
                let count = count_yes_no(&electorate, rules(quorum, threshold, abstentions), &all_yes).unwrap();
                let fixed_number = matches!(quorum, Quorum::AtLeastVotes { .. });
                prop_assert!(count.quorum.met || fixed_number);
                let expected = if count.quorum.met { Outcome::Adopted } else { Outcome::QuorumMissed };
                prop_assert_eq!(count.outcome, expected);
            }
        }
    }

    #[test]
    fn counting_does_not_depend_on_ballot_order(
        electorate in weighted_electorate(),
        quorum in any_quorum(),
        choices in prop::collection::vec((choice(), prop::collection::btree_set(0_usize..3, 0..=3)), 0..30),
        seed in any::<u64>(),
    ) {
        let cast: Vec<(u32, (Choice, Vec<&str>))> = (0..voters_of(&electorate))
            .zip(choices.into_iter().map(|(c, set)| (c, set.into_iter().map(|i| COLOURS[i]).collect())))
            .collect();
        let mut shuffled = cast.clone();
        // A cheap deterministic permutation driven by the generated seed.
        let len = shuffled.len();
        for i in (1..len).rev() {
            let j = usize::try_from(seed.wrapping_mul(i as u64 + 7) % (i as u64 + 1)).unwrap();
            shuffled.swap(i, j);
        }
        for (_, (_, approved)) in &mut shuffled {
            approved.reverse();
        }
        let yes_no = |list: &[(u32, (Choice, Vec<&str>))]| {
            let map: BTreeMap<u32, Choice> = list.iter().map(|(v, (c, _))| (*v, *c)).collect();
            count_yes_no(&electorate, rules(quorum, Threshold::MoreThanHalf, AbstentionsIn::Quorum), &map).unwrap()
        };
        let approval = |list: &[(u32, (Choice, Vec<&'static str>))]| {
            let map: BTreeMap<u32, Vec<&str>> = list.iter().map(|(v, (_, a))| (*v, a.clone())).collect();
            count_approval(&electorate, &COLOURS, &map).unwrap()
        };
        prop_assert_eq!(yes_no(&cast), yes_no(&shuffled));
        prop_assert_eq!(approval(&cast), approval(&shuffled));
    }
}
