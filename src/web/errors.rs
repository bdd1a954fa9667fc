//! Error pages for the web: every error response of a page route (ours or axum's own, such as
//! a malformed form or an unknown address) becomes an HTML page in the site's layout, and
//! "please sign in" becomes a redirect to the sign-in page.

use askama::Template;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::page::PageCtx;
use crate::error::ErrorInfo;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    title: &'static str,
    message: String,
}

pub async fn render_html(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    // The CSRF middleware runs inside this one; the cookie holds the same token.
    let csrf = super::cookies::get(request.headers(), super::csrf::cookie_name(&state.config))
        .unwrap_or_default();
    let response = next.run(request).await;
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    // Only bare error answers are dressed as pages: HTML is already a page, and a JSON answer
    // (a Tombstone for servers, say) was meant as it is.
    if !is_bare(&response) {
        return response;
    }
    if status == StatusCode::UNAUTHORIZED {
        let next_path = if method == Method::GET {
            target
        } else {
            "/".into()
        };
        let to = format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(next_path.as_bytes()).collect::<String>()
        );
        return Redirect::to(&to).into_response();
    }
    let info = response.extensions().get::<ErrorInfo>().cloned();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let message = match info {
        Some(i) => i.message,
        None => {
            let bytes = to_bytes(response.into_body(), 4096)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            if status.is_server_error() || text.is_empty() {
                default_message(status).to_string()
            } else {
                text
            }
        }
    };
    let ctx = match PageCtx::build(&state, &headers, csrf.clone()).await {
        Ok(c) => c,
        Err(_) => PageCtx {
            space_name: "Guildhall".into(),
            user: None,
            csrf,
            flash: None,
            domain: state.config.domain.clone(),
            unread: 0,
            confirm_email: false,
            path: "/".into(),
        },
    };
    let page = ErrorPage {
        ctx,
        status: status.as_u16(),
        title: title(status),
        message,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("<h1>{}</h1>", status.as_u16()));
    let mut out = (status, Html(body)).into_response();
    if let Some(v) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    out
}

fn is_bare(response: &Response) -> bool {
    match response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(v) => v.starts_with("text/plain"),
    }
}

fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "That request could not be read",
        403 => "Not allowed",
        404 => "Page not found",
        405 => "Not allowed here",
        409 => "Already done",
        410 => "Gone",
        413 => "Too large",
        422 => "Please check the form",
        429 => "Slow down",
        _ if status.is_server_error() => "Something went wrong",
        _ => "Something is not right",
    }
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "There is nothing at this address. It may have moved or been deleted.",
        405 => "This address does not accept that kind of request.",
        413 => "What you sent is larger than this space accepts.",
        _ if status.is_server_error() => "Something went wrong on our side. Please try again.",
        _ => "The request could not be completed.",
    }
}
