//! The `followers`, `following` and `outbox` collections of local actors, paged as
//! `OrderedCollection` / `OrderedCollectionPage`, newest first.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::actors;
use crate::error::{Error, Result};
use crate::federation::activities::strip_context;
use crate::federation::follows;
use crate::federation::local::LocalActor;
use crate::federation::negotiate::activity_json;
use crate::federation::outbox;
use crate::federation::protocol::context;
use crate::federation::urls::Urls;
use crate::state::AppState;
use crate::{accounts, projects};

pub const PAGE_SIZE: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members/{handle}/{collection}", get(member_collection))
        .route("/companies/{handle}/{collection}", get(company_collection))
        .route("/projects/{handle}/{collection}", get(project_collection))
        .route("/followers", get(space_followers))
        .route("/following", get(space_following))
        .route("/outbox", get(space_outbox))
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<i64>,
}

async fn member_collection(
    State(state): State<AppState>,
    Path((handle, collection)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let actor = actors::by_uri(&state, &urls.member(&handle.to_ascii_lowercase()))
        .await?
        .ok_or(Error::NotFound)?;
    serve(&state, &actor, &collection, q.page).await
}

async fn company_collection(
    State(state): State<AppState>,
    Path((handle, collection)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let actor = actors::by_uri(&state, &urls.company(&handle.to_ascii_lowercase()))
        .await?
        .ok_or(Error::NotFound)?;
    serve(&state, &actor, &collection, q.page).await
}

async fn project_collection(
    State(state): State<AppState>,
    Path((handle, collection)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let actor = actors::by_uri(&state, &urls.project(&handle.to_ascii_lowercase()))
        .await?
        .ok_or(Error::NotFound)?;
    if collection == "moderators" {
        let LocalActor::Project(project) = &actor else {
            return Err(Error::NotFound);
        };
        let project = projects::store::by_handle(&state.db, &project.handle)
            .await?
            .ok_or(Error::NotFound)?;
        // Managers as actors: the company (when it owns the project) and the members who run it.
        let mut items = vec![project.owner.clone()];
        for id in projects::store::managers(&state.db, &project).await? {
            if let Some(a) = accounts::store::by_id(&state.db, id).await? {
                let uri = urls.member(&a.handle);
                if !items.contains(&uri) {
                    items.push(uri);
                }
            }
        }
        return Ok(activity_json(&json!({
            "@context": context(),
            "id": urls.collection(&actor.uri(&urls), "moderators"),
            "type": "OrderedCollection",
            "totalItems": items.len(),
            "orderedItems": items,
        })));
    }
    serve(&state, &actor, &collection, q.page).await
}

async fn space_followers(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    serve_space(&state, "followers", q.page).await
}

async fn space_following(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    serve_space(&state, "following", q.page).await
}

async fn space_outbox(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    serve_space(&state, "outbox", q.page).await
}

async fn serve_space(state: &AppState, collection: &str, page: Option<i64>) -> Result<Response> {
    if !state.is_set_up().await {
        return Err(Error::NotFound);
    }
    serve(state, &LocalActor::Space, collection, page).await
}

async fn serve(
    state: &AppState,
    actor: &LocalActor,
    collection: &str,
    page: Option<i64>,
) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let actor_uri = actor.uri(&urls);
    let id = urls.collection(&actor_uri, collection);
    let total = match collection {
        "followers" | "following" => {
            follows::count(&state.db, &actor_uri, collection == "followers").await?
        }
        "outbox" => outbox::count_public(&state.db, &actor_uri).await?,
        _ => return Err(Error::NotFound),
    };
    let Some(page) = page else {
        return Ok(activity_json(&json!({
            "@context": context(),
            "id": id,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": format!("{id}?page=1"),
        })));
    };
    let page = page.clamp(1, 100_000);
    let offset = (page - 1) * PAGE_SIZE;
    let ordered: Vec<Value> = match collection {
        "outbox" => outbox::public_page(&state.db, &actor_uri, PAGE_SIZE, offset)
            .await?
            .iter()
            .map(strip_context)
            .collect(),
        _ => follows::list(
            &state.db,
            &actor_uri,
            collection == "followers",
            Some("accepted"),
            PAGE_SIZE,
            offset,
        )
        .await?
        .into_iter()
        .map(|f| {
            Value::String(if collection == "followers" {
                f.follower
            } else {
                f.followee
            })
        })
        .collect(),
    };
    let mut doc = json!({
        "@context": context(),
        "id": format!("{id}?page={page}"),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": ordered,
    });
    if offset + PAGE_SIZE < total {
        doc["next"] = json!(format!("{id}?page={}", page + 1));
    }
    if page > 1 {
        doc["prev"] = json!(format!("{id}?page={}", page - 1));
    }
    Ok(activity_json(&doc))
}
