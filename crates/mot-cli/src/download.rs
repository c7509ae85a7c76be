//! `mot download`: fetches the listed bulk and delta files into a folder,
//! skipping files already complete there.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use dvla_client::{Client, Listing, RemoteFile, local_file_name};
use indicatif::HumanBytes;

use crate::progress::Reporter;

/// Selection of the listed files to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// The newest bulk file.
    pub bulk: bool,
    /// Every delta file.
    pub deltas: bool,
}

/// Result of fetching one listed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// Transferred in this run, at least in part, and now complete.
    Downloaded(PathBuf),
    /// Already complete on disk, so nothing was transferred.
    OnDisk(PathBuf),
    /// Not downloaded, with the error message.
    Failed(String),
}

impl Fetched {
    /// Returns the complete local file, unless the download failed.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Fetched::Downloaded(path) | Fetched::OnDisk(path) => Some(path),
            Fetched::Failed(_) => None,
        }
    }
}

/// Result of `mot download`.
#[derive(Debug, Clone, Default)]
pub struct DownloadReport {
    /// Files in the listing, bulk and delta.
    pub listed: usize,
    /// Each selected file with its display name, in download order.
    pub files: Vec<(String, Fetched)>,
}

impl DownloadReport {
    /// Tells whether every selected file is complete on disk.
    pub fn succeeded(&self) -> bool {
        self.count(|f| matches!(f, Fetched::Failed(_))) == 0
    }

    fn count(&self, filter: impl Fn(&Fetched) -> bool) -> usize {
        self.files.iter().filter(|(_, f)| filter(f)).count()
    }
}

/// Returns the local file name of a listed file, or its object key quoted
/// when the key is unsafe as a path.
pub fn display_name(file: &RemoteFile) -> String {
    local_file_name(file).unwrap_or_else(|_| format!("{:?}", file.filename))
}

/// Downloads one listed file into `dir` unless it is already complete
/// there, and prints one line saying which happened.
pub async fn fetch(client: &Client, file: &RemoteFile, dir: &Path, reporter: &Reporter) -> Fetched {
    let name = display_name(file);
    let fetched = fetch_quietly(client, file, dir, reporter).await;
    let size = HumanBytes(file.file_size);
    let line = match &fetched {
        Fetched::Downloaded(_) => format!("downloaded {name} ({size})"),
        Fetched::OnDisk(_) => format!("already downloaded {name} ({size})"),
        Fetched::Failed(error) => format!("FAILED to download {name}: {error}"),
    };
    reporter.println(&line);
    fetched
}

async fn fetch_quietly(
    client: &Client,
    file: &RemoteFile,
    dir: &Path,
    reporter: &Reporter,
) -> Fetched {
    // The client checks the name again; checking here first keeps an
    // unsafe name away from the file-system calls below.
    let name = match local_file_name(file) {
        Ok(name) => name,
        Err(error) => return Fetched::Failed(error.to_string()),
    };
    let target = dir.join(&name);
    if is_complete(&target, file.file_size).await {
        tracing::debug!(file = %name, "already complete on disk");
        return Fetched::OnDisk(target);
    }

    tracing::info!(file = %name, bytes = file.file_size, "downloading");
    let started = Instant::now();
    let mut progress = reporter.download(&name, file.file_size);
    let result = client
        .download(file, dir, |done, total| progress.update(done, total))
        .await;
    progress.finish();
    match result {
        Ok(path) => {
            let seconds = started.elapsed().as_secs_f64();
            tracing::debug!(file = %name, seconds = format_args!("{seconds:.1}"), "downloaded");
            Fetched::Downloaded(path)
        }
        Err(error) => {
            let message = format!("{:#}", anyhow::Error::new(error));
            tracing::error!(file = %name, error = %message, "download failed");
            Fetched::Failed(message)
        }
    }
}

async fn is_complete(path: &Path, size: u64) -> bool {
    tokio::fs::metadata(path)
        .await
        .is_ok_and(|metadata| metadata.is_file() && metadata.len() == size)
}

/// Creates the download folder when missing.
///
/// # Errors
///
/// Fails when the folder cannot be created.
pub async fn create_dir(dir: &Path) -> Result<()> {
    tokio::fs::create_dir_all(dir).await.with_context(|| {
        format!(
            "cannot create the download folder {}; check DOWNLOAD_DIR",
            dir.display()
        )
    })
}

/// Lists the API's files and downloads the selected ones into `dir`, one
/// at a time.
///
/// # Errors
///
/// Fails when `dir` cannot be created or the files cannot be listed. A file
/// that fails to download is recorded in the report instead.
pub async fn download(
    client: &Client,
    dir: &Path,
    selection: Selection,
    reporter: &Reporter,
) -> Result<DownloadReport> {
    create_dir(dir).await?;
    let listing = list(client).await?;
    let mut report = DownloadReport {
        listed: listing.bulk.len() + listing.delta.len(),
        files: Vec::new(),
    };

    let bulk = listing.latest_bulk().filter(|_| selection.bulk);
    let deltas = listing.delta.iter().filter(|_| selection.deltas);
    for file in bulk.into_iter().chain(deltas) {
        let fetched = fetch(client, file, dir, reporter).await;
        report.files.push((display_name(file), fetched));
    }
    Ok(report)
}

/// Fetches the listing, with an error that names what failed.
///
/// # Errors
///
/// Fails when the API cannot be reached or rejects the request.
pub async fn list(client: &Client) -> Result<Listing> {
    let listing = client
        .list_files()
        .await
        .context("cannot list the files of the MOT History API")?;
    tracing::info!(
        bulk = listing.bulk.len(),
        deltas = listing.delta.len(),
        "listed the available files"
    );
    Ok(listing)
}

/// Prints the closing line of `mot download`.
pub fn print_summary(report: &DownloadReport, dir: &Path, reporter: &Reporter) {
    let downloaded = report.count(|f| matches!(f, Fetched::Downloaded(_)));
    let on_disk = report.count(|f| matches!(f, Fetched::OnDisk(_)));
    let failed = report.count(|f| matches!(f, Fetched::Failed(_)));
    reporter.println(&format!(
        "{} files listed, {} selected: {downloaded} downloaded, {on_disk} already on disk, \
         {failed} failed; folder {}",
        report.listed,
        report.files.len(),
        dir.display()
    ));
}
