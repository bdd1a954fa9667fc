//! `cargo run --release -p benchmarks -- [--quick]`: starts real `guildhall serve` processes
//! (release build) on loopback, drives them over HTTP and prints figures with their bounds.
//! See docs/benchmarks.md for what is measured and how.
//!
//! The harness plays the rest of the fediverse itself: one small axum application, served on
//! many loopback ports, is every remote actor (their documents, keys and inboxes) and every
//! receiver of deliveries. Each port has its own host name (`load.test`, `h17.test`, …), which
//! `GUILDHALL_RESOLVE` points at 127.0.0.1 inside Guildhall. Every wait is bounded polling;
//! every process started here is killed when its guard is dropped. Nothing here asserts a
//! timing: the figures are printed, not judged.

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use guildhall::federation::crypto::{self, SigningKey};
use guildhall::federation::signatures;
use reqwest::{Client, Method};
use serde_json::{json, Value};

mod rsa_bounds;

type Res<T> = Result<T, String>;

const POLL: Duration = Duration::from_millis(20);
const ADMIN_PASSWORD: &str = "admin password 123";
const AS_JSON: &str = "application/activity+json";

struct Params {
    quick: bool,
    /// Inbox load: activities, actors, concurrency.
    n: usize,
    m: usize,
    c: usize,
    fan_sizes: Vec<usize>,
    /// Updates queued to one host in the throughput test.
    k: usize,
    /// Seconds per page load run.
    page_secs: u64,
}

impl Params {
    fn new(quick: bool) -> Params {
        if quick {
            Params {
                quick,
                n: 2000,
                m: 50,
                c: 32,
                fan_sizes: vec![10, 100],
                k: 40,
                page_secs: 4,
            }
        } else {
            Params {
                quick,
                n: 20000,
                m: 200,
                c: 64,
                fan_sizes: vec![10, 100, 1000],
                k: 200,
                page_secs: 15,
            }
        }
    }
}

// --- the remote side: actors and receivers ------------------------------------------------------

struct Key {
    signer: SigningKey,
    public_pem: String,
}

/// Something a receiver got in an inbox.
struct Arrival {
    host: String,
    kind: String,
    actor: String,
    at: Instant,
}

struct NetState {
    keys: Vec<Key>,
    /// Answer delay per listening port.
    delays: Mutex<HashMap<u16, Duration>>,
    arrivals: Mutex<Vec<Arrival>>,
    /// While `false`, inbox POSTs are held (not answered) until it turns `true` again: lets a
    /// backlog build up in the sender's queue.
    gate: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone)]
struct Net(Arc<NetState>);

impl Net {
    fn new(keys: Vec<Key>) -> Net {
        Net(Arc::new(NetState {
            keys,
            delays: Mutex::new(HashMap::new()),
            arrivals: Mutex::new(Vec::new()),
            gate: tokio::sync::watch::Sender::new(true),
        }))
    }

    /// Starts one more listener on a free loopback port, answering inbox POSTs after `delay`.
    async fn listen(&self, delay: Duration) -> Res<u16> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind a receiver: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        self.0.delays.lock().unwrap().insert(port, delay);
        let app = Router::new()
            .route("/actors/{n}", get(load_actor))
            .route("/actor", get(host_actor))
            .route("/inbox", post(inbox))
            .route("/actor/inbox", post(inbox))
            .with_state(self.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(port)
    }

    /// The key of actor `i` (keys are shared round-robin when there are more actors than keys).
    fn key(&self, i: usize) -> &Key {
        &self.0.keys[i % self.0.keys.len()]
    }

    /// Distinct hosts that received an activity of `kind` from `actor`, and the last arrival.
    fn received(&self, kind: &str, actor: &str) -> (usize, usize, Option<Instant>) {
        let arrivals = self.0.arrivals.lock().unwrap();
        let mut hosts = HashSet::new();
        let mut count = 0;
        let mut last = None;
        for a in arrivals
            .iter()
            .filter(|a| a.kind == kind && a.actor == actor)
        {
            hosts.insert(a.host.as_str());
            count += 1;
            last = Some(last.map_or(a.at, |l: Instant| l.max(a.at)));
        }
        (hosts.len(), count, last)
    }
}

