use super::*;
use crate::governance::counting::{AbstentionsIn, Bound, Quorum, Reason};

fn spec(method: Method, options: &[&str]) -> CountSpec {
    CountSpec {
        method,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        yes_no: YesNoRules {
            quorum: Quorum::Fraction {
                bound: Bound::AtLeast,
                numerator: 1,
                denominator: 2,
            },
            threshold: Threshold::MoreThanHalf,
            abstentions: AbstentionsIn::Quorum,
        },
        consent: ConsentRules { max_rounds: 2 },
        round: 1,
        tie_break: TieBreak::StatusQuoWins,
    }
}

fn yes_no(choices: &[Choice]) -> Vec<BallotContent> {
    choices
        .iter()
        .map(|&choice| BallotContent::YesNo { choice })
        .collect()
}

fn ranked(groups: &[&[&str]]) -> BallotContent {
    BallotContent::Schulze {
        ranking: groups
            .iter()
            .map(|g| g.iter().map(|c| (*c).to_owned()).collect())
            .collect(),
    }
}

#[test]
fn a_ranked_ballot_with_a_duplicate_or_an_unknown_candidate_is_refused() {
    let options = vec!["red".to_owned(), "blue".to_owned()];
    assert_eq!(
        check_ballot(Method::Schulze, &options, &ranked(&[&["red"], &["red"]])),
        Err(BallotProblem::Repeated {
            option: "red".into()
        })
    );
    assert_eq!(
        check_ballot(Method::Schulze, &options, &ranked(&[&["green"]])),
        Err(BallotProblem::UnknownOption {
            option: "green".into()
        })
    );
    assert_eq!(
        check_ballot(Method::Schulze, &options, &ranked(&[])),
        Err(BallotProblem::Empty)
    );
    assert!(check_ballot(Method::Schulze, &options, &ranked(&[&["blue", STATUS_QUO]])).is_ok());
    assert_eq!(
        check_ballot(Method::Approval, &options, &ranked(&[&["red"]])),
        Err(BallotProblem::WrongMethod {
            expected: Method::Approval,
            got: Method::Schulze
        })
    );
}

#[test]
fn options_are_checked_for_their_method() {
    let raw = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        parse_options(Method::Schulze, &raw(&[" red ", "", "blue"])).unwrap(),
        ["red", "blue"]
    );
    assert!(parse_options(Method::Schulze, &raw(&["red", "Status Quo"])).is_err());
    assert!(parse_options(Method::Approval, &raw(&["only one"])).is_err());
    assert!(parse_options(Method::TimePoll, &raw(&["Mon", "Mon"])).is_err());
    assert!(parse_options(Method::YesNo, &raw(&["stray"])).is_err());
    assert!(parse_options(Method::YesNo, &raw(&[])).unwrap().is_empty());
}

#[test]
fn quorum_edges_with_odd_and_even_electorates() {
    // Half of 10 is 5; half of 11, rounded up, is 6.
    let s = spec(Method::YesNo, &[]);
    let five_yes = yes_no(&[Choice::Yes; 5]);
    let (_, verdict) = count(&s, 10, &five_yes).unwrap();
    assert_eq!(verdict, CountVerdict::Decided(Decision::Adopted));
    let (_, verdict) = count(&s, 11, &five_yes).unwrap();
    assert_eq!(
        verdict,
        CountVerdict::Decided(Decision::Rejected {
            reason: crate::governance::proposal::RejectionReason::QuorumMissed
        })
    );
}

#[test]
fn more_ballots_than_voters_are_never_counted() {
    let s = spec(Method::YesNo, &[]);
    assert!(count(&s, 2, &yes_no(&[Choice::Yes; 3])).is_err());
}

