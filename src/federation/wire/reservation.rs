//! Visits across spaces: a space's bookable resources (`Resource`, listed in an
//! `OrderedCollection`) and a visitor's `Reservation` of one, which the visitor's actor sends
//! in an `Offer` to the host space and the host answers with `Accept` or `Reject` (see
//! docs/federation.md, "Visits across spaces"). The terms are Guildhall's, defined inline in
//! [`super::context`].

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{lenient, lenient_list, type_name, Addressing, Link};
use crate::federation::link::RemoteUrl;

/// A reservation of a resource of a host space for a visitor: `attributedTo` the visitor,
/// `resource` the resource's id at the host, `startTime` and `endTime` as `xsd:dateTime`.
/// Every property is required: a reservation missing one does not read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Reservation<U = RemoteUrl> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context_ld: Option<Value>,
    pub id: U,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    pub attributed_to: Link<U>,
    pub resource: Link<U>,
    pub start_time: String,
    pub end_time: String,
    #[serde(flatten)]
    pub address: Addressing<U>,
}

impl<U> Reservation<U> {
    pub fn new(id: U, visitor: U, resource: U, start_time: String, end_time: String) -> Self {
        Reservation {
            context_ld: None,
            id,
            kind: "Reservation".into(),
            attributed_to: Link(visitor),
            resource: Link(resource),
            start_time,
            end_time,
            address: Addressing::default(),
        }
    }
}

/// A resource visitors may book, as its space lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct Resource<U = RemoteUrl> {
    pub id: U,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    pub name: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub summary: Option<String>,
    /// `room`, `desk`, `booth` or `event_room`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub resource_kind: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub capacity: Option<i64>,
    /// The IANA zone wall times of the space are read in.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub timezone: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub slot_minutes: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub min_minutes: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub max_minutes: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub url: Option<Link<U>>,
}

/// The list of a space's resources open to visitors (an `OrderedCollection`, every item
/// embedded; items that do not read are skipped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(serialize = "U: Serialize", deserialize = "U: DeserializeOwned")
)]
pub struct ResourceList<U = RemoteUrl> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none", default)]
    pub context_ld: Option<Value>,
    pub id: U,
    #[serde(rename = "type", deserialize_with = "type_name")]
    pub kind: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub total_items: Option<u64>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub ordered_items: Option<Vec<Resource<U>>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{parse_value, Activity, ActivityKind, Object};

    fn offer(resource: &str, with_end: bool) -> serde_json::Value {
        let mut reservation = json!({
            "id": "https://harbour.example/visits/abc",
            "type": "Reservation",
            "attributedTo": "https://harbour.example/members/ada",
            "resource": resource,
            "startTime": "2030-06-03T08:00:00Z",
            "endTime": "2030-06-03T16:00:00Z",
        });
        if !with_end {
            reservation.as_object_mut().unwrap().remove("endTime");
        }
        json!({
            "id": "https://harbour.example/visits/abc/offer",
            "type": "Offer",
            "actor": "https://harbour.example/members/ada",
            "object": reservation,
        })
    }

    #[test]
    fn an_offer_embeds_a_reservation() {
        let a: Activity =
            parse_value(&offer("https://dock.example/resources/3", true), false).unwrap();
        assert_eq!(a.kind(), ActivityKind::Offer);
        let Some(Object::Reservation(r)) = a.embedded() else {
            panic!("no reservation: {a:?}")
        };
        assert_eq!(
            r.resource.get().as_str(),
            "https://dock.example/resources/3"
        );
        assert_eq!(
            r.attributed_to.get().as_str(),
            "https://harbour.example/members/ada"
        );
        assert_eq!(r.end_time, "2030-06-03T16:00:00Z");
    }

    #[test]
    fn a_reservation_with_a_bad_address_or_missing_time_does_not_read() {
        assert!(parse_value::<Activity>(&offer("javascript:alert(1)", true), false).is_err());
        assert!(
            parse_value::<Activity>(&offer("https://dock.example/resources/3", false), false)
                .is_err()
        );
    }
}
