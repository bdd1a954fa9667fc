//! What an event is: the row, its join mode, visibility, status and category, and its
//! participants.

use serde::Serialize;
use sqlx::Row as _;

use crate::federation::link::RemoteUrl;
use crate::storage::Row;

/// How people get a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinMode {
    /// Anyone who may see the event gets a seat at once, while seats last.
    Free,
    /// The organiser accepts or rejects each request.
    Approval,
    /// Only people the organiser invites (no one can ask to join).
    Invite,
    /// Registration happens elsewhere (`external_url`).
    External,
}

impl JoinMode {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "free" => Some(JoinMode::Free),
            "approval" | "restricted" => Some(JoinMode::Approval),
            "invite" => Some(JoinMode::Invite),
            "external" => Some(JoinMode::External),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JoinMode::Free => "free",
            JoinMode::Approval => "approval",
            JoinMode::Invite => "invite",
            JoinMode::External => "external",
        }
    }

    /// Mobilizon's and FEP-8a8e's name for it.
    pub fn wire(self) -> &'static str {
        match self {
            JoinMode::Approval => "restricted",
            other => other.as_str(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JoinMode::Free => "Anyone can join",
            JoinMode::Approval => "The organiser approves each participant",
            JoinMode::Invite => "By invitation only",
            JoinMode::External => "Registration on another site",
        }
    }
}

/// Who may see an event. `members` never leaves this instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventVisibility {
    Public,
    Followers,
    Members,
}

impl EventVisibility {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "public" => Some(EventVisibility::Public),
            "followers" => Some(EventVisibility::Followers),
            "members" => Some(EventVisibility::Members),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventVisibility::Public => "public",
            EventVisibility::Followers => "followers",
            EventVisibility::Members => "members",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventVisibility::Public => "Public",
            EventVisibility::Followers => "Followers only",
            EventVisibility::Members => "Members of this space",
        }
    }

    /// The reach a comment on the event keeps.
    pub fn post_visibility(self) -> crate::posts::Visibility {
        match self {
            EventVisibility::Public => crate::posts::Visibility::Public,
            EventVisibility::Followers => crate::posts::Visibility::Followers,
            EventVisibility::Members => crate::posts::Visibility::Members,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Confirmed,
    Tentative,
    Cancelled,
}

impl Status {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "confirmed" | "eventscheduled" => Some(Status::Confirmed),
            "tentative" | "eventtentative" => Some(Status::Tentative),
            "cancelled" | "canceled" | "eventcancelled" => Some(Status::Cancelled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Tentative => "tentative",
            Status::Cancelled => "cancelled",
        }
    }

    /// iCalendar's `STATUS` value (also `ical:status` on the wire).
    pub fn ical(self) -> &'static str {
        match self {
            Status::Confirmed => "CONFIRMED",
            Status::Tentative => "TENTATIVE",
            Status::Cancelled => "CANCELLED",
        }
    }
}

/// Mobilizon's event categories (`category` on the wire), with labels.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("MEETING", "Meeting"),
    ("ARTS", "Arts"),
    ("BOOK_CLUBS", "Book clubs"),
    ("BUSINESS", "Business"),
    ("CAUSES", "Causes"),
    ("COMEDY", "Comedy"),
    ("CRAFTS", "Crafts"),
    ("FOOD_DRINK", "Food & Drink"),
    ("HEALTH", "Health"),
    ("MUSIC", "Music"),
    ("AUTO_BOAT_AIR", "Auto, boat and air"),
    ("COMMUNITY", "Community"),
    ("FAMILY_EDUCATION", "Family & Education"),
    ("FASHION_BEAUTY", "Fashion & Beauty"),
    ("FILM_MEDIA", "Film & Media"),
    ("GAMES", "Games"),
    ("LANGUAGE_CULTURE", "Language & Culture"),
    ("LEARNING", "Learning"),
    ("LGBTQ", "LGBTQ"),
    ("MOVEMENTS_POLITICS", "Movements and politics"),
    ("NETWORKING", "Networking"),
    ("PARTY", "Party"),
    ("PERFORMING_VISUAL_ARTS", "Performing & Visual Arts"),
    ("PETS", "Pets"),
    ("PHOTOGRAPHY", "Photography"),
    ("OUTDOORS_ADVENTURE", "Outdoors & Adventure"),
    (
        "SPIRITUALITY_RELIGION_BELIEFS",
        "Spirituality, Religion & Beliefs",
    ),
    ("SCIENCE_TECH", "Science & Tech"),
    ("SPORTS", "Sports"),
    ("THEATRE", "Theatre"),
];

/// The category named by `raw` (any case), if it is one of [`CATEGORIES`].
pub fn category(raw: &str) -> Option<&'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some("MEETING");
    }
    CATEGORIES
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(raw))
        .map(|(id, _)| *id)
}

pub fn category_label(id: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(c, _)| *c == id)
        .map(|(_, l)| *l)
        .unwrap_or("Meeting")
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub uri: String,
    pub local: bool,
    /// The actor who organises it (`attributedTo`).
    pub organizer: String,
    pub title: String,
    /// The description as the organiser typed it (local events).
    #[serde(skip)]
    pub source: String,
    /// The description as sanitised HTML.
    pub content: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub timezone: String,
    pub place_name: String,
    pub street_address: String,
    pub postal_code: String,
    pub locality: String,
    pub country: String,
    pub online_url: String,
    pub capacity: Option<i64>,
    pub join_mode: JoinMode,
    pub external_url: String,
    pub visibility: EventVisibility,
    pub category: String,
    pub status: Status,
    pub participant_count: i64,
    pub url: String,
    pub published_at: i64,
    pub updated_at: i64,
    #[serde(skip)]
    pub deleted_at: Option<i64>,
}

