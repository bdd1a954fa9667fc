//! The composition layer, above the features: what needs several features at once. The inbound
//! dispatcher ([`dispatch`]: one enum, one `match`, the owning feature's handler) and the
//! processor of the inbox's stored activities with the look-ups that classify them
//! ([`inbound`]); the rules of following (what a Follow, an Accept, a Reject or an Undo does
//! here), the followers, following and outbox collections, discovery (WebFinger, NodeInfo),
//! finding a local actor by its URI (the lookup the floor's context keeps), joining a project
//! (following its group: [`membership`], rules and routes), a domain block's reach into the
//! directory, the Network page and its API, and the notifications page (it shows the people of every
//! feature's notifications). The federation floor
//! (`crate::federation`) sits under the features and knows none of them; this module may use both.

pub mod actors;
pub mod blocks;
pub mod collections;
pub mod discovery;
pub mod dispatch;
pub mod flags;
pub mod follows;
pub mod inbound;
pub mod member_blocks;
pub mod membership;
pub mod moderation;
pub mod network_api;
pub mod network_web;
pub mod notifications_web;
