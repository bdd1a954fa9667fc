//! The space this instance hosts, and how newcomers may join it.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::storage::Row;

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone may sign up.
    Open,
    /// Only with an invite link.
    Invite,
    /// Nobody; administrators create accounts.
    Closed,
}

impl RegistrationMode {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "open" => Ok(Self::Open),
            "invite" => Ok(Self::Invite),
            "closed" => Ok(Self::Closed),
            _ => Err("must be open, invite or closed".into()),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Invite => "invite",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Space {
    pub name: String,
    pub description: String,
    pub address: String,
    pub city: String,
    pub country: String,
    pub website: String,
    pub registration_mode: RegistrationMode,
    /// The IANA time zone wall times are read and shown in (bookings, opening hours).
    pub timezone: String,
    /// New members must confirm their e-mail address before they act.
    pub require_email_verification: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Space {
    pub fn from_row(row: &Row) -> Result<Self, sqlx::Error> {
        let mode: String = row.try_get("registration_mode")?;
        Ok(Space {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            address: row.try_get("address")?,
            city: row.try_get("city")?,
            country: row.try_get("country")?,
            website: row.try_get("website")?,
            registration_mode: RegistrationMode::parse(&mode).unwrap_or(RegistrationMode::Closed),
            timezone: row.try_get("timezone")?,
            require_email_verification: row.try_get::<i64, _>("require_email_verification")? != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
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
}

/// The validated details of a space, as set at setup and in the admin settings.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SpaceForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub website: String,
}

/// Space details after validation.
#[derive(Debug, Clone)]
pub struct SpaceDetails {
    pub name: String,
    pub description: String,
    pub address: String,
    pub city: String,
    pub country: String,
    pub website: String,
}

impl SpaceForm {
    pub fn validate(&self, errors: &mut crate::validate::FieldErrors) -> Option<SpaceDetails> {
        use crate::validate::{country, line, text, web_url};
        let name = errors.check("name", line(&self.name, 80, true));
        let description = errors.check("description", text(&self.description, 2000, false));
        let address = errors.check("address", text(&self.address, 300, false));
        let city = errors.check("city", line(&self.city, 80, false));
        let country = errors.check("country", country(&self.country));
        let website = errors.check("website", web_url(&self.website));
        Some(SpaceDetails {
            name: name?,
            description: description?,
            address: address?,
            city: city?,
            country: country?,
            website: website?,
        })
    }
}

/// An invite link.
#[derive(Debug, Clone, Serialize)]
pub struct Invite {
    pub code: String,
    pub max_uses: i64,
    pub uses: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

impl Invite {
    pub fn from_row(row: &Row) -> Result<Self, sqlx::Error> {
        Ok(Invite {
            code: row.try_get("code")?,
            max_uses: row.try_get("max_uses")?,
            uses: row.try_get("uses")?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
        })
    }
}
