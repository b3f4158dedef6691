//! Konbit's own e-mail (password reset links), sent through the relay the
//! operator configured.
//!
//! This build speaks plain SMTP with no TLS stack at all: the relay is
//! expected on the same machine or a trusted network (Postfix on loopback,
//! which then delivers with its own TLS). `starttls = true` is refused when
//! the configuration is loaded, and credentials, if given, cross that link
//! in clear, so only configure them for a loopback relay.

use crate::{AppError, Result};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `Konbit <konbit@coop.example>` or a bare address.
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Sends one plain-text message.
pub async fn send(cfg: &SmtpConfig, to: &str, subject: &str, body: &str) -> Result<()> {
    let from = cfg
        .from
        .parse()
        .map_err(|e| AppError::Internal(format!("smtp.from: {e}")))?;
    let to = to
        .parse()
        .map_err(|e| AppError::Internal(format!("recipient: {e}")))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| AppError::Internal(format!("building the message: {e}")))?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
        .port(cfg.port)
        .timeout(Some(Duration::from_secs(15)));
    if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    builder
        .build()
        .send(message)
        .await
        .map_err(|e| AppError::Internal(format!("smtp {}:{}: {e}", cfg.host, cfg.port)))?;
    Ok(())
}
