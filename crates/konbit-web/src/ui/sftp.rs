//! SFTP accounts in the panel: the list with each account's quota, the
//! form that adds a login, and a login's page with how to connect, the
//! form that changes it, turning it off and deleting it.
//!
//! Logins travel in URLs by number. A password Konbit generates is shown
//! once, on the page that answers the form (never in a URL, never again).
//! The helpers shared with the databases' pages (statuses, account
//! choices, field names in messages) live here too.

use super::domain::{StatusView, outcome};
use super::{FormErrors, FormOutcome, Layout, parse_id, query_value, render, see_other};
use crate::AppState;
use crate::context::Signed;
use crate::error::{PanelError, field_message};
use crate::form::{CsrfForm, FormData};
use crate::i18n::Tr;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::sftp::{SftpInput, SftpUpdate, SftpView};
use konbit_core::model::{Account, AccountId, ObjectStatus, ProvisionState};
use konbit_core::page::PageRequest;
use konbit_core::quota::{QuotaLine, Resource};
use konbit_core::{FieldError, Rule};
use konbit_store::AccountFilter;
use std::collections::HashMap;

// ---------------------------------------------------------------------
// Shared with the databases' pages.

/// A live status as a badge, like the sites' (the words carry the
/// meaning, the colour only repeats it).
pub(super) fn status_view(tr: &Tr, s: ObjectStatus) -> StatusView {
    StatusView {
        label: tr.t(&format!("dns-status-{}", s.as_str())),
        class: match s {
            ObjectStatus::Applied => "badge-applied",
            ObjectStatus::Pending => "badge-pending",
            ObjectStatus::Failed => "badge-failed",
        },
    }
}

/// Why the provisioner failed, when it did.
pub(super) fn failure(p: &ProvisionState) -> Option<String> {
    if p.status == ObjectStatus::Failed {
        p.last_error.clone().filter(|e| !e.is_empty())
    } else {
        None
    }
}

