//! `/api/v1/domains`: an account's domains (DNS zones), their records,
//! and their zone files. Paths name a domain by its name, ASCII or
//! Unicode (`café.example` or `xn--caf-dma.example`).

use super::account::created;
use super::domain_dto::{
    CreateDomainBody, DomainDetailDto, DomainDto, RecordBody, RecordDto, UpdateDomainBody,
    ZoneImportBody, ZoneImportDto,
};
use super::dto::{ListOf, PageOf, Problem};
use super::{ApiCtx, ApiJson, Id, QueryParams};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::domain::{CreateDomain, DomainQuery, UpdateDomain};
use konbit_core::ErrorCode;
use konbit_core::model::{AccountId, ObjectStatus, RecordId};
use konbit_core::names::Fqdn;
use konbit_core::page::PageRequest;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

/// A zone file can be much larger than the other bodies the API reads. The
/// body may be twice the largest zone file, for JSON's escapes, so a file
/// just over that size gets the zone-file error that says so.
pub(super) const ZONE_BODY_BYTES: usize = 2 * konbit_core::dns::zonefile::MAX_ZONE_FILE_BYTES;

/// The zone-file routes, with their own body limit.
pub(super) fn zone_routes() -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method_router) = routes!(export_zone, import_zone);
    (
        schemas,
        paths,
        method_router.layer(DefaultBodyLimit::max(ZONE_BODY_BYTES)),
    )
}

/// Resolves an account given by name or by id. An account name always
/// starts with a letter, so a number is an id. An unknown name becomes an
/// id no account has: the service then answers as for any account the
/// caller may not see, after its own checks, so the answer never tells a
/// caller without the scope which names exist.
pub(super) async fn account_id(
    s: &AppState,
    ctx: &ApiCtx,
    account: &str,
) -> Result<AccountId, ApiError> {
    let account = account.trim();
    if let Ok(id) = account.parse::<i64>() {
        return Ok(AccountId(id));
    }
    let mut tx = s.app.store.read().await.map_err(|e| ctx.error(e.into()))?;
    match tx.account_by_name(account).await {
        Ok(a) => Ok(a.id),
        Err(konbit_store::StoreError::NotFound) => Ok(AccountId(0)),
        Err(e) => Err(ctx.error(e.into())),
    }
}

/// The domain named in a path, for the `fqdn` of its records. The service
/// has already found it, so the name is valid.
fn zone(ctx: &ApiCtx, name: &str) -> Result<Fqdn, ApiError> {
    Fqdn::parse("name", name, 1).map_err(|_| ctx.error(AppError::NotFound))
}

/// `?page=&per_page=&q=&deleted=&account=` of the domain list.
pub struct DomainListQuery {
    page: PageRequest,
    q: Option<String>,
    deleted: bool,
    account: Option<String>,
}

impl FromRequestParts<AppState> for DomainListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let q = QueryParams::of(parts);
        Ok(Self {
            page: q.page()?,
            q: q.text("q"),
            deleted: matches!(q.text("deleted").as_deref(), Some("true" | "1")),
            account: q.text("account"),
        })
    }
}

