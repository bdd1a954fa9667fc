//! JSON API for projects: create and list, one project with its members and board (joining,
//! leaving and answering join requests are following: `crate::hub::membership`), tasks (create, edit, take, move), notes with their
//! revisions, files, and working on remote projects (take a task).

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::item::{self, Item};
use super::model::{Note, Project, ProjectFile, Task};
use super::service::{self, NoteForm, ProjectForm, TaskForm};
use super::{files, remote, store};
use crate::accounts::session::{MaybeUser, User};
use crate::api::ApiJson;
use crate::error::{Error, Result};
use crate::federation::urls::Urls;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/projects", get(list).post(create))
        .route("/projects/remote", get(remote_project))
        .route("/projects/remote/take", post(remote_take))
        .route("/projects/remote/status", post(remote_status))
        .route("/projects/remote/task", post(remote_edit_task))
        .route("/projects/remote/note", post(remote_edit_note))
        .route("/projects/{handle}", get(one).patch(edit))
        .route("/projects/{handle}/remove", post(remove_member))
        .route("/projects/{handle}/tasks", post(create_task))
        .route(
            "/projects/{handle}/tasks/{token}",
            patch(edit_task).delete(delete_task),
        )
        .route("/projects/{handle}/tasks/{token}/take", post(take_task))
        .route("/projects/{handle}/notes", post(create_note))
        .route(
            "/projects/{handle}/notes/{token}",
            get(note).patch(edit_note).delete(delete_note),
        )
        .route("/projects/{handle}/files", post(upload))
        .route(
            "/projects/{handle}/files/{token}",
            axum::routing::delete(delete_file),
        )
        .route("/me/deadlines", get(my_deadlines))
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<Project>>> {
    Ok(Json(store::list(&state.db, 500, 0).await?))
}

async fn create(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(form): ApiJson<ProjectForm>,
) -> Result<Response> {
    let p = service::create(&state, &user.account, &form).await?;
    Ok((StatusCode::CREATED, Json(describe(&state, &p).await?)).into_response())
}

async fn describe(state: &AppState, p: &Project) -> Result<Value> {
    let uri = service::uri_of(state, p);
    let items = item::listed(state, &uri).await?;
    Ok(json!({
        "project": p,
        "uri": uri,
        "address": format!("@{}@{}", p.handle, Urls::new(&state.config).domain()),
        "members": store::members(&state.db, &uri).await?,
        "pending": store::pending(&state.db, &uri).await?,
        "tasks": items.tasks,
        "notes": items.notes,
        "files": items.files,
    }))
}

async fn one(State(state): State<AppState>, Path(handle): Path<String>) -> Result<Json<Value>> {
    let p = service::get(&state, &handle).await?;
    Ok(Json(describe(&state, &p).await?))
}

async fn edit(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    ApiJson(form): ApiJson<ProjectForm>,
) -> Result<Json<Value>> {
    let p = service::update(&state, &handle, &user.account, &form).await?;
    Ok(Json(describe(&state, &p).await?))
}

async fn create_task(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    ApiJson(form): ApiJson<TaskForm>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    let t = service::create_task(&state, &user.account, &p, &form).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// A partial task: absent fields keep their value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskPatch {
    title: Option<String>,
    description: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    due_on: Option<String>,
    assignees: Option<service::Assignees>,
}

async fn edit_task(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
    ApiJson(patch): ApiJson<TaskPatch>,
) -> Result<Json<Task>> {
    let (p, t) = item::task(&state, Some(&user.account), &handle, &token).await?;
    let mut form = TaskForm::of(&t, &[]);
    form.assignees = service::Assignees::List(t.assignees.clone());
    if let Some(v) = patch.title {
        form.title = v;
    }
    if let Some(v) = patch.description {
        form.description = v;
    }
    if let Some(v) = patch.status {
        form.status = v;
    }
    if let Some(v) = patch.priority {
        form.priority = v;
    }
    if let Some(v) = patch.due_on {
        form.due_on = v;
    }
    let keep_assignees = patch.assignees.is_none();
    if let Some(v) = patch.assignees {
        form.assignees = v;
    }
    Ok(Json(
        service::update_task(&state, &user.account, &p, &t, &form, keep_assignees).await?,
    ))
}

