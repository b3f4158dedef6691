//! The API's JSON shapes for websites, their certificates and the disk an
//! account's files use. Like `dto.rs`, they are kept apart from the core
//! model so the contract changes only on purpose. No shape here carries a
//! private key: it never leaves its root-only file.

use super::dto::ReconcileStatus;
use konbit_app::audit::iso_time;
use konbit_app::site::{SiteInput, SiteView};
use konbit_core::model::{Certificate, Site, Timestamp};
use konbit_core::web::SiteKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A website: the names it answers to, what it serves, its HTTPS options,
/// whether the web server has it as Konbit does, and its certificate.
#[derive(Serialize, ToSchema)]
pub struct SiteDto {
    pub id: i64,
    pub account_id: i64,
    /// The account's domain the host belongs to.
    pub domain_id: i64,
    /// ASCII (punycode for an internationalized name). It never changes.
    #[schema(example = "www.xn--caf-dma.example")]
    pub host: String,
    /// The host as people read it (Unicode for an internationalized name).
    #[schema(example = "www.café.example")]
    pub display_host: String,
    /// Extra names the site answers to (ASCII), each in the account's
    /// domains.
    #[schema(example = json!(["xn--caf-dma.example"]))]
    pub aliases: Vec<String>,
    /// The extra names as people read them, in the same order.
    #[schema(example = json!(["café.example"]))]
    pub display_aliases: Vec<String>,
    /// `static`, `php`, `redirect` or `proxy`.
    #[serde(rename = "type")]
    #[schema(example = "static")]
    pub kind: String,
    /// `static` and `php`: the directory served, relative to the
    /// account's home.
    #[schema(example = "www/www.xn--caf-dma.example")]
    pub root: Option<String>,
    /// `redirect`: where visitors are sent.
    #[schema(example = "https://radio.example/")]
    pub redirect_to: Option<String>,
    /// `redirect`: 301 (permanent) or 302 (temporary).
    pub redirect_permanent: Option<bool>,
    /// `redirect`: the request's path is appended to `redirect_to`.
    pub redirect_keep_path: Option<bool>,
    /// `proxy`: the local port (on 127.0.0.1) requests are passed to.
    #[schema(example = 10080)]
    pub proxy_port: Option<u16>,
    pub https: HttpsDto,
    /// A disabled site is not served at all; its settings and files stay.
    pub enabled: bool,
    /// Unix seconds; set while the site is deleted and restorable.
    pub deleted_at: Option<i64>,
    /// Unix seconds after which a deleted site is removed for good (its
    /// files stay in the account's home).
    pub purge_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Whether the web server serves this version of the site: `pending`
    /// until it does, then `applied`; `failed` with `last_error` when its
    /// configuration could not be written.
    pub status: ReconcileStatus,
    /// Null when the site asks for none (or is disabled or deleted).
    pub certificate: Option<CertificateDto>,
}

impl From<SiteView> for SiteDto {
    fn from(v: SiteView) -> Self {
        let certificate = v
            .certificate
            .map(|c| CertificateDto::new(c, &v.site, konbit_app::now()));
        let s = v.site;
        let (root, redirect_to, redirect_permanent, redirect_keep_path, proxy_port) = match &s.kind
        {
            SiteKind::Static { root } | SiteKind::Php { root } => {
                (Some(root.to_string()), None, None, None, None)
            }
            SiteKind::Redirect {
                target,
                permanent,
                keep_path,
            } => (
                None,
                Some(target.to_string()),
                Some(*permanent),
                Some(*keep_path),
                None,
            ),
            SiteKind::Proxy { port } => (None, None, None, None, Some(port.get())),
        };
        Self {
            id: s.id.0,
            account_id: s.account_id.0,
            domain_id: s.domain_id.0,
            host: s.host.to_string(),
            display_host: v.display_host,
            aliases: s.aliases.iter().map(ToString::to_string).collect(),
            display_aliases: s.aliases.iter().map(|a| a.to_unicode()).collect(),
            kind: s.kind.name().as_str().into(),
            root,
            redirect_to,
            redirect_permanent,
            redirect_keep_path,
            proxy_port,
            https: HttpsDto {
                certificate: s.https.certificate,
                force_https: s.https.force_https,
                hsts: s.https.hsts,
            },
            enabled: s.enabled,
            deleted_at: s.deleted_at,
            purge_after: s.purge_after,
            created_at: s.created_at,
            updated_at: s.updated_at,
            status: ReconcileStatus {
                state: s.provision.status.as_str().into(),
                generation: s.provision.generation,
                applied_generation: s.provision.applied_generation,
                last_error: s.provision.last_error,
            },
            certificate,
        }
    }
}

