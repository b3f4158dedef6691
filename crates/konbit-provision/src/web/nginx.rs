//! One site's nginx file, rendered from a typed template, and the nginx
//! commands the provisioner runs: a check of candidate files alone (so the
//! cost of a change does not grow with the number of sites), a check of
//! the whole configuration, and a reload.
//!
//! What a person typed reaches this file only through validated types
//! ([`Fqdn`], [`RedirectTarget`], [`ProxyPort`]), and is checked once more
//! here; the operator's paths are checked here only. Neither can hold
//! whitespace, `;`, braces, quotes, `$`, `#`, a backslash or a line break,
//! so no value can end a directive, open a block, start a comment or name
//! a variable. The only nginx variables in the file are the template's.
//!
//! Each file is self-contained (no `map` or other `http`-level definition
//! it relies on), so it can be checked alone and included anywhere in the
//! operator's `http` block.

use crate::command::run_bounded;
use konbit_core::names::Fqdn;
use konbit_core::web::{ProxyPort, RedirectTarget};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// `nginx -t` of one site takes a few milliseconds; this only bounds a hung
/// binary.
const NGINX_TIMEOUT: Duration = Duration::from_secs(10);

/// A Unix socket path must fit `sun_path` (108 bytes with its NUL). A
/// longer one passes `nginx -t` and `php-fpm -t` and then fails, or is
/// silently cut, when the daemon binds or connects.
pub(crate) const MAX_SOCKET_PATH: usize = 107;

/// A value that cannot go into an nginx (or PHP-FPM) file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RenderError {
    pub field: &'static str,
    pub reason: String,
}

impl RenderError {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// What a site serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serve {
    /// Files from `root` (absolute: the account's home joined with the
    /// site's `DocRoot`); with `php_socket`, `.php` goes to that PHP-FPM
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
    /// `http://127.0.0.1:<port>`, WebSockets included.
    Proxy { port: ProxyPort },
}

/// A site's certificate chain and key, as nginx reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Everything one site's file is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VhostSpec {
    /// Only in the file's first comment.
    pub site_id: i64,
    /// The first is the site's host; all go into `server_name` (duplicates
    /// are dropped).
    pub names: Vec<Fqdn>,
    pub listen_http: Vec<SocketAddr>,
    /// Used only with `tls`; the first one's port is where HTTP redirects.
    pub listen_https: Vec<SocketAddr>,
    pub serve: Serve,
    /// `None`: served over HTTP only (no certificate yet).
    pub tls: Option<TlsFiles>,
    /// Honoured only with `tls`: a redirect before a certificate exists
    /// would break the site.
    pub force_https: bool,
    /// Honoured only with `tls` and `force_https`: HSTS on a site still
    /// served over HTTP would announce what it does not do.
    pub hsts: bool,
    /// http-01 tokens, served at `/.well-known/acme-challenge/` over HTTP
    /// even when HTTP redirects to HTTPS: the CA must reach them before
    /// (and while renewing) the certificate.
    pub acme_webroot: PathBuf,
    /// nginx opens both when it checks the file, so their directory must
    /// exist before [`Nginx::check_site`].
    pub access_log: PathBuf,
    pub error_log: PathBuf,
    /// nginx's `fastcgi_params` file (an operator setting, usually
    /// `/etc/nginx/fastcgi_params`); read only for PHP sites.
    pub fastcgi_params: PathBuf,
}

/// An absolute, plain path: ASCII letters, digits and `/ . - _ + @` only,
/// no empty, `.` or `..` component and no trailing `/`. Stricter than
/// nginx needs, and also safe unquoted in PHP-FPM's ini files (no `;`, `=`,
/// `$`, quotes or ini operators).
pub(crate) fn plain_path(field: &'static str, path: &Path) -> Result<String, RenderError> {
    let bad = |reason: &str| RenderError::new(field, format!("{:?} {reason}", path));
    let s = path.to_str().ok_or_else(|| bad("is not UTF-8"))?;
    if !path.is_absolute() {
        return Err(bad("must be absolute"));
    }
    if s.chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '+' | '@')))
    {
        return Err(bad("may only hold ASCII letters, digits and / . - _ + @"));
    }
    if s != "/"
        && s[1..]
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(bad(
            "must be a plain path (no `.`, `..`, `//` or trailing `/`)",
        ));
    }
    Ok(s.to_owned())
}

/// A [`plain_path`] short enough for a Unix socket.
pub(crate) fn socket_path(field: &'static str, path: &Path) -> Result<String, RenderError> {
    let s = plain_path(field, path)?;
    if s.len() > MAX_SOCKET_PATH {
        return Err(RenderError::new(
            field,
            format!(
                "{s} is {} bytes; a Unix socket path holds at most {MAX_SOCKET_PATH}",
                s.len()
            ),
        ));
    }
    Ok(s)
}

/// A person's value, already validated by its type, checked again as one
/// unquoted nginx word: the template is the last place where a stray
/// character could end a directive.
fn word<'a>(field: &'static str, s: &'a str) -> Result<&'a str, RenderError> {
    let bad = s.is_empty()
        || s.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, ';' | '{' | '}' | '"' | '\'' | '$' | '#' | '\\')
        });
    if bad {
        Err(RenderError::new(
            field,
            format!("{s:?} cannot go into nginx"),
        ))
    } else {
        Ok(s)
    }
}