async fn take_task(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Json<Task>> {
    let (p, t) = item::task(&state, Some(&user.account), &handle, &token).await?;
    Ok(Json(
        service::take_task(&state, &user.account, &p, &t).await?,
    ))
}

async fn create_note(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    ApiJson(form): ApiJson<NoteForm>,
) -> Result<Response> {
    let p = service::get(&state, &handle).await?;
    let n = service::create_note(&state, &user.account, &p, &form).await?;
    Ok((StatusCode::CREATED, Json(n)).into_response())
}

async fn note(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let reader = user.map(|u| u.account);
    let (_, n) = item::note(&state, reader.as_ref(), &handle, &token).await?;
    let revisions = store::revisions(&state.db, n.id).await?;
    Ok(Json(json!({ "note": n, "revisions": revisions })))
}

async fn edit_note(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
    ApiJson(form): ApiJson<NoteForm>,
) -> Result<Json<Note>> {
    let (p, n) = item::note(&state, Some(&user.account), &handle, &token).await?;
    Ok(Json(
        service::edit_note(&state, &user.account, &p, &n, &form).await?,
    ))
}

async fn upload(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    multipart: Multipart,
) -> Result<Response> {
    state
        .limits
        .check(crate::web::rate::Bucket::Uploads, from)?;
    let p = service::get(&state, &handle).await?;
    let upload = files::read(multipart).await?;
    let f: ProjectFile =
        service::add_file(&state, &user.account, &p, &upload.name, upload.data).await?;
    Ok((StatusCode::CREATED, Json(f)).into_response())
}

#[derive(Deserialize)]
struct UriQuery {
    #[serde(default)]
    uri: String,
}

/// A remote project as kept here: its received tasks, notes and files.
async fn remote_project(
    State(state): State<AppState>,
    MaybeUser(_): MaybeUser,
    Query(q): Query<UriQuery>,
) -> Result<Json<Value>> {
    let group = crate::federation::remote::by_uri(&state.db, q.uri.trim())
        .await?
        .filter(|g| g.kind == "Group")
        .ok_or(Error::NotFound)?;
    let items = item::listed(&state, &group.uri).await?;
    Ok(Json(json!({
        "group": group,
        "members_here": store::members(&state.db, &group.uri).await?,
        "tasks": items.tasks,
        "notes": items.notes,
        "files": items.files,
    })))
}

#[derive(Deserialize)]
struct UriBody {
    uri: String,
    #[serde(default)]
    status: String,
}

async fn remote_take(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(b): ApiJson<UriBody>,
) -> Result<StatusCode> {
    remote::take(&state, &user.account, b.uri.trim()).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn remote_status(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(b): ApiJson<UriBody>,
) -> Result<StatusCode> {
    remote::set_status(&state, &user.account, b.uri.trim(), &b.status).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn my_deadlines(
    State(state): State<AppState>,
    User(user): User,
) -> Result<Json<Vec<super::Deadline>>> {
    let me = Urls::new(&state.config).member(&user.account.handle);
    Ok(Json(item::deadlines_for_member(&state, &me).await?))
}

#[derive(Deserialize)]
struct RemoteTask {
    uri: String,
    #[serde(flatten)]
    form: TaskForm,
}

async fn remote_edit_task(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(b): ApiJson<RemoteTask>,
) -> Result<StatusCode> {
    remote::edit_task(&state, &user.account, b.uri.trim(), &b.form).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
struct RemoteNote {
    uri: String,
    #[serde(flatten)]
    form: NoteForm,
}

async fn remote_edit_note(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(b): ApiJson<RemoteNote>,
) -> Result<StatusCode> {
    remote::edit_note(&state, &user.account, b.uri.trim(), &b.form).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The author or a manager deletes a task, note or file (`kind`: `tasks`, `notes`, `files`):
/// `410` when it was already deleted, `404` when it never existed.
async fn delete_item(
    state: &AppState,
    user: &crate::accounts::model::Account,
    handle: &str,
    kind: &str,
    token: &str,
) -> Result<StatusCode> {
    let (p, item): (Project, Item) = item::live(state, Some(user), handle, kind, token).await?;
    service::delete_item(state, user, &p, item.uri(), item.author(), item.kind()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_task(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
) -> Result<StatusCode> {
    delete_item(&state, &user.account, &handle, "tasks", &token).await
}

async fn delete_note(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
) -> Result<StatusCode> {
    delete_item(&state, &user.account, &handle, "notes", &token).await
}

async fn delete_file(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
) -> Result<StatusCode> {
    delete_item(&state, &user.account, &handle, "files", &token).await
}

#[derive(Deserialize)]
struct Member {
    actor: String,
}

async fn remove_member(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    ApiJson(m): ApiJson<Member>,
) -> Result<StatusCode> {
    service::remove_member(&state, &user.account, &handle, m.actor.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}
