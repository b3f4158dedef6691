//! A list's people: its subscribers a page at a time, pasting addresses
//! to subscribe or unsubscribe many at once, the CSV export, and its
//! owners and moderators. They live in Mailman: when it does not answer,
//! the page says so and keeps what was typed.

use super::{ListRow, live_problem};
use crate::AppState;
use crate::context::Signed;
use crate::error::{PanelError, line_message};
use crate::form::CsrfForm;
use crate::ui::sftp::{account_names, accounts_of, mapped_outcome};
use crate::ui::{FormErrors, FormOutcome, Layout, Pager, parse_id, query_value, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::list_members::BulkOutcome;
use konbit_app::list_server::{StaffMember, StaffRole, Subscriber};
use konbit_core::model::MailingList;
use konbit_core::page::Page;

/// Subscribers shown per page.
const PER_PAGE: u32 = 50;

/// Which form of the page an answer is about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Top,
    Subscribe,
    Unsubscribe,
    Staff,
}

/// What a paste did, in the person's words.
pub struct BulkView {
    pub summary: String,
    /// `address: reason` for each address the list server refused.
    pub failed: Vec<String>,
    /// "Line 3: …" for each line that is not an address.
    pub bad_lines: Vec<String>,
}

/// One owner or moderator.
pub struct StaffRow {
    pub address: String,
    pub role: &'static str,
    pub role_label: String,
}

#[derive(Template)]
#[template(path = "list/members.html")]
struct MembersPage {
    l: Layout,
    list: ListRow,
    /// Why Mailman's side cannot be shown, in words.
    problem: Option<String>,
    subscribers: Vec<Subscriber>,
    total: u64,
    pager: Pager,
    staff: Vec<StaffRow>,
    part: Part,
    errors: FormErrors,
    outcome: Option<BulkView>,
    subscribe_text: String,
    unsubscribe_text: String,
    staff_address: String,
    staff_role: String,
}

impl MembersPage {
    fn errors_on(&self, part: Part) -> bool {
        self.part == part && self.errors.any()
    }

    fn outcome_on(&self, part: Part) -> Option<&BulkView> {
        self.outcome.as_ref().filter(|_| self.part == part)
    }

    fn total_line(&self) -> String {
        self.l.tr.t1(
            "list-subscribers-total",
            "count",
            self.l.tr.number(self.total),
        )
    }

    fn remove_label(&self, m: &StaffRow) -> String {
        self.l.tr.t2(
            "list-staff-remove-named",
            ("address", m.address.clone()),
            ("role", m.role_label.clone()),
        )
    }
}

/// How the page is shown besides the list.
struct Shown {
    status: u16,
    part: Part,
    errors: FormErrors,
    outcome: Option<BulkView>,
    subscribe_text: String,
    unsubscribe_text: String,
    staff_address: String,
    staff_role: String,
}

impl Shown {
    fn plain() -> Self {
        Self {
            status: 200,
            part: Part::Top,
            errors: FormErrors::default(),
            outcome: None,
            subscribe_text: String::new(),
            unsubscribe_text: String::new(),
            staff_address: String::new(),
            staff_role: StaffRole::Moderator.as_str().to_owned(),
        }
    }
}

fn role_label(tr: &crate::i18n::Tr, role: StaffRole) -> String {
    tr.t(&format!("list-role-{}", role.as_str()))
}

