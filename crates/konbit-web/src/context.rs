//! What every panel request knows about itself: language, client, and the
//! signed-in person if there is one.

use crate::AppState;
use crate::error::PanelError;
use crate::i18n::{Tr, negotiate};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use konbit_app::auth::{ClientInfo, SessionInfo};
use konbit_core::two_factor::SessionState;
use std::net::SocketAddr;

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn client_info(parts: &Parts) -> ClientInfo {
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let user_agent = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    ClientInfo { ip, user_agent }
}

/// The request as the panel sees it.
#[derive(Clone)]
pub struct Ctx {
    pub tr: Tr,
    pub session: Option<SessionInfo>,
    /// A session that is not full yet (second factor pending, or an
    /// enrolment the policy requires): it reaches only the pages that
    /// complete it.
    pub partial: Option<SessionInfo>,
    /// The raw session cookie, to end or rotate it.
    pub session_cookie: Option<String>,
    pub client: ClientInfo,
    /// Path and query, to come back after signing in.
    pub path: String,
}

impl Ctx {
    pub fn error(&self, e: konbit_app::AppError) -> PanelError {
        PanelError::from_app(self.tr, e)
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PanelError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let client = client_info(parts);
        let accept = parts
            .headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang_cookie = cookie(&parts.headers, "konbit_lang");
        let raw = cookie(&parts.headers, state.web.session_cookie()).map(str::to_owned);
        let fallback = Tr::new(negotiate(None, lang_cookie, accept));
        let session = match &raw {
            Some(value) => state
                .app
                .auth()
                .session(value, client.ip.clone())
                .await
                .map_err(|e| PanelError::from_app(fallback, e))?,
            None => None,
        };
        let (session, partial) = match session {
            Some(s) if s.state == SessionState::Full => (Some(s), None),
            other => (None, other),
        };
        let preference = session
            .as_ref()
            .or(partial.as_ref())
            .and_then(|s| s.person.locale);
        let tr = Tr::new(negotiate(preference, lang_cookie, accept));
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        Ok(Ctx {
            tr,
            session,
            partial,
            session_cookie: raw,
            client,
            path,
        })
    }
}

/// A panel request from a signed-in person. Anyone else is sent to the
/// sign-in page, and comes back here afterwards.
#[derive(Clone)]
pub struct Signed {
    pub ctx: Ctx,
    pub session: SessionInfo,
}

impl std::ops::Deref for Signed {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

pub enum ToSignIn {
    /// The sign-in page, then back to this path.
    Next(String),
    /// Straight to this path (the step a session still lacks).
    Exact(String),
}

impl IntoResponse for ToSignIn {
    fn into_response(self) -> Response {
        match self {
            Self::Next(path) => {
                let next =
                    url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            Self::Exact(path) => Redirect::to(&path).into_response(),
        }
    }
}

/// A panel request from a session in any state: full, second factor
/// pending, or enrolment required. Only the pages that complete a sign-in
/// take it; everything else takes [`Signed`].
#[derive(Clone)]
pub struct AnySession {
    pub ctx: Ctx,
    pub session: SessionInfo,
}

impl std::ops::Deref for AnySession {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = SignedRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state)
            .await
            .map_err(SignedRejection::Error)?;
        match ctx.session.clone().or_else(|| ctx.partial.clone()) {
            Some(session) => Ok(AnySession { ctx, session }),
            None => Err(SignedRejection::SignIn(ToSignIn::Exact("/login".into()))),
        }
    }
}

pub enum SignedRejection {
    SignIn(ToSignIn),
    Error(PanelError),
}

impl IntoResponse for SignedRejection {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn(r) => r.into_response(),
            Self::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = SignedRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state)
            .await
            .map_err(SignedRejection::Error)?;
        match ctx.session.clone() {
            Some(session) => Ok(Signed { ctx, session }),
            // A half-signed-in session goes to the step that completes it,
            // and nowhere else.
            None if ctx.partial.is_some() => {
                let to = match ctx.partial.as_ref().map(|p| p.state) {
                    Some(SessionState::MustEnrol) => "/settings/2fa",
                    _ => "/login/2fa",
                };
                Err(SignedRejection::SignIn(ToSignIn::Exact(to.into())))
            }
            None => {
                // Only a page you can come back to is worth returning to.
                let next = if parts.method == axum::http::Method::GET {
                    ctx.path.clone()
                } else {
                    "/".into()
                };
                Err(SignedRejection::SignIn(ToSignIn::Next(next)))
            }
        }
    }
}
