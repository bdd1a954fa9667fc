//! Verifying RFC 9421 HTTP Message Signatures (`Signature-Input` and `Signature`).

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use sfv::FieldType as _;

use super::digest::check_body_digests;
use super::target::{bounded_text, field_value, is_field_name, Target};
use super::time::{check_date_header, check_expires, check_window, from_unix};
use super::{
    malformed, shown, Scheme, SignatureError, SignedRequest, MAX_COMPONENTS, RFC9421_ALG,
    RFC9421_LABEL,
};

pub(super) const DERIVED_COMPONENTS: [&str; 7] = [
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
];

/// The value of one covered component (RFC 9421 §2.1, §2.2).
pub(super) fn rfc9421_component(
    name: &str,
    target: &Target,
    headers: &HeaderMap,
) -> Result<Vec<u8>, SignatureError> {
    let no_host = || SignatureError::MissingHeader("host".into());
    Ok(match name {
        "@method" => target.method.clone().into_bytes(),
        "@target-uri" => target.target_uri().ok_or_else(no_host)?.into_bytes(),
        "@authority" => target.authority.clone().ok_or_else(no_host)?.into_bytes(),
        "@scheme" => target.scheme.clone().into_bytes(),
        "@request-target" => target.path_and_query(true).into_bytes(),
        "@path" => target.path.clone().into_bytes(),
        "@query" => format!("?{}", target.query.as_deref().unwrap_or_default()).into_bytes(),
        // A missing Host (HTTP/2) is the authority.
        "host" => match field_value(headers, "host") {
            Some(value) => value,
            None => target.authority.clone().ok_or_else(no_host)?.into_bytes(),
        },
        field => field_value(headers, field)
            .ok_or_else(|| SignatureError::MissingHeader(shown(field)))?,
    })
}

/// Every line of the signature base up to and including `"@signature-params": ` (the caller
/// appends the parameters).
pub(super) fn rfc9421_base_prefix(
    components: &[String],
    target: &Target,
    headers: &HeaderMap,
) -> Result<Vec<u8>, SignatureError> {
    let mut base = Vec::new();
    for name in components {
        base.push(b'"');
        base.extend_from_slice(name.as_bytes());
        base.extend_from_slice(b"\": ");
        base.extend(rfc9421_component(name, target, headers)?);
        base.push(b'\n');
    }
    base.extend_from_slice(b"\"@signature-params\": ");
    Ok(base)
}

/// The members of a structured dictionary as written: `(name, value text)`, split at top-level
/// commas (outside strings and inner lists), both trimmed. Only used to recover the exact text
/// of a member the sfv parser has already accepted.
pub(super) fn raw_dict_members(s: &str) -> Vec<(&str, &str)> {
    fn push<'a>(s: &'a str, from: usize, to: usize, members: &mut Vec<(&'a str, &'a str)>) {
        if let Some(member) = s.get(from..to) {
            let member = member.trim_matches([' ', '\t']);
            match member.split_once('=') {
                Some((name, value)) => members.push((name.trim(), value.trim())),
                None => members.push((member, "")),
            }
        }
    }
    let mut members = Vec::new();
    let mut start = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut depth = 0u32;
    for (i, c) in s.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth = depth.saturating_add(1),
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                push(s, start, i, &mut members);
                start = i.saturating_add(1);
            }
            _ => {}
        }
    }
    push(s, start, s.len(), &mut members);
    members
}

