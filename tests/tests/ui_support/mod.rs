//! Shared helpers of the `ui_*` tests: headless Chromium driven through `chromedriver`
//! (WebDriver) with fantoccini, wrapped in a blocking API so tests read top to bottom.
//!
//! - [`Browser::start`] finds Chromium and ChromeDriver (`PAPERCLIP_CHROMIUM` /
//!   `PAPERCLIP_CHROMEDRIVER`, else `chromium` / `chromedriver` on `PATH`), starts chromedriver
//!   on a free loopback port and opens a session with the flags this machine needs. When they
//!   are missing the test fails naming the install command, unless
//!   `PAPERCLIP_SKIP_BROWSER_TESTS=1` asks explicitly to skip browser tests.
//! - Every JS console message of level SEVERE (uncaught errors, `console.error`, failed
//!   requests) is collected from chromedriver's browser log; [`Browser::assert_no_console_errors`]
//!   fails the test on any that is not expected.
//! - A wait that times out saves a screenshot to `tests/artifacts/<test>-failure.png` and shows
//!   the page's text.

#![allow(dead_code)] // Each test binary uses its own subset.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use paperclip_e2e::{json, workspace_root, Value};
use std::cell::RefCell;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set to `1` to skip the browser tests on a machine without Chromium.
pub const SKIP_VAR: &str = "PAPERCLIP_SKIP_BROWSER_TESTS";
/// How long a wait for the page may take.
pub const WAIT: Duration = Duration::from_secs(20);
/// The window size of every session (the dashboard screenshot's size).
const WINDOW: (u32, u32) = (1400, 1100);

/// Flags Chromium needs here: headless, no sandbox (root), and no background connections (the
/// machine's network is closed; Chromium's attempts would fail noisily).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=en-US",
];

/// The folder of test artefacts (screenshots), git-ignored.
pub fn artifacts_dir() -> PathBuf {
    let dir = workspace_root().join("tests").join("artifacts");
    std::fs::create_dir_all(&dir).expect("tests/artifacts can be created");
    dir
}

/// A headless Chromium session; the browser and chromedriver are stopped on drop.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    driver_url: String,
    session: String,
    base_url: String,
    name: String,
    _profile: tempfile::TempDir,
    driver_log: PathBuf,
    console: RefCell<Vec<Value>>,
}

