//! Co-op governance in the panel: the bodies and their rules (`body`),
//! proposals with their discussion, ballots and tally (`proposal`), and
//! the public pages anyone reads without signing in: the decision log,
//! its Atom feed and the one-time vote links (`public`). Everything goes
//! through `app.governance()`; this module only turns forms into inputs
//! and results into words.

mod ballot;
mod body;
mod proposal;
mod public;

pub use body::{create_body, edit_body_form, new_body_form, update_body};
pub use proposal::{
    appeal, cast, comment, create, edit, new_form, retry_apply, roll_back, settle_appeal, show,
    start_discussion, withdraw,
};
pub use public::{decision, decisions, feed, vote_link, vote_link_cast};

use super::{Layout, query_value, render};
use crate::AppState;
use crate::context::Signed;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use konbit_core::governance::counting::{Bound, Quorum};
use konbit_core::governance::proposal::{Stage, StageKind};
use konbit_core::governance::record::{Body, ProposalRecord};
use konbit_core::governance::rules::DecisionRules;
use konbit_core::governance::voter::Voter;
use serde::Serialize;

/// The snake_case name serde gives a unit variant (`more_than_half`), as
/// a message id part (`more-than-half`).
pub(super) fn slug<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Object(o) => o
                .get("kind")
                .or_else(|| o.get("method"))
                .and_then(|k| k.as_str())
                .map(str::to_owned),
            _ => None,
        })
        .unwrap_or_default()
        .replace('_', "-")
}

/// The value a form posts for a unit variant (`more_than_half`).
pub(super) fn form_value<T: Serialize>(v: &T) -> String {
    slug(v).replace('-', "_")
}

/// A unit variant from the value a form posted.
pub(super) fn parse_choice<T: serde::de::DeserializeOwned>(raw: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(raw.trim().to_owned())).ok()
}

/// A ranked vote's candidate as people read it: the status quo in their
/// language, the options as written.
pub(super) fn candidate_label(tr: &Tr, name: &str) -> String {
    if name == konbit_core::governance::ballot::STATUS_QUO {
        tr.t("gov-status-quo")
    } else {
        name.to_owned()
    }
}

/// "Stage: voting" etc. for one enum value, by its message prefix.
pub(super) fn word<T: Serialize>(tr: &Tr, prefix: &str, v: &T) -> String {
    tr.t(&format!("{prefix}-{}", slug(v)))
}

/// One choice of a select or a radio group, with its words.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(super) fn options<T: Serialize + PartialEq>(
    tr: &Tr,
    prefix: &str,
    all: &[T],
    current: &T,
) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            value: form_value(v),
            label: word(tr, prefix, v),
            selected: v == current,
        })
        .collect()
}

/// The quorum in words.
pub(super) fn quorum_text(tr: &Tr, q: &Quorum) -> String {
    match q {
        Quorum::None => tr.t("gov-quorum-none"),
        Quorum::AtLeastVotes { votes } => tr.t1("gov-quorum-votes-text", "votes", *votes),
        Quorum::Fraction {
            bound,
            numerator,
            denominator,
        } => {
            let id = match bound {
                Bound::AtLeast => "gov-quorum-at-least-text",
                Bound::MoreThan => "gov-quorum-more-than-text",
            };
            tr.t2(id, ("numerator", *numerator), ("denominator", *denominator))
        }
    }
}

/// Seconds as whole hours, in words.
pub(super) fn hours(tr: &Tr, secs: u64) -> String {
    tr.t1("gov-hours", "n", secs / 3600)
}

/// A body's rules in plain words, as label/value lines.
pub(super) fn rules_in_words(tr: &Tr, r: &DecisionRules) -> Vec<(String, String)> {
    vec![
        (tr.t("field-body-kind"), word(tr, "gov-kind", &r.body)),
        (
            tr.t("field-weighting"),
            word(tr, "gov-weighting", &r.weighting),
        ),
        (
            tr.t("field-proposers"),
            word(tr, "gov-proposers", &r.proposers),
        ),
        (
            tr.t("field-default-method"),
            word(tr, "gov-method", &r.default_method),
        ),
        (tr.t("field-quorum"), quorum_text(tr, &r.yes_no.quorum)),
        (
            tr.t("field-threshold"),
            word(tr, "gov-threshold", &r.yes_no.threshold),
        ),
        (
            tr.t("field-abstentions"),
            word(tr, "gov-abstentions", &r.yes_no.abstentions),
        ),
        (
            tr.t("field-consent-rounds"),
            tr.number(u64::from(r.consent.max_rounds)),
        ),
        (
            tr.t("field-discussion-hours"),
            hours(tr, r.discussion_seconds),
        ),
        (tr.t("field-vote-hours"), hours(tr, r.vote_seconds)),
        (
            tr.t("field-appeal-hours"),
            hours(tr, r.appeal_window_seconds),
        ),
        (
            tr.t("field-visibility"),
            word(tr, "gov-visibility", &r.visibility),
        ),
    ]
}

/// The hash the vote was frozen on, once voting opened.
pub(super) fn frozen_hash(record: &ProposalRecord) -> Option<String> {
    match record.proposal.stage() {
        Stage::Voting { vote }
        | Stage::Closed { vote, .. }
        | Stage::Applied { vote, .. }
        | Stage::Rejected { vote, .. } => Some(vote.text_hash.as_str().to_owned()),
        _ => None,
    }
}

