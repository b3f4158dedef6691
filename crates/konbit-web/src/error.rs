//! Errors as people and programs see them: a translated page for the panel,
//! RFC 9457 problem+json for the API. Internal details are logged, never shown.

use crate::i18n::{Tr, negotiate};
use askama::Template;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use konbit_app::AppError;
use konbit_core::{ErrorCode, FieldError, Rule};

/// "E-mail address: must have at least 12 characters." in the person's language.
/// A bad line of a zone file: "Line 3: …" in the person's language.
pub fn line_message(tr: &Tr, line: usize, e: &FieldError) -> String {
    tr.t2(
        "zone-file-line",
        ("line", line),
        ("message", field_message(tr, e)),
    )
}

pub fn field_message(tr: &Tr, e: &FieldError) -> String {
    let field = tr.t(&format!("field-{}", e.field.replace('_', "-")));
    let id = e.rule.message_id();
    match e.rule {
        Rule::TooShort { min } => tr.t2(id, ("field", field), ("min", min)),
        Rule::TooLong { max } | Rule::DnsLabelTooLong { max } | Rule::TooMany { max } => {
            tr.t2(id, ("field", field), ("max", max))
        }
        Rule::UnsupportedType { ref rtype } => tr.t2(id, ("field", field), ("rtype", rtype)),
        Rule::OutOfRange { min, max } => {
            let (min, max) = (tr.number(min), tr.number(max));
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("field", field);
            args.set("min", min);
            args.set("max", max);
            tr.format(id, Some(&args))
        }
        _ => tr.t1(id, "field", field),
    }
}

fn status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    tr: &'a Tr,
    title: String,
    message: String,
    status: u16,
}

/// A failed panel request, rendered as a page in the person's language.
#[derive(Debug)]
pub struct PanelError {
    pub tr: Tr,
    pub code: ErrorCode,
    pub fields: Vec<FieldError>,
    /// For a zone file: the line of each of `fields`.
    pub lines: Vec<usize>,
}

impl PanelError {
    pub fn new(tr: Tr, code: ErrorCode) -> Self {
        Self {
            tr,
            code,
            fields: Vec::new(),
            lines: Vec::new(),
        }
    }

