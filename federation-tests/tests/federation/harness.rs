//! Real `guildhall serve` processes for the federation tests.
//!
//! Each [`Instance`] is its own process with its own temporary folder and database (a SQLite
//! file, or a fresh PostgreSQL database `gh_fed_<hex>` created through
//! `GUILDHALL_TEST_DATABASE_URL` when that is set, as in the root package's tests). It listens on
//! `127.0.0.1:<port>` and calls itself `<name>.test:<port>`; `GUILDHALL_RESOLVE` points every
//! `*.test` name the suite uses at 127.0.0.1 inside Guildhall's HTTP client, and the test's own
//! client resolves them the same way, so URLs, `Host` headers and signatures carry the real
//! names. No `/etc/hosts` entries are needed.
//!
//! The binary is `<target dir>/<profile>/guildhall`, next to this test's own executable (or
//! `GUILDHALL_BIN` when set). When it is missing or older than the sources, the harness runs
//! `cargo build --bin guildhall -p guildhall` once per test run before the first instance starts
//! (a test binary cannot ask cargo for another package's binary).
//!
//! Every wait is bounded polling against a deadline; a process's output goes to `guildhall.log`
//! in its folder and is printed when the test fails.
//!
//! What this harness shares with the root package's tests (fresh databases, polling, the HTTP
//! set-up chain, dates) is in the `test-support` crate; what is its own is starting, stopping
//! and restarting processes.

use std::fs::OpenOptions;
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use test_support::{client_builder, Api, DatabaseNames};

pub use test_support::{ahead, random_hex, AS_JSON};

/// Host names of the test network: instances and the peer.
pub const NAMES: [&str; 5] = ["alpha", "beta", "gamma", "peer", "lemmy"];

/// This suite's databases: `gh_fed_<hex>` on PostgreSQL, `guildhall.db` on SQLite.
const DATABASES: DatabaseNames = DatabaseNames {
    postgres_prefix: "gh_fed",
    sqlite_file: "guildhall.db",
};

/// How long an instance may take to answer `/healthz` after it was started.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// How long a process may take to exit after SIGTERM.
const STOP_DEADLINE: Duration = Duration::from_secs(15);
/// Between two polls.
const POLL: Duration = Duration::from_millis(50);
/// Lines of a process's log shown when a test fails.
const LOG_TAIL: usize = 300;

/// The usual deadline for something to happen across instances.
pub const SOON: Duration = Duration::from_secs(20);

/// `alpha.test=127.0.0.1,…`: the `GUILDHALL_RESOLVE` value for the test network.
pub fn resolve_setting() -> String {
    NAMES
        .iter()
        .map(|n| format!("{n}.test=127.0.0.1"))
        .collect::<Vec<_>>()
        .join(",")
}

/// An HTTP client that resolves the test network's names to 127.0.0.1 and follows no
/// redirects. One per instance or peer: a client must not outlive the runtime of its test.
pub fn client() -> Client {
    let mut builder = client_builder().timeout(Duration::from_secs(30));
    for name in NAMES {
        // Port 0: the URL's own port is used.
        builder = builder.resolve(&format!("{name}.test"), ([127, 0, 0, 1], 0).into());
    }
    builder.build().expect("HTTP client")
}

/// Polls `check` until it answers `Ok`, for at most `within`; on timeout the test fails with
/// `what` and the last thing `check` saw (its `Err`).
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    test_support::eventually(what, within, POLL * 2, check).await
}

/// A port that was free a moment ago (the caller binds it soon after; see [`Instance::start`]
/// for the retry when someone else was quicker).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// `%`-encodes a query parameter value.
pub fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// --- the guildhall binary --------------------------------------------------------------------

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("federation-tests sits in the workspace")
        .to_path_buf()
}

/// The folder of the build profile this test was built with (`target/debug`): the test
/// executable is `<profile dir>/deps/federation-<hash>`.
fn profile_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .filter(|dir| dir.join("deps").is_dir())
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"));
            target.join("debug")
        })
}

