//! `mot`: keeps a MySQL or MariaDB database in step with the DVSA MOT
//! History bulk data.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use mot_cli::api::ApiArgs;
use mot_cli::db::DbArgs;
use mot_cli::decode::BatchLimits;
use mot_cli::download::Selection;
use mot_cli::inputs::KindChoice;
use mot_cli::load::{self, LoadOptions, LoadReport, Outcome};
use mot_cli::progress::Reporter;
use mot_cli::sync::SyncOptions;
use mot_store::LoadMethod;
use tracing_subscriber::EnvFilter;

/// Exit status when every file was handled.
const EXIT_OK: u8 = 0;
/// Exit status when some file failed or had more rejects than allowed.
const EXIT_FAILED: u8 = 1;
/// Exit status for a usage or configuration error.
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "mot",
    version,
    about = "Keep a MySQL or MariaDB database in step with the DVSA MOT History data",
    after_help = "Exit status: 0 when everything was handled, 1 when a file failed or had more \
                  rejected lines than allowed, 2 for a usage or configuration error."
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,

    /// Print more detail: -v for debug, -vv for trace. RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// Print only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,

    /// Log progress lines instead of drawing progress bars. Bars are drawn
    /// only when stderr is a terminal.
    #[arg(long, global = true)]
    no_progress: bool,

    /// Seconds between two progress log lines of one file, when no bars
    /// are drawn.
    #[arg(long, env = "PROGRESS_INTERVAL", default_value_t = 10, global = true)]
    progress_interval: u64,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or upgrade the database schema.
    Migrate,

    /// Load bulk and delta files (zip archives, .json.gz or NDJSON).
    Load(LoadArgs),

    /// Download the newest bulk file and every delta from the MOT History
    /// API into the download folder, skipping files already complete there.
    Download(DownloadArgs),

    /// Bring the database up to date with the MOT History API: download and
    /// load the bulk when the database needs it, then every delta not yet
    /// loaded. This is the nightly job.
    Sync(SyncArgs),

    /// Show each file's state and row counts.
    Status {
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },

    /// Check the database and machine for what a load needs, and say how to
    /// fix what is missing.
    Doctor {
        /// Folder downloads go to, checked for free space.
        #[arg(long, env = "DOWNLOAD_DIR", default_value = "downloads")]
        download_dir: PathBuf,
    },

    /// Load again the files in the failed folder. A file whose members all
    /// load moves back to the download folder; the others stay.
    Retry(RetryArgs),

    /// Print rejected lines as JSON, one object per line.
    Rejects {
        /// Only lines of this archive (its file name).
        #[arg(long)]
        archive: Option<String>,

        /// Most lines to print.
        #[arg(long, default_value_t = 1_000)]
        limit: u64,
    },

    /// Write generated bulk and delta archives in the real layout, and print
    /// the row counts a correct load must end with.
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
struct RetryArgs {
    /// Folder holding the files that failed.
    #[arg(long, env = "FAILED_DIR", default_value = "failed")]
    failed_dir: PathBuf,

    /// Folder a file moves to once all its members are loaded.
    #[arg(long, env = "DOWNLOAD_DIR", default_value = "downloads")]
    download_dir: PathBuf,

    /// Vehicles per batch; each batch is one transaction.
    #[arg(long, env = "BATCH_SIZE", default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..))]
    batch_size: u32,

    /// Fail a member that has more rejected lines than this.
    #[arg(long)]
    max_rejects: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct DownloadArgs {
    /// Folder to download into; created if missing.
    #[arg(long, env = "DOWNLOAD_DIR", default_value = "downloads")]
    download_dir: PathBuf,

    /// Download the newest bulk file. Without --bulk or --deltas, both.
    #[arg(long)]
    bulk: bool,

    /// Download every delta file. Without --bulk or --deltas, both.
    #[arg(long)]
    deltas: bool,

    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Debug, clap::Args)]
struct SyncArgs {
    /// Folder to download into and load from; created if missing. Files
    /// stay there after loading.
    #[arg(long, env = "DOWNLOAD_DIR", default_value = "downloads")]
    download_dir: PathBuf,

    /// Reload the newest bulk from scratch, emptying the vehicle tables,
    /// even when the listed deltas could bring the database up to date.
    #[arg(long)]
    bulk: bool,

