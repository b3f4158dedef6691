//! Headless Chromium for tests: chromedriver under the [`Daemon`] watchdog,
//! a thirtyfour [`WebDriver`] session, screenshots and axe-core checks.
//!
//! Needs Debian's `chromium` and `chromium-driver` packages
//! (`apt-get install --no-install-recommends chromium chromium-driver`) and,
//! for [`Browser::axe`], a local `npm install --no-save axe-core`.
//!
//! # Skipping
//!
//! [`Browser::try_start`] and [`Browser::try_axe`] return `Ok(None)` and
//! print `SKIPPED: ...` to stderr when something is not installed, unless
//! `REQUIRE_BROWSER_TESTS=1` (set it in CI), in which case they fail with an
//! error naming the packages to install. [`Browser::start`] and
//! [`Browser::axe`] always fail; the error then satisfies
//! [`is_missing`](crate::daemon::is_missing).
//!
//! # Environment
//!
//! | variable | default |
//! |---|---|
//! | `CHROMEDRIVER` | `chromedriver` in `PATH` |
//! | `CHROME_BIN` | `/usr/lib/chromium/chromium` |
//! | `AXE_JS` | `<workspace>/node_modules/axe-core/axe.min.js` |
//! | `BROWSER_ARTIFACTS` | `<workspace>/target/browser-artifacts` |
//! | `REQUIRE_BROWSER_TESTS` | unset: skip when something is missing |
//!
//! # Example
//!
//! ```no_run
//! # async fn demo(base: &str) -> anyhow::Result<()> {
//! use konbit_testkit::browser::{Browser, serious};
//!
//! let Some(b) = Browser::try_start(1280, 800).await? else { return Ok(()) };
//! b.goto(&format!("{base}/login")).await?;
//! b.fill("#email", "ada@example.org").await?;
//! b.click("button[type=submit]").await?;
//! assert_eq!(b.text("h1").await?, "Dashboard");
//! b.screenshot("dashboard-desktop").await?;
//! if let Some(v) = b.try_axe().await? {
//!     assert!(serious(&v).is_empty(), "{v:#?}");
//! }
//! b.quit().await;
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tempfile::TempDir;
use thirtyfour::prelude::*;

use crate::daemon::{Daemon, Missing, find_executable, require_file, skip_if_missing};

/// Environment variable that turns "not installed" skips into failures.
pub const REQUIRE_ENV: &str = "REQUIRE_BROWSER_TESTS";
/// Desktop size used for screenshots.
pub const DESKTOP: (u32, u32) = (1280, 800);
/// Phone size used for screenshots.
pub const PHONE: (u32, u32) = (390, 844);

const APT_HINT: &str = "apt-get install --no-install-recommends chromium chromium-driver";
const AXE_HINT: &str = "npm install --no-save axe-core (in the workspace root), or set AXE_JS";
const DEFAULT_CHROME: &str = "/usr/lib/chromium/chromium";
/// How long chromedriver may take to print its port.
const DRIVER_READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long creating a session (starting Chromium) may take.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// Per-request timeout between thirtyfour and chromedriver.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a page load may take.
const PAGE_LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`Browser::wait_for`] (and so `fill`, `click`, `text`) waits.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
const WAIT_INTERVAL: Duration = Duration::from_millis(100);

/// A headless Chromium session driven through its own chromedriver.
///
/// Call [`Browser::quit`] at the end of a test. If the `Browser` is dropped
/// instead (a panic, an early `?`), chromedriver and every Chromium process
/// are still killed, and its profile directory is removed.
#[derive(Debug)]
pub struct Browser {
    // Field order is drop order: kill chromedriver and Chromium first, so
    // that thirtyfour's fallback "quit on drop" fails fast instead of
    // waiting on a hung browser, and the profile is removed last.
    chromedriver: Daemon,
    driver: WebDriver,
    _dir: TempDir,
}

