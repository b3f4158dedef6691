//! A person's own settings: name, language, password, and signing out of
//! every device.

use super::{
    FormErrors, FormOutcome, Layout, form_outcome, parse_id, query_value, render, see_other,
};
use crate::AppState;
use crate::context::Signed;
use crate::form::CsrfForm;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::auth::SessionEntry;
use konbit_app::user::UpdatePerson;
use konbit_core::model::Locale;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    l: Layout,
    display_name: String,
    locale: String,
    errors: FormErrors,
    password_errors: FormErrors,
    sessions: Vec<SessionEntry>,
    two_factor_on: bool,
}

async fn page(
    state: &AppState,
    s: &Signed,
    errors: FormErrors,
    password_errors: FormErrors,
    status: u16,
) -> Response {
    let p = &s.session.person;
    let sessions = match state
        .app
        .auth()
        .sessions(&s.session.actor, s.session_cookie.as_deref())
        .await
    {
        Ok(list) => list,
        Err(e) => return s.error(e).into_response(),
    };
    let two_factor_on = match state.app.two_factor().is_enabled(p.id).await {
        Ok(on) => on,
        Err(e) => return s.error(e).into_response(),
    };
    let l = Layout::signed(s, "settings", "settings-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    let locale = p.locale.map(|l| l.as_str().to_owned()).unwrap_or_default();
    render(
        s.tr,
        status,
        &SettingsPage {
            l,
            display_name: p.display_name.to_string(),
            locale,
            errors,
            password_errors,
            sessions,
            two_factor_on,
        },
    )
}

pub async fn show(State(state): State<AppState>, s: Signed) -> Response {
    page(
        &state,
        &s,
        FormErrors::default(),
        FormErrors::default(),
        200,
    )
    .await
}

/// POST /settings/sessions/{id}/end: ends one of the person's own sessions.
pub async fn end_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match state.app.auth().end_session(&s.session.actor, id).await {
        Ok(()) => see_other("/settings?flash=session-ended"),
        Err(e) => s.error(e).into_response(),
    }
}

pub async fn update(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let Some(me) = s.session.actor.user_id else {
        return s
            .error(konbit_core::Denied::Unauthenticated.into())
            .into_response();
    };
    let input = UpdatePerson {
        display_name: Some(f.form.get("display_name").to_owned()),
        locale: Some(Locale::parse(f.form.get("locale"))),
        is_admin: None,
    };
    match state.app.users().update(&s.session.actor, me, input).await {
        Ok(_) => see_other("/settings?flash=settings-saved"),
        Err(e) => match form_outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                page(&state, s, errors, FormErrors::default(), status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// The language switch in the header, for signed-in people: it sets their
/// preference and comes back to the same page.
pub async fn set_language(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let Some(me) = s.session.actor.user_id else {
        return s
            .error(konbit_core::Denied::Unauthenticated.into())
            .into_response();
    };
    let locale = Locale::parse(f.form.get("locale"));
    let input = UpdatePerson {
        display_name: None,
        locale: Some(locale),
        is_admin: None,
    };
    if let Err(e) = state.app.users().update(&s.session.actor, me, input).await {
        return s.error(e).into_response();
    }
    let next = f.form.get("next");
    let next = if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    };
    see_other(next)
}

pub async fn change_password(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    if f.form.get("new_password") != f.form.get("confirm_password") {
        let errors = FormErrors {
            items: vec![("confirm_password".into(), s.tr.t("password-mismatch"))],
            general: None,
        };
        return page(&state, s, FormErrors::default(), errors, 422).await;
    }
    let result = state
        .app
        .users()
        .change_password(
            &s.session.actor,
            f.form.get("current_password"),
            f.form.get("new_password"),
            s.session_cookie.as_deref(),
        )
        .await;
    match result {
        Ok(()) => see_other("/settings?flash=password-changed"),
        Err(e) => match form_outcome(&s.tr, e) {
            FormOutcome::Show(mut errors, status) => {
                // "Unknown choice" on the current password means it was wrong.
                for (field, msg) in &mut errors.items {
                    if field == "current_password" {
                        *msg = s.tr.t("password-current-wrong");
                    }
                }
                page(&state, s, FormErrors::default(), errors, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}
