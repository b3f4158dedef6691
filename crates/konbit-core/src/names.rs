//! Validated newtypes. Each can only be built through `parse`, so a value that
//! reaches the store, a config file or a command line has passed its rules:
//! no control characters, no shell or config metacharacters where they could
//! matter, and bounded lengths.

use crate::error::{FieldError, Rule};
use serde::{Serialize, Serializer};
use std::fmt;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A lock reason is shown to the account's people; keep it a sentence.
pub const MAX_LOCK_REASON_CHARS: usize = 500;

/// Free text people write for others to read (a lock reason, a note): at
/// most `max` characters once trimmed, lines allowed, no other control
/// character. Empty is allowed; `check_text` is the required kind.
pub fn check_note(field: &'static str, text: &str, max: usize) -> Result<(), FieldError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(FieldError::new(field, Rule::TooLong { max }));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(field, Rule::ControlCharacter));
    }
    Ok(())
}

/// Like [`check_note`], and not empty (a title, a proposal, a comment).
pub fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), FieldError> {
    if text.trim().is_empty() {
        return Err(FieldError::new(field, Rule::Required));
    }
    check_note(field, text, max)
}

fn check_length(field: &'static str, s: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let n = s.chars().count();
    if n == 0 && min > 0 {
        return Err(FieldError::new(field, Rule::Required));
    }
    if n < min {
        return Err(FieldError::new(field, Rule::TooShort { min }));
    }
    if n > max {
        return Err(FieldError::new(field, Rule::TooLong { max }));
    }
    Ok(())
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// The short, stable handle of an account (a member group): lowercase ASCII
/// letters, digits and single hyphens, 3 to 32 characters. Later it names Unix
/// users and database prefixes, so it is as strict as they need.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountName(String);
string_newtype!(AccountName);

/// Names that would confuse people or collide with system users.
const RESERVED_ACCOUNT_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "konbit",
    "postmaster",
    "hostmaster",
    "webmaster",
    "abuse",
    "www",
    "mail",
    "ftp",
    "sftp",
    "api",
    "system",
    "daemon",
    "nobody",
    "operator",
];

impl AccountName {
    pub const MIN: usize = 3;
    pub const MAX: usize = 32;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        check_length(field, s, Self::MIN, Self::MAX)?;
        let bytes = s.as_bytes();
        let ok_chars = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        let starts_with_letter = bytes.first().is_some_and(u8::is_ascii_lowercase);
        let ends_ok = bytes.last().is_some_and(|b| *b != b'-');
        if !ok_chars || !starts_with_letter || !ends_ok || s.contains("--") {
            return Err(FieldError::new(field, Rule::SlugFormat));
        }
        if RESERVED_ACCOUNT_NAMES.contains(&s) {
            return Err(FieldError::new(field, Rule::Reserved));
        }
        Ok(Self(s.to_owned()))
    }
}

/// A human label (an account's or a person's full name): 1 to 100 characters,
/// trimmed, without control characters such as newlines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayName(String);
string_newtype!(DisplayName);

impl DisplayName {
    pub const MAX: usize = 100;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        check_length(field, s, 1, Self::MAX)?;
        if has_control(s) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        Ok(Self(s.to_owned()))
    }
}

/// A fully qualified host name, stored in ASCII (punycode for IDN), lowercase,
/// without the trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fqdn(String);
string_newtype!(Fqdn);

impl Fqdn {
    pub const MAX: usize = 253;
    pub const MAX_LABEL: usize = 63;

    /// Accepts Unicode (IDN) or ASCII input. `min_labels` is 2 for a host that
    /// must sit under a public suffix, such as an e-mail domain.
    pub fn parse(field: &'static str, raw: &str, min_labels: usize) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
        if trimmed.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if has_control(trimmed) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let ascii = idna::domain_to_ascii(trimmed)
            .map_err(|_| FieldError::new(field, Rule::HostnameFormat))?;
        if ascii.len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        let labels: Vec<&str> = ascii.split('.').collect();
        if labels.len() < min_labels {
            return Err(FieldError::new(field, Rule::HostnameFormat));
        }
        for label in &labels {
            let b = label.as_bytes();
            let valid = !b.is_empty()
                && b.len() <= Self::MAX_LABEL
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-';
            if !valid {
                return Err(FieldError::new(field, Rule::HostnameFormat));
            }
        }
        // A top-level label made only of digits would make the name look like
        // an IPv4 address.
        if labels
            .last()
            .is_some_and(|l| l.bytes().all(|c| c.is_ascii_digit()))
        {
            return Err(FieldError::new(field, Rule::HostnameFormat));
        }
        Ok(Self(ascii))
    }