    /// Vehicles per batch; each batch is one transaction. Batches also stop
    /// at 8 MiB of rows and at 50,000 rows, whichever comes first.
    #[arg(long, env = "BATCH_SIZE", default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..))]
    batch_size: u32,

    /// Bulk members loaded at once, each decoded on its own thread.
    #[arg(long, short = 'j', default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,

    /// Fail a member that has more rejected lines than this.
    #[arg(long)]
    max_rejects: Option<u64>,

    /// How rows reach the server: LOAD DATA LOCAL INFILE when allowed
    /// (auto), always LOAD DATA, or multi-row INSERT.
    #[arg(long, value_enum, default_value = "auto")]
    load_method: MethodChoice,

    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Debug, clap::Args)]
struct LoadArgs {
    /// Files or folders to load. A folder gives the files directly inside it.
    #[arg(required = true)]
    paths: Vec<PathBuf>,

    /// Vehicles per batch; each batch is one transaction. Batches also stop
    /// at 8 MiB of rows and at 50,000 rows, whichever comes first.
    #[arg(long, env = "BATCH_SIZE", default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..))]
    batch_size: u32,

    /// Bulk members loaded at once, each decoded on its own thread.
    #[arg(long, short = 'j', default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,

    /// How to tell bulk files from deltas: by name (auto), or force one.
    #[arg(long, value_enum, default_value = "auto")]
    kind: KindChoice,

    /// Empty the vehicle tables and load the given bulk from scratch.
    #[arg(long)]
    replace: bool,

    /// Fail a member that has more rejected lines than this.
    #[arg(long)]
    max_rejects: Option<u64>,

    /// Folder that a file with a failed member is moved to, for `mot retry`.
    #[arg(long, env = "FAILED_DIR", default_value = "failed")]
    failed_dir: PathBuf,

    /// How rows reach the server: LOAD DATA LOCAL INFILE when allowed
    /// (auto), always LOAD DATA, or multi-row INSERT.
    #[arg(long, value_enum, default_value = "auto")]
    load_method: MethodChoice,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum MethodChoice {
    Auto,
    LoadData,
    Insert,
}

impl From<MethodChoice> for LoadMethod {
    fn from(choice: MethodChoice) -> Self {
        match choice {
            MethodChoice::Auto => LoadMethod::Auto,
            MethodChoice::LoadData => LoadMethod::LoadData,
            MethodChoice::Insert => LoadMethod::Insert,
        }
    }
}

#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// Folder to write the archives into; created if missing.
    #[arg(long, default_value = "generated")]
    out: PathBuf,

    /// Vehicles in the bulk archive.
    #[arg(long, default_value_t = 10_000)]
    vehicles: u64,

    /// Delta archives, dated one day apart starting on the bulk's date.
    #[arg(long, default_value_t = 3)]
    deltas: usize,

    /// Members (`_N.json.gz` entries) in the bulk archive.
    #[arg(long, default_value_t = 4)]
    members: usize,

    /// Seed; the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Add invalid lines, each counted as one expected reject.
    #[arg(long)]
    bad_lines: bool,

    /// Print the expected counts as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let bars = !cli.no_progress && !cli.quiet && std::io::stderr().is_terminal();
    let reporter = Reporter::new(bars, Duration::from_secs(cli.progress_interval));
    init_logging(cli.verbose, cli.quiet, &reporter);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match runtime.block_on(run(cli, reporter)) {
        Ok(code) => ExitCode::from(code),
        Err(error) if is_broken_pipe(&error) => {
            // The reader of stdout went away, as `mot status | head` does.
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {}", describe_error(&error));
            // An API that cannot be reached is a failed run, worth retrying
            // later; rejected credentials are a configuration error.
            if mot_cli::api::is_remote_failure(&error) {
                ExitCode::from(EXIT_FAILED)
            } else {
                ExitCode::from(EXIT_USAGE)
            }
        }
    }
}

fn init_logging(verbose: u8, quiet: bool, reporter: &Reporter) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => {
            "info,mot_cli=debug,mot_store=debug,mot_parse=debug,dvla_client=debug,mot=debug"
        }
        (false, _) => "trace,mysql_async=debug,hyper=info,h2=info,reqwest=debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(reporter.log_writer())
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
}

