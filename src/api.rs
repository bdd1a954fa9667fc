//! What every JSON API route shares: error bodies, a JSON extractor whose failures are clear
//! 400/413/415/422 answers, and paging parameters. Routes themselves live with their feature
//! (`accounts/api.rs`, `companies/api.rs`, …) and are merged in `app.rs` under `/api/v1`.

use axum::body::to_bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, ErrorInfo};

/// Turns every error response under `/api` into `{"error": "...", "fields": [...]}`.
pub async fn render_json(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let (message, fields) = match response.extensions().get::<ErrorInfo>().cloned() {
        Some(info) => (info.message, info.fields),
        None => {
            let bytes = to_bytes(response.into_body(), 4096)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            let text = if status.is_server_error() || text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                text
            };
            (text, Default::default())
        }
    };
    let mut out = (
        status,
        axum::Json(json!({ "error": message, "fields": fields })),
    )
        .into_response();
    if let Some(v) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if status == StatusCode::UNAUTHORIZED {
        out.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"guildhall\""),
        );
    }
    out
}

/// A JSON body; malformed JSON is 400, a wrong shape 422, a wrong content type 415.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> Response {
    let status = rejection.status();
    let message = rejection.body_text();
    let error = match status.as_u16() {
        413 => Error::TooLarge("The request body is too large.".into()),
        415 => Error::BadRequest("Send JSON with Content-Type: application/json.".into()),
        422 => Error::invalid("body", message),
        _ => Error::BadRequest(format!("The body is not valid JSON: {message}")),
    };
    let mut response = error.into_response();
    if status.as_u16() == 415 {
        *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
    }
    response
}

/// `?limit=&offset=` with sane bounds.
#[derive(Debug, Deserialize, Default, Clone, Copy)]
pub struct Paging {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl Paging {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }

    pub fn offset(&self) -> i64 {
        self.offset.unwrap_or(0).clamp(0, 1_000_000)
    }
}