/// The newest modification time of the files the binary is built from.
fn newest_source(root: &Path) -> SystemTime {
    fn walk(path: &Path, newest: &mut SystemTime) {
        let Ok(meta) = path.metadata() else { return };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(path) {
                for entry in entries.flatten() {
                    walk(&entry.path(), newest);
                }
            }
        } else if let Ok(modified) = meta.modified() {
            *newest = (*newest).max(modified);
        }
    }
    let mut newest = SystemTime::UNIX_EPOCH;
    for part in [
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "migrations",
        "templates",
        "static",
    ] {
        walk(&root.join(part), &mut newest);
    }
    newest
}

/// The `guildhall` executable, built first if it is missing or older than its sources.
pub fn guildhall_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(explicit) = std::env::var_os("GUILDHALL_BIN").filter(|v| !v.is_empty()) {
            let path = PathBuf::from(explicit);
            assert!(
                path.is_file(),
                "GUILDHALL_BIN={} is not a file",
                path.display()
            );
            return path;
        }
        let root = workspace_root();
        let dir = profile_dir();
        let binary = dir.join(format!("guildhall{}", std::env::consts::EXE_SUFFIX));
        let fresh = binary
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|built| built >= newest_source(&root));
        if !fresh {
            build_guildhall(&root, &dir);
            assert!(
                binary.is_file(),
                "cargo built guildhall, but {} is missing",
                binary.display()
            );
        }
        binary
    })
}

fn build_guildhall(root: &Path, profile_dir: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--bin", "guildhall", "-p", "guildhall"])
        // The outer cargo's jobserver is not ours to use.
        .env_remove("CARGO_MAKEFLAGS")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(other) => {
            command.args(["--profile", other]);
        }
    }
    // Straight to stderr: the test harness would hold `eprintln!` output back.
    let _ = writeln!(
        std::io::stderr().lock(),
        "federation-tests: the guildhall binary is missing or older than its sources; \
         running `cargo build --bin guildhall -p guildhall`"
    );
    let status = command.status().expect("run cargo");
    assert!(
        status.success(),
        "`cargo build --bin guildhall -p guildhall` failed"
    );
}

// --- processes -------------------------------------------------------------------------------

/// Why a process did not become ready.
#[derive(Debug)]
pub enum StartError {
    /// Someone else took the port between choosing and binding it.
    PortTaken,
    /// The process exited, or did not answer in time; the text says which, with its log.
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::PortTaken => f.write_str("its port was taken by another process"),
            StartError::Failed(why) => f.write_str(why),
        }
    }
}

/// The last lines of a log file.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LOG_TAIL);
    lines[start..].join("\n")
}

