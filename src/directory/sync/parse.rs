//! Reading a peer's directory pages and items, and an actor document as an entry: every
//! item validated, text sanitised.

use serde_json::Value;

use super::doc::{CollectionDoc, EntryDoc, First, ItemHead, PageDoc};
use crate::directory::model::{clip, Draft, Kind};
use crate::error::Result;
use crate::federation::link::RemoteUrl;
use crate::federation::remote::sanitize_html;
use crate::federation::wire;

/// Where a document fetched from a peer's directory leads: it is a page, or the collection,
/// whose first page is at an address or embedded in it.
#[derive(Debug)]
pub enum Start {
    Page,
    FirstAt(RemoteUrl),
    FirstEmbedded(Value),
}

/// Reads what a fetched directory document is (see [`Start`]): an `OrderedCollection` without
/// items leads to its `first` page, which must be a web address or an embedded page.
pub fn parse_start(doc: &Value, dev_http: bool) -> Result<Start, String> {
    // A document that does not even read as a collection is taken as a page, which
    // [`parse_page`] then refuses with its reason.
    let Ok(collection) = wire::parse_value_at::<CollectionDoc>(doc, dev_http) else {
        return Ok(Start::Page);
    };
    if collection.kind != "OrderedCollection" || collection.holds_items {
        return Ok(Start::Page);
    }
    match collection.first {
        Some(First::Address(first)) => RemoteUrl::parse(&first, dev_http)
            .map(Start::FirstAt)
            .map_err(|e| format!("the first page {e}")),
        Some(First::Page(page)) => Ok(Start::FirstEmbedded(Value::Object(page))),
        _ => Err("the collection has no first page".into()),
    }
}

/// A page of a peer's directory as read, before its items are validated one by one with
/// [`parse_item`].
#[derive(Debug)]
pub struct Page {
    /// Its items as received: each is read alone, so one bad item is refused alone.
    pub items: Vec<Value>,
    /// The next page, when it is not this one (`url`).
    pub next: Option<String>,
}

/// Reads the page fetched from `url`: a collection page (or a collection holding its items)
/// with a list of at most [`super::MAX_ITEMS_PER_PAGE`] items.
pub fn parse_page(page: &Value, url: &str, dev_http: bool) -> Result<Page, String> {
    let doc: PageDoc =
        wire::parse_value_at(page, dev_http).map_err(|e| format!("{url}: {}", e.0))?;
    if !matches!(
        doc.kind.as_str(),
        "OrderedCollectionPage" | "OrderedCollection" | "CollectionPage"
    ) {
        return Err(format!("{url} is a {:?}, not a page", doc.kind));
    }
    let items = doc
        .ordered_items
        .or(doc.items)
        .ok_or_else(|| format!("{url} has no list of items"))?;
    let next = doc.next.map(|n| n.0.into_string()).filter(|n| n != url);
    Ok(Page { items, next })
}

/// A validated item of a peer's directory.
#[derive(Debug)]
pub enum Item {
    Entry(Box<Listed>),
    Removed(String),
}

/// An entry and whether its actor wants to be listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub draft: Draft,
    pub listed: bool,
}

/// Validates one item from `origin` (its `host[:port]`); `allow_http` in development mode.
pub fn parse_item(item: &Value, origin: &str, allow_http: bool) -> Result<Item, String> {
    let head: ItemHead = wire::parse_value_at(item, allow_http).map_err(|e| match item {
        Value::Object(o) if o.contains_key("id") => e.0,
        Value::Object(_) => "an item has no id".to_string(),
        _ => "an item is not an object".to_string(),
    })?;
    let id = item_id(&head.id, origin, allow_http)?;
    if head.kind == "Tombstone" {
        return Ok(Item::Removed(id.into_string()));
    }
    Ok(Item::Entry(Box::new(draft_from_actor(
        item, origin, None, allow_http,
    )?)))
}

/// An entry's id: a web address on `origin`.
fn item_id(id: &str, origin: &str, allow_http: bool) -> Result<RemoteUrl, String> {
    let shown = clip(id, 200);
    match RemoteUrl::parse(id, allow_http) {
        Ok(u) if u.authority() == origin => Ok(u),
        Ok(_) => Err(format!("{shown} claims another server than {origin}")),
        Err(e) => Err(format!("the id {shown} {e}")),
    }
}

