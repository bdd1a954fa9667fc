//! Pages: sign in, sign up, sign out, the member list, a member's profile, and the settings
//! pages for one's own profile, avatar and password.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::profile::{links_to_lines, ProfileForm};
use super::register::{self, SignupForm};
use super::session::{self, User};
use super::{store, Account};
use crate::companies;
use crate::error::{Error, Result};
use crate::federation::{negotiate, tombstones};
use crate::spaces::{self, RegistrationMode};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::client::ClientIp;
use crate::web::page::{redirect_with_notice, render, render_status, safe_next, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/signup", get(signup_page).post(signup))
        .route("/members", get(members))
        .route("/members/{handle}", get(profile))
        .route(
            "/settings/profile",
            get(edit_profile_page).post(edit_profile),
        )
        .route("/settings/avatar", post(upload_avatar))
        .route(
            "/settings/password",
            get(password_page).post(change_password),
        )
        .route("/settings/delete", get(delete_page).post(delete_account))
}

// --- sign in / out ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    ctx: PageCtx,
    login: String,
    next: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(ctx: PageCtx, Query(q): Query<NextQuery>) -> Result<Response> {
    if ctx.user.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    render(&LoginPage {
        ctx,
        login: String::new(),
        next: safe_next(q.next.as_deref()),
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ctx: PageCtx,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    match register::authenticate(&state, &form.login, &form.password, client).await {
        // With two-factor sign-in on, no session until the code is right.
        Ok(account) => {
            let landing = Redirect::to(&next).into_response();
            super::totp::web::sign_in(&state, account.id, &next, landing).await
        }
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &LoginPage {
                ctx,
                login: form.login,
                next,
                errors,
            },
        ),
        Err(e) => Err(e),
    }
}

async fn logout(State(state): State<AppState>, User(user): User) -> Result<Response> {
    store::delete_session(&state.db, &user.token_hash).await?;
    let response = redirect_with_notice("/", "You are signed out.");
    Ok(with_cookie(
        response,
        &session::clear_session_cookie(&state),
    ))
}

pub(crate) fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

// --- sign up ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "accounts/signup.html")]
struct SignupPage {
    ctx: PageCtx,
    mode: RegistrationMode,
    invite: String,
    invite_ok: bool,
    handle: String,
    email: String,
    display_name: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct InviteQuery {
    invite: Option<String>,
}

async fn signup_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<InviteQuery>,
) -> Result<Response> {
    let space = spaces::store::get(&state.db)
        .await?
        .ok_or(Error::NotFound)?;
    let invite = q.invite.unwrap_or_default();
    let invite_ok = !invite.is_empty() && spaces::store::invite_is_live(&state.db, &invite).await?;
    render(&SignupPage {
        ctx,
        mode: space.registration_mode,
        invite,
        invite_ok,
        handle: String::new(),
        email: String::new(),
        display_name: String::new(),
        errors: FieldErrors::new(),
    })
}

async fn signup(
    State(state): State<AppState>,
    ctx: PageCtx,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    Form(form): Form<SignupForm>,
) -> Result<Response> {
    state
        .limits
        .check(crate::web::rate::Bucket::Signups, from)?;
    let space = spaces::store::get(&state.db)
        .await?
        .ok_or(Error::NotFound)?;
    let result = match form.validate() {
        Ok(valid) => register::sign_up(&state.db, &valid, form.invite.as_deref()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => {
            let token = session::start_web_session(&state, id).await?;
            let response = if super::email::after_sign_up(&state, id).await? {
                redirect_with_notice(
                    "/settings/email",
                    "Welcome! We mailed you a link: open it to confirm your address, then \
                     you can take part.",
                )
            } else {
                redirect_with_notice(
                    "/settings/profile",
                    "Welcome! Tell the space a little about yourself.",
                )
            };
            Ok(with_cookie(
                response,
                &session::session_cookie(&state, &token),
            ))
        }
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignupPage {
                ctx,
                mode: space.registration_mode,
                invite_ok: form.invite.as_deref().is_some_and(|i| !i.is_empty()),
                invite: form.invite.unwrap_or_default(),
                handle: form.handle,
                email: form.email,
                display_name: form.display_name,
                errors,
            },
        ),
        Err(e) => Err(e),
    }
}

// --- members ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "accounts/members.html")]
struct MembersPage {
    ctx: PageCtx,
    members: Vec<Account>,
    page: i64,
    has_more: bool,
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

const PER_PAGE: i64 = 30;

async fn members(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    // Signed-out visitors see only the members who chose to be listed.
    let mut members = store::list_visible(
        &state.db,
        ctx.is_signed_in(),
        PER_PAGE + 1,
        (page - 1) * PER_PAGE,
    )
    .await?;
    let has_more = members.len() as i64 > PER_PAGE;
    members.truncate(PER_PAGE as usize);
    render(&MembersPage {
        ctx,
        members,
        page,
        has_more,
    })
}

#[derive(Template)]
#[template(path = "accounts/profile.html")]
struct ProfilePage {
    ctx: PageCtx,
    member: Account,
    companies: Vec<companies::Membership>,
    is_self: bool,
    upcoming: Vec<crate::events::cards::EventCard>,
    calendar_feed: String,
    social: crate::posts::profile::Social,
}

async fn profile(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ctx: PageCtx,
    Path(handle): Path<String>,
) -> Result<Response> {
    let wants_json = negotiate::wants_activity_json(&headers);
    // A suspended member is hidden from everyone but the moderators.
    let Some(member) = store::by_handle(&state.db, &handle)
        .await?
        .filter(|m| !m.suspended || ctx.user.as_ref().is_some_and(|u| u.can_moderate()))
    else {
        let uri =
            crate::federation::urls::Urls::new(&state.config).member(&handle.to_ascii_lowercase());
        return match tombstones::find(&state.db, &uri).await? {
            Some((former, at)) => Ok(tombstones::gone(&uri, &former, at, wants_json)),
            None => Err(Error::NotFound),
        };
    };
    if wants_json {
        return Ok(negotiate::activity_json(
            &super::actor::person(&state, &member).await?,
        ));
    }
    let companies = companies::store::memberships_of(&state.db, member.id).await?;
    let is_self = ctx.user.as_ref().is_some_and(|u| u.id == member.id);
    let uri = crate::federation::urls::Urls::new(&state.config).member(&member.handle);
    let upcoming = crate::events::cards::upcoming_of(&state, &uri, ctx.is_signed_in()).await?;
    let social = crate::posts::profile::social(
        &state,
        &uri,
        &format!("@{}@{}", member.handle, ctx.domain),
        ctx.user.as_ref(),
        &format!("/members/{}", member.handle),
    )
    .await?;
    render(&ProfilePage {
        social,
        calendar_feed: format!("/members/{}/calendar.ics", member.handle),
        upcoming,
        ctx,
        member,
        companies,
        is_self,
    })
    .map(negotiate::vary_accept)
}

// --- settings -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "accounts/edit_profile.html")]
struct EditProfilePage {
    ctx: PageCtx,
    me: Account,
    display_name: String,
    bio: String,
    skills: String,
    links: String,
    discoverable: bool,
    locked: bool,
    errors: FieldErrors,
}

impl EditProfilePage {
    fn of(ctx: PageCtx, me: Account) -> Self {
        EditProfilePage {
            display_name: me.display_name.clone(),
            bio: me.bio.clone(),
            skills: me.skills.join(", "),
            links: links_to_lines(&me.links),
            discoverable: me.discoverable,
            locked: me.locked,
            ctx,
            me,
            errors: FieldErrors::new(),
        }
    }
}

async fn edit_profile_page(ctx: PageCtx, User(user): User) -> Result<Response> {
    render(&EditProfilePage::of(ctx, user.account))
}

async fn edit_profile(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<ProfileForm>,
) -> Result<Response> {
    match form.validate() {
        Ok(update) => {
            store::update_profile(&state.db, user.account.id, &update).await?;
            super::actor::publish_update(&state, user.account.id).await?;
            Ok(redirect_with_notice(
                &format!("/members/{}", user.account.handle),
                "Your profile is saved.",
            ))
        }
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EditProfilePage {
                display_name: form.display_name,
                bio: form.bio,
                skills: form.skills,
                links: form.links,
                discoverable: form.discoverable.is_some(),
                locked: form.locked.is_some(),
                errors,
                ctx,
                me: user.account,
            },
        ),
        Err(e) => Err(e),
    }
}

async fn upload_avatar(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    crate::web::client::ClientIp(from): crate::web::client::ClientIp,
    multipart: Multipart,
) -> Result<Response> {
    state
        .limits
        .check(crate::web::rate::Bucket::Uploads, from)?;
    let result = match crate::media::read_upload(multipart, "file").await {
        Ok(data) => super::profile::replace_avatar(&state, user.account.id, data).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect_with_notice(
            "/settings/profile",
            "Your new picture is saved.",
        )),
        Err(Error::Invalid(errors)) => {
            let mut page = EditProfilePage::of(ctx, user.account);
            page.errors = errors;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "accounts/password.html")]
struct PasswordPage {
    ctx: PageCtx,
    errors: FieldErrors,
}

async fn password_page(ctx: PageCtx, User(_): User) -> Result<Response> {
    render(&PasswordPage {
        ctx,
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    match register::change_password(
        &state,
        &user.account,
        &form.current_password,
        &form.new_password,
        &user.token_hash,
    )
    .await
    {
        Ok(()) => Ok(redirect_with_notice(
            "/settings/profile",
            "Your password is changed. Other devices were signed out.",
        )),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage { ctx, errors },
        ),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "accounts/delete.html")]
struct DeletePage {
    ctx: PageCtx,
    errors: FieldErrors,
}

async fn delete_page(ctx: PageCtx, User(_): User) -> Result<Response> {
    render(&DeletePage {
        ctx,
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    password: String,
}

async fn delete_account(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Form(form): Form<DeleteForm>,
) -> Result<Response> {
    match super::delete::delete_account(&state, &user.account, &form.password).await {
        Ok(()) => Ok(with_cookie(
            redirect_with_notice("/", "Your account is deleted. Goodbye!"),
            &session::clear_session_cookie(&state),
        )),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &DeletePage { ctx, errors },
        ),
        Err(e) => Err(e),
    }
}
