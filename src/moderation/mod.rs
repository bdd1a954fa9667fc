//! Moderation inside the space: members' blocks, mutes and hidden domains; reports and the
//! moderators' queue; limits on remote actors; the audit log of every moderation action. What acts on other features' content (deleting a reported post,
//! suspending an account with its content) is composed in `hub::moderation`.

pub mod api;
pub mod blocks;
pub mod cache;
pub mod model;
pub mod queue;
pub mod reports;
pub mod store;
pub mod web;
pub mod web_queue;

pub use model::{AuditEntry, BlockKind, Category, MemberBlock, Report, ReportState};
