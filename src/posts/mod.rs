//! Posts, comments and direct messages: what members, companies and the space publish
//! (`Note`, `Article` with a title), with visibility public, followers, space members or direct;
//! mentions and hashtags; threaded replies, also to events, tasks, notes and files; `Like` and
//! `Announce` received and counted, emoji reactions by emoji (`emoji`); posts relayed by the
//! communities (FEP-1b12 groups) members follow (`groups`); edits and deletions; the home timeline and the space's
//! feed. Messages (`messages`) are direct posts grouped by conversation.

pub mod access;
pub mod api;
pub mod backfill;
pub mod compose;
pub mod compose_web;
pub mod emoji;
pub mod groups;
pub mod inbound;
pub mod links;
pub mod media;
pub mod model;
pub mod object;
pub mod people;
pub mod profile;
pub mod reactions;
pub mod reactions_web;
pub mod service;
pub mod store;
pub mod targets;
pub mod view;
pub mod web;

pub use model::{Post, Visibility};
