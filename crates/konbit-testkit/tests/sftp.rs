//! The ProFTPd test server: users from an `AuthUserFile` log in over SFTP
//! with a password or a key, stay in their home, own what they upload, and
//! a user added while the server runs logs in at once. Skipped when ProFTPd
//! or OpenSSH's client is not installed, unless `REQUIRE_SFTP_TESTS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use konbit_testkit::daemon::group_pids;
use konbit_testkit::proftpd::{ProFtpd, ProFtpdOptions, generate_client_key, openssh_to_rfc4716};

/// One SFTP user of a test.
struct User {
    name: &'static str,
    uid: u32,
    home: PathBuf,
}

impl User {
    /// A home under `root` owned by `uid` (not a real account: ProFTPd only
    /// needs the number).
    fn new(root: &Path, name: &'static str, uid: u32) -> User {
        let home = root.join("homes").join(name);
        fs::create_dir_all(&home).unwrap();
        std::os::unix::fs::chown(&home, Some(uid), Some(uid)).unwrap();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o750)).unwrap();
        User { name, uid, home }
    }

    /// The `AuthUserFile` line, with a SHA-512 crypt hash of `password`.
    fn line(&self, password: &str) -> String {
        let out = Command::new("openssl")
            .args(["passwd", "-6", password])
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl passwd: {out:?}");
        let hash = String::from_utf8(out.stdout).unwrap();
        format!(
            "{}:{}:{}:{}::{}:/usr/sbin/nologin\n",
            self.name,
            hash.trim(),
            self.uid,
            self.uid,
            self.home.display()
        )
    }
}

/// Write `text` beside `path`, then rename it over `path`, mode 0600, as
/// the panel does.
fn write_replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
    fs::rename(&tmp, path).unwrap();
}

fn options(root: &Path) -> ProFtpdOptions {
    let opts = ProFtpdOptions {
        auth_user_file: root.join("ftpd.passwd"),
        auth_group_file: root.join("ftpd.group"),
        authorized_keys_dir: root.join("keys"),
    };
    fs::create_dir_all(&opts.authorized_keys_dir).unwrap();
    opts
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lines sftp printed, without the echoed `sftp> command` lines.
fn listing(out: &Output) -> Vec<String> {
    stdout(out)
        .lines()
        .filter(|l| !l.starts_with("sftp>") && !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect()
}

#[tokio::test]
async fn password_users_upload_into_their_chroot() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let opts = options(root);
    let alice = User::new(root, "alice", 424_201);
    write_replace(&opts.auth_user_file, &alice.line("Al1ce-pass"));
    write_replace(&opts.auth_group_file, "alice:x:424201:\ncarol:x:424202:\n");

    let started = Instant::now();
    let Some(ftp) = ProFtpd::try_start(&root.join("proftpd"), opts.clone())
        .await
        .unwrap()
    else {
        return;
    };
    eprintln!("ProFTPd started in {:?}", started.elapsed());
    assert_eq!(ftp.host_key_paths().len(), 2);
    assert!(ftp.host_key_paths().iter().all(|k| k.is_file()));

    // Upload: the file lands in the home, owned by the user's uid.
    let local = root.join("hello.txt");
    fs::write(&local, "hello over sftp\n").unwrap();
    let t = Instant::now();
    let out = ftp
        .sftp_password(
            "alice",
            "Al1ce-pass",
            &format!("put {} upload.txt\n", local.display()),
        )
        .unwrap();
    eprintln!("one password session: {:?}", t.elapsed());
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    let uploaded = alice.home.join("upload.txt");
    assert_eq!(fs::read_to_string(&uploaded).unwrap(), "hello over sftp\n");
    let meta = fs::metadata(&uploaded).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (alice.uid, alice.uid));

    // `cd ..` stays in the chroot: `/` is the home.
    let out = ftp
        .sftp_password("alice", "Al1ce-pass", "cd ..\npwd\nls -1 /\nls -1 ..\n")
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        listing(&out),
        [
            "Remote working directory: /",
            "/upload.txt",
            "../upload.txt"
        ],
        "{}",
        ftp.logs()
    );

    // A wrong password is refused, and nothing runs.
    let out = ftp
        .sftp_password("alice", "wrong", "put /etc/hostname stolen\n")
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert!(!alice.home.join("stolen").exists());
    // So is a user who is not in the file yet.
    let out = ftp.sftp_password("carol", "C4rol-pass", "pwd\n").unwrap();
    assert!(!out.status.success(), "{out:?}");

    // A user added to the file while the server runs logs in at once.
    let carol = User::new(root, "carol", 424_202);
    write_replace(
        &opts.auth_user_file,
        &format!("{}{}", alice.line("Al1ce-pass"), carol.line("C4rol-pass")),
    );
    let out = ftp
        .sftp_password(
            "carol",
            "C4rol-pass",
            &format!("put {} mine.txt\n", local.display()),
        )
        .unwrap();
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    assert_eq!(
        fs::metadata(carol.home.join("mine.txt")).unwrap().uid(),
        carol.uid
    );
    assert!(!alice.home.join("mine.txt").exists());

    // The server and its sessions die with the daemon.
    let pgid = ftp.daemon().pgid();
    drop(ftp);
    assert!(group_pids(pgid).is_empty());
}

#[tokio::test]
async fn key_users_log_in_with_rfc4716_keys_only() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let opts = options(root);
    let bob = User::new(root, "bob", 424_211);
    // An unguessable password: bob logs in with his key.
    write_replace(&opts.auth_user_file, &bob.line("not-used-Zq8w"));
    write_replace(&opts.auth_group_file, "bob:x:424211:\n");

    let Some(ftp) = ProFtpd::try_start(&root.join("proftpd"), opts.clone())
        .await
        .unwrap()
    else {
        return;
    };
    let (key, public) = generate_client_key(&root.join("client")).unwrap();
    assert!(public.starts_with("ssh-ed25519 "), "{public}");
    let keys_file = opts.authorized_keys_dir.join("bob");

    // The OpenSSH one-line format is not read by mod_sftp 1.3.8.
    fs::write(&keys_file, format!("{public}\n")).unwrap();
    let out = ftp.sftp_key("bob", &key, "pwd\n").unwrap();
    assert!(!out.status.success(), "{out:?}");

    // The same key as an RFC 4716 block is.
    fs::write(&keys_file, openssh_to_rfc4716(&public).unwrap()).unwrap();
    let t = Instant::now();
    let out = ftp
        .sftp_key("bob", &key, "pwd\nmkdir site\nls -1\n")
        .unwrap();
    eprintln!("one key session: {:?}", t.elapsed());
    assert!(out.status.success(), "{out:?}\n{}", ftp.logs());
    assert_eq!(
        listing(&out),
        ["Remote working directory: /", "site"],
        "{}",
        stdout(&out)
    );
    assert_eq!(fs::metadata(bob.home.join("site")).unwrap().uid(), bob.uid);

    // Another user's key is not bob's.
    let (other_key, _) = generate_client_key(&root.join("client")).unwrap();
    assert_ne!(other_key, key);
    let out = ftp.sftp_key("bob", &other_key, "pwd\n").unwrap();
    assert!(!out.status.success(), "{out:?}");
}
