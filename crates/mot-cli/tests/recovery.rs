//! Failure handling end to end: quarantine and retry, `kill -9` at any
//! point, and connections dropped under a running load. Each case ends in
//! exactly the state a clean run reaches.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{TestDb, path, stderr};
use mot_fixtures::{GenerateOptions, Manifest, generate};

fn generated(vehicles: u64, deltas: usize) -> (tempfile::TempDir, Manifest) {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles,
        deltas,
        ..GenerateOptions::default()
    };
    let manifest = generate(dir.path(), &options).unwrap();
    (dir, manifest)
}

/// Loads `dir` into a fresh database and returns its ranked dump.
fn clean_run(dir: &Path) -> Vec<Vec<Option<String>>> {
    let db = TestDb::new();
    let output = db.mot(&["load", path(dir)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    db.dump_ranked()
}

/// Flips one byte inside the data of the zip entry at `index`, which its
/// CRC-32 then no longer matches.
fn corrupt_member(archive: &Path, index: usize) {
    let mut bytes = std::fs::read(archive).unwrap();
    let starts: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x03\x04")
        .map(|(i, _)| i)
        .collect();
    let header = starts[index];
    let name_len = u16::from_le_bytes([bytes[header + 26], bytes[header + 27]]) as usize;
    let extra_len = u16::from_le_bytes([bytes[header + 28], bytes[header + 29]]) as usize;
    let data = header + 30 + name_len + extra_len;
    bytes[data + 200] ^= 0x55;
    std::fs::write(archive, bytes).unwrap();
}

fn states(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query("SELECT state, COUNT(*) FROM import_log GROUP BY state ORDER BY state")
}

#[test]
fn corrupt_member_quarantined_then_retried() {
    let (dir, manifest) = generated(3_000, 1);
    let expected = clean_run(dir.path());

    let work = tempfile::tempdir().unwrap();
    let incoming = work.path().join("incoming");
    let failed = work.path().join("failed");
    let downloads = work.path().join("downloads");
    std::fs::create_dir(&incoming).unwrap();
    let bulk = incoming.join(&manifest.bulk.file_name);
    std::fs::copy(&manifest.bulk.path, &bulk).unwrap();
    corrupt_member(&bulk, 1);

    let db = TestDb::new();
    let output = db.mot(&["load", "--failed-dir", path(&failed), path(&incoming)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("corrupt"), "{}", stderr(&output));
    let failed_rows =
        db.query("SELECT member, error_kind, attempts FROM import_log WHERE state = 'failed'");
    assert_eq!(failed_rows.len(), 1);
    assert_eq!(failed_rows[0][1].as_deref(), Some("corrupt-input"));
    assert_eq!(failed_rows[0][2].as_deref(), Some("1"));
    assert!(!bulk.exists(), "the file must leave the input folder");
    let quarantined = failed.join(&manifest.bulk.file_name);
    assert!(quarantined.exists());

    // Retrying the same broken file fails again and counts the attempt.
    let output = db.mot(&[
        "retry",
        "--failed-dir",
        path(&failed),
        "--download-dir",
        path(&downloads),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(quarantined.exists());
    let attempts = db.query("SELECT attempts FROM import_log WHERE state = 'failed'");
    assert_eq!(attempts[0][0].as_deref(), Some("2"));

    // The operator replaces the file; the retry loads the missing member.
    std::fs::copy(&manifest.bulk.path, &quarantined).unwrap();
    let output = db.mot(&[
        "retry",
        "--failed-dir",
        path(&failed),
        "--download-dir",
        path(&downloads),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("1 succeeded"),
        "{}",
        stderr(&output)
    );
    assert!(!quarantined.exists());
    assert!(downloads.join(&manifest.bulk.file_name).exists());
    assert_eq!(
        states(&db),
        vec![vec![
            Some("loaded".into()),
            Some(manifest.bulk.members.to_string())
        ]]
    );

    // The delta waited for the bulk; loading it now reaches the clean state.
    let output = db.mot(&["load", path(&manifest.deltas[0].path)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(db.dump_ranked(), expected);
}

#[test]
fn kill_at_any_point_then_rerun() {
    let (dir, _manifest) = generated(20_000, 2);
    let expected = clean_run(dir.path());
    let db = TestDb::new();

    // Kill the load at growing delays: during registration, bulk batches,
    // between members and during the deltas.
    for delay_ms in [150, 600, 1_200, 2_000, 3_000, 4_500] {
        let mut child = db.spawn(&["load", path(dir.path())]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
    }
    let output = db.mot(&["load", path(dir.path())]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let states = states(&db);
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0][0].as_deref(), Some("loaded"));
    assert_eq!(db.dump_ranked(), expected);
}

#[test]
fn dropped_connections_mid_load() {
    let (dir, _manifest) = generated(20_000, 2);
    let expected = clean_run(dir.path());
    let db = TestDb::new();

    let mut child = db.spawn(&["load", path(dir.path())]);
    let started = Instant::now();
    let mut killed = 0;
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(700));
        killed += db.kill_connections();
    }
    let status = child.wait().unwrap();
    assert!(
        killed > 0,
        "the load ended before any connection was killed"
    );

    // Batches and member steps retry on a new connection. A kill that lands
    // in a statement without a retry fails that member, which the run then
    // quarantines; `mot retry` brings it back and a last load applies the
    // deltas that waited for it.
    if !status.success() {
        let failed = db.folders.path().join("failed");
        let output = db.mot(&[
            "retry",
            "--failed-dir",
            path(&failed),
            "--download-dir",
            path(dir.path()),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let output = db.mot(&["load", path(dir.path())]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    assert_eq!(db.dump_ranked(), expected);
}

#[test]
fn status_tells_interrupted_from_running() {
    let (dir, _manifest) = generated(20_000, 0);
    let db = TestDb::new();
    let loading = || {
        let rows = db.query("SELECT COUNT(*) FROM import_log WHERE state = 'loading'");
        rows.first().and_then(|r| r[0].clone()).unwrap_or_default() != "0"
    };

    assert_eq!(db.mot(&["migrate"]).status.code(), Some(0));
    let mut child = db.spawn(&["load", path(dir.path())]);
    let started = Instant::now();
    while !loading() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let running = db.mot(&["status", "--json"]);
    let _ = child.kill();
    child.wait().unwrap();
    assert!(loading(), "no member was loading when the load was killed");

    let json: serde_json::Value = serde_json::from_slice(&running.stdout).unwrap();
    assert_eq!(json["progress"]["run_active"], true);
    let output = db.mot(&["status"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("no mot run is active"), "{text}");
    assert!(!text.contains("left"), "{text}");
    let json = db.mot(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["progress"]["run_active"], false);
}
