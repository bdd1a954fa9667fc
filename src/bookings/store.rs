//! All SQL of resources and bookings.

use super::model::{Booking, NewBooking, Resource, RESOURCE_COLUMNS};
use super::rules::NewResource;
use crate::error::Result;
use crate::storage::{now_ms, Db, Dialect, Tx};

fn hours_text(r: &NewResource) -> Option<String> {
    r.hours.as_ref().and_then(|w| serde_json::to_string(w).ok())
}

fn list_text(l: &[String]) -> String {
    serde_json::to_string(l).unwrap_or_else(|_| "[]".into())
}

/// Binds a resource's fields, in the order both the insert and the update name them (a macro:
/// the two are different query types).
macro_rules! bind_fields {
    ($query:expr, $r:expr) => {
        $query
            .bind($r.kind.as_str())
            .bind(&$r.name)
            .bind(&$r.description)
            .bind($r.capacity)
            .bind(list_text(&$r.seats))
            .bind(list_text(&$r.amenities))
            .bind(&$r.location)
            .bind(hours_text($r))
            .bind($r.slot_minutes)
            .bind($r.min_minutes)
            .bind($r.max_minutes)
            .bind($r.max_days_ahead)
            .bind(i64::from($r.members))
            .bind(i64::from($r.companies))
            .bind(i64::from($r.visitors))
            .bind(&$r.currency)
            .bind($r.prices[0])
            .bind($r.prices[1])
            .bind($r.prices[2])
            .bind($r.prices[3])
    };
}

pub async fn insert_resource(db: &Db, r: &NewResource) -> Result<i64> {
    let now = now_ms();
    let query = sqlx::query_scalar(
        "INSERT INTO resources (kind, name, description, capacity, seats, amenities, location, \
         opening_hours, slot_minutes, min_minutes, max_minutes, max_days_ahead, allow_members, \
         allow_companies, allow_visitors, currency, price_member_hour, price_member_day, \
         price_visitor_hour, price_visitor_day, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $21) RETURNING id",
    );
    let id: i64 = bind_fields!(query, r)
        .bind(now)
        .fetch_one(db.writer())
        .await?;
    Ok(id)
}

/// Replaces a resource's details, in the transaction that locked it.
pub async fn update_resource(tx: &mut Tx, id: i64, r: &NewResource) -> Result<()> {
    let query = sqlx::query(
        "UPDATE resources SET kind = $2, name = $3, description = $4, capacity = $5, seats = $6, \
         amenities = $7, location = $8, opening_hours = $9, slot_minutes = $10, \
         min_minutes = $11, max_minutes = $12, max_days_ahead = $13, allow_members = $14, \
         allow_companies = $15, allow_visitors = $16, currency = $17, price_member_hour = $18, \
         price_member_day = $19, price_visitor_hour = $20, price_visitor_day = $21, \
         updated_at = $22 WHERE id = $1",
    )
    .bind(id);
    bind_fields!(query, r)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets the photo; returns the key it replaces.
pub async fn set_photo(db: &Db, id: i64, key: Option<&str>) -> Result<Option<String>> {
    let mut tx = db.begin_write().await?;
    let old: Option<Option<String>> =
        sqlx::query_scalar("SELECT photo_key FROM resources WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query("UPDATE resources SET photo_key = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(key)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(old.flatten())
}

/// Deletes a resource and its bookings; returns its photo key, `None` when it did not exist.
pub async fn delete_resource(db: &Db, id: i64) -> Result<Option<Option<String>>> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM bookings WHERE resource_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let photo: Option<Option<String>> =
        sqlx::query_scalar("DELETE FROM resources WHERE id = $1 RETURNING photo_key")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(photo)
}

pub async fn resource(db: &Db, id: i64) -> Result<Option<Resource>> {
    let sql = format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.map(|r| Resource::from_row(&r)).transpose()?)
}

