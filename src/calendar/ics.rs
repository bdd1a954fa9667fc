//! An iCalendar (RFC 5545) writer for generic calendar items: CRLF line ends, lines folded at
//! 75 octets (never inside a UTF-8 character), TEXT values escaped (`\\`, `;`, `,`, newlines),
//! times in UTC (`…Z`, so no VTIMEZONE is needed) or as all-day dates, and a DTSTAMP on every
//! component. Any feature can turn its things into [`Item`]s: events today, task deadlines
//! next.

use chrono::{DateTime, NaiveDate, Utc};

/// When an item happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// From one instant to another (Unix milliseconds).
    Span { start: i64, end: i64 },
    /// A whole day (a deadline), or several: `end` is the last day, inclusive.
    AllDay { start: NaiveDate, end: NaiveDate },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Confirmed,
    Tentative,
    Cancelled,
}

impl ItemStatus {
    fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Confirmed => "CONFIRMED",
            ItemStatus::Tentative => "TENTATIVE",
            ItemStatus::Cancelled => "CANCELLED",
        }
    }
}

/// One thing in a calendar.
#[derive(Debug, Clone)]
pub struct Item {
    /// Globally unique and stable: the object's URI does.
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub when: When,
    /// The IANA zone the organiser thinks in (an `X-` hint only: times are UTC).
    pub timezone: Option<String>,
    pub location: String,
    pub url: String,
    pub status: ItemStatus,
    /// Unix milliseconds.
    pub last_modified: i64,
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line: at most 75 octets per physical line, continuations start with a
/// space, and a UTF-8 character is never split. Ends with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn utc(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// A whole calendar named `name`, stamped `now` (Unix ms).
pub fn calendar(name: &str, items: &[Item], now: i64) -> String {
    let mut out = String::new();
    let mut line = |s: String| out.push_str(&fold(&s));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Guildhall//Events//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for item in items {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&item.uid)));
        line(format!("DTSTAMP:{}", utc(now)));
        match &item.when {
            When::Span { start, end } => {
                line(format!("DTSTART:{}", utc(*start)));
                line(format!("DTEND:{}", utc(*end)));
            }
            When::AllDay { start, end } => {
                line(format!("DTSTART;VALUE=DATE:{}", date(*start)));
                // DTEND of a date is exclusive.
                let after = end.succ_opt().unwrap_or(*end);
                line(format!("DTEND;VALUE=DATE:{}", date(after)));
            }
        }
        line(format!("SUMMARY:{}", escape(&item.summary)));
        if !item.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&item.description)));
        }
        if !item.location.is_empty() {
            line(format!("LOCATION:{}", escape(&item.location)));
        }
        if !item.url.is_empty() {
            // URL is of type URI: not escaped, only kept to one line.
            line(format!("URL:{}", item.url.replace(['\r', '\n'], "")));
        }
        line(format!("STATUS:{}", item.status.as_str()));
        line(format!("LAST-MODIFIED:{}", utc(item.last_modified)));
        if let Some(tz) = &item.timezone {
            line(format!("X-GUILDHALL-TIMEZONE:{}", escape(tz)));
        }
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a,b;c\\d\ne\r\nf"), "a\\,b\\;c\\\\d\\ne\\nf");
        assert_eq!(escape("bell\u{7}tab\t"), "belltab\t");
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "x".repeat(100));
        let folded = fold(&line);
        let parts: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 75);
        assert_eq!(parts[1], format!(" {}", "x".repeat(33)));
        // Two-octet characters: a fold falls between them, never inside one.
        let line = format!("SUMMARY:{}", "é".repeat(60));
        for part in fold(&line).trim_end_matches("\r\n").split("\r\n") {
            assert!(part.len() <= 75, "{part}");
        }
        let unfolded = fold(&line).replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
        assert_eq!(fold("SHORT:1"), "SHORT:1\r\n");
    }

    #[test]
    fn writes_a_known_calendar() {
        let items = vec![
            Item {
                uid: "https://a.example/events/x".into(),
                summary: "Rust, coffee; and more".into(),
                description: "Line one\nLine two".into(),
                when: When::Span {
                    start: 1_795_000_000_000,
                    end: 1_795_003_600_000,
                },
                timezone: Some("Europe/Lisbon".into()),
                location: "Harbour Works, Rua A 1, Lisbon".into(),
                url: "https://a.example/events/x".into(),
                status: ItemStatus::Cancelled,
                last_modified: 1_795_000_000_000,
            },
            Item {
                uid: "task-1@a.example".into(),
                summary: "Deadline".into(),
                description: String::new(),
                when: When::AllDay {
                    start: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                    end: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                },
                timezone: None,
                location: String::new(),
                url: String::new(),
                status: ItemStatus::Confirmed,
                last_modified: 0,
            },
        ];
        let ics = calendar("Harbour, events", &items, 1_795_000_000_000);
        let expected = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Guildhall//Events//EN\r\n\
CALSCALE:GREGORIAN\r\n\
METHOD:PUBLISH\r\n\
X-WR-CALNAME:Harbour\\, events\r\n\
BEGIN:VEVENT\r\n\
UID:https://a.example/events/x\r\n\
DTSTAMP:20261118T110640Z\r\n\
DTSTART:20261118T110640Z\r\n\
DTEND:20261118T120640Z\r\n\
SUMMARY:Rust\\, coffee\\; and more\r\n\
DESCRIPTION:Line one\\nLine two\r\n\
LOCATION:Harbour Works\\, Rua A 1\\, Lisbon\r\n\
URL:https://a.example/events/x\r\n\
STATUS:CANCELLED\r\n\
LAST-MODIFIED:20261118T110640Z\r\n\
X-GUILDHALL-TIMEZONE:Europe/Lisbon\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:task-1@a.example\r\n\
DTSTAMP:20261118T110640Z\r\n\
DTSTART;VALUE=DATE:20261231\r\n\
DTEND;VALUE=DATE:20270101\r\n\
SUMMARY:Deadline\r\n\
STATUS:CONFIRMED\r\n\
LAST-MODIFIED:19700101T000000Z\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";
        assert_eq!(ics, expected);
    }
}
