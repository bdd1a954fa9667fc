//! Project pages: the list, creating one, a project's board (three columns), its members and
//! join requests, a task, a note (with its history) and a file, each with its comments; and
//! the same board and pages for a remote project a member joined, whose buttons send
//! activities to its group. `/projects/{handle}` is also the `Group` actor, by content
//! negotiation, and tasks, notes and files serve their ActivityStreams documents the same way.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::model::{Note, Project, ProjectFile, Revision, Status, Task};
use super::service::{self, NoteForm, ProjectForm, TaskForm};
use super::{files, objects, remote, store};
use crate::accounts::session::User;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::negotiate;
use crate::federation::urls::Urls;
use crate::posts::people::{self, Person};
use crate::posts::web::{present, PostView};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/projects", get(list))
        .route("/projects/new", get(new_page).post(create))
        .route("/projects/remote", get(remote_board))
        .route("/projects/remote/item", get(remote_item))
        .route("/projects/remote/join", post(remote_join))
        .route("/projects/remote/take", post(remote_take))
        .route("/projects/remote/status", post(remote_status))
        .route("/projects/remote/task", post(remote_edit_task))
        .route("/projects/remote/note", post(remote_edit_note))
        .route("/projects/{handle}", get(board))
        .route("/projects/{handle}/join", post(join))
        .route("/projects/{handle}/leave", post(leave))
        .route("/projects/{handle}/members", get(members_page))
        .route("/projects/{handle}/edit", post(edit_project))
        .route("/projects/{handle}/requests", post(answer))
        .route("/projects/{handle}/remove", post(remove_member))
        .route("/projects/{handle}/tasks", post(create_task))
        .route(
            "/projects/{handle}/tasks/{token}",
            get(task_page).post(edit_task),
        )
        .route("/projects/{handle}/tasks/{token}/take", post(take_task))
        .route("/projects/{handle}/tasks/{token}/status", post(move_task))
        .route("/projects/{handle}/notes", post(create_note))
        .route(
            "/projects/{handle}/notes/{token}",
            get(note_page).post(edit_note),
        )
        .route(
            "/projects/{handle}/notes/{token}/history",
            get(history_page),
        )
        .route("/projects/{handle}/item/take", post(take_item))
        .route("/projects/{handle}/item/status", post(move_item))
        .route("/projects/{handle}/files", post(upload))
        .route("/projects/{handle}/files/{token}", get(file_page))
        .route("/projects/{handle}/files/{token}/download", get(download))
        .route(
            "/projects/{handle}/{kind}/{token}/delete",
            post(delete_item),
        )
}

fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%-d %b %Y %H:%M").to_string())
        .unwrap_or_default()
}

fn me_uri(state: &AppState, ctx: &PageCtx) -> Option<String> {
    ctx.user
        .as_ref()
        .map(|u| Urls::new(&state.config).member(&u.handle))
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

// --- list and create ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "projects/list.html")]
struct ListPage {
    ctx: PageCtx,
    projects: Vec<Project>,
    joined: Vec<Link>,
}

async fn list(State(state): State<AppState>, ctx: PageCtx) -> Result<Response> {
    let mut joined = Vec::new();
    if let Some(me) = me_uri(&state, &ctx) {
        let prefix = format!("{}/", Urls::new(&state.config).base());
        for uri in store::joined(&state.db, &me).await? {
            if uri.starts_with(&prefix) {
                continue;
            }
            if let Some(g) = crate::federation::remote::by_uri(&state.db, &uri)
                .await?
                .filter(|g| g.kind == "Group")
            {
                joined.push(Link {
                    title: g.display_name().to_string(),
                    link: format!("/projects/remote?uri={}", service::urlencode(&g.uri)),
                    meta: g.handle(),
                });
            }
        }
    }
    render(&ListPage {
        ctx,
        projects: store::list(&state.db, 500, 0).await?,
        joined,
    })
}

#[derive(Template)]
#[template(path = "projects/new.html")]
struct NewPage {
    ctx: PageCtx,
    form: ProjectForm,
    errors: FieldErrors,
    voices: Vec<(String, String)>,
}

async fn voices(state: &AppState, account: &Account) -> Result<Vec<(String, String)>> {
    let mut v = crate::posts::web::voices(state, account).await?;
    v.retain(|(value, _)| value != "space");
    Ok(v)
}

async fn new_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    render(&NewPage {
        voices: voices(&state, &user.account).await?,
        ctx,
        form: ProjectForm::default(),
        errors: FieldErrors::new(),
    })
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<ProjectForm>,
) -> Result<Response> {
    match service::create(&state, &user.account, &form).await {
        Ok(p) => Ok(redirect_with_notice(
            &format!("/projects/{}", p.handle),
            "The project is created. Add tasks and invite people to join.",
        )),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewPage {
                voices: voices(&state, &user.account).await?,
                ctx,
                form,
                errors,
            },
        ),
        Err(e) => Err(e),
    }
}

