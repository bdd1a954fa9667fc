//! Pages of e-mail addresses (`mod.rs` holds the rules): `/settings/email` (the address, its
//! state, "send again", the change form), `/email/confirm?token=…` (the mailed link: says what
//! it will do, then a button confirms) and the administrator's switch on `/admin`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::store::Purpose;
use super::Confirmed;
use crate::accounts::session::{Admin, MaybeUser, User};
use crate::error::{Error, Result};
use crate::mail;
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/email", get(settings_page).post(change_form))
        .route("/settings/email/resend", post(resend_form))
        .route("/email/confirm", get(confirm_page).post(confirm_form))
        .route("/admin/email-verification", post(admin_requirement))
}

#[derive(Template)]
#[template(path = "accounts/email.html")]
struct SettingsPage {
    ctx: PageCtx,
    current: String,
    verified: bool,
    pending: Option<String>,
    mail_on: bool,
    email: String,
    errors: FieldErrors,
}

async fn settings(
    state: &AppState,
    ctx: PageCtx,
    user: &crate::accounts::session::SignedIn,
    email: String,
    errors: FieldErrors,
) -> Result<SettingsPage> {
    Ok(SettingsPage {
        current: user.account.email.clone(),
        verified: user.account.email_verified,
        pending: super::store::pending_change(&state.db, user.account.id).await?,
        mail_on: mail::enabled(state),
        ctx,
        email,
        errors,
    })
}

async fn settings_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
) -> Result<Response> {
    render(&settings(&state, ctx, &user, String::new(), FieldErrors::new()).await?)
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn change_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<ChangeForm>,
) -> Result<Response> {
    match super::request_change(&state, &user.account, &form.email, &form.password).await {
        Ok(email) => Ok(redirect_with_notice(
            "/settings/email",
            &format!(
                "We mailed a link to {}. Your address changes when you open it; until then it stays {}.",
                email.as_str(),
                user.account.email
            ),
        )),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &settings(&state, ctx, &user, form.email, errors).await?,
        ),
        Err(e) => Err(e),
    }
}

async fn resend_form(State(state): State<AppState>, User(user): User) -> Result<Response> {
    let notice = match super::resend(&state, &user.account).await {
        Ok(true) => format!(
            "We mailed a new link to {}. Links sent before no longer work.",
            user.account.email
        ),
        Ok(false) => "Your address is confirmed already.".to_string(),
        Err(Error::TooManyRequests(_)) => {
            "A link was mailed less than a minute ago. Look in your mailbox (and its spam folder), or try again in a minute.".to_string()
        }
        Err(e) => return Err(e),
    };
    Ok(redirect_with_notice("/settings/email", &notice))
}

#[derive(Template)]
#[template(path = "accounts/email_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    token: String,
    /// What the link does, when it is live: `(is a change, the address)`.
    live: Option<(bool, String)>,
    /// Why it did not work, when it was used and failed.
    problem: Option<String>,
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Says what the link will do and asks for one click (so a mail scanner that opens links
/// does not use it up).
async fn confirm_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<TokenQuery>,
) -> Result<Response> {
    let live = super::live(&state, &q.token)
        .await?
        .map(|l| (l.purpose == Purpose::Change, l.email));
    let status = if live.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ConfirmPage {
            ctx,
            token: q.token,
            live,
            problem: None,
        },
    )
}

async fn confirm_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Form(form): Form<TokenQuery>,
) -> Result<Response> {
    let to = if user.is_some() {
        "/settings/email"
    } else {
        "/login"
    };
    match super::confirm(&state, &form.token).await {
        Ok(Confirmed::Verified { .. }) => Ok(redirect_with_notice(
            to,
            "Thank you: your e-mail address is confirmed.",
        )),
        Ok(Confirmed::Changed { email, .. }) => Ok(redirect_with_notice(
            to,
            &format!("Your e-mail address is now {email}."),
        )),
        Err(Error::Invalid(errors)) => {
            let problem = match errors.get("email") {
                Some(m) => {
                    format!("This address {m}, so it cannot be yours here. Nothing was changed.")
                }
                None => super::DEAD_LINK.to_string(),
            };
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ConfirmPage {
                    ctx,
                    token: String::new(),
                    live: None,
                    problem: Some(problem),
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct RequirementForm {
    #[serde(default)]
    require_email_verification: Option<String>,
}

async fn admin_requirement(
    State(state): State<AppState>,
    Admin(_): Admin,
    Form(form): Form<RequirementForm>,
) -> Result<Response> {
    let on = form.require_email_verification.is_some();
    match super::set_requirement(&state, on).await {
        Ok(()) => Ok(redirect_with_notice(
            "/admin#email",
            if on {
                "New members must now confirm their e-mail address before they take part."
            } else {
                "New members no longer need to confirm their e-mail address."
            },
        )),
        Err(Error::Invalid(_)) => Err(Error::Conflict(
            "This instance sends no mail (no SMTP server is configured), so new members could \
             not confirm their address: the setting stays off. See the operations guide."
                .into(),
        )),
        Err(e) => Err(e),
    }
}
