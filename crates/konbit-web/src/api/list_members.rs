//! A list's people and moderation queue: `/api/v1/lists/{id}/members`,
//! `/staff`, `/held` and `/requests`. They live in Mailman and are read and
//! changed there while the caller waits: when Mailman does not answer the
//! call is a 503 (`service_unavailable`), and a list Mailman does not have
//! yet a 409 (`list_not_ready`). Scopes `lists:read` and `lists:write`.

use super::dto::{PageOf, Problem};
use super::list::write_scope;
use super::list_members_dto::{
    AddressesBody, BulkOutcomeDto, DecisionBody, HeldPostDto, HeldPostTextDto, PendingDto,
    StaffBody, StaffDto, SubscriberDto,
};
use super::{ApiCtx, ApiJson, Id, ListQuery};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use konbit_app::list_server::StaffRole;
use konbit_core::ErrorCode;
use konbit_core::names::EmailAddress;

#[utoipa::path(get, path = "/api/v1/lists/{id}/members", tag = "lists", params(("id" = i64, Path),
        ("page" = Option<u32>, Query, description = "from 1"),
        ("per_page" = Option<u32>, Query, description = "1 to 200, 50 by default")),
    description = "The list's subscribers, by address. Needs `lists:read`.",
    responses((status = 200, body = PageOf<SubscriberDto>), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "the list is deleted, not set up on the list server yet (`list_not_ready`), or lists are not set up on this server"),
              (status = 503, body = Problem, description = "the list server does not answer")))]
pub async fn members(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    q: ListQuery,
) -> Result<Json<PageOf<SubscriberDto>>, ApiError> {
    let (_, page) = s
        .app
        .lists()
        .subscribers(&ctx.actor, id, q.page.page, q.page.per_page)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(PageOf {
        items: page.subscribers.into_iter().map(Into::into).collect(),
        page: q.page.page,
        per_page: q.page.per_page,
        total: page.total,
    }))
}

