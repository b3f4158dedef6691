//! Aliases: added from the mail list, their destinations changed on a page
//! of their own, deleted from there.

use super::{
    AliasForm, AliasRow, FormErrors, FormOutcome, Layout, MailboxForm, list_page, outcome,
    query_value, render,
};
use crate::AppState;
use crate::context::Signed;
use crate::form::CsrfForm;
use crate::ui::{parse_id, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::mail_alias::CreateAlias;
use konbit_core::{FieldError, Rule};
use std::collections::HashMap;

/// Destinations as typed in the text area: one per line (the service also
/// splits on commas and spaces).
fn destinations(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// POST /mail/aliases: adds an alias (or a domain's catch-all) from the
/// mail list.
pub async fn create_alias(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let form = &f.form;
    let kept = AliasForm {
        local_part: form.get("local_part").trim().to_owned(),
        domain: form.get("domain").trim().to_owned(),
        catch_all: form.checked("catch_all"),
        destinations: form.get("destinations").to_owned(),
    };
    let st = &state;
    let again = kept.clone();
    let show = move |errors: FormErrors, status| {
        list_page(
            st,
            s,
            (
                MailboxForm::default(),
                FormErrors::default(),
                again.clone(),
                errors,
            ),
            status,
        )
    };
    let mut fields = Vec::new();
    if kept.local_part.is_empty() && !kept.catch_all {
        fields.push(FieldError::new("source", Rule::Required));
    }
    if kept.domain.is_empty() {
        fields.push(FieldError::new("alias_domain", Rule::Required));
    }
    let list = destinations(&kept.destinations);
    if list.is_empty() {
        fields.push(FieldError::new("destinations", Rule::Required));
    }
    if !fields.is_empty() {
        return show(FormErrors::from_fields(&s.tr, &fields), 422).await;
    }
    // A catch-all takes every other address of the domain: the name typed
    // before the @, if any, does not count.
    let source = if kept.catch_all {
        format!("@{}", kept.domain)
    } else {
        format!("{}@{}", kept.local_part, kept.domain)
    };
    let input = CreateAlias {
        source,
        destinations: list,
    };
    match state
        .app
        .mail_aliases()
        .create(&s.session.actor, input)
        .await
    {
        Ok(a) => see_other(&format!(
            "/mail?domain={}&flash=alias-created",
            a.alias.source.domain()
        )),
        Err(e) => match outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => show(errors, status).await,
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

#[derive(Template)]
#[template(path = "mail/alias.html")]
struct AliasPage {
    l: Layout,
    a: AliasRow,
    /// The domain, in Unicode, and ASCII for links.
    domain: String,
    domain_ascii: String,
    /// The text area: one destination per line.
    destinations: String,
    errors: FormErrors,
    /// Whether `errors` are those of the delete button (shown at the top).
    delete_failed: bool,
}

impl AliasPage {
    fn delete_label(&self) -> String {
        self.l
            .tr
            .t1("alias-delete-named", "source", self.a.source.clone())
    }
}

async fn page(
    state: &AppState,
    s: &Signed,
    raw_id: &str,
    typed: Option<String>,
    errors: FormErrors,
    delete_failed: bool,
    status: u16,
) -> Response {
    let id = match parse_id(s.tr, raw_id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let view = match state.app.mail_aliases().get(&s.session.actor, id).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let a = AliasRow::of(&s.tr, &view, &HashMap::new());
    let domain = view.alias.source.domain();
    let mut l = Layout::signed(s, "mail", "mail-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = s.tr.t1("alias-title", "source", a.source.clone());
    render(
        s.tr,
        status,
        &AliasPage {
            l,
            destinations: typed.unwrap_or_else(|| a.destinations.join("\n")),
            a,
            domain: domain.to_unicode(),
            domain_ascii: domain.to_string(),
            errors,
            delete_failed,
        },
    )
}

/// GET /mail/aliases/{id}
pub async fn show_alias(
    State(state): State<AppState>,
    s: Signed,
    Path(id): Path<String>,
) -> Response {
    page(&state, &s, &id, None, FormErrors::default(), false, 200).await
}

/// POST /mail/aliases/{id}: new destinations.
pub async fn update_alias(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let raw_id = match parse_id(s.tr, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let typed = f.form.get("destinations").to_owned();
    let list = destinations(&typed);
    if list.is_empty() {
        let errors =
            FormErrors::from_fields(&s.tr, &[FieldError::new("destinations", Rule::Required)]);
        return page(&state, s, &id, Some(typed), errors, false, 422).await;
    }
    match state
        .app
        .mail_aliases()
        .update(&s.session.actor, raw_id, list)
        .await
    {
        Ok(_) => see_other(&format!("/mail/aliases/{raw_id}?flash=alias-saved")),
        Err(e) => match outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                page(&state, s, &id, Some(typed), errors, false, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// POST /mail/aliases/{id}/delete
pub async fn delete_alias(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let raw_id = match parse_id(s.tr, &id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let domain = match state.app.mail_aliases().get(&s.session.actor, raw_id).await {
        Ok(v) => v.alias.source.domain().to_string(),
        Err(e) => return s.error(e).into_response(),
    };
    match state
        .app
        .mail_aliases()
        .delete(&s.session.actor, raw_id)
        .await
    {
        Ok(()) => see_other(&format!("/mail?domain={domain}&flash=alias-deleted")),
        Err(e) => match outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => {
                let errors = crate::ui::domain::flatten(errors);
                page(&state, s, &id, None, errors, true, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::destinations;

    #[test]
    fn one_destination_per_line() {
        assert_eq!(
            destinations("a@example.org\r\n\n  b@example.net  \n"),
            vec!["a@example.org".to_owned(), "b@example.net".to_owned()]
        );
        assert!(destinations(" \n ").is_empty());
    }
}
