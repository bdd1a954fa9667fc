//! Pages: the home timeline with its composer, this space's feed, tag pages, a post with its
//! thread (also its ActivityStreams document, by content negotiation), edit and delete.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::access::{can_read, Viewer};
use super::links::link_of;
use super::model::{Post, Visibility};
use super::service::{self, Draft};
use super::store;
use crate::accounts::session::{MaybeUser, User};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::object::{self, ObjectRequest, ObjectRoute};
use crate::federation::remote::RemoteActor;
use crate::federation::urls::{urlencode, Urls};
use crate::federation::Context;
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::web::page::{redirect_with_notice, render, render_status, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/home", get(home))
        .route("/feed", get(feed))
        .route("/tags/{tag}", get(tag))
        .route("/posts", post(super::compose_web::create))
        .route("/posts/{token}", get(show))
        .route("/posts/{token}/edit", get(edit_form).post(edit))
        .route("/posts/{token}/delete", post(delete))
        .route("/thread", get(remote_thread))
        .merge(super::profile::router())
        .merge(super::reactions_web::router())
}

pub use super::view::{home_boosters, mark_boosts, present, voices, PostView};

#[derive(Deserialize, Default)]
struct Before {
    #[serde(default)]
    before: i64,
}

const PAGE: i64 = 30;

#[derive(Template)]
#[template(path = "posts/timeline.html")]
struct TimelinePage {
    ctx: PageCtx,
    title: String,
    intro: String,
    posts: Vec<PostView>,
    composer: Option<Composer>,
    more: Option<String>,
    feed_kind: &'static str,
}

/// The composer's state: what was typed, errors, and who one may post as.
pub struct Composer {
    pub draft: Draft,
    pub errors: FieldErrors,
    pub voices: Vec<(String, String)>,
    /// Where to come back to after posting ("" for the new post's page).
    pub next: String,
}

impl Composer {
    /// Whether a picture of the composer was refused (its part opens to show why).
    pub fn has_media_errors(&self) -> bool {
        self.errors
            .0
            .iter()
            .any(|e| e.field.starts_with("file") || e.field == "media_ids")
    }

    pub fn visibility_is(&self, v: &str) -> bool {
        let current = if self.draft.visibility.is_empty() {
            "public"
        } else {
            self.draft.visibility.as_str()
        };
        current == v
    }
}

fn more_link(path: &str, posts: &[PostView]) -> Option<String> {
    (posts.len() as i64 == PAGE)
        .then(|| posts.last().map(|p| format!("{path}?before={}", p.post.id)))
        .flatten()
}

