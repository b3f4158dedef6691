//! A list's own page: its settings form, deleting it (with a ticked box)
//! and restoring it. Everything here lives in Konbit's store, so it works
//! whether or not Mailman answers.

use super::{Choices, ListRow, SettingsForm, field, reply_to_text};
use crate::AppState;
use crate::context::Signed;
use crate::form::CsrfForm;
use crate::ui::domain::flatten;
use crate::ui::sftp::{account_names, accounts_of, mapped_outcome};
use crate::ui::{FormErrors, FormOutcome, Layout, parse_id, query_value, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_core::model::MailingList;

#[derive(Template)]
#[template(path = "list/show.html")]
struct ShowPage {
    l: Layout,
    list: ListRow,
    reply_to: String,
    form: SettingsForm,
    errors: FormErrors,
    /// Errors of the delete or restore buttons, above the page.
    top_errors: FormErrors,
    grace_until: i64,
    choices: Choices,
    /// Where anyone may ask to join or leave; `None` while the server
    /// cannot take requests by web (no Mailman or no mail relay).
    public_page: Option<String>,
}

impl ShowPage {
    fn t_address(&self, id: &str) -> String {
        self.l.tr.t1(id, "address", self.list.address.clone())
    }

    fn purge_notice(&self, ts: &i64) -> String {
        self.l.tr.t1("list-deleted-notice", "date", self.l.date(ts))
    }

    fn delete_hint(&self) -> String {
        self.l
            .tr
            .t1("list-delete-hint", "date", self.l.date(&self.grace_until))
    }
}

/// What the page shows besides the list.
struct Shown {
    form: Option<SettingsForm>,
    errors: FormErrors,
    top_errors: FormErrors,
    status: u16,
}

impl Shown {
    fn plain() -> Self {
        Self {
            form: None,
            errors: FormErrors::default(),
            top_errors: FormErrors::default(),
            status: 200,
        }
    }
}

async fn show_list(state: &AppState, s: &Signed, list: MailingList, shown: Shown) -> Response {
    let names = match accounts_of(state, s).await {
        Ok(a) => account_names(&a),
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let mut l = Layout::signed(s, "lists", "lists-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    let row = ListRow::of(tr, &list, &names);
    l.title = row.address.clone();
    render(
        s.tr,
        shown.status,
        &ShowPage {
            reply_to: reply_to_text(tr, &list.settings.reply_to),
            form: shown
                .form
                .unwrap_or_else(|| SettingsForm::of(&list.settings)),
            list: row,
            errors: shown.errors,
            top_errors: shown.top_errors,
            grace_until: konbit_app::now().saturating_add(state.app.config.deletion_grace_secs),
            choices: Choices::new(tr),
            public_page: state
                .app
                .lists_public()
                .available()
                .then(|| konbit_app::list_public::public_path(&list)),
            l,
        },
    )
}

async fn page(state: &AppState, s: &Signed, id: i64, shown: Shown) -> Response {
    match state.app.lists().get(&s.session.actor, id).await {
        Ok(list) => show_list(state, s, list, shown).await,
        Err(e) => s.error(e).into_response(),
    }
}

/// GET /lists/{id}
pub async fn show(State(state): State<AppState>, s: Signed, Path(raw): Path<String>) -> Response {
    match parse_id(s.tr, &raw) {
        Ok(id) => page(&state, &s, id, Shown::plain()).await,
        Err(e) => e.into_response(),
    }
}

/// An error of a button of the page (delete, restore): said above it.
async fn top_failed(state: &AppState, s: &Signed, id: i64, e: AppError) -> Response {
    match mapped_outcome(&s.tr, e, field) {
        FormOutcome::Show(errors, status) => {
            let shown = Shown {
                top_errors: flatten(errors),
                status,
                ..Shown::plain()
            };
            page(state, s, id, shown).await
        }
        FormOutcome::Page(p) => p.into_response(),
    }
}

/// POST /lists/{id}: the settings.
pub async fn update(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let form = SettingsForm::from_form(&f.form);
    match state
        .app
        .lists()
        .update(&s.session.actor, id, form.s.clone())
        .await
    {
        Ok(_) => see_other(&format!("/lists/{id}?flash=list-saved")),
        Err(e) => match mapped_outcome(&s.tr, e, field) {
            FormOutcome::Show(errors, status) => {
                let shown = Shown {
                    form: Some(form),
                    errors,
                    status,
                    ..Shown::plain()
                };
                page(&state, s, id, shown).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// POST /lists/{id}/delete: confirmed by a ticked box; Mailman keeps the
/// list, its subscribers and its archive for the grace period.
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    if !f.form.checked("confirm") {
        // Not found first, then the missing box.
        if let Err(e) = state.app.lists().get(&s.session.actor, id).await {
            return s.error(e).into_response();
        }
        let shown = Shown {
            top_errors: FormErrors::general(s.tr.t("list-delete-confirm-needed")),
            status: 422,
            ..Shown::plain()
        };
        return page(&state, s, id, shown).await;
    }
    match state.app.lists().delete(&s.session.actor, id).await {
        Ok(()) => see_other("/lists?flash=list-deleted"),
        Err(e) => top_failed(&state, s, id, e).await,
    }
}

/// POST /lists/{id}/restore
pub async fn restore(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match state.app.lists().restore(&s.session.actor, id).await {
        Ok(_) => see_other(&format!("/lists/{id}?flash=list-restored")),
        Err(e) => top_failed(&state, s, id, e).await,
    }
}