impl Browser {
    /// Start chromedriver and a headless Chromium whose viewport (the area
    /// screenshots show) is `width` x `height` CSS pixels.
    ///
    /// Fails if chromedriver or Chromium is not installed (the error names
    /// the packages and satisfies [`is_missing`](crate::daemon::is_missing));
    /// use [`Browser::try_start`] to skip instead.
    pub async fn start(width: u32, height: u32) -> Result<Browser> {
        let chromedriver = find_chromedriver(std::env::var_os("CHROMEDRIVER").map(PathBuf::from))?;
        let chrome = find_chrome(std::env::var_os("CHROME_BIN").map(PathBuf::from))?;

        let dir = tempfile::Builder::new()
            .prefix("konbit-browser-")
            .tempdir()
            .context("creating a temporary directory for Chromium")?;
        let profile = dir.path().join("profile");

        let daemon = Daemon::builder("chromedriver", &chromedriver, dir.path())
            .arg("--port=0")
            .start()?;
        let port: u16 = daemon
            .wait_for_line(DRIVER_READY_TIMEOUT, |line| {
                line.split("ChromeDriver was started successfully on port ")
                    .nth(1)?
                    .trim_end()
                    .trim_end_matches('.')
                    .parse()
                    .ok()
            })
            .await?;

        let caps = capabilities(&chrome, &profile, width, height);
        let session = WebDriver::builder(format!("http://127.0.0.1:{port}"), caps)
            .request_timeout(REQUEST_TIMEOUT)
            .into_future();
        let driver = match tokio::time::timeout(SESSION_TIMEOUT, session).await {
            Ok(Ok(driver)) => driver,
            Ok(Err(e)) => {
                bail!(
                    "starting Chromium ({}) through chromedriver failed: {e}; end of {}:\n{}",
                    chrome.display(),
                    daemon.log_path().display(),
                    daemon.log_tail(30)
                )
            }
            Err(_) => {
                bail!(
                    "starting Chromium ({}) through chromedriver took more than {} s; end of {}:\n{}",
                    chrome.display(),
                    SESSION_TIMEOUT.as_secs(),
                    daemon.log_path().display(),
                    daemon.log_tail(30)
                )
            }
        };
        let browser = Browser {
            chromedriver: daemon,
            driver,
            _dir: dir,
        };
        browser
            .driver
            .set_page_load_timeout(PAGE_LOAD_TIMEOUT)
            .await
            .context("setting the page load timeout")?;
        browser.set_viewport_size(width, height).await?;
        Ok(browser)
    }

    /// Like [`Browser::start`], but if chromedriver or Chromium is not
    /// installed, print `SKIPPED: ...` and return `Ok(None)`, unless
    /// `REQUIRE_BROWSER_TESTS=1`. Typical use:
    /// `let Some(b) = Browser::try_start(1280, 800).await? else { return Ok(()) };`
    pub async fn try_start(width: u32, height: u32) -> Result<Option<Browser>> {
        skip_if_missing(Browser::start(width, height).await, REQUIRE_ENV)
    }

    /// The thirtyfour session, for anything the helpers below do not cover.
    pub fn driver(&self) -> &WebDriver {
        &self.driver
    }

    /// The chromedriver daemon (its log, its process group).
    pub fn chromedriver(&self) -> &Daemon {
        &self.chromedriver
    }

    /// End the session and kill chromedriver and Chromium.
    pub async fn quit(self) {
        let Browser {
            chromedriver,
            driver,
            _dir,
        } = self;
        // Errors do not matter here: the kill below cleans up regardless.
        let _ = tokio::time::timeout(Duration::from_secs(10), driver.quit()).await;
        drop(chromedriver);
    }

    // -- navigation and forms ---------------------------------------------

