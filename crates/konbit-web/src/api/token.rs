//! `/api/v1/tokens`: the caller's own API tokens.

use super::account::created;
use super::dto::{CreateTokenBody, CreatedTokenDto, ListOf, Problem, TokenDto};
use super::{ApiCtx, ApiJson, Id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use konbit_app::token::CreateToken;
use konbit_core::model::TokenId;

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = ListOf<TokenDto>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
) -> Result<Json<ListOf<TokenDto>>, ApiError> {
    let items = s
        .app
        .tokens()
        .list(&ctx.actor)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(ListOf {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateTokenBody,
    description = "A token can only be given scopes its creator's token already has.",
    responses((status = 201, body = CreatedTokenDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateTokenBody>,
) -> Result<Response, ApiError> {
    let input = CreateToken {
        name: body.name,
        scopes: body.scopes,
        expires_in_days: body.expires_in_days,
        account_id: body.account_id,
    };
    let t = s
        .app
        .tokens()
        .create(&ctx.actor, input)
        .await
        .map_err(|e| ctx.error(e))?;
    let id = t.token.id;
    Ok(created(
        format!("/api/v1/tokens/{id}"),
        CreatedTokenDto {
            token: t.token.into(),
            secret: t.secret,
        },
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .tokens()
        .revoke(&ctx.actor, TokenId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
