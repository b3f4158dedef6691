//! A real nginx and PHP-FPM for website tests, under the [`Daemon`]
//! watchdog, on free loopback ports, with every file in one directory.
//!
//! nginx's master runs as root with `user www-data`, as on a server, so
//! its workers read the sites as nginx's group does; PHP-FPM's master runs
//! as root so each account's pool runs as that account's user. The layout
//! under `dir`: `nginx/` (prefix, `nginx.conf`, `sites/`), `php/`
//! (`php-fpm.conf`, `pool.d/`, `run/`), `acme/` (http-01 tokens, served
//! for every host at `/.well-known/acme-challenge/`), `certs/`,
//! `site-logs/` and `homes/`.
//!
//! Needs Debian's `nginx` and `php8.2-fpm`; [`WebServer::try_start`]
//! skips (prints `SKIPPED`) when they are missing, unless
//! `REQUIRE_WEB_TESTS=1`.

use crate::daemon::{Daemon, free_port, require_binary, run_bounded, skip_if_missing};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const REQUIRE_ENV: &str = "REQUIRE_WEB_TESTS";
const NGINX: &str = "/usr/sbin/nginx";
const PHP_FPM: &str = "/usr/sbin/php-fpm8.2";
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const START_ATTEMPTS: usize = 3;
/// One HTTP exchange in tests.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// nginx and PHP-FPM; both stopped on drop.
#[derive(Debug)]
pub struct WebServer {
    dir: PathBuf,
    nginx: Daemon,
    php: Daemon,
    http_port: u16,
    https_port: u16,
}

/// What [`WebServer::head`] returns: the status and the headers, names in
/// lowercase.
pub type Head = (u16, HashMap<String, String>);

impl WebServer {
    pub async fn try_start(dir: &Path) -> Result<Option<WebServer>> {
        skip_if_missing(WebServer::start(dir).await, REQUIRE_ENV)
    }

