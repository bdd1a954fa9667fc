//! The projects tables. Tasks, notes and files are found by URI (their pages are their ids);
//! membership lives in the follows table and is read through its store.

use sqlx::Row as _;

use super::model::*;
use crate::error::Result;
use crate::federation::crypto::GeneratedKeys;
use crate::federation::follows::store as follows_store;
use crate::federation::remote::store as remote_store;
use crate::storage::{now_ms, Db, Dialect, Tx};

mod documents;
pub use documents::*;

// --- projects -------------------------------------------------------------------------------

/// Inserts a project (its handle already reserved inside `tx`, see
/// `accounts::store::reserve_handle`) and its key pair; returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Tx,
    handle: &str,
    name: &str,
    summary: &str,
    closed: bool,
    owner: &str,
    company_id: Option<i64>,
    created_by: i64,
    keys: &GeneratedKeys,
) -> Result<i64> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO projects (handle, name, summary, closed, owner, company_id, created_by, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(handle)
    .bind(name)
    .bind(summary)
    .bind(i64::from(closed))
    .bind(owner)
    .bind(company_id)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    crate::federation::keys::insert(tx, crate::federation::keys::ActorKind::Project, id, keys)
        .await?;
    Ok(id)
}

pub async fn update(tx: &mut Tx, id: i64, name: &str, summary: &str, closed: bool) -> Result<()> {
    sqlx::query(
        "UPDATE projects SET name = $1, summary = $2, closed = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(name)
    .bind(summary)
    .bind(i64::from(closed))
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The handles of this space's projects that the shared namespace (`handles`) holds for
/// someone else: a member or a company took the same handle at the same moment as the project,
/// before project handles were reserved there (migration 0024 reports them; see
/// docs/operations.md).
pub async fn handles_shared(db: &Db) -> Result<Vec<String>> {
    let all: Vec<String> = sqlx::query_scalar("SELECT handle FROM projects ORDER BY handle")
        .fetch_all(db.pool())
        .await?;
    let reserved: std::collections::HashSet<String> = crate::accounts::store::project_handles(db)
        .await?
        .into_iter()
        .collect();
    Ok(all.into_iter().filter(|h| !reserved.contains(h)).collect())
}

/// How many projects there are and a sum of their change times, as one SQL value (text): the
/// directory's change detector.
pub const CHANGE_STAMP: &str = "SELECT CAST(COUNT(*) AS TEXT) || ':' || \
     CAST(COALESCE(SUM(updated_at % 1000000007), 0) AS TEXT) FROM projects";

pub async fn by_handle(db: &Db, handle: &str) -> Result<Option<Project>> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE handle = $1");
    let row = sqlx::query(&sql)
        .bind(handle.to_ascii_lowercase())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Project::from_row(&r)).transpose()?)
}

pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<Project>> {
    let sql =
        format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY name, id LIMIT $1 OFFSET $2");
    let rows = sqlx::query(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(Project::from_row)
        .collect::<Result<_, _>>()?)
}

/// Every project, oldest first (the directory lists them all).
pub async fn all(db: &Db) -> Result<Vec<Project>> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(Project::from_row)
        .collect::<Result<_, _>>()?)
}

/// The accounts that manage a project: a company's owners and admins, or its creator.
pub async fn managers(db: &Db, project: &Project) -> Result<Vec<i64>> {
    Ok(match project.company_id {
        Some(company) => crate::companies::store::owners_and_admins(db, company).await?,
        None => vec![project.created_by],
    })
}

/// The display name of a project known by URI: a remote group's name, or a local project's.
pub async fn project_name(db: &Db, uri: &str, local_prefix: &str) -> Result<String> {
    if let Some(handle) = uri.strip_prefix(local_prefix) {
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM projects WHERE handle = $1")
                .bind(handle)
                .fetch_optional(db.pool())
                .await?;
        return Ok(name.unwrap_or_default());
    }
    Ok(remote_store::name_of(db, uri).await?.unwrap_or_default())
}

/// Accepted members (actor URIs) of a project, oldest first.
pub async fn members(db: &Db, project_uri: &str) -> Result<Vec<String>> {
    follows_store::followers_in_state(db, project_uri, "accepted").await
}

/// Join requests waiting for a manager.
pub async fn pending(db: &Db, project_uri: &str) -> Result<Vec<String>> {
    follows_store::followers_in_state(db, project_uri, "pending").await
}

pub async fn is_member(db: &Db, project_uri: &str, actor: &str) -> Result<bool> {
    Ok(follows_store::get(db, actor, project_uri)
        .await?
        .is_some_and(|f| f.state == "accepted"))
}