async fn run(cli: Cli, reporter: Reporter) -> Result<u8> {
    match cli.command {
        Command::Migrate => {
            let store = cli.db.connect(LoadMethod::Auto, 1).await?;
            let applied = store.migrate().await?;
            if applied.is_empty() {
                eprintln!("schema of {} is up to date", cli.db.describe());
            } else {
                eprintln!("applied migrations {applied:?} to {}", cli.db.describe());
            }
            Ok(EXIT_OK)
        }
        Command::Load(args) => run_load(&cli.db, args, &reporter).await,
        Command::Download(args) => run_download(args, &reporter).await,
        Command::Sync(args) => run_sync(&cli.db, args, &reporter).await,
        Command::Status { json } => {
            let store = cli.db.connect(LoadMethod::Auto, 1).await?;
            store.migrate().await?;
            mot_cli::status::print(
                &store,
                cli.db.describe(),
                json,
                &mut std::io::stdout().lock(),
            )
            .await?;
            Ok(EXIT_OK)
        }
        Command::Doctor { download_dir } => {
            let store = cli.db.connect(LoadMethod::Auto, 1).await?;
            store.migrate().await?;
            eprintln!(
                "ok   connected to {} ({})",
                cli.db.describe(),
                store.server().version
            );
            let findings = mot_cli::doctor::check(&store.diagnose().await?, &download_dir);
            let failed = mot_cli::doctor::print(&findings, &mut std::io::stdout().lock())?;
            Ok(if failed { EXIT_FAILED } else { EXIT_OK })
        }
        Command::Retry(args) => run_retry(&cli.db, args).await,
        Command::Rejects { archive, limit } => {
            let store = cli.db.connect(LoadMethod::Auto, 1).await?;
            store.migrate().await?;
            print_rejects(&store, archive.as_deref(), limit).await?;
            Ok(EXIT_OK)
        }
        Command::Generate(args) => run_generate(args),
    }
}

async fn run_retry(db: &DbArgs, args: RetryArgs) -> Result<u8> {
    let store = db.connect(LoadMethod::Auto, 4).await?;
    let Some(_lock) = run_lock(&store, db).await? else {
        return Ok(EXIT_FAILED);
    };
    store.migrate().await?;
    let options = LoadOptions {
        limits: BatchLimits {
            vehicles: args.batch_size as usize,
            ..LoadOptions::default().limits
        },
        max_rejects: args.max_rejects,
        ..LoadOptions::default()
    };
    let report =
        mot_cli::retry::retry(&store, &args.failed_dir, &args.download_dir, &options).await?;
    for file in &report.files {
        if file.succeeded {
            eprintln!("loaded: {} (moved to {})", file.name, file.path.display());
        } else {
            eprintln!("FAILED again: {}", file.name);
            for error in &file.errors {
                eprintln!("    {error}");
            }
        }
    }
    let failed = report.files.len() - report.succeeded();
    eprintln!(
        "retried {} files from {}: {} succeeded, {failed} failed",
        report.files.len(),
        args.failed_dir.display(),
        report.succeeded()
    );
    Ok(if failed == 0 { EXIT_OK } else { EXIT_FAILED })
}

