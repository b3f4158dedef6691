//! One DNS record: its type, what a person typed for it, and its validated
//! form with the ways Konbit writes it out.

use super::name::{OwnerName, Target, TargetRules, has_forbidden, is_unsafe_char};
use super::text::{self, push_escaped};
use crate::error::{FieldError, Rule};
use crate::names::Fqdn;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The shortest TTL Konbit accepts, in seconds: shorter ones mostly load
/// the servers and are ignored by many resolvers anyway.
pub const TTL_MIN: u32 = 60;
/// The longest TTL, one week.
pub const TTL_MAX: u32 = 604_800;
/// The TTL of a record typed without one.
pub const TTL_DEFAULT: u32 = 3600;

/// Longer values are refused before they are read (TXT has its own bound).
const MAX_VALUE_INPUT: usize = 1024;
/// The longest CAA value, in bytes: an issuer's domain with its parameters,
/// or an iodef URL.
const CAA_VALUE_MAX: usize = 255;
/// The longest CAA tag (RFC 8659 §4.1).
const CAA_TAG_MAX: usize = 15;

/// The record types Konbit serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
    Srv,
    Caa,
    Ns,
}

impl RecordType {
    pub const ALL: [RecordType; 8] = [
        Self::A,
        Self::Aaaa,
        Self::Cname,
        Self::Mx,
        Self::Txt,
        Self::Srv,
        Self::Caa,
        Self::Ns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::Aaaa => "AAAA",
            Self::Cname => "CNAME",
            Self::Mx => "MX",
            Self::Txt => "TXT",
            Self::Srv => "SRV",
            Self::Caa => "CAA",
            Self::Ns => "NS",
        }
    }

    /// The type named `s`, in any case.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a person or an API client typed for one record. In JSON the type
/// is `type` (`rtype` is accepted too).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecordInput {
    pub name: String,
    #[serde(rename = "type", alias = "rtype")]
    pub rtype: String,
    #[serde(default)]
    pub ttl: Option<i64>,
    pub value: String,
}

/// A validated record of one zone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    pub name: OwnerName,
    pub ttl: u32,
    pub data: RecordData,
}

impl Record {
    pub fn rtype(&self) -> RecordType {
        self.data.rtype()
    }

    /// The record as typed: reading it back with `parse_record` gives the
    /// same record.
    pub fn to_input(&self) -> RecordInput {
        RecordInput {
            name: self.name.as_str().to_owned(),
            rtype: self.rtype().as_str().to_owned(),
            ttl: Some(i64::from(self.ttl)),
            value: self.data.value(),
        }
    }
}

/// The data of a record, by type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(Target),
    Ns(Target),
    Mx {
        preference: u16,
        exchange: Target,
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Target,
    },
    /// The character-strings, each at most 255 bytes; long text is cut on
    /// character boundaries, so each is valid UTF-8.
    Txt(Vec<String>),
    /// `flags` is 0 or 128, `tag` lowercase letters and digits, `value`
    /// printable ASCII without `"` or `\`.
    Caa {
        flags: u8,
        tag: String,
        value: String,
    },
}

impl RecordData {
    pub fn rtype(&self) -> RecordType {
        match self {
            Self::A(_) => RecordType::A,
            Self::Aaaa(_) => RecordType::Aaaa,
            Self::Cname(_) => RecordType::Cname,
            Self::Ns(_) => RecordType::Ns,
            Self::Mx { .. } => RecordType::Mx,
            Self::Srv { .. } => RecordType::Srv,
            Self::Txt(_) => RecordType::Txt,
            Self::Caa { .. } => RecordType::Caa,
        }
    }

    /// What a person sees and types back in the "value" field; it reads
    /// back through `parse_record` as the same data. A `192.0.2.1`; MX
    /// `10 mail.example.org`; SRV `10 5 5060 sip.example.org`; CAA
    /// `0 issue "letsencrypt.org"`; CNAME and NS `host.example.org`; TXT the
    /// plain text, its strings put together — or, when reading the plain
    /// text back would not give the same strings (text cut elsewhere than
    /// every 255 bytes, text that starts with a quote), the quoted form
    /// `"abc" "def"`.
    pub fn value(&self) -> String {
        match self {
            Self::A(ip) => ip.to_string(),
            Self::Aaaa(ip) => ip.to_string(),
            Self::Cname(t) | Self::Ns(t) => t.as_str().to_owned(),
            Self::Mx {
                preference,
                exchange,
            } => format!("{preference} {exchange}"),
            Self::Srv {
                priority,
                weight,
                port,
                target,
            } => format!("{priority} {weight} {port} {target}"),
            Self::Txt(chunks) => text::display_value(chunks),
            Self::Caa { .. } => self.caa_presentation(),
        }
    }

