//! The typed layer against documents in the shapes real servers send (`tests/fixtures/wire/`,
//! sources in its README), against hostile input, and what we send read back.

use serde_json::{json, Value};

use super::*;
use crate::federation::link::RemoteUrl;

macro_rules! fixture {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!("../../../tests/fixtures/wire/", $path)),
        )
    };
}

const ACTIVITIES: &[(&str, &str)] = &[
    fixture!("mastodon/create_note.json"),
    fixture!("mastodon/follow.json"),
    fixture!("mastodon/undo_follow.json"),
    fixture!("mastodon/delete_note.json"),
    fixture!("mastodon/flag.json"),
    fixture!("mastodon/like.json"),
    fixture!("misskey/create_note.json"),
    fixture!("misskey/like.json"),
    fixture!("misskey/follow.json"),
    fixture!("gotosocial/create_note.json"),
    fixture!("gotosocial/accept_follow.json"),
    fixture!("pleroma/create_note.json"),
    fixture!("pleroma/follow.json"),
    fixture!("pleroma/delete.json"),
    fixture!("pleroma/emoji_react.json"),
    fixture!("lemmy/announce_create_page.json"),
    fixture!("lemmy/accept_follow.json"),
    fixture!("lemmy/block_user.json"),
    fixture!("lemmy/like_page.json"),
    fixture!("mobilizon/join.json"),
    fixture!("mobilizon/accept_join.json"),
];

const OBJECTS: &[(&str, &str)] = &[
    fixture!("mastodon/person.json"),
    fixture!("misskey/person.json"),
    fixture!("gotosocial/person.json"),
    fixture!("lemmy/group.json"),
    fixture!("mobilizon/event.json"),
    fixture!("mobilizon/group.json"),
];

