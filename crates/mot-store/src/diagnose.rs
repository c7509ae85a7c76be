//! Server facts `mot doctor` checks: privileges, settings and table
//! character sets.

use std::collections::BTreeMap;

use mysql_async::prelude::Queryable;

use crate::error::{Error, Result};
use crate::store::Store;

/// Server variables that decide whether and how fast a load runs.
pub const CHECKED_VARIABLES: &[&str] = &[
    "local_infile",
    "max_allowed_packet",
    "character_set_server",
    "innodb_buffer_pool_size",
    "innodb_log_file_size",
    "innodb_redo_log_capacity",
    "innodb_flush_log_at_trx_commit",
    "log_bin",
    "sync_binlog",
    "wait_timeout",
    "version",
];

/// Server facts about itself and the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// `SHOW GRANTS` lines for the current user.
    pub grants: Vec<String>,
    /// Global values of the [`CHECKED_VARIABLES`] the server has.
    pub variables: BTreeMap<String, String>,
    /// Collation of each of the tool's tables, by table name.
    pub collations: BTreeMap<String, String>,
}

impl Store {
    /// Reads grants, settings and table collations.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn diagnose(&self) -> Result<Diagnostics> {
        let mut conn = self.conn().await?;
        let failed = |what: &'static str| move |e| Error::database(what, e);
        let grants: Vec<String> = conn
            .query("SHOW GRANTS FOR CURRENT_USER()")
            .await
            .map_err(failed("reading grants"))?;

        let placeholders = vec!["?"; CHECKED_VARIABLES.len()].join(", ");
        let statement = format!("SHOW GLOBAL VARIABLES WHERE Variable_name IN ({placeholders})");
        let variables: Vec<(String, String)> = conn
            .exec(statement, CHECKED_VARIABLES.to_vec())
            .await
            .map_err(failed("reading server variables"))?;

        let collations: Vec<(String, String)> = conn
            .query(
                "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
            )
            .await
            .map_err(failed("reading table collations"))?;
        Ok(Diagnostics {
            grants,
            variables: variables.into_iter().collect(),
            collations: collations.into_iter().collect(),
        })
    }
}
