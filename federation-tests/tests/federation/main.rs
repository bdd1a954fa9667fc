//! Federation tests: real `guildhall serve` processes named `alpha.test`, `beta.test` and
//! `gamma.test` talk to each other, and to an independent ActivityPub server built on Fedify
//! (`peer.test`), over HTTP with signed requests, the delivery queue and inboxes as in
//! production. Start with `harness.rs`; the scenarios are in `instances.rs` (Guildhall to
//! Guildhall), `directory.rs` (the federated directory across three spaces), `fedify.rs`
//! (Guildhall and the Fedify peer), `posts.rs` (posts and direct messages: who receives
//! them, and that private ones are served to nobody else), `moderation.rs` (blocks,
//! forwarded reports, suspensions and Flags across servers) and `community.rs` (a community
//! served by a second independent peer, built on `activitypub_federation`, as `lemmy.test`).
//!
//! The in-process tests of the root package (`tests/it/federation.rs`) check the details of
//! each protocol step; these check that whole processes federate: across restarts, crashes,
//! downtime and domain blocks, and with a server someone else wrote.

mod community;
mod directory;
mod events;
mod fedify;
mod harness;
mod instances;
mod jsonld;
mod moderation;
mod peer;
mod posts;
mod projects;
mod visits;
