//! BIND zone files (RFC 1035 §5 master files): reading one to import a
//! zone, writing one to export it.

use super::name::{OwnerName, has_forbidden, is_forbidden_char};
use super::record::{
    Record, RecordData, RecordInput, RecordType, TTL_DEFAULT, TTL_MAX, TTL_MIN, looks_like_type,
    parse_record,
};
use super::rules::check_zone_rules;
use crate::error::{FieldError, Rule};
use crate::names::Fqdn;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::IpAddr;

/// The largest zone file read, in bytes: a paste cannot exhaust memory.
pub const MAX_ZONE_FILE_BYTES: usize = 1024 * 1024;
/// The most records (and ignored records) one file may hold.
pub const MAX_ZONE_FILE_RECORDS: usize = 10_000;
/// Reading stops after this many errors: nobody reads further, and a
/// garbage paste would otherwise give one error per line.
pub const MAX_ZONE_FILE_ERRORS: usize = 1000;

/// The DNSSEC types a file may hold and that are skipped: Konbit signs the
/// zone itself.
const DNSSEC_TYPES: [&str; 7] = [
    "DNSKEY",
    "RRSIG",
    "NSEC",
    "NSEC3",
    "NSEC3PARAM",
    "CDS",
    "CDNSKEY",
];

/// One bad line of a zone file. `line` counts from 1; a file over
/// `MAX_ZONE_FILE_BYTES` is refused at line 1, one over
/// `MAX_ZONE_FILE_RECORDS` at the first record too many. Syntax errors name
/// the field `zone`; a record's own errors name `name`, `type`, `ttl` or
/// `value`, as for a record typed in the panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneFileError {
    pub line: usize,
    pub error: FieldError,
}

/// A zone file read in full.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedZone {
    pub records: Vec<Record>,
    /// The source line of each of `records` (where its entry starts).
    pub lines: Vec<usize>,
    /// Lines skipped, with their type: the SOA (Konbit writes its own),
    /// DNSSEC records (Konbit signs the zone itself) and exact repeats of a
    /// record already read (a record set holds each record once, RFC 2181
    /// §5).
    pub ignored: Vec<(usize, String)>,
}

/// Reads a BIND zone file for `zone`.
///
/// Understood: `$ORIGIN` (absolute, or relative to the current origin; it
/// must stay within the zone) and `$TTL`; `@`; relative and absolute names;
/// a blank owner (the line starts with a space or tab) for the previous
/// owner; an optional TTL (seconds, or BIND units such as `1h30m`) and class
/// `IN`, in either order; parentheses over several lines; `;` comments
/// (not inside quotes); quoted strings with `\"`, `\\`, `\X` and `\DDD`
/// escapes. Each TXT word is one character-string, quoted or not
/// (RFC 1035): `TXT v=spf1 -all` is two strings, as BIND reads it.
///
/// A record without a TTL takes `$TTL`, or else the last TTL written
/// (RFC 1035), or else `TTL_DEFAULT`.
///
/// SOA records at the apex and DNSSEC records are skipped and listed in
/// `ignored`; other types Konbit does not serve are errors naming the type,
/// and so are names outside the zone, `$INCLUDE` and `$GENERATE`, and
/// classes other than IN. Every bad line is reported, not just the first
/// (up to `MAX_ZONE_FILE_ERRORS`). When every line is good, the zone rules
/// (`check_zone_rules`) are checked on the records, each error at its
/// record's line — except that the apex needs no NS record here: the file
/// may leave the NS set to the zone, and the caller checks the final record
/// set.
pub fn parse_zone_file(zone: &Fqdn, text: &str) -> Result<ParsedZone, Vec<ZoneFileError>> {
    if text.len() > MAX_ZONE_FILE_BYTES {
        return Err(vec![ZoneFileError {
            line: 1,
            error: FieldError::new("zone", Rule::ZoneFileTooLarge),
        }]);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser::new(zone);
    let mut depth = 0usize;
    let mut entry: Option<Entry> = None;
    for (index, raw_line) in text.split('\n').enumerate() {
        let n = index + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let current = entry.get_or_insert_with(|| Entry {
            line: n,
            blank_owner: line.starts_with([' ', '\t']),
            tokens: Vec::new(),
            bad: false,
        });
        if let Some(rule) = tokenize(line, &mut depth, &mut current.tokens) {
            current.bad = true;
            p.error(n, FieldError::new("zone", rule));
        }
        if depth == 0
            && let Some(done) = entry.take()
            && !done.bad
        {
            p.entry(done);
        }
        if p.stop {
            break;
        }
    }
    if let Some(open) = entry
        && !p.stop
    {
        // A parenthesis never closed.
        p.error(open.line, FieldError::new("zone", Rule::ZoneFileSyntax));
    }
    p.finish()
}

/// A token of a zone file: a word, or the raw text between double quotes
/// (escapes kept as written).
struct Token {
    text: String,
    quoted: bool,
}

/// One directive or record, possibly over several lines.
struct Entry {
    line: usize,
    blank_owner: bool,
    tokens: Vec<Token>,
    bad: bool,
}

/// Splits one line into tokens and counts its parentheses. The first bad
/// thing on the line is returned; reading goes on past it so that the
/// parentheses after it still count.
fn tokenize(line: &str, depth: &mut usize, tokens: &mut Vec<Token>) -> Option<Rule> {
    let mut error = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {}
            ';' => break,
            '(' => *depth += 1,
            ')' => match depth.checked_sub(1) {
                Some(d) => *depth = d,
                None => {
                    error.get_or_insert(Rule::ZoneFileSyntax);
                }
            },
            '"' => {
                let mut text = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            text.push('\\');
                            if let Some(next) = chars.next() {
                                text.push(next);
                            }
                        }
                        c => text.push(c),
                    }
                }
                if !closed {
                    error.get_or_insert(Rule::TxtFormat);
                    break;
                }
                if chars
                    .peek()
                    .is_some_and(|n| !matches!(n, ' ' | '\t' | ';' | '(' | ')'))
                {
                    error.get_or_insert(Rule::ZoneFileSyntax);
                }
                if has_forbidden(&text) {
                    error.get_or_insert(Rule::ControlCharacter);
                }
                tokens.push(Token { text, quoted: true });
            }
            c => {
                // A word; a backslash keeps the character after it in the
                // word (escapes stay as written, for TXT to decode).
                let mut text = String::new();
                let mut next = Some(c);
                while let Some(c) = next {
                    text.push(c);
                    if c == '\\'
                        && let Some(escaped) = chars.next()
                    {
                        text.push(escaped);
                    }
                    next = chars.next_if(|n| !matches!(n, ' ' | '\t' | ';' | '(' | ')' | '"'));
                }
                if text.chars().any(is_forbidden_char) {
                    error.get_or_insert(Rule::ControlCharacter);
                } else if chars.peek() == Some(&'"') {
                    // A quote inside a word.
                    error.get_or_insert(Rule::ZoneFileSyntax);
                }
                tokens.push(Token {
                    text,
                    quoted: false,
                });
            }
        }
    }
    error
}

