//! SQL of moderation: members' blocks, mutes and hidden domains (`member_blocks`), reports,
//! limits on remote actors, the audit log, and the extra columns of imported domain-block CSVs.

use std::collections::{HashMap, HashSet};

use sqlx::Row as _;

use super::model::{Actor, ActorLimit, AuditEntry, BlockKind, Category, MemberBlock, Report};
use crate::error::{Error, Result};
use crate::storage::{now_ms, placeholders, Db, Tx};

// --- members' blocks, mutes and hidden domains -----------------------------------------------

/// Adds a block, mute or hidden domain; `false` when it was there already.
pub async fn add_block_tx(
    tx: &mut Tx,
    account_id: i64,
    kind: BlockKind,
    target: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO member_blocks (account_id, kind, target, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, kind, target) DO NOTHING",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(target)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// When the member's block of `target` was recorded, if it is recorded.
pub async fn block_since_tx(tx: &mut Tx, account_id: i64, target: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT created_at FROM member_blocks WHERE account_id = $1 AND kind = 'block' \
         AND target = $2",
    )
    .bind(account_id)
    .bind(target)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Removes a member's block of `target` in the caller's transaction; the time it was recorded,
/// or `None` when there was none.
pub async fn remove_block_tx(tx: &mut Tx, account_id: i64, target: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "DELETE FROM member_blocks WHERE account_id = $1 AND kind = 'block' AND target = $2 \
         RETURNING created_at",
    )
    .bind(account_id)
    .bind(target)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Removes a block, mute or hidden domain; `false` when there was none.
pub async fn remove_block(db: &Db, account_id: i64, kind: BlockKind, target: &str) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM member_blocks WHERE account_id = $1 AND kind = $2 AND target = $3",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(target)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A member's blocks, mutes or hidden domains, newest first.
pub async fn list_blocks(db: &Db, account_id: i64, kind: BlockKind) -> Result<Vec<MemberBlock>> {
    let rows = sqlx::query(
        "SELECT target, created_at FROM member_blocks WHERE account_id = $1 AND kind = $2 \
         ORDER BY created_at DESC, target",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MemberBlock {
                kind,
                target: r.try_get("target")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Error::from)
}

/// Whether any of the local members `account_ids` blocks `actor`.
pub async fn blocked_by_any(db: &Db, account_ids: &[i64], actor: &str) -> Result<bool> {
    if account_ids.is_empty() {
        return Ok(false);
    }
    let sql = format!(
        "SELECT 1 FROM member_blocks WHERE kind = 'block' AND target = $1 \
         AND account_id IN ({}) LIMIT 1",
        placeholders(2, account_ids.len())
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(actor);
    for id in account_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_optional(db.pool()).await?.is_some())
}

/// Whether the member `account_id` keeps `actor` out of their notifications: blocked, muted,
/// or on a domain they hid. Read in the transaction that would notify.
pub async fn silenced_tx(tx: &mut Tx, account_id: i64, actor: &str, host: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM member_blocks WHERE account_id = $1 AND \
         ((kind IN ('block', 'mute') AND target = $2) OR (kind = 'domain' AND target = $3)) LIMIT 1",
    )
    .bind(account_id)
    .bind(actor)
    .bind(host)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// What a member keeps out of their timelines: actors blocked or muted, domains hidden.
#[derive(Debug, Default, Clone)]
pub struct Hidden {
    pub actors: HashSet<String>,
    pub domains: Vec<String>,
}

impl Hidden {
    /// Whether posts by `actor` are hidden.
    pub fn hides(&self, actor: &str) -> bool {
        if self.actors.contains(actor) {
            return true;
        }
        match crate::federation::policy::host_of(actor) {
            Some(host) => self
                .domains
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}"))),
            None => false,
        }
    }
}

pub async fn hidden_for(db: &Db, account_id: i64) -> Result<Hidden> {
    let rows = sqlx::query("SELECT kind, target FROM member_blocks WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(db.pool())
        .await?;
    let mut hidden = Hidden::default();
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let target: String = r.try_get("target")?;
        if kind == "domain" {
            hidden.domains.push(target);
        } else {
            hidden.actors.insert(target);
        }
    }
    Ok(hidden)
}

// --- reports ---------------------------------------------------------------------------------

/// A report to store.
pub struct NewReport<'a> {
    pub category: Category,
    pub comment: &'a str,
    pub target: &'a str,
    pub objects: &'a [String],
    pub reporter_id: Option<i64>,
    pub origin: &'a str,
    pub forward: bool,
}

