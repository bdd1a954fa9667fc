//! JSON API: resources (`/resources`, administrators write), a resource's bookings in a
//! window, booking, "my bookings" (`/bookings`) and cancelling.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use super::model::{Booking, Resource};
use super::rules::{Draft, DAY_MS};
use super::service::{self, BookingDraft};
use super::store;
use crate::accounts::session::{Admin, MaybeUser, User};
use crate::api::ApiJson;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::now_ms;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources", get(list).post(create))
        .route("/resources/{id}", get(one).patch(edit).delete(remove))
        .route("/resources/{id}/photo", post(photo))
        .route("/resources/{id}/bookings", get(bookings_of).post(book))
        .route("/bookings", get(mine))
        .route("/bookings/{id}", delete(cancel))
}

/// A resource as the API shows it.
pub fn resource_json(r: &Resource, base: &str) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    v["opening_hours"] = r.hours_json();
    v["photo"] = json!(r.photo_url().map(|p| format!("{base}{p}")));
    v["link"] = json!(r.link());
    v
}

/// A booking as the API shows it: times as Unix ms and as wall times with the zone's offset.
pub fn booking_json(b: &Booking, tz: &str) -> Value {
    let mut v = serde_json::to_value(b).unwrap_or(Value::Null);
    v["start_time"] = json!(crate::events::times::wire(b.starts_at, tz));
    v["end_time"] = json!(crate::events::times::wire(b.ends_at, tz));
    v["timezone"] = json!(tz);
    v
}

/// A present-but-null field is `Some(None)`; an absent one `None`.
fn nullable<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// What scripts send to make or change a resource; absent fields keep their value (or take
/// the default on creation).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ResourceBody {
    kind: Option<String>,
    name: Option<String>,
    description: Option<String>,
    capacity: Option<i64>,
    seats: Option<Vec<String>>,
    amenities: Option<Vec<String>>,
    location: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    opening_hours: Option<Option<std::collections::BTreeMap<String, Option<String>>>>,
    slot_minutes: Option<i64>,
    min_minutes: Option<i64>,
    max_minutes: Option<i64>,
    max_days_ahead: Option<i64>,
    members: Option<bool>,
    companies: Option<bool>,
    visitors: Option<bool>,
    currency: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    price_member_hour: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    price_member_day: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    price_visitor_hour: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    price_visitor_day: Option<Option<String>>,
}

