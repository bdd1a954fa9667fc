//! A local project's members and join requests, and its managers' settings.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{person, person_map};
use crate::accounts::session::User;
use crate::error::{Error, Result};
use crate::posts::people::Person;
use crate::projects::model::Project;
use crate::projects::service::{self, ProjectForm};
use crate::projects::{access, store};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{handle}/members", get(members_page))
        .route("/projects/{handle}/edit", post(edit_project))
        .route("/projects/{handle}/remove", post(remove_member))
}

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
    let is_manager = access::manages(&state, &project, ctx.user.as_ref()).await?;
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
