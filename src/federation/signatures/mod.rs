//! HTTP signatures: signing our outgoing requests and checking incoming ones.
//!
//! Pure code: no database, no network, no handlers. RSA goes through [`super::crypto`] only.
//!
//! # Signing
//! - [`sign_request`]`(method, url, headers, body, key_id, key, now)`: draft-cavage, as Mastodon
//!   sends it. Sets `Host` (the URL's host, with the port only when it is not the scheme's
//!   default), `Date` (IMF-fixdate), and for a body `Digest: SHA-256=…` and
//!   `Content-Digest: sha-256=:…:`; then `Signature: keyId="…",algorithm="rsa-sha256",
//!   headers="(request-target) host date digest content-type",signature="…"`. The list is
//!   `(request-target) host date`, then `digest` when there is a body, then `content-type` and
//!   `accept` when those headers are already in `headers` (set them before signing).
//! - [`sign_request_rfc9421`]`(…same…)`: RFC 9421 as Fedify sends it: the same `Host`, `Date` and
//!   digests, then `Signature-Input: sig1=("@method" "@target-uri" "@authority" "host" "date"
//!   ["content-digest"]);alg="rsa-v1_5-sha256";keyid="…";created=…` and `Signature: sig1=:…:`.
//! - Helpers: [`http_date`], [`digest_header`], [`content_digest_header`].
//!
//! # Verifying, in two steps
//! 1. [`parse`]`(method, uri, headers, body, scheme_hint, now) -> Result<SignedRequest, _>` finds
//!    the signature (RFC 9421 when `Signature-Input` is present, else draft-cavage from
//!    `Signature` or `Authorization: Signature …`) and checks everything that needs no key:
//!    size limits, the algorithm, the covered components, the body digests and the time window.
//!    `uri` must be the request target as received (use `OriginalUri` in a nested router);
//!    `scheme_hint` is the scheme the peer used to reach us (`"https"` normally, `"http"` in
//!    development), needed for `@target-uri` behind a proxy.
//! 2. The caller looks up the key named by [`SignedRequest::key_id`] (database or actor fetch),
//!    then calls [`SignedRequest::verify`]`(&VerifyingKey)`.
//!
//! # What is enforced
//! - Limits: a `Signature`, `Signature-Input`, `Authorization`, `Digest` or `Content-Digest` field
//!   over [`MAX_HEADER_LEN`] bytes, or more than [`MAX_COMPONENTS`] covered components, is refused.
//! - Algorithms: cavage `rsa-sha256` or `hs2019` (absent means `hs2019`); RFC 9421
//!   `rsa-v1_5-sha256` or absent. Anything else is [`SignatureError::UnsupportedAlgorithm`].
//!   The `(created)` and `(expires)` pseudo-headers are only allowed with `hs2019`.
//! - Covered components. Cavage: `(request-target)`, `host`, `date` or `(created)`, and `digest`
//!   (or `content-digest`) when the body is not empty. RFC 9421: `@method`; `@target-uri`, or
//!   `@authority`/`host` with `@path`/`@request-target`; `content-digest` (or `digest`) when the
//!   body is not empty; and freshness: a `created` parameter or a covered `date`.
//! - Digests: every `Digest` (`SHA-256=`, `SHA-512=`) and `Content-Digest` (`sha-256`, `sha-512`)
//!   present must match the body; a non-empty body needs at least one such digest (only unknown
//!   algorithms: [`SignatureError::UnsupportedDigest`]).
//! - Time: a signed `Date` and the `created` parameter must be no older than [`MAX_AGE`] (12 h)
//!   and no further ahead than [`MAX_FUTURE`] (1 h); `expires` must not be past by more than
//!   [`EXPIRES_SKEW`] (1 h of clock skew, as Mastodon allows). An unparseable date is refused.
//! - Cavage compatibility: the signing string follows the `headers` list in order;
//!   `(request-target)` is tried with the query string first, then with the path alone (older
//!   Mastodon and Fedify leave the query out), so the query of a cavage request is only
//!   authenticated when the signer included it. `host` falls back to the URI authority when the
//!   `Host` header is absent (HTTP/2).
//! - Host: every accepted signature covers the host the request was sent to (`host`,
//!   `@authority` or `@target-uri`); [`SignedRequest::is_addressed_to`] tells whether that is
//!   ours, so a request signed for another server cannot be replayed here.
//! - RFC 9421: one signature is checked (the one labelled `sig1`, else the first); the
//!   `@signature-params` line is the `Signature-Input` member as received, and if that differs
//!   from its canonical serialization the canonical form is tried too. Component parameters
//!   (`;sf`, `;key`, `;bs`, `;req`, `;tr`) and other derived components are refused.
//!
//! # Errors
//! Every [`SignatureError`] returned by [`parse`] or [`SignedRequest::verify`] means the request
//! is not authenticated: the inbox and signed-fetch endpoints answer **401** for all of them
//! (peers such as Fedify then retry with another scheme). [`SignatureError::Signing`] only comes
//! from the signing functions. No input makes this module panic.
//!
//! # Layout
//! `target` (the request as components see it), `digest` (body digests), `time` (dates and
//! windows), `sign` (both signing schemes), `cavage` and `rfc9421` (verifying each scheme);
//! [`parse`] and [`SignedRequest`] here; the tests in `tests.rs`.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::string_slice,
        clippy::arithmetic_side_effects
    )
)]

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method, Uri};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use chrono::{DateTime, TimeDelta, Utc};

