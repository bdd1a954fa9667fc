//! `GET /directory` for servers: this space's entries as an ActivityStreams
//! `OrderedCollection` ordered by last change, paged with an opaque `after` cursor. A page
//! lists entries changed after the cursor, oldest change first; removed entries appear as
//! `Tombstone`s. A peer keeps the `next` of the last page it read and asks for it next time:
//! it gets exactly what changed since.

use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{Entry, Kind};
use super::store;
use crate::error::{Error, Result};
use crate::federation::html::paragraphs;
use crate::federation::negotiate::activity_json;
use crate::federation::protocol::{context, datetime};
use crate::federation::urls::Urls;
use crate::state::AppState;

/// Entries per page unless `limit` asks for fewer.
pub const PAGE_SIZE: i64 = 100;
/// The most a page may hold.
pub const MAX_PAGE_SIZE: i64 = 200;

#[derive(Debug, Default, Deserialize)]
pub struct CollectionQuery {
    pub after: Option<String>,
    pub limit: Option<String>,
}

/// The cursor for "after change number `seq`": opaque to peers.
pub fn cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("gh1:{seq}"))
}

/// The change number a cursor stands for, or `None` when it is not one of ours.
pub fn parse_cursor(token: &str) -> Option<i64> {
    if token.len() > 64 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("gh1:")?
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
}

pub fn collection_url(urls: &Urls) -> String {
    format!("{}/directory", urls.base())
}

fn page_url(urls: &Urls, seq: i64, limit: i64) -> String {
    if limit == PAGE_SIZE {
        format!("{}?after={}", collection_url(urls), cursor(seq))
    } else {
        format!(
            "{}?after={}&limit={limit}",
            collection_url(urls),
            cursor(seq)
        )
    }
}

/// Serves the collection or one of its pages.
pub async fn serve(state: &AppState, q: &CollectionQuery) -> Result<Response> {
    if !state.is_set_up().await {
        return Err(Error::NotFound);
    }
    super::local::ensure_fresh(state).await?;
    let urls = Urls::new(&state.config);
    let id = collection_url(&urls);
    let limit = match q.limit.as_deref().map(str::trim) {
        None | Some("") => PAGE_SIZE,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(Error::invalid(
                    "limit",
                    format!("must be a number from 1 to {MAX_PAGE_SIZE}"),
                ))
            }
        },
    };
    let Some(after) = q.after.as_deref() else {
        let total = store::count_local_live(&state.db).await?;
        return Ok(activity_json(&json!({
            "@context": context(),
            "id": id,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": page_url(&urls, 0, limit),
        })));
    };
    let after = parse_cursor(after)
        .ok_or_else(|| Error::invalid("after", "is not a cursor from this directory"))?;
    let entries = store::local_changes(&state.db, after, limit).await?;
    let items: Vec<Value> = entries.iter().map(|e| item(e, &urls)).collect();
    let mut doc = json!({
        "@context": context(),
        "id": page_url(&urls, after, limit),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "orderedItems": items,
    });
    if let Some(last) = entries.last() {
        doc["next"] = json!(page_url(&urls, last.seq, limit));
    }
    Ok(activity_json(&doc))
}

/// One entry as the collection lists it.
pub fn item(e: &Entry, _urls: &Urls) -> Value {
    if e.deleted {
        let former = e.kind.as_type();
        return json!({
            "id": e.uri,
            "type": "Tombstone",
            "formerType": former,
            "deleted": datetime(e.updated_at),
            "updated": datetime(e.updated_at),
        });
    }
    let mut v = json!({
        "id": e.uri,
        "type": e.kind.as_type(),
        "directoryKind": e.kind.as_str(),
        "name": e.name,
        "url": e.url,
        "discoverable": true,
        "indexable": true,
        "updated": datetime(e.updated_at),
    });
    let set = |v: &mut Value, key: &str, value: &str| {
        if !value.is_empty() {
            v[key] = json!(value);
        }
    };
    if let Some(name) = e.handle.trim_start_matches('@').split('@').next() {
        if e.kind != Kind::Event {
            set(&mut v, "preferredUsername", name);
        }
    }
    if !e.summary.is_empty() {
        v["summary"] = json!(paragraphs(&e.summary));
    }
    if !e.icon_url.is_empty() {
        v["icon"] = json!({ "type": "Image", "url": e.icon_url });
    }
    set(&mut v, "industry", &e.industry);
    set(&mut v, "city", &e.city);
    set(&mut v, "country", &e.country);
    set(&mut v, "spaceName", &e.space_name);
    if !e.skills.is_empty() {
        v["skills"] = json!(e.skills);
    }
    if matches!(e.kind, Kind::Company | Kind::Project) {
        v["hiring"] = json!(e.hiring);
        v["openToCollaborate"] = json!(e.open_to_collaborate);
    }
    if let Some(s) = e.starts_at {
        v["startTime"] = json!(datetime(s));
    }
    if let Some(end) = e.ends_at {
        v["endTime"] = json!(datetime(end));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_others() {
        assert_eq!(parse_cursor(&cursor(0)), Some(0));
        assert_eq!(parse_cursor(&cursor(123_456)), Some(123_456));
        assert_eq!(parse_cursor("12"), None);
        assert_eq!(parse_cursor(""), None);
        assert_eq!(parse_cursor(&URL_SAFE_NO_PAD.encode("gh1:-4")), None);
        assert_eq!(parse_cursor(&"A".repeat(100)), None);
    }
}
