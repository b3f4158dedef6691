//! The dashboard: the person's accounts with their quota usage and, for the
//! operator's admins, the state of the co-op and its newest accounts.

use super::{Layout, query_value, render};
use crate::AppState;
use crate::context::Signed;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use konbit_app::account::AccountOverview;
use konbit_core::page::PageRequest;
use konbit_store::AccountFilter;

pub struct CoopSummary {
    pub active: i64,
    pub locked: i64,
    pub deleted: i64,
    pub people: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    summary: Option<CoopSummary>,
    mine: Vec<AccountOverview>,
    recent: Vec<AccountOverview>,
    /// Sign-ins with the right password whose second factor never came.
    incomplete_sign_ins: i64,
}

async fn overviews(
    state: &AppState,
    s: &Signed,
    filter: AccountFilter,
    limit: u32,
) -> Result<Vec<AccountOverview>, konbit_app::AppError> {
    let page = state
        .app
        .accounts()
        .list(
            &s.session.actor,
            filter,
            PageRequest::new(Some(1), Some(limit)),
        )
        .await?;
    let mut out = Vec::with_capacity(page.items.len());
    for a in page.items {
        out.push(
            state
                .app
                .accounts()
                .overview(&s.session.actor, a.id)
                .await?,
        );
    }
    Ok(out)
}

pub async fn show(State(state): State<AppState>, s: Signed) -> Response {
    let actor = &s.session.actor;
    let mine_filter = AccountFilter {
        member: actor.user_id,
        ..Default::default()
    };
    let mine = match overviews(&state, &s, mine_filter, 20).await {
        Ok(m) => m,
        Err(e) => return s.error(e).into_response(),
    };
    let (summary, recent) = if s.session.person.is_admin {
        let counts = async {
            let mut tx = state.app.store.read().await?;
            let (active, locked, deleted) = tx.account_counts().await?;
            let people = tx.user_count().await?;
            Ok::<_, konbit_store::StoreError>(CoopSummary {
                active,
                locked,
                deleted,
                people,
            })
        };
        let summary = match counts.await {
            Ok(c) => c,
            Err(e) => return s.error(e.into()).into_response(),
        };
        let recent_filter = AccountFilter {
            recent_first: true,
            ..Default::default()
        };
        match overviews(&state, &s, recent_filter, 6).await {
            Ok(r) => (Some(summary), r),
            Err(e) => return s.error(e).into_response(),
        }
    } else {
        (None, Vec::new())
    };
    let l = Layout::signed(&s, "dashboard", "dashboard-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    render(
        s.tr,
        200,
        &DashboardPage {
            l,
            summary,
            mine,
            recent,
            incomplete_sign_ins: s.session.incomplete_notice,
        },
    )
}
