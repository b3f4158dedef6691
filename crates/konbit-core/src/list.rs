//! Mailing lists as Konbit models them, before Mailman sees them: a name on
//! one of the account's mail domains, the addresses the list takes there,
//! the settings a group needs, and pasted subscriber lists.
//!
//! Everything here is pure. A [`ListName`] holds only lowercase letters,
//! digits, `-`, `_` and inner dots, so a list address can be routed by
//! Postfix and named in Mailman's REST paths without escaping.

use crate::error::{FieldError, Rule};
use crate::mail::LocalPart;
use crate::names::EmailAddress;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The addresses Mailman answers beside the list's own, as `<name>-<suffix>`.
pub const LIST_SUFFIXES: [&str; 8] = [
    "bounces",
    "confirm",
    "join",
    "leave",
    "owner",
    "request",
    "subscribe",
    "unsubscribe",
];

/// Names a list may not take: the addresses RFC 2142 and mail servers
/// keep for people, whatever the domain.
const RESERVED: [&str; 6] = [
    "postmaster",
    "abuse",
    "mailer-daemon",
    "hostmaster",
    "webmaster",
    "root",
];

/// A list's name, the part before `@`: 1 to 40 lowercase letters, digits,
/// `-`, `_` and `.`, starting and ending with a letter or a digit, with no
/// two dots in a row. Forty leaves room for `-unsubscribe` within the 64
/// octets of a local part. A name ending in one of [`LIST_SUFFIXES`] is
/// refused: its address is another list's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ListName(String);

impl ListName {
    pub const MAX: usize = 40;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        if s.len() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let ok = edge(s.bytes().next())
            && edge(s.bytes().last())
            && !s.contains("..")
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
        if !ok {
            return Err(FieldError::new(field, Rule::ListNameFormat));
        }
        if RESERVED.contains(&s.as_str())
            || LIST_SUFFIXES
                .iter()
                .any(|suffix| s.strip_suffix(suffix).is_some_and(|b| b.ends_with('-')))
        {
            return Err(FieldError::new(field, Rule::Reserved));
        }
        Ok(Self(s))
    }

    /// A name read back from the store or from Mailman, checked again.
    pub fn parse_existing(s: &str) -> Result<Self, String> {
        Self::parse("name", s)
            .ok()
            .filter(|n| n.0 == s)
            .ok_or_else(|| format!("{s:?} is not a list name Konbit makes"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every local part the list takes on its domain: its own and the
    /// [`LIST_SUFFIXES`] ones. A mailbox or an alias may take none of them.
    pub fn local_parts(&self) -> Vec<String> {
        std::iter::once(self.0.clone())
            .chain(LIST_SUFFIXES.iter().map(|s| format!("{}-{s}", self.0)))
            .collect()
    }
}

impl fmt::Display for ListName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The list names whose addresses would include `local`: the local part
/// itself and, for `<name>-<suffix>`, that name. A mailbox or alias at
/// `local` clashes with a list of one of these names on the same domain.
pub fn names_taking(local: &LocalPart) -> Vec<String> {
    let local = local.as_str();
    let mut names = vec![local.to_owned()];
    for suffix in LIST_SUFFIXES {
        if let Some(base) = local
            .strip_suffix(suffix)
            .and_then(|b| b.strip_suffix('-'))
            .filter(|b| !b.is_empty())
        {
            names.push(base.to_owned());
        }
    }
    names
}

/// Who may join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionPolicy {
    /// Anyone, at once (still confirmed when they ask by themselves).
    Open,
    /// Anyone who confirms from their mailbox.
    #[default]
    Confirm,
    /// Confirmed, then approved by a moderator.
    Moderate,
}

/// Who may post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PostingPolicy {
    /// Subscribers; others' posts wait for a moderator.
    #[default]
    Members,
    /// Anyone (a public discussion address).
    Anyone,
    /// Every post waits for a moderator (an announcement list).
    Moderated,
}

/// Where replies go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(tag = "mode", content = "address", rename_all = "snake_case")]
pub enum ReplyTo {
    /// To the author, as the message says.
    #[default]
    Author,
    /// To the whole list.
    List,
    /// To one other address.
    Address(EmailAddress),
}

/// The language of Mailman's own messages for the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ListLanguage {
    #[default]
    Fr,
    En,
}

impl ListLanguage {
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }
}

