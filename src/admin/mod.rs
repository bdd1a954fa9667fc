//! Administrative tasks run from the command line.

pub mod directory;
pub mod domains;
pub mod seed;
pub mod seed_posts;
pub mod users;
