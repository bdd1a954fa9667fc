//! Test harness: every test gets its own instance on a random port with a fresh database:
//! a new SQLite file by default, a new PostgreSQL database when `GUILDHALL_TEST_DATABASE_URL`
//! points at a server (for example `postgres://postgres@127.0.0.1:5432/postgres`).

use std::collections::BTreeMap;
use std::sync::Once;

use guildhall::app::Application;
use guildhall::config::Config;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "admin password 123";
pub const PASSWORD: &str = "member password 123";

pub struct TestApp {
    pub base: String,
    /// A client without cookies, for API calls.
    pub api: Client,
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

/// A fresh database URL for one test.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("GUILDHALL_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("gh_test_{}", uuid_like());
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                .await
                .expect("connect to GUILDHALL_TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (base, _) = admin_url
                .rsplit_once('/')
                .expect("the URL names a database");
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.join("test.db").display()),
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
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
        init_logging();
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = fresh_database(dir.path()).await;
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        env.insert("GUILDHALL_DEV_HTTP".into(), "true".into());
        env.insert("GUILDHALL_DATABASE_URL".into(), database_url);
        env.insert(
            "GUILDHALL_MEDIA_DIR".into(),
            dir.path().join("media").display().to_string(),
        );
        for (k, v) in extra {
            env.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_sources(&BTreeMap::new(), &env).expect("test config");
        let app = Application::build_on(config, listener)
            .await
            .expect("app builds");
        let addr = app.local_addr();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            api: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    /// Sets the space up with admin `boss` and open registration; returns the admin's token.
    async fn set_up(&self, name: &str) -> String {
        let token = self
            .set_up_space(json!({"name": format!("{name} space")}))
            .await;
        self.open_registration(&token).await;
        token
    }

    /// Sets the space up with `space`'s details (name, city…) and admin `boss`; returns the
    /// admin's token.
    pub async fn set_up_space(&self, mut space: Value) -> String {
        space["admin_handle"] = json!("boss");
        space["admin_email"] = json!("boss@example.org");
        space["admin_password"] = json!(ADMIN_PASSWORD);
        let response = self.post_json(None, "/api/v1/setup", &space).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        self.token("boss", ADMIN_PASSWORD).await
    }

    /// A new instance set up through the API, with admin `boss`; returns the admin's token.
    pub async fn spawn_set_up() -> (TestApp, String) {
        Self::spawn_set_up_with(&[]).await
    }

    /// The same with extra configuration (environment-style keys).
    pub async fn spawn_set_up_with(extra: &[(&str, &str)]) -> (TestApp, String) {
        let app = Self::spawn_with(extra).await;
        let response = app
            .post_json(
                None,
                "/api/v1/setup",
                &json!({
                    "name": "Harbour Works",
                    "description": "A coworking space by the river.",
                    "city": "Lisbon",
                    "country": "PT",
                    "admin_handle": "boss",
                    "admin_email": "boss@example.org",
                    "admin_password": ADMIN_PASSWORD,
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let token = app.token("boss", ADMIN_PASSWORD).await;
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
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    pub async fn token(&self, login: &str, password: &str) -> String {
        let response = self
            .post_json(
                None,
                "/api/v1/tokens",
                &json!({"login": login, "password": password}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "sign-in of {login}");
        let body: Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
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

    /// Opens sign-up to everyone (as the admin) so tests can add members.
    pub async fn open_registration(&self, admin_token: &str) {
        let r = self
            .send_json(
                reqwest::Method::PATCH,
                Some(admin_token),
                "/api/v1/space",
                &json!({"registration_mode": "open"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// Signs a member up through the API (registration must be open); returns a token.
    pub async fn member(&self, handle: &str) -> String {
        let r = self
            .post_json(
                None,
                "/api/v1/accounts",
                &json!({"handle": handle, "email": format!("{handle}@example.org"), "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "sign-up of {handle}");
        self.token(handle, PASSWORD).await
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
        init_logging();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        env.insert("GUILDHALL_LISTEN".into(), "127.0.0.1:0".into());
        env.insert("GUILDHALL_DEV_HTTP".into(), "true".into());
        env.insert("GUILDHALL_DATABASE_URL".into(), database_url.to_string());
        env.insert(
            "GUILDHALL_MEDIA_DIR".into(),
            dir.path().join("media").display().to_string(),
        );
        for (k, v) in extra {
            env.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_sources(&BTreeMap::new(), &env).expect("test config");
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
                api: Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("client"),
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

/// The year the tests' events and deadlines fall in: four years after today's, so that no test
/// date goes stale as the calendar moves on.
pub fn future_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().year() + 4
}

/// A date (and time) in [`future_year`]: `ahead("06-01T18:00")` is `"2030-06-01T18:00"` when
/// run in 2026.
pub fn ahead(month_day_time: &str) -> String {
    format!("{}-{month_day_time}", future_year())
}

/// The day Europe's clocks skip an hour in [`future_year`] (the last Sunday of March), as
/// `YYYY-MM-DD`.
pub fn spring_forward_day() -> String {
    use chrono::{Datelike, NaiveDate, Weekday};
    let mut day = NaiveDate::from_ymd_opt(future_year(), 3, 31).expect("March has 31 days");
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().expect("a day before");
    }
    day.format("%Y-%m-%d").to_string()
}

/// How pages write a day of [`future_year`]: `long_day("06-01")` is `"Sat 1 Jun 2030"` in 2026.
pub fn long_day(month_day: &str) -> String {
    chrono::NaiveDate::parse_from_str(&ahead(month_day), "%Y-%m-%d")
        .expect("a valid month and day")
        .format("%a %-d %b %Y")
        .to_string()
}

/// How long [`eventually_exactly`] keeps watching once the count is reached: a duplicate sent
/// late (a retry, a second queued row) arrives well within it.
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(1500);

/// Waits (at most 20 seconds) until `count` gives `n`, then keeps watching for [`SETTLE`]: the
/// test fails if the count ever goes past `n`, so something arriving twice, or arriving where it
/// must not, is caught even when it comes after the expected ones.
pub async fn eventually_exactly<F, Fut>(n: usize, what: &str, mut count: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = count().await;
        assert!(got <= n, "{what}: {got}, expected exactly {n}");
        if got == n {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}: {got} of {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let until = std::time::Instant::now() + SETTLE;
    while std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let got = count().await;
        assert_eq!(got, n, "{what}: {got} after it had reached {n}");
    }
}
