//! An admin acting as a member to help them, and ending it.

use super::{parse_id, see_other};
use crate::AppState;
use crate::form::CsrfForm;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_core::model::UserId;

pub async fn start(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let target = match parse_id(s.tr, &user_id) {
        Ok(id) => UserId(id),
        Err(e) => return e.into_response(),
    };
    let Some(cookie) = s.session_cookie.as_deref() else {
        return s
            .error(konbit_core::Denied::Unauthenticated.into())
            .into_response();
    };
    match state
        .app
        .impersonation()
        .start(&s.session.actor, cookie, target)
        .await
    {
        Ok(_) => see_other("/?flash=impersonation-started"),
        Err(e) => s.error(e).into_response(),
    }
}

pub async fn end(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let Some(cookie) = s.session_cookie.as_deref() else {
        return s
            .error(konbit_core::Denied::Unauthenticated.into())
            .into_response();
    };
    match state
        .app
        .impersonation()
        .end(&s.session.actor, cookie)
        .await
    {
        Ok(()) => see_other("/?flash=impersonation-ended"),
        Err(e) => s.error(e).into_response(),
    }
}