/// An entry from an actor-like document (a directory item, or an actor fetched or pushed),
/// read as an [`EntryDoc`]: a property of the wrong type refuses it. Its addresses are
/// [`RemoteUrl`]s (`allow_http` in development mode); a profile address or picture in another
/// scheme is left out.
pub fn draft_from_actor(
    doc: &Value,
    origin: &str,
    kind_hint: Option<Kind>,
    allow_http: bool,
) -> Result<Listed, String> {
    let doc: EntryDoc = wire::parse_value_at(doc, allow_http).map_err(|e| e.0)?;
    let id = item_id(&doc.id, origin, allow_http)?.into_string();
    let ty = doc.kind.as_str();
    let declared = doc.directory_kind.as_deref().and_then(Kind::parse);
    let kind = match (declared, ty) {
        (Some(k), _) => k,
        (None, "Person") => Kind::Person,
        (None, "Organization") => kind_hint.unwrap_or(Kind::Company),
        (None, "Group") => Kind::Project,
        (None, "Event") => Kind::Event,
        (None, "Service" | "Application") => kind_hint.unwrap_or(Kind::Space),
        (None, other) => return Err(format!("`{other}` cannot be listed")),
    };
    if kind.as_type() != ty && !(kind == Kind::Space && matches!(ty, "Service" | "Application")) {
        return Err(format!("a {} cannot be a `{ty}`", kind.as_str()));
    }
    let text = |t: &Option<String>, max: usize| clip(t.as_deref().unwrap_or("").trim(), max);
    let name = plain(&text(&doc.name, 1000), 200);
    let username = text(&doc.preferred_username, 100);
    let summary = plain(&text(&doc.summary, 20_000), 2000);
    let url = doc
        .url
        .map(|u| u.0.into_string())
        .unwrap_or_else(|| id.clone());
    let icon_url = doc.icon.map(RemoteUrl::into_string).unwrap_or_default();
    let skills = doc
        .skills
        .unwrap_or_default()
        .iter()
        .map(|s| plain(s, 60))
        .filter(|s| !s.is_empty())
        .collect();
    let country = text(&doc.country, 10);
    let country = if country.len() == 2 && country.chars().all(|c| c.is_ascii_alphabetic()) {
        country.to_uppercase()
    } else {
        String::new()
    };
    // Listed only when the actor says so: absent flags mean "not asked", as Mastodon reads them.
    let listed = doc.discoverable == Some(true) && doc.indexable != Some(false);
    let handle = if username.is_empty() || kind == Kind::Event {
        String::new()
    } else {
        format!("@{}@{origin}", plain(&username, 100))
    };
    let draft = Draft {
        name: if name.is_empty() {
            username.clone()
        } else {
            name
        },
        uri: id,
        kind,
        origin: origin.to_string(),
        handle,
        summary,
        url,
        icon_url,
        industry: plain(&text(&doc.industry, 200), 80),
        skills,
        city: plain(&text(&doc.city, 200), 80),
        country,
        space_name: plain(&text(&doc.space_name, 400), 100),
        hiring: doc.hiring.unwrap_or(false),
        open_to_collaborate: doc.open_to_collaborate.unwrap_or(false),
        starts_at: doc.start_time,
        ends_at: doc.end_time,
    };
    Ok(Listed { draft, listed })
}

/// Remote HTML (or text) as plain text of at most `max` characters.
pub(super) fn plain(html: &str, max: usize) -> String {
    let cleaned = sanitize_html(html)
        .replace("</p>", "\n")
        .replace("<br>", "\n");
    let text = ammonia::Builder::empty().clean(&cleaned).to_string();
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let text = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    clip(&text, max)
}

#[cfg(test)]
mod tests {
    use super::super::MAX_ITEMS_PER_PAGE;
    use super::*;
    use serde_json::json;

    #[test]
    fn items_are_validated() {
        let ok = json!({
            "id": "https://a.example/companies/acme", "type": "Organization",
            "directoryKind": "company", "name": "<b>Acme</b>", "preferredUsername": "acme",
            "summary": "<p>We &amp; you</p><script>x</script>", "skills": ["Rust", "Go"],
            "city": "Lisbon", "country": "pt", "hiring": true, "discoverable": true,
            "indexable": true
        });
        let Item::Entry(l) = parse_item(&ok, "a.example", false).unwrap() else {
            panic!("an entry")
        };
        assert!(l.listed);
        assert_eq!(l.draft.name, "Acme");
        assert_eq!(l.draft.summary, "We & you");
        assert_eq!(l.draft.country, "PT");
        assert_eq!(l.draft.handle, "@acme@a.example");
        assert!(parse_item(&ok, "b.example", false).is_err(), "another host");
        let mut bad = ok.clone();
        bad["skills"] = json!("Rust");
        let why = parse_item(&bad, "a.example", false).unwrap_err();
        assert!(why.starts_with("skills: "), "{why}");
        let mut bad = ok.clone();
        bad["hiring"] = json!("yes");
        let why = parse_item(&bad, "a.example", false).unwrap_err();
        assert!(why.starts_with("hiring: "), "{why}");
        let mut bad = ok.clone();
        bad["skills"] = json!(["Rust", 3]);
        assert!(parse_item(&bad, "a.example", false).is_err());
        let mut bad = ok.clone();
        bad["skills"] = json!(vec!["Rust"; 51]);
        assert!(parse_item(&bad, "a.example", false).is_err());
        let mut bad = ok.clone();
        bad["startTime"] = json!("tomorrow");
        let why = parse_item(&bad, "a.example", false).unwrap_err();
        assert!(why.starts_with("startTime: "), "{why}");
        let mut bad = ok.clone();
        bad["name"] = json!(["Acme"]);
        assert!(parse_item(&bad, "a.example", false).is_err());
        let mut bad = ok.clone();
        bad["type"] = json!("Note");
        assert!(parse_item(&bad, "a.example", false).is_err());
        assert!(parse_item(&json!("https://a.example/x"), "a.example", false).is_err());
        let mut quiet = ok.clone();
        quiet["indexable"] = json!(false);
        let Item::Entry(l) = parse_item(&quiet, "a.example", false).unwrap() else {
            panic!("an entry")
        };
        assert!(!l.listed);
        let gone = json!({"id": "https://a.example/companies/acme", "type": "Tombstone"});
        assert!(matches!(
            parse_item(&gone, "a.example", false),
            Ok(Item::Removed(_))
        ));
    }

