//! Tests of the generated archives: layout, determinism, rejected lines and expected counts.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::OnceLock;

use mot_fixtures::{
    ArchiveInfo, BAD_LINES_PER_MEMBER, Compression, Counts, Error, GenerateOptions, Manifest,
    ReferenceLoader, Scenario, for_each_line, generate, write_scenario,
};
use serde_json::Value;

fn options(vehicles: u64, deltas: usize) -> GenerateOptions {
    GenerateOptions {
        vehicles,
        deltas,
        seed: 42,
        ..GenerateOptions::default()
    }
}

fn generate_in(dir: &Path, options: &GenerateOptions) -> Manifest {
    generate(dir, options).expect("generation succeeds")
}

/// Returns the raw bytes of every member of an archive, by member name.
fn member_bytes(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|index| {
            let mut member = archive.by_index(index).unwrap();
            let mut bytes = Vec::new();
            member.read_to_end(&mut bytes).unwrap();
            (member.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

/// Returns every line of an archive, members in order.
fn archive_lines(path: &Path) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for_each_line(path, |line| lines.push(line.to_vec())).unwrap();
    lines
}

/// Returns the number of concatenated gzip streams in `bytes`.
fn gzip_stream_count(bytes: &[u8]) -> usize {
    let mut rest = bytes;
    let mut streams = 0;
    while !rest.is_empty() {
        let mut decoder = flate2::bufread::GzDecoder::new(rest);
        std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
        rest = decoder.into_inner();
        streams += 1;
    }
    streams
}

/// Returns whether a line is one a loader must accept.
fn is_valid_line(line: &[u8]) -> bool {
    let mut loader = ReferenceLoader::new();
    loader.load_bulk_line(line).is_ok()
}

fn parse(line: &[u8]) -> Value {
    serde_json::from_slice(line).unwrap()
}

#[test]
fn same_seed_gives_identical_archives() {
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let options = GenerateOptions {
        bad_lines: true,
        ..options(800, 3)
    };
    let manifest = generate_in(first.path(), &options);
    generate_in(second.path(), &options);

    for archive in std::iter::once(&manifest.bulk).chain(&manifest.deltas) {
        let a = std::fs::read(&archive.path).unwrap();
        let b = std::fs::read(second.path().join(&archive.file_name)).unwrap();
        assert!(a == b, "{} differs between runs", archive.file_name);
    }
}

#[test]
fn other_seed_gives_other_content() {
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let manifest = generate_in(first.path(), &options(300, 1));
    generate_in(
        second.path(),
        &GenerateOptions {
            seed: 43,
            ..options(300, 1)
        },
    );
    let a = std::fs::read(&manifest.bulk.path).unwrap();
    let b = std::fs::read(second.path().join(&manifest.bulk.file_name)).unwrap();
    assert_ne!(a, b);
}

#[test]
fn file_names_follow_the_real_service() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = generate_in(dir.path(), &options(200, 3));
    assert_eq!(manifest.bulk.file_name, "bulk-light-vehicle_01-07-2024.zip");
    let names: Vec<&str> = manifest
        .deltas
        .iter()
        .map(|d| d.file_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "delta-light-vehicle_01-07-2024.zip",
            "delta-light-vehicle_02-07-2024.zip",
            "delta-light-vehicle_03-07-2024.zip",
        ]
    );
    let dates: Vec<String> = manifest
        .deltas
        .iter()
        .map(|d| d.created_on.to_string())
        .collect();
    assert_eq!(dates, ["2024-07-01", "2024-07-02", "2024-07-03"]);
    for archive in std::iter::once(&manifest.bulk).chain(&manifest.deltas) {
        assert!(archive.path.is_file());
        assert_eq!(
            archive.size_bytes,
            std::fs::metadata(&archive.path).unwrap().len()
        );
    }
}

