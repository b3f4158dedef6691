//! Accounts: creation within a quota profile, editing, lock and unlock, soft
//! delete with a grace period, restore and purge.

use crate::{
    App, AppError, Audit, Fields, Result, audit, authorize_on_account, json, now, password,
};
use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::model::{Account, AccountId, QuotaProfileId, Role, UserId};
use konbit_core::names::{
    AccountName, DisplayName, EmailAddress, MAX_LOCK_REASON_CHARS, Password, check_note,
};
use konbit_core::page::{Page, PageRequest};
use konbit_core::quota::{self, QuotaLine};
use konbit_core::{ErrorCode, FieldError, Rule};
use konbit_store::{AccountFilter, NewAccount, NewUser, StoreError, Tx};

/// The kind under which accounts are queued for the reconciler.
pub const KIND: &str = "account";

pub struct AccountService<'a> {
    pub(crate) app: &'a App,
}

/// A first owner for a new account: an existing person (by e-mail) or a new
/// one, who then needs a name and a password.
#[derive(Debug, Clone, Default)]
pub struct OwnerInput {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Clone, Default)]
pub struct CreateAccount {
    pub name: String,
    pub display_name: String,
    /// `None` picks the first profile by name.
    pub quota_profile_id: Option<i64>,
    pub owner: Option<OwnerInput>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateAccount {
    pub display_name: Option<String>,
    pub quota_profile_id: Option<i64>,
}

/// An account with its quota usage, for the dashboard and the detail page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountOverview {
    pub account: Account,
    pub quota: Vec<QuotaLine>,
}

