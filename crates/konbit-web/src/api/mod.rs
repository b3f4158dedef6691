//! REST API v1: JSON in and out, bearer tokens with scopes, RFC 9457
//! problems with a stable `code`, and an OpenAPI document generated from
//! the same handler annotations that register the routes.

mod account;
pub(crate) mod audit;
mod database;
mod domain;
mod domain_dto;
mod dto;
mod governance;
pub mod governance_dto;
mod hosting_dto;
mod list;
pub mod list_dto;
mod list_members;
pub mod list_members_dto;
mod mail;
mod mail_dto;
mod quota_profile;
mod sftp;
mod site;
mod site_dto;
mod token;
mod user;

use crate::error::ApiError;
use crate::i18n::{Tr, negotiate};
use crate::{AppState, RouteSpec};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use konbit_core::ErrorCode;
use konbit_core::authz::Actor;
use konbit_core::page::PageRequest;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use dto::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Konbit API",
        version = "1",
        description = "Manage a co-op's accounts, people, quota profiles, API tokens, domains and their DNS records, hosted mail, mailing lists, websites with their certificates, SFTP accounts and databases, and take part in its governance. Authenticate with `Authorization: Bearer <token>`; errors are RFC 9457 problem+json with a stable `code`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem)),
    tags(
        (name = "domains", description = "Domains (DNS zones served by the co-op's name servers), their records, DNSSEC and zone files. Scopes `domains:read` and `domains:write`."),
        (name = "mail", description = "Hosted mail: a domain's mail and DKIM keys, mailboxes (named by address) and aliases. Scopes `mail:read` and `mail:write`. Passwords are never shown, nor their hashes."),
        (name = "lists", description = "Mailing lists on the account's mail domains, served by Mailman: their address and settings (who may join, who may post, where replies go, DMARC munging, archives, digest, language); a deleted list keeps its subscribers and archive, and can be restored, during the grace period. Lists are named by their id. Scopes `lists:read` and `lists:write`."),
        (name = "sftp", description = "SFTP logins of an account, each chrooted to a directory of the account's home, by password, SSH key, or both. Scopes `sftp:read` and `sftp:write`. Password hashes are never shown."),
        (name = "databases", description = "Members' databases on MariaDB and PostgreSQL with their users, connection details and measured sizes; a deleted database is dumped first and can be restored from the dump during the grace period. Scopes `databases:read` and `databases:write`. Passwords are kept only as the server's own verifiers."),
        (name = "sites", description = "Websites: static files, PHP, a redirect or a local application behind a reverse proxy, under names of the account's domains, with HTTPS by ACME; their certificates, logs, and the disk the account's files use. Sites are named by their id. Scopes `sites:read` and `sites:write`. Private keys are never shown."),
        (name = "governance", description = "Co-op governance: bodies (the general assembly, the board, committees) with their decision rules as data, set by the admins; proposals from draft through discussion to a vote (yes/no, consent rounds, Schulze ranking, approval, time polls), with their comments, ballots tied to the hash of the text read, and platform actions (quota limits, admitting or locking an account, zone defaults) applied after the appeal window. Time moves a proposal on by itself: no route opens or closes a vote. Scopes `governance:read` and `governance:write`; voting is never done while an admin acts as a person. The decision log (`/api/v1/decisions`) is public: no credentials, hash-chained, with a route that verifies the chain.")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::list, account::create))
        .routes(routes!(account::get, account::update, account::delete))
        .routes(routes!(account::lock))
        .routes(routes!(account::unlock))
        .routes(routes!(account::restore))
        .routes(routes!(user::list_members, user::add_member))
        .routes(routes!(user::set_member_role, user::remove_member))
        .routes(routes!(user::list, user::create))
        .routes(routes!(user::get, user::update, user::delete))
        .routes(routes!(user::me))
        .routes(routes!(quota_profile::list, quota_profile::create))
        .routes(routes!(
            quota_profile::get,
            quota_profile::update,
            quota_profile::delete
        ))
        .routes(routes!(token::list, token::create))
        .routes(routes!(token::revoke))
        .routes(routes!(audit::list))
        .routes(routes!(audit::export))
        .routes(routes!(domain::list, domain::create))
        .routes(routes!(domain::get, domain::update, domain::delete))
        .routes(routes!(domain::restore))
        .routes(routes!(domain::list_records, domain::create_record))
        .routes(routes!(
            domain::get_record,
            domain::update_record,
            domain::delete_record
        ))
        .routes(domain::zone_routes())
        .routes(routes!(mail::mail_settings, mail::set_mail))
        .routes(routes!(mail::rotate_dkim))
        .routes(routes!(mail::list_mailboxes, mail::create_mailbox))
        .routes(routes!(
            mail::get_mailbox,
            mail::update_mailbox,
            mail::delete_mailbox
        ))
        .routes(routes!(mail::restore_mailbox))
        .routes(routes!(mail::set_mailbox_password))
        .routes(routes!(mail::set_autoreply))
        .routes(routes!(mail::list_aliases, mail::create_alias))
        .routes(routes!(
            mail::get_alias,
            mail::update_alias,
            mail::delete_alias
        ))
        .routes(routes!(list::list, list::create))
        .routes(routes!(list::get, list::update, list::delete))
        .routes(routes!(list::restore))
        .routes(routes!(list_members::members, list_members::subscribe))
        .routes(routes!(list_members::unsubscribe))
        .routes(routes!(list_members::remove_member))
        .routes(routes!(list_members::export))
        .routes(routes!(list_members::staff, list_members::add_staff))
        .routes(routes!(list_members::remove_staff))
        .routes(routes!(list_members::held))
        .routes(routes!(list_members::held_post, list_members::moderate))
        .routes(routes!(list_members::requests))
        .routes(routes!(list_members::decide))
        .routes(routes!(site::list, site::create))
        .routes(routes!(site::get, site::update, site::delete))
        .routes(routes!(site::restore))
        .routes(routes!(site::enable))
        .routes(routes!(site::disable))
        .routes(routes!(site::certificate))
        .routes(routes!(site::renew_certificate))
        .routes(routes!(site::certificates))
        .routes(routes!(site::logs))
        .routes(routes!(site::disk_usage))
        .routes(routes!(sftp::list, sftp::create))
        .routes(routes!(sftp::get, sftp::update, sftp::delete))
        .routes(routes!(sftp::enable))
        .routes(routes!(sftp::disable))
        .routes(routes!(database::list, database::create))
        .routes(routes!(database::get, database::delete))
        .routes(routes!(database::restore))
        .routes(routes!(database::add_user))
        .routes(routes!(database::delete_user))
        .routes(routes!(database::set_password))
        .routes(routes!(database::dump))
        .routes(routes!(governance::bodies, governance::create_body))
        .routes(routes!(governance::body, governance::update_body))
        .routes(routes!(governance::proposals, governance::create_proposal))
        .routes(routes!(governance::proposal, governance::edit_proposal))
        .routes(routes!(governance::start_discussion))
        .routes(routes!(governance::withdraw))
        .routes(routes!(governance::roll_back))
        .routes(routes!(governance::retry_apply))
        .routes(routes!(governance::appeal))
        .routes(routes!(governance::settle_appeal))
        .routes(routes!(governance::comments, governance::add_comment))
        .routes(routes!(governance::cast_ballot))
        .routes(routes!(governance::preview))
        .routes(routes!(governance::decisions))
        .routes(routes!(governance::verify_decisions))
        .routes(routes!(governance::decision))
}

