//! The web test daemons: nginx closes unknown hosts, serves ACME tokens for
//! any host and a static site written by hand, and PHP-FPM runs a pool as
//! its own Unix user behind a vhost; everything stops on drop.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use konbit_testkit::daemon::run_bounded;
use konbit_testkit::web::WebServer;

const TIMEOUT: Duration = Duration::from_secs(5);

/// A throwaway Unix user (and its group), deleted on drop.
struct TestUser {
    name: String,
    uid: u32,
    gid: u32,
}

impl TestUser {
    fn create(home: &Path) -> TestUser {
        let name = format!("kbtest{:06x}", random() & 0xff_ffff);
        let mut cmd = Command::new("useradd");
        cmd.args(["-M", "-U", "-s", "/usr/sbin/nologin", "-d"])
            .arg(home)
            .arg(&name);
        let out = run(cmd);
        assert!(out.status.success(), "useradd {name}: {out:?}");
        let mut user = TestUser {
            name,
            uid: 0,
            gid: 0,
        };
        user.uid = id(&user.name, "-u");
        user.gid = id(&user.name, "-g");
        user
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        // -f: even if a PHP worker of its pool still runs (a failed test);
        // without -r the home (in the temp dir) is left alone.
        let mut cmd = Command::new("userdel");
        cmd.args(["-f", &self.name]);
        let out = run(cmd);
        if !out.status.success() {
            eprintln!("userdel {}: {out:?}", self.name);
        }
        // userdel removes the user's private group (USERGROUPS_ENAB yes);
        // make sure.
        let mut cmd = Command::new("getent");
        cmd.args(["group", &self.name]);
        if run(cmd).status.success() {
            let mut cmd = Command::new("groupdel");
            cmd.arg(&self.name);
            let _ = run(cmd);
        }
    }
}

fn run(cmd: Command) -> std::process::Output {
    run_bounded(cmd, Duration::from_secs(20)).unwrap()
}

fn id(name: &str, flag: &str) -> u32 {
    let mut cmd = Command::new("id");
    cmd.args([flag, name]);
    let out = run(cmd);
    assert!(out.status.success(), "id {flag} {name}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}

/// Live processes whose command line mentions `needle` or whose real uid
/// is `uid`.
fn live_processes(needle: &str, uid: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let proc_dir = entry.path();
        let Ok(status) = std::fs::read_to_string(proc_dir.join("status")) else {
            continue;
        };
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.split_whitespace().next().unwrap_or("").to_owned())
        };
        if field("State:").as_deref() == Some("Z") {
            continue;
        }
        let cmdline = std::fs::read(proc_dir.join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .unwrap_or_default();
        if cmdline.contains(needle) || field("Uid:") == Some(uid.to_string()) {
            found.push(format!("{name}: {cmdline}"));
        }
    }
    found
}

fn mkdir(path: &Path, mode: u32) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Wait (bounded) until `path` exists.
async fn wait_for_path(path: &Path) {
    let started = Instant::now();
    for _ in 0..500 {
        if path.exists() {
            return;
        }
        if started.elapsed() > TIMEOUT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} did not appear", path.display());
}

/// `php-fpm -t`, then USR2 to the master, as the provisioner does.
async fn reload_php(web: &WebServer, socket: &Path) {
    let mut check = Command::new(web.php_fpm_binary());
    check.arg("-t").arg("-y").arg(web.php_fpm_conf());
    let out = run(check);
    assert!(out.status.success(), "php-fpm -t: {out:?}");
    let pid: u32 = std::fs::read_to_string(web.php_pid_file())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut kill = Command::new("/bin/kill");
    kill.args(["-USR2", &pid.to_string()]);
    let out = run(kill);
    assert!(out.status.success(), "kill -USR2 {pid}: {out:?}");
    wait_for_path(socket).await;
}

