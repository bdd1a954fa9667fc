//! The rules of two-factor sign-in: enrolment (a secret, confirmed by a first code, then
//! recovery codes), checking a second factor (throttled like passwords, each code accepted
//! once), the pending second step of a sign-in, and the staff requirement.

use std::net::IpAddr;

use super::store;
use crate::accounts::session::{random_token, token_hash};
use crate::accounts::{throttle, Account};
use crate::error::{Error, Result};
use crate::spaces;
use crate::state::AppState;
use crate::storage::now_ms;

/// The cookie that carries a sign-in awaiting its second step.
pub const CHALLENGE_COOKIE: &str = "gh_2fa";
/// How long the second step may wait.
pub const CHALLENGE_SECONDS: i64 = 10 * 60;

/// What a member needs to add the account to an authenticator app. Shown only until the
/// enrolment is confirmed.
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

async fn enrolment_of(state: &AppState, account: &Account, secret: String) -> Result<Enrolment> {
    let issuer = spaces::store::name(&state.db)
        .await?
        .unwrap_or_else(|| state.config.domain.clone());
    let uri = super::generator(&secret, &issuer, &account.handle)?.get_url();
    let qr_svg = super::qr_svg(&uri)?;
    Ok(Enrolment {
        secret,
        uri,
        qr_svg,
    })
}

/// Starts enrolment with a fresh secret (replacing an unconfirmed one).
pub async fn begin_enrolment(state: &AppState, account: &Account) -> Result<Enrolment> {
    let secret = super::new_secret();
    if !store::begin(&state.db, account.id, &secret).await? {
        return Err(Error::Conflict(
            "Two-factor sign-in is already on for your account.".into(),
        ));
    }
    enrolment_of(state, account, secret).await
}

/// The enrolment begun and not yet confirmed, if any.
pub async fn pending_enrolment(state: &AppState, account: &Account) -> Result<Option<Enrolment>> {
    match store::get(&state.db, account.id).await? {
        Some(row) if !row.enabled => Ok(Some(enrolment_of(state, account, row.secret).await?)),
        _ => Ok(None),
    }
}

fn throttle_keys(account_id: i64, from: Option<IpAddr>) -> (String, Vec<String>) {
    let key = format!("2fa:{account_id}");
    let mut keys = vec![key.clone()];
    keys.extend(from.map(throttle::address_key));
    (key, keys)
}

fn required(given: &str) -> Result<()> {
    if given.trim().is_empty() {
        return Err(Error::invalid("code", "is required"));
    }
    if given.len() > 64 {
        return Err(Error::invalid("code", "is wrong or was already used"));
    }
    Ok(())
}

/// Confirms enrolment with a first code from the app; turns two-factor sign-in on and returns
/// the recovery codes, in clear this once.
pub async fn confirm_enrolment(
    state: &AppState,
    account: &Account,
    given: &str,
    from: Option<IpAddr>,
) -> Result<Vec<String>> {
    required(given)?;
    let (key, keys) = throttle_keys(account.id, from);
    let attempt = state.throttle.begin(keys).map_err(Error::TooManyRequests)?;
    let row = match store::get(&state.db, account.id).await? {
        Some(row) if !row.enabled => row,
        Some(_) => {
            return Err(Error::Conflict(
                "Two-factor sign-in is already on for your account.".into(),
            ))
        }
        None => {
            return Err(Error::Conflict(
                "Start the set-up first: no secret was made for your account.".into(),
            ))
        }
    };
    let totp = super::generator(&row.secret, "", &account.handle)?;
    let Some(step) = super::matching_step(&totp, given, unix_now()) else {
        return Err(Error::invalid(
            "code",
            "is wrong: check your app's clock and try again",
        ));
    };
    let codes = super::new_recovery_codes();
    let hashes = hashes_of(&codes)?;
    let mut tx = state.db.begin_write().await?;
    if !store::use_step(&mut tx, account.id, step as i64, true).await? {
        return Err(Error::invalid(
            "code",
            "was already used; wait for the next one",
        ));
    }
    store::replace_recovery_codes(&mut tx, account.id, &hashes).await?;
    tx.commit().await?;
    attempt.succeeded(&key);
    tracing::info!(account = account.id, "two-factor sign-in turned on");
    Ok(codes)
}

fn hashes_of(codes: &[String]) -> Result<Vec<String>> {
    codes
        .iter()
        .map(|c| {
            super::recovery_hash(c)
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("a fresh recovery code is invalid")))
        })
        .collect()
}

