//! Members' databases: `/api/v1/databases`, named by id, with their users.
//! Scopes `databases:read` and `databases:write`. Only a password Konbit
//! generated is ever shown, once; verifiers never are.

use super::account::created;
use super::dto::{ListOf, Problem};
use super::hosting_dto::{
    CreateDatabaseBody, CreateDatabaseUserBody, DatabaseDto, HostingProblem, Labels, PasswordBody,
};
use super::sftp::AccountQuery;
use super::{ApiCtx, ApiJson, Id};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

#[utoipa::path(get, path = "/api/v1/databases", tag = "databases",
    description = "The databases of the accounts the caller may see, with their users, connection details and sizes. Needs `databases:read`.",
    params(("account" = Option<String>, Query, description = "one account's databases: its name, or its id"),
           ("deleted" = Option<bool>, Query, description = "list deleted (restorable) databases instead")),
    responses((status = 200, body = ListOf<DatabaseDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: AccountQuery,
) -> Result<Json<ListOf<DatabaseDto>>, HostingProblem> {
    let account = q.account(&s, &ctx).await?;
    let items = s
        .app
        .databases()
        .list(&ctx.actor, account, q.deleted)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    Ok(Json(ListOf {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/databases", tag = "databases", request_body = CreateDatabaseBody,
    description = "Adds a database and its own user, both named `<account>_<suffix>`, within the account's quota. Without a password Konbit makes one and returns it once. Names are lowercase letters, digits and `_` (`db_name_format`), passwords refuse quotes, backslash, backtick and whitespace (`unsafe_character`): nothing a person types reaches the server's SQL. A name already used on that engine: `name_taken`. Needs `databases:write`.",
    responses((status = 201, body = DatabaseDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`quota_exceeded`, or the account is locked"),
              (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateDatabaseBody>,
) -> Result<Response, HostingProblem> {
    let v = s
        .app
        .databases()
        .create(&ctx.actor, body.into_input())
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    Ok(created(
        format!("/api/v1/databases/{}", v.database.id.0),
        DatabaseDto::from(v),
    ))
}

#[utoipa::path(get, path = "/api/v1/databases/{id}", tag = "databases", params(("id" = i64, Path)),
    responses((status = 200, body = DatabaseDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<DatabaseDto>, HostingProblem> {
    let v = s
        .app
        .databases()
        .get(&ctx.actor, id)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(delete, path = "/api/v1/databases/{id}", tag = "databases", params(("id" = i64, Path)),
    description = "Dumps the database, then drops it with its users; the dump is kept, and the database can be restored from it, until `purge_after`. Needs `databases:write`.",
    responses((status = 200, body = DatabaseDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<DatabaseDto>, HostingProblem> {
    let dbs = s.app.databases();
    dbs.delete(&ctx.actor, id)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    let v = dbs
        .get(&ctx.actor, id)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(post, path = "/api/v1/databases/{id}/restore", tag = "databases", params(("id" = i64, Path)),
    description = "Brings a deleted database back from its final dump, with its users. Needs `databases:write`.",
    responses((status = 200, body = DatabaseDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "not deleted, or over quota")))]
pub async fn restore(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<DatabaseDto>, HostingProblem> {
    let v = s
        .app
        .databases()
        .restore(&ctx.actor, id)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(post, path = "/api/v1/databases/{id}/users", tag = "databases", params(("id" = i64, Path)),
    request_body = CreateDatabaseUserBody,
    description = "Adds a user `<account>_<suffix>` with read-write (rows only) or read-only rights on this database alone. Needs `databases:write`.",
    responses((status = 201, body = DatabaseDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn add_user(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<CreateDatabaseUserBody>,
) -> Result<Response, HostingProblem> {
    let v = s
        .app
        .databases()
        .add_user(&ctx.actor, id, body.into_input())
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::DatabaseUser, e))?;
    Ok(created(
        format!("/api/v1/databases/{id}"),
        DatabaseDto::from(v),
    ))
}

#[utoipa::path(delete, path = "/api/v1/databases/{id}/users/{user}", tag = "databases",
    params(("id" = i64, Path), ("user" = i64, Path)),
    description = "Removes an extra user (the database's own user goes only with the database). Needs `databases:write`.",
    responses((status = 200, body = DatabaseDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_user(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, user)): Id<(i64, i64)>,
) -> Result<Json<DatabaseDto>, HostingProblem> {
    let v = s
        .app
        .databases()
        .delete_user(&ctx.actor, id, user)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(post, path = "/api/v1/databases/{id}/users/{user}/password", tag = "databases",
    params(("id" = i64, Path), ("user" = i64, Path)), request_body = PasswordBody,
    description = "Sets a user's password; without one Konbit makes one and returns it once. Needs `databases:write`.",
    responses((status = 200, body = DatabaseDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_password(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, user)): Id<(i64, i64)>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Json<DatabaseDto>, HostingProblem> {
    let v = s
        .app
        .databases()
        .set_password(&ctx.actor, id, user, &body.password)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(get, path = "/api/v1/databases/{id}/dump", tag = "databases", params(("id" = i64, Path)),
    description = "The final dump (SQL) of a deleted database, until it is purged. Needs `databases:read`.",
    responses((status = 200, content_type = "application/sql", body = String), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dump(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Response, HostingProblem> {
    let dbs = s.app.databases();
    let path = dbs
        .dump_path(&ctx.actor, id)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    let v = dbs
        .get(&ctx.actor, id)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Database, e))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ctx.error(konbit_app::AppError::NotFound))?;
    let disposition = format!(
        "attachment; filename=\"{}-{}.sql\"",
        v.database.engine, v.database.name
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/sql".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
