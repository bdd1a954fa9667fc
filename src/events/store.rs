//! Events, their participants and members' private calendar tokens.

use sqlx::Row as _;

use super::model::{Event, NewEvent, Participant, RsvpState, Status, COLUMNS, PARTICIPANT_COLUMNS};
use crate::error::Result;
use crate::storage::{now_ms, Db, Dialect, Tx};

/// Stores an event; returns its id and whether it was new (an event already stored under the
/// same URI is left alone).
pub async fn insert(tx: &mut Tx, e: &NewEvent) -> Result<(i64, bool)> {
    let now = now_ms();
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO events (uri, local, organizer, title, source, content, starts_at, ends_at, \
         timezone, place_name, street_address, postal_code, locality, country, online_url, \
         capacity, join_mode, external_url, visibility, category, status, participant_count, url, \
         published_at, updated_at, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22, $23, $24, $25, $26) ON CONFLICT (uri) DO NOTHING RETURNING id",
    )
    .bind(&e.uri)
    .bind(i64::from(e.local))
    .bind(&e.organizer)
    .bind(&e.title)
    .bind(&e.source)
    .bind(&e.content)
    .bind(e.starts_at)
    .bind(e.ends_at)
    .bind(&e.timezone)
    .bind(&e.place_name)
    .bind(&e.street_address)
    .bind(&e.postal_code)
    .bind(&e.locality)
    .bind(&e.country)
    .bind(&e.online_url)
    .bind(e.capacity)
    .bind(e.join_mode.as_str())
    .bind(&e.external_url)
    .bind(e.visibility.as_str())
    .bind(&e.category)
    .bind(e.status.as_str())
    .bind(e.participant_count)
    .bind(&e.url)
    .bind(e.published_at)
    .bind(now)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    match inserted {
        Some(id) => Ok((id, true)),
        None => {
            let id: i64 = sqlx::query_scalar("SELECT id FROM events WHERE uri = $1")
                .bind(&e.uri)
                .fetch_one(&mut **tx)
                .await?;
            Ok((id, false))
        }
    }
}

/// Replaces what an edit (or a received Update) changes. The participant count of a local
/// event is ours and stays; a received one is taken from the document.
pub async fn update(tx: &mut Tx, id: i64, e: &NewEvent) -> Result<()> {
    sqlx::query(
        "UPDATE events SET title = $2, source = $3, content = $4, starts_at = $5, ends_at = $6, \
         timezone = $7, place_name = $8, street_address = $9, postal_code = $10, locality = $11, \
         country = $12, online_url = $13, capacity = $14, join_mode = $15, external_url = $16, \
         category = $17, status = $18, url = $19, updated_at = $20, \
         participant_count = CASE WHEN local = 1 THEN participant_count ELSE $21 END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(&e.title)
    .bind(&e.source)
    .bind(&e.content)
    .bind(e.starts_at)
    .bind(e.ends_at)
    .bind(&e.timezone)
    .bind(&e.place_name)
    .bind(&e.street_address)
    .bind(&e.postal_code)
    .bind(&e.locality)
    .bind(&e.country)
    .bind(&e.online_url)
    .bind(e.capacity)
    .bind(e.join_mode.as_str())
    .bind(&e.external_url)
    .bind(&e.category)
    .bind(e.status.as_str())
    .bind(&e.url)
    .bind(now_ms())
    .bind(e.participant_count)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_status(tx: &mut Tx, id: i64, status: Status) -> Result<()> {
    sqlx::query("UPDATE events SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Empties a deleted event and keeps its row, so its address answers 410 and comments keep
/// their place; its participants go.
pub async fn mark_deleted(tx: &mut Tx, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE events SET source = '', content = '', online_url = '', external_url = '', \
         participant_count = 0, deleted_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM event_participants WHERE event_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn by_uri(db: &Db, uri: &str) -> Result<Option<Event>> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE uri = $1");
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Event::from_row(&r)).transpose()?)
}

pub async fn by_uri_tx(tx: &mut Tx, uri: &str) -> Result<Option<Event>> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE uri = $1");
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| Event::from_row(&r)).transpose()?)
}

