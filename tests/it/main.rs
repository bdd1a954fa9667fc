//! The integration tests: one binary, one module per feature. Each test starts its own
//! instance (see `support`).

mod accounts;
mod addresses;
mod bookings;
mod browser;
mod cli;
mod communities;
mod companies;
mod delivery;
mod directory;
mod domains;
mod events;
mod federated_moderation;
mod federation;
mod hostile_authority;
mod hostile_calendars;
mod hostile_floor;
mod hostile_links;
mod hostile_more;
mod hostile_web;
mod inbox_crash;
mod mail;
mod moderation;
mod pictures;
mod posts;
mod projects;
mod races;
mod social;
mod spaces;
mod support;
mod totp;
mod visits;
