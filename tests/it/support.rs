//! Test harness: every test gets its own instance on a random port with a fresh database:
//! a new SQLite file by default, a new PostgreSQL database when `GUILDHALL_TEST_DATABASE_URL`
//! points at a server (for example `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! The application runs in the test's process (`Application::build_on`); what this harness
//! shares with the federation suite (fresh databases, bounded polling, the HTTP set-up chain,
//! dates) is in the `test-support` crate.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, Once};

use guildhall::app::Application;
use guildhall::config::Config;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use test_support::{client_builder, Api, DatabaseNames};
use tokio::sync::oneshot;

pub use test_support::{
    ahead, eventually_exactly, future_year, long_day, spring_forward_day, ADMIN_PASSWORD, PASSWORD,
};

/// This harness's databases: `gh_test_<hex>` on PostgreSQL, `test.db` on SQLite.
const DATABASES: DatabaseNames = DatabaseNames {
    postgres_prefix: "gh_test",
    sqlite_file: "test.db",
};

/// The `From` address of the instances [`TestApp::spawn_with_mail`] starts.
pub const MAIL_FROM: &str = "hello@harbour.example";

pub struct TestApp {
    pub base: String,
    /// A client without cookies, for API calls.
    pub api: Client,
    /// The instance's database, for tests that must reach past the HTTP surface (an expired
    /// token, a row a future path would write).
    pub db: guildhall::storage::Db,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

/// Server logs only when asked: `TEST_LOG=1 cargo test`.
fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx=warn"))
                .with_test_writer()
                .try_init();
        }
    });
}

/// A fresh database URL for one test (see [`test_support::fresh_database`]).
pub async fn fresh_database(dir: &Path) -> String {
    test_support::fresh_database(dir, DATABASES).await
}

/// The configuration of a test instance on `database_url`, with its media in `dir` and the
/// `extra` environment-style keys.
fn test_config(database_url: String, dir: &Path, extra: &[(&str, &str)]) -> Config {
    init_logging();
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("GUILDHALL_DEV_HTTP".into(), "true".into());
    env.insert("GUILDHALL_DATABASE_URL".into(), database_url);
    env.insert(
        "GUILDHALL_MEDIA_DIR".into(),
        dir.join("media").display().to_string(),
    );
    // Tests sign up and post from loopback in bulk; a test about the limits sets its own.
    for key in [
        "GUILDHALL_RATE_SIGNUPS",
        "GUILDHALL_RATE_POSTS",
        "GUILDHALL_RATE_UPLOADS",
    ] {
        env.insert(key.into(), "100000".into());
    }
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    Config::from_sources(&BTreeMap::new(), &env).expect("test config")
}

/// The client of [`TestApp::api`]: no cookies, no redirects followed.
fn api_client() -> Client {
    client_builder().build().expect("client")
}