    /// A literal this crate knows to be valid (defaults), unchecked.
    pub(crate) fn from_literal(s: &'static str) -> Self {
        Self(s.to_owned())
    }

    /// The name as a person reads it: Unicode for IDN labels.
    pub fn to_unicode(&self) -> String {
        let (s, res) = idna::domain_to_unicode(&self.0);
        if res.is_ok() { s } else { self.0.clone() }
    }
}

/// An e-mail address used to sign in and to reach a person. The domain is
/// stored in ASCII; the whole address is lowercased, since sign-in must not
/// depend on how someone typed their address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);
string_newtype!(EmailAddress);

impl EmailAddress {
    pub const MAX: usize = 254;
    pub const MAX_LOCAL: usize = 64;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if has_control(s) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| FieldError::new(field, Rule::EmailFormat))?;
        let local = local.to_ascii_lowercase();
        let local_ok = !local.is_empty()
            && local.len() <= Self::MAX_LOCAL
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".!#%&'*+-/=?^_`{|}~".contains(&c));
        if !local_ok {
            return Err(FieldError::new(field, Rule::EmailFormat));
        }
        let domain =
            Fqdn::parse(field, domain, 2).map_err(|_| FieldError::new(field, Rule::EmailFormat))?;
        let address = format!("{local}@{domain}");
        if address.len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        Ok(Self(address))
    }
}

/// A password as typed by a person. It never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    pub const MIN: usize = 12;
    /// Argon2 cost grows with input; a bound keeps a sign-in request cheap.
    pub const MAX: usize = 256;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        check_length(field, raw, Self::MIN, Self::MAX)?;
        if raw.chars().any(|c| c.is_control()) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A short label such as a quota profile's or a token's name: 1 to 64
/// characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label(String);
string_newtype!(Label);

