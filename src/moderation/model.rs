//! Blocks, reports and audit lines as the rest of the program sees them.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row as _;

use crate::storage::{json_list, Row};

/// What a member keeps away: an actor blocked or muted, or a whole domain hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    Block,
    Mute,
    Domain,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Block => "block",
            BlockKind::Mute => "mute",
            BlockKind::Domain => "domain",
        }
    }
}

/// One of a member's blocks, mutes or hidden domains.
#[derive(Debug, Clone, Serialize)]
pub struct MemberBlock {
    pub kind: BlockKind,
    /// An actor URI, or a bare domain for [`BlockKind::Domain`].
    pub target: String,
    pub created_at: i64,
}

/// Why something is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Spam,
    Abuse,
    Illegal,
    Other,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Spam,
        Category::Abuse,
        Category::Illegal,
        Category::Other,
    ];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "spam" => Ok(Category::Spam),
            "abuse" => Ok(Category::Abuse),
            "illegal" => Ok(Category::Illegal),
            "other" => Ok(Category::Other),
            _ => Err("must be spam, abuse, illegal or other".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Spam => "spam",
            Category::Abuse => "abuse",
            Category::Illegal => "illegal",
            Category::Other => "other",
        }
    }
}

/// Where a report stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportState {
    Open,
    Resolved,
}

impl ReportState {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "open" => Ok(ReportState::Open),
            "resolved" => Ok(ReportState::Resolved),
            _ => Err("must be open or resolved".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Open => "open",
            ReportState::Resolved => "resolved",
        }
    }
}

/// A report in the queue. `origin` is `local` for a member's report, or the host of the
/// remote server that sent it as a `Flag`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: i64,
    pub state: ReportState,
    pub category: Category,
    pub comment: String,
    pub target: String,
    pub objects: Vec<String>,
    /// The handle of the local member who reported, if any.
    pub reporter: Option<String>,
    pub origin: String,
    pub forward: bool,
    /// The handle of the moderator who took it.
    pub assigned_to: Option<String>,
    pub resolved_by: Option<String>,
    pub resolution_note: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
}

impl Report {
    /// Columns for `SELECT {COLUMNS} FROM reports r`. The members a report names (reporter,
    /// assignee, resolver) are read by id; their handles come from the accounts' owner
    /// ([`Report::ids`] and [`Report::name`]).
    pub const COLUMNS: &'static str = "r.id, r.state, r.category, r.comment, r.target, \
        r.objects, r.origin, r.forward, r.resolution_note, r.created_at, r.updated_at, \
        r.resolved_at, r.reporter_id, r.assigned_to, r.resolved_by";

    /// The report of a row (members' handles still empty) and the ids of its reporter,
    /// assignee and resolver.
    pub fn from_row(row: &Row) -> Result<(Self, [Option<i64>; 3]), sqlx::Error> {
        let state: String = row.try_get("state")?;
        let category: String = row.try_get("category")?;
        let ids = [
            row.try_get("reporter_id")?,
            row.try_get("assigned_to")?,
            row.try_get("resolved_by")?,
        ];
        let report = Report {
            id: row.try_get("id")?,
            state: ReportState::parse(&state).unwrap_or(ReportState::Open),
            category: Category::parse(&category).unwrap_or(Category::Other),
            comment: row.try_get("comment")?,
            target: row.try_get("target")?,
            objects: json_list(&row.try_get::<String, _>("objects")?),
            reporter: None,
            origin: row.try_get("origin")?,
            forward: row.try_get::<i64, _>("forward")? != 0,
            assigned_to: None,
            resolved_by: None,
            resolution_note: row.try_get("resolution_note")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            resolved_at: row.try_get("resolved_at")?,
        };
        Ok((report, ids))
    }

    /// Fills in the handles of the members `ids` names (from [`Report::from_row`]) out of
    /// `handles`, by id.
    pub fn name(&mut self, ids: [Option<i64>; 3], handles: &HashMap<i64, String>) {
        let of = |id: Option<i64>| id.and_then(|id| handles.get(&id).cloned());
        self.reporter = of(ids[0]);
        self.assigned_to = of(ids[1]);
        self.resolved_by = of(ids[2]);
    }

    /// The time as pages show it.
    pub fn when(&self) -> String {
        crate::federation::protocol::datetime(self.created_at).replace('T', " ")
    }

    pub fn is_open(&self) -> bool {
        self.state == ReportState::Open
    }

    /// The target as a short handle, `@name@host` (the last part of its address), for lists.
    pub fn target_label(&self) -> String {
        let rest = self
            .target
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(&self.target);
        match (rest.split('/').next(), rest.rsplit('/').next()) {
            (Some(host), Some(name)) if !name.is_empty() && name != host => {
                format!("@{}@{host}", name.trim_start_matches('@'))
            }
            _ => self.target.clone(),
        }
    }
}

/// A line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// The handle of the moderator (or `cli` for the command line).
    pub moderator: String,
    pub action: String,
    pub target: String,
    pub report_id: Option<i64>,
    pub reason: String,
    pub created_at: i64,
}

impl AuditEntry {
    pub fn from_row(row: &Row) -> Result<Self, sqlx::Error> {
        Ok(AuditEntry {
            id: row.try_get("id")?,
            moderator: row.try_get("moderator")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            report_id: row.try_get("report_id")?,
            reason: row.try_get("reason")?,
            created_at: row.try_get("created_at")?,
        })
    }

    pub fn when(&self) -> String {
        crate::federation::protocol::datetime(self.created_at).replace('T', " ")
    }
}

/// Who does a moderation action, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn of(account: &crate::accounts::Account) -> Self {
        Actor {
            account_id: Some(account.id),
            name: account.handle.clone(),
        }
    }

    /// The command line, run by whoever holds the server.
    pub fn cli() -> Self {
        Actor {
            account_id: None,
            name: "cli".into(),
        }
    }
}

/// A moderator's limit on one remote actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorLimit {
    /// Hidden from public views and the directory.
    Limit,
    /// Hidden everywhere in the space.
    Suspend,
}

impl ActorLimit {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorLimit::Limit => "limit",
            ActorLimit::Suspend => "suspend",
        }
    }
}