/// The routes an OpenAPI document declares.
pub fn specs(doc: &utoipa::openapi::OpenApi) -> Vec<RouteSpec> {
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (method, present) in ops {
            if present {
                out.push(RouteSpec {
                    method: method.into(),
                    path: path.clone(),
                });
            }
        }
    }
    out
}

/// API messages follow `Accept-Language`; without it they are in English,
/// the language of the API's field names and codes.
pub(crate) fn tr_of(parts: &Parts) -> Tr {
    tr_from_headers(&parts.headers)
}

pub(crate) fn tr_from_headers(headers: &axum::http::HeaderMap) -> Tr {
    match headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(accept) => Tr::new(negotiate(None, None, Some(accept))),
        None => Tr::new(konbit_core::model::Locale::En),
    }
}

/// An authenticated API caller. Only bearer tokens are accepted: a cookie
/// never authenticates an API call, so there is nothing for CSRF to abuse.
pub struct ApiCtx {
    pub actor: Actor,
    pub tr: Tr,
}

impl ApiCtx {
    pub fn error(&self, e: konbit_app::AppError) -> ApiError {
        ApiError::from_app(self.tr, e)
    }
}

impl FromRequestParts<AppState> for ApiCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let tr = tr_of(parts);
        let unauthenticated = || {
            ApiError::new(
                tr,
                ErrorCode::Unauthenticated,
                Some("send `Authorization: Bearer <token>`".into()),
            )
        };
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unauthenticated)?;
        let (scheme, token) = header.split_once(' ').ok_or_else(unauthenticated)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() || token.len() > 512 {
            return Err(unauthenticated());
        }
        let ip = crate::context::client_info(parts).ip;
        let actor = state
            .app
            .auth()
            .token_actor(token, ip)
            .await
            .map_err(|e| ApiError::from_app(tr, e))?
            .ok_or_else(|| {
                ApiError::new(
                    tr,
                    ErrorCode::Unauthenticated,
                    Some("the token is unknown, expired or revoked".into()),
                )
            })?;
        Ok(ApiCtx { actor, tr })
    }
}

