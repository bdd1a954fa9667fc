//! The other servers of a run: a fresh PostgreSQL database, and the Fedify peer of the
//! federation tests.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::http::{client, until};
use crate::instance::{workspace_root, Guard};
use crate::Res;

/// A fresh PostgreSQL database: `(admin url, name, url)`.
pub(crate) async fn postgres_database() -> Res<(String, String, String)> {
    use sqlx::Connection as _;
    let admin_url = std::env::var("GUILDHALL_BENCH_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::postgres::PgConnection::connect(&admin_url),
    )
    .await
    .map_err(|_| "no PostgreSQL answered".to_string())?
    .map_err(|e| format!("no PostgreSQL reachable: {e}"))?;
    let name = format!("gh_bench_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .map_err(|e| format!("create a database: {e}"))?;
    let _ = conn.close().await;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or("the PostgreSQL URL names no database")?;
    Ok((admin_url.clone(), name.clone(), format!("{base}/{name}")))
}

pub(crate) async fn drop_database(admin_url: &str, name: &str) {
    use sqlx::Connection as _;
    if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

/// The Fedify peer of federation-tests, when node and its modules are present.
pub(crate) async fn fedify_peer() -> Res<(u16, Guard)> {
    let dir = workspace_root()
        .join("federation-tests")
        .join("peer-fedify");
    if !dir.join("node_modules").is_dir() {
        return Err("federation-tests/peer-fedify/node_modules is missing (npm ci there)".into());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = Command::new("node")
        .arg("peer.mjs")
        .current_dir(&dir)
        .env("PEER_PORT", port.to_string())
        .env("PEER_HOST", "peer.test")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("node is not available: {e}"))?;
    let guard = Guard(child);
    let http = client(&[]);
    let health = format!("http://127.0.0.1:{port}/_control/health");
    until("the Fedify peer", Duration::from_secs(30), || {
        let (http, health) = (http.clone(), health.clone());
        async move {
            let r = http.get(&health).send().await.ok()?;
            r.status().is_success().then_some(())
        }
    })
    .await?;
    Ok((port, guard))
}
