//! A migrated database for the library's own tests.

use super::Db;

/// A migrated database of its own: a SQLite file in a temp folder, or a fresh PostgreSQL
/// database when `GUILDHALL_TEST_DATABASE_URL` names a server (dropped by `finish`).
pub struct TestDb {
    pub db: Db,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = match std::env::var("GUILDHALL_TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                use rand::Rng;
                let name = format!("gh_unit_{:016x}", rand::thread_rng().gen::<u64>());
                let server = Db::connect(&admin).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(server.writer())
                    .await
                    .unwrap();
                server.close().await;
                let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
                (url, Some((admin, name)))
            }
            _ => (
                format!("sqlite://{}", dir.path().join("x.db").display()),
                None,
            ),
        };
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        TestDb {
            db,
            _dir: dir,
            postgres,
        }
    }

    pub async fn finish(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.postgres {
            let server = Db::connect(&admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(server.writer())
                .await
                .unwrap();
            server.close().await;
        }
    }
}
