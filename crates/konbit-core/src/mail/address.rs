//! Hosted mail addresses, alias sources (with the catch-all) and forward
//! destinations.

use crate::error::{FieldError, Rule};
use crate::names::{EmailAddress, Fqdn};
use serde::{Serialize, Serializer};
use std::fmt;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// The part before `@` of a hosted address (a mailbox or an alias), as
/// Konbit accepts it: lowercase ASCII letters, digits and `.` `_` `-` `+`,
/// 1 to 64 octets, no dot at either end and no two dots in a row. Input is
/// case-folded to lowercase.
///
/// Everything else is refused, in particular control characters, spaces,
/// quotes, `%` (Postfix's percent hack and Dovecot's `%` variables), `/` and
/// `\` (Dovecot builds mail directory paths from it), `@`, and non-ASCII
/// letters (SMTPUTF8 local parts are not supported).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalPart(String);

impl LocalPart {
    pub const MAX: usize = 64;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if has_control(raw) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if s.len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        let s = s.to_ascii_lowercase();
        let ok = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-+".contains(&b))
            && !s.starts_with('.')
            && !s.ends_with('.')
            && !s.contains("..");
        if !ok {
            return Err(FieldError::new(field, Rule::LocalPartFormat));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LocalPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for LocalPart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An address of a domain Konbit hosts: a [`LocalPart`] `@` an [`Fqdn`].
/// The domain may be typed in Unicode (IDN) and is kept in punycode; the
/// local part stays ASCII. At most 254 octets in all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailAddress {
    local: LocalPart,
    domain: Fqdn,
}

impl MailAddress {
    pub const MAX: usize = 254;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if has_control(raw) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| FieldError::new(field, Rule::EmailFormat))?;
        if local.is_empty() {
            return Err(FieldError::new(field, Rule::EmailFormat));
        }
        let local = LocalPart::parse(field, local)?;
        let domain = Fqdn::parse(field, domain, 2)?;
        Self::new(field, local, domain)
    }

    /// Puts an address together from parts already validated; only the
    /// total length can still be wrong.
    pub fn new(field: &'static str, local: LocalPart, domain: Fqdn) -> Result<Self, FieldError> {
        if local.as_str().len() + 1 + domain.as_str().len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        Ok(Self { local, domain })
    }

    pub fn local(&self) -> &LocalPart {
        &self.local
    }

    pub fn domain(&self) -> &Fqdn {
        &self.domain
    }

    /// The address as a person reads it (the domain in Unicode).
    pub fn to_unicode(&self) -> String {
        format!("{}@{}", self.local, self.domain.to_unicode())
    }

    /// The catch-all of this address's domain.
    pub fn catch_all(&self) -> AliasSource {
        AliasSource::CatchAll(self.domain.clone())
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

impl Serialize for MailAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What an alias receives mail for.
///
/// A catch-all is its own variant, not a [`MailAddress`] with a special
/// local part: no local part can stand for "everything", so a catch-all can
/// never be mistaken for, or collide with, a real address. It is written
/// `@domain` (Postfix's own key syntax); `*@domain` is accepted as input.
/// A catch-all only receives mail for addresses of its domain that are
/// neither a mailbox nor another alias (see [`super::postfix_alias_map`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AliasSource {
    Address(MailAddress),
    CatchAll(Fqdn),
}

impl AliasSource {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if has_control(raw) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let s = raw.trim();
        if let Some(domain) = s.strip_prefix("*@").or_else(|| s.strip_prefix('@')) {
            if domain.contains('@') {
                return Err(FieldError::new(field, Rule::EmailFormat));
            }
            return Ok(Self::CatchAll(Fqdn::parse(field, domain, 2)?));
        }
        MailAddress::parse(field, s).map(Self::Address)
    }

    pub fn catch_all(domain: Fqdn) -> Self {
        Self::CatchAll(domain)
    }

    pub fn domain(&self) -> &Fqdn {
        match self {
            Self::Address(a) => a.domain(),
            Self::CatchAll(d) => d,
        }
    }

    pub fn is_catch_all(&self) -> bool {
        matches!(self, Self::CatchAll(_))
    }

    /// The key of this alias in a Postfix `virtual_alias_maps` table:
    /// `local@domain`, or `@domain` for a catch-all.
    pub fn postfix_key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for AliasSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address(a) => a.fmt(f),
            Self::CatchAll(d) => write!(f, "@{d}"),
        }
    }
}

