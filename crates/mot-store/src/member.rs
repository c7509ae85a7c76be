//! Loading one member: batches committed one transaction at a time, with
//! progress saved in the same transaction so that a retry knows what landed.

use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, TxOpts};

use crate::error::{Error, Result};
use crate::imports::{self, ImportRecord, Kind, Reject, RowCounts, State};
use crate::rows::{DEFECTS, MOT_TESTS, RowBatch, VEHICLES, member_id_range};
use crate::store::Store;
use crate::write::Encoded;

/// Attempts per batch when the connection drops or the server reports a
/// deadlock or lock wait timeout.
const BATCH_ATTEMPTS: u32 = 5;

/// Rows of consecutive lines of a bulk member, with the lines rejected
/// among them.
#[derive(Debug)]
pub struct BulkBatch {
    /// Encoded rows.
    pub rows: RowBatch,
    /// Lines rejected by the decoder or by column checks.
    pub rejects: Vec<Reject>,
    /// First line number the batch covers.
    pub first_line: u64,
    /// Last line number the batch covers, blank and rejected lines included.
    pub last_line: u64,
    /// Bytes of the member's file read up to the end of the batch.
    pub file_bytes: u64,
}

/// A member being loaded. Create it with [`Store::begin_member`].
#[derive(Debug)]
pub struct MemberLoad {
    pub(crate) store: Store,
    pub(crate) record: ImportRecord,
    pub(crate) counts: RowCounts,
    pub(crate) lines_read: u64,
}

impl Store {
    /// Starts an attempt at loading `record`'s member: marks it `loading`
    /// and removes what an earlier, unfinished attempt left behind.
    ///
    /// For a bulk member that is every row with an id in the member's
    /// range. A delta member needs nothing removed, because applying its
    /// lines again gives the same result.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn begin_member(&self, record: &ImportRecord) -> Result<MemberLoad> {
        retry_transient("starting a member", || async {
            let mut conn = self.conn().await?;
            if record.kind == Kind::Bulk {
                let (low, high) = member_id_range(record.id);
                delete_vehicle_range(&mut conn, low, high).await?;
            }
            self.mark_loading(&mut conn, record.id).await
        })
        .await?;
        tracing::debug!(archive = %record.archive, member = %record.member, "loading member");
        Ok(MemberLoad {
            store: self.clone(),
            record: record.clone(),
            counts: RowCounts::default(),
            lines_read: 0,
        })
    }
}

impl MemberLoad {
    /// `import_log` row of the member.
    pub fn record(&self) -> &ImportRecord {
        &self.record
    }

    /// Rows written so far by this attempt.
    pub fn counts(&self) -> RowCounts {
        self.counts
    }