fn activity(path: &str) -> Activity {
    let (_, text) = ACTIVITIES
        .iter()
        .find(|(p, _)| *p == path)
        .expect("a listed fixture");
    parse_activity(text.as_bytes(), false).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn object(path: &str) -> Object {
    let (_, text) = OBJECTS
        .iter()
        .find(|(p, _)| *p == path)
        .expect("a listed fixture");
    parse(text.as_bytes(), false).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn embedded(a: &Activity) -> &Object {
    a.object()
        .and_then(ObjectOrLink::object)
        .expect("an embedded object")
}

#[test]
fn every_fixture_parses() {
    for (path, text) in ACTIVITIES {
        if let Err(e) = parse_activity(text.as_bytes(), false) {
            panic!("{path}: {e}");
        }
    }
    for (path, text) in OBJECTS {
        match parse::<Object>(text.as_bytes(), false) {
            Ok(Object::Other(_)) => panic!("{path}: read as an unknown type"),
            Ok(_) => {}
            Err(e) => panic!("{path}: {e}"),
        }
    }
}

#[test]
fn classifies_what_peers_send() {
    use ActivityKind as A;
    use ObjectKind as O;
    let cases = [
        ("mastodon/create_note.json", (A::Create, O::Note)),
        ("mastodon/follow.json", (A::Follow, O::Link)),
        (
            "mastodon/undo_follow.json",
            (A::Undo, O::Activity(A::Follow)),
        ),
        ("mastodon/delete_note.json", (A::Delete, O::Tombstone)),
        ("mastodon/flag.json", (A::Flag, O::Link)),
        ("mastodon/like.json", (A::Like, O::Link)),
        ("misskey/create_note.json", (A::Create, O::Note)),
        ("misskey/like.json", (A::Like, O::Link)),
        (
            "gotosocial/accept_follow.json",
            (A::Accept, O::Activity(A::Follow)),
        ),
        ("pleroma/delete.json", (A::Delete, O::Link)),
        ("pleroma/emoji_react.json", (A::EmojiReact, O::Link)),
        (
            "lemmy/announce_create_page.json",
            (A::Announce, O::Activity(A::Create)),
        ),
        (
            "lemmy/accept_follow.json",
            (A::Accept, O::Activity(A::Follow)),
        ),
        ("lemmy/block_user.json", (A::Block, O::Link)),
        ("mobilizon/join.json", (A::Join, O::Link)),
        (
            "mobilizon/accept_join.json",
            (A::Accept, O::Activity(A::Join)),
        ),
    ];
    for (path, expected) in cases {
        assert_eq!(classify(&activity(path)), expected, "{path}");
    }
}

#[test]
fn mastodon_note() {
    let a = activity("mastodon/create_note.json");
    assert_eq!(a.actor.as_str(), "https://mastodon.example/users/ada");
    assert!(a.address.to.as_ref().unwrap().is_public());
    let Object::Note(note) = embedded(&a) else {
        panic!("a Note");
    };
    assert_eq!(note.author().map(RemoteUrl::as_str), Some(a.actor.as_str()));
    assert_eq!(note.summary, None, "summary: null reads as absent");
    assert_eq!(
        note.in_reply_to.as_ref().map(Link::as_str),
        Some("https://guildhall.example/posts/7f3a")
    );
    let tags = note.tag.as_ref().unwrap();
    assert_eq!(
        tags.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>(),
        ["Mention", "Hashtag", "Emoji"]
    );
    // An Emoji has no href; its name is still read.
    assert_eq!(tags[2].href, None);
    let attachment = &note.attachment.as_ref().unwrap()[0];
    assert_eq!(attachment.media_type.as_deref(), Some("image/png"));
    assert!(attachment.url.is_some());
    assert_eq!(
        attachment.name.as_deref(),
        Some("The room, set up for the meetup")
    );
    assert_eq!(
        (attachment.width, attachment.height),
        (Some(1200), Some(800))
    );
    assert!(note
        .address
        .cc
        .as_ref()
        .unwrap()
        .contains("https://guildhall.example/members/bob"));
}

#[test]
fn mastodon_flag_names_several_objects() {
    let a = activity("mastodon/flag.json");
    assert_eq!(a.object.as_ref().unwrap().len(), 3);
    assert_eq!(a.content.as_deref(), Some("Spam in the coworking channel"));
    // `to` written as one string.
    assert_eq!(a.address.to.as_ref().unwrap().0.len(), 1);
}

#[test]
fn mastodon_delete_carries_a_tombstone_and_a_signature_is_ignored() {
    let a = activity("mastodon/delete_note.json");
    let Object::Tombstone(t) = embedded(&a) else {
        panic!("a Tombstone");
    };
    assert_eq!(a.object_id(), Some(&t.id));
}

#[test]
fn actors_of_each_server() {
    for path in [
        "mastodon/person.json",
        "misskey/person.json",
        "gotosocial/person.json",
    ] {
        let Object::Person(p) = object(path) else {
            panic!("{path}: a Person");
        };
        assert!(p.public_key.is_some(), "{path}");
        assert!(!p.preferred_username.is_empty(), "{path}");
        assert!(p.inbox.as_str().ends_with("/inbox"), "{path}");
    }
    let Object::Person(m) = object("mastodon/person.json") else {
        unreachable!()
    };
    assert_eq!(m.attachment[0].name, "Website");
    assert_eq!(
        m.endpoints.as_ref().map(|e| e.shared_inbox.as_str()),
        Some("https://mastodon.example/inbox")
    );
    let Object::Person(k) = object("misskey/person.json") else {
        unreachable!()
    };
    assert!(k.icon.is_some(), "an icon with `name: null` still reads");
    assert!(k.image.is_none(), "`image: null` reads as absent");
    let Object::Person(g) = object("gotosocial/person.json") else {
        unreachable!()
    };
    assert!(g.endpoints.is_none(), "GoToSocial has no shared inbox");
    assert_eq!(g.manually_approves_followers, Some(true));
    for path in ["lemmy/group.json", "mobilizon/group.json"] {
        assert!(matches!(object(path), Object::Group(_)), "{path}");
    }
}

#[test]
fn misskey_note_and_reaction() {
    let a = activity("misskey/create_note.json");
    let Object::Note(note) = embedded(&a) else {
        panic!("a Note");
    };
    assert_eq!(
        note.source.as_ref().and_then(|s| s.media_type.as_deref()),
        Some("text/x.misskeymarkdown")
    );
    assert_eq!(note.in_reply_to, None);
    let like = activity("misskey/like.json");
    assert_eq!(like.misskey_reaction.as_deref(), Some(":coffee@.:"));
}

#[test]
fn gotosocial_writes_single_values_without_a_list() {
    let a = activity("gotosocial/create_note.json");
    assert!(a.address.to.as_ref().unwrap().is_public());
    assert_eq!(a.address.cc.as_ref().unwrap().0.len(), 1);
    let Object::Note(note) = embedded(&a) else {
        panic!("a Note");
    };
    let tags = note.tag.as_ref().unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name.as_deref(), Some("#office"));
    let accept = activity("gotosocial/accept_follow.json");
    let Object::Activity(follow) = embedded(&accept) else {
        panic!("an embedded Follow");
    };
    assert_eq!(
        follow.actor.as_str(),
        "https://guildhall.example/members/bob"
    );
}

#[test]
fn pleroma_source_as_text_and_context() {
    let a = activity("pleroma/create_note.json");
    let Object::Note(note) = embedded(&a) else {
        panic!("a Note");
    };
    assert_eq!(
        note.source.as_ref().map(|s| s.content.as_str()),
        Some("@bob@guildhall.example the meeting room is free")
    );
    assert!(note.context.is_some());
    assert_eq!(note.summary.as_deref(), Some(""));
    let follow = activity("pleroma/follow.json");
    assert_eq!(follow.address.cc, Some(Audience(Vec::new())));
}

#[test]
fn lemmy_announce_of_a_page_in_a_group() {
    let a = activity("lemmy/announce_create_page.json");
    let Object::Activity(create) = embedded(&a) else {
        panic!("an embedded Create");
    };
    assert_eq!(
        create.address.audience.as_ref().map(Link::as_str),
        Some("https://lemmy.example/c/coworking")
    );
    let Object::Page(page) = embedded(create) else {
        panic!("a Page");
    };
    assert_eq!(page.name.as_deref(), Some("Quiet hours on Fridays?"));
    let link = &page.attachment.as_ref().unwrap()[0];
    assert_eq!(
        link.href.as_ref().map(Link::as_str),
        Some("https://wiki.example/quiet-hours")
    );
    let block = activity("lemmy/block_user.json");
    assert!(block.target.is_some());
}

#[test]
fn mobilizon_event() {
    let Object::Event(e) = object("mobilizon/event.json") else {
        panic!("an Event");
    };
    assert_eq!(e.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(e.remaining_attendee_capacity, None);
    assert_eq!(e.maximum_attendee_capacity, Some(0));
    assert_eq!(e.ical_status.as_deref(), Some("CONFIRMED"));
    let address = e
        .location
        .as_ref()
        .and_then(OneOrMany::first)
        .and_then(|l| l.address.as_ref())
        .unwrap();
    assert_eq!(address.address_locality.as_deref(), Some("Paris"));
    let attachments = e.attachment.as_ref().unwrap();
    assert_eq!(attachments.len(), 2);
    assert!(attachments[0].url.is_some());
    assert_eq!(
        e.attributed_to
            .as_ref()
            .and_then(|a| a.first())
            .map(Link::as_str),
        Some("https://mobilizon.example/@freelancers")
    );
}

fn refused(doc: Value) -> String {
    match parse_value::<Activity>(&doc, false) {
        Ok(a) => panic!("accepted {a:?}"),
        Err(e) => e.to_string(),
    }
}

fn follow() -> Value {
    json!({
        "id": "https://peer.example/f/1",
        "type": "Follow",
        "actor": "https://peer.example/users/a",
        "object": "https://guildhall.example/members/bob",
    })
}

#[test]
fn hostile_ids_are_refused_with_a_clear_error() {
    for bad in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "https://user:pw@peer.example/x",
        "https://peer.example/a b",
        "",
    ] {
        let mut doc = follow();
        doc["id"] = json!(bad);
        let e = refused(doc.clone());
        assert!(e.contains("address"), "{bad}: {e}");
        let mut doc = follow();
        doc["actor"] = json!(bad);
        refused(doc);
        // Embedded: a Note's id.
        let mut doc = follow();
        doc["type"] = json!("Create");
        doc["object"] = json!({ "id": bad, "type": "Note", "content": "hi" });
        let e = refused(doc);
        assert!(e.contains("Note"), "{e}");
    }
}

#[test]
fn plain_http_only_when_allowed() {
    let mut doc = follow();
    doc["actor"] = json!("http://peer.example/users/a");
    assert!(parse_value::<Activity>(&doc, false).is_err());
    assert!(parse_value::<Activity>(&doc, true).is_ok());
    // The rule does not outlive the parse.
    assert!(parse_value::<Activity>(&doc, false).is_err());
    assert!(serde_json::from_value::<RemoteUrl>(json!("http://peer.example/")).is_err());
}

#[test]
fn missing_and_misshapen_fields() {
    for field in ["id", "type", "actor"] {
        let mut doc = follow();
        doc.as_object_mut().unwrap().remove(field);
        let e = refused(doc);
        assert!(e.contains(field), "{field}: {e}");
    }
    // A list where one id is expected.
    let mut doc = follow();
    doc["id"] = json!(["https://peer.example/f/1", "https://peer.example/f/2"]);
    refused(doc);
    // Numbers, nulls and objects where text or links belong.
    for (key, value) in [
        ("object", json!(42)),
        ("object", json!([true])),
        ("type", json!({})),
        ("id", json!(7)),
    ] {
        let mut doc = follow();
        doc[key] = value;
        refused(doc);
    }
    // An object written as `null` is no object: the dispatcher finds nothing to act on.
    let mut doc = follow();
    doc["object"] = json!(null);
    let a = parse_value::<Activity>(&doc, false).unwrap();
    assert_eq!((a.object(), a.object_id()), (None, None));
    // Optional properties that do not read count as absent.
    let mut doc = follow();
    doc["type"] = json!("Create");
    doc["published"] = json!(12);
    doc["object"] = json!({
        "id": "https://peer.example/n/1",
        "type": ["Note", "schema:CreativeWork"],
        "url": "javascript:alert(1)",
        "inReplyTo": null,
        "sensitive": "yes",
        "tag": [{ "type": "Mention", "href": "javascript:x" }, 5, { "type": "Hashtag", "name": "#a" }],
        "to": ["Public", "as:Public", "not a url", "https://peer.example/users/a/followers"],
    });
    let a = parse_value::<Activity>(&doc, false).unwrap();
    assert_eq!(a.published, None);
    let Object::Note(n) = embedded(&a) else {
        panic!("a Note");
    };
    assert_eq!(
        (n.url.is_none(), n.in_reply_to.is_none(), n.sensitive),
        (true, true, None)
    );
    let tags = n.tag.as_ref().unwrap();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0].href, None);
    let to = n.address.to.as_ref().unwrap();
    assert_eq!(to.0.len(), 3);
    assert!(to.is_public());
}

