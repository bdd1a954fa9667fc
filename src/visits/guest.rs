//! The guest side of visits: a member looks up a peer space's resources open to visitors
//! (fetched, signed by this space, read by the typed wire layer), asks for one (a visit row
//! and the `Offer`, signed by the member, in one transaction), sees the host's answer
//! (`Accept`, `Reject`, or later `Undo` of the `Accept`: only from the host space's actor),
//! and cancels (`Undo` of the `Offer`).

use serde::Deserialize;

use super::model::{space_domain, NewVisit, Visit, VisitState};
use super::{object, store};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::ids::random_token;
use crate::federation::remote::{self, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::{self, Activity, ObjectOrLink};
use crate::federation::{authority, delivery};
use crate::notifications::store::{notify, Kind, NewNotification};
use crate::state::AppState;
use crate::storage::{now_ms, Tx};
use crate::validate::FieldErrors;

/// A peer space's resources open to visitors, as its actor and the list it publishes.
pub struct PeerResources {
    pub domain: String,
    pub space: RemoteActor,
    pub items: Vec<wire::Resource>,
}

/// Fetches the resources `domain` opens to visitors. A blocked domain is 403; one that does
/// not answer, or answers something that does not read, a 422 naming the field `space`.
pub async fn peer_resources(state: &AppState, raw_domain: &str) -> Result<PeerResources> {
    let domain = space_domain(raw_domain).map_err(|e| Error::invalid("space", e))?;
    if domain == state.config.domain.to_ascii_lowercase() {
        return Err(Error::invalid(
            "space",
            "is this space: book its resources directly",
        ));
    }
    let scheme = state.config.scheme();
    let space = remote::resolve(state, &format!("{scheme}://{domain}/"), false)
        .await
        .map_err(|e| match e {
            remote::ResolveError::Blocked => {
                Error::forbidden("That domain is blocked by this space.")
            }
            remote::ResolveError::Internal(e) => e,
            other => Error::invalid("space", format!("could not be reached: {other}")),
        })?;
    let signer = remote::instance_signer(state).await?;
    let list_uri = format!("{scheme}://{domain}/visitors/resources");
    let doc = state
        .client
        .get_json(&list_uri, Some(&signer))
        .await
        .map_err(|e| {
            Error::invalid(
                "space",
                format!("does not list resources for visitors: {e}"),
            )
        })?;
    let list: wire::ResourceList = wire::parse_value(&doc, state.config.dev_http)
        .map_err(|e| Error::invalid("space", format!("sent a list that does not read: {e}")))?;
    // Only the space's own resources count.
    let items = list
        .ordered_items
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.id.authority() == domain)
        .take(200)
        .collect();
    Ok(PeerResources {
        domain,
        space,
        items,
    })
}

/// What a member sends to ask for a visit.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitDraft {
    #[serde(default)]
    pub space: String,
    /// The resource's address, or its number at the host.
    #[serde(default)]
    pub resource: String,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
}

/// Asks the host space for a visit: the visit is stored pending and its `Offer` queued, in
/// one transaction. Times are wall times of the host's zone, or instants with an offset.
pub async fn request(state: &AppState, who: &Account, d: &VisitDraft) -> Result<Visit> {
    let mut errors = FieldErrors::new();
    if d.resource.trim().is_empty() {
        errors.add("resource", "is required");
    }
    if d.space.trim().is_empty() {
        errors.add("space", "is required");
    }
    errors.into_result()?;
    let peer = peer_resources(state, &d.space).await?;
    let wanted = d.resource.trim();
    let resource = peer
        .items
        .iter()
        .find(|r| {
            r.id.as_str() == wanted
                || (!wanted.contains('/') && r.id.as_str().rsplit('/').next() == Some(wanted))
        })
        .ok_or_else(|| {
            Error::invalid(
                "resource",
                format!("is not a resource {} opens to visitors", peer.domain),
            )
        })?;
    let tz_name = resource.timezone.clone().unwrap_or_else(|| "UTC".into());
    let tz = crate::events::times::zone(&tz_name).unwrap_or(chrono_tz::Tz::UTC);
    let mut errors = FieldErrors::new();
    let start = errors.check(
        "starts_at",
        crate::bookings::rules::parse_time(&d.starts_at, tz),
    );
    let end = errors.check(
        "ends_at",
        crate::bookings::rules::parse_time(&d.ends_at, tz),
    );
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.add("ends_at", "must be after the start");
        } else if s < now_ms() {
            errors.add("starts_at", "is in the past");
        }
    }
    errors.into_result()?;
    let (Some(start), Some(end)) = (start, end) else {
        return Err(Error::invalid("starts_at", "is not a date and time"));
    };
    let urls = Urls::new(&state.config);
    let uri = format!("{}/visits/{}", urls.base(), random_token());
    let new = NewVisit {
        account_id: who.id,
        space: peer.domain.clone(),
        space_actor: peer.space.uri.clone(),
        space_name: peer.space.display_name().to_string(),
        resource_uri: resource.id.to_string(),
        resource_name: resource.name.chars().take(200).collect(),
        timezone: tz.name().to_string(),
        starts_at: start,
        ends_at: end,
        offer_uri: format!("{uri}/offer"),
        uri,
    };
    let me = urls.member(&who.handle);
    let mut tx = state.db.begin_write().await?;
    let id = store::insert_visit(&mut tx, &new).await?;
    let visit = Visit {
        id,
        account_id: who.id,
        space: new.space,
        space_actor: new.space_actor,
        space_name: new.space_name,
        resource_uri: new.resource_uri,
        resource_name: new.resource_name,
        timezone: new.timezone,
        starts_at: start,
        ends_at: end,
        uri: new.uri,
        offer_uri: new.offer_uri,
        state: VisitState::Pending,
        reason: String::new(),
        created_at: now_ms(),
        updated_at: now_ms(),
    };
    delivery::publish(
        &mut tx,
        &object::offer(&visit, &me),
        who.local_actor().key_ref(),
        false,
        std::slice::from_ref(&peer.space.inbox),
    )
    .await?;
    tx.commit().await?;
    delivery::wake(state);
    store::visit(&state.db, id).await?.ok_or(Error::NotFound)
}

