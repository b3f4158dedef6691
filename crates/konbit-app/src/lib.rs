//! Application services: the one place where a change is authorized,
//! validated, checked against quotas, written, audited and queued for the
//! reconciler, in one transaction. The panel, the API and the CLI are thin
//! layers over these services.

pub mod account;
pub mod auth;
mod error;
pub mod password;
pub mod quota_profile;
pub mod secret;
pub mod token;
pub mod user;

pub use error::AppError;

use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::model::{AccountId, Timestamp};
use konbit_store::{NewAuditEntry, Store, Tx};
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
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            session_idle_secs: 60 * 60,
            session_absolute_secs: 12 * 60 * 60,
            deletion_grace_secs: 30 * 24 * 60 * 60,
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
}

impl App {
    pub fn new(store: Store, config: AppConfig) -> Self {
        Self {
            store,
            config,
            reconcile_wakeup: Arc::new(Notify::new()),
        }
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

    /// Commits a change and wakes the reconciler for the queue rows it wrote.
    pub(crate) async fn commit(&self, tx: Tx) -> Result<()> {
        tx.commit().await?;
        self.reconcile_wakeup.notify_one();
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

pub(crate) struct Audit<'a> {
    pub action: &'a str,
    pub kind: &'a str,
    pub id: String,
    pub account: Option<AccountId>,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
}

pub(crate) async fn audit(tx: &mut Tx, actor: &Actor, a: Audit<'_>, now: Timestamp) -> Result<()> {
    tx.insert_audit(
        NewAuditEntry {
            actor,
            action: a.action,
            object_kind: a.kind,
            object_id: a.id,
            account_id: a.account,
            old_value: a.old,
            new_value: a.new,
        },
        now,
    )
    .await?;
    Ok(())
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