    pub async fn start(dir: &Path) -> Result<WebServer> {
        let nginx = require_binary(NGINX, "nginx")?;
        let php = require_binary(PHP_FPM, "php8.2-fpm")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = std::fs::canonicalize(dir)?;
        for sub in [
            "nginx/sites",
            "nginx/logs",
            "nginx/temp",
            "php/pool.d",
            "php/run",
            "php/log",
            "acme",
            "certs",
            "site-logs",
            "homes",
        ] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        // nginx's workers (www-data) traverse to the homes and the tokens;
        // PHP's sockets are created by the root master.
        for open in ["", "acme", "homes", "php", "php/run"] {
            std::fs::set_permissions(dir.join(open), std::fs::Permissions::from_mode(0o755))?;
        }
        std::fs::write(dir.join("php/php-fpm.conf"), php_master(&dir))?;
        std::fs::write(dir.join("php/pool.d/konbit-base.conf"), base_pool(&dir))?;
        let php_daemon = Daemon::builder("php-fpm", &php, dir.join("php/log"))
            .args(["-F", "-y"])
            .arg(dir.join("php/php-fpm.conf"))
            .args([
                "-d",
                "opcache.validate_permission=1",
                "-d",
                "opcache.validate_root=1",
            ])
            .start()?;
        wait_for_file(&dir.join("php/run/base.sock"), &php_daemon).await?;
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            let (http_port, https_port) = (free_port()?, free_port()?);
            std::fs::write(
                dir.join("nginx/nginx.conf"),
                nginx_main(&dir, http_port, https_port),
            )?;
            let daemon = Daemon::builder("nginx", &nginx, dir.join("nginx/logs"))
                .arg("-p")
                .arg(dir.join("nginx"))
                .arg("-c")
                .arg(dir.join("nginx/nginx.conf"))
                .arg("-e")
                .arg(dir.join("nginx/logs/error.log"))
                .args(["-g", "daemon off;"])
                .start()?;
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, http_port));
            match daemon.wait_for_tcp(addr, READY_TIMEOUT).await {
                Ok(()) => {
                    return Ok(WebServer {
                        dir,
                        nginx: daemon,
                        php: php_daemon,
                        http_port,
                        https_port,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("nginx did not start")))
    }

    pub fn http_port(&self) -> u16 {
        self.http_port
    }
    pub fn https_port(&self) -> u16 {
        self.https_port
    }
    pub fn http_addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.http_port).into()
    }
    pub fn nginx_binary(&self) -> &Path {
        Path::new(NGINX)
    }
    pub fn nginx_prefix(&self) -> PathBuf {
        self.dir.join("nginx")
    }
    pub fn nginx_conf(&self) -> PathBuf {
        self.dir.join("nginx/nginx.conf")
    }
    pub fn nginx_error_log_path(&self) -> PathBuf {
        self.dir.join("nginx/logs/error.log")
    }
    pub fn sites_dir(&self) -> PathBuf {
        self.dir.join("nginx/sites")
    }
    pub fn php_fpm_binary(&self) -> &Path {
        Path::new(PHP_FPM)
    }
    pub fn php_fpm_conf(&self) -> PathBuf {
        self.dir.join("php/php-fpm.conf")
    }
    pub fn php_pool_dir(&self) -> PathBuf {
        self.dir.join("php/pool.d")
    }
    pub fn php_pid_file(&self) -> PathBuf {
        self.dir.join("php/run/php-fpm.pid")
    }
    pub fn php_socket_dir(&self) -> PathBuf {
        self.dir.join("php/run")
    }
    pub fn acme_webroot(&self) -> PathBuf {
        self.dir.join("acme")
    }
    pub fn certs_dir(&self) -> PathBuf {
        self.dir.join("certs")
    }
    pub fn site_logs_dir(&self) -> PathBuf {
        self.dir.join("site-logs")
    }
    pub fn homes_dir(&self) -> PathBuf {
        self.dir.join("homes")
    }
    /// The end of nginx's and PHP-FPM's logs, for a failing test.
    pub fn logs(&self) -> String {
        format!(
            "nginx:\n{}\nphp-fpm:\n{}",
            self.nginx.log_tail(30),
            self.php.log_tail(30)
        )
    }

    /// `nginx -t` then `nginx -s reload`, for files written by hand.
    pub fn reload_nginx(&self) -> Result<()> {
        for action in [&["-t", "-q"][..], &["-s", "reload"][..]] {
            let mut cmd = Command::new(NGINX);
            cmd.arg("-p")
                .arg(self.nginx_prefix())
                .arg("-c")
                .arg(self.nginx_conf())
                .arg("-e")
                .arg(self.nginx_error_log_path())
                .args(action);
            let out = run_bounded(cmd, Duration::from_secs(20))?;
            if !out.status.success() {
                bail!("nginx {action:?}: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        Ok(())
    }

    /// `GET path` with `Host: host`; `None` when nginx closes the
    /// connection without an answer (its 444 for unknown or disabled
    /// sites).
    pub async fn get(&self, host: &str, path: &str) -> Result<Option<(u16, String)>> {
        Ok(self
            .request("GET", host, path)
            .await?
            .map(|(status, _, body)| (status, body)))
    }

    /// `HEAD path` with `Host: host`; fails when nothing answers.
    pub async fn head(&self, host: &str, path: &str) -> Result<Head> {
        match self.request("HEAD", host, path).await? {
            Some((status, headers, _)) => Ok((status, headers)),
            None => bail!("{host}{path}: nginx closed the connection without an answer"),
        }
    }

    /// Polls `GET` (every 20 ms, at most `timeout`) until the status is
    /// `want`; returns the last status and body.
    pub async fn wait_for_status(
        &self,
        host: &str,
        path: &str,
        want: u16,
        timeout: Duration,
    ) -> Result<(u16, String)> {
        let started = Instant::now();
        let rounds = timeout.as_millis() / 20 + 1;
        let mut last = None;
        for _ in 0..rounds {
            last = self.get(host, path).await?;
            if let Some((status, body)) = &last
                && *status == want
            {
                return Ok((*status, body.clone()));
            }
            if started.elapsed() > timeout {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!(
            "{host}{path} never answered {want} within {timeout:?}; last: {last:?}\n{}",
            self.logs()
        )
    }

    /// One HTTP/1.0 exchange with nginx.
    async fn request(
        &self,
        method: &str,
        host: &str,
        path: &str,
    ) -> Result<Option<(u16, HashMap<String, String>, String)>> {
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(self.http_addr()).await?;
            let request = format!(
                "{method} {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: konbit-test\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await?;
            let mut raw = Vec::new();
            // A reset (nginx's 444) reads as an empty answer.
            let _ = stream.read_to_end(&mut raw).await;
            anyhow::Ok(raw)
        };
        let raw = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .context("the HTTP request timed out")??;
        if raw.is_empty() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP answer: {head}"))?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Ok(Some((status, headers, body.to_owned())))
    }

    pub fn stop(&mut self) {
        self.nginx.stop();
        self.php.stop();
    }
}

async fn wait_for_file(path: &Path, daemon: &Daemon) -> Result<()> {
    let started = Instant::now();
    for _ in 0..1000 {
        if path.exists() {
            return Ok(());
        }
        if !daemon.is_running() || started.elapsed() > READY_TIMEOUT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!(
        "{} did not appear; {} log:\n{}",
        path.display(),
        daemon.name(),
        daemon.log_tail(20)
    )
}

fn nginx_main(dir: &Path, http_port: u16, https_port: u16) -> String {
    let d = dir.display();
    format!(
        "user www-data;
worker_processes 1;
pid {d}/nginx/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;
    client_body_temp_path {d}/nginx/temp/body;
    proxy_temp_path {d}/nginx/temp/proxy;
    fastcgi_temp_path {d}/nginx/temp/fastcgi;
    uwsgi_temp_path {d}/nginx/temp/uwsgi;
    scgi_temp_path {d}/nginx/temp/scgi;
    map $http_upgrade $connection_upgrade_konbit {{
        default upgrade;
        '' close;
    }}
    server {{
        listen 127.0.0.1:{http_port} default_server;
        server_name _;
        location ^~ /.well-known/acme-challenge/ {{
            alias {d}/acme/;
            default_type text/plain;
        }}
        location / {{ return 444; }}
    }}
    server {{
        listen 127.0.0.1:{https_port} ssl default_server;
        ssl_reject_handshake on;
    }}
    include {d}/nginx/sites/*.conf;
}}
"
    )
}

fn php_master(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[global]
pid = {d}/php/run/php-fpm.pid
error_log = {d}/php/log/php-fpm.log
daemonize = no
process_control_timeout = 10s
include = {d}/php/pool.d/*.conf
"
    )
}

/// PHP-FPM does not start without a pool.
fn base_pool(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[konbit-base]
user = www-data
group = www-data
listen = {d}/php/run/base.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = ondemand
pm.max_children = 1
"
    )
}
