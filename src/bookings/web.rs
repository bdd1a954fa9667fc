//! Pages for members: the resources, a resource with its day view and booking form, its week
//! view, booking from either, "my bookings" with cancelling, and each resource's `.ics` feed.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::grid::{self, Grid};
use super::model::{Booking, Resource};
use super::rules::{day_start, local};
use super::service::{self, BookingDraft};
use super::store;
use crate::accounts::session::{MaybeUser, User};
use crate::calendar::ics::{Item, ItemStatus, When};
use crate::error::{Error, Result};
use crate::federation::negotiate;
use crate::state::AppState;
use crate::storage::now_ms;
use crate::web::page::{redirect_with_notice, render, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources", get(list))
        .route("/resources/{id}", get(show))
        .route("/resources/{id}/week", get(week))
        .route("/resources/{id}/book", post(book))
        .route("/resources/{id}/calendar.ics", get(feed))
        .route("/bookings", get(mine))
        .route("/bookings/{id}/cancel", post(cancel))
        .merge(super::web_admin::router())
}

#[derive(Template)]
#[template(path = "bookings/list.html")]
struct ListPage {
    ctx: PageCtx,
    free: Vec<grid::FreeToday>,
    timezone: String,
}

async fn list(State(state): State<AppState>, ctx: PageCtx) -> Result<Response> {
    let free = grid::free_today(&state).await?;
    // Every resource, not only the first twelve the home page shows.
    let mut all = free;
    let shown: Vec<i64> = all.iter().map(|f| f.resource.id).collect();
    for r in store::resources(&state.db).await? {
        if !shown.contains(&r.id) {
            all.push(grid::FreeToday {
                resource: r,
                text: String::new(),
                free: false,
            });
        }
    }
    render(&ListPage {
        free: all,
        timezone: crate::spaces::store::timezone(&state.db).await?,
        ctx,
    })
}

#[derive(Deserialize, Default)]
struct DayQuery {
    day: Option<String>,
}

fn parse_day(raw: Option<&str>, today: NaiveDate) -> NaiveDate {
    raw.and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .filter(|d| (*d - today).num_days().abs() <= 800)
        .unwrap_or(today)
}

#[derive(Template)]
#[template(path = "bookings/show.html")]
struct ShowPage {
    ctx: PageCtx,
    r: Resource,
    grid: Grid,
    /// The view: `day` or `week`.
    view: &'static str,
    title: String,
    prev: String,
    next: String,
    timezone: String,
    /// The wall times the form starts with.
    form_start: String,
    form_end: String,
    companies: Vec<(String, String)>,
    back: String,
    /// For administrators: who booked what in the view (visitors as "Ada, member of …").
    staff: Vec<(Booking, String)>,
}

