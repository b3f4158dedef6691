//! Password reset by e-mail: a one-time link that expires. The answer to a
//! request is the same whether or not the address belongs to someone, and
//! the e-mail leaves in the background so the answer takes as long either
//! way. The token is `<person id>.<256 random bits>`; only its SHA-256 is
//! stored, and it only works for the person it names.

use crate::auth::ClientInfo;
use crate::rate_limit::{Step, keys};
use crate::secret::{random_token, sha256_hex};
use crate::{App, AppError, Audit, Result, audit, now, password};
use konbit_core::authz::{Actor, Source};
use konbit_core::model::{Locale, UserId};
use konbit_core::names::{EmailAddress, Password};
use std::time::Duration;

pub const KIND: &str = "user";
/// A token longer than this is not even hashed.
const MAX_TOKEN_LEN: usize = 80;

/// Renders the e-mail (subject, body) in a language, for a link that works
/// for so many minutes. The panel supplies it, with its translations.
pub type RenderMail = dyn Fn(Locale, &str, i64) -> (String, String) + Send + Sync;

pub struct PasswordResetService<'a> {
    pub(crate) app: &'a App,
}

fn system_actor(label: &str, ip: Option<String>, user: Option<UserId>) -> Actor {
    Actor {
        user_id: user,
        label: label.chars().take(254).collect(),
        is_admin: false,
        memberships: Vec::new(),
        token: None,
        source: Source::Panel,
        ip,
        mfa: false,
        impersonator: None,
    }
}

/// Splits a token into the person it names; `None` if malformed.
fn token_user(token: &str) -> Option<UserId> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let (id, rest) = token.split_once('.')?;
    if rest.len() != 43
        || !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    id.parse::<i64>().ok().filter(|i| *i > 0).map(UserId)
}

impl PasswordResetService<'_> {
    /// Sends a reset link to `email` if someone has it. `link_base` is the
    /// panel's public origin.
    pub async fn request(
        &self,
        email: &str,
        link_base: &str,
        client: ClientInfo,
        render: std::sync::Arc<RenderMail>,
    ) -> Result<()> {
        let actor = system_actor(email, client.ip.clone(), None);
        let attempt = self
            .app
            .attempt(Step::PasswordReset, client.ip.as_deref(), email, &actor, "")
            .await?;
        // Every request counts, answered or not: the limit is on asking.
        attempt.failed();
        let Ok(email) = EmailAddress::parse("email", email) else {
            return Ok(());
        };
        let person = match self
            .app
            .store
            .read()
            .await?
            .user_auth_by_email(email.as_str())
            .await
        {
            Ok(found) => found.person,
            Err(konbit_store::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let now = now();
        let token = format!("{}.{}", person.id, random_token());
        let ttl = self.app.config.password_reset_ttl_secs;
        let mut tx = self.app.store.write().await?;
        tx.insert_password_reset(&sha256_hex(&token), person.id, now, now.saturating_add(ttl))
            .await?;
        let actor = system_actor(person.email.as_str(), client.ip.clone(), Some(person.id));
        audit(
            &mut tx,
            &actor,
            Audit {
                action: "password_reset_requested",
                kind: KIND,
                id: person.id.to_string(),
                account: None,
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        let link = format!("{}/password-reset/{token}", link_base.trim_end_matches('/'));
        let locale = person.locale.unwrap_or(Locale::Fr);
        let (subject, body) = render(locale, &link, ttl / 60);
        match self.app.config.smtp.clone() {
            Some(smtp) => {
                let to = person.email.to_string();
                tokio::spawn(async move {
                    if let Err(e) = crate::mail::send(&smtp, &to, &subject, &body).await {
                        tracing::warn!(error = %e, "the password reset e-mail was not sent");
                    }
                });
            }
            None => tracing::warn!(
                "no [smtp] relay is configured: the password reset e-mail was not sent"
            ),
        }
        Ok(())
    }

    /// Whether a link still works (to show the form, or a clear refusal).
    pub async fn check(&self, token: &str) -> Result<UserId> {
        let user = token_user(token).ok_or(AppError::InvalidLink)?;
        let row = self
            .app
            .store
            .read()
            .await?
            .password_reset(&sha256_hex(token))
            .await?
            .ok_or(AppError::InvalidLink)?;
        if row.user_id != user || row.used_at.is_some() || row.expires_at <= now() {
            return Err(AppError::InvalidLink);
        }
        Ok(user)
    }

    /// Uses a link: sets the new password and ends every session of the
    /// person.
    pub async fn reset(&self, token: &str, new_password: &str, client: ClientInfo) -> Result<()> {
        let limits = self.app.config.rate_limits;
        let window = Duration::from_secs(limits.window_secs);
        let [ip_key, _] = keys(Step::PasswordReset, client.ip.as_deref(), "");
        if let Err(secs) = self.app.limiter.check(&ip_key, limits.per_ip, window) {
            return Err(AppError::RateLimited {
                retry_after_secs: secs,
            });
        }
        let user = match self.check(token).await {
            Ok(u) => u,
            Err(e) => {
                self.app.limiter.hit(&ip_key, window);
                let actor = system_actor("password reset", client.ip.clone(), None);
                crate::auth::audit_failure(
                    self.app,
                    &actor,
                    "password_reset_refused",
                    "",
                    Step::PasswordReset,
                )
                .await?;
                return Err(e);
            }
        };
        let new_password =
            Password::parse("new_password", new_password).map_err(AppError::invalid)?;
        let hash = password::hash(new_password.expose().to_owned()).await?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        if !tx.use_password_reset(&sha256_hex(token), now).await? {
            return Err(AppError::InvalidLink);
        }
        let person = tx.user(user).await?;
        tx.set_password_hash(user, &hash, now).await?;
        let ended = tx.delete_user_sessions(user).await?;
        let actor = system_actor(person.email.as_str(), client.ip, Some(user));
        audit(
            &mut tx,
            &actor,
            Audit {
                action: "password_reset",
                kind: KIND,
                id: user.to_string(),
                account: None,
                old: None,
                new: Some(serde_json::json!({ "password": "[redacted]", "sessions_ended": ended })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_person() {
        let t = format!("12.{}", random_token());
        assert_eq!(token_user(&t), Some(UserId(12)));
        assert_eq!(token_user("12"), None);
        assert_eq!(token_user("x.abc"), None);
        assert_eq!(token_user(&format!("0.{}", random_token())), None);
        assert_eq!(token_user(&format!("12.{}", "a".repeat(500))), None);
    }

    proptest::proptest! {
        #[test]
        fn any_token_text_is_safe(s in "\\PC{0,120}") {
            // Never panics; whatever names a person is well formed.
            if let Some(u) = token_user(&s) {
                proptest::prop_assert!(u.0 > 0);
                proptest::prop_assert!(s.len() <= MAX_TOKEN_LEN);
            }
        }
    }
}
