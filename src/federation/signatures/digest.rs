//! Body digests: the `Digest` and `Content-Digest` headers we send, and the check of those a
//! peer sent against the body.

use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest as _, Sha256, Sha512};

use super::target::bounded_text;
use super::{malformed, shown, SignatureError, LENIENT_B64};

/// The `Digest` header value for `body`: `SHA-256=<base64>`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// The `Content-Digest` header value for `body` (RFC 9530): `sha-256=:<base64>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// Checks every `Digest` and `Content-Digest` against the body. A non-empty body needs at least
/// one digest we know.
pub(super) fn check_body_digests(headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    let mut checked = false;
    let mut unknown: Option<String> = None;
    // Each hash is computed once, however many entries name it.
    let mut sha256: Option<Vec<u8>> = None;
    let mut sha512: Option<Vec<u8>> = None;
    let mut compare = |algorithm: &str, expected: &[u8]| -> Result<(), SignatureError> {
        let actual: &[u8] = match algorithm {
            "sha-256" | "sha256" => sha256.get_or_insert_with(|| Sha256::digest(body).to_vec()),
            "sha-512" | "sha512" => sha512.get_or_insert_with(|| Sha512::digest(body).to_vec()),
            other => {
                unknown.get_or_insert_with(|| shown(other));
                return Ok(());
            }
        };
        checked = true;
        if actual == expected {
            Ok(())
        } else {
            Err(SignatureError::DigestMismatch)
        }
    };

    if let Some(digest) = bounded_text(headers, "digest")? {
        for part in digest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (algorithm, value) = part
                .split_once('=')
                .ok_or_else(|| malformed("a Digest entry has no '='"))?;
            let algorithm = algorithm.trim().to_ascii_lowercase();
            let expected = match LENIENT_B64.decode(value.trim()) {
                Ok(bytes) => bytes,
                // An undecodable value for an algorithm we know is a mismatch; for one we don't
                // know, it's just unknown.
                Err(_) => match algorithm.as_str() {
                    "sha-256" | "sha256" | "sha-512" | "sha512" => {
                        return Err(SignatureError::DigestMismatch)
                    }
                    _ => Vec::new(),
                },
            };
            compare(&algorithm, &expected)?;
        }
    }

    if let Some(content_digest) = bounded_text(headers, "content-digest")? {
        let dict: sfv::Dictionary = sfv::Parser::new(&content_digest)
            .parse()
            .map_err(|_| malformed("Content-Digest is not a structured dictionary"))?;
        for (algorithm, entry) in &dict {
            let expected = match entry {
                sfv::ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
                sfv::ListEntry::InnerList(_) => None,
            };
            match expected {
                Some(expected) => compare(algorithm.as_str(), expected)?,
                None if matches!(algorithm.as_str(), "sha-256" | "sha-512") => {
                    return Err(malformed("a Content-Digest value is not a byte sequence"))
                }
                None => compare(algorithm.as_str(), &[])?,
            }
        }
    }

    if !body.is_empty() && !checked {
        return Err(match unknown {
            Some(algorithm) => SignatureError::UnsupportedDigest(algorithm),
            None => SignatureError::DigestMissing,
        });
    }
    Ok(())
}
