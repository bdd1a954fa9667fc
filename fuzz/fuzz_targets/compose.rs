//! The post composer: what a member typed, to HTML. Besides not panicking, the HTML holds only
//! the composer's own tags and web links, and reads back as exactly the text typed.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use guildhall::posts::compose::{hashtags, mentions, render, Resolved, MAX_MENTIONS};
use guildhall_fuzz::{href_scheme, tags, unescape};
use libfuzzer_sys::fuzz_target;

fn resolved() -> &'static HashMap<String, Resolved> {
    static RESOLVED: OnceLock<HashMap<String, Resolved>> = OnceLock::new();
    RESOLVED.get_or_init(|| {
        HashMap::from([(
            "@ada".to_string(),
            Resolved {
                uri: "https://alpha.example/members/ada".into(),
                url: "https://alpha.example/@ada".into(),
                full: "@ada@alpha.example".into(),
            },
        )])
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let html = render(&text, resolved(), "https://alpha.example");

    let (found, _) = tags(&html).unwrap_or_else(|e| panic!("{e}"));
    for tag in &found {
        assert!(
            matches!(tag.name, "p" | "br" | "a" | "span"),
            "<{}> in {html:?}",
            tag.name
        );
        for (name, value) in &tag.attributes {
            assert!(
                matches!(*name, "href" | "rel" | "class" | "target"),
                "{name} in {html:?}"
            );
            if *name == "href" {
                let scheme = href_scheme(value);
                assert!(
                    matches!(scheme.as_deref(), Some("https" | "http")),
                    "href {value:?} in {html:?}"
                );
            }
        }
    }

    // The HTML reads back as the text typed: paragraphs at blank lines, line breaks kept.
    let typed = text
        .replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let (_, shown) = tags(&html.replace("</p><p>", "\n\n").replace("<br>", "\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    // A resolved mention shows its name in lower case.
    assert_eq!(unescape(&shown).to_lowercase(), typed.to_lowercase());

    assert!(mentions(&text).len() <= MAX_MENTIONS);
    for tag in hashtags(&text) {
        assert!(!tag.is_empty() && !tag.contains('#'));
    }
});
