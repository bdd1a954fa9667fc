//! What a profile shows of an actor's posting: its recent posts and boosts as the viewer may
//! read them, Follow/Unfollow and Message for other members, a composer on one's own profile
//! (or a company's one manages); and the page of a remote actor as this space knows it
//! (`/actors?uri=`), with the same parts and its upcoming events.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::access::may_act_as;
use super::people::Person;
use super::service::Draft;
use super::store;
use super::web::{mark_boosts, present, voices, Composer, PostView};
use crate::accounts::session::MaybeUser;
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::events::cards::EventCard;
use crate::federation::urls::{urlencode, Urls};
use crate::federation::{actors, follows, remote};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{render, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new().route("/actors", get(remote_page))
}

/// How many posts a profile shows.
pub const RECENT: i64 = 20;

/// An actor's top-level posts and the public posts it boosted, as `me` may read them, newest
/// first (before the id `before`, 0 for the newest), with boosts marked.
pub async fn actor_posts(
    state: &AppState,
    actor: &str,
    me: Option<&Account>,
    limit: i64,
    before: i64,
) -> Result<Vec<PostView>> {
    let urls = Urls::new(&state.config);
    let viewer = me.map(|a| urls.member(&a.handle)).unwrap_or_default();
    let mut posts = store::by_actor(&state.db, actor, &viewer, me.is_some(), limit, before).await?;
    let hidden = crate::moderation::blocks::hidden_for_viewer(state, me, true).await?;
    posts.retain(|p| !hidden.hides(&p.author));
    let mut views = present(state, posts, me).await?;
    mark_boosts(state, &mut views, &[actor.to_string()]).await?;
    Ok(views)
}

/// The posting part of a profile page.
pub struct Social {
    /// The actor's URI, the target of Follow and Unfollow.
    pub actor: String,
    /// `@name@host`, prefilled as a message's recipient.
    pub handle: String,
    pub posts: Vec<PostView>,
    /// The viewer's follow of the actor: "accepted", "pending" or none.
    pub follow: Option<String>,
    /// Whether the viewer may follow and message it (signed in, and not speaking as it).
    pub may_follow: bool,
    /// The composer, on a profile the viewer may post as.
    pub composer: Option<Composer>,
    /// The page to come back to after an action.
    pub next: String,
}

impl Social {
    pub fn following(&self) -> bool {
        self.follow.as_deref() == Some("accepted")
    }
    pub fn requested(&self) -> bool {
        self.follow.as_deref() == Some("pending")
    }
    pub fn message_link(&self) -> String {
        format!("/messages?to={}", urlencode(&self.handle))
    }
}

/// The posting part of the profile of `actor` (whose `@name@host` is `handle`), shown at
/// `next` to `me`.
pub async fn social(
    state: &AppState,
    actor: &str,
    handle: &str,
    me: Option<&Account>,
    next: &str,
) -> Result<Social> {
    let urls = Urls::new(&state.config);
    let posts = actor_posts(state, actor, me, RECENT, 0).await?;
    let (mut follow, mut may_follow, mut composer) = (None, false, None);
    if let Some(account) = me {
        let local = actors::by_uri(state, actor).await?;
        let speaks_as = match &local {
            Some(a) => may_act_as(state, account, a).await?,
            None => false,
        };
        if speaks_as {
            let as_actor = match &local {
                Some(crate::federation::local::LocalActor::Company(c)) => {
                    format!("company:{}", c.handle)
                }
                Some(crate::federation::local::LocalActor::Space) => "space".into(),
                _ => String::new(),
            };
            composer = Some(Composer {
                draft: Draft {
                    as_actor,
                    ..Draft::default()
                },
                errors: FieldErrors::new(),
                voices: voices(state, account).await?,
                next: next.to_string(),
            });
        } else {
            may_follow = true;
            follow = follows::get(&state.db, &urls.member(&account.handle), actor)
                .await?
                .map(|f| f.state);
        }
    }
    Ok(Social {
        actor: actor.to_string(),
        handle: handle.to_string(),
        posts,
        follow,
        may_follow,
        composer,
        next: next.to_string(),
    })
}

#[derive(Template)]
#[template(path = "posts/actor.html")]
struct ActorPage {
    ctx: PageCtx,
    person: Person,
    summary: String,
    social: Social,
    upcoming: Vec<EventCard>,
    /// For a group: the address of its board here (a group may be a project of another space,
    /// whose tasks and notes are shown there, or a community, whose posts are shown on this page).
    board: Option<String>,
}

#[derive(Deserialize)]
struct UriQuery {
    #[serde(default)]
    uri: String,
}

/// A remote actor's page here: who it is, Follow and Message, its posts and upcoming events as
/// this space holds them. A local actor's address goes to its own page. `uri` may also be
/// `@name@host`; an actor not known here yet is fetched for signed-in members.
async fn remote_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Query(q): Query<UriQuery>,
) -> Result<Response> {
    let uri = q.uri.trim();
    if let Some(local) = actors::by_uri(&state, uri).await? {
        let urls = Urls::new(&state.config);
        let path = match local {
            crate::federation::local::LocalActor::Space => "/".to_string(),
            other => other.uri(&urls).trim_start_matches(urls.base()).to_string(),
        };
        return Ok(axum::response::Redirect::to(&path).into_response());
    }
    let actor = match remote::by_uri(&state.db, uri).await? {
        Some(actor) => actor,
        // A shared link (or `@name@host`) to an actor nobody here has met yet: a member's visit
        // fetches it; a stranger's does not make this server fetch anything.
        None if user.is_some() => match remote::resolve_handle_or_url(&state, uri).await {
            Ok(actor) => actor,
            Err(e) => {
                tracing::info!(uri, error = %e, "a profile link could not be resolved");
                return Err(Error::NotFound);
            }
        },
        None => return Err(Error::NotFound),
    };
    if actor.uri != uri {
        // Found by handle: its page is under its address.
        return Ok(
            axum::response::Redirect::to(&format!("/actors?uri={}", urlencode(&actor.uri)))
                .into_response(),
        );
    }
    let me = user.map(|u| u.account);
    // A suspended actor's page is there for the moderators only; a limited one's is not shown
    // to anonymous readers (it is kept out of public views).
    use crate::moderation::blocks;
    if blocks::hidden_by_suspension(&state, &actor.uri, me.as_ref()).await?
        || (me.is_none()
            && blocks::limit_of(&state, &actor.uri).await?
                == Some(crate::moderation::model::ActorLimit::Limit))
    {
        return Err(Error::NotFound);
    }
    let next = format!("/actors?uri={}", urlencode(&actor.uri));
    let social = social(&state, &actor.uri, &actor.handle(), me.as_ref(), &next).await?;
    let upcoming = crate::events::cards::upcoming_of(&state, &actor.uri, me.is_some()).await?;
    let board =
        (actor.kind == "Group").then(|| format!("/projects/remote?uri={}", urlencode(&actor.uri)));
    render(&ActorPage {
        board,
        person: Person::remote(&actor),
        summary: plain(&actor.summary),
        social,
        upcoming,
        ctx,
    })
}

/// A remote profile's summary as plain text (its tags dropped; the template escapes the rest).
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag && !c.is_control() => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(1000)
        .collect()
}
