//! Quota profiles in the panel (admins).

use super::{
    FormErrors, FormOutcome, Layout, form_outcome, parse_id, query_value, render, see_other,
};
use crate::AppState;
use crate::context::Signed;
use crate::form::{CsrfForm, FormData};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::quota_profile::ProfileInput;
use konbit_core::model::{QuotaProfile, QuotaProfileId};
use konbit_core::quota::{QuotaLimits, Resource};
use konbit_core::{FieldError, Rule};

#[derive(Template)]
#[template(path = "quota_profile/list.html")]
struct ListPage {
    l: Layout,
    profiles: Vec<QuotaProfile>,
    resources: Vec<Resource>,
    errors: FormErrors,
}

impl ListPage {
    fn limit(&self, p: &QuotaProfile, r: &Resource) -> String {
        let v = p.limits.get(*r);
        match r {
            Resource::MailStorageMb | Resource::DiskMb => self.l.megabytes(v),
            _ => self.l.tr.number(v),
        }
    }
}

async fn list_page(state: &AppState, s: &Signed, errors: FormErrors, status: u16) -> Response {
    match state.app.quota_profiles().list(&s.session.actor).await {
        Ok(profiles) => {
            let l = Layout::signed(s, "quota-profiles", "profiles-title")
                .with_flash(query_value(&s.path, "flash").as_deref());
            render(
                s.tr,
                status,
                &ListPage {
                    l,
                    profiles,
                    resources: Resource::ALL.to_vec(),
                    errors,
                },
            )
        }
        Err(e) => s.error(e).into_response(),
    }
}

pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    list_page(&state, &s, FormErrors::default(), 200).await
}

/// One input per resource, with its current value.
pub struct LimitField {
    pub resource: Resource,
    pub name: &'static str,
    pub value: String,
    pub unit_mb: bool,
}

#[derive(Template)]
#[template(path = "quota_profile/form.html")]
struct FormPage {
    l: Layout,
    /// `None` when creating.
    id: Option<i64>,
    name: String,
    fields: Vec<LimitField>,
    errors: FormErrors,
    account_count: i64,
}

fn fields_from(limits: Option<&QuotaLimits>, form: Option<&FormData>) -> Vec<LimitField> {
    Resource::ALL
        .iter()
        .map(|&r| LimitField {
            resource: r,
            name: r.as_str(),
            value: match (form, limits) {
                (Some(f), _) => f.get(r.as_str()).to_owned(),
                (None, Some(l)) => l.get(r).to_string(),
                (None, None) => QuotaLimits::starter().get(r).to_string(),
            },
            unit_mb: matches!(r, Resource::MailStorageMb | Resource::DiskMb),
        })
        .collect()
}

/// Reads the limits of the form; a non-number names its field.
fn parse_limits(form: &FormData) -> Result<QuotaLimits, Vec<FieldError>> {
    let mut limits = QuotaLimits::default();
    let mut errors = Vec::new();
    for r in Resource::ALL {
        match form.get(r.as_str()).trim().parse::<u64>() {
            Ok(v) => limits.set(r, v),
            Err(_) => errors.push(FieldError::new(
                r.as_str(),
                Rule::OutOfRange {
                    min: 0,
                    max: r.max_limit(),
                },
            )),
        }
    }
    if errors.is_empty() {
        Ok(limits)
    } else {
        Err(errors)
    }
}

pub async fn new_form(s: Signed) -> Response {
    if !s.session.person.is_admin {
        return s
            .error(konbit_core::Denied::Forbidden.into())
            .into_response();
    }
    let l = Layout::signed(&s, "quota-profiles", "profile-new-title");
    render(
        s.tr,
        200,
        &FormPage {
            l,
            id: None,
            name: String::new(),
            fields: fields_from(None, None),
            errors: FormErrors::default(),
            account_count: 0,
        },
    )
}

pub async fn edit_form(
    State(state): State<AppState>,
    s: Signed,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(s.tr, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .quota_profiles()
        .get(&s.session.actor, QuotaProfileId(id))
        .await
    {
        Ok(p) => {
            let mut l = Layout::signed(&s, "quota-profiles", "profile-edit-title");
            l.title = format!("{} · {}", l.title, p.name);
            let page = FormPage {
                l,
                id: Some(id),
                name: p.name.to_string(),
                fields: fields_from(Some(&p.limits), None),
                errors: FormErrors::default(),
                account_count: p.account_count,
            };
            render(s.tr, 200, &page)
        }
        Err(e) => s.error(e).into_response(),
    }
}

async fn save(state: &AppState, f: &CsrfForm, id: Option<i64>) -> Response {
    let s = &f.signed;
    // Refuse before reading the form: someone without the right learns
    // nothing from validation messages.
    if let Err(e) = state.app.quota_profiles().check_manage(&s.session.actor) {
        return s.error(e).into_response();
    }
    let result = match parse_limits(&f.form) {
        Err(fields) => Err(konbit_app::AppError::Invalid(fields)),
        Ok(limits) => {
            let input = ProfileInput {
                name: f.form.get("name").to_owned(),
                limits,
            };
            match id {
                None => {
                    state
                        .app
                        .quota_profiles()
                        .create(&s.session.actor, input)
                        .await
                }
                Some(id) => {
                    state
                        .app
                        .quota_profiles()
                        .update(&s.session.actor, QuotaProfileId(id), input)
                        .await
                }
            }
        }
    };
    match result {
        Ok(_) => see_other(if id.is_some() {
            "/quota-profiles?flash=profile-saved"
        } else {
            "/quota-profiles?flash=profile-created"
        }),
        Err(e) => match form_outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                let title = if id.is_some() {
                    "profile-edit-title"
                } else {
                    "profile-new-title"
                };
                let l = Layout::signed(s, "quota-profiles", title);
                let page = FormPage {
                    l,
                    id,
                    name: f.form.get("name").to_owned(),
                    fields: fields_from(None, Some(&f.form)),
                    errors,
                    account_count: 0,
                };
                render(s.tr, status, &page)
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    save(&state, &f, None).await
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    match parse_id(f.signed.tr, &id) {
        Ok(id) => save(&state, &f, Some(id)).await,
        Err(e) => e.into_response(),
    }
}

pub async fn delete(
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
        .quota_profiles()
        .delete(&s.session.actor, QuotaProfileId(id))
        .await
    {
        Ok(()) => see_other("/quota-profiles?flash=profile-deleted"),
        Err(e) => match form_outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => list_page(&state, s, errors, status).await,
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}