/// The member cancels a visit (pending or booked): `Undo` of the `Offer` goes to the host.
pub async fn cancel(state: &AppState, who: &Account, id: i64) -> Result<Visit> {
    let visit = store::visit(&state.db, id)
        .await?
        .filter(|v| v.account_id == who.id)
        .ok_or(Error::NotFound)?;
    let space = remote::by_uri(&state.db, &visit.space_actor).await?;
    let urls = Urls::new(&state.config);
    let mut tx = state.db.begin_write().await?;
    if !store::set_state(
        &mut tx,
        id,
        &[VisitState::Pending, VisitState::Accepted],
        VisitState::Cancelled,
        "Cancelled by you.",
    )
    .await?
    {
        return Err(Error::Conflict(
            "This visit is already cancelled or was refused.".into(),
        ));
    }
    if let Some(space) = space {
        let me = urls.member(&who.handle);
        delivery::publish(
            &mut tx,
            &object::guest_undo(&urls, &visit, &me),
            who.local_actor().key_ref(),
            false,
            std::slice::from_ref(&space.inbox),
        )
        .await?;
    }
    tx.commit().await?;
    delivery::wake(state);
    store::visit(&state.db, id).await?.ok_or(Error::NotFound)
}

/// The visit an `Accept` or `Reject` answers (its object: the `Offer`, embedded or by id).
pub async fn answered(state: &AppState, activity: &Activity) -> Result<Option<Visit>> {
    let offer = match activity.object() {
        Some(ObjectOrLink::Link(id)) => id.as_str(),
        Some(ObjectOrLink::Object(_)) => match activity.embedded_activity() {
            Some(inner) => inner.id.as_str(),
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    let urls = Urls::new(&state.config);
    if !offer.starts_with(&format!("{}/visits/", urls.base())) {
        return Ok(None);
    }
    store::by_offer(&state.db, offer).await
}

/// The host's answer. Only the host space's actor may give it; a `Reject` after an `Accept`
/// cancels the visit.
pub async fn on_answer(
    state: &AppState,
    visit: &Visit,
    activity: &Activity,
    actor: &RemoteActor,
    accept: bool,
) -> Result<()> {
    if !authority::is_owner(
        actor,
        &visit.space_actor,
        &visit.offer_uri,
        "answer a visit",
    ) {
        return Ok(());
    }
    let reason: String = activity
        .summary
        .as_deref()
        .or(activity.content.as_deref())
        .map(|r| r.chars().filter(|c| !c.is_control()).take(300).collect())
        .unwrap_or_default();
    let mut tx = state.db.begin_write().await?;
    let told = if accept {
        store::set_state(
            &mut tx,
            visit.id,
            &[VisitState::Pending],
            VisitState::Accepted,
            "",
        )
        .await?
        .then_some(Kind::VisitAccepted)
    } else if store::set_state(
        &mut tx,
        visit.id,
        &[VisitState::Pending],
        VisitState::Rejected,
        &reason,
    )
    .await?
    {
        Some(Kind::VisitRejected)
    } else {
        store::set_state(
            &mut tx,
            visit.id,
            &[VisitState::Accepted],
            VisitState::Cancelled,
            &reason,
        )
        .await?
        .then_some(Kind::VisitCancelled)
    };
    if let Some(kind) = told {
        tell_member(&mut tx, visit, kind, &reason).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The member hears of the host's answer or cancellation, in the transaction that records it
/// (once: only the call that changed the state tells).
async fn tell_member(tx: &mut Tx, visit: &Visit, kind: Kind, reason: &str) -> Result<()> {
    let place = format!(
        "{} at {}, {}",
        visit.resource_name,
        visit.space_name,
        visit.when()
    );
    let summary = match kind {
        Kind::VisitAccepted => format!("Your visit is booked: {place}"),
        Kind::VisitRejected => format!("Your visit was refused: {place}. {reason}"),
        _ => format!("Your visit was cancelled by the space: {place}. {reason}"),
    };
    notify(
        tx,
        &NewNotification {
            account_id: visit.account_id,
            kind,
            actor: &visit.space_actor,
            actor_name: &visit.space_name,
            object: &visit.uri,
            link: "/visits",
            summary: summary.trim_end(),
        },
    )
    .await
}

/// The host cancels a booked visit (`Undo` of its `Accept`).
pub async fn on_host_undo(
    state: &AppState,
    visit: &Visit,
    undo: &Activity,
    actor: &RemoteActor,
) -> Result<()> {
    if !authority::is_owner(actor, &visit.space_actor, &visit.offer_uri, "Undo") {
        return Ok(());
    }
    let reason: String = undo
        .summary
        .as_deref()
        .map(|r| r.chars().filter(|c| !c.is_control()).take(300).collect())
        .filter(|r: &String| !r.is_empty())
        .unwrap_or_else(|| "Cancelled by the space.".into());
    let mut tx = state.db.begin_write().await?;
    if store::set_state(
        &mut tx,
        visit.id,
        &[VisitState::Pending, VisitState::Accepted],
        VisitState::Cancelled,
        &reason,
    )
    .await?
    {
        tell_member(&mut tx, visit, Kind::VisitCancelled, &reason).await?;
    }
    tx.commit().await?;
    Ok(())
}
