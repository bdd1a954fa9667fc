//! Unit tests of domain policy: names, coverage, rules, decisions and a block's effects.

use sqlx::Row as _;

use super::*;
use crate::storage::test_db::TestDb;

#[test]
fn authorities_keep_ports() {
    assert_eq!(
        authority_of("http://Alpha.Test:8081/members/a").as_deref(),
        Some("alpha.test:8081")
    );
    assert_eq!(
        authority_of("https://m.example/users/a").as_deref(),
        Some("m.example")
    );
    assert_eq!(authority_of("nope"), None);
    // Other schemes name no server, whatever their "host" says.
    for other in [
        "javascript://m.example/%0aalert(1)",
        "data://m.example/x",
        "file://m.example/x",
        "vbscript://m.example/x",
        "ftp://m.example/x",
        "https://ann@m.example/x",
    ] {
        assert_eq!(authority_of(other), None, "{other}");
        assert_eq!(host_of(other), None, "{other}");
    }
}

#[test]
fn hosts() {
    assert_eq!(normalize_host("Alpha.Test:8081"), "alpha.test");
    assert_eq!(normalize_host("example.org."), "example.org");
    assert_eq!(
        candidates("a.b.example"),
        vec!["a.b.example", "b.example", "example"]
    );
    assert_eq!(
        host_of("https://Mastodon.Example/users/a").as_deref(),
        Some("mastodon.example")
    );
    assert_eq!(host_of("nope"), None);
}

#[test]
fn domain_names() {
    let ok = |raw: &str| DomainName::parse(raw).map(|d| d.to_string());
    assert_eq!(ok(" Social.Example.ORG. ").unwrap(), "social.example.org");
    assert_eq!(
        ok("xn--bcher-kva.example").unwrap(),
        "xn--bcher-kva.example"
    );
    assert_eq!(ok("Bücher.example").unwrap(), "xn--bcher-kva.example");
    assert_eq!(ok("a-b.c0.example").unwrap(), "a-b.c0.example");
    for (bad, hint) in [
        ("", "required"),
        ("https://example.org", "https://"),
        ("example.org/users/a", "path"),
        ("example.org:8443", "port"),
        ("@alice@example.org", "account"),
        ("*.example.org", "*."),
        ("localhost", "dot"),
        ("127.0.0.1", "IP address"),
        ("[::1]", "port"),
        ("exa mple.org", "valid"),
        ("-bad.example", "hyphen"),
        ("a..example", "valid"),
        ("under_score.example", "valid"),
        ("example.123", "IP address"),
    ] {
        let e = DomainName::parse(bad).expect_err(bad);
        assert!(e.contains(hint), "{bad}: {e}");
    }
    let long = format!("{}.example", vec!["a".repeat(60); 5].join("."));
    assert!(DomainName::parse(&long).unwrap_err().contains("253"));
    let label = format!("{}.example", "a".repeat(64));
    assert!(DomainName::parse(&label).is_err());
}

#[test]
fn coverage_is_by_whole_labels() {
    let d = DomainName::parse("example.org").unwrap();
    assert!(d.covers("example.org"));
    assert!(d.covers("social.example.org:8443"));
    assert!(d.covers("A.B.Example.Org"));
    assert!(!d.covers("notexample.org"));
    assert!(!d.covers("example.org.evil"));
    assert!(!d.covers("org"));
}

#[test]
fn rules_are_validated_and_spare_our_own_domain() {
    let form = |domain: &str, policy: &str| RuleForm {
        domain: domain.into(),
        policy: policy.into(),
        reason: "spam".into(),
    };
    let valid = form("Spam.Example", "block")
        .validate("harbour.example")
        .unwrap();
    assert_eq!(valid.domain.as_str(), "spam.example");
    assert_eq!(valid.policy, Policy::Block);
    let errors = form("harbour.example", "block")
        .validate("harbour.example:8443")
        .unwrap_err();
    assert!(errors.get("domain").unwrap().contains("own domain"));
    // A parent domain covers us too; an allow rule for ourselves is harmless.
    let errors = form("b.example", "silence")
        .validate("a.b.example")
        .unwrap_err();
    assert!(errors.get("domain").unwrap().contains("own domain"));
    assert!(form("harbour.example", "allow")
        .validate("harbour.example")
        .is_ok());
    let errors = form("nope", "mute")
        .validate("harbour.example")
        .unwrap_err();
    assert!(errors.get("domain").is_some() && errors.get("policy").is_some());
    let long = RuleForm {
        reason: "x".repeat(MAX_REASON + 1),
        ..form("a.example", "block")
    };
    assert!(long
        .validate("h.example")
        .unwrap_err()
        .get("reason")
        .is_some());
}

