//! A member as an ActivityPub `Person`.

use super::Account;
use crate::error::{Error, Result};
use crate::federation::html::{hashtag, link, paragraphs};
use crate::federation::keys::{self, ActorKind};
use crate::federation::protocol::{datetime, Actor, Hashtag, Image, PropertyValue};
use crate::federation::urls::Urls;
use crate::state::AppState;

pub async fn person(state: &AppState, account: &Account) -> Result<Actor> {
    let urls = Urls::new(&state.config);
    let id = urls.member(&account.handle);
    let public_key_pem = keys::public_pem(&state.db, ActorKind::Member, account.id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("member {} has no key", account.handle)))?;
    let inbox = urls.collection(&id, "inbox");
    Ok(Actor {
        name: Some(account.name().to_string()),
        summary: Some(paragraphs(&account.bio)),
        icon: account
            .avatar_key
            .as_ref()
            .map(|k| Image::new(urls.media(k))),
        discoverable: Some(account.discoverable),
        indexable: Some(account.discoverable),
        manually_approves_followers: Some(account.locked),
        published: Some(datetime(account.created_at)),
        attachment: account
            .links
            .iter()
            .map(|l| PropertyValue::new(&l.label, link(&l.url)))
            .collect(),
        tag: skill_tags(&account.skills),
        skills: account.skills.clone(),
        ..Actor::local(&urls, &id, "Person", &account.handle, inbox, public_key_pem)
    })
}

/// Skills as `Hashtag`s (those that make a usable tag).
pub fn skill_tags(skills: &[String]) -> Vec<Hashtag> {
    skills
        .iter()
        .map(|s| hashtag(s))
        .filter(|t| !t.is_empty())
        .map(Hashtag::new)
        .collect()
}

/// Tells the member's followers about a changed profile (sends `Update`).
pub async fn publish_update(state: &AppState, account_id: i64) -> Result<()> {
    let account = super::store::by_id(&state.db, account_id)
        .await?
        .ok_or(Error::NotFound)?;
    let doc = serde_json::to_value(person(state, &account).await?).map_err(anyhow::Error::from)?;
    crate::federation::outbound::actor_updated(state, &account.local_actor(), &doc).await
}