#[test]
fn archives_have_numbered_members() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        members: 5,
        delta_members: 3,
        ..options(400, 2)
    };
    let manifest = generate_in(dir.path(), &options);

    let check = |archive: &ArchiveInfo, members: usize| {
        let base = archive.file_name.strip_suffix(".zip").unwrap();
        let names: Vec<String> = member_bytes(&archive.path)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let expected: Vec<String> = (1..=members)
            .map(|n| format!("{base}_{n}.json.gz"))
            .collect();
        assert_eq!(names, expected);
        assert_eq!(archive.members, members);
    };
    check(&manifest.bulk, 5);
    for delta in &manifest.deltas {
        check(delta, 3);
    }
}

#[test]
fn compression_option_sets_the_zip_method() {
    for (compression, method) in [
        (Compression::Deflate, zip::CompressionMethod::Deflated),
        (Compression::Stored, zip::CompressionMethod::Stored),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let manifest = generate_in(
            dir.path(),
            &GenerateOptions {
                compression,
                ..options(100, 1)
            },
        );
        for path in [&manifest.bulk.path, &manifest.deltas[0].path] {
            let mut archive = zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
            for index in 0..archive.len() {
                assert_eq!(archive.by_index(index).unwrap().compression(), method);
            }
        }
    }
}

#[test]
fn members_are_multi_stream_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = generate_in(dir.path(), &options(1000, 1));
    for archive in [&manifest.bulk, &manifest.deltas[0]] {
        for (number, (name, bytes)) in member_bytes(&archive.path).iter().enumerate() {
            let expected = if number % 2 == 0 { 2 } else { 3 };
            assert_eq!(gzip_stream_count(bytes), expected, "{name}");

            // A decoder that stops after the first stream loses lines.
            let mut single = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut single)
                .unwrap();
            let mut all = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut all)
                .unwrap();
            assert!(single.len() < all.len(), "{name}");
        }
    }
}

#[test]
fn single_stream_option() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        multi_member_gzip: false,
        ..options(300, 1)
    };
    let manifest = generate_in(dir.path(), &options);
    for (name, bytes) in member_bytes(&manifest.bulk.path) {
        assert_eq!(gzip_stream_count(&bytes), 1, "{name}");
    }
}

#[test]
fn line_counts_match_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        bad_lines: true,
        ..options(1000, 2)
    };
    let manifest = generate_in(dir.path(), &options);
    for archive in std::iter::once(&manifest.bulk).chain(&manifest.deltas) {
        let mut lines = 0;
        for (name, bytes) in member_bytes(&archive.path) {
            let reader = BufReader::new(flate2::read::MultiGzDecoder::new(&bytes[..]));
            let member_lines = reader.split(b'\n').count() as u64;
            assert!(member_lines > 0, "{name} is empty");
            lines += member_lines;
        }
        assert_eq!(lines, archive.lines, "{}", archive.file_name);
    }
    assert_eq!(manifest.bulk.lines, 1000 + manifest.bulk.rejects);
}

#[test]
fn every_line_is_valid_without_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = generate_in(dir.path(), &options(1000, 2));
    assert_eq!(manifest.expected_rejects, 0);
    for archive in std::iter::once(&manifest.bulk).chain(&manifest.deltas) {
        assert_eq!(archive.rejects, 0);
        for line in archive_lines(&archive.path) {
            assert!(is_valid_line(&line), "{}", String::from_utf8_lossy(&line));
        }
    }
}

#[test]
fn bad_lines_are_counted_per_archive() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        bad_lines: true,
        members: 3,
        ..options(900, 2)
    };
    let manifest = generate_in(dir.path(), &options);

    let mut total = 0;
    for archive in std::iter::once(&manifest.bulk).chain(&manifest.deltas) {
        let lines = archive_lines(&archive.path);
        let invalid = lines.iter().filter(|line| !is_valid_line(line)).count() as u64;
        assert_eq!(invalid, archive.rejects, "{}", archive.file_name);
        assert_eq!(invalid, archive.members as u64 * BAD_LINES_PER_MEMBER);
        total += invalid;
    }
    assert_eq!(total, manifest.expected_rejects);
}