#[test]
fn the_status_quo_winning_a_ranked_vote_rejects_the_proposal() {
    let s = spec(Method::Schulze, &["red", "blue"]);
    let ballots = vec![
        ranked(&[&[STATUS_QUO], &["red"], &["blue"]]),
        ranked(&[&[STATUS_QUO], &["blue"], &["red"]]),
        ranked(&[&["red"], &[STATUS_QUO]]),
    ];
    let (tally, verdict) = count(&s, 3, &ballots).unwrap();
    assert!(matches!(tally, Tally::Schulze { ref winner, .. } if winner == STATUS_QUO));
    assert!(matches!(
        verdict,
        CountVerdict::Decided(Decision::Rejected { .. })
    ));
    let ballots = vec![
        ranked(&[&["red"], &[STATUS_QUO]]),
        ranked(&[&["red"], &["blue"]]),
        ranked(&[&["blue"], &["red"], &[STATUS_QUO]]),
    ];
    let (tally, verdict) = count(&s, 3, &ballots).unwrap();
    assert!(matches!(tally, Tally::Schulze { ref winner, .. } if winner == "red"));
    assert_eq!(verdict, CountVerdict::Decided(Decision::Adopted));
}

#[test]
fn a_block_holds_another_round_then_falls_back_to_a_two_thirds_vote() {
    let block = BallotContent::Consent {
        response: ConsentResponse::Block {
            reason: Reason::parse("it breaks our bylaws").unwrap(),
        },
    };
    let consent = BallotContent::Consent {
        response: ConsentResponse::Consent,
    };
    let mut s = spec(Method::Consent, &[]);
    let (_, verdict) = count(&s, 3, &[block.clone(), consent.clone()]).unwrap();
    assert_eq!(verdict, CountVerdict::AnotherRound { round: 2 });
    s.round = 2;
    let (_, verdict) = count(&s, 3, &[block, consent.clone()]).unwrap();
    assert_eq!(
        verdict,
        CountVerdict::FallBackToVote {
            threshold: Threshold::AtLeastTwoThirds
        }
    );
    let (_, verdict) = count(&s, 3, &[consent]).unwrap();
    assert_eq!(verdict, CountVerdict::Decided(Decision::Adopted));
}

#[test]
fn approval_and_time_poll_name_their_winners() {
    let s = spec(Method::Approval, &["a", "b", "c"]);
    let ballots = vec![
        BallotContent::Approval {
            approved: vec!["a".into(), "b".into()],
        },
        BallotContent::Approval {
            approved: vec!["b".into()],
        },
    ];
    let (tally, verdict) = count(&s, 3, &ballots).unwrap();
    let Tally::Approval {
        count: approvals, ..
    } = tally
    else {
        panic!("not an approval tally");
    };
    assert_eq!(approvals.winners, ["b"]);
    assert_eq!(verdict, CountVerdict::Decided(Decision::Adopted));

    let s = spec(Method::TimePoll, &["mon", "tue"]);
    let answer = |slot: &str, availability| SlotAnswer {
        slot: slot.into(),
        availability,
    };
    let ballots = vec![
        BallotContent::TimePoll {
            answers: vec![
                answer("mon", Availability::IfNeedBe),
                answer("tue", Availability::Yes),
            ],
        },
        BallotContent::TimePoll {
            answers: vec![answer("tue", Availability::Yes)],
        },
    ];
    let (tally, _) = count(&s, 5, &ballots).unwrap();
    let Tally::TimePoll { count: poll } = tally else {
        panic!("not a time poll tally");
    };
    assert_eq!(poll.best(), ["tue"]);
}

#[test]
fn ballots_round_trip_through_their_stored_json() {
    for ballot in [
        yes_no(&[Choice::Abstain]).remove(0),
        ranked(&[&["a", "b"], &[STATUS_QUO]]),
        BallotContent::Consent {
            response: ConsentResponse::Objection {
                reason: Reason::parse("too soon").unwrap(),
            },
        },
    ] {
        let json = serde_json::to_string(&ballot).unwrap();
        assert_eq!(
            serde_json::from_str::<BallotContent>(&json).unwrap(),
            ballot
        );
    }
}
