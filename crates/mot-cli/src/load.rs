//! `mot load`: registers input files, loads bulk members in parallel, then
//! applies delta members one at a time in date order.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use futures_util::StreamExt;
use mot_parse::{Member, ReadOptions, Source};
use mot_store::{
    ArchiveEntry, ImportRecord, Kind, MemberEntry, MemberLoad, RowCounts, RunSummary, State, Store,
};

use crate::decode::{self, BatchLimits, Message, Progress};
use crate::inputs::{self, KindChoice};

/// Settings of a load run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Limits on each batch (one transaction each).
    pub limits: BatchLimits,
    /// Bulk members loaded at once, each decoded on its own thread.
    pub jobs: usize,
    /// How to tell bulk files from deltas.
    pub kind: KindChoice,
    /// Empty the data tables first and load the given bulk from scratch.
    pub replace: bool,
    /// Fail a member when it has more rejected lines than this.
    pub max_rejects: Option<u64>,
    /// Limits applied while reading lines.
    pub read: ReadOptions,
    /// Receiver of progress reports.
    pub progress: Progress,
    /// Folder that files with a failed member are moved to, or `None` to
    /// leave them in place.
    pub failed_dir: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            limits: BatchLimits {
                vehicles: 2_000,
                bytes: 8 * 1024 * 1024,
                rows: 50_000,
            },
            jobs: 2,
            kind: KindChoice::Auto,
            replace: false,
            max_rejects: None,
            read: ReadOptions::default(),
            progress: Progress::default(),
            failed_dir: None,
        }
    }
}

/// Result of one member in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Loaded in this run, with the rows written.
    Loaded(RowCounts),
    /// Not loaded, and nothing is wrong; the string gives the reason.
    Skipped(String),
    /// Not loaded because something else must happen first.
    Waiting(String),
    /// The attempt failed; the string is the error message.
    Failed(String),
}

/// One member's outcome.
#[derive(Debug, Clone)]
pub struct MemberReport {
    /// Archive file name.
    pub archive: String,
    /// Member name; empty when the whole file could not be opened.
    pub member: String,
    /// Bulk or delta.
    pub kind: Kind,
    /// What happened.
    pub outcome: Outcome,
}

/// Result of a load run.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Each member, in the order handled.
    pub members: Vec<MemberReport>,
    /// Totals, as written to `import_batch_report`.
    pub summary: RunSummary,
}

impl LoadReport {
    /// Tells whether every member was loaded or rightly skipped.
    pub fn succeeded(&self) -> bool {
        self.members
            .iter()
            .all(|m| matches!(m.outcome, Outcome::Loaded(_) | Outcome::Skipped(_)))
    }

    fn push(&mut self, archive: &str, member: &str, kind: Kind, outcome: Outcome) {
        match &outcome {
            Outcome::Loaded(counts) => {
                self.summary.members_loaded += 1;
                self.summary.counts += *counts;
            }
            Outcome::Skipped(_) | Outcome::Waiting(_) => self.summary.members_skipped += 1,
            Outcome::Failed(_) => self.summary.members_failed += 1,
        }
        let report = MemberReport {
            archive: archive.into(),
            member: member.into(),
            kind,
            outcome,
        };
        self.members.push(report);
    }
}

/// A member to consider loading.
#[derive(Clone)]
struct Work {
    source: Arc<Source>,
    member: Member,
    record: ImportRecord,
}

/// Loads `paths` (files or folders) into the store and records the run in
/// `import_batch_report`.
///
/// # Errors
///
/// Fails when the inputs cannot be listed, when they conflict with what
/// the database holds, or on a database error outside a member. A member
/// that fails is recorded in the report, not returned as an error.
pub async fn load(store: &Store, paths: &[PathBuf], options: &LoadOptions) -> Result<LoadReport> {
    let run = store.start_run("load").await?;
    let result = load_inner(store, paths, options).await;
    let summary = match &result {
        Ok(report) => report.summary.clone(),
        Err(error) => RunSummary {
            error: Some(format!("{error:#}")),
            ..RunSummary::default()
        },
    };
    store.finish_run(run, &summary).await?;
    result
}