async fn set_up_space(db: &Db) {
    sqlx::query(
        "INSERT INTO space (id, name, created_at, updated_at) VALUES (1, 'Test space', 0, 0)",
    )
    .execute(db.writer())
    .await
    .unwrap();
}

fn name(d: &str) -> DomainName {
    DomainName::parse(d).unwrap()
}

#[tokio::test]
async fn decisions_follow_rules_and_mode() {
    let test = TestDb::new().await;
    let db = test.db.clone();
    // Before setup and without rules, everyone federates.
    assert_eq!(decide(&db, "any.example").await.unwrap(), Decision::Allow);
    assert_eq!(federation_mode(&db).await.unwrap(), FederationMode::Open);
    assert!(set_federation_mode(&db, FederationMode::Allowlist)
        .await
        .is_err());
    set_up_space(&db).await;

    set(&db, &name("example.org"), Policy::Block, "spam")
        .await
        .unwrap();
    set(&db, &name("quiet.example"), Policy::Silence, "")
        .await
        .unwrap();
    set(&db, &name("friend.example"), Policy::Allow, "")
        .await
        .unwrap();
    for (host, want) in [
        ("example.org", Decision::Block),
        ("social.example.org", Decision::Block),
        ("Deep.Social.Example.org:8443", Decision::Block),
        ("notexample.org", Decision::Allow),
        ("quiet.example", Decision::Silence),
        ("a.quiet.example", Decision::Silence),
        ("friend.example", Decision::Allow),
        ("stranger.example", Decision::Allow),
    ] {
        assert_eq!(decide(&db, host).await.unwrap(), want, "{host}");
    }

    // Allowlist: only allowed domains (and their subdomains) federate; a silenced domain
    // is not thereby allowed; a block on a parent wins over an allow below it.
    set_federation_mode(&db, FederationMode::Allowlist)
        .await
        .unwrap();
    assert_eq!(
        federation_mode(&db).await.unwrap(),
        FederationMode::Allowlist
    );
    set(&db, &name("ok.example.org"), Policy::Allow, "")
        .await
        .unwrap();
    for (host, want) in [
        ("friend.example", Decision::Allow),
        ("m.friend.example", Decision::Allow),
        ("stranger.example", Decision::Block),
        ("quiet.example", Decision::Block),
        ("ok.example.org", Decision::Block),
    ] {
        assert_eq!(decide(&db, host).await.unwrap(), want, "{host}");
    }
    set(&db, &name("quiet.example"), Policy::Allow, "")
        .await
        .unwrap();
    set(&db, &name("hush.friend.example"), Policy::Silence, "")
        .await
        .unwrap();
    assert_eq!(decide(&db, "quiet.example").await.unwrap(), Decision::Allow);
    assert_eq!(
        decide(&db, "hush.friend.example").await.unwrap(),
        Decision::Silence
    );

    set_federation_mode(&db, FederationMode::Open)
        .await
        .unwrap();
    assert_eq!(
        decide(&db, "stranger.example").await.unwrap(),
        Decision::Allow
    );
    test.finish().await;
}

#[tokio::test]
async fn rules_are_listed_replaced_and_removed() {
    let test = TestDb::new().await;
    let db = test.db.clone();
    let first = set(&db, &name("b.example"), Policy::Silence, "noisy")
        .await
        .unwrap();
    assert!(!first.replaced);
    set(&db, &name("a.example"), Policy::Allow, "")
        .await
        .unwrap();
    let again = set(&db, &name("b.example"), Policy::Block, "worse")
        .await
        .unwrap();
    assert!(again.replaced);
    let rules = list(&db).await.unwrap();
    let summary: Vec<(&str, Policy, &str)> = rules
        .iter()
        .map(|r| (r.domain.as_str(), r.policy, r.reason.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("a.example", Policy::Allow, ""),
            ("b.example", Policy::Block, "worse")
        ]
    );
    assert_eq!(allowed_count(&db).await.unwrap(), 1);
    assert!(remove(&db, "B.Example").await.unwrap());
    assert!(!remove(&db, "b.example").await.unwrap());
    assert_eq!(list(&db).await.unwrap().len(), 1);
    test.finish().await;
}

