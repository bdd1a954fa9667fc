//! Where calendar items come from. Each source turns its own things into [`Item`]s; a feed
//! gathers the sources that belong in it: events, and the due dates of project tasks.

use super::ics::{Item, ItemStatus, When};
use crate::accounts::Account;
use crate::error::Result;
use crate::events::lists;
use crate::events::model::{Event, Status};
use crate::federation::urls::Urls;
use crate::projects::model::{Deadline, Status as TaskStatus};
use crate::state::AppState;

/// How many items one feed carries at most.
pub const FEED_LIMIT: i64 = 500;

/// How far back feeds reach: events that ended in the last 90 days stay in them, so a
/// subscriber's calendar keeps what happened recently.
pub fn since() -> i64 {
    crate::storage::now_ms() - 90 * 86_400_000
}

/// An event as a calendar item.
pub fn event_item(e: &Event) -> Item {
    let mut description = crate::events::object::readable_lines(e).join("\n");
    let text = html_to_text(&e.content);
    if !text.is_empty() {
        description = format!("{text}\n\n{description}");
    }
    Item {
        uid: e.uri.clone(),
        summary: e.title.clone(),
        description,
        when: When::Span {
            start: e.starts_at,
            end: e.ends_at,
        },
        timezone: Some(e.timezone.clone()),
        location: if e.has_place() {
            e.place_line()
        } else {
            e.online_url.clone()
        },
        url: if e.url.is_empty() {
            e.uri.clone()
        } else {
            e.url.clone()
        },
        status: match e.status {
            Status::Confirmed => ItemStatus::Confirmed,
            Status::Tentative => ItemStatus::Tentative,
            Status::Cancelled => ItemStatus::Cancelled,
        },
        last_modified: e.updated_at,
    }
}

/// The text of our sanitised HTML: paragraphs and breaks become line breaks, tags go,
/// the few entities we write are decoded.
pub fn html_to_text(html: &str) -> String {
    let spaced = html
        .replace("</p>", "\n\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n");
    let mut out = String::new();
    let mut in_tag = false;
    for c in spaced.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// A task's due date as an all-day item. A done task stays (a calendar keeps what happened),
/// marked done in its title.
pub fn deadline_item(d: &Deadline) -> Option<Item> {
    let due = chrono::NaiveDate::parse_from_str(&d.due_on, "%Y-%m-%d").ok()?;
    let done = d.status == TaskStatus::Done;
    Some(Item {
        uid: d.uid.clone(),
        summary: format!(
            "{}Due: {} ({})",
            if done { "Done · " } else { "" },
            d.title,
            d.project_name
        ),
        description: format!(
            "A task of {}, {}.",
            d.project_name,
            d.status.label().to_lowercase()
        ),
        when: When::AllDay {
            start: due,
            end: due,
        },
        timezone: None,
        location: String::new(),
        url: d.url.clone(),
        status: ItemStatus::Confirmed,
        last_modified: d.updated_at,
    })
}

/// Where an item starts, for ordering a feed (an all-day item at midnight UTC).
fn starts(item: &Item) -> i64 {
    match &item.when {
        When::Span { start, .. } => *start,
        When::AllDay { start, .. } => start
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or_default(),
    }
}

/// The due dates of a project's tasks.
pub async fn project_deadlines(state: &AppState, project_uri: &str) -> Result<Vec<Item>> {
    let deadlines = crate::projects::deadlines_for_project(state, project_uri).await?;
    Ok(deadlines.iter().filter_map(deadline_item).collect())
}

/// A member's private feed: every event they organise (themselves, or for a company they
/// manage, or for the space they administer) or asked to join (seated or waiting), whatever
/// its visibility, the due dates of the tasks assigned to them, and their bookings of rooms
/// and desks (cancelled ones marked so); soonest first.
pub async fn member_private(state: &AppState, account: &Account) -> Result<Vec<Item>> {
    let urls = Urls::new(&state.config);
    let me = urls.member(&account.handle);
    let mut events = lists::upcoming_for(state, &me, true, true, FEED_LIMIT, since()).await?;
    let mut organisers = Vec::new();
    for m in crate::companies::store::memberships_of(&state.db, account.id).await? {
        if m.role.can_manage() {
            organisers.push(urls.company(&m.handle));
        }
    }
    if account.is_admin {
        organisers.push(urls.space());
    }
    for organiser in organisers {
        for e in lists::upcoming_by(state, &organiser, true, FEED_LIMIT, since()).await? {
            if !events.iter().any(|x| x.id == e.id) {
                events.push(e);
            }
        }
    }
    events.sort_by_key(|e| (e.starts_at, e.id));
    events.truncate(FEED_LIMIT as usize);
    let mut items: Vec<Item> = events.iter().map(event_item).collect();
    let cutoff = since();
    for d in crate::projects::deadlines_for_member(state, &me).await? {
        if let Some(item) = deadline_item(&d).filter(|i| starts(i) >= cutoff) {
            items.push(item);
        }
    }
    items
        .extend(crate::bookings::web::calendar_items(state, account.id, cutoff, FEED_LIMIT).await?);
    items.extend(crate::visits::web::calendar_items(state, account.id, cutoff, FEED_LIMIT).await?);
    items.sort_by_key(starts);
    items.truncate(FEED_LIMIT as usize);
    Ok(items)
}
