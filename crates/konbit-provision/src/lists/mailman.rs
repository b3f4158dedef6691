//! A client for Mailman 3 core's REST API, version 3.1, as Konbit uses it:
//! domains, lists, their settings, owners, moderators, members, held
//! messages and pending subscription requests. Checked against Debian's
//! Mailman 3.3.8.
//!
//! - Plain HTTP on loopback with basic authentication (`[webservice]
//!   admin_user`/`admin_pass`); every request has a 10 s time limit, no
//!   proxy and no redirect. Bodies are JSON (Mailman reads JSON and form
//!   bodies alike); a body over 16 MiB is refused.
//! - Member ids are 32 lowercase hex digits in API 3.1 (integers in 3.0,
//!   which this client does not speak); subscription request tokens are
//!   hex too; held messages have integer request ids.
//! - URL paths are built only from validated [`MailHost`]s, [`ListId`]s,
//!   [`MemberId`]s, [`RequestToken`]s and request numbers, one
//!   percent-encoded segment each. Addresses never go into a URL: members
//!   are looked up with `POST /members/find` (a JSON body, which also keeps
//!   them out of Mailman's access log) and removed with
//!   `DELETE /lists/{id}/roster/member` and `{"emails": [...]}`.
//! - `/members/find` treats a `*` in the address as a wildcard (SQL `LIKE`,
//!   also over display names) and matches users' preferred addresses too:
//!   addresses with `*` are refused here and results are filtered on the
//!   exact address.
//! - Mailman answers errors as `{"title": "400 Bad Request", "description":
//!   "…"}`; the description is kept as [`MailmanError::BadRequest`] or
//!   [`MailmanError::Conflict`]. Its messages are not always helpful: an
//!   invalid address gives `Invalid Parameter "subscriber": .`, an unknown
//!   language `Unexpected parameters: preferred_language`.
//! - Mailman accepts any `mail_host` (even `bad host`), any
//!   `reply_to_address` and line breaks in `display_name`: domains are
//!   checked here, addresses for an inner `@` and no space or control
//!   character, one-line fields for control characters. An address
//!   without `@` is refused here because Mailman would read 32 hex digits
//!   as a user id.
//! - Idempotence is Mailman's answers: an existing domain is a 400
//!   `Duplicate email host: …`, an existing list a 400 `Mailing list
//!   exists`, an existing owner or moderator a 400 `… is already an owner
//!   of …` (not a 409); a member already subscribed is a 409 `Member
//!   already subscribed`, one waiting a 409 `Subscription request already
//!   pending`. The roster `DELETE` answers `{"<address>": true|false}` and
//!   compares the stored address, which Mailman lowercases, exactly; it
//!   unsubscribes at once and sends no goodbye.
//! - Rejecting a held message takes its text as `comment`, rejecting a
//!   subscription request as `reason` (the other name is a 400
//!   `Unexpected parameters`).
//! - Deleting a Mailman domain deletes every list in it, so
//!   [`MailmanClient::remove_domain_if_empty`] only deletes a domain that
//!   has no list left (checked just before; the provisioner is serial).
//! - Collections are `{"start", "total_size", "entries"}`, with no
//!   `entries` key when empty; `count` without `page` is a 500, so both are
//!   always sent.
//! - The password is never in an error or in `Debug` output.

use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// How long one request may take, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest response body read.
const MAX_BODY: usize = 16 << 20;
/// Page size when a method reads a whole collection.
const FULL_PAGE: u32 = 200;
/// At most this many pages are read for a whole collection.
const MAX_PAGES: u32 = 10_000;
/// The API version this client speaks, the last segment of the base URL.
const API_VERSION: &str = "3.1";

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailmanError {
    /// Mailman cannot be reached or did not answer in time (down,
    /// starting): try again later.
    #[error("Mailman cannot be reached: {0}")]
    Unreachable(String),
    /// Mailman failed with a 5xx (a bug, a locked database): may pass on a
    /// retry.
    #[error("Mailman failed ({status}): {message}")]
    Server { status: u16, message: String },
    /// The list, domain, member or request does not exist (404).
    #[error("not found in Mailman: {0}")]
    NotFound(String),
    /// Mailman refused the request (400), with its own message.
    #[error("Mailman refused: {0}")]
    BadRequest(String),
    /// Mailman refused the request as a conflict (409), with its own
    /// message, e.g. `Member already subscribed`.
    #[error("Mailman refused: {0}")]
    Conflict(String),
    /// Mailman refused the REST credentials (401).
    #[error("Mailman refused the REST credentials")]
    Unauthorized,
    /// Refused before anything was sent: a malformed id, address or value.
    #[error("{0}")]
    Invalid(String),
    /// Mailman answered something this client does not understand.
    #[error("unexpected answer from Mailman: {0}")]
    Protocol(String),
}

impl MailmanError {
    /// Whether the same request may succeed later without any change.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Server { .. })
    }

    /// Mailman's own message for a refusal (400, 409).
    pub fn mailman_message(&self) -> Option<&str> {
        match self {
            Self::BadRequest(m) | Self::Conflict(m) => Some(m),
            _ => None,
        }
    }
}

type Result<T, E = MailmanError> = std::result::Result<T, E>;

fn invalid(what: &str, value: &str) -> MailmanError {
    MailmanError::Invalid(format!("{what} {value:?} is not valid"))
}

// ---------------------------------------------------------------------------
// Names and ids that go into URL paths
// ---------------------------------------------------------------------------

/// A mail domain: lowercase DNS labels (letters, digits, `-`, at most 63
/// octets each, not starting or ending with `-`), at least two of them,
/// at most 253 octets. Internationalized names come as A-labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MailHost(String);