/// Reads an event inside a write transaction and holds it until the transaction ends: every
/// change of its seats and participants starts here, so concurrent changes to one event run
/// one after the other, each seeing the last one's rows and count (the row lock on
/// PostgreSQL, the one write lock on SQLite). Taking the event first, then its participants,
/// is the one order of locks, so two such changes cannot deadlock.
pub async fn lock(tx: &mut Tx, id: i64) -> Result<Option<Event>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE id = $1{}",
        Dialect::of(tx).for_update()
    );
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    Ok(row.map(|r| Event::from_row(&r)).transpose()?)
}

/// The remote events `organizer` organised that are not deleted, each held as [`lock`] does.
pub async fn remote_events_of_for_update(tx: &mut Tx, organizer: &str) -> Result<Vec<Event>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE organizer = $1 AND local = 0 AND deleted_at IS NULL \
         ORDER BY id{}",
        Dialect::of(tx).for_update()
    );
    let rows = sqlx::query(&sql)
        .bind(organizer)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.iter().map(Event::from_row).collect::<Result<_, _>>()?)
}

pub async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<Event>> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    Ok(row.map(|r| Event::from_row(&r)).transpose()?)
}

/// Live events ending at or after `since` (now for upcoming lists; earlier for calendar feeds,
/// so that recent events stay in subscribers' calendars) that match `where_sql` (whose `$1…`
/// are `binds`), soonest first, at most `limit`, without those organised by an actor of
/// `hidden` (the actors the moderators suspended: left out in the query, so the limit holds).
async fn list(
    db: &Db,
    where_sql: &str,
    binds: &[&str],
    hidden: &[String],
    limit: i64,
    since: i64,
) -> Result<Vec<Event>> {
    let n = binds.len();
    let m = hidden.len();
    let without = if hidden.is_empty() {
        String::new()
    } else {
        format!(
            " AND organizer NOT IN ({})",
            crate::storage::placeholders(n + 1, m)
        )
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE deleted_at IS NULL AND ends_at >= ${} AND ({where_sql}){without} \
         ORDER BY starts_at, id LIMIT ${}",
        n + m + 1,
        n + m + 2
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(*b);
    }
    for h in hidden {
        q = q.bind(h.as_str());
    }
    let rows = q.bind(since).bind(limit).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(Event::from_row).collect::<Result<_, _>>()?)
}

/// Upcoming (or ongoing) events this space lists: its own public ones, its members-only ones
/// for members, and public events received from the actors people here follow. Without those
/// of the organisers in `hidden` (see [`super::lists`], which every list goes through).
pub async fn upcoming(db: &Db, hidden: &[String], members: bool, limit: i64) -> Result<Vec<Event>> {
    let visible = if members {
        "(local = 1 AND visibility IN ('public', 'members')) OR (local = 0 AND visibility = 'public')"
    } else {
        "visibility = 'public'"
    };
    list(db, visible, &[], hidden, limit, now_ms()).await
}

/// This space's own public events ending after `since` (its calendar).
pub async fn upcoming_local_public(
    db: &Db,
    hidden: &[String],
    limit: i64,
    since: i64,
) -> Result<Vec<Event>> {
    list(
        db,
        "local = 1 AND visibility = 'public'",
        &[],
        hidden,
        limit,
        since,
    )
    .await
}

/// This space's own public events that end at or after `now` and are not cancelled: what
/// the directory lists.
pub async fn listable_local(db: &Db, hidden: &[String], now: i64) -> Result<Vec<Event>> {
    list(
        db,
        "local = 1 AND visibility = 'public' AND status <> 'cancelled'",
        &[],
        hidden,
        i64::MAX,
        now,
    )
    .await
}

