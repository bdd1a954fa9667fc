//! The SMTP connection's protection and login against a real server: TLS from the start
//! (`smtps://`) and STARTTLS (`?tls=required`, and taken when offered to a plain `smtp://`) to a
//! server whose certificate a private CA signed, trusted through `GUILDHALL_SMTP_CA_FILE`;
//! without that file the certificate is refused; STARTTLS required of a server that does not
//! offer it; AUTH PLAIN and LOGIN with the right password, and a wrong one. Every failure leaves
//! the mail queued with its error shown to the administrator, and no password in a log, an error
//! or a page.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use test_support::{LoginAttempt, MailServer, Mechanism, TestCa};

use super::request_reset;
use crate::support::{fresh_database, Instance, Logs, TestApp, ADMIN_PASSWORD, MAIL_FROM};

const RELAY_USER: &str = "relay@harbour.example";
/// The relay's password, with characters the URL must escape; `RELAY_PASSWORD_IN_URL` is it
/// escaped.
const RELAY_PASSWORD: &str = "tide: 7 & anchor";
const RELAY_PASSWORD_IN_URL: &str = "tide%3A%207%20%26%20anchor";
const USER_IN_URL: &str = "relay%40harbour.example";

/// `ca`'s certificate in a PEM file of `dir`, as an operator installs it; its path.
fn ca_file(dir: &tempfile::TempDir, ca: &TestCa) -> String {
    let path = dir.path().join("relay-ca.pem");
    std::fs::write(&path, ca.pem()).expect("write the CA file");
    path.display().to_string()
}

