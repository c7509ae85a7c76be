//! A plain in-memory loader that parses archive lines and applies the load rules, as a second
//! computation of the expected counts. It keeps every test key in memory, so it suits archives
//! of up to a few hundred thousand vehicles.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::manifest::Counts;

/// The reason a line is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RejectReason {
    /// The line is not valid UTF-8.
    #[error("line is not valid UTF-8")]
    InvalidUtf8,
    /// The line is not valid JSON, or not a JSON object.
    #[error("line is not a JSON object")]
    InvalidJson,
    /// `registration` is missing, empty or not a string.
    #[error("registration is missing or empty")]
    MissingRegistration,
    /// A date field is not a valid date in one of the accepted formats.
    #[error("invalid date in {0}")]
    InvalidDate(&'static str),
    /// `motTests`, a test or its `defects` has the wrong JSON type.
    #[error("motTests or defects has the wrong JSON type")]
    InvalidTests,
    /// A delta line has no `modification` of CREATED, UPDATED or DELETED.
    #[error("modification is missing or not CREATED, UPDATED or DELETED")]
    InvalidModification,
}

/// Key by which a test is matched to a stored test of the same vehicle.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TestKey {
    /// `motTestNumber`, written as a number or a string.
    Number(String),
    /// completedDate, testResult and odometerValue of a test without a number.
    Unnumbered(Option<NaiveDateTime>, Option<String>, Option<String>),
}

/// A parsed, valid line.
struct ParsedLine {
    registration: String,
    modification: Option<String>,
    /// Each test's key and defect count.
    tests: Vec<(TestKey, u64)>,
}

/// Applies lines to an in-memory store with the rules documented on
/// [`generate`](crate::generate) and counts the result.
#[derive(Debug, Default)]
pub struct ReferenceLoader {
    /// Stored vehicles by id (creation order), `None` once deleted. Each entry is the list of
    /// the vehicle's tests.
    vehicles: Vec<Option<Vec<(TestKey, u64)>>>,
    /// Ids of the stored vehicles per registration, oldest first.
    by_registration: HashMap<String, Vec<usize>>,
    counts: Counts,
    rejects: u64,
}

impl ReferenceLoader {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the counts of the stored rows.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Returns the number of lines rejected so far.
    pub fn rejects(&self) -> u64 {
        self.rejects
    }

    /// Loads one bulk line: a valid line is always a new vehicle.
    ///
    /// # Errors
    ///
    /// The reason the line is rejected. The store is then unchanged.
    pub fn load_bulk_line(&mut self, line: &[u8]) -> Result<(), RejectReason> {
        let parsed = self.parse_counting_rejects(line, false)?;
        self.insert(parsed);
        Ok(())
    }

    /// Applies one delta line by its `modification`.
    ///
    /// # Errors
    ///
    /// The reason the line is rejected. The store is then unchanged.
    pub fn apply_delta_line(&mut self, line: &[u8]) -> Result<(), RejectReason> {
        let parsed = self.parse_counting_rejects(line, true)?;
        let target = self.find_target(&parsed);
        match (parsed.modification.as_deref(), target) {
            (Some("DELETED"), Some(id)) => self.delete(&parsed.registration, id),
            (Some("DELETED"), None) => {}
            (_, None) => self.insert(parsed),
            (_, Some(id)) => self.merge(id, parsed),
        }
        Ok(())
    }

    /// Loads every line of a bulk archive (`delta` false) or applies every line of a delta
    /// archive, members in the order of their number. Returns the number of lines read.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::Zip`] when the archive cannot be read. Rejected lines are
    /// counted, not returned.
    pub fn load_archive(&mut self, path: &Path, delta: bool) -> Result<u64, Error> {
        for_each_line(path, |line| {
            let _rejected = if delta {
                self.apply_delta_line(line)
            } else {
                self.load_bulk_line(line)
            };
        })
    }

    fn parse_counting_rejects(
        &mut self,
        line: &[u8],
        delta: bool,
    ) -> Result<ParsedLine, RejectReason> {
        let parsed = parse_line(line, delta);
        if parsed.is_err() {
            self.rejects += 1;
        }
        parsed
    }

    fn find_target(&self, line: &ParsedLine) -> Option<usize> {
        let holders = self.by_registration.get(&line.registration)?;
        if holders.len() > 1 {
            for &id in holders.iter().rev() {
                let tests = self.vehicles[id].as_ref().expect("holders are stored");
                let holds_number = tests.iter().any(|(stored, _)| {
                    matches!(stored, TestKey::Number(_))
                        && line.tests.iter().any(|(key, _)| key == stored)
                });
                if holds_number {
                    return Some(id);
                }
            }
        }
        holders.last().copied()
    }

    fn insert(&mut self, line: ParsedLine) {
        self.counts.vehicles += 1;
        self.counts.mot_tests += line.tests.len() as u64;
        self.counts.defects += line.tests.iter().map(|(_, defects)| defects).sum::<u64>();
        let id = self.vehicles.len();
        self.vehicles.push(Some(line.tests));
        self.by_registration
            .entry(line.registration)
            .or_default()
            .push(id);
    }

