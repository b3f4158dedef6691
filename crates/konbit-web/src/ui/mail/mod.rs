//! Hosted mail in the panel: a domain's mail on its page (`domain_mail`),
//! the list of mailboxes and aliases with the forms that add them (here), a
//! mailbox's page (`mailbox`), an alias's page (`alias`), and what anyone
//! reaches without signing in (`public`): a mailbox's own password change,
//! and the settings mail programs ask for (autoconfig, autodiscover).
//!
//! Addresses travel in URLs in ASCII (punycode domains) and are shown in
//! Unicode.

mod alias;
mod domain_mail;
mod mailbox;
mod public;

pub use alias::{create_alias, delete_alias, show_alias, update_alias};
pub use domain_mail::{DomainMail, domain_mail, rotate_dkim, set_mail};
pub use mailbox::{
    create_mailbox, delete_mailbox, restore_mailbox, set_autoreply, set_enabled, set_password,
    set_quota, show_mailbox,
};
pub use public::{
    AUTODISCOVER_MAX_BYTES, autoconfig, autodiscover, own_password, own_password_page,
};

use super::domain::{Choice, NameView, StatusView, outcome};
use super::{FormErrors, FormOutcome, Layout, query_value, render};
use crate::AppState;
use crate::context::Signed;
use crate::form::FormData;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::domain::DomainQuery;
use konbit_app::mail_alias::{AliasQuery, AliasView};
use konbit_app::mailbox::{MailboxQuery, MailboxView};
use konbit_core::model::{Account, AccountId, ObjectStatus};
use konbit_core::page::PageRequest;
use konbit_core::{FieldError, Rule};
use konbit_store::AccountFilter;
use std::collections::HashMap;

/// A live status as a badge, like the domain pages' (the words carry the
/// meaning, the colour only repeats it).
fn status_view(tr: &Tr, s: ObjectStatus) -> StatusView {
    StatusView {
        label: tr.t(&format!("dns-status-{}", s.as_str())),
        class: match s {
            ObjectStatus::Applied => "badge-applied",
            ObjectStatus::Pending => "badge-pending",
            ObjectStatus::Failed => "badge-failed",
        },
    }
}

fn name_view(ascii: &konbit_core::names::Fqdn) -> NameView {
    NameView {
        ascii: ascii.to_string(),
        display: ascii.to_unicode(),
    }
}

const MIB: u64 = 1024 * 1024;

/// One mailbox as the list and its page show it.
pub struct MailboxRow {
    /// ASCII, for URLs and forms.
    pub address: String,
    /// Unicode, to read.
    pub display: String,
    pub account: String,
    pub status: StatusView,
    pub enabled: bool,
    /// Storage used, rounded up to the MB, as last measured.
    pub used_mb: u64,
    pub quota_mb: u64,
    pub measured_at: Option<i64>,
    pub purge_after: Option<i64>,
}

impl MailboxRow {
    fn of(tr: &Tr, v: &MailboxView, accounts: &HashMap<AccountId, String>) -> Self {
        let m = &v.mailbox;
        Self {
            address: m.address.to_string(),
            display: v.display_address.clone(),
            account: account_name(accounts, m.account_id),
            status: status_view(tr, v.status),
            enabled: m.enabled,
            used_mb: m.used_bytes.div_ceil(MIB),
            quota_mb: m.quota_mb,
            measured_at: m.used_at,
            purge_after: m.purge_after,
        }
    }

    pub fn deleted(&self) -> bool {
        self.purge_after.is_some()
    }

    /// Where the storage bar turns to a warning: 90 % of the quota.
    pub fn high(&self) -> u64 {
        self.quota_mb.saturating_mul(9) / 10
    }

    /// "12 MB of 1 GB", in the person's language.
    pub fn storage(&self, l: &Layout) -> String {
        l.tr.t2(
            "quota-usage",
            ("used", l.megabytes(self.used_mb)),
            ("limit", l.megabytes(self.quota_mb)),
        )
    }

    /// "Storage used by info@example.org", the name of its bar.
    pub fn storage_label(&self, l: &Layout) -> String {
        l.tr.t1("mailbox-storage-of", "address", self.display.clone())
    }
}

/// One alias as the list and its page show it.
pub struct AliasRow {
    pub id: i64,
    /// Unicode, `@example.org` for a catch-all.
    pub source: String,
    pub catch_all: bool,
    pub destinations: Vec<String>,
    pub account: String,
    pub status: StatusView,
}

impl AliasRow {
    fn of(tr: &Tr, v: &AliasView, accounts: &HashMap<AccountId, String>) -> Self {
        Self {
            id: v.alias.id.0,
            source: v.display_source.clone(),
            catch_all: v.catch_all,
            destinations: v.alias.destinations.clone(),
            account: account_name(accounts, v.alias.account_id),
            status: status_view(tr, v.status),
        }
    }
}

