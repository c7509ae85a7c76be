//! `mot load` end to end: generated archives into a real database, with
//! the generator's counts as the expected result.

mod common;

use common::{TestDb, path, stderr};
use mot_fixtures::{Counts, GenerateOptions, generate};

fn counts(db: &TestDb) -> Counts {
    Counts {
        vehicles: db.count("vehicles"),
        mot_tests: db.count("mot_tests"),
        defects: db.count("defects"),
    }
}

#[test]
fn bulk_and_deltas_reach_expected_counts() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles: 10_000,
        deltas: 3,
        ..GenerateOptions::default()
    };
    let manifest = generate(dir.path(), &options).unwrap();
    let db = TestDb::new();

    let output = db.mot(&["load", path(dir.path())]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(counts(&db), manifest.final_counts());
    let states = db.query("SELECT DISTINCT state FROM import_log");
    assert_eq!(states, vec![vec![Some("loaded".to_owned())]]);

    // A second run loads nothing and changes nothing.
    let before = db.dump();
    let output = db.mot(&["load", path(dir.path())]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("0 members loaded"),
        "{}",
        stderr(&output)
    );
    assert_eq!(db.dump(), before);
    let runs = db.query("SELECT status, members_loaded FROM import_batch_report ORDER BY id");
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[1],
        vec![Some("succeeded".to_owned()), Some("0".to_owned())]
    );
}

#[test]
fn deltas_one_by_one_match_expected_counts() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles: 2_000,
        deltas: 3,
        ..GenerateOptions::default()
    };
    let manifest = generate(dir.path(), &options).unwrap();
    let db = TestDb::new();

    let output = db.mot(&["load", path(&manifest.bulk.path)]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(counts(&db), manifest.after_bulk);
    for (delta, expected) in manifest.deltas.iter().zip(&manifest.after_each_delta) {
        let output = db.mot(&["load", path(&delta.path)]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(counts(&db), *expected, "after {}", delta.file_name);
    }
}

#[test]
fn bad_lines_become_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles: 1_000,
        deltas: 1,
        bad_lines: true,
        ..GenerateOptions::default()
    };
    let manifest = generate(dir.path(), &options).unwrap();
    let db = TestDb::new();

    let output = db.mot(&["load", path(dir.path())]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(counts(&db), manifest.final_counts());
    assert_eq!(db.count("import_rejects"), manifest.expected_rejects);
    let located =
        db.query("SELECT COUNT(*) FROM import_rejects WHERE line_number > 0 AND reason <> ''");
    assert_eq!(
        located[0][0].as_deref(),
        Some(manifest.expected_rejects.to_string().as_str())
    );

    // The same load with a reject limit of zero fails the members that have any.
    let strict = TestDb::new();
    let output = strict.mot(&["load", "--max-rejects", "0", path(dir.path())]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--max-rejects"),
        "{}",
        stderr(&output)
    );
    let failed = strict.query("SELECT COUNT(*) FROM import_log WHERE state = 'failed' AND error_kind = 'too-many-rejects'");
    assert_ne!(failed[0][0].as_deref(), Some("0"));
    // The lines that went over the limit are stored, as the message states.
    assert_ne!(strict.count("import_rejects"), 0);
}

#[test]
fn examples_through_the_binary() {
    let db = TestDb::new();
    let examples = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/examples.ndjson"
    );
    let output = db.mot(&["load", examples]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        counts(&db),
        Counts {
            vehicles: 3,
            mot_tests: 3,
            defects: 4
        }
    );

    let status = db.mot(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["members"][0]["state"], "loaded");
    assert_eq!(json["members"][0]["defects"], 4);
    assert_eq!(json["tables"]["mot_tests"], 3);
}

