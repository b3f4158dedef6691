//! `konbit web-server setup`: what nginx and PHP-FPM need around the
//! sites' and accounts' files, from `[web]` and `[web.php]`. It writes
//! nginx's http-level snippet (`web.nginx_snippet`: default servers that
//! serve the ACME challenges for any host and close everything else, the
//! `include` of the sites) and, with `--standalone`, nginx's main
//! configuration and PHP-FPM's master configuration and base pool; it
//! creates the directories with their modes, writes every file atomically
//! and checks them with `nginx -t` and `php-fpm -t` (a refused file is
//! rolled back), and with `--reload` tells the running daemons to read
//! them again. It starts nothing: it prints the commands that do.

use crate::config::Config;
use crate::output::{Format, fail_msg, print};
use clap::Subcommand;
use konbit_provision::web::WebTarget;
use konbit_provision::web::limits;
use konbit_provision::web::nginx::{Nginx, RenderError};
use konbit_provision::web::server::{self, PhpServer, Standalone, WebServers};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Debian's welcome site, which claims `default_server` on port 80.
const DEBIAN_DEFAULT_SITE: &str = "/etc/nginx/sites-enabled/default";
/// Master-level settings: every pool shares one opcache.
const OPCACHE_FLAGS: &str = "-d opcache.validate_permission=1 -d opcache.validate_root=1";
/// `nginx -T` of a big configuration takes a fraction of a second.
const NGINX_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Subcommand, Debug)]
pub enum WebServerCommand {
    /// Prepare the directories, write and check nginx's http-level file (web.nginx_snippet) and, with --standalone, nginx's and PHP-FPM's main files.
    Setup {
        /// Then reload nginx and PHP-FPM, if they run.
        #[arg(long)]
        reload: bool,
        /// Also write nginx's main configuration (web.nginx_conf, with its pid and temporary files in web.nginx_prefix) and PHP-FPM's master (web.php.php_fpm_conf) and a base pool: for an nginx and a PHP-FPM that serve Konbit alone.
        #[arg(long)]
        standalone: bool,
    },
}