#[utoipa::path(post, path = "/api/v1/lists/{id}/members", tag = "lists", params(("id" = i64, Path)),
    request_body = AddressesBody,
    description = "Subscribes pasted addresses at once, one per line (`alice@example.org` or `Alice Martin <alice@example.org>`), without asking them to confirm: the list's managers vouch for them. Good lines are subscribed even when others are wrong: the answer says, address by address, what was `done`, what was `unchanged` (already subscribed), what `failed` and why, and which `bad_lines` are not addresses, each with its number, field, rule and message. A paste of more than 10,000 lines is a 422. Needs `lists:write`.",
    responses((status = 200, body = BulkOutcomeDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "the list is deleted, not set up on the list server yet, or lists are not set up on this server"),
              (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn subscribe(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<AddressesBody>,
) -> Result<Json<BulkOutcomeDto>, ApiError> {
    write_scope(&ctx)?;
    let out = s
        .app
        .lists()
        .subscribe_pasted(&ctx.actor, id, &body.addresses)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(BulkOutcomeDto::new(&ctx.tr, out)))
}

#[utoipa::path(post, path = "/api/v1/lists/{id}/members/remove", tag = "lists", params(("id" = i64, Path)),
    request_body = AddressesBody,
    description = "Unsubscribes pasted addresses at once, one per line, without a notice; `unchanged` are those that were not subscribers. Same answer as subscribing. Needs `lists:write`.",
    responses((status = 200, body = BulkOutcomeDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn unsubscribe(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<AddressesBody>,
) -> Result<Json<BulkOutcomeDto>, ApiError> {
    write_scope(&ctx)?;
    let out = s
        .app
        .lists()
        .unsubscribe_pasted(&ctx.actor, id, &body.addresses)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(BulkOutcomeDto::new(&ctx.tr, out)))
}

#[utoipa::path(delete, path = "/api/v1/lists/{id}/members/{address}", tag = "lists",
    params(("id" = i64, Path), ("address" = String, Path)),
    description = "Unsubscribes one address at once, without a notice. 404 when it is not a subscriber. Needs `lists:write`.",
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn remove_member(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, address)): Id<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    write_scope(&ctx)?;
    // Only a bare address: the paste syntax would let one path name many.
    let Ok(address) = EmailAddress::parse("address", &address) else {
        return Err(ApiError::new(ctx.tr, ErrorCode::NotFound, None));
    };
    let out = s
        .app
        .lists()
        .unsubscribe_pasted(&ctx.actor, id, address.as_str())
        .await
        .map_err(|e| ctx.error(e))?;
    if let Some((_, reason)) = out.failed.into_iter().next() {
        return Err(ctx.error(konbit_app::AppError::conflict(reason)));
    }
    if out.done.is_empty() {
        return Err(ApiError::new(ctx.tr, ErrorCode::NotFound, None));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/lists/{id}/members.csv", tag = "lists", params(("id" = i64, Path)),
    description = "Every subscriber as CSV (`address,name,delivery`), every cell quoted; a cell a spreadsheet would run as a formula starts with `'`. Needs `lists:read`.",
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 503, body = Problem)))]
pub async fn export(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Response, ApiError> {
    let (list, csv) = s
        .app
        .lists()
        .export_csv(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    // The address is checked ASCII (`name@domain`): safe in a header.
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-members.csv\"",
        list.address()
    ))
    .unwrap_or(HeaderValue::from_static(
        "attachment; filename=\"members.csv\"",
    ));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/lists/{id}/staff", tag = "lists", params(("id" = i64, Path)),
    description = "The list's owners (they get its notices) and moderators (they decide on held messages and requests). Needs `lists:read`.",
    responses((status = 200, body = Vec<StaffDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn staff(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<Vec<StaffDto>>, ApiError> {
    let staff = s
        .app
        .lists()
        .staff(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(staff.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/lists/{id}/staff", tag = "lists", params(("id" = i64, Path)),
    request_body = StaffBody,
    description = "Makes an address an owner or a moderator of the list (nothing changes if it already is); answers with the staff. The list's own addresses are refused (`list_address_taken`). Needs `lists:write`.",
    responses((status = 200, body = Vec<StaffDto>), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn add_staff(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<StaffBody>,
) -> Result<Json<Vec<StaffDto>>, ApiError> {
    write_scope(&ctx)?;
    let lists = s.app.lists();
    lists
        .add_staff(&ctx.actor, id, body.role.into(), &body.address)
        .await
        .map_err(|e| ctx.error(e))?;
    let staff = lists
        .staff(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(staff.into_iter().map(Into::into).collect()))
}

#[utoipa::path(delete, path = "/api/v1/lists/{id}/staff/{role}/{address}", tag = "lists",
    params(("id" = i64, Path), ("role" = String, Path, description = "`owner` or `moderator`"), ("address" = String, Path)),
    description = "Takes the role away from the address; 404 when it did not have it. Needs `lists:write`.",
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn remove_staff(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, role, address)): Id<(i64, String, String)>,
) -> Result<StatusCode, ApiError> {
    write_scope(&ctx)?;
    let role = match role.as_str() {
        "owner" => StaffRole::Owner,
        "moderator" => StaffRole::Moderator,
        _ => return Err(ApiError::new(ctx.tr, ErrorCode::NotFound, None)),
    };
    s.app
        .lists()
        .remove_staff(&ctx.actor, id, role, &address)
        .await
        .map_err(|e| match e {
            // A path that is not an address names nothing.
            konbit_app::AppError::Invalid(_) => ApiError::new(ctx.tr, ErrorCode::NotFound, None),
            e => ctx.error(e),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/lists/{id}/held", tag = "lists", params(("id" = i64, Path)),
    description = "The messages held for a moderator, oldest first: from someone who may not post, or to a moderated list. Needs `lists:read`.",
    responses((status = 200, body = Vec<HeldPostDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn held(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<Vec<HeldPostDto>>, ApiError> {
    let (_, held) = s
        .app
        .lists()
        .held(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(held.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/lists/{id}/held/{request}", tag = "lists",
    params(("id" = i64, Path), ("request" = u64, Path)),
    description = "One held message with its headers and body as text (at most 64 KiB), to decide on it; 404 when it was decided meanwhile. The text is the sender's: escape it before showing it. Needs `lists:read`.",
    responses((status = 200, body = HeldPostTextDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn held_post(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, request)): Id<(i64, u64)>,
) -> Result<Json<HeldPostTextDto>, ApiError> {
    let post = s
        .app
        .lists()
        .held_post(&ctx.actor, id, request)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(post.into()))
}

#[utoipa::path(post, path = "/api/v1/lists/{id}/held/{request}", tag = "lists",
    params(("id" = i64, Path), ("request" = u64, Path)), request_body = DecisionBody,
    description = "Decides on a held message: `approve` posts it to the list, `reject` refuses it and tells the sender (with `reason` when given), `discard` drops it silently. 404 when it was decided meanwhile. Needs `lists:write`.",
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem)))]
pub async fn moderate(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, request)): Id<(i64, u64)>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<StatusCode, ApiError> {
    write_scope(&ctx)?;
    s.app
        .lists()
        .moderate(&ctx.actor, id, request, body.moderation())
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/lists/{id}/requests", tag = "lists", params(("id" = i64, Path)),
    description = "Subscriptions waiting for a moderator (on a list whose `subscription` is `moderate`). Needs `lists:read`.",
    responses((status = 200, body = Vec<PendingDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn requests(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<Vec<PendingDto>>, ApiError> {
    let pending = s
        .app
        .lists()
        .pending(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(pending.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/lists/{id}/requests/{token}", tag = "lists",
    params(("id" = i64, Path), ("token" = String, Path)), request_body = DecisionBody,
    description = "Decides on a subscription request: `approve` subscribes the person, `reject` tells them (with `reason` when given), `discard` drops it silently. 404 when it was decided meanwhile. Needs `lists:write`.",
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id((id, token)): Id<(i64, String)>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<StatusCode, ApiError> {
    write_scope(&ctx)?;
    s.app
        .lists()
        .decide(&ctx.actor, id, &token, body.request_decision())
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
