//! The day and week views of a resource: a grid of cells (a row per booking-sized step of the
//! day, a column per day), each free (with the seats left), full, the viewer's own, closed or
//! past; and what is free today, for the home page.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::model::{hhmm, Booking, Resource};
use super::rules::{instant, local, peak};
use crate::error::Result;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    Free,
    Full,
    Mine,
    Closed,
    Past,
}

#[derive(Debug, Clone)]
pub struct Cell {
    pub state: CellState,
    /// Seats still free (1 for a room that is free).
    pub left: i64,
    /// Wall times in the space's zone, as the booking form takes them.
    pub starts: String,
    pub ends: String,
    /// `Mon 7 Dec, 10:00–11:00`, for labels.
    pub label: String,
}

impl Cell {
    pub fn is(&self, s: &str) -> bool {
        matches!(
            (self.state, s),
            (CellState::Free, "free")
                | (CellState::Full, "full")
                | (CellState::Mine, "mine")
                | (CellState::Closed, "closed")
                | (CellState::Past, "past")
        )
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub time: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone)]
pub struct Grid {
    /// Column headings: (`Mon 7`, `2026-12-07`).
    pub days: Vec<(String, String)>,
    pub rows: Vec<Row>,
    pub cell_minutes: i64,
}

/// How long one cell is: the shortest booking, in whole slots.
pub fn cell_minutes(r: &Resource) -> i64 {
    let slot = r.slot_minutes.max(5);
    let min = r.min_minutes.max(slot);
    (min + slot - 1) / slot * slot
}

/// The minutes of the day the grid shows: the widest opening hours of `days`, or 08:00 to
/// 20:00 for a resource bookable at any hour (other hours are booked with the form).
fn range(r: &Resource, days: &[NaiveDate]) -> Option<(i64, i64)> {
    match &r.hours {
        None => Some((8 * 60, 20 * 60)),
        Some(week) => days
            .iter()
            .filter_map(|d| week[d.weekday().num_days_from_monday() as usize])
            .fold(None, |acc: Option<(i64, i64)>, (a, b)| {
                Some(match acc {
                    None => (a, b),
                    Some((x, y)) => (x.min(a), y.max(b)),
                })
            }),
    }
}

pub fn build(
    r: &Resource,
    tz: Tz,
    days: &[NaiveDate],
    bookings: &[Booking],
    me: Option<i64>,
    now: i64,
) -> Grid {
    let cell = cell_minutes(r);
    let slot = r.slot_minutes.max(5);
    let mut rows = Vec::new();
    if let Some((open, close)) = range(r, days) {
        let mut t = (open + slot - 1) / slot * slot;
        while t + cell <= close && rows.len() < 200 {
            let cells = days
                .iter()
                .map(|day| one_cell(r, tz, *day, t, cell, bookings, me, now))
                .collect();
            rows.push(Row {
                time: hhmm(t),
                cells,
            });
            t += cell;
        }
    }
    Grid {
        days: days
            .iter()
            .map(|d| {
                (
                    d.format("%a %-d").to_string(),
                    d.format("%Y-%m-%d").to_string(),
                )
            })
            .collect(),
        rows,
        cell_minutes: cell,
    }
}

#[allow(clippy::too_many_arguments)]
fn one_cell(
    r: &Resource,
    tz: Tz,
    day: NaiveDate,
    t: i64,
    cell: i64,
    bookings: &[Booking],
    me: Option<i64>,
    now: i64,
) -> Cell {
    let start_naive = day.and_time(NaiveTime::MIN) + Duration::minutes(t);
    let end_naive = start_naive + Duration::minutes(cell);
    let label = format!(
        "{}, {}–{}",
        day.format("%a %-d %b"),
        hhmm(t),
        hhmm((t + cell) % 1440)
    );
    let mut c = Cell {
        state: CellState::Closed,
        left: 0,
        starts: start_naive.format("%Y-%m-%dT%H:%M").to_string(),
        ends: end_naive.format("%Y-%m-%dT%H:%M").to_string(),
        label,
    };
    if let Some(week) = &r.hours {
        match week[day.weekday().num_days_from_monday() as usize] {
            Some((open, close)) if t >= open && t + cell <= close => {}
            _ => return c,
        }
    }
    let (Some(s), Some(e)) = (instant(start_naive, tz), instant(end_naive, tz)) else {
        return c;
    };
    // A wall time of the repeated hour reads as its first occurrence; a cell that would end
    // before it starts is not offered.
    if e <= s || local(s, tz).naive_local() != start_naive {
        return c;
    }
    let over: Vec<&Booking> = bookings
        .iter()
        .filter(|b| b.confirmed() && b.starts_at < e && b.ends_at > s)
        .collect();
    c.left = if r.seats.is_empty() {
        let spans: Vec<(i64, i64)> = over.iter().map(|b| (b.starts_at, b.ends_at)).collect();
        (r.capacity - peak(&spans, s, e) as i64).max(0)
    } else {
        r.seats
            .iter()
            .filter(|seat| !over.iter().any(|b| &b.seat == *seat))
            .count() as i64
    };
    c.state = if me.is_some() && over.iter().any(|b| b.account_id == me) {
        CellState::Mine
    } else if s < now {
        CellState::Past
    } else if c.left > 0 {
        CellState::Free
    } else {
        CellState::Full
    };
    c
}

/// The Monday of the week `day` falls in.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// A resource and what it still has free today, for the home page.
pub struct FreeToday {
    pub resource: Resource,
    /// `Free now`, `Free from 14:00` or `Fully booked today`.
    pub text: String,
    pub free: bool,
}

pub async fn free_today(state: &AppState) -> Result<Vec<FreeToday>> {
    let tz = super::service::zone(state).await?;
    let now = crate::storage::now_ms();
    let today = local(now, tz).date_naive();
    let from = super::rules::day_start(today, tz);
    let to = super::rules::day_start(today + Duration::days(1), tz);
    let mut out = Vec::new();
    for r in super::store::resources(&state.db)
        .await?
        .into_iter()
        .take(12)
    {
        let bookings = super::store::of_resource(&state.db, r.id, from, to).await?;
        let grid = build(&r, tz, &[today], &bookings, None, now);
        let next = grid
            .rows
            .iter()
            .find(|row| row.cells[0].state == CellState::Free)
            .map(|row| row.time.clone());
        let current = grid.rows.iter().any(|row| {
            row.cells[0].state == CellState::Free && {
                let s = super::rules::parse_time(&row.cells[0].starts, tz).unwrap_or(0);
                s <= now + cell_minutes(&r) * 60_000
            }
        });
        let (text, free) = match next {
            Some(_) if current => ("Free now".to_string(), true),
            Some(t) => (format!("Free from {t}"), true),
            None => ("Nothing free today".to_string(), false),
        };
        out.push(FreeToday {
            resource: r,
            text,
            free,
        });
    }
    Ok(out)
}
