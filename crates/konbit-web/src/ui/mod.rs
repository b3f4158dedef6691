//! The server-rendered panel. Plain HTML forms that work without
//! JavaScript; every page is translated and goes through the same layout.

mod account;
pub(crate) mod audit;
mod auth;
mod dashboard;
mod database;
mod domain;
mod governance;
mod impersonation;
mod list;
pub mod list_public;
mod mail;
mod password_reset;
mod quota_profile;
mod settings;
mod sftp;
mod site;
mod token;
mod two_factor;

use crate::RouteTable;
use crate::context::Signed;
use crate::error::{PanelError, field_message};
use crate::i18n::Tr;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use konbit_core::FieldError;
use konbit_core::quota::{QuotaLine, Resource};

pub(crate) fn routes() -> RouteTable {
    RouteTable::new()
        .get("/", dashboard::show)
        .get("/healthz", healthz)
        .get("/static/konbit.css", stylesheet)
        .get("/login", auth::login_page)
        .post("/login", auth::login)
        .post("/logout", auth::logout)
        .post("/logout/everywhere", auth::logout_everywhere)
        .get("/lang/{code}", auth::switch_language)
        .get("/accounts", account::list)
        .post("/accounts", account::create)
        .get("/accounts/new", account::new_form)
        .get("/accounts/{id}", account::show)
        .post("/accounts/{id}/edit", account::edit)
        .post("/accounts/{id}/lock", account::lock)
        .post("/accounts/{id}/unlock", account::unlock)
        .post("/accounts/{id}/delete", account::delete)
        .post("/accounts/{id}/restore", account::restore)
        .post("/accounts/{id}/people", account::add_person)
        .post("/accounts/{id}/people/{user_id}/role", account::set_role)
        .post(
            "/accounts/{id}/people/{user_id}/remove",
            account::remove_person,
        )
        .get("/quota-profiles", quota_profile::list)
        .post("/quota-profiles", quota_profile::create)
        .get("/quota-profiles/new", quota_profile::new_form)
        .get("/quota-profiles/{id}", quota_profile::edit_form)
        .post("/quota-profiles/{id}", quota_profile::update)
        .post("/quota-profiles/{id}/delete", quota_profile::delete)
        .get("/tokens", token::list)
        .post("/tokens", token::create)
        .post("/tokens/{id}/revoke", token::revoke)
        .get("/settings", settings::show)
        .post("/settings", settings::update)
        .post("/settings/password", settings::change_password)
        .post("/settings/language", settings::set_language)
        .post("/people/{user_id}/impersonate", impersonation::start)
        .post("/impersonation/end", impersonation::end)
        .get("/login/2fa", two_factor::login_page)
        .post("/login/2fa", two_factor::login)
        .get("/settings/2fa", two_factor::settings)
        .post("/settings/2fa/start", two_factor::start)
        .post("/settings/2fa/confirm", two_factor::confirm)
        .post("/settings/2fa/disable", two_factor::disable)
        .post("/settings/sessions/{id}/end", settings::end_session)
        .get("/password-reset", password_reset::request_page)
        .post("/password-reset", password_reset::request)
        .get("/password-reset/{token}", password_reset::new_page)
        .post("/password-reset/{token}", password_reset::reset)
        .get("/audit", audit::list)
        .get("/audit.csv", audit::export)
        .get("/domains", domain::list)
        .post("/domains", domain::create)
        .get("/domains/{name}", domain::show)
        .post("/domains/{name}/dnssec", domain::set_dnssec)
        .post("/domains/{name}/delete", domain::delete)
        .post("/domains/{name}/restore", domain::restore)
        .post("/domains/{name}/records", domain::add_record)
        .get("/domains/{name}/records/{id}", domain::edit_record_form)
        .post("/domains/{name}/records/{id}", domain::update_record)
        .post("/domains/{name}/records/{id}/delete", domain::delete_record)
        .get("/domains/{name}/import", domain::import_form)
        .add(
            "POST",
            "/domains/{name}/import",
            // A zone file may be larger than other forms (see the API).
            axum::routing::post(domain::import_post).layer(axum::extract::DefaultBodyLimit::max(
                2 * konbit_core::dns::zonefile::MAX_ZONE_FILE_BYTES,
            )),
        )
        .get("/domains/{name}/export", domain::export)
        .post("/domains/{name}/mail", mail::set_mail)
        .post("/domains/{name}/mail/dkim", mail::rotate_dkim)
        .get("/mail", mail::list)
        .post("/mail/mailboxes", mail::create_mailbox)
        .get("/mail/mailboxes/{address}", mail::show_mailbox)
        .post("/mail/mailboxes/{address}/password", mail::set_password)
        .post("/mail/mailboxes/{address}/quota", mail::set_quota)
        .post("/mail/mailboxes/{address}/enabled", mail::set_enabled)
        .post("/mail/mailboxes/{address}/autoreply", mail::set_autoreply)
        .post("/mail/mailboxes/{address}/delete", mail::delete_mailbox)
        .post("/mail/mailboxes/{address}/restore", mail::restore_mailbox)
        .post("/mail/aliases", mail::create_alias)
        .get("/mail/aliases/{id}", mail::show_alias)
        .post("/mail/aliases/{id}", mail::update_alias)
        .post("/mail/aliases/{id}/delete", mail::delete_alias)
        .get("/sites", site::list)
        .get("/sites/new", site::new_form)
        .post("/sites/new", site::create)
        .get("/sites/{id}", site::show)
        .post("/sites/{id}", site::update)
        .post("/sites/{id}/enable", site::enable)
        .post("/sites/{id}/disable", site::disable)
        .post("/sites/{id}/delete", site::delete)
        .post("/sites/{id}/restore", site::restore)
        .post("/sites/{id}/certificate/renew", site::renew_certificate)
        .get("/sites/{id}/logs", site::show_logs)
        .get("/sites/{id}/logs/{file}", site::download_log)
        .get("/sftp", sftp::list)
        .get("/sftp/new", sftp::new_form)
        .post("/sftp/new", sftp::create)
        .get("/sftp/{id}", sftp::show)
        .post("/sftp/{id}", sftp::update)
        .post("/sftp/{id}/enable", sftp::enable)
        .post("/sftp/{id}/disable", sftp::disable)
        .post("/sftp/{id}/delete", sftp::delete)
        .get("/databases", database::list)
        .get("/databases/new", database::new_form)
        .post("/databases/new", database::create)
        .get("/databases/{id}", database::show)
        .post("/databases/{id}/users", database::add_user)
        .post("/databases/{id}/users/{user}/delete", database::delete_user)
        .post("/databases/{id}/password", database::set_password)
        .post("/databases/{id}/delete", database::delete)
        .post("/databases/{id}/restore", database::restore)
        .get("/databases/{id}/dump", database::download_dump)
        .get("/lists", list::list)
        .get("/lists/new", list::new_form)
        .post("/lists/new", list::create)
        .get("/lists/{id}", list::show)
        .post("/lists/{id}", list::update)
        .post("/lists/{id}/delete", list::delete)
        .post("/lists/{id}/restore", list::restore)
        .get("/lists/{id}/members", list::members)
        .get("/lists/{id}/members.csv", list::export_csv)
        .post("/lists/{id}/members/subscribe", list::subscribe)
        .post("/lists/{id}/members/unsubscribe", list::unsubscribe)
        .post("/lists/{id}/staff", list::add_staff)
        .post("/lists/{id}/staff/remove", list::remove_staff)
        .get("/lists/{id}/moderation", list::moderation)
        .get("/lists/{id}/held/{request}", list::held_post)
        .post("/lists/{id}/held/{request}", list::moderate)
        .post("/lists/{id}/requests", list::decide_request)
        .get("/governance", governance::index)
        .get("/governance/bodies/new", governance::new_body_form)
        .post("/governance/bodies/new", governance::create_body)
        .get("/governance/bodies/{id}", governance::edit_body_form)
        .post("/governance/bodies/{id}", governance::update_body)
        .get("/governance/proposals/new", governance::new_form)
        .post("/governance/proposals/new", governance::create)
        .get("/governance/proposals/{id}", governance::show)
        .post("/governance/proposals/{id}/edit", governance::edit)
        .post(
            "/governance/proposals/{id}/discussion",
            governance::start_discussion,
        )
        .post("/governance/proposals/{id}/withdraw", governance::withdraw)
        .post("/governance/proposals/{id}/comments", governance::comment)
        .post("/governance/proposals/{id}/ballot", governance::cast)
        .post("/governance/proposals/{id}/appeal", governance::appeal)
        .post(
            "/governance/proposals/{id}/appeal/decision",
            governance::settle_appeal,
        )
        .post(
            "/governance/proposals/{id}/roll-back",
            governance::roll_back,
        )
        .post("/governance/proposals/{id}/retry", governance::retry_apply)
        // Public: the decision log, its feed, and one-time vote links.
        .get("/decisions", governance::decisions)
        .get("/decisions/feed.atom", governance::feed)
        .get("/decisions/{id}", governance::decision)
        .get("/vote/{token}", governance::vote_link)
        .post("/vote/{token}", governance::vote_link_cast)
        // Public: a mailbox's user changes its password without a Konbit
        // sign-in, and mail programs fetch their settings.
        .get("/mail/password", mail::own_password_page)
        .post("/mail/password", mail::own_password)
        .get("/mail/config-v1.1.xml", mail::autoconfig)
        // Public: a mailing list's page, to subscribe or leave by e-mail.
        .get("/l/{address}", list_public::show)
        .post("/l/{address}", list_public::request)
        .get("/l/{address}/confirm/{token}", list_public::confirm_form)
        .post("/l/{address}/confirm/{token}", list_public::confirm)
        .get(
            "/.well-known/autoconfig/mail/config-v1.1.xml",
            mail::autoconfig,
        )
        .add(
            "POST",
            crate::security::AUTODISCOVER_PATH,
            axum::routing::post(mail::autodiscover).layer(axum::extract::DefaultBodyLimit::max(
                mail::AUTODISCOVER_MAX_BYTES,
            )),
        )
}

