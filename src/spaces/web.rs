//! Pages: the space's home, first-run setup, and the admin settings with invite links.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::model::{Invite, RegistrationMode, Space, SpaceForm};
use super::setup::{self, SetupForm};
use super::store;
use crate::accounts::session::{self, Admin};
use crate::accounts::{self, Account};
use crate::companies::{self, model::CompanyInvite, Company};
use crate::error::{Error, Result};
use crate::federation::negotiate;
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup", get(setup_page).post(setup_submit))
        .route("/admin", get(admin_page).post(admin_save))
        .route("/admin/invites", post(create_invite))
        .route("/admin/invites/{code}/revoke", post(revoke_invite))
}

/// Until the space is set up, every page leads to the setup page.
pub async fn require_setup(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let exempt = path == "/setup"
        || path.starts_with("/static/")
        || path.starts_with("/api/")
        || path == "/healthz"
        || path == "/metrics";
    if !exempt && request.method() == Method::GET && !state.is_set_up().await {
        return Redirect::to("/setup").into_response();
    }
    next.run(request).await
}

// --- home ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "spaces/home.html")]
struct HomePage {
    ctx: PageCtx,
    space: Space,
    member_count: i64,
    company_count: i64,
    members: Vec<Account>,
    companies: Vec<Company>,
    invitations: Vec<CompanyInvite>,
    my_companies: Vec<companies::Membership>,
    upcoming: Vec<crate::events::cards::EventCard>,
    calendar_feed: String,
    free_today: Vec<crate::bookings::grid::FreeToday>,
}

