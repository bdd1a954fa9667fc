//! The command line, run as a real process against a fresh SQLite file.

use std::process::{Command, Output, Stdio};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_guildhall"));
        c.args(args)
            .current_dir(self.dir.path())
            .env_remove("GUILDHALL_DATABASE_URL")
            .env_remove("GUILDHALL_DOMAIN")
            .env(
                "GUILDHALL_DATABASE_URL",
                format!("sqlite://{}", self.dir.path().join("g.db").display()),
            )
            .env("RUST_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_version_and_bad_config() {
    let cli = Cli::new();
    let help = cli.run(&["--help"]);
    assert!(help.status.success());
    for sub in ["serve", "migrate", "admin"] {
        assert!(text(&help).contains(sub));
    }
    let admin = text(&cli.run(&["admin", "--help"]));
    assert!(admin.contains("create-user") && admin.contains("seed-demo"));
    let version = cli.run(&["--version"]);
    assert!(text(&version).contains(env!("CARGO_PKG_VERSION")));

    let bad = cli
        .command(&["migrate"])
        .env("GUILDHALL_LISTEN", "not an address")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("GUILDHALL_LISTEN"), "{}", text(&bad));
}

#[test]
fn migrate_creates_the_database() {
    let cli = Cli::new();
    let out = cli.run(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(cli.dir.path().join("g.db").exists());
}

/// A project that shares its handle with a member (two creations at the same moment before
/// project handles were reserved in the one namespace) is reported by `migrate`.
#[tokio::test]
async fn migrate_reports_a_project_sharing_a_members_handle() {
    let cli = Cli::new();
    let out = cli.run(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("warning"), "{}", text(&out));
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", cli.dir.path().join("g.db").display());
    let db = sqlx::AnyPool::connect(&url).await.unwrap();
    for sql in [
        "INSERT INTO handles (handle, kind) VALUES ('dock', 'member'), ('boat', 'project')",
        "INSERT INTO accounts (handle, email, password_hash, created_at, updated_at) \
         VALUES ('dock', 'dock@example.org', 'x', 1, 1)",
        "INSERT INTO projects (handle, name, owner, created_by, created_at, updated_at) \
         VALUES ('dock', 'Dock', 'https://here.test/members/dock', 1, 1, 1), \
         ('boat', 'Boat', 'https://here.test/members/dock', 1, 1, 1)",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    db.close().await;
    let out = cli.run(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("warning: the project @dock shares its handle with a member or a company"),
        "{printed}"
    );
    assert!(!printed.contains("@boat"), "{printed}");
}

#[test]
fn create_user_sets_up_an_empty_space_then_adds_members() {
    let cli = Cli::new();
    let member_first = cli.run(&[
        "admin",
        "create-user",
        "--handle",
        "ada",
        "--email",
        "ada@example.org",
    ]);
    assert!(!member_first.status.success());
    assert!(text(&member_first).contains("--admin"));

    let out = cli.run(&[
        "admin",
        "create-user",
        "--handle",
        "marta",
        "--email",
        "marta@example.org",
        "--admin",
        "--space-name",
        "Harbour Works",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("password printed");
    assert_eq!(password.len(), 20);

    let mut child = cli
        .command(&[
            "admin",
            "create-user",
            "--handle",
            "ada",
            "--email",
            "ada@example.org",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ada's long password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains("password:"),
        "no generated password when one is given"
    );

    let taken = cli.run(&[
        "admin",
        "create-user",
        "--handle",
        "ada",
        "--email",
        "other@example.org",
    ]);
    assert!(!taken.status.success());
    assert!(
        text(&taken).contains("--handle is already taken"),
        "{}",
        text(&taken)
    );
    let bad_mail = cli.run(&["admin", "create-user", "--handle", "bob", "--email", "nope"]);
    assert!(text(&bad_mail).contains("--email"), "{}", text(&bad_mail));
}

#[test]
fn seed_demo_is_idempotent_and_respects_real_data() {
    let cli = Cli::new();
    let out = cli.run(&["admin", "seed-demo"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("6 member(s), 4 company(ies), 6 post(s) and 4 event(s) added"),
        "{}",
        text(&out)
    );
    // The posts are really there, with their thread, mention and message.
    let db = cli.dir.path().join("g.db");
    let count = |sql: &str| -> i64 {
        let sql = sql.to_string();
        let db = db.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    use sqlx::Connection as _;
                    let mut conn =
                        sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                            .await
                            .unwrap();
                    sqlx::query_scalar::<_, i64>(&sql)
                        .fetch_one(&mut conn)
                        .await
                        .unwrap()
                })
        })
        .join()
        .unwrap()
    };
    assert_eq!(count("SELECT COUNT(*) FROM posts WHERE local = 1"), 6);
    assert_eq!(
        count("SELECT COUNT(*) FROM posts WHERE in_reply_to IS NOT NULL"),
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM posts WHERE visibility = 'direct'"),
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM posts WHERE kind = 'Article'"),
        1
    );
    // Priya's reply tells Ada (once, though it also mentions her); Tom's message tells Joao.
    assert_eq!(
        count("SELECT COUNT(*) FROM notifications WHERE kind = 'reply'"),
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM notifications WHERE kind = 'message'"),
        1
    );
    assert!(
        text(&out).contains("2 demo project(s) and 10 picture(s) added"),
        "{}",
        text(&out)
    );
    let again = cli.run(&["admin", "seed-demo"]);
    assert!(again.status.success());
    assert!(text(&again).contains("already present"));

    let other = Cli::new();
    let out = other.run(&[
        "admin",
        "create-user",
        "--handle",
        "owner",
        "--email",
        "o@example.org",
        "--admin",
    ]);
    assert!(out.status.success());
    let refused = other.run(&["admin", "seed-demo"]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("--force"));
    let forced = other.run(&["admin", "seed-demo", "--force"]);
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(
        text(&forced).contains("6 member(s), 4 company(ies), 6 post(s) and 4 event(s) added"),
        "{}",
        text(&forced)
    );
}

#[test]
fn domain_rules_from_the_command_line() {
    let cli = Cli::new();
    let help = text(&cli.run(&["admin", "domain", "--help"]));
    for sub in ["block", "silence", "allow", "unblock", "list"] {
        assert!(help.contains(sub), "{help}");
    }

    let out = cli.run(&["admin", "domain", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("no domain rules"), "{}", text(&out));

    let out = cli.run(&[
        "admin",
        "domain",
        "block",
        "Spam.Example",
        "--reason",
        "spam waves",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("spam.example is now blocked."),
        "{}",
        text(&out)
    );
    let out = cli.run(&["admin", "domain", "silence", "quiet.example"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = cli.run(&["admin", "domain", "allow", "friend.example"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("only in allowlist mode"),
        "{}",
        text(&out)
    );

    let listed = text(&cli.run(&["admin", "domain", "list"]));
    assert!(listed.contains("federation mode: open"), "{listed}");
    let row = listed
        .lines()
        .find(|l| l.starts_with("spam.example"))
        .unwrap_or_else(|| panic!("spam.example listed: {listed}"));
    assert!(row.contains("block") && row.contains("spam waves"), "{row}");
    assert!(listed
        .lines()
        .any(|l| l.starts_with("quiet.example") && l.contains("silence")));
    assert!(listed
        .lines()
        .any(|l| l.starts_with("friend.example") && l.contains("allow")));

    let out = cli.run(&["admin", "domain", "unblock", "spam.example"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("The rule for spam.example is removed."));
    let listed = text(&cli.run(&["admin", "domain", "list"]));
    assert!(!listed.contains("spam.example"), "{listed}");
    let again = cli.run(&["admin", "domain", "unblock", "spam.example"]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("no rule for spam.example"),
        "{}",
        text(&again)
    );

    for (bad, hint) in [
        ("https://spam.example/", "without http:// or https://"),
        ("localhost", "at least one dot"),
        ("spam.example:8443", "port"),
    ] {
        let out = cli.run(&["admin", "domain", "block", bad]);
        assert!(!out.status.success(), "{bad} accepted");
        assert!(text(&out).contains(hint), "{bad}: {}", text(&out));
    }
    // The configured domain (localhost:8080 here has no dot); a real one cannot be blocked.
    let own = cli
        .command(&["admin", "domain", "block", "harbour.example"])
        .env("GUILDHALL_DOMAIN", "harbour.example")
        .output()
        .unwrap();
    assert!(!own.status.success());
    assert!(text(&own).contains("own domain"), "{}", text(&own));
}

#[test]
fn federation_mode_from_the_command_line() {
    let cli = Cli::new();
    let early = cli.run(&["admin", "federation-mode", "allowlist"]);
    assert!(!early.status.success());
    assert!(text(&early).contains("not set up"), "{}", text(&early));

    let out = cli.run(&[
        "admin",
        "create-user",
        "--handle",
        "marta",
        "--email",
        "marta@example.org",
        "--admin",
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let out = cli.run(&["admin", "federation-mode", "allowlist"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("federates with nobody"),
        "{}",
        text(&out)
    );
    assert!(text(&cli.run(&["admin", "domain", "list"])).contains("federation mode: allowlist"));
    let out = cli.run(&["admin", "domain", "allow", "friend.example"]);
    assert!(
        !text(&out).contains("only in allowlist mode"),
        "{}",
        text(&out)
    );

    let bad = cli.run(&["admin", "federation-mode", "sometimes"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("allowlist"), "{}", text(&bad));

    let out = cli.run(&["admin", "federation-mode", "open"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&cli.run(&["admin", "domain", "list"])).contains("federation mode: open"));
}

#[test]
fn peers_and_a_seeded_directory_from_the_command_line() {
    let cli = Cli::new();
    let help = text(&cli.run(&["admin", "--help"]));
    assert!(
        help.contains("peer") && help.contains("seed-directory"),
        "{help}"
    );

    let out = cli.run(&["admin", "peer", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("no known spaces"), "{}", text(&out));
    let out = cli.run(&["admin", "peer", "add", "https://Harbour.Example/"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("is added"), "{}", text(&out));
    // Not set up: it says it pulls nothing yet rather than promising a pull.
    assert!(text(&out).contains("not set up yet"), "{}", text(&out));
    let again = cli.run(&["admin", "peer", "add", "harbour.example"]);
    assert!(text(&again).contains("already known"), "{}", text(&again));
    for bad in ["not a domain", "ada@harbour.example"] {
        let out = cli.run(&["admin", "peer", "add", bad]);
        assert!(!out.status.success(), "{bad} accepted");
        assert!(text(&out).contains("domain"), "{bad}: {}", text(&out));
    }
    // Ports are for development (a localhost domain is that by default), not production.
    let out = cli
        .command(&["admin", "peer", "add", "harbour.example:8443"])
        .env("GUILDHALL_DEV_HTTP", "false")
        .output()
        .expect("run guildhall");
    assert!(!out.status.success(), "a port accepted in production");
    assert!(text(&out).contains("domain"), "{}", text(&out));
    let listed = text(&cli.run(&["admin", "peer", "list"]));
    let row = listed
        .lines()
        .find(|l| l.starts_with("harbour.example"))
        .unwrap_or_else(|| panic!("harbour.example listed: {listed}"));
    assert!(row.contains("admin") && row.contains("new"), "{row}");
    let out = cli.run(&["admin", "peer", "remove", "harbour.example"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = cli.run(&["admin", "peer", "remove", "harbour.example"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("not a known space"), "{}", text(&out));

    let out = cli.run(&["admin", "seed-directory", "--entries", "1500"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1500 synthetic"), "{}", text(&out));
    let out = cli.run(&["admin", "seed-directory", "--entries", "0"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("--entries"), "{}", text(&out));
}

#[test]
fn mail_test_sends_at_once_and_reports_the_answer() {
    let cli = Cli::new();
    let smtp = test_support::MailServer::start();
    let sent = cli
        .command(&["admin", "mail-test", "--to", "ops@example.org"])
        .env("GUILDHALL_SMTP_URL", smtp.url())
        .env("GUILDHALL_MAIL_FROM", "hello@space.example")
        .output()
        .unwrap();
    assert!(sent.status.success(), "{}", text(&sent));
    assert!(text(&sent).contains("250"), "{}", text(&sent));
    let mail = &smtp.received_by("ops@example.org")[0];
    assert!(mail
        .header("Subject")
        .unwrap()
        .starts_with("Test mail from"));

    // Mail off, or the server down: a message and a non-zero exit.
    let off = cli.run(&["admin", "mail-test", "--to", "ops@example.org"]);
    assert!(!off.status.success());
    assert!(text(&off).contains("mail is off"), "{}", text(&off));
    let port = test_support::MailServer::reserve();
    let down = cli
        .command(&["admin", "mail-test", "--to", "ops@example.org"])
        .env("GUILDHALL_SMTP_URL", test_support::smtp_url(port))
        .env("GUILDHALL_MAIL_FROM", "hello@space.example")
        .output()
        .unwrap();
    assert!(!down.status.success());
    assert!(text(&down).contains("not sent"), "{}", text(&down));

    // TLS from the start to a relay whose certificate a private CA signed: trusted through the
    // CA file, the command reports the relay's answer; a CA file that is missing or not PEM
    // stops it before anything is sent, naming the setting.
    let ca = test_support::TestCa::new();
    let relay = test_support::MailServer::setup()
        .tls_from_the_start(&ca)
        .start();
    let ca_path = cli.dir.path().join("relay-ca.pem");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    let smtps = format!("smtps://localhost:{}", relay.port());
    let sent = cli
        .command(&["admin", "mail-test", "--to", "ops@example.org"])
        .env("GUILDHALL_SMTP_URL", &smtps)
        .env("GUILDHALL_MAIL_FROM", "hello@space.example")
        .env("GUILDHALL_SMTP_CA_FILE", &ca_path)
        .output()
        .unwrap();
    assert!(sent.status.success(), "{}", text(&sent));
    assert!(text(&sent).contains("250"), "{}", text(&sent));
    assert!(relay.received_by("ops@example.org")[0].tls);
    let not_pem = cli.dir.path().join("g.db");
    for bad in [cli.dir.path().join("missing.pem"), not_pem] {
        let refused = cli
            .command(&["admin", "mail-test", "--to", "ops@example.org"])
            .env("GUILDHALL_SMTP_URL", &smtps)
            .env("GUILDHALL_MAIL_FROM", "hello@space.example")
            .env("GUILDHALL_SMTP_CA_FILE", &bad)
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        assert!(
            text(&refused).contains("GUILDHALL_SMTP_CA_FILE"),
            "{}",
            text(&refused)
        );
    }
    assert_eq!(relay.received().len(), 1);
}