/// A JSON body: `application/json` only, size-limited, and a parse error is
/// a 400 problem that says what is wrong, never a 500.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let tr = tr_of(&parts);
        let is_json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let mime = ct.split(';').next().unwrap_or("").trim();
                mime.eq_ignore_ascii_case("application/json")
            });
        if !is_json {
            return Err(ApiError::new(
                tr,
                ErrorCode::UnsupportedMediaType,
                Some("send `Content-Type: application/json`".into()),
            ));
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|r| {
                if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        tr,
                        ErrorCode::PayloadTooLarge,
                        Some(format!(
                            "the body is larger than {} bytes",
                            crate::MAX_BODY_BYTES
                        )),
                    )
                } else {
                    ApiError::new(tr, ErrorCode::MalformedBody, None)
                }
            })?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::new(tr, ErrorCode::MalformedBody, Some(e.to_string())))
    }
}

/// Path parameters; a malformed one (`/accounts/abc`) is a 404 problem,
/// like any id that names nothing.
pub struct Id<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Id<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Id(v)),
            Err(_) => Err(ApiError::new(tr_of(parts), ErrorCode::NotFound, None)),
        }
    }
}

/// A JSON body that may be left out entirely (an empty body is `None`).
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned> FromRequest<AppState> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            == Some("0")
            || (!req.headers().contains_key(header::CONTENT_LENGTH)
                && !req.headers().contains_key(header::TRANSFER_ENCODING));
        if empty {
            return Ok(Self(None));
        }
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|j| Self(Some(j.0)))
    }
}

/// `?page=&per_page=&q=&deleted=` for list endpoints; bad numbers are a 400
/// problem, not a silent default.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub page: PageRequest,
    pub q: Option<String>,
    pub deleted: bool,
    pub account_id: Option<i64>,
}

/// The query string of an API request: numbers that do not parse are a
/// 400 problem naming the parameter, never a silent default.
pub(crate) struct QueryParams {
    pairs: Vec<(String, String)>,
    tr: Tr,
}

impl QueryParams {
    pub(crate) fn of(parts: &Parts) -> Self {
        let raw = parts.uri.query().unwrap_or("");
        let pairs = url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect();
        Self {
            pairs,
            tr: tr_of(parts),
        }
    }

    /// A text value; empty counts as absent.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.trim().is_empty())
    }

    pub(crate) fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.pairs.iter().rev().find(|(k, _)| k == name) {
            None => Ok(None),
            Some((_, v)) => v.parse::<T>().map(Some).map_err(|_| {
                ApiError::new(
                    self.tr,
                    ErrorCode::MalformedBody,
                    Some(format!("`{name}` must be a positive integer")),
                )
            }),
        }
    }

    pub(crate) fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(
            self.number("page")?,
            self.number("per_page")?,
        ))
    }
}

impl FromRequestParts<AppState> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let q = QueryParams::of(parts);
        Ok(ListQuery {
            page: q.page()?,
            q: q.text("q"),
            deleted: matches!(q.text("deleted").as_deref(), Some("true" | "1")),
            account_id: q.number("account_id")?,
        })
    }
}
