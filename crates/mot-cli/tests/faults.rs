//! Hostile inputs and server faults through the `mot` binary. Each case
//! must end in a clear error or a reject row naming its file and line,
//! with every good row loaded and no member marked `loaded` that is not.
//!
//! Cases on the shared server use databases named `mot_hostile_*`. Cases
//! that need other server settings, a restart or a full disk start a
//! MariaDB server of their own on a free 127.0.0.1 port. Tests named
//! `slow_*` are ignored by default; `scripts/faults.sh --slow` runs them.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{MariaDb, ServerDb, path, stderr};
use flate2::Compression;
use flate2::write::GzEncoder;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const MIB: usize = 1024 * 1024;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zip_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, data) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A valid vehicle line with one test and one defect.
fn good(registration: &str) -> String {
    format!(
        "{{\"registration\":\"{registration}\",\"make\":\"FORD\",\"motTests\":[{{\"motTestNumber\":100000000001,\
         \"completedDate\":\"2023-02-17 09:17:46\",\"testResult\":\"PASSED\",\"odometerValue\":\"1000\",\
         \"odometerUnit\":\"mi\",\"defects\":[{{\"text\":\"lens scuffed\",\"type\":\"ADVISORY\",\"dangerous\":false}}]}}]}}\n"
    )
}

fn exit_code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// A rejected line as stored: archive, member, line, reason, full length.
#[derive(Debug)]
struct Rejected {
    archive: String,
    member: String,
    line: u64,
    reason: String,
    raw_length: u64,
}

fn rejects(db: &ServerDb) -> Vec<Rejected> {
    db.query(
        "SELECT l.archive, l.member, r.line_number, r.reason, r.raw_length FROM import_rejects r \
         JOIN import_log l ON l.id = r.import_id ORDER BY l.member_index, r.line_number",
    )
    .into_iter()
    .map(|row| {
        let text = |i: usize| row[i].clone().unwrap_or_default();
        Rejected {
            archive: text(0),
            member: text(1),
            line: text(2).parse().unwrap(),
            reason: text(3),
            raw_length: text(4).parse().unwrap(),
        }
    })
    .collect()
}

/// `(member, state, error_kind, error_text)` of each import_log row.
fn states(db: &ServerDb) -> Vec<(String, String, String, String)> {
    db.query("SELECT member, state, error_kind, error_text FROM import_log ORDER BY id")
        .into_iter()
        .map(|row| {
            let text = |i: usize| row[i].clone().unwrap_or_default();
            (text(0), text(1), text(2), text(3))
        })
        .collect()
}

/// Checks that every bulk member marked `loaded` has exactly the vehicles
/// it reports written.
fn assert_loaded_members_complete(db: &ServerDb) {
    let rows = db.query(
        "SELECT l.member, l.vehicles_written, (SELECT COUNT(*) FROM vehicles v \
         WHERE v.id BETWEEN l.id << 32 AND (l.id << 32) | 0xffffffff) \
         FROM import_log l WHERE l.state = 'loaded' AND l.kind = 'bulk'",
    );
    for row in rows {
        assert_eq!(
            row[1], row[2],
            "member {:?} is loaded but incomplete",
            row[0]
        );
    }
}

/// Loads `lines` as one plain NDJSON file and returns the exit code.
fn load_lines(db: &ServerDb, dir: &Path, name: &str, lines: &[&[u8]]) -> Output {
    let file = write(dir, name, &lines.concat());
    db.mot(&["load", path(&file)])
}

/// Checks that the one reject names `field` in its reason and `line` as its
/// line.
fn assert_reject(rejected: &Rejected, line: u64, field: &str) {
    assert_eq!(rejected.line, line, "{rejected:?}");
    assert!(
        rejected.reason.contains(field),
        "reason {:?} should name {field}",
        rejected.reason
    );
}

#[test]
fn member_names_stay_labels() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let names = [
        "../../mot_hostile_escape_1.json.gz",
        "/tmp/mot_hostile_absolute_2.json.gz",
        "..\\..\\mot_hostile_windows_3.json.gz",
    ];
    let members: Vec<(&str, Vec<u8>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, gzip(good(&format!("NAME{i}")).as_bytes())))
        .collect();
    let archive = write(
        dir.path(),
        "bulk-light-vehicle_01-07-2024.zip",
        &zip_bytes(&members),
    );
    let db = ServerDb::shared();

    let output = db
        .command(&["load", path(&archive)])
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), 3);
    let stored: Vec<String> = states(&db).into_iter().map(|s| s.0).collect();
    assert_eq!(stored, names);
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert!(!Path::new("/tmp/mot_hostile_absolute_2.json.gz").exists());
}

