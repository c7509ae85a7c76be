//! Test fixtures: a stand-in server over a temporary files directory, and a
//! client configured for it with short delays.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dvla_client::{Client, ClientConfig, RateLimit, RemoteFile, RetryPolicy, Secret};
use mot_standin::{
    DEFAULT_API_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Endpoint, RequestRecord,
    RunningStandIn, StandIn, StandInBuilder,
};
use tempfile::TempDir;

pub const BULK: &str = "bulk-light-vehicle_01-07-2024.zip";
pub const DELTA_EARLY: &str = "delta-light-vehicle_30-06-2024.zip";
pub const DELTA_LATE: &str = "delta-light-vehicle_03-07-2024.zip";

pub const BULK_SIZE: usize = 200_000;

/// A running stand-in, its files and an empty download directory.
pub struct Fixture {
    pub server: RunningStandIn,
    pub files: TempDir,
    pub out: TempDir,
}

impl Fixture {
    /// Starts a stand-in with the default files and 4 KiB body chunks.
    pub async fn start() -> Fixture {
        Fixture::start_with(|builder| builder).await
    }

    /// Starts a stand-in after `customise` adjusts its builder.
    pub async fn start_with(customise: impl FnOnce(StandInBuilder) -> StandInBuilder) -> Fixture {
        let files = TempDir::new().expect("create files dir");
        write_file(files.path(), BULK, BULK_SIZE, 1);
        write_file(files.path(), DELTA_EARLY, 30_000, 2);
        write_file(files.path(), DELTA_LATE, 20_000, 3);

        let builder = StandIn::builder().files_dir(files.path()).chunk_size(4096);
        let server = customise(builder).start().await.expect("start stand-in");
        Fixture {
            server,
            files,
            out: TempDir::new().expect("create download dir"),
        }
    }

    /// Returns a client for this stand-in with the default credentials.
    pub fn client(&self) -> Client {
        Client::new(self.config()).expect("build client")
    }

    /// Returns a configuration for this stand-in with short retry delays.
    pub fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new(
            self.server.tenant_id(),
            DEFAULT_CLIENT_ID,
            Secret::new(DEFAULT_CLIENT_SECRET),
            Secret::new(DEFAULT_API_KEY),
        )
        .expect("valid config");
        config.api_url = self.server.base_url().parse().expect("valid base URL");
        config.token_url = self.server.token_url().parse().expect("valid token URL");
        config.rate_limit = RateLimit {
            requests_per_second: 1000.0,
            burst: 100,
        };
        config.retry = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        };
        config
    }

    /// Returns the bytes of a source file.
    pub fn source(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.files.path().join(name)).expect("read source file")
    }

    /// Returns the path a download of `name` ends at.
    pub fn target(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }

    /// Returns the names in the download directory, sorted.
    pub fn downloaded_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.out.path())
            .expect("read download dir")
            .map(|entry| {
                entry
                    .expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.server.request_count(endpoint)
    }

    pub fn file_requests(&self) -> Vec<RequestRecord> {
        self.server
            .requests()
            .into_iter()
            .filter(|record| record.endpoint == Endpoint::File)
            .collect()
    }
}

/// Writes `size` pseudo-random bytes, different for each `seed`.
pub fn write_file(dir: &Path, name: &str, size: usize, seed: u64) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let bytes: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect();
    std::fs::write(dir.join(name), bytes).expect("write source file");
}

/// Returns the listed file whose object key ends in `/name`.
pub fn listed<'a>(files: &'a [RemoteFile], name: &str) -> &'a RemoteFile {
    files
        .iter()
        .find(|file| file.filename.ends_with(&format!("/{name}")))
        .unwrap_or_else(|| panic!("{name} not listed"))
}

/// Lists the files and returns the bulk file.
pub async fn bulk(client: &Client) -> RemoteFile {
    let listing = client.list_files().await.expect("list files");
    listed(&listing.bulk, BULK).clone()
}

/// Asserts the downloaded file equals the source byte for byte.
pub fn assert_same_bytes(fixture: &Fixture, name: &str) {
    let downloaded = std::fs::read(fixture.target(name)).expect("read downloaded file");
    let source = fixture.source(name);
    assert_eq!(downloaded.len(), source.len(), "size of {name}");
    assert!(downloaded == source, "{name} differs from its source");
}

/// Returns the offset in a `bytes=N-` header.
pub fn range_start(record: &RequestRecord) -> Option<u64> {
    record
        .range
        .as_deref()?
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}
