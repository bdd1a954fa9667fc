//! Names and links of the actors posts talk about, local or remote, for pages and the API;
//! and resolving a mention as written (`@ada`, `@bob@beta.example`) to an actor.

use std::collections::HashMap;

use serde::Serialize;

use super::compose::{MentionText, Resolved};
use crate::app::AppState;
use crate::error::Result;
use crate::federation::local::{self, LocalActor};
use crate::federation::remote;
use crate::federation::urls::Urls;

/// An actor as a post shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub uri: String,
    pub name: String,
    /// `@name@host`.
    pub handle: String,
    /// Where its name links to: the local page, or the remote profile.
    pub link: String,
    pub icon: Option<String>,
    pub local: bool,
}

impl Person {
    fn unknown(uri: &str) -> Person {
        Person {
            uri: uri.to_string(),
            name: uri.to_string(),
            handle: String::new(),
            link: uri.to_string(),
            icon: None,
            local: false,
        }
    }
}

pub fn local_person(urls: &Urls, actor: &LocalActor, space_name: &str) -> Person {
    let uri = actor.uri(urls);
    let (name, handle, icon) = match actor {
        LocalActor::Member(a) => (a.name().to_string(), a.handle.clone(), a.avatar_url()),
        LocalActor::Company(c) => (c.name.clone(), c.handle.clone(), c.logo_url()),
        LocalActor::Project(p) => (p.name.clone(), p.handle.clone(), None),
        LocalActor::Space => (
            space_name.to_string(),
            crate::spaces::actor::username(urls),
            None,
        ),
    };
    Person {
        link: match actor {
            LocalActor::Space => "/".to_string(),
            _ => uri.trim_start_matches(urls.base()).to_string(),
        },
        handle: format!("@{handle}@{}", urls.domain()),
        uri,
        name,
        icon,
        local: true,
    }
}

/// Looks up each URI once.
pub async fn people(state: &AppState, uris: Vec<String>) -> Result<HashMap<String, Person>> {
    let urls = Urls::new(&state.config);
    let space_name = crate::spaces::store::name(&state.db)
        .await?
        .unwrap_or_default();
    let mut out = HashMap::new();
    for uri in uris {
        let uri = uri.as_str();
        if out.contains_key(uri) {
            continue;
        }
        let person = if let Some(actor) = local::by_uri(state, uri).await? {
            local_person(&urls, &actor, &space_name)
        } else if let Some(r) = remote::by_uri(&state.db, uri).await? {
            Person {
                uri: r.uri.clone(),
                name: r.display_name().to_string(),
                handle: r.handle(),
                link: if r.url.is_empty() {
                    r.uri.clone()
                } else {
                    r.url.clone()
                },
                icon: (!r.icon_url.is_empty()).then(|| r.icon_url.clone()),
                local: false,
            }
        } else {
            Person::unknown(uri)
        };
        out.insert(uri.to_string(), person);
    }
    Ok(out)
}

/// The actor a written mention names, if it exists: a local member, company or the space by
/// handle, or a remote actor through WebFinger. Failures are `None` (the text stays text).
pub async fn resolve_mention(state: &AppState, m: &MentionText) -> Option<Resolved> {
    let urls = Urls::new(&state.config);
    let local_host = m
        .host
        .as_deref()
        .is_none_or(|h| h.eq_ignore_ascii_case(urls.domain()));
    if local_host {
        for uri in [urls.member(&m.name), urls.company(&m.name)] {
            if let Ok(Some(actor)) = local::by_uri(state, &uri).await {
                let uri = actor.uri(&urls);
                return Some(Resolved {
                    url: uri.clone(),
                    uri,
                    full: format!("@{}@{}", m.name, urls.domain()),
                });
            }
        }
        return None;
    }
    match remote::resolve_handle_or_url(state, &m.written()).await {
        Ok(actor) => Some(Resolved {
            url: if actor.url.is_empty() {
                actor.uri.clone()
            } else {
                actor.url.clone()
            },
            full: actor.handle(),
            uri: actor.uri,
        }),
        Err(e) => {
            tracing::info!(mention = %m.written(), error = %e, "a mention could not be resolved");
            None
        }
    }
}
