//! FEP-8a8e's `upcomingEvents` collections of the space, a member and a company, for servers.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{lists, service};
use crate::error::{Error, Result};
use crate::federation::negotiate::activity_json;
use crate::federation::urls::Urls;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/upcoming-events", get(space_upcoming))
        .route("/members/{handle}/upcoming-events", get(member_upcoming))
        .route("/companies/{handle}/upcoming-events", get(company_upcoming))
}

/// FEP-8a8e's `upcomingEvents` of an actor: its public events that have not ended, soonest
/// first, embedded.
async fn upcoming_collection(state: &AppState, actor: &str) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let events = lists::upcoming_by(state, actor, false, 50, crate::storage::now_ms()).await?;
    let mut items = Vec::with_capacity(events.len());
    for e in &events {
        let doc = service::document(state, e).await?;
        items.push(crate::federation::activities::strip_context(&doc));
    }
    Ok(activity_json(&serde_json::json!({
        "@context": crate::federation::protocol::context(),
        "id": urls.collection(actor, "upcoming-events"),
        "type": "OrderedCollection",
        "totalItems": items.len(),
        "orderedItems": items,
    })))
}

async fn space_upcoming(State(state): State<AppState>) -> Result<Response> {
    let urls = Urls::new(&state.config);
    upcoming_collection(&state, &urls.space()).await
}

async fn member_upcoming(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Response> {
    let account = crate::accounts::store::by_handle(&state.db, &handle)
        .await?
        .ok_or(Error::NotFound)?;
    let urls = Urls::new(&state.config);
    upcoming_collection(&state, &urls.member(&account.handle)).await
}

async fn company_upcoming(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Response> {
    let company = crate::companies::store::by_handle(&state.db, &handle)
        .await?
        .ok_or(Error::NotFound)?;
    let urls = Urls::new(&state.config);
    upcoming_collection(&state, &urls.company(&company.handle)).await
}
