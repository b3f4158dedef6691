//! Accounts: the member groups of the co-op, with their quota profile, lock
//! and soft-delete state, and reconcile status.

use crate::quota_profile::limits_from_row;
use crate::{Result, StoreError, Tx};
use konbit_core::model::{
    Account, AccountId, ObjectStatus, ProvisionState, QuotaProfileId, Timestamp,
};
use konbit_core::names::{AccountName, DisplayName};
use konbit_core::page::{Page, PageRequest};
use konbit_core::quota::{QuotaLimits, Usage};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub struct NewAccount {
    pub name: AccountName,
    pub display_name: DisplayName,
    pub quota_profile_id: QuotaProfileId,
}

/// Which accounts a list shows.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Matches the name or display name, case-insensitively.
    pub search: Option<String>,
    pub deleted: bool,
    /// Only accounts this person belongs to.
    pub member: Option<konbit_core::model::UserId>,
    /// Newest first instead of by name.
    pub recent_first: bool,
    /// Only this account (for a token limited to one account).
    pub only: Option<AccountId>,
}

const SELECT: &str = "SELECT a.*, p.name AS profile_name FROM accounts a JOIN quota_profiles p ON p.id = a.quota_profile_id";

fn from_row(row: &SqliteRow) -> Result<Account> {
    let locked_at: Option<i64> = row.try_get("locked_at")?;
    let status: String = row.try_get("status")?;
    Ok(Account {
        id: AccountId(row.try_get("id")?),
        name: AccountName::parse("name", row.try_get("name")?)?,
        display_name: DisplayName::parse("display_name", row.try_get("display_name")?)?,
        quota_profile_id: QuotaProfileId(row.try_get("quota_profile_id")?),
        quota_profile_name: row.try_get("profile_name")?,
        locked: locked_at.is_some(),
        lock_reason: row.try_get("lock_reason")?,
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

fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

impl Tx {
    pub async fn insert_account(&mut self, a: &NewAccount, now: Timestamp) -> Result<AccountId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (name, display_name, quota_profile_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(a.name.as_str())
        .bind(a.display_name.as_str())
        .bind(a.quota_profile_id.0)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(AccountId(id))
    }

    /// Changes what an admin may change, and bumps the generation so the
    /// reconciler re-applies the account.
    pub async fn update_account(
        &mut self,
        id: AccountId,
        display_name: &DisplayName,
        profile: QuotaProfileId,
        now: Timestamp,
    ) -> Result<i64> {
        self.bump_account(
            sqlx::query(
                "UPDATE accounts SET display_name = $2, quota_profile_id = $3, updated_at = $4, \
                 generation = generation + 1, status = 'pending' WHERE id = $1 RETURNING generation",
            )
            .bind(id.0)
            .bind(display_name.as_str())
            .bind(profile.0)
            .bind(now),
        )
        .await
    }

    pub async fn set_account_lock(
        &mut self,
        id: AccountId,
        lock: Option<(&str, Timestamp)>,
        now: Timestamp,
    ) -> Result<i64> {
        let (reason, at) = match lock {
            Some((reason, at)) => (Some(reason), Some(at)),
            None => (None, None),
        };
        self.bump_account(
            sqlx::query(
                "UPDATE accounts SET locked_at = $2, lock_reason = $3, updated_at = $4, \
                 generation = generation + 1, status = 'pending' WHERE id = $1 RETURNING generation",
            )
            .bind(id.0)
            .bind(at)
            .bind(reason)
            .bind(now),
        )
        .await
    }

    /// Soft delete (`Some(purge_after)`) or restore (`None`).
    pub async fn set_account_deleted(
        &mut self,
        id: AccountId,
        purge_after: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<i64> {
        let deleted_at = purge_after.map(|_| now);
        self.bump_account(
            sqlx::query(
                "UPDATE accounts SET deleted_at = $2, purge_after = $3, updated_at = $4, \
                 generation = generation + 1, status = 'pending' WHERE id = $1 RETURNING generation",
            )
            .bind(id.0)
            .bind(deleted_at)
            .bind(purge_after)
            .bind(now),
        )
        .await
    }

    async fn bump_account<'q>(
        &mut self,
        q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> Result<i64> {
        let row = q
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get(0)?)
    }

    /// Deleted accounts whose grace period is over.
    pub async fn accounts_due_for_purge(&mut self, now: Timestamp) -> Result<Vec<AccountId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM accounts WHERE deleted_at IS NOT NULL AND purge_after <= $1 ORDER BY id",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(AccountId).collect())
    }

    /// Removes an account for good, with its memberships.
    pub async fn purge_account(&mut self, id: AccountId) -> Result<()> {
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1 AND deleted_at IS NOT NULL")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Every account's id and name, deleted ones included (not purged).
    pub async fn account_names(&mut self) -> Result<Vec<(AccountId, AccountName)>> {
        let rows = sqlx::query("SELECT id, name FROM accounts ORDER BY id")
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get("name")?;
                Ok((
                    AccountId(r.try_get("id")?),
                    AccountName::parse("name", &name)?,
                ))
            })
            .collect()
    }

    pub async fn account(&mut self, id: AccountId) -> Result<Account> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id = $1")))
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn account_by_name(&mut self, name: &str) -> Result<Account> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.name = $1")))
            .bind(name)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn accounts(
        &mut self,
        filter: &AccountFilter,
        page: PageRequest,
    ) -> Result<Page<Account>> {
        // Only the terms this filter uses go into the SQL, numbered in order:
        // a catch-all `$1 IS NULL OR ...` term makes the count read every
        // account row instead of an index.
        let pattern = filter.search.as_deref().map(like_pattern);
        let member = filter.member.map(|u| u.0);
        // A person's accounts are found from their memberships. Without the
        // unary `+`, SQLite (which has no statistics here) walks every live
        // account through a `deleted_at` index and tests each one.
        let deleted_at = if member.is_some() {
            "+a.deleted_at"
        } else {
            "a.deleted_at"
        };
        let deleted = if filter.deleted {
            "IS NOT NULL"
        } else {
            "IS NULL"
        };
        let mut terms = vec![format!("{deleted_at} {deleted}")];
        let mut n = 0;
        if pattern.is_some() {
            n += 1;
            terms.push(format!(
                "(lower(a.name) LIKE ${n} ESCAPE '\\' OR lower(a.display_name) LIKE ${n} ESCAPE '\\')"
            ));
        }
        if member.is_some() {
            n += 1;
            terms.push(format!(
                "a.id IN (SELECT account_id FROM memberships WHERE user_id = ${n})"
            ));
        }
        let only = filter.only.map(|a| a.0);
        if only.is_some() {
            n += 1;
            terms.push(format!("a.id = ${n}"));
        }
        let where_clause = terms.join(" AND ");
        let mut count = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM accounts a WHERE {where_clause}"
        )));
        if let Some(p) = &pattern {
            count = count.bind(p);
        }
        if let Some(m) = member {
            count = count.bind(m);
        }
        if let Some(o) = only {
            count = count.bind(o);
        }
        let total: i64 = count.fetch_one(self.conn()).await?;
        let order = if filter.recent_first {
            "a.created_at DESC, a.id DESC"
        } else {
            "a.name"
        };
        let (limit, offset) = (n + 1, n + 2);
        let mut list = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE {where_clause} ORDER BY {order} LIMIT ${limit} OFFSET ${offset}"
        )));
        if let Some(p) = &pattern {
            list = list.bind(p);
        }
        if let Some(m) = member {
            list = list.bind(m);
        }
        if let Some(o) = only {
            list = list.bind(o);
        }
        let rows = list
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(self.conn())
            .await?;
        Ok(Page {
            items: rows.iter().map(from_row).collect::<Result<_>>()?,
            page: page.page,
            per_page: page.per_page,
            total: crate::to_u64(total),
        })
    }

    /// The limits that apply to an account, from its quota profile.
    pub async fn account_limits(&mut self, id: AccountId) -> Result<QuotaLimits> {
        let row = sqlx::query("SELECT p.* FROM quota_profiles p JOIN accounts a ON a.quota_profile_id = p.id WHERE a.id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        limits_from_row(&row)
    }

    /// What an account uses. Each hosted service adds its count here as it
    /// lands; until an account can own domains, mailboxes or sites, they are
    /// counted from the rows that exist, which is none.
    pub async fn account_usage(&mut self, id: AccountId) -> Result<Usage> {
        // Checked so that a missing account is an error, not a zero usage.
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        exists.ok_or(StoreError::NotFound)?;
        let domains = self.count_domains(id).await?;
        let (mailboxes, mail_mb) = self.mailbox_usage(id).await?;
        let aliases = self.count_mail_aliases(id).await?;
        let sites = self.count_sites(id).await?;
        let sftp_accounts = self.count_sftp_accounts(id).await?;
        let databases = self.count_databases(id).await?;
        let mailing_lists = self.count_mailing_lists(id).await?;
        // Databases are on the same disks as the homes: both count.
        let database_bytes: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(size_bytes), 0) FROM databases \
             WHERE account_id = $1 AND deleted_at IS NULL",
        )
        .bind(id.0)
        .fetch_one(self.conn())
        .await?;
        let disk_bytes =
            self.web_usage(id).await?.map_or(0, |(bytes, _)| bytes) + crate::to_u64(database_bytes);
        Ok(Usage {
            sftp_accounts: crate::to_u64(sftp_accounts),
            databases: crate::to_u64(databases),
            sites: crate::to_u64(sites),
            disk_mb: disk_bytes.div_ceil(1024 * 1024),
            domains: crate::to_u64(domains),
            mailboxes: crate::to_u64(mailboxes),
            mail_storage_mb: crate::to_u64(mail_mb),
            aliases: crate::to_u64(aliases),
            mailing_lists: crate::to_u64(mailing_lists),
        })
    }

    /// Counts for the admin dashboard: (active, locked, deleted).
    pub async fn account_counts(&mut self) -> Result<(i64, i64, i64)> {
        // Three counts on the `(deleted_at, locked_at)` index rather than one
        // pass computing three sums over every account row.
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM accounts WHERE deleted_at IS NULL), \
             (SELECT COUNT(*) FROM accounts WHERE deleted_at IS NULL AND locked_at IS NOT NULL), \
             (SELECT COUNT(*) FROM accounts WHERE deleted_at IS NOT NULL)",
        )
        .fetch_one(self.conn())
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
    }
}
