//! Second factor in the panel: the code step of sign-in, and enrolment,
//! recovery codes and turning it off in the settings.

use super::auth::{cookie_header, safe_next};
use super::{Layout, Viewer, query_value, render, see_other};
use crate::AppState;
use crate::context::AnySession;
use crate::form::AnyCsrfForm;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::auth::{NewSession, SessionInfo};
use konbit_app::two_factor::TwoFactorStatus;
use konbit_core::two_factor::SessionState;

/// "Too many attempts. Try again in 2 minutes." in the person's language.
pub(crate) fn retry_message(tr: &Tr, secs: u64) -> String {
    if secs >= 120 {
        tr.t1("rate-limited-minutes", "minutes", secs.div_ceil(60))
    } else {
        tr.t1("rate-limited-seconds", "seconds", secs)
    }
}

pub(crate) fn with_retry_after(mut res: Response, secs: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(RETRY_AFTER, v);
    }
    res
}

/// The message for a code that did not pass.
fn code_message(tr: &Tr, e: &AppError) -> String {
    match e {
        AppError::InvalidCode(Some(why)) => tr.t(why.message_id()),
        _ => tr.t("two-factor-code-wrong"),
    }
}

/// The layout for a session in any state: a full one gets the navigation;
/// a half-signed-in one gets none, since it may go nowhere else yet.
fn layout(s: &AnySession, nav: &'static str, title_id: &str) -> Layout {
    let p = &s.session.person;
    let full = s.session.state == SessionState::Full;
    Layout {
        tr: s.tr,
        title: s.tr.t(title_id),
        viewer: full.then(|| Viewer {
            name: p.display_name.to_string(),
            email: p.email.to_string(),
            is_admin: p.is_admin,
            impersonator: None,
            helped_by: None,
        }),
        csrf: s.session.csrf_token.clone(),
        nav,
        flash: None,
        path: s.path.clone(),
    }
    .with_flash(query_value(&s.path, "flash").as_deref())
}

fn set_session(state: &AppState, mut res: Response, session: &NewSession) -> Response {
    if let Ok(v) = cookie_header(
        state,
        state.web.session_cookie(),
        &session.cookie_value,
        state.app.config.session_absolute_secs,
        "Lax",
    )
    .parse()
    {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "two_factor/login.html")]
struct LoginPage {
    l: Layout,
    next: String,
    error: Option<String>,
}

fn pending(s: &AnySession) -> Option<&SessionInfo> {
    (s.session.state == SessionState::PendingTwoFactor).then_some(&s.session)
}

fn login_page_for(s: &AnySession, next: String, error: Option<String>, status: u16) -> Response {
    render(
        s.tr,
        status,
        &LoginPage {
            l: layout(s, "login", "two-factor-login-title"),
            next,
            error,
        },
    )
}

/// GET /login/2fa: the code step of sign-in.
pub async fn login_page(s: AnySession) -> Response {
    if pending(&s).is_none() {
        return see_other("/");
    }
    let next = safe_next(query_value(&s.path, "next"));
    login_page_for(&s, next, None, 200)
}