fn listen(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// `listen` values; a repeated address would fail the check of every site,
/// so it is reported as the operator's setting it is.
fn listeners(field: &'static str, addrs: &[SocketAddr]) -> Result<Vec<String>, RenderError> {
    for (i, a) in addrs.iter().enumerate() {
        if addrs[..i].contains(a) {
            return Err(RenderError::new(field, format!("{a} is listed twice")));
        }
    }
    Ok(addrs.iter().map(listen).collect())
}

/// The file's `server` blocks' common head.
fn server_head(out: &mut String, listen: &[String], ssl: bool, c: &Common) {
    out.push_str("server {\n");
    for addr in listen {
        // nginx 1.22 (Debian 12) takes http2 on `listen`; 1.25 deprecates
        // it there with a warning only.
        let params = if ssl { " ssl http2" } else { "" };
        let _ = writeln!(out, "    listen {addr}{params};");
    }
    let _ = writeln!(out, "    server_name {};", c.names);
    let _ = writeln!(out, "    access_log {};", c.access_log);
    let _ = writeln!(out, "    error_log {};", c.error_log);
}

/// The checked values both blocks share.
struct Common {
    names: String,
    access_log: String,
    error_log: String,
}

/// The site's nginx file.
pub fn render_vhost(spec: &VhostSpec) -> Result<String, RenderError> {
    let mut names: Vec<&str> = Vec::with_capacity(spec.names.len());
    for n in &spec.names {
        let n = word("names", n.as_str())?;
        if !names.contains(&n) {
            names.push(n);
        }
    }
    if names.is_empty() {
        return Err(RenderError::new("names", "a site needs a name"));
    }
    let http = listeners("listen_http", &spec.listen_http)?;
    if http.is_empty() {
        return Err(RenderError::new("listen_http", "no HTTP listener"));
    }
    let https = listeners("listen_https", &spec.listen_https)?;
    if let Some(a) = spec
        .listen_https
        .iter()
        .find(|a| spec.listen_http.contains(a))
    {
        return Err(RenderError::new(
            "listen_https",
            format!("{a} is also an HTTP listener"),
        ));
    }
    let common = Common {
        names: names.join(" "),
        access_log: plain_path("access_log", &spec.access_log)?,
        error_log: plain_path("error_log", &spec.error_log)?,
    };
    let acme = plain_path("acme_webroot", &spec.acme_webroot)?;
    let body = site_body(spec)?;
    // Without an HTTPS listener a certificate has nowhere to be served:
    // the site stays on HTTP, unredirected.
    let tls = match (&spec.tls, spec.listen_https.first()) {
        (Some(t), Some(first)) => Some((
            plain_path("tls.cert", &t.cert)?,
            plain_path("tls.key", &t.key)?,
            first.port(),
        )),
        _ => None,
    };
    let redirect_port = tls.as_ref().filter(|_| spec.force_https).map(|t| t.2);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Konbit site {} — generated, do not edit",
        spec.site_id
    );
    server_head(&mut out, &http, false, &common);
    let _ = writeln!(
        out,
        "    location ^~ /.well-known/acme-challenge/ {{\n        alias {acme}/;\n        default_type text/plain;\n    }}"
    );
    match redirect_port {
        Some(port) => {
            // `$host` is one of `server_name`'s names: only those reach
            // this block (the operator's default server takes the rest).
            let port = if port == 443 {
                String::new()
            } else {
                format!(":{port}")
            };
            let _ = writeln!(
                out,
                "    location / {{\n        return 301 https://$host{port}$request_uri;\n    }}"
            );
        }
        None => out.push_str(&body),
    }
    out.push_str("}\n");
    if let Some((cert, key, _)) = tls {
        server_head(&mut out, &https, true, &common);
        let _ = writeln!(out, "    ssl_certificate {cert};");
        let _ = writeln!(out, "    ssl_certificate_key {key};");
        out.push_str("    ssl_protocols TLSv1.2 TLSv1.3;\n");
        if spec.hsts && redirect_port.is_some() {
            // Server level and no `add_header` in any location, so every
            // location inherits it.
            out.push_str("    add_header Strict-Transport-Security \"max-age=31536000\" always;\n");
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
            // A member's link to a file they do not own (another account's,
            // a system file) is not followed.
            out.push_str("    disable_symlinks if_not_owner from=$document_root;\n");
            // Before the PHP location: regex locations match in order, so
            // `.git/x.php` or `.env` is refused, not run or served.
            out.push_str("    location ~ /\\.(?!well-known/) {\n        deny all;\n    }\n");
            match php_socket {
                Some(socket) => {
                    let socket = socket_path("php_socket", socket)?;
                    let params = plain_path("fastcgi_params", &spec.fastcgi_params)?;
                    out.push_str("    index index.php index.html index.htm;\n");
                    // Front controllers (WordPress and the like) get the
                    // paths that are not files.
                    out.push_str(
                        "    location / {\n        try_files $uri $uri/ /index.php$is_args$args;\n    }\n",
                    );
                    // `try_files $uri =404` keeps `/upload.jpg/x.php` from
                    // running an uploaded file as PHP.
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
            let target = word("target", target.as_str())?;
            // Only a bare target takes the visitor's path: appended to an
            // address with its own path or query it would make a different
            // (often broken) address, such as `/new/page/old/page?a=1?b=2`.
            let suffix = if *keep_path && is_bare(target) {
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
            // `Connection: upgrade` only when the client asks for one, as
            // nginx's WebSocket guide does with a `map`; `set` inside `if`
            // is the safe use of `if`, and unlike a `map` (which must be
            // defined once for the whole `http` block, or once per site at
            // a cost that grows with the sites) it keeps the file
            // self-contained.
            let _ = writeln!(
                out,
                "    location / {{\n        set $konbit_connection close;\n        if ($http_upgrade) {{\n            set $konbit_connection upgrade;\n        }}\n        proxy_pass http://127.0.0.1:{};\n        proxy_http_version 1.1;\n        proxy_set_header Host $host;\n        proxy_set_header X-Real-IP $remote_addr;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Forwarded-Proto $scheme;\n        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection $konbit_connection;\n    }}",
                port.get()
            );
        }
    }
    Ok(out)
}

/// [`RedirectTarget::is_bare`] on the checked string.
fn is_bare(target: &str) -> bool {
    target
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.contains(['/', '?']))
}

/// How the provisioner runs nginx: `-p`, `-c` and `-e` as the operator's
/// nginx runs, so `-t` and `-s reload` read the same configuration and
/// signal the same master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nginx {
    pub binary: PathBuf,
    pub main_conf: PathBuf,
    /// `-p`; `None`: the compiled-in prefix.
    pub prefix: Option<PathBuf>,
    /// `-e`; `None`: the compiled-in error log (nginx opens it before it
    /// reads the configuration).
    pub error_log: Option<PathBuf>,
}

/// Names each scratch check config apart, so two checks never share one.
static CHECK_SEQ: AtomicU64 = AtomicU64::new(0);

impl Nginx {
    pub fn new(
        binary: PathBuf,
        main_conf: PathBuf,
        prefix: Option<PathBuf>,
        error_log: Option<PathBuf>,
    ) -> Self {
        Self {
            binary,
            main_conf,
            prefix,
            error_log,
        }
    }

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

    /// Checks one site file alone (see [`Nginx::check_sites`]).
    pub async fn check_site(&self, candidate: &Path, scratch_dir: &Path) -> Result<(), String> {
        self.check_sites(&[candidate], scratch_dir).await
    }

    /// Checks candidate site files in one `nginx -t` over a small config of
    /// their own in `scratch_dir` (which must exist): the cost depends on
    /// these files, not on every site of the server. nginx loads the
    /// certificates and opens the logs the files name, so a missing or
    /// broken certificate fails here. Returns nginx's message, with the
    /// scratch paths cut short.
    pub async fn check_sites<P: AsRef<Path>>(
        &self,
        candidates: &[P],
        scratch_dir: &Path,
    ) -> Result<(), String> {
        let scratch = plain_path("scratch_dir", scratch_dir).map_err(|e| e.to_string())?;
        let mut conf = format!(
            "pid {scratch}/check.pid;\nerror_log {scratch}/check-error.log;\nevents {{}}\nhttp {{\n    server_names_hash_bucket_size 128;\n    server_names_hash_max_size 65536;\n"
        );
        for c in candidates {
            let path = plain_path("candidate", c.as_ref()).map_err(|e| e.to_string())?;
            let _ = writeln!(conf, "    include {path};");
        }
        conf.push_str("}\n");
        let seq = CHECK_SEQ.fetch_add(1, Ordering::Relaxed);
        let conf_path = scratch_dir.join(format!("check-{}-{seq}.conf", std::process::id()));
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
        let result = run_nginx(cmd, Some(&scratch)).await;
        let _ = tokio::fs::remove_file(&conf_path).await;
        result
    }

    /// `nginx -t` over the whole configuration.
    pub async fn check_all(&self) -> Result<(), String> {
        run_nginx(self.command(&["-t", "-q"]), None).await
    }

    /// `nginx -s reload`: the master checks the configuration itself and
    /// keeps the old one if it fails (which `-s` does not report, hence
    /// [`Nginx::check_all`] or per-site checks first). Not when the pid
    /// file names no nginx master: `-s` would send its SIGHUP to whatever
    /// program took a dead master's pid.
    pub async fn reload(&self) -> Result<(), String> {
        if let Some(file) = self.pid_file().filter(|f| f.exists())
            && !master_runs(&file)
        {
            return Err(format!(
                "{} names no running nginx master (stale pid file?): nginx was not reloaded",
                file.display()
            ));
        }
        run_nginx(self.command(&["-s", "reload"]), None).await
    }

    /// The pid file the main configuration names; `None` when it names
    /// none (nginx's compiled-in one) or a relative one without a prefix.
    fn pid_file(&self) -> Option<PathBuf> {
        let text = std::fs::read_to_string(&self.main_conf).ok()?;
        let path = PathBuf::from(pid_directive(&text)?);
        if path.is_absolute() {
            Some(path)
        } else {
            self.prefix.as_ref().map(|p| p.join(path))
        }
    }
}

/// Whether the pid file names a running nginx master (its workers are
/// `nginx: worker process`).
fn master_runs(pid_file: &Path) -> bool {
    crate::files::daemon_pid(pid_file, "nginx").is_some_and(|pid| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|title| title.starts_with(b"nginx: master process"))
    })
}