    /// Commits one bulk batch in one transaction, retrying on a lost
    /// connection, deadlock or lock wait timeout.
    ///
    /// # Errors
    ///
    /// Fails on a database error that persists, or when the server reports
    /// fewer rows written than were sent.
    pub async fn write_bulk(&mut self, batch: BulkBatch) -> Result<()> {
        let mut counts = self.counts;
        counts.vehicles += batch.rows.vehicles.rows;
        counts.tests += batch.rows.tests.rows;
        counts.defects += batch.rows.defects.rows;
        counts.rejects += batch.rejects.len() as u64;
        let tables: [Encoded; 3] = [
            batch.rows.vehicles.into(),
            batch.rows.tests.into(),
            batch.rows.defects.into(),
        ];
        let base = member_id_range(self.record.id).0;

        let mut attempt = 1;
        loop {
            let result = self
                .try_write_bulk(
                    &tables,
                    &batch.rejects,
                    (batch.last_line, batch.file_bytes),
                    &counts,
                )
                .await;
            match result {
                Ok(()) => break,
                Err(error) if error.is_transient() && attempt < BATCH_ATTEMPTS => {
                    tracing::warn!(member = %self.record.member, attempt, %error, "batch failed; retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                    if self.committed_through().await? >= batch.last_line {
                        break;
                    }
                    let mut conn = self.store.conn().await?;
                    let (low, high) = (base + batch.first_line, base + batch.last_line);
                    delete_vehicle_range(&mut conn, low, high).await?;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
        self.counts = counts;
        self.lines_read = batch.last_line;
        Ok(())
    }

    async fn try_write_bulk(
        &self,
        tables: &[Encoded; 3],
        rejects: &[Reject],
        (last_line, file_bytes): (u64, u64),
        counts: &RowCounts,
    ) -> Result<()> {
        let mut conn = self.store.conn().await?;
        let result = async {
            begin(&mut conn).await?;
            for table in tables {
                self.store.write_rows(&mut conn, table).await?;
            }
            imports::insert_rejects(&mut conn, self.record.id, rejects, self.store.max_packet())
                .await?;
            let id = self.record.id;
            imports::save_progress(&mut conn, id, last_line, Some(file_bytes), counts, None)
                .await?;
            commit(&mut conn).await
        }
        .await;
        rollback_on_error(&mut conn, result).await
    }

    /// Reads how many lines of this attempt are committed.
    pub(crate) async fn committed_through(&self) -> Result<u64> {
        let mut conn = self.store.conn().await?;
        let lines: Option<u64> = conn
            .exec_first(
                "SELECT lines_read FROM import_log WHERE id = ?",
                (self.record.id,),
            )
            .await
            .map_err(|e| Error::database("reading import progress", e))?;
        Ok(lines.unwrap_or(0))
    }

    /// Marks the member `loaded` once every batch is committed, recording
    /// `lines_read` lines in all, and returns its row counts.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn finish(self, lines_read: u64) -> Result<RowCounts> {
        let lines = lines_read.max(self.lines_read);
        retry_transient("marking a member loaded", || async {
            let mut conn = self.store.conn().await?;
            imports::save_progress(
                &mut conn,
                self.record.id,
                lines,
                None,
                &self.counts,
                Some(State::Loaded),
            )
            .await
        })
        .await?;
        tracing::debug!(member = %self.record.member, ?self.counts, "member loaded");
        Ok(self.counts)
    }
}

pub(crate) async fn begin(conn: &mut Conn) -> Result<()> {
    conn.query_drop("START TRANSACTION")
        .await
        .map_err(|e| Error::database("starting a transaction", e))
}

pub(crate) async fn commit(conn: &mut Conn) -> Result<()> {
    conn.query_drop("COMMIT")
        .await
        .map_err(|e| Error::database("committing", e))
}

/// Rolls back after a failed transaction so the pooled connection is
/// clean, then passes `result` on.
pub(crate) async fn rollback_on_error<T>(conn: &mut Conn, result: Result<T>) -> Result<T> {
    if result.is_err() {
        let _ = conn.query_drop("ROLLBACK").await;
    }
    result
}

/// Runs an idempotent step again after a lost connection, deadlock or lock
/// wait timeout, with backoff.
pub(crate) async fn retry_transient<T, F, Fut>(action: &str, mut step: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 1;
    loop {
        match step().await {
            Err(error) if error.is_transient() && attempt < BATCH_ATTEMPTS => {
                tracing::warn!(attempt, %error, "{action} failed; retrying");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 2u64.pow(attempt.min(6)))
}

/// Deletes the vehicles with ids in `low..=high` and their tests and
/// defects, in one transaction.
async fn delete_vehicle_range(conn: &mut Conn, low: u64, high: u64) -> Result<()> {
    let mut tx = conn
        .start_transaction(TxOpts::default())
        .await
        .map_err(|e| Error::database("starting a transaction", e))?;
    for (table, column) in [
        (DEFECTS.name, "vehicle_id"),
        (MOT_TESTS.name, "vehicle_id"),
        (VEHICLES.name, "id"),
    ] {
        let statement = format!("DELETE FROM {table} WHERE {column} BETWEEN ? AND ?");
        tx.exec_drop(statement, (low, high)).await.map_err(|e| {
            Error::database(
                format_args!("clearing {table} rows of an earlier attempt"),
                e,
            )
        })?;
    }
    tx.commit()
        .await
        .map_err(|e| Error::database("committing", e))
}
