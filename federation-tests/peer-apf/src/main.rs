//! A community peer for Guildhall's federation suite, built on `activitypub_federation` (the
//! library Lemmy uses): one `Group` actor, `community`, and one `Person`, `author`, who posts
//! in it, as a Lemmy instance has them. It answers WebFinger for both, verifies the signature
//! of every activity it receives with the library's own inbox, accepts a `Follow` of the
//! community (sending an `Accept` signed by the library) and forgets it on `Undo`; on request it
//! publishes a post the way Lemmy does: the author's `Create` of a `Page` (title in `name`,
//! addressed to the community and the public, `audience` the community), announced by the
//! community to its followers' inboxes, and the `Page` served at its id.
//!
//! Test-only. Environment: `PEER_PORT` (required; it listens on 127.0.0.1), `PEER_HOST` (the
//! name it is known by, default `lemmy.test`). Every host name it contacts is resolved to
//! 127.0.0.1: it only ever talks to the test network on this machine.
//!
//! Control (plain JSON, for the test): `GET /_control/health`; `GET /_control/state` (its
//! followers and what it received); `POST /_control/post {"title", "content"}` publishes a post
//! and answers `{"id", "delivered"}`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::axum::inbox::{receive_activity, ActivityData};
use activitypub_federation::config::{Data, FederationConfig, FederationMiddleware};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::{build_webfinger_response_with_type, Webfinger};
use activitypub_federation::http_signatures::generate_actor_keypair;
use activitypub_federation::kinds::activity::{AcceptType, FollowType, UndoType};
use activitypub_federation::protocol::context::WithContext;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Activity, Actor, Object};
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use url::Url;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const AS_JSON: &str = "application/activity+json";

// --- errors --------------------------------------------------------------------------------------

#[derive(Debug)]
struct Error(anyhow::Error);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl<T: Into<anyhow::Error>> From<T> for Error {
    fn from(e: T) -> Self {
        Error(e.into())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        eprintln!("peer-apf: refused: {}", self.0);
        (StatusCode::BAD_REQUEST, self.0.to_string()).into_response()
    }
}

// --- state ---------------------------------------------------------------------------------------

#[derive(Clone)]
struct Peer(Arc<Inner>);

struct Inner {
    origin: String,
    community: Account,
    author: Account,
    /// Actors of other servers, as read (signed requests are checked against their keys).
    known: Mutex<Vec<Account>>,
    /// The community's followers: (actor, inbox to deliver to).
    followers: Mutex<Vec<(Url, Url)>>,
    /// The posts published, by id.
    posts: Mutex<Vec<Value>>,
    /// The type and id of every activity received and accepted by the library's inbox.
    received: Mutex<Vec<Value>>,
    next: AtomicU64,
}

impl std::ops::Deref for Peer {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Peer {
    fn new_id(&self, kind: &str) -> Result<Url, Error> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Ok(Url::parse(&format!(
            "{}/activities/{kind}/{n}",
            self.origin
        ))?)
    }
}

// --- actors --------------------------------------------------------------------------------------

/// An actor: the community or the author (with their private keys), or one of another server.
#[derive(Debug, Clone)]
struct Account {
    id: Url,
    kind: String,
    name: String,
    inbox: Url,
    shared_inbox: Option<Url>,
    followers: Option<Url>,
    public_key: String,
    private_key: Option<String>,
}

