//! What a mail program is told when it asks on its own (Thunderbird's
//! autoconfig, Outlook's autodiscover): read-only, without sign-in, and
//! only for domains hosted here with mail on.

use crate::mail_domain::ClientSettings;
use crate::{App, Result};
use konbit_core::names::Fqdn;

/// The servers for addresses at `domain` (ASCII or Unicode), when it is
/// hosted here with mail on and the co-op has named its servers; `None`
/// otherwise, so an unknown domain and a domain without mail look alike.
/// Host names are in ASCII, as mail programs need them.
pub async fn client_settings_for(app: &App, domain: &str) -> Result<Option<ClientSettings>> {
    let Ok(name) = Fqdn::parse("domain", domain, 2) else {
        return Ok(None);
    };
    let mail = &app.config.mail;
    let (Some(imap), Some(smtp)) = (&mail.imap_host, &mail.smtp_host) else {
        return Ok(None);
    };
    let mut tx = app.store.read().await?;
    if !tx.is_mail_domain(name.as_str()).await? {
        return Ok(None);
    }
    Ok(Some(ClientSettings {
        imap_host: Some(imap.to_string()),
        imap_port: mail.imap_port,
        smtp_host: Some(smtp.to_string()),
        submission_port: mail.submission_port,
    }))
}
