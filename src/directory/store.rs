//! Every query of the directory: entries (written, removed, listed by change, searched and
//! counted by facet) and peer spaces.

use std::collections::HashSet;

use serde::Serialize;
use sqlx::Row as _;

use super::index::Source;
use super::model::{facet_key, Draft, Entry};
use crate::error::Result;
use crate::federation::policy::{candidates, normalize_host, FederationMode, Policy};
use crate::storage::{search_text, Db, Row, Tx};

/// The advisory lock key that orders directory writers on PostgreSQL.
const SEQ_LOCK: i64 = 0x0067_6864_6972;

/// Takes the directory's write order for this transaction; returns the next change number.
/// Call once per transaction and count up from the answer.
pub async fn next_seq(db: &Db, tx: &mut Tx) -> Result<i64> {
    if let Some(lock) = db.dialect().serialize_writers(SEQ_LOCK) {
        sqlx::query(&lock).execute(&mut **tx).await?;
    }
    let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM directory_entries")
        .fetch_one(&mut **tx)
        .await?;
    Ok(max + 1)
}

/// What is stored for a URI: origin, fingerprint, removed, local.
#[derive(Debug, Clone)]
pub struct Stored {
    pub origin: String,
    pub fingerprint: String,
    pub deleted: bool,
    pub local: bool,
}

pub async fn stored(tx: &mut Tx, uri: &str) -> Result<Option<Stored>> {
    let row = sqlx::query(
        "SELECT origin, fingerprint, deleted, local FROM directory_entries WHERE uri = $1",
    )
    .bind(uri)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| -> Result<Stored> {
        Ok(Stored {
            origin: r.try_get("origin")?,
            fingerprint: r.try_get("fingerprint")?,
            deleted: r.try_get::<i64, _>("deleted")? != 0,
            local: r.try_get::<i64, _>("local")? != 0,
        })
    })
    .transpose()
}

/// Writes an entry (insert or replace) with change number `seq`.
pub async fn write(
    tx: &mut Tx,
    d: &Draft,
    local: bool,
    seq: i64,
    updated_at: i64,
    now: i64,
) -> Result<()> {
    let skills_json = serde_json::to_string(&d.skills).map_err(anyhow::Error::from)?;
    let facets = serde_json::to_string(d).map_err(anyhow::Error::from)?;
    let fts_a = search_text(&format!("{} {}", d.name, d.handle));
    let fts_b = search_text(&format!("{} {}", d.skills.join(" "), d.industry));
    let fts_c = search_text(&format!("{} {} {}", d.city, d.country, d.space_name));
    let fts_d = search_text(&d.summary);
    sqlx::query(
        "INSERT INTO directory_entries (uri, kind, local, origin, origin_host, handle, name, \
         summary, url, icon_url, industry, industry_key, skills, city, city_key, country, \
         space_name, hiring, open_to_collaborate, starts_at, ends_at, facets, fts_a, fts_b, \
         fts_c, fts_d, fingerprint, seq, updated_at, deleted, synced_at) VALUES ($1, $2, $3, \
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
         $22, $23, $24, $25, $26, $27, $28, $29, 0, $30) \
         ON CONFLICT (uri) DO UPDATE SET kind = excluded.kind, local = excluded.local, \
         origin = excluded.origin, origin_host = excluded.origin_host, handle = excluded.handle, \
         name = excluded.name, summary = excluded.summary, url = excluded.url, \
         icon_url = excluded.icon_url, industry = excluded.industry, \
         industry_key = excluded.industry_key, skills = excluded.skills, city = excluded.city, \
         city_key = excluded.city_key, country = excluded.country, \
         space_name = excluded.space_name, hiring = excluded.hiring, \
         open_to_collaborate = excluded.open_to_collaborate, starts_at = excluded.starts_at, \
         ends_at = excluded.ends_at, facets = excluded.facets, fts_a = excluded.fts_a, \
         fts_b = excluded.fts_b, fts_c = excluded.fts_c, fts_d = excluded.fts_d, \
         fingerprint = excluded.fingerprint, seq = excluded.seq, \
         updated_at = excluded.updated_at, deleted = 0, synced_at = excluded.synced_at",
    )
    .bind(&d.uri)
    .bind(d.kind.as_str())
    .bind(local as i64)
    .bind(&d.origin)
    .bind(normalize_host(&d.origin))
    .bind(&d.handle)
    .bind(&d.name)
    .bind(&d.summary)
    .bind(&d.url)
    .bind(&d.icon_url)
    .bind(&d.industry)
    .bind(facet_key(&d.industry))
    .bind(&skills_json)
    .bind(&d.city)
    .bind(facet_key(&d.city))
    .bind(d.country.to_uppercase())
    .bind(&d.space_name)
    .bind(d.hiring as i64)
    .bind(d.open_to_collaborate as i64)
    .bind(d.starts_at)
    .bind(d.ends_at)
    .bind(&facets)
    .bind(&fts_a)
    .bind(&fts_b)
    .bind(&fts_c)
    .bind(&fts_d)
    .bind(d.fingerprint())
    .bind(seq)
    .bind(updated_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks an entry removed with change number `seq`: its text is emptied (nothing of it is
/// searchable or published any more) but the row stays, so peers learn of the removal.
pub async fn remove(tx: &mut Tx, uri: &str, seq: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE directory_entries SET deleted = 1, handle = '', name = '', summary = '', \
         icon_url = '', industry = '', industry_key = '', skills = '[]', city = '', \
         city_key = '', country = '', space_name = '', hiring = 0, open_to_collaborate = 0, \
         facets = '{}', fts_a = '', fts_b = '', fts_c = '', fts_d = '', fingerprint = '', \
         seq = $1, updated_at = $2, synced_at = $2 WHERE uri = $3 AND deleted = 0",
    )
    .bind(seq)
    .bind(now)
    .bind(uri)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(done > 0)
}

/// The live remote entries whose origin is `domain` or one of its subdomains (ports aside).
pub async fn remote_uris_of_domain(tx: &mut Tx, domain: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT uri FROM directory_entries WHERE local = 0 AND deleted = 0 \
         AND (origin_host = $1 OR origin_host LIKE $2)",
    )
    .bind(domain)
    .bind(format!("%.{domain}"))
    .fetch_all(&mut **tx)
    .await?)
}