impl Account {
    fn local(origin: &str, path: &str, kind: &str, name: &str) -> Result<Account, Error> {
        let keys = generate_actor_keypair()?;
        let id = Url::parse(&format!("{origin}{path}"))?;
        Ok(Account {
            inbox: Url::parse(&format!("{id}/inbox"))?,
            shared_inbox: Some(Url::parse(&format!("{origin}/inbox"))?),
            followers: Some(Url::parse(&format!("{id}/followers"))?),
            id,
            kind: kind.into(),
            name: name.into(),
            public_key: keys.public_key,
            private_key: Some(keys.private_key),
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shared_inbox: Option<Url>,
}

/// An actor document, as served and as read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActorDocument {
    id: ObjectId<Account>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    followers: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    endpoints: Option<Endpoints>,
    public_key: PublicKey,
}

#[async_trait::async_trait]
impl Object for Account {
    type DataType = Peer;
    type Kind = ActorDocument;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(id: Url, data: &Data<Peer>) -> Result<Option<Self>, Error> {
        if data.community.id == id {
            return Ok(Some(data.community.clone()));
        }
        if data.author.id == id {
            return Ok(Some(data.author.clone()));
        }
        let known = data.known.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(known.iter().find(|a| a.id == id).cloned())
    }

    async fn into_json(self, _data: &Data<Peer>) -> Result<ActorDocument, Error> {
        Ok(ActorDocument {
            public_key: self.public_key(),
            id: self.id.clone().into(),
            kind: self.kind.clone(),
            preferred_username: Some(self.name.clone()),
            name: Some(format!("The {} of the peer", self.name)),
            inbox: self.inbox.clone(),
            followers: self.followers.clone(),
            endpoints: Some(Endpoints {
                shared_inbox: self.shared_inbox.clone(),
            }),
        })
    }

    async fn verify(json: &ActorDocument, expected: &Url, _data: &Data<Peer>) -> Result<(), Error> {
        verify_domains_match(json.id.inner(), expected)?;
        Ok(())
    }

    async fn from_json(json: ActorDocument, data: &Data<Peer>) -> Result<Self, Error> {
        let account = Account {
            id: json.id.into_inner(),
            kind: json.kind,
            name: json.preferred_username.unwrap_or_default(),
            inbox: json.inbox,
            shared_inbox: json.endpoints.and_then(|e| e.shared_inbox),
            followers: json.followers,
            public_key: json.public_key.public_key_pem,
            private_key: None,
        };
        let mut known = data.known.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        known.retain(|a| a.id != account.id);
        known.push(account.clone());
        Ok(account)
    }
}

impl Actor for Account {
    fn public_key_pem(&self) -> &str {
        &self.public_key
    }

    fn private_key_pem(&self) -> Option<String> {
        self.private_key.clone()
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.shared_inbox.clone()
    }
}

// --- activities received -------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Follow {
    id: Url,
    actor: ObjectId<Account>,
    object: Url,
    #[serde(rename = "type")]
    kind: FollowType,
}

#[derive(Debug, Serialize, Deserialize)]
struct Undo {
    id: Url,
    actor: ObjectId<Account>,
    object: Follow,
    #[serde(rename = "type")]
    kind: UndoType,
}

/// What the community's inbox takes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Inbound {
    Follow(Follow),
    Undo(Undo),
}

#[async_trait::async_trait]
impl Activity for Inbound {
    type DataType = Peer;
    type Error = Error;

    fn id(&self) -> &Url {
        match self {
            Inbound::Follow(f) => &f.id,
            Inbound::Undo(u) => &u.id,
        }
    }

    fn actor(&self) -> &Url {
        match self {
            Inbound::Follow(f) => f.actor.inner(),
            Inbound::Undo(u) => u.actor.inner(),
        }
    }

    async fn verify(&self, data: &Data<Peer>) -> Result<(), Error> {
        let follow = match self {
            Inbound::Follow(f) => f,
            Inbound::Undo(u) => {
                if u.object.actor.inner() != u.actor.inner() {
                    return Err(anyhow::anyhow!("an undo of someone else's follow").into());
                }
                &u.object
            }
        };
        if follow.object != data.community.id {
            return Err(anyhow::anyhow!("a follow of an actor not served here").into());
        }
        Ok(())
    }

