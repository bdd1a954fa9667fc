//! Tasks of a project's board: the form and its checks, assignees, creating, editing,
//! taking and moving a task.

use serde::Deserialize;

use super::*;

use crate::accounts::{session::random_token, Account};
use crate::error::{Error, Result};
use crate::federation::urls::Urls;
use crate::federation::{delivery, remote};
use crate::projects::model::{Priority, Project, Status, Task, TaskFields};
use crate::projects::{federate, objects, store};
use crate::state::AppState;
use crate::storage::now_ms;
use crate::validate::{line, text, FieldErrors};

/// Assignees as a JSON list or as text separated by commas or spaces.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Assignees {
    List(Vec<String>),
    Text(String),
}

impl Default for Assignees {
    fn default() -> Self {
        Assignees::List(Vec::new())
    }
}

impl Assignees {
    fn entries(&self) -> Vec<String> {
        let all: Vec<String> = match self {
            Assignees::List(l) => l.iter().map(|s| s.trim().to_string()).collect(),
            Assignees::Text(t) => t.split([',', ' ', '\n']).map(str::to_string).collect(),
        };
        all.into_iter().filter(|s| !s.trim().is_empty()).collect()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub priority: String,
    /// `YYYY-MM-DD`, or empty.
    #[serde(default)]
    pub due_on: String,
    #[serde(default)]
    pub assignees: Assignees,
}

impl TaskForm {
    pub fn of(task: &Task, names: &[String]) -> Self {
        TaskForm {
            title: task.title.clone(),
            description: task.description.clone(),
            status: task.status.as_str().into(),
            priority: task.priority.as_str().into(),
            due_on: task.due_on.clone().unwrap_or_default(),
            assignees: Assignees::Text(names.join(", ")),
        }
    }

