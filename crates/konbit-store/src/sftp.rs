//! SFTP accounts.

use crate::{Result, StoreError, Tx};
use konbit_core::model::{
    AccountId, ObjectStatus, ProvisionState, SftpAccount, SftpAccountId, Timestamp,
};
use konbit_core::names::AccountName;
use konbit_core::sftp::{SftpLogin, SshPublicKey};
use konbit_core::web::DocRoot;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// An SFTP account as ProFTPd must know it: enabled, of a live account.
#[derive(Debug, Clone)]
pub struct ServedSftpAccount {
    pub id: SftpAccountId,
    pub account_id: AccountId,
    pub account_name: AccountName,
    pub login: SftpLogin,
    pub dir: Option<DocRoot>,
    pub password_hash: Option<String>,
    pub keys: Vec<SshPublicKey>,
}

fn keys_from(raw: &str) -> Result<Vec<SshPublicKey>> {
    let lines: Vec<String> =
        serde_json::from_str(raw).map_err(|e| StoreError::Unreadable(format!("ssh keys: {e}")))?;
    Ok(lines
        .iter()
        .map(|l| SshPublicKey::parse("ssh_keys", l))
        .collect::<std::result::Result<_, _>>()?)
}

fn keys_to(keys: &[SshPublicKey]) -> Result<String> {
    let lines: Vec<String> = keys.iter().map(SshPublicKey::to_openssh).collect();
    serde_json::to_string(&lines).map_err(|e| StoreError::Unreadable(e.to_string()))
}

fn dir_from(row: &SqliteRow) -> Result<Option<DocRoot>> {
    let dir: Option<String> = row.try_get("dir")?;
    Ok(dir.map(|d| DocRoot::parse("dir", &d)).transpose()?)
}

fn login_from(row: &SqliteRow) -> Result<SftpLogin> {
    let login: String = row.try_get("login")?;
    SftpLogin::parse_existing(&login).map_err(StoreError::Unreadable)
}

fn from_row(row: &SqliteRow) -> Result<SftpAccount> {
    let status: String = row.try_get("status")?;
    let hash: Option<String> = row.try_get("password_hash")?;
    let keys: String = row.try_get("ssh_keys")?;
    Ok(SftpAccount {
        id: SftpAccountId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        login: login_from(row)?,
        dir: dir_from(row)?,
        has_password: hash.is_some(),
        keys: keys_from(&keys)?,
        enabled: row.try_get("enabled")?,
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

impl Tx {
    pub async fn insert_sftp_account(
        &mut self,
        account: AccountId,
        login: &SftpLogin,
        dir: Option<&DocRoot>,
        password_hash: Option<&str>,
        keys: &[SshPublicKey],
        now: Timestamp,
    ) -> Result<SftpAccountId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sftp_accounts (account_id, login, dir, password_hash, ssh_keys, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(account.0)
        .bind(login.as_str())
        .bind(dir.map(DocRoot::as_str))
        .bind(password_hash)
        .bind(keys_to(keys)?)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(SftpAccountId(id))
    }

    /// Replaces the directory and keys; `password_hash`: `None` keeps the
    /// password, `Some(None)` removes it. Returns the new generation.
    pub async fn update_sftp_account(
        &mut self,
        id: SftpAccountId,
        dir: Option<&DocRoot>,
        keys: &[SshPublicKey],
        password_hash: Option<Option<&str>>,
        now: Timestamp,
    ) -> Result<i64> {
        let (set_hash, hash) = match password_hash {
            Some(h) => (true, h),
            None => (false, None),
        };
        sqlx::query_scalar(
            "UPDATE sftp_accounts SET dir = $2, ssh_keys = $3, \
             password_hash = CASE WHEN $4 THEN $5 ELSE password_hash END, updated_at = $6, \
             generation = generation + 1, status = 'pending' WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(dir.map(DocRoot::as_str))
        .bind(keys_to(keys)?)
        .bind(set_hash)
        .bind(hash)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn set_sftp_enabled(
        &mut self,
        id: SftpAccountId,
        enabled: bool,
        now: Timestamp,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "UPDATE sftp_accounts SET enabled = $2, updated_at = $3, generation = generation + 1, \
             status = 'pending' WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(enabled)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn delete_sftp_account(&mut self, id: SftpAccountId) -> Result<()> {
        let done = sqlx::query("DELETE FROM sftp_accounts WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn sftp_account(&mut self, id: SftpAccountId) -> Result<SftpAccount> {
        let row = sqlx::query("SELECT * FROM sftp_accounts WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn sftp_account_by_login(&mut self, login: &str) -> Result<Option<SftpAccount>> {
        let row = sqlx::query("SELECT * FROM sftp_accounts WHERE login = $1")
            .bind(login)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// By login; `accounts`: only theirs (`None`: every account).
    pub async fn sftp_accounts(
        &mut self,
        accounts: Option<&[AccountId]>,
    ) -> Result<Vec<SftpAccount>> {
        let accounts = accounts
            .map(|a| serde_json::to_string(&a.iter().map(|a| a.0).collect::<Vec<_>>()))
            .transpose()
            .map_err(|e| StoreError::Unreadable(e.to_string()))?;
        let rows = sqlx::query(
            "SELECT * FROM sftp_accounts WHERE ($1 IS NULL OR account_id IN \
             (SELECT value FROM json_each($1))) ORDER BY login",
        )
        .bind(accounts)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn count_sftp_accounts(&mut self, account: AccountId) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM sftp_accounts WHERE account_id = $1")
                .bind(account.0)
                .fetch_one(self.conn())
                .await?,
        )
    }

    pub async fn sftp_account_ids_of_account(
        &mut self,
        account: AccountId,
    ) -> Result<Vec<SftpAccountId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM sftp_accounts WHERE account_id = $1 ORDER BY id")
                .bind(account.0)
                .fetch_all(self.conn())
                .await?;
        Ok(ids.into_iter().map(SftpAccountId).collect())
    }

    /// Every SFTP account ProFTPd must let in: enabled, of an account that
    /// is neither deleted nor locked. A row that no longer reads (an old
    /// key format) is left out and named in the second list.
    pub async fn served_sftp_accounts(
        &mut self,
    ) -> Result<(Vec<ServedSftpAccount>, Vec<(SftpAccountId, String)>)> {
        let rows = sqlx::query(
            "SELECT s.*, a.name AS account_name FROM sftp_accounts s \
             JOIN accounts a ON a.id = s.account_id \
             WHERE s.enabled = 1 AND a.deleted_at IS NULL AND a.locked_at IS NULL ORDER BY s.login",
        )
        .fetch_all(self.conn())
        .await?;
        let mut served = Vec::with_capacity(rows.len());
        let mut unreadable = Vec::new();
        for row in &rows {
            let id = SftpAccountId(row.try_get("id")?);
            let read = || -> Result<ServedSftpAccount> {
                let name: String = row.try_get("account_name")?;
                let keys: String = row.try_get("ssh_keys")?;
                Ok(ServedSftpAccount {
                    id,
                    account_id: AccountId(row.try_get("account_id")?),
                    account_name: AccountName::parse("name", &name)?,
                    login: login_from(row)?,
                    dir: dir_from(row)?,
                    password_hash: row.try_get("password_hash")?,
                    keys: keys_from(&keys)?,
                })
            };
            match read() {
                Ok(s) => served.push(s),
                Err(e) => unreadable.push((id, e.to_string())),
            }
        }
        Ok((served, unreadable))
    }
}