use crate::federation::crypto::VerifyingKey;

mod cavage;
mod digest;
mod rfc9421;
mod sign;
mod target;
#[cfg(test)]
mod tests;
mod time;

pub use digest::{content_digest_header, digest_header};
pub use sign::{sign_request, sign_request_rfc9421};
pub use time::http_date;

use cavage::{parse_cavage, parse_cavage_text};
use rfc9421::parse_rfc9421;
use target::Target;

/// Longest `Signature`, `Signature-Input`, `Authorization`, `Digest` or `Content-Digest` value
/// accepted, in bytes.
pub const MAX_HEADER_LEN: usize = 8 * 1024;
/// Most covered components (headers and pseudo-headers) accepted in one signature.
pub const MAX_COMPONENTS: usize = 30;
/// Oldest signed `Date` / `created` accepted.
pub const MAX_AGE: TimeDelta = TimeDelta::hours(12);
/// Furthest in the future a signed `Date` / `created` may be.
pub const MAX_FUTURE: TimeDelta = TimeDelta::hours(1);
/// How long past its `expires` a signature is still accepted (clock skew).
pub const EXPIRES_SKEW: TimeDelta = TimeDelta::hours(1);

/// The label of the RFC 9421 signature we send, and the one we prefer when verifying.
const RFC9421_LABEL: &str = "sig1";
/// The RFC 9421 algorithm name for RSASSA-PKCS1-v1_5 with SHA-256.
const RFC9421_ALG: &str = "rsa-v1_5-sha256";
/// Most parameters accepted in a cavage `Signature` header.
const MAX_CAVAGE_PARAMS: usize = 16;
/// Longest piece of peer input quoted in an error message.
const SHOWN_MAX: usize = 64;

/// Base64 that tolerates missing padding, for signatures and digests from peers.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Which HTTP-signature specification a request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// draft-cavage-http-signatures (Mastodon, Lemmy, most of the fediverse).
    Cavage,
    /// RFC 9421 HTTP Message Signatures (Fedify tries it first).
    Rfc9421,
}

