//! The model: what an account, a person, a quota profile and a token are.
//! Store rows are mapped into these types; front ends render them.

use crate::names::{AccountName, DisplayName, EmailAddress, Label};
use crate::quota::QuotaLimits;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}
id_type!(AccountId);
id_type!(UserId);
id_type!(QuotaProfileId);
id_type!(TokenId);
id_type!(DomainId);
id_type!(RecordId);
id_type!(MailboxId);
id_type!(MailAliasId);
id_type!(SiteId);
id_type!(SftpAccountId);
id_type!(DatabaseId);
id_type!(DatabaseUserId);
id_type!(MailingListId);
id_type!(BodyId);
id_type!(ProposalId);
id_type!(CommentId);

/// Unix seconds. The store keeps integers so SQLite and PostgreSQL agree.
pub type Timestamp = i64;

/// How far the live services are from what the store says. Every object a
/// provisioner acts on carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectStatus {
    Pending,
    Applied,
    Failed,
}

impl ObjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::Failed => "failed",
        }
    }
    pub fn from_db(s: &str) -> Self {
        match s {
            "applied" => Self::Applied,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// The reconcile state shared by every provisioned object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisionState {
    pub status: ObjectStatus,
    pub generation: i64,
    pub applied_generation: i64,
    pub last_error: Option<String>,
}

/// A member group of the co-op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub name: AccountName,
    pub display_name: DisplayName,
    pub quota_profile_id: QuotaProfileId,
    pub quota_profile_name: String,
    pub locked: bool,
    pub lock_reason: Option<String>,
    pub deleted_at: Option<Timestamp>,
    /// When a soft-deleted account is purged for good.
    pub purge_after: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub provision: ProvisionState,
}

impl Account {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaProfile {
    pub id: QuotaProfileId,
    pub name: Label,
    pub limits: QuotaLimits,
    pub account_count: i64,
    pub created_at: Timestamp,
}

/// A person's role inside an account. Owners manage the account's people;
/// members use its services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub account_id: AccountId,
    pub role: Role,
}

/// Languages the panel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Fr, Locale::En];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Self::Fr),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// A person who can sign in: an operator admin, or someone of one or more
/// accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: UserId,
    pub email: EmailAddress,
    pub display_name: DisplayName,
    pub is_admin: bool,
    pub locale: Option<Locale>,
    pub memberships: Vec<Membership>,
    pub created_at: Timestamp,
}

/// An API token as listed (the secret is never kept, only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: Label,
    /// The first characters of the token, so a person can tell tokens apart.
    pub prefix: String,
    pub scopes: Vec<crate::authz::Scope>,
    /// The one account the token may act on, if it is limited to one.
    pub account_id: Option<AccountId>,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A domain an account hosts: one DNS zone served by PowerDNS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Domain {
    pub id: DomainId,
    pub account_id: AccountId,
    /// ASCII (punycode for IDN).
    pub name: crate::names::Fqdn,
    /// The domain whose records this alias serves, if it is one.
    pub alias_of: Option<DomainId>,
    pub alias_of_name: Option<crate::names::Fqdn>,
    pub dnssec: bool,
    pub mail: bool,
    /// The SOA serial, raised on every change of the zone.
    pub serial: i64,
    pub deleted_at: Option<Timestamp>,
    pub purge_after: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub provision: ProvisionState,
}

impl Domain {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
    /// The name as a person reads it (Unicode for IDN).
    pub fn display_name(&self) -> String {
        self.name.to_unicode()
    }
}

/// One DNS record as stored: the value is the validated, canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecordRow {
    pub id: RecordId,
    pub domain_id: DomainId,
    /// Relative to the zone, "" for the apex.
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub ttl: i64,
    pub value: String,
    pub zone_generation: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl DnsRecordRow {
    /// Whether PowerDNS serves this version of the record, given its zone.
    pub fn status(&self, zone: &ProvisionState) -> ObjectStatus {
        live_status(self.zone_generation, zone)
    }
}

/// A domain's mail as the mail provisioner serves it: whether mail is on,
/// and how far the lookup database is from the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailDomain {
    pub domain_id: DomainId,
    pub account_id: AccountId,
    pub domain: crate::names::Fqdn,
    pub enabled: bool,
    /// The selector that signs (the newest DKIM key).
    pub dkim_selector: Option<String>,
    pub provision: ProvisionState,
}

/// A mailbox. Its password hash is never part of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub id: MailboxId,
    pub account_id: AccountId,
    pub domain_id: DomainId,
    pub address: crate::mail::MailAddress,
    pub quota_mb: u64,
    pub enabled: bool,
    /// Storage used, as last measured (`used_at`).
    pub used_bytes: u64,
    pub used_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
    pub purge_after: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The mail domain's generation when this mailbox last changed.
    pub mail_generation: i64,
}

impl Mailbox {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
    /// Whether the mail servers know this version of the mailbox.
    pub fn status(&self, mail: &ProvisionState) -> ObjectStatus {
        live_status(self.mail_generation, mail)
    }
}

/// An alias (or the catch-all) of a domain and where it sends mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailAlias {
    pub id: MailAliasId,
    pub account_id: AccountId,
    pub domain_id: DomainId,
    pub source: crate::mail::AliasSource,
    /// Addresses as stored (ASCII domains), in the order given.
    pub destinations: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub mail_generation: i64,
}

