//! Resources (rooms, desks, booths, event rooms) and their bookings, as the rest of the
//! program sees them.

use serde::Serialize;
use sqlx::Row as _;

use crate::storage::{json_list, Row};

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Room,
    Desk,
    Booth,
    EventRoom,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Room, Kind::Desk, Kind::Booth, Kind::EventRoom];

    pub fn parse(s: &str) -> Result<Kind, String> {
        match s.trim() {
            "room" => Ok(Kind::Room),
            "desk" => Ok(Kind::Desk),
            "booth" => Ok(Kind::Booth),
            "event_room" => Ok(Kind::EventRoom),
            _ => Err("must be room, desk, booth or event_room".into()),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Room => "room",
            Kind::Desk => "desk",
            Kind::Booth => "booth",
            Kind::EventRoom => "event_room",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Kind::Room => "Meeting room",
            Kind::Desk => "Desks",
            Kind::Booth => "Phone booth",
            Kind::EventRoom => "Event room",
        }
    }
}

/// Opening hours: seven days, Monday first, each closed (`None`) or open from one minute
/// after local midnight to another (`close` may be 1440, midnight at the end of the day).
pub type Week = [Option<(i64, i64)>; 7];

/// The short weekday names the API and forms use, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
pub const WEEKDAY_LABELS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `HH:MM` of minutes after midnight (1440 is `24:00`).
pub fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `08:00-18:00` of a day's hours, or "" when closed.
pub fn day_hours(day: Option<(i64, i64)>) -> String {
    day.map(|(a, b)| format!("{}-{}", hhmm(a), hhmm(b)))
        .unwrap_or_default()
}

/// Minor units as a price: `1250` → `12.50`.
pub fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub id: i64,
    pub kind: Kind,
    pub name: String,
    pub description: String,
    #[serde(skip)]
    pub photo_key: Option<String>,
    /// How many bookings may overlap: the seats of a desk pool, the named desks, or 1.
    pub capacity: i64,
    /// Named desks; empty for a pool (or a room).
    pub seats: Vec<String>,
    pub amenities: Vec<String>,
    pub location: String,
    #[serde(skip)]
    pub hours: Option<Week>,
    pub slot_minutes: i64,
    pub min_minutes: i64,
    pub max_minutes: i64,
    pub max_days_ahead: i64,
    pub members: bool,
    pub companies: bool,
    pub visitors: bool,
    pub currency: String,
    pub price_member_hour: Option<i64>,
    pub price_member_day: Option<i64>,
    pub price_visitor_hour: Option<i64>,
    pub price_visitor_day: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const RESOURCE_COLUMNS: &str = "id, kind, name, description, photo_key, capacity, seats, \
    amenities, location, opening_hours, slot_minutes, min_minutes, max_minutes, max_days_ahead, \
    allow_members, allow_companies, allow_visitors, currency, price_member_hour, \
    price_member_day, price_visitor_hour, price_visitor_day, created_at, updated_at";