    #[test]
    fn addresses_are_web_addresses() {
        let item = |url: &str, icon: &str| {
            json!({
                "id": "https://a.example/companies/acme", "type": "Organization",
                "name": "Acme", "url": url, "icon": {"type": "Image", "url": icon},
                "discoverable": true
            })
        };
        for bad in [
            "javascript:alert(1)",
            "javascript://a.example/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "http://a.example/plain",
        ] {
            let Item::Entry(l) = parse_item(&item(bad, bad), "a.example", false).unwrap() else {
                panic!("an entry")
            };
            assert_eq!(l.draft.url, "https://a.example/companies/acme", "{bad}");
            assert_eq!(l.draft.icon_url, "", "{bad}");
            for id in [bad, "javascript://a.example/companies/acme"] {
                let mut doc = item("https://a.example/ok", "https://a.example/i.png");
                doc["id"] = json!(id);
                assert!(parse_item(&doc, "a.example", false).is_err(), "{id}");
                doc["type"] = json!("Tombstone");
                assert!(parse_item(&doc, "a.example", false).is_err(), "{id}");
            }
        }
        let Item::Entry(l) = parse_item(
            &item("https://a.example/@acme", "https://media.example/i.png"),
            "a.example",
            false,
        )
        .unwrap() else {
            panic!("an entry")
        };
        assert_eq!(l.draft.url, "https://a.example/@acme");
        assert_eq!(l.draft.icon_url, "https://media.example/i.png");
    }

    /// Found by the fuzzer: an id whose scheme is written `Https` is a web address; the entry's
    /// `url` falls back to it as the peer wrote it, and pages link it.
    #[test]
    fn a_scheme_in_capitals_is_kept_as_written() {
        let item = json!({"id": "Https://peer.example/members/ada", "type": "Person",
            "preferredUsername": "ada", "name": "Ada", "discoverable": true});
        let Item::Entry(l) = parse_item(&item, "peer.example", false).unwrap() else {
            panic!("an entry")
        };
        assert_eq!(l.draft.url, "Https://peer.example/members/ada");
        assert!(RemoteUrl::stored(&l.draft.url).is_some());
    }

    /// A page is read with its items raw: one item of the wrong shape is refused alone and the
    /// others still read.
    #[test]
    fn one_bad_item_is_refused_alone() {
        let good = |n: u32| {
            json!({"id": format!("https://a.example/members/m{n}"), "type": "Person",
                "preferredUsername": format!("m{n}"), "discoverable": true,
                "skills": ["Rust"], "hiring": false})
        };
        let mut bad = good(2);
        bad["skills"] = json!("Rust");
        let page = json!({"type": "OrderedCollectionPage",
            "orderedItems": [good(1), bad, 7, good(3), {"type": "Person"}]});
        let read = parse_page(&page, "https://a.example/directory", false).unwrap();
        let results: Vec<_> = read
            .items
            .iter()
            .map(|i| parse_item(i, "a.example", false))
            .collect();
        let ok: Vec<_> = results
            .iter()
            .filter_map(|r| match r {
                Ok(Item::Entry(l)) => Some(l.draft.handle.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(ok, ["@m1@a.example", "@m3@a.example"]);
        assert_eq!(results[2].as_ref().unwrap_err(), "an item is not an object");
        assert_eq!(results[4].as_ref().unwrap_err(), "an item has no id");
    }

    #[test]
    fn pages_are_bounded() {
        let url = "https://a.example/directory?page=2";
        let page = json!({"type": "OrderedCollectionPage", "orderedItems": [{}, {}],
            "next": {"id": "https://a.example/directory?page=3"}});
        let read = parse_page(&page, url, false).unwrap();
        assert_eq!(read.items.len(), 2);
        assert_eq!(
            read.next.as_deref(),
            Some("https://a.example/directory?page=3")
        );
        let same = json!({"type": "CollectionPage", "items": [], "next": url});
        assert_eq!(
            parse_page(&same, url, false).unwrap().next,
            None,
            "a page naming itself"
        );
        let too_many = json!({"type": "OrderedCollectionPage",
            "orderedItems": vec![json!({}); MAX_ITEMS_PER_PAGE + 1]});
        assert!(parse_page(&too_many, url, false).is_err());
        assert!(parse_page(&json!({"type": "Person", "items": []}), url, false).is_err());
        assert!(parse_page(
            &json!({"type": "OrderedCollection", "items": {}}),
            url,
            false
        )
        .is_err());
    }
}
