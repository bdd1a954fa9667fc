//! What differs between SQLite and PostgreSQL, in one place. Every other query is shared.

use super::Backend;

/// SQL fragments that are spelled differently per backend.
#[derive(Debug, Clone, Copy)]
pub struct Dialect(pub Backend);

impl Dialect {
    /// Case-insensitive substring match operator for simple list filters.
    pub fn ilike(&self) -> &'static str {
        match self.0 {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }
}
