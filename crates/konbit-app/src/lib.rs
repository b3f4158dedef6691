//! Application services: the one place where a change is authorized,
//! validated, checked against quotas, written, audited and queued for the
//! reconciler, in one transaction. The panel, the API and the CLI are thin
//! layers over these services.

pub mod account;
pub mod audit;
pub mod auth;
pub mod database;
pub mod dkim_key;
pub mod dnssec_key;
pub mod domain;
mod error;
pub mod governance;
pub mod impersonation;
pub mod list;
pub mod list_members;
pub mod list_public;
pub mod list_server;
pub mod mail;
pub mod mail_alias;
pub mod mail_client;
pub mod mail_domain;
pub mod mailbox;
pub mod password;
pub mod password_reset;
pub mod quota_profile;
pub mod rate_limit;
pub mod secret;
pub mod sftp;
pub mod site;
pub mod token;
pub mod two_factor;
pub mod user;

pub use error::AppError;

use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::model::{AccountId, Timestamp};
use konbit_store::{Store, Tx};
use std::sync::Arc;
use tokio::sync::Notify;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Settings the services need; the binary fills them from the config file.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// A session ends after this long without a request.
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in, whatever happens.
    pub session_absolute_secs: i64,
    /// How long a deleted account can still be restored.
    pub deletion_grace_secs: i64,
    /// Who must use a second factor.
    pub two_factor_policy: konbit_core::two_factor::TwoFactorPolicy,
    /// The key file that seals TOTP secrets (created on first use, mode
    /// 0600). `None` only in tests: a random key kept in memory.
    pub secret_key_file: Option<std::path::PathBuf>,
    /// Attempts allowed per IP and per account on sign-in, the 2FA step
    /// and password reset, within a sliding window.
    pub rate_limits: rate_limit::RateLimits,
    /// How long a password reset link works.
    pub password_reset_ttl_secs: i64,
    /// The relay that sends Konbit's e-mail; `None`: no e-mail is sent.
    pub smtp: Option<mail::SmtpConfig>,
    /// What every new zone starts with, and its SOA.
    pub zone_template: konbit_core::zone_template::ZoneTemplate,
    /// A bound on one zone's records, so one account cannot make PowerDNS
    /// (and every resync) carry millions of rows.
    pub max_records_per_zone: usize,
    /// Hosted mail: DKIM keys, mailbox defaults, what mail programs are told.
    pub mail: MailConfig,
    /// Websites: proxy ports, where logs are, whether ACME runs.
    pub sites: site::SiteConfig,
    /// SFTP accounts: whether they are on, where members connect.
    pub sftp: sftp::SftpConfig,
    /// Members' databases: the engines, the size limit, the dumps.
    pub databases: database::DatabaseConfig,
    /// Mailing lists: whether Mailman is set up.
    pub lists: list::ListConfig,
    /// The panel's public address, for links in e-mails Konbit sends on
    /// its own (governance notices).
    pub public_url: String,
}

