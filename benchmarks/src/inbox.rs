//! The inbox accept rate: pre-signed `Create` activities from many actors, sent concurrently,
//! with latency percentiles.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::json;

use crate::http::{send, sign_post, Signed};
use crate::instance::with_peak_rss;
use crate::net::Net;
use crate::stats::{ms, percentile};
use crate::{Params, Res};

// --- measurements -------------------------------------------------------------------------------

/// Signs `total` Create(Note) activities addressed to `inbox_url`, the `i`-th from actor
/// `i % m` on `load_host`, each with an id of its own; on every core.
pub(crate) async fn presign(
    net: &Net,
    inbox_url: &str,
    load_host: &str,
    m: usize,
    total: usize,
) -> Res<Vec<Signed>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let run = rand::random::<u32>();
    let mut handles = Vec::new();
    for t in 0..threads {
        let net = net.clone();
        let inbox_url = inbox_url.to_string();
        let load_host = load_host.to_string();
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
    Ok(signed.into_iter().map(|s| s.expect("signed")).collect())
}

pub(crate) struct InboxResult {
    pub(crate) accepted: usize,
    pub(crate) statuses: HashMap<u16, usize>,
    pub(crate) rate: f64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
}

/// Pre-signs `n` Create(Note) activities from `m` actors on `load_host`, warms the target's
/// actor cache with one request per actor, then sends them `c` at a time.
pub(crate) async fn inbox_load(
    net: &Net,
    http: &Client,
    inbox_url: &str,
    load_host: &str,
    p: &Params,
    rss_pid: Option<u32>,
) -> Res<(InboxResult, Option<u64>)> {
    let signed = presign(net, inbox_url, load_host, p.m, p.m + p.n).await?;
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
    let load_run = async {
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
        Res::Ok((lat, statuses, start.elapsed()))
    };
    let (run, peak) = with_peak_rss(rss_pid, load_run).await;
    let (mut lat, statuses, elapsed) = run?;
    lat.sort();
    let accepted = statuses
        .iter()
        .filter(|(k, _)| (200..300).contains(*k))
        .map(|(_, v)| v)
        .sum();
    Ok((
        InboxResult {
            accepted,
            rate: accepted as f64 / elapsed.as_secs_f64(),
            p50: percentile(&lat, 0.5),
            p99: percentile(&lat, 0.99),
            statuses,
        },
        peak,
    ))
}

pub(crate) fn print_inbox(label: &str, r: &InboxResult, n: usize) {
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