/// The value of the main context's `pid` directive: outside every block,
/// comments dropped, quotes taken off.
fn pid_directive(conf: &str) -> Option<String> {
    let mut depth = 0usize;
    let mut statement: Vec<String> = Vec::new();
    for line in conf.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let spaced = line
            .replace(';', " ; ")
            .replace('{', " { ")
            .replace('}', " } ");
        for word in spaced.split_whitespace() {
            match word {
                "{" => {
                    depth += 1;
                    statement.clear();
                }
                "}" => {
                    depth = depth.saturating_sub(1);
                    statement.clear();
                }
                ";" => {
                    if depth == 0
                        && let [name, value] = statement.as_slice()
                        && name == "pid"
                    {
                        return Some(value.trim_matches(['"', '\'']).to_owned());
                    }
                    statement.clear();
                }
                w => statement.push(w.to_owned()),
            }
        }
    }
    None
}

/// Runs nginx; on failure, its own message rather than the command line.
async fn run_nginx(cmd: tokio::process::Command, scratch: Option<&str>) -> Result<(), String> {
    let output = run_bounded(cmd, NGINX_TIMEOUT).await?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let message = tidy(&stderr, scratch);
    if message.is_empty() {
        Err(format!("nginx failed ({})", output.status))
    } else {
        Err(message)
    }
}