/// A TTL token: seconds, or BIND units (`1w2d3h4m5s`, any case; a last
/// number without a unit is seconds). Large values saturate, so that they
/// are reported as out of range. `None` if it is neither.
fn parse_ttl_token(s: &str) -> Option<i64> {
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u64::from(d)),
            );
            continue;
        }
        let unit: u64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        total = total.saturating_add(number.take()?.saturating_mul(unit));
    }
    if let Some(n) = number {
        total = total.saturating_add(n);
    } else if s.is_empty() {
        return None;
    }
    Some(i64::try_from(total).unwrap_or(i64::MAX))
}

fn is_other_class(s: &str) -> bool {
    ["CH", "CS", "HS", "ANY", "NONE"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(s))
        || s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("CLASS"))
            && s.len() > 5
            && s[5..].bytes().all(|b| b.is_ascii_digit())
}

struct Parser<'a> {
    zone: &'a Fqdn,
    /// The current origin, absolute without the dot; `None` after an
    /// `$ORIGIN` that was refused, until the next good one.
    origin: Option<String>,
    default_ttl: Option<i64>,
    last_ttl: Option<i64>,
    /// The previous owner, absolute with the dot.
    last_owner: Option<String>,
    out: ParsedZone,
    seen: HashSet<(OwnerName, RecordData)>,
    errors: Vec<ZoneFileError>,
    entries: usize,
    stop: bool,
}

impl<'a> Parser<'a> {
    fn new(zone: &'a Fqdn) -> Self {
        Self {
            zone,
            origin: Some(zone.as_str().to_owned()),
            default_ttl: None,
            last_ttl: None,
            last_owner: None,
            out: ParsedZone::default(),
            seen: HashSet::new(),
            errors: Vec::new(),
            entries: 0,
            stop: false,
        }
    }

    fn error(&mut self, line: usize, error: FieldError) {
        if self.errors.len() >= MAX_ZONE_FILE_ERRORS {
            self.stop = true;
            return;
        }
        self.errors.push(ZoneFileError { line, error });
    }

    /// A name of the file made absolute (with the final dot), relative to
    /// the current origin. An IP address is left as it is, so that it is
    /// refused as a target rather than read as a name.
    fn absolute(&self, name: &str) -> Result<String, Rule> {
        if name == "." || name.ends_with('.') || name.parse::<IpAddr>().is_ok() {
            return Ok(name.to_owned());
        }
        let origin = self.origin.as_deref().ok_or(Rule::NameOutsideZone)?;
        if name == "@" {
            Ok(format!("{origin}."))
        } else {
            Ok(format!("{name}.{origin}."))
        }
    }

