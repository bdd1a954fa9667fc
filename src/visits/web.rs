//! Pages of visits: a member's visits to other spaces (look a space up, ask for one of its
//! resources, cancel), the administrators' trusted spaces, the list of resources open to
//! visitors that peers fetch (`/visitors/resources`, ActivityStreams), and visits in the
//! member's private calendar feed.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::guest::{self, PeerResources, VisitDraft};
use super::model::{space_domain, TrustedSpace, Visit};
use super::{api, object, store};
use crate::accounts::session::{Admin, User};
use crate::calendar::ics::{Item, ItemStatus, When};
use crate::error::{Error, Result};
use crate::federation::urls::Urls;
use crate::state::AppState;
use crate::storage::now_ms;
use crate::web::page::{redirect_with_notice, render, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/visitors/resources", get(resource_list))
        .route("/visits", get(visits_page).post(ask))
        .route("/visits/{id}/cancel", post(cancel))
        .route("/admin/trusted-spaces", get(trusted_page).post(put_trusted))
        .route(
            "/admin/trusted-spaces/{domain}/remove",
            post(remove_trusted),
        )
        .merge(super::review_web::router())
}

/// What a message from an error says to people.
fn says(e: &Error) -> String {
    match e {
        Error::Invalid(fields) => format!("{fields}"),
        other => other.to_string(),
    }
}

/// The resources open to visitors, for peer spaces (public, like the resource pages).
async fn resource_list(State(state): State<AppState>) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let open: Vec<_> = crate::bookings::store::resources(&state.db)
        .await?
        .into_iter()
        .filter(|r| r.visitors)
        .collect();
    let tz = crate::spaces::store::timezone(&state.db).await?;
    Ok(crate::federation::negotiate::activity_json(
        &object::resource_list(&urls, &open, &tz),
    ))
}

#[derive(Template)]
#[template(path = "visits/visits.html")]
struct VisitsPage {
    ctx: PageCtx,
    space: String,
    peer: Option<PeerResources>,
    lookup_error: String,
    upcoming: Vec<Visit>,
    past: Vec<Visit>,
}

#[derive(Deserialize, Default)]
struct SpaceQuery {
    #[serde(default)]
    space: String,
}

/// "Visits": the member's visits, and a peer space's resources when one is looked up.
async fn visits_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Query(q): Query<SpaceQuery>,
) -> Result<Response> {
    let space = q.space.trim().to_string();
    let (peer, lookup_error) = if space.is_empty() {
        (None, String::new())
    } else {
        match guest::peer_resources(&state, &space).await {
            Ok(p) => (Some(p), String::new()),
            Err(e @ (Error::Invalid(_) | Error::Forbidden(_))) => (None, says(&e)),
            Err(e) => return Err(e),
        }
    };
    let (upcoming, past) = store::of_account(&state.db, user.account.id, now_ms(), 500)
        .await?
        .into_iter()
        .partition(|v| v.open());
    render(&VisitsPage {
        ctx,
        space,
        peer,
        lookup_error,
        upcoming,
        past,
    })
}

#[derive(Deserialize, Default)]
struct AskForm {
    #[serde(default)]
    space: String,
    #[serde(default)]
    resource: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
}

async fn ask(
    State(state): State<AppState>,
    User(user): User,
    Form(f): Form<AskForm>,
) -> Result<Response> {
    let back = match space_domain(&f.space) {
        Ok(d) => format!("/visits?space={}", crate::federation::urls::urlencode(&d)),
        Err(_) => "/visits".to_string(),
    };
    let draft = VisitDraft {
        space: f.space,
        resource: f.resource,
        starts_at: f.starts_at,
        ends_at: f.ends_at,
    };
    match guest::request(&state, &user.account, &draft).await {
        Ok(v) => Ok(redirect_with_notice(
            "/visits",
            &format!(
                "Asked {} for {}, {}. The space answers shortly: see below.",
                v.space,
                v.resource_name,
                v.when()
            ),
        )),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_) | Error::Forbidden(_))) => Ok(
            redirect_with_notice(&back, &format!("Not asked: {}", says(&e))),
        ),
        Err(e) => Err(e),
    }
}

