//! Panel form bodies: size-limited, parsed without ever failing with a 500,
//! and checked against the session's CSRF token before a handler sees them.

use crate::AppState;
use crate::context::{AnySession, Signed, SignedRejection};
use crate::error::PanelError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use konbit_core::ErrorCode;

/// The decoded fields of a form, in order, repeated names kept.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }

    /// Parses `application/x-www-form-urlencoded`, or `multipart/form-data`
    /// (a form with a file: the file's content, which must be UTF-8 text,
    /// is the value of its field); anything else is refused.
    pub(crate) async fn from_body(req: Request, state: &AppState) -> Result<Self, ErrorCode> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content_type.starts_with("multipart/form-data") {
            return Self::from_multipart(req, state).await;
        }
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            return Err(ErrorCode::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ErrorCode::PayloadTooLarge
            } else {
                ErrorCode::MalformedBody
            }
        })?;
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(&bytes).into_owned().collect();
        Ok(Self(pairs))
    }
}

impl FormData {
    async fn from_multipart(req: Request, state: &AppState) -> Result<Self, ErrorCode> {
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| ErrorCode::MalformedBody)?;
        let mut fields = Vec::new();
        // Bounded by the body limit; the count bound guards against a body
        // made of many empty parts.
        for _ in 0..MAX_MULTIPART_FIELDS {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => return Ok(Self(fields)),
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(ErrorCode::PayloadTooLarge);
                }
                Err(_) => return Err(ErrorCode::MalformedBody),
            };
            let name = field.name().unwrap_or("").to_owned();
            let value = field.text().await.map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ErrorCode::PayloadTooLarge
                } else {
                    ErrorCode::MalformedBody
                }
            })?;
            fields.push((name, value));
        }
        Err(ErrorCode::MalformedBody)
    }
}

/// More parts than any panel form has.
const MAX_MULTIPART_FIELDS: usize = 64;

/// A form posted by a signed-in person, whose `_csrf` field matched their
/// session's token.
pub struct CsrfForm {
    pub signed: Signed,
    pub form: FormData,
}

impl FromRequest<AppState> for CsrfForm {
    type Rejection = SignedRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let tr = signed.tr;
        let form = FormData::from_body(Request::from_parts(parts, body), state)
            .await
            .map_err(|code| SignedRejection::Error(PanelError::new(tr, code)))?;
        if !konbit_app::secret::same(form.get("_csrf"), &signed.session.csrf_token) {
            return Err(SignedRejection::Error(PanelError::new(
                tr,
                ErrorCode::CsrfRejected,
            )));
        }
        Ok(Self { signed, form })
    }
}

/// A form posted from a session in any state (see [`AnySession`]), whose
/// `_csrf` matched that session's token.
pub struct AnyCsrfForm {
    pub any: AnySession,
    pub form: FormData,
}

impl FromRequest<AppState> for AnyCsrfForm {
    type Rejection = SignedRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let any = AnySession::from_request_parts(&mut parts, state).await?;
        let tr = any.tr;
        let form = FormData::from_body(Request::from_parts(parts, body), state)
            .await
            .map_err(|code| SignedRejection::Error(PanelError::new(tr, code)))?;
        if !konbit_app::secret::same(form.get("_csrf"), &any.session.csrf_token) {
            return Err(SignedRejection::Error(PanelError::new(
                tr,
                ErrorCode::CsrfRejected,
            )));
        }
        Ok(Self { any, form })
    }
}
