//! Mailing lists in the panel: the account's lists with the deleted ones
//! (here), the form that makes a list (here), a list's settings page with
//! deleting and restoring (`settings`), its subscribers, owners and
//! moderators (`members`) and its moderation queue (`moderation`).
//!
//! Lists travel in URLs by number. The settings live in Konbit's store and
//! always work; the people and the queue live in Mailman, so their pages
//! say so in words when it does not answer or the list is not made yet.

mod members;
mod moderation;
mod settings;

pub use members::{add_staff, export_csv, members, remove_staff, subscribe, unsubscribe};
pub use moderation::{decide_request, held_post, moderate, moderation};
pub use settings::{delete, restore, show, update};

use super::domain::StatusView;
use super::mail::{DomainGroup, mail_domains};
use super::sftp::{
    UsageCard, account_names, accounts_of, failure, mapped_outcome, status_view, usage_cards,
};
use super::{FormErrors, FormOutcome, Layout, query_value, render, see_other};
use crate::AppState;
use crate::context::Signed;
use crate::form::{CsrfForm, FormData};
use crate::i18n::Tr;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::list::{CreateList, ListSettingsInput};
use konbit_core::ErrorCode;
use konbit_core::list::{ListSettings, ReplyTo};
use konbit_core::model::{AccountId, Locale, MailingList};
use konbit_core::quota::Resource;
use std::collections::HashMap;

/// The list form's fields on the page and in messages: the app names the
/// whole address `address`, the page types its name apart from the domain.
pub(super) fn field(field: &'static str) -> (&'static str, &'static str) {
    match field {
        "address" => ("name", "list_name"),
        other => (other, other),
    }
}

/// Why a list's people or queue cannot be shown or changed right now, in
/// words: Mailman is down, the list is not made yet, this server has no
/// list server, or the list is deleted. `None`: any other error.
pub(super) fn live_problem(tr: &Tr, e: &AppError) -> Option<String> {
    match e {
        AppError::Conflict { code, detail } => match code {
            ErrorCode::ServiceUnavailable | ErrorCode::ListNotReady => {
                Some(tr.t(&code.message_id()))
            }
            ErrorCode::Conflict if detail.contains("not set up") => {
                Some(tr.t("list-server-missing"))
            }
            ErrorCode::Conflict if detail.contains("deleted") => Some(tr.t("list-deleted-live")),
            _ => None,
        },
        _ => None,
    }
}

/// The domain of a list as people read it (Unicode for an IDN).
fn display_domain(ascii: &str) -> String {
    konbit_core::names::Fqdn::parse("domain", ascii, 1)
        .map(|d| d.to_unicode())
        .unwrap_or_else(|_| ascii.to_owned())
}

/// One list as the table and its pages show it.
pub struct ListRow {
    pub id: i64,
    /// `name@domain`, the domain in Unicode.
    pub address: String,
    pub description: String,
    pub account: String,
    pub subscription: String,
    pub posting: String,
    pub status: StatusView,
    pub last_error: Option<String>,
    pub purge_after: Option<i64>,
}

impl ListRow {
    pub(super) fn of(tr: &Tr, list: &MailingList, accounts: &HashMap<AccountId, String>) -> Self {
        let s = ListSettingsInput::from_settings(&list.settings);
        Self {
            id: list.id.0,
            address: format!("{}@{}", list.name, display_domain(&list.domain)),
            description: list.settings.description.as_str().to_owned(),
            account: accounts.get(&list.account_id).cloned().unwrap_or_default(),
            subscription: tr.t(&format!("list-subscription-{}", s.subscription)),
            posting: tr.t(&format!("list-posting-{}", s.posting)),
            status: status_view(tr, list.provision.status),
            last_error: failure(&list.provision),
            purge_after: list.purge_after,
        }
    }

    pub fn deleted(&self) -> bool {
        self.purge_after.is_some()
    }
}

#[derive(Template)]
#[template(path = "list/list.html")]
struct ListPage {
    l: Layout,
    /// This server hosts lists.
    enabled: bool,
    lists: Vec<ListRow>,
    deleted: Vec<ListRow>,
    show_account: bool,
    usage: Vec<UsageCard>,
    /// Some mail domain of an unlocked account can take a list.
    can_add: bool,
}