/// The accounts the person sees (first page, at most 200).
pub(super) async fn accounts_of(state: &AppState, s: &Signed) -> Result<Vec<Account>, AppError> {
    Ok(state
        .app
        .accounts()
        .list(
            &s.session.actor,
            AccountFilter::default(),
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?
        .items)
}

/// Display names of accounts, for the rows of a list.
pub(super) fn account_names(accounts: &[Account]) -> HashMap<AccountId, String> {
    accounts
        .iter()
        .map(|a| (a.id, a.display_name.to_string()))
        .collect()
}

/// An account something can be added to, with the prefix of its names.
pub struct AccountChoice {
    /// The account's name, which the form posts.
    pub value: String,
    pub label: String,
    /// `radio_`: what logins and database names of the account start with.
    pub prefix: String,
    pub selected: bool,
}

/// The accounts the person may add to (an admin: all; others: those not
/// locked), the first one chosen when none is.
pub(super) fn account_choices(
    s: &Signed,
    accounts: &[Account],
    selected: &str,
    prefix: impl Fn(&Account) -> String,
) -> Vec<AccountChoice> {
    let is_admin = s.session.person.is_admin;
    let addable: Vec<&Account> = accounts.iter().filter(|a| is_admin || !a.locked).collect();
    let known = addable.iter().any(|a| a.name.as_str() == selected);
    addable
        .iter()
        .enumerate()
        .map(|(i, a)| AccountChoice {
            value: a.name.to_string(),
            label: a.display_name.to_string(),
            prefix: prefix(a),
            selected: if known {
                a.name.as_str() == selected
            } else {
                i == 0
            },
        })
        .collect()
}

/// The prefixes of the accounts, for a hint: `radio_` or `radio_, garden_`.
pub(super) fn prefixes(choices: &[AccountChoice]) -> String {
    choices
        .iter()
        .map(|c| c.prefix.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One account's use of a resource against its quota.
pub struct UsageCard {
    pub account: String,
    pub lines: Vec<QuotaLine>,
}

/// A card per account (an admin: only the accounts that have some), with
/// the quota line of `resource`.
pub(super) async fn usage_cards(
    state: &AppState,
    s: &Signed,
    accounts: &[Account],
    with_objects: &[AccountId],
    resource: Resource,
) -> Result<Vec<UsageCard>, AppError> {
    let actor = &s.session.actor;
    let mut out = Vec::new();
    let shown = accounts
        .iter()
        .filter(|a| !s.session.person.is_admin || with_objects.contains(&a.id));
    for a in shown {
        let overview = state.app.accounts().overview(actor, a.id).await?;
        out.push(UsageCard {
            account: a.display_name.to_string(),
            lines: overview
                .quota
                .into_iter()
                .filter(|q| q.resource == resource)
                .collect(),
        });
    }
    Ok(out)
}

/// Where a service's field goes on a page (the `f-<key>` of its input)
/// and what messages call it (`field-<label>`).
pub(super) type FieldMap = fn(&'static str) -> (&'static str, &'static str);

/// Field errors as sentences next to their fields, with the page's own
/// field names.
pub(super) fn mapped_errors(tr: &Tr, fields: &[FieldError], map: FieldMap) -> FormErrors {
    FormErrors {
        items: fields
            .iter()
            .map(|f| {
                let (key, label) = map(f.field);
                let named = FieldError::new(label, f.rule.clone());
                (key.to_owned(), field_message(tr, &named))
            })
            .collect(),
        general: None,
    }
}

/// Like the sites' outcome, with the page's own field names.
pub(super) fn mapped_outcome(tr: &Tr, e: AppError, map: FieldMap) -> FormOutcome {
    match e {
        AppError::Invalid(fields) => FormOutcome::Show(mapped_errors(tr, &fields, map), 422),
        AppError::Duplicate { field } => {
            let (key, label) = map(field);
            let label = tr.t(&format!("field-{}", label.replace('_', "-")));
            FormOutcome::Show(
                FormErrors {
                    items: vec![(
                        key.to_owned(),
                        tr.t1("error-duplicate-field", "field", label),
                    )],
                    general: None,
                },
                409,
            )
        }
        other => outcome(tr, other),
    }
}

/// How a form sets a password: Konbit makes one, the person types one, it
/// stays, or there is none.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PasswordMode {
    Generate,
    Choose,
    Keep,
    Remove,
}

impl PasswordMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generate => "generate",
            Self::Choose => "choose",
            Self::Keep => "keep",
            Self::Remove => "none",
        }
    }

    /// The radio's value; a password typed without a choice is chosen.
    pub(super) fn of_form(form: &FormData, default: Self) -> Self {
        match form.get("password_mode") {
            "generate" => Self::Generate,
            "choose" => Self::Choose,
            "keep" => Self::Keep,
            "none" => Self::Remove,
            _ if !form.get("password").is_empty() => Self::Choose,
            _ => default,
        }
    }
}

/// "Choose" with nothing typed: the password field is required.
pub(super) fn chosen_but_empty(
    tr: &Tr,
    mode: PasswordMode,
    typed: &str,
    key: &'static str,
    label: &'static str,
) -> Option<FormErrors> {
    (mode == PasswordMode::Choose && typed.is_empty()).then(|| FormErrors {
        items: vec![(
            key.to_owned(),
            field_message(tr, &FieldError::new(label, Rule::Required)),
        )],
        general: None,
    })
}

// ---------------------------------------------------------------------
// SFTP accounts.

/// The SFTP form's fields in messages and on the page: the login is typed
/// as its suffix, and `password` and `dir` have their own words here.
fn sftp_field(field: &'static str) -> (&'static str, &'static str) {
    match field {
        "login" => ("login", "sftp_login"),
        "dir" => ("dir", "sftp_dir"),
        "keys" => ("keys", "ssh_keys"),
        "password" => ("password", "sftp_password"),
        other => (other, other),
    }
}

/// One SSH key as the pages show it.
pub struct KeyView {
    pub key_type: String,
    pub fingerprint: String,
    pub comment: String,
}