    /// The PowerDNS generic-SQL (`gsqlite3`) columns for this data:
    /// `(content, prio)`.
    ///
    /// For MX and SRV the priority goes to the `prio` column and `content`
    /// holds the rest: MX `("mail.example.org", 10)`, SRV
    /// `("5 5060 sip.example.org", 10)` (weight, port, target). PowerDNS
    /// 4.x reads these two types back as `prio + " " + content` and, when
    /// it writes such records itself (zone transfers into the database), it
    /// splits the leading number off into `prio` the same way. Checked in
    /// the PowerDNS sources, tag `auth-4.7.0`:
    /// `pdns/backends/gsql/gsqlbackend.cc`, `GSQLBackend::get` (the
    /// `QType::MX || QType::SRV` branch that prefixes `row[2]`, the `prio`
    /// column of `SELECT content,ttl,prio,…` declared in
    /// `modules/gsqlite3backend/gsqlite3backend.cc`) and
    /// `GSQLBackend::feedRecord`. Every other type has its whole data in
    /// `content` and `prio` 0, as `feedRecord` stores it.
    ///
    /// Names are absolute without the trailing dot, PowerDNS's SQL
    /// convention (the null target stays `.`). TXT is its quoted strings
    /// with `"` and `\` escaped and every byte outside printable ASCII as a
    /// `\DDD` decimal escape; CAA is `0 issue "letsencrypt.org"`.
    pub fn pdns_content(&self) -> (String, i64) {
        match self {
            Self::Mx {
                preference,
                exchange,
            } => (exchange.as_str().to_owned(), i64::from(*preference)),
            Self::Srv {
                priority,
                weight,
                port,
                target,
            } => (format!("{weight} {port} {target}"), i64::from(*priority)),
            Self::Txt(chunks) => (text::presentation(chunks), 0),
            Self::Caa { .. } => (self.caa_presentation(), 0),
            Self::A(_) | Self::Aaaa(_) | Self::Cname(_) | Self::Ns(_) => (self.value(), 0),
        }
    }

    /// The RDATA in zone-file presentation syntax: absolute names with
    /// their trailing dot, TXT escaped as in `pdns_content`.
    pub fn zone_file_rdata(&self) -> String {
        match self {
            Self::A(_) | Self::Aaaa(_) => self.value(),
            Self::Cname(t) | Self::Ns(t) => t.zone_file_name(),
            Self::Mx {
                preference,
                exchange,
            } => format!("{preference} {}", exchange.zone_file_name()),
            Self::Srv {
                priority,
                weight,
                port,
                target,
            } => format!("{priority} {weight} {port} {}", target.zone_file_name()),
            Self::Txt(chunks) => text::presentation(chunks),
            Self::Caa { .. } => self.caa_presentation(),
        }
    }

    /// `flags tag "value"`, escaped although a parsed value never needs it
    /// (the fields are public: data built by hand stays safe to write).
    fn caa_presentation(&self) -> String {
        match self {
            Self::Caa { flags, tag, value } => {
                let mut out = format!("{flags} ");
                push_escaped(&mut out, tag);
                out.push_str(" \"");
                push_escaped(&mut out, value);
                out.push('"');
                out
            }
            _ => String::new(),
        }
    }
}

/// Validates one record of `zone`. Every field is checked, and each broken
/// rule is one error naming its field: `name`, `type`, `ttl` or `value`.
pub fn parse_record(zone: &Fqdn, input: &RecordInput) -> Result<Record, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = OwnerName::parse("name", zone, &input.name)
        .map_err(|e| errors.push(e))
        .ok();
    let rtype = parse_type(&input.rtype)
        .map_err(|rule| errors.push(FieldError::new("type", rule)))
        .ok();
    let ttl = parse_ttl(input.ttl)
        .map_err(|rule| errors.push(FieldError::new("ttl", rule)))
        .ok();
    let data = rtype.and_then(|t| {
        parse_value(zone, t, &input.value)
            .map_err(|rule| errors.push(FieldError::new("value", rule)))
            .ok()
    });
    if let (Some(name), Some(t)) = (&name, rtype) {
        if t == RecordType::Cname && name.is_apex() {
            errors.push(FieldError::new("name", Rule::CnameAtApex));
        }
        if t == RecordType::Srv && !name.is_srv_name() {
            errors.push(FieldError::new("name", Rule::SrvName));
        }
    }
    match (name, ttl, data) {
        (Some(name), Some(ttl), Some(data)) if errors.is_empty() => Ok(Record { name, ttl, data }),
        _ => Err(errors),
    }
}

fn parse_type(raw: &str) -> Result<RecordType, Rule> {
    if has_forbidden(raw) {
        return Err(Rule::ControlCharacter);
    }
    let s = raw.trim_matches(' ');
    if s.is_empty() {
        return Err(Rule::Required);
    }
    if let Some(t) = RecordType::parse(s) {
        return Ok(t);
    }
    if looks_like_type(s) {
        Err(Rule::UnsupportedType {
            rtype: s.to_ascii_uppercase(),
        })
    } else {
        Err(Rule::UnknownChoice)
    }
}

