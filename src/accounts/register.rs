//! Creating accounts and signing in: the rules shared by the web pages, the API and the
//! command line.

use std::net::IpAddr;

use serde::Deserialize;

use super::{password, store, throttle, Account};
use crate::error::{Error, Result};
use crate::federation::keys;
use crate::spaces::{self, RegistrationMode};
use crate::state::AppState;
use crate::storage::Db;
use crate::validate::{line, Email, FieldErrors, Handle, NewPassword};

/// A sign-up as submitted (form or JSON).
#[derive(Debug, Default, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    pub handle: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub invite: Option<String>,
}

/// A sign-up that passed validation.
#[derive(Debug)]
pub struct ValidSignup {
    pub handle: Handle,
    pub email: Email,
    pub password: NewPassword,
    pub display_name: String,
}

impl SignupForm {
    /// Checks every field, collecting all messages (prefixed fields for the setup form).
    pub fn validate_into(&self, errors: &mut FieldErrors, prefix: &str) -> Option<ValidSignup> {
        let f = |name: &str| format!("{prefix}{name}");
        let handle = errors.check(&f("handle"), Handle::parse(&self.handle));
        let email = errors.check(&f("email"), Email::parse(&self.email));
        let password = errors.check(&f("password"), NewPassword::parse(&self.password));
        let display_name = errors.check(&f("display_name"), line(&self.display_name, 100, false));
        Some(ValidSignup {
            handle: handle?,
            email: email?,
            password: password?,
            display_name: display_name?,
        })
    }

    pub fn validate(&self) -> Result<ValidSignup> {
        let mut errors = FieldErrors::new();
        let valid = self.validate_into(&mut errors, "");
        errors.into_result()?;
        valid.ok_or_else(|| Error::Internal(anyhow::anyhow!("validation without errors")))
    }
}

/// Creates an account directly (setup, administrators, command line): no registration-mode
/// check. Runs in its own transaction.
pub async fn create_account(db: &Db, signup: &ValidSignup, is_admin: bool) -> Result<i64> {
    let hash = password::hash(signup.password.expose().to_string()).await?;
    let keys = keys::generate().await?;
    let mut tx = db.begin_write().await?;
    let id = store::insert(
        &mut tx,
        store::NewAccount {
            handle: &signup.handle,
            email: &signup.email,
            password_hash: &hash,
            display_name: &signup.display_name,
            is_admin,
            verified: true,
            keys: &keys,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A newcomer signs up, as the space's registration mode allows.
pub async fn sign_up(db: &Db, signup: &ValidSignup, invite: Option<&str>) -> Result<i64> {
    let space = spaces::store::get(db)
        .await?
        .ok_or_else(|| Error::Conflict("This space is not set up yet.".into()))?;
    let invite = invite.map(str::trim).filter(|c| !c.is_empty());
    match (space.registration_mode, invite) {
        (RegistrationMode::Closed, _) => {
            return Err(Error::forbidden("This space is not accepting new members."))
        }
        (RegistrationMode::Invite, None) => return Err(Error::forbidden(
            "This space accepts new members by invitation only. Ask a member for an invite link.",
        )),
        _ => {}
    }
    let hash = password::hash(signup.password.expose().to_string()).await?;
    let keys = keys::generate().await?;
    let mut tx = db.begin_write().await?;
    if let Some(code) = invite {
        // An invite is used even in open mode when one is given, so its count stays honest.
        if !spaces::store::consume_invite(&mut tx, code).await?
            && space.registration_mode == RegistrationMode::Invite
        {
            return Err(Error::invalid("invite", "is unknown, used up or expired"));
        }
    }
    let id = store::insert(
        &mut tx,
        store::NewAccount {
            handle: &signup.handle,
            email: &signup.email,
            password_hash: &hash,
            display_name: &signup.display_name,
            is_admin: false,
            // Where the space asks new members to confirm their address, the account starts
            // unconfirmed (`accounts::email` mails the link and holds it to reading).
            verified: !space.require_email_verification,
            keys: &keys,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Checks a handle-or-email and password, with throttling per account and per client address.
/// The attempt is counted before the password is checked.
pub async fn authenticate(
    state: &AppState,
    login: &str,
    secret: &str,
    from: IpAddr,
) -> Result<Account> {
    let login = login.trim().trim_start_matches('@').to_ascii_lowercase();
    if login.is_empty() || secret.is_empty() || login.len() > 254 || secret.len() > 1024 {
        return Err(Error::invalid("login", "and password are required"));
    }
    let account = if login.contains('@') {
        store::by_email(&state.db, &login).await?
    } else {
        store::by_handle(&state.db, &login).await?
    };
    // One count per account, whether it is named by handle or by e-mail.
    let account_key = match &account {
        Some(a) => format!("acct:{}", a.id),
        None => format!("login:{login}"),
    };
    let attempt = state
        .throttle
        .begin(vec![account_key.clone(), throttle::address_key(from)])
        .map_err(Error::TooManyRequests)?;
    let ok = match &account {
        Some(a) => {
            let stored = store::password_hash(&state.db, a.id)
                .await?
                .unwrap_or_default();
            password::verify(secret.to_string(), stored).await?
        }
        None => {
            password::verify_dummy(secret.to_string()).await?;
            false
        }
    };
    match account {
        Some(a) if ok && a.suspended => {
            attempt.succeeded(&account_key);
            Err(Error::forbidden("This account is suspended."))
        }
        Some(a) if ok => {
            attempt.succeeded(&account_key);
            Ok(a)
        }
        _ => Err(Error::invalid("login", "or password is wrong")),
    }
}

/// Checks a signed-in member's own password (to change it or delete the account), throttled
/// like sign-in so a stolen session cannot guess it.
pub async fn confirm_password(state: &AppState, account: &Account, given: &str) -> Result<bool> {
    let key = format!("confirm:{}", account.id);
    let attempt = state
        .throttle
        .begin(vec![key.clone()])
        .map_err(Error::TooManyRequests)?;
    let stored = store::password_hash(&state.db, account.id)
        .await?
        .unwrap_or_default();
    let ok = password::verify(given.to_string(), stored).await?;
    if ok {
        attempt.succeeded(&key);
    }
    Ok(ok)
}

/// Changes a password after checking the current one; other sessions are signed out.
pub async fn change_password(
    state: &AppState,
    account: &Account,
    current: &str,
    new: &str,
    keep_session: &str,
) -> Result<()> {
    let mut errors = FieldErrors::new();
    let new = errors.check("new_password", NewPassword::parse(new));
    if !confirm_password(state, account, current).await? {
        errors.add("current_password", "is wrong");
    }
    errors.into_result()?;
    let new = new.ok_or_else(|| Error::Internal(anyhow::anyhow!("validated password missing")))?;
    let hash = password::hash(new.expose().to_string()).await?;
    store::set_password_hash(&state.db, account.id, &hash).await?;
    store::delete_other_sessions(&state.db, account.id, keep_session).await?;
    Ok(())
}
