//! Mail settings for notifications: the page `/settings/notifications` (the "Reports" topic
//! offered to moderators and administrators only), the API
//! `GET/PUT /api/v1/me/notification-settings`, and the unsubscribe link of the mails
//! (`/unsubscribe?a=…&t=…&s=…`: a page that asks, then a form that sets the topic to `never`,
//! without signing in; a mail scanner that follows the link changes nothing), and the
//! `List-Unsubscribe` one-click endpoint `POST /api/v1/unsubscribe?a=…&t=…&s=…` (RFC 8058: the
//! body `List-Unsubscribe=One-Click`, no sign-in and no CSRF token, the signature is the
//! authority; a GET of it leads to the page).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::mail_store;
use super::mailer::{self, ALL};
use super::topics::{Mode, Topic};
use crate::accounts::session::User;
use crate::api::ApiJson;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn web_router() -> Router<AppState> {
    Router::new()
        .route(
            "/settings/notifications",
            get(settings_page).post(save_settings),
        )
        .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route(
            "/me/notification-settings",
            get(get_settings).put(put_settings),
        )
        .route("/unsubscribe", get(one_click_page).post(one_click))
}

/// Parses `{"topic": "mode", …}`; unknown topics or modes are refused by name.
fn parse_changes(body: &serde_json::Map<String, Value>) -> Result<Vec<(Topic, Mode)>> {
    let mut errors = FieldErrors::new();
    let mut changes = Vec::new();
    for (key, value) in body {
        match (Topic::parse(key), value.as_str().and_then(Mode::parse)) {
            (Some(t), Some(m)) if t.choices().contains(&m) => changes.push((t, m)),
            (None, _) => errors.add(key, "is not a notification topic"),
            (Some(t), _) if t.choices().len() == 2 => errors.add(key, "must be immediate or never"),
            (Some(_), _) => errors.add(key, "must be immediate, digest or never"),
        }
    }
    errors.into_result()?;
    Ok(changes)
}

async fn get_settings(State(state): State<AppState>, User(user): User) -> Result<Json<Value>> {
    Ok(Json(
        mail_store::settings(&state.db, user.account.id)
            .await?
            .to_json(),
    ))
}

async fn put_settings(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(body): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<Value>> {
    let changes = parse_changes(&body)?;
    mail_store::set(&state.db, user.account.id, &changes).await?;
    get_settings(State(state), User(user)).await
}

#[derive(Template)]
#[template(path = "notifications/settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    rows: Vec<(Topic, Mode)>,
    mail_on: bool,
}

async fn settings_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    let settings = mail_store::settings(&state.db, user.account.id).await?;
    // Reports reach moderators and administrators only: nobody else is offered the topic.
    let staff = user.account.can_moderate();
    render(&SettingsPage {
        ctx,
        rows: Topic::ALL
            .iter()
            .filter(|t| staff || **t != Topic::Reports)
            .map(|t| (*t, settings.mode(*t)))
            .collect(),
        mail_on: crate::mail::enabled(&state),
    })
}

async fn save_settings(
    State(state): State<AppState>,
    User(user): User,
    Form(form): Form<std::collections::BTreeMap<String, String>>,
) -> Result<Response> {
    let body: serde_json::Map<String, Value> = form
        .into_iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let changes = parse_changes(&body)?;
    mail_store::set(&state.db, user.account.id, &changes).await?;
    Ok(redirect_with_notice(
        "/settings/notifications",
        "Your mail settings are saved.",
    ))
}

#[derive(Deserialize)]
struct Link {
    #[serde(default)]
    a: i64,
    #[serde(default)]
    t: String,
    #[serde(default)]
    s: String,
}

#[derive(Template)]
#[template(path = "notifications/unsubscribe.html")]
struct UnsubscribePage {
    ctx: PageCtx,
    account: i64,
    topic: String,
    signature: String,
    /// What the link stops, as the page says it; empty for a bad link.
    what: String,
    done: bool,
}

/// What a valid link stops, or `None` for a forged or broken one.
async fn check(state: &AppState, link: &Link) -> Result<Option<String>> {
    let what = if link.t == ALL {
        "every notification mail".to_string()
    } else if let Some(t) = Topic::parse(&link.t) {
        format!("mails about {}", t.label().to_lowercase())
    } else {
        return Ok(None);
    };
    let (_, secret) = mail_store::state(&state.db).await?;
    Ok(mailer::verify(&secret, link.a, &link.t, &link.s).then_some(what))
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(link): Query<Link>,
) -> Result<Response> {
    let what = check(&state, &link).await?;
    let page = UnsubscribePage {
        ctx,
        account: link.a,
        topic: link.t.clone(),
        signature: link.s.clone(),
        what: what.clone().unwrap_or_default(),
        done: false,
    };
    match what {
        Some(_) => render(&page),
        None => render_status(StatusCode::UNPROCESSABLE_ENTITY, &page),
    }
}

async fn unsubscribe(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(link): Form<Link>,
) -> Result<Response> {
    let Some(what) = check(&state, &link).await? else {
        return Err(Error::invalid("s", "This link is not valid."));
    };
    mail_store::set(&state.db, link.a, &never(&link.t)).await?;
    render(&UnsubscribePage {
        ctx,
        account: link.a,
        topic: link.t,
        signature: link.s,
        what,
        done: true,
    })
}

/// A GET of the header's URL (a client that opens it in a browser): the page that asks.
async fn one_click_page(Query(link): Query<Link>) -> Response {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("a", &link.a.to_string())
        .append_pair("t", &link.t)
        .append_pair("s", &link.s)
        .finish();
    axum::response::Redirect::to(&format!("/unsubscribe?{query}")).into_response()
}

/// RFC 8058: a POST of `List-Unsubscribe=One-Click` to the signed URL sets the topic (or every
/// topic) to `never`. A forged link or another body is refused with 422, nothing changed.
async fn one_click(
    State(state): State<AppState>,
    Query(link): Query<Link>,
    body: axum::body::Bytes,
) -> Result<StatusCode> {
    let one_click = url::form_urlencoded::parse(&body)
        .any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click");
    if !one_click {
        return Err(Error::invalid(
            "List-Unsubscribe",
            "The body must be List-Unsubscribe=One-Click.",
        ));
    }
    if check(&state, &link).await?.is_none() {
        return Err(Error::invalid("s", "This link is not valid."));
    }
    mail_store::set(&state.db, link.a, &never(&link.t)).await?;
    tracing::info!(account = link.a, topic = %link.t, "one-click unsubscribe");
    Ok(StatusCode::NO_CONTENT)
}

fn never(topic: &str) -> Vec<(Topic, Mode)> {
    match Topic::parse(topic) {
        Some(t) => vec![(t, Mode::Never)],
        None => Topic::ALL.iter().map(|t| (*t, Mode::Never)).collect(),
    }
}
