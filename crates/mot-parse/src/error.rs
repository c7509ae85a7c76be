use std::fmt;
use std::io;
use std::path::PathBuf;

/// Where in an input a line or failure is: file, member, line and byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File name of the archive or file, without its directory.
    pub archive: String,
    /// Member name inside a zip archive; the file name for a plain or gzip
    /// file.
    pub member: String,
    /// Line number, counted from 1; 0 before the first line.
    pub line: u64,
    /// Offset of the line's first byte in the decompressed member.
    pub byte_offset: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.archive != self.member {
            write!(f, "{}: {}", self.archive, self.member)?;
        } else {
            write!(f, "{}", self.archive)?;
        }
        write!(f, ", line {} (byte {})", self.line, self.byte_offset)
    }
}

/// A line that could not be decoded. The lines around it are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Where the line is.
    pub location: Location,
    /// Why it was rejected, naming the field where one is at fault.
    pub reason: String,
    /// The line as read, cut to [`ReadOptions::max_raw_bytes`](crate::ReadOptions).
    pub raw: Vec<u8>,
    /// Full length of the line in bytes, which `raw` may not reach.
    pub length: u64,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

impl std::error::Error for LineError {}

/// A failure that stops reading a file or a member.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or inspected.
    #[error("failed to open {path}: {source}")]
    Open {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: io::Error,
    },

    /// The file has no bytes at all, which usually means a failed download.
    #[error("{path} is empty (0 bytes); download it again")]
    Empty {
        /// File that is empty.
        path: PathBuf,
    },

    /// A zip archive contains no file entries. No published archive is empty,
    /// so the download or the export behind it failed.
    #[error("{archive} is a zip archive with no members; download it again")]
    NoMembers {
        /// Archive file name.
        archive: String,
    },

    /// Two entries in a zip archive's central directory have the same name.
    /// Members are tracked by name, and the zip library lists only one entry
    /// per name, so loading the archive would silently drop the others.
    #[error("{archive} holds two or more members with the same name; the archive is corrupt")]
    DuplicateMembers {
        /// Archive file name.
        archive: String,
    },

    /// The zip structure could not be read.
    #[error(
        "invalid zip archive {archive}: {source}; the file is truncated or corrupt, download it again"
    )]
    Zip {
        /// Archive file name.
        archive: String,
        /// Underlying error.
        source: zip::result::ZipError,
    },

    /// A member is compressed with a method this reader does not decode.
    #[error(
        "{archive}: member {member} uses unsupported zip compression {method}; only stored and deflate are read"
    )]
    UnsupportedCompression {
        /// Archive file name.
        archive: String,
        /// Member name.
        member: String,
        /// Compression method as the zip library names it.
        method: String,
    },

    /// Reading or decompressing a member failed part way, for example on a
    /// truncated gzip stream or a CRC-32 mismatch.
    #[error("{location}: {source}")]
    Read {
        /// Position reached when the failure happened.
        location: Location,
        /// Underlying error.
        source: io::Error,
    },
}

impl Error {
    /// Tells whether the failure lies in the bytes of the file (so fetching
    /// the file again may help) rather than in the local system.
    pub fn is_corrupt_input(&self) -> bool {
        match self {
            Error::Open { .. } => false,
            Error::Read { source, .. } => source.kind() != io::ErrorKind::PermissionDenied,
            _ => true,
        }
    }
}

/// Either a rejected line or a failure of the whole member.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// One line was rejected; reading goes on with the next.
    #[error(transparent)]
    Line(#[from] LineError),
    /// The member cannot be read further.
    #[error(transparent)]
    Member(#[from] Error),
}