    /// Load `url` and wait for the page load to finish.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.driver
            .goto(url)
            .await
            .with_context(|| format!("loading {url}"))
    }

    /// The current URL.
    pub async fn url(&self) -> Result<url::Url> {
        Ok(self.driver.current_url().await?)
    }

    /// Wait (at most [`WAIT_TIMEOUT`]) until an element matches the CSS
    /// `selector`, and return the first one.
    pub async fn wait_for(&self, selector: &str) -> Result<WebElement> {
        self.wait_for_within(selector, WAIT_TIMEOUT).await
    }

    /// Wait at most `timeout` until an element matches the CSS `selector`,
    /// and return the first one.
    pub async fn wait_for_within(&self, selector: &str, timeout: Duration) -> Result<WebElement> {
        let interval = WAIT_INTERVAL.min(timeout);
        match self
            .driver
            .query(By::Css(selector))
            .wait(timeout, interval)
            .first()
            .await
        {
            Ok(el) => Ok(el),
            Err(e) => {
                let url = self
                    .driver
                    .current_url()
                    .await
                    .map_or_else(|_| "?".to_owned(), |u| u.to_string());
                Err(anyhow!(e).context(format!(
                    "no element matches `{selector}` on {url} after {:.1} s",
                    timeout.as_secs_f64()
                )))
            }
        }
    }

    /// Replace the content of the field matching `selector` with `text`.
    pub async fn fill(&self, selector: &str, text: &str) -> Result<()> {
        let el = self.wait_for(selector).await?;
        el.clear()
            .await
            .with_context(|| format!("clearing `{selector}`"))?;
        el.send_keys(text)
            .await
            .with_context(|| format!("typing into `{selector}`"))
    }

    /// Click the element matching `selector`.
    pub async fn click(&self, selector: &str) -> Result<()> {
        self.wait_for(selector)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking `{selector}`"))
    }

    /// Click the element matching `selector` and wait (at most
    /// [`WAIT_TIMEOUT`]) until the page it leads to has replaced this one:
    /// a selector waited for afterwards could otherwise match the old page
    /// (a flash message shown on both, say).
    pub async fn click_and_leave(&self, selector: &str) -> Result<()> {
        let old = self
            .driver
            .find(By::Css("html"))
            .await
            .context("reading the current page")?;
        self.click(selector).await?;
        let started = std::time::Instant::now();
        while started.elapsed() < WAIT_TIMEOUT {
            // A stale element means the document was replaced.
            if old.tag_name().await.is_err() {
                return Ok(());
            }
            tokio::time::sleep(WAIT_INTERVAL).await;
        }
        Err(anyhow!(
            "the page stayed after clicking `{selector}` for {:.1} s",
            WAIT_TIMEOUT.as_secs_f64()
        ))
    }

    /// The rendered text of the element matching `selector`.
    pub async fn text(&self, selector: &str) -> Result<String> {
        self.wait_for(selector)
            .await?
            .text()
            .await
            .with_context(|| format!("reading the text of `{selector}`"))
    }

    // -- window size and screenshots --------------------------------------

    /// Resize the window so that the viewport is `width` x `height` CSS
    /// pixels, e.g. [`PHONE`] before a phone screenshot and [`DESKTOP`] to go
    /// back. Media queries see the new width.
    pub async fn set_viewport_size(&self, width: u32, height: u32) -> Result<()> {
        // The window includes some browser UI even when headless: set the
        // size, measure the difference, and correct for it. Under load
        // Chromium applies a resize late, so measure again a few times
        // (bounded) before correcting.
        let (mut win_w, mut win_h) = (width, height);
        let mut last = (0, 0);
        for attempt in 0u32..10 {
            if attempt.is_multiple_of(3) {
                self.driver
                    .set_window_rect(0, 0, win_w, win_h)
                    .await
                    .with_context(|| format!("resizing the window to {win_w}x{win_h}"))?;
            }
            last = self.viewport_size().await?;
            if last == (width, height) {
                return Ok(());
            }
            if attempt % 3 == 2 {
                win_w = (win_w + width).saturating_sub(last.0);
                win_h = (win_h + height).saturating_sub(last.1);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // A screenshot a few pixels off is still worth having; the size is
        // for people reviewing it, not something a test asserts.
        eprintln!(
            "note: asked for a {width}x{height} viewport, Chromium gives {}x{}",
            last.0, last.1
        );
        Ok(())
    }

    /// The viewport size in CSS pixels (`innerWidth` x `innerHeight`).
    pub async fn viewport_size(&self) -> Result<(u32, u32)> {
        let ret = self
            .driver
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .context("measuring the viewport")?;
        let (w, h): (u32, u32) = ret.convert().context("measuring the viewport")?;
        Ok((w, h))
    }

    /// Save a PNG of the viewport as `<artifacts>/<name>.png` and return its
    /// path. The directory is `$BROWSER_ARTIFACTS`, or else
    /// `<workspace>/target/browser-artifacts`; it is created if needed.
    /// Characters of `name` other than letters, digits, `-`, `_` and `.`
    /// become `_`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self
            .driver
            .screenshot_as_png()
            .await
            .context("taking a screenshot")?;
        if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
            bail!("the screenshot `{name}` is not a PNG ({} bytes)", png.len());
        }
        let dir = artifacts_dir();
        tokio::fs::create_dir_all(&dir)
            .await
            .with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{}.png", file_stem(name)));
        tokio::fs::write(&path, &png)
            .await
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Take the screenshots `<name>-desktop.png` ([`DESKTOP`]) and
    /// `<name>-phone.png` ([`PHONE`]) of the current page, then restore the
    /// desktop size. Returns both paths.
    pub async fn screenshots(&self, name: &str) -> Result<[PathBuf; 2]> {
        self.set_viewport_size(DESKTOP.0, DESKTOP.1).await?;
        let desktop = self.screenshot(&format!("{name}-desktop")).await?;
        self.set_viewport_size(PHONE.0, PHONE.1).await?;
        let phone = self.screenshot(&format!("{name}-phone")).await?;
        self.set_viewport_size(DESKTOP.0, DESKTOP.1).await?;
        Ok([desktop, phone])
    }

    // -- accessibility ----------------------------------------------------

    /// Run axe-core on the current page and return its violations.
    ///
    /// `axe.min.js` is `$AXE_JS` or `<workspace>/node_modules/axe-core/axe.min.js`;
    /// if it is missing this fails with a [`Missing`] error (see
    /// [`Browser::try_axe`] to skip instead). It is injected when
    /// `window.axe` is absent, i.e. once per page load.
    pub async fn axe(&self) -> Result<Vec<AxeViolation>> {
        let path = require_file(axe_js_path(), AXE_HINT)?;
        let loaded = self
            .driver
            .execute(
                "return typeof window.axe === 'object' && typeof window.axe.run === 'function';",
                vec![],
            )
            .await
            .context("checking for axe-core")?;
        if loaded.json() != &json!(true) {
            let source = tokio::fs::read_to_string(&path)
                .await
                .with_context(|| format!("reading {}", path.display()))?;
            self.driver
                .execute(source, vec![])
                .await
                .with_context(|| format!("injecting {}", path.display()))?;
        }
        let ret = self
            .driver
            .execute_async(AXE_RUN, vec![])
            .await
            .context("running axe-core")?;
        let ret = ret.json();
        if let Some(err) = ret.get("err") {
            bail!("axe-core failed: {err}");
        }
        let ok = ret
            .get("ok")
            .cloned()
            .ok_or_else(|| anyhow!("unexpected axe-core result: {ret}"))?;
        serde_json::from_value(ok).context("decoding axe-core violations")
    }

    /// Like [`Browser::axe`], but if `axe.min.js` is missing print
    /// `SKIPPED: ...` and return `Ok(None)`, unless `REQUIRE_BROWSER_TESTS=1`.
    pub async fn try_axe(&self) -> Result<Option<Vec<AxeViolation>>> {
        skip_if_missing(self.axe().await, REQUIRE_ENV)
    }
}

