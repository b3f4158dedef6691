//! `konbit doctor`'s mailing list checks, with `[lists] enabled`: Mailman's
//! REST API answers with the configured credentials (its version), and its
//! LMTP runner greets on `lists.lmtp`, where Postfix delivers list mail.

use super::doctor::Check;
use crate::config::Config;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Connecting, and then the greeting.
const LMTP_TIMEOUT: Duration = Duration::from_secs(3);
/// A greeting line is short; the rest is not read.
const GREETING_BYTES: usize = 512;

pub(crate) async fn checks(config: &Config) -> Vec<Check> {
    vec![rest(config).await, lmtp(config.lists.lmtp).await]
}

async fn rest(config: &Config) -> Check {
    let name = "mailman rest api";
    let url = &config.lists.rest_url;
    let client = match config.mailman_client() {
        Ok(c) => c,
        Err(e) => {
            return Check {
                name,
                ok: false,
                detail: e,
            };
        }
    };
    // The client bounds each request in time itself.
    match client.version().await {
        Ok(version) => Check {
            name,
            ok: true,
            detail: format!("{version} at {url}"),
        },
        Err(e) => Check {
            name,
            ok: false,
            detail: format!("{e} (lists.rest_url = {url:?}; is Mailman running?)"),
        },
    }
}

async fn lmtp(addr: SocketAddr) -> Check {
    let name = "mailman lmtp";
    let greeting = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let mut buf = vec![0u8; GREETING_BYTES];
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("{addr}: {e}"))?;
        let line = String::from_utf8_lossy(&buf[..n]);
        let line = line.lines().next().unwrap_or_default().trim().to_owned();
        if line.starts_with("220") {
            Ok(line)
        } else {
            Err(format!("{addr} answered {line:?}, not an LMTP greeting"))
        }
    };
    let detail = match tokio::time::timeout(LMTP_TIMEOUT, greeting).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "{addr}: no greeting within {} s",
            LMTP_TIMEOUT.as_secs()
        )),
    };
    Check {
        name,
        ok: detail.is_ok(),
        detail: detail.unwrap_or_else(|e| format!("{e} (lists.lmtp)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use konbit_testkit::daemon::free_port;
    use konbit_testkit::mailman::{Mailman, MailmanOptions, REQUIRE_ENV};
    use std::os::unix::fs::PermissionsExt;

    /// Against the testkit's real Mailman: both checks pass; with a wrong
    /// password or nothing listening, each says what is wrong.
    #[tokio::test]
    async fn doctor_checks_a_real_mailman() {
        let dir = tempfile::tempdir().unwrap();
        let options = MailmanOptions {
            smtp: SocketAddr::from(([127, 0, 0, 1], free_port().unwrap())),
            smtp_auth: None,
        };
        let Some(mailman) = Mailman::try_start(&dir.path().join("mailman"), options)
            .await
            .unwrap()
        else {
            assert!(
                std::env::var_os(REQUIRE_ENV).is_none(),
                "{REQUIRE_ENV} is set"
            );
            eprintln!("skipped: Mailman 3 is not installed");
            return;
        };
        let state = dir.path().join("state");
        std::fs::create_dir_all(&state).unwrap();
        let password = state.join("rest-password");
        std::fs::write(&password, mailman.rest_password()).unwrap();
        std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
        let toml = dir.path().join("konbit.toml");
        std::fs::write(
            &toml,
            format!(
                "version = 1\nstate_dir = {state:?}\n[lists]\nenabled = true\n\
                 rest_url = {:?}\nrest_password_file = \"rest-password\"\nlmtp = \"{}\"\n",
                mailman.rest_url(),
                mailman.lmtp_addr()
            ),
        )
        .unwrap();
        let (mut config, _) = Config::load(Some(&toml)).unwrap();

        let checks = checks(&config).await;
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        assert!(checks[0].detail.contains("Mailman 3."), "{checks:?}");
        assert!(checks[1].detail.contains("LMTP"), "{checks:?}");

        std::fs::write(&password, "wrong").unwrap();
        let c = rest(&config).await;
        assert!(!c.ok && c.detail.contains("credentials"), "{c:?}");

        config.lists.lmtp = SocketAddr::from(([127, 0, 0, 1], free_port().unwrap()));
        let c = lmtp(config.lists.lmtp).await;
        assert!(!c.ok && c.detail.contains("cannot connect"), "{c:?}");
    }
}
