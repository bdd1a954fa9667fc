//! Operations endpoints: `/healthz` for load balancers and `/metrics` for Prometheus.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::metrics::DELIVERY_QUEUE_HOSTS;
use crate::state::AppState;

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
    state.metrics.count_request(
        method,
        route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
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
        state.metrics.set_members(n);
    }
    if let Ok(n) = crate::companies::store::count(&state.db).await {
        state.metrics.set_companies(n);
    }
    match crate::federation::inbox::waiting(&state.db).await {
        Ok(w) => {
            let age_ms = w
                .oldest_received_at
                .map_or(0, |at| (crate::storage::now_ms() - at).max(0));
            state
                .metrics
                .set_inbox_queue(w.activities, w.failed_once, age_ms as f64 / 1000.0)
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the inbox queue"),
    }
    match crate::federation::delivery::queue_depths(&state, DELIVERY_QUEUE_HOSTS).await {
        Ok((depths, parked)) => state.metrics.set_delivery_queue(&depths, parked),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the delivery queue"),
    }
    let Ok(body) = state.metrics.encode() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