/// A type mnemonic (`PTR`, `NSEC3PARAM`, `TYPE65`): a letter, then letters,
/// digits or hyphens, 20 at most.
pub(crate) fn looks_like_type(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 20
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

fn parse_ttl(ttl: Option<i64>) -> Result<u32, Rule> {
    let Some(ttl) = ttl else {
        return Ok(TTL_DEFAULT);
    };
    u32::try_from(ttl)
        .ok()
        .filter(|t| (TTL_MIN..=TTL_MAX).contains(t))
        .ok_or(Rule::OutOfRange {
            min: u64::from(TTL_MIN),
            max: u64::from(TTL_MAX),
        })
}

fn parse_value(zone: &Fqdn, rtype: RecordType, raw: &str) -> Result<RecordData, Rule> {
    if rtype == RecordType::Txt {
        return text::parse_txt(raw).map(RecordData::Txt);
    }
    if has_forbidden(raw) {
        return Err(Rule::ControlCharacter);
    }
    if raw.len() > MAX_VALUE_INPUT {
        return Err(Rule::TooLong {
            max: MAX_VALUE_INPUT,
        });
    }
    let s = raw.trim_matches(' ');
    if s.is_empty() {
        return Err(Rule::Required);
    }
    let host = TargetRules {
        underscore: false,
        null: false,
    };
    let target = |s: &str, rules| Target::parse("value", zone, s, rules).map_err(|e| e.rule);
    match rtype {
        RecordType::A => parse_ipv4(s).map(RecordData::A),
        RecordType::Aaaa => parse_ipv6(s).map(RecordData::Aaaa),
        RecordType::Cname => target(
            s,
            TargetRules {
                underscore: true,
                null: false,
            },
        )
        .map(RecordData::Cname),
        RecordType::Ns => target(s, host).map(RecordData::Ns),
        RecordType::Mx => {
            let parts = words(s)?;
            let [preference, exchange] = parts.as_slice() else {
                return Err(Rule::MxFormat);
            };
            let preference = parse_u16(preference, Rule::MxFormat)?;
            let exchange = target(
                exchange,
                TargetRules {
                    underscore: false,
                    null: preference == 0,
                },
            )?;
            Ok(RecordData::Mx {
                preference,
                exchange,
            })
        }
        RecordType::Srv => {
            let parts = words(s)?;
            let [priority, weight, port, srv_target] = parts.as_slice() else {
                return Err(Rule::SrvFormat);
            };
            Ok(RecordData::Srv {
                priority: parse_u16(priority, Rule::SrvFormat)?,
                weight: parse_u16(weight, Rule::SrvFormat)?,
                port: parse_u16(port, Rule::SrvFormat)?,
                target: target(
                    srv_target,
                    TargetRules {
                        underscore: false,
                        null: true,
                    },
                )?,
            })
        }
        RecordType::Caa => parse_caa(s),
        RecordType::Txt => Err(Rule::TxtFormat),
    }
}

/// The space-separated words of an MX or SRV value; a quote, semicolon or
/// backslash in them is refused.
fn words(s: &str) -> Result<Vec<&str>, Rule> {
    let parts: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
    if parts.iter().any(|w| w.chars().any(is_unsafe_char)) {
        return Err(Rule::UnsafeCharacter);
    }
    Ok(parts)
}

/// A number from 0 to 65535; other digits are out of range, anything else
/// is the type's format error.
fn parse_u16(s: &str, format: Rule) -> Result<u16, Rule> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format);
    }
    s.parse::<u16>().map_err(|_| Rule::OutOfRange {
        min: 0,
        max: u64::from(u16::MAX),
    })
}

fn parse_ipv4(s: &str) -> Result<Ipv4Addr, Rule> {
    if s.chars().any(is_unsafe_char) {
        return Err(Rule::UnsafeCharacter);
    }
    if let Ok(ip) = s.parse::<Ipv4Addr>() {
        return Ok(ip);
    }
    if s.parse::<Ipv6Addr>().is_ok() {
        return Err(Rule::Ipv6NeedsAaaa);
    }
    Err(Rule::Ipv4Format)
}

fn parse_ipv6(s: &str) -> Result<Ipv6Addr, Rule> {
    if s.chars().any(is_unsafe_char) {
        return Err(Rule::UnsafeCharacter);
    }
    if let Ok(ip) = s.parse::<Ipv6Addr>() {
        return Ok(ip);
    }
    if s.parse::<Ipv4Addr>().is_ok() {
        return Err(Rule::Ipv4NeedsA);
    }
    Err(Rule::Ipv6Format)
}

