//! One site's nginx file, rendered from a typed template, and the nginx
//! commands the provisioner runs: a check of candidate files alone (so the
//! cost of a change does not grow with the number of sites), a check of
//! the whole configuration, and a reload.
//!
//! What a person typed reaches this file only through validated types
//! ([`Fqdn`], [`RedirectTarget`], [`ProxyPort`]); the operator's paths are
//! checked here. Neither can hold whitespace, `;`, braces, quotes, `$` or a
//! line break, so no value can end a directive or open a block.

use crate::command::run_checked;
use konbit_core::names::Fqdn;
use konbit_core::web::{ProxyPort, RedirectTarget};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

const NGINX_TIMEOUT: Duration = Duration::from_secs(20);

/// A value that cannot go into an nginx file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RenderError {
    pub field: &'static str,
    pub reason: String,
}

/// What a site serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serve {
    /// Files from `root`; with `php_socket`, `.php` goes to that PHP-FPM
    /// pool.
    Files {
        root: PathBuf,
        php_socket: Option<PathBuf>,
    },
    Redirect {
        target: RedirectTarget,
        permanent: bool,
        keep_path: bool,
    },
    Proxy {
        port: ProxyPort,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VhostSpec {
    pub site_id: i64,
    /// The first is the site's host; all go into `server_name`.
    pub names: Vec<Fqdn>,
    pub listen_http: Vec<SocketAddr>,
    pub listen_https: Vec<SocketAddr>,
    pub serve: Serve,
    /// `None`: served over HTTP only (no certificate yet).
    pub tls: Option<TlsFiles>,
    /// Honoured only with `tls`: a redirect before a certificate exists
    /// would break the site.
    pub force_https: bool,
    /// Honoured only with `tls` and `force_https`.
    pub hsts: bool,
    /// http-01 tokens, served at `/.well-known/acme-challenge/` over HTTP
    /// even when HTTP redirects to HTTPS.
    pub acme_webroot: PathBuf,
    pub access_log: PathBuf,
    pub error_log: PathBuf,
    /// nginx's `fastcgi_params` file, for PHP.
    pub fastcgi_params: PathBuf,
}

/// An absolute, plain path: letters, digits and `/ . - _ + @` only, no
/// `.`/`..`/empty component.
pub(crate) fn plain_path(field: &'static str, path: &Path) -> Result<String, RenderError> {
    let bad = |reason: &str| RenderError {
        field,
        reason: format!("{} {reason}", path.display()),
    };
    let s = path.to_str().ok_or_else(|| bad("is not UTF-8"))?;
    if !path.is_absolute() {
        return Err(bad("must be absolute"));
    }
    if s
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '+' | '@')))
    {
        return Err(bad("may only hold letters, digits and / . - _ + @"));
    }
    if s != "/"
        && s[1..]
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(bad("must be a plain path (no `.`, `..`, `//` or trailing `/`)"));
    }
    Ok(s.to_owned())
}

