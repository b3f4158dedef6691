//! Mailboxes: added from the mail list, then managed on a page of their
//! own (password, storage, on or off, automatic reply, deletion).

use super::{
    AliasForm, FormErrors, FormOutcome, Layout, MailboxForm, MailboxRow, confirm_error, list_page,
    outcome, parse_quota, path_address, query_value, render,
};
use crate::AppState;
use crate::context::Signed;
use crate::form::CsrfForm;
use crate::ui::see_other;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use konbit_app::AppError;
use konbit_app::mail_domain::ClientSettings;
use konbit_app::mailbox::{AutoreplyInput, CreateMailbox, UpdateMailbox};
use konbit_core::names::Fqdn;
use konbit_core::{FieldError, Rule};
use std::collections::HashMap;

/// POST /mail/mailboxes: adds a mailbox from the mail list.
pub async fn create_mailbox(State(state): State<AppState>, f: CsrfForm) -> Response {
    let s = &f.signed;
    let form = &f.form;
    let kept = MailboxForm {
        local_part: form.get("local_part").trim().to_owned(),
        domain: form.get("domain").trim().to_owned(),
        quota_mb: form.get("quota_mb").trim().to_owned(),
    };
    let st = &state;
    let again = kept.clone();
    let show = move |errors: FormErrors, status| {
        list_page(
            st,
            s,
            (
                again.clone(),
                errors,
                AliasForm::default(),
                FormErrors::default(),
            ),
            status,
        )
    };
    let mut fields = Vec::new();
    if kept.local_part.is_empty() {
        fields.push(FieldError::new("address", Rule::Required));
    }
    if kept.domain.is_empty() {
        fields.push(FieldError::new("domain", Rule::Required));
    }
    let quota_mb = match parse_quota(&kept.quota_mb) {
        Ok(q) => q,
        Err(e) => {
            fields.push(e);
            None
        }
    };
    if !fields.is_empty() {
        return show(FormErrors::from_fields(&s.tr, &fields), 422).await;
    }
    if let Some(errors) = confirm_error(&s.tr, form, "password") {
        return show(errors, 422).await;
    }
    let input = CreateMailbox {
        address: format!("{}@{}", kept.local_part, kept.domain),
        password: form.get("password").to_owned(),
        quota_mb,
    };
    match state.app.mailboxes().create(&s.session.actor, input).await {
        Ok(m) => see_other(&format!(
            "/mail?domain={}&flash=mailbox-created",
            m.mailbox.address.domain()
        )),
        Err(e) => match outcome(&s.tr, e) {
            FormOutcome::Show(errors, status) => show(errors, status).await,
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// What the automatic reply form holds.
#[derive(Default)]
pub struct AutoreplyForm {
    pub enabled: bool,
    pub subject: String,
    pub body: String,
    pub start_date: String,
    pub end_date: String,
}

/// Which form of the page its errors belong to, so they show above it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The top of the page (buttons without fields).
    Top,
    Password,
    Quota,
    Autoreply,
}

/// What a failed form typed, to show it again.
#[derive(Default)]
struct Typed {
    quota: Option<String>,
    autoreply: Option<AutoreplyForm>,
}

#[derive(Template)]
#[template(path = "mail/mailbox.html")]
struct MailboxPage {
    l: Layout,
    mb: MailboxRow,
    /// The domain, in Unicode, and ASCII for links.
    domain: String,
    domain_ascii: String,
    quota: String,
    autoreply: AutoreplyForm,
    errors: FormErrors,
    part: Part,
    client: ClientSettings,
    /// Until when a mailbox deleted now could be restored.
    grace_until: i64,
}

impl MailboxPage {
    fn errors_on(&self, part: Part) -> bool {
        self.part == part && self.errors.any()
    }

    fn purge_notice(&self, ts: &i64) -> String {
        self.l
            .tr
            .t1("mailbox-deleted-notice", "date", self.l.date(ts))
    }

    fn delete_hint(&self) -> String {
        self.l.tr.t1(
            "mailbox-delete-hint",
            "date",
            self.l.date(&self.grace_until),
        )
    }

    fn t_address(&self, id: &str) -> String {
        self.l.tr.t1(id, "address", self.mb.display.clone())
    }

    fn measured(&self, ts: &i64) -> String {
        self.l.tr.t1("mailbox-measured-at", "date", self.l.date(ts))
    }
}

async fn page(
    state: &AppState,
    s: &Signed,
    address: &str,
    typed: Typed,
    errors: FormErrors,
    part: Part,
    status: u16,
) -> Response {
    let view = match state.app.mailboxes().get(&s.session.actor, address).await {
        Ok(v) => v,
        Err(e) => return s.error(e).into_response(),
    };
    let tr = &s.tr;
    let m = MailboxRow::of(tr, &view, &HashMap::new());
    let reply = view.autoreply.as_ref();
    let autoreply = typed.autoreply.unwrap_or_else(|| AutoreplyForm {
        enabled: reply.is_some_and(|r| r.enabled),
        subject: reply.map(|r| r.subject.clone()).unwrap_or_default(),
        body: reply.map(|r| r.body.clone()).unwrap_or_default(),
        start_date: reply.and_then(|r| r.start_date.clone()).unwrap_or_default(),
        end_date: reply.and_then(|r| r.end_date.clone()).unwrap_or_default(),
    });
    let quota = typed.quota.unwrap_or_else(|| m.quota_mb.to_string());
    let domain = view.mailbox.address.domain();
    let mail = &state.app.config.mail;
    let client = ClientSettings {
        imap_host: mail.imap_host.as_ref().map(Fqdn::to_unicode),
        imap_port: mail.imap_port,
        smtp_host: mail.smtp_host.as_ref().map(Fqdn::to_unicode),
        submission_port: mail.submission_port,
    };
    let mut l = Layout::signed(s, "mail", "mail-title")
        .with_flash(query_value(&s.path, "flash").as_deref());
    l.title = m.display.clone();
    render(
        s.tr,
        status,
        &MailboxPage {
            l,
            domain: domain.to_unicode(),
            domain_ascii: domain.to_string(),
            grace_until: konbit_app::now().saturating_add(state.app.config.deletion_grace_secs),
            mb: m,
            quota,
            autoreply,
            errors,
            part,
            client,
        },
    )
}

/// GET /mail/mailboxes/{address}
pub async fn show_mailbox(
    State(state): State<AppState>,
    s: Signed,
    Path(address): Path<String>,
) -> Response {
    page(
        &state,
        &s,
        &address,
        Typed::default(),
        FormErrors::default(),
        Part::Top,
        200,
    )
    .await
}

/// Goes back to the mailbox's page with a confirmation, or shows the page
/// again with what went wrong above the form that failed.
async fn done<T>(
    state: &AppState,
    f: &CsrfForm,
    address: &str,
    result: Result<T, AppError>,
    flash: &str,
    part: Part,
    typed: Typed,
) -> Response {
    match result {
        Ok(_) => see_other(&format!(
            "/mail/mailboxes/{}?flash={flash}",
            path_address(address)
        )),
        Err(e) => match outcome(&f.signed.tr, e) {
            FormOutcome::Show(errors, status) => {
                let errors = if part == Part::Top {
                    crate::ui::domain::flatten(errors)
                } else {
                    errors
                };
                page(state, &f.signed, address, typed, errors, part, status).await
            }
            FormOutcome::Page(p) => p.into_response(),
        },
    }
}

/// POST /mail/mailboxes/{address}/password: a person of the account sets
/// the mailbox's password.
pub async fn set_password(
    State(state): State<AppState>,
    Path(address): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    if let Some(errors) = confirm_error(&s.tr, &f.form, "password") {
        return page(
            &state,
            s,
            &address,
            Typed::default(),
            errors,
            Part::Password,
            422,
        )
        .await;
    }
    let result = state
        .app
        .mailboxes()
        .set_password(&s.session.actor, &address, f.form.get("password"))
        .await;
    done(
        &state,
        &f,
        &address,
        result,
        "mailbox-password-set",
        Part::Password,
        Typed::default(),
    )
    .await
}

/// POST /mail/mailboxes/{address}/quota
pub async fn set_quota(
    State(state): State<AppState>,
    Path(address): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let raw = f.form.get("quota_mb").trim().to_owned();
    let typed = || Typed {
        quota: Some(raw.clone()),
        autoreply: None,
    };
    let quota = match parse_quota(&raw) {
        Ok(Some(q)) => q,
        Ok(None) => {
            let errors =
                FormErrors::from_fields(&s.tr, &[FieldError::new("quota_mb", Rule::Required)]);
            return page(&state, s, &address, typed(), errors, Part::Quota, 422).await;
        }
        Err(e) => {
            let errors = FormErrors::from_fields(&s.tr, &[e]);
            return page(&state, s, &address, typed(), errors, Part::Quota, 422).await;
        }
    };
    let result = state
        .app
        .mailboxes()
        .update(
            &s.session.actor,
            &address,
            UpdateMailbox {
                quota_mb: Some(quota),
                enabled: None,
            },
        )
        .await;
    done(
        &state,
        &f,
        &address,
        result,
        "mailbox-quota-saved",
        Part::Quota,
        typed(),
    )
    .await
}

/// POST /mail/mailboxes/{address}/enabled: `enabled` is `on` or `off`.
pub async fn set_enabled(
    State(state): State<AppState>,
    Path(address): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let enabled = match f.form.get("enabled") {
        "on" => true,
        "off" => false,
        _ => {
            let errors =
                FormErrors::from_fields(&s.tr, &[FieldError::new("enabled", Rule::UnknownChoice)]);
            return page(
                &state,
                s,
                &address,
                Typed::default(),
                crate::ui::domain::flatten(errors),
                Part::Top,
                422,
            )
            .await;
        }
    };
    let result = state
        .app
        .mailboxes()
        .update(
            &s.session.actor,
            &address,
            UpdateMailbox {
                quota_mb: None,
                enabled: Some(enabled),
            },
        )
        .await;
    let flash = if enabled {
        "mailbox-enabled"
    } else {
        "mailbox-disabled"
    };
    done(
        &state,
        &f,
        &address,
        result,
        flash,
        Part::Top,
        Typed::default(),
    )
    .await
}

/// POST /mail/mailboxes/{address}/delete: a soft delete, confirmed by a
/// ticked box; the mail is kept for the grace period.
pub async fn delete_mailbox(
    State(state): State<AppState>,
    Path(address): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    if !f.form.checked("confirm") {
        let errors = FormErrors::general(s.tr.t("mailbox-delete-confirm-needed"));
        return page(
            &state,
            s,
            &address,
            Typed::default(),
            errors,
            Part::Top,
            422,
        )
        .await;
    }
    let result = state
        .app
        .mailboxes()
        .delete(&s.session.actor, &address)
        .await;
    done(
        &state,
        &f,
        &address,
        result,
        "mailbox-deleted",
        Part::Top,
        Typed::default(),
    )
    .await
}

/// POST /mail/mailboxes/{address}/restore
pub async fn restore_mailbox(
    State(state): State<AppState>,
    Path(address): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let result = state
        .app
        .mailboxes()
        .restore(&s.session.actor, &address)
        .await;
    done(
        &state,
        &f,
        &address,
        result,
        "mailbox-restored",
        Part::Top,
        Typed::default(),
    )
    .await
}

/// POST /mail/mailboxes/{address}/autoreply
pub async fn set_autoreply(
    State(state): State<AppState>,
    Path(address): Path<String>,
    f: CsrfForm,
) -> Response {
    let s = &f.signed;
    let form = AutoreplyForm {
        enabled: f.form.checked("enabled"),
        subject: f.form.get("subject").to_owned(),
        body: f.form.get("body").to_owned(),
        start_date: f.form.get("start_date").trim().to_owned(),
        end_date: f.form.get("end_date").trim().to_owned(),
    };
    let input = AutoreplyInput {
        enabled: form.enabled,
        subject: form.subject.clone(),
        body: form.body.clone(),
        start_date: form.start_date.clone(),
        end_date: form.end_date.clone(),
    };
    let flash = if form.enabled {
        "autoreply-on"
    } else {
        "autoreply-off"
    };
    let result = state
        .app
        .mailboxes()
        .set_autoreply(&s.session.actor, &address, input)
        .await;
    let typed = Typed {
        quota: None,
        autoreply: Some(form),
    };
    done(&state, &f, &address, result, flash, Part::Autoreply, typed).await
}
