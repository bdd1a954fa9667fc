//! A project on the wire: the `Group` actor (FEP-1b12) and what it holds. Tasks are `Page`s
//! (as Lemmy sends a community's posts, so Lemmy and Mastodon show them as titled posts) with
//! Guildhall terms for status, priority, assignees and due date; notes are `Article`s; files
//! are `Document`s. Each carries `context` and `audience` = the group. Members' activities
//! about them are `Create`/`Update`, which the group wraps in `Announce` for every member.

use serde_json::Value;

use super::model::{Note, Project, ProjectFile, Task};
use crate::error::{Error, Result};
use crate::federation::activities::{new_id, strip_context};
use crate::federation::html::{escape, markdown, paragraphs};
use crate::federation::keys::{self, ActorKind};
use crate::federation::urls::Urls;
use crate::federation::wire::{
    self, context, datetime, document, Activity, ActivityKind, Actor, Addressing, Document, Link,
    Object, ObjectOrLink, OneOrMany, Source, Tombstone, AS_PUBLIC,
};
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
fn address(project: &str) -> Addressing<String> {
    Addressing {
        audience: Some(Link(project.to_string())),
        ..Addressing::to_cc(vec![AS_PUBLIC.to_string()], vec![project.to_string()])
    }
}

/// What every project object carries: author, `url` (its id), `context` = the group, addressing.
fn in_project(kind: &str, uri: &str, author: &str, project: &str) -> wire::Note<String> {
    wire::Note {
        attributed_to: Some(OneOrMany::One(Link(author.to_string()))),
        url: Some(Link(uri.to_string())),
        address: address(project),
        context: Some(Link(project.to_string())),
        ..wire::Note::new(kind, uri.to_string())
    }
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
        markdown(&task.description),
        escape(&facts.join(" · "))
    )
}

pub fn task(task: &Task) -> Value {
    let page = wire::Note {
        name: Some(task.title.clone()),
        content: Some(task_content(task)),
        source: Some(Source::markdown(&task.description)),
        published: Some(datetime(task.created_at)),
        updated: Some(datetime(task.updated_at)),
        task_status: Some(task.status.as_str().into()),
        priority: Some(task.priority.as_str().into()),
        assignees: Some(task.assignees.clone()),
        due_date: task.due_on.clone(),
        ..in_project("Page", &task.uri, &task.author, &task.project)
    };
    document(&page)
}

pub fn note(note: &Note) -> Value {
    let article = wire::Note {
        name: Some(note.title.clone()),
        content: Some(markdown(&note.body)),
        source: Some(Source::markdown(&note.body)),
        published: Some(datetime(note.created_at)),
        updated: Some(datetime(note.updated_at)),
        revision: Some(note.revision),
        ..in_project("Article", &note.uri, &note.author, &note.project)
    };
    document(&article)
}

pub fn file(file: &ProjectFile) -> Value {
    let doc = Document {
        context_ld: None,
        id: file.uri.clone(),
        kind: "Document".into(),
        attributed_to: Some(OneOrMany::One(Link(file.author.clone()))),
        name: Some(file.name.clone()),
        media_type: Some(file.media_type.clone()),
        file_size: Some(file.size),
        url: Some(Link(file.url.clone())),
        content: Some(format!(
            "<p>{} ({} bytes)</p>",
            escape(&file.name),
            file.size
        )),
        published: Some(datetime(file.created_at)),
        address: address(&file.project),
        context: Some(Link(file.project.clone())),
    };
    document(&doc)
}

/// `Create` or `Update` of a project object by the member `actor`, addressed like the object
/// (which is embedded as it is, less its `@context`).
pub fn activity(urls: &Urls, kind: &str, actor: &str, object: &Value) -> Value {
    let mut activity = Activity::new(
        ActivityKind::Create,
        new_id(urls),
        actor.to_string(),
        ObjectOrLink::Object(Box::new(Object::Other(strip_context(object)))),
    );
    activity.kind_name = kind.to_string();
    activity.address = Addressing {
        audience: object["audience"].as_str().map(|g| Link(g.to_string())),
        ..Addressing::to_cc(addressees(&object["to"]), addressees(&object["cc"]))
    };
    document(&activity)
}

/// The addresses of a `to` or `cc` we wrote.
fn addressees(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(Into::into).collect())
        .unwrap_or_default()
}

/// The group's `Announce` of a member's activity, to every member (FEP-1b12).
pub fn announce(urls: &Urls, group: &str, activity: &Value) -> Value {
    let mut announce = Activity::new(
        ActivityKind::Announce,
        new_id(urls),
        group.to_string(),
        ObjectOrLink::Object(Box::new(Object::Other(embedded(activity)))),
    );
    announce.address = Addressing {
        audience: Some(Link(group.to_string())),
        ..Addressing::to_cc(
            vec![AS_PUBLIC.to_string()],
            vec![urls.collection(group, "followers")],
        )
    };
    document(&announce)
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
    let tombstone = Tombstone::new(uri.to_string(), Some(former_type));
    let mut activity = Activity::new(
        ActivityKind::Delete,
        new_id(urls),
        actor.to_string(),
        ObjectOrLink::Object(Box::new(Object::Tombstone(tombstone))),
    );
    activity.address = address(project);
    document(&activity)
}