fn listen(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// The site's nginx file.
pub fn render_vhost(spec: &VhostSpec) -> Result<String, RenderError> {
    if spec.names.is_empty() {
        return Err(RenderError {
            field: "names",
            reason: "a site needs a name".into(),
        });
    }
    if spec.listen_http.is_empty() {
        return Err(RenderError {
            field: "listen_http",
            reason: "no HTTP listener".into(),
        });
    }
    let names: Vec<&str> = spec.names.iter().map(Fqdn::as_str).collect();
    let names = names.join(" ");
    let acme = plain_path("acme_webroot", &spec.acme_webroot)?;
    let access_log = plain_path("access_log", &spec.access_log)?;
    let error_log = plain_path("error_log", &spec.error_log)?;
    let body = site_body(spec)?;
    let tls = match &spec.tls {
        Some(t) if !spec.listen_https.is_empty() => Some((
            plain_path("ssl_certificate", &t.cert)?,
            plain_path("ssl_certificate_key", &t.key)?,
        )),
        _ => None,
    };
    let redirect_http = spec.force_https && tls.is_some();
    let mut out = String::new();
    let _ = writeln!(out, "# Konbit site {} (generated; edits are overwritten)", spec.site_id);
    // HTTP: the ACME challenges always, then the site or the redirect.
    out.push_str("server {\n");
    for addr in &spec.listen_http {
        let _ = writeln!(out, "    listen {};", listen(addr));
    }
    let _ = writeln!(out, "    server_name {names};");
    let _ = writeln!(out, "    access_log {access_log};");
    let _ = writeln!(out, "    error_log {error_log};");
    let _ = writeln!(
        out,
        "    location ^~ /.well-known/acme-challenge/ {{\n        alias {acme}/;\n        default_type text/plain;\n    }}"
    );
    if redirect_http {
        out.push_str("    location / {\n        return 301 https://$host$request_uri;\n    }\n");
    } else {
        out.push_str(&body);
    }
    out.push_str("}\n");
    if let Some((cert, key)) = tls {
        out.push_str("server {\n");
        for addr in &spec.listen_https {
            // nginx 1.22 (Debian 12) takes http2 on `listen`.
            let _ = writeln!(out, "    listen {} ssl http2;", listen(addr));
        }
        let _ = writeln!(out, "    server_name {names};");
        let _ = writeln!(out, "    access_log {access_log};");
        let _ = writeln!(out, "    error_log {error_log};");
        let _ = writeln!(out, "    ssl_certificate {cert};");
        let _ = writeln!(out, "    ssl_certificate_key {key};");
        out.push_str("    ssl_protocols TLSv1.2 TLSv1.3;\n");
        if spec.hsts && redirect_http {
            out.push_str(
                "    add_header Strict-Transport-Security \"max-age=31536000\" always;\n",
            );
        }
        out.push_str(&body);
        out.push_str("}\n");
    }
    Ok(out)
}

/// The directives that serve the site, shared by HTTP and HTTPS.
fn site_body(spec: &VhostSpec) -> Result<String, RenderError> {
    let mut out = String::new();
    match &spec.serve {
        Serve::Files { root, php_socket } => {
            let root = plain_path("root", root)?;
            let _ = writeln!(out, "    root {root};");
            // A member's link to another account's files is not followed.
            out.push_str("    disable_symlinks if_not_owner from=$document_root;\n");
            out.push_str("    location ~ /\\.(?!well-known/) {\n        deny all;\n    }\n");
            match php_socket {
                Some(socket) => {
                    let socket = plain_path("php_socket", socket)?;
                    let params = plain_path("fastcgi_params", &spec.fastcgi_params)?;
                    out.push_str("    index index.php index.html index.htm;\n");
                    out.push_str("    location / {\n        try_files $uri $uri/ /index.php$is_args$args;\n    }\n");
                    let _ = writeln!(
                        out,
                        "    location ~ \\.php$ {{\n        try_files $uri =404;\n        include {params};\n        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n        fastcgi_pass unix:{socket};\n    }}"
                    );
                }
                None => {
                    out.push_str("    index index.html index.htm;\n");
                    out.push_str("    location / {\n        try_files $uri $uri/ =404;\n    }\n");
                }
            }
        }
        Serve::Redirect {
            target,
            permanent,
            keep_path,
        } => {
            let code = if *permanent { 301 } else { 302 };
            // Only a bare target takes the visitor's path: appended to an
            // address that has its own path or query it would make a
            // different page.
            let suffix = if *keep_path && target.is_bare() {
                "$request_uri"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    location / {{\n        return {code} {target}{suffix};\n    }}"
            );
        }
        Serve::Proxy { port } => {
            let _ = writeln!(
                out,
                "    location / {{\n        proxy_pass http://127.0.0.1:{};\n        proxy_http_version 1.1;\n        proxy_set_header Host $host;\n        proxy_set_header X-Real-IP $remote_addr;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Forwarded-Proto $scheme;\n        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection $connection_upgrade_konbit;\n    }}",
                port.get()
            );
        }
    }
    Ok(out)
}

/// How the provisioner runs nginx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nginx {
    pub binary: PathBuf,
    pub main_conf: PathBuf,
    /// `-p`; `None`: the compiled-in prefix.
    pub prefix: Option<PathBuf>,
    /// `-e`; `None`: the compiled-in error log.
    pub error_log: Option<PathBuf>,
}

/// The `map` that proxy sites use for WebSocket upgrades; it must be
/// defined once at the `http` level, so each check config carries it and
/// `konbit web-server setup` writes it into the operator's snippet.
pub const UPGRADE_MAP: &str =
    "map $http_upgrade $connection_upgrade_konbit {\n    default upgrade;\n    '' close;\n}\n";

