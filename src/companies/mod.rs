//! Companies working in the space: profiles with facets (industry, skills, place, size, hiring,
//! open to collaborate), logos, members with roles, and invitations.

pub mod actor;
pub mod api;
pub mod invitations_web;
pub mod model;
pub mod service;
pub mod store;
pub mod web;

pub use model::{Company, Membership, Role};