#[utoipa::path(get, path = "/api/v1/domains", tag = "domains",
    description = "The domains of the accounts the caller may see, by name. Needs the `domains:read` scope.",
    params(("page" = Option<u32>, Query), ("per_page" = Option<u32>, Query, description = "1–200, default 50"),
           ("q" = Option<String>, Query, description = "search in the name"),
           ("deleted" = Option<bool>, Query, description = "list deleted (restorable) domains instead"),
           ("account" = Option<String>, Query, description = "one account's domains: its name, or its id (404 if you may not see it)")),
    responses((status = 200, body = PageOf<DomainDto>), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: DomainListQuery,
) -> Result<Json<PageOf<DomainDto>>, ApiError> {
    let account = match q.account.as_deref() {
        Some(a) => Some(account_id(&s, &ctx, a).await?),
        None => None,
    };
    let query = DomainQuery {
        account,
        deleted: q.deleted,
        search: q.q,
    };
    let page = s
        .app
        .domains()
        .list(&ctx.actor, query, q.page)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/domains", tag = "domains", request_body = CreateDomainBody,
    description = "Adds a domain to an account, within its quota. The zone starts with the co-op's name servers (and mail records with `mail`) and is signed unless `dnssec` is false. A name that another account hosts, or that sits above or below one of its domains, is refused with `domain_taken`. Needs `domains:write`.",
    responses((status = 201, body = DomainDto, headers(("Location" = String, description = "the new domain's URL"))),
              (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem, description = "no such account, or one you may not see"),
              (status = 409, body = Problem, description = "`duplicate`, `domain_taken` or `quota_exceeded`"),
              (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateDomainBody>,
) -> Result<Response, ApiError> {
    let account = account_id(&s, &ctx, &body.account).await?;
    let input = CreateDomain {
        account_id: account.0,
        name: body.name,
        alias_of: body.alias_of,
        dnssec: body.dnssec,
        mail: body.mail,
    };
    let d = s
        .app
        .domains()
        .create(&ctx.actor, input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(created(
        format!("/api/v1/domains/{}", d.name),
        DomainDto::from(d),
    ))
}

#[utoipa::path(get, path = "/api/v1/domains/{name}", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode")),
    description = "A domain with its records (each with its own status), the DS records for the registrar and the co-op's name servers.",
    responses((status = 200, body = DomainDetailDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
) -> Result<Json<DomainDetailDto>, ApiError> {
    let d = s
        .app
        .domains()
        .get(&ctx.actor, &name)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(d.into()))
}

#[utoipa::path(patch, path = "/api/v1/domains/{name}", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode")), request_body = UpdateDomainBody,
    responses((status = 200, body = DomainDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
    ApiJson(body): ApiJson<UpdateDomainBody>,
) -> Result<Json<DomainDto>, ApiError> {
    let d = s
        .app
        .domains()
        .update(
            &ctx.actor,
            &name,
            UpdateDomain {
                dnssec: body.dnssec,
            },
        )
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(d.into()))
}

#[utoipa::path(delete, path = "/api/v1/domains/{name}", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode")),
    description = "Soft delete: the name servers stop serving the zone; it can be restored until `purge_after`, and nobody else may take the name meanwhile. A domain whose aliases are live is refused with `domain_in_use`.",
    responses((status = 200, body = DomainDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
) -> Result<Json<DomainDto>, ApiError> {
    let d = s
        .app
        .domains()
        .delete(&ctx.actor, &name)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(d.into()))
}

#[utoipa::path(post, path = "/api/v1/domains/{name}/restore", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode")),
    responses((status = 200, body = DomainDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "not deleted, the aliased domain is deleted, or `quota_exceeded`")))]
pub async fn restore(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
) -> Result<Json<DomainDto>, ApiError> {
    let d = s
        .app
        .domains()
        .restore(&ctx.actor, &name)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(d.into()))
}

