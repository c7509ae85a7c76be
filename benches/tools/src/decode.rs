//! Decoding members into table rows on several threads, as `mot load` does
//! before anything reaches the database.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use mot_parse::{Member, ReadOptions, RecordError, Source};
use mot_store::{Provenance, RowBatch, vehicle_id};

/// Vehicles per batch, as `mot load` cuts them by default (`--batch-size`).
const BATCH_VEHICLES: usize = 2_000;
/// Encoded bytes per batch, the fixed limit of `mot load`.
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Rows per batch over the three tables, the fixed limit of `mot load`.
const BATCH_ROWS: u64 = 50_000;

/// Arguments of `mot-bench decode`.
#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    /// Threads decoding members at once, each taking the next member.
    #[arg(long, default_value_t = 2)]
    threads: usize,

    /// Also write the rows as `vehicles.tsv`, `mot_tests.tsv` and
    /// `defects.tsv` in this folder, in the text form `LOAD DATA` reads,
    /// and `load-data.sql`, which loads them. Member N (from 1, in input
    /// order) gets vehicle ids as if its `import_log.id` were N.
    #[arg(long)]
    tsv_dir: Option<PathBuf>,

    /// Zip archives, `.json.gz` files or NDJSON files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// One member to decode, with its position among all members.
struct Job {
    source: Arc<Source>,
    member: Member,
    ordinal: u64,
}

/// Counts over the members a thread decoded.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    stored_bytes: u64,
    uncompressed_bytes: u64,
    lines: u64,
    vehicles: u64,
    mot_tests: u64,
    defects: u64,
    rejects: u64,
}

impl std::ops::AddAssign for Totals {
    fn add_assign(&mut self, other: Self) {
        self.stored_bytes += other.stored_bytes;
        self.uncompressed_bytes += other.uncompressed_bytes;
        self.lines += other.lines;
        self.vehicles += other.vehicles;
        self.mot_tests += other.mot_tests;
        self.defects += other.defects;
        self.rejects += other.rejects;
    }
}

/// Decodes every member and returns the summary line.
pub fn run(args: &DecodeArgs) -> Result<String> {
    if args.threads == 0 {
        bail!("--threads must be at least 1");
    }
    let jobs = list_jobs(&args.inputs)?;
    if let Some(dir) = &args.tsv_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let results: Vec<Result<Totals>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.threads)
            .map(|_| scope.spawn(|| decode_jobs(&jobs, &next, args.tsv_dir.as_deref())))
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a decoding thread panicked"))
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();

    let mut totals = Totals::default();
    for result in results {
        totals += result?;
    }
    if let Some(dir) = &args.tsv_dir {
        join_tsv_parts(dir, jobs.len())?;
        crate::baseline::write_script(dir)?;
    }
    Ok(format!(
        "decode threads={} members={} stored_bytes={} uncompressed_bytes={} lines={} vehicles={} \
         mot_tests={} defects={} rejects={} seconds={seconds:.3} uncompressed_bytes_per_second={:.0}",
        args.threads,
        jobs.len(),
        totals.stored_bytes,
        totals.uncompressed_bytes,
        totals.lines,
        totals.vehicles,
        totals.mot_tests,
        totals.defects,
        totals.rejects,
        totals.uncompressed_bytes as f64 / seconds,
    ))
}

fn list_jobs(inputs: &[PathBuf]) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for path in inputs {
        let source = Arc::new(Source::open(path)?);
        for member in source.members() {
            jobs.push(Job {
                source: source.clone(),
                member: member.clone(),
                ordinal: jobs.len() as u64 + 1,
            });
        }
    }
    Ok(jobs)
}

/// Takes members from `jobs` until none is left.
fn decode_jobs(jobs: &[Job], next: &AtomicUsize, tsv_dir: Option<&Path>) -> Result<Totals> {
    let mut totals = Totals::default();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(index) else {
            return Ok(totals);
        };
        let mut sink = match tsv_dir {
            Some(dir) => Some(TsvParts::create(dir, job.ordinal)?),
            None => None,
        };
        totals += decode_member(job, sink.as_mut())?;
        if let Some(sink) = sink {
            sink.finish()?;
        }
    }
}

