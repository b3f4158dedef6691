//! A database's page: how to connect, its size, its users and their
//! passwords, deleting it (after a final dump), restoring it, and the
//! final dump as a download.

use super::{DatabaseRow, bytes_text};
use crate::AppState;
use crate::context::Signed;
use crate::error::PanelError;
use crate::form::{CsrfForm, FormData};
use crate::ui::domain::flatten;
use crate::ui::sftp::{FieldMap, PasswordMode, chosen_but_empty, mapped_outcome};
use crate::ui::{FormErrors, FormOutcome, Layout, parse_id, query_value, render, see_other};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::database::{Connection, DatabaseUserInput, DatabaseView};
use konbit_core::ErrorCode;
use konbit_core::database::{DbName, DbRight};
use std::collections::HashMap;

/// The add-user form's fields: its own ids on a page with other forms.
pub(super) fn user_field(field: &'static str) -> (&'static str, &'static str) {
    match field {
        "name" => ("user_name", "db_user"),
        "right" => ("user_right", "db_right"),
        "password" => ("user_password", "password"),
        other => (other, other),
    }
}

/// The password form's fields.
pub(super) fn password_field(field: &'static str) -> (&'static str, &'static str) {
    match field {
        "password" => ("new_password", "new_password"),
        "user" => ("pw_user", "db_user"),
        other => (other, other),
    }
}

/// Which part of the page errors belong to, so they show above it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Top,
    User,
    Password,
}

/// One user of the database as its page lists it.
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub right: String,
    pub owner: bool,
}

/// What the add-user form holds, as typed (never the password).
#[derive(Clone)]
pub struct UserForm {
    pub suffix: String,
    pub right: String,
    pub mode: &'static str,
}

impl Default for UserForm {
    fn default() -> Self {
        Self {
            suffix: String::new(),
            right: DbRight::ReadOnly.as_str().to_owned(),
            mode: PasswordMode::Generate.as_str(),
        }
    }
}

impl UserForm {
    fn from_form(form: &FormData) -> Self {
        Self {
            suffix: form.get("suffix").trim().to_owned(),
            right: form.get("right").trim().to_owned(),
            mode: PasswordMode::of_form(form, PasswordMode::Generate).as_str(),
        }
    }
}

/// What the password form holds (the user, the choice).
#[derive(Clone)]
pub struct PasswordForm {
    pub user: String,
    pub mode: &'static str,
}

impl Default for PasswordForm {
    fn default() -> Self {
        Self {
            user: String::new(),
            mode: PasswordMode::Generate.as_str(),
        }
    }
}

/// How the page is shown besides the database itself.
pub(super) struct Shown {
    user_form: UserForm,
    password_form: PasswordForm,
    errors: FormErrors,
    part: Part,
    status: u16,
    /// The user whose password Konbit just made, and the password.
    generated: Option<(String, String)>,
}

impl Shown {
    pub(super) fn plain() -> Self {
        Self {
            user_form: UserForm::default(),
            password_form: PasswordForm::default(),
            errors: FormErrors::default(),
            part: Part::Top,
            status: 200,
            generated: None,
        }
    }

    /// After a form whose answer carries a generated password; the
    /// password itself is taken from the view.
    pub(super) fn generated(user: String, status: u16) -> Self {
        Self {
            generated: Some((user, String::new())),
            status,
            ..Self::plain()
        }
    }

    fn failed(errors: FormErrors, part: Part, status: u16) -> Self {
        Self {
            errors,
            part,
            status,
            ..Self::plain()
        }
    }
}

#[derive(Template)]
#[template(path = "database/show.html")]
struct ShowPage {
    l: Layout,
    db: DatabaseRow,
    users: Vec<UserRow>,
    connection: Option<Connection>,
    /// The user and the password Konbit just made, shown this once.
    generated: Option<(String, String)>,
    /// `radio_`: what user names start with.
    prefix: String,
    user_form: UserForm,
    password_form: PasswordForm,
    errors: FormErrors,
    part: Part,
    /// Until when a database deleted now could be restored.
    grace_until: i64,
}

