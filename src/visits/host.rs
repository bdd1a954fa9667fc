//! The host side of visits: a peer member's `Offer` of a `Reservation` is booked at once when
//! their space is trusted, the resource is open to visitors, the span keeps the resource's
//! rules, a seat is free and the member's visit days this month stay within the quota; else it
//! is refused with the reason. The quota, the seat and the booking are one transaction (the
//! trusted space's row, then the resource's, are locked first), and the answer (`Accept`) is
//! queued in it. The visitor's `Undo` cancels; staff cancelling a visitor's booking sends
//! `Undo` of the `Accept`.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

use super::{object, store};
use crate::bookings::model::{BookerKind, Booking, NewBooking};
use crate::bookings::{rules, service as bookings, store as booking_store};
use crate::error::Result;
use crate::federation::keys::{ActorKind, SPACE_ID};
use crate::federation::remote::{self, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::{Activity, Reservation};
use crate::federation::{authority, delivery};
use crate::state::AppState;
use crate::storage::{now_ms, Tx};

/// A visitor's request (`Offer` of `reservation`), sent by `actor`: booked and accepted, or
/// rejected with a reason. Nothing is stored for a refusal but the answer.
pub async fn on_offer(
    state: &AppState,
    offer: &Activity,
    reservation: &Reservation,
    actor: &RemoteActor,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let offer_id = offer.id.as_str();
    let reservation_id = reservation.id.as_str();
    // Only the visitor asks for themselves.
    if !authority::is_owner(
        actor,
        reservation.attributed_to.get().as_str(),
        reservation_id,
        "Offer",
    ) {
        return reject(
            state,
            &urls,
            offer_id,
            reservation_id,
            actor,
            "The reservation names a visitor other than the one who sent it.",
        )
        .await;
    }
    // Answered already (the same Offer again): nothing more to do.
    if booking_store::by_offer(&state.db, offer_id)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let tz = bookings::zone(state).await?;
    let label = visitor_label(state, actor).await;
    let outcome = match request(&urls, reservation, tz) {
        Err(reason) => Err(reason),
        Ok((resource_id, start, end)) => {
            let mut tx = state.db.begin_write().await?;
            match book(
                &mut tx,
                actor,
                offer_id,
                &label,
                resource_id,
                start,
                end,
                tz,
            )
            .await?
            {
                Ok(id) => {
                    let accept =
                        object::answer(&urls, offer_id, reservation_id, &actor.uri, Ok(id));
                    delivery::publish(
                        &mut tx,
                        &accept,
                        (ActorKind::Space, SPACE_ID),
                        false,
                        std::slice::from_ref(&actor.inbox),
                    )
                    .await?;
                    tx.commit().await?;
                    delivery::wake(state);
                    Ok(())
                }
                // Dropping the transaction leaves nothing behind.
                Err(reason) => Err(reason),
            }
        }
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(reason) => reject(state, &urls, offer_id, reservation_id, actor, &reason).await,
    }
}

/// Queues the `Reject` of an `Offer`, with the reason.
async fn reject(
    state: &AppState,
    urls: &Urls,
    offer_id: &str,
    reservation_id: &str,
    actor: &RemoteActor,
    reason: &str,
) -> Result<()> {
    tracing::info!(offer = offer_id, visitor = %actor.uri, reason, "visit refused");
    let answer = object::answer(urls, offer_id, reservation_id, &actor.uri, Err(reason));
    let mut tx = state.db.begin_write().await?;
    delivery::publish(
        &mut tx,
        &answer,
        (ActorKind::Space, SPACE_ID),
        false,
        std::slice::from_ref(&actor.inbox),
    )
    .await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// The local resource and the span a reservation asks for.
fn request(
    urls: &Urls,
    reservation: &Reservation,
    tz: Tz,
) -> std::result::Result<(i64, i64, i64), String> {
    let prefix = format!("{}/resources/", urls.base());
    let id = reservation
        .resource
        .get()
        .as_str()
        .strip_prefix(&prefix)
        .and_then(|id| id.parse::<i64>().ok())
        .ok_or_else(|| "The reservation names no resource of this space.".to_string())?;
    let start =
        rules::parse_time(&reservation.start_time, tz).map_err(|e| format!("startTime {e}"))?;
    let end = rules::parse_time(&reservation.end_time, tz).map_err(|e| format!("endTime {e}"))?;
    Ok((id, start, end))
}

/// Books a visitor in the caller's transaction, or says why not.
#[allow(clippy::too_many_arguments)]
async fn book(
    tx: &mut Tx,
    actor: &RemoteActor,
    offer_id: &str,
    label: &str,
    resource_id: i64,
    start: i64,
    end: i64,
    tz: Tz,
) -> Result<std::result::Result<i64, String>> {
    let domain = actor.host.to_ascii_lowercase();
    let Some(trusted) = store::lock_trusted(tx, &domain).await? else {
        return Ok(Err(format!(
            "This space does not take visitors from {domain}."
        )));
    };
    let Some(r) = booking_store::lock(tx, resource_id).await? else {
        return Ok(Err("There is no such resource here.".into()));
    };
    if !r.visitors {
        return Ok(Err(format!("Visitors may not book {}.", r.name)));
    }
    if let Err((field, message)) = rules::check_span(&r, start, end, now_ms(), tz) {
        return Ok(Err(format!("{field} {message}")));
    }
    // The visit days of this member in each month the booking touches, with it.
    let new_days = days(&[(start, end)], tz);
    for month in new_days
        .iter()
        .map(|d| (d.year(), d.month()))
        .collect::<BTreeSet<_>>()
    {
        let (from, to) = month_span(month, tz);
        let mut spans = booking_store::visitor_spans(tx, &actor.uri, from, to).await?;
        spans.push((start, end));
        let used = days(&spans, tz)
            .into_iter()
            .filter(|d| (d.year(), d.month()) == month)
            .count() as i64;
        if used > trusted.visit_days_per_month {
            return Ok(Err(format!(
                "This would make {used} visit days in {}-{:02}; members of {domain} may use {} a month.",
                month.0, month.1, trusted.visit_days_per_month
            )));
        }
    }
    let Some(seat) = bookings::free_seat(tx, &r, start, end, None).await? else {
        return Ok(Err(format!(
            "{} is already booked {}.",
            r.name,
            crate::events::times::span(start, end, tz.name())
        )));
    };
    let id = booking_store::insert_booking(
        tx,
        &NewBooking {
            resource_id: r.id,
            seat,
            starts_at: start,
            ends_at: end,
            booker_kind: BookerKind::Visitor,
            account_id: None,
            company_id: None,
            visitor_actor: actor.uri.clone(),
            visitor_space: domain,
            visitor_offer: offer_id.to_string(),
            visitor_label: label.to_string(),
            note: String::new(),
            series: String::new(),
        },
    )
    .await?;
    Ok(Ok(id))
}

/// The local days `spans` (end exclusive) touch.
fn days(spans: &[(i64, i64)], tz: Tz) -> BTreeSet<NaiveDate> {
    let mut out = BTreeSet::new();
    for &(s, e) in spans {
        let (mut d, last) = (rules::day_of(s, tz), rules::day_of(e - 1, tz));
        while d <= last {
            out.insert(d);
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
    }
    out
}

/// The instants a local month starts and ends.
fn month_span((year, month): (i32, u32), tz: Tz) -> (i64, i64) {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or_default();
    (rules::day_start(first, tz), rules::day_start(next, tz))
}

/// How staff see a visitor: "Ada, member of Harbour Works (harbour.example)"; the space's
/// name is its actor's (fetched once, signed); without it, the domain alone.
async fn visitor_label(state: &AppState, actor: &RemoteActor) -> String {
    let space_uri = format!("{}://{}/", state.config.scheme(), actor.host);
    let name = actor.display_name().to_string();
    match remote::resolve(state, &space_uri, false).await {
        Ok(space) if !space.name.trim().is_empty() => {
            format!("{name}, member of {} ({})", space.name.trim(), actor.host)
        }
        _ => format!("{name}, member of {}", actor.host),
    }
}

/// The visitor takes their `Offer` back (`Undo`): their booking is cancelled. Only the
/// visitor who made it may.
pub async fn on_undo_offer(state: &AppState, inner: &Activity, actor: &RemoteActor) -> Result<()> {
    if !authority::own_activity(actor, inner, "Undo") {
        return Ok(());
    }
    let Some(b) = booking_store::by_offer(&state.db, inner.id.as_str()).await? else {
        return Ok(());
    };
    if !authority::is_owner(actor, &b.visitor_actor, &b.visitor_offer, "Undo") {
        return Ok(());
    }
    booking_store::cancel(&state.db, b.id).await?;
    Ok(())
}

/// Staff cancel a visitor's booking: cancelled here and `Undo` of the `Accept` queued for the
/// visitor, in one transaction. `false` when it was cancelled already.
pub async fn cancel_by_host(state: &AppState, b: &Booking) -> Result<bool> {
    let urls = Urls::new(&state.config);
    // Looked up before the transaction: no network call while holding the writer.
    let visitor = remote::resolve(state, &b.visitor_actor, false).await.ok();
    let mut tx = state.db.begin_write().await?;
    if !booking_store::cancel_tx(&mut tx, b.id).await? {
        return Ok(false);
    }
    if let Some(visitor) = visitor {
        let undo = object::host_undo(&urls, b, "Cancelled by the space.");
        delivery::publish(
            &mut tx,
            &undo,
            (ActorKind::Space, SPACE_ID),
            false,
            std::slice::from_ref(&visitor.inbox),
        )
        .await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    Ok(true)
}
