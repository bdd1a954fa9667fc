//! Remote actors: fetched (signed by the space actor), validated, sanitised and cached, then
//! refreshed when stale. Also resolves `@name@host` handles through WebFinger.

use std::sync::Arc;

use serde_json::Value;
use sqlx::Row as _;

use super::client::{FetchError, Signer};
use super::keys::{self, ActorKind, SPACE_ID};
use super::link::{self, RemoteUrl};
use super::policy::{self, Decision};
use super::urls::Urls;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::{now_ms, Db, Row};

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
    const COLUMNS: &'static str = "id, uri, host, kind, preferred_username, name, summary, url, \
        icon_url, inbox, shared_inbox, followers, key_id, public_key_pem, manually_approves, \
        discoverable, fetched_at";

    fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(RemoteActor {
            id: r.try_get("id")?,
            uri: r.try_get("uri")?,
            host: r.try_get("host")?,
            kind: r.try_get("kind")?,
            preferred_username: r.try_get("preferred_username")?,
            name: r.try_get("name")?,
            summary: r.try_get("summary")?,
            url: r.try_get("url")?,
            icon_url: r.try_get("icon_url")?,
            inbox: r.try_get("inbox")?,
            shared_inbox: r.try_get("shared_inbox")?,
            followers: r.try_get("followers")?,
            key_id: r.try_get("key_id")?,
            public_key_pem: r.try_get("public_key_pem")?,
            manually_approves: r.try_get::<i64, _>("manually_approves")? != 0,
            discoverable: r.try_get::<i64, _>("discoverable")? != 0,
            fetched_at: r.try_get("fetched_at")?,
        })
    }

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

fn text(v: &Value, key: &str, max: usize) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .map(|s| s.chars().take(max).collect())
        .unwrap_or_default()
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

