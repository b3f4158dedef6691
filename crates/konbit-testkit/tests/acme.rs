//! Konbit's ACME client against a real pebble: issuance (validation
//! skipped with `PEBBLE_VA_ALWAYS_VALID`), the chain verifying against
//! pebble's issuing root, account reuse and re-registration after pebble
//! forgot the account, `badNonce` storms, and a failed validation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use konbit_provision::acme::{AcmeClient, AcmeError, AcmeSettings, cert};
use konbit_testkit::daemon::{free_port, run_bounded};
use konbit_testkit::pebble::{Pebble, PebbleOptions};

fn settings(pebble: &Pebble, dir: &Path) -> AcmeSettings {
    AcmeSettings {
        directory_url: pebble.directory_url(),
        contact_email: Some("admin@example.test".to_owned()),
        extra_roots_pem: Some(pebble.ca_cert_path().to_path_buf()),
        account_file: dir.join("acme/account.json"),
        challenge_dir: dir.join("challenges"),
        timeout: Duration::from_secs(60),
    }
}

fn always_valid() -> PebbleOptions {
    PebbleOptions {
        always_valid: true,
        ..PebbleOptions::default()
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

/// Run a program, return its stdout; panics with its output if it fails.
fn run(program: &str, args: &[&std::ffi::OsStr]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let out = run_bounded(cmd, Duration::from_secs(30)).unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `openssl x509 -noout -startdate -enddate` of `pem`, through `date`, as
/// Unix times: a cross-check of the client's own DER reading.
fn openssl_validity(pem: &Path) -> (i64, i64) {
    let out = run(
        "openssl",
        &[
            "x509".as_ref(),
            "-noout".as_ref(),
            "-startdate".as_ref(),
            "-enddate".as_ref(),
            "-in".as_ref(),
            pem.as_os_str(),
        ],
    );
    let date = |key: &str| -> i64 {
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {out}"));
        // e.g. `Nov 22 12:00:00 2031 GMT`
        run(
            "date",
            &["-u".as_ref(), "-d".as_ref(), line.as_ref(), "+%s".as_ref()],
        )
        .trim()
        .parse()
        .unwrap()
    };
    (date("notBefore="), date("notAfter="))
}

/// Check the chain against pebble's issuing root with `openssl verify`,
/// the key against the certificate, and the validity against openssl's.
async fn check_issued(
    pebble: &Pebble,
    dir: &Path,
    issued: &konbit_provision::acme::IssuedCertificate,
) {
    let blocks = cert::split_pem_chain(&issued.chain_pem).unwrap();
    assert!(blocks.len() >= 2, "{}", issued.chain_pem);
    let root = write(dir, "root.pem", &pebble.issuing_roots().await.unwrap());
    let leaf = write(dir, "leaf.pem", &format!("{}\n", blocks[0]));
    let intermediates = write(
        dir,
        "intermediates.pem",
        &format!("{}\n", blocks[1..].join("\n")),
    );
    let verified = run(
        "openssl",
        &[
            "verify".as_ref(),
            "-CAfile".as_ref(),
            root.as_os_str(),
            "-untrusted".as_ref(),
            intermediates.as_os_str(),
            leaf.as_os_str(),
        ],
    );
    assert_eq!(verified.trim(), format!("{}: OK", leaf.display()));

    // The key is the certificate's, an ECDSA P-256 key.
    let key = write(dir, "key.pem", &issued.key_pem);
    let cert_pub = run(
        "openssl",
        &[
            "x509".as_ref(),
            "-noout".as_ref(),
            "-pubkey".as_ref(),
            "-in".as_ref(),
            leaf.as_os_str(),
        ],
    );
    let key_pub = run(
        "openssl",
        &[
            "pkey".as_ref(),
            "-pubout".as_ref(),
            "-in".as_ref(),
            key.as_os_str(),
        ],
    );
    assert_eq!(cert_pub, key_pub);
    let key_text = run(
        "openssl",
        &[
            "pkey".as_ref(),
            "-noout".as_ref(),
            "-text".as_ref(),
            "-in".as_ref(),
            key.as_os_str(),
        ],
    );
    assert!(key_text.contains("prime256v1"), "{key_text}");

    assert_eq!(
        openssl_validity(&leaf),
        (issued.not_before, issued.not_after)
    );
    assert!(issued.not_after > now());
    assert!(issued.not_before <= now() + 60);
}

fn challenge_files(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn pebble_issues_a_chain_that_verifies_against_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pebble) = Pebble::try_start(dir.path(), &always_valid())
        .await
        .unwrap()
    else {
        return;
    };
    let s = settings(&pebble, dir.path());

    let started = Instant::now();
    let client = AcmeClient::new(s.clone()).await.unwrap();
    let registered = started.elapsed();
    let started = Instant::now();
    let issued = client
        .issue(&names(&["site.test", "www.site.test"]))
        .await
        .unwrap();
    let issuance = started.elapsed();
    eprintln!("TIMING: account {registered:?}, issuance {issuance:?}");
    assert!(!format!("{issued:?}").contains("PRIVATE KEY"));

    check_issued(&pebble, dir.path(), &issued).await;
    let leaf = dir.path().join("leaf.pem");
    let text = run(
        "openssl",
        &[
            "x509".as_ref(),
            "-noout".as_ref(),
            "-text".as_ref(),
            "-in".as_ref(),
            leaf.as_os_str(),
        ],
    );
    assert!(text.contains("DNS:site.test"), "{text}");
    assert!(text.contains("DNS:www.site.test"), "{text}");

    // The tokens were written, and removed.
    assert!(s.challenge_dir.is_dir());
    assert_eq!(challenge_files(&s.challenge_dir), Vec::<String>::new());

    // The account is kept, private.
    let mode = std::fs::metadata(&s.account_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let saved = std::fs::read_to_string(&s.account_file).unwrap();
    assert!(saved.contains(&pebble.directory_url()), "{saved}");

    // A second client reuses it.
    let again = AcmeClient::new(s.clone()).await.unwrap();
    assert_eq!(again.account_id(), client.account_id());
    assert_eq!(std::fs::read_to_string(&s.account_file).unwrap(), saved);
    let issued = again.issue(&names(&["other.test"])).await.unwrap();
    assert!(issued.not_after > now());
}

#[tokio::test]
async fn a_forgotten_account_is_registered_again() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut pebble) = Pebble::try_start(dir.path(), &always_valid())
        .await
        .unwrap()
    else {
        return;
    };
    let s = settings(&pebble, dir.path());
    let client = AcmeClient::new(s.clone()).await.unwrap();
    let first_account = client.account_id();
    client.issue(&names(&["site.test"])).await.unwrap();

    // pebble forgets everything when it restarts.
    pebble.restart().await.unwrap();
    let issued = client.issue(&names(&["site.test"])).await.unwrap();
    check_issued(&pebble, dir.path(), &issued).await;
    assert_ne!(client.account_id(), first_account);
    let saved = std::fs::read_to_string(&s.account_file).unwrap();
    assert!(saved.contains(&client.account_id()), "{saved}");

    // A client started from the file uses the new account.
    let again = AcmeClient::new(s.clone()).await.unwrap();
    assert_eq!(again.account_id(), client.account_id());

    // A file for another CA (another directory URL) is replaced.
    let mut other = s.clone();
    other.directory_url = format!("https://localhost:{}/dir", pebble.port());
    let moved = AcmeClient::new(other.clone()).await.unwrap();
    assert_ne!(moved.account_id(), client.account_id());
    let saved = std::fs::read_to_string(&s.account_file).unwrap();
    assert!(saved.contains(&other.directory_url), "{saved}");
}

#[tokio::test]
async fn bad_nonces_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let options = PebbleOptions {
        nonce_reject_percent: Some(30),
        ..always_valid()
    };
    let Some(pebble) = Pebble::try_start(dir.path(), &options).await.unwrap() else {
        return;
    };
    let client = AcmeClient::new(settings(&pebble, dir.path()))
        .await
        .unwrap();
    for i in 0..3 {
        let name = format!("n{i}.site.test");
        client.issue(&[name]).await.unwrap();
    }
    let log = pebble.daemon().log();
    assert!(
        log.contains("Configured to reject 30% of good nonces"),
        "{log}"
    );
}

