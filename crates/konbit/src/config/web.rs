//! `[web]`: where the web provisioner writes (one nginx file per site, the
//! accounts' homes and PHP-FPM pools, certificates, logs), how accounts
//! become Unix users, and `[web.acme]`: the ACME CA that issues
//! certificates. Relative paths are under `state_dir`.

use super::Config;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSection {
    /// Whether Konbit writes nginx's and PHP-FPM's files and makes Unix
    /// users (off: sites are kept, they stay queued). Needs root.
    pub enabled: bool,
    /// nginx's binary and main configuration, which must `include
    /// <sites_dir>/*.conf;` inside `http { }`.
    pub nginx: PathBuf,
    pub nginx_conf: PathBuf,
    /// `nginx -p`; unset: nginx's compiled-in prefix.
    pub nginx_prefix: Option<PathBuf>,
    /// `nginx -e`; unset: nginx's compiled-in error log.
    pub nginx_error_log: Option<PathBuf>,
    /// One `site-<id>.conf` per site; Konbit owns every file here.
    pub sites_dir: PathBuf,
    /// The http-level file `konbit web-server setup` writes (default
    /// servers, the ACME challenges for any host, the `include` of
    /// `sites_dir`), which nginx's `http { }` includes once.
    pub nginx_snippet: PathBuf,
    pub fastcgi_params: PathBuf,
    pub listen_http: Vec<SocketAddr>,
    pub listen_https: Vec<SocketAddr>,
    /// `/.well-known/acme-challenge/` of every site is served from here.
    pub acme_webroot: PathBuf,
    /// Certificates and keys, root only.
    pub certs_dir: PathBuf,
    /// `<log_dir>/<site id>/{access,error}.log`, outside the homes, so a
    /// member cannot swap a log for a link that root's nginx would follow.
    pub log_dir: PathBuf,
    /// The group that reads the logs (the panel's, when it runs apart).
    pub log_group: Option<String>,
    /// The accounts' homes: `<homes_root>/<unix_prefix><account>`.
    pub homes_root: PathBuf,
    pub unix_prefix: String,
    /// An account's uid is `uid_base + account id`.
    pub uid_base: u32,
    /// nginx's group, which traverses the homes.
    pub web_group: String,
    /// The ports a reverse-proxy site may point at, on 127.0.0.1.
    pub proxy_port_min: u16,
    pub proxy_port_max: u16,
    /// Disk usage of the homes is measured this often.
    pub usage_minutes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub php: Option<PhpSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acme: Option<AcmeSection>,
}

impl Default for WebSection {
    fn default() -> Self {
        Self {
            enabled: false,
            nginx: "/usr/sbin/nginx".into(),
            nginx_conf: "/etc/nginx/nginx.conf".into(),
            nginx_prefix: None,
            nginx_error_log: None,
            sites_dir: "/etc/nginx/konbit-sites".into(),
            nginx_snippet: "/etc/nginx/conf.d/konbit.conf".into(),
            fastcgi_params: "/etc/nginx/fastcgi_params".into(),
            listen_http: vec![SocketAddr::from(([0, 0, 0, 0], 80))],
            listen_https: vec![SocketAddr::from(([0, 0, 0, 0], 443))],
            acme_webroot: "acme-challenge".into(),
            certs_dir: "certs".into(),
            log_dir: "/var/log/konbit/sites".into(),
            log_group: None,
            homes_root: "/srv/konbit/homes".into(),
            unix_prefix: "kb-".into(),
            uid_base: 20_000,
            web_group: "www-data".into(),
            proxy_port_min: 10_000,
            proxy_port_max: 20_000,
            usage_minutes: 15,
            php: None,
            acme: None,
        }
    }
}

/// `[web.php]`: the PHP-FPM master that runs one pool per account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhpSection {
    pub php_fpm: PathBuf,
    /// The master's configuration, which includes `pool_dir/*.conf`.
    pub php_fpm_conf: PathBuf,
    pub pid_file: PathBuf,
    pub pool_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub max_children: u32,
    pub memory_limit_mb: u32,
    pub request_timeout_secs: u32,
}

impl Default for PhpSection {
    fn default() -> Self {
        Self {
            php_fpm: "/usr/sbin/php-fpm8.2".into(),
            php_fpm_conf: "/etc/php/8.2/fpm/php-fpm.conf".into(),
            pid_file: "/run/php/php8.2-fpm.pid".into(),
            pool_dir: "/etc/php/8.2/fpm/pool.d".into(),
            socket_dir: "/run/php".into(),
            max_children: 4,
            memory_limit_mb: 128,
            request_timeout_secs: 60,
        }
    }
}

