//! Lines a loader must reject, each breaking exactly one rule.
//!
//! Each bad line is a rendered vehicle with a registration that no valid line uses, so a loader
//! that wrongly accepts one ends with an extra vehicle and a count that differs from the
//! expected one.

use crate::archive::LineSink;
use crate::codes::REJECTED_PLATES;
use crate::error::Error;
use crate::options::BAD_LINES_PER_MEMBER;
use crate::render::{Line, Modification, render_line};
use crate::rng::{Rng, derive};
use crate::vehicle::{Context, Fields, Profile, bulk_history, stream};

/// First test id of the tests inside rejected lines, above the ids valid lines use.
const BAD_TEST_IDS: u64 = 800_000_000_000;

/// The rule a bad line breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadLine {
    /// The line is cut off inside the object.
    InvalidJson,
    /// A string contains the bytes FF FE, which are not UTF-8.
    InvalidUtf8,
    /// The object has no `registration` key.
    MissingRegistration,
    /// `firstUsedDate` is 2023-02-30.
    ImpossibleDate,
}

impl BadLine {
    /// One of each kind, in the order they are added to a member.
    pub(crate) const ALL: [BadLine; 4] = [
        Self::InvalidJson,
        Self::InvalidUtf8,
        Self::MissingRegistration,
        Self::ImpossibleDate,
    ];
}

/// Places one bad line of each kind at random positions among a member's valid lines.
pub(crate) struct BadLineMixer {
    /// Number of valid lines each bad line follows, ascending.
    positions: Vec<(u64, BadLine)>,
    next: usize,
    delta: bool,
}

impl BadLineMixer {
    /// Plans the bad lines of a member with `valid_lines` valid lines, or none unless
    /// `enabled`.
    pub(crate) fn new(rng: &mut Rng, valid_lines: u64, enabled: bool, delta: bool) -> Self {
        let mut positions: Vec<(u64, BadLine)> = if enabled {
            BadLine::ALL
                .iter()
                .map(|&kind| (rng.below(valid_lines + 1), kind))
                .collect()
        } else {
            Vec::new()
        };
        debug_assert!(positions.len() as u64 <= BAD_LINES_PER_MEMBER);
        positions.sort_by_key(|&(position, _)| position);
        Self {
            positions,
            next: 0,
            delta,
        }
    }

    /// Returns the number of bad lines planned.
    pub(crate) fn count(&self) -> u64 {
        self.positions.len() as u64
    }

    /// Writes the bad lines due once `written` valid lines are in the member. `serial` numbers
    /// bad lines across all archives.
    pub(crate) fn write_due(
        &mut self,
        written: u64,
        context: &Context,
        serial: &mut u64,
        sink: &mut impl LineSink,
    ) -> Result<(), Error> {
        let mut buffer = Vec::new();
        while let Some(&(position, kind)) = self.positions.get(self.next) {
            if position > written {
                break;
            }
            buffer.clear();
            render_bad_line(context, kind, *serial, self.delta, &mut buffer);
            sink.write_line(&buffer)?;
            *serial += 1;
            self.next += 1;
        }
        Ok(())
    }
}

/// Appends bad line number `serial` (unique across all archives) of the given kind to `out`.
/// Delta lines carry `"modification":"UPDATED"`.
pub(crate) fn render_bad_line(
    context: &Context,
    kind: BadLine,
    serial: u64,
    delta: bool,
    out: &mut Vec<u8>,
) {
    let fields = Fields {
        seed: derive(context.seed, stream::BAD_LINE, serial),
        colour_shift: 0,
    };
    let profile = Profile::new(context, fields);
    let history_seed = derive(context.seed, stream::BAD_LINE, !serial);
    let first_id = BAD_TEST_IDS + serial * 64;
    let line = Line {
        registration: REJECTED_PLATES + serial,
        modification: delta.then_some(Modification::Updated),
        fields,
        tests: bulk_history(context, &profile, history_seed, first_id),
    };
    let start = out.len();
    render_line(context, &line, out);
    let rendered = out.split_off(start);
    out.extend_from_slice(&break_line(kind, rendered));
}

/// Returns `line`, a valid vehicle object, changed so that it breaks the rule of `kind`.
fn break_line(kind: BadLine, mut line: Vec<u8>) -> Vec<u8> {
    match kind {
        BadLine::InvalidJson => {
            // Cut at two thirds, on a character boundary: an object without its closing brace
            // is never valid JSON.
            let mut cut = line.len() * 2 / 3;
            while cut > 1 && (line[cut] & 0b1100_0000) == 0b1000_0000 {
                cut -= 1;
            }
            line.truncate(cut);
            line
        }
        BadLine::InvalidUtf8 => {
            let at = find(&line, b"\"make\":\"").map_or(2, |start| start + 8);
            line.splice(at..at, [0xFF, 0xFE]);
            line
        }
        BadLine::MissingRegistration => {
            // The line starts with `{"registration":"<plate>",`.
            let end = find(&line, b"\",").expect("a registration member") + 2;
            line.drain(1..end);
            line
        }
        BadLine::ImpossibleDate => match find(&line, b"\"firstUsedDate\":\"") {
            Some(start) => {
                let at = start + 17;
                line.splice(at..at + 10, *b"2023-02-30");
                line
            }
            None => {
                let end = find(&line, b"\",").expect("a registration member") + 2;
                line.splice(end..end, *b"\"firstUsedDate\":\"2023-02-30\",");
                line
            }
        },
    }
}

/// Returns the position of the first occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_line(kind: BadLine) -> Vec<u8> {
        let context = Context {
            seed: 5,
            bulk_day: 19_905,
        };
        let mut out = Vec::new();
        render_bad_line(&context, kind, 3, true, &mut out);
        out
    }

    #[test]
    fn invalid_json_does_not_parse() {
        let line = bad_line(BadLine::InvalidJson);
        assert!(std::str::from_utf8(&line).is_ok());
        assert!(serde_json::from_slice::<serde_json::Value>(&line).is_err());
    }

    #[test]
    fn invalid_utf8_is_otherwise_json() {
        let line = bad_line(BadLine::InvalidUtf8);
        assert!(std::str::from_utf8(&line).is_err());
        let repaired: Vec<u8> = line.iter().copied().filter(|&b| b < 0xFE).collect();
        assert!(serde_json::from_slice::<serde_json::Value>(&repaired).is_ok());
    }

    #[test]
    fn missing_registration_is_valid_json() {
        let line = bad_line(BadLine::MissingRegistration);
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert!(value.get("registration").is_none());
        assert!(value.get("make").is_some());
    }

    #[test]
    fn impossible_date_is_valid_json() {
        let line = bad_line(BadLine::ImpossibleDate);
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["firstUsedDate"], "2023-02-30");
    }
}