async fn home(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ctx: PageCtx,
) -> Result<Response> {
    let Some(space) = store::get(&state.db).await? else {
        return Ok(Redirect::to("/setup").into_response());
    };
    if negotiate::wants_activity_json(&headers) {
        return Ok(negotiate::activity_json(
            &super::actor::organization(&state, &space).await?,
        ));
    }
    let everyone = ctx.is_signed_in();
    let (invitations, my_companies) = match &ctx.user {
        Some(u) => (
            companies::store::invites_for(&state.db, u.id).await?,
            companies::store::memberships_of(&state.db, u.id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let upcoming = crate::events::cards::cards(
        &state,
        crate::events::lists::upcoming(&state, ctx.is_signed_in(), 6).await?,
    )
    .await?;
    render(&HomePage {
        free_today: crate::bookings::grid::free_today(&state).await?,
        calendar_feed: "/calendar.ics".into(),
        upcoming,
        // Signed-out visitors see only the members who chose to be listed.
        member_count: accounts::store::count_visible(&state.db, everyone).await?,
        company_count: companies::store::count(&state.db).await?,
        members: accounts::store::list_visible(&state.db, everyone, 6, 0).await?,
        companies: companies::store::list(&state.db, 6, 0).await?,
        space,
        invitations,
        my_companies,
        ctx,
    })
    .map(negotiate::vary_accept)
}

// --- setup --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "spaces/setup.html")]
struct SetupPage {
    ctx: PageCtx,
    form: SetupForm,
    errors: FieldErrors,
}

async fn setup_page(State(state): State<AppState>, ctx: PageCtx) -> Result<Response> {
    if state.is_set_up().await {
        return Ok(Redirect::to("/").into_response());
    }
    render(&SetupPage {
        ctx,
        form: SetupForm::default(),
        errors: FieldErrors::new(),
    })
}

async fn setup_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<SetupForm>,
) -> Result<Response> {
    match setup::run(&state.db, &form).await {
        Ok(admin_id) => {
            state.mark_set_up();
            let token = session::start_web_session(&state, admin_id).await?;
            let mut response = redirect_with_notice(
                "/admin",
                "Your space is ready. Choose who may join, then invite your coworkers.",
            );
            if let Ok(v) = HeaderValue::from_str(&session::session_cookie(&state, &token)) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SetupPage {
                ctx,
                form: SetupForm {
                    admin_password: String::new(),
                    ..form
                },
                errors,
            },
        ),
        Err(e) => Err(e),
    }
}

// --- admin --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "spaces/admin.html")]
struct AdminPage {
    ctx: PageCtx,
    form: SpaceForm,
    mode: RegistrationMode,
    invites: Vec<Invite>,
    base_url: String,
    require_2fa_for_staff: bool,
    /// New members must confirm their address (needs mail: `mail_on`).
    require_email_verification: bool,
    mail_on: bool,
    errors: FieldErrors,
    /// The IANA time zone of bookings and opening hours.
    timezone: String,
}

impl AdminPage {
    async fn build(
        state: &AppState,
        ctx: PageCtx,
        form: Option<(SpaceForm, String)>,
        errors: FieldErrors,
    ) -> Result<Self> {
        let space = store::get(&state.db).await?.ok_or(Error::NotFound)?;
        let (form, timezone) = match form {
            Some((f, tz)) => (Some(f), tz),
            None => (None, space.timezone.clone()),
        };
        let form = form.unwrap_or_else(|| SpaceForm {
            name: space.name.clone(),
            description: space.description.clone(),
            address: space.address.clone(),
            city: space.city.clone(),
            country: space.country.clone(),
            website: space.website.clone(),
        });
        Ok(AdminPage {
            ctx,
            form,
            mode: space.registration_mode,
            invites: store::live_invites(&state.db).await?,
            base_url: state.config.base_url(),
            require_2fa_for_staff: store::require_2fa_for_staff(&state.db).await?,
            require_email_verification: space.require_email_verification,
            mail_on: crate::mail::enabled(state),
            errors,
            timezone,
        })
    }

    fn days_left(&self, invite: &Invite) -> i64 {
        ((invite.expires_at - crate::storage::now_ms()) / 86_400_000).max(0)
    }
}

async fn admin_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
) -> Result<Response> {
    render(&AdminPage::build(&state, ctx, None, FieldErrors::new()).await?)
}

#[derive(Deserialize)]
struct AdminForm {
    #[serde(flatten)]
    space: SpaceForm,
    #[serde(default)]
    registration_mode: String,
    #[serde(default)]
    timezone: String,
}

async fn admin_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
    Form(form): Form<AdminForm>,
) -> Result<Response> {
    let mut errors = FieldErrors::new();
    let details = form.space.validate(&mut errors);
    let mode = errors.check(
        "registration_mode",
        RegistrationMode::parse(&form.registration_mode),
    );
    // Empty keeps the current zone.
    let timezone = if form.timezone.trim().is_empty() {
        Some(None)
    } else {
        errors
            .check(
                "timezone",
                crate::events::times::zone(&form.timezone)
                    .map(|z| z.name().to_string())
                    .ok_or_else(|| "is not a time zone the zone database knows".to_string()),
            )
            .map(Some)
    };
    match (details, mode, timezone) {
        (Some(d), Some(m), Some(tz)) if errors.is_empty() => {
            store::update(&state.db, &d, m).await?;
            if let Some(tz) = tz {
                store::set_timezone(&state.db, &tz).await?;
            }
            Ok(redirect_with_notice("/admin", "Settings saved."))
        }
        _ => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &AdminPage::build(&state, ctx, Some((form.space, form.timezone)), errors).await?,
        ),
    }
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    email: String,
}

async fn create_invite(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Form(form): Form<InviteForm>,
) -> Result<Response> {
    let max_uses = form.max_uses.trim().parse::<i64>().unwrap_or(1);
    let days = form.days.trim().parse::<i64>().unwrap_or(7);
    let to = super::api::invite_address(Some(&form.email))?;
    let invite = super::api::new_invite(&state, admin.account.id, max_uses, days).await?;
    let notice = match &to {
        Some(to) if super::api::mail_invite(&state, &admin.account, &invite, to).await? => {
            format!("Invite link created and mailed to {}.", to.as_str())
        }
        Some(_) => "Invite link created, but mail is off: copy it and send it on.".to_string(),
        None => "Invite link created. Copy it and send it on.".to_string(),
    };
    Ok(redirect_with_notice("/admin#invites", &notice))
}

async fn revoke_invite(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(code): Path<String>,
) -> Result<Response> {
    store::revoke_invite(&state.db, &code).await?;
    Ok(redirect_with_notice(
        "/admin#invites",
        "Invite link revoked.",
    ))
}
