//! `mot sync`, the nightly job: lists the API's files, decides whether the
//! database needs the bulk, downloads what is missing and loads each file
//! as soon as it is on disk, while the next one downloads.

mod plan;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use dvla_client::Client;
use mot_store::{RowCounts, Store};

use crate::download::{self, Fetched};
use crate::load::{self, LoadOptions, LoadReport, Outcome};
use crate::progress::Reporter;
use plan::{Holdings, Plan, Row, Step};

/// Settings of a sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Folder the files are downloaded into and loaded from.
    pub download_dir: PathBuf,
    /// Reload the newest listed bulk from scratch even when the listed
    /// deltas could bring the database up to date.
    pub force_bulk: bool,
    /// Settings of each load. `replace` is set per file by the plan.
    pub load: LoadOptions,
}

/// Result of one listed file in a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Loaded in this run, with the rows written.
    Loaded(RowCounts),
    /// Not needed, for the given reason.
    Skipped(String),
    /// The download or the load failed, with the error message.
    Failed(String),
    /// Not loaded because an earlier file failed and deltas apply in order.
    NotLoaded(String),
}

/// One listed file's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Local file name, or the quoted object key when it is unsafe.
    pub name: String,
    /// Whether bytes were transferred in this run.
    pub downloaded: bool,
    /// What happened.
    pub outcome: FileOutcome,
}

/// Result of a sync run.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    /// Files in the listing, bulk and delta.
    pub listed: usize,
    /// Each listed file: the skipped ones first, then the others in load
    /// order.
    pub files: Vec<FileReport>,
    /// Rows written over all loads.
    pub counts: RowCounts,
}

impl SyncReport {
    /// Tells whether every file needed was loaded.
    pub fn succeeded(&self) -> bool {
        self.count(|o| matches!(o, FileOutcome::Failed(_) | FileOutcome::NotLoaded(_))) == 0
    }

    /// Files transferred in this run.
    pub fn downloaded(&self) -> usize {
        self.files.iter().filter(|f| f.downloaded).count()
    }

    /// Files loaded in this run.
    pub fn loaded(&self) -> usize {
        self.count(|o| matches!(o, FileOutcome::Loaded(_)))
    }

    fn count(&self, filter: impl Fn(&FileOutcome) -> bool) -> usize {
        self.files.iter().filter(|f| filter(&f.outcome)).count()
    }
}

/// Runs `mot sync` against `store`, whose location `database` names, and
/// prints one line per file and a closing report. Returns whether every
/// needed file was loaded.
///
/// Takes the database-wide `sync` lock first. When another run has it,
/// prints a message and returns `false` at once.
///
/// # Errors
///
/// Fails when the lock cannot be queried, the schema cannot be migrated or
/// the files cannot be listed. A file that fails is reported instead.
pub async fn run(
    store: &Store,
    database: &str,
    client: &Client,
    options: &SyncOptions,
    reporter: &Reporter,
) -> Result<bool> {
    let Some(lock) = store.try_lock("sync").await? else {
        // The same name as `Store::try_lock` builds: mot_<purpose>_<database>.
        let name = format!("mot_sync_{}", store.database_name().await?);
        reporter.println(&format!(
            "another mot sync, load or retry is running against {database} (lock {name}); try again when it finishes"
        ));
        return Ok(false);
    };

    let started = Instant::now();
    let result = sync(store, client, options, reporter).await;
    lock.release().await;
    let Some(report) = result? else {
        return Ok(false);
    };

    // No table totals here: counting billions of rows takes minutes, and
    // `mot status` prints them on request.
    print_report(&report, started.elapsed().as_secs_f64(), reporter);
    Ok(report.succeeded())
}

/// Syncs with the lock held. Returns `None` after printing why nothing
/// could be planned.
async fn sync(
    store: &Store,
    client: &Client,
    options: &SyncOptions,
    reporter: &Reporter,
) -> Result<Option<SyncReport>> {
    store.migrate().await?;
    download::create_dir(&options.download_dir).await?;
    let listing = download::list(client).await?;
    let rows: Vec<Row> = store.imports().await?.iter().map(Row::from).collect();

    let plan = match plan::plan(&listing, &Holdings::new(&rows), options.force_bulk) {
        Ok(plan) => plan,
        Err(message) => {
            reporter.println(&format!("FAILED: {message}"));
            return Ok(None);
        }
    };
    let mut report = SyncReport {
        listed: listing.bulk.len() + listing.delta.len(),
        ..SyncReport::default()
    };
    for skip in &plan.skipped {
        reporter.println(&format!("skipped {}: {}", skip.name, skip.reason));
        report.files.push(FileReport {
            name: skip.name.clone(),
            downloaded: false,
            outcome: FileOutcome::Skipped(skip.reason.clone()),
        });
    }

    execute(store, client, &plan, options, reporter, &mut report).await;
    Ok(Some(report))
}

