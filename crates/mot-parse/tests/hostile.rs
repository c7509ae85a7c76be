//! Hostile and malformed inputs: each must end in a rejected line naming
//! its member and line, or in a member error, without a panic, a stack
//! overflow or unbounded memory, and the good lines around it must still
//! be read.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use mot_parse::{Error, Format, LineError, ReadOptions, Record, RecordError, Source};
use tempfile::TempDir;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const GOOD_LINE: &[u8] = b"{\"registration\":\"GOOD1\",\"motTests\":[]}\n";
const GOOD_LINE_2: &[u8] = b"{\"registration\":\"GOOD2\",\"motTests\":[]}\n";
const MIB: usize = 1024 * 1024;
const GIB: u64 = 1024 * 1024 * 1024;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zip(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = ZipWriter::new(io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, data) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Records, rejected lines and member failures of every member of a file.
struct Outcome {
    records: Vec<Record<'static>>,
    rejects: Vec<LineError>,
    failures: Vec<Error>,
}

impl Outcome {
    fn registrations(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|r| r.vehicle.registration.to_string())
            .collect()
    }

    fn only_reject(&self) -> &LineError {
        assert_eq!(self.rejects.len(), 1, "rejects: {:?}", self.rejects);
        &self.rejects[0]
    }
}

fn read_with(path: &Path, options: &ReadOptions) -> Outcome {
    let source = Source::open(path).unwrap();
    let mut outcome = Outcome {
        records: Vec::new(),
        rejects: Vec::new(),
        failures: Vec::new(),
    };
    for member in source.members() {
        for result in source.records(member, options).unwrap() {
            match result {
                Ok(record) => outcome.records.push(record),
                Err(RecordError::Line(line)) => outcome.rejects.push(line),
                Err(RecordError::Member(error)) => outcome.failures.push(error),
            }
        }
    }
    outcome
}

fn read(path: &Path) -> Outcome {
    read_with(path, &ReadOptions::default())
}

/// Reads `lines` written as a plain NDJSON file.
fn read_lines(lines: &[&[u8]]) -> Outcome {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "lines.ndjson", &lines.concat());
    read(&path)
}

/// A line whose reject reason must name `field`; the good line after it
/// must still be read.
fn assert_rejected_at_field(line: &[u8], field: &str) {
    let outcome = read_lines(&[line, GOOD_LINE]);
    assert_eq!(outcome.registrations(), ["GOOD1"]);
    assert!(outcome.failures.is_empty());
    let reject = outcome.only_reject();
    assert_eq!(reject.location.line, 1);
    assert!(
        reject.reason.contains(field),
        "reason {:?} should name {field}",
        reject.reason
    );
}

static ZEROS: [u8; 4 * MIB] = [0; 4 * MIB];

/// Writes all-zero buffers as holes, so a multi-gigabyte zip member of
/// zeros takes almost no disk.
struct SparseWriter {
    file: File,
    position: u64,
    end: u64,
}

impl SparseWriter {
    fn finish(self) -> io::Result<()> {
        self.file.set_len(self.end)
    }
}

impl Write for SparseWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Slice equality is a memcmp, fast even in an unoptimised test.
        if buf.len() <= ZEROS.len() && buf == &ZEROS[..buf.len()] {
            self.file.seek(SeekFrom::Current(buf.len() as i64))?;
        } else {
            self.file.write_all(buf)?;
        }
        self.position += buf.len() as u64;
        self.end = self.end.max(self.position);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Seek for SparseWriter {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.position = self.file.seek(to)?;
        Ok(self.position)
    }
}

