//! The `konbit` binary, run for real: each test has its own state directory
//! and configuration file, and a clean environment (no `KONBIT_*` from the
//! shell that runs the tests, English unless a test asks for French).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use konbit_testkit::TestApp;
use konbit_testkit::app::http_client;
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_konbit");
const PASSWORD: &str = "a long enough password";

/// What a run of the binary did.
#[derive(Debug)]
pub(crate) struct Out {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    /// Asserts success and returns standard output.
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        &self.stdout
    }

    /// Asserts success and parses standard output as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(self.ok())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// Asserts this exit code and returns standard error.
    pub(crate) fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "expected exit code {code}: {self:#?}");
        assert!(
            !self.stderr.trim().is_empty(),
            "a failure says why on stderr: {self:#?}"
        );
        &self.stderr
    }
}

/// A temp dir for one test: the state directory and its configuration.
pub(crate) struct Konbit {
    _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    pub(crate) state: PathBuf,
    pub(crate) config: PathBuf,
}

impl Konbit {
    /// A fresh temp dir; nothing is created in it yet.
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("konbit-cli-")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        let state = root.join("state");
        let config = state.join("konbit.toml");
        Self {
            _dir: dir,
            root,
            state,
            config,
        }
    }

    /// A state directory made by `konbit init`.
    pub(crate) fn init() -> Self {
        let k = Self::new();
        k.run(&["init", "--state-dir", k.state.to_str().unwrap()])
            .ok();
        k
    }

    /// The command, with `KONBIT_CONFIG` pointing at this state's file and
    /// nothing inherited that could change its behaviour.
    fn command(&self, args: &[&str]) -> Command {
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
            .env("RUST_LOG", "warn");
        c.env("KONBIT_CONFIG", &self.config);
        c.current_dir(&self.root);
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Out {
        self.run_stdin(args, None)
    }

    pub(crate) fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        output(c, None)
    }

    /// Runs with `input` on standard input (or an empty, closed stdin).
    pub(crate) fn run_stdin(&self, args: &[&str], input: Option<&str>) -> Out {
        output(self.command(args), input)
    }

    /// Runs with `--output json`, asserts success, parses standard output.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        self.run(&[&["--output", "json"][..], args].concat()).json()
    }

    /// Writes a file in the test's directory and returns its path.
    pub(crate) fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.root.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
}

/// Runs a command to its end, within a bounded time. Output goes to
/// anonymous temp files, so a chatty child can never block on a full pipe.
fn output(mut c: Command, input: Option<&str>) -> Out {
    let stdout = tempfile::tempfile().unwrap();
    let stderr = tempfile::tempfile().unwrap();
    c.stdin(Stdio::piped())
        .stdout(stdout.try_clone().unwrap())
        .stderr(stderr.try_clone().unwrap());
    let mut child = c.spawn().expect("the konbit binary starts");
    {
        let mut stdin = child.stdin.take().unwrap();
        if let Some(input) = input {
            stdin.write_all(input.as_bytes()).unwrap();
        }
    }
    let mut status = None;
    for _ in 0..6000 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{c:?} did not finish within 60 s: {}", read_all(stderr));
    };
    Out {
        code: status.code().unwrap_or(-1),
        stdout: read_all(stdout),
        stderr: read_all(stderr),
    }
}

fn read_all(mut f: std::fs::File) -> String {
    use std::io::{Read, Seek};
    let mut s = String::new();
    f.rewind().unwrap();
    f.read_to_string(&mut s).unwrap();
    s
}

