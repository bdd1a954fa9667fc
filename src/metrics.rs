//! The process's Prometheus metrics: request counts and latency, members and companies, the
//! inbox's queue of received activities, the delivery queue. `ops.rs` serves them; the delivery queue counts its attempts here.

use std::collections::HashSet;
use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HostLabels {
    host: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    outcome: &'static str,
}

/// Hosts shown in the queue gauge, the busiest first; the others are summed in no series.
pub const DELIVERY_QUEUE_HOSTS: usize = 100;
/// Distinct hosts the failure counter names; failures of further hosts count as `other`.
const DELIVERY_FAILURE_HOSTS: usize = 1000;

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histogram,
    members: Gauge<i64, AtomicI64Compat>,
    companies: Gauge<i64, AtomicI64Compat>,
    inbox_queue: Gauge<i64, AtomicI64Compat>,
    inbox_failed_once: Gauge<i64, AtomicI64Compat>,
    inbox_oldest: Gauge<f64, AtomicU64>,
    delivery_queue: Family<HostLabels, Gauge<i64, AtomicI64Compat>>,
    delivery_parked_hosts: Gauge<i64, AtomicI64Compat>,
    delivery_failures: Family<HostLabels, Counter>,
    delivery_failure_hosts: Mutex<HashSet<String>>,
    deliveries: Family<OutcomeLabels, Counter>,
}

type AtomicI64Compat = std::sync::atomic::AtomicI64;
type AtomicU64 = std::sync::atomic::AtomicU64;

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("guildhall");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests served", requests.clone());
        let latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        let members = Gauge::<i64, AtomicI64Compat>::default();
        registry.register("members", "Accounts in this space", members.clone());
        let companies = Gauge::<i64, AtomicI64Compat>::default();
        registry.register("companies", "Companies in this space", companies.clone());
        let inbox_queue = Gauge::<i64, AtomicI64Compat>::default();
        registry.register(
            "inbox_queue",
            "Received activities stored and not processed yet",
            inbox_queue.clone(),
        );
        let inbox_failed_once = Gauge::<i64, AtomicI64Compat>::default();
        registry.register(
            "inbox_retrying",
            "Received activities waiting to be processed again after a failed try",
            inbox_failed_once.clone(),
        );
        let inbox_oldest = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "inbox_oldest_waiting_seconds",
            "Age of the oldest received activity not processed yet (0 when none waits)",
            inbox_oldest.clone(),
        );
        let delivery_queue = Family::<HostLabels, Gauge<i64, AtomicI64Compat>>::default();
        registry.register(
            "delivery_queue",
            "Deliveries waiting per remote host (the busiest hosts)",
            delivery_queue.clone(),
        );
        let delivery_parked_hosts = Gauge::<i64, AtomicI64Compat>::default();
        registry.register(
            "delivery_parked_hosts",
            "Remote hosts parked after repeated delivery failures",
            delivery_parked_hosts.clone(),
        );
        let delivery_failures = Family::<HostLabels, Counter>::default();
        registry.register(
            "delivery_failures",
            "Failed delivery attempts per remote host, temporary or final",
            delivery_failures.clone(),
        );
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Finished delivery attempts by outcome: delivered, retry, failed",
            deliveries.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            members,
            companies,
            inbox_queue,
            inbox_failed_once,
            inbox_oldest,
            delivery_queue,
            delivery_parked_hosts,
            delivery_failures,
            delivery_failure_hosts: Mutex::new(HashSet::new()),
            deliveries,
        }
    }

    /// Counts a finished delivery attempt: `delivered`, `retry` (a temporary failure that
    /// will be tried again) or `failed` (given up).
    pub fn count_delivery(&self, outcome: &'static str) {
        self.deliveries
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Counts a failed delivery attempt to `host`. The label set stays bounded: past
    /// [`DELIVERY_FAILURE_HOSTS`] distinct hosts, further hosts count as `other`.
    pub fn count_delivery_failure(&self, host: &str) {
        let host = {
            let mut seen = self
                .delivery_failure_hosts
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if seen.contains(host) || seen.len() < DELIVERY_FAILURE_HOSTS {
                seen.insert(host.to_string());
                host.to_string()
            } else {
                "other".to_string()
            }
        };
        self.delivery_failures
            .get_or_create(&HostLabels { host })
            .inc();
    }

    /// Sets the inbox gauges: activities waiting, how many of them failed once, and how long
    /// the oldest has waited.
    pub fn set_inbox_queue(&self, waiting: i64, failed_once: i64, oldest_seconds: f64) {
        self.inbox_queue.set(waiting);
        self.inbox_failed_once.set(failed_once);
        self.inbox_oldest.set(oldest_seconds);
    }

    /// Replaces the queue gauge with fresh per-host depths.
    pub fn set_delivery_queue(&self, depths: &[(String, i64)], parked_hosts: i64) {
        self.delivery_queue.clear();
        for (host, queued) in depths {
            self.delivery_queue
                .get_or_create(&HostLabels { host: host.clone() })
                .set(*queued);
        }
        self.delivery_parked_hosts.set(parked_hosts);
    }
    /// Counts one answered request by route template, method and status.
    pub fn count_request(&self, method: String, route: String, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.latency.observe(seconds);
    }

    pub fn set_members(&self, n: i64) {
        self.members.set(n);
    }

    pub fn set_companies(&self, n: i64) {
        self.companies.set(n);
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut body = String::new();
        encode(&mut body, &self.registry)?;
        Ok(body)
    }
}