impl ShowPage {
    fn errors_on(&self, part: Part) -> bool {
        self.part == part && self.errors.any()
    }

    fn t_name(&self, id: &str) -> String {
        self.l.tr.t1(id, "name", self.db.name.clone())
    }

    fn password_heading(&self, user: &str) -> String {
        self.l
            .tr
            .t1("database-password-heading", "user", user.to_owned())
    }

    fn size(&self) -> String {
        self.db.size_line(&self.l.tr)
    }

    fn limit(&self) -> String {
        bytes_text(&self.l.tr, self.db.max_bytes)
    }

    fn over_notice(&self) -> String {
        let id = if self.db.read_only {
            "database-read-only-notice"
        } else {
            "database-over-size-notice"
        };
        self.l.tr.t1(id, "limit", self.limit())
    }

    fn measured(&self, ts: &i64) -> String {
        self.l
            .tr
            .t1("database-size-measured-at", "date", self.l.date(ts))
    }

    fn purge_notice(&self, ts: &i64) -> String {
        self.l
            .tr
            .t1("database-deleted-notice", "date", self.l.date(ts))
    }

    fn delete_hint(&self) -> String {
        self.l.tr.t1(
            "database-delete-hint",
            "date",
            self.l.date(&self.grace_until),
        )
    }

    fn remove_label(&self, u: &UserRow) -> String {
        self.l
            .tr
            .t1("database-user-remove-named", "user", u.name.clone())
    }

    fn user_hint(&self) -> String {
        self.l
            .tr
            .t1("database-hint-user", "prefix", self.prefix.clone())
    }

    fn user_mode_is(&self, mode: &str) -> bool {
        self.user_form.mode == mode
    }

    fn password_mode_is(&self, mode: &str) -> bool {
        self.password_form.mode == mode
    }

    fn right_is(&self, right: &str) -> bool {
        self.user_form.right == right
    }

    fn user_selected(&self, u: &UserRow) -> bool {
        self.password_form.user == u.id.to_string()
    }

    fn only_user(&self) -> String {
        let name = self
            .users
            .first()
            .map(|u| u.name.clone())
            .unwrap_or_default();
        self.l.tr.t1("database-password-of", "user", name)
    }

    /// The meter's value and maximum, when there is a limit to measure
    /// against.
    fn meter(&self) -> Option<(u64, u64, u64)> {
        let used = self.db.size_bytes?;
        (self.db.max_bytes > 0).then(|| {
            let max = self.db.max_bytes;
            (used.min(max), max, max / 10 * 9)
        })
    }
}

fn right_label(l: &crate::i18n::Tr, r: DbRight) -> String {
    l.t(&format!("database-right-{}", r.as_str().replace('_', "-")))
}