/// Hosted mail settings the services need.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The `openssl` tool that makes DKIM keys.
    pub openssl: std::path::PathBuf,
    pub dkim_bits: u32,
    /// A new mailbox's storage when none is given, within what is left.
    pub default_quota_mb: u64,
    /// Where Konbit answers autoconfig/autodiscover (the panel's host).
    pub autoconfig_host: Option<konbit_core::names::Fqdn>,
    /// What mail programs connect to: IMAP over TLS, and submission.
    pub imap_host: Option<konbit_core::names::Fqdn>,
    pub imap_port: u16,
    pub smtp_host: Option<konbit_core::names::Fqdn>,
    pub submission_port: u16,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            openssl: "openssl".into(),
            dkim_bits: 2048,
            default_quota_mb: 1024,
            autoconfig_host: None,
            imap_host: None,
            imap_port: 993,
            smtp_host: None,
            submission_port: 587,
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            session_idle_secs: 60 * 60,
            session_absolute_secs: 12 * 60 * 60,
            deletion_grace_secs: 30 * 24 * 60 * 60,
            two_factor_policy: Default::default(),
            secret_key_file: None,
            rate_limits: rate_limit::RateLimits::default(),
            password_reset_ttl_secs: 60 * 60,
            smtp: None,
            zone_template: Default::default(),
            max_records_per_zone: 2000,
            mail: MailConfig::default(),
            sites: site::SiteConfig::default(),
            sftp: sftp::SftpConfig::default(),
            databases: database::DatabaseConfig::default(),
            lists: list::ListConfig::default(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// The services, sharing one store. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub config: AppConfig,
    /// Wakes the reconciler as soon as a change commits.
    pub reconcile_wakeup: Arc<Notify>,
    /// Wakes the certificate worker, which runs apart so that an ACME
    /// order (seconds) never delays the other services' changes.
    pub certificate_wakeup: Arc<Notify>,
    /// Attempt counters of this node (sign-in, 2FA, password reset).
    pub limiter: Arc<rate_limit::RateLimiter>,
    /// Mailman, for a list's subscribers, staff and moderation queue;
    /// `None` when lists are not set up here.
    pub list_server: Option<Arc<dyn list_server::ListServer>>,
    /// The key that seals TOTP secrets, read once.
    pub(crate) sealing_key: Arc<std::sync::OnceLock<two_factor::SealingKey>>,
}

impl App {
    pub fn new(store: Store, config: AppConfig) -> Self {
        Self {
            store,
            config,
            reconcile_wakeup: Arc::new(Notify::new()),
            certificate_wakeup: Arc::new(Notify::new()),
            limiter: Arc::new(rate_limit::RateLimiter::default()),
            list_server: None,
            sealing_key: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// Reaches Mailman for the lists' live side.
    pub fn with_list_server(mut self, server: Arc<dyn list_server::ListServer>) -> Self {
        self.list_server = Some(server);
        self
    }

    pub fn two_factor(&self) -> two_factor::TwoFactorService<'_> {
        two_factor::TwoFactorService { app: self }
    }
    pub fn password_reset(&self) -> password_reset::PasswordResetService<'_> {
        password_reset::PasswordResetService { app: self }
    }

    pub fn accounts(&self) -> account::AccountService<'_> {
        account::AccountService { app: self }
    }
    pub fn auth(&self) -> auth::AuthService<'_> {
        auth::AuthService { app: self }
    }
    pub fn quota_profiles(&self) -> quota_profile::QuotaProfileService<'_> {
        quota_profile::QuotaProfileService { app: self }
    }
    pub fn users(&self) -> user::UserService<'_> {
        user::UserService { app: self }
    }
    pub fn tokens(&self) -> token::TokenService<'_> {
        token::TokenService { app: self }
    }
    pub fn impersonation(&self) -> impersonation::ImpersonationService<'_> {
        impersonation::ImpersonationService { app: self }
    }
    pub fn domains(&self) -> domain::DomainService<'_> {
        domain::DomainService { app: self }
    }
    pub fn mail_domains(&self) -> mail_domain::MailDomainService<'_> {
        mail_domain::MailDomainService { app: self }
    }
    pub fn sites(&self) -> site::SiteService<'_> {
        site::SiteService { app: self }
    }
    pub fn sftp(&self) -> sftp::SftpService<'_> {
        sftp::SftpService { app: self }
    }
    pub fn databases(&self) -> database::DatabaseService<'_> {
        database::DatabaseService { app: self }
    }
    pub fn lists(&self) -> list::ListService<'_> {
        list::ListService { app: self }
    }
    pub fn lists_public(&self) -> list_public::ListPublicService<'_> {
        list_public::ListPublicService { app: self }
    }
    pub fn mailboxes(&self) -> mailbox::MailboxService<'_> {
        mailbox::MailboxService { app: self }
    }
    pub fn mail_aliases(&self) -> mail_alias::MailAliasService<'_> {
        mail_alias::MailAliasService { app: self }
    }
    pub fn audit(&self) -> audit::AuditService<'_> {
        audit::AuditService { app: self }
    }

    /// Commits a change and wakes the reconciler for the queue rows it wrote.
    pub(crate) async fn commit(&self, tx: Tx) -> Result<()> {
        tx.commit().await?;
        self.reconcile_wakeup.notify_one();
        self.certificate_wakeup.notify_one();
        Ok(())
    }
}