impl MailHost {
    /// Checks `raw` (case is folded).
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if s.len() > 253 || s.split('.').count() < 2 || !s.split('.').all(label_ok) {
            return Err(invalid("mail domain", raw));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MailHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `s` is a list name Mailman and Konbit both take: 1 to 64
/// lowercase letters, digits, `-`, `_`, `.`, starting and ending with a
/// letter or digit, no `..`.
fn list_name_ok(s: &str) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    !s.is_empty()
        && s.len() <= 64
        && edge(s.bytes().next())
        && edge(s.bytes().last())
        && !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

/// A list's posting address, `name@mail_host`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListAddress {
    name: String,
    host: MailHost,
}

impl ListAddress {
    /// Checks the name (see [`ListId`]; case is folded, as Mailman does).
    pub fn new(name: &str, host: &MailHost) -> Result<Self> {
        let lower = name.to_ascii_lowercase();
        if !list_name_ok(&lower) {
            return Err(invalid("list name", name));
        }
        Ok(Self {
            name: lower,
            host: host.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn host(&self) -> &MailHost {
        &self.host
    }

    /// Mailman's id for the list: `name.mail_host`.
    pub fn list_id(&self) -> ListId {
        ListId(format!("{}.{}", self.name, self.host))
    }

    /// `name@mail_host`, Mailman's `fqdn_listname`.
    pub fn fqdn(&self) -> String {
        format!("{}@{}", self.name, self.host)
    }
}

impl fmt::Display for ListAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.host)
    }
}

/// Mailman's id of a list, `name.mail_host` (the list's `List-Id`):
/// lowercase letters, digits, `-`, `_` and dots, with at least one dot, no
/// `..`, starting and ending with a letter or digit, at most 318 octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ListId(String);

impl ListId {
    /// Checks an id read back (from the store or from Mailman).
    pub fn parse(s: &str) -> Result<Self> {
        if s.len() <= 318 && s.contains('.') && list_name_ok_long(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(invalid("list id", s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// [`list_name_ok`] without the length limit of a name.
fn list_name_ok_long(s: &str) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    edge(s.bytes().next())
        && edge(s.bytes().last())
        && !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

impl TryFrom<String> for ListId {
    type Error = MailmanError;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<ListId> for String {
    fn from(id: ListId) -> Self {
        id.0
    }
}

impl fmt::Display for ListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks `s` is 1 to `max` lowercase hex digits.
fn hex_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A membership's id: 32 lowercase hex digits (a UUID, API 3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberId(String);

impl MemberId {
    pub fn parse(s: &str) -> Result<Self> {
        if s.len() == 32 && hex_ok(s, 32) {
            Ok(Self(s.to_owned()))
        } else {
            Err(invalid("member id", s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MemberId {
    type Error = MailmanError;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<MemberId> for String {
    fn from(id: MemberId) -> Self {
        id.0
    }
}

/// A pending request's token (40 lowercase hex digits in Mailman 3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestToken(String);

impl RequestToken {
    pub fn parse(s: &str) -> Result<Self> {
        if hex_ok(s, 128) {
            Ok(Self(s.to_owned()))
        } else {
            Err(invalid("request token", s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RequestToken {
    type Error = MailmanError;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<RequestToken> for String {
    fn from(t: RequestToken) -> Self {
        t.0
    }
}

/// Checks a value a member typed that goes into a one-line field (never
/// into a URL): no control character.
fn one_line(field: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(MailmanError::Invalid(format!(
            "{field} may not contain control characters or line breaks"
        )));
    }
    Ok(())
}

/// Checks an address before it is sent: not empty, at most 254 octets, an
/// `@` inside, no space or control character. Mailman judges the rest
/// (and answers `Invalid Parameter "subscriber": .`). Without an `@`,
/// Mailman would read 32 hex digits as a user id.
fn check_address(value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 254
        && value.contains('@')
        && !value.starts_with('@')
        && !value.ends_with('@')
        && !value.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(invalid("address", value))
    }
}

// ---------------------------------------------------------------------------
// What Mailman holds
// ---------------------------------------------------------------------------

/// The outcome of an idempotent creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    Created,
    /// It was already there (and is left as it was).
    Existed,
}

/// The outcome of [`MailmanClient::remove_domain_if_empty`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainRemoval {
    Removed,
    /// There was no such domain.
    Absent,
    /// The domain still has this many lists, and is kept.
    NotEmpty(usize),
}

/// A list as `GET /lists/{list_id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MailingList {
    pub list_id: ListId,
    /// `name@mail_host`.
    pub fqdn_listname: String,
    pub list_name: String,
    pub mail_host: String,
    pub display_name: String,
    pub description: String,
    /// Regular members only (not owners or moderators).
    pub member_count: u64,
    pub advertised: bool,
    pub volume: u64,
}

/// `subscription_policy`: how someone joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionPolicy {
    /// At once.
    Open,
    /// After confirming from their mailbox (Mailman's default).
    Confirm,
    /// After a moderator approves.
    Moderate,
    /// After confirming, then a moderator's approval.
    ConfirmThenModerate,
}

/// A moderation action: `default_member_action`,
/// `default_nonmember_action`, a member's `moderation_action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Post at once.
    Accept,
    /// Hold for a moderator.
    Hold,
    /// Refuse with a notice to the sender.
    Reject,
    /// Drop silently.
    Discard,
    /// Go on with the other rules (for members: post; Mailman's default
    /// for members).
    Defer,
}

/// `reply_goes_to_list`: what happens to `Reply-To:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyGoesToList {
    /// Left as the author sent it (Mailman's default).
    NoMunging,
    /// The list's address is added.
    PointToList,
    /// Set to `reply_to_address`.
    ExplicitHeader,
    /// Set to `reply_to_address`, and the list is removed from `Cc:`.
    ExplicitHeaderOnly,
}

/// `dmarc_mitigate_action`: what happens to posts from domains with a
/// DMARC policy (all posts with `dmarc_mitigate_unconditionally`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DmarcMitigation {
    /// Mailman's default.
    NoMitigation,
    /// `From:` becomes the list, the author goes to `Reply-To:`/`Cc:`.
    MungeFrom,
    /// The post is wrapped in a message from the list.
    WrapMessage,
    Reject,
    Discard,
}

/// `archive_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchivePolicy {
    Never,
    Private,
    /// Mailman's default.
    Public,
}

/// `digest_volume_frequency`: when a new digest volume starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestFrequency {
    Yearly,
    /// Mailman's default.
    Monthly,
    Quarterly,
    Weekly,
    Daily,
}

/// The settings of a list a group chooses, as `/lists/{id}/config` names
/// them. Read with [`MailmanClient::settings`]; written whole with
/// [`MailmanClient::set_settings`] or in part with
/// [`MailmanClient::update_settings`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListSettings {
    /// The list's name in `From:` and pages (created from the name, e.g.
    /// `Team` for `team`).
    pub display_name: String,
    /// One line (Mailman refuses line breaks).
    pub description: String,
    /// Prepended to subjects (`[Team] ` at creation; not updated when
    /// `display_name` changes).
    pub subject_prefix: String,
    pub subscription_policy: SubscriptionPolicy,
    /// What happens to members' posts (default `defer`: posted).
    pub default_member_action: Action,
    /// What happens to others' posts (default `hold`).
    pub default_nonmember_action: Action,
    pub reply_goes_to_list: ReplyGoesToList,
    /// For the `explicit_header*` modes; Mailman does not check it.
    pub reply_to_address: String,
    pub dmarc_mitigate_action: DmarcMitigation,
    pub dmarc_mitigate_unconditionally: bool,
    pub archive_policy: ArchivePolicy,
    /// Whether members may choose digests (default true).
    pub digests_enabled: bool,
    /// A digest is sent once it reaches this many KB (default 30).
    pub digest_size_threshold: f64,
    /// Whether a digest is also sent periodically (default true).
    pub digest_send_periodic: bool,
    pub digest_volume_frequency: DigestFrequency,
    /// A language code Mailman knows (`en`, `fr`, ...).
    pub preferred_language: String,
    /// Shown in the public list of lists.
    pub advertised: bool,
    pub send_welcome_message: bool,
}

/// Some of [`ListSettings`]: only the fields that are set are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ListSettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_policy: Option<SubscriptionPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_member_action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_nonmember_action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_goes_to_list: Option<ReplyGoesToList>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dmarc_mitigate_action: Option<DmarcMitigation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dmarc_mitigate_unconditionally: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_policy: Option<ArchivePolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digests_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_size_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_send_periodic: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_volume_frequency: Option<DigestFrequency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertised: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_welcome_message: Option<bool>,
}

impl From<ListSettings> for ListSettingsPatch {
    fn from(s: ListSettings) -> Self {
        Self {
            display_name: Some(s.display_name),
            description: Some(s.description),
            subject_prefix: Some(s.subject_prefix),
            subscription_policy: Some(s.subscription_policy),
            default_member_action: Some(s.default_member_action),
            default_nonmember_action: Some(s.default_nonmember_action),
            reply_goes_to_list: Some(s.reply_goes_to_list),
            reply_to_address: Some(s.reply_to_address),
            dmarc_mitigate_action: Some(s.dmarc_mitigate_action),
            dmarc_mitigate_unconditionally: Some(s.dmarc_mitigate_unconditionally),
            archive_policy: Some(s.archive_policy),
            digests_enabled: Some(s.digests_enabled),
            digest_size_threshold: Some(s.digest_size_threshold),
            digest_send_periodic: Some(s.digest_send_periodic),
            digest_volume_frequency: Some(s.digest_volume_frequency),
            preferred_language: Some(s.preferred_language),
            advertised: Some(s.advertised),
            send_welcome_message: Some(s.send_welcome_message),
        }
    }
}

impl ListSettingsPatch {
    /// Checks what Mailman would take without complaint but should not.
    pub fn check(&self) -> Result<()> {
        for (field, value) in [
            ("display_name", &self.display_name),
            ("description", &self.description),
            ("subject_prefix", &self.subject_prefix),
            ("reply_to_address", &self.reply_to_address),
        ] {
            if let Some(v) = value {
                one_line(field, v)?;
            }
        }
        if let Some(a) = &self.reply_to_address
            && !a.is_empty()
        {
            check_address(a)?;
        }
        if let Some(t) = self.digest_size_threshold
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(MailmanError::Invalid(
                "digest_size_threshold must be a positive number".into(),
            ));
        }
        if let Some(l) = &self.preferred_language {
            let ok = (2..=10).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_');
            if !ok {
                return Err(invalid("language code", l));
            }
        }
        Ok(())
    }

    /// Whether it sets nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A role on a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Moderator,
    Member,
    /// Someone who posted without being a member (Mailman keeps them).
    Nonmember,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Moderator => "moderator",
            Self::Member => "member",
            Self::Nonmember => "nonmember",
        }
    }
}

/// A list's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffRole {
    Owner,
    Moderator,
}

impl From<StaffRole> for Role {
    fn from(r: StaffRole) -> Self {
        match r {
            StaffRole::Owner => Role::Owner,
            StaffRole::Moderator => Role::Moderator,
        }
    }
}

/// How a member receives posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    Regular,
    PlaintextDigests,
    MimeDigests,
    SummaryDigests,
}

/// A membership (any role), as the rosters and `/members/find` show it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Member {
    pub member_id: MemberId,
    pub list_id: ListId,
    /// Lowercased by Mailman.
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub delivery_mode: Option<DeliveryMode>,
    /// The member's own moderation action, when one is set.
    #[serde(default)]
    pub moderation_action: Option<Action>,
}

