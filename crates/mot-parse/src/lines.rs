//! Splits a byte stream into lines with a cap on line length.

use std::io::{self, BufRead};

/// A line read by [`LineReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineInfo {
    /// Line number, from 1.
    pub number: u64,
    /// Offset of the line's first byte in the stream.
    pub offset: u64,
    /// Length of the whole line without its terminator.
    pub length: u64,
    /// Whether the line was longer than the cap, so the buffer holds only
    /// its start.
    pub too_long: bool,
}

/// Reads `\n`-terminated lines, keeping at most `max_line_bytes` of each in
/// memory and skipping the rest, so a hostile input cannot exhaust memory.
pub(crate) struct LineReader<R> {
    inner: R,
    max_line_bytes: usize,
    next_number: u64,
    offset: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, max_line_bytes: usize) -> Self {
        Self {
            inner,
            max_line_bytes,
            next_number: 1,
            offset: 0,
        }
    }

    /// Number of the line that the next call returns.
    pub fn next_number(&self) -> u64 {
        self.next_number
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads the next line into `buf` (cleared first), without its `\n` or
    /// `\r\n` terminator. Returns `None` at the end of the stream.
    pub fn read_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        buf.clear();
        let start = self.offset;
        let mut length: u64 = 0;
        let mut too_long = false;
        let mut terminated = false;

        while !terminated {
            let available = match self.inner.fill_buf() {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                break;
            }
            let (chunk, used) = match memchr::memchr(b'\n', available) {
                Some(end) => {
                    terminated = true;
                    (&available[..end], end + 1)
                }
                None => (available, available.len()),
            };
            let room = self.max_line_bytes.saturating_sub(buf.len());
            if chunk.len() > room {
                too_long = true;
            }
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            length += chunk.len() as u64;
            self.inner.consume(used);
            self.offset += used as u64;
        }

        if !terminated && length == 0 {
            return Ok(None);
        }
        if buf.last() == Some(&b'\r') && !too_long {
            buf.pop();
            length -= 1;
        }
        let number = self.next_number;
        self.next_number += 1;
        Ok(Some(LineInfo {
            number,
            offset: start,
            length,
            too_long,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8], cap: usize) -> Vec<(Vec<u8>, LineInfo)> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(4, input), cap);
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        while let Some(info) = reader.read_line(&mut buf).unwrap() {
            lines.push((buf.clone(), info));
        }
        lines
    }

    #[test]
    fn splits_lf_and_crlf() {
        let lines = read_all(b"ab\r\ncd\nef", 100);
        let texts: Vec<_> = lines.iter().map(|(text, _)| text.as_slice()).collect();
        assert_eq!(texts, [&b"ab"[..], b"cd", b"ef"]);
        assert_eq!(lines[1].1.offset, 4);
        assert_eq!(lines[2].1.offset, 7);
        assert_eq!(lines[2].1.number, 3);
    }

    #[test]
    fn keeps_empty_lines_numbered() {
        let lines = read_all(b"a\n\nb\n", 100);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2].1.number, 3);
    }

    #[test]
    fn caps_long_lines() {
        let lines = read_all(b"0123456789\nok\n", 4);
        assert_eq!(lines[0].0, b"0123");
        assert!(lines[0].1.too_long);
        assert_eq!(lines[0].1.length, 10);
        assert_eq!(lines[1].0, b"ok");
        assert!(!lines[1].1.too_long);
    }
}
