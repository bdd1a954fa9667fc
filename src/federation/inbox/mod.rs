//! Inboxes: the shared one (`/inbox`, also the space's) and each member's and company's. A
//! request is checked in this order, and answered fast:
//!
//! 1. body over 1 MiB → 413; not JSON or missing `id`/`type`/`actor` → 400;
//! 2. the actor's domain blocked → 403;
//! 3. HTTP signature missing, malformed, stale, signed for another host, or not verifiable with
//!    the key of the activity's own actor → 401 (never a silent 2xx: peers retry with another
//!    scheme on 4xx);
//! 4. an object claimed from another host → 400;
//! 5. stored once by activity id (a repeat is answered 202 and ignored) → 202 Accepted, once
//!    the activity is committed: rows of concurrent requests are stored together, one commit
//!    per group, by one writer task (`commit.rs`).
//!
//! The work an activity causes (answering a Follow, refreshing an actor) happens afterwards, in
//! the processor above the features (`crate::hub::inbound`), which takes stored activities with
//! [`claim`] (a lease), reads them with [`load`] and notes the outcome with [`record`]. The
//! queue's table, `inbox_activities`, and all its SQL are in `store.rs`.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRef, OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;

mod commit;
pub mod limits;
mod store;

pub use commit::GroupCommit;

pub use store::{
    claim, prune, received_activity, record_done, record_failure, waiting, Stored, Waiting,
    KEEP_PROCESSED_MS,
};

use super::policy::{self, Decision};
use super::remote::{self, id_of, RemoteActor};
use super::signatures::{self, SignatureError};
use super::viewer::{self, SignerError};
use super::Context;
use crate::error::Result;

/// Largest activity accepted.
pub const MAX_ACTIVITY_BYTES: usize = 1024 * 1024;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Context: FromRef<S>,
{
    Router::new()
        .route("/inbox", post(receive))
        .route("/members/{handle}/inbox", post(receive))
        .route("/companies/{handle}/inbox", post(receive))
        .route("/projects/{handle}/inbox", post(receive))
        .layer(DefaultBodyLimit::max(MAX_ACTIVITY_BYTES))
}

/// Why an inbox refused a request; each maps to one status.
#[derive(Debug)]
pub enum Refusal {
    Malformed(String),
    Blocked,
    Unauthorized(String),
    /// The actor no longer exists (its server answers 410): nothing to verify or do.
    Gone,
    Internal(crate::error::Error),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Refusal::Malformed(m) => (StatusCode::BAD_REQUEST, m),
            Refusal::Blocked => (StatusCode::FORBIDDEN, "This domain is blocked here.".into()),
            Refusal::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m),
            Refusal::Gone => return StatusCode::ACCEPTED.into_response(),
            Refusal::Internal(e) => (
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                e.public_message(),
            ),
        };
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    }
}

impl From<crate::error::Error> for Refusal {
    fn from(e: crate::error::Error) -> Self {
        Refusal::Internal(e)
    }
}

/// What the inbox reads of an activity before anything else (step 1 above).
#[derive(Debug)]
pub struct Envelope {
    pub activity: Value,
    pub id: String,
    pub kind: String,
    pub actor_uri: String,
    /// The actor's host, normalised, for domain rules.
    pub actor_host: String,
}

/// Parses a received body: JSON with a string `id` and `type` and an `actor` (a string or an
/// object with an `id`) that is an address; ids of at most 2000 bytes. Pure, so it can be
/// fuzzed; everything that needs the database or the signature comes after.
pub fn envelope(body: &[u8]) -> Result<Envelope, Refusal> {
    let activity: Value = serde_json::from_slice(body)
        .map_err(|_| Refusal::Malformed("The body is not JSON.".into()))?;
    let id = activity
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let actor_uri = activity
        .get("actor")
        .and_then(id_of)
        .unwrap_or_default()
        .to_string();
    if id.is_empty()
        || kind.is_empty()
        || actor_uri.is_empty()
        || id.len() > 2000
        || actor_uri.len() > 2000
    {
        return Err(Refusal::Malformed(
            "An activity needs an id, a type and an actor.".into(),
        ));
    }
    let actor_host = policy::host_of(&actor_uri)
        .ok_or_else(|| Refusal::Malformed("The actor is not an address.".into()))?;
    Ok(Envelope {
        activity,
        id,
        kind,
        actor_uri,
        actor_host,
    })
}

