//! The rules that need the database: administrators make, change and remove resources;
//! members book (for themselves, or for a company they manage), weekly series all or
//! nothing, and cancel.

use chrono_tz::Tz;

use super::model::{BookerKind, Booking, NewBooking, Resource};
use super::rules::{self, Draft, MAX_REPEAT_WEEKS};
use super::store;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::now_ms;
use crate::validate::FieldErrors;

/// The space's time zone.
pub async fn zone(state: &AppState) -> Result<Tz> {
    let name = crate::spaces::store::timezone(&state.db).await?;
    Ok(crate::events::times::zone(&name).unwrap_or(Tz::UTC))
}

pub async fn create_resource(state: &AppState, draft: &Draft) -> Result<Resource> {
    let new = draft.check()?;
    let id = store::insert_resource(&state.db, &new).await?;
    store::resource(&state.db, id).await?.ok_or(Error::NotFound)
}

/// Changes a resource. Its bookings stay as they are: rules apply to new bookings.
pub async fn update_resource(state: &AppState, id: i64, draft: &Draft) -> Result<Resource> {
    let new = draft.check()?;
    let mut tx = state.db.begin_write().await?;
    let current = store::lock(&mut tx, id).await?.ok_or(Error::NotFound)?;
    // Named desks that bookings hold cannot silently vanish: removing one is refused while
    // it has bookings to come.
    if !current.seats.is_empty() {
        let taken = store::overlapping(&mut tx, id, now_ms(), i64::MAX).await?;
        if let Some((seat, _, _)) = taken
            .iter()
            .find(|(s, _, _)| !s.is_empty() && !new.seats.contains(s))
        {
            return Err(Error::invalid(
                "seats",
                format!("must keep {seat}: it has bookings to come"),
            ));
        }
    }
    store::update_resource(&mut tx, id, &new).await?;
    tx.commit().await?;
    store::resource(&state.db, id).await?.ok_or(Error::NotFound)
}

pub async fn delete_resource(state: &AppState, id: i64) -> Result<()> {
    match store::delete_resource(&state.db, id).await? {
        None => Err(Error::NotFound),
        Some(photo) => {
            if let Some(key) = photo {
                state.media.delete(&key).await;
            }
            Ok(())
        }
    }
}

/// Replaces the photo with an uploaded image (checked by content, cropped square).
pub async fn replace_photo(state: &AppState, id: i64, data: Vec<u8>) -> Result<()> {
    store::resource(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    let image = crate::media::square_image(data, 640).await?;
    let key = crate::media::new_key("photos", &image);
    state.media.put(&key, image.bytes).await?;
    if let Some(old) = store::set_photo(&state.db, id, Some(&key)).await? {
        state.media.delete(&old).await;
    }
    Ok(())
}

/// What a member sends to book.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct BookingDraft {
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    /// The handle of a company the member manages, to book for it.
    #[serde(default)]
    pub company: Option<String>,
    /// A named desk; any free one when absent.
    #[serde(default)]
    pub seat: Option<String>,
    /// How many weeks in a row (1: once).
    #[serde(default)]
    pub repeat_weeks: Option<i64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Books a resource for `who` (once, or weekly): every occurrence is checked against the rules
/// and the seats in one transaction that holds the resource, so either all are booked or
/// none. Overlaps are 409; broken rules 422; not being allowed 403.
pub async fn book(
    state: &AppState,
    who: &Account,
    resource_id: i64,
    d: &BookingDraft,
) -> Result<Vec<Booking>> {
    let tz = zone(state).await?;
    let mut errors = FieldErrors::new();
    let start = errors.check("starts_at", rules::parse_time(&d.starts_at, tz));
    let end = errors.check("ends_at", rules::parse_time(&d.ends_at, tz));
    let weeks = d.repeat_weeks.unwrap_or(1);
    if !(1..=MAX_REPEAT_WEEKS).contains(&weeks) {
        errors.add(
            "repeat_weeks",
            format!("must be between 1 and {MAX_REPEAT_WEEKS}"),
        );
    }
    let note = errors.check(
        "note",
        crate::validate::line(d.note.as_deref().unwrap_or(""), 200, false),
    );
    errors.into_result()?;
    let (Some(start), Some(end), Some(note)) = (start, end, note) else {
        return Err(Error::Internal(anyhow::anyhow!(
            "validated booking missing"
        )));
    };
    let company = match d
        .company
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(handle) => {
            let company = crate::companies::store::by_handle(&state.db, handle)
                .await?
                .ok_or_else(|| Error::invalid("company", "is not a company of this space"))?;
            let role = crate::companies::store::role_of(&state.db, company.id, who.id).await?;
            if !role.is_some_and(|r| r.can_manage()) {
                return Err(Error::forbidden(
                    "Only owners and admins of a company can book for it.",
                ));
            }
            Some(company.id)
        }
    };
    let mut spans = Vec::with_capacity(weeks as usize);
    for k in 0..weeks {
        let span = if k == 0 {
            Some((start, end))
        } else {
            rules::weeks_later(start, end, k, tz)
        };
        match span {
            Some(s) => spans.push(s),
            None => {
                return Err(Error::invalid(
                    "repeat_weeks",
                    format!(
                        "week {} falls in a daylight-saving gap of {}: book it on its own",
                        k + 1,
                        tz.name()
                    ),
                ))
            }
        }
    }
    let series = if weeks > 1 {
        crate::federation::ids::random_token()
    } else {
        String::new()
    };

    let mut tx = state.db.begin_write().await?;
    let r = store::lock(&mut tx, resource_id)
        .await?
        .ok_or(Error::NotFound)?;
    let allowed = match company {
        Some(_) => r.companies,
        None => r.members,
    };
    if !allowed {
        return Err(Error::forbidden(if company.is_some() {
            "This resource cannot be booked for a company."
        } else {
            "Members cannot book this resource for themselves; book it for your company."
        }));
    }
    let wanted_seat = d.seat.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(seat) = wanted_seat {
        if !r.seats.iter().any(|s| s == seat) {
            return Err(Error::invalid("seat", "is not a desk of this resource"));
        }
    }
    let now = now_ms();
    let mut ids = Vec::with_capacity(spans.len());
    for (i, &(s, e)) in spans.iter().enumerate() {
        if let Err((field, message)) = rules::check_span(&r, s, e, now, tz) {
            let message = if i == 0 {
                message
            } else {
                format!(
                    "{message} (week {}, {})",
                    i + 1,
                    crate::events::times::span(s, e, tz.name())
                )
            };
            return Err(Error::invalid(field, message));
        }
        let Some(seat) = free_seat(&mut tx, &r, s, e, wanted_seat).await? else {
            return Err(Error::Conflict(format!(
                "{} is already booked {}{}.",
                r.name,
                crate::events::times::span(s, e, tz.name()),
                if spans.len() > 1 {
                    format!(" (week {}); nothing was booked", i + 1)
                } else {
                    String::new()
                }
            )));
        };
        ids.push(
            store::insert_booking(
                &mut tx,
                &NewBooking {
                    resource_id: r.id,
                    seat,
                    starts_at: s,
                    ends_at: e,
                    booker_kind: if company.is_some() {
                        BookerKind::Company
                    } else {
                        BookerKind::Member
                    },
                    account_id: Some(who.id),
                    company_id: company,
                    visitor_actor: String::new(),
                    visitor_space: String::new(),
                    visitor_offer: String::new(),
                    visitor_label: String::new(),
                    note: note.clone(),
                    series: series.clone(),
                },
            )
            .await?,
        );
    }
    tx.commit().await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(store::booking(&state.db, id).await?);
    }
    Ok(out)
}

