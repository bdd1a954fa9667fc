//! `GET /directory` for servers: this space's entries as an ActivityStreams
//! `OrderedCollection` ordered by last change, paged with an opaque `after` cursor. A page
//! lists entries changed after the cursor, oldest change first; removed entries appear as
//! `Tombstone`s. A peer keeps the `next` of the last page it read and asks for it next time:
//! it gets exactly what changed since.

use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use super::model::{Entry, Kind};
use super::store;
use super::sync::{CollectionDoc, EntryDoc, First, PageDoc, TombstoneDoc};
use crate::error::{Error, Result};
use crate::federation::html::paragraphs;
use crate::federation::negotiate::activity_json;
use crate::federation::urls::Urls;
use crate::federation::wire::{self, Link};
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
        return Ok(activity_json(&wire::document(&CollectionDoc {
            id: Some(id),
            kind: "OrderedCollection".into(),
            total_items: Some(total),
            holds_items: false,
            first: Some(First::Address(page_url(&urls, 0, limit))),
        })));
    };
    let after = parse_cursor(after)
        .ok_or_else(|| Error::invalid("after", "is not a cursor from this directory"))?;
    let entries = store::local_changes(&state.db, after, limit).await?;
    let items: Vec<Value> = entries.iter().map(|e| item(e, &urls)).collect();
    let page: PageDoc<String> = PageDoc {
        id: Some(page_url(&urls, after, limit)),
        kind: "OrderedCollectionPage".into(),
        part_of: Some(id),
        ordered_items: Some(items),
        items: None,
        next: entries
            .last()
            .map(|last| Link(page_url(&urls, last.seq, limit))),
    };
    Ok(activity_json(&wire::document(&page)))
}

/// One entry as the collection lists it.
pub fn item(e: &Entry, _urls: &Urls) -> Value {
    // Writing these types cannot fail: every map key is a string.
    if e.deleted {
        serde_json::to_value(tombstone(e)).unwrap_or(Value::Null)
    } else {
        serde_json::to_value(entry(e)).unwrap_or(Value::Null)
    }
}

/// A removed entry as the collection lists it.
pub fn tombstone(e: &Entry) -> TombstoneDoc {
    TombstoneDoc {
        id: e.uri.clone(),
        kind: "Tombstone".into(),
        former_type: Some(e.kind.as_type().to_string()),
        deleted: Some(e.updated_at),
        updated: Some(e.updated_at),
    }
}