async fn receive(
    State(state): State<Context>,
    OriginalUri(uri): OriginalUri,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let Envelope {
        activity,
        id,
        kind,
        actor_uri,
        actor_host,
    } = envelope(&body)?;
    if let Some(busy) = state.inbox_limits.host(&headers, &actor_uri) {
        return Ok(busy);
    }
    if policy::decide_cached(&state, &actor_host).await? == Decision::Block {
        tracing::info!(host = %actor_host, kind, "activity from a blocked domain refused");
        return Err(Refusal::Blocked);
    }

    let actor = match verify(&state, &method, &uri, &headers, &body, &actor_uri).await {
        Ok(a) => a,
        // A deleted actor's farewell (Mastodon sends Delete to every server it knows): there is
        // nothing of it here to remove, so it is acknowledged and dropped.
        Err(Refusal::Gone) if kind == "Delete" => return Ok(StatusCode::ACCEPTED.into_response()),
        Err(Refusal::Gone) => {
            return Err(Refusal::Unauthorized(
                "The signing actor no longer exists.".into(),
            ))
        }
        Err(e) => return Err(e),
    };
    if let Some(busy) = state.inbox_limits.actor(&actor.uri) {
        return Ok(busy);
    }

    if policy::authority_of(&id).as_deref() != Some(actor.host.as_str()) {
        return Err(Refusal::Malformed(
            "The activity id is not on the actor's host.".into(),
        ));
    }
    if matches!(kind.as_str(), "Create" | "Update") {
        if let Some(object) = activity.get("object").and_then(id_of) {
            // Objects live on their author's server; the one exception is an update of an
            // object we hold (a member of a local project moving one of its tasks), which the
            // feature that owns the object authorises.
            let authority = policy::authority_of(object);
            if authority.as_deref() != Some(actor.host.as_str())
                && !(kind == "Update" && authority.as_deref() == Some(state.config.domain.as_str()))
            {
                return Err(Refusal::Malformed(
                    "The object is not on the actor's host.".into(),
                ));
            }
        }
    }

    let received = commit::Received {
        id: id.clone(),
        actor: actor.uri,
        kind,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    // Answered once the group holding it is committed: never 202 before it is on disk.
    match state.inbox_commit.store(received).await {
        Ok(commit::Outcome::Stored) => {}
        Ok(commit::Outcome::Repeat) => tracing::debug!(id, "repeated activity ignored"),
        Err(e) => return Err(Refusal::Internal(e.into())),
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Checks the HTTP signature; returns the verified actor, which must be the activity's actor.
async fn verify(
    state: &Context,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    actor_uri: &str,
) -> Result<RemoteActor, Refusal> {
    let scheme = state.config.scheme();
    let signed = signatures::parse(method, uri, headers, body, scheme, chrono::Utc::now())
        .map_err(|e| unauthorized(&e))?;
    // A request signed for another server (a replayed copy of a delivery) is not ours to accept.
    if !signed.is_addressed_to(&state.config.domain) {
        return Err(Refusal::Unauthorized(
            "This request is addressed to another server.".into(),
        ));
    }
    let key_id = signed.key_id().to_string();
    // Key ids take several shapes (`ACTOR#main-key` as Mastodon names it, `ACTOR/main-key` as
    // GoToSocial does): the key must be on the actor's server here, and below it must be the
    // very key the actor's own document names.
    if policy::authority_of(&key_id).is_none()
        || policy::authority_of(&key_id) != policy::authority_of(actor_uri)
    {
        return Err(Refusal::Unauthorized(
            "The signing key does not belong to the activity's actor.".into(),
        ));
    }
    viewer::signing_actor(state, &signed, actor_uri)
        .await
        .map_err(|e| match e {
            SignerError::Unresolved(remote::ResolveError::Gone) => Refusal::Gone,
            SignerError::Internal(e) => Refusal::Internal(e),
            other => Refusal::Unauthorized(other.to_string()),
        })
}

fn unauthorized(e: &SignatureError) -> Refusal {
    Refusal::Unauthorized(format!("Signature refused: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &str) -> bool {
        matches!(envelope(body.as_bytes()), Err(Refusal::Malformed(_)))
    }

    #[test]
    fn the_envelope_is_read_before_anything_else() {
        let e = envelope(
            br#"{"id":"https://m.example/a/1","type":"Follow","actor":{"id":"https://M.example./u/ann"}}"#,
        )
        .unwrap();
        assert_eq!(e.id, "https://m.example/a/1");
        assert_eq!(e.kind, "Follow");
        assert_eq!(e.actor_uri, "https://M.example./u/ann");
        assert_eq!(e.actor_host, "m.example");
        assert!(refused("not json"));
        assert!(refused(
            r#"{"type":"Follow","actor":"https://m.example/u"}"#
        ));
        assert!(refused(r#"{"id":"x","actor":"https://m.example/u"}"#));
        assert!(refused(r#"{"id":"x","type":"Follow"}"#));
        assert!(refused(
            r#"{"id":"x","type":"Follow","actor":["https://m.example/u"]}"#
        ));
        assert!(refused(
            r#"{"id":"x","type":"Follow","actor":"not an address"}"#
        ));
        let long = format!(
            r#"{{"id":"https://m.example/{}","type":"Follow","actor":"https://m.example/u"}}"#,
            "a".repeat(2000)
        );
        assert!(refused(&long));
    }

    #[tokio::test]
    async fn waiting_counts_what_is_not_processed_yet() {
        let test = crate::storage::test_db::TestDb::new().await;
        let db = &test.db;
        assert_eq!(waiting(db).await.unwrap(), Waiting::default());
        let rows: Vec<commit::Received> = (1..=3)
            .map(|n| commit::Received {
                id: format!("https://m.example/a/{n}"),
                actor: "https://m.example/u/ann".into(),
                kind: "Create".into(),
                body: "{}".into(),
            })
            .collect();
        let stored = store::insert_group(db, &rows.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        assert_eq!(stored.len(), 3);
        let w = waiting(db).await.unwrap();
        assert_eq!((w.activities, w.failed_once), (3, 0));
        assert!(w.oldest_received_at.is_some());

        // One processed, one failed once (waiting to be tried again).
        for (sql, uri) in [
            (
                "UPDATE inbox_activities SET processed_at = 1 WHERE activity_uri = $1",
                "https://m.example/a/1",
            ),
            (
                "UPDATE inbox_activities SET error = 'boom' WHERE activity_uri = $1",
                "https://m.example/a/2",
            ),
        ] {
            sqlx::query(sql)
                .bind(uri)
                .execute(db.writer())
                .await
                .unwrap();
        }
        let w = waiting(db).await.unwrap();
        assert_eq!((w.activities, w.failed_once), (2, 1));
        test.finish().await;
    }
}
