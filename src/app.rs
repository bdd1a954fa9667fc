//! Where a request enters: the one router that merges every feature's
//! routes, and the server that binds its own listener (port 0 in tests).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::media::MediaStore;
use crate::state::AppState;
use crate::storage::Db;
use crate::{
    accounts, admin, api, bookings, calendar, companies, directory, events, federation, hub,
    messages, moderation, notifications, ops, posts, projects, spaces, web,
};

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(spaces::api::router())
        .merge(accounts::api::router())
        .merge(accounts::totp::api::router())
        .merge(accounts::reset_web::api_router())
        .merge(accounts::email::api::router())
        .merge(companies::api::router())
        .merge(admin::domains_api::router())
        .merge(admin::blocklists_api::router())
        .merge(admin::deliveries_api::router())
        .merge(admin::members_api::router())
        .merge(hub::network_api::router())
        .merge(notifications::api::router())
        .merge(notifications::mail_web::api_router())
        .merge(posts::api::router())
        .merge(posts::media::router())
        .merge(messages::api::router())
        .merge(directory::api::router())
        .merge(projects::api::router())
        .merge(hub::membership::api_router())
        .merge(events::api::router())
        .merge(calendar::api::router())
        .merge(moderation::api::router())
        .merge(bookings::api::router())
        .merge(crate::visits::api::router())
        .fallback(web::not_found)
        .layer(from_fn_with_state(
            state.clone(),
            accounts::email::guard::require_verified,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            accounts::totp::guard::require_staff_2fa,
        ))
        .layer(from_fn_with_state(state.clone(), web::csrf::protect))
        .layer(from_fn(api::render_json));

    let pages = Router::new()
        .merge(spaces::web::router())
        .merge(accounts::web::router())
        .merge(accounts::totp::web::router())
        .merge(accounts::reset_web::web_router())
        .merge(accounts::email::web::router())
        .merge(companies::web::router())
        .merge(admin::domains_web::router())
        .merge(admin::blocklists_web::router())
        .merge(admin::deliveries_web::router())
        .merge(admin::mail_web::router())
        .merge(admin::members_web::router())
        .merge(hub::network_web::router())
        .merge(hub::notifications_web::router())
        .merge(notifications::mail_web::web_router())
        .merge(posts::web::router())
        .merge(messages::web::router())
        .merge(directory::web::router())
        .merge(projects::web::router())
        .merge(hub::membership::web_router())
        .merge(events::web::router())
        .merge(calendar::web::router())
        .merge(moderation::web::router())
        .merge(moderation::web_queue::router())
        .merge(bookings::web::router())
        .merge(crate::visits::web::router())
        .merge(web::router())
        .fallback(web::not_found)
        .layer(from_fn_with_state(
            state.clone(),
            accounts::email::guard::require_verified,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            accounts::totp::guard::require_staff_2fa,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            spaces::web::require_setup,
        ))
        .layer(from_fn_with_state(state.clone(), web::csrf::protect))
        .layer(from_fn_with_state(state.clone(), web::errors::render_html));

    Router::new()
        .nest("/api/v1", api)
        .merge(ops::router())
        .merge(hub::discovery::router())
        .merge(federation::inbox::router())
        .merge(hub::collections::router())
        .merge(pages)
        .layer(from_fn_with_state(state.clone(), web::headers::add))
        .layer(from_fn_with_state(state.clone(), ops::track))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A bound, migrated instance, ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Opens the database, applies migrations, prepares media storage and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        Self::build_on(config, listener).await
    }

    /// The same on a listener bound by the caller (tests bind first to learn the port, then
    /// name the instance after it).
    pub async fn build_on(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        if config.dev_http {
            tracing::warn!(
                "development mode (GUILDHALL_DEV_HTTP): plain http, explicit ports and loopback peers are allowed; never use it in production"
            );
        } else if !config.listen.ip().is_loopback() {
            // Guildhall speaks plain HTTP and leaves TLS to a proxy in front of it. Reached
            // directly on a network address, its https links, secure cookies and forms fail.
            tracing::warn!(
                domain = %config.domain,
                listen = %config.listen,
                "links and cookies are https://{}: serve it through a TLS-terminating proxy (see docs/operations.md); for a trial on a local network without TLS, set GUILDHALL_DEV_HTTP=true",
                config.domain
            );
        }
        match &config.mail {
            Some(m) => tracing::info!(
                host = %m.smtp.host,
                port = m.smtp.port,
                from = %m.from,
                protection = %m.smtp.protection(),
                "mail is on"
            ),
            None => tracing::warn!(
                "mail is off: set GUILDHALL_SMTP_URL and GUILDHALL_MAIL_FROM to send password resets, invitations and notifications"
            ),
        }
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        for handle in crate::projects::store::handles_shared(&db).await? {
            tracing::warn!(
                %handle,
                "a project shares its handle with a member or a company (both taken at the \
                 same moment before migration 0024); the handle names the member or company"
            );
        }
        let media = MediaStore::local(&config.media_dir)?;
        Ok(Application {
            listener,
            state: AppState::new(db, config, media, hub::actors::lookup)?,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes open requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state.clone();
        let housekeeping = tokio::spawn(housekeeping(state.clone()));
        let inbox = crate::hub::inbound::spawn(state.clone());
        let delivery = federation::delivery::spawn(state.fed.clone());
        let directory_sync = directory::sync::spawn(state.clone());
        let mail = crate::mail::spawn(state.clone());
        let notification_mail = notifications::mailer::spawn(state.clone());
        let reminders = bookings::reminders::spawn(state.clone());
        let blocklists = admin::blocklists::spawn(state.clone());
        let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        housekeeping.abort();
        inbox.abort();
        directory_sync.abort();
        if let Some(job) = notification_mail {
            job.abort();
        }
        if let Some(mail) = mail {
            // A mail in flight keeps its lease and is sent again after it expires.
            mail.abort();
        }
        reminders.abort();
        blocklists.abort();
        // Requests in flight are abandoned; their leases expire and they are sent again.
        delivery.abort();
        let _ = delivery.await;
        state.db.close().await;
        result.map_err(Into::into)
    }
}

/// Periodic chores: expired sessions, challenges and tokens, old mail, uploads no post took,
/// old processed inbox activities.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match accounts::store::delete_expired_sessions(&state.db).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
        match accounts::totp::store::delete_expired_challenges(&state.db).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sign-in challenges removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove expired sign-in challenges"),
        }
        match crate::mail::store::prune(&state.db, 30 * 86_400_000).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "old mails removed from the queue"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove old mails"),
        }
        match accounts::email::store::delete_old_tokens(&state.db).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "old e-mail confirmation links removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove old e-mail confirmation links"),
        }
        match accounts::store::delete_old_password_resets(&state.db).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "old password reset tokens removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove old password reset tokens"),
        }
        match crate::posts::media::prune_unattached(&state, crate::posts::media::UNATTACHED_FOR_MS)
            .await
        {
            Ok(n) if n > 0 => tracing::info!(removed = n, "pictures no post took removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove pictures no post took"),
        }
        match federation::inbox::prune(&state.db).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "old processed activities removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove old activities"),
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
