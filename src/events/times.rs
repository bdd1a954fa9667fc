//! Wall times in an event's IANA time zone: parsing what the organiser typed, and showing it
//! again (pages, the readable `content` peers show, the wire's offset times).

use chrono::{DateTime, LocalResult, NaiveDateTime, SecondsFormat, TimeZone};
use chrono_tz::Tz;

/// The IANA zone named `raw` (`Europe/Lisbon`, `UTC`), if the time zone database knows it.
pub fn zone(raw: &str) -> Option<Tz> {
    raw.trim().parse::<Tz>().ok()
}

/// Earliest and latest instants accepted (years 1970 to 9999).
const MIN_MS: i64 = 0;
const MAX_MS: i64 = 253_402_300_799_000;

/// A wall time typed in `tz` (`2026-12-01T18:30`, with optional seconds, `T` or a space), or an
/// RFC 3339 instant with its own offset; as Unix milliseconds.
pub fn parse_local(raw: &str, tz: Tz) -> Result<i64, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("is required".into());
    }
    let ms = if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        t.timestamp_millis()
    } else {
        let naive = [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or_else(|| "is not a date and time (YYYY-MM-DDTHH:MM)".to_string())?;
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.timestamp_millis(),
            // A time that happens twice (clocks going back): the first.
            LocalResult::Ambiguous(first, _) => first.timestamp_millis(),
            LocalResult::None => {
                return Err(format!(
                    "does not exist in {} (the clocks change then)",
                    tz.name()
                ))
            }
        }
    };
    if !(MIN_MS..=MAX_MS).contains(&ms) {
        return Err("must be between the years 1970 and 9999".into());
    }
    Ok(ms)
}

fn local(ms: i64, tz: Tz) -> DateTime<Tz> {
    tz.from_utc_datetime(
        &DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .naive_utc(),
    )
}

/// The instant with the zone's offset, as `startTime`/`endTime` carry it
/// (`2026-12-01T18:30:00+00:00`).
pub fn wire(ms: i64, tz_name: &str) -> String {
    match zone(tz_name) {
        Some(tz) => local(ms, tz).to_rfc3339_opts(SecondsFormat::Secs, false),
        None => crate::federation::protocol::datetime(ms),
    }
}

/// The value of a `datetime-local` field (`2026-12-01T18:30`) in the zone.
pub fn input_value(ms: i64, tz_name: &str) -> String {
    let tz = zone(tz_name).unwrap_or(Tz::UTC);
    local(ms, tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// A readable span: `Tue 1 Dec 2026, 18:30–20:00 (Europe/Lisbon)`, or both dates when it
/// spans days.
pub fn span(start: i64, end: i64, tz_name: &str) -> String {
    let tz = zone(tz_name).unwrap_or(Tz::UTC);
    let (a, b) = (local(start, tz), local(end, tz));
    if a.date_naive() == b.date_naive() {
        format!(
            "{}–{} ({})",
            a.format("%a %-d %b %Y, %H:%M"),
            b.format("%H:%M"),
            tz.name()
        )
    } else {
        format!(
            "{} – {} ({})",
            a.format("%a %-d %b %Y, %H:%M"),
            b.format("%a %-d %b %Y, %H:%M"),
            tz.name()
        )
    }
}

/// The start alone, for lists: `Tue 1 Dec, 18:30`.
pub fn short(ms: i64, tz_name: &str) -> String {
    let tz = zone(tz_name).unwrap_or(Tz::UTC);
    local(ms, tz).format("%a %-d %b %Y, %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_times_follow_the_zone() {
        let lisbon = zone("Europe/Lisbon").unwrap();
        // Summer: UTC+1.
        let ms = parse_local("2026-07-01T18:30", lisbon).unwrap();
        assert_eq!(
            crate::federation::protocol::datetime(ms),
            "2026-07-01T17:30:00Z"
        );
        assert_eq!(wire(ms, "Europe/Lisbon"), "2026-07-01T18:30:00+01:00");
        assert_eq!(input_value(ms, "Europe/Lisbon"), "2026-07-01T18:30");
        // An explicit offset wins over the zone.
        let ms = parse_local("2026-12-01T10:00:00+02:00", lisbon).unwrap();
        assert_eq!(
            crate::federation::protocol::datetime(ms),
            "2026-12-01T08:00:00Z"
        );
        assert_eq!(
            span(ms, ms + 5_400_000, "Europe/Lisbon"),
            "Tue 1 Dec 2026, 08:00–09:30 (Europe/Lisbon)"
        );
    }

    #[test]
    fn bad_times_are_refused() {
        let berlin = zone("Europe/Berlin").unwrap();
        assert!(zone("Mars/Olympus").is_none());
        assert!(parse_local("", berlin).is_err());
        assert!(parse_local("2026-02-30T10:00", berlin).is_err());
        assert!(parse_local("tomorrow", berlin).is_err());
        // 02:30 does not exist on the last Sunday of March in Berlin.
        assert!(parse_local("2026-03-29T02:30", berlin).is_err());
        assert!(parse_local("1969-12-31T10:00", berlin).is_err());
    }
}
