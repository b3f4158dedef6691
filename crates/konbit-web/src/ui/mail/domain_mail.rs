//! A domain's mail, on the domain's page: on or off, its DKIM keys with a
//! button for a new one, and what its people give their mail program.

use super::{FormErrors, status_view};
use crate::AppState;
use crate::context::Signed;
use crate::form::CsrfForm;
use crate::ui::domain::{StatusView, act, flatten, path_name, show_page};
use axum::extract::{Path, State};
use axum::response::Response;
use konbit_app::AppError;
use konbit_app::mail_domain::{ClientSettings, DkimView};
use konbit_core::{FieldError, Rule};

/// The mail section of a domain's page.
pub struct DomainMail {
    pub enabled: bool,
    /// Mail for an alias domain lands in its target's mailboxes.
    pub alias_of: Option<String>,
    /// Whether the mail servers serve the latest change (none before the
    /// first time mail was turned on).
    pub status: Option<StatusView>,
    pub last_error: Option<String>,
    /// Published keys, the signing one first.
    pub dkim: Vec<DkimView>,
    pub client: ClientSettings,
}

impl DomainMail {
    /// Whether the co-op named the servers mail programs connect to.
    pub fn has_client(&self) -> bool {
        self.client.imap_host.is_some() || self.client.smtp_host.is_some()
    }
}

/// The mail section of the page of the domain `name`.
pub async fn domain_mail(state: &AppState, s: &Signed, name: &str) -> Result<DomainMail, AppError> {
    let m = state
        .app
        .mail_domains()
        .settings(&s.session.actor, name)
        .await?;
    let failed = m.status == Some(konbit_core::model::ObjectStatus::Failed);
    Ok(DomainMail {
        enabled: m.enabled,
        alias_of: m.alias_of,
        status: m.status.map(|st| status_view(&s.tr, st)),
        last_error: m.last_error.filter(|e| failed && !e.is_empty()),
        dkim: m.dkim,
        client: m.client,
    })
}

/// POST /domains/{name}/mail: `mail` is `on` or `off`. Off is refused
/// while the domain has mailboxes or aliases.
pub async fn set_mail(
    State(state): State<AppState>,
    Path(name): Path<String>,
    f: CsrfForm,
) -> Response {
    let on = match f.form.get("mail") {
        "on" => true,
        "off" => false,
        _ => {
            let errors = FormErrors::from_fields(
                &f.signed.tr,
                &[FieldError::new("mail", Rule::UnknownChoice)],
            );
            return show_page(
                &state,
                &f.signed,
                &name,
                flatten(errors),
                FormErrors::default(),
                Default::default(),
                422,
            )
            .await;
        }
    };
    let flash = if on { "mail-on" } else { "mail-off" };
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    let to = format!("/domains/{}?flash={flash}", path_name(&name));
    act(&state, &f, &name, to, async {
        let mail = app.mail_domains();
        if on {
            mail.enable(&actor, &name).await.map(drop)
        } else {
            mail.disable(&actor, &name).await.map(drop)
        }
    })
    .await
}

/// POST /domains/{name}/mail/dkim: a new signing key; the previous one
/// stays published a while, so mail signed with it still verifies.
pub async fn rotate_dkim(
    State(state): State<AppState>,
    Path(name): Path<String>,
    f: CsrfForm,
) -> Response {
    let actor = f.signed.session.actor.clone();
    let app = state.app.clone();
    let to = format!("/domains/{}?flash=dkim-rotated", path_name(&name));
    act(&state, &f, &name, to, async {
        app.mail_domains()
            .rotate_dkim(&actor, &name)
            .await
            .map(drop)
    })
    .await
}
