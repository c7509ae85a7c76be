//! Property tests over arbitrary bytes: whole files (plain, gzip-wrapped,
//! zip-wrapped and mutated archives) through the reader, and raw lines
//! through the `Vehicle` decoders. No input may panic, every non-blank line
//! must come out as a record or a reject, and the reader's line buffer must
//! stay within its cap.
//!
//! `MOT_FUZZ_CASES` sets the cases per property (default 256). The long run
//! documented in SECURITY.md is
//! `MOT_FUZZ_CASES=143000 cargo test --release -p mot-parse --test fuzz`, 1,001,000 inputs.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use mot_parse::{ReadOptions, RecordError, Source};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use tempfile::TempDir;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn cases() -> u32 {
    std::env::var("MOT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn config() -> Config {
    Config {
        cases: cases(),
        // Failing inputs are printed; nothing is written into the tree.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

/// Small caps so that over-long lines and cut raw text happen often.
const OPTIONS: ReadOptions = ReadOptions {
    max_line_bytes: 96,
    max_raw_bytes: 32,
};

/// What a file read gave, for checks against the input.
#[derive(Debug, Default)]
struct Totals {
    records: u64,
    rejects: u64,
    failures: u64,
}

/// Reads every member of `path`, checking the per-item invariants. A file
/// that fails to open is fine; a panic is not.
fn read_checked(path: &Path, options: &ReadOptions) -> Option<Totals> {
    let source = Source::open(path).ok()?;
    let mut totals = Totals::default();
    for member in source.members() {
        let Ok(mut records) = source.records(member, options) else {
            totals.failures += 1;
            continue;
        };
        let mut last_line = 0;
        while let Some(result) = records.next_record() {
            let line = match result {
                Ok(record) => {
                    assert!(!record.vehicle.registration.trim().is_empty());
                    totals.records += 1;
                    record.line
                }
                Err(RecordError::Line(reject)) => {
                    assert!(reject.raw.len() <= options.max_raw_bytes);
                    assert!(reject.raw.len() as u64 <= reject.length);
                    assert!(!reject.reason.is_empty());
                    assert_eq!(reject.location.member, member.name);
                    totals.rejects += 1;
                    reject.location.line
                }
                Err(RecordError::Member(_)) => {
                    totals.failures += 1;
                    assert!(records.next_record().is_none());
                    break;
                }
            };
            assert!(line > last_line, "line numbers must increase");
            last_line = line;
            assert!(records.last_line().len() <= options.max_line_bytes);
        }
    }
    Some(totals)
}

/// Lines a plain file holds that are not blank, as the reader numbers
/// them: split at `\n`, a leading BOM and one trailing `\r` removed.
fn non_blank_lines(bytes: &[u8], options: &ReadOptions) -> u64 {
    let mut count = 0;
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if bytes.ends_with(b"\n") {
        lines.pop();
    }
    for (index, mut line) in lines.into_iter().enumerate() {
        if line.len() > options.max_line_bytes {
            count += 1;
            continue;
        }
        if let Some(rest) = line.strip_suffix(b"\r") {
            line = rest;
        }
        if index == 0 {
            line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            count += 1;
        }
    }
    count
}

const GZIP_MAGIC: &[u8] = b"\x1f\x8b";

/// Tells whether the reader takes `bytes` for a zip or gzip file rather
/// than plain NDJSON.
fn is_container(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || bytes.starts_with(GZIP_MAGIC)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zip(members: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(method);
    for (name, data) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A scratch file rewritten by every case of one property.
struct Scratch {
    _dir: TempDir,
    path: PathBuf,
}

impl Scratch {
    fn new() -> Self {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("input");
        Self { _dir: dir, path }
    }

    fn write(&self, bytes: &[u8]) -> &Path {
        std::fs::write(&self.path, bytes).unwrap();
        &self.path
    }
}

/// Fragments that steer random input towards the decoder's paths.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\n",
    "\r\n",
    " ",
    "\"",
    "\\",
    "\\u0000",
    "\\ud83d\\ude00",
    "\\ud800",
    "\u{feff}",
    "😀",
    "null",
    "true",
    "\"true\"",
    "0",
    "-1",
    "1.5",
    "1e400",
    "18446744073709551616",
    "100000000001",
    "\"1461\"",
    "\"\"",
    "\"AB12CDE\"",
    "\"2023-02-30\"",
    "\"0000-00-00\"",
    "\"2024-02-29\"",
    "\"2015-03-11 11:41:11\"",
    "\"2023-02-17T09:17:46.000Z\"",
    "\"registration\"",
    "\"motTests\"",
    "\"defects\"",
    "\"text\"",
    "\"type\"",
    "\"dangerous\"",
    "\"motTestNumber\"",
    "\"completedDate\"",
    "\"expiryDate\"",
    "\"engineSize\"",
    "\"odometerValue\"",
    "\"odometerUnit\"",
    "\"firstUsedDate\"",
    "\"modification\"",
    "\"last_update_date\"",
    "{\"registration\":\"AB12CDE\"}",
    "{\"registration\":\"AB12CDE\",\"motTests\":[",
];

/// Bytes that are mostly JSON fragments, with raw bytes mixed in.
fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => proptest::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 1..4),
    ];
    proptest::collection::vec(piece, 0..120).prop_map(|pieces| pieces.concat())
}

