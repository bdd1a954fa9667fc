//! Claiming, in groups. Host workers ask one task per process ([`Claimer`]) for rows; it takes
//! every request waiting at that moment (up to [`MAX_GROUP`]) and claims for all of them in one
//! transaction (`store::claim_group`). A fan-out to a thousand hosts starts a thousand workers
//! at once: their claims used to be a thousand write transactions, one after the other through
//! the one SQLite writer, each reading the host's health and counting its rows in flight on
//! its own; now they are a few dozen, each reading every host of its group with one statement.
//!
//! Nothing waits on a timer: at low load a group is one request, claimed at once.

use tokio::sync::{mpsc, oneshot};

use super::store::{self, ClaimedOfHost};
use super::Settings;
use crate::error::{Error, Result};
use crate::federation::Context;

/// Hosts claimed for by one transaction, at most.
const MAX_GROUP: usize = 128;

struct Request {
    host: String,
    n: usize,
    answer: oneshot::Sender<Result<ClaimedOfHost>>,
}

/// The handle to this process's claimer.
pub(super) struct Claimer {
    sender: mpsc::Sender<Request>,
}

impl Claimer {
    /// Starts the claimer; it ends when the handle is dropped.
    pub(super) fn spawn(ctx: Context, settings: Settings, owner: String) -> Self {
        let (sender, rx) = mpsc::channel(MAX_GROUP * 4);
        tokio::spawn(run(ctx, settings, owner, rx));
        Claimer { sender }
    }

    /// Claims up to `n` due rows of `host` with the next group.
    pub(super) async fn claim(&self, host: &str, n: usize) -> Result<ClaimedOfHost> {
        let (answer, answered) = oneshot::channel();
        let request = Request {
            host: host.to_string(),
            n,
            answer,
        };
        self.sender.send(request).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::Internal(anyhow::anyhow!("the delivery claimer has stopped"))
}

async fn run(ctx: Context, settings: Settings, owner: String, mut rx: mpsc::Receiver<Request>) {
    let mut waiting: Vec<Request> = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut waiting, MAX_GROUP).await > 0 {
        let group: Vec<Request> = std::mem::take(&mut waiting);
        let wants: Vec<(&str, usize)> = group.iter().map(|r| (r.host.as_str(), r.n)).collect();
        match store::claim_group(&ctx.db, &settings, &owner, &wants).await {
            Ok(claimed) => {
                for (request, claimed) in group.into_iter().zip(claimed) {
                    // A worker that is gone leaves its rows leased until the lease expires.
                    let _ = request.answer.send(Ok(claimed));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for request in group {
                    let _ = request.answer.send(Err(Error::Internal(anyhow::anyhow!(
                        "claiming deliveries: {message}"
                    ))));
                }
            }
        }
    }
}
