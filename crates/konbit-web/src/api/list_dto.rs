//! The API's JSON shapes for mailing lists. A body gives the settings as
//! text, checked by the service so each wrong field gets its own 422; the
//! answer gives them back in the same shape.

use super::dto::ReconcileStatus;
use super::hosting_dto::status;
use konbit_app::list::{CreateList, ListSettingsInput};
use konbit_core::list::ListSettings;
use konbit_core::model::MailingList;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a group chose for its list.
#[derive(Serialize, ToSchema)]
pub struct ListSettingsDto {
    /// One line, shown on the list's public page.
    #[schema(example = "News of the radio")]
    pub description: String,
    /// Who may join: `open`, `confirm` (from their mailbox) or `moderate`
    /// (confirmed, then approved).
    #[schema(example = "confirm")]
    pub subscription: String,
    /// Who may post: `members`, `anyone` or `moderated` (every post waits
    /// for a moderator).
    #[schema(example = "members")]
    pub posting: String,
    /// Where replies go: `author`, `list` or `address`.
    #[schema(example = "author")]
    pub reply_to: String,
    /// With `reply_to` = `address`: that address; otherwise null.
    pub reply_to_address: Option<String>,
    /// `From:` is rewritten to the list, so mail from domains with a strict
    /// DMARC policy is not refused downstream.
    pub munge_from: bool,
    /// Posts are kept in the list's archive.
    pub archives: bool,
    /// Subscribers may ask for a digest.
    pub digest: bool,
    /// The language of Mailman's own messages: `fr` or `en`.
    #[schema(example = "fr")]
    pub language: String,
}

impl From<&ListSettings> for ListSettingsDto {
    fn from(s: &ListSettings) -> Self {
        let input = ListSettingsInput::from_settings(s);
        Self {
            description: input.description,
            subscription: input.subscription,
            posting: input.posting,
            reply_to: input.reply_to,
            reply_to_address: Some(input.reply_to_address).filter(|a| !a.is_empty()),
            munge_from: input.munge_from,
            archives: input.archives,
            digest: input.digest,
            language: input.language,
        }
    }
}

/// A mailing list on one of the account's mail domains.
#[derive(Serialize, ToSchema)]
pub struct MailingListDto {
    pub id: i64,
    pub account_id: i64,
    /// The account's name.
    #[schema(example = "radio")]
    pub account: String,
    /// `name@domain`, the address members write to.
    #[schema(example = "news@radio.example")]
    pub address: String,
    #[schema(example = "news")]
    pub name: String,
    /// The list's domain, in ASCII.
    #[schema(example = "radio.example")]
    pub domain: String,
    pub settings: ListSettingsDto,
    /// Unix seconds; set while the list is deleted and restorable. Mail to
    /// a deleted list is refused; Mailman keeps it, with its subscribers
    /// and archive, until `purge_after`.
    pub deleted_at: Option<i64>,
    pub purge_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `pending` until Mailman and the mail servers have this version of
    /// the list, then `applied`; `failed` when it could not be applied.
    pub status: ReconcileStatus,
}

impl MailingListDto {
    pub fn new(l: MailingList, account: String) -> Self {
        Self {
            id: l.id.0,
            account_id: l.account_id.0,
            account,
            address: l.address(),
            name: l.name.to_string(),
            domain: l.domain.clone(),
            settings: ListSettingsDto::from(&l.settings),
            deleted_at: l.deleted_at,
            purge_after: l.purge_after,
            created_at: l.created_at,
            updated_at: l.updated_at,
            status: status(l.provision),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateListBody {
    /// `name@domain`, on a domain of the account with mail on. The name:
    /// 1 to 40 lowercase letters, digits, `-`, `_` and inner dots
    /// (`list_name_format`); not `postmaster`, `abuse`… nor ending in one
    /// of Mailman's suffixes such as `-bounces` or `-request` (`reserved`).
    #[schema(example = "news@radio.example")]
    pub address: String,
    /// One line, up to 200 characters.
    #[serde(default)]
    pub description: String,
    /// `open`, `confirm` or `moderate`; left out: `confirm`.
    #[serde(default)]
    pub subscription: String,
    /// `members`, `anyone` or `moderated`; left out: `members`.
    #[serde(default)]
    pub posting: String,
    /// `author`, `list` or `address`; left out: `author`, or `address` when
    /// `reply_to_address` is given.
    #[serde(default)]
    pub reply_to: String,
    #[serde(default)]
    pub reply_to_address: String,
    /// Left out: true.
    pub munge_from: Option<bool>,
    /// Left out: true.
    pub archives: Option<bool>,
    /// Left out: false.
    pub digest: Option<bool>,
    /// `fr` or `en`; left out: `fr`.
    #[serde(default)]
    pub language: String,
}

impl CreateListBody {
    pub fn into_input(self) -> CreateList {
        let reply_to = if self.reply_to.trim().is_empty() && !self.reply_to_address.is_empty() {
            "address".to_owned()
        } else {
            self.reply_to
        };
        CreateList {
            address: self.address,
            settings: ListSettingsInput {
                description: self.description,
                subscription: self.subscription,
                posting: self.posting,
                reply_to,
                reply_to_address: self.reply_to_address,
                munge_from: self.munge_from.unwrap_or(true),
                archives: self.archives.unwrap_or(true),
                digest: self.digest.unwrap_or(false),
                language: self.language,
            },
        }
    }
}

/// The settings to change; what is left out (or null) stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateListBody {
    pub description: Option<String>,
    /// `open`, `confirm` or `moderate`.
    pub subscription: Option<String>,
    /// `members`, `anyone` or `moderated`.
    pub posting: Option<String>,
    /// `author`, `list` or `address`.
    pub reply_to: Option<String>,
    /// Given without `reply_to`: replies go to this address.
    pub reply_to_address: Option<String>,
    pub munge_from: Option<bool>,
    pub archives: Option<bool>,
    pub digest: Option<bool>,
    /// `fr` or `en`.
    pub language: Option<String>,
}

impl UpdateListBody {
    /// The list's current settings with these changes.
    pub fn apply_to(self, current: &ListSettings) -> ListSettingsInput {
        let mut s = ListSettingsInput::from_settings(current);
        if let Some(v) = self.description {
            s.description = v;
        }
        if let Some(v) = self.subscription {
            s.subscription = v;
        }
        if let Some(v) = self.posting {
            s.posting = v;
        }
        match (self.reply_to, self.reply_to_address) {
            (Some(mode), address) => {
                s.reply_to = mode;
                if let Some(a) = address {
                    s.reply_to_address = a;
                }
            }
            (None, Some(a)) => {
                s.reply_to = "address".into();
                s.reply_to_address = a;
            }
            (None, None) => {}
        }
        if let Some(v) = self.munge_from {
            s.munge_from = v;
        }
        if let Some(v) = self.archives {
            s.archives = v;
        }
        if let Some(v) = self.digest {
            s.digest = v;
        }
        if let Some(v) = self.language {
            s.language = v;
        }
        s
    }
}
