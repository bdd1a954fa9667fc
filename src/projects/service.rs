//! The rules of projects: who creates and manages one, who joins (one click here, `Follow`
//! from elsewhere, approval when closed), who may write on the board, what a valid task, note
//! or file is. Every write that peers must learn about queues the group's `Announce` in the
//! same transaction.

use serde::Deserialize;
use serde_json::Value;

use super::model::{Note, Priority, Project, ProjectFile, Status, Task, TaskFields};
use super::{federate, objects, store};
use crate::accounts::{session::random_token, Account};
use crate::error::{Error, Result};
use crate::federation::local::LocalActor;
use crate::federation::urls::Urls;
use crate::federation::{activities, delivery, follows, remote};
use crate::hub::follows as hub_follows;
use crate::state::AppState;
use crate::storage::now_ms;
use crate::validate::{line, text, FieldErrors, Handle};

pub const MAX_NAME: usize = 100;
pub const MAX_SUMMARY: usize = 2_000;
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 10_000;
pub const MAX_NOTE: usize = 100_000;
pub const MAX_ASSIGNEES: usize = 20;

/// What a member submits to create (or edit) a project.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProjectForm {
    #[serde(default)]
    pub handle: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub summary: String,
    /// "on" (or `true` in JSON) when joining needs approval.
    #[serde(default, deserialize_with = "flag")]
    pub closed: bool,
    /// Who owns it: "" (yourself) or `company:HANDLE`.
    #[serde(default, rename = "as")]
    pub as_actor: String,
}

/// A checkbox ("on") or a JSON boolean.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => matches!(s.as_str(), "on" | "true" | "1" | "yes"),
        Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    })
}

pub fn uri_of(state: &AppState, project: &Project) -> String {
    Urls::new(&state.config).project(&project.handle)
}

fn member_uri(state: &AppState, account: &Account) -> String {
    Urls::new(&state.config).member(&account.handle)
}

/// Any member creates a project, for themself or for a company they manage; they become its
/// first member.
pub async fn create(state: &AppState, by: &Account, form: &ProjectForm) -> Result<Project> {
    let urls = Urls::new(&state.config);
    let mut errors = FieldErrors::new();
    let handle = errors
        .check("handle", Handle::parse(&form.handle))
        .and_then(|h| {
            if h.as_str() == "new" {
                errors.add("handle", "is reserved; choose another");
                None
            } else {
                Some(h)
            }
        });
    let name = errors.check("name", line(&form.name, MAX_NAME, true));
    let summary = errors.check("summary", text(&form.summary, MAX_SUMMARY, false));
    let owner = match form.as_actor.trim() {
        "" | "me" => Some(by.local_actor()),
        other => match crate::posts::service::author_for(state, by, other).await {
            Ok(actor @ LocalActor::Company(_)) => Some(actor),
            _ => {
                errors.add("as", "is not a company you manage");
                None
            }
        },
    };
    errors.into_result()?;
    let (Some(handle), Some(name), Some(summary), Some(owner)) = (handle, name, summary, owner)
    else {
        return Err(Error::Internal(anyhow::anyhow!(
            "validated project missing"
        )));
    };
    let company_id = match &owner {
        LocalActor::Company(c) => Some(c.id),
        _ => None,
    };
    let keys = crate::federation::keys::generate().await?;
    let mut tx = state.db.begin_write().await?;
    if store::handle_taken(&mut tx, handle.as_str()).await? {
        return Err(Error::invalid("handle", "is already taken"));
    }
    store::insert(
        &mut tx,
        handle.as_str(),
        &name,
        &summary,
        form.closed,
        &owner.uri(&urls),
        company_id,
        by.id,
        &keys,
    )
    .await?;
    follows::record_tx(
        &mut tx,
        &urls.member(&by.handle),
        &urls.project(handle.as_str()),
        true,
        &activities::new_id(&urls),
    )
    .await?;
    tx.commit().await?;
    store::by_handle(&state.db, handle.as_str())
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("project vanished after insert")))
}

