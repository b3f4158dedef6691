//! Websites: `/api/v1/sites` (a host name of one of the account's domains,
//! serving static files, PHP, a redirect or a local application), their
//! certificates (`/api/v1/certificates` for every one, to watch expiry) and
//! logs, and `/api/v1/accounts/{id}/disk-usage`. Sites are named by their
//! id. Scopes `sites:read` and `sites:write`.

use super::account::created;
use super::domain::account_id;
use super::dto::{ListOf, Problem};
use super::site_dto::{CertificateDto, CreateSiteBody, DiskUsageDto, SiteDto, UpdateSiteBody};
use super::{ApiCtx, ApiJson, Id, QueryParams};
use crate::AppState;
use crate::error::{ApiError, problem_body};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::site::LogKind;
use konbit_core::{Denied, ErrorCode, FieldError, Rule};

/// How many lines of a log are shown when `lines` is left out.
const DEFAULT_LOG_LINES: usize = 100;

/// `?account=&deleted=` of the site list.
pub struct SiteListQuery {
    account: Option<String>,
    deleted: bool,
}

impl FromRequestParts<AppState> for SiteListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let q = QueryParams::of(parts);
        Ok(Self {
            account: q.text("account"),
            deleted: matches!(q.text("deleted").as_deref(), Some("true" | "1")),
        })
    }
}

/// `?lines=` of a log tail; a value that is not a number is a 400.
pub struct LogQuery {
    lines: Option<usize>,
}

impl FromRequestParts<AppState> for LogQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            lines: QueryParams::of(parts).number("lines")?,
        })
    }
}

/// A failed site change. As any API error, except that a 422 names the
/// fields as the API's bodies do (`type` for the service's `kind`) and
/// words them with the site form's labels (the site's "other names", not
/// mail aliases).
pub struct SiteProblem(ApiError);

impl SiteProblem {
    fn of(ctx: &ApiCtx, e: AppError) -> Self {
        Self(ctx.error(e))
    }

    /// The field as the API's bodies call it.
    fn api_name(field: &'static str) -> &'static str {
        match field {
            "kind" => "type",
            other => other,
        }
    }

    /// The field whose label the message uses.
    fn label(field: &'static str) -> &'static str {
        match field {
            "aliases" => "site_aliases",
            "kind" => "site_kind",
            other => other,
        }
    }
}

impl IntoResponse for SiteProblem {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.code != ErrorCode::InvalidInput || e.fields.is_empty() {
            return e.into_response();
        }
        let labelled: Vec<FieldError> = e
            .fields
            .iter()
            .map(|f| FieldError::new(Self::label(f.field), f.rule.clone()))
            .collect();
        let mut body = problem_body(&e.tr, e.code, e.detail, &labelled);
        if let Some(errors) = body.get_mut("errors").and_then(|v| v.as_array_mut()) {
            for (error, f) in errors.iter_mut().zip(&e.fields) {
                error["field"] = serde_json::Value::from(Self::api_name(f.field));
            }
        }
        let status =
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(body),
        )
            .into_response()
    }
}

/// A name in another account's domain is, to this caller, in none of
/// theirs: the same 422 as for a name in no domain at all, which does not
/// tell that the domain is hosted here (as the panel's form does).
fn not_yours(e: AppError) -> AppError {
    match e {
        AppError::NotFound | AppError::Denied(Denied::NotFound) => {
            AppError::Invalid(vec![FieldError::new("host", Rule::HostOutsideAccount)])
        }
        other => other,
    }
}