fn account_name(accounts: &HashMap<AccountId, String>, id: AccountId) -> String {
    accounts
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("#{id}"))
}

/// The mail domains of one account, for a `<select>`.
pub struct DomainGroup {
    pub account: String,
    pub domains: Vec<NameView>,
}

/// What the "add a mailbox" form holds.
#[derive(Default, Clone)]
pub struct MailboxForm {
    pub local_part: String,
    pub domain: String,
    pub quota_mb: String,
}

/// What the "add an alias" form holds.
#[derive(Default, Clone)]
pub struct AliasForm {
    pub local_part: String,
    pub domain: String,
    pub catch_all: bool,
    pub destinations: String,
}

#[derive(Template)]
#[template(path = "mail/list.html")]
struct ListPage {
    l: Layout,
    mailboxes: Vec<MailboxRow>,
    aliases: Vec<AliasRow>,
    /// The domain the lists are limited to (ASCII), `""` for all.
    domain: String,
    /// Whether the deleted mailboxes are shown instead of the live ones.
    deleted: bool,
    /// Whether the person sees several accounts, so rows name their own.
    show_account: bool,
    /// Every mail domain the person sees, to filter the lists.
    filter_domains: Vec<Choice>,
    /// The mail domains where the person may add mailboxes and aliases.
    add_groups: Vec<DomainGroup>,
    /// Some domain of the person's receives mail, even if locked.
    any_mail_domain: bool,
    mailbox_form: MailboxForm,
    mailbox_errors: FormErrors,
    alias_form: AliasForm,
    alias_errors: FormErrors,
    default_quota_mb: u64,
}

impl ListPage {
    fn default_quota_hint(&self) -> String {
        self.l.tr.t1(
            "mailbox-hint-quota",
            "size",
            self.l.megabytes(self.default_quota_mb),
        )
    }

    fn filtered(&self) -> bool {
        !self.domain.is_empty()
    }

    fn restore_label(&self, m: &MailboxRow) -> String {
        self.l
            .tr
            .t1("mailbox-restore-named", "address", m.display.clone())
    }
}