#[test]
fn garbage_and_depth_are_errors_not_panics() {
    for bytes in [
        &b""[..],
        b"null",
        b"[]",
        b"\"Follow\"",
        b"{",
        b"{\"type\":\"Follow\"}",
    ] {
        assert!(parse_activity(bytes, false).is_err());
    }
    let mut doc = follow();
    for _ in 0..200 {
        doc = json!({
            "id": "https://peer.example/u/1",
            "type": "Undo",
            "actor": "https://peer.example/users/a",
            "object": doc,
        });
    }
    let text = serde_json::to_vec(&doc).unwrap();
    assert!(parse_activity(&text, false).is_err());
}

#[test]
fn unknown_types_are_kept_as_received() {
    let mut doc = follow();
    doc["type"] = json!("Create");
    doc["object"] = json!({ "id": "https://peer.example/q/1", "type": "ChessMove", "move": "e4" });
    let a = parse_value::<Activity>(&doc, false).unwrap();
    assert_eq!(classify(&a), (ActivityKind::Create, ObjectKind::Other));
    let Object::Other(v) = embedded(&a) else {
        panic!("kept");
    };
    assert_eq!(v["move"], "e4");
    assert_eq!(a.object_id(), None);
}

#[test]
fn what_we_send_reads_back() {
    let mut note = Note::new("Note", "https://guildhall.example/posts/1".to_string());
    note.attributed_to = Some(OneOrMany::One(Link(
        "https://guildhall.example/members/bob".to_string(),
    )));
    note.content = Some("<p>hi</p>".into());
    note.address = Addressing::to_cc(
        vec![AS_PUBLIC.to_string()],
        vec!["https://guildhall.example/members/bob/followers".to_string()],
    );
    note.tag = Some(Vec::new());
    note.source = Some(Source::plain("hi"));
    let mut create = Activity::new(
        ActivityKind::Create,
        "https://guildhall.example/activities/1".to_string(),
        "https://guildhall.example/members/bob".to_string(),
        ObjectOrLink::Object(Box::new(Object::Note(note))),
    );
    create.address = Addressing::to_cc(vec![AS_PUBLIC.to_string()], Vec::new());
    let sent = document(&create);
    assert_eq!(sent["@context"], context());
    assert_eq!(sent["cc"], json!([]), "an empty cc is written");
    assert_eq!(
        sent["object"]["attributedTo"],
        "https://guildhall.example/members/bob"
    );
    assert_eq!(sent["object"]["tag"], json!([]));
    assert_eq!(
        sent["object"]["source"],
        json!({ "content": "hi", "mediaType": "text/plain" })
    );
    assert!(sent["object"].get("@context").is_none());
    let read = parse_value::<Activity>(&sent, false).unwrap();
    assert_eq!(classify(&read), (ActivityKind::Create, ObjectKind::Note));
    // Read back and written again: the same document.
    assert_eq!(document(&read), sent);
}

