//! Streaming reader for MOT History files: zip archives of gzip members,
//! single gzip files and plain NDJSON, one vehicle per line.
//!
//! The format is detected from the file's first bytes, not its name. Zip
//! archives are read through their central directory, ZIP64 included, and
//! each entry is decompressed as it is read, never extracted to disk. Every
//! gzip member of a stream is decoded, not only the first. Memory stays
//! bounded whatever the input size: a fixed read buffer plus one line, and
//! lines longer than [`ReadOptions::max_line_bytes`] are rejected without
//! being held.
//!
//! A line that cannot be decoded becomes a [`LineError`] with its archive,
//! member, line number, byte offset and reason, and the following lines are
//! still read. A member whose bytes are damaged (truncated gzip, CRC-32
//! mismatch) ends with an [`Error`].
//!
//! The crate does no network and no SQL, and needs no async runtime.
//!
//! ```no_run
//! use mot_parse::{ReadOptions, RecordError, Source};
//!
//! # fn main() -> Result<(), mot_parse::Error> {
//! let source = Source::open("bulk-light-vehicle_01-07-2024.zip")?;
//! for member in source.members() {
//!     let mut records = source.records(member, &ReadOptions::default())?;
//!     while let Some(result) = records.next_record() {
//!         match result {
//!             Ok(record) => println!("{} has {} tests", record.vehicle.registration, record.vehicle.mot_tests.len()),
//!             Err(RecordError::Line(rejected)) => eprintln!("skipped {rejected}"),
//!             Err(RecordError::Member(error)) => return Err(error),
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod checked;
mod error;
mod lines;
mod records;
mod source;

pub use error::{Error, LineError, Location, RecordError};
pub use records::{ReadOptions, Record, Records};
pub use source::{Format, Member, Source};