    pub fn from_app(tr: Tr, e: AppError) -> Self {
        if let AppError::Internal(detail) = &e {
            tracing::error!(%detail, "internal error");
        }
        let (fields, lines) = match e {
            AppError::Invalid(ref f) => (f.clone(), Vec::new()),
            AppError::ZoneFile(ref errors) => (
                errors.iter().map(|z| z.error.clone()).collect(),
                errors.iter().map(|z| z.line).collect(),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        Self {
            tr,
            code: e.code(),
            fields,
            lines,
        }
    }
}

impl IntoResponse for PanelError {
    fn into_response(self) -> Response {
        let mut message = self.tr.t(&self.code.message_id());
        for (i, f) in self.fields.iter().enumerate() {
            message.push(' ');
            match self.lines.get(i) {
                Some(line) => message.push_str(&line_message(&self.tr, *line, f)),
                None => message.push_str(&field_message(&self.tr, f)),
            }
        }
        let page = ErrorPage {
            tr: &self.tr,
            title: self
                .tr
                .t(&format!("error-title-{}", self.code.http_status())),
            message,
            status: self.code.http_status(),
        };
        match page.render() {
            Ok(html) => (status(self.code), Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                status(self.code).into_response()
            }
        }
    }
}

/// The JSON body of an API error (RFC 9457), shared with the API docs.
pub fn problem_body(
    tr: &Tr,
    code: ErrorCode,
    detail: Option<String>,
    fields: &[FieldError],
) -> serde_json::Value {
    let errors: Vec<serde_json::Value> = fields
        .iter()
        .map(|f| {
            // {"field": "name", "rule": "too_short", "min": 3, "message": "..."}
            let mut v =
                serde_json::to_value(f).unwrap_or_else(|_| serde_json::json!({ "field": f.field }));
            // A duplicate is "already taken", not the `reserved` rule's
            // "this name is reserved" (wrong for an e-mail address).
            let message = if code == ErrorCode::Duplicate {
                let label = tr.t(&format!("field-{}", f.field.replace('_', "-")));
                tr.t1("error-duplicate-field", "field", label)
            } else {
                field_message(tr, f)
            };
            v["message"] = serde_json::Value::String(message);
            v
        })
        .collect();
    let mut body = serde_json::json!({
        "type": format!("urn:konbit:problem:{}", code.as_str()),
        "title": tr.t(&code.message_id()),
        "status": code.http_status(),
        "code": code.as_str(),
    });
    if let Some(d) = detail {
        body["detail"] = serde_json::Value::String(d);
    }
    if !errors.is_empty() {
        body["errors"] = serde_json::Value::Array(errors);
    }
    body
}

/// A failed API request.
#[derive(Debug)]
pub struct ApiError {
    pub tr: Tr,
    pub code: ErrorCode,
    pub detail: Option<String>,
    pub fields: Vec<FieldError>,
    /// For a zone file: the line of each of `fields`.
    pub lines: Vec<usize>,
}

impl ApiError {
    pub fn new(tr: Tr, code: ErrorCode, detail: Option<String>) -> Self {
        Self {
            tr,
            code,
            detail,
            fields: Vec::new(),
            lines: Vec::new(),
        }
    }

    pub fn from_app(tr: Tr, e: AppError) -> Self {
        let detail = match &e {
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                None
            }
            AppError::Duplicate { field } => Some(format!("{field} is already taken")),
            AppError::Conflict { detail, .. } => Some(detail.clone()),
            AppError::Quota(q) => Some(tr.t2(
                "error-quota-exceeded-detail",
                (
                    "resource",
                    tr.t(&format!(
                        "resource-{}",
                        q.resource.as_str().replace('_', "-")
                    )),
                ),
                ("limit", q.limit),
            )),
            _ => None,
        };
        let (fields, lines) = match e {
            AppError::Invalid(ref f) => (f.clone(), Vec::new()),
            AppError::Duplicate { field } => {
                (vec![FieldError::new(field, Rule::Reserved)], Vec::new())
            }
            AppError::ZoneFile(ref errors) => (
                errors.iter().map(|z| z.error.clone()).collect(),
                errors.iter().map(|z| z.line).collect(),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        Self {
            tr,
            code: e.code(),
            detail,
            fields,
            lines,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = problem_body(&self.tr, self.code, self.detail, &self.fields);
        // Zone-file errors also say which line, in `line` and the message.
        if let Some(errors) = body.get_mut("errors").and_then(|e| e.as_array_mut()) {
            for ((error, line), field) in errors.iter_mut().zip(&self.lines).zip(&self.fields) {
                error["line"] = serde_json::Value::from(*line);
                error["message"] = serde_json::Value::String(line_message(&self.tr, *line, field));
            }
        }
        let mut res = (status(self.code), axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        if self.code == ErrorCode::Unauthenticated {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"konbit\""),
            );
        }
        res
    }
}

/// Unknown paths: problem+json under the API, a page elsewhere.
pub async fn not_found(uri: Uri, headers: axum::http::HeaderMap) -> Response {
    unrouted(uri, headers, ErrorCode::NotFound)
}

/// A known path asked with a method it does not answer.
pub async fn method_not_allowed(uri: Uri, headers: axum::http::HeaderMap) -> Response {
    unrouted(uri, headers, ErrorCode::MethodNotAllowed)
}

fn unrouted(uri: Uri, headers: axum::http::HeaderMap, code: ErrorCode) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = crate::context::cookie(&headers, "konbit_lang");
    let tr = Tr::new(negotiate(None, lang, accept));
    if uri.path().starts_with("/api/") {
        ApiError::new(crate::api::tr_from_headers(&headers), code, None).into_response()
    } else {
        PanelError::new(tr, code).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::model::Locale;

    /// Every field of the mail forms has a label in each language, so an
    /// error on it names it (`field-<name>`), never shows a raw id.
    #[test]
    fn mail_form_errors_name_their_field() {
        let fields = [
            "address",
            "domain",
            "alias_domain",
            "password",
            "password_confirm",
            "quota_mb",
            "source",
            "destinations",
            "subject",
            "body",
            "start_date",
            "end_date",
            "current_password",
            "new_password",
            "enabled",
            "mail",
        ];
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            for field in fields {
                let id = format!("field-{}", field.replace('_', "-"));
                assert!(tr.has(&id), "{locale:?} lacks {id}");
                let message = field_message(&tr, &FieldError::new(field, Rule::Required));
                assert!(
                    message.starts_with(&tr.t(&id)) && !message.contains("field-"),
                    "{locale:?}: {message}"
                );
            }
        }
    }
}