fn host_header(headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn port_of(host: &str) -> u16 {
    host.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(0)
}

fn actor_doc(uri: &str, host: &str, public_pem: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": "bench",
        "inbox": format!("{uri}/inbox"),
        "outbox": format!("{uri}/outbox"),
        "endpoints": {"sharedInbox": format!("http://{host}/inbox")},
        "publicKey": {"id": format!("{uri}#main-key"), "owner": uri, "publicKeyPem": public_pem},
    })
}

fn as_json(doc: Value) -> Response {
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

/// `GET /actors/{n}` on `load.test`: the inbox load's actors.
async fn load_actor(
    State(net): State<Net>,
    UrlPath(n): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    let host = host_header(&headers);
    let uri = format!("http://{host}/actors/{n}");
    as_json(actor_doc(&uri, &host, &net.key(n).public_pem))
}

/// `GET /actor` on `hN.test`: one actor per receiving host.
async fn host_actor(State(net): State<Net>, headers: HeaderMap) -> Response {
    let host = host_header(&headers);
    let uri = format!("http://{host}/actor");
    as_json(actor_doc(
        &uri,
        &host,
        &net.key(port_of(&host) as usize).public_pem,
    ))
}

async fn inbox(State(net): State<Net>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut gate = net.0.gate.subscribe();
    let _ = gate.wait_for(|open| *open).await;
    let host = host_header(&headers);
    let delay = net
        .0
        .delays
        .lock()
        .unwrap()
        .get(&port_of(&host))
        .copied()
        .unwrap_or_default();
    if !delay.is_zero() {
        // Simulated network and processing latency of a remote server, not a wait.
        tokio::time::sleep(delay).await;
    }
    let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    net.0.arrivals.lock().unwrap().push(Arrival {
        host,
        kind: doc["type"].as_str().unwrap_or_default().to_string(),
        actor: doc["actor"].as_str().unwrap_or_default().to_string(),
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

// --- signed requests ----------------------------------------------------------------------------

/// A POST ready to send: signed now, sent later.
struct Signed {
    url: String,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

fn sign_post(url: &str, body: &Value, key_id: &str, key: &SigningKey) -> Res<Signed> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("content-type", AS_JSON.parse().expect("a header value"));
    signatures::sign_request(
        &Method::POST,
        &parsed,
        &mut headers,
        Some(&body),
        key_id,
        key,
        chrono::Utc::now(),
    )
    .map_err(|e| format!("signing: {e}"))?;
    Ok(Signed {
        url: url.to_string(),
        headers,
        body,
    })
}

async fn send(http: &Client, s: &Signed) -> Res<StatusCode> {
    let r = http
        .post(&s.url)
        .headers(s.headers.clone())
        .body(s.body.clone())
        .send()
        .await
        .map_err(|e| format!("POST {}: {e}", s.url))?;
    let status = r.status();
    let _ = r.bytes().await;
    Ok(status)
}

/// A client that resolves every `*.test` name given to 127.0.0.1 and follows no redirects.
fn client(names: &[String]) -> Client {
    let mut b = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60));
    for n in names {
        b = b.resolve(n, ([127, 0, 0, 1], 0).into());
    }
    b.build().expect("HTTP client")
}

/// Polls `check` until it answers `Some`, for at most `within`.
async fn until<T, F, Fut>(what: &str, within: Duration, mut check: F) -> Res<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {within:?} waiting for {what}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

// --- the guildhall binary and processes -------------------------------------------------------

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benchmarks sits in the workspace")
        .to_path_buf()
}

fn newest_source(root: &Path) -> SystemTime {
    fn walk(path: &Path, newest: &mut SystemTime) {
        let Ok(meta) = path.metadata() else { return };
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        } else if let Ok(m) = meta.modified() {
            *newest = (*newest).max(m);
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

/// `target/release/guildhall`, built first when missing or older than its sources.
fn guildhall_binary() -> Res<PathBuf> {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let binary = target
        .join("release")
        .join(format!("guildhall{}", std::env::consts::EXE_SUFFIX));
    let fresh = binary
        .metadata()
        .and_then(|m| m.modified())
        .is_ok_and(|built| built >= newest_source(&root));
    if !fresh {
        eprintln!("bench: running `cargo build --release --bin guildhall -p guildhall`");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(&root)
            .args([
                "build",
                "--release",
                "--bin",
                "guildhall",
                "-p",
                "guildhall",
            ])
            .status()
            .map_err(|e| format!("run cargo: {e}"))?;
        if !status.success() || !binary.is_file() {
            return Err("building the release guildhall binary failed".into());
        }
    }
    Ok(binary)
}

/// A child process killed (SIGKILL) and reaped when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

struct Instance {
    port: u16,
    domain: String,
    admin: String,
    http: Client,
    log: PathBuf,
    child: Guard,
    _dir: tempfile::TempDir,
}

impl Instance {
    async fn start(
        binary: &Path,
        name: &str,
        database_url: Option<String>,
        resolve: &str,
        env: &[(&str, String)],
    ) -> Res<Instance> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let domain = format!("{name}.test:{port}");
        let database_url = database_url
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("guildhall.db").display()));
        let log = dir.path().join("guildhall.log");
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        command.current_dir(dir.path());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GUILDHALL_") {
                command.env_remove(key);
            }
        }
        command
            .arg("serve")
            .env("GUILDHALL_LISTEN", format!("127.0.0.1:{port}"))
            .env("GUILDHALL_DOMAIN", &domain)
            .env("GUILDHALL_DATABASE_URL", &database_url)
            .env("GUILDHALL_DEV_HTTP", "true")
            .env("GUILDHALL_MEDIA_DIR", dir.path().join("media"))
            .env("GUILDHALL_RESOLVE", resolve)
            .env("GUILDHALL_DELIVERY_RETRY_BASE_MS", "200")
            .env("RUST_LOG", "warn");
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("start {}: {e}", binary.display()))?;
        let mut instance = Instance {
            port,
            domain,
            admin: String::new(),
            http: client(&[format!("{name}.test")]),
            log,
            child: Guard(child),
            _dir: dir,
        };
        let health = format!("http://127.0.0.1:{port}/healthz");
        let http = instance.http.clone();
        let ready = until("/healthz", Duration::from_secs(30), || {
            let http = http.clone();
            let health = health.clone();
            async move {
                let r = http.get(&health).send().await.ok()?;
                (r.status() == StatusCode::OK).then_some(())
            }
        })
        .await;
        if let Err(e) = ready {
            return Err(format!("{e}; log:\n{}", instance.log_tail()));
        }
        instance.set_up().await?;
        Ok(instance)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    fn pid(&self) -> u32 {
        self.child.0.id()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.domain)
    }

    async fn call(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> Res<(StatusCode, Value)> {
        let mut r = self.http.request(method.clone(), self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let resp = r
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    async fn expect(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        want: StatusCode,
    ) -> Res<Value> {
        let token = (!self.admin.is_empty()).then_some(self.admin.as_str());
        let (status, v) = self.call(method.clone(), token, path, Some(body)).await?;
        if status != want {
            return Err(format!("{method} {path}: {status} {v}"));
        }
        Ok(v)
    }

    async fn set_up(&mut self) -> Res<()> {
        self.expect(
            Method::POST,
            "/api/v1/setup",
            &json!({"name": "Bench space", "admin_handle": "boss",
                    "admin_email": "boss@example.org", "admin_password": ADMIN_PASSWORD}),
            StatusCode::CREATED,
        )
        .await?;
        let v = self
            .expect(
                Method::POST,
                "/api/v1/tokens",
                &json!({"login": "boss", "password": ADMIN_PASSWORD, "label": "bench"}),
                StatusCode::CREATED,
            )
            .await?;
        self.admin = v["token"].as_str().unwrap_or_default().to_string();
        Ok(())
    }

    async fn company(&self, handle: &str) -> Res<String> {
        self.expect(
            Method::POST,
            "/api/v1/companies",
            &json!({"handle": handle, "name": format!("Company {handle}")}),
            StatusCode::CREATED,
        )
        .await?;
        Ok(self.url(&format!("/companies/{handle}")))
    }

    async fn patch_company(&self, handle: &str, description: &str) -> Res<()> {
        self.expect(
            Method::PATCH,
            &format!("/api/v1/companies/{handle}"),
            &json!({"description": description}),
            StatusCode::OK,
        )
        .await
        .map(|_| ())
    }

    async fn followers_total(&self, handle: &str) -> Option<usize> {
        let r = self
            .http
            .get(self.url(&format!("/companies/{handle}/followers")))
            .header("accept", AS_JSON)
            .send()
            .await
            .ok()?;
        let v: Value = r.json().await.ok()?;
        v["totalItems"].as_u64().map(|n| n as usize)
    }
}

// --- measurements -------------------------------------------------------------------------------

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

struct InboxResult {
    accepted: usize,
    statuses: HashMap<u16, usize>,
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// Pre-signs `n` Create(Note) activities from `m` actors on `load_host`, warms the target's
/// actor cache with one request per actor, then sends them `c` at a time.
async fn inbox_load(
    net: &Net,
    http: &Client,
    inbox_url: &str,
    load_host: &str,
    p: &Params,
    rss_pid: Option<u32>,
) -> Res<(InboxResult, Option<u64>)> {
    let total = p.m + p.n;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let run = rand::random::<u32>();
    let mut handles = Vec::new();
    for t in 0..threads {
        let net = net.clone();
        let inbox_url = inbox_url.to_string();
        let load_host = load_host.to_string();
        let m = p.m;
        handles.push(tokio::task::spawn_blocking(move || -> Res<Vec<Signed>> {
            let mut out = Vec::new();
            for i in (t..total).step_by(threads) {
                let a = i % m;
                let actor = format!("http://{load_host}/actors/{a}");
                let note = format!("{actor}/notes/{run}-{i}");
                let activity = json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{note}/activity"),
                    "type": "Create",
                    "actor": actor,
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                    "object": {"id": note, "type": "Note", "attributedTo": actor,
                               "content": format!("<p>Benchmark note {i}</p>"),
                               "to": ["https://www.w3.org/ns/activitystreams#Public"]},
                });
                out.push(sign_post(
                    &inbox_url,
                    &activity,
                    &format!("{actor}#main-key"),
                    &net.key(a).signer,
                )?);
            }
            Ok(out)
        }));
    }
    let mut signed: Vec<Option<Signed>> = (0..total).map(|_| None).collect();
    for (t, h) in handles.into_iter().enumerate() {
        let part = h.await.map_err(|e| e.to_string())??;
        for (j, s) in part.into_iter().enumerate() {
            signed[t + j * threads] = Some(s);
        }
    }
    let signed: Vec<Signed> = signed.into_iter().map(|s| s.expect("signed")).collect();
    let (warm, load) = signed.split_at(p.m);
    for s in warm {
        let status = send(http, s).await?;
        if !status.is_success() {
            return Err(format!("warming the actor cache: {status}"));
        }
    }
    let load: Arc<Vec<Signed>> = Arc::new(
        load.iter()
            .map(|s| Signed {
                url: s.url.clone(),
                headers: s.headers.clone(),
                body: s.body.clone(),
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(Mutex::new(0u64));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = rss_pid.map(|pid| {
        let peak = peak.clone();
        let done = done.clone();
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(r) = rss_kib(pid) {
                    let mut p = peak.lock().unwrap();
                    *p = (*p).max(r);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    });
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..p.c {
        let load = load.clone();
        let next = next.clone();
        let http = http.clone();
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut statuses: HashMap<u16, usize> = HashMap::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(s) = load.get(i) else { break };
                let t = Instant::now();
                let status = send(&http, s).await.map(|s| s.as_u16()).unwrap_or(0);
                lat.push(t.elapsed());
                *statuses.entry(status).or_default() += 1;
            }
            (lat, statuses)
        }));
    }
    let mut lat = Vec::new();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for w in workers {
        let (l, s) = w.await.map_err(|e| e.to_string())?;
        lat.extend(l);
        for (k, v) in s {
            *statuses.entry(k).or_default() += v;
        }
    }
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    if let Some(s) = sampler {
        let _ = s.await;
    }
    lat.sort();
    let accepted = statuses
        .iter()
        .filter(|(k, _)| (200..300).contains(*k))
        .map(|(_, v)| v)
        .sum();
    let peak = *peak.lock().unwrap();
    Ok((
        InboxResult {
            accepted,
            rate: accepted as f64 / elapsed.as_secs_f64(),
            p50: percentile(&lat, 0.5),
            p99: percentile(&lat, 0.99),
            statuses,
        },
        rss_pid.map(|_| peak),
    ))
}

fn print_inbox(label: &str, r: &InboxResult, n: usize) {
    let mut statuses: Vec<_> = r.statuses.iter().collect();
    statuses.sort();
    println!(
        "  {label}: {}/{n} accepted, {:.0} accepted/s, p50 {}, p99 {} (statuses {statuses:?})",
        r.accepted,
        r.rate,
        ms(r.p50),
        ms(r.p99)
    );
}

/// `n` hosts (from `hosts`) follow `company` on `inst` with a signed Follow each; returns when
/// the instance counts them all and every host has its Accept.
async fn follow_from_hosts(
    net: &Net,
    inst: &Instance,
    company: &str,
    company_uri: &str,
    hosts: &[String],
) -> Res<()> {
    let http = client(&[inst
        .domain
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string()]);
    let inbox = inst.url(&format!("/companies/{company}/inbox"));
    let next = Arc::new(AtomicUsize::new(0));
    let hosts = Arc::new(hosts.to_vec());
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (net, http, inbox, next, hosts) = (
            net.clone(),
            http.clone(),
            inbox.clone(),
            next.clone(),
            hosts.clone(),
        );
        let company_uri = company_uri.to_string();
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(host) = hosts.get(i) else {
                    return Ok::<(), String>(());
                };
                let actor = format!("http://{host}/actor");
                let follow = json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("http://{host}/follows/{}", rand::random::<u64>()),
                    "type": "Follow", "actor": actor, "object": company_uri,
                });
                let key = net.key(port_of(host) as usize);
                let signed = sign_post(&inbox, &follow, &format!("{actor}#main-key"), &key.signer)?;
                let status = send(&http, &signed).await?;
                if !status.is_success() {
                    return Err(format!("Follow from {host}: {status}"));
                }
            }
        }));
    }
    for w in workers {
        w.await.map_err(|e| e.to_string())??;
    }
    let n = hosts.len();
    until(
        "followers to be recorded",
        Duration::from_secs(300),
        || async { (inst.followers_total(company).await == Some(n)).then_some(()) },
    )
    .await?;
    until("Accepts to arrive", Duration::from_secs(300), || async {
        (net.received("Accept", company_uri).0 >= n).then_some(())
    })
    .await
}

