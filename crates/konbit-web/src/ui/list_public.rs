//! A mailing list's public page, reached without a Konbit sign-in: anyone
//! asks to subscribe an address or to take it off, and the address
//! confirms by a link sent there. The link's page only shows a button: a
//! mail scanner that opens links subscribes nobody. Before sign-in there
//! is no session, so each form carries a token that must match a cookie,
//! as the sign-in form does.

use super::auth::{anonymous_layout, cookie_header};
use super::two_factor::{retry_message, with_retry_after};
use super::{FormErrors, FormOutcome, Layout, form_outcome, render};
use crate::AppState;
use crate::context::{Ctx, cookie};
use crate::error::PanelError;
use crate::form::FormData;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use fluent_bundle::FluentArgs;
use konbit_app::AppError;
use konbit_app::list_public::{Confirmed, MailText, PendingConfirmation, PublicAction, PublicList};
use konbit_core::ErrorCode;
use konbit_core::model::Locale;
use std::sync::Arc;

pub use konbit_app::list_public::public_path;

#[derive(Template)]
#[template(path = "list_public/show.html")]
struct ListPage {
    l: Layout,
    list: PublicList,
    /// Subscriptions by web work here (lists, Mailman and a relay).
    available: bool,
    email: String,
    /// `subscribe` or `unsubscribe`, as last chosen.
    action: String,
    /// The request was taken: the same words whoever the address is.
    sent: bool,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "list_public/confirm.html")]
struct ConfirmPage {
    l: Layout,
    list_address: String,
    token: String,
    /// What the link asks, while it still works.
    pending: Option<PendingConfirmation>,
    /// What it did, once confirmed.
    done: Option<Confirmed>,
    /// Used, expired, unknown, or its list is gone.
    invalid: bool,
    error: Option<String>,
}

impl ConfirmPage {
    fn subscribing(&self) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| p.action == PublicAction::Subscribe)
    }
    fn done_id(&self) -> &'static str {
        match self.done {
            Some(Confirmed::Subscribed) => "subscribed",
            Some(Confirmed::AwaitingApproval) => "awaiting-approval",
            Some(Confirmed::Unsubscribed) => "unsubscribed",
            None => "",
        }
    }
    fn done_message(&self) -> String {
        let address = self
            .pending
            .as_ref()
            .map(|p| p.address.clone())
            .unwrap_or_default();
        let id = format!("lpub-done-{}", self.done_id());
        self.l.tr.t2(
            &id,
            ("address", address),
            ("list", self.list_address.clone()),
        )
    }
    fn question(&self) -> String {
        let Some(p) = &self.pending else {
            return String::new();
        };
        let id = match p.action {
            PublicAction::Subscribe => "lpub-confirm-subscribe",
            PublicAction::Unsubscribe => "lpub-confirm-unsubscribe",
        };
        self.l.tr.t2(
            id,
            ("address", p.address.clone()),
            ("list", p.list.address.clone()),
        )
    }
}

