//! The moderators' queue: take a report, resolve it with a note, open it again. Each change is
//! one conditional statement written together with its audit line, so two moderators acting on
//! one report at once cannot both succeed.

use super::model::{Actor, Report};
use super::store;
use crate::error::{Error, Result};
use crate::storage::Db;
use crate::validate;

/// The longest resolution note or reason, in characters.
pub const MAX_NOTE: usize = 2000;

/// A note or reason, trimmed and bounded.
pub fn note(raw: &str, field: &str) -> Result<String> {
    validate::text(raw, MAX_NOTE, false).map_err(|m| Error::invalid(field, m))
}

/// The report with that id, or `NotFound`.
pub async fn get(db: &Db, id: i64) -> Result<Report> {
    store::report(db, id).await?.ok_or(Error::NotFound)
}

/// Assigns an open report to `to` (a moderator's account id), or unassigns it.
pub async fn assign(db: &Db, by: &Actor, id: i64, to: Option<(i64, &str)>) -> Result<Report> {
    let mut tx = db.begin_write().await?;
    if !store::assign_tx(&mut tx, id, to.map(|t| t.0)).await? {
        return Err(not_open(&mut tx, id).await);
    }
    let what = match to {
        Some((_, handle)) => format!("@{handle}"),
        None => String::new(),
    };
    let action = if to.is_some() { "assign" } else { "unassign" };
    store::audit_tx(&mut tx, by, action, &what, Some(id), "").await?;
    tx.commit().await?;
    get(db, id).await
}

/// Resolves an open report with a note. A second resolution is a 409, and leaves no audit line.
pub async fn resolve(db: &Db, by: &Actor, id: i64, note_text: &str) -> Result<Report> {
    let note_text = note(note_text, "note")?;
    let mut tx = db.begin_write().await?;
    if !store::resolve_tx(&mut tx, id, by.account_id, &note_text).await? {
        return Err(not_open(&mut tx, id).await);
    }
    store::audit_tx(&mut tx, by, "resolve", "", Some(id), &note_text).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Opens a resolved report again.
pub async fn reopen(db: &Db, by: &Actor, id: i64, reason: &str) -> Result<Report> {
    let reason = note(reason, "reason")?;
    let mut tx = db.begin_write().await?;
    if !store::reopen_tx(&mut tx, id).await? {
        return Err(match store::report_exists_tx(&mut tx, id).await {
            Ok(true) => Error::Conflict("This report is open already.".into()),
            Ok(false) => Error::NotFound,
            Err(e) => e,
        });
    }
    store::audit_tx(&mut tx, by, "reopen", "", Some(id), &reason).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Why a change to an open report changed nothing: there is no such report, or it is resolved.
async fn not_open(tx: &mut crate::storage::Tx, id: i64) -> Error {
    match store::report_exists_tx(tx, id).await {
        Ok(true) => Error::Conflict("This report is resolved already.".into()),
        Ok(false) => Error::NotFound,
        Err(e) => e,
    }
}