impl ShowPage {
    fn is_week(&self) -> bool {
        self.view == "week"
    }
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    id: i64,
    first: NaiveDate,
    days: usize,
) -> Result<Response> {
    let r = store::resource(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    let tz = service::zone(state).await?;
    let dates: Vec<NaiveDate> = (0..days as i64)
        .map(|i| first + Duration::days(i))
        .collect();
    let from = day_start(first, tz);
    let to = day_start(first + Duration::days(days as i64), tz);
    let bookings = store::of_resource(&state.db, r.id, from, to).await?;
    let me = ctx.user.as_ref().map(|u| u.id);
    let grid = grid::build(&r, tz, &dates, &bookings, me, now_ms());
    let staff = if ctx.is_admin() {
        bookings
            .iter()
            .map(|b| {
                let when = crate::events::times::span(b.starts_at, b.ends_at, tz.name());
                (b.clone(), when)
            })
            .collect()
    } else {
        Vec::new()
    };
    let companies = match &ctx.user {
        Some(u) => crate::companies::store::memberships_of(&state.db, u.id)
            .await?
            .into_iter()
            .filter(|m| m.role.can_manage())
            .map(|m| (m.handle, m.name))
            .collect(),
        None => Vec::new(),
    };
    let (view, title, step, path) = if days == 1 {
        (
            "day",
            first.format("%A %-d %B %Y").to_string(),
            1,
            format!("/resources/{id}?day="),
        )
    } else {
        (
            "week",
            format!(
                "{} – {}",
                first.format("%a %-d %b"),
                (first + Duration::days(6)).format("%a %-d %b %Y")
            ),
            7,
            format!("/resources/{id}/week?day="),
        )
    };
    let form = grid
        .rows
        .iter()
        .flat_map(|row| row.cells.iter())
        .find(|c| c.is("free"))
        .map(|c| (c.starts.clone(), c.ends.clone()))
        .unwrap_or_default();
    render(&ShowPage {
        back: format!("{path}{}", first.format("%Y-%m-%d")),
        prev: format!(
            "{path}{}",
            (first - Duration::days(step)).format("%Y-%m-%d")
        ),
        next: format!(
            "{path}{}",
            (first + Duration::days(step)).format("%Y-%m-%d")
        ),
        view,
        title,
        timezone: tz.name().to_string(),
        form_start: form.0,
        form_end: form.1,
        companies,
        staff,
        grid,
        r,
        ctx,
    })
}

/// A resource with its day view; to servers (`Accept: application/activity+json`), a resource
/// open to visitors as an ActivityStreams `Resource` (the vocabulary of visits), any other 404.
async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<DayQuery>,
) -> Result<Response> {
    if negotiate::wants_activity_json(&headers) {
        let r = store::resource(&state.db, id)
            .await?
            .filter(|r| r.visitors)
            .ok_or(Error::NotFound)?;
        let tz = crate::spaces::store::timezone(&state.db).await?;
        let urls = crate::federation::urls::Urls::new(&state.config);
        return Ok(negotiate::activity_json(&crate::visits::object::resource(
            &urls, &r, &tz,
        )));
    }
    let tz = service::zone(&state).await?;
    let today = local(now_ms(), tz).date_naive();
    let day = parse_day(q.day.as_deref(), today);
    Ok(negotiate::vary_accept(page(&state, ctx, id, day, 1).await?))
}

/// The week (Monday to Sunday) holding `?day=`, today's by default.
async fn week(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<DayQuery>,
) -> Result<Response> {
    let tz = service::zone(&state).await?;
    let today = local(now_ms(), tz).date_naive();
    let day = parse_day(q.day.as_deref(), today);
    page(&state, ctx, id, grid::monday_of(day), 7).await
}

