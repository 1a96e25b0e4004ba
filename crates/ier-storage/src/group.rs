//! Group commit of submissions: applications submitted at the same moment
//! share one transaction, so one durable commit (one fsync) serves many
//! applicants.
//!
//! Each submission is handed to a small set of committer tasks and waits for
//! its own answer. A committer takes the first waiting submission and every
//! other one already waiting (up to `max_batch`), stores them all in one
//! transaction ([`Backend::insert_applications`]), and only then answers each
//! with its receipt: a reference number is still only given after the commit
//! (invariant 1). When nobody else is waiting a batch is one submission, so an
//! idle service adds no delay. If a batch fails (one application's council is
//! unknown, the database is briefly unavailable), each of its submissions is
//! tried again on its own, so one bad application never fails another.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::{NewApplication, Receipt, Result, StorageError, Store};

/// How submissions are grouped.
#[derive(Debug, Clone, Copy)]
pub struct GroupCommit {
    /// Most submissions in one transaction.
    pub max_batch: usize,
    /// Committer tasks (transactions in flight at once).
    pub committers: usize,
}

impl Default for GroupCommit {
    /// 64 a transaction, 4 transactions at once: Postgres commits concurrent
    /// transactions together anyway; SQLite takes them one after another.
    fn default() -> Self {
        Self { max_batch: 64, committers: 4 }
    }
}

type Reply = oneshot::Sender<Result<Receipt>>;

pub(crate) struct Committer {
    tx: mpsc::Sender<(NewApplication, DateTime<Utc>, Reply)>,
}

impl Committer {
    /// Start the committer tasks on the current runtime.
    pub(crate) fn start(store: Store, config: GroupCommit) -> Self {
        let max_batch = config.max_batch.max(1);
        let (tx, rx) = mpsc::channel(max_batch * config.committers.max(1) * 4);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..config.committers.max(1) {
            let (store, rx) = (store.clone(), rx.clone());
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::with_capacity(max_batch);
                    {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else { return };
                        batch.push(first);
                        while batch.len() < max_batch {
                            match rx.try_recv() {
                                Ok(next) => batch.push(next),
                                Err(_) => break,
                            }
                        }
                    }
                    commit(&store, batch).await;
                }
            });
        }
        Self { tx }
    }

    /// Submit through a committer; the receipt comes once the commit is durable.
    pub(crate) async fn submit(&self, new: NewApplication, now: DateTime<Utc>) -> Result<Receipt> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((new, now, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StorageError {
    StorageError::Unavailable("the submission committer has stopped".into())
}

async fn commit(store: &Store, mut batch: Vec<(NewApplication, DateTime<Utc>, Reply)>) {
    if batch.len() == 1 {
        let (new, now, reply) = batch.pop().expect("one");
        let _ = reply.send(store.submit_now(new, now).await);
        return;
    }
    let (stamped, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|(new, now, reply)| ((new, now), reply)).unzip();
    match store.submit_stamped(&stamped).await {
        Ok(receipts) => {
            for (reply, receipt) in replies.into_iter().zip(receipts) {
                let _ = reply.send(Ok(receipt));
            }
        }
        // Nothing of the batch was stored: each on its own, so one bad application fails alone.
        Err(_) => {
            for ((new, now), reply) in stamped.into_iter().zip(replies) {
                let _ = reply.send(store.submit_now(new, now).await);
            }
        }
    }
}
