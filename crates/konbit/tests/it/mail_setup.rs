//! `konbit mail-server setup`, run for real as root on a temp state
//! directory: the errors name the configuration key, and the files it
//! writes pass Postfix's, Dovecot's and OpenDKIM's own checks. Skipped
//! (unless `REQUIRE_MAIL_TESTS=1`) where the mail daemons are not
//! installed or the tests do not run as root.

use crate::cli::Konbit;
use konbit_testkit::mail::{MailOptions, MailServer};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// Loopback ports nothing has to listen on: the daemons are not started.
const SERVER: &str = r#"
[mail.server]
hostname = "mx.konbit.test"
mx = "127.0.0.1:12525"
submission = "127.0.0.1:15587"
submissions = "127.0.0.1:15465"
internal = "127.0.0.1:20025"
imap = "127.0.0.1:11143"
imaps = "127.0.0.1:11993"
maillog = "mail/postfix/maillog"
dovecot_log = "mail/dovecot/dovecot.log"
# The state is under /tmp, which anyone may write to.
dkim_require_safe_keys = false
"#;

fn append(k: &Konbit, text: &str) {
    let mut config = std::fs::read_to_string(&k.config).unwrap();
    config.push_str(text);
    std::fs::write(&k.config, config).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

/// Runs a checker; panics with its output unless it succeeds.
fn passes(program: &str, args: &[&Path]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_writes_files_the_daemons_accept_and_names_bad_keys() {
    if !MailServer::available_with(&MailOptions { dkim: true }).unwrap() {
        return;
    }
    let k = Konbit::init();
    // The daemons' users pass through the temp dir and the state directory.
    std::fs::set_permissions(&k.root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&k.state, std::fs::Permissions::from_mode(0o711)).unwrap();

    let err = k.run(&["mail-server", "setup"]).fails(1).to_owned();
    assert!(err.contains("mail.server.hostname"), "{err}");

    append(&k, "\n[mail]\nenabled = true\n");
    append(&k, &SERVER.replace("127.0.0.1:20025", "192.0.2.1:20025"));
    let err = k.run(&["mail-server", "setup"]).fails(1).to_owned();
    assert!(err.contains("mail.server.internal"), "{err}");
    assert!(err.contains("loopback"), "{err}");

    let config = std::fs::read_to_string(&k.config)
        .unwrap()
        .replace("192.0.2.1:20025", "127.0.0.1:20025");
    std::fs::write(&k.config, config).unwrap();
    let err = k.run(&["mail-server", "setup"]).fails(1).to_owned();
    assert!(err.contains("mail.server.tls_cert"), "{err}");
    assert!(err.contains("--self-signed"), "{err}");

    let report = k.json(&["mail-server", "setup", "--self-signed"]);
    assert_eq!(report["self_signed"], true, "{report:#}");
    assert_eq!(report["listeners"]["mx"], "127.0.0.1:12525");
    let start: Vec<&str> = report["start"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(start.len(), 3, "{start:?}");
    assert!(start[0].starts_with("opendkim -x /"), "{start:?}");
    assert!(start[1].starts_with("dovecot -c /"), "{start:?}");
    assert!(
        start[2].starts_with("postfix -c /") && start[2].ends_with(" start"),
        "{start:?}"
    );

    let mail = k.state.join("mail");
    let postfix = mail.join("postfix/etc");
    let dovecot = mail.join("dovecot/dovecot.conf");
    let opendkim = mail.join("dkim/opendkim.conf");
    for file in [
        postfix.join("main.cf"),
        postfix.join("master.cf"),
        postfix.join("sqlite-mailboxes.cf"),
        mail.join("dovecot/dovecot-sql.conf.ext"),
        dovecot.clone(),
        opendkim.clone(),
        mail.join("dkim/KeyTable"),
        mail.join("dkim/SigningTable"),
        mail.join("lookup/lookup.sqlite3"),
        mail.join("tls/cert.pem"),
    ] {
        assert!(file.is_file(), "{} is missing", file.display());
    }
    assert_eq!(mode(&mail.join("tls/key.pem")), 0o600);
    assert_eq!(mode(&mail.join("dovecot/dovecot-sql.conf.ext")), 0o600);
    assert_eq!(mode(&mail.join("lookup")), 0o2770);
    assert_eq!(mode(&mail.join("vmail")), 0o770);
    let master = std::fs::read_to_string(postfix.join("master.cf")).unwrap();
    assert!(master.contains("\n127.0.0.1:12525 inet n - n - - smtpd\n"));
    let dovecot_conf = std::fs::read_to_string(&dovecot).unwrap();
    assert!(dovecot_conf.contains("submission_host = 127.0.0.1:20025\n"));

    // The daemons' own checkers, run here as well.
    passes(
        "/usr/sbin/postfix",
        &[Path::new("-c"), &postfix, Path::new("check")],
    );
    passes(
        "/usr/bin/doveconf",
        &[Path::new("-n"), Path::new("-c"), &dovecot],
    );
    passes(
        "/usr/sbin/opendkim",
        &[Path::new("-n"), Path::new("-x"), &opendkim],
    );

    // Again: nothing to make, the same files.
    let again = k.json(&["mail-server", "setup", "--self-signed"]);
    assert_eq!(again["self_signed"], false, "{again:#}");
    assert_eq!(again["files"], report["files"]);

    // Nothing runs, so nothing reloads; the files are still good.
    let err = k
        .run(&["mail-server", "setup", "--reload"])
        .fails(1)
        .to_owned();
    assert!(err.contains("reloading"), "{err}");
}
