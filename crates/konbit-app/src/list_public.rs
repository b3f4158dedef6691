//! A mailing list's public page: anyone may ask to subscribe an address to
//! a live list, or to take one off it. Nothing happens until the address
//! itself confirms, by a one-time link sent there that works for
//! [`LINK_TTL_SECS`]; only the link's SHA-256 is stored. The answer to a
//! request is the same whatever the address's standing on the list, and
//! the e-mail leaves in the background, so the answer takes as long either
//! way: the page tells nobody who is subscribed.

use crate::auth::ClientInfo;
use crate::list_server::{ListServer, SubscribeAs, Subscribed};
use crate::rate_limit::{Step, keys};
use crate::secret::{random_token, sha256_hex};
use crate::{App, AppError, Audit, Result, audit, now};
use konbit_core::list::{ListName, SubscriptionPolicy};
use konbit_core::model::{Locale, MailingList, Timestamp};
use konbit_core::names::{EmailAddress, Fqdn};
use konbit_core::{ErrorCode, FieldError, Rule};
use konbit_store::{NewListConfirmation, Tx};
use std::sync::Arc;
use std::time::Duration;

/// How long a confirmation link works.
pub const LINK_TTL_SECS: i64 = 48 * 60 * 60;
/// Expired links are kept this long more (so a late click still gets
/// "this link has expired" rather than "unknown"), then forgotten.
const KEEP_AFTER_EXPIRY_SECS: i64 = 7 * 24 * 60 * 60;
/// The tokens [`random_token`] makes: 43 characters of URL-safe base64.
const TOKEN_LEN: usize = 43;

/// The path of a list's public page, e.g. `/l/news@radio.example`.
pub fn public_path(list: &MailingList) -> String {
    format!("/l/{}", list.address())
}

/// The path of a confirmation link.
pub fn confirm_path(list_address: &str, token: &str) -> String {
    format!("/l/{list_address}/confirm/{token}")
}

/// What the address asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicAction {
    Subscribe,
    Unsubscribe,
}

impl PublicAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Unsubscribe => "unsubscribe",
        }
    }

    /// `subscribe` or `unsubscribe`; anything else names the field.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self> {
        match raw.trim() {
            "subscribe" => Ok(Self::Subscribe),
            "unsubscribe" => Ok(Self::Unsubscribe),
            _ => Err(AppError::invalid(FieldError::new(
                field,
                Rule::UnknownChoice,
            ))),
        }
    }
}

/// What the public page shows of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicList {
    /// `name@domain`.
    pub address: String,
    pub description: String,
    /// A moderator approves each new subscriber.
    pub moderated: bool,
}

impl PublicList {
    fn of(list: &MailingList) -> Self {
        Self {
            address: list.address(),
            description: list.settings.description.as_str().to_owned(),
            moderated: list.settings.subscription == SubscriptionPolicy::Moderate,
        }
    }
}

/// A link that still works, for the page that asks to confirm it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConfirmation {
    pub list: PublicList,
    /// The address to subscribe or unsubscribe.
    pub address: String,
    pub action: PublicAction,
}

/// What a confirmed link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirmed {
    /// Subscribed (or already was: the page says the same).
    Subscribed,
    /// Waits for a moderator.
    AwaitingApproval,
    /// No longer a subscriber (or never was: the page says the same).
    Unsubscribed,
}

/// What the confirmation e-mail says.
pub struct MailText<'a> {
    pub list_address: &'a str,
    pub action: PublicAction,
    /// The whole link to open.
    pub link: &'a str,
    /// How long it works.
    pub hours: i64,
}

/// Renders the e-mail (subject, body) in a language. The panel supplies
/// it, with its translations.
pub type RenderMail = dyn Fn(Locale, &MailText<'_>) -> (String, String) + Send + Sync;

pub struct ListPublicService<'a> {
    pub(crate) app: &'a App,
}

/// Whether `token` could be one of ours; anything else is not even hashed.
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn unavailable() -> AppError {
    AppError::Conflict {
        code: ErrorCode::ServiceUnavailable,
        detail: "subscriptions by web are not available on this server".into(),
    }
}

