//! The administrator's page for the delivery queue: `/admin/deliveries`, one row per remote
//! host, with a button that retries a host now.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::accounts::session::Admin;
use crate::error::{Error, Result};
use crate::federation::delivery::{self, HostStatus, Totals};
use crate::state::AppState;
use crate::storage::now_ms;
use crate::web::page::{redirect_with_notice, render, PageCtx};

/// Hosts listed on the page.
const HOSTS_SHOWN: i64 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/deliveries", get(deliveries_page))
        .route("/admin/deliveries/{host}/retry", post(retry_host))
}

#[derive(Template)]
#[template(path = "spaces/deliveries.html")]
struct DeliveriesPage {
    ctx: PageCtx,
    totals: Totals,
    hosts: Vec<HostStatus>,
    limit: i64,
    now: i64,
}

impl DeliveriesPage {
    fn when(&self, ms: &Option<i64>) -> String {
        match *ms {
            Some(ms) if ms > 0 => chrono::DateTime::from_timestamp_millis(ms)
                .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default(),
            _ => "never".to_string(),
        }
    }

    /// "parked until …", "probing", or "" for a healthy host.
    fn parked(&self, host: &HostStatus) -> String {
        match host.parked_until {
            Some(until) if until > self.now => format!("until {}", self.when(&Some(until))),
            Some(_) => "probe due".to_string(),
            None => String::new(),
        }
    }
}

async fn deliveries_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
) -> Result<Response> {
    let (totals, hosts) = delivery::overview(&state, HOSTS_SHOWN).await?;
    render(&DeliveriesPage {
        ctx,
        totals,
        hosts,
        limit: HOSTS_SHOWN,
        now: now_ms(),
    })
}

async fn retry_host(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(host): Path<String>,
) -> Result<Response> {
    let queued = delivery::retry_host(&state, &host)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(redirect_with_notice(
        "/admin/deliveries",
        &format!(
            "Retrying {host} now: {queued} queued deliver{}.",
            if queued == 1 { "y" } else { "ies" }
        ),
    ))
}
