//! The composition layer, above the features: what needs several features at once. The rules of
//! following (what a Follow, an Accept, a Reject or an Undo does here), the followers, following
//! and outbox collections, discovery (WebFinger, NodeInfo), finding a local actor by its URI, and
//! the Network page and its API. The federation floor (`crate::federation`) sits under the
//! features and knows none of them; this module may use both.

pub mod actors;
pub mod collections;
pub mod discovery;
pub mod follows;
pub mod network_api;
pub mod network_web;