#[test]
fn our_actor_reads_back() {
    let actor = Actor {
        id: "https://guildhall.example/members/bob".to_string(),
        kind: "Person".into(),
        preferred_username: "bob".into(),
        inbox: "https://guildhall.example/inbox".into(),
        url: Some(Link("https://guildhall.example/members/bob".into())),
        icon: Some(Image::new("https://guildhall.example/media/a.png".into())),
        attachment: vec![PropertyValue::new("Site", "<a>x</a>".into())],
        tag: vec![Hashtag::new("#rust".into())],
        public_key: Some(PublicKey {
            id: "https://guildhall.example/members/bob#main-key".into(),
            owner: Some("https://guildhall.example/members/bob".into()),
            public_key_pem: "PEM".into(),
        }),
        ..Actor::default()
    };
    let sent = serde_json::to_value(&actor).unwrap();
    assert_eq!(sent["icon"]["url"], "https://guildhall.example/media/a.png");
    let Object::Person(read) = parse_value::<Object>(&sent, false).unwrap() else {
        panic!("a Person");
    };
    assert_eq!(serde_json::to_value(&*read).unwrap(), sent);
}

// --- what the inbound dispatcher reads (typed from the inbox on) ------------------------------

#[test]
fn mastodon_conversation_is_kept_as_text_and_a_hostile_answer_fails_the_note() {
    let a = activity("mastodon/create_note.json");
    let Object::Note(note) = embedded(&a) else {
        panic!("a Note");
    };
    // A `tag:` URI is no address: read as opaque text, never as a link.
    assert_eq!(
        note.conversation.as_deref(),
        Some("tag:mastodon.example,2026-11-20:objectId=918273:objectType=Conversation")
    );
    assert_eq!(a.embedded().and_then(Object::type_name), Some("Note"));
    assert_eq!(a.embedded().and_then(Object::as_note), Some(note));
    // An answer to something that is no acceptable address is refused with the document (the
    // post would otherwise be kept as answering nothing); `null` is no answer.
    for bad in [
        json!("javascript:alert(1)"),
        json!({ "no": "id" }),
        json!(5),
    ] {
        let mut doc: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/wire/mastodon/create_note.json"
        ))
        .unwrap();
        doc["object"]["inReplyTo"] = bad.clone();
        assert!(parse_value::<Activity>(&doc, false).is_err(), "{bad}");
        doc["object"]["inReplyTo"] = Value::Null;
        let read = parse_value::<Activity>(&doc, false).unwrap();
        assert_eq!(
            read.embedded()
                .and_then(Object::as_note)
                .unwrap()
                .in_reply_to,
            None
        );
    }
}

