//! Emoji reactions received from other servers: an `EmojiReact` (Pleroma, Akkoma: `content`
//! is the emoji) or a `Like` carrying Misskey's `_misskey_reaction`. Such a reaction is a like
//! with its emoji (stored in `post_reactions.emoji`; a plain like has none) and counted by
//! emoji under the post ("👍 3  🎉 1"). A custom emoji is kept by its short code (`:blobcat:`;
//! Misskey's `:blobcat@.:` and `:blobcat@host:` read the same); its picture is not fetched.
//! What does not read as one emoji or one short code is no emoji: a Misskey `Like` with it
//! stays a plain like, an `EmojiReact` with it is dropped.

use serde::{Deserialize, Serialize};

use crate::federation::wire::{Activity, ActivityKind};

/// Longest emoji kept, in characters (family and flag sequences join several).
const MAX_CHARS: usize = 16;
/// Longest custom emoji short code, in characters (without the colons).
const MAX_SHORTCODE: usize = 64;

/// How many reacted with one emoji, as the API and the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmojiCount {
    pub emoji: String,
    pub count: i64,
}

/// The emoji of a reaction: `Some` for an `EmojiReact` or a Misskey `Like` whose emoji reads,
/// `None` for a plain like. (An `EmojiReact` without a readable emoji is refused by
/// [`is_refused`].)
pub fn of(activity: &Activity) -> Option<String> {
    let raw = match activity.kind() {
        ActivityKind::EmojiReact => activity.content.as_deref(),
        ActivityKind::Like => activity.misskey_reaction.as_deref(),
        _ => None,
    }?;
    parse(raw)
}

/// Whether a reaction activity carries nothing to keep: an `EmojiReact` whose `content` is no
/// emoji.
pub fn is_refused(activity: &Activity) -> bool {
    activity.kind() == ActivityKind::EmojiReact && of(activity).is_none()
}

/// One emoji, or one custom emoji's short code (`:name:`), normalised; `None` otherwise.
pub fn parse(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Some(inner) = raw.strip_prefix(':').and_then(|r| r.strip_suffix(':')) {
        // Misskey names a custom emoji with its host: `:name@host:`, `:name@.:` for its own.
        let name = inner.split_once('@').map_or(inner, |(n, _)| n);
        let ok = !name.is_empty()
            && name.chars().count() <= MAX_SHORTCODE
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '+');
        return ok.then(|| format!(":{name}:"));
    }
    let count = raw.chars().count();
    // An emoji is pictographs with joiners, variation selectors and keycap digits: no letters,
    // no spaces, no markup, no controls.
    let ok = count <= MAX_CHARS
        && raw.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && !c.is_alphabetic()
                && !matches!(c, '<' | '>' | '&' | '"' | '\'' | ':' | '/' | '\\')
        })
        && !raw.is_ascii();
    ok.then(|| raw.to_string())
}

/// The stored counts (`posts.emoji_counts`: a JSON list of `[emoji, count]`), read back; a
/// value that does not read counts as none.
pub fn read_counts(stored: &str) -> Vec<EmojiCount> {
    if stored.is_empty() {
        return Vec::new();
    }
    serde_json::from_str::<Vec<(String, i64)>>(stored)
        .map(|list| {
            list.into_iter()
                .map(|(emoji, count)| EmojiCount { emoji, count })
                .collect()
        })
        .unwrap_or_default()
}

/// The counts as stored; `''` when there are none.
pub fn write_counts(counts: &[(String, i64)]) -> String {
    if counts.is_empty() {
        return String::new();
    }
    serde_json::to_string(counts).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_and_short_codes_read_and_everything_else_does_not() {
        for (raw, want) in [
            ("👍", "👍"),
            (" 🎉 ", "🎉"),
            ("❤️", "❤️"),
            ("👨‍👩‍👧", "👨‍👩‍👧"),
            ("🇫🇷", "🇫🇷"),
            ("1️⃣", "1️⃣"),
            (":blobcat:", ":blobcat:"),
            (":blobcat@.:", ":blobcat:"),
            (":party_parrot@misskey.example:", ":party_parrot:"),
        ] {
            assert_eq!(parse(raw).as_deref(), Some(want), "{raw}");
        }
        for raw in [
            "",
            "   ",
            "like",
            "👍 👍",
            "<b>👍</b>",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
            "::",
            ":a b:",
            ":<script>:",
            "123",
            "\u{0007}👍",
            "é",
        ] {
            assert_eq!(parse(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn the_emoji_of_misskey_and_pleroma_reactions_as_they_send_them() {
        let read = |doc: &str| crate::federation::wire::parse::<Activity>(doc.as_bytes(), false);
        let misskey = read(include_str!("../../tests/fixtures/wire/misskey/like.json")).unwrap();
        assert_eq!(of(&misskey).as_deref(), Some(":coffee:"));
        let pleroma = read(include_str!(
            "../../tests/fixtures/wire/pleroma/emoji_react.json"
        ))
        .unwrap();
        assert_eq!(of(&pleroma).as_deref(), Some("🎉"));
        assert!(!is_refused(&pleroma));
        let plain = read(include_str!("../../tests/fixtures/wire/mastodon/like.json")).unwrap();
        assert_eq!(of(&plain), None);
        assert!(!is_refused(&plain));
    }

    #[test]
    fn counts_are_written_and_read_back_and_garbage_reads_as_none() {
        let stored = write_counts(&[("👍".into(), 3), (":blobcat:".into(), 1)]);
        assert_eq!(
            read_counts(&stored),
            vec![
                EmojiCount {
                    emoji: "👍".into(),
                    count: 3
                },
                EmojiCount {
                    emoji: ":blobcat:".into(),
                    count: 1
                }
            ]
        );
        assert_eq!(write_counts(&[]), "");
        assert!(read_counts("").is_empty());
        assert!(read_counts("{not json").is_empty());
    }
}
