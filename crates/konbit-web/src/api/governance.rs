//! Co-op governance: `/api/v1/governance/bodies` (admins write their rules)
//! and `/api/v1/governance/proposals` (members propose, discuss and vote),
//! scopes `governance:read` and `governance:write`; and the public decision
//! log, `/api/v1/decisions`, which needs no credentials at all.
//!
//! Time moves proposals on by itself (the housekeeping step opens a vote
//! when its discussion ends, closes and counts it, and applies an adopted
//! platform action after the appeal window): there is no route to open or
//! close a vote.

use super::account::created;
use super::dto::{ListOf, Problem};
use super::governance_dto::{
    ActionPreviewDto, AppealBody, AppealDecisionBody, BallotBody, BodyDetailDto, BodyDto,
    BodyMemberDto, ChainReportDto, CommentBody, CommentDto, CreateBodyBody, CreateProposalBody,
    DecisionDto, DecisionPageDto, ProposalDto, ProposalViewDto, UpdateBodyBody, UpdateProposalBody,
};
use super::{ApiCtx, ApiJson, Id, QueryParams, tr_from_headers, tr_of};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Tr;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use konbit_app::AppError;
use konbit_app::governance::{BallotInput, ProposalInput};
use konbit_core::ErrorCode;
use konbit_core::authz::{Action, Target, authorize};
use konbit_core::governance::proposal::StageKind;
use konbit_core::model::{BodyId, ProposalId};

/// How many decision-log entries a page holds when `limit` is left out,
/// and at most.
const DEFAULT_DECISIONS: i64 = 50;
const MAX_DECISIONS: i64 = 200;

/// Refuses, before anything is looked up, a caller who may never do this
/// (a token without `governance:write`, a member managing bodies), so an
/// unknown id gets the same answer as a known one.
fn may(ctx: &ApiCtx, action: Action) -> Result<(), ApiError> {
    authorize(&ctx.actor, action, Target::default()).map_err(|d| ctx.error(d.into()))
}

async fn view(s: &AppState, ctx: &ApiCtx, id: ProposalId) -> Result<ProposalViewDto, ApiError> {
    s.app
        .governance()
        .proposal(&ctx.actor, id)
        .await
        .map(ProposalViewDto::from)
        .map_err(|e| ctx.error(e))
}

// ---------------------------------------------------------------- bodies