#[tokio::test]
async fn a_block_ends_follows_and_fails_queued_deliveries() {
    let test = TestDb::new().await;
    let db = test.db.clone();
    for (follower, followee) in [
        (
            "https://example.org/users/a",
            "https://harbour.test/members/ada",
        ),
        (
            "https://harbour.test/members/ada",
            "https://social.example.org/@b",
        ),
        (
            "https://harbour.test/companies/tw",
            "https://Social.Example.org:8443/u/c",
        ),
        (
            "https://notexample.org/users/d",
            "https://harbour.test/members/ada",
        ),
        (
            "https://other.test/users/e",
            "https://harbour.test/members/ada",
        ),
    ] {
        sqlx::query(
            "INSERT INTO follows (follower, followee, state, activity_uri, created_at, \
             updated_at) VALUES ($1, $2, 'accepted', $3, 0, 0)",
        )
        .bind(follower)
        .bind(followee)
        .bind(format!("{follower}#follow-{followee}"))
        .execute(db.writer())
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO activities (uri, actor, kind, public, body, created_at) \
         VALUES ('https://harbour.test/a/1', 'https://harbour.test/', 'Create', 1, '{}', 0)",
    )
    .execute(db.writer())
    .await
    .unwrap();
    let activity: i64 = sqlx::query_scalar("SELECT id FROM activities")
        .fetch_one(db.pool())
        .await
        .unwrap();
    for (inbox, host, state) in [
        ("https://example.org/inbox", "example.org", "queued"),
        (
            "https://social.example.org/inbox",
            "social.example.org",
            "queued",
        ),
        (
            "https://social.example.org/u/c/inbox",
            "social.example.org",
            "queued",
        ),
        (
            "https://old.example.org/inbox",
            "old.example.org",
            "delivered",
        ),
        ("https://notexample.org/inbox", "notexample.org", "queued"),
        ("https://other.test/inbox", "other.test", "queued"),
    ] {
        sqlx::query(
            "INSERT INTO deliveries (activity_id, inbox, host, signer_kind, signer_id, state, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, 'space', 1, $4, 0, 0)",
        )
        .bind(activity)
        .bind(inbox)
        .bind(host)
        .bind(state)
        .execute(db.writer())
        .await
        .unwrap();
    }

    // Silence and allow leave everything in place.
    let quiet = set(&db, &name("example.org"), Policy::Silence, "")
        .await
        .unwrap();
    assert_eq!(quiet.effects, BlockEffects::default());

    let blocked = set(&db, &name("example.org"), Policy::Block, "")
        .await
        .unwrap();
    assert_eq!(
        blocked.effects,
        BlockEffects {
            follows_removed: 3,
            deliveries_failed: 3
        }
    );
    assert_eq!(
        blocked.effects.describe(),
        "3 follows removed, 3 queued deliveries cancelled"
    );
    let left: Vec<String> = sqlx::query_scalar("SELECT follower FROM follows ORDER BY follower")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(
        left,
        vec![
            "https://notexample.org/users/d",
            "https://other.test/users/e"
        ]
    );
    let rows = sqlx::query("SELECT inbox, state, last_error FROM deliveries ORDER BY inbox")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let states: Vec<(String, String, Option<String>)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("inbox").unwrap(),
                r.try_get("state").unwrap(),
                r.try_get("last_error").unwrap(),
            )
        })
        .collect();
    let blocked = Some("blocked".to_string());
    assert_eq!(
        states,
        vec![
            (
                "https://example.org/inbox".into(),
                "failed".into(),
                blocked.clone()
            ),
            ("https://notexample.org/inbox".into(), "queued".into(), None),
            (
                "https://old.example.org/inbox".into(),
                "delivered".into(),
                None
            ),
            ("https://other.test/inbox".into(), "queued".into(), None),
            (
                "https://social.example.org/inbox".into(),
                "failed".into(),
                blocked.clone()
            ),
            (
                "https://social.example.org/u/c/inbox".into(),
                "failed".into(),
                blocked
            ),
        ]
    );
    // Blocking again finds nothing more to clear.
    let again = set(&db, &name("example.org"), Policy::Block, "")
        .await
        .unwrap();
    assert_eq!(again.effects.describe(), "");
    test.finish().await;
}
