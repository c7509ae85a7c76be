//! Strict parsers for the date and date-time shapes found in the files.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::ValueError;

const DATE: &str = "a date YYYY-MM-DD";
const DATE_TIME: &str = "a date-time YYYY-MM-DD HH:MM:SS or YYYY-MM-DDTHH:MM:SS[.fff][Z]";

/// Parses `YYYY-MM-DD`, rejecting impossible dates such as `2023-02-30` or
/// `0000-00-00`.
///
/// # Errors
///
/// Returns [`ValueError`] when the text has another shape or names a day
/// that does not exist.
pub fn parse_date(text: &str) -> Result<NaiveDate, ValueError> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(ValueError::new(DATE, text));
    }
    let year = digits(&bytes[0..4]).ok_or_else(|| ValueError::new(DATE, text))?;
    let month = digits(&bytes[5..7]).ok_or_else(|| ValueError::new(DATE, text))?;
    let day = digits(&bytes[8..10]).ok_or_else(|| ValueError::new(DATE, text))?;
    // Year 0 parses in chrono but is the "zero date" placeholder, not a day.
    if year == 0 {
        return Err(ValueError::new(DATE, text));
    }
    let year = i32::try_from(year).map_err(|_| ValueError::new(DATE, text))?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| ValueError::new(DATE, text))
}

/// Parses `YYYY-MM-DD HH:MM:SS` or the ISO form `YYYY-MM-DDTHH:MM:SS`, with
/// optional fractional seconds and an optional `Z`.
///
/// The value is kept as the wall-clock time written in the text: a `Z`
/// suffix is accepted but no time-zone conversion is made, because the files
/// do not say which zone the space-separated form is in.
///
/// # Errors
///
/// Returns [`ValueError`] when the text has another shape or names a time
/// that does not exist.
pub fn parse_date_time(text: &str) -> Result<NaiveDateTime, ValueError> {
    let err = || ValueError::new(DATE_TIME, text);
    let bytes = text.as_bytes();
    if bytes.len() < 19 || !(bytes[10] == b' ' || bytes[10] == b'T') {
        return Err(err());
    }
    let date = parse_date(&text[..10]).map_err(|_| err())?;
    if bytes[13] != b':' || bytes[16] != b':' {
        return Err(err());
    }
    let hour = digits(&bytes[11..13]).ok_or_else(err)?;
    let minute = digits(&bytes[14..16]).ok_or_else(err)?;
    let second = digits(&bytes[17..19]).ok_or_else(err)?;

    let mut rest = &bytes[19..];
    if rest.last() == Some(&b'Z') {
        rest = &rest[..rest.len() - 1];
    }
    let nanos = match rest {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            let value = digits(fraction).ok_or_else(err)?;
            let missing_digits = 9 - u32::try_from(fraction.len()).map_err(|_| err())?;
            value * 10u32.pow(missing_digits)
        }
        _ => return Err(err()),
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or_else(err)?;
    Ok(date.and_time(time))
}

/// Reads ASCII decimal digits, or `None` if any byte is not a digit.
fn digits(bytes: &[u8]) -> Option<u32> {
    let mut value: u32 = 0;
    for &byte in bytes {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u32::from(byte - b'0'))?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_accepts_real_day() {
        assert_eq!(
            parse_date("2024-02-29").unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn date_rejects_impossible_days() {
        for text in [
            "2023-02-30",
            "0000-00-00",
            "2023-13-01",
            "2023-00-10",
            "",
            "2023-2-3",
            "2023/02/03",
        ] {
            assert!(parse_date(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn date_time_accepts_both_shapes() {
        let space = parse_date_time("2015-03-11 11:41:11").unwrap();
        let iso = parse_date_time("2015-03-11T11:41:11.000Z").unwrap();
        assert_eq!(space, iso);
        let millis = parse_date_time("2015-03-11T11:41:11.250Z").unwrap();
        assert_eq!(millis.and_utc().timestamp_subsec_millis(), 250);
        assert!(parse_date_time("2015-03-11T11:41:11").is_ok());
    }

    #[test]
    fn date_time_rejects_bad_shapes() {
        for text in [
            "2015-03-11",
            "2015-03-11 25:00:00",
            "2015-03-11 11:41",
            "2015-03-11 11:41:11.",
            "2015-03-11 11:41:11+01:00",
            "2023-02-30 10:00:00",
        ] {
            assert!(
                parse_date_time(text).is_err(),
                "{text:?} should be rejected"
            );
        }
    }
}