/// What a group chooses for its list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListSettings {
    /// One line, shown on the public page.
    pub description: ListDescription,
    pub subscription: SubscriptionPolicy,
    pub posting: PostingPolicy,
    pub reply_to: ReplyTo,
    /// Rewrite `From:` to the list for every post, so that mail from
    /// domains with a strict DMARC policy is not refused downstream.
    pub munge_from: bool,
    /// Keep posts in the list's archive.
    pub archives: bool,
    /// Offer subscribers a digest.
    pub digest: bool,
    pub language: ListLanguage,
}

impl Default for ListSettings {
    fn default() -> Self {
        Self {
            description: ListDescription::default(),
            subscription: SubscriptionPolicy::default(),
            posting: PostingPolicy::default(),
            reply_to: ReplyTo::default(),
            munge_from: true,
            archives: true,
            digest: false,
            language: ListLanguage::default(),
        }
    }
}

/// A list's one-line description: up to 200 characters, no control
/// characters (so no newline reaches a mail header Mailman writes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct ListDescription(String);

impl ListDescription {
    pub const MAX: usize = 200;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(field, Rule::ControlCharacter));
        }
        let s = raw.trim();
        if s.chars().count() > Self::MAX {
            return Err(FieldError::new(field, Rule::TooLong { max: Self::MAX }));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most lines one paste of subscribers may hold.
pub const MAX_PASTED_LINES: usize = 1000;

/// One subscriber of a paste: an address and maybe a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastedSubscriber {
    pub address: EmailAddress,
    pub display_name: Option<String>,
}

/// A line of a paste that was not an address, numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasteError {
    pub line: usize,
    pub error: FieldError,
}

/// Reads pasted subscribers, one per line: `alice@example.org`, or
/// `Alice Martin <alice@example.org>`. Blank lines are skipped and an
/// address given twice counts once. Each bad line is reported with its
/// number and the good ones are kept, so nothing typed is lost silently.
/// A paste of more than [`MAX_PASTED_LINES`] lines is refused whole.
pub fn parse_pasted_subscribers(
    field: &'static str,
    raw: &str,
) -> Result<(Vec<PastedSubscriber>, Vec<PasteError>), FieldError> {
    let lines: Vec<&str> = raw.lines().collect();
    if lines.len() > MAX_PASTED_LINES {
        return Err(FieldError::new(
            field,
            Rule::TooMany {
                max: MAX_PASTED_LINES,
            },
        ));
    }
    let mut good: Vec<PastedSubscriber> = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parse_subscriber_line(field, line) {
            Ok(s) => {
                if !good.iter().any(|g| g.address == s.address) {
                    good.push(s);
                }
            }
            Err(error) => bad.push(PasteError { line: i + 1, error }),
        }
    }
    Ok((good, bad))
}

