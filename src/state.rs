//! The state every handler shares: the floor's [`Context`] (database, settings, HTTP client,
//! metrics, queue wake-ups) and the per-process parts of features (media storage, the sign-in
//! throttle, the directory's runtime). It dereferences to the context, so `state.db` and
//! `&state` as a `&Context` both work.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::FromRef;

use crate::accounts::throttle::LoginThrottle;
use crate::config::Config;
use crate::directory;
use crate::federation::actors::Lookup;
use crate::federation::Context;
use crate::mail;
use crate::media::MediaStore;
use crate::moderation::cache::LimitsCache;
use crate::spaces;
use crate::storage::Db;
use crate::web::rate::RateLimits;

/// Password reset requests allowed per address and per client within the throttle window.
pub const RESET_REQUESTS: u32 = 5;

/// Everything a handler may need, cheap to clone: one reference count (every request clones
/// the state, through the router and each extractor that takes it).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds; reached through it (`state.media`, `state.fed`).
pub struct Shared {
    pub fed: Context,
    pub media: MediaStore,
    pub throttle: Arc<LoginThrottle>,
    /// Per-address limits on sign-ups, posts, uploads and reports.
    pub limits: Arc<RateLimits>,
    /// The directory's per-process state (reconciliation, facet counts, sync wake-up).
    pub directory: Arc<directory::Runtime>,
    /// The mail worker's wake-up.
    pub mail: Arc<mail::Runtime>,
    /// The moderators' limits on actors and the suspended members, read at most once a second.
    pub actor_limits: LimitsCache,
    /// Password reset requests, per address and per client (a brake on mail bombing).
    pub reset_throttle: Arc<LoginThrottle>,
    set_up: AtomicBool,
}

impl AppState {
    /// `actors` is how the floor finds the local actor an URI names: the composition layer's
    /// `crate::hub::actors::lookup` (the callers, app.rs and the demo seed, pass it).
    pub fn new(db: Db, config: Config, media: MediaStore, actors: Lookup) -> anyhow::Result<Self> {
        Ok(AppState(Arc::new(Shared {
            directory: Arc::new(directory::Runtime::default()),
            mail: Arc::new(mail::Runtime::default()),
            actor_limits: LimitsCache::default(),
            reset_throttle: Arc::new(LoginThrottle::new(RESET_REQUESTS)),
            throttle: Arc::new(LoginThrottle::new(config.login_attempts)),
            limits: Arc::new(RateLimits::new(&config)),
            fed: Context::new(db, config, actors)?,
            media,
            set_up: AtomicBool::new(false),
        })))
    }

    /// Whether the space exists yet; once true it is remembered.
    pub async fn is_set_up(&self) -> bool {
        if self.set_up.load(Ordering::Relaxed) {
            return true;
        }
        let done = matches!(spaces::store::name(&self.db).await, Ok(Some(_)));
        if done {
            self.mark_set_up();
        }
        done
    }

    pub fn mark_set_up(&self) {
        self.set_up.store(true, Ordering::Relaxed);
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Deref for Shared {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.fed
    }
}

impl FromRef<AppState> for Context {
    fn from_ref(state: &AppState) -> Context {
        state.fed.clone()
    }
}
