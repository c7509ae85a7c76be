//! Reads zip, gzip and NDJSON inputs built on the fly and checks records,
//! rejects and member failures.

use std::io::Write;
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::GzEncoder;
use mot_parse::{Error, Format, LineError, ReadOptions, Record, RecordError, Source};
use tempfile::TempDir;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const EXAMPLES: &str = include_str!("../../../testdata/examples.ndjson");

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Writes `data` as several gzip members back to back, split at `splits`.
fn multi_gzip(data: &[u8], splits: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = 0;
    for &end in splits.iter().chain([&data.len()]) {
        out.extend(gzip(&data[start..end]));
        start = end;
    }
    out
}

fn zip(members: &[(&str, Vec<u8>)], method: CompressionMethod) -> Vec<u8> {
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(method);
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

/// Reads every member, returning records, rejects and member failures.
fn read_all(path: &PathBuf) -> (Vec<(String, Record<'static>)>, Vec<LineError>, Vec<Error>) {
    let source = Source::open(path).unwrap();
    let mut records = Vec::new();
    let mut rejects = Vec::new();
    let mut failures = Vec::new();
    for member in source.members() {
        for result in source.records(member, &ReadOptions::default()).unwrap() {
            match result {
                Ok(record) => records.push((member.name.clone(), record)),
                Err(RecordError::Line(line)) => rejects.push(line),
                Err(RecordError::Member(error)) => failures.push(error),
            }
        }
    }
    (records, rejects, failures)
}

fn registrations(records: &[(String, Record<'static>)]) -> Vec<String> {
    records
        .iter()
        .map(|(_, r)| r.vehicle.registration.to_string())
        .collect()
}

#[test]
fn plain_ndjson() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "examples.ndjson", EXAMPLES.as_bytes());
    assert_eq!(Source::open(&path).unwrap().format(), Format::Ndjson);

    let (records, rejects, failures) = read_all(&path);
    assert_eq!(registrations(&records), ["AB12CDE", "AB12CDF", "AB12CDG"]);
    assert!(rejects.is_empty());
    assert!(failures.is_empty());
    assert_eq!(records[1].1.line, 2);
    assert_eq!(
        records[1].1.byte_offset,
        EXAMPLES.lines().next().unwrap().len() as u64 + 1
    );
}

#[test]
fn multi_member_gzip_reads_every_member() {
    let dir = TempDir::new().unwrap();
    let data = EXAMPLES.as_bytes();
    let first_line_end = EXAMPLES.find('\n').unwrap() + 1;
    // Split mid-line too: a gzip member boundary need not be a line boundary.
    let bytes = multi_gzip(data, &[first_line_end, first_line_end + 10]);
    let path = write(&dir, "no-extension", &bytes);
    assert_eq!(Source::open(&path).unwrap().format(), Format::Gzip);

    let (records, rejects, failures) = read_all(&path);
    assert_eq!(registrations(&records), ["AB12CDE", "AB12CDF", "AB12CDG"]);
    assert!(rejects.is_empty());
    assert!(failures.is_empty());
}

#[test]
fn zip_with_many_members() {
    let dir = TempDir::new().unwrap();
    let members: Vec<(String, Vec<u8>)> = (1..=150)
        .map(|n| {
            let line = format!("{{\"registration\":\"R{n}\",\"motTests\":[]}}\n");
            (
                format!("bulk-light-vehicle_01-07-2024_{n}.json.gz"),
                gzip(line.as_bytes()),
            )
        })
        .collect();
    let borrowed: Vec<(&str, Vec<u8>)> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect();
    for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
        let path = write(&dir, "archive.json", &zip(&borrowed, method));
        let source = Source::open(&path).unwrap();
        assert_eq!(source.format(), Format::Zip);
        assert_eq!(source.members().len(), 150);

        let (records, rejects, failures) = read_all(&path);
        assert_eq!(records.len(), 150);
        assert!(rejects.is_empty());
        assert!(failures.is_empty());
        assert_eq!(records[149].0, "bulk-light-vehicle_01-07-2024_150.json.gz");
        assert_eq!(records[149].1.vehicle.registration, "R150");
    }
}

#[test]
fn bad_lines_rejected_good_lines_kept() {
    let dir = TempDir::new().unwrap();
    let mut data = Vec::new();
    data.extend(b"{\"registration\":\"GOOD1\"}\n");
    data.extend(b"{\"registration\":\"BROKEN\",\n");
    data.extend(b"{\"registration\":\"BAD\xff\xfeUTF\"}\n");
    data.extend(b"{\"make\":\"FORD\"}\n");
    data.extend(
        b"{\"registration\":\"X\",\"motTests\":[{\"completedDate\":\"2023-02-30 10:00:00\"}]}\n",
    );
    data.extend(b"{\"registration\":\"\"}\n");
    data.extend(b"{\"registration\":\"GOOD2\"}\n");
    let archive = zip(
        &[("delta_1.json.gz", gzip(&data))],
        CompressionMethod::Deflated,
    );
    let path = write(&dir, "delta-light-vehicle_03-07-2024.zip", &archive);

    let (records, rejects, failures) = read_all(&path);
    assert_eq!(registrations(&records), ["GOOD1", "GOOD2"]);
    assert_eq!(records[1].1.line, 7);
    assert!(failures.is_empty());
    assert_eq!(rejects.len(), 5);

    let lines: Vec<u64> = rejects.iter().map(|r| r.location.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6]);
    assert_eq!(
        rejects[0].location.archive,
        "delta-light-vehicle_03-07-2024.zip"
    );
    assert_eq!(rejects[0].location.member, "delta_1.json.gz");
    assert_eq!(rejects[0].location.byte_offset, 25);
    assert_eq!(rejects[0].raw, b"{\"registration\":\"BROKEN\",");
    assert!(
        rejects[1].reason.contains("invalid UTF-8"),
        "{}",
        rejects[1].reason
    );
    assert!(
        rejects[2].reason.contains("registration"),
        "{}",
        rejects[2].reason
    );
    assert!(
        rejects[3].reason.contains("motTests[0].completedDate"),
        "{}",
        rejects[3].reason
    );
    assert!(
        rejects[3].reason.contains("2023-02-30"),
        "{}",
        rejects[3].reason
    );
    assert!(
        rejects[4].reason.contains("registration is empty"),
        "{}",
        rejects[4].reason
    );
    let shown = rejects[3].to_string();
    assert!(shown.contains("delta_1.json.gz, line 5"), "{shown}");
}

