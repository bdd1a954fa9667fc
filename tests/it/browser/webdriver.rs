//! A minimal W3C WebDriver client: just enough to drive a headless Chromium through
//! `chromedriver` from a test, over plain HTTP with `reqwest`.
//!
//! [`Browser::launch`] starts `chromedriver` on a free loopback port in a process group of its
//! own, under a small shell watchdog, waits (bounded polling) until it reports ready and opens
//! a session with a fresh profile in a temporary folder. Dropping the [`Browser`] ends the
//! session, which closes Chromium, then kills whatever is left of the process group and waits
//! for it; if the test process dies without dropping it, the watchdog kills the group. No
//! process outlives a test.
//!
//! Nothing here sleeps for a fixed time: every wait polls a condition until a deadline.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use reqwest::{Client, Method};
use serde_json::{json, Value};

/// How long [`Browser::find`] and friends wait by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Pause between two looks at a condition.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How long chromedriver may take to answer `/status` with `ready: true`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the browser may take to load a page.
const PAGE_LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// The key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Runs chromedriver (`$0`, with its arguments) in the process group this shell leads, and
/// kills the whole group, Chromium and its helpers included, as soon as either chromedriver
/// exits or the shell's stdin reaches its end. The test holds the other end of that pipe, so
/// the group goes away when the [`Browser`] is dropped and also when the test process dies in
/// any way, even killed outright, when no Drop runs.
#[cfg(unix)]
const WATCHDOG: &str = r#"{ "$0" "$@"; kill -KILL 0; } & read -r _line; kill -KILL 0"#;

/// The Chromium arguments every session gets, besides `--user-data-dir`.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
    // A desktop window: pages show their one-row header from 1100 px (tests of narrow
    // screens resize the window themselves).
    "--window-size=1280,1000",
    // The test network's instance names (alpha.test, beta.test, ...) are loopback, as the
    // instances' own HTTP clients resolve them; each name keeps its own cookies.
    "--host-resolver-rules=MAP *.test 127.0.0.1",
];

/// A headless Chromium driven through its own chromedriver.
pub struct Browser {
    http: Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session_url: String,
    driver_port: u16,
    session_id: String,
    /// The watchdog leading chromedriver's process group.
    driver: Child,
    /// The watchdog's stdin: when it closes, the watchdog kills the group.
    lifeline: Option<ChildStdin>,
    /// Profile and driver log; removed after the processes are gone (fields drop after `drop`).
    dir: tempfile::TempDir,
}

