//! JSON API of the directory: `GET /api/v1/directory` (search with facets, public like the
//! page) and the administrator's `GET/POST /api/v1/peers`, `DELETE /api/v1/peers/{domain}`,
//! `POST /api/v1/peers/sync`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use super::index::Facets;
use super::model::Entry;
use super::peers::{self, PeerForm};
use super::search::{self, SearchParams};
use super::store::{self, Peer};
use crate::accounts::session::{Admin, MaybeUser};
use crate::api::ApiJson;
use crate::error::Result;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/directory", get(search_directory))
        .route("/peers", get(list_peers).post(add_peer))
        .route("/peers/sync", post(sync_now))
        .route("/peers/{domain}", delete(remove_peer))
        .route("/admin/directory", get(publishing).put(set_publishing))
}

/// An entry as the API shows it: the stored fields and where the card opens here.
#[derive(Serialize)]
pub struct EntryView<'a> {
    #[serde(flatten)]
    pub entry: &'a Entry,
    pub link: String,
}

impl<'a> EntryView<'a> {
    pub fn of(entry: &'a Entry) -> Self {
        EntryView {
            link: entry.link(),
            entry,
        }
    }
}

#[derive(Serialize)]
struct ResultsView<'a> {
    total: i64,
    page: i64,
    per_page: i64,
    entries: Vec<EntryView<'a>>,
    facets: &'a Facets,
    resolved: Option<EntryView<'a>>,
    resolve_error: &'a Option<String>,
}

async fn search_directory(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(params): Query<SearchParams>,
) -> Result<Response> {
    let r = search::run(&state, &params, user.is_some()).await?;
    Ok(Json(ResultsView {
        total: r.total,
        page: r.page,
        per_page: r.per_page,
        entries: r.entries.iter().map(EntryView::of).collect(),
        facets: &r.facets,
        resolved: r.resolved.as_ref().map(EntryView::of),
        resolve_error: &r.resolve_error,
    })
    .into_response())
}

async fn list_peers(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Vec<Peer>>> {
    Ok(Json(store::peers(&state.db).await?))
}

async fn add_peer(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiJson(form): ApiJson<PeerForm>,
) -> Result<Response> {
    let (peer, created) = peers::add(&state, &form.domain).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(peer)).into_response())
}

async fn remove_peer(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(domain): Path<String>,
) -> Result<StatusCode> {
    peers::remove(&state.db, &domain).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
struct PublishingInput {
    publish: bool,
}

async fn publishing(State(state): State<AppState>, Admin(_): Admin) -> Result<Response> {
    let on = store::publishing(&state.db).await?;
    Ok(Json(json!({ "publish": on })).into_response())
}

/// Switches publishing; switched off, every entry of this space becomes a tombstone.
async fn set_publishing(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiJson(input): ApiJson<PublishingInput>,
) -> Result<Response> {
    store::set_publishing(&state.db, input.publish).await?;
    Ok(Json(json!({ "publish": input.publish })).into_response())
}

/// Wakes the sync task now instead of at its next interval.
async fn sync_now(State(state): State<AppState>, Admin(_): Admin) -> Result<Response> {
    store::make_all_peers_due(&state.db).await?;
    state.directory.sync_wakeup.notify_one();
    Ok((StatusCode::ACCEPTED, Json(json!({ "queued": true }))).into_response())
}
