//! `konbit doctor` against a real PowerDNS: ok while it answers, a clear
//! failure (exit 1) once it is stopped.

use konbit_testkit::pdns::PowerDns;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_konbit");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_says_whether_powerdns_answers() {
    let dir = tempfile::Builder::new()
        .prefix("konbit-doctor-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    let Some(mut pdns) = PowerDns::try_start(&root.join("pdns")).await.unwrap() else {
        return;
    };
    let state = root.join("state");
    let init = Command::new(BIN)
        .args(["init", "--state-dir", state.to_str().unwrap()])
        .env_remove("KONBIT_CONFIG")
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let doctor = |pdns: &PowerDns| {
        let out = Command::new(BIN)
            .args(["doctor"])
            .env("KONBIT_CONFIG", state.join("konbit.toml"))
            .env("KONBIT_DNS__PDNS_DATABASE", pdns.database())
            .env("KONBIT_DNS__PDNS_ADDRESS", pdns.addr().to_string())
            .env(
                "KONBIT_DNS__NAMESERVERS",
                r#"["ns1.coop.test","ns2.coop.test"]"#,
            )
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = doctor(&pdns);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("ok   powerdns: answers on"), "{out}");
    assert!(out.contains("ok   powerdns database"), "{out}");

    pdns.stop();
    let (code, out) = doctor(&pdns);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL powerdns: no answer"), "{out}");
}
