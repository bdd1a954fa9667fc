//! Signing our outgoing requests: draft-cavage as Mastodon sends it, RFC 9421 as Fedify does.

use axum::http::header::{ACCEPT, CONTENT_TYPE, DATE, HOST};
use axum::http::{HeaderMap, HeaderName, Method};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};

use super::cavage::{cavage_request_target, cavage_signing_string, CavageTimes};
use super::digest::{content_digest_header, digest_header};
use super::rfc9421::rfc9421_base_prefix;
use super::target::{check_key_id, header_value, Target};
use super::time::http_date;
use super::{SignatureError, RFC9421_ALG, RFC9421_LABEL};
use crate::federation::crypto::SigningKey;

/// Signs an outgoing request with draft-cavage `rsa-sha256`, the way Mastodon does (see the
/// module documentation for the headers it sets). `headers` should already hold `Content-Type`
/// (for a POST) or `Accept` (for a GET) so that they are signed too.
pub fn sign_request(
    method: &Method,
    url: &url::Url,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    key_id: &str,
    key: &SigningKey,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    check_key_id(key_id)?;
    let target = Target::from_url(method, url)?;
    set_common_headers(headers, &target, body, now)?;
    let mut components = vec!["(request-target)", "host", "date"];
    if body.is_some() {
        components.push("digest");
    }
    if headers.contains_key(CONTENT_TYPE) {
        components.push("content-type");
    }
    if headers.contains_key(ACCEPT) {
        components.push("accept");
    }
    let components: Vec<String> = components.into_iter().map(str::to_owned).collect();
    let signing_string = cavage_signing_string(
        &components,
        &cavage_request_target(&target, true),
        &CavageTimes::default(),
        headers,
        None,
    )?;
    let signature = key
        .sign(&signing_string)
        .map_err(|e| SignatureError::Signing(e.to_string()))?;
    let value = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
        components.join(" "),
        STANDARD.encode(signature)
    );
    headers.insert(HeaderName::from_static("signature"), header_value(&value)?);
    Ok(())
}

/// Signs an outgoing request with RFC 9421 (`rsa-v1_5-sha256`, label `sig1`), the way Fedify
/// does (see the module documentation for the headers it sets).
pub fn sign_request_rfc9421(
    method: &Method,
    url: &url::Url,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    key_id: &str,
    key: &SigningKey,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let target = Target::from_url(method, url)?;
    set_common_headers(headers, &target, body, now)?;
    let mut components = vec!["@method", "@target-uri", "@authority", "host", "date"];
    if body.is_some() {
        components.push("content-digest");
    }
    let params = rfc9421_params(&components, key_id, now.timestamp())?;
    let components: Vec<String> = components.into_iter().map(str::to_owned).collect();
    let mut base = rfc9421_base_prefix(&components, &target, headers)?;
    base.extend_from_slice(params.as_bytes());
    let signature = key
        .sign(&base)
        .map_err(|e| SignatureError::Signing(e.to_string()))?;
    headers.insert(
        HeaderName::from_static("signature-input"),
        header_value(&format!("{RFC9421_LABEL}={params}"))?,
    );
    headers.insert(
        HeaderName::from_static("signature"),
        header_value(&format!("{RFC9421_LABEL}=:{}:", STANDARD.encode(signature)))?,
    );
    Ok(())
}

/// The serialized inner list `("…" "…");alg="…";keyid="…";created=…`.
pub(super) fn rfc9421_params(
    components: &[&str],
    key_id: &str,
    created: i64,
) -> Result<String, SignatureError> {
    let bad = |what: &str| SignatureError::Signing(format!("cannot serialize {what}"));
    let mut list = sfv::ListSerializer::new();
    {
        let mut inner = list.inner_list();
        for component in components {
            // Components carry no parameters.
            let _ = inner
                .bare_item(sfv::StringRef::from_str(component).map_err(|_| bad("a component"))?);
        }
        let created = sfv::Integer::try_from(created).map_err(|_| bad("created"))?;
        let _ = inner
            .finish()
            .parameter(
                sfv::KeyRef::from_str("alg").map_err(|_| bad("alg"))?,
                sfv::StringRef::from_str(RFC9421_ALG).map_err(|_| bad("alg"))?,
            )
            .parameter(
                sfv::KeyRef::from_str("keyid").map_err(|_| bad("keyid"))?,
                sfv::StringRef::from_str(key_id).map_err(|_| bad("the key id"))?,
            )
            .parameter(
                sfv::KeyRef::from_str("created").map_err(|_| bad("created"))?,
                created,
            );
    }
    list.finish().ok_or_else(|| bad("the signature parameters"))
}

/// Sets `Host`, `Date` and, for a body, `Digest` and `Content-Digest`.
pub(super) fn set_common_headers(
    headers: &mut HeaderMap,
    target: &Target,
    body: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let authority = target
        .authority
        .as_deref()
        .ok_or_else(|| SignatureError::Signing("the URL has no host".into()))?;
    headers.insert(HOST, header_value(authority)?);
    headers.insert(DATE, header_value(&http_date(now))?);
    if let Some(body) = body {
        headers.insert(
            HeaderName::from_static("digest"),
            header_value(&digest_header(body))?,
        );
        headers.insert(
            HeaderName::from_static("content-digest"),
            header_value(&content_digest_header(body))?,
        );
    }
    Ok(())
}
