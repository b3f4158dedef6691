use super::*;
use crate::governance::counting::{AbstentionsIn, ConsentRules, Quorum, Threshold, YesNoRules};
use crate::governance::rules::{BallotVisibility, BodyKind, Method, Proposers, Weighting};
use proptest::prelude::*;

const HOUR: u64 = 60 * 60;
const T0: i64 = 1_700_000_000;
const DISCUSSION: i64 = 48 * 3600;
const VOTE: i64 = 24 * 3600;
const APPEAL: i64 = 72 * 3600;

fn rules() -> DecisionRules {
    DecisionRules {
        body: BodyKind::Board,
        weighting: Weighting::OneVotePerAccount,
        proposers: Proposers::AnyMemberOfBody,
        default_method: Method::YesNo,
        yes_no: YesNoRules {
            quorum: Quorum::None,
            threshold: Threshold::MoreThanHalf,
            abstentions: AbstentionsIn::Quorum,
        },
        consent: ConsentRules { max_rounds: 2 },
        discussion_seconds: 48 * HOUR,
        vote_seconds: 24 * HOUR,
        appeal_window_seconds: 72 * HOUR,
        visibility: BallotVisibility::PublicToMembers,
    }
}

fn draft(with_action: bool) -> Proposal<u32> {
    Proposal::draft("Raise quota".into(), "From 5 to 10 GB".into(), with_action)
}

fn discussing() -> Proposal<u32> {
    draft(true).open_discussion(&rules(), T0).unwrap()
}

fn voting() -> Proposal<u32> {
    discussing()
        .open_vote(&rules(), [3, 1, 2, 2], T0 + DISCUSSION)
        .unwrap()
}

const VOTE_ENDS: i64 = T0 + DISCUSSION + VOTE;

fn closed(decision: Decision) -> Proposal<u32> {
    voting().close_vote(decision, VOTE_ENDS).unwrap()
}

fn rejected_for_quorum() -> Decision {
    Decision::from(Outcome::QuorumMissed)
}

fn wrong(from: StageKind, to: StageKind) -> LifecycleError {
    LifecycleError::WrongState { from, to }
}

/// One proposal in each stage, to check every refused transition.
fn every_stage() -> Vec<Proposal<u32>> {
    let adopted = closed(Decision::Adopted);
    vec![
        draft(true),
        discussing(),
        voting(),
        adopted.clone(),
        adopted.apply(VOTE_ENDS + APPEAL).unwrap(),
        closed(rejected_for_quorum()).reject().unwrap(),
        draft(true).withdraw(T0).unwrap(),
    ]
}

// ---------------------------------------------------------------------------
// Allowed transitions
// ---------------------------------------------------------------------------

#[test]
fn the_happy_path_runs_from_draft_to_applied() {
    let discussion = discussing();
    assert_eq!(
        discussion.stage(),
        &Stage::Discussion {
            opened_at: T0,
            ends_at: T0 + DISCUSSION
        }
    );
    let vote = voting();
    let Stage::Voting { vote: frozen } = vote.stage() else {
        panic!("not voting: {:?}", vote.stage());
    };
    assert_eq!(
        frozen.text_hash,
        text_hash("Raise quota", "From 5 to 10 GB")
    );
    assert_eq!(frozen.electorate.voters(), &[1, 2, 3]);
    assert_eq!(frozen.closes_at, VOTE_ENDS);
    let adopted = closed(Decision::Adopted);
    assert_eq!(adopted.applicable_at(), Some(VOTE_ENDS + APPEAL));
    let applied = adopted.apply(VOTE_ENDS + APPEAL).unwrap();
    assert_eq!(applied.stage().kind(), StageKind::Applied);
}

#[test]
fn a_vote_may_open_exactly_when_discussion_ends() {
    assert_eq!(
        discussing().open_vote(&rules(), [1], T0 + DISCUSSION - 1),
        Err(LifecycleError::DiscussionNotOver {
            ends_at: T0 + DISCUSSION
        })
    );
    assert!(
        discussing()
            .open_vote(&rules(), [1], T0 + DISCUSSION)
            .is_ok()
    );
}

#[test]
fn a_vote_may_close_exactly_when_it_ends() {
    assert_eq!(
        voting().close_vote(Decision::Adopted, VOTE_ENDS - 1),
        Err(LifecycleError::VoteNotOver {
            closes_at: VOTE_ENDS
        })
    );
    assert!(voting().close_vote(Decision::Adopted, VOTE_ENDS).is_ok());
}

