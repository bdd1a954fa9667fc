//! A project's notes (with their revisions) and files, as the projects feature stores them.

use sqlx::Row as _;

use super::super::model::*;
use super::without;
use crate::error::Result;
use crate::storage::{now_ms, Db, Tx};

// --- notes ----------------------------------------------------------------------------------

/// Inserts a note with its first revision; returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_note(
    tx: &mut Tx,
    uri: &str,
    project: &str,
    local: bool,
    author: &str,
    title: &str,
    body: &str,
    created_at: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO project_notes (uri, project, local, author, title, body, revision, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id",
    )
    .bind(uri)
    .bind(project)
    .bind(i64::from(local))
    .bind(author)
    .bind(title)
    .bind(body)
    .bind(created_at)
    .fetch_one(&mut **tx)
    .await?;
    insert_revision(tx, id, 1, author, title, body, created_at).await?;
    Ok(id)
}

async fn insert_revision(
    tx: &mut Tx,
    note_id: i64,
    number: i64,
    author: &str,
    title: &str,
    body: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO project_note_revisions (note_id, number, author, title, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(note_id)
    .bind(number)
    .bind(author)
    .bind(title)
    .bind(body)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Saves a new revision of a note (who saved it, and what); returns its number.
pub async fn revise_note(
    tx: &mut Tx,
    note: &Note,
    by: &str,
    title: &str,
    body: &str,
) -> Result<i64> {
    let now = now_ms();
    let number: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM project_note_revisions WHERE note_id = $1",
    )
    .bind(note.id)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE project_notes SET title = $1, body = $2, revision = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(title)
    .bind(body)
    .bind(number)
    .bind(now)
    .bind(note.id)
    .execute(&mut **tx)
    .await?;
    insert_revision(tx, note.id, number, by, title, body, now).await?;
    Ok(number)
}

pub async fn note_by_id_tx(tx: &mut Tx, id: i64) -> Result<Note> {
    let sql = format!("SELECT {NOTE_COLUMNS} FROM project_notes WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_one(&mut **tx).await?;
    Ok(Note::from_row(&row)?)
}

pub async fn note_by_uri(db: &Db, uri: &str) -> Result<Option<Note>> {
    let sql = format!("SELECT {NOTE_COLUMNS} FROM project_notes WHERE uri = $1");
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Note::from_row(&r)).transpose()?)
}

/// A project's notes, the latest changed first, without those written by the actors of
/// `hidden`.
pub async fn notes_of(db: &Db, project: &str, hidden: &[String]) -> Result<Vec<Note>> {
    let sql = format!(
        "SELECT {NOTE_COLUMNS} FROM project_notes WHERE project = $1{} \
         ORDER BY updated_at DESC, id DESC LIMIT 500",
        without("author", 2, hidden.len())
    );
    let mut q = sqlx::query(&sql).bind(project);
    for h in hidden {
        q = q.bind(h.as_str());
    }
    let rows = q.fetch_all(db.pool()).await?;
    Ok(rows.iter().map(Note::from_row).collect::<Result<_, _>>()?)
}

/// A note's revisions, newest first.
pub async fn revisions(db: &Db, note_id: i64) -> Result<Vec<Revision>> {
    let rows = sqlx::query(
        "SELECT number, author, title, body, created_at FROM project_note_revisions \
         WHERE note_id = $1 ORDER BY number DESC",
    )
    .bind(note_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Revision {
                number: r.try_get("number")?,
                author: r.try_get("author")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

// --- files ----------------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub async fn insert_file(
    tx: &mut Tx,
    uri: &str,
    project: &str,
    local: bool,
    author: &str,
    name: &str,
    media_type: &str,
    size: i64,
    media_key: &str,
    url: &str,
    created_at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO project_files (uri, project, local, author, name, media_type, size, media_key, url, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(uri)
    .bind(project)
    .bind(i64::from(local))
    .bind(author)
    .bind(name)
    .bind(media_type)
    .bind(size)
    .bind(media_key)
    .bind(url)
    .bind(created_at)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn file_by_uri(db: &Db, uri: &str) -> Result<Option<ProjectFile>> {
    let sql = format!("SELECT {FILE_COLUMNS} FROM project_files WHERE uri = $1");
    let row = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| ProjectFile::from_row(&r)).transpose()?)
}

/// A project's files, newest first, without those added by the actors of `hidden`.
pub async fn files_of(db: &Db, project: &str, hidden: &[String]) -> Result<Vec<ProjectFile>> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM project_files WHERE project = $1{} ORDER BY id DESC LIMIT 500",
        without("author", 2, hidden.len())
    );
    let mut q = sqlx::query(&sql).bind(project);
    for h in hidden {
        q = q.bind(h.as_str());
    }
    let rows = q.fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(ProjectFile::from_row)
        .collect::<Result<_, _>>()?)
}