/// What an actor follows (accepted or asked for), by URI: among them the projects, local or
/// remote, it joined or asked to join.
pub async fn joined(db: &Db, actor: &str) -> Result<Vec<String>> {
    follows_store::followees(db, actor).await
}

// --- tasks ----------------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub async fn insert_task(
    tx: &mut Tx,
    uri: &str,
    project: &str,
    local: bool,
    author: &str,
    f: &TaskFields,
    created_at: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO project_tasks (uri, project, local, author, title, description, status, \
         priority, due_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(uri)
    .bind(project)
    .bind(i64::from(local))
    .bind(author)
    .bind(&f.title)
    .bind(&f.description)
    .bind(f.status.as_str())
    .bind(f.priority.as_str())
    .bind(f.due_on.as_deref())
    .bind(created_at)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    set_assignees(tx, id, &f.assignees).await?;
    Ok(id)
}

pub async fn update_task(tx: &mut Tx, id: i64, f: &TaskFields) -> Result<()> {
    sqlx::query(
        "UPDATE project_tasks SET title = $1, description = $2, status = $3, priority = $4, \
         due_on = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&f.title)
    .bind(&f.description)
    .bind(f.status.as_str())
    .bind(f.priority.as_str())
    .bind(f.due_on.as_deref())
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    set_assignees(tx, id, &f.assignees).await
}

async fn set_assignees(tx: &mut Tx, task_id: i64, assignees: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM project_task_assignees WHERE task_id = $1")
        .bind(task_id)
        .execute(&mut **tx)
        .await?;
    for a in assignees {
        sqlx::query(
            "INSERT INTO project_task_assignees (task_id, actor) VALUES ($1, $2) \
             ON CONFLICT (task_id, actor) DO NOTHING",
        )
        .bind(task_id)
        .bind(a)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A task with its assignees, read inside a write transaction that then changes it: its row
/// is held until the transaction ends (on PostgreSQL; SQLite's write transaction holds the one
/// write lock), so read-modify-writes of one task run one after the other.
pub async fn task_for_update(tx: &mut Tx, id: i64) -> Result<Option<Task>> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM project_tasks WHERE id = $1{}",
        Dialect::of(tx).for_update()
    );
    let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? else {
        return Ok(None);
    };
    let mut task = Task::from_row(&row)?;
    task.assignees = sqlx::query_scalar(
        "SELECT actor FROM project_task_assignees WHERE task_id = $1 ORDER BY actor",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(Some(task))
}

/// The task with `uri`, read like [`task_for_update`]: inside `tx`, its row held.
pub async fn task_by_uri_for_update(tx: &mut Tx, uri: &str) -> Result<Option<Task>> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM project_tasks WHERE uri = $1")
        .bind(uri)
        .fetch_optional(&mut **tx)
        .await?;
    match id {
        Some(id) => task_for_update(tx, id).await,
        None => Ok(None),
    }
}

async fn with_assignees(db: &Db, mut tasks: Vec<Task>) -> Result<Vec<Task>> {
    for t in &mut tasks {
        t.assignees = sqlx::query_scalar(
            "SELECT actor FROM project_task_assignees WHERE task_id = $1 ORDER BY actor",
        )
        .bind(t.id)
        .fetch_all(db.pool())
        .await?;
    }
    Ok(tasks)
}

pub async fn task_by_uri(db: &Db, uri: &str) -> Result<Option<Task>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM project_tasks WHERE uri = $1");
    let Some(row) = sqlx::query(&sql)
        .bind(uri)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    Ok(with_assignees(db, vec![Task::from_row(&row)?]).await?.pop())
}

/// The project of the task, note or file whose URI is `uri`, looked up in the three tables
/// with one statement (every `Create` the inbox processes asks this, and almost all find
/// nothing). URIs are unique within each table; a task is preferred, then a note, then a file.
pub async fn item_project(db: &Db, uri: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT project FROM ( \
           SELECT project, 0 AS kind FROM project_tasks WHERE uri = $1 \
           UNION ALL SELECT project, 1 AS kind FROM project_notes WHERE uri = $1 \
           UNION ALL SELECT project, 2 AS kind FROM project_files WHERE uri = $1 \
         ) AS items ORDER BY kind LIMIT 1",
    )
    .bind(uri)
    .fetch_optional(db.pool())
    .await?)
}

/// `AND {column} NOT IN ($first, …)` for the authors a list leaves out (`n` of them: the
/// actors the moderators suspended), or nothing when there are none.
fn without(column: &str, first: usize, n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(
            " AND {column} NOT IN ({})",
            crate::storage::placeholders(first, n)
        )
    }
}

