//! A remote project a member joined: its board and items as this space was told them, and
//! the buttons that send activities to its group (join, take, move, edit).

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::board::{file_links, note_links, BoardPage};
use super::items::{item_page, StatusForm};
use super::{columns, me_uri, task_rows};
use crate::accounts::session::User;
use crate::error::{Error, Result};
use crate::projects::service::{self, NoteForm, TaskForm};
use crate::projects::{access, item, remote};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, PageCtx};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/remote", get(remote_board))
        .route("/projects/remote/item", get(remote_item))
        .route("/projects/remote/take", post(remote_take))
        .route("/projects/remote/status", post(remote_status))
        .route("/projects/remote/task", post(remote_edit_task))
        .route("/projects/remote/note", post(remote_edit_note))
}

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
    let items = item::listed(&state, &group.uri).await?;
    let rows = task_rows(&state, items.tasks, me.as_deref()).await?;
    render(&BoardPage {
        membership: access::membership(&state, me.as_deref(), &group.uri).await?,
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
        notes: note_links(&state, items.notes),
        files: file_links(&state, items.files),
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
    let item = match item::by_uri(&state, q.uri.trim()).await? {
        Some(i) => item::shown(&state, i, ctx.user.as_ref()).await?,
        None => None,
    }
    .ok_or(Error::NotFound)?;
    let page = item_page(&state, ctx, item, None).await?;
    render(&page)
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
