//! `/api/v1/audit`: the audit log the caller may see (their accounts'
//! entries; everything for admins), as JSON pages or as CSV
//! (`/api/v1/audit.csv`, same filters, every matching entry).

use super::ApiCtx;
use super::dto::{PageOf, Problem};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use konbit_app::audit::{AuditQuery, csv, iso_time};
use konbit_core::page::PageRequest;
use konbit_store::AuditEntry;
use serde::Serialize;
use utoipa::ToSchema;

/// One audit entry. Secrets are never in `old_value` or `new_value`.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// The same time, ISO 8601 in UTC.
    #[schema(example = "2025-01-31T14:02:00Z")]
    pub time: String,
    /// The actor's e-mail address (with the token's name for API changes), `cli` or `system`.
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub token_id: Option<i64>,
    /// The admin who acted as the actor, if any.
    pub impersonator_user_id: Option<i64>,
    /// `panel`, `api`, `cli` or `system`.
    pub source: String,
    pub ip: Option<String>,
    #[schema(example = "account_updated")]
    pub action: String,
    /// `account`, `membership`, `user`, `api_token` or `quota_profile`.
    pub object_kind: String,
    pub object_id: String,
    pub account_id: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub old_value: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub new_value: Option<serde_json::Value>,
    /// The hash chain: this entry's hash and the previous one's (SHA-256, hex).
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl From<AuditEntry> for AuditEntryDto {
    fn from(e: AuditEntry) -> Self {
        let json = |s: Option<String>| {
            s.map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
        };
        Self {
            id: e.id,
            at: e.at,
            time: iso_time(e.at),
            actor: e.actor_label,
            actor_user_id: e.actor_user_id,
            token_id: e.token_id,
            impersonator_user_id: e.impersonator_user_id,
            source: e.source,
            ip: e.ip,
            action: e.action,
            object_kind: e.object_kind,
            object_id: e.object_id,
            account_id: e.account_id,
            old_value: json(e.old_value),
            new_value: json(e.new_value),
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// The query of both audit routes. Malformed numbers are a 400 problem;
/// bad dates or kinds a 422 problem naming the field.
pub struct AuditParams {
    page: PageRequest,
    query: AuditQuery,
}

impl FromRequestParts<AppState> for AuditParams {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let p = super::QueryParams::of(parts);
        let query = AuditQuery {
            account_id: p.number("account_id")?,
            actor_id: p.number("actor_id")?,
            kind: p.text("kind"),
            object_id: p.text("object_id"),
            actor: p.text("actor"),
            from: p.text("from"),
            to: p.text("to"),
        };
        Ok(Self {
            page: p.page()?,
            query,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    description = "The audit log, newest first: every change with who made it, from where and when, and the old and new values (secrets redacted). Members see the entries of their accounts; admins see everything, entries without an account included. Needs the `audit:read` scope. The same filters work on `/api/v1/audit.csv`.",
    params(("page" = Option<u32>, Query), ("per_page" = Option<u32>, Query, description = "1–200, default 50"),
           ("account_id" = Option<i64>, Query, description = "one account's entries (404 if you may not see it)"),
           ("kind" = Option<String>, Query, description = "object kind: account, membership, user, api_token or quota_profile"),
           ("object_id" = Option<String>, Query, description = "object id, with `kind`"),
           ("actor" = Option<String>, Query, description = "the actor's e-mail address"),
           ("actor_id" = Option<i64>, Query, description = "the actor's person id"),
           ("from" = Option<String>, Query, description = "first day, YYYY-MM-DD (UTC)"),
           ("to" = Option<String>, Query, description = "last day, YYYY-MM-DD (UTC), inclusive")),
    responses((status = 200, body = PageOf<AuditEntryDto>), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    p: AuditParams,
) -> Result<Json<PageOf<AuditEntryDto>>, ApiError> {
    let page = s
        .app
        .audit()
        .list(&ctx.actor, &p.query, p.page)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(page.into()))
}

#[utoipa::path(get, path = "/api/v1/audit.csv", tag = "audit",
    description = "The entries `/api/v1/audit` would list (all pages, up to 100,000), as CSV (RFC 4180) with a header row. Cells that start with `=`, `+`, `-` or `@` get a leading `'` so spreadsheets do not run them.",
    params(("account_id" = Option<i64>, Query), ("kind" = Option<String>, Query), ("object_id" = Option<String>, Query),
           ("actor" = Option<String>, Query), ("actor_id" = Option<i64>, Query),
           ("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD, inclusive")),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn export(
    State(s): State<AppState>,
    ctx: ApiCtx,
    p: AuditParams,
) -> Result<Response, ApiError> {
    let entries = s
        .app
        .audit()
        .export(&ctx.actor, &p.query)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(csv_response(&entries))
}

/// A CSV download, shared with the panel.
pub(crate) fn csv_response(entries: &[AuditEntry]) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"konbit-audit.csv\"",
            ),
        ],
        csv(entries),
    )
        .into_response()
}