/// A project's tasks, by status then priority and due date, without those written by the
/// actors of `hidden`.
pub async fn tasks_of(db: &Db, project: &str, hidden: &[String]) -> Result<Vec<Task>> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM project_tasks WHERE project = $1{} \
         ORDER BY CASE priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, \
         due_on IS NULL, due_on, id LIMIT 1000",
        without("author", 2, hidden.len())
    );
    let mut q = sqlx::query(&sql).bind(project);
    for h in hidden {
        q = q.bind(h.as_str());
    }
    let rows = q.fetch_all(db.pool()).await?;
    let tasks = rows
        .iter()
        .map(Task::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    with_assignees(db, tasks).await
}

async fn deadlines(
    db: &Db,
    sql: &str,
    bind: &str,
    hidden: &[String],
    local_prefix: &str,
) -> Result<Vec<Deadline>> {
    let mut q = sqlx::query(sql).bind(bind);
    for h in hidden {
        q = q.bind(h.as_str());
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let project: String = r.try_get("project")?;
        let status: String = r.try_get("status")?;
        let uri: String = r.try_get("uri")?;
        out.push(Deadline {
            project_name: project_name(db, &project, local_prefix).await?,
            title: r.try_get("title")?,
            due_on: r.try_get("due_on")?,
            url: uri.clone(),
            uid: uri,
            status: Status::parse(&status).unwrap_or(Status::Todo),
            updated_at: r.try_get("updated_at")?,
        });
    }
    Ok(out)
}

/// The due dates of the tasks assigned to a member (local or received tasks alike), soonest
/// first. `member_uri` is the member's actor URI. Without the tasks written by the actors of
/// `hidden`.
pub async fn deadlines_for_member(
    db: &Db,
    member_uri: &str,
    hidden: &[String],
) -> Result<Vec<Deadline>> {
    let prefix = local_project_prefix(member_uri);
    let sql = format!(
        "SELECT t.uri, t.project, t.title, t.status, t.due_on, t.updated_at FROM project_tasks t \
         JOIN project_task_assignees a ON a.task_id = t.id \
         WHERE a.actor = $1 AND t.due_on IS NOT NULL{} ORDER BY t.due_on, t.id LIMIT 1000",
        without("t.author", 2, hidden.len())
    );
    deadlines(db, &sql, member_uri, hidden, &prefix).await
}

/// The due dates of a project's tasks, soonest first. `project_uri` is the group's URI.
/// Without the tasks written by the actors of `hidden`.
pub async fn deadlines_for_project(
    db: &Db,
    project_uri: &str,
    hidden: &[String],
) -> Result<Vec<Deadline>> {
    let prefix = local_project_prefix(project_uri);
    let sql = format!(
        "SELECT uri, project, title, status, due_on, updated_at FROM project_tasks \
         WHERE project = $1 AND due_on IS NOT NULL{} ORDER BY due_on, id LIMIT 1000",
        without("author", 2, hidden.len())
    );
    deadlines(db, &sql, project_uri, hidden, &prefix).await
}

/// `https://host/projects/` for the host of a URI: where local project URIs start when the
/// URI is local (remote project names come from the actor cache instead).
fn local_project_prefix(uri: &str) -> String {
    let base = match uri.find("://").map(|i| i + 3) {
        Some(start) => match uri[start..].find('/') {
            Some(slash) => &uri[..start + slash],
            None => uri,
        },
        None => uri,
    };
    format!("{base}/projects/")
}

// --- deletion -------------------------------------------------------------------------------

/// Removes a task, note or file (and what hangs off it) by URI; returns the file's media key
/// when it was a stored file, so the caller removes the bytes after the commit.
pub async fn delete_item(tx: &mut Tx, uri: &str) -> Result<Option<String>> {
    sqlx::query(
        "DELETE FROM project_task_assignees WHERE task_id IN (SELECT id FROM project_tasks WHERE uri = $1)",
    )
    .bind(uri)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM project_tasks WHERE uri = $1")
        .bind(uri)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "DELETE FROM project_note_revisions WHERE note_id IN (SELECT id FROM project_notes WHERE uri = $1)",
    )
    .bind(uri)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM project_notes WHERE uri = $1")
        .bind(uri)
        .execute(&mut **tx)
        .await?;
    let key: Option<String> =
        sqlx::query_scalar("SELECT media_key FROM project_files WHERE uri = $1")
            .bind(uri)
            .fetch_optional(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM project_files WHERE uri = $1")
        .bind(uri)
        .execute(&mut **tx)
        .await?;
    Ok(key.filter(|k| !k.is_empty()))
}