/// Why a request's signature is not accepted (every variant maps to 401), or why we could not
/// sign ([`SignatureError::Signing`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request carries no HTTP signature")]
    Missing,
    #[error("malformed HTTP signature: {0}")]
    Malformed(String),
    #[error("the signature does not cover {0}")]
    MissingComponent(String),
    #[error("the signature covers {0}, which the request does not carry")]
    MissingHeader(String),
    #[error("the body does not match its digest")]
    DigestMismatch,
    #[error("the request has a body but no Digest or Content-Digest")]
    DigestMissing,
    #[error("unsupported digest algorithm {0}")]
    UnsupportedDigest(String),
    #[error("the signature is too old or has expired")]
    Expired,
    #[error("the signature is dated in the future")]
    FromFuture,
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("cannot sign the request: {0}")]
    Signing(String),
}

fn malformed(what: &str) -> SignatureError {
    SignatureError::Malformed(what.to_owned())
}

/// Peer input for an error message: at most [`SHOWN_MAX`] characters.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(SHOWN_MAX).collect();
    if s.chars().nth(SHOWN_MAX).is_some() {
        out.push('…');
    }
    out
}

/// A request whose signature passed every check that needs no key.
pub struct SignedRequest {
    scheme: Scheme,
    key_id: String,
    signature: Vec<u8>,
    /// The signing strings (cavage) or signature bases (RFC 9421) the signature may be over, in
    /// the order to try them: with and without the query string, or the `@signature-params`
    /// line as received and re-serialized.
    inputs: Vec<Vec<u8>>,
    /// The host the request was sent to (`Host`, or the URI authority), normalised as
    /// [`normalize_authority`] does; every accepted signature covers it (`host`, `@authority` or
    /// `@target-uri`).
    authority: Option<String>,
}

impl SignedRequest {
    /// The `keyId` / `keyid` naming the key to verify with (usually `<actor>#main-key`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether the request was signed for `domain` (`host[:port]` in lower case, without the
    /// scheme's default port, as this instance's domain is configured). A request signed for
    /// another server, such as a copy of a delivery or of a signed fetch replayed here, is not.
    pub fn is_addressed_to(&self, domain: &str) -> bool {
        self.authority.as_deref() == Some(domain)
    }

    /// Checks the signature bytes with `key` (RSASSA-PKCS1-v1_5, SHA-256).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), SignatureError> {
        if self
            .inputs
            .iter()
            .any(|input| key.verify(input, &self.signature))
        {
            Ok(())
        } else {
            Err(SignatureError::BadSignature)
        }
    }

    #[cfg(test)]
    fn inputs(&self) -> &[Vec<u8>] {
        &self.inputs
    }
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("scheme", &self.scheme)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Finds and checks the signature of an incoming request, short of the key (see the module
/// documentation for every check). `uri` is the request target as received, `body` the whole
/// body, `scheme_hint` the scheme peers use to reach us (`"https"`, or `"http"` in development).
pub fn parse(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    scheme_hint: &str,
    now: DateTime<Utc>,
) -> Result<SignedRequest, SignatureError> {
    let target = Target::from_request(method, uri, headers, scheme_hint);
    if headers.contains_key("signature-input") {
        return parse_rfc9421(&target, headers, body, now);
    }
    let mut signatures = headers.get_all("signature").iter();
    if let Some(value) = signatures.next() {
        if signatures.next().is_some() {
            return Err(malformed("more than one Signature header"));
        }
        return parse_cavage(value, &target, uri, headers, body, now);
    }
    let mut authorizations = headers.get_all(AUTHORIZATION).iter();
    if let Some(value) = authorizations.next() {
        if authorizations.next().is_some() {
            return Err(malformed("more than one Authorization header"));
        }
        let text = value.to_str().unwrap_or_default();
        if let Some((auth_scheme, rest)) = text.trim_start().split_once(' ') {
            if auth_scheme.eq_ignore_ascii_case("signature") {
                return parse_cavage_text(rest, &target, uri, headers, body, now);
            }
        }
    }
    Err(SignatureError::Missing)
}