#[test]
fn bad_lines_cover_each_rule() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        bad_lines: true,
        members: 1,
        ..options(50, 0)
    };
    let manifest = generate_in(dir.path(), &options);
    let mut reasons = Vec::new();
    for line in archive_lines(&manifest.bulk.path) {
        if let Err(reason) = ReferenceLoader::new().load_bulk_line(&line) {
            reasons.push(reason.to_string());
        }
    }
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "invalid date in firstUsedDate",
            "line is not a JSON object",
            "line is not valid UTF-8",
            "registration is missing or empty",
        ]
    );
}

/// Loads the manifest's archives with the reference loader and checks every count.
fn check_against_reference(manifest: &Manifest) {
    let mut loader = ReferenceLoader::new();
    loader.load_archive(&manifest.bulk.path, false).unwrap();
    assert_eq!(loader.counts(), manifest.after_bulk, "after the bulk");
    for (delta, expected) in manifest.deltas.iter().zip(&manifest.after_each_delta) {
        loader.load_archive(&delta.path, true).unwrap();
        assert_eq!(loader.counts(), *expected, "after {}", delta.file_name);
    }
    assert_eq!(loader.rejects(), manifest.expected_rejects);
}

#[test]
fn counts_match_the_reference_loader() {
    for (seed, bad_lines) in [(1, false), (2, true), (3, false), (4, true)] {
        let dir = tempfile::tempdir().unwrap();
        let options = GenerateOptions {
            seed,
            bad_lines,
            ..options(800, 3)
        };
        check_against_reference(&generate_in(dir.path(), &options));
    }
}

#[test]
fn counts_match_with_tiny_bulks() {
    for vehicles in [1, 2, 3, 7] {
        let dir = tempfile::tempdir().unwrap();
        let options = GenerateOptions {
            bad_lines: true,
            ..options(vehicles, 3)
        };
        check_against_reference(&generate_in(dir.path(), &options));
    }
}

#[test]
fn reapplying_a_delta_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = generate_in(dir.path(), &options(1000, 3));
    let mut loader = ReferenceLoader::new();
    loader.load_archive(&manifest.bulk.path, false).unwrap();
    for (delta, expected) in manifest.deltas.iter().zip(&manifest.after_each_delta) {
        loader.load_archive(&delta.path, true).unwrap();
        loader.load_archive(&delta.path, true).unwrap();
        assert_eq!(
            loader.counts(),
            *expected,
            "{} applied twice",
            delta.file_name
        );
    }
}

#[test]
fn deltas_change_all_three_counts() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = generate_in(dir.path(), &options(2000, 2));
    let mut previous = manifest.after_bulk;
    for counts in &manifest.after_each_delta {
        assert_ne!(counts.vehicles, previous.vehicles);
        assert!(counts.mot_tests > previous.mot_tests);
        assert_ne!(counts.defects, previous.defects);
        previous = *counts;
    }
}

