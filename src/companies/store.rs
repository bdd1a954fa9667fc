//! SQL for companies, memberships and company invitations.

use std::collections::HashMap;

use sqlx::Row as _;

use super::model::{role_from_row, Company, CompanyInvite, CompanyMember, Membership, Role};
use crate::error::Result;
use crate::federation::{self, crypto::GeneratedKeys};
use crate::storage::{is_unique_violation, now_ms, Db, Tx};

/// Validated company fields, as created or edited.
#[derive(Debug, Clone)]
pub struct CompanyFields {
    pub name: String,
    pub description: String,
    pub industry: String,
    pub skills: Vec<String>,
    pub city: String,
    pub country: String,
    pub website: String,
    pub size: String,
    pub hiring: bool,
    pub open_to_collaborate: bool,
    pub discoverable: bool,
}

/// Inserts a company (its handle already reserved in `tx`) with `owner` as its owner.
pub async fn insert(
    tx: &mut Tx,
    handle: &str,
    f: &CompanyFields,
    owner: i64,
    keys: &GeneratedKeys,
) -> Result<i64> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO companies (handle, name, description, industry, skills, city, country, \
         website, size, hiring, open_to_collaborate, discoverable, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(handle)
    .bind(&f.name)
    .bind(&f.description)
    .bind(&f.industry)
    .bind(serde_json::to_string(&f.skills).map_err(anyhow::Error::from)?)
    .bind(&f.city)
    .bind(&f.country)
    .bind(&f.website)
    .bind(&f.size)
    .bind(f.hiring as i64)
    .bind(f.open_to_collaborate as i64)
    .bind(f.discoverable as i64)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO company_members (company_id, account_id, role, joined_at) VALUES ($1, $2, 'owner', $3)",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    federation::keys::insert(tx, federation::keys::ActorKind::Company, id, keys).await?;
    Ok(id)
}

/// Whether a member, a company or a project already holds this handle (they share one
/// namespace): a first look, before the write transaction that reserves it
/// (`accounts::store::reserve_handle`) looks again.
pub async fn handle_in_use(db: &Db, handle: &str) -> Result<bool> {
    crate::accounts::store::handle_held(db.pool(), handle).await
}

pub async fn update(db: &Db, id: i64, f: &CompanyFields) -> Result<()> {
    sqlx::query(
        "UPDATE companies SET name = $1, description = $2, industry = $3, skills = $4, city = $5, \
         country = $6, website = $7, size = $8, hiring = $9, open_to_collaborate = $10, \
         discoverable = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(&f.name)
    .bind(&f.description)
    .bind(&f.industry)
    .bind(serde_json::to_string(&f.skills).map_err(anyhow::Error::from)?)
    .bind(&f.city)
    .bind(&f.country)
    .bind(&f.website)
    .bind(&f.size)
    .bind(f.hiring as i64)
    .bind(f.open_to_collaborate as i64)
    .bind(f.discoverable as i64)
    .bind(now_ms())
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Points the company at a new logo; returns the previous key.
pub async fn set_logo(db: &Db, id: i64, key: Option<&str>) -> Result<Option<String>> {
    let mut tx = db.begin_write().await?;
    let old: Option<String> = sqlx::query_scalar("SELECT logo_key FROM companies WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    sqlx::query("UPDATE companies SET logo_key = $1, updated_at = $2 WHERE id = $3")
        .bind(key)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(old)
}

pub async fn by_handle(db: &Db, handle: &str) -> Result<Option<Company>> {
    let sql = format!(
        "SELECT {} FROM companies WHERE handle = $1",
        Company::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(handle.to_ascii_lowercase())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| Company::from_row(&r)).transpose()?)
}

/// The handle of a company, by id.
pub async fn handle_of(tx: &mut Tx, company_id: i64) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT handle FROM companies WHERE id = $1")
            .bind(company_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// A page of this space's companies, by name.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<Company>> {
    let sql = format!(
        "SELECT {} FROM companies ORDER BY name, id LIMIT $1 OFFSET $2",
        Company::COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(Company::from_row)
        .collect::<Result<_, _>>()?)
}

/// Every company of this space, oldest first.
pub async fn all(db: &Db) -> Result<Vec<Company>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM companies ORDER BY id",
        Company::COLUMNS
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(Company::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn count(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM companies")
        .fetch_one(db.pool())
        .await?)
}

/// How many companies ask to be listed in directories.
pub async fn count_discoverable(db: &Db) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM companies WHERE discoverable = 1")
            .fetch_one(db.pool())
            .await?,
    )
}