impl AccountService<'_> {
    pub async fn list(
        &self,
        actor: &Actor,
        filter: AccountFilter,
        page: PageRequest,
    ) -> Result<Page<Account>> {
        let mut filter = filter;
        // A token limited to one account lists that account, at most.
        if let Some(only) = actor.token.as_ref().and_then(|g| g.account) {
            authorize(actor, Action::ViewAccount(only), Target::default()).or_else(
                |d| match d {
                    // Membership is applied by the filter below.
                    konbit_core::Denied::NotFound => Ok(()),
                    other => Err(other),
                },
            )?;
            filter.only = Some(only);
            filter.deleted = false;
            if !actor.is_admin {
                filter.member = actor.user_id;
            }
        } else if authorize(actor, Action::ListAccounts, Target::default()).is_err() {
            // Everyone else sees the accounts they belong to, never deleted ones.
            let user = actor.user_id.ok_or(konbit_core::Denied::Unauthenticated)?;
            authorize(actor, Action::ViewAccount(AccountId(0)), Target::default()).or_else(
                |d| match d {
                    konbit_core::Denied::NotFound => Ok(()),
                    other => Err(other),
                },
            )?;
            filter.member = Some(user);
            filter.deleted = false;
        }
        let mut tx = self.app.store.read().await?;
        Ok(tx.accounts(&filter, page).await?)
    }

    pub async fn get(&self, actor: &Actor, id: AccountId) -> Result<Account> {
        let mut tx = self.app.store.read().await?;
        authorize_on_account(&mut tx, actor, Action::ViewAccount(id), id).await
    }

    pub async fn get_by_name(&self, actor: &Actor, name: &str) -> Result<Account> {
        let mut tx = self.app.store.read().await?;
        authorize(actor, Action::ViewAccount(AccountId(0)), Target::default()).or_else(
            |d| match d {
                konbit_core::Denied::NotFound => Ok(()),
                other => Err(other),
            },
        )?;
        let id = match tx.account_by_name(name).await {
            Ok(a) => a.id,
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        authorize_on_account(&mut tx, actor, Action::ViewAccount(id), id).await
    }

    pub async fn overview(&self, actor: &Actor, id: AccountId) -> Result<AccountOverview> {
        let mut tx = self.app.store.read().await?;
        let account = authorize_on_account(&mut tx, actor, Action::ViewAccount(id), id).await?;
        let limits = tx.account_limits(id).await?;
        let usage = tx.account_usage(id).await?;
        Ok(AccountOverview {
            account,
            quota: quota::lines(&limits, &usage),
        })
    }

    pub async fn create(&self, actor: &Actor, input: CreateAccount) -> Result<Account> {
        let mut tx = self.app.store.write().await?;
        let account = self.create_in(&mut tx, actor, input, now()).await?;
        self.app.commit(tx).await?;
        Ok(account)
    }

    /// `create` within a transaction the caller commits (an adopted
    /// decision admits a member and records it in one transaction).
    pub(crate) async fn create_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        input: CreateAccount,
        now: i64,
    ) -> Result<Account> {
        authorize(actor, Action::CreateAccount, Target::default())?;
        let mut f = Fields::default();
        let name = f.check(AccountName::parse("name", &input.name));
        let display_name = f.check(DisplayName::parse("display_name", &input.display_name));
        let owner = input.owner.as_ref().and_then(|o| {
            f.check(EmailAddress::parse("owner_email", &o.email))
                .map(|e| (e, o))
        });
        f.finish()?;
        let (Some(name), Some(display_name)) = (name, display_name) else {
            return Err(AppError::Internal("validated fields missing".into()));
        };
        let profile = resolve_profile(tx, input.quota_profile_id).await?;
        let id = tx
            .insert_account(
                &NewAccount {
                    name,
                    display_name,
                    quota_profile_id: profile,
                },
                now,
            )
            .await
            .map_err(crate::duplicate_on("name"))?;
        if let Some((email, owner)) = owner {
            let user = find_or_create_person(tx, actor, &email, owner, now).await?;
            tx.upsert_membership(id, user, Role::Owner, now).await?;
            audit(
                tx,
                actor,
                Audit {
                    action: "membership_added",
                    kind: "membership",
                    id: format!("{id}/{user}"),
                    account: Some(id),
                    old: None,
                    new: Some(serde_json::json!({ "user_id": user, "role": "owner" })),
                },
                now,
            )
            .await?;
        }
        let account = tx.account(id).await?;
        audit(
            tx,
            actor,
            Audit {
                action: "account_created",
                kind: KIND,
                id: id.to_string(),
                account: Some(id),
                old: None,
                new: json(&account),
            },
            now,
        )
        .await?;
        tx.enqueue(KIND, id.0, account.provision.generation, now)
            .await?;
        Ok(account)
    }

    /// One change to an existing account: authorize, apply (which returns the
    /// new generation), audit old → new, queue for the reconciler, commit.
    async fn change(
        &self,
        actor: &Actor,
        id: AccountId,
        action: Action,
        audit_action: &str,
        apply: impl AsyncFnOnce(&mut Tx, &Account, i64) -> Result<i64>,
    ) -> Result<Account> {
        let mut tx = self.app.store.write().await?;
        let new = Self::change_in(&mut tx, actor, id, action, audit_action, now(), apply).await?;
        self.app.commit(tx).await?;
        Ok(new)
    }

    /// `change` within a transaction the caller commits.
    pub(crate) async fn change_in(
        tx: &mut Tx,
        actor: &Actor,
        id: AccountId,
        action: Action,
        audit_action: &str,
        now: i64,
        apply: impl AsyncFnOnce(&mut Tx, &Account, i64) -> Result<i64>,
    ) -> Result<Account> {
        let old = authorize_on_account(tx, actor, action, id).await?;
        let generation = apply(tx, &old, now).await?;
        let new = tx.account(id).await?;
        let entry = Audit {
            action: audit_action,
            kind: KIND,
            id: id.to_string(),
            account: Some(id),
            old: json(&old),
            new: json(&new),
        };
        audit(tx, actor, entry, now).await?;
        tx.enqueue(KIND, id.0, generation, now).await?;
        Ok(new)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: AccountId,
        input: UpdateAccount,
    ) -> Result<Account> {
        self.change(
            actor,
            id,
            Action::UpdateAccount(id),
            "account_updated",
            async |tx, old, now| {
                let display_name = match &input.display_name {
                    Some(d) => DisplayName::parse("display_name", d).map_err(AppError::invalid)?,
                    None => old.display_name.clone(),
                };
                let profile = match input.quota_profile_id {
                    Some(p) => resolve_profile(tx, Some(p)).await?,
                    None => old.quota_profile_id,
                };
                Ok(tx.update_account(id, &display_name, profile, now).await?)
            },
        )
        .await
    }

    /// Locks (with a reason shown to the account's people) or unlocks.
    pub async fn set_locked(
        &self,
        actor: &Actor,
        id: AccountId,
        lock: Option<String>,
    ) -> Result<Account> {
        let mut tx = self.app.store.write().await?;
        let account = Self::set_locked_in(&mut tx, actor, id, lock, now()).await?;
        self.app.commit(tx).await?;
        Ok(account)
    }

    /// `set_locked` within a transaction the caller commits.
    pub(crate) async fn set_locked_in(
        tx: &mut Tx,
        actor: &Actor,
        id: AccountId,
        lock: Option<String>,
        now: i64,
    ) -> Result<Account> {
        let audit_action = if lock.is_some() {
            "account_locked"
        } else {
            "account_unlocked"
        };
        Self::change_in(
            tx,
            actor,
            id,
            Action::LockAccount(id),
            audit_action,
            now,
            async |tx, old, now| {
                let reason = match &lock {
                    Some(r) => {
                        check_note("reason", r, MAX_LOCK_REASON_CHARS)
                            .map_err(AppError::invalid)?;
                        Some(r.trim().to_owned())
                    }
                    None => None,
                };
                if old.is_deleted() {
                    return Err(AppError::NotFound);
                }
                // A locked account's SFTP logins are refused.
                crate::sftp::requeue_account_sftp(tx, id, now).await?;
                Ok(tx
                    .set_account_lock(id, reason.as_deref().map(|r| (r, now)), now)
                    .await?)
            },
        )
        .await
    }

    /// Soft delete: the account disappears for its people and can be
    /// restored until the grace period ends.
    pub async fn delete(&self, actor: &Actor, id: AccountId) -> Result<Account> {
        let mut tx = self.app.store.write().await?;
        let account = self.delete_in(&mut tx, actor, id, now()).await?;
        self.app.commit(tx).await?;
        Ok(account)
    }

    /// `delete` within a transaction the caller commits.
    pub(crate) async fn delete_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: AccountId,
        now: i64,
    ) -> Result<Account> {
        let grace = self.app.config.deletion_grace_secs;
        Self::change_in(
            tx,
            actor,
            id,
            Action::DeleteAccount(id),
            "account_deleted",
            now,
            async |tx, old, now| {
                if old.is_deleted() {
                    return Err(AppError::NotFound);
                }
                // PowerDNS stops serving the account's zones.
                crate::domain::requeue_account_zones(tx, id, false, now).await?;
                crate::mail_domain::requeue_account_mail(tx, id, false, now).await?;
                crate::site::requeue_account_sites(tx, id, false, now).await?;
                crate::sftp::requeue_account_sftp(tx, id, now).await?;
                crate::database::requeue_account_databases(tx, id, now).await?;
                Ok(tx
                    .set_account_deleted(id, Some(now.saturating_add(grace)), now)
                    .await?)
            },
        )
        .await
    }

    pub async fn restore(&self, actor: &Actor, id: AccountId) -> Result<Account> {
        self.change(
            actor,
            id,
            Action::RestoreAccount(id),
            "account_restored",
            async |tx, old, now| {
                if !old.is_deleted() {
                    return Err(AppError::Conflict {
                        code: ErrorCode::Conflict,
                        detail: "account is not deleted".into(),
                    });
                }
                crate::domain::requeue_account_zones(tx, id, false, now).await?;
                crate::mail_domain::requeue_account_mail(tx, id, false, now).await?;
                crate::site::requeue_account_sites(tx, id, false, now).await?;
                crate::sftp::requeue_account_sftp(tx, id, now).await?;
                crate::database::requeue_account_databases(tx, id, now).await?;
                Ok(tx.set_account_deleted(id, None, now).await?)
            },
        )
        .await
    }

    /// Removes for good the accounts whose grace period is over. Each purge
    /// is its own transaction, so one failure does not keep the others.
    pub async fn purge_expired(&self, actor: &Actor) -> Result<Vec<AccountId>> {
        authorize(
            actor,
            Action::DeleteAccount(AccountId(0)),
            Target::default(),
        )?;
        let now = now();
        let due = self
            .app
            .store
            .read()
            .await?
            .accounts_due_for_purge(now)
            .await?;
        let mut purged = Vec::new();
        for id in due {
            let mut tx = self.app.store.write().await?;
            let old = tx.account(id).await?;
            crate::domain::requeue_account_zones(&mut tx, id, true, now).await?;
            crate::mail_domain::requeue_account_mail(&mut tx, id, true, now).await?;
            crate::site::requeue_account_sites(&mut tx, id, true, now).await?;
            crate::sftp::requeue_account_sftp(&mut tx, id, now).await?;
            crate::database::requeue_account_databases(&mut tx, id, now).await?;
            tx.purge_account(id).await?;
            // Generation 0 with no row left: the account's Unix user and
            // home are removed.
            tx.enqueue(KIND, id.0, 0, now).await?;
            audit(
                &mut tx,
                actor,
                Audit {
                    action: "account_purged",
                    kind: KIND,
                    id: id.to_string(),
                    account: None,
                    old: json(&old),
                    new: None,
                },
                now,
            )
            .await?;
            self.app.commit(tx).await?;
            purged.push(id);
        }
        Ok(purged)
    }
}

