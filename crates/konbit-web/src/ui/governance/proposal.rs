//! Proposals: the form that writes one (with an optional platform action),
//! and a proposal's page: its text and dates, the edit form while it may
//! change, comments, the action's preview, the ballot form of its method,
//! the ballots (public votes) or the secret-vote statement, the tally once
//! closed and its entries in the decision log.

use super::ballot::{self, BallotForm};
use super::{Opt, VoterOpt, frozen_hash, outcome_text, slug, word};
use crate::AppState;
use crate::context::Signed;
use crate::form::{CsrfForm, FormData};
use crate::i18n::Tr;
use crate::ui::sftp::{accounts_of, mapped_outcome};
use crate::ui::{FormErrors, FormOutcome, Layout, parse_id, query_value, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use fluent_bundle::FluentArgs;
use konbit_app::AppError;
use konbit_app::governance::{
    ActionPreview, BallotInput, PreviewProblem, ProposalInput, ProposalView,
};
use konbit_core::FieldError;
use konbit_core::error::Rule;
use konbit_core::governance::action::PlatformAction;
use konbit_core::governance::decision_log::DecisionEntry;
use konbit_core::governance::proposal::StageKind;
use konbit_core::governance::rules::{BallotVisibility, Method};
use konbit_core::governance::voter::Voter;
use konbit_core::model::{AccountId, BodyId, ProposalId, QuotaProfileId};
use konbit_core::quota::{QuotaLimits, Resource};

pub const METHODS: [Method; 5] = [
    Method::YesNo,
    Method::Consent,
    Method::Schulze,
    Method::Approval,
    Method::TimePoll,
];

pub const ACTIONS: [&str; 6] = [
    "none",
    "set_quota_limits",
    "admit_account",
    "lock_account",
    "unlock_account",
    "set_zone_defaults",
];

/// App field names as the form names them, and the label to use.
fn field(f: &'static str) -> (&'static str, &'static str) {
    match f {
        "unlock_account_id" => ("unlock_account_id", "account_id"),
        "body" => ("comment", "comment"),
        other => (other, other),
    }
}

// ---------------------------------------------------------------------------
// The new proposal form
// ---------------------------------------------------------------------------

/// The new proposal form as typed.
#[derive(Clone, Default)]
pub struct NewForm {
    pub body_id: String,
    pub title: String,
    pub text: String,
    pub method: String,
    pub options: String,
    pub action: String,
    pub profile_id: String,
    /// The nine limits, in `Resource::ALL` order.
    pub limits: Vec<(String, String, String)>,
    pub name: String,
    pub display_name: String,
    pub quota_profile_id: String,
    pub owner_email: String,
    pub account_id: String,
    pub reason: String,
    pub unlock_account_id: String,
    pub ttl: String,
    pub spf: String,
    pub dmarc: String,
}

fn limit_rows(
    tr: &Tr,
    limits: Option<&QuotaLimits>,
    form: Option<&FormData>,
) -> Vec<(String, String, String)> {
    Resource::ALL
        .iter()
        .map(|r| {
            let name = r.as_str().to_owned();
            let value = match (form, limits) {
                (Some(f), _) => f.get(&name).trim().to_owned(),
                (None, Some(l)) => l.get(*r).to_string(),
                (None, None) => String::new(),
            };
            let label = tr.t(&format!("field-{}", name.replace('_', "-")));
            (name, label, value)
        })
        .collect()
}

impl NewForm {
    fn from_form(tr: &Tr, f: &FormData) -> Self {
        let g = |k: &str| f.get(k).trim().to_owned();
        Self {
            body_id: g("body_id"),
            title: g("title"),
            text: f.get("text").to_owned(),
            method: g("method"),
            options: f.get("options").to_owned(),
            action: g("action"),
            profile_id: g("profile_id"),
            limits: limit_rows(tr, None, Some(f)),
            name: g("name"),
            display_name: g("display_name"),
            quota_profile_id: g("quota_profile_id"),
            owner_email: g("owner_email"),
            account_id: g("account_id"),
            reason: g("reason"),
            unlock_account_id: g("unlock_account_id"),
            ttl: g("ttl"),
            spf: g("spf"),
            dmarc: g("dmarc"),
        }
    }

    pub fn action_is(&self, v: &str) -> bool {
        self.action == v || (v == "none" && self.action.is_empty())
    }

    fn input(&self) -> Result<ProposalInput, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut id = |field: &'static str, raw: &str| -> i64 {
            raw.parse::<i64>().unwrap_or_else(|_| {
                problems.push(FieldError::new(field, Rule::Required));
                0
            })
        };
        let body_id = id("body_id", &self.body_id);
        let action = match self.action.as_str() {
            "" | "none" => None,
            "set_quota_limits" => {
                let profile_id = QuotaProfileId(id("profile_id", &self.profile_id));
                let mut limits = QuotaLimits::default();
                for (r, (name, _, raw)) in Resource::ALL.iter().zip(&self.limits) {
                    match raw.parse::<u64>() {
                        Ok(n) => limits.set(*r, n),
                        Err(_) => problems.push(FieldError::new(
                            r.as_str(),
                            Rule::OutOfRange {
                                min: 0,
                                max: r.max_limit(),
                            },
                        )),
                    }
                    let _ = name;
                }
                Some(PlatformAction::SetQuotaLimits { profile_id, limits })
            }
            "admit_account" => Some(PlatformAction::AdmitAccount {
                name: self.name.clone(),
                display_name: self.display_name.clone(),
                quota_profile_id: QuotaProfileId(id("quota_profile_id", &self.quota_profile_id)),
                owner_email: self.owner_email.clone(),
            }),
            "lock_account" => Some(PlatformAction::LockAccount {
                account_id: AccountId(id("account_id", &self.account_id)),
                reason: self.reason.clone(),
            }),
            "unlock_account" => Some(PlatformAction::UnlockAccount {
                account_id: AccountId(id("unlock_account_id", &self.unlock_account_id)),
            }),
            "set_zone_defaults" => {
                let ttl = self.ttl.parse::<u32>().unwrap_or_else(|_| {
                    problems.push(FieldError::new(
                        "ttl",
                        Rule::OutOfRange {
                            min: 60,
                            max: 86_400,
                        },
                    ));
                    0
                });
                Some(PlatformAction::SetZoneDefaults {
                    ttl,
                    spf: self.spf.clone(),
                    dmarc: self.dmarc.clone(),
                })
            }
            _ => {
                problems.push(FieldError::new("action", Rule::UnknownChoice));
                None
            }
        };
        let method = match self.method.as_str() {
            "" => None,
            raw => match super::parse_choice::<Method>(raw) {
                Some(m) => Some(m),
                None => {
                    problems.push(FieldError::new("method", Rule::UnknownChoice));
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ProposalInput {
            body_id: BodyId(body_id),
            title: self.title.clone(),
            text: self.text.clone(),
            method,
            options: lines(&self.options),
            action,
            tie_break: None,
        })
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Template)]
#[template(path = "governance/proposal_new.html")]
struct NewPage {
    l: Layout,
    form: NewForm,
    bodies: Vec<Opt>,
    methods: Vec<Opt>,
    actions: Vec<Opt>,
    profiles: Vec<Opt>,
    admit_profiles: Vec<Opt>,
    accounts: Vec<Opt>,
    unlock_accounts: Vec<Opt>,
    errors: FormErrors,
}

async fn new_page(
    state: &AppState,
    s: &Signed,
    form: NewForm,
    errors: FormErrors,
    status: u16,
) -> Response {
    let actor = &s.session.actor;
    let bodies = match state.app.governance().bodies(actor).await {
        Ok(b) => b,
        Err(e) => return s.error(e).into_response(),
    };
    // Members may not list every profile or account: the action's
    // choices are then simply the ones they see.
    let profiles = state
        .app
        .quota_profiles()
        .list(actor)
        .await
        .unwrap_or_default();
    let accounts = accounts_of(state, s).await.unwrap_or_default();
    let tr = &s.tr;
    let pick = |items: Vec<(String, String)>, current: &str| -> Vec<Opt> {
        items
            .into_iter()
            .map(|(value, label)| Opt {
                selected: value == current,
                value,
                label,
            })
            .collect()
    };
    let profile_items: Vec<(String, String)> = profiles
        .iter()
        .map(|p| (p.id.0.to_string(), p.name.to_string()))
        .collect();
    let account_items: Vec<(String, String)> = accounts
        .iter()
        .map(|a| {
            (
                a.id.0.to_string(),
                format!("{} ({})", a.display_name, a.name),
            )
        })
        .collect();
    let mut l = Layout::signed(s, "governance", "gov-title");
    l.title = tr.t("gov-proposal-new-title");
    let page = NewPage {
        l,
        bodies: pick(
            bodies
                .iter()
                .map(|b| (b.id.0.to_string(), b.name.to_string()))
                .collect(),
            &form.body_id,
        ),
        methods: std::iter::once(Opt {
            value: String::new(),
            label: tr.t("gov-method-default"),
            selected: form.method.is_empty(),
        })
        .chain(METHODS.iter().map(|m| Opt {
            value: super::form_value(m),
            label: word(tr, "gov-method", m),
            selected: form.method == super::form_value(m),
        }))
        .collect(),
        actions: ACTIONS
            .iter()
            .map(|a| Opt {
                value: (*a).to_owned(),
                label: tr.t(&format!("gov-action-{}", a.replace('_', "-"))),
                selected: form.action_is(a),
            })
            .collect(),
        profiles: pick(profile_items.clone(), &form.profile_id),
        admit_profiles: pick(profile_items, &form.quota_profile_id),
        accounts: pick(account_items.clone(), &form.account_id),
        unlock_accounts: pick(account_items, &form.unlock_account_id),
        form,
        errors,
    };
    render(s.tr, status, &page)
}

/// GET /governance/proposals/new (`?body=` chooses the body, `?profile=`
/// fills in that profile's limits).
pub async fn new_form(State(state): State<AppState>, s: Signed) -> Response {
    let profiles = state
        .app
        .quota_profiles()
        .list(&s.session.actor)
        .await
        .unwrap_or_default();
    let wanted = query_value(&s.path, "profile");
    let profile = profiles
        .iter()
        .find(|p| Some(p.id.0.to_string()) == wanted)
        .or(profiles.first());
    let form = NewForm {
        body_id: query_value(&s.path, "body").unwrap_or_default(),
        action: if wanted.is_some() {
            "set_quota_limits".into()
        } else {
            "none".into()
        },
        profile_id: profile.map(|p| p.id.0.to_string()).unwrap_or_default(),
        limits: limit_rows(&s.tr, profile.map(|p| &p.limits), None),
        ttl: "3600".into(),
        ..NewForm::default()
    };
    new_page(&state, &s, form, FormErrors::default(), 200).await
}

/// POST /governance/proposals/new: makes a draft.
pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let form = NewForm::from_form(&s.tr, &f.form);
    let result = match form.input() {
        Ok(input) => {
            state
                .app
                .governance()
                .create_proposal(&s.session.actor, input)
                .await
        }
        Err(problems) => Err(AppError::Invalid(problems)),
    };
    match result {
        Ok(p) => see_other(&format!(
            "/governance/proposals/{}?flash=gov-proposal-created",
            p.id
        )),
        Err(e) => match mapped_outcome(&s.tr, e, field) {
            FormOutcome::Show(errors, status) => new_page(&state, s, form, errors, status).await,
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

// ---------------------------------------------------------------------------
// A proposal's page
// ---------------------------------------------------------------------------

pub struct CommentRow {
    pub author: String,
    pub at: String,
    pub body: String,
}

pub struct PreviewView {
    pub kind: String,
    pub target: String,
    /// Label, before, after.
    pub changes: Vec<(String, String, String)>,
    pub affected: Vec<String>,
    pub problems: Vec<String>,
}

fn label_or(tr: &Tr, name: &str) -> String {
    let id = format!("field-{}", name.replace('_', "-"));
    if tr.has(&id) {
        tr.t(&id)
    } else {
        name.to_owned()
    }
}

fn yes_no_value(tr: &Tr, v: &str) -> String {
    match v {
        "true" => tr.t("gov-value-yes"),
        "false" => tr.t("gov-value-no"),
        other => other.to_owned(),
    }
}

impl PreviewView {
    pub(super) fn of(tr: &Tr, p: &ActionPreview) -> Self {
        let problems = p
            .problems
            .iter()
            .map(|pr| match pr {
                PreviewProblem::OverNewLimit {
                    account,
                    resource,
                    used,
                    limit,
                } => {
                    let mut args = FluentArgs::new();
                    args.set("account", account.clone());
                    args.set(
                        "resource",
                        tr.t(&format!("resource-{}", resource.as_str().replace('_', "-"))),
                    );
                    args.set("used", tr.number(*used));
                    args.set("limit", tr.number(*limit));
                    tr.format("gov-problem-over-limit", Some(&args))
                }
                PreviewProblem::NameTaken { name } => {
                    tr.t1("gov-problem-name-taken", "name", name.clone())
                }
                PreviewProblem::AlreadySo { account } => {
                    tr.t1("gov-problem-already-so", "account", account.clone())
                }
            })
            .collect();
        Self {
            kind: tr.t(&format!("gov-action-{}", slug(&p.action))),
            target: p.target.clone(),
            changes: p
                .changes
                .iter()
                .map(|c| {
                    let dash = || "—".to_owned();
                    (
                        label_or(tr, &c.field),
                        c.before
                            .as_deref()
                            .map(|v| yes_no_value(tr, v))
                            .unwrap_or_else(dash),
                        c.after
                            .as_deref()
                            .map(|v| yes_no_value(tr, v))
                            .unwrap_or_else(dash),
                    )
                })
                .collect(),
            affected: p.affected_accounts.clone(),
            problems,
        }
    }
}

pub struct DecisionRow {
    pub id: i64,
    pub at: String,
    pub body: String,
    pub title: String,
    pub event: String,
    pub outcome: String,
    pub text_hash: String,
    pub hash: String,
}

impl DecisionRow {
    pub(super) fn of(tr: &Tr, d: &DecisionEntry) -> Self {
        Self {
            id: d.id,
            at: tr.datetime(d.at),
            body: d.body.clone(),
            title: d.title.clone(),
            event: {
                let id = format!("gov-event-{}", d.event.replace('_', "-"));
                if tr.has(&id) {
                    tr.t(&id)
                } else {
                    d.event.clone()
                }
            },
            outcome: outcome_text(tr, &d.outcome),
            text_hash: d.text_hash.clone(),
            hash: d.hash.clone(),
        }
    }
}

/// A closed vote's tally, read from the JSON the count published.
#[derive(Default)]
pub struct TallyView {
    /// Required, participating, met.
    pub quorum: Option<(u64, u64, bool)>,
    /// Plain label/value lines (yes, no, abstain, winner…).
    pub lines: Vec<(String, String)>,
    /// Schulze: candidates and the pairwise matrix.
    pub candidates: Vec<String>,
    pub pairwise: Vec<Vec<u64>>,
    /// Time poll: slot, yes, if need be, no.
    pub slots: Vec<(String, u64, u64, u64)>,
    /// Approval: option, approvals.
    pub approvals: Vec<(String, u64)>,
}

impl TallyView {
    pub(super) fn of(tr: &Tr, v: &serde_json::Value) -> Self {
        let n = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
        let quorum = |q: Option<&serde_json::Value>| {
            q.map(|q| {
                (
                    n(q, "required"),
                    n(q, "participating"),
                    q.get("met").and_then(|m| m.as_bool()).unwrap_or(false),
                )
            })
        };
        let mut t = Self::default();
        let null = serde_json::Value::Null;
        let count = v.get("count").unwrap_or(&null);
        match v.get("method").and_then(|m| m.as_str()).unwrap_or("") {
            "yes_no" => {
                let tally = count.get("tally").unwrap_or(&null);
                t.quorum = quorum(count.get("quorum"));
                for k in ["yes", "no", "abstain"] {
                    t.lines
                        .push((tr.t(&format!("gov-choice-{k}")), tr.number(n(tally, k))));
                }
            }
            "consent" => {
                let len = |k: &str| {
                    count
                        .get(k)
                        .and_then(|x| x.as_array())
                        .map(|a| a.len() as u64)
                        .unwrap_or(0)
                };
                t.lines
                    .push((tr.t("gov-choice-consent"), tr.number(n(count, "consents"))));
                t.lines.push((
                    tr.t("gov-choice-stand-aside"),
                    tr.number(n(count, "stand_asides")),
                ));
                t.lines
                    .push((tr.t("gov-choice-objection"), tr.number(len("objections"))));
                t.lines
                    .push((tr.t("gov-choice-block"), tr.number(len("blocks"))));
            }
            "schulze" => {
                t.quorum = quorum(v.get("quorum"));
                let winner = v.get("winner").and_then(|w| w.as_str()).unwrap_or("");
                t.lines
                    .push((tr.t("gov-tally-winner"), super::candidate_label(tr, winner)));
                if let Some(o) = v.get("outcome") {
                    let names: Vec<String> = o
                        .get("candidates")
                        .and_then(|c| serde_json::from_value(c.clone()).ok())
                        .unwrap_or_default();
                    t.candidates = names
                        .iter()
                        .map(|c| super::candidate_label(tr, c))
                        .collect();
                    t.pairwise = o
                        .get("pairwise")
                        .and_then(|c| serde_json::from_value(c.clone()).ok())
                        .unwrap_or_default();
                }
            }
            "approval" => {
                t.quorum = quorum(v.get("quorum"));
                if let Some(opts) = count.get("options").and_then(|o| o.as_array()) {
                    t.approvals = opts
                        .iter()
                        .map(|o| {
                            (
                                o.get("option")
                                    .and_then(|x| x.as_str())
                                    .unwrap_or("")
                                    .to_owned(),
                                n(o, "approvals"),
                            )
                        })
                        .collect();
                }
                let winners: Vec<String> = count
                    .get("winners")
                    .and_then(|w| serde_json::from_value(w.clone()).ok())
                    .unwrap_or_default();
                t.lines.push((tr.t("gov-tally-winner"), winners.join(", ")));
            }
            "time_poll" => {
                if let Some(slots) = count.get("slots").and_then(|o| o.as_array()) {
                    t.slots = slots
                        .iter()
                        .map(|s| {
                            (
                                s.get("slot")
                                    .and_then(|x| x.as_str())
                                    .unwrap_or("")
                                    .to_owned(),
                                n(s, "yes"),
                                n(s, "if_need_be"),
                                n(s, "no"),
                            )
                        })
                        .collect();
                }
            }
            _ => {}
        }
        t
    }

    /// The matrix cell: how many prefer row to column.
    pub fn cell(&self, row: &usize, col: &usize) -> String {
        if row == col {
            "—".into()
        } else {
            self.pairwise
                .get(*row)
                .and_then(|r| r.get(*col))
                .map(|c| c.to_string())
                .unwrap_or_default()
        }
    }
}

#[derive(Template)]
#[template(path = "governance/proposal.html")]
struct ShowPage {
    l: Layout,
    id: i64,
    title: String,
    text: String,
    body_name: String,
    body_id: i64,
    author: String,
    stage: String,
    stage_kind: String,
    method: String,
    options: Vec<String>,
    /// Label, date.
    dates: Vec<(String, String)>,
    frozen_hash: Option<String>,
    current_hash: String,
    electorate: usize,
    participation: usize,
    may_edit: bool,
    may_withdraw: bool,
    may_start_discussion: bool,
    may_comment: bool,
    may_roll_back: bool,
    may_retry_apply: bool,
    may_appeal: bool,
    may_settle_appeal: bool,
    /// The appeal lodged, in words: who, when, why, and its settlement.
    appeal: Option<AppealLines>,
    edit_title: String,
    edit_text: String,
    edit_options: String,
    comments: Vec<CommentRow>,
    comment: String,
    preview: Option<PreviewView>,
    action_error: Option<String>,
    voting: bool,
    ballot: Option<BallotForm>,
    /// Voter, ballot in words, for each voter the person speaks for.
    mine: Vec<(String, Option<String>)>,
    secret: bool,
    /// Voter, ballot in words, when.
    ballots: Vec<(String, String, String)>,
    tally: Option<TallyView>,
    outcome: Option<String>,
    decisions: Vec<DecisionRow>,
    top_errors: FormErrors,
    edit_errors: FormErrors,
    comment_errors: FormErrors,
    ballot_errors: FormErrors,
}

impl ShowPage {
    fn participation_text(&self) -> String {
        self.l.tr.t2(
            "gov-participation",
            ("n", self.participation as u64),
            ("of", self.electorate as u64),
        )
    }
    fn your_ballot(&self, voter: &str, ballot: &str) -> String {
        self.l
            .tr
            .t2("gov-your-ballot", ("voter", voter), ("ballot", ballot))
    }
    fn quorum_text(&self, q: &(u64, u64, bool)) -> String {
        let id = if q.2 {
            "gov-quorum-met"
        } else {
            "gov-quorum-missed"
        };
        self.l.tr.t2(id, ("required", q.0), ("participating", q.1))
    }
}

/// Why carrying out a decision failed, as stored (`code` or
/// `code: detail`), in the reader's language: a governance wording of the
/// code where there is one, else the code's general message.
fn failure_words(tr: &crate::i18n::Tr, stored: &str) -> String {
    let (code, detail) = stored.split_once(": ").unwrap_or((stored, ""));
    let slug = code.replace('_', "-");
    let id = [format!("gov-failure-{slug}"), format!("error-{slug}")]
        .into_iter()
        .find(|id| tr.has(id));
    match (id, detail.is_empty()) {
        (Some(id), true) => tr.t(&id),
        (Some(id), false) => format!("{} ({detail})", tr.t(&id)),
        (None, _) => stored.to_owned(),
    }
}

/// What the page shows besides the proposal, after a form.
#[derive(Default)]
pub struct Shown {
    top: FormErrors,
    edit: Option<(FormErrors, String, String, String)>,
    comment: Option<(FormErrors, String)>,
    ballot: Option<(FormErrors, FormData)>,
    status: u16,
}

fn show_view(s: &Signed, v: ProposalView, shown: Shown) -> Response {
    let tr = &s.tr;
    let r = &v.record;
    let dates: Vec<(String, String)> = [
        ("gov-date-created", Some(r.created_at)),
        ("gov-date-discussion-ends", v.discussion_ends_at),
        ("gov-date-vote-opens", v.vote_opens_at),
        ("gov-date-vote-closes", v.vote_closes_at),
        ("gov-date-applicable", v.applicable_at),
    ]
    .into_iter()
    .filter_map(|(id, ts)| ts.map(|ts| (tr.t(id), tr.datetime(ts))))
    .collect();
    let voting = v.stage == StageKind::Voting;
    let options = r.spec.options.clone();
    let ballot = (voting && !v.my_voters.is_empty()).then(|| {
        let first = &v.my_voters[0];
        let mut b = BallotForm::new(
            format!("/governance/proposals/{}/ballot", r.id),
            r.spec.method,
            &options,
            &v.current_text_hash,
            &tr.t("gov-status-quo"),
        );
        b = match &shown.ballot {
            Some((_, form)) => {
                let typed = ballot::parse(r.spec.method, &options, form).ok();
                let mut b = b.with(typed.as_ref());
                b.choice = form.get("choice").to_owned();
                b.reason = form.get("reason").to_owned();
                b.voter = form.get("voter").to_owned();
                b
            }
            None => b.with(first.ballot.as_ref()),
        };
        if v.my_voters.len() > 1 {
            b.voters = v
                .my_voters
                .iter()
                .map(|c| VoterOpt::of(c.voter, &c.label))
                .collect();
        }
        if b.voter.is_empty() {
            b.voter = first.voter.key();
        }
        b
    });
    let (edit_errors, edit_title, edit_text, edit_options) = shown.edit.unwrap_or_else(|| {
        (
            FormErrors::default(),
            r.proposal.title().to_owned(),
            r.proposal.body().to_owned(),
            options.join("\n"),
        )
    });
    let (comment_errors, comment) = shown.comment.unwrap_or_default();
    let mut l = Layout::signed(s, "governance", "gov-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = r.proposal.title().to_owned();
    let page = ShowPage {
        id: r.id.0,
        title: r.proposal.title().to_owned(),
        text: r.proposal.body().to_owned(),
        body_name: r.body_name.clone(),
        body_id: r.body_id.0,
        author: r.author_label.clone(),
        stage: word(tr, "gov-stage", &v.stage),
        stage_kind: slug(&v.stage),
        method: word(tr, "gov-method", &r.spec.method),
        options,
        dates,
        frozen_hash: frozen_hash(r),
        current_hash: v.current_text_hash.clone(),
        electorate: v.electorate,
        participation: v.participation,
        may_edit: v.may_edit,
        may_withdraw: v.may_withdraw,
        may_start_discussion: v.may_start_discussion,
        may_comment: v.may_comment,
        may_roll_back: v.may_roll_back,
        may_retry_apply: v.may_retry_apply,
        may_appeal: v.may_appeal,
        may_settle_appeal: v.may_settle_appeal,
        appeal: v.record.appeal.as_ref().map(|a| AppealLines {
            by: a.by.clone(),
            at: tr.datetime(a.at),
            reason: a.reason.as_str().to_owned(),
            settled: a.settled.as_ref().map(|s| {
                tr.t(if s.upheld {
                    "gov-appeal-upheld"
                } else {
                    "gov-appeal-dismissed"
                })
            }),
        }),
        edit_title,
        edit_text,
        edit_options,
        comments: v
            .comments
            .iter()
            .map(|c| CommentRow {
                author: c.author_label.clone(),
                at: tr.datetime(c.created_at),
                body: c.body.clone(),
            })
            .collect(),
        comment,
        preview: v.preview.as_ref().map(|p| PreviewView::of(tr, p)),
        action_error: r.action_error.as_deref().map(|e| failure_words(tr, e)),
        voting,
        ballot,
        mine: v
            .my_voters
            .iter()
            .map(|c| {
                (
                    c.label.clone(),
                    c.ballot.as_ref().map(|b| ballot::in_words(tr, b)),
                )
            })
            .collect(),
        secret: r.visibility == BallotVisibility::Secret,
        ballots: v
            .ballots
            .iter()
            .map(|b| {
                (
                    b.label.clone(),
                    ballot::in_words(tr, &b.content),
                    b.cast_at.map(|t| tr.datetime(t)).unwrap_or_default(),
                )
            })
            .collect(),
        tally: r.tally.as_ref().map(|t| TallyView::of(tr, t)),
        outcome: r.outcome.as_deref().map(|o| outcome_text(tr, o)),
        decisions: v.decisions.iter().map(|d| DecisionRow::of(tr, d)).collect(),
        top_errors: shown.top,
        edit_errors,
        comment_errors,
        ballot_errors: shown.ballot.map(|(e, _)| e).unwrap_or_default(),
        l,
    };
    render(
        s.tr,
        if shown.status == 0 { 200 } else { shown.status },
        &page,
    )
}

async fn page(state: &AppState, s: &Signed, id: i64, shown: Shown) -> Response {
    match state
        .app
        .governance()
        .proposal(&s.session.actor, ProposalId(id))
        .await
    {
        Ok(v) => show_view(s, v, shown),
        Err(e) => s.error(e).into_response(),
    }
}

/// GET /governance/proposals/{id}
pub async fn show(State(state): State<AppState>, s: Signed, Path(raw): Path<String>) -> Response {
    match parse_id(s.tr, &raw) {
        Ok(id) => page(&state, &s, id, Shown::default()).await,
        Err(e) => e.into_response(),
    }
}

/// An error of one of the page's forms, told next to it.
fn errors_of(tr: &Tr, e: AppError) -> FormOutcome {
    mapped_outcome(tr, e, field)
}

pub struct AppealLines {
    pub by: String,
    pub at: String,
    pub reason: String,
    /// "Upheld: the decision was set aside" or "Dismissed…", once settled.
    pub settled: Option<String>,
}

/// Runs a button of the page; on success back to the page with a flash.
async fn button<F, Fut>(state: &AppState, raw: &str, f: &CsrfForm, flash: &str, run: F) -> Response
where
    F: FnOnce(ProposalId) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let s = &f.signed;
    let id = match parse_id(s.tr, raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match run(ProposalId(id)).await {
        Ok(()) => see_other(&format!("/governance/proposals/{id}?flash={flash}")),
        Err(e) => match errors_of(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                let shown = Shown {
                    top: crate::ui::domain::flatten(errors),
                    status,
                    ..Shown::default()
                };
                page(state, s, id, shown).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// POST /governance/proposals/{id}/discussion
pub async fn start_discussion(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let gov = state.app.governance();
    button(
        &state,
        &raw,
        &f,
        "gov-discussion-started",
        |id| async move { gov.start_discussion(&actor, id).await.map(|_| ()) },
    )
    .await
}

/// POST /governance/proposals/{id}/withdraw
pub async fn withdraw(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let gov = state.app.governance();
    button(&state, &raw, &f, "gov-withdrawn", |id| async move {
        gov.withdraw(&actor, id).await.map(|_| ())
    })
    .await
}

/// POST /governance/proposals/{id}/roll-back
pub async fn roll_back(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let gov = state.app.governance();
    button(&state, &raw, &f, "gov-rolled-back", |id| async move {
        gov.roll_back(&actor, id).await.map(|_| ())
    })
    .await
}

/// POST /governance/proposals/{id}/retry
pub async fn retry_apply(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let gov = state.app.governance();
    button(&state, &raw, &f, "gov-applied", |id| async move {
        gov.retry_apply(&actor, id).await.map(|_| ())
    })
    .await
}

/// POST /governance/proposals/{id}/appeal
pub async fn appeal(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let reason = f.form.get("reason").to_owned();
    let gov = state.app.governance();
    button(&state, &raw, &f, "gov-appealed", |id| async move {
        gov.appeal(&actor, id, &reason).await.map(|_| ())
    })
    .await
}

/// POST /governance/proposals/{id}/appeal/decision
pub async fn settle_appeal(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let uphold = f.form.get("uphold") == "1";
    let gov = state.app.governance();
    button(&state, &raw, &f, "gov-appeal-settled", |id| async move {
        gov.settle_appeal(&actor, id, uphold).await.map(|_| ())
    })
    .await
}

/// POST /governance/proposals/{id}/edit
pub async fn edit(State(state): State<AppState>, Path(raw): Path<String>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let title = f.form.get("title").trim().to_owned();
    let text = f.form.get("text").to_owned();
    let options = f.form.get("options").to_owned();
    let opts = f
        .form
        .0
        .iter()
        .any(|(k, _)| k == "options")
        .then(|| lines(&options));
    match state
        .app
        .governance()
        .edit_proposal(&s.session.actor, ProposalId(id), &title, &text, opts)
        .await
    {
        Ok(_) => see_other(&format!(
            "/governance/proposals/{id}?flash=gov-proposal-saved"
        )),
        Err(e) => match errors_of(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                let shown = Shown {
                    edit: Some((errors, title, text, options)),
                    status,
                    ..Shown::default()
                };
                page(&state, s, id, shown).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// POST /governance/proposals/{id}/comments
pub async fn comment(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let body = f.form.get("comment").to_owned();
    match state
        .app
        .governance()
        .comment(&s.session.actor, ProposalId(id), &body)
        .await
    {
        Ok(_) => see_other(&format!(
            "/governance/proposals/{id}?flash=gov-commented#comments"
        )),
        Err(e) => match errors_of(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                let shown = Shown {
                    comment: Some((errors, body)),
                    status,
                    ..Shown::default()
                };
                page(&state, s, id, shown).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// POST /governance/proposals/{id}/ballot
pub async fn cast(State(state): State<AppState>, Path(raw): Path<String>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let gov = state.app.governance();
    let view = match gov.proposal(&s.session.actor, ProposalId(id)).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let spec = &view.record.spec;
    // Someone who speaks for no voter (or a vote not open) is told why
    // before anything about the form: the app refuses the voter, not a
    // ballot, and stores nothing.
    let parsed = if view.my_voters.is_empty() {
        Ok(ballot::placeholder(spec.method))
    } else {
        ballot::parse(spec.method, &spec.options, &f.form)
    };
    let result = match parsed {
        Ok(content) => {
            let voter = match f.form.get("voter").trim() {
                "" => None,
                raw => match Voter::parse(raw) {
                    Some(v) => Some(v),
                    None => {
                        return failed_ballot(
                            &state,
                            s,
                            id,
                            FormErrors::general(s.tr.t("error-not-in-electorate")),
                            403,
                            f.form.clone(),
                        )
                        .await;
                    }
                },
            };
            gov.cast_ballot(
                &s.session.actor,
                ProposalId(id),
                BallotInput {
                    text_hash: f.form.get("text_hash").trim().to_owned(),
                    content,
                    voter,
                },
            )
            .await
        }
        Err(problem) => {
            return failed_ballot(
                &state,
                s,
                id,
                FormErrors::general(s.tr.t(problem)),
                422,
                f.form.clone(),
            )
            .await;
        }
    };
    match result {
        Ok(()) => see_other(&format!(
            "/governance/proposals/{id}?flash=gov-ballot-cast#ballot"
        )),
        Err(e) => match errors_of(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                failed_ballot(
                    &state,
                    s,
                    id,
                    crate::ui::domain::flatten(errors),
                    status,
                    f.form.clone(),
                )
                .await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

async fn failed_ballot(
    state: &AppState,
    s: &Signed,
    id: i64,
    errors: FormErrors,
    status: u16,
    form: FormData,
) -> Response {
    let shown = Shown {
        ballot: Some((errors, form)),
        status,
        ..Shown::default()
    };
    page(state, s, id, shown).await
}
