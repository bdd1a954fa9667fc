//! Dates and time windows: the HTTP date we send, and the freshness checks of a signed `Date`,
//! `created` and `expires`.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};

use super::target::field_value;
use super::{malformed, SignatureError, EXPIRES_SKEW, MAX_AGE, MAX_FUTURE};

/// `t` as an IMF-fixdate, the HTTP date format: `Tue, 24 Nov 2026 01:19:01 GMT`.
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// A signed `Date` or `created` must lie in `[now - MAX_AGE, now + MAX_FUTURE]`.
pub(super) fn check_window(t: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), SignatureError> {
    let oldest = now
        .checked_sub_signed(MAX_AGE)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let newest = now
        .checked_add_signed(MAX_FUTURE)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if t < oldest {
        Err(SignatureError::Expired)
    } else if t > newest {
        Err(SignatureError::FromFuture)
    } else {
        Ok(())
    }
}

pub(super) fn check_expires(
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let latest_now = expires
        .checked_add_signed(EXPIRES_SKEW)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if now > latest_now {
        Err(SignatureError::Expired)
    } else {
        Ok(())
    }
}

pub(super) fn from_unix(seconds: i64, what: &str) -> Result<DateTime<Utc>, SignatureError> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| SignatureError::Malformed(format!("{what} is out of range")))
}

/// Checks the `Date` header, which the signature covers.
pub(super) fn check_date_header(
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let raw =
        field_value(headers, "date").ok_or_else(|| SignatureError::MissingHeader("date".into()))?;
    let text = std::str::from_utf8(&raw).map_err(|_| malformed("the Date header is not text"))?;
    let date = DateTime::parse_from_rfc2822(text.trim())
        .map_err(|_| malformed("the Date header is not an HTTP date"))?
        .with_timezone(&Utc);
    check_window(date, now)
}