fn with_form_cookie(state: &AppState, mut res: Response, token: &str) -> Response {
    if let Ok(v) = cookie_header(state, state.web.login_cookie(), token, 3600, "Strict").parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

fn layout(ctx: &Ctx, csrf: String, list: &str) -> Layout {
    let mut l = anonymous_layout(ctx, csrf);
    l.title = ctx.tr.t1("lpub-title", "list", list.to_owned());
    l.nav = "list-public";
    l
}

/// Reads a pre-sign-in form and checks its token against the cookie.
async fn checked_form(state: &AppState, tr: Tr, req: Request) -> Result<FormData, Response> {
    let expected = cookie(req.headers(), state.web.login_cookie()).map(str::to_owned);
    let form = FormData::from_body(req, state)
        .await
        .map_err(|code| PanelError::new(tr, code).into_response())?;
    if !expected.is_some_and(|e| konbit_app::secret::same(&e, form.get("_csrf"))) {
        return Err(PanelError::new(tr, ErrorCode::CsrfRejected).into_response());
    }
    Ok(form)
}

struct Shown {
    email: String,
    action: String,
    sent: bool,
    errors: FormErrors,
    status: u16,
}

fn list_page(state: &AppState, ctx: &Ctx, list: PublicList, shown: Shown) -> Response {
    let csrf = konbit_app::secret::random_token();
    let page = ListPage {
        l: layout(ctx, csrf.clone(), &list.address),
        available: state.app.lists_public().available(),
        list,
        email: shown.email,
        action: shown.action,
        sent: shown.sent,
        errors: shown.errors,
    };
    with_form_cookie(state, render(ctx.tr, shown.status, &page), &csrf)
}

/// The e-mail, in the page's language.
fn render_mail(locale: Locale, m: &MailText<'_>) -> (String, String) {
    let tr = Tr::new(locale);
    let (subject, body) = match m.action {
        PublicAction::Subscribe => ("lpub-mail-subscribe-subject", "lpub-mail-subscribe-body"),
        PublicAction::Unsubscribe => (
            "lpub-mail-unsubscribe-subject",
            "lpub-mail-unsubscribe-body",
        ),
    };
    let mut args = FluentArgs::new();
    args.set("list", m.list_address.to_owned());
    args.set("link", m.link.to_owned());
    args.set("hours", m.hours);
    (
        tr.format(subject, Some(&args)),
        tr.format(body, Some(&args)),
    )
}

/// The list, or its 404 page.
async fn find(state: &AppState, ctx: &Ctx, address: &str) -> Result<PublicList, Response> {
    state
        .app
        .lists_public()
        .public_list(address)
        .await
        .map_err(|e| PanelError::from_app(ctx.tr, e).into_response())
}

/// GET /l/{address}
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(address): Path<String>,
) -> Response {
    let list = match find(&state, &ctx, &address).await {
        Ok(l) => l,
        Err(res) => return res,
    };
    let shown = Shown {
        email: String::new(),
        action: "subscribe".into(),
        sent: false,
        errors: FormErrors::default(),
        status: 200,
    };
    list_page(&state, &ctx, list, shown)
}

