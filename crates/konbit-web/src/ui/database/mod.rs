//! Members' databases in the panel: the list with sizes against the limit
//! and the deleted ones (here), the form that adds a database (here), and
//! a database's page with how to connect, its users, passwords, deleting,
//! restoring and the final dump's download (`page`).
//!
//! Databases travel in URLs by number. A password Konbit generates is
//! shown once, on the page that answers the form, never in a URL.

mod page;

pub use page::{add_user, delete, delete_user, download_dump, restore, set_password, show};

use super::domain::StatusView;
use super::sftp::{
    AccountChoice, PasswordMode, UsageCard, account_choices, account_names, accounts_of,
    chosen_but_empty, failure, mapped_outcome, prefixes, status_view, usage_cards,
};
use super::{FormErrors, FormOutcome, Layout, query_value, render, see_other};
use crate::AppState;
use crate::context::Signed;
use crate::form::{CsrfForm, FormData};
use crate::i18n::Tr;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use konbit_app::database::{DatabaseInput, DatabaseView};
use konbit_core::database::{DbEngine, DbName};
use konbit_core::model::{Account, AccountId, Locale};
use konbit_core::quota::Resource;
use std::collections::HashMap;

/// The database form's fields on the page and in messages.
fn create_field(field: &'static str) -> (&'static str, &'static str) {
    match field {
        "name" => ("name", "db_name"),
        "engine" => ("engine", "db_engine"),
        other => (other, other),
    }
}

/// A size the way people read it: `850 KB`, `12 MB`, `1,5 GB`.
pub(super) fn bytes_text(tr: &Tr, bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    const GB: u64 = 1024 * MB;
    let decimal = |unit: u64, id: &str| {
        let tenths = (u128::from(bytes) * 10 + u128::from(unit) / 2) / u128::from(unit);
        let tenths = u64::try_from(tenths).unwrap_or(u64::MAX);
        let (whole, frac) = (tenths / 10, tenths % 10);
        let n = if frac == 0 || whole >= 100 {
            tr.number(whole + u64::from(frac >= 5 && whole >= 100))
        } else {
            let comma = match tr.locale {
                Locale::Fr => ',',
                Locale::En => '.',
            };
            format!("{}{comma}{frac}", tr.number(whole))
        };
        tr.t1(id, "n", n)
    };
    if bytes >= GB {
        decimal(GB, "unit-gb")
    } else if bytes >= MB {
        decimal(MB, "unit-mb")
    } else {
        tr.t1("hosting-unit-kb", "n", tr.number(bytes.div_ceil(KB)))
    }
}

/// One database as the list and its page show it.
pub struct DatabaseRow {
    pub id: i64,
    pub name: String,
    pub account: String,
    pub engine: &'static str,
    /// Bytes as last measured; `None`: not measured yet.
    pub size_bytes: Option<u64>,
    pub measured_at: Option<i64>,
    /// The operator's limit per database (none: 0).
    pub max_bytes: u64,
    pub over_size: bool,
    pub read_only: bool,
    pub status: StatusView,
    pub last_error: Option<String>,
    pub purge_after: Option<i64>,
    pub dump_available: bool,
}

impl DatabaseRow {
    fn of(tr: &Tr, v: &DatabaseView, accounts: &HashMap<AccountId, String>) -> Self {
        let d = &v.database;
        Self {
            id: d.id.0,
            name: d.name.to_string(),
            account: accounts
                .get(&d.account_id)
                .cloned()
                .unwrap_or_else(|| v.account_name.clone()),
            engine: d.engine.label(),
            size_bytes: d.size_bytes.map(|b| u64::try_from(b).unwrap_or(0)),
            measured_at: d.size_measured_at,
            max_bytes: v.max_size_bytes,
            over_size: v.over_size,
            read_only: d.read_only,
            status: status_view(tr, d.provision.status),
            last_error: failure(&d.provision),
            purge_after: d.purge_after,
            dump_available: v.dump_available,
        }
    }

    pub fn deleted(&self) -> bool {
        self.purge_after.is_some()
    }

