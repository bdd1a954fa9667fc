//! Directory search over HTTP: an instance whose directory holds N synthetic remote entries
//! (`guildhall admin seed-directory`), asked searches one at a time (first some never asked
//! before, so nothing is cached; then a fixed mix, repeated), so each
//! latency is the service time of one search end to end (HTTP, validation, full-text query,
//! facet counts, JSON), not time spent queueing behind other requests.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::instance::Instance;
use crate::servers::{drop_database, postgres_database};
use crate::stats::{ms, percentile};
use crate::{Params, Res};

/// The searches, cycled in order: free text, facets alone, both, a browse without filters, a
/// later page, a date range of events.
fn searches(today: &str, in_a_month: &str) -> Vec<(&'static str, String)> {
    vec![
        ("one word", "q=rust".into()),
        ("two words", "q=harbour%20labs".into()),
        ("skill and city", "skill=Rust&city=Lisbon".into()),
        (
            "kind, industry, hiring",
            "kind=company&industry=Software&hiring=true".into(),
        ),
        (
            "words and country",
            "q=data%20engineering&country=DE".into(),
        ),
        ("browse, no filter", String::new()),
        ("prefix, page 3", "q=atl&page=3".into()),
        (
            "events in a month",
            format!("kind=event&from={today}&to={in_a_month}"),
        ),
    ]
}

/// Searches never asked before (a skill and a city, or words and a country), so nothing of
/// them is cached: the cold path, facet counts included.
fn fresh_searches(n: usize) -> Vec<String> {
    const SKILLS: [&str; 10] = [
        "Rust",
        "Go",
        "Python",
        "TypeScript",
        "PostgreSQL",
        "Kubernetes",
        "Security",
        "Marketing",
        "SEO",
        "Legal",
    ];
    const CITIES: [&str; 12] = [
        "Lisbon",
        "Porto",
        "Berlin",
        "Hamburg",
        "Amsterdam",
        "Madrid",
        "Barcelona",
        "Paris",
        "Lyon",
        "Dublin",
        "Vienna",
        "Copenhagen",
    ];
    const WORDS: [&str; 6] = ["labs", "studio", "design", "data", "meetup", "open"];
    const COUNTRIES: [&str; 8] = ["PT", "DE", "NL", "ES", "FR", "IE", "AT", "DK"];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(if i % 2 == 0 {
            let k = i / 2;
            format!(
                "skill={}&city={}",
                SKILLS[k % SKILLS.len()],
                CITIES[(k / SKILLS.len()) % CITIES.len()]
            )
        } else {
            let k = i / 2;
            format!(
                "q={}&country={}",
                WORDS[k % WORDS.len()],
                COUNTRIES[(k / WORDS.len()) % COUNTRIES.len()]
            )
        });
    }
    out
}