impl Nginx {
    fn command(&self, extra: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.binary);
        if let Some(p) = &self.prefix {
            cmd.arg("-p").arg(p);
        }
        cmd.arg("-c").arg(&self.main_conf);
        if let Some(e) = &self.error_log {
            cmd.arg("-e").arg(e);
        }
        cmd.args(extra);
        cmd
    }

    /// Checks candidate site files alone, in one `nginx -t` over a small
    /// config of their own in `scratch_dir`: the cost depends on these
    /// files, not on every site of the server. Returns nginx's message.
    pub async fn check_sites(&self, candidates: &[PathBuf], scratch_dir: &Path) -> Result<(), String> {
        let scratch = plain_path("scratch_dir", scratch_dir).map_err(|e| e.to_string())?;
        let mut conf = format!(
            "pid {scratch}/check.pid;\nerror_log {scratch}/check-error.log;\nevents {{}}\nhttp {{\n    server_names_hash_max_size 65536;\n    server_names_hash_bucket_size 128;\n    {}",
            UPGRADE_MAP.replace('\n', "\n    ")
        );
        for c in candidates {
            let path = plain_path("candidate", c).map_err(|e| e.to_string())?;
            let _ = writeln!(conf, "include {path};");
        }
        conf.push_str("}\n");
        let conf_path = scratch_dir.join("check.conf");
        tokio::fs::write(&conf_path, conf)
            .await
            .map_err(|e| format!("{}: {e}", conf_path.display()))?;
        let mut cmd = tokio::process::Command::new(&self.binary);
        cmd.arg("-t")
            .arg("-q")
            .arg("-p")
            .arg(scratch_dir)
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(scratch_dir.join("check-error.log"));
        run_checked(cmd, NGINX_TIMEOUT)
            .await
            .map(|_| ())
            .map_err(|e| tidy(&e, scratch_dir))
    }

    /// `nginx -t` over the whole configuration.
    pub async fn check_all(&self) -> Result<(), String> {
        run_checked(self.command(&["-t", "-q"]), NGINX_TIMEOUT)
            .await
            .map(|_| ())
    }

    /// `nginx -s reload`: the master checks the configuration itself and
    /// keeps the old one if it fails.
    pub async fn reload(&self) -> Result<(), String> {
        run_checked(self.command(&["-s", "reload"]), NGINX_TIMEOUT)
            .await
            .map(|_| ())
    }
}

