//! Websites: a host name of one of the account's domains (and extra names),
//! served as static files, PHP, a redirect or a reverse proxy to a local
//! application, with a certificate by ACME. One queue object per site
//! (`site`) for nginx and one per certificate (`certificate`) for ACME.

use crate::{App, AppError, Audit, Fields, Result, audit, authorize_on_account, json, now};
use konbit_core::FieldError;
use konbit_core::authz::{Action, Actor};
use konbit_core::model::{AccountId, Certificate, Domain, DomainId, Site, SiteId, Timestamp};
use konbit_core::names::Fqdn;
use konbit_core::quota::Resource;
use konbit_core::web::{
    DocRoot, ProxyPort, RedirectTarget, SiteHttps, SiteKind, SiteKindName, check_site_host,
    parse_site_aliases,
};
use konbit_store::{SiteFields, SiteFilter, StoreError, Tx};
use std::path::PathBuf;

/// The queue kind of sites (nginx, PHP-FPM).
pub const KIND: &str = "site";
/// The queue kind of certificates (ACME); the object id is the site's.
pub const CERTIFICATE_KIND: &str = "certificate";

/// Website settings the services need.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// The local ports a proxy site may point at (127.0.0.1 only).
    pub proxy_port_min: u16,
    pub proxy_port_max: u16,
    /// Where nginx writes each site's logs: `<log_dir>/<site id>/`.
    pub log_dir: Option<PathBuf>,
    /// Whether an ACME provisioner issues certificates here.
    pub acme: bool,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            proxy_port_min: 10_000,
            proxy_port_max: 20_000,
            log_dir: None,
            acme: false,
        }
    }
}

/// A site as a form or an API body gives it: raw strings, checked here.
#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    pub host: String,
    pub aliases: Vec<String>,
    /// `static`, `php`, `redirect` or `proxy`.
    pub kind: String,
    /// static and php; empty: `www/<host>`.
    pub root: String,
    pub redirect_to: String,
    pub redirect_permanent: bool,
    pub redirect_keep_path: bool,
    pub proxy_port: Option<i64>,
    pub certificate: bool,
    pub force_https: bool,
    pub hsts: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteView {
    #[serde(flatten)]
    pub site: Site,
    pub display_host: String,
    pub certificate: Option<Certificate>,
}

/// Which of a site's two logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Access,
    Error,
}

impl LogKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "access" => Some(Self::Access),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Access => "access.log",
            Self::Error => "error.log",
        }
    }
}

/// At most this much of a log is read for the panel's tail.
const TAIL_BYTES: u64 = 256 * 1024;

pub struct SiteService<'a> {
    pub(crate) app: &'a App,
}

