//! SFTP through a real ProFTPd (mod_sftp) reading the files
//! `konbit_provision::sftp::files` writes: password and key logins, uploads
//! owned by the entry's uid, chroots that hold (`cd ..`, absolute paths,
//! links to outside), a login removed refused at once with no restart, a
//! bad entry left out while the others work, and the configuration of
//! `konbit_provision::sftp::server` accepted by `proftpd -t` and serving.
//!
//! Needs root, ProFTPd with mod_sftp (Debian's `proftpd-core` and
//! `proftpd-mod-crypto`) and OpenSSH's client; skipped otherwise, unless
//! `REQUIRE_SFTP_TESTS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use konbit_core::crypt::{ROUNDS, sha512_crypt, sha512_crypt_random};
use konbit_core::sftp::{SftpLogin, SshPublicKey};
use konbit_provision::sftp::files::{SftpEntry, SftpFiles, WriteReport};
use konbit_provision::sftp::server::{SftpServer, check, generate_host_keys};
use konbit_testkit::daemon::{Daemon, free_port};
use konbit_testkit::proftpd::{ProFtpd, ProFtpdOptions, REQUIRE_ENV, generate_client_key};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PROFTPD: &str = "/usr/sbin/proftpd";
const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
const MOD_SFTP: &str = "/usr/lib/proftpd/mod_sftp.so";

/// A test's directory, its files and its server.
struct Site {
    root: PathBuf,
    files: SftpFiles,
    ftp: ProFtpd,
    _tmp: tempfile::TempDir,
}

/// The files in a fresh directory, written from the entries `make` returns
/// (given the directory) before the server starts (`proftpd -t` wants the
/// user file to exist); `None` when the test is skipped.
async fn start(make: impl FnOnce(&Path) -> Vec<SftpEntry>) -> Option<Site> {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    let files = files(&root);
    let report = files.write_all(&make(&root)).unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    let opts = ProFtpdOptions {
        auth_user_file: files.user_file.clone(),
        auth_group_file: files.group_file.clone(),
        authorized_keys_dir: files.keys_dir.clone(),
    };
    let ftp = ProFtpd::try_start(&root.join("proftpd"), opts)
        .await
        .unwrap()?;
    Some(Site {
        root,
        files,
        ftp,
        _tmp: tmp,
    })
}

fn files(root: &Path) -> SftpFiles {
    SftpFiles {
        user_file: root.join("etc/ftpd.passwd"),
        group_file: root.join("etc/ftpd.group"),
        keys_dir: root.join("etc/keys"),
    }
}

/// A chroot under `root`, owned by `uid`, as the provisioner makes homes.
fn home(root: &Path, name: &str, uid: u32) -> PathBuf {
    let dir = root.join("homes").join(name);
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
    dir
}

fn entry(login: &str, password: Option<&str>, uid: u32, chroot: PathBuf) -> SftpEntry {
    SftpEntry {
        login: SftpLogin::parse_existing(login).unwrap(),
        password_hash: password.map(hash),
        uid,
        gid: uid,
        chroot,
        keys: Vec::new(),
    }
}

/// A hash at the default 5000 rounds: the panel's [`ROUNDS`] take a second
/// and a half in a debug build. One test uses the panel's own
/// ([`sha512_crypt_random`]).
fn hash(password: &str) -> String {
    sha512_crypt(password, "konbitTestSalt01", 5000).unwrap()
}