/// A page of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Page<T> {
    /// The index of the first entry, `(page - 1) * count`.
    pub start: u64,
    /// The size of the whole collection.
    pub total_size: u64,
    #[serde(default = "Vec::new")]
    pub entries: Vec<T>,
}

/// Which page to read: `count` entries (1 to 1000) from page `page`
/// (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub count: u32,
    pub page: u32,
}

impl PageRequest {
    fn query(self) -> Result<[(&'static str, String); 2]> {
        if !(1..=1000).contains(&self.count) || self.page == 0 {
            return Err(MailmanError::Invalid(format!(
                "page {} of {} is not a valid page",
                self.page, self.count
            )));
        }
        Ok([
            ("count", self.count.to_string()),
            ("page", self.page.to_string()),
        ])
    }
}

/// A member to subscribe. Mailman's defaults are all `false`: the address
/// must then be verified and confirmed by its owner, and approved if the
/// list is moderated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub address: String,
    pub display_name: Option<String>,
    /// The address is known to be its owner's.
    pub pre_verified: bool,
    /// The owner agreed to join.
    pub pre_confirmed: bool,
    /// A moderator approved.
    pub pre_approved: bool,
    /// `None`: as the list's `send_welcome_message` says.
    pub send_welcome_message: Option<bool>,
}

