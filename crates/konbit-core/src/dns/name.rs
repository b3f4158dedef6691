//! Owner names (relative to their zone) and targets (absolute host names).

use crate::error::{FieldError, Rule};
use crate::names::Fqdn;
use serde::{Serialize, Serializer};
use std::fmt;
use std::net::IpAddr;

/// The longest absolute name, in octets, without the trailing dot.
pub(crate) const MAX_NAME: usize = 253;
/// The longest label, in octets.
pub(crate) const MAX_LABEL: usize = 63;
/// Longer input is refused before any work is done on it: even Unicode that
/// punycode shortens never needs more.
const MAX_NAME_INPUT: usize = 1024;

/// Characters no field may hold: control characters (newline, CR, NUL,
/// tab…), the Unicode line and paragraph separators, and the invisible
/// bidirectional overrides that make text read differently from what it
/// is.
pub(crate) fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

pub(crate) fn has_forbidden(s: &str) -> bool {
    s.chars().any(is_forbidden_char)
}

/// Characters that would end a token or start a comment in a zone file or a
/// config: refused outside TXT and CAA text.
pub(crate) fn is_unsafe_char(c: char) -> bool {
    matches!(c, '"' | '\'' | ';' | '\\' | ' ' | '(' | ')')
}

/// Why a dotted name's labels are not acceptable.
enum LabelError {
    Format,
    TooLong,
}

/// Which characters the labels of a name may use.
#[derive(Clone, Copy)]
struct LabelRules {
    /// `_dmarc`, `_sip._tcp`, DKIM CNAME targets.
    underscore: bool,
    /// `*` as the whole leftmost label.
    wildcard: bool,
}

fn check_labels(name: &str, rules: LabelRules) -> Result<(), LabelError> {
    for (i, label) in name.split('.').enumerate() {
        if label.is_empty() {
            return Err(LabelError::Format);
        }
        if label.len() > MAX_LABEL {
            return Err(LabelError::TooLong);
        }
        if label == "*" {
            if rules.wildcard && i == 0 {
                continue;
            }
            return Err(LabelError::Format);
        }
        let b = label.as_bytes();
        let chars_ok = b.iter().all(|c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || *c == b'-'
                || (rules.underscore && *c == b'_')
        });
        if !chars_ok || b.first() == Some(&b'-') || b.last() == Some(&b'-') {
            return Err(LabelError::Format);
        }
    }
    Ok(())
}

/// Lowercase ASCII for a name typed in any case, IDN labels as punycode.
/// `None` when the IDNA rules refuse it (bad punycode, disallowed code
/// points).
fn to_ascii(s: &str) -> Option<String> {
    idna::domain_to_ascii(s).ok()
}

/// The name of a record, relative to its zone, in lowercase ASCII; `""` for
/// the zone's apex. Labels hold letters, digits, hyphens and underscores
/// (`_dmarc`, `_sip._tcp`); a wildcard `*` may stand as the whole leftmost
/// label. IDN labels are stored as punycode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OwnerName(String);

impl OwnerName {
    /// The zone's apex.
    pub fn apex() -> Self {
        Self(String::new())
    }

    /// Reads an owner name typed for `zone`: `@` or nothing for the apex, a
    /// name relative to the zone (`www`, `_dmarc`, `*.dev`), or a full name
    /// ending with the zone (`www.example.org`, with or without the final
    /// dot), which is made relative.
    ///
    /// A name with a final dot is absolute and must be in the zone. A name
    /// without one that does not end with the zone is relative to it, as in
    /// a zone file; it may not end with the zone's name once more
    /// (`www.example.org.example.org`), which is always a slip and could not
    /// be told apart from `www` when read back.
    pub fn parse(field: &'static str, zone: &Fqdn, raw: &str) -> Result<Self, FieldError> {
        let err = |rule| FieldError::new(field, rule);
        if has_forbidden(raw) {
            return Err(err(Rule::ControlCharacter));
        }
        let s = raw.trim_matches(' ');
        if s.is_empty() || s == "@" {
            return Ok(Self::apex());
        }
        if s.len() > MAX_NAME_INPUT {
            return Err(err(Rule::TooLong { max: MAX_NAME }));
        }
        if s.chars().any(is_unsafe_char) {
            return Err(err(Rule::UnsafeCharacter));
        }
        let (body, absolute) = match s.strip_suffix('.') {
            Some(body) => (body, true),
            None => (s, false),
        };
        if body.is_empty() {
            return Err(err(Rule::DnsName));
        }
        let ascii = to_ascii(body)
            .filter(|a| !a.split('.').any(str::is_empty))
            .ok_or_else(|| err(Rule::DnsName))?;
        let zone = zone.as_str();
        let relative = if ascii == zone {
            ""
        } else if let Some(prefix) = ascii.strip_suffix(zone).and_then(|p| p.strip_suffix('.')) {
            prefix
        } else if absolute {
            return Err(err(Rule::NameOutsideZone));
        } else {
            ascii.as_str()
        };
        if relative.is_empty() {
            return Ok(Self::apex());
        }
        if relative == zone
            || relative
                .strip_suffix(zone)
                .is_some_and(|p| p.ends_with('.'))
        {
            return Err(err(Rule::ZoneNameTwice));
        }
        let rules = LabelRules {
            underscore: true,
            wildcard: true,
        };
        check_labels(relative, rules).map_err(|e| match e {
            LabelError::Format => err(Rule::DnsName),
            LabelError::TooLong => err(Rule::DnsLabelTooLong { max: MAX_LABEL }),
        })?;
        if relative.len() + 1 + zone.len() > MAX_NAME {
            return Err(err(Rule::TooLong { max: MAX_NAME }));
        }
        Ok(Self(relative.to_owned()))
    }