async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

const CSS: &str = include_str!("../../static/konbit.css");

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// Who is signed in, as the layout shows them.
pub struct Viewer {
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    /// The admin's name while an admin acts as this person in this session.
    pub impersonator: Option<String>,
    /// Admins acting as this person elsewhere right now, for their banner.
    pub helped_by: Option<String>,
}

/// What every page's layout needs.
pub struct Layout {
    pub tr: Tr,
    pub title: String,
    pub viewer: Option<Viewer>,
    pub csrf: String,
    /// Which navigation entry is current.
    pub nav: &'static str,
    pub flash: Option<String>,
    pub path: String,
}

impl Layout {
    pub fn signed(s: &Signed, nav: &'static str, title_id: &str) -> Self {
        let p = &s.session.person;
        Self {
            tr: s.tr,
            title: s.tr.t(title_id),
            viewer: Some(Viewer {
                name: p.display_name.to_string(),
                email: p.email.to_string(),
                is_admin: p.is_admin,
                impersonator: s
                    .session
                    .impersonator
                    .as_ref()
                    .map(|a| a.display_name.to_string()),
                helped_by: (!s.session.helped_by.is_empty()).then(|| {
                    s.session
                        .helped_by
                        .iter()
                        .map(|(name, _)| name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }),
            }),
            csrf: s.session.csrf_token.clone(),
            nav,
            flash: None,
            path: s.path.clone(),
        }
    }

    /// Shows a one-line confirmation named by a `?flash=` id, if it is one
    /// of ours (never arbitrary text from the URL).
    pub fn with_flash(mut self, flash: Option<&str>) -> Self {
        self.flash = flash
            .filter(|f| f.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
            .and_then(|f| {
                let id = format!("flash-{f}");
                self.tr.has(&id).then(|| self.tr.t(&id))
            });
        self
    }

    pub fn current(&self, nav: &str) -> &'static str {
        if self.nav == nav { "page" } else { "false" }
    }

    pub fn t(&self, id: &str) -> String {
        self.tr.t(id)
    }

    /// "Ada (admin) is acting as Olga to help." for the admin's banner.
    pub fn impersonation_banner(&self, admin: &str, name: &str) -> String {
        self.tr
            .t2("impersonation-banner", ("admin", admin), ("name", name))
    }

    /// The language switch for people not signed in: back to this page.
    pub fn switch_language_url(&self) -> String {
        let next: String = url::form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        format!("/lang/{}?next={next}", self.other_lang())
    }

    /// The label of a form field.
    pub fn label(&self, field: &str) -> String {
        self.tr.t(&format!("field-{}", field.replace('_', "-")))
    }

    /// The help text under a form field, if it has one.
    pub fn hint(&self, field: &str) -> Option<String> {
        let id = format!("hint-{}", field.replace('_', "-"));
        self.tr.has(&id).then(|| self.tr.t(&id))
    }

    pub fn other_lang(&self) -> &'static str {
        match self.tr.locale {
            konbit_core::model::Locale::Fr => "en",
            konbit_core::model::Locale::En => "fr",
        }
    }

