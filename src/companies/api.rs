//! JSON API for companies: the list, profiles (create, read, partial update, logo), members and
//! their roles, invitations sent by a company and invitations received by the caller.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{CompanyInvite, CompanyMember};
use super::service::{self, CompanyForm};
use super::{store, Company};
use crate::accounts::session::User;
use crate::api::{ApiJson, Paging};
use crate::error::{Error, Result};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/companies", get(list).post(create))
        .route(
            "/companies/{handle}",
            get(show).patch(update).delete(delete_company),
        )
        .route("/companies/{handle}/logo", put(put_logo))
        .route("/companies/{handle}/members", get(members))
        .route(
            "/companies/{handle}/members/{member}",
            patch(change_role).delete(remove_member),
        )
        .route(
            "/companies/{handle}/invites",
            get(company_invites).post(invite),
        )
        .route("/companies/{handle}/invites/{id}", delete(cancel_invite))
        .route("/companies/{handle}/leave", post(leave))
        .route("/invitations", get(my_invitations))
        .route("/invitations/{id}/accept", post(accept))
        .route("/invitations/{id}/decline", post(decline))
}

// --- views --------------------------------------------------------------------------------

/// A company as the API shows it.
#[derive(Serialize)]
pub struct CompanyView<'a> {
    #[serde(flatten)]
    pub company: &'a Company,
    pub logo_url: Option<String>,
}

impl<'a> CompanyView<'a> {
    pub fn of(company: &'a Company) -> Self {
        CompanyView {
            logo_url: company.logo_url(),
            company,
        }
    }
}

/// A member of a company as the API shows it.
#[derive(Serialize)]
pub struct MemberView<'a> {
    #[serde(flatten)]
    pub member: &'a CompanyMember,
    pub avatar_url: Option<String>,
}

impl<'a> MemberView<'a> {
    pub fn of(member: &'a CompanyMember) -> Self {
        MemberView {
            avatar_url: member.avatar_url(),
            member,
        }
    }
}

/// A company with its members.
async fn detail(state: &AppState, company: &Company) -> Result<serde_json::Value> {
    let members = store::members(&state.db, company.id).await?;
    let mut view = serde_json::to_value(CompanyView::of(company)).map_err(anyhow::Error::from)?;
    view["members"] = serde_json::to_value(members.iter().map(MemberView::of).collect::<Vec<_>>())
        .map_err(anyhow::Error::from)?;
    Ok(view)
}

async fn company_or_404(state: &AppState, handle: &str) -> Result<Company> {
    store::by_handle(&state.db, handle)
        .await?
        .ok_or(Error::NotFound)
}

// --- input --------------------------------------------------------------------------------

/// Skills as a JSON list of strings or as comma-separated text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SkillsInput {
    List(Vec<String>),
    Text(String),
}

impl SkillsInput {
    fn to_text(&self) -> String {
        match self {
            SkillsInput::List(list) => list.join(","),
            SkillsInput::Text(text) => text.clone(),
        }
    }
}

/// A company as JSON, with the names of [`CompanyForm`] and booleans for the flags. On create,
/// absent fields are empty (and `discoverable` true); on update they keep their value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub handle: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub industry: Option<String>,
    pub skills: Option<SkillsInput>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub website: Option<String>,
    pub size: Option<String>,
    pub hiring: Option<bool>,
    pub open_to_collaborate: Option<bool>,
    pub discoverable: Option<bool>,
}

impl CompanyInput {
    /// Lays these fields over `base`: what is present replaces, what is absent stays.
    fn over(self, mut base: CompanyForm) -> CompanyForm {
        let flag = |b: bool| b.then(|| "on".to_string());
        if let Some(v) = self.handle {
            base.handle = v;
        }
        if let Some(v) = self.name {
            base.name = v;
        }
        if let Some(v) = self.description {
            base.description = v;
        }
        if let Some(v) = self.industry {
            base.industry = v;
        }
        if let Some(v) = self.skills {
            base.skills = v.to_text();
        }
        if let Some(v) = self.city {
            base.city = v;
        }
        if let Some(v) = self.country {
            base.country = v;
        }
        if let Some(v) = self.website {
            base.website = v;
        }
        if let Some(v) = self.size {
            base.size = v;
        }
        if let Some(v) = self.hiring {
            base.hiring = flag(v);
        }
        if let Some(v) = self.open_to_collaborate {
            base.open_to_collaborate = flag(v);
        }
        if let Some(v) = self.discoverable {
            base.discoverable = flag(v);
        }
        base
    }
}

// --- companies ----------------------------------------------------------------------------

async fn list(
    State(state): State<AppState>,
    Query(paging): Query<Paging>,
) -> Result<Json<serde_json::Value>> {
    let companies = store::list(&state.db, paging.limit(), paging.offset()).await?;
    let total = store::count(&state.db).await?;
    let items: Vec<CompanyView> = companies.iter().map(CompanyView::of).collect();
    Ok(Json(json!({ "total": total, "items": items })))
}

async fn create(
    State(state): State<AppState>,
    User(user): User,
    ApiJson(input): ApiJson<CompanyInput>,
) -> Result<Response> {
    let form = input.over(CompanyForm::new_company());
    let company = service::create(&state.db, &user.account, &form).await?;
    let body = detail(&state, &company).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/companies/{}", company.handle),
        )],
        Json(body),
    )
        .into_response())
}

