//! A person's API tokens: make one (its secret shown once), see when each
//! was last used, revoke.

use super::{
    FormErrors, FormOutcome, Layout, form_outcome, parse_id, query_value, render, see_other,
};
use crate::AppState;
use crate::context::Signed;
use crate::form::CsrfForm;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::token::CreateToken;
use konbit_core::authz::{Access, Area, Scope};
use konbit_core::model::{ApiToken, TokenId};

pub struct ScopeChoice {
    pub value: String,
    pub area_label: String,
    pub write: bool,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "token/list.html")]
struct ListPage {
    l: Layout,
    tokens: Vec<ApiToken>,
    scopes: Vec<ScopeChoice>,
    errors: FormErrors,
    name: String,
    /// The secret of the token just made: shown once, never again.
    new_secret: Option<String>,
    /// The accounts the person belongs to, to limit a token to one.
    accounts: Vec<(i64, String)>,
}

impl ListPage {
    fn limited_to(&self, account: &konbit_core::model::AccountId) -> String {
        let name = self
            .accounts
            .iter()
            .find(|(id, _)| *id == account.0)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("#{account}"));
        self.l.tr.t1("token-limited-to", "name", name)
    }

    fn scope_label(&self, s: &Scope) -> String {
        let area = self.l.tr.t(&format!("area-{}", s.area.as_str()));
        let access = self.l.tr.t(match s.access {
            Access::Read => "access-read",
            Access::Write => "access-write",
        });
        format!("{area} · {access}")
    }
}

fn choices(l: &Layout, selected: &[String]) -> Vec<ScopeChoice> {
    Area::ALL
        .iter()
        .flat_map(|&area| [Access::Read, Access::Write].map(move |access| Scope { area, access }))
        .map(|s| ScopeChoice {
            value: s.to_string(),
            area_label: l.tr.t(&format!("area-{}", s.area.as_str())),
            write: s.access == Access::Write,
            checked: selected.contains(&s.to_string()),
        })
        .collect()
}

async fn page(
    state: &AppState,
    s: &Signed,
    errors: FormErrors,
    status: u16,
    name: String,
    selected: Vec<String>,
    new_secret: Option<String>,
) -> Response {
    let tokens = match state.app.tokens().list(&s.session.actor).await {
        Ok(t) => t,
        Err(e) => return s.error(e).into_response(),
    };
    let l = Layout::signed(s, "tokens", "tokens-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    let scopes = choices(&l, &selected);
    let mine = konbit_store::AccountFilter {
        member: s.session.actor.user_id,
        ..Default::default()
    };
    let accounts = match state
        .app
        .accounts()
        .list(
            &s.session.actor,
            mine,
            konbit_core::page::PageRequest::new(Some(1), Some(200)),
        )
        .await
    {
        Ok(p) => p
            .items
            .into_iter()
            .map(|a| (a.id.0, a.display_name.into_string()))
            .collect(),
        Err(e) => return s.error(e).into_response(),
    };
    render(
        s.tr,
        status,
        &ListPage {
            l,
            tokens,
            scopes,
            errors,
            name,
            new_secret,
            accounts,
        },
    )
}

pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    page(
        &state,
        &s,
        FormErrors::default(),
        200,
        String::new(),
        vec![],
        None,
    )
    .await
}

pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    let selected = f.form.all("scopes");
    let expires = f.form.get("expires_in_days").trim();
    let input = CreateToken {
        name: f.form.get("name").to_owned(),
        scopes: selected.clone(),
        expires_in_days: if expires.is_empty() {
            None
        } else {
            Some(expires.parse().unwrap_or(0))
        },
        // Empty means every account the person can reach.
        account_id: f.form.get("account_id").parse().ok(),
    };
    let s = &f.signed;
    match state.app.tokens().create(&s.session.actor, input).await {
        Ok(created) => {
            page(
                &state,
                s,
                FormErrors::default(),
                201,
                String::new(),
                vec![],
                Some(created.secret),
            )
            .await
        }
        Err(e) => match form_outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                page(
                    &state,
                    s,
                    errors,
                    status,
                    f.form.get("name").to_owned(),
                    selected,
                    None,
                )
                .await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .tokens()
        .revoke(&s.session.actor, TokenId(id))
        .await
    {
        Ok(()) => see_other("/tokens?flash=token-revoked"),
        Err(e) => s.error(e).into_response(),
    }
}
