//! `mot retry`: loads the files in the failed folder again.

use std::path::{Path, PathBuf};

use anyhow::Result;
use mot_store::{State, Store};

use crate::inputs;
use crate::load::{self, LoadOptions, LoadReport, Outcome};

/// Result of one file in a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetriedFile {
    /// File name.
    pub name: String,
    /// Whether every member of the file is now loaded.
    pub succeeded: bool,
    /// Path of the file after the retry.
    pub path: PathBuf,
    /// Failure messages of the members that failed again.
    pub errors: Vec<String>,
}

/// Result of a retry.
#[derive(Debug, Clone, Default)]
pub struct RetryReport {
    /// Each file found in the failed folder.
    pub files: Vec<RetriedFile>,
    /// The underlying load report.
    pub load: LoadReport,
}

impl RetryReport {
    /// Files that are now fully loaded.
    pub fn succeeded(&self) -> usize {
        self.files.iter().filter(|f| f.succeeded).count()
    }
}

/// Loads every file in `failed_dir` again. A file whose members are then
/// all loaded moves to `restore_dir`; the others stay, and their
/// `import_log` rows show one more attempt.
///
/// # Errors
///
/// Fails when the folder cannot be read or on a database error outside a
/// member.
pub async fn retry(
    store: &Store,
    failed_dir: &Path,
    restore_dir: &Path,
    options: &LoadOptions,
) -> Result<RetryReport> {
    let mut report = RetryReport::default();
    if !failed_dir.is_dir() {
        tracing::info!(
            folder = %failed_dir.display(),
            "the failed folder does not exist, so no file has failed there; check FAILED_DIR"
        );
        return Ok(report);
    }
    if inputs::expand(&[failed_dir.to_path_buf()]).is_err() {
        return Ok(report);
    }
    let files = inputs::expand(&[failed_dir.to_path_buf()])?;
    let options = LoadOptions {
        failed_dir: None,
        ..options.clone()
    };
    report.load = load::load(store, &files, &options).await?;

    let records = store.imports().await?;
    for path in files {
        let name = inputs::file_name(&path);
        let mine: Vec<_> = records
            .iter()
            .filter(|r| r.archive == name && r.state != State::Superseded)
            .collect();
        let succeeded = !mine.is_empty() && mine.iter().all(|r| r.state == State::Loaded);
        let errors = report
            .load
            .members
            .iter()
            .filter(|m| m.archive == name)
            .filter_map(|m| match &m.outcome {
                Outcome::Failed(error) | Outcome::Waiting(error) => {
                    Some(format!("{}: {error}", m.member))
                }
                _ => None,
            })
            .collect();
        let path = if succeeded {
            inputs::move_file(&path, restore_dir)?
        } else {
            path
        };
        report.files.push(RetriedFile {
            name,
            succeeded,
            path,
            errors,
        });
    }
    Ok(report)
}
