//! The database pool, the embedded migrations and the small seam between SQLite and
//! PostgreSQL. Queries themselves live in each feature's `store.rs`; they are written once, with
//! `$N` placeholders, and run unchanged on both backends through sqlx's `Any` driver.

mod dialect;
pub mod fresh;
#[cfg(test)]
pub(crate) mod test_db;

pub use dialect::{search_text, search_words, Dialect};

use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Transaction};

/// Which database engine an URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL (use sqlite:// or postgres://)")
        }
    }
}

/// A transaction on either backend.
pub type Tx = Transaction<'static, sqlx::Any>;
/// A row from either backend.
pub type Row = AnyRow;

/// The shared handle to the database.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// Where writes go, apart from reads, so that writers waiting for a lock hold no reading
    /// connection and a write transaction can always read through `pool` (otherwise writers
    /// waiting for the lock could hold every pooled connection while the transaction holding
    /// the lock waits for one to read). On SQLite a pool of one connection: SQLite has one
    /// writer at a time anyway. On PostgreSQL a pool of its own: transactions that lock a row
    /// (`Dialect::for_update`) queue there, fifty joins of one event included.
    writer: AnyPool,
    backend: Backend,
}

static MIGRATIONS_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static MIGRATIONS_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Opens a pool. A SQLite file is created when missing and put in WAL mode.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                let url = sqlite_url_with_create(url);
                // Each pooled connection has its own page cache, held once filled: readers keep
                // 2 MB each, the writer (whose changes go through its cache) 4 MB. A page
                // missing from a cache is read from the file, usually from the kernel's cache.
                // No memory map (`mmap_size = 0`): with one, every page read stayed resident in
                // this process (8 MiB more at the inbox benchmark's peak) for no speed measured
                // (docs/benchmarks.md). Sorting spills to memory, not a temporary file.
                // A connection to a local file cannot go stale while idle, so it is not pinged
                // before each use (the pool's default): on SQLite a ping is a round trip to the
                // connection's own thread, a third of the hand-offs of a one-statement read
                // (the pool still tests each connection when it is given back).
                let open = |connections: u32, cache_kib: u32| {
                    AnyPoolOptions::new()
                        .max_connections(connections)
                        .acquire_timeout(Duration::from_secs(30))
                        .test_before_acquire(false)
                        .after_connect(move |conn, _meta| {
                            Box::pin(async move {
                                conn.execute(
                                    format!(
                                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                                         PRAGMA mmap_size = 0; \
                                         PRAGMA cache_size = -{cache_kib}; \
                                         PRAGMA temp_store = MEMORY;"
                                    )
                                    .as_str(),
                                )
                                .await?;
                                Ok(())
                            })
                        })
                };
                // The writer first: it creates the file and switches it to WAL.
                let writer = open(1, 4000)
                    .connect(&url)
                    .await
                    .context("cannot open the database")?;
                let pool = open(8, 2000)
                    .connect(&url)
                    .await
                    .context("cannot open the database")?;
                (pool, writer)
            }
            Backend::Postgres => {
                let open = |connections: u32| {
                    AnyPoolOptions::new()
                        .max_connections(connections)
                        .acquire_timeout(Duration::from_secs(30))
                };
                let pool = open(16)
                    .connect(url)
                    .await
                    .context("cannot open the database")?;
                let writer = open(8)
                    .connect(url)
                    .await
                    .context("cannot open the database")?;
                (pool, writer)
            }
        };
        Ok(Db {
            pool,
            writer,
            backend,
        })
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &MIGRATIONS_SQLITE,
            Backend::Postgres => &MIGRATIONS_POSTGRES,
        };
        migrator
            .run(&self.pool)
            .await
            .context("cannot apply database migrations")?;
        Ok(())
    }

    /// For reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// For a write outside a transaction (`begin_write` is for writes that belong together).
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn dialect(&self) -> Dialect {
        Dialect(self.backend)
    }

    /// Starts a transaction meant to write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write never fails half-way on lock upgrade.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// Whether the database answers a trivial query (the health check).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// `sqlite://guildhall.db` → `sqlite://guildhall.db?mode=rwc`, so a first start creates the file.
fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Milliseconds since the Unix epoch: the one time format stored in the database.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whether a database error is a unique-constraint violation (a taken handle, say).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// The placeholders of an `IN (…)` list of `n` values bound from `$first` on:
/// `$first, $first+1, …`. Callers bind the values in that order.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `VALUES` rows of a multi-row insert: `rows` groups of `per_row` placeholders each,
/// numbered from `first` on, e.g. `($3, $4), ($5, $6)`. `shared` placeholders written before
/// each row's own (such as `$1, $2`, bound once for all rows) open every group.
pub fn value_rows(shared: &str, first: usize, rows: usize, per_row: usize) -> String {
    (0..rows)
        .map(|r| {
            let own = placeholders(first + r * per_row, per_row);
            match (shared.is_empty(), per_row) {
                (true, _) => format!("({own})"),
                (false, 0) => format!("({shared})"),
                (false, _) => format!("({shared}, {own})"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of `sql`, a `SELECT … WHERE id IN ({})` whose `{}` takes the placeholders, for each
/// of `ids` (repeats read once), in chunks of 500 so no statement outgrows the backends' limit
/// on bound values: how a feature's store reads a page's worth of its rows by id for another.
pub async fn rows_by_ids(db: &Db, sql: &str, ids: &[i64]) -> sqlx::Result<Vec<Row>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = sql.replacen("{}", &placeholders(1, chunk.len()), 1);
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(out)
}

/// Converts a stored JSON list of strings; a damaged value reads as empty rather than failing.
pub fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_number_each_row() {
        assert_eq!(value_rows("", 1, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(value_rows("$1, $2", 3, 2, 1), "($1, $2, $3), ($1, $2, $4)");
        assert_eq!(value_rows("$1", 2, 2, 0), "($1), ($1)");
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(
            sqlite_url_with_create("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://x").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("postgres://x").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://x").is_err());
    }
}
