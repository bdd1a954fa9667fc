//! Trusted spaces (as host) and visits (as guest).

use serde::Serialize;
use sqlx::Row as _;

use crate::storage::Row;

/// A peer space whose members may book resources open to visitors here.
#[derive(Debug, Clone, Serialize)]
pub struct TrustedSpace {
    pub domain: String,
    pub visit_days_per_month: i64,
    /// Its members' requests wait for an administrator's answer instead of being booked at once.
    pub review_visits: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TrustedSpace {
    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(TrustedSpace {
            domain: r.try_get("domain")?,
            visit_days_per_month: r.try_get("visit_days_per_month")?,
            review_visits: r.try_get::<i64, _>("review_visits")? != 0,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// Where a visit stands: asked, booked by the host, refused by it, or cancelled afterwards
/// (by either side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VisitState {
    Pending,
    Accepted,
    Rejected,
    Cancelled,
}

impl VisitState {
    pub fn parse(s: &str) -> VisitState {
        match s {
            "accepted" => VisitState::Accepted,
            "rejected" => VisitState::Rejected,
            "cancelled" => VisitState::Cancelled,
            _ => VisitState::Pending,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VisitState::Pending => "pending",
            VisitState::Accepted => "accepted",
            VisitState::Rejected => "rejected",
            VisitState::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitState::Pending => "Waiting for the space's answer",
            VisitState::Accepted => "Booked",
            VisitState::Rejected => "Refused",
            VisitState::Cancelled => "Cancelled",
        }
    }
}

/// A local member's visit to a peer space.
#[derive(Debug, Clone, Serialize)]
pub struct Visit {
    pub id: i64,
    #[serde(skip)]
    pub account_id: i64,
    pub space: String,
    pub space_actor: String,
    pub space_name: String,
    pub resource_uri: String,
    pub resource_name: String,
    pub timezone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub uri: String,
    pub offer_uri: String,
    pub state: VisitState,
    pub reason: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const VISIT_COLUMNS: &str = "id, account_id, space, space_actor, space_name, resource_uri, \
    resource_name, timezone, starts_at, ends_at, uri, offer_uri, state, reason, created_at, \
    updated_at";

impl Visit {
    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(Visit {
            id: r.try_get("id")?,
            account_id: r.try_get("account_id")?,
            space: r.try_get("space")?,
            space_actor: r.try_get("space_actor")?,
            space_name: r.try_get("space_name")?,
            resource_uri: r.try_get("resource_uri")?,
            resource_name: r.try_get("resource_name")?,
            timezone: r.try_get("timezone")?,
            starts_at: r.try_get("starts_at")?,
            ends_at: r.try_get("ends_at")?,
            uri: r.try_get("uri")?,
            offer_uri: r.try_get("offer_uri")?,
            state: VisitState::parse(&r.try_get::<String, _>("state")?),
            reason: r.try_get("reason")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    /// Whether the member may still cancel it.
    pub fn open(&self) -> bool {
        matches!(self.state, VisitState::Pending | VisitState::Accepted)
    }

    /// The span in the host's zone, as people read it.
    pub fn when(&self) -> String {
        crate::events::times::span(self.starts_at, self.ends_at, &self.timezone)
    }
}

/// As host: a visitor's request from a space whose visits staff review, until answered.
#[derive(Debug, Clone, Serialize)]
pub struct VisitRequest {
    pub id: i64,
    pub resource_id: i64,
    pub resource_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub visitor_actor: String,
    pub visitor_space: String,
    pub visitor_label: String,
    #[serde(skip)]
    pub visitor_offer: String,
    #[serde(skip)]
    pub reservation: String,
    pub state: VisitState,
    pub reason: String,
    pub booking_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of a request; its resource's name is asked of the bookings' store
/// (`visits::store` fills it in).
pub const REQUEST_SELECT: &str = "SELECT q.id, q.resource_id, \
    q.starts_at, q.ends_at, q.visitor_actor, q.visitor_space, q.visitor_label, q.visitor_offer, \
    q.reservation, q.state, q.reason, q.booking_id, q.created_at, q.updated_at \
    FROM visit_requests q";

impl VisitRequest {
    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(VisitRequest {
            id: r.try_get("id")?,
            resource_id: r.try_get("resource_id")?,
            resource_name: String::new(),
            starts_at: r.try_get("starts_at")?,
            ends_at: r.try_get("ends_at")?,
            visitor_actor: r.try_get("visitor_actor")?,
            visitor_space: r.try_get("visitor_space")?,
            visitor_label: r.try_get("visitor_label")?,
            visitor_offer: r.try_get("visitor_offer")?,
            reservation: r.try_get("reservation")?,
            state: VisitState::parse(&r.try_get::<String, _>("state")?),
            reason: r.try_get("reason")?,
            booking_id: r.try_get("booking_id")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    /// Who asked, as staff read it.
    pub fn who(&self) -> String {
        if self.visitor_label.is_empty() {
            format!("{} ({})", self.visitor_actor, self.visitor_space)
        } else {
            self.visitor_label.clone()
        }
    }
}

/// A visit to write.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub account_id: i64,
    pub space: String,
    pub space_actor: String,
    pub space_name: String,
    pub resource_uri: String,
    pub resource_name: String,
    pub timezone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub uri: String,
    pub offer_uri: String,
}

/// A peer space's domain as people type it (`harbour.example`, or `host:port`): lower case,
/// no scheme or path.
pub fn space_domain(raw: &str) -> Result<String, String> {
    let t = raw.trim().trim_end_matches('/');
    let (host, port) = match t.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()) => {
            (h, Some(p))
        }
        _ => (t, None),
    };
    let host = crate::federation::policy::DomainName::parse(host)?;
    Ok(match port {
        Some(p) => format!("{}:{p}", host.as_str()),
        None => host.as_str().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::space_domain;

    #[test]
    fn space_domains() {
        assert_eq!(
            space_domain(" Harbour.Example ").unwrap(),
            "harbour.example"
        );
        assert_eq!(space_domain("beta.test:8080").unwrap(), "beta.test:8080");
        for bad in [
            "",
            "https://harbour.example",
            "harbour.example/x",
            "a@b.example",
            "localhost",
        ] {
            assert!(space_domain(bad).is_err(), "{bad}");
        }
    }
}
