//! Load figures for `konbit serve` with a co-op of realistic size: 10,000
//! accounts and 50,000 people. It prints p50, p99 and max latencies of the
//! dashboard, the accounts lists (panel and API) and account creation, and
//! the resident memory of the server. It prints figures only: no target is
//! ever asserted, so a busy machine never fails a build.
//!
//!     cargo bench -p konbit --bench load
//!
//! `cargo bench` builds this file and the `konbit` binary in release mode;
//! the figures mean something only then. Without `--bench` on its command
//! line (as under `cargo test --all-targets`) it runs a small smoke version
//! that checks the bench still works and takes a few seconds.
//!
//! Environment:
//! - `KONBIT_BENCH_REQUESTS`: measured requests per sequential scenario
//!   (default 500; the concurrent phase makes 4/5 of that, 400 by default).
//!
//! What it does: `konbit init` in a temp dir, seeding straight through
//! `konbit_store` (one argon2 hash shared by everyone), an admin session and
//! API token, then the real `konbit serve` as a child process, killed on
//! every way out. Requests are sequential (one at a time, after a warm-up),
//! then 4 clients in parallel on the dashboard.

use anyhow::{Context, Result, anyhow, bail};
use konbit_app::token::CreateToken;
use konbit_app::{App, AppConfig};
use konbit_core::authz::Actor;
use konbit_core::model::{AccountId, Role, UserId};
use konbit_core::names::{AccountName, DisplayName, EmailAddress};
use konbit_store::{NewAccount, NewUser, Store};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The targets of the issue, printed next to the figures (never asserted).
const TARGET_P99_MS: f64 = 50.0;
const TARGET_RSS_MB: f64 = 100.0;
const PEOPLE_PER_ACCOUNT: usize = 5;
const ACCOUNTS_PER_TX: usize = 1_000;
const PANEL_PER_PAGE: usize = 25;
const API_PER_PAGE: usize = 50;
const CONCURRENT_CLIENTS: usize = 4;

struct Settings {
    smoke: bool,
    accounts: usize,
    requests: usize,
    warmup: usize,
    concurrent_total: usize,
}

impl Settings {
    fn from_env() -> Result<Self> {
        let smoke = !std::env::args().any(|a| a == "--bench");
        let requests = match std::env::var("KONBIT_BENCH_REQUESTS") {
            Ok(v) => v
                .trim()
                .parse::<usize>()
                .with_context(|| format!("KONBIT_BENCH_REQUESTS={v:?} is not a count"))?
                .max(1),
            Err(_) if smoke => 20,
            Err(_) => 500,
        };
        Ok(Self {
            smoke,
            accounts: if smoke { 100 } else { 10_000 },
            requests,
            warmup: if smoke { 5 } else { 50 },
            concurrent_total: (requests * 4 / 5).max(CONCURRENT_CLIENTS),
        })
    }
}

fn main() -> Result<()> {
    let settings = Settings::from_env()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // On Ctrl-C the run is dropped, and with it the server (killed) and the
    // temp dir (removed).
    rt.block_on(async {
        tokio::select! {
            done = run(&settings) => done,
            _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
        }
    })
}

