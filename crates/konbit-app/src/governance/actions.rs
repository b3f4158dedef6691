//! Platform actions: the preview shown before and during the vote, and
//! applying an action (or its undo) inside the transaction that records
//! the decision, so a decision is never half-applied.

use crate::account::{AccountService, CreateAccount, OwnerInput};
use crate::quota_profile::{ProfileInput, QuotaProfileService};
use crate::{App, AppError, Audit, Result, audit, json};
use konbit_core::authz::Actor;
use konbit_core::governance::action::PlatformAction;
use konbit_core::quota::Resource;
use konbit_store::Tx;
use serde::{Deserialize, Serialize};

/// The setting that holds the zone defaults a decision chose.
pub(crate) const ZONE_DEFAULTS: &str = "zone_defaults";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ZoneDefaults {
    pub ttl: u32,
    pub spf: String,
    pub dmarc: String,
}

/// One value the action changes: what it is now and what it would be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewLine {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Something worth knowing before voting; none of them stops the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PreviewProblem {
    /// The account already uses more than the new limit: nothing is
    /// deleted, it just cannot grow until it is back under.
    OverNewLimit {
        account: String,
        resource: Resource,
        used: u64,
        limit: u64,
    },
    /// The name is taken now; applying will fail unless it is freed.
    NameTaken { name: String },
    /// The account is already in the state the action asks for.
    AlreadySo { account: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionPreview {
    pub action: PlatformAction,
    /// The profile or account the action is about, by name.
    pub target: String,
    pub changes: Vec<PreviewLine>,
    /// Accounts the change reaches (every account on a profile).
    pub affected_accounts: Vec<String>,
    pub problems: Vec<PreviewProblem>,
}

fn line(field: &str, before: Option<String>, after: Option<String>) -> PreviewLine {
    PreviewLine {
        field: field.to_owned(),
        before,
        after,
    }
}

pub(crate) async fn zone_defaults(tx: &mut Tx, app: &App) -> Result<ZoneDefaults> {
    let template = &app.config.zone_template;
    let configured = ZoneDefaults {
        ttl: template.ttl,
        spf: template.spf.clone(),
        dmarc: template.dmarc.clone(),
    };
    Ok(match tx.setting(ZONE_DEFAULTS).await? {
        Some(stored) => serde_json::from_str(&stored).unwrap_or(configured),
        None => configured,
    })
}

/// The operator's zone template with the defaults a decision chose (the
/// TTL, SPF and DMARC of new zones and newly enabled mail).
pub(crate) async fn zone_template(
    tx: &mut Tx,
    app: &App,
) -> Result<konbit_core::zone_template::ZoneTemplate> {
    let chosen = zone_defaults(tx, app).await?;
    Ok(konbit_core::zone_template::ZoneTemplate {
        ttl: chosen.ttl,
        spf: chosen.spf,
        dmarc: chosen.dmarc,
        ..app.config.zone_template.clone()
    })
}

/// What the action would do now. An unknown profile or account is an
/// invalid field, so a proposal about nothing is refused when written.
pub(crate) async fn preview_in(
    tx: &mut Tx,
    app: &App,
    action: &PlatformAction,
) -> Result<ActionPreview> {
    let unknown = |field: &'static str| {
        AppError::invalid(konbit_core::FieldError::new(
            field,
            konbit_core::Rule::UnknownChoice,
        ))
    };
    let mut preview = ActionPreview {
        action: action.clone(),
        target: String::new(),
        changes: Vec::new(),
        affected_accounts: Vec::new(),
        problems: Vec::new(),
    };
    match action {
        PlatformAction::SetQuotaLimits { profile_id, limits } => {
            let profile = tx
                .quota_profile(*profile_id)
                .await
                .map_err(|_| unknown("profile_id"))?;
            preview.target = profile.name.to_string();
            for r in Resource::ALL {
                let (old, new) = (profile.limits.get(r), limits.get(r));
                if old != new {
                    preview.changes.push(line(
                        r.as_str(),
                        Some(old.to_string()),
                        Some(new.to_string()),
                    ));
                }
            }
            for (account, name) in tx.accounts_on_profile(*profile_id).await? {
                let usage = tx.account_usage(account).await?;
                for r in Resource::ALL {
                    if usage.get(r) > limits.get(r) {
                        preview.problems.push(PreviewProblem::OverNewLimit {
                            account: name.clone(),
                            resource: r,
                            used: usage.get(r),
                            limit: limits.get(r),
                        });
                    }
                }
                preview.affected_accounts.push(name);
            }
        }
        PlatformAction::AdmitAccount {
            name,
            display_name,
            quota_profile_id,
            owner_email,
        } => {
            let profile = tx
                .quota_profile(*quota_profile_id)
                .await
                .map_err(|_| unknown("quota_profile_id"))?;
            preview.target = name.clone();
            preview.changes = vec![
                line("name", None, Some(name.clone())),
                line("display_name", None, Some(display_name.clone())),
                line("quota_profile", None, Some(profile.name.to_string())),
                line("owner_email", None, Some(owner_email.clone())),
            ];
            if tx.account_by_name(name).await.is_ok() {
                preview
                    .problems
                    .push(PreviewProblem::NameTaken { name: name.clone() });
            }
        }
        PlatformAction::LockAccount { account_id, reason } => {
            let account = tx
                .account(*account_id)
                .await
                .map_err(|_| unknown("account_id"))?;
            preview.target = account.name.to_string();
            preview.changes = vec![
                line(
                    "locked",
                    Some(account.locked.to_string()),
                    Some("true".into()),
                ),
                line(
                    "lock_reason",
                    account.lock_reason.clone(),
                    Some(reason.clone()),
                ),
            ];
            if account.locked {
                preview.problems.push(PreviewProblem::AlreadySo {
                    account: account.name.to_string(),
                });
            }
        }
        PlatformAction::UnlockAccount { account_id } => {
            let account = tx
                .account(*account_id)
                .await
                .map_err(|_| unknown("account_id"))?;
            preview.target = account.name.to_string();
            preview.changes.push(line(
                "locked",
                Some(account.locked.to_string()),
                Some("false".into()),
            ));
            if !account.locked {
                preview.problems.push(PreviewProblem::AlreadySo {
                    account: account.name.to_string(),
                });
            }
        }
        PlatformAction::RemoveAccount { account_id } => {
            let account = tx
                .account(*account_id)
                .await
                .map_err(|_| unknown("account_id"))?;
            preview.target = account.name.to_string();
            preview.changes.push(line(
                "deleted",
                Some(account.is_deleted().to_string()),
                Some("true".into()),
            ));
            if account.is_deleted() {
                preview.problems.push(PreviewProblem::AlreadySo {
                    account: account.name.to_string(),
                });
            }
        }
        PlatformAction::SetZoneDefaults { ttl, spf, dmarc } => {
            let current = zone_defaults(tx, app).await?;
            preview.target = "zone_template".into();
            for (field, before, after) in [
                ("ttl", current.ttl.to_string(), ttl.to_string()),
                ("spf", current.spf.clone(), spf.clone()),
                ("dmarc", current.dmarc.clone(), dmarc.clone()),
            ] {
                if before != after {
                    preview.changes.push(line(field, Some(before), Some(after)));
                }
            }
        }
    }
    Ok(preview)
}

