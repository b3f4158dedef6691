//! Member databases as Konbit models them, before MariaDB or PostgreSQL
//! sees them: the engine, a name prefixed by the account's name, extra
//! users and their rights, and the passwords they log in with.
//!
//! MariaDB and PostgreSQL take no bound parameters in `CREATE USER`,
//! `GRANT` and friends, so the provisioner writes names into that SQL.
//! Every name here matches `^[a-z][a-z0-9_]{0,31}$` (checked again when
//! read back from the store), and passwords refuse quotes, backslashes,
//! whitespace and anything outside printable ASCII: nothing a person
//! types can end a literal or an identifier.

use crate::error::{FieldError, Rule};
use crate::names::AccountName;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which server holds a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbEngine {
    Mariadb,
    Postgresql,
}

impl DbEngine {
    pub const ALL: [DbEngine; 2] = [DbEngine::Mariadb, DbEngine::Postgresql];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mariadb => "mariadb",
            Self::Postgresql => "postgresql",
        }
    }

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "mariadb" | "mysql" => Ok(Self::Mariadb),
            "postgresql" | "postgres" | "pg" => Ok(Self::Postgresql),
            "" => Err(FieldError::new(field, Rule::Required)),
            _ => Err(FieldError::new(field, Rule::UnknownChoice)),
        }
    }

    /// The name people know it by.
    pub fn label(self) -> &'static str {
        match self {
            Self::Mariadb => "MariaDB",
            Self::Postgresql => "PostgreSQL",
        }
    }
}

impl fmt::Display for DbEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A database or database user name: `<account>_<suffix>`, where the
/// account's hyphens become underscores; lowercase letters, digits and
/// `_`, starting with a letter, at most 32 characters (MariaDB's limit for
/// user names; PostgreSQL's is 63).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(transparent)]
pub struct DbName(String);

impl DbName {
    pub const MAX: usize = 32;

    /// The prefix every name of `account` starts with.
    pub fn prefix(account: &AccountName) -> String {
        format!("{}_", account.as_str().replace('-', "_"))
    }

    /// `<prefix><suffix>`; the suffix is what the member typed.
    pub fn for_account(
        field: &'static str,
        account: &AccountName,
        suffix: &str,
    ) -> Result<Self, FieldError> {
        let suffix = suffix.trim();
        if suffix.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if suffix.chars().any(char::is_control) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let prefix = Self::prefix(account);
        let room = Self::MAX.saturating_sub(prefix.len());
        if suffix.len() > room {
            return Err(FieldError::new(field, Rule::TooLong { max: room }));
        }
        let ok = suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(FieldError::new(field, Rule::DbNameFormat));
        }
        Self::parse_existing(&format!("{prefix}{suffix}"))
            .map_err(|_| FieldError::new(field, Rule::DbNameFormat))
    }

    /// A name read back from the store, checked again before it goes into
    /// SQL.
    pub fn parse_existing(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a database name Konbit makes"))
        }
    }

    /// The part after the account's prefix.
    pub fn suffix<'a>(&'a self, account: &AccountName) -> &'a str {
        self.0
            .strip_prefix(&Self::prefix(account))
            .unwrap_or(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DbName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a database user may do in its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbRight {
    /// The database's own user: everything inside it, including its
    /// schema.
    Owner,
    /// Read and write rows, no schema change.
    ReadWrite,
    ReadOnly,
}

impl DbRight {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::ReadWrite => "read_write",
            Self::ReadOnly => "read_only",
        }
    }

    /// The rights a member may give an extra user.
    pub fn parse_extra(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "read_write" | "rw" => Ok(Self::ReadWrite),
            "read_only" | "ro" => Ok(Self::ReadOnly),
            "" => Err(FieldError::new(field, Rule::Required)),
            _ => Err(FieldError::new(field, Rule::UnknownChoice)),
        }
    }

    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "read_write" => Some(Self::ReadWrite),
            "read_only" => Some(Self::ReadOnly),
            _ => None,
        }
    }
}

