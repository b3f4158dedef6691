//! Quota profiles: named sets of limits that admins give to accounts.

use crate::{Result, StoreError, Tx, to_i64, to_u64};
use konbit_core::model::{QuotaProfile, QuotaProfileId, Timestamp};
use konbit_core::names::Label;
use konbit_core::quota::QuotaLimits;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub struct NewQuotaProfile {
    pub name: Label,
    pub limits: QuotaLimits,
}

const SELECT: &str = "SELECT p.*, (SELECT COUNT(*) FROM accounts a WHERE a.quota_profile_id = p.id) AS account_count FROM quota_profiles p";

pub(crate) fn limits_from_row(row: &SqliteRow) -> Result<QuotaLimits> {
    Ok(QuotaLimits {
        domains: to_u64(row.try_get("domains")?),
        mailboxes: to_u64(row.try_get("mailboxes")?),
        mail_storage_mb: to_u64(row.try_get("mail_storage_mb")?),
        aliases: to_u64(row.try_get("aliases")?),
        mailing_lists: to_u64(row.try_get("mailing_lists")?),
        sites: to_u64(row.try_get("sites")?),
        sftp_accounts: to_u64(row.try_get("sftp_accounts")?),
        databases: to_u64(row.try_get("databases")?),
        disk_mb: to_u64(row.try_get("disk_mb")?),
    })
}

fn from_row(row: &SqliteRow) -> Result<QuotaProfile> {
    Ok(QuotaProfile {
        id: QuotaProfileId(row.try_get("id")?),
        name: Label::parse("name", row.try_get("name")?)?,
        limits: limits_from_row(row)?,
        account_count: row.try_get("account_count")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Tx {
    pub async fn insert_quota_profile(
        &mut self,
        p: &NewQuotaProfile,
        now: Timestamp,
    ) -> Result<QuotaProfileId> {
        let l = &p.limits;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO quota_profiles (name, domains, mailboxes, mail_storage_mb, aliases, mailing_lists, sites, \
             sftp_accounts, databases, disk_mb, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        )
        .bind(p.name.as_str())
        .bind(to_i64(l.domains))
        .bind(to_i64(l.mailboxes))
        .bind(to_i64(l.mail_storage_mb))
        .bind(to_i64(l.aliases))
        .bind(to_i64(l.mailing_lists))
        .bind(to_i64(l.sites))
        .bind(to_i64(l.sftp_accounts))
        .bind(to_i64(l.databases))
        .bind(to_i64(l.disk_mb))
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(QuotaProfileId(id))
    }

    pub async fn update_quota_profile(
        &mut self,
        id: QuotaProfileId,
        p: &NewQuotaProfile,
        now: Timestamp,
    ) -> Result<()> {
        let l = &p.limits;
        let done = sqlx::query(
            "UPDATE quota_profiles SET name = $2, domains = $3, mailboxes = $4, mail_storage_mb = $5, aliases = $6, \
             mailing_lists = $7, sites = $8, sftp_accounts = $9, databases = $10, disk_mb = $11, updated_at = $12 \
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(p.name.as_str())
        .bind(to_i64(l.domains))
        .bind(to_i64(l.mailboxes))
        .bind(to_i64(l.mail_storage_mb))
        .bind(to_i64(l.aliases))
        .bind(to_i64(l.mailing_lists))
        .bind(to_i64(l.sites))
        .bind(to_i64(l.sftp_accounts))
        .bind(to_i64(l.databases))
        .bind(to_i64(l.disk_mb))
        .bind(now)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_quota_profile(&mut self, id: QuotaProfileId) -> Result<()> {
        let done = sqlx::query("DELETE FROM quota_profiles WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn quota_profile(&mut self, id: QuotaProfileId) -> Result<QuotaProfile> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.id = $1")))
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn quota_profile_by_name(&mut self, name: &str) -> Result<QuotaProfile> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.name = $1")))
            .bind(name)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn quota_profiles(&mut self) -> Result<Vec<QuotaProfile>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY p.name")))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(from_row).collect()
    }
}
