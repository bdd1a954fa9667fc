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
        ("pleroma/emoji_react.json", (A::Other, O::Link)),
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
        "inReplyTo": { "no": "id" },
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
            owner: "https://guildhall.example/members/bob".into(),
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