impl NewMember {
    /// A subscription with every check left to Mailman.
    pub fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            display_name: None,
            pre_verified: false,
            pre_confirmed: false,
            pre_approved: false,
            send_welcome_message: None,
        }
    }

    /// A subscription made by an owner: verified, confirmed, approved.
    pub fn by_owner(address: &str) -> Self {
        Self {
            pre_verified: true,
            pre_confirmed: true,
            pre_approved: true,
            ..Self::new(address)
        }
    }
}

/// Who must act on a pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenOwner {
    NoOne,
    /// The subscriber must confirm from their mailbox.
    Subscriber,
    /// A moderator must approve.
    Moderator,
}

/// What [`MailmanClient::add_member`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    /// Subscribed now (201).
    Subscribed(MemberId),
    /// Waiting for the subscriber or a moderator (202).
    Pending {
        token: RequestToken,
        token_owner: TokenOwner,
    },
}

/// A message held for moderation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HeldMessage {
    pub request_id: u64,
    /// The sender's address.
    #[serde(default)]
    pub sender: String,
    /// Decoded from RFC 2047 when possible.
    #[serde(default)]
    pub subject: String,
    /// The first reason (e.g. `The message is not from a list member`).
    #[serde(default)]
    pub reason: String,
    /// Every reason.
    #[serde(default)]
    pub moderation_reasons: Vec<String>,
    /// When it was held, ISO 8601 without a zone.
    #[serde(default)]
    pub hold_date: String,
    #[serde(default)]
    pub message_id: String,
    /// The whole message as text (headers and body, `\n` line ends);
    /// a stand-in when Mailman lost it.
    #[serde(default, rename = "msg")]
    pub message: Option<String>,
}

/// What to do with a held message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldAction {
    /// Post it.
    Accept,
    /// Refuse it with a notice to the sender, with this text (Mailman
    /// calls the field `comment` here).
    Reject { comment: Option<String> },
    /// Drop it silently.
    Discard,
    /// Leave it held.
    Defer,
}

/// A pending subscription request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionRequest {
    pub token: RequestToken,
    pub list_id: ListId,
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    /// When it was made, ISO 8601 without a zone.
    #[serde(default)]
    pub when: String,
    pub token_owner: TokenOwner,
}

/// What to do with a pending subscription request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestAction {
    /// Subscribe (the moderator's approval).
    Accept,
    /// Drop it with a notice to the subscriber, with this text (Mailman
    /// calls the field `reason` here).
    Reject { reason: Option<String> },
    /// Drop it silently.
    Discard,
}

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

/// Mailman's REST API. Cheap to clone.
#[derive(Clone)]
pub struct MailmanClient {
    http: reqwest::Client,
    base: Url,
    user: String,
    password: String,
}

impl fmt::Debug for MailmanClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailmanClient")
            .field("base", &self.base.as_str())
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A request body.
enum Body {
    None,
    Json(Value),
}

/// A successful answer.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|e| MailmanError::Protocol(format!("{what}: {e}")))
    }
}

