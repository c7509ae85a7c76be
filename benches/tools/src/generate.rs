//! Generating archives with explicit delta sizes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use mot_fixtures::{GenerateOptions, generate};

/// Arguments of `mot-bench generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Folder to write the archives into; created if missing.
    #[arg(long)]
    out: PathBuf,

    /// Vehicles in the bulk archive.
    #[arg(long)]
    vehicles: u64,

    /// Members of the bulk archive.
    #[arg(long, default_value_t = 4)]
    members: usize,

    /// Delta archives after the bulk.
    #[arg(long, default_value_t = 0)]
    deltas: usize,

    /// UPDATED lines per delta (default: the generator's, 5% of vehicles).
    #[arg(long)]
    delta_updates: Option<u64>,

    /// CREATED lines per delta (default: the generator's, 0.5% of vehicles).
    #[arg(long)]
    delta_created: Option<u64>,

    /// DELETED lines per delta (default: the generator's, 0.05% of vehicles).
    #[arg(long)]
    delta_deleted: Option<u64>,

    /// Also write the generator's manifest, with every expected count, as
    /// JSON to this file.
    #[arg(long)]
    manifest: Option<PathBuf>,
}

/// Writes the archives and returns a line with their paths and the counts a
/// correct load ends with after the bulk and after the last delta.
pub fn run(args: &GenerateArgs) -> Result<String> {
    let options = GenerateOptions {
        vehicles: args.vehicles,
        members: args.members,
        deltas: args.deltas,
        delta_updates: args.delta_updates,
        delta_created: args.delta_created,
        delta_deleted: args.delta_deleted,
        ..GenerateOptions::default()
    };
    let started = Instant::now();
    let manifest = generate(&args.out, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.manifest {
        let json = serde_json::to_string_pretty(&manifest)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }

    let bulk = manifest.after_bulk;
    let last = manifest.final_counts();
    let delta_lines: u64 = manifest.deltas.iter().map(|delta| delta.lines).sum();
    let last_delta = manifest
        .deltas
        .last()
        .map_or_else(String::new, |delta| delta.path.display().to_string());
    Ok(format!(
        "generate bulk={} bulk_bytes={} bulk_vehicles={} bulk_mot_tests={} bulk_defects={} \
         last_delta={last_delta} delta_lines={delta_lines} final_vehicles={} final_mot_tests={} \
         final_defects={} rejects={} seconds={seconds:.3}",
        manifest.bulk.path.display(),
        manifest.bulk.size_bytes,
        bulk.vehicles,
        bulk.mot_tests,
        bulk.defects,
        last.vehicles,
        last.mot_tests,
        last.defects,
        manifest.expected_rejects,
    ))
}
