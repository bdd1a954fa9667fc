//! Verifying draft-cavage signatures (`Signature` or `Authorization: Signature …`).

use axum::http::{HeaderMap, HeaderValue, Uri};
use base64::Engine as _;
use chrono::{DateTime, Utc};

use super::digest::check_body_digests;
use super::target::{field_value, host_value, is_field_name, Target};
use super::time::{check_date_header, check_expires, check_window, from_unix};
use super::{
    malformed, shown, Scheme, SignatureError, SignedRequest, LENIENT_B64, MAX_CAVAGE_PARAMS,
    MAX_COMPONENTS, MAX_HEADER_LEN,
};

/// `created` / `expires` as received (their text goes into `(created)` / `(expires)`).
#[derive(Default)]
pub(super) struct CavageTimes {
    pub(super) created: Option<(String, i64)>,
    pub(super) expires: Option<(String, i64)>,
}

pub(super) fn cavage_request_target(target: &Target, with_query: bool) -> String {
    format!(
        "{} {}",
        target.method.to_ascii_lowercase(),
        target.path_and_query(with_query)
    )
}

/// The signing string: one `name: value` line per component, joined with `\n`.
pub(super) fn cavage_signing_string(
    components: &[String],
    request_target: &str,
    times: &CavageTimes,
    headers: &HeaderMap,
    host_fallback: Option<&Uri>,
) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::new();
    for (i, name) in components.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        match name.as_str() {
            "(request-target)" => out.extend_from_slice(request_target.as_bytes()),
            "(created)" => {
                let (text, _) = times
                    .created
                    .as_ref()
                    .ok_or_else(|| malformed("(created) is signed but there is no created"))?;
                out.extend_from_slice(text.as_bytes());
            }
            "(expires)" => {
                let (text, _) = times
                    .expires
                    .as_ref()
                    .ok_or_else(|| malformed("(expires) is signed but there is no expires"))?;
                out.extend_from_slice(text.as_bytes());
            }
            "host" => {
                let value = match host_fallback {
                    Some(uri) => host_value(headers, uri),
                    None => field_value(headers, "host"),
                };
                out.extend(value.ok_or_else(|| SignatureError::MissingHeader("host".into()))?);
            }
            field => out.extend(
                field_value(headers, field)
                    .ok_or_else(|| SignatureError::MissingHeader(shown(field)))?,
            ),
        }
    }
    Ok(out)
}

/// The `name="value"` pairs of a cavage `Signature` header, names lower-cased. Values may be
/// quoted strings (with `\` escapes) or bare tokens (`created=1402170695`).
pub(super) fn parse_cavage_params(input: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let mut params: Vec<(String, String)> = Vec::new();
    let mut chars = input.chars().peekable();
    let skip_ws = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
    };
    loop {
        skip_ws(&mut chars);
        if chars.peek().is_none() {
            break;
        }
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_') {
            name.push(c.to_ascii_lowercase());
        }
        if name.is_empty() {
            return Err(malformed("expected a parameter name"));
        }
        skip_ws(&mut chars);
        if chars.next() != Some('=') {
            return Err(SignatureError::Malformed(format!(
                "expected '=' after {}",
                shown(&name)
            )));
        }
        skip_ws(&mut chars);
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => return Err(malformed("unterminated quoted string")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => return Err(malformed("unterminated quoted string")),
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !matches!(c, ',' | ' ' | '\t' | '"')) {
                value.push(c);
            }
            if value.is_empty() {
                return Err(SignatureError::Malformed(format!(
                    "no value for {}",
                    shown(&name)
                )));
            }
        }
        if params.iter().any(|(n, _)| *n == name) {
            return Err(SignatureError::Malformed(format!(
                "{} appears twice",
                shown(&name)
            )));
        }
        if params.len() >= MAX_CAVAGE_PARAMS {
            return Err(malformed("too many parameters"));
        }
        params.push((name, value));
        skip_ws(&mut chars);
        match chars.next() {
            None => break,
            Some(',') => continue,
            Some(_) => return Err(malformed("expected ',' between parameters")),
        }
    }
    Ok(params)
}

