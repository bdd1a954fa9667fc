//! All SQL of `trusted_spaces` and `visits`.

use super::model::{
    NewVisit, TrustedSpace, Visit, VisitRequest, VisitState, REQUEST_SELECT, VISIT_COLUMNS,
};
use crate::error::Result;
use crate::storage::{now_ms, Db, Dialect, Tx};

const TRUSTED_COLUMNS: &str = "domain, visit_days_per_month, review_visits, created_at, updated_at";

pub async fn trusted_spaces(db: &Db) -> Result<Vec<TrustedSpace>> {
    let sql = format!("SELECT {TRUSTED_COLUMNS} FROM trusted_spaces ORDER BY domain LIMIT 1000");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(TrustedSpace::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn trusted_space(db: &Db, domain: &str) -> Result<Option<TrustedSpace>> {
    let sql = format!("SELECT {TRUSTED_COLUMNS} FROM trusted_spaces WHERE domain = $1");
    let row = sqlx::query(&sql)
        .bind(domain)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| TrustedSpace::from_row(&r)).transpose()?)
}

/// Trusts a space, or changes its quota and whether its visits are reviewed; `true` when it
/// was not trusted before.
pub async fn put_trusted(db: &Db, domain: &str, days: i64, review: bool) -> Result<bool> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let changed = sqlx::query(
        "UPDATE trusted_spaces SET visit_days_per_month = $2, updated_at = $3, \
         review_visits = $4 WHERE domain = $1",
    )
    .bind(domain)
    .bind(days)
    .bind(now)
    .bind(i64::from(review))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        sqlx::query(
            "INSERT INTO trusted_spaces (domain, visit_days_per_month, review_visits, \
             created_at, updated_at) VALUES ($1, $2, $4, $3, $3)",
        )
        .bind(domain)
        .bind(days)
        .bind(now)
        .bind(i64::from(review))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(changed == 0)
}

pub async fn delete_trusted(db: &Db, domain: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM trusted_spaces WHERE domain = $1")
        .bind(domain)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Reads a trusted space inside a write transaction and holds it until the transaction ends:
/// every visitor booking from that space starts here, so two requests of its members never
/// count the same month's days at once (the row lock on PostgreSQL, the one write lock on
/// SQLite). `None` when the space is not trusted.
pub async fn lock_trusted(tx: &mut Tx, domain: &str) -> Result<Option<TrustedSpace>> {
    let sql = format!(
        "SELECT {TRUSTED_COLUMNS} FROM trusted_spaces WHERE domain = $1{}",
        Dialect::of(tx).for_update()
    );
    let row = sqlx::query(&sql)
        .bind(domain)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| TrustedSpace::from_row(&r)).transpose()?)
}

pub async fn insert_visit(tx: &mut Tx, v: &NewVisit) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO visits (account_id, space, space_actor, space_name, resource_uri, \
         resource_name, timezone, starts_at, ends_at, uri, offer_uri, state, reason, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', '', $12, \
         $12) RETURNING id",
    )
    .bind(v.account_id)
    .bind(&v.space)
    .bind(&v.space_actor)
    .bind(&v.space_name)
    .bind(&v.resource_uri)
    .bind(&v.resource_name)
    .bind(&v.timezone)
    .bind(v.starts_at)
    .bind(v.ends_at)
    .bind(&v.uri)
    .bind(&v.offer_uri)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn visit(db: &Db, id: i64) -> Result<Option<Visit>> {
    let sql = format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.map(|r| Visit::from_row(&r)).transpose()?)
}

/// The visit an `Offer` with this id asked for.
pub async fn by_offer(db: &Db, offer_uri: &str) -> Result<Option<Visit>> {
    let sql = format!("SELECT {VISIT_COLUMNS} FROM visits WHERE offer_uri = $1");
    let row = sqlx::query(&sql)
        .bind(offer_uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Visit::from_row(&r)).transpose()?)
}

/// A member's visits ending after `since`, soonest first.
pub async fn of_account(db: &Db, account_id: i64, since: i64, limit: i64) -> Result<Vec<Visit>> {
    let sql = format!(
        "SELECT {VISIT_COLUMNS} FROM visits WHERE account_id = $1 AND ends_at > $2 \
         ORDER BY starts_at, id LIMIT {}",
        limit.clamp(1, 1000)
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(since)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(Visit::from_row).collect::<Result<_, _>>()?)
}