/// The action that puts an account's lock back as it was.
fn lock_state_of(account: &konbit_core::model::Account) -> PlatformAction {
    match &account.lock_reason {
        Some(reason) if account.locked => PlatformAction::LockAccount {
            account_id: account.id,
            reason: reason.clone(),
        },
        _ => PlatformAction::UnlockAccount {
            account_id: account.id,
        },
    }
}

/// Applies the action as `actor` inside `tx` and returns its undo.
pub(crate) async fn apply_in(
    tx: &mut Tx,
    app: &App,
    actor: &Actor,
    action: &PlatformAction,
    now: i64,
) -> Result<PlatformAction> {
    match action {
        PlatformAction::SetQuotaLimits { profile_id, limits } => {
            let old = tx.quota_profile(*profile_id).await?;
            QuotaProfileService::update_in(
                tx,
                actor,
                *profile_id,
                ProfileInput {
                    name: old.name.to_string(),
                    limits: *limits,
                },
                now,
            )
            .await?;
            Ok(PlatformAction::SetQuotaLimits {
                profile_id: *profile_id,
                limits: old.limits,
            })
        }
        PlatformAction::AdmitAccount {
            name,
            display_name,
            quota_profile_id,
            owner_email,
        } => {
            // A new person gets a random password, and the welcome e-mail
            // sent once this commits lets them choose their own; an
            // existing one is just made owner.
            let account = app
                .accounts()
                .create_in(
                    tx,
                    actor,
                    CreateAccount {
                        name: name.clone(),
                        display_name: display_name.clone(),
                        quota_profile_id: Some(quota_profile_id.0),
                        owner: Some(OwnerInput {
                            email: owner_email.clone(),
                            display_name: display_name.clone(),
                            password: crate::secret::random_password(),
                        }),
                    },
                    now,
                )
                .await?;
            Ok(PlatformAction::RemoveAccount {
                account_id: account.id,
            })
        }
        PlatformAction::LockAccount { account_id, reason } => {
            let old = tx.account(*account_id).await?;
            AccountService::set_locked_in(tx, actor, *account_id, Some(reason.clone()), now)
                .await?;
            Ok(lock_state_of(&old))
        }
        PlatformAction::UnlockAccount { account_id } => {
            let old = tx.account(*account_id).await?;
            AccountService::set_locked_in(tx, actor, *account_id, None, now).await?;
            Ok(lock_state_of(&old))
        }
        PlatformAction::RemoveAccount { account_id } => {
            app.accounts()
                .delete_in(tx, actor, *account_id, now)
                .await?;
            // Restoring is the admins' call (from the account page) during
            // the grace period; there is no undo of an undo.
            Ok(PlatformAction::RemoveAccount {
                account_id: *account_id,
            })
        }
        PlatformAction::SetZoneDefaults { ttl, spf, dmarc } => {
            let old = zone_defaults(tx, app).await?;
            let new = ZoneDefaults {
                ttl: *ttl,
                spf: spf.clone(),
                dmarc: dmarc.clone(),
            };
            let value = serde_json::to_string(&new)
                .map_err(|e| AppError::Internal(format!("zone defaults: {e}")))?;
            tx.set_setting(ZONE_DEFAULTS, &value, now).await?;
            audit(
                tx,
                actor,
                Audit {
                    action: "zone_defaults_changed",
                    kind: "platform_setting",
                    id: ZONE_DEFAULTS.into(),
                    account: None,
                    old: json(&old),
                    new: json(&new),
                },
                now,
            )
            .await?;
            Ok(PlatformAction::SetZoneDefaults {
                ttl: old.ttl,
                spf: old.spf,
                dmarc: old.dmarc,
            })
        }
    }
}