async fn print_rejects(store: &mot_store::Store, archive: Option<&str>, limit: u64) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for stored in store.rejects(archive, limit).await? {
        let line = serde_json::json!({
            "archive": stored.archive,
            "member": stored.member,
            "line": stored.reject.line,
            "byte_offset": stored.reject.byte_offset,
            "reason": stored.reject.reason,
            "raw": String::from_utf8_lossy(&stored.reject.raw),
            "raw_length": stored.reject.length,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

async fn run_download(args: DownloadArgs, reporter: &Reporter) -> Result<u8> {
    let client = args.api.client()?;
    let both = !args.bulk && !args.deltas;
    let selection = Selection {
        bulk: args.bulk || both,
        deltas: args.deltas || both,
    };
    let report =
        mot_cli::download::download(&client, &args.download_dir, selection, reporter).await?;
    mot_cli::download::print_summary(&report, &args.download_dir, reporter);
    Ok(if report.succeeded() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

async fn run_sync(db: &DbArgs, args: SyncArgs, reporter: &Reporter) -> Result<u8> {
    // Missing credentials stop the run before it touches the database.
    let client = args.api.client()?;
    let store = db
        .connect(args.load_method.into(), usize::from(args.jobs) + 2)
        .await?;
    let options = SyncOptions {
        download_dir: args.download_dir,
        force_bulk: args.bulk,
        load: LoadOptions {
            limits: BatchLimits {
                vehicles: args.batch_size as usize,
                ..LoadOptions::default().limits
            },
            jobs: usize::from(args.jobs),
            max_rejects: args.max_rejects,
            progress: reporter.load_progress(),
            ..LoadOptions::default()
        },
    };
    let succeeded = mot_cli::sync::run(&store, &db.describe(), &client, &options, reporter).await?;
    Ok(if succeeded { EXIT_OK } else { EXIT_FAILED })
}

async fn run_load(db: &DbArgs, args: LoadArgs, reporter: &Reporter) -> Result<u8> {
    let store = db
        .connect(args.load_method.into(), usize::from(args.jobs) + 2)
        .await?;
    let Some(_lock) = run_lock(&store, db).await? else {
        return Ok(EXIT_FAILED);
    };
    store.migrate().await?;
    let options = LoadOptions {
        limits: BatchLimits {
            vehicles: args.batch_size as usize,
            ..LoadOptions::default().limits
        },
        jobs: usize::from(args.jobs),
        kind: args.kind,
        replace: args.replace,
        max_rejects: args.max_rejects,
        failed_dir: Some(args.failed_dir),
        progress: reporter.load_progress(),
        ..LoadOptions::default()
    };
    let started = std::time::Instant::now();
    let report = load::load(&store, &args.paths, &options).await?;
    // No table totals here: counting billions of rows takes minutes, and
    // `mot status` prints them on request.
    print_summary(&report, started.elapsed());
    Ok(if report.succeeded() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

fn print_summary(report: &LoadReport, elapsed: std::time::Duration) {
    for member in &report.members {
        let name = if member.member.is_empty() {
            member.archive.clone()
        } else {
            format!("{} {}", member.archive, member.member)
        };
        match &member.outcome {
            Outcome::Loaded(_) => {}
            Outcome::Skipped(reason) => tracing::debug!("skipped {name}: {reason}"),
            Outcome::Waiting(reason) => eprintln!("not loaded: {name}: {reason}"),
            Outcome::Failed(error) => eprintln!("FAILED: {name}: {error}"),
        }
    }
    let summary = &report.summary;
    let counts = summary.counts;
    eprintln!(
        "{} files: {} members loaded, {} skipped, {} failed in {:.1} s; wrote {} vehicles, {} tests, \
         {} defects; deleted {} vehicles; rejected {} lines",
        summary.files,
        summary.members_loaded,
        summary.members_skipped,
        summary.members_failed,
        elapsed.as_secs_f64(),
        counts.vehicles,
        counts.tests,
        counts.defects,
        counts.vehicles_deleted,
        counts.rejects
    );
}

fn run_generate(args: GenerateArgs) -> Result<u8> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let options = mot_fixtures::GenerateOptions {
        vehicles: args.vehicles,
        deltas: args.deltas,
        members: args.members,
        seed: args.seed,
        bad_lines: args.bad_lines,
        ..mot_fixtures::GenerateOptions::default()
    };
    let manifest = mot_fixtures::generate(&args.out, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&manifest)?);
    } else {
        println!("{manifest}");
    }
    Ok(EXIT_OK)
}

/// Takes the database-wide lock that `mot sync` also takes, so that no two
/// runs write one database at once. Prints a message and returns `None`
/// when another run has it.
async fn run_lock(store: &mot_store::Store, db: &DbArgs) -> Result<Option<mot_store::RunLock>> {
    let lock = store.try_lock("sync").await?;
    if lock.is_none() {
        eprintln!(
            "another mot sync, load or retry is running against {}; try again when it finishes",
            db.describe()
        );
    }
    Ok(lock)
}

/// Formats an error with its causes, leaving out each cause whose text the
/// message already contains, since many errors repeat their source.
fn describe_error(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
