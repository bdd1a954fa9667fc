//! A task, note or file of a project: its page (also its document for servers, see
//! [`crate::federation::object`]), a note's history, a file's bytes, and what members do to
//! an item: edit, take, move, delete.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{action_base, day, me_uri, person, person_map, task_rows, TaskRow};
use crate::accounts::session::{MaybeUser, User};
use crate::error::{Error, Result};
use crate::federation::object::{self, ObjectRequest, ObjectRoute};
use crate::federation::remote::RemoteActor;
use crate::federation::urls::Urls;
use crate::posts::people::{self, Person};
use crate::posts::web::{present, PostView};
use crate::projects::item::{self, Item};
use crate::projects::model::{Note, Project, ProjectFile, Revision, Status, Task};
use crate::projects::service::{self, NoteForm, TaskForm};
use crate::projects::{access, store};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/projects/{handle}/tasks/{token}",
            get(task_page).post(edit_task),
        )
        .route("/projects/{handle}/tasks/{token}/take", post(take_task))
        .route("/projects/{handle}/tasks/{token}/status", post(move_task))
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
        .route("/projects/{handle}/files/{token}", get(file_page))
        .route("/projects/{handle}/files/{token}/download", get(download))
        .route(
            "/projects/{handle}/{kind}/{token}/delete",
            post(delete_item),
        )
}

#[derive(Template)]
#[template(path = "projects/item.html")]
pub(super) struct ItemPage {
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

/// A form of an item's page that did not save: shown again with its errors.
pub(super) enum Draft {
    Task(TaskForm),
    Note(NoteForm),
}

/// The page of a task, note or file (local or remote); `failed` is an edit to show again.
pub(super) async fn item_page(
    state: &AppState,
    ctx: PageCtx,
    item: Item,
    failed: Option<(Draft, FieldErrors)>,
) -> Result<ItemPage> {
    let urls = Urls::new(&state.config);
    let me = me_uri(state, &ctx);
    let project_uri = item.project().to_string();
    let uri = item.uri().to_string();
    let author = item.author().to_string();
    let can_delete = access::may_delete(state, ctx.user.as_ref(), &item).await?;
    let is_member = access::is_member(state, &project_uri, me.as_deref()).await?;
    let remote = !project_uri.starts_with(&format!("{}/", urls.base()));
    let project_name = store::project_name(
        &state.db,
        &project_uri,
        &format!("{}/projects/", urls.base()),
    )
    .await?;
    let project_link = if remote {
        format!("/projects/remote?uri={}", service::urlencode(&project_uri))
    } else {
        service::local_link(state, &project_uri)
    };
    let map = person_map(state, vec![author.clone()]).await?;
    // The comments a reader sees in a thread: without the actors they blocked or muted,
    // the suspended ones and, for an anonymous reader, the limited ones.
    let account = ctx.user.as_ref();
    let replies =
        crate::posts::web::visible_replies(state, &uri, account, &account.cloned().into()).await?;
    let comments = present(state, replies, ctx.user.as_ref()).await?;
    let (errors, task_form, note_form) = match failed {
        None => (FieldErrors::new(), None, None),
        Some((Draft::Task(f), errors)) => (errors, Some(f), None),
        Some((Draft::Note(f), errors)) => (errors, None, Some(f)),
    };
    let (task, note, file) = match item {
        Item::Task(t) => (Some(t), None, None),
        Item::Note(n) => (None, Some(n), None),
        Item::File(f) => (None, None, Some(f)),
    };
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
    Ok(ItemPage {
        can_delete,
        here: service::local_link(state, &uri),
        foreign,
        base: action_base(state, &project_uri, &uri),
        ctx,
        project_name,
        project_link,
        author: person(&map, &author),
        uri,
        remote,
        is_member,
        task,
        note,
        file,
        comments,
        task_form,
        note_form,
        errors,
    })
}

/// Serving a local task, note or file at its address.
struct ItemRoute<'a> {
    state: &'a AppState,
    ctx: PageCtx,
}

