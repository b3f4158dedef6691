//! Mailing lists: `/api/v1/lists`, named by id. Scopes `lists:read` and
//! `lists:write`. Subscribers and held messages live in Mailman and are
//! not part of these routes.

use super::account::created;
use super::dto::{ListOf, Problem};
use super::list_dto::{CreateListBody, MailingListDto, UpdateListBody};
use super::sftp::AccountQuery;
use super::{ApiCtx, ApiJson, Id};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use konbit_core::Denied;
use konbit_core::authz::{Action, Target, authorize};
use konbit_core::model::{AccountId, MailingList};
use std::collections::HashMap;

/// The lists as the API shows them, with their accounts' names. The
/// service has already checked the caller may see each of them.
async fn dtos(
    s: &AppState,
    ctx: &ApiCtx,
    lists: Vec<MailingList>,
) -> Result<Vec<MailingListDto>, ApiError> {
    let mut tx = s.app.store.read().await.map_err(|e| ctx.error(e.into()))?;
    let names: HashMap<i64, String> = tx
        .account_names()
        .await
        .map_err(|e| ctx.error(e.into()))?
        .into_iter()
        .map(|(id, name)| (id.0, name.to_string()))
        .collect();
    Ok(lists
        .into_iter()
        .map(|l| {
            let account = names.get(&l.account_id.0).cloned().unwrap_or_default();
            MailingListDto::new(l, account)
        })
        .collect())
}

async fn dto(s: &AppState, ctx: &ApiCtx, list: MailingList) -> Result<MailingListDto, ApiError> {
    let mut tx = s.app.store.read().await.map_err(|e| ctx.error(e.into()))?;
    let account = tx
        .account(list.account_id)
        .await
        .map_err(|e| ctx.error(e.into()))?;
    Ok(MailingListDto::new(list, account.name.to_string()))
}

/// Refuses a caller who may never change a list (a token without
/// `lists:write`), whatever the list.
pub(super) fn write_scope(ctx: &ApiCtx) -> Result<(), ApiError> {
    match authorize(
        &ctx.actor,
        Action::ManageLists(AccountId(0)),
        Target::default(),
    ) {
        Ok(()) | Err(Denied::NotFound | Denied::AccountLocked) => Ok(()),
        Err(d) => Err(ctx.error(d.into())),
    }
}

#[utoipa::path(get, path = "/api/v1/lists", tag = "lists",
    description = "The mailing lists of the accounts the caller may see, by domain then name. Needs `lists:read`.",
    params(("account" = Option<String>, Query, description = "one account's lists: its name, or its id"),
           ("deleted" = Option<bool>, Query, description = "also list deleted (restorable) lists")),
    responses((status = 200, body = ListOf<MailingListDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: AccountQuery,
) -> Result<Json<ListOf<MailingListDto>>, ApiError> {
    let account = q.account(&s, &ctx).await?;
    let items = s
        .app
        .lists()
        .list(&ctx.actor, account, q.deleted)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(ListOf {
        items: dtos(&s, &ctx, items).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/lists", tag = "lists", request_body = CreateListBody,
    description = "Adds a mailing list `name@domain` on a domain of the account with mail on, within the account's quota. The list also takes Mailman's addresses beside its own (`name-bounces`, `-request`, `-owner`, `-join`, `-leave`, `-confirm`, `-subscribe`, `-unsubscribe`): none may be a mailbox's or an alias's (`list_address_taken`). Every value is checked before it reaches Mailman; `errors[]` names the field (`address`, `description`, `subscription`, `posting`, `reply_to`, `reply_to_address`, `language`) and the rule. Needs `lists:write`.",
    responses((status = 201, body = MailingListDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`quota_exceeded`, mail off for the domain, lists not set up on this server, or the account is locked"),
              (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateListBody>,
) -> Result<Response, ApiError> {
    let l = s
        .app
        .lists()
        .create(&ctx.actor, body.into_input())
        .await
        .map_err(|e| ctx.error(e))?;
    let location = format!("/api/v1/lists/{}", l.id.0);
    Ok(created(location, dto(&s, &ctx, l).await?))
}

#[utoipa::path(get, path = "/api/v1/lists/{id}", tag = "lists", params(("id" = i64, Path)),
    description = "A list, deleted or not. Needs `lists:read`.",
    responses((status = 200, body = MailingListDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<MailingListDto>, ApiError> {
    let l = s
        .app
        .lists()
        .get(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(dto(&s, &ctx, l).await?))
}

#[utoipa::path(patch, path = "/api/v1/lists/{id}", tag = "lists", params(("id" = i64, Path)),
    request_body = UpdateListBody,
    description = "Changes a list's settings; what is left out stays. The address is fixed. Needs `lists:write`.",
    responses((status = 200, body = MailingListDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "lists not set up on this server, or the account is locked"),
              (status = 422, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<UpdateListBody>,
) -> Result<Json<MailingListDto>, ApiError> {
    // A token that may only read is refused before the list is looked
    // up, so an unknown id gets the same 403 as a known one.
    write_scope(&ctx)?;
    let lists = s.app.lists();
    let current = lists.get(&ctx.actor, id).await.map_err(|e| ctx.error(e))?;
    let l = lists
        .update(&ctx.actor, id, body.apply_to(&current.settings))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(dto(&s, &ctx, l).await?))
}

#[utoipa::path(delete, path = "/api/v1/lists/{id}", tag = "lists", params(("id" = i64, Path)),
    description = "Stops the list's mail at once. Mailman keeps the list, with its subscribers and archive, and it can be restored, until `purge_after`. Needs `lists:write`.",
    responses((status = 200, body = MailingListDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<MailingListDto>, ApiError> {
    let lists = s.app.lists();
    lists
        .delete(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    let l = lists.get(&ctx.actor, id).await.map_err(|e| ctx.error(e))?;
    Ok(Json(dto(&s, &ctx, l).await?))
}

#[utoipa::path(post, path = "/api/v1/lists/{id}/restore", tag = "lists", params(("id" = i64, Path)),
    description = "Brings a deleted list back, with its subscribers and archive, during the grace period. Needs `lists:write`.",
    responses((status = 200, body = MailingListDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "the list is not deleted")))]
pub async fn restore(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<MailingListDto>, ApiError> {
    let l = s
        .app
        .lists()
        .restore(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(dto(&s, &ctx, l).await?))
}
