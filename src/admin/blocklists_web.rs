//! The administrator's page for blocklist subscriptions: `/admin/blocklists`, and the preview
//! of a refresh (`/admin/blocklists/{id}/preview`) from which it is applied.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::blocklists::{self, Preview};
use super::store::{self, Subscription};
use crate::accounts::session::Admin;
use crate::error::{Error, Result};
use crate::moderation::model::Actor;
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/blocklists", get(page).post(subscribe))
        .route("/admin/blocklists/{id}/preview", get(preview))
        .route("/admin/blocklists/{id}/refresh", post(refresh))
        .route("/admin/blocklists/{id}/remove", post(unsubscribe))
}

fn when(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.format("%-d %b %Y, %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

#[derive(Template)]
#[template(path = "spaces/blocklists.html")]
struct ListPage {
    ctx: PageCtx,
    subscriptions: Vec<Subscription>,
    url: String,
    errors: FieldErrors,
}

impl ListPage {
    fn refreshed(&self, sub: &Subscription) -> String {
        when(sub.fetched_at)
    }
}

async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    url: String,
    errors: FieldErrors,
) -> Result<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ListPage {
            ctx,
            subscriptions: store::list(&state.db).await?,
            url,
            errors,
        },
    )
}

async fn page(State(state): State<AppState>, ctx: PageCtx, Admin(_): Admin) -> Result<Response> {
    list_page(&state, ctx, String::new(), FieldErrors::new()).await
}

#[derive(Deserialize)]
struct UrlForm {
    #[serde(default)]
    url: String,
}

async fn subscribe(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Form(form): Form<UrlForm>,
) -> Result<Response> {
    match blocklists::subscribe(&state, &form.url).await {
        Ok((sub, true)) => Ok(redirect_with_notice(
            &format!("/admin/blocklists/{}/preview", sub.id),
            "Subscribed. This is what the first refresh will change; apply it when it looks right.",
        )),
        Ok((sub, false)) => Ok(redirect_with_notice(
            "/admin/blocklists",
            &format!("You were subscribed to {} already.", sub.url),
        )),
        Err(Error::Invalid(errors)) => list_page(&state, ctx, form.url, errors).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "spaces/blocklist_preview.html")]
struct PreviewPage {
    ctx: PageCtx,
    subscription: Subscription,
    preview: Option<Preview>,
    error: String,
}

impl PreviewPage {
    fn refreshed(&self) -> String {
        when(self.subscription.fetched_at)
    }
}

async fn preview(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> Result<Response> {
    let subscription = store::get(&state.db, id).await?.ok_or(Error::NotFound)?;
    let (preview, error) = match blocklists::preview(&state, id).await {
        Ok((_, p)) => (Some(p), String::new()),
        Err(Error::Invalid(errors)) => (None, errors.to_string()),
        Err(e) => return Err(e),
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &PreviewPage {
            ctx,
            subscription,
            preview,
            error,
        },
    )
}

async fn refresh(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
) -> Result<Response> {
    let notice = match blocklists::refresh(&state, &Actor::of(&me.account), id).await {
        Ok((sub, changes)) => format!("{} is refreshed: {}", sub.url, changes.summary()),
        Err(Error::Invalid(errors)) => format!("Nothing was changed ({errors})."),
        Err(e) => return Err(e),
    };
    Ok(redirect_with_notice("/admin/blocklists", &notice))
}

async fn unsubscribe(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
) -> Result<Response> {
    let sub = blocklists::unsubscribe(&state, &Actor::of(&me.account), id).await?;
    Ok(redirect_with_notice(
        "/admin/blocklists",
        &format!(
            "You are no longer subscribed to {}. The rules it added stay until you remove them.",
            sub.url
        ),
    ))
}
