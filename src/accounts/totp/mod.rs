//! Two-factor sign-in with time-based one-time passwords (RFC 6238: HMAC-SHA1, six digits,
//! 30-second steps, one step of clock skew either way), and single-use recovery codes.
//!
//! This file holds what needs no database: secrets, codes, the otpauth URI and its QR code.
//! `store` keeps the tables, `service` the rules (enrolment, sign-in's second step, replay,
//! throttling), `web` and `api` the pages and JSON routes, `guard` the staff requirement.

pub mod api;
pub mod guard;
pub mod service;
pub mod store;
pub mod web;

use rand::Rng as _;
use totp_rs::{Algorithm, TOTP};

use crate::error::{Error, Result};

/// Seconds per time step.
pub const STEP_SECONDS: u64 = 30;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// Bytes of a secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;
/// How many recovery codes a member holds.
pub const RECOVERY_CODES: usize = 10;
/// Letters of recovery codes: no look-alikes (0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A fresh random secret, base32 without padding (as authenticator apps take it).
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::thread_rng().fill(&mut bytes);
    base32_encode(&bytes)
}

fn base32_encode(bytes: &[u8]) -> String {
    totp_rs::Secret::Raw(bytes.to_vec())
        .to_encoded()
        .to_string()
}

/// The generator of a stored secret, labelled for authenticator apps with the space's name and
/// the member's handle.
pub fn generator(secret_base32: &str, issuer: &str, handle: &str) -> Result<TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored TOTP secret unreadable: {e:?}")))?;
    // The otpauth label reserves ':'; neither part may carry one.
    let issuer = issuer.replace(':', " ").trim().to_string();
    let account = format!("@{}", handle.replace(':', " "));
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        bytes,
        (!issuer.is_empty()).then_some(issuer),
        account,
    )
    .map_err(|e| Error::Internal(anyhow::anyhow!("TOTP parameters refused: {e:?}")))
}

/// The time step of a Unix time in seconds.
pub fn step_of(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The step whose code `given` is, among the current step and one either side, if any. The
/// caller refuses a step at or before the last one accepted (replay).
pub fn matching_step(totp: &TOTP, given: &str, unix_seconds: u64) -> Option<u64> {
    let given = normalize_code(given)?;
    let now = step_of(unix_seconds);
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|step| {
            constant_time_eq(
                totp.generate(step * STEP_SECONDS).as_bytes(),
                given.as_bytes(),
            )
        })
}

/// Six digits, with spaces (as apps show "123 456") removed; `None` for anything else.
pub fn normalize_code(given: &str) -> Option<String> {
    let digits: String = given.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Fresh recovery codes, shown once as `xxxxx-xxxxx`.
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let letters: String = (0..10)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &letters[..5], &letters[5..])
        })
        .collect()
}

/// The stored form of a recovery code: the SHA-256 of its letters, lower-cased, without
/// dashes or spaces. `None` when it cannot be one.
pub fn recovery_hash(given: &str) -> Option<String> {
    let letters: String = given
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let valid = letters.len() == 10 && letters.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
    valid.then(|| super::session::token_hash(&letters))
}

/// The QR code of an otpauth URI as an inline `<svg>` element (no XML declaration, no style:
/// it renders under the pages' Content-Security-Policy).
pub fn qr_svg(uri: &str) -> Result<String> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| Error::Internal(anyhow::anyhow!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code to scan with an authenticator app\" ",
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA1 secret "12345678901234567890", last six digits.
        let secret = base32_encode(b"12345678901234567890");
        let totp = generator(&secret, "Harbour: Works", "ada").unwrap();
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(totp.generate(1111111109), "081804");
        assert_eq!(totp.generate(2000000000), "279037");
        assert_eq!(matching_step(&totp, "287 082", 59), Some(1));
        // One step of skew either way, not two.
        assert_eq!(matching_step(&totp, "287082", 89), Some(1));
        assert_eq!(matching_step(&totp, "287082", 30), Some(1));
        assert_eq!(matching_step(&totp, "287082", 120), None);
        assert_eq!(matching_step(&totp, "28708", 59), None);
        assert_eq!(matching_step(&totp, "abcdef", 59), None);
        let uri = totp.get_url();
        assert!(
            uri.starts_with("otpauth://totp/Harbour%20%20Works:%40ada?secret="),
            "{uri}"
        );
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalised() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 11);
        let hash = recovery_hash(code).unwrap();
        assert_eq!(
            recovery_hash(&code.to_uppercase().replace('-', " ")),
            Some(hash)
        );
        assert_eq!(recovery_hash("123456"), None);
        assert_eq!(recovery_hash("0000000000"), None);
    }

    #[test]
    fn qr_code_is_an_inline_svg_without_style() {
        let svg = qr_svg("otpauth://totp/X:%40ada?secret=ABC&issuer=X").unwrap();
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..40]);
        assert!(!svg.contains("style") && !svg.contains("<?xml"));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(new_secret().len(), 32);
    }
}