async fn render_page(
    state: &AppState,
    s: &Signed,
    list: MailingList,
    mut shown: Shown,
) -> Response {
    let actor = &s.session.actor;
    let tr = &s.tr;
    let id = list.id.0;
    let page_no = query_value(&s.path, "page")
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    let lists = state.app.lists();
    let mut problem = None;
    let (subscribers, total) = match lists.subscribers(actor, id, page_no, PER_PAGE).await {
        Ok((_, p)) => (p.subscribers, p.total),
        Err(e) => match live_problem(tr, &e) {
            Some(m) => {
                problem = Some(m);
                (Vec::new(), 0)
            }
            None => return s.error(e).into_response(),
        },
    };
    let staff: Vec<StaffMember> = if problem.is_some() {
        Vec::new()
    } else {
        match lists.staff(actor, id).await {
            Ok(m) => m,
            Err(e) => match live_problem(tr, &e) {
                Some(m) => {
                    problem = Some(m);
                    Vec::new()
                }
                None => return s.error(e).into_response(),
            },
        }
    };
    // A form's own trouble with Mailman is said once, at the top.
    if let Some(g) = shown.errors.general.clone()
        && problem.as_deref() == Some(g.as_str())
    {
        shown.errors.general = None;
    }
    let names = match accounts_of(state, s).await {
        Ok(a) => account_names(&a),
        Err(e) => return s.error(e).into_response(),
    };
    let pager = Pager::new(
        tr,
        &format!("/lists/{id}/members"),
        "",
        &Page::<()> {
            items: Vec::new(),
            page: page_no,
            per_page: PER_PAGE,
            total,
        },
    );
    let row = ListRow::of(tr, &list, &names);
    let mut l = Layout::signed(s, "lists", "lists-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = tr.t1("list-members-title", "address", row.address.clone());
    render(
        s.tr,
        shown.status,
        &MembersPage {
            l,
            list: row,
            problem,
            subscribers,
            total,
            pager,
            staff: staff
                .into_iter()
                .map(|m| StaffRow {
                    address: m.address,
                    role: m.role.as_str(),
                    role_label: role_label(tr, m.role),
                })
                .collect(),
            part: shown.part,
            errors: shown.errors,
            outcome: shown.outcome,
            subscribe_text: shown.subscribe_text,
            unsubscribe_text: shown.unsubscribe_text,
            staff_address: shown.staff_address,
            staff_role: shown.staff_role,
        },
    )
}

async fn page(state: &AppState, s: &Signed, id: i64, shown: Shown) -> Response {
    match state.app.lists().get(&s.session.actor, id).await {
        Ok(list) => render_page(state, s, list, shown).await,
        Err(e) => s.error(e).into_response(),
    }
}

/// GET /lists/{id}/members
pub async fn members(
    State(state): State<AppState>,
    s: Signed,
    Path(raw): Path<String>,
) -> Response {
    match parse_id(s.tr, &raw) {
        Ok(id) => page(&state, &s, id, Shown::plain()).await,
        Err(e) => e.into_response(),
    }
}

/// An error of one of the page's forms, said above that form; Mailman's
/// troubles in words, anything else as an error page.
fn form_errors(
    s: &Signed,
    e: AppError,
    key: &'static str,
) -> Result<(FormErrors, u16), PanelError> {
    let status = e.code().http_status();
    if let Some(m) = live_problem(&s.tr, &e) {
        return Ok((FormErrors::general(m), status));
    }
    let map: crate::ui::sftp::FieldMap = match key {
        "subscribe" => |f| match f {
            "addresses" => ("subscribe_addresses", "addresses"),
            other => (other, other),
        },
        "unsubscribe" => |f| match f {
            "addresses" => ("unsubscribe_addresses", "addresses"),
            other => (other, other),
        },
        _ => |f| match f {
            "address" => ("staff_address", "address"),
            other => (other, other),
        },
    };
    match mapped_outcome(&s.tr, e, map) {
        FormOutcome::Show(errors, status) => Ok((errors, status)),
        FormOutcome::Page(p) => Err(p),
    }
}

/// What a paste did, and the lines to give back to the textarea: the bad
/// ones and the refused ones, so nothing typed is lost.
fn bulk_view(s: &Signed, pasted: &str, out: &BulkOutcome, done_id: &str) -> (BulkView, String) {
    let tr = &s.tr;
    let lines: Vec<&str> = pasted.lines().collect();
    let mut keep: Vec<String> = out
        .bad_lines
        .iter()
        .filter_map(|b| lines.get(b.line.saturating_sub(1)).map(|l| l.to_string()))
        .collect();
    keep.extend(out.failed.iter().map(|(a, _)| a.clone()));
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("done", out.done.len());
    args.set("unchanged", out.unchanged.len());
    args.set("failed", out.failed.len() + out.bad_lines.len());
    let view = BulkView {
        summary: tr.format(done_id, Some(&args)),
        failed: out
            .failed
            .iter()
            .map(|(a, r)| refused_line(tr, a, r))
            .collect(),
        bad_lines: out
            .bad_lines
            .iter()
            .map(|b| line_message(tr, b.line, &b.error))
            .collect(),
    };
    (view, keep.join("\n"))
}

/// Why the list server did not take an address, in the person's words
/// when it is one of the app's known reasons.
fn refused_line(tr: &crate::i18n::Tr, address: &str, reason: &str) -> String {
    let id = if reason == "the list's own address" {
        "list-bulk-own-address"
    } else if reason.starts_with("the list server does not answer") {
        "list-bulk-unreachable"
    } else {
        return tr.t2(
            "list-bulk-refused",
            ("address", address.to_owned()),
            ("reason", reason.to_owned()),
        );
    };
    tr.t1(id, "address", address.to_owned())
}

/// POST /lists/{id}/members/subscribe and …/unsubscribe.
async fn paste(state: &AppState, raw: &str, f: &CsrfForm, subscribe: bool) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let actor = &s.session.actor;
    let lists = state.app.lists();
    // Not found first: another account's list says nothing of its form.
    if let Err(e) = lists.get(actor, id).await {
        return s.error(e).into_response();
    }
    let pasted = f.form.get("addresses").to_owned();
    let (part, key, done_id) = if subscribe {
        (Part::Subscribe, "subscribe", "list-bulk-subscribed")
    } else {
        (Part::Unsubscribe, "unsubscribe", "list-bulk-unsubscribed")
    };
    let result = if subscribe {
        lists.subscribe_pasted(actor, id, &pasted).await
    } else {
        lists.unsubscribe_pasted(actor, id, &pasted).await
    };
    let mut shown = Shown {
        part,
        ..Shown::plain()
    };
    let keep = match result {
        Ok(out) => {
            let (view, keep) = bulk_view(s, &pasted, &out, done_id);
            if !out.failed.is_empty() || !out.bad_lines.is_empty() {
                shown.status = 422;
            }
            shown.outcome = Some(view);
            keep
        }
        Err(e) => match form_errors(s, e, key) {
            Ok((errors, status)) => {
                shown.errors = errors;
                shown.status = status;
                pasted
            }
            Err(p) => return p.into_response(),
        },
    };
    if subscribe {
        shown.subscribe_text = keep;
    } else {
        shown.unsubscribe_text = keep;
    }
    page(state, s, id, shown).await
}