// --- the run ------------------------------------------------------------------------------------

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if let Err(e) = run(Params::new(quick)).await {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

async fn run(p: Params) -> Res<()> {
    let binary = guildhall_binary()?;
    let began = Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "Guildhall benchmarks ({} mode), {cores} cores",
        if p.quick { "quick" } else { "full" }
    );

    // Keys, once; and the in-process bounds.
    let keys = tokio::task::spawn_blocking({
        let m = p.m;
        move || -> Res<Vec<Key>> {
            (0..m)
                .map(|_| {
                    let g = crypto::generate_keys().map_err(|e| e.to_string())?;
                    Ok(Key {
                        signer: SigningKey::from_pem(&g.private_pem).map_err(|e| e.to_string())?,
                        public_pem: g.public_pem,
                    })
                })
                .collect()
        }
    })
    .await
    .map_err(|e| e.to_string())??;
    let pair = crypto::generate_keys().map_err(|e| e.to_string())?;
    let ours = rsa_bounds::seam(&pair.private_pem, &pair.public_pem)?;
    let pure = rsa_bounds::rsa_crate(&pair.private_pem, &pair.public_pem)?;
    println!(
        "RSA-2048 in-process, per core: aws-lc-rs (Guildhall's seam) {:.0} verifications/s, {:.0} signatures/s; \
         rsa crate {:.0} verifications/s, {:.0} signatures/s",
        ours.verify, ours.sign, pure.verify, pure.sign
    );
    let (verify_rate, sign_rate) = (ours.verify, ours.sign);
    let net = Net::new(keys);

    // Listeners: the load actors, the fan-out hosts, the throughput hosts.
    let load_port = net.listen(Duration::ZERO).await?;
    let load_host = format!("load.test:{load_port}");
    let max_fan = p.fan_sizes.iter().copied().max().unwrap_or(0);
    let mut fan_hosts = Vec::new();
    for i in 0..max_fan {
        let port = net.listen(Duration::ZERO).await?;
        fan_hosts.push(format!("h{i}.test:{port}"));
    }
    let delays = [0u64, 150, 300];
    let mut names: Vec<String> = vec!["load.test".into(), "peer.test".into()];
    names.extend(delays.iter().map(|d| format!("d{d}.test")));
    names.extend((0..max_fan).map(|i| format!("h{i}.test")));
    let resolve = names
        .iter()
        .map(|n| format!("{n}=127.0.0.1"))
        .collect::<Vec<_>>()
        .join(",");

    // --- instance A: SQLite, default delivery settings -------------------------------------
    let a = Instance::start(&binary, "bench", None, &resolve, &[]).await?;
    let idle = rss_kib(a.pid());
    println!("\nMemory (SQLite instance)");
    println!(
        "  idle after setup: {} MiB",
        idle.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
    );

    // Pages.
    a.company("acme").await?;
    a.patch_company(
        "acme",
        "A company with a description, for the page benchmark.",
    )
    .await?;
    println!("\nPages (SQLite instance, {} s each)", p.page_secs);
    for path in ["/", "/companies/acme"] {
        match pages(&a, path, p.page_secs).await {
            Ok(line) => println!("  {path}: {line}"),
            Err(e) => println!("  {path}: not measured: {e}"),
        }
    }

    // Throughput to one host with latency.
    let mut tp_hosts = HashMap::new();
    for d in delays {
        let port = net.listen(Duration::from_millis(d)).await?;
        tp_hosts.insert(d, format!("d{d}.test:{port}"));
    }
    println!("\nThroughput to one host (K = {} Updates)", p.k);
    throughput(&net, &a, &tp_hosts, &delays, p.k, 8).await;
    {
        let b = Instance::start(
            &binary,
            "single",
            None,
            &resolve,
            &[("GUILDHALL_DELIVERY_PER_HOST", "1".into())],
        )
        .await?;
        throughput(&net, &b, &tp_hosts, &delays, p.k, 1).await;
    }

    // Fan-out.
    println!(
        "\nFan-out: one company's Update to followers on distinct hosts (bound: {:.0} signatures/s on {cores} cores; {:.0}/s with the rsa crate)",
        sign_rate * cores as f64,
        pure.sign * cores as f64
    );
    for &size in &p.fan_sizes {
        match fan_out(&net, &a, &fan_hosts[..size]).await {
            Ok(line) => println!("  {size} hosts: {line}"),
            Err(e) => println!("  {size} hosts: not measured: {e}"),
        }
    }

    // Inbox accept rate.
    println!(
        "\nInbox accept rate: {} signed Create(Note) from {} actors, concurrency {} (bound: {:.0} verifications/s on {cores} cores; {:.0}/s with the rsa crate)",
        p.n,
        p.m,
        p.c,
        verify_rate * cores as f64,
        pure.verify * cores as f64
    );
    let http = client(&["bench.test".to_string()]);
    let (r, peak) =
        inbox_load(&net, &http, &a.url("/inbox"), &load_host, &p, Some(a.pid())).await?;
    print_inbox("guildhall, SQLite", &r, p.n);
    let after = rss_kib(a.pid());
    println!(
        "  memory: peak during the load {:.1} MiB, right after {:.1} MiB",
        peak.unwrap_or(0) as f64 / 1024.0,
        after.unwrap_or(0) as f64 / 1024.0
    );
    let guildhall_rate = r.rate;
    drop(a);

    match postgres_database().await {
        Ok((admin_url, name, url)) => {
            match Instance::start(&binary, "bench", Some(url), &resolve, &[]).await {
                Ok(pg) => {
                    match inbox_load(
                        &net,
                        &http,
                        &pg.url("/inbox"),
                        &load_host,
                        &p,
                        Some(pg.pid()),
                    )
                    .await
                    {
                        Ok((r, peak)) => {
                            print_inbox("guildhall, PostgreSQL", &r, p.n);
                            println!(
                                "  memory: peak during the load {:.1} MiB",
                                peak.unwrap_or(0) as f64 / 1024.0
                            );
                        }
                        Err(e) => println!("  guildhall, PostgreSQL: not measured: {e}"),
                    }
                    drop(pg);
                }
                Err(e) => println!("  guildhall, PostgreSQL: not measured: {e}"),
            }
            drop_database(&admin_url, &name).await;
        }
        Err(e) => println!("  guildhall, PostgreSQL: not measured: {e}"),
    }

    match fedify_peer().await {
        Ok((port, _guard)) => {
            let http = client(&["peer.test".to_string()]);
            let inbox = format!("http://peer.test:{port}/inbox");
            match inbox_load(&net, &http, &inbox, &load_host, &p, Some(_guard.0.id())).await {
                Ok((r, peak)) => {
                    print_inbox("Fedify peer (Node)", &r, p.n);
                    println!(
                        "  memory of the peer: peak during the load {:.1} MiB",
                        peak.unwrap_or(0) as f64 / 1024.0
                    );
                    if r.rate > 0.0 {
                        println!(
                            "  ratio guildhall (SQLite) / Fedify: {:.2}",
                            guildhall_rate / r.rate
                        );
                    }
                }
                Err(e) => println!("  Fedify peer: not measured: {e}"),
            }
        }
        Err(e) => println!("  Fedify peer: not measured: {e}"),
    }
    println!(
        "\nThe measurements took {:.0} s.",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn pages(inst: &Instance, path: &str, secs: u64) -> Res<String> {
    let url = format!("http://127.0.0.1:{}{path}", inst.port);
    let wrk = Command::new("wrk")
        .args([
            "-t2",
            "-c32",
            &format!("-d{secs}s"),
            "-H",
            &format!("Host: {}", inst.domain),
            &url,
        ])
        .output();
    match wrk {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let rate = text
                .lines()
                .find_map(|l| l.strip_prefix("Requests/sec:"))
                .map(str::trim)
                .unwrap_or("?");
            let latency = text
                .lines()
                .find(|l| l.trim_start().starts_with("Latency"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
                .unwrap_or_default();
            let non2xx = text
                .lines()
                .find(|l| l.contains("Non-2xx"))
                .map(|l| format!(", {}", l.trim()))
                .unwrap_or_default();
            Ok(format!(
                "{rate} requests/s (wrk, 2 threads, 32 connections, mean latency {latency}{non2xx})"
            ))
        }
        _ => {
            // No wrk: a small built-in loop, 32 connections.
            let http = inst.http.clone();
            let deadline = Instant::now() + Duration::from_secs(secs);
            let count = Arc::new(AtomicUsize::new(0));
            let start = Instant::now();
            let mut workers = Vec::new();
            for _ in 0..32 {
                let (http, url, count) = (http.clone(), inst.url(path), count.clone());
                workers.push(tokio::spawn(async move {
                    while Instant::now() < deadline {
                        if let Ok(r) = http.get(&url).send().await {
                            if r.status().is_success() && r.bytes().await.is_ok() {
                                count.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }));
            }
            for w in workers {
                let _ = w.await;
            }
            Ok(format!(
                "{:.0} requests/s (built-in loop, 32 connections; wrk is not installed)",
                count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
            ))
        }
    }
}

async fn throughput(
    net: &Net,
    inst: &Instance,
    hosts: &HashMap<u64, String>,
    delays: &[u64],
    k: usize,
    per_host: usize,
) {
    for &d in delays {
        let handle = format!("tp{d}");
        let result = async {
            let uri = inst.company(&handle).await?;
            follow_from_hosts(net, inst, &handle, &uri, std::slice::from_ref(&hosts[&d])).await?;
            // Receivers hold their answers while the K Updates are queued, so the figure is
            // the rate at which a backlog drains, not the rate of the PATCHes.
            net.0.gate.send_replace(false);
            let queueing = Instant::now();
            let mut patched = Ok(());
            for i in 0..k {
                patched = inst.patch_company(&handle, &format!("revision {i}")).await;
                if patched.is_err() {
                    break;
                }
            }
            let queued = queueing.elapsed();
            let start = Instant::now();
            net.0.gate.send_replace(true);
            patched?;
            let last = until(
                "every Update to arrive",
                Duration::from_secs(600),
                || async {
                    let (_, count, last) = net.received("Update", &uri);
                    if count >= k {
                        last
                    } else {
                        None
                    }
                },
            )
            .await?;
            let took = last - start;
            let rate = k as f64 / took.as_secs_f64();
            let bound = if d == 0 {
                "no latency bound".to_string()
            } else {
                format!("bound {:.1}/s", per_host as f64 / (d as f64 / 1000.0))
            };
            Ok::<String, String>(format!(
                "{rate:.1} deliveries/s ({k} in {:.2} s after the receiver opened; queueing them took {:.2} s; {bound})",
                took.as_secs_f64(),
                queued.as_secs_f64()
            ))
        }
        .await;
        match result {
            Ok(line) => println!("  per host {per_host}, answer after {d} ms: {line}"),
            Err(e) => println!("  per host {per_host}, answer after {d} ms: not measured: {e}"),
        }
    }
}

async fn fan_out(net: &Net, inst: &Instance, hosts: &[String]) -> Res<String> {
    let handle = format!("fan{}", hosts.len());
    let uri = inst.company(&handle).await?;
    let t = Instant::now();
    follow_from_hosts(net, inst, &handle, &uri, hosts).await?;
    let follow_time = t.elapsed();
    let start = Instant::now();
    inst.patch_company(&handle, "Fan-out benchmark").await?;
    let n = hosts.len();
    let last = until(
        "every host to receive the Update",
        Duration::from_secs(600),
        || async {
            let (distinct, _, last) = net.received("Update", &uri);
            if distinct >= n {
                last
            } else {
                None
            }
        },
    )
    .await?;
    let took = last - start;
    Ok(format!(
        "all received the Update {} after the PATCH was sent, {:.0} deliveries/s (the {n} signed Follows and their Accepts took {:.2} s)",
        ms(took),
        n as f64 / took.as_secs_f64(),
        follow_time.as_secs_f64()
    ))
}

/// A fresh PostgreSQL database: `(admin url, name, url)`.
async fn postgres_database() -> Res<(String, String, String)> {
    use sqlx::Connection as _;
    let admin_url = std::env::var("GUILDHALL_BENCH_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::postgres::PgConnection::connect(&admin_url),
    )
    .await
    .map_err(|_| "no PostgreSQL answered".to_string())?
    .map_err(|e| format!("no PostgreSQL reachable: {e}"))?;
    let name = format!("gh_bench_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .map_err(|e| format!("create a database: {e}"))?;
    let _ = conn.close().await;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or("the PostgreSQL URL names no database")?;
    Ok((admin_url.clone(), name.clone(), format!("{base}/{name}")))
}

async fn drop_database(admin_url: &str, name: &str) {
    use sqlx::Connection as _;
    if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

/// The Fedify peer of federation-tests, when node and its modules are present.
async fn fedify_peer() -> Res<(u16, Guard)> {
    let dir = workspace_root()
        .join("federation-tests")
        .join("peer-fedify");
    if !dir.join("node_modules").is_dir() {
        return Err("federation-tests/peer-fedify/node_modules is missing (npm ci there)".into());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = Command::new("node")
        .arg("peer.mjs")
        .current_dir(&dir)
        .env("PEER_PORT", port.to_string())
        .env("PEER_HOST", "peer.test")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("node is not available: {e}"))?;
    let guard = Guard(child);
    let http = client(&[]);
    let health = format!("http://127.0.0.1:{port}/_control/health");
    until("the Fedify peer", Duration::from_secs(30), || {
        let (http, health) = (http.clone(), health.clone());
        async move {
            let r = http.get(&health).send().await.ok()?;
            r.status().is_success().then_some(())
        }
    })
    .await?;
    Ok((port, guard))
}
