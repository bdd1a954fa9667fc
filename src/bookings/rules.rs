//! The rules, without I/O: what makes a resource valid, and whether a span of time may be
//! booked (slot length, shortest and longest booking, how far ahead, opening hours, wall
//! times in the space's zone, daylight-saving gaps), and how many seats a set of bookings
//! leaves.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime};
use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;
use serde::Deserialize;

use super::model::{Kind, Week, WEEKDAYS};
use crate::validate::{line, text, FieldErrors};

pub const MINUTE_MS: i64 = 60_000;
pub const DAY_MS: i64 = 86_400_000;
/// Most weeks one recurring booking may span.
pub const MAX_REPEAT_WEEKS: i64 = 26;

/// What an administrator sends to make or change a resource, typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Draft {
    pub kind: String,
    pub name: String,
    pub description: String,
    pub capacity: Option<i64>,
    pub seats: Vec<String>,
    pub amenities: Vec<String>,
    pub location: String,
    /// `None`: bookable at any hour. Otherwise weekday (`mon`…`sun`) → `08:00-18:00`; a
    /// missing or empty day is closed.
    pub hours: Option<Vec<(String, String)>>,
    pub slot_minutes: Option<i64>,
    pub min_minutes: Option<i64>,
    pub max_minutes: Option<i64>,
    pub max_days_ahead: Option<i64>,
    pub members: bool,
    pub companies: bool,
    pub visitors: bool,
    pub currency: String,
    pub price_member_hour: String,
    pub price_member_day: String,
    pub price_visitor_hour: String,
    pub price_visitor_day: String,
}

/// A resource after validation.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub kind: Kind,
    pub name: String,
    pub description: String,
    pub capacity: i64,
    pub seats: Vec<String>,
    pub amenities: Vec<String>,
    pub location: String,
    pub hours: Option<Week>,
    pub slot_minutes: i64,
    pub min_minutes: i64,
    pub max_minutes: i64,
    pub max_days_ahead: i64,
    pub members: bool,
    pub companies: bool,
    pub visitors: bool,
    pub currency: String,
    pub prices: [Option<i64>; 4],
}

/// `08:00` → 480; `24:00` is allowed as an end.
fn minutes_of(raw: &str) -> Option<i64> {
    let (h, m) = raw.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if h == 24 && m == 0 {
        return Some(1440);
    }
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// `08:00-18:00` (or with an en dash) → (480, 1080); "" or `closed` → closed.
pub fn parse_day(raw: &str) -> Result<Option<(i64, i64)>, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.eq_ignore_ascii_case("closed") {
        return Ok(None);
    }
    let (a, b) = raw
        .split_once(['-', '–'])
        .ok_or("must look like 08:00-18:00, or be empty when closed")?;
    match (minutes_of(a), minutes_of(b)) {
        (Some(a), Some(b)) if a < b && a < 1440 => Ok(Some((a, b))),
        (Some(_), Some(_)) => Err("must open before it closes".into()),
        _ => Err("must look like 08:00-18:00, or be empty when closed".into()),
    }
}

/// `12.50` (or `12,50`, `12`) → 1250 minor units; "" → none.
pub fn parse_price(raw: &str) -> Result<Option<i64>, String> {
    let raw = raw.trim().replace(',', ".");
    if raw.is_empty() {
        return Ok(None);
    }
    let (units, cents) = match raw.split_once('.') {
        Some((u, c)) if c.len() <= 2 && !c.is_empty() => (u, format!("{c:0<2}")),
        Some(_) => return Err("must be an amount such as 12.50".into()),
        None => (raw.as_str(), "00".to_string()),
    };
    match (units.parse::<i64>(), cents.parse::<i64>()) {
        (Ok(u), Ok(c))
            if (0..=1_000_000).contains(&u) && units.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(Some(u * 100 + c))
        }
        _ => Err("must be an amount such as 12.50".into()),
    }
}