/// POST /lists/{id}/members/subscribe
pub async fn subscribe(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    paste(&state, &raw, &f, true).await
}

/// POST /lists/{id}/members/unsubscribe
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    paste(&state, &raw, &f, false).await
}

fn parse_role(raw: &str) -> Option<StaffRole> {
    match raw.trim() {
        "owner" => Some(StaffRole::Owner),
        "moderator" => Some(StaffRole::Moderator),
        _ => None,
    }
}

/// POST /lists/{id}/staff and …/staff/remove.
async fn staff_change(state: &AppState, raw: &str, f: &CsrfForm, add: bool) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let actor = &s.session.actor;
    let lists = state.app.lists();
    if let Err(e) = lists.get(actor, id).await {
        return s.error(e).into_response();
    }
    let address = f.form.get("address").trim().to_owned();
    let role_raw = f.form.get("role").trim().to_owned();
    let result = match parse_role(&role_raw) {
        None => Err(AppError::invalid(konbit_core::FieldError::new(
            "role",
            konbit_core::Rule::UnknownChoice,
        ))),
        Some(role) if add => lists.add_staff(actor, id, role, &address).await,
        Some(role) => lists.remove_staff(actor, id, role, &address).await,
    };
    let flash = if add {
        "list-staff-added"
    } else {
        "list-staff-removed"
    };
    match result {
        Ok(()) => see_other(&format!("/lists/{id}/members?flash={flash}")),
        Err(e) => match form_errors(s, e, "staff") {
            Ok((errors, status)) => {
                let shown = Shown {
                    status,
                    part: Part::Staff,
                    errors,
                    staff_address: if add { address } else { String::new() },
                    staff_role: role_raw,
                    ..Shown::plain()
                };
                page(state, s, id, shown).await
            }
            Err(p) => p.into_response(),
        },
    }
}

/// POST /lists/{id}/staff: a new owner or moderator.
pub async fn add_staff(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    staff_change(&state, &raw, &f, true).await
}

/// POST /lists/{id}/staff/remove
pub async fn remove_staff(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    staff_change(&state, &raw, &f, false).await
}

/// GET /lists/{id}/members.csv: every subscriber, for a spreadsheet.
pub async fn export_csv(
    State(state): State<AppState>,
    s: Signed,
    Path(raw): Path<String>,
) -> Response {
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let (list, csv) = match state.app.lists().export_csv(&s.session.actor, id).await {
        Ok(v) => v,
        Err(e) => match live_problem(&s.tr, &e) {
            // The members' page says what is wrong, in words.
            Some(_) => {
                let shown = Shown {
                    status: e.code().http_status(),
                    ..Shown::plain()
                };
                return page(&state, &s, id, shown).await;
            }
            None => return s.error(e).into_response(),
        },
    };
    let mut res = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv,
    )
        .into_response();
    // The list's id is a checked list name and an ASCII domain.
    if let Ok(h) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-subscribers.csv\"",
        list.list_id()
    )) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, h);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
