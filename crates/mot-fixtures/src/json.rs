//! A small JSON writer for one NDJSON line, with dates in the formats of the MOT History files.
//!
//! Writing by hand keeps key order, number-versus-string choices and escape styles under the
//! generator's control. Strings are escaped as RFC 8259 requires.

use chrono::{Datelike, NaiveDate};

/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const UNIX_EPOCH_FROM_CE: i64 = 719_163;
const SECONDS_PER_DAY: i64 = 86_400;

/// Returns the number of days from 1970-01-01 to `date`.
pub(crate) fn epoch_days(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - UNIX_EPOCH_FROM_CE
}

/// Returns the date `days` after 1970-01-01. Panics outside chrono's range (about ±262,000
/// years), which generated dates never reach.
pub(crate) fn date_from_epoch_days(days: i64) -> NaiveDate {
    i32::try_from(days + UNIX_EPOCH_FROM_CE)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .expect("generated dates stay within chrono's range")
}

/// Appends `value` in decimal, left-padded with zeros to `width` digits.
fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    let mut rest = value;
    loop {
        start -= 1;
        digits[start] = b'0' + u8::try_from(rest % 10).expect("a digit fits in u8");
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let start = start.min(digits.len() - width);
    out.extend_from_slice(&digits[start..]);
}

/// Appends an unsigned integer in decimal.
pub(crate) fn push_u64(out: &mut Vec<u8>, value: u64) {
    push_padded(out, value, 1);
}

/// Appends the date `days` after 1970-01-01 as `YYYY-MM-DD` (no quotes).
pub(crate) fn push_date(out: &mut Vec<u8>, days: i64) {
    let date = date_from_epoch_days(days);
    let year = u64::try_from(date.year()).expect("generated years are positive");
    push_padded(out, year, 4);
    out.push(b'-');
    push_padded(out, u64::from(date.month()), 2);
    out.push(b'-');
    push_padded(out, u64::from(date.day()), 2);
}

/// Appends a time `seconds` after 1970-01-01 00:00:00 as `YYYY-MM-DD HH:MM:SS`, or as
/// `YYYY-MM-DDTHH:MM:SS.000Z` when `iso` is set (no quotes).
pub(crate) fn push_datetime(out: &mut Vec<u8>, seconds: i64, iso: bool) {
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let of_day = u64::try_from(seconds.rem_euclid(SECONDS_PER_DAY)).expect("non-negative");
    push_date(out, days);
    out.push(if iso { b'T' } else { b' ' });
    push_padded(out, of_day / 3600, 2);
    out.push(b':');
    push_padded(out, of_day / 60 % 60, 2);
    out.push(b':');
    push_padded(out, of_day % 60, 2);
    if iso {
        out.extend_from_slice(b".000Z");
    }
}

/// Appends `text` as a quoted JSON string. Quotes, backslashes and control characters are
/// escaped. Other characters stay raw UTF-8 unless `ascii_only` is set, which writes every
/// non-ASCII character as `\uXXXX`, using a surrogate pair above U+FFFF.
pub(crate) fn push_string(out: &mut Vec<u8>, text: &str, ascii_only: bool) {
    out.push(b'"');
    if ascii_only {
        for ch in text.chars() {
            push_char(out, ch, true);
        }
    } else {
        // Copy runs of bytes that need no escape in one go: every byte of a multi-byte UTF-8
        // character is 0x80 or above, so only ASCII bytes are ever escaped.
        let bytes = text.as_bytes();
        let mut run_start = 0;
        for (position, &byte) in bytes.iter().enumerate() {
            if byte < 0x20 || byte == b'"' || byte == b'\\' {
                out.extend_from_slice(&bytes[run_start..position]);
                push_char(out, char::from(byte), false);
                run_start = position + 1;
            }
        }
        out.extend_from_slice(&bytes[run_start..]);
    }
    out.push(b'"');
}