#[test]
fn deltas_cover_every_kind_of_line() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = generate_in(dir.path(), &options(1500, 2));
    let bulk: Vec<Value> = archive_lines(&manifest.bulk.path)
        .iter()
        .map(|l| parse(l))
        .collect();
    let bulk_plates: HashMap<&str, usize> = bulk.iter().fold(HashMap::new(), |mut map, v| {
        *map.entry(v["registration"].as_str().unwrap()).or_default() += 1;
        map
    });

    let first = archive_lines(&manifest.deltas[0].path);
    let second = archive_lines(&manifest.deltas[1].path);
    let first_values: Vec<Value> = first.iter().map(|l| parse(l)).collect();
    let kinds = |value: &Value| value["modification"].as_str().unwrap().to_owned();
    let plate = |value: &Value| value["registration"].as_str().unwrap().to_owned();

    for kind in ["CREATED", "UPDATED", "DELETED"] {
        assert!(
            first_values.iter().any(|v| kinds(v) == kind),
            "no {kind} line"
        );
    }
    let deleted_unknown = first_values
        .iter()
        .any(|v| kinds(v) == "DELETED" && !bulk_plates.contains_key(plate(v).as_str()));
    assert!(
        deleted_unknown,
        "no DELETED line for an unknown registration"
    );

    let mut per_plate: HashMap<String, Vec<String>> = HashMap::new();
    for value in &first_values {
        per_plate
            .entry(plate(value))
            .or_default()
            .push(kinds(value));
    }
    let twice: Vec<&Vec<String>> = per_plate.values().filter(|k| k.len() == 2).collect();
    assert!(
        twice.iter().any(|k| *k == &["UPDATED", "DELETED"]),
        "{twice:?}"
    );
    assert!(
        twice.iter().any(|k| *k == &["UPDATED", "UPDATED"]),
        "{twice:?}"
    );

    let colour_only = first_values
        .iter()
        .any(|v| kinds(v) == "UPDATED" && v["motTests"].as_array().unwrap().is_empty());
    assert!(colour_only, "no UPDATED line without tests");
    let full_history = first_values.iter().any(|v| {
        let tests = v["motTests"].as_array().unwrap().len();
        let plate = plate(v);
        let stored = bulk.iter().find(|b| b["registration"] == plate.as_str());
        stored.is_some_and(|b| tests == b["motTests"].as_array().unwrap().len() + 1 && tests > 2)
    });
    assert!(
        full_history,
        "no UPDATED line with the full history and a new test"
    );

    // The second delta starts with some of the last lines of the first, byte for byte.
    let tail = &first[first.len() - 16..];
    let repeated = second.iter().take_while(|line| tail.contains(line)).count();
    assert!((1..=3).contains(&repeated), "{repeated} repeated lines");
}

/// Returns the manifest and lines of a bulk of 4,000 vehicles, generated once for the content
/// tests.
fn content_bulk() -> &'static (Manifest, Vec<Vec<u8>>) {
    static BULK: OnceLock<(Manifest, Vec<Vec<u8>>)> = OnceLock::new();
    BULK.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let manifest = generate_in(dir.path(), &options(4000, 0));
        let lines = archive_lines(&manifest.bulk.path);
        (manifest, lines)
    })
}

