//! Who is fetching a document that is not public (a followers-only post, a direct message, a
//! private event): a server proves it acts for one of its actors by signing the GET
//! (authorized fetch). Features then decide whether that actor may see the document.
//!
//! An unsigned request is anonymous. A signature that is present but does not verify is an
//! error (401), not anonymity, so a peer learns its request was refused rather than that the
//! document is missing.

use axum::http::{HeaderMap, Method, Uri};

use super::crypto::VerifyingKey;
use super::policy::{self, Decision};
use super::remote::{self, RemoteActor};
use super::signatures::{self, SignatureError, SignedRequest};
use super::Context;
use crate::error::{Error, Result};

/// Whether a request carries any HTTP signature at all.
pub fn is_signed(headers: &HeaderMap) -> bool {
    headers.contains_key("signature")
        || headers.contains_key("signature-input")
        || headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("signature ")
            })
}

/// The remote actor that signed this GET, or `None` when it is unsigned. A signature that does
/// not verify or was made for another host, a key that belongs to no actor, or a blocked domain
/// is [`Error::Unauthorized`].
pub async fn signed_fetcher(
    ctx: &Context,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Option<RemoteActor>> {
    if !is_signed(headers) {
        return Ok(None);
    }
    let signed = signatures::parse(
        method,
        uri,
        headers,
        &[],
        ctx.config.scheme(),
        chrono::Utc::now(),
    )
    .map_err(|e: SignatureError| {
        tracing::info!(error = %e, "signed fetch refused");
        Error::Unauthorized
    })?;
    // A fetch signed for another server, replayed here, proves nothing about who asks us.
    if !signed.is_addressed_to(&ctx.config.domain) {
        tracing::info!(
            key_id = signed.key_id(),
            "signed fetch for another host refused"
        );
        return Err(Error::Unauthorized);
    }
    let key_id = signed.key_id().to_string();
    let Some(host) = policy::host_of(&key_id) else {
        return Err(Error::Unauthorized);
    };
    if policy::decide_cached(ctx, &host).await? == Decision::Block {
        return Err(Error::Unauthorized);
    }
    // The actor the key id names: `ACTOR#main-key` (Mastodon) or the actor itself.
    let actor_uri = key_id.split('#').next().unwrap_or_default().to_string();
    match signing_actor(ctx, &signed, &actor_uri).await {
        Ok(actor) => Ok(Some(actor)),
        Err(SignerError::Internal(e)) => Err(e),
        Err(e) => {
            tracing::info!(key_id, error = %e, "the signer of a fetch could not be established");
            Err(Error::Unauthorized)
        }
    }
}

/// Why the actor that signed a request could not be established.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("The signing actor could not be fetched: {0}")]
    Unresolved(remote::ResolveError),
    #[error("The signature does not verify.")]
    BadSignature,
    #[error(transparent)]
    Internal(#[from] Error),
}

/// The actor `actor_uri`, if the key its document publishes under the request's key id
/// verifies the signature: the cached document first, whatever its age (a deleted actor signs
/// its own `Delete` with it); when that fails, the document fetched again once, in case the
/// actor rotated its key. Inbox deliveries and signed fetches both establish their signer here.
pub(super) async fn signing_actor(
    ctx: &Context,
    signed: &SignedRequest,
    actor_uri: &str,
) -> Result<RemoteActor, SignerError> {
    if let Some(known) = ctx.signers.get(actor_uri) {
        if known.actor.key_id == signed.key_id() && signed.verify(&known.key).is_ok() {
            return Ok(known.actor.clone());
        }
    }
    // The key, if it is the one named and verifies.
    let verifying = |a: &RemoteActor| {
        if a.key_id != signed.key_id() {
            return None;
        }
        VerifyingKey::from_pem(&a.public_key_pem)
            .ok()
            .filter(|k| signed.verify(k).is_ok())
    };
    if let Some(stored) = remote::by_uri(&ctx.db, actor_uri).await? {
        if let Some(key) = verifying(&stored) {
            ctx.signers.put(stored.clone(), key);
            return Ok(stored);
        }
    }
    let fetched = remote::fetch(ctx, actor_uri)
        .await
        .map_err(SignerError::Unresolved)?;
    match verifying(&fetched) {
        Some(key) => {
            ctx.signers.put(fetched.clone(), key);
            Ok(fetched)
        }
        None => Err(SignerError::BadSignature),
    }
}

/// The answer to a signed fetch whose signature does not hold: 401 with a JSON reason (never
/// the sign-in page a browser would get).
pub fn refused() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::UNAUTHORIZED,
        axum::Json(
            serde_json::json!({ "error": "The signature of this request does not verify." }),
        ),
    )
        .into_response()
}
