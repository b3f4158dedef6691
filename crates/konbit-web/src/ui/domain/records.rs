//! Record changes from the panel: added from the domain page, edited on a
//! page of their own, deleted from either.

use super::{
    DomainHead, RecordForm, RecordRow, TypeChoice, failed, outcome, path_name, record_row,
    show_page, type_choices,
};
use crate::AppState;
use crate::context::Signed;
use crate::error::PanelError;
use crate::form::CsrfForm;
use crate::ui::{FormErrors, FormOutcome, Layout, parse_id, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_core::ErrorCode;
use konbit_core::dns::RecordInput;
use konbit_core::model::RecordId;

/// The record a form describes, for the service to validate.
fn record_input(form: &RecordForm) -> RecordInput {
    let ttl = if form.ttl.is_empty() {
        // The zone template's TTL.
        None
    } else {
        // Not a number at all: a TTL no zone accepts, so the service
        // answers with its own range, in the person's language.
        Some(form.ttl.parse::<i64>().unwrap_or(-1))
    };
    RecordInput {
        name: form.name.trim().to_owned(),
        rtype: form.rtype.clone(),
        ttl,
        value: form.value.trim().to_owned(),
    }
}

pub async fn add_record(
    State(state): State<AppState>,
    Path(name): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let form = RecordForm::from_form(&f.form);
    match state
        .app
        .domains()
        .add_record(&s.session.actor, &name, record_input(&form))
        .await
    {
        Ok(_) => see_other(&format!("/domains/{}?flash=record-added", path_name(&name))),
        Err(e) => match outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                show_page(
                    &state,
                    s,
                    &name,
                    FormErrors::default(),
                    errors,
                    form,
                    status,
                )
                .await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

#[derive(Template)]
#[template(path = "domain/record.html")]
struct RecordPage {
    l: Layout,
    d: DomainHead,
    current: RecordRow,
    record: RecordForm,
    types: Vec<TypeChoice>,
    errors: FormErrors,
}

impl RecordPage {
    fn delete_label(&self) -> String {
        self.l.tr.t2(
            "record-delete-named",
            ("name", self.current.name.clone()),
            ("type", self.current.rtype.clone()),
        )
    }
}

async fn record_page(
    state: &AppState,
    s: &Signed,
    name: &str,
    raw_id: &str,
    form: Option<RecordForm>,
    errors: FormErrors,
    status: u16,
) -> Response {
    let id = match parse_id(s.tr, raw_id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let detail = match state.app.domains().get(&s.session.actor, name).await {
        Ok(d) => d,
        Err(e) => return s.error(e).into_response(),
    };
    let Some(view) = detail.records.iter().find(|r| r.row.id.0 == id) else {
        return PanelError::new(s.tr, ErrorCode::NotFound).into_response();
    };
    let current = record_row(&s.tr, view);
    let record = form.unwrap_or_else(|| RecordForm {
        name: current.name.clone(),
        rtype: current.rtype.clone(),
        ttl: current.ttl.to_string(),
        value: current.value.clone(),
    });
    let mut l = Layout::signed(s, "domains", "domains-title");
    l.title = heading(&l, &current);
    let page = RecordPage {
        types: type_choices(&s.tr, &record.rtype),
        d: DomainHead::of(&s.tr, &detail.domain),
        current,
        record,
        errors,
        l,
    };
    render(s.tr, status, &page)
}

/// "Edit the record www (A)".
fn heading(l: &Layout, r: &RecordRow) -> String {
    l.tr.t2(
        "record-edit-title",
        ("name", r.name.clone()),
        ("type", r.rtype.clone()),
    )
}

pub async fn edit_record_form(
    State(state): State<AppState>,
    s: Signed,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    record_page(&state, &s, &name, &id, None, FormErrors::default(), 200).await
}

pub async fn update_record(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let record_id = match parse_id(s.tr, &id) {
        Ok(id) => RecordId(id),
        Err(e) => return e.into_response(),
    };
    let form = RecordForm::from_form(&f.form);
    match state
        .app
        .domains()
        .update_record(&s.session.actor, &name, record_id, record_input(&form))
        .await
    {
        Ok(_) => see_other(&format!(
            "/domains/{}?flash=record-updated",
            path_name(&name)
        )),
        Err(e) => match outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                record_page(&state, s, &name, &id, Some(form), errors, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

pub async fn delete_record(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let record_id = match parse_id(s.tr, &id) {
        Ok(id) => RecordId(id),
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .domains()
        .delete_record(&s.session.actor, &name, record_id)
        .await
    {
        Ok(()) => see_other(&format!(
            "/domains/{}?flash=record-deleted",
            path_name(&name)
        )),
        Err(e) => failed(&state, &f, &name, e).await,
    }
}
