//! What a post is: the row, its visibility, and what a new one needs.

use serde::Serialize;
use sqlx::Row as _;

use crate::storage::Row;

/// Who may read a post. `members` never leaves this instance; `direct` is a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Followers,
    Members,
    Direct,
}

impl Visibility {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "public" => Some(Visibility::Public),
            "followers" => Some(Visibility::Followers),
            "members" => Some(Visibility::Members),
            "direct" => Some(Visibility::Direct),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Followers => "followers",
            Visibility::Members => "members",
            Visibility::Direct => "direct",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Public => "Public",
            Visibility::Followers => "Followers only",
            Visibility::Members => "Members of this space",
            Visibility::Direct => "Direct",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: i64,
    pub uri: String,
    pub local: bool,
    pub author: String,
    pub kind: String,
    pub name: String,
    pub summary: String,
    /// Sanitised HTML.
    pub content: String,
    /// The plain text a local author wrote (for edits); empty for remote posts.
    #[serde(skip)]
    pub source: String,
    pub visibility: Visibility,
    pub in_reply_to: Option<String>,
    pub conversation: String,
    pub url: String,
    pub replies_count: i64,
    pub likes_count: i64,
    pub announces_count: i64,
    /// Emoji reactions received, by emoji, most used first (see `super::emoji`).
    pub reactions: Vec<super::emoji::EmojiCount>,
    pub published_at: i64,
    pub edited_at: Option<i64>,
    #[serde(skip)]
    pub deleted_at: Option<i64>,
}

pub const COLUMNS: &str = "id, uri, local, author, kind, name, summary, content, source, \
    visibility, in_reply_to, conversation, url, replies_count, likes_count, announces_count, \
    emoji_counts, published_at, edited_at, deleted_at";

impl Post {
    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        let visibility: String = r.try_get("visibility")?;
        Ok(Post {
            id: r.try_get("id")?,
            uri: r.try_get("uri")?,
            local: r.try_get::<i64, _>("local")? != 0,
            author: r.try_get("author")?,
            kind: r.try_get("kind")?,
            name: r.try_get("name")?,
            summary: r.try_get("summary")?,
            content: r.try_get("content")?,
            source: r.try_get("source")?,
            visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Direct),
            in_reply_to: r.try_get("in_reply_to")?,
            conversation: r.try_get("conversation")?,
            url: r.try_get("url")?,
            replies_count: r.try_get("replies_count")?,
            likes_count: r.try_get("likes_count")?,
            announces_count: r.try_get("announces_count")?,
            reactions: super::emoji::read_counts(&r.try_get::<String, _>("emoji_counts")?),
            published_at: r.try_get("published_at")?,
            edited_at: r.try_get("edited_at")?,
            deleted_at: r.try_get("deleted_at")?,
        })
    }

    /// The last path segment of a local post's URI (`/posts/{token}`).
    pub fn token(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// A post to store, local or received.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub uri: String,
    pub local: bool,
    pub author: String,
    pub kind: String,
    pub name: String,
    pub summary: String,
    pub content: String,
    pub source: String,
    pub visibility: Visibility,
    pub in_reply_to: Option<String>,
    pub conversation: String,
    pub url: String,
    pub published_at: i64,
    /// Addressees by name, with whether each was mentioned.
    pub audience: Vec<(String, bool)>,
    /// Hashtags, lower case, without `#`.
    pub tags: Vec<String>,
}
