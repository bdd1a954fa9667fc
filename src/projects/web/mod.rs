//! Project pages: the list, creating one, a project's board (three columns), its members and
//! join requests, a task, a note (with its history) and a file, each with its comments; and
//! the same board and pages for a remote project a member joined, whose buttons send
//! activities to its group. `/projects/{handle}` is also the `Group` actor, by content
//! negotiation, and tasks, notes and files serve their ActivityStreams documents the same way
//! (see [`crate::federation::object`]).
//!
//! By job: [`board`] (the list, a new project, a board and what its forms add), [`items`] (a
//! task, note or file and what is done to it), [`members`] (members, requests, settings) and
//! [`remote`] (a remote project's board and items, whose buttons send activities). Who may do
//! what is decided in [`crate::projects::access`].

use std::collections::HashMap;

use axum::Router;

use super::model::{Status, Task};
use super::service;
use crate::error::Result;
use crate::federation::urls::Urls;
use crate::posts::people::{self, Person};
use crate::state::AppState;
use crate::web::page::PageCtx;

mod board;
mod items;
mod members;
mod remote;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(board::routes())
        .merge(items::routes())
        .merge(members::routes())
        .merge(remote::routes())
}

fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%-d %b %Y %H:%M").to_string())
        .unwrap_or_default()
}

fn me_uri(state: &AppState, ctx: &PageCtx) -> Option<String> {
    super::access::member_uri(state, ctx.user.as_ref())
}

async fn person_map(state: &AppState, uris: Vec<String>) -> Result<HashMap<String, Person>> {
    people::people(state, uris).await
}

fn person(map: &HashMap<String, Person>, uri: &str) -> Person {
    map.get(uri)
        .cloned()
        .unwrap_or_else(|| Person::unknown(uri))
}

/// A task as the board shows it.
pub struct TaskRow {
    pub task: Task,
    pub link: String,
    /// Where a local project's forms for this task post: its own page, or, for a task another
    /// server holds (a Lemmy user's post to the group), `/projects/{handle}/item` with its URI.
    pub action: String,
    pub assignees: Vec<Person>,
    pub mine: bool,
}

async fn task_rows(state: &AppState, tasks: Vec<Task>, me: Option<&str>) -> Result<Vec<TaskRow>> {
    let uris: Vec<String> = tasks
        .iter()
        .flat_map(|t| t.assignees.iter().cloned())
        .collect();
    let map = person_map(state, uris).await?;
    Ok(tasks
        .into_iter()
        .map(|t| TaskRow {
            action: action_base(state, &t.project, &t.uri),
            link: service::local_link(state, &t.uri),
            assignees: t.assignees.iter().map(|a| person(&map, a)).collect(),
            mine: me.is_some_and(|m| t.assignees.iter().any(|a| a == m)),
            task: t,
        })
        .collect())
}

/// See [`TaskRow::action`].
fn action_base(state: &AppState, project: &str, uri: &str) -> String {
    let urls = Urls::new(state.config.as_ref());
    let local = |u: &str| u.starts_with(&format!("{}/", urls.base()));
    match (local(project), local(uri)) {
        (true, true) => uri.trim_start_matches(urls.base()).to_string(),
        (true, false) => format!("{}/item", project.trim_start_matches(urls.base())),
        _ => String::new(),
    }
}

pub struct Column {
    pub status: Status,
    pub tasks: Vec<TaskRow>,
}

fn columns(rows: Vec<TaskRow>) -> Vec<Column> {
    let mut cols: Vec<Column> = Status::ALL
        .iter()
        .map(|s| Column {
            status: *s,
            tasks: Vec::new(),
        })
        .collect();
    for r in rows {
        let i = Status::ALL
            .iter()
            .position(|s| *s == r.task.status)
            .unwrap_or(0);
        cols[i].tasks.push(r);
    }
    cols
}

pub struct Link {
    pub title: String,
    pub link: String,
    pub meta: String,
}
