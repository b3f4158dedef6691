//! Hosted mail: `/api/v1/domains/{name}/mail` (turning a domain's mail on
//! and off, DKIM keys), `/api/v1/mailboxes` and `/api/v1/aliases`.
//! Mailboxes are named by their address, ASCII or Unicode
//! (`info@café.example` or `info@xn--caf-dma.example`); aliases by their id.
//! Scopes `mail:read` and `mail:write`.

use super::account::created;
use super::domain::account_id;
use super::dto::{ListOf, Problem};
use super::mail_dto::{
    AliasDto, AutoreplyBody, CreateAliasBody, CreateMailboxBody, MailSettingsDto, MailSwitchBody,
    MailboxDto, MailboxPasswordBody, UpdateAliasBody, UpdateMailboxBody,
};
use super::{ApiCtx, ApiJson, Id, QueryParams};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use konbit_app::mail_alias::{AliasQuery, CreateAlias};
use konbit_app::mailbox::{AutoreplyInput, CreateMailbox, MailboxQuery, UpdateMailbox};
use konbit_core::model::AccountId;

/// `?account=&domain=&deleted=` of the mailbox and alias lists.
pub struct MailListQuery {
    account: Option<String>,
    domain: Option<String>,
    deleted: bool,
}

impl FromRequestParts<AppState> for MailListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let q = QueryParams::of(parts);
        Ok(Self {
            account: q.text("account"),
            domain: q.text("domain"),
            deleted: matches!(q.text("deleted").as_deref(), Some("true" | "1")),
        })
    }
}

impl MailListQuery {
    async fn account(&self, s: &AppState, ctx: &ApiCtx) -> Result<Option<AccountId>, ApiError> {
        match self.account.as_deref() {
            Some(a) => Ok(Some(account_id(s, ctx, a).await?)),
            None => Ok(None),
        }
    }
}

// ------------------------------------------------------------ domain mail