/// A list of short names (seats, amenities): trimmed, non-empty, unique, each at most 60
/// characters, at most `max` of them.
fn names(list: &[String], max: usize, what: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for raw in list {
        let v = line(raw, 60, false)?;
        if v.is_empty() {
            continue;
        }
        if out.iter().any(|o| o.eq_ignore_ascii_case(&v)) {
            return Err(format!("names {v} twice"));
        }
        out.push(v);
    }
    if out.len() > max {
        return Err(format!("may list at most {max} {what}"));
    }
    Ok(out)
}

/// Splits a comma-separated form field.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split([',', '\n'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

impl Draft {
    /// Every field checked at once.
    pub fn check(&self) -> Result<NewResource, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = e.check("kind", Kind::parse(&self.kind));
        let name = e.check("name", line(&self.name, 80, true));
        let description = e.check("description", text(&self.description, 2000, false));
        let location = e.check("location", line(&self.location, 200, false));
        let seats = e.check("seats", names(&self.seats, 200, "desks"));
        let amenities = e.check("amenities", names(&self.amenities, 30, "amenities"));
        let capacity = match (&seats, self.capacity) {
            (Some(s), _) if !s.is_empty() => Some(s.len() as i64),
            (_, None) => Some(1),
            (_, Some(c)) if (1..=500).contains(&c) => Some(c),
            _ => {
                e.add("capacity", "must be between 1 and 500");
                None
            }
        };
        let hours = match &self.hours {
            None => Some(None),
            Some(days) => {
                let mut week: Week = [None; 7];
                let mut ok = true;
                for (day, value) in days {
                    match WEEKDAYS
                        .iter()
                        .position(|d| d.eq_ignore_ascii_case(day.trim()))
                    {
                        Some(i) => match parse_day(value) {
                            Ok(h) => week[i] = h,
                            Err(m) => {
                                e.add(&format!("hours_{}", WEEKDAYS[i]), m);
                                ok = false;
                            }
                        },
                        None => {
                            e.add(
                                "opening_hours",
                                format!("names an unknown day {day:?} (use mon … sun)"),
                            );
                            ok = false;
                        }
                    }
                }
                ok.then_some(Some(week))
            }
        };
        let slot = self.slot_minutes.unwrap_or(30);
        if !(5..=1440).contains(&slot) || 1440 % slot != 0 {
            e.add(
                "slot_minutes",
                "must divide a day evenly (5, 10, 15, 30, 60, … minutes)",
            );
        }
        let min = self.min_minutes.unwrap_or(slot);
        let max = self.max_minutes.unwrap_or(480);
        if min < slot || min % slot.max(1) != 0 {
            e.add("min_minutes", "must be a whole number of slots");
        }
        if max < min || max > 7 * 1440 || max % slot.max(1) != 0 {
            e.add(
                "max_minutes",
                "must be a whole number of slots, at least the shortest booking and at most 7 days",
            );
        }
        let ahead = self.max_days_ahead.unwrap_or(60);
        if !(1..=730).contains(&ahead) {
            e.add("max_days_ahead", "must be between 1 and 730 days");
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        let currency = if currency.is_empty() {
            "EUR".to_string()
        } else {
            currency
        };
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            e.add("currency", "must be a three-letter code such as EUR");
        }
        let prices = [
            e.check("price_member_hour", parse_price(&self.price_member_hour)),
            e.check("price_member_day", parse_price(&self.price_member_day)),
            e.check("price_visitor_hour", parse_price(&self.price_visitor_hour)),
            e.check("price_visitor_day", parse_price(&self.price_visitor_day)),
        ];
        if !e.is_empty() {
            return Err(e);
        }
        let (Some(kind), Some(name), Some(description), Some(location), Some(seats)) =
            (kind, name, description, location, seats)
        else {
            return Err(e);
        };
        let (Some(amenities), Some(capacity), Some(hours)) = (amenities, capacity, hours) else {
            return Err(e);
        };
        Ok(NewResource {
            kind,
            name,
            description,
            capacity,
            seats,
            amenities,
            location,
            hours,
            slot_minutes: slot,
            min_minutes: min,
            max_minutes: max,
            max_days_ahead: ahead,
            members: self.members,
            companies: self.companies,
            visitors: self.visitors,
            currency,
            prices: [
                prices[0].flatten(),
                prices[1].flatten(),
                prices[2].flatten(),
                prices[3].flatten(),
            ],
        })
    }
}

