//! The like and boost buttons of every post card: a form that posts here (with the page's CSRF
//! token) and comes back to the page it was on, with a notice.

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

use super::inbound::Reaction;
use super::reactions;
use crate::accounts::session::User;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::web::page::{redirect_with_notice, safe_next};

pub fn router() -> Router<AppState> {
    Router::new().route("/posts/react", post(react))
}

#[derive(Deserialize)]
struct ReactForm {
    #[serde(default)]
    uri: String,
    /// `like` or `boost`.
    #[serde(default)]
    kind: String,
    /// `on` to like or boost, anything else to take it back.
    #[serde(default)]
    set: String,
    #[serde(default)]
    next: Option<String>,
}

async fn react(
    State(state): State<AppState>,
    User(user): User,
    Form(form): Form<ReactForm>,
) -> Result<Response> {
    let reaction = match form.kind.as_str() {
        "like" => Reaction::Like,
        "boost" => Reaction::Announce,
        _ => return Err(Error::invalid("kind", "must be like or boost")),
    };
    let on = form.set == "on";
    let post = reactions::set(&state, &user.account, &form.uri, reaction, on).await?;
    let notice = match (reaction, on) {
        (Reaction::Like, true) => "Liked.",
        (Reaction::Like, false) => "Like taken back.",
        (Reaction::Announce, true) => "Boosted to your followers.",
        (Reaction::Announce, false) => "Boost taken back.",
    };
    let back = match form.next.as_deref() {
        Some(n) if !n.is_empty() => safe_next(Some(n)),
        _ => super::links::link_of(&post),
    };
    Ok(redirect_with_notice(&back, notice))
}
