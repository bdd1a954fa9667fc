//! The pages and API of password reset (`reset.rs` holds the rules): `/password-reset` asks for
//! the address, `/password-reset/confirm?token=…` (the mailed link) for the new password;
//! `POST /api/v1/password-reset` and `POST /api/v1/password-reset/confirm` do the same in JSON.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::reset;
use crate::api::ApiJson;
use crate::error::{Error, Result};
use crate::mail;
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::client::ClientIp;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn web_router() -> Router<AppState> {
    Router::new()
        .route("/password-reset", get(request_page).post(request_form))
        .route(
            "/password-reset/confirm",
            get(confirm_page).post(confirm_form),
        )
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/password-reset", post(request_api))
        .route("/password-reset/confirm", post(confirm_api))
}

#[derive(Template)]
#[template(path = "accounts/reset_request.html")]
struct RequestPage {
    ctx: PageCtx,
    email: String,
    sent: bool,
    mail_on: bool,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default)]
    email: String,
}

async fn request_page(State(state): State<AppState>, ctx: PageCtx) -> Result<Response> {
    render(&RequestPage {
        ctx,
        email: String::new(),
        sent: false,
        mail_on: mail::enabled(&state),
        errors: FieldErrors::new(),
    })
}

async fn request_form(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ctx: PageCtx,
    Form(form): Form<RequestForm>,
) -> Result<Response> {
    let mail_on = mail::enabled(&state);
    match reset::request(&state, &form.email, client).await {
        Ok(()) => render(&RequestPage {
            ctx,
            email: form.email,
            sent: true,
            mail_on,
            errors: FieldErrors::new(),
        }),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RequestPage {
                ctx,
                email: form.email,
                sent: false,
                mail_on,
                errors,
            },
        ),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "accounts/reset_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    token: String,
    live: bool,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn confirm_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<TokenQuery>,
) -> Result<Response> {
    let live = reset::is_live(&state, &q.token).await?;
    let page = ConfirmPage {
        ctx,
        token: q.token,
        live,
        errors: FieldErrors::new(),
    };
    if live {
        render(&page)
    } else {
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

async fn confirm_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<ConfirmForm>,
) -> Result<Response> {
    match reset::confirm(&state, &form.token, &form.password).await {
        // A member with two-factor sign-in still gives a code: a reset proves the mailbox, not
        // the second factor.
        Ok(account_id) => {
            let landing =
                redirect_with_notice("/", "Your password is changed, and you are signed in.");
            super::totp::web::sign_in(&state, account_id, "/", landing).await
        }
        Err(Error::Invalid(errors)) => {
            let live = errors.get("token").is_none();
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ConfirmPage {
                    ctx,
                    token: form.token,
                    live,
                    errors,
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct RequestBody {
    #[serde(default)]
    email: String,
}

/// 202 whether or not an account has the address.
async fn request_api(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<RequestBody>,
) -> Result<Response> {
    reset::request(&state, &body.email, client).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

#[derive(Deserialize)]
struct ConfirmBody {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// 204 when the password is set; 422 for a used, expired or unknown token or a weak password.
async fn confirm_api(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<Response> {
    reset::confirm(&state, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
