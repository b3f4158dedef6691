//! Hosted mail: mail domains, mailboxes, aliases, automatic replies and
//! DKIM keys.

use crate::{Result, StoreError, Tx};
use konbit_core::mail::{AliasSource, LocalPart, MailAddress};
use konbit_core::model::{
    AccountId, Domain, DomainId, MailAlias, MailAliasId, MailDomain, Mailbox, MailboxId,
    ObjectStatus, ProvisionState, Timestamp,
};
use konbit_core::names::Fqdn;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub struct NewMailbox {
    pub account_id: AccountId,
    pub domain_id: DomainId,
    pub local_part: LocalPart,
    pub password_hash: String,
    pub quota_mb: u64,
}

/// An automatic reply as stored (validated by the app before it is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoreplyRow {
    pub enabled: bool,
    pub subject: String,
    pub body: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimKeyRow {
    pub selector: String,
    /// PKCS#8 PEM.
    pub private_key: String,
    /// Base64 DER SubjectPublicKeyInfo.
    pub public_key: String,
    pub created_at: Timestamp,
}

/// Which mailboxes or aliases a list shows.
#[derive(Debug, Clone, Default)]
pub struct MailFilter {
    /// Only these accounts' (`None`: every account, for admins).
    pub accounts: Option<Vec<AccountId>>,
    pub domain: Option<DomainId>,
    pub deleted: bool,
}

/// A mailbox with what the mail servers need, for the provisioner.
#[derive(Debug, Clone)]
pub struct ServedMailbox {
    pub mailbox: Mailbox,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub autoreply: Option<AutoreplyRow>,
}

/// Everything the mail provisioner needs to serve one domain's mail, read
/// in one snapshot.
#[derive(Debug, Clone)]
pub struct MailDomainSource {
    pub domain: Domain,
    /// Mail is on, and neither the domain nor its account is deleted.
    pub serving: bool,
    /// Live domain aliases of this domain: their mail lands here.
    pub alias_domains: Vec<Fqdn>,
    /// Every mailbox of the domain, soft-deleted ones included (their mail
    /// is kept until they are purged; they are not served).
    pub mailboxes: Vec<ServedMailbox>,
    pub aliases: Vec<MailAlias>,
    /// Newest first: the first one signs.
    pub dkim_keys: Vec<DkimKeyRow>,
    /// The live mailing lists of the domain: their addresses go to
    /// Mailman (a soft-deleted list's are refused, like a deleted
    /// mailbox's).
    pub lists: Vec<konbit_core::list::ListName>,
    /// The soft-deleted lists still in their grace period: their
    /// addresses are refused, never taken by the catch-all.
    pub deleted_lists: Vec<konbit_core::list::ListName>,
}

const MAILBOX_SELECT: &str =
    "SELECT m.*, d.name AS domain_name FROM mailboxes m JOIN domains d ON d.id = m.domain_id";
const ALIAS_SELECT: &str =
    "SELECT a.*, d.name AS domain_name FROM mail_aliases a JOIN domains d ON d.id = a.domain_id";

fn provision_from_row(row: &SqliteRow) -> Result<ProvisionState> {
    let status: String = row.try_get("status")?;
    Ok(ProvisionState {
        status: ObjectStatus::from_db(&status),
        generation: row.try_get("generation")?,
        applied_generation: row.try_get("applied_generation")?,
        last_error: row.try_get("last_error")?,
    })
}

fn mailbox_from_row(row: &SqliteRow) -> Result<Mailbox> {
    let domain = Fqdn::parse("domain", row.try_get("domain_name")?, 1)?;
    let local = LocalPart::parse("local_part", row.try_get("local_part")?)?;
    Ok(Mailbox {
        id: MailboxId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        domain_id: DomainId(row.try_get("domain_id")?),
        address: MailAddress::new("address", local, domain)?,
        quota_mb: crate::to_u64(row.try_get("quota_mb")?),
        enabled: row.try_get("enabled")?,
        used_bytes: crate::to_u64(row.try_get("used_bytes")?),
        used_at: row.try_get("used_at")?,
        deleted_at: row.try_get("deleted_at")?,
        purge_after: row.try_get("purge_after")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        mail_generation: row.try_get("mail_generation")?,
    })
}

