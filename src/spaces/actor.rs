//! The space as an ActivityPub `Organization`: also the instance actor, which signs the
//! instance's own fetches. Its id is the home page (FEP-d556), its name in WebFinger the domain.

use super::Space;
use crate::error::{Error, Result};
use crate::federation::html::{escape, link, paragraphs};
use crate::federation::keys::{self, ActorKind, SPACE_ID};
use crate::federation::protocol::{datetime, Actor, PropertyValue};
use crate::federation::urls::Urls;
use crate::state::AppState;

/// The space actor's `preferredUsername`: the host without port.
pub fn username(urls: &Urls) -> String {
    urls.domain()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string()
}

pub async fn organization(state: &AppState, space: &Space) -> Result<Actor> {
    let urls = Urls::new(&state.config);
    let id = urls.space();
    let public_key_pem = keys::public_pem(&state.db, ActorKind::Space, SPACE_ID)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the space has no key")))?;
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let mut fields = Vec::new();
    if !space.address.is_empty() || !space.place().is_empty() {
        let address = [space.address.as_str(), &space.place()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        fields.push(PropertyValue::new("Address", escape(&address)));
    }
    if !space.website.is_empty() {
        fields.push(PropertyValue::new("Website", link(&space.website)));
    }
    Ok(Actor {
        name: Some(space.name.clone()),
        summary: Some(paragraphs(&space.description)),
        discoverable: Some(true),
        indexable: Some(true),
        manually_approves_followers: Some(false),
        published: Some(datetime(space.created_at)),
        attachment: fields,
        city: non_empty(&space.city),
        country: non_empty(&space.country),
        ..Actor::local(
            &urls,
            &id,
            "Organization",
            &username(&urls),
            urls.shared_inbox(),
            public_key_pem,
        )
    })
}