async fn resolve_profile(tx: &mut Tx, id: Option<i64>) -> Result<QuotaProfileId> {
    match id {
        Some(id) => match tx.quota_profile(QuotaProfileId(id)).await {
            Ok(p) => Ok(p.id),
            Err(StoreError::NotFound) => Err(AppError::invalid(FieldError::new(
                "quota_profile_id",
                Rule::UnknownChoice,
            ))),
            Err(e) => Err(e.into()),
        },
        None => tx
            .quota_profiles()
            .await?
            .first()
            .map(|p| p.id)
            .ok_or_else(|| AppError::invalid(FieldError::new("quota_profile_id", Rule::Required))),
    }
}

/// The person with this address, or a new one made from the form.
pub(crate) async fn find_or_create_person(
    tx: &mut Tx,
    actor: &Actor,
    email: &EmailAddress,
    input: &OwnerInput,
    now: i64,
) -> Result<UserId> {
    match tx.user_auth_by_email(email.as_str()).await {
        Ok(found) => return Ok(found.person.id),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let mut f = Fields::default();
    let display_name = f.check(DisplayName::parse(
        "owner_display_name",
        &input.display_name,
    ));
    let password = f.check(Password::parse("owner_password", &input.password));
    f.finish()?;
    let (Some(display_name), Some(password)) = (display_name, password) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let hash = password::hash(password.expose().to_owned()).await?;
    let id = tx
        .insert_user(
            &NewUser {
                email: email.clone(),
                display_name,
                password_hash: hash,
                is_admin: false,
                locale: None,
            },
            now,
        )
        .await?;
    let person = tx.user(id).await?;
    audit(
        tx,
        actor,
        Audit {
            action: "user_created",
            kind: "user",
            id: id.to_string(),
            account: None,
            old: None,
            new: json(&person),
        },
        now,
    )
    .await?;
    Ok(id)
}
