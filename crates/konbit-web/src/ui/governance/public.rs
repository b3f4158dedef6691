//! The governance pages anyone reads without signing in: the decision log
//! (newest first, with the head hash to check it against), one entry with
//! its full text and tally, the log as an Atom feed, and the one-time vote
//! link a voter gets by e-mail. The language is the visitor's (cookie or
//! browser), as on a list's public page.

use super::ballot::{self, BallotForm};
use super::proposal::DecisionRow;
use crate::AppState;
use crate::context::{Ctx, Signed, cookie};
use crate::error::PanelError;
use crate::form::FormData;
use crate::i18n::Tr;
use crate::ui::auth::{anonymous_layout, cookie_header};
use crate::ui::{FormErrors, Layout, parse_id, query_value, render};
use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::header::{self, SET_COOKIE};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::governance::VoteLinkView;
use konbit_core::ErrorCode;
use konbit_core::governance::decision_log::DecisionEntry;

/// How many entries a page of the log shows.
const PAGE: i64 = 25;

/// The signed-in layout for a person with a session, else the public one.
fn layout(ctx: &Ctx, title: String, csrf: Option<String>) -> Layout {
    let mut l = match &ctx.session {
        Some(session) => Layout::signed(
            &Signed {
                ctx: ctx.clone(),
                session: session.clone(),
            },
            "decisions",
            "gov-decisions-title",
        ),
        None => {
            let mut l = anonymous_layout(ctx, csrf.unwrap_or_default());
            l.nav = "decisions";
            l
        }
    };
    l.title = title;
    l
}

#[derive(Template)]
#[template(path = "governance/decisions.html")]
struct DecisionsPage {
    l: Layout,
    head: String,
    entries: Vec<DecisionRow>,
    next: Option<String>,
    first_page: bool,
}

/// GET /decisions (`?before=` pages back).
pub async fn decisions(State(state): State<AppState>, ctx: Ctx) -> Response {
    let before = query_value(&ctx.path, "before").and_then(|b| b.parse::<i64>().ok());
    let page = match state.app.governance().decisions(before, PAGE).await {
        Ok(p) => p,
        Err(e) => return ctx.error(e).into_response(),
    };
    let tr = &ctx.tr;
    render(
        ctx.tr,
        200,
        &DecisionsPage {
            l: layout(&ctx, tr.t("gov-decisions-title"), None),
            head: page.head,
            entries: page
                .entries
                .iter()
                .map(|d| DecisionRow::of(tr, d))
                .collect(),
            next: page.next_before.map(|b| format!("/decisions?before={b}")),
            first_page: before.is_none(),
        },
    )
}

#[derive(Template)]
#[template(path = "governance/decision.html")]
struct DecisionPage {
    l: Layout,
    row: DecisionRow,
    text: String,
    method: String,
    tally: Option<String>,
    detail: Option<String>,
    prev_hash: String,
    proposal_id: i64,
}

