//! Administration: tasks run from the command line, and the administrators' pages and APIs
//! that sit above the features (domain rules and blocklist subscriptions, the delivery queue,
//! outgoing mail, members' addresses and two-factor resets).

pub mod blocklists;
pub mod blocklists_api;
pub mod blocklists_web;
pub mod deliveries_api;
pub mod deliveries_web;
pub mod directory;
pub mod domains;
pub mod domains_api;
pub mod domains_csv;
pub mod domains_web;
pub mod mail;
pub mod mail_web;
pub mod members;
pub mod members_api;
pub mod members_web;
pub mod seed;
mod seed_bookings;
mod seed_events;
mod seed_pictures;
pub mod seed_posts;
mod seed_projects;
pub mod store;
pub mod users;
