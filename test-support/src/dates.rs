//! Dates for tests: always in the future, so that no test date goes stale as the calendar
//! moves on.

use chrono::{Datelike, NaiveDate, Weekday};

/// The year the tests' events and deadlines fall in: four years after today's.
pub fn future_year() -> i32 {
    chrono::Utc::now().year() + 4
}

/// A date (and time) in [`future_year`]: `ahead("06-01T18:00")` is `"2030-06-01T18:00"` when
/// run in 2026.
pub fn ahead(month_day_time: &str) -> String {
    format!("{}-{month_day_time}", future_year())
}

/// The day Europe's clocks skip an hour in [`future_year`] (the last Sunday of March), as
/// `YYYY-MM-DD`.
pub fn spring_forward_day() -> String {
    let mut day = NaiveDate::from_ymd_opt(future_year(), 3, 31).expect("March has 31 days");
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().expect("a day before");
    }
    day.format("%Y-%m-%d").to_string()
}

/// How pages write a day of [`future_year`]: `long_day("06-01")` is `"Sat 1 Jun 2030"` in 2026.
pub fn long_day(month_day: &str) -> String {
    NaiveDate::parse_from_str(&ahead(month_day), "%Y-%m-%d")
        .expect("a valid month and day")
        .format("%a %-d %b %Y")
        .to_string()
}

/// `days` after today (UTC) at `hh:mm` UTC, as an instant (`2026-12-05T09:00:00Z`): for rules
/// that count days from now (how far ahead a room may be booked).
pub fn in_days(days: i64, hhmm: &str) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    format!("{day}T{hhmm}:00Z")
}
