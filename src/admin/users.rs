//! `guildhall admin create-user` and `guildhall admin users set-role`.

use rand::distributions::{Alphanumeric, DistString};

use crate::accounts::password;
use crate::accounts::register::{create_account, SignupForm};
use crate::config::Config;
use crate::error::Error;
use crate::spaces::{self, SpaceForm};
use crate::storage::Db;
use crate::validate::FieldErrors;

pub struct CreateUser {
    pub handle: String,
    pub email: String,
    pub is_admin: bool,
    pub password: Option<String>,
    pub display_name: String,
    pub space_name: Option<String>,
}

pub struct Created {
    pub handle: String,
    pub generated_password: Option<String>,
}

/// A random password of 20 letters and digits.
pub fn generate_password() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 20)
}

pub async fn create_user(db: &Db, config: &Config, req: CreateUser) -> anyhow::Result<Created> {
    let generated = req.password.is_none().then(generate_password);
    let password = req
        .password
        .clone()
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let form = SignupForm {
        handle: req.handle,
        email: req.email,
        password,
        display_name: req.display_name,
        invite: None,
    };
    let valid = form.validate().map_err(describe)?;
    let set_up = spaces::store::get(db).await.map_err(describe)?.is_some();
    if !set_up {
        if !req.is_admin {
            anyhow::bail!("this space is not set up yet: create the first account with --admin");
        }
        let name = req.space_name.unwrap_or_else(|| config.domain.clone());
        let mut errors = FieldErrors::new();
        let details = SpaceForm {
            name,
            ..Default::default()
        }
        .validate(&mut errors);
        let details = match (details, errors.is_empty()) {
            (Some(d), true) => d,
            _ => anyhow::bail!("invalid --space-name: {errors}"),
        };
        let hash = password::hash(valid.password.expose().to_string())
            .await
            .map_err(describe)?;
        spaces::setup::create(db, &details, &valid, &hash)
            .await
            .map_err(describe)?;
    } else {
        create_account(db, &valid, req.is_admin)
            .await
            .map_err(describe)?;
    }
    Ok(Created {
        handle: valid.handle.to_string(),
        generated_password: generated,
    })
}

/// Sets a member's role (`member`, `moderator` or `admin`) and writes the audit log, in one
/// transaction; the last administrator keeps the role.
pub async fn set_role(db: &Db, handle: &str, role: &str) -> anyhow::Result<String> {
    use super::members::{self, Role};
    let Ok(role) = Role::parse(role) else {
        anyhow::bail!("role {role:?} is not member, moderator or admin");
    };
    let by = crate::moderation::model::Actor::cli();
    match members::set_role(db, &by, handle, role).await {
        Err(Error::NotFound) => {
            anyhow::bail!(
                "there is no member @{}",
                handle.trim().trim_start_matches('@')
            )
        }
        other => other.map_err(describe),
    }
}

/// Imports a Mastodon domain-block CSV from the command line.
pub async fn import_domains(db: &Db, config: &Config, text: &str) -> anyhow::Result<String> {
    let done = super::domains_csv::import(
        db,
        &config.domain,
        &crate::moderation::model::Actor::cli(),
        text,
    )
    .await
    .map_err(describe)?;
    Ok(done.summary())
}

/// Turns an application error into a message for the terminal.
pub fn describe(e: Error) -> anyhow::Error {
    match e {
        Error::Invalid(fields) => {
            let parts: Vec<String> = fields
                .0
                .iter()
                .map(|f| {
                    format!(
                        "--{} {}",
                        f.field.trim_start_matches("admin_").replace('_', "-"),
                        f.message
                    )
                })
                .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        Error::Internal(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}
