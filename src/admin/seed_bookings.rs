//! The rooms and desks of the demo space, with a few bookings over the coming days.

use crate::admin::users::describe;
use crate::bookings::model::{BookerKind, NewBooking};
use crate::bookings::rules::{instant, Draft};
use crate::bookings::store;
use crate::storage::Db;

fn weekdays(hours: &str, saturday: &str) -> Option<Vec<(String, String)>> {
    Some(
        crate::bookings::model::WEEKDAYS
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let h = match i {
                    0..=4 => hours,
                    5 => saturday,
                    _ => "",
                };
                (d.to_string(), h.to_string())
            })
            .collect(),
    )
}

/// Adds the demo resources and bookings once (nothing when the space has resources already);
/// returns how many bookings were added.
pub(super) async fn seed_bookings(db: &Db) -> anyhow::Result<usize> {
    if !store::resources(db).await.map_err(describe)?.is_empty() {
        return Ok(0);
    }
    if crate::spaces::store::timezone(db).await.map_err(describe)? == "UTC" {
        crate::spaces::store::set_timezone(db, "Europe/Lisbon")
            .await
            .map_err(describe)?;
    }
    let base = |kind: &str, name: &str| Draft {
        kind: kind.into(),
        name: name.into(),
        members: true,
        companies: true,
        currency: "EUR".into(),
        slot_minutes: Some(30),
        min_minutes: Some(30),
        max_minutes: Some(480),
        max_days_ahead: Some(60),
        hours: weekdays("08:00-20:00", "10:00-16:00"),
        ..Draft::default()
    };
    let resources = [
        Draft {
            description: "Eight seats around an oak table, a large screen and a whiteboard wall. Looks out over the river.".into(),
            capacity: Some(1),
            amenities: vec!["screen".into(), "whiteboard".into(), "video calls".into()],
            location: "Ground floor, by the entrance".into(),
            price_member_hour: "12".into(),
            price_visitor_hour: "20".into(),
            visitors: true,
            ..base("room", "Tejo meeting room")
        },
        Draft {
            description: "A quiet room for four.".into(),
            amenities: vec!["screen".into()],
            location: "First floor".into(),
            price_member_hour: "8".into(),
            ..base("room", "Small room Alfama")
        },
        Draft {
            description: "Hot desks by the windows: take any free one.".into(),
            capacity: Some(10),
            amenities: vec!["monitor".into(), "lamp".into()],
            location: "First floor, open space".into(),
            slot_minutes: Some(60),
            min_minutes: Some(60),
            max_minutes: Some(600),
            price_member_day: "15".into(),
            price_visitor_day: "25".into(),
            visitors: true,
            ..base("desk", "Window desks")
        },
        Draft {
            description: "Fixed desks with a locker, each with its own name.".into(),
            seats: vec!["F1".into(), "F2".into(), "F3".into(), "F4".into()],
            location: "Second floor".into(),
            slot_minutes: Some(60),
            min_minutes: Some(60),
            max_minutes: Some(600),
            price_member_day: "20".into(),
            ..base("desk", "Focus desks")
        },
        Draft {
            description: "A phone booth for calls.".into(),
            slot_minutes: Some(15),
            min_minutes: Some(15),
            max_minutes: Some(120),
            hours: None,
            ..base("booth", "Phone booth")
        },
        Draft {
            description: "The long hall for talks and workshops, up to 60 people.".into(),
            amenities: vec!["projector".into(), "sound".into(), "chairs for 60".into()],
            location: "Ground floor, back".into(),
            companies: true,
            members: false,
            slot_minutes: Some(60),
            min_minutes: Some(120),
            max_minutes: Some(720),
            price_member_day: "250".into(),
            ..base("event_room", "Long hall")
        },
    ];
    let mut ids = Vec::new();
    for d in &resources {
        let new = d.check().map_err(|e| anyhow::anyhow!("{e}"))?;
        ids.push(store::insert_resource(db, &new).await.map_err(describe)?);
    }
    let tz: chrono_tz::Tz = chrono_tz::Europe::Lisbon;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    // (resource index, member, company, days from today, start, end, seat)
    let plan: &[(usize, &str, &str, i64, &str, &str, &str)] = &[
        (0, "ada", "", 1, "10:00", "11:30", ""),
        (0, "tom", "", 1, "14:00", "15:00", ""),
        (0, "ada", "", 2, "09:00", "10:00", ""),
        (1, "priya", "", 1, "11:00", "12:00", ""),
        (2, "joao", "", 1, "09:00", "18:00", ""),
        (2, "lena", "", 1, "09:00", "13:00", ""),
        (2, "ada", "", 2, "09:00", "18:00", ""),
        (3, "tom", "", 1, "09:00", "17:00", "F1"),
        (3, "priya", "", 1, "10:00", "18:00", "F2"),
        (4, "lena", "", 1, "15:00", "15:30", ""),
        (5, "joao", "azulejo", 6, "14:00", "18:00", ""),
    ];
    let mut added = 0;
    let mut tx = db.begin_write().await?;
    for &(r, who, company, days, start, end, seat) in plan {
        let Some(account) = crate::accounts::store::by_handle(db, who)
            .await
            .map_err(describe)?
        else {
            continue;
        };
        let company_id = if company.is_empty() {
            None
        } else {
            crate::companies::store::by_handle(db, company)
                .await
                .map_err(describe)?
                .map(|c| c.id)
        };
        let day = today + chrono::Duration::days(days);
        let at = |t: &str| {
            chrono::NaiveTime::parse_from_str(t, "%H:%M")
                .ok()
                .and_then(|t| instant(day.and_time(t), tz))
        };
        let (Some(s), Some(e)) = (at(start), at(end)) else {
            continue;
        };
        store::insert_booking(
            &mut tx,
            &NewBooking {
                resource_id: ids[r],
                seat: seat.into(),
                starts_at: s,
                ends_at: e,
                booker_kind: if company_id.is_some() {
                    BookerKind::Company
                } else {
                    BookerKind::Member
                },
                account_id: Some(account.id),
                company_id,
                visitor_actor: String::new(),
                visitor_space: String::new(),
                visitor_offer: String::new(),
                visitor_label: String::new(),
                note: String::new(),
                series: String::new(),
            },
        )
        .await
        .map_err(describe)?;
        added += 1;
    }
    tx.commit().await?;
    Ok(added)
}
