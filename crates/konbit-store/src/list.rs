//! Mailing lists: Konbit's desired state for each list (its name, domain
//! and settings). Subscribers and held messages are Mailman's.

use crate::{Result, StoreError, Tx};
use konbit_core::list::{
    ListDescription, ListLanguage, ListName, ListSettings, PostingPolicy, ReplyTo,
    SubscriptionPolicy,
};
use konbit_core::model::{
    AccountId, DomainId, MailingList, MailingListId, ObjectStatus, ProvisionState, Timestamp,
};
use konbit_core::names::EmailAddress;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// A list query with its domain's name; the tail is a literal too, so the
/// whole statement is known at compile time.
macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT l.*, d.name AS domain_name FROM mailing_lists l ",
            "JOIN domains d ON d.id = l.domain_id ",
            $tail
        )
    };
}

/// Which lists to read; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only these accounts' (`None`: every account).
    pub accounts: Option<Vec<AccountId>>,
    pub domain: Option<DomainId>,
    /// Soft-deleted lists too.
    pub include_deleted: bool,
}

fn unreadable(what: &str, value: &str) -> StoreError {
    StoreError::Unreadable(format!("mailing list {what}: {value:?}"))
}

fn settings_from(row: &SqliteRow) -> Result<ListSettings> {
    let text = |c: &str| -> Result<String> { Ok(row.try_get::<String, _>(c)?) };
    let subscription = match text("subscription")?.as_str() {
        "open" => SubscriptionPolicy::Open,
        "confirm" => SubscriptionPolicy::Confirm,
        "moderate" => SubscriptionPolicy::Moderate,
        other => return Err(unreadable("subscription", other)),
    };
    let posting = match text("posting")?.as_str() {
        "members" => PostingPolicy::Members,
        "anyone" => PostingPolicy::Anyone,
        "moderated" => PostingPolicy::Moderated,
        other => return Err(unreadable("posting", other)),
    };
    let reply_to = match text("reply_to")?.as_str() {
        "author" => ReplyTo::Author,
        "list" => ReplyTo::List,
        "address" => {
            let raw: Option<String> = row.try_get("reply_to_address")?;
            let raw = raw.unwrap_or_default();
            ReplyTo::Address(EmailAddress::parse("reply_to", &raw)?)
        }
        other => return Err(unreadable("reply_to", other)),
    };
    let language = match text("language")?.as_str() {
        "fr" => ListLanguage::Fr,
        "en" => ListLanguage::En,
        other => return Err(unreadable("language", other)),
    };
    Ok(ListSettings {
        description: ListDescription::parse("description", &text("description")?)?,
        subscription,
        posting,
        reply_to,
        munge_from: row.try_get("munge_from")?,
        archives: row.try_get("archives")?,
        digest: row.try_get("digest")?,
        language,
    })
}

fn from_row(row: &SqliteRow) -> Result<MailingList> {
    let name: String = row.try_get("name")?;
    let status: String = row.try_get("status")?;
    Ok(MailingList {
        id: MailingListId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        domain_id: DomainId(row.try_get("domain_id")?),
        name: ListName::parse_existing(&name).map_err(StoreError::Unreadable)?,
        domain: row.try_get("domain_name")?,
        settings: settings_from(row)?,
        deleted_at: row.try_get("deleted_at")?,
        purge_after: row.try_get("purge_after")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        provision: ProvisionState {
            status: ObjectStatus::from_db(&status),
            generation: row.try_get("generation")?,
            applied_generation: row.try_get("applied_generation")?,
            last_error: row.try_get("last_error")?,
        },
    })
}

/// The columns a settings change writes, in order.
struct SettingsColumns<'a> {
    description: &'a str,
    subscription: &'static str,
    posting: &'static str,
    reply_to: &'static str,
    reply_to_address: Option<&'a str>,
    language: &'static str,
}

fn columns(s: &ListSettings) -> SettingsColumns<'_> {
    let (reply_to, reply_to_address) = match &s.reply_to {
        ReplyTo::Author => ("author", None),
        ReplyTo::List => ("list", None),
        ReplyTo::Address(a) => ("address", Some(a.as_str())),
    };
    SettingsColumns {
        description: s.description.as_str(),
        subscription: match s.subscription {
            SubscriptionPolicy::Open => "open",
            SubscriptionPolicy::Confirm => "confirm",
            SubscriptionPolicy::Moderate => "moderate",
        },
        posting: match s.posting {
            PostingPolicy::Members => "members",
            PostingPolicy::Anyone => "anyone",
            PostingPolicy::Moderated => "moderated",
        },
        reply_to,
        reply_to_address,
        language: s.language.code(),
    }
}

