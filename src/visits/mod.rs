//! Visits across spaces. As **host**, the space's administrators say which peer spaces they
//! trust and how many visit days a month one of their members may use (`trusted_spaces`);
//! resources open to visitors are listed for peers (`/visitors/resources`); a visitor's
//! `Offer` of a `Reservation` is booked (or refused) at once, quota and seat in one
//! transaction, and answered `Accept` or `Reject` ([`host`]). As **guest**, a member asks a
//! peer space for a day pass or a booking ([`guest`]); the visit is pending until the host's
//! answer. A cancellation on either side travels to the other as an `Undo`.
//! The vocabulary is in docs/federation.md, "Visits across spaces".

pub mod api;
pub mod guest;
pub mod host;
pub mod model;
pub mod object;
pub mod review;
pub mod review_web;
pub mod store;
pub mod web;

pub use model::{TrustedSpace, Visit, VisitState};
