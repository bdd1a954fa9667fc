//! ActivityPub federation: actors, discovery, HTTP signatures, inboxes and delivery.

pub mod crypto;
pub mod keys;
