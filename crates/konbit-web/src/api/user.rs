//! `/api/v1/users` (people) and `/api/v1/accounts/{id}/members`.

use super::account::created;
use super::dto::{
    AddMemberBody, CreateUserBody, PageOf, PersonDto, Problem, RoleBody, UpdateUserBody,
};
use super::{ApiCtx, ApiJson, Id, ListQuery};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use konbit_app::AppError;
use konbit_app::user::{AddPerson, NewAdmin, UpdatePerson};
use konbit_core::model::{AccountId, Locale, Role, UserId};
use konbit_core::{FieldError, Rule};

fn parse_role(s: &str) -> Result<Role, AppError> {
    Role::parse(s).ok_or_else(|| AppError::invalid(FieldError::new("role", Rule::UnknownChoice)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(("page" = Option<u32>, Query), ("per_page" = Option<u32>, Query),
           ("account_id" = Option<i64>, Query, description = "only the people of this account; required unless you are an admin")),
    responses((status = 200, body = PageOf<PersonDto>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: ListQuery,
) -> Result<Json<PageOf<PersonDto>>, ApiError> {
    let page = s
        .app
        .users()
        .list(&ctx.actor, q.account_id.map(AccountId), q.page)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserBody,
    description = "Creates a person (admins only). To add someone to an account, use `/accounts/{id}/members`.",
    responses((status = 201, body = PersonDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<Response, ApiError> {
    let input = NewAdmin {
        email: body.email,
        display_name: body.display_name,
        password: body.password,
    };
    let p = s
        .app
        .users()
        .create(&ctx.actor, input, body.is_admin)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(created(
        format!("/api/v1/users/{}", p.id),
        PersonDto::from(p),
    ))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = PersonDto), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<PersonDto>, ApiError> {
    let p = s
        .app
        .users()
        .get(&ctx.actor, UserId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(p.into()))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UpdateUserBody,
    responses((status = 200, body = PersonDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<UpdateUserBody>,
) -> Result<Json<PersonDto>, ApiError> {
    let locale = match body.locale.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(l) => Some(Some(Locale::parse(l).ok_or_else(|| {
            ctx.error(AppError::invalid(FieldError::new(
                "locale",
                Rule::UnknownChoice,
            )))
        })?)),
    };
    let input = UpdatePerson {
        display_name: body.display_name,
        locale,
        is_admin: body.is_admin,
    };
    let p = s
        .app
        .users()
        .update(&ctx.actor, UserId(id), input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(p.into()))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .users()
        .delete(&ctx.actor, UserId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users", description = "The person the token acts for.",
    responses((status = 200, body = PersonDto), (status = 401, body = Problem)))]
pub async fn me(State(s): State<AppState>, ctx: ApiCtx) -> Result<Json<PersonDto>, ApiError> {
    let id = ctx
        .actor
        .user_id
        .ok_or_else(|| ctx.error(konbit_core::Denied::Unauthenticated.into()))?;
    let p = s
        .app
        .users()
        .get(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(p.into()))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/members", tag = "accounts", params(("id" = i64, Path), ("page" = Option<u32>, Query), ("per_page" = Option<u32>, Query)),
    responses((status = 200, body = PageOf<PersonDto>), (status = 404, body = Problem)))]
pub async fn list_members(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    q: ListQuery,
) -> Result<Json<PageOf<PersonDto>>, ApiError> {
    let page = s
        .app
        .users()
        .list(&ctx.actor, Some(AccountId(id)), q.page)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/members", tag = "accounts", params(("id" = i64, Path)), request_body = AddMemberBody,
    description = "Adds a person to the account (owners and admins), creating them if no one has this address.",
    responses((status = 201, body = PersonDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_member(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<AddMemberBody>,
) -> Result<Response, ApiError> {
    let role = parse_role(&body.role).map_err(|e| ctx.error(e))?;
    let input = AddPerson {
        email: body.email,
        display_name: body.display_name.unwrap_or_default(),
        password: body.password.unwrap_or_default(),
        role,
    };
    let p = s
        .app
        .users()
        .add_to_account(&ctx.actor, AccountId(id), input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(created(
        format!("/api/v1/accounts/{id}/members/{}", p.id),
        PersonDto::from(p),
    ))
}

#[utoipa::path(patch, path = "/api/v1/accounts/{id}/members/{user_id}", tag = "accounts", params(("id" = i64, Path), ("user_id" = i64, Path)), request_body = RoleBody,
    responses((status = 200, body = PersonDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn set_member_role(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, user_id)): Id<(i64, i64)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<PersonDto>, ApiError> {
    let role = parse_role(&body.role).map_err(|e| ctx.error(e))?;
    let p = s
        .app
        .users()
        .set_role(&ctx.actor, AccountId(id), UserId(user_id), role)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(p.into()))
}

#[utoipa::path(delete, path = "/api/v1/accounts/{id}/members/{user_id}", tag = "accounts", params(("id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_member(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, user_id)): Id<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    s.app
        .users()
        .remove_from_account(&ctx.actor, AccountId(id), UserId(user_id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
