//! Page loads: `wrk` when installed, otherwise a small built-in loop.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::instance::Instance;
use crate::Res;

pub(crate) async fn pages(inst: &Instance, path: &str, secs: u64) -> Res<String> {
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