#[test]
fn duplicate_member_names_fail_clearly() {
    // The zip writer refuses duplicate names, so the second name is
    // patched in the local and central headers after writing.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = zip_bytes(&[
        ("bulk_1.json", good("DUP1").into_bytes()),
        ("bulk_2.json", good("DUP2").into_bytes()),
    ]);
    let mut patched = 0;
    for at in 0..bytes.len() - 11 {
        if &bytes[at..at + 11] == b"bulk_2.json" {
            bytes[at..at + 11].copy_from_slice(b"bulk_1.json");
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
    let archive = write(dir.path(), "bulk-light-vehicle_01-07-2024.zip", &bytes);
    let db = ServerDb::shared();

    let output = db.mot(&["load", path(&archive)]);
    assert_eq!(exit_code(&output), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("two or more members with the same name"),
        "{}",
        stderr(&output)
    );
    assert_eq!(db.count("vehicles"), 0);
    let loaded = db.query("SELECT COUNT(*) FROM import_log WHERE state = 'loaded'");
    assert_eq!(loaded[0][0].as_deref(), Some("0"));
}

#[test]
fn empty_archive_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = ZipWriter::new(std::io::Cursor::new(Vec::new()))
        .finish()
        .unwrap()
        .into_inner();
    let archive = write(dir.path(), "bulk-light-vehicle_01-07-2024.zip", &bytes);
    let db = ServerDb::shared();

    let output = db.mot(&["load", path(&archive)]);
    assert_eq!(exit_code(&output), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no members"),
        "{}",
        stderr(&output)
    );
    let rows = states(&db);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "failed");
    assert_eq!(rows[0].2, "corrupt-input");
    assert!(rows[0].3.contains("no members"), "{}", rows[0].3);
}

#[test]
fn empty_member_loads_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let archive = zip_bytes(&[
        ("bulk_1.json.gz", Vec::new()),
        ("bulk_2.json.gz", gzip(b"")),
        ("bulk_3.json.gz", gzip(good("EMPTY3").as_bytes())),
    ]);
    let archive = write(dir.path(), "bulk-light-vehicle_01-07-2024.zip", &archive);
    let db = ServerDb::shared();

    let output = db.mot(&["load", path(&archive)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), 1);
    let rows = db.query("SELECT member, state, lines_read FROM import_log ORDER BY member_index");
    let lines: Vec<_> = rows
        .iter()
        .map(|r| (r[1].as_deref().unwrap(), r[2].as_deref().unwrap()))
        .collect();
    assert_eq!(lines, [("loaded", "0"), ("loaded", "0"), ("loaded", "1")]);
}

#[test]
fn zero_byte_file_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "delta-light-vehicle_03-07-2024.zip", b"");
    let db = ServerDb::shared();

    let output = db.mot(&["load", path(&file)]);
    assert_eq!(exit_code(&output), Some(1), "{}", stderr(&output));
    let rows = states(&db);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "failed");
    assert!(rows[0].3.contains("0 bytes"), "{}", rows[0].3);
}

#[test]
fn gzip_trailing_garbage_fails_member() {
    let dir = tempfile::tempdir().unwrap();
    let clean = gzip([good("TAIL1"), good("TAIL2")].concat().as_bytes());
    let mut dirty = clean.clone();
    dirty.extend_from_slice(b"trailing garbage after the gzip stream");
    let name = "bulk-light-vehicle_01-07-2024.zip";
    let second = gzip(good("TAIL3").as_bytes());
    let archive = write(
        dir.path(),
        name,
        &zip_bytes(&[
            ("bulk_1.json.gz", dirty),
            ("bulk_2.json.gz", second.clone()),
        ]),
    );
    let db = ServerDb::shared();

    // One vehicle per batch, so the first member commits rows before the
    // garbage is reached.
    let output = db.mot(&["load", "--batch-size", "1", path(&archive)]);
    assert_eq!(exit_code(&output), Some(1), "{}", stderr(&output));
    let rows = states(&db);
    assert_eq!(rows[0].1, "failed");
    assert_eq!(rows[0].2, "corrupt-input");
    assert!(rows[0].3.contains("bulk_1.json.gz"), "{}", rows[0].3);
    assert_eq!(rows[1].1, "loaded");
    assert_loaded_members_complete(&db);

    // The fixed archive under the same name loads without duplicates.
    write(
        dir.path(),
        name,
        &zip_bytes(&[("bulk_1.json.gz", clean), ("bulk_2.json.gz", second)]),
    );
    let output = db.mot(&["load", path(&archive)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), 3);
    assert_eq!(db.count("mot_tests"), 3);
    assert_loaded_members_complete(&db);
}

