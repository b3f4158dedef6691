//! `konbit doctor`'s website checks: nginx's and PHP-FPM's configurations
//! pass their own checkers with Konbit's files in, nginx answers HTTP, and
//! the ACME CA's directory answers, and nginx may open enough files for
//! every site's two logs.

use super::doctor::Check;
use crate::config::Config;
use konbit_provision::web::limits;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn checks(config: &Config) -> Vec<Check> {
    let target = config.web_target();
    let mut out = Vec::new();
    let nginx = target.nginx.check_all().await;
    out.push(Check {
        name: "nginx configuration",
        ok: nginx.is_ok(),
        detail: match nginx {
            Ok(()) => format!("{} passes nginx -t", target.nginx.main_conf.display()),
            Err(e) => format!("nginx -t: {e}"),
        },
    });
    if let Some(limit) = limits::master_limit(&target.nginx.main_conf) {
        let sites = limits::site_files(&target.sites_dir);
        let low = limits::too_low(limit, sites);
        out.push(Check {
            name: "nginx open files",
            ok: low.is_none(),
            detail: low.unwrap_or_else(|| match limit.open_files {
                Some(n) => format!(
                    "nginx (pid {}) may open {n} files; {sites} sites' logs need about {}",
                    limit.pid,
                    limits::files_needed(sites)
                ),
                None => format!("nginx (pid {}) may open any number of files", limit.pid),
            }),
        });
    }
    if let Some(addr) = config.web.listen_http.first().copied() {
        // A wildcard listener is reached on loopback.
        let addr = if addr.ip().is_unspecified() {
            std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        let answered =
            tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect(addr))
                .await;
        out.push(Check {
            name: "nginx http",
            ok: matches!(answered, Ok(Ok(_))),
            detail: match answered {
                Ok(Ok(_)) => format!("{addr} accepts connections"),
                Ok(Err(e)) => format!("{addr}: {e}"),
                Err(_) => format!("{addr}: no answer within 3 s"),
            },
        });
    }
    if let Some(php) = &target.php {
        let checked = php.fpm.check().await;
        out.push(Check {
            name: "php-fpm configuration",
            ok: checked.is_ok(),
            detail: match checked {
                Ok(()) => format!("{} passes php-fpm -t", php.fpm.conf.display()),
                Err(e) => format!("php-fpm -t: {e}"),
            },
        });
        let running = std::fs::read_to_string(&php.fpm.pid_file)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        out.push(Check {
            name: "php-fpm running",
            ok: running,
            detail: if running {
                format!("the pid in {} runs", php.fpm.pid_file.display())
            } else {
                format!("no running php-fpm for {}", php.fpm.pid_file.display())
            },
        });
    }
    if let Some((settings, _)) = config.acme_settings() {
        // Only an existing account is used: the doctor registers nothing.
        if settings.account_file.exists() {
            let url = settings.directory_url.clone();
            let reached =
                tokio::time::timeout(TIMEOUT, konbit_provision::acme::AcmeClient::new(settings))
                    .await;
            out.push(Check {
                name: "acme directory",
                ok: matches!(reached, Ok(Ok(_))),
                detail: match reached {
                    Ok(Ok(_)) => format!("{url} answers"),
                    Ok(Err(e)) => format!("{url}: {e}"),
                    Err(_) => format!("{url}: no answer within {} s", TIMEOUT.as_secs()),
                },
            });
        } else {
            out.push(Check {
                name: "acme directory",
                ok: true,
                detail: format!(
                    "{} has no account yet: one is registered with the first certificate",
                    settings.directory_url
                ),
            });
        }
    }
    out
}
