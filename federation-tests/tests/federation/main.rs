//! Federation tests: real `guildhall serve` processes named `alpha.test`, `beta.test` and
//! `gamma.test` talk to each other, and to an independent ActivityPub server built on Fedify
//! (`peer.test`), over HTTP with signed requests, the delivery queue and inboxes as in
//! production. Start with `harness.rs`; the scenarios are in `instances.rs` (Guildhall to
//! Guildhall) and `fedify.rs` (Guildhall and the Fedify peer).
//!
//! The in-process tests of the root package (`tests/it/federation.rs`) check the details of
//! each protocol step; these check that whole processes federate: across restarts, crashes,
//! downtime and domain blocks, and with a server someone else wrote.

mod events;
mod fedify;
mod harness;
mod instances;
mod jsonld;
mod peer;
