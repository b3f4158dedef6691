//! Forgotten passwords: ask for a link by e-mail, then set a new password
//! with it. Before sign-in there is no session, so each form carries a token
//! that must match a cookie, as the sign-in form does.

use super::auth::{anonymous_layout, cookie_header};
use super::two_factor::{retry_message, with_retry_after};
use super::{FormErrors, FormOutcome, Layout, form_outcome, render, see_other};
use crate::AppState;
use crate::context::{Ctx, cookie};
use crate::error::PanelError;
use crate::form::FormData;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_core::ErrorCode;
use konbit_core::model::Locale;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "password_reset/request.html")]
struct RequestPage {
    l: Layout,
    email: String,
    sent: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "password_reset/new.html")]
struct NewPasswordPage {
    l: Layout,
    token: String,
    /// The link is used, expired, unknown or someone else's.
    invalid: bool,
    errors: FormErrors,
}

fn with_form_cookie(state: &AppState, mut res: Response, token: &str) -> Response {
    if let Ok(v) = cookie_header(state, state.web.login_cookie(), token, 3600, "Strict").parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

fn layout(ctx: &Ctx, csrf: String) -> Layout {
    let mut l = anonymous_layout(ctx, csrf);
    l.title = ctx.tr.t("reset-title");
    l
}

fn request_form(
    state: &AppState,
    ctx: &Ctx,
    email: String,
    sent: bool,
    error: Option<String>,
    status: u16,
) -> Response {
    let token = konbit_app::secret::random_token();
    let page = RequestPage {
        l: layout(ctx, token.clone()),
        email,
        sent,
        error,
    };
    with_form_cookie(state, render(ctx.tr, status, &page), &token)
}

fn new_form(
    state: &AppState,
    ctx: &Ctx,
    token: &str,
    invalid: bool,
    errors: FormErrors,
    status: u16,
) -> Response {
    let csrf = konbit_app::secret::random_token();
    let page = NewPasswordPage {
        l: layout(ctx, csrf.clone()),
        token: token.to_owned(),
        invalid,
        errors,
    };
    with_form_cookie(state, render(ctx.tr, status, &page), &csrf)
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

/// The e-mail, in each language, for a link that works so many minutes.
fn render_mail(locale: Locale, link: &str, minutes: i64) -> (String, String) {
    let tr = Tr::new(locale);
    let subject = tr.t("reset-mail-subject");
    let body = tr.t2(
        "reset-mail-body",
        ("link", link.to_owned()),
        ("minutes", minutes),
    );
    (subject, body)
}

/// GET /password-reset
pub async fn request_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    request_form(&state, &ctx, String::new(), false, None, 200)
}

/// POST /password-reset: the same answer whether or not the address exists.
pub async fn request(State(state): State<AppState>, ctx: Ctx, req: Request) -> Response {
    let form = match checked_form(&state, ctx.tr, req).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let email = form.get("email").trim().to_owned();
    let result = state
        .app
        .password_reset()
        .request(
            &email,
            &state.web.public_origin,
            ctx.client.clone(),
            Arc::new(render_mail),
        )
        .await;
    match result {
        Ok(()) => request_form(&state, &ctx, email, true, None, 200),
        Err(AppError::RateLimited { retry_after_secs }) => with_retry_after(
            request_form(
                &state,
                &ctx,
                email,
                false,
                Some(retry_message(&ctx.tr, retry_after_secs)),
                429,
            ),
            retry_after_secs,
        ),
        Err(e) => PanelError::from_app(ctx.tr, e).into_response(),
    }
}

/// GET /password-reset/{token}
pub async fn new_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    let invalid = state.app.password_reset().check(&token).await.is_err();
    let status = if invalid { 410 } else { 200 };
    new_form(&state, &ctx, &token, invalid, FormErrors::default(), status)
}

/// POST /password-reset/{token}: sets the password, ends every session.
pub async fn reset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let form = match checked_form(&state, ctx.tr, req).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    if form.get("new_password") != form.get("confirm_password") {
        let errors = FormErrors {
            items: vec![("confirm_password".into(), ctx.tr.t("password-mismatch"))],
            general: None,
        };
        return new_form(&state, &ctx, &token, false, errors, 422);
    }
    match state
        .app
        .password_reset()
        .reset(&token, form.get("new_password"), ctx.client.clone())
        .await
    {
        Ok(()) => see_other("/login?flash=password-reset-done"),
        Err(AppError::InvalidLink) => {
            new_form(&state, &ctx, &token, true, FormErrors::default(), 410)
        }
        Err(AppError::RateLimited { retry_after_secs }) => with_retry_after(
            new_form(
                &state,
                &ctx,
                &token,
                false,
                FormErrors::general(retry_message(&ctx.tr, retry_after_secs)),
                429,
            ),
            retry_after_secs,
        ),
        Err(e) => match form_outcome(&ctx.tr, e) {
            FormOutcome::Show(errors, status) => {
                new_form(&state, &ctx, &token, false, errors, status)
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}
