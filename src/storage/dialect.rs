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

    /// The suffix of a `SELECT` inside a write transaction that reads what the transaction
    /// then changes: on PostgreSQL the selected rows are locked until the transaction ends, so
    /// a concurrent read-then-write of the same rows waits and then sees this one's outcome
    /// (each statement of a `READ COMMITTED` transaction reads the latest commits). SQLite
    /// needs nothing: its write transaction (`BEGIN IMMEDIATE`) holds the one write lock.
    pub fn for_update(&self) -> &'static str {
        match self.0 {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Like [`Dialect::for_update`], for a row the transaction updates after inserting or
    /// deleting rows that refer to it by a foreign key: on PostgreSQL `FOR NO KEY UPDATE`,
    /// which two such transactions take in turn, while the key-share locks their inserts took
    /// do not make them wait on each other (with `FOR UPDATE`, two transactions that both
    /// inserted before either locked would each wait for the other's key-share lock: a
    /// deadlock).
    pub fn for_no_key_update(&self) -> &'static str {
        match self.0 {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR NO KEY UPDATE",
        }
    }

    /// The dialect of the connection a transaction runs on.
    pub fn of(tx: &super::Tx) -> Dialect {
        match tx.backend_name() {
            "PostgreSQL" => Dialect(Backend::Postgres),
            _ => Dialect(Backend::Sqlite),
        }
    }

    /// A statement that serialises writers of one kind until their transaction ends, or `None`
    /// where the write transaction already does (SQLite's `BEGIN IMMEDIATE`). On PostgreSQL
    /// it is a transaction-scoped advisory lock on `key`, so "read the highest number, write
    /// the next one" cannot hand the same number to two transactions, and numbers become
    /// visible in the order they were taken.
    pub fn serialize_writers(&self, key: i64) -> Option<String> {
        match self.0 {
            Backend::Sqlite => None,
            Backend::Postgres => Some(format!("SELECT pg_advisory_xact_lock({key})")),
        }
    }

    /// An expression making one JSON array text of `columns`, in that order. Selecting it
    /// reads a wide row as one value: decoding value by value through the driver costs
    /// microseconds each, and the directory's index reads every entry at start-up.
    pub fn json_row(&self, columns: &[&str]) -> String {
        let list = columns.join(", ");
        match self.0 {
            Backend::Sqlite => format!("json_array({list})"),
            Backend::Postgres => format!("CAST(json_build_array({list}) AS TEXT)"),
        }
    }
}

/// Text as the directory's search sees it: lower-case words of letters and digits separated
/// by single spaces. Everything else (punctuation, quotes, operators) separates words.
pub fn search_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// [`search_words`] joined by spaces: what is stored in the indexed columns.
pub fn search_text(text: &str) -> String {
    search_words(text).join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_drop_syntax() {
        assert_eq!(
            search_words(r#"Rust "OR" (NEAR* -x) Zürich_ai:col^2"#),
            vec!["rust", "or", "near", "x", "zürich", "ai", "col", "2"]
        );
        assert_eq!(
            search_text("  Data-engineering,  SQL "),
            "data engineering sql"
        );
    }

    #[test]
    fn skip_locked_only_on_postgres() {
        assert_eq!(Dialect(Backend::Sqlite).for_update(), "");
        assert_eq!(Dialect(Backend::Postgres).for_update(), " FOR UPDATE");
        assert_eq!(Dialect(Backend::Sqlite).skip_locked(), "");
        assert_eq!(
            Dialect(Backend::Postgres).skip_locked(),
            " FOR UPDATE SKIP LOCKED"
        );
    }
}