impl Label {
    pub const MAX: usize = 64;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        check_length(field, s, 1, Self::MAX)?;
        if has_control(s) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        Ok(Self(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_keep_their_lines_and_texts_are_required() {
        assert_eq!(check_note("reason", "", 10), Ok(()));
        assert_eq!(check_note("reason", "two\nlines", 10), Ok(()));
        assert_eq!(
            check_note("reason", "tab\there", 10),
            Err(FieldError::new("reason", Rule::ControlCharacter))
        );
        assert_eq!(
            check_note("reason", "  eleven chars  ", 10),
            Err(FieldError::new("reason", Rule::TooLong { max: 10 }))
        );
        assert_eq!(
            check_text("title", "   ", 10),
            Err(FieldError::new("title", Rule::Required))
        );
        assert_eq!(check_text("title", " ten chars ", 10), Ok(()));
    }
    use proptest::prelude::*;

    const FORBIDDEN: &[char] = &[
        '\n', '\r', '\0', ';', '{', '}', '"', '\'', '$', ' ', '/', '\\', '`',
    ];

    #[test]
    fn account_names() {
        assert!(AccountName::parse("name", "radio-cibl").is_ok());
        assert!(AccountName::parse("name", " tenants2 ").is_ok());
        for bad in [
            "ab", "Radio", "1radio", "radio-", "ra--dio", "radio_x", "root", "a.b.c", "",
        ] {
            assert!(
                AccountName::parse("name", bad).is_err(),
                "{bad} must be refused"
            );
        }
        assert_eq!(
            AccountName::parse("name", "x").unwrap_err().rule,
            Rule::TooShort { min: 3 }
        );
    }

    #[test]
    fn emails() {
        let e = EmailAddress::parse("email", "Ada@Example.ORG").unwrap();
        assert_eq!(e.as_str(), "ada@example.org");
        let idn = EmailAddress::parse("email", "marie@café.example").unwrap();
        assert_eq!(idn.as_str(), "marie@xn--caf-dma.example");
        for bad in [
            "",
            "no-at",
            "a@b",
            "a@@b.org",
            ".a@b.org",
            "a..b@c.org",
            "a b@c.org",
            "a@-b.org",
            "a\n@b.org",
        ] {
            assert!(
                EmailAddress::parse("email", bad).is_err(),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn fqdn_idn_round_trip() {
        let f = Fqdn::parse("domain", "Café.Example.", 2).unwrap();
        assert_eq!(f.as_str(), "xn--caf-dma.example");
        assert_eq!(f.to_unicode(), "café.example");
        assert!(Fqdn::parse("domain", "1.2.3.4", 2).is_err());
        assert!(Fqdn::parse("domain", &format!("{}.org", "a".repeat(64)), 2).is_err());
    }

    #[test]
    fn passwords_are_bounded_and_redacted() {
        assert!(Password::parse("password", "short").is_err());
        assert!(Password::parse("password", &"x".repeat(257)).is_err());
        let p = Password::parse("password", "correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    proptest! {
        #[test]
        fn account_name_accepts_only_safe_slugs(s in "\\PC{0,40}") {
            if let Ok(n) = AccountName::parse("name", &s) {
                let v = n.as_str();
                prop_assert!(v.len() >= 3 && v.len() <= 32);
                prop_assert!(v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
                prop_assert!(!v.contains("--") && !v.ends_with('-'));
            }
        }

        #[test]
        fn generated_slugs_are_accepted(s in "[a-z][a-z0-9]{2,20}(-[a-z0-9]{1,5})?") {
            prop_assume!(!RESERVED_ACCOUNT_NAMES.contains(&s.as_str()));
            prop_assert!(AccountName::parse("name", &s).is_ok());
        }

        #[test]
        fn display_name_never_holds_control_chars(s in "\\PC{0,120}|.{0,120}") {
            if let Ok(n) = DisplayName::parse("display_name", &s) {
                prop_assert!(!n.as_str().chars().any(char::is_control));
                prop_assert!(n.as_str().chars().count() <= DisplayName::MAX);
                prop_assert!(!n.as_str().is_empty());
            }
        }

        #[test]
        fn fqdn_output_is_plain_ascii(s in "\\PC{0,80}") {
            if let Ok(f) = Fqdn::parse("domain", &s, 1) {
                let v = f.as_str();
                prop_assert!(v.len() <= Fqdn::MAX);
                prop_assert!(v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
                prop_assert!(!FORBIDDEN.iter().any(|c| v.contains(*c)));
                prop_assert!(v.split('.').all(|l| !l.is_empty() && l.len() <= Fqdn::MAX_LABEL));
            }
        }

        #[test]
        // A hyphen pair in the third and fourth places ("xn--") marks an
        // IDNA label, which must then be valid punycode; plain host names
        // keep their hyphens apart.
        fn fqdn_accepts_generated_hosts(s in "[a-z][a-z0-9]{0,10}(\\.[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,5}){0,2}){1,3}") {
            prop_assert!(Fqdn::parse("domain", &s, 2).is_ok());
        }

        #[test]
        fn email_output_has_no_metacharacters(s in "\\PC{0,80}") {
            if let Ok(e) = EmailAddress::parse("email", &s) {
                let v = e.as_str();
                prop_assert!(v.len() <= EmailAddress::MAX);
                prop_assert_eq!(v.matches('@').count(), 1);
                prop_assert!(!v.chars().any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '\\' || c == ';'));
                prop_assert_eq!(v.to_ascii_lowercase(), v);
            }
        }

        #[test]
        fn email_accepts_generated_addresses(local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", host in "[a-z][a-z0-9]{0,10}\\.[a-z]{2,6}") {
            prop_assume!(!local.contains(".."));
            let addr = format!("{local}@{host}");
            prop_assert!(EmailAddress::parse("email", &addr).is_ok(), "{}", addr);
        }

        #[test]
        fn password_bounds(s in "\\PC{0,300}") {
            let n = s.chars().count();
            let ok = Password::parse("password", &s).is_ok();
            prop_assert_eq!(ok, (Password::MIN..=Password::MAX).contains(&n));
        }

        #[test]
        fn label_never_holds_control_chars(s in ".{0,80}") {
            if let Ok(l) = Label::parse("name", &s) {
                prop_assert!(!l.as_str().chars().any(char::is_control));
                prop_assert!(l.as_str().chars().count() <= Label::MAX);
            }
        }
    }
}