#[tokio::test]
async fn a_failed_validation_is_the_cas_reason_and_leaves_no_token() {
    let dir = tempfile::tempdir().unwrap();
    // The VA resolves names through a port where no DNS server listens.
    let dead_dns: SocketAddr = ([127, 0, 0, 1], free_port().unwrap()).into();
    let options = PebbleOptions {
        dns_server: Some(dead_dns),
        http_port: free_port().unwrap(),
        ..PebbleOptions::default()
    };
    let Some(pebble) = Pebble::try_start(dir.path(), &options).await.unwrap() else {
        return;
    };
    let s = settings(&pebble, dir.path());
    let client = AcmeClient::new(s.clone()).await.unwrap();
    let started = Instant::now();
    let err = client.issue(&names(&["site.test"])).await.unwrap_err();
    eprintln!("TIMING: failed validation {:?}: {err}", started.elapsed());
    match &err {
        AcmeError::Ca {
            problem_type: Some(t),
            detail,
        } => {
            assert!(t.starts_with("urn:ietf:params:acme:error:"), "{err:?}");
            assert!(detail.contains("site.test"), "{err:?}");
        }
        other => panic!("not the CA's reason: {other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(challenge_files(&s.challenge_dir), Vec::<String>::new());
}

#[tokio::test]
async fn a_stopped_ca_is_a_transient_error() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut pebble) = Pebble::try_start(dir.path(), &always_valid())
        .await
        .unwrap()
    else {
        return;
    };
    let mut s = settings(&pebble, dir.path());
    s.timeout = Duration::from_secs(10);
    let client = AcmeClient::new(s.clone()).await.unwrap();
    pebble.stop();
    let err = client.issue(&names(&["site.test"])).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(matches!(err, AcmeError::Network(_)), "{err:?}");
    assert_eq!(challenge_files(&s.challenge_dir), Vec::<String>::new());
    // Not trusting pebble's listener CA: refused before any account.
    pebble.restart().await.unwrap();
    let mut untrusted = s.clone();
    untrusted.extra_roots_pem = None;
    untrusted.account_file = dir.path().join("other/account.json");
    let err = AcmeClient::new(untrusted.clone()).await.unwrap_err();
    assert!(
        matches!(&err, AcmeError::Network(m) if m.contains("certificate")),
        "{err:?}"
    );
    assert!(!untrusted.account_file.exists());
}