#[test]
fn second_bulk_needs_replace() {
    let dir = tempfile::tempdir().unwrap();
    let first = generate(
        dir.path(),
        &GenerateOptions {
            vehicles: 300,
            deltas: 0,
            ..GenerateOptions::default()
        },
    )
    .unwrap();
    let later_dir = tempfile::tempdir().unwrap();
    let later_date = chrono::NaiveDate::from_ymd_opt(2024, 7, 8).unwrap();
    let options = GenerateOptions {
        vehicles: 200,
        deltas: 0,
        seed: 2,
        bulk_date: later_date,
        ..GenerateOptions::default()
    };
    let second = generate(later_dir.path(), &options).unwrap();
    let db = TestDb::new();

    assert_eq!(
        db.mot(&["load", path(&first.bulk.path)]).status.code(),
        Some(0)
    );
    let refused = db.mot(&["load", path(&second.bulk.path)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--replace"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(db.count("vehicles"), 300);

    // The rejected bulk was only registered, so the next rejection still
    // names the bulk whose data is loaded.
    let notes = dir.path().join("notes.ndjson");
    std::fs::write(&notes, format!("{}\n", r#"{"registration":"X1"}"#)).unwrap();
    let refused = db.mot(&["load", path(&notes)]);
    assert_eq!(refused.status.code(), Some(2));
    let holds = format!("holds bulk {}", first.bulk.file_name);
    assert!(stderr(&refused).contains(&holds), "{}", stderr(&refused));

    let replaced = db.mot(&["load", "--replace", path(&second.bulk.path)]);
    assert_eq!(replaced.status.code(), Some(0), "{}", stderr(&replaced));
    assert_eq!(counts(&db), second.after_bulk);
}

#[test]
fn unreadable_file_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("bulk-light-vehicle_01-07-2024.zip");
    std::fs::write(&broken, b"PK\x03\x04 not really a zip").unwrap();
    let db = TestDb::new();

    let output = db.mot(&["load", path(&broken)]);
    assert_eq!(output.status.code(), Some(1));
    let rows = db.query("SELECT archive, member, state, error_kind FROM import_log");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][2].as_deref(), Some("failed"));
    assert_eq!(rows[0][3].as_deref(), Some("corrupt-input"));
}

#[test]
fn doctor_reports_settings() {
    let db = TestDb::new();
    let output = db.mot(&["doctor"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("local_infile is ON"), "{report}");
    assert!(report.contains("privileges"), "{report}");
    assert!(
        report
            .lines()
            .all(|l| l.starts_with("ok ") || l.starts_with("warn ")),
        "{report}"
    );
}

#[test]
fn huge_batch_size_splits_inserts() {
    // 100,000 vehicles per batch would put over 65,535 placeholders in one
    // INSERT of mot_tests rows; the loader must cut statements and batches
    // whatever BATCH_SIZE is.
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles: 3_000,
        deltas: 1,
        ..GenerateOptions::default()
    };
    let manifest = generate(dir.path(), &options).unwrap();
    let db = TestDb::new();

    let output = db.mot(&[
        "load",
        "--load-method",
        "insert",
        "--batch-size",
        "100000",
        path(dir.path()),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // mot_tests has 14 columns, so its rows alone need many statements.
    assert!(manifest.after_bulk.mot_tests * 14 > 3 * 65_535);
    assert_eq!(counts(&db), manifest.final_counts());
}

#[test]
fn file_of_only_rejects_fails() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "hello, this is not JSON\nnor is this\n").unwrap();
    let db = TestDb::new();

    let output = db.mot(&["load", path(&notes)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not MOT History data"),
        "{}",
        stderr(&output)
    );
    let rows = db.query("SELECT state, error_kind FROM import_log");
    assert_eq!(
        rows,
        vec![vec![
            Some("failed".to_owned()),
            Some("no-records".to_owned())
        ]]
    );
    assert_eq!(db.count("import_rejects"), 2);
}

#[test]
fn same_file_twice_loads_once() {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles: 300,
        deltas: 1,
        ..GenerateOptions::default()
    };
    let manifest = generate(dir.path(), &options).unwrap();
    let db = TestDb::new();
    let bulk = path(&manifest.bulk.path);
    let delta = path(&manifest.deltas[0].path);

    let output = db.mot(&["load", bulk, delta, bulk, delta]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("2 files:"), "{}", stderr(&output));
    assert_eq!(counts(&db), manifest.final_counts());
}

#[test]
fn load_waits_for_running_sync() {
    use mysql_async::prelude::Queryable;

    let db = TestDb::new();
    assert_eq!(db.mot(&["migrate"]).status.code(), Some(0));
    let url = format!("{}/{}", common::server_url(), db.name);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut holder = runtime.block_on(async {
        let opts = mysql_async::Opts::from_url(&url).unwrap();
        let mut conn = mysql_async::Conn::new(opts).await.unwrap();
        let name = format!("mot_sync_{}", db.name);
        let got: Option<i64> = conn
            .exec_first("SELECT GET_LOCK(?, 0)", (name,))
            .await
            .unwrap();
        assert_eq!(got, Some(1));
        conn
    });
    let examples = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/examples.ndjson"
    );

    let output = db.mot(&["load", examples]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("another mot sync, load or retry is running"),
        "{}",
        stderr(&output)
    );
    assert_eq!(db.count("vehicles"), 0);

    runtime.block_on(async { holder.query_drop("DO RELEASE_ALL_LOCKS()").await.unwrap() });
    let output = db.mot(&["load", examples]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
