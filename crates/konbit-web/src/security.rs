//! Middleware every response passes through: security headers, and the
//! cross-origin check that refuses a state-changing request made by another
//! site's page (the first of two CSRF defences; the per-form token is the
//! second).

use crate::AppState;
use crate::error::PanelError;
use crate::i18n::{Tr, negotiate};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use konbit_core::ErrorCode;

/// No script at all, styles only from us, no framing, forms only to us.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let too_large = res.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        if !h.contains_key(&k) {
            h.insert(k, HeaderValue::from_static(v));
        }
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    // Pages can show secrets (a new token) and personal data: never cache.
    set(h, header::CACHE_CONTROL, "no-store");
    if state.web.secure_cookies {
        set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    // A refused oversized body is left unread on the socket, so the server
    // drops the connection; saying so keeps clients from reusing it.
    if too_large {
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a request comes from our own pages (or from no browser at all).
pub fn same_origin(req_headers: &axum::http::HeaderMap, public_origin: &str) -> bool {
    if let Some(site) = req_headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        return matches!(site, "same-origin" | "none");
    }
    match req_headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(origin) => {
            if origin == public_origin {
                return true;
            }
            // Also accept the origin the request was addressed to, so the
            // panel works under each name the operator serves it on.
            let host = req_headers.get(header::HOST).and_then(|v| v.to_str().ok());
            match (url::Url::parse(origin), host) {
                (Ok(o), Some(host)) => {
                    let o_host = match (o.host_str(), o.port()) {
                        (Some(h), Some(p)) => format!("{h}:{p}"),
                        (Some(h), None) => h.to_owned(),
                        _ => return false,
                    };
                    o_host.eq_ignore_ascii_case(host)
                }
                _ => false,
            }
        }
    }
}

/// Outlook's autodiscover, which mail programs post from anywhere. It is
/// the one panel request exempt from the origin check: its handler reads no
/// cookie and changes nothing, so a cross-site post of it gains nothing.
pub const AUTODISCOVER_PATH: &str = "/autodiscover/autodiscover.xml";

/// Whether an unsafe request needs no same-origin check: the API (bearer
/// tokens, never cookies, so a forged cross-site request has nothing to
/// ride on) and the autodiscover POST, by exact method and path.
fn exempt(method: &Method, path: &str) -> bool {
    path.starts_with("/api/") || (*method == Method::POST && path == AUTODISCOVER_PATH)
}

pub async fn origin_check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_unsafe(req.method())
        && !exempt(req.method(), req.uri().path())
        && !same_origin(req.headers(), &state.web.public_origin)
    {
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let tr = Tr::new(negotiate(None, None, accept));
        return PanelError::new(tr, ErrorCode::CsrfRejected).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn only_the_api_and_autodiscover_skip_the_origin_check() {
        assert!(exempt(&Method::POST, "/api/v1/accounts"));
        assert!(exempt(&Method::POST, "/autodiscover/autodiscover.xml"));
        for (m, p) in [
            (Method::POST, "/autodiscover/autodiscover.xml/"),
            (Method::POST, "/autodiscover/Autodiscover.xml"),
            (
                Method::POST,
                "/autodiscover/autodiscover.xml/../../mail/password",
            ),
            (Method::PUT, "/autodiscover/autodiscover.xml"),
            (Method::POST, "/mail/password"),
            (Method::POST, "/login"),
        ] {
            assert!(!exempt(&m, p), "{m} {p}");
        }
    }

    #[test]
    fn origin_rules() {
        let o = "https://panel.coop.example";
        assert!(same_origin(&h(&[]), o));
        assert!(same_origin(&h(&[("sec-fetch-site", "same-origin")]), o));
        assert!(!same_origin(
            &h(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://panel.coop.example")
            ]),
            o
        ));
        assert!(!same_origin(&h(&[("sec-fetch-site", "same-site")]), o));
        assert!(same_origin(
            &h(&[("origin", "https://panel.coop.example")]),
            o
        ));
        assert!(!same_origin(&h(&[("origin", "https://evil.example")]), o));
        assert!(!same_origin(&h(&[("origin", "null")]), o));
        assert!(same_origin(
            &h(&[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080")
            ]),
            o
        ));
        assert!(!same_origin(
            &h(&[
                ("origin", "http://127.0.0.1:9999"),
                ("host", "127.0.0.1:8080")
            ]),
            o
        ));
    }
}
