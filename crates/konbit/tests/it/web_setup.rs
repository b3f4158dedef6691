//! `konbit web-server setup --standalone`, run for real on a temp state
//! directory, then the nginx (and, as root, the PHP-FPM) it configured,
//! started on free loopback ports: a host no site serves gets no answer,
//! an ACME token written by hand is served for any host, `--reload`
//! reaches the running daemons, a configuration nginx refuses is rolled
//! back, and a bad path is refused naming its key. Skipped (prints
//! `SKIPPED`) where nginx is not installed, unless `REQUIRE_WEB_TESTS=1`.

use crate::cli::Konbit;
use konbit_testkit::daemon::{Daemon, free_port, require_binary, skip_if_missing};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";
const PHP_FPM: &str = "/usr/sbin/php-fpm8.2";
const REQUIRE_ENV: &str = "REQUIRE_WEB_TESTS";
const READY: Duration = Duration::from_secs(20);

/// The `[web]` section: everything under the state directory.
fn web_section(state: &Path, http: u16, https: u16, php: bool) -> String {
    let s = state.display();
    let mut text = format!(
        r#"
[web]
nginx_prefix = "{s}/nginx"
nginx_conf = "{s}/nginx/nginx.conf"
nginx_error_log = "{s}/nginx/error.log"
nginx_snippet = "nginx/konbit.conf"
sites_dir = "sites"
listen_http = ["127.0.0.1:{http}"]
listen_https = ["127.0.0.1:{https}"]
log_dir = "site-logs"
homes_root = "homes"
"#
    );
    if php {
        text.push_str(
            r#"
[web.php]
php_fpm_conf = "php/php-fpm.conf"
pid_file = "php/php-fpm.pid"
pool_dir = "php/pool.d"
socket_dir = "php/run"
"#,
        );
    }
    text
}

/// `konbit init`'s file with `section` after it.
fn configure(k: &Konbit, base: &str, section: &str) {
    std::fs::write(&k.config, format!("{base}{section}")).unwrap();
}