/// Appends one character of a JSON string, escaped where needed.
fn push_char(out: &mut Vec<u8>, ch: char, ascii_only: bool) {
    match ch {
        '"' => out.extend_from_slice(b"\\\""),
        '\\' => out.extend_from_slice(b"\\\\"),
        '\n' => out.extend_from_slice(b"\\n"),
        '\r' => out.extend_from_slice(b"\\r"),
        '\t' => out.extend_from_slice(b"\\t"),
        '\u{8}' => out.extend_from_slice(b"\\b"),
        '\u{c}' => out.extend_from_slice(b"\\f"),
        c if u32::from(c) < 0x20 || (ascii_only && !c.is_ascii()) => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
        }
        c => {
            let mut bytes = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut bytes).as_bytes());
        }
    }
}

/// Writes the members of one JSON object, adding commas between them.
pub(crate) struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Appends `{` and starts an object.
    pub(crate) fn begin(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, empty: true }
    }

    /// Appends `"key":` and returns the buffer, where the caller appends the value. Keys are
    /// the crate's own constants, which need no escaping.
    pub(crate) fn key(&mut self, key: &str) -> &mut Vec<u8> {
        debug_assert!(
            key.bytes()
                .all(|byte| byte.is_ascii_graphic() && byte != b'"' && byte != b'\\')
        );
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// Appends a member with a string value.
    pub(crate) fn string(&mut self, key: &str, value: &str) {
        push_string(self.key(key), value, false);
    }

    /// Appends a member whose value is written as is (a number, `true`, `false` or `null`).
    pub(crate) fn raw(&mut self, key: &str, value: &str) {
        self.key(key).extend_from_slice(value.as_bytes());
    }

    /// Appends a member with an unsigned integer value.
    pub(crate) fn number(&mut self, key: &str, value: u64) {
        push_u64(self.key(key), value);
    }

    /// Appends a member with a `YYYY-MM-DD` string value.
    pub(crate) fn date(&mut self, key: &str, days: i64) {
        let out = self.key(key);
        out.push(b'"');
        push_date(out, days);
        out.push(b'"');
    }

    /// Appends a member with a date-time string value (see [`push_datetime`]).
    pub(crate) fn datetime(&mut self, key: &str, seconds: i64, iso: bool) {
        let out = self.key(key);
        out.push(b'"');
        push_datetime(out, seconds, iso);
        out.push(b'"');
    }

    /// Appends `}`.
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_json(text: &str, ascii_only: bool) -> String {
        let mut out = Vec::new();
        push_string(&mut out, text, ascii_only);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_round_trip_through_serde_json() {
        let texts = [
            "plain",
            "quote \" and backslash \\",
            "tab\tnewline\ncarriage\rbell\u{7}",
            "café £5 🚗",
            "",
        ];
        for text in texts {
            for ascii_only in [false, true] {
                let json = string_json(text, ascii_only);
                let back: String = serde_json::from_str(&json).unwrap();
                assert_eq!(back, text, "{json}");
            }
        }
    }

    #[test]
    fn ascii_only_uses_surrogate_pairs() {
        assert_eq!(string_json("🚗", true), r#""\ud83d\ude97""#);
        assert_eq!(string_json("é", true), r#""\u00e9""#);
    }

    #[test]
    fn datetimes_in_both_formats() {
        let mut out = Vec::new();
        let seconds = 1_676_625_466; // 2023-02-17 09:17:46
        push_datetime(&mut out, seconds, false);
        out.push(b'|');
        push_datetime(&mut out, seconds, true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2023-02-17 09:17:46|2023-02-17T09:17:46.000Z"
        );
    }

    #[test]
    fn epoch_days_round_trip() {
        let date = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        assert_eq!(date_from_epoch_days(epoch_days(date)), date);
        assert_eq!(epoch_days(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
    }

    #[test]
    fn object_writer_separates_members() {
        let mut out = Vec::new();
        let mut object = ObjectWriter::begin(&mut out);
        object.string("a", "x");
        object.raw("b", "null");
        object.number("c", 12);
        object.date("d", 0);
        object.end();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":"x","b":null,"c":12,"d":"1970-01-01"}"#
        );
    }
}
