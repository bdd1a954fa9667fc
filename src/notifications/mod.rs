//! Notifications of local members: someone followed them, answered an event, mentioned them,
//! replied, assigned them a task or sent a message. Every feature records its own through
//! [`store::notify`] inside the transaction of the write that causes it; members read them on
//! `/notifications` and through `GET /api/v1/notifications`.

pub mod api;
pub mod store;
pub mod web;

pub use store::{Kind, NewNotification, Notification};