// --- the board ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "projects/board.html")]
struct BoardPage {
    ctx: PageCtx,
    name: String,
    summary: String,
    address: String,
    /// Where forms post: `/projects/{handle}` (empty for a remote project).
    base: String,
    remote: bool,
    remote_uri: String,
    closed: bool,
    /// "accepted", "pending" or "".
    membership: String,
    is_manager: bool,
    member_count: usize,
    pending_count: usize,
    columns: Vec<Column>,
    notes: Vec<Link>,
    files: Vec<Link>,
    task_form: TaskForm,
    note_form: NoteForm,
    errors: FieldErrors,
}

async fn membership(state: &AppState, ctx: &PageCtx, project_uri: &str) -> Result<String> {
    Ok(match me_uri(state, ctx) {
        Some(me) => crate::federation::follows::get(&state.db, &me, project_uri)
            .await?
            .map(|f| f.state)
            .unwrap_or_default(),
        None => String::new(),
    })
}

async fn board_page(
    state: &AppState,
    ctx: PageCtx,
    p: &Project,
    task_form: TaskForm,
    note_form: NoteForm,
    errors: FieldErrors,
) -> Result<BoardPage> {
    let uri = service::uri_of(state, p);
    let me = me_uri(state, &ctx);
    let is_manager = match &ctx.user {
        Some(u) => service::is_manager(state, p, u).await?,
        None => false,
    };
    let rows = task_rows(
        state,
        store::tasks_of(&state.db, &uri).await?,
        me.as_deref(),
    )
    .await?;
    Ok(BoardPage {
        membership: membership(state, &ctx, &uri).await?,
        ctx,
        name: p.name.clone(),
        summary: p.summary.clone(),
        address: format!("@{}@{}", p.handle, Urls::new(&state.config).domain()),
        base: format!("/projects/{}", p.handle),
        remote: false,
        remote_uri: String::new(),
        closed: p.closed,
        is_manager,
        member_count: store::members(&state.db, &uri).await?.len(),
        pending_count: store::pending(&state.db, &uri).await?.len(),
        columns: columns(rows),
        notes: note_links(state, store::notes_of(&state.db, &uri).await?),
        files: file_links(state, store::files_of(&state.db, &uri).await?),
        task_form,
        note_form,
        errors,
    })
}

fn note_links(state: &AppState, notes: Vec<Note>) -> Vec<Link> {
    notes
        .into_iter()
        .map(|n| Link {
            link: service::local_link(state, &n.uri),
            meta: format!("revision {} · {}", n.revision, day(n.updated_at)),
            title: n.title,
        })
        .collect()
}

fn file_links(state: &AppState, files: Vec<ProjectFile>) -> Vec<Link> {
    files
        .into_iter()
        .map(|f| Link {
            link: service::local_link(state, &f.uri),
            meta: format!("{} · {} bytes", f.media_type, f.size),
            title: f.name,
        })
        .collect()
}

