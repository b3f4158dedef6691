//! Websites, the names they answer to, their certificates and the disk
//! their accounts use.

use crate::{Result, StoreError, Tx};
use konbit_core::model::{
    AccountId, Certificate, CertificateStatus, DomainId, ObjectStatus, ProvisionState, Site,
    SiteId, Timestamp,
};
use konbit_core::names::Fqdn;
use konbit_core::web::{DocRoot, ProxyPort, RedirectTarget, SiteHttps, SiteKind};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// A site to write: every value already validated.
#[derive(Debug, Clone)]
pub struct SiteFields {
    pub domain_id: DomainId,
    pub host: Fqdn,
    pub aliases: Vec<Fqdn>,
    pub kind: SiteKind,
    pub https: SiteHttps,
}

/// Which sites a list shows.
#[derive(Debug, Clone, Default)]
pub struct SiteFilter {
    /// Only these accounts' sites (`None`: every account, for admins).
    pub accounts: Option<Vec<AccountId>>,
    pub deleted: bool,
}

/// Everything the web provisioner needs for one site, read in one snapshot.
#[derive(Debug, Clone)]
pub struct SiteSource {
    pub site: Site,
    pub account_name: konbit_core::names::AccountName,
    /// The site's account or domain is soft-deleted: it is not served.
    pub parent_deleted: bool,
    pub certificate: Option<Certificate>,
}

fn kind_from_row(row: &SqliteRow) -> Result<SiteKind> {
    let kind: String = row.try_get("kind")?;
    let root = || -> Result<DocRoot> {
        let raw: Option<String> = row.try_get("root")?;
        Ok(DocRoot::parse("root", raw.as_deref().unwrap_or(""))?)
    };
    Ok(match kind.as_str() {
        "static" => SiteKind::Static { root: root()? },
        "php" => SiteKind::Php { root: root()? },
        "redirect" => {
            let to: Option<String> = row.try_get("redirect_to")?;
            SiteKind::Redirect {
                target: RedirectTarget::parse("redirect_to", to.as_deref().unwrap_or(""))?,
                permanent: row.try_get("redirect_permanent")?,
                keep_path: row.try_get("redirect_keep_path")?,
            }
        }
        "proxy" => {
            let port: Option<i64> = row.try_get("proxy_port")?;
            SiteKind::Proxy {
                port: ProxyPort::parse("proxy_port", port.unwrap_or(0), 1, u16::MAX)?,
            }
        }
        other => {
            return Err(StoreError::Unreadable(format!(
                "unknown site kind {other:?}"
            )));
        }
    })
}

