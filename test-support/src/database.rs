//! A fresh database for each instance a test starts.

use std::path::Path;

/// How a harness names its databases: PostgreSQL databases `<postgres_prefix>_<hex>` (which
/// `.ci/run` drops after a pass), or a SQLite file `sqlite_file` in the instance's folder.
#[derive(Clone, Copy, Debug)]
pub struct DatabaseNames {
    pub postgres_prefix: &'static str,
    pub sqlite_file: &'static str,
}

/// A fresh database URL for one instance: a SQLite file in `dir`, or a new PostgreSQL database
/// when `GUILDHALL_TEST_DATABASE_URL` names a server (for example
/// `postgres://postgres@127.0.0.1:5432/postgres`).
pub async fn fresh_database(dir: &Path, names: DatabaseNames) -> String {
    match std::env::var("GUILDHALL_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.trim().is_empty() => {
            use sqlx::Connection as _;
            let name = format!("{}_{}", names.postgres_prefix, random_hex());
            let mut conn = sqlx::postgres::PgConnection::connect(&admin_url)
                .await
                .expect("connect to GUILDHALL_TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create a test database");
            let _ = conn.close().await;
            let (base, _) = admin_url
                .rsplit_once('/')
                .expect("GUILDHALL_TEST_DATABASE_URL names a database");
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.join(names.sqlite_file).display()),
    }
}

/// A random hex string of 16 digits (database names, activity ids).
pub fn random_hex() -> String {
    format!("{:016x}", rand::random::<u64>())
}