async fn load_inner(store: &Store, paths: &[PathBuf], options: &LoadOptions) -> Result<LoadReport> {
    let files = inputs::expand(paths)?;
    let mut report = LoadReport::default();
    report.summary.files = files.len() as u64;

    let (mut work, sources) = register_all(store, &files, options, &mut report).await?;
    if check_bulk_conflicts(store, &work, options).await? {
        store.clear_for_new_bulk().await?;
        work = reregister(store, &sources, options).await?;
    }

    load_bulk(store, &work, options, &mut report).await?;
    apply_deltas(store, &work, options, &mut report).await?;
    if let Some(failed_dir) = &options.failed_dir {
        quarantine(&files, &report, failed_dir);
    }
    Ok(report)
}

/// Moves every file with a failed member into `failed_dir`, where
/// `mot retry` finds it.
fn quarantine(files: &[PathBuf], report: &LoadReport, failed_dir: &std::path::Path) {
    for path in files {
        let name = inputs::file_name(path);
        let failed = report
            .members
            .iter()
            .any(|m| m.archive == name && matches!(m.outcome, Outcome::Failed(_)));
        if !failed {
            continue;
        }
        match inputs::move_file(path, failed_dir) {
            Ok(target) => {
                tracing::warn!(file = %name, to = %target.display(), "moved to the failed folder; fix or replace it there and run `mot retry`")
            }
            Err(error) => {
                tracing::error!(file = %name, error = %format!("{error:#}"), "could not move the file to the failed folder")
            }
        }
    }
}

/// Opens each file and registers its members. A file that cannot be opened
/// is recorded as failed and left out.
async fn register_all(
    store: &Store,
    files: &[PathBuf],
    options: &LoadOptions,
    report: &mut LoadReport,
) -> Result<(Vec<Work>, Vec<Arc<Source>>)> {
    let mut work = Vec::new();
    let mut sources = Vec::new();
    for path in files {
        let name = inputs::file_name(path);
        let kind = inputs::archive_kind(&name, options.kind);
        match Source::open(path) {
            Ok(source) => {
                let source = Arc::new(source);
                work.extend(register_source(store, &source, options).await?);
                sources.push(source);
            }
            Err(error) => {
                tracing::error!(file = %path.display(), %error, "cannot open file");
                record_unreadable(store, path, &name, kind, &error).await?;
                report.push(&name, "", kind, Outcome::Failed(error.to_string()));
            }
        }
    }
    Ok((work, sources))
}

async fn reregister(
    store: &Store,
    sources: &[Arc<Source>],
    options: &LoadOptions,
) -> Result<Vec<Work>> {
    let mut work = Vec::new();
    for source in sources {
        work.extend(register_source(store, source, options).await?);
    }
    Ok(work)
}

async fn register_source(
    store: &Store,
    source: &Arc<Source>,
    options: &LoadOptions,
) -> Result<Vec<Work>> {
    let archive_kind = inputs::archive_kind(source.name(), options.kind);
    let archive_date = inputs::date_in_name(source.name());
    let archive = ArchiveEntry {
        name: source.name().to_owned(),
        file_created_on: archive_date,
        bytes: source.size(),
    };
    let entries: Vec<MemberEntry> = source
        .members()
        .iter()
        .map(|member| MemberEntry {
            name: member.name.clone(),
            index: u32::try_from(member.index).unwrap_or(u32::MAX),
            kind: inputs::member_kind(&member.name, archive_kind, options.kind),
            created_on: inputs::date_in_name(&member.name).or(archive_date),
            bytes: member.compressed_size,
            crc32: member.crc32,
        })
        .collect();
    let records = store.register(&archive, &entries).await?;
    store.clear_unreadable(source.name()).await?;
    Ok(source
        .members()
        .iter()
        .zip(records)
        .map(|(member, record)| Work {
            source: source.clone(),
            member: member.clone(),
            record,
        })
        .collect())
}