async fn run(s: &Settings) -> Result<()> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_konbit"));
    print_machine(&bin, s);

    let tmp = tempfile::Builder::new().prefix("konbit-bench-").tempdir()?;
    let state_dir = tmp.path().join("state");
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");

    let started = Instant::now();
    let init = child_command(&bin)
        .args(["init", "--state-dir"])
        .arg(&state_dir)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &base,
        ])
        .output()
        .context("cannot run `konbit init`")?;
    if !init.status.success() {
        bail!(
            "`konbit init` failed ({}): {}",
            init.status,
            String::from_utf8_lossy(&init.stderr)
        );
    }
    println!("konbit init: {:.2} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let seeded = seed(&state_dir.join("konbit.db"), s).await?;
    let seed_secs = started.elapsed().as_secs_f64();
    println!(
        "seeding: {} accounts, {} people, {} memberships in {seed_secs:.2} s",
        s.accounts, seeded.people, seeded.memberships
    );

    // Dropped before `tmp` (locals drop in reverse order): the server stops
    // before its state dir is removed.
    let mut server = Server::start(
        &bin,
        &state_dir.join("konbit.toml"),
        &state_dir.join("serve.log"),
    )?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let started = Instant::now();
    server.wait_healthy(&client, &base).await?;
    println!(
        "konbit serve (pid {}) ready in {:.2} s",
        server.pid(),
        started.elapsed().as_secs_f64()
    );
    let rss_idle = server.memory()?;

    let mut results = Vec::new();
    let admin_cookie = format!("konbit_session={}", seeded.admin_cookie);
    let member_cookie = format!("konbit_session={}", seeded.member_cookie);
    let bearer = format!("Bearer {}", seeded.token);

    let dashboard = |cookie: String| {
        let (client, base) = (&client, &base);
        async move |_i: usize| {
            let body = request(
                client.get(format!("{base}/")).header("cookie", &cookie),
                200,
            )
            .await?;
            Ok(body.len())
        }
    };
    results.push(
        measure(
            "GET / (dashboard, admin)",
            s,
            dashboard(admin_cookie.clone()),
        )
        .await?,
    );
    results.push(measure("GET / (dashboard, member)", s, dashboard(member_cookie)).await?);

    let panel_pages = s.accounts.div_ceil(PANEL_PER_PAGE);
    results.push(
        measure("GET /accounts?page=N (panel)", s, async |i| {
            let n = scatter(i, panel_pages);
            let body = request(
                client
                    .get(format!("{base}/accounts?page={n}"))
                    .header("cookie", &admin_cookie),
                200,
            )
            .await?;
            Ok(body.len())
        })
        .await?,
    );

    let api_pages = s.accounts.div_ceil(API_PER_PAGE);
    let first = request(
        client
            .get(format!(
                "{base}/api/v1/accounts?page=1&per_page={API_PER_PAGE}"
            ))
            .header("authorization", &bearer),
        200,
    )
    .await?;
    let total = serde_json::from_slice::<serde_json::Value>(&first)?
        .get("total")
        .and_then(serde_json::Value::as_u64);
    if total != Some(u64::try_from(s.accounts)?) {
        bail!(
            "the API counts {total:?} accounts, {} were seeded",
            s.accounts
        );
    }
    results.push(
        measure("GET /api/v1/accounts?page=N&per_page=50", s, async |i| {
            let n = scatter(i, api_pages);
            let url = format!("{base}/api/v1/accounts?page={n}&per_page={API_PER_PAGE}");
            let body = request(client.get(url).header("authorization", &bearer), 200).await?;
            Ok(body.len())
        })
        .await?,
    );

    results.push(
        measure("POST /api/v1/accounts", s, async |i| {
            let body = serde_json::json!({ "name": format!("bench-post-{i:06}"), "display_name": format!("Bench post {i}") });
            let res = request(client.post(format!("{base}/api/v1/accounts")).header("authorization", &bearer).json(&body), 201).await?;
            Ok(res.len())
        })
        .await?,
    );

    results.push(concurrent_dashboard(&client, &base, &admin_cookie, s).await?);
    let rss_loaded = server.memory()?;
    drop(server);

    print_report(&results, rss_idle, rss_loaded, seed_secs, s);
    tmp.close()?;
    Ok(())
}

// ---------------------------------------------------------------- machine

