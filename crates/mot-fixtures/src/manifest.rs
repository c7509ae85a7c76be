//! The list of written archives and the counts a correct load ends with.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Row counts of the loaded data: vehicles, MOT tests and defects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Counts {
    /// Stored vehicles. Vehicles that share a registration count separately.
    pub vehicles: u64,
    /// Stored MOT tests, over all vehicles.
    pub mot_tests: u64,
    /// Stored defects, over all tests.
    pub defects: u64,
}

/// One archive file written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveInfo {
    /// Full path of the archive.
    pub path: PathBuf,
    /// File name, such as `delta-light-vehicle_02-07-2024.zip`.
    pub file_name: String,
    /// The date the real listing reports as `fileCreatedOn`. Deltas apply in this order.
    pub created_on: NaiveDate,
    /// Number of `.json.gz` members.
    pub members: usize,
    /// Lines over all members, rejected lines included.
    pub lines: u64,
    /// Lines a loader must reject. Each adds no rows.
    pub rejects: u64,
    /// Size of the archive in bytes.
    pub size_bytes: u64,
}

/// The archives written and the counts after loading the bulk and then each delta in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Seed the content was generated from.
    pub seed: u64,
    /// The bulk archive.
    pub bulk: ArchiveInfo,
    /// Delta archives, in the order they must be applied.
    pub deltas: Vec<ArchiveInfo>,
    /// Counts after loading the bulk archive.
    pub after_bulk: Counts,
    /// Counts after applying each delta, in the order of [`Manifest::deltas`].
    pub after_each_delta: Vec<Counts>,
    /// Rejected lines over all archives.
    pub expected_rejects: u64,
}

impl Manifest {
    /// Returns the counts after the last archive.
    pub fn final_counts(&self) -> Counts {
        self.after_each_delta
            .last()
            .copied()
            .unwrap_or(self.after_bulk)
    }

    /// Returns the bulk archive followed by the deltas, with the counts after each.
    pub fn archives(&self) -> impl Iterator<Item = (&ArchiveInfo, Counts)> {
        let deltas = self
            .deltas
            .iter()
            .zip(self.after_each_delta.iter().copied());
        std::iter::once((&self.bulk, self.after_bulk)).chain(deltas)
    }
}

impl fmt::Display for Manifest {
    /// Writes one row per archive with the counts after loading it, then the reject total.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .archives()
            .map(|(archive, _)| archive.file_name.len())
            .max();
        let width = width.unwrap_or(0).max("archive".len());
        writeln!(
            f,
            "{:<width$}  {:<10}  {:>7}  {:>10}  {:>7}  {:>12}  {:>12}  {:>12}",
            "archive",
            "created on",
            "members",
            "lines",
            "rejects",
            "vehicles",
            "mot tests",
            "defects",
        )?;
        for (archive, counts) in self.archives() {
            writeln!(
                f,
                "{:<width$}  {:<10}  {:>7}  {:>10}  {:>7}  {:>12}  {:>12}  {:>12}",
                archive.file_name,
                archive.created_on.to_string(),
                archive.members,
                archive.lines,
                archive.rejects,
                counts.vehicles,
                counts.mot_tests,
                counts.defects,
            )?;
        }
        write!(
            f,
            "seed {}, {} rejected lines expected; counts are after loading each archive in order",
            self.seed, self.expected_rejects
        )
    }
}
