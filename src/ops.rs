//! Operations endpoints: `/healthz` for load balancers and `/metrics` for Prometheus.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::app::AppState;

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
    delivery_queue: Family<HostLabels, Gauge<i64, AtomicI64Compat>>,
    delivery_parked_hosts: Gauge<i64, AtomicI64Compat>,
    delivery_failures: Family<HostLabels, Counter>,
    delivery_failure_hosts: Mutex<HashSet<String>>,
    deliveries: Family<OutcomeLabels, Counter>,
}

type AtomicI64Compat = std::sync::atomic::AtomicI64;

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

    /// Replaces the queue gauge with fresh per-host depths.
    fn set_delivery_queue(&self, depths: &[(String, i64)], parked_hosts: i64) {
        self.delivery_queue.clear();
        for (host, queued) in depths {
            self.delivery_queue
                .get_or_create(&HostLabels { host: host.clone() })
                .set(*queued);
        }
        self.delivery_parked_hosts.set(parked_hosts);
    }
}

/// Counts every request by route template (never the raw path: unbounded labels), method and
/// status.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    state.metrics.latency.observe(start.elapsed().as_secs_f64());
    response
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(state.db.pool())
        .await
    {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Metrics name the remote hosts this space talks to and its traffic: they open to a bearer
/// token (`metrics_token`), or, when none is set, to a loopback peer that no proxy forwarded.
fn may_read_metrics(state: &AppState, parts: &Parts) -> bool {
    match &state.config.metrics_token {
        Some(token) => parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| {
                crate::web::csrf::constant_time_eq(
                    given.trim().as_bytes(),
                    token.expose().as_bytes(),
                )
            }),
        None => {
            crate::web::client::peer_of(parts).is_ok_and(|ip| ip.is_loopback())
                && !crate::web::client::is_forwarded(&parts.headers)
        }
    }
}

async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if !may_read_metrics(&state, &parts) {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            "Metrics need the bearer token set in metrics_token, or a request from this machine.",
        )
            .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    if let Ok(n) = crate::accounts::store::count(&state.db).await {
        state.metrics.members.set(n);
    }
    if let Ok(n) = crate::companies::store::count(&state.db).await {
        state.metrics.companies.set(n);
    }
    match crate::federation::delivery::queue_depths(&state, DELIVERY_QUEUE_HOSTS).await {
        Ok((depths, parked)) => state.metrics.set_delivery_queue(&depths, parked),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the delivery queue"),
    }
    let mut body = String::new();
    if encode(&mut body, &state.metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
