//! Remote actors: fetched (signed by the space actor), validated, sanitised and cached, then
//! refreshed when stale. Also resolves `@name@host` handles through WebFinger.

mod signers;
pub mod store;

pub use signers::{KnownSigner, SignerCache};
pub use store::*;

use std::sync::Arc;

use serde_json::Value;

use super::client::{FetchError, Signer};
use super::keys::{self, ActorKind, SPACE_ID};
use super::link::RemoteUrl;
use super::policy::{self, Decision};
use super::urls::Urls;
use super::{wire, Context};
use crate::error::{Error, Result};
use crate::storage::now_ms;

/// Cached actors older than this are fetched again when needed.
pub const STALE_AFTER_MS: i64 = 24 * 3600 * 1000;
const ACTOR_TYPES: &[&str] = &["Person", "Organization", "Group", "Service", "Application"];

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RemoteActor {
    pub id: i64,
    pub uri: String,
    pub host: String,
    pub kind: String,
    pub preferred_username: String,
    pub name: String,
    /// Sanitised HTML.
    pub summary: String,
    pub url: String,
    pub icon_url: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub followers: Option<String>,
    #[serde(skip)]
    pub key_id: String,
    #[serde(skip)]
    pub public_key_pem: String,
    pub manually_approves: bool,
    pub discoverable: bool,
    pub fetched_at: i64,
}

impl RemoteActor {
    /// `@name@host` as people write it.
    pub fn handle(&self) -> String {
        format!("@{}@{}", self.preferred_username, self.host)
    }

    /// Where deliveries for this actor go: its server's shared inbox when it has one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }

    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            &self.preferred_username
        } else {
            &self.name
        }
    }
}

/// A validated actor document, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedActor {
    pub uri: String,
    pub host: String,
    pub kind: String,
    pub preferred_username: String,
    pub name: String,
    pub summary: String,
    pub url: String,
    pub icon_url: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub outbox: Option<String>,
    pub followers: Option<String>,
    pub following: Option<String>,
    pub key_id: String,
    pub public_key_pem: String,
    pub manually_approves: bool,
    pub discoverable: bool,
}

/// The string id of a value that is either a string or an object with `id`.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Cleaning passes [`sanitize_html`] makes at most to reach HTML that cleans to itself.
const SANITIZE_PASSES: usize = 4;

/// Keeps only the HTML that profiles and posts need: links, paragraphs, line breaks, emphasis,
/// lists, code and quotes, and the classes that mark mentions and hashtags.
///
/// The parser can build trees no document parses to (a `<table>` dropped from `<a><table><a>`
/// leaves an `<a>` inside an `<a>`), whose markup a browser then reads as another tree than the
/// one checked; so the result is cleaned again, up to [`SANITIZE_PASSES`] passes in all, until
/// it cleans to itself.
pub fn sanitize_html(html: &str) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .tags(
            [
                "a",
                "p",
                "br",
                "span",
                "strong",
                "em",
                "b",
                "i",
                "ul",
                "ol",
                "li",
                "code",
                "pre",
                "blockquote",
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "del",
                "hr",
            ]
            .into_iter()
            .collect(),
        )
        .link_rel(Some("nofollow noopener noreferrer"))
        .url_schemes(["http", "https"].into_iter().collect())
        // The microformats classes Mastodon marks mentions, tags and shortened links with.
        .allowed_classes(
            [
                ("a", ["mention", "hashtag", "u-url"].into_iter().collect()),
                (
                    "span",
                    ["h-card", "invisible", "ellipsis"].into_iter().collect(),
                ),
            ]
            .into_iter()
            .collect(),
        );
    let mut clean = builder.clean(html).to_string();
    for _ in 1..SANITIZE_PASSES {
        let again = builder.clean(&clean).to_string();
        if again == clean {
            break;
        }
        clean = again;
    }
    clean
}