/// A seat of `r` free over `[s, e)` (`wanted`, a named desk, or any), read in the transaction
/// that locked `r` ([`store::lock`]): in a pool, "" while fewer than `capacity` bookings
/// overlap at every instant; `None` when there is none.
pub async fn free_seat(
    tx: &mut crate::storage::Tx,
    r: &Resource,
    s: i64,
    e: i64,
    wanted: Option<&str>,
) -> Result<Option<String>> {
    let taken = store::overlapping(tx, r.id, s, e).await?;
    Ok(if r.seats.is_empty() {
        let spans: Vec<(i64, i64)> = taken.iter().map(|(_, a, b)| (*a, *b)).collect();
        (rules::peak(&spans, s, e) < r.capacity as usize).then(String::new)
    } else {
        let free = |seat: &String| !taken.iter().any(|(t, _, _)| t == seat);
        match wanted {
            Some(w) => r
                .seats
                .iter()
                .find(|s| *s == w)
                .filter(|s| free(s))
                .cloned(),
            None => r.seats.iter().find(|s| free(s)).cloned(),
        }
    })
}

/// Whether `who` may cancel `b`: who booked it, a manager of the company it is for, or an
/// administrator of the space.
pub async fn may_cancel(state: &AppState, who: &Account, b: &Booking) -> Result<bool> {
    if who.is_admin || b.account_id == Some(who.id) {
        return Ok(true);
    }
    if let Some(company) = b.company_id {
        let role = crate::companies::store::role_of(&state.db, company, who.id).await?;
        return Ok(role.is_some_and(|r| r.can_manage()));
    }
    Ok(false)
}

/// Cancels a booking (its seat is free again at once). Cancelling twice is refused with 409.
pub async fn cancel(state: &AppState, who: &Account, id: i64) -> Result<Booking> {
    let b = store::booking(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if !may_cancel(state, who, &b).await? {
        return Err(Error::NotFound);
    }
    // A visitor's booking: its space hears of the cancellation in the same transaction.
    if b.booker_kind == BookerKind::Visitor && !b.visitor_offer.is_empty() {
        if !crate::visits::host::cancel_by_host(state, &b).await? {
            return Err(Error::Conflict("This booking is already cancelled.".into()));
        }
        return store::booking(&state.db, id).await?.ok_or(Error::NotFound);
    }
    if !store::cancel(&state.db, id).await? {
        return Err(Error::Conflict("This booking is already cancelled.".into()));
    }
    store::booking(&state.db, id).await?.ok_or(Error::NotFound)
}

/// Cancels what is to come of the weekly series `id` belongs to: every confirmed occurrence
/// that has not started yet (one statement). Who may cancel the booking may cancel its series.
/// Returns the booking and how many occurrences were cancelled; 422 for a booking outside a
/// series, 409 when nothing is left to cancel.
pub async fn cancel_series(state: &AppState, who: &Account, id: i64) -> Result<(Booking, u64)> {
    let b = store::booking(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if !may_cancel(state, who, &b).await? {
        return Err(Error::NotFound);
    }
    if b.series.is_empty() {
        return Err(Error::invalid(
            "series",
            "does not apply: this booking is not part of a weekly series",
        ));
    }
    let n = store::cancel_series(&state.db, &b.series, now_ms()).await?;
    if n == 0 {
        return Err(Error::Conflict(
            "Nothing is left to cancel in this series.".into(),
        ));
    }
    Ok((b, n))
}
