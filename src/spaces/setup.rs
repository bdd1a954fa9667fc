//! First run: the space's details and its first administrator, in one transaction, once.

use serde::Deserialize;

use super::model::{RegistrationMode, SpaceDetails, SpaceForm};
use super::store;
use crate::accounts::{self, password, register::SignupForm};
use crate::error::{Error, Result};
use crate::federation::keys::{self, ActorKind};
use crate::storage::Db;
use crate::validate::FieldErrors;

/// The setup form: the space, then the first admin (fields prefixed `admin_`).
#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(flatten)]
    pub space: SpaceForm,
    #[serde(default)]
    pub admin_handle: String,
    #[serde(default)]
    pub admin_email: String,
    #[serde(default)]
    pub admin_password: String,
    #[serde(default)]
    pub admin_display_name: String,
}

/// Sets the space up; returns the admin's account id. Refused once a space exists.
pub async fn run(db: &Db, form: &SetupForm) -> Result<i64> {
    let mut errors = FieldErrors::new();
    let details = form.space.validate(&mut errors);
    let admin = SignupForm {
        handle: form.admin_handle.clone(),
        email: form.admin_email.clone(),
        password: form.admin_password.clone(),
        display_name: form.admin_display_name.clone(),
        invite: None,
    }
    .validate_into(&mut errors, "admin_");
    errors.into_result()?;
    let (Some(details), Some(admin)) = (details, admin) else {
        return Err(Error::Internal(anyhow::anyhow!("validated setup missing")));
    };
    let hash = password::hash(admin.password.expose().to_string()).await?;
    create(db, &details, &admin, &hash).await
}

/// Creates the space and its admin with an already hashed password.
pub async fn create(
    db: &Db,
    details: &SpaceDetails,
    admin: &accounts::register::ValidSignup,
    password_hash: &str,
) -> Result<i64> {
    let space_keys = keys::generate().await?;
    let admin_keys = keys::generate().await?;
    let mut tx = db.begin_write().await?;
    if store::exists_tx(&mut tx).await? {
        return Err(Error::Conflict("This space is already set up.".into()));
    }
    store::insert(&mut tx, details, RegistrationMode::Invite).await?;
    keys::insert(&mut tx, ActorKind::Space, keys::SPACE_ID, &space_keys).await?;
    let id = accounts::store::insert(
        &mut tx,
        accounts::store::NewAccount {
            handle: &admin.handle,
            email: &admin.email,
            password_hash,
            display_name: &admin.display_name,
            is_admin: true,
            verified: true,
            keys: &admin_keys,
        },
    )
    .await
    .map_err(|e| match e {
        // The setup form names the admin's fields with a prefix.
        Error::Invalid(mut fields) => {
            for f in &mut fields.0 {
                f.field = format!("admin_{}", f.field);
            }
            Error::Invalid(fields)
        }
        other => other,
    })?;
    tx.commit().await?;
    tracing::info!(admin = %admin.handle, "space set up");
    Ok(id)
}