/// Arbitrary bytes or JSON-like bytes.
fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..2048), json_ish()]
}

/// A valid archive of gzip and plain members to mutate.
fn base_archive(data: &[u8], method: CompressionMethod) -> Vec<u8> {
    zip(
        &[
            ("bulk_1.json.gz", &gzip(data)),
            ("bulk_2.json", data),
            (
                "dir/../bulk_3.json.gz",
                &gzip(b"{\"registration\":\"A\"}\n"),
            ),
        ],
        method,
    )
}

/// Byte positions and values to overwrite, and a length to cut to.
fn mutations() -> impl Strategy<Value = (Vec<(usize, u8)>, Option<usize>)> {
    (
        proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        proptest::option::weighted(0.2, any::<usize>()),
    )
}

fn mutate(mut bytes: Vec<u8>, changes: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    for &(at, value) in changes {
        let len = bytes.len();
        bytes[at % len] = value;
    }
    if let Some(cut) = cut {
        bytes.truncate(cut % (bytes.len() + 1));
    }
    bytes
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn plain_file_every_line_accounted(bytes in input()) {
        let scratch = Scratch::new();
        let totals = read_checked(scratch.write(&bytes), &OPTIONS);
        if is_container(&bytes) {
            return Ok(());
        }
        // Only a file of zero bytes fails to open.
        let Some(totals) = totals else {
            prop_assert!(bytes.is_empty());
            return Ok(());
        };
        prop_assert_eq!(totals.failures, 0);
        prop_assert_eq!(totals.records + totals.rejects, non_blank_lines(&bytes, &OPTIONS));
    }

    #[test]
    fn gzip_wrapped_every_line_accounted(bytes in input(), split in any::<usize>()) {
        let scratch = Scratch::new();
        // Two gzip members back to back, split anywhere.
        let at = split % (bytes.len() + 1);
        let wrapped = [gzip(&bytes[..at]), gzip(&bytes[at..])].concat();
        let totals = read_checked(scratch.write(&wrapped), &OPTIONS).unwrap();
        prop_assert_eq!(totals.failures, 0);
        prop_assert_eq!(totals.records + totals.rejects, non_blank_lines(&bytes, &OPTIONS));
    }

    #[test]
    fn zip_wrapped_every_line_accounted(bytes in input(), deflate in any::<bool>()) {
        let scratch = Scratch::new();
        let method = if deflate { CompressionMethod::Deflated } else { CompressionMethod::Stored };
        let gzipped = gzip(&bytes);
        let archive = zip(&[("a_1.json.gz", gzipped.as_slice()), ("a_2.json", &bytes)], method);
        let totals = read_checked(scratch.write(&archive), &OPTIONS).unwrap();
        // The plain member is read as gzip when its bytes start like gzip.
        if !bytes.starts_with(GZIP_MAGIC) {
            prop_assert_eq!(totals.failures, 0);
            prop_assert_eq!(totals.records + totals.rejects, 2 * non_blank_lines(&bytes, &OPTIONS));
        }
    }

    #[test]
    fn mutated_archive_no_panic(
        bytes in input(),
        deflate in any::<bool>(),
        (changes, cut) in mutations(),
    ) {
        let scratch = Scratch::new();
        let method = if deflate { CompressionMethod::Deflated } else { CompressionMethod::Stored };
        let archive = mutate(base_archive(&bytes, method), &changes, cut);
        read_checked(scratch.write(&archive), &OPTIONS);
        read_checked(scratch.write(&archive), &ReadOptions::default());
    }

    #[test]
    fn mutated_gzip_no_panic(bytes in input(), (changes, cut) in mutations()) {
        let scratch = Scratch::new();
        let wrapped = mutate(gzip(&bytes), &changes, cut);
        read_checked(scratch.write(&wrapped), &OPTIONS);
    }

    #[test]
    fn magic_then_garbage_no_panic(
        magic in proptest::sample::select(vec![&b"PK\x03\x04"[..], b"PK\x05\x06", b"\x1f\x8b", b"\x1f\x8b\x08\x00"]),
        rest in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let scratch = Scratch::new();
        let bytes = [magic, rest.as_slice()].concat();
        read_checked(scratch.write(&bytes), &OPTIONS);
    }

    #[test]
    fn vehicle_decoders_no_panic(bytes in input()) {
        let mut copy = bytes.clone();
        let fast = simd_json::serde::from_slice::<mot_model::Vehicle>(&mut copy);
        let slow = serde_json::from_slice::<mot_model::Vehicle>(&bytes);
        if let (Ok(fast), Ok(slow)) = (fast, slow) {
            prop_assert_eq!(fast.into_owned(), slow.into_owned());
        }
    }
}
