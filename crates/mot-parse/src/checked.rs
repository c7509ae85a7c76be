//! Verifies a zip entry's length and CRC-32 as it is read.

use std::io::{self, Read};

use crate::source::Member;

/// Passes bytes through, and at the end of the stream fails with
/// `InvalidData` unless the count and CRC-32 match what the archive's
/// central directory recorded.
pub(crate) struct Checked<R> {
    inner: R,
    hasher: crc32fast::Hasher,
    read: u64,
    expected_size: u64,
    expected_crc: u32,
    name: String,
}

impl<R: Read> Checked<R> {
    pub fn new(inner: R, member: &Member) -> Self {
        Self {
            inner,
            hasher: crc32fast::Hasher::new(),
            read: 0,
            expected_size: member.size,
            expected_crc: member.crc32.unwrap_or_default(),
            name: member.name.clone(),
        }
    }

    fn verify_end(&self) -> io::Result<()> {
        if self.read != self.expected_size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "zip entry {} ended after {} of {} bytes; the archive is truncated or corrupt",
                    self.name, self.read, self.expected_size
                ),
            ));
        }
        let actual = self.hasher.clone().finalize();
        if actual != self.expected_crc {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "zip entry {} has CRC-32 {actual:08x} but the archive records {:08x}; the archive is corrupt",
                    self.name, self.expected_crc
                ),
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.verify_end()?;
            return Ok(0);
        }
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        if self.read > self.expected_size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "zip entry {} is longer than the {} bytes the archive records",
                    self.name, self.expected_size
                ),
            ));
        }
        Ok(n)
    }
}