fn parse_subscriber_line(field: &'static str, line: &str) -> Result<PastedSubscriber, FieldError> {
    let (name, address) = match line.rsplit_once('<') {
        Some((name, rest)) => {
            let address = rest
                .strip_suffix('>')
                .ok_or_else(|| FieldError::new(field, Rule::EmailFormat))?;
            (Some(name.trim().trim_matches('"').trim()), address)
        }
        None => (None, line),
    };
    let address = EmailAddress::parse(field, address)?;
    let display_name = match name {
        Some(n) if !n.is_empty() => {
            if n.chars()
                .any(|c| c.is_control() || matches!(c, '<' | '>' | '"'))
            {
                return Err(FieldError::new(field, Rule::UnsafeCharacter));
            }
            if n.chars().count() > 100 {
                return Err(FieldError::new(field, Rule::TooLong { max: 100 }));
            }
            Some(n.to_owned())
        }
        _ => None,
    };
    Ok(PastedSubscriber {
        address,
        display_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(r: Result<ListName, FieldError>) -> Rule {
        r.err().map(|e| e.rule).unwrap_or(Rule::Required)
    }

    #[test]
    fn names_are_plain_and_lowercased() {
        assert_eq!(ListName::parse("name", " Team ").unwrap().as_str(), "team");
        assert_eq!(
            ListName::parse("name", "a.b-c_d9").unwrap().as_str(),
            "a.b-c_d9"
        );
        for bad in [
            "-team", "team-", ".team", "a..b", "te am", "té", "a+b", "a@b", "a/b",
        ] {
            assert_eq!(
                rule(ListName::parse("name", bad)),
                Rule::ListNameFormat,
                "{bad}"
            );
        }
        assert_eq!(
            rule(ListName::parse("name", "a\nb")),
            Rule::ControlCharacter
        );
        assert_eq!(
            rule(ListName::parse("name", &"a".repeat(41))),
            Rule::TooLong { max: 40 }
        );
        assert_eq!(rule(ListName::parse("name", "")), Rule::Required);
    }

    #[test]
    fn names_that_are_other_addresses_are_reserved() {
        for bad in [
            "postmaster",
            "abuse",
            "team-bounces",
            "team-request",
            "x-owner",
        ] {
            assert_eq!(rule(ListName::parse("name", bad)), Rule::Reserved, "{bad}");
        }
        // A suffix word alone or glued on is an ordinary name.
        for ok in ["owner", "bounces", "teamowner", "team_owner"] {
            assert!(ListName::parse("name", ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_list_takes_its_address_and_mailmans_ones() {
        let n = ListName::parse("name", "team").unwrap();
        let parts = n.local_parts();
        assert_eq!(parts.len(), 9);
        assert!(parts.contains(&"team".to_owned()));
        assert!(parts.contains(&"team-unsubscribe".to_owned()));
        // Every one is a valid local part of at most 64 octets.
        let long = ListName::parse("name", &"a".repeat(40)).unwrap();
        for p in long.local_parts() {
            LocalPart::parse("address", &p).unwrap();
        }
    }

    #[test]
    fn a_local_part_names_the_lists_it_would_clash_with() {
        let lp = |s| LocalPart::parse("address", s).unwrap();
        assert_eq!(names_taking(&lp("team")), vec!["team"]);
        assert_eq!(
            names_taking(&lp("team-bounces")),
            vec!["team-bounces", "team"]
        );
        assert_eq!(names_taking(&lp("-owner")), vec!["-owner"]);
    }

    #[test]
    fn pasted_subscribers_keep_the_good_lines_and_number_the_bad() {
        let raw = "alice@example.org\n\n  Bob Martin <BOB@example.org>\nnot an address\n\
                   \"Chloé\" <chloe@example.org>\nalice@example.org\nx <y>\n";
        let (good, bad) = parse_pasted_subscribers("subscribers", raw).unwrap();
        let addresses: Vec<&str> = good.iter().map(|g| g.address.as_str()).collect();
        assert_eq!(
            addresses,
            ["alice@example.org", "bob@example.org", "chloe@example.org"]
        );
        assert_eq!(good[1].display_name.as_deref(), Some("Bob Martin"));
        assert_eq!(good[2].display_name.as_deref(), Some("Chloé"));
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![4, 7]);
        let too_many = "a@example.org\n".repeat(MAX_PASTED_LINES + 1);
        assert!(parse_pasted_subscribers("subscribers", &too_many).is_err());
    }

    #[test]
    fn descriptions_are_one_line() {
        assert!(ListDescription::parse("description", "Les nouvelles du quartier").is_ok());
        assert_eq!(
            ListDescription::parse("description", "a\nBcc: x@y")
                .unwrap_err()
                .rule,
            Rule::ControlCharacter
        );
        assert!(ListDescription::parse("description", &"é".repeat(200)).is_ok());
        assert!(ListDescription::parse("description", &"é".repeat(201)).is_err());
    }

    proptest! {
        #[test]
        fn whatever_name_is_accepted_is_routable_and_path_safe(raw in "\\PC{0,50}") {
            if let Ok(n) = ListName::parse("name", &raw) {
                prop_assert!(n.as_str().len() <= ListName::MAX);
                prop_assert!(n.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)));
                for p in n.local_parts() {
                    prop_assert!(LocalPart::parse("address", &p).is_ok());
                }
                prop_assert_eq!(ListName::parse_existing(n.as_str()).ok(), Some(n.clone()));
            }
        }

        #[test]
        fn pasted_display_names_never_carry_a_header_break(raw in "\\PC{0,80}") {
            let line = format!("{raw} <a@example.org>");
            if let Ok((good, _)) = parse_pasted_subscribers("subscribers", &line) {
                for g in good {
                    if let Some(n) = g.display_name {
                        prop_assert!(!n.chars().any(|c| c.is_control() || c == '<' || c == '>' || c == '"'));
                    }
                }
            }
        }
    }
}
