//! SFTP accounts: `/api/v1/sftp-accounts`, named by id. Scopes `sftp:read`
//! and `sftp:write`. Password hashes are never shown.

use super::account::created;
use super::domain::account_id;
use super::dto::{ListOf, Problem};
use super::hosting_dto::{CreateSftpBody, HostingProblem, Labels, SftpAccountDto, UpdateSftpBody};
use super::{ApiCtx, ApiJson, Id, QueryParams};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;

/// `?account=` of a list.
pub struct AccountQuery {
    pub(super) account: Option<String>,
    pub(super) deleted: bool,
}

impl FromRequestParts<AppState> for AccountQuery {
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

impl AccountQuery {
    pub(super) async fn account(
        &self,
        s: &AppState,
        ctx: &ApiCtx,
    ) -> Result<Option<konbit_core::model::AccountId>, ApiError> {
        match self.account.as_deref() {
            Some(a) => Ok(Some(account_id(s, ctx, a).await?)),
            None => Ok(None),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/sftp-accounts", tag = "sftp",
    description = "The SFTP logins of the accounts the caller may see, by login. Needs `sftp:read`.",
    params(("account" = Option<String>, Query, description = "one account's logins: its name, or its id")),
    responses((status = 200, body = ListOf<SftpAccountDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: AccountQuery,
) -> Result<Json<ListOf<SftpAccountDto>>, HostingProblem> {
    let account = q.account(&s, &ctx).await?;
    let items = s
        .app
        .sftp()
        .list(&ctx.actor, account)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Sftp, e))?;
    Ok(Json(ListOf {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/sftp-accounts", tag = "sftp", request_body = CreateSftpBody,
    description = "Adds an SFTP login `<account>_<suffix>`, chrooted to `dir` in the account's home, within the account's quota. It needs a password, an SSH key, or both (`needs_password_or_key`). Keys are OpenSSH public keys (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa of 2048 bits or more). Every value is checked before it reaches the SFTP server's files; `errors[]` names the field (`login`, `dir`, `password`, `keys`) and the rule. The login works within a second of being `applied`. Needs `sftp:write`.",
    responses((status = 201, body = SftpAccountDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`quota_exceeded`, SFTP not set up, or the account is locked"),
              (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateSftpBody>,
) -> Result<Response, HostingProblem> {
    let v = s
        .app
        .sftp()
        .create(&ctx.actor, body.into_input())
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Sftp, e))?;
    Ok(created(
        format!("/api/v1/sftp-accounts/{}", v.sftp.id.0),
        SftpAccountDto::from(v),
    ))
}

#[utoipa::path(get, path = "/api/v1/sftp-accounts/{id}", tag = "sftp", params(("id" = i64, Path)),
    responses((status = 200, body = SftpAccountDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SftpAccountDto>, HostingProblem> {
    let v = s
        .app
        .sftp()
        .get(&ctx.actor, id)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Sftp, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(patch, path = "/api/v1/sftp-accounts/{id}", tag = "sftp", params(("id" = i64, Path)),
    request_body = UpdateSftpBody,
    description = "Changes the directory, replaces the keys, sets or removes the password; what is left out stays. Needs `sftp:write`.",
    responses((status = 200, body = SftpAccountDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<UpdateSftpBody>,
) -> Result<Json<SftpAccountDto>, HostingProblem> {
    let v = s
        .app
        .sftp()
        .update(&ctx.actor, id, body.into_update())
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Sftp, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(delete, path = "/api/v1/sftp-accounts/{id}", tag = "sftp", params(("id" = i64, Path)),
    description = "Removes the login at once; the files it wrote stay in the account's home. Needs `sftp:write`.",
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<axum::http::StatusCode, HostingProblem> {
    s.app
        .sftp()
        .delete(&ctx.actor, id)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Sftp, e))?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn set_enabled(
    s: AppState,
    ctx: ApiCtx,
    id: i64,
    enabled: bool,
) -> Result<Json<SftpAccountDto>, HostingProblem> {
    let v = s
        .app
        .sftp()
        .set_enabled(&ctx.actor, id, enabled)
        .await
        .map_err(|e| HostingProblem::of(&ctx, Labels::Sftp, e))?;
    Ok(Json(v.into()))
}

#[utoipa::path(post, path = "/api/v1/sftp-accounts/{id}/enable", tag = "sftp", params(("id" = i64, Path)),
    description = "Lets the login in again. Needs `sftp:write`.",
    responses((status = 200, body = SftpAccountDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn enable(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SftpAccountDto>, HostingProblem> {
    set_enabled(s, ctx, id, true).await
}

#[utoipa::path(post, path = "/api/v1/sftp-accounts/{id}/disable", tag = "sftp", params(("id" = i64, Path)),
    description = "Refuses the login from now on; its settings and files stay. Needs `sftp:write`.",
    responses((status = 200, body = SftpAccountDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn disable(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<SftpAccountDto>, HostingProblem> {
    set_enabled(s, ctx, id, false).await
}