impl Draft {
    /// A resource's current values, for an edit form or a partial change.
    pub fn of(r: &super::model::Resource) -> Draft {
        use super::model::{day_hours, money};
        let price = |p: Option<i64>| p.map(money).unwrap_or_default();
        Draft {
            kind: r.kind.as_str().into(),
            name: r.name.clone(),
            description: r.description.clone(),
            capacity: Some(r.capacity),
            seats: r.seats.clone(),
            amenities: r.amenities.clone(),
            location: r.location.clone(),
            hours: r.hours.map(|w| {
                w.iter()
                    .enumerate()
                    .map(|(i, d)| (WEEKDAYS[i].to_string(), day_hours(*d)))
                    .collect()
            }),
            slot_minutes: Some(r.slot_minutes),
            min_minutes: Some(r.min_minutes),
            max_minutes: Some(r.max_minutes),
            max_days_ahead: Some(r.max_days_ahead),
            members: r.members,
            companies: r.companies,
            visitors: r.visitors,
            currency: r.currency.clone(),
            price_member_hour: price(r.price_member_hour),
            price_member_day: price(r.price_member_day),
            price_visitor_hour: price(r.price_visitor_hour),
            price_visitor_day: price(r.price_visitor_day),
        }
    }
}

/// A wall time typed in the space's zone (`2026-12-01T10:00`), or an instant with an offset.
/// A wall time the clocks skip is refused; one that happens twice (clocks going back) is the
/// earlier of the two, as for events.
pub fn parse_time(raw: &str, tz: Tz) -> Result<i64, String> {
    crate::events::times::parse_local(raw, tz)
}

/// The local date and time of an instant in `tz`.
pub fn local(ms: i64, tz: Tz) -> DateTime<Tz> {
    tz.from_utc_datetime(
        &DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .naive_utc(),
    )
}

/// The instant of a wall time, `None` in a daylight-saving gap; the earlier when it repeats.
pub fn instant(naive: NaiveDateTime, tz: Tz) -> Option<i64> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.timestamp_millis()),
        LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
        LocalResult::None => None,
    }
}

/// The instant a local day starts (the first existing minute after midnight).
pub fn day_start(day: NaiveDate, tz: Tz) -> i64 {
    let midnight = day.and_time(NaiveTime::MIN);
    (0..=180)
        .step_by(15)
        .find_map(|m| instant(midnight + Duration::minutes(m), tz))
        .unwrap_or_else(|| midnight.and_utc().timestamp_millis())
}

/// The local day of an instant.
pub fn day_of(ms: i64, tz: Tz) -> NaiveDate {
    local(ms, tz).date_naive()
}

