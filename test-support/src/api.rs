//! The HTTP set-up chain against a running instance, given its base URL: whether the instance
//! runs in the test's process or as a `guildhall serve` process of its own.

use std::time::Duration;

use reqwest::{Client, ClientBuilder, Method, StatusCode};
use serde_json::{json, Value};

use crate::{eventually, ADMIN_PASSWORD, PASSWORD};

/// Between two looks at a follow's state.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// A client builder that follows no redirects (tests look at the redirects themselves); each
/// harness adds what it needs (cookies, a timeout, the test network's names).
pub fn client_builder() -> ClientBuilder {
    Client::builder().redirect(reqwest::redirect::Policy::none())
}

/// A running instance's JSON API: its base URL and the client that reaches it.
#[derive(Clone, Debug)]
pub struct Api<'a> {
    /// Who the instance is in failure messages (`alpha`, or its base URL).
    name: String,
    /// `http://host:port`, without a trailing slash.
    base: String,
    http: &'a Client,
    /// The `label` of the tokens [`Api::token`] asks for; none by default.
    token_label: Option<&'static str>,
}

impl<'a> Api<'a> {
    pub fn new(name: impl Into<String>, base: impl Into<String>, http: &'a Client) -> Api<'a> {
        Api {
            name: name.into(),
            base: base.into(),
            http,
            token_label: None,
        }
    }

    /// Asks for tokens labelled `label`.
    pub fn with_token_label(mut self, label: &'static str) -> Api<'a> {
        self.token_label = Some(label);
        self
    }

    /// The base URL + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One JSON API call: the status and the body (JSON, or the text as a JSON string); `Err`
    /// only when the instance could not be reached.
    pub async fn try_call(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), String> {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {path} on {}: {e}", self.name))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, value))
    }

    /// [`Api::try_call`], failing the test when the instance could not be reached.
    pub async fn call(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.try_call(method, token, path, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sets the space up with `space`'s details (name, city…) and the administrator `boss`;
    /// returns the administrator's token.
    pub async fn set_up_space(&self, mut space: Value) -> String {
        space["admin_handle"] = json!("boss");
        space["admin_email"] = json!("boss@example.org");
        space["admin_password"] = json!(ADMIN_PASSWORD);
        let (status, body) = self
            .call(Method::POST, None, "/api/v1/setup", Some(&space))
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "setup of {}: {body}",
            self.name
        );
        self.token("boss", ADMIN_PASSWORD).await
    }

    /// Opens sign-up to everyone (as the administrator), so tests can add members.
    pub async fn open_registration(&self, admin_token: &str) {
        let (status, body) = self
            .call(
                Method::PATCH,
                Some(admin_token),
                "/api/v1/space",
                Some(&json!({"registration_mode": "open"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "opening registration: {body}");
    }

    /// Sets the space up as `<name> space` with the administrator `boss` and opens
    /// registration; returns the administrator's token.
    pub async fn set_up(&self, name: &str) -> String {
        let admin = self
            .set_up_space(json!({"name": format!("{name} space")}))
            .await;
        self.open_registration(&admin).await;
        admin
    }

    /// Signs in through the API; returns the token.
    pub async fn token(&self, login: &str, password: &str) -> String {
        let mut body = json!({"login": login, "password": password});
        if let Some(label) = self.token_label {
            body["label"] = json!(label);
        }
        let (status, body) = self
            .call(Method::POST, None, "/api/v1/tokens", Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "sign-in of {login}: {body}");
        body["token"].as_str().expect("a token").to_string()
    }

    /// Signs the member `handle` up with `email` (registration must be open) and the usual
    /// [`PASSWORD`]; returns a token.
    pub async fn register(&self, handle: &str, email: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                None,
                "/api/v1/accounts",
                Some(&json!({"handle": handle, "email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "sign-up of {handle}: {body}");
        self.token(handle, PASSWORD).await
    }

    /// Creates a company owned by the member with `token`.
    pub async fn company(&self, token: &str, handle: &str, name: &str) {
        let (status, body) = self
            .call(
                Method::POST,
                Some(token),
                "/api/v1/companies",
                Some(&json!({"handle": handle, "name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "company {handle}: {body}");
    }

    /// The member with `token` follows `target` (a handle `@who@host` or a URI); the API
    /// answers 201 with the follow, which this returns.
    pub async fn follow(&self, token: &str, target: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                Some(token),
                "/api/v1/follows",
                Some(&json!({"target": target})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "follow of {target}: {body}");
        body
    }

    /// The member's follow of `uri`, as `GET /api/v1/following` lists it.
    pub async fn following_entry(&self, token: &str, uri: &str) -> Result<Option<Value>, String> {
        let (status, list) = self
            .try_call(Method::GET, Some(token), "/api/v1/following", None)
            .await?;
        if status != StatusCode::OK {
            return Err(format!("GET /api/v1/following: {status} {list}"));
        }
        Ok(list["items"]
            .as_array()
            .and_then(|items| items.iter().find(|f| f["uri"] == uri).cloned()))
    }

    /// Waits (at most `within`) until the member's follow of `uri` has `state`; returns it.
    pub async fn wait_following(
        &self,
        token: &str,
        uri: &str,
        state: &str,
        within: Duration,
    ) -> Value {
        eventually(
            &format!("{}'s follow of {uri} to be {state}", self.name),
            within,
            FOLLOW_POLL,
            || async {
                match self.following_entry(token, uri).await? {
                    Some(f) if f["state"] == state => Ok(f),
                    other => Err(format!("{other:?}")),
                }
            },
        )
        .await
    }
}
