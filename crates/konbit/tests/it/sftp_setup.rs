//! `konbit sftp-server setup`, run for real as root on a temp state
//! directory: it refuses to replace a file it did not write, writes a
//! configuration `proftpd -t` accepts with private host keys and user
//! files, keeps the logins already there when run again; then ProFTPd
//! runs with that configuration (started by the testkit on a free loopback
//! port), `--reload` reaches it, and `konbit doctor` says it serves, and
//! that it does not once stopped. Skipped (prints `SKIPPED`) where
//! ProFTPd is not installed or the tests do not run as root, unless
//! `REQUIRE_SFTP_TESTS=1`.

use crate::cli::{Konbit, Out};
use konbit_testkit::daemon::{Missing, free_port, require_binary, skip_if_missing};
use konbit_testkit::proftpd::{ProFtpd, ProFtpdOptions, REQUIRE_ENV};
use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROFTPD: &str = "/usr/sbin/proftpd";
/// A login as the SFTP provisioner writes it.
const LOGIN_LINE: &str = "radio:!:20007:20007::/srv/homes/radio/radio:/usr/sbin/nologin\n";
/// How long ProFTPd may take to listen again after a reload.
const RELISTEN: Duration = Duration::from_secs(10);

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

/// ProFTPd and root (it switches to each login's uid), or a skip.
fn can_run_proftpd() -> bool {
    let root = if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        Ok(())
    } else {
        Err(anyhow::anyhow!(Missing {
            what: "root privileges (ProFTPd's master runs as root)".to_owned(),
            install: "run the tests as root, as CI does".to_owned(),
        }))
    };
    let found = require_binary(PROFTPD, "proftpd-core").and(root);
    skip_if_missing(found, REQUIRE_ENV).unwrap().is_some()
}

/// `konbit init`'s file with `[sftp]` after it: ProFTPd's own files in
/// `ftp_dir`, where the testkit expects its pid file and system log.
fn configure(k: &Konbit, base: &str, ftp_dir: &Path, port: u16) {
    let d = ftp_dir.display();
    let sftp = format!(
        r#"
[sftp]
enabled = true
listen = "127.0.0.1:{port}"
proftpd_conf = "{d}/proftpd.conf"
run_dir = "{d}/run"
log = "{d}/proftpd.log"
"#
    );
    std::fs::write(&k.config, format!("{base}{sftp}")).unwrap();
}

