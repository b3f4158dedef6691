//! Domains (one DNS zone each), their records and DNSSEC keys.

use crate::{Result, StoreError, Tx};
use konbit_core::model::{
    AccountId, DnsRecordRow, Domain, DomainId, ObjectStatus, ProvisionState, RecordId, Timestamp,
};
use konbit_core::names::Fqdn;
use konbit_core::page::{Page, PageRequest};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub struct NewDomain {
    pub account_id: AccountId,
    pub name: Fqdn,
    pub alias_of: Option<DomainId>,
    pub dnssec: bool,
    pub mail: bool,
}

/// A record to write: already validated, value in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub name: String,
    pub rtype: String,
    pub ttl: i64,
    pub value: String,
}

/// Which domains a list shows.
#[derive(Debug, Clone, Default)]
pub struct DomainFilter {
    /// Only these accounts' domains (`None`: every account, for admins).
    pub accounts: Option<Vec<AccountId>>,
    pub deleted: bool,
    pub search: Option<String>,
}

/// The zone signing key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnssecKeyRow {
    pub algorithm: i64,
    pub flags: i64,
    /// Base64 of the private scalar.
    pub private_key: String,
    /// Base64 of the public key (X‖Y).
    pub public_key: String,
}

/// Everything the DNS provisioner needs to write one zone, read in one
/// snapshot.
#[derive(Debug, Clone)]
pub struct ZoneSource {
    pub domain: Domain,
    /// The account is soft-deleted: its zones are not served.
    pub account_deleted: bool,
    /// The records served: the domain's own, or its target's for an alias.
    pub records: Vec<DnsRecordRow>,
    /// The nearest sub-zones hosted here, delegated from this zone.
    pub children: Vec<ChildZone>,
    pub key: Option<DnssecKeyRow>,
}

#[derive(Debug, Clone)]
pub struct ChildZone {
    pub name: Fqdn,
    /// The child's public key when it is signed, for the DS in this zone.
    pub public_key: Option<String>,
}

const SELECT: &str =
    "SELECT d.*, t.name AS alias_name FROM domains d LEFT JOIN domains t ON t.id = d.alias_of";

/// The labels of a name in reverse order: `www.example.org` → `org.example.www`.
/// Sorting by it puts a zone's sub-zones right after it.
pub fn reversed_name(name: &str) -> String {
    name.rsplit('.').collect::<Vec<_>>().join(".")
}

