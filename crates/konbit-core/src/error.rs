//! Stable error codes. A code is part of the API contract (`code` in problem+json)
//! and doubles as the translation id `error-<code>` in the panel.

use serde::Serialize;

/// Every failure a person or an API client can see, as a stable snake_case id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    Unauthenticated,
    InvalidCredentials,
    Forbidden,
    InsufficientScope,
    NotFound,
    MethodNotAllowed,
    Conflict,
    Duplicate,
    AccountLocked,
    QuotaExceeded,
    LastOwner,
    ProfileInUse,
    CsrfRejected,
    PayloadTooLarge,
    MalformedBody,
    UnsupportedMediaType,
    RateLimited,
    TwoFactorRequired,
    InvalidCode,
    InvalidLink,
    /// The domain, or a domain above or below it, belongs to another account.
    DomainTaken,
    /// An alias serves another domain's records: edit that domain.
    DomainIsAlias,
    /// Other domains still depend on this one (its aliases).
    DomainInUse,
    /// The domain still has mailboxes or aliases: mail cannot be turned off.
    MailInUse,
    /// A list is not set up in Mailman yet (it is, within a second of its
    /// creation, or once Mailman is back).
    ListNotReady,
    /// A service Konbit needs for this (Mailman) does not answer.
    ServiceUnavailable,
    /// A proposal is not at the stage this needs (a vote on a draft…).
    WrongStage,
    /// The text is frozen since voting opened.
    TextFrozen,
    /// The vote has not opened yet.
    VoteNotOpen,
    /// The vote is closed: the ballot was not counted.
    VoteClosed,
    /// The ballot names an older text than the one being voted on.
    StaleText,
    /// The person is not in the electorate frozen when the vote opened.
    NotInElectorate,
    /// A ballot that does not fit the vote (unknown option, duplicate…).
    InvalidBallot,
    /// An adopted decision's platform action could not be carried out.
    ApplyFailed,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::InsufficientScope => "insufficient_scope",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::Duplicate => "duplicate",
            Self::AccountLocked => "account_locked",
            Self::QuotaExceeded => "quota_exceeded",
            Self::LastOwner => "last_owner",
            Self::ProfileInUse => "profile_in_use",
            Self::CsrfRejected => "csrf_rejected",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MalformedBody => "malformed_body",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::TwoFactorRequired => "two_factor_required",
            Self::InvalidCode => "invalid_code",
            Self::InvalidLink => "invalid_link",
            Self::DomainTaken => "domain_taken",
            Self::DomainIsAlias => "domain_is_alias",
            Self::DomainInUse => "domain_in_use",
            Self::MailInUse => "mail_in_use",
            Self::ListNotReady => "list_not_ready",
            Self::ServiceUnavailable => "service_unavailable",
            Self::WrongStage => "wrong_stage",
            Self::TextFrozen => "text_frozen",
            Self::VoteNotOpen => "vote_not_open",
            Self::VoteClosed => "vote_closed",
            Self::StaleText => "stale_text",
            Self::NotInElectorate => "not_in_electorate",
            Self::InvalidBallot => "invalid_ballot",
            Self::ApplyFailed => "apply_failed",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status that goes with the code; the web layer uses it for both
    /// the panel and the API so the two never disagree.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidInput => 422,
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden | Self::InsufficientScope | Self::CsrfRejected => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict | Self::Duplicate | Self::LastOwner | Self::ProfileInUse => 409,
            Self::AccountLocked => 423,
            Self::QuotaExceeded => 409,
            Self::PayloadTooLarge => 413,
            Self::MalformedBody => 400,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited => 429,
            Self::TwoFactorRequired => 403,
            Self::InvalidCode => 401,
            Self::InvalidLink => 410,
            Self::DomainTaken | Self::DomainIsAlias | Self::DomainInUse | Self::MailInUse => 409,
            Self::ListNotReady => 409,
            Self::ServiceUnavailable => 503,
            Self::WrongStage
            | Self::TextFrozen
            | Self::VoteNotOpen
            | Self::VoteClosed
            | Self::StaleText
            | Self::ApplyFailed => 409,
            Self::NotInElectorate => 403,
            Self::InvalidBallot => 422,
            Self::Internal => 500,
        }
    }

    /// The id of the translated message for this code.
    pub fn message_id(self) -> String {
        format!("error-{}", self.as_str().replace('_', "-"))
    }
}

