//! Inboxes: the shared one (`/inbox`, also the space's) and each member's and company's. A
//! request is checked in this order, and answered fast:
//!
//! 1. body over 1 MiB → 413; not JSON or missing `id`/`type`/`actor` → 400;
//! 2. the actor's domain blocked → 403;
//! 3. HTTP signature missing, malformed, stale, signed for another host, or not verifiable with
//!    the key of the activity's own actor → 401 (never a silent 2xx: peers retry with another
//!    scheme on 4xx);
//! 4. an object claimed from another host → 400;
//! 5. stored once by activity id (a repeat is answered 202 and ignored) → 202 Accepted.
//!
//! The work an activity causes (answering a Follow, refreshing an actor) happens afterwards in
//! [`spawn`]'s processor, which claims stored activities with a lease.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use sqlx::Row as _;

use super::follows;
use super::policy::{self, Decision};
use super::remote::{self, id_of, RemoteActor};
use super::signatures::{self, SignatureError};
use super::viewer::{self, SignerError};
use crate::error::Result;
use crate::state::AppState;
use crate::storage::{is_unique_violation, now_ms};

/// Largest activity accepted.
pub const MAX_ACTIVITY_BYTES: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
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
    State(state): State<AppState>,
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
    if policy::decide(&state.db, &actor_host).await? == Decision::Block {
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

    let stored = sqlx::query(
        "INSERT INTO inbox_activities (activity_uri, actor, kind, body, received_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&actor.uri)
    .bind(&kind)
    .bind(String::from_utf8_lossy(&body).as_ref())
    .bind(now_ms())
    .execute(state.db.writer())
    .await;
    match stored {
        Ok(_) => state.inbox_wakeup.notify_one(),
        Err(e) if is_unique_violation(&e) => {
            tracing::debug!(id, "repeated activity ignored");
        }
        Err(e) => return Err(Refusal::Internal(e.into())),
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Checks the HTTP signature; returns the verified actor, which must be the activity's actor.
async fn verify(
    state: &AppState,
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

// --- processing -----------------------------------------------------------------------------

const LEASE_MS: i64 = 60_000;
const MAX_ATTEMPTS: i64 = 5;

/// Starts the processor of stored activities.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match process_batch(&state).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "inbox processing failed"),
            }
            let _ =
                tokio::time::timeout(Duration::from_secs(1), state.inbox_wakeup.notified()).await;
        }
    })
}

/// Claims and processes up to 50 stored activities; returns how many.
pub async fn process_batch(state: &AppState) -> Result<usize> {
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let sql = format!(
        "SELECT id FROM inbox_activities WHERE processed_at IS NULL AND lease_until < $1 ORDER BY id LIMIT 50{}",
        state.db.dialect().skip_locked()
    );
    let ids: Vec<i64> = sqlx::query(&sql)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<Result<_, _>>()?;
    for id in &ids {
        sqlx::query(
            "UPDATE inbox_activities SET lease_until = $1, attempts = attempts + 1 WHERE id = $2",
        )
        .bind(now + LEASE_MS)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;

    for id in &ids {
        let row = sqlx::query("SELECT actor, body, attempts FROM inbox_activities WHERE id = $1")
            .bind(id)
            .fetch_one(state.db.pool())
            .await?;
        let actor: String = row.try_get("actor")?;
        let body: String = row.try_get("body")?;
        let attempts: i64 = row.try_get("attempts")?;
        let outcome = match serde_json::from_str::<Value>(&body) {
            Ok(activity) => {
                // Each activity in a task of its own: a handler that panicked on some input
                // would otherwise end this processor for good (and the activity, retried after
                // a restart, end it again). A panic counts as a failed attempt.
                let task_state = state.clone();
                tokio::spawn(async move { handle(&task_state, &activity, &actor).await })
                    .await
                    .unwrap_or_else(|e| {
                        Err(crate::error::Error::Internal(anyhow::anyhow!(
                            "processing the activity panicked: {e}"
                        )))
                    })
            }
            Err(e) => Err(crate::error::Error::BadRequest(e.to_string())),
        };
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE inbox_activities SET processed_at = $1, error = NULL WHERE id = $2",
                )
                .bind(now_ms())
                .bind(id)
                .execute(state.db.writer())
                .await?;
            }
            Err(e) => {
                let give_up = attempts >= MAX_ATTEMPTS;
                tracing::warn!(activity = id, attempts, give_up, error = %e, "processing an activity failed");
                sqlx::query(
                    "UPDATE inbox_activities SET error = $1, processed_at = $2, lease_until = $3 WHERE id = $4",
                )
                .bind(e.to_string())
                .bind(give_up.then(now_ms))
                .bind(now_ms() + 30_000 * attempts)
                .bind(id)
                .execute(state.db.writer())
                .await?;
            }
        }
    }
    Ok(ids.len())
}

