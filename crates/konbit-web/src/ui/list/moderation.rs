//! A list's moderation queue: the messages held for a moderator (approve,
//! reject with a reason, discard), one held message's text, and the
//! subscription requests waiting for approval. They live in Mailman: when
//! it does not answer, the page says so in words.

use super::{ListRow, live_problem};
use crate::AppState;
use crate::context::Signed;
use crate::error::PanelError;
use crate::form::CsrfForm;
use crate::ui::domain::flatten;
use crate::ui::sftp::{account_names, accounts_of, mapped_outcome};
use crate::ui::{FormErrors, FormOutcome, Layout, parse_id, query_value, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::list_server::{
    HeldPost, HeldPostText, Moderation, PendingSubscription, RequestDecision,
};
use konbit_core::ErrorCode;
use konbit_core::model::MailingList;

/// A held message as the queue shows it.
pub struct HeldRow {
    pub id: u64,
    pub sender: String,
    pub subject: String,
    pub reason: String,
    pub held_at: String,
}

/// A subscription request as the queue shows it.
pub struct RequestRow {
    pub token: String,
    pub address: String,
    pub name: String,
    pub since: String,
}

/// Mailman's `2026-03-01T10:20:30[.123456]` (UTC) in the person's way of
/// writing dates; as it came when it is not that.
fn when(tr: &crate::i18n::Tr, raw: &str) -> String {
    parse_utc(raw).map_or_else(|| raw.to_owned(), |ts| tr.datetime(ts))
}

fn parse_utc(raw: &str) -> Option<i64> {
    let (date, time) = raw.trim().split_once('T')?;
    let time = time.split('.').next()?.trim_end_matches('Z');
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i32>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<u8>().ok());
    let (h, mi, s) = (t.next()??, t.next()??, t.next()??);
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = time::Date::from_calendar_date(y, month, u8::try_from(day).ok()?).ok()?;
    let time = time::Time::from_hms(h, mi, s).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Mailman's usual reasons for holding a message, in the person's words;
/// any other as Mailman wrote it.
fn reason_text(tr: &crate::i18n::Tr, raw: &str) -> String {
    let id = match raw.trim().trim_end_matches('.') {
        "The message is not from a list member" => "list-held-why-nonmember",
        "The message comes from a moderated member" => "list-held-why-moderated-member",
        "Emergency moderation is in effect for this list" => "list-held-why-emergency",
        "Message has implicit destination" => "list-held-why-implicit-destination",
        "Message has no subject" => "list-held-why-no-subject",
        _ => return raw.to_owned(),
    };
    tr.t(id)
}

fn held_row(tr: &crate::i18n::Tr, h: HeldPost) -> HeldRow {
    HeldRow {
        id: h.id,
        held_at: when(tr, &h.held_at),
        reason: reason_text(tr, &h.reason),
        sender: h.sender,
        subject: h.subject,
    }
}

#[derive(Template)]
#[template(path = "list/moderation.html")]
struct QueuePage {
    l: Layout,
    list: ListRow,
    problem: Option<String>,
    held: Vec<HeldRow>,
    requests: Vec<RequestRow>,
    errors: FormErrors,
}

impl QueuePage {
    fn t_request(&self, id: &str, r: &RequestRow) -> String {
        self.l.tr.t1(id, "address", r.address.clone())
    }
}

async fn row(state: &AppState, s: &Signed, list: &MailingList) -> Result<ListRow, Response> {
    match accounts_of(state, s).await {
        Ok(a) => Ok(ListRow::of(&s.tr, list, &account_names(&a))),
        Err(e) => Err(s.error(e).into_response()),
    }
}

async fn queue_page(
    state: &AppState,
    s: &Signed,
    id: i64,
    mut errors: FormErrors,
    status: u16,
) -> Response {
    let actor = &s.session.actor;
    let tr = &s.tr;
    let lists = state.app.lists();
    let list = match lists.get(actor, id).await {
        Ok(l) => l,
        Err(e) => return s.error(e).into_response(),
    };
    let mut problem = None;
    let held = match lists.held(actor, id).await {
        Ok((_, held)) => held.into_iter().map(|h| held_row(tr, h)).collect(),
        Err(e) => match live_problem(tr, &e) {
            Some(m) => {
                problem = Some(m);
                Vec::new()
            }
            None => return s.error(e).into_response(),
        },
    };
    let requests: Vec<PendingSubscription> = if problem.is_some() {
        Vec::new()
    } else {
        match lists.pending(actor, id).await {
            Ok(p) => p,
            Err(e) => match live_problem(tr, &e) {
                Some(m) => {
                    problem = Some(m);
                    Vec::new()
                }
                None => return s.error(e).into_response(),
            },
        }
    };
    if errors.general.is_some() && errors.general == problem {
        errors.general = None;
    }
    let list = match row(state, s, &list).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    let mut l = Layout::signed(s, "lists", "lists-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = tr.t1("list-moderation-title", "address", list.address.clone());
    render(
        s.tr,
        status,
        &QueuePage {
            l,
            list,
            problem,
            held,
            requests: requests
                .into_iter()
                .map(|r| RequestRow {
                    since: when(tr, &r.since),
                    token: r.token,
                    address: r.address,
                    name: r.display_name,
                })
                .collect(),
            errors,
        },
    )
}

/// GET /lists/{id}/moderation
pub async fn moderation(
    State(state): State<AppState>,
    s: Signed,
    Path(raw): Path<String>,
) -> Response {
    match parse_id(s.tr, &raw) {
        Ok(id) => queue_page(&state, &s, id, FormErrors::default(), 200).await,
        Err(e) => e.into_response(),
    }
}

#[derive(Template)]
#[template(path = "list/held.html")]
struct HeldPage {
    l: Layout,
    list: ListRow,
    post: HeldRow,
    text: String,
}

fn ids(s: &Signed, raw: &str, raw_request: &str) -> Result<(i64, u64), PanelError> {
    match (raw.parse::<i64>(), raw_request.parse::<u64>()) {
        (Ok(id), Ok(request)) => Ok((id, request)),
        _ => Err(PanelError::new(s.tr, ErrorCode::NotFound)),
    }
}

/// GET /lists/{id}/held/{request}: one held message's text, to decide.
pub async fn held_post(
    State(state): State<AppState>,
    s: Signed,
    Path((raw, raw_request)): Path<(String, String)>,
) -> Response {
    let (id, request) = match ids(&s, &raw, &raw_request) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let lists = state.app.lists();
    let list = match lists.get(&s.session.actor, id).await {
        Ok(l) => l,
        Err(e) => return s.error(e).into_response(),
    };
    let HeldPostText { post, text } = match lists.held_post(&s.session.actor, id, request).await {
        Ok(p) => p,
        Err(e) => {
            return match live_problem(&s.tr, &e) {
                // The queue's page says what is wrong, in words.
                Some(m) => {
                    let status = e.code().http_status();
                    queue_page(&state, &s, id, FormErrors::general(m), status).await
                }
                None => s.error(e).into_response(),
            };
        }
    };
    let list = match row(&state, &s, &list).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    let post = held_row(&s.tr, post);
    let mut l = Layout::signed(&s, "lists", "lists-title");
    l.title = if post.subject.is_empty() {
        s.tr.t("list-held-no-subject")
    } else {
        post.subject.clone()
    };
    render(
        s.tr,
        200,
        &HeldPage {
            l,
            list,
            post,
            text,
        },
    )
}

/// A reason typed for a rejection; none when left empty.
fn reason(f: &CsrfForm) -> Option<String> {
    Some(f.form.get("reason").trim().to_owned()).filter(|r| !r.is_empty())
}

/// Shows a decision's trouble above the queue: Mailman's in words, a bad
/// reason next to nothing (the queue has a reason box per row).
async fn decision_failed(state: &AppState, s: &Signed, id: i64, e: AppError) -> Response {
    let status = e.code().http_status();
    if let Some(m) = live_problem(&s.tr, &e) {
        return queue_page(state, s, id, FormErrors::general(m), status).await;
    }
    match mapped_outcome(&s.tr, e, |f| (f, f)) {
        FormOutcome::Show(errors, status) => {
            queue_page(state, s, id, flatten(errors), status).await
        }
        FormOutcome::Page(p) => p.into_response(),
    }
}

/// POST /lists/{id}/held/{request}: approve, reject (with a reason) or
/// discard a held message.
pub async fn moderate(
    State(state): State<AppState>,
    Path((raw, raw_request)): Path<(String, String)>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let (id, request) = match ids(s, &raw, &raw_request) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let lists = state.app.lists();
    if let Err(e) = lists.get(&s.session.actor, id).await {
        return s.error(e).into_response();
    }
    let decision = match f.form.get("decision") {
        "approve" => Moderation::Approve,
        "reject" => Moderation::Reject { reason: reason(&f) },
        "discard" => Moderation::Discard,
        _ => return PanelError::new(s.tr, ErrorCode::InvalidInput).into_response(),
    };
    let flash = match decision {
        Moderation::Approve => "list-held-approved",
        Moderation::Reject { .. } => "list-held-rejected",
        Moderation::Discard => "list-held-discarded",
    };
    match lists
        .moderate(&s.session.actor, id, request, decision)
        .await
    {
        Ok(()) => see_other(&format!("/lists/{id}/moderation?flash={flash}")),
        Err(e) => decision_failed(&state, s, id, e).await,
    }
}

/// POST /lists/{id}/requests: approve, reject or discard a subscription
/// request (its token in the form).
pub async fn decide_request(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let lists = state.app.lists();
    if let Err(e) = lists.get(&s.session.actor, id).await {
        return s.error(e).into_response();
    }
    let decision = match f.form.get("decision") {
        "approve" => RequestDecision::Approve,
        "reject" => RequestDecision::Reject { reason: reason(&f) },
        "discard" => RequestDecision::Discard,
        _ => return PanelError::new(s.tr, ErrorCode::InvalidInput).into_response(),
    };
    let flash = match decision {
        RequestDecision::Approve => "list-request-approved",
        RequestDecision::Reject { .. } => "list-request-rejected",
        RequestDecision::Discard => "list-request-discarded",
    };
    match lists
        .decide(&s.session.actor, id, f.form.get("token").trim(), decision)
        .await
    {
        Ok(()) => see_other(&format!("/lists/{id}/moderation?flash={flash}")),
        Err(e) => decision_failed(&state, s, id, e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailman_reasons_are_translated() {
        let fr = crate::i18n::Tr::new(konbit_core::model::Locale::Fr);
        assert_eq!(
            reason_text(&fr, "The message is not from a list member"),
            "L'expéditeur n'est pas inscrit à la liste"
        );
        assert_eq!(reason_text(&fr, "Something new"), "Something new");
        for locale in konbit_core::model::Locale::ALL {
            let tr = crate::i18n::Tr::new(locale);
            for why in [
                "nonmember",
                "moderated-member",
                "emergency",
                "implicit-destination",
                "no-subject",
            ] {
                assert!(tr.has(&format!("list-held-why-{why}")), "{locale:?} {why}");
            }
        }
    }

    #[test]
    fn mailman_times_are_read() {
        assert_eq!(parse_utc("1970-01-01T00:01:40"), Some(100));
        assert_eq!(parse_utc("2026-03-01T10:20:30.123456"), Some(1_772_360_430));
        for bad in ["", "yesterday", "2026-13-01T00:00:00", "2026-03-01"] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