impl ObjectRoute for ItemRoute<'_> {
    type Object = Item;
    type Viewer = ();
    type Document = serde_json::Value;

    fn browser(&self) {}
    fn server(&self, _signer: Option<RemoteActor>) {}
    /// Project items are public: their addresses do not look at signatures.
    async fn may_see(&self, _item: &Item, _viewer: &()) -> Result<bool> {
        Ok(true)
    }
    async fn document(&self, item: &Item) -> Result<serde_json::Value> {
        Ok(item.document())
    }
    async fn page(self, item: Item, _viewer: ()) -> Result<Response> {
        render(&item_page(self.state, self.ctx, item, None).await?)
    }
}

/// A task, note or file (`kind`: `tasks`, `notes`, `files`) of a local project: its page, its
/// document for servers, or 410 (a `Tombstone` for servers) once deleted.
async fn serve_item(
    state: &AppState,
    ctx: PageCtx,
    request: &ObjectRequest,
    (handle, kind, token): (&str, &str, &str),
) -> Result<Response> {
    let (_, found) = item::at(state, ctx.user.as_ref(), handle, kind, token).await?;
    object::serve(request, found, ItemRoute { state, ctx }).await
}

async fn task_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((handle, token)): Path<(String, String)>,
    request: ObjectRequest,
) -> Result<Response> {
    serve_item(&state, ctx, &request, (&handle, "tasks", &token)).await
}

async fn note_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((handle, token)): Path<(String, String)>,
    request: ObjectRequest,
) -> Result<Response> {
    serve_item(&state, ctx, &request, (&handle, "notes", &token)).await
}

async fn file_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((handle, token)): Path<(String, String)>,
    request: ObjectRequest,
) -> Result<Response> {
    serve_item(&state, ctx, &request, (&handle, "files", &token)).await
}

async fn edit_task(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
    Form(form): Form<TaskForm>,
) -> Result<Response> {
    let (p, t) = item::task(&state, Some(&user.account), &handle, &token).await?;
    match service::update_task(&state, &user.account, &p, &t, &form, false).await {
        Ok(t) => Ok(redirect_with_notice(
            &service::local_link(&state, &t.uri),
            "The task is saved.",
        )),
        Err(Error::Invalid(errors)) => {
            let failed = Some((Draft::Task(form), errors));
            let page = item_page(&state, ctx, Item::Task(t), failed).await?;
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
    let (p, t) = item::task(&state, Some(&user.account), &handle, &token).await?;
    let t = service::take_task(&state, &user.account, &p, &t).await?;
    Ok(redirect_with_notice(
        &service::local_link(&state, &t.uri),
        "The task is yours.",
    ))
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) uri: String,
}

async fn move_task(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
    Form(f): Form<StatusForm>,
) -> Result<Response> {
    let (p, t) = item::task(&state, Some(&user.account), &handle, &token).await?;
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

async fn edit_note(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path((handle, token)): Path<(String, String)>,
    Form(form): Form<NoteForm>,
) -> Result<Response> {
    let (p, n) = item::note(&state, Some(&user.account), &handle, &token).await?;
    match service::edit_note(&state, &user.account, &p, &n, &form).await {
        Ok(n) => Ok(redirect_with_notice(
            &service::local_link(&state, &n.uri),
            "A new revision is saved.",
        )),
        Err(Error::Invalid(errors)) => {
            let failed = Some((Draft::Note(form), errors));
            let page = item_page(&state, ctx, Item::Note(n), failed).await?;
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
    let (_, note) = item::note(&state, ctx.user.as_ref(), &handle, &token).await?;
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

/// The bytes, as an attachment with the type the content was checked to be.
async fn download(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path((handle, token)): Path<(String, String)>,
) -> Result<Response> {
    let reader = user.map(|u| u.account);
    let (_, f) = item::file(&state, reader.as_ref(), &handle, &token).await?;
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

/// The author or a manager deletes a task, note or file.
async fn delete_item(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, kind, token)): Path<(String, String, String)>,
) -> Result<Response> {
    if !matches!(kind.as_str(), "tasks" | "notes" | "files") {
        return Err(Error::NotFound);
    }
    let (p, item) = item::live(&state, Some(&user.account), &handle, &kind, &token).await?;
    service::delete_item(
        &state,
        &user.account,
        &p,
        item.uri(),
        item.author(),
        item.kind(),
    )
    .await?;
    Ok(redirect_with_notice(
        &format!("/projects/{}", p.handle),
        "Deleted.",
    ))
}