/// Writes a ZIP64 archive whose first member is `zeros` bytes of zeros,
/// stored, so that the second member starts beyond that offset.
fn write_sparse_zip64(path: &Path, zeros: u64, last_name: &str, last_data: &[u8]) {
    let file = File::create(path).unwrap();
    let sparse = SparseWriter {
        file,
        position: 0,
        end: 0,
    };
    let mut writer = ZipWriter::new(sparse);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    writer
        .start_file("padding_0.bin", stored.large_file(true))
        .unwrap();
    let mut left = zeros;
    while left > 0 {
        let n = usize::try_from(left.min(ZEROS.len() as u64)).unwrap();
        writer.write_all(&ZEROS[..n]).unwrap();
        left -= n as u64;
    }
    writer.start_file(last_name, stored).unwrap();
    writer.write_all(last_data).unwrap();
    writer.finish().unwrap().finish().unwrap();
}

#[test]
fn zip64_member_beyond_4gib() {
    use std::os::unix::fs::MetadataExt;

    let dir = TempDir::new().unwrap();
    let path = dir.path().join("bulk-light-vehicle_01-07-2024.zip");
    let data = gzip(&[GOOD_LINE, GOOD_LINE_2].concat());
    write_sparse_zip64(&path, 4 * GIB + 4096, "bulk_2.json.gz", &data);

    let metadata = std::fs::metadata(&path).unwrap();
    assert!(metadata.len() > 4 * GIB);
    // A sparse file: the zeros occupy no blocks.
    assert!(metadata.blocks() * 512 < 64 * MIB as u64, "{metadata:?}");

    let source = Source::open(&path).unwrap();
    assert_eq!(source.format(), Format::Zip);
    let members = source.members();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].size, 4 * GIB + 4096);
    assert_eq!(members[1].name, "bulk_2.json.gz");
    assert_eq!(members[1].size, data.len() as u64);

    let results: Vec<_> = source
        .records(&members[1], &ReadOptions::default())
        .unwrap()
        .collect();
    let registrations: Vec<String> = results
        .iter()
        .map(|r| r.as_ref().unwrap().vehicle.registration.to_string())
        .collect();
    assert_eq!(registrations, ["GOOD1", "GOOD2"]);
}

#[test]
fn zip_member_names_stay_labels() {
    let dir = TempDir::new().unwrap();
    let names = [
        "../../../tmp/escape.json",
        "/etc/passwd.json",
        "..\\..\\windows.json",
        "C:\\abs.json",
        "dir/../../up.json",
    ];
    let members: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (*n, GOOD_LINE.to_vec())).collect();
    let path = write(&dir, "names.zip", &zip(&members));

    let source = Source::open(&path).unwrap();
    let listed: Vec<&str> = source.members().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(listed, names);
    let outcome = read(&path);
    assert_eq!(outcome.records.len(), names.len());
    assert!(outcome.failures.is_empty());
    // Nothing was written next to the archive or above it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert!(!Path::new("/tmp/escape.json").exists());
}

