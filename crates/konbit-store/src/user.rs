//! People who sign in, and their memberships in accounts.

use crate::{Result, StoreError, Tx};
use konbit_core::model::{AccountId, Locale, Membership, Person, Role, Timestamp, UserId};
use konbit_core::names::{DisplayName, EmailAddress};
use konbit_core::page::{Page, PageRequest};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub struct NewUser {
    pub email: EmailAddress,
    pub display_name: DisplayName,
    pub password_hash: String,
    pub is_admin: bool,
    pub locale: Option<Locale>,
}

/// What sign-in needs: the stored hash next to the person.
pub struct UserAuth {
    pub person: Person,
    pub password_hash: String,
}

fn person_from_row(row: &SqliteRow, memberships: Vec<Membership>) -> Result<Person> {
    let locale: Option<String> = row.try_get("locale")?;
    Ok(Person {
        id: UserId(row.try_get("id")?),
        email: EmailAddress::parse("email", row.try_get("email")?)?,
        display_name: DisplayName::parse("display_name", row.try_get("display_name")?)?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        locale: locale.as_deref().and_then(Locale::parse),
        memberships,
        created_at: row.try_get("created_at")?,
    })
}

impl Tx {
    pub async fn insert_user(&mut self, u: &NewUser, now: Timestamp) -> Result<UserId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, display_name, password_hash, is_admin, locale, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(u.email.as_str())
        .bind(u.display_name.as_str())
        .bind(&u.password_hash)
        .bind(i64::from(u.is_admin))
        .bind(u.locale.map(Locale::as_str))
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(UserId(id))
    }

    pub async fn update_user(
        &mut self,
        id: UserId,
        display_name: &DisplayName,
        locale: Option<Locale>,
        now: Timestamp,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE users SET display_name = $2, locale = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.0)
        .bind(display_name.as_str())
        .bind(locale.map(Locale::as_str))
        .bind(now)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn set_user_admin(
        &mut self,
        id: UserId,
        is_admin: bool,
        now: Timestamp,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE users SET is_admin = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(i64::from(is_admin))
            .bind(now)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn set_password_hash(
        &mut self,
        id: UserId,
        hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(id.0)
                .bind(hash)
                .bind(now)
                .execute(self.conn())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_user(&mut self, id: UserId) -> Result<()> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn memberships_of(&mut self, user: UserId) -> Result<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT account_id, role FROM memberships WHERE user_id = $1 ORDER BY account_id",
        )
        .bind(user.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(Membership {
                    account_id: AccountId(r.try_get("account_id")?),
                    role: Role::parse(&role).unwrap_or(Role::Member),
                })
            })
            .collect()
    }

    pub async fn user(&mut self, id: UserId) -> Result<Person> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let memberships = self.memberships_of(id).await?;
        person_from_row(&row, memberships)
    }

    pub async fn user_auth_by_email(&mut self, email: &str) -> Result<UserAuth> {
        let row = sqlx::query("SELECT * FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let id = UserId(row.try_get("id")?);
        let memberships = self.memberships_of(id).await?;
        Ok(UserAuth {
            password_hash: row.try_get("password_hash")?,
            person: person_from_row(&row, memberships)?,
        })
    }

    pub async fn password_hash(&mut self, id: UserId) -> Result<String> {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// People of the co-op, or of one account, most recent last.
    pub async fn users(
        &mut self,
        account: Option<AccountId>,
        page: PageRequest,
    ) -> Result<Page<Person>> {
        let filter =
            "($1 IS NULL OR id IN (SELECT user_id FROM memberships WHERE account_id = $1))";
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM users WHERE {filter}"
        )))
        .bind(account.map(|a| a.0))
        .fetch_one(self.conn())
        .await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM users WHERE {filter} ORDER BY email LIMIT $2 OFFSET $3"
        )))
        .bind(account.map(|a| a.0))
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.conn())
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = UserId(row.try_get("id")?);
            let memberships = self.memberships_of(id).await?;
            items.push(person_from_row(row, memberships)?);
        }
        Ok(Page {
            items,
            page: page.page,
            per_page: page.per_page,
            total: crate::to_u64(total),
        })
    }

    pub async fn admin_count(&mut self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_admin = 1")
                .fetch_one(self.conn())
                .await?,
        )
    }

    pub async fn user_count(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.conn())
            .await?)
    }

    pub async fn upsert_membership(
        &mut self,
        account: AccountId,
        user: UserId,
        role: Role,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO memberships (account_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(account.0)
        .bind(user.0)
        .bind(role.as_str())
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn delete_membership(&mut self, account: AccountId, user: UserId) -> Result<()> {
        let done = sqlx::query("DELETE FROM memberships WHERE account_id = $1 AND user_id = $2")
            .bind(account.0)
            .bind(user.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn owner_count(&mut self, account: AccountId) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE account_id = $1 AND role = 'owner'",
        )
        .bind(account.0)
        .fetch_one(self.conn())
        .await?)
    }
}
