//! A member as an ActivityPub `Person`.

use super::Account;
use crate::app::AppState;
use crate::error::{Error, Result};
use crate::federation::html::{hashtag, link, paragraphs};
use crate::federation::keys::{self, ActorKind};
use crate::federation::protocol::{
    context, datetime, Actor, Endpoints, Hashtag, Image, PropertyValue, PublicKey,
};
use crate::federation::urls::Urls;

pub async fn person(state: &AppState, account: &Account) -> Result<Actor> {
    let urls = Urls::new(&state.config);
    let id = urls.member(&account.handle);
    let public_key_pem = keys::public_pem(&state.db, ActorKind::Member, account.id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("member {} has no key", account.handle)))?;
    Ok(Actor {
        context: Some(context()),
        kind: "Person".into(),
        preferred_username: account.handle.clone(),
        name: Some(account.name().to_string()),
        summary: Some(paragraphs(&account.bio)),
        url: Some(id.clone()),
        icon: account
            .avatar_key
            .as_ref()
            .map(|k| Image::new(urls.media(k))),
        image: None,
        inbox: urls.collection(&id, "inbox"),
        outbox: Some(urls.collection(&id, "outbox")),
        followers: Some(urls.collection(&id, "followers")),
        following: Some(urls.collection(&id, "following")),
        endpoints: Some(Endpoints {
            shared_inbox: urls.shared_inbox(),
        }),
        public_key: PublicKey {
            id: urls.key_id(&id),
            owner: id.clone(),
            public_key_pem,
        },
        discoverable: Some(account.discoverable),
        indexable: Some(account.discoverable),
        manually_approves_followers: Some(account.locked),
        published: Some(datetime(account.created_at)),
        attachment: account
            .links
            .iter()
            .map(|l| PropertyValue::new(&l.label, link(&l.url)))
            .collect(),
        tag: account
            .skills
            .iter()
            .map(|s| hashtag(s))
            .filter(|t| !t.is_empty())
            .map(Hashtag::new)
            .collect(),
        skills: account.skills.clone(),
        id,
        industry: None,
        company_size: None,
        hiring: None,
        open_to_collaborate: None,
        city: None,
        country: None,
    })
}

/// Tells the member's followers about a changed profile (sends `Update`).
pub async fn publish_update(state: &AppState, account_id: i64) -> Result<()> {
    let account = super::store::by_id(&state.db, account_id)
        .await?
        .ok_or(Error::NotFound)?;
    let doc = serde_json::to_value(person(state, &account).await?).map_err(anyhow::Error::from)?;
    crate::federation::outbound::actor_updated(
        state,
        &crate::federation::local::LocalActor::Member(account),
        &doc,
    )
    .await
}
