//! Reading a peer's directory pages and items, and an actor document as an entry: every
//! item validated, text sanitised.

use serde_json::Value;

use super::MAX_ITEMS_PER_PAGE;
use crate::directory::model::{clip, Draft, Kind};
use crate::error::Result;
use crate::federation::link::{self, RemoteUrl};
use crate::federation::remote::{self, sanitize_html};

/// A page of a peer's directory as read, before its items are validated one by one with
/// [`parse_item`].
#[derive(Debug)]
pub struct Page<'a> {
    pub items: &'a [Value],
    /// The next page, when it is not this one (`url`).
    pub next: Option<String>,
}

/// Reads the page fetched from `url`: a collection page (or a collection holding its items)
/// with a list of at most [`MAX_ITEMS_PER_PAGE`] items.
pub fn parse_page<'a>(page: &'a Value, url: &str, dev_http: bool) -> Result<Page<'a>, String> {
    let kind = page.get("type").and_then(Value::as_str).unwrap_or_default();
    if !matches!(
        kind,
        "OrderedCollectionPage" | "OrderedCollection" | "CollectionPage"
    ) {
        return Err(format!("{url} is a {kind:?}, not a page"));
    }
    let items = page
        .get("orderedItems")
        .or_else(|| page.get("items"))
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{url} has no list of items"))?;
    if items.len() > MAX_ITEMS_PER_PAGE {
        return Err(format!(
            "{url} holds {} items, more than {MAX_ITEMS_PER_PAGE}",
            items.len()
        ));
    }
    let next = page
        .get("next")
        .and_then(|n| remote::id_of(n))
        .and_then(|n| RemoteUrl::parse(n, dev_http).ok())
        .map(RemoteUrl::into_string)
        .filter(|n| n != url);
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
    let obj = item.as_object().ok_or("an item is not an object")?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .ok_or("an item has no id")?;
    let id = item_id(id, origin, allow_http)?;
    if obj.get("type").and_then(Value::as_str) == Some("Tombstone") {
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

/// An entry from an actor-like document (a directory item, or an actor fetched or pushed).
/// Its addresses are [`RemoteUrl`]s (`allow_http` in development mode); a profile address or
/// picture in another scheme is left out.
pub fn draft_from_actor(
    doc: &Value,
    origin: &str,
    kind_hint: Option<Kind>,
    allow_http: bool,
) -> Result<Listed, String> {
    let id = doc.get("id").and_then(Value::as_str).ok_or("no id")?;
    let id = item_id(id, origin, allow_http)?.into_string();
    let ty = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    let declared = doc
        .get("directoryKind")
        .and_then(Value::as_str)
        .and_then(Kind::parse);
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
    let text = |key: &str, max: usize| -> Result<String, String> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(clip(s.trim(), max)),
            Some(_) => Err(format!("`{key}` is not text")),
        }
    };
    let flag = |key: &str| -> Result<Option<bool>, String> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(format!("`{key}` is not true or false")),
        }
    };
    let time = |key: &str| -> Result<Option<i64>, String> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|d| Some(d.timestamp_millis()))
                .map_err(|_| format!("`{key}` is not a date")),
            Some(_) => Err(format!("`{key}` is not a date")),
        }
    };
    let name = plain(&text("name", 1000)?, 200);
    let username = text("preferredUsername", 100)?;
    let summary = plain(&text("summary", 20_000)?, 2000);
    let url = doc
        .get("url")
        .and_then(|u| link::url_in(u, allow_http))
        .map(RemoteUrl::into_string)
        .unwrap_or_else(|| id.clone());
    let icon_url = doc
        .get("icon")
        .map(|i| match i {
            Value::Array(items) => items.first().unwrap_or(&Value::Null),
            other => other,
        })
        .and_then(|i| i.get("url").or(Some(i)))
        .and_then(|u| link::url_in(u, allow_http))
        .map(RemoteUrl::into_string)
        .unwrap_or_default();
    let skills = match doc.get("skills") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => {
            if list.len() > 50 {
                return Err("too many skills".into());
            }
            list.iter()
                .map(|s| {
                    s.as_str()
                        .map(|s| plain(s, 60))
                        .ok_or("`skills` holds something that is not text".to_string())
                })
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect()
        }
        Some(_) => return Err("`skills` is not a list".into()),
    };
    let country = text("country", 10)?;
    let country = if country.len() == 2 && country.chars().all(|c| c.is_ascii_alphabetic()) {
        country.to_uppercase()
    } else {
        String::new()
    };
    let discoverable = flag("discoverable")?;
    let indexable = flag("indexable")?;
    // Listed only when the actor says so: absent flags mean "not asked", as Mastodon reads them.
    let listed = discoverable == Some(true) && indexable != Some(false);
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
        industry: plain(&text("industry", 200)?, 80),
        skills,
        city: plain(&text("city", 200)?, 80),
        country,
        space_name: plain(&text("spaceName", 400)?, 100),
        hiring: flag("hiring")?.unwrap_or(false),
        open_to_collaborate: flag("openToCollaborate")?.unwrap_or(false),
        starts_at: time("startTime")?,
        ends_at: time("endTime")?,
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
        assert!(parse_item(&bad, "a.example", false).is_err());
        let mut bad = ok.clone();
        bad["hiring"] = json!("yes");
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