#[test]
fn duplicate_member_names_rejected() {
    // The zip writer refuses duplicate names, so the second name is
    // patched in the local and central headers after writing.
    let dir = TempDir::new().unwrap();
    let mut archive = zip(&[
        ("bulk_1.json", GOOD_LINE.to_vec()),
        ("bulk_2.json", GOOD_LINE_2.to_vec()),
    ]);
    let mut patched = 0;
    for at in 0..archive.len() - 11 {
        if &archive[at..at + 11] == b"bulk_2.json" {
            archive[at..at + 11].copy_from_slice(b"bulk_1.json");
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
    let path = write(&dir, "dup.zip", &archive);

    let error = Source::open(&path).unwrap_err();
    assert!(matches!(error, Error::DuplicateMembers { .. }), "{error}");
    assert!(error.is_corrupt_input());
    assert!(error.to_string().contains("dup.zip"), "{error}");
}

#[test]
fn empty_zip_is_an_error() {
    let dir = TempDir::new().unwrap();
    let bytes = ZipWriter::new(io::Cursor::new(Vec::new()))
        .finish()
        .unwrap()
        .into_inner();
    let path = write(&dir, "bulk-light-vehicle_01-07-2024.zip", &bytes);

    let error = Source::open(&path).unwrap_err();
    assert!(matches!(error, Error::NoMembers { .. }), "{error}");
    assert!(error.is_corrupt_input());
    let message = error.to_string();
    assert!(
        message.contains("bulk-light-vehicle_01-07-2024.zip"),
        "{message}"
    );
}

#[test]
fn zip_of_only_directories_is_an_error() {
    let dir = TempDir::new().unwrap();
    let mut writer = ZipWriter::new(io::Cursor::new(Vec::new()));
    writer
        .add_directory("folder/", SimpleFileOptions::default())
        .unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let path = write(&dir, "dirs.zip", &bytes);
    let error = Source::open(&path).unwrap_err();
    assert!(matches!(error, Error::NoMembers { .. }), "{error}");
}

#[test]
fn empty_member_has_no_lines() {
    let dir = TempDir::new().unwrap();
    let archive = zip(&[
        ("a_1.json.gz", Vec::new()),
        ("a_2.json.gz", gzip(b"")),
        ("a_3.json.gz", gzip(GOOD_LINE)),
    ]);
    let path = write(&dir, "a.zip", &archive);
    let source = Source::open(&path).unwrap();
    assert_eq!(source.members().len(), 3);

    for member in &source.members()[..2] {
        let mut records = source.records(member, &ReadOptions::default()).unwrap();
        assert!(records.next_record().is_none(), "{}", member.name);
        assert_eq!(records.lines_read(), 0);
    }
    let outcome = read(&path);
    assert_eq!(outcome.registrations(), ["GOOD1"]);
}

#[test]
fn zero_byte_file_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "delta-light-vehicle_03-07-2024.zip", b"");
    let error = Source::open(&path).unwrap_err();
    assert!(matches!(error, Error::Empty { .. }), "{error}");
    assert!(error.to_string().contains("0 bytes"), "{error}");
}

#[test]
fn gzip_trailing_garbage_fails_member() {
    let dir = TempDir::new().unwrap();
    for garbage in [&b"not gzip at all"[..], &[0u8; 512][..], b"\x1f"] {
        let mut bytes = gzip(&[GOOD_LINE, GOOD_LINE_2].concat());
        bytes.extend_from_slice(garbage);

        let path = write(&dir, "a.json.gz", &bytes);
        let outcome = read(&path);
        assert_eq!(outcome.registrations(), ["GOOD1", "GOOD2"]);
        assert_eq!(outcome.failures.len(), 1, "garbage {garbage:?}");
        assert!(outcome.failures[0].is_corrupt_input());
        assert!(
            outcome.failures[0].to_string().contains("a.json.gz"),
            "{}",
            outcome.failures[0]
        );

        let archive = zip(&[("a_1.json.gz", bytes), ("a_2.json.gz", gzip(GOOD_LINE))]);
        let path = write(&dir, "a.zip", &archive);
        let outcome = read(&path);
        assert_eq!(outcome.registrations(), ["GOOD1", "GOOD2", "GOOD1"]);
        assert_eq!(outcome.failures.len(), 1);
        assert!(
            outcome.failures[0].to_string().contains("a_1.json.gz"),
            "{}",
            outcome.failures[0]
        );
    }
}

#[test]
fn line_of_64_mib_rejected_without_holding_it() {
    let dir = TempDir::new().unwrap();
    let long = 64 * MIB;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(b"{\"registration\":\"").unwrap();
    let filler = vec![b'A'; MIB];
    for _ in 0..64 {
        encoder.write_all(&filler).unwrap();
    }
    encoder.write_all(b"\"}\n").unwrap();
    encoder.write_all(GOOD_LINE).unwrap();
    let path = write(&dir, "long.json.gz", &encoder.finish().unwrap());

    let source = Source::open(&path).unwrap();
    let options = ReadOptions::default();
    let mut records = source.records(&source.members()[0], &options).unwrap();

    let Some(Err(RecordError::Line(reject))) = records.next_record() else {
        panic!("the 64 MiB line must be rejected")
    };
    let length = (long + 19) as u64;
    assert_eq!(reject.length, length);
    assert_eq!(reject.location.line, 1);
    assert_eq!(reject.raw.len(), options.max_raw_bytes);
    assert!(
        reject.reason.contains(&format!(
            "{length} bytes, longer than the 16777216 byte limit"
        )),
        "{}",
        reject.reason
    );
    // Only the first max_line_bytes of the line were kept in memory.
    assert!(records.last_line().len() <= options.max_line_bytes);

    let Some(Ok(record)) = records.next_record() else {
        panic!("the line after the long one must load")
    };
    assert_eq!(record.vehicle.registration, "GOOD1");
    assert_eq!(record.line, 2);
    assert_eq!(record.byte_offset, length + 1);
}