/// Events an actor organises that end after `since`: public ones, or all when `all`.
pub async fn upcoming_by(
    db: &Db,
    hidden: &[String],
    organizer: &str,
    all: bool,
    limit: i64,
    since: i64,
) -> Result<Vec<Event>> {
    let visible = if all {
        "organizer = $1"
    } else {
        "organizer = $1 AND visibility = 'public'"
    };
    list(db, visible, &[organizer], hidden, limit, since).await
}

/// Upcoming events an actor organises or takes part in (with a seat, or, when `pending`,
/// also waiting for one); public ones only unless `all`.
pub async fn upcoming_for(
    db: &Db,
    hidden: &[String],
    actor: &str,
    all: bool,
    pending: bool,
    limit: i64,
    since: i64,
) -> Result<Vec<Event>> {
    let states = if pending {
        "('accepted', 'pending')"
    } else {
        "('accepted')"
    };
    let public = if all {
        ""
    } else {
        " AND visibility = 'public'"
    };
    list(
        db,
        &format!(
            "(organizer = $1 OR id IN (SELECT event_id FROM event_participants WHERE actor = $1 \
             AND state IN {states})){public}"
        ),
        &[actor],
        hidden,
        limit,
        since,
    )
    .await
}

// --- participants ------------------------------------------------------------------------------

pub async fn participants(db: &Db, event_id: i64) -> Result<Vec<Participant>> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM event_participants WHERE event_id = $1 ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .bind(event_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(Participant::from_row)
        .collect::<Result<_, _>>()?)
}

/// The seats taken at an event now. A page reads it after the participations it shows: a seat
/// and its participation change in one transaction, so a count read later is never behind them.
pub async fn seats_taken(db: &Db, event_id: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT participant_count FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

pub async fn participant(db: &Db, event_id: i64, actor: &str) -> Result<Option<Participant>> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM event_participants WHERE event_id = $1 AND actor = $2"
    );
    let row = sqlx::query(&sql)
        .bind(event_id)
        .bind(actor)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Participant::from_row(&r)).transpose()?)
}

pub async fn participant_tx(
    tx: &mut Tx,
    event_id: i64,
    actor: &str,
) -> Result<Option<Participant>> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM event_participants WHERE event_id = $1 AND actor = $2"
    );
    let row = sqlx::query(&sql)
        .bind(event_id)
        .bind(actor)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| Participant::from_row(&r)).transpose()?)
}

