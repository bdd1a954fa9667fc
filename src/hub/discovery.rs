//! Discovery: WebFinger (`acct:` for members, companies and the space; the bare domain and the
//! home page resolve to the space, FEP-d556) and NodeInfo 2.1 linking the space actor
//! (FEP-2677).

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Result};
use crate::federation::protocol::ACTIVITY_JSON;
use crate::federation::urls::Urls;
use crate::spaces::RegistrationMode;
use crate::state::AppState;
use crate::storage::now_ms;
use crate::{accounts, companies, spaces};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
}

/// A WebFinger answer (JRD).
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Jrd {
    pub subject: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub links: Vec<JrdLink>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct JrdLink {
    pub rel: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub href: Option<String>,
}

/// What a WebFinger resource names on this instance.
#[derive(Debug, PartialEq, Eq)]
pub enum Resource {
    Space,
    Handle(String),
}

/// Reads a WebFinger `resource`: `acct:name@domain`, `name@domain`, an actor URL, or the
/// bare domain / home page for the space. `None` when it is not ours.
pub fn parse_resource(resource: &str, urls: &Urls) -> Option<Resource> {
    let r = resource.trim();
    let domain = urls.domain().to_ascii_lowercase();
    if r.starts_with("https://") || r.starts_with("http://") {
        let url = url::Url::parse(r).ok()?;
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str()?),
            None => url.host_str()?.to_string(),
        };
        if authority.to_ascii_lowercase() != domain {
            return None;
        }
        let path = url.path().trim_end_matches('/');
        if path.is_empty() {
            return Some(Resource::Space);
        }
        let mut parts = path.trim_start_matches('/').split('/');
        return match (parts.next(), parts.next(), parts.next()) {
            (Some("members" | "companies" | "projects"), Some(h), None) if !h.is_empty() => {
                Some(Resource::Handle(h.to_ascii_lowercase()))
            }
            _ => None,
        };
    }
    let acct = r.strip_prefix("acct:").unwrap_or(r).trim_start_matches('@');
    let (name, host) = acct.rsplit_once('@')?;
    if host.to_ascii_lowercase() != domain {
        return None;
    }
    let name = name.to_ascii_lowercase();
    if name == crate::spaces::actor::username(urls) {
        Some(Resource::Space)
    } else {
        Some(Resource::Handle(name))
    }
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger(
    State(state): State<AppState>,
    Query(q): Query<WebfingerQuery>,
) -> Result<Response> {
    let resource = q
        .resource
        .filter(|r| !r.trim().is_empty() && r.len() <= 1000)
        .ok_or_else(|| Error::BadRequest("The resource parameter is required.".into()))?;
    let urls = Urls::new(&state.config);
    let (subject_name, actor) = match parse_resource(&resource, &urls).ok_or(Error::NotFound)? {
        Resource::Space => {
            if !state.is_set_up().await {
                return Err(Error::NotFound);
            }
            (spaces::actor::username(&urls), urls.space())
        }
        Resource::Handle(h) => {
            if accounts::store::by_handle(&state.db, &h).await?.is_some() {
                let url = urls.member(&h);
                (h, url)
            } else if companies::store::by_handle(&state.db, &h).await?.is_some() {
                let url = urls.company(&h);
                (h, url)
            } else if crate::projects::store::by_handle(&state.db, &h)
                .await?
                .is_some()
            {
                let url = urls.project(&h);
                (h, url)
            } else {
                return Err(Error::NotFound);
            }
        }
    };
    let jrd = Jrd {
        subject: format!("acct:{subject_name}@{}", urls.domain()),
        aliases: vec![actor.clone()],
        links: vec![
            JrdLink {
                rel: "self".into(),
                kind: Some(ACTIVITY_JSON.into()),
                href: Some(actor.clone()),
            },
            JrdLink {
                rel: "http://webfinger.net/rel/profile-page".into(),
                kind: Some("text/html".into()),
                href: Some(actor),
            },
        ],
    };
    let mut response = Json(jrd).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jrd+json; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

const NODEINFO_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    let urls = Urls::new(&state.config);
    let mut response = Json(json!({
        "links": [
            { "rel": NODEINFO_21, "href": format!("{}/nodeinfo/2.1", urls.base()) },
            { "rel": "https://www.w3.org/ns/activitystreams#Application", "href": urls.space() }
        ]
    }))
    .into_response();
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn nodeinfo(State(state): State<AppState>) -> Result<Response> {
    let urls = Urls::new(&state.config);
    let space = spaces::store::get(&state.db).await?;
    let users = accounts::store::count(&state.db).await?;
    let month = accounts::store::active_since(&state.db, now_ms() - 30 * 86_400_000).await?;
    let half_year = accounts::store::active_since(&state.db, now_ms() - 182 * 86_400_000).await?;
    let companies = companies::store::count(&state.db).await?;
    // The directory (always named: when publishing is off it holds only tombstones, which
    // peers must still read) and the spaces it syncs with, for peers that follow peer lists.
    let publishing = crate::directory::store::publishing(&state.db).await?;
    let directory = crate::directory::publish::collection_url(&urls);
    let directory_peers = if publishing {
        crate::directory::store::healthy_peer_domains(&state.db, 50).await?
    } else {
        Vec::new()
    };
    let body = json!({
        "version": "2.1",
        "software": {
            "name": "guildhall",
            "version": env!("CARGO_PKG_VERSION"),
            "homepage": format!("{}/", urls.base()),
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": space.as_ref().is_some_and(|s| s.registration_mode == RegistrationMode::Open),
        "usage": {
            "users": { "total": users, "activeMonth": month, "activeHalfyear": half_year },
            "localPosts": 0
        },
        "metadata": {
            "nodeName": space.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
            "nodeDescription": space.as_ref().map(|s| s.description.clone()).unwrap_or_default(),
            "spaceActor": urls.space(),
            "city": space.as_ref().map(|s| s.city.clone()).unwrap_or_default(),
            "country": space.as_ref().map(|s| s.country.clone()).unwrap_or_default(),
            "companies": companies,
            "directory": directory,
            "directoryPeers": directory_peers
        }
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        ),
    );
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::collections::BTreeMap;

    fn urls() -> Urls {
        let env: BTreeMap<String, String> = [("GUILDHALL_DOMAIN", "harbour.example")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Urls::new(&Config::from_sources(&BTreeMap::new(), &env).unwrap())
    }

    #[test]
    fn resources() {
        let u = urls();
        assert_eq!(
            parse_resource("acct:Ada@harbour.example", &u),
            Some(Resource::Handle("ada".into()))
        );
        assert_eq!(
            parse_resource("@ada@Harbour.Example", &u),
            Some(Resource::Handle("ada".into()))
        );
        assert_eq!(
            parse_resource("acct:harbour.example@harbour.example", &u),
            Some(Resource::Space)
        );
        assert_eq!(
            parse_resource("https://harbour.example/", &u),
            Some(Resource::Space)
        );
        assert_eq!(
            parse_resource("https://harbour.example", &u),
            Some(Resource::Space)
        );
        assert_eq!(
            parse_resource("https://harbour.example/companies/tidewater", &u),
            Some(Resource::Handle("tidewater".into()))
        );
        assert_eq!(parse_resource("acct:ada@elsewhere.example", &u), None);
        assert_eq!(
            parse_resource("https://elsewhere.example/members/ada", &u),
            None
        );
        assert_eq!(
            parse_resource("https://harbour.example/members/ada/inbox", &u),
            None
        );
        assert_eq!(parse_resource("ada", &u), None);
    }
}