#[test]
fn bulk_covers_every_variant() {
    let (_, lines) = content_bulk();
    let text = String::from_utf8(lines.join(&b'\n')).unwrap();
    let needles = [
        r#""completedDate":"20"#,
        r#".000Z""#,
        r#""motTestNumber":"1"#,
        r#""dataSource":"CVS""#,
        r#""location":""#,
        r#""dataSource":"DVA NI""#,
        r#""dataSource":"dvsa""#,
        r#""dataSource":"DVSA""#,
        r#""dataSource":"dvla""#,
        r#""expiryDate":null"#,
        r#""odometerValue":null"#,
        r#""odometerUnit":"mi""#,
        r#""odometerUnit":"MI""#,
        r#""odometerUnit":"km""#,
        r#""odometerUnit":"KM""#,
        r#""odometerUnit":null"#,
        r#""odometerResultType":"OK""#,
        r#""odometerResultType":"READ""#,
        r#""odometerResultType":"UNREADABLE""#,
        r#""odometerResultType":"NO_ODOMETER""#,
        r#""regMarkTimeOfTest":"#,
        r#""registrationAtTimeOfTest":"#,
        r#""defects":[]"#,
        r#""dangerous":true"#,
        r#""text":"""#,
        r#"\"run flat\""#,
        r#"o\\s rear"#,
        r#"\t"#,
        r#"\n"#,
        r#"\ud83d\ude97"#,
        "£",
        "é",
        "🚗",
        r#""engineSize":"1"#,
        r#""engineSize":1"#,
        r#""engineSize":null"#,
        r#""secondaryColour":"Not Stated""#,
        r#""secondaryColour":null"#,
        r#""model":null"#,
        r#""fuelType":"Hybrid Electric (Clean)""#,
        r#""motTests":[]"#,
        r#""last_update_date":"#,
        r#""vehicleClass":"4""#,
        r#""modification":"CREATED""#,
        r#""testResult":"FAILED""#,
    ];
    for needle in needles {
        assert!(text.contains(needle), "no line contains {needle}");
    }
    for kind in [
        "ADVISORY",
        "MINOR",
        "MAJOR",
        "DANGEROUS",
        "FAIL",
        "PRS",
        "NON SPECIFIC",
        "SYSTEM GENERATED",
        "USER ENTERED",
    ] {
        assert!(
            text.contains(&format!(r#""type":"{kind}""#)),
            "no defect of type {kind}"
        );
    }
}

#[test]
fn bulk_statistics_are_realistic() {
    let (manifest, lines) = content_bulk();
    let values: Vec<Value> = lines.iter().map(|l| parse(l)).collect();

    let mut plates: HashMap<&str, usize> = HashMap::new();
    let (mut tested, mut tests, mut max_tests, mut shared_dates) = (0, 0, 0, 0);
    let (mut with_defects, mut defects, mut missing_number) = (0, 0, 0);
    for value in &values {
        *plates
            .entry(value["registration"].as_str().unwrap())
            .or_default() += 1;
        let history = value["motTests"].as_array().unwrap();
        if !history.is_empty() {
            tested += 1;
        }
        tests += history.len();
        max_tests = max_tests.max(history.len());
        let dates: Vec<&Value> = history.iter().map(|t| &t["completedDate"]).collect();
        shared_dates += (1..dates.len())
            .filter(|&i| dates[i] == dates[i - 1])
            .count();
        for test in history {
            missing_number += usize::from(test.get("motTestNumber").is_none());
            if let Some(list) = test["defects"].as_array().filter(|list| !list.is_empty()) {
                with_defects += 1;
                defects += list.len();
            }
        }
    }

    let per_tested = tests as f64 / f64::from(tested);
    assert!(
        (8.0..=12.0).contains(&per_tested),
        "{per_tested} tests per tested vehicle"
    );
    assert!(max_tests >= 20, "longest history has {max_tests} tests");
    let per_test = defects as f64 / f64::from(with_defects);
    assert!(
        (2.0..=3.0).contains(&per_test),
        "{per_test} defects per test with defects"
    );
    let repeated = plates.values().filter(|&&count| count > 1).count();
    assert!(
        (3..=60).contains(&repeated),
        "{repeated} repeated registrations"
    );
    assert!(shared_dates > 0, "no two tests share a completedDate");
    assert!(missing_number > 0, "every test has a number");
    assert_eq!(
        manifest.after_bulk,
        Counts {
            vehicles: 4000,
            mot_tests: tests as u64,
            defects: defects as u64
        }
    );
}

#[test]
fn forced_zip64_members_open() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        force_zip64: true,
        ..options(300, 1)
    };
    let manifest = generate_in(dir.path(), &options);
    for archive in [&manifest.bulk, &manifest.deltas[0]] {
        // The first local header's extra field is the ZIP64 one (id 0x0001).
        let bytes = std::fs::read(&archive.path).unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let name_length = usize::from(u16::from_le_bytes([bytes[26], bytes[27]]));
        let extra = 30 + name_length;
        assert_eq!(u16::from_le_bytes([bytes[extra], bytes[extra + 1]]), 1);
        assert_eq!(archive_lines(&archive.path).len() as u64, archive.lines);
    }
}

#[test]
fn invalid_options_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for options in [
        GenerateOptions {
            vehicles: 0,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            members: 0,
            ..GenerateOptions::default()
        },
        GenerateOptions {
            delta_members: 0,
            ..GenerateOptions::default()
        },
    ] {
        let result = generate(dir.path(), &options);
        assert!(
            matches!(result, Err(Error::InvalidOption { .. })),
            "{result:?}"
        );
    }
}

#[test]
fn manifest_round_trips_through_json() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = generate_in(dir.path(), &options(100, 2));
    let json = serde_json::to_string(&manifest).unwrap();
    let back: Manifest = serde_json::from_str(&json).unwrap();
    assert_eq!(back, manifest);
    assert_eq!(manifest.final_counts(), manifest.after_each_delta[1]);

    let summary = manifest.to_string();
    assert!(summary.contains("bulk-light-vehicle_01-07-2024.zip"));
    assert!(summary.contains("delta-light-vehicle_02-07-2024.zip"));
    assert!(summary.contains(&manifest.final_counts().mot_tests.to_string()));
}

