//! Secondary indexes, dropped for an initial bulk load into empty tables
//! and built once afterwards, which is faster than maintaining them row by
//! row while the tables grow.

use mysql_async::prelude::Queryable;

use crate::error::{Error, Result};
use crate::store::Store;

/// Secondary indexes of the data tables: table, index name, columns. The
/// schema in `migrations/` creates the same ones.
pub const SECONDARY_INDEXES: &[(&str, &str, &str)] = &[
    ("vehicles", "vehicles_registration", "registration"),
    ("mot_tests", "mot_tests_number", "mot_test_number"),
];

impl Store {
    /// Drops the secondary indexes if all three data tables are empty, and
    /// tells whether it did. Call [`Store::ensure_indexes`] after the load,
    /// and at the start of every run, which repairs a run killed in between.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn drop_indexes_if_empty(&self) -> Result<bool> {
        let mut conn = self.conn().await?;
        let rows: Option<u64> = conn
            .query_first(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM vehicles LIMIT 1) v) + \
                 (SELECT COUNT(*) FROM (SELECT 1 FROM mot_tests LIMIT 1) t) + \
                 (SELECT COUNT(*) FROM (SELECT 1 FROM defects LIMIT 1) d)",
            )
            .await
            .map_err(|e| Error::database("checking for empty tables", e))?;
        if rows != Some(0) {
            return Ok(false);
        }
        for (table, index) in self.present_indexes(&mut conn).await? {
            // Table and index names come from SECONDARY_INDEXES, not input.
            conn.query_drop(format!("ALTER TABLE {table} DROP INDEX {index}"))
                .await
                .map_err(|e| Error::database(format_args!("dropping index {index}"), e))?;
        }
        tracing::debug!("dropped secondary indexes for an initial load");
        Ok(true)
    }

    /// Creates any secondary index that is missing.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn ensure_indexes(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        let present = self.present_indexes(&mut conn).await?;
        for &(table, index, columns) in SECONDARY_INDEXES {
            if present.iter().any(|(t, i)| t == table && i == index) {
                continue;
            }
            tracing::info!(table, index, "building index");
            conn.query_drop(format!("ALTER TABLE {table} ADD INDEX {index} ({columns})"))
                .await
                .map_err(|e| Error::database(format_args!("building index {index}"), e))?;
        }
        Ok(())
    }

    async fn present_indexes(&self, conn: &mut mysql_async::Conn) -> Result<Vec<(String, String)>> {
        let rows: Vec<(String, String)> = conn
            .query(
                "SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY'",
            )
            .await
            .map_err(|e| Error::database("listing indexes", e))?;
        Ok(rows
            .into_iter()
            .filter(|(table, index)| {
                SECONDARY_INDEXES
                    .iter()
                    .any(|(t, i, _)| t == table && i == index)
            })
            .collect())
    }
}