/// A site's HTTPS options.
#[derive(Serialize, ToSchema)]
pub struct HttpsDto {
    /// A certificate is ordered (ACME) for the host and its aliases.
    pub certificate: bool,
    /// Plain HTTP is redirected to HTTPS, once a certificate is issued.
    pub force_https: bool,
    /// Browsers are told to use HTTPS only (HSTS), once a certificate is
    /// issued.
    pub hsts: bool,
}

/// A site's certificate, as the ACME provisioner last left it. The private
/// key is never shown.
#[derive(Serialize, ToSchema)]
pub struct CertificateDto {
    pub site_id: i64,
    /// The site's host (ASCII).
    pub host: String,
    /// The site's host as people read it.
    pub display_host: String,
    /// `pending` (asked for, or being renewed), `issued`, or `failed`
    /// (`last_error` says why; it is tried again at `next_attempt_at`).
    #[schema(example = "issued")]
    pub status: String,
    /// The names the current certificate covers (ASCII); empty before the
    /// first one is issued.
    pub names: Vec<String>,
    /// Whether `names` are exactly the site's host and aliases; false
    /// while a new certificate is ordered after they changed (the old one
    /// is served meanwhile).
    pub covers_site_names: bool,
    /// Unix seconds.
    pub not_before: Option<i64>,
    /// The same time, RFC 3339 in UTC.
    #[schema(example = "2026-01-31T14:02:00Z")]
    pub not_before_rfc3339: Option<String>,
    /// Unix seconds: when the certificate expires.
    pub not_after: Option<i64>,
    /// The same time, RFC 3339 in UTC.
    #[schema(example = "2026-05-01T14:02:00Z")]
    pub not_after_rfc3339: Option<String>,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: Option<i64>,
    /// Unix seconds: when it is renewed (two thirds into its lifetime).
    pub renew_at: Option<i64>,
    /// Unix seconds.
    pub issued_at: Option<i64>,
    /// The CA's or the network's reason for the last failure.
    pub last_error: Option<String>,
    /// Failed orders in a row.
    pub attempts: i64,
    /// Unix seconds: when a failed order is tried again.
    pub next_attempt_at: Option<i64>,
    pub updated_at: i64,
}

impl CertificateDto {
    pub fn new(c: Certificate, site: &Site, now: Timestamp) -> Self {
        Self {
            site_id: c.site_id.0,
            host: site.host.to_string(),
            display_host: site.display_host(),
            status: c.status.as_str().into(),
            renew_at: c.renew_at(),
            covers_site_names: c.covers(&site.names()),
            names: c.names,
            not_before: c.not_before,
            not_before_rfc3339: c.not_before.map(iso_time),
            not_after: c.not_after,
            not_after_rfc3339: c.not_after.map(iso_time),
            days_left: c.not_after.map(|end| (end - now).div_euclid(86_400)),
            issued_at: c.issued_at,
            last_error: c.last_error,
            attempts: c.attempts,
            next_attempt_at: c.next_attempt_at,
            updated_at: c.updated_at,
        }
    }
}

/// The disk an account's files use (its home: sites and the rest), as last
/// measured, and what its quota allows.
#[derive(Serialize, ToSchema)]
pub struct DiskUsageDto {
    pub account_id: i64,
    /// Bytes used; 0 while never measured.
    pub bytes: u64,
    /// Unix seconds of the measure; null while never measured.
    pub measured_at: Option<i64>,
    /// The same time, RFC 3339 in UTC.
    pub measured_at_rfc3339: Option<String>,
    /// The account's quota of disk, in MB.
    pub quota_disk_mb: u64,
}

impl DiskUsageDto {
    pub fn new(account_id: i64, usage: Option<(u64, Timestamp)>, quota_disk_mb: u64) -> Self {
        Self {
            account_id,
            bytes: usage.map_or(0, |(b, _)| b),
            measured_at: usage.map(|(_, at)| at),
            measured_at_rfc3339: usage.map(|(_, at)| iso_time(at)),
            quota_disk_mb,
        }
    }
}

/// HTTPS options in a request body; what is left out takes its default
/// (creating) or stays as it is (changing).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct HttpsBody {
    /// Order a certificate for the host and its aliases. Default: true.
    pub certificate: Option<bool>,
    /// Redirect plain HTTP to HTTPS once the certificate is issued; needs
    /// `certificate` (`https_needs_certificate`). Default: false.
    pub force_https: Option<bool>,
    /// Tell browsers to use HTTPS only (HSTS); needs `force_https`
    /// (`hsts_needs_https`). Default: false.
    pub hsts: Option<bool>,
}

