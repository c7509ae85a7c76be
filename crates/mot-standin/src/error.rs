//! Errors of the stand-in server.

use std::path::PathBuf;

/// An error starting the stand-in server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The files directory is missing or is not a directory.
    #[error("files directory {path} is not a readable directory; create it or pass another path")]
    FilesDir {
        /// The directory that was given.
        path: PathBuf,
        /// The I/O error of reading it, or `NotFound` when none was set.
        #[source]
        source: std::io::Error,
    },
    /// Binding the listening socket failed.
    #[error("failed to listen on 127.0.0.1:{port}; choose another port or 0 for any free port")]
    Bind {
        /// The port that was requested.
        port: u16,
        /// The I/O error of binding.
        #[source]
        source: std::io::Error,
    },
}