#[utoipa::path(get, path = "/api/v1/domains/{name}/mail", tag = "mail",
    params(("name" = String, Path, description = "ASCII or Unicode")),
    description = "A domain's mail: whether it is on, its DKIM keys (the TXT records to publish, when the zone is not served here) and what mail programs connect to. Needs `mail:read`.",
    responses((status = 200, body = MailSettingsDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn mail_settings(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
) -> Result<Json<MailSettingsDto>, ApiError> {
    let m = s
        .app
        .mail_domains()
        .settings(&ctx.actor, &name)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(m.into()))
}

#[utoipa::path(put, path = "/api/v1/domains/{name}/mail", tag = "mail",
    params(("name" = String, Path, description = "ASCII or Unicode")), request_body = MailSwitchBody,
    description = "Turns a domain's mail on or off. On: a DKIM key is made if the domain has none, and the MX (when the co-op has a mail exchanger), SPF, DMARC and DKIM records are added to the zone, except where the zone already has its own. Off: the records mail added go, and the keys stay for next time; refused with `mail_in_use` while the domain has mailboxes or aliases. Asking for the state the domain is already in changes nothing. An alias domain shares its target's mail: `domain_is_alias`. Needs `mail:write`.",
    responses((status = 200, body = MailSettingsDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`mail_in_use` or `domain_is_alias`")))]
pub async fn set_mail(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
    ApiJson(body): ApiJson<MailSwitchBody>,
) -> Result<Json<MailSettingsDto>, ApiError> {
    let mail = s.app.mail_domains();
    let m = if body.enabled {
        mail.enable(&ctx.actor, &name).await
    } else {
        mail.disable(&ctx.actor, &name).await
    }
    .map_err(|e| ctx.error(e))?;
    Ok(Json(m.into()))
}

#[utoipa::path(post, path = "/api/v1/domains/{name}/mail/dkim/rotate", tag = "mail",
    params(("name" = String, Path, description = "ASCII or Unicode")),
    description = "Makes a new DKIM signing key. The previous key stays published, so mail signed just before still verifies; older keys are removed. Refused with `conflict` while mail is off. Needs `mail:write`.",
    responses((status = 200, body = MailSettingsDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn rotate_dkim(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(name): Id<String>,
) -> Result<Json<MailSettingsDto>, ApiError> {
    let m = s
        .app
        .mail_domains()
        .rotate_dkim(&ctx.actor, &name)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(m.into()))
}

// ---------------------------------------------------------------- mailboxes

#[utoipa::path(get, path = "/api/v1/mailboxes", tag = "mail",
    description = "The mailboxes of the accounts the caller may see, by address. Needs `mail:read`.",
    params(("account" = Option<String>, Query, description = "one account's mailboxes: its name, or its id (404 if you may not see it)"),
           ("domain" = Option<String>, Query, description = "one domain's mailboxes (ASCII or Unicode)"),
           ("deleted" = Option<bool>, Query, description = "list deleted (restorable) mailboxes instead")),
    responses((status = 200, body = ListOf<MailboxDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list_mailboxes(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: MailListQuery,
) -> Result<Json<ListOf<MailboxDto>>, ApiError> {
    let query = MailboxQuery {
        account: q.account(&s, &ctx).await?,
        domain: q.domain,
        deleted: q.deleted,
    };
    let items = s
        .app
        .mailboxes()
        .list(&ctx.actor, query)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(ListOf {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/mailboxes", tag = "mail", request_body = CreateMailboxBody,
    description = "Creates a mailbox at a domain with mail on, within the account's quota (mailboxes and mail storage). An address that is already an alias is refused with the `alias_is_mailbox` rule; `%`, `!` and control characters never make it into an address. The password is never shown again. Needs `mail:write`.",
    responses((status = 201, body = MailboxDto, headers(("Location" = String, description = "the new mailbox's URL"))),
              (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem, description = "no such domain, or one you may not see"),
              (status = 409, body = Problem, description = "`duplicate`, `quota_exceeded`, `domain_is_alias`, or mail is off"),
              (status = 422, body = Problem)))]
pub async fn create_mailbox(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateMailboxBody>,
) -> Result<Response, ApiError> {
    let input = CreateMailbox {
        address: body.address,
        password: body.password,
        quota_mb: body.quota_mb,
    };
    let m = s
        .app
        .mailboxes()
        .create(&ctx.actor, input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(created(
        format!("/api/v1/mailboxes/{}", m.mailbox.address),
        MailboxDto::from(m),
    ))
}

#[utoipa::path(get, path = "/api/v1/mailboxes/{address}", tag = "mail",
    params(("address" = String, Path, description = "ASCII or Unicode domain")),
    description = "A mailbox, with its automatic reply. A deleted mailbox is shown until it is purged.",
    responses((status = 200, body = MailboxDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn get_mailbox(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(address): Id<String>,
) -> Result<Json<MailboxDto>, ApiError> {
    let m = s
        .app
        .mailboxes()
        .get(&ctx.actor, &address)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(m.into()))
}

#[utoipa::path(patch, path = "/api/v1/mailboxes/{address}", tag = "mail",
    params(("address" = String, Path, description = "ASCII or Unicode domain")), request_body = UpdateMailboxBody,
    description = "Changes a mailbox's storage (a larger one within the account's quota) or disables it (its mail is kept). What is left out stays as it is.",
    responses((status = 200, body = MailboxDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`quota_exceeded`"), (status = 422, body = Problem)))]
pub async fn update_mailbox(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(address): Id<String>,
    ApiJson(body): ApiJson<UpdateMailboxBody>,
) -> Result<Json<MailboxDto>, ApiError> {
    let input = UpdateMailbox {
        quota_mb: body.quota_mb,
        enabled: body.enabled,
    };
    let m = s
        .app
        .mailboxes()
        .update(&ctx.actor, &address, input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(m.into()))
}

#[utoipa::path(delete, path = "/api/v1/mailboxes/{address}", tag = "mail",
    params(("address" = String, Path, description = "ASCII or Unicode domain")),
    description = "Soft delete: mail to the address is refused at once; the mailbox and its mail are kept, and can be restored, until `purge_after`.",
    responses((status = 200, body = MailboxDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn delete_mailbox(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(address): Id<String>,
) -> Result<Json<MailboxDto>, ApiError> {
    let m = s
        .app
        .mailboxes()
        .delete(&ctx.actor, &address)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(m.into()))
}

#[utoipa::path(post, path = "/api/v1/mailboxes/{address}/restore", tag = "mail",
    params(("address" = String, Path, description = "ASCII or Unicode domain")),
    responses((status = 200, body = MailboxDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "not deleted, or mail is off for the domain")))]
pub async fn restore_mailbox(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(address): Id<String>,
) -> Result<Json<MailboxDto>, ApiError> {
    let m = s
        .app
        .mailboxes()
        .restore(&ctx.actor, &address)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(m.into()))
}

#[utoipa::path(put, path = "/api/v1/mailboxes/{address}/password", tag = "mail",
    params(("address" = String, Path, description = "ASCII or Unicode domain")), request_body = MailboxPasswordBody,
    description = "Sets a new password for the mailbox. It is never shown again.",
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_mailbox_password(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(address): Id<String>,
    ApiJson(body): ApiJson<MailboxPasswordBody>,
) -> Result<StatusCode, ApiError> {
    s.app
        .mailboxes()
        .set_password(&ctx.actor, &address, &body.password)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/mailboxes/{address}/autoreply", tag = "mail",
    params(("address" = String, Path, description = "ASCII or Unicode domain")), request_body = AutoreplyBody,
    description = "Sets the mailbox's automatic reply, or turns it off (`enabled: false`, the text is kept). The fields named in errors are `subject`, `body`, `start_date` and `end_date` (`date_order` when the end is before the start).",
    responses((status = 200, body = MailboxDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_autoreply(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(address): Id<String>,
    ApiJson(body): ApiJson<AutoreplyBody>,
) -> Result<Json<MailboxDto>, ApiError> {
    let input = AutoreplyInput {
        enabled: body.enabled,
        subject: body.subject,
        body: body.body,
        start_date: body.start_date.unwrap_or_default(),
        end_date: body.end_date.unwrap_or_default(),
    };
    let m = s
        .app
        .mailboxes()
        .set_autoreply(&ctx.actor, &address, input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(m.into()))
}

// ---------------------------------------------------------------- aliases

#[utoipa::path(get, path = "/api/v1/aliases", tag = "mail",
    description = "The aliases (and catch-alls) of the accounts the caller may see. Needs `mail:read`.",
    params(("account" = Option<String>, Query, description = "one account's aliases: its name, or its id (404 if you may not see it)"),
           ("domain" = Option<String>, Query, description = "one domain's aliases (ASCII or Unicode)")),
    responses((status = 200, body = ListOf<AliasDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list_aliases(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: MailListQuery,
) -> Result<Json<ListOf<AliasDto>>, ApiError> {
    let query = AliasQuery {
        account: q.account(&s, &ctx).await?,
        domain: q.domain,
    };
    let items = s
        .app
        .mail_aliases()
        .list(&ctx.actor, query)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(ListOf {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/aliases", tag = "mail", request_body = CreateAliasBody,
    description = "Creates an alias, or a domain's catch-all (`@example.org`), at a domain with mail on. The rules across the account's addresses are checked and named in `errors[].rule`: `alias_is_mailbox`, `duplicate_alias`, `duplicate_destination`, `forward_to_self`, `alias_loop`. Needs `mail:write`.",
    responses((status = 201, body = AliasDto, headers(("Location" = String, description = "the new alias's URL"))),
              (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem, description = "no such domain, or one you may not see"),
              (status = 409, body = Problem, description = "`duplicate`, or mail is off"),
              (status = 422, body = Problem)))]
pub async fn create_alias(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateAliasBody>,
) -> Result<Response, ApiError> {
    let input = CreateAlias {
        source: body.source,
        destinations: body.destinations,
    };
    let a = s
        .app
        .mail_aliases()
        .create(&ctx.actor, input)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(created(
        format!("/api/v1/aliases/{}", a.alias.id.0),
        AliasDto::from(a),
    ))
}

#[utoipa::path(get, path = "/api/v1/aliases/{id}", tag = "mail",
    params(("id" = i64, Path)),
    responses((status = 200, body = AliasDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn get_alias(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<AliasDto>, ApiError> {
    let a = s
        .app
        .mail_aliases()
        .get(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(a.into()))
}

#[utoipa::path(patch, path = "/api/v1/aliases/{id}", tag = "mail",
    params(("id" = i64, Path)), request_body = UpdateAliasBody,
    description = "Replaces an alias's destinations, with the same checks as creating one.",
    responses((status = 200, body = AliasDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_alias(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<UpdateAliasBody>,
) -> Result<Json<AliasDto>, ApiError> {
    let a = s
        .app
        .mail_aliases()
        .update(&ctx.actor, id, body.destinations)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(a.into()))
}

#[utoipa::path(delete, path = "/api/v1/aliases/{id}", tag = "mail",
    params(("id" = i64, Path)),
    description = "Removes an alias for good.",
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn delete_alias(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<StatusCode, ApiError> {
    s.app
        .mail_aliases()
        .delete(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