#[test]
fn long_line_with_blank_start_is_rejected() {
    let dir = TempDir::new().unwrap();
    let mut data = vec![b' '; 2000];
    data.extend_from_slice(GOOD_LINE);
    data.extend_from_slice(GOOD_LINE_2);
    let path = write(&dir, "padded.ndjson", &data);
    let options = ReadOptions {
        max_line_bytes: 1000,
        max_raw_bytes: 100,
    };

    let outcome = read_with(&path, &options);
    assert_eq!(outcome.registrations(), ["GOOD2"]);
    let reject = outcome.only_reject();
    assert_eq!(reject.location.line, 1);
    assert!(reject.reason.contains("byte limit"), "{}", reject.reason);
}

#[test]
fn invalid_utf8_rejected_with_position() {
    for line in [
        &b"{\"registration\":\"AB\xff12\"}\n"[..],
        b"{\"registration\":\"AB12\",\"make\":\"\xc3\x28\"}\n",
        b"{\"registration\":\"AB12\",\"unknown\":\"\xed\xa0\x80\"}\n",
        b"\xfe\xff{\"registration\":\"AB12\"}\n",
    ] {
        let outcome = read_lines(&[line, GOOD_LINE]);
        assert_eq!(outcome.registrations(), ["GOOD1"]);
        let reject = outcome.only_reject();
        assert!(
            reject.reason.contains("invalid UTF-8 at byte"),
            "{}",
            reject.reason
        );
        assert_eq!(reject.raw, line[..line.len() - 1]);
    }
}

#[test]
fn bom_stripped_only_at_start() {
    let bom_first = read_lines(&[b"\xef\xbb\xbf", GOOD_LINE, GOOD_LINE_2]);
    assert_eq!(bom_first.registrations(), ["GOOD1", "GOOD2"]);
    assert!(bom_first.rejects.is_empty());

    // A BOM inside the stream, as left by concatenating two files, is not
    // valid JSON: the line is rejected, not silently repaired.
    let bom_later = read_lines(&[GOOD_LINE, b"\xef\xbb\xbf", GOOD_LINE_2]);
    assert_eq!(bom_later.registrations(), ["GOOD1"]);
    assert_eq!(bom_later.only_reject().location.line, 2);

    let bom_only = read_lines(&[b"\xef\xbb\xbf"]);
    assert!(bom_only.records.is_empty());
    assert!(bom_only.rejects.is_empty());
}

#[test]
fn bom_in_gzip_inside_zip() {
    let dir = TempDir::new().unwrap();
    let data = [&b"\xef\xbb\xbf"[..], GOOD_LINE].concat();
    let path = write(&dir, "a.zip", &zip(&[("a_1.json.gz", gzip(&data))]));
    let outcome = read(&path);
    assert_eq!(outcome.registrations(), ["GOOD1"]);
    assert!(outcome.rejects.is_empty());
}

#[test]
fn crlf_line_endings() {
    let outcome = read_lines(&[
        b"{\"registration\":\"A1\"}\r\n",
        b"\r\n",
        b"{\"registration\":\"A2\"}\r\r\n",
        b"{\"registration\":\"A3\"}\r",
    ]);
    assert_eq!(outcome.registrations(), ["A1", "A2", "A3"]);
    assert!(outcome.rejects.is_empty());
    let lines: Vec<u64> = outcome.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, [1, 3, 4]);
    assert_eq!(outcome.records[1].byte_offset, 25);
}