/// Sends SIGTERM to a child and waits (bounded) for it to exit; SIGKILL if it does not.
pub async fn terminate(child: &mut Child, what: &str) {
    let pid = child.id().to_string();
    // std has no SIGTERM; the `kill` utility is everywhere these tests run.
    let sent = ["kill", "/bin/kill", "/usr/bin/kill"]
        .iter()
        .any(|program| {
            Command::new(program)
                .args(["-TERM", &pid])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
    let deadline = Instant::now() + STOP_DEADLINE;
    loop {
        if child.try_wait().expect("poll the process").is_some() {
            return;
        }
        if !sent || Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not exit within {STOP_DEADLINE:?} of SIGTERM");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// SIGKILL, then reap.
pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// One `guildhall serve` process and what the test needs to talk to it.
pub struct Instance {
    /// `alpha`, `beta`, …
    pub name: String,
    pub port: u16,
    /// `alpha.test:PORT`: the instance's public host.
    pub domain: String,
    /// Token of the administrator `boss`.
    pub admin: String,
    pub http: Client,
    database_url: String,
    log: PathBuf,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl Instance {
    /// Starts `name.test` on a free port with a fresh database, sets the space up with the
    /// administrator `boss` and opens registration.
    pub async fn start(name: &str) -> Instance {
        let dir = tempfile::tempdir().expect("temporary folder");
        let database_url = test_support::fresh_database(dir.path(), DATABASES).await;
        let log = dir.path().join("guildhall.log");
        let mut instance = Instance {
            name: name.to_string(),
            port: 0,
            domain: String::new(),
            admin: String::new(),
            http: client(),
            database_url,
            log,
            child: None,
            dir,
        };
        let mut attempt = 1;
        loop {
            instance.port = free_port();
            instance.domain = format!("{name}.test:{}", instance.port);
            match instance.launch().await {
                Ok(()) => break,
                Err(StartError::PortTaken) if attempt < 3 => attempt += 1,
                Err(e) => panic!("{name} did not start: {e}"),
            }
        }
        instance.set_up().await;
        instance
    }

    /// Starts the process on this instance's port and database and waits until it answers.
    async fn launch(&mut self) -> Result<(), StartError> {
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the log file");
        let err = out.try_clone().expect("clone the log file");
        let mut command = Command::new(guildhall_binary());
        // No guildhall.toml from the caller's folder, and no GUILDHALL_* from its environment.
        command.current_dir(self.dir.path());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GUILDHALL_") {
                command.env_remove(key);
            }
        }
        let child = command
            .arg("serve")
            .env("GUILDHALL_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("GUILDHALL_DOMAIN", &self.domain)
            .env("GUILDHALL_DATABASE_URL", &self.database_url)
            .env("GUILDHALL_DEV_HTTP", "true")
            .env("GUILDHALL_MEDIA_DIR", self.dir.path().join("media"))
            .env("GUILDHALL_RESOLVE", resolve_setting())
            // Retries within test time: 200 ms, 400 ms, 800 ms, …
            .env("GUILDHALL_DELIVERY_RETRY_BASE_MS", "200")
            // Directory pulls every second, so a change shows within one short round.
            .env("GUILDHALL_DIRECTORY_SYNC_SECS", "1")
            // Every test client signs up and posts from loopback: no per-address limits.
            .env("GUILDHALL_RATE_SIGNUPS", "100000")
            .env("GUILDHALL_RATE_POSTS", "100000")
            .env(
                "RUST_LOG",
                std::env::var("FEDERATION_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", guildhall_binary().display()));
        self.child = Some(child);
        self.wait_ready().await
    }

    async fn wait_ready(&mut self) -> Result<(), StartError> {
        let health = format!("http://127.0.0.1:{}/healthz", self.port);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let child = self.child.as_mut().expect("a started process");
            if let Some(status) = child.try_wait().expect("poll the process") {
                self.child = None;
                let log = log_tail(&self.log);
                if log.contains("cannot listen") {
                    return Err(StartError::PortTaken);
                }
                return Err(StartError::Failed(format!(
                    "exited with {status} before answering; its log:\n{log}"
                )));
            }
            if let Ok(r) = self.http.get(&health).send().await {
                if r.status() == StatusCode::OK {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                if let Some(mut child) = self.child.take() {
                    kill(&mut child);
                }
                return Err(StartError::Failed(format!(
                    "no answer from /healthz within {START_DEADLINE:?}; its log:\n{}",
                    log_tail(&self.log)
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn set_up(&mut self) {
        self.admin = self.api().set_up(&self.name).await;
    }

    /// Stops the process with SIGTERM and waits for it to exit.
    pub async fn stop(&mut self) {
        let mut child = self.child.take().expect("the instance is running");
        terminate(&mut child, &self.name).await;
    }

    /// Kills the process with SIGKILL: no shutdown at all.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("the instance is running");
        kill(&mut child);
    }

    /// Starts the process again on the same port and database.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop or kill {} first", self.name);
        // The port was ours a moment ago; only a stranger taking it in between makes this fail.
        if let Err(e) = self.launch().await {
            panic!("{} did not restart: {e}", self.name);
        }
    }

    // --- HTTP ---------------------------------------------------------------------------------

    /// `http://alpha.test:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.domain)
    }

    pub fn member_uri(&self, handle: &str) -> String {
        self.url(&format!("/members/{handle}"))
    }

    pub fn company_uri(&self, handle: &str) -> String {
        self.url(&format!("/companies/{handle}"))
    }

    /// `@handle@alpha.test:PORT`.
    pub fn handle(&self, handle: &str) -> String {
        format!("@{handle}@{}", self.domain)
    }

    /// The shared set-up chain and API calls against this instance (see
    /// [`test_support::Api`]); its tokens are labelled `federation tests`.
    pub fn api(&self) -> Api<'_> {
        Api::new(self.name.as_str(), self.url(""), &self.http).with_token_label("federation tests")
    }

    /// One JSON API call; `Err` only when the instance could not be reached.
    pub async fn try_call(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), String> {
        self.api().try_call(method, token, path, body).await
    }

    pub async fn call(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.api().call(method, token, path, body).await
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, token, path, None).await
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        self.call(Method::POST, token, path, Some(body)).await
    }

    pub async fn patch(
        &self,
        token: Option<&str>,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        self.call(Method::PATCH, token, path, Some(body)).await
    }

    /// GETs an ActivityStreams document (`Accept: application/activity+json`).
    pub async fn activity_json(&self, path: &str) -> Result<(StatusCode, Value), String> {
        let response = self
            .http
            .get(self.url(path))
            .header("accept", AS_JSON)
            .send()
            .await
            .map_err(|e| format!("GET {path} on {}: {e}", self.name))?;
        let status = response.status();
        let value = response.json().await.unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// `totalItems` of a local actor's followers collection, as servers see it.
    pub async fn followers_total(&self, actor_path: &str) -> Result<i64, String> {
        let (status, doc) = self
            .activity_json(&format!("{actor_path}/followers"))
            .await?;
        if status != StatusCode::OK {
            return Err(format!("followers of {actor_path}: {status} {doc}"));
        }
        doc["totalItems"]
            .as_i64()
            .ok_or_else(|| format!("no totalItems in {doc}"))
    }

    /// The first page of a local actor's followers collection: the follower URIs.
    pub async fn followers_page(&self, actor_path: &str) -> Result<Vec<String>, String> {
        let (status, doc) = self
            .activity_json(&format!("{actor_path}/followers?page=1"))
            .await?;
        if status != StatusCode::OK {
            return Err(format!("followers page of {actor_path}: {status} {doc}"));
        }
        Ok(doc["orderedItems"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Signs a member up (registration is open) and returns a token.
    pub async fn member(&self, handle: &str) -> String {
        self.api()
            .register(handle, &format!("{handle}@{}.example", self.name))
            .await
    }

    /// Creates a company owned by the member with `token`.
    pub async fn company(&self, token: &str, handle: &str, name: &str) {
        self.api().company(token, handle, name).await
    }

    /// A member follows `target` (a handle or a URI); the API answers 201 with the follow.
    pub async fn follow(&self, token: &str, target: &str) -> Value {
        self.api().follow(token, target).await
    }

    /// The member's follow of `uri`, as `GET /api/v1/following` lists it.
    pub async fn following_entry(&self, token: &str, uri: &str) -> Result<Option<Value>, String> {
        self.api().following_entry(token, uri).await
    }

    /// Waits until the member's follow of `uri` has `state`.
    pub async fn wait_following(&self, token: &str, uri: &str, state: &str) -> Value {
        self.api().wait_following(token, uri, state, SOON).await
    }

    /// The delivery queue's state for one remote host (`GET /api/v1/admin/deliveries`).
    pub async fn delivery_host(&self, host: &str) -> Result<Value, String> {
        let (status, body) = self
            .try_call(
                Method::GET,
                Some(&self.admin),
                "/api/v1/admin/deliveries",
                None,
            )
            .await?;
        if status != StatusCode::OK {
            return Err(format!("GET /api/v1/admin/deliveries: {status} {body}"));
        }
        body["hosts"]
            .as_array()
            .and_then(|hosts| hosts.iter().find(|h| h["host"] == host).cloned())
            .ok_or_else(|| format!("no deliveries to {host} yet: {body}"))
    }

    /// The remote actor `target` as this instance has it (`GET /api/v1/lookup`).
    pub async fn lookup(&self, token: &str, target: &str) -> Result<(StatusCode, Value), String> {
        self.try_call(
            Method::GET,
            Some(token),
            &format!("/api/v1/lookup?target={}", encode(target)),
            None,
        )
        .await
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(&mut child);
        }
        if std::thread::panicking() {
            eprintln!(
                "\n----- log of {} ({}), last {LOG_TAIL} lines -----\n{}\n----- end of the log of {} -----",
                self.name,
                self.domain,
                log_tail(&self.log),
                self.name
            );
        }
    }
}