    pub fn assignees_text(&self) -> String {
        self.assignees.entries().join(", ")
    }
}

/// `YYYY-MM-DD` (a real date), or empty.
pub fn due_date(raw: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(|d| Some(d.format("%Y-%m-%d").to_string()))
        .map_err(|_| "must be a date written YYYY-MM-DD".to_string())
}

/// The member an assignee entry names (`@name`, `@name@host`, `name` or an actor URL), when
/// that actor is a member of the project.
async fn resolve_assignee(
    state: &AppState,
    members: &[String],
    entry: &str,
) -> Result<Option<String>> {
    let urls = Urls::new(&state.config);
    let entry = entry.trim();
    if entry.starts_with("https://") || entry.starts_with("http://") {
        return Ok(members.iter().find(|m| *m == entry).cloned());
    }
    let acct = entry.trim_start_matches('@').to_ascii_lowercase();
    let uri = match acct.split_once('@') {
        None => Some(urls.member(&acct)),
        Some((name, host)) if host == urls.domain() => Some(urls.member(name)),
        Some((name, host)) => remote::by_handle(&state.db, name, host)
            .await?
            .map(|a| a.uri),
    };
    Ok(uri.filter(|u| members.contains(u)))
}

/// Checks a task form against the project's members.
pub async fn check_task(
    state: &AppState,
    project_uri: &str,
    form: &TaskForm,
) -> Result<TaskFields> {
    let mut errors = FieldErrors::new();
    let basic = basic_fields(form, &mut errors);
    let entries = form.assignees.entries();
    let mut assignees = Vec::new();
    if entries.len() > MAX_ASSIGNEES {
        errors.add(
            "assignees",
            format!("may name at most {MAX_ASSIGNEES} people"),
        );
    } else {
        let members = store::members(&state.db, project_uri).await?;
        for e in &entries {
            match resolve_assignee(state, &members, e).await? {
                Some(uri) if !assignees.contains(&uri) => assignees.push(uri),
                Some(_) => {}
                None => errors.add("assignees", format!("{e} is not a member of this project")),
            }
        }
    }
    errors.into_result()?;
    let mut fields =
        basic.ok_or_else(|| Error::Internal(anyhow::anyhow!("validated task missing")))?;
    fields.assignees = assignees;
    Ok(fields)
}

/// Everything of a task form but the assignees (left empty), with errors recorded.
fn basic_fields(form: &TaskForm, errors: &mut FieldErrors) -> Option<TaskFields> {
    let title = errors.check("title", line(&form.title, MAX_TITLE, true));
    let description = errors.check(
        "description",
        text(&form.description, MAX_DESCRIPTION, false),
    );
    let status = Status::parse(&form.status);
    if status.is_none() {
        errors.add("status", "must be todo, doing or done");
    }
    let priority = Priority::parse(&form.priority);
    if priority.is_none() {
        errors.add("priority", "must be low, normal or high");
    }
    let due_on = errors.check("due_on", due_date(&form.due_on));
    Some(TaskFields {
        title: title?,
        description: description?,
        status: status?,
        priority: priority?,
        due_on: due_on?,
        assignees: Vec::new(),
    })
}

/// A task form without assignees (a remote project's task edited from here keeps its
/// assignees; the group checks them).
pub fn check_task_fields(form: &TaskForm) -> Result<TaskFields> {
    let mut errors = FieldErrors::new();
    let fields = basic_fields(form, &mut errors);
    errors.into_result()?;
    fields.ok_or_else(|| Error::Internal(anyhow::anyhow!("validated task missing")))
}

/// The local path of a URI on this instance, or the URI itself.
pub fn local_link(state: &AppState, uri: &str) -> String {
    let urls = Urls::new(&state.config);
    match uri.strip_prefix(urls.base()) {
        Some(path) if path.starts_with('/') => path.to_string(),
        _ => format!("/projects/remote/item?uri={}", urlencode(uri)),
    }
}

pub use crate::federation::urls::urlencode;

pub async fn create_task(
    state: &AppState,
    by: &Account,
    project: &Project,
    form: &TaskForm,
) -> Result<Task> {
    let urls = Urls::new(&state.config);
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let fields = check_task(state, &project_uri, form).await?;
    let uri = format!("{project_uri}/tasks/{}", random_token());
    let me = urls.member(&by.handle);
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let id = store::insert_task(&mut tx, &uri, &project_uri, true, &me, &fields, now).await?;
    let task = task_with(id, &uri, &project_uri, true, &me, &fields, now, now);
    federate::notify_assigned(state, &mut tx, &task, &[], &me, &format!("@{}", by.handle)).await?;
    let activity = objects::activity(&urls, "Create", &me, &objects::task(&task));
    federate::announce(state, &mut tx, project, &activity).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(task)
}

/// A task as stored from `fields`.
#[allow(clippy::too_many_arguments)]
pub fn task_with(
    id: i64,
    uri: &str,
    project: &str,
    local: bool,
    author: &str,
    f: &TaskFields,
    created_at: i64,
    updated_at: i64,
) -> Task {
    Task {
        id,
        uri: uri.to_string(),
        project: project.to_string(),
        local,
        author: author.to_string(),
        title: f.title.clone(),
        description: f.description.clone(),
        status: f.status,
        priority: f.priority,
        due_on: f.due_on.clone(),
        assignees: f.assignees.clone(),
        created_at,
        updated_at,
    }
}

/// Any member edits any task of the board (it is shared work); assignees stay members. With
/// `keep_assignees` (an API edit that does not name them) the assignees stay as they are at
/// the moment of the write, not as they were read.
pub async fn update_task(
    state: &AppState,
    by: &Account,
    project: &Project,
    task: &Task,
    form: &TaskForm,
    keep_assignees: bool,
) -> Result<Task> {
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let fields = check_task(state, &project_uri, form).await?;
    save_task(state, by, project, task, |current| {
        let assignees = std::mem::take(&mut current.assignees);
        *current = fields;
        if keep_assignees {
            current.assignees = assignees;
        }
    })
    .await
}

/// Changes a task: `change` is applied to the task as it is inside the write transaction,
/// with the task's row held ([`store::task_for_update`]), so members taking one task at once
/// are all kept, and a status change never drops a taker.
async fn save_task(
    state: &AppState,
    by: &Account,
    project: &Project,
    task: &Task,
    change: impl FnOnce(&mut TaskFields),
) -> Result<Task> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&by.handle);
    let mut tx = state.db.begin_write().await?;
    let task = store::task_for_update(&mut tx, task.id)
        .await?
        .ok_or(Error::NotFound)?;
    let mut fields = fields_of(&task);
    change(&mut fields);
    let fields = &fields;
    store::update_task(&mut tx, task.id, fields).await?;
    let updated = task_with(
        task.id,
        &task.uri,
        &task.project,
        task.local,
        &task.author,
        fields,
        task.created_at,
        now_ms(),
    );
    federate::notify_assigned(
        state,
        &mut tx,
        &updated,
        &task.assignees,
        &me,
        &format!("@{}", by.handle),
    )
    .await?;
    let activity = objects::activity(&urls, "Update", &me, &objects::task(&updated));
    federate::announce(state, &mut tx, project, &activity).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(updated)
}

/// "Take this task": the member joins its assignees, and a task still to do moves to doing.
pub async fn take_task(
    state: &AppState,
    by: &Account,
    project: &Project,
    task: &Task,
) -> Result<Task> {
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let me = member_uri(state, by);
    save_task(state, by, project, task, |fields| {
        if !fields.assignees.contains(&me) {
            fields.assignees.push(me);
        }
        if fields.status == Status::Todo {
            fields.status = Status::Doing;
        }
    })
    .await
}

/// Moves a task to another column.
pub async fn set_status(
    state: &AppState,
    by: &Account,
    project: &Project,
    task: &Task,
    status: &str,
) -> Result<Task> {
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let status = Status::parse(status)
        .ok_or_else(|| Error::invalid("status", "must be todo, doing or done"))?;
    save_task(state, by, project, task, |fields| fields.status = status).await
}

pub fn fields_of(task: &Task) -> TaskFields {
    TaskFields {
        title: task.title.clone(),
        description: task.description.clone(),
        status: task.status,
        priority: task.priority,
        due_on: task.due_on.clone(),
        assignees: task.assignees.clone(),
    }
}
