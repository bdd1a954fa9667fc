//! A company as an ActivityPub `Organization`, with its facets as Guildhall terms and, for
//! Mastodon users, as profile fields.

use super::Company;
use crate::accounts::actor::skill_tags;
use crate::error::{Error, Result};
use crate::federation::html::{escape, link, paragraphs};
use crate::federation::keys::{self, ActorKind};
use crate::federation::protocol::{datetime, Actor, Image, PropertyValue};
use crate::federation::urls::Urls;
use crate::state::AppState;

pub async fn organization(state: &AppState, company: &Company) -> Result<Actor> {
    let urls = Urls::new(&state.config);
    let id = urls.company(&company.handle);
    let public_key_pem = keys::public_pem(&state.db, ActorKind::Company, company.id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("company {} has no key", company.handle)))?;
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());

    let mut fields = Vec::new();
    if !company.website.is_empty() {
        fields.push(PropertyValue::new("Website", link(&company.website)));
    }
    if !company.industry.is_empty() {
        fields.push(PropertyValue::new("Industry", escape(&company.industry)));
    }
    if !company.place().is_empty() {
        fields.push(PropertyValue::new("Based in", escape(&company.place())));
    }
    let mut status = Vec::new();
    if company.hiring {
        status.push("Hiring");
    }
    if company.open_to_collaborate {
        status.push("Open to collaborate");
    }
    if !status.is_empty() {
        fields.push(PropertyValue::new("Status", status.join(" · ")));
    }

    let inbox = urls.collection(&id, "inbox");
    Ok(Actor {
        name: Some(company.name.clone()),
        summary: Some(paragraphs(&company.description)),
        icon: company.logo_key.as_ref().map(|k| Image::new(urls.media(k))),
        discoverable: Some(company.discoverable),
        indexable: Some(company.discoverable),
        manually_approves_followers: Some(company.locked),
        published: Some(datetime(company.created_at)),
        attachment: fields,
        tag: skill_tags(&company.skills),
        skills: company.skills.clone(),
        industry: non_empty(&company.industry),
        company_size: non_empty(&company.size),
        hiring: Some(company.hiring),
        open_to_collaborate: Some(company.open_to_collaborate),
        city: non_empty(&company.city),
        country: non_empty(&company.country),
        ..Actor::local(
            &urls,
            &id,
            "Organization",
            &company.handle,
            inbox,
            public_key_pem,
        )
    })
}

/// Tells the company's followers about a changed profile (sends `Update`).
pub async fn publish_update(state: &AppState, handle: &str) -> Result<()> {
    let company = super::store::by_handle(&state.db, handle)
        .await?
        .ok_or(Error::NotFound)?;
    let doc =
        serde_json::to_value(organization(state, &company).await?).map_err(anyhow::Error::from)?;
    crate::federation::outbound::actor_updated(state, &company.local_actor(), &doc).await
}
