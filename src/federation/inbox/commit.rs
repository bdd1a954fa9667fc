//! The group commit of accepted activities. Request handlers verify and parse concurrently,
//! then hand their row to one writer task ([`GroupCommit::store`]) and wait for its answer.
//! The writer takes every row waiting at that moment (up to [`MAX_ROWS`], or about
//! [`MAX_BYTES`] of bodies), stores them with one multi-row `INSERT … ON CONFLICT DO NOTHING`
//! (one commit, one disk flush, for the whole group), and only then answers each handler, which
//! only then answers 202. So a 202 is never sent for an activity that is not on disk, and a
//! crash after it loses nothing.
//!
//! Nothing waits on a timer to gather a group: while one group is being written the next
//! requests queue, and the writer takes them all at once when it comes back. At low load a
//! group is one row and nothing is added to its latency; under load the groups grow with it.
//!
//! A repeated activity id (already stored, or twice in one group) is reported as a repeat, as
//! before. When the statement of a group fails as a whole, each of its rows is tried again on
//! its own, so one bad row never fails the others. The queue between handlers and writer is
//! bounded ([`QUEUE`]): when it is full, handlers wait for room (backpressure through the
//! connection), they are not refused.

use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot, Notify};

use super::store;
use crate::storage::Db;

/// Rows waiting for the writer, at most; a handler finding it full waits for room.
pub const QUEUE: usize = 4096;
/// Rows written by one statement, at most.
pub const MAX_ROWS: usize = 256;
/// Bytes of bodies written by one statement, about (a group closes once it is over this).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// One accepted activity, verified, ready to be stored.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub actor: String,
    pub kind: String,
    pub body: String,
}

/// What storing one activity came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now.
    Stored,
    /// Its id was already stored (or came twice in one group): ignored.
    Repeat,
}

struct Pending {
    row: Received,
    reply: oneshot::Sender<Result<Outcome, sqlx::Error>>,
}

/// The handle to the writer, cheap to clone; the writer task starts with the first row and ends
/// when the last handle is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    db: Db,
    wakeup: Arc<Notify>,
    sender: Arc<OnceLock<mpsc::Sender<Pending>>>,
}

impl GroupCommit {
    /// A committer writing to `db`, waking `wakeup` (the inbox processor) once per group that
    /// stored something.
    pub fn new(db: Db, wakeup: Arc<Notify>) -> Self {
        GroupCommit {
            db,
            wakeup,
            sender: Arc::new(OnceLock::new()),
        }
    }

    /// Stores `row` with the next group; returns once that group is committed.
    pub async fn store(&self, row: Received) -> Result<Outcome, sqlx::Error> {
        let sender = self.sender.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(self.db.clone(), self.wakeup.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        sender
            .send(Pending { row, reply })
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

/// The writer: takes what is waiting, writes it in groups, answers, and again.
async fn run(db: Db, wakeup: Arc<Notify>, mut rx: mpsc::Receiver<Pending>) {
    let mut waiting: Vec<Pending> = Vec::with_capacity(MAX_ROWS);
    while rx.recv_many(&mut waiting, MAX_ROWS).await > 0 {
        while !waiting.is_empty() {
            let mut end = 0;
            let mut bytes = 0;
            while end < waiting.len() && (end == 0 || bytes < MAX_BYTES) {
                bytes += waiting[end].row.body.len();
                end += 1;
            }
            let group: Vec<Pending> = waiting.drain(..end).collect();
            write_group(&db, &wakeup, group).await;
        }
    }
}

/// Writes one group and answers each of its handlers.
async fn write_group(db: &Db, wakeup: &Notify, group: Vec<Pending>) {
    let rows: Vec<&Received> = group.iter().map(|p| &p.row).collect();
    match store::insert_group(db, &rows).await {
        Ok(stored) => {
            let outcomes = outcomes(&rows, &stored);
            if outcomes.contains(&Outcome::Stored) {
                wakeup.notify_one();
            }
            for (pending, outcome) in group.into_iter().zip(outcomes) {
                let _ = pending.reply.send(Ok(outcome));
            }
        }
        Err(e) => {
            tracing::warn!(rows = rows.len(), error = %e, "storing a group of activities failed; storing each on its own");
            for pending in group {
                let outcome = store::insert_group(db, &[&pending.row])
                    .await
                    .map(|stored| outcomes(&[&pending.row], &stored)[0]);
                if matches!(outcome, Ok(Outcome::Stored)) {
                    wakeup.notify_one();
                }
                let _ = pending.reply.send(outcome);
            }
        }
    }
}

/// Which rows of a group were stored, given the ids the insert returned: the first row of each
/// returned id; every other row is a repeat.
fn outcomes(rows: &[&Received], stored: &[String]) -> Vec<Outcome> {
    let mut fresh: std::collections::HashSet<&str> = stored.iter().map(String::as_str).collect();
    rows.iter()
        .map(|r| {
            if fresh.remove(r.id.as_str()) {
                Outcome::Stored
            } else {
                Outcome::Repeat
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> Received {
        Received {
            id: id.into(),
            actor: "https://a.example/u".into(),
            kind: "Create".into(),
            body: "{}".into(),
        }
    }

    #[test]
    fn the_first_of_each_stored_id_is_stored_the_rest_repeats() {
        let (a, b, a2, c) = (row("a"), row("b"), row("a"), row("c"));
        let rows = [&a, &b, &a2, &c];
        assert_eq!(
            outcomes(&rows, &["a".into(), "c".into()]),
            vec![
                Outcome::Stored,
                Outcome::Repeat,
                Outcome::Repeat,
                Outcome::Stored
            ]
        );
    }
}