    /// "12 MB of 1 GB", "12 MB", or "not measured yet".
    pub fn size_line(&self, tr: &Tr) -> String {
        match self.size_bytes {
            None => tr.t("database-size-not-measured"),
            Some(b) if self.max_bytes > 0 => tr.t2(
                "quota-usage",
                ("used", bytes_text(tr, b)),
                ("limit", bytes_text(tr, self.max_bytes)),
            ),
            Some(b) => bytes_text(tr, b),
        }
    }
}

#[derive(Template)]
#[template(path = "database/list.html")]
struct ListPage {
    l: Layout,
    /// Some engine is set up on this server.
    any_engine: bool,
    databases: Vec<DatabaseRow>,
    deleted: Vec<DatabaseRow>,
    show_account: bool,
    usage: Vec<UsageCard>,
    can_add: bool,
}

impl ListPage {
    fn size(&self, d: &DatabaseRow) -> String {
        d.size_line(&self.l.tr)
    }

    fn restore_label(&self, d: &DatabaseRow) -> String {
        self.l
            .tr
            .t1("database-restore-named", "name", d.name.clone())
    }

    fn download_label(&self, d: &DatabaseRow) -> String {
        self.l.tr.t1("database-dump-named", "name", d.name.clone())
    }
}

/// The engines set up on this server.
fn engines(state: &AppState) -> Vec<DbEngine> {
    DbEngine::ALL
        .into_iter()
        .filter(|e| state.app.config.databases.engine(*e).is_some())
        .collect()
}

/// GET /databases
pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    let actor = &s.session.actor;
    let accounts = match accounts_of(&state, &s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let names = account_names(&accounts);
    let dbs = state.app.databases();
    let live = match dbs.list(actor, None, false).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let deleted = match dbs.list(actor, None, true).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let with: Vec<AccountId> = live
        .iter()
        .chain(&deleted)
        .map(|v| v.database.account_id)
        .collect();
    let usage = match usage_cards(&state, &s, &accounts, &with, Resource::Databases).await {
        Ok(u) => u,
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let l = Layout::signed(&s, "databases", "databases-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    render(
        s.tr,
        200,
        &ListPage {
            l,
            any_engine: !engines(&state).is_empty(),
            databases: live
                .iter()
                .map(|v| DatabaseRow::of(tr, v, &names))
                .collect(),
            deleted: deleted
                .iter()
                .map(|v| DatabaseRow::of(tr, v, &names))
                .collect(),
            show_account: s.session.person.is_admin || accounts.len() > 1,
            usage,
            can_add: !account_choices(&s, &accounts, "", |_| String::new()).is_empty(),
        },
    )
}

/// An engine to choose, with its word of help.
pub struct EngineChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub help: String,
    pub checked: bool,
}

/// What the new-database form holds, as typed (never the password).
#[derive(Clone, Default)]
pub struct DbForm {
    pub account: String,
    pub engine: String,
    pub suffix: String,
    pub mode: &'static str,
}

impl DbForm {
    fn from_form(form: &FormData) -> Self {
        Self {
            account: form.get("account").trim().to_owned(),
            engine: form.get("engine").trim().to_owned(),
            suffix: form.get("suffix").trim().to_owned(),
            mode: PasswordMode::of_form(form, PasswordMode::Generate).as_str(),
        }
    }
}

#[derive(Template)]
#[template(path = "database/new.html")]
struct NewPage {
    l: Layout,
    engines: Vec<EngineChoice>,
    accounts: Vec<AccountChoice>,
    all_locked: bool,
    form: DbForm,
    errors: FormErrors,
}

impl NewPage {
    fn name_hint(&self) -> String {
        self.l
            .tr
            .t1("database-hint-name", "prefixes", prefixes(&self.accounts))
    }

    fn mode_is(&self, mode: &str) -> bool {
        self.form.mode == mode
    }

    fn only_engine(&self) -> String {
        let label = self.engines.first().map(|e| e.label).unwrap_or_default();
        self.l.tr.t1("database-engine-only", "engine", label)
    }
}

/// The prefix of an account's database names (`my_radio_`).
fn db_prefix(a: &Account) -> String {
    DbName::prefix(&a.name)
}

