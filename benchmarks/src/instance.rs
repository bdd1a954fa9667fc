//! The `guildhall` release binary and the processes started from it: each with its own
//! folder and database, killed when dropped.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use reqwest::{Client, Method};
use serde_json::{json, Value};

use crate::http::{client, until};
use crate::{Res, ADMIN_PASSWORD, AS_JSON};

// --- the guildhall binary and processes -------------------------------------------------------

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benchmarks sits in the workspace")
        .to_path_buf()
}

pub(crate) fn newest_source(root: &Path) -> SystemTime {
    pub(crate) fn walk(path: &Path, newest: &mut SystemTime) {
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
pub(crate) fn guildhall_binary() -> Res<PathBuf> {
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
pub(crate) struct Guard(pub(crate) Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// Runs `work` while sampling the resident memory of `pid` every 50 ms; returns what it
/// returned and the peak seen (KiB), when a process is given.
pub(crate) async fn with_peak_rss<F: std::future::Future>(
    pid: Option<u32>,
    work: F,
) -> (F::Output, Option<u64>) {
    tokio::pin!(work);
    let mut peak = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            out = &mut work => return (out, pid.map(|_| peak)),
            _ = tick.tick() => {
                if let Some(r) = pid.and_then(rss_kib) {
                    peak = peak.max(r);
                }
            }
        }
    }
}

/// CPU time the process has used (user and system), in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Waits until the process is quiet (under a tenth of a core over half a second), at most
/// `within`; returns how long that took, or `None` if it never was. Run after a load, this is
/// how long the work the load left queued (the inbox's processor) kept the process busy.
pub(crate) async fn until_quiet(pid: u32, within: Duration) -> Option<Duration> {
    let start = std::time::Instant::now();
    let mut before = cpu_ticks(pid)?;
    while start.elapsed() < within {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = cpu_ticks(pid)?;
        // Clock ticks are hundredths of a second: 5 in half a second is a tenth of a core.
        if now - before < 5 {
            return Some(start.elapsed());
        }
        before = now;
    }
    None
}

/// One `… kB` line of `/proc/PID/status`.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The resident memory's two parts: anonymous (the heap, stacks) and file-backed (the
/// executable's own pages, shared libraries, SQLite's memory map), in MiB, for the report.
pub(crate) fn rss_parts(pid: u32) -> String {
    match (status_kib(pid, "RssAnon:"), status_kib(pid, "RssFile:")) {
        (Some(anon), Some(file)) => format!(
            " (anonymous {:.1} MiB, file-backed {:.1} MiB)",
            anon as f64 / 1024.0,
            file as f64 / 1024.0
        ),
        _ => String::new(),
    }
}

pub(crate) struct Instance {
    pub(crate) binary: PathBuf,
    pub(crate) database_url: String,
    pub(crate) port: u16,
    pub(crate) domain: String,
    pub(crate) admin: String,
    pub(crate) http: Client,
    pub(crate) log: PathBuf,
    pub(crate) child: Guard,
    pub(crate) _dir: tempfile::TempDir,
}

impl Instance {
    pub(crate) async fn start(
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
            // The load comes from one host (`load.test`) as fast as it can: the inbox's flood
            // limits, per host and per actor, would answer most of it 429.
            .env("GUILDHALL_INBOX_RATE_HOST", "1000000")
            .env("GUILDHALL_INBOX_RATE_ACTOR", "1000000")
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
            binary: binary.to_path_buf(),
            database_url: database_url.clone(),
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

    /// Runs `guildhall ARGS` (an admin task) on this instance's database while it serves;
    /// returns what it printed.
    pub(crate) fn admin_task(&self, args: &[&str]) -> Res<String> {
        let mut command = Command::new(&self.binary);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GUILDHALL_") {
                command.env_remove(key);
            }
        }
        let out = command
            .args(args)
            .current_dir(self._dir.path())
            .env("GUILDHALL_DOMAIN", &self.domain)
            .env("GUILDHALL_DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("run guildhall {}: {e}", args.join(" ")))?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() {
            return Err(format!(
                "guildhall {} failed: {text} {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(text)
    }

    /// The last 40 lines of the instance's log, backtrace frames left out.
    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.starts_with("at ")
                    || t.split_once(": ")
                        .is_some_and(|(n, _)| n.parse::<u32>().is_ok()))
            })
            .collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.0.id()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.domain)
    }

    pub(crate) async fn call(
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

    pub(crate) async fn expect(
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

    pub(crate) async fn set_up(&mut self) -> Res<()> {
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

    pub(crate) async fn company(&self, handle: &str) -> Res<String> {
        self.expect(
            Method::POST,
            "/api/v1/companies",
            &json!({"handle": handle, "name": format!("Company {handle}")}),
            StatusCode::CREATED,
        )
        .await?;
        Ok(self.url(&format!("/companies/{handle}")))
    }

    pub(crate) async fn patch_company(&self, handle: &str, description: &str) -> Res<()> {
        self.expect(
            Method::PATCH,
            &format!("/api/v1/companies/{handle}"),
            &json!({"description": description}),
            StatusCode::OK,
        )
        .await
        .map(|_| ())
    }

    pub(crate) async fn followers_total(&self, handle: &str) -> Option<usize> {
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
