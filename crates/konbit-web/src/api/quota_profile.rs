//! `/api/v1/quota-profiles`: the limits admins give to accounts.

use super::account::created;
use super::dto::{ListOf, Problem, ProfileBody, QuotaProfileDto};
use super::{ApiCtx, ApiJson, Id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use konbit_app::quota_profile::ProfileInput;
use konbit_core::model::QuotaProfileId;

#[utoipa::path(get, path = "/api/v1/quota-profiles", tag = "quota-profiles",
    responses((status = 200, body = ListOf<QuotaProfileDto>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
) -> Result<Json<ListOf<QuotaProfileDto>>, ApiError> {
    let items = s
        .app
        .quota_profiles()
        .list(&ctx.actor)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(ListOf {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/quota-profiles", tag = "quota-profiles", request_body = ProfileBody,
    responses((status = 201, body = QuotaProfileDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<Response, ApiError> {
    let p = s
        .app
        .quota_profiles()
        .create(
            &ctx.actor,
            ProfileInput {
                name: body.name,
                limits: body.limits.into(),
            },
        )
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(created(
        format!("/api/v1/quota-profiles/{}", p.id),
        QuotaProfileDto::from(p),
    ))
}

#[utoipa::path(get, path = "/api/v1/quota-profiles/{id}", tag = "quota-profiles", params(("id" = i64, Path)),
    responses((status = 200, body = QuotaProfileDto), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<QuotaProfileDto>, ApiError> {
    let p = s
        .app
        .quota_profiles()
        .get(&ctx.actor, QuotaProfileId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(p.into()))
}

#[utoipa::path(put, path = "/api/v1/quota-profiles/{id}", tag = "quota-profiles", params(("id" = i64, Path)), request_body = ProfileBody,
    responses((status = 200, body = QuotaProfileDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<Json<QuotaProfileDto>, ApiError> {
    let p = s
        .app
        .quota_profiles()
        .update(
            &ctx.actor,
            QuotaProfileId(id),
            ProfileInput {
                name: body.name,
                limits: body.limits.into(),
            },
        )
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(p.into()))
}

#[utoipa::path(delete, path = "/api/v1/quota-profiles/{id}", tag = "quota-profiles", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "accounts still use it")))]
pub async fn delete(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .quota_profiles()
        .delete(&ctx.actor, QuotaProfileId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
