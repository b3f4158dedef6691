//! The API's JSON shapes. They are kept apart from the core model so the
//! contract changes only on purpose; `From` impls map one onto the other.

use konbit_core::model::{Account, ApiToken, Person, QuotaProfile};
use konbit_core::page::Page;
use konbit_core::quota::QuotaLimits;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An RFC 9457 problem.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[schema(example = "urn:konbit:problem:invalid_input")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    /// Stable, machine-readable error code.
    #[schema(example = "invalid_input")]
    pub code: String,
    pub detail: Option<String>,
    pub errors: Option<Vec<ProblemField>>,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    /// `required`, `too_short` (with `min`), `too_long` (with `max`), `out_of_range` (with `min`, `max`),
    /// `slug_format`, `email_format`, `hostname_format`, `control_character`, `reserved`, `unknown_choice`.
    pub rule: String,
    pub min: Option<u64>,
    pub max: Option<u64>,
    /// The rule, as a sentence in the caller's language (Accept-Language).
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReconcileStatus {
    /// `pending`, `applied` or `failed`.
    pub state: String,
    pub generation: i64,
    pub applied_generation: i64,
    pub last_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileRef {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccountDto {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub quota_profile: ProfileRef,
    pub locked: bool,
    pub lock_reason: Option<String>,
    /// Unix seconds; set while the account is deleted and restorable.
    pub deleted_at: Option<i64>,
    /// Unix seconds after which a deleted account is purged for good.
    pub purge_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub status: ReconcileStatus,
}

impl From<Account> for AccountDto {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.0,
            name: a.name.into_string(),
            display_name: a.display_name.into_string(),
            quota_profile: ProfileRef {
                id: a.quota_profile_id.0,
                name: a.quota_profile_name,
            },
            locked: a.locked,
            lock_reason: a.lock_reason,
            deleted_at: a.deleted_at,
            purge_after: a.purge_after,
            created_at: a.created_at,
            updated_at: a.updated_at,
            status: ReconcileStatus {
                state: a.provision.status.as_str().into(),
                generation: a.provision.generation,
                applied_generation: a.provision.applied_generation,
                last_error: a.provision.last_error,
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl<T: ToSchema, U: Into<T>> From<Page<U>> for PageOf<T> {
    fn from(p: Page<U>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            page: p.page,
            per_page: p.per_page,
            total: p.total,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerBody {
    pub email: String,
    /// Needed only when no person has this address yet.
    pub display_name: Option<String>,
    /// Needed only when no person has this address yet.
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountBody {
    /// 3–32 lowercase letters, digits and single hyphens, starting with a letter.
    #[schema(example = "radio-centre-ville")]
    pub name: String,
    #[schema(example = "Radio Centre-Ville")]
    pub display_name: String,
    /// Defaults to the first profile by name.
    pub quota_profile_id: Option<i64>,
    pub owner: Option<OwnerBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountBody {
    pub display_name: Option<String>,
    pub quota_profile_id: Option<i64>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LockBody {
    /// Shown to the account's people.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MembershipDto {
    pub account_id: i64,
    /// `owner` or `member`.
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    /// `fr`, `en`, or null for the browser's choice.
    pub locale: Option<String>,
    pub memberships: Vec<MembershipDto>,
    pub created_at: i64,
}

impl From<Person> for PersonDto {
    fn from(p: Person) -> Self {
        Self {
            id: p.id.0,
            email: p.email.into_string(),
            display_name: p.display_name.into_string(),
            is_admin: p.is_admin,
            locale: p.locale.map(|l| l.as_str().to_owned()),
            memberships: p
                .memberships
                .into_iter()
                .map(|m| MembershipDto {
                    account_id: m.account_id.0,
                    role: m.role.as_str().into(),
                })
                .collect(),
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    pub email: String,
    pub display_name: String,
    /// At least 12 characters.
    pub password: String,
    #[serde(default)]
    pub is_admin: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserBody {
    pub display_name: Option<String>,
    /// `fr` or `en`; an empty string clears the preference.
    pub locale: Option<String>,
    /// Admins only.
    pub is_admin: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberBody {
    pub email: String,
    /// Needed only when no person has this address yet.
    pub display_name: Option<String>,
    /// Needed only when no person has this address yet.
    pub password: Option<String>,
    /// `owner` or `member`.
    pub role: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `owner` or `member`.
    pub role: String,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct LimitsDto {
    pub domains: u64,
    pub mailboxes: u64,
    pub mail_storage_mb: u64,
    pub aliases: u64,
    pub mailing_lists: u64,
    pub sites: u64,
    pub sftp_accounts: u64,
    pub databases: u64,
    pub disk_mb: u64,
}

impl From<QuotaLimits> for LimitsDto {
    fn from(l: QuotaLimits) -> Self {
        Self {
            domains: l.domains,
            mailboxes: l.mailboxes,
            mail_storage_mb: l.mail_storage_mb,
            aliases: l.aliases,
            mailing_lists: l.mailing_lists,
            sites: l.sites,
            sftp_accounts: l.sftp_accounts,
            databases: l.databases,
            disk_mb: l.disk_mb,
        }
    }
}

impl From<LimitsDto> for QuotaLimits {
    fn from(l: LimitsDto) -> Self {
        Self {
            domains: l.domains,
            mailboxes: l.mailboxes,
            mail_storage_mb: l.mail_storage_mb,
            aliases: l.aliases,
            mailing_lists: l.mailing_lists,
            sites: l.sites,
            sftp_accounts: l.sftp_accounts,
            databases: l.databases,
            disk_mb: l.disk_mb,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct QuotaProfileDto {
    pub id: i64,
    pub name: String,
    pub limits: LimitsDto,
    pub account_count: i64,
    pub created_at: i64,
}

impl From<QuotaProfile> for QuotaProfileDto {
    fn from(p: QuotaProfile) -> Self {
        Self {
            id: p.id.0,
            name: p.name.into_string(),
            limits: p.limits.into(),
            account_count: p.account_count,
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    pub name: String,
    pub limits: LimitsDto,
}

#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    /// `area:read` or `area:write`.
    pub scopes: Vec<String>,
    /// Set when the token is limited to one account.
    pub account_id: Option<i64>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub created_at: i64,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id.0,
            name: t.name.into_string(),
            prefix: t.prefix,
            scopes: t.scopes.iter().map(ToString::to_string).collect(),
            account_id: t.account_id.map(|a| a.0),
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            created_at: t.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenBody {
    pub name: String,
    /// For example `["accounts:read", "users:write"]`.
    pub scopes: Vec<String>,
    /// 1–3650; omit for a token that does not expire.
    pub expires_in_days: Option<u32>,
    /// Limits the token to one account: it then reaches nothing else.
    pub account_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedTokenDto {
    pub token: TokenDto,
    /// Shown only this once; Konbit keeps only a hash.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct ListOf<T: ToSchema> {
    pub items: Vec<T>,
}
