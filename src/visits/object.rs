//! The documents of visits: the list of resources open to visitors, a visitor's `Offer` of a
//! `Reservation`, the host's `Accept` or `Reject` of it, and the `Undo` either side sends to
//! cancel. Built from the wire types (`String` addresses: ours, or stored).

use serde_json::Value;

use super::model::Visit;
use crate::bookings::model::{Booking, Resource};
use crate::federation::urls::Urls;
use crate::federation::wire::{
    self, document, Activity, ActivityKind, Audience, Link, Object, ObjectOrLink, Reservation,
    ResourceList,
};

/// Where a space lists its resources open to visitors.
pub fn list_uri(urls: &Urls) -> String {
    format!("{}/visitors/resources", urls.base())
}

/// A resource's id (its page, which also serves people).
pub fn resource_uri(urls: &Urls, id: i64) -> String {
    format!("{}/resources/{id}", urls.base())
}

/// The id of the `Accept` that booked a visitor's booking (named again by its `Undo`).
fn accept_uri(urls: &Urls, booking_id: i64) -> String {
    format!("{}/visitors/bookings/{booking_id}#accept", urls.base())
}

/// One resource open to visitors, as the wire type.
fn resource_item(urls: &Urls, r: &Resource, timezone: &str) -> wire::Resource<String> {
    wire::Resource {
        id: resource_uri(urls, r.id),
        kind: "Resource".into(),
        name: r.name.clone(),
        summary: Some(r.description.clone()).filter(|d| !d.is_empty()),
        resource_kind: Some(r.kind.as_str().to_string()),
        capacity: Some(r.capacity),
        timezone: Some(timezone.to_string()),
        slot_minutes: Some(r.slot_minutes),
        min_minutes: Some(r.min_minutes),
        max_minutes: Some(r.max_minutes),
        url: Some(Link(resource_uri(urls, r.id))),
    }
}

/// A resource open to visitors, alone (what `/resources/{id}` serves to servers).
pub fn resource(urls: &Urls, r: &Resource, timezone: &str) -> Value {
    document(&resource_item(urls, r, timezone))
}

/// The resources open to visitors, as an `OrderedCollection` of `Resource`s.
pub fn resource_list(urls: &Urls, resources: &[Resource], timezone: &str) -> Value {
    let items: Vec<wire::Resource<String>> = resources
        .iter()
        .map(|r| resource_item(urls, r, timezone))
        .collect();
    document(&ResourceList {
        context_ld: None,
        id: list_uri(urls),
        kind: "OrderedCollection".into(),
        total_items: Some(items.len() as u64),
        ordered_items: Some(items),
    })
}

/// The `Offer` the member (`visitor`) sends the host space (`space_actor`).
pub fn offer(visit: &Visit, visitor: &str) -> Value {
    let mut reservation = Reservation::new(
        visit.uri.clone(),
        visitor.to_string(),
        visit.resource_uri.clone(),
        wire::datetime(visit.starts_at),
        wire::datetime(visit.ends_at),
    );
    reservation.address.to = Some(Audience(vec![visit.space_actor.clone()]));
    let mut activity = offer_activity(&visit.offer_uri, visitor, &visit.uri);
    activity.object = Some(wire::OneOrMany::One(ObjectOrLink::Object(Box::new(
        Object::Reservation(Box::new(reservation)),
    ))));
    activity.address.to = Some(Audience(vec![visit.space_actor.clone()]));
    document(&activity)
}

fn offer_activity(offer_uri: &str, visitor: &str, reservation: &str) -> Activity<String> {
    Activity::new(
        ActivityKind::Offer,
        offer_uri.to_string(),
        visitor.to_string(),
        ObjectOrLink::Link(reservation.to_string()),
    )
}

/// The member takes the `Offer` back (cancels the visit): `Undo` of it.
pub fn guest_undo(urls: &Urls, visit: &Visit, visitor: &str) -> Value {
    let offer = offer_activity(&visit.offer_uri, visitor, &visit.uri);
    let mut undo = Activity::new(
        ActivityKind::Undo,
        crate::federation::activities::new_id(urls),
        visitor.to_string(),
        ObjectOrLink::Object(Box::new(Object::Activity(Box::new(offer)))),
    );
    undo.address.to = Some(Audience(vec![visit.space_actor.clone()]));
    document(&undo)
}

/// The host space's answer to an `Offer` (`offer_uri`, of `reservation`, by `visitor`):
/// `Accept` (the booking `booking_id` was made) or `Reject` with the reason in `summary`.
pub fn answer(
    urls: &Urls,
    offer_uri: &str,
    reservation: &str,
    visitor: &str,
    booked: Result<i64, &str>,
) -> Value {
    let offer = offer_activity(offer_uri, visitor, reservation);
    let (kind, id) = match booked {
        Ok(booking) => (ActivityKind::Accept, accept_uri(urls, booking)),
        Err(_) => (
            ActivityKind::Reject,
            crate::federation::activities::new_id(urls),
        ),
    };
    let mut activity = Activity::new(
        kind,
        id,
        urls.space(),
        ObjectOrLink::Object(Box::new(Object::Activity(Box::new(offer)))),
    );
    if let Err(reason) = booked {
        activity.summary = Some(reason.to_string());
    }
    activity.address.to = Some(Audience(vec![visitor.to_string()]));
    document(&activity)
}

/// The host cancels a visitor's booking: `Undo` of its `Accept`, the reason in `summary`.
pub fn host_undo(urls: &Urls, booking: &Booking, reason: &str) -> Value {
    let accept = Activity::new(
        ActivityKind::Accept,
        accept_uri(urls, booking.id),
        urls.space(),
        ObjectOrLink::Link(booking.visitor_offer.clone()),
    );
    let mut undo = Activity::new(
        ActivityKind::Undo,
        crate::federation::activities::new_id(urls),
        urls.space(),
        ObjectOrLink::Object(Box::new(Object::Activity(Box::new(accept)))),
    );
    undo.summary = Some(reason.to_string());
    undo.address.to = Some(Audience(vec![booking.visitor_actor.clone()]));
    document(&undo)
}
