//! `mot sync` and `mot download` end to end: the `mot` binary against the
//! in-process API stand-in and a real database.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{TestDb, server_url, stderr};
use mot_fixtures::{ArchiveInfo, Counts, GenerateOptions, Manifest, generate};
use mot_standin::{Endpoint, Fault, FileFault, ListingFault, RunningStandIn, StandIn};
use mysql_async::prelude::Queryable;
use tempfile::TempDir;

const CLIENT_ID: &str = "sync-test-client";
const CLIENT_SECRET: &str = "client-secret-Qx7fZ2wPq";
const API_KEY: &str = "api-key-Lm4rT9vKd";

/// A stand-in serving a files folder, a work folder for downloads, and a
/// throwaway database.
struct Fixture {
    server: RunningStandIn,
    files: TempDir,
    work: TempDir,
    db: TestDb,
}

impl Fixture {
    async fn start(files: TempDir) -> Fixture {
        let server = StandIn::builder()
            .files_dir(files.path())
            .credentials(CLIENT_ID, CLIENT_SECRET, API_KEY)
            .chunk_size(4096)
            .start()
            .await
            .expect("start the stand-in");
        Fixture {
            server,
            files,
            work: TempDir::new().unwrap(),
            db: TestDb::new(),
        }
    }

    /// Generates archives into a new files folder and serves them.
    async fn generated(options: &GenerateOptions) -> (Fixture, Manifest) {
        let files = TempDir::new().unwrap();
        let manifest = generate(files.path(), options).unwrap();
        (Fixture::start(files).await, manifest)
    }

    fn downloads(&self) -> PathBuf {
        self.work.path().join("downloads")
    }

    /// `mot ARGS` with the database and the stand-in set through the
    /// environment, as a cron job would set them.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mot"));
        common::use_standin(
            &mut command,
            &self.server,
            (CLIENT_ID, CLIENT_SECRET, API_KEY),
        );
        command
            .args(args)
            .env("DATABASE_URL", format!("{}/{}", server_url(), self.db.name))
            .env("DOWNLOAD_DIR", self.downloads())
            .env("FAILED_DIR", self.work.path().join("failed"))
            .env_remove("RUST_LOG");
        command
    }

    async fn mot(&self, args: &[&str]) -> Output {
        run(self.command(args)).await
    }

    fn file_requests(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .filter(|record| record.endpoint == Endpoint::File)
            .map(|record| record.path)
            .collect()
    }

    /// Returns the file name, `Range` header and response status of each
    /// file request, in the order the stand-in served them.
    fn file_log(&self) -> Vec<(String, Option<String>, u16)> {
        self.server
            .requests()
            .into_iter()
            .filter(|record| record.endpoint == Endpoint::File)
            .map(|record| {
                let name = record.path.rsplit('/').next().unwrap_or_default();
                (name.to_owned(), record.range, record.status)
            })
            .collect()
    }

    fn statuses(&self, endpoint: Endpoint) -> Vec<u16> {
        self.server
            .requests()
            .into_iter()
            .filter(|record| record.endpoint == endpoint)
            .map(|record| record.status)
            .collect()
    }

    /// Asserts that the download folder contains exactly `archives`, each
    /// byte-identical to its source, and nothing else (no `.part` file).
    fn assert_downloaded<'a>(&self, archives: impl IntoIterator<Item = &'a ArchiveInfo>) {
        let mut expected = Vec::new();
        for archive in archives {
            let downloaded = std::fs::read(self.downloads().join(&archive.file_name))
                .unwrap_or_else(|error| panic!("{} not downloaded: {error}", archive.file_name));
            let source = std::fs::read(&archive.path).unwrap();
            assert_eq!(
                downloaded.len(),
                source.len(),
                "size of {}",
                archive.file_name
            );
            assert!(
                downloaded == source,
                "{} differs from its source",
                archive.file_name
            );
            expected.push(archive.file_name.clone());
        }
        expected.sort();
        let mut found = walk(&self.downloads());
        found.sort();
        assert_eq!(found, expected, "files in the download folder");
    }

    fn counts(&self) -> Counts {
        Counts {
            vehicles: self.db.count("vehicles"),
            mot_tests: self.db.count("mot_tests"),
            defects: self.db.count("defects"),
        }
    }

    fn states(&self) -> Vec<Vec<Option<String>>> {
        self.db.query("SELECT DISTINCT state FROM import_log")
    }
}

