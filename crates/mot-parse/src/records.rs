//! Decoding the lines of one member into records.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mot_model::Vehicle;

use crate::error::{Error, LineError, Location, RecordError};
use crate::lines::{LineInfo, LineReader};

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";
const GZIP_MAGIC: &[u8] = b"\x1f\x8b";
const BUFFER_BYTES: usize = 256 * 1024;

/// Limits applied while reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Longest line decoded, in bytes. Longer lines are rejected without
    /// being held in memory. Default 16 MiB; real records are a few KiB.
    pub max_line_bytes: usize,
    /// Bytes of a rejected line kept in [`LineError::raw`]. Default 64 KiB.
    pub max_raw_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_line_bytes: 16 * 1024 * 1024,
            max_raw_bytes: 64 * 1024,
        }
    }
}

/// A decoded line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// Line number in the member, from 1.
    pub line: u64,
    /// Offset of the line in the decompressed member.
    pub byte_offset: u64,
    /// The decoded vehicle, borrowing from the reader's buffer.
    pub vehicle: Vehicle<'a>,
}

impl Record<'_> {
    /// Copies all borrowed text so the record outlives the reader's buffer.
    pub fn into_owned(self) -> Record<'static> {
        Record {
            line: self.line,
            byte_offset: self.byte_offset,
            vehicle: self.vehicle.into_owned(),
        }
    }
}

/// Reads the records of one member in order.
///
/// [`Records::next_record`] lends each record from an internal buffer and
/// is the fast path. The [`Iterator`] implementation yields owned records
/// for convenience. Blank lines are skipped but counted, so line numbers
/// match a text editor's. A rejected line yields [`RecordError::Line`] and
/// reading goes on; a failure of the member itself (truncated gzip, CRC
/// mismatch, I/O error) yields [`RecordError::Member`] once and ends the
/// iteration.
pub struct Records {
    lines: LineReader<Box<dyn BufRead + Send>>,
    line: Vec<u8>,
    scratch: Vec<u8>,
    buffers: simd_json::Buffers,
    location: Location,
    options: ReadOptions,
    finished: bool,
    file_bytes: Arc<AtomicU64>,
}

impl Records {
    pub(crate) fn new(
        stream: Box<dyn Read + Send>,
        location: Location,
        options: &ReadOptions,
        file_bytes: Arc<AtomicU64>,
    ) -> Result<Self, Error> {
        let mut reader = BufReader::with_capacity(BUFFER_BYTES, stream);
        let is_gzip = reader
            .fill_buf()
            .map_err(|source| Error::Read {
                location: location.clone(),
                source,
            })?
            .starts_with(GZIP_MAGIC);
        let text: Box<dyn BufRead + Send> = if is_gzip {
            // A gzip file may hold several gzip members back to back; all of
            // them are part of the data.
            let gunzip = flate2::bufread::MultiGzDecoder::new(reader);
            Box::new(BufReader::with_capacity(BUFFER_BYTES, gunzip))
        } else {
            Box::new(reader)
        };

        Ok(Self {
            lines: LineReader::new(text, options.max_line_bytes),
            line: Vec::new(),
            scratch: Vec::new(),
            buffers: simd_json::Buffers::default(),
            location,
            options: options.clone(),
            finished: false,
            file_bytes,
        })
    }

    /// Bytes of the file read so far for this member, as stored (compressed),
    /// read ahead of decoding by at most one buffer. Suits progress reports
    /// against [`Member::compressed_size`](crate::Member).
    pub fn file_bytes_read(&self) -> u64 {
        self.file_bytes.load(Ordering::Relaxed)
    }

    /// A handle on the count behind [`Records::file_bytes_read`] that can be
    /// read from another thread.
    pub fn file_bytes_counter(&self) -> Arc<AtomicU64> {
        self.file_bytes.clone()
    }

