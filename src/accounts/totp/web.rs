//! Pages of two-factor sign-in: the second step of signing in, the enrolment and settings page
//! (QR code, secret, confirmation, recovery codes, turning it off), and the administrator's
//! staff requirement.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::service::{self, Enrolment, CHALLENGE_COOKIE, CHALLENGE_SECONDS};
use super::store;
use crate::accounts::session::{self, Admin, User};
use crate::accounts::web::with_cookie;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::client::ClientIp;
use crate::web::cookies;
use crate::web::page::{redirect_with_notice, render, render_status, safe_next, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/code", get(code_page).post(submit_code))
        .route("/settings/two-factor", get(settings_page))
        .route("/settings/two-factor/setup", post(setup))
        .route("/settings/two-factor/confirm", post(confirm))
        .route("/settings/two-factor/recovery-codes", post(regenerate))
        .route(
            "/settings/two-factor/disable",
            get(disable_page).post(disable),
        )
        .route("/admin/two-factor", post(admin_requirement))
}

/// Signs a member in after a right password or a password reset: with two-factor sign-in on,
/// the code step comes first (and leads to `next`); otherwise `landing` with a session cookie.
pub async fn sign_in(
    state: &AppState,
    account_id: i64,
    next: &str,
    landing: Response,
) -> Result<Response> {
    if store::is_enabled(&state.db, account_id).await? {
        return second_step_redirect(state, account_id, next).await;
    }
    let token = session::start_web_session(state, account_id).await?;
    Ok(with_cookie(
        landing,
        &session::session_cookie(state, &token),
    ))
}

/// The redirect after a right password when a second step is due: the challenge cookie and
/// the code page.
pub async fn second_step_redirect(
    state: &AppState,
    account_id: i64,
    next: &str,
) -> Result<Response> {
    let token = service::start_challenge(state, account_id).await?;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    Ok(with_cookie(
        Redirect::to(&format!("/login/code?{query}")).into_response(),
        &challenge_cookie(state, &token, CHALLENGE_SECONDS),
    ))
}

fn challenge_cookie(state: &AppState, token: &str, max_age: i64) -> String {
    cookies::build(
        CHALLENGE_COOKIE,
        token,
        Some(max_age),
        !state.config.dev_http,
        true,
    )
}

// --- the second step of signing in --------------------------------------------------------

