//! A document of a peer's directory: the collection (its first page, by address or embedded) or
//! a page, then each item as the sync validates it.
#![no_main]

use guildhall::directory::sync::{parse_item, parse_page, parse_start, Item, Start};
use guildhall::federation::link::RemoteUrl;
use guildhall::federation::policy::authority_of;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const ORIGIN: &str = "peer.example";
const URL: &str = "https://peer.example/directory?page=2";

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let doc = match parse_start(&doc, false) {
        Ok(Start::Page) => doc,
        Ok(Start::FirstEmbedded(page)) => page,
        Ok(Start::FirstAt(first)) => {
            // The sync follows only web addresses.
            assert!(RemoteUrl::parse(first.as_str(), false).is_ok());
            return;
        }
        Err(_) => return,
    };
    let Ok(page) = parse_page(&doc, URL, false) else {
        return;
    };
    assert_ne!(page.next.as_deref(), Some(URL));
    for item in page.items {
        match parse_item(&item, ORIGIN, false) {
            Ok(Item::Entry(listed)) => {
                let draft = &listed.draft;
                // Only the peer's own entries, linking only to the web.
                assert_eq!(authority_of(draft.uri.as_str()).as_deref(), Some(ORIGIN));
                // What pages will link: an address that passes the same check (the scheme
                // in any letter case, as the peer wrote it).
                assert!(RemoteUrl::parse(draft.url.as_str(), false).is_ok());
                let icon = draft.icon_url.as_str();
                assert!(icon.is_empty() || RemoteUrl::parse(icon, false).is_ok());
            }
            Ok(Item::Removed(uri)) => {
                assert_eq!(authority_of(uri.as_str()).as_deref(), Some(ORIGIN));
            }
            Err(_) => {}
        }
    }
});
