//! Quota arithmetic. Limits come from an account's quota profile; usage is
//! counted from what the account owns.

use crate::error::{FieldError, Rule};
use serde::{Deserialize, Serialize};

/// Every resource a quota profile limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Domains,
    Mailboxes,
    MailStorageMb,
    Aliases,
    MailingLists,
    Sites,
    SftpAccounts,
    Databases,
    DiskMb,
}

impl Resource {
    pub const ALL: [Resource; 9] = [
        Resource::Domains,
        Resource::Mailboxes,
        Resource::MailStorageMb,
        Resource::Aliases,
        Resource::MailingLists,
        Resource::Sites,
        Resource::SftpAccounts,
        Resource::Databases,
        Resource::DiskMb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domains => "domains",
            Self::Mailboxes => "mailboxes",
            Self::MailStorageMb => "mail_storage_mb",
            Self::Aliases => "aliases",
            Self::MailingLists => "mailing_lists",
            Self::Sites => "sites",
            Self::SftpAccounts => "sftp_accounts",
            Self::Databases => "databases",
            Self::DiskMb => "disk_mb",
        }
    }

    /// Upper bound an operator may set, to keep arithmetic and forms sane.
    pub fn max_limit(self) -> u64 {
        match self {
            Self::MailStorageMb | Self::DiskMb => 100 * 1024 * 1024, // 100 TiB in MiB
            _ => 1_000_000,
        }
    }
}

/// The limits of one quota profile, one number per resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct QuotaLimits {
    pub domains: u64,
    pub mailboxes: u64,
    pub mail_storage_mb: u64,
    pub aliases: u64,
    pub mailing_lists: u64,
    pub sites: u64,
    pub sftp_accounts: u64,
    pub databases: u64,
    pub disk_mb: u64,
}

impl QuotaLimits {
    pub fn get(&self, r: Resource) -> u64 {
        match r {
            Resource::Domains => self.domains,
            Resource::Mailboxes => self.mailboxes,
            Resource::MailStorageMb => self.mail_storage_mb,
            Resource::Aliases => self.aliases,
            Resource::MailingLists => self.mailing_lists,
            Resource::Sites => self.sites,
            Resource::SftpAccounts => self.sftp_accounts,
            Resource::Databases => self.databases,
            Resource::DiskMb => self.disk_mb,
        }
    }

    pub fn set(&mut self, r: Resource, v: u64) {
        let slot = match r {
            Resource::Domains => &mut self.domains,
            Resource::Mailboxes => &mut self.mailboxes,
            Resource::MailStorageMb => &mut self.mail_storage_mb,
            Resource::Aliases => &mut self.aliases,
            Resource::MailingLists => &mut self.mailing_lists,
            Resource::Sites => &mut self.sites,
            Resource::SftpAccounts => &mut self.sftp_accounts,
            Resource::Databases => &mut self.databases,
            Resource::DiskMb => &mut self.disk_mb,
        };
        *slot = v;
    }

    /// Checks every limit against its bound; the field named is the resource.
    pub fn validate(&self) -> Result<(), FieldError> {
        for r in Resource::ALL {
            let max = r.max_limit();
            if self.get(r) > max {
                return Err(FieldError::new(
                    r.as_str(),
                    Rule::OutOfRange { min: 0, max },
                ));
            }
        }
        Ok(())
    }

    /// A sensible starting profile for a small group.
    pub fn starter() -> Self {
        Self {
            domains: 3,
            mailboxes: 10,
            mail_storage_mb: 10 * 1024,
            aliases: 50,
            mailing_lists: 3,
            sites: 3,
            sftp_accounts: 3,
            databases: 3,
            disk_mb: 10 * 1024,
        }
    }
}

/// What an account currently uses, counted per resource.
pub type Usage = QuotaLimits;

/// The usage of one resource against its limit, for display and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuotaLine {
    pub resource: Resource,
    pub used: u64,
    pub limit: u64,
}

impl QuotaLine {
    /// Percentage used, capped at 100, for a progress bar.
    pub fn percent(&self) -> u64 {
        if self.limit == 0 {
            return if self.used == 0 { 0 } else { 100 };
        }
        (self.used.saturating_mul(100) / self.limit).min(100)
    }
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
}

pub fn lines(limits: &QuotaLimits, usage: &Usage) -> Vec<QuotaLine> {
    Resource::ALL
        .iter()
        .map(|&r| QuotaLine {
            resource: r,
            used: usage.get(r),
            limit: limits.get(r),
        })
        .collect()
}

/// Refusal to grow past a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("quota exceeded for {resource:?}: {used} used + {requested} requested > {limit}")]
pub struct QuotaExceeded {
    pub resource: Resource,
    pub used: u64,
    pub requested: u64,
    pub limit: u64,
}

/// Whether `requested` more units of `resource` fit in the account's limits.
pub fn check(
    limits: &QuotaLimits,
    usage: &Usage,
    resource: Resource,
    requested: u64,
) -> Result<(), QuotaExceeded> {
    let used = usage.get(resource);
    let limit = limits.get(resource);
    match used.checked_add(requested) {
        Some(total) if total <= limit => Ok(()),
        _ => Err(QuotaExceeded {
            resource,
            used,
            requested,
            limit,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn check_at_the_edge() {
        let limits = QuotaLimits {
            mailboxes: 2,
            ..Default::default()
        };
        let usage = Usage {
            mailboxes: 1,
            ..Default::default()
        };
        assert!(check(&limits, &usage, Resource::Mailboxes, 1).is_ok());
        assert!(check(&limits, &usage, Resource::Mailboxes, 2).is_err());
        assert!(check(&limits, &usage, Resource::Domains, 1).is_err());
    }

    proptest! {
        #[test]
        fn check_agrees_with_arithmetic(limit in 0u64..1000, used in 0u64..1000, req in 0u64..1000) {
            let l = QuotaLimits { sites: limit, ..Default::default() };
            let u = Usage { sites: used, ..Default::default() };
            prop_assert_eq!(check(&l, &u, Resource::Sites, req).is_ok(), used + req <= limit);
        }

        #[test]
        fn check_never_overflows(used in any::<u64>(), req in any::<u64>()) {
            let l = QuotaLimits { disk_mb: u64::MAX, ..Default::default() };
            let u = Usage { disk_mb: used, ..Default::default() };
            let ok = check(&l, &u, Resource::DiskMb, req).is_ok();
            prop_assert_eq!(ok, used.checked_add(req).is_some());
        }

        #[test]
        fn percent_is_bounded(limit in any::<u64>(), used in any::<u64>()) {
            let line = QuotaLine { resource: Resource::Sites, used, limit };
            prop_assert!(line.percent() <= 100);
        }

        #[test]
        fn validate_enforces_bounds(v in any::<u64>()) {
            let l = QuotaLimits { aliases: v, ..Default::default() };
            prop_assert_eq!(l.validate().is_ok(), v <= Resource::Aliases.max_limit());
        }
    }
}
