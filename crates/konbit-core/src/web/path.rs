//! The directory a site serves, relative to its account's home.

use crate::error::{FieldError, Rule};
use serde::Serialize;
use std::fmt;

/// A relative path inside the account's home, such as `www/radio.test`:
/// 1 to 8 components of ASCII letters, digits, `.`, `_` and `-`, none of
/// them `.`, `..` or starting with a dot, joined by single `/`. So it can
/// neither leave the home nor hide in a dot-directory, and it is safe to
/// write unquoted into nginx's `root` and PHP's `open_basedir`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DocRoot(String);

impl DocRoot {
    pub const MAX: usize = 200;
    pub const MAX_COMPONENTS: usize = 8;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().trim_matches('/');
        if s.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        if s.len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() > Self::MAX_COMPONENTS {
            return Err(FieldError::new(field, Rule::PathFormat));
        }
        for part in &parts {
            let ok = !part.is_empty()
                && !part.starts_with('.')
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !ok {
                return Err(FieldError::new(field, Rule::PathFormat));
            }
        }
        Ok(Self(parts.join("/")))
    }

    /// The default for a new site: `www/<host>`.
    pub fn for_host(host: &crate::names::Fqdn) -> Self {
        Self(format!("www/{host}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_relative_paths() {
        assert_eq!(
            DocRoot::parse("root", "www/radio.test").unwrap().as_str(),
            "www/radio.test"
        );
        assert_eq!(
            DocRoot::parse("root", "/blog/public/").unwrap().as_str(),
            "blog/public"
        );
    }

    #[test]
    fn refuses_escapes_and_config_characters() {
        for bad in [
            "..",
            "www/../..",
            "./www",
            ".ssh",
            "www/.git",
            "a//b",
            "a b",
            "a;b",
            "a{b",
            "a}b",
            "a\"b",
            "a'b",
            "a$b",
            "a\nb",
            "a\\b",
            "é",
            "a/b/c/d/e/f/g/h/i",
        ] {
            let err = DocRoot::parse("root", bad).unwrap_err();
            assert_eq!(err.field, "root", "{bad:?}");
            assert!(
                matches!(err.rule, Rule::PathFormat | Rule::ControlCharacter),
                "{bad:?}: {:?}",
                err.rule
            );
        }
        assert_eq!(
            DocRoot::parse("root", " / ").unwrap_err().rule,
            Rule::Required
        );
    }
}