impl SiteService<'_> {
    pub async fn list(
        &self,
        actor: &Actor,
        account: Option<AccountId>,
        deleted: bool,
    ) -> Result<Vec<SiteView>> {
        let mut tx = self.app.store.read().await?;
        let accounts = match account {
            Some(a) => {
                authorize_on_account(&mut tx, actor, Action::ViewSites(a), a).await?;
                Some(vec![a])
            }
            None => crate::visible_accounts(&mut tx, actor, Action::ViewSites).await?,
        };
        let sites = tx.sites(&SiteFilter { accounts, deleted }).await?;
        let mut out = Vec::with_capacity(sites.len());
        for s in sites {
            out.push(view(&mut tx, s).await?);
        }
        Ok(out)
    }

    pub async fn get(&self, actor: &Actor, id: i64) -> Result<SiteView> {
        let mut tx = self.app.store.read().await?;
        let site = find(&mut tx, actor, id, false).await?;
        view(&mut tx, site).await
    }

    pub async fn create(&self, actor: &Actor, input: SiteInput) -> Result<SiteView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        // Who owns the name decides the account, so look it up first; a
        // name of no account of the actor is "outside your domains".
        let owner = owning_domain(&mut tx, &input.host).await?;
        let Some(owner) = owner else {
            crate::visible_accounts(&mut tx, actor, Action::ManageSites).await?;
            // A name that does not parse says why; a good one is outside.
            let error = match Fqdn::parse("host", &input.host, 2) {
                Err(e) => e,
                Ok(_) => FieldError::new("host", konbit_core::Rule::HostOutsideAccount),
            };
            return Err(AppError::invalid(error));
        };
        let account = owner.account_id;
        authorize_on_account(&mut tx, actor, Action::ManageSites(account), account).await?;
        let fields = self.parse(&mut tx, account, &input, None).await?;
        let limits = tx.account_limits(account).await?;
        let usage = tx.account_usage(account).await?;
        konbit_core::quota::check(&limits, &usage, Resource::Sites, 1)?;
        check_names_free(&mut tx, &fields, None).await?;
        let id = tx
            .insert_site(account, &fields, now)
            .await
            .map_err(crate::duplicate_on("host"))?;
        tx.enqueue(KIND, id.0, 1, now).await?;
        let site = tx.site(id).await?;
        self.sync_certificate(&mut tx, &site, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "site_created",
                kind: "site",
                id: site.host.to_string(),
                account: Some(account),
                old: None,
                new: json(&site),
            },
            now,
        )
        .await?;
        let v = view(&mut tx, site).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// Replaces what the site serves; its host name stays.
    pub async fn update(&self, actor: &Actor, id: i64, input: SiteInput) -> Result<SiteView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let input = SiteInput {
            host: old.host.to_string(),
            ..input
        };
        let fields = self
            .parse(&mut tx, old.account_id, &input, Some(&old))
            .await?;
        check_names_free(&mut tx, &fields, Some(old.id)).await?;
        let g = tx
            .update_site(old.id, &fields, now)
            .await
            .map_err(crate::duplicate_on("aliases"))?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.site(old.id).await?;
        self.sync_certificate(&mut tx, &new, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "site_updated",
                kind: "site",
                id: new.host.to_string(),
                account: Some(new.account_id),
                old: json(&old),
                new: json(&new),
            },
            now,
        )
        .await?;
        let v = view(&mut tx, new).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// A disabled site is not served at all: nginx has no file for it.
    pub async fn set_enabled(&self, actor: &Actor, id: i64, enabled: bool) -> Result<SiteView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let g = tx.set_site_enabled(old.id, enabled, now).await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.site(old.id).await?;
        self.sync_certificate(&mut tx, &new, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: if enabled {
                    "site_enabled"
                } else {
                    "site_disabled"
                },
                kind: "site",
                id: new.host.to_string(),
                account: Some(new.account_id),
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        let v = view(&mut tx, new).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// Stops serving the site; its files and names are kept for the grace
    /// period, then purged.
    pub async fn delete(&self, actor: &Actor, id: i64) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let purge_after = now + self.app.config.deletion_grace_secs;
        let g = tx
            .set_site_deleted(old.id, Some(now), Some(purge_after), now)
            .await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.site(old.id).await?;
        self.sync_certificate(&mut tx, &new, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "site_deleted",
                kind: "site",
                id: old.host.to_string(),
                account: Some(old.account_id),
                old: json(&old),
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await
    }

    pub async fn restore(&self, actor: &Actor, id: i64) -> Result<SiteView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if !old.is_deleted() {
            return Err(AppError::conflict("this site is not deleted"));
        }
        let g = tx.set_site_deleted(old.id, None, None, now).await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.site(old.id).await?;
        self.sync_certificate(&mut tx, &new, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "site_restored",
                kind: "site",
                id: new.host.to_string(),
                account: Some(new.account_id),
                old: None,
                new: json(&new),
            },
            now,
        )
        .await?;
        let v = view(&mut tx, new).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// Orders the site's certificate again now (after fixing DNS, say).
    pub async fn renew_certificate(&self, actor: &Actor, id: i64) -> Result<SiteView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let site = find(&mut tx, actor, id, true).await?;
        if !site.is_served() || !site.https.certificate {
            return Err(AppError::conflict(
                "this site does not ask for a certificate",
            ));
        }
        let g = tx.want_certificate(site.id, site.account_id, now).await?;
        tx.enqueue(CERTIFICATE_KIND, site.id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "certificate_renewal_requested",
                kind: "site",
                id: site.host.to_string(),
                account: Some(site.account_id),
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        let v = view(&mut tx, site).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// The last `lines` lines of one of the site's logs (empty when nginx
    /// has written nothing yet).
    pub async fn log_tail(
        &self,
        actor: &Actor,
        id: i64,
        kind: LogKind,
        lines: usize,
    ) -> Result<String> {
        let path = self.log_path(actor, id, kind).await?;
        let lines = lines.clamp(1, 2000);
        tokio::task::spawn_blocking(move || tail(&path, lines))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    }

    /// Where one of the site's logs is, for a download; the site must be
    /// visible to the actor.
    pub async fn log_path(&self, actor: &Actor, id: i64, kind: LogKind) -> Result<PathBuf> {
        let mut tx = self.app.store.read().await?;
        let site = find(&mut tx, actor, id, false).await?;
        let dir = self
            .app
            .config
            .sites
            .log_dir
            .as_ref()
            .ok_or_else(|| AppError::conflict("site logs are not set up on this server"))?;
        Ok(dir.join(site.id.0.to_string()).join(kind.file_name()))
    }

    /// Bytes used by the account's home, and when they were measured.
    pub async fn disk_usage(
        &self,
        actor: &Actor,
        account: AccountId,
    ) -> Result<Option<(u64, Timestamp)>> {
        let mut tx = self.app.store.read().await?;
        authorize_on_account(&mut tx, actor, Action::ViewSites(account), account).await?;
        Ok(tx.web_usage(account).await?)
    }

    /// Removes for good the sites whose grace period is over; their files
    /// stay in the account's home. Each purge is its own transaction.
    pub async fn purge_expired(&self, actor: &Actor) -> Result<usize> {
        konbit_core::authz::authorize(
            actor,
            Action::DeleteAccount(AccountId(0)),
            Default::default(),
        )?;
        let now = now();
        let due = self
            .app
            .store
            .read()
            .await?
            .sites_due_for_purge(now)
            .await?;
        for id in &due {
            let mut tx = self.app.store.write().await?;
            let old = tx.site(*id).await?;
            tx.purge_site(*id).await?;
            // Generation 0 with no row left: nginx's file and the
            // certificate's files are removed.
            tx.enqueue(KIND, id.0, 0, now).await?;
            tx.enqueue(CERTIFICATE_KIND, id.0, 0, now).await?;
            audit(
                &mut tx,
                actor,
                Audit {
                    action: "site_purged",
                    kind: "site",
                    id: old.host.to_string(),
                    account: Some(old.account_id),
                    old: json(&old),
                    new: None,
                },
                now,
            )
            .await?;
            self.app.commit(tx).await?;
        }
        Ok(due.len())
    }

    /// Queues the certificates due for renewal, and the failed orders
    /// whose backoff is over; returns how many.
    pub async fn queue_due_certificates(&self) -> Result<usize> {
        if !self.app.config.sites.acme {
            return Ok(0);
        }
        let now = now();
        let mut tx = self.app.store.write().await?;
        let due = tx.certificates_due(now).await?;
        for (site, account) in &due {
            let g = tx.want_certificate(*site, *account, now).await?;
            tx.enqueue(CERTIFICATE_KIND, site.0, g, now).await?;
        }
        self.app.commit(tx).await?;
        Ok(due.len())
    }

    async fn parse(
        &self,
        tx: &mut Tx,
        account: AccountId,
        input: &SiteInput,
        existing: Option<&Site>,
    ) -> Result<SiteFields> {
        let domains = live_domains(tx, account).await?;
        let cfg = &self.app.config.sites;
        let mut f = Fields::default();
        let host = match existing {
            Some(site) => Some((site.host.clone(), site.domain_id)),
            None => f
                .check(check_site_host("host", &input.host, &domains))
                .map(|(h, d)| (h, *d)),
        };
        let aliases = host
            .as_ref()
            .and_then(|(h, _)| f.check(parse_site_aliases("aliases", &input.aliases, h, &domains)));
        let kind_name = f.check(SiteKindName::parse("kind", &input.kind));
        let kind = match kind_name {
            Some(k @ (SiteKindName::Static | SiteKindName::Php)) => {
                let root = if input.root.trim().is_empty() {
                    host.as_ref().map(|(h, _)| DocRoot::for_host(h))
                } else {
                    f.check(DocRoot::parse("root", &input.root))
                };
                root.map(|root| {
                    if k == SiteKindName::Php {
                        SiteKind::Php { root }
                    } else {
                        SiteKind::Static { root }
                    }
                })
            }
            Some(SiteKindName::Redirect) => f
                .check(RedirectTarget::parse("redirect_to", &input.redirect_to))
                .map(|target| SiteKind::Redirect {
                    target,
                    permanent: input.redirect_permanent,
                    keep_path: input.redirect_keep_path,
                }),
            Some(SiteKindName::Proxy) => {
                let port = match input.proxy_port {
                    Some(p) => f.check(ProxyPort::parse(
                        "proxy_port",
                        p,
                        cfg.proxy_port_min,
                        cfg.proxy_port_max,
                    )),
                    None => {
                        f.push(FieldError::new("proxy_port", konbit_core::Rule::Required));
                        None
                    }
                };
                port.map(|port| SiteKind::Proxy { port })
            }
            None => None,
        };
        let https = f.check(
            SiteHttps {
                certificate: input.certificate,
                force_https: input.force_https,
                hsts: input.hsts,
            }
            .check(),
        );
        f.finish()?;
        match (host, aliases, kind, https) {
            (Some((host, domain_id)), Some(aliases), Some(kind), Some(https)) => Ok(SiteFields {
                domain_id,
                host,
                aliases,
                kind,
                https,
            }),
            _ => Err(AppError::Internal(
                "site fields missing after validation".into(),
            )),
        }
    }

    /// Keeps the certificate's queue object in step with the site: wanted
    /// while the site is served with HTTPS on and its names unchanged,
    /// ordered again when its names change, forgotten otherwise.
    async fn sync_certificate(&self, tx: &mut Tx, site: &Site, now: Timestamp) -> Result<()> {
        let existing = tx.certificate(site.id).await?;
        let wanted = site.is_served() && site.https.certificate;
        match (wanted, existing) {
            (true, Some(c)) if c.covers(&site.names()) && c.next_attempt_at.is_none() => Ok(()),
            (true, _) => {
                let g = tx.want_certificate(site.id, site.account_id, now).await?;
                if self.app.config.sites.acme {
                    tx.enqueue(CERTIFICATE_KIND, site.id.0, g, now).await?;
                }
                Ok(())
            }
            (false, Some(_)) => {
                // The row goes; the provisioner removes the files.
                tx.delete_certificate(site.id).await?;
                if self.app.config.sites.acme {
                    tx.enqueue(CERTIFICATE_KIND, site.id.0, 0, now).await?;
                }
                Ok(())
            }
            (false, None) => Ok(()),
        }
    }
}