#[test]
fn truncated_gzip_member_fails_that_member() {
    let dir = TempDir::new().unwrap();
    let good = gzip(EXAMPLES.as_bytes());
    let mut cut = gzip(EXAMPLES.repeat(50).as_bytes());
    cut.truncate(cut.len() / 2);
    let archive = zip(
        &[("a_1.json.gz", cut), ("a_2.json.gz", good)],
        CompressionMethod::Stored,
    );
    let path = write(&dir, "a.zip", &archive);

    let source = Source::open(&path).unwrap();
    let members = source.members();
    let results: Vec<_> = source
        .records(&members[0], &ReadOptions::default())
        .unwrap()
        .collect();
    let failure = results.iter().find_map(|r| match r {
        Err(RecordError::Member(error)) => Some(error),
        _ => None,
    });
    let failure = failure.expect("a truncated gzip member must fail");
    assert!(matches!(failure, Error::Read { .. }));
    assert!(failure.to_string().contains("a_1.json.gz"), "{failure}");
    assert!(matches!(results.last(), Some(Err(RecordError::Member(_)))));

    let second: Vec<_> = source
        .records(&members[1], &ReadOptions::default())
        .unwrap()
        .collect();
    assert_eq!(second.len(), 3);
    assert!(second.iter().all(Result::is_ok));
}

#[test]
fn corrupt_zip_entry_fails_crc_check() {
    let dir = TempDir::new().unwrap();
    let mut archive = zip(
        &[("a_1.json", EXAMPLES.as_bytes().to_vec())],
        CompressionMethod::Stored,
    );
    let at = archive.windows(7).position(|w| w == b"AVENGER").unwrap();
    archive[at] = b'X';
    let path = write(&dir, "a.zip", &archive);

    let (_, _, failures) = read_all(&path);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].to_string().contains("CRC-32"),
        "{}",
        failures[0]
    );
}

#[test]
fn truncated_zip_fails_to_open() {
    let dir = TempDir::new().unwrap();
    let mut archive = zip(
        &[("a_1.json.gz", gzip(EXAMPLES.as_bytes()))],
        CompressionMethod::Stored,
    );
    archive.truncate(archive.len() - 30);
    let path = write(&dir, "a.zip", &archive);
    let error = Source::open(&path).unwrap_err();
    assert!(matches!(error, Error::Zip { .. }), "{error}");
    assert!(error.to_string().contains("a.zip"), "{error}");
}

#[test]
fn empty_file_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "empty.zip", b"");
    assert!(matches!(Source::open(&path), Err(Error::Empty { .. })));
}

#[test]
fn bom_crlf_and_blank_lines() {
    let dir = TempDir::new().unwrap();
    let data = b"\xef\xbb\xbf{\"registration\":\"A1\"}\r\n\r\n   \n{\"registration\":\"A2\"}\r\n";
    let path = write(&dir, "a.json", data);
    let (records, rejects, failures) = read_all(&path);
    assert_eq!(registrations(&records), ["A1", "A2"]);
    assert_eq!(records[1].1.line, 4);
    assert!(rejects.is_empty());
    assert!(failures.is_empty());
}

#[test]
fn over_long_line_rejected_without_holding_it() {
    let dir = TempDir::new().unwrap();
    let mut data = format!("{{\"registration\":\"{}\"}}\n", "A".repeat(5000)).into_bytes();
    data.extend(b"{\"registration\":\"SHORT\"}\n");
    let path = write(&dir, "a.json", &data);
    let source = Source::open(&path).unwrap();
    let options = ReadOptions {
        max_line_bytes: 1000,
        max_raw_bytes: 100,
    };
    let results: Vec<_> = source
        .records(&source.members()[0], &options)
        .unwrap()
        .collect();

    let Err(RecordError::Line(rejected)) = &results[0] else {
        panic!("expected a reject")
    };
    assert!(
        rejected.reason.contains("5019 bytes"),
        "{}",
        rejected.reason
    );
    assert_eq!(rejected.raw.len(), 100);
    assert_eq!(rejected.length, 5019);
    let Ok(record) = &results[1] else {
        panic!("expected a record")
    };
    assert_eq!(record.vehicle.registration, "SHORT");
}

#[test]
fn zip_members_with_unsafe_names_are_only_labels() {
    let dir = TempDir::new().unwrap();
    let line = b"{\"registration\":\"A1\"}\n".to_vec();
    let archive = zip(
        &[("../../evil.json", line.clone()), ("/etc/x.json", line)],
        CompressionMethod::Stored,
    );
    let path = write(&dir, "a.zip", &archive);
    let (records, _, failures) = read_all(&path);
    assert_eq!(records.len(), 2);
    assert!(failures.is_empty());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
