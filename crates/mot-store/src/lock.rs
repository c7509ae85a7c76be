//! A database-wide lock that keeps two runs of a command apart, even when
//! they start on different machines.

use std::time::Duration;

use mysql_async::prelude::Queryable;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::store::Store;

/// How often the lock's connection is pinged, so that the server's
/// `wait_timeout` never closes it (and frees the lock) during a long run.
const KEEPALIVE: Duration = Duration::from_secs(60);

/// A held named lock (`GET_LOCK`). It lives on a connection of its own and
/// is released when dropped or when that connection closes, so a killed
/// process never leaves it held.
#[derive(Debug)]
pub struct RunLock {
    name: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Store {
    /// Tells whether any session holds the lock `mot_<purpose>_<database>`,
    /// that is, whether a run is active.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn lock_in_use(&self, purpose: &str) -> Result<bool> {
        let name = format!("mot_{purpose}_{}", self.database_name().await?);
        let mut conn = self.conn().await?;
        let holder: Option<Option<u64>> = conn
            .exec_first("SELECT IS_USED_LOCK(?)", (&name,))
            .await
            .map_err(|e| Error::database(format_args!("checking lock {name}"), e))?;
        Ok(holder.flatten().is_some())
    }

    /// Takes the lock `mot_<purpose>_<database>` without waiting. Returns
    /// `None` when another session has it.
    ///
    /// # Errors
    ///
    /// Fails when the lock's connection cannot be opened.
    pub async fn try_lock(&self, purpose: &str) -> Result<Option<RunLock>> {
        let name = format!("mot_{purpose}_{}", self.database_name().await?);
        let mut conn = mysql_async::Conn::new(self.opts.clone())
            .await
            .map_err(|e| Error::database("opening the lock connection", e))?;
        let taken: Option<Option<i64>> =
            conn.exec_first("SELECT GET_LOCK(?, 0)", (&name,))
                .await
                .map_err(|e| Error::database(format_args!("taking lock {name}"), e))?;
        if taken.flatten() != Some(1) {
            let _ = conn.disconnect().await;
            return Ok(None);
        }

        let (stop, mut stopped) = oneshot::channel::<()>();
        let lock_name = name.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    () = tokio::time::sleep(KEEPALIVE) => {
                        if let Err(error) = conn.ping().await {
                            tracing::warn!(lock = %lock_name, %error, "lost the lock connection; the lock is no longer held");
                            return;
                        }
                    }
                }
            }
            let _ = conn
                .exec_drop("SELECT RELEASE_LOCK(?)", (&lock_name,))
                .await;
            let _ = conn.disconnect().await;
        });
        Ok(Some(RunLock {
            name,
            stop: Some(stop),
            task: Some(task),
        }))
    }
}

impl RunLock {
    /// Name of the lock, as `IS_USED_LOCK` takes it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Releases the lock and waits until the server has it back.
    pub async fn release(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Dropping the sender wakes the task, which releases the lock.
        self.stop.take();
    }
}