    /// The name relative to the zone; `""` for the apex.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_apex(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the leftmost label is the wildcard `*`.
    pub fn is_wildcard(&self) -> bool {
        self.0 == "*" || self.0.starts_with("*.")
    }

    /// The full name in `zone`, without the trailing dot.
    pub fn absolute(&self, zone: &Fqdn) -> String {
        if self.is_apex() {
            zone.as_str().to_owned()
        } else {
            format!("{}.{}", self.0, zone.as_str())
        }
    }

    /// The name as a zone file or the panel writes it: `@` for the apex.
    pub fn display(&self) -> &str {
        if self.is_apex() { "@" } else { &self.0 }
    }

    /// The labels from the rightmost (closest to the apex) to the leftmost:
    /// the order in which names sort as a tree.
    pub fn labels_from_apex(&self) -> impl Iterator<Item = &str> {
        let labels = if self.is_apex() {
            None
        } else {
            Some(self.0.rsplit('.'))
        };
        labels.into_iter().flatten()
    }

    /// The names strictly between this one and the apex, nearest first:
    /// `a.b.c` gives `b.c`, then `c`.
    pub(crate) fn ancestors(&self) -> impl Iterator<Item = &str> {
        let s = self.0.as_str();
        s.match_indices('.').map(move |(i, _)| &s[i + 1..])
    }

    /// An SRV owner: `_service._proto`, optionally followed by more labels.
    pub(crate) fn is_srv_name(&self) -> bool {
        let mut labels = self.0.split('.');
        let service = labels.next().unwrap_or_default();
        let proto = labels.next().unwrap_or_default();
        service.len() > 1 && service.starts_with('_') && proto.len() > 1 && proto.starts_with('_')
    }
}

impl fmt::Display for OwnerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