/// Which validation rule a value broke. Variants carry data, never text: the
/// front end turns them into a sentence in the person's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    Required,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    ControlCharacter,
    SlugFormat,
    Reserved,
    EmailFormat,
    HostnameFormat,
    OutOfRange {
        min: u64,
        max: u64,
    },
    UnknownChoice,
    /// Not a date written `YYYY-MM-DD`.
    DateFormat,
    /// A date range whose end comes before its start.
    DateOrder,
    // DNS records and zone files (`dns`).
    /// Not a DNS name: letters, digits, hyphens and underscores between
    /// dots, `*` only as the whole first label.
    DnsName,
    /// One label (the part between two dots) is longer than `max` octets.
    DnsLabelTooLong {
        max: usize,
    },
    /// A quote, semicolon, backslash or space where none may be.
    UnsafeCharacter,
    /// An absolute name that is not in the zone being edited.
    NameOutsideZone,
    /// A name that repeats the zone's name (`www.example.org.example.org`).
    ZoneNameTwice,
    /// A record type Konbit does not serve, such as PTR.
    UnsupportedType {
        rtype: String,
    },
    Ipv4Format,
    Ipv6Format,
    /// An IPv6 address given for an A record.
    Ipv6NeedsAaaa,
    /// An IPv4 address given for an AAAA record.
    Ipv4NeedsA,
    /// A target that is not a full host name.
    TargetFormat,
    /// An IP address where a host name is needed (CNAME, NS, MX, SRV).
    TargetIsIp,
    /// The "." target where it means nothing (only MX 0 and SRV take it).
    NullTargetNotAllowed,
    MxFormat,
    SrvFormat,
    /// An SRV record's name does not start with `_service._proto`.
    SrvName,
    CaaFormat,
    CaaFlags,
    CaaTag,
    CaaValue,
    /// Quoted TXT strings that do not parse.
    TxtFormat,
    CnameAtApex,
    /// A CNAME shares its name with another record.
    CnameNotAlone,
    /// The zone would lose its last NS record at the apex.
    ApexNeedsNs,
    /// Data other than NS at a delegated name, or other than glue below it.
    BelowDelegation,
    /// The same name, type and data twice.
    DuplicateRecord,
    /// A null MX or SRV (".") next to other records of its type.
    NullTargetNotAlone,
    /// A line of a zone file that cannot be read.
    ZoneFileSyntax,
    /// A zone-file directive other than `$ORIGIN` and `$TTL`.
    ZoneFileDirective,
    /// A zone file over the size or record limit.
    ZoneFileTooLarge,
    /// More items than the limit allows (records of one zone…).
    TooMany {
        max: usize,
    },
    // Hosted mail (`mail`).
    /// A local part (before the @) with other characters than lowercase
    /// letters, digits and `. _ - +`, or a dot at either end or doubled.
    LocalPartFormat,
    /// `%` or `!` in an address: mail servers may read them as routing.
    MailRoutingCharacter,
    /// An alias with the address of an existing mailbox.
    AliasIsMailbox,
    /// Two aliases for the same address (or two catch-alls of a domain).
    DuplicateAlias,
    /// The same destination twice in one alias.
    DuplicateDestination,
    /// An alias that forwards to its own address.
    ForwardToSelf,
    /// Aliases that forward to each other in a loop.
    AliasLoop,
    // Websites (`web`).
    /// A path that leaves the home, hides in a dot-directory or holds other
    /// characters than letters, digits, `.`, `_`, `-` and `/`.
    PathFormat,
    /// Not an absolute http(s) address made of URL-safe characters.
    UrlFormat,
    /// A host name outside the account's own domains.
    HostOutsideAccount,
    /// A name already served by a site (this one or another).
    DuplicateSiteName,
    /// HSTS without the redirect to HTTPS.
    HstsNeedsHttps,
    /// The redirect to HTTPS without a certificate.
    HttpsNeedsCertificate,
    // SFTP and databases (`sftp`, `database`).
    /// Not an OpenSSH public key of a type Konbit takes.
    SshKeyFormat,
    /// An RSA key shorter than 2048 bits.
    SshKeyTooWeak,
    /// A database or user name with other characters than lowercase
    /// letters, digits and `_`.
    DbNameFormat,
    /// A name already used (database, user, SFTP login).
    NameTaken,
    /// An SFTP account without a password or a key: nobody could log in.
    NeedsPasswordOrKey,
    // Mailing lists (`list`).
    /// A list name with other characters than lowercase letters, digits,
    /// `-`, `_` and inner dots.
    ListNameFormat,
    /// An address a mailing list of the domain already takes.
    ListAddressTaken,
}