    fn entry(&mut self, e: Entry) {
        let Some(first) = e.tokens.first() else {
            return;
        };
        if !first.quoted && first.text.starts_with('$') {
            self.directive(e.line, &e.tokens);
            return;
        }
        self.entries += 1;
        if self.entries > MAX_ZONE_FILE_RECORDS {
            self.error(e.line, FieldError::new("zone", Rule::ZoneFileTooLarge));
            self.stop = true;
            return;
        }
        if let Err(error) = self.record(e.line, e.blank_owner, &e.tokens) {
            self.error(e.line, error);
        }
    }

    fn directive(&mut self, line: usize, tokens: &[Token]) {
        let name = tokens
            .first()
            .map(|t| t.text.to_ascii_uppercase())
            .unwrap_or_default();
        let arg = match tokens {
            [_, arg] if !arg.quoted => Some(arg.text.as_str()),
            _ => None,
        };
        match (name.as_str(), arg) {
            ("$ORIGIN", Some(arg)) => {
                let origin = self
                    .absolute(arg)
                    .and_then(|a| OwnerName::parse("zone", self.zone, &a).map_err(|e| e.rule));
                match origin {
                    Ok(o) => self.origin = Some(o.absolute(self.zone)),
                    Err(rule) => {
                        self.origin = None;
                        self.error(line, FieldError::new("zone", rule));
                    }
                }
            }
            ("$TTL", Some(arg)) => match parse_ttl_token(arg) {
                Some(t) if (i64::from(TTL_MIN)..=i64::from(TTL_MAX)).contains(&t) => {
                    self.default_ttl = Some(t);
                }
                Some(_) => self.error(line, FieldError::new("ttl", ttl_range())),
                None => self.error(line, FieldError::new("ttl", Rule::ZoneFileSyntax)),
            },
            ("$ORIGIN" | "$TTL", None) => {
                self.error(line, FieldError::new("zone", Rule::ZoneFileSyntax));
            }
            _ => self.error(line, FieldError::new("zone", Rule::ZoneFileDirective)),
        }
    }

    /// Reads one record entry; a returned error is the entry's only one,
    /// otherwise errors have been reported as found.
    fn record(
        &mut self,
        line: usize,
        blank_owner: bool,
        tokens: &[Token],
    ) -> Result<(), FieldError> {
        let syntax = |field| FieldError::new(field, Rule::ZoneFileSyntax);
        let mut i = 0;
        let owner = if blank_owner {
            self.last_owner.clone().ok_or_else(|| syntax("name"))?
        } else {
            let t = &tokens[0];
            i = 1;
            if t.quoted {
                return Err(syntax("name"));
            }
            if t.text.contains('\\') {
                // Escaped characters in names (`\.` inside a label) are
                // nothing Konbit serves.
                return Err(syntax("name"));
            }
            self.absolute(&t.text)
                .map_err(|rule| FieldError::new("name", rule))?
        };
        self.last_owner = Some(owner.clone());
        let mut ttl = None;
        let mut class = false;
        while let Some(t) = tokens.get(i).filter(|t| !t.quoted) {
            if t.text.starts_with(|c: char| c.is_ascii_digit()) {
                if ttl.is_some() {
                    return Err(syntax("ttl"));
                }
                ttl = Some(parse_ttl_token(&t.text).ok_or_else(|| syntax("ttl"))?);
            } else if t.text.eq_ignore_ascii_case("IN") {
                if class {
                    return Err(syntax("zone"));
                }
                class = true;
            } else if is_other_class(&t.text) {
                return Err(syntax("zone"));
            } else {
                break;
            }
            i += 1;
        }
        let type_token = tokens
            .get(i)
            .ok_or_else(|| FieldError::new("type", Rule::Required))?;
        if type_token.quoted || !looks_like_type(&type_token.text) {
            return Err(syntax("type"));
        }
        let type_name = type_token.text.to_ascii_uppercase();
        let rdata = &tokens[i + 1..];
        if ttl.is_some() {
            self.last_ttl = ttl;
        }
        let Some(rtype) = RecordType::parse(&type_name) else {
            if type_name == "SOA" {
                let at_apex = OwnerName::parse("name", self.zone, &owner)?.is_apex();
                if !at_apex {
                    return Err(syntax("name"));
                }
            } else if !DNSSEC_TYPES.contains(&type_name.as_str()) {
                return Err(FieldError::new(
                    "type",
                    Rule::UnsupportedType { rtype: type_name },
                ));
            }
            self.out.ignored.push((line, type_name));
            return Ok(());
        };
        let ttl = ttl
            .or(self.default_ttl)
            .or(self.last_ttl)
            .unwrap_or(i64::from(TTL_DEFAULT));
        let value = self.rdata_value(rtype, rdata)?;
        let input = RecordInput {
            name: owner,
            rtype: type_name,
            ttl: Some(ttl),
            value,
        };
        match parse_record(self.zone, &input) {
            Ok(record) => {
                if self.seen.insert((record.name.clone(), record.data.clone())) {
                    self.out.records.push(record);
                    self.out.lines.push(line);
                } else {
                    self.out.ignored.push((line, rtype.as_str().to_owned()));
                }
            }
            Err(errors) => {
                for e in errors {
                    self.error(line, e);
                }
            }
        }
        Ok(())
    }