impl TestApp {
    /// A new, empty instance (not set up).
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// A new instance with extra configuration (environment-style keys).
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        Self::spawn_on(listener, extra).await
    }

    /// A set-up instance named `NAME.test:PORT`, which resolves `alpha.test`, `beta.test` and
    /// `gamma.test` to loopback in its HTTP client, so several named instances in one test
    /// federate over real HTTP with real host names. Returns the admin's token.
    pub async fn spawn_named(name: &str) -> (TestApp, String) {
        Self::spawn_named_with(name, &[]).await
    }

    /// The same with extra configuration (environment-style keys).
    pub async fn spawn_named_with(name: &str, extra: &[(&str, &str)]) -> (TestApp, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let domain = format!("{name}.test:{port}");
        let app = Self::spawn_on(
            listener,
            &[
                ("GUILDHALL_DOMAIN", domain.as_str()),
                (
                    "GUILDHALL_RESOLVE",
                    "alpha.test=127.0.0.1,beta.test=127.0.0.1,gamma.test=127.0.0.1",
                ),
            ]
            .into_iter()
            .chain(extra.iter().copied())
            .collect::<Vec<_>>(),
        )
        .await;
        let admin = app.set_up(name).await;
        (app, admin)
    }

    async fn spawn_on(listener: tokio::net::TcpListener, extra: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = test_config(fresh_database(dir.path()).await, dir.path(), extra);
        let app = Application::build_on(config, listener)
            .await
            .expect("app builds");
        let addr = app.local_addr();
        let db = app.state().db.clone();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            api: api_client(),
            db,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    /// The shared set-up chain against this instance (see [`test_support::Api`]).
    pub fn chain(&self) -> Api<'_> {
        Api::new(self.base.as_str(), self.base.as_str(), &self.api)
    }

    /// Sets the space up as `NAME space` with admin `boss` and open registration; returns the
    /// admin's token.
    async fn set_up(&self, name: &str) -> String {
        self.chain().set_up(name).await
    }

    /// Sets the space up with `space`'s details (name, city…) and admin `boss`; returns the
    /// admin's token.
    pub async fn set_up_space(&self, space: Value) -> String {
        self.chain().set_up_space(space).await
    }

    /// A set-up instance (`Harbour Works`, open registration) that sends mail through
    /// `smtp_url` from hello@harbour.example, with `extra` configuration and the member `ada`
    /// (ada@example.org); returns the admin's token.
    pub async fn spawn_with_mail(smtp_url: &str, extra: &[(&str, &str)]) -> (TestApp, String) {
        let mut config = vec![
            ("GUILDHALL_SMTP_URL", smtp_url),
            ("GUILDHALL_MAIL_FROM", MAIL_FROM),
        ];
        config.extend_from_slice(extra);
        let (app, admin) = Self::spawn_set_up_with(&config).await;
        app.open_registration(&admin).await;
        app.member("ada").await;
        (app, admin)
    }

    /// A new instance set up through the API, with admin `boss`; returns the admin's token.
    pub async fn spawn_set_up() -> (TestApp, String) {
        Self::spawn_set_up_with(&[]).await
    }

    /// The same with extra configuration (environment-style keys).
    pub async fn spawn_set_up_with(extra: &[(&str, &str)]) -> (TestApp, String) {
        let app = Self::spawn_with(extra).await;
        let token = app
            .set_up_space(json!({
                "name": "Harbour Works",
                "description": "A coworking space by the river.",
                "city": "Lisbon",
                "country": "PT",
            }))
            .await;
        (app, token)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Fills in the sign-in form with `browser` as a person does (the page first, for its CSRF
    /// token); returns the answer.
    pub async fn submit_sign_in(&self, browser: &Client, login: &str, password: &str) -> Response {
        let html = browser
            .get(self.url("/login"))
            .send()
            .await
            .expect("the sign-in page")
            .text()
            .await
            .expect("its markup");
        browser
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf_from(&html).as_str()),
                ("login", login),
                ("password", password),
            ])
            .send()
            .await
            .expect("the sign-in answer")
    }

    /// A browser signed in as `login` through the sign-in form.
    pub async fn signed_in(&self, login: &str, password: &str) -> Client {
        let browser = self.browser();
        let r = self.submit_sign_in(&browser, login, password).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {login}");
        browser
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> Client {
        client_builder().cookie_store(true).build().expect("client")
    }

    pub async fn token(&self, login: &str, password: &str) -> String {
        self.chain().token(login, password).await
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> Response {
        let mut r = self.api.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    pub async fn post_json(&self, token: Option<&str>, path: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, token, path, body)
            .await
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: &Value,
    ) -> Response {
        let mut r = self.api.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// Publishes a post of `text` as the member `token`; its URI.
    pub async fn post_text(&self, token: &str, text: &str) -> String {
        let r = self
            .post_json(Some(token), "/api/v1/posts", &json!({ "text": text }))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
        let body: Value = r.json().await.unwrap();
        body["uri"].as_str().unwrap().to_string()
    }

    /// Opens sign-up to everyone (as the admin) so tests can add members.
    pub async fn open_registration(&self, admin_token: &str) {
        self.chain().open_registration(admin_token).await
    }

    /// Signs a member up through the API (registration must be open); returns a token.
    pub async fn member(&self, handle: &str) -> String {
        self.chain()
            .register(handle, &format!("{handle}@example.org"))
            .await
    }
}

/// An instance the test controls more closely: on a database the test names (so it can be
/// restarted on the same one, or run as two processes sharing one), with its state at hand for
/// calling the library directly.
pub struct Instance {
    pub app: TestApp,
    pub state: guildhall::state::AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Instance {
    /// Starts an instance on `database_url` (see [`fresh_database`]) with extra configuration.
    pub async fn start(database_url: &str, extra: &[(&str, &str)]) -> Instance {
        let dir = tempfile::tempdir().expect("temp dir");
        let listen = [("GUILDHALL_LISTEN", "127.0.0.1:0")];
        let extra: Vec<_> = listen.into_iter().chain(extra.iter().copied()).collect();
        let config = test_config(database_url.to_string(), dir.path(), &extra);
        let app = Application::build(config).await.expect("app builds");
        let addr = app.local_addr();
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Instance {
            app: TestApp {
                base: format!("http://{addr}"),
                api: api_client(),
                db: state.db.clone(),
                _dir: dir,
                shutdown: None,
            },
            state,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Shuts the instance down and waits until it has stopped (background work included).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stops cleanly");
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// What the application logs on this thread while it lives: an instance a `#[tokio::test]`
/// starts runs its tasks on the test's own thread, so this reads that instance's log as an
/// operator would (its start-up lines, its workers' warnings).
pub struct Logs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Logs {
    /// Starts capturing (at `info`, as `guildhall serve` logs by default).
    pub fn capture() -> Logs {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx=warn"))
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        Logs {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads the CSRF token a page embeds in its forms.
pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..start + 43].to_string()
}

/// Asserts a JSON error answer with the status and, when given, a message for `field`.
pub async fn assert_error(response: Response, status: StatusCode, field: Option<&str>) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("error body is JSON");
    assert!(body["error"].is_string(), "{body}");
    if let Some(f) = field {
        let fields = body["fields"].as_array().expect("fields");
        assert!(
            fields.iter().any(|e| e["field"] == f),
            "expected an error for {f}: {body}"
        );
    }
    body
}
