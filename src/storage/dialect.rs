//! What differs between SQLite and PostgreSQL, in one place. Every other query is shared.

use super::Backend;

/// SQL fragments that are spelled differently per backend.
#[derive(Debug, Clone, Copy)]
pub struct Dialect(pub Backend);

impl Dialect {
    /// The suffix of a `SELECT` that claims work rows: on PostgreSQL the selected rows are
    /// locked and rows another transaction holds are skipped, so several processes claim
    /// disjoint batches without waiting on each other. SQLite has no row locks; there a claim
    /// runs in a write transaction (`Db::begin_write`, `BEGIN IMMEDIATE`), which serialises
    /// claimers.
    pub fn skip_locked(&self) -> &'static str {
        match self.0 {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_locked_only_on_postgres() {
        assert_eq!(Dialect(Backend::Sqlite).skip_locked(), "");
        assert_eq!(
            Dialect(Backend::Postgres).skip_locked(),
            " FOR UPDATE SKIP LOCKED"
        );
    }
}