#[test]
fn embedded_activities_of_undo_and_accept() {
    let undo = activity("mastodon/undo_follow.json");
    let follow = undo.embedded_activity().expect("an embedded Follow");
    assert_eq!(follow.kind(), ActivityKind::Follow);
    assert_eq!(follow.actor.as_str(), undo.actor.as_str());
    assert_eq!(
        follow.object_id().map(RemoteUrl::as_str),
        Some("https://guildhall.example/members/bob")
    );
    let accept = activity("mobilizon/accept_join.json");
    let join = accept.embedded_activity().expect("an embedded Join");
    assert_eq!(
        (join.kind(), join.actor.as_str()),
        (ActivityKind::Join, "https://guildhall.example/members/bob")
    );
    // An activity named by its id alone embeds nothing.
    let mut doc = follow_doc_undone_by_id();
    assert!(parse_value::<Activity>(&doc, false)
        .unwrap()
        .embedded_activity()
        .is_none());
    // An embedded activity without its actor fails the document: who did it is what an Undo
    // is checked against.
    doc["object"] = json!({"id": "https://peer.example/f/1", "type": "Follow",
                           "object": "https://guildhall.example/members/bob"});
    assert!(refused(doc).contains("actor"));
}

fn follow_doc_undone_by_id() -> Value {
    json!({
        "id": "https://peer.example/u/1", "type": "Undo",
        "actor": "https://peer.example/users/a", "object": "https://peer.example/f/1"
    })
}