/// Validates an actor document fetched from (or claimed to be at) `expected_id`. Every address
/// in it must be a [`RemoteUrl`] (`allow_http` in development mode); those the actor's server
/// serves (inbox, key, collections) must be on its host.
pub fn parse_actor(
    doc: &Value,
    expected_id: &str,
    allow_http: bool,
) -> Result<ParsedActor, String> {
    let uri = doc
        .get("id")
        .and_then(Value::as_str)
        .ok_or("the actor has no id")?;
    if uri != expected_id {
        return Err(format!("the document at {expected_id} claims to be {uri}"));
    }
    let host = RemoteUrl::parse(uri, allow_http)
        .map_err(|e| format!("the actor id {e}"))?
        .authority()
        .to_string();
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    if !ACTOR_TYPES.contains(&kind) {
        return Err(format!("`{kind}` is not an actor type"));
    }
    let same_host = |field: &str, url: &str| -> Result<(), String> {
        match RemoteUrl::parse(url, allow_http) {
            Ok(u) if u.authority() == host => Ok(()),
            Ok(_) => Err(format!("the actor's {field} is on another host")),
            Err(e) => Err(format!("the actor's {field} {e}")),
        }
    };
    let inbox = doc
        .get("inbox")
        .and_then(Value::as_str)
        .ok_or("the actor has no inbox")?;
    same_host("inbox", inbox)?;
    let key = doc.get("publicKey").ok_or("the actor has no public key")?;
    let key = match key {
        Value::Array(keys) => keys.first().ok_or("the actor has no public key")?,
        other => other,
    };
    let key_id = key
        .get("id")
        .and_then(Value::as_str)
        .ok_or("the public key has no id")?;
    same_host("key", key_id)?;
    if let Some(owner) = key.get("owner").and_then(Value::as_str) {
        if owner != uri {
            return Err("the public key belongs to another actor".into());
        }
    }
    let pem = key
        .get("publicKeyPem")
        .and_then(Value::as_str)
        .ok_or("the public key has no PEM")?;
    if pem.len() > 10_000 || super::crypto::VerifyingKey::from_pem(pem).is_err() {
        return Err("the public key is not a usable RSA key".into());
    }
    let shared_inbox = doc
        .get("endpoints")
        .and_then(|e| e.get("sharedInbox"))
        .and_then(Value::as_str)
        .filter(|s| same_host("shared inbox", s).is_ok())
        .map(str::to_string);
    let optional_url = |field: &str| {
        doc.get(field)
            .and_then(id_of)
            .filter(|s| same_host(field, s).is_ok())
            .map(str::to_string)
    };
    // Pictures and profile pages may be anywhere (a media host), but only at web addresses.
    let icon = match doc.get("icon") {
        Some(Value::Array(items)) => items.first(),
        other => other,
    };
    let icon_url = icon
        .and_then(|i| i.get("url"))
        .and_then(|u| link::url_in(u, allow_http))
        .map(RemoteUrl::into_string)
        .unwrap_or_default();
    let url = doc
        .get("url")
        .and_then(|u| link::url_in(u, allow_http))
        .map(RemoteUrl::into_string)
        .unwrap_or_default();
    let (outbox, followers, following) = (
        optional_url("outbox"),
        optional_url("followers"),
        optional_url("following"),
    );
    Ok(ParsedActor {
        uri: uri.to_string(),
        host,
        kind: kind.to_string(),
        preferred_username: text(doc, "preferredUsername", 100),
        name: text(doc, "name", 200),
        summary: sanitize_html(&text(doc, "summary", 20_000)),
        url,
        icon_url,
        inbox: inbox.to_string(),
        shared_inbox,
        outbox,
        followers,
        following,
        key_id: key_id.to_string(),
        public_key_pem: pem.to_string(),
        manually_approves: doc
            .get("manuallyApprovesFollowers")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        discoverable: doc
            .get("discoverable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

// --- store ----------------------------------------------------------------------------------

pub async fn by_uri(db: &Db, uri: &str) -> Result<Option<RemoteActor>> {
    let sql = format!(
        "SELECT {} FROM remote_actors WHERE uri = $1 AND deleted_at IS NULL",
        RemoteActor::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| RemoteActor::from_row(&r)).transpose()?)
}

pub async fn by_handle(db: &Db, name: &str, host: &str) -> Result<Option<RemoteActor>> {
    let sql = format!(
        "SELECT {} FROM remote_actors WHERE preferred_username = $1 AND host = $2 AND deleted_at IS NULL",
        RemoteActor::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(name)
        .bind(host.to_ascii_lowercase())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| RemoteActor::from_row(&r)).transpose()?)
}

/// Inserts or replaces a remote actor; returns the stored row.
pub async fn upsert(db: &Db, a: &ParsedActor, document: &Value) -> Result<RemoteActor> {
    let doc = serde_json::to_string(document).map_err(anyhow::Error::from)?;
    // One upsert: a concurrent fetch of the same actor simply lands second.
    sqlx::query(
        "INSERT INTO remote_actors (uri, host, kind, preferred_username, name, summary, url, \
         icon_url, inbox, shared_inbox, outbox, followers, following, key_id, public_key_pem, \
         manually_approves, discoverable, document, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
         ON CONFLICT (uri) DO UPDATE SET host = excluded.host, kind = excluded.kind, \
         preferred_username = excluded.preferred_username, name = excluded.name, \
         summary = excluded.summary, url = excluded.url, icon_url = excluded.icon_url, \
         inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, outbox = excluded.outbox, \
         followers = excluded.followers, following = excluded.following, \
         key_id = excluded.key_id, public_key_pem = excluded.public_key_pem, \
         manually_approves = excluded.manually_approves, discoverable = excluded.discoverable, \
         document = excluded.document, fetched_at = excluded.fetched_at, deleted_at = NULL",
    )
    .bind(&a.uri)
    .bind(&a.host)
    .bind(&a.kind)
    .bind(&a.preferred_username)
    .bind(&a.name)
    .bind(&a.summary)
    .bind(&a.url)
    .bind(&a.icon_url)
    .bind(&a.inbox)
    .bind(&a.shared_inbox)
    .bind(&a.outbox)
    .bind(&a.followers)
    .bind(&a.following)
    .bind(&a.key_id)
    .bind(&a.public_key_pem)
    .bind(a.manually_approves as i64)
    .bind(a.discoverable as i64)
    .bind(&doc)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    by_uri(db, &a.uri)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("remote actor vanished after upsert")))
}

