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

use super::model::VisitState;
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
    // Answered or kept already (the same Offer again): nothing more to do.
    if booking_store::by_offer(&state.db, offer_id)
        .await?
        .is_some()
        || store::request_by_offer(&state.db, offer_id)
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
            let asked = Asked {
                actor: &actor.uri,
                domain: &actor.host.to_ascii_lowercase(),
                offer: offer_id,
                label: &label,
                resource_id,
                start,
                end,
            };
            match check(&mut tx, &asked, tz).await? {
                // Staff review this space's visits: kept pending, answered later.
                Ok(Checked { review: true, .. }) => {
                    store::insert_request(
                        &mut tx,
                        &store::NewRequest {
                            resource_id,
                            starts_at: start,
                            ends_at: end,
                            visitor_actor: asked.actor,
                            visitor_space: asked.domain,
                            visitor_label: &label,
                            visitor_offer: offer_id,
                            reservation: reservation_id,
                        },
                    )
                    .await?;
                    tell_staff(state, &mut tx, &asked).await?;
                    tx.commit().await?;
                    Ok(())
                }
                Ok(checked) => {
                    let id = insert(&mut tx, &asked, checked.seat).await?;
                    let answered = Answered {
                        offer: offer_id,
                        reservation: reservation_id,
                        visitor: &actor.uri,
                        inbox: &actor.inbox,
                    };
                    answer(&mut tx, &urls, &answered, Ok(id)).await?;
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

/// The space's administrators hear of a request to review.
async fn tell_staff(state: &AppState, tx: &mut Tx, asked: &Asked<'_>) -> Result<()> {
    let summary = format!("{} asks for a visit: review it", asked.label);
    for account_id in crate::accounts::store::admin_ids(&state.db).await? {
        crate::notifications::store::notify(
            tx,
            &crate::notifications::NewNotification {
                account_id,
                kind: crate::notifications::Kind::VisitRequest,
                actor: asked.actor,
                actor_name: asked.label,
                object: asked.offer,
                link: "/admin/visits",
                summary: &summary,
            },
        )
        .await?;
    }
    Ok(())
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
    let mut tx = state.db.begin_write().await?;
    let answered = Answered {
        offer: offer_id,
        reservation: reservation_id,
        visitor: &actor.uri,
        inbox: &actor.inbox,
    };
    answer(&mut tx, urls, &answered, Err(reason)).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(())
}

/// Whose request an answer goes to.
pub(super) struct Answered<'a> {
    /// The visitor's `Offer` and the reservation it carried.
    pub offer: &'a str,
    pub reservation: &'a str,
    pub visitor: &'a str,
    pub inbox: &'a str,
}

/// Queues the space's `Accept` (with the booking made) or `Reject` (with the reason) of a
/// visitor's request, in the caller's transaction.
pub(super) async fn answer(
    tx: &mut Tx,
    urls: &Urls,
    to: &Answered<'_>,
    booked: std::result::Result<i64, &str>,
) -> Result<()> {
    let answer = object::answer(urls, to.offer, to.reservation, to.visitor, booked);
    delivery::publish(
        tx,
        &answer,
        (ActorKind::Space, SPACE_ID),
        false,
        std::slice::from_ref(&to.inbox.to_string()),
    )
    .await?;
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

/// What a visitor asks for.
pub(super) struct Asked<'a> {
    pub actor: &'a str,
    /// The visitor's space.
    pub domain: &'a str,
    pub offer: &'a str,
    pub label: &'a str,
    pub resource_id: i64,
    pub start: i64,
    pub end: i64,
}

/// What the checks found: the seat to take, and whether staff review the space's visits.
pub(super) struct Checked {
    pub seat: String,
    pub review: bool,
}

/// Checks a visitor's request in the caller's write transaction, the trusted space's row and
/// then the resource's locked: the space is trusted, the resource open to visitors, the span
/// keeps its rules, the visitor's days this month stay within the quota and a seat is free.
/// `Err` holds the reason to send back.
pub(super) async fn check(
    tx: &mut Tx,
    asked: &Asked<'_>,
    tz: Tz,
) -> Result<std::result::Result<Checked, String>> {
    let (start, end, domain) = (asked.start, asked.end, asked.domain);
    let Some(trusted) = store::lock_trusted(tx, domain).await? else {
        return Ok(Err(format!(
            "This space does not take visitors from {domain}."
        )));
    };
    let Some(r) = booking_store::lock(tx, asked.resource_id).await? else {
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
        let mut spans = booking_store::visitor_spans(tx, asked.actor, from, to).await?;
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
    Ok(Ok(Checked {
        seat,
        review: trusted.review_visits,
    }))
}

/// Books a checked request (in the transaction that checked it); the booking's id.
pub(super) async fn insert(tx: &mut Tx, asked: &Asked<'_>, seat: String) -> Result<i64> {
    booking_store::insert_booking(
        tx,
        &NewBooking {
            resource_id: asked.resource_id,
            seat,
            starts_at: asked.start,
            ends_at: asked.end,
            booker_kind: BookerKind::Visitor,
            account_id: None,
            company_id: None,
            visitor_actor: asked.actor.to_string(),
            visitor_space: asked.domain.to_string(),
            visitor_offer: asked.offer.to_string(),
            visitor_label: asked.label.to_string(),
            note: String::new(),
            series: String::new(),
        },
    )
    .await
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
        // A request still waiting for staff: withdrawn.
        if let Some(q) = store::request_by_offer(&state.db, inner.id.as_str()).await? {
            if authority::is_owner(actor, &q.visitor_actor, &q.visitor_offer, "Undo") {
                let mut tx = state.db.begin_write().await?;
                store::answer_request(
                    &mut tx,
                    q.id,
                    VisitState::Cancelled,
                    "Withdrawn by the visitor.",
                    None,
                )
                .await?;
                tx.commit().await?;
            }
        }
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