#[test]
fn a_groups_announce_of_a_members_create_and_delete() {
    // What a Guildhall project (FEP-1b12 group) sends its members' servers: the member's
    // activity as received, embedded.
    let doc = json!({
        "id": "https://guildhall.example/projects/roof/activities/9", "type": "Announce",
        "actor": "https://guildhall.example/projects/roof",
        "to": ["https://guildhall.example/projects/roof/followers"],
        "object": {
            "id": "https://peer.example/activities/3", "type": "Create",
            "actor": "https://peer.example/users/a",
            "to": ["https://guildhall.example/projects/roof"], "cc": "as:Public",
            "object": {
                "id": "https://guildhall.example/tasks/5", "type": "Page",
                "attributedTo": "https://peer.example/users/a", "name": "Fix the gutter",
                "audience": "https://guildhall.example/projects/roof",
                "taskStatus": "todo", "priority": "high", "dueDate": "2026-12-24",
                "assignees": ["https://peer.example/users/a", "javascript:x", 3],
                "source": {"content": "Before the rain", "mediaType": "text/plain"}
            }
        }
    });
    let announce = parse_value::<Activity>(&doc, false).unwrap();
    assert_eq!(
        classify(&announce),
        (
            ActivityKind::Announce,
            ObjectKind::Activity(ActivityKind::Create)
        )
    );
    let create = announce.embedded_activity().unwrap();
    assert!(create.address.cc.as_ref().unwrap().is_public());
    let Some(Object::Page(task)) = create.embedded() else {
        panic!("a Page");
    };
    assert_eq!(task.task_status.as_deref(), Some("todo"));
    assert_eq!(task.due_date.as_deref(), Some("2026-12-24"));
    // Refused assignees are skipped, the rest kept.
    assert_eq!(
        task.assignees
            .as_ref()
            .unwrap()
            .iter()
            .map(RemoteUrl::as_str)
            .collect::<Vec<_>>(),
        ["https://peer.example/users/a"]
    );
    assert_eq!(task.source.as_ref().unwrap().content, "Before the rain");
    // A Delete announced: the item named by id.
    let mut doc = doc;
    doc["object"]["type"] = json!("Delete");
    doc["object"]["object"] = json!("https://guildhall.example/tasks/5");
    let announce = parse_value::<Activity>(&doc, false).unwrap();
    let delete = announce.embedded_activity().unwrap();
    assert_eq!(delete.kind(), ActivityKind::Delete);
    assert_eq!(delete.embedded(), None);
    assert_eq!(
        delete.object_id().map(RemoteUrl::as_str),
        Some("https://guildhall.example/tasks/5")
    );
    // A hostile id inside the announced activity fails the whole announce.
    doc["object"]["id"] = json!("javascript:alert(1)");
    refused(doc);
}