#[utoipa::path(get, path = "/api/v1/governance/bodies", tag = "governance",
    description = "The co-op's bodies (general assembly, board, committees) with their decision rules. Any person of the co-op; needs `governance:read`.",
    responses((status = 200, body = ListOf<BodyDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn bodies(
    State(s): State<AppState>,
    ctx: ApiCtx,
) -> Result<Json<ListOf<BodyDto>>, ApiError> {
    let items = s
        .app
        .governance()
        .bodies(&ctx.actor)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(ListOf {
        items: items.into_iter().map(BodyDto::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/governance/bodies", tag = "governance", request_body = CreateBodyBody,
    description = "Adds a body with its decision rules: the whole `rules` object, or just its `kind` to start from the usual rules of that kind. Each rule out of range is a 422 naming it (`quorum`, `consent_rounds`, `discussion_hours`, `vote_hours`, `appeal_hours`). Admins only; needs `governance:write`.",
    responses((status = 201, body = BodyDetailDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 409, body = Problem, description = "`duplicate`: the name is taken"),
              (status = 422, body = Problem)))]
pub async fn create_body(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateBodyBody>,
) -> Result<Response, ApiError> {
    may(&ctx, Action::ManageGovernance)?;
    let input = body
        .into_input()
        .map_err(|f| ctx.error(AppError::invalid(f)))?;
    let gov = s.app.governance();
    let created_body = gov
        .create_body(&ctx.actor, input)
        .await
        .map_err(|e| ctx.error(e))?;
    let (b, members) = gov
        .body(&ctx.actor, created_body.id)
        .await
        .map_err(|e| ctx.error(e))?;
    let location = format!("/api/v1/governance/bodies/{}", b.id.0);
    Ok(created(location, detail(b, members)))
}

fn detail(
    b: konbit_core::governance::record::Body,
    members: Vec<konbit_core::governance::record::BodyMember>,
) -> BodyDetailDto {
    BodyDetailDto {
        body: BodyDto::from(b),
        members: members.into_iter().map(BodyMemberDto::from).collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/governance/bodies/{id}", tag = "governance", params(("id" = i64, Path)),
    description = "A body, its rules and the people named on it. Needs `governance:read`.",
    responses((status = 200, body = BodyDetailDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn body(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<BodyDetailDto>, ApiError> {
    let (b, members) = s
        .app
        .governance()
        .body(&ctx.actor, BodyId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(detail(b, members)))
}

#[utoipa::path(put, path = "/api/v1/governance/bodies/{id}", tag = "governance", params(("id" = i64, Path)),
    request_body = UpdateBodyBody,
    description = "Renames a body, replaces its rules or its people; what is left out stays. The kind never changes (`kind` in `errors[]`). New rules apply to votes opened from now on. Admins only; needs `governance:write`.",
    responses((status = 200, body = BodyDetailDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`duplicate`: the name is taken"), (status = 422, body = Problem)))]
pub async fn update_body(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(changes): ApiJson<UpdateBodyBody>,
) -> Result<Json<BodyDetailDto>, ApiError> {
    may(&ctx, Action::ManageGovernance)?;
    let gov = s.app.governance();
    let (current, members) = gov
        .body(&ctx.actor, BodyId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    let input = changes.apply_to(&current, &members);
    gov.update_body(&ctx.actor, BodyId(id), input)
        .await
        .map_err(|e| ctx.error(e))?;
    let (b, members) = gov
        .body(&ctx.actor, BodyId(id))
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(detail(b, members)))
}

// ---------------------------------------------------------------- proposals

/// `?body_id=&stage=` of the proposal list.
pub struct ProposalQuery {
    body_id: Option<i64>,
    stage: Option<StageKind>,
}

impl FromRequestParts<AppState> for ProposalQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let q = QueryParams::of(parts);
        let stage = match q.text("stage") {
            None => None,
            Some(raw) => Some(
                serde_json::from_value::<StageKind>(serde_json::Value::String(raw.clone()))
                    .map_err(|_| {
                        ApiError::new(
                            tr_of(parts),
                            ErrorCode::MalformedBody,
                            Some(format!(
                                "`stage` must be one of draft, discussion, voting, closed, applied, rejected, withdrawn; not {raw:?}"
                            )),
                        )
                    })?,
            ),
        };
        Ok(Self {
            body_id: q.number("body_id")?,
            stage,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/governance/proposals", tag = "governance",
    description = "Proposals, newest first. Drafts are their author's (and the admins') until discussion opens. Needs `governance:read`.",
    params(("body_id" = Option<i64>, Query, description = "one body's proposals"),
           ("stage" = Option<String>, Query, description = "`draft`, `discussion`, `voting`, `closed`, `applied`, `rejected` or `withdrawn`")),
    responses((status = 200, body = ListOf<ProposalDto>), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn proposals(
    State(s): State<AppState>,
    ctx: ApiCtx,
    q: ProposalQuery,
) -> Result<Json<ListOf<ProposalDto>>, ApiError> {
    let items = s
        .app
        .governance()
        .proposals(&ctx.actor, q.body_id.map(BodyId), q.stage)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(ListOf {
        items: items.iter().map(ProposalDto::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/governance/proposals", tag = "governance", request_body = CreateProposalBody,
    description = "Writes a proposal to a body, as a draft only its author (and the admins) see; `POST …/discussion` then opens it to everyone. Who may propose is the body's rule (`403` otherwise). A platform `action` is checked now (an unknown profile or account is a 422) and previewed. Needs `governance:write`; never while an admin acts as the person.",
    responses((status = 201, body = ProposalViewDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_proposal(
    State(s): State<AppState>,
    ctx: ApiCtx,
    ApiJson(body): ApiJson<CreateProposalBody>,
) -> Result<Response, ApiError> {
    let record = s
        .app
        .governance()
        .create_proposal(
            &ctx.actor,
            ProposalInput {
                body_id: BodyId(body.body_id),
                title: body.title,
                text: body.text,
                method: body.method,
                options: body.options,
                action: body.action,
                tie_break: body.tie_break,
            },
        )
        .await
        .map_err(|e| ctx.error(e))?;
    let location = format!("/api/v1/governance/proposals/{}", record.id.0);
    Ok(created(location, view(&s, &ctx, record.id).await?))
}

#[utoipa::path(get, path = "/api/v1/governance/proposals/{id}", tag = "governance", params(("id" = i64, Path)),
    description = "A proposal with its comments, its ballots when the vote is public, whom the caller may vote as, the preview of its platform action and its entries in the decision log. Needs `governance:read`.",
    responses((status = 200, body = ProposalViewDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn proposal(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<ProposalViewDto>, ApiError> {
    Ok(Json(view(&s, &ctx, ProposalId(id)).await?))
}

#[utoipa::path(put, path = "/api/v1/governance/proposals/{id}", tag = "governance", params(("id" = i64, Path)),
    request_body = UpdateProposalBody,
    description = "Amends the title, text or options while the proposal is a draft or under discussion; what is left out stays. Ballots name the text's hash, so an amended text needs a fresh read. Its author or an admin; needs `governance:write`.",
    responses((status = 200, body = ProposalViewDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`text_frozen`: voting opened; `wrong_stage`"),
              (status = 422, body = Problem)))]
pub async fn edit_proposal(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(changes): ApiJson<UpdateProposalBody>,
) -> Result<Json<ProposalViewDto>, ApiError> {
    may(&ctx, Action::TakePartInGovernance)?;
    let id = ProposalId(id);
    let gov = s.app.governance();
    let current = gov
        .proposal(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    let title = changes
        .title
        .unwrap_or_else(|| current.record.proposal.title().to_owned());
    let text = changes
        .text
        .unwrap_or_else(|| current.record.proposal.body().to_owned());
    gov.edit_proposal(&ctx.actor, id, &title, &text, changes.options)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(view(&s, &ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/discussion", tag = "governance", params(("id" = i64, Path)),
    description = "Opens a draft to discussion for the body's discussion time; the vote then opens by itself. Its author or an admin; needs `governance:write`.",
    responses((status = 200, body = ProposalViewDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "`wrong_stage`: not a draft")))]
pub async fn start_discussion(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<ProposalViewDto>, ApiError> {
    let id = ProposalId(id);
    s.app
        .governance()
        .start_discussion(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(view(&s, &ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/withdraw", tag = "governance", params(("id" = i64, Path)),
    description = "Withdraws a draft or a proposal under discussion (recorded in the decision log once public). Its author or an admin; needs `governance:write`.",
    responses((status = 200, body = ProposalViewDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "`wrong_stage`: voting opened")))]
pub async fn withdraw(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<ProposalViewDto>, ApiError> {
    let id = ProposalId(id);
    s.app
        .governance()
        .withdraw(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(view(&s, &ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/rollback", tag = "governance", params(("id" = i64, Path)),
    description = "Undoes an applied platform action (recorded in the decision log). Admins only; needs `governance:write`.",
    responses((status = 200, body = ProposalViewDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`wrong_stage`: nothing applied to undo, or already rolled back")))]
pub async fn roll_back(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<ProposalViewDto>, ApiError> {
    let id = ProposalId(id);
    s.app
        .governance()
        .roll_back(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(view(&s, &ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/retry", tag = "governance", params(("id" = i64, Path)),
    description = "Tries again to carry out an adopted decision whose platform action failed (`action_error`), once its cause is removed. Admins only; needs `governance:write`.",
    responses((status = 200, body = ProposalViewDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`wrong_stage`: nothing failed to retry; `apply_failed`: it failed again, and `detail` says why")))]
pub async fn retry_apply(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<ProposalViewDto>, ApiError> {
    let id = ProposalId(id);
    s.app
        .governance()
        .retry_apply(&ctx.actor, id)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(view(&s, &ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/appeal", tag = "governance", params(("id" = i64, Path)),
    request_body = AppealBody,
    description = "Appeals an adopted decision that changes the platform, during its appeal window: it then waits, whatever the clock, until the admins settle the appeal (recorded in the decision log). A voter of the decision; needs `governance:write`.",
    responses((status = 200, body = ProposalViewDto), (status = 401, body = Problem),
              (status = 403, body = Problem, description = "`not_in_electorate`: not a voter of this decision; or the token's scopes"),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`wrong_stage`: no appeal window is open, or an appeal is already lodged"),
              (status = 422, body = Problem, description = "the reason is missing or too long")))]
pub async fn appeal(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<AppealBody>,
) -> Result<Json<ProposalViewDto>, ApiError> {
    let id = ProposalId(id);
    s.app
        .governance()
        .appeal(&ctx.actor, id, &body.reason)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(view(&s, &ctx, id).await?))
}

#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/appeal/decision", tag = "governance", params(("id" = i64, Path)),
    request_body = AppealDecisionBody,
    description = "Settles an appeal: upheld, the decision is set aside; dismissed, it applies when its appeal window ends (at once if it is over). Admins only; needs `governance:write`.",
    responses((status = 200, body = ProposalViewDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`wrong_stage`: no appeal is waiting")))]
pub async fn settle_appeal(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<AppealDecisionBody>,
) -> Result<Json<ProposalViewDto>, ApiError> {
    let id = ProposalId(id);
    s.app
        .governance()
        .settle_appeal(&ctx.actor, id, body.uphold)
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(Json(view(&s, &ctx, id).await?))
}

#[utoipa::path(get, path = "/api/v1/governance/proposals/{id}/comments", tag = "governance", params(("id" = i64, Path)),
    description = "The proposal's discussion, oldest first. Needs `governance:read`.",
    responses((status = 200, body = ListOf<CommentDto>), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn comments(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<ListOf<CommentDto>>, ApiError> {
    let v = view(&s, &ctx, ProposalId(id)).await?;
    Ok(Json(ListOf { items: v.comments }))
}

#[utoipa::path(post, path = "/api/v1/governance/proposals/{id}/comments", tag = "governance", params(("id" = i64, Path)),
    request_body = CommentBody,
    description = "Adds a comment while the proposal is under discussion or being voted on. Needs `governance:write`; never while an admin acts as the person.",
    responses((status = 201, body = CommentDto), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`wrong_stage`: comments are closed"),
              (status = 422, body = Problem)))]
pub async fn add_comment(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Response, ApiError> {
    let c = s
        .app
        .governance()
        .comment(&ctx.actor, ProposalId(id), &body.body)
        .await
        .map_err(|e| ctx.error(e))?;
    let location = format!("/api/v1/governance/proposals/{id}/comments");
    Ok(created(location, CommentDto::from(c)))
}

#[utoipa::path(put, path = "/api/v1/governance/proposals/{id}/ballot", tag = "governance", params(("id" = i64, Path)),
    request_body = BallotBody,
    description = "Casts the caller's ballot, or replaces the one they cast earlier in this round: it is counted once. The ballot names the `text_hash` the voter read. A person who owns accounts in an assembly voting per account passes `voter` (see `my_voters`). Needs `governance:write`; never while an admin acts as the person.",
    responses((status = 204, description = "the ballot is recorded"), (status = 400, body = Problem),
              (status = 401, body = Problem),
              (status = 403, body = Problem, description = "`not_in_electorate`: not among the voters frozen when the vote opened; or the token's scopes"),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "`stale_text`: the text changed since it was read; `vote_not_open`; `vote_closed`"),
              (status = 422, body = Problem, description = "`invalid_ballot`: not this vote's method, an unknown option, one given twice…; or `voter` is required")))]
pub async fn cast_ballot(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
    ApiJson(body): ApiJson<BallotBody>,
) -> Result<StatusCode, ApiError> {
    let voter = body.voter().map_err(|f| ctx.error(AppError::invalid(f)))?;
    s.app
        .governance()
        .cast_ballot(
            &ctx.actor,
            ProposalId(id),
            BallotInput {
                text_hash: body.text_hash,
                content: body.ballot,
                voter,
            },
        )
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/governance/proposals/{id}/preview", tag = "governance", params(("id" = i64, Path)),
    description = "What the proposal's platform action would change if applied now: the values before and after, the accounts it reaches, and what is worth knowing (an account already over a new limit…). Until the vote is counted; `404` when the proposal carries no action. Needs `governance:read`.",
    responses((status = 200, body = ActionPreviewDto), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn preview(
    State(s): State<AppState>,
    ctx: ApiCtx,
    Id(id): Id<i64>,
) -> Result<Json<ActionPreviewDto>, ApiError> {
    let v = view(&s, &ctx, ProposalId(id)).await?;
    v.preview
        .map(Json)
        .ok_or_else(|| ctx.error(AppError::NotFound))
}

// ---------------------------------------------------------------- decisions

/// `?before=&limit=` of the decision log.
pub struct DecisionQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

impl FromRequestParts<AppState> for DecisionQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let q = QueryParams::of(parts);
        Ok(Self {
            before: q.number("before")?,
            limit: q.number("limit")?,
        })
    }
}

fn public_error(tr: Tr, e: AppError) -> ApiError {
    ApiError::from_app(tr, e)
}

#[utoipa::path(get, path = "/api/v1/decisions", tag = "governance", security(()),
    description = "The public decision log, newest first: every decision, applied action, rollback and withdrawal, hash-chained. No credentials needed.",
    params(("before" = Option<i64>, Query, description = "entries older than this id (the previous page's `next_before`)"),
           ("limit" = Option<i64>, Query, description = "1–200, default 50")),
    responses((status = 200, body = DecisionPageDto), (status = 400, body = Problem)))]
pub async fn decisions(
    State(s): State<AppState>,
    headers: HeaderMap,
    q: DecisionQuery,
) -> Result<Json<DecisionPageDto>, ApiError> {
    let tr = tr_from_headers(&headers);
    let limit = q.limit.unwrap_or(DEFAULT_DECISIONS).clamp(1, MAX_DECISIONS);
    let page = s
        .app
        .governance()
        .decisions(q.before, limit)
        .await
        .map_err(|e| public_error(tr, e))?;
    Ok(Json(page.into()))
}

#[utoipa::path(get, path = "/api/v1/decisions/verify", tag = "governance", security(()),
    description = "Walks the whole decision log and reports the first entry that breaks the hash chain, if any, and the head hash to compare with one kept earlier (a member digest gives it). No credentials needed.",
    responses((status = 200, body = ChainReportDto)))]
pub async fn verify_decisions(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ChainReportDto>, ApiError> {
    let tr = tr_from_headers(&headers);
    let report = s
        .app
        .governance()
        .verify_decisions()
        .await
        .map_err(|e| public_error(tr, e))?;
    Ok(Json(report.into()))
}

#[utoipa::path(get, path = "/api/v1/decisions/{id}", tag = "governance", security(()), params(("id" = i64, Path)),
    description = "One entry of the public decision log. No credentials needed.",
    responses((status = 200, body = DecisionDto), (status = 404, body = Problem)))]
pub async fn decision(
    State(s): State<AppState>,
    headers: HeaderMap,
    Id(id): Id<i64>,
) -> Result<Json<DecisionDto>, ApiError> {
    let tr = tr_from_headers(&headers);
    let entry = s
        .app
        .governance()
        .decision(id)
        .await
        .map_err(|e| public_error(tr, e))?;
    Ok(Json(entry.into()))
}