/// Why a span may not be booked under `r`'s rules, as (field, message); checked in this
/// order: order, past, slot, length, how far ahead, opening hours.
pub fn check_span(
    r: &super::model::Resource,
    start: i64,
    end: i64,
    now: i64,
    tz: Tz,
) -> Result<(), (&'static str, String)> {
    if end <= start {
        return Err(("ends_at", "must be after the start".into()));
    }
    if start < now {
        return Err(("starts_at", "is in the past".into()));
    }
    let (a, b) = (local(start, tz), local(end, tz));
    let minutes = (end - start) / MINUTE_MS;
    let slot = r.slot_minutes.max(1);
    let since_midnight = i64::from(a.hour()) * 60 + i64::from(a.minute());
    if a.second() != 0 || since_midnight % slot != 0 || (end - start) % (slot * MINUTE_MS) != 0 {
        return Err((
            "starts_at",
            format!("must start and end on the {slot}-minute slots of this resource"),
        ));
    }
    if minutes < r.min_minutes {
        return Err((
            "ends_at",
            format!(
                "is too early: the shortest booking is {} minutes",
                r.min_minutes
            ),
        ));
    }
    if minutes > r.max_minutes {
        return Err((
            "ends_at",
            format!(
                "is too late: the longest booking is {} minutes",
                r.max_minutes
            ),
        ));
    }
    if start > now + r.max_days_ahead * DAY_MS {
        return Err((
            "starts_at",
            format!(
                "is too far ahead: bookings open {} days in advance",
                r.max_days_ahead
            ),
        ));
    }
    if let Some(week) = &r.hours {
        let day = a.date_naive();
        let idx = day.weekday().num_days_from_monday() as usize;
        let Some((open, close)) = week[idx] else {
            return Err((
                "starts_at",
                format!(
                    "falls on a {} and the resource is closed then",
                    super::model::WEEKDAY_LABELS[idx]
                ),
            ));
        };
        let end_min = if b.date_naive() == day {
            i64::from(b.hour()) * 60 + i64::from(b.minute())
        } else if b.date_naive() == day.succ_opt().unwrap_or(day)
            && b.hour() == 0
            && b.minute() == 0
        {
            1440
        } else {
            i64::MAX
        };
        if since_midnight < open || end_min > close {
            return Err((
                "starts_at",
                format!(
                    "is outside the opening hours ({}–{} on {}s)",
                    super::model::hhmm(open),
                    super::model::hhmm(close),
                    super::model::WEEKDAY_LABELS[idx]
                ),
            ));
        }
    }
    Ok(())
}

/// The same wall-clock span `weeks` weeks later: the start and end keep their local times
/// across daylight-saving changes; `None` when one falls in a gap.
pub fn weeks_later(start: i64, end: i64, weeks: i64, tz: Tz) -> Option<(i64, i64)> {
    let shift = |ms: i64| instant(local(ms, tz).naive_local() + Duration::weeks(weeks), tz);
    Some((shift(start)?, shift(end)?))
}

/// The most bookings that overlap at any instant of `[start, end)`, among `spans`.
pub fn peak(spans: &[(i64, i64)], start: i64, end: i64) -> usize {
    let mut points: Vec<(i64, i32)> = Vec::new();
    for &(a, b) in spans {
        let (a, b) = (a.max(start), b.min(end));
        if a < b {
            points.push((a, 1));
            points.push((b, -1));
        }
    }
    // Ends before starts at the same instant: back-to-back bookings do not overlap.
    points.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in points {
        now += d;
        most = most.max(now);
    }
    most as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_prices_parse() {
        assert_eq!(parse_day("08:00-18:00"), Ok(Some((480, 1080))));
        assert_eq!(parse_day("09:30–24:00"), Ok(Some((570, 1440))));
        assert_eq!(parse_day(""), Ok(None));
        assert!(parse_day("18:00-08:00").is_err());
        assert!(parse_day("8 to 6").is_err());
        assert_eq!(parse_price("12.5"), Ok(Some(1250)));
        assert_eq!(parse_price("12"), Ok(Some(1200)));
        assert_eq!(parse_price(""), Ok(None));
        assert!(parse_price("-3").is_err());
        assert!(parse_price("1.234").is_err());
    }

    #[test]
    fn peak_counts_overlaps_not_neighbours() {
        let spans = [(0, 10), (10, 20), (5, 15)];
        assert_eq!(peak(&spans, 0, 20), 2);
        assert_eq!(peak(&spans, 0, 5), 1);
        assert_eq!(peak(&spans, 20, 30), 0);
        assert_eq!(peak(&[(0, 10), (0, 10), (0, 10)], 9, 11), 3);
    }

    #[test]
    fn weekly_repeats_keep_the_wall_time() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // A Monday 10:00 in March, before the clocks change; four weeks later is summer.
        let start = parse_time("2030-03-18T10:00", tz).unwrap();
        let (s, _) = weeks_later(start, start + 3_600_000, 2, tz).unwrap();
        assert_eq!(local(s, tz).format("%H:%M").to_string(), "10:00");
        assert_eq!(s - start, 14 * DAY_MS - 3_600_000);
    }
}