pub(crate) struct SearchFigures {
    pub(crate) entries: usize,
    pub(crate) seeded_in: Duration,
    pub(crate) requests: usize,
    pub(crate) p50: Duration,
    pub(crate) p95: Duration,
    pub(crate) p99: Duration,
    /// `(search, results it found, its median latency)`, to show the queries are not empty and
    /// which of them cost what.
    pub(crate) per_search: Vec<(&'static str, i64, Duration)>,
    /// Searches asked for the first time: how many, p50, p95.
    pub(crate) fresh: (usize, Duration, Duration),
}

/// Seeds `entries` entries into `inst` and measures `requests` searches after a warm-up.
pub(crate) async fn measure(
    inst: &Instance,
    entries: usize,
    requests: usize,
) -> Res<SearchFigures> {
    let seeding = Instant::now();
    inst.admin_task(&["admin", "seed-directory", "--entries", &entries.to_string()])?;
    let seeded_in = seeding.elapsed();
    let today = chrono::Utc::now().date_naive();
    let in_a_month = today + chrono::Days::new(30);
    let mix = searches(&today.to_string(), &in_a_month.to_string());
    let url = |query: &str| inst.url(&format!("/api/v1/directory?{query}"));

    // First the cold path: searches never asked before.
    let fresh = fresh_searches((requests / 4).clamp(20, 120));
    let mut cold = Vec::with_capacity(fresh.len());
    for query in &fresh {
        let started = Instant::now();
        let r = inst
            .http
            .get(url(query))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = r.status() == StatusCode::OK;
        let _ = r.bytes().await;
        cold.push(started.elapsed());
        if !ok {
            return Err(format!("search {query} failed"));
        }
    }
    cold.sort();

    let mut totals = Vec::new();
    for (name, query) in &mix {
        let r = inst
            .http
            .get(url(query))
            .send()
            .await
            .map_err(|e| format!("search {name}: {e}"))?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status != StatusCode::OK {
            return Err(format!("search {name}: {status} {body}"));
        }
        totals.push((*name, body["total"].as_i64().unwrap_or(-1)));
    }
    // Warm-up: each search a few times more, untimed.
    for i in 0..mix.len() * 4 {
        let _ = inst.http.get(url(&mix[i % mix.len()].1)).send().await;
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut by_search: Vec<Vec<Duration>> = vec![Vec::new(); mix.len()];
    for i in 0..requests {
        let started = Instant::now();
        let r = inst
            .http
            .get(url(&mix[i % mix.len()].1))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = r.status() == StatusCode::OK;
        let _ = r.bytes().await;
        latencies.push(started.elapsed());
        by_search[i % mix.len()].push(started.elapsed());
        if !ok {
            return Err(format!("search {} failed", mix[i % mix.len()].0));
        }
    }
    latencies.sort();
    Ok(SearchFigures {
        entries,
        seeded_in,
        requests,
        p50: percentile(&latencies, 0.50),
        p95: percentile(&latencies, 0.95),
        p99: percentile(&latencies, 0.99),
        per_search: totals
            .into_iter()
            .zip(by_search)
            .map(|((name, total), mut samples)| {
                samples.sort();
                (name, total, percentile(&samples, 0.5))
            })
            .collect(),
        fresh: (cold.len(), percentile(&cold, 0.5), percentile(&cold, 0.95)),
    })
}

pub(crate) fn print(label: &str, f: &SearchFigures) {
    println!(
        "  {label}: {} entries; {} searches asked for the first time (nothing cached): p50 {}, p95 {}",
        f.entries,
        f.fresh.0,
        ms(f.fresh.1),
        ms(f.fresh.2)
    );
    println!(
        "  {label}: {} entries (seeded in {:.1} s), {} searches of a fixed mix, repeated, one at a time: p50 {}, p95 {}, p99 {}",
        f.entries,
        f.seeded_in.as_secs_f64(),
        f.requests,
        ms(f.p50),
        ms(f.p95),
        ms(f.p99)
    );
    let found: Vec<String> = f
        .per_search
        .iter()
        .map(|(name, total, p50)| format!("{name}: {total} found, p50 {}", ms(*p50)))
        .collect();
    println!("    per search: {}", found.join("; "));
}

/// The section: a fresh SQLite instance, then one on a fresh PostgreSQL database.
pub(crate) async fn run(binary: &Path, resolve: &str, p: &Params) {
    println!(
        "\nDirectory search over HTTP ({} synthetic entries)",
        p.directory_entries
    );
    match Instance::start(binary, "dir", None, resolve, &[]).await {
        Ok(d) => match measure(&d, p.directory_entries, p.searches).await {
            Ok(f) => print("SQLite", &f),
            Err(e) => println!("  SQLite: not measured: {e}"),
        },
        Err(e) => println!("  SQLite: not measured: {e}"),
    }
    match postgres_database().await {
        Ok((admin_url, name, url)) => {
            match Instance::start(binary, "dir", Some(url), resolve, &[]).await {
                Ok(d) => match measure(&d, p.directory_entries, p.searches).await {
                    Ok(f) => print("PostgreSQL", &f),
                    Err(e) => println!("  PostgreSQL: not measured: {e}"),
                },
                Err(e) => println!("  PostgreSQL: not measured: {e}"),
            }
            drop_database(&admin_url, &name).await;
        }
        Err(e) => println!("  PostgreSQL: not measured: {e}"),
    }
}