/// One HTTP/1.0 exchange; empty when nginx closes the connection without
/// an answer (its 444).
fn get(port: u16, host: &str, path: &str) -> String {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    // A reset reads as an empty answer.
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[tokio::test(flavor = "multi_thread")]
async fn standalone_setup_serves_challenges_and_closes_unknown_hosts() {
    let Some(nginx) = skip_if_missing(require_binary(NGINX, "nginx"), REQUIRE_ENV).unwrap() else {
        return;
    };
    // PHP-FPM's master must start as root to run pools as other users.
    let php = is_root() && Path::new(PHP_FPM).exists();
    let k = Konbit::init();
    // nginx's workers (www-data) pass through to the tokens.
    std::fs::set_permissions(&k.root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&k.state, std::fs::Permissions::from_mode(0o711)).unwrap();
    let base = std::fs::read_to_string(&k.config).unwrap();
    let (http, https) = (free_port().unwrap(), free_port().unwrap());
    let good = web_section(&k.state, http, https, php);
    let setup = ["web-server", "setup", "--standalone"];

    // A path that cannot go into nginx's files is refused, naming its key.
    configure(
        &k,
        &base,
        &format!("{good}\n").replace("[web]\n", "[web]\nacme_webroot = \"acme challenge\"\n"),
    );
    let err = k.run(&setup).fails(1).to_owned();
    assert!(err.contains("web.acme_webroot"), "{err}");
    // --standalone keeps nginx's files in its prefix: there must be one.
    configure(
        &k,
        &base,
        &good.replace("nginx_prefix = ", "# nginx_prefix = "),
    );
    let err = k.run(&setup).fails(1).to_owned();
    assert!(err.contains("web.nginx_prefix"), "{err}");
    // A file Konbit did not write is left alone.
    configure(&k, &base, &good);
    std::fs::create_dir_all(k.state.join("nginx")).unwrap();
    let snippet = k.state.join("nginx/konbit.conf");
    std::fs::write(&snippet, "# the operator's\n").unwrap();
    let err = k.run(&setup).fails(1).to_owned();
    assert!(err.contains("not written by Konbit"), "{err}");
    assert!(err.contains("web.nginx_snippet"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&snippet).unwrap(),
        "# the operator's\n"
    );
    std::fs::remove_file(&snippet).unwrap();

    let report = k.json(&setup);
    assert_eq!(report["standalone"], true, "{report:#}");
    let start = report["start"].as_array().unwrap();
    assert_eq!(start.len(), if php { 2 } else { 1 }, "{report:#}");
    assert!(start[0].as_str().unwrap().contains(" -p "), "{report:#}");
    let text = std::fs::read_to_string(&snippet).unwrap();
    assert!(
        text.contains(&format!("listen 127.0.0.1:{http} default_server;")),
        "{text}"
    );
    assert!(text.contains(&format!("include {}/sites/*.conf;", k.state.display())));
    let main = std::fs::read_to_string(k.state.join("nginx/nginx.conf")).unwrap();
    assert!(
        main.contains(&format!("include {};", snippet.display())),
        "{main}"
    );
    let mode = |p: &str| std::fs::metadata(k.state.join(p)).unwrap().mode() & 0o7777;
    assert_eq!(mode("certs"), 0o700);
    for dir in ["sites", "acme-challenge", "site-logs", "homes"] {
        assert_eq!(mode(dir), 0o755, "{dir}");
    }
    // Again: nothing changes.
    let again = k.json(&setup);
    assert_eq!(again["changed"], serde_json::json!([]), "{again:#}");

    let logs = k.root.join("daemon-logs");
    let daemon = Daemon::builder("nginx", &nginx, &logs)
        .arg("-p")
        .arg(k.state.join("nginx"))
        .arg("-c")
        .arg(k.state.join("nginx/nginx.conf"))
        .arg("-e")
        .arg(k.state.join("nginx/error.log"))
        .args(["-g", "daemon off;"])
        .start()
        .unwrap();
    daemon
        .wait_for_tcp(SocketAddr::from((Ipv4Addr::LOCALHOST, http)), READY)
        .await
        .unwrap();
    let php_daemon = php.then(|| {
        Daemon::builder("php-fpm", PHP_FPM, &logs)
            .args(["-F", "-y"])
            .arg(k.state.join("php/php-fpm.conf"))
            .args([
                "-d",
                "opcache.validate_permission=1",
                "-d",
                "opcache.validate_root=1",
            ])
            .start()
            .unwrap()
    });
    let _stop_php = php.then(|| StopByPidFile(k.state.join("php/php-fpm.pid")));
    if let Some(d) = &php_daemon {
        // The base pool lets the master start with no account's pool.
        let socket = k.state.join("php/run/konbit-base.sock");
        let started = Instant::now();
        while !socket.exists() {
            assert!(
                d.is_running() && started.elapsed() < READY,
                "no {} (php-fpm: {}; its log: {})",
                socket.display(),
                d.log_tail(20),
                std::fs::read_to_string(k.state.join("php-fpm.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // A host no site serves: the connection is closed without an answer.
    let answer = get(http, "nobody.example", "/");
    assert!(answer.is_empty(), "{answer}\n{}", daemon.log_tail(20));
    // An ACME token is served for any host.
    let token = k.state.join("acme-challenge/tok-123_abc");
    std::fs::write(&token, "tok-123_abc.thumbprint").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let answer = get(
        http,
        "anything.example",
        "/.well-known/acme-challenge/tok-123_abc",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "{answer}"
    );
    assert!(
        answer.ends_with("\r\n\r\ntok-123_abc.thumbprint"),
        "{answer}"
    );
    let answer = get(http, "anything.example", "/.well-known/acme-challenge/nope");
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");

    // --reload reaches the running daemons.
    let reloaded = k.json(&["web-server", "setup", "--standalone", "--reload"]);
    let mut want = vec!["nginx"];
    if php {
        want.push("php-fpm");
    }
    assert_eq!(
        reloaded["reloaded"],
        serde_json::json!(want),
        "{reloaded:#}"
    );
    assert_eq!(reloaded["not_running"], serde_json::json!([]));
    assert!(get(http, "nobody.example", "/").is_empty());

    // A site file nginx refuses: the new snippet is taken back.
    let before = std::fs::read_to_string(&snippet).unwrap();
    std::fs::write(
        k.state.join("sites/site-999.conf"),
        "server { nonsense; }\n",
    )
    .unwrap();
    let other = free_port().unwrap();
    configure(&k, &base, &web_section(&k.state, http, other, php));
    let err = k.run(&setup).fails(1).to_owned();
    assert!(err.contains("nginx -t refused"), "{err}");
    assert!(err.contains("nonsense"), "{err}");
    assert!(err.contains("previous files are back"), "{err}");
    assert_eq!(std::fs::read_to_string(&snippet).unwrap(), before);
    std::fs::remove_file(k.state.join("sites/site-999.conf")).unwrap();
    // nginx still serves as before.
    assert!(
        get(http, "x.example", "/.well-known/acme-challenge/tok-123_abc")
            .starts_with("HTTP/1.1 200")
    );
}

/// After a reload (SIGUSR2) PHP-FPM's master has re-executed itself in a
/// session of its own, out of the watchdog's process group: this stops it
/// by the pid in its pid file, when dropped (a failing test too).
struct StopByPidFile(std::path::PathBuf);

impl Drop for StopByPidFile {
    fn drop(&mut self) {
        stop_by_pid_file(&self.0);
    }
}

fn stop_by_pid_file(pid_file: &Path) {
    let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
    else {
        return;
    };
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie nobody reaped yet.
        if stat
            .rsplit_once(") ")
            .is_none_or(|(_, rest)| rest.starts_with('Z'))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