/// Validates an actor document fetched from (or claimed to be at) `expected_id`, read as a
/// typed [`wire::Actor`]: every address in it must be a [`RemoteUrl`] (`allow_http` in
/// development mode); those the actor's server serves (inbox, key, collections) must be on its
/// host.
pub fn parse_actor(
    doc: &Value,
    expected_id: &str,
    allow_http: bool,
) -> Result<ParsedActor, String> {
    let actor: wire::Actor<RemoteUrl> =
        wire::parse_value(doc, allow_http).map_err(|e| format!("the actor: {e}"))?;
    let uri = actor.id.as_str();
    if uri != expected_id {
        return Err(format!("the document at {expected_id} claims to be {uri}"));
    }
    let host = actor.id.authority();
    let kind = actor.kind.as_str();
    if !ACTOR_TYPES.contains(&kind) {
        return Err(format!("`{kind}` is not an actor type"));
    }
    let same_host = |field: &str, url: &RemoteUrl| -> Result<(), String> {
        if url.authority() == host {
            Ok(())
        } else {
            Err(format!("the actor's {field} is on another host"))
        }
    };
    same_host("inbox", &actor.inbox)?;
    let key = actor
        .public_key
        .as_ref()
        .ok_or("the actor has no usable public key")?;
    same_host("key", &key.id)?;
    if key
        .owner
        .as_ref()
        .is_some_and(|owner| owner.as_str() != uri)
    {
        return Err("the public key belongs to another actor".into());
    }
    let pem = key.public_key_pem.as_str();
    if pem.len() > 10_000 || super::crypto::VerifyingKey::from_pem(pem).is_err() {
        return Err("the public key is not a usable RSA key".into());
    }
    let on_host = |field: &str, url: Option<&RemoteUrl>| {
        url.filter(|u| same_host(field, u).is_ok())
            .map(|u| u.as_str().to_string())
    };
    let collection = |field: &str, link: &Option<wire::Link<RemoteUrl>>| {
        on_host(field, link.as_ref().map(wire::Link::get))
    };
    let text = |v: &Option<String>, max: usize| -> String {
        v.as_deref().unwrap_or_default().chars().take(max).collect()
    };
    // Pictures and profile pages may be anywhere (a media host), but only at web addresses.
    let address = |link: Option<&wire::Link<RemoteUrl>>| {
        link.map(|l| l.as_str().to_string()).unwrap_or_default()
    };
    Ok(ParsedActor {
        uri: uri.to_string(),
        host: host.to_string(),
        kind: kind.to_string(),
        preferred_username: actor.preferred_username.chars().take(100).collect(),
        name: text(&actor.name, 200),
        summary: sanitize_html(&text(&actor.summary, 20_000)),
        url: address(actor.url.as_ref()),
        icon_url: address(actor.icon.as_ref().map(|i| &i.url)),
        inbox: actor.inbox.as_str().to_string(),
        shared_inbox: on_host(
            "shared inbox",
            actor.endpoints.as_ref().map(|e| &e.shared_inbox),
        ),
        outbox: collection("outbox", &actor.outbox),
        followers: collection("followers", &actor.followers),
        following: collection("following", &actor.following),
        key_id: key.id.as_str().to_string(),
        public_key_pem: pem.to_string(),
        manually_approves: actor.manually_approves_followers.unwrap_or(false),
        discoverable: actor.discoverable.unwrap_or(false),
    })
}

// --- fetching -------------------------------------------------------------------------------

/// The space actor signs the instance's own fetches (authorized fetch).
pub async fn instance_signer(ctx: &Context) -> Result<Signer> {
    let key = keys::signing_key(&ctx.db, ActorKind::Space, SPACE_ID)
        .await?
        .ok_or_else(|| Error::Conflict("This space is not set up yet.".into()))?;
    Ok(Signer {
        key_id: Urls::new(&ctx.config).key_id(&Urls::new(&ctx.config).space()),
        key: Arc::new(key),
    })
}

/// Why a remote actor could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("the domain is blocked here")]
    Blocked,
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("not a usable actor: {0}")]
    Invalid(String),
    #[error("the actor was deleted")]
    Gone,
    #[error(transparent)]
    Internal(#[from] Error),
}

impl From<ResolveError> for Error {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Internal(inner) => inner,
            ResolveError::Blocked => Error::forbidden("That domain is blocked by this space."),
            other => Error::invalid("target", other.to_string()),
        }
    }
}

/// The actor at `uri`, from the cache when fresh, else fetched and stored.
pub async fn resolve(ctx: &Context, uri: &str, force: bool) -> Result<RemoteActor, ResolveError> {
    // The policy first: a cached actor of a domain blocked since must not be handed out.
    let host = policy::host_of(uri).ok_or_else(|| ResolveError::Invalid("no host".into()))?;
    if policy::decide_cached(ctx, &host).await? == Decision::Block {
        return Err(ResolveError::Blocked);
    }
    if !force {
        if let Some(a) = by_uri(&ctx.db, uri).await? {
            if now_ms() - a.fetched_at < STALE_AFTER_MS {
                return Ok(a);
            }
        }
    }
    fetch(ctx, uri).await
}