    /// The RDATA tokens as the value `parse_record` reads: names made
    /// absolute, TXT strings quoted.
    fn rdata_value(&self, rtype: RecordType, rdata: &[Token]) -> Result<String, FieldError> {
        let err = |rule| FieldError::new("value", rule);
        // Quotes and escapes belong to text: TXT, and the CAA value.
        if rtype != RecordType::Txt
            && rdata.iter().enumerate().any(|(i, t)| {
                t.text.contains('\\') || (t.quoted && !(rtype == RecordType::Caa && i == 2))
            })
        {
            return Err(err(Rule::ZoneFileSyntax));
        }
        let name = |t: &Token| self.absolute(&t.text).map_err(err);
        match rtype {
            RecordType::A | RecordType::Aaaa => match rdata {
                [ip] => Ok(ip.text.clone()),
                _ if rtype == RecordType::A => Err(err(Rule::Ipv4Format)),
                _ => Err(err(Rule::Ipv6Format)),
            },
            RecordType::Cname | RecordType::Ns => match rdata {
                [target] => name(target),
                _ => Err(err(Rule::TargetFormat)),
            },
            RecordType::Mx => match rdata {
                [preference, exchange] => Ok(format!("{} {}", preference.text, name(exchange)?)),
                _ => Err(err(Rule::MxFormat)),
            },
            RecordType::Srv => match rdata {
                [priority, weight, port, target] => Ok(format!(
                    "{} {} {} {}",
                    priority.text,
                    weight.text,
                    port.text,
                    name(target)?
                )),
                _ => Err(err(Rule::SrvFormat)),
            },
            RecordType::Caa => match rdata {
                [flags, tag, value] if value.quoted => {
                    Ok(format!("{} {} \"{}\"", flags.text, tag.text, value.text))
                }
                [flags, tag, rest @ ..]
                    if !flags.quoted && !tag.quoted && rest.iter().all(|t| !t.quoted) =>
                {
                    let words: Vec<&str> = rest.iter().map(|t| t.text.as_str()).collect();
                    Ok(format!("{} {} {}", flags.text, tag.text, words.join(" ")))
                }
                _ => Err(err(Rule::CaaFormat)),
            },
            RecordType::Txt => {
                if rdata.is_empty() {
                    return Err(err(Rule::Required));
                }
                let strings: Vec<String> =
                    rdata.iter().map(|t| format!("\"{}\"", t.text)).collect();
                Ok(strings.join(" "))
            }
        }
    }

    fn finish(mut self) -> Result<ParsedZone, Vec<ZoneFileError>> {
        if self.errors.is_empty()
            && let Err(errors) = check_zone_rules(&self.out.records)
        {
            for (i, error) in errors {
                if error.rule == Rule::ApexNeedsNs {
                    continue;
                }
                let line = self.out.lines.get(i).copied().unwrap_or(1);
                self.error(line, error);
            }
        }
        if self.errors.is_empty() {
            Ok(self.out)
        } else {
            self.errors.sort_by_key(|e| e.line);
            Err(self.errors)
        }
    }
}

fn ttl_range() -> Rule {
    Rule::OutOfRange {
        min: u64::from(TTL_MIN),
        max: u64::from(TTL_MAX),
    }
}

/// Where a type goes in an export: the NS set first, then addresses, then
/// the rest.
fn export_rank(t: RecordType) -> u8 {
    match t {
        RecordType::Ns => 0,
        RecordType::A => 1,
        RecordType::Aaaa => 2,
        RecordType::Cname => 3,
        RecordType::Mx => 4,
        RecordType::Txt => 5,
        RecordType::Srv => 6,
        RecordType::Caa => 7,
    }
}