impl Serialize for OwnerName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An absolute host name that a record points to (CNAME, NS, MX exchange,
/// SRV target), in lowercase ASCII without the trailing dot; or `.`, the
/// "null" target, where the RFCs give it a meaning: MX preference 0 `.` (RFC
/// 7505 null MX: this domain accepts no mail) and SRV `.` (RFC 2782: the
/// service is decidedly not available here).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target(String);

/// How a target field is read.
#[derive(Clone, Copy)]
pub(crate) struct TargetRules {
    /// CNAME targets may hold underscores (`s1._domainkey.mail.example`).
    pub underscore: bool,
    /// `.` is accepted.
    pub null: bool,
}

impl Target {
    /// Reads a target typed for a record of `zone`. It is always absolute:
    /// the final dot may be left out, `@` stands for the zone itself, and
    /// IDN becomes punycode. A single-label name is refused (it is nearly
    /// always a relative name that was meant to end with the zone), except
    /// the zone's own name.
    pub(crate) fn parse(
        field: &'static str,
        zone: &Fqdn,
        raw: &str,
        rules: TargetRules,
    ) -> Result<Self, FieldError> {
        let err = |rule| FieldError::new(field, rule);
        if has_forbidden(raw) {
            return Err(err(Rule::ControlCharacter));
        }
        let s = raw.trim_matches(' ');
        if s.is_empty() {
            return Err(err(Rule::Required));
        }
        if s.len() > MAX_NAME_INPUT {
            return Err(err(Rule::TooLong { max: MAX_NAME }));
        }
        if s.chars().any(is_unsafe_char) {
            return Err(err(Rule::UnsafeCharacter));
        }
        if s == "." {
            return if rules.null {
                Ok(Self::null())
            } else {
                Err(err(Rule::NullTargetNotAllowed))
            };
        }
        if s == "@" {
            return Ok(Self(zone.as_str().to_owned()));
        }
        let body = s.strip_suffix('.').unwrap_or(s);
        let unbracketed = body
            .strip_prefix('[')
            .and_then(|b| b.strip_suffix(']'))
            .unwrap_or(body);
        if unbracketed.parse::<IpAddr>().is_ok() {
            return Err(err(Rule::TargetIsIp));
        }
        let ascii = to_ascii(body).ok_or_else(|| err(Rule::TargetFormat))?;
        if ascii.len() > MAX_NAME {
            return Err(err(Rule::TooLong { max: MAX_NAME }));
        }
        let label_rules = LabelRules {
            underscore: rules.underscore,
            wildcard: false,
        };
        check_labels(&ascii, label_rules).map_err(|e| match e {
            LabelError::Format => err(Rule::TargetFormat),
            LabelError::TooLong => err(Rule::DnsLabelTooLong { max: MAX_LABEL }),
        })?;
        if !ascii.contains('.') && ascii != zone.as_str() {
            return Err(err(Rule::TargetFormat));
        }
        // A numeric top-level label reads as an IP address (`10.0.0`).
        if ascii
            .rsplit('.')
            .next()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(err(Rule::TargetFormat));
        }
        Ok(Self(ascii))
    }

    fn null() -> Self {
        Self(".".to_owned())
    }

    /// The name without the trailing dot, or `.` for the null target.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the null target `.`.
    pub fn is_null(&self) -> bool {
        self.0 == "."
    }

    /// The name as a zone file writes it: with the trailing dot.
    pub fn zone_file_name(&self) -> String {
        if self.is_null() {
            ".".to_owned()
        } else {
            format!("{}.", self.0)
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Fqdn {
        Fqdn::parse("domain", "example.org", 2).unwrap()
    }

    fn owner(raw: &str) -> Result<String, Rule> {
        OwnerName::parse("name", &zone(), raw)
            .map(|n| n.as_str().to_owned())
            .map_err(|e| e.rule)
    }

    fn host(raw: &str) -> Result<String, Rule> {
        let rules = TargetRules {
            underscore: false,
            null: false,
        };
        Target::parse("value", &zone(), raw, rules)
            .map(|t| t.as_str().to_owned())
            .map_err(|e| e.rule)
    }

    #[test]
    fn owner_names() {
        for (raw, want) in [
            ("@", ""),
            ("", ""),
            ("  ", ""),
            ("www", "www"),
            ("WWW", "www"),
            (" www ", "www"),
            ("_dmarc", "_dmarc"),
            ("_sip._tcp", "_sip._tcp"),
            ("*", "*"),
            ("*.dev", "*.dev"),
            ("www.example.org", "www"),
            ("www.example.org.", "www"),
            ("WWW.Example.ORG.", "www"),
            ("example.org", ""),
            ("example.org.", ""),
            ("*.example.org.", "*"),
            ("a.b.c", "a.b.c"),
            ("café", "xn--caf-dma"),
            ("café.example.org.", "xn--caf-dma"),
            ("xn--caf-dma", "xn--caf-dma"),
            ("123", "123"),
            // Not the zone: relative, as in a zone file.
            ("www.example.com", "www.example.com"),
            ("wwwexample.org", "wwwexample.org"),
        ] {
            assert_eq!(owner(raw).as_deref(), Ok(want), "{raw:?}");
        }
    }

    #[test]
    fn owner_names_refused() {
        for (raw, rule) in [
            ("www.example.com.", Rule::NameOutsideZone),
            ("org.", Rule::NameOutsideZone),
            ("www.example.org.example.org", Rule::ZoneNameTwice),
            ("example.org.example.org.", Rule::ZoneNameTwice),
            ("www\n", Rule::ControlCharacter),
            ("w\tw", Rule::ControlCharacter),
            ("w\0", Rule::ControlCharacter),
            ("a\u{202e}b", Rule::ControlCharacter),
            ("w w", Rule::UnsafeCharacter),
            ("w;w", Rule::UnsafeCharacter),
            ("w\"", Rule::UnsafeCharacter),
            ("w\\.", Rule::UnsafeCharacter),
            ("a..b", Rule::DnsName),
            (".", Rule::DnsName),
            ("..", Rule::DnsName),
            (".www", Rule::DnsName),
            ("www..", Rule::DnsName),
            ("a.*", Rule::DnsName),
            ("*a", Rule::DnsName),
            ("**", Rule::DnsName),
            ("-www", Rule::DnsName),
            ("www-", Rule::DnsName),
            ("w@w", Rule::DnsName),
            ("w/w", Rule::DnsName),
            ("xn--zz", Rule::DnsName),
            (&"a".repeat(64), Rule::DnsLabelTooLong { max: 63 }),
            (&"a".repeat(2000), Rule::TooLong { max: 253 }),
        ] {
            assert_eq!(owner(raw), Err(rule), "{raw:?}");
        }
        assert_eq!(owner(&"a".repeat(63)).map(|s| s.len()), Ok(63));
        // 253 octets in all, with the zone: 241 + 1 + 11.
        let long = [
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(49),
        ]
        .join(".");
        assert_eq!(long.len() + 1 + "example.org".len(), 253);
        assert!(owner(&long).is_ok());
        assert_eq!(owner(&format!("a.{long}")), Err(Rule::TooLong { max: 253 }));
    }

    #[test]
    fn owner_helpers() {
        let z = zone();
        let apex = OwnerName::parse("name", &z, "@").unwrap();
        assert!(apex.is_apex());
        assert_eq!(apex.display(), "@");
        assert_eq!(apex.absolute(&z), "example.org");
        assert_eq!(apex.labels_from_apex().count(), 0);
        let n = OwnerName::parse("name", &z, "a.b.c").unwrap();
        assert_eq!(n.absolute(&z), "a.b.c.example.org");
        assert_eq!(n.display(), "a.b.c");
        assert_eq!(n.labels_from_apex().collect::<Vec<_>>(), ["c", "b", "a"]);
        assert_eq!(n.ancestors().collect::<Vec<_>>(), ["b.c", "c"]);
        assert!(OwnerName::parse("name", &z, "*.dev").unwrap().is_wildcard());
        assert!(!n.is_wildcard());
        assert!(
            OwnerName::parse("name", &z, "_sip._tcp")
                .unwrap()
                .is_srv_name()
        );
        assert!(
            OwnerName::parse("name", &z, "_sip._udp.voip")
                .unwrap()
                .is_srv_name()
        );
        assert!(
            !OwnerName::parse("name", &z, "sip._tcp")
                .unwrap()
                .is_srv_name()
        );
        assert!(!OwnerName::parse("name", &z, "_sip").unwrap().is_srv_name());
        assert!(
            !OwnerName::parse("name", &z, "_._tcp")
                .unwrap()
                .is_srv_name()
        );
    }

    #[test]
    fn targets() {
        for (raw, want) in [
            ("mail.example.org", "mail.example.org"),
            ("mail.example.org.", "mail.example.org"),
            ("Mail.Example.NET", "mail.example.net"),
            ("@", "example.org"),
            ("example.org", "example.org"),
            ("mx.café.example", "mx.xn--caf-dma.example"),
            ("a-b.c0.example", "a-b.c0.example"),
        ] {
            assert_eq!(host(raw).as_deref(), Ok(want), "{raw:?}");
        }
        for (raw, rule) in [
            ("", Rule::Required),
            ("192.0.2.1", Rule::TargetIsIp),
            ("192.0.2.1.", Rule::TargetIsIp),
            ("2001:db8::1", Rule::TargetIsIp),
            ("[2001:db8::1]", Rule::TargetIsIp),
            ("10.0.0", Rule::TargetFormat),
            ("mail", Rule::TargetFormat),
            ("mail.", Rule::TargetFormat),
            ("_dkim.example.org", Rule::TargetFormat),
            ("*.example.org", Rule::TargetFormat),
            ("a..example.org", Rule::TargetFormat),
            ("-a.example.org", Rule::TargetFormat),
            (".", Rule::NullTargetNotAllowed),
            ("mail example.org", Rule::UnsafeCharacter),
            ("mail\r.example.org", Rule::ControlCharacter),
            (
                &format!("{}.org", "a".repeat(64)),
                Rule::DnsLabelTooLong { max: 63 },
            ),
        ] {
            assert_eq!(host(raw), Err(rule), "{raw:?}");
        }
        let cname = TargetRules {
            underscore: true,
            null: false,
        };
        let t = Target::parse("value", &zone(), "s1._domainkey.mail.example", cname).unwrap();
        assert_eq!(t.as_str(), "s1._domainkey.mail.example");
        assert_eq!(t.zone_file_name(), "s1._domainkey.mail.example.");
        let null = TargetRules {
            underscore: false,
            null: true,
        };
        let t = Target::parse("value", &zone(), ".", null).unwrap();
        assert!(t.is_null());
        assert_eq!(t.zone_file_name(), ".");
    }
}
