//! Automatic replies (vacation messages) and the Sieve script that sends
//! them through Dovecot's Pigeonhole `vacation` extension.

use super::address::MailAddress;
use crate::error::{FieldError, Rule};
use serde::{Serialize, Serializer};
use std::fmt;

/// A calendar date written `YYYY-MM-DD` (years 0001 to 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, Rule::DateFormat);
        let s = raw.trim();
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u16>().ok());
        let (year, month, day) = match (num(0..4), num(5..7), num(8..10)) {
            (Some(y), Some(m), Some(d)) => (y, m, d),
            _ => return Err(bad()),
        };
        if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in(year, month) {
            return Err(bad());
        }
        let (month, day) = (
            u8::try_from(month).map_err(|_| bad())?,
            u8::try_from(day).map_err(|_| bad())?,
        );
        Ok(Self { year, month, day })
    }
}

fn days_in(year: u16, month: u16) -> u16 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Validated settings of an automatic reply.
///
/// - `subject`: at most 200 characters, no control characters; empty means
///   Pigeonhole's default (`Auto: ` and the subject of the message received);
/// - `body`: 1 to 10,000 characters; line breaks are kept (as `\n`), other
///   control characters refused;
/// - `start`, `end`: optional bounds, both days included; the end is not
///   before the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Autoreply {
    subject: String,
    body: String,
    start: Option<Date>,
    end: Option<Date>,
}

impl Autoreply {
    pub const SUBJECT_MAX: usize = 200;
    pub const BODY_MAX: usize = 10_000;

    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    pub fn start(&self) -> Option<Date> {
        self.start
    }

    pub fn end(&self) -> Option<Date> {
        self.end
    }
}

/// Validates an automatic reply as typed. Empty dates mean "no bound". The
/// fields named in errors are `subject`, `body`, `start_date`, `end_date`.
pub fn parse_autoreply(
    subject: &str,
    body: &str,
    start: &str,
    end: &str,
) -> Result<Autoreply, Vec<FieldError>> {
    let mut errors = Vec::new();

    let subject = subject.trim();
    if subject.chars().any(char::is_control) {
        errors.push(FieldError::new("subject", Rule::ControlCharacter));
    } else if subject.chars().count() > Autoreply::SUBJECT_MAX {
        errors.push(FieldError::new(
            "subject",
            Rule::TooLong {
                max: Autoreply::SUBJECT_MAX,
            },
        ));
    }

    let body = body.replace("\r\n", "\n");
    let body = body.trim_end().trim_start_matches('\n');
    if body.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(FieldError::new("body", Rule::ControlCharacter));
    } else if body.is_empty() {
        errors.push(FieldError::new("body", Rule::Required));
    } else if body.chars().count() > Autoreply::BODY_MAX {
        errors.push(FieldError::new(
            "body",
            Rule::TooLong {
                max: Autoreply::BODY_MAX,
            },
        ));
    }

    let mut date = |field: &'static str, raw: &str| {
        if raw.trim().is_empty() {
            return None;
        }
        Date::parse(field, raw).map_err(|e| errors.push(e)).ok()
    };
    let start = date("start_date", start);
    let end = date("end_date", end);
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        errors.push(FieldError::new("end_date", Rule::DateOrder));
    }

    if errors.is_empty() {
        Ok(Autoreply {
            subject: subject.to_owned(),
            body: body.to_owned(),
            start,
            end,
        })
    } else {
        Err(errors)
    }
}