/// The administrator's mail page.
async fn mail_page(app: &TestApp) -> String {
    let boss = app.signed_in("boss", ADMIN_PASSWORD).await;
    boss.get(app.url("/admin/mail"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits until the first mail in the queue has failed at least once; returns its problem row.
async fn first_failure(db: &guildhall::storage::Db) -> guildhall::mail::store::Problem {
    test_support::eventually(
        "a failed attempt",
        Duration::from_secs(20),
        Duration::from_millis(50),
        || async {
            let problems = guildhall::mail::store::problems(db, 10).await.unwrap();
            match problems.into_iter().next() {
                Some(p) if p.attempts >= 1 => Ok(p),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

#[tokio::test]
async fn smtps_to_a_relay_on_a_private_ca_delivers_with_the_ca_file_and_auth_plain() {
    let ca = TestCa::new();
    let smtp = MailServer::setup()
        .tls_from_the_start(&ca)
        .require_login(RELAY_USER, RELAY_PASSWORD, &[Mechanism::Plain])
        .start();
    let dir = tempfile::tempdir().unwrap();
    let ca_path = ca_file(&dir, &ca);
    // 127.0.0.1: the certificate names the address too (no SNI is sent for an address).
    let url = format!(
        "smtps://{USER_IN_URL}:{RELAY_PASSWORD_IN_URL}@127.0.0.1:{}",
        smtp.port()
    );
    let logs = Logs::capture();
    let (app, _admin) =
        TestApp::spawn_with_mail(&url, &[("GUILDHALL_SMTP_CA_FILE", ca_path.as_str())]).await;
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    let mail = smtp.wait_for("ada@example.org", 1).await;
    assert!(mail.tls, "the mail came over TLS");
    assert!(mail.link("/password-reset/confirm?token=").is_some());
    // The server saw the configured user and password, unescaped, by AUTH PLAIN.
    assert_eq!(
        smtp.logins(),
        vec![LoginAttempt {
            mechanism: Mechanism::Plain,
            user: RELAY_USER.to_string(),
            password: RELAY_PASSWORD.to_string(),
            accepted: true,
        }]
    );
    // The log and the administrator's page say how mail goes, with the user and never the
    // password.
    let log = logs.text();
    let line = log
        .lines()
        .find(|l| l.contains("mail is on"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        line.contains("TLS from the start") && line.contains(&ca_path) && line.contains(RELAY_USER),
        "{line}"
    );
    let page = mail_page(&app).await;
    assert!(page.contains("id=\"mail-protection\""), "{page}");
    assert!(page.contains("TLS from the start"), "{page}");
    assert!(page.contains(&ca_path), "{page}");
    for text in [&log, &page] {
        assert!(!text.contains(RELAY_PASSWORD) && !text.contains(RELAY_PASSWORD_IN_URL));
    }
}

#[tokio::test]
async fn starttls_required_delivers_over_tls_with_auth_login() {
    let ca = TestCa::new();
    let smtp = MailServer::setup()
        .starttls(&ca)
        .require_login(RELAY_USER, RELAY_PASSWORD, &[Mechanism::Login])
        .start();
    let dir = tempfile::tempdir().unwrap();
    let ca_path = ca_file(&dir, &ca);
    // `localhost`: the certificate's DNS name.
    let url = format!(
        "smtp://{USER_IN_URL}:{RELAY_PASSWORD_IN_URL}@localhost:{}?tls=required",
        smtp.port()
    );
    let (app, _admin) =
        TestApp::spawn_with_mail(&url, &[("GUILDHALL_SMTP_CA_FILE", ca_path.as_str())]).await;
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    let mail = smtp.wait_for("ada@example.org", 1).await;
    assert!(mail.tls, "the mail came after STARTTLS");
    assert_eq!(
        smtp.logins(),
        vec![LoginAttempt {
            mechanism: Mechanism::Login,
            user: RELAY_USER.to_string(),
            password: RELAY_PASSWORD.to_string(),
            accepted: true,
        }]
    );
    assert!(mail_page(&app).await.contains("STARTTLS required"));
}

#[tokio::test]
async fn plain_smtp_takes_starttls_when_the_server_offers_it() {
    let ca = TestCa::new();
    let smtp = MailServer::setup().starttls(&ca).start();
    let dir = tempfile::tempdir().unwrap();
    let ca_path = ca_file(&dir, &ca);
    let url = format!("smtp://localhost:{}", smtp.port());
    let (app, _admin) =
        TestApp::spawn_with_mail(&url, &[("GUILDHALL_SMTP_CA_FILE", ca_path.as_str())]).await;
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    assert!(smtp.wait_for("ada@example.org", 1).await.tls);
    // No login was asked, none was made.
    assert!(smtp.logins().is_empty());
}

#[tokio::test]
async fn tls_required_of_a_server_without_starttls_sends_nothing_and_says_so() {
    // A plain server: no STARTTLS in its EHLO answer.
    let smtp = MailServer::start();
    let url = format!("smtp://127.0.0.1:{}?tls=required", smtp.port());
    let (app, _admin) = TestApp::spawn_with_mail(&url, &[]).await;
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    let problem = first_failure(&app.db).await;
    assert_eq!(problem.recipient, "ada@example.org");
    assert!(problem.last_error.contains("STARTTLS"), "{problem:?}");
    // Not given up: kept for a retry, so it goes once the server offers TLS.
    assert!(!problem.given_up, "{problem:?}");
    let summary = guildhall::mail::store::summary(&app.db).await.unwrap();
    assert_eq!((summary.queued, summary.failed), (1, 0), "{summary:?}");
    let page = mail_page(&app).await;
    assert!(
        page.contains("mail-problem") && page.contains("STARTTLS"),
        "{page}"
    );
    // Nothing went in the clear.
    test_support::eventually_exactly(0, "mails received", || async { smtp.received().len() }).await;
}

#[tokio::test]
async fn without_the_ca_file_a_private_certificate_is_refused_and_the_mail_waits_for_it() {
    let ca = TestCa::new();
    let smtp = MailServer::setup().tls_from_the_start(&ca).start();
    let url = format!("smtps://127.0.0.1:{}", smtp.port());
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let mut config = vec![
        ("GUILDHALL_SMTP_URL", url.as_str()),
        ("GUILDHALL_MAIL_FROM", MAIL_FROM),
        // Long enough that the stop below cannot fall into a second attempt.
        ("GUILDHALL_MAIL_RETRY_BASE_MS", "4000"),
    ];
    let first = Instance::start(&db, &config).await;
    let admin = first
        .app
        .set_up_space(json!({"name": "Harbour Works"}))
        .await;
    first.app.open_registration(&admin).await;
    first.app.member("ada").await;
    assert_eq!(
        request_reset(&first.app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    // The system's roots do not hold the private CA: the handshake fails, the mail waits.
    let problem = first_failure(&first.state.db).await;
    assert!(problem.last_error.contains("certificate"), "{problem:?}");
    assert!(!problem.given_up, "{problem:?}");
    assert!(smtp.received().is_empty());
    first.stop().await;

    // The operator adds the CA file and starts the instance again: the mail goes, once.
    let ca_path = ca_file(&dir, &ca);
    config.push(("GUILDHALL_SMTP_CA_FILE", ca_path.as_str()));
    let second = Instance::start(&db, &config).await;
    let mail = smtp.wait_for("ada@example.org", 1).await;
    assert!(mail.tls);
    test_support::eventually_exactly(1, "mails to ada", || async {
        smtp.received_by("ada@example.org").len()
    })
    .await;
    second.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_a_visible_failure_and_never_logged() {
    const WRONG: &str = "low-tide-9137";
    let ca = TestCa::new();
    let smtp = MailServer::setup()
        .starttls(&ca)
        .require_login(
            RELAY_USER,
            RELAY_PASSWORD,
            &[Mechanism::Plain, Mechanism::Login],
        )
        .start();
    let dir = tempfile::tempdir().unwrap();
    let ca_path = ca_file(&dir, &ca);
    let url = format!(
        "smtp://{USER_IN_URL}:{WRONG}@localhost:{}?tls=required",
        smtp.port()
    );
    let logs = Logs::capture();
    let (app, _admin) =
        TestApp::spawn_with_mail(&url, &[("GUILDHALL_SMTP_CA_FILE", ca_path.as_str())]).await;
    assert_eq!(
        request_reset(&app, "ada@example.org").await,
        StatusCode::ACCEPTED
    );
    let problem = first_failure(&app.db).await;
    // The server's refusal is recorded; the mail is kept for a retry (the settings are at
    // fault, not the mail), not given up.
    assert!(problem.last_error.contains("535"), "{problem:?}");
    assert!(!problem.given_up, "{problem:?}");
    let login = smtp.logins().first().cloned().expect("a login attempt");
    assert_eq!(
        (login.user.as_str(), login.password.as_str(), login.accepted),
        (RELAY_USER, WRONG, false)
    );
    assert!(smtp.received().is_empty());
    let page = mail_page(&app).await;
    assert!(
        page.contains("mail-problem") && page.contains("535"),
        "{page}"
    );
    assert!(
        page.contains(&format!("signing in as {RELAY_USER}")),
        "{page}"
    );
    // The log has the failure, as the page does, and neither has the password.
    let log = logs.text();
    assert!(
        log.lines()
            .any(|l| l.contains("mail not sent") && l.contains("535")),
        "{log}"
    );
    for text in [&log, &page, &problem.last_error] {
        assert!(!text.contains(WRONG), "the password in {text}");
    }
}