async fn view(tx: &mut Tx, site: Site) -> Result<SiteView> {
    let certificate = tx.certificate(site.id).await?;
    Ok(SiteView {
        display_host: site.display_host(),
        certificate,
        site,
    })
}

/// The site `id`, if the actor may see it (or change it, with `manage`).
pub(crate) async fn find(tx: &mut Tx, actor: &Actor, id: i64, manage: bool) -> Result<Site> {
    crate::check_scope(
        actor,
        if manage {
            Action::ManageSites
        } else {
            Action::ViewSites
        },
    )?;
    let site = match tx.site(SiteId(id)).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let action = if manage {
        Action::ManageSites(site.account_id)
    } else {
        Action::ViewSites(site.account_id)
    };
    authorize_on_account(tx, actor, action, site.account_id).await?;
    Ok(site)
}

/// The live domain that holds `host`: the name itself or its closest
/// ancestor. An unparsable name has none (the form check names the rule).
async fn owning_domain(tx: &mut Tx, host: &str) -> Result<Option<Domain>> {
    let Ok(name) = Fqdn::parse("host", host, 2) else {
        return Ok(None);
    };
    let mut candidates = Vec::new();
    match tx.domain_by_name(name.as_str()).await {
        Ok(d) => candidates.push(d),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    candidates.extend(tx.domain_ancestors(&name).await?);
    Ok(candidates.into_iter().find(|d| !d.is_deleted()))
}

async fn live_domains(tx: &mut Tx, account: AccountId) -> Result<Vec<(DomainId, Fqdn)>> {
    Ok(tx.live_domain_names(account).await?)
}

/// A name is served by one site at most (deleted ones keep theirs during
/// the grace period, so they can be restored).
async fn check_names_free(tx: &mut Tx, f: &SiteFields, this: Option<SiteId>) -> Result<()> {
    let mut fields = Fields::default();
    for (i, name) in std::iter::once(&f.host).chain(&f.aliases).enumerate() {
        if let Some(other) = tx.site_by_name(name.as_str()).await?
            && Some(other) != this
        {
            fields.push(FieldError::new(
                if i == 0 { "host" } else { "aliases" },
                konbit_core::Rule::DuplicateSiteName,
            ));
        }
    }
    fields.finish()
}

/// Queues every site of an account again (the account was deleted,
/// restored or purged: `purged` queues removals).
pub(crate) async fn requeue_account_sites(
    tx: &mut Tx,
    account: AccountId,
    purged: bool,
    now: Timestamp,
) -> Result<()> {
    for id in tx.site_ids_of_account(account).await? {
        requeue(tx, id, purged, now).await?;
    }
    Ok(())
}

/// Queues every site of a domain again (deleted, restored or purged).
pub(crate) async fn requeue_domain_sites(
    tx: &mut Tx,
    domain: DomainId,
    purged: bool,
    now: Timestamp,
) -> Result<()> {
    for id in tx.site_ids_of_domain(domain).await? {
        requeue(tx, id, purged, now).await?;
    }
    Ok(())
}

async fn requeue(tx: &mut Tx, id: SiteId, purged: bool, now: Timestamp) -> Result<()> {
    let g = if purged {
        0
    } else {
        tx.bump_site(id, now).await?
    };
    tx.enqueue(KIND, id.0, g, now).await?;
    tx.enqueue(CERTIFICATE_KIND, id.0, 0, now).await?;
    Ok(())
}

/// Reads at most the last [`TAIL_BYTES`] of `path` and keeps its last
/// `lines` lines; invalid UTF-8 (a visitor's odd bytes) is shown replaced.
fn tail(path: &std::path::Path, lines: usize) -> Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) => return Err(AppError::Internal(format!("{}: {e}", path.display()))),
    };
    let len = file
        .metadata()
        .map_err(|e| AppError::Internal(e.to_string()))?
        .len();
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut buf = Vec::new();
    file.take(TAIL_BYTES)
        .read_to_end(&mut buf)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let text = String::from_utf8_lossy(&buf);
    let mut all: Vec<&str> = text.lines().collect();
    if start > 0 && !all.is_empty() {
        // The first line was cut by the seek.
        all.remove(0);
    }
    let keep = all.len().saturating_sub(lines);
    Ok(all[keep..].join("\n"))
}
