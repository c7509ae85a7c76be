//! The error type of this crate.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// An error while generating archives.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An option is out of range. The message names the option and its limit.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// Name of the field in `GenerateOptions` or `Scenario`.
        option: &'static str,
        /// The problem and the allowed values.
        reason: String,
    },
    /// Creating, writing or reading a file failed.
    #[error("failed to write or read {}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The zip library failed to write or read an archive.
    #[error("zip error in {}", path.display())]
    Zip {
        /// The archive involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: zip::result::ZipError,
    },
    /// A date cannot be stored as a zip timestamp, which covers 1980 to 2107.
    #[error("date {date} of {} is outside the zip timestamp range 1980-2107", path.display())]
    ZipTimestamp {
        /// The archive involved.
        path: PathBuf,
        /// The archive's date.
        date: NaiveDate,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn zip(path: &Path, source: zip::result::ZipError) -> Self {
        Self::Zip {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn zip_timestamp(path: &Path, date: NaiveDate) -> Self {
        Self::ZipTimestamp {
            path: path.to_owned(),
            date,
        }
    }

    pub(crate) fn invalid_option(option: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidOption {
            option,
            reason: reason.into(),
        }
    }
}