    async fn receive(self, data: &Data<Peer>) -> Result<(), Error> {
        if let Ok(mut r) = data.received.lock() {
            let kind = match &self {
                Inbound::Follow(_) => "Follow",
                Inbound::Undo(_) => "Undo",
            };
            r.push(json!({"type": kind, "id": self.id(), "actor": self.actor()}));
        }
        match self {
            Inbound::Follow(follow) => {
                let follower = follow.actor.dereference(data).await?;
                if let Ok(mut f) = data.followers.lock() {
                    f.retain(|(a, _)| *a != follower.id);
                    f.push((follower.id.clone(), follower.shared_inbox_or_inbox()));
                }
                let accept = Outgoing::new(
                    data.new_id("accept")?,
                    &data.community.id,
                    json!({"type": AcceptType::Accept, "object": follow}),
                );
                send(accept, &data.community, vec![follower.inbox()], data).await?;
            }
            Inbound::Undo(undo) => {
                if let Ok(mut f) = data.followers.lock() {
                    f.retain(|(a, _)| a != undo.actor.inner());
                }
            }
        }
        Ok(())
    }
}

// --- activities sent -----------------------------------------------------------------------------

/// An activity this peer sends: its id and actor, and the rest as built.
#[derive(Debug, Serialize, Deserialize)]
struct Outgoing {
    id: Url,
    actor: Url,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

impl Outgoing {
    fn new(id: Url, actor: &Url, rest: Value) -> Outgoing {
        Outgoing {
            id,
            actor: actor.clone(),
            rest: match rest {
                Value::Object(m) => m,
                _ => Map::new(),
            },
        }
    }
}

#[async_trait::async_trait]
impl Activity for Outgoing {
    type DataType = Peer;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &Data<Peer>) -> Result<(), Error> {
        Ok(())
    }

    async fn receive(self, _data: &Data<Peer>) -> Result<(), Error> {
        Ok(())
    }
}

/// Signs (with the library's signer) and delivers `activity` by `actor` to `inboxes`.
async fn send(
    activity: Outgoing,
    actor: &Account,
    inboxes: Vec<Url>,
    data: &Data<Peer>,
) -> Result<usize, Error> {
    let activity = WithContext::new_default(activity);
    let tasks = SendActivityTask::prepare(&activity, actor, inboxes, data).await?;
    let n = tasks.len();
    for task in tasks {
        task.sign_and_send(data).await?;
    }
    Ok(n)
}

// --- HTTP ----------------------------------------------------------------------------------------

fn activity_json(doc: Value) -> Response {
    ([(header::CONTENT_TYPE, AS_JSON)], doc.to_string()).into_response()
}

async fn actor_document(account: &Account, data: &Data<Peer>) -> Result<Response, Error> {
    let mut doc = serde_json::to_value(account.clone().into_json(data).await?)?;
    doc["@context"] = json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1"
    ]);
    Ok(activity_json(doc))
}

async fn community(data: Data<Peer>) -> Result<Response, Error> {
    actor_document(&data.community, &data).await
}

async fn author(data: Data<Peer>) -> Result<Response, Error> {
    actor_document(&data.author, &data).await
}

async fn inbox(data: Data<Peer>, activity: ActivityData) -> Result<StatusCode, Error> {
    receive_activity::<WithContext<Inbound>, Account, Peer>(activity, &data).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
struct Resource {
    resource: String,
}

async fn webfinger(
    Query(q): Query<Resource>,
    data: Data<Peer>,
) -> Result<Json<Webfinger>, StatusCode> {
    let acct = q.resource.strip_prefix("acct:").unwrap_or(&q.resource);
    let (name, host) = acct.split_once('@').ok_or(StatusCode::NOT_FOUND)?;
    if host != data.domain() {
        return Err(StatusCode::NOT_FOUND);
    }
    let account = [&data.community, &data.author]
        .into_iter()
        .find(|a| a.name == name)
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(build_webfinger_response_with_type(
        q.resource.clone(),
        vec![(account.id.clone(), Some(account.kind.as_str()))],
    )))
}