#[test]
fn a_vote_needs_someone_to_vote() {
    assert_eq!(
        discussing().open_vote(&rules(), [], T0 + DISCUSSION),
        Err(LifecycleError::EmptyElectorate)
    );
}

#[test]
fn draft_and_discussion_may_be_withdrawn() {
    for proposal in [draft(false), discussing()] {
        assert_eq!(
            proposal.withdraw(T0 + 5).unwrap().stage(),
            &Stage::Withdrawn { at: T0 + 5 }
        );
    }
}

#[test]
fn a_missed_quorum_keeps_the_status_quo() {
    let proposal = closed(rejected_for_quorum());
    assert_eq!(proposal.applicable_at(), None);
    assert!(!proposal.may_apply(i64::MAX));
    assert_eq!(proposal.apply(i64::MAX), Err(LifecycleError::NotAdopted));
    let Stage::Rejected { reason, .. } = proposal.reject().unwrap().stage().clone() else {
        panic!("not rejected");
    };
    assert_eq!(reason, RejectionReason::QuorumMissed);
}

#[test]
fn counting_outcomes_map_to_decisions() {
    assert_eq!(Decision::from(Outcome::Adopted), Decision::Adopted);
    assert_eq!(
        Decision::from(Outcome::Rejected),
        Decision::Rejected {
            reason: RejectionReason::NotAdopted
        }
    );
}

#[test]
fn an_adopted_proposal_cannot_be_filed_as_rejected() {
    assert_eq!(
        closed(Decision::Adopted).reject(),
        Err(LifecycleError::WasAdopted)
    );
}

// ---------------------------------------------------------------------------
// Refused transitions
// ---------------------------------------------------------------------------

#[test]
fn open_discussion_only_from_draft() {
    for proposal in every_stage() {
        let result = proposal.open_discussion(&rules(), T0);
        match proposal.stage().kind() {
            StageKind::Draft => assert!(result.is_ok()),
            from => assert_eq!(result, Err(wrong(from, StageKind::Discussion))),
        }
    }
}

#[test]
fn open_vote_only_from_discussion() {
    for proposal in every_stage() {
        let result = proposal.open_vote(&rules(), [1], i64::MAX);
        match proposal.stage().kind() {
            StageKind::Discussion => assert!(result.is_ok()),
            from => assert_eq!(result, Err(wrong(from, StageKind::Voting))),
        }
    }
}

#[test]
fn close_vote_only_from_voting() {
    for proposal in every_stage() {
        let result = proposal.close_vote(Decision::Adopted, i64::MAX);
        match proposal.stage().kind() {
            StageKind::Voting => assert!(result.is_ok()),
            from => assert_eq!(result, Err(wrong(from, StageKind::Closed))),
        }
    }
}

#[test]
fn apply_and_reject_only_from_closed() {
    for proposal in every_stage() {
        let from = proposal.stage().kind();
        if from == StageKind::Closed {
            continue;
        }
        assert_eq!(
            proposal.apply(i64::MAX),
            Err(wrong(from, StageKind::Applied))
        );
        assert_eq!(proposal.reject(), Err(wrong(from, StageKind::Rejected)));
        assert!(!proposal.may_apply(i64::MAX));
    }
}

#[test]
fn withdraw_only_from_draft_or_discussion() {
    for proposal in every_stage() {
        let result = proposal.withdraw(i64::MAX);
        match proposal.stage().kind() {
            StageKind::Draft | StageKind::Discussion => assert!(result.is_ok()),
            from => assert_eq!(result, Err(wrong(from, StageKind::Withdrawn))),
        }
    }
}

// ---------------------------------------------------------------------------
// Appeal window
// ---------------------------------------------------------------------------

#[test]
fn appeal_window_boundary() {
    let adopted = closed(Decision::Adopted);
    let applicable_at = VOTE_ENDS + APPEAL;
    assert!(!adopted.may_apply(applicable_at - 1));
    assert_eq!(
        adopted.apply(applicable_at - 1),
        Err(LifecycleError::AppealWindowOpen { applicable_at })
    );
    assert!(adopted.may_apply(applicable_at));
    assert!(adopted.apply(applicable_at).is_ok());
}