/// Writes the zone as a BIND zone file: `$ORIGIN` and `$TTL`, the SOA given
/// by the caller (`soa_rdata` in zone-file syntax), then every record,
/// sorted as a tree (the apex first, then each name followed by the names
/// below it; by type and data within a name), owner names relative to the
/// zone, in aligned columns. Every record line has its TTL. It reads back
/// through `parse_zone_file` as the same records.
pub fn export_zone_file(zone: &Fqdn, soa_rdata: &str, soa_ttl: u32, records: &[Record]) -> String {
    let mut sorted: Vec<(Vec<&str>, u8, String, &Record)> = records
        .iter()
        .map(|r| {
            (
                r.name.labels_from_apex().collect(),
                export_rank(r.rtype()),
                r.data.zone_file_rdata(),
                r,
            )
        })
        .collect();
    sorted.sort_by(|a, b| (&a.0, a.1, &a.2).cmp(&(&b.0, b.1, &b.2)));
    // The SOA comes from the caller: keep it on one line whatever it holds.
    let soa_rdata: String = soa_rdata
        .chars()
        .map(|c| if is_forbidden_char(c) { ' ' } else { c })
        .collect();
    let name_width = sorted
        .iter()
        .map(|(_, _, _, r)| r.name.display().len())
        .max()
        .unwrap_or(1);
    let ttl_width = sorted
        .iter()
        .map(|(_, _, _, r)| r.ttl)
        .chain([soa_ttl])
        .map(|t| t.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    let _ = writeln!(out, "$ORIGIN {}.", zone.as_str());
    let _ = writeln!(out, "$TTL {}", soa_ttl.clamp(TTL_MIN, TTL_MAX));
    let mut line = |name: &str, ttl: u32, rtype: &str, rdata: &str| {
        let _ = writeln!(
            out,
            "{name:<name_width$} {ttl:>ttl_width$} IN {rtype:<5} {rdata}"
        );
    };
    line("@", soa_ttl, "SOA", soa_rdata.trim());
    for (_, _, rdata, r) in &sorted {
        line(r.name.display(), r.ttl, r.rtype().as_str(), rdata);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn zone() -> Fqdn {
        Fqdn::parse("domain", "example.org", 2).unwrap()
    }

    fn rec(name: &str, rtype: &str, ttl: i64, value: &str) -> Record {
        let input = RecordInput {
            name: name.into(),
            rtype: rtype.into(),
            ttl: Some(ttl),
            value: value.into(),
        };
        match parse_record(&zone(), &input) {
            Ok(r) => r,
            Err(e) => panic!("{input:?}: {e:?}"),
        }
    }

    fn parse(text: &str) -> ParsedZone {
        match parse_zone_file(&zone(), text) {
            Ok(p) => p,
            Err(e) => panic!("{e:#?}"),
        }
    }

    fn errors(text: &str) -> Vec<(usize, &'static str, Rule)> {
        match parse_zone_file(&zone(), text) {
            Ok(p) => panic!("accepted: {p:#?}"),
            Err(e) => e
                .into_iter()
                .map(|e| (e.line, e.error.field, e.error.rule))
                .collect(),
        }
    }

    const FULL: &str = r#"; A zone with every construct.
$ORIGIN example.org.
$TTL 1h
@	IN	SOA	ns1.konbit.coop. hostmaster.konbit.coop. (
			2025010100 ; serial
			10800      ; refresh
			3600 604800 300 )
@		NS	ns1.konbit.coop.
		NS	ns2.konbit.coop.
@	300	IN	A	192.0.2.1
	IN	300	AAAA	2001:db8::1
@		MX	10 mail
@		MX	20 mx.backup.example.
@		TXT	"v=spf1 mx -all"
mail	1D	A	192.0.2.2
www		CNAME	@
WWW2.example.org.	CNAME	www
_dmarc		TXT	( "v=DMARC1; p=quarantine; "
			  "rua=mailto:dmarc@example.org" )
sel._domainkey	TXT	"k=rsa\; p=AB\"C" "\\" caf\195\169
_sip._tcp	SRV	10 5 5060 sip
@		CAA	0 issue "letsencrypt.org"
@		CAA	128 iodef mailto:security@example.org
$ORIGIN dev.example.org.
@		A	192.0.2.3
*		A	192.0.2.4
api		CNAME	@   ; comment with "quotes"
@	DNSKEY	257 3 13 AAAA
@	RRSIG	A 13 3 3600 20250101 20240101 1 example.org. AAAA
"#;

    #[test]
    fn every_construct() {
        let p = parse(FULL);
        let want = [
            rec("@", "NS", 3600, "ns1.konbit.coop"),
            rec("@", "NS", 3600, "ns2.konbit.coop"),
            rec("@", "A", 300, "192.0.2.1"),
            rec("@", "AAAA", 300, "2001:db8::1"),
            rec("@", "MX", 3600, "10 mail.example.org"),
            rec("@", "MX", 3600, "20 mx.backup.example"),
            rec("@", "TXT", 3600, "v=spf1 mx -all"),
            rec("mail", "A", 86400, "192.0.2.2"),
            rec("www", "CNAME", 3600, "example.org"),
            rec("www2", "CNAME", 3600, "www.example.org"),
            rec(
                "_dmarc",
                "TXT",
                3600,
                r#""v=DMARC1; p=quarantine; " "rua=mailto:dmarc@example.org""#,
            ),
            rec(
                "sel._domainkey",
                "TXT",
                3600,
                r#""k=rsa; p=AB\"C" "\\" "café""#,
            ),
            rec("_sip._tcp", "SRV", 3600, "10 5 5060 sip.example.org"),
            rec("@", "CAA", 3600, "0 issue \"letsencrypt.org\""),
            rec(
                "@",
                "CAA",
                3600,
                "128 iodef \"mailto:security@example.org\"",
            ),
            rec("dev", "A", 3600, "192.0.2.3"),
            rec("*.dev", "A", 3600, "192.0.2.4"),
            rec("api.dev", "CNAME", 3600, "dev.example.org"),
        ];
        assert_eq!(p.records, want);
        assert_eq!(
            p.lines,
            [
                8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 25, 26, 27
            ]
        );
        assert_eq!(
            p.ignored,
            [
                (4, "SOA".to_owned()),
                (28, "DNSKEY".to_owned()),
                (29, "RRSIG".to_owned())
            ]
        );
    }

    #[test]
    fn ttl_defaults() {
        // No $TTL: the last TTL written, else the default.
        let p = parse("@ NS ns1.konbit.coop.\n@ 600 A 192.0.2.1\nwww A 192.0.2.2\n");
        let ttls: Vec<u32> = p.records.iter().map(|r| r.ttl).collect();
        assert_eq!(ttls, [TTL_DEFAULT, 600, 600]);
        let p = parse("$TTL 120\n@ 600 NS ns1.konbit.coop.\nwww A 192.0.2.2\n");
        assert_eq!(p.records[1].ttl, 120);
        assert_eq!(
            parse_ttl_token("1w2d3h4m5s"),
            Some(604_800 + 172_800 + 10_800 + 245)
        );
        assert_eq!(parse_ttl_token("1h30"), Some(3630));
        assert_eq!(parse_ttl_token("90"), Some(90));
        assert_eq!(parse_ttl_token("99999999999999999999999"), Some(i64::MAX));
        assert_eq!(parse_ttl_token("1x"), None);
        assert_eq!(parse_ttl_token("h"), None);
        assert_eq!(parse_ttl_token(""), None);
    }

    #[test]
    fn crlf_bom_and_windows_files() {
        let p = parse("\u{feff}$TTL 300\r\n@ IN NS ns1.konbit.coop.\r\nwww IN A 192.0.2.1\r\n");
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.records[1].ttl, 300);
    }

    #[test]
    fn three_bad_lines_are_all_reported() {
        let text = "\
$ORIGIN example.org.
@ NS ns1.konbit.coop.
www A 192.0.2.1
bad A 2001:db8::1
ok AAAA 2001:db8::1
mx MX ten mail.example.org.
also TXT \"fine\"
ptr PTR host.example.org.
last A 192.0.2.9
";
        assert_eq!(
            errors(text),
            [
                (4, "value", Rule::Ipv6NeedsAaaa),
                (6, "value", Rule::MxFormat),
                (
                    8,
                    "type",
                    Rule::UnsupportedType {
                        rtype: "PTR".into()
                    }
                ),
            ]
        );
    }

    #[test]
    fn bad_lines() {
        let e = |text: &str| errors(&format!("@ NS ns1.konbit.coop.\n{text}"));
        assert_eq!(
            e("www.example.com. A 192.0.2.1"),
            [(2, "name", Rule::NameOutsideZone)]
        );
        assert_eq!(
            e("$ORIGIN example.com.\nwww A 192.0.2.1"),
            [
                (2, "zone", Rule::NameOutsideZone),
                (3, "name", Rule::NameOutsideZone),
            ]
        );
        assert_eq!(
            e("$INCLUDE other.zone"),
            [(2, "zone", Rule::ZoneFileDirective)]
        );
        assert_eq!(
            e("$GENERATE 1-9 h$ A 192.0.2.$"),
            [(2, "zone", Rule::ZoneFileDirective)]
        );
        assert_eq!(e("$TTL"), [(2, "zone", Rule::ZoneFileSyntax)]);
        assert_eq!(
            e("$TTL 30"),
            [(
                2,
                "ttl",
                Rule::OutOfRange {
                    min: 60,
                    max: 604_800
                }
            )]
        );
        assert_eq!(e("$TTL soon"), [(2, "ttl", Rule::ZoneFileSyntax)]);
        assert_eq!(
            e("www 30 A 192.0.2.1"),
            [(
                2,
                "ttl",
                Rule::OutOfRange {
                    min: 60,
                    max: 604_800
                }
            )]
        );
        assert_eq!(e("www 1x A 192.0.2.1"), [(2, "ttl", Rule::ZoneFileSyntax)]);
        assert_eq!(e("www CH A 192.0.2.1"), [(2, "zone", Rule::ZoneFileSyntax)]);
        assert_eq!(
            e("www IN IN A 192.0.2.1"),
            [(2, "zone", Rule::ZoneFileSyntax)]
        );
        assert_eq!(
            e("www 60 60 A 192.0.2.1"),
            [(2, "ttl", Rule::ZoneFileSyntax)]
        );
        assert_eq!(e("www IN"), [(2, "type", Rule::Required)]);
        assert_eq!(
            e("www \"A\" 192.0.2.1"),
            [(2, "type", Rule::ZoneFileSyntax)]
        );
        assert_eq!(
            e("www A \"192.0.2.1\""),
            [(2, "value", Rule::ZoneFileSyntax)]
        );
        assert_eq!(
            e("www A 192.0.2.1 192.0.2.2"),
            [(2, "value", Rule::Ipv4Format)]
        );
        assert_eq!(e("www TXT \"open"), [(2, "zone", Rule::TxtFormat)]);
        assert_eq!(e("www A 192.0.2\\.1"), [(2, "value", Rule::ZoneFileSyntax)]);
        assert_eq!(e("w\\.w A 192.0.2.1"), [(2, "name", Rule::ZoneFileSyntax)]);
        assert_eq!(e("www TXT ab\"c\""), [(2, "zone", Rule::ZoneFileSyntax)]);
        assert_eq!(e("www TXT \"a\tb\""), [(2, "zone", Rule::ControlCharacter)]);
        assert_eq!(e("www TXT a\u{0}b"), [(2, "zone", Rule::ControlCharacter)]);
        assert_eq!(e("www A 192.0.2.1 )"), [(2, "zone", Rule::ZoneFileSyntax)]);
        assert_eq!(
            e("www TXT ( \"a\"\n\n"),
            [(2, "zone", Rule::ZoneFileSyntax)]
        );
        assert_eq!(e("www MX 10 192.0.2.1"), [(2, "value", Rule::TargetIsIp)]);
        assert_eq!(
            e("dev DS 1 13 2 ABCD"),
            [(2, "type", Rule::UnsupportedType { rtype: "DS".into() })]
        );
        assert_eq!(
            e("sub SOA a. b. 1 2 3 4 5"),
            [(2, "name", Rule::ZoneFileSyntax)]
        );
        assert_eq!(e("@ CNAME www"), [(2, "name", Rule::CnameAtApex)]);
        // The first line cannot have a blank owner.
        assert_eq!(
            errors("  A 192.0.2.1\n"),
            [(1, "name", Rule::ZoneFileSyntax)]
        );
    }

    #[test]
    fn zone_rules_are_checked_at_their_lines() {
        let text =
            "@ NS ns1.konbit.coop.\nwww A 192.0.2.1\n; comment\nwww CNAME web.example.net.\n";
        assert_eq!(errors(text), [(4, "type", Rule::CnameNotAlone)]);
        // A file without NS is fine: the zone keeps its own.
        let p = parse("www A 192.0.2.1\n");
        assert_eq!(p.records.len(), 1);
        // Repeats are skipped, and listed.
        let p = parse("www A 192.0.2.1\nwww 60 A 192.0.2.1\n");
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.ignored, [(2, "A".to_owned())]);
    }

    #[test]
    fn size_limits() {
        let big = "; x\n".repeat(MAX_ZONE_FILE_BYTES / 4 + 1);
        assert_eq!(errors(&big), [(1, "zone", Rule::ZoneFileTooLarge)]);
        let many: String = (0..=MAX_ZONE_FILE_RECORDS)
            .map(|i| format!("h{i} A 192.0.2.1\n"))
            .collect();
        let e = errors(&many);
        assert_eq!(
            e,
            [(MAX_ZONE_FILE_RECORDS + 1, "zone", Rule::ZoneFileTooLarge)]
        );
        let garbage = "@@@ !!\n".repeat(5000);
        assert_eq!(errors(&garbage).len(), MAX_ZONE_FILE_ERRORS);
    }

    #[test]
    fn export_reads_back() {
        let records = vec![
            rec("www", "CNAME", 300, "@"),
            rec("@", "TXT", 3600, r#""a \"q\" \\ café" "" "x""#),
            rec("@", "NS", 3600, "ns1.konbit.coop"),
            rec("_sip._tcp", "SRV", 3600, "0 0 0 ."),
            rec("@", "MX", 3600, "0 ."),
            rec("*.dev", "A", 60, "192.0.2.1"),
            rec("dev", "AAAA", 604_800, "2001:db8::1"),
            rec("@", "CAA", 3600, "0 issue \"ca.example; account=1\""),
            rec("xn--caf-dma", "A", 3600, "192.0.2.1"),
            rec("3600", "A", 3600, "192.0.2.1"),
            rec("in", "A", 3600, "192.0.2.1"),
        ];
        let text = export_zone_file(
            &zone(),
            "ns1.konbit.coop. hostmaster.konbit.coop. 1 2 3 4 5",
            3600,
            &records,
        );
        let expected = "\
$ORIGIN example.org.
$TTL 3600
@             3600 IN SOA   ns1.konbit.coop. hostmaster.konbit.coop. 1 2 3 4 5
@             3600 IN NS    ns1.konbit.coop.
@             3600 IN MX    0 .
@             3600 IN TXT   \"a \\\"q\\\" \\\\ caf\\195\\169\" \"\" \"x\"
@             3600 IN CAA   0 issue \"ca.example; account=1\"
3600          3600 IN A     192.0.2.1
_sip._tcp     3600 IN SRV   0 0 0 .
dev         604800 IN AAAA  2001:db8::1
*.dev           60 IN A     192.0.2.1
in            3600 IN A     192.0.2.1
www            300 IN CNAME example.org.
xn--caf-dma   3600 IN A     192.0.2.1
";
        assert_eq!(text, expected);
        let p = parse(&text);
        assert_eq!(p.ignored, [(3, "SOA".to_owned())]);
        let mut want = records.clone();
        let mut got = p.records;
        want.sort_by_key(|r| (r.name.clone(), r.rtype(), r.data.zone_file_rdata()));
        got.sort_by_key(|r| (r.name.clone(), r.rtype(), r.data.zone_file_rdata()));
        assert_eq!(got, want);
    }

    #[test]
    fn export_keeps_the_soa_on_one_line() {
        let text = export_zone_file(&zone(), "a. b. 1 2 3 4 5\n@ A 192.0.2.66", 30, &[]);
        assert_eq!(text.lines().count(), 3);
        assert!(text.contains("$TTL 60\n"));
        assert!(parse_zone_file(&zone(), &text).is_ok());
    }

    fn any_record() -> impl Strategy<Value = Record> {
        let name = prop_oneof![
            Just("@".to_owned()),
            "[a-z][a-z0-9-]{0,8}[a-z0-9]",
            "_[a-z]{1,5}\\._(tcp|udp)",
            "\\*\\.[a-z]{1,5}",
            "[a-z]{1,4}\\.[a-z]{1,4}",
            "[0-9]{1,4}",
        ];
        let host = "([a-z][a-z0-9-]{0,6}[a-z0-9]\\.){1,3}(org|net|example)";
        let of = |t: &'static str| move |v: String| (t, v);
        let value = prop_oneof![
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}".prop_map(of("A")),
            "2001:db8:[0-9a-f]{1,4}::[0-9a-f]{1,4}".prop_map(of("AAAA")),
            host.prop_map(of("CNAME")),
            host.prop_map(of("NS")),
            (any::<u16>(), host).prop_map(|(p, h)| ("MX", format!("{p} {h}"))),
            Just(("MX", "0 .".to_owned())),
            (any::<u16>(), any::<u16>(), any::<u16>(), host)
                .prop_map(|(a, b, c, h)| ("SRV", format!("{a} {b} {c} {h}"))),
            "\\PC{1,300}".prop_map(of("TXT")),
            "\"[^\"\\\\]{0,20}\"( \"([^\"\\\\]|\\\\[\"\\\\])*\"){0,3}".prop_map(of("TXT")),
            "(0|128) (issue|issuewild|tbs) \"[a-z0-9.; =-]{0,30}\"".prop_map(of("CAA")),
        ];
        (name, 60u32..=604_800, value).prop_filter_map(
            "not a valid record",
            |(name, ttl, (rtype, value))| {
                parse_record(
                    &zone(),
                    &RecordInput {
                        name,
                        rtype: rtype.to_owned(),
                        ttl: Some(i64::from(ttl)),
                        value,
                    },
                )
                .ok()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn export_then_parse_gives_the_same_records(records in proptest::collection::vec(any_record(), 0..25)) {
            let mut records = records;
            records.insert(0, rec("@", "NS", 3600, "ns1.konbit.coop"));
            prop_assume!(check_zone_rules(&records).is_ok());
            let text = export_zone_file(&zone(), "ns1.konbit.coop. hostmaster.konbit.coop. 1 2 3 4 5", 3600, &records);
            let parsed = parse_zone_file(&zone(), &text);
            prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, text);
            let mut got = parsed.map(|p| p.records).unwrap_or_default();
            let key = |r: &Record| (r.name.clone(), r.rtype(), r.data.zone_file_rdata());
            records.sort_by_key(key);
            got.sort_by_key(key);
            prop_assert_eq!(got, records);
        }

        #[test]
        fn any_text_is_handled(text in "\\PC{0,400}|.{0,400}") {
            let _ = parse_zone_file(&zone(), &text);
        }

        #[test]
        fn zone_like_text_is_handled(lines in proptest::collection::vec(
            "(\\$TTL|\\$ORIGIN|@|www|\\*|[a-z.]{1,8}\\.?| |\t)( |\t)+([0-9]{1,6}[smhdw]?( |\t)+)?(IN( |\t)+)?(A|AAAA|MX|TXT|CNAME|SRV|CAA|NS|SOA|PTR|RRSIG)( |\t)+[ -~]{0,40}( ;.*)?", 0..30)) {
            let text = lines.join("\n");
            if let Ok(p) = parse_zone_file(&zone(), &text) {
                prop_assert_eq!(p.records.len(), p.lines.len());
                // What was read exports and reads back the same.
                let mut with_ns = p.records.clone();
                if !with_ns.iter().any(|r| r.name.is_apex() && r.rtype() == RecordType::Ns) {
                    with_ns.push(rec("@", "NS", 3600, "ns1.konbit.coop"));
                }
                let again = export_zone_file(&zone(), "a. b. 1 2 3 4 5", 3600, &with_ns);
                let back = parse_zone_file(&zone(), &again);
                prop_assert!(back.is_ok(), "{:?}\n{}", back, again);
            }
        }
    }
}