async fn board(
    State(state): State<AppState>,
    headers: HeaderMap,
    ctx: PageCtx,
    Path(handle): Path<String>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    if negotiate::wants_activity_json(&headers) {
        return Ok(negotiate::activity_json(&objects::group(&state, &p).await?));
    }
    let page = board_page(
        &state,
        ctx,
        &p,
        TaskForm::default(),
        NoteForm::default(),
        FieldErrors::new(),
    )
    .await?;
    render(&page).map(negotiate::vary_accept)
}

async fn join(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    let s = service::join(&state, &user.account, &p).await?;
    let notice = if s == "accepted" {
        "You joined the project."
    } else {
        "Your request to join is waiting for a manager."
    };
    Ok(redirect_with_notice(
        &format!("/projects/{}", p.handle),
        notice,
    ))
}

async fn leave(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    service::leave(&state, &user.account, &p).await?;
    Ok(redirect_with_notice(
        &format!("/projects/{}", p.handle),
        "You left the project.",
    ))
}

// --- members --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "projects/members.html")]
struct MembersPage {
    ctx: PageCtx,
    project: Project,
    members: Vec<Person>,
    pending: Vec<Person>,
    is_manager: bool,
    form: ProjectForm,
    errors: FieldErrors,
}

async fn members_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(handle): Path<String>,
) -> Result<Response> {
    let project = service::get(&state, &handle).await?;
    let uri = service::uri_of(&state, &project);
    let is_manager = match &ctx.user {
        Some(u) => service::is_manager(&state, &project, u).await?,
        None => false,
    };
    let members = store::members(&state.db, &uri).await?;
    let pending = if is_manager {
        store::pending(&state.db, &uri).await?
    } else {
        Vec::new()
    };
    let map = person_map(&state, members.iter().chain(&pending).cloned().collect()).await?;
    render(&MembersPage {
        ctx,
        members: members.iter().map(|m| person(&map, m)).collect(),
        pending: pending.iter().map(|m| person(&map, m)).collect(),
        form: ProjectForm {
            handle: project.handle.clone(),
            name: project.name.clone(),
            summary: project.summary.clone(),
            closed: project.closed,
            as_actor: String::new(),
        },
        errors: FieldErrors::new(),
        project,
        is_manager,
    })
}