/// A reference to an element of the current page.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Browser {
    /// Starts chromedriver and opens a session with a headless Chromium.
    pub async fn launch(chromedriver: &Path, chromium: &Path) -> Result<Browser> {
        // The free port may be taken again before chromedriver binds it; then it exits at
        // once and another port is tried.
        let mut attempt = 1;
        loop {
            let mut browser = Self::start_driver(chromedriver)?;
            match browser.wait_for_driver().await {
                Ok(()) => {
                    browser.start_session(chromium).await?;
                    return Ok(browser);
                }
                Err(e) if attempt < 3 && e.is::<DriverExited>() => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Spawns chromedriver on a free loopback port, under a watchdog (see [`WATCHDOG`]).
    fn start_driver(chromedriver: &Path) -> Result<Browser> {
        let dir = tempfile::Builder::new()
            .prefix("guildhall-browser-")
            .tempdir()
            .context("temporary folder for the browser")?;
        let port = free_port()?;
        #[cfg(unix)]
        let mut command = {
            use std::os::unix::process::CommandExt;
            let mut c = Command::new("/bin/sh");
            c.arg("-c").arg(WATCHDOG).arg(chromedriver);
            // A process group of its own, which Drop (or the watchdog) kills as a whole.
            c.process_group(0);
            c
        };
        #[cfg(not(unix))]
        let mut command = Command::new(chromedriver);
        command
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                dir.path().join("chromedriver.log").display()
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut driver = command
            .spawn()
            .with_context(|| format!("cannot start {}", chromedriver.display()))?;
        let lifeline = driver.stdin.take();
        let http = Client::builder()
            .timeout(PAGE_LOAD_TIMEOUT + Duration::from_secs(10))
            .build()
            .context("HTTP client")?;
        Ok(Browser {
            http,
            session_url: String::new(),
            driver_port: port,
            session_id: String::new(),
            driver,
            lifeline,
            dir,
        })
    }

    fn driver_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.driver_port)
    }

    /// Polls `/status` until chromedriver is ready, failing early if it exits.
    async fn wait_for_driver(&mut self) -> Result<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let status_url = format!("{}/status", self.driver_url());
        loop {
            if let Some(exit) = self.driver.try_wait().context("chromedriver status")? {
                return Err(DriverExited(format!("{exit}{}", self.log_tail())).into());
            }
            let ready = match self.http.get(&status_url).send().await {
                Ok(r) => r
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == json!(true)),
                Err(_) => false,
            };
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "chromedriver did not become ready within {STARTUP_TIMEOUT:?}{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    async fn start_session(&mut self, chromium: &Path) -> Result<()> {
        let profile = self.dir.path().join("profile");
        std::fs::create_dir(&profile).context("profile folder")?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": {
                        "binary": chromium.display().to_string(),
                        "args": args,
                    },
                }
            }
        });
        let url = format!("{}/session", self.driver_url());
        let value = self
            .call(Method::POST, &url, Some(capabilities))
            .await
            .with_context(|| format!("cannot open a browser session{}", self.log_tail()))?;
        self.session_id = value["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no sessionId in {value}"))?
            .to_string();
        self.session_url = format!("{}/session/{}", self.driver_url(), self.session_id);
        self.command(
            Method::POST,
            "/timeouts",
            Some(json!({
                "implicit": 0,
                "pageLoad": PAGE_LOAD_TIMEOUT.as_millis() as u64,
                "script": 10_000,
            })),
        )
        .await?;
        Ok(())
    }

    /// The last lines of chromedriver's log, to explain a failed start.
    fn log_tail(&self) -> String {
        let text =
            std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        if tail.is_empty() {
            String::new()
        } else {
            format!("\nchromedriver log (last lines):\n{tail}")
        }
    }

    /// One WebDriver request; returns the `value` of the answer or the WebDriver error.
    async fn call(&self, method: Method, url: &str, body: Option<Value>) -> Result<Value> {
        let mut request = self.http.request(method.clone(), url);
        // WebDriver wants a JSON body on every POST, even an empty one.
        if method == Method::POST {
            request = request.json(&body.unwrap_or_else(|| json!({})));
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("{method} {url}: answer is not JSON"))?;
        let value = body.get("value").cloned().unwrap_or(Value::Null);
        if !status.is_success() {
            let error = value["error"].as_str().unwrap_or("unknown error");
            let message = value["message"].as_str().unwrap_or("");
            let first_line = message.lines().next().unwrap_or("");
            return Err(WebDriverError {
                error: error.to_string(),
                message: first_line.to_string(),
            })
            .with_context(|| format!("{method} {url} ({status})"));
        }
        Ok(value)
    }

    /// A request on the current session: `path` is relative to `/session/ID`.
    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{}", self.session_url, path);
        self.call(method, &url, body).await
    }

    // --- navigation -----------------------------------------------------------------------

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.command(Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .with_context(|| format!("open {url}"))?;
        Ok(())
    }

    pub async fn current_url(&self) -> Result<String> {
        let v = self.command(Method::GET, "/url", None).await?;
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("URL is not a string: {v}"))
    }

    /// The path of the current page (without query or fragment).
    pub async fn current_path(&self) -> Result<String> {
        let url = self.current_url().await?;
        let parsed = url::Url::parse(&url).with_context(|| format!("current URL {url}"))?;
        Ok(parsed.path().to_string())
    }

    /// The current page's HTML, as the browser sees it now.
    pub async fn source(&self) -> Result<String> {
        let v = self.command(Method::GET, "/source", None).await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        let v = self.command(Method::GET, "/screenshot", None).await?;
        let data = v
            .as_str()
            .ok_or_else(|| anyhow!("screenshot is not a string"))?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .context("screenshot is not base64")
    }

    // --- elements -------------------------------------------------------------------------

    /// Looks for an element once; `None` when the page has none.
    pub async fn try_find(&self, css: &str) -> Result<Option<Element<'_>>> {
        let body = json!({ "using": "css selector", "value": css });
        match self.command(Method::POST, "/element", Some(body)).await {
            Ok(v) => Ok(Some(self.element(&v)?)),
            Err(e) if is_webdriver_error(&e, "no such element") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every element matching `css` on the page now (possibly none).
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>> {
        let body = json!({ "using": "css selector", "value": css });
        let v = self.command(Method::POST, "/elements", Some(body)).await?;
        v.as_array()
            .ok_or_else(|| anyhow!("elements are not a list: {v}"))?
            .iter()
            .map(|e| self.element(e))
            .collect()
    }

    /// Waits (up to [`DEFAULT_TIMEOUT`]) for an element matching `css`.
    pub async fn find(&self, css: &str) -> Result<Element<'_>> {
        self.find_within(css, DEFAULT_TIMEOUT).await
    }

    /// Waits up to `timeout` for an element matching `css`.
    pub async fn find_within(&self, css: &str, timeout: Duration) -> Result<Element<'_>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.try_find(css).await? {
                return Ok(element);
            }
            if Instant::now() >= deadline {
                bail!(
                    "no element matches `{css}` after {timeout:?} on {}",
                    self.current_url().await.unwrap_or_default()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    fn element(&self, value: &Value) -> Result<Element<'_>> {
        let id = value[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| anyhow!("not an element reference: {value}"))?;
        Ok(Element {
            browser: self,
            id: id.to_string(),
        })
    }

    /// Clicks the element matching `css` (waiting for it to appear).
    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css).await?.click().await
    }

    /// Replaces the value of the field matching `css` with `text`.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(text).await
    }

    /// Chooses the option with `value` in the `<select>` matching `select_css`.
    pub async fn select(&self, select_css: &str, value: &str) -> Result<()> {
        let option = format!("{select_css} option[value=\"{value}\"]");
        self.find(&option).await?.click().await?;
        let chosen = self.find(select_css).await?.property("value").await?;
        if chosen != value {
            bail!("`{select_css}` shows `{chosen}` after choosing `{value}`");
        }
        Ok(())
    }

    /// The visible text of the element matching `css` (waiting for it to appear).
    pub async fn text(&self, css: &str) -> Result<String> {
        self.find(css).await?.text().await
    }

    // --- scripts and dialogs ---------------------------------------------------------------

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns
    /// what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.command(
            Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Runs `script` asynchronously: it ends by calling its last argument (the callback) with
    /// the result, which this returns.
    pub async fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        self.command(
            Method::POST,
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Resizes the browser window (the layout viewport follows).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.command(
            Method::POST,
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await
        .with_context(|| format!("resize the window to {width}x{height}"))?;
        Ok(())
    }

    /// The text of the open alert, confirm or prompt dialog; `None` when none is open.
    pub async fn dialog_text(&self) -> Result<Option<String>> {
        match self.command(Method::GET, "/alert/text", None).await {
            Ok(v) => Ok(Some(v.as_str().unwrap_or_default().to_string())),
            Err(e) if is_webdriver_error(&e, "no such alert") => Ok(None),
            Err(e) => Err(e),
        }
    }

    // --- waiting --------------------------------------------------------------------------

    /// Polls `condition` until it returns `Ok(true)` or `timeout` passes. Errors from the
    /// condition count as "not yet" (the page may be changing under it) and are reported if
    /// the time runs out.
    pub async fn wait_until<F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        mut condition: F,
    ) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        let deadline = Instant::now() + timeout;
        let mut last_error = None;
        loop {
            match condition().await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => last_error = Some(e),
            }
            if Instant::now() >= deadline {
                let url = self.current_url().await.unwrap_or_default();
                let why = last_error
                    .map(|e| format!(" (last error: {e:#})"))
                    .unwrap_or_default();
                bail!("timed out after {timeout:?} waiting for {what} on {url}{why}");
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits until the current page's path is `path`.
    pub async fn wait_for_path(&self, path: &str) -> Result<()> {
        self.wait_until(&format!("the path {path}"), DEFAULT_TIMEOUT, || async {
            Ok(self.current_path().await? == path)
        })
        .await
    }

    /// Loads `url` again and again until the element matching `css` shows text containing
    /// `needle`: for what arrives from another server while the page is open.
    pub async fn reload_until_text(&self, url: &str, css: &str, needle: &str) -> Result<()> {
        self.wait_until(
            &format!("`{needle}` in `{css}` after reloading"),
            DEFAULT_TIMEOUT,
            || async {
                self.goto(url).await?;
                Ok(match self.try_find(css).await? {
                    Some(e) => e.text().await?.contains(needle),
                    None => false,
                })
            },
        )
        .await
    }

    /// Waits until the element matching `css` shows text containing `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> Result<()> {
        self.wait_until(
            &format!("`{needle}` in `{css}`"),
            DEFAULT_TIMEOUT,
            || async {
                Ok(match self.try_find(css).await? {
                    Some(e) => e.text().await?.contains(needle),
                    None => false,
                })
            },
        )
        .await
    }
}

