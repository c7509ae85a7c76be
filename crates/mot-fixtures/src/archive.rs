//! Streaming writer of one archive: a zip of `<base name>_<N>.json.gz` members, each a gzip
//! file (optionally several concatenated gzip streams) of newline-terminated lines.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use flate2::write::GzEncoder;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use crate::error::Error;
use crate::options::Compression;

/// Gzip level of the members. Level 1 keeps generation fast, and readers do not depend on the
/// level.
const GZIP_LEVEL: u32 = 1;
/// Deflate level of zip members, the lowest the zip crate accepts. The data is already gzip, so
/// a higher level gains about 1% at several times the cost.
const ZIP_DEFLATE_LEVEL: i64 = 1;
/// Members with more lines than this are written with ZIP64 sizes. Generated lines average
/// about 4 KB and stay below 200 KB, and gzip output of JSON is smaller still, so a member
/// below this bound cannot reach the 4 GiB limit of plain zip sizes. If one ever did, the zip
/// crate fails the write ("Large file option has not been set") rather than write a bad
/// archive.
const ZIP64_LINE_THRESHOLD: u64 = 20_000;

/// Storage settings of archive members.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub(crate) compression: Compression,
    pub(crate) multi_member_gzip: bool,
    pub(crate) force_zip64: bool,
}

impl Layout {
    /// Returns the number of gzip streams of member `number` (from 1): 2 for odd numbers and
    /// 3 for even ones when multi-member gzip is on, else 1.
    fn gzip_streams(&self, number: usize) -> u64 {
        match (self.multi_member_gzip, number % 2) {
            (false, _) => 1,
            (true, 1) => 2,
            (true, _) => 3,
        }
    }
}

/// Returns the file name of member `number` of the archive `base_name`.
pub(crate) fn member_name(base_name: &str, number: usize) -> String {
    format!("{base_name}_{number}.json.gz")
}

/// A destination for lines. Its errors name the file being written.
pub(crate) trait LineSink {
    /// Writes `line` and a newline.
    fn write_line(&mut self, line: &[u8]) -> Result<(), Error>;
}

/// Lines compressed into a fixed number of concatenated gzip streams, split evenly by line
/// count. Streams stay empty when there are fewer lines than streams.
struct GzipLines<W: Write> {
    encoder: Option<GzEncoder<W>>,
    /// Line counts at which the current stream ends and a new one starts, last first.
    boundaries: Vec<u64>,
    written: u64,
}

impl<W: Write> GzipLines<W> {
    /// Starts the first of `streams` gzip streams for a total of `lines` lines.
    fn new(inner: W, lines: u64, streams: u64) -> Self {
        let boundaries = (1..streams).rev().map(|k| lines * k / streams).collect();
        Self {
            encoder: Some(new_encoder(inner)),
            boundaries,
            written: 0,
        }
    }

    /// Writes `line` and a newline.
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        while self.boundaries.last() == Some(&self.written) {
            self.boundaries.pop();
            self.next_stream()?;
        }
        let encoder = self.encoder.as_mut().expect("a gzip stream is open");
        encoder.write_all(line)?;
        encoder.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// Ends the last stream, first writing any streams still due, and returns the writer.
    fn finish(mut self) -> io::Result<W> {
        while self.boundaries.pop().is_some() {
            self.next_stream()?;
        }
        self.encoder.take().expect("a gzip stream is open").finish()
    }

    fn next_stream(&mut self) -> io::Result<()> {
        let inner = self
            .encoder
            .take()
            .expect("a gzip stream is open")
            .finish()?;
        self.encoder = Some(new_encoder(inner));
        Ok(())
    }
}

fn new_encoder<W: Write>(inner: W) -> GzEncoder<W> {
    GzEncoder::new(inner, flate2::Compression::new(GZIP_LEVEL))
}

type Zip = ZipWriter<BufWriter<File>>;

/// An archive being written.
pub(crate) struct ArchiveWriter {
    zip: Zip,
    path: PathBuf,
    base_name: String,
    options: SimpleFileOptions,
    layout: Layout,
}

