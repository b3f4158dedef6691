//! Accounts in the panel: the list, creation (admins), and the account page
//! with its quota, its people and the admin's actions.

use super::{
    FormErrors, FormOutcome, Layout, form_outcome, parse_id, query_value, render, see_other,
};
use crate::AppState;
use crate::context::Signed;
use crate::form::CsrfForm;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::account::{AccountOverview, CreateAccount, OwnerInput, UpdateAccount};
use konbit_app::user::AddPerson;
use konbit_core::model::Account;
use konbit_core::model::{AccountId, Person, QuotaProfile, Role, UserId};
use konbit_core::page::{Page, PageRequest};
use konbit_store::AccountFilter;

#[derive(Template)]
#[template(path = "account/list.html")]
struct ListPage {
    l: Layout,
    page: Page<Account>,
    q: String,
    deleted: bool,
    is_admin: bool,
    pager: super::Pager,
}

pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    let q = query_value(&s.path, "q").unwrap_or_default();
    let deleted = query_value(&s.path, "deleted").is_some_and(|v| v == "1");
    let page_no = query_value(&s.path, "page").and_then(|p| p.parse().ok());
    let filter = AccountFilter {
        search: Some(q.clone()).filter(|q| !q.trim().is_empty()),
        deleted,
        ..Default::default()
    };
    let page = match state
        .app
        .accounts()
        .list(
            &s.session.actor,
            filter,
            PageRequest::new(page_no, Some(25)),
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return s.error(e).into_response(),
    };
    let l = Layout::signed(&s, "accounts", "accounts-title");
    let is_admin = s.session.person.is_admin;
    render(
        s.tr,
        200,
        &ListPage {
            pager: super::Pager::new(
                &s.tr,
                "/accounts",
                &super::encode_query(&[("q", &q), ("deleted", if deleted { "1" } else { "" })]),
                &page,
            ),
            l,
            page,
            q,
            deleted,
            is_admin,
        },
    )
}

#[derive(Template)]
#[template(path = "account/new.html")]
struct NewPage {
    l: Layout,
    profiles: Vec<QuotaProfile>,
    errors: FormErrors,
    name: String,
    display_name: String,
    profile_id: i64,
    owner_email: String,
    owner_display_name: String,
}

async fn new_page(
    state: &AppState,
    s: &Signed,
    form: Option<&crate::form::FormData>,
    errors: FormErrors,
    status: u16,
) -> Response {
    let profiles = match state.app.quota_profiles().list(&s.session.actor).await {
        Ok(p) => p,
        Err(e) => return s.error(e).into_response(),
    };
    let get = |k: &str| form.map(|f| f.get(k).to_owned()).unwrap_or_default();
    let profile_id = form
        .and_then(|f| f.get("quota_profile_id").parse().ok())
        .unwrap_or(0);
    let page = NewPage {
        l: Layout::signed(s, "accounts", "account-new-title"),
        profiles,
        errors,
        name: get("name"),
        display_name: get("display_name"),
        profile_id,
        owner_email: get("owner_email"),
        owner_display_name: get("owner_display_name"),
    };
    render(s.tr, status, &page)
}

pub async fn new_form(State(state): State<AppState>, s: Signed) -> Response {
    new_page(&state, &s, None, FormErrors::default(), 200).await
}

pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    let form = &f.form;
    let owner = Some(form.get("owner_email").trim())
        .filter(|e| !e.is_empty())
        .map(|email| OwnerInput {
            email: email.to_owned(),
            display_name: form.get("owner_display_name").to_owned(),
            password: form.get("owner_password").to_owned(),
        });
    let input = CreateAccount {
        name: form.get("name").to_owned(),
        display_name: form.get("display_name").to_owned(),
        quota_profile_id: form.get("quota_profile_id").parse().ok(),
        owner,
    };
    match state
        .app
        .accounts()
        .create(&f.signed.session.actor, input)
        .await
    {
        Ok(a) => see_other(&format!("/accounts/{}?flash=account-created", a.id)),
        Err(e) => match form_outcome(&f.signed.tr, e) {
            FormOutcome::Show(errors, status) => {
                new_page(&state, &f.signed, Some(form), errors, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

#[derive(Template)]
#[template(path = "account/show.html")]
struct ShowPage {
    l: Layout,
    ov: AccountOverview,
    people: Vec<Person>,
    profiles: Vec<QuotaProfile>,
    audit: Vec<super::audit::EntryView>,
    can_manage_people: bool,
    is_admin: bool,
    errors: FormErrors,
    add_email: String,
    add_name: String,
}

impl ShowPage {
    fn role_of(&self, p: &Person) -> &'static str {
        p.memberships
            .iter()
            .find(|m| m.account_id == self.ov.account.id)
            .map(|m| m.role.as_str())
            .unwrap_or("member")
    }
    fn is_self(&self, p: &Person) -> bool {
        self.l
            .viewer
            .as_ref()
            .is_some_and(|v| v.email == p.email.as_str())
    }
}

async fn show_page(
    state: &AppState,
    s: &Signed,
    id: AccountId,
    errors: FormErrors,
    status: u16,
    form: Option<&crate::form::FormData>,
) -> Response {
    let actor = &s.session.actor;
    let ov = match state.app.accounts().overview(actor, id).await {
        Ok(o) => o,
        Err(e) => return s.error(e).into_response(),
    };
    let people = match state
        .app
        .users()
        .list(actor, Some(id), PageRequest::new(Some(1), Some(200)))
        .await
    {
        Ok(p) => p.items,
        Err(e) => return s.error(e).into_response(),
    };
    let is_admin = s.session.person.is_admin;
    let profiles = if is_admin {
        state
            .app
            .quota_profiles()
            .list(actor)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let can_manage_people = is_admin || actor.role_in(id) == Some(Role::Owner);
    let audit = match state.app.audit().recent(actor, id, 10).await {
        Ok(entries) => entries
            .iter()
            .map(|e| super::audit::entry_view(&s.tr, e))
            .collect(),
        Err(e) => return s.error(e).into_response(),
    };
    let title = ov.account.display_name.to_string();
    let mut l = Layout::signed(s, "accounts", "accounts-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = title;
    let get = |k: &str| form.map(|f| f.get(k).to_owned()).unwrap_or_default();
    let page = ShowPage {
        l,
        ov,
        people,
        profiles,
        audit,
        can_manage_people,
        is_admin,
        errors,
        add_email: get("email"),
        add_name: get("display_name"),
    };
    render(s.tr, status, &page)
}

pub async fn show(State(state): State<AppState>, s: Signed, Path(id): Path<String>) -> Response {
    match parse_id(s.tr, &id) {
        Ok(id) => show_page(&state, &s, AccountId(id), FormErrors::default(), 200, None).await,
        Err(e) => e.into_response(),
    }
}

/// Runs an account action from the account page, then shows the page again
/// (with the error on the form, or a confirmation).
async fn act<F, Fut>(
    state: &AppState,
    f: &CsrfForm,
    raw_id: &str,
    flash: &str,
    action: F,
) -> Response
where
    F: FnOnce(AccountId) -> Fut,
    Fut: std::future::Future<Output = Result<(), konbit_app::AppError>>,
{
    let id = match parse_id(f.signed.tr, raw_id) {
        Ok(id) => AccountId(id),
        Err(e) => return e.into_response(),
    };
    match action(id).await {
        Ok(()) => see_other(&format!("/accounts/{id}?flash={flash}")),
        Err(e) => match form_outcome(&f.signed.tr, e) {
            FormOutcome::Show(errors, status) => {
                show_page(state, &f.signed, id, errors, status, Some(&f.form)).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

pub async fn edit(State(state): State<AppState>, Path(id): Path<String>, f: CsrfForm) -> Response {
    let input = UpdateAccount {
        display_name: Some(f.form.get("display_name").to_owned()),
        quota_profile_id: f.form.get("quota_profile_id").parse().ok(),
    };
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    act(&state, &f, &id, "account-updated", |id| async move {
        app.accounts().update(&actor, id, input).await.map(drop)
    })
    .await
}

pub async fn lock(State(state): State<AppState>, Path(id): Path<String>, f: CsrfForm) -> Response {
    let reason = f.form.get("reason").to_owned();
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    act(&state, &f, &id, "account-locked", |id| async move {
        app.accounts()
            .set_locked(&actor, id, Some(reason))
            .await
            .map(drop)
    })
    .await
}

pub async fn unlock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    act(&state, &f, &id, "account-unlocked", |id| async move {
        app.accounts().set_locked(&actor, id, None).await.map(drop)
    })
    .await
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    if !f.form.checked("confirm") {
        let errors = FormErrors::general(f.signed.tr.t("account-delete-confirm-needed"));
        return match parse_id(f.signed.tr, &id) {
            Ok(id) => show_page(&state, &f.signed, AccountId(id), errors, 422, None).await,
            Err(e) => e.into_response(),
        };
    }
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    act(&state, &f, &id, "account-deleted", |id| async move {
        app.accounts().delete(&actor, id).await.map(drop)
    })
    .await
}

pub async fn restore(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    act(&state, &f, &id, "account-restored", |id| async move {
        app.accounts().restore(&actor, id).await.map(drop)
    })
    .await
}

pub async fn add_person(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let role = Role::parse(f.form.get("role")).unwrap_or(Role::Member);
    let input = AddPerson {
        email: f.form.get("email").to_owned(),
        display_name: f.form.get("display_name").to_owned(),
        password: f.form.get("password").to_owned(),
        role,
    };
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    act(&state, &f, &id, "person-added", |id| async move {
        app.users()
            .add_to_account(&actor, id, input)
            .await
            .map(drop)
    })
    .await
}

pub async fn set_role(
    State(state): State<AppState>,
    Path((id, user_id)): Path<(String, String)>,
    f: CsrfForm,
) -> Response {
    let user = match parse_id(f.signed.tr, &user_id) {
        Ok(u) => UserId(u),
        Err(e) => return e.into_response(),
    };
    let Some(role) = Role::parse(f.form.get("role")) else {
        return crate::error::PanelError::new(f.signed.tr, konbit_core::ErrorCode::InvalidInput)
            .into_response();
    };
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    act(&state, &f, &id, "role-changed", |id| async move {
        app.users().set_role(&actor, id, user, role).await.map(drop)
    })
    .await
}

pub async fn remove_person(
    State(state): State<AppState>,
    Path((id, user_id)): Path<(String, String)>,
    f: CsrfForm,
) -> Response {
    let user = match parse_id(f.signed.tr, &user_id) {
        Ok(u) => UserId(u),
        Err(e) => return e.into_response(),
    };
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    act(&state, &f, &id, "person-removed", |id| async move {
        app.users().remove_from_account(&actor, id, user).await
    })
    .await
}