fn print_machine(bin: &Path, s: &Settings) {
    let cores = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let mem = proc_kb("/proc/meminfo", "MemTotal:")
        .map(|kb| format!("{:.1} GB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let bench_build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let bin_build = if bin.components().any(|c| c.as_os_str() == "release") {
        "release"
    } else {
        "debug (figures are not meaningful)"
    };
    println!(
        "== Konbit load bench{}",
        if s.smoke {
            " (SMOKE: no --bench argument; run `cargo bench -p konbit --bench load` for figures)"
        } else {
            ""
        }
    );
    println!("machine: {cores} cores (nproc), {cpu}, {mem} RAM, load average {load}");
    println!(
        "build: bench {bench_build}, konbit binary {bin_build}: {}",
        bin.display()
    );
    println!(
        "scenario: {} accounts x {PEOPLE_PER_ACCOUNT} people, {} measured requests per scenario after {} warm-up, {} concurrent ({CONCURRENT_CLIENTS} clients)",
        s.accounts, s.requests, s.warmup, s.concurrent_total
    );
}

/// A `kB` field of a `/proc` file, such as `VmRSS:` of `/proc/PID/status`.
fn proc_kb(path: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

fn free_port() -> Result<u16> {
    // Another process could take it between here and `konbit serve`; on a
    // loopback port picked by the kernel that is unlikely enough.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A `konbit` command that reads no `KONBIT_*` setting of ours: the binary
/// would take `KONBIT_BENCH_REQUESTS` for a configuration key and refuse it.
fn child_command(bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KONBIT_") {
            cmd.env_remove(&key);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

// ---------------------------------------------------------------- seeding

const PASSWORD: &str = "correct horse battery staple";

struct Seeded {
    people: usize,
    memberships: usize,
    admin_cookie: String,
    member_cookie: String,
    token: String,
}

/// Seeds straight into the database `konbit init` made, in a few large
/// transactions. Person `k` belongs to account `k / 5`, as its owner when
/// `k % 5 == 0`.
async fn seed(db: &Path, s: &Settings) -> Result<Seeded> {
    let store = Store::open(db).await?;
    store.migrate().await?;
    let password_hash =
        konbit_app::password::hash_blocking(PASSWORD).map_err(|e| anyhow!("{e}"))?;
    let now = konbit_app::now();
    let accounts = i64::try_from(s.accounts)?;

    let mut tx = store.write().await?;
    let profile = tx
        .quota_profile_by_name("standard")
        .await
        .context("`konbit init` made no \"standard\" quota profile")?
        .id;
    let admin = tx
        .insert_user(
            &new_user("admin@bench.test", "Ada Admin", &password_hash, true)?,
            now,
        )
        .await?;
    tx.commit().await?;

    let (mut people, mut memberships) = (0usize, 0usize);
    let mut first_owner: Option<UserId> = None;
    for chunk_start in (0..s.accounts).step_by(ACCOUNTS_PER_TX) {
        let mut tx = store.write().await?;
        for a in chunk_start..(chunk_start + ACCOUNTS_PER_TX).min(s.accounts) {
            // Older accounts first, so "newest accounts" has a real order.
            let created = now - accounts + i64::try_from(a)?;
            let account = NewAccount {
                name: AccountName::parse("name", &format!("acct-{a:05}"))?,
                display_name: DisplayName::parse(
                    "display_name",
                    &format!("Collective number {a}"),
                )?,
                quota_profile_id: profile,
            };
            let id: AccountId = tx.insert_account(&account, created).await?;
            for m in 0..PEOPLE_PER_ACCOUNT {
                let k = a * PEOPLE_PER_ACCOUNT + m;
                let user = new_user(
                    &format!("person-{k:06}@bench.test"),
                    &format!("Person {k}"),
                    &password_hash,
                    false,
                )?;
                let user_id = tx.insert_user(&user, created).await?;
                let role = if m == 0 { Role::Owner } else { Role::Member };
                tx.upsert_membership(id, user_id, role, created).await?;
                if first_owner.is_none() {
                    first_owner = Some(user_id);
                }
                people += 1;
                memberships += 1;
            }
        }
        tx.commit().await?;
    }
    let member = first_owner.context("no account was seeded")?;

    let admin_cookie = konbit_app::secret::random_token();
    let member_cookie = konbit_app::secret::random_token();
    let mut tx = store.write().await?;
    for (cookie, user) in [(&admin_cookie, admin), (&member_cookie, member)] {
        let hash = konbit_app::secret::sha256_hex(cookie);
        let csrf = konbit_app::secret::random_token();
        tx.insert_session(&hash, user, &csrf, now, now + 12 * 3600, None, None)
            .await?;
    }
    tx.commit().await?;

    let app = App::new(store.clone(), AppConfig::default());
    let input = CreateToken {
        name: "bench".into(),
        scopes: vec!["accounts:read".into(), "accounts:write".into()],
        expires_in_days: None,
        account_id: None,
    };
    let token = app
        .tokens()
        .create_for(&Actor::operator_cli(), admin, input)
        .await
        .map_err(|e| anyhow!("cannot make the API token: {e}"))?;
    store.close().await;
    Ok(Seeded {
        people: people + 1,
        memberships,
        admin_cookie,
        member_cookie,
        token: token.secret,
    })
}

fn new_user(email: &str, name: &str, password_hash: &str, is_admin: bool) -> Result<NewUser> {
    Ok(NewUser {
        email: EmailAddress::parse("email", email)?,
        display_name: DisplayName::parse("display_name", name)?,
        password_hash: password_hash.to_owned(),
        is_admin,
        locale: None,
    })
}

// ---------------------------------------------------------------- server

/// The `konbit serve` child; dropping it kills the process and reaps it.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(bin: &Path, config: &Path, log: &Path) -> Result<Self> {
        let out = std::fs::File::create(log)?;
        let err = out.try_clone()?;
        let child = child_command(bin)
            .arg("serve")
            .env("KONBIT_CONFIG", config)
            .stdout(out)
            .stderr(err)
            .spawn()
            .context("cannot start `konbit serve`")?;
        Ok(Self {
            child,
            log: log.to_owned(),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `/healthz` for at most 20 seconds.
    async fn wait_healthy(&mut self, client: &reqwest::Client, base: &str) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "`konbit serve` exited ({status}) before it answered:\n{}",
                    self.log_tail()
                );
            }
            let ok = client
                .get(format!("{base}/healthz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ok {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "`konbit serve` did not answer /healthz within 20 s:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// (VmRSS, VmHWM) in kB.
    fn memory(&self) -> Result<(u64, u64)> {
        let path = format!("/proc/{}/status", self.pid());
        let rss = proc_kb(&path, "VmRSS:").with_context(|| format!("no VmRSS in {path}"))?;
        let hwm = proc_kb(&path, "VmHWM:").with_context(|| format!("no VmHWM in {path}"))?;
        Ok((rss, hwm))
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- measuring

/// Sends a request, reads the whole body, and insists on the status: a
/// figure for error pages would mean nothing.
async fn request(rb: reqwest::RequestBuilder, want: u16) -> Result<Vec<u8>> {
    let res = rb.send().await?;
    let status = res.status();
    let body = res.bytes().await?;
    if status.as_u16() != want {
        let text = String::from_utf8_lossy(&body);
        bail!(
            "expected {want}, got {status}: {}",
            text.chars().take(300).collect::<String>()
        );
    }
    Ok(body.to_vec())
}

/// Spreads request `i` over pages 1..=pages, deep pages included.
fn scatter(i: usize, pages: usize) -> usize {
    (i * 7919) % pages.max(1) + 1
}

struct Figures {
    name: String,
    samples: Vec<Duration>,
    wall: Duration,
    avg_body: usize,
    concurrency: usize,
}

impl Figures {
    /// The `p`th percentile (nearest rank on the sorted samples).
    fn percentile_ms(&self, p: usize) -> f64 {
        let n = self.samples.len();
        if n == 0 {
            return 0.0;
        }
        let rank = (p * n).div_ceil(100).clamp(1, n);
        self.samples[rank - 1].as_secs_f64() * 1000.0
    }
    fn max_ms(&self) -> f64 {
        self.samples
            .last()
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
    fn throughput(&self) -> f64 {
        self.samples.len() as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }
}

/// Runs `f` for the warm-up, then `s.requests` times one after the other,
/// timing each call (send to last byte of the body).
async fn measure(
    name: &str,
    s: &Settings,
    mut f: impl AsyncFnMut(usize) -> Result<usize>,
) -> Result<Figures> {
    for i in 0..s.warmup {
        f(i).await.with_context(|| format!("{name} (warm-up)"))?;
    }
    let mut samples = Vec::with_capacity(s.requests);
    let mut bytes = 0usize;
    let wall = Instant::now();
    for i in s.warmup..s.warmup + s.requests {
        let t = Instant::now();
        bytes += f(i)
            .await
            .with_context(|| format!("{name} (request {i})"))?;
        samples.push(t.elapsed());
    }
    let wall = wall.elapsed();
    samples.sort_unstable();
    let figures = Figures {
        name: name.to_owned(),
        avg_body: bytes / s.requests.max(1),
        samples,
        wall,
        concurrency: 1,
    };
    println!(
        "  {:<42} p50 {:>7.2} ms  p99 {:>7.2} ms",
        figures.name,
        figures.percentile_ms(50),
        figures.percentile_ms(99)
    );
    Ok(figures)
}

/// `CONCURRENT_CLIENTS` clients on the dashboard at once, each sending its
/// share of `s.concurrent_total` requests one after the other.
async fn concurrent_dashboard(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    s: &Settings,
) -> Result<Figures> {
    let per_client = s.concurrent_total.div_ceil(CONCURRENT_CLIENTS);
    let wall = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT_CLIENTS {
        let (client, url, cookie) = (client.clone(), format!("{base}/"), cookie.to_owned());
        tasks.spawn(async move {
            let mut samples = Vec::with_capacity(per_client);
            let mut bytes = 0usize;
            for _ in 0..per_client {
                let t = Instant::now();
                bytes += request(client.get(&url).header("cookie", &cookie), 200)
                    .await?
                    .len();
                samples.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>((samples, bytes))
        });
    }
    let mut samples = Vec::with_capacity(per_client * CONCURRENT_CLIENTS);
    let mut bytes = 0usize;
    while let Some(done) = tasks.join_next().await {
        let (s, b) = done.context("a dashboard client task failed")??;
        samples.extend(s);
        bytes += b;
    }
    let wall = wall.elapsed();
    samples.sort_unstable();
    let name = format!("GET / (dashboard, admin) x{CONCURRENT_CLIENTS} parallel");
    let avg_body = bytes / samples.len().max(1);
    let figures = Figures {
        name,
        samples,
        wall,
        avg_body,
        concurrency: CONCURRENT_CLIENTS,
    };
    println!(
        "  {:<42} p50 {:>7.2} ms  p99 {:>7.2} ms",
        figures.name,
        figures.percentile_ms(50),
        figures.percentile_ms(99)
    );
    Ok(figures)
}

// ---------------------------------------------------------------- report

fn print_report(
    results: &[Figures],
    idle: (u64, u64),
    loaded: (u64, u64),
    seed_secs: f64,
    s: &Settings,
) {
    let mb = |kb: u64| kb as f64 / 1024.0;
    let met = |ok: bool| if ok { "met" } else { "MISSED" };
    println!();
    println!(
        "{:<44} {:>5} {:>9} {:>9} {:>9} {:>8} {:>8}  target p99 < {TARGET_P99_MS} ms",
        "scenario", "n", "p50 ms", "p99 ms", "max ms", "req/s", "body KB"
    );
    println!("{}", "-".repeat(122));
    for r in results {
        let p99 = r.percentile_ms(99);
        println!(
            "{:<44} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>8.1} {:>8.1}  {}",
            r.name,
            r.samples.len(),
            r.percentile_ms(50),
            p99,
            r.max_ms(),
            r.throughput(),
            r.avg_body as f64 / 1024.0,
            met(p99 < TARGET_P99_MS)
        );
    }
    println!("{}", "-".repeat(122));
    let hwm = mb(loaded.1);
    println!(
        "konbit serve RSS: idle {:.1} MB, after load {:.1} MB, peak (VmHWM) {hwm:.1} MB  target RSS < {TARGET_RSS_MB} MB: {}",
        mb(idle.0),
        mb(loaded.0),
        met(hwm < TARGET_RSS_MB)
    );
    println!("seeding: {seed_secs:.2} s; sign-in is not measured (argon2 costs by design)");
    let all_met =
        results.iter().all(|r| r.percentile_ms(99) < TARGET_P99_MS) && hwm < TARGET_RSS_MB;
    println!(
        "targets: {}",
        if all_met {
            "all met"
        } else {
            "some MISSED (printed only, never failed on)"
        }
    );
    if s.smoke {
        println!(
            "(smoke run: {} accounts only; these are not the figures of the issue)",
            s.accounts
        );
    }
    let concurrent: Vec<&Figures> = results.iter().filter(|r| r.concurrency > 1).collect();
    for r in concurrent {
        println!(
            "concurrent phase: {} requests by {} clients in {:.2} s = {:.1} req/s",
            r.samples.len(),
            r.concurrency,
            r.wall.as_secs_f64(),
            r.throughput()
        );
    }
}