fn client_key(root: &Path) -> (PathBuf, SshPublicKey) {
    let (path, line) = generate_client_key(&root.join("client")).unwrap();
    (path, SshPublicKey::parse("keys", &line).unwrap())
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What sftp printed, without its echo of the commands.
fn listing(out: &Output) -> Vec<String> {
    stdout(out)
        .lines()
        .filter(|l| !l.starts_with("sftp>") && !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect()
}

fn rejected(report: &WriteReport) -> Vec<&str> {
    report.rejected.iter().map(|(l, _)| l.as_str()).collect()
}

#[tokio::test]
async fn password_and_key_users_log_in_and_own_their_uploads() {
    let mut key = None;
    let Some(site) = start(|root| {
        let (path, public) = client_key(root);
        key = Some(path);
        let mut deploy = entry(
            "radio_deploy",
            None,
            424_302,
            home(root, "radio_deploy", 424_302),
        );
        deploy.keys = vec![public];
        // The panel's own hash, as libxcrypt in ProFTPd must check it.
        let mut radio = entry("radio", None, 424_301, home(root, "radio", 424_301));
        let t = Instant::now();
        let h = sha512_crypt_random("Radio-pass-2026", *b"konbit-salt!");
        eprintln!("{ROUNDS} rounds (debug build): {:?}", t.elapsed());
        assert!(h.starts_with(&format!("$6$rounds={ROUNDS}$")), "{h}");
        radio.password_hash = Some(h);
        vec![radio, deploy]
    })
    .await
    else {
        return;
    };
    let key = key.unwrap();
    let ftp = &site.ftp;
    let keys_file = fs::read_to_string(site.files.keys_dir.join("radio_deploy")).unwrap();
    assert!(keys_file.starts_with("---- BEGIN SSH2 PUBLIC KEY ----\n"));

    let local = site.root.join("hello.txt");
    fs::write(&local, "hello over sftp\n").unwrap();

    // The password user: uploads land in the chroot, owned by its uid.
    let t = Instant::now();
    let out = ftp
        .sftp_password(
            "radio",
            "Radio-pass-2026",
            &format!("put {} upload.txt\n", local.display()),
        )
        .unwrap();
    eprintln!("password login and upload: {:?}", t.elapsed());
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    let uploaded = site.root.join("homes/radio/upload.txt");
    assert_eq!(fs::read_to_string(&uploaded).unwrap(), "hello over sftp\n");
    let meta = fs::metadata(&uploaded).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (424_301, 424_301));
    assert_eq!(meta.mode() & 0o777, 0o644, "Umask 022");
    // Overwriting is allowed.
    let out = ftp
        .sftp_password(
            "radio",
            "Radio-pass-2026",
            &format!("put {} upload.txt\n", site.files.group_file.display()),
        )
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        fs::read_to_string(&uploaded)
            .unwrap()
            .starts_with("# ProFTPd's AuthGroupFile")
    );

    // The key user, with its RFC 4716 key.
    let t = Instant::now();
    let out = ftp
        .sftp_key(
            "radio_deploy",
            &key,
            &format!("put {} site.txt\npwd\n", local.display()),
        )
        .unwrap();
    eprintln!("key login and upload: {:?}", t.elapsed());
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    assert!(
        listing(&out).contains(&"Remote working directory: /".to_owned()),
        "{}",
        stdout(&out)
    );
    let meta = fs::metadata(site.root.join("homes/radio_deploy/site.txt")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (424_302, 424_302));

    // Wrong credentials: a wrong password, a password for a key-only
    // login (its hash is `!`), a key for a login without keys.
    for (user, password) in [
        ("radio", "Radio-pass-2025"),
        ("radio_deploy", "!"),
        ("radio_deploy", ""),
    ] {
        let out = ftp.sftp_password(user, password, "pwd\n").unwrap();
        assert!(!out.status.success(), "{user} {password:?}: {out:?}");
    }
    let out = ftp.sftp_key("radio", &key, "pwd\n").unwrap();
    assert!(!out.status.success(), "{out:?}");
}

