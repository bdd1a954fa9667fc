//! Guildhall: a federated coworking network. One instance hosts one coworking space; its
//! members, companies, projects and events become ActivityPub actors and objects.
//!
//! A tour of the code is in `docs/architecture.md`. In short: `app` builds the router from each
//! feature's `web` (pages) and `api` (JSON) modules; features keep their SQL in `store.rs` and
//! their rules in small service modules; `storage` only opens the pool and runs migrations.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod app;
pub mod bookings;
pub mod calendar;
pub mod cli;
pub mod companies;
pub mod config;
pub mod directory;
pub mod error;
pub mod events;
pub mod federation;
pub mod hub;
pub mod mail;
pub mod media;
pub mod messages;
pub mod metrics;
pub mod moderation;
pub mod notifications;
pub mod ops;
pub mod posts;
pub mod projects;
pub mod spaces;
pub mod state;
pub mod storage;
pub mod validate;
pub mod visits;
pub mod web;
