//! The RSA keys of local actors: made when the actor is created, stored beside it, never
//! served or logged in private form.

use super::crypto::{self, GeneratedKeys, SigningKey};
use crate::error::{Error, Result};
use crate::storage::{now_ms, Db, Tx};

/// Which local actor a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Space,
    Member,
    Company,
    /// A shared project (`Group`).
    Project,
}

impl ActorKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ActorKind::Space => "space",
            ActorKind::Member => "member",
            ActorKind::Company => "company",
            ActorKind::Project => "project",
        }
    }
}

/// The local id of the space actor (there is one space per instance).
pub const SPACE_ID: i64 = 1;

/// Makes a key pair off the async threads.
pub async fn generate() -> Result<GeneratedKeys> {
    tokio::task::spawn_blocking(crypto::generate_keys)
        .await?
        .map_err(|e| Error::Internal(e.into()))
}

/// Stores an actor's keys inside the transaction that creates the actor.
pub async fn insert(
    tx: &mut Tx,
    kind: ActorKind,
    local_id: i64,
    keys: &GeneratedKeys,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO actor_keys (kind, local_id, public_pem, private_pem, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(kind.as_str())
    .bind(local_id)
    .bind(&keys.public_pem)
    .bind(&keys.private_pem)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The public key PEM of a local actor.
pub async fn public_pem(db: &Db, kind: ActorKind, local_id: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT public_pem FROM actor_keys WHERE kind = $1 AND local_id = $2")
            .bind(kind.as_str())
            .bind(local_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The parsed private key of a local actor, for signing.
pub async fn signing_key(db: &Db, kind: ActorKind, local_id: i64) -> Result<Option<SigningKey>> {
    let pem: Option<String> =
        sqlx::query_scalar("SELECT private_pem FROM actor_keys WHERE kind = $1 AND local_id = $2")
            .bind(kind.as_str())
            .bind(local_id)
            .fetch_optional(db.pool())
            .await?;
    pem.map(|p| SigningKey::from_pem(&p).map_err(|e| Error::Internal(e.into())))
        .transpose()
}
