//! Companies, their members' roles and pending invitations.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use crate::storage::{json_list, Row};

/// What a member may do in a company. Owners and admins manage it; only owners can remove
/// other owners or make someone an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            _ => Err("must be owner, admin or member".into()),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }

    /// Owners and admins edit the company and manage its members.
    pub fn can_manage(&self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// Size brackets offered for a company.
pub const SIZES: &[&str] = &["1", "2-10", "11-50", "51-200", "201-1000", "1000+"];

#[derive(Debug, Clone, Serialize)]
pub struct Company {
    pub id: i64,
    pub handle: String,
    pub name: String,
    pub description: String,
    pub industry: String,
    pub skills: Vec<String>,
    pub city: String,
    pub country: String,
    pub website: String,
    pub size: String,
    #[serde(skip)]
    pub logo_key: Option<String>,
    pub hiring: bool,
    pub open_to_collaborate: bool,
    pub discoverable: bool,
    /// Followers need approval (`manuallyApprovesFollowers`).
    pub locked: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Company {
    /// The company as a federation actor (identity only).
    pub fn local_actor(&self) -> crate::federation::local::LocalActor {
        crate::federation::local::LocalActor::Company(crate::federation::local::Identity {
            id: self.id,
            handle: self.handle.clone(),
            name: self.name.clone(),
            locked: self.locked,
        })
    }

    pub const COLUMNS: &'static str = "companies.id, companies.handle, companies.name, \
        companies.description, companies.industry, companies.skills, companies.city, \
        companies.country, companies.website, companies.size, companies.logo_key, companies.hiring, \
        companies.open_to_collaborate, companies.discoverable, companies.locked, companies.created_at, \
        companies.updated_at";

    pub fn from_row(row: &Row) -> Result<Self, sqlx::Error> {
        Ok(Company {
            id: row.try_get("id")?,
            handle: row.try_get("handle")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            industry: row.try_get("industry")?,
            skills: json_list(&row.try_get::<String, _>("skills")?),
            city: row.try_get("city")?,
            country: row.try_get("country")?,
            website: row.try_get("website")?,
            size: row.try_get("size")?,
            logo_key: row.try_get("logo_key")?,
            hiring: row.try_get::<i64, _>("hiring")? != 0,
            open_to_collaborate: row.try_get::<i64, _>("open_to_collaborate")? != 0,
            discoverable: row.try_get::<i64, _>("discoverable")? != 0,
            locked: row.try_get::<i64, _>("locked")? != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    pub fn logo_url(&self) -> Option<String> {
        self.logo_key.as_ref().map(|k| format!("/media/{k}"))
    }

    pub fn initials(&self) -> String {
        crate::accounts::model::initials(&self.name)
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

/// A company a member belongs to, with the member's role.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    pub handle: String,
    pub name: String,
    pub role: Role,
}

/// A member of a company, for the members page.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyMember {
    pub handle: String,
    pub display_name: String,
    #[serde(skip)]
    pub avatar_key: Option<String>,
    pub role: Role,
    pub joined_at: i64,
}

impl CompanyMember {
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.handle
        } else {
            &self.display_name
        }
    }

    pub fn initials(&self) -> String {
        crate::accounts::model::initials(self.name())
    }

    pub fn avatar_url(&self) -> Option<String> {
        self.avatar_key.as_ref().map(|k| format!("/media/{k}"))
    }
}

/// An invitation to join a company, waiting for the invited member's answer.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyInvite {
    pub id: i64,
    pub company_handle: String,
    pub company_name: String,
    pub member_handle: String,
    pub role: Role,
    pub created_at: i64,
}

pub fn role_from_row(row: &Row) -> Result<Role, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(Role::parse(&role).unwrap_or(Role::Member))
}