/// A minimal HTTP server for http-01: `GET /.well-known/acme-challenge/T`
/// answers the file `dir/T` (200) or 404. Returns the port and a count of
/// the tokens served.
async fn challenge_responder(
    dir: PathBuf,
) -> (
    u16,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    let task = tokio::spawn(async move {
        // Ends when the test aborts the task; each connection is bounded.
        while let Ok((mut stream, _)) = listener.accept().await {
            let dir = dir.clone();
            let count = count.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                let read = tokio::time::timeout(Duration::from_secs(5), async {
                    while request.len() < 8192 && !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                })
                .await;
                if read.is_err() {
                    return;
                }
                let text = String::from_utf8_lossy(&request);
                let path = text.split(' ').nth(1).unwrap_or("");
                let body = path
                    .strip_prefix("/.well-known/acme-challenge/")
                    .filter(|t| {
                        !t.is_empty()
                            && t.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
                    })
                    .and_then(|t| std::fs::read(dir.join(t)).ok());
                let response = match body {
                    Some(body) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&body);
                        r
                    }
                    None => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = stream.write_all(&response).await;
            });
        }
    });
    (port, served, task)
}

#[tokio::test]
async fn http_01_is_validated_for_real_on_localhost() {
    // pebble's VA resolves `localhost` through /etc/hosts, so a real http-01
    // check needs no DNS server.
    let dir = tempfile::tempdir().unwrap();
    let challenge_dir = dir.path().join("challenges");
    let (http_port, served, responder) = challenge_responder(challenge_dir.clone()).await;
    let options = PebbleOptions {
        http_port,
        ..PebbleOptions::default()
    };
    let Some(pebble) = Pebble::try_start(dir.path(), &options).await.unwrap() else {
        responder.abort();
        return;
    };
    let s = settings(&pebble, dir.path());
    assert_eq!(s.challenge_dir, challenge_dir);
    let client = AcmeClient::new(s.clone()).await.unwrap();
    let started = Instant::now();
    let result = client.issue(&names(&["localhost"])).await;
    eprintln!("TIMING: real http-01 issuance {:?}", started.elapsed());
    responder.abort();
    let issued = result.unwrap();
    assert!(served.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    check_issued(&pebble, dir.path(), &issued).await;
    assert_eq!(challenge_files(&s.challenge_dir), Vec::<String>::new());
}
