//! The sanitiser of remote HTML (summaries, posts, event descriptions). Besides not panicking:
//! only the allowed tags and attributes come out, links are web links, and sanitising the
//! output again changes nothing but line breaks opening a `<pre>` (what a browser parses is
//! what was checked).
#![no_main]

use guildhall::federation::remote::sanitize_html;
use guildhall_fuzz::{href_scheme, pre_newlines_dropped, tags};
use libfuzzer_sys::fuzz_target;

const TAGS: &[&str] = &[
    "a",
    "p",
    "br",
    "span",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "code",
    "pre",
    "blockquote",
];
const ATTRIBUTES: &[&str] = &[
    "href", "hreflang", "rel", "class", "lang", "title", "cite", "start",
];

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let clean = sanitize_html(&html);
    let (found, _) = tags(&clean).unwrap_or_else(|e| panic!("{e}"));
    for tag in &found {
        assert!(TAGS.contains(&tag.name), "<{}> in {clean:?}", tag.name);
        for (name, value) in &tag.attributes {
            assert!(ATTRIBUTES.contains(name), "{name} in {clean:?}");
            if *name == "href" {
                let scheme = href_scheme(value);
                assert!(
                    matches!(scheme.as_deref(), None | Some("https" | "http")),
                    "href {value:?} in {clean:?}"
                );
            }
        }
    }
    // Stable, but for the line breaks opening a `<pre>` (see `pre_newlines_dropped`).
    assert_eq!(
        pre_newlines_dropped(&sanitize_html(&clean)),
        pre_newlines_dropped(&clean),
        "not stable for {html:?}"
    );
});
