//! Quota profiles, managed by the operator's admins.

use crate::{App, AppError, Audit, Fields, Result, audit, duplicate_on, json, now};
use konbit_core::ErrorCode;
use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::model::{QuotaProfile, QuotaProfileId};
use konbit_core::names::Label;
use konbit_core::quota::QuotaLimits;
use konbit_store::NewQuotaProfile;

pub const KIND: &str = "quota_profile";

pub struct QuotaProfileService<'a> {
    pub(crate) app: &'a App,
}

#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub name: String,
    pub limits: QuotaLimits,
}

fn validate(input: &ProfileInput) -> Result<NewQuotaProfile> {
    let mut f = Fields::default();
    let name = f.check(Label::parse("name", &input.name));
    f.check(input.limits.validate());
    f.finish()?;
    let name = name.ok_or_else(|| AppError::Internal("validated field missing".into()))?;
    Ok(NewQuotaProfile {
        name,
        limits: input.limits,
    })
}

impl QuotaProfileService<'_> {
    /// Whether the actor may create or change profiles, for front ends that
    /// parse a form before calling `create` or `update`.
    pub fn check_manage(&self, actor: &Actor) -> Result<()> {
        Ok(authorize(
            actor,
            Action::ManageQuotaProfiles,
            Target::default(),
        )?)
    }

    pub async fn list(&self, actor: &Actor) -> Result<Vec<QuotaProfile>> {
        authorize(actor, Action::ViewQuotaProfiles, Target::default())?;
        Ok(self.app.store.read().await?.quota_profiles().await?)
    }

    pub async fn get(&self, actor: &Actor, id: QuotaProfileId) -> Result<QuotaProfile> {
        authorize(actor, Action::ViewQuotaProfiles, Target::default())?;
        Ok(self.app.store.read().await?.quota_profile(id).await?)
    }

    pub async fn create(&self, actor: &Actor, input: ProfileInput) -> Result<QuotaProfile> {
        authorize(actor, Action::ManageQuotaProfiles, Target::default())?;
        let new = validate(&input)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let id = tx
            .insert_quota_profile(&new, now)
            .await
            .map_err(duplicate_on("name"))?;
        let created = tx.quota_profile(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "quota_profile_created",
                kind: KIND,
                id: id.to_string(),
                account: None,
                old: None,
                new: json(&created),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(created)
    }

    /// Changing limits applies to every account on the profile; lowering a
    /// limit below what an account uses is allowed (nothing is deleted), and
    /// the account just cannot grow until it is back under.
    pub async fn update(
        &self,
        actor: &Actor,
        id: QuotaProfileId,
        input: ProfileInput,
    ) -> Result<QuotaProfile> {
        let mut tx = self.app.store.write().await?;
        let updated = Self::update_in(&mut tx, actor, id, input, now()).await?;
        self.app.commit(tx).await?;
        Ok(updated)
    }

    /// `update` within a transaction the caller commits.
    pub(crate) async fn update_in(
        tx: &mut konbit_store::Tx,
        actor: &Actor,
        id: QuotaProfileId,
        input: ProfileInput,
        now: i64,
    ) -> Result<QuotaProfile> {
        authorize(actor, Action::ManageQuotaProfiles, Target::default())?;
        let new = validate(&input)?;
        let old = tx.quota_profile(id).await?;
        tx.update_quota_profile(id, &new, now)
            .await
            .map_err(duplicate_on("name"))?;
        let updated = tx.quota_profile(id).await?;
        audit(
            tx,
            actor,
            Audit {
                action: "quota_profile_updated",
                kind: KIND,
                id: id.to_string(),
                account: None,
                old: json(&old),
                new: json(&updated),
            },
            now,
        )
        .await?;
        Ok(updated)
    }

    pub async fn delete(&self, actor: &Actor, id: QuotaProfileId) -> Result<()> {
        authorize(actor, Action::ManageQuotaProfiles, Target::default())?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = tx.quota_profile(id).await?;
        if old.account_count > 0 {
            return Err(AppError::Conflict {
                code: ErrorCode::ProfileInUse,
                detail: format!("{} accounts", old.account_count),
            });
        }
        tx.delete_quota_profile(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "quota_profile_deleted",
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
        Ok(())
    }
}
