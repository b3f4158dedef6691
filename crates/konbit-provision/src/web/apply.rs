//! Applying sites: one nginx file per site, checked alone, put in place
//! atomically; one reload per batch; the account's PHP-FPM pool beside.

use super::host::{AccountHost, UnixSettings, login_of_uid};
use super::nginx::{Nginx, Serve, TlsFiles, VhostSpec, render_vhost};
use super::php::{PhpFpm, PoolSpec, render_pool};
use crate::files::{FileMode, ensure_dir, remove_file, write_atomic};
use crate::{Applied, ProvisionError};
use konbit_core::model::{AccountId, CertificateStatus, SiteId};
use konbit_core::web::{SiteKind, UnixLogin};
use konbit_store::{SiteSource, Store, StoreError};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// PHP-FPM's side: the master, where pools and sockets go, their limits.
#[derive(Debug, Clone)]
pub struct PhpTarget {
    pub fpm: PhpFpm,
    pub pool_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub max_children: u32,
    pub memory_limit_mb: u32,
    pub request_timeout_secs: u32,
    /// The user nginx runs as: the only one (with root) that may connect.
    pub listen_owner: String,
}

/// Where nginx, PHP-FPM and the homes are, as the operator set them.
#[derive(Debug, Clone)]
pub struct WebTarget {
    pub nginx: Nginx,
    /// nginx includes `*.conf` from here; Konbit owns every file in it.
    pub sites_dir: PathBuf,
    /// Candidate files and the one-site check's config.
    pub scratch_dir: PathBuf,
    pub fastcgi_params: PathBuf,
    pub listen_http: Vec<SocketAddr>,
    pub listen_https: Vec<SocketAddr>,
    /// `/.well-known/acme-challenge/` of every site is served from here.
    pub acme_webroot: PathBuf,
    /// `<certs_dir>/<site id>/{fullchain.pem,privkey.pem}`, root only.
    pub certs_dir: PathBuf,
    /// `<log_dir>/<site id>/{access,error}.log`, written by nginx.
    pub log_dir: PathBuf,
    /// The group that may read the logs (the panel's), if any.
    pub log_group: Option<String>,
    pub unix: UnixSettings,
    /// `None`: PHP sites fail with a clear reason.
    pub php: Option<PhpTarget>,
}

impl WebTarget {
    pub fn site_file(&self, id: SiteId) -> PathBuf {
        self.sites_dir.join(format!("site-{}.conf", id.0))
    }
    pub fn cert_files(&self, id: SiteId) -> TlsFiles {
        let dir = self.certs_dir.join(id.0.to_string());
        TlsFiles {
            cert: dir.join("fullchain.pem"),
            key: dir.join("privkey.pem"),
        }
    }
    fn pool_file(&self, php: &PhpTarget, login: &UnixLogin) -> PathBuf {
        php.pool_dir.join(format!("{login}.conf"))
    }
    fn placeholder(&self) -> PathBuf {
        self.scratch_dir.join("placeholder.html")
    }
}

/// The site ids named by the files in `sites_dir` (`site-<id>.conf`).
pub(crate) fn ids_on_disk(dir: &Path) -> Vec<i64> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix("site-")?
                .strip_suffix(".conf")?
                .parse()
                .ok()
        })
        .collect()
}

const PLACEHOLDER: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Konbit</title></head>\n<body><p>This site is ready. Upload your files to replace this page.</p>\n<p lang=\"fr\">Ce site est prêt. Déposez vos fichiers pour remplacer cette page.</p></body></html>\n";

/// A site's new file, before nginx has checked it.
pub(crate) struct Candidate {
    id: SiteId,
    out: Outcome,
    file: PathBuf,
    text: String,
}

pub(crate) enum Step {
    /// Nothing for nginx to check (unchanged, or the file removed).
    Done(Outcome),
    Candidate(Candidate),
}

/// What one site's apply leaves for the end of the batch.
#[derive(Default)]
pub(crate) struct Outcome {
    pub changes: Vec<String>,
    pub nginx_changed: bool,
}

