//! Directory entries: what one card in the directory says about a company, person, project,
//! space or event, local or remote.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use crate::federation::link::RemoteUrl;
use crate::storage::{json_list, Row};

/// What an entry describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Company,
    Person,
    Project,
    Space,
    Event,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Company,
        Kind::Person,
        Kind::Project,
        Kind::Space,
        Kind::Event,
    ];

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "company" => Some(Kind::Company),
            "person" => Some(Kind::Person),
            "project" => Some(Kind::Project),
            "space" => Some(Kind::Space),
            "event" => Some(Kind::Event),
            _ => None,
        }
    }

    /// Its position in [`Kind::ALL`].
    pub fn position(self) -> u8 {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Company => "company",
            Kind::Person => "person",
            Kind::Project => "project",
            Kind::Space => "space",
            Kind::Event => "event",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Kind::Company => "Company",
            Kind::Person => "Person",
            Kind::Project => "Project",
            Kind::Space => "Space",
            Kind::Event => "Event",
        }
    }

    /// The ActivityStreams type of the entry on the wire.
    pub fn as_type(&self) -> &'static str {
        match self {
            Kind::Company | Kind::Space => "Organization",
            Kind::Person => "Person",
            Kind::Project => "Group",
            Kind::Event => "Event",
        }
    }
}

/// An entry as written: everything but its bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    pub uri: String,
    pub kind: Kind,
    /// The server it comes from, `host[:port]`.
    pub origin: String,
    /// `@name@host`, or empty for events.
    pub handle: String,
    pub name: String,
    /// Plain text.
    pub summary: String,
    pub url: String,
    pub icon_url: String,
    pub industry: String,
    pub skills: Vec<String>,
    pub city: String,
    pub country: String,
    /// The name of the space it belongs to.
    pub space_name: String,
    pub hiring: bool,
    pub open_to_collaborate: bool,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

impl Draft {
    /// A digest of every field: an unchanged entry is not written again.
    pub fn fingerprint(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

/// A stored entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    #[serde(skip)]
    pub id: i64,
    pub uri: String,
    pub kind: Kind,
    pub local: bool,
    pub origin: String,
    pub handle: String,
    pub name: String,
    pub summary: String,
    pub url: String,
    pub icon_url: String,
    pub industry: String,
    pub skills: Vec<String>,
    pub city: String,
    pub country: String,
    pub space_name: String,
    pub hiring: bool,
    pub open_to_collaborate: bool,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub updated_at: i64,
    #[serde(skip)]
    pub deleted: bool,
    #[serde(skip)]
    pub seq: i64,
}

impl Entry {
    pub const COLUMNS: &'static str = "e.id, e.uri, e.kind, e.local, e.origin, e.handle, e.name, \
        e.summary, e.url, e.icon_url, e.industry, e.skills, e.city, e.country, e.space_name, \
        e.hiring, e.open_to_collaborate, e.starts_at, e.ends_at, e.updated_at, e.deleted, e.seq";

    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        let kind: String = r.try_get("kind")?;
        Ok(Entry {
            id: r.try_get("id")?,
            uri: r.try_get("uri")?,
            kind: Kind::parse(&kind).unwrap_or(Kind::Person),
            local: r.try_get::<i64, _>("local")? != 0,
            origin: r.try_get("origin")?,
            handle: r.try_get("handle")?,
            name: r.try_get("name")?,
            summary: r.try_get("summary")?,
            url: r.try_get("url")?,
            icon_url: r.try_get("icon_url")?,
            industry: r.try_get("industry")?,
            skills: json_list(&r.try_get::<String, _>("skills")?),
            city: r.try_get("city")?,
            country: r.try_get("country")?,
            space_name: r.try_get("space_name")?,
            hiring: r.try_get::<i64, _>("hiring")? != 0,
            open_to_collaborate: r.try_get::<i64, _>("open_to_collaborate")? != 0,
            starts_at: r.try_get("starts_at")?,
            ends_at: r.try_get("ends_at")?,
            updated_at: r.try_get("updated_at")?,
            deleted: r.try_get::<i64, _>("deleted")? != 0,
            seq: r.try_get("seq")?,
        })
    }

    /// "Lisbon, PT" or whichever parts are known.
    pub fn place(&self) -> String {
        [self.city.as_str(), self.country.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn initials(&self) -> String {
        crate::accounts::model::initials(&self.name)
    }

    /// Where the card opens: local entries at their own page, remote ones at the local
    /// rendering of the remote profile.
    pub fn link(&self) -> String {
        if self.local {
            url::Url::parse(&self.url)
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| self.url.clone())
        } else {
            let uri: String = url::form_urlencoded::byte_serialize(self.uri.as_bytes()).collect();
            format!("/directory/entry?uri={uri}")
        }
    }

    /// Its page at its origin, re-checked before a page links it.
    pub fn origin_link(&self) -> Option<RemoteUrl> {
        RemoteUrl::stored(&self.url)
    }

    /// Its picture, when it has one at a web address.
    pub fn icon(&self) -> Option<RemoteUrl> {
        RemoteUrl::stored(&self.icon_url)
    }

    /// Events and other non-actors cannot be followed.
    pub fn followable(&self) -> bool {
        !matches!(self.kind, Kind::Event)
    }

    /// A date range for events, as "2026-12-01 – 2026-12-02".
    pub fn when(&self) -> String {
        let day = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        };
        match (self.starts_at, self.ends_at) {
            (Some(s), Some(e)) => format!("{} – {}", day(s), day(e)),
            (Some(s), None) => day(s),
            _ => String::new(),
        }
    }
}

/// A key for matching facet values regardless of case and spacing.
pub fn facet_key(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The first `max` characters of `s`.
pub fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