/// Records a file that cannot be opened as one failed entry with an empty
/// member name, so `mot status` shows it.
async fn record_unreadable(
    store: &Store,
    path: &std::path::Path,
    name: &str,
    kind: Kind,
    error: &mot_parse::Error,
) -> Result<()> {
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let archive = ArchiveEntry {
        name: name.to_owned(),
        file_created_on: inputs::date_in_name(name),
        bytes,
    };
    let entry = MemberEntry {
        name: String::new(),
        index: 0,
        kind,
        created_on: archive.file_created_on,
        bytes,
        crc32: None,
    };
    let record = store.register(&archive, &[entry]).await?.remove(0);
    let attempt = store.begin_member(&record).await?;
    drop(attempt);
    store
        .mark_failed(record.id, error_kind(error), &error.to_string())
        .await?;
    Ok(())
}

fn error_kind(error: &mot_parse::Error) -> &'static str {
    if error.is_corrupt_input() {
        "corrupt-input"
    } else {
        "io"
    }
}

/// Returns whether the data tables must be emptied before loading, and
/// fails when loading the given bulk would mix two snapshots.
async fn check_bulk_conflicts(store: &Store, work: &[Work], options: &LoadOptions) -> Result<bool> {
    let mut bulk_archives: Vec<&str> = work
        .iter()
        .filter(|w| w.record.kind == Kind::Bulk)
        .map(|w| w.record.archive.as_str())
        .collect();
    bulk_archives.dedup();
    match bulk_archives.as_slice() {
        [] => return Ok(false),
        [_] => {}
        many => bail!(
            "several bulk files given ({}); load one bulk at a time",
            many.join(", ")
        ),
    }
    let new_bulk = bulk_archives[0];
    if options.replace {
        return Ok(true);
    }

    let active: Vec<ImportRecord> = store
        .imports()
        .await?
        .into_iter()
        .filter(|r| r.state != State::Superseded)
        .collect();
    if let Some(other) = active
        .iter()
        // Rows only registered have no data in the tables.
        // NOTE: a load rejected here leaves its rows registered, and
        // `mot status` counts them as waiting.
        .find(|r| {
            r.kind == Kind::Bulk
                && r.archive != new_bulk
                && !r.member.is_empty()
                && r.state != State::Downloaded
        })
    {
        bail!(
            "the database holds bulk {}; loading bulk {new_bulk} replaces all vehicle data, so pass --replace to do that",
            other.archive
        );
    }
    let bulk_pending = work
        .iter()
        .any(|w| w.record.kind == Kind::Bulk && w.record.state != State::Loaded);
    let deltas_applied = active
        .iter()
        .any(|r| r.kind == Kind::Delta && !matches!(r.state, State::Downloaded));
    if bulk_pending && deltas_applied {
        bail!(
            "deltas were applied after bulk {new_bulk} started loading, so loading more of it now would undo their \
             changes; pass --replace to reload the bulk from scratch, then load the deltas again"
        );
    }
    Ok(false)
}

async fn load_bulk(
    store: &Store,
    work: &[Work],
    options: &LoadOptions,
    report: &mut LoadReport,
) -> Result<()> {
    let mut pending = Vec::new();
    for item in work.iter().filter(|w| w.record.kind == Kind::Bulk) {
        if item.record.state == State::Loaded {
            report.push(
                &item.record.archive,
                &item.record.member,
                Kind::Bulk,
                Outcome::Skipped("already loaded".into()),
            );
        } else {
            pending.push(item.clone());
        }
    }

    // An initial load into empty tables builds the secondary indexes once
    // at the end instead of maintaining them row by row.
    if !pending.is_empty()
        && let Err(error) = store.drop_indexes_if_empty().await
    {
        tracing::warn!(%error, "could not drop secondary indexes; loading with them");
    }
    let results: Vec<(Work, Outcome)> = futures_util::stream::iter(pending)
        .map(|item| async move {
            let outcome = run_member(store, &item, options).await;
            (item, outcome)
        })
        .buffered(options.jobs.max(1))
        .collect()
        .await;
    for (item, outcome) in results {
        report.push(
            &item.record.archive,
            &item.record.member,
            Kind::Bulk,
            outcome,
        );
    }
    // Also rebuilds indexes that a run killed during an initial load left
    // dropped.
    store.ensure_indexes().await?;
    Ok(())
}