impl Browser {
    /// Starts a browser for the test `name` against the server at `base_url`; `None` only
    /// when `PAPERCLIP_SKIP_BROWSER_TESTS=1` and no browser is installed.
    ///
    /// # Panics
    /// When Chromium or ChromeDriver is missing (with the command that installs them), or the
    /// session cannot be opened.
    pub fn start(name: &str, base_url: &str) -> Option<Browser> {
        let (chromium, chromedriver) = match (find_chromium(), find_chromedriver()) {
            (Some(chromium), Some(chromedriver)) => (chromium, chromedriver),
            (chromium, chromedriver) => {
                let missing: Vec<&str> = [
                    ("chromium", chromium.is_none()),
                    ("chromedriver", chromedriver.is_none()),
                ]
                .iter()
                .filter(|(_, missing)| *missing)
                .map(|(name, _)| *name)
                .collect();
                if std::env::var(SKIP_VAR).as_deref() == Ok("1") {
                    eprintln!(
                        "skipping browser test {name}: {} not installed and {SKIP_VAR}=1",
                        missing.join(" and ")
                    );
                    return None;
                }
                let verb = if missing.len() == 1 { "is" } else { "are" };
                panic!(
                    "the web UI tests need headless Chromium, but {} {verb} not installed.\n\
                     Install it with `scripts/install-test-browser.sh` as root (Debian: \
                     `apt-get install chromium chromium-driver`), or point PAPERCLIP_CHROMIUM and \
                     PAPERCLIP_CHROMEDRIVER at the binaries. To skip the browser tests explicitly, \
                     set {SKIP_VAR}=1.",
                    missing.join(" and ")
                );
            }
        };
        let profile = tempfile::Builder::new()
            .prefix("paperclip-chromium-")
            .tempdir()
            .expect("a Chromium profile folder");
        let driver_log = profile.path().join("chromedriver.log");
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", driver_log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let driver_url = format!("http://127.0.0.1:{port}");
        wait_for_driver(&driver_url);

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ));
        args.push(format!("--window-size={},{}", WINDOW.0, WINDOW.1));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium.to_string_lossy(), "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let capabilities = capabilities.as_object().cloned().expect("an object");
        let client = runtime
            .block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&driver_url),
            )
            .unwrap_or_else(|e| {
                panic!(
                    "cannot open a Chromium session through {}: {e}\n--- chromedriver log ---\n{}",
                    chromedriver.display(),
                    tail_file(&driver_log, 40)
                )
            });
        let session = runtime
            .block_on(client.session_id())
            .ok()
            .flatten()
            .expect("the session has an id");
        Some(Browser {
            runtime,
            client: Some(client),
            driver,
            driver_url,
            session,
            base_url: base_url.trim_end_matches('/').to_string(),
            name: name.to_string(),
            _profile: profile,
            driver_log,
            console: RefCell::new(Vec::new()),
        })
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// Opens `path` (starting with `/`) of the server — a full page load.
    pub fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base_url);
        self.runtime
            .block_on(self.client().goto(&url))
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Opens an absolute `url` (another origin than the server's, e.g. a test's attacker page).
    pub fn open_url(&self, url: &str) {
        self.runtime
            .block_on(self.client().goto(url))
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// The current URL's path and query.
    pub fn path(&self) -> String {
        self.eval("return location.pathname + location.search")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `script` (a function body; use `return`) in the page and returns its value.
    pub fn eval(&self, script: &str) -> Value {
        self.runtime
            .block_on(self.client().execute(script, vec![]))
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `script` until it returns something truthy (not null/false/0/""/[]), and returns
    /// that. `what` describes the awaited state for the failure message.
    ///
    /// # Panics
    /// After [`WAIT`], saving a screenshot and showing the page text and console errors.
    pub fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self
                .runtime
                .block_on(self.client().execute(script, vec![]))
                .unwrap_or(Value::Null);
            if truthy(&value) {
                return value;
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {what}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until an element matches `css`; returns its text.
    pub fn wait_for_css(&self, css: &str) -> String {
        let script = format!(
            "const el = document.querySelector({}); return el ? (el.innerText || el.textContent || ' ') : null;",
            js_string(css)
        );
        self.wait_for(&format!("an element {css}"), &script)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the text of the first element matching `css` contains `text`; returns it.
    pub fn wait_for_text(&self, css: &str, text: &str) -> String {
        let script = format!(
            "const el = document.querySelector({}); const t = el ? (el.innerText || el.textContent) : ''; return t.includes({}) ? t : null;",
            js_string(css),
            js_string(text)
        );
        self.wait_for(&format!("{css} to contain {text:?}"), &script)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until no element matches `css`.
    pub fn wait_for_absent(&self, css: &str) {
        let script = format!(
            "return document.querySelector({}) === null;",
            js_string(css)
        );
        self.wait_for(&format!("no element {css}"), &script);
    }

    /// How many elements match `css` now.
    pub fn count(&self, css: &str) -> usize {
        let script = format!(
            "return document.querySelectorAll({}).length;",
            js_string(css)
        );
        self.eval(&script).as_u64().unwrap_or(0) as usize
    }

    /// The texts of every element matching `css` now.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let script = format!(
            "return [...document.querySelectorAll({})].map((el) => el.innerText || el.textContent);",
            js_string(css)
        );
        self.eval(&script)
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn element(&self, css: &str) -> Element {
        self.wait_for_css(css);
        self.runtime
            .block_on(self.client().find(Locator::Css(css)))
            .unwrap_or_else(|e| self.fail(&format!("cannot find {css}: {e}")))
    }

    /// Clicks the element matching `css` (waiting for it first).
    pub fn click(&self, css: &str) {
        let element = self.element(css);
        self.runtime
            .block_on(element.click())
            .unwrap_or_else(|e| self.fail(&format!("cannot click {css}: {e}")));
    }

    /// Replaces the value of the input matching `css` with `text`, as typed.
    pub fn fill(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.runtime
            .block_on(async {
                element.clear().await?;
                element.send_keys(text).await
            })
            .unwrap_or_else(|e| self.fail(&format!("cannot type into {css}: {e}")));
    }

    /// Chooses the option with `value` in the `<select>` matching `css`.
    pub fn choose(&self, css: &str, value: &str) {
        let element = self.element(css);
        self.runtime
            .block_on(element.select_by_value(value))
            .unwrap_or_else(|e| self.fail(&format!("cannot choose {value:?} in {css}: {e}")));
    }

    /// Puts the file `path` into the file input matching `css`.
    pub fn upload(&self, css: &str, path: &Path) {
        let element = self.element(css);
        let path = path.canonicalize().expect("the upload exists");
        self.runtime
            .block_on(element.send_keys(&path.to_string_lossy()))
            .unwrap_or_else(|e| {
                self.fail(&format!("cannot upload {} into {css}: {e}", path.display()))
            });
    }

    /// Saves a PNG screenshot of the window to `path`.
    pub fn screenshot(&self, path: &Path) {
        let png = self
            .runtime
            .block_on(self.client().screenshot())
            .unwrap_or_else(|e| panic!("screenshot failed: {e}"));
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Collects the browser log entries of level SEVERE since the last call (chromedriver
    /// hands each entry out once), keeping them for [`Browser::console_errors`].
    fn drain_log(&self) {
        let url = format!("{}/session/{}/se/log", self.driver_url, self.session);
        let response = reqwest::blocking::Client::new()
            .post(&url)
            .json(&json!({ "type": "browser" }))
            .send()
            .and_then(|r| r.json::<Value>())
            .unwrap_or_else(|e| panic!("cannot read the browser log from chromedriver: {e}"));
        let entries = response["value"].as_array().cloned().unwrap_or_default();
        self.console.borrow_mut().extend(
            entries
                .into_iter()
                .filter(|entry| entry["level"] == "SEVERE"),
        );
    }

    /// Every SEVERE console entry so far (`{level, message, source}`).
    pub fn console_errors(&self) -> Vec<Value> {
        self.drain_log();
        self.console.borrow().clone()
    }

    /// Fails when the console has an error whose message contains none of `expected`.
    /// Clears the collected errors.
    pub fn assert_no_console_errors(&self, expected: &[&str]) {
        let errors = self.console_errors();
        self.console.borrow_mut().clear();
        let unexpected: Vec<String> = errors
            .iter()
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .filter(|message| !expected.iter().any(|allowed| message.contains(allowed)))
            .collect();
        assert!(
            unexpected.is_empty(),
            "[{}] JS console errors:\n{}",
            self.name,
            unexpected.join("\n")
        );
    }

    /// Saves a failure screenshot and panics with `message`, the page text and console errors.
    pub fn fail(&self, message: &str) -> ! {
        let shot = artifacts_dir().join(format!("{}-failure.png", self.name));
        let saved = self
            .runtime
            .block_on(self.client().screenshot())
            .ok()
            .and_then(|png| std::fs::write(&shot, png).ok())
            .map(|_| format!("screenshot: {}", shot.display()))
            .unwrap_or_else(|| "no screenshot".to_string());
        let text = self
            .runtime
            .block_on(self.client().execute(
                "return location.href + '\\n' + document.body.innerText",
                vec![],
            ))
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let console: Vec<String> = self
            .console_errors()
            .iter()
            .map(|e| e["message"].to_string())
            .collect();
        panic!(
            "[{}] {message} ({saved})\n--- page ---\n{}\n--- console errors ---\n{}",
            self.name,
            text.chars().take(4000).collect::<String>(),
            console.join("\n")
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), client.close()).await
            });
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Whether a script result counts as "there".
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// `text` as a JavaScript string literal.
pub fn js_string(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// Only the digits of `text` ("4,000 tokens" → "4000"), to compare numbers across locales.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for_driver(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let http = reqwest::blocking::Client::new();
    loop {
        let ready = http
            .get(format!("{url}/status"))
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .is_some_and(|v| v["value"]["ready"] == true);
        if ready {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver at {url} did not become ready"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn find_chromium() -> Option<PathBuf> {
    from_env("PAPERCLIP_CHROMIUM").or_else(|| {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| on_path(name))
    })
}

fn find_chromedriver() -> Option<PathBuf> {
    from_env("PAPERCLIP_CHROMEDRIVER").or_else(|| on_path("chromedriver"))
}

fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_file())
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn tail_file(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