#[test]
fn events_with_several_locations_a_bare_status_and_an_actor() {
    // The shapes Gancio and older peers send: locations as a list (a `VirtualLocation` with its
    // url, a `Place` whose address is a plain string), `status` bare, no `attributedTo`.
    let doc = json!({
        "id": "https://gancio.example/federation/m/12", "type": "Event",
        "actor": "https://gancio.example/federation/u/relay",
        "name": "Repair café", "startTime": "2026-12-05T10:00:00Z",
        "status": "https://w3id.org/fep/8a8e/EventCancelled",
        "location": [
            {"type": "VirtualLocation", "url": "https://meet.example/repair"},
            {"type": "Place", "name": "Library", "address": "1 Main Street, Springfield"},
            "not a place",
            {"type": "VirtualLocation", "url": "javascript:alert(1)"}
        ],
        "to": "https://www.w3.org/ns/activitystreams#Public"
    });
    let Object::Event(e) = parse_value::<Object>(&doc, false).unwrap() else {
        panic!("an Event");
    };
    assert_eq!(e.attributed_to, None);
    assert_eq!(
        e.actor.as_ref().map(Link::as_str),
        Some("https://gancio.example/federation/u/relay")
    );
    assert_eq!(
        e.status.as_deref(),
        Some("https://w3id.org/fep/8a8e/EventCancelled")
    );
    let places: Vec<_> = e.location.as_ref().unwrap().iter().collect();
    assert_eq!(places.len(), 3, "the item that is no place is skipped");
    assert_eq!(
        places[0].url.as_ref().map(Link::as_str),
        Some("https://meet.example/repair")
    );
    let street = places[1].address.as_ref().unwrap();
    assert_eq!(
        street.street_address.as_deref(),
        Some("1 Main Street, Springfield")
    );
    assert_eq!(places[2].url, None, "a refused url reads as absent");
    assert!(e.address.to.as_ref().unwrap().is_public());
    // A single place stays single when written back; a location that reads as nothing is
    // absent.
    let mut doc = doc;
    doc["location"] = json!({"type": "Place", "name": "Library"});
    let Object::Event(e) = parse_value::<Object>(&doc, false).unwrap() else {
        panic!("an Event");
    };
    assert!(matches!(e.location, Some(OneOrMany::One(_))));
    doc["location"] = json!(7);
    let Object::Event(e) = parse_value::<Object>(&doc, false).unwrap() else {
        panic!("an Event");
    };
    assert_eq!(e.location, None);
}