/// What a second factor is for, besides proving it.
enum Then<'a> {
    /// Nothing more (an API token, regenerating codes).
    Nothing,
    /// End this pending sign-in in the same transaction.
    Challenge(&'a str),
    /// Turn two-factor sign-in off in the same transaction.
    Disable,
    /// Replace the recovery codes with these hashes in the same transaction.
    Regenerate(&'a [String]),
}

/// Checks a code (TOTP, or a recovery code) of an account with two-factor sign-in on, throttled
/// per account and per client address like passwords. A code is accepted once: a TOTP code of
/// a step at or before the last accepted one, or a used recovery code, is refused.
async fn check(
    state: &AppState,
    account_id: i64,
    given: &str,
    from: Option<IpAddr>,
    then: Then<'_>,
) -> Result<()> {
    required(given)?;
    let (key, keys) = throttle_keys(account_id, from);
    let attempt = state.throttle.begin(keys).map_err(Error::TooManyRequests)?;
    let row = store::get(&state.db, account_id)
        .await?
        .filter(|r| r.enabled)
        .ok_or_else(|| Error::Conflict("Two-factor sign-in is not on for this account.".into()))?;
    let totp = super::generator(&row.secret, "", "member")?;
    let mut tx = state.db.begin_write().await?;
    let ok = match super::matching_step(&totp, given, unix_now()) {
        Some(step) => store::use_step(&mut tx, account_id, step as i64, false).await?,
        None => match super::recovery_hash(given) {
            Some(hash) => store::use_recovery_code(&mut tx, account_id, &hash).await?,
            None => false,
        },
    };
    if !ok {
        return Err(Error::invalid("code", "is wrong or was already used"));
    }
    match then {
        Then::Nothing => {}
        Then::Challenge(hash) => {
            if !store::take_challenge(&mut tx, hash).await? {
                return Err(Error::Conflict(
                    "This sign-in has expired. Please sign in again.".into(),
                ));
            }
        }
        Then::Disable => {
            store::remove(&mut tx, account_id).await?;
        }
        Then::Regenerate(hashes) => {
            store::replace_recovery_codes(&mut tx, account_id, hashes).await?
        }
    }
    tx.commit().await?;
    attempt.succeeded(&key);
    Ok(())
}

/// The second factor asked when creating an API token for an account with two-factor sign-in
/// on (a no-op for other accounts).
pub async fn check_for_token(
    state: &AppState,
    account: &Account,
    given: &str,
    from: IpAddr,
) -> Result<()> {
    if !store::is_enabled(&state.db, account.id).await? {
        return Ok(());
    }
    if given.trim().is_empty() {
        return Err(Error::invalid(
            "code",
            "is required: two-factor sign-in is on for this account; give a code from your authenticator app or a recovery code",
        ));
    }
    check(state, account.id, given, Some(from), Then::Nothing).await
}

/// New recovery codes (the old ones stop working), after a code.
pub async fn regenerate_recovery_codes(
    state: &AppState,
    account: &Account,
    given: &str,
    from: Option<IpAddr>,
) -> Result<Vec<String>> {
    let codes = super::new_recovery_codes();
    let hashes = hashes_of(&codes)?;
    check(state, account.id, given, from, Then::Regenerate(&hashes)).await?;
    Ok(codes)
}

/// Turns two-factor sign-in off, after a code. Refused to staff where the space requires it.
pub async fn disable(
    state: &AppState,
    account: &Account,
    given: &str,
    from: Option<IpAddr>,
) -> Result<()> {
    if is_staff(account) && spaces::store::require_2fa_for_staff(&state.db).await? {
        return Err(Error::forbidden(
            "This space requires two-factor sign-in of its staff; it cannot be turned off.",
        ));
    }
    check(state, account.id, given, from, Then::Disable).await?;
    tracing::info!(account = account.id, "two-factor sign-in turned off");
    Ok(())
}

// --- sign-in's second step ----------------------------------------------------------------

/// Opens the second step of a sign-in whose password was right; returns the token for the
/// challenge cookie. No session exists yet.
pub async fn start_challenge(state: &AppState, account_id: i64) -> Result<String> {
    let token = random_token();
    let expires = now_ms() + CHALLENGE_SECONDS * 1000;
    store::insert_challenge(&state.db, &token_hash(&token), account_id, expires).await?;
    Ok(token)
}

/// The account a live challenge token belongs to.
pub async fn challenge_account(state: &AppState, token: &str) -> Result<Option<Account>> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    match store::challenge_account(&state.db, &token_hash(token)).await? {
        Some(id) => crate::accounts::store::by_id(&state.db, id).await,
        None => Ok(None),
    }
}

/// Completes a sign-in's second step with a code; the challenge ends with it.
pub async fn complete_challenge(
    state: &AppState,
    account: &Account,
    token: &str,
    given: &str,
    from: IpAddr,
) -> Result<()> {
    let hash = token_hash(token);
    check(state, account.id, given, Some(from), Then::Challenge(&hash)).await
}

// --- the staff requirement ----------------------------------------------------------------

/// Staff: administrators and moderators.
pub fn is_staff(account: &Account) -> bool {
    account.can_moderate()
}

/// Whether this account must enrol before doing anything else.
pub async fn must_enrol(state: &AppState, account: &Account) -> Result<bool> {
    Ok(is_staff(account)
        && spaces::store::require_2fa_for_staff(&state.db).await?
        && !store::is_enabled(&state.db, account.id).await?)
}

/// Sets the space's staff requirement. Turning it on needs two-factor sign-in on the
/// administrator's own account first, so nobody locks themselves into the enrolment page by
/// surprise.
pub async fn set_staff_requirement(state: &AppState, admin: &Account, on: bool) -> Result<()> {
    if on && !store::is_enabled(&state.db, admin.id).await? {
        return Err(Error::invalid(
            "require_2fa_for_staff",
            "needs two-factor sign-in on your own account first",
        ));
    }
    spaces::store::set_require_2fa_for_staff(&state.db, on).await
}

fn unix_now() -> u64 {
    (now_ms().max(0) / 1000) as u64
}
