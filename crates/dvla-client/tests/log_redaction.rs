//! Secrets never reach `Debug`, error messages or trace-level logs.
//!
//! This test installs a global tracing subscriber, so it runs in its own test
//! binary: a subscriber set for one thread can miss events whose callsites
//! other tests' threads register at the same moment.

#[path = "it/common.rs"]
#[allow(dead_code)]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use dvla_client::{Client, DownloadUrl, Error, RemoteFile, Secret};
use mot_standin::{DEFAULT_API_KEY, DEFAULT_CLIENT_SECRET, FileFault, StandIn};
use tracing::Level;

use common::{BULK, Fixture, bulk};

const WRONG_SECRET: &str = "wrong-client-secret-value";
const WRONG_API_KEY: &str = "wrong-api-key-value";

/// A log sink that tests read back.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Renders an error as `Debug` and as its `Display` chain.
fn render(error: &Error) -> String {
    let mut text = format!("{error:?}\n{error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Collects errors of every kind that involves a credential or a URL.
async fn provoke_errors(fixture: &Fixture, client: &Client, file: &RemoteFile) -> Vec<Error> {
    let mut errors = Vec::new();

    let mut config = fixture.config();
    config.client_secret = Secret::new(WRONG_SECRET);
    errors.push(Client::new(config).unwrap().list_files().await.unwrap_err());

    let mut config = fixture.config();
    config.api_key = Secret::new(WRONG_API_KEY);
    errors.push(Client::new(config).unwrap().list_files().await.unwrap_err());

    fixture.server.inject_times(FileFault::UrlExpired, 10);
    let dir = tempfile::TempDir::new().unwrap();
    errors.push(
        client
            .download(file, dir.path(), |_, _| {})
            .await
            .unwrap_err(),
    );
    fixture.server.clear_faults();

    // A URL to a server that has stopped gives a network error.
    let stopped = StandIn::builder()
        .files_dir(fixture.files.path())
        .start()
        .await
        .unwrap();
    let url = format!(
        "{}/files/x.zip?X-Amz-Signature={}",
        stopped.base_url(),
        "abc%2Fdef"
    );
    stopped.shutdown().await;
    let unreachable = RemoteFile {
        download_url: DownloadUrl::new(url),
        ..file.clone()
    };
    errors.push(
        client
            .download(&unreachable, dir.path(), |_, _| {})
            .await
            .unwrap_err(),
    );

    errors
}

#[tokio::test]
async fn secrets_absent_from_debug_errors_and_logs() {
    // Routes the `log` records of dependencies into tracing as well.
    let _ = tracing_log::LogTracer::init();
    let logs = SharedBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");

    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture
        .server
        .inject(FileFault::DropAfter { bytes: 50_000 });
    fixture.server.inject(FileFault::UrlExpired);
    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();
    let errors = provoke_errors(&fixture, &client, &file).await;

    let mut texts = vec![
        format!("{:?}", fixture.config()),
        format!("{client:?}"),
        format!("{file:?}"),
        format!("{}", file.download_url),
        logs.text(),
    ];
    texts.extend(errors.iter().map(render));

    let mut secrets = vec![
        DEFAULT_CLIENT_SECRET.to_owned(),
        DEFAULT_API_KEY.to_owned(),
        WRONG_SECRET.to_owned(),
        WRONG_API_KEY.to_owned(),
        "abc%2Fdef".to_owned(),
    ];
    secrets.extend(fixture.server.issued_tokens());
    // The random part before the first escape catches the signature in any
    // encoding.
    secrets.extend(
        fixture
            .server
            .issued_signatures()
            .iter()
            .map(|signature| signature.split('%').next().unwrap().to_owned()),
    );
    assert!(fixture.server.issued_tokens().len() >= 2);
    assert!(fixture.server.issued_signatures().len() >= 6);

    for secret in &secrets {
        for text in &texts {
            assert!(
                !text.contains(secret.as_str()),
                "secret {secret:?} found in:\n{text}"
            );
        }
    }

    let log_text = logs.text();
    assert!(
        log_text.contains("requesting listing"),
        "logs were not captured"
    );
    assert!(
        log_text.contains("download URL rejected"),
        "logs were not captured"
    );
    assert!(fixture.target(BULK).exists());
}