pub(super) fn parse_rfc9421(
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<SignedRequest, SignatureError> {
    let input_text =
        bounded_text(headers, "signature-input")?.ok_or_else(|| malformed("no Signature-Input"))?;
    let signature_text = bounded_text(headers, "signature")?
        .ok_or_else(|| malformed("Signature-Input without Signature"))?;
    let inputs: sfv::Dictionary = sfv::Parser::new(&input_text)
        .parse()
        .map_err(|_| malformed("Signature-Input is not a structured dictionary"))?;
    let signatures: sfv::Dictionary = sfv::Parser::new(&signature_text)
        .parse()
        .map_err(|_| malformed("Signature is not a structured dictionary"))?;

    // One signature: `sig1` if there is one, else the first.
    let (label, entry) = inputs
        .iter()
        .find(|(label, _)| label.as_str() == RFC9421_LABEL)
        .or_else(|| inputs.iter().next())
        .ok_or_else(|| malformed("Signature-Input is empty"))?;
    let label = label.as_str();
    let sfv::ListEntry::InnerList(inner) = entry else {
        return Err(malformed("a Signature-Input member is not an inner list"));
    };
    let signature = signatures
        .iter()
        .find(|(l, _)| l.as_str() == label)
        .and_then(|(_, entry)| match entry {
            sfv::ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            sfv::ListEntry::InnerList(_) => None,
        })
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| {
            SignatureError::Malformed(format!("no Signature byte sequence for {}", shown(label)))
        })?
        .to_vec();

    // Parameters.
    let mut key_id = None;
    let mut algorithm = None;
    let mut created = None;
    let mut expires = None;
    for (name, value) in &inner.params {
        let wrong = || SignatureError::Malformed(format!("{} has the wrong type", name.as_str()));
        match name.as_str() {
            "keyid" => key_id = Some(value.as_string().ok_or_else(wrong)?.as_str()),
            "alg" => algorithm = Some(value.as_string().ok_or_else(wrong)?.as_str()),
            "created" => created = Some(i64::from(value.as_integer().ok_or_else(wrong)?)),
            "expires" => expires = Some(i64::from(value.as_integer().ok_or_else(wrong)?)),
            _ => {}
        }
    }
    let key_id = key_id
        .filter(|k| !k.is_empty())
        .ok_or_else(|| malformed("no keyid"))?;
    if let Some(algorithm) = algorithm {
        if algorithm != RFC9421_ALG {
            return Err(SignatureError::UnsupportedAlgorithm(shown(algorithm)));
        }
    }

    // Covered components.
    if inner.items.len() > MAX_COMPONENTS {
        return Err(SignatureError::Malformed(format!(
            "more than {MAX_COMPONENTS} covered components"
        )));
    }
    let mut components: Vec<String> = Vec::with_capacity(inner.items.len());
    for item in &inner.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or_else(|| malformed("a covered component is not a string"))?
            .as_str();
        if !item.params.is_empty() {
            return Err(SignatureError::Malformed(format!(
                "component parameters are not supported ({})",
                shown(name)
            )));
        }
        if name.starts_with('@') {
            if !DERIVED_COMPONENTS.contains(&name) {
                return Err(SignatureError::Malformed(format!(
                    "unsupported derived component {}",
                    shown(name)
                )));
            }
        } else if !is_field_name(name) {
            return Err(SignatureError::Malformed(format!(
                "{} is not a lower-case field name",
                shown(name)
            )));
        }
        if components.iter().any(|c| c == name) {
            return Err(SignatureError::Malformed(format!(
                "{} is covered twice",
                shown(name)
            )));
        }
        components.push(name.to_owned());
    }
    let covers = |name: &str| components.iter().any(|c| c == name);

    check_body_digests(headers, body)?;

    if !covers("@method") {
        return Err(SignatureError::MissingComponent("@method".into()));
    }
    let authority = covers("@authority") || covers("host");
    let path = covers("@path") || covers("@request-target");
    if !(covers("@target-uri") || (authority && path)) {
        return Err(SignatureError::MissingComponent("@target-uri".into()));
    }
    if !body.is_empty() && !covers("content-digest") && !covers("digest") {
        return Err(SignatureError::MissingComponent("content-digest".into()));
    }
    if created.is_none() && !covers("date") {
        return Err(SignatureError::MissingComponent("created".into()));
    }

    if let Some(created) = created {
        check_window(from_unix(created, "created")?, now)?;
    }
    if let Some(expires) = expires {
        check_expires(from_unix(expires, "expires")?, now)?;
    }
    if covers("date") {
        check_date_header(headers, now)?;
    }

    // `@signature-params`: the member as received, and its canonical serialization if that
    // differs (both are the same inner list, so both say what we checked above).
    let mut params_lines: Vec<String> = Vec::with_capacity(2);
    let as_list = vec![sfv::ListEntry::InnerList(inner.clone())];
    if let Some((_, raw)) = raw_dict_members(&input_text)
        .into_iter()
        .rev()
        .find(|(name, _)| *name == label)
    {
        let same = sfv::Parser::new(raw)
            .parse::<sfv::List>()
            .is_ok_and(|parsed| parsed == as_list);
        if same {
            params_lines.push(raw.to_owned());
        }
    }
    if let Some(canonical) = as_list.serialize() {
        if !params_lines.contains(&canonical) {
            params_lines.push(canonical);
        }
    }

    let prefix = rfc9421_base_prefix(&components, target, headers)?;
    let inputs = params_lines
        .into_iter()
        .map(|line| {
            let mut base = prefix.clone();
            base.extend_from_slice(line.as_bytes());
            base
        })
        .collect();

    Ok(SignedRequest {
        scheme: Scheme::Rfc9421,
        key_id: key_id.to_owned(),
        signature,
        inputs,
        authority: target.authority.clone(),
    })
}