    pub fn date(&self, ts: &i64) -> String {
        self.tr.datetime(*ts)
    }

    pub fn count(&self, n: &i64) -> String {
        self.tr.number(u64::try_from(*n).unwrap_or(0))
    }

    pub fn resource(&self, r: &Resource) -> String {
        self.tr
            .t(&format!("resource-{}", r.as_str().replace('_', "-")))
    }

    /// "3 of 10" or "1.5 GB of 10 GB", in the person's language.
    pub fn usage(&self, line: &QuotaLine) -> String {
        let fmt = |n: u64| match line.resource {
            Resource::MailStorageMb | Resource::DiskMb => self.megabytes(n),
            _ => self.tr.number(n),
        };
        self.tr.t2(
            "quota-usage",
            ("used", fmt(line.used)),
            ("limit", fmt(line.limit)),
        )
    }

    pub fn megabytes(&self, mb: u64) -> String {
        if mb >= 1024 && mb.is_multiple_of(1024) {
            self.tr.t1("unit-gb", "n", self.tr.number(mb / 1024))
        } else {
            self.tr.t1("unit-mb", "n", self.tr.number(mb))
        }
    }
}

/// The field errors of a form, as sentences next to their fields.
#[derive(Default)]
pub struct FormErrors {
    pub items: Vec<(String, String)>,
    pub general: Option<String>,
}

