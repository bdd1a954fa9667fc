//! ActivityPub federation: actors, discovery, HTTP signatures, inboxes and delivery.

pub mod activities;
pub mod authority;
pub mod client;
pub mod collections;
pub mod context;
pub mod crypto;
pub mod delivery;
pub mod delivery_api;
pub mod delivery_web;
pub mod discovery;
pub mod follows;
pub mod follows_api;
pub mod follows_web;
pub mod html;
pub mod inbox;
pub mod keys;
pub mod link;
pub mod local;
pub mod negotiate;
pub mod outbound;
pub mod policy;
pub mod policy_api;
pub mod policy_web;
pub mod protocol;
pub mod remote;
pub mod signatures;
pub mod tombstones;
pub mod urls;
pub mod viewer;
pub mod wire;

pub use context::Context;
