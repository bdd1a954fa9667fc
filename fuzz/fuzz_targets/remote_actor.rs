//! An actor document as fetched from its server (`parse_actor`), which also sanitises its
//! summary.
#![no_main]

use guildhall::federation::policy::authority_of;
use guildhall::federation::remote::{parse_actor, sanitize_html};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    // Fetched from the address it names (anything else is refused first).
    let Some(id) = doc.get("id").and_then(Value::as_str) else {
        return;
    };
    let Ok(actor) = parse_actor(&doc, id, false) else {
        return;
    };
    let host = Some(actor.host.clone());
    assert_eq!(authority_of(actor.uri.as_str()), host);
    assert_eq!(authority_of(actor.inbox.as_str()), host);
    assert_eq!(authority_of(actor.key_id.as_str()), host);
    assert_eq!(sanitize_html(&actor.summary), actor.summary);
});