#[derive(Template)]
#[template(path = "accounts/login_code.html")]
struct CodePage {
    ctx: PageCtx,
    next: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn code_page(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ctx: PageCtx,
    Query(q): Query<NextQuery>,
) -> Result<Response> {
    let next = safe_next(q.next.as_deref());
    let token = cookies::get(&headers, CHALLENGE_COOKIE).unwrap_or_default();
    if service::challenge_account(&state, &token).await?.is_none() {
        return Ok(redirect_with_notice(
            "/login",
            "Your sign-in has expired. Please sign in again.",
        ));
    }
    render(&CodePage {
        ctx,
        next,
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

async fn submit_code(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: axum::http::HeaderMap,
    ctx: PageCtx,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let token = cookies::get(&headers, CHALLENGE_COOKIE).unwrap_or_default();
    let Some(account) = service::challenge_account(&state, &token).await? else {
        return Ok(redirect_with_notice(
            "/login",
            "Your sign-in has expired. Please sign in again.",
        ));
    };
    match service::complete_challenge(&state, &account, &token, &form.code, client).await {
        Ok(()) => {
            let session_token = session::start_web_session(&state, account.id).await?;
            let response = with_cookie(
                Redirect::to(&next).into_response(),
                &session::session_cookie(&state, &session_token),
            );
            Ok(with_cookie(response, &challenge_cookie(&state, "", 0)))
        }
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &CodePage { ctx, next, errors },
        ),
        Err(e) => Err(e),
    }
}

// --- settings -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "accounts/two_factor.html")]
struct SettingsPage {
    ctx: PageCtx,
    enabled: bool,
    enabled_at: String,
    codes_left: i64,
    pending: Option<Enrolment>,
    required: bool,
    errors: FieldErrors,
}

impl SettingsPage {
    /// The secret in groups of four, easier to type.
    fn grouped(&self, secret: &str) -> String {
        secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn settings_of(
    state: &AppState,
    ctx: PageCtx,
    account: &crate::accounts::Account,
    errors: FieldErrors,
) -> Result<SettingsPage> {
    let row = store::get(&state.db, account.id).await?;
    let enabled = row.as_ref().is_some_and(|r| r.enabled);
    let enabled_at = row
        .as_ref()
        .and_then(|r| r.enabled_at)
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    Ok(SettingsPage {
        enabled,
        enabled_at,
        codes_left: if enabled {
            store::recovery_codes_left(&state.db, account.id).await?
        } else {
            0
        },
        pending: service::pending_enrolment(state, account).await?,
        required: service::must_enrol(state, account).await?,
        ctx,
        errors,
    })
}

async fn settings_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    render(&settings_of(&state, ctx, &user.account, FieldErrors::new()).await?)
}

async fn setup(State(state): State<AppState>, User(user): User) -> Result<Response> {
    service::begin_enrolment(&state, &user.account).await?;
    Ok(Redirect::to("/settings/two-factor#confirm-form").into_response())
}

#[derive(Deserialize)]
struct CodeOnly {
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "accounts/recovery_codes.html")]
struct RecoveryCodesPage {
    ctx: PageCtx,
    codes: Vec<String>,
    fresh_enrolment: bool,
}

async fn confirm(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<CodeOnly>,
) -> Result<Response> {
    match service::confirm_enrolment(&state, &user.account, &form.code, Some(client)).await {
        Ok(codes) => render(&RecoveryCodesPage {
            ctx,
            codes,
            fresh_enrolment: true,
        }),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &settings_of(&state, ctx, &user.account, errors).await?,
        ),
        Err(e) => Err(e),
    }
}

async fn regenerate(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<CodeOnly>,
) -> Result<Response> {
    match service::regenerate_recovery_codes(&state, &user.account, &form.code, Some(client)).await
    {
        Ok(codes) => render(&RecoveryCodesPage {
            ctx,
            codes,
            fresh_enrolment: false,
        }),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &settings_of(&state, ctx, &user.account, errors).await?,
        ),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "accounts/two_factor_disable.html")]
struct DisablePage {
    ctx: PageCtx,
    errors: FieldErrors,
}

async fn disable_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    if !store::is_enabled(&state.db, user.account.id).await? {
        return Ok(Redirect::to("/settings/two-factor").into_response());
    }
    render(&DisablePage {
        ctx,
        errors: FieldErrors::new(),
    })
}

async fn disable(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<CodeOnly>,
) -> Result<Response> {
    match service::disable(&state, &user.account, &form.code, Some(client)).await {
        Ok(()) => Ok(redirect_with_notice(
            "/settings/two-factor",
            "Two-factor sign-in is off.",
        )),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &DisablePage { ctx, errors },
        ),
        Err(e) => Err(e),
    }
}

// --- the administrator's requirement ------------------------------------------------------

#[derive(Deserialize)]
struct RequirementForm {
    #[serde(default)]
    require_2fa_for_staff: Option<String>,
}

async fn admin_requirement(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Form(form): Form<RequirementForm>,
) -> Result<Response> {
    let on = form.require_2fa_for_staff.is_some();
    match service::set_staff_requirement(&state, &admin.account, on).await {
        Ok(()) => Ok(redirect_with_notice(
            "/admin#two-factor",
            if on {
                "Staff must now use two-factor sign-in."
            } else {
                "Two-factor sign-in is no longer required of staff."
            },
        )),
        Err(Error::Invalid(_)) => Ok(redirect_with_notice(
            "/admin#two-factor",
            "Turn on two-factor sign-in for your own account first (Settings, Two-factor sign-in).",
        )),
        Err(e) => Err(e),
    }
}
