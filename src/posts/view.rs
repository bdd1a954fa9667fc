//! Posts as pages show them: [`PostView`] (author, links, rights, reactions, pictures, when),
//! built for a list at once by [`present`]; who boosted what into a list; whom one may post as.

use super::links::link_of;
use super::media::MediaView;
use super::model::Post;
use super::people::{self, Person};
use super::store;
use crate::accounts::Account;
use crate::error::Result;
use crate::federation::link::{Href, RemoteUrl};
use crate::federation::urls::Urls;
use crate::state::AppState;
use crate::web::time::Moment;

/// A post ready for a template.
pub struct PostView {
    pub post: Post,
    pub author: Person,
    pub link: String,
    pub can_edit: bool,
    pub when: Moment,
    /// Its pictures, in order.
    pub media: Vec<MediaView>,
    /// Where the post it answers is shown: here, or at its origin when it is not stored.
    pub parent_link: Option<Href>,
    /// A received post's page on its own server.
    pub original: Option<RemoteUrl>,
    /// Whether the viewer liked it, and boosted it.
    pub liked: bool,
    pub boosted: bool,
    /// Who brought it into this list by boosting it (on a home timeline or a profile).
    pub boosted_by: Option<Person>,
}

impl PostView {
    pub fn visibility_label(&self) -> &'static str {
        self.post.visibility.label()
    }
}

/// Presents posts for pages: authors looked up once, edit rights for `me`.
pub async fn present(
    state: &AppState,
    posts: Vec<Post>,
    me: Option<&Account>,
) -> Result<Vec<PostView>> {
    let authors = posts.iter().map(|p| p.author.clone()).collect();
    let people = people::people(state, authors).await?;
    let mine = match me {
        Some(a) => {
            let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
            let uri = Urls::new(&state.config).member(&a.handle);
            store::reactions_of(&state.db, &uri, &ids).await?
        }
        None => Vec::new(),
    };
    let reacted = |id: i64, kind: &str| mine.iter().any(|(p, k)| *p == id && k == kind);
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let mut pictures = super::media::views_of(state, &ids).await?;
    let mut out = Vec::with_capacity(posts.len());
    for post in posts {
        let can_edit = match me {
            Some(a) if post.local && !post.is_deleted() => {
                match crate::federation::actors::by_uri(state, &post.author).await? {
                    Some(actor) => super::access::may_act_as(state, a, &actor).await?,
                    None => false,
                }
            }
            _ => false,
        };
        let parent_link = match &post.in_reply_to {
            Some(parent) => match store::by_uri(&state.db, parent).await? {
                Some(p) => Href::local(link_of(&p)),
                None => RemoteUrl::stored(parent).map(Href::Remote),
            },
            None => None,
        };
        let original = (!post.local)
            .then(|| RemoteUrl::stored(&post.url))
            .flatten();
        out.push(PostView {
            author: people
                .get(&post.author)
                .cloned()
                .unwrap_or_else(|| people::Person::unknown(&post.author)),
            link: link_of(&post),
            when: Moment::at(post.published_at),
            media: pictures.remove(&post.id).unwrap_or_default(),
            can_edit,
            parent_link,
            original,
            liked: reacted(post.id, "like"),
            boosted: reacted(post.id, "announce"),
            boosted_by: None,
            post,
        });
    }
    Ok(out)
}

/// Marks the posts of a list that are there because one of `actors` boosted them (the posts
/// not written by one of them) with who did.
pub async fn mark_boosts(
    state: &AppState,
    views: &mut [PostView],
    actors: &[String],
) -> Result<()> {
    let ids: Vec<i64> = views
        .iter()
        .filter(|v| !actors.contains(&v.post.author))
        .map(|v| v.post.id)
        .collect();
    let found = store::boosters(&state.db, actors, &ids).await?;
    if found.is_empty() {
        return Ok(());
    }
    let people = people::people(state, found.iter().map(|(_, a)| a.clone()).collect()).await?;
    for v in views.iter_mut() {
        if let Some((_, actor)) = found.iter().find(|(id, _)| *id == v.post.id) {
            v.boosted_by = Some(
                people
                    .get(actor)
                    .cloned()
                    .unwrap_or_else(|| Person::unknown(actor)),
            );
        }
    }
    Ok(())
}

/// Whose boosts bring posts into a member's home: the member and what they follow.
pub async fn home_boosters(state: &AppState, me: &str) -> Result<Vec<String>> {
    let mut out = vec![me.to_string()];
    let follows =
        crate::federation::follows::list(&state.db, me, false, Some("accepted"), 1000, 0).await?;
    out.extend(follows.into_iter().map(|f| f.followee));
    Ok(out)
}

/// The actors a member may post as, for the composer's "as" choice: `(value, label)`.
pub async fn voices(state: &AppState, account: &Account) -> Result<Vec<(String, String)>> {
    let mut out = vec![(String::new(), format!("@{}", account.handle))];
    for m in crate::companies::store::memberships_of(&state.db, account.id).await? {
        if m.role.can_manage() {
            out.push((format!("company:{}", m.handle), m.name.clone()));
        }
    }
    if account.is_admin {
        out.push(("space".into(), "The space".into()));
    }
    Ok(out)
}