/// GET /decisions/{id}
pub async fn decision(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> Response {
    let id = match parse_id(ctx.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let d = match state.app.governance().decision(id).await {
        Ok(d) => d,
        Err(e) => return ctx.error(e).into_response(),
    };
    let tr = &ctx.tr;
    let tally = d.tally.as_deref().map(|t| {
        serde_json::from_str::<serde_json::Value>(t)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| t.to_owned())
    });
    let method = {
        let id = format!("gov-method-{}", d.method.replace('_', "-"));
        if tr.has(&id) {
            tr.t(&id)
        } else {
            d.method.clone()
        }
    };
    render(
        ctx.tr,
        200,
        &DecisionPage {
            l: layout(&ctx, d.title.clone(), None),
            row: DecisionRow::of(tr, &d),
            text: d.text.clone(),
            method,
            tally,
            detail: d.detail.clone(),
            prev_hash: d.prev_hash.clone(),
            proposal_id: d.proposal_id,
        },
    )
}

/// Text for XML content and attributes.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

fn atom(tr: &Tr, origin: &str, entries: &[DecisionEntry], head: &str) -> String {
    // An empty log is "updated" now: feed readers order by this date.
    let updated = entries
        .first()
        .map(|e| e.at)
        .unwrap_or_else(konbit_app::now);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        tr.lang()
    ));
    out.push_str(&format!(
        "<title>{}</title>\n<id>{}/decisions</id>\n<updated>{}</updated>\n\
         <link rel=\"alternate\" href=\"{}/decisions\"/>\n\
         <link rel=\"self\" href=\"{}/decisions/feed.atom\"/>\n\
         <subtitle>{}</subtitle>\n",
        xml_escape(&tr.t("gov-decisions-title")),
        xml_escape(origin),
        rfc3339(updated),
        xml_escape(origin),
        xml_escape(origin),
        xml_escape(&tr.t1("gov-feed-head", "hash", head.to_owned())),
    ));
    let colon = match tr.locale {
        konbit_core::model::Locale::Fr => "\u{a0}: ",
        konbit_core::model::Locale::En => ": ",
    };
    for e in entries {
        let row = DecisionRow::of(tr, e);
        let url = xml_escape(&format!("{origin}/decisions/{}", e.id));
        let summary = tr.t2(
            "gov-feed-summary",
            ("body", e.body.clone()),
            ("outcome", row.outcome.clone()),
        );
        out.push_str(&format!(
            "<entry>\n<id>{url}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
             <link rel=\"alternate\" href=\"{url}\"/>\n<author><name>{}</name></author>\n\
             <summary>{}</summary>\n<content type=\"text\">{}</content>\n</entry>\n",
            xml_escape(&format!("{} — {}", e.title, row.event)),
            rfc3339(e.at),
            xml_escape(&e.body),
            xml_escape(&summary),
            xml_escape(&format!(
                "{}\n\n{}{colon}{}\n{}{colon}{}",
                e.text,
                tr.t("gov-text-hash"),
                e.text_hash,
                tr.t("gov-entry-hash"),
                e.hash
            )),
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// GET /decisions/feed.atom
pub async fn feed(State(state): State<AppState>, ctx: Ctx) -> Response {
    let page = match state.app.governance().decisions(None, PAGE * 2).await {
        Ok(p) => p,
        Err(e) => return ctx.error(e).into_response(),
    };
    let body = atom(
        &ctx.tr,
        state.web.public_origin.trim_end_matches('/'),
        &page.entries,
        &page.head,
    );
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

// ---------------------------------------------------------------------------
// One-time vote links
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "governance/vote_link.html")]
struct VoteLinkPage {
    l: Layout,
    view: Option<VoteLinkView>,
    ballot: Option<BallotForm>,
    closes: String,
    done: bool,
    errors: FormErrors,
}

fn with_form_cookie(state: &AppState, mut res: Response, token: &str) -> Response {
    if let Ok(v) = cookie_header(state, state.web.login_cookie(), token, 3600, "Strict").parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

fn link_page(
    state: &AppState,
    ctx: &Ctx,
    token: &str,
    view: Option<VoteLinkView>,
    shown: (bool, FormErrors, Option<&FormData>, u16),
) -> Response {
    let (done, errors, typed, status) = shown;
    let csrf = konbit_app::secret::random_token();
    let tr = &ctx.tr;
    let title = match (&view, done) {
        (_, true) => tr.t("gov-link-thanks-title"),
        (Some(v), _) => v.title.clone(),
        (None, _) => tr.t("gov-link-invalid-title"),
    };
    let mut l = layout(ctx, title, Some(csrf.clone()));
    // The form must carry the cookie's token, also for a signed-in person.
    l.csrf = csrf.clone();
    let ballot = view.as_ref().filter(|_| !done).map(|v| {
        let b = BallotForm::new(
            format!("/vote/{token}"),
            v.method,
            &v.options,
            &v.text_hash,
            &ctx.tr.t("gov-status-quo"),
        );
        match typed {
            Some(form) => {
                let parsed = ballot::parse(v.method, &v.options, form).ok();
                let mut b = b.with(parsed.as_ref());
                b.choice = form.get("choice").to_owned();
                b.reason = form.get("reason").to_owned();
                b
            }
            None => b,
        }
    });
    let page = VoteLinkPage {
        closes: view
            .as_ref()
            .map(|v| tr.t1("gov-vote-until", "date", tr.datetime(v.closes_at)))
            .unwrap_or_default(),
        l,
        view,
        ballot,
        done,
        errors,
    };
    with_form_cookie(state, render(ctx.tr, status, &page), &csrf)
}

/// GET /vote/{token}: the text and the ballot form; opening it uses
/// nothing.
pub async fn vote_link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    match state.app.governance().vote_link(&token).await {
        Ok(view) => link_page(
            &state,
            &ctx,
            &token,
            Some(view),
            (false, FormErrors::default(), None, 200),
        ),
        Err(AppError::InvalidLink | AppError::NotFound) => link_page(
            &state,
            &ctx,
            &token,
            None,
            (false, FormErrors::default(), None, 410),
        ),
        Err(e) => ctx.error(e).into_response(),
    }
}

/// POST /vote/{token}: casts the ballot and uses the link up.
pub async fn vote_link_cast(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let expected = cookie(req.headers(), state.web.login_cookie()).map(str::to_owned);
    let form = match FormData::from_body(req, &state).await {
        Ok(f) => f,
        Err(code) => return PanelError::new(ctx.tr, code).into_response(),
    };
    if !expected.is_some_and(|e| konbit_app::secret::same(&e, form.get("_csrf"))) {
        return PanelError::new(ctx.tr, ErrorCode::CsrfRejected).into_response();
    }
    let gov = state.app.governance();
    let view = match gov.vote_link(&token).await {
        Ok(v) => v,
        Err(AppError::InvalidLink | AppError::NotFound) => {
            return link_page(
                &state,
                &ctx,
                &token,
                None,
                (false, FormErrors::default(), None, 410),
            );
        }
        Err(e) => return ctx.error(e).into_response(),
    };
    let content = match ballot::parse(view.method, &view.options, &form) {
        Ok(c) => c,
        Err(problem) => {
            let errors = FormErrors::general(ctx.tr.t(problem));
            return link_page(
                &state,
                &ctx,
                &token,
                Some(view),
                (false, errors, Some(&form), 422),
            );
        }
    };
    match gov
        .vote_by_link(&token, form.get("text_hash").trim(), content)
        .await
    {
        Ok(()) => link_page(
            &state,
            &ctx,
            &token,
            Some(view),
            (true, FormErrors::default(), None, 200),
        ),
        Err(AppError::InvalidLink) => link_page(
            &state,
            &ctx,
            &token,
            None,
            (false, FormErrors::default(), None, 410),
        ),
        Err(AppError::Conflict { code, .. }) => {
            let errors = FormErrors::general(ctx.tr.t(&code.message_id()));
            link_page(
                &state,
                &ctx,
                &token,
                Some(view),
                (false, errors, Some(&form), code.http_status()),
            )
        }
        Err(e) => ctx.error(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_escapes_what_people_wrote() {
        let tr = Tr::new(konbit_core::model::Locale::En);
        let e = DecisionEntry {
            id: 3,
            at: 1_700_000_000,
            proposal_id: 1,
            event: "decided".into(),
            body: "Board & <friends>".into(),
            title: "Less \"quotes\" & more".into(),
            text: "a < b".into(),
            text_hash: "ab".into(),
            method: "yes_no".into(),
            tally: None,
            outcome: "adopted".into(),
            detail: None,
            prev_hash: "00".into(),
            hash: "cd".into(),
        };
        let xml = atom(&tr, "https://panel.coop.test", &[e], "cd");
        assert!(xml.contains("Less &quot;quotes&quot; &amp; more"), "{xml}");
        assert!(xml.contains("a &lt; b"), "{xml}");
        assert!(!xml.contains("<friends>"), "{xml}");
        assert!(
            xml.contains("<id>https://panel.coop.test/decisions/3</id>"),
            "{xml}"
        );
        assert!(xml.contains("2023-11-14T22:13:20Z"), "{xml}");
    }
}