fn from_row(row: &SqliteRow) -> Result<Domain> {
    let status: String = row.try_get("status")?;
    let alias_name: Option<String> = row.try_get("alias_name")?;
    Ok(Domain {
        id: DomainId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        name: Fqdn::parse("name", row.try_get("name")?, 1)?,
        alias_of: row.try_get::<Option<i64>, _>("alias_of")?.map(DomainId),
        alias_of_name: alias_name
            .map(|n| Fqdn::parse("alias_of", &n, 1))
            .transpose()?,
        dnssec: row.try_get("dnssec")?,
        mail: row.try_get("mail")?,
        serial: row.try_get("serial")?,
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

fn record_from_row(row: &SqliteRow) -> Result<DnsRecordRow> {
    Ok(DnsRecordRow {
        id: RecordId(row.try_get("id")?),
        domain_id: DomainId(row.try_get("domain_id")?),
        name: row.try_get("name")?,
        rtype: row.try_get("type")?,
        ttl: row.try_get("ttl")?,
        value: row.try_get("value")?,
        zone_generation: row.try_get("zone_generation")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Tx {
    pub async fn insert_domain(
        &mut self,
        d: &NewDomain,
        serial: i64,
        now: Timestamp,
    ) -> Result<DomainId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO domains (account_id, name, rname, alias_of, dnssec, mail, serial, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(d.account_id.0)
        .bind(d.name.as_str())
        .bind(reversed_name(d.name.as_str()))
        .bind(d.alias_of.map(|a| a.0))
        .bind(d.dnssec)
        .bind(d.mail)
        .bind(serial)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(DomainId(id))
    }

    pub async fn domain(&mut self, id: DomainId) -> Result<Domain> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.id = $1")))
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn domain_by_name(&mut self, name: &str) -> Result<Domain> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.name = $1")))
            .bind(name)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn domains(
        &mut self,
        filter: &DomainFilter,
        page: PageRequest,
    ) -> Result<Page<Domain>> {
        let deleted = if filter.deleted {
            "d.deleted_at IS NOT NULL"
        } else {
            "d.deleted_at IS NULL"
        };
        // Account ids are integers from the store, never input text.
        let accounts = match &filter.accounts {
            Some(ids) if ids.is_empty() => return Ok(empty_page(page)),
            Some(ids) => format!(
                " AND d.account_id IN ({})",
                ids.iter()
                    .map(|a| a.0.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            None => String::new(),
        };
        let pattern = filter
            .search
            .as_deref()
            .map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_', '\\'], "")));
        let search = if pattern.is_some() {
            " AND d.name LIKE $1"
        } else {
            ""
        };
        let where_clause = format!("{deleted}{accounts}{search}");
        let mut count = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM domains d WHERE {where_clause}"
        )));
        if let Some(p) = &pattern {
            count = count.bind(p);
        }
        let total: i64 = count.fetch_one(self.conn()).await?;
        let (limit, offset) = if pattern.is_some() { (2, 3) } else { (1, 2) };
        let mut list = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE {where_clause} ORDER BY d.rname LIMIT ${limit} OFFSET ${offset}"
        )));
        if let Some(p) = &pattern {
            list = list.bind(p);
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

    /// Every domain id, deleted ones included (the resync removes those).
    /// The account's live domains (not deleted), ASCII names.
    pub async fn live_domain_names(&mut self, account: AccountId) -> Result<Vec<(DomainId, Fqdn)>> {
        let rows = sqlx::query(
            "SELECT id, name FROM domains WHERE account_id = $1 AND deleted_at IS NULL ORDER BY name",
        )
        .bind(account.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get("name")?;
                Ok((DomainId(r.try_get("id")?), Fqdn::parse("name", &name, 1)?))
            })
            .collect()
    }

    pub async fn domain_ids(&mut self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM domains ORDER BY id")
            .fetch_all(self.conn())
            .await?)
    }

    /// The ids of an account's domains, deleted ones included.
    pub async fn domain_ids_of_account(&mut self, account: AccountId) -> Result<Vec<DomainId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM domains WHERE account_id = $1 ORDER BY id")
                .bind(account.0)
                .fetch_all(self.conn())
                .await?;
        Ok(ids.into_iter().map(DomainId).collect())
    }

    /// Domains that are ancestors of `name` (`example.org` for
    /// `www.example.org`), nearest first, deleted ones included.
    pub async fn domain_ancestors(&mut self, name: &Fqdn) -> Result<Vec<Domain>> {
        let labels: Vec<&str> = name.as_str().split('.').collect();
        let mut found = Vec::new();
        for skip in 1..labels.len() {
            let candidate = labels[skip..].join(".");
            match self.domain_by_name(&candidate).await {
                Ok(d) => found.push(d),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    /// Domains below `name`, deleted ones included, at most `limit`.
    pub async fn domain_descendants(&mut self, name: &Fqdn, limit: i64) -> Result<Vec<Domain>> {
        // '.' + 1 = '/': the range holds exactly the names under `name`.
        let r = reversed_name(name.as_str());
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE d.rname > $1 AND d.rname < $2 ORDER BY d.rname LIMIT $3"
        )))
        .bind(format!("{r}."))
        .bind(format!("{r}/"))
        .bind(limit)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The live domains that serve `id`'s records.
    pub async fn domain_aliases(&mut self, id: DomainId) -> Result<Vec<Domain>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE d.alias_of = $1 ORDER BY d.name"
        )))
        .bind(id.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Records a change of the zone: a new generation (pending again) and a
    /// higher SOA serial, at least `serial_floor`. Returns the generation.
    pub async fn bump_domain(
        &mut self,
        id: DomainId,
        serial_floor: i64,
        now: Timestamp,
    ) -> Result<i64> {
        let g: Option<i64> = sqlx::query_scalar(
            "UPDATE domains SET generation = generation + 1, status = 'pending', \
             serial = MAX(serial + 1, $2), updated_at = $3 WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(serial_floor)
        .bind(now)
        .fetch_optional(self.conn())
        .await?;
        g.ok_or(StoreError::NotFound)
    }

    pub async fn set_domain_options(
        &mut self,
        id: DomainId,
        dnssec: bool,
        mail: bool,
    ) -> Result<()> {
        sqlx::query("UPDATE domains SET dnssec = $2, mail = $3 WHERE id = $1")
            .bind(id.0)
            .bind(dnssec)
            .bind(mail)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Soft delete (`Some(purge_after)`) or restore (`None`).
    pub async fn set_domain_deleted(
        &mut self,
        id: DomainId,
        purge_after: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE domains SET deleted_at = CASE WHEN $2 IS NULL THEN NULL ELSE $3 END, \
             purge_after = $2 WHERE id = $1",
        )
        .bind(id.0)
        .bind(purge_after)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn domains_due_for_purge(&mut self, now: Timestamp) -> Result<Vec<DomainId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM domains WHERE purge_after IS NOT NULL AND purge_after <= $1 ORDER BY id",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(DomainId).collect())
    }

    pub async fn purge_domain(&mut self, id: DomainId) -> Result<()> {
        sqlx::query("DELETE FROM domains WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// How many live domains an account has (aliases and sub-zones count).
    pub async fn count_domains(&mut self, account: AccountId) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM domains WHERE account_id = $1 AND deleted_at IS NULL",
        )
        .bind(account.0)
        .fetch_one(self.conn())
        .await?)
    }

    pub async fn records(&mut self, domain: DomainId) -> Result<Vec<DnsRecordRow>> {
        let rows = sqlx::query(
            "SELECT * FROM dns_records WHERE domain_id = $1 ORDER BY name = '' DESC, name, type, value",
        )
        .bind(domain.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    pub async fn record(&mut self, domain: DomainId, id: RecordId) -> Result<DnsRecordRow> {
        let row = sqlx::query("SELECT * FROM dns_records WHERE id = $1 AND domain_id = $2")
            .bind(id.0)
            .bind(domain.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        record_from_row(&row)
    }

    pub async fn insert_record(
        &mut self,
        domain: DomainId,
        r: &NewRecord,
        zone_generation: i64,
        now: Timestamp,
    ) -> Result<RecordId> {
        self.insert_managed_record(domain, r, None, zone_generation, now)
            .await
    }

    /// A record added on behalf of a feature (`managed`: `"mail"`), so that
    /// turning the feature off removes exactly what it added. It is an
    /// ordinary record otherwise: the account may edit it.
    pub async fn insert_managed_record(
        &mut self,
        domain: DomainId,
        r: &NewRecord,
        managed: Option<&str>,
        zone_generation: i64,
        now: Timestamp,
    ) -> Result<RecordId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dns_records (domain_id, name, type, ttl, value, zone_generation, created_at, updated_at, managed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
        )
        .bind(domain.0)
        .bind(&r.name)
        .bind(&r.rtype)
        .bind(r.ttl)
        .bind(&r.value)
        .bind(zone_generation)
        .bind(now)
        .bind(managed)
        .fetch_one(self.conn())
        .await?;
        Ok(RecordId(id))
    }

    /// Deletes the records a feature added (all of them, or those at `name`).
    pub async fn delete_managed_records(
        &mut self,
        domain: DomainId,
        managed: &str,
        name: Option<&str>,
    ) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM dns_records WHERE domain_id = $1 AND managed = $2 AND ($3 IS NULL OR name = $3)",
        )
        .bind(domain.0)
        .bind(managed)
        .bind(name)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn update_record(
        &mut self,
        id: RecordId,
        r: &NewRecord,
        zone_generation: i64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE dns_records SET name = $2, type = $3, ttl = $4, value = $5, zone_generation = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(id.0)
        .bind(&r.name)
        .bind(&r.rtype)
        .bind(r.ttl)
        .bind(&r.value)
        .bind(zone_generation)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Gives a record the TTL of its RRset, as part of a change at `zone_generation`.
    pub async fn set_record_ttl(
        &mut self,
        id: RecordId,
        ttl: i64,
        zone_generation: i64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE dns_records SET ttl = $2, zone_generation = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.0)
        .bind(ttl)
        .bind(zone_generation)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn delete_record(&mut self, id: RecordId) -> Result<()> {
        sqlx::query("DELETE FROM dns_records WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn delete_records(&mut self, domain: DomainId) -> Result<()> {
        sqlx::query("DELETE FROM dns_records WHERE domain_id = $1")
            .bind(domain.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn insert_dnssec_key(
        &mut self,
        domain: DomainId,
        key: &DnssecKeyRow,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO dnssec_keys (domain_id, algorithm, flags, private_key, public_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(domain.0)
        .bind(key.algorithm)
        .bind(key.flags)
        .bind(&key.private_key)
        .bind(&key.public_key)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn dnssec_key(&mut self, domain: DomainId) -> Result<Option<DnssecKeyRow>> {
        let row = sqlx::query("SELECT * FROM dnssec_keys WHERE domain_id = $1")
            .bind(domain.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| {
            Ok(DnssecKeyRow {
                algorithm: r.try_get("algorithm")?,
                flags: r.try_get("flags")?,
                private_key: r.try_get("private_key")?,
                public_key: r.try_get("public_key")?,
            })
        })
        .transpose()
    }

    /// The desired state of one zone, for the provisioner.
    pub async fn zone_source(&mut self, id: DomainId) -> Result<ZoneSource> {
        let domain = self.domain(id).await?;
        let account_deleted: Option<i64> =
            sqlx::query_scalar("SELECT deleted_at FROM accounts WHERE id = $1")
                .bind(domain.account_id.0)
                .fetch_optional(self.conn())
                .await?
                .flatten();
        let records = self.records(domain.alias_of.unwrap_or(domain.id)).await?;
        let mut children = Vec::new();
        // The nearest live sub-zones: skip what lies below one already taken.
        let below = self.domain_descendants(&domain.name, 10_000).await?;
        let mut taken: Vec<String> = Vec::new();
        for d in below {
            if d.is_deleted() {
                continue;
            }
            let under_taken = taken
                .iter()
                .any(|t| d.name.as_str().ends_with(&format!(".{t}")));
            if under_taken {
                continue;
            }
            taken.push(d.name.as_str().to_owned());
            let public_key = if d.dnssec {
                self.dnssec_key(d.id).await?.map(|k| k.public_key)
            } else {
                None
            };
            children.push(ChildZone {
                name: d.name,
                public_key,
            });
        }
        let key = self.dnssec_key(id).await?;
        Ok(ZoneSource {
            domain,
            account_deleted: account_deleted.is_some(),
            records,
            children,
            key,
        })
    }
}

fn empty_page<T>(page: PageRequest) -> Page<T> {
    Page {
        items: Vec::new(),
        page: page.page,
        per_page: page.per_page,
        total: 0,
    }
}