async fn cancel(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Response> {
    match guest::cancel(&state, &user.account, id).await {
        Ok(v) => Ok(redirect_with_notice(
            "/visits",
            &format!(
                "Cancelled your visit to {} ({}); the space is told.",
                v.space, v.resource_name
            ),
        )),
        Err(Error::Conflict(m)) => Ok(redirect_with_notice("/visits", &m)),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "visits/trusted.html")]
struct TrustedPage {
    ctx: PageCtx,
    spaces: Vec<TrustedSpace>,
}

async fn trusted_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
) -> Result<Response> {
    let spaces = store::trusted_spaces(&state.db).await?;
    render(&TrustedPage { ctx, spaces })
}

#[derive(Deserialize, Default)]
struct TrustedForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    visit_days_per_month: String,
    #[serde(default)]
    review_visits: Option<String>,
}

async fn put_trusted(
    State(state): State<AppState>,
    Admin(_): Admin,
    Form(f): Form<TrustedForm>,
) -> Result<Response> {
    const BACK: &str = "/admin/trusted-spaces";
    let domain = match space_domain(&f.domain) {
        Ok(d) if d != state.config.domain.to_ascii_lowercase() => d,
        Ok(_) => return Ok(redirect_with_notice(BACK, "Not saved: that is this space.")),
        Err(e) => {
            return Ok(redirect_with_notice(
                BACK,
                &format!("Not saved: the domain {e}."),
            ))
        }
    };
    let days = match api::check_days(f.visit_days_per_month.trim().parse::<i64>().ok()) {
        Ok(d) => d,
        Err(_) => {
            return Ok(redirect_with_notice(
                BACK,
                &format!(
                    "Not saved: visit days per month must be a whole number from 0 to {}.",
                    api::MAX_DAYS
                ),
            ))
        }
    };
    let review = f.review_visits.is_some();
    let created = store::put_trusted(&state.db, &domain, days, review).await?;
    Ok(redirect_with_notice(
        BACK,
        &format!(
            "{} {domain}: its members may use {days} visit day{} a month{}.",
            if created { "Trusted" } else { "Changed" },
            if days == 1 { "" } else { "s" },
            if review {
                ", once staff accept each request"
            } else {
                ""
            }
        ),
    ))
}

async fn remove_trusted(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(domain): Path<String>,
) -> Result<Response> {
    const BACK: &str = "/admin/trusted-spaces";
    let domain = space_domain(&domain).map_err(|_| Error::NotFound)?;
    if !store::delete_trusted(&state.db, &domain).await? {
        return Err(Error::NotFound);
    }
    Ok(redirect_with_notice(
        BACK,
        &format!("{domain} is no longer trusted: its members cannot book new visits. Bookings made stay."),
    ))
}

/// A member's visits for their private calendar feed.
pub async fn calendar_items(
    state: &AppState,
    account_id: i64,
    since: i64,
    limit: i64,
) -> Result<Vec<Item>> {
    Ok(store::of_account(&state.db, account_id, since, limit)
        .await?
        .iter()
        .filter(|v| v.state != super::VisitState::Rejected)
        .map(|v| Item {
            uid: v.uri.clone(),
            summary: format!("Visit: {} at {}", v.resource_name, v.space_name),
            description: format!("{} ({})", v.state.label(), v.space),
            when: When::Span {
                start: v.starts_at,
                end: v.ends_at,
            },
            timezone: Some(v.timezone.clone()),
            location: v.space_name.clone(),
            url: v.resource_uri.clone(),
            status: match v.state {
                super::VisitState::Accepted => ItemStatus::Confirmed,
                super::VisitState::Pending => ItemStatus::Tentative,
                _ => ItemStatus::Cancelled,
            },
            last_modified: v.updated_at,
        })
        .collect())
}