fn nested(depth: usize, open: &str, close: &str) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

/// Reads `line` on a thread with the 2 MiB stack that `std::thread::spawn`
/// gives the loader's decoding threads.
fn read_on_small_stack(line: Vec<u8>) -> Outcome {
    std::thread::Builder::new()
        .stack_size(2 * MIB)
        .spawn(move || read_lines(&[&line, b"\n", GOOD_LINE]))
        .unwrap()
        .join()
        .expect("decoding must not overflow the stack")
}

#[test]
fn deep_nesting_in_unknown_key_within_limit() {
    // simd-json accepts up to 1024 levels; an unknown key is skipped.
    let line = format!(
        "{{\"registration\":\"DEEP\",\"extra\":{}}}",
        nested(1000, "[", "]")
    );
    let outcome = read_on_small_stack(line.into_bytes());
    assert_eq!(outcome.registrations(), ["DEEP", "GOOD1"]);
}

#[test]
fn deep_nesting_rejected_without_overflow() {
    for depth in [1025, 10_000, 1_000_000] {
        for value in [
            nested(depth, "[", "]"),
            nested(depth, "{\"a\":", "}").replace("{\"a\":}", "{\"a\":1}"),
        ] {
            for line in [
                format!("{{\"registration\":\"DEEP\",\"extra\":{value}}}"),
                format!("{{\"registration\":\"DEEP\",\"motTests\":{value}}}"),
                value.clone(),
            ] {
                let outcome = read_on_small_stack(line.into_bytes());
                assert_eq!(outcome.registrations(), ["GOOD1"], "depth {depth}");
                let reject = outcome.only_reject();
                assert_eq!(reject.location.line, 1);
                assert!(!reject.reason.is_empty());
            }
        }
    }
}

#[test]
fn deep_nesting_then_bad_field_still_rejected() {
    // simd-json fails on the engine size; the serde_json pass that names
    // the field stops at its own depth limit of 128 first.
    let line = format!(
        "{{\"registration\":\"DEEP\",\"extra\":{},\"engineSize\":\"abc\"}}",
        nested(1000, "[", "]")
    );
    let outcome = read_on_small_stack(line.into_bytes());
    assert_eq!(outcome.registrations(), ["GOOD1"]);
    assert!(!outcome.only_reject().reason.is_empty());
}

#[test]
fn numbers_beyond_64_bits_rejected() {
    let big = "123456789012345678901234567890";
    let cases = [
        (
            format!("{{\"registration\":\"N\",\"motTests\":[{{\"motTestNumber\":{big}}}]}}"),
            "motTests[0].motTestNumber",
        ),
        (
            "{\"registration\":\"N\",\"motTests\":[{\"motTestNumber\":18446744073709551616}]}"
                .to_owned(),
            "motTests[0].motTestNumber",
        ),
        (
            "{\"registration\":\"N\",\"motTests\":[{\"motTestNumber\":-1}]}".to_owned(),
            "motTests[0].motTestNumber",
        ),
        (
            "{\"registration\":\"N\",\"motTests\":[{\"motTestNumber\":1e400}]}".to_owned(),
            "motTests[0].motTestNumber",
        ),
        (
            format!("{{\"registration\":\"N\",\"engineSize\":{big}}}"),
            "engineSize",
        ),
        (
            format!("{{\"registration\":\"N\",\"engineSize\":\"{big}\"}}"),
            "engineSize",
        ),
        (
            "{\"registration\":\"N\",\"engineSize\":4294967296}".to_owned(),
            "engineSize",
        ),
        (
            "{\"registration\":\"N\",\"engineSize\":-1461}".to_owned(),
            "engineSize",
        ),
        (
            format!("{{\"registration\":\"N\",\"motTests\":[{{\"odometerValue\":{big}}}]}}"),
            "motTests[0].odometerValue",
        ),
        (
            "{\"registration\":\"N\",\"motTests\":[{\"odometerValue\":\"18446744073709551616\"}]}"
                .to_owned(),
            "motTests[0].odometerValue",
        ),
        (
            "{\"registration\":\"N\",\"motTests\":[{\"odometerValue\":1.5}]}".to_owned(),
            "motTests[0].odometerValue",
        ),
    ];
    for (line, field) in cases {
        assert_rejected_at_field(format!("{line}\n").as_bytes(), field);
    }
}

