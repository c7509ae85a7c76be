//! Table counts and the per-run `import_batch_report` rows.

use mysql_async::Value;
use mysql_async::prelude::Queryable;

use crate::error::{Error, Result};
use crate::imports::RowCounts;
use crate::store::Store;

/// Rows in the three data tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCounts {
    /// Rows in `vehicles`.
    pub vehicles: u64,
    /// Rows in `mot_tests`.
    pub mot_tests: u64,
    /// Rows in `defects`.
    pub defects: u64,
}

/// Totals of one run, written to `import_batch_report`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Files given to the run.
    pub files: u64,
    /// Members loaded by this run.
    pub members_loaded: u64,
    /// Members skipped because they were already loaded.
    pub members_skipped: u64,
    /// Members that failed.
    pub members_failed: u64,
    /// Rows written and lines rejected.
    pub counts: RowCounts,
    /// First error, when the run failed as a whole.
    pub error: Option<String>,
}

impl Store {
    /// Counts the rows of the three data tables exactly.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn table_counts(&self) -> Result<TableCounts> {
        let mut conn = self.conn().await?;
        let row: Option<(u64, u64, u64)> = conn
            .query_first(
                "SELECT (SELECT COUNT(*) FROM vehicles), (SELECT COUNT(*) FROM mot_tests), \
                 (SELECT COUNT(*) FROM defects)",
            )
            .await
            .map_err(|e| Error::database("counting rows", e))?;
        let (vehicles, mot_tests, defects) = row.unwrap_or_default();
        Ok(TableCounts {
            vehicles,
            mot_tests,
            defects,
        })
    }

    /// Opens an `import_batch_report` row for a run of `command` and
    /// returns its id.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn start_run(&self, command: &str) -> Result<u64> {
        let mut conn = self.conn().await?;
        conn.exec_drop(
            "INSERT INTO import_batch_report (command, status, started_at) VALUES (?, 'running', UTC_TIMESTAMP(3))",
            (command,),
        )
        .await
        .map_err(|e| Error::database("opening the run report", e))?;
        conn.last_insert_id()
            .ok_or_else(|| Error::Config("the server returned no id for the run report".into()))
    }

    /// Closes a run's report with its totals.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn finish_run(&self, id: u64, summary: &RunSummary) -> Result<()> {
        let status = if summary.error.is_some() || summary.members_failed > 0 {
            "failed"
        } else {
            "succeeded"
        };
        let mut conn = self.conn().await?;
        conn.exec_drop(
            "UPDATE import_batch_report SET status = ?, finished_at = UTC_TIMESTAMP(3), files = ?, \
             members_loaded = ?, members_skipped = ?, members_failed = ?, vehicles_written = ?, \
             tests_written = ?, defects_written = ?, vehicles_deleted = ?, rejects = ?, error_text = ? \
             WHERE id = ?",
            vec![
                Value::from(status),
                Value::UInt(summary.files),
                Value::UInt(summary.members_loaded),
                Value::UInt(summary.members_skipped),
                Value::UInt(summary.members_failed),
                Value::UInt(summary.counts.vehicles),
                Value::UInt(summary.counts.tests),
                Value::UInt(summary.counts.defects),
                Value::UInt(summary.counts.vehicles_deleted),
                Value::UInt(summary.counts.rejects),
                summary.error.as_deref().map_or(Value::NULL, Value::from),
                Value::UInt(id),
            ],
        )
        .await
        .map_err(|e| Error::database("closing the run report", e))
    }
}
