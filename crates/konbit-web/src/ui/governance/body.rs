//! A governance body's page: its rules in plain words for everyone, and
//! for admins the form that makes or changes it.

use super::{Opt, options, parse_choice, rules_in_words};
use crate::AppState;
use crate::context::Signed;
use crate::form::{CsrfForm, FormData};
use crate::i18n::Tr;
use crate::ui::{
    FormErrors, FormOutcome, Layout, form_outcome, parse_id, query_value, render, see_other,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::governance::BodyInput;
use konbit_core::governance::counting::{AbstentionsIn, Bound, Quorum, Threshold};
use konbit_core::governance::rules::{
    BallotVisibility, BodyKind, DecisionRules, Method, Proposers, Weighting,
};
use konbit_core::model::BodyId;
use konbit_core::{FieldError, Rule};

const HOUR: u64 = 3600;

/// The body form as typed.
#[derive(Clone)]
pub struct BodyForm {
    pub name: String,
    pub kind: BodyKind,
    pub weighting: Weighting,
    pub proposers: Proposers,
    pub default_method: Method,
    /// `none`, `votes` or `fraction`.
    pub quorum_kind: String,
    pub quorum_votes: String,
    pub quorum_bound: Bound,
    pub quorum_numerator: String,
    pub quorum_denominator: String,
    pub threshold: Threshold,
    pub abstentions: AbstentionsIn,
    pub consent_rounds: String,
    pub discussion_hours: String,
    pub vote_hours: String,
    pub appeal_hours: String,
    pub visibility: BallotVisibility,
    pub members: String,
}

impl BodyForm {
    fn of(name: &str, r: &DecisionRules, members: &[String]) -> Self {
        let (quorum_kind, votes, bound, n, d) = match r.yes_no.quorum {
            Quorum::None => ("none", 1, Bound::AtLeast, 1, 2),
            Quorum::AtLeastVotes { votes } => ("votes", votes, Bound::AtLeast, 1, 2),
            Quorum::Fraction {
                bound,
                numerator,
                denominator,
            } => ("fraction", 1, bound, numerator, denominator),
        };
        Self {
            name: name.to_owned(),
            kind: r.body,
            weighting: r.weighting,
            proposers: r.proposers,
            default_method: r.default_method,
            quorum_kind: quorum_kind.to_owned(),
            quorum_votes: votes.to_string(),
            quorum_bound: bound,
            quorum_numerator: n.to_string(),
            quorum_denominator: d.to_string(),
            threshold: r.yes_no.threshold,
            abstentions: r.yes_no.abstentions,
            consent_rounds: r.consent.max_rounds.to_string(),
            discussion_hours: (r.discussion_seconds / HOUR).to_string(),
            vote_hours: (r.vote_seconds / HOUR).to_string(),
            appeal_hours: (r.appeal_window_seconds / HOUR).to_string(),
            visibility: r.visibility,
            members: members.join("\n"),
        }
    }

    /// Reads the form; values that are not even numbers or choices are
    /// told next to their fields before the app sees anything.
    fn from_form(form: &FormData) -> (Self, Vec<FieldError>) {
        let mut problems = Vec::new();
        let mut choice = |field: &'static str| -> Option<String> {
            let v = form.get(field).trim().to_owned();
            if v.is_empty() {
                problems.push(FieldError::new(field, Rule::Required));
                None
            } else {
                Some(v)
            }
        };
        let kind_raw = choice("body_kind");
        let kind = kind_raw
            .as_deref()
            .and_then(parse_choice)
            .unwrap_or(BodyKind::GeneralAssembly);
        let defaults = DecisionRules::default_for(kind);
        let weighting = choice("weighting");
        let proposers = choice("proposers");
        let default_method = choice("default_method");
        let threshold = choice("threshold");
        let abstentions = choice("abstentions");
        let visibility = choice("visibility");
        let bound = form.get("quorum_bound");
        let mut f = Self {
            name: form.get("name").trim().to_owned(),
            kind,
            weighting: weighting
                .as_deref()
                .and_then(parse_choice)
                .unwrap_or(defaults.weighting),
            proposers: proposers
                .as_deref()
                .and_then(parse_choice)
                .unwrap_or(defaults.proposers),
            default_method: default_method
                .as_deref()
                .and_then(parse_choice)
                .unwrap_or(defaults.default_method),
            quorum_kind: form.get("quorum_kind").trim().to_owned(),
            quorum_votes: form.get("quorum_votes").trim().to_owned(),
            quorum_bound: parse_choice(bound).unwrap_or(Bound::AtLeast),
            quorum_numerator: form.get("quorum_numerator").trim().to_owned(),
            quorum_denominator: form.get("quorum_denominator").trim().to_owned(),
            threshold: threshold
                .as_deref()
                .and_then(parse_choice)
                .unwrap_or(defaults.yes_no.threshold),
            abstentions: abstentions
                .as_deref()
                .and_then(parse_choice)
                .unwrap_or(defaults.yes_no.abstentions),
            consent_rounds: form.get("consent_rounds").trim().to_owned(),
            discussion_hours: form.get("discussion_hours").trim().to_owned(),
            vote_hours: form.get("vote_hours").trim().to_owned(),
            appeal_hours: form.get("appeal_hours").trim().to_owned(),
            visibility: visibility
                .as_deref()
                .and_then(parse_choice)
                .unwrap_or(defaults.visibility),
            members: form.get("members").to_owned(),
        };
        // A choice that is not one of ours.
        for (field, raw, ok) in [
            (
                "body_kind",
                form.get("body_kind"),
                parse_choice::<BodyKind>(form.get("body_kind")).is_some(),
            ),
            (
                "weighting",
                form.get("weighting"),
                parse_choice::<Weighting>(form.get("weighting")).is_some(),
            ),
            (
                "proposers",
                form.get("proposers"),
                parse_choice::<Proposers>(form.get("proposers")).is_some(),
            ),
            (
                "default_method",
                form.get("default_method"),
                parse_choice::<Method>(form.get("default_method")).is_some(),
            ),
            (
                "threshold",
                form.get("threshold"),
                parse_choice::<Threshold>(form.get("threshold")).is_some(),
            ),
            (
                "abstentions",
                form.get("abstentions"),
                parse_choice::<AbstentionsIn>(form.get("abstentions")).is_some(),
            ),
            (
                "visibility",
                form.get("visibility"),
                parse_choice::<BallotVisibility>(form.get("visibility")).is_some(),
            ),
        ] {
            if !raw.trim().is_empty() && !ok {
                problems.push(FieldError::new(field, Rule::UnknownChoice));
            }
        }
        if !matches!(f.quorum_kind.as_str(), "none" | "votes" | "fraction") {
            problems.push(FieldError::new("quorum", Rule::UnknownChoice));
            f.quorum_kind = "none".into();
        }
        (f, problems)
    }

    /// The app's input, or the fields that are not numbers.
    fn input(&self) -> Result<BodyInput, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut num = |field: &'static str, raw: &str| -> u64 {
            match raw.parse::<u64>() {
                Ok(n) => n,
                Err(_) => {
                    problems.push(FieldError::new(
                        field,
                        if raw.is_empty() {
                            Rule::Required
                        } else {
                            Rule::OutOfRange {
                                min: 0,
                                max: u64::from(u32::MAX),
                            }
                        },
                    ));
                    0
                }
            }
        };
        let quorum = match self.quorum_kind.as_str() {
            "votes" => Quorum::AtLeastVotes {
                votes: num("quorum_votes", &self.quorum_votes),
            },
            "fraction" => Quorum::Fraction {
                bound: self.quorum_bound,
                numerator: num("quorum_numerator", &self.quorum_numerator),
                denominator: num("quorum_denominator", &self.quorum_denominator),
            },
            _ => Quorum::None,
        };
        let rounds = num("consent_rounds", &self.consent_rounds);
        let discussion = num("discussion_hours", &self.discussion_hours);
        let vote = num("vote_hours", &self.vote_hours);
        let appeal = num("appeal_hours", &self.appeal_hours);
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut rules = DecisionRules::default_for(self.kind);
        rules.weighting = self.weighting;
        rules.proposers = self.proposers;
        rules.default_method = self.default_method;
        rules.yes_no.quorum = quorum;
        rules.yes_no.threshold = self.threshold;
        rules.yes_no.abstentions = self.abstentions;
        rules.consent.max_rounds = u32::try_from(rounds).unwrap_or(u32::MAX);
        rules.discussion_seconds = discussion.saturating_mul(HOUR);
        rules.vote_seconds = vote.saturating_mul(HOUR);
        rules.appeal_window_seconds = appeal.saturating_mul(HOUR);
        rules.visibility = self.visibility;
        Ok(BodyInput {
            name: self.name.clone(),
            rules,
            members: self
                .members
                .split(['\n', ',', ';'])
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    pub fn quorum_is(&self, v: &str) -> bool {
        self.quorum_kind == v
    }

    pub fn has_members(&self) -> bool {
        self.kind != BodyKind::GeneralAssembly
    }
}

/// The choices of the form's selects and radios, with their words.
pub struct BodyChoices {
    pub kinds: Vec<Opt>,
    pub weightings: Vec<Opt>,
    pub proposers: Vec<Opt>,
    pub methods: Vec<Opt>,
    pub bounds: Vec<Opt>,
    pub thresholds: Vec<Opt>,
    pub abstentions: Vec<Opt>,
    pub visibilities: Vec<Opt>,
}

impl BodyChoices {
    fn new(tr: &Tr, f: &BodyForm) -> Self {
        Self {
            kinds: options(
                tr,
                "gov-kind",
                &[
                    BodyKind::GeneralAssembly,
                    BodyKind::Board,
                    BodyKind::Committee,
                ],
                &f.kind,
            ),
            weightings: options(
                tr,
                "gov-weighting",
                &[Weighting::OneVotePerAccount, Weighting::OneVotePerPerson],
                &f.weighting,
            ),
            proposers: options(
                tr,
                "gov-proposers",
                &[
                    Proposers::AnyMemberOfBody,
                    Proposers::BoardOnly,
                    Proposers::AdminsOnly,
                ],
                &f.proposers,
            ),
            methods: options(
                tr,
                "gov-method",
                &super::proposal::METHODS,
                &f.default_method,
            ),
            bounds: options(
                tr,
                "gov-bound",
                &[Bound::AtLeast, Bound::MoreThan],
                &f.quorum_bound,
            ),
            thresholds: options(
                tr,
                "gov-threshold",
                &[
                    Threshold::MoreThanHalf,
                    Threshold::AtLeastHalf,
                    Threshold::AtLeastTwoThirds,
                    Threshold::MoreThanTwoThirds,
                    Threshold::Unanimity,
                ],
                &f.threshold,
            ),
            abstentions: options(
                tr,
                "gov-abstentions",
                &[AbstentionsIn::Quorum, AbstentionsIn::QuorumAndBase],
                &f.abstentions,
            ),
            visibilities: options(
                tr,
                "gov-visibility",
                &[BallotVisibility::PublicToMembers, BallotVisibility::Secret],
                &f.visibility,
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "governance/body.html")]
struct BodyPage {
    l: Layout,
    /// `None`: a new body.
    id: Option<i64>,
    /// The rules in words (an existing body).
    rules: Vec<(String, String)>,
    /// Members of a board or committee, by name.
    members: Vec<String>,
    is_admin: bool,
    form: BodyForm,
    choices: BodyChoices,
    errors: FormErrors,
}

fn body_page(
    s: &Signed,
    id: Option<i64>,
    saved: Option<(&DecisionRules, Vec<String>)>,
    form: BodyForm,
    errors: FormErrors,
    status: u16,
) -> Response {
    let mut l = Layout::signed(s, "governance", "gov-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = if id.is_some() {
        form.name.clone()
    } else {
        s.tr.t("gov-body-new-title")
    };
    let (rules, members) = match saved {
        Some((r, m)) => (rules_in_words(&s.tr, r), m),
        None => (Vec::new(), Vec::new()),
    };
    render(
        s.tr,
        status,
        &BodyPage {
            choices: BodyChoices::new(&s.tr, &form),
            l,
            id,
            rules,
            members,
            is_admin: s.session.person.is_admin,
            form,
            errors,
        },
    )
}

fn forbidden(s: &Signed) -> Response {
    s.error(konbit_core::Denied::Forbidden.into())
        .into_response()
}

/// GET /governance/bodies/new
pub async fn new_body_form(s: Signed) -> Response {
    if !s.session.person.is_admin {
        return forbidden(&s);
    }
    let form = BodyForm::of(
        "",
        &DecisionRules::default_for(BodyKind::GeneralAssembly),
        &[],
    );
    body_page(&s, None, None, form, FormErrors::default(), 200)
}

fn show_errors(
    s: &Signed,
    id: Option<i64>,
    saved: Option<(&DecisionRules, Vec<String>)>,
    form: BodyForm,
    e: AppError,
) -> Response {
    match form_outcome(&s.tr, e) {
        FormOutcome::Show(errors, status) => body_page(s, id, saved, form, errors, status),
        FormOutcome::Page(p) => p.into_response(),
    }
}

/// POST /governance/bodies/new
pub async fn create_body(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    if !s.session.person.is_admin {
        return forbidden(s);
    }
    let (form, problems) = BodyForm::from_form(&f.form);
    let input = match form.input() {
        Ok(i) if problems.is_empty() => i,
        Ok(_) => return show_errors(s, None, None, form, AppError::Invalid(problems)),
        Err(mut more) => {
            more.extend(problems);
            return show_errors(s, None, None, form, AppError::Invalid(more));
        }
    };
    match state
        .app
        .governance()
        .create_body(&s.session.actor, input)
        .await
    {
        Ok(body) => see_other(&format!(
            "/governance/bodies/{}?flash=gov-body-saved",
            body.id
        )),
        Err(e) => show_errors(s, None, None, form, e),
    }
}

async fn load(
    state: &AppState,
    s: &Signed,
    raw: &str,
) -> Result<(BodyId, DecisionRules, String, Vec<String>, Vec<String>), Response> {
    let id = parse_id(s.tr, raw).map_err(IntoResponse::into_response)?;
    let (body, members) = state
        .app
        .governance()
        .body(&s.session.actor, BodyId(id))
        .await
        .map_err(|e| s.error(e).into_response())?;
    let emails = members.iter().map(|m| m.email.to_string()).collect();
    let names = members
        .iter()
        .map(|m| format!("{} <{}>", m.display_name, m.email))
        .collect();
    Ok((body.id, body.rules, body.name.to_string(), emails, names))
}

/// GET /governance/bodies/{id}: the rules in words; the form for admins.
pub async fn edit_body_form(
    State(state): State<AppState>,
    s: Signed,
    Path(raw): Path<String>,
) -> Response {
    match load(&state, &s, &raw).await {
        Ok((id, rules, name, emails, names)) => {
            let form = BodyForm::of(&name, &rules, &emails);
            body_page(
                &s,
                Some(id.0),
                Some((&rules, names)),
                form,
                FormErrors::default(),
                200,
            )
        }
        Err(res) => res,
    }
}

/// POST /governance/bodies/{id}
pub async fn update_body(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let (id, rules, _, _, names) = match load(&state, s, &raw).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    if !s.session.person.is_admin {
        return forbidden(s);
    }
    let saved = Some((&rules, names));
    let (form, problems) = BodyForm::from_form(&f.form);
    let input = match form.input() {
        Ok(i) if problems.is_empty() => i,
        Ok(_) => return show_errors(s, Some(id.0), saved, form, AppError::Invalid(problems)),
        Err(mut more) => {
            more.extend(problems);
            return show_errors(s, Some(id.0), saved, form, AppError::Invalid(more));
        }
    };
    match state
        .app
        .governance()
        .update_body(&s.session.actor, id, input)
        .await
    {
        Ok(_) => see_other(&format!("/governance/bodies/{id}?flash=gov-body-saved")),
        Err(e) => show_errors(s, Some(id.0), saved, form, e),
    }
}