/// Whether a message names the configuration file (figment shows it
/// relative to the working directory when it can).
fn names_file(k: &Konbit, message: &str) -> bool {
    let relative = k.config.strip_prefix(&k.root).unwrap();
    message.contains(k.config.to_str().unwrap()) || message.contains(relative.to_str().unwrap())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------- init

#[tokio::test(flavor = "multi_thread")]
async fn init_is_idempotent_and_private_then_migrate_succeeds() {
    let k = Konbit::new();
    let state = k.state.to_str().unwrap();
    let first = k
        .run(&["--output", "json", "init", "--state-dir", state])
        .json();
    assert_eq!(first["created"], true, "{first}");
    assert_eq!(first["config"], k.config.to_str().unwrap());
    assert!(k.config.is_file());
    assert!(
        k.state.join("konbit.db").is_file(),
        "init makes the database"
    );
    assert_eq!(mode(&k.state), 0o700, "the state directory is private");
    assert_eq!(mode(&k.config), 0o600, "the configuration file is private");
    let written = std::fs::read_to_string(&k.config).unwrap();
    assert!(
        written.contains("version = 1") && written.contains(state),
        "{written}"
    );

    // An operator's edit survives a second init.
    let edited = format!("{written}# edited by the operator\n");
    std::fs::write(&k.config, &edited).unwrap();
    let second = k
        .run(&["--output", "json", "init", "--state-dir", state])
        .json();
    assert_eq!(second["created"], false, "{second}");
    assert_eq!(
        std::fs::read_to_string(&k.config).unwrap(),
        edited,
        "the second init keeps the file"
    );
    assert_eq!(mode(&k.state), 0o700);
    assert_eq!(mode(&k.config), 0o600);
    assert!(
        !k.state.join("konbit.toml.tmp").exists(),
        "no temp file is left behind"
    );
    // Init made the default quota profile once, not twice.
    let profiles = k.run(&["--output", "json", "quota-profile", "list"]).json();
    assert_eq!(names(&profiles), ["standard"]);

    let migrated = k.run(&["--output", "json", "migrate"]).json();
    assert!(migrated["known"].as_u64().unwrap() >= 1, "{migrated}");
    assert_eq!(migrated["applied"], migrated["known"], "{migrated}");
    let text = k.run(&["migrate"]);
    assert!(text.ok().contains("up to date"), "{text:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_before_init_say_what_to_do() {
    let k = Konbit::new();
    // No configuration file where KONBIT_CONFIG points.
    let err = k.run(&["account", "list"]);
    let err = err.fails(1);
    assert!(
        err.contains("does not exist") && err.contains("konbit.toml"),
        "{err}"
    );
    // A configuration whose state directory is missing.
    std::fs::create_dir_all(&k.state).unwrap();
    let missing = k.root.join("missing");
    std::fs::write(
        &k.config,
        format!("version = 1\nstate_dir = \"{}\"\n", missing.display()),
    )
    .unwrap();
    let out = k.run(&["account", "list"]);
    let err = out.fails(1);
    assert!(
        err.contains("state_dir") && err.contains("konbit init"),
        "{err}"
    );
    assert!(
        !missing.exists(),
        "nothing is created behind the operator's back"
    );
}

// ---------------------------------------------------------------- admins

#[tokio::test(flavor = "multi_thread")]
async fn admin_create_reads_the_password_from_stdin_and_refuses_duplicates() {
    let k = Konbit::init();
    let out = k.run_stdin(
        &[
            "admin",
            "create",
            "--email",
            "ada@coop.test",
            "--name",
            "Ada Admin",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(out.ok().contains("ada@coop.test"), "{out:#?}");
    assert!(
        !out.stdout.contains(PASSWORD),
        "a password given on stdin is not echoed"
    );

    // The same address again: a conflict, exit code 3, and a clear reason.
    let again = k.run_stdin(
        &[
            "admin",
            "create",
            "--email",
            "ada@coop.test",
            "--name",
            "Ada Again",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    let err = again.fails(3);
    assert!(
        err.contains("E-mail address") && err.contains("already taken"),
        "{err}"
    );
    assert!(again.stdout.is_empty(), "{again:#?}");

    // A password too short: invalid input, exit code 5, naming the field.
    let short = k.run_stdin(
        &[
            "admin",
            "create",
            "--email",
            "bob@coop.test",
            "--name",
            "Bob",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    let err = short.fails(5);
    assert!(err.contains("Password") && err.contains("12"), "{err}");

    // Without --password-stdin a password is made and printed once.
    let made = k
        .run(&[
            "--output",
            "json",
            "admin",
            "create",
            "--email",
            "cleo@coop.test",
            "--name",
            "Cleo",
        ])
        .json();
    assert_eq!(made["email"], "cleo@coop.test");
    let password = made["password"]
        .as_str()
        .expect("the generated password is printed");
    assert!(password.chars().count() >= 12, "{password}");
    // With --password-stdin the JSON carries no password.
    let given = k
        .run_stdin(
            &[
                "--output",
                "json",
                "admin",
                "create",
                "--email",
                "dan@coop.test",
                "--name",
                "Dan",
                "--password-stdin",
            ],
            Some(PASSWORD),
        )
        .json();
    assert_eq!(given["password"], Value::Null);

    let admins = k.run(&["--output", "json", "admin", "list"]).json();
    let emails: Vec<&str> = admins["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 3, "{admins}");
    for e in ["ada@coop.test", "cleo@coop.test", "dan@coop.test"] {
        assert!(emails.contains(&e), "{e} in {emails:?}");
    }
    assert!(
        !admins.to_string().contains("argon2"),
        "no password hash is ever printed"
    );
}

// ---------------------------------------------------------------- accounts, profiles, people

#[tokio::test(flavor = "multi_thread")]
async fn accounts_profiles_and_people() {
    let k = Konbit::init();
    let json = |args: &[&str]| k.run(&[&["--output", "json"][..], args].concat()).json();

    // Quota profiles.
    let small = json(&[
        "quota-profile",
        "create",
        "--name",
        "small",
        "--domains",
        "2",
        "--disk-mb",
        "512",
    ]);
    assert_eq!(
        (
            small["name"].clone(),
            small["limits"]["domains"].clone(),
            small["limits"]["disk_mb"].clone()
        ),
        ("small".into(), 2.into(), 512.into())
    );
    let updated = json(&[
        "quota-profile",
        "update",
        "small",
        "--rename",
        "smaller",
        "--domains",
        "3",
    ]);
    assert_eq!(updated["name"], "smaller");
    assert_eq!(updated["limits"]["domains"], 3);
    assert_eq!(
        updated["limits"]["disk_mb"], 512,
        "limits not given stay as they were"
    );
    assert_eq!(
        names(&json(&["quota-profile", "list"])),
        ["smaller", "standard"]
    );
    let dup = k.run(&["quota-profile", "create", "--name", "standard"]);
    dup.fails(3);

    // An account with a new owner, whose password comes on stdin.
    let created = k.run_stdin(
        &[
            "--output",
            "json",
            "account",
            "create",
            "--name",
            "radio",
            "--display-name",
            "Radio Centre-Ville",
            "--profile",
            "smaller",
            "--owner-email",
            "olive@radio.test",
            "--owner-name",
            "Olive Owner",
            "--owner-password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let created = created.json();
    assert_eq!(created["account"]["name"], "radio");
    assert_eq!(created["account"]["quota_profile_name"], "smaller");
    assert_eq!(
        created["owner_password"],
        Value::Null,
        "a password given on stdin is not printed"
    );
    // Another account, whose new owner gets a generated password.
    let made = json(&[
        "account",
        "create",
        "--name",
        "garden",
        "--display-name",
        "Garden",
        "--owner-email",
        "gus@garden.test",
        "--owner-name",
        "Gus",
    ]);
    assert!(
        made["owner_password"]
            .as_str()
            .is_some_and(|p| p.len() >= 12),
        "{made}"
    );
    // Text output is for people.
    let text = k.run(&[
        "account",
        "create",
        "--name",
        "choir",
        "--display-name",
        "The Choir",
    ]);
    assert!(text.ok().contains("Created account choir"), "{text:#?}");

    let list = json(&["account", "list"]);
    assert_eq!(list["total"], 3, "{list}");
    let mut listed = names(&list["items"]);
    listed.sort();
    assert_eq!(listed, ["choir", "garden", "radio"]);
    assert_eq!(
        names(&json(&["account", "list", "--search", "centre"])["items"]),
        ["radio"]
    );
    let paged = json(&["account", "list", "--per-page", "2", "--page", "2"]);
    assert_eq!(
        (
            paged["total"].clone(),
            paged["items"].as_array().unwrap().len()
        ),
        (3.into(), 1)
    );

    let shown = json(&["account", "show", "radio"]);
    assert_eq!(shown["account"]["display_name"], "Radio Centre-Ville");
    assert!(
        shown["quota"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["resource"] == "domains" && l["limit"] == 3),
        "{shown}"
    );
    k.run(&["account", "show", "nope"]).fails(4);

    // Lock and unlock.
    let locked = json(&["account", "lock", "radio", "--reason", "dues unpaid"]);
    assert_eq!(
        (locked["locked"].clone(), locked["lock_reason"].clone()),
        (true.into(), "dues unpaid".into())
    );
    assert!(k.run(&["account", "list"]).ok().contains("locked"));
    let unlocked = json(&["account", "unlock", "radio"]);
    assert_eq!(unlocked["locked"], false);

    // A profile in use cannot be deleted; an unused one can.
    let in_use = k.run(&["quota-profile", "delete", "smaller"]);
    let err = in_use.fails(3);
    assert!(err.contains("quota profile"), "{err}");
    json(&["quota-profile", "create", "--name", "spare"]);
    assert!(
        k.run(&["quota-profile", "delete", "spare"])
            .ok()
            .contains("spare")
    );
    assert_eq!(
        names(&json(&["quota-profile", "list"])),
        ["smaller", "standard"]
    );
    k.run(&["quota-profile", "delete", "spare"]).fails(4);

    // People.
    let added = k.run_stdin(
        &[
            "--output",
            "json",
            "user",
            "add",
            "--account",
            "radio",
            "--email",
            "milo@radio.test",
            "--name",
            "Milo",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    let added = added.json();
    assert_eq!(
        added["person"]["memberships"][0]["role"], "member",
        "{added}"
    );
    // Someone who already exists needs only the address.
    let gus = json(&[
        "user",
        "add",
        "--account",
        "radio",
        "--email",
        "gus@garden.test",
        "--role",
        "owner",
    ]);
    assert_eq!(gus["password"], Value::Null);
    let people = json(&["user", "list", "--account", "radio"]);
    assert_eq!(people["total"], 3, "{people}");
    let emails: Vec<&str> = people["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap())
        .collect();
    for e in ["olive@radio.test", "milo@radio.test", "gus@garden.test"] {
        assert!(emails.contains(&e), "{e} in {emails:?}");
    }
    assert!(json(&["user", "list"])["total"].as_u64().unwrap() >= 3);
    json(&[
        "user",
        "remove",
        "--account",
        "radio",
        "--email",
        "milo@radio.test",
    ]);
    json(&[
        "user",
        "remove",
        "--account",
        "radio",
        "--email",
        "gus@garden.test",
    ]);
    // The last owner stays.
    let last = k.run(&[
        "user",
        "remove",
        "--account",
        "radio",
        "--email",
        "olive@radio.test",
    ]);
    let err = last.fails(3);
    assert!(err.contains("owner"), "{err}");
    assert_eq!(json(&["user", "list", "--account", "radio"])["total"], 1);
    k.run(&[
        "user",
        "remove",
        "--account",
        "radio",
        "--email",
        "nobody@radio.test",
    ])
    .fails(4);

    // Soft delete and restore.
    let deleted = json(&["account", "delete", "radio"]);
    assert!(
        deleted["deleted_at"].is_i64() && deleted["purge_after"].is_i64(),
        "{deleted}"
    );
    assert!(!names(&json(&["account", "list"])["items"]).contains(&"radio".to_owned()));
    assert_eq!(
        names(&json(&["account", "list", "--deleted"])["items"]),
        ["radio"]
    );
    let restored = json(&["account", "restore", "radio"]);
    assert_eq!(restored["deleted_at"], Value::Null);
    k.run(&["account", "restore", "radio"]).fails(3);
    assert_eq!(json(&["account", "list"])["total"], 3);
}

// ---------------------------------------------------------------- tokens and `konbit serve`

/// A `konbit serve` child, killed and reaped however the test ends.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address `konbit serve` says it listens on, once it has said it.
fn announced_address(log: &str) -> Option<String> {
    let line = log.lines().find(|l| l.contains("Konbit is serving"))?;
    let rest = &line[line.find("listen=")? + "listen=".len()..];
    Some(rest.split_whitespace().next()?.to_owned())
}

/// Starts `konbit serve` on port 0 (so no two tests race for a port), reads
/// the port it picked from its log, and waits (boundedly) for `/healthz`.
async fn serve(k: &Konbit) -> (Server, String) {
    let log = k.root.join("serve.log");
    let mut c = k.command(&["serve"]);
    c.env("KONBIT_LISTEN", "127.0.0.1:0")
        .env("KONBIT_PUBLIC_URL", "http://127.0.0.1")
        .env("RUST_LOG", "info");
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut server = Server {
        child: c.spawn().expect("konbit serve starts"),
        log,
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let mut base = String::new();
    for _ in 0..100 {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("konbit serve exited early ({status}): {}", server.log());
        }
        if base.is_empty() {
            match announced_address(&server.log()) {
                Some(addr) => base = format!("http://{addr}"),
                None => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        if let Ok(res) = http.get(format!("{base}/healthz")).send().await
            && res.status() == 200
        {
            return (server, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "konbit serve did not answer /healthz on {base} in time: {}",
        server.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_made_by_the_cli_work_against_konbit_serve() {
    let k = Konbit::init();
    k.run_stdin(
        &[
            "admin",
            "create",
            "--email",
            "ada@coop.test",
            "--name",
            "Ada",
            "--password-stdin",
        ],
        Some(PASSWORD),
    )
    .ok();
    k.run(&[
        "account",
        "create",
        "--name",
        "radio",
        "--display-name",
        "Radio",
    ])
    .ok();

    let created = k
        .run(&[
            "--output",
            "json",
            "token",
            "create",
            "--user",
            "ada@coop.test",
            "--name",
            "ci",
            "--scope",
            "accounts:read",
            "--scope",
            "users:read",
        ])
        .json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("konbit_"), "{secret}");
    let id = created["token"]["id"].as_i64().unwrap();
    // Text output: the secret, once, and a word that it is shown only once.
    let text = k.run(&[
        "token",
        "create",
        "--user",
        "ada@coop.test",
        "--name",
        "other",
        "--scope",
        "tokens:read",
    ]);
    let text = text.ok();
    assert_eq!(text.matches("konbit_").count(), 1, "{text}");
    assert!(text.contains("only once"), "{text}");

    let list = k.run(&[
        "--output",
        "json",
        "token",
        "list",
        "--user",
        "ada@coop.test",
    ]);
    assert!(
        !list.stdout.contains(&secret),
        "the list never shows a secret: {list:#?}"
    );
    let list = list.json();
    assert_eq!(names(&list).len(), 2);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id && secret.starts_with(t["prefix"].as_str().unwrap())),
        "{list}"
    );
    let text_list = k.run(&["token", "list", "--user", "ada@coop.test"]);
    assert!(text_list.ok().contains("ci") && !text_list.stdout.contains(&secret));

    // Bad input is named.
    let bad = k.run(&[
        "token",
        "create",
        "--user",
        "ada@coop.test",
        "--name",
        "x",
        "--scope",
        "dns:admin",
    ]);
    assert!(bad.fails(5).contains("Scopes"), "{bad:#?}");
    k.run(&[
        "token",
        "create",
        "--user",
        "nobody@coop.test",
        "--name",
        "x",
        "--scope",
        "accounts:read",
    ])
    .fails(4);

    let (server, base) = serve(&k).await;
    let http = http_client().unwrap();
    let me = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "{}", server.log());
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["email"], "ada@coop.test");
    let accounts: Value = http
        .get(format!("{base}/api/v1/accounts"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(names(&accounts["items"]), ["radio"]);
    // Its scopes hold: reading, not writing.
    let res = http
        .post(format!("{base}/api/v1/accounts"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({ "name": "garden", "display_name": "Garden" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The served document is the one `konbit openapi` prints.
    let served: Value = http
        .get(format!("{base}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let printed: Value = serde_json::from_str(k.run(&["openapi"]).ok()).unwrap();
    assert_eq!(served, printed);

    // Revoked with the CLI while the server runs: refused at once.
    let revoked = k
        .run(&[
            "--output",
            "json",
            "token",
            "revoke",
            "--user",
            "ada@coop.test",
            &id.to_string(),
        ])
        .json();
    assert_eq!(revoked["revoked"], id);
    let res = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    k.run(&["token", "revoke", "--user", "ada@coop.test", "9999"])
        .fails(4);
    drop(server);
}

// ---------------------------------------------------------------- messages

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_names_the_field_in_the_operators_language() {
    let k = Konbit::init();
    let out = k.run(&[
        "account",
        "create",
        "--name",
        "X",
        "--display-name",
        "Something",
    ]);
    let err = out.fails(5);
    assert!(
        err.contains("Name") && err.contains("at least 3 characters"),
        "{err}"
    );
    assert!(
        !err.contains("Full name"),
        "only the bad field is named: {err}"
    );

    for lang in [("LANG", "fr_CA.UTF-8"), ("LC_ALL", "fr_FR.UTF-8")] {
        let out = k.run_env(
            &[
                "account",
                "create",
                "--name",
                "X",
                "--display-name",
                "Something",
            ],
            &[lang],
        );
        let err = out.fails(5);
        assert!(
            err.contains("Nom") && err.contains("caractères"),
            "{lang:?}: {err}"
        );
    }

    // Several bad fields are all reported.
    let out = k.run(&[
        "account",
        "create",
        "--name",
        "Bad_Name",
        "--display-name",
        " ",
    ]);
    let err = out.fails(5);
    assert!(err.contains("Name:") && err.contains("Full name:"), "{err}");
    // As JSON, for scripts: the same problem body as the API's.
    let out = k.run(&[
        "--output",
        "json",
        "account",
        "create",
        "--name",
        "X",
        "--display-name",
        "Something",
    ]);
    let problem: Value = serde_json::from_str(out.fails(5).trim()).expect("the JSON error is JSON");
    assert_eq!(problem["code"], "invalid_input");
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(problem["errors"][0]["rule"], "too_short");
    // An unknown quota profile names the field too.
    let out = k.run(&[
        "account",
        "create",
        "--name",
        "radio",
        "--display-name",
        "Radio",
        "--profile",
        "gold",
    ]);
    assert!(out.fails(5).contains("Quota profile"), "{out:#?}");
    // Nothing was created by any of these.
    assert_eq!(
        k.run(&["--output", "json", "account", "list"]).json()["total"],
        0
    );
}

// ---------------------------------------------------------------- configuration errors

#[tokio::test(flavor = "multi_thread")]
async fn configuration_errors_name_the_key_and_the_source() {
    let k = Konbit::init();
    let good = std::fs::read_to_string(&k.config).unwrap();
    k.run(&["account", "list"]).ok();

    // A bad value in the file.
    std::fs::write(
        &k.config,
        good.replace("listen = \"127.0.0.1:8080\"", "listen = \"nope\""),
    )
    .unwrap();
    assert!(
        std::fs::read_to_string(&k.config)
            .unwrap()
            .contains("\"nope\"")
    );
    let out = k.run(&["account", "list"]);
    let err = out.fails(1);
    assert!(
        err.contains("key \"listen\"") && names_file(&k, err),
        "names the key and the file: {err}"
    );
    assert!(out.stdout.is_empty());

    // A bad value in the environment.
    std::fs::write(&k.config, &good).unwrap();
    let out = k.run_env(&["account", "list"], &[("KONBIT_LISTEN", "nope")]);
    let err = out.fails(1);
    assert!(
        err.contains("\"KONBIT_LISTEN\"") && err.contains("environment"),
        "names the key and the environment: {err}"
    );
    let out = k.run_env(
        &["account", "list"],
        &[("KONBIT_SESSION__IDLE_MINUTES", "soon")],
    );
    let err = out.fails(1);
    assert!(err.contains("\"KONBIT_SESSION__IDLE_MINUTES\""), "{err}");

    // A key the file should not have (a typo).
    std::fs::write(&k.config, format!("{good}lisen = \"127.0.0.1:1\"\n")).unwrap();
    let out = k.run(&["account", "list"]);
    let err = out.fails(1);
    assert!(err.contains("lisen") && names_file(&k, err), "{err}");

    // A file that is not TOML.
    std::fs::write(&k.config, "version = \n").unwrap();
    let out = k.run(&["account", "list"]);
    let err = out.fails(1);
    assert!(names_file(&k, err), "{err}");

    // A value checked after parsing.
    std::fs::write(&k.config, good.replace("version = 1", "version = 7")).unwrap();
    let err = k.run(&["account", "list"]);
    assert!(err.fails(1).contains("version"), "{err:#?}");

    // Good again: the same command works.
    std::fs::write(&k.config, &good).unwrap();
    k.run(&["account", "list"]).ok();
}

// ---------------------------------------------------------------- OpenAPI

#[tokio::test(flavor = "multi_thread")]
async fn openapi_prints_the_document_the_server_serves() {
    let k = Konbit::new();
    // No configuration needed to print the document.
    let out = k.run(&["openapi"]);
    let printed: Value = serde_json::from_str(out.ok()).expect("the document is JSON");
    assert!(printed["openapi"].as_str().unwrap().starts_with("3."));
    let t = TestApp::spawn().await.unwrap();
    let served: Value = http_client()
        .unwrap()
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(printed, served);
}

#[test]
fn an_unknown_quota_profile_to_act_on_is_not_found() {
    let k = Konbit::init();
    k.run(&["quota-profile", "update", "nope", "--sites", "3"])
        .fails(4);
    k.run(&["quota-profile", "delete", "nope"]).fails(4);
    // As a field of another command it stays an invalid choice.
    k.run(&[
        "account",
        "create",
        "--name",
        "radio",
        "--display-name",
        "Radio",
        "--profile",
        "nope",
    ])
    .fails(5);
}
