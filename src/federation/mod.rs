//! ActivityPub federation: actors, discovery, HTTP signatures, inboxes and delivery.

pub mod client;
pub mod crypto;
pub mod discovery;
pub mod html;
pub mod keys;
pub mod negotiate;
pub mod policy;
pub mod protocol;
pub mod signatures;
pub mod urls;
