//! ActivityPub federation: actors, discovery, HTTP signatures, inboxes and delivery.

pub mod activities;
pub mod actors;
pub mod authority;
pub mod client;
pub mod context;
pub mod crypto;
pub mod delivery;
pub mod fetch;
pub mod follows;
pub mod html;
pub mod ids;
pub mod inbox;
pub mod keys;
pub mod link;
pub mod local;
pub mod negotiate;
pub mod object;
pub mod outbound;
pub mod outbox;
pub mod policy;
pub mod protocol;
pub mod remote;
pub mod remote_blocks;
pub mod signatures;
pub mod tombstones;
pub mod urls;
pub mod viewer;
pub mod wire;

pub use context::Context;