/// A bulk of four lines and one delta, with the counts worked out by hand line by line.
#[test]
fn scenario_counts_match_hand_computed() {
    let bulk = [
        // Vehicle 1: tests 100000000001 (1 defect) and 100000000002 (2 defects).
        r#"{"registration":"AB12CDE","motTests":[{"motTestNumber":100000000001,"completedDate":"2020-01-01 10:00:00","testResult":"PASSED","odometerValue":"1000","defects":[{"text":"a","type":"ADVISORY","dangerous":false}]},{"motTestNumber":"100000000002","completedDate":"2021-01-01 10:00:00","testResult":"FAILED","odometerValue":"2000","defects":[{"text":"b","type":"MAJOR","dangerous":false},{"text":"","type":"MINOR","dangerous":false}]}]}"#,
        // Vehicle 2 shares the registration: test 100000000003 without defects.
        r#"{"registration":"AB12CDE","modification":"CREATED","motTests":[{"motTestNumber":100000000003,"completedDate":"2022-01-01 10:00:00","testResult":"PASSED","odometerValue":"500","defects":[]}]}"#,
        // Vehicle 3: an unnumbered DVA NI test without a defects key.
        r#"{"registration":"XY99ZZZ","motTests":[{"completedDate":"2019-05-05 09:00:00","testResult":"PASSED","odometerValue":"500","dataSource":"DVA NI"}]}"#,
        // Rejected: invalid JSON.
        r#"{"registration":"BAD1""#,
    ];
    let delta = [
        // Matches vehicle 2, the one with test 3, whose defects go from 0 to 2.
        r#"{"registration":"AB12CDE","modification":"UPDATED","motTests":[{"motTestNumber":"100000000003","completedDate":"2022-01-01 10:00:00","testResult":"PASSED","odometerValue":"500","defects":[{"text":"c","type":"ADVISORY","dangerous":false},{"text":"d","type":"ADVISORY","dangerous":false}]}]}"#,
        // No test number matches: the newest holder, vehicle 2, gets a new test with 1 defect.
        r#"{"registration":"AB12CDE","modification":"UPDATED","motTests":[{"motTestNumber":100000000009,"completedDate":"2024-06-30 10:00:00","testResult":"PASSED","odometerValue":"900","defects":[{"text":"e","type":"MINOR","dangerous":false}]}]}"#,
        // The unnumbered test matches by date (ISO form), result and odometer: 0 -> 1 defect.
        // The second test differs in odometer, so it is added, without defects.
        r#"{"registration":"XY99ZZZ","modification":"UPDATED","motTests":[{"completedDate":"2019-05-05T09:00:00.000Z","testResult":"PASSED","odometerValue":"500","defects":[{"text":"f","type":"PRS","dangerous":false}]},{"completedDate":"2019-05-05 09:00:00","testResult":"PASSED","odometerValue":"600","defects":[]}]}"#,
        // Matches vehicle 1 by its test number: removes 1 vehicle, 2 tests, 3 defects.
        r#"{"registration":"AB12CDE","modification":"DELETED","motTests":[{"motTestNumber":100000000001}]}"#,
        // Unknown registration: nothing to delete.
        r#"{"registration":"NOPE123","modification":"DELETED","motTests":[]}"#,
        // A new vehicle with 1 test and 2 defects, then the same line again, which changes nothing.
        r#"{"registration":"NEW1","modification":"CREATED","motTests":[{"motTestNumber":100000000010,"completedDate":"2024-06-30 11:00:00","testResult":"FAILED","odometerValue":"10","defects":[{"text":"g","type":"FAIL","dangerous":true},{"text":"h","type":"DANGEROUS","dangerous":true}]}]}"#,
        r#"{"registration":"NEW1","modification":"CREATED","motTests":[{"motTestNumber":100000000010,"completedDate":"2024-06-30 11:00:00","testResult":"FAILED","odometerValue":"10","defects":[{"text":"g","type":"FAIL","dangerous":true},{"text":"h","type":"DANGEROUS","dangerous":true}]}]}"#,
        // Rejected: no registration, and an impossible date.
        r#"{"modification":"UPDATED","motTests":[]}"#,
        r#"{"registration":"XY99ZZZ","firstUsedDate":"2023-02-30","modification":"UPDATED","motTests":[]}"#,
    ];
    let scenario = Scenario {
        bulk_date: chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap(),
        members: 2,
        bulk: bulk.iter().map(|line| line.as_bytes().to_vec()).collect(),
        deltas: vec![delta.iter().map(|line| line.as_bytes().to_vec()).collect()],
    };
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_scenario(dir.path(), &scenario).unwrap();

    let after_bulk = Counts {
        vehicles: 3,
        mot_tests: 4,
        defects: 3,
    };
    assert_eq!(manifest.after_bulk, after_bulk);
    assert_eq!(manifest.bulk.rejects, 1);
    assert_eq!(
        manifest.after_each_delta,
        [Counts {
            vehicles: 3,
            mot_tests: 5,
            defects: 6
        }]
    );
    assert_eq!(manifest.deltas[0].rejects, 2);
    assert_eq!(manifest.expected_rejects, 3);

    // The archives hold the lines as given.
    assert_eq!(archive_lines(&manifest.bulk.path), scenario.bulk);
    assert_eq!(archive_lines(&manifest.deltas[0].path), scenario.deltas[0]);
    check_against_reference(&manifest);
}

