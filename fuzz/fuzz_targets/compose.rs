//! The post composer: what a member typed (markdown), to HTML. Besides not panicking, the HTML
//! holds only the tags markdown and the composer make, and web links, and is already clean: the
//! sanitiser leaves it as it is.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use guildhall::posts::compose::{hashtags, mentions, render, Resolved, MAX_MENTIONS};
use guildhall_fuzz::{href_scheme, tags};
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
            matches!(
                tag.name,
                "p" | "br"
                    | "a"
                    | "span"
                    | "strong"
                    | "em"
                    | "del"
                    | "code"
                    | "pre"
                    | "ul"
                    | "ol"
                    | "li"
                    | "blockquote"
                    | "h1"
                    | "h2"
                    | "h3"
                    | "h4"
                    | "h5"
                    | "h6"
                    | "hr"
            ),
            "<{}> in {html:?}",
            tag.name
        );
        for (name, value) in &tag.attributes {
            assert!(
                matches!(*name, "href" | "rel" | "class" | "start"),
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

    // Already clean: the sanitiser finds nothing more to take out.
    assert_eq!(
        guildhall::federation::remote::sanitize_html(&html),
        html,
        "{text:?}"
    );

    assert!(mentions(&text).len() <= MAX_MENTIONS);
    for tag in hashtags(&text) {
        assert!(!tag.is_empty() && !tag.contains('#'));
    }
});
