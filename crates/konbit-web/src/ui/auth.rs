//! Signing in and out, and the language switch for people not signed in.

use super::{Layout, render, see_other};
use crate::AppState;
use crate::context::{Ctx, cookie};
use crate::error::PanelError;
use crate::form::{AnyCsrfForm, CsrfForm, FormData};
use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_core::ErrorCode;
use konbit_core::model::Locale;
use konbit_core::two_factor::SessionState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

/// Only paths on this site are valid places to return to.
pub(crate) fn safe_next(next: Option<String>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/".into(),
    }
}

pub(crate) fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: i64,
    same_site: &str,
) -> String {
    let secure = if state.web.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}")
}

pub(crate) fn anonymous_layout(ctx: &Ctx, csrf: String) -> Layout {
    Layout {
        tr: ctx.tr,
        title: ctx.tr.t("login-title"),
        viewer: None,
        csrf,
        nav: "login",
        flash: None,
        path: ctx.path.clone(),
    }
    .with_flash(super::query_value(&ctx.path, "flash").as_deref())
}

fn login_form(
    state: &AppState,
    ctx: &Ctx,
    email: String,
    next: String,
    error: Option<String>,
    status: u16,
) -> Response {
    // Before sign-in there is no session to tie a CSRF token to, so the
    // form token is also set as a cookie and the two must match.
    let token = konbit_app::secret::random_token();
    let page = LoginPage {
        l: anonymous_layout(ctx, token.clone()),
        email,
        next,
        error,
    };
    let mut res = render(ctx.tr, status, &page);
    if let Ok(v) = cookie_header(state, state.web.login_cookie(), &token, 3600, "Strict").parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

pub async fn login_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    if ctx.session.is_some() {
        return see_other("/");
    }
    let next = safe_next(super::query_value(&ctx.path, "next"));
    login_form(&state, &ctx, String::new(), next, None, 200)
}

pub async fn login(State(state): State<AppState>, ctx: Ctx, req: Request) -> Response {
    let expected = cookie(req.headers(), state.web.login_cookie()).map(str::to_owned);
    let form = match FormData::from_body(req, &state).await {
        Ok(f) => f,
        Err(code) => return PanelError::new(ctx.tr, code).into_response(),
    };
    let csrf_ok = expected.is_some_and(|e| konbit_app::secret::same(&e, form.get("_csrf")));
    if !csrf_ok {
        return PanelError::new(ctx.tr, ErrorCode::CsrfRejected).into_response();
    }
    let email = form.get("email").to_owned();
    let next = safe_next(Some(form.get("next").to_owned()));
    let result = state
        .app
        .auth()
        .sign_in(
            &email,
            form.get("password"),
            ctx.session_cookie.as_deref(),
            ctx.client.clone(),
        )
        .await;
    match result {
        Ok(session) => {
            let to = match session.state {
                SessionState::Full => next,
                SessionState::PendingTwoFactor => {
                    let next =
                        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
                    format!("/login/2fa?next={next}")
                }
                SessionState::MustEnrol => "/settings/2fa".into(),
            };
            let mut res = see_other(&to);
            let max_age = state.app.config.session_absolute_secs;
            let h = res.headers_mut();
            if let Ok(v) = cookie_header(
                &state,
                state.web.session_cookie(),
                &session.cookie_value,
                max_age,
                "Lax",
            )
            .parse()
            {
                h.append(SET_COOKIE, v);
            }
            if let Ok(v) = cookie_header(&state, state.web.login_cookie(), "", 0, "Strict").parse()
            {
                h.append(SET_COOKIE, v);
            }
            res
        }
        Err(AppError::InvalidCredentials) => {
            let msg = ctx.tr.t("error-invalid-credentials");
            login_form(&state, &ctx, email, next, Some(msg), 401)
        }
        Err(AppError::RateLimited { retry_after_secs }) => {
            let msg = super::two_factor::retry_message(&ctx.tr, retry_after_secs);
            super::two_factor::with_retry_after(
                login_form(&state, &ctx, email, next, Some(msg), 429),
                retry_after_secs,
            )
        }
        Err(e) => PanelError::from_app(ctx.tr, e).into_response(),
    }
}

pub(crate) fn clear_session(state: &AppState, mut res: Response) -> Response {
    if let Ok(v) = cookie_header(state, state.web.session_cookie(), "", 0, "Lax").parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

pub async fn logout(State(state): State<AppState>, f: AnyCsrfForm) -> Response {
    if let Some(c) = &f.any.session_cookie
        && let Err(e) = state
            .app
            .auth()
            .sign_out_from(c, f.any.client.ip.clone())
            .await
    {
        return f.any.error(e).into_response();
    }
    clear_session(&state, see_other("/login?flash=signed-out"))
}

pub async fn logout_everywhere(State(state): State<AppState>, f: CsrfForm) -> Response {
    if let Err(e) = state
        .app
        .auth()
        .sign_out_everywhere(&f.signed.session.actor)
        .await
    {
        return f.signed.error(e).into_response();
    }
    clear_session(&state, see_other("/login?flash=signed-out-everywhere"))
}

/// Sets the language for someone not signed in (a cookie); signed-in people
/// change their preference from the settings.
pub async fn switch_language(ctx: Ctx, Path(code): Path<String>) -> Response {
    let Some(locale) = Locale::parse(&code) else {
        return PanelError::new(ctx.tr, ErrorCode::NotFound).into_response();
    };
    let next = safe_next(super::query_value(&ctx.path, "next"));
    let mut res = see_other(&next);
    let value = format!(
        "konbit_lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
        locale.as_str()
    );
    if let Ok(v) = value.parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(
            safe_next(Some("/accounts?page=2".into())),
            "/accounts?page=2"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(bad.into())), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    proptest::proptest! {
        #[test]
        fn next_never_leaves_the_site(s in "\\PC{0,40}|[/\\\\]{0,3}.{0,20}") {
            let out = safe_next(Some(s));
            proptest::prop_assert!(out.starts_with('/'));
            proptest::prop_assert!(!out.starts_with("//"));
            proptest::prop_assert!(!out.contains('\\'));
            proptest::prop_assert!(!out.chars().any(char::is_control));
        }
    }
}
