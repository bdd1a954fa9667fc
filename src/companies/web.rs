//! Company pages: the list of the space's companies, a company's profile, creating and editing
//! one (with its logo), its members with roles and invitations, and leaving (answering an
//! invitation is in `invitations_web`).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::model::{CompanyInvite, CompanyMember, Role, SIZES};
use super::service::{self, CompanyForm};
use super::{store, Company};
use crate::accounts::session::User;
use crate::error::{Error, Result};
use crate::federation::negotiate;
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/companies", get(list))
        .route("/companies/new", get(new_page).post(create))
        .route("/companies/{handle}", get(profile))
        .route("/companies/{handle}/edit", get(edit_page).post(edit))
        .route("/companies/{handle}/logo", post(upload_logo))
        .route("/companies/{handle}/members", get(members_page))
        .route("/companies/{handle}/members/invite", post(invite))
        .route(
            "/companies/{handle}/invites/{id}/cancel",
            post(cancel_invite),
        )
        .route(
            "/companies/{handle}/members/{member}/remove",
            post(remove_member),
        )
        .route(
            "/companies/{handle}/members/{member}/role",
            post(change_role),
        )
        .route("/companies/{handle}/leave", post(leave))
        .route("/companies/{handle}/delete", post(delete_company))
        .merge(super::invitations_web::router())
}

/// A date for people, such as "3 Mar 2025".
fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_default()
}

async fn company_or_404(state: &AppState, handle: &str) -> Result<Company> {
    store::by_handle(&state.db, handle)
        .await?
        .ok_or(Error::NotFound)
}

/// The role of the signed-in member (if any) in a company.
async fn viewer_role(state: &AppState, ctx: &PageCtx, company: &Company) -> Result<Option<Role>> {
    match &ctx.user {
        Some(u) => store::role_of(&state.db, company.id, u.id).await,
        None => Ok(None),
    }
}

// --- list ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "companies/list.html")]
struct ListPage {
    ctx: PageCtx,
    companies: Vec<Company>,
    total: i64,
    page: i64,
    has_more: bool,
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

const PER_PAGE: i64 = 30;

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let mut companies = store::list(&state.db, PER_PAGE + 1, (page - 1) * PER_PAGE).await?;
    let has_more = companies.len() as i64 > PER_PAGE;
    companies.truncate(PER_PAGE as usize);
    render(&ListPage {
        ctx,
        companies,
        total: store::count(&state.db).await?,
        page,
        has_more,
    })
}

// --- create -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "companies/new.html")]
struct NewPage {
    ctx: PageCtx,
    form: CompanyForm,
    errors: FieldErrors,
}

impl NewPage {
    fn sizes(&self) -> &'static [&'static str] {
        SIZES
    }

    fn size_is(&self, s: &str) -> bool {
        self.form.size == s
    }

    fn hiring(&self) -> bool {
        CompanyForm::is_on(&self.form.hiring)
    }

    fn open_to_collaborate(&self) -> bool {
        CompanyForm::is_on(&self.form.open_to_collaborate)
    }

    fn discoverable(&self) -> bool {
        CompanyForm::is_on(&self.form.discoverable)
    }
}

async fn new_page(ctx: PageCtx, User(_): User) -> Result<Response> {
    render(&NewPage {
        ctx,
        form: CompanyForm::new_company(),
        errors: FieldErrors::new(),
    })
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<CompanyForm>,
) -> Result<Response> {
    match service::create(&state.db, &user.account, &form).await {
        Ok(company) => Ok(redirect_with_notice(
            &format!("/companies/{}", company.handle),
            &format!(
                "{} is created. Add a logo and invite your colleagues.",
                company.name
            ),
        )),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewPage { ctx, form, errors },
        ),
        Err(e) => Err(e),
    }
}

// --- profile ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "companies/profile.html")]
struct ProfilePage {
    ctx: PageCtx,
    company: Company,
    members: Vec<CompanyMember>,
    member_count: usize,
    viewer: Option<Role>,
    upcoming: Vec<crate::events::cards::EventCard>,
    calendar_feed: String,
    social: crate::posts::profile::Social,
}

/// How many members the profile shows before "all members".
const PREVIEW: usize = 8;

impl ProfilePage {
    fn can_manage(&self) -> bool {
        self.viewer.is_some_and(|r| r.can_manage())
    }

    fn is_member(&self) -> bool {
        self.viewer.is_some()
    }

