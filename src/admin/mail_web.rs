//! The administrator's page for outgoing mail: `/admin/mail`, whether mail is on, the queue's
//! counts and the latest failures with the SMTP server's answer.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::accounts::session::Admin;
use crate::error::Result;
use crate::mail::store::{self, Problem, Summary};
use crate::state::AppState;
use crate::web::page::{render, PageCtx};

const PROBLEMS_SHOWN: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/mail", get(mail_page))
}

#[derive(Template)]
#[template(path = "mail/admin.html")]
struct MailPage {
    ctx: PageCtx,
    /// `host:port` of the SMTP server, or `None` when mail is off.
    server: Option<String>,
    /// How the connection is protected (TLS mode, private CA, user name).
    protection: String,
    from: String,
    summary: Summary,
    problems: Vec<Problem>,
}

impl MailPage {
    fn when(&self, ms: &i64) -> String {
        chrono::DateTime::from_timestamp_millis(*ms)
            .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default()
    }
}

async fn mail_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Admin(_): Admin,
) -> Result<Response> {
    let (server, protection, from) = match &state.config.mail {
        Some(m) => (
            Some(format!("{}:{}", m.smtp.host, m.smtp.port)),
            m.smtp.protection(),
            m.from.to_string(),
        ),
        None => (None, String::new(), String::new()),
    };
    render(&MailPage {
        ctx,
        server,
        protection,
        from,
        summary: store::summary(&state.db).await?,
        problems: store::problems(&state.db, PROBLEMS_SHOWN).await?,
    })
}
