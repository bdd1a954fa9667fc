//! Shared projects: `Group` actors (FEP-1b12) that members of any instance join (a `Follow` of
//! the group, approved by a manager when the project is closed), with a board of tasks, notes
//! with revisions and files, each with comments (posts replying to it). The group `Announce`s
//! its members' contributions to every member's server; a member's server keeps what it is
//! announced and shows the remote project with the same buttons.

pub mod access;
pub mod api;
pub mod federate;
pub mod files;
pub mod item;
pub mod model;
pub mod objects;
pub mod remote;
pub mod service;
pub mod store;
pub mod web;

pub use item::{deadlines_for_member, deadlines_for_project};
pub use model::{Deadline, Project};