/// POST /login/2fa: checks the code, then the session becomes full under a
/// new id.
pub async fn login(State(state): State<AppState>, f: AnyCsrfForm) -> Response {
    let s = &f.any;
    if pending(s).is_none() {
        return see_other("/");
    }
    let Some(cookie) = s.session_cookie.clone() else {
        return see_other("/login");
    };
    let next = safe_next(Some(f.form.get("next").to_owned()));
    match state
        .app
        .auth()
        .complete_two_factor(&cookie, f.form.get("code"), s.client.clone())
        .await
    {
        Ok(session) => set_session(&state, see_other(&next), &session),
        Err(AppError::RateLimited { retry_after_secs }) => with_retry_after(
            login_page_for(s, next, Some(retry_message(&s.tr, retry_after_secs)), 429),
            retry_after_secs,
        ),
        Err(e @ AppError::InvalidCode(_)) => {
            let status = match e {
                AppError::InvalidCode(Some(_)) => 422,
                _ => 401,
            };
            login_page_for(s, next, Some(code_message(&s.tr, &e)), status)
        }
        Err(e) => s.error(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "two_factor/settings.html")]
struct SettingsPage {
    l: Layout,
    status: TwoFactorStatus,
    /// Just made: shown this once.
    recovery_codes: Vec<String>,
    error: Option<String>,
    /// The person may not leave before enrolling.
    must_enrol: bool,
}

async fn settings_for(
    state: &AppState,
    s: &AnySession,
    recovery_codes: Vec<String>,
    error: Option<String>,
    status_code: u16,
) -> Response {
    if s.session.state == SessionState::PendingTwoFactor {
        return see_other("/login/2fa");
    }
    let status = match state
        .app
        .two_factor()
        .status(&s.session.actor, &s.session.person)
        .await
    {
        Ok(st) => st,
        Err(e) => return s.error(e).into_response(),
    };
    render(
        s.tr,
        status_code,
        &SettingsPage {
            l: layout(s, "settings", "two-factor-title"),
            status,
            recovery_codes,
            error,
            must_enrol: s.session.state == SessionState::MustEnrol,
        },
    )
}

/// GET /settings/2fa
pub async fn settings(State(state): State<AppState>, s: AnySession) -> Response {
    settings_for(&state, &s, Vec::new(), None, 200).await
}

/// POST /settings/2fa/start: a new secret to scan.
pub async fn start(State(state): State<AppState>, f: AnyCsrfForm) -> Response {
    let s = &f.any;
    if s.session.state == SessionState::PendingTwoFactor {
        return see_other("/login/2fa");
    }
    match state.app.two_factor().start(&s.session.actor).await {
        Ok(()) => see_other("/settings/2fa"),
        Err(e) => s.error(e).into_response(),
    }
}

/// POST /settings/2fa/confirm: the first code turns 2FA on; the recovery
/// codes are shown once, and the session is renewed as one that passed 2FA.
pub async fn confirm(State(state): State<AppState>, f: AnyCsrfForm) -> Response {
    let s = &f.any;
    if s.session.state == SessionState::PendingTwoFactor {
        return see_other("/login/2fa");
    }
    let result = state
        .app
        .two_factor()
        .confirm(&s.session.actor, &s.session.person, f.form.get("code"))
        .await;
    match result {
        Ok(codes) => {
            let Some(cookie) = s.session_cookie.clone() else {
                return see_other("/login");
            };
            let renewed = match state
                .app
                .auth()
                .finish_enrolment(&cookie, s.session.person.clone(), s.client.clone())
                .await
            {
                Ok(n) => n,
                Err(e) => return s.error(e).into_response(),
            };
            // Render with the renewed session, so its forms carry its token.
            let info = match state
                .app
                .auth()
                .session(&renewed.cookie_value, s.client.ip.clone())
                .await
            {
                Ok(Some(i)) => i,
                Ok(None) => return see_other("/login"),
                Err(e) => return s.error(e).into_response(),
            };
            let mut ctx = s.ctx.clone();
            ctx.session = Some(info.clone());
            ctx.partial = None;
            let renewed_any = AnySession { ctx, session: info };
            let res = settings_for(&state, &renewed_any, codes, None, 200).await;
            set_session(&state, res, &renewed)
        }
        Err(e @ AppError::InvalidCode(_)) => {
            settings_for(&state, s, Vec::new(), Some(code_message(&s.tr, &e)), 422).await
        }
        Err(e) => s.error(e).into_response(),
    }
}

/// POST /settings/2fa/disable: with a current code or the password.
pub async fn disable(State(state): State<AppState>, f: AnyCsrfForm) -> Response {
    let s = &f.any;
    if s.session.state != SessionState::Full {
        return see_other("/settings/2fa");
    }
    if state.app.two_factor().required_for(&s.session.person) {
        let msg = s.tr.t("two-factor-cannot-disable");
        return settings_for(&state, s, Vec::new(), Some(msg), 409).await;
    }
    match state
        .app
        .two_factor()
        .disable(&s.session.actor, &s.session.person, f.form.get("proof"))
        .await
    {
        Ok(()) => see_other("/settings/2fa?flash=two-factor-disabled"),
        Err(AppError::RateLimited { retry_after_secs }) => with_retry_after(
            settings_for(
                &state,
                s,
                Vec::new(),
                Some(retry_message(&s.tr, retry_after_secs)),
                429,
            )
            .await,
            retry_after_secs,
        ),
        Err(AppError::InvalidCode(_)) => {
            let msg = s.tr.t("two-factor-proof-wrong");
            settings_for(&state, s, Vec::new(), Some(msg), 422).await
        }
        Err(e) => s.error(e).into_response(),
    }
}