fn alias_from_row(row: &SqliteRow, destinations: Vec<String>) -> Result<MailAlias> {
    let domain = Fqdn::parse("domain", row.try_get("domain_name")?, 1)?;
    let local: String = row.try_get("local_part")?;
    let source = if local.is_empty() {
        AliasSource::CatchAll(domain)
    } else {
        AliasSource::Address(MailAddress::new(
            "source",
            LocalPart::parse("source", &local)?,
            domain,
        )?)
    };
    Ok(MailAlias {
        id: MailAliasId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        domain_id: DomainId(row.try_get("domain_id")?),
        source,
        destinations,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        mail_generation: row.try_get("mail_generation")?,
    })
}

fn autoreply_from_row(row: &SqliteRow) -> Result<AutoreplyRow> {
    Ok(AutoreplyRow {
        enabled: row.try_get("enabled")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        start_date: row.try_get("start_date")?,
        end_date: row.try_get("end_date")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// `(query, binds)` of the WHERE clause of a list.
fn filter_clause(alias: &str, filter: &MailFilter, deleted_column: bool) -> (String, Vec<i64>) {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    if let Some(accounts) = &filter.accounts {
        if accounts.is_empty() {
            clauses.push("0".to_owned());
        } else {
            let marks: Vec<String> = accounts
                .iter()
                .map(|a| {
                    binds.push(a.0);
                    format!("${}", binds.len())
                })
                .collect();
            clauses.push(format!("{alias}.account_id IN ({})", marks.join(",")));
        }
    }
    if let Some(d) = filter.domain {
        binds.push(d.0);
        clauses.push(format!("{alias}.domain_id = ${}", binds.len()));
    }
    if deleted_column {
        clauses.push(if filter.deleted {
            format!("{alias}.deleted_at IS NOT NULL")
        } else {
            format!("{alias}.deleted_at IS NULL")
        });
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (sql, binds)
}

impl Tx {
    // ----- mail domains ---------------------------------------------------

    /// Creates the domain's mail row if it has none; returns its new
    /// generation either way (a change to mail is pending again).
    pub async fn bump_mail_domain(
        &mut self,
        domain: DomainId,
        account: AccountId,
        now: Timestamp,
    ) -> Result<i64> {
        let g: i64 = sqlx::query_scalar(
            "INSERT INTO mail_domains (id, account_id, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (id) DO UPDATE SET generation = generation + 1, status = 'pending', updated_at = $3 \
             RETURNING generation",
        )
        .bind(domain.0)
        .bind(account.0)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(g)
    }

    /// The domain's mail state (`NotFound` when mail was never turned on).
    pub async fn mail_domain(&mut self, domain: DomainId) -> Result<MailDomain> {
        let row = sqlx::query(
            "SELECT md.*, d.name AS domain_name, d.mail AS enabled, \
             (SELECT selector FROM dkim_keys k WHERE k.domain_id = md.id ORDER BY k.id DESC LIMIT 1) AS selector \
             FROM mail_domains md JOIN domains d ON d.id = md.id WHERE md.id = $1",
        )
        .bind(domain.0)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(MailDomain {
            domain_id: domain,
            account_id: AccountId(row.try_get("account_id")?),
            domain: Fqdn::parse("domain", row.try_get("domain_name")?, 1)?,
            enabled: row.try_get("enabled")?,
            dkim_selector: row.try_get("selector")?,
            provision: provision_from_row(&row)?,
        })
    }

    /// Every domain that has a mail row, for the full resync.
    pub async fn mail_domain_ids(&mut self) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM mail_domains ORDER BY id")
                .fetch_all(self.conn())
                .await?,
        )
    }

    pub async fn mail_domain_ids_of_account(
        &mut self,
        account: AccountId,
    ) -> Result<Vec<DomainId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM mail_domains WHERE account_id = $1 ORDER BY id")
                .bind(account.0)
                .fetch_all(self.conn())
                .await?;
        Ok(ids.into_iter().map(DomainId).collect())
    }

    pub async fn set_domain_mail(&mut self, domain: DomainId, mail: bool) -> Result<()> {
        sqlx::query("UPDATE domains SET mail = $2 WHERE id = $1")
            .bind(domain.0)
            .bind(mail)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The snapshot the mail provisioner serves (see [`MailDomainSource`]).
    pub async fn mail_domain_source(&mut self, domain: DomainId) -> Result<MailDomainSource> {
        let d = self.domain(domain).await?;
        let account_deleted: Option<i64> =
            sqlx::query_scalar("SELECT deleted_at FROM accounts WHERE id = $1")
                .bind(d.account_id.0)
                .fetch_one(self.conn())
                .await?;
        let serving =
            d.mail && !d.is_deleted() && account_deleted.is_none() && d.alias_of.is_none();
        let alias_domains = self
            .domain_aliases(domain)
            .await?
            .into_iter()
            .filter(|a| !a.is_deleted())
            .map(|a| a.name)
            .collect();
        let filter = MailFilter {
            domain: Some(domain),
            ..MailFilter::default()
        };
        let mut mailboxes = Vec::new();
        let rows = sqlx::query(
            "SELECT m.*, d.name AS domain_name, r.enabled AS r_enabled, r.subject AS r_subject, \
             r.body AS r_body, r.start_date AS r_start, r.end_date AS r_end, r.updated_at AS r_updated \
             FROM mailboxes m JOIN domains d ON d.id = m.domain_id \
             LEFT JOIN autoreplies r ON r.mailbox_id = m.id \
             WHERE m.domain_id = $1 ORDER BY m.local_part",
        )
        .bind(domain.0)
        .fetch_all(self.conn())
        .await?;
        for row in &rows {
            let autoreply = match row.try_get::<Option<bool>, _>("r_enabled")? {
                None => None,
                Some(enabled) => Some(AutoreplyRow {
                    enabled,
                    subject: row.try_get("r_subject")?,
                    body: row.try_get("r_body")?,
                    start_date: row.try_get("r_start")?,
                    end_date: row.try_get("r_end")?,
                    updated_at: row.try_get("r_updated")?,
                }),
            };
            mailboxes.push(ServedMailbox {
                mailbox: mailbox_from_row(row)?,
                password_hash: row.try_get("password_hash")?,
                autoreply,
            });
        }
        let aliases = self.mail_aliases(&filter).await?;
        let dkim_keys = self.dkim_keys(domain).await?;
        let (deleted, live): (Vec<_>, Vec<_>) = self
            .mailing_lists(&crate::ListFilter {
                domain: Some(domain),
                include_deleted: true,
                ..Default::default()
            })
            .await?
            .into_iter()
            .partition(|l| l.deleted_at.is_some());
        let lists = live.into_iter().map(|l| l.name).collect();
        let deleted_lists = deleted.into_iter().map(|l| l.name).collect();
        Ok(MailDomainSource {
            domain: d,
            serving,
            alias_domains,
            mailboxes,
            aliases,
            dkim_keys,
            lists,
            deleted_lists,
        })
    }

    // ----- mailboxes ------------------------------------------------------

    pub async fn insert_mailbox(
        &mut self,
        m: &NewMailbox,
        mail_generation: i64,
        now: Timestamp,
    ) -> Result<MailboxId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mailboxes (account_id, domain_id, local_part, password_hash, quota_mb, \
             created_at, updated_at, mail_generation) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
        )
        .bind(m.account_id.0)
        .bind(m.domain_id.0)
        .bind(m.local_part.as_str())
        .bind(&m.password_hash)
        .bind(crate::to_i64(m.quota_mb))
        .bind(now)
        .bind(mail_generation)
        .fetch_one(self.conn())
        .await?;
        Ok(MailboxId(id))
    }

    pub async fn mailbox(&mut self, id: MailboxId) -> Result<Mailbox> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MAILBOX_SELECT} WHERE m.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        mailbox_from_row(&row)
    }

    /// A mailbox by its address (ASCII), deleted or not.
    pub async fn mailbox_by_address(&mut self, address: &MailAddress) -> Result<Mailbox> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MAILBOX_SELECT} WHERE d.name = $1 AND m.local_part = $2"
        )))
        .bind(address.domain().as_str())
        .bind(address.local().as_str())
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        mailbox_from_row(&row)
    }

    /// The stored hash, for the self-service password change.
    pub async fn mailbox_password_hash(&mut self, id: MailboxId) -> Result<String> {
        sqlx::query_scalar("SELECT password_hash FROM mailboxes WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn mailboxes(&mut self, filter: &MailFilter) -> Result<Vec<Mailbox>> {
        let (clause, binds) = filter_clause("m", filter, true);
        let sql = format!("{MAILBOX_SELECT}{clause} ORDER BY d.name, m.local_part");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        q.fetch_all(self.conn())
            .await?
            .iter()
            .map(mailbox_from_row)
            .collect()
    }

    /// Addresses of an account's live mailboxes (for the alias rules).
    pub async fn mailbox_addresses_of_account(
        &mut self,
        account: AccountId,
    ) -> Result<Vec<MailAddress>> {
        let filter = MailFilter {
            accounts: Some(vec![account]),
            ..MailFilter::default()
        };
        Ok(self
            .mailboxes(&filter)
            .await?
            .into_iter()
            .map(|m| m.address)
            .collect())
    }

    /// (count, sum of quotas in MB) of an account's mailboxes, deleted ones
    /// included: they keep their mail until purged.
    pub async fn mailbox_usage(&mut self, account: AccountId) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(quota_mb), 0) FROM mailboxes WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_one(self.conn())
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// An account's aliases (catch-alls included), for its quota.
    pub async fn count_mail_aliases(&mut self, account: AccountId) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_aliases WHERE account_id = $1")
                .bind(account.0)
                .fetch_one(self.conn())
                .await?,
        )
    }

    pub async fn count_mail_of_domain(&mut self, domain: DomainId) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM mailboxes WHERE domain_id = $1) \
             + (SELECT COUNT(*) FROM mail_aliases WHERE domain_id = $1)",
        )
        .bind(domain.0)
        .fetch_one(self.conn())
        .await?)
    }

    pub async fn update_mailbox(
        &mut self,
        id: MailboxId,
        quota_mb: u64,
        enabled: bool,
        mail_generation: i64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE mailboxes SET quota_mb = $2, enabled = $3, mail_generation = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id.0)
        .bind(crate::to_i64(quota_mb))
        .bind(enabled)
        .bind(mail_generation)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn set_mailbox_password(
        &mut self,
        id: MailboxId,
        password_hash: &str,
        mail_generation: i64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE mailboxes SET password_hash = $2, mail_generation = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.0)
        .bind(password_hash)
        .bind(mail_generation)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Soft delete (`Some(purge_after)`) or restore (`None`).
    pub async fn set_mailbox_deleted(
        &mut self,
        id: MailboxId,
        purge_after: Option<Timestamp>,
        mail_generation: i64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE mailboxes SET deleted_at = CASE WHEN $2 IS NULL THEN NULL ELSE $4 END, \
             purge_after = $2, mail_generation = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.0)
        .bind(purge_after)
        .bind(mail_generation)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn mailboxes_due_for_purge(&mut self, now: Timestamp) -> Result<Vec<MailboxId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM mailboxes WHERE purge_after IS NOT NULL AND purge_after <= $1",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(MailboxId).collect())
    }

    pub async fn purge_mailbox(&mut self, id: MailboxId) -> Result<()> {
        sqlx::query("DELETE FROM mailboxes WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Records the storage a mailbox uses (measured by the mail agent).
    pub async fn set_mailbox_usage(
        &mut self,
        id: MailboxId,
        used_bytes: u64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query("UPDATE mailboxes SET used_bytes = $2, used_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(crate::to_i64(used_bytes))
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    // ----- autoreplies ----------------------------------------------------

    pub async fn autoreply(&mut self, mailbox: MailboxId) -> Result<Option<AutoreplyRow>> {
        sqlx::query("SELECT * FROM autoreplies WHERE mailbox_id = $1")
            .bind(mailbox.0)
            .fetch_optional(self.conn())
            .await?
            .as_ref()
            .map(autoreply_from_row)
            .transpose()
    }

    pub async fn put_autoreply(&mut self, mailbox: MailboxId, r: &AutoreplyRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO autoreplies (mailbox_id, enabled, subject, body, start_date, end_date, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mailbox_id) DO UPDATE SET \
             enabled = $2, subject = $3, body = $4, start_date = $5, end_date = $6, updated_at = $7",
        )
        .bind(mailbox.0)
        .bind(r.enabled)
        .bind(&r.subject)
        .bind(&r.body)
        .bind(&r.start_date)
        .bind(&r.end_date)
        .bind(r.updated_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    // ----- aliases --------------------------------------------------------

    pub async fn insert_mail_alias(
        &mut self,
        account: AccountId,
        domain: DomainId,
        local_part: &str,
        destinations: &[String],
        mail_generation: i64,
        now: Timestamp,
    ) -> Result<MailAliasId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mail_aliases (account_id, domain_id, local_part, created_at, updated_at, mail_generation) \
             VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
        )
        .bind(account.0)
        .bind(domain.0)
        .bind(local_part)
        .bind(now)
        .bind(mail_generation)
        .fetch_one(self.conn())
        .await?;
        let id = MailAliasId(id);
        self.write_destinations(id, destinations).await?;
        Ok(id)
    }

    pub async fn update_mail_alias(
        &mut self,
        id: MailAliasId,
        destinations: &[String],
        mail_generation: i64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query("UPDATE mail_aliases SET mail_generation = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(mail_generation)
            .bind(now)
            .execute(self.conn())
            .await?;
        self.write_destinations(id, destinations).await
    }

    async fn write_destinations(&mut self, id: MailAliasId, destinations: &[String]) -> Result<()> {
        sqlx::query("DELETE FROM mail_alias_destinations WHERE alias_id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        for (position, address) in destinations.iter().enumerate() {
            sqlx::query(
                "INSERT INTO mail_alias_destinations (alias_id, position, address) VALUES ($1, $2, $3)",
            )
            .bind(id.0)
            .bind(crate::to_i64(position as u64))
            .bind(address)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    pub async fn delete_mail_alias(&mut self, id: MailAliasId) -> Result<()> {
        sqlx::query("DELETE FROM mail_aliases WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn mail_alias(&mut self, id: MailAliasId) -> Result<MailAlias> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ALIAS_SELECT} WHERE a.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        let destinations = self.destinations(id).await?;
        alias_from_row(&row, destinations)
    }

    async fn destinations(&mut self, id: MailAliasId) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT address FROM mail_alias_destinations WHERE alias_id = $1 ORDER BY position",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?)
    }

    /// Whether the domain has an alias with this local part ('' = catch-all).
    pub async fn mail_alias_by_source(
        &mut self,
        domain: DomainId,
        local_part: &str,
    ) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM mail_aliases WHERE domain_id = $1 AND local_part = $2",
        )
        .bind(domain.0)
        .bind(local_part)
        .fetch_optional(self.conn())
        .await?;
        Ok(found.is_some())
    }

    /// Whether a domain name (ASCII) is hosted here with mail on, by any
    /// account: destinations there are local.
    pub async fn is_mail_domain(&mut self, name: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM domains WHERE name = $1 AND mail = 1 AND deleted_at IS NULL",
        )
        .bind(name)
        .fetch_optional(self.conn())
        .await?;
        Ok(found.is_some())
    }

    pub async fn mail_aliases(&mut self, filter: &MailFilter) -> Result<Vec<MailAlias>> {
        let (clause, binds) = filter_clause("a", filter, false);
        let sql = format!("{ALIAS_SELECT}{clause} ORDER BY d.name, a.local_part");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.conn()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = MailAliasId(row.try_get("id")?);
            let destinations = self.destinations(id).await?;
            out.push(alias_from_row(row, destinations)?);
        }
        Ok(out)
    }

    // ----- DKIM -----------------------------------------------------------

    pub async fn insert_dkim_key(&mut self, domain: DomainId, key: &DkimKeyRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO dkim_keys (domain_id, selector, private_key, public_key, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(domain.0)
        .bind(&key.selector)
        .bind(&key.private_key)
        .bind(&key.public_key)
        .bind(key.created_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Newest first.
    pub async fn dkim_keys(&mut self, domain: DomainId) -> Result<Vec<DkimKeyRow>> {
        let rows = sqlx::query("SELECT * FROM dkim_keys WHERE domain_id = $1 ORDER BY id DESC")
            .bind(domain.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DkimKeyRow {
                    selector: r.try_get("selector")?,
                    private_key: r.try_get("private_key")?,
                    public_key: r.try_get("public_key")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Keeps the `keep` newest keys of a domain.
    pub async fn prune_dkim_keys(&mut self, domain: DomainId, keep: i64) -> Result<()> {
        sqlx::query(
            "DELETE FROM dkim_keys WHERE domain_id = $1 AND id NOT IN \
             (SELECT id FROM dkim_keys WHERE domain_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(domain.0)
        .bind(keep)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