pub(super) async fn show_view(
    state: &AppState,
    s: &Signed,
    v: DatabaseView,
    shown: Shown,
) -> Response {
    let tr = &s.tr;
    let mut l = Layout::signed(s, "databases", "databases-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = v.database.name.to_string();
    // A confirmation that is not in the URL: the page answers the form.
    if shown.status == 201 {
        l.flash = Some(tr.t("flash-database-created"));
    }
    let mut names = HashMap::new();
    if let Ok(a) = state
        .app
        .accounts()
        .get(&s.session.actor, v.database.account_id)
        .await
    {
        names.insert(a.id, a.display_name.to_string());
    }
    let prefix = konbit_core::names::AccountName::parse("name", &v.account_name)
        .map(|a| DbName::prefix(&a))
        .unwrap_or_default();
    let generated = match (shown.generated, &v.password) {
        (Some((user, _)), Some(p)) => Some((user, p.clone())),
        _ => None,
    };
    // The database's own user first, then the others by name.
    let mut users: Vec<&konbit_core::model::DatabaseUser> = v.users.iter().collect();
    users.sort_by_key(|u| (u.right != DbRight::Owner, u.name.clone()));
    let users = users
        .into_iter()
        .map(|u| UserRow {
            id: u.id.0,
            name: u.name.to_string(),
            right: right_label(tr, u.right),
            owner: u.right == DbRight::Owner,
        })
        .collect();
    render(
        s.tr,
        shown.status,
        &ShowPage {
            db: DatabaseRow::of(tr, &v, &names),
            users,
            connection: v.connection.clone(),
            generated,
            prefix,
            user_form: shown.user_form,
            password_form: shown.password_form,
            errors: shown.errors,
            part: shown.part,
            grace_until: konbit_app::now().saturating_add(state.app.config.deletion_grace_secs),
            l,
        },
    )
}

async fn page(state: &AppState, s: &Signed, id: i64, shown: Shown) -> Response {
    match state.app.databases().get(&s.session.actor, id).await {
        Ok(v) => show_view(state, s, v, shown).await,
        Err(e) => s.error(e).into_response(),
    }
}

/// GET /databases/{id}
pub async fn show(State(state): State<AppState>, s: Signed, Path(raw): Path<String>) -> Response {
    let id = match parse_id(s.tr, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    page(&state, &s, id, Shown::plain()).await
}

fn db_id(f: &CsrfForm, raw: &str) -> Result<i64, PanelError> {
    parse_id(f.signed.tr, raw)
}

/// Shows what went wrong above the form that failed, or an error page.
async fn failed(
    state: &AppState,
    s: &Signed,
    id: i64,
    e: AppError,
    part: Part,
    map: FieldMap,
    keep: impl FnOnce(&mut Shown),
) -> Response {
    match mapped_outcome(&s.tr, e, map) {
        FormOutcome::Show(errors, status) => {
            let errors = if part == Part::Top {
                flatten(errors)
            } else {
                errors
            };
            let mut shown = Shown::failed(errors, part, status);
            keep(&mut shown);
            page(state, s, id, shown).await
        }
        FormOutcome::Page(p) => p.into_response(),
    }
}

/// POST /databases/{id}/users: an extra user, read-write or read-only.
pub async fn add_user(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match db_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let s = &f.signed;
    let actor = &s.session.actor;
    // Not found first: another account's database says nothing of its form.
    if let Err(e) = state.app.databases().get(actor, id).await {
        return s.error(e).into_response();
    }
    let form = UserForm::from_form(&f.form);
    let mode = PasswordMode::of_form(&f.form, PasswordMode::Generate);
    let typed = f.form.get("password");
    if let Some(errors) = chosen_but_empty(&s.tr, mode, typed, "user_password", "password") {
        let mut shown = Shown::failed(errors, Part::User, 422);
        shown.user_form = form;
        return page(&state, s, id, shown).await;
    }
    let input = DatabaseUserInput {
        suffix: form.suffix.clone(),
        right: form.right.clone(),
        password: if mode == PasswordMode::Choose {
            typed.to_owned()
        } else {
            String::new()
        },
    };
    match state.app.databases().add_user(actor, id, input).await {
        Ok(v) if v.password.is_some() => {
            // The newest user is the one just added.
            let user = v
                .users
                .iter()
                .max_by_key(|u| u.id.0)
                .map(|u| u.name.to_string())
                .unwrap_or_default();
            show_view(&state, s, v, Shown::generated(user, 200)).await
        }
        Ok(_) => see_other(&format!("/databases/{id}?flash=database-user-added")),
        Err(e) => {
            failed(&state, s, id, e, Part::User, user_field, |shown| {
                shown.user_form = form;
            })
            .await
        }
    }
}

/// POST /databases/{id}/password: a user's new password, made by Konbit
/// or typed.
pub async fn set_password(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match db_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let s = &f.signed;
    let actor = &s.session.actor;
    if let Err(e) = state.app.databases().get(actor, id).await {
        return s.error(e).into_response();
    }
    let form = PasswordForm {
        user: f.form.get("user").trim().to_owned(),
        mode: PasswordMode::of_form(&f.form, PasswordMode::Generate).as_str(),
    };
    let Ok(user) = form.user.parse::<i64>() else {
        return PanelError::new(s.tr, ErrorCode::NotFound).into_response();
    };
    let mode = PasswordMode::of_form(&f.form, PasswordMode::Generate);
    let typed = f.form.get("password");
    if let Some(errors) = chosen_but_empty(&s.tr, mode, typed, "new_password", "new_password") {
        let mut shown = Shown::failed(errors, Part::Password, 422);
        shown.password_form = form;
        return page(&state, s, id, shown).await;
    }
    // Empty: Konbit makes one.
    let password = if mode == PasswordMode::Choose {
        typed
    } else {
        ""
    };
    match state
        .app
        .databases()
        .set_password(actor, id, user, password)
        .await
    {
        Ok(v) if v.password.is_some() => {
            let name = v
                .users
                .iter()
                .find(|u| u.id.0 == user)
                .map(|u| u.name.to_string())
                .unwrap_or_default();
            show_view(&state, s, v, Shown::generated(name, 200)).await
        }
        Ok(_) => see_other(&format!("/databases/{id}?flash=database-password-changed")),
        Err(e) => {
            failed(&state, s, id, e, Part::Password, password_field, |shown| {
                shown.password_form = form;
            })
            .await
        }
    }
}

/// POST /databases/{id}/users/{user}/delete: an extra user goes.
pub async fn delete_user(
    State(state): State<AppState>,
    Path((raw, raw_user)): Path<(String, String)>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let (Ok(id), Ok(user)) = (raw.parse::<i64>(), raw_user.parse::<i64>()) else {
        return PanelError::new(s.tr, ErrorCode::NotFound).into_response();
    };
    match state
        .app
        .databases()
        .delete_user(&s.session.actor, id, user)
        .await
    {
        Ok(_) => see_other(&format!("/databases/{id}?flash=database-user-deleted")),
        Err(e) => failed(&state, s, id, e, Part::Top, user_field, |_| {}).await,
    }
}

/// POST /databases/{id}/delete: confirmed by a ticked box; a final dump is
/// made first and kept for the grace period.
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match db_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let s = &f.signed;
    if !f.form.checked("confirm") {
        // Not found first, then the missing box.
        if let Err(e) = state.app.databases().get(&s.session.actor, id).await {
            return s.error(e).into_response();
        }
        let errors = FormErrors::general(s.tr.t("database-delete-confirm-needed"));
        return page(&state, s, id, Shown::failed(errors, Part::Top, 422)).await;
    }
    match state.app.databases().delete(&s.session.actor, id).await {
        Ok(()) => see_other("/databases?flash=database-deleted"),
        Err(e) => failed(&state, s, id, e, Part::Top, user_field, |_| {}).await,
    }
}

/// POST /databases/{id}/restore: back from its final dump.
pub async fn restore(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match db_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let s = &f.signed;
    match state.app.databases().restore(&s.session.actor, id).await {
        Ok(_) => see_other(&format!("/databases/{id}?flash=database-restored")),
        Err(e) => failed(&state, s, id, e, Part::Top, user_field, |_| {}).await,
    }
}

/// GET /databases/{id}/dump: a deleted database's final dump, as an SQL
/// file to save.
pub async fn download_dump(
    State(state): State<AppState>,
    s: Signed,
    Path(raw): Path<String>,
) -> Response {
    let not_found = || PanelError::new(s.tr, ErrorCode::NotFound).into_response();
    let Ok(id) = raw.parse::<i64>() else {
        return not_found();
    };
    let dbs = state.app.databases();
    let path = match dbs.dump_path(&s.session.actor, id).await {
        Ok(p) => p,
        Err(e) => return s.error(e).into_response(),
    };
    let v = match dbs.get(&s.session.actor, id).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return not_found(),
        Err(e) => {
            return s
                .error(AppError::Internal(format!("{}: {e}", path.display())))
                .into_response();
        }
    };
    let mut res = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/sql; charset=utf-8")],
        bytes,
    )
        .into_response();
    // The engine is one of two words, the name a checked identifier.
    if let Ok(h) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-{}.sql\"",
        v.database.engine, v.database.name
    )) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, h);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