#[derive(Debug, Serialize)]
struct Report {
    standalone: bool,
    files: Files,
    /// The files this run changed.
    changed: Vec<PathBuf>,
    listen_http: Vec<SocketAddr>,
    listen_https: Vec<SocketAddr>,
    reloaded: Vec<&'static str>,
    /// Asked to reload, but not running.
    not_running: Vec<&'static str>,
    /// The commands that start the daemons (with --standalone).
    start: Vec<String>,
    /// What the operator should know or fix.
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Files {
    nginx_snippet: PathBuf,
    /// nginx's main configuration: written with --standalone, else the
    /// operator's, which must include the snippet.
    nginx_conf: PathBuf,
    sites_dir: PathBuf,
    acme_webroot: PathBuf,
    php_fpm_conf: Option<PathBuf>,
    /// With --standalone and [web.php].
    base_pool: Option<PathBuf>,
}

pub async fn run(format: Format, config: &Config, command: WebServerCommand) -> ExitCode {
    let WebServerCommand::Setup { reload, standalone } = command;
    let root = running_as_root();
    let target = config.web_target();
    let servers = match web_servers(config, &target, standalone, root) {
        Ok(s) => s,
        Err(e) => return fail_msg(format!("configuration error: {e}")),
    };
    let files = match servers.render() {
        Ok(f) => f,
        Err(e) => return fail_msg(format!("configuration error: {}", describe(&e))),
    };
    if let Some(f) = files.iter().find(|f| !server::ours(&f.path)) {
        return fail_msg(format!(
            "{} exists and was not written by Konbit: it is left alone. Move it away (it is \
             replaced by Konbit's), or point {} elsewhere",
            f.path.display(),
            file_key(&servers, &f.path)
        ));
    }
    if let Err(e) = servers.prepare_dirs() {
        return fail_msg(describe(&e));
    }
    let default_site = if standalone {
        None
    } else {
        debian_default_site(Path::new(DEBIAN_DEFAULT_SITE))
    };
    let previous = match server::install(&files) {
        Ok(p) => p,
        Err(e) => return fail_msg(format!("writing the web servers' files: {e}")),
    };
    let mut check = target
        .nginx
        .check_all()
        .await
        .map_err(|e| format!("nginx -t refused the configuration: {e}"));
    if check.is_ok()
        && let Some(php) = &target.php
    {
        check = php
            .fpm
            .check()
            .await
            .map_err(|e| format!("php-fpm -t refused the configuration: {e}"));
    }
    if let Err(message) = check {
        let restored = match previous.restore() {
            Ok(()) => "the previous files are back".to_owned(),
            Err(e) => format!("putting the previous files back failed: {e}"),
        };
        let mut message = format!("{message} ({restored})");
        if let Some(note) = default_site {
            message.push_str("\nNote: ");
            message.push_str(&note);
        }
        return fail_msg(message);
    }

    let mut notes = Vec::new();
    if !config.web.enabled {
        notes.push(
            "web.enabled is false: Konbit writes no site and makes no Unix user until it is \
             true (and `konbit serve` runs as root)"
                .to_owned(),
        );
    }
    if !root {
        notes.push(
            "not run as root: nginx's workers run as you, and Konbit's web provisioner needs \
             root to make the accounts' Unix users"
                .to_owned(),
        );
    }
    if let Some(note) = default_site {
        notes.push(note);
    }
    if !standalone {
        if let Some(note) = snippet_not_included(&target.nginx, &servers.snippet).await {
            notes.push(note);
        }
        if let Some(limit) = limits::master_limit(&target.nginx.main_conf)
            && let Some(note) = limits::too_low(limit, limits::site_files(&target.sites_dir))
        {
            notes.push(note);
        }
        if let Some(php) = &target.php
            && !has_control_timeout(&php.fpm.conf)
        {
            notes.push(format!(
                "{} leaves process_control_timeout at 0: every reload kills the PHP requests \
                 in flight; set `process_control_timeout = 10s` in its [global]",
                php.fpm.conf.display()
            ));
        }
    }

    let mut reloaded = Vec::new();
    let mut not_running = Vec::new();
    let mut failures = Vec::new();
    if reload {
        match target.nginx.reload().await {
            Ok(()) => reloaded.push("nginx"),
            Err(e) if nginx_not_running(&e) => not_running.push("nginx"),
            Err(e) => failures.push(format!("nginx -s reload: {e}")),
        }
        if let Some(php) = &target.php {
            match php.fpm.master_pid() {
                Err(_) => not_running.push("php-fpm"),
                Ok(_) => match php.fpm.reload().await {
                    Ok(()) => reloaded.push("php-fpm"),
                    Err(e) => failures.push(format!("php-fpm: {e}")),
                },
            }
        }
    }

    let report = Report {
        standalone,
        files: Files {
            nginx_snippet: servers.snippet.clone(),
            nginx_conf: target.nginx.main_conf.clone(),
            sites_dir: servers.sites_dir.clone(),
            acme_webroot: servers.acme_webroot.clone(),
            php_fpm_conf: servers.php.as_ref().map(|p| p.conf.clone()),
            base_pool: servers
                .php
                .as_ref()
                .filter(|_| standalone)
                .map(WebServers::base_pool_file),
        },
        changed: previous.changed,
        listen_http: servers.listen_http.clone(),
        listen_https: servers.listen_https.clone(),
        reloaded,
        not_running,
        start: start_commands(config, &servers),
        notes,
    };
    print(format, &report, text);
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        fail_msg(format!(
            "the files are written and checked, but not every daemon reloaded:\n  {}",
            failures.join("\n  ")
        ))
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// The setup from `[web]` and `[web.php]`, with the paths the provisioner
/// uses ([`Config::web_target`]).
fn web_servers(
    config: &Config,
    target: &WebTarget,
    standalone: bool,
    root: bool,
) -> Result<WebServers, String> {
    let standalone = if standalone {
        let prefix = target.nginx.prefix.clone().ok_or(
            "web.nginx_prefix is not set: --standalone keeps nginx's pid and temporary files \
             there (e.g. \"/var/lib/konbit/nginx\"); or leave out --standalone and include \
             web.nginx_snippet from your own nginx.conf",
        )?;
        Some(Standalone {
            nginx_error_log: target
                .nginx
                .error_log
                .clone()
                .unwrap_or_else(|| prefix.join("logs/error.log")),
            nginx_prefix: prefix,
            nginx_conf: target.nginx.main_conf.clone(),
            nginx_user: root.then(|| target.unix.web_group.clone()),
            php_error_log: config.state_dir.join("php-fpm.log"),
        })
    } else {
        None
    };
    Ok(WebServers {
        snippet: config.state_path(&config.web.nginx_snippet),
        listen_http: target.listen_http.clone(),
        listen_https: target.listen_https.clone(),
        sites_dir: target.sites_dir.clone(),
        acme_webroot: target.acme_webroot.clone(),
        certs_dir: target.certs_dir.clone(),
        log_dir: target.log_dir.clone(),
        log_group: target.log_group.clone(),
        homes_root: target.unix.homes_root.clone(),
        web_user: target.unix.web_group.clone(),
        php: target.php.as_ref().map(|p| PhpServer {
            conf: p.fpm.conf.clone(),
            pid_file: p.fpm.pid_file.clone(),
            pool_dir: p.pool_dir.clone(),
            socket_dir: p.socket_dir.clone(),
        }),
        standalone,
    })
}

/// The configuration key a [`WebServers`] field comes from.
fn config_key(field: &str) -> String {
    match field {
        "snippet" => "web.nginx_snippet".to_owned(),
        "web_user" => "web.web_group".to_owned(),
        "php.conf" => "web.php.php_fpm_conf".to_owned(),
        // `<state_dir>/php-fpm.log`.
        "php.error_log" => "state_dir".to_owned(),
        f => format!("web.{f}"),
    }
}

/// A [`RenderError`] told with the configuration key.
fn describe(e: &RenderError) -> String {
    format!("{}: {}", config_key(e.field), e.reason)
}

/// The key of the setting that names the file `path`.
fn file_key(servers: &WebServers, path: &Path) -> &'static str {
    let php = servers.php.as_ref();
    if path == servers.snippet {
        "web.nginx_snippet"
    } else if php.is_some_and(|p| p.conf == path) {
        "web.php.php_fpm_conf"
    } else if php.is_some_and(|p| WebServers::base_pool_file(p) == path) {
        "web.php.pool_dir"
    } else {
        "web.nginx_conf"
    }
}

/// A note when Debian's welcome site is enabled and claims
/// `default_server`.
fn debian_default_site(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let claims = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .any(|l| l.contains("default_server"));
    claims.then(|| {
        format!(
            "{} (Debian's welcome site) also claims default_server: on the same address \
             nginx refuses two (\"a duplicate default server\"), on another one it answers \
             unknown hosts with the welcome page; remove it: rm {}",
            path.display(),
            path.display()
        )
    })
}

/// A note when nginx's whole configuration (`nginx -T`) does not include
/// the snippet: then no site is served.
async fn snippet_not_included(nginx: &Nginx, snippet: &Path) -> Option<String> {
    let mut cmd = tokio::process::Command::new(&nginx.binary);
    if let Some(p) = &nginx.prefix {
        cmd.arg("-p").arg(p);
    }
    cmd.arg("-c").arg(&nginx.main_conf);
    if let Some(e) = &nginx.error_log {
        cmd.arg("-e").arg(e);
    }
    cmd.args(["-T", "-q"]);
    let output = konbit_provision::command::run_bounded(cmd, NGINX_TIMEOUT)
        .await
        .ok()
        .filter(|o| o.status.success())?;
    let dump = String::from_utf8_lossy(&output.stdout);
    let marker = format!("# configuration file {}:", snippet.display());
    (!dump.contains(&marker)).then(|| {
        format!(
            "{} does not include {}: no site is served until it does; add `include {};` \
             inside its http {{ }} (Debian's nginx.conf includes /etc/nginx/conf.d/*.conf)",
            nginx.main_conf.display(),
            snippet.display(),
            snippet.display()
        )
    })
}

/// Whether PHP-FPM's master configuration sets a non-zero
/// `process_control_timeout`.
fn has_control_timeout(conf: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(conf) else {
        return true;
    };
    text.lines().any(|l| {
        l.trim()
            .strip_prefix("process_control_timeout")
            .and_then(|rest| rest.trim().strip_prefix('='))
            .map(|v| v.trim().trim_end_matches(|c: char| c.is_ascii_alphabetic()))
            .is_some_and(|v| !v.is_empty() && v.chars().any(|c| c != '0'))
    })
}

/// nginx's `-s reload` failed because no master runs (no pid file, an
/// empty one, or a pid that is gone).
fn nginx_not_running(message: &str) -> bool {
    message.contains("invalid PID number")
        || message.contains("No such process")
        || (message.contains(".pid") && message.contains("No such file or directory"))
}

/// With --standalone, how to start nginx and PHP-FPM.
fn start_commands(config: &Config, servers: &WebServers) -> Vec<String> {
    let Some(s) = &servers.standalone else {
        return Vec::new();
    };
    let mut start = vec![format!(
        "{} -p {} -c {} -e {}",
        config.web.nginx.display(),
        s.nginx_prefix.display(),
        s.nginx_conf.display(),
        s.nginx_error_log.display()
    )];
    if let (Some(php), Some(p)) = (&servers.php, &config.web.php) {
        start.push(format!(
            "{} -y {} {OPCACHE_FLAGS}",
            p.php_fpm.display(),
            php.conf.display()
        ));
    }
    start
}

fn text(r: &Report) -> String {
    let f = &r.files;
    let mut s = String::from("The web servers' configuration is written and checked.\n\n");
    s.push_str(&format!(
        "  nginx      {} (default servers, sites from {})\n",
        f.nginx_snippet.display(),
        f.sites_dir.display()
    ));
    if r.standalone {
        s.push_str(&format!(
            "  nginx      {} (main, includes the above)\n",
            f.nginx_conf.display()
        ));
    }
    if let Some(conf) = &f.php_fpm_conf {
        match &f.base_pool {
            Some(pool) => s.push_str(&format!(
                "  PHP-FPM    {} (master), {} (base pool)\n",
                conf.display(),
                pool.display()
            )),
            None => s.push_str(&format!("  PHP-FPM    {} (checked)\n", conf.display())),
        }
    }
    if r.changed.is_empty() {
        s.push_str("  (nothing changed)\n");
    }
    let list = |a: &[SocketAddr]| {
        if a.is_empty() {
            "none".to_owned()
        } else {
            a.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    s.push_str(&format!(
        "\nListeners: HTTP {}, HTTPS {}. Any host's ACME challenges are served from {}; other \
         unknown hosts get no answer.\n",
        list(&r.listen_http),
        list(&r.listen_https),
        f.acme_webroot.display()
    ));
    if !r.reloaded.is_empty() {
        s.push_str(&format!("\nReloaded: {}.\n", r.reloaded.join(", ")));
    }
    if !r.not_running.is_empty() {
        s.push_str(&format!(
            "\nNot running, so not reloaded: {}.\n",
            r.not_running.join(", ")
        ));
    }
    if r.standalone && r.reloaded.len() < r.start.len() {
        s.push_str("\nStart them, as root:\n");
        for c in &r.start {
            s.push_str(&format!("  {c}\n"));
        }
        s.push_str(
            "After a change to [web], run `konbit web-server setup --standalone --reload` while \
             they run.",
        );
    } else if !r.standalone && r.reloaded.is_empty() {
        s.push_str(&format!(
            "\nReload nginx (`nginx -s reload`, or run this again with --reload) for {} to \
             take effect.",
            f.nginx_snippet.display()
        ));
    }
    for n in &r.notes {
        s.push_str(&format!("\nNote: {n}"));
    }
    s.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_named_as_in_the_file() {
        assert_eq!(config_key("acme_webroot"), "web.acme_webroot");
        assert_eq!(config_key("snippet"), "web.nginx_snippet");
        assert_eq!(config_key("php.socket_dir"), "web.php.socket_dir");
        assert_eq!(config_key("php.conf"), "web.php.php_fpm_conf");
        assert_eq!(config_key("web_user"), "web.web_group");
    }

    #[test]
    fn the_debian_welcome_site_is_noted_when_it_claims_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("default");
        assert_eq!(debian_default_site(&site), None);
        std::fs::write(
            &site,
            "server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n}\n",
        )
        .unwrap();
        let note = debian_default_site(&site).unwrap();
        assert!(note.contains("rm "), "{note}");
        std::fs::write(&site, "server {\n\tlisten 80; # not default_server\n}\n").unwrap();
        assert_eq!(debian_default_site(&site), None);
    }

    #[test]
    fn the_control_timeout_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("php-fpm.conf");
        std::fs::write(&conf, "[global]\n;process_control_timeout = 10s\n").unwrap();
        assert!(!has_control_timeout(&conf));
        std::fs::write(&conf, "[global]\nprocess_control_timeout = 0\n").unwrap();
        assert!(!has_control_timeout(&conf));
        std::fs::write(&conf, "[global]\nprocess_control_timeout = 10s\n").unwrap();
        assert!(has_control_timeout(&conf));
    }

    #[test]
    fn nginx_says_when_it_does_not_run() {
        assert!(nginx_not_running(
            "[error] open() \"/run/nginx.pid\" failed (2: No such file or directory)"
        ));
        assert!(nginx_not_running(
            "[error] invalid PID number \"\" in \"/run/nginx.pid\""
        ));
        assert!(nginx_not_running(
            "[alert] kill(4242, 1) failed (3: No such process)"
        ));
        assert!(!nginx_not_running("[emerg] unknown directive \"x\""));
    }
}
