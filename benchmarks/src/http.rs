//! Signed requests and the harness's HTTP client; bounded polling.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use guildhall::federation::crypto::SigningKey;
use guildhall::federation::signatures;
use reqwest::{Client, Method};
use serde_json::Value;

use crate::{Res, AS_JSON, POLL};

// --- signed requests ----------------------------------------------------------------------------

/// A POST ready to send: signed now, sent later.
pub(crate) struct Signed {
    pub(crate) url: String,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn sign_post(url: &str, body: &Value, key_id: &str, key: &SigningKey) -> Res<Signed> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("content-type", AS_JSON.parse().expect("a header value"));
    signatures::sign_request(
        &Method::POST,
        &parsed,
        &mut headers,
        Some(&body),
        key_id,
        key,
        chrono::Utc::now(),
    )
    .map_err(|e| format!("signing: {e}"))?;
    Ok(Signed {
        url: url.to_string(),
        headers,
        body,
    })
}

pub(crate) async fn send(http: &Client, s: &Signed) -> Res<StatusCode> {
    let r = http
        .post(&s.url)
        .headers(s.headers.clone())
        .body(s.body.clone())
        .send()
        .await
        .map_err(|e| format!("POST {}: {e}", s.url))?;
    let status = r.status();
    let _ = r.bytes().await;
    Ok(status)
}

/// A client that resolves every `*.test` name given to 127.0.0.1 and follows no redirects.
pub(crate) fn client(names: &[String]) -> Client {
    let mut b = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60));
    for n in names {
        b = b.resolve(n, ([127, 0, 0, 1], 0).into());
    }
    b.build().expect("HTTP client")
}

/// Polls `check` until it answers `Some`, for at most `within`.
pub(crate) async fn until<T, F, Fut>(what: &str, within: Duration, mut check: F) -> Res<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {within:?} waiting for {what}"));
        }
        tokio::time::sleep(POLL).await;
    }
}
