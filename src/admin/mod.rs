//! Administrative tasks run from the command line.

pub mod domains;
pub mod seed;
pub mod users;