/// Decodes one member into batches cut at the limits `mot load` uses, and
/// drops each full batch, or writes it to `sink`.
fn decode_member(job: &Job, mut sink: Option<&mut TsvParts>) -> Result<Totals> {
    let mut records = job.source.records(&job.member, &ReadOptions::default())?;
    let mut totals = Totals {
        stored_bytes: job.member.compressed_size,
        ..Totals::default()
    };
    let mut rows = RowBatch::new();
    let mut vehicles_in_batch = 0;

    while let Some(result) = records.next_record() {
        match result {
            Ok(record) => {
                let provenance = Provenance {
                    import_id: job.ordinal,
                    line: record.line,
                };
                let id = vehicle_id(provenance);
                match rows.push_vehicle(id, provenance, &record.vehicle) {
                    Ok(()) => vehicles_in_batch += 1,
                    Err(_) => totals.rejects += 1,
                }
            }
            Err(RecordError::Line(_)) => totals.rejects += 1,
            Err(RecordError::Member(error)) => return Err(error.into()),
        }
        let full = vehicles_in_batch >= BATCH_VEHICLES
            || rows.bytes() >= BATCH_BYTES
            || rows.rows() >= BATCH_ROWS;
        if full {
            flush(&mut rows, &mut totals, sink.as_deref_mut())?;
            vehicles_in_batch = 0;
        }
    }
    flush(&mut rows, &mut totals, sink)?;
    totals.uncompressed_bytes = records.bytes_read();
    totals.lines = records.lines_read();
    Ok(totals)
}

/// Counts a batch and hands it on, leaving an empty batch in its place, as
/// the decoder of `mot load` does when it sends a batch to the writer.
fn flush(rows: &mut RowBatch, totals: &mut Totals, sink: Option<&mut TsvParts>) -> Result<()> {
    let batch = std::mem::take(rows);
    totals.vehicles += batch.vehicles.rows;
    totals.mot_tests += batch.tests.rows;
    totals.defects += batch.defects.rows;
    if let Some(sink) = sink {
        sink.write(&batch)?;
    }
    Ok(())
}

/// The three table files of one member.
struct TsvParts {
    files: [BufWriter<File>; 3],
}

const TABLES: [&str; 3] = ["vehicles", "mot_tests", "defects"];

fn part_path(dir: &Path, table: &str, ordinal: u64) -> PathBuf {
    dir.join(format!("{table}.part{ordinal:06}"))
}

impl TsvParts {
    fn create(dir: &Path, ordinal: u64) -> Result<Self> {
        let open = |table: &str| -> Result<BufWriter<File>> {
            let path = part_path(dir, table, ordinal);
            let file =
                File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            Ok(BufWriter::with_capacity(1 << 20, file))
        };
        Ok(Self {
            files: [open(TABLES[0])?, open(TABLES[1])?, open(TABLES[2])?],
        })
    }

    fn write(&mut self, batch: &RowBatch) -> Result<()> {
        let data = [&batch.vehicles.data, &batch.tests.data, &batch.defects.data];
        for (file, data) in self.files.iter_mut().zip(data) {
            file.write_all(data)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        for mut file in self.files {
            file.flush()?;
        }
        Ok(())
    }
}

/// Concatenates the members' parts of each table, in member order, into
/// `<table>.tsv` and removes the parts.
fn join_tsv_parts(dir: &Path, members: usize) -> Result<()> {
    for table in TABLES {
        let path = dir.join(format!("{table}.tsv"));
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        for ordinal in 1..=members as u64 {
            let part = part_path(dir, table, ordinal);
            let mut input =
                File::open(&part).with_context(|| format!("opening {}", part.display()))?;
            std::io::copy(&mut input, &mut out)?;
            std::fs::remove_file(&part)?;
        }
        out.flush()?;
    }
    Ok(())
}
