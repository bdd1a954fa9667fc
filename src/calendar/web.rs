//! The feeds (`text/calendar`): the space's (`/calendar.ics`), a company's and a member's
//! public events, each event's (`/events/{id}.ics`, served by the event page), and a member's
//! private feed at `/calendar/{token}.ics`; and the settings page that makes its address.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::{ics, sources};
use crate::accounts::session::{random_token, token_hash, User};
use crate::error::{Error, Result};
use crate::events::model::Event;
use crate::events::{lists, store};
use crate::federation::urls::Urls;
use crate::state::AppState;
use crate::storage::now_ms;
use crate::web::page::{render, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calendar.ics", get(space))
        .route("/companies/{handle}/calendar.ics", get(company))
        .route("/members/{handle}/calendar.ics", get(member))
        .route("/projects/{handle}/calendar.ics", get(project))
        .route("/calendar/{file}", get(private))
        .route("/settings/calendar", get(settings).post(regenerate))
}

/// A calendar document.
pub fn calendar_response(name: &str, items: &[ics::Item], private: bool) -> Response {
    let body = ics::calendar(name, items, now_ms());
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if private {
            "private, no-store"
        } else {
            "public, max-age=300"
        }),
    );
    response
}

/// A calendar of events.
pub fn ics_response(_state: &AppState, name: &str, events: Vec<Event>) -> Response {
    let items: Vec<ics::Item> = events.iter().map(sources::event_item).collect();
    calendar_response(name, &items, false)
}

async fn space(State(state): State<AppState>) -> Result<Response> {
    let name = crate::spaces::store::name(&state.db)
        .await?
        .unwrap_or_else(|| "Guildhall".into());
    let events =
        lists::upcoming_local_public(&state, sources::FEED_LIMIT, sources::since()).await?;
    Ok(ics_response(&state, &format!("{name} events"), events))
}

async fn company(State(state): State<AppState>, Path(handle): Path<String>) -> Result<Response> {
    let company = crate::companies::store::by_handle(&state.db, &handle)
        .await?
        .ok_or(Error::NotFound)?;
    let uri = Urls::new(&state.config).company(&company.handle);
    let events =
        lists::upcoming_by(&state, &uri, false, sources::FEED_LIMIT, sources::since()).await?;
    Ok(ics_response(
        &state,
        &format!("{} events", company.name),
        events,
    ))
}

async fn member(State(state): State<AppState>, Path(handle): Path<String>) -> Result<Response> {
    let account = crate::accounts::store::by_handle(&state.db, &handle)
        .await?
        .ok_or(Error::NotFound)?;
    let uri = Urls::new(&state.config).member(&account.handle);
    let events = lists::upcoming_for(
        &state,
        &uri,
        false,
        false,
        sources::FEED_LIMIT,
        sources::since(),
    )
    .await?;
    Ok(ics_response(
        &state,
        &format!("{} events", account.name()),
        events,
    ))
}

/// A project's task deadlines.
async fn project(State(state): State<AppState>, Path(handle): Path<String>) -> Result<Response> {
    let project = crate::projects::store::by_handle(&state.db, &handle)
        .await?
        .ok_or(Error::NotFound)?;
    let uri = Urls::new(&state.config).project(&project.handle);
    let items = sources::project_deadlines(&state, &uri).await?;
    Ok(calendar_response(
        &format!("{} deadlines", project.name),
        &items,
        false,
    ))
}

/// The private feed: the address is the secret (calendar programs cannot sign in), so only
/// its hash is stored and a new one can replace it at any time.
async fn private(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response> {
    let token = file.strip_suffix(".ics").ok_or(Error::NotFound)?;
    if token.is_empty() || token.len() > 64 {
        return Err(Error::NotFound);
    }
    let account_id = store::account_by_calendar_token(&state.db, &token_hash(token))
        .await?
        .ok_or(Error::NotFound)?;
    let account = crate::accounts::store::by_id(&state.db, account_id)
        .await?
        .ok_or(Error::NotFound)?;
    let items = sources::member_private(&state, &account).await?;
    Ok(calendar_response(
        &format!("My events at {}", Urls::new(&state.config).domain()),
        &items,
        true,
    ))
}

/// Makes a new private feed address for an account (the old one stops working); returns it.
pub async fn new_private_feed(state: &AppState, account_id: i64) -> Result<String> {
    let token = random_token();
    store::set_calendar_token(&state.db, account_id, &token_hash(&token)).await?;
    Ok(format!(
        "{}/calendar/{token}.ics",
        Urls::new(&state.config).base()
    ))
}

#[derive(Template)]
#[template(path = "calendar/settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    /// When the current address was made, if there is one.
    made: Option<String>,
    /// The address, right after it was made (it is not stored and cannot be shown again).
    fresh: Option<String>,
}

async fn settings(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    let made = store::calendar_token_made(&state.db, user.account.id)
        .await?
        .map(|ms| crate::federation::protocol::datetime(ms).replace('T', " "));
    render(&SettingsPage {
        made,
        fresh: None,
        ctx,
    })
}

async fn regenerate(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    let url = new_private_feed(&state, user.account.id).await?;
    render(&SettingsPage {
        made: Some("just now".into()),
        fresh: Some(url),
        ctx,
    })
}
