//! What the floor needs to work: the database, the settings, the HTTP client for other servers,
//! the metrics, the wake-ups of its two queues and the lookup of local actors. Features hold it inside their `AppState`
//! (`crate::state`), which dereferences to it, so `&state` passes wherever a `&Context` is
//! asked for; nothing here knows a feature.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::Config;
use crate::federation::actors::Lookup;
use crate::federation::client::FedClient;
use crate::federation::inbox::limits::InboxLimits;
use crate::metrics::Metrics;
use crate::storage::Db;

/// The floor's shared handles, cheap to clone: one reference count (the inbox and every
/// federation route clone it per request).
#[derive(Clone)]
pub struct Context(Arc<Handles>);

/// What [`Context`] holds; reached through it (`ctx.db`, `ctx.config`).
pub struct Handles {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// The HTTP client for other servers.
    pub client: FedClient,
    /// Wakes the inbox processor when an activity arrives.
    pub inbox_wakeup: Arc<Notify>,
    /// Stores accepted activities in groups (see [`crate::federation::inbox::GroupCommit`]).
    pub inbox_commit: crate::federation::inbox::GroupCommit,
    /// Wakes the delivery workers when something is queued.
    pub delivery_wakeup: Arc<Notify>,
    /// Finds the local actor an URI names (installed by the composition layer; see
    /// [`crate::federation::actors`]).
    pub actors: Lookup,
    /// The inboxes' flood limits per remote host and actor (see [`crate::federation::inbox::limits`]).
    pub inbox_limits: Arc<InboxLimits>,
    /// Domain decisions read recently (`policy::decide_cached`).
    pub decisions: Arc<crate::federation::policy::DecisionCache>,
    /// Actors whose keys verified recently (`viewer::signing_actor`).
    pub signers: Arc<crate::federation::remote::SignerCache>,
}

impl Context {
    pub fn new(db: Db, config: Config, actors: Lookup) -> anyhow::Result<Self> {
        let inbox_wakeup = Arc::new(Notify::new());
        Ok(Context(Arc::new(Handles {
            actors,
            inbox_limits: Arc::new(InboxLimits::new(&config)),
            decisions: Arc::new(Default::default()),
            signers: Arc::new(Default::default()),
            client: FedClient::new(&config)?,
            inbox_commit: crate::federation::inbox::GroupCommit::new(
                db.clone(),
                inbox_wakeup.clone(),
            ),
            inbox_wakeup,
            delivery_wakeup: Arc::new(Notify::new()),
            metrics: Arc::new(Metrics::new()),
            config: Arc::new(config),
            db,
        })))
    }
}

impl std::ops::Deref for Context {
    type Target = Handles;

    fn deref(&self) -> &Handles {
        &self.0
    }
}