async fn home(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Query(q): Query<Before>,
) -> Result<Response> {
    home_page(
        &state,
        ctx,
        &user.account,
        q.before,
        Draft::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn home_page(
    state: &AppState,
    ctx: PageCtx,
    account: &Account,
    before: i64,
    draft: Draft,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&account.handle);
    let mut posts = store::home(&state.db, &me, PAGE, before).await?;
    let hidden = crate::moderation::blocks::hidden_for_viewer(state, Some(account), false).await?;
    posts.retain(|p| !hidden.hides(&p.author));
    let mut posts = present(state, posts, Some(account)).await?;
    mark_boosts(state, &mut posts, &home_boosters(state, &me).await?).await?;
    render_status(
        status,
        &TimelinePage {
            title: "Home".into(),
            intro:
                "Posts of the people, companies and spaces you follow, and those that mention you."
                    .into(),
            more: more_link("/home", &posts),
            posts,
            composer: Some(Composer {
                draft,
                errors,
                voices: voices(state, account).await?,
                next: String::new(),
            }),
            feed_kind: "home",
            ctx,
        },
    )
}

async fn feed(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Query(q): Query<Before>,
) -> Result<Response> {
    let account = user.map(|u| u.account);
    let mut posts = store::space_feed(&state.db, account.is_some(), PAGE, q.before).await?;
    let hidden =
        crate::moderation::blocks::hidden_for_viewer(&state, account.as_ref(), true).await?;
    posts.retain(|p| !hidden.hides(&p.author));
    let posts = present(&state, posts, account.as_ref()).await?;
    render(&TimelinePage {
        title: format!("{} feed", ctx.space_name),
        intro: "What the members, companies and the space itself publish here.".into(),
        more: more_link("/feed", &posts),
        posts,
        composer: None,
        feed_kind: "space",
        ctx,
    })
}

async fn tag(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Path(tag): Path<String>,
    Query(q): Query<Before>,
) -> Result<Response> {
    let tag = tag.trim_start_matches('#').to_lowercase();
    if tag.is_empty() || tag.chars().count() > 100 {
        return Err(Error::NotFound);
    }
    let account = user.map(|u| u.account);
    let mut posts = store::by_tag(&state.db, &tag, PAGE, q.before).await?;
    let hidden =
        crate::moderation::blocks::hidden_for_viewer(&state, account.as_ref(), true).await?;
    posts.retain(|p| !hidden.hides(&p.author));
    let posts = present(&state, posts, account.as_ref()).await?;
    render(&TimelinePage {
        title: format!("#{tag}"),
        intro: "Public posts with this tag, from here and from the servers this space hears from."
            .into(),
        more: more_link(&format!("/tags/{}", urlencode(&tag)), &posts),
        posts,
        composer: None,
        feed_kind: "tag",
        ctx,
    })
}

#[derive(Template)]
#[template(path = "posts/show.html")]
struct ShowPage {
    ctx: PageCtx,
    ancestors: Vec<PostView>,
    main: PostView,
    replies: Vec<PostView>,
    reply_to: String,
    errors: FieldErrors,
}

/// A post with its thread, or its document for servers.
async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
    request: ObjectRequest,
) -> Result<Response> {
    let urls = Urls::new(&state.config);
    if token.len() > 64 {
        return Err(Error::NotFound);
    }
    let account = user.map(|u| u.account);
    let post = match store::by_uri(&state.db, &urls.post(&token)).await? {
        // A suspended member's post is not there for anyone but the moderators (as the
        // member's profile is not), pages and documents alike.
        Some(p) if p.local => {
            let hidden = crate::moderation::blocks::hidden_by_suspension(
                &state,
                &p.author,
                account.as_ref(),
            )
            .await?;
            (!hidden).then_some(p)
        }
        _ => None,
    };
    let route = PostRoute {
        state: &state,
        ctx,
        account,
    };
    object::serve(&request, post.into(), route).await
}

/// Serving a local post at its address.
struct PostRoute<'a> {
    state: &'a AppState,
    ctx: PageCtx,
    account: Option<Account>,
}

impl ObjectRoute for PostRoute<'_> {
    type Object = Post;
    type Viewer = Viewer;
    type Document = serde_json::Value;

    fn browser(&self) -> Viewer {
        Viewer::from(self.account.clone())
    }
    fn server(&self, signer: Option<RemoteActor>) -> Viewer {
        Viewer::from(signer)
    }
    fn context(&self) -> Option<&Context> {
        Some(self.state)
    }
    async fn may_see(&self, post: &Post, viewer: &Viewer) -> Result<bool> {
        can_read(self.state, post, viewer).await
    }
    /// A deleted post that has replies keeps its thread.
    fn gone_for_browsers(&self, post: &Post) -> bool {
        post.deleted_at.is_some() && post.replies_count == 0
    }
    async fn document(&self, post: &Post) -> Result<serde_json::Value> {
        service::document(self.state, post).await
    }
    async fn page(self, post: Post, viewer: Viewer) -> Result<Response> {
        thread_page(self.state, self.ctx, self.account.as_ref(), &viewer, post).await
    }
}

/// A received post with its thread, as far as this space knows it.
#[derive(Deserialize)]
struct ThreadQuery {
    #[serde(default)]
    uri: String,
}

