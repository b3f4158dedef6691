//! `konbit doctor` against a real PowerDNS: ok while it answers, a clear
//! failure (exit 1) once it is stopped.

use crate::cli::Konbit;
use konbit_testkit::pdns::PowerDns;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_says_whether_powerdns_answers() {
    let k = Konbit::init();
    let Some(mut pdns) = PowerDns::try_start(&k.root.join("pdns")).await.unwrap() else {
        return;
    };
    let doctor = |pdns: &PowerDns| {
        let database = pdns.database().to_str().unwrap().to_owned();
        let address = pdns.addr().to_string();
        k.run_env(
            &["doctor"],
            &[
                ("KONBIT_DNS__PDNS_DATABASE", &database),
                ("KONBIT_DNS__PDNS_ADDRESS", &address),
                (
                    "KONBIT_DNS__NAMESERVERS",
                    r#"["ns1.coop.test","ns2.coop.test"]"#,
                ),
            ],
        )
    };
    let out = doctor(&pdns);
    let text = out.ok();
    assert!(text.contains("ok   powerdns: answers on"), "{text}");
    assert!(text.contains("ok   powerdns database"), "{text}");

    pdns.stop();
    let out = doctor(&pdns);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("FAIL powerdns: no answer"), "{out:?}");
}