/// `[web.acme]`: the CA that issues the sites' certificates.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AcmeSection {
    pub directory_url: String,
    pub contact_email: Option<String>,
    /// Extra roots to trust for the CA's own HTTPS (a test CA).
    pub ca_file: Option<PathBuf>,
    /// The ACME account's key, written on first use (0600).
    pub account_file: PathBuf,
    /// A failed order is tried again after `retry_base_secs`, doubling up
    /// to `retry_max_secs`.
    pub retry_base_secs: u32,
    pub retry_max_secs: u32,
    /// How long one order may take.
    pub timeout_secs: u32,
}

impl Default for AcmeSection {
    fn default() -> Self {
        Self {
            directory_url: "https://acme-v02.api.letsencrypt.org/directory".into(),
            contact_email: None,
            ca_file: None,
            account_file: "acme/account.json".into(),
            retry_base_secs: 60,
            retry_max_secs: 6 * 3600,
            timeout_secs: 90,
        }
    }
}

impl WebSection {
    pub fn app_config(&self, state: &Config) -> konbit_app::site::SiteConfig {
        konbit_app::site::SiteConfig {
            proxy_port_min: self.proxy_port_min,
            proxy_port_max: self.proxy_port_max,
            log_dir: Some(state.state_path(&self.log_dir)),
            acme: self.enabled && self.acme.is_some(),
        }
    }

    pub fn check(&self) -> Result<(), String> {
        konbit_core::web::UnixLogin::check_prefix("web.unix_prefix", &self.unix_prefix)
            .map_err(|e| format!("web.unix_prefix: {:?}", e.rule))?;
        if self.proxy_port_min == 0 || self.proxy_port_min > self.proxy_port_max {
            return Err("web.proxy_port_min must be between 1 and web.proxy_port_max".into());
        }
        if self.uid_base < 1000 {
            return Err("web.uid_base must be 1000 or more (system users live below)".into());
        }
        Ok(())
    }
}

impl Config {
    /// The ACME client's settings and retry delays; `None` without
    /// `[web.acme]`.
    pub fn acme_settings(
        &self,
    ) -> Option<(
        konbit_provision::acme::AcmeSettings,
        konbit_provision::acme::Retry,
    )> {
        let a = self.web.acme.as_ref()?;
        let secs = |s: u32| std::time::Duration::from_secs(u64::from(s));
        Some((
            konbit_provision::acme::AcmeSettings {
                directory_url: a.directory_url.clone(),
                contact_email: a.contact_email.clone(),
                extra_roots_pem: a.ca_file.as_ref().map(|p| self.state_path(p)),
                account_file: self.state_path(&a.account_file),
                challenge_dir: self.state_path(&self.web.acme_webroot),
                timeout: secs(a.timeout_secs),
            },
            konbit_provision::acme::Retry {
                base: secs(a.retry_base_secs),
                max: secs(a.retry_max_secs),
            },
        ))
    }

    /// Where the web provisioner writes and what it drives.
    pub fn web_target(&self) -> konbit_provision::web::WebTarget {
        let w = &self.web;
        konbit_provision::web::WebTarget {
            nginx: konbit_provision::web::nginx::Nginx {
                binary: w.nginx.clone(),
                main_conf: w.nginx_conf.clone(),
                prefix: w.nginx_prefix.clone(),
                error_log: w.nginx_error_log.clone(),
            },
            sites_dir: self.state_path(&w.sites_dir),
            scratch_dir: self.state_dir.join("web-scratch"),
            fastcgi_params: w.fastcgi_params.clone(),
            listen_http: w.listen_http.clone(),
            listen_https: w.listen_https.clone(),
            acme_webroot: self.state_path(&w.acme_webroot),
            certs_dir: self.state_path(&w.certs_dir),
            log_dir: self.state_path(&w.log_dir),
            log_group: w.log_group.clone(),
            unix: konbit_provision::web::UnixSettings {
                prefix: w.unix_prefix.clone(),
                uid_base: w.uid_base,
                homes_root: self.state_path(&w.homes_root),
                web_group: w.web_group.clone(),
                ..Default::default()
            },
            php: w.php.as_ref().map(|p| konbit_provision::web::PhpTarget {
                fpm: konbit_provision::web::php::PhpFpm {
                    binary: p.php_fpm.clone(),
                    conf: self.state_path(&p.php_fpm_conf),
                    pid_file: self.state_path(&p.pid_file),
                    kill: "/bin/kill".into(),
                },
                pool_dir: self.state_path(&p.pool_dir),
                socket_dir: self.state_path(&p.socket_dir),
                max_children: p.max_children,
                memory_limit_mb: p.memory_limit_mb,
                request_timeout_secs: p.request_timeout_secs,
                listen_owner: w.web_group.clone(),
            }),
        }
    }
}
