//! Names and links of the actors posts talk about, local or remote, for pages and the API;
//! and resolving a mention as written (`@ada`, `@bob@beta.example`) to an actor.

use std::collections::HashMap;

use serde::Serialize;

use super::compose::{MentionText, Resolved};
use crate::error::Result;
use crate::federation::actors;
use crate::federation::link::{Href, RemoteUrl};
use crate::federation::local::LocalActor;
use crate::federation::remote;
use crate::federation::urls::Urls;
use crate::state::AppState;

/// An actor as a post shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub uri: String,
    pub name: String,
    /// `@name@host`.
    pub handle: String,
    /// Where its name links to: the local page, or the remote profile; `None` when what is
    /// stored is not a web address (the name is then shown without a link).
    pub link: Option<Href>,
    pub icon: Option<Href>,
    pub local: bool,
    /// Its profile on this space: the local page, or for a remote actor the page of what this
    /// space knows of it (`/actors?uri=`).
    pub page: Option<Href>,
}

impl Person {
    /// An actor known only by its URI.
    pub fn unknown(uri: &str) -> Person {
        Person {
            uri: uri.to_string(),
            name: uri.to_string(),
            handle: String::new(),
            link: RemoteUrl::stored(uri).map(Href::Remote),
            icon: None,
            local: false,
            page: None,
        }
    }

    /// A remote actor as cached: its profile page (else its id) and picture, each re-checked.
    pub fn remote(r: &remote::RemoteActor) -> Person {
        Person {
            uri: r.uri.clone(),
            name: r.display_name().to_string(),
            handle: r.handle(),
            link: RemoteUrl::stored(&r.url)
                .or_else(|| RemoteUrl::stored(&r.uri))
                .map(Href::Remote),
            icon: RemoteUrl::stored(&r.icon_url).map(Href::Remote),
            local: false,
            page: Href::local(format!(
                "/actors?uri={}",
                crate::federation::urls::urlencode(&r.uri)
            )),
        }
    }
}

/// A local actor as a page shows it; `icon` is the path of a member's avatar or a company's
/// logo (see [`icon_of`]).
pub fn local_person(
    urls: &Urls,
    actor: &LocalActor,
    icon: Option<String>,
    space_name: &str,
) -> Person {
    let uri = actor.uri(urls);
    let (name, handle) = match actor {
        LocalActor::Member(a) | LocalActor::Company(a) | LocalActor::Project(a) => {
            (a.name.clone(), a.handle.clone())
        }
        LocalActor::Space => (space_name.to_string(), String::new()),
    };
    // The space is found by its domain (FEP-d556): printed as that, not `@host@host:port`.
    let handle = if handle.is_empty() {
        urls.domain().to_string()
    } else {
        format!("@{handle}@{}", urls.domain())
    };
    let link = Href::local(match actor {
        LocalActor::Space => "/",
        _ => uri.trim_start_matches(urls.base()),
    });
    Person {
        page: link.clone(),
        link,
        handle,
        uri,
        name,
        icon: icon.and_then(Href::local),
        local: true,
    }
}

/// The path of a local member's avatar or a company's logo, if it has one.
async fn icon_of(state: &AppState, actor: &LocalActor) -> Result<Option<String>> {
    Ok(match actor {
        LocalActor::Member(a) => crate::accounts::store::by_handle(&state.db, &a.handle)
            .await?
            .and_then(|a| a.avatar_url()),
        LocalActor::Company(c) => crate::companies::store::by_handle(&state.db, &c.handle)
            .await?
            .and_then(|c| c.logo_url()),
        LocalActor::Project(_) | LocalActor::Space => None,
    })
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
        let person = if let Some(actor) = actors::by_uri(state, uri).await? {
            let icon = icon_of(state, &actor).await?;
            local_person(&urls, &actor, icon, &space_name)
        } else if let Some(r) = remote::by_uri(&state.db, uri).await? {
            Person::remote(&r)
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
            if let Ok(Some(actor)) = actors::by_uri(state, &uri).await {
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
            url: RemoteUrl::stored(&actor.url)
                .map(RemoteUrl::into_string)
                .unwrap_or_else(|| actor.uri.clone()),
            full: actor.handle(),
            uri: actor.uri,
        }),
        Err(e) => {
            tracing::info!(mention = %m.written(), error = %e, "a mention could not be resolved");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_addresses_are_checked_again_before_a_page_links_them() {
        // Rows written before addresses were checked: the name stays, the link goes.
        for bad in [
            "javascript://evil.example/%0aalert(document.domain)//",
            "data:text/html,x",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
        ] {
            let p = Person::unknown(bad);
            assert_eq!(p.link, None, "{bad}");
            assert_eq!(p.name, bad);
        }
        assert_eq!(
            Person::unknown("https://m.example/users/ann")
                .link
                .map(|l| l.to_string())
                .as_deref(),
            Some("https://m.example/users/ann")
        );
    }
}
