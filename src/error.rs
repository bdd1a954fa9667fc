//! The one error type of the application. Features return it; the web layer turns it into an
//! HTML page ([`crate::web::WebError`]) and the API into JSON ([`crate::api::ApiError`]).
//! Internal causes are logged, never shown.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::validate::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing at this address.
    #[error("not found")]
    NotFound,
    /// Signing in is needed.
    #[error("sign-in required")]
    Unauthorized,
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Input that fails validation: 422 with a message per field.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// A request the server cannot read at all.
    #[error("{0}")]
    BadRequest(String),
    /// A body or upload over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// Throttled; try again after this many seconds.
    #[error("too many attempts; try again in {0} seconds")]
    TooManyRequests(u64),
    /// It existed and was deleted.
    #[error("This was deleted.")]
    Gone,
    /// A state conflict that is not one field's fault (setup already done, say).
    #[error("{0}")]
    Conflict(String),
    /// Anything else: logged with its cause, shown as a generic 500.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(FieldErrors::single(field, message))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden(message.into())
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::NotFound => 404,
            Error::Unauthorized => 401,
            Error::Forbidden(_) => 403,
            Error::Invalid(_) => 422,
            Error::BadRequest(_) => 400,
            Error::TooLarge(_) => 413,
            Error::TooManyRequests(_) => 429,
            Error::Conflict(_) => 409,
            Error::Gone => 410,
            Error::Internal(_) => 500,
        }
    }

    /// The message a client may see. Internal errors are logged here, once, with their cause.
    pub fn public_message(&self) -> String {
        match self {
            Error::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "Something went wrong on our side. Please try again.".to_string()
            }
            Error::NotFound => "Nothing here.".to_string(),
            Error::Unauthorized => "Please sign in.".to_string(),
            Error::Invalid(fields) => format!("Please correct the form: {fields}."),
            other => other.to_string(),
        }
    }
}

impl From<FieldErrors> for Error {
    fn from(e: FieldErrors) -> Self {
        Error::Invalid(e)
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(e.into())
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Internal(e)
    }
}

impl From<askama::Error> for Error {
    fn from(e: askama::Error) -> Self {
        Error::Internal(e.into())
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(e.into())
    }
}

/// What an error response carries for the web and API layers, which render it as an HTML page
/// or a JSON body (see `web::errors` and `api`). Responses made by axum itself (a malformed
/// body, an unknown route) carry none and are rendered from their status and text.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
    pub fields: FieldErrors,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = self.public_message();
        let fields = match &self {
            Error::Invalid(f) => f.clone(),
            _ => FieldErrors::new(),
        };
        let mut response = (status, message.clone()).into_response();
        if let Error::TooManyRequests(secs) = self {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response.extensions_mut().insert(ErrorInfo {
            status,
            message,
            fields,
        });
        response
    }
}