/// POST /l/{address}: the same answer whether or not the address is a
/// subscriber.
pub async fn request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(address): Path<String>,
    req: Request,
) -> Response {
    let list = match find(&state, &ctx, &address).await {
        Ok(l) => l,
        Err(res) => return res,
    };
    let form = match checked_form(&state, ctx.tr, req).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let email = form.get("email").trim().to_owned();
    let raw_action = form.get("action").to_owned();
    let shown = |sent: bool, errors: FormErrors, status: u16| Shown {
        email: email.clone(),
        action: raw_action.clone(),
        sent,
        errors,
        status,
    };
    let Ok(action) = PublicAction::parse("action", &raw_action) else {
        let errors = FormErrors::general(ctx.tr.t("lpub-choose-action"));
        return list_page(&state, &ctx, list, shown(false, errors, 422));
    };
    let result = state
        .app
        .lists_public()
        .request(
            &list.address,
            &email,
            action,
            ctx.tr.locale,
            &state.web.public_origin,
            ctx.client.clone(),
            Arc::new(render_mail),
        )
        .await;
    match result {
        Ok(()) => list_page(&state, &ctx, list, shown(true, FormErrors::default(), 200)),
        Err(AppError::RateLimited { retry_after_secs }) => {
            let errors = FormErrors::general(retry_message(&ctx.tr, retry_after_secs));
            with_retry_after(
                list_page(&state, &ctx, list, shown(false, errors, 429)),
                retry_after_secs,
            )
        }
        Err(AppError::Conflict {
            code: ErrorCode::ServiceUnavailable,
            ..
        }) => {
            let errors = FormErrors::general(ctx.tr.t("lpub-unavailable"));
            list_page(&state, &ctx, list, shown(false, errors, 503))
        }
        Err(e) => match form_outcome(&ctx.tr, e) {
            FormOutcome::Show(errors, status) => {
                list_page(&state, &ctx, list, shown(false, errors, status))
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

struct ConfirmShown {
    pending: Option<PendingConfirmation>,
    done: Option<Confirmed>,
    invalid: bool,
    error: Option<String>,
    status: u16,
}

fn confirm_page(
    state: &AppState,
    ctx: &Ctx,
    address: &str,
    token: &str,
    shown: ConfirmShown,
) -> Response {
    let csrf = konbit_app::secret::random_token();
    let page = ConfirmPage {
        l: layout(ctx, csrf.clone(), address),
        list_address: address.to_owned(),
        token: token.to_owned(),
        pending: shown.pending,
        done: shown.done,
        invalid: shown.invalid,
        error: shown.error,
    };
    with_form_cookie(state, render(ctx.tr, shown.status, &page), &csrf)
}

fn invalid_link(state: &AppState, ctx: &Ctx, address: &str, token: &str) -> Response {
    let shown = ConfirmShown {
        pending: None,
        done: None,
        invalid: true,
        error: None,
        status: 410,
    };
    confirm_page(state, ctx, address, token, shown)
}

/// GET /l/{address}/confirm/{token}: what the link asks, and a button.
/// Opening it changes nothing.
pub async fn confirm_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((address, token)): Path<(String, String)>,
) -> Response {
    match state.app.lists_public().check(&address, &token).await {
        Ok(pending) => {
            let address = pending.list.address.clone();
            let shown = ConfirmShown {
                pending: Some(pending),
                done: None,
                invalid: false,
                error: None,
                status: 200,
            };
            confirm_page(&state, &ctx, &address, &token, shown)
        }
        Err(AppError::InvalidLink) => invalid_link(&state, &ctx, &address, &token),
        Err(e) => PanelError::from_app(ctx.tr, e).into_response(),
    }
}

/// POST /l/{address}/confirm/{token}: subscribes or unsubscribes.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((address, token)): Path<(String, String)>,
    req: Request,
) -> Response {
    if let Err(res) = checked_form(&state, ctx.tr, req).await {
        return res;
    }
    let svc = state.app.lists_public();
    match svc.confirm(&address, &token, ctx.client.clone()).await {
        Ok((pending, done)) => {
            let address = pending.list.address.clone();
            let shown = ConfirmShown {
                pending: Some(pending),
                done: Some(done),
                invalid: false,
                error: None,
                status: 200,
            };
            confirm_page(&state, &ctx, &address, &token, shown)
        }
        Err(AppError::InvalidLink) => invalid_link(&state, &ctx, &address, &token),
        Err(e) => {
            // The link still works (given back): show its button again
            // with the reason.
            let (message, status, retry) = match &e {
                AppError::RateLimited { retry_after_secs } => (
                    retry_message(&ctx.tr, *retry_after_secs),
                    429,
                    Some(*retry_after_secs),
                ),
                AppError::Conflict { code, .. } => {
                    let id = if *code == ErrorCode::ServiceUnavailable {
                        "lpub-unavailable-now".to_owned()
                    } else {
                        code.message_id()
                    };
                    (ctx.tr.t(&id), code.http_status(), None)
                }
                _ => return PanelError::from_app(ctx.tr, e).into_response(),
            };
            let pending = svc.check(&address, &token).await.ok();
            let shown = ConfirmShown {
                invalid: pending.is_none(),
                pending,
                done: None,
                error: Some(message),
                status,
            };
            let res = confirm_page(&state, &ctx, &address, &token, shown);
            match retry {
                Some(secs) => with_retry_after(res, secs),
                None => res,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_is_in_the_page_language_with_its_link() {
        for (locale, word) in [(Locale::Fr, "Bonjour"), (Locale::En, "Hello")] {
            for action in [PublicAction::Subscribe, PublicAction::Unsubscribe] {
                let (subject, body) = render_mail(
                    locale,
                    &MailText {
                        list_address: "news@radio.example",
                        action,
                        link: "https://panel.coop.test/l/news@radio.example/confirm/abc",
                        hours: 48,
                    },
                );
                assert!(subject.contains("news@radio.example"), "{subject}");
                assert!(!subject.contains('\n'), "{subject}");
                assert!(body.starts_with(word), "{body}");
                assert!(
                    body.contains("https://panel.coop.test/l/news@radio.example/confirm/abc"),
                    "{body}"
                );
                assert!(body.contains("48"), "{body}");
                assert!(!body.contains("lpub-"), "{body}");
            }
        }
    }
}
