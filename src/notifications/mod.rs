//! Notifications of local members: someone followed them, answered an event, mentioned them,
//! replied, assigned them a task or sent a message. Every feature records its own through
//! [`store::notify`] inside the transaction of the write that causes it; members read them on
//! `/notifications` (a page of the hub: `hub::notifications_web`, which shows who did it) and through `GET /api/v1/notifications`. Members who want them also get them by mail, at once or
//! in a daily digest, per topic (`topics.rs`, `mailer.rs`, `mail_web.rs`).

pub mod api;
mod mail;
pub use mail::store as mail_store;
pub mod mail_web;
pub mod mailer;
pub mod store;
pub mod topics;

pub use store::{Kind, NewNotification, Notification};
