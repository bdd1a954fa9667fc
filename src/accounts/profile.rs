//! Validation of profile edits, shared by the profile page and the API.

use serde::Deserialize;

use super::model::ProfileLink;
use super::store::ProfileUpdate;
use crate::error::Result;
use crate::validate::{line, skills, text, web_url, FieldErrors};

const MAX_LINKS: usize = 8;

/// A profile edit from the web form: skills comma-separated, links one per line as
/// `Label | https://…` (or a bare URL).
#[derive(Debug, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub skills: String,
    #[serde(default)]
    pub links: String,
    #[serde(default)]
    pub discoverable: Option<String>,
    #[serde(default)]
    pub locked: Option<String>,
}

impl ProfileForm {
    pub fn validate(&self) -> Result<ProfileUpdate> {
        let mut errors = FieldErrors::new();
        let display_name = errors.check("display_name", line(&self.display_name, 100, false));
        let bio = errors.check("bio", text(&self.bio, 2000, false));
        let skills = errors.check("skills", skills(&self.skills));
        let links = errors.check("links", parse_link_lines(&self.links));
        errors.into_result()?;
        Ok(ProfileUpdate {
            display_name: display_name.unwrap_or_default(),
            bio: bio.unwrap_or_default(),
            skills: skills.unwrap_or_default(),
            links: links.unwrap_or_default(),
            discoverable: self.discoverable.is_some(),
            locked: self.locked.is_some(),
        })
    }
}

/// The same edit as JSON; absent fields keep their current value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub skills: Option<Vec<String>>,
    pub links: Option<Vec<ProfileLink>>,
    pub discoverable: Option<bool>,
    pub locked: Option<bool>,
}

impl ProfilePatch {
    pub fn apply(&self, current: &super::Account) -> Result<ProfileUpdate> {
        let mut errors = FieldErrors::new();
        let display_name = errors.check(
            "display_name",
            line(
                self.display_name
                    .as_deref()
                    .unwrap_or(&current.display_name),
                100,
                false,
            ),
        );
        let bio = errors.check(
            "bio",
            text(self.bio.as_deref().unwrap_or(&current.bio), 2000, false),
        );
        let skills = errors.check(
            "skills",
            skills(&self.skills.as_ref().unwrap_or(&current.skills).join(",")),
        );
        let links = errors.check(
            "links",
            validate_links(self.links.as_ref().unwrap_or(&current.links)),
        );
        errors.into_result()?;
        Ok(ProfileUpdate {
            display_name: display_name.unwrap_or_default(),
            bio: bio.unwrap_or_default(),
            skills: skills.unwrap_or_default(),
            links: links.unwrap_or_default(),
            discoverable: self.discoverable.unwrap_or(current.discoverable),
            locked: self.locked.unwrap_or(current.locked),
        })
    }
}

/// Links as the form shows them, one per line.
pub fn links_to_lines(links: &[ProfileLink]) -> String {
    links
        .iter()
        .map(|l| format!("{} | {}", l.label, l.url))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_link_lines(raw: &str) -> Result<Vec<ProfileLink>, String> {
    let mut links = Vec::new();
    for l in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (label, url) = match l.split_once('|') {
            Some((label, url)) => (label.trim().to_string(), url.trim().to_string()),
            None => (String::new(), l.to_string()),
        };
        links.push(ProfileLink { label, url });
    }
    validate_links(&links)
}

fn validate_links(links: &[ProfileLink]) -> Result<Vec<ProfileLink>, String> {
    if links.len() > MAX_LINKS {
        return Err(format!("at most {MAX_LINKS} links"));
    }
    links
        .iter()
        .map(|l| {
            let url = web_url(&l.url).map_err(|e| format!("`{}` {e}", l.url))?;
            if url.is_empty() {
                return Err("a link needs an address".to_string());
            }
            let label = line(&l.label, 60, false).map_err(|e| format!("label {e}"))?;
            let label = if label.is_empty() {
                url::Url::parse(&url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_else(|| "Link".into())
            } else {
                label
            };
            Ok(ProfileLink { label, url })
        })
        .collect()
}

/// Replaces an account's avatar with an uploaded image (checked, cropped to 256 px).
pub async fn replace_avatar(
    state: &crate::state::AppState,
    account_id: i64,
    data: Vec<u8>,
) -> Result<()> {
    let image = crate::media::square_image(data, 256).await?;
    let key = crate::media::new_key("avatars", &image);
    state.media.put(&key, image.bytes).await?;
    if let Some(old) = super::store::set_avatar(&state.db, account_id, Some(&key)).await? {
        state.media.delete(&old).await;
    }
    super::actor::publish_update(state, account_id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_lines() {
        let links =
            parse_link_lines("Site | https://ada.example\nhttps://code.example/ada\n").unwrap();
        assert_eq!(links[0].label, "Site");
        assert_eq!(links[1].label, "code.example");
        assert!(parse_link_lines("Bad | javascript:alert(1)").is_err());
        assert_eq!(links_to_lines(&links[..1]), "Site | https://ada.example/");
    }
}