/// A `created` / `expires` value: an integer, or for `expires` possibly with a fraction.
pub(super) fn cavage_time(
    text: &str,
    what: &str,
    fraction_ok: bool,
) -> Result<(String, i64), SignatureError> {
    let bad = || SignatureError::Malformed(format!("{what} is not a Unix time"));
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) if fraction_ok => (whole, Some(fraction)),
        Some(_) => return Err(bad()),
        None => (text, None),
    };
    if whole.is_empty()
        || whole.len() > 15
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let seconds: i64 = whole.parse().map_err(|_| bad())?;
    Ok((text.to_owned(), seconds))
}

pub(super) fn parse_cavage(
    value: &HeaderValue,
    target: &Target,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<SignedRequest, SignatureError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed(format!(
            "the Signature header is longer than {MAX_HEADER_LEN} bytes"
        )));
    }
    let text = value
        .to_str()
        .map_err(|_| malformed("the Signature header is not text"))?;
    parse_cavage_text(text, target, uri, headers, body, now)
}

pub(super) fn parse_cavage_text(
    text: &str,
    target: &Target,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<SignedRequest, SignatureError> {
    if text.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed(format!(
            "the signature is longer than {MAX_HEADER_LEN} bytes"
        )));
    }
    let params = parse_cavage_params(text)?;
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    let key_id = param("keyid")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| malformed("no keyId"))?;
    let signature_b64 = param("signature").ok_or_else(|| malformed("no signature"))?;
    let algorithm = param("algorithm").unwrap_or("hs2019").to_ascii_lowercase();
    if algorithm != "rsa-sha256" && algorithm != "hs2019" {
        return Err(SignatureError::UnsupportedAlgorithm(shown(&algorithm)));
    }

    // Draft-cavage-12 §2.1.6: without `headers`, only `(created)` is signed.
    let components: Vec<String> = param("headers")
        .unwrap_or("(created)")
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if components.is_empty() {
        return Err(malformed("the headers list is empty"));
    }
    if components.len() > MAX_COMPONENTS {
        return Err(SignatureError::Malformed(format!(
            "more than {MAX_COMPONENTS} signed headers"
        )));
    }
    for name in &components {
        match name.as_str() {
            "(request-target)" => {}
            "(created)" | "(expires)" if algorithm != "hs2019" => {
                return Err(SignatureError::Malformed(format!(
                    "{name} is only allowed with hs2019"
                )))
            }
            "(created)" | "(expires)" => {}
            other if is_field_name(other) => {}
            other => {
                return Err(SignatureError::Malformed(format!(
                    "{} is not a header name",
                    shown(other)
                )))
            }
        }
    }
    let covers = |name: &str| components.iter().any(|c| c == name);

    let times = CavageTimes {
        created: param("created")
            .map(|t| cavage_time(t, "created", false))
            .transpose()?,
        expires: param("expires")
            .map(|t| cavage_time(t, "expires", true))
            .transpose()?,
    };

    check_body_digests(headers, body)?;

    if !covers("(request-target)") {
        return Err(SignatureError::MissingComponent("(request-target)".into()));
    }
    if !covers("host") {
        return Err(SignatureError::MissingComponent("host".into()));
    }
    if !covers("date") && !covers("(created)") {
        return Err(SignatureError::MissingComponent("date".into()));
    }
    if !body.is_empty() && !covers("digest") && !covers("content-digest") {
        return Err(SignatureError::MissingComponent("digest".into()));
    }

    if covers("date") {
        check_date_header(headers, now)?;
    }
    if let Some((_, created)) = &times.created {
        check_window(from_unix(*created, "created")?, now)?;
    }
    if let Some((_, expires)) = &times.expires {
        check_expires(from_unix(*expires, "expires")?, now)?;
    }

    let signature = decode_signature(signature_b64)?;

    let mut inputs = vec![cavage_signing_string(
        &components,
        &cavage_request_target(target, true),
        &times,
        headers,
        Some(uri),
    )?];
    if target.query.is_some() {
        inputs.push(cavage_signing_string(
            &components,
            &cavage_request_target(target, false),
            &times,
            headers,
            Some(uri),
        )?);
    }

    Ok(SignedRequest {
        scheme: Scheme::Cavage,
        key_id: key_id.to_owned(),
        signature,
        inputs,
        authority: target.authority.clone(),
    })
}

pub(super) fn decode_signature(b64: &str) -> Result<Vec<u8>, SignatureError> {
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    match LENIENT_B64.decode(compact) {
        Ok(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => Err(malformed("the signature is not base64")),
    }
}