#[derive(Deserialize, Default)]
struct BookForm {
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    seat: String,
    #[serde(default)]
    repeat_weeks: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

/// Books from the grid or the form, then back to the view with what happened.
async fn book(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
    Form(f): Form<BookForm>,
) -> Result<Response> {
    let back = crate::web::page::safe_next(Some(&f.back));
    let back = if back == "/" {
        format!("/resources/{id}")
    } else {
        back
    };
    let repeat = match f.repeat_weeks.trim() {
        "" => None,
        n => match n.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Ok(redirect_with_notice(
                    &back,
                    "Not booked: repeat every week must be a number of weeks.",
                ))
            }
        },
    };
    let draft = BookingDraft {
        starts_at: f.starts_at,
        ends_at: f.ends_at,
        company: Some(f.company),
        seat: Some(f.seat),
        repeat_weeks: repeat,
        note: Some(f.note),
    };
    match service::book(&state, &user.account, id, &draft).await {
        Ok(made) => {
            let tz = crate::spaces::store::timezone(&state.db).await?;
            let first = &made[0];
            let mut notice = format!(
                "Booked: {}, {}",
                first.resource_name,
                crate::events::times::span(first.starts_at, first.ends_at, &tz)
            );
            if !first.seat.is_empty() {
                notice.push_str(&format!(", {}", first.seat));
            }
            if made.len() > 1 {
                notice.push_str(&format!(", and the {} weeks after", made.len() - 1));
            }
            notice.push('.');
            Ok(redirect_with_notice(&back, &notice))
        }
        Err(Error::NotFound) => Err(Error::NotFound),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_) | Error::Forbidden(_))) => {
            let message = match &e {
                Error::Invalid(fields) => format!("{fields}"),
                other => other.to_string(),
            };
            Ok(redirect_with_notice(
                &back,
                &format!("Not booked: {message}"),
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "bookings/mine.html")]
struct MinePage {
    ctx: PageCtx,
    upcoming: Vec<(Booking, String)>,
    cancelled: Vec<(Booking, String)>,
    /// Visits to other spaces that are pending or booked.
    visits: Vec<crate::visits::Visit>,
}

/// "My bookings": what is to come, and what was cancelled.
async fn mine(State(state): State<AppState>, ctx: PageCtx, User(user): User) -> Result<Response> {
    let tz = crate::spaces::store::timezone(&state.db).await?;
    let all = store::of_account(&state.db, user.account.id, now_ms(), 500).await?;
    let (upcoming, cancelled): (Vec<_>, Vec<_>) = all
        .into_iter()
        .map(|b| {
            let when = crate::events::times::span(b.starts_at, b.ends_at, &tz);
            (b, when)
        })
        .partition(|(b, _)| b.confirmed());
    let visits = crate::visits::store::of_account(&state.db, user.account.id, now_ms(), 200)
        .await?
        .into_iter()
        .filter(|v| v.open())
        .collect();
    render(&MinePage {
        upcoming,
        cancelled,
        visits,
        ctx,
    })
}

#[derive(Deserialize, Default)]
struct CancelForm {
    #[serde(default)]
    series: String,
}

async fn cancel(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
    Form(f): Form<CancelForm>,
) -> Result<Response> {
    if f.series == "all" {
        return match service::cancel_series(&state, &user.account, id).await {
            Ok((b, n)) => Ok(redirect_with_notice(
                "/bookings",
                &format!(
                    "Cancelled {n} coming booking{} of {} in the weekly series.",
                    if n == 1 { "" } else { "s" },
                    b.resource_name
                ),
            )),
            Err(Error::Conflict(m)) => Ok(redirect_with_notice("/bookings", &m)),
            Err(e) => Err(e),
        };
    }
    match service::cancel(&state, &user.account, id).await {
        Ok(b) => Ok(redirect_with_notice(
            "/bookings",
            &format!("Cancelled your booking of {}.", b.resource_name),
        )),
        Err(Error::Conflict(m)) => Ok(redirect_with_notice("/bookings", &m)),
        Err(e) => Err(e),
    }
}

/// A booking as a calendar item; `with_who` adds who booked (private feeds only).
pub fn booking_item(
    state: &AppState,
    b: &Booking,
    r_location: &str,
    tz: &str,
    with_who: bool,
) -> Item {
    let base = state.config.base_url();
    let mut summary = format!("Booked: {}", b.resource_name);
    if !b.seat.is_empty() {
        summary.push_str(&format!(" ({})", b.seat));
    }
    let mut description = String::new();
    if with_who {
        description = format!("For {}.", b.who());
        if !b.note.is_empty() {
            description.push_str(&format!("\n{}", b.note));
        }
    }
    Item {
        uid: format!("{base}/bookings/{}", b.id),
        summary,
        description,
        when: When::Span {
            start: b.starts_at,
            end: b.ends_at,
        },
        timezone: Some(tz.to_string()),
        location: r_location.to_string(),
        url: format!("{base}/resources/{}", b.resource_id),
        status: if b.confirmed() {
            ItemStatus::Confirmed
        } else {
            ItemStatus::Cancelled
        },
        last_modified: b.cancelled_at.unwrap_or(b.created_at),
    }
}

/// A member's bookings for their private calendar feed (the last 90 days and what is to come).
pub async fn calendar_items(
    state: &AppState,
    account_id: i64,
    since: i64,
    limit: i64,
) -> Result<Vec<Item>> {
    let tz = crate::spaces::store::timezone(&state.db).await?;
    let mut locations = std::collections::HashMap::new();
    let mut out = Vec::new();
    for b in store::of_account(&state.db, account_id, since, limit).await? {
        let loc = match locations.get(&b.resource_id) {
            Some(l) => l,
            None => {
                let l = store::resource(&state.db, b.resource_id)
                    .await?
                    .map(|r| r.location)
                    .unwrap_or_default();
                locations.entry(b.resource_id).or_insert(l)
            }
        }
        .clone();
        out.push(booking_item(state, &b, &loc, &tz, true));
    }
    Ok(out)
}

/// A resource's bookings as a public calendar: when it is taken, not by whom.
async fn feed(
    State(state): State<AppState>,
    MaybeUser(_): MaybeUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let r = store::resource(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    let tz = crate::spaces::store::timezone(&state.db).await?;
    let items: Vec<Item> = store::feed_of_resource(
        &state.db,
        r.id,
        crate::calendar::sources::since(),
        crate::calendar::sources::FEED_LIMIT,
    )
    .await?
    .iter()
    .map(|b| booking_item(&state, b, &r.location, &tz, false))
    .collect();
    Ok(crate::calendar::web::calendar_response(
        &format!("{} bookings", r.name),
        &items,
        false,
    ))
}
