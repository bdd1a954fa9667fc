//! Deliveries: followers on many hosts (fan-out), and the rate to one host that answers slowly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::http::{client, send, sign_post, until};
use crate::instance::Instance;
use crate::net::{port_of, Net};
use crate::stats::ms;
use crate::Res;

/// `n` hosts (from `hosts`) follow `company` on `inst` with a signed Follow each; returns when
/// the instance counts them all and every host has its Accept.
pub(crate) async fn follow_from_hosts(
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
        w.await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{e}; the instance's log ends:\n{}", inst.log_tail()))?;
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

pub(crate) async fn throughput(
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
            net.hold_answers();
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
            net.release_answers();
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

pub(crate) async fn fan_out(net: &Net, inst: &Instance, hosts: &[String]) -> Res<String> {
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
