use std::fmt;

/// A failure of a database operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection settings are unusable.
    #[error("invalid database settings: {0}")]
    Config(String),

    /// The server returned an error or the connection failed.
    #[error("database error while {action}: {source}")]
    Database {
        /// Action that failed, such as `loading mot_tests`.
        action: String,
        /// Underlying driver error.
        source: mysql_async::Error,
    },

    /// A migration file failed to apply.
    #[error(
        "migration {version} ({name}) failed: {source}; fix the cause and run `mot migrate` again"
    )]
    Migration {
        /// Migration version number.
        version: u32,
        /// Migration file name.
        name: String,
        /// Underlying driver error.
        source: mysql_async::Error,
    },

    /// The database holds migrations this build does not know, so it was
    /// set up by a newer version of the tool.
    #[error(
        "the database schema is at version {found}, newer than this build's {known}; upgrade mot"
    )]
    SchemaTooNew {
        /// Highest version recorded in the database.
        found: u32,
        /// Highest version this build ships.
        known: u32,
    },

    /// The server wrote a different number of rows than were sent, so rows
    /// were dropped or merged on the way.
    #[error(
        "{table}: sent {sent} rows but the server reports {written} written ({info}); the member was not marked loaded"
    )]
    RowCountMismatch {
        /// Table being written.
        table: &'static str,
        /// Rows sent.
        sent: u64,
        /// Rows the server reports written.
        written: u64,
        /// The server's info and warning text.
        info: String,
    },

    /// The request conflicts with what the database already holds.
    #[error("{0}")]
    Conflict(String),
}

impl Error {
    pub(crate) fn database(action: impl fmt::Display, source: mysql_async::Error) -> Self {
        Error::Database {
            action: action.to_string(),
            source,
        }
    }

    /// Tells whether retrying the same operation may succeed: a lost
    /// connection, a deadlock (1213) or a lock wait timeout (1205).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Database { source, .. } => is_transient(source),
            _ => false,
        }
    }
}

/// MySQL error codes worth a retry: lock wait timeout, deadlock, server
/// shutting down, and connection errors reported by the server.
const TRANSIENT_CODES: &[u16] = &[1205, 1213, 1053, 2006, 2013, 1927];

pub(crate) fn is_transient(error: &mysql_async::Error) -> bool {
    match error {
        mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => true,
        mysql_async::Error::Server(server) => TRANSIENT_CODES.contains(&server.code),
        _ => false,
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
