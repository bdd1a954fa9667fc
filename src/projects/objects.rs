//! A project on the wire: the `Group` actor (FEP-1b12) and what it holds. Tasks are `Page`s
//! (as Lemmy sends a community's posts, so Lemmy and Mastodon show them as titled posts) with
//! Guildhall terms for status, priority, assignees and due date; notes are `Article`s; files
//! are `Document`s. Each carries `context` and `audience` = the group. Members' activities
//! about them are `Create`/`Update`, which the group wraps in `Announce` for every member.

use serde_json::{json, Value};

use super::model::{Note, Project, ProjectFile, Task};
use crate::error::{Error, Result};
use crate::federation::activities::{new_id, strip_context};
use crate::federation::html::{escape, paragraphs};
use crate::federation::keys::{self, ActorKind};
use crate::federation::protocol::{context, datetime, Actor, AS_PUBLIC};
use crate::federation::urls::Urls;
use crate::federation::wire::Link;
use crate::state::AppState;

/// The project as a `Group` actor: members are its followers, managers its moderators.
pub async fn group(state: &AppState, project: &Project) -> Result<Actor> {
    let urls = Urls::new(&state.config);
    let id = urls.project(&project.handle);
    let public_key_pem = keys::public_pem(&state.db, ActorKind::Project, project.id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("project without a key")))?;
    let inbox = urls.collection(&id, "inbox");
    Ok(Actor {
        name: Some(project.name.clone()),
        summary: Some(paragraphs(&project.summary)),
        manually_approves_followers: Some(project.closed),
        discoverable: Some(true),
        published: Some(datetime(project.created_at)),
        attributed_to: Some(Link(project.owner.clone())),
        moderators: Some(Link(urls.collection(&id, "moderators"))),
        ..Actor::local(&urls, &id, "Group", &project.handle, inbox, public_key_pem)
    })
}

/// `to`/`cc`/`audience` of everything in a project: public, and named to the group.
fn address(doc: &mut Value, project: &str) {
    doc["to"] = json!([AS_PUBLIC]);
    doc["cc"] = json!([project]);
    doc["audience"] = json!(project);
    doc["context"] = json!(project);
}

/// What Mastodon shows of a task: the description, then one line with its state.
pub fn task_content(task: &Task) -> String {
    let mut facts = vec![format!("Status: {}", task.status.label())];
    facts.push(format!("Priority: {}", task.priority.as_str()));
    if let Some(due) = &task.due_on {
        facts.push(format!("Due {due}"));
    }
    if !task.assignees.is_empty() {
        facts.push(format!("Assigned to {}", task.assignees.len()));
    }
    format!(
        "{}<p>{}</p>",
        paragraphs(&task.description),
        escape(&facts.join(" · "))
    )
}

pub fn task(task: &Task) -> Value {
    let mut doc = json!({
        "@context": context(),
        "id": task.uri,
        "type": "Page",
        "attributedTo": task.author,
        "name": task.title,
        "content": task_content(task),
        "source": { "content": task.description, "mediaType": "text/plain" },
        "url": task.uri,
        "published": datetime(task.created_at),
        "updated": datetime(task.updated_at),
        "taskStatus": task.status.as_str(),
        "priority": task.priority.as_str(),
        "assignees": task.assignees,
    });
    if let Some(due) = &task.due_on {
        doc["dueDate"] = json!(due);
    }
    address(&mut doc, &task.project);
    doc
}

pub fn note(note: &Note) -> Value {
    let mut doc = json!({
        "@context": context(),
        "id": note.uri,
        "type": "Article",
        "attributedTo": note.author,
        "name": note.title,
        "content": paragraphs(&note.body),
        "source": { "content": note.body, "mediaType": "text/plain" },
        "url": note.uri,
        "published": datetime(note.created_at),
        "updated": datetime(note.updated_at),
        "revision": note.revision,
    });
    address(&mut doc, &note.project);
    doc
}

pub fn file(file: &ProjectFile) -> Value {
    let mut doc = json!({
        "@context": context(),
        "id": file.uri,
        "type": "Document",
        "attributedTo": file.author,
        "name": file.name,
        "mediaType": file.media_type,
        "fileSize": file.size,
        "url": file.url,
        "content": format!("<p>{} ({} bytes)</p>", escape(&file.name), file.size),
        "published": datetime(file.created_at),
    });
    address(&mut doc, &file.project);
    doc
}

/// `Create` or `Update` of a project object by the member `actor`.
pub fn activity(urls: &Urls, kind: &str, actor: &str, object: &Value) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": kind,
        "actor": actor,
        "object": strip_context(object),
        "to": object["to"],
        "cc": object["cc"],
        "audience": object["audience"],
    })
}

/// The group's `Announce` of a member's activity, to every member (FEP-1b12).
pub fn announce(urls: &Urls, group: &str, activity: &Value) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": "Announce",
        "actor": group,
        "object": embedded(activity),
        "to": [AS_PUBLIC],
        "cc": [urls.collection(group, "followers")],
        "audience": group,
    })
}

/// An activity as the group embeds it. A remote member's activity keeps its own `@context`:
/// the terms its server uses (Mastodon's `atomUri`, `conversation`, `sensitive`) are defined
/// there and nowhere else, and a nested context is how JSON-LD scopes them. Its Linked Data
/// `signature` goes: it signed the original alone, goes stale in any copy, and the group's
/// HTTP signature is what vouches for the Announce. Our own activities carry our context,
/// which the Announce already has.
fn embedded(activity: &Value) -> Value {
    let mut v = activity.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("signature");
        if o.get("@context") == Some(&context()) {
            o.remove("@context");
        }
    }
    v
}

/// `Delete` of a project object by the member `actor`, carrying a `Tombstone`.
pub fn delete(urls: &Urls, actor: &str, uri: &str, former_type: &str, project: &str) -> Value {
    json!({
        "@context": context(),
        "id": new_id(urls),
        "type": "Delete",
        "actor": actor,
        "object": { "id": uri, "type": "Tombstone", "formerType": former_type },
        "to": [AS_PUBLIC],
        "cc": [project],
        "audience": project,
    })
}