/// nginx's message on one line, without its closing "test failed" line,
/// its `nginx: [emerg]` prefixes and the scratch directory, so a person
/// reads what is wrong with the site.
fn tidy(message: &str, scratch: Option<&str>) -> String {
    message
        .lines()
        .filter(|l| !(l.contains("configuration file") && l.contains("test failed")))
        .map(|l| {
            let l = l
                .trim()
                .trim_start_matches("nginx: ")
                .trim_start_matches("[emerg] ");
            match scratch {
                Some(s) => l.replace(&format!("{s}/"), ""),
                None => l.to_owned(),
            }
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRng, TestRunner};

    const NGINX: &str = "/usr/sbin/nginx";

    fn nginx_missing() -> bool {
        if Path::new(NGINX).exists() {
            false
        } else {
            println!("SKIPPED: {NGINX} is not installed");
            true
        }
    }

    fn nginx() -> Nginx {
        Nginx::new(NGINX.into(), "/nonexistent".into(), None, None)
    }

    fn fqdn(s: &str) -> Fqdn {
        Fqdn::parse("h", s, 2).unwrap()
    }

    /// A spec whose logs live in `dir` (nginx -t opens them).
    fn spec_in(dir: &Path, serve: Serve) -> VhostSpec {
        VhostSpec {
            site_id: 7,
            names: vec![fqdn("radio.test"), fqdn("www.radio.test")],
            listen_http: vec!["127.0.0.1:8081".parse().unwrap()],
            listen_https: vec!["127.0.0.1:8443".parse().unwrap()],
            serve,
            tls: None,
            force_https: true,
            hsts: true,
            acme_webroot: "/srv/acme".into(),
            access_log: dir.join("access.log"),
            error_log: dir.join("error.log"),
            fastcgi_params: "/etc/nginx/fastcgi_params".into(),
        }
    }

    fn spec(serve: Serve) -> VhostSpec {
        spec_in(Path::new("/var/log/konbit-test/7"), serve)
    }

    fn files(php: bool) -> Serve {
        Serve::Files {
            root: "/srv/homes/kb-radio/www/radio.test".into(),
            php_socket: php.then(|| "/run/php/kb-radio.sock".into()),
        }
    }

    fn redirect(to: &str, permanent: bool, keep_path: bool) -> Serve {
        Serve::Redirect {
            target: RedirectTarget::parse("t", to).unwrap(),
            permanent,
            keep_path,
        }
    }

    fn proxy() -> Serve {
        Serve::Proxy {
            port: ProxyPort::parse("p", 12000, 1, 65535).unwrap(),
        }
    }

    fn has_line(text: &str, line: &str) {
        assert!(
            text.lines().any(|l| l.trim() == line),
            "no line {line:?} in:\n{text}"
        );
    }

    #[test]
    fn static_files() {
        let s = render_vhost(&spec(files(false))).unwrap();
        assert_eq!(
            s.lines().next(),
            Some("# Konbit site 7 — generated, do not edit")
        );
        assert_eq!(s.matches("server {").count(), 1, "{s}");
        has_line(&s, "listen 127.0.0.1:8081;");
        has_line(&s, "server_name radio.test www.radio.test;");
        has_line(&s, "access_log /var/log/konbit-test/7/access.log;");
        has_line(&s, "error_log /var/log/konbit-test/7/error.log;");
        has_line(&s, "root /srv/homes/kb-radio/www/radio.test;");
        has_line(&s, "index index.html index.htm;");
        has_line(&s, "try_files $uri $uri/ =404;");
        has_line(&s, "location ~ /\\.(?!well-known/) {");
        has_line(&s, "deny all;");
        has_line(&s, "location ^~ /.well-known/acme-challenge/ {");
        has_line(&s, "alias /srv/acme/;");
        assert!(!s.contains("php"), "{s}");
        // No certificate yet: HTTP serves the site, no redirect, no HSTS.
        assert!(!s.contains("return 301 https"), "{s}");
        assert!(!s.contains("Strict-Transport-Security"), "{s}");
        assert!(!s.contains("ssl"), "{s}");
    }

    #[test]
    fn php_files() {
        let s = render_vhost(&spec(files(true))).unwrap();
        has_line(&s, "index index.php index.html index.htm;");
        has_line(&s, "location ~ \\.php$ {");
        has_line(&s, "try_files $uri =404;");
        has_line(&s, "include /etc/nginx/fastcgi_params;");
        has_line(
            &s,
            "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;",
        );
        has_line(&s, "fastcgi_pass unix:/run/php/kb-radio.sock;");
        let dotfiles = s.find("location ~ /\\.").unwrap();
        let php = s.find("location ~ \\.php$").unwrap();
        assert!(dotfiles < php, "dotfiles are refused before PHP runs:\n{s}");
    }

    #[test]
    fn redirects_keep_the_path_only_on_a_bare_target() {
        let s = render_vhost(&spec(redirect("https://new.example", false, true))).unwrap();
        has_line(&s, "return 302 https://new.example$request_uri;");
        assert!(!s.contains("root "), "{s}");
        let s = render_vhost(&spec(redirect("https://new.example", true, false))).unwrap();
        has_line(&s, "return 301 https://new.example;");
        let s = render_vhost(&spec(redirect("https://new.example/page?a=1", true, true))).unwrap();
        has_line(&s, "return 301 https://new.example/page?a=1;");
        // The challenge stays reachable on a redirected site.
        has_line(&s, "alias /srv/acme/;");
    }

    #[test]
    fn proxies_pass_websockets() {
        let s = render_vhost(&spec(proxy())).unwrap();
        for line in [
            "proxy_pass http://127.0.0.1:12000;",
            "proxy_http_version 1.1;",
            "proxy_set_header Host $host;",
            "proxy_set_header X-Real-IP $remote_addr;",
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "proxy_set_header X-Forwarded-Proto $scheme;",
            "proxy_set_header Upgrade $http_upgrade;",
            "proxy_set_header Connection $konbit_connection;",
        ] {
            has_line(&s, line);
        }
        assert!(!s.contains("map "), "self-contained: {s}");
    }

    fn with_tls(mut s: VhostSpec, force: bool, hsts: bool) -> VhostSpec {
        s.tls = Some(TlsFiles {
            cert: "/c/fullchain.pem".into(),
            key: "/c/privkey.pem".into(),
        });
        s.force_https = force;
        s.hsts = hsts;
        s
    }

    #[test]
    fn https_with_redirect_and_hsts() {
        let s = render_vhost(&with_tls(spec(files(false)), true, true)).unwrap();
        assert_eq!(s.matches("server {").count(), 2, "{s}");
        has_line(&s, "listen 127.0.0.1:8443 ssl http2;");
        has_line(&s, "ssl_certificate /c/fullchain.pem;");
        has_line(&s, "ssl_certificate_key /c/privkey.pem;");
        has_line(&s, "ssl_protocols TLSv1.2 TLSv1.3;");
        has_line(&s, "return 301 https://$host:8443$request_uri;");
        has_line(
            &s,
            "add_header Strict-Transport-Security \"max-age=31536000\" always;",
        );
        let (http, https) = s.split_at(s.rfind("server {").unwrap());
        // HTTP: the challenge, then the redirect, nothing served.
        let acme = http.find("acme-challenge").unwrap();
        let to_https = http.find("return 301 https").unwrap();
        assert!(acme < to_https, "{s}");
        assert!(!http.contains("root "), "{s}");
        assert!(!http.contains("Strict-Transport"), "{s}");
        // HTTPS: the site, its logs, HSTS.
        assert!(https.contains("root /srv/homes"), "{s}");
        assert!(https.contains("access_log /var/log/konbit-test/7/access.log;"));
        assert!(!https.contains("acme-challenge"), "{s}");
        // On port 443 the redirect names no port.
        let mut on_443 = with_tls(spec(files(false)), true, false);
        on_443.listen_https = vec!["[::]:443".parse().unwrap()];
        let s = render_vhost(&on_443).unwrap();
        has_line(&s, "listen [::]:443 ssl http2;");
        has_line(&s, "return 301 https://$host$request_uri;");
        assert!(!s.contains("Strict-Transport-Security"), "{s}");
    }

    #[test]
    fn https_without_redirect_serves_both() {
        // HSTS without the redirect is not honoured.
        let s = render_vhost(&with_tls(spec(proxy()), false, true)).unwrap();
        assert_eq!(s.matches("server {").count(), 2, "{s}");
        assert_eq!(s.matches("proxy_pass").count(), 2, "{s}");
        assert!(!s.contains("return 301"), "{s}");
        assert!(!s.contains("Strict-Transport-Security"), "{s}");
        // No HTTPS listener: the certificate is not used.
        let mut no_listener = with_tls(spec(proxy()), true, true);
        no_listener.listen_https.clear();
        let s = render_vhost(&no_listener).unwrap();
        assert_eq!(s.matches("server {").count(), 1, "{s}");
        assert!(!s.contains("return 301"), "{s}");
    }

    #[test]
    fn names_are_deduplicated_in_order() {
        let mut s = spec(files(false));
        s.names = vec![
            fqdn("b.radio.test"),
            fqdn("a.radio.test"),
            fqdn("b.radio.test"),
        ];
        has_line(
            &render_vhost(&s).unwrap(),
            "server_name b.radio.test a.radio.test;",
        );
        s.names.clear();
        assert_eq!(render_vhost(&s).unwrap_err().field, "names");
    }

    #[test]
    fn operator_values_are_checked() {
        let bad_paths = [
            "relative/path",
            "/a b",
            "/a;b",
            "/a{b",
            "/a}b",
            "/a/../b",
            "/a/./b",
            "/a//b",
            "/a/",
            "/a$b",
            "/a\"b",
            "/a'b",
            "/a#b",
            "/a\\b",
            "/a\nb",
            "/a\tb",
            "/é",
            "",
        ];
        type Set = fn(&mut VhostSpec, PathBuf);
        let fields: [(&str, Set); 8] = [
            ("acme_webroot", |s, p| s.acme_webroot = p),
            ("access_log", |s, p| s.access_log = p),
            ("error_log", |s, p| s.error_log = p),
            ("root", |s, p| {
                s.serve = Serve::Files {
                    root: p,
                    php_socket: None,
                }
            }),
            ("php_socket", |s, p| {
                s.serve = Serve::Files {
                    root: "/srv/x".into(),
                    php_socket: Some(p),
                }
            }),
            ("fastcgi_params", |s, p| {
                s.fastcgi_params = p;
                s.serve = files(true);
            }),
            ("tls.cert", |s, p| {
                s.tls = Some(TlsFiles {
                    cert: p,
                    key: "/k".into(),
                })
            }),
            ("tls.key", |s, p| {
                s.tls = Some(TlsFiles {
                    cert: "/c".into(),
                    key: p,
                })
            }),
        ];
        for (field, set) in fields {
            for bad in bad_paths {
                let mut s = spec(files(false));
                set(&mut s, bad.into());
                let err = render_vhost(&s).unwrap_err();
                assert_eq!(err.field, field, "{bad:?}: {err}");
            }
        }
        let mut s = spec(files(false));
        s.serve = Serve::Files {
            root: "/srv/x".into(),
            php_socket: Some(format!("/run/{}.sock", "a".repeat(110)).into()),
        };
        assert_eq!(render_vhost(&s).unwrap_err().field, "php_socket");
        let mut s = spec(files(false));
        s.listen_http.clear();
        assert_eq!(render_vhost(&s).unwrap_err().field, "listen_http");
        let mut s = spec(files(false));
        s.listen_http.push(s.listen_http[0]);
        assert_eq!(render_vhost(&s).unwrap_err().field, "listen_http");
        let mut s = spec(files(false));
        s.listen_https.push(s.listen_http[0]);
        assert_eq!(render_vhost(&s).unwrap_err().field, "listen_https");
    }

    #[test]
    fn nginx_messages_are_tidied() {
        let raw = "nginx: [emerg] cannot load certificate \"/s/c.pem\": PEM_read_bio_X509_AUX() failed in /s/candidate-7.conf:20\nnginx: configuration file /s/check-1-0.conf test failed\n";
        assert_eq!(
            tidy(raw, Some("/s")),
            "cannot load certificate \"c.pem\": PEM_read_bio_X509_AUX() failed in candidate-7.conf:20"
        );
    }

    /// Renders `spec` into `dir/<name>` and checks it alone.
    async fn check(dir: &Path, name: &str, spec: &VhostSpec) -> Result<(), String> {
        let text = render_vhost(spec).unwrap();
        let file = dir.join(name);
        std::fs::write(&file, &text).unwrap();
        nginx().check_site(&file, dir).await
    }

    /// A self-signed certificate and its key, in `dir`.
    fn self_signed(dir: &Path) -> TlsFiles {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params = rcgen::CertificateParams::new(vec!["radio.test".to_owned()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let files = TlsFiles {
            cert: dir.join("fullchain.pem"),
            key: dir.join("privkey.pem"),
        };
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }

    #[tokio::test]
    async fn nginx_accepts_every_kind() {
        if nginx_missing() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let tls = self_signed(dir.path());
        let mut timings = Vec::new();
        for serve in [
            files(false),
            files(true),
            redirect("https://new.example", true, true),
            redirect("https://new.example/a?b=c", false, true),
            proxy(),
        ] {
            for https in [None, Some((false, false)), Some((true, true))] {
                let mut s = spec_in(dir.path(), serve.clone());
                if let Some((force, hsts)) = https {
                    s = with_tls(s, force, hsts);
                    s.tls = Some(tls.clone());
                }
                let started = std::time::Instant::now();
                check(dir.path(), "candidate.conf", &s)
                    .await
                    .unwrap_or_else(|e| panic!("{e}\n{}", render_vhost(&s).unwrap()));
                timings.push(started.elapsed());
            }
        }
        timings.sort();
        println!(
            "nginx -t of one site: median {:?}, max {:?}",
            timings[timings.len() / 2],
            timings[timings.len() - 1]
        );
        // Nothing but the nginx's own check log is left behind.
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("check-") && n.ends_with(".conf"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn nginx_refuses_a_broken_or_missing_certificate() {
        if nginx_missing() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "garbage").unwrap();
        let mut broken = with_tls(spec_in(dir.path(), files(false)), true, false);
        broken.tls = Some(TlsFiles {
            cert: garbage.clone(),
            key: garbage,
        });
        let err = check(dir.path(), "candidate-7.conf", &broken)
            .await
            .unwrap_err();
        println!("garbage certificate: {err}");
        assert!(err.contains("cannot load certificate"), "{err}");
        // nginx names the certificate, not the file that loads it.
        assert!(err.contains("garbage.pem"), "{err}");
        let scratch = dir.path().display().to_string();
        assert!(!err.contains(&format!("{scratch}/check")), "{err}");

        broken.tls = Some(TlsFiles {
            cert: dir.path().join("missing.pem"),
            key: dir.path().join("missing-key.pem"),
        });
        let err = check(dir.path(), "candidate-7.conf", &broken)
            .await
            .unwrap_err();
        println!("missing certificate: {err}");
        assert!(err.contains("certificate"), "{err}");

        // A good certificate with the wrong key.
        let good = self_signed(dir.path());
        let other = tempfile::tempdir().unwrap();
        let wrong = self_signed(other.path());
        broken.tls = Some(TlsFiles {
            cert: good.cert,
            key: wrong.key,
        });
        let err = check(dir.path(), "candidate-7.conf", &broken)
            .await
            .unwrap_err();
        println!("mismatched key: {err}");
        assert!(err.contains("key"), "{err}");
    }

    #[tokio::test]
    async fn sites_checked_together_and_the_whole_configuration() {
        if nginx_missing() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let sites = dir.path().join("sites");
        std::fs::create_dir(&sites).unwrap();
        let mut paths = Vec::new();
        for (id, serve) in [(1, files(false)), (2, files(true)), (3, proxy())] {
            let mut s = spec_in(dir.path(), serve);
            s.site_id = id;
            s.names = vec![fqdn(&format!("s{id}.radio.test"))];
            let path = sites.join(format!("site-{id}.conf"));
            std::fs::write(&path, render_vhost(&s).unwrap()).unwrap();
            paths.push(path);
        }
        let n = nginx();
        n.check_sites(&paths, dir.path()).await.unwrap();
        // The whole configuration, as `konbit doctor` checks it.
        let d = dir.path().display();
        let main = dir.path().join("nginx.conf");
        std::fs::write(
            &main,
            format!(
                "pid {d}/nginx.pid;\nevents {{}}\nhttp {{\n    include {d}/sites/*.conf;\n}}\n"
            ),
        )
        .unwrap();
        let whole = Nginx::new(
            NGINX.into(),
            main,
            Some(dir.path().to_owned()),
            Some(dir.path().join("error.log")),
        );
        whole.check_all().await.unwrap();
        // Not running: the reload says why, in nginx's words.
        let err = whole.reload().await.unwrap_err();
        assert!(err.contains("nginx.pid"), "{err}");
        // A pid file left behind, naming another program by now: no signal.
        std::fs::write(
            dir.path().join("nginx.pid"),
            format!("{}\n", std::process::id()),
        )
        .unwrap();
        let err = whole.reload().await.unwrap_err();
        assert!(err.contains("stale pid file"), "{err}");
        std::fs::remove_file(dir.path().join("nginx.pid")).unwrap();
        // A broken site fails the whole check too.
        std::fs::write(sites.join("site-9.conf"), "server { listen x y z; }\n").unwrap();
        let err = whole.check_all().await.unwrap_err();
        assert!(err.contains("site-9.conf"), "{err}");
    }

    #[test]
    fn the_pid_file_is_the_main_contexts() {
        let conf = "user www-data;\n# pid /commented.pid;\npid /run/nginx.pid; # ours\n\
                    events { }\nhttp {\n    server { pid /nested.pid; }\n}\n";
        assert_eq!(pid_directive(conf).as_deref(), Some("/run/nginx.pid"));
        assert_eq!(
            pid_directive("pid \"/srv/k/nginx.pid\";").as_deref(),
            Some("/srv/k/nginx.pid")
        );
        assert_eq!(pid_directive("http { pid /x.pid; }\n"), None);
        assert_eq!(pid_directive("events {}\n"), None);
        let relative = Nginx::new(
            NGINX.into(),
            "/nonexistent".into(),
            Some("/srv/k".into()),
            None,
        );
        assert_eq!(relative.pid_file(), None, "no file, no directive");
    }

    /// nginx's tokens: words (quotes removed), `;`, `{`, `}`; comments
    /// dropped. Enough of its grammar to see what a file's directives are.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Tok {
        Word(String),
        Semi,
        Open,
        Close,
    }

    fn tokens(text: &str) -> Vec<Tok> {
        let mut out = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                c if c.is_whitespace() => {}
                '#' => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                ';' => out.push(Tok::Semi),
                '{' => out.push(Tok::Open),
                '}' => out.push(Tok::Close),
                '"' | '\'' => {
                    let mut w = String::new();
                    while let Some(d) = chars.next() {
                        match d {
                            '\\' => w.extend(chars.next()),
                            d if d == c => break,
                            d => w.push(d),
                        }
                    }
                    out.push(Tok::Word(w));
                }
                c => {
                    let mut w = String::from(c);
                    while let Some(&d) = chars.peek() {
                        if d.is_whitespace() || matches!(d, ';' | '{' | '}') {
                            break;
                        }
                        chars.next();
                        if d == '\\' {
                            w.extend(chars.next());
                        } else {
                            w.push(d);
                        }
                    }
                    out.push(Tok::Word(w));
                }
            }
        }
        out
    }

    /// Each directive as (its name, its argument count, its end), so two
    /// files with the same shape have the same directives and blocks.
    fn shape(toks: &[Tok]) -> Vec<(String, usize, Tok)> {
        let mut out = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        for t in toks {
            match t {
                Tok::Word(w) => current.push(w),
                end => {
                    let name = current.first().copied().unwrap_or("").to_owned();
                    out.push((name, current.len().saturating_sub(1), end.clone()));
                    current.clear();
                }
            }
        }
        assert!(current.is_empty(), "unterminated directive {current:?}");
        out
    }

    /// The arguments of every directive called `name`.
    fn args(toks: &[Tok], name: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut current: Vec<String> = Vec::new();
        for t in toks {
            match t {
                Tok::Word(w) => current.push(w.clone()),
                _ => {
                    if current.first().is_some_and(|n| n == name) {
                        out.push(current[1..].to_vec());
                    }
                    current.clear();
                }
            }
        }
        out
    }

    /// `$name` references, sorted.
    fn variables(text: &str) -> Vec<String> {
        let mut out: Vec<String> = text
            .split('$')
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect();
        out.sort();
        out
    }

    /// Mostly characters of names and paths, with nginx's and the shell's
    /// special ones mixed in.
    fn mixed(normal: &[char]) -> impl Strategy<Value = String> {
        let normal = prop::sample::select(normal.to_vec());
        let hostile = prop::sample::select(vec![
            ';', '{', '}', '"', '\'', '$', ' ', '\n', '\\', '#', '\t', '%', '?',
        ]);
        prop_oneof![
            prop::collection::vec(normal.clone(), 1..20),
            prop::collection::vec(prop_oneof![6 => normal, 1 => hostile], 1..20),
        ]
        .prop_map(|v| v.into_iter().collect())
    }

    #[test]
    fn whatever_the_types_accept_renders_a_file_nginx_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let tls = self_signed(dir);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let run_nginx = Path::new(NGINX).exists();
        if !run_nginx {
            println!("SKIPPED (the nginx part): {NGINX} is not installed");
        }
        // A fixed seed: CI must not depend on luck to reach both sides of
        // each type (a random run once parsed no redirect target at all).
        let config = Config {
            cases: 24,
            failure_persistence: None,
            ..Config::default()
        };
        let rng = TestRng::deterministic_rng(config.rng_algorithm);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let path = ['a', 'k', 'z', '0', '7', '.', '-', '/', '_'];
        let label = ['a', 'k', 'z', '0', '7', '-'];
        let host =
            || prop::collection::vec(mixed(&label), 1..4).prop_map(|labels| labels.join("."));
        let target = (
            prop::sample::select(vec!["https://", "http://", ""]),
            host(),
            prop::option::of(mixed(&path)),
        )
            .prop_map(|(scheme, host, path)| match path {
                Some(p) => format!("{scheme}{host}.test/{p}"),
                None => format!("{scheme}{host}.test"),
            });
        let strategy = (mixed(&path), target, host(), any::<(bool, bool)>());
        let parsed = std::cell::Cell::new([0usize; 3]);
        let result = runner.run(&strategy, |(root, to, host, (https, keep))| {
            let root = konbit_core::web::DocRoot::parse("root", &root).ok();
            let to = RedirectTarget::parse("to", &to).ok();
            let host = Fqdn::parse("host", &format!("{host}.radio.test"), 2).ok();
            let mut count = parsed.get();
            count[0] += usize::from(root.is_some());
            count[1] += usize::from(to.is_some());
            count[2] += usize::from(host.is_some());
            parsed.set(count);

            // Two sites: files under the person's root, a redirect to the
            // person's target; both under the person's host name.
            let names = match &host {
                Some(h) => vec![h.clone(), fqdn("www.radio.test")],
                None => vec![fqdn("radio.test"), fqdn("www.radio.test")],
            };
            let root_path =
                Path::new("/srv/homes/kb-a").join(root.as_ref().map_or("www", |r| r.as_str()));
            let target = to
                .clone()
                .unwrap_or_else(|| RedirectTarget::parse("to", "https://a.test").unwrap());
            let site = |id: i64, serve: Serve, names: Vec<Fqdn>| {
                let mut s = spec_in(dir, serve);
                s.site_id = id;
                s.names = names;
                if https {
                    s.tls = Some(tls.clone());
                }
                s
            };
            let files_site = |root: PathBuf, names: Vec<Fqdn>| {
                site(
                    1,
                    Serve::Files {
                        root,
                        php_socket: None,
                    },
                    names,
                )
            };
            let redirect_site = |target: RedirectTarget, names: Vec<Fqdn>| {
                let serve = Serve::Redirect {
                    target,
                    permanent: true,
                    keep_path: keep,
                };
                site(2, serve, names)
            };
            let other_names = vec![fqdn("other.test")];
            let a = render_vhost(&files_site(root_path.clone(), names.clone())).unwrap();
            let b = render_vhost(&redirect_site(target.clone(), other_names.clone())).unwrap();

            // The same sites with known-good values: the person's values
            // must change no directive, argument count or block, and bring
            // no variable.
            let plain_names: Vec<Fqdn> = (0..names.len())
                .map(|i| fqdn(&format!("n{i}.radio.test")))
                .collect();
            let plain_a = render_vhost(&files_site("/srv/x".into(), plain_names)).unwrap();
            let plain_target = if target.is_bare() {
                "https://p.test"
            } else {
                "https://p.test/p"
            };
            let plain_b = render_vhost(&redirect_site(
                RedirectTarget::parse("to", plain_target).unwrap(),
                other_names,
            ))
            .unwrap();
            for (text, plain) in [(&a, &plain_a), (&b, &plain_b)] {
                let blocks = if https { 2 } else { 1 };
                prop_assert_eq!(text.matches("server {").count(), blocks, "{}", text);
                let (toks, plain_toks) = (tokens(text), tokens(plain));
                prop_assert_eq!(shape(&toks), shape(&plain_toks), "{}", text);
                prop_assert_eq!(variables(text), variables(plain), "{}", text);
            }
            // And they sit in their slots, unchanged.
            let (ta, tb) = (tokens(&a), tokens(&b));
            let want_names: Vec<String> = names.iter().map(|n| n.as_str().to_owned()).collect();
            for got in args(&ta, "server_name") {
                prop_assert_eq!(&got, &want_names);
            }
            let root_str = root_path.to_str().unwrap_or_default().to_owned();
            for got in args(&ta, "root") {
                prop_assert_eq!(got, vec![root_str.clone()]);
            }
            let suffix = if keep && target.is_bare() {
                "$request_uri"
            } else {
                ""
            };
            let want_return = vec!["301".to_owned(), format!("{}{suffix}", target.as_str())];
            let returns: Vec<Vec<String>> = args(&tb, "return")
                .into_iter()
                .filter(|r| !r.iter().any(|w| w.starts_with("https://$host")))
                .collect();
            prop_assert!(!returns.is_empty());
            for got in returns {
                prop_assert_eq!(&got, &want_return);
            }

            if run_nginx {
                let (fa, fb) = (dir.join("site-1.conf"), dir.join("site-2.conf"));
                std::fs::write(&fa, &a).unwrap();
                std::fs::write(&fb, &b).unwrap();
                let checked = rt.block_on(nginx().check_sites(&[&fa, &fb], dir));
                prop_assert!(checked.is_ok(), "{:?}\n{}\n{}", checked, a, b);
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        // The strategy must reach the accepting side of each type.
        let count = parsed.get();
        println!("parsed root/target/host: {count:?} of 24");
        assert!(count.iter().all(|&n| n > 0), "{count:?}");
    }

    #[test]
    fn the_tokenizer_sees_injections() {
        // What the property test relies on: an injected directive, block
        // or argument changes the shape.
        let good = shape(&tokens("root /a;\n"));
        for bad in [
            "root /a; deny all;",
            "root /a { }",
            "root /a b;",
            "root \"/a\" x;",
        ] {
            assert_ne!(good, shape(&tokens(bad)), "{bad}");
        }
        assert_eq!(shape(&tokens("root \"/a b\";  # c;\n")), good);
        assert_eq!(variables("a $b c$d_e;"), vec!["b", "d_e"]);
    }
}