    fn viewer_label(&self) -> &'static str {
        self.viewer.map(|r| r.label()).unwrap_or("")
    }
}

async fn profile(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ctx: PageCtx,
    Path(handle): Path<String>,
) -> Result<Response> {
    let wants_json = negotiate::wants_activity_json(&headers);
    let Some(company) = store::by_handle(&state.db, &handle).await? else {
        let uri =
            crate::federation::urls::Urls::new(&state.config).company(&handle.to_ascii_lowercase());
        return match crate::federation::tombstones::find(&state.db, &uri).await? {
            Some((former, at)) => Ok(crate::federation::tombstones::gone(
                &uri, &former, at, wants_json,
            )),
            None => Err(Error::NotFound),
        };
    };
    if wants_json {
        return Ok(negotiate::activity_json(
            &super::actor::organization(&state, &company).await?,
        ));
    }
    let viewer = viewer_role(&state, &ctx, &company).await?;
    let mut members = store::members(&state.db, company.id).await?;
    let member_count = members.len();
    members.truncate(PREVIEW);
    let uri = crate::federation::urls::Urls::new(&state.config).company(&company.handle);
    let upcoming = crate::events::cards::upcoming_of(&state, &uri, ctx.is_signed_in()).await?;
    let social = crate::posts::profile::social(
        &state,
        &uri,
        &format!("@{}@{}", company.handle, ctx.domain),
        ctx.user.as_ref(),
        &format!("/companies/{}", company.handle),
    )
    .await?;
    render(&ProfilePage {
        social,
        calendar_feed: format!("/companies/{}/calendar.ics", company.handle),
        upcoming,
        ctx,
        company,
        members,
        member_count,
        viewer,
    })
    .map(negotiate::vary_accept)
}

// --- edit ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "companies/edit.html")]
struct EditPage {
    ctx: PageCtx,
    company: Company,
    form: CompanyForm,
    errors: FieldErrors,
    /// Owners see the "delete the company" section.
    is_owner: bool,
}

impl EditPage {
    fn of(ctx: PageCtx, company: Company, role: Role) -> Self {
        EditPage {
            form: CompanyForm::of(&company),
            ctx,
            company,
            errors: FieldErrors::new(),
            is_owner: role == Role::Owner,
        }
    }

    fn sizes(&self) -> &'static [&'static str] {
        SIZES
    }

    fn size_is(&self, s: &str) -> bool {
        self.form.size == s
    }

    fn hiring(&self) -> bool {
        CompanyForm::is_on(&self.form.hiring)
    }

    fn open_to_collaborate(&self) -> bool {
        CompanyForm::is_on(&self.form.open_to_collaborate)
    }

    fn discoverable(&self) -> bool {
        CompanyForm::is_on(&self.form.discoverable)
    }
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<Response> {
    let (company, role) = service::managed(&state.db, &handle, &user.account).await?;
    render(&EditPage::of(ctx, company, role))
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(handle): Path<String>,
    Form(form): Form<CompanyForm>,
) -> Result<Response> {
    match service::update(&state.db, &handle, &user.account, &form).await {
        Ok(company) => {
            super::actor::publish_update(&state, &company.handle).await?;
            Ok(redirect_with_notice(
                &format!("/companies/{}", company.handle),
                "The company profile is saved.",
            ))
        }
        Err(Error::Invalid(errors)) => {
            let (company, role) = service::managed(&state.db, &handle, &user.account).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &EditPage {
                    ctx,
                    company,
                    form,
                    errors,
                    is_owner: role == Role::Owner,
                },
            )
        }
        Err(e) => Err(e),
    }
}