/// A new site. Which fields matter depends on `type`; the others are
/// ignored.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSiteBody {
    /// A name in one of the account's domains (ASCII or Unicode): the
    /// domain itself or a name under it. The site belongs to that
    /// domain's account. It cannot be changed later.
    #[schema(example = "www.café.example")]
    pub host: String,
    /// Extra names the site answers to, each in the account's domains; at
    /// most 20.
    #[serde(default)]
    #[schema(example = json!(["café.example"]))]
    pub aliases: Vec<String>,
    /// `static`, `php`, `redirect` or `proxy`.
    #[serde(rename = "type")]
    #[schema(example = "static")]
    pub kind: String,
    /// `static` and `php`: the directory served, relative to the account's
    /// home: up to 8 parts of ASCII letters, digits, `.`, `_` and `-`,
    /// none starting with a dot. Default: `www/<host>`.
    #[schema(example = "www/blog/public")]
    pub root: Option<String>,
    /// `redirect` (required): an `http://` or `https://` address.
    #[schema(example = "https://radio.example/")]
    pub redirect_to: Option<String>,
    /// `redirect`: 301 (true) or 302 (false). Default: true.
    pub redirect_permanent: Option<bool>,
    /// `redirect`: append the request's path to `redirect_to`. Default:
    /// true.
    pub redirect_keep_path: Option<bool>,
    /// `proxy` (required): the local port on 127.0.0.1 the account's
    /// application listens on, within the range the co-op opens
    /// (`out_of_range` says which).
    #[schema(example = 10080)]
    pub proxy_port: Option<i64>,
    /// HTTPS options; left out: a certificate, no redirect, no HSTS.
    #[serde(default)]
    pub https: HttpsBody,
}

impl CreateSiteBody {
    pub fn into_input(self) -> SiteInput {
        SiteInput {
            host: self.host,
            aliases: self.aliases,
            kind: self.kind,
            root: self.root.unwrap_or_default(),
            redirect_to: self.redirect_to.unwrap_or_default(),
            redirect_permanent: self.redirect_permanent.unwrap_or(true),
            redirect_keep_path: self.redirect_keep_path.unwrap_or(true),
            proxy_port: self.proxy_port,
            certificate: self.https.certificate.unwrap_or(true),
            force_https: self.https.force_https.unwrap_or(false),
            hsts: self.https.hsts.unwrap_or(false),
        }
    }
}

/// A site's new settings. The host stays; what is left out (or null)
/// stays as it is. `aliases`, when given, replaces the list.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSiteBody {
    #[schema(example = json!(["café.example"]))]
    pub aliases: Option<Vec<String>>,
    /// `static`, `php`, `redirect` or `proxy`. Changing it may need the
    /// new type's fields (`redirect_to`, `proxy_port`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub root: Option<String>,
    pub redirect_to: Option<String>,
    pub redirect_permanent: Option<bool>,
    pub redirect_keep_path: Option<bool>,
    pub proxy_port: Option<i64>,
    #[serde(default)]
    pub https: HttpsBody,
}

impl UpdateSiteBody {
    /// The site's current settings with this body's over them.
    pub fn merge(self, current: &Site) -> SiteInput {
        let mut input = current_input(current);
        if let Some(a) = self.aliases {
            input.aliases = a;
        }
        if let Some(k) = self.kind {
            input.kind = k;
        }
        if let Some(r) = self.root {
            input.root = r;
        }
        if let Some(t) = self.redirect_to {
            input.redirect_to = t;
        }
        if let Some(p) = self.redirect_permanent {
            input.redirect_permanent = p;
        }
        if let Some(k) = self.redirect_keep_path {
            input.redirect_keep_path = k;
        }
        if let Some(p) = self.proxy_port {
            input.proxy_port = Some(p);
        }
        if let Some(c) = self.https.certificate {
            input.certificate = c;
        }
        if let Some(f) = self.https.force_https {
            input.force_https = f;
        }
        if let Some(h) = self.https.hsts {
            input.hsts = h;
        }
        input
    }
}

/// A site's settings as the input that would make them again. Fields of
/// the other kinds take the defaults of a new site, so a change of type
/// starts from them.
pub fn current_input(s: &Site) -> SiteInput {
    let mut input = SiteInput {
        host: s.host.to_string(),
        aliases: s.aliases.iter().map(ToString::to_string).collect(),
        kind: s.kind.name().as_str().into(),
        redirect_permanent: true,
        redirect_keep_path: true,
        certificate: s.https.certificate,
        force_https: s.https.force_https,
        hsts: s.https.hsts,
        ..SiteInput::default()
    };
    match &s.kind {
        SiteKind::Static { root } | SiteKind::Php { root } => input.root = root.to_string(),
        SiteKind::Redirect {
            target,
            permanent,
            keep_path,
        } => {
            input.redirect_to = target.to_string();
            input.redirect_permanent = *permanent;
            input.redirect_keep_path = *keep_path;
        }
        SiteKind::Proxy { port } => input.proxy_port = Some(i64::from(port.get())),
    }
    input
}