impl Resource {
    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        let kind: String = r.try_get("kind")?;
        let hours: Option<String> = r.try_get("opening_hours")?;
        Ok(Resource {
            id: r.try_get("id")?,
            kind: Kind::parse(&kind).unwrap_or(Kind::Room),
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            photo_key: r.try_get("photo_key")?,
            capacity: r.try_get("capacity")?,
            seats: json_list(&r.try_get::<String, _>("seats")?),
            amenities: json_list(&r.try_get::<String, _>("amenities")?),
            location: r.try_get("location")?,
            hours: hours.and_then(|h| serde_json::from_str(&h).ok()),
            slot_minutes: r.try_get("slot_minutes")?,
            min_minutes: r.try_get("min_minutes")?,
            max_minutes: r.try_get("max_minutes")?,
            max_days_ahead: r.try_get("max_days_ahead")?,
            members: r.try_get::<i64, _>("allow_members")? != 0,
            companies: r.try_get::<i64, _>("allow_companies")? != 0,
            visitors: r.try_get::<i64, _>("allow_visitors")? != 0,
            currency: r.try_get("currency")?,
            price_member_hour: r.try_get("price_member_hour")?,
            price_member_day: r.try_get("price_member_day")?,
            price_visitor_hour: r.try_get("price_visitor_hour")?,
            price_visitor_day: r.try_get("price_visitor_day")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    pub fn link(&self) -> String {
        format!("/resources/{}", self.id)
    }

    pub fn photo_url(&self) -> Option<String> {
        self.photo_key.as_ref().map(|k| format!("/media/{k}"))
    }

    /// The opening hours as the API shows them: `{"mon": "08:00-18:00", "sun": null}`, or
    /// `null` when bookable at any hour.
    pub fn hours_json(&self) -> serde_json::Value {
        match &self.hours {
            None => serde_json::Value::Null,
            Some(week) => {
                let mut m = serde_json::Map::new();
                for (i, day) in week.iter().enumerate() {
                    m.insert(
                        WEEKDAYS[i].into(),
                        match day {
                            Some(_) => serde_json::Value::String(day_hours(*day)),
                            None => serde_json::Value::Null,
                        },
                    );
                }
                serde_json::Value::Object(m)
            }
        }
    }

    /// One line per weekday for pages: `("Monday", "08:00–18:00")` or `"closed"`.
    pub fn hours_lines(&self) -> Vec<(&'static str, String)> {
        match &self.hours {
            None => Vec::new(),
            Some(week) => week
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    (
                        WEEKDAY_LABELS[i],
                        match d {
                            Some((a, b)) => format!("{}–{}", hhmm(*a), hhmm(*b)),
                            None => "closed".into(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// Prices for pages: `("Members, per hour", "12.50 EUR")`, only those set.
    pub fn price_lines(&self) -> Vec<(&'static str, String)> {
        [
            ("Members, per hour", self.price_member_hour),
            ("Members, per day", self.price_member_day),
            ("Visitors, per hour", self.price_visitor_hour),
            ("Visitors, per day", self.price_visitor_day),
        ]
        .into_iter()
        .filter_map(|(l, p)| p.map(|c| (l, format!("{} {}", money(c), self.currency))))
        .collect()
    }

    /// Who may book, in words.
    pub fn who(&self) -> String {
        let mut w = Vec::new();
        if self.members {
            w.push("members");
        }
        if self.companies {
            w.push("companies");
        }
        if self.visitors {
            w.push("visitors from trusted spaces");
        }
        if w.is_empty() {
            "nobody for now".into()
        } else {
            w.join(", ")
        }
    }
}

/// Who a booking is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BookerKind {
    Member,
    Company,
    /// A member of a peer space (visits across spaces).
    Visitor,
}

impl BookerKind {
    pub fn parse(s: &str) -> BookerKind {
        match s {
            "company" => BookerKind::Company,
            "visitor" => BookerKind::Visitor,
            _ => BookerKind::Member,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            BookerKind::Member => "member",
            BookerKind::Company => "company",
            BookerKind::Visitor => "visitor",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Booking {
    pub id: i64,
    pub resource_id: i64,
    pub resource_name: String,
    /// The named desk, or "" in a pool.
    pub seat: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub booker_kind: BookerKind,
    /// The member who booked (a local booking), if any.
    #[serde(skip)]
    pub account_id: Option<i64>,
    pub booked_by: Option<String>,
    #[serde(skip)]
    pub company_id: Option<i64>,
    pub company: Option<String>,
    pub company_name: Option<String>,
    pub visitor_actor: String,
    pub visitor_space: String,
    /// The id of the visitor's `Offer` ('' for local bookings).
    #[serde(skip)]
    pub visitor_offer: String,
    /// How staff see a visitor: "Ada, member of Harbour Works (harbour.example)".
    pub visitor_label: String,
    pub note: String,
    pub series: String,
    pub state: String,
    pub created_at: i64,
    pub cancelled_at: Option<i64>,
}

impl Booking {
    /// Columns for `SELECT {COLUMNS} FROM bookings b JOIN resources r ON r.id = b.resource_id`:
    /// the booking and its resource's name. Who booked (`booked_by`, `company`,
    /// `company_name`) is read from the accounts' and companies' owners by id afterwards.
    pub const COLUMNS: &'static str = "b.id, b.resource_id, r.name AS resource_name, b.seat, \
        b.starts_at, b.ends_at, b.booker_kind, b.account_id, b.company_id, b.visitor_actor, \
        b.visitor_space, b.visitor_offer, b.visitor_label, b.note, b.series, b.state, \
        b.created_at, b.cancelled_at";

    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(Booking {
            id: r.try_get("id")?,
            resource_id: r.try_get("resource_id")?,
            resource_name: r.try_get("resource_name")?,
            seat: r.try_get("seat")?,
            starts_at: r.try_get("starts_at")?,
            ends_at: r.try_get("ends_at")?,
            booker_kind: BookerKind::parse(&r.try_get::<String, _>("booker_kind")?),
            account_id: r.try_get("account_id")?,
            booked_by: None,
            company_id: r.try_get("company_id")?,
            company: None,
            company_name: None,
            visitor_actor: r.try_get("visitor_actor")?,
            visitor_space: r.try_get("visitor_space")?,
            visitor_offer: r.try_get("visitor_offer")?,
            visitor_label: r.try_get("visitor_label")?,
            note: r.try_get("note")?,
            series: r.try_get("series")?,
            state: r.try_get("state")?,
            created_at: r.try_get("created_at")?,
            cancelled_at: r.try_get("cancelled_at")?,
        })
    }

    pub fn confirmed(&self) -> bool {
        self.state == "confirmed"
    }

    /// Who it is for, in words: `@ada`, `Acme (by @ada)`, or the visitor's address.
    pub fn who(&self) -> String {
        match self.booker_kind {
            BookerKind::Company => format!(
                "{} (by @{})",
                self.company_name.clone().unwrap_or_default(),
                self.booked_by.clone().unwrap_or_default()
            ),
            BookerKind::Visitor if !self.visitor_label.is_empty() => self.visitor_label.clone(),
            BookerKind::Visitor => format!("{} ({})", self.visitor_actor, self.visitor_space),
            BookerKind::Member => format!("@{}", self.booked_by.clone().unwrap_or_default()),
        }
    }
}

/// A booking to write.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub resource_id: i64,
    pub seat: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub booker_kind: BookerKind,
    pub account_id: Option<i64>,
    pub company_id: Option<i64>,
    pub visitor_actor: String,
    pub visitor_space: String,
    pub visitor_offer: String,
    pub visitor_label: String,
    pub note: String,
    pub series: String,
}
