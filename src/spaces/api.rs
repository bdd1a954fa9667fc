//! JSON API for the space: its details, setup, settings and invite links.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::model::{Invite, RegistrationMode, SpaceForm};
use super::setup::{self, SetupForm};
use super::store;
use crate::accounts::session::Admin;
use crate::api::ApiJson;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::now_ms;
use crate::validate::{Email, FieldErrors};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/space", get(get_space).patch(update_space))
        .route("/setup", post(run_setup))
        .route("/admin/invites", get(list_invites).post(create_invite))
        .route("/admin/invites/{code}", delete(revoke_invite))
}

async fn get_space(State(state): State<AppState>) -> Result<Json<serde_json::Value>> {
    let space = store::get(&state.db).await?.ok_or(Error::NotFound)?;
    let members = crate::accounts::store::count(&state.db).await?;
    let companies = crate::companies::store::count(&state.db).await?;
    let mut v = serde_json::to_value(&space).map_err(anyhow::Error::from)?;
    v["domain"] = json!(state.config.domain);
    v["member_count"] = json!(members);
    v["company_count"] = json!(companies);
    Ok(Json(v))
}

async fn run_setup(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<SetupForm>,
) -> Result<Response> {
    let id = setup::run(&state.db, &form).await?;
    state.mark_set_up();
    let admin = crate::accounts::store::by_id(&state.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((StatusCode::CREATED, Json(json!({ "admin": admin.handle }))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpacePatch {
    name: Option<String>,
    description: Option<String>,
    address: Option<String>,
    city: Option<String>,
    country: Option<String>,
    website: Option<String>,
    registration_mode: Option<String>,
    /// An IANA time zone name (`Europe/Lisbon`).
    timezone: Option<String>,
    /// New members must confirm their e-mail address (refused while mail is off).
    require_email_verification: Option<bool>,
}

async fn update_space(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiJson(patch): ApiJson<SpacePatch>,
) -> Result<Json<serde_json::Value>> {
    let current = store::get(&state.db).await?.ok_or(Error::NotFound)?;
    let form = SpaceForm {
        name: patch.name.unwrap_or(current.name),
        description: patch.description.unwrap_or(current.description),
        address: patch.address.unwrap_or(current.address),
        city: patch.city.unwrap_or(current.city),
        country: patch.country.unwrap_or(current.country),
        website: patch.website.unwrap_or(current.website),
    };
    let mut errors = FieldErrors::new();
    let details = form.validate(&mut errors);
    let mode = match patch.registration_mode {
        Some(m) => errors.check("registration_mode", RegistrationMode::parse(&m)),
        None => Some(current.registration_mode),
    };
    let timezone = match patch.timezone {
        Some(tz) => errors.check(
            "timezone",
            crate::events::times::zone(&tz)
                .map(|z| z.name().to_string())
                .ok_or_else(|| {
                    "is not a time zone the zone database knows (e.g. Europe/Lisbon)".to_string()
                }),
        ),
        None => None,
    };
    if patch.require_email_verification == Some(true) && !crate::mail::enabled(&state) {
        errors.add(
            "require_email_verification",
            "needs outgoing mail: this instance has no SMTP server configured, so nobody could \
             confirm an address",
        );
    }
    errors.into_result()?;
    let (Some(details), Some(mode)) = (details, mode) else {
        return Err(Error::Internal(anyhow::anyhow!("validated space missing")));
    };
    store::update(&state.db, &details, mode).await?;
    if let Some(tz) = timezone {
        store::set_timezone(&state.db, &tz).await?;
    }
    if let Some(on) = patch.require_email_verification {
        crate::accounts::email::set_requirement(&state, on).await?;
    }
    get_space(State(state)).await
}

/// Creates an invite link usable `max_uses` times within `days` days.
pub async fn new_invite(state: &AppState, by: i64, max_uses: i64, days: i64) -> Result<Invite> {
    let mut errors = FieldErrors::new();
    if !(1..=1000).contains(&max_uses) {
        errors.add("max_uses", "must be between 1 and 1000");
    }
    if !(1..=365).contains(&days) {
        errors.add("days", "must be between 1 and 365");
    }
    errors.into_result()?;
    let code = crate::accounts::session::random_token();
    let expires_at = now_ms() + days * 86_400_000;
    store::insert_invite(&state.db, &code, by, max_uses, expires_at).await?;
    Ok(Invite {
        code,
        max_uses,
        uses: 0,
        expires_at,
        created_at: now_ms(),
    })
}

#[derive(Deserialize)]
struct NewInvite {
    max_uses: Option<i64>,
    days: Option<i64>,
    /// When given, the link is mailed there.
    email: Option<String>,
}

/// Validates the optional address an invite link is mailed to (empty: none).
pub fn invite_address(raw: Option<&str>) -> Result<Option<Email>> {
    match raw.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) => Email::parse(e)
            .map(Some)
            .map_err(|m| Error::invalid("email", m)),
    }
}

/// Mails an invite link to `to` in the name of `by`; `false` when mail is off.
pub async fn mail_invite(
    state: &AppState,
    by: &crate::accounts::Account,
    invite: &Invite,
    to: &Email,
) -> Result<bool> {
    let space = store::name(&state.db)
        .await?
        .unwrap_or_else(|| state.config.domain.clone());
    let url = format!("{}/signup?invite={}", state.config.base_url(), invite.code);
    let days = ((invite.expires_at - now_ms()) / 86_400_000).max(1);
    let letter = crate::mail::Letter::new(format!("You are invited to join {space}"))
        .paragraph(format!(
            "{} (@{}) invites you to join {space}, a coworking space on Guildhall.",
            by.display_name, by.handle
        ))
        .paragraph(format!("The link works for {days} days."))
        .action(format!("Join {space}"), url);
    crate::mail::send(state, to, "invitation", &letter).await
}

async fn create_invite(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiJson(body): ApiJson<NewInvite>,
) -> Result<Response> {
    let to = invite_address(body.email.as_deref())?;
    let invite = new_invite(
        &state,
        admin.account.id,
        body.max_uses.unwrap_or(1),
        body.days.unwrap_or(7),
    )
    .await?;
    let mailed = match &to {
        Some(to) => mail_invite(&state, &admin.account, &invite, to).await?,
        None => false,
    };
    let url = format!("{}/signup?invite={}", state.config.base_url(), invite.code);
    let mut v = serde_json::to_value(&invite).map_err(anyhow::Error::from)?;
    v["url"] = json!(url);
    v["mailed"] = json!(mailed);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn list_invites(State(state): State<AppState>, Admin(_): Admin) -> Result<Json<Vec<Invite>>> {
    Ok(Json(store::live_invites(&state.db).await?))
}

async fn revoke_invite(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(code): Path<String>,
) -> Result<StatusCode> {
    if store::revoke_invite(&state.db, &code).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound)
    }
}