#[tokio::test]
async fn sessions_stay_in_their_chroot() {
    let Some(site) = start(|root| {
        let chroot = home(root, "radio", 424_311);
        // Links made on disk (by PHP, say) that point outside.
        std::os::unix::fs::symlink("/etc", chroot.join("etc-link")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", chroot.join("passwd-link")).unwrap();
        std::os::unix::fs::symlink("../../..", chroot.join("up-link")).unwrap();
        vec![entry("radio", Some("Radio-pass-2026"), 424_311, chroot)]
    })
    .await
    else {
        return;
    };
    let ftp = &site.ftp;
    let chroot = site.root.join("homes/radio");
    let got = site.root.join("got");
    fs::create_dir(&got).unwrap();
    let g = got.display();
    let local = site.root.join("hello.txt");
    fs::write(&local, "x\n").unwrap();

    let commands = format!(
        "cd ..\npwd\ncd ../../..\npwd\n\
         get /etc/passwd {g}/abs\n\
         get ../../../../etc/passwd {g}/dots\n\
         get etc-link/passwd {g}/dirlink\n\
         get passwd-link {g}/filelink\n\
         get up-link/etc/passwd {g}/uplink\n\
         ls /etc\n\
         symlink /etc/passwd made-link\n\
         get made-link {g}/made\n\
         put {} /escaped.txt\n",
        local.display()
    );
    let out = ftp
        .sftp_password("radio", "Radio-pass-2026", &commands)
        .unwrap();
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    let text = stdout(&out);
    assert_eq!(
        text.matches("Remote working directory: /\n").count(),
        2,
        "{text}"
    );
    // Nothing was fetched from outside.
    let fetched: Vec<_> = fs::read_dir(&got).unwrap().collect();
    assert!(fetched.is_empty(), "{fetched:?}\n{text}");
    // `/` is the chroot.
    assert!(chroot.join("escaped.txt").is_file());
    assert!(!Path::new("/escaped.txt").exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("root:x:0:0"), "{stderr}");
    assert!(!text.contains("root:x:0:0"), "{text}");
}

#[tokio::test]
async fn a_login_removed_is_refused_at_once() {
    let mut key = None;
    let mut entries = Vec::new();
    let Some(site) = start(|root| {
        let (path, public) = client_key(root);
        key = Some(path);
        let mut radio = entry(
            "radio",
            Some("Radio-pass-2026"),
            424_321,
            home(root, "radio", 424_321),
        );
        radio.keys = vec![public];
        let other = entry(
            "radio_b",
            Some("Other-pass-2026"),
            424_322,
            home(root, "radio_b", 424_322),
        );
        entries = vec![radio, other];
        entries.clone()
    })
    .await
    else {
        return;
    };
    let key = key.unwrap();
    let ftp = &site.ftp;
    let pid = ftp.daemon().pid();
    let out = ftp
        .sftp_password("radio", "Radio-pass-2026", "pwd\n")
        .unwrap();
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    assert!(
        ftp.sftp_key("radio", &key, "pwd\n")
            .unwrap()
            .status
            .success()
    );

    // Written again without it: refused at the next login, no reload.
    let report = site.files.write_all(&entries[1..]).unwrap();
    assert!(report.changed.contains(&site.files.keys_dir.join("radio")));
    assert!(!site.files.keys_dir.join("radio").exists());
    let out = ftp
        .sftp_password("radio", "Radio-pass-2026", "pwd\n")
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    let out = ftp.sftp_key("radio", &key, "pwd\n").unwrap();
    assert!(!out.status.success(), "{out:?}");
    let out = ftp
        .sftp_password("radio_b", "Other-pass-2026", "pwd\n")
        .unwrap();
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    assert_eq!(ftp.daemon().pid(), pid);
    assert!(ftp.daemon().is_running());

    // And back.
    site.files.write_all(&entries).unwrap();
    assert!(
        ftp.sftp_key("radio", &key, "pwd\n")
            .unwrap()
            .status
            .success()
    );
}

#[tokio::test]
async fn a_bad_entry_is_skipped_and_the_others_work() {
    let mut good = None;
    let Some(site) = start(|root| {
        let g = entry(
            "radio",
            Some("Radio-pass-2026"),
            424_331,
            home(root, "radio", 424_331),
        );
        good = Some(g.clone());
        vec![g]
    })
    .await
    else {
        return;
    };
    let root = &site.root;
    let good = good.unwrap();
    let h = hash("Evil-pass-2026");
    // A hash that would add a root line, a hash of another scheme, a
    // chroot with a space, a relative chroot.
    let mut smuggled = entry("radio_x", None, 424_332, home(root, "radio_x", 424_332));
    smuggled.password_hash = Some(format!("{h}\nevil:{h}:0:0::/:/bin/sh"));
    let mut md5 = entry("radio_md5", None, 424_333, home(root, "radio_md5", 424_333));
    md5.password_hash = Some("$1$abcdefgh$Zb1bZ8p8Q1b5yq3yq9yq9.".to_owned());
    let spaced = entry(
        "radio_sp",
        Some("Evil-pass-2026"),
        424_334,
        root.join("homes/a b"),
    );
    let relative = entry(
        "radio_rel",
        Some("Evil-pass-2026"),
        424_335,
        PathBuf::from("homes/radio"),
    );
    let report = site
        .files
        .write_all(&[smuggled, md5, spaced, relative, good])
        .unwrap();
    let mut refused = rejected(&report);
    refused.sort_unstable();
    assert_eq!(
        refused,
        ["radio_md5", "radio_rel", "radio_sp", "radio_x"],
        "{report:?}"
    );
    let written: Vec<&str> = report.written.iter().map(SftpLogin::as_str).collect();
    assert_eq!(written, ["radio"]);
    let text = fs::read_to_string(&site.files.user_file).unwrap();
    assert!(!text.contains("evil"), "{text}");

    let ftp = &site.ftp;
    let out = ftp
        .sftp_password("radio", "Radio-pass-2026", "pwd\n")
        .unwrap();
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    for user in ["evil", "radio_x", "radio_sp", "radio_rel"] {
        let out = ftp.sftp_password(user, "Evil-pass-2026", "pwd\n").unwrap();
        assert!(!out.status.success(), "{user}: {out:?}");
    }
}

/// Whether this machine can run ProFTPd's SFTP; when not, skips (or fails
/// with `REQUIRE_SFTP_TESTS=1`).
fn can_run_proftpd() -> bool {
    // Root: the owner of this process's /proc entry.
    let root = fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let installed = [PROFTPD, SSH_KEYGEN, MOD_SFTP, "/usr/bin/sftp"]
        .iter()
        .all(|p| Path::new(p).exists());
    if root && installed {
        return true;
    }
    let why = format!(
        "needs root ({root}) and {PROFTPD}, {MOD_SFTP}, {SSH_KEYGEN}, sftp (installed: {installed})"
    );
    assert!(
        std::env::var_os(REQUIRE_ENV).is_none_or(|v| v != "1"),
        "{why} ({REQUIRE_ENV}=1)"
    );
    eprintln!("SKIPPED: {why}");
    false
}

#[tokio::test]
async fn the_rendered_configuration_passes_proftpd_t_and_serves() {
    if !can_run_proftpd() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let port = free_port().unwrap();
    let server = SftpServer {
        conf: root.join("proftpd/konbit.conf"),
        listen: format!("127.0.0.1:{port}").parse().unwrap(),
        files: files(root),
        host_keys: vec![
            root.join("proftpd/keys/ssh_host_ed25519_key"),
            root.join("proftpd/keys/ssh_host_ecdsa_key"),
        ],
        pid_file: root.join("run/proftpd.pid"),
        scoreboard: root.join("run/proftpd.scoreboard"),
        log: root.join("log/proftpd.log"),
        max_login_attempts: 3,
    };
    let made = generate_host_keys(Path::new(SSH_KEYGEN), &server.host_keys)
        .await
        .unwrap();
    assert_eq!(made, server.host_keys);
    let (key, public) = client_key(root);
    let mut radio = entry(
        "radio",
        Some("Radio-pass-2026"),
        424_341,
        home(root, "radio", 424_341),
    );
    radio.keys = vec![public];
    server.files.write_all(&[radio]).unwrap();
    for dir in ["run", "log"] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    let file = server.file().unwrap();
    let previous = konbit_provision::web::server::install(&[file]).unwrap();
    assert_eq!(previous.changed, std::slice::from_ref(&server.conf));
    let t = Instant::now();
    check(Path::new(PROFTPD), &server.conf).await.unwrap();
    eprintln!("proftpd -t: {:?}", t.elapsed());

    // ProFTPd's own words when it refuses: a host key others may read.
    fs::set_permissions(&server.host_keys[0], fs::Permissions::from_mode(0o644)).unwrap();
    let err = check(Path::new(PROFTPD), &server.conf).await.unwrap_err();
    assert!(err.contains("group- or world-accessible"), "{err}");
    assert!(err.contains("ssh_host_ed25519_key"), "{err}");
    assert!(!err.contains("proftpd["), "the prefix is cut: {err}");
    fs::set_permissions(&server.host_keys[0], fs::Permissions::from_mode(0o600)).unwrap();

    // It serves: a key login and a password upload.
    let daemon = Daemon::builder("proftpd", PROFTPD, root.join("daemon"))
        .arg("-n")
        .arg("-c")
        .arg(&server.conf)
        .start()
        .unwrap();
    daemon
        .wait_for_tcp(server.listen, Duration::from_secs(20))
        .await
        .unwrap();
    let log = || fs::read_to_string(&server.log).unwrap_or_default();
    let t = Instant::now();
    let out = run(
        Command::new("/usr/bin/sftp")
            .args(["-F", "/dev/null", "-P", &port.to_string()])
            .args(SSH_OPTIONS)
            .arg("-i")
            .arg(&key)
            .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-b", "-"])
            .arg("radio@127.0.0.1"),
        "mkdir www\npwd\n",
    );
    eprintln!("key login (server.rs config): {:?}", t.elapsed());
    assert!(out.status.success(), "{out:?}\n{}", log());
    let meta = fs::metadata(root.join("homes/radio/www")).unwrap();
    assert_eq!(meta.uid(), 424_341);
    assert_eq!(meta.mode() & 0o777, 0o755, "Umask 022");

    let local = root.join("hello.txt");
    fs::write(&local, "hello\n").unwrap();
    let t = Instant::now();
    let out = run(
        Command::new("curl")
            .args(["-sS", "--insecure", "-K", "-", "-T"])
            .arg(&local)
            .arg(format!("sftp://127.0.0.1:{port}/~/www/hello.txt")),
        "user = \"radio:Radio-pass-2026\"\n",
    );
    eprintln!("password login and upload with curl: {:?}", t.elapsed());
    assert!(out.status.success(), "{out:?}\n{}", log());
    assert_eq!(
        fs::metadata(root.join("homes/radio/www/hello.txt"))
            .unwrap()
            .uid(),
        424_341
    );
    let out = run(
        Command::new("curl")
            .args(["-sS", "--insecure", "-K", "-"])
            .arg(format!("sftp://127.0.0.1:{port}/~/")),
        "user = \"radio:wrong-pass-2026\"\n",
    );
    assert_eq!(out.status.code(), Some(67), "refused: {out:?}");

    // No FTP: the port speaks SSH only.
    let banner = run(
        Command::new("curl")
            .args(["-sS", "--max-time", "5"])
            .arg(format!("ftp://127.0.0.1:{port}/")),
        "",
    );
    assert!(!banner.status.success(), "{banner:?}");
    drop(daemon);
    drop(previous);
}

const SSH_OPTIONS: [&str; 8] = [
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=10",
];

/// Runs `cmd` with `input` on stdin, killed after 60 s.
fn run(cmd: &mut Command, input: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("SSH_AUTH_SOCK")
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let pid = child.id();
    let (done, wait) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output();
        let _ = done.send(());
        out
    });
    if wait.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    waiter.join().unwrap().unwrap()
}