#[utoipa::path(get, path = "/api/v1/domains/{name}/records", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode")),
    description = "Every record of the zone (for an alias: those of the domain it serves).",
    responses((status = 200, body = ListOf<RecordDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list_records(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
) -> Result<Json<ListOf<RecordDto>>, ApiError> {
    let d = s
        .app
        .domains()
        .get(&ctx.actor, &name)
        .await
        .map_err(|e| ctx.error(e))?;
    let zone = d.domain.name;
    Ok(Json(ListOf {
        items: d
            .records
            .into_iter()
            .map(|r| RecordDto::from_view(r, &zone))
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/domains/{name}/records", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode")), request_body = RecordBody,
    description = "Adds a record, checked alone (`errors[].rule` says what is wrong with the value) and against the zone: `cname_at_apex`, `cname_not_alone`, `duplicate_record`… An alias has no records of its own: `domain_is_alias`.",
    responses((status = 201, body = RecordDto, headers(("Location" = String, description = "the new record's URL"))),
              (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_record(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
    ApiJson(body): ApiJson<RecordBody>,
) -> Result<Response, ApiError> {
    let row = s
        .app
        .domains()
        .add_record(&ctx.actor, &name, body.into())
        .await
        .map_err(|e| ctx.error(e))?;
    let zone = zone(&ctx, &name)?;
    let location = format!("/api/v1/domains/{zone}/records/{}", row.id);
    // A record just written belongs to a generation of the zone that the
    // name servers do not serve yet.
    Ok(created(
        location,
        RecordDto::new(row, ObjectStatus::Pending, &zone),
    ))
}

#[utoipa::path(get, path = "/api/v1/domains/{name}/records/{id}", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode"), ("id" = i64, Path)),
    responses((status = 200, body = RecordDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn get_record(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((name, id)): Id<(String, i64)>,
) -> Result<Json<RecordDto>, ApiError> {
    let r = s
        .app
        .domains()
        .record(&ctx.actor, &name, RecordId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    let zone = zone(&ctx, &name)?;
    Ok(Json(RecordDto::from_view(r, &zone)))
}

#[utoipa::path(put, path = "/api/v1/domains/{name}/records/{id}", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode"), ("id" = i64, Path)), request_body = RecordBody,
    description = "Replaces a record, with the same checks as adding one.",
    responses((status = 200, body = RecordDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn update_record(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((name, id)): Id<(String, i64)>,
    ApiJson(body): ApiJson<RecordBody>,
) -> Result<Json<RecordDto>, ApiError> {
    let row = s
        .app
        .domains()
        .update_record(&ctx.actor, &name, RecordId(id), body.into())
        .await
        .map_err(|e| ctx.error(e))?;
    let zone = zone(&ctx, &name)?;
    Ok(Json(RecordDto::new(row, ObjectStatus::Pending, &zone)))
}

#[utoipa::path(delete, path = "/api/v1/domains/{name}/records/{id}", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode"), ("id" = i64, Path)),
    description = "Removes a record. The apex keeps at least one NS record (`apex_needs_ns`).",
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn delete_record(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((name, id)): Id<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    s.app
        .domains()
        .delete_record(&ctx.actor, &name, RecordId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/domains/{name}/zone", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode")),
    description = "The zone as a BIND zone file (`text/dns`, RFC 4027), with its SOA. Importing it back changes nothing.",
    responses((status = 200, content_type = "text/dns", body = String), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn export_zone(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
) -> Result<Response, ApiError> {
    let text = s
        .app
        .domains()
        .export(&ctx.actor, &name)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(([(header::CONTENT_TYPE, "text/dns; charset=utf-8")], text).into_response())
}

#[utoipa::path(post, path = "/api/v1/domains/{name}/zone", tag = "domains",
    params(("name" = String, Path, description = "ASCII or Unicode")), request_body = ZoneImportBody,
    description = "Imports a BIND zone file (up to 1 MiB): the zone's records become the file's, in one change; the SOA, the apex NS set and DNSSEC records are skipped. With `dry_run`, only says what would change. A file with bad lines changes nothing: the 422 problem lists every one, with its `line` in `errors[]`.",
    responses((status = 200, body = ZoneImportDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import_zone(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
    body: Result<ApiJson<ZoneImportBody>, ApiError>,
) -> Result<Json<ZoneImportDto>, ApiError> {
    let ApiJson(body) = body.map_err(|mut e| {
        // This route reads larger bodies than the others.
        if e.code == ErrorCode::PayloadTooLarge {
            e.detail = Some(format!("the body is larger than {ZONE_BODY_BYTES} bytes"));
        }
        e
    })?;
    let domains = s.app.domains();
    let result = if body.dry_run {
        domains
            .import_preview(&ctx.actor, &name, &body.zone)
            .await
            .map(ZoneImportDto::from)
    } else {
        domains
            .import_apply(&ctx.actor, &name, &body.zone)
            .await
            .map(ZoneImportDto::from)
    };
    Ok(Json(result.map_err(|e| ctx.error(e))?))
}
