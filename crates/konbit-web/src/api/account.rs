//! `/api/v1/accounts`: the co-op's member groups.

use super::dto::{AccountDto, CreateAccountBody, LockBody, PageOf, Problem, UpdateAccountBody};
use super::{ApiCtx, ApiJson, Id, ListQuery, OptionalJson};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use konbit_app::account::{CreateAccount, OwnerInput, UpdateAccount};
use konbit_core::model::AccountId;
use konbit_store::AccountFilter;

pub(super) fn created<T: serde::Serialize>(location: String, body: T) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts",
    params(("page" = Option<u32>, Query), ("per_page" = Option<u32>, Query, description = "1–200, default 50"),
           ("q" = Option<String>, Query, description = "search in name and display name"),
           ("deleted" = Option<bool>, Query, description = "list deleted (restorable) accounts instead")),
    responses((status = 200, body = PageOf<AccountDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: ListQuery,
) -> Result<Json<PageOf<AccountDto>>, ApiError> {
    let filter = AccountFilter {
        search: q.q,
        deleted: q.deleted,
        ..Default::default()
    };
    let page = s
        .app
        .accounts()
        .list(&ctx.actor, filter, q.page)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = CreateAccountBody,
    responses((status = 201, body = AccountDto), (status = 400, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateAccountBody>,
) -> Result<Response, ApiError> {
    let input = CreateAccount {
        name: body.name,
        display_name: body.display_name,
        quota_profile_id: body.quota_profile_id,
        owner: body.owner.map(|o| OwnerInput {
            email: o.email,
            display_name: o.display_name.unwrap_or_default(),
            password: o.password.unwrap_or_default(),
        }),
    };
    let account = s
        .app
        .accounts()
        .create(&ctx.actor, input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(created(
        format!("/api/v1/accounts/{}", account.id),
        AccountDto::from(account),
    ))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountDto), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<AccountDto>, ApiError> {
    let a = s
        .app
        .accounts()
        .get(&ctx.actor, AccountId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(a.into()))
}

#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)), request_body = UpdateAccountBody,
    responses((status = 200, body = AccountDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<UpdateAccountBody>,
) -> Result<Json<AccountDto>, ApiError> {
    let input = UpdateAccount {
        display_name: body.display_name,
        quota_profile_id: body.quota_profile_id,
    };
    let a = s
        .app
        .accounts()
        .update(&ctx.actor, AccountId(id), input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(a.into()))
}

#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = i64, Path)),
    description = "Soft delete: the account can be restored until `purge_after`.",
    responses((status = 200, body = AccountDto), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<AccountDto>, ApiError> {
    let a = s
        .app
        .accounts()
        .delete(&ctx.actor, AccountId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(a.into()))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/lock", tag = "accounts", params(("id" = i64, Path)), request_body = Option<LockBody>,
    responses((status = 200, body = AccountDto), (status = 404, body = Problem)))]
pub async fn lock(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    OptionalJson(body): OptionalJson<LockBody>,
) -> Result<Json<AccountDto>, ApiError> {
    let reason = body.and_then(|b| b.reason).unwrap_or_default();
    let a = s
        .app
        .accounts()
        .set_locked(&ctx.actor, AccountId(id), Some(reason))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(a.into()))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountDto), (status = 404, body = Problem)))]
pub async fn unlock(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<AccountDto>, ApiError> {
    let a = s
        .app
        .accounts()
        .set_locked(&ctx.actor, AccountId(id), None)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(a.into()))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/restore", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = AccountDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn restore(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<AccountDto>, ApiError> {
    let a = s
        .app
        .accounts()
        .restore(&ctx.actor, AccountId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(a.into()))
}