const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then(r => done({ ok: r.violations.map(v => ({
      id: v.id,
      impact: v.impact || 'unknown',
      help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ')),
  })) }))
  .catch(e => done({ err: String(e) }));
"#;

/// One axe-core rule that the page violates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxeViolation {
    /// Rule id, e.g. `image-alt`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// One-line description, e.g. "Images must have alternative text".
    pub help: String,
    /// CSS selectors of the offending elements.
    pub nodes: Vec<String>,
}

impl fmt::Display for AxeViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {} -> {}",
            self.id,
            self.impact,
            self.help,
            self.nodes.join(", ")
        )
    }
}

/// The violations whose impact is `serious` or `critical`.
pub fn serious(violations: &[AxeViolation]) -> Vec<&AxeViolation> {
    violations
        .iter()
        .filter(|v| matches!(v.impact.as_str(), "serious" | "critical"))
        .collect()
}

// -- helpers ---------------------------------------------------------------

fn workspace_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| manifest.join("../.."), Path::to_path_buf)
}

fn artifacts_dir() -> PathBuf {
    std::env::var_os("BROWSER_ARTIFACTS")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || workspace_dir().join("target/browser-artifacts"),
            PathBuf::from,
        )
}

fn axe_js_path() -> PathBuf {
    std::env::var_os("AXE_JS")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || workspace_dir().join("node_modules/axe-core/axe.min.js"),
            PathBuf::from,
        )
}