#[test]
fn line_of_64_mib_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(b"{\"registration\":\"").unwrap();
    let filler = vec![b'A'; MIB];
    for _ in 0..64 {
        encoder.write_all(&filler).unwrap();
    }
    encoder.write_all(b"\"}\n").unwrap();
    encoder.write_all(good("AFTERLONG").as_bytes()).unwrap();
    let file = write(dir.path(), "long.json.gz", &encoder.finish().unwrap());
    let db = ServerDb::shared();

    let output = db.mot(&["load", path(&file)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), 1);
    let rejected = rejects(&db);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].archive, "long.json.gz");
    assert_eq!(rejected[0].member, "long.json.gz");
    assert_reject(&rejected[0], 1, "16777216 byte limit");
    assert_eq!(rejected[0].raw_length, (64 * MIB + 19) as u64);
    let kept = db.query("SELECT LENGTH(raw_line) FROM import_rejects");
    assert_eq!(kept[0][0].as_deref(), Some("65536"));
}

#[test]
fn invalid_utf8_bom_and_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let db = ServerDb::shared();
    let first = good("BOM1").replace('\n', "\r\n");
    let third = good("CRLF3").replace('\n', "\r\n");
    let output = load_lines(
        &db,
        dir.path(),
        "mixed.ndjson",
        &[
            b"\xef\xbb\xbf",
            first.as_bytes(),
            b"{\"registration\":\"BAD\xff\"}\r\n",
            third.as_bytes(),
        ],
    );
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    let stored = db.query("SELECT registration FROM vehicles ORDER BY id");
    assert_eq!(
        stored,
        [[Some("BOM1".to_owned())], [Some("CRLF3".to_owned())]]
    );
    let rejected = rejects(&db);
    assert_eq!(rejected.len(), 1);
    assert_reject(&rejected[0], 2, "invalid UTF-8");
    assert_eq!(rejected[0].member, "mixed.ndjson");
}

#[test]
fn deep_nesting_rejected_without_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = ServerDb::shared();
    let within = format!(
        "{{\"registration\":\"DEEP1\",\"extra\":{}{}}}\n",
        "[".repeat(1000),
        "]".repeat(1000)
    );
    let array = format!("{}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let tests = format!(
        "{{\"registration\":\"DEEP3\",\"motTests\":{}{}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let objects = format!("{}1{}\n", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let output = load_lines(
        &db,
        dir.path(),
        "deep.ndjson",
        &[
            within.as_bytes(),
            array.as_bytes(),
            tests.as_bytes(),
            objects.as_bytes(),
            good("DEEP5").as_bytes(),
        ],
    );
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), 2);
    let lines: Vec<u64> = rejects(&db).iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4]);
}

#[test]
fn numbers_beyond_64_bits_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let db = ServerDb::shared();
    let big = "123456789012345678901234567890";
    let test_number =
        format!("{{\"registration\":\"N1\",\"motTests\":[{{\"motTestNumber\":{big}}}]}}\n");
    let engine = format!("{{\"registration\":\"N2\",\"engineSize\":{big}}}\n");
    let odometer =
        format!("{{\"registration\":\"N3\",\"motTests\":[{{\"odometerValue\":\"{big}\"}}]}}\n");
    let engine_u32 = "{\"registration\":\"N4\",\"engineSize\":4294967296}\n";
    let output = load_lines(
        &db,
        dir.path(),
        "numbers.ndjson",
        &[
            test_number.as_bytes(),
            engine.as_bytes(),
            odometer.as_bytes(),
            engine_u32.as_bytes(),
            good("N5").as_bytes(),
        ],
    );
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), 1);
    let rejected = rejects(&db);
    assert_eq!(rejected.len(), 4);
    assert_reject(&rejected[0], 1, "motTests[0].motTestNumber");
    assert_reject(&rejected[1], 2, "engineSize");
    assert_reject(&rejected[2], 3, "motTests[0].odometerValue");
    assert_reject(&rejected[3], 4, "engineSize");
}

#[test]
fn bad_dates_rejected_empty_date_null() {
    let dir = tempfile::tempdir().unwrap();
    let db = ServerDb::shared();
    let output = load_lines(
        &db,
        dir.path(),
        "dates.ndjson",
        &[
            b"{\"registration\":\"D1\",\"firstUsedDate\":\"0000-00-00\"}\n",
            b"{\"registration\":\"D2\",\"motTests\":[{\"expiryDate\":\"2023-02-30\"}]}\n",
            b"{\"registration\":\"D3\",\"firstUsedDate\":\"\",\"motTests\":[{\"completedDate\":\"\"}]}\n",
        ],
    );
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    let rejected = rejects(&db);
    assert_eq!(rejected.len(), 2);
    assert_reject(&rejected[0], 1, "firstUsedDate");
    assert_reject(&rejected[1], 2, "motTests[0].expiryDate");
    let stored = db.query("SELECT v.registration, v.first_used_date, t.completed_date FROM vehicles v JOIN mot_tests t ON t.vehicle_id = v.id");
    assert_eq!(stored, [[Some("D3".to_owned()), None, None]]);
}