async fn apply_deltas(
    store: &Store,
    work: &[Work],
    options: &LoadOptions,
    report: &mut LoadReport,
) -> Result<()> {
    let mut deltas: Vec<&Work> = work
        .iter()
        .filter(|w| w.record.kind == Kind::Delta)
        .collect();
    if deltas.is_empty() {
        return Ok(());
    }
    deltas.sort_by_key(|w| {
        (
            w.record.file_created_on,
            w.record.archive.clone(),
            w.record.member_index,
        )
    });

    let active: Vec<ImportRecord> = store
        .imports()
        .await?
        .into_iter()
        .filter(|r| r.state != State::Superseded)
        .collect();
    let bulk: Vec<&ImportRecord> = active.iter().filter(|r| r.kind == Kind::Bulk).collect();
    let bulk_date: Option<NaiveDate> = bulk.iter().filter_map(|r| r.file_created_on).max();
    let mut blocked = bulk
        .iter()
        .any(|r| r.state != State::Loaded)
        .then(|| "the bulk is not fully loaded; load or retry it first".to_owned());

    for item in deltas {
        let record = &item.record;
        let outcome = if record.state == State::Loaded {
            Outcome::Skipped("already loaded".into())
        } else if let (Some(date), Some(bulk_date)) = (record.file_created_on, bulk_date)
            && date < bulk_date
        {
            Outcome::Skipped(format!(
                "dated {date}, before the bulk of {bulk_date}, which already holds it"
            ))
        } else if let Some(reason) = &blocked {
            Outcome::Waiting(reason.clone())
        } else {
            let outcome = run_member(store, item, options).await;
            if matches!(outcome, Outcome::Failed(_)) {
                blocked = Some(format!(
                    "earlier delta {} {} failed; deltas apply in date order",
                    record.archive, record.member
                ));
            }
            outcome
        };
        report.push(&record.archive, &record.member, Kind::Delta, outcome);
    }
    Ok(())
}

/// Loads one member, recording a failure in `import_log`.
async fn run_member(store: &Store, item: &Work, options: &LoadOptions) -> Outcome {
    let started = Instant::now();
    let record = &item.record;
    tracing::info!(archive = %record.archive, member = %record.member, kind = %record.kind, "loading");
    match load_member(store, item, options).await {
        Ok(counts) => {
            tracing::info!(
                archive = %record.archive,
                member = %record.member,
                vehicles = counts.vehicles,
                tests = counts.tests,
                defects = counts.defects,
                deleted = counts.vehicles_deleted,
                rejects = counts.rejects,
                seconds = format_args!("{:.1}", started.elapsed().as_secs_f64()),
                "loaded"
            );
            Outcome::Loaded(counts)
        }
        Err(failure) => {
            let message = format!("{:#}", failure.error);
            tracing::error!(archive = %record.archive, member = %record.member, error = %message, "member failed");
            if let Err(error) = store.mark_failed(record.id, failure.kind, &message).await {
                tracing::error!(%error, "could not record the failure in import_log");
            }
            Outcome::Failed(message)
        }
    }
}

struct Failure {
    kind: &'static str,
    error: anyhow::Error,
}

impl Failure {
    fn new(kind: &'static str, error: impl Into<anyhow::Error>) -> Self {
        Self {
            kind,
            error: error.into(),
        }
    }
}