/// Stores a report inside the caller's transaction; returns its id.
pub async fn insert_report_tx(tx: &mut Tx, r: &NewReport<'_>) -> Result<i64> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reports (category, comment, target, objects, reporter_id, origin, forward, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(r.category.as_str())
    .bind(r.comment)
    .bind(r.target)
    .bind(serde_json::to_string(r.objects).map_err(anyhow::Error::from)?)
    .bind(r.reporter_id)
    .bind(r.origin)
    .bind(r.forward as i64)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn report(db: &Db, id: i64) -> Result<Option<Report>> {
    let sql = format!("SELECT {} FROM reports r WHERE r.id = $1", Report::COLUMNS);
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    Ok(named_reports(db, row.as_slice()).await?.pop())
}

/// Reports, newest first; only those in `state` when given.
pub async fn reports(db: &Db, state: Option<&str>, limit: i64, offset: i64) -> Result<Vec<Report>> {
    let sql = format!(
        "SELECT {} FROM reports r WHERE ($1 = '' OR r.state = $1) \
         ORDER BY r.id DESC LIMIT $2 OFFSET $3",
        Report::COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(state.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    named_reports(db, &rows).await
}

/// Reports from their rows, with the handles of the members they name read from the accounts'
/// owner in one call for the whole page.
async fn named_reports(db: &Db, rows: &[crate::storage::Row]) -> Result<Vec<Report>> {
    let read = rows
        .iter()
        .map(Report::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<i64> = read
        .iter()
        .flat_map(|(_, ids)| ids.iter().flatten().copied())
        .collect();
    let handles: HashMap<i64, String> = crate::accounts::store::names(db, &ids)
        .await?
        .into_iter()
        .map(|(id, n)| (id, n.handle))
        .collect();
    Ok(read
        .into_iter()
        .map(|(mut report, ids)| {
            report.name(ids, &handles);
            report
        })
        .collect())
}

pub async fn open_count(db: &Db) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM reports WHERE state = 'open'")
            .fetch_one(db.pool())
            .await?,
    )
}

/// Assigns an open report (`None` unassigns); `false` when no open report has that id.
pub async fn assign_tx(tx: &mut Tx, id: i64, to: Option<i64>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE reports SET assigned_to = $1, updated_at = $2 WHERE id = $3 AND state = 'open'",
    )
    .bind(to)
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Resolves an open report, in one conditional statement: of two moderators resolving at
/// once, one changes the row and the other is told it was done. `false` when not open.
pub async fn resolve_tx(tx: &mut Tx, id: i64, by: Option<i64>, note: &str) -> Result<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE reports SET state = 'resolved', resolved_by = $1, resolution_note = $2, \
         resolved_at = $3, updated_at = $3 WHERE id = $4 AND state = 'open'",
    )
    .bind(by)
    .bind(note)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Opens a resolved report again; `false` when it was not resolved.
pub async fn reopen_tx(tx: &mut Tx, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE reports SET state = 'open', resolved_by = NULL, resolved_at = NULL, \
         updated_at = $1 WHERE id = $2 AND state = 'resolved'",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn report_exists_tx(tx: &mut Tx, id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM reports WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

// --- limits on remote actors -----------------------------------------------------------------

pub async fn set_actor_limit_tx(
    tx: &mut Tx,
    uri: &str,
    limit: ActorLimit,
    reason: &str,
) -> Result<()> {
    super::cache::changed();
    sqlx::query(
        "INSERT INTO remote_actor_limits (actor_uri, severity, reason, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (actor_uri) DO UPDATE SET severity = $2, reason = $3",
    )
    .bind(uri)
    .bind(limit.as_str())
    .bind(reason)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn remove_actor_limit_tx(tx: &mut Tx, uri: &str) -> Result<bool> {
    super::cache::changed();
    let done = sqlx::query("DELETE FROM remote_actor_limits WHERE actor_uri = $1")
        .bind(uri)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Every limited or suspended remote actor, with its limit.
pub async fn actor_limits(db: &Db) -> Result<Vec<(String, ActorLimit)>> {
    let rows =
        sqlx::query("SELECT actor_uri, severity FROM remote_actor_limits ORDER BY actor_uri")
            .fetch_all(db.pool())
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let sev: String = r.try_get("severity")?;
        let limit = if sev == "suspend" {
            ActorLimit::Suspend
        } else {
            ActorLimit::Limit
        };
        out.push((r.try_get("actor_uri")?, limit));
    }
    Ok(out)
}

// --- the audit log -----------------------------------------------------------------------------

/// Writes a line of the audit log, inside the transaction of the action it records.
pub async fn audit_tx(
    tx: &mut Tx,
    by: &Actor,
    action: &str,
    target: &str,
    report_id: Option<i64>,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO moderation_audit (moderator_id, moderator, action, target, report_id, \
         reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(by.account_id)
    .bind(&by.name)
    .bind(action)
    .bind(target)
    .bind(report_id)
    .bind(reason)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The audit log, newest first; only the lines about one report when given.
pub async fn audit(
    db: &Db,
    report: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT id, moderator, action, target, report_id, reason, created_at FROM moderation_audit \
         WHERE ($1 = 0 OR report_id = $1) ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(report.unwrap_or(0))
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(AuditEntry::from_row)
        .collect::<Result<_, _>>()?)
}

// --- the extra columns of a Mastodon domain-block CSV ---------------------------------------

/// One row of a Mastodon domain-block CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    pub domain: String,
    /// `suspend`, `silence` or `noop`.
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    /// `None` for an empty unquoted field (Mastodon's nil), `Some("")` for `""`.
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

pub async fn upsert_csv_row_tx(tx: &mut Tx, row: &CsvRow) -> Result<()> {
    let position: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM domain_rule_csv")
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query(
        "INSERT INTO domain_rule_csv (domain, position, severity, reject_media, reject_reports, \
         public_comment, obfuscate) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (domain) DO UPDATE SET severity = $3, reject_media = $4, \
         reject_reports = $5, public_comment = $6, obfuscate = $7",
    )
    .bind(&row.domain)
    .bind(position)
    .bind(&row.severity)
    .bind(row.reject_media as i64)
    .bind(row.reject_reports as i64)
    .bind(&row.public_comment)
    .bind(row.obfuscate as i64)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether reports from `host` are refused: an imported row with `reject_reports` for its
/// domain or a parent domain (as Mastodon applies it).
pub async fn rejects_reports(db: &Db, host: &str) -> Result<bool> {
    let domains: Vec<String> =
        sqlx::query_scalar("SELECT domain FROM domain_rule_csv WHERE reject_reports <> 0")
            .fetch_all(db.pool())
            .await?;
    Ok(domains.iter().any(|d| {
        crate::federation::policy::DomainName::parse(d).is_ok_and(|name| name.covers(host))
    }))
}

/// The stored CSV rows, in the order they were first imported.
pub async fn csv_rows(db: &Db) -> Result<Vec<CsvRow>> {
    let rows = sqlx::query(
        "SELECT domain, severity, reject_media, reject_reports, public_comment, obfuscate \
         FROM domain_rule_csv ORDER BY position",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CsvRow {
                domain: r.try_get("domain")?,
                severity: r.try_get("severity")?,
                reject_media: r.try_get::<i64, _>("reject_media")? != 0,
                reject_reports: r.try_get::<i64, _>("reject_reports")? != 0,
                public_comment: r.try_get("public_comment")?,
                obfuscate: r.try_get::<i64, _>("obfuscate")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Error::from)
}
