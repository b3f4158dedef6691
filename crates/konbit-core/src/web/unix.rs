//! The Unix user an account's files, PHP and SFTP run as.

use crate::error::{FieldError, Rule};
use crate::model::AccountId;
use crate::names::AccountName;
use serde::Serialize;
use std::fmt;

/// A Unix login for an account: the operator's prefix (such as `kb-`) and
/// the account's name. Account names are already lowercase letters, digits
/// and single hyphens of at most 32 characters, so the login is a valid
/// Debian user name (`useradd`'s default pattern) once the whole stays
/// within 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct UnixLogin(String);

impl UnixLogin {
    pub const MAX: usize = 32;
    /// Account names are at least 3 characters; a prefix over this would
    /// leave no room for long names.
    pub const MAX_PREFIX: usize = 8;

    /// Checks an operator's prefix: empty, or lowercase letters, digits and
    /// `-`/`_`, starting with a letter, at most 8 characters.
    pub fn check_prefix(field: &'static str, prefix: &str) -> Result<(), FieldError> {
        if prefix.len() > Self::MAX_PREFIX {
            return Err(FieldError::new(
                field,
                Rule::TooLong {
                    max: Self::MAX_PREFIX,
                },
            ));
        }
        let ok = prefix.is_empty()
            || (prefix.as_bytes()[0].is_ascii_lowercase()
                && prefix.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                }));
        if ok {
            Ok(())
        } else {
            Err(FieldError::new(field, Rule::SlugFormat))
        }
    }

    /// The login of `account`. When prefix and name exceed 32 characters the
    /// name is cut and the account id appended, which keeps logins unique.
    pub fn for_account(
        prefix: &str,
        id: AccountId,
        name: &AccountName,
    ) -> Result<Self, FieldError> {
        Self::check_prefix("unix_prefix", prefix)?;
        let full = format!("{prefix}{name}");
        if full.len() <= Self::MAX {
            return Ok(Self(full));
        }
        let suffix = format!("-{}", id.0);
        let room = Self::MAX.saturating_sub(suffix.len());
        let mut cut: String = full.chars().take(room).collect();
        while cut.ends_with('-') {
            cut.pop();
        }
        Ok(Self(format!("{cut}{suffix}")))
    }

    /// The uid of `account`: `base + id`, so it is known without asking the
    /// system and never reused by another account.
    pub fn uid(base: u32, id: AccountId) -> Option<u32> {
        u32::try_from(id.0).ok().and_then(|id| base.checked_add(id))
    }

    /// A login read back from the system (`/etc/passwd`), checked to be one
    /// Konbit could have made, before it goes into a file or a command.
    pub fn parse_existing(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a login Konbit makes"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnixLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_fit_debian_rules() {
        let name = AccountName::parse("name", "radio-libre").unwrap();
        let l = UnixLogin::for_account("kb-", AccountId(7), &name).unwrap();
        assert_eq!(l.as_str(), "kb-radio-libre");
        let long = AccountName::parse("name", "a-very-long-account-name-of-32ch").unwrap();
        let l = UnixLogin::for_account("konbit-", AccountId(12345), &long).unwrap();
        assert!(l.as_str().len() <= 32, "{l}");
        assert!(l.as_str().ends_with("-12345"));
        assert!(!l.as_str().contains("--"));
        assert!(UnixLogin::for_account("Kb ", AccountId(1), &name).is_err());
        assert!(UnixLogin::for_account("9kb", AccountId(1), &name).is_err());
    }

    #[test]
    fn uids_are_base_plus_id() {
        assert_eq!(UnixLogin::uid(20000, AccountId(5)), Some(20005));
        assert_eq!(UnixLogin::uid(u32::MAX, AccountId(5)), None);
        assert_eq!(UnixLogin::uid(20000, AccountId(-1)), None);
    }
}