/// Runs a command on a blocking thread, so the stand-in keeps serving on
/// the test's runtime, and prints its stderr for failing tests.
async fn run(mut command: Command) -> Output {
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    eprintln!(
        "mot exited {:?}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn small(vehicles: u64, deltas: usize) -> GenerateOptions {
    GenerateOptions {
        vehicles,
        deltas,
        ..GenerateOptions::default()
    }
}

fn assert_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "{expected:?} not in:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_loads_all_then_nothing() {
    let (fixture, manifest) = Fixture::generated(&small(2_000, 3)).await;

    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_contains(
        &stderr(&output),
        "4 files listed, 4 downloaded, 4 loaded, 0 skipped, 0 failed",
    );
    assert_eq!(fixture.counts(), manifest.final_counts());
    assert_eq!(fixture.states(), vec![vec![Some("loaded".to_owned())]]);

    let requests = fixture.file_requests().len();
    let dump = fixture.db.dump();
    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_contains(
        &stderr(&output),
        "4 files listed, 0 downloaded, 0 loaded, 4 skipped, 0 failed",
    );
    assert_eq!(
        fixture.file_requests().len(),
        requests,
        "second sync downloaded"
    );
    assert!(fixture.db.dump() == dump, "second sync changed the data");
    let runs = fixture.db.query("SELECT COUNT(*) FROM import_batch_report");
    assert_eq!(runs[0][0].as_deref(), Some("4"), "one load run per file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_loads_only_new_delta() {
    let staging = TempDir::new().unwrap();
    let manifest = generate(staging.path(), &small(1_000, 3)).unwrap();
    let fixture = Fixture::start(TempDir::new().unwrap()).await;
    let serve = |path: &Path| {
        let name = path.file_name().unwrap();
        std::fs::copy(path, fixture.files.path().join(name)).unwrap();
    };
    serve(&manifest.bulk.path);
    serve(&manifest.deltas[0].path);
    serve(&manifest.deltas[1].path);

    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(fixture.counts(), manifest.after_each_delta[1]);

    let newest = &manifest.deltas[2];
    serve(&newest.path);
    let before = fixture.file_requests().len();
    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0));
    let text = stderr(&output);
    assert_contains(&text, "4 files listed, 1 downloaded, 1 loaded, 3 skipped");
    assert_contains(&text, &format!("loaded {}", newest.file_name));
    let new_requests = &fixture.file_requests()[before..];
    assert!(
        new_requests
            .iter()
            .all(|path| path.ends_with(&newest.file_name)),
        "{new_requests:?}"
    );
    assert_eq!(fixture.counts(), manifest.final_counts());
    let attempts = fixture
        .db
        .query("SELECT DISTINCT attempts FROM import_log WHERE kind = 'bulk'");
    assert_eq!(attempts, vec![vec![Some("1".to_owned())]], "bulk reloaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_waits_for_running_sync() {
    let (fixture, manifest) = Fixture::generated(&small(200, 1)).await;
    let args = mot_cli::db::DbArgs {
        database_url: Some(format!("{}/{}", server_url(), fixture.db.name)),
        db_host: String::new(),
        db_port: 0,
        db_user: String::new(),
        db_password: None,
        db_name: String::new(),
        db_ssl_mode: None,
        db_ssl_ca: None,
    };
    let store = args.connect(mot_store::LoadMethod::Auto, 1).await.unwrap();
    let lock = store.try_lock("sync").await.unwrap().expect("lock is free");

    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert_contains(&text, "another mot sync, load or retry is running against");
    assert_contains(&text, &format!("(lock mot_sync_{})", fixture.db.name));
    assert_contains(&text, "try again when it finishes");
    assert_eq!(fixture.server.request_count(Endpoint::Listing), 0);

    lock.release().await;
    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(fixture.counts(), manifest.final_counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_survives_drop_and_expiry() {
    let (fixture, manifest) = Fixture::generated(&small(1_000, 2)).await;
    assert!(
        manifest.bulk.size_bytes > 20_000,
        "bulk too small for the faults"
    );
    // The first request breaks off after 10,000 bytes; the resumed request
    // finds its URL expired, so the client lists again and resumes.
    fixture
        .server
        .inject(FileFault::DropAfter { bytes: 10_000 });
    fixture.server.inject(FileFault::UrlExpired);

    let output = fixture.mot(&["download"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_contains(
        &stderr(&output),
        "3 selected: 3 downloaded, 0 already on disk, 0 failed",
    );
    fixture.assert_downloaded(manifest.archives().map(|(archive, _)| archive));
    let ranges = fixture
        .server
        .requests()
        .into_iter()
        .filter(|record| record.range.as_deref() == Some("bytes=10000-"))
        .count();
    assert!(ranges >= 1, "the download did not resume");
    assert!(
        fixture.server.request_count(Endpoint::Listing) >= 2,
        "no new listing"
    );

    let requests = fixture.file_requests().len();
    let output = fixture.mot(&["download", "--bulk"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_contains(
        &stderr(&output),
        "1 selected: 0 downloaded, 1 already on disk",
    );
    assert_eq!(fixture.file_requests().len(), requests);

    // `mot sync` loads the files `mot download` left, without fetching them
    // again.
    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_contains(
        &stderr(&output),
        "3 files listed, 0 downloaded, 3 loaded, 0 skipped, 0 failed",
    );
    assert_eq!(fixture.file_requests().len(), requests);
    fixture.assert_downloaded(manifest.archives().map(|(archive, _)| archive));
    assert_eq!(fixture.counts(), manifest.final_counts());
    assert_eq!(fixture.states(), vec![vec![Some("loaded".to_owned())]]);
}

/// Vehicles in the generated bulk of the fault tests: few enough to keep
/// each test short, and enough that the bulk archive (about 230 KB with the
/// default seed) is larger than twice [`MID_BODY`].
const FAULT_VEHICLES: u64 = 300;

/// Body bytes of the bulk file that a broken response delivers before it
/// breaks off, so the next request sends `Range: bytes=10000-`.
const MID_BODY: u64 = 10_000;

/// A `mot sync` that meets faults on its way to loading a bulk and two
/// deltas.
struct Recovery {
    /// Bytes of the bulk file written by hand to its `.part` file before
    /// the sync, as a killed earlier run leaves it.
    partial: Option<u64>,
    /// Faults, in the order the requests of their endpoints consume them.
    /// The first file request is for the bulk file.
    faults: Vec<Fault>,
    /// Requested start offset (`Range: bytes=N-`, `None` for no `Range`)
    /// and response status of each request for the bulk file.
    bulk_requests: Vec<(Option<u64>, u16)>,
    /// Response status of each listing request.
    listings: Vec<u16>,
    /// Token requests.
    tokens: usize,
}

impl Recovery {
    /// Builds a sync whose faults cost only extra file requests.
    fn file(faults: Vec<Fault>, bulk_requests: Vec<(Option<u64>, u16)>) -> Recovery {
        Recovery {
            partial: None,
            faults,
            bulk_requests,
            listings: vec![200],
            tokens: 1,
        }
    }

    /// Builds a sync whose faults cost only extra listing requests.
    fn listing(faults: Vec<Fault>, listings: Vec<u16>) -> Recovery {
        Recovery {
            partial: None,
            faults,
            bulk_requests: vec![(None, 200)],
            listings,
            tokens: 1,
        }
    }
}

/// Runs `mot sync` through the faults of `recovery` and checks that it
/// sent the expected requests, left every file byte-identical to its
/// source and loaded all of them.
async fn sync_recovers(recovery: Recovery) {
    let (fixture, manifest) = Fixture::generated(&small(FAULT_VEHICLES, 2)).await;
    assert!(
        manifest.bulk.size_bytes > 2 * MID_BODY,
        "bulk of {} bytes is too small for a fault in mid-body",
        manifest.bulk.size_bytes
    );
    if let Some(bytes) = recovery.partial {
        let source = std::fs::read(&manifest.bulk.path).unwrap();
        let prefix = &source[..usize::try_from(bytes).unwrap()];
        std::fs::create_dir_all(fixture.downloads()).unwrap();
        let part = format!("{}.part", manifest.bulk.file_name);
        std::fs::write(fixture.downloads().join(part), prefix).unwrap();
    }
    for fault in recovery.faults {
        fixture.server.inject(fault);
    }

    let output = fixture.mot(&["sync"]).await;

    assert_eq!(output.status.code(), Some(0));
    assert_contains(
        &stderr(&output),
        "3 files listed, 3 downloaded, 3 loaded, 0 skipped, 0 failed",
    );
    let bulk = &manifest.bulk.file_name;
    let mut expected: Vec<(String, Option<String>, u16)> = recovery
        .bulk_requests
        .iter()
        .map(|(offset, status)| {
            let range = offset.map(|offset| format!("bytes={offset}-"));
            (bulk.clone(), range, *status)
        })
        .collect();
    for delta in &manifest.deltas {
        expected.push((delta.file_name.clone(), None, 200));
    }
    assert_eq!(fixture.file_log(), expected, "file requests");
    assert_eq!(
        fixture.statuses(Endpoint::Listing),
        recovery.listings,
        "listing requests"
    );
    assert_eq!(
        fixture.server.request_count(Endpoint::Token),
        recovery.tokens,
        "token requests"
    );
    fixture.assert_downloaded(manifest.archives().map(|(archive, _)| archive));
    assert_eq!(fixture.counts(), manifest.final_counts());
    assert_eq!(fixture.states(), vec![vec![Some("loaded".to_owned())]]);
}

fn drop_mid_body() -> Fault {
    FileFault::DropAfter { bytes: MID_BODY }.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_resumes_dropped_connection() {
    sync_recovers(Recovery::file(
        vec![drop_mid_body()],
        vec![(None, 200), (Some(MID_BODY), 206)],
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_resumes_truncated_body() {
    sync_recovers(Recovery::file(
        vec![FileFault::TruncatedBody { bytes: MID_BODY }.into()],
        vec![(None, 200), (Some(MID_BODY), 206)],
    ))
    .await;
}

/// A 500 on the resumed request keeps the bytes already on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_retries_file_server_error() {
    sync_recovers(Recovery::file(
        vec![drop_mid_body(), FileFault::ServerError.into()],
        vec![(None, 200), (Some(MID_BODY), 500), (Some(MID_BODY), 206)],
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_retries_slow_down_retry_after() {
    let slow_down = FileFault::SlowDown {
        retry_after: Some("1".to_owned()),
    };
    sync_recovers(Recovery::file(
        vec![drop_mid_body(), slow_down.into()],
        vec![(None, 200), (Some(MID_BODY), 503), (Some(MID_BODY), 206)],
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_retries_slow_down_no_retry_after() {
    let slow_down = FileFault::SlowDown { retry_after: None };
    sync_recovers(Recovery::file(
        vec![drop_mid_body(), slow_down.into()],
        vec![(None, 200), (Some(MID_BODY), 503), (Some(MID_BODY), 206)],
    ))
    .await;
}

/// A 403 for an expired URL in mid-download makes the client list again and
/// resume with the fresh URL from the bytes on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_renews_expired_url() {
    let mut recovery = Recovery::file(
        vec![drop_mid_body(), FileFault::UrlExpired.into()],
        vec![(None, 200), (Some(MID_BODY), 403), (Some(MID_BODY), 206)],
    );
    recovery.listings = vec![200, 200];
    sync_recovers(recovery).await;
}

/// A `200` to a `Range` request carries the whole file, which replaces the
/// bytes on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_restarts_on_ignored_range() {
    sync_recovers(Recovery::file(
        vec![drop_mid_body(), FileFault::IgnoreRange.into()],
        vec![(None, 200), (Some(MID_BODY), 200)],
    ))
    .await;
}

/// A `206` that starts one byte late is never appended: the client discards
/// the partial file and starts over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_discards_wrong_content_range() {
    sync_recovers(Recovery::file(
        vec![drop_mid_body(), FileFault::WrongContentRange.into()],
        vec![(None, 200), (Some(MID_BODY), 206), (None, 200)],
    ))
    .await;
}

/// A `.part` file left by a killed run is resumed, not downloaded again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_resumes_partial_file() {
    let mut recovery = Recovery::file(Vec::new(), vec![(Some(MID_BODY), 206)]);
    recovery.partial = Some(MID_BODY);
    sync_recovers(recovery).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_retries_listing_server_error() {
    sync_recovers(Recovery::listing(
        vec![ListingFault::ServerError.into()],
        vec![500, 200],
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_retries_listing_429_retry_after() {
    let too_many = ListingFault::TooManyRequests {
        retry_after: Some("1".to_owned()),
    };
    sync_recovers(Recovery::listing(vec![too_many.into()], vec![429, 200])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_retries_listing_429_no_retry_after() {
    let too_many = ListingFault::TooManyRequests { retry_after: None };
    sync_recovers(Recovery::listing(vec![too_many.into()], vec![429, 200])).await;
}

/// A 401 `MOTH-FB-02` (token expired) makes the client fetch one new token
/// and list again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_refreshes_expired_token() {
    let mut recovery = Recovery::listing(vec![ListingFault::TokenExpired.into()], vec![401, 200]);
    recovery.tokens = 2;
    sync_recovers(recovery).await;
}

/// Runs a sync whose listing gives the newest delta a `fileSize` that is
/// `delta` bytes off, then one without the fault.
async fn sync_rejects_listed_size(delta: i64) {
    let staging = TempDir::new().unwrap();
    let manifest = generate(staging.path(), &small(FAULT_VEHICLES, 2)).unwrap();
    let fixture = Fixture::start(TempDir::new().unwrap()).await;
    let serve = |archive: &ArchiveInfo| {
        std::fs::copy(&archive.path, fixture.files.path().join(&archive.file_name)).unwrap();
    };
    serve(&manifest.bulk);
    serve(&manifest.deltas[0]);
    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(fixture.counts(), manifest.after_each_delta[0]);

    // The fault changes the size of every listed file, but the bulk and the
    // first delta are loaded already, so only the newest delta is fetched.
    let newest = &manifest.deltas[1];
    serve(newest);
    fixture.server.inject(ListingFault::SizeMismatch { delta });
    let before = fixture.file_log().len();
    let output = fixture.mot(&["sync"]).await;

    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert_contains(
        &text,
        &format!("FAILED {}: download failed", newest.file_name),
    );
    let listed = newest.size_bytes.checked_add_signed(delta).unwrap();
    assert_contains(
        &text,
        &format!(
            "has {listed} bytes but the download server sends {} bytes",
            newest.size_bytes
        ),
    );
    assert_contains(
        &text,
        "3 files listed, 0 downloaded, 0 loaded, 2 skipped, 1 failed",
    );
    assert_eq!(
        fixture.file_log()[before..],
        [(newest.file_name.clone(), None, 200)],
        "file requests"
    );
    fixture.assert_downloaded([&manifest.bulk, &manifest.deltas[0]]);
    assert_eq!(fixture.counts(), manifest.after_each_delta[0]);
    assert_eq!(fixture.states(), vec![vec![Some("loaded".to_owned())]]);
    let archives = fixture
        .db
        .query("SELECT DISTINCT archive FROM import_log ORDER BY archive");
    let loaded = [&manifest.bulk.file_name, &manifest.deltas[0].file_name]
        .map(|name| vec![Some(name.clone())]);
    assert_eq!(archives, loaded, "archives in import_log");

    let output = fixture.mot(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_contains(
        &stderr(&output),
        "3 files listed, 1 downloaded, 1 loaded, 2 skipped, 0 failed",
    );
    fixture.assert_downloaded(manifest.archives().map(|(archive, _)| archive));
    assert_eq!(fixture.counts(), manifest.final_counts());
    assert_eq!(fixture.states(), vec![vec![Some("loaded".to_owned())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_rejects_listed_size_too_large() {
    sync_rejects_listed_size(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_rejects_listed_size_too_small() {
    sync_rejects_listed_size(-1).await;
}

/// The stand-in lists the names in its files folder, and a file name cannot
/// contain `/`, so it cannot list `../../x.zip`. It can list a name with
/// backslashes, which is a path on Windows. dvla-client's own tests cover
/// `../../x.zip` and the other unsafe keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_rejects_unsafe_name() {
    let files = TempDir::new().unwrap();
    let manifest = generate(files.path(), &small(200, 1)).unwrap();
    let unsafe_name = r"delta-light-vehicle\..\..\x_02-07-2024.zip";
    std::fs::copy(&manifest.deltas[0].path, files.path().join(unsafe_name)).unwrap();
    let fixture = Fixture::start(files).await;

    let output = fixture.mot(&["download", "--deltas"]).await;
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert_contains(&text, "FAILED to download");
    assert_contains(&text, "backslash");
    assert_contains(
        &text,
        "2 selected: 1 downloaded, 0 already on disk, 1 failed",
    );

    let mut written: Vec<String> = walk(fixture.work.path());
    written.sort();
    assert_eq!(
        written,
        [format!("downloads/{}", manifest.deltas[0].file_name)],
        "files written"
    );
    assert!(
        fixture
            .file_requests()
            .iter()
            .all(|path| !path.contains("x_02-07-2024")),
        "the unsafe file was requested"
    );
}

/// Every file under `root`, as paths relative to it.
fn walk(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found
}

/// A database user with a password, dropped with the value.
struct PasswordUser {
    name: String,
}

impl PasswordUser {
    async fn create(database: &str, password: &str) -> PasswordUser {
        let name = format!("mot_sync_{}", std::process::id());
        let mut conn = mysql_async::Conn::new(mysql_async::Opts::from_url(&server_url()).unwrap())
            .await
            .unwrap();
        // TCP logins from 127.0.0.1 match either host, depending on name
        // resolution.
        for host in ["127.0.0.1", "localhost"] {
            conn.query_drop(format!("DROP USER IF EXISTS '{name}'@'{host}'"))
                .await
                .unwrap();
            conn.query_drop(format!(
                "CREATE USER '{name}'@'{host}' IDENTIFIED BY '{password}'"
            ))
            .await
            .unwrap();
            conn.query_drop(format!("GRANT ALL ON `{database}`.* TO '{name}'@'{host}'"))
                .await
                .unwrap();
        }
        conn.disconnect().await.unwrap();
        PasswordUser { name }
    }
}

impl Drop for PasswordUser {
    fn drop(&mut self) {
        let name = self.name.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let opts = mysql_async::Opts::from_url(&server_url()).unwrap();
                if let Ok(mut conn) = mysql_async::Conn::new(opts).await {
                    for host in ["127.0.0.1", "localhost"] {
                        let _ = conn
                            .query_drop(format!("DROP USER IF EXISTS '{name}'@'{host}'"))
                            .await;
                    }
                    let _ = conn.disconnect().await;
                }
            });
        })
        .join()
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_output() {
    let (fixture, _) = Fixture::generated(&small(200, 1)).await;
    let password = "db-password-Zr8Nw3";
    let user = PasswordUser::create(&fixture.db.name, password).await;
    let url = url::Url::parse(&server_url()).unwrap();
    let database_url = format!(
        "mysql://{}:{password}@{}:{}/{}",
        user.name,
        url.host_str().unwrap(),
        url.port().unwrap_or(3306),
        fixture.db.name
    );

    let mut outputs = Vec::new();
    for args in [["-vv", "sync"], ["-vv", "download"]] {
        let mut command = fixture.command(&args);
        command.env("DATABASE_URL", &database_url);
        let output = run(command).await;
        assert_eq!(output.status.code(), Some(0), "mot {args:?}");
        outputs.push(output);
    }

    let mut secrets = vec![
        CLIENT_SECRET.to_owned(),
        API_KEY.to_owned(),
        password.to_owned(),
    ];
    let tokens = fixture.server.issued_tokens();
    let signatures = fixture.server.issued_signatures();
    assert!(!tokens.is_empty(), "no token was issued");
    assert!(!signatures.is_empty(), "no download URL was issued");
    secrets.extend(tokens);
    secrets.extend(signatures);
    for output in &outputs {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(text.len() > 1_000, "expected trace output, got:\n{text}");
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} appears in the output"
            );
        }
    }
}

#[test]
fn missing_credentials_exit_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_mot"))
        .args(["sync"])
        .env("DVLA_TENANT_ID", "tenant")
        .env("DVLA_CLIENT_ID", "client")
        .env_remove("DVLA_CLIENT_SECRET")
        .env_remove("DVLA_API_KEY")
        .env("DATABASE_URL", "mysql://root@127.0.0.1:1/never_used")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert_contains(&text, "DVLA_CLIENT_SECRET");
    assert_contains(&text, "DVLA_API_KEY");
    assert!(!text.contains("DVLA_TENANT_ID"), "{text}");
}
