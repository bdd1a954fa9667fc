//! What Guildhall's two test harnesses share.
//!
//! The root package's integration tests (`tests/it`) spawn the application in-process;
//! the federation suite (`federation-tests`) starts `guildhall serve` processes. Each harness
//! keeps how it starts an instance; both then use this library for the rest:
//!
//! - [`fresh_database`]: a new SQLite file, or a new PostgreSQL database when
//!   `GUILDHALL_TEST_DATABASE_URL` names a server;
//! - [`eventually`] and [`eventually_exactly`]: bounded polling against a deadline, never a
//!   fixed sleep;
//! - [`Api`]: the HTTP set-up chain against a running instance given its base URL (set the
//!   space up with the administrator `boss`, open registration, sign a member up, get a token,
//!   create a company, follow by handle, wait for a follow's state), and [`client_builder`];
//! - [`MailServer`]: a real SMTP server on loopback that keeps what it receives, plain or with
//!   STARTTLS or TLS from the start under a private [`TestCa`], and optionally requiring AUTH;
//! - [`future_year`], [`ahead`] and the other date helpers, so that no test date goes stale.

mod api;
mod database;
mod dates;
mod poll;
mod smtp;

pub use api::{client_builder, Api};
pub use database::{fresh_database, random_hex, DatabaseNames};
pub use dates::{ahead, future_year, in_days, long_day, spring_forward_day};
pub use poll::{eventually, eventually_exactly, Outcome, SETTLE};
pub use smtp::{smtp_url, LoginAttempt, MailServer, Mechanism, ReceivedMail, Setup, TestCa};

/// The password of the administrator `boss` every set-up instance has.
pub const ADMIN_PASSWORD: &str = "admin password 123";
/// The password of every member the tests sign up.
pub const PASSWORD: &str = "member password 123";
/// The ActivityStreams media type.
pub const AS_JSON: &str = "application/activity+json";
