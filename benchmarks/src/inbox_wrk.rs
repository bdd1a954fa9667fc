//! The inbox accept rate measured by a separate load generator: `wrk` (when installed) fires
//! pre-signed `Create` activities, each sent once, from its own process. The harness's own
//! client ([`crate::inbox::inbox_load`]) shares the process and the cores with its async
//! runtime and HTTP stack; `wrk` is a small C program, so this figure shows more of what the
//! server can take, and it is the comparison the issue's own figures were made with.
//!
//! The requests are written to a file, one after another as raw HTTP, each preceded by its
//! length on a line. The script (below) gives every wrk thread its share, sends each request
//! once, notes when its first request left and its last answer came (a monotonic clock read
//! through LuaJIT's FFI), stops the thread when every answer is in, and prints one line per
//! thread; the harness interrupts wrk once every thread is done (wrk itself would wait out its
//! whole `-d`), and wrk's `done` prints the totals.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::http::Signed;
use crate::inbox::{presign, InboxResult};
use crate::instance::with_peak_rss;
use crate::net::Net;
use crate::{Params, Res};

/// wrk's threads and connections (the issue's comparison: 64 connections).
const THREADS: usize = 2;

const SCRIPT: &str = r#"
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_ts;
int clock_gettime(int clock, bench_ts *ts);
]]
local ts = ffi.new("bench_ts")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[2])
  local f = assert(io.open(args[1], "rb"))
  reqs = {}
  local i = 0
  while true do
    local len = f:read("*l")
    if not len then break end
    local r = f:read(tonumber(len))
    if i % nthreads == tid then reqs[#reqs + 1] = r end
    i = i + 1
  end
  f:close()
  sent, got, first, last = 0, 0, 0, 0
  statuses = {}
end

function request()
  sent = sent + 1
  if sent == 1 then first = now_us() end
  -- Past the end (only while the last answers are on their way): the last again, a repeat the
  -- server answers without storing; the thread stops before it counts.
  return reqs[math.min(sent, #reqs)]
end

function response(status, headers, body)
  if got >= #reqs then return end
  got = got + 1
  statuses[status] = (statuses[status] or 0) + 1
  if got == #reqs then
    last = now_us()
    local out = {}
    for code, count in pairs(statuses) do
      out[#out + 1] = string.format("bench-status %d %d\n", code, count)
    end
    out[#out + 1] = string.format("bench-thread %d %d %d\n", got, first, last)
    io.write(table.concat(out))
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  io.write(string.format("bench-latency %d %d\n", latency:percentile(50), latency:percentile(99)))
end
"#;

/// Sends `p.n` pre-signed activities to `inbox_url` with wrk, 64 at a time; `None` when wrk is
/// not installed. The target's actor cache must be warm (run after [`crate::inbox::inbox_load`]).
pub(crate) async fn inbox_wrk(
    net: &Net,
    inbox_url: &str,
    load_host: &str,
    p: &Params,
    rss_pid: Option<u32>,
) -> Res<Option<(InboxResult, Option<u64>)>> {
    if Command::new("wrk").arg("--version").output().is_err() {
        return Ok(None);
    }
    let url = url::Url::parse(inbox_url).map_err(|e| e.to_string())?;
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let signed = presign(net, inbox_url, load_host, p.m, p.n).await?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let requests = dir.path().join("requests");
    write_requests(&requests, &signed, url.path(), &host)?;
    drop(signed);
    let script = dir.path().join("inbox.lua");
    std::fs::write(&script, SCRIPT).map_err(|e| e.to_string())?;

    let target = format!("http://127.0.0.1:{port}{}", url.path());
    let connections = p.c.max(THREADS);
    let run =
        tokio::task::spawn_blocking(move || run_wrk(&script, &requests, &target, connections));
    let (r, peak) = with_peak_rss(rss_pid, run).await;
    Ok(Some((r.map_err(|e| e.to_string())??, peak)))
}

/// Each request as raw HTTP/1.1, preceded by its length on a line of its own.
fn write_requests(path: &std::path::Path, signed: &[Signed], target: &str, host: &str) -> Res<()> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    for s in signed {
        let mut raw = format!("POST {target} HTTP/1.1\r\nHost: {host}\r\n").into_bytes();
        for (name, value) in &s.headers {
            if name.as_str().eq_ignore_ascii_case("host") {
                continue;
            }
            raw.extend_from_slice(name.as_str().as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(value.as_bytes());
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", s.body.len()).as_bytes());
        raw.extend_from_slice(&s.body);
        writeln!(out, "{}", raw.len()).map_err(|e| e.to_string())?;
        out.write_all(&raw).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

/// Runs wrk until each of its threads has every answer (at most two minutes), then reads what
/// the script printed.
fn run_wrk(
    script: &std::path::Path,
    requests: &std::path::Path,
    target: &str,
    connections: usize,
) -> Res<InboxResult> {
    let mut child = Command::new("wrk")
        .args([
            &format!("-t{THREADS}"),
            &format!("-c{connections}"),
            "-d120s",
            "--timeout",
            "60s",
            "-s",
        ])
        .arg(script)
        .arg(target)
        .arg("--")
        .arg(requests)
        .arg(THREADS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("wrk: {e}"))?;
    let stdout = child.stdout.take().ok_or("wrk: no output")?;
    let mut statuses = std::collections::HashMap::new();
    let (mut got, mut first, mut last) = (0usize, u64::MAX, 0u64);
    let (mut threads, mut p50, mut p99) = (0, 0u64, 0u64);
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let fields: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        if line.starts_with("bench-status ") && fields.len() == 2 {
            *statuses.entry(fields[0] as u16).or_insert(0) += fields[1] as usize;
        } else if line.starts_with("bench-thread ") && fields.len() == 3 {
            got += fields[0] as usize;
            first = first.min(fields[1]);
            last = last.max(fields[2]);
            threads += 1;
            if threads == THREADS {
                // Every thread is done: wrk would otherwise sleep out its duration.
                let _ = Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status();
            }
        } else if line.starts_with("bench-latency ") && fields.len() == 2 {
            p50 = fields[0];
            p99 = fields[1];
        }
    }
    let _ = child.wait();
    if threads < THREADS || last <= first {
        return Err(format!(
            "wrk did not finish: {threads} of {THREADS} threads reported"
        ));
    }
    let elapsed = Duration::from_micros(last - first);
    let ok: usize = statuses
        .iter()
        .filter(|(k, _)| (200..300).contains(*k))
        .map(|(_, v)| v)
        .sum();
    if statuses.values().sum::<usize>() != got {
        return Err("wrk: the answers do not add up".into());
    }
    Ok(InboxResult {
        accepted: ok,
        rate: ok as f64 / elapsed.as_secs_f64(),
        p50: Duration::from_micros(p50),
        p99: Duration::from_micros(p99),
        statuses,
    })
}
