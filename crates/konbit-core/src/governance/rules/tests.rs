use super::*;
use crate::governance::counting::{AbstentionsIn, Bound, Quorum, Threshold};

const DAY: u64 = 24 * 60 * 60;

fn valid() -> DecisionRules {
    DecisionRules {
        body: BodyKind::GeneralAssembly,
        weighting: Weighting::OneVotePerPerson,
        proposers: Proposers::AnyMemberOfBody,
        default_method: Method::Consent,
        yes_no: YesNoRules {
            quorum: Quorum::Fraction {
                bound: Bound::MoreThan,
                numerator: 1,
                denominator: 2,
            },
            threshold: Threshold::AtLeastTwoThirds,
            abstentions: AbstentionsIn::Quorum,
        },
        consent: ConsentRules { max_rounds: 3 },
        discussion_seconds: 7 * DAY,
        vote_seconds: 3 * DAY,
        appeal_window_seconds: 7 * DAY,
        visibility: BallotVisibility::PublicToMembers,
    }
}

fn out_of_range(field: DurationField, seconds: u64, min: u64, max: u64) -> RuleProblem {
    RuleProblem::DurationOutOfRange {
        field,
        seconds,
        min,
        max,
    }
}

#[test]
fn sensible_rules_are_valid() {
    assert_eq!(valid().validate(), Ok(()));
}

#[test]
fn phase_bounds_are_inclusive() {
    for seconds in [MIN_PHASE_SECONDS, MAX_PHASE_SECONDS] {
        let rules = DecisionRules {
            discussion_seconds: seconds,
            vote_seconds: seconds,
            ..valid()
        };
        assert_eq!(rules.validate(), Ok(()));
    }
}

#[test]
fn phases_just_outside_bounds_are_refused() {
    let rules = DecisionRules {
        discussion_seconds: MIN_PHASE_SECONDS - 1,
        vote_seconds: MAX_PHASE_SECONDS + 1,
        ..valid()
    };
    assert_eq!(
        rules.validate(),
        Err(vec![
            out_of_range(
                DurationField::Discussion,
                MIN_PHASE_SECONDS - 1,
                MIN_PHASE_SECONDS,
                MAX_PHASE_SECONDS
            ),
            out_of_range(
                DurationField::Vote,
                MAX_PHASE_SECONDS + 1,
                MIN_PHASE_SECONDS,
                MAX_PHASE_SECONDS
            ),
        ])
    );
}

#[test]
fn appeal_window_may_be_zero_up_to_thirty_days() {
    for seconds in [0, MAX_APPEAL_SECONDS] {
        let rules = DecisionRules {
            appeal_window_seconds: seconds,
            ..valid()
        };
        assert_eq!(rules.validate(), Ok(()));
    }
    let rules = DecisionRules {
        appeal_window_seconds: MAX_APPEAL_SECONDS + 1,
        ..valid()
    };
    assert_eq!(
        rules.validate(),
        Err(vec![out_of_range(
            DurationField::AppealWindow,
            MAX_APPEAL_SECONDS + 1,
            MIN_APPEAL_SECONDS,
            MAX_APPEAL_SECONDS
        )])
    );
}

#[test]
fn consent_rounds_between_one_and_the_limit() {
    let with_rounds = |max_rounds| DecisionRules {
        consent: ConsentRules { max_rounds },
        ..valid()
    };
    assert_eq!(with_rounds(1).validate(), Ok(()));
    assert_eq!(with_rounds(MAX_CONSENT_ROUNDS).validate(), Ok(()));
    assert_eq!(
        with_rounds(0).validate(),
        Err(vec![RuleProblem::ZeroConsentRounds])
    );
    assert_eq!(
        with_rounds(MAX_CONSENT_ROUNDS + 1).validate(),
        Err(vec![RuleProblem::TooManyConsentRounds {
            max_rounds: MAX_CONSENT_ROUNDS + 1,
            max: MAX_CONSENT_ROUNDS
        }])
    );
}

#[test]
fn an_unreachable_quorum_is_reported_with_its_cause() {
    let mut rules = valid();
    rules.yes_no.quorum = Quorum::Fraction {
        bound: Bound::MoreThan,
        numerator: 1,
        denominator: 1,
    };
    assert_eq!(
        rules.validate(),
        Err(vec![RuleProblem::Quorum {
            problem: RulesError::QuorumUnreachable {
                numerator: 1,
                denominator: 1
            }
        }])
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut rules = DecisionRules {
        consent: ConsentRules { max_rounds: 0 },
        discussion_seconds: 0,
        vote_seconds: 0,
        appeal_window_seconds: u64::MAX,
        ..valid()
    };
    rules.yes_no.quorum = Quorum::Fraction {
        bound: Bound::AtLeast,
        numerator: 1,
        denominator: 0,
    };
    let problems = rules.validate().unwrap_err();
    assert_eq!(problems.len(), 5);
    assert_eq!(
        problems[0],
        RuleProblem::Quorum {
            problem: RulesError::ZeroDenominator
        }
    );
    assert_eq!(problems[1], RuleProblem::ZeroConsentRounds);
}

#[test]
fn serde_round_trip_keeps_every_field() {
    let rules = DecisionRules {
        body: BodyKind::Committee,
        weighting: Weighting::OneVotePerAccount,
        proposers: Proposers::BoardOnly,
        default_method: Method::Schulze,
        visibility: BallotVisibility::Secret,
        ..valid()
    };
    let json = serde_json::to_string(&rules).unwrap();
    assert_eq!(serde_json::from_str::<DecisionRules>(&json).unwrap(), rules);
}

#[test]
fn stored_json_uses_snake_case_names() {
    let json = serde_json::to_value(valid()).unwrap();
    assert_eq!(json["body"], "general_assembly");
    assert_eq!(json["weighting"], "one_vote_per_person");
    assert_eq!(json["default_method"], "consent");
    assert_eq!(json["visibility"], "public_to_members");
    assert_eq!(json["yes_no"]["quorum"]["kind"], "fraction");
}

#[test]
fn unknown_method_in_stored_json_is_refused() {
    let mut json = serde_json::to_value(valid()).unwrap();
    json["default_method"] = "dictator".into();
    assert!(serde_json::from_value::<DecisionRules>(json).is_err());
}

#[test]
fn problems_serialize_as_tagged_data() {
    let json = serde_json::to_value(RuleProblem::ZeroConsentRounds).unwrap();
    assert_eq!(json["kind"], "zero_consent_rounds");
}

#[test]
fn every_body_kind_starts_with_valid_rules() {
    for kind in [
        BodyKind::GeneralAssembly,
        BodyKind::Board,
        BodyKind::Committee,
    ] {
        let rules = DecisionRules::default_for(kind);
        assert_eq!(rules.validate(), Ok(()), "{kind:?}");
        assert_eq!(rules.body, kind);
    }
}