/// The live remote entries from exactly one origin (`host[:port]`).
pub async fn remote_uris_of_origin(tx: &mut Tx, origin: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT uri FROM directory_entries WHERE local = 0 AND deleted = 0 AND origin = $1",
    )
    .bind(origin)
    .fetch_all(&mut **tx)
    .await?)
}

/// Forgets removed remote entries older than `before` (nobody reads their tombstones).
pub async fn purge_removed(db: &Db, before: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM directory_entries WHERE local = 0 AND deleted = 1 AND updated_at < $1 \
         AND seq < (SELECT MAX(seq) FROM directory_entries)",
    )
    .bind(before)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

/// Live entries from one origin.
pub async fn count_of_origin(db: &Db, origin: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM directory_entries WHERE origin = $1 AND deleted = 0",
    )
    .bind(origin)
    .fetch_one(db.pool())
    .await?)
}

/// Every local entry: URI, fingerprint and whether it is removed.
pub async fn local_index(db: &Db) -> Result<Vec<(String, String, bool)>> {
    let rows =
        sqlx::query("SELECT uri, fingerprint, deleted FROM directory_entries WHERE local = 1")
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("uri")?,
                r.try_get("fingerprint")?,
                r.try_get::<i64, _>("deleted")? != 0,
            ))
        })
        .collect()
}

/// Local entries (live and removed) changed after `after`, oldest change first.
pub async fn local_changes(db: &Db, after: i64, limit: i64) -> Result<Vec<Entry>> {
    let sql = format!(
        "SELECT {} FROM directory_entries e WHERE e.local = 1 AND e.seq > $1 ORDER BY e.seq LIMIT $2",
        Entry::COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(Entry::from_row).collect::<Result<_, _>>()?)
}

pub async fn count_local_live(db: &Db) -> Result<i64> {
    Ok(
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM directory_entries WHERE local = 1 AND deleted = 0",
        )
        .fetch_one(db.pool())
        .await?,
    )
}

/// A live entry by URI.
pub async fn by_uri(db: &Db, uri: &str) -> Result<Option<Entry>> {
    let sql = format!(
        "SELECT {} FROM directory_entries e WHERE e.uri = $1 AND e.deleted = 0",
        Entry::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Entry::from_row(&r)).transpose()?)
}

/// A live entry by `@name@host`.
pub async fn by_handle(db: &Db, handle: &str) -> Result<Option<Entry>> {
    let sql = format!(
        "SELECT {} FROM directory_entries e WHERE e.handle = $1 AND e.deleted = 0 LIMIT 1",
        Entry::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(handle)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Entry::from_row(&r)).transpose()?)
}