pub const COLUMNS: &str = "id, uri, local, organizer, title, source, content, starts_at, \
    ends_at, timezone, place_name, street_address, postal_code, locality, country, online_url, \
    capacity, join_mode, external_url, visibility, category, status, participant_count, url, \
    published_at, updated_at, deleted_at";

impl Event {
    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        let join_mode: String = r.try_get("join_mode")?;
        let visibility: String = r.try_get("visibility")?;
        let status: String = r.try_get("status")?;
        Ok(Event {
            id: r.try_get("id")?,
            uri: r.try_get("uri")?,
            local: r.try_get::<i64, _>("local")? != 0,
            organizer: r.try_get("organizer")?,
            title: r.try_get("title")?,
            source: r.try_get("source")?,
            content: r.try_get("content")?,
            starts_at: r.try_get("starts_at")?,
            ends_at: r.try_get("ends_at")?,
            timezone: r.try_get("timezone")?,
            place_name: r.try_get("place_name")?,
            street_address: r.try_get("street_address")?,
            postal_code: r.try_get("postal_code")?,
            locality: r.try_get("locality")?,
            country: r.try_get("country")?,
            online_url: r.try_get("online_url")?,
            capacity: r.try_get("capacity")?,
            join_mode: JoinMode::parse(&join_mode).unwrap_or(JoinMode::Invite),
            external_url: r.try_get("external_url")?,
            visibility: EventVisibility::parse(&visibility).unwrap_or(EventVisibility::Members),
            category: r.try_get("category")?,
            status: Status::parse(&status).unwrap_or(Status::Confirmed),
            participant_count: r.try_get("participant_count")?,
            url: r.try_get("url")?,
            published_at: r.try_get("published_at")?,
            updated_at: r.try_get("updated_at")?,
            deleted_at: r.try_get("deleted_at")?,
        })
    }

    /// The last path segment of a local event's URI (`/events/{token}`).
    pub fn token(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    pub fn is_cancelled(&self) -> bool {
        self.status == Status::Cancelled
    }

    /// Seats left, when there is a limit.
    pub fn remaining(&self) -> Option<i64> {
        self.capacity.map(|c| (c - self.participant_count).max(0))
    }

    pub fn is_full(&self) -> bool {
        self.remaining() == Some(0)
    }

    pub fn has_place(&self) -> bool {
        !(self.place_name.is_empty() && self.street_address.is_empty() && self.locality.is_empty())
    }

    /// The place on one line: name, street, postal code and town, country.
    pub fn place_line(&self) -> String {
        let town = [self.postal_code.as_str(), self.locality.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        [
            self.place_name.as_str(),
            self.street_address.as_str(),
            town.as_str(),
            self.country.as_str(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
    }

    pub fn category_label(&self) -> &'static str {
        category_label(&self.category)
    }

    /// The local page that shows it.
    /// Where its page on its own server is, for a received event (re-checked before a page
    /// links it).
    pub fn origin_link(&self) -> Option<RemoteUrl> {
        (!self.local)
            .then(|| RemoteUrl::stored(&self.url))
            .flatten()
    }

    /// The online meeting address, when it is a web address.
    pub fn online_link(&self) -> Option<RemoteUrl> {
        RemoteUrl::stored(&self.online_url)
    }

    /// Where registration happens elsewhere, when it is a web address.
    pub fn external_link(&self) -> Option<RemoteUrl> {
        RemoteUrl::stored(&self.external_url)
    }

    pub fn link(&self) -> String {
        if self.local {
            format!("/events/{}", self.token())
        } else {
            format!(
                "/events/remote?uri={}",
                url::form_urlencoded::byte_serialize(self.uri.as_bytes()).collect::<String>()
            )
        }
    }
}

/// An event to store, local or received.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub uri: String,
    pub local: bool,
    pub organizer: String,
    pub title: String,
    pub source: String,
    pub content: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub timezone: String,
    pub place_name: String,
    pub street_address: String,
    pub postal_code: String,
    pub locality: String,
    pub country: String,
    pub online_url: String,
    pub capacity: Option<i64>,
    pub join_mode: JoinMode,
    pub external_url: String,
    pub visibility: EventVisibility,
    pub category: String,
    pub status: Status,
    pub participant_count: i64,
    pub url: String,
    pub published_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RsvpState {
    Pending,
    Accepted,
    Rejected,
}

impl RsvpState {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(RsvpState::Pending),
            "accepted" => Some(RsvpState::Accepted),
            "rejected" => Some(RsvpState::Rejected),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RsvpState::Pending => "pending",
            RsvpState::Accepted => "accepted",
            RsvpState::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    pub id: i64,
    pub event_id: i64,
    pub actor: String,
    pub state: RsvpState,
    /// The `Join` activity (ours when a local member asked, theirs when a remote actor did).
    pub join_uri: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const PARTICIPANT_COLUMNS: &str =
    "id, event_id, actor, state, join_uri, created_at, updated_at";

impl Participant {
    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        let state: String = r.try_get("state")?;
        Ok(Participant {
            id: r.try_get("id")?,
            event_id: r.try_get("event_id")?,
            actor: r.try_get("actor")?,
            state: RsvpState::parse(&state).unwrap_or(RsvpState::Rejected),
            join_uri: r.try_get("join_uri")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}