fn php_pool(user: &TestUser, home: &Path, socket: &Path) -> String {
    format!(
        "[{name}]
user = {name}
group = {name}
listen = {socket}
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = ondemand
pm.max_children = 2
pm.process_idle_timeout = 10s
chdir = /
clear_env = yes
security.limit_extensions = .php
php_admin_value[open_basedir] = {home}/
",
        name = user.name,
        socket = socket.display(),
        home = home.display(),
    )
}

#[tokio::test]
async fn nginx_serves_sites_and_tokens_and_php_runs_as_the_account() {
    let tmp = tempfile::tempdir().unwrap();
    // www-data (nginx's workers) and the account must reach inside.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let started = Instant::now();
    let Some(web) = WebServer::try_start(&tmp.path().join("web")).await.unwrap() else {
        return;
    };
    eprintln!("nginx and PHP-FPM ready in {:?}", started.elapsed());
    let test_started = Instant::now();

    // The layout.
    for dir in [
        web.nginx_prefix(),
        web.sites_dir(),
        web.php_pool_dir(),
        web.php_socket_dir(),
        web.acme_webroot(),
        web.certs_dir(),
        web.site_logs_dir(),
        web.homes_dir(),
    ] {
        assert!(dir.is_dir(), "{}", dir.display());
    }
    assert!(web.nginx_conf().is_file());
    assert!(web.php_fpm_conf().is_file());
    assert!(web.php_pool_dir().join("konbit-base.conf").is_file());
    assert!(web.nginx_prefix().join("nginx.pid").is_file());
    let php_pid: u32 = std::fs::read_to_string(web.php_pid_file())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(web.http_addr().port(), web.http_port());
    assert_ne!(web.http_port(), web.https_port());
    // Nothing went to /var: the error log is ours.
    assert!(web.nginx_error_log_path().is_file());

    // Unknown hosts: the connection is closed without an answer (444).
    assert_eq!(web.get("unknown.test", "/").await.unwrap(), None);
    // The HTTPS port listens (and rejects handshakes for unknown names).
    tokio::net::TcpStream::connect(("127.0.0.1", web.https_port()))
        .await
        .unwrap();

    // ACME tokens, for any host, as text/plain.
    write(
        &web.acme_webroot().join("tok-123"),
        "tok-123.thumbprint",
        0o644,
    );
    let answer = web
        .get("any.example", "/.well-known/acme-challenge/tok-123")
        .await
        .unwrap();
    assert_eq!(answer, Some((200, "tok-123.thumbprint".to_owned())));
    let (status, headers) = web
        .head("other.example", "/.well-known/acme-challenge/tok-123")
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("content-type").map(String::as_str),
        Some("text/plain")
    );
    assert_eq!(
        web.get("any.example", "/.well-known/acme-challenge/nope")
            .await
            .unwrap()
            .map(|(s, _)| s),
        Some(404)
    );

    // A static site written by hand.
    let public = web.homes_dir().join("static/public");
    mkdir(&public, 0o755);
    write(
        &public.join("index.html"),
        "hello from static.test\n",
        0o644,
    );
    write(
        &web.sites_dir().join("static.test.conf"),
        &format!(
            "server {{
    listen 127.0.0.1:{port};
    server_name static.test www.static.test;
    root {root};
    index index.html;
    location / {{ try_files $uri $uri/ =404; }}
}}
",
            port = web.http_port(),
            root = public.display()
        ),
        0o644,
    );
    web.reload_nginx().await.unwrap();
    let (_, body) = web
        .wait_for_status("www.static.test", "/", 200, TIMEOUT)
        .await
        .unwrap();
    assert_eq!(body, "hello from static.test\n");
    assert_eq!(
        web.get("static.test", "/missing.html")
            .await
            .unwrap()
            .map(|(s, _)| s),
        Some(404)
    );
    // Still closed for other hosts. The tokens are the default server's:
    // a known host's own server needs its own acme-challenge location.
    assert_eq!(web.get("unknown.test", "/").await.unwrap(), None);
    assert_eq!(
        web.get("static.test", "/.well-known/acme-challenge/tok-123")
            .await
            .unwrap()
            .map(|(s, _)| s),
        Some(404)
    );

    // PHP as a throwaway account.
    let home: PathBuf = web.homes_dir().join(format!("php-{:x}", random() & 0xffff));
    let user = TestUser::create(&home);
    let www_data = id("www-data", "-g");
    let public = home.join("public");
    mkdir(&public, 0o750);
    chown(&home, Some(user.uid), Some(www_data)).unwrap();
    chown(&public, Some(user.uid), Some(www_data)).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o750)).unwrap();
    let page = public.join("index.php");
    write(
        &page,
        "<?php echo 'euid=', posix_geteuid(), ' egid=', posix_getegid(),\n  \
         ' opcache=', ini_get('opcache.validate_permission'), ini_get('opcache.validate_root');\n",
        0o640,
    );
    // The page is the account's own (0640 account:account): nginx (www-data)
    // only checks it exists, PHP reads it.
    chown(&page, Some(user.uid), Some(user.gid)).unwrap();
    let socket = web.php_socket_dir().join(format!("{}.sock", user.name));
    write(
        &web.php_pool_dir().join(format!("{}.conf", user.name)),
        &php_pool(&user, &home, &socket),
        0o644,
    );
    reload_php(&web, &socket).await;
    // USR2 re-executes the master in place: same pid.
    // The new master writes its pid file again; wait for it (bounded).
    let mut pid_text = String::new();
    for _ in 0..250 {
        if let Ok(t) = std::fs::read_to_string(web.php_pid_file())
            && !t.trim().is_empty()
        {
            pid_text = t;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pid_text.trim(), php_pid.to_string());
    write(
        &web.sites_dir().join(format!("{}.test.conf", user.name)),
        &format!(
            "server {{
    listen 127.0.0.1:{port};
    server_name {name}.test;
    root {root};
    index index.php;
    location / {{ try_files $uri $uri/ =404; }}
    location ~ \\.php$ {{
        try_files $uri =404;
        include /etc/nginx/fastcgi_params;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_pass unix:{socket};
    }}
}}
",
            port = web.http_port(),
            name = user.name,
            root = public.display(),
            socket = socket.display(),
        ),
        0o644,
    );
    web.reload_nginx().await.unwrap();
    let host = format!("{}.test", user.name);
    let (_, body) = web
        .wait_for_status(&host, "/", 200, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(
        body,
        format!("euid={} egid={} opcache=11", user.uid, user.gid),
        "{}",
        web.logs()
    );
    // Removed: once reload_nginx returns, no old worker answers for it.
    std::fs::remove_file(web.sites_dir().join("static.test.conf")).unwrap();
    web.reload_nginx().await.unwrap();
    for _ in 0..20 {
        assert_eq!(web.get("www.static.test", "/").await.unwrap(), None);
    }
    web.wait_for_no_answer("static.test", "/", TIMEOUT)
        .await
        .unwrap();
    let (status, headers) = web.wait_for_head(&host, "/", 200, TIMEOUT).await.unwrap();
    assert_eq!(status, 200);
    assert!(
        headers
            .get("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{headers:?}"
    );
    let error_log = web.nginx_error_log();
    assert!(!error_log.contains("[emerg]"), "{error_log}");

    // Everything stops on drop: the ports close.
    let addr = web.http_addr();
    let https = web.https_port();
    drop(web);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", https))
            .await
            .is_err()
    );
    // PHP-FPM's master leaves the watchdog's group (setsid): check that it
    // and the account's worker are gone too.
    let left = live_processes(&tmp.path().to_string_lossy(), user.uid);
    assert!(left.is_empty(), "still running: {left:?}");
    drop(user);
    eprintln!("test body took {:?}", test_started.elapsed());
}