impl Element<'_> {
    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        self.browser
            .command(method, &format!("/element/{}{path}", self.id), body)
            .await
    }

    /// The element as a script argument of [`Browser::execute`].
    pub fn reference(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    pub async fn click(&self) -> Result<()> {
        self.command(Method::POST, "/click", None).await?;
        Ok(())
    }

    /// Types `text` into the element.
    pub async fn send_keys(&self, text: &str) -> Result<()> {
        self.command(Method::POST, "/value", Some(json!({ "text": text })))
            .await?;
        Ok(())
    }

    pub async fn clear(&self) -> Result<()> {
        self.command(Method::POST, "/clear", None).await?;
        Ok(())
    }

    /// The rendered text, as a reader sees it.
    pub async fn text(&self) -> Result<String> {
        let v = self.command(Method::GET, "/text", None).await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// A DOM property (such as `value` or `checked`), as text.
    pub async fn property(&self, name: &str) -> Result<String> {
        let v = self
            .command(Method::GET, &format!("/property/{name}"), None)
            .await?;
        Ok(match v {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        })
    }

    /// An HTML attribute (such as `data-uri`), as written in the page; empty when absent.
    pub async fn attribute(&self, name: &str) -> Result<String> {
        let v = self
            .command(Method::GET, &format!("/attribute/{name}"), None)
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub async fn is_selected(&self) -> Result<bool> {
        let v = self.command(Method::GET, "/selected", None).await?;
        Ok(v.as_bool().unwrap_or(false))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask chromedriver to close the browser: it waits for Chromium and reaps it.
        if !self.session_id.is_empty() {
            let path = format!("/session/{}", self.session_id);
            let _ = blocking_delete(self.driver_port, &path);
        }
        // Then end chromedriver and anything still in its process group: closing the
        // lifeline tells the watchdog, and we do not rely on it.
        drop(self.lifeline.take());
        #[cfg(unix)]
        kill_group(self.driver.id());
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        #[cfg(unix)]
        wait_group_gone(self.driver.id(), Duration::from_secs(5));
    }
}

/// A WebDriver error answer, such as `no such element`.
#[derive(Debug)]
pub struct WebDriverError {
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

impl std::error::Error for WebDriverError {}

/// chromedriver stopped before it was ready (its port was probably taken meanwhile).
#[derive(Debug)]
struct DriverExited(String);

impl std::fmt::Display for DriverExited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chromedriver exited during start-up ({})", self.0)
    }
}

impl std::error::Error for DriverExited {}

fn is_webdriver_error(e: &anyhow::Error, kind: &str) -> bool {
    e.downcast_ref::<WebDriverError>()
        .is_some_and(|w| w.error == kind)
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("free port")?;
    Ok(listener.local_addr()?.port())
}

/// `DELETE path` without an async runtime (Drop may run while a test unwinds). Returns once
/// the whole answer is in: chromedriver answers after the browser has closed, and may keep the
/// connection open afterwards.
fn blocking_delete(port: u16, path: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(15)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "DELETE {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        answer.extend_from_slice(&chunk[..n]);
        if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return Ok(());
            }
        }
    }
}