    /// Decompressed bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.lines.offset()
    }

    /// Bytes of the line last returned by [`Records::next_record`], without
    /// its terminator. Lets a caller keep the raw text of a record it
    /// rejects for its own reasons.
    pub fn last_line(&self) -> &[u8] {
        &self.line
    }

    /// Lines read so far, blank and rejected ones included.
    pub fn lines_read(&self) -> u64 {
        self.lines.next_number() - 1
    }

    /// Reads the next record, borrowing its text from this reader.
    ///
    /// Returns `None` at the end of the member, and after a member failure.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, RecordError>> {
        if self.finished {
            return None;
        }
        let info = loop {
            let info = match self.lines.read_line(&mut self.line) {
                Ok(Some(info)) => info,
                Ok(None) => {
                    self.finished = true;
                    return None;
                }
                Err(source) => {
                    self.finished = true;
                    let location = self.current_location();
                    return Some(Err(Error::Read { location, source }.into()));
                }
            };
            if info.number == 1 && self.line.starts_with(UTF8_BOM) {
                self.line.drain(..UTF8_BOM.len());
            }
            // Only the start of an over-long line is kept, so whether it is
            // blank is unknown. It is rejected below, whatever it starts with.
            if info.too_long || !self.line.iter().all(u8::is_ascii_whitespace) {
                break info;
            }
        };
        if info.too_long {
            let reason = format!(
                "line is {} bytes, longer than the {} byte limit",
                info.length, self.options.max_line_bytes
            );
            return Some(Err(self.reject(info, reason).into()));
        }

        self.scratch.clear();
        self.scratch.extend_from_slice(&self.line);
        let decoded = simd_json::serde::from_slice_with_buffers::<Vehicle>(
            &mut self.scratch,
            &mut self.buffers,
        );
        match decoded {
            Ok(vehicle) if vehicle.registration.trim().is_empty() => {
                let reason = "registration is empty".to_owned();
                let rejected = reject(&self.location, &self.line, info, &self.options, reason);
                Some(Err(rejected.into()))
            }
            Ok(vehicle) => Some(Ok(Record {
                line: info.number,
                byte_offset: info.offset,
                vehicle,
            })),
            Err(error) => {
                let reason = explain(&self.line, &error);
                let rejected = reject(&self.location, &self.line, info, &self.options, reason);
                Some(Err(rejected.into()))
            }
        }
    }

    fn current_location(&self) -> Location {
        Location {
            line: self.lines.next_number(),
            byte_offset: self.lines.offset(),
            ..self.location.clone()
        }
    }

    fn reject(&self, info: LineInfo, reason: String) -> LineError {
        reject(&self.location, &self.line, info, &self.options, reason)
    }
}

fn reject(
    location: &Location,
    line: &[u8],
    info: LineInfo,
    options: &ReadOptions,
    reason: String,
) -> LineError {
    let kept = line.len().min(options.max_raw_bytes);
    LineError {
        location: Location {
            line: info.number,
            byte_offset: info.offset,
            ..location.clone()
        },
        reason,
        raw: line[..kept].to_vec(),
        length: info.length,
    }
}

/// Describes why a line failed to decode, naming the field at fault.
///
/// simd-json's errors give only a position, so the line is decoded again
/// with serde_json, which reports the path to the failing field. This runs
/// only for rejected lines.
fn explain(line: &[u8], fast_error: &simd_json::Error) -> String {
    if let Err(error) = std::str::from_utf8(line) {
        return format!("invalid UTF-8 at byte {} of the line", error.valid_up_to());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    match serde_path_to_error::deserialize::<_, Vehicle>(&mut deserializer) {
        Err(error) if error.path().to_string() == "." => {
            format!("invalid record: {}", error.inner())
        }
        Err(error) => format!("invalid field {}: {}", error.path(), error.inner()),
        Ok(_) => format!("invalid JSON: {fast_error}"),
    }
}

impl Iterator for Records {
    type Item = Result<Record<'static>, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
            .map(|result| result.map(Record::into_owned))
    }
}