#[utoipa::path(get, path = "/api/v1/sites", tag = "sites",
    description = "The websites of the accounts the caller may see, by host, each with its certificate. Needs `sites:read`.",
    params(("account" = Option<String>, Query, description = "one account's sites: its name, or its id (404 if you may not see it)"),
           ("deleted" = Option<bool>, Query, description = "list deleted (restorable) sites instead")),
    responses((status = 200, body = ListOf<SiteDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: SiteListQuery,
) -> Result<Json<ListOf<SiteDto>>, ApiError> {
    let account = match q.account.as_deref() {
        Some(a) => Some(account_id(&s, &ctx, a).await?),
        None => None,
    };
    let items = s
        .app
        .sites()
        .list(&ctx.actor, account, q.deleted)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(ListOf {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/sites", tag = "sites", request_body = CreateSiteBody,
    description = "Adds a website, within the account's quota of sites. The host decides the account: the one whose domain holds it. A host in no domain of an account you may manage (another account's included, without saying it is hosted here) is refused with the `host_outside_account` rule. Every name is checked, so what reaches the web server's configuration never holds `;`, braces, quotes, `$`, spaces, control characters or `..`; `errors[]` names the field (`host`, `aliases`, `type`, `root`, `redirect_to`, `proxy_port`, `force_https`, `hsts`) and the rule. A name another site already serves: `duplicate_site_name`. The site is `pending` until the web server has it; its certificate is ordered then. Needs `sites:write`.",
    responses((status = 201, body = SiteDto, headers(("Location" = String, description = "the new site's URL"))),
              (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 409, body = Problem, description = "`quota_exceeded`, or the account is locked"),
              (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateSiteBody>,
) -> Result<Response, SiteProblem> {
    let v = s
        .app
        .sites()
        .create(&ctx.actor, body.into_input())
        .await
        .map_err(|e| SiteProblem::of(&ctx, not_yours(e)))?;
    Ok(created(
        format!("/api/v1/sites/{}", v.site.id.0),
        SiteDto::from(v),
    ))
}

#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "sites",
    params(("id" = i64, Path)),
    description = "A website with its certificate. A deleted site is shown until it is purged.",
    responses((status = 200, body = SiteDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SiteDto>, ApiError> {
    let v = s
        .app
        .sites()
        .get(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(patch, path = "/api/v1/sites/{id}", tag = "sites",
    params(("id" = i64, Path)), request_body = UpdateSiteBody,
    description = "Changes what a site serves, with the same checks as creating one. The host stays (a `host` field is a 400); what is left out stays as it is, and `aliases` replaces the list. Changing the names orders a new certificate. Needs `sites:write`.",
    responses((status = 200, body = SiteDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<UpdateSiteBody>,
) -> Result<Json<SiteDto>, SiteProblem> {
    let sites = s.app.sites();
    let current = sites
        .get(&ctx.actor, id)
        .await
        .map_err(|e| SiteProblem::of(&ctx, e))?;
    let input = body.merge(&current.site);
    let v = sites
        .update(&ctx.actor, id, input)
        .await
        .map_err(|e| SiteProblem::of(&ctx, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(delete, path = "/api/v1/sites/{id}", tag = "sites",
    params(("id" = i64, Path)),
    description = "Soft delete: the site is no longer served and its certificate goes; its settings and names are kept, and it can be restored, until `purge_after`. Its files stay in the account's home. Needs `sites:write`.",
    responses((status = 200, body = SiteDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SiteDto>, ApiError> {
    let sites = s.app.sites();
    sites
        .delete(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    let v = sites.get(&ctx.actor, id).await.map_err(|e| ctx.error(e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(post, path = "/api/v1/sites/{id}/restore", tag = "sites",
    params(("id" = i64, Path)),
    description = "Serves a deleted site again, as it was. Needs `sites:write`.",
    responses((status = 200, body = SiteDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "not deleted")))]
pub async fn restore(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SiteDto>, ApiError> {
    let v = s
        .app
        .sites()
        .restore(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(post, path = "/api/v1/sites/{id}/enable", tag = "sites",
    params(("id" = i64, Path)),
    description = "Serves a disabled site again (and orders its certificate, if it asks for one). Needs `sites:write`.",
    responses((status = 200, body = SiteDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn enable(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SiteDto>, ApiError> {
    let v = s
        .app
        .sites()
        .set_enabled(&ctx.actor, id, true)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(post, path = "/api/v1/sites/{id}/disable", tag = "sites",
    params(("id" = i64, Path)),
    description = "Stops serving a site; its settings and files stay. Needs `sites:write`.",
    responses((status = 200, body = SiteDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn disable(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SiteDto>, ApiError> {
    let v = s
        .app
        .sites()
        .set_enabled(&ctx.actor, id, false)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(get, path = "/api/v1/sites/{id}/certificate", tag = "sites",
    params(("id" = i64, Path)),
    description = "The site's certificate: its status, the names it covers, its validity (unix seconds and RFC 3339), the last error and when a failed order is tried again. 404 when the site asks for none (or is disabled or deleted). Needs `sites:read`.",
    responses((status = 200, body = CertificateDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn certificate(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<CertificateDto>, ApiError> {
    let v = s
        .app
        .sites()
        .get(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    let Some(c) = v.certificate else {
        return Err(ApiError::new(
            ctx.tr,
            ErrorCode::NotFound,
            Some("this site asks for no certificate".into()),
        ));
    };
    Ok(Json(CertificateDto::new(c, &v.site, konbit_app::now())))
}

#[utoipa::path(post, path = "/api/v1/sites/{id}/certificate/renew", tag = "sites",
    params(("id" = i64, Path)),
    description = "Orders the site's certificate again now (after fixing its DNS, say), whatever its expiry. Refused with `conflict` when the site asks for none, or is disabled or deleted. Needs `sites:write`.",
    responses((status = 200, body = SiteDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn renew_certificate(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SiteDto>, ApiError> {
    let v = s
        .app
        .sites()
        .renew_certificate(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(get, path = "/api/v1/certificates", tag = "sites",
    description = "Every certificate of the sites the caller may see, with its site's host: to watch expiry (`not_after`, `days_left`) and failures (`status`, `last_error`). Needs `sites:read`.",
    params(("account" = Option<String>, Query, description = "one account's certificates: its name, or its id (404 if you may not see it)")),
    responses((status = 200, body = ListOf<CertificateDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn certificates(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: SiteListQuery,
) -> Result<Json<ListOf<CertificateDto>>, ApiError> {
    let account = match q.account.as_deref() {
        Some(a) => Some(account_id(&s, &ctx, a).await?),
        None => None,
    };
    let sites = s
        .app
        .sites()
        .list(&ctx.actor, account, false)
        .await
        .map_err(|e| ctx.error(e))?;
    let now = konbit_app::now();
    Ok(Json(ListOf {
        items: sites
            .into_iter()
            .filter_map(|v| {
                let site = v.site;
                v.certificate.map(|c| CertificateDto::new(c, &site, now))
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/sites/{id}/logs/{kind}", tag = "sites",
    params(("id" = i64, Path), ("kind" = String, Path, description = "`access` or `error`"),
           ("lines" = Option<u32>, Query, description = "how many of the last lines, 1–2000 (default 100)")),
    description = "The end of the site's access or error log, as written by the web server (`text/plain`; empty before the first request). Bytes that are not UTF-8 are shown replaced. 409 when site logs are not set up on this server. Needs `sites:read`.",
    responses((status = 200, content_type = "text/plain", body = String), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn logs(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, kind)): Id<(i64, String)>,
    q: LogQuery,
) -> Result<Response, ApiError> {
    let Some(kind) = LogKind::parse(&kind) else {
        return Err(ctx.error(AppError::NotFound));
    };
    let text = s
        .app
        .sites()
        .log_tail(&ctx.actor, id, kind, q.lines.unwrap_or(DEFAULT_LOG_LINES))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/disk-usage", tag = "sites",
    params(("id" = String, Path, description = "the account's id or name")),
    description = "The disk the account's files use (its home, sites included), as last measured, and its quota. Needs `sites:read`.",
    responses((status = 200, body = DiskUsageDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn disk_usage(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(account): Id<String>,
) -> Result<Json<DiskUsageDto>, ApiError> {
    let account = account_id(&s, &ctx, &account).await?;
    let usage = s
        .app
        .sites()
        .disk_usage(&ctx.actor, account)
        .await
        .map_err(|e| ctx.error(e))?;
    // The service has checked the caller may see the account.
    let mut tx = s.app.store.read().await.map_err(|e| ctx.error(e.into()))?;
    let limits = tx
        .account_limits(account)
        .await
        .map_err(|e| ctx.error(e.into()))?;
    Ok(Json(DiskUsageDto::new(account.0, usage, limits.disk_mb)))
}