impl ResourceBody {
    fn over(self, mut d: Draft) -> Draft {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { d.$f = v; })* };
        }
        set!(
            kind,
            name,
            description,
            location,
            seats,
            amenities,
            members,
            companies,
            visitors,
            currency
        );
        if self.capacity.is_some() {
            d.capacity = self.capacity;
        }
        for (src, dst) in [
            (self.slot_minutes, &mut d.slot_minutes),
            (self.min_minutes, &mut d.min_minutes),
            (self.max_minutes, &mut d.max_minutes),
            (self.max_days_ahead, &mut d.max_days_ahead),
        ] {
            if src.is_some() {
                *dst = src;
            }
        }
        if let Some(hours) = self.opening_hours {
            d.hours = hours.map(|m| {
                m.into_iter()
                    .map(|(k, v)| (k, v.unwrap_or_default()))
                    .collect()
            });
        }
        for (src, dst) in [
            (self.price_member_hour, &mut d.price_member_hour),
            (self.price_member_day, &mut d.price_member_day),
            (self.price_visitor_hour, &mut d.price_visitor_hour),
            (self.price_visitor_day, &mut d.price_visitor_day),
        ] {
            if let Some(v) = src {
                *dst = v.unwrap_or_default();
            }
        }
        d
    }
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>> {
    let base = state.config.base_url();
    let items: Vec<Value> = store::resources(&state.db)
        .await?
        .iter()
        .map(|r| resource_json(r, &base))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiJson(body): ApiJson<ResourceBody>,
) -> Result<Response> {
    let draft = body.over(Draft {
        kind: "room".into(),
        members: true,
        companies: true,
        ..Draft::default()
    });
    let r = service::create_resource(&state, &draft).await?;
    Ok((
        StatusCode::CREATED,
        Json(resource_json(&r, &state.config.base_url())),
    )
        .into_response())
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>> {
    let r = store::resource(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Json(resource_json(&r, &state.config.base_url())))
}

async fn edit(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ResourceBody>,
) -> Result<Json<Value>> {
    let current = store::resource(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    let r = service::update_resource(&state, id, &body.over(Draft::of(&current))).await?;
    Ok(Json(resource_json(&r, &state.config.base_url())))
}

async fn remove(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    service::delete_resource(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn photo(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Json<Value>> {
    let data = crate::media::read_upload(multipart, "file").await?;
    service::replace_photo(&state, id, data).await?;
    one(State(state), Path(id)).await
}

#[derive(Deserialize, Default)]
struct Window {
    from: Option<String>,
    to: Option<String>,
}

/// The bookings in `?from=&to=` (wall times in the space's zone, or with an offset; default:
/// from now, the next 7 days). Who booked is shown to signed-in members only.
async fn bookings_of(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
    Query(w): Query<Window>,
) -> Result<Json<Value>> {
    let r = store::resource(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    let tz = service::zone(&state).await?;
    let mut errors = crate::validate::FieldErrors::new();
    let parse = |raw: &Option<String>| raw.as_deref().map(|s| super::rules::parse_time(s, tz));
    let from = match parse(&w.from) {
        Some(v) => errors.check("from", v),
        None => Some(now_ms()),
    };
    let to = match (parse(&w.to), from) {
        (Some(v), _) => errors.check("to", v),
        (None, Some(f)) => Some(f + 7 * DAY_MS),
        (None, None) => None,
    };
    errors.into_result()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(Error::invalid("from", "is not a date and time"));
    };
    if to <= from || to - from > 92 * DAY_MS {
        return Err(Error::invalid(
            "to",
            "must be after from, and at most 92 days later",
        ));
    }
    let items: Vec<Value> = store::of_resource(&state.db, r.id, from, to)
        .await?
        .iter()
        .map(|b| {
            let mut v = booking_json(b, tz.name());
            if user.is_none() {
                for k in [
                    "booked_by",
                    "company",
                    "company_name",
                    "visitor_actor",
                    "visitor_label",
                    "note",
                ] {
                    v[k] = Value::Null;
                }
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "items": items,
        "from": crate::events::times::wire(from, tz.name()),
        "to": crate::events::times::wire(to, tz.name()),
        "capacity": r.capacity,
    })))
}

async fn book(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
    ApiJson(draft): ApiJson<BookingDraft>,
) -> Result<Response> {
    let made = service::book(&state, &user.account, id, &draft).await?;
    let tz = service::zone(&state).await?;
    let mut first = booking_json(&made[0], tz.name());
    if made.len() > 1 {
        first["occurrences"] = json!(made
            .iter()
            .map(|b| booking_json(b, tz.name()))
            .collect::<Vec<_>>());
    }
    Ok((StatusCode::CREATED, Json(first)).into_response())
}

/// The caller's bookings that end after now (cancelled ones too, marked).
async fn mine(State(state): State<AppState>, User(user): User) -> Result<Json<Value>> {
    let tz = service::zone(&state).await?;
    let items: Vec<Value> = store::of_account(&state.db, user.account.id, now_ms(), 500)
        .await?
        .iter()
        .map(|b| booking_json(b, tz.name()))
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize, Default)]
struct CancelQuery {
    series: Option<String>,
}

/// Cancels one booking (204), or with `?series=all` what is to come of its weekly series
/// (`200 {"cancelled": n}`).
async fn cancel(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
    Query(q): Query<CancelQuery>,
) -> Result<Response> {
    match q.series.as_deref().map(str::trim) {
        None => {
            service::cancel(&state, &user.account, id).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Some("all") => {
            let (_, n) = service::cancel_series(&state, &user.account, id).await?;
            Ok(Json(json!({ "cancelled": n })).into_response())
        }
        Some(_) => Err(Error::invalid("series", "must be all")),
    }
}
