//! The API's JSON shapes for hosted mail: a domain's mail settings,
//! mailboxes, automatic replies and aliases. Like `dto.rs`, they are kept
//! apart from the core model so the contract changes only on purpose. No
//! shape here carries a password or its hash.

use konbit_app::mail_alias::AliasView;
use konbit_app::mail_domain::{ClientSettings, DkimView, MailSettings};
use konbit_app::mailbox::{AutoreplyView, MailboxView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A domain's mail: whether it is on, its DKIM keys, and what mail programs
/// are told.
#[derive(Serialize, ToSchema)]
pub struct MailSettingsDto {
    /// The domain, as people read it (Unicode for an internationalized name).
    #[schema(example = "café.example")]
    pub domain: String,
    pub enabled: bool,
    /// Set for an alias domain: its mail lands in this domain's mailboxes.
    pub alias_of: Option<String>,
    /// `pending` until the mail servers know this version of the domain's
    /// mail, then `applied`; `failed` when it could not be written. Null
    /// while mail was never turned on.
    pub status: Option<String>,
    pub last_error: Option<String>,
    /// The published DKIM keys, the signing one first (two after a
    /// rotation, so mail signed just before it still verifies).
    pub dkim: Vec<DkimDto>,
    pub client: ClientSettingsDto,
}

impl From<MailSettings> for MailSettingsDto {
    fn from(s: MailSettings) -> Self {
        Self {
            domain: s.domain,
            enabled: s.enabled,
            alias_of: s.alias_of,
            status: s.status.map(|st| st.as_str().to_owned()),
            last_error: s.last_error,
            dkim: s.dkim.into_iter().map(DkimDto::from).collect(),
            client: s.client.into(),
        }
    }
}

/// A DKIM key as published in the zone.
#[derive(Serialize, ToSchema)]
pub struct DkimDto {
    #[schema(example = "k20260315")]
    pub selector: String,
    /// The TXT record's name.
    #[schema(example = "k20260315._domainkey.example.org")]
    pub name: String,
    /// The TXT record's value.
    #[schema(example = "v=DKIM1; k=rsa; p=MIIBIjANBgkqh…")]
    pub txt: String,
    /// Whether outgoing mail is signed with this key (the newest one).
    pub signing: bool,
    pub created_at: i64,
}

impl From<DkimView> for DkimDto {
    fn from(k: DkimView) -> Self {
        Self {
            selector: k.selector,
            name: k.name,
            txt: k.txt,
            signing: k.signing,
            created_at: k.created_at,
        }
    }
}

/// What a mail program connects to.
#[derive(Serialize, ToSchema)]
pub struct ClientSettingsDto {
    /// IMAP over TLS; null until the operator sets it.
    pub imap_host: Option<String>,
    pub imap_port: u16,
    /// Submission (STARTTLS); null until the operator sets it.
    pub smtp_host: Option<String>,
    pub submission_port: u16,
}

impl From<ClientSettings> for ClientSettingsDto {
    fn from(c: ClientSettings) -> Self {
        Self {
            imap_host: c.imap_host,
            imap_port: c.imap_port,
            smtp_host: c.smtp_host,
            submission_port: c.submission_port,
        }
    }
}

/// A mailbox. Its password is never shown, nor its hash.
#[derive(Serialize, ToSchema)]
pub struct MailboxDto {
    pub id: i64,
    pub account_id: i64,
    pub domain_id: i64,
    /// ASCII (punycode domain). Paths accept this or `display_address`.
    #[schema(example = "info@xn--caf-dma.example")]
    pub address: String,
    /// The address as people read it (Unicode domain).
    #[schema(example = "info@café.example")]
    pub display_address: String,
    /// Storage, in MB.
    pub quota_mb: u64,
    /// A disabled mailbox keeps its mail but receives and sends none, and
    /// cannot sign in.
    pub enabled: bool,
    /// Storage used, as last measured at `used_at` (null: never measured).
    pub used_bytes: u64,
    pub used_at: Option<i64>,
    /// Unix seconds; set while the mailbox is deleted and restorable.
    pub deleted_at: Option<i64>,
    /// Unix seconds after which a deleted mailbox and its mail go for good.
    pub purge_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `pending` until the mail servers know this version of the mailbox,
    /// then `applied`; `failed` when the domain's mail could not be written.
    pub status: String,
    /// Shown for one mailbox (not in lists): null when none was ever set.
    pub autoreply: Option<AutoreplyDto>,
}

impl From<MailboxView> for MailboxDto {
    fn from(v: MailboxView) -> Self {
        let m = v.mailbox;
        Self {
            id: m.id.0,
            account_id: m.account_id.0,
            domain_id: m.domain_id.0,
            address: m.address.to_string(),
            display_address: v.display_address,
            quota_mb: m.quota_mb,
            enabled: m.enabled,
            used_bytes: m.used_bytes,
            used_at: m.used_at,
            deleted_at: m.deleted_at,
            purge_after: m.purge_after,
            created_at: m.created_at,
            updated_at: m.updated_at,
            status: v.status.as_str().into(),
            autoreply: v.autoreply.map(AutoreplyDto::from),
        }
    }
}

/// A mailbox's automatic reply.
#[derive(Serialize, ToSchema)]
pub struct AutoreplyDto {
    pub enabled: bool,
    pub subject: String,
    pub body: String,
    /// `YYYY-MM-DD`: the first day replies are sent (null: from now).
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`: the last day replies are sent (null: no end).
    pub end_date: Option<String>,
}

impl From<AutoreplyView> for AutoreplyDto {
    fn from(r: AutoreplyView) -> Self {
        Self {
            enabled: r.enabled,
            subject: r.subject,
            body: r.body,
            start_date: r.start_date,
            end_date: r.end_date,
        }
    }
}

/// An alias (or a domain's catch-all) and where it sends mail.
#[derive(Serialize, ToSchema)]
pub struct AliasDto {
    pub id: i64,
    pub account_id: i64,
    pub domain_id: i64,
    /// ASCII: `info@example.org`, or `@example.org` for the catch-all.
    #[schema(example = "info@example.org")]
    pub source: String,
    /// The source as people read it (Unicode domain).
    pub display_source: String,
    /// Whether this is the domain's catch-all: it receives mail for every
    /// address of the domain that is neither a mailbox nor another alias.
    pub catch_all: bool,
    /// Where mail goes, as stored (ASCII domains), in the order given.
    #[schema(example = json!(["ada@example.org", "ada@elsewhere.example"]))]
    pub destinations: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `pending`, `applied` or `failed`, as for a mailbox.
    pub status: String,
}

impl From<AliasView> for AliasDto {
    fn from(v: AliasView) -> Self {
        let a = v.alias;
        Self {
            id: a.id.0,
            account_id: a.account_id.0,
            domain_id: a.domain_id.0,
            source: a.source.to_string(),
            display_source: v.display_source,
            catch_all: v.catch_all,
            destinations: a.destinations,
            created_at: a.created_at,
            updated_at: a.updated_at,
            status: v.status.as_str().into(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSwitchBody {
    /// Turn mail on (a DKIM key, and the MX, SPF, DMARC and DKIM records in
    /// the zone) or off (refused with `mail_in_use` while the domain has
    /// mailboxes or aliases).
    pub enabled: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMailboxBody {
    /// An address of a domain of the account with mail on; the domain may
    /// be typed in Unicode.
    #[schema(example = "info@café.example")]
    pub address: String,
    /// At least 12 characters. Never shown again.
    pub password: String,
    /// Storage in MB, 1 to 1000000. Default: the co-op's default, within
    /// what the account has left.
    pub quota_mb: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMailboxBody {
    /// Storage in MB, 1 to 1000000, within the account's quota.
    pub quota_mb: Option<u64>,
    /// Disable (or enable again) the mailbox; its mail is kept.
    pub enabled: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxPasswordBody {
    /// At least 12 characters.
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoreplyBody {
    /// Whether replies are sent. To turn them off, send the reply back with
    /// `enabled: false`: it is kept for next time.
    pub enabled: bool,
    /// Up to 200 characters; empty: `Auto: ` and the subject of the message
    /// replied to.
    #[serde(default)]
    pub subject: String,
    /// The reply's text (required), up to 10000 characters.
    pub body: String,
    /// `YYYY-MM-DD`; null or empty: from now.
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, not before `start_date`; null or empty: no end.
    pub end_date: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAliasBody {
    /// `info@example.org`, or `@example.org` (or `*@example.org`) for the
    /// domain's catch-all. The domain must have mail on.
    #[schema(example = "info@example.org")]
    pub source: String,
    /// Where mail goes: addresses here or elsewhere. An entry may also hold
    /// several, separated by commas or spaces.
    #[schema(example = json!(["ada@example.org"]))]
    pub destinations: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAliasBody {
    /// The new destinations; they replace the old ones.
    pub destinations: Vec<String>,
}