/// The names of the resources of `ids` that exist, by id (for another feature's list).
pub async fn resource_names(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    let rows =
        crate::storage::rows_by_ids(db, "SELECT id, name FROM resources WHERE id IN ({})", ids)
            .await?;
    let mut out = std::collections::HashMap::with_capacity(rows.len());
    for r in rows {
        out.insert(
            sqlx::Row::try_get::<i64, _>(&r, "id")?,
            sqlx::Row::try_get(&r, "name")?,
        );
    }
    Ok(out)
}

pub async fn resources(db: &Db) -> Result<Vec<Resource>> {
    let sql = format!("SELECT {RESOURCE_COLUMNS} FROM resources ORDER BY kind, name, id LIMIT 500");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(Resource::from_row)
        .collect::<Result<_, _>>()?)
}

/// Reads a resource inside a write transaction and holds it until the transaction ends: every
/// booking of it starts here, so concurrent bookings of one resource run one after the other,
/// each seeing the seats the last one took (the row lock on PostgreSQL, the one write lock on
/// SQLite).
pub async fn lock(tx: &mut Tx, id: i64) -> Result<Option<Resource>> {
    let sql = format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE id = $1{}",
        Dialect::of(tx).for_update()
    );
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    Ok(row.map(|r| Resource::from_row(&r)).transpose()?)
}

/// The confirmed bookings of a resource that overlap `[start, end)`: (seat, start, end).
pub async fn overlapping(
    tx: &mut Tx,
    resource_id: i64,
    start: i64,
    end: i64,
) -> Result<Vec<(String, i64, i64)>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT seat, starts_at, ends_at FROM bookings WHERE resource_id = $1 \
         AND state = 'confirmed' AND starts_at < $3 AND ends_at > $2",
    )
    .bind(resource_id)
    .bind(start)
    .bind(end)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows)
}

pub async fn insert_booking(tx: &mut Tx, b: &NewBooking) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bookings (resource_id, seat, starts_at, ends_at, booker_kind, account_id, \
         company_id, visitor_actor, visitor_space, visitor_offer, visitor_label, note, series, \
         state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'confirmed', $14) \
         RETURNING id",
    )
    .bind(b.resource_id)
    .bind(&b.seat)
    .bind(b.starts_at)
    .bind(b.ends_at)
    .bind(b.booker_kind.as_str())
    .bind(b.account_id)
    .bind(b.company_id)
    .bind(&b.visitor_actor)
    .bind(&b.visitor_space)
    .bind(&b.visitor_offer)
    .bind(&b.visitor_label)
    .bind(&b.note)
    .bind(&b.series)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Bookings with their resource's name; who booked is filled in by [`named`].
const BOOKING_SELECT: &str = "FROM bookings b JOIN resources r ON r.id = b.resource_id";

async fn bookings_where(
    db: &Db,
    where_sql: &str,
    binds: &[i64],
    limit: i64,
) -> Result<Vec<Booking>> {
    let sql = format!(
        "SELECT {} {BOOKING_SELECT} WHERE {where_sql} ORDER BY b.starts_at, b.id LIMIT {}",
        Booking::COLUMNS,
        limit.clamp(1, 2000)
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(*b);
    }
    let rows = q.fetch_all(db.pool()).await?;
    named(db, &rows).await
}

