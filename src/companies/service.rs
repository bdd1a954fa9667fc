//! The rules of companies: who may create, edit and manage them, and how invitations, leaving
//! and removal keep every company with at least one owner. Shared by pages and API.

use serde::Deserialize;

use super::model::{Company, CompanyInvite, Role, SIZES};
use super::store::{self, CompanyFields};
use crate::accounts::{self, Account};
use crate::error::{Error, Result};
use crate::storage::Db;
use crate::validate::{country, line, skills, text, web_url, FieldErrors, Handle};

/// A company as submitted. The web form sends skills as comma-separated text and flags as
/// checkboxes; the API sends the same names as JSON (skills as a list or text).
#[derive(Debug, Default, Deserialize)]
pub struct CompanyForm {
    #[serde(default)]
    pub handle: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub skills: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub size: String,
    #[serde(default)]
    pub hiring: Option<String>,
    #[serde(default)]
    pub open_to_collaborate: Option<String>,
    #[serde(default)]
    pub discoverable: Option<String>,
}

impl CompanyForm {
    /// A form pre-filled from a company, for its edit page.
    pub fn of(c: &Company) -> Self {
        let on = |b: bool| b.then(|| "on".to_string());
        CompanyForm {
            handle: c.handle.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            industry: c.industry.clone(),
            skills: c.skills.join(", "),
            city: c.city.clone(),
            country: c.country.clone(),
            website: c.website.clone(),
            size: c.size.clone(),
            hiring: on(c.hiring),
            open_to_collaborate: on(c.open_to_collaborate),
            discoverable: on(c.discoverable),
        }
    }

    /// An empty form for a new company: listed in directories unless switched off.
    pub fn new_company() -> Self {
        CompanyForm {
            discoverable: Some("on".into()),
            ..Default::default()
        }
    }

    pub fn is_on(v: &Option<String>) -> bool {
        v.as_deref()
            .is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
    }

    pub fn fields(&self, errors: &mut FieldErrors) -> Option<CompanyFields> {
        let name = errors.check("name", line(&self.name, 100, true));
        let description = errors.check("description", text(&self.description, 5000, false));
        let industry = errors.check("industry", line(&self.industry, 80, false));
        let skills = errors.check("skills", skills(&self.skills));
        let city = errors.check("city", line(&self.city, 80, false));
        let country = errors.check("country", country(&self.country));
        let website = errors.check("website", web_url(&self.website));
        let size = self.size.trim().to_string();
        if !size.is_empty() && !SIZES.contains(&size.as_str()) {
            errors.add("size", format!("must be one of {}", SIZES.join(", ")));
        }
        Some(CompanyFields {
            name: name?,
            description: description?,
            industry: industry?,
            skills: skills?,
            city: city?,
            country: country?,
            website: website?,
            size,
            hiring: Self::is_on(&self.hiring),
            open_to_collaborate: Self::is_on(&self.open_to_collaborate),
            discoverable: Self::is_on(&self.discoverable),
        })
    }
}

/// Any member creates a company and becomes its owner.
pub async fn create(db: &Db, owner: &Account, form: &CompanyForm) -> Result<Company> {
    let mut errors = FieldErrors::new();
    let handle = errors
        .check("handle", Handle::parse(&form.handle))
        .and_then(|h| {
            // `/companies/new` is the creation page; a company with this handle could not be
            // reached.
            if h.as_str() == "new" {
                errors.add("handle", "is reserved; choose another");
                None
            } else {
                Some(h)
            }
        });
    let fields = form.fields(&mut errors);
    // Report a taken handle together with the other mistakes, not one round trip later. The
    // reservation below stays the check that counts.
    if !errors.is_empty() {
        if let Some(h) = &handle {
            if store::handle_in_use(db, h.as_str()).await? {
                errors.add("handle", "is already taken");
            }
        }
    }
    errors.into_result()?;
    let (Some(handle), Some(fields)) = (handle, fields) else {
        return Err(Error::Internal(anyhow::anyhow!(
            "validated company missing"
        )));
    };
    let keys = crate::federation::keys::generate().await?;
    let mut tx = db.begin_write().await?;
    accounts::store::reserve_handle(&mut tx, &handle, "company").await?;
    store::insert(&mut tx, handle.as_str(), &fields, owner.id, &keys).await?;
    tx.commit().await?;
    store::by_handle(db, handle.as_str())
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("company vanished after insert")))
}

/// The company and the acting member's role; 404 when unknown, 403 when the member may not
/// manage it.
pub async fn managed(db: &Db, handle: &str, actor: &Account) -> Result<(Company, Role)> {
    let company = store::by_handle(db, handle).await?.ok_or(Error::NotFound)?;
    let role = store::role_of(db, company.id, actor.id).await?;
    match role {
        Some(r) if r.can_manage() => Ok((company, r)),
        _ => Err(Error::forbidden(
            "Only the owners and admins of this company can do this.",
        )),
    }
}

