//! Opening an input file and listing its members.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use zip::{CompressionMethod, ZipArchive};

use crate::checked::Checked;
use crate::error::{Error, Location};
use crate::records::{ReadOptions, Records};

/// How an input file is packaged, detected from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A zip archive of members, each gzip-compressed or plain NDJSON.
    Zip,
    /// A gzip stream (one or more gzip members) of NDJSON.
    Gzip,
    /// Plain NDJSON.
    Ndjson,
}

/// How a member's bytes are stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    /// The whole file is the member.
    WholeFile,
    /// A zip entry stored without compression.
    ZipStored,
    /// A zip entry compressed with deflate.
    ZipDeflated,
}

/// One unit of an input that is loaded and tracked on its own: a zip entry,
/// or the whole file when it is not a zip archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Position in the archive, from 0.
    pub index: usize,
    /// Entry name as stored in the archive. It is only a label: entries are
    /// never extracted, so a name such as `../x` cannot reach the disk.
    pub name: String,
    /// Bytes the member occupies in the file.
    pub compressed_size: u64,
    /// Bytes once the zip layer is removed (still gzip for `.json.gz`
    /// entries). Equals `compressed_size` for a whole file.
    pub size: u64,
    /// CRC-32 the archive records for the entry; `None` for a whole file.
    pub crc32: Option<u32>,
    storage: Storage,
    data_start: u64,
}

/// An input file opened for reading: a zip archive, a gzip file or plain
/// NDJSON.
#[derive(Debug, Clone)]
pub struct Source {
    path: PathBuf,
    name: String,
    format: Format,
    size: u64,
    members: Vec<Member>,
}

const ZIP_MAGIC: [&[u8]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];
const GZIP_MAGIC: &[u8] = b"\x1f\x8b";

impl Source {
    /// Opens `path` and lists its members, reading the central directory of
    /// a zip archive (ZIP64 included) without decompressing anything.
    ///
    /// # Errors
    ///
    /// Fails when the file cannot be opened, is empty, or is a zip archive
    /// whose structure is damaged, that has no file entries, or that has two
    /// entries of the same name.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let open_error = |source| Error::Open {
            path: path.clone(),
            source,
        };
        let mut file = File::open(&path).map_err(open_error)?;
        let size = file.metadata().map_err(open_error)?.len();
        if size == 0 {
            return Err(Error::Empty { path });
        }
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );

        let mut magic = [0u8; 4];
        let read = read_prefix(&mut file, &mut magic).map_err(open_error)?;
        let prefix = &magic[..read];
        let format = if ZIP_MAGIC.iter().any(|m| prefix.starts_with(m)) {
            Format::Zip
        } else if prefix.starts_with(GZIP_MAGIC) {
            Format::Gzip
        } else {
            Format::Ndjson
        };

        let members = match format {
            Format::Zip => {
                let members = zip_members(file, &name)?;
                if members.is_empty() {
                    return Err(Error::NoMembers { archive: name });
                }
                members
            }
            Format::Gzip | Format::Ndjson => vec![Member {
                index: 0,
                name: name.clone(),
                compressed_size: size,
                size,
                crc32: None,
                storage: Storage::WholeFile,
                data_start: 0,
            }],
        };
        Ok(Self {
            path,
            name,
            format,
            size,
            members,
        })
    }

    /// Path the source was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// File name without its directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Packaging detected from the file's first bytes.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Size of the file in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Members in archive order. Zip directory entries are left out.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Starts reading the records of `member`, on a file handle of its own
    /// so that several members can be read at once from different threads.
    ///
    /// # Errors
    ///
    /// Fails when the file cannot be opened again.
    pub fn records(&self, member: &Member, options: &ReadOptions) -> Result<Records, Error> {
        let counter = Arc::new(AtomicU64::new(0));
        let stream = self.member_stream(member, counter.clone())?;
        let location = Location {
            archive: self.name.clone(),
            member: member.name.clone(),
            line: 0,
            byte_offset: 0,
        };
        Records::new(stream, location, options, counter)
    }

    /// Opens the bytes of a member with the zip layer removed and its
    /// CRC-32 and size checked at the end.
    fn member_stream(
        &self,
        member: &Member,
        counter: Arc<AtomicU64>,
    ) -> Result<Box<dyn Read + Send>, Error> {
        let open_error = |source| Error::Open {
            path: self.path.clone(),
            source,
        };
        let mut file = File::open(&self.path).map_err(open_error)?;
        file.seek(SeekFrom::Start(member.data_start))
            .map_err(open_error)?;
        let counted = Counted {
            inner: file,
            counter,
        };
        let raw = BufReader::with_capacity(256 * 1024, counted).take(member.compressed_size);

        Ok(match member.storage {
            Storage::WholeFile => Box::new(raw),
            Storage::ZipStored => Box::new(Checked::new(raw, member)),
            Storage::ZipDeflated => Box::new(Checked::new(
                flate2::bufread::DeflateDecoder::new(raw),
                member,
            )),
        })
    }
}

/// Counts the bytes read from the file, for progress reports.
struct Counted<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn read_prefix(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(filled)
}

fn zip_members(file: File, archive: &str) -> Result<Vec<Member>, Error> {
    let zip_error = |source| Error::Zip {
        archive: archive.to_owned(),
        source,
    };
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
    if zip.has_duplicate_names() {
        return Err(Error::DuplicateMembers {
            archive: archive.to_owned(),
        });
    }
    let mut members = Vec::with_capacity(zip.len());

    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        if entry.is_dir() {
            continue;
        }
        let storage = match entry.compression() {
            CompressionMethod::Stored => Storage::ZipStored,
            CompressionMethod::Deflated => Storage::ZipDeflated,
            other => {
                return Err(Error::UnsupportedCompression {
                    archive: archive.to_owned(),
                    member: name,
                    method: other.to_string(),
                });
            }
        };
        let data_start = entry.data_start().ok_or_else(|| {
            zip_error(zip::result::ZipError::InvalidArchive(
                "entry has no data offset".into(),
            ))
        })?;
        members.push(Member {
            index,
            name,
            compressed_size: entry.compressed_size(),
            size: entry.size(),
            crc32: Some(entry.crc32()),
            storage,
            data_start,
        });
    }
    Ok(members)
}