/// The accounts the person sees (first page, at most 200).
async fn accounts_of(state: &AppState, s: &Signed) -> Result<Vec<Account>, AppError> {
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

/// The live domains with mail on the person sees, grouped by account: all
/// of them, and those of accounts the person may change.
pub(super) async fn mail_domains(
    state: &AppState,
    s: &Signed,
    accounts: &[Account],
) -> Result<(Vec<DomainGroup>, Vec<DomainGroup>), AppError> {
    let domains = state
        .app
        .domains()
        .list(
            &s.session.actor,
            DomainQuery::default(),
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?
        .items;
    let is_admin = s.session.person.is_admin;
    let mut all = Vec::new();
    let mut addable = Vec::new();
    for a in accounts {
        let group: Vec<NameView> = domains
            .iter()
            .filter(|d| d.account_id == a.id && d.mail && d.alias_of.is_none())
            .map(|d| name_view(&d.name))
            .collect();
        if group.is_empty() {
            continue;
        }
        if is_admin || !a.locked {
            addable.push(DomainGroup {
                account: a.display_name.to_string(),
                domains: group
                    .iter()
                    .map(|d| NameView {
                        ascii: d.ascii.clone(),
                        display: d.display.clone(),
                    })
                    .collect(),
            });
        }
        all.push(DomainGroup {
            account: a.display_name.to_string(),
            domains: group,
        });
    }
    Ok((all, addable))
}

async fn list_page(
    state: &AppState,
    s: &Signed,
    forms: (MailboxForm, FormErrors, AliasForm, FormErrors),
    status: u16,
) -> Response {
    let (mut mailbox_form, mailbox_errors, mut alias_form, alias_errors) = forms;
    let actor = &s.session.actor;
    let domain = query_value(&s.path, "domain")
        .map(|d| d.trim().to_owned())
        .unwrap_or_default();
    let deleted = query_value(&s.path, "deleted").is_some_and(|v| !v.is_empty());
    let accounts = match accounts_of(state, s).await {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    let names: HashMap<AccountId, String> = accounts
        .iter()
        .map(|a| (a.id, a.display_name.to_string()))
        .collect();
    let (all, add_groups) = match mail_domains(state, s, &accounts).await {
        Ok(d) => d,
        Err(e) => return s.error(e).into_response(),
    };
    let filter = Some(domain.clone()).filter(|d| !d.is_empty());
    let mailboxes = match state
        .app
        .mailboxes()
        .list(
            actor,
            MailboxQuery {
                account: None,
                domain: filter.clone(),
                deleted,
            },
        )
        .await
    {
        Ok(m) => m,
        Err(e) => return s.error(e).into_response(),
    };
    let aliases = match state
        .app
        .mail_aliases()
        .list(
            actor,
            AliasQuery {
                account: None,
                domain: filter,
            },
        )
        .await
    {
        Ok(a) => a,
        Err(e) => return s.error(e).into_response(),
    };
    // The filter's domain, as the lists know it (ASCII).
    let domain = all
        .iter()
        .flat_map(|g| &g.domains)
        .find(|d| d.ascii == domain || d.display == domain)
        .map(|d| d.ascii.clone())
        .unwrap_or(domain);
    // A new mailbox or alias goes by default to the domain looked at.
    if mailbox_form.domain.is_empty() {
        mailbox_form.domain = domain.clone();
    }
    if alias_form.domain.is_empty() {
        alias_form.domain = domain.clone();
    }
    let filter_domains = all
        .iter()
        .flat_map(|g| &g.domains)
        .map(|d| Choice {
            value: d.ascii.clone(),
            label: d.display.clone(),
            selected: d.ascii == domain,
        })
        .collect();
    let tr = &s.tr;
    let l = Layout::signed(s, "mail", "mail-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    render(
        s.tr,
        status,
        &ListPage {
            l,
            mailboxes: mailboxes
                .iter()
                .map(|m| MailboxRow::of(tr, m, &names))
                .collect(),
            aliases: aliases
                .iter()
                .map(|a| AliasRow::of(tr, a, &names))
                .collect(),
            domain,
            deleted,
            show_account: s.session.person.is_admin || accounts.len() > 1,
            filter_domains,
            any_mail_domain: !all.is_empty(),
            add_groups,
            mailbox_form,
            mailbox_errors,
            alias_form,
            alias_errors,
            default_quota_mb: state.app.config.mail.default_quota_mb,
        },
    )
}

/// GET /mail
pub async fn list(State(state): State<AppState>, s: Signed) -> Response {
    list_page(
        &state,
        &s,
        (
            MailboxForm::default(),
            FormErrors::default(),
            AliasForm::default(),
            FormErrors::default(),
        ),
        200,
    )
    .await
}

/// "Password, again: the two passwords differ." when they do.
fn confirm_error(tr: &Tr, form: &FormData, password: &str) -> Option<FormErrors> {
    (form.get(password) != form.get("password_confirm")).then(|| FormErrors {
        items: vec![(
            "password_confirm".into(),
            tr.t1(
                "mail-password-confirm-differs",
                "field",
                tr.t("field-password-confirm"),
            ),
        )],
        general: None,
    })
}

/// A storage size typed in MB: a number from 1 to the largest mailbox.
fn parse_quota(raw: &str) -> Result<Option<u64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<u64>().map(Some).map_err(|_| {
        FieldError::new(
            "quota_mb",
            Rule::OutOfRange {
                min: 1,
                max: konbit_app::mailbox::MAX_QUOTA_MB,
            },
        )
    })
}

/// An address of a URL, as it goes back into a URL: ASCII when it is an
/// address, or percent-encoded as it came.
fn path_address(address: &str) -> String {
    match konbit_core::mail::MailAddress::parse("address", address) {
        Ok(a) => a.to_string(),
        Err(_) => url::form_urlencoded::byte_serialize(address.as_bytes()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::model::Locale;

    #[test]
    fn quotas_are_whole_megabytes() {
        assert_eq!(parse_quota(""), Ok(None));
        assert_eq!(parse_quota(" 512 "), Ok(Some(512)));
        for bad in ["-1", "1.5", "lots", "99999999999999999999999"] {
            let e = parse_quota(bad).err().map(|e| e.field);
            assert_eq!(e, Some("quota_mb"), "{bad}");
        }
    }

    #[test]
    fn addresses_in_urls_are_ascii() {
        assert_eq!(
            path_address("info@Café.Example"),
            "info@xn--caf-dma.example"
        );
        assert_eq!(path_address("a b/c"), "a+b%2Fc");
    }

    #[test]
    fn a_password_that_differs_names_the_field() {
        for locale in Locale::ALL {
            let tr = Tr::new(locale);
            let form = FormData(vec![
                ("password".into(), "one long password".into()),
                ("password_confirm".into(), "another password".into()),
            ]);
            let errors = confirm_error(&tr, &form, "password").unwrap_or_default();
            let msg = errors.get("password_confirm").unwrap_or_default();
            assert!(
                msg.starts_with(&tr.t("field-password-confirm")),
                "{locale:?}: {msg}"
            );
            let same = FormData(vec![
                ("password".into(), "one long password".into()),
                ("password_confirm".into(), "one long password".into()),
            ]);
            assert!(confirm_error(&tr, &same, "password").is_none());
        }
    }
}