#[test]
fn largest_64_bit_test_number_accepted() {
    let line =
        b"{\"registration\":\"N\",\"motTests\":[{\"motTestNumber\":18446744073709551615}]}\n";
    let outcome = read_lines(&[line]);
    assert!(outcome.rejects.is_empty(), "{:?}", outcome.rejects);
    assert_eq!(
        outcome.records[0].vehicle.mot_tests[0].mot_test_number,
        Some(mot_model::TestNumber::Numeric(u64::MAX))
    );
}

#[test]
fn zero_and_impossible_dates_rejected() {
    for (line, field) in [
        (
            &b"{\"registration\":\"D\",\"firstUsedDate\":\"0000-00-00\"}\n"[..],
            "firstUsedDate",
        ),
        (
            b"{\"registration\":\"D\",\"manufactureDate\":\"2023-02-30\"}\n",
            "manufactureDate",
        ),
        (
            b"{\"registration\":\"D\",\"motTests\":[{\"expiryDate\":\"2023-02-30\"}]}\n",
            "motTests[0].expiryDate",
        ),
        (
            b"{\"registration\":\"D\",\"motTests\":[{\"completedDate\":\"0000-00-00 00:00:00\"}]}\n",
            "motTests[0].completedDate",
        ),
        (
            b"{\"registration\":\"D\",\"lastMotTestDate\":\"2023-02-29 10:00:00\"}\n",
            "lastMotTestDate",
        ),
    ] {
        assert_rejected_at_field(line, field);
    }
}

#[test]
fn empty_date_reads_as_missing() {
    let line = b"{\"registration\":\"D\",\"firstUsedDate\":\"\",\"motTests\":[{\"completedDate\":\"\",\"expiryDate\":\"\"}]}\n";
    let outcome = read_lines(&[line]);
    assert!(outcome.rejects.is_empty(), "{:?}", outcome.rejects);
    let vehicle = &outcome.records[0].vehicle;
    assert_eq!(vehicle.first_used_date, None);
    assert_eq!(vehicle.mot_tests[0].completed_date, None);
    assert_eq!(vehicle.mot_tests[0].expiry_date, None);
}

#[test]
fn four_byte_utf8_kept_intact() {
    let line = "{\"registration\":\"E1\",\"motTests\":[{\"defects\":[{\"text\":\"tyre 😀 worn 𝄞\",\"type\":\"ADVISORY\"},{\"text\":\"\\ud83d\\ude97 escaped\"}]}]}\n";
    let outcome = read_lines(&[line.as_bytes()]);
    assert!(outcome.rejects.is_empty(), "{:?}", outcome.rejects);
    let defects = outcome.records[0].vehicle.mot_tests[0]
        .defects
        .as_ref()
        .unwrap();
    assert_eq!(defects[0].text.as_deref(), Some("tyre 😀 worn 𝄞"));
    assert_eq!(defects[1].text.as_deref(), Some("🚗 escaped"));
}

#[test]
fn lone_surrogate_escape_rejected() {
    let line = b"{\"registration\":\"E2\",\"motTests\":[{\"defects\":[{\"text\":\"\\ud800\"}]}]}\n";
    let outcome = read_lines(&[line, GOOD_LINE]);
    assert_eq!(outcome.registrations(), ["GOOD1"]);
    assert_eq!(outcome.only_reject().location.line, 1);
}

