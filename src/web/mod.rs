//! What all pages share: the layout context, CSRF protection, cookies, error pages, the
//! stylesheet and uploaded media.

pub mod client;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod headers;
pub mod page;
pub mod rate;
pub mod time;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::{Error, Result};
use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../static/style.css");
/// The rules of the booking pages, in a file of their own.
const BOOKINGS_STYLESHEET: &str = include_str!("../../static/bookings.css");
/// The pages' one script: the header's menu button, filters that open on wide screens (every
/// page works without it).
const SITE_SCRIPT: &str = include_str!("../../static/site.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/style.css", get(stylesheet))
        .route("/static/bookings.css", get(bookings_stylesheet))
        .route("/static/site.js", get(site_script))
        .route("/media/{folder}/{name}", get(media))
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn bookings_stylesheet() -> Response {
    asset("text/css; charset=utf-8", BOOKINGS_STYLESHEET)
}

async fn site_script() -> Response {
    asset("text/javascript; charset=utf-8", SITE_SCRIPT)
}

/// A file compiled into the binary, cached for an hour.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn media(
    State(state): State<AppState>,
    Path((folder, name)): Path<(String, String)>,
) -> Result<Response> {
    let file = state.media.get(&format!("{folder}/{name}")).await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type),
            // Keys are random and never reused, so a file never changes.
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        file.bytes,
    )
        .into_response())
}

/// Unknown addresses.
pub async fn not_found() -> Error {
    Error::NotFound
}