/// Lines whose values exceed their columns, each with the field its reject
/// reason must name, and lines just within the limits.
fn over_long_lines() -> (Vec<(String, &'static str)>, Vec<String>) {
    let long_text = "d".repeat(65_536);
    let over = vec![
        (
            format!("{{\"registration\":\"{}\"}}\n", "R".repeat(33)),
            "registration",
        ),
        (
            format!(
                "{{\"registration\":\"L2\",\"make\":\"{}\"}}\n",
                "M".repeat(256)
            ),
            "make",
        ),
        (
            format!(
                "{{\"registration\":\"L3\",\"motTests\":[{{\"location\":\"{}\"}}]}}\n",
                "é".repeat(256)
            ),
            "motTests[0].location",
        ),
        (
            format!(
                "{{\"registration\":\"L4\",\"motTests\":[{{}},{{\"defects\":[{{}},{{\"text\":\"{long_text}\"}}]}}]}}\n"
            ),
            "motTests[1].defects[1].text",
        ),
    ];
    let within = vec![
        format!("{{\"registration\":\"{}\"}}\n", "😀".repeat(32)),
        format!(
            "{{\"registration\":\"L6\",\"motTests\":[{{\"defects\":[{{\"text\":\"{}\"}}]}}]}}\n",
            "d".repeat(65_535)
        ),
    ];
    (over, within)
}

fn assert_over_long_rejected(db: &ServerDb, over: &[(String, &str)]) {
    let rejected = rejects(db);
    assert_eq!(rejected.len(), over.len(), "{rejected:?}");
    for (index, (_, field)) in over.iter().enumerate() {
        assert_reject(&rejected[index], index as u64 + 1, field);
    }
    assert_eq!(db.count("vehicles"), 2);
    let text = db.query("SELECT LENGTH(text) FROM defects");
    assert_eq!(text, [[Some("65535".to_owned())]]);
    let plate = db.query(
        "SELECT CHAR_LENGTH(registration), LENGTH(registration) FROM vehicles ORDER BY id LIMIT 1",
    );
    assert_eq!(plate, [[Some("32".to_owned()), Some("128".to_owned())]]);
}

#[test]
fn over_long_strings_rejected_in_bulk() {
    let dir = tempfile::tempdir().unwrap();
    let db = ServerDb::shared();
    let (over, within) = over_long_lines();
    let mut lines: Vec<&[u8]> = over.iter().map(|(l, _)| l.as_bytes()).collect();
    lines.extend(within.iter().map(|l| l.as_bytes()));
    let output = load_lines(&db, dir.path(), "long-values.ndjson", &lines);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_over_long_rejected(&db, &over);
}

#[test]
fn over_long_strings_rejected_in_delta() {
    let dir = tempfile::tempdir().unwrap();
    let db = ServerDb::shared();
    let (over, within) = over_long_lines();
    let with_change = |line: &str| line.replacen('{', "{\"modification\":\"CREATED\",", 1);
    let over_lines: Vec<String> = over.iter().map(|(l, _)| with_change(l)).collect();
    let within_lines: Vec<String> = within.iter().map(|l| with_change(l)).collect();
    let mut lines: Vec<&[u8]> = over_lines.iter().map(|l| l.as_bytes()).collect();
    lines.extend(within_lines.iter().map(|l| l.as_bytes()));
    let output = load_lines(
        &db,
        dir.path(),
        "delta-light-vehicle_02-07-2024.ndjson",
        &lines,
    );
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    let kind = db.query("SELECT kind FROM import_log");
    assert_eq!(kind, [[Some("delta".to_owned())]]);
    assert_over_long_rejected(&db, &over);
}

#[test]
fn emoji_defect_text_stored_intact() {
    let text = "tyre 😀 worn 𝄞\ttab\\backslash \"quoted\" 'single'";
    let escaped = text
        .replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('"', "\\\"");
    let line = format!(
        "{{\"registration\":\"EMOJI1\",\"make\":\"CAFÉ 🚗\",\"motTests\":[{{\"defects\":[{{\"text\":\"{escaped}\"}}]}}]}}\n"
    );
    for method in ["load-data", "insert"] {
        let dir = tempfile::tempdir().unwrap();
        let db = ServerDb::shared();
        let file = write(dir.path(), "emoji.ndjson", line.as_bytes());
        let output = db.mot(&["load", "--load-method", method, path(&file)]);
        assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
        let stored = db.query("SELECT HEX(text) FROM defects");
        assert_eq!(stored[0][0], Some(hex(text.as_bytes())), "{method}");
        let make = db.query("SELECT HEX(make) FROM vehicles");
        assert_eq!(make[0][0], Some(hex("CAFÉ 🚗".as_bytes())), "{method}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Vehicles with one defect of `text_bytes` bytes each, as a bulk file.
fn wide_vehicles(count: usize, text_bytes: usize) -> String {
    let text = "w".repeat(text_bytes);
    (0..count)
        .map(|i| {
            format!(
                "{{\"registration\":\"WIDE{i}\",\"motTests\":[{{\"defects\":[{{\"text\":\"{text}\"}}]}}]}}\n"
            )
        })
        .collect()
}

/// Settings of the server the packet and timeout cases run against.
const SMALL_SERVER: &[&str] = &[
    "--max-allowed-packet=1M",
    "--wait-timeout=2",
    "--sql-mode=TRADITIONAL,NO_BACKSLASH_ESCAPES,ANSI_QUOTES,ONLY_FULL_GROUP_BY",
];

fn own_server(args: &[&str]) -> (tempfile::TempDir, MariaDb) {
    let dir = tempfile::tempdir().unwrap();
    let server = MariaDb::start_in(dir.path(), args);
    (dir, server)
}

fn load_wide(method: &str) {
    let (_dir, server) = own_server(SMALL_SERVER);
    let db = ServerDb::new(&server.url(), "mot_hostile_");
    let files = tempfile::tempdir().unwrap();
    let file = write(
        files.path(),
        "wide.ndjson",
        wide_vehicles(60, 60_000).as_bytes(),
    );

    let output = db.mot(&["load", "--load-method", method, path(&file)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("defects"), 60);
    let bytes = db.query("SELECT SUM(LENGTH(text)) FROM defects");
    assert_eq!(bytes[0][0].as_deref(), Some("3600000"));
}

#[test]
fn small_packet_insert_splits_statements() {
    load_wide("insert");
}

#[test]
fn small_packet_load_data() {
    load_wide("load-data");
}

#[test]
fn small_packet_many_large_rejects() {
    let (_dir, server) = own_server(SMALL_SERVER);
    let db = ServerDb::new(&server.url(), "mot_hostile_");
    let files = tempfile::tempdir().unwrap();
    // Forty unterminated records of 60 KB each: every one is rejected and
    // keeps its whole text, 2.4 MB in one batch.
    let broken: String = (0..40)
        .map(|i| {
            format!(
                "{{\"registration\":\"BROKEN{i}\",\"make\":\"{}\"\n",
                "b".repeat(60_000)
            )
        })
        .collect();
    let lines = [broken, good("AFTER")].concat();
    let file = write(files.path(), "rejects.ndjson", lines.as_bytes());

    let output = db.mot(&["load", path(&file)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(rejects(&db).len(), 40);
    assert_eq!(db.count("vehicles"), 1);
}

#[test]
fn session_overrides_server_sql_mode() {
    // The server runs with NO_BACKSLASH_ESCAPES and ANSI_QUOTES, which would
    // change how LOAD DATA reads escapes; the session mode replaces them.
    let (_dir, server) = own_server(SMALL_SERVER);
    let db = ServerDb::new(&server.url(), "mot_hostile_");
    let files = tempfile::tempdir().unwrap();
    let text = "a\\b\tc\nd\"e'f";
    let line = format!(
        "{{\"registration\":\"MODE1\",\"motTests\":[{{\"defects\":[{{\"text\":{}}}]}}]}}\n",
        serde_json::to_string(text).unwrap()
    );
    let too_long = format!(
        "{{\"registration\":\"MODE2\",\"make\":\"{}\"}}\n",
        "m".repeat(256)
    );
    let file = write(
        files.path(),
        "modes.ndjson",
        [line, too_long].concat().as_bytes(),
    );

    for method in ["load-data", "insert"] {
        let output = db.mot(&["load", "--load-method", method, path(&file)]);
        assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
        let stored = db.query("SELECT HEX(text) FROM defects");
        assert_eq!(stored, [[Some(hex(text.as_bytes()))]], "{method}");
        let rejected = rejects(&db);
        assert_eq!(rejected.len(), 1);
        assert_reject(&rejected[0], 2, "make");
        db.query("DROP TABLE defects, mot_tests, vehicles, import_rejects, import_log, import_batch_report, schema_migrations");
    }
    let status = db.mot(&["status", "--json"]);
    assert_eq!(exit_code(&status), Some(0), "{}", stderr(&status));
}

/// A gzip file of `good` lines around one line of `junk_gib` GiB, which
/// takes seconds to read and compresses to about 1 MB per GiB.
fn slow_file(
    dir: &Path,
    name: &str,
    before: &[String],
    junk_gib: usize,
    after: &[String],
) -> PathBuf {
    let mut bytes = gzip(before.concat().as_bytes());
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&vec![b'x'; 64 * MIB]).unwrap();
    let block = encoder.finish().unwrap();
    for _ in 0..junk_gib * 16 {
        bytes.extend_from_slice(&block);
    }
    bytes.extend(gzip(
        [String::from("\n"), after.concat()].concat().as_bytes(),
    ));
    write(dir, name, &bytes)
}

#[test]
#[ignore = "slow: reads an 8 GiB line so that pooled connections pass wait_timeout"]
fn slow_idle_connections_past_wait_timeout() {
    let (_dir, server) = own_server(SMALL_SERVER);
    let db = ServerDb::new(&server.url(), "mot_hostile_");
    let files = tempfile::tempdir().unwrap();
    let before: Vec<String> = (0..3).map(|i| good(&format!("IDLE{i}"))).collect();
    let after: Vec<String> = (3..6).map(|i| good(&format!("IDLE{i}"))).collect();
    let file = slow_file(files.path(), "idle.json.gz", &before, 8, &after);

    let output = db.mot(&["migrate"]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    let aborted = server.status("Aborted_clients");
    let output = db.mot(&["load", "--batch-size", "1", path(&file)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert!(
        server.status("Aborted_clients") > aborted,
        "no connection passed wait_timeout during the load; make the junk line longer"
    );
    assert_eq!(db.count("vehicles"), 6);
    assert_eq!(rejects(&db).len(), 1);
}

#[test]
#[ignore = "slow: writes a 4 GiB sparse archive and reads its 4 GiB member"]
fn slow_zip64_member_beyond_4gib() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("bulk-light-vehicle_01-07-2024.zip");
    let data = gzip([good("FAR1"), good("FAR2")].concat().as_bytes());
    common::write_sparse_zip64(&archive, (4 << 30) + 4096, "bulk_2.json.gz", &data);
    let db = ServerDb::shared();

    // The padding member is one 4 GiB line, so it is rejected whole and
    // fails as holding no record; the member beyond 4 GiB loads.
    let output = db.mot(&["load", path(&archive)]);
    assert_eq!(exit_code(&output), Some(1), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), 2);
    let rejected = rejects(&db);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].member, "padding_0.bin");
    assert_reject(&rejected[0], 1, "byte limit");
    assert_eq!(rejected[0].raw_length, (4 << 30) + 4096);
    let members = states(&db);
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].0, "padding_0.bin");
    assert_eq!(members[0].1, "failed");
    assert_eq!(members[0].2, "no-records");
    assert_eq!(members[1].0, "bulk_2.json.gz");
    assert_eq!(members[1].1, "loaded");
}

/// Bulk and delta lines for the restart case, and the delta's slow file.
fn restart_inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let bulk: String = (0..50).map(|i| good(&format!("REG{i}"))).collect();
    let bulk = write(dir, "bulk-light-vehicle_01-07-2024.ndjson", bulk.as_bytes());
    let change = |kind: &str, registration: String, number: u64| {
        format!(
            "{{\"registration\":\"{registration}\",\"modification\":\"{kind}\",\"motTests\":[{{\"motTestNumber\":{number},\
             \"completedDate\":\"2024-07-02 10:00:00\",\"testResult\":\"FAILED\",\"defects\":[{{\"text\":\"new\",\"type\":\"MAJOR\"}}]}}]}}\n"
        )
    };
    let before: Vec<String> = (0..10)
        .map(|i| change("UPDATED", format!("REG{i}"), 200_000_000_000 + i))
        .collect();
    let mut after: Vec<String> = (10..20)
        .map(|i| change("UPDATED", format!("REG{i}"), 200_000_000_000 + i))
        .collect();
    after.extend((0..5).map(|i| change("CREATED", format!("NEW{i}"), 300_000_000_000 + i)));
    after.extend(
        (40..45).map(|i| format!("{{\"registration\":\"REG{i}\",\"modification\":\"DELETED\"}}\n")),
    );
    let delta = slow_file(
        dir,
        "delta-light-vehicle_02-07-2024.json.gz",
        &before,
        8,
        &after,
    );
    (bulk, delta)
}

#[test]
#[ignore = "slow: restarts a server of its own while a delta is applied"]
fn slow_restart_during_delta() {
    let files = tempfile::tempdir().unwrap();
    let (bulk, delta) = restart_inputs(files.path());

    // The same files loaded without a fault give the expected tables.
    let expected = ServerDb::shared();
    for file in [&bulk, &delta] {
        let output = expected.mot(&["load", "--batch-size", "1", path(file)]);
        assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    }

    let (_dir, mut server) = own_server(&[]);
    let db = ServerDb::new(&server.url(), "mot_hostile_");
    let output = db.mot(&["load", path(&bulk)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));

    let child = db
        .command(&["load", "--batch-size", "1", path(&delta)])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the lines before the slow one are committed, then restart
    // while the loader reads on.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let lines = db.query("SELECT lines_read FROM import_log WHERE kind = 'delta'");
        let read: u64 = lines
            .first()
            .and_then(|r| r[0].as_deref())
            .map_or(0, |v| v.parse().unwrap());
        if read >= 10 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "delta made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.restart();
    let first = child.wait_with_output().unwrap();
    eprintln!(
        "run during the restart exited {:?}\n{}",
        first.status.code(),
        stderr(&first)
    );

    // Whatever that run did, a second run ends with the rows of an
    // undisturbed load. A failed run may have moved the delta to the failed
    // folder, so the inputs are written again first.
    let (_, delta) = restart_inputs(files.path());
    let output = db.mot(&["load", "--batch-size", "1", path(&delta)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.dump(), expected.dump());
    let states = db.query("SELECT DISTINCT state FROM import_log");
    assert_eq!(states, [[Some("loaded".to_owned())]]);
}

/// A tmpfs mounted on a directory, unmounted when dropped. Needs root.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(megabytes: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs needs root");
        Self { dir }
    }

    /// Frees space the way an operator would: by making the disk larger.
    fn grow(&self, megabytes: u32) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={megabytes}m")])
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
#[ignore = "slow: mounts a 48 MiB tmpfs (root only) and fills it from a load"]
fn slow_disk_full_during_load() {
    let disk = Tmpfs::mount(48);
    let mut server = MariaDb::start_in(disk.path(), &[]);
    let db = ServerDb::new(&server.url(), "mot_hostile_");
    let files = tempfile::tempdir().unwrap();
    let options = mot_fixtures::GenerateOptions {
        vehicles: 60_000,
        deltas: 0,
        members: 6,
        ..mot_fixtures::GenerateOptions::default()
    };
    let manifest = mot_fixtures::generate(files.path(), &options).unwrap();

    let output = db.mot(&["load", "--jobs", "1", path(&manifest.bulk.path)]);
    assert_ne!(exit_code(&output), Some(0), "{}", stderr(&output));
    eprintln!("server log after the disk filled:\n{}", server.error_log());

    // With space freed and the server restarted, nothing claims more than
    // it holds, and a second run completes the load.
    server.stop();
    disk.grow(512);
    server.restart();
    assert_loaded_members_complete(&db);
    let manifest = mot_fixtures::generate(files.path(), &options).unwrap();
    let output = db.mot(&["load", "--jobs", "1", path(&manifest.bulk.path)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), manifest.after_bulk.vehicles);
    assert_eq!(db.count("mot_tests"), manifest.after_bulk.mot_tests);
    assert_eq!(db.count("defects"), manifest.after_bulk.defects);
    assert_loaded_members_complete(&db);
    drop(db);
    server.stop();
}

#[test]
fn least_privilege_grant_suffices() {
    let (_dir, server) = own_server(&[]);
    let root = server.url();
    let name = "mot_hostile_least";
    for statement in [
        "CREATE USER 'mot_loader'@'127.0.0.1' IDENTIFIED BY 'loader-password'".to_owned(),
        format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP ON `{name}`.* TO 'mot_loader'@'127.0.0.1'"
        ),
    ] {
        common::query_on(&root, None, &statement);
    }
    let loader = format!(
        "mysql://mot_loader:loader-password@127.0.0.1:{}",
        server.port
    );
    let db = ServerDb::named(loader, name);
    let files = tempfile::tempdir().unwrap();
    let options = mot_fixtures::GenerateOptions {
        vehicles: 500,
        deltas: 2,
        ..mot_fixtures::GenerateOptions::default()
    };
    let manifest = mot_fixtures::generate(files.path(), &options).unwrap();

    let output = db.mot(&["load", path(files.path())]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), manifest.final_counts().vehicles);
    // --replace empties the tables with TRUNCATE, which needs DROP.
    let output = db.mot(&["load", "--replace", path(&manifest.bulk.path)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(db.count("vehicles"), manifest.after_bulk.vehicles);
    let grants = common::query_on(&root, None, "SHOW GRANTS FOR 'mot_loader'@'127.0.0.1'");
    assert!(!format!("{grants:?}").contains("FILE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: mounts a 1 MiB tmpfs (root only) as the download folder"]
async fn slow_disk_full_during_download() {
    const CLIENT_ID: &str = "faults-client";
    const CLIENT_SECRET: &str = "faults-secret-Hn3vR8";
    const API_KEY: &str = "faults-api-key-Wz5kP1";

    let files = tempfile::tempdir().unwrap();
    let options = mot_fixtures::GenerateOptions {
        vehicles: 6_000,
        deltas: 0,
        ..mot_fixtures::GenerateOptions::default()
    };
    let manifest = mot_fixtures::generate(files.path(), &options).unwrap();
    let source = std::fs::read(&manifest.bulk.path).unwrap();
    assert!(source.len() > 2 * MIB, "the bulk must not fit in 1 MiB");
    let server = mot_standin::StandIn::builder()
        .files_dir(files.path())
        .credentials(CLIENT_ID, CLIENT_SECRET, API_KEY)
        .start()
        .await
        .unwrap();
    let disk = Tmpfs::mount(1);
    let db = ServerDb::shared();
    let sync = || {
        let mut command = db.command(&["sync"]);
        common::use_standin(&mut command, &server, (CLIENT_ID, CLIENT_SECRET, API_KEY));
        command.env("DOWNLOAD_DIR", disk.path());
        command
    };

    let mut command = sync();
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let text = stderr(&output);
    eprintln!("{text}");
    assert_eq!(exit_code(&output), Some(1), "{text}");
    let name = manifest.bulk.path.file_name().unwrap().to_str().unwrap();
    assert!(text.contains(name), "the error names the file:\n{text}");
    assert!(
        text.contains("No space left on device"),
        "the error says the disk is full:\n{text}"
    );
    assert!(
        !disk.path().join(name).exists(),
        "a partial download was put in place"
    );
    assert_eq!(db.count("vehicles"), 0);
    assert_loaded_members_complete(&db);

    // With space freed, the next run resumes the download and loads it.
    disk.grow(64);
    let mut command = sync();
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read(disk.path().join(name)).unwrap(), source);
    let resumed = server.requests().iter().any(|request| {
        request
            .range
            .as_deref()
            .is_some_and(|r| !r.starts_with("bytes=0-"))
    });
    assert!(resumed, "the second run started the download over");
    assert_eq!(db.count("vehicles"), manifest.after_bulk.vehicles);
    assert_eq!(db.count("mot_tests"), manifest.after_bulk.mot_tests);
    assert_eq!(db.count("defects"), manifest.after_bulk.defects);
    assert_loaded_members_complete(&db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_wait_timeout_retried() {
    use mysql_async::prelude::Queryable;

    let (_dir, server) = own_server(&["--innodb-lock-wait-timeout=1"]);
    let db = ServerDb::new(&server.url(), "mot_hostile_");
    let files = tempfile::tempdir().unwrap();
    let options = mot_fixtures::GenerateOptions {
        vehicles: 500,
        deltas: 1,
        ..mot_fixtures::GenerateOptions::default()
    };
    let manifest = mot_fixtures::generate(files.path(), &options).unwrap();
    let output = db.mot(&["load", path(&manifest.bulk.path)]);
    assert_eq!(exit_code(&output), Some(0), "{}", stderr(&output));

    // Another session locks every vehicle row for three seconds, so the
    // delta's writes time out after one second until it lets go.
    let opts = mysql_async::Opts::from_url(&db.url()).unwrap();
    let mut blocker = mysql_async::Conn::new(opts).await.unwrap();
    blocker.query_drop("START TRANSACTION").await.unwrap();
    blocker
        .query_drop("SELECT id FROM vehicles FOR UPDATE")
        .await
        .unwrap();
    let mut command = db.command(&["load", path(&manifest.deltas[0].path)]);
    let delta = tokio::task::spawn_blocking(move || command.output().unwrap());
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    blocker.query_drop("COMMIT").await.unwrap();
    blocker.disconnect().await.unwrap();

    let output = delta.await.unwrap();
    let text = stderr(&output);
    assert_eq!(exit_code(&output), Some(0), "{text}");
    assert!(
        text.contains("Lock wait timeout"),
        "no lock wait timeout was hit:\n{text}"
    );
    assert!(text.contains("retrying"), "{text}");
    let expected = manifest.final_counts();
    assert_eq!(db.count("vehicles"), expected.vehicles);
    assert_eq!(db.count("mot_tests"), expected.mot_tests);
    assert_eq!(db.count("defects"), expected.defects);
    for (member, state, _, error) in states(&db) {
        assert_eq!(state, "loaded", "{member}: {error}");
    }
}