/// Downloads the planned files in order on one side, and loads each one
/// as it arrives on the other, so a load overlaps the next download.
async fn execute(
    store: &Store,
    client: &Client,
    plan: &Plan,
    options: &SyncOptions,
    reporter: &Reporter,
    report: &mut SyncReport,
) {
    // Room for every file, so downloads never wait for loads. Files stay
    // on disk after loading either way.
    let (sender, mut receiver) = tokio::sync::mpsc::channel(plan.steps.len().max(1));
    let downloads = async move {
        for (index, step) in plan.steps.iter().enumerate() {
            let fetched =
                download::fetch(client, &step.file, &options.download_dir, reporter).await;
            if sender.send((index, fetched)).await.is_err() {
                break;
            }
        }
    };

    let loads = async {
        let mut loader = Loader {
            store,
            options,
            reporter,
            blocked: None,
        };
        while let Some((index, fetched)) = receiver.recv().await {
            let step = &plan.steps[index];
            let (file, counts) = loader.handle(step, fetched).await;
            report.counts += counts;
            report.files.push(file);
        }
    };
    tokio::join!(downloads, loads);
}

/// Loads the downloaded files one at a time, in plan order.
struct Loader<'a> {
    store: &'a Store,
    options: &'a SyncOptions,
    reporter: &'a Reporter,
    /// Reason that later files wait, once a file has failed.
    blocked: Option<String>,
}

impl Loader<'_> {
    async fn handle(&mut self, step: &Step, fetched: Fetched) -> (FileReport, RowCounts) {
        let downloaded = matches!(fetched, Fetched::Downloaded(_));
        let mut counts = RowCounts::default();
        let outcome = match (fetched, &self.blocked) {
            (Fetched::Failed(error), _) => FileOutcome::Failed(format!("download failed: {error}")),
            (_, Some(reason)) => FileOutcome::NotLoaded(reason.clone()),
            (Fetched::Downloaded(path) | Fetched::OnDisk(path), None) => {
                let (outcome, written) = self.load(step, &path).await;
                counts = written;
                outcome
            }
        };

        if matches!(outcome, FileOutcome::Failed(_)) && self.blocked.is_none() {
            self.blocked = Some(format!(
                "{} failed before it, and deltas apply in date order",
                step.name
            ));
        }
        self.reporter.println(&file_line(&step.name, &outcome));
        let file = FileReport {
            name: step.name.clone(),
            downloaded,
            outcome,
        };
        (file, counts)
    }

    async fn load(&self, step: &Step, path: &Path) -> (FileOutcome, RowCounts) {
        let options = LoadOptions {
            replace: step.replace,
            ..self.options.load.clone()
        };
        if step.replace {
            tracing::info!(file = %step.name, "emptying the vehicle tables to load a new bulk");
        }
        match load::load(self.store, &[path.to_path_buf()], &options).await {
            Ok(report) => {
                let counts = report.summary.counts;
                let outcome = match first_problem(&report) {
                    None => FileOutcome::Loaded(counts),
                    Some(problem) => FileOutcome::Failed(format!(
                        "{problem}; if the file is damaged, delete {} and the next mot sync \
                         downloads it again",
                        path.display()
                    )),
                };
                (outcome, counts)
            }
            Err(error) => (
                FileOutcome::Failed(format!("{error:#}")),
                RowCounts::default(),
            ),
        }
    }
}

/// Returns the first member that failed or could not load, as a message.
fn first_problem(report: &LoadReport) -> Option<String> {
    report
        .members
        .iter()
        .find_map(|member| match &member.outcome {
            Outcome::Failed(error) => Some(format!("member {}: {error}", member.member)),
            Outcome::Waiting(reason) => {
                Some(format!("member {} not loaded: {reason}", member.member))
            }
            Outcome::Loaded(_) | Outcome::Skipped(_) => None,
        })
}

fn file_line(name: &str, outcome: &FileOutcome) -> String {
    match outcome {
        FileOutcome::Loaded(counts) => format!("loaded {name}: {}", describe_counts(counts)),
        FileOutcome::Skipped(reason) => format!("skipped {name}: {reason}"),
        FileOutcome::Failed(error) => format!("FAILED {name}: {error}"),
        FileOutcome::NotLoaded(reason) => format!("not loaded {name}: {reason}"),
    }
}

fn describe_counts(counts: &RowCounts) -> String {
    format!(
        "wrote {} vehicles, {} tests, {} defects; deleted {} vehicles; rejected {} lines",
        counts.vehicles, counts.tests, counts.defects, counts.vehicles_deleted, counts.rejects
    )
}

fn print_report(report: &SyncReport, seconds: f64, reporter: &Reporter) {
    let skipped = report.count(|o| matches!(o, FileOutcome::Skipped(_)));
    let failed = report.count(|o| matches!(o, FileOutcome::Failed(_)));
    let waiting = report.count(|o| matches!(o, FileOutcome::NotLoaded(_)));
    let mut line = format!(
        "sync finished in {seconds:.1} s: {} files listed, {} downloaded, {} loaded, {skipped} \
         skipped, {failed} failed",
        report.listed,
        report.downloaded(),
        report.loaded(),
    );
    if waiting > 0 {
        line.push_str(&format!(", {waiting} not loaded after a failure"));
    }
    line.push_str(&format!("; {}", describe_counts(&report.counts)));
    reporter.println(&line);
}
