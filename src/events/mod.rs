//! Events: organised by a member, a company (its managers) or the space (its admins), with
//! start and end in an IANA time zone, a place and/or an online link, seats, a join mode, a
//! visibility and a category. RSVPs travel as `Join` / `Leave` answered by `Accept` /
//! `Reject`, in both directions; comments are posts replying to the event. On the wire an
//! event is an `Event` (FEP-8a8e with Mobilizon's terms).

pub mod access;
pub mod api;
pub mod cards;
pub mod inbound;
pub mod lists;
pub mod model;
pub mod object;
pub mod service;
pub mod store;
pub mod times;
pub mod upcoming;
pub mod web;

pub use model::Event;