pub(crate) struct WebApplier {
    pub store: Store,
    pub target: WebTarget,
}

fn transient(e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError::Transient(e.to_string())
}

impl WebApplier {
    pub(crate) fn prepare(&self) -> Result<(), ProvisionError> {
        let root_only = FileMode {
            mode: 0o700,
            uid: None,
            gid: None,
        };
        ensure_dir(&self.target.scratch_dir, root_only).map_err(transient)?;
        ensure_dir(
            &self.target.sites_dir,
            FileMode {
                mode: 0o755,
                uid: None,
                gid: None,
            },
        )
        .map_err(transient)?;
        write_atomic(
            &self.target.placeholder(),
            PLACEHOLDER.as_bytes(),
            FileMode {
                mode: 0o644,
                uid: None,
                gid: None,
            },
        )
        .map_err(transient)?;
        // The scratch dir holds the placeholder the account's user copies.
        std::fs::set_permissions(
            &self.target.scratch_dir,
            std::os::unix::fs::PermissionsExt::from_mode(0o711),
        )
        .map_err(transient)?;
        Ok(())
    }

    /// Applies sites: each one's file is rendered and, when it changed,
    /// checked with the others of the batch in one `nginx -t` of their own;
    /// if that fails, each is checked alone, so only the bad ones fail and
    /// keep their previous file. Returns one result per id, and whether
    /// nginx must reload.
    pub(crate) async fn apply_batch(
        &self,
        ids: &[SiteId],
    ) -> (Vec<Result<Outcome, ProvisionError>>, bool) {
        let mut results = Vec::with_capacity(ids.len());
        let mut candidates = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match self.render_site(*id).await {
                Ok(Step::Done(out)) => results.push(Ok(out)),
                Ok(Step::Candidate(c)) => {
                    results.push(Ok(Outcome::default()));
                    candidates.push((i, c));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        let mode = FileMode {
            mode: 0o644,
            uid: None,
            gid: None,
        };
        let mut paths = Vec::with_capacity(candidates.len());
        for (i, c) in &candidates {
            let path = self
                .target
                .scratch_dir
                .join(format!("candidate-{}.conf", c.id.0));
            // A scratch copy for the check: no need to sync it to disk.
            match std::fs::write(&path, c.text.as_bytes()) {
                Ok(()) => paths.push(Some(path)),
                Err(e) => {
                    results[*i] = Err(transient(e));
                    paths.push(None);
                }
            }
        }
        let all: Vec<PathBuf> = paths.iter().flatten().cloned().collect();
        let together_ok = !all.is_empty()
            && self
                .target
                .nginx
                .check_sites(&all, &self.target.scratch_dir)
                .await
                .is_ok();
        let mut reload = results
            .iter()
            .any(|r| matches!(r, Ok(o) if o.nginx_changed));
        for ((i, c), path) in candidates.into_iter().zip(paths) {
            let Some(path) = path else { continue };
            let checked = if together_ok {
                Ok(())
            } else {
                self.target
                    .nginx
                    .check_sites(std::slice::from_ref(&path), &self.target.scratch_dir)
                    .await
            };
            let _ = remove_file(&path);
            results[i] = match checked {
                // The previous file stays in place and keeps serving.
                Err(message) => Err(ProvisionError::Invalid {
                    reason: format!("nginx refused this site: {message}"),
                }),
                Ok(()) => match write_atomic(&c.file, c.text.as_bytes(), mode) {
                    Ok(_) => {
                        reload = true;
                        let mut out = c.out;
                        out.nginx_changed = true;
                        out.changes
                            .push(format!("nginx: wrote {}", c.file.display()));
                        Ok(out)
                    }
                    Err(e) => Err(transient(e)),
                },
            };
        }
        (results, reload)
    }

    /// Everything for one site up to its new file: the account's user,
    /// home and pool, the site's directory, its log directory.
    async fn render_site(&self, id: SiteId) -> Result<Step, ProvisionError> {
        let source = {
            let mut tx = self.store.read().await.map_err(transient)?;
            match tx.site_source(id).await {
                Ok(s) => Some(s),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(transient(e)),
            }
        };
        let Some(source) = source.filter(|s| s.site.is_served() && !s.parent_deleted) else {
            return self.unserve_site(id).map(Step::Done);
        };
        let host = self
            .target
            .unix
            .ensure(source.site.account_id, &source.account_name)
            .await?;
        let mut out = Outcome::default();
        let php_socket = match &source.site.kind {
            SiteKind::Php { .. } => Some(self.ensure_pool(&host, &mut out).await?),
            _ => None,
        };
        if let Some(root) = source.site.kind.root() {
            self.target
                .unix
                .ensure_root(&host, root, &self.target.placeholder())
                .await?;
        }
        let log_dir = self.target.log_dir.join(id.0.to_string());
        let log_gid = self
            .target
            .log_group
            .as_deref()
            .and_then(crate::files::group_id);
        ensure_dir(
            &log_dir,
            FileMode {
                mode: 0o750,
                uid: None,
                gid: log_gid,
            },
        )
        .map_err(transient)?;
        let spec = self.vhost(&source, &host, php_socket, &log_dir);
        let text = render_vhost(&spec).map_err(|e| ProvisionError::Invalid {
            reason: e.to_string(),
        })?;
        let file = self.target.site_file(id);
        if std::fs::read_to_string(&file).ok().as_deref() == Some(text.as_str()) {
            return Ok(Step::Done(out));
        }
        Ok(Step::Candidate(Candidate {
            id,
            out,
            file,
            text,
        }))
    }

    fn unserve_site(&self, id: SiteId) -> Result<Outcome, ProvisionError> {
        let mut out = Outcome::default();
        if remove_file(&self.target.site_file(id)).map_err(transient)? {
            out.nginx_changed = true;
            out.changes.push(format!("nginx: removed site {}", id.0));
        }
        Ok(out)
    }

    fn vhost(
        &self,
        source: &SiteSource,
        host: &AccountHost,
        php_socket: Option<PathBuf>,
        log_dir: &Path,
    ) -> VhostSpec {
        let site = &source.site;
        let serve = match &site.kind {
            SiteKind::Static { root } | SiteKind::Php { root } => Serve::Files {
                root: host.root(root),
                php_socket,
            },
            SiteKind::Redirect {
                target,
                permanent,
                keep_path,
            } => Serve::Redirect {
                target: target.clone(),
                permanent: *permanent,
                keep_path: *keep_path,
            },
            SiteKind::Proxy { port } => Serve::Proxy { port: *port },
        };
        let tls = source
            .certificate
            .as_ref()
            .filter(|c| {
                site.https.certificate
                    && c.status == CertificateStatus::Issued
                    && c.covers(&site.names())
            })
            .map(|_| self.target.cert_files(site.id))
            .filter(|files| files.cert.exists() && files.key.exists());
        VhostSpec {
            site_id: site.id.0,
            names: std::iter::once(site.host.clone())
                .chain(site.aliases.iter().cloned())
                .collect(),
            listen_http: self.target.listen_http.clone(),
            listen_https: self.target.listen_https.clone(),
            serve,
            force_https: site.https.force_https,
            hsts: site.https.hsts,
            tls,
            acme_webroot: self.target.acme_webroot.clone(),
            access_log: log_dir.join("access.log"),
            error_log: log_dir.join("error.log"),
            fastcgi_params: self.target.fastcgi_params.clone(),
        }
    }

    /// Writes the account's pool if it changed, checks every pool with
    /// `php-fpm -t` (a bad pool plus a reload would stop every site) and
    /// reloads; on a failed check the previous pool file is put back.
    async fn ensure_pool(
        &self,
        host: &AccountHost,
        out: &mut Outcome,
    ) -> Result<PathBuf, ProvisionError> {
        let php = self
            .target
            .php
            .as_ref()
            .ok_or_else(|| ProvisionError::Invalid {
                reason: "PHP is not set up on this server ([web.php] in konbit.toml)".into(),
            })?;
        let socket = php.socket_dir.join(format!("{}.sock", host.login));
        let spec = PoolSpec {
            login: host.login.clone(),
            socket: socket.clone(),
            home: host.home.clone(),
            tmp_dir: host.tmp_dir(),
            error_log: host.logs_dir().join("php-error.log"),
            listen_owner: php.listen_owner.clone(),
            max_children: php.max_children,
            memory_limit_mb: php.memory_limit_mb,
            request_timeout_secs: php.request_timeout_secs,
        };
        let text = render_pool(&spec).map_err(|e| ProvisionError::Invalid {
            reason: e.to_string(),
        })?;
        // `php-fpm -t` passes some pools the master then dies on (a socket
        // in a missing directory): refuse them before any file is written.
        super::php::preflight(&spec).map_err(|reason| ProvisionError::Invalid { reason })?;
        let file = self.target.pool_file(php, &host.login);
        let previous = std::fs::read(&file).ok();
        if previous.as_deref() == Some(text.as_bytes()) {
            return Ok(socket);
        }
        let mode = FileMode {
            mode: 0o644,
            uid: None,
            gid: None,
        };
        write_atomic(&file, text.as_bytes(), mode).map_err(transient)?;
        if let Err(message) = php.fpm.check().await {
            let _ = match &previous {
                Some(old) => write_atomic(&file, old, mode).map(|_| ()),
                None => remove_file(&file).map(|_| ()),
            };
            return Err(ProvisionError::Invalid {
                reason: format!("PHP-FPM refused the pool of {}: {message}", host.login),
            });
        }
        php.fpm.reload().await.map_err(ProvisionError::Fatal)?;
        wait_for_socket(&socket).await;
        out.changes
            .push(format!("php-fpm: pool {} written", host.login));
        Ok(socket)
    }

    /// The account's Unix user, home and pool, as its row says.
    pub(crate) async fn apply_account(&self, id: AccountId) -> Result<Applied, ProvisionError> {
        let row = {
            let mut tx = self.store.read().await.map_err(transient)?;
            match tx.account(id).await {
                Ok(a) => Some((a, tx.account_serves_php(id).await.map_err(transient)?)),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(transient(e)),
            }
        };
        let Some((account, serves_php)) = row else {
            return self.remove_account(id).await;
        };
        let host = self.target.unix.ensure(id, &account.name).await?;
        let mut out = Outcome::default();
        if serves_php && !account.is_deleted() {
            self.ensure_pool(&host, &mut out).await?;
        } else if self.drop_pool(&host.login).await? {
            out.changes
                .push(format!("php-fpm: pool {} removed", host.login));
        }
        Ok(Applied {
            changes: out.changes,
        })
    }

    async fn remove_account(&self, id: AccountId) -> Result<Applied, ProvisionError> {
        let mut changes = Vec::new();
        if let Some(login) = self.target.unix.uid(id).ok().and_then(login_of_uid)
            && let Ok(login) = UnixLogin::parse_existing(&login)
            && self.drop_pool(&login).await?
        {
            changes.push(format!("php-fpm: pool {login} removed"));
        }
        if let Some(login) = self.target.unix.remove(id).await? {
            changes.push(format!("removed the Unix user {login} and its home"));
        }
        Ok(Applied { changes })
    }

    /// Removes a pool file and reloads PHP-FPM; whether there was one.
    async fn drop_pool(&self, login: &UnixLogin) -> Result<bool, ProvisionError> {
        let Some(php) = &self.target.php else {
            return Ok(false);
        };
        if !remove_file(&self.target.pool_file(php, login)).map_err(transient)? {
            return Ok(false);
        }
        php.fpm.reload().await.map_err(ProvisionError::Fatal)?;
        Ok(true)
    }
}

/// PHP-FPM opens a new pool's socket shortly after the reload signal; the
/// site is put in place only once it can be served. Bounded: 5 s.
async fn wait_for_socket(socket: &Path) {
    for _ in 0..250 {
        if socket.exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