impl ArchiveWriter {
    /// Creates `dir/<base_name>.zip`, replacing any file of that name. Member timestamps are
    /// 08:00 on `created_on`, so that the bytes depend only on the inputs.
    pub(crate) fn create(
        dir: &Path,
        base_name: &str,
        created_on: NaiveDate,
        layout: Layout,
    ) -> Result<Self, Error> {
        let path = dir.join(format!("{base_name}.zip"));
        Self::create_at(path, base_name, created_on, layout)
    }

    /// Creates an archive at `path` whose members are named after `base_name`.
    pub(crate) fn create_at(
        path: PathBuf,
        base_name: &str,
        created_on: NaiveDate,
        layout: Layout,
    ) -> Result<Self, Error> {
        let timestamp = zip_timestamp(created_on, &path)?;
        let file = File::create(&path).map_err(|source| Error::io(&path, source))?;

        let options = match layout.compression {
            Compression::Deflate => SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .compression_level(Some(ZIP_DEFLATE_LEVEL)),
            Compression::Stored => {
                SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
            }
        };
        let options = options
            .last_modified_time(timestamp)
            .unix_permissions(0o644);

        Ok(Self {
            zip: ZipWriter::new(BufWriter::with_capacity(1 << 20, file)),
            path,
            base_name: base_name.to_owned(),
            options,
            layout,
        })
    }

    /// Returns the archive's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a zip entry for member `number` (from 1) of `lines` lines.
    fn start_member(&mut self, number: usize, lines: u64) -> Result<(), Error> {
        let name = member_name(&self.base_name, number);
        let large = self.layout.force_zip64 || lines > ZIP64_LINE_THRESHOLD;
        let options = self.options.large_file(large);
        self.zip
            .start_file(name, options)
            .map_err(|source| Error::zip(&self.path, source))
    }

    /// Starts member `number` (from 1), which will receive exactly `lines` lines.
    pub(crate) fn member(&mut self, number: usize, lines: u64) -> Result<MemberWriter<'_>, Error> {
        self.start_member(number, lines)?;
        let streams = self.layout.gzip_streams(number);
        Ok(MemberWriter {
            lines: GzipLines::new(&mut self.zip, lines, streams),
            path: &self.path,
        })
    }

    /// Appends every member of the finished archive at `part`, copying the compressed bytes
    /// and local headers as they are.
    pub(crate) fn append_archive(&mut self, part: &Path) -> Result<(), Error> {
        let file = File::open(part).map_err(|source| Error::io(part, source))?;
        let source = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|source| Error::zip(part, source))?;
        self.zip
            .merge_archive(source)
            .map_err(|source| Error::zip(&self.path, source))
    }

    /// Writes the central directory and returns the archive's size in bytes.
    pub(crate) fn finish(self) -> Result<u64, Error> {
        let writer = self
            .zip
            .finish()
            .map_err(|source| Error::zip(&self.path, source))?;
        let file = writer
            .into_inner()
            .map_err(|error| Error::io(&self.path, error.into_error()))?;
        let metadata = file
            .metadata()
            .map_err(|source| Error::io(&self.path, source))?;
        Ok(metadata.len())
    }
}

/// Converts a date to a zip timestamp (DOS format: years 1980 to 2107).
fn zip_timestamp(date: NaiveDate, path: &Path) -> Result<zip::DateTime, Error> {
    let year = u16::try_from(date.year()).ok();
    let month = u8::try_from(date.month()).ok();
    let day = u8::try_from(date.day()).ok();
    let (Some(year), Some(month), Some(day)) = (year, month, day) else {
        return Err(Error::zip_timestamp(path, date));
    };
    zip::DateTime::from_date_and_time(year, month, day, 8, 0, 0)
        .map_err(|_| Error::zip_timestamp(path, date))
}

/// One member being written into the archive. Call [`MemberWriter::finish`] after the last
/// line.
pub(crate) struct MemberWriter<'a> {
    lines: GzipLines<&'a mut Zip>,
    path: &'a Path,
}

impl MemberWriter<'_> {
    /// Ends the member's last gzip stream.
    pub(crate) fn finish(self) -> Result<(), Error> {
        let path = self.path;
        self.lines
            .finish()
            .map_err(|source| Error::io(path, source))?;
        Ok(())
    }
}

impl LineSink for MemberWriter<'_> {
    fn write_line(&mut self, line: &[u8]) -> Result<(), Error> {
        self.lines
            .write_line(line)
            .map_err(|source| Error::io(self.path, source))
    }
}
