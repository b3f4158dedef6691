//! SFTP logins made through the API, used with OpenSSH's `sftp` against
//! the real ProFTPd.

use super::{HostingEnv, Options, sftp_body};
use reqwest::Method;
use serde_json::json;
use std::os::unix::fs::MetadataExt;
use std::process::Output;

const PASSWORD: &str = "Upload-2026-garden";

async fn env() -> Option<HostingEnv> {
    HostingEnv::start(Options {
        sftp: true,
        ..Options::default()
    })
    .await
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the session logged in (sftp prints its prompt echo only then).
fn logged_in(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stdout).contains("sftp>")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_lands_in_the_login_directory_owned_by_the_account_and_downloads_back() {
    let Some(env) = env().await else { return };
    let v = env
        .call(
            Method::POST,
            "/api/v1/sftp-accounts",
            sftp_body("web", "www", PASSWORD, &[]),
            201,
        )
        .await;
    let id = v["id"].as_i64().unwrap();
    assert_eq!(v["login"], "radio_web");
    env.until_applied(&format!("/api/v1/sftp-accounts/{id}"))
        .await;

    let local = tempfile::tempdir().unwrap();
    let upload = local.path().join("index.html");
    std::fs::write(&upload, "<h1>Radio</h1>\n").unwrap();
    let back = local.path().join("back.html");
    let out = env
        .ftp()
        .sftp_password(
            "radio_web",
            PASSWORD,
            &format!(
                "put {} index.html\nget index.html {}\n",
                upload.display(),
                back.display()
            ),
        )
        .unwrap();
    assert!(logged_in(&out), "{}", text(&out));

    let landed = env.home("radio").join("www/index.html");
    let meta = std::fs::metadata(&landed).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(
        meta.uid(),
        env.uid(env.radio),
        "owner of {}",
        landed.display()
    );
    assert_eq!(std::fs::read(&back).unwrap(), b"<h1>Radio</h1>\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chroot_holds_against_dot_dot_absolute_paths_and_links() {
    let Some(env) = env().await else { return };
    let v = env
        .call(
            Method::POST,
            "/api/v1/sftp-accounts",
            sftp_body("web", "www", PASSWORD, &[]),
            201,
        )
        .await;
    env.until_applied(&format!("/api/v1/sftp-accounts/{}", v["id"]))
        .await;
    // Something of the account's beside the chroot, and of the system.
    std::fs::write(env.home("radio").join("beside.txt"), "not for this login").unwrap();

    let local = tempfile::tempdir().unwrap();
    let out = env
        .ftp()
        .sftp_password(
            "radio_web",
            PASSWORD,
            &format!(
                "cd ..\nls -1 -a\ncd /\nls -1 -a /\nget /etc/passwd {dir}/passwd\nget ../beside.txt {dir}/beside\n\
                 symlink /etc/passwd escape\nget escape {dir}/escape\nsymlink .. up\nls -1 up/\n",
                dir = local.path().display()
            ),
        )
        .unwrap();
    assert!(logged_in(&out), "{}", text(&out));
    // What the listings showed, without sftp's echo of the commands.
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("sftp>") && !l.starts_with("Fetching"))
        .map(str::to_owned)
        .collect();
    for outside in ["beside.txt", "etc", "homes", "proc"] {
        assert!(
            !listed.iter().any(|l| l.contains(outside)),
            "{outside} listed: {}",
            text(&out)
        );
    }
    // sftp may leave an empty local file behind a failed fetch.
    for fetched in ["passwd", "beside", "escape"] {
        let got = std::fs::read_to_string(local.path().join(fetched)).unwrap_or_default();
        assert!(
            !got.contains("root:") && !got.contains("not for this login"),
            "{fetched} was fetched: {got}\n{}",
            text(&out)
        );
    }

    // A directory the account replaced with a link to the system: ProFTPd
    // 1.3.8's SFTP would chroot into the link's target whatever
    // `AllowChrootSymlinks` says, so the provisioner refuses that login,
    // naming the reason, and it never gets in.
    std::os::unix::fs::symlink("/etc", env.home("radio").join("linked")).unwrap();
    let v = env
        .call(
            Method::POST,
            "/api/v1/sftp-accounts",
            sftp_body("linked", "linked", PASSWORD, &[]),
            201,
        )
        .await;
    let path = format!("/api/v1/sftp-accounts/{}", v["id"]);
    let mut failed = serde_json::Value::Null;
    for _ in 0..200 {
        failed = env.api.get(&path).await.unwrap().json().await.unwrap();
        if failed["status"]["state"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(failed["status"]["state"], "failed", "{failed:#}");
    assert!(
        failed["status"]["last_error"]
            .as_str()
            .unwrap()
            .contains("is a link"),
        "{failed:#}"
    );
    let out = env
        .ftp()
        .sftp_password("radio_linked", PASSWORD, "ls -1 -a\n")
        .unwrap();
    assert!(!logged_in(&out), "{}\n{}", text(&out), env.ftp().logs());
    // The account's other login is still served.
    let out = env
        .ftp()
        .sftp_password("radio_web", PASSWORD, "pwd\n")
        .unwrap();
    assert!(logged_in(&out), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_login_is_refused_and_enabled_again_logs_in() {
    let Some(env) = env().await else { return };
    let v = env
        .call(
            Method::POST,
            "/api/v1/sftp-accounts",
            sftp_body("web", "", PASSWORD, &[]),
            201,
        )
        .await;
    let path = format!("/api/v1/sftp-accounts/{}", v["id"]);
    env.until_applied(&path).await;
    let out = env
        .ftp()
        .sftp_password("radio_web", PASSWORD, "pwd\n")
        .unwrap();
    assert!(logged_in(&out), "{}", text(&out));

    env.call(Method::POST, &format!("{path}/disable"), json!({}), 200)
        .await;
    env.until_applied(&path).await;
    let out = env
        .ftp()
        .sftp_password("radio_web", PASSWORD, "pwd\n")
        .unwrap();
    assert!(!logged_in(&out), "a disabled login got in: {}", text(&out));

    env.call(Method::POST, &format!("{path}/enable"), json!({}), 200)
        .await;
    env.until_applied(&path).await;
    let out = env
        .ftp()
        .sftp_password("radio_web", PASSWORD, "pwd\n")
        .unwrap();
    assert!(logged_in(&out), "{}", text(&out));

    // A wrong password never gets in.
    let out = env
        .ftp()
        .sftp_password("radio_web", "Wrong-password-2026", "pwd\n")
        .unwrap();
    assert!(!logged_in(&out), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_logs_in_and_a_deleted_login_is_refused() {
    let Some(env) = env().await else { return };
    let keys = tempfile::tempdir().unwrap();
    let (private, public) = konbit_testkit::proftpd::generate_client_key(keys.path()).unwrap();
    let v = env
        .call(
            Method::POST,
            "/api/v1/sftp-accounts",
            sftp_body("deploy", "www", "", &[public.trim()]),
            201,
        )
        .await;
    assert_eq!(v["has_password"], false);
    let path = format!("/api/v1/sftp-accounts/{}", v["id"]);
    env.until_applied(&path).await;

    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("deploy.txt");
    std::fs::write(&file, "v1").unwrap();
    let out = env
        .ftp()
        .sftp_key(
            "radio_deploy",
            &private,
            &format!("put {} deploy.txt\n", file.display()),
        )
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let landed = env.home("radio").join("www/deploy.txt");
    assert_eq!(
        std::fs::metadata(&landed).unwrap().uid(),
        env.uid(env.radio)
    );

    // Keys only: no password opens it.
    let out = env
        .ftp()
        .sftp_password("radio_deploy", PASSWORD, "pwd\n")
        .unwrap();
    assert!(!logged_in(&out), "{}", text(&out));

    // Another account's key does not open it either.
    let other = tempfile::tempdir().unwrap();
    let (stranger, _) = konbit_testkit::proftpd::generate_client_key(other.path()).unwrap();
    let out = env
        .ftp()
        .sftp_key("radio_deploy", &stranger, "pwd\n")
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));

    env.call(Method::DELETE, &path, json!({}), 204).await;
    let mut refused = false;
    for _ in 0..100 {
        let out = env
            .ftp()
            .sftp_key("radio_deploy", &private, "pwd\n")
            .unwrap();
        if !out.status.success() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refused, "a deleted login still logs in");
    // The files stay with the account.
    assert!(landed.exists());
}