fn file_stem(name: &str) -> String {
    let name = name.strip_suffix(".png").unwrap_or(name);
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match stem.trim_matches('.') {
        "" => "screenshot".to_owned(),
        s => s.to_owned(),
    }
}

fn missing(what: String) -> anyhow::Error {
    anyhow!(Missing {
        what,
        install: APT_HINT.to_owned(),
    })
}

/// `$CHROMEDRIVER` (a path, or a name looked up in `PATH`) or else
/// `chromedriver` in `PATH`.
fn find_chromedriver(from_env: Option<PathBuf>) -> Result<PathBuf> {
    match from_env.filter(|p| !p.as_os_str().is_empty()) {
        Some(path) => find_executable(&path).ok_or_else(|| {
            missing(format!(
                "chromedriver `{}` (from CHROMEDRIVER)",
                path.display()
            ))
        }),
        None => find_executable(Path::new("chromedriver")).ok_or_else(|| {
            missing("chromedriver (not in PATH; or set CHROMEDRIVER=/path)".to_owned())
        }),
    }
}

/// `$CHROME_BIN` or else Debian's real Chromium binary.
fn find_chrome(from_env: Option<PathBuf>) -> Result<PathBuf> {
    let (path, origin) = match from_env.filter(|p| !p.as_os_str().is_empty()) {
        Some(path) => (path, "from CHROME_BIN"),
        None => (PathBuf::from(DEFAULT_CHROME), "or set CHROME_BIN=/path"),
    };
    find_executable(&path)
        .ok_or_else(|| missing(format!("Chromium `{}` ({origin})", path.display())))
}

