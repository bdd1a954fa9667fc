//! A member account as the rest of the program sees it.

use serde::{Deserialize, Serialize};

use crate::storage::{json_list, Row};
use sqlx::Row as _;

/// A labelled link on a profile (Mastodon shows these as profile fields).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProfileLink {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub handle: String,
    #[serde(skip)]
    pub email: String,
    pub display_name: String,
    pub bio: String,
    pub skills: Vec<String>,
    pub links: Vec<ProfileLink>,
    #[serde(skip)]
    pub avatar_key: Option<String>,
    pub is_admin: bool,
    /// May work the moderation queue (administrators may too).
    pub is_moderator: bool,
    /// Suspended by a moderator: no sign-in, actor and content hidden.
    pub suspended: bool,
    pub discoverable: bool,
    /// Followers need approval (`manuallyApprovesFollowers`).
    pub locked: bool,
    /// The member proved the e-mail address (a confirmation link, or an administrator).
    #[serde(skip)]
    pub email_verified: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Account {
    /// The member as a federation actor (identity only).
    pub fn local_actor(&self) -> crate::federation::local::LocalActor {
        crate::federation::local::LocalActor::Member(crate::federation::local::Identity {
            id: self.id,
            handle: self.handle.clone(),
            name: self.name().to_string(),
            locked: self.locked,
        })
    }

    /// The columns [`Account::from_row`] reads, for `SELECT {COLUMNS} FROM accounts`.
    pub const COLUMNS: &'static str = "accounts.id, accounts.handle, accounts.email, \
        accounts.display_name, accounts.bio, accounts.skills, accounts.links, accounts.avatar_key, \
        accounts.is_admin, accounts.is_moderator, accounts.suspended_at, accounts.discoverable, \
        accounts.locked, accounts.email_verified_at, accounts.created_at, accounts.updated_at";

    pub fn from_row(row: &Row) -> Result<Self, sqlx::Error> {
        Ok(Account {
            id: row.try_get("id")?,
            handle: row.try_get("handle")?,
            email: row.try_get("email")?,
            display_name: row.try_get("display_name")?,
            bio: row.try_get("bio")?,
            skills: json_list(&row.try_get::<String, _>("skills")?),
            links: serde_json::from_str(&row.try_get::<String, _>("links")?).unwrap_or_default(),
            avatar_key: row.try_get("avatar_key")?,
            is_admin: row.try_get::<i64, _>("is_admin")? != 0,
            is_moderator: row.try_get::<i64, _>("is_moderator")? != 0,
            suspended: row.try_get::<Option<i64>, _>("suspended_at")?.is_some(),
            discoverable: row.try_get::<i64, _>("discoverable")? != 0,
            locked: row.try_get::<i64, _>("locked")? != 0,
            email_verified: row
                .try_get::<Option<i64>, _>("email_verified_at")?
                .is_some(),
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }

    /// Whether the member may work the moderation queue.
    pub fn can_moderate(&self) -> bool {
        self.is_admin || self.is_moderator
    }

    /// The name to show: the display name, or the handle when none is set.
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.handle
        } else {
            &self.display_name
        }
    }

    /// Path of the avatar image, if one was uploaded.
    pub fn avatar_url(&self) -> Option<String> {
        self.avatar_key.as_ref().map(|k| format!("/media/{k}"))
    }

    /// Initials for the placeholder avatar.
    pub fn initials(&self) -> String {
        initials(self.name())
    }
}

/// Up to two initials of a name, upper-cased.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(|c| c.to_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn initials() {
        assert_eq!(super::initials("ada lovelace"), "AL");
        assert_eq!(super::initials("Grace"), "G");
        assert_eq!(super::initials("  "), "");
    }
}