/// What an activity does here.
async fn handle(state: &AppState, activity: &Value, actor_uri: &str) -> Result<()> {
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(actor) = remote::by_uri(&state.db, actor_uri).await? else {
        return Ok(());
    };
    // Features that own an activity (RSVPs, project membership, posts) look first; each
    // answers whether it took it. Order matters only where two could claim the same Accept.
    // --- feature hooks ---
    if crate::events::inbound::handle(state, activity, &actor).await? {
        return Ok(());
    }
    if crate::projects::federate::handle(state, activity, &actor).await? {
        return Ok(());
    }
    if crate::posts::inbound::handle(state, activity, &actor).await? {
        return Ok(());
    }
    // --- end of feature hooks ---
    let object = activity.get("object").unwrap_or(&Value::Null);
    match kind {
        "Follow" => crate::hub::follows::on_follow(state, activity, &actor).await,
        "Accept" => crate::hub::follows::on_answer(state, activity, &actor, true).await,
        "Reject" => crate::hub::follows::on_answer(state, activity, &actor, false).await,
        "Undo" => match object.get("type").and_then(Value::as_str) {
            Some("Follow") => crate::hub::follows::on_undo_follow(state, object, &actor).await,
            // Some servers undo by the activity's id alone: only the sender's own follow with
            // that id can match.
            None if object.is_string() => {
                crate::hub::follows::on_undo_by_id(
                    state,
                    object.as_str().unwrap_or_default(),
                    &actor,
                )
                .await
            }
            other => {
                tracing::info!(kind = ?other, "undo of an unsupported activity ignored");
                Ok(())
            }
        },
        "Update" if id_of(object) == Some(actor_uri) => {
            // Fetch from the origin rather than trusting the embedded copy.
            match remote::fetch(state, actor_uri).await {
                Ok(_) => crate::directory::sync::on_actor_updated(state, actor_uri).await,
                Err(e) => {
                    tracing::info!(actor = actor_uri, error = %e, "actor update could not be fetched");
                    Ok(())
                }
            }
        }
        "Delete" if id_of(object) == Some(actor_uri) => actor_deleted(state, actor_uri).await,
        // An actor we know, deleted by someone else: only an actor deletes itself.
        "Delete" if is_known_actor(state, id_of(object)).await? => {
            let target = id_of(object).unwrap_or_default();
            super::authority::is_owner(&actor, target, target, "Delete");
            Ok(())
        }
        other => {
            tracing::info!(
                kind = other,
                actor = actor_uri,
                "activity type not handled yet; ignored"
            );
            Ok(())
        }
    }
}

/// A remote actor deleted itself: everything it left here goes in one transaction (Mastodon
/// does the same): its posts and comments become tombstones, and so do the events it
/// organised (their local participants told), its likes, boosts, RSVPs and follows go, and
/// the actor is marked deleted; then its directory entry.
async fn actor_deleted(state: &AppState, uri: &str) -> Result<()> {
    let name = remote::by_uri(&state.db, uri)
        .await?
        .map(|a| a.handle())
        .unwrap_or_else(|| uri.to_string());
    let mut tx = state.db.begin_write().await?;
    remote::mark_deleted_tx(&mut tx, uri).await?;
    crate::posts::store::remove_author_tx(&mut tx, uri).await?;
    crate::events::service::organizer_deleted(state, &mut tx, uri, &name).await?;
    crate::events::store::remove_actor_tx(&mut tx, uri).await?;
    follows::remove_actor_tx(&mut tx, uri).await?;
    tx.commit().await?;
    crate::directory::sync::on_actor_deleted(state, uri).await
}

/// Whether `uri` names an actor known here, remote or local.
async fn is_known_actor(state: &AppState, uri: Option<&str>) -> Result<bool> {
    let Some(uri) = uri else { return Ok(false) };
    Ok(remote::by_uri(&state.db, uri).await?.is_some()
        || crate::hub::actors::by_uri(state, uri).await?.is_some())
}

/// How long processed activities are kept (for dedupe of late repeats and for answering
/// follow requests later).
pub const KEEP_PROCESSED_MS: i64 = 30 * 86_400_000;

/// Removes processed activities older than [`KEEP_PROCESSED_MS`], except Follows still waiting
/// for a locked actor's answer (their body is sent back in the Accept or Reject).
pub async fn prune(db: &crate::storage::Db) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM inbox_activities WHERE processed_at IS NOT NULL AND received_at < $1 \
         AND activity_uri NOT IN (SELECT activity_uri FROM follows WHERE state = 'pending')",
    )
    .bind(now_ms() - KEEP_PROCESSED_MS)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
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
}
