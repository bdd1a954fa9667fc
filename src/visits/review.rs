//! Staff review of visits (as host): requests from a trusted space marked "review visits" wait
//! in `visit_requests` until an administrator accepts or rejects them. Accepting claims the
//! request (one conditional statement), checks the trusted space, the resource's rules, the
//! quota and a free seat again, books, and queues the `Accept`, all in one transaction: of two
//! staff accepting at once exactly one books and answers; the other is told it was answered.
//! Rejecting queues the `Reject` with the reason in the transaction that marks it.

use super::host::{self, Asked};
use super::model::{VisitRequest, VisitState};
use super::store;
use crate::bookings::service as bookings;
use crate::error::{Error, Result};
use crate::federation::delivery;
use crate::federation::remote;
use crate::federation::urls::Urls;
use crate::state::AppState;

/// The longest reason sent with a `Reject`.
pub const MAX_REASON: usize = 300;

/// The reason staff give when they give none.
pub const DEFAULT_REASON: &str = "Refused by the space's staff.";

fn answered_already(q: &VisitRequest) -> Error {
    Error::Conflict(format!(
        "This request was answered already ({}).",
        q.state.as_str()
    ))
}

/// Accepts a pending request: booked and answered `Accept`, or 409 with the reason it can no
/// longer be booked (the request stays pending: reject it with that reason, or wait for a
/// seat).
pub async fn accept(state: &AppState, id: i64) -> Result<VisitRequest> {
    let q = store::request(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if q.state != VisitState::Pending {
        return Err(answered_already(&q));
    }
    // Looked up before the transaction: no network call while holding the writer.
    let visitor = remote::resolve(state, &q.visitor_actor, false)
        .await
        .map_err(|e| Error::Conflict(format!("The visitor's server cannot be reached: {e}")))?;
    let tz = bookings::zone(state).await?;
    let urls = Urls::new(&state.config);
    let mut tx = state.db.begin_write().await?;
    if !store::answer_request(&mut tx, id, VisitState::Accepted, "", None).await? {
        drop(tx);
        let now = store::request(&state.db, id)
            .await?
            .ok_or(Error::NotFound)?;
        return Err(answered_already(&now));
    }
    let asked = Asked {
        actor: &q.visitor_actor,
        domain: &q.visitor_space,
        offer: &q.visitor_offer,
        label: &q.visitor_label,
        resource_id: q.resource_id,
        start: q.starts_at,
        end: q.ends_at,
    };
    let checked = match host::check(&mut tx, &asked, tz).await? {
        Ok(c) => c,
        // Dropping the transaction leaves the request pending.
        Err(reason) => return Err(Error::Conflict(format!("Not booked: {reason}"))),
    };
    let booking = host::insert(&mut tx, &asked, checked.seat).await?;
    store::set_request_booking(&mut tx, id, booking).await?;
    host::answer(&mut tx, &urls, &answered(&q, &visitor.inbox), Ok(booking)).await?;
    tx.commit().await?;
    delivery::wake(state);
    store::request(&state.db, id).await?.ok_or(Error::NotFound)
}

/// The visitor a request's answer goes to.
fn answered<'a>(q: &'a VisitRequest, inbox: &'a str) -> host::Answered<'a> {
    host::Answered {
        offer: &q.visitor_offer,
        reservation: &q.reservation,
        visitor: &q.visitor_actor,
        inbox,
    }
}

/// Rejects a pending request with `reason` (cut to [`MAX_REASON`] characters; a default when
/// empty), answered `Reject`.
pub async fn reject(state: &AppState, id: i64, reason: &str) -> Result<VisitRequest> {
    let q = store::request(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    if q.state != VisitState::Pending {
        return Err(answered_already(&q));
    }
    let reason: String = reason
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON)
        .collect();
    let reason = if reason.is_empty() {
        DEFAULT_REASON.to_string()
    } else {
        reason
    };
    let visitor = remote::resolve(state, &q.visitor_actor, false).await.ok();
    let urls = Urls::new(&state.config);
    let mut tx = state.db.begin_write().await?;
    if !store::answer_request(&mut tx, id, VisitState::Rejected, &reason, None).await? {
        drop(tx);
        let now = store::request(&state.db, id)
            .await?
            .ok_or(Error::NotFound)?;
        return Err(answered_already(&now));
    }
    if let Some(visitor) = visitor {
        host::answer(&mut tx, &urls, &answered(&q, &visitor.inbox), Err(&reason)).await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    store::request(&state.db, id).await?.ok_or(Error::NotFound)
}
