//! Writing and reading fields in the text format `LOAD DATA` expects by
//! default: tab-separated fields, newline-terminated rows, backslash
//! escapes, and `\N` for NULL.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// Appends one row's fields to a buffer, placing separators.
pub(crate) struct RowWriter<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> RowWriter<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Self { buf, first: true }
    }

    fn separate(&mut self) {
        if !self.first {
            self.buf.push(b'\t');
        }
        self.first = false;
    }

    pub fn null(&mut self) {
        self.separate();
        self.buf.extend_from_slice(b"\\N");
    }

    pub fn text(&mut self, value: &str) {
        self.separate();
        escape_into(self.buf, value.as_bytes());
    }

    pub fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    pub fn number(&mut self, value: u64) {
        self.separate();
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    pub fn opt_number(&mut self, value: Option<u64>) {
        match value {
            Some(value) => self.number(value),
            None => self.null(),
        }
    }

    pub fn opt_flag(&mut self, value: Option<bool>) {
        self.opt_number(value.map(u64::from));
    }

    pub fn opt_date(&mut self, value: Option<NaiveDate>) {
        match value {
            Some(date) => {
                self.separate();
                write_date(self.buf, date);
            }
            None => self.null(),
        }
    }

    /// Writes a date-time with millisecond precision, as `DATETIME(3)` holds.
    pub fn opt_date_time(&mut self, value: Option<NaiveDateTime>) {
        let Some(value) = value else {
            self.null();
            return;
        };
        self.separate();
        write_date(self.buf, value.date());
        self.buf.push(b' ');
        pad(self.buf, value.hour(), 2);
        self.buf.push(b':');
        pad(self.buf, value.minute(), 2);
        self.buf.push(b':');
        pad(self.buf, value.second(), 2);
        self.buf.push(b'.');
        pad(self.buf, value.nanosecond() / 1_000_000, 3);
    }

    /// Ends the row.
    pub fn finish(self) {
        self.buf.push(b'\n');
    }
}

fn write_date(buf: &mut Vec<u8>, date: NaiveDate) {
    // Years before 1 are rejected by the decoder, so the year is positive.
    pad(buf, date.year().unsigned_abs(), 4);
    buf.push(b'-');
    pad(buf, date.month(), 2);
    buf.push(b'-');
    pad(buf, date.day(), 2);
}

fn pad(buf: &mut Vec<u8>, value: u32, width: usize) {
    let mut digits = itoa::Buffer::new();
    let text = digits.format(value);
    buf.extend(std::iter::repeat_n(b'0', width.saturating_sub(text.len())));
    buf.extend_from_slice(text.as_bytes());
}

fn escape_into(buf: &mut Vec<u8>, value: &[u8]) {
    let mut start = 0;
    for (i, &byte) in value.iter().enumerate() {
        let escaped: &[u8] = match byte {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            0 => b"\\0",
            _ => continue,
        };
        buf.extend_from_slice(&value[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&value[start..]);
}

/// Splits rows written by [`RowWriter`] back into fields, `None` for NULL.
/// The `INSERT` fallback uses it to turn a buffer into statement parameters.
pub(crate) fn parse_rows(data: &[u8]) -> impl Iterator<Item = Vec<Option<Vec<u8>>>> + '_ {
    data.split(|&b| b == b'\n')
        .filter(|row| !row.is_empty())
        .map(|row| row.split(|&b| b == b'\t').map(unescape).collect())
}

fn unescape(field: &[u8]) -> Option<Vec<u8>> {
    if field == b"\\N" {
        return None;
    }
    let mut out = Vec::with_capacity(field.len());
    let mut bytes = field.iter();
    while let Some(&byte) = bytes.next() {
        if byte != b'\\' {
            out.push(byte);
            continue;
        }
        match bytes.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'0') => out.push(0),
            Some(&other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    Some(out)
}

/// Formats a date-time the way `CAST(<DATETIME(3)> AS CHAR)` prints it.
pub(crate) fn date_time_text(value: NaiveDateTime) -> String {
    let mut buf = Vec::with_capacity(23);
    RowWriter::new(&mut buf).opt_date_time(Some(value));
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let mut buf = Vec::new();
        let mut row = RowWriter::new(&mut buf);
        row.text("a\tb\nc\\d\r\0e😀");
        row.null();
        row.number(42);
        row.opt_date(NaiveDate::from_ymd_opt(903, 1, 2));
        row.finish();
        assert_eq!(
            buf,
            b"a\\tb\\nc\\\\d\\r\\0e\xf0\x9f\x98\x80\t\\N\t42\t0903-01-02\n"
        );

        let rows: Vec<_> = parse_rows(&buf).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][0].as_deref(), Some("a\tb\nc\\d\r\0e😀".as_bytes()));
        assert_eq!(rows[0][1], None);
        assert_eq!(rows[0][2].as_deref(), Some(&b"42"[..]));
    }

    #[test]
    fn date_time_has_milliseconds() {
        let mut buf = Vec::new();
        let mut row = RowWriter::new(&mut buf);
        let time = NaiveDate::from_ymd_opt(2023, 2, 17)
            .unwrap()
            .and_hms_milli_opt(9, 7, 6, 5)
            .unwrap();
        row.opt_date_time(Some(time));
        row.finish();
        assert_eq!(buf, b"2023-02-17 09:07:06.005\n");
    }
}