#[cfg(unix)]
mod signals {
    // The C library is linked into every Rust program on Unix; this avoids a crate for one call.
    extern "C" {
        pub fn kill(pid: i32, signal: i32) -> i32;
    }
    pub const SIGKILL: i32 = 9;
}

/// Kills every process in the group led by `leader`.
#[cfg(unix)]
fn kill_group(leader: u32) {
    if let Ok(pid) = i32::try_from(leader) {
        // SAFETY: kill(2) with a negative pid signals the process group; no memory involved.
        unsafe {
            signals::kill(-pid, signals::SIGKILL);
        }
    }
}

/// Waits (bounded) until no process of the group led by `leader` is left running. Processes
/// that already exited but wait for their new parent (init) to collect them do not count.
#[cfg(unix)]
fn wait_group_gone(leader: u32, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while group_is_running(leader) && Instant::now() < deadline {
        kill_group(leader);
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Whether a process of the group `pgid` is still running (exited ones are ignored).
#[cfg(unix)]
fn group_is_running(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        // No /proc: ask the kernel, which also counts exited processes not yet collected.
        let Ok(pid) = i32::try_from(pgid) else {
            return false;
        };
        // SAFETY: signal 0 only checks whether the group still exists.
        return unsafe { signals::kill(-pid, 0) } == 0;
    };
    entries.flatten().any(|entry| {
        // /proc/PID/stat is "PID (NAME) STATE PPID PGRP …"; NAME may hold spaces.
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        matches!(fields.as_slice(), [state, _ppid, group, ..]
            if *group == pgid.to_string() && *state != "Z" && *state != "X")
    })
}

/// Where a failing browser test leaves its screenshot and page source.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("GUILDHALL_BROWSER_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("guildhall-browser-artifacts"))
}

impl Browser {
    /// Saves a screenshot and the page source as `<name>.png` and `<name>.html` under
    /// [`artifacts_dir`]; returns a line saying where (or why not).
    pub async fn save_artifacts(&self, name: &str) -> String {
        let dir = artifacts_dir();
        if let Err(e) = std::fs::create_dir_all(&dir) {
            return format!("could not create {}: {e}", dir.display());
        }
        let mut saved = Vec::new();
        if let Ok(png) = self.screenshot().await {
            let path = dir.join(format!("{name}.png"));
            if std::fs::write(&path, png).is_ok() {
                saved.push(path.display().to_string());
            }
        }
        if let Ok(html) = self.source().await {
            let path = dir.join(format!("{name}.html"));
            if std::fs::write(&path, html).is_ok() {
                saved.push(path.display().to_string());
            }
        }
        if saved.is_empty() {
            "no screenshot or page source could be saved".to_string()
        } else {
            format!("saved {}", saved.join(" and "))
        }
    }
}
