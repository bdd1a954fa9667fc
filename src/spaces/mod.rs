//! The space this instance hosts: first-run setup, its public details, registration mode and
//! invite links, the home page and the admin settings.

pub mod actor;
pub mod api;
pub mod model;
pub mod setup;
pub mod store;
pub mod web;

pub use model::{RegistrationMode, Space, SpaceDetails, SpaceForm};
