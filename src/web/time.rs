//! Times as pages show them: relative ("3 minutes ago", "in 2 days"), with the exact time in
//! the `title` and the machine-readable one in `<time datetime>` (the `time` macro of
//! `macros.html`). Rendered on the server: no script needed.

use crate::storage::now_ms;

/// A moment ready for a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// RFC 3339, for `datetime`.
    pub iso: String,
    /// The exact time in UTC, for `title`.
    pub exact: String,
    /// How long ago or how soon, from now.
    pub relative: String,
}

impl Moment {
    /// `ms` (Unix milliseconds) seen from now.
    pub fn at(ms: i64) -> Self {
        Self::seen_from(ms, now_ms())
    }

    /// `ms` seen from `now` (both Unix milliseconds).
    pub fn seen_from(ms: i64, now: i64) -> Self {
        let iso = crate::federation::protocol::datetime(ms);
        let exact = chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%A %-d %B %Y, %H:%M UTC").to_string())
            .unwrap_or_else(|| iso.clone());
        Moment {
            relative: relative(ms, now),
            iso,
            exact,
        }
    }
}

/// "just now", "5 minutes ago", "in 2 days", "3 years ago".
pub fn relative(ms: i64, now: i64) -> String {
    let diff = ms.saturating_sub(now);
    let seconds = diff.unsigned_abs() / 1000;
    if seconds < 45 {
        return "just now".into();
    }
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let (n, unit) = if seconds < 45 * MINUTE {
        (seconds.div_ceil(MINUTE).max(1), "minute")
    } else if seconds < 22 * HOUR {
        ((seconds + HOUR / 2) / HOUR, "hour")
    } else if seconds < 26 * DAY {
        ((seconds + DAY / 2) / DAY, "day")
    } else if seconds < 320 * DAY {
        (((seconds + 15 * DAY) / (30 * DAY)).max(1), "month")
    } else {
        (((seconds + 182 * DAY) / (365 * DAY)).max(1), "year")
    };
    let counted = if n == 1 {
        format!("{} {unit}", if unit == "hour" { "an" } else { "a" })
    } else {
        format!("{n} {unit}s")
    };
    if diff < 0 {
        format!("{counted} ago")
    } else {
        format!("in {counted}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    const MIN: i64 = 60_000;

    #[test]
    fn reads_like_speech() {
        assert_eq!(relative(NOW - 10_000, NOW), "just now");
        assert_eq!(relative(NOW + 10_000, NOW), "just now");
        assert_eq!(relative(NOW - MIN, NOW), "a minute ago");
        assert_eq!(relative(NOW - 3 * MIN, NOW), "3 minutes ago");
        assert_eq!(relative(NOW - 60 * MIN, NOW), "an hour ago");
        assert_eq!(relative(NOW - 5 * 60 * MIN, NOW), "5 hours ago");
        assert_eq!(relative(NOW + 2 * 24 * 60 * MIN, NOW), "in 2 days");
        assert_eq!(relative(NOW - 24 * 60 * MIN, NOW), "a day ago");
        assert_eq!(relative(NOW - 60 * 24 * 60 * MIN, NOW), "2 months ago");
        assert_eq!(relative(NOW - 800 * 24 * 60 * MIN, NOW), "2 years ago");
    }

    #[test]
    fn keeps_the_exact_time() {
        let m = Moment::seen_from(NOW - 3 * MIN, NOW);
        assert_eq!(m.relative, "3 minutes ago");
        assert!(m.iso.starts_with("2025-12-31T23:57:00"), "{}", m.iso);
        assert_eq!(m.exact, "Wednesday 31 December 2025, 23:57 UTC");
    }
}