pub fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Authorizes an action on an account, reading the facts the rule needs.
/// A missing account is `NotFound` for everyone.
pub(crate) async fn authorize_on_account(
    tx: &mut Tx,
    actor: &Actor,
    action: Action,
    account: AccountId,
) -> Result<konbit_core::model::Account> {
    // Check the actor's standing first, so an anonymous or scope-less caller
    // learns nothing about which accounts exist.
    authorize(actor, action, Target::default()).or_else(|d| match d {
        konbit_core::Denied::AccountLocked => Ok(()),
        other => Err(other),
    })?;
    let acc = tx.account(account).await?;
    authorize(
        actor,
        action,
        Target {
            account_locked: acc.locked,
            account_deleted: acc.is_deleted(),
        },
    )?;
    Ok(acc)
}

pub(crate) use audit::{Audit, audit};

/// The account a form or a body names, by name or by id; unknown is
/// `NotFound`, like an account the actor may not see.
pub(crate) async fn named_account(tx: &mut Tx, raw: &str) -> Result<konbit_core::model::Account> {
    let raw = raw.trim();
    let found = match raw.parse::<i64>() {
        Ok(id) => tx.account(AccountId(id)).await,
        Err(_) => tx.account_by_name(raw).await,
    };
    found.map_err(|_| AppError::NotFound)
}

/// Maps a unique-constraint failure to a duplicate on the named field.
pub(crate) fn duplicate_on(field: &'static str) -> impl Fn(konbit_store::StoreError) -> AppError {
    move |e| match e {
        konbit_store::StoreError::Conflict { .. } => AppError::Duplicate { field },
        other => other.into(),
    }
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Refuses an actor who may never do `action` (a token without the scope)
/// before any object is looked up, so an unknown id gets the same 403 as a
/// known one and ids cannot be probed.
pub(crate) fn check_scope(actor: &Actor, action: fn(AccountId) -> Action) -> Result<()> {
    authorize(actor, action(AccountId(0)), Target::default()).or_else(|d| match d {
        konbit_core::Denied::NotFound | konbit_core::Denied::AccountLocked => Ok(()),
        other => Err(other),
    })?;
    Ok(())
}

/// The accounts whose objects of one kind the actor may list (`None`: all
/// of them, for admins); `view` is that kind's view action.
pub(crate) async fn visible_accounts(
    tx: &mut Tx,
    actor: &Actor,
    view: fn(AccountId) -> Action,
) -> Result<Option<Vec<AccountId>>> {
    if let Some(only) = actor.token.as_ref().and_then(|g| g.account) {
        authorize_on_account(tx, actor, view(only), only).await?;
        return Ok(Some(vec![only]));
    }
    authorize(actor, view(AccountId(0)), Target::default()).or_else(|d| match d {
        konbit_core::Denied::NotFound => Ok(()),
        other => Err(other),
    })?;
    if actor.is_admin {
        return Ok(None);
    }
    let mut ids = Vec::new();
    for m in &actor.memberships {
        if authorize_on_account(tx, actor, view(m.account_id), m.account_id)
            .await
            .is_ok()
        {
            ids.push(m.account_id);
        }
    }
    Ok(Some(ids))
}

/// Collects every field error of a form, so a person sees them all at once.
#[derive(Default)]
pub(crate) struct Fields(Vec<konbit_core::FieldError>);

impl Fields {
    pub fn check<T>(&mut self, r: std::result::Result<T, konbit_core::FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn push(&mut self, e: konbit_core::FieldError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hosting;
#[cfg(test)]
mod tests_lists;