impl Serialize for AliasSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Where an alias (or later, a mailbox's forward) sends mail: an address of
/// a domain hosted here, held to the strict [`MailAddress`] rules, or any
/// other valid address ([`EmailAddress`]), except that `%` and `!` are
/// refused there too: mail servers may read them as source routing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Destination {
    Local(MailAddress),
    External(EmailAddress),
}

impl Destination {
    /// `is_hosted` tells whether a domain is hosted by this Konbit (by any
    /// account): such destinations are `Local`.
    pub fn parse(
        field: &'static str,
        raw: &str,
        is_hosted: impl Fn(&Fqdn) -> bool,
    ) -> Result<Self, FieldError> {
        if has_control(raw) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let email = EmailAddress::parse(field, raw)?;
        let (local, domain) = email
            .as_str()
            .rsplit_once('@')
            .ok_or_else(|| FieldError::new(field, Rule::EmailFormat))?;
        if local.contains(['%', '!']) {
            return Err(FieldError::new(field, Rule::MailRoutingCharacter));
        }
        let domain = Fqdn::parse(field, domain, 2)?;
        if is_hosted(&domain) {
            let local = LocalPart::parse(field, local)?;
            return MailAddress::new(field, local, domain).map(Self::Local);
        }
        Ok(Self::External(email))
    }

    /// The address, as Postfix and people read it.
    pub fn address(&self) -> String {
        self.to_string()
    }

    pub fn as_local(&self) -> Option<&MailAddress> {
        match self {
            Self::Local(a) => Some(a),
            Self::External(_) => None,
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(a) => a.fmt(f),
            Self::External(e) => e.fmt(f),
        }
    }
}

impl Serialize for Destination {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hosted(d: &Fqdn) -> bool {
        d.as_str() == "example.org" || d.as_str() == "xn--caf-dma.example"
    }

    #[test]
    fn local_parts() {
        for ok in ["ada", "Ada.Lovelace", "a_b-c+d", "0", "x.y.z", " bob "] {
            assert!(LocalPart::parse("local_part", ok).is_ok(), "{ok:?}");
        }
        assert_eq!(
            LocalPart::parse("local_part", "Ada.Lovelace")
                .unwrap()
                .as_str(),
            "ada.lovelace"
        );
        let rule = |s: &str| LocalPart::parse("local_part", s).unwrap_err().rule;
        for bad in [
            ".ada", "ada.", "a..b", "a b", "a%b", "a/b", "a\\b", "a@b", "\"a\"", "a'b", "é", "a,b",
            "a;b", "a*b",
        ] {
            assert_eq!(rule(bad), Rule::LocalPartFormat, "{bad:?}");
        }
        assert_eq!(rule(""), Rule::Required);
        assert_eq!(rule("   "), Rule::Required);
        assert_eq!(rule("a\nb"), Rule::ControlCharacter);
        assert_eq!(rule("ada\n"), Rule::ControlCharacter);
        assert_eq!(rule("a\0"), Rule::ControlCharacter);
        assert!(LocalPart::parse("local_part", &"a".repeat(64)).is_ok());
        assert_eq!(rule(&"a".repeat(65)), Rule::TooLong { max: 64 });
    }

    #[test]
    fn mail_addresses() {
        let a = MailAddress::parse("address", "Ada@Example.ORG").unwrap();
        assert_eq!(a.to_string(), "ada@example.org");
        assert_eq!(a.local().as_str(), "ada");
        assert_eq!(a.domain().as_str(), "example.org");
        let idn = MailAddress::parse("address", "marie@Café.example").unwrap();
        assert_eq!(idn.to_string(), "marie@xn--caf-dma.example");
        let rule = |s: &str| MailAddress::parse("address", s).unwrap_err().rule;
        assert_eq!(rule("no-at"), Rule::EmailFormat);
        assert_eq!(rule("@example.org"), Rule::EmailFormat);
        assert_eq!(rule("a%b@example.org"), Rule::LocalPartFormat);
        assert_eq!(rule("a@b@example.org"), Rule::LocalPartFormat);
        assert_eq!(rule("marié@example.org"), Rule::LocalPartFormat);
        assert_eq!(rule("a@example.org\n"), Rule::ControlCharacter);
        assert_eq!(rule("a\r\n@example.org"), Rule::ControlCharacter);
        assert_eq!(rule("a@localhost"), Rule::HostnameFormat);
        assert_eq!(rule("a@exa%mple.org"), Rule::HostnameFormat);
        assert_eq!(rule(""), Rule::Required);
        let long = format!(
            "{}@{}.{}.{}.eeeeeeeeee.org",
            "a".repeat(64),
            "b".repeat(60),
            "c".repeat(60),
            "d".repeat(60)
        );
        assert_eq!(rule(&long), Rule::TooLong { max: 254 });
    }