impl MailAlias {
    pub fn status(&self, mail: &ProvisionState) -> ObjectStatus {
        live_status(self.mail_generation, mail)
    }
}

/// An object that is served as part of a bigger one (a record in its zone,
/// a mailbox in its mail domain) is live once the bigger one's applied
/// generation reaches the generation of its last change.
pub fn live_status(changed_at: i64, whole: &ProvisionState) -> ObjectStatus {
    if whole.applied_generation >= changed_at {
        ObjectStatus::Applied
    } else if whole.status == ObjectStatus::Failed {
        ObjectStatus::Failed
    } else {
        ObjectStatus::Pending
    }
}

/// A website of an account: its name, extra names, what it serves and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: SiteId,
    pub account_id: AccountId,
    /// The account's domain the host belongs to.
    pub domain_id: DomainId,
    /// ASCII (punycode for IDN).
    pub host: crate::names::Fqdn,
    /// Extra names (`www.` and others), ASCII.
    pub aliases: Vec<crate::names::Fqdn>,
    pub kind: crate::web::SiteKind,
    pub https: crate::web::SiteHttps,
    pub enabled: bool,
    pub deleted_at: Option<Timestamp>,
    pub purge_after: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub provision: ProvisionState,
}

impl Site {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
    /// The name as a person reads it (Unicode for IDN).
    pub fn display_host(&self) -> String {
        self.host.to_unicode()
    }
    /// Every name the site answers to: its host, then its aliases.
    pub fn names(&self) -> Vec<String> {
        std::iter::once(&self.host)
            .chain(&self.aliases)
            .map(|n| n.as_str().to_owned())
            .collect()
    }
    /// Whether nginx should serve it at all.
    pub fn is_served(&self) -> bool {
        self.enabled && !self.is_deleted()
    }
}

/// Where a site's HTTPS certificate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Asked for, not issued yet (or being renewed).
    Pending,
    Issued,
    /// The last order failed; `last_error` says why, and it is retried.
    Failed,
}

impl CertificateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Issued => "issued",
            Self::Failed => "failed",
        }
    }
    pub fn from_db(s: &str) -> Self {
        match s {
            "issued" => Self::Issued,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// A site's certificate, as the ACME provisioner last left it. The private
/// key is never in the store: it stays in a root-only file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub site_id: SiteId,
    pub status: CertificateStatus,
    /// The names the current certificate covers (empty before the first).
    pub names: Vec<String>,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
    pub issued_at: Option<Timestamp>,
    /// The CA's or the network's reason for the last failure.
    pub last_error: Option<String>,
    pub attempts: i64,
    /// When a failed order is tried again.
    pub next_attempt_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

impl Certificate {
    /// Renew once two thirds of the lifetime have passed (30 days before
    /// the end of a 90-day certificate), whatever the CA's lifetime.
    pub fn renew_at(&self) -> Option<Timestamp> {
        let (start, end) = (self.not_before?, self.not_after?);
        Some(end - (end - start).max(0) / 3)
    }

    /// Whether the certificate on file covers exactly these names.
    pub fn covers(&self, names: &[String]) -> bool {
        let mut a = self.names.clone();
        let mut b = names.to_vec();
        a.sort();
        b.sort();
        a == b
    }
}

/// An SFTP login of an account, chrooted to a directory of its home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SftpAccount {
    pub id: SftpAccountId,
    pub account_id: AccountId,
    pub login: crate::sftp::SftpLogin,
    /// Inside the account's home; `None`: the whole home.
    pub dir: Option<crate::web::DocRoot>,
    /// Whether a password is set (its hash never leaves the store).
    pub has_password: bool,
    pub keys: Vec<crate::sftp::SshPublicKey>,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub provision: ProvisionState,
}

/// A member database on MariaDB or PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Database {
    pub id: DatabaseId,
    pub account_id: AccountId,
    pub engine: crate::database::DbEngine,
    pub name: crate::database::DbName,
    /// Bytes on disk, as last measured.
    pub size_bytes: Option<i64>,
    pub size_measured_at: Option<Timestamp>,
    /// Over the operator's size limit, and made read-only for that.
    pub read_only: bool,
    pub deleted_at: Option<Timestamp>,
    /// When the final dump of a deleted database is removed.
    pub purge_after: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub provision: ProvisionState,
}

impl Database {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// A user of one database: its owner, or an extra user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseUser {
    pub id: DatabaseUserId,
    pub database_id: DatabaseId,
    pub name: crate::database::DbName,
    pub right: crate::database::DbRight,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A mailing list on one of the account's mail domains, served by Mailman.
/// Its subscribers and held messages live in Mailman, which they also
/// reach by mail (join, leave, confirm); Konbit reads them there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailingList {
    pub id: MailingListId,
    pub account_id: AccountId,
    pub domain_id: DomainId,
    pub name: crate::list::ListName,
    /// The list's domain, in ASCII.
    pub domain: String,
    pub settings: crate::list::ListSettings,
    /// Soft delete: Mailman keeps the list (and its archive) until the
    /// purge; mail to it is refused meanwhile.
    pub deleted_at: Option<Timestamp>,
    pub purge_after: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub provision: ProvisionState,
}

impl MailingList {
    /// `name@domain`.
    pub fn address(&self) -> String {
        format!("{}@{}", self.name, self.domain)
    }

    /// Mailman's id of the list, `name.domain`.
    pub fn list_id(&self) -> String {
        format!("{}.{}", self.name, self.domain)
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}