/// The highest change number: changes whenever any entry does.
pub async fn generation(db: &Db) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM directory_entries")
            .fetch_one(db.pool())
            .await?,
    )
}

/// A cheap summary of everything local entries are made from: when it is unchanged, so are
/// they. Any profile, company, project, event or space edit bumps its `updated_at`, a
/// deletion its count (events are kept when deleted: their `deleted_at` counts instead), and
/// the number of this space's listable events still to come at `now` drops when one ends.
/// Each source's part is its owner's (`CHANGE_STAMP` of accounts, companies, projects,
/// events, spaces); they are asked in one statement.
pub async fn local_sources_signature(db: &Db, now: i64) -> Result<String> {
    // Built once: every directory search asks it.
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let parts = [
            crate::accounts::store::CHANGE_STAMP,
            crate::companies::store::CHANGE_STAMP,
            crate::projects::store::CHANGE_STAMP,
            crate::events::store::CHANGE_STAMP,
            crate::spaces::store::CHANGE_STAMP,
            // Whether the administrator publishes the directory (as [`publishing`] reads it).
            "SELECT CAST(COALESCE(MAX(directory_publish), 1) AS TEXT) FROM space WHERE id = 1",
        ];
        format!(
            "SELECT {}",
            parts
                .iter()
                .map(|part| format!("COALESCE(({part}), '')"))
                .collect::<Vec<_>>()
                .join(" || '/' || ")
        )
    });
    Ok(sqlx::query_scalar(SQL.as_str())
        .bind(now)
        .fetch_one(db.pool())
        .await?)
}

/// Whether the administrator publishes the directory (true before setup, when nothing is).
pub async fn publishing(db: &Db) -> Result<bool> {
    let v: Option<i64> = sqlx::query_scalar("SELECT directory_publish FROM space WHERE id = 1")
        .fetch_optional(db.pool())
        .await?;
    Ok(v.unwrap_or(1) != 0)
}

pub async fn set_publishing(db: &Db, on: bool) -> Result<()> {
    sqlx::query("UPDATE space SET directory_publish = $1, updated_at = $2 WHERE id = 1")
        .bind(on as i64)
        .bind(crate::storage::now_ms())
        .execute(db.writer())
        .await?;
    Ok(())
}

// --- search ---------------------------------------------------------------------------------

/// The domain rules that hide remote entries: blocked and silenced domains, and in allowlist
/// mode the allowed ones.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    hidden: HashSet<String>,
    allowlist: Option<HashSet<String>>,
}

/// What the rules hide: read through the rule cache of the floor (at most once a second while
/// no rule changes; a change in this process applies at once).
pub async fn visibility(ctx: &crate::federation::Context) -> Result<Visibility> {
    let set = crate::federation::policy::rules_cached(ctx).await?;
    let mut v = Visibility::default();
    let mut allowed = HashSet::new();
    for rule in &set.rules {
        match rule.policy {
            Policy::Block | Policy::Silence => {
                v.hidden.insert(rule.domain.clone());
            }
            Policy::Allow => {
                allowed.insert(rule.domain.clone());
            }
        }
    }
    if set.mode == FederationMode::Allowlist {
        v.allowlist = Some(allowed);
    }
    Ok(v)
}

impl Visibility {
    /// Rules hiding `domains` (and what is under them), for tests.
    #[cfg(test)]
    pub fn hiding(domains: &[&str]) -> Self {
        Visibility {
            hidden: domains.iter().map(|d| d.to_string()).collect(),
            allowlist: None,
        }
    }

    /// Whether remote entries from `host` are hidden: it or a parent domain is blocked or
    /// silenced, or, in allowlist mode, neither it nor a parent is allowed (the rules
    /// `federation::policy::decide` applies to requests).
    pub fn hides(&self, host: &str) -> bool {
        let names = candidates(&normalize_host(host));
        names.iter().any(|n| self.hidden.contains(n))
            || self
                .allowlist
                .as_ref()
                .is_some_and(|allowed| !names.iter().any(|n| allowed.contains(n)))
    }
}