impl Rule {
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::Required => "rule-required",
            Self::TooShort { .. } => "rule-too-short",
            Self::TooLong { .. } => "rule-too-long",
            Self::ControlCharacter => "rule-control-character",
            Self::SlugFormat => "rule-slug-format",
            Self::Reserved => "rule-reserved",
            Self::EmailFormat => "rule-email-format",
            Self::HostnameFormat => "rule-hostname-format",
            Self::OutOfRange { .. } => "rule-out-of-range",
            Self::UnknownChoice => "rule-unknown-choice",
            Self::DateFormat => "rule-date-format",
            Self::DateOrder => "rule-date-order",
            Self::DnsName => "rule-dns-name",
            Self::DnsLabelTooLong { .. } => "rule-dns-label-too-long",
            Self::UnsafeCharacter => "rule-unsafe-character",
            Self::NameOutsideZone => "rule-name-outside-zone",
            Self::ZoneNameTwice => "rule-zone-name-twice",
            Self::UnsupportedType { .. } => "rule-unsupported-type",
            Self::Ipv4Format => "rule-ipv4-format",
            Self::Ipv6Format => "rule-ipv6-format",
            Self::Ipv6NeedsAaaa => "rule-ipv6-needs-aaaa",
            Self::Ipv4NeedsA => "rule-ipv4-needs-a",
            Self::TargetFormat => "rule-target-format",
            Self::TargetIsIp => "rule-target-is-ip",
            Self::NullTargetNotAllowed => "rule-null-target-not-allowed",
            Self::MxFormat => "rule-mx-format",
            Self::SrvFormat => "rule-srv-format",
            Self::SrvName => "rule-srv-name",
            Self::CaaFormat => "rule-caa-format",
            Self::CaaFlags => "rule-caa-flags",
            Self::CaaTag => "rule-caa-tag",
            Self::CaaValue => "rule-caa-value",
            Self::TxtFormat => "rule-txt-format",
            Self::CnameAtApex => "rule-cname-at-apex",
            Self::CnameNotAlone => "rule-cname-not-alone",
            Self::ApexNeedsNs => "rule-apex-needs-ns",
            Self::BelowDelegation => "rule-below-delegation",
            Self::DuplicateRecord => "rule-duplicate-record",
            Self::NullTargetNotAlone => "rule-null-target-not-alone",
            Self::ZoneFileSyntax => "rule-zone-file-syntax",
            Self::ZoneFileDirective => "rule-zone-file-directive",
            Self::ZoneFileTooLarge => "rule-zone-file-too-large",
            Self::TooMany { .. } => "rule-too-many",
            Self::LocalPartFormat => "rule-local-part-format",
            Self::MailRoutingCharacter => "rule-mail-routing-character",
            Self::AliasIsMailbox => "rule-alias-is-mailbox",
            Self::DuplicateAlias => "rule-duplicate-alias",
            Self::DuplicateDestination => "rule-duplicate-destination",
            Self::ForwardToSelf => "rule-forward-to-self",
            Self::AliasLoop => "rule-alias-loop",
            Self::PathFormat => "rule-path-format",
            Self::UrlFormat => "rule-url-format",
            Self::HostOutsideAccount => "rule-host-outside-account",
            Self::DuplicateSiteName => "rule-duplicate-site-name",
            Self::HstsNeedsHttps => "rule-hsts-needs-https",
            Self::HttpsNeedsCertificate => "rule-https-needs-certificate",
            Self::SshKeyFormat => "rule-ssh-key-format",
            Self::SshKeyTooWeak => "rule-ssh-key-too-weak",
            Self::DbNameFormat => "rule-db-name-format",
            Self::NameTaken => "rule-name-taken",
            Self::NeedsPasswordOrKey => "rule-needs-password-or-key",
            Self::ListNameFormat => "rule-list-name-format",
            Self::ListAddressTaken => "rule-list-address-taken",
        }
    }
}

/// One field that failed validation, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {rule:?}")]
pub struct FieldError {
    pub field: &'static str,
    #[serde(flatten)]
    pub rule: Rule,
}

impl FieldError {
    pub fn new(field: &'static str, rule: Rule) -> Self {
        Self { field, rule }
    }
}

/// Why an actor may not do something. `NotFound` hides the existence of
/// another account's objects; `Forbidden` is for what the actor can see but
/// not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("sign-in required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("the token lacks the scope for this")]
    InsufficientScope,
    #[error("not found")]
    NotFound,
    #[error("the account is locked")]
    AccountLocked,
}

impl Denied {
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::InsufficientScope => ErrorCode::InsufficientScope,
            Self::NotFound => ErrorCode::NotFound,
            Self::AccountLocked => ErrorCode::AccountLocked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_follow_codes() {
        assert_eq!(
            ErrorCode::QuotaExceeded.message_id(),
            "error-quota-exceeded"
        );
        assert_eq!(ErrorCode::NotFound.http_status(), 404);
    }
}