pub async fn update(db: &Db, handle: &str, actor: &Account, form: &CompanyForm) -> Result<Company> {
    let (company, _) = managed(db, handle, actor).await?;
    let mut errors = FieldErrors::new();
    let fields = form.fields(&mut errors);
    errors.into_result()?;
    let fields =
        fields.ok_or_else(|| Error::Internal(anyhow::anyhow!("validated company missing")))?;
    store::update(db, company.id, &fields).await?;
    store::by_handle(db, handle).await?.ok_or(Error::NotFound)
}

/// Replaces the logo with an uploaded image (checked, cropped to 256 px).
pub async fn replace_logo(
    state: &crate::state::AppState,
    handle: &str,
    actor: &Account,
    data: Vec<u8>,
) -> Result<()> {
    let (company, _) = managed(&state.db, handle, actor).await?;
    let image = crate::media::square_image(data, 256).await?;
    let key = crate::media::new_key("logos", &image);
    state.media.put(&key, image.bytes).await?;
    if let Some(old) = store::set_logo(&state.db, company.id, Some(&key)).await? {
        state.media.delete(&old).await;
    }
    super::actor::publish_update(state, &company.handle).await
}

/// Invites a member of this space, by handle, to join with `role` (member or admin); returns
/// the pending invitation. The invited member is notified (`invitation`) in the same
/// transaction; `actor_uri` is the inviting member's actor URI, which the notification names.
pub async fn invite(
    db: &Db,
    handle: &str,
    actor: &Account,
    actor_uri: &str,
    member_handle: &str,
    role: &str,
) -> Result<CompanyInvite> {
    let (company, actor_role) = managed(db, handle, actor).await?;
    let role = Role::parse(if role.trim().is_empty() {
        "member"
    } else {
        role
    })
    .map_err(|m| Error::invalid("role", m))?;
    if role == Role::Owner {
        return Err(Error::invalid(
            "role",
            "must be member or admin; promote to owner after they join",
        ));
    }
    if role == Role::Admin && actor_role != Role::Owner {
        return Err(Error::forbidden("Only owners can invite admins."));
    }
    let name = member_handle.trim().trim_start_matches('@');
    if name.is_empty() {
        return Err(Error::invalid("member", "is required"));
    }
    let invitee = accounts::store::by_handle(db, name)
        .await?
        .ok_or_else(|| Error::invalid("member", "is not a member of this space"))?;
    if store::role_of(db, company.id, invitee.id).await?.is_some() {
        return Err(Error::invalid("member", "already belongs to this company"));
    }
    let mut tx = db.begin_write().await?;
    let created = store::insert_invite(&mut tx, company.id, invitee.id, role, actor.id).await?;
    if created {
        let summary = format!("invited you to join {} as {}", company.name, role.as_str());
        crate::notifications::store::notify(
            &mut tx,
            &crate::notifications::NewNotification {
                account_id: invitee.id,
                kind: crate::notifications::Kind::Invitation,
                actor: actor_uri,
                actor_name: actor.name(),
                object: "",
                link: "/#invitations",
                summary: &summary,
            },
        )
        .await?;
    }
    tx.commit().await?;
    if !created {
        return Err(Error::invalid("member", "already has a pending invitation"));
    }
    store::pending_invite(db, company.id, invitee.id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("invitation vanished after insert")))
}

/// The invitations a company has sent that wait for an answer; for its owners and admins.
pub async fn pending_invites(db: &Db, handle: &str, actor: &Account) -> Result<Vec<CompanyInvite>> {
    let (company, _) = managed(db, handle, actor).await?;
    store::invites_of_company(db, company.id).await
}