fn capabilities(chrome: &Path, profile: &Path, width: u32, height: u32) -> Capabilities {
    let options = json!({
        "binary": chrome,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".to_owned(), Value::from("chrome"));
    caps.insert("goog:chromeOptions".to_owned(), options);
    Capabilities::from(caps)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::daemon::{group_pids, is_missing};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const GOOD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Greeting</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Greeting</h1>
<form method="get" action="/hello">
<label for="name">Your name</label> <input id="name" name="name" value="old">
<button type="submit">Greet</button>
</form></main></body></html>"#;

    const BAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body><main><h1>Bad page</h1><img src="/missing.png"></main></body></html>"#;

    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    fn page(target: &str) -> (&'static str, String) {
        let url = url::Url::parse(&format!("http://test{target}")).unwrap();
        match url.path() {
            "/" => ("200 OK", GOOD.to_owned()),
            "/bad" => ("200 OK", BAD.to_owned()),
            "/hello" => {
                let name = url
                    .query_pairs()
                    .find(|(k, _)| k == "name")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                let body = format!(
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                     <title>Hello</title></head><body><main>\
                     <h1 id=\"result\">Hello, {}!</h1></main></body></html>",
                    escape(&name)
                );
                ("200 OK", body)
            }
            _ => ("404 Not Found", "not found".to_owned()),
        }
    }

    /// A tiny HTTP/1.1 server on 127.0.0.1:0 (one request per connection).
    async fn serve() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut req = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 65536 {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    let req = String::from_utf8_lossy(&req);
                    let target = req.split(' ').nth(1).unwrap_or("/").to_owned();
                    let (status, body) = page(&target);
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        format!("http://{addr}")
    }

    fn png_size(path: &Path) -> (u32, u32) {
        let png = std::fs::read(path).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
        (be(16), be(20))
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn form_screenshots_and_axe() {
        let Some(b) = Browser::try_start(DESKTOP.0, DESKTOP.1).await.unwrap() else {
            return;
        };
        let base = serve().await;

        b.goto(&format!("{base}/")).await.unwrap();
        // Widths decide the layout and are exact; a loaded machine may give
        // the window a little less height, so heights are not asserted.
        assert_eq!(b.viewport_size().await.unwrap().0, DESKTOP.0);
        b.fill("#name", "Ada <Lovelace>").await.unwrap();
        b.click("button[type=submit]").await.unwrap();
        assert_eq!(b.text("#result").await.unwrap(), "Hello, Ada <Lovelace>!");
        assert_eq!(b.url().await.unwrap().path(), "/hello");

        let [desktop, phone] = b.screenshots("testkit-hello").await.unwrap();
        assert_eq!(png_size(&desktop).0, DESKTOP.0);
        assert_eq!(png_size(&phone).0, PHONE.0);
        assert_eq!(b.viewport_size().await.unwrap().0, DESKTOP.0);

        let err = b
            .wait_for_within("#nope", Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("#nope"), "{err:#}");

        if let Some(v) = b.try_axe().await.unwrap() {
            assert!(serious(&v).is_empty(), "good page: {v:#?}");
            b.goto(&format!("{base}/bad")).await.unwrap();
            let v = b.axe().await.unwrap();
            let ids: Vec<&str> = serious(&v).iter().map(|v| v.id.as_str()).collect();
            assert!(ids.contains(&"image-alt"), "{v:#?}");
            let img = v.iter().find(|v| v.id == "image-alt").unwrap();
            assert_eq!(img.nodes, ["img"]);
            assert!(img.to_string().starts_with("image-alt [critical]"), "{img}");
            // A second run on the same page reuses the injected axe.
            assert_eq!(b.axe().await.unwrap(), v);
        }
        b.quit().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn dropping_the_browser_kills_chromium() {
        let Some(b) = Browser::try_start(PHONE.0, PHONE.1).await.unwrap() else {
            return;
        };
        assert_eq!(b.viewport_size().await.unwrap().0, PHONE.0);
        let pgid = b.chromedriver().pgid();
        // watchdog + chromedriver + several Chromium processes
        assert!(group_pids(pgid).len() > 3, "{:?}", group_pids(pgid));
        drop(b); // no quit(): as after a panic
        let mut left = group_pids(pgid);
        for _ in 0..200 {
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            left = group_pids(pgid);
        }
        assert!(left.is_empty(), "left: {left:?}");
    }

    #[test]
    fn missing_browser_names_the_packages() {
        let err = find_chromedriver(Some("/nonexistent/chromedriver".into())).unwrap_err();
        assert!(is_missing(&err));
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/chromedriver"), "{msg}");
        assert!(msg.contains("apt-get install"), "{msg}");
        assert!(msg.contains("chromium chromium-driver"), "{msg}");
        let err = find_chrome(Some("/nonexistent/chromium".into())).unwrap_err();
        assert!(is_missing(&err) && err.to_string().contains("chromium-driver"));
        assert!(
            skip_if_missing::<()>(Err(err), "KONBIT_NO_SUCH_VAR")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(file_stem("a/b c.png"), "a_b_c");
        assert_eq!(file_stem(".."), "screenshot");
        let v = |id: &str, impact: &str| AxeViolation {
            id: id.into(),
            impact: impact.into(),
            help: String::new(),
            nodes: vec![],
        };
        let all = [
            v("a", "minor"),
            v("b", "serious"),
            v("c", "critical"),
            v("d", "moderate"),
        ];
        let ids: Vec<&str> = serious(&all).iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        assert!(workspace_dir().join("Cargo.toml").is_file());
    }
}