/// What the directory index reads of an entry, in the order of [`Source`]'s fields.
const INDEX_COLUMNS: [&str; 23] = [
    "id",
    "seq",
    "deleted",
    "kind",
    "local",
    "origin",
    "origin_host",
    "industry_key",
    "industry",
    "city_key",
    "city",
    "country",
    "space_name",
    "hiring",
    "open_to_collaborate",
    "starts_at",
    "ends_at",
    "updated_at",
    "skills",
    "fts_a",
    "fts_b",
    "fts_c",
    "fts_d",
];

/// What the directory index reads of the first `limit` entries changed after `after` (removed
/// ones included), oldest change first, along the change-number index.
pub async fn index_sources(db: &Db, after: i64, limit: i64) -> Result<Vec<Source>> {
    let sql = format!(
        "SELECT {} AS j FROM directory_entries WHERE seq > $1 ORDER BY seq LIMIT $2",
        db.dialect().json_row(&INDEX_COLUMNS)
    );
    let rows: Vec<String> = sqlx::query_scalar(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|json| Ok(serde_json::from_str(json).map_err(anyhow::Error::from)?))
        .collect()
}

/// The live entries of `ids`, in that order (those removed meanwhile left out).
pub async fn entries_by_ids(db: &Db, ids: &[i64]) -> Result<Vec<Entry>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids
        .iter()
        .enumerate()
        .map(|(i, _)| format!("${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    // By id alone: with `deleted = 0` beside it SQLite may walk an index on `deleted`.
    let sql = format!(
        "SELECT {} FROM directory_entries e WHERE e.id IN ({list})",
        Entry::COLUMNS
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mut found = std::collections::HashMap::new();
    for r in &rows {
        let e = Entry::from_row(r)?;
        if !e.deleted {
            found.insert(e.id, e);
        }
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

// --- peers ----------------------------------------------------------------------------------

/// A space this one knows, and how syncing its directory goes.
#[derive(Debug, Clone, Serialize)]
pub struct Peer {
    pub domain: String,
    pub source: String,
    pub hops: i64,
    pub software: String,
    pub version: String,
    pub name: String,
    pub users: Option<i64>,
    pub directory_url: Option<String>,
    #[serde(skip)]
    pub cursor: Option<String>,
    /// How many times the peer was set to be read from its start ([`restart_peer`]).
    #[serde(skip)]
    pub restarts: i64,
    pub state: String,
    pub entries: i64,
    pub last_error: Option<String>,
    pub last_sync_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub created_at: i64,
}

impl Peer {
    const COLUMNS: &'static str = "domain, source, hops, software, version, name, users, \
        directory_url, cursor, restarts, state, entries, last_error, last_sync_at, last_success_at, created_at";

    fn from_row(r: &Row) -> Result<Self, sqlx::Error> {
        Ok(Peer {
            domain: r.try_get("domain")?,
            source: r.try_get("source")?,
            hops: r.try_get("hops")?,
            software: r.try_get("software")?,
            version: r.try_get("version")?,
            name: r.try_get("name")?,
            users: r.try_get("users")?,
            directory_url: r.try_get("directory_url")?,
            cursor: r.try_get("cursor")?,
            restarts: r.try_get("restarts")?,
            state: r.try_get("state")?,
            entries: r.try_get("entries")?,
            last_error: r.try_get("last_error")?,
            last_sync_at: r.try_get("last_sync_at")?,
            last_success_at: r.try_get("last_success_at")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// Adds a peer; an existing one keeps its state, but an administrator's adding makes it theirs
/// (and brings it to the front of the queue). Returns whether it is new.
pub async fn add_peer(db: &Db, domain: &str, source: &str, hops: i64, now: i64) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO peers (domain, source, hops, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (domain) DO NOTHING",
    )
    .bind(domain)
    .bind(source)
    .bind(hops)
    .bind(now)
    .execute(db.writer())
    .await?
    .rows_affected();
    if inserted == 0 && source == "admin" {
        sqlx::query(
            "UPDATE peers SET source = 'admin', hops = 0, next_sync_at = 0 WHERE domain = $1",
        )
        .bind(domain)
        .execute(db.writer())
        .await?;
    }
    Ok(inserted > 0)
}

pub async fn peer(db: &Db, domain: &str) -> Result<Option<Peer>> {
    let sql = format!("SELECT {} FROM peers WHERE domain = $1", Peer::COLUMNS);
    let row = sqlx::query(&sql)
        .bind(domain)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Peer::from_row(&r)).transpose()?)
}

pub async fn peers(db: &Db) -> Result<Vec<Peer>> {
    let sql = format!(
        "SELECT {} FROM peers ORDER BY hops, domain LIMIT 1000",
        Peer::COLUMNS
    );
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(Peer::from_row).collect::<Result<_, _>>()?)
}

/// Peers whose turn has come, soonest first.
pub async fn due_peers(db: &Db, now: i64, limit: i64) -> Result<Vec<Peer>> {
    let sql = format!(
        "SELECT {} FROM peers WHERE next_sync_at <= $1 ORDER BY next_sync_at, domain LIMIT $2",
        Peer::COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(now)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(Peer::from_row).collect::<Result<_, _>>()?)
}

/// Removes a peer and the entries it brought.
pub async fn remove_peer(db: &Db, domain: &str, now: i64) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("DELETE FROM peers WHERE domain = $1")
        .bind(domain)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let uris = remote_uris_of_origin(&mut tx, domain).await?;
    if !uris.is_empty() {
        let mut seq = next_seq(db, &mut tx).await?;
        for uri in &uris {
            remove(&mut tx, uri, seq, now).await?;
            seq += 1;
        }
    }
    tx.commit().await?;
    Ok(done > 0)
}

/// What NodeInfo said about a peer.
#[derive(Debug, Clone, Default)]
pub struct PeerInfo {
    pub software: String,
    pub version: String,
    pub name: String,
    pub users: Option<i64>,
    pub directory_url: Option<String>,
}

pub async fn set_peer_info(db: &Db, domain: &str, info: &PeerInfo) -> Result<()> {
    sqlx::query(
        "UPDATE peers SET software = $1, version = $2, name = $3, users = $4, \
         directory_url = $5 WHERE domain = $6",
    )
    .bind(&info.software)
    .bind(&info.version)
    .bind(&info.name)
    .bind(info.users)
    .bind(&info.directory_url)
    .bind(domain)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// How a sync round of a peer ended, as [`set_peer_outcome`] records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome<'a> {
    /// `ok`, `error` or `unsupported` (the peer's `state`).
    pub state: &'a str,
    /// Where the next round starts, when the round moved it.
    pub cursor: Option<&'a str>,
    /// Why the round failed.
    pub error: Option<&'a str>,
    /// When the round ended, and when to sync the peer next.
    pub at: i64,
    pub next_sync_at: i64,
}

impl<'a> Outcome<'a> {
    /// A round that read the peer up to `cursor`.
    pub fn ok(cursor: &'a str, at: i64, next_sync_at: i64) -> Self {
        Outcome {
            state: "ok",
            cursor: Some(cursor),
            error: None,
            at,
            next_sync_at,
        }
    }

    /// A round that failed with `error`, leaving the cursor where it was.
    pub fn error(error: &'a str, at: i64, next_sync_at: i64) -> Self {
        Outcome {
            state: "error",
            cursor: None,
            error: Some(error),
            at,
            next_sync_at,
        }
    }

    /// A peer that publishes no directory.
    pub fn unsupported(error: &'a str, at: i64, next_sync_at: i64) -> Self {
        Outcome {
            state: "unsupported",
            ..Outcome::error(error, at, next_sync_at)
        }
    }

    /// The same, the next round starting at `cursor` (the peer refused the saved one).
    pub fn starting_at(self, cursor: &'a str) -> Self {
        Outcome {
            cursor: Some(cursor),
            ..self
        }
    }
}

/// Records how a sync round of `peer` ended, `peer` being the peer as the round read it at
/// its start. If the peer was restarted since (a limit lifted while the round pulled), the
/// round's cursor is not saved, so the next round reads from the start as the restart asked
/// (one conditional statement on the restart count; the restart is never lost).
pub async fn set_peer_outcome(db: &Db, peer: &Peer, outcome: Outcome<'_>) -> Result<()> {
    let entries = count_of_origin(db, &peer.domain).await?;
    sqlx::query(
        "UPDATE peers SET state = $1, \
         cursor = CASE WHEN restarts = $8 THEN COALESCE($2, cursor) ELSE cursor END, \
         last_error = $3, last_sync_at = $4, \
         last_success_at = CASE WHEN $3 IS NULL THEN $4 ELSE last_success_at END, \
         next_sync_at = $5, entries = $6 WHERE domain = $7",
    )
    .bind(outcome.state)
    .bind(outcome.cursor)
    .bind(outcome.error)
    .bind(outcome.at)
    .bind(outcome.next_sync_at)
    .bind(entries)
    .bind(&peer.domain)
    .bind(peer.restarts)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Domains of the peers that sync well, for other spaces following hops.
pub async fn healthy_peer_domains(db: &Db, limit: i64) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT domain FROM peers WHERE state = 'ok' ORDER BY domain LIMIT $1")
            .bind(limit)
            .fetch_all(db.pool())
            .await?,
    )
}

/// The highest entry id so far (0 when there is none).
pub async fn max_entry_id(db: &Db) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM directory_entries")
            .fetch_one(db.pool())
            .await?,
    )
}

