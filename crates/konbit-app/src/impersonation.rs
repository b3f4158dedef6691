//! An admin acting as a member to help them. The state lives in the
//! admin's session row on the server (no cookie to forge); it is audited in
//! each of the member's accounts, shown to the member while it lasts, and
//! ends explicitly (or with the admin's session).

use crate::audit::{Audit, audit};
use crate::secret::sha256_hex;
use crate::{App, AppError, Result, now};
use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::model::{Person, UserId};
use konbit_core::{Denied, ErrorCode};
use konbit_store::{StoreError, Tx};

pub struct ImpersonationService<'a> {
    pub(crate) app: &'a App,
}

/// One audit entry per account of the person, so each account's log shows
/// who acted in it; a person without an account gets one co-op entry.
async fn record(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    target: &Person,
    admin: UserId,
    now: i64,
) -> Result<()> {
    let new = Some(serde_json::json!({ "admin_user_id": admin, "person_user_id": target.id }));
    let accounts: Vec<_> = target
        .memberships
        .iter()
        .map(|m| Some(m.account_id))
        .collect();
    let accounts = if accounts.is_empty() {
        vec![None]
    } else {
        accounts
    };
    for account in accounts {
        let entry = Audit {
            action,
            kind: "user",
            id: target.id.to_string(),
            account,
            old: None,
            new: new.clone(),
        };
        audit(tx, actor, entry, now).await?;
    }
    Ok(())
}

impl ImpersonationService<'_> {
    /// Starts acting as `target` in the admin's session `cookie`.
    pub async fn start(&self, actor: &Actor, cookie: &str, target: UserId) -> Result<Person> {
        authorize(actor, Action::Impersonate, Target::default())?;
        let admin = actor.user_id.ok_or(Denied::Unauthenticated)?;
        if admin == target {
            return Err(AppError::Conflict {
                code: ErrorCode::Conflict,
                detail: "cannot act as yourself".into(),
            });
        }
        let now = now();
        let mut tx = self.app.store.write().await?;
        let person = match tx.user(target).await {
            Ok(p) => p,
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        // Acting as another admin would be a way around their keys.
        if person.is_admin {
            return Err(Denied::Forbidden.into());
        }
        tx.set_impersonation(&sha256_hex(cookie), Some(target), now)
            .await?;
        let as_admin = Actor {
            impersonator: Some(admin),
            ..actor.clone()
        };
        record(
            &mut tx,
            &as_admin,
            "impersonation_started",
            &person,
            admin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(person)
    }

    /// Ends acting as someone; the admin is themself again. Ending when
    /// nothing was started changes nothing.
    pub async fn end(&self, actor: &Actor, cookie: &str) -> Result<()> {
        let (Some(admin), Some(target)) = (actor.impersonator, actor.user_id) else {
            return Ok(());
        };
        let now = now();
        let mut tx = self.app.store.write().await?;
        let person = tx.user(target).await?;
        tx.set_impersonation(&sha256_hex(cookie), None, now).await?;
        record(&mut tx, actor, "impersonation_ended", &person, admin, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