/// nginx's message without the scratch paths and its closing line, so a
/// person reads what is wrong with the site.
fn tidy(message: &str, scratch: &Path) -> String {
    let scratch = scratch.display().to_string();
    message
        .lines()
        .filter(|l| !l.contains("configuration file") || !l.contains("test failed"))
        .map(|l| l.replace("nginx: [emerg] ", "").replace(&format!("{scratch}/"), ""))
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NGINX: &str = "/usr/sbin/nginx";

    fn spec(serve: Serve) -> VhostSpec {
        VhostSpec {
            site_id: 7,
            names: vec![
                Fqdn::parse("h", "radio.test", 2).unwrap(),
                Fqdn::parse("h", "www.radio.test", 2).unwrap(),
            ],
            listen_http: vec!["127.0.0.1:8081".parse().unwrap()],
            listen_https: vec!["127.0.0.1:8443".parse().unwrap()],
            serve,
            tls: None,
            force_https: true,
            hsts: true,
            acme_webroot: "/srv/acme".into(),
            access_log: "/tmp/konbit-nginx-test/7/access.log".into(),
            error_log: "/tmp/konbit-nginx-test/7/error.log".into(),
            fastcgi_params: "/etc/nginx/fastcgi_params".into(),
        }
    }

    fn files(php: bool) -> Serve {
        Serve::Files {
            root: "/srv/homes/kb-radio/www/radio.test".into(),
            php_socket: php.then(|| "/run/php/kb-radio.sock".into()),
        }
    }

    #[test]
    fn each_kind_renders_its_directives() {
        let s = render_vhost(&spec(files(false))).unwrap();
        assert!(s.contains("server_name radio.test www.radio.test;"), "{s}");
        assert!(s.contains("root /srv/homes/kb-radio/www/radio.test;"), "{s}");
        assert!(s.contains("disable_symlinks if_not_owner"), "{s}");
        // No certificate yet: HTTP serves the site, no redirect, no HSTS.
        assert!(!s.contains("return 301 https"), "{s}");
        assert!(!s.contains("Strict-Transport-Security"), "{s}");
        assert!(s.contains("alias /srv/acme/;"), "{s}");
        let s = render_vhost(&spec(files(true))).unwrap();
        assert!(s.contains("fastcgi_pass unix:/run/php/kb-radio.sock;"), "{s}");
        let target = RedirectTarget::parse("t", "https://new.example").unwrap();
        let s = render_vhost(&spec(Serve::Redirect { target, permanent: false, keep_path: true })).unwrap();
        assert!(s.contains("return 302 https://new.example$request_uri;"), "{s}");
        let target = RedirectTarget::parse("t", "https://new.example/page").unwrap();
        let s = render_vhost(&spec(Serve::Redirect { target, permanent: true, keep_path: true })).unwrap();
        assert!(s.contains("return 301 https://new.example/page;"), "{s}");
        let port = ProxyPort::parse("p", 12000, 1, 65535).unwrap();
        let s = render_vhost(&spec(Serve::Proxy { port })).unwrap();
        assert!(s.contains("proxy_pass http://127.0.0.1:12000;"), "{s}");
    }

    #[test]
    fn https_redirect_and_hsts_need_a_certificate() {
        let mut with_tls = spec(files(false));
        with_tls.tls = Some(TlsFiles { cert: "/c/fullchain.pem".into(), key: "/c/privkey.pem".into() });
        let s = render_vhost(&with_tls).unwrap();
        assert!(s.contains("listen 127.0.0.1:8443 ssl http2;"), "{s}");
        assert!(s.contains("return 301 https://$host$request_uri;"), "{s}");
        assert!(s.contains("Strict-Transport-Security"), "{s}");
        // The challenges stay on HTTP before the redirect.
        let acme = s.find("acme-challenge").unwrap();
        let redirect = s.find("return 301 https").unwrap();
        assert!(acme < redirect, "{s}");
    }

    #[test]
    fn operator_paths_are_checked() {
        for bad in ["relative/path", "/a b", "/a;b", "/a{b", "/a/../b", "/a/", "/a$b", "/a\"b"] {
            let mut s = spec(files(false));
            s.acme_webroot = bad.into();
            assert!(render_vhost(&s).is_err(), "{bad}");
        }
    }

    async fn check(text: &str) -> Result<(), String> {
        // nginx -t opens the logs, as it would when serving.
        std::fs::create_dir_all("/tmp/konbit-nginx-test/7").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("candidate.conf");
        std::fs::write(&file, text).unwrap();
        let nginx = Nginx { binary: NGINX.into(), main_conf: "/nonexistent".into(), prefix: None, error_log: None };
        nginx.check_sites(&[file], dir.path()).await
    }

    #[tokio::test]
    async fn nginx_accepts_every_kind_and_refuses_a_broken_certificate() {
        if !Path::new(NGINX).exists() {
            println!("SKIPPED: nginx is not installed");
            return;
        }
        let target = RedirectTarget::parse("t", "https://new.example").unwrap();
        let port = ProxyPort::parse("p", 12000, 1, 65535).unwrap();
        for serve in [
            files(false),
            files(true),
            Serve::Redirect { target, permanent: true, keep_path: true },
            Serve::Proxy { port },
        ] {
            let text = render_vhost(&spec(serve)).unwrap();
            check(&text).await.unwrap_or_else(|e| panic!("{e}\n{text}"));
        }
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("fullchain.pem");
        std::fs::write(&cert, "garbage").unwrap();
        let mut broken = spec(files(false));
        broken.tls = Some(TlsFiles { cert: cert.clone(), key: cert });
        let err = check(&render_vhost(&broken).unwrap()).await.unwrap_err();
        assert!(err.contains("certificate") || err.contains("PEM"), "{err}");
    }

    fn hostile() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-z0-9./;{}\"'$ \n\\#:-]{1,30}").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever the validated types accept renders into a file that
        /// nginx accepts, with exactly the template's blocks.
        #[test]
        fn accepted_values_render_into_a_valid_file(root in hostile(), to in hostile(), host in hostile()) {
            let root = konbit_core::web::DocRoot::parse("root", &root);
            let to = RedirectTarget::parse("to", &format!("https://a.test/{to}"));
            let host = Fqdn::parse("host", &format!("{host}.radio.test"), 2);
            let mut s = spec(files(false));
            if let Ok(root) = &root {
                s.serve = Serve::Files { root: Path::new("/srv/h").join(root.as_str()), php_socket: None };
            } else if let Ok(target) = to.clone() {
                s.serve = Serve::Redirect { target, permanent: true, keep_path: false };
            }
            if let Ok(host) = host {
                s.names = vec![host];
            }
            let text = render_vhost(&s).unwrap();
            prop_assert_eq!(text.matches("server {").count(), 1);
            prop_assert_eq!(text.matches('{').count(), text.matches('}').count());
            if Path::new(NGINX).exists() {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                let checked = rt.block_on(check(&text));
                prop_assert!(checked.is_ok(), "{:?}\n{}", checked, text);
            }
        }
    }
}