/// `konbit doctor` with only the state and the SFTP checks.
fn doctor(k: &Konbit) -> (Out, Value) {
    let out = k.run_env(
        &["--output", "json", "doctor"],
        &[("KONBIT_DNS__ENABLED", "false")],
    );
    let report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor's stdout is not JSON ({e}): {out:#?}"));
    (out, report)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {report:#}"))
}

fn paths(report: &Value, key: &str) -> Vec<PathBuf> {
    report[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {report:#}"))
        .iter()
        .map(|p| PathBuf::from(p.as_str().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_writes_what_proftpd_serves_and_doctor_sees_it() {
    if !can_run_proftpd() {
        return;
    }
    // Shared with the testkit's `render`, which must own what it uses.
    let k = Arc::new(Konbit::init());
    let base = std::fs::read_to_string(&k.config).unwrap();
    let ftp_dir = k.root.join("proftpd");
    std::fs::create_dir_all(&ftp_dir).unwrap();
    let ftp_dir = std::fs::canonicalize(&ftp_dir).unwrap();
    configure(&k, &base, &ftp_dir, free_port().unwrap());
    let conf = ftp_dir.join("proftpd.conf");
    let setup = ["--output", "json", "sftp-server", "setup"];

    // A file Konbit did not write is left alone.
    std::fs::write(&conf, "# the operator's\n").unwrap();
    let err = k.run(&setup).fails(1).to_owned();
    assert!(err.contains("not written by Konbit"), "{err}");
    assert!(err.contains("sftp.proftpd_conf"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        "# the operator's\n"
    );
    std::fs::remove_file(&conf).unwrap();

    let report = k.run(&setup).json();
    assert_eq!(
        report["files"]["conf"],
        conf.to_str().unwrap(),
        "{report:#}"
    );
    let files = &report["files"];
    let user_file = PathBuf::from(files["user_file"].as_str().unwrap());
    let group_file = PathBuf::from(files["group_file"].as_str().unwrap());
    let keys_dir = PathBuf::from(files["keys_dir"].as_str().unwrap());
    assert_eq!(user_file, k.state.join("sftp/passwd"));
    let host_keys = paths(files, "host_keys");
    assert_eq!(paths(&report, "host_keys_made"), host_keys);
    for key in &host_keys {
        assert_eq!(mode(key), 0o600, "{}", key.display());
    }
    for file in [&user_file, &group_file] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&keys_dir), 0o700);
    assert_eq!(mode(&ftp_dir.join("run")) & 0o002, 0);
    let changed = paths(&report, "changed");
    for file in [&conf, &user_file, &group_file] {
        assert!(changed.contains(file), "{}: {report:#}", file.display());
    }
    assert!(
        report["start"]
            .as_str()
            .unwrap()
            .ends_with(&format!("-n -c {}", conf.display())),
        "{report:#}"
    );
    // ProFTPd's own check, run here as well.
    let t = std::process::Command::new(PROFTPD)
        .arg("-t")
        .arg("-c")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(t.status.success(), "proftpd -t: {t:?}");

    // Logins written since (by the provisioner) stay; nothing else moves.
    let mut users = std::fs::read_to_string(&user_file).unwrap();
    users.push_str(LOGIN_LINE);
    std::fs::write(&user_file, &users).unwrap();
    let again = k.run(&setup).json();
    assert_eq!(paths(&again, "changed"), Vec::<PathBuf>::new(), "{again:#}");
    assert_eq!(paths(&again, "host_keys_made"), Vec::<PathBuf>::new());
    assert_eq!(std::fs::read_to_string(&user_file).unwrap(), users);
    // Not running: nothing to reload, and that is not an error.
    let not_running = k
        .run(&["--output", "json", "sftp-server", "setup", "--reload"])
        .json();
    assert_eq!(not_running["not_running"], true, "{not_running:#}");
    assert_eq!(not_running["reloaded"], false);

    // ProFTPd with the configuration setup writes for the port the
    // testkit picks.
    let opts = ProFtpdOptions {
        auth_user_file: user_file.clone(),
        auth_group_file: group_file.clone(),
        authorized_keys_dir: keys_dir.clone(),
    };
    let render = {
        let (k, base, ftp_dir, conf) = (k.clone(), base.clone(), ftp_dir.clone(), conf.clone());
        move |port: u16, _testkit_keys: &[PathBuf]| {
            configure(&k, &base, &ftp_dir, port);
            k.run(&["sftp-server", "setup"]).ok();
            std::fs::read_to_string(&conf).unwrap()
        }
    };
    let mut ftp = ProFtpd::try_start_rendered(&ftp_dir, opts, &render)
        .await
        .unwrap()
        .expect("ProFTPd and root were found above");

    let (out, report) = doctor(&k);
    assert_eq!(out.code, 0, "{out:#?}\n{}", ftp.logs());
    assert_eq!(check(&report, "proftpd configuration")["ok"], true);
    let user = check(&report, "sftp user file");
    assert_eq!(user["ok"], true, "{report:#}");
    assert!(
        user["detail"].as_str().unwrap().contains("1 login"),
        "{report:#}"
    );
    let listener = check(&report, "sftp listener");
    assert_eq!(listener["ok"], true, "{report:#}");
    let detail = listener["detail"].as_str().unwrap();
    assert!(detail.contains(&ftp.addr().to_string()), "{detail}");
    assert!(detail.contains("SSH-2.0-"), "{detail}");

    // The running ProFTPd reads its configuration again, and still serves.
    let reloaded = k
        .run(&["--output", "json", "sftp-server", "setup", "--reload"])
        .json();
    assert_eq!(reloaded["reloaded"], true, "{reloaded:#}");
    let started = Instant::now();
    loop {
        let (out, report) = doctor(&k);
        if out.code == 0 {
            break;
        }
        assert!(
            started.elapsed() < RELISTEN,
            "not serving after the reload: {report:#}\n{}",
            ftp.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ftp.daemon().is_running(), "{}", ftp.logs());

    ftp.stop();
    let (out, report) = doctor(&k);
    assert_eq!(out.code, 1, "{out:#?}");
    let listener = check(&report, "sftp listener");
    assert_eq!(listener["ok"], false, "{report:#}");
    assert!(
        listener["detail"].as_str().unwrap().contains("refused"),
        "{report:#}"
    );
    // The files are still right; only the listener is missing.
    assert_eq!(check(&report, "proftpd configuration")["ok"], true);
    assert_eq!(check(&report, "sftp user file")["ok"], true);

    // A user file others may read is reported.
    std::fs::set_permissions(&user_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_, report) = doctor(&k);
    let user = check(&report, "sftp user file");
    assert_eq!(user["ok"], false, "{report:#}");
    assert!(
        user["detail"].as_str().unwrap().contains("chmod 600"),
        "{report:#}"
    );
}