/// One login as the list and its page show it.
pub struct SftpRow {
    pub id: i64,
    pub login: String,
    pub account: String,
    /// Inside the account's home; `None`: the whole home.
    pub dir: Option<String>,
    pub has_password: bool,
    pub keys: Vec<KeyView>,
    pub enabled: bool,
    pub status: StatusView,
    pub last_error: Option<String>,
    pub created_at: i64,
}

impl SftpRow {
    fn of(tr: &Tr, v: &SftpView) -> Self {
        let s = &v.sftp;
        Self {
            id: s.id.0,
            login: s.login.to_string(),
            account: v.account_name.clone(),
            dir: s.dir.as_ref().map(ToString::to_string),
            has_password: s.has_password,
            keys: s
                .keys
                .iter()
                .map(|k| KeyView {
                    key_type: k.key_type.clone(),
                    fingerprint: k.fingerprint(),
                    comment: k.comment.clone(),
                })
                .collect(),
            enabled: s.enabled,
            status: status_view(tr, s.provision.status),
            last_error: failure(&s.provision),
            created_at: s.created_at,
        }
    }
}

/// What the new-login form holds, as typed (never the password).
#[derive(Clone, Default)]
pub struct SftpForm {
    pub account: String,
    pub suffix: String,
    pub dir: String,
    pub keys: String,
    pub mode: &'static str,
}

impl SftpForm {
    fn from_form(form: &FormData) -> Self {
        Self {
            account: form.get("account").trim().to_owned(),
            suffix: form.get("suffix").trim().to_owned(),
            dir: form.get("dir").trim().to_owned(),
            keys: form.get("keys").to_owned(),
            mode: PasswordMode::of_form(form, PasswordMode::Generate).as_str(),
        }
    }
}

#[derive(Template)]
#[template(path = "sftp/list.html")]
struct ListPage {
    l: Layout,
    /// Whether SFTP is set up on this server.
    enabled: bool,
    rows: Vec<SftpRow>,
    show_account: bool,
    usage: Vec<UsageCard>,
    /// Some account of the person's can take a login.
    can_add: bool,
    host: String,
    port: u16,
}

impl ListPage {
    fn key_count(&self, r: &SftpRow) -> String {
        self.l.tr.t1("sftp-key-count", "count", r.keys.len())
    }

    fn where_to_connect(&self) -> String {
        self.l.tr.t2(
            "sftp-where",
            ("host", self.host.clone()),
            ("port", self.port.to_string()),
        )
    }
}

