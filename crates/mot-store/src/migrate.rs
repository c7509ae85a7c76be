//! Versioned schema migrations, recorded in `schema_migrations`.

use mysql_async::prelude::Queryable;

use crate::error::{Error, Result};
use crate::store::Store;

/// One migration file shipped with this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Version, from the file name's numeric prefix.
    pub version: u32,
    /// File name.
    pub name: &'static str,
    /// SQL statements separated by `;` at the end of a line.
    pub sql: &'static str,
}

/// Every migration, in version order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial.sql",
        sql: include_str!("../../../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_import_progress.sql",
        sql: include_str!("../../../migrations/0002_import_progress.sql"),
    },
];

const CREATE_TRACKING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT UNSIGNED NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    checksum BIGINT UNSIGNED NOT NULL,
    applied_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin";

/// Server errors meaning a DDL statement's effect is already there: table
/// exists (1050), duplicate column (1060), duplicate key name (1061).
const ALREADY_APPLIED: &[u16] = &[1050, 1060, 1061];

/// Seconds to wait for another process that is migrating the same database.
const LOCK_WAIT_SECONDS: u32 = 60;

impl Store {
    /// Applies every migration the database lacks, in order, and returns
    /// the versions applied. Safe to run concurrently: a named lock makes
    /// other processes wait.
    ///
    /// # Errors
    ///
    /// Fails when a statement fails, or when the database records a version
    /// newer than this build knows.
    pub async fn migrate(&self) -> Result<Vec<u32>> {
        let database = self.database_name().await?;
        let mut conn = self.conn().await?;
        let lock_name = format!("mot_migrate_{database}");
        let locked: Option<i64> = conn
            .exec_first("SELECT GET_LOCK(?, ?)", (&lock_name, LOCK_WAIT_SECONDS))
            .await
            .map_err(|e| Error::database("taking the migration lock", e))?;
        if locked != Some(1) {
            return Err(Error::Conflict(format!(
                "another process held the migration lock {lock_name} for {LOCK_WAIT_SECONDS} s; try again when it finishes"
            )));
        }
        let result = apply_pending(&mut conn).await;
        let _ = conn
            .exec_drop("SELECT RELEASE_LOCK(?)", (&lock_name,))
            .await;
        result
    }

    /// Name of the connection's default database.
    pub async fn database_name(&self) -> Result<String> {
        let mut conn = self.conn().await?;
        let name: Option<Option<String>> = conn
            .query_first("SELECT DATABASE()")
            .await
            .map_err(|e| Error::database("reading the database name", e))?;
        name.flatten().ok_or_else(|| {
            Error::Config("no database selected; set DB_NAME or add /NAME to DATABASE_URL".into())
        })
    }
}

async fn apply_pending(conn: &mut mysql_async::Conn) -> Result<Vec<u32>> {
    conn.query_drop(CREATE_TRACKING)
        .await
        .map_err(|e| Error::database("creating schema_migrations", e))?;
    let applied: Vec<(u32, u64)> = conn
        .query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .await
        .map_err(|e| Error::database("reading schema_migrations", e))?;

    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(&(found, _)) = applied.last()
        && found > known
    {
        return Err(Error::SchemaTooNew { found, known });
    }

    let mut newly_applied = Vec::new();
    for migration in MIGRATIONS {
        if let Some(&(_, checksum)) = applied.iter().find(|(v, _)| *v == migration.version) {
            if checksum != checksum_of(migration.sql) {
                tracing::warn!(
                    version = migration.version,
                    name = migration.name,
                    "an applied migration differs from the shipped file; it is not applied again"
                );
            }
            continue;
        }
        apply(conn, migration).await?;
        newly_applied.push(migration.version);
    }
    Ok(newly_applied)
}

async fn apply(conn: &mut mysql_async::Conn, migration: &Migration) -> Result<()> {
    let failed = |source| Error::Migration {
        version: migration.version,
        name: migration.name.to_owned(),
        source,
    };
    for statement in statements(migration.sql) {
        match conn.query_drop(&statement).await {
            Ok(()) => {}
            // DDL commits as it goes, so a process killed part way through a
            // migration leaves some statements applied. Running them again
            // reports that their object exists; that statement is done.
            Err(mysql_async::Error::Server(error)) if ALREADY_APPLIED.contains(&error.code) => {
                tracing::debug!(
                    version = migration.version,
                    code = error.code,
                    "statement already applied"
                );
            }
            Err(error) => return Err(failed(error)),
        }
    }
    conn.exec_drop(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3))",
        (migration.version, migration.name, checksum_of(migration.sql)),
    )
    .await
    .map_err(failed)?;
    tracing::debug!(
        version = migration.version,
        name = migration.name,
        "applied migration"
    );
    Ok(())
}

/// Splits a migration into statements: `--` comment lines are dropped and
/// a statement ends at a line ending in `;`.
fn statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if trimmed.ends_with(';') {
            let statement = current.trim().trim_end_matches(';').to_owned();
            statements.push(statement);
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        statements.push(current.trim().to_owned());
    }
    statements
}

/// FNV-1a over the file, enough to notice an edited migration.
fn checksum_of(sql: &str) -> u64 {
    sql.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements() {
        let parts = statements("-- c\nCREATE TABLE a (x INT);\n\nCREATE TABLE b (\n  y INT\n);\n");
        assert_eq!(
            parts,
            ["CREATE TABLE a (x INT)", "CREATE TABLE b (\n  y INT\n)"]
        );
    }

    #[test]
    fn shipped_migrations_are_ordered() {
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
        assert_eq!(statements(MIGRATIONS[0].sql).len(), 6);
    }
}