impl Tx {
    pub async fn insert_mailing_list(
        &mut self,
        account: AccountId,
        domain: DomainId,
        name: &ListName,
        settings: &ListSettings,
        now: Timestamp,
    ) -> Result<MailingListId> {
        let c = columns(settings);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mailing_lists (account_id, domain_id, name, description, subscription, \
             posting, reply_to, reply_to_address, munge_from, archives, digest, language, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(account.0)
        .bind(domain.0)
        .bind(name.as_str())
        .bind(c.description)
        .bind(c.subscription)
        .bind(c.posting)
        .bind(c.reply_to)
        .bind(c.reply_to_address)
        .bind(settings.munge_from)
        .bind(settings.archives)
        .bind(settings.digest)
        .bind(c.language)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(MailingListId(id))
    }

    /// Replaces the settings; returns the new generation.
    pub async fn update_mailing_list(
        &mut self,
        id: MailingListId,
        settings: &ListSettings,
        now: Timestamp,
    ) -> Result<i64> {
        let c = columns(settings);
        sqlx::query_scalar(
            "UPDATE mailing_lists SET description = $2, subscription = $3, posting = $4, \
             reply_to = $5, reply_to_address = $6, munge_from = $7, archives = $8, digest = $9, \
             language = $10, updated_at = $11, generation = generation + 1, status = 'pending' \
             WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(c.description)
        .bind(c.subscription)
        .bind(c.posting)
        .bind(c.reply_to)
        .bind(c.reply_to_address)
        .bind(settings.munge_from)
        .bind(settings.archives)
        .bind(settings.digest)
        .bind(c.language)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Soft delete (`Some(purge_after)`) or restore (`None`); returns the
    /// new generation.
    pub async fn set_mailing_list_deleted(
        &mut self,
        id: MailingListId,
        deleted: Option<(Timestamp, Timestamp)>,
        now: Timestamp,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "UPDATE mailing_lists SET deleted_at = $2, purge_after = $3, updated_at = $4, \
             generation = generation + 1, status = 'pending' WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(deleted.map(|d| d.0))
        .bind(deleted.map(|d| d.1))
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn purge_mailing_list(&mut self, id: MailingListId) -> Result<()> {
        sqlx::query("DELETE FROM mailing_lists WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn mailing_list(&mut self, id: MailingListId) -> Result<MailingList> {
        let row = sqlx::query(select!("WHERE l.id = $1"))
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// The list of `domain` named `name`, deleted or not.
    pub async fn mailing_list_by_name(
        &mut self,
        domain: DomainId,
        name: &str,
    ) -> Result<Option<MailingList>> {
        let row = sqlx::query(select!("WHERE l.domain_id = $1 AND l.name = $2"))
            .bind(domain.0)
            .bind(name)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Whether a list of `domain` (deleted or not: its addresses stay
    /// taken until the purge) has one of `names`.
    pub async fn mailing_list_named_any(
        &mut self,
        domain: DomainId,
        names: &[String],
    ) -> Result<bool> {
        let names =
            serde_json::to_string(names).map_err(|e| StoreError::Unreadable(e.to_string()))?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mailing_lists WHERE domain_id = $1 \
             AND name IN (SELECT value FROM json_each($2))",
        )
        .bind(domain.0)
        .bind(names)
        .fetch_one(self.conn())
        .await?;
        Ok(n > 0)
    }

    /// By address.
    pub async fn mailing_lists(&mut self, filter: &ListFilter) -> Result<Vec<MailingList>> {
        let accounts = filter
            .accounts
            .as_ref()
            .map(|a| serde_json::to_string(&a.iter().map(|a| a.0).collect::<Vec<_>>()))
            .transpose()
            .map_err(|e| StoreError::Unreadable(e.to_string()))?;
        let rows = sqlx::query(select!(
            "WHERE ($1 IS NULL OR l.account_id IN (SELECT value FROM json_each($1))) \
             AND ($2 IS NULL OR l.domain_id = $2) AND ($3 OR l.deleted_at IS NULL) \
             ORDER BY d.name, l.name"
        ))
        .bind(accounts)
        .bind(filter.domain.map(|d| d.0))
        .bind(filter.include_deleted)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Live and soft-deleted lists count against the quota alike, as
    /// their names stay taken.
    pub async fn count_mailing_lists(&mut self, account: AccountId) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM mailing_lists WHERE account_id = $1")
                .bind(account.0)
                .fetch_one(self.conn())
                .await?,
        )
    }

    pub async fn mailing_list_ids_of_account(
        &mut self,
        account: AccountId,
    ) -> Result<Vec<MailingListId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM mailing_lists WHERE account_id = $1 ORDER BY id")
                .bind(account.0)
                .fetch_all(self.conn())
                .await?;
        Ok(ids.into_iter().map(MailingListId).collect())
    }

    pub async fn mailing_lists_due_for_purge(
        &mut self,
        now: Timestamp,
    ) -> Result<Vec<MailingListId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM mailing_lists WHERE purge_after IS NOT NULL AND purge_after <= $1",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(MailingListId).collect())
    }
}
