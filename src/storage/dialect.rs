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

    /// `expr` as a value no index can serve, so the planner picks its index by the filters:
    /// SQLite's unary `+`; PostgreSQL plans by statistics and needs nothing.
    pub fn not_indexed(&self, expr: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("+{expr}"),
            Backend::Postgres => expr.to_string(),
        }
    }

    /// Full-text search over the directory (`directory_entries` aliased `e`), the query bound
    /// at `$param`: FTS5 with `bm25` on SQLite, the `search` tsvector with `ts_rank` on
    /// PostgreSQL. Both index the same normalised words in four weighted columns (name;
    /// skills and industry; place; summary), so both find the same entries; `rank` sorts
    /// best first in ascending order on both.
    pub fn directory_fts(&self, param: usize) -> FtsSql {
        match self.0 {
            // CROSS JOIN keeps the full-text match as the outer loop: with a plain JOIN SQLite
            // may scan the entries and run the whole match once per entry.
            Backend::Sqlite => FtsSql {
                from: "directory_fts CROSS JOIN directory_entries e ON e.id = directory_fts.rowid"
                    .into(),
                condition: format!("directory_fts MATCH ${param}"),
                rank: "bm25(directory_fts, 10.0, 5.0, 3.0, 1.0)".into(),
            },
            Backend::Postgres => FtsSql {
                from: "directory_entries e".into(),
                condition: format!("e.search @@ to_tsquery('simple', ${param})"),
                rank: format!(
                    "-ts_rank('{{0.1, 0.3, 0.5, 1.0}}'::float4[], e.search, to_tsquery('simple', ${param}))"
                ),
            },
        }
    }

    /// The text to bind as the full-text query for `words`: every word must occur, each as a
    /// prefix. `words` are what [`search_words`] returns (letters and digits only), so no user
    /// input ever reaches the engine's query syntax; each is quoted on SQLite all the same.
    pub fn fts_query(&self, words: &[String]) -> String {
        match self.0 {
            Backend::Sqlite => words
                .iter()
                .map(|w| format!("\"{}\"*", w.replace('"', "")))
                .collect::<Vec<_>>()
                .join(" "),
            Backend::Postgres => words
                .iter()
                .map(|w| {
                    format!(
                        "{}:*",
                        w.replace(['\'', '\\', ':', '&', '|', '!', '(', ')', '*'], "")
                    )
                })
                .collect::<Vec<_>>()
                .join(" & "),
        }
    }
}

impl Dialect {
    /// Matches and their rank alone, best first, ties by newest id, for when no other filter
    /// needs the entries' columns: `rid` and `r`, query at `$param`, limit and offset at the
    /// next two. Removed entries have no words, so they never match.
    pub fn directory_fts_top(&self, param: usize) -> String {
        let (limit, offset) = (param + 1, param + 2);
        match self.0 {
            Backend::Sqlite => format!(
                "SELECT rowid AS rid, bm25(directory_fts, 10.0, 5.0, 3.0, 1.0) AS r FROM directory_fts \
                 WHERE directory_fts MATCH ${param} ORDER BY r, rowid DESC LIMIT ${limit} OFFSET ${offset}"
            ),
            Backend::Postgres => format!(
                "SELECT e.id AS rid, -ts_rank('{{0.1, 0.3, 0.5, 1.0}}'::float4[], e.search, to_tsquery('simple', ${param})) AS r \
                 FROM directory_entries e WHERE e.search @@ to_tsquery('simple', ${param}) \
                 ORDER BY r, e.id DESC LIMIT ${limit} OFFSET ${offset}"
            ),
        }
    }

    /// How many entries match, query at `$param`, as `n`.
    pub fn directory_fts_count(&self, param: usize) -> String {
        match self.0 {
            Backend::Sqlite => {
                format!("SELECT COUNT(*) AS n FROM directory_fts WHERE directory_fts MATCH ${param}")
            }
            Backend::Postgres => format!(
                "SELECT COUNT(*) AS n FROM directory_entries e WHERE e.search @@ to_tsquery('simple', ${param})"
            ),
        }
    }
}

/// The parts of a full-text query: what to select from, the match condition and the ranking
/// expression (smaller is better).
#[derive(Debug, Clone)]
pub struct FtsSql {
    pub from: String,
    pub condition: String,
    pub rank: String,
}

/// Text as both search engines should see it: lower-case words of letters and digits separated
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
        let words = search_words("rust lisbon");
        assert_eq!(
            Dialect(Backend::Sqlite).fts_query(&words),
            "\"rust\"* \"lisbon\"*"
        );
        assert_eq!(
            Dialect(Backend::Postgres).fts_query(&words),
            "rust:* & lisbon:*"
        );
    }

    #[test]
    fn skip_locked_only_on_postgres() {
        assert_eq!(Dialect(Backend::Sqlite).skip_locked(), "");
        assert_eq!(
            Dialect(Backend::Postgres).skip_locked(),
            " FOR UPDATE SKIP LOCKED"
        );
    }
}