/// Bookings from their rows, with who booked them: the handles of the members and the
/// handles and names of the companies, each read from its owner in one call for the list.
async fn named(db: &Db, rows: &[crate::storage::Row]) -> Result<Vec<Booking>> {
    let mut list = rows
        .iter()
        .map(Booking::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let account_ids: Vec<i64> = list.iter().filter_map(|b| b.account_id).collect();
    let company_ids: Vec<i64> = list.iter().filter_map(|b| b.company_id).collect();
    let members = crate::accounts::store::names(db, &account_ids).await?;
    let companies = crate::companies::store::names(db, &company_ids).await?;
    for b in &mut list {
        b.booked_by = b
            .account_id
            .and_then(|id| members.get(&id))
            .map(|m| m.handle.clone());
        if let Some((handle, name)) = b.company_id.and_then(|id| companies.get(&id)) {
            b.company = Some(handle.clone());
            b.company_name = Some(name.clone());
        }
    }
    Ok(list)
}

pub async fn booking(db: &Db, id: i64) -> Result<Option<Booking>> {
    Ok(bookings_where(db, "b.id = $1", &[id], 1).await?.pop())
}

/// The confirmed bookings of a resource that overlap `[from, to)`.
pub async fn of_resource(db: &Db, resource_id: i64, from: i64, to: i64) -> Result<Vec<Booking>> {
    bookings_where(
        db,
        "b.resource_id = $1 AND b.state = 'confirmed' AND b.starts_at < $3 AND b.ends_at > $2",
        &[resource_id, from, to],
        2000,
    )
    .await
}

/// Every booking of a resource (cancelled too) ending after `since`, for its feed.
pub async fn feed_of_resource(
    db: &Db,
    resource_id: i64,
    since: i64,
    limit: i64,
) -> Result<Vec<Booking>> {
    bookings_where(
        db,
        "b.resource_id = $1 AND b.ends_at > $2",
        &[resource_id, since],
        limit,
    )
    .await
}

/// A member's own bookings (cancelled too) ending after `since`.
pub async fn of_account(db: &Db, account_id: i64, since: i64, limit: i64) -> Result<Vec<Booking>> {
    bookings_where(
        db,
        "b.account_id = $1 AND b.ends_at > $2",
        &[account_id, since],
        limit,
    )
    .await
}

/// Cancels a confirmed booking; `false` when it was not (any more) confirmed.
pub async fn cancel(db: &Db, id: i64) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let done = cancel_tx(&mut tx, id).await?;
    tx.commit().await?;
    Ok(done)
}

/// [`cancel`] in the caller's transaction (with the activity that tells a visitor's space).
pub async fn cancel_tx(tx: &mut Tx, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bookings SET state = 'cancelled', cancelled_at = $2 WHERE id = $1 AND state = 'confirmed'",
    )
    .bind(id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels the confirmed occurrences of a weekly series that start after `now` (one
/// statement: those under way or past stay); how many it cancelled.
pub async fn cancel_series(db: &Db, series: &str, now: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE bookings SET state = 'cancelled', cancelled_at = $2 WHERE series = $1 \
         AND series <> '' AND state = 'confirmed' AND starts_at > $2",
    )
    .bind(series)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

/// The visitor's booking that the `Offer` with this id made, if any.
pub async fn by_offer(db: &Db, offer: &str) -> Result<Option<Booking>> {
    let sql = format!(
        "SELECT {} {BOOKING_SELECT} WHERE b.visitor_offer = $1 AND b.visitor_offer <> ''",
        Booking::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(offer)
        .fetch_optional(db.pool())
        .await?;
    Ok(named(db, row.as_slice()).await?.pop())
}

/// The spans of a visitor's confirmed bookings (any resource) overlapping `[from, to)`, read
/// in the transaction that counts their visit days.
pub async fn visitor_spans(
    tx: &mut Tx,
    visitor_actor: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT starts_at, ends_at FROM bookings WHERE visitor_actor = $1 AND visitor_actor <> '' \
         AND state = 'confirmed' AND starts_at < $3 AND ends_at > $2",
    )
    .bind(visitor_actor)
    .bind(from)
    .bind(to)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows)
}

/// Confirmed local bookings starting in `(now, until]` that were not reminded yet.
pub async fn due_reminders(db: &Db, now: i64, until: i64) -> Result<Vec<Booking>> {
    bookings_where(
        db,
        "b.state = 'confirmed' AND b.reminded_at IS NULL AND b.account_id IS NOT NULL \
         AND b.starts_at > $1 AND b.starts_at <= $2",
        &[now, until],
        200,
    )
    .await
}

/// Marks a booking reminded, once: `true` for the one caller that did it.
pub async fn mark_reminded(tx: &mut Tx, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bookings SET reminded_at = $2 WHERE id = $1 AND reminded_at IS NULL AND state = 'confirmed'",
    )
    .bind(id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
