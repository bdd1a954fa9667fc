//! Administrative tasks run from the command line.

pub mod seed;
pub mod users;