#[test]
fn nul_and_control_bytes_in_text() {
    // Escaped NUL and tabs are valid JSON text; raw control bytes are not.
    let escaped = b"{\"registration\":\"C1\",\"make\":\"a\\u0000b\\tc\"}\n";
    let outcome = read_lines(&[escaped]);
    assert_eq!(outcome.records[0].vehicle.make.as_deref(), Some("a\0b\tc"));

    let raw = b"{\"registration\":\"C2\",\"make\":\"a\x00b\"}\n";
    let outcome = read_lines(&[raw, GOOD_LINE]);
    assert_eq!(outcome.registrations(), ["GOOD1"]);
    assert_eq!(outcome.only_reject().location.line, 1);
}

#[test]
fn gzip_bomb_line_bounded() {
    // 256 MiB of one byte compresses to about 250 KiB; the line is read in
    // chunks and only the first max_line_bytes are kept.
    let dir = TempDir::new().unwrap();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let filler = vec![b'x'; MIB];
    for _ in 0..256 {
        encoder.write_all(&filler).unwrap();
    }
    encoder.write_all(b"\n").unwrap();
    encoder.write_all(GOOD_LINE).unwrap();
    let path = write(&dir, "bomb.json.gz", &encoder.finish().unwrap());
    let options = ReadOptions {
        max_line_bytes: MIB,
        max_raw_bytes: 1024,
    };

    let source = Source::open(&path).unwrap();
    let mut records = source.records(&source.members()[0], &options).unwrap();
    let Some(Err(RecordError::Line(reject))) = records.next_record() else {
        panic!("the bomb line must be rejected")
    };
    assert_eq!(reject.length, 256 * MIB as u64);
    assert!(records.last_line().len() <= MIB);
    let Some(Ok(record)) = records.next_record() else {
        panic!("the next line must load")
    };
    assert_eq!(record.vehicle.registration, "GOOD1");
}

#[test]
fn zip_entry_size_lies_fail_member() {
    // The central directory claims fewer bytes than the entry holds: the
    // reader stops at the recorded size and the CRC-32 check fails.
    let dir = TempDir::new().unwrap();
    let data = [GOOD_LINE, GOOD_LINE_2].concat();
    let mut archive = zip(&[("a_1.json", data.clone())]);
    let crc = crc32(&data);
    let size = u32::try_from(data.len()).unwrap().to_le_bytes();
    let smaller = (u32::try_from(data.len()).unwrap() - 10).to_le_bytes();
    let mut patched = 0;
    for at in 0..archive.len() - 12 {
        if archive[at..at + 4] == crc.to_le_bytes()
            && archive[at + 4..at + 8] == size
            && archive[at + 8..at + 12] == size
        {
            archive[at + 4..at + 8].copy_from_slice(&smaller);
            archive[at + 8..at + 12].copy_from_slice(&smaller);
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local header and central directory");
    let path = write(&dir, "a.zip", &archive);

    let outcome = read(&path);
    assert_eq!(outcome.failures.len(), 1);
    assert!(
        outcome.failures[0].to_string().contains("CRC-32"),
        "{}",
        outcome.failures[0]
    );
}

fn crc32(data: &[u8]) -> u32 {
    let mut hasher = flate2::Crc::new();
    hasher.update(data);
    hasher.sum()
}

#[test]
fn unsupported_compression_named() {
    let dir = TempDir::new().unwrap();
    let mut archive = zip(&[("a_1.json", GOOD_LINE.to_vec())]);
    // Set the method field (offset 8 of the local header, 10 of the central
    // header) to 99, AES, which this reader does not decode.
    let local = archive.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
    archive[local + 8] = 99;
    let central = archive.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    archive[central + 10] = 99;
    let path = write(&dir, "a.zip", &archive);

    match Source::open(&path) {
        Err(error) => {
            assert!(error.is_corrupt_input());
            assert!(error.to_string().contains("a.zip"), "{error}");
        }
        Ok(source) => panic!("opened with members {:?}", source.members()),
    }
}