async fn upload_logo(
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
    // Refuse outsiders before reading what they sent.
    let (company, role) = service::managed(&state.db, &handle, &user.account).await?;
    let result = match crate::media::read_upload(multipart, "file").await {
        Ok(data) => service::replace_logo(&state, &company.handle, &user.account, data).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect_with_notice(
            &format!("/companies/{}/edit", company.handle),
            "The new logo is saved.",
        )),
        Err(Error::Invalid(errors)) => {
            let mut page = EditPage::of(ctx, company, role);
            page.errors = errors;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

// --- members ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "companies/members.html")]
struct MembersPage {
    ctx: PageCtx,
    company: Company,
    members: Vec<CompanyMember>,
    invites: Vec<CompanyInvite>,
    viewer: Option<Role>,
    /// The invite form as sent, when shown again with its errors.
    member: String,
    role: String,
    errors: FieldErrors,
}

impl MembersPage {
    async fn load(state: &AppState, ctx: PageCtx, handle: &str) -> Result<Self> {
        let company = company_or_404(state, handle).await?;
        let viewer = viewer_role(state, &ctx, &company).await?;
        let members = store::members(&state.db, company.id).await?;
        let invites = if viewer.is_some_and(|r| r.can_manage()) {
            store::invites_of_company(&state.db, company.id).await?
        } else {
            Vec::new()
        };
        Ok(MembersPage {
            ctx,
            company,
            members,
            invites,
            viewer,
            member: String::new(),
            role: "member".into(),
            errors: FieldErrors::new(),
        })
    }

    fn can_manage(&self) -> bool {
        self.viewer.is_some_and(|r| r.can_manage())
    }

    fn is_owner(&self) -> bool {
        self.viewer == Some(Role::Owner)
    }

    fn is_me(&self, m: &CompanyMember) -> bool {
        m.handle == self.ctx.handle()
    }

    /// Owners remove anyone; admins remove plain members. Oneself leaves instead.
    fn can_remove(&self, m: &CompanyMember) -> bool {
        if self.is_me(m) {
            return false;
        }
        match self.viewer {
            Some(Role::Owner) => true,
            Some(Role::Admin) => m.role == Role::Member,
            _ => false,
        }
    }

    fn joined(&self, m: &CompanyMember) -> String {
        day(m.joined_at)
    }

    fn invited(&self, i: &CompanyInvite) -> String {
        day(i.created_at)
    }

    fn roles(&self) -> [Role; 3] {
        [Role::Member, Role::Admin, Role::Owner]
    }
}

async fn members_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(handle): Path<String>,
) -> Result<Response> {
    render(&MembersPage::load(&state, ctx, &handle).await?)
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    member: String,
    #[serde(default)]
    role: String,
}

async fn invite(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(handle): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response> {
    match service::invite(
        &state.db,
        &handle,
        &user.account,
        &crate::federation::urls::Urls::new(&state.config).member(&user.account.handle),
        &form.member,
        &form.role,
    )
    .await
    {
        Ok(invite) => {
            super::api::mail_invitation(&state, &user.account, &invite).await?;
            Ok(redirect_with_notice(
                &format!("/companies/{}/members", invite.company_handle),
                &format!(
                    "@{} is invited. They will see the invitation when they next sign in.",
                    invite.member_handle
                ),
            ))
        }
        Err(Error::Invalid(errors)) => {
            let mut page = MembersPage::load(&state, ctx, &handle).await?;
            page.member = form.member;
            page.role = form.role;
            page.errors = errors;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

async fn cancel_invite(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response> {
    service::cancel_invite(&state.db, &handle, &user.account, id).await?;
    Ok(redirect_with_notice(
        &format!("/companies/{}/members", handle.to_ascii_lowercase()),
        "The invitation is withdrawn.",
    ))
}

async fn remove_member(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, member)): Path<(String, String)>,
) -> Result<Response> {
    service::remove(&state.db, &handle, &user.account, &member).await?;
    let handle = handle.to_ascii_lowercase();
    if member.eq_ignore_ascii_case(&user.account.handle) {
        return Ok(redirect_with_notice(
            &format!("/companies/{handle}"),
            "You left the company.",
        ));
    }
    Ok(redirect_with_notice(
        &format!("/companies/{handle}/members"),
        &format!("@{member} is no longer a member."),
    ))
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, member)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Result<Response> {
    service::change_role(&state.db, &handle, &user.account, &member, &form.role).await?;
    let label = Role::parse(&form.role)
        .map(|r| r.label())
        .unwrap_or("member");
    Ok(redirect_with_notice(
        &format!("/companies/{}/members", handle.to_ascii_lowercase()),
        &format!("@{member} is now {}.", label.to_lowercase()),
    ))
}

async fn leave(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<Response> {
    service::leave(&state.db, &handle, &user.account).await?;
    Ok(redirect_with_notice(
        &format!("/companies/{}", handle.to_ascii_lowercase()),
        "You left the company.",
    ))
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// An owner deletes the company after typing its handle.
async fn delete_company(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Result<Response> {
    if form.confirm.trim().trim_start_matches('@') != handle {
        return Err(Error::invalid("confirm", "must be the company's handle"));
    }
    service::delete(&state, &handle, &user.account).await?;
    Ok(redirect_with_notice(
        "/companies",
        "The company is deleted.",
    ))
}