/// A live entry as the collection lists it: the document peers read with the same type.
pub fn entry(e: &Entry) -> EntryDoc<String> {
    let text = |value: &str| (!value.is_empty()).then(|| value.to_string());
    let username = e
        .handle
        .trim_start_matches('@')
        .split('@')
        .next()
        .filter(|_| e.kind != Kind::Event)
        .and_then(text);
    let organisation = matches!(e.kind, Kind::Company | Kind::Project);
    EntryDoc {
        id: e.uri.clone(),
        kind: e.kind.as_type().to_string(),
        directory_kind: Some(e.kind.as_str().to_string()),
        name: Some(e.name.clone()),
        preferred_username: username,
        summary: (!e.summary.is_empty()).then(|| paragraphs(&e.summary)),
        url: Some(Link(e.url.clone())),
        icon: text(&e.icon_url),
        skills: (!e.skills.is_empty()).then(|| e.skills.clone()),
        industry: text(&e.industry),
        city: text(&e.city),
        country: text(&e.country),
        space_name: text(&e.space_name),
        hiring: organisation.then_some(e.hiring),
        open_to_collaborate: organisation.then_some(e.open_to_collaborate),
        discoverable: Some(true),
        indexable: Some(true),
        start_time: e.starts_at,
        end_time: e.ends_at,
        updated: Some(e.updated_at),
    }
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

    fn company() -> Entry {
        Entry {
            id: 7,
            uri: "https://here.example/companies/tidewater".into(),
            kind: Kind::Company,
            local: true,
            origin: "here.example".into(),
            handle: "@tidewater@here.example".into(),
            name: "Tidewater Labs".into(),
            summary: "Boats & docks.\n\nSince 1999.".into(),
            url: "https://here.example/companies/tidewater".into(),
            icon_url: "https://here.example/media/logo.png".into(),
            industry: "Software".into(),
            skills: vec!["Rust".into(), "SQL".into()],
            city: "Braga".into(),
            country: "PT".into(),
            space_name: "Harbour Works".into(),
            hiring: true,
            open_to_collaborate: false,
            starts_at: None,
            ends_at: None,
            updated_at: 1_700_000_000_000,
            deleted: false,
            seq: 3,
        }
    }

    /// What the collection sends is what a peer's sync reads back, through the same types.
    #[test]
    fn published_entries_read_back_as_the_same_entries() {
        let e = company();
        let sent = serde_json::to_value(entry(&e)).unwrap();
        assert_eq!(
            sent["icon"],
            serde_json::json!({"type": "Image", "url": e.icon_url})
        );
        assert_eq!(sent["updated"], "2023-11-14T22:13:20Z");
        assert!(
            sent.get("startTime").is_none(),
            "absent fields are left out: {sent}"
        );
        let read: EntryDoc = wire::parse_value_at(&sent, false).unwrap();
        assert_eq!(read.updated, Some(e.updated_at));
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            sent,
            "a round trip changes nothing"
        );
        let Ok(super::super::sync::Item::Entry(listed)) =
            super::super::sync::parse_item(&sent, "here.example", false)
        else {
            panic!("the entry reads back: {sent}");
        };
        assert!(listed.listed);
        let d = listed.draft;
        assert_eq!(
            (d.uri.as_str(), d.kind, d.handle.as_str()),
            (e.uri.as_str(), e.kind, e.handle.as_str())
        );
        assert_eq!(
            (d.name.as_str(), d.url.as_str(), d.icon_url.as_str()),
            (e.name.as_str(), e.url.as_str(), e.icon_url.as_str())
        );
        assert_eq!(d.summary, "Boats & docks.\nSince 1999.");
        assert_eq!(
            (d.skills, d.industry, d.city, d.country),
            (e.skills, e.industry, e.city, e.country)
        );
        assert_eq!(
            (d.space_name.as_str(), d.hiring, d.open_to_collaborate),
            ("Harbour Works", true, false)
        );

        let mut event = company();
        event.kind = Kind::Event;
        event.uri = "https://here.example/events/e1".into();
        event.starts_at = Some(1_700_000_000_000);
        event.ends_at = Some(1_700_003_600_000);
        let sent = serde_json::to_value(entry(&event)).unwrap();
        assert!(sent.get("preferredUsername").is_none() && sent.get("hiring").is_none());
        let read: EntryDoc = wire::parse_value_at(&sent, false).unwrap();
        assert_eq!(
            (read.start_time, read.end_time),
            (event.starts_at, event.ends_at)
        );

        let mut gone = company();
        gone.deleted = true;
        let sent = serde_json::to_value(tombstone(&gone)).unwrap();
        let read: TombstoneDoc = wire::parse_value_at(&sent, false).unwrap();
        assert_eq!(read.former_type.as_deref(), Some("Organization"));
        assert_eq!(serde_json::to_value(&read).unwrap(), sent);
        assert!(matches!(
            super::super::sync::parse_item(&sent, "here.example", false),
            Ok(super::super::sync::Item::Removed(uri)) if uri == gone.uri
        ));
    }

    /// The collection leads to its first page, by address or embedded, through the type the
    /// sync reads it with.
    #[test]
    fn the_collection_leads_to_its_first_page() {
        use super::super::sync::{parse_start, Start};
        let collection = wire::document(&CollectionDoc {
            id: Some("https://here.example/directory".into()),
            kind: "OrderedCollection".into(),
            total_items: Some(3),
            holds_items: false,
            first: Some(First::Address(
                "https://here.example/directory?after=Z2gxOjA".into(),
            )),
        });
        assert!(collection.get("orderedItems").is_none());
        match parse_start(&collection, false) {
            Ok(Start::FirstAt(u)) => {
                assert_eq!(u.as_str(), "https://here.example/directory?after=Z2gxOjA")
            }
            other => panic!("{other:?}"),
        }
        let page = serde_json::json!({"type": "OrderedCollectionPage", "orderedItems": []});
        let embedded = serde_json::json!({"type": "OrderedCollection", "first": page});
        assert!(matches!(parse_start(&embedded, false), Ok(Start::FirstEmbedded(p)) if p == page));
        for bad in [
            serde_json::json!({"type": "OrderedCollection", "first": "javascript:alert(1)"}),
            serde_json::json!({"type": "OrderedCollection", "first": 3}),
            serde_json::json!({"type": "OrderedCollection"}),
        ] {
            assert!(parse_start(&bad, false).is_err(), "{bad}");
        }
        let holding = serde_json::json!({"type": "OrderedCollection", "orderedItems": null});
        assert!(matches!(parse_start(&holding, false), Ok(Start::Page)));
    }
}