async fn new_page(
    state: &AppState,
    s: &Signed,
    form: DbForm,
    errors: FormErrors,
    status: u16,
) -> Response {
    let accounts = match accounts_of(state, s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let choices = account_choices(s, &accounts, &form.account, db_prefix);
    let available = engines(state);
    let chosen = available
        .iter()
        .find(|e| e.as_str() == form.engine)
        .or(available.first())
        .copied();
    let tr = &s.tr;
    let engines = available
        .iter()
        .map(|e| EngineChoice {
            value: e.as_str(),
            label: e.label(),
            help: tr.t(&format!("database-engine-{}-help", e.as_str())),
            checked: Some(*e) == chosen,
        })
        .collect();
    let mut l = Layout::signed(s, "databases", "databases-title");
    l.title = tr.t("database-new-title");
    render(
        s.tr,
        status,
        &NewPage {
            l,
            engines,
            all_locked: !accounts.is_empty() && choices.is_empty(),
            accounts: choices,
            form,
            errors,
        },
    )
}

/// GET /databases/new
pub async fn new_form(State(state): State<AppState>, s: Signed) -> Response {
    let form = DbForm {
        mode: PasswordMode::Generate.as_str(),
        ..DbForm::default()
    };
    new_page(&state, &s, form, FormErrors::default(), 200).await
}

/// POST /databases/new: the database's page answers, with the password
/// Konbit made when it made one.
pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let form = DbForm::from_form(&f.form);
    let mode = PasswordMode::of_form(&f.form, PasswordMode::Generate);
    let typed = f.form.get("password");
    if let Some(errors) = chosen_but_empty(&s.tr, mode, typed, "password", "password") {
        return new_page(&state, s, form, errors, 422).await;
    }
    let input = DatabaseInput {
        account: form.account.clone(),
        engine: form.engine.clone(),
        suffix: form.suffix.clone(),
        // Empty: Konbit makes one.
        password: if mode == PasswordMode::Choose {
            typed.to_owned()
        } else {
            String::new()
        },
    };
    match state.app.databases().create(&s.session.actor, input).await {
        Ok(v) if v.password.is_some() => {
            let user = v.database.name.to_string();
            page::show_view(&state, s, v, page::Shown::generated(user, 201)).await
        }
        Ok(v) => see_other(&format!(
            "/databases/{}?flash=database-created",
            v.database.id
        )),
        Err(e) => match mapped_outcome(&s.tr, e, create_field) {
            FormOutcome::Show(errors, status) => new_page(&state, s, form, errors, status).await,
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_the_local_way() {
        let fr = Tr::new(Locale::Fr);
        let en = Tr::new(Locale::En);
        assert_eq!(bytes_text(&en, 0), "0 KB");
        assert_eq!(bytes_text(&en, 1), "1 KB");
        assert_eq!(bytes_text(&en, 12 * 1024 * 1024), "12 MB");
        assert_eq!(bytes_text(&en, 1536 * 1024 * 1024), "1.5 GB");
        assert_eq!(bytes_text(&fr, 1536 * 1024 * 1024), "1,5 Go");
        assert_eq!(bytes_text(&en, 1024 * 1024 * 1024), "1 GB");
        assert_eq!(bytes_text(&en, 250 * 1024 * 1024 * 1024), "250 GB");
    }

    #[test]
    fn every_database_field_and_rule_has_words() {
        use konbit_core::Rule;
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            for rule in [Rule::DbNameFormat, Rule::NameTaken, Rule::UnsafeCharacter] {
                assert!(tr.has(rule.message_id()), "{locale:?}: {rule:?}");
            }
            for e in DbEngine::ALL {
                assert!(tr.has(&format!("database-engine-{}-help", e.as_str())));
            }
            let labels = ["name", "engine", "password"]
                .into_iter()
                .map(|f| create_field(f).1)
                .chain(
                    ["name", "right", "password"]
                        .into_iter()
                        .map(|f| page::user_field(f).1),
                )
                .chain(std::iter::once(page::password_field("password").1));
            for label in labels {
                let id = format!("field-{}", label.replace('_', "-"));
                assert!(tr.has(&id), "{locale:?}: {id}");
            }
        }
    }
}
