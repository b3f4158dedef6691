//! `konbit reconcile` run for real. This build has no provisioners yet, so
//! queued rows must stay as they are, and the dry run must show them.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_konbit");

/// Runs the binary against `config`, with nothing inherited from the shell
/// that could change its behaviour; returns (exit code, stdout).
fn run(root: &Path, config: &Path, args: &[&str]) -> (i32, String) {
    let mut c = Command::new(BIN);
    c.args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KONBIT_") {
            c.env_remove(&key);
        }
    }
    c.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .env("RUST_LOG", "warn")
        .env("KONBIT_CONFIG", config)
        .current_dir(root);
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn reconcile_once_and_dry_run() {
    let dir = tempfile::Builder::new()
        .prefix("konbit-cli-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    let state = root.join("state");
    let config = state.join("konbit.toml");
    let ok = |args: &[&str]| {
        let (code, out) = run(root, &config, args);
        assert_eq!(code, 0, "konbit {args:?} failed: {out}");
        out
    };
    ok(&["init", "--state-dir", state.to_str().unwrap()]);
    let json = |args: &[&str]| -> Value {
        serde_json::from_str(&ok(&[&["--output", "json"][..], args].concat())).unwrap()
    };

    let empty = json(&["reconcile", "--dry-run"]);
    assert_eq!(empty["rows"], Value::Array(vec![]));
    assert!(ok(&["reconcile", "--dry-run"]).contains("nothing would change"));

    let created = json(&[
        "account",
        "create",
        "--name",
        "radio",
        "--display-name",
        "Radio",
        "--owner-email",
        "olive@radio.test",
        "--owner-name",
        "Olive",
    ]);
    let id = created["account"]["id"].clone();

    let plan = json(&["reconcile", "--dry-run"]);
    let rows = plan["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{plan:#}");
    assert_eq!(rows[0]["kind"], "account");
    assert_eq!(rows[0]["object_id"], id);
    assert_eq!(rows[0]["generation"], 1);
    assert_eq!(rows[0]["provisioner"], false);
    assert!(ok(&["reconcile", "--dry-run"]).contains("no provisioner"));

    // No provisioner for accounts: the row stays queued, untouched.
    let report = json(&["reconcile", "--once"]);
    assert_eq!(report["applied"], 0);
    assert_eq!(json(&["reconcile", "--dry-run"]), plan);

    let (code, _) = run(root, &config, &["reconcile"]);
    assert_ne!(code, 0, "without --once or --dry-run it says what to use");
}