impl FormErrors {
    pub fn from_fields(tr: &Tr, fields: &[FieldError]) -> Self {
        Self {
            items: fields
                .iter()
                .map(|f| (f.field.to_owned(), field_message(tr, f)))
                .collect(),
            general: None,
        }
    }

    pub fn general(msg: String) -> Self {
        Self {
            items: Vec::new(),
            general: Some(msg),
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn any(&self) -> bool {
        !self.items.is_empty() || self.general.is_some()
    }

    /// `aria-invalid` value for a field.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.get(field).is_some() {
            "true"
        } else {
            "false"
        }
    }
}

/// Turns an application error on a form into errors shown on the form, or
/// into an error page when it is not about the input.
pub enum FormOutcome {
    Show(FormErrors, u16),
    Page(PanelError),
}

pub fn form_outcome(tr: &Tr, e: konbit_app::AppError) -> FormOutcome {
    use konbit_app::AppError;
    match e {
        AppError::Invalid(fields) => FormOutcome::Show(FormErrors::from_fields(tr, &fields), 422),
        AppError::Duplicate { field } => {
            let label = tr.t(&format!("field-{}", field.replace('_', "-")));
            FormOutcome::Show(
                FormErrors {
                    items: vec![(
                        field.to_owned(),
                        tr.t1("error-duplicate-field", "field", label),
                    )],
                    general: None,
                },
                409,
            )
        }
        AppError::Conflict { code, .. } => FormOutcome::Show(
            FormErrors::general(tr.t(&code.message_id())),
            code.http_status(),
        ),
        other => FormOutcome::Page(PanelError::from_app(*tr, other)),
    }
}

pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Ids in panel URLs: anything that is not a number is simply not found.
pub fn parse_id(tr: Tr, raw: &str) -> Result<i64, PanelError> {
    raw.parse::<i64>()
        .map_err(|_| PanelError::new(tr, konbit_core::ErrorCode::NotFound))
}

/// Renders a template with a status, or an error page if rendering fails.
pub fn render<T: askama::Template>(tr: Tr, status: u16, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let status =
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
            (status, axum::response::Html(html)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            PanelError::new(tr, konbit_core::ErrorCode::Internal).into_response()
        }
    }
}

/// Reads `?flash=` (and other simple query values) from the current path.
pub fn query_value(path: &str, name: &str) -> Option<String> {
    let q = path.split_once('?')?.1;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The pager under a paged list: where the person is, and the links to the
/// pages around, keeping the list's other parameters.
pub struct Pager {
    pub shown: bool,
    pub position: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `query` holds the list's other parameters, URL-encoded, without
    /// `page` (`q=radio&deleted=1`, or "").
    pub fn new<T>(tr: &Tr, path: &str, query: &str, page: &konbit_core::page::Page<T>) -> Self {
        let link = |n: u32| {
            if query.is_empty() {
                format!("{path}?page={n}")
            } else {
                format!("{path}?{query}&page={n}")
            }
        };
        Self {
            shown: page.pages() > 1,
            position: tr.t2(
                "pager-position",
                ("page", u64::from(page.page)),
                ("pages", u64::from(page.pages())),
            ),
            prev: (page.page > 1).then(|| link(page.page.saturating_sub(1).max(1))),
            next: page.has_next().then(|| link(page.page.saturating_add(1))),
        }
    }
}

/// `name=value&…` for a list's query parameters, skipping empty values.
pub fn encode_query(params: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(k, v);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_core::model::Locale;
    use konbit_core::page::Page;

    fn page(n: u32, total: u64) -> Page<()> {
        Page {
            items: Vec::new(),
            page: n,
            per_page: 10,
            total,
        }
    }

    #[test]
    fn the_pager_keeps_the_list_parameters() {
        let tr = Tr::new(Locale::En);
        let q = encode_query(&[("q", "kréyòl & co"), ("deleted", "")]);
        assert_eq!(q, "q=kr%C3%A9y%C3%B2l+%26+co");
        let middle = Pager::new(&tr, "/domains", &q, &page(2, 30));
        assert!(middle.shown);
        assert_eq!(
            middle.prev.as_deref(),
            Some("/domains?q=kr%C3%A9y%C3%B2l+%26+co&page=1")
        );
        assert_eq!(
            middle.next.as_deref(),
            Some("/domains?q=kr%C3%A9y%C3%B2l+%26+co&page=3")
        );
        let first = Pager::new(&tr, "/accounts", "", &page(1, 5));
        assert!(!first.shown && first.prev.is_none() && first.next.is_none());
    }
}
