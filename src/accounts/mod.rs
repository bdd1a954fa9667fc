//! Members of the space: accounts, passwords, sessions and API tokens, sign-up and sign-in,
//! two-factor sign-in (TOTP), profiles and avatars.

pub mod actor;
pub mod api;
pub mod delete;
pub mod email;
pub mod model;
pub mod password;
pub mod profile;
pub mod register;
pub mod reset;
pub mod reset_web;
pub mod session;
pub mod store;
pub mod throttle;
pub mod totp;
pub mod web;

pub use model::{Account, ProfileLink};
