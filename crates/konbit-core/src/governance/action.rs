//! Platform actions: what an adopted proposal changes on the platform once
//! its appeal window is over. Each action is data, validated when the
//! proposal is written, previewed before the vote, applied by the
//! housekeeping, and undone by its inverse (computed when it is applied,
//! from what it replaced).

use crate::error::{FieldError, Rule};
use crate::model::{AccountId, QuotaProfileId};
use crate::names::{AccountName, DisplayName, EmailAddress, MAX_LOCK_REASON_CHARS, check_text};
use crate::quota::QuotaLimits;
use serde::{Deserialize, Serialize};

/// SPF and DMARC records are single TXT strings; 255 bytes is what one
/// character-string of a TXT record holds.
pub const MAX_POLICY_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlatformAction {
    /// Give a quota profile new limits (every account on it follows).
    SetQuotaLimits {
        profile_id: QuotaProfileId,
        limits: QuotaLimits,
    },
    /// Admit a new member: an account with its first owner, invited by
    /// e-mail (an existing person is simply made its owner).
    AdmitAccount {
        name: String,
        display_name: String,
        quota_profile_id: QuotaProfileId,
        owner_email: String,
    },
    LockAccount {
        account_id: AccountId,
        reason: String,
    },
    UnlockAccount {
        account_id: AccountId,
    },
    /// The default records new zones get: the mail policies (SPF, DMARC)
    /// and the TTL of the template's records.
    SetZoneDefaults {
        ttl: u32,
        spf: String,
        dmarc: String,
    },
    /// Soft-deletes an account (restorable during the grace period); only
    /// ever the undo of an admission.
    RemoveAccount {
        account_id: AccountId,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    SetQuotaLimits,
    AdmitAccount,
    LockAccount,
    UnlockAccount,
    SetZoneDefaults,
    RemoveAccount,
}

impl ActionKind {
    /// What a proposal may carry; `RemoveAccount` is only an undo.
    pub const PROPOSABLE: [ActionKind; 5] = [
        ActionKind::SetQuotaLimits,
        ActionKind::AdmitAccount,
        ActionKind::LockAccount,
        ActionKind::UnlockAccount,
        ActionKind::SetZoneDefaults,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SetQuotaLimits => "set_quota_limits",
            Self::AdmitAccount => "admit_account",
            Self::LockAccount => "lock_account",
            Self::UnlockAccount => "unlock_account",
            Self::SetZoneDefaults => "set_zone_defaults",
            Self::RemoveAccount => "remove_account",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::PROPOSABLE
            .into_iter()
            .chain([Self::RemoveAccount])
            .find(|k| k.as_str() == s.trim())
    }
}

impl PlatformAction {
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::SetQuotaLimits { .. } => ActionKind::SetQuotaLimits,
            Self::AdmitAccount { .. } => ActionKind::AdmitAccount,
            Self::LockAccount { .. } => ActionKind::LockAccount,
            Self::UnlockAccount { .. } => ActionKind::UnlockAccount,
            Self::SetZoneDefaults { .. } => ActionKind::SetZoneDefaults,
            Self::RemoveAccount { .. } => ActionKind::RemoveAccount,
        }
    }

    /// Checks what can be checked without the database (that the profile
    /// or account exists is the application's part). Every problem at once.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = Vec::new();
        match self {
            Self::SetQuotaLimits { limits, .. } => problems.extend(limits.validate().err()),
            Self::AdmitAccount {
                name,
                display_name,
                owner_email,
                ..
            } => {
                problems.extend(AccountName::parse("name", name).err());
                problems.extend(DisplayName::parse("display_name", display_name).err());
                problems.extend(EmailAddress::parse("owner_email", owner_email).err());
            }
            Self::LockAccount { reason, .. } => {
                problems.extend(check_text("reason", reason, MAX_LOCK_REASON_CHARS).err())
            }
            Self::SetZoneDefaults { ttl, spf, dmarc } => {
                if !(60..=86_400).contains(ttl) {
                    problems.push(FieldError::new(
                        "ttl",
                        Rule::OutOfRange {
                            min: 60,
                            max: 86_400,
                        },
                    ));
                }
                problems.extend(check_policy("spf", spf, "v=spf1").err());
                problems.extend(check_policy("dmarc", dmarc, "v=DMARC1").err());
            }
            Self::UnlockAccount { .. } | Self::RemoveAccount { .. } => {}
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// A TXT policy goes into PowerDNS quoted: printable ASCII only, no quote
/// or backslash, starting with its version tag.
fn check_policy(field: &'static str, text: &str, tag: &str) -> Result<(), FieldError> {
    check_text(field, text, MAX_POLICY_CHARS)?;
    if text
        .chars()
        .any(|c| !c.is_ascii_graphic() && c != ' ' || c == '"' || c == '\\')
    {
        return Err(FieldError::new(field, Rule::UnsafeCharacter));
    }
    if !text.starts_with(tag) {
        return Err(FieldError::new(field, Rule::UnknownChoice));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_at_once() {
        let admit = PlatformAction::AdmitAccount {
            name: "Bad Name".into(),
            display_name: String::new(),
            quota_profile_id: QuotaProfileId(1),
            owner_email: "nobody".into(),
        };
        let problems = admit.validate().unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["name", "display_name", "owner_email"]);
    }

    #[test]
    fn zone_policies_cannot_break_out_of_their_txt_string() {
        let with = |spf: &str, dmarc: &str, ttl| PlatformAction::SetZoneDefaults {
            ttl,
            spf: spf.into(),
            dmarc: dmarc.into(),
        };
        assert!(
            with("v=spf1 mx -all", "v=DMARC1; p=reject", 3600)
                .validate()
                .is_ok()
        );
        for (spf, dmarc, ttl) in [
            ("v=spf1 mx\" -all", "v=DMARC1; p=reject", 3600),
            ("v=spf1 mx\n-all", "v=DMARC1; p=reject", 3600),
            ("v=spf1 \\010", "v=DMARC1", 3600),
            ("mx -all", "v=DMARC1", 3600),
            ("v=spf1 mx -all", "p=reject", 3600),
            ("v=spf1 mx -all", "v=DMARC1", 10),
        ] {
            assert!(
                with(spf, dmarc, ttl).validate().is_err(),
                "{spf:?} {dmarc:?} {ttl}"
            );
        }
    }

    #[test]
    fn kinds_round_trip_and_undo_only_kinds_are_not_proposable() {
        for kind in ActionKind::PROPOSABLE {
            assert_eq!(ActionKind::parse(kind.as_str()), Some(kind));
        }
        assert!(!ActionKind::PROPOSABLE.contains(&ActionKind::RemoveAccount));
        assert_eq!(ActionKind::parse("drop_everything"), None);
    }

    #[test]
    fn actions_are_stored_as_tagged_json() {
        let action = PlatformAction::UnlockAccount {
            account_id: AccountId(4),
        };
        let json = serde_json::to_string(&action).unwrap();
        assert_eq!(json, r#"{"kind":"unlock_account","account_id":4}"#);
        assert_eq!(
            serde_json::from_str::<PlatformAction>(&json).unwrap(),
            action
        );
    }
}