fn from_row(row: &SqliteRow, aliases: Vec<Fqdn>) -> Result<Site> {
    let status: String = row.try_get("status")?;
    Ok(Site {
        id: SiteId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        domain_id: DomainId(row.try_get("domain_id")?),
        host: Fqdn::parse("host", row.try_get("host")?, 1)?,
        aliases,
        kind: kind_from_row(row)?,
        https: SiteHttps {
            certificate: row.try_get("certificate")?,
            force_https: row.try_get("force_https")?,
            hsts: row.try_get("hsts")?,
        },
        enabled: row.try_get("enabled")?,
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

fn certificate_from_row(row: &SqliteRow) -> Result<Certificate> {
    let status: String = row.try_get("cert_status")?;
    let names: String = row.try_get("names")?;
    Ok(Certificate {
        site_id: SiteId(row.try_get("id")?),
        status: CertificateStatus::from_db(&status),
        names: serde_json::from_str(&names)
            .map_err(|e| StoreError::Unreadable(format!("certificate names: {e}")))?,
        not_before: row.try_get("not_before")?,
        not_after: row.try_get("not_after")?,
        issued_at: row.try_get("issued_at")?,
        last_error: row.try_get("cert_error")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The columns of a kind, in the order of `INSERT` and `UPDATE` below.
struct KindColumns<'a> {
    kind: &'static str,
    root: Option<&'a str>,
    redirect_to: Option<&'a str>,
    permanent: bool,
    keep_path: bool,
    proxy_port: Option<i64>,
}

fn kind_columns(kind: &SiteKind) -> KindColumns<'_> {
    let mut c = KindColumns {
        kind: kind.name().as_str(),
        root: kind.root().map(DocRoot::as_str),
        redirect_to: None,
        permanent: true,
        keep_path: true,
        proxy_port: None,
    };
    match kind {
        SiteKind::Redirect {
            target,
            permanent,
            keep_path,
        } => {
            c.redirect_to = Some(target.as_str());
            c.permanent = *permanent;
            c.keep_path = *keep_path;
        }
        SiteKind::Proxy { port } => c.proxy_port = Some(i64::from(port.get())),
        SiteKind::Static { .. } | SiteKind::Php { .. } => {}
    }
    c
}

impl Tx {
    pub async fn insert_site(
        &mut self,
        account: AccountId,
        f: &SiteFields,
        now: Timestamp,
    ) -> Result<SiteId> {
        let k = kind_columns(&f.kind);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sites (account_id, domain_id, host, kind, root, redirect_to, redirect_permanent, \
             redirect_keep_path, proxy_port, certificate, force_https, hsts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(account.0)
        .bind(f.domain_id.0)
        .bind(f.host.as_str())
        .bind(k.kind)
        .bind(k.root)
        .bind(k.redirect_to)
        .bind(k.permanent)
        .bind(k.keep_path)
        .bind(k.proxy_port)
        .bind(f.https.certificate)
        .bind(f.https.force_https)
        .bind(f.https.hsts)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        let id = SiteId(id);
        self.replace_site_names(id, &f.host, &f.aliases).await?;
        Ok(id)
    }

    /// Replaces what a site serves and raises its generation.
    pub async fn update_site(&mut self, id: SiteId, f: &SiteFields, now: Timestamp) -> Result<i64> {
        let k = kind_columns(&f.kind);
        let generation: i64 = sqlx::query_scalar(
            "UPDATE sites SET domain_id = $2, host = $3, kind = $4, root = $5, redirect_to = $6, \
             redirect_permanent = $7, redirect_keep_path = $8, proxy_port = $9, certificate = $10, \
             force_https = $11, hsts = $12, updated_at = $13, generation = generation + 1, \
             status = 'pending' WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(f.domain_id.0)
        .bind(f.host.as_str())
        .bind(k.kind)
        .bind(k.root)
        .bind(k.redirect_to)
        .bind(k.permanent)
        .bind(k.keep_path)
        .bind(k.proxy_port)
        .bind(f.https.certificate)
        .bind(f.https.force_https)
        .bind(f.https.hsts)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        self.replace_site_names(id, &f.host, &f.aliases).await?;
        Ok(generation)
    }

    async fn replace_site_names(
        &mut self,
        id: SiteId,
        host: &Fqdn,
        aliases: &[Fqdn],
    ) -> Result<()> {
        sqlx::query("DELETE FROM site_names WHERE site_id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        for (position, name) in std::iter::once(host).chain(aliases).enumerate() {
            sqlx::query("INSERT INTO site_names (name, site_id, position) VALUES ($1, $2, $3)")
                .bind(name.as_str())
                .bind(id.0)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// The site that answers to `name`, if any (deleted ones included).
    pub async fn site_by_name(&mut self, name: &str) -> Result<Option<SiteId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT site_id FROM site_names WHERE name = $1")
            .bind(name)
            .fetch_optional(self.conn())
            .await?;
        Ok(id.map(SiteId))
    }

    async fn site_aliases(&mut self, id: SiteId) -> Result<Vec<Fqdn>> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM site_names WHERE site_id = $1 AND position > 0 ORDER BY position",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?;
        Ok(names
            .iter()
            .map(|n| Fqdn::parse("aliases", n, 1))
            .collect::<std::result::Result<_, _>>()?)
    }

    pub async fn site(&mut self, id: SiteId) -> Result<Site> {
        let row = sqlx::query("SELECT * FROM sites WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let aliases = self.site_aliases(id).await?;
        from_row(&row, aliases)
    }

    /// Sites by host name, with their aliases.
    pub async fn sites(&mut self, filter: &SiteFilter) -> Result<Vec<Site>> {
        let accounts = filter
            .accounts
            .as_ref()
            .map(|a| serde_json::to_string(&a.iter().map(|a| a.0).collect::<Vec<_>>()))
            .transpose()
            .map_err(|e| StoreError::Unreadable(e.to_string()))?;
        let rows = sqlx::query(
            "SELECT * FROM sites WHERE ($1 IS NULL OR account_id IN (SELECT value FROM json_each($1))) \
             AND ((deleted_at IS NOT NULL) = $2) ORDER BY host",
        )
        .bind(accounts)
        .bind(filter.deleted)
        .fetch_all(self.conn())
        .await?;
        let names = sqlx::query(
            "SELECT n.site_id, n.name FROM site_names n JOIN sites s ON s.id = n.site_id \
             WHERE n.position > 0 AND ($1 IS NULL OR s.account_id IN (SELECT value FROM json_each($1))) \
             ORDER BY n.site_id, n.position",
        )
        .bind(
            filter
                .accounts
                .as_ref()
                .map(|a| serde_json::to_string(&a.iter().map(|a| a.0).collect::<Vec<_>>()))
                .transpose()
                .map_err(|e| StoreError::Unreadable(e.to_string()))?,
        )
        .fetch_all(self.conn())
        .await?;
        let mut by_site: std::collections::HashMap<i64, Vec<Fqdn>> = Default::default();
        for n in &names {
            let name: String = n.try_get("name")?;
            by_site
                .entry(n.try_get("site_id")?)
                .or_default()
                .push(Fqdn::parse("aliases", &name, 1)?);
        }
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                from_row(r, by_site.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    pub async fn site_ids(&mut self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM sites ORDER BY id")
            .fetch_all(self.conn())
            .await?)
    }

    pub async fn site_ids_of_account(&mut self, account: AccountId) -> Result<Vec<SiteId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM sites WHERE account_id = $1 ORDER BY id")
                .bind(account.0)
                .fetch_all(self.conn())
                .await?;
        Ok(ids.into_iter().map(SiteId).collect())
    }

    pub async fn site_ids_of_domain(&mut self, domain: DomainId) -> Result<Vec<SiteId>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM sites WHERE domain_id = $1 ORDER BY id")
                .bind(domain.0)
                .fetch_all(self.conn())
                .await?;
        Ok(ids.into_iter().map(SiteId).collect())
    }

    /// Live and soft-deleted sites of the account (what its quota counts).
    pub async fn count_sites(&mut self, account: AccountId) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM sites WHERE account_id = $1")
                .bind(account.0)
                .fetch_one(self.conn())
                .await?,
        )
    }

    /// Raises the site's generation (something it depends on changed).
    pub async fn bump_site(&mut self, id: SiteId, now: Timestamp) -> Result<i64> {
        sqlx::query_scalar(
            "UPDATE sites SET generation = generation + 1, status = 'pending', updated_at = $2 \
             WHERE id = $1 RETURNING generation",
        )
        .bind(id.0)
        .bind(now)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn set_site_enabled(
        &mut self,
        id: SiteId,
        enabled: bool,
        now: Timestamp,
    ) -> Result<i64> {
        sqlx::query("UPDATE sites SET enabled = $2 WHERE id = $1")
            .bind(id.0)
            .bind(enabled)
            .execute(self.conn())
            .await?;
        self.bump_site(id, now).await
    }

    pub async fn set_site_deleted(
        &mut self,
        id: SiteId,
        deleted_at: Option<Timestamp>,
        purge_after: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<i64> {
        sqlx::query("UPDATE sites SET deleted_at = $2, purge_after = $3 WHERE id = $1")
            .bind(id.0)
            .bind(deleted_at)
            .bind(purge_after)
            .execute(self.conn())
            .await?;
        self.bump_site(id, now).await
    }

    pub async fn sites_due_for_purge(&mut self, now: Timestamp) -> Result<Vec<SiteId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM sites WHERE purge_after IS NOT NULL AND purge_after <= $1 ORDER BY id",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(SiteId).collect())
    }

    /// Removes the site for good (its names and certificate go with it).
    pub async fn purge_site(&mut self, id: SiteId) -> Result<()> {
        sqlx::query("DELETE FROM sites WHERE id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The site with its account and certificate, for the provisioner.
    pub async fn site_source(&mut self, id: SiteId) -> Result<SiteSource> {
        let site = self.site(id).await?;
        let row = sqlx::query(
            "SELECT a.name, a.deleted_at IS NOT NULL OR d.deleted_at IS NOT NULL AS parent_deleted \
             FROM accounts a, domains d WHERE a.id = $1 AND d.id = $2",
        )
        .bind(site.account_id.0)
        .bind(site.domain_id.0)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        let name: String = row.try_get("name")?;
        let certificate = self.certificate(id).await?;
        Ok(SiteSource {
            account_name: konbit_core::names::AccountName::parse("account", &name)?,
            parent_deleted: row.try_get("parent_deleted")?,
            certificate,
            site,
        })
    }

    /// Whether the account has a served PHP site (it then needs a pool).
    pub async fn account_serves_php(&mut self, account: AccountId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sites s JOIN domains d ON d.id = s.domain_id JOIN accounts a ON a.id = s.account_id \
             WHERE s.account_id = $1 AND s.kind = 'php' AND s.enabled AND s.deleted_at IS NULL \
             AND d.deleted_at IS NULL AND a.deleted_at IS NULL",
        )
        .bind(account.0)
        .fetch_one(self.conn())
        .await?;
        Ok(n > 0)
    }

    // Certificates.

    /// Asks for the site's certificate to be (re)considered: creates its row
    /// or raises its generation. Returns the generation to enqueue.
    pub async fn want_certificate(
        &mut self,
        site: SiteId,
        account: AccountId,
        now: Timestamp,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO certificates (id, account_id, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET generation = generation + 1, status = 'pending', \
             next_attempt_at = NULL, updated_at = $3 RETURNING generation",
        )
        .bind(site.0)
        .bind(account.0)
        .bind(now)
        .fetch_one(self.conn())
        .await?)
    }

    pub async fn certificate(&mut self, site: SiteId) -> Result<Option<Certificate>> {
        let row = sqlx::query("SELECT * FROM certificates WHERE id = $1")
            .bind(site.0)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(certificate_from_row).transpose()
    }

    pub async fn certificates_of_account(
        &mut self,
        account: AccountId,
    ) -> Result<Vec<Certificate>> {
        let rows = sqlx::query("SELECT * FROM certificates WHERE account_id = $1 ORDER BY id")
            .bind(account.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(certificate_from_row).collect()
    }

    pub async fn certificate_ids(&mut self) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM certificates ORDER BY id")
                .fetch_all(self.conn())
                .await?,
        )
    }

    pub async fn record_certificate_issued(
        &mut self,
        site: SiteId,
        names: &[String],
        not_before: Timestamp,
        not_after: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        let names =
            serde_json::to_string(names).map_err(|e| StoreError::Unreadable(e.to_string()))?;
        sqlx::query(
            "UPDATE certificates SET cert_status = 'issued', names = $2, not_before = $3, not_after = $4, \
             issued_at = $5, cert_error = NULL, attempts = 0, next_attempt_at = NULL, updated_at = $5 \
             WHERE id = $1",
        )
        .bind(site.0)
        .bind(names)
        .bind(not_before)
        .bind(not_after)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A failed order: the reason, and when it is tried again. A certificate
    /// already issued keeps serving (its status stays `issued` until it is
    /// replaced or expires), the error is shown beside it.
    pub async fn record_certificate_failed(
        &mut self,
        site: SiteId,
        error: &str,
        next_attempt_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE certificates SET cert_status = CASE WHEN cert_status = 'issued' AND not_after > $4 \
             THEN 'issued' ELSE 'failed' END, cert_error = $2, attempts = attempts + 1, \
             next_attempt_at = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(site.0)
        .bind(error)
        .bind(next_attempt_at)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The site no longer wants a certificate, or is gone: forget it.
    pub async fn delete_certificate(&mut self, site: SiteId) -> Result<()> {
        sqlx::query("DELETE FROM certificates WHERE id = $1")
            .bind(site.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Certificates whose failed order may be retried, or which are due for
    /// renewal (two thirds of their lifetime gone), at `now`.
    pub async fn certificates_due(&mut self, now: Timestamp) -> Result<Vec<(SiteId, AccountId)>> {
        let rows = sqlx::query(
            "SELECT id, account_id FROM certificates WHERE \
             (next_attempt_at IS NOT NULL AND next_attempt_at <= $1) OR \
             (cert_status = 'issued' AND next_attempt_at IS NULL AND not_after IS NOT NULL AND not_before IS NOT NULL \
              AND not_after - (not_after - not_before) / 3 <= $1) ORDER BY id",
        )
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    SiteId(r.try_get("id")?),
                    AccountId(r.try_get("account_id")?),
                ))
            })
            .collect()
    }

    // Disk usage of the accounts' homes.

    pub async fn set_web_usage(
        &mut self,
        account: AccountId,
        bytes: u64,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO web_usage (account_id, bytes, measured_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET bytes = excluded.bytes, measured_at = excluded.measured_at",
        )
        .bind(account.0)
        .bind(i64::try_from(bytes).unwrap_or(i64::MAX))
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Bytes used by the account's home and when they were measured.
    pub async fn web_usage(&mut self, account: AccountId) -> Result<Option<(u64, Timestamp)>> {
        let row = sqlx::query("SELECT bytes, measured_at FROM web_usage WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| {
            let bytes: i64 = r.try_get("bytes")?;
            Ok((crate::to_u64(bytes), r.try_get("measured_at")?))
        })
        .transpose()
    }
}
