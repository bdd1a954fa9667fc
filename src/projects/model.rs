//! What a project holds: the project itself, tasks on its board, notes with revisions, files,
//! and the deadlines calendars show.

use serde::Serialize;
use sqlx::Row as _;

use crate::federation::link::RemoteUrl;
use crate::storage::Row;

#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub id: i64,
    pub handle: String,
    pub name: String,
    pub summary: String,
    /// Joining needs a manager's approval.
    pub closed: bool,
    /// The URI of the member or company that created it.
    pub owner: String,
    #[serde(skip)]
    pub company_id: Option<i64>,
    #[serde(skip)]
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const PROJECT_COLUMNS: &str =
    "id, handle, name, summary, closed, owner, company_id, created_by, created_at, updated_at";

impl Project {
    /// The project as a federation actor (its group; identity only). A closed project approves
    /// each join.
    pub fn local_actor(&self) -> crate::federation::local::LocalActor {
        crate::federation::local::LocalActor::Project(crate::federation::local::Identity {
            id: self.id,
            handle: self.handle.clone(),
            name: self.name.clone(),
            locked: self.closed,
        })
    }

    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(Project {
            id: r.try_get("id")?,
            handle: r.try_get("handle")?,
            name: r.try_get("name")?,
            summary: r.try_get("summary")?,
            closed: r.try_get::<i64, _>("closed")? != 0,
            owner: r.try_get("owner")?,
            company_id: r.try_get("company_id")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// Where a task stands on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Todo,
    Doing,
    Done,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Todo, Status::Doing, Status::Done];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "todo" => Some(Status::Todo),
            "doing" => Some(Status::Doing),
            "done" => Some(Status::Done),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Todo => "todo",
            Status::Doing => "doing",
            Status::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Todo => "To do",
            Status::Doing => "Doing",
            Status::Done => "Done",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
}

impl Priority {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "normal" => Some(Priority::Normal),
            "low" => Some(Priority::Low),
            "high" => Some(Priority::High),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: i64,
    pub uri: String,
    /// The project's (group's) URI.
    pub project: String,
    pub local: bool,
    pub author: String,
    pub title: String,
    /// Plain text.
    pub description: String,
    pub status: Status,
    pub priority: Priority,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    pub assignees: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const TASK_COLUMNS: &str = "id, uri, project, local, author, title, description, status, \
    priority, due_on, created_at, updated_at";

impl Task {
    /// The description (markdown) as sanitised HTML.
    pub fn description_html(&self) -> String {
        crate::federation::html::markdown(&self.description)
    }

    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        let status: String = r.try_get("status")?;
        let priority: String = r.try_get("priority")?;
        Ok(Task {
            id: r.try_get("id")?,
            uri: r.try_get("uri")?,
            project: r.try_get("project")?,
            local: r.try_get::<i64, _>("local")? != 0,
            author: r.try_get("author")?,
            title: r.try_get("title")?,
            description: r.try_get("description")?,
            status: Status::parse(&status).unwrap_or(Status::Todo),
            priority: Priority::parse(&priority).unwrap_or(Priority::Normal),
            due_on: r.try_get("due_on")?,
            assignees: Vec::new(),
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    /// The last segment of a local task's URI.
    pub fn token(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }
}

/// A task's fields to store (new or changed).
#[derive(Debug, Clone)]
pub struct TaskFields {
    pub title: String,
    pub description: String,
    pub status: Status,
    pub priority: Priority,
    pub due_on: Option<String>,
    pub assignees: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: i64,
    pub uri: String,
    pub project: String,
    pub local: bool,
    pub author: String,
    pub title: String,
    /// Markdown, as written (pages and peers get it as sanitised HTML: [`Note::body_html`]).
    pub body: String,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const NOTE_COLUMNS: &str =
    "id, uri, project, local, author, title, body, revision, created_at, updated_at";

impl Note {
    /// The text (markdown) as sanitised HTML.
    pub fn body_html(&self) -> String {
        crate::federation::html::markdown(&self.body)
    }

    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(Note {
            id: r.try_get("id")?,
            uri: r.try_get("uri")?,
            project: r.try_get("project")?,
            local: r.try_get::<i64, _>("local")? != 0,
            author: r.try_get("author")?,
            title: r.try_get("title")?,
            body: r.try_get("body")?,
            revision: r.try_get("revision")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    pub fn token(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub number: i64,
    pub author: String,
    pub title: String,
    pub body: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectFile {
    pub id: i64,
    pub uri: String,
    pub project: String,
    pub local: bool,
    pub author: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    #[serde(skip)]
    pub media_key: String,
    /// Where the bytes are downloaded.
    pub url: String,
    pub created_at: i64,
}

impl ProjectFile {
    /// The download address, re-checked before a page links it.
    pub fn download(&self) -> Option<RemoteUrl> {
        RemoteUrl::stored(&self.url)
    }
}

pub const FILE_COLUMNS: &str =
    "id, uri, project, local, author, name, media_type, size, media_key, url, created_at";

impl ProjectFile {
    pub fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(ProjectFile {
            id: r.try_get("id")?,
            uri: r.try_get("uri")?,
            project: r.try_get("project")?,
            local: r.try_get::<i64, _>("local")? != 0,
            author: r.try_get("author")?,
            name: r.try_get("name")?,
            media_type: r.try_get("media_type")?,
            size: r.try_get("size")?,
            media_key: r.try_get("media_key")?,
            url: r.try_get("url")?,
            created_at: r.try_get("created_at")?,
        })
    }

    pub fn token(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }
}

/// A task deadline, as calendar feeds need it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Deadline {
    /// The task's URI: stable, so it doubles as the calendar entry's UID.
    pub uid: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    /// The page that shows the task (absolute).
    pub url: String,
    pub project_name: String,
    pub status: Status,
    /// When the task last changed (Unix milliseconds).
    pub updated_at: i64,
}