/// Moves a visit to `to` only from one of `from` (one conditional statement, so an answer and
/// a cancellation that cross never both apply); `true` for the one caller that did it.
pub async fn set_state(
    tx: &mut Tx,
    id: i64,
    from: &[VisitState],
    to: VisitState,
    reason: &str,
) -> Result<bool> {
    let allowed: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let sql = format!(
        "UPDATE visits SET state = $2, reason = $3, updated_at = $4 WHERE id = $1 \
         AND state IN ({})",
        allowed.join(", ")
    );
    let done = sqlx::query(&sql)
        .bind(id)
        .bind(to.as_str())
        .bind(reason)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

// --- requests waiting for staff (as host) ---------------------------------------------------

/// What a pending request records.
pub struct NewRequest<'a> {
    pub resource_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub visitor_actor: &'a str,
    pub visitor_space: &'a str,
    pub visitor_label: &'a str,
    pub visitor_offer: &'a str,
    pub reservation: &'a str,
}

pub async fn insert_request(tx: &mut Tx, q: &NewRequest<'_>) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO visit_requests (resource_id, starts_at, ends_at, visitor_actor, \
         visitor_space, visitor_label, visitor_offer, reservation, state, reason, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', '', $9, $9) RETURNING id",
    )
    .bind(q.resource_id)
    .bind(q.starts_at)
    .bind(q.ends_at)
    .bind(q.visitor_actor)
    .bind(q.visitor_space)
    .bind(q.visitor_label)
    .bind(q.visitor_offer)
    .bind(q.reservation)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Requests with their resources' names, asked of the bookings' store in one call.
async fn named(db: &Db, mut list: Vec<VisitRequest>) -> Result<Vec<VisitRequest>> {
    let ids: Vec<i64> = list.iter().map(|q| q.resource_id).collect();
    let names = crate::bookings::store::resource_names(db, &ids).await?;
    for q in &mut list {
        q.resource_name = names.get(&q.resource_id).cloned().unwrap_or_default();
    }
    Ok(list)
}

async fn one_named(db: &Db, row: Option<crate::storage::Row>) -> Result<Option<VisitRequest>> {
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(named(db, vec![VisitRequest::from_row(&row)?]).await?.pop())
}

pub async fn request(db: &Db, id: i64) -> Result<Option<VisitRequest>> {
    let sql = format!("{REQUEST_SELECT} WHERE q.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    one_named(db, row).await
}

/// The request an `Offer` with this id made, if any.
pub async fn request_by_offer(db: &Db, offer: &str) -> Result<Option<VisitRequest>> {
    let sql = format!("{REQUEST_SELECT} WHERE q.visitor_offer = $1");
    let row = sqlx::query(&sql)
        .bind(offer)
        .fetch_optional(db.pool())
        .await?;
    one_named(db, row).await
}

/// Requests in `state` (all of them for `None`), soonest first.
pub async fn requests(db: &Db, state: Option<VisitState>, limit: i64) -> Result<Vec<VisitRequest>> {
    let filter = match state {
        Some(s) => format!("WHERE q.state = '{}'", s.as_str()),
        None => String::new(),
    };
    let sql = format!(
        "{REQUEST_SELECT} {filter} ORDER BY q.starts_at, q.id LIMIT {}",
        limit.clamp(1, 1000)
    );
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    let list = rows
        .iter()
        .map(VisitRequest::from_row)
        .collect::<Result<_, _>>()?;
    named(db, list).await
}

/// Answers a pending request (one conditional statement: of two staff answering at once, one
/// wins); `true` for that one.
pub async fn answer_request(
    tx: &mut Tx,
    id: i64,
    to: VisitState,
    reason: &str,
    booking_id: Option<i64>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE visit_requests SET state = $2, reason = $3, booking_id = $4, updated_at = $5 \
         WHERE id = $1 AND state = 'pending'",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(reason)
    .bind(booking_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the booking an accepted request made, in the transaction that made it.
pub async fn set_request_booking(tx: &mut Tx, id: i64, booking_id: i64) -> Result<()> {
    sqlx::query("UPDATE visit_requests SET booking_id = $2 WHERE id = $1")
        .bind(id)
        .bind(booking_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