/// An owner or admin withdraws a pending invitation; 404 when it is not this company's.
pub async fn cancel_invite(db: &Db, handle: &str, actor: &Account, invite_id: i64) -> Result<()> {
    let (company, _) = managed(db, handle, actor).await?;
    if !store::cancel_invite(db, company.id, invite_id).await? {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// The invited member accepts (joins) or declines an invitation; returns the company handle.
pub async fn answer_invite(
    db: &Db,
    invite_id: i64,
    actor: &Account,
    accept: bool,
) -> Result<String> {
    let mut tx = db.begin_write().await?;
    let (company_id, role) = store::take_invite(&mut tx, invite_id, actor.id)
        .await?
        .ok_or(Error::NotFound)?;
    if accept {
        store::add_member(&mut tx, company_id, actor.id, role).await?;
    }
    let handle = store::handle_of(&mut tx, company_id).await?;
    tx.commit().await?;
    Ok(handle)
}

/// A member leaves. The last owner cannot leave (they would orphan the company).
pub async fn leave(db: &Db, handle: &str, actor: &Account) -> Result<()> {
    let company = store::by_handle(db, handle).await?.ok_or(Error::NotFound)?;
    let mut tx = db.begin_write().await?;
    store::lock_company(&mut tx, company.id).await?;
    let role = store::role_of_tx(&mut tx, company.id, actor.id)
        .await?
        .ok_or_else(|| Error::Conflict("You are not a member of this company.".into()))?;
    if role == Role::Owner && store::count_owners(&mut tx, company.id).await? <= 1 {
        return Err(Error::Conflict(
            "You are the only owner. Make another member an owner before you leave.".into(),
        ));
    }
    store::remove_member(&mut tx, company.id, actor.id).await?;
    tx.commit().await?;
    Ok(())
}

/// An owner or admin removes a member. Admins cannot remove owners or other admins.
pub async fn remove(db: &Db, handle: &str, actor: &Account, member_handle: &str) -> Result<()> {
    let (company, _) = managed(db, handle, actor).await?;
    let target = accounts::store::by_handle(db, member_handle)
        .await?
        .ok_or(Error::NotFound)?;
    if target.id == actor.id {
        return leave(db, handle, actor).await;
    }
    let mut tx = db.begin_write().await?;
    store::lock_company(&mut tx, company.id).await?;
    let actor_role = role_now(&mut tx, company.id, actor).await?;
    let target_role = store::role_of_tx(&mut tx, company.id, target.id)
        .await?
        .ok_or(Error::NotFound)?;
    if target_role >= Role::Admin && actor_role != Role::Owner {
        return Err(Error::forbidden(
            "Only owners can remove owners and admins.",
        ));
    }
    store::remove_member(&mut tx, company.id, target.id).await?;
    tx.commit().await?;
    Ok(())
}

/// An owner changes a member's role; the last owner cannot step down.
pub async fn change_role(
    db: &Db,
    handle: &str,
    actor: &Account,
    member_handle: &str,
    role: &str,
) -> Result<()> {
    let (company, _) = managed(db, handle, actor).await?;
    let role = Role::parse(role).map_err(|m| Error::invalid("role", m))?;
    let target = accounts::store::by_handle(db, member_handle)
        .await?
        .ok_or(Error::NotFound)?;
    let mut tx = db.begin_write().await?;
    store::lock_company(&mut tx, company.id).await?;
    if role_now(&mut tx, company.id, actor).await? != Role::Owner {
        return Err(Error::forbidden("Only owners can change roles."));
    }
    let current = store::role_of_tx(&mut tx, company.id, target.id)
        .await?
        .ok_or(Error::NotFound)?;
    if current == Role::Owner
        && role != Role::Owner
        && store::count_owners(&mut tx, company.id).await? <= 1
    {
        return Err(Error::Conflict(
            "A company needs at least one owner. Make someone else an owner first.".into(),
        ));
    }
    store::set_role(&mut tx, company.id, target.id, role).await?;
    tx.commit().await?;
    Ok(())
}

/// The acting member's role as it is under the company's lock (`store::lock_company`), not as
/// it was read before: an owner demoted a moment ago no longer acts as one. 403 when they may
/// no longer manage the company.
async fn role_now(tx: &mut crate::storage::Tx, company_id: i64, actor: &Account) -> Result<Role> {
    match store::role_of_tx(tx, company_id, actor.id).await? {
        Some(r) if r.can_manage() => Ok(r),
        _ => Err(Error::forbidden(
            "Only the owners and admins of this company can do this.",
        )),
    }
}

/// An owner deletes the company: followers are told (`Delete`), its URL answers 410, its
/// handle stays reserved.
pub async fn delete(state: &crate::state::AppState, handle: &str, actor: &Account) -> Result<()> {
    let (company, role) = managed(&state.db, handle, actor).await?;
    if role != Role::Owner {
        return Err(Error::forbidden("Only owners can delete the company."));
    }
    let urls = crate::federation::urls::Urls::new(&state.config);
    let uri = urls.company(&company.handle);
    // One transaction: the Delete is queued exactly when the company goes; a second owner
    // deleting at the same moment finds nothing left to delete.
    let mut tx = state.db.begin_write().await?;
    crate::federation::outbound::queue_actor_deleted(state, &mut tx, &company.local_actor())
        .await?;
    if !super::store::delete_tx(&mut tx, company.id).await? {
        return Err(Error::NotFound);
    }
    crate::federation::tombstones::insert(&mut tx, &uri, "Organization").await?;
    crate::federation::follows::remove_actor_tx(&mut tx, &uri).await?;
    tx.commit().await?;
    crate::federation::delivery::wake(state);
    if let Some(key) = &company.logo_key {
        state.media.delete(key).await;
    }
    tracing::info!(handle = %company.handle, "company deleted");
    Ok(())
}