pub async fn get(state: &AppState, handle: &str) -> Result<Project> {
    store::by_handle(&state.db, handle)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn is_manager(state: &AppState, project: &Project, account: &Account) -> Result<bool> {
    Ok(store::managers(&state.db, project)
        .await?
        .contains(&account.id))
}

/// The project, when `account` manages it; 403 otherwise.
pub async fn managed(state: &AppState, handle: &str, account: &Account) -> Result<Project> {
    let project = get(state, handle).await?;
    if !is_manager(state, &project, account).await? {
        return Err(Error::forbidden("Only the project's managers may do this."));
    }
    Ok(project)
}

/// Managers change the name, summary and whether joining needs approval.
pub async fn update(
    state: &AppState,
    handle: &str,
    by: &Account,
    form: &ProjectForm,
) -> Result<Project> {
    let project = managed(state, handle, by).await?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", line(&form.name, MAX_NAME, true));
    let summary = errors.check("summary", text(&form.summary, MAX_SUMMARY, false));
    errors.into_result()?;
    let (Some(name), Some(summary)) = (name, summary) else {
        return Err(Error::Internal(anyhow::anyhow!(
            "validated project missing"
        )));
    };
    let mut tx = state.db.begin_write().await?;
    store::update(&mut tx, project.id, &name, &summary, form.closed).await?;
    tx.commit().await?;
    let project = get(state, handle).await?;
    let doc = serde_json::to_value(objects::group(state, &project).await?)
        .map_err(anyhow::Error::from)?;
    crate::federation::outbound::actor_updated(state, &project.local_actor(), &doc).await?;
    Ok(project)
}

/// A local member joins: at once when open, as a request when closed. Returns the state.
pub async fn join(state: &AppState, by: &Account, project: &Project) -> Result<String> {
    let uri = uri_of(state, project);
    Ok(hub_follows::follow(state, by, &uri).await?.state)
}

/// A local member leaves (or withdraws a request).
pub async fn leave(state: &AppState, by: &Account, project: &Project) -> Result<()> {
    hub_follows::unfollow(state, by, &uri_of(state, project)).await
}

/// A manager approves or refuses a join request (local or remote).
pub async fn answer(
    state: &AppState,
    by: &Account,
    handle: &str,
    actor: &str,
    accept: bool,
) -> Result<()> {
    let project = managed(state, handle, by).await?;
    hub_follows::answer_request(state, &project.local_actor(), actor, accept).await
}

/// A manager removes a member. A member on another server is sent a `Reject` of its `Follow`
/// (as Mastodon removes a follower), so its server forgets the membership too.
pub async fn remove_member(
    state: &AppState,
    by: &Account,
    handle: &str,
    actor: &str,
) -> Result<()> {
    let project = managed(state, handle, by).await?;
    let urls = Urls::new(&state.config);
    let group = uri_of(state, &project);
    let membership = follows::get(&state.db, actor, &group)
        .await?
        .filter(follows::Follow::accepted)
        .ok_or(Error::NotFound)?;
    if !follows::remove(&state.db, actor, &group).await? {
        // Removed meanwhile by another manager, who sent the `Reject`.
        return Err(Error::NotFound);
    }
    if let Some(remote) = remote::by_uri(&state.db, actor).await? {
        let mut follow = activities::follow(&urls, actor, &group);
        follow["id"] = Value::String(membership.activity_uri.clone());
        let reject = activities::answer_follow(&urls, false, &group, &follow);
        follows::send(
            state,
            &project.local_actor(),
            &reject,
            false,
            std::slice::from_ref(&remote.inbox),
        )
        .await?;
    }
    Ok(())
}

/// 403 unless `account` is a member of `project`.
async fn require_member(state: &AppState, project_uri: &str, account: &Account) -> Result<()> {
    if !store::is_member(&state.db, project_uri, &member_uri(state, account)).await? {
        return Err(Error::forbidden("Join the project first."));
    }
    Ok(())
}

// --- tasks ----------------------------------------------------------------------------------

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

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

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

// --- notes ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

pub fn check_note(form: &NoteForm) -> Result<(String, String)> {
    let mut errors = FieldErrors::new();
    let title = errors.check("title", line(&form.title, MAX_TITLE, true));
    let body = errors.check("body", text(&form.body, MAX_NOTE, false));
    errors.into_result()?;
    match (title, body) {
        (Some(t), Some(b)) => Ok((t, b)),
        _ => Err(Error::Internal(anyhow::anyhow!("validated note missing"))),
    }
}

pub async fn create_note(
    state: &AppState,
    by: &Account,
    project: &Project,
    form: &NoteForm,
) -> Result<Note> {
    let urls = Urls::new(&state.config);
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let (title, body) = check_note(form)?;
    let uri = format!("{project_uri}/notes/{}", random_token());
    let me = urls.member(&by.handle);
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let id = store::insert_note(&mut tx, &uri, &project_uri, true, &me, &title, &body, now).await?;
    let note = Note {
        id,
        uri,
        project: project_uri,
        local: true,
        author: me.clone(),
        title,
        body,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    let activity = objects::activity(&urls, "Create", &me, &objects::note(&note));
    federate::announce(state, &mut tx, project, &activity).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(note)
}

/// Any member saves a new revision of a note; every save is kept.
pub async fn edit_note(
    state: &AppState,
    by: &Account,
    project: &Project,
    note: &Note,
    form: &NoteForm,
) -> Result<Note> {
    let urls = Urls::new(&state.config);
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let (title, body) = check_note(form)?;
    let me = urls.member(&by.handle);
    let mut tx = state.db.begin_write().await?;
    let revision = store::revise_note(&mut tx, note, &me, &title, &body).await?;
    let note = Note {
        title,
        body,
        revision,
        updated_at: now_ms(),
        ..note.clone()
    };
    let activity = objects::activity(&urls, "Update", &me, &objects::note(&note));
    federate::announce(state, &mut tx, project, &activity).await?;
    tx.commit().await?;
    delivery::wake(state);
    Ok(note)
}

// --- files ----------------------------------------------------------------------------------

/// Stores an uploaded file (already checked by [`super::files::check`]) and announces it.
pub async fn add_file(
    state: &AppState,
    by: &Account,
    project: &Project,
    name: &str,
    data: Vec<u8>,
) -> Result<ProjectFile> {
    let urls = Urls::new(&state.config);
    let project_uri = uri_of(state, project);
    require_member(state, &project_uri, by).await?;
    let checked = super::files::check(name, &data)?;
    let token = random_token();
    let key = format!("files/{token}.{}", checked.extension);
    state.media.put(&key, data.clone()).await?;
    let uri = format!("{project_uri}/files/{token}");
    let me = urls.member(&by.handle);
    let now = now_ms();
    let url = format!("{uri}/download");
    let written = async {
        let mut tx = state.db.begin_write().await?;
        let id = store::insert_file(
            &mut tx,
            &uri,
            &project_uri,
            true,
            &me,
            &checked.name,
            checked.media_type,
            data.len() as i64,
            &key,
            &url,
            now,
        )
        .await?;
        let file = ProjectFile {
            id,
            uri: uri.clone(),
            project: project_uri.clone(),
            local: true,
            author: me.clone(),
            name: checked.name.clone(),
            media_type: checked.media_type.to_string(),
            size: data.len() as i64,
            media_key: key.clone(),
            url: url.clone(),
            created_at: now,
        };
        let activity = objects::activity(&urls, "Create", &me, &objects::file(&file));
        federate::announce(state, &mut tx, project, &activity).await?;
        tx.commit().await?;
        Ok::<_, Error>(file)
    }
    .await;
    match written {
        Ok(file) => {
            delivery::wake(state);
            Ok(file)
        }
        Err(e) => {
            // Nothing stored half: the bytes go when the row could not be written.
            state.media.delete(&key).await;
            Err(e)
        }
    }
}

// --- deletion -------------------------------------------------------------------------------

/// The author of a task, note or file, or a manager, deletes it: its address answers 410 and
/// the group announces the `Delete`.
pub async fn delete_item(
    state: &AppState,
    by: &Account,
    project: &Project,
    uri: &str,
    author: &str,
    former_type: &str,
) -> Result<()> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&by.handle);
    if author != me && !is_manager(state, project, by).await? {
        return Err(Error::forbidden(
            "Only its author or the project's managers may delete this.",
        ));
    }
    let project_uri = uri_of(state, project);
    let mut tx = state.db.begin_write().await?;
    let media = store::delete_item(&mut tx, uri).await?;
    crate::federation::tombstones::insert(&mut tx, uri, former_type).await?;
    let activity = objects::delete(&urls, &me, uri, former_type, &project_uri);
    federate::announce(state, &mut tx, project, &activity).await?;
    tx.commit().await?;
    if let Some(key) = media {
        state.media.delete(&key).await;
    }
    delivery::wake(state);
    Ok(())
}