    fn delete(&mut self, registration: &str, id: usize) {
        let tests = self.vehicles[id].take().expect("holders are stored");
        self.counts.vehicles -= 1;
        self.counts.mot_tests -= tests.len() as u64;
        self.counts.defects -= tests.iter().map(|(_, defects)| defects).sum::<u64>();
        if let Some(holders) = self.by_registration.get_mut(registration) {
            holders.retain(|&holder| holder != id);
        }
    }

    fn merge(&mut self, id: usize, line: ParsedLine) {
        let tests = self.vehicles[id].as_mut().expect("holders are stored");
        for (key, defects) in line.tests {
            match tests.iter_mut().find(|(stored, _)| *stored == key) {
                Some(stored) => {
                    self.counts.defects = self.counts.defects - stored.1 + defects;
                    stored.1 = defects;
                }
                None => {
                    self.counts.mot_tests += 1;
                    self.counts.defects += defects;
                    tests.push((key, defects));
                }
            }
        }
    }
}

/// Calls `visit` with each line (without its newline) of every member of a zip archive,
/// members ordered by the number in `<name>_<N>.json.gz`, each member decoded as gzip with all
/// its concatenated streams. Returns the number of lines.
///
/// # Errors
///
/// [`Error::Io`] or [`Error::Zip`] when the archive or a member cannot be read.
pub fn for_each_line(path: &Path, mut visit: impl FnMut(&[u8])) -> Result<u64, Error> {
    let file = File::open(path).map_err(|source| Error::io(path, source))?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|source| Error::zip(path, source))?;
    let mut order: Vec<(u64, usize)> = archive
        .file_names()
        .enumerate()
        .map(|(index, name)| (member_number(name.ok().as_deref()), index))
        .collect();
    order.sort_unstable();

    let mut lines = 0;
    let mut line = Vec::new();
    for (_, index) in order {
        let member = archive
            .by_index(index)
            .map_err(|source| Error::zip(path, source))?;
        let mut reader = BufReader::new(flate2::read::MultiGzDecoder::new(member));
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|source| Error::io(path, source))?;
            if read == 0 {
                break;
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            visit(&line);
            lines += 1;
        }
    }
    Ok(lines)
}

/// Returns `N` of a member name `<base>_<N>.json.gz`, or `u64::MAX` for other names.
fn member_number(name: Option<&str>) -> u64 {
    name.and_then(|name| name.strip_suffix(".json.gz"))
        .and_then(|stem| stem.rsplit('_').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Parses and validates one line.
fn parse_line(line: &[u8], delta: bool) -> Result<ParsedLine, RejectReason> {
    let text = std::str::from_utf8(line).map_err(|_| RejectReason::InvalidUtf8)?;
    let value: Value = serde_json::from_str(text).map_err(|_| RejectReason::InvalidJson)?;
    let Value::Object(object) = value else {
        return Err(RejectReason::InvalidJson);
    };
    let registration = match object.get("registration") {
        Some(Value::String(plate)) if !plate.is_empty() => plate.clone(),
        _ => return Err(RejectReason::MissingRegistration),
    };
    for key in [
        "firstUsedDate",
        "registrationDate",
        "manufactureDate",
        "last_update_date",
    ] {
        check_date(&object, key)?;
    }
    check_datetime(&object, "lastMotTestDate")?;

    let modification = object.get("modification").and_then(Value::as_str);
    let known = matches!(modification, Some("CREATED" | "UPDATED" | "DELETED"));
    if delta && !known {
        return Err(RejectReason::InvalidModification);
    }
    let tests = match object.get("motTests") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(parse_test).collect::<Result<_, _>>()?,
        Some(_) => return Err(RejectReason::InvalidTests),
    };
    Ok(ParsedLine {
        registration,
        modification: modification.map(str::to_owned),
        tests,
    })
}

/// Parses one `motTests` element into its key and defect count.
fn parse_test(test: &Value) -> Result<(TestKey, u64), RejectReason> {
    let Value::Object(object) = test else {
        return Err(RejectReason::InvalidTests);
    };
    let completed = check_datetime(object, "completedDate")?;
    check_date(object, "expiryDate")?;
    let defects = match object.get("defects") {
        None | Some(Value::Null) => 0,
        Some(Value::Array(items)) => items.len() as u64,
        Some(_) => return Err(RejectReason::InvalidTests),
    };
    let text = |key: &str| match object.get(key) {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    };
    let key = match text("motTestNumber") {
        Some(number) => TestKey::Number(number),
        None => TestKey::Unnumbered(completed, text("testResult"), text("odometerValue")),
    };
    Ok((key, defects))
}

/// Checks that `key`, when present and not null, is a `YYYY-MM-DD` date.
fn check_date(object: &Map<String, Value>, key: &'static str) -> Result<(), RejectReason> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(text)) if NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() => Ok(()),
        Some(_) => Err(RejectReason::InvalidDate(key)),
    }
}

/// Checks that `key`, when present and not null, is `YYYY-MM-DD HH:MM:SS` or ISO 8601 with a
/// `Z` suffix, and returns its value.
fn check_datetime(
    object: &Map<String, Value>,
    key: &'static str,
) -> Result<Option<NaiveDateTime>, RejectReason> {
    let text = match object.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => text,
        Some(_) => return Err(RejectReason::InvalidDate(key)),
    };
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.fZ"))
        .map(Some)
        .map_err(|_| RejectReason::InvalidDate(key))
}