/// A password a service (a database, SFTP) checks: 12 to 128 printable
/// ASCII characters without quotes, backslash, backtick or whitespace.
#[derive(Clone, PartialEq, Eq)]
pub struct ServicePassword(String);

impl fmt::Debug for ServicePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServicePassword(<redacted>)")
    }
}

impl ServicePassword {
    pub const MIN: usize = 12;
    pub const MAX: usize = 128;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let unsafe_char = |c: char| !c.is_ascii_graphic() || matches!(c, '\'' | '"' | '\\' | '`');
        if raw.chars().any(unsafe_char) {
            return Err(FieldError::new(field, Rule::UnsafeCharacter));
        }
        if raw.len() < Self::MIN {
            return Err(FieldError::new(field, Rule::TooShort { min: Self::MIN }));
        }
        if raw.len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn account(name: &str) -> AccountName {
        AccountName::parse("name", name).unwrap()
    }

    #[test]
    fn names_are_prefixed_and_hyphens_become_underscores() {
        let a = account("my-radio");
        let n = DbName::for_account("name", &a, "wp").unwrap();
        assert_eq!(n.as_str(), "my_radio_wp");
        assert_eq!(n.suffix(&a), "wp");
        for bad in ["w-p", "W", "a b", "a'b", "a\"b", "a;b", "a`b", "é", "a\\b"] {
            assert_eq!(
                DbName::for_account("name", &a, bad).unwrap_err().rule,
                Rule::DbNameFormat,
                "{bad:?}"
            );
        }
        assert_eq!(
            DbName::for_account("name", &a, "a\0b").unwrap_err().rule,
            Rule::ControlCharacter
        );
        assert_eq!(
            DbName::for_account("name", &a, &"x".repeat(30))
                .unwrap_err()
                .rule,
            Rule::TooLong { max: 23 }
        );
    }

    #[test]
    fn passwords_refuse_what_could_end_a_literal() {
        assert!(ServicePassword::parse("password", "Correct-Horse-9").is_ok());
        for (bad, rule) in [
            ("short", Rule::TooShort { min: 12 }),
            ("with'quote-long", Rule::UnsafeCharacter),
            ("with\"quote-long", Rule::UnsafeCharacter),
            ("back\\slash-long", Rule::UnsafeCharacter),
            ("with space-long", Rule::UnsafeCharacter),
            ("accenté-long-long", Rule::UnsafeCharacter),
            ("new\nline-long-long", Rule::ControlCharacter),
            ("nul\0-long-long-long", Rule::ControlCharacter),
        ] {
            assert_eq!(
                ServicePassword::parse("password", bad).unwrap_err().rule,
                rule,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn engines_and_rights() {
        assert_eq!(
            DbEngine::parse("engine", "PostgreSQL").unwrap(),
            DbEngine::Postgresql
        );
        assert_eq!(
            DbEngine::parse("engine", "oracle").unwrap_err().rule,
            Rule::UnknownChoice
        );
        assert_eq!(
            DbRight::parse_extra("right", "owner").unwrap_err().rule,
            Rule::UnknownChoice
        );
        for r in [DbRight::Owner, DbRight::ReadWrite, DbRight::ReadOnly] {
            assert_eq!(DbRight::from_stored(r.as_str()), Some(r));
        }
    }

    proptest! {
        #[test]
        fn whatever_is_accepted_is_a_plain_sql_identifier(suffix in "\\PC{0,40}") {
            if let Ok(n) = DbName::for_account("name", &account("radio"), &suffix) {
                prop_assert!(n.as_str().len() <= DbName::MAX);
                prop_assert!(n.as_str().starts_with("radio_"));
                prop_assert!(n.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
                prop_assert!(DbName::parse_existing(n.as_str()).is_ok());
            }
        }

        #[test]
        fn whatever_password_is_accepted_has_no_quote_or_space(raw in "\\PC{0,140}") {
            if let Ok(p) = ServicePassword::parse("password", &raw) {
                prop_assert!(p.expose().bytes().all(|b| (0x21..0x7f).contains(&b)));
                prop_assert!(!p.expose().contains(['\'', '"', '\\', '`']));
            }
        }
    }
}