async fn remote_thread(
    State(state): State<AppState>,
    ctx: PageCtx,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ThreadQuery>,
) -> Result<Response> {
    let post = store::by_uri(&state.db, q.uri.trim())
        .await?
        .ok_or(Error::NotFound)?;
    if post.local && post.visibility != Visibility::Direct {
        return Ok(axum::response::Redirect::to(&link_of(&post)).into_response());
    }
    let account = user.map(|u| u.account);
    let viewer = Viewer::from(account.clone());
    if post.visibility == Visibility::Direct || !can_read(&state, &post, &viewer).await? {
        return Err(Error::NotFound);
    }
    thread_page(&state, ctx, account.as_ref(), &viewer, post).await
}

async fn thread_page(
    state: &AppState,
    ctx: PageCtx,
    account: Option<&Account>,
    viewer: &Viewer,
    post: Post,
) -> Result<Response> {
    // Up to five posts above, as far as they are here and readable.
    let mut ancestors = Vec::new();
    let mut parent = post.in_reply_to.clone();
    while let Some(uri) = parent.take() {
        if ancestors.len() >= 5 {
            break;
        }
        match store::by_uri(&state.db, &uri).await? {
            Some(p) if can_read(state, &p, viewer).await? => {
                parent = p.in_reply_to.clone();
                ancestors.push(p);
            }
            _ => break,
        }
    }
    // The viewer's blocks, mutes and hidden domains and the moderators' suspensions (and,
    // for an anonymous reader, limits) keep their actors out of the thread.
    let hidden =
        crate::moderation::blocks::hidden_for_viewer(state, account, account.is_none()).await?;
    ancestors.retain(|p| !hidden.hides(&p.author));
    ancestors.reverse();
    let replies = visible_replies(state, &post.uri, account, viewer).await?;
    let reply_to = post.uri.clone();
    let mut main = present(state, vec![post], account).await?;
    render(&ShowPage {
        ancestors: present(state, ancestors, account).await?,
        main: main.remove(0),
        replies: present(state, replies, account).await?,
        reply_to,
        errors: FieldErrors::new(),
        ctx,
    })
}

/// The replies to `uri` that `viewer` (the signed-in `account`, if any) sees in a thread:
/// those it may read, without the actors its blocks, mutes and hidden domains keep away, the
/// suspended ones and, for an anonymous reader, the limited ones. Pages and the API alike.
pub async fn visible_replies(
    state: &AppState,
    uri: &str,
    account: Option<&Account>,
    viewer: &Viewer,
) -> Result<Vec<Post>> {
    let hidden =
        crate::moderation::blocks::hidden_for_viewer(state, account, account.is_none()).await?;
    let mut replies = Vec::new();
    for r in store::replies(&state.db, uri, 200).await? {
        if !hidden.hides(&r.author) && can_read(state, &r, viewer).await? {
            replies.push(r);
        }
    }
    Ok(replies)
}

#[derive(Template)]
#[template(path = "posts/edit.html")]
struct EditPage {
    ctx: PageCtx,
    token: String,
    draft: Draft,
    errors: FieldErrors,
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(token): Path<String>,
) -> Result<Response> {
    let (post, _) = service::editable(
        &state,
        &user.account,
        &Urls::new(&state.config).post(&token),
    )
    .await?;
    render(&EditPage {
        draft: Draft {
            text: post.source.clone(),
            name: post.name.clone(),
            summary: post.summary.clone(),
            ..Draft::default()
        },
        token,
        errors: FieldErrors::new(),
        ctx,
    })
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    User(user): User,
    Path(token): Path<String>,
    Form(draft): Form<Draft>,
) -> Result<Response> {
    match service::edit(
        &state,
        &user.account,
        &Urls::new(&state.config).post(&token),
        &draft,
    )
    .await
    {
        Ok(post) => Ok(redirect_with_notice(&link_of(&post), "Saved.")),
        Err(Error::Invalid(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EditPage {
                ctx,
                token,
                draft,
                errors,
            },
        ),
        Err(e) => Err(e),
    }
}

async fn delete(
    State(state): State<AppState>,
    User(user): User,
    Path(token): Path<String>,
) -> Result<Response> {
    service::delete(
        &state,
        &user.account,
        &Urls::new(&state.config).post(&token),
    )
    .await?;
    Ok(redirect_with_notice("/home", "Post deleted."))
}