/// A Sieve quoted string. Only `"` and `\` are special inside one; the
/// script never requires the `variables` or `encoded-character`
/// extensions, so `${…}` is plain text.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A Sieve multi-line string (`text:` … `.`), dot-stuffed: a line that
/// starts with `.` gets a second one, so no line of the text can be the
/// lone `.` that ends it. `s` holds no `\r` and no other control character
/// than `\n` (an [`Autoreply`] body).
fn multi_line(s: &str) -> String {
    let mut out = String::from("text:\n");
    for line in s.split('\n') {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push('.');
    out
}

/// The Sieve script of an automatic reply, for Dovecot Pigeonhole.
///
/// - It answers once a day per sender (`:days 1`): someone who writes every
///   day gets a reminder, a thread does not get one reply per message.
/// - `addresses` are the mailbox's own addresses (the mailbox and the aliases
///   that lead to it); `vacation` only answers mail sent to one of them.
/// - It never answers mailing lists, bulk mail, automatic messages or
///   bounces. `vacation` already skips most of these; the explicit tests
///   (`List-Id`, `List-Unsubscribe`, `Precedence`, `Auto-Submitted`, empty
///   envelope sender) make the rule visible and independent of the server's
///   version.
/// - The dates bound the reply with `currentdate` (server's time zone), both
///   days included; `YYYY-MM-DD` strings compare in date order.
///
/// Every person-given text is a quoted string with `"` and `\` escaped, or
/// the dot-stuffed multi-line body: neither can end early or add a command.
pub fn vacation_sieve(a: &Autoreply, addresses: &[MailAddress]) -> String {
    let mut require = vec!["vacation", "envelope"];
    let mut tests = vec![
        "not anyof (exists \"list-id\",\n                exists \"list-unsubscribe\",\n                \
         header :contains \"precedence\" [\"bulk\", \"list\", \"junk\"],\n                \
         allof (exists \"auto-submitted\", not header :is \"auto-submitted\" \"no\"),\n                \
         envelope :is \"from\" \"\")"
            .to_owned(),
    ];
    if a.start.is_some() || a.end.is_some() {
        require.extend(["date", "relational"]);
    }
    if let Some(s) = a.start {
        tests.push(format!(
            "currentdate :value \"ge\" \"date\" {}",
            quoted(&s.to_string())
        ));
    }
    if let Some(e) = a.end {
        tests.push(format!(
            "currentdate :value \"le\" \"date\" {}",
            quoted(&e.to_string())
        ));
    }
    let require = require
        .iter()
        .map(|r| quoted(r))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = format!(
        "# Automatic reply, written by Konbit: changes made here are lost.\n\
         require [{require}];\n\n\
         if allof ({}) {{\n  vacation :days 1",
        tests.join(",\n          ")
    );
    if !a.subject.is_empty() {
        out.push_str("\n    :subject ");
        out.push_str(&quoted(&a.subject));
    }
    if !addresses.is_empty() {
        let list = addresses
            .iter()
            .map(|m| quoted(&m.to_string()))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!("\n    :addresses [{list}]"));
    }
    out.push_str("\n    ");
    out.push_str(&multi_line(&a.body));
    out.push_str("\n;\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules(s: &str, b: &str, start: &str, end: &str) -> Vec<(&'static str, Rule)> {
        match parse_autoreply(s, b, start, end) {
            Ok(_) => Vec::new(),
            Err(e) => e.into_iter().map(|f| (f.field, f.rule)).collect(),
        }
    }

    #[test]
    fn dates() {
        assert_eq!(
            Date::parse("d", "2028-02-29").unwrap().to_string(),
            "2028-02-29"
        );
        assert!(Date::parse("d", "2000-02-29").is_ok());
        for bad in [
            "2027-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "0000-01-01",
            "2026-1-01",
            "2026/01/01",
            "26-01-01",
            "2026-01-01x",
            "+026-01-01",
            "２０２６-01-01",
            "",
        ] {
            assert_eq!(
                Date::parse("d", bad).unwrap_err().rule,
                Rule::DateFormat,
                "{bad:?}"
            );
        }
        assert!(Date::parse("d", "2026-01-31").unwrap() < Date::parse("d", "2026-02-01").unwrap());
    }

    #[test]
    fn autoreply_rules() {
        let ok = parse_autoreply(" Away ", "Hello,\r\n\r\nBack soon.\n\n", "", "").unwrap();
        assert_eq!(ok.subject(), "Away");
        assert_eq!(ok.body(), "Hello,\n\nBack soon.");
        assert_eq!((ok.start(), ok.end()), (None, None));
        assert!(parse_autoreply("", "x", "2026-07-01", "2026-07-01").is_ok());
        assert!(parse_autoreply(&"é".repeat(200), &"é".repeat(10_000), "", "").is_ok());

        assert_eq!(
            rules("a\nb", "x", "", ""),
            vec![("subject", Rule::ControlCharacter)]
        );
        assert_eq!(
            rules(&"a".repeat(201), "x", "", ""),
            vec![("subject", Rule::TooLong { max: 200 })]
        );
        assert_eq!(rules("s", " \n ", "", ""), vec![("body", Rule::Required)]);
        assert_eq!(
            rules("s", "a\tb", "", ""),
            vec![("body", Rule::ControlCharacter)]
        );
        assert_eq!(
            rules("s", "a\rb", "", ""),
            vec![("body", Rule::ControlCharacter)]
        );
        assert_eq!(
            rules("s", "a\0b", "", ""),
            vec![("body", Rule::ControlCharacter)]
        );
        assert_eq!(
            rules("s", &"a".repeat(10_001), "", ""),
            vec![("body", Rule::TooLong { max: 10_000 })]
        );
        assert_eq!(
            rules("s", "x", "2026-07-10", "2026-07-01"),
            vec![("end_date", Rule::DateOrder)]
        );
        assert_eq!(
            rules("\u{7}", "", "2026-07-32", "soon"),
            vec![
                ("subject", Rule::ControlCharacter),
                ("body", Rule::Required),
                ("start_date", Rule::DateFormat),
                ("end_date", Rule::DateFormat),
            ]
        );
    }

    #[test]
    fn sieve_snapshot() {
        let a = parse_autoreply(
            "Away: \"back\" on Monday \\o/",
            "Hello,\n\nI am away until Monday.\n.\n..and a line with dots\n\nAda",
            "2026-07-01",
            "2026-07-31",
        )
        .unwrap();
        let addresses = [
            MailAddress::parse("a", "ada@example.org").unwrap(),
            MailAddress::parse("a", "info@café.example").unwrap(),
        ];
        let expected = r#"# Automatic reply, written by Konbit: changes made here are lost.
require ["vacation", "envelope", "date", "relational"];

if allof (not anyof (exists "list-id",
                exists "list-unsubscribe",
                header :contains "precedence" ["bulk", "list", "junk"],
                allof (exists "auto-submitted", not header :is "auto-submitted" "no"),
                envelope :is "from" ""),
          currentdate :value "ge" "date" "2026-07-01",
          currentdate :value "le" "date" "2026-07-31") {
  vacation :days 1
    :subject "Away: \"back\" on Monday \\o/"
    :addresses ["ada@example.org", "info@xn--caf-dma.example"]
    text:
Hello,

I am away until Monday.
..
...and a line with dots

Ada
.
;
}
"#;
        assert_eq!(vacation_sieve(&a, &addresses), expected);
    }

    #[test]
    fn sieve_without_dates_subject_or_addresses() {
        let a = parse_autoreply("", "Away.", "", "").unwrap();
        let s = vacation_sieve(&a, &[]);
        assert!(s.contains("require [\"vacation\", \"envelope\"];"));
        assert!(!s.contains("currentdate") && !s.contains(":subject"));
        assert!(!s.contains(":addresses"));
        assert!(s.ends_with("  vacation :days 1\n    text:\nAway.\n.\n;\n}\n"));
        let only_end = parse_autoreply("", "Away.", "", "2026-01-02").unwrap();
        let s = vacation_sieve(&only_end, &[]);
        assert!(s.contains("currentdate :value \"le\" \"date\" \"2026-01-02\""));
        assert!(!s.contains("\"ge\""));
    }

    /// What a Sieve reader sees: words (identifiers, tags, numbers,
    /// punctuation), quoted strings and multi-line strings, decoded.
    #[derive(Debug, Clone, PartialEq)]
    enum Tok {
        Word(String),
        Str(String),
        Text(String),
    }

    /// A small Sieve tokenizer after RFC 5228 §2.4 (comments, quoted
    /// strings with `\` escapes, dot-stuffed multi-line strings), enough to
    /// check where every string starts and ends.
    fn tokenize(src: &str) -> Result<Vec<Tok>, String> {
        let mut toks = Vec::new();
        let mut rest = src;
        while let Some(c) = rest.chars().next() {
            if c.is_whitespace() {
                rest = &rest[c.len_utf8()..];
            } else if c == '#' {
                rest = rest.split_once('\n').map_or("", |(_, r)| r);
            } else if let Some(r) = rest.strip_prefix("/*") {
                rest = r.split_once("*/").ok_or("open comment")?.1;
            } else if c == '"' {
                let mut s = String::new();
                let mut chars = rest[1..].char_indices();
                let end = loop {
                    match chars.next() {
                        None => return Err("open string".into()),
                        Some((i, '"')) => break i + 2,
                        Some((_, '\\')) => s.push(chars.next().ok_or("open escape")?.1),
                        Some((_, ch)) => s.push(ch),
                    }
                };
                toks.push(Tok::Str(s));
                rest = &rest[end..];
            } else if let Some(r) = rest.strip_prefix("text:") {
                let (head, mut body) = r.split_once('\n').ok_or("text: without line")?;
                if !head.trim().is_empty() && !head.trim_start().starts_with('#') {
                    return Err("text: followed by something".into());
                }
                let mut lines = Vec::new();
                loop {
                    let (line, after) = body.split_once('\n').ok_or("open text")?;
                    body = after;
                    if line == "." {
                        break;
                    }
                    lines.push(line.strip_prefix('.').unwrap_or(line));
                }
                toks.push(Tok::Text(lines.join("\n")));
                rest = body;
            } else if c == ':' || c.is_ascii_alphanumeric() || c == '_' {
                let len = rest[1..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .map_or(rest.len(), |n| n + 1);
                toks.push(Tok::Word(rest[..len].to_owned()));
                rest = &rest[len..];
            } else if "[](){},;".contains(c) {
                toks.push(Tok::Word(c.to_string()));
                rest = &rest[1..];
            } else {
                return Err(format!("unexpected {c:?}"));
            }
        }
        Ok(toks)
    }

    fn skeleton(toks: &[Tok]) -> Vec<Tok> {
        toks.iter()
            .map(|t| match t {
                Tok::Word(w) => Tok::Word(w.clone()),
                Tok::Str(_) => Tok::Str(String::new()),
                Tok::Text(_) => Tok::Text(String::new()),
            })
            .collect()
    }

    #[test]
    fn tokenizer_reads_the_snapshot_shapes() {
        let t = tokenize("a :b \"c\\\"d\" # x\n text: # y\n..e\n.\n;").unwrap();
        assert_eq!(
            t,
            vec![
                Tok::Word("a".into()),
                Tok::Word(":b".into()),
                Tok::Str("c\"d".into()),
                Tok::Text(".e".into()),
                Tok::Word(";".into()),
            ]
        );
        assert!(tokenize("\"open").is_err());
        assert!(tokenize("text:\nno end\n").is_err());
    }

    fn nasty() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,300}",
            ".{0,200}",
            "([\"\\\\ .;{}:#*/a\\n]|text:|\\n\\.\\n|\\.\\r\\n|\\}\\s*discard;|\\$\\{hex:41\\}){0,40}",
        ]
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in nasty(), b in nasty(), start in ".{0,12}", end in "[0-9-]{0,12}") {
            let _ = parse_autoreply(&s, &b, &start, &end);
        }

        #[test]
        fn user_text_stays_inside_its_strings(subject in nasty(), body in nasty(), dates in any::<bool>()) {
            let (start, end) = if dates { ("2026-07-01", "2026-07-31") } else { ("", "") };
            let Ok(a) = parse_autoreply(&subject, &body, start, end) else {
                return Ok(());
            };
            let addresses = [MailAddress::parse("a", "ada@example.org").unwrap()];
            let script = vacation_sieve(&a, &addresses);
            let toks = tokenize(&script).map_err(TestCaseError::fail)?;
            // The same commands and tests as with harmless text…
            let plain_subject = if a.subject().is_empty() { "" } else { "s" };
            let plain = parse_autoreply(plain_subject, "b", start, end).unwrap();
            let reference = tokenize(&vacation_sieve(&plain, &addresses)).map_err(TestCaseError::fail)?;
            prop_assert_eq!(skeleton(&toks), skeleton(&reference));
            // …and the strings hold exactly the text given.
            let texts: Vec<&Tok> = toks.iter().filter(|t| matches!(t, Tok::Text(_))).collect();
            let expected = Tok::Text(a.body().to_owned());
            prop_assert_eq!(texts, vec![&expected]);
            if !a.subject().is_empty() {
                let at = toks.iter().position(|t| *t == Tok::Word(":subject".into()));
                let value = at.and_then(|i| toks.get(i + 1));
                prop_assert_eq!(value, Some(&Tok::Str(a.subject().to_owned())));
            }
        }
    }
}
