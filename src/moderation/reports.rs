//! A member reports an actor, with the objects concerned (posts, messages, events, project
//! items, profiles), a category and a comment. The report goes to the moderators' queue with
//! origin `local`; `forward` is kept for sending a `Flag` to a remote target's server. Every
//! moderator and administrator is notified of each report (kind `report`, linking to its page
//! in the queue) in the transaction that stores it, whether a member filed it or a `Flag`
//! brought it.

use serde::Deserialize;

use super::blocks;
use super::model::Category;
use super::store::{self, NewReport};
use crate::accounts::Account;
use crate::error::{Error, Result};
use crate::federation::link::RemoteUrl;
use crate::federation::remote;
use crate::federation::urls::Urls;
use crate::notifications::{self, Kind, NewNotification};
use crate::state::AppState;
use crate::validate::FieldErrors;
use crate::{accounts, companies, events, posts, projects};

/// The most objects one report may name.
pub const MAX_OBJECTS: usize = 20;
/// The longest comment, in characters (Mastodon's limit).
pub const MAX_COMMENT: usize = 1000;

/// A report as a member sends it (the API body and the form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportForm {
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub objects: Vec<String>,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub forward: bool,
}

/// Files a report from a local member; returns its id. Nothing is stored unless every part
/// is valid: a known target, objects that exist here, a category, a bounded comment.
pub async fn create(state: &AppState, reporter: &Account, form: &ReportForm) -> Result<i64> {
    let mut errors = FieldErrors::new();
    let category = errors.check("category", Category::parse(&form.category));
    let comment = form.comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        errors.add(
            "comment",
            format!("must be at most {MAX_COMMENT} characters"),
        );
    }
    if form.objects.len() > MAX_OBJECTS {
        errors.add("objects", format!("may name at most {MAX_OBJECTS} objects"));
    }
    let mut objects: Vec<String> = Vec::new();
    for raw in form.objects.iter().take(MAX_OBJECTS) {
        let uri = raw.trim();
        if RemoteUrl::parse(uri, true).is_err() || uri.len() > 2000 {
            errors.add("objects", format!("{} is not an address", shorten(uri)));
        } else if !exists(state, uri).await? {
            errors.add("objects", format!("{} is not known here", shorten(uri)));
        } else if !objects.iter().any(|o| o == uri) {
            objects.push(uri.to_string());
        }
    }
    let target = if form.target.trim().is_empty() {
        errors.add("target", "is required: the actor you report");
        None
    } else {
        match blocks::resolve(state, &form.target).await {
            Ok(t) => Some(t),
            Err(Error::Invalid(e)) => {
                errors.0.extend(e.0);
                None
            }
            Err(e) => return Err(e),
        }
    };
    errors.into_result()?;
    let (Some(category), Some(target)) = (category, target) else {
        return Err(Error::invalid("target", "is required"));
    };
    let reporter_uri = Urls::new(&state.config).member(&reporter.handle);
    if target.uri == reporter_uri {
        return Err(Error::invalid("target", "is you"));
    }
    file(
        state,
        &NewReport {
            category,
            comment,
            target: &target.uri,
            objects: &objects,
            reporter_id: Some(reporter.id),
            origin: "local",
            forward: form.forward && !target.local,
        },
        &Filer {
            uri: &reporter_uri,
            name: &format!("@{}", reporter.handle),
            target: &target.handle,
        },
    )
    .await
}

/// Who filed a report, as the moderators' notification shows it, and how it names the target.
pub struct Filer<'a> {
    /// The reporter's actor URI (a member, or the remote actor that sent the `Flag`).
    pub uri: &'a str,
    /// `@handle` or `@handle@domain`.
    pub name: &'a str,
    /// The reported actor as people write it, or its address.
    pub target: &'a str,
}

/// Stores a report and tells every moderator and administrator of it (except a staff member
/// who filed it), in one transaction; returns the report's id.
pub async fn file(state: &AppState, report: &NewReport<'_>, by: &Filer<'_>) -> Result<i64> {
    let mut tx = state.db.begin_write().await?;
    let id = store::insert_report_tx(&mut tx, report).await?;
    let link = format!("/admin/reports/{id}");
    let summary = format!(
        "reported {} ({}): review it in the moderation queue",
        by.target,
        report.category.as_str()
    );
    for account_id in accounts::store::staff_ids_tx(&mut tx).await? {
        if Some(account_id) == report.reporter_id {
            continue;
        }
        notifications::store::notify(
            &mut tx,
            &NewNotification {
                account_id,
                kind: Kind::Report,
                actor: by.uri,
                actor_name: by.name,
                object: report.target,
                link: &link,
                summary: &summary,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Whether an object is known here: a post, message or comment (local or remote), an event, a
/// project's task, note or file, a local actor's profile or a known remote actor.
pub async fn exists(state: &AppState, uri: &str) -> Result<bool> {
    let db = &state.db;
    if posts::store::by_uri(db, uri).await?.is_some()
        || events::store::by_uri(db, uri).await?.is_some()
        || projects::store::task_by_uri(db, uri).await?.is_some()
        || projects::store::note_by_uri(db, uri).await?.is_some()
        || projects::store::file_by_uri(db, uri).await?.is_some()
        || remote::store::by_uri(db, uri).await?.is_some()
    {
        return Ok(true);
    }
    let urls = Urls::new(&state.config);
    let local = |kind: &str| {
        uri.strip_prefix(&format!("{}/{kind}/", urls.base()))
            .filter(|h| !h.is_empty() && !h.contains('/'))
            .map(str::to_string)
    };
    if let Some(h) = local("members") {
        return Ok(accounts::store::by_handle(db, &h).await?.is_some());
    }
    if let Some(h) = local("companies") {
        return Ok(companies::store::by_handle(db, &h).await?.is_some());
    }
    if let Some(h) = local("projects") {
        return Ok(projects::store::by_handle(db, &h).await?.is_some());
    }
    Ok(false)
}