/// The accounts that own or administer a company.
pub async fn owners_and_admins(db: &Db, company_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM company_members WHERE company_id = $1 \
         AND role IN ('owner', 'admin') ORDER BY account_id",
    )
    .bind(company_id)
    .fetch_all(db.pool())
    .await?)
}

/// The handle and name of each company of `ids` that exists, by id: the one read a page of
/// another feature's rows (bookings) makes for the companies it names.
pub async fn names(db: &Db, ids: &[i64]) -> Result<HashMap<i64, (String, String)>> {
    let rows = crate::storage::rows_by_ids(
        db,
        "SELECT id, handle, name FROM companies WHERE id IN ({})",
        ids,
    )
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let pair = (r.try_get("handle")?, r.try_get("name")?);
        out.insert(r.try_get::<i64, _>("id")?, pair);
    }
    Ok(out)
}

/// How many companies there are and a sum of their change times, as one SQL value (text): the
/// directory's change detector.
pub const CHANGE_STAMP: &str = "SELECT CAST(COUNT(*) AS TEXT) || ':' || \
     CAST(COALESCE(SUM(updated_at % 1000000007), 0) AS TEXT) FROM companies";

/// The role of an account in a company, if it is a member.
pub async fn role_of(db: &Db, company_id: i64, account_id: i64) -> Result<Option<Role>> {
    let row =
        sqlx::query("SELECT role FROM company_members WHERE company_id = $1 AND account_id = $2")
            .bind(company_id)
            .bind(account_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|r| role_from_row(&r)).transpose()?)
}

pub async fn members(db: &Db, company_id: i64) -> Result<Vec<CompanyMember>> {
    let rows = sqlx::query(
        "SELECT account_id, role, joined_at FROM company_members WHERE company_id = $1",
    )
    .bind(company_id)
    .fetch_all(db.pool())
    .await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("account_id"))
        .collect::<Result<_, sqlx::Error>>()?;
    let mut names = crate::accounts::store::names(db, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(named) = names.remove(&r.try_get::<i64, _>("account_id")?) else {
            continue;
        };
        out.push(CompanyMember {
            handle: named.handle,
            display_name: named.display_name,
            avatar_key: named.avatar_key,
            role: role_from_row(r)?,
            joined_at: r.try_get("joined_at")?,
        });
    }
    // Owners, then admins, then members; by handle within each.
    out.sort_by(|a, b| (rank(a.role), &a.handle).cmp(&(rank(b.role), &b.handle)));
    Ok(out)
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Owner => 0,
        Role::Admin => 1,
        Role::Member => 2,
    }
}