pub async fn participant_by_id(db: &Db, id: i64) -> Result<Option<Participant>> {
    let sql = format!("SELECT {PARTICIPANT_COLUMNS} FROM event_participants WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.map(|r| Participant::from_row(&r)).transpose()?)
}

pub async fn participant_by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<Participant>> {
    let sql = format!("SELECT {PARTICIPANT_COLUMNS} FROM event_participants WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    Ok(row.map(|r| Participant::from_row(&r)).transpose()?)
}

/// The participation a `Join` with this id created.
pub async fn participant_by_join(db: &Db, join_uri: &str) -> Result<Option<Participant>> {
    let sql = format!("SELECT {PARTICIPANT_COLUMNS} FROM event_participants WHERE join_uri = $1");
    let row = sqlx::query(&sql)
        .bind(join_uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Participant::from_row(&r)).transpose()?)
}

/// Takes a seat of a local event if one is left: one conditional UPDATE, so two requests
/// racing for the last seat cannot both have it (on PostgreSQL the second waits for the first's
/// row lock and sees its count). Returns whether a seat was taken.
pub async fn take_seat(tx: &mut Tx, event_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE events SET participant_count = participant_count + 1 \
         WHERE id = $1 AND (capacity IS NULL OR participant_count < capacity)",
    )
    .bind(event_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn release_seat(tx: &mut Tx, event_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE events SET participant_count = participant_count - 1 \
         WHERE id = $1 AND participant_count > 0",
    )
    .bind(event_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records (or replaces) an actor's participation.
pub async fn put_participant(
    tx: &mut Tx,
    event_id: i64,
    actor: &str,
    state: RsvpState,
    join_uri: &str,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO event_participants (event_id, actor, state, join_uri, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (event_id, actor) DO UPDATE SET \
         state = excluded.state, join_uri = excluded.join_uri, updated_at = excluded.updated_at",
    )
    .bind(event_id)
    .bind(actor)
    .bind(state.as_str())
    .bind(join_uri)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_participant_state(tx: &mut Tx, id: i64, state: RsvpState) -> Result<()> {
    sqlx::query("UPDATE event_participants SET state = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(state.as_str())
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes an actor's participation and, when it held a seat, releases that seat in the same
/// transaction. The deleted row decides: a participation removed twice (two leaves racing)
/// frees its seat once. Returns the state it had, or `None` when there was none.
pub async fn withdraw(tx: &mut Tx, event_id: i64, actor: &str) -> Result<Option<RsvpState>> {
    let state: Option<String> = sqlx::query_scalar(
        "DELETE FROM event_participants WHERE event_id = $1 AND actor = $2 RETURNING state",
    )
    .bind(event_id)
    .bind(actor)
    .fetch_optional(&mut **tx)
    .await?;
    let state = state.as_deref().and_then(RsvpState::parse);
    if state == Some(RsvpState::Accepted) {
        release_seat(tx, event_id).await?;
    }
    Ok(state)
}

/// Drops every participation of a deleted actor inside the caller's transaction (a local
/// account being deleted, or a remote actor's own `Delete`). The events are locked first (the
/// order every seat change takes), and the deleted rows decide which seats are freed, so a
/// leave racing the deletion cannot free a seat twice. As when a member leaves, a remote
/// event's copy counts the seat freed too.
pub async fn remove_actor_tx(tx: &mut Tx, actor: &str) -> Result<()> {
    let sql = format!(
        "SELECT id FROM events WHERE id IN \
         (SELECT event_id FROM event_participants WHERE actor = $1) ORDER BY id{}",
        Dialect::of(tx).for_update()
    );
    let events: Vec<i64> = sqlx::query_scalar(&sql)
        .bind(actor)
        .fetch_all(&mut **tx)
        .await?;
    for id in events {
        withdraw(tx, id, actor).await?;
    }
    Ok(())
}

/// The local events' change stamp for the directory's change detector, as one SQL value
/// (text): how many there are, a sum of their change and deletion times, and how many are
/// still to come at the statement's parameter `$1` (now, in ms).
pub const CHANGE_STAMP: &str = "SELECT CAST(COUNT(*) AS TEXT) || ':' || \
     CAST(COALESCE(SUM((updated_at + COALESCE(deleted_at, 0)) % 1000000007), 0) AS TEXT) || ':' || \
     CAST(COALESCE(SUM(CASE WHEN deleted_at IS NULL AND ends_at >= $1 THEN 1 ELSE 0 END), 0) AS TEXT) \
     FROM events WHERE local = 1";

/// The inboxes of an event's remote participants (waiting or seated), one per server.
pub async fn participant_inboxes(db: &Db, event_id: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT COALESCE(remote_actors.shared_inbox, remote_actors.inbox) AS inbox \
         FROM event_participants JOIN remote_actors ON remote_actors.uri = event_participants.actor \
         WHERE event_participants.event_id = $1 AND event_participants.state IN ('accepted', 'pending') \
         AND remote_actors.deleted_at IS NULL",
    )
    .bind(event_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String, _>("inbox"))
        .collect::<Result<_, _>>()?)
}

// --- private calendar tokens ----------------------------------------------------------------

pub async fn set_calendar_token(db: &Db, account_id: i64, token_hash: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO calendar_tokens (account_id, token_hash, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
    )
    .bind(account_id)
    .bind(token_hash)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(())
}

/// When the member's current private feed address was made, if they have one.
pub async fn calendar_token_made(db: &Db, account_id: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT created_at FROM calendar_tokens WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

pub async fn account_by_calendar_token(db: &Db, token_hash: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT account_id FROM calendar_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(db.pool())
            .await?,
    )
}