#[test]
fn without_a_platform_action_nothing_waits_for_the_appeal_window() {
    let adopted = draft(false)
        .open_discussion(&rules(), T0)
        .and_then(|p| p.open_vote(&rules(), [1], T0 + DISCUSSION))
        .and_then(|p| p.close_vote(Decision::Adopted, VOTE_ENDS))
        .unwrap();
    assert_eq!(adopted.applicable_at(), Some(VOTE_ENDS));
    assert!(adopted.may_apply(VOTE_ENDS));
}

// ---------------------------------------------------------------------------
// Frozen text and ballots
// ---------------------------------------------------------------------------

#[test]
fn text_hash_is_stable() {
    // Pinned: a change here breaks every ballot and log entry already stored.
    let hash = text_hash("Raise quota", "From 5 to 10 GB");
    assert_eq!(hash, text_hash("Raise quota", "From 5 to 10 GB"));
    assert_eq!(hash.as_str().len(), 64);
    assert!(
        hash.as_str()
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(
        hash.as_str(),
        hex::encode(Sha256::digest(encode_text(
            "Raise quota",
            "From 5 to 10 GB"
        )))
    );
}

#[test]
fn moving_the_boundary_between_fields_changes_the_hash() {
    assert_ne!(text_hash("ab", "c"), text_hash("a", "bc"));
    assert_ne!(text_hash("", "abc"), text_hash("abc", ""));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn different_field_pairs_never_share_an_encoding(
        a in ("[a-c]{0,4}", "[a-c]{0,4}"),
        b in ("[a-c]{0,4}", "[a-c]{0,4}"),
    ) {
        prop_assume!(a != b);
        prop_assert_ne!(encode_text(&a.0, &a.1), encode_text(&b.0, &b.1));
    }

    #[test]
    fn splitting_one_string_anywhere_gives_distinct_encodings(
        text in "[a-z]{0,12}",
        first in 0usize..=12,
        second in 0usize..=12,
    ) {
        let (first, second) = (first.min(text.len()), second.min(text.len()));
        prop_assume!(first != second);
        let (title_a, body_a) = text.split_at(first);
        let (title_b, body_b) = text.split_at(second);
        prop_assert_ne!(text_hash(title_a, body_a), text_hash(title_b, body_b));
    }
}

#[test]
fn editing_allowed_until_voting_opens() {
    for proposal in [draft(true), discussing()] {
        let edited = proposal.edit("New".into(), "Text".into()).unwrap();
        assert_eq!(edited.current_hash(), text_hash("New", "Text"));
        assert_eq!(edited.stage(), proposal.stage());
    }
}

#[test]
fn editing_refused_once_voting_opened() {
    for proposal in every_stage() {
        let stage = proposal.stage().kind();
        if matches!(stage, StageKind::Draft | StageKind::Discussion) {
            continue;
        }
        assert_eq!(
            proposal.edit("Sneaky".into(), "change".into()),
            Err(LifecycleError::TextFrozen { stage })
        );
    }
}

#[test]
fn a_ballot_on_the_frozen_text_from_a_voter_is_accepted() {
    let hash = text_hash("Raise quota", "From 5 to 10 GB");
    assert_eq!(voting().check_ballot(&2, &hash, VOTE_ENDS - 1), Ok(()));
}

#[test]
fn a_stale_hash_is_refused() {
    let discussion = discussing();
    let stale = discussion.current_hash();
    let amended = discussion
        .edit("Raise quota".into(), "From 5 to 20 GB".into())
        .and_then(|p| p.open_vote(&rules(), [1], T0 + DISCUSSION))
        .unwrap();
    let current = text_hash("Raise quota", "From 5 to 20 GB");
    assert_eq!(
        amended.check_ballot(&1, &stale, T0 + DISCUSSION),
        Err(BallotRefusal::StaleText {
            current: current.clone()
        })
    );
    assert_eq!(
        check_ballot_hash(amended.stage(), &stale),
        Err(BallotRefusal::StaleText { current })
    );
}

#[test]
fn a_ballot_for_a_closed_vote_is_refused() {
    let hash = voting().current_hash();
    assert_eq!(
        voting().check_ballot(&1, &hash, VOTE_ENDS),
        Err(BallotRefusal::VoteClosed)
    );
    for proposal in every_stage() {
        if matches!(
            proposal.stage().kind(),
            StageKind::Closed | StageKind::Applied | StageKind::Rejected
        ) {
            assert_eq!(
                proposal.check_ballot(&1, &hash, T0),
                Err(BallotRefusal::VoteClosed)
            );
            assert_eq!(
                check_ballot_hash(proposal.stage(), &hash),
                Err(BallotRefusal::VoteClosed)
            );
        }
    }
}

#[test]
fn a_ballot_before_voting_opens_is_refused() {
    let hash = draft(true).current_hash();
    for proposal in [draft(true), discussing(), draft(true).withdraw(T0).unwrap()] {
        let stage = proposal.stage().kind();
        assert_eq!(
            proposal.check_ballot(&1, &hash, T0),
            Err(BallotRefusal::VoteNotOpen { stage })
        );
    }
}

#[test]
fn an_outsider_is_refused() {
    let hash = voting().current_hash();
    assert_eq!(
        voting().check_ballot(&4, &hash, VOTE_ENDS - 1),
        Err(BallotRefusal::NotInElectorate { voter: 4 })
    );
}

#[test]
fn the_electorate_is_sorted_and_deduplicated_even_from_stored_json() {
    let electorate: FrozenElectorate<u32> = serde_json::from_str("[5, 1, 5, 3]").unwrap();
    assert_eq!(electorate.voters(), &[1, 3, 5]);
    assert!(electorate.contains(&3));
    assert!(!electorate.contains(&2));
}

#[test]
fn a_proposal_round_trips_through_json_in_every_stage() {
    for proposal in every_stage() {
        let json = serde_json::to_string(&proposal).unwrap();
        assert_eq!(
            serde_json::from_str::<Proposal<u32>>(&json).unwrap(),
            proposal
        );
    }
}

#[test]
fn a_blocked_consent_round_goes_back_to_discussion_or_to_the_fallback_vote() {
    let rules = rules();
    let p = Proposal::draft("t".into(), "b".into(), false)
        .open_discussion(&rules, 0)
        .unwrap();
    let voting = p
        .open_vote(&rules, [1_u32, 2, 3], rules.discussion_seconds as i64)
        .unwrap();
    let Stage::Voting { vote } = voting.stage().clone() else {
        panic!("not voting");
    };
    assert_eq!(
        voting.back_to_discussion(&rules, vote.closes_at - 1),
        Err(LifecycleError::VoteNotOver {
            closes_at: vote.closes_at
        })
    );
    let again = voting.back_to_discussion(&rules, vote.closes_at).unwrap();
    assert_eq!(again.stage().kind(), StageKind::Discussion);
    assert!(again.edit("t2".into(), "b2".into()).is_ok());
    let fallback = voting.reopen_vote(&rules, vote.closes_at).unwrap();
    let Stage::Voting { vote: reopened } = fallback.stage() else {
        panic!("not voting");
    };
    assert_eq!(reopened.text_hash, vote.text_hash);
    assert_eq!(reopened.electorate, vote.electorate);
    assert_eq!(
        reopened.closes_at,
        vote.closes_at + rules.vote_seconds as i64
    );
}

#[test]
fn an_appeal_is_open_during_the_window_and_an_upheld_one_sets_the_decision_aside() {
    let p = voting();
    let Stage::Voting { vote } = p.stage().clone() else {
        panic!("not voting");
    };
    let closed = p.close_vote(Decision::Adopted, vote.closes_at).unwrap();
    let applicable = closed.applicable_at().unwrap();
    assert!(closed.appealable(applicable - 1));
    assert!(!closed.appealable(applicable));
    assert!(!p.appealable(vote.opened_at), "not while voting");
    let aside = closed.set_aside().unwrap();
    assert_eq!(
        aside.stage().clone(),
        Stage::Rejected {
            vote: vote.clone(),
            closed_at: vote.closes_at,
            reason: RejectionReason::SetAsideOnAppeal
        }
    );
    assert!(!aside.may_apply(applicable));
    let rejected = p
        .close_vote(
            Decision::Rejected {
                reason: RejectionReason::NotAdopted,
            },
            vote.closes_at,
        )
        .unwrap();
    assert!(!rejected.appealable(vote.closes_at));
    assert_eq!(rejected.set_aside(), Err(LifecycleError::NotAdopted));
}