/// `flags tag value` (RFC 8659): flags 0 or 128 (the issuer-critical bit,
/// the only one defined); the tag any RFC 8659 tag — 1 to 15 ASCII letters
/// and digits, stored lowercase — so that `issue`, `issuewild`, `iodef` and
/// newer ones (`issuemail`, RFC 9495) all work; the value with or without
/// double quotes, printable ASCII without `"` or `\`, at most 255 bytes,
/// and for `iodef` a `mailto:`, `https:` or `http:` URL (RFC 8659 §4.4).
fn parse_caa(s: &str) -> Result<RecordData, Rule> {
    let (flags, rest) = s.split_once(' ').ok_or(Rule::CaaFormat)?;
    let (tag, value) = rest
        .trim_start_matches(' ')
        .split_once(' ')
        .unwrap_or((rest, ""));
    let tag = tag.trim_matches(' ');
    if tag.is_empty() {
        return Err(Rule::CaaFormat);
    }
    if flags.chars().any(is_unsafe_char) {
        return Err(Rule::UnsafeCharacter);
    }
    if flags.is_empty() || !flags.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Rule::CaaFormat);
    }
    let flags = match flags.parse::<u16>() {
        Ok(0) => 0,
        Ok(128) => 128,
        _ => return Err(Rule::CaaFlags),
    };
    if tag.len() > CAA_TAG_MAX || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Rule::CaaTag);
    }
    let tag = tag.to_ascii_lowercase();
    let value = value.trim_matches(' ');
    let value = match value.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"').ok_or(Rule::CaaValue)?,
        None => value,
    };
    if !value
        .bytes()
        .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    {
        return Err(Rule::CaaValue);
    }
    if value.len() > CAA_VALUE_MAX {
        return Err(Rule::TooLong { max: CAA_VALUE_MAX });
    }
    if tag == "iodef"
        && !["mailto:", "https://", "http://"]
            .iter()
            .any(|p| value.len() > p.len() && value[..p.len()].eq_ignore_ascii_case(p))
    {
        return Err(Rule::CaaValue);
    }
    Ok(RecordData::Caa {
        flags,
        tag,
        value: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn zone() -> Fqdn {
        Fqdn::parse("domain", "example.org", 2).unwrap()
    }

    fn input(name: &str, rtype: &str, value: &str) -> RecordInput {
        RecordInput {
            name: name.into(),
            rtype: rtype.into(),
            ttl: None,
            value: value.into(),
        }
    }

    fn ok(name: &str, rtype: &str, value: &str) -> Record {
        match parse_record(&zone(), &input(name, rtype, value)) {
            Ok(r) => r,
            Err(e) => panic!("{name} {rtype} {value}: {e:?}"),
        }
    }

    /// The one error for `value`, or a panic.
    fn refused(name: &str, rtype: &str, value: &str) -> FieldError {
        match parse_record(&zone(), &input(name, rtype, value)) {
            Ok(r) => panic!("{name} {rtype} {value:?} accepted as {r:?}"),
            Err(e) => {
                assert_eq!(e.len(), 1, "{e:?}");
                e[0].clone()
            }
        }
    }

    fn value_rule(rtype: &str, value: &str) -> Rule {
        let e = refused("x", rtype, value);
        assert_eq!(e.field, "value");
        e.rule
    }

    fn target(s: &str) -> Target {
        Target::parse(
            "value",
            &zone(),
            s,
            TargetRules {
                underscore: true,
                null: true,
            },
        )
        .unwrap()
    }

    /// Value → parse → same record, and the PowerDNS content is clean.
    fn round_trips(r: &Record) {
        let back = parse_record(&zone(), &r.to_input());
        assert_eq!(back.as_ref(), Ok(r), "{:?}", r.to_input());
        let display_name = RecordInput {
            name: r.name.display().to_owned(),
            ..r.to_input()
        };
        assert_eq!(parse_record(&zone(), &display_name).as_ref(), Ok(r));
        let absolute = RecordInput {
            name: format!("{}.", r.name.absolute(&zone())),
            ..r.to_input()
        };
        assert_eq!(parse_record(&zone(), &absolute).as_ref(), Ok(r));
    }

    #[test]
    fn record_types() {
        assert_eq!(RecordType::parse("aaaa"), Some(RecordType::Aaaa));
        assert_eq!(RecordType::parse("Cname"), Some(RecordType::Cname));
        assert_eq!(RecordType::parse("PTR"), None);
        assert_eq!(RecordType::parse(" A"), None);
        for t in RecordType::ALL {
            assert_eq!(RecordType::parse(t.as_str()), Some(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<RecordType>(&json).unwrap(), t);
        }
        let i: RecordInput =
            serde_json::from_str(r#"{"name":"www","type":"A","value":"192.0.2.1"}"#).unwrap();
        assert_eq!(i.rtype, "A");
        assert_eq!(i.ttl, None);
    }

    #[test]
    fn a_and_aaaa() {
        let r = ok("www", "A", "192.0.2.1");
        assert_eq!(r.data, RecordData::A(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(r.ttl, TTL_DEFAULT);
        assert_eq!(r.name.as_str(), "www");
        assert_eq!(r.rtype(), RecordType::A);
        assert_eq!(r.data.value(), "192.0.2.1");
        assert_eq!(r.data.pdns_content(), ("192.0.2.1".into(), 0));
        assert_eq!(r.data.zone_file_rdata(), "192.0.2.1");
        round_trips(&r);
        let r = ok("@", "aaaa", " 2001:DB8:0:0::1 ");
        assert_eq!(r.data.value(), "2001:db8::1");
        assert_eq!(r.data.pdns_content(), ("2001:db8::1".into(), 0));
        round_trips(&r);
        assert_eq!(value_rule("A", "2001:db8::1"), Rule::Ipv6NeedsAaaa);
        assert_eq!(value_rule("AAAA", "192.0.2.1"), Rule::Ipv4NeedsA);
        assert_eq!(value_rule("A", "192.0.2"), Rule::Ipv4Format);
        assert_eq!(value_rule("A", "192.0.2.256"), Rule::Ipv4Format);
        assert_eq!(value_rule("A", "www.example.org"), Rule::Ipv4Format);
        assert_eq!(value_rule("AAAA", "2001:db8::g"), Rule::Ipv6Format);
        assert_eq!(value_rule("AAAA", "fe80::1%eth0"), Rule::Ipv6Format);
        assert_eq!(
            value_rule("A", "192.0.2.1 192.0.2.2"),
            Rule::UnsafeCharacter
        );
        assert_eq!(value_rule("A", "192.0.2.1;"), Rule::UnsafeCharacter);
        assert_eq!(value_rule("A", "192.0.2.1\n"), Rule::ControlCharacter);
        assert_eq!(value_rule("A", ""), Rule::Required);
        assert_eq!(
            value_rule("A", &"1".repeat(2000)),
            Rule::TooLong {
                max: MAX_VALUE_INPUT
            }
        );
    }

    #[test]
    fn cname_and_ns() {
        let r = ok("www", "CNAME", "web.example.net.");
        assert_eq!(r.data, RecordData::Cname(target("web.example.net")));
        assert_eq!(r.data.value(), "web.example.net");
        assert_eq!(r.data.pdns_content(), ("web.example.net".into(), 0));
        assert_eq!(r.data.zone_file_rdata(), "web.example.net.");
        round_trips(&r);
        // DKIM delegations point at names with underscores.
        let r = ok(
            "s1._domainkey",
            "CNAME",
            "s1.domainkey.u123.wl.sendgrid.net",
        );
        round_trips(&r);
        let r = ok("sel._domainkey", "CNAME", "sel._domainkey.provider.example");
        round_trips(&r);
        let r = ok("www", "CNAME", "@");
        assert_eq!(r.data.value(), "example.org");
        round_trips(&r);
        let r = ok("@", "NS", "ns1.konbit.coop");
        assert_eq!(r.data.zone_file_rdata(), "ns1.konbit.coop.");
        round_trips(&r);
        let r = ok("dev", "NS", "ns.hébergeur.example");
        assert_eq!(r.data.value(), "ns.xn--hbergeur-b1a.example");
        round_trips(&r);
        let e = refused("@", "CNAME", "web.example.net");
        assert_eq!((e.field, e.rule), ("name", Rule::CnameAtApex));
        assert_eq!(value_rule("CNAME", "192.0.2.1"), Rule::TargetIsIp);
        assert_eq!(value_rule("NS", "192.0.2.1"), Rule::TargetIsIp);
        assert_eq!(value_rule("NS", "2001:db8::53"), Rule::TargetIsIp);
        assert_eq!(value_rule("NS", "ns1"), Rule::TargetFormat);
        assert_eq!(value_rule("NS", "_ns.example.org"), Rule::TargetFormat);
        assert_eq!(value_rule("CNAME", "."), Rule::NullTargetNotAllowed);
        assert_eq!(value_rule("NS", "."), Rule::NullTargetNotAllowed);
        assert_eq!(value_rule("CNAME", "a b.example"), Rule::UnsafeCharacter);
        assert_eq!(
            value_rule("CNAME", "web.example.net\""),
            Rule::UnsafeCharacter
        );
    }

    #[test]
    fn mx() {
        let r = ok("@", "MX", "10 mail.example.org");
        assert_eq!(
            r.data,
            RecordData::Mx {
                preference: 10,
                exchange: target("mail.example.org")
            }
        );
        assert_eq!(r.data.value(), "10 mail.example.org");
        assert_eq!(r.data.pdns_content(), ("mail.example.org".into(), 10));
        assert_eq!(r.data.zone_file_rdata(), "10 mail.example.org.");
        round_trips(&r);
        let r = ok("@", "MX", "  0   mx.café.example.  ");
        assert_eq!(r.data.value(), "0 mx.xn--caf-dma.example");
        round_trips(&r);
        let r = ok("@", "MX", "65535 @");
        assert_eq!(r.data.value(), "65535 example.org");
        // RFC 7505 null MX.
        let r = ok("@", "MX", "0 .");
        assert_eq!(r.data.value(), "0 .");
        assert_eq!(r.data.pdns_content(), (".".into(), 0));
        assert_eq!(r.data.zone_file_rdata(), "0 .");
        round_trips(&r);
        assert_eq!(value_rule("MX", "10 ."), Rule::NullTargetNotAllowed);
        assert_eq!(value_rule("MX", "mail.example.org"), Rule::MxFormat);
        assert_eq!(value_rule("MX", "10"), Rule::MxFormat);
        assert_eq!(
            value_rule("MX", "10 mail.example.org extra"),
            Rule::MxFormat
        );
        assert_eq!(value_rule("MX", "ten mail.example.org"), Rule::MxFormat);
        assert_eq!(value_rule("MX", "-1 mail.example.org"), Rule::MxFormat);
        assert_eq!(
            value_rule("MX", "65536 mail.example.org"),
            Rule::OutOfRange { min: 0, max: 65535 }
        );
        assert_eq!(value_rule("MX", "10 192.0.2.1"), Rule::TargetIsIp);
        assert_eq!(value_rule("MX", "10 mail"), Rule::TargetFormat);
        assert_eq!(
            value_rule("MX", "10 mail.example.org;"),
            Rule::UnsafeCharacter
        );
        assert_eq!(
            value_rule("MX", "10\tmail.example.org"),
            Rule::ControlCharacter
        );
    }

    #[test]
    fn srv() {
        let r = ok("_sip._tcp", "SRV", "10 5 5060 sip.example.org");
        assert_eq!(
            r.data,
            RecordData::Srv {
                priority: 10,
                weight: 5,
                port: 5060,
                target: target("sip.example.org")
            }
        );
        assert_eq!(r.data.value(), "10 5 5060 sip.example.org");
        assert_eq!(r.data.pdns_content(), ("5 5060 sip.example.org".into(), 10));
        assert_eq!(r.data.zone_file_rdata(), "10 5 5060 sip.example.org.");
        round_trips(&r);
        let r = ok("_imaps._tcp.mail", "SRV", "0 0 993 imap.example.org.");
        round_trips(&r);
        // RFC 2782: "." says the service is not available.
        let r = ok("_submission._tcp", "SRV", "0 0 0 .");
        assert_eq!(r.data.pdns_content(), ("0 0 .".into(), 0));
        assert_eq!(r.data.zone_file_rdata(), "0 0 0 .");
        round_trips(&r);
        let e = refused("sip", "SRV", "10 5 5060 sip.example.org");
        assert_eq!((e.field, e.rule), ("name", Rule::SrvName));
        let e = refused("@", "SRV", "10 5 5060 sip.example.org");
        assert_eq!((e.field, e.rule), ("name", Rule::SrvName));
        let srv = |v| refused("_sip._tcp", "SRV", v).rule;
        assert_eq!(srv("10 5 sip.example.org"), Rule::SrvFormat);
        assert_eq!(srv("10 5 5060 sip.example.org x"), Rule::SrvFormat);
        assert_eq!(srv("a 5 5060 sip.example.org"), Rule::SrvFormat);
        assert_eq!(
            srv("10 5 70000 sip.example.org"),
            Rule::OutOfRange { min: 0, max: 65535 }
        );
        assert_eq!(srv("10 5 5060 192.0.2.1"), Rule::TargetIsIp);
        assert_eq!(srv("10 5 5060 _sip.example.org"), Rule::TargetFormat);
    }

    #[test]
    fn caa() {
        let r = ok("@", "CAA", "0 issue \"letsencrypt.org\"");
        assert_eq!(
            r.data,
            RecordData::Caa {
                flags: 0,
                tag: "issue".into(),
                value: "letsencrypt.org".into()
            }
        );
        assert_eq!(r.data.value(), "0 issue \"letsencrypt.org\"");
        assert_eq!(
            r.data.pdns_content(),
            ("0 issue \"letsencrypt.org\"".into(), 0)
        );
        assert_eq!(r.data.zone_file_rdata(), "0 issue \"letsencrypt.org\"");
        round_trips(&r);
        let r = ok("@", "CAA", "128  IssueWild   letsencrypt.org ");
        assert_eq!(r.data.value(), "128 issuewild \"letsencrypt.org\"");
        round_trips(&r);
        let r = ok("@", "CAA", "0 issue \"ca.example; account=230123\"");
        round_trips(&r);
        let r = ok("@", "CAA", "0 issue \";\"");
        round_trips(&r);
        let r = ok("@", "CAA", "0 issue \"\"");
        assert_eq!(r.data.value(), "0 issue \"\"");
        round_trips(&r);
        let r = ok("@", "CAA", "0 iodef \"mailto:security@example.org\"");
        round_trips(&r);
        let r = ok("@", "CAA", "0 issuemail \"ca.example\"");
        round_trips(&r);
        assert_eq!(value_rule("CAA", "1 issue \"ca.example\""), Rule::CaaFlags);
        assert_eq!(
            value_rule("CAA", "256 issue \"ca.example\""),
            Rule::CaaFlags
        );
        assert_eq!(value_rule("CAA", "x issue \"ca.example\""), Rule::CaaFormat);
        assert_eq!(value_rule("CAA", "0"), Rule::CaaFormat);
        assert_eq!(value_rule("CAA", "issue ca.example"), Rule::CaaFormat);
        assert_eq!(value_rule("CAA", "0 is-sue \"ca.example\""), Rule::CaaTag);
        assert_eq!(
            value_rule("CAA", "0 \"issue\" \"ca.example\""),
            Rule::CaaTag
        );
        assert_eq!(value_rule("CAA", "0 abcdefghijklmnop x"), Rule::CaaTag);
        assert_eq!(value_rule("CAA", "0 issue \"ca.example"), Rule::CaaValue);
        assert_eq!(value_rule("CAA", "0 issue \"ca\\\"x\""), Rule::CaaValue);
        assert_eq!(
            value_rule("CAA", "0 issue \"café.example\""),
            Rule::CaaValue
        );
        assert_eq!(
            value_rule("CAA", "0 iodef \"security@example.org\""),
            Rule::CaaValue
        );
        assert_eq!(value_rule("CAA", "0 issue ca\u{0}"), Rule::ControlCharacter);
        assert_eq!(
            value_rule("CAA", &format!("0 issue \"{}\"", "a".repeat(256))),
            Rule::TooLong { max: 255 }
        );
    }

    #[test]
    fn txt() {
        let r = ok("@", "TXT", "v=spf1 mx -all");
        assert_eq!(r.data, RecordData::Txt(vec!["v=spf1 mx -all".into()]));
        assert_eq!(r.data.value(), "v=spf1 mx -all");
        assert_eq!(r.data.pdns_content(), ("\"v=spf1 mx -all\"".into(), 0));
        assert_eq!(r.data.zone_file_rdata(), "\"v=spf1 mx -all\"");
        round_trips(&r);
        let r = ok("_dmarc", "TXT", "v=DMARC1; p=quarantine");
        assert_eq!(r.data.pdns_content().0, "\"v=DMARC1; p=quarantine\"");
        round_trips(&r);
        let r = ok("x", "TXT", r#"He said "hi" \o/"#);
        assert_eq!(r.data.value(), r#"He said "hi" \o/"#);
        assert_eq!(r.data.pdns_content().0, r#""He said \"hi\" \\o/""#);
        round_trips(&r);
        let r = ok("x", "TXT", "Ça marche — ☕");
        assert_eq!(
            r.data.pdns_content().0,
            r#""\195\135a marche \226\128\148 \226\152\149""#
        );
        round_trips(&r);
        let r = ok("x", "TXT", r#""v=DKIM1; k=rsa; " "p=MIIB""#);
        assert_eq!(
            r.data,
            RecordData::Txt(vec!["v=DKIM1; k=rsa; ".into(), "p=MIIB".into()])
        );
        assert_eq!(r.data.value(), r#""v=DKIM1; k=rsa; " "p=MIIB""#);
        round_trips(&r);
        let long = format!("v=DKIM1; p={}", "A".repeat(700));
        let r = ok("sel._domainkey", "TXT", &long);
        let RecordData::Txt(chunks) = &r.data else {
            panic!("not TXT")
        };
        assert_eq!(chunks.len(), 3);
        assert_eq!(r.data.value(), long);
        round_trips(&r);
        assert_eq!(value_rule("TXT", ""), Rule::Required);
        assert_eq!(value_rule("TXT", "a\nb"), Rule::ControlCharacter);
        assert_eq!(value_rule("TXT", "\"unclosed"), Rule::TxtFormat);
        assert_eq!(
            value_rule("TXT", &"x".repeat(4001)),
            Rule::TooLong { max: 4000 }
        );
    }

    #[test]
    fn names_ttls_and_types() {
        let r = ok("WWW.example.org.", "a", "192.0.2.1");
        assert_eq!(r.name.as_str(), "www");
        let r = ok("*.dev", "A", "192.0.2.1");
        assert_eq!(r.name.as_str(), "*.dev");
        round_trips(&r);
        let r = ok("café", "A", "192.0.2.1");
        assert_eq!(r.name.as_str(), "xn--caf-dma");
        round_trips(&r);
        let with_ttl = |ttl| {
            parse_record(
                &zone(),
                &RecordInput {
                    ttl,
                    ..input("www", "A", "192.0.2.1")
                },
            )
        };
        assert_eq!(with_ttl(Some(60)).map(|r| r.ttl), Ok(60));
        assert_eq!(with_ttl(Some(604_800)).map(|r| r.ttl), Ok(604_800));
        let range = Rule::OutOfRange {
            min: 60,
            max: 604_800,
        };
        for bad in [59, 604_801, 0, -1, i64::MAX, i64::MIN] {
            assert_eq!(
                with_ttl(Some(bad)),
                Err(vec![FieldError::new("ttl", range.clone())])
            );
        }
        let e = refused("www", "PTR", "x");
        assert_eq!(
            (e.field, e.rule),
            (
                "type",
                Rule::UnsupportedType {
                    rtype: "PTR".into()
                }
            )
        );
        assert_eq!(refused("www", "A B", "x").rule, Rule::UnknownChoice);
        assert_eq!(refused("www", "", "x").rule, Rule::Required);
        assert_eq!(refused("www", "A\n", "x").rule, Rule::ControlCharacter);
        let e = refused("www.example.com.", "A", "192.0.2.1");
        assert_eq!((e.field, e.rule), ("name", Rule::NameOutsideZone));
        // Every field is checked at once.
        let e = parse_record(
            &zone(),
            &RecordInput {
                name: "a b".into(),
                rtype: "A".into(),
                ttl: Some(1),
                value: "x".into(),
            },
        )
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "ttl", "value"]);
    }

    #[test]
    fn handmade_data_is_written_safely() {
        let caa = RecordData::Caa {
            flags: 0,
            tag: "is\"sue".into(),
            value: "a\"b\\c\nd".into(),
        };
        assert_eq!(caa.pdns_content().0, r#"0 is\"sue "a\"b\\c\010d""#);
        let txt = RecordData::Txt(vec!["a\0b\n".into()]);
        assert_eq!(txt.pdns_content().0, r#""a\000b\010""#);
    }

    fn any_input() -> impl Strategy<Value = RecordInput> {
        let name = prop_oneof![
            Just("@".to_owned()),
            "[a-z0-9_*.-]{0,20}",
            "\\PC{0,30}",
            ".{0,30}",
        ];
        let rtype = prop_oneof![
            proptest::sample::select(RecordType::ALL.to_vec()).prop_map(|t| t.as_str().to_owned()),
            ".{0,6}",
        ];
        let value = prop_oneof![
            "[0-9]{1,3}(\\.[0-9]{1,3}){3}",
            "[0-9a-f:]{2,20}",
            "[0-9]{1,5} [a-z0-9.@-]{1,20}",
            "[0-9]{1,5} [0-9]{1,5} [0-9]{1,5} [a-z0-9.-]{1,20}",
            "(0|128|1) [a-z]{1,16} \"?[ -~]{0,20}\"?",
            "\"([^\"\\\\]|\\\\.){0,20}\"( \"[^\"]{0,10}\")?",
            "\\PC{0,300}",
            ".{0,40}",
        ];
        (name, rtype, proptest::option::of(any::<i64>()), value).prop_map(
            |(name, rtype, ttl, value)| RecordInput {
                name,
                rtype,
                ttl,
                value,
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_input_is_handled_and_accepted_records_round_trip(input in any_input()) {
            if let Ok(r) = parse_record(&zone(), &input) {
                // value() reads back as the same record, by any name form.
                let back = parse_record(&zone(), &r.to_input());
                prop_assert_eq!(back.as_ref(), Ok(&r));
                let by_display = RecordInput { name: r.name.display().to_owned(), ..r.to_input() };
                let again = parse_record(&zone(), &by_display);
                prop_assert_eq!(again.as_ref(), Ok(&r));
                let (content, prio) = r.data.pdns_content();
                prop_assert!(content.bytes().all(|b| (0x20..0x7f).contains(&b)), "{}", content);
                prop_assert!((0..=65535).contains(&prio));
                prop_assert!(!r.name.as_str().chars().any(|c| c.is_control() || c == ' ' || c == '"'));
                prop_assert!(r.name.absolute(&zone()).len() <= 253);
            }
        }

        #[test]
        fn pdns_content_is_always_escaped(chunks in proptest::collection::vec(".{0,40}", 1..4), value in ".{0,40}") {
            for data in [RecordData::Txt(chunks.clone()), RecordData::Caa { flags: 0, tag: "issue".into(), value: value.clone() }] {
                let (content, _) = data.pdns_content();
                prop_assert!(!content.contains('\n') && !content.contains('\0'));
                prop_assert!(content.bytes().all(|b| (0x20..0x7f).contains(&b)));
                // Every quote is either a string delimiter or escaped.
                let b = content.as_bytes();
                let mut i = 0;
                let mut quotes = 0;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'"' => { quotes += 1; i += 1; }
                        _ => i += 1,
                    }
                }
                prop_assert_eq!(quotes % 2, 0);
            }
            // TXT content reads back as the same strings (when valid text).
            let clean = chunks
                .iter()
                .all(|c| c.len() <= 255 && !c.chars().any(super::super::name::is_forbidden_char));
            if let Ok(parsed) = text::parse_txt(&text::presentation(&chunks))
                && clean
            {
                prop_assert_eq!(parsed, chunks);
            }
        }

        #[test]
        fn generated_txt_round_trips(text in "\\PC{1,600}") {
            if let Ok(r) = parse_record(&zone(), &input("t", "TXT", &text)) {
                let RecordData::Txt(chunks) = &r.data else { panic!("not TXT") };
                prop_assert!(chunks.iter().all(|c| c.len() <= 255));
                let again = parse_record(&zone(), &r.to_input());
                prop_assert_eq!(again.as_ref(), Ok(&r));
            }
        }
    }
}