/// Fetches `uri`, validates it as an actor and stores it.
pub async fn fetch(ctx: &Context, uri: &str) -> Result<RemoteActor, ResolveError> {
    let host = policy::host_of(uri).ok_or_else(|| ResolveError::Invalid("no host".into()))?;
    if policy::decide_cached(ctx, &host).await? == Decision::Block {
        return Err(ResolveError::Blocked);
    }
    if policy::authority_of(uri).as_deref() == Some(Urls::new(&ctx.config).domain()) {
        return Err(ResolveError::Invalid("that is a local address".into()));
    }
    let signer = instance_signer(ctx).await?;
    let doc = match ctx.client.get_json(uri, Some(&signer)).await {
        Ok(d) => d,
        Err(FetchError::Status(410)) => {
            mark_deleted(&ctx.db, uri).await?;
            ctx.signers.forget(uri);
            return Err(ResolveError::Gone);
        }
        Err(e) => return Err(e.into()),
    };
    let parsed = parse_actor(&doc, uri, ctx.config.dev_http).map_err(ResolveError::Invalid)?;
    Ok(upsert(&ctx.db, &parsed, &doc).await?)
}

/// Resolves `@name@host` (or `name@host`, `acct:name@host`) through WebFinger, or an actor URL.
pub async fn resolve_handle_or_url(
    ctx: &Context,
    target: &str,
) -> Result<RemoteActor, ResolveError> {
    let t = target.trim();
    if t.starts_with("https://") || t.starts_with("http://") {
        return resolve(ctx, t, false).await;
    }
    let acct = t.strip_prefix("acct:").unwrap_or(t).trim_start_matches('@');
    let (name, host) = acct
        .rsplit_once('@')
        .filter(|(n, h)| !n.is_empty() && !h.is_empty() && !h.contains('/'))
        .ok_or_else(|| ResolveError::Invalid("use @name@host or an address".into()))?;
    if policy::decide_cached(ctx, host).await? == Decision::Block {
        return Err(ResolveError::Blocked);
    }
    if let Some(a) = by_handle(
        &ctx.db,
        name,
        &host.trim_end_matches('.').to_ascii_lowercase(),
    )
    .await?
    {
        if now_ms() - a.fetched_at < STALE_AFTER_MS {
            return Ok(a);
        }
    }
    let scheme = ctx.config.scheme();
    let resource: String =
        url::form_urlencoded::byte_serialize(format!("acct:{name}@{host}").as_bytes()).collect();
    let jrd = ctx
        .client
        .get_plain_json(&format!(
            "{scheme}://{host}/.well-known/webfinger?resource={resource}"
        ))
        .await?;
    let href = jrd
        .get("links")
        .and_then(Value::as_array)
        .and_then(|links| {
            links.iter().find(|l| {
                l.get("rel").and_then(Value::as_str) == Some("self")
                    && l.get("type").and_then(Value::as_str).is_some_and(|t| {
                        t.starts_with("application/activity+json")
                            || t.starts_with("application/ld+json")
                    })
            })
        })
        .and_then(|l| l.get("href"))
        .and_then(Value::as_str)
        .ok_or_else(|| ResolveError::Invalid("WebFinger named no ActivityPub actor".into()))?
        .to_string();
    resolve(ctx, &href, false).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        let keys = crate::federation::crypto::generate_keys().unwrap();
        json!({
            "id": "https://m.example/users/ann",
            "type": "Person",
            "preferredUsername": "ann",
            "name": "Ann",
            "summary": "<p>Hi <script>alert(1)</script><a href=\"javascript:x\">x</a></p>",
            "inbox": "https://m.example/users/ann/inbox",
            "endpoints": {"sharedInbox": "https://m.example/inbox"},
            "followers": "https://m.example/users/ann/followers",
            "icon": {"type": "Image", "url": "https://m.example/a.png"},
            "publicKey": {"id": "https://m.example/users/ann#main-key", "owner": "https://m.example/users/ann", "publicKeyPem": keys.public_pem},
            "manuallyApprovesFollowers": true
        })
    }

    #[test]
    fn valid_actor_is_parsed_and_sanitised() {
        let a = parse_actor(&doc(), "https://m.example/users/ann", false).unwrap();
        assert_eq!(a.host, "m.example");
        assert_eq!(a.shared_inbox.as_deref(), Some("https://m.example/inbox"));
        assert!(a.manually_approves);
        assert!(!a.summary.contains("script"));
        assert!(!a.summary.contains("javascript"));
        assert_eq!(a.icon_url, "https://m.example/a.png");
    }

    /// A fixture as its server sends it, with a key that parses (the fixtures' are shortened).
    fn fixture(json: &str) -> Value {
        let mut d: Value = serde_json::from_str(json).unwrap();
        let keys = crate::federation::crypto::generate_keys().unwrap();
        d["publicKey"]["publicKeyPem"] = json!(keys.public_pem);
        d
    }

    #[test]
    fn actors_of_each_server_are_read() {
        let w = |p: &str| format!("tests/fixtures/wire/{p}");
        for (path, json, kind) in [
            (
                w("mastodon/person.json"),
                include_str!("../../../tests/fixtures/wire/mastodon/person.json"),
                "Person",
            ),
            (
                w("misskey/person.json"),
                include_str!("../../../tests/fixtures/wire/misskey/person.json"),
                "Person",
            ),
            (
                w("gotosocial/person.json"),
                include_str!("../../../tests/fixtures/wire/gotosocial/person.json"),
                "Person",
            ),
            (
                w("mobilizon/group.json"),
                include_str!("../../../tests/fixtures/wire/mobilizon/group.json"),
                "Group",
            ),
            (
                w("lemmy/group.json"),
                include_str!("../../../tests/fixtures/wire/lemmy/group.json"),
                "Group",
            ),
        ] {
            let d = fixture(json);
            let id = d["id"].as_str().unwrap();
            let a = parse_actor(&d, id, false).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(a.kind, kind, "{path}");
            assert_eq!(a.inbox, d["inbox"], "{path}");
            assert_eq!(a.key_id, d["publicKey"]["id"], "{path}");
            assert!(!a.preferred_username.is_empty(), "{path}");
            assert!(id.contains(&a.host), "{path}");
            assert_eq!(a.followers.as_deref(), d["followers"].as_str(), "{path}");
        }
        let m = parse_actor(
            &fixture(include_str!(
                "../../../tests/fixtures/wire/mastodon/person.json"
            )),
            "https://mastodon.example/users/ada",
            false,
        )
        .unwrap();
        assert_eq!(
            m.shared_inbox.as_deref(),
            Some("https://mastodon.example/inbox")
        );
        assert!(m.discoverable);
        let g = parse_actor(
            &fixture(include_str!(
                "../../../tests/fixtures/wire/gotosocial/person.json"
            )),
            "https://gts.example/users/tom",
            false,
        )
        .unwrap();
        assert_eq!(g.shared_inbox, None, "GoToSocial has no shared inbox");
        assert!(g.manually_approves);
        let k = parse_actor(
            &fixture(include_str!(
                "../../../tests/fixtures/wire/misskey/person.json"
            )),
            "https://misskey.example/users/9abc000001",
            false,
        )
        .unwrap();
        assert!(
            k.icon_url.starts_with("https://"),
            "an icon with `name: null` still reads"
        );
    }

    #[test]
    fn tolerant_of_shapes_real_servers_send() {
        let mut d = doc();
        let key = d["publicKey"].clone();
        d["publicKey"] = json!([key, {"id": "https://elsewhere.example/k"}]);
        d["publicKey"][0].as_object_mut().unwrap().remove("owner");
        d["type"] = json!(["Person"]);
        d["icon"] =
            json!([{"url": "https://media.example/a.png"}, {"url": "https://media.example/b.png"}]);
        d["followers"] =
            json!({"id": "https://m.example/users/ann/followers", "type": "OrderedCollection"});
        d["following"] = json!(42);
        d["outbox"] = json!("https://elsewhere.example/outbox");
        d["name"] = json!(["not", "text"]);
        d["discoverable"] = json!("yes");
        d["somethingNew"] = json!({"nested": [1, 2]});
        d.as_object_mut().unwrap().remove("summary");
        let a = parse_actor(&d, "https://m.example/users/ann", false).unwrap();
        assert_eq!(a.kind, "Person");
        assert_eq!(
            a.key_id, "https://m.example/users/ann#main-key",
            "the first key"
        );
        assert_eq!(
            a.icon_url, "https://media.example/a.png",
            "the first icon, with no type"
        );
        assert_eq!(
            a.followers.as_deref(),
            Some("https://m.example/users/ann/followers")
        );
        assert_eq!(a.following, None, "not an address");
        assert_eq!(a.outbox, None, "on another host");
        assert_eq!((a.name.as_str(), a.summary.as_str()), ("", ""));
        assert!(!a.discoverable);
        // A long name is cut, not refused.
        let mut d = doc();
        d["name"] = json!("n".repeat(500));
        let a = parse_actor(&d, "https://m.example/users/ann", false).unwrap();
        assert_eq!(a.name.chars().count(), 200);
    }

    #[test]
    fn keys_that_do_not_read_refuse_the_actor() {
        let refused = |f: &dyn Fn(&mut Value)| {
            let mut d = doc();
            f(&mut d);
            parse_actor(&d, "https://m.example/users/ann", false).unwrap_err()
        };
        let e = refused(&|d| {
            d.as_object_mut().unwrap().remove("publicKey");
        });
        assert!(e.contains("public key"), "{e}");
        let e = refused(&|d| d["publicKey"]["owner"] = json!("javascript:alert(1)"));
        assert!(e.contains("public key"), "{e}");
        let e = refused(&|d| d["publicKey"]["id"] = json!("https://evil.example/k"));
        assert!(e.contains("key is on another host"), "{e}");
        let e = refused(&|d| {
            let key = d["publicKey"].clone();
            d["publicKey"] =
                json!([{"id": "https://evil.example/k", "publicKeyPem": key["publicKeyPem"]}, key]);
        });
        assert!(e.contains("another host"), "the first key counts: {e}");
        // An inbox must be one address (as before the typed layer).
        let e = refused(&|d| d["inbox"] = json!(["https://m.example/inbox"]));
        assert!(e.contains("unreadable"), "{e}");
        let e = refused(&|d| {
            d.as_object_mut().unwrap().remove("id");
        });
        assert!(e.contains("id"), "{e}");
    }

    #[test]
    fn sanitised_html_cleans_to_itself() {
        // Found by the sanitize_html fuzz target: the first pass nested one link in another.
        for html in [
            "<a><table><a>",
            "<p><a href=\"https://x.example\">x<table><tr><td><a href=\"https://y.example\">y</table></a></p>",
            "<blockquote cite=\"https://q.example\"><ol start=\"3\"><li><code>a</code></li><li><pre>x</pre>t<a>s<h1>T</h1><table><tr/><ul><li><b>b</b></li></ul><p>x</p><a href=\"/r\">r</a>",
        ] {
            let clean = sanitize_html(html);
            assert_eq!(sanitize_html(&clean), clean, "{html}");
        }
        assert_eq!(
            sanitize_html("<a><table><a>"),
            "<a rel=\"nofollow noopener noreferrer\"></a><a rel=\"nofollow noopener noreferrer\"></a>"
        );
    }

    #[test]
    fn forged_actors_are_refused() {
        let d = doc();
        assert!(
            parse_actor(&d, "https://m.example/users/bob", false).is_err(),
            "id mismatch"
        );
        let mut other_inbox = d.clone();
        other_inbox["inbox"] = json!("https://evil.example/inbox");
        assert!(parse_actor(&other_inbox, "https://m.example/users/ann", false).is_err());
        let mut other_key = d.clone();
        other_key["publicKey"]["owner"] = json!("https://m.example/users/bob");
        assert!(parse_actor(&other_key, "https://m.example/users/ann", false).is_err());
        let mut not_actor = d.clone();
        not_actor["type"] = json!("Note");
        assert!(parse_actor(&not_actor, "https://m.example/users/ann", false).is_err());
        let mut bad_pem = d.clone();
        bad_pem["publicKey"]["publicKeyPem"] = json!("nope");
        assert!(parse_actor(&bad_pem, "https://m.example/users/ann", false).is_err());
        let mut script_inbox = d.clone();
        script_inbox["inbox"] = json!("javascript://m.example/%0aalert(1)");
        assert!(parse_actor(&script_inbox, "https://m.example/users/ann", false).is_err());
        let mut plain_http = d;
        plain_http["id"] = json!("http://m.example/users/ann");
        assert!(parse_actor(&plain_http, "http://m.example/users/ann", false).is_err());
    }

    #[test]
    fn links_other_than_web_addresses_are_dropped() {
        for bad in [
            "javascript:alert(1)",
            "javascript://m.example/%0aalert(1)",
            "data:image/svg+xml,<svg onload=alert(1)>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            " https://m.example/padded",
        ] {
            let mut d = doc();
            d["url"] = json!(bad);
            d["icon"] = json!({"type": "Image", "url": bad});
            d["followers"] = json!(bad);
            d["endpoints"]["sharedInbox"] = json!(bad);
            let a = parse_actor(&d, "https://m.example/users/ann", false).unwrap();
            assert_eq!(a.url, "", "{bad}");
            assert_eq!(a.icon_url, "", "{bad}");
            assert_eq!(a.followers, None, "{bad}");
            assert_eq!(a.shared_inbox, None, "{bad}");
        }
        let mut d = doc();
        d["url"] = json!([{"type": "Link", "href": "https://m.example/@ann"}]);
        d["icon"] = json!([{"type": "Image", "url": "http://m.example/a.png"}]);
        let a = parse_actor(&d, "https://m.example/users/ann", false).unwrap();
        assert_eq!(a.url, "https://m.example/@ann");
        assert_eq!(a.icon_url, "", "plain http outside development mode");
    }
}