async fn show(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Json<serde_json::Value>> {
    let company = company_or_404(&state, &handle).await?;
    Ok(Json(detail(&state, &company).await?))
}

async fn update(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    ApiJson(input): ApiJson<CompanyInput>,
) -> Result<Json<serde_json::Value>> {
    let current = company_or_404(&state, &handle).await?;
    if input.handle.as_deref().is_some_and(|h| {
        !h.trim()
            .trim_start_matches('@')
            .eq_ignore_ascii_case(&current.handle)
    }) {
        // Refuse outsiders first, so a 422 never tells them more than a 403 would.
        service::managed(&state.db, &current.handle, &user.account).await?;
        return Err(Error::invalid("handle", "cannot be changed"));
    }
    let form = input.over(CompanyForm::of(&current));
    let company = service::update(&state.db, &current.handle, &user.account, &form).await?;
    super::actor::publish_update(&state, &company.handle).await?;
    Ok(Json(detail(&state, &company).await?))
}

async fn put_logo(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    multipart: Multipart,
) -> Result<Json<serde_json::Value>> {
    state
        .limits
        .check(crate::web::rate::Bucket::Uploads, from)?;
    // Refuse outsiders before reading what they sent.
    let (company, _) = service::managed(&state.db, &handle, &user.account).await?;
    let data = crate::media::read_upload(multipart, "file").await?;
    service::replace_logo(&state, &company.handle, &user.account, data).await?;
    let company = company_or_404(&state, &company.handle).await?;
    Ok(Json(detail(&state, &company).await?))
}

// --- members ------------------------------------------------------------------------------

async fn members(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<Json<serde_json::Value>> {
    let company = company_or_404(&state, &handle).await?;
    let members = store::members(&state.db, company.id).await?;
    let items: Vec<MemberView> = members.iter().map(MemberView::of).collect();
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    #[serde(default)]
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, member)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<Json<serde_json::Value>> {
    service::change_role(&state.db, &handle, &user.account, &member, &body.role).await?;
    let company = company_or_404(&state, &handle).await?;
    let members = store::members(&state.db, company.id).await?;
    let changed = members
        .iter()
        .find(|m| m.handle.eq_ignore_ascii_case(&member))
        .ok_or(Error::NotFound)?;
    Ok(Json(
        serde_json::to_value(MemberView::of(changed)).map_err(anyhow::Error::from)?,
    ))
}

async fn remove_member(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, member)): Path<(String, String)>,
) -> Result<StatusCode> {
    service::remove(&state.db, &handle, &user.account, &member).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn leave(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<StatusCode> {
    service::leave(&state.db, &handle, &user.account).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- invitations --------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteRequest {
    #[serde(default)]
    member: String,
    #[serde(default)]
    role: String,
}

async fn invite(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<InviteRequest>,
) -> Result<Response> {
    let invite = service::invite(
        &state.db,
        &handle,
        &user.account,
        &crate::federation::urls::Urls::new(&state.config).member(&user.account.handle),
        &body.member,
        &body.role,
    )
    .await?;
    mail_invitation(&state, &user.account, &invite).await?;
    Ok((StatusCode::CREATED, Json(invite)).into_response())
}

/// Mails the invited member (at their account's address) where to answer the invitation.
pub(super) async fn mail_invitation(
    state: &AppState,
    by: &crate::accounts::Account,
    invite: &super::model::CompanyInvite,
) -> Result<()> {
    let Some(member) = crate::accounts::store::by_handle(&state.db, &invite.member_handle).await?
    else {
        return Ok(());
    };
    let letter =
        crate::mail::Letter::new(format!("You are invited to join {}", invite.company_name))
            .paragraph(format!(
                "{} (@{}) invites you to join the company {} as {}.",
                by.display_name,
                by.handle,
                invite.company_name,
                invite.role.as_str()
            ))
            .paragraph("Accept or decline the invitation on your home page.")
            .action("See the invitation", crate::mail::absolute(state, "/"));
    crate::notifications::mailer::to_member_about(
        state,
        member.id,
        crate::notifications::topics::Topic::Invitations,
        "invitation",
        letter,
    )
    .await?;
    Ok(())
}

async fn company_invites(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<Json<Vec<CompanyInvite>>> {
    Ok(Json(
        service::pending_invites(&state.db, &handle, &user.account).await?,
    ))
}

async fn cancel_invite(
    State(state): State<AppState>,
    User(user): User,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<StatusCode> {
    service::cancel_invite(&state.db, &handle, &user.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn my_invitations(
    State(state): State<AppState>,
    User(user): User,
) -> Result<Json<Vec<CompanyInvite>>> {
    Ok(Json(store::invites_for(&state.db, user.account.id).await?))
}

/// Joins the company; answers with the company and its members.
async fn accept(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>> {
    let handle = service::answer_invite(&state.db, id, &user.account, true).await?;
    let company = company_or_404(&state, &handle).await?;
    Ok(Json(detail(&state, &company).await?))
}

async fn decline(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    service::answer_invite(&state.db, id, &user.account, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An owner deletes the company.
async fn delete_company(
    State(state): State<AppState>,
    User(user): User,
    Path(handle): Path<String>,
) -> Result<StatusCode> {
    service::delete(&state, &handle, &user.account).await?;
    Ok(StatusCode::NO_CONTENT)
}