/// A generated bulk of 3 vehicles and one small delta, whose lines were counted by hand:
///
/// - bulk: 11 tests with 0+0+1+0+1+1+2+8+3+1+3 = 20 defects, 8 tests with 0+2+1+0+2+2+0+2 = 9
///   defects, and 1 test without defects: 3 vehicles, 20 tests, 29 defects;
/// - CREATED for a new registration without tests: 4 vehicles;
/// - UPDATED with the full history of the second vehicle plus a new test with 1 defect, one
///   stored test going from 0 to 2 defects: 21 tests, 32 defects;
/// - UPDATED with one new test (3 defects) for the first vehicle: 22 tests, 35 defects;
/// - DELETED for an unknown registration: no change.
///
/// A change to the generator's content changes these numbers; recount them from the lines
/// this test prints with `--nocapture`.
#[test]
fn tiny_generated_case_matches_hand_count() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles: 3,
        deltas: 1,
        seed: 7,
        delta_updates: Some(2),
        delta_created: Some(1),
        delta_deleted: Some(1),
        ..GenerateOptions::default()
    };
    let manifest = generate_in(dir.path(), &options);
    let delta = archive_lines(&manifest.deltas[0].path);
    for line in archive_lines(&manifest.bulk.path).iter().chain(&delta) {
        println!("{}", String::from_utf8_lossy(line));
    }

    let modifications: Vec<Value> = delta
        .iter()
        .map(|l| parse(l)["modification"].clone())
        .collect();
    assert_eq!(modifications, ["CREATED", "UPDATED", "UPDATED", "DELETED"]);
    assert_eq!(
        manifest.after_bulk,
        Counts {
            vehicles: 3,
            mot_tests: 20,
            defects: 29
        }
    );
    assert_eq!(
        manifest.after_each_delta,
        [Counts {
            vehicles: 4,
            mot_tests: 22,
            defects: 35
        }]
    );
    check_against_reference(&manifest);
}

/// Measures generation speed: run with `cargo test --release -p mot-fixtures -- --ignored`.
#[test]
#[ignore = "a timing run of 200,000 vehicles, for release builds"]
fn speed_of_200k_vehicles() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles: 200_000,
        deltas: 6,
        ..GenerateOptions::default()
    };
    let started = std::time::Instant::now();
    let manifest = generate_in(dir.path(), &options);
    let elapsed = started.elapsed();
    println!("{manifest}");
    println!("generated in {elapsed:.2?}");
}