/// Inserts synthetic entries in one transaction, numbered from the directory's next change.
pub async fn insert_batch(db: &Db, drafts: &[Draft], now: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let mut seq = next_seq(db, &mut tx).await?;
    for d in drafts {
        write(&mut tx, d, false, seq, now, now).await?;
        seq += 1;
    }
    tx.commit().await?;
    Ok(())
}

/// Every peer's domain, inside a transaction.
pub async fn peer_domains_tx(tx: &mut Tx) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT domain FROM peers")
        .fetch_all(&mut **tx)
        .await?)
}

/// Forgets a peer's cursor and counts the restart (a round under way then does not save its
/// own over it, [`set_peer_outcome`]): its next pull reads its whole directory again.
const RESTART_PEER: &str =
    "UPDATE peers SET cursor = NULL, restarts = restarts + 1 WHERE domain = $1";

/// Forgets a peer's cursor: its next pull reads its whole directory again.
pub async fn restart_peer_tx(tx: &mut Tx, domain: &str) -> Result<()> {
    sqlx::query(RESTART_PEER)
        .bind(domain)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn restart_peer(db: &Db, domain: &str) -> Result<()> {
    sqlx::query(RESTART_PEER)
        .bind(domain)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Brings every peer's next pull forward to now.
pub async fn make_all_peers_due(db: &Db) -> Result<()> {
    sqlx::query("UPDATE peers SET next_sync_at = 0")
        .execute(db.writer())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_restart_during_a_round_is_never_lost() {
        let test = crate::storage::test_db::TestDb::new().await;
        let db = &test.db;
        add_peer(db, "b.example", "admin", 0, 1).await.unwrap();
        let cursor = |db: &Db| {
            let db = db.clone();
            async move { peer(&db, "b.example").await.unwrap().unwrap().cursor }
        };
        // A round with no restart meanwhile saves where it got to.
        let begun = peer(db, "b.example").await.unwrap().unwrap();
        set_peer_outcome(db, &begun, Outcome::ok("A", 2, 3))
            .await
            .unwrap();
        assert_eq!(cursor(db).await.as_deref(), Some("A"));

        // A limit lifted while a round pulls (the restart and the round's end at once, in
        // either order): the next round reads from the start.
        for _ in 0..20 {
            let begun = peer(db, "b.example").await.unwrap().unwrap();
            let (a, b) = (db.clone(), db.clone());
            let (ended, restarted) = tokio::join!(
                tokio::spawn(
                    async move { set_peer_outcome(&a, &begun, Outcome::ok("B", 4, 5)).await }
                ),
                tokio::spawn(async move { restart_peer(&b, "b.example").await }),
            );
            ended.unwrap().unwrap();
            restarted.unwrap().unwrap();
            assert_eq!(cursor(db).await, None, "the restart holds");
            // The next round, begun after the restart, saves its cursor again.
            let next = peer(db, "b.example").await.unwrap().unwrap();
            set_peer_outcome(db, &next, Outcome::ok("C", 6, 7))
                .await
                .unwrap();
            assert_eq!(cursor(db).await.as_deref(), Some("C"));
        }
        test.finish().await;
    }

    #[test]
    fn domain_rules_hide_a_domain_and_what_is_under_it() {
        let v = Visibility::hiding(&["blocked.example"]);
        assert!(v.hides("blocked.example"));
        assert!(v.hides("Sub.Blocked.Example:8443"));
        assert!(
            !v.hides("notblocked.example"),
            "a suffix is not a parent domain"
        );
        assert!(!v.hides("example"));
        let allowlist = Visibility {
            hidden: HashSet::new(),
            allowlist: Some(["friends.example".to_string()].into()),
        };
        assert!(!allowlist.hides("friends.example"));
        assert!(!allowlist.hides("a.friends.example"));
        assert!(allowlist.hides("strangers.example"));
    }
}