/// Marks a remote actor deleted (it asked to be, or its server said 410).
pub async fn mark_deleted(db: &Db, uri: &str) -> Result<()> {
    sqlx::query("UPDATE remote_actors SET deleted_at = $1 WHERE uri = $2")
        .bind(now_ms())
        .bind(uri)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// [`mark_deleted`] inside the caller's transaction.
pub async fn mark_deleted_tx(tx: &mut crate::storage::Tx, uri: &str) -> Result<()> {
    sqlx::query("UPDATE remote_actors SET deleted_at = $1 WHERE uri = $2")
        .bind(now_ms())
        .bind(uri)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// --- fetching -------------------------------------------------------------------------------

/// The space actor signs the instance's own fetches (authorized fetch).
pub async fn instance_signer(state: &super::Context) -> Result<Signer> {
    let key = keys::signing_key(&state.db, ActorKind::Space, SPACE_ID)
        .await?
        .ok_or_else(|| Error::Conflict("This space is not set up yet.".into()))?;
    Ok(Signer {
        key_id: Urls::new(&state.config).key_id(&Urls::new(&state.config).space()),
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
pub async fn resolve(
    state: &AppState,
    uri: &str,
    force: bool,
) -> Result<RemoteActor, ResolveError> {
    // The policy first: a cached actor of a domain blocked since must not be handed out.
    let host = policy::host_of(uri).ok_or_else(|| ResolveError::Invalid("no host".into()))?;
    if policy::decide(&state.db, &host).await? == Decision::Block {
        return Err(ResolveError::Blocked);
    }
    if !force {
        if let Some(a) = by_uri(&state.db, uri).await? {
            if now_ms() - a.fetched_at < STALE_AFTER_MS {
                return Ok(a);
            }
        }
    }
    fetch(state, uri).await
}

/// Fetches `uri`, validates it as an actor and stores it.
pub async fn fetch(state: &super::Context, uri: &str) -> Result<RemoteActor, ResolveError> {
    let host = policy::host_of(uri).ok_or_else(|| ResolveError::Invalid("no host".into()))?;
    if policy::decide(&state.db, &host).await? == Decision::Block {
        return Err(ResolveError::Blocked);
    }
    if policy::authority_of(uri).as_deref() == Some(Urls::new(&state.config).domain()) {
        return Err(ResolveError::Invalid("that is a local address".into()));
    }
    let signer = instance_signer(state).await?;
    let doc = match state.client.get_json(uri, Some(&signer)).await {
        Ok(d) => d,
        Err(FetchError::Status(410)) => {
            mark_deleted(&state.db, uri).await?;
            return Err(ResolveError::Gone);
        }
        Err(e) => return Err(e.into()),
    };
    let parsed = parse_actor(&doc, uri, state.config.dev_http).map_err(ResolveError::Invalid)?;
    Ok(upsert(&state.db, &parsed, &doc).await?)
}

/// Resolves `@name@host` (or `name@host`, `acct:name@host`) through WebFinger, or an actor URL.
pub async fn resolve_handle_or_url(
    state: &AppState,
    target: &str,
) -> Result<RemoteActor, ResolveError> {
    let t = target.trim();
    if t.starts_with("https://") || t.starts_with("http://") {
        return resolve(state, t, false).await;
    }
    let acct = t.strip_prefix("acct:").unwrap_or(t).trim_start_matches('@');
    let (name, host) = acct
        .rsplit_once('@')
        .filter(|(n, h)| !n.is_empty() && !h.is_empty() && !h.contains('/'))
        .ok_or_else(|| ResolveError::Invalid("use @name@host or an address".into()))?;
    if policy::decide(&state.db, host).await? == Decision::Block {
        return Err(ResolveError::Blocked);
    }
    if let Some(a) = by_handle(
        &state.db,
        name,
        &host.trim_end_matches('.').to_ascii_lowercase(),
    )
    .await?
    {
        if now_ms() - a.fetched_at < STALE_AFTER_MS {
            return Ok(a);
        }
    }
    let scheme = state.config.scheme();
    let resource: String =
        url::form_urlencoded::byte_serialize(format!("acct:{name}@{host}").as_bytes()).collect();
    let jrd = state
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
    resolve(state, &href, false).await
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
