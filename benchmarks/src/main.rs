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

use std::collections::HashMap;
use std::time::{Duration, Instant};

use guildhall::federation::crypto::{self, SigningKey};

mod delivery;
mod directory;
mod http;
mod inbox;
mod inbox_wrk;
mod instance;
mod net;
mod pages;
mod rsa_bounds;
mod servers;
mod stats;

use delivery::{fan_out, throughput};
use http::client;
use inbox::{inbox_load, print_inbox};
use inbox_wrk::inbox_wrk;
use instance::{guildhall_binary, rss_kib, rss_parts, until_quiet, Instance};
use net::{Key, Net};
use pages::pages;
use servers::{drop_database, fedify_peer, postgres_database};

pub(crate) type Res<T> = Result<T, String>;

pub(crate) const POLL: Duration = Duration::from_millis(20);
pub(crate) const ADMIN_PASSWORD: &str = "admin password 123";
pub(crate) const AS_JSON: &str = "application/activity+json";

pub(crate) struct Params {
    pub(crate) quick: bool,
    /// Inbox load: activities, actors, concurrency.
    pub(crate) n: usize,
    pub(crate) m: usize,
    pub(crate) c: usize,
    pub(crate) fan_sizes: Vec<usize>,
    /// Updates queued to one host in the throughput test.
    pub(crate) k: usize,
    /// Seconds per page load run.
    pub(crate) page_secs: u64,
    /// Directory search: synthetic entries, and searches timed.
    pub(crate) directory_entries: usize,
    pub(crate) searches: usize,
    /// `--only a,b`: the sections to run (all when empty).
    pub(crate) only: Vec<String>,
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
                // A tenth of the full run's 100,000, so the quick run stays under two minutes.
                directory_entries: 10_000,
                searches: 400,
                only: Vec::new(),
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
                directory_entries: 100_000,
                searches: 2000,
                only: Vec::new(),
            }
        }
    }
}

/// The sections of a run, as `--only` names them.
const SECTIONS: [&str; 5] = ["pages", "throughput", "fanout", "directory", "inbox"];

impl Params {
    /// Whether the run includes `section`.
    fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

/// `[--quick] [--only SECTION,…]`.
fn parse_args(args: &[String]) -> Res<Params> {
    let mut quick = false;
    let mut only = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--only" => {
                let list = it.next().ok_or("--only needs a list of sections")?;
                for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if !SECTIONS.contains(&s) {
                        return Err(format!(
                            "unknown section {s:?}; the sections are {}",
                            SECTIONS.join(", ")
                        ));
                    }
                    only.push(s.to_string());
                }
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: bench [--quick] [--only {}]",
                    SECTIONS.join(",")
                ))
            }
        }
    }
    let mut p = Params::new(quick);
    p.only = only;
    Ok(p)
}

// --- the run ------------------------------------------------------------------------------------

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let params = match parse_args(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(params).await {
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
        "  idle after setup: {} MiB{}",
        idle.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        rss_parts(a.pid())
    );

    // Pages.
    a.company("acme").await?;
    a.patch_company(
        "acme",
        "A company with a description, for the page benchmark.",
    )
    .await?;
    if p.runs("pages") {
        println!("\nPages (SQLite instance, {} s each)", p.page_secs);
        for path in ["/", "/companies/acme"] {
            match pages(&a, path, p.page_secs).await {
                Ok(line) => println!("  {path}: {line}"),
                Err(e) => println!("  {path}: not measured: {e}"),
            }
        }
    }

    if p.runs("throughput") {
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
    }

    if p.runs("fanout") {
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
    }

    if p.runs("directory") {
        directory::run(&binary, &resolve, &p).await;
    }

    if p.runs("inbox") {
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
            "  memory: peak during the load {:.1} MiB, right after {:.1} MiB{}",
            peak.unwrap_or(0) as f64 / 1024.0,
            after.unwrap_or(0) as f64 / 1024.0,
            rss_parts(a.pid())
        );
        let guildhall_rate = r.rate;
        let guildhall_wrk = wrk_line(
            &net,
            &a.url("/inbox"),
            &load_host,
            &p,
            a.pid(),
            "guildhall, SQLite",
        )
        .await;
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
                                wrk_line(
                                    &net,
                                    &pg.url("/inbox"),
                                    &load_host,
                                    &p,
                                    pg.pid(),
                                    "guildhall, PostgreSQL",
                                )
                                .await;
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
                        let peer_wrk = wrk_line(
                            &net,
                            &inbox,
                            &load_host,
                            &p,
                            _guard.0.id(),
                            "Fedify peer (Node)",
                        )
                        .await;
                        if let (Some(g), Some(f)) = (guildhall_wrk, peer_wrk) {
                            if f > 0.0 {
                                println!(
                                    "  ratio with wrk, guildhall (SQLite) / Fedify: {:.2}",
                                    g / f
                                );
                            }
                        }
                    }
                    Err(e) => println!("  Fedify peer: not measured: {e}"),
                }
            }
            Err(e) => println!("  Fedify peer: not measured: {e}"),
        }
    }
    println!(
        "\nThe measurements took {:.0} s.",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The same inbox measured with wrk as the load generator, once the instance is quiet again
/// (how long that took is printed first); prints its line and returns the rate (`None` when
/// wrk is not installed or the run failed).
async fn wrk_line(
    net: &Net,
    inbox_url: &str,
    load_host: &str,
    p: &Params,
    pid: u32,
    label: &str,
) -> Option<f64> {
    // The load before left activities queued for the processor: wrk measures the inbox alone.
    match until_quiet(pid, Duration::from_secs(300)).await {
        Some(t) => println!(
            "  {label}: quiet {:.1} s after that load (its queued activities processed)",
            t.as_secs_f64()
        ),
        None => println!("  {label}: still busy 300 s after that load"),
    }
    match inbox_wrk(net, inbox_url, load_host, p, Some(pid)).await {
        Ok(Some((r, peak))) => {
            print_inbox(&format!("{label}, wrk"), &r, p.n);
            println!(
                "  memory: peak during the wrk load {:.1} MiB",
                peak.unwrap_or(0) as f64 / 1024.0
            );
            Some(r.rate)
        }
        Ok(None) => {
            println!("  {label}, wrk: not measured (wrk is not installed)");
            None
        }
        Err(e) => {
            println!("  {label}, wrk: not measured: {e}");
            None
        }
    }
}
