//! Calendars: iCalendar feeds of events (and, as other features add their items, task
//! deadlines) for an event, the space, a company, a member, and each member's private
//! tokenised feed of "my events". `ics` writes RFC 5545 from generic items; `sources` turns
//! each feature's things into items; `web` serves the feeds and the settings page.

pub mod api;
pub mod ics;
pub mod sources;
pub mod web;