impl ListPage {
    fn restore_label(&self, r: &ListRow) -> String {
        self.l
            .tr
            .t1("list-restore-named", "address", r.address.clone())
    }
}

/// GET /lists
pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    let actor = &s.session.actor;
    let accounts = match accounts_of(&state, &s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let names = account_names(&accounts);
    let lists = state.app.lists();
    let (live, deleted) = match (
        lists.list(actor, None, false).await,
        lists.list(actor, None, true).await,
    ) {
        (Ok(live), Ok(all)) => (
            live,
            all.into_iter()
                .filter(MailingList::is_deleted)
                .collect::<Vec<_>>(),
        ),
        (Err(e), _) | (_, Err(e)) => return s.error(e).into_response(),
    };
    let with: Vec<AccountId> = live.iter().chain(&deleted).map(|l| l.account_id).collect();
    let usage = match usage_cards(&state, &s, &accounts, &with, Resource::MailingLists).await {
        Ok(u) => u,
        Err(e) => return s.error(e).into_response(),
    };
    let can_add = match mail_domains(&state, &s, &accounts).await {
        Ok((_, addable)) => !addable.is_empty(),
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let l = Layout::signed(&s, "lists", "lists-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    render(
        s.tr,
        200,
        &ListPage {
            l,
            enabled: state.app.config.lists.enabled,
            lists: live.iter().map(|v| ListRow::of(tr, v, &names)).collect(),
            deleted: deleted.iter().map(|v| ListRow::of(tr, v, &names)).collect(),
            show_account: s.session.person.is_admin || accounts.len() > 1,
            usage,
            can_add,
        },
    )
}

/// A list's settings form as typed, shared by the new list and its page.
#[derive(Clone, Default)]
pub struct SettingsForm {
    pub s: ListSettingsInput,
}

impl SettingsForm {
    pub(super) fn of(settings: &ListSettings) -> Self {
        Self {
            s: ListSettingsInput::from_settings(settings),
        }
    }

    /// A new list's: the defaults, in the person's language.
    fn new_for(locale: Locale) -> Self {
        let mut f = Self::of(&ListSettings::default());
        f.s.language = match locale {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
        .to_owned();
        f
    }

    pub(super) fn from_form(form: &FormData) -> Self {
        Self {
            s: ListSettingsInput {
                description: form.get("description").to_owned(),
                subscription: form.get("subscription").trim().to_owned(),
                posting: form.get("posting").trim().to_owned(),
                reply_to: form.get("reply_to").trim().to_owned(),
                reply_to_address: form.get("reply_to_address").trim().to_owned(),
                munge_from: form.checked("munge_from"),
                archives: form.checked("archives"),
                digest: form.checked("digest"),
                language: form.get("language").trim().to_owned(),
            },
        }
    }

    pub fn subscription_is(&self, v: &str) -> bool {
        self.s.subscription == v
    }

    pub fn posting_is(&self, v: &str) -> bool {
        self.s.posting == v
    }

    pub fn reply_to_is(&self, v: &str) -> bool {
        self.s.reply_to == v || (v == "author" && self.s.reply_to.is_empty())
    }

    pub fn language_is(&self, v: &str) -> bool {
        self.s.language == v
    }
}

/// The choices of the settings form, in the order shown.
pub const SUBSCRIPTIONS: [&str; 3] = ["confirm", "open", "moderate"];
pub const POSTINGS: [&str; 3] = ["members", "anyone", "moderated"];
pub const REPLY_TOS: [&str; 3] = ["author", "list", "address"];

/// One radio of the settings form, with its words.
pub struct ChoiceView {
    pub value: &'static str,
    pub label: String,
    pub hint: String,
}

/// The three groups of radios of the settings form.
pub struct Choices {
    pub subscriptions: Vec<ChoiceView>,
    pub postings: Vec<ChoiceView>,
    pub reply_tos: Vec<ChoiceView>,
}

impl Choices {
    pub(super) fn new(tr: &Tr) -> Self {
        let views = |prefix: &str, values: [&'static str; 3]| {
            values
                .into_iter()
                .map(|value| ChoiceView {
                    value,
                    label: tr.t(&format!("{prefix}-{value}")),
                    hint: tr.t(&format!("{prefix}-{value}-hint")),
                })
                .collect()
        };
        Self {
            subscriptions: views("list-subscription", SUBSCRIPTIONS),
            postings: views("list-posting", POSTINGS),
            reply_tos: views("list-reply-to", REPLY_TOS),
        }
    }
}

/// Where replies go, in words, for a list's page.
pub(super) fn reply_to_text(tr: &Tr, r: &ReplyTo) -> String {
    match r {
        ReplyTo::Author => tr.t("list-reply-to-author"),
        ReplyTo::List => tr.t("list-reply-to-list"),
        ReplyTo::Address(a) => tr.t1("list-reply-to-address-is", "address", a.as_str()),
    }
}

#[derive(Template)]
#[template(path = "list/new.html")]
struct NewPage {
    l: Layout,
    enabled: bool,
    groups: Vec<DomainGroup>,
    show_account: bool,
    name: String,
    domain: String,
    form: SettingsForm,
    errors: FormErrors,
    choices: Choices,
}

async fn new_page(
    state: &AppState,
    s: &Signed,
    typed: (String, String, SettingsForm),
    errors: FormErrors,
    status: u16,
) -> Response {
    let (name, domain, form) = typed;
    let accounts = match accounts_of(state, s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let groups = match mail_domains(state, s, &accounts).await {
        Ok((_, addable)) => addable,
        Err(e) => return s.error(e).into_response(),
    };
    let mut l = Layout::signed(s, "lists", "lists-title");
    l.title = s.tr.t("list-new-title");
    render(
        s.tr,
        status,
        &NewPage {
            l,
            enabled: state.app.config.lists.enabled,
            show_account: groups.len() > 1,
            groups,
            name,
            domain,
            form,
            errors,
            choices: Choices::new(&s.tr),
        },
    )
}

/// GET /lists/new
pub async fn new_form(State(state): State<AppState>, s: Signed) -> Response {
    let form = SettingsForm::new_for(s.tr.locale);
    let domain = query_value(&s.path, "domain").unwrap_or_default();
    new_page(
        &state,
        &s,
        (String::new(), domain, form),
        FormErrors::default(),
        200,
    )
    .await
}

/// POST /lists/new
pub async fn create(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let name = f.form.get("name").trim().to_ascii_lowercase();
    let domain = f.form.get("domain").trim().to_owned();
    let form = SettingsForm::from_form(&f.form);
    let input = CreateList {
        address: format!("{name}@{domain}"),
        settings: form.s.clone(),
    };
    match state.app.lists().create(&s.session.actor, input).await {
        Ok(list) => see_other(&format!("/lists/{}?flash=list-created", list.id)),
        Err(e) => match mapped_outcome(&s.tr, e, field) {
            FormOutcome::Show(errors, status) => {
                new_page(&state, s, (name, domain, form), errors, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_and_field_has_words() {
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            for (prefix, values) in [
                ("list-subscription", SUBSCRIPTIONS),
                ("list-posting", POSTINGS),
                ("list-reply-to", REPLY_TOS),
            ] {
                for v in values {
                    let id = format!("{prefix}-{v}");
                    assert!(tr.has(&id), "{locale:?}: {id}");
                    assert!(tr.has(&format!("{id}-hint")), "{locale:?}: {id}-hint");
                }
            }
            for f in [
                "address",
                "description",
                "subscription",
                "posting",
                "reply_to",
                "reply_to_address",
                "language",
                "addresses",
                "role",
                "reason",
            ] {
                let id = format!("field-{}", field(f).1.replace('_', "-"));
                assert!(tr.has(&id), "{locale:?}: {id}");
            }
            for id in [
                "error-list-not-ready",
                "error-service-unavailable",
                "list-server-missing",
                "list-deleted-live",
            ] {
                assert!(tr.has(id), "{locale:?}: {id}");
            }
        }
    }

    #[test]
    fn mailman_troubles_are_told_in_words() {
        let tr = Tr::new(Locale::En);
        let down = AppError::Conflict {
            code: ErrorCode::ServiceUnavailable,
            detail: "x".into(),
        };
        assert!(live_problem(&tr, &down).is_some_and(|m| m.contains("does not answer")));
        let missing = AppError::conflict("mailing lists are not set up on this server");
        assert!(live_problem(&tr, &missing).is_some());
        assert!(live_problem(&tr, &AppError::NotFound).is_none());
    }
}
