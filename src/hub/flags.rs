//! Reports as they federate, as Mastodon sends them: a `Flag` from a server's instance actor
//! whose object is the reported actor and the reported objects, the comment as `content`.
//!
//! - In: a `Flag` naming actors or objects of this space becomes a report in the queue, its
//!   origin the reporting server's domain, with the objects that are ours and the comment;
//!   moderators and administrators are notified of it as of a member's report. A
//!   `Flag` naming nothing of ours is refused (logged, dropped); one from a domain blocked
//!   here is dropped with a log line (the inbox refuses them already; this catches one stored
//!   before the block), and so is one from a domain whose imported rule says `reject_reports`.
//! - Out: a member's report with `forward` about a remote actor is sent to that actor's server
//!   (its shared inbox if known) as a `Flag` signed by the space actor, naming the actor and
//!   the reported objects that live on that server.

use crate::accounts::Account;
use crate::error::Result;
use crate::federation::activities;
use crate::federation::delivery;
use crate::federation::local::LocalActor;
use crate::federation::policy::{self, Decision};
use crate::federation::remote::{self, RemoteActor};
use crate::federation::urls::Urls;
use crate::federation::wire::Activity;
use crate::moderation::model::Category;
use crate::moderation::reports::{self, Filer, ReportForm, MAX_COMMENT, MAX_OBJECTS};
use crate::moderation::store::{self, NewReport};
use crate::state::AppState;
use crate::{accounts, companies, posts, projects};

/// A member files a report (see [`reports::create`]); with `forward` and a remote target, a
/// `Flag` goes to the target's server. Returns the report's id.
pub async fn report(state: &AppState, reporter: &Account, form: &ReportForm) -> Result<i64> {
    let id = reports::create(state, reporter, form).await?;
    if form.forward {
        forward(state, id).await?;
    }
    Ok(id)
}

/// Sends the report `id` to its remote target's server as a `Flag` from the space actor, if it
/// asks to be forwarded and its target is a remote actor known here.
async fn forward(state: &AppState, id: i64) -> Result<()> {
    let Some(report) = store::report(&state.db, id).await? else {
        return Ok(());
    };
    if !report.forward {
        return Ok(());
    }
    let Some(target) = remote::by_uri(&state.db, &report.target).await? else {
        return Ok(());
    };
    // Only what lives on the target's server is that server's business.
    let objects: Vec<String> = report
        .objects
        .iter()
        .filter(|o| policy::authority_of(o).as_deref() == Some(target.host.as_str()))
        .cloned()
        .collect();
    let urls = Urls::new(&state.config);
    let flag = activities::flag(&urls, &urls.space(), &target.uri, &objects, &report.comment);
    let inbox = target.delivery_inbox().to_string();
    let mut tx = state.db.begin_write().await?;
    delivery::publish(&mut tx, &flag, LocalActor::Space.key_ref(), false, &[inbox]).await?;
    tx.commit().await?;
    delivery::wake(state);
    tracing::info!(report = id, host = %target.host, "report forwarded as a Flag");
    Ok(())
}

/// An incoming `Flag` from `actor` (a remote server's instance actor, or one of its accounts).
pub async fn on_flag(state: &AppState, activity: &Activity, actor: &RemoteActor) -> Result<()> {
    if policy::decide(&state.db, &actor.host).await? == Decision::Block {
        tracing::info!(host = %actor.host, actor = %actor.uri, "a Flag from a blocked domain was dropped");
        return Ok(());
    }
    if store::rejects_reports(&state.db, &actor.host).await? {
        tracing::info!(host = %actor.host, actor = %actor.uri, "a Flag from a domain whose reports are rejected was dropped");
        return Ok(());
    }
    let urls = Urls::new(&state.config);
    let named: Vec<String> = activity
        .object
        .iter()
        .flat_map(|o| o.iter())
        .filter_map(|o| match o {
            crate::federation::wire::ObjectOrLink::Link(u) => Some(u.as_str().to_string()),
            crate::federation::wire::ObjectOrLink::Object(o) => {
                o.id().map(|u| u.as_str().to_string())
            }
        })
        .take(MAX_OBJECTS + 1)
        .collect();
    let mut target: Option<String> = None;
    let mut objects: Vec<String> = Vec::new();
    for uri in &named {
        if !is_ours(&urls, uri) {
            continue;
        }
        if is_local_actor(state, &urls, uri).await? {
            target.get_or_insert_with(|| uri.clone());
        } else if objects.len() < MAX_OBJECTS
            && !objects.contains(uri)
            && reports::exists(state, uri).await?
        {
            objects.push(uri.clone());
        }
    }
    if target.is_none() {
        // No actor of ours named: the author of the first object, when it is ours.
        for uri in &objects {
            if let Some(post) = posts::store::by_uri(&state.db, uri).await? {
                if post.local {
                    target = Some(post.author);
                    break;
                }
            }
        }
    }
    let Some(target) = target.or_else(|| objects.first().cloned()) else {
        tracing::info!(actor = %actor.uri, activity = %activity.id, "a Flag naming nothing of this space was refused");
        return Ok(());
    };
    let comment: String = activity
        .content
        .as_deref()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_COMMENT)
        .collect();
    let id = reports::file(
        state,
        &NewReport {
            category: Category::Other,
            comment: &comment,
            target: &target,
            objects: &objects,
            reporter_id: None,
            origin: &actor.host,
            forward: false,
        },
        &Filer {
            uri: &actor.uri,
            name: &actor.handle(),
            target: &label_of(&urls, &target),
        },
    )
    .await?;
    tracing::info!(report = id, origin = %actor.host, "a Flag became a report");
    Ok(())
}

/// How the moderators' notification names a reported address of this space: `@handle` for a
/// member, company or project, the address itself otherwise.
fn label_of(urls: &Urls, uri: &str) -> String {
    ["members", "companies", "projects"]
        .iter()
        .find_map(|kind| uri.strip_prefix(&format!("{}/{kind}/", urls.base())))
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .map(|h| format!("@{h}"))
        .unwrap_or_else(|| uri.to_string())
}

/// Whether `uri` is an address of this space.
fn is_ours(urls: &Urls, uri: &str) -> bool {
    uri == urls.space() || uri.starts_with(&format!("{}/", urls.base()))
}

/// Whether `uri` is the space or a member, company or project of it.
async fn is_local_actor(state: &AppState, urls: &Urls, uri: &str) -> Result<bool> {
    if uri == urls.space() {
        return Ok(true);
    }
    let handle = |kind: &str| {
        uri.strip_prefix(&format!("{}/{kind}/", urls.base()))
            .filter(|h| !h.is_empty() && !h.contains('/'))
            .map(str::to_string)
    };
    let db = &state.db;
    if let Some(h) = handle("members") {
        return Ok(accounts::store::by_handle(db, &h).await?.is_some());
    }
    if let Some(h) = handle("companies") {
        return Ok(companies::store::by_handle(db, &h).await?.is_some());
    }
    if let Some(h) = handle("projects") {
        return Ok(projects::store::by_handle(db, &h).await?.is_some());
    }
    Ok(false)
}
