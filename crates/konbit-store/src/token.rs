//! API tokens. Only the SHA-256 of the secret is stored; the secret is shown
//! once, when the token is made.

use crate::{Result, StoreError, Tx};
use konbit_core::authz::Scope;
use konbit_core::model::{AccountId, ApiToken, Timestamp, TokenId, UserId};
use konbit_core::names::Label;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub struct NewToken {
    pub user_id: UserId,
    pub name: Label,
    pub prefix: String,
    pub secret_hash: String,
    pub scopes: Vec<Scope>,
    pub account_id: Option<AccountId>,
    pub expires_at: Option<Timestamp>,
}

/// A live token found by its hash, with what authentication needs.
pub struct TokenAuth {
    pub token: ApiToken,
}

fn scopes_to_db(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn from_row(row: &SqliteRow) -> Result<ApiToken> {
    let scopes: String = row.try_get("scopes")?;
    Ok(ApiToken {
        id: TokenId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        name: Label::parse("name", row.try_get("name")?)?,
        prefix: row.try_get("prefix")?,
        scopes: scopes.split_whitespace().filter_map(Scope::parse).collect(),
        account_id: row.try_get::<Option<i64>, _>("account_id")?.map(AccountId),
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Tx {
    pub async fn insert_token(&mut self, t: &NewToken, now: Timestamp) -> Result<TokenId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, prefix, secret_hash, scopes, expires_at, created_at, account_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(t.user_id.0)
        .bind(t.name.as_str())
        .bind(&t.prefix)
        .bind(&t.secret_hash)
        .bind(scopes_to_db(&t.scopes))
        .bind(t.expires_at)
        .bind(now)
        .bind(t.account_id.map(|a| a.0))
        .fetch_one(self.conn())
        .await?;
        Ok(TokenId(id))
    }

    /// A token that is neither revoked nor expired.
    pub async fn live_token_by_hash(
        &mut self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<TokenAuth>> {
        let row = sqlx::query(
            "SELECT * FROM api_tokens WHERE secret_hash = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(secret_hash)
        .bind(now)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(TokenAuth {
                token: from_row(&r)?,
            })
        })
        .transpose()
    }

    /// Records use at most once a minute, so reads stay reads.
    pub async fn touch_token(&mut self, id: TokenId, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2 - 60)")
            .bind(id.0)
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn token(&mut self, id: TokenId) -> Result<ApiToken> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1 AND revoked_at IS NULL")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn tokens_of(&mut self, user: UserId) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT * FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC")
            .bind(user.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn revoke_token(&mut self, id: TokenId, now: Timestamp) -> Result<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id.0)
        .bind(now)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
