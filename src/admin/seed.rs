//! `guildhall admin seed-demo`: a believable demo space.

use crate::config::Config;
use crate::storage::Db;

pub async fn seed_demo(_db: &Db, _config: &Config, _force: bool) -> anyhow::Result<String> {
    anyhow::bail!("not yet")
}