async fn edit_project(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(handle): Path<String>,
    Form(form): Form<ProjectForm>,
) -> Result<Response> {
    match service::update(&state, &handle, &user.account, &form).await {
        Ok(p) => Ok(redirect_with_notice(
            &format!("/projects/{}/members", p.handle),
            "The project is saved.",
        )),
        Err(Error::Invalid(errors)) => {
            let project = service::get(&state, &handle).await?;
            let uri = service::uri_of(&state, &project);
            let members = store::members(&state.db, &uri).await?;
            let pending = store::pending(&state.db, &uri).await?;
            let map = person_map(&state, members.iter().chain(&pending).cloned().collect()).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &MembersPage {
                    ctx,
                    members: members.iter().map(|m| person(&map, m)).collect(),
                    pending: pending.iter().map(|m| person(&map, m)).collect(),
                    form,
                    errors,
                    project,
                    is_manager: true,
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct AnswerForm {
    actor: String,
    #[serde(default)]
    accept: String,
}

async fn answer(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Result<Response> {
    let accept = f.accept == "yes";
    service::answer(&state, &user.account, &handle, f.actor.trim(), accept).await?;
    Ok(redirect_with_notice(
        &format!("/projects/{handle}/members"),
        if accept {
            "The request is approved."
        } else {
            "The request is declined."
        },
    ))
}

// --- tasks ----------------------------------------------------------------------------------

async fn create_task(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(handle): Path<String>,
    Form(form): Form<TaskForm>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    match service::create_task(&state, &user.account, &p, &form).await {
        Ok(t) => Ok(redirect_with_notice(
            &service::local_link(&state, &t.uri),
            "The task is on the board.",
        )),
        Err(Error::Invalid(errors)) => {
            let page = board_page(&state, ctx, &p, form, NoteForm::default(), errors).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

/// A task, note or file with its comments; local or remote.
#[derive(Template)]
#[template(path = "projects/item.html")]
struct ItemPage {
    ctx: PageCtx,
    project_name: String,
    project_link: String,
    /// Where this item's forms post (empty for a remote item).
    base: String,
    uri: String,
    remote: bool,
    is_member: bool,
    task: Option<TaskRow>,
    note: Option<Note>,
    file: Option<ProjectFile>,
    author: Person,
    comments: Vec<PostView>,
    task_form: TaskForm,
    note_form: NoteForm,
    errors: FieldErrors,
    /// The page itself, for forms to come back to.
    here: String,
    /// An item another server holds, in a local project: it can be taken, moved and
    /// commented on here, not edited.
    foreign: bool,
    /// The viewer wrote it or manages the project (a local item of a local project).
    can_delete: bool,
}

impl ItemPage {
    fn statuses(&self) -> &'static [Status] {
        &Status::ALL
    }
}

#[allow(clippy::too_many_arguments)]
async fn item_page(
    state: &AppState,
    ctx: PageCtx,
    project_uri: &str,
    uri: &str,
    author: &str,
    task: Option<Task>,
    note: Option<Note>,
    file: Option<ProjectFile>,
    errors: FieldErrors,
    task_form: Option<TaskForm>,
    note_form: Option<NoteForm>,
) -> Result<ItemPage> {
    let urls = Urls::new(&state.config);
    let me = me_uri(state, &ctx);
    let is_member = match &me {
        Some(m) => store::is_member(&state.db, project_uri, m).await?,
        None => false,
    };
    let remote = !project_uri.starts_with(&format!("{}/", urls.base()));
    let project_name = store::project_name(
        &state.db,
        project_uri,
        &format!("{}/projects/", urls.base()),
    )
    .await?;
    let project_link = if remote {
        format!("/projects/remote?uri={}", service::urlencode(project_uri))
    } else {
        service::local_link(state, project_uri)
    };
    let map = person_map(state, vec![author.to_string()]).await?;
    let replies = crate::posts::store::replies(&state.db, uri, 200).await?;
    let comments = present(state, replies, ctx.user.as_ref()).await?;
    let task_form = match (&task, task_form) {
        (_, Some(f)) => f,
        (Some(t), None) => {
            let names = people::people(state, t.assignees.clone()).await?;
            let list: Vec<String> = t
                .assignees
                .iter()
                .map(|a| {
                    names
                        .get(a)
                        .map(|p| p.handle.clone())
                        .filter(|h| !h.is_empty())
                        .unwrap_or_else(|| a.clone())
                })
                .collect();
            TaskForm::of(t, &list)
        }
        (None, None) => TaskForm::default(),
    };
    let note_form = match (&note, note_form) {
        (_, Some(f)) => f,
        (Some(n), None) => NoteForm {
            title: n.title.clone(),
            body: n.body.clone(),
        },
        (None, None) => NoteForm::default(),
    };
    let task = match task {
        Some(t) => task_rows(state, vec![t], me.as_deref()).await?.pop(),
        None => None,
    };
    let foreign = !remote && !uri.starts_with(&format!("{}/", urls.base()));
    let can_delete = !remote
        && !foreign
        && match (&ctx.user, &me) {
            (Some(u), Some(m)) => {
                m == author
                    || match crate::hub::actors::by_uri(state, project_uri).await? {
                        Some(crate::federation::local::LocalActor::Project(p)) => {
                            match store::by_handle(&state.db, &p.handle).await? {
                                Some(p) => service::is_manager(state, &p, u).await?,
                                None => false,
                            }
                        }
                        _ => false,
                    }
            }
            _ => false,
        };
    Ok(ItemPage {
        can_delete,
        here: service::local_link(state, uri),
        foreign,
        base: action_base(state, project_uri, uri),
        ctx,
        project_name,
        project_link,
        uri: uri.to_string(),
        remote,
        is_member,
        task,
        note,
        file,
        author: person(&map, author),
        comments,
        task_form,
        note_form,
        errors,
    })
}

/// `(former type, deleted at)` when `uri` was a task, note or file deleted here.
async fn deleted_item(state: &AppState, uri: &str) -> Result<Option<(String, i64)>> {
    if store::task_by_uri(&state.db, uri).await?.is_some()
        || store::note_by_uri(&state.db, uri).await?.is_some()
        || store::file_by_uri(&state.db, uri).await?.is_some()
    {
        return Ok(None);
    }
    crate::federation::tombstones::find(&state.db, uri).await
}

/// 410 for the address of a deleted task, note or file.
async fn gone_if_deleted(state: &AppState, uri: &str) -> Result<()> {
    match deleted_item(state, uri).await? {
        Some(_) => Err(Error::Gone),
        None => Ok(()),
    }
}

/// The `Tombstone` (410) a server asking for ActivityStreams gets at the address of a deleted
/// task, note or file (`kind`: `tasks`, `notes`, `files`), as for posts, events and actors.
async fn tombstone(
    state: &AppState,
    headers: &HeaderMap,
    handle: &str,
    kind: &str,
    token: &str,
) -> Result<Option<Response>> {
    if !negotiate::wants_activity_json(headers) {
        return Ok(None);
    }
    let p = service::get(state, handle).await?;
    let uri = format!("{}/{kind}/{token}", service::uri_of(state, &p));
    Ok(deleted_item(state, &uri)
        .await?
        .map(|(former, at)| crate::federation::tombstones::gone(&uri, &former, at, true)))
}

async fn local_task(state: &AppState, handle: &str, token: &str) -> Result<(Project, Task)> {
    let p = service::get(state, handle).await?;
    let uri = format!("{}/tasks/{token}", service::uri_of(state, &p));
    gone_if_deleted(state, &uri).await?;
    let t = store::task_by_uri(&state.db, &uri)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((p, t))
}

async fn task_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ctx: PageCtx,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Response> {
    if let Some(gone) = tombstone(&state, &headers, &handle, "tasks", &token).await? {
        return Ok(gone);
    }
    let (p, t) = local_task(&state, &handle, &token).await?;
    if negotiate::wants_activity_json(&headers) {
        return Ok(negotiate::activity_json(&objects::task(&t)));
    }
    let page = item_page(
        &state,
        ctx,
        &service::uri_of(&state, &p),
        &t.uri.clone(),
        &t.author.clone(),
        Some(t),
        None,
        None,
        FieldErrors::new(),
        None,
        None,
    )
    .await?;
    render(&page).map(negotiate::vary_accept)
}

async fn edit_task(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
    Form(form): Form<TaskForm>,
) -> Result<Response> {
    let (p, t) = local_task(&state, &handle, &token).await?;
    match service::update_task(&state, &user.account, &p, &t, &form, false).await {
        Ok(t) => Ok(redirect_with_notice(
            &service::local_link(&state, &t.uri),
            "The task is saved.",
        )),
        Err(Error::Invalid(errors)) => {
            let page = item_page(
                &state,
                ctx,
                &service::uri_of(&state, &p),
                &t.uri.clone(),
                &t.author.clone(),
                Some(t),
                None,
                None,
                errors,
                Some(form),
                None,
            )
            .await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

async fn take_task(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Response> {
    let (p, t) = local_task(&state, &handle, &token).await?;
    let t = service::take_task(&state, &user.account, &p, &t).await?;
    Ok(redirect_with_notice(
        &service::local_link(&state, &t.uri),
        "The task is yours.",
    ))
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    uri: String,
}

async fn move_task(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
    Form(f): Form<StatusForm>,
) -> Result<Response> {
    let (p, t) = local_task(&state, &handle, &token).await?;
    service::set_status(&state, &user.account, &p, &t, &f.status).await?;
    Ok(redirect_with_notice(
        &format!("/projects/{}", p.handle),
        "Moved.",
    ))
}

/// A task of a local project that another server holds (by its URI).
async fn foreign_task(state: &AppState, handle: &str, uri: &str) -> Result<(Project, Task)> {
    let p = service::get(state, handle).await?;
    let t = store::task_by_uri(&state.db, uri.trim())
        .await?
        .filter(|t| t.project == service::uri_of(state, &p))
        .ok_or(Error::NotFound)?;
    Ok((p, t))
}

async fn take_item(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response> {
    let (p, t) = foreign_task(&state, &handle, &f.uri).await?;
    let t = service::take_task(&state, &user.account, &p, &t).await?;
    Ok(redirect_with_notice(
        &service::local_link(&state, &t.uri),
        "The task is yours.",
    ))
}

async fn move_item(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response> {
    let (p, t) = foreign_task(&state, &handle, &f.uri).await?;
    service::set_status(&state, &user.account, &p, &t, &f.status).await?;
    Ok(redirect_with_notice(
        &format!("/projects/{}", p.handle),
        "Moved.",
    ))
}

// --- notes ----------------------------------------------------------------------------------

async fn create_note(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(handle): Path<String>,
    Form(form): Form<NoteForm>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    match service::create_note(&state, &user.account, &p, &form).await {
        Ok(n) => Ok(redirect_with_notice(
            &service::local_link(&state, &n.uri),
            "The note is saved.",
        )),
        Err(Error::Invalid(errors)) => {
            let page = board_page(&state, ctx, &p, TaskForm::default(), form, errors).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

async fn local_note(state: &AppState, handle: &str, token: &str) -> Result<(Project, Note)> {
    let p = service::get(state, handle).await?;
    let uri = format!("{}/notes/{token}", service::uri_of(state, &p));
    gone_if_deleted(state, &uri).await?;
    let n = store::note_by_uri(&state.db, &uri)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((p, n))
}

async fn note_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ctx: PageCtx,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Response> {
    if let Some(gone) = tombstone(&state, &headers, &handle, "notes", &token).await? {
        return Ok(gone);
    }
    let (p, n) = local_note(&state, &handle, &token).await?;
    if negotiate::wants_activity_json(&headers) {
        return Ok(negotiate::activity_json(&objects::note(&n)));
    }
    let page = item_page(
        &state,
        ctx,
        &service::uri_of(&state, &p),
        &n.uri.clone(),
        &n.author.clone(),
        None,
        Some(n),
        None,
        FieldErrors::new(),
        None,
        None,
    )
    .await?;
    render(&page).map(negotiate::vary_accept)
}

async fn edit_note(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
    Form(form): Form<NoteForm>,
) -> Result<Response> {
    let (p, n) = local_note(&state, &handle, &token).await?;
    match service::edit_note(&state, &user.account, &p, &n, &form).await {
        Ok(n) => Ok(redirect_with_notice(
            &service::local_link(&state, &n.uri),
            "A new revision is saved.",
        )),
        Err(Error::Invalid(errors)) => {
            let page = item_page(
                &state,
                ctx,
                &service::uri_of(&state, &p),
                &n.uri.clone(),
                &n.author.clone(),
                None,
                Some(n),
                None,
                errors,
                None,
                Some(form),
            )
            .await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "projects/history.html")]
struct HistoryPage {
    ctx: PageCtx,
    note: Note,
    link: String,
    revisions: Vec<(Revision, Person, String)>,
}

async fn history_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Response> {
    let (_, note) = local_note(&state, &handle, &token).await?;
    let revisions = store::revisions(&state.db, note.id).await?;
    let map = person_map(&state, revisions.iter().map(|r| r.author.clone()).collect()).await?;
    render(&HistoryPage {
        ctx,
        link: service::local_link(&state, &note.uri),
        revisions: revisions
            .into_iter()
            .map(|r| {
                let who = person(&map, &r.author);
                let when = day(r.created_at);
                (r, who, when)
            })
            .collect(),
        note,
    })
}

// --- files ----------------------------------------------------------------------------------

async fn upload(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(handle): Path<String>,
    multipart: Multipart,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    let result = match files::read(multipart).await {
        Ok(u) => service::add_file(&state, &user.account, &p, &u.name, u.data).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(f) => Ok(redirect_with_notice(
            &service::local_link(&state, &f.uri),
            "The file is uploaded.",
        )),
        Err(Error::Invalid(errors)) => {
            let page = board_page(
                &state,
                ctx,
                &p,
                TaskForm::default(),
                NoteForm::default(),
                errors,
            )
            .await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

async fn local_file(state: &AppState, handle: &str, token: &str) -> Result<(Project, ProjectFile)> {
    let p = service::get(state, handle).await?;
    let uri = format!("{}/files/{token}", service::uri_of(state, &p));
    gone_if_deleted(state, &uri).await?;
    let f = store::file_by_uri(&state.db, &uri)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((p, f))
}

async fn file_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ctx: PageCtx,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Response> {
    if let Some(gone) = tombstone(&state, &headers, &handle, "files", &token).await? {
        return Ok(gone);
    }
    let (p, f) = local_file(&state, &handle, &token).await?;
    if negotiate::wants_activity_json(&headers) {
        return Ok(negotiate::activity_json(&objects::file(&f)));
    }
    let page = item_page(
        &state,
        ctx,
        &service::uri_of(&state, &p),
        &f.uri.clone(),
        &f.author.clone(),
        None,
        None,
        Some(f),
        FieldErrors::new(),
        None,
        None,
    )
    .await?;
    render(&page).map(negotiate::vary_accept)
}

/// The bytes, as an attachment with the type the content was checked to be.
async fn download(
    State(state): State<AppState>,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Response> {
    let (_, f) = local_file(&state, &handle, &token).await?;
    let bytes = state.media.get_file(&f.media_key).await?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&f.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let safe: String = f
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

// --- remote projects ------------------------------------------------------------------------

#[derive(Deserialize)]
struct UriQuery {
    #[serde(default)]
    uri: String,
}

async fn remote_board(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<UriQuery>,
) -> Result<Response> {
    let group = crate::federation::remote::by_uri(&state.db, q.uri.trim())
        .await?
        .filter(|g| g.kind == "Group")
        .ok_or(Error::NotFound)?;
    let me = me_uri(&state, &ctx);
    let rows = task_rows(
        &state,
        store::tasks_of(&state.db, &group.uri).await?,
        me.as_deref(),
    )
    .await?;
    render(&BoardPage {
        membership: membership(&state, &ctx, &group.uri).await?,
        ctx,
        name: group.display_name().to_string(),
        summary: String::new(),
        address: group.handle(),
        base: String::new(),
        remote: true,
        remote_uri: group.uri.clone(),
        closed: group.manually_approves,
        is_manager: false,
        member_count: 0,
        pending_count: 0,
        columns: columns(rows),
        notes: note_links(&state, store::notes_of(&state.db, &group.uri).await?),
        files: file_links(&state, store::files_of(&state.db, &group.uri).await?),
        task_form: TaskForm::default(),
        note_form: NoteForm::default(),
        errors: FieldErrors::new(),
    })
}

async fn remote_item(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<UriQuery>,
) -> Result<Response> {
    let uri = q.uri.trim();
    let (project, author, task, note, file) =
        if let Some(t) = store::task_by_uri(&state.db, uri).await? {
            (t.project.clone(), t.author.clone(), Some(t), None, None)
        } else if let Some(n) = store::note_by_uri(&state.db, uri).await? {
            (n.project.clone(), n.author.clone(), None, Some(n), None)
        } else if let Some(f) = store::file_by_uri(&state.db, uri).await? {
            (f.project.clone(), f.author.clone(), None, None, Some(f))
        } else {
            return Err(Error::NotFound);
        };
    let page = item_page(
        &state,
        ctx,
        &project,
        uri,
        &author,
        task,
        note,
        file,
        FieldErrors::new(),
        None,
        None,
    )
    .await?;
    render(&page)
}

#[derive(Deserialize)]
struct TargetForm {
    #[serde(default)]
    target: String,
}

async fn remote_join(
    State(state): State<AppState>,
    User(user): User,
    Form(f): Form<TargetForm>,
) -> Result<Response> {
    let followed = remote::join(&state, &user.account, &f.target).await?;
    Ok(redirect_with_notice(
        &format!("/projects/remote?uri={}", service::urlencode(&followed.uri)),
        "Your request to join is sent; the board fills as the project shares its work.",
    ))
}

async fn remote_take(
    State(state): State<AppState>,
    User(user): User,
    Form(f): Form<StatusForm>,
) -> Result<Response> {
    remote::take(&state, &user.account, f.uri.trim()).await?;
    Ok(redirect_with_notice(
        &format!(
            "/projects/remote/item?uri={}",
            service::urlencode(f.uri.trim())
        ),
        "Sent to the project: the task shows you once it confirms.",
    ))
}

async fn remote_status(
    State(state): State<AppState>,
    User(user): User,
    Form(f): Form<StatusForm>,
) -> Result<Response> {
    remote::set_status(&state, &user.account, f.uri.trim(), &f.status).await?;
    Ok(redirect_with_notice(
        &format!(
            "/projects/remote/item?uri={}",
            service::urlencode(f.uri.trim())
        ),
        "Sent to the project.",
    ))
}

#[derive(Deserialize)]
struct RemoteTaskForm {
    uri: String,
    #[serde(flatten)]
    form: TaskForm,
}

async fn remote_edit_task(
    State(state): State<AppState>,
    User(user): User,
    Form(f): Form<RemoteTaskForm>,
) -> Result<Response> {
    remote::edit_task(&state, &user.account, f.uri.trim(), &f.form).await?;
    Ok(redirect_with_notice(
        &format!(
            "/projects/remote/item?uri={}",
            service::urlencode(f.uri.trim())
        ),
        "Sent to the project: the task changes here once it confirms.",
    ))
}

#[derive(Deserialize)]
struct RemoteNoteForm {
    uri: String,
    #[serde(flatten)]
    form: NoteForm,
}

async fn remote_edit_note(
    State(state): State<AppState>,
    User(user): User,
    Form(f): Form<RemoteNoteForm>,
) -> Result<Response> {
    remote::edit_note(&state, &user.account, f.uri.trim(), &f.form).await?;
    Ok(redirect_with_notice(
        &format!(
            "/projects/remote/item?uri={}",
            service::urlencode(f.uri.trim())
        ),
        "Sent to the project: the new revision shows here once it confirms.",
    ))
}

/// The author or a manager deletes a task, note or file.
async fn delete_item(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, kind, token)): Path<(String, String, String)>,
) -> Result<Response> {
    let (p, uri, author, former) = match kind.as_str() {
        "tasks" => {
            let (p, t) = local_task(&state, &handle, &token).await?;
            (p, t.uri, t.author, "Page")
        }
        "notes" => {
            let (p, n) = local_note(&state, &handle, &token).await?;
            (p, n.uri, n.author, "Article")
        }
        "files" => {
            let (p, f) = local_file(&state, &handle, &token).await?;
            (p, f.uri, f.author, "Document")
        }
        _ => return Err(Error::NotFound),
    };
    service::delete_item(&state, &user.account, &p, &uri, &author, former).await?;
    Ok(redirect_with_notice(
        &format!("/projects/{}", p.handle),
        "Deleted.",
    ))
}

#[derive(Deserialize)]
struct MemberForm {
    actor: String,
}

async fn remove_member(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    Form(f): Form<MemberForm>,
) -> Result<Response> {
    service::remove_member(&state, &user.account, &handle, f.actor.trim()).await?;
    Ok(redirect_with_notice(
        &format!("/projects/{handle}/members"),
        "The member is removed.",
    ))
}