/// The last time something happened to a proposal, for "recently decided".
fn decided_at(record: &ProposalRecord) -> i64 {
    match record.proposal.stage() {
        Stage::Closed { closed_at, .. } | Stage::Rejected { closed_at, .. } => *closed_at,
        Stage::Applied { applied_at, .. } => *applied_at,
        Stage::Withdrawn { at, .. } => *at,
        _ => record.updated_at,
    }
}

/// A proposal as the index lists it.
pub struct ProposalRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub stage: String,
    pub method: String,
    /// The date that matters at this stage, with its words.
    pub when: Option<String>,
    pub outcome: Option<String>,
}

impl ProposalRow {
    fn of(tr: &Tr, r: &ProposalRecord) -> Self {
        let stage = r.proposal.stage();
        let when = match stage {
            Stage::Discussion { ends_at, .. } => {
                Some(tr.t1("gov-discussion-until", "date", tr.datetime(*ends_at)))
            }
            Stage::Voting { vote } => {
                Some(tr.t1("gov-vote-until", "date", tr.datetime(vote.closes_at)))
            }
            Stage::Draft => None,
            _ => Some(tr.datetime(decided_at(r))),
        };
        Self {
            id: r.id.0,
            title: r.proposal.title().to_owned(),
            body: r.body_name.clone(),
            stage: word(tr, "gov-stage", &stage.kind()),
            method: word(tr, "gov-method", &r.spec.method),
            when,
            outcome: r.outcome.as_deref().map(|o| outcome_text(tr, o)),
        }
    }
}

/// An outcome as the store keeps it (`adopted`, `rejected`, …), in words.
pub(super) fn outcome_text(tr: &Tr, outcome: &str) -> String {
    let id = format!("gov-outcome-{}", outcome.replace('_', "-"));
    if tr.has(&id) {
        tr.t(&id)
    } else {
        outcome.to_owned()
    }
}

/// A body as the index lists it.
pub struct BodyRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub members: String,
    pub method: String,
}

impl BodyRow {
    fn of(tr: &Tr, b: &Body) -> Self {
        Self {
            id: b.id.0,
            name: b.name.to_string(),
            kind: word(tr, "gov-kind", &b.rules.body),
            members: if b.rules.body == konbit_core::governance::rules::BodyKind::GeneralAssembly {
                tr.t("gov-members-all")
            } else {
                tr.number(u64::try_from(b.member_count).unwrap_or(0))
            },
            method: word(tr, "gov-method", &b.rules.default_method),
        }
    }
}

#[derive(Template)]
#[template(path = "governance/index.html")]
struct IndexPage {
    l: Layout,
    bodies: Vec<BodyRow>,
    discussion: Vec<ProposalRow>,
    voting: Vec<ProposalRow>,
    decided: Vec<ProposalRow>,
}

/// How many decided proposals the index shows.
const RECENT: usize = 20;

/// GET /governance
pub async fn index(State(state): State<AppState>, s: Signed) -> Response {
    let gov = state.app.governance();
    let actor = &s.session.actor;
    let (bodies, proposals) = match (
        gov.bodies(actor).await,
        gov.proposals(actor, None, None).await,
    ) {
        (Ok(b), Ok(p)) => (b, p),
        (Err(e), _) | (_, Err(e)) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let of = |kinds: &[StageKind]| -> Vec<ProposalRow> {
        proposals
            .iter()
            .filter(|p| kinds.contains(&p.proposal.stage().kind()))
            .map(|p| ProposalRow::of(tr, p))
            .collect()
    };
    let mut decided: Vec<&ProposalRecord> = proposals
        .iter()
        .filter(|p| {
            matches!(
                p.proposal.stage().kind(),
                StageKind::Closed | StageKind::Applied | StageKind::Rejected | StageKind::Withdrawn
            )
        })
        .collect();
    decided.sort_by_key(|p| std::cmp::Reverse(decided_at(p)));
    let l = Layout::signed(&s, "governance", "gov-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    render(
        s.tr,
        200,
        &IndexPage {
            l,
            bodies: bodies.iter().map(|b| BodyRow::of(tr, b)).collect(),
            discussion: of(&[StageKind::Draft, StageKind::Discussion]),
            voting: of(&[StageKind::Voting]),
            decided: decided
                .into_iter()
                .take(RECENT)
                .map(|p| ProposalRow::of(tr, p))
                .collect(),
        },
    )
}

/// A voter's label for a select, `Voter` as the form posts it.
pub struct VoterOpt {
    pub value: String,
    pub label: String,
}

impl VoterOpt {
    pub(super) fn of(v: Voter, label: &str) -> Self {
        Self {
            value: v.key(),
            label: label.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::governance::counting::Threshold;
    use konbit_core::governance::rules::{BodyKind, Method};
    use konbit_core::model::Locale;

    #[test]
    fn enum_values_round_trip_through_the_forms() {
        assert_eq!(form_value(&Threshold::MoreThanHalf), "more_than_half");
        assert_eq!(slug(&Method::TimePoll), "time-poll");
        assert_eq!(
            parse_choice::<BodyKind>("general_assembly"),
            Some(BodyKind::GeneralAssembly)
        );
        assert_eq!(parse_choice::<Method>("nope"), None);
    }

    #[test]
    fn rules_have_words_in_both_languages() {
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            for kind in [
                BodyKind::GeneralAssembly,
                BodyKind::Board,
                BodyKind::Committee,
            ] {
                for (label, value) in rules_in_words(&tr, &DecisionRules::default_for(kind)) {
                    assert!(!label.starts_with("field-"), "{locale:?}: {label}");
                    assert!(!value.starts_with("gov-"), "{locale:?}: {value}");
                }
            }
        }
    }
}