/// GET /sftp
pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    let accounts = match accounts_of(&state, &s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let names = account_names(&accounts);
    let views = match state.app.sftp().list(&s.session.actor, None).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let with: Vec<AccountId> = views.iter().map(|v| v.sftp.account_id).collect();
    let usage = match usage_cards(&state, &s, &accounts, &with, Resource::SftpAccounts).await {
        Ok(u) => u,
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let config = &state.app.config.sftp;
    let l = Layout::signed(&s, "sftp", "sftp-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    render(
        s.tr,
        200,
        &ListPage {
            l,
            enabled: config.enabled,
            rows: views
                .iter()
                .map(|v| {
                    let mut r = SftpRow::of(tr, v);
                    if let Some(n) = names.get(&v.sftp.account_id) {
                        r.account.clone_from(n);
                    }
                    r
                })
                .collect(),
            show_account: s.session.person.is_admin || accounts.len() > 1,
            usage,
            can_add: !account_choices(&s, &accounts, "", |_| String::new()).is_empty(),
            host: config.public_host.clone(),
            port: config.public_port,
        },
    )
}

#[derive(Template)]
#[template(path = "sftp/new.html")]
struct NewPage {
    l: Layout,
    enabled: bool,
    accounts: Vec<AccountChoice>,
    /// The person belongs to accounts, all of them locked.
    all_locked: bool,
    form: SftpForm,
    errors: FormErrors,
}

impl NewPage {
    fn login_hint(&self) -> String {
        let prefixes = prefixes(&self.accounts);
        if self.accounts.len() == 1 {
            let account = self
                .accounts
                .first()
                .map(|a| a.value.clone())
                .unwrap_or_default();
            self.l.tr.t2(
                "sftp-hint-login-one",
                ("prefix", prefixes),
                ("account", account),
            )
        } else {
            self.l.tr.t1("sftp-hint-login-many", "prefixes", prefixes)
        }
    }

    fn mode_is(&self, mode: &str) -> bool {
        self.form.mode == mode
    }
}

async fn new_page(
    state: &AppState,
    s: &Signed,
    form: SftpForm,
    errors: FormErrors,
    status: u16,
) -> Response {
    let accounts = match accounts_of(state, s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let choices = account_choices(s, &accounts, &form.account, |a| format!("{}_", a.name));
    let mut l = Layout::signed(s, "sftp", "sftp-title");
    l.title = s.tr.t("sftp-new-title");
    render(
        s.tr,
        status,
        &NewPage {
            l,
            enabled: state.app.config.sftp.enabled,
            all_locked: !accounts.is_empty() && choices.is_empty(),
            accounts: choices,
            form,
            errors,
        },
    )
}

/// GET /sftp/new
pub async fn new_form(State(state): State<AppState>, s: Signed) -> Response {
    let form = SftpForm {
        mode: PasswordMode::Generate.as_str(),
        ..SftpForm::default()
    };
    new_page(&state, &s, form, FormErrors::default(), 200).await
}

/// POST /sftp/new: the login's page answers, with the password Konbit
/// made when it made one.
pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let form = SftpForm::from_form(&f.form);
    let mode = PasswordMode::of_form(&f.form, PasswordMode::Generate);
    let typed = f.form.get("password");
    if let Some(errors) = chosen_but_empty(&s.tr, mode, typed, "password", "sftp_password") {
        return new_page(&state, s, form, errors, 422).await;
    }
    let input = SftpInput {
        account: form.account.clone(),
        suffix: form.suffix.clone(),
        dir: form.dir.clone(),
        password: if mode == PasswordMode::Choose {
            typed.to_owned()
        } else {
            String::new()
        },
        generate_password: mode == PasswordMode::Generate,
        keys: form.keys.clone(),
    };
    match state.app.sftp().create(&s.session.actor, input).await {
        Ok(v) if v.password.is_some() => {
            show_view(&state, s, v, Shown::after("flash-sftp-created", 201)).await
        }
        Ok(v) => see_other(&format!("/sftp/{}?flash=sftp-created", v.sftp.id)),
        Err(e) => match mapped_outcome(&s.tr, e, sftp_field) {
            FormOutcome::Show(errors, status) => new_page(&state, s, form, errors, status).await,
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// Which part of a login's page errors belong to, so they show above it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Top,
    Edit,
}

/// What the edit form holds, as typed (never the password).
#[derive(Clone)]
pub struct EditForm {
    pub dir: String,
    pub keys: String,
    pub mode: &'static str,
}

impl EditForm {
    fn of_view(v: &SftpView) -> Self {
        Self {
            dir: v
                .sftp
                .dir
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            keys: v
                .sftp
                .keys
                .iter()
                .map(|k| k.to_openssh())
                .collect::<Vec<_>>()
                .join("\n"),
            mode: PasswordMode::Keep.as_str(),
        }
    }

    fn from_form(form: &FormData) -> Self {
        Self {
            dir: form.get("dir").trim().to_owned(),
            keys: form.get("keys").to_owned(),
            mode: PasswordMode::of_form(form, PasswordMode::Keep).as_str(),
        }
    }
}

/// How a login's page is shown besides the login itself.
struct Shown {
    typed: Option<EditForm>,
    errors: FormErrors,
    part: Part,
    status: u16,
    /// A confirmation that is not in the URL (the page answers a form).
    flash: Option<&'static str>,
}

impl Shown {
    fn plain() -> Self {
        Self {
            typed: None,
            errors: FormErrors::default(),
            part: Part::Top,
            status: 200,
            flash: None,
        }
    }

    fn after(flash: &'static str, status: u16) -> Self {
        Self {
            flash: Some(flash),
            status,
            ..Self::plain()
        }
    }

    fn failed(errors: FormErrors, part: Part, status: u16, typed: Option<EditForm>) -> Self {
        Self {
            typed,
            errors,
            part,
            status,
            flash: None,
        }
    }
}

#[derive(Template)]
#[template(path = "sftp/show.html")]
struct ShowPage {
    l: Layout,
    row: SftpRow,
    /// Whether SFTP is set up on this server (otherwise nothing changes).
    enabled: bool,
    host: String,
    port: u16,
    /// The password Konbit just made, shown this once.
    password: Option<String>,
    form: EditForm,
    errors: FormErrors,
    part: Part,
}

impl ShowPage {
    fn errors_on(&self, part: Part) -> bool {
        self.part == part && self.errors.any()
    }

    fn command(&self) -> String {
        format!("sftp -P {} {}@{}", self.port, self.row.login, self.host)
    }

    fn t_login(&self, id: &str) -> String {
        self.l.tr.t1(id, "login", self.row.login.clone())
    }

    fn yes_no(&self, on: &bool) -> String {
        self.l.t(if *on { "site-yes" } else { "site-no" })
    }

    fn created(&self) -> String {
        self.l.date(&self.row.created_at)
    }

    fn key_count(&self) -> String {
        self.l.tr.t1("sftp-key-count", "count", self.row.keys.len())
    }

    fn mode_is(&self, mode: &str) -> bool {
        self.form.mode == mode
    }
}

async fn show_view(state: &AppState, s: &Signed, v: SftpView, shown: Shown) -> Response {
    let tr = &s.tr;
    let config = &state.app.config.sftp;
    let mut l = Layout::signed(s, "sftp", "sftp-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    if let Some(id) = shown.flash {
        l.flash = Some(tr.t(id));
    }
    l.title = v.sftp.login.to_string();
    let mut row = SftpRow::of(tr, &v);
    // The account's display name, as the list shows it.
    if let Ok(a) = state
        .app
        .accounts()
        .get(&s.session.actor, v.sftp.account_id)
        .await
    {
        row.account = a.display_name.to_string();
    }
    render(
        s.tr,
        shown.status,
        &ShowPage {
            form: shown.typed.unwrap_or_else(|| EditForm::of_view(&v)),
            enabled: config.enabled,
            host: if v.host.is_empty() {
                config.public_host.clone()
            } else {
                v.host.clone()
            },
            port: v.port,
            password: v.password,
            errors: shown.errors,
            part: shown.part,
            row,
            l,
        },
    )
}

async fn page(state: &AppState, s: &Signed, raw_id: &str, shown: Shown) -> Response {
    let id = match parse_id(s.tr, raw_id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    match state.app.sftp().get(&s.session.actor, id).await {
        Ok(v) => show_view(state, s, v, shown).await,
        Err(e) => s.error(e).into_response(),
    }
}

/// GET /sftp/{id}
pub async fn show(State(state): State<AppState>, s: Signed, Path(id): Path<String>) -> Response {
    page(&state, &s, &id, Shown::plain()).await
}

/// Back to the login's page with a confirmation, or the page again with
/// what went wrong above the form that failed.
async fn done<T>(
    state: &AppState,
    f: &CsrfForm,
    id: i64,
    result: Result<T, AppError>,
    flash: &str,
    part: Part,
    typed: Option<EditForm>,
) -> Response {
    match result {
        Ok(_) => see_other(&format!("/sftp/{id}?flash={flash}")),
        Err(e) => match mapped_outcome(&f.signed.tr, e, sftp_field) {
            FormOutcome::Show(errors, status) => {
                let errors = if part == Part::Top {
                    super::domain::flatten(errors)
                } else {
                    errors
                };
                let shown = Shown::failed(errors, part, status, typed);
                page(state, &f.signed, &id.to_string(), shown).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

fn sftp_id(f: &CsrfForm, raw: &str) -> Result<i64, PanelError> {
    parse_id(f.signed.tr, raw)
}

/// POST /sftp/{id}: the directory, the keys and the password.
pub async fn update(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match sftp_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let s = &f.signed;
    let form = EditForm::from_form(&f.form);
    let mode = PasswordMode::of_form(&f.form, PasswordMode::Keep);
    let typed = f.form.get("password");
    // Not found first: another account's login says nothing about its form.
    if let Err(e) = state.app.sftp().get(&s.session.actor, id).await {
        return s.error(e).into_response();
    }
    if let Some(errors) = chosen_but_empty(&s.tr, mode, typed, "password", "sftp_password") {
        let shown = Shown::failed(errors, Part::Edit, 422, Some(form));
        return page(&state, s, &raw, shown).await;
    }
    let input = SftpUpdate {
        dir: Some(form.dir.clone()),
        keys: Some(form.keys.clone()),
        password: match mode {
            PasswordMode::Choose => Some(typed.to_owned()),
            PasswordMode::Remove => Some(String::new()),
            PasswordMode::Generate | PasswordMode::Keep => None,
        },
        generate_password: mode == PasswordMode::Generate,
    };
    match state.app.sftp().update(&s.session.actor, id, input).await {
        Ok(v) if v.password.is_some() => {
            show_view(&state, s, v, Shown::after("flash-sftp-saved", 200)).await
        }
        result => done(&state, &f, id, result, "sftp-saved", Part::Edit, Some(form)).await,
    }
}

async fn set_enabled(state: AppState, raw: String, f: CsrfForm, enabled: bool) -> Response {
    let id = match sftp_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let result = state
        .app
        .sftp()
        .set_enabled(&f.signed.session.actor, id, enabled)
        .await;
    let flash = if enabled {
        "sftp-enabled"
    } else {
        "sftp-disabled"
    };
    done(&state, &f, id, result, flash, Part::Top, None).await
}

/// POST /sftp/{id}/enable
pub async fn enable(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    set_enabled(state, raw, f, true).await
}

/// POST /sftp/{id}/disable
pub async fn disable(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    set_enabled(state, raw, f, false).await
}

/// POST /sftp/{id}/delete: confirmed by a ticked box; the files stay.
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    f: CsrfForm,
) -> Response {
    let id = match sftp_id(&f, &raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let s = &f.signed;
    if !f.form.checked("confirm") {
        let errors = FormErrors::general(s.tr.t("sftp-delete-confirm-needed"));
        return page(&state, s, &raw, Shown::failed(errors, Part::Top, 422, None)).await;
    }
    match state.app.sftp().delete(&s.session.actor, id).await {
        Ok(()) => see_other("/sftp?flash=sftp-deleted"),
        Err(e) => done::<()>(&state, &f, id, Err(e), "", Part::Top, None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::model::Locale;

    #[test]
    fn a_password_typed_without_a_choice_is_chosen() {
        let form = |pairs: &[(&str, &str)]| {
            FormData(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        };
        let of = |pairs: &[(&str, &str)]| PasswordMode::of_form(&form(pairs), PasswordMode::Keep);
        assert_eq!(of(&[]), PasswordMode::Keep);
        assert_eq!(of(&[("password", "x")]), PasswordMode::Choose);
        assert_eq!(
            of(&[("password_mode", "generate"), ("password", "x")]),
            PasswordMode::Generate
        );
        assert_eq!(of(&[("password_mode", "none")]), PasswordMode::Remove);
        assert_eq!(of(&[("password_mode", "odd")]), PasswordMode::Keep);
    }

    #[test]
    fn every_sftp_field_and_rule_has_words() {
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            for rule in [
                Rule::SshKeyFormat,
                Rule::SshKeyTooWeak,
                Rule::NameTaken,
                Rule::NeedsPasswordOrKey,
                Rule::PathFormat,
                Rule::SlugFormat,
            ] {
                assert!(tr.has(rule.message_id()), "{locale:?}: {rule:?}");
            }
            for field in ["login", "dir", "keys", "password"] {
                let (_, label) = sftp_field(field);
                let id = format!("field-{}", label.replace('_', "-"));
                assert!(tr.has(&id), "{locale:?}: {id}");
            }
            let errors = mapped_errors(
                &tr,
                &[FieldError::new("keys", Rule::SshKeyFormat)],
                sftp_field,
            );
            let msg = errors.get("keys").unwrap_or_default();
            assert!(msg.starts_with(&tr.t("field-ssh-keys")), "{msg}");
        }
    }
}