impl From<mot_store::Error> for Failure {
    fn from(error: mot_store::Error) -> Self {
        let kind = match &error {
            mot_store::Error::RowCountMismatch { .. } => "row-count-mismatch",
            _ => "database",
        };
        Failure::new(kind, error)
    }
}

async fn load_member(
    store: &Store,
    item: &Work,
    options: &LoadOptions,
) -> Result<RowCounts, Failure> {
    let mut load = store.begin_member(&item.record).await?;
    let (tx_bulk, mut rx_bulk) = tokio::sync::mpsc::channel(2);
    let (tx_delta, mut rx_delta) = tokio::sync::mpsc::channel(2);
    let source = item.source.clone();
    let member = item.member.clone();
    let (read, limits, import_id) = (options.read.clone(), options.limits, item.record.id);
    let progress = options.progress.clone();
    let thread = match item.record.kind {
        Kind::Bulk => std::thread::spawn(move || {
            decode::decode_bulk(source, member, import_id, read, limits, progress, tx_bulk)
        }),
        Kind::Delta => std::thread::spawn(move || {
            decode::decode_delta(source, member, read, limits, progress, tx_delta)
        }),
    };

    let result = match item.record.kind {
        Kind::Bulk => {
            drive(
                &mut rx_bulk,
                &mut load,
                options,
                |load, batch| Box::pin(load.write_bulk(batch)),
                |b| b.rejects.len(),
            )
            .await
        }
        Kind::Delta => {
            drive(
                &mut rx_delta,
                &mut load,
                options,
                |load, batch| Box::pin(load.apply_delta(batch)),
                |b| b.rejects.len(),
            )
            .await
        }
    };
    // Closing the channels stops the thread if it is still decoding.
    drop(rx_bulk);
    drop(rx_delta);
    let _ = thread.join();
    options
        .progress
        .finished(&item.record.archive, &item.record.member);
    let lines = result?;
    Ok(load.finish(lines).await?)
}

type WriteFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = mot_store::Result<()>> + Send + 'a>>;

/// Writes batches as they arrive and returns the member's line count.
async fn drive<B>(
    rx: &mut tokio::sync::mpsc::Receiver<Message<B>>,
    load: &mut MemberLoad,
    options: &LoadOptions,
    write: impl for<'a> Fn(&'a mut MemberLoad, B) -> WriteFuture<'a>,
    rejects_in: impl Fn(&B) -> usize,
) -> Result<u64, Failure> {
    let mut rejects = 0u64;
    while let Some(message) = rx.recv().await {
        match message {
            Message::Batch(batch) => {
                rejects += rejects_in(&batch) as u64;
                // The batch is written first, so that its rejected lines
                // are stored for the operator to read.
                write(load, batch).await?;
                if let Some(limit) = options.max_rejects
                    && rejects > limit
                {
                    let error = anyhow::anyhow!(
                        "{rejects} lines rejected, more than --max-rejects {limit}; `mot rejects --archive {}` lists them",
                        load.record().archive
                    );
                    return Err(Failure::new("too-many-rejects", error));
                }
            }
            Message::Failed(error) => {
                let kind = if error.is_corrupt_input() {
                    "corrupt-input"
                } else {
                    "io"
                };
                return Err(Failure::new(kind, error));
            }
            Message::Done(lines) => {
                let counts = load.counts();
                if rejects > 0 && counts.vehicles == 0 && counts.vehicles_deleted == 0 {
                    let error = anyhow::anyhow!(
                        "all {rejects} lines were rejected, so this is not MOT History data; \
                         `mot rejects --archive {}` gives the reasons",
                        load.record().archive
                    );
                    return Err(Failure::new("no-records", error));
                }
                return Ok(lines);
            }
        }
    }
    Err(Failure::new(
        "internal",
        anyhow::anyhow!("the decoding thread stopped without finishing"),
    ))
}
