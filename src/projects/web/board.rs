//! The list of projects, creating one, a local project's board (its `Group` document for
//! servers) with what its forms add (a task, a note, a file). Joining and leaving are
//! `crate::hub::membership`'s (joining is following the group).

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};

use super::{columns, day, me_uri, task_rows, Column, Link};
use crate::accounts::session::User;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::negotiate;
use crate::federation::urls::Urls;
use crate::projects::model::{Note, Project, ProjectFile};
use crate::projects::service::{self, NoteForm, ProjectForm, TaskForm};
use crate::projects::{access, files, item, objects, store};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(list))
        .route("/projects/new", get(new_page).post(create))
        .route("/projects/{handle}", get(board))
        .route("/projects/{handle}/tasks", post(create_task))
        .route("/projects/{handle}/notes", post(create_note))
        .route("/projects/{handle}/files", post(upload))
}

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

#[derive(Template)]
#[template(path = "projects/board.html")]
pub(super) struct BoardPage {
    pub(super) ctx: PageCtx,
    pub(super) name: String,
    pub(super) summary: String,
    pub(super) address: String,
    /// Where forms post: `/projects/{handle}` (empty for a remote project).
    pub(super) base: String,
    pub(super) remote: bool,
    pub(super) remote_uri: String,
    pub(super) closed: bool,
    /// "accepted", "pending" or "".
    pub(super) membership: String,
    pub(super) is_manager: bool,
    pub(super) member_count: usize,
    pub(super) pending_count: usize,
    pub(super) columns: Vec<Column>,
    pub(super) notes: Vec<Link>,
    pub(super) files: Vec<Link>,
    pub(super) task_form: TaskForm,
    pub(super) note_form: NoteForm,
    pub(super) errors: FieldErrors,
}

pub(super) async fn board_page(
    state: &AppState,
    ctx: PageCtx,
    p: &Project,
    task_form: TaskForm,
    note_form: NoteForm,
    errors: FieldErrors,
) -> Result<BoardPage> {
    let uri = service::uri_of(state, p);
    let me = me_uri(state, &ctx);
    let is_manager = access::manages(state, p, ctx.user.as_ref()).await?;
    let items = item::listed(state, &uri).await?;
    let rows = task_rows(state, items.tasks, me.as_deref()).await?;
    Ok(BoardPage {
        membership: access::membership(state, me.as_deref(), &uri).await?,
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
        notes: note_links(state, items.notes),
        files: file_links(state, items.files),
        task_form,
        note_form,
        errors,
    })
}

pub(super) fn note_links(state: &AppState, notes: Vec<Note>) -> Vec<Link> {
    notes
        .into_iter()
        .map(|n| Link {
            link: service::local_link(state, &n.uri),
            meta: format!("revision {} · {}", n.revision, day(n.updated_at)),
            title: n.title,
        })
        .collect()
}

pub(super) fn file_links(state: &AppState, files: Vec<ProjectFile>) -> Vec<Link> {
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

async fn upload(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(handle): Path<String>,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    multipart: Multipart,
) -> Result<Response> {
    state
        .limits
        .check(crate::web::rate::Bucket::Uploads, from)?;
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