/// The companies an account belongs to.
pub async fn memberships_of(db: &Db, account_id: i64) -> Result<Vec<Membership>> {
    let rows = sqlx::query(
        "SELECT companies.handle, companies.name, company_members.role FROM company_members \
         JOIN companies ON companies.id = company_members.company_id \
         WHERE company_members.account_id = $1 ORDER BY companies.name",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Membership {
                handle: r.try_get("handle")?,
                name: r.try_get("name")?,
                role: role_from_row(r)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Serialises changes to one company's membership: a no-op write on the company row takes its
/// row lock on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already serialises writers). Call it
/// first in a transaction that checks "the last owner" before changing roles.
pub async fn lock_company(tx: &mut Tx, company_id: i64) -> Result<()> {
    sqlx::query("UPDATE companies SET updated_at = updated_at WHERE id = $1")
        .bind(company_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn count_owners(tx: &mut Tx, company_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM company_members WHERE company_id = $1 AND role = 'owner'",
    )
    .bind(company_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Names of the companies whose only owner is `account_id`.
pub async fn solely_owned_by_tx(tx: &mut Tx, account_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT companies.name FROM company_members JOIN companies ON companies.id = company_members.company_id \
         WHERE company_members.account_id = $1 AND company_members.role = 'owner' AND \
         (SELECT COUNT(*) FROM company_members o WHERE o.company_id = company_members.company_id AND o.role = 'owner') = 1",
    )
    .bind(account_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Deletes the company row; `false` when there was none.
pub async fn delete_tx(tx: &mut Tx, company_id: i64) -> Result<bool> {
    let deleted = sqlx::query("DELETE FROM companies WHERE id = $1")
        .bind(company_id)
        .execute(&mut **tx)
        .await?;
    Ok(deleted.rows_affected() != 0)
}

pub async fn role_of_tx(tx: &mut Tx, company_id: i64, account_id: i64) -> Result<Option<Role>> {
    let row =
        sqlx::query("SELECT role FROM company_members WHERE company_id = $1 AND account_id = $2")
            .bind(company_id)
            .bind(account_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.map(|r| role_from_row(&r)).transpose()?)
}

pub async fn set_role(tx: &mut Tx, company_id: i64, account_id: i64, role: Role) -> Result<()> {
    sqlx::query("UPDATE company_members SET role = $1 WHERE company_id = $2 AND account_id = $3")
        .bind(role.as_str())
        .bind(company_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn remove_member(tx: &mut Tx, company_id: i64, account_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM company_members WHERE company_id = $1 AND account_id = $2")
        .bind(company_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

// --- invitations --------------------------------------------------------------------------

/// Records an invitation; `false` when one is already pending.
pub async fn insert_invite(
    tx: &mut Tx,
    company_id: i64,
    account_id: i64,
    role: Role,
    invited_by: i64,
) -> Result<bool> {
    let pending: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM company_invites WHERE company_id = $1 AND account_id = $2",
    )
    .bind(company_id)
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await?;
    if pending.is_some() {
        return Ok(false);
    }
    let inserted = sqlx::query(
        "INSERT INTO company_invites (company_id, account_id, role, invited_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(company_id)
    .bind(account_id)
    .bind(role.as_str())
    .bind(invited_by)
    .bind(now_ms())
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        // A simultaneous identical invitation won the race: the same answer as above.
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

const INVITE_SELECT: &str = "SELECT company_invites.id, companies.handle AS company_handle, \
    companies.name AS company_name, company_invites.account_id, company_invites.role, \
    company_invites.created_at FROM company_invites \
    JOIN companies ON companies.id = company_invites.company_id";

/// Invitations from their rows, with the invited members' handles read from their owner in
/// one call (an invitation whose account is gone is left out).
async fn invites_from_rows(db: &Db, rows: &[crate::storage::Row]) -> Result<Vec<CompanyInvite>> {
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("account_id"))
        .collect::<Result<_, sqlx::Error>>()?;
    let names = crate::accounts::store::names(db, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(named) = names.get(&r.try_get::<i64, _>("account_id")?) else {
            continue;
        };
        out.push(CompanyInvite {
            id: r.try_get("id")?,
            company_handle: r.try_get("company_handle")?,
            company_name: r.try_get("company_name")?,
            member_handle: named.handle.clone(),
            role: role_from_row(r)?,
            created_at: r.try_get("created_at")?,
        });
    }
    Ok(out)
}

/// Invitations waiting for this account's answer.
pub async fn invites_for(db: &Db, account_id: i64) -> Result<Vec<CompanyInvite>> {
    let sql = format!("{INVITE_SELECT} WHERE company_invites.account_id = $1 ORDER BY company_invites.created_at DESC");
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .fetch_all(db.pool())
        .await?;
    invites_from_rows(db, &rows).await
}

/// The pending invitation of one account to one company, if any.
pub async fn pending_invite(
    db: &Db,
    company_id: i64,
    account_id: i64,
) -> Result<Option<CompanyInvite>> {
    let sql = format!(
        "{INVITE_SELECT} WHERE company_invites.company_id = $1 AND company_invites.account_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(company_id)
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(invites_from_rows(db, row.as_slice()).await?.pop())
}

/// Invitations a company has sent that are still pending.
pub async fn invites_of_company(db: &Db, company_id: i64) -> Result<Vec<CompanyInvite>> {
    let sql = format!("{INVITE_SELECT} WHERE company_invites.company_id = $1 ORDER BY company_invites.created_at DESC");
    let rows = sqlx::query(&sql)
        .bind(company_id)
        .fetch_all(db.pool())
        .await?;
    invites_from_rows(db, &rows).await
}

/// Takes a pending invitation addressed to `account_id` out of the table: (company id, role).
/// One statement: of two answers racing, one takes the invitation and the other finds none.
pub async fn take_invite(
    tx: &mut Tx,
    invite_id: i64,
    account_id: i64,
) -> Result<Option<(i64, Role)>> {
    let row = sqlx::query(
        "DELETE FROM company_invites WHERE id = $1 AND account_id = $2 RETURNING company_id, role",
    )
    .bind(invite_id)
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let company_id: i64 = row.try_get("company_id")?;
    let role = role_from_row(&row)?;
    Ok(Some((company_id, role)))
}

/// Adds a member with `role`; one who already belongs keeps the role they have.
pub async fn add_member(tx: &mut Tx, company_id: i64, account_id: i64, role: Role) -> Result<()> {
    sqlx::query(
        "INSERT INTO company_members (company_id, account_id, role, joined_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (company_id, account_id) DO NOTHING",
    )
    .bind(company_id)
    .bind(account_id)
    .bind(role.as_str())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn cancel_invite(db: &Db, company_id: i64, invite_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM company_invites WHERE id = $1 AND company_id = $2")
        .bind(invite_id)
        .bind(company_id)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}
