//! Progress output: log lines with bytes, rate and ETA when stderr is not
//! a terminal, bars on a terminal, and neither with `--quiet`.

mod common;

use std::process::{Command, Output};

use common::{TestDb, path, stderr};
use mot_fixtures::{GenerateOptions, Manifest, generate};
use mot_standin::StandIn;

const CLIENT_ID: &str = "progress-client";
const CLIENT_SECRET: &str = "progress-secret-Rw2mX9";
const API_KEY: &str = "progress-api-key-Jc6tN4";

fn bulk(vehicles: u64) -> (tempfile::TempDir, Manifest) {
    let files = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        vehicles,
        deltas: 0,
        members: 1,
        ..GenerateOptions::default()
    };
    let manifest = generate(files.path(), &options).unwrap();
    (files, manifest)
}

/// Returns the lines of `text` that contain `message` and every one of `fields`.
fn lines_with<'a>(text: &'a str, message: &str, fields: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|line| line.contains(message) && fields.iter().all(|f| line.contains(f)))
        .collect()
}

#[test]
fn load_logs_progress_lines() {
    let db = TestDb::new();
    let (_files, manifest) = bulk(5_000);

    let output = db.mot(&[
        "load",
        "--progress-interval",
        "0",
        path(&manifest.bulk.path),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stderr(&output);
    let lines = lines_with(&text, "loading", &["percent=", "rate=", "eta=", "read="]);
    assert!(!lines.is_empty(), "no progress lines:\n{text}");
}

#[test]
fn default_interval_keeps_short_runs_quiet() {
    let db = TestDb::new();
    let (_files, manifest) = bulk(300);

    let output = db.mot(&["load", path(&manifest.bulk.path)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        lines_with(&text, "loading", &["percent="]).is_empty(),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_logs_progress_lines() {
    let (files, manifest) = bulk(2_000);
    let server = StandIn::builder()
        .files_dir(files.path())
        .credentials(CLIENT_ID, CLIENT_SECRET, API_KEY)
        .chunk_size(4096)
        .start()
        .await
        .unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_mot"));
    common::use_standin(&mut command, &server, (CLIENT_ID, CLIENT_SECRET, API_KEY));
    command
        .args(["download", "--progress-interval", "0"])
        .env("DOWNLOAD_DIR", downloads.path())
        .env_remove("RUST_LOG");
    let output: Output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();

    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let name = manifest.bulk.path.file_name().unwrap().to_str().unwrap();
    let lines = lines_with(&text, "downloading", &[name, "percent=", "rate=", "eta="]);
    assert!(!lines.is_empty(), "no progress lines:\n{text}");
}

/// Runs `mot ARGS` on a pseudo-terminal with `script`, so that stderr is a
/// terminal, and returns everything written to it.
fn on_terminal(db: &TestDb, args: &str) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_mot"));
    let output = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env(
            "DATABASE_URL",
            format!("{}/{}", common::server_url(), db.name),
        )
        .env("FAILED_DIR", db.folders.path().join("failed"))
        .env("COLUMNS", "160")
        .env_remove("RUST_LOG")
        .output()
        .expect("script not found; install util-linux");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{text}");
    text
}

#[test]
fn terminal_gets_bars_not_lines() {
    let db = TestDb::new();
    let (_files, manifest) = bulk(20_000);

    let text = on_terminal(&db, &format!("load {}", path(&manifest.bulk.path)));
    assert!(text.contains("ETA"), "no bar drawn:\n{text}");
    assert!(text.contains("/s"), "no rate in the bar:\n{text}");
    assert!(
        lines_with(&text, "loading", &["percent="]).is_empty(),
        "{text}"
    );
}

#[test]
fn quiet_draws_no_bars() {
    let db = TestDb::new();
    let (_files, manifest) = bulk(2_000);

    let text = on_terminal(&db, &format!("--quiet load {}", path(&manifest.bulk.path)));
    assert!(!text.contains("ETA"), "{text}");
}