async fn page(axum::extract::Path(n): axum::extract::Path<String>, data: Data<Peer>) -> Response {
    let id = format!("{}/post/{n}", data.origin);
    let found = data
        .posts
        .lock()
        .ok()
        .and_then(|p| p.iter().find(|p| p["id"] == id.as_str()).cloned());
    match found {
        Some(doc) => activity_json(doc),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn state(data: Data<Peer>) -> Json<Value> {
    let followers: Vec<String> = data
        .followers
        .lock()
        .map(|f| f.iter().map(|(a, _)| a.to_string()).collect())
        .unwrap_or_default();
    let received = data.received.lock().map(|r| r.clone()).unwrap_or_default();
    Json(json!({"followers": followers, "received": received}))
}

#[derive(Deserialize)]
struct NewPost {
    title: String,
    content: String,
}

/// Publishes a post as Lemmy does and announces it to the community's followers.
async fn publish(data: Data<Peer>, Json(p): Json<NewPost>) -> Result<Json<Value>, Error> {
    let n = data.next.fetch_add(1, Ordering::Relaxed);
    let id = format!("{}/post/{n}", data.origin);
    let community = data.community.id.to_string();
    let page = json!({
        "id": id, "type": "Page", "attributedTo": data.author.id,
        "to": [community, PUBLIC], "cc": [], "audience": community,
        "name": p.title, "content": p.content, "mediaType": "text/html",
        "sensitive": false, "commentsEnabled": true
    });
    if let Ok(mut posts) = data.posts.lock() {
        posts.push(page.clone());
    }
    let create = Outgoing::new(
        data.new_id("create")?,
        &data.author.id,
        json!({"type": "Create", "to": [community, PUBLIC], "cc": [], "audience": community, "object": page}),
    );
    let announce = Outgoing::new(
        data.new_id("announce")?,
        &data.community.id,
        json!({
            "type": "Announce", "to": [PUBLIC], "cc": [data.community.followers],
            "audience": community, "object": serde_json::to_value(&create)?
        }),
    );
    let mut inboxes: Vec<Url> = data
        .followers
        .lock()
        .map(|f| f.iter().map(|(_, i)| i.clone()).collect())
        .unwrap_or_default();
    inboxes.sort();
    inboxes.dedup();
    let delivered = send(announce, &data.community, inboxes, &data).await?;
    Ok(Json(json!({"id": id, "delivered": delivered})))
}

/// Every name is this machine: the peer only talks to the test network on loopback.
struct Loopback;

impl reqwest::dns::Resolve for Loopback {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async {
            let addrs: reqwest::dns::Addrs =
                Box::new(std::iter::once(SocketAddr::from(([127, 0, 0, 1], 0))));
            Ok(addrs)
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let port: u16 = std::env::var("PEER_PORT")
        .map_err(|_| anyhow::anyhow!("PEER_PORT is required"))?
        .parse()?;
    let host = std::env::var("PEER_HOST").unwrap_or_else(|_| "lemmy.test".into());
    let domain = format!("{host}:{port}");
    let origin = format!("http://{domain}");
    let peer = Peer(Arc::new(Inner {
        community: Account::local(&origin, "/c/community", "Group", "community")?,
        author: Account::local(&origin, "/u/author", "Person", "author")?,
        origin,
        known: Mutex::new(Vec::new()),
        followers: Mutex::new(Vec::new()),
        posts: Mutex::new(Vec::new()),
        received: Mutex::new(Vec::new()),
        next: AtomicU64::new(1),
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .dns_resolver(Arc::new(Loopback))
        .build()?;
    let config = FederationConfig::builder()
        .domain(domain)
        .app_data(peer.clone())
        .client(client.into())
        // Plain http and explicit ports, as on the test network.
        .debug(true)
        // Lemmy's setting: signatures as Mastodon and Guildhall read them (Host and Date).
        .http_signature_compat(true)
        .signed_fetch_actor(&peer.community)
        .build()
        .await?;
    let app = Router::new()
        .route("/c/community", get(community))
        .route("/u/author", get(author))
        .route("/c/community/inbox", post(inbox))
        .route("/inbox", post(inbox))
        .route("/post/{n}", get(page))
        .route("/.well-known/webfinger", get(webfinger))
        .route("/_control/health", get(|| async { "ok" }))
        .route("/_control/state", get(state))
        .route("/_control/post", post(publish))
        .layer(FederationMiddleware::new(config));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
