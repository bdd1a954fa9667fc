//! The events of the demo space: a few events over the coming weeks, with participants.

use crate::admin::users::describe;
use crate::config::Config;
use crate::storage::Db;

struct DemoEvent {
    /// The last segment of its address (stable, so a second run adds nothing).
    slug: &'static str,
    /// `member:HANDLE`, `company:HANDLE` or `space`.
    organizer: &'static str,
    title: &'static str,
    description: &'static str,
    /// Days from today, start and end wall times in Lisbon.
    in_days: i64,
    /// The weekday its title names, if any: the date moves forward to the next one.
    weekday: Option<chrono::Weekday>,
    starts: &'static str,
    ends: &'static str,
    online: &'static str,
    capacity: &'static str,
    join_mode: &'static str,
    external_url: &'static str,
    visibility: &'static str,
    category: &'static str,
    at_harbour: bool,
    going: &'static [&'static str],
}

const EVENTS: &[DemoEvent] = &[
    DemoEvent {
        slug: "demo-rust-coffee",
        organizer: "member:ada",
        title: "Rust & coffee morning",
        description: "Bring a laptop and a question. We pair on whatever people are stuck on.",
        in_days: 3,
        weekday: None,
        starts: "09:00",
        ends: "10:30",
        online: "",
        capacity: "12",
        join_mode: "free",
        external_url: "",
        visibility: "public",
        category: "SCIENCE_TECH",
        at_harbour: true,
        going: &["joao", "priya"],
    },
    DemoEvent {
        slug: "demo-friday-lunch",
        organizer: "space",
        title: "Friday lunch at the long table",
        description: "Everyone brings something; the space brings bread and coffee.",
        in_days: 1,
        weekday: Some(chrono::Weekday::Fri),
        starts: "12:30",
        ends: "14:00",
        online: "",
        capacity: "",
        join_mode: "free",
        external_url: "",
        visibility: "members",
        category: "FOOD_DRINK",
        at_harbour: true,
        going: &["ada", "tom", "lena"],
    },
    DemoEvent {
        slug: "demo-design-critique",
        organizer: "company:azulejo",
        title: "Design critique: onboarding flows",
        description: "Show an onboarding flow you are working on and get honest feedback.\n\nHybrid: join in the workshop room or online.",
        in_days: 7,
        weekday: None,
        starts: "16:00",
        ends: "17:30",
        online: "https://meet.example/azulejo-critique",
        capacity: "8",
        join_mode: "approval",
        external_url: "",
        visibility: "public",
        category: "LEARNING",
        at_harbour: true,
        going: &["ada"],
    },
    DemoEvent {
        slug: "demo-tax-qa",
        organizer: "company:ledgerly",
        title: "Freelancers' tax Q&A",
        description: "Thirty minutes of questions about VAT, invoices and the yearly return.",
        in_days: 10,
        weekday: None,
        starts: "18:00",
        ends: "18:30",
        online: "https://meet.example/ledgerly-qa",
        capacity: "",
        join_mode: "external",
        external_url: "https://ledgerly.example/qa",
        visibility: "public",
        category: "BUSINESS",
        at_harbour: false,
        going: &[],
    },
];

/// The day of a demo event: `in_days` from `today`, moved forward to the weekday its title
/// names ("Friday lunch" on a Friday).
fn event_day(
    today: chrono::NaiveDate,
    in_days: i64,
    weekday: Option<chrono::Weekday>,
) -> chrono::NaiveDate {
    use chrono::Datelike;
    let mut day = today + chrono::Duration::days(in_days);
    if let Some(w) = weekday {
        while day.weekday() != w {
            day += chrono::Duration::days(1);
        }
    }
    day
}

/// Demo events with a few participants; returns how many were added.
pub(super) async fn seed_events(db: &Db, config: &Config) -> anyhow::Result<usize> {
    use crate::events::model::RsvpState;
    use crate::events::{service, store};
    use crate::federation::urls::Urls;
    let urls = Urls::new(config);
    let lisbon: chrono_tz::Tz = chrono_tz::Europe::Lisbon;
    let today = chrono::Utc::now().with_timezone(&lisbon).date_naive();
    let mut added = 0;
    for e in EVENTS {
        let organizer = match e.organizer.split_once(':') {
            Some(("member", h)) => urls.member(h),
            Some(("company", h)) => urls.company(h),
            _ => urls.space(),
        };
        let day = event_day(today, e.in_days, e.weekday);
        let draft = service::Draft {
            title: e.title.into(),
            description: e.description.into(),
            starts_at: format!("{day}T{}", e.starts),
            ends_at: format!("{day}T{}", e.ends),
            timezone: "Europe/Lisbon".into(),
            place_name: if e.at_harbour { "Harbour Works" } else { "" }.into(),
            street_address: if e.at_harbour { "Rua do Cais 12" } else { "" }.into(),
            locality: if e.at_harbour { "Lisbon" } else { "" }.into(),
            country: if e.at_harbour { "Portugal" } else { "" }.into(),
            online_url: e.online.into(),
            capacity: e.capacity.into(),
            join_mode: e.join_mode.into(),
            external_url: e.external_url.into(),
            visibility: e.visibility.into(),
            category: e.category.into(),
            ..service::Draft::default()
        };
        let mut new = service::check(&draft).map_err(describe)?;
        new.uri = format!("{}/events/{}", urls.base(), e.slug);
        new.url = new.uri.clone();
        new.organizer = organizer;
        let mut tx = db.begin_write().await?;
        let (id, inserted) = store::insert(&mut tx, &new).await.map_err(describe)?;
        if inserted {
            added += 1;
            for handle in e.going {
                let state = if e.join_mode == "approval" {
                    RsvpState::Pending
                } else if store::take_seat(&mut tx, id).await.map_err(describe)? {
                    RsvpState::Accepted
                } else {
                    continue;
                };
                let join = format!("{}/activities/{}-{handle}", urls.base(), e.slug);
                store::put_participant(&mut tx, id, &urls.member(handle), state, &join)
                    .await
                    .map_err(describe)?;
            }
        }
        tx.commit().await?;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn demo_events_fall_on_the_days_their_titles_name() {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        for offset in 0..7 {
            let today = start + chrono::Duration::days(offset);
            for e in EVENTS {
                let day = event_day(today, e.in_days, e.weekday);
                assert!(day > today, "{} is in the future", e.title);
                for (name, w) in [
                    ("Monday", chrono::Weekday::Mon),
                    ("Tuesday", chrono::Weekday::Tue),
                    ("Wednesday", chrono::Weekday::Wed),
                    ("Thursday", chrono::Weekday::Thu),
                    ("Friday", chrono::Weekday::Fri),
                    ("Saturday", chrono::Weekday::Sat),
                    ("Sunday", chrono::Weekday::Sun),
                ] {
                    if e.title.contains(name) {
                        assert_eq!(day.weekday(), w, "{} on {day}", e.title);
                    }
                }
            }
        }
    }
}