/// The live list at `address`, read within `tx`; `NotFound` for anything
/// else (malformed, unknown, deleted, on a deleted domain or account).
async fn live_list(tx: &mut Tx, address: &str) -> Result<MailingList> {
    let (name, domain) = address.trim().rsplit_once('@').ok_or(AppError::NotFound)?;
    let name = ListName::parse("address", name).map_err(|_| AppError::NotFound)?;
    let domain = Fqdn::parse("address", domain, 1).map_err(|_| AppError::NotFound)?;
    let domain = match tx.domain_by_name(domain.as_str()).await {
        Ok(d) => d,
        Err(konbit_store::StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if domain.is_deleted() {
        return Err(AppError::NotFound);
    }
    let list = tx
        .mailing_list_by_name(domain.id, name.as_str())
        .await?
        .filter(|l| !l.is_deleted())
        .ok_or(AppError::NotFound)?;
    if tx.account(list.account_id).await?.is_deleted() {
        return Err(AppError::NotFound);
    }
    Ok(list)
}

fn system_actor(label: &str, ip: Option<String>) -> konbit_core::authz::Actor {
    crate::auth::anonymous(label, ip)
}

impl ListPublicService<'_> {
    /// Whether this server can take subscriptions by web: lists are on,
    /// Mailman is reachable from here and an SMTP relay is configured.
    pub fn available(&self) -> bool {
        self.app.config.lists.enabled
            && self.app.list_server.is_some()
            && self.app.config.smtp.is_some()
    }

    fn server(&self) -> Result<&dyn ListServer> {
        if !self.available() {
            return Err(unavailable());
        }
        self.app.list_server.as_deref().ok_or_else(unavailable)
    }

    /// The list a public page is about; `NotFound` when lists are off or
    /// it is not a live list.
    pub async fn public_list(&self, address: &str) -> Result<PublicList> {
        if !self.app.config.lists.enabled {
            return Err(AppError::NotFound);
        }
        let mut tx = self.app.store.read().await?;
        Ok(PublicList::of(&live_list(&mut tx, address).await?))
    }

    /// Sends `email` a link that subscribes it to (or unsubscribes it
    /// from) the list at `list_address`, in `lang`. `link_base` is the
    /// panel's public origin. Answers the same whether or not the address
    /// is subscribed; a malformed address names the field `email`.
    #[allow(clippy::too_many_arguments)]
    pub async fn request(
        &self,
        list_address: &str,
        email: &str,
        action: PublicAction,
        lang: Locale,
        link_base: &str,
        client: ClientInfo,
        render: Arc<RenderMail>,
    ) -> Result<()> {
        let list = {
            let mut tx = self.app.store.read().await?;
            if !self.app.config.lists.enabled {
                return Err(AppError::NotFound);
            }
            live_list(&mut tx, list_address).await?
        };
        let smtp = match (self.server(), self.app.config.smtp.clone()) {
            (Ok(_), Some(smtp)) => smtp,
            _ => return Err(unavailable()),
        };
        let email = EmailAddress::parse("email", email).map_err(AppError::invalid)?;
        let address = email.as_str().to_ascii_lowercase();
        let actor = system_actor(&address, client.ip.clone());
        let attempt = self
            .app
            .attempt(
                Step::ListSubscription,
                client.ip.as_deref(),
                &format!("{}/{address}", list.address()),
                &actor,
                list.address(),
            )
            .await?;
        // Every request counts, whatever comes of it: the limit is on
        // asking (and so on the mail one address can be sent).
        attempt.failed();
        let now = now();
        let token = random_token();
        let mut tx = self.app.store.write().await?;
        tx.purge_list_confirmations(now.saturating_sub(KEEP_AFTER_EXPIRY_SECS))
            .await?;
        tx.insert_list_confirmation(&NewListConfirmation {
            token_hash: &sha256_hex(&token),
            list: list.id,
            address: &address,
            action: action.as_str(),
            language: lang,
            created_at: now,
            expires_at: now.saturating_add(LINK_TTL_SECS),
        })
        .await?;
        tx.commit().await?;
        let link = format!(
            "{}{}",
            link_base.trim_end_matches('/'),
            confirm_path(&list.address(), &token)
        );
        let (subject, body) = render(
            lang,
            &MailText {
                list_address: &list.address(),
                action,
                link: &link,
                hours: LINK_TTL_SECS / 3600,
            },
        );
        tokio::spawn(async move {
            if let Err(e) = crate::mail::send(&smtp, &address, &subject, &body).await {
                tracing::warn!(error = %e, "a list confirmation e-mail was not sent");
            }
        });
        Ok(())
    }

    /// Whether a link still works, and what it is for (to show its button,
    /// or a clear refusal). The list must still be live and be the one of
    /// the page's address.
    pub async fn check(&self, list_address: &str, token: &str) -> Result<PendingConfirmation> {
        let (list, row) = self.valid(list_address, token).await?;
        Ok(PendingConfirmation {
            list: PublicList::of(&list),
            address: row.address,
            action: PublicAction::parse("action", &row.action)
                .map_err(|_| AppError::InvalidLink)?,
        })
    }

    async fn valid(
        &self,
        list_address: &str,
        token: &str,
    ) -> Result<(MailingList, konbit_store::ListConfirmationRow)> {
        if !self.app.config.lists.enabled {
            return Err(AppError::NotFound);
        }
        if !well_formed(token) {
            return Err(AppError::InvalidLink);
        }
        let mut tx = self.app.store.read().await?;
        let row = tx
            .list_confirmation(&sha256_hex(token))
            .await?
            .ok_or(AppError::InvalidLink)?;
        let list = live_list(&mut tx, list_address)
            .await
            .map_err(|_| AppError::InvalidLink)?;
        if row.list != list.id || row.used_at.is_some() || row.expires_at <= now() {
            return Err(AppError::InvalidLink);
        }
        Ok((list, row))
    }

    /// Uses a link: subscribes the address it names (a moderator still
    /// approves on a moderated list) or unsubscribes it. A link works
    /// once; when the list server is away it is given back, to try again.
    pub async fn confirm(
        &self,
        list_address: &str,
        token: &str,
        client: ClientInfo,
    ) -> Result<(PendingConfirmation, Confirmed)> {
        let limits = self.app.config.rate_limits;
        let window = Duration::from_secs(limits.window_secs);
        let [ip_key, _] = keys(Step::ListSubscription, client.ip.as_deref(), "");
        if let Err(secs) = self.app.limiter.check(&ip_key, limits.per_ip, window) {
            return Err(AppError::RateLimited {
                retry_after_secs: secs,
            });
        }
        let server = self.server()?;
        let (list, row) = match self.valid(list_address, token).await {
            Ok(found) => found,
            Err(e) => {
                // Guessing links costs the guesser, not the list.
                self.app.limiter.hit(&ip_key, window);
                return Err(e);
            }
        };
        let action =
            PublicAction::parse("action", &row.action).map_err(|_| AppError::InvalidLink)?;
        let hash = sha256_hex(token);
        let mut tx = self.app.store.write().await?;
        if !tx.use_list_confirmation(&hash, now()).await? {
            return Err(AppError::InvalidLink);
        }
        tx.commit().await?;
        let done = match action {
            PublicAction::Subscribe => server
                .subscribe(&list, &row.address, None, SubscribeAs::ConfirmedSelf)
                .await
                .map(|s| match s {
                    Subscribed::AwaitingApproval => Confirmed::AwaitingApproval,
                    Subscribed::Subscribed | Subscribed::AlreadyMember => Confirmed::Subscribed,
                }),
            PublicAction::Unsubscribe => server
                .unsubscribe(&list, &row.address)
                .await
                .map(|_| Confirmed::Unsubscribed),
        };
        let done = match done {
            Ok(d) => d,
            Err(e) => {
                let mut tx = self.app.store.write().await?;
                tx.release_list_confirmation(&hash).await?;
                tx.commit().await?;
                return Err(e.into());
            }
        };
        self.audit(&list, &row.address, action, done, client, now())
            .await?;
        Ok((
            PendingConfirmation {
                list: PublicList::of(&list),
                address: row.address,
                action,
            },
            done,
        ))
    }

    async fn audit(
        &self,
        list: &MailingList,
        address: &str,
        action: PublicAction,
        done: Confirmed,
        client: ClientInfo,
        now: Timestamp,
    ) -> Result<()> {
        let actor = system_actor(address, client.ip);
        let mut tx = self.app.store.write().await?;
        audit(
            &mut tx,
            &actor,
            Audit {
                action: match action {
                    PublicAction::Subscribe => "list_self_subscribed",
                    PublicAction::Unsubscribe => "list_self_unsubscribed",
                },
                kind: crate::list::KIND,
                id: list.address(),
                account: Some(list.account_id),
                old: None,
                new: Some(serde_json::json!({ "address": address, "outcome": done })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the links expired for a while; the housekeeping may call it
    /// (each request also does).
    pub async fn purge_expired(&self) -> Result<u64> {
        let mut tx = self.app.store.write().await?;
        let n = tx
            .purge_list_confirmations(now().saturating_sub(KEEP_AFTER_EXPIRY_SECS))
            .await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