    #[test]
    fn alias_sources_and_catch_all() {
        let c = AliasSource::parse("source", "@Café.example").unwrap();
        assert!(c.is_catch_all());
        assert_eq!(c.postfix_key(), "@xn--caf-dma.example");
        assert_eq!(AliasSource::parse("source", "*@café.example").unwrap(), c);
        let a = MailAddress::parse("address", "x@café.example").unwrap();
        assert_eq!(a.catch_all(), c);
        assert_eq!(
            AliasSource::catch_all(a.domain().clone()).domain().as_str(),
            "xn--caf-dma.example"
        );
        let s = AliasSource::parse("source", "info@example.org").unwrap();
        assert_eq!(s.postfix_key(), "info@example.org");
        assert!(AliasSource::parse("source", "@a@example.org").is_err());
        assert!(AliasSource::parse("source", "@").is_err());
        assert!(AliasSource::parse("source", "@example.org\n").is_err());
        assert!(AliasSource::parse("source", "%@example.org").is_err());
    }

    #[test]
    fn destinations() {
        let d = Destination::parse("destination", "Ada@Example.org", hosted).unwrap();
        assert_eq!(
            d,
            Destination::Local(MailAddress::parse("a", "ada@example.org").unwrap())
        );
        let idn = Destination::parse("destination", "ada@café.example", hosted).unwrap();
        assert!(idn.as_local().is_some());
        let e = Destination::parse("destination", "someone{x}@gmail.com", hosted).unwrap();
        assert_eq!(e.address(), "someone{x}@gmail.com");
        assert!(e.as_local().is_none());
        let rule = |s: &str| {
            Destination::parse("destination", s, hosted)
                .unwrap_err()
                .rule
        };
        // Hosted destinations follow the strict local-part rules.
        assert_eq!(rule("a{x}@example.org"), Rule::LocalPartFormat);
        assert_eq!(rule("a%b@gmail.com"), Rule::MailRoutingCharacter);
        assert_eq!(rule("host!a@gmail.com"), Rule::MailRoutingCharacter);
        assert_eq!(rule("a@gmail.com\n"), Rule::ControlCharacter);
        assert_eq!(rule("a b@gmail.com"), Rule::EmailFormat);
        assert_eq!(rule("a,b@gmail.com"), Rule::EmailFormat);
    }

    proptest! {
        #[test]
        fn local_part_output_is_safe(s in "\\PC{0,80}|.{0,80}") {
            if let Ok(l) = LocalPart::parse("local_part", &s) {
                let v = l.as_str();
                prop_assert!(!v.is_empty() && v.len() <= LocalPart::MAX);
                prop_assert!(v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-+".contains(&b)));
                prop_assert!(!s.contains('%') && !s.contains('\n'));
            }
        }

        #[test]
        fn address_parsers_never_panic(s in "\\PC{0,300}|.{0,100}|[a-z%@.\n*]{0,30}") {
            if let Ok(a) = MailAddress::parse("address", &s) {
                let v = a.to_string();
                prop_assert!(v.len() <= MailAddress::MAX);
                prop_assert_eq!(v.matches('@').count(), 1);
                prop_assert!(!v.contains('%') && !v.chars().any(char::is_control));
                prop_assert_eq!(MailAddress::parse("address", &v), Ok(a));
            }
            if let Ok(src) = AliasSource::parse("source", &s) {
                prop_assert_eq!(AliasSource::parse("source", &src.postfix_key()), Ok(src));
            }
            if let Ok(d) = Destination::parse("destination", &s, hosted) {
                let v = d.address();
                prop_assert!(!v.contains(['%', '!', ',', ' ', '"', '\\']));
                prop_assert!(!v.chars().any(char::is_control));
            }
        }

        #[test]
        fn generated_addresses_are_accepted(local in "[a-z0-9]([a-z0-9_+-]{0,10}\\.?[a-z0-9]){0,3}", host in "[a-z][a-z0-9]{0,10}\\.[a-z]{2,6}") {
            let addr = format!("{local}@{host}");
            prop_assert!(MailAddress::parse("address", &addr).is_ok(), "{}", addr);
        }
    }
}