impl MailmanClient {
    /// A client of the API at `base_url`, `http://HOST:PORT/3.1` (plain
    /// HTTP: Mailman listens on loopback). Connects only when used.
    pub fn new(base_url: &str, user: &str, password: &str) -> Result<Self> {
        let base = Url::parse(base_url)
            .map_err(|e| MailmanError::Invalid(format!("Mailman's REST URL is not valid: {e}")))?;
        if base.scheme() != "http"
            || base.host().is_none()
            || !base.username().is_empty()
            || base.password().is_some()
            || base.query().is_some()
            || base.fragment().is_some()
            || base.path().trim_end_matches('/').rsplit('/').next() != Some(API_VERSION)
        {
            return Err(MailmanError::Invalid(format!(
                "Mailman's REST URL must be http://HOST:PORT/{API_VERSION}, without credentials"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(2)
            .build()
            .map_err(|e| MailmanError::Invalid(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }

    /// The URL of `segments` below the base, each one percent-encoded as
    /// a single segment, with `query`.
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Url> {
        build_url(&self.base, segments, query)
    }

    /// Sends one request; a 2xx answer is returned, anything else is an
    /// error. `what` names the request in errors.
    async fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Body,
    ) -> Result<Answer> {
        let url = self.url(segments, query)?;
        let what = format!("{method} {}", segments.join("/"));
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(&self.user, Some(&self.password));
        if let Body::Json(value) = &body {
            request = request.json(value);
        }
        let mut response = request.send().await.map_err(|e| transport(&what, e))?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&what, e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(MailmanError::Protocol(format!(
                    "{what}: answer over {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok(Answer {
                status,
                location,
                body,
            });
        }
        let message = error_message(&body);
        Err(match status {
            StatusCode::UNAUTHORIZED => MailmanError::Unauthorized,
            StatusCode::NOT_FOUND => MailmanError::NotFound(what),
            StatusCode::BAD_REQUEST => MailmanError::BadRequest(message),
            StatusCode::CONFLICT => MailmanError::Conflict(message),
            s if s.is_server_error() => MailmanError::Server {
                status: s.as_u16(),
                message,
            },
            s => MailmanError::Protocol(format!("{what}: status {s}: {message}")),
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<T> {
        let answer = self.send(Method::GET, segments, query, Body::None).await?;
        answer.json(&segments.join("/"))
    }

    /// `None` on a 404.
    async fn get_optional<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<Option<T>> {
        match self.get(segments, &[]).await {
            Ok(v) => Ok(Some(v)),
            Err(MailmanError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every entry of a paginated collection.
    async fn get_all<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<Vec<T>> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let query = PageRequest {
                count: FULL_PAGE,
                page,
            }
            .query()?;
            let p: Page<T> = self.get(segments, &query).await?;
            let done = p.entries.is_empty();
            all.extend(p.entries);
            if done || all.len() as u64 >= p.total_size {
                return Ok(all);
            }
        }
        Err(MailmanError::Protocol(format!(
            "{}: more than {MAX_PAGES} pages",
            segments.join("/")
        )))
    }

    /// Mailman's version, e.g. `GNU Mailman 3.3.8 (Tom Sawyer)`: a cheap
    /// check that Mailman answers and takes the credentials.
    pub async fn version(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct Versions {
            mailman_version: String,
        }
        let v: Versions = self.get(&["system", "versions"], &[]).await?;
        Ok(v.mailman_version)
    }

    // --- domains ---------------------------------------------------------

    /// Creates the mail domain unless it exists.
    pub async fn ensure_domain(&self, host: &MailHost) -> Result<Ensured> {
        let path = ["domains", host.as_str()];
        if self.get_optional::<Value>(&path).await?.is_some() {
            return Ok(Ensured::Existed);
        }
        let body = json!({ "mail_host": host.as_str() });
        match self
            .send(Method::POST, &["domains"], &[], Body::Json(body))
            .await
        {
            Ok(_) => Ok(Ensured::Created),
            // "Duplicate email host: …": made meanwhile.
            Err(e @ MailmanError::BadRequest(_)) => {
                match self.get_optional::<Value>(&path).await? {
                    Some(_) => Ok(Ensured::Existed),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The ids of the domain's lists (none when the domain does not exist).
    pub async fn domain_list_ids(&self, host: &MailHost) -> Result<Vec<ListId>> {
        match self
            .get_all::<MailingList>(&["domains", host.as_str(), "lists"])
            .await
        {
            Ok(lists) => Ok(lists.into_iter().map(|l| l.list_id).collect()),
            Err(MailmanError::NotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Deletes the mail domain if it has no list. Mailman would delete a
    /// domain's lists with it: a domain with lists is kept.
    pub async fn remove_domain_if_empty(&self, host: &MailHost) -> Result<DomainRemoval> {
        if self
            .get_optional::<Value>(&["domains", host.as_str()])
            .await?
            .is_none()
        {
            return Ok(DomainRemoval::Absent);
        }
        let lists = self.domain_list_ids(host).await?;
        if !lists.is_empty() {
            return Ok(DomainRemoval::NotEmpty(lists.len()));
        }
        match self
            .send(Method::DELETE, &["domains", host.as_str()], &[], Body::None)
            .await
        {
            Ok(_) => Ok(DomainRemoval::Removed),
            Err(MailmanError::NotFound(_)) => Ok(DomainRemoval::Absent),
            Err(e) => Err(e),
        }
    }

    // --- lists -----------------------------------------------------------

    /// Creates the list (and its domain) unless it exists; an existing
    /// list is left as it is.
    pub async fn ensure_list(&self, list: &ListAddress) -> Result<Ensured> {
        let id = list.list_id();
        if self.list(&id).await?.is_some() {
            return Ok(Ensured::Existed);
        }
        self.ensure_domain(list.host()).await?;
        let body = json!({ "fqdn_listname": list.fqdn() });
        match self
            .send(Method::POST, &["lists"], &[], Body::Json(body))
            .await
        {
            Ok(_) => Ok(Ensured::Created),
            // "Mailing list exists": made meanwhile.
            Err(e @ MailmanError::BadRequest(_)) => match self.list(&id).await? {
                Some(_) => Ok(Ensured::Existed),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// The list, `None` if it does not exist.
    pub async fn list(&self, list: &ListId) -> Result<Option<MailingList>> {
        self.get_optional(&["lists", list.as_str()]).await
    }

    /// Deletes the list with its members, held messages and requests.
    /// Returns whether it existed.
    pub async fn delete_list(&self, list: &ListId) -> Result<bool> {
        match self
            .send(Method::DELETE, &["lists", list.as_str()], &[], Body::None)
            .await
        {
            Ok(_) => Ok(true),
            Err(MailmanError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The list's settings.
    pub async fn settings(&self, list: &ListId) -> Result<ListSettings> {
        self.get(&["lists", list.as_str(), "config"], &[]).await
    }

    /// Writes every setting.
    pub async fn set_settings(&self, list: &ListId, settings: &ListSettings) -> Result<()> {
        self.update_settings(list, &settings.clone().into()).await
    }

    /// Writes the settings that are set in `patch` (all or none: Mailman
    /// checks them all before changing any).
    pub async fn update_settings(&self, list: &ListId, patch: &ListSettingsPatch) -> Result<()> {
        patch.check()?;
        if patch.is_empty() {
            return Ok(());
        }
        let body = serde_json::to_value(patch)
            .map_err(|e| MailmanError::Invalid(format!("settings: {e}")))?;
        self.send(
            Method::PATCH,
            &["lists", list.as_str(), "config"],
            &[],
            Body::Json(body),
        )
        .await?;
        Ok(())
    }

    // --- owners and moderators -------------------------------------------

    /// Makes `address` an owner or moderator of the list, unless it is
    /// already.
    pub async fn add_staff(
        &self,
        list: &ListId,
        role: StaffRole,
        address: &str,
        display_name: Option<&str>,
    ) -> Result<Ensured> {
        check_address(address)?;
        let mut body = json!({
            "list_id": list.as_str(),
            "subscriber": address,
            "role": Role::from(role).as_str(),
        });
        if let Some(name) = display_name {
            one_line("display_name", name)?;
            body["display_name"] = json!(name);
        }
        match self
            .send(Method::POST, &["members"], &[], Body::Json(body))
            .await
        {
            Ok(_) => Ok(Ensured::Created),
            // "x is already an owner of team@…" (a 400, not a 409)
            Err(e @ MailmanError::BadRequest(_)) => {
                match self.find(list, role.into(), address).await? {
                    Some(_) => Ok(Ensured::Existed),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Removes an owner or moderator. Returns whether it was one.
    pub async fn remove_staff(
        &self,
        list: &ListId,
        role: StaffRole,
        address: &str,
    ) -> Result<bool> {
        let Some(member) = self.find(list, role.into(), address).await? else {
            return Ok(false);
        };
        match self
            .send(
                Method::DELETE,
                &["members", member.member_id.as_str()],
                &[],
                Body::None,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(MailmanError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The list's owners or moderators, by address.
    pub async fn staff(&self, list: &ListId, role: StaffRole) -> Result<Vec<Member>> {
        self.get_all(&["lists", list.as_str(), "roster", Role::from(role).as_str()])
            .await
    }

    // --- members ---------------------------------------------------------

    /// A page of the list's members (role member), by address.
    pub async fn members(&self, list: &ListId, page: PageRequest) -> Result<Page<Member>> {
        let query = page.query()?;
        self.get(&["lists", list.as_str(), "roster", "member"], &query)
            .await
    }

    /// Subscribes a member. An address already subscribed is a
    /// [`MailmanError::Conflict`] (`Member already subscribed`), as is one
    /// already waiting (`Subscription request already pending`); an
    /// invalid address a [`MailmanError::BadRequest`].
    pub async fn add_member(&self, list: &ListId, member: &NewMember) -> Result<Subscription> {
        check_address(&member.address)?;
        let mut body = json!({
            "list_id": list.as_str(),
            "subscriber": member.address,
            "pre_verified": member.pre_verified,
            "pre_confirmed": member.pre_confirmed,
            "pre_approved": member.pre_approved,
        });
        if let Some(name) = &member.display_name {
            one_line("display_name", name)?;
            body["display_name"] = json!(name);
        }
        if let Some(send) = member.send_welcome_message {
            body["send_welcome_message"] = json!(send);
        }
        let answer = self
            .send(Method::POST, &["members"], &[], Body::Json(body))
            .await?;
        if answer.status == StatusCode::ACCEPTED {
            #[derive(Deserialize)]
            struct Pending {
                token: RequestToken,
                token_owner: TokenOwner,
            }
            let p: Pending = answer.json("POST members")?;
            return Ok(Subscription::Pending {
                token: p.token,
                token_owner: p.token_owner,
            });
        }
        let id = answer
            .location
            .as_deref()
            .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
            .ok_or_else(|| MailmanError::Protocol("POST members: no Location".into()))?;
        Ok(Subscription::Subscribed(MemberId::parse(id).map_err(
            |_| MailmanError::Protocol(format!("POST members: Location {id:?}")),
        )?))
    }

    /// Unsubscribes a member at once, without a notice. Returns whether it
    /// was one.
    pub async fn remove_member(&self, list: &ListId, address: &str) -> Result<bool> {
        check_address(address)?;
        // Mailman compares the stored (lowercased) address exactly.
        let address = address.to_lowercase();
        let answer = self
            .send(
                Method::DELETE,
                &["lists", list.as_str(), "roster", "member"],
                &[],
                Body::Json(json!({ "emails": [address] })),
            )
            .await?;
        let result: HashMap<String, Value> = answer.json("DELETE roster/member")?;
        Ok(result
            .get(&address)
            .and_then(Value::as_bool)
            .unwrap_or(false))
    }

    /// The member (role member) with this address.
    pub async fn find_member(&self, list: &ListId, address: &str) -> Result<Option<Member>> {
        self.find(list, Role::Member, address).await
    }

    /// The membership of `address` in `role`, matched exactly.
    async fn find(&self, list: &ListId, role: Role, address: &str) -> Result<Option<Member>> {
        check_address(address)?;
        if address.contains('*') {
            return Err(MailmanError::Invalid(
                "an address to look up may not contain '*'".into(),
            ));
        }
        let body = json!({
            "list_id": list.as_str(),
            "subscriber": address,
            "role": role.as_str(),
        });
        let answer = self
            .send(Method::POST, &["members", "find"], &[], Body::Json(body))
            .await?;
        let page: Page<Member> = answer.json("POST members/find")?;
        Ok(page.entries.into_iter().find(|m| {
            m.email.eq_ignore_ascii_case(address) && m.role == role && m.list_id == *list
        }))
    }

    // --- held messages ---------------------------------------------------

    /// A page of the messages held for moderation, oldest first.
    pub async fn held_messages(
        &self,
        list: &ListId,
        page: PageRequest,
    ) -> Result<Page<HeldMessage>> {
        let query = page.query()?;
        self.get(&["lists", list.as_str(), "held"], &query).await
    }

    /// One held message, `None` if there is no such request.
    pub async fn held_message(
        &self,
        list: &ListId,
        request_id: u64,
    ) -> Result<Option<HeldMessage>> {
        let id = request_id.to_string();
        self.get_optional(&["lists", list.as_str(), "held", &id])
            .await
    }

    /// Accepts, rejects, discards or defers a held message. A message
    /// already handled is a [`MailmanError::NotFound`].
    pub async fn moderate_message(
        &self,
        list: &ListId,
        request_id: u64,
        action: &HeldAction,
    ) -> Result<()> {
        let body = match action {
            HeldAction::Accept => json!({ "action": "accept" }),
            HeldAction::Discard => json!({ "action": "discard" }),
            HeldAction::Defer => json!({ "action": "defer" }),
            HeldAction::Reject { comment: None } => json!({ "action": "reject" }),
            HeldAction::Reject {
                comment: Some(comment),
            } => json!({ "action": "reject", "comment": comment }),
        };
        let id = request_id.to_string();
        self.send(
            Method::POST,
            &["lists", list.as_str(), "held", &id],
            &[],
            Body::Json(body),
        )
        .await?;
        Ok(())
    }

    // --- subscription requests -------------------------------------------

    /// The pending subscription requests, those waiting for `owner` only
    /// when given (a moderator acts on [`TokenOwner::Moderator`] ones).
    pub async fn subscription_requests(
        &self,
        list: &ListId,
        owner: Option<TokenOwner>,
    ) -> Result<Vec<SubscriptionRequest>> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut query = PageRequest {
                count: FULL_PAGE,
                page,
            }
            .query()?
            .to_vec();
            if let Some(owner) = owner {
                let owner = match owner {
                    TokenOwner::NoOne => "no_one",
                    TokenOwner::Subscriber => "subscriber",
                    TokenOwner::Moderator => "moderator",
                };
                query.push(("token_owner", owner.to_owned()));
            }
            let p: Page<SubscriptionRequest> = self
                .get(&["lists", list.as_str(), "requests"], &query)
                .await?;
            let done = p.entries.is_empty();
            all.extend(p.entries);
            if done || all.len() as u64 >= p.total_size {
                return Ok(all);
            }
        }
        Err(MailmanError::Protocol("requests: too many pages".into()))
    }

    /// Accepts, rejects or discards a pending subscription request. One
    /// already handled is a [`MailmanError::NotFound`]; accepting an
    /// address subscribed meanwhile a [`MailmanError::Conflict`].
    pub async fn moderate_request(
        &self,
        list: &ListId,
        token: &RequestToken,
        action: &RequestAction,
    ) -> Result<()> {
        let body = match action {
            RequestAction::Accept => json!({ "action": "accept" }),
            RequestAction::Discard => json!({ "action": "discard" }),
            RequestAction::Reject { reason: None } => json!({ "action": "reject" }),
            RequestAction::Reject {
                reason: Some(reason),
            } => json!({ "action": "reject", "reason": reason }),
        };
        self.send(
            Method::POST,
            &["lists", list.as_str(), "requests", token.as_str()],
            &[],
            Body::Json(body),
        )
        .await?;
        Ok(())
    }
}

/// `base` with each of `segments` appended as one percent-encoded segment
/// (`/`, `?`, `#`, `%` and spaces included), and `query`.
fn build_url(base: &Url, segments: &[&str], query: &[(&str, String)]) -> Result<Url> {
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(MailmanError::Invalid(format!(
            "empty or dot segment in {segments:?}"
        )));
    }
    let mut url = base.clone();
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|()| MailmanError::Invalid("Mailman's REST URL has no path".into()))?;
        path.pop_if_empty();
        path.extend(segments);
    }
    if !query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    }
    Ok(url)
}

/// A transport failure, without the URL (it names only ids, but the
/// error says which request anyway).
fn transport(what: &str, e: reqwest::Error) -> MailmanError {
    let timeout = e.is_timeout();
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if timeout {
        MailmanError::Unreachable(format!("{what}: no answer within {REQUEST_TIMEOUT:?}"))
    } else if e.is_builder() {
        MailmanError::Invalid(format!("{what}: {message}"))
    } else {
        MailmanError::Unreachable(format!("{what}: {message}"))
    }
}

/// Mailman's message from an error body: its `description`, else its
/// `title`, else the text (cut to 300 characters).
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Falcon {
        title: Option<String>,
        description: Option<String>,
    }
    if let Ok(f) = serde_json::from_slice::<Falcon>(body)
        && let Some(m) = f.description.or(f.title)
    {
        return m;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:8001/3.1").unwrap()
    }

    #[test]
    fn paths_are_one_encoded_segment_each() {
        let u = build_url(&base(), &["lists", "team.example.test", "config"], &[]).unwrap();
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:8001/3.1/lists/team.example.test/config"
        );
        // A trailing slash on the base makes no empty segment.
        let b = Url::parse("http://127.0.0.1:8001/3.1/").unwrap();
        let u = build_url(&b, &["domains"], &[]).unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:8001/3.1/domains");
        // Whatever a segment holds stays inside it.
        let u = build_url(&base(), &["x", "a/b?c#d e%f@g"], &[]).unwrap();
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:8001/3.1/x/a%2Fb%3Fc%23d%20e%25f@g"
        );
        assert_eq!(u.path_segments().unwrap().count(), 3);
        for bad in ["", ".", ".."] {
            assert!(matches!(
                build_url(&base(), &["lists", bad], &[]),
                Err(MailmanError::Invalid(_))
            ));
        }
    }

    #[test]
    fn queries_are_encoded() {
        let q = [("count", "10".to_owned()), ("x", "a&b=c d".to_owned())];
        let u = build_url(&base(), &["lists"], &q).unwrap();
        assert_eq!(u.query(), Some("count=10&x=a%26b%3Dc+d"));
    }

    #[test]
    fn list_ids_and_hosts() {
        let host = MailHost::parse("Lists.Example.TEST").unwrap();
        assert_eq!(host.as_str(), "lists.example.test");
        let list = ListAddress::new("Team.Core", &host).unwrap();
        assert_eq!(list.fqdn(), "team.core@lists.example.test");
        assert_eq!(list.list_id().as_str(), "team.core.lists.example.test");
        assert_eq!(
            ListId::parse(list.list_id().as_str()).unwrap(),
            list.list_id()
        );
        for bad in [
            "",
            "localhost",
            "a..b",
            "-a.b",
            "a-.b",
            "a b.c",
            "a/b.c",
            "a.b/",
            "é.fr",
            "a.b.",
            ".a.b",
        ] {
            assert!(MailHost::parse(bad).is_err(), "{bad}");
        }
        assert!(MailHost::parse(&format!("{}.test", "a".repeat(64))).is_err());
        assert!(MailHost::parse(&format!("{}.test", "a".repeat(63))).is_ok());
        for bad in [
            "", ".team", "team.", "te..am", "te am", "te/am", "te%am", "-team", "a@b",
        ] {
            assert!(ListAddress::new(bad, &host).is_err(), "{bad}");
        }
        for bad in [
            "",
            "team",
            "team..x.test",
            "Team.x.test",
            "a/b.test",
            "a.b.",
            "..",
            "a%2e.b",
        ] {
            assert!(ListId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn member_ids_and_tokens_are_hex() {
        assert!(MemberId::parse("ea2bd4fb981a469687f677549ba7cd3f").is_ok());
        for bad in [
            "",
            "ea2bd4fb981a469687f677549ba7cd3",
            "EA2BD4FB981A469687F677549BA7CD3F",
            "../../lists/x.example.test/config",
            "ea2bd4fb981a469687f677549ba7cd3g",
        ] {
            assert!(MemberId::parse(bad).is_err(), "{bad}");
        }
        assert!(RequestToken::parse("3003bb017644d2e861d903ea1ac07ca7ad9e1e3c").is_ok());
        for bad in ["", "..", "abc/def", "xyz", &"a".repeat(129)] {
            assert!(RequestToken::parse(bad).is_err(), "{bad}");
        }
        // Ids read from Mailman are checked as they are decoded.
        let m: std::result::Result<MemberId, _> = serde_json::from_str("\"../x\"");
        assert!(m.is_err());
    }

    #[test]
    fn addresses_are_checked_before_sending() {
        assert!(check_address("alice@example.test").is_ok());
        assert!(check_address("bob@@example.test").is_ok(), "Mailman judges");
        for bad in [
            "",
            "alice",
            "@example.test",
            "alice@",
            "a b@example.test",
            "a\r\nb@example.test",
            "ea2bd4fb981a469687f677549ba7cd3f",
        ] {
            assert!(check_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn settings_patch_is_checked_and_sparse() {
        let patch = ListSettingsPatch {
            description: Some("Une ligne".into()),
            advertised: Some(false),
            ..Default::default()
        };
        patch.check().unwrap();
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!({ "description": "Une ligne", "advertised": false })
        );
        assert!(ListSettingsPatch::default().is_empty());
        for bad in [
            ListSettingsPatch {
                description: Some("two\nlines".into()),
                ..Default::default()
            },
            ListSettingsPatch {
                display_name: Some("x\r\nBcc: y".into()),
                ..Default::default()
            },
            ListSettingsPatch {
                reply_to_address: Some("not an address".into()),
                ..Default::default()
            },
            ListSettingsPatch {
                digest_size_threshold: Some(f64::NAN),
                ..Default::default()
            },
            ListSettingsPatch {
                preferred_language: Some("fr/../x".into()),
                ..Default::default()
            },
        ] {
            assert!(
                matches!(bad.check(), Err(MailmanError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn enums_use_mailman_names() {
        let v = serde_json::to_value((
            SubscriptionPolicy::ConfirmThenModerate,
            ReplyGoesToList::ExplicitHeaderOnly,
            DmarcMitigation::NoMitigation,
            TokenOwner::NoOne,
            DeliveryMode::PlaintextDigests,
        ))
        .unwrap();
        assert_eq!(
            v,
            json!([
                "confirm_then_moderate",
                "explicit_header_only",
                "no_mitigation",
                "no_one",
                "plaintext_digests"
            ])
        );
    }

    #[test]
    fn collections_without_entries_decode() {
        let p: Page<Member> =
            serde_json::from_str(r#"{"start": 0, "total_size": 0, "http_etag": "\"x\""}"#).unwrap();
        assert!(p.entries.is_empty());
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_message(
                br#"{"title": "409 Conflict", "description": "Member already subscribed"}"#
            ),
            "Member already subscribed"
        );
        assert_eq!(
            error_message(br#"{"title": "404 Not Found"}"#),
            "404 Not Found"
        );
        assert_eq!(error_message(b"  plain  "), "plain");
        assert_eq!(
            error_message("é".repeat(400).as_bytes()).chars().count(),
            301
        );
    }

    #[test]
    fn the_password_stays_out_of_debug_and_errors() {
        let c = MailmanClient::new("http://127.0.0.1:8001/3.1", "restadmin", "s3cret-pw").unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
        assert!(debug.contains("<redacted>"));
        for bad in [
            "http://restadmin:s3cret-pw@127.0.0.1:8001/3.1",
            "https://127.0.0.1:8001/3.1",
            "http://127.0.0.1:8001/3.0",
            "http://127.0.0.1:8001/",
            "not a url",
        ] {
            let e = MailmanClient::new(bad, "restadmin", "s3cret-pw").unwrap_err();
            assert!(!e.to_string().contains("s3cret-pw"), "{e}");
            assert!(matches!(e, MailmanError::Invalid(_)));
        }
    }

    #[test]
    fn page_requests_are_bounded() {
        assert!(PageRequest { count: 0, page: 1 }.query().is_err());
        assert!(PageRequest { count: 10, page: 0 }.query().is_err());
        assert!(
            PageRequest {
                count: 1001,
                page: 1
            }
            .query()
            .is_err()
        );
        assert_eq!(
            PageRequest { count: 50, page: 3 }.query().unwrap(),
            [("count", "50".to_owned()), ("page", "3".to_owned())]
        );
    }

    #[test]
    fn transient_errors() {
        assert!(MailmanError::Unreachable("x".into()).is_transient());
        assert!(
            MailmanError::Server {
                status: 500,
                message: "x".into()
            }
            .is_transient()
        );
        assert!(!MailmanError::NotFound("x".into()).is_transient());
        assert!(!MailmanError::Unauthorized.is_transient());
        assert_eq!(
            MailmanError::Conflict("Member already subscribed".into()).mailman_message(),
            Some("Member already subscribed")
        );
    }
}
