//! Generator of MOT History bulk and delta archives of any size, in the layout of the DVSA
//! files, together with the row counts a correct load must end with.
//!
//! Each archive is a zip of members `<zip base name>_<N>.json.gz`. Each member is gzip (by
//! default several concatenated gzip streams) of newline-delimited JSON with one vehicle per
//! line. The content covers every variant the files are known to use: missing and `null`
//! fields, numbers written as strings, two date-time formats, CVS certificate numbers, Northern
//! Ireland tests without a `defects` key, shared registrations, escaped and 4-byte UTF-8 text.
//!
//! The expected counts come from the crate's own model of the load rules (see [`generate`]),
//! not from the project's parsing crates, so the generator works as an independent oracle.
//! [`ReferenceLoader`] computes the same counts a second way, by parsing the archives, and
//! [`write_scenario`] writes hand-written lines in the same layout for cases too specific to
//! generate.
//!
//! ```
//! use mot_fixtures::{GenerateOptions, generate};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let options = GenerateOptions { vehicles: 500, deltas: 2, ..GenerateOptions::default() };
//! let manifest = generate(dir.path(), &options)?;
//!
//! assert_eq!(manifest.bulk.file_name, "bulk-light-vehicle_01-07-2024.zip");
//! assert_eq!(manifest.deltas[1].file_name, "delta-light-vehicle_02-07-2024.zip");
//! assert_eq!(manifest.after_bulk.vehicles, 500);
//! println!("{manifest}");
//! # Ok(())
//! # }
//! ```

mod archive;
mod bad;
mod bulk;
mod codes;
mod delta;
mod error;
mod json;
mod manifest;
mod model;
mod options;
mod pools;
mod reference;
mod render;
mod rng;
mod scenario;
mod vehicle;

use std::path::Path;

pub use error::Error;
pub use manifest::{ArchiveInfo, Counts, Manifest};
pub use options::{BAD_LINES_PER_MEMBER, Compression, GenerateOptions};
pub use reference::{ReferenceLoader, RejectReason, for_each_line};
pub use scenario::{Scenario, write_scenario};

use crate::delta::DeltaWriter;
use crate::model::Model;
use crate::vehicle::Context;

/// Writes a bulk archive and `options.deltas` delta archives into `dir` and returns what was
/// written with the expected counts. Existing files of the same names are replaced.
///
/// The bulk archive is `bulk-light-vehicle_DD-MM-YYYY.zip`, dated `options.bulk_date`. Delta
/// `k` (from 0) is `delta-light-vehicle_DD-MM-YYYY.zip`, dated `k` days after the bulk date.
///
/// The counts follow these load rules:
/// - Bulk: every valid line is a new vehicle, even when another line has the same
///   registration. Each `motTests` element is a test and each `defects` element a defect.
/// - Deltas apply in date order, lines in file order. A line is matched to a stored vehicle by
///   registration. When several share it, the match is the one holding a test whose
///   `motTestNumber` appears in the line, else the most recently created one.
/// - CREATED and UPDATED: without a match the line becomes a new vehicle. With a match the
///   vehicle's fields are replaced, and each test in the line is matched to a stored test of
///   that vehicle by `motTestNumber`, or by completedDate, testResult and odometerValue when it
///   has none. A matched test is replaced with all its defects, an unmatched one is added, and
///   stored tests absent from the line are kept.
/// - DELETED: the matched vehicle is removed with its tests and defects. Without a match
///   nothing changes.
/// - A rejected line (see [`BAD_LINES_PER_MEMBER`]) adds no rows.
///
/// The bulk is written in constant memory, with one thread per core. The deltas' model keeps
/// only the vehicles delta lines touch, about 0.5 KB per delta line (measured: 180 MB after
/// three deltas of 111,000 lines on a bulk of 2 million vehicles).
///
/// # Errors
///
/// [`Error::InvalidOption`] for an option out of range. [`Error::Io`] or [`Error::Zip`] when
/// creating `dir` or writing an archive fails.
pub fn generate(dir: &Path, options: &GenerateOptions) -> Result<Manifest, Error> {
    options.validate()?;
    std::fs::create_dir_all(dir).map_err(|source| Error::io(dir, source))?;
    let context = Context {
        seed: options.seed,
        bulk_day: json::epoch_days(options.bulk_date),
    };

    let (bulk, after_bulk) = bulk::write_bulk(dir, &context, options)?;
    // Serial numbers of rejected lines continue after those of the bulk members.
    let mut bad_serial = options.members as u64 * BAD_LINES_PER_MEMBER;
    let mut model = Model::new(context, options.vehicles, after_bulk);
    let mut writer = DeltaWriter::new(context, options);
    let mut deltas = Vec::with_capacity(options.deltas);
    let mut after_each_delta = Vec::with_capacity(options.deltas);
    for number in 0..options.deltas {
        deltas.push(writer.write(dir, number, &mut model, &mut bad_serial)?);
        after_each_delta.push(model.counts());
    }

    let expected_rejects = bulk.rejects + deltas.iter().map(|delta| delta.rejects).sum::<u64>();
    Ok(Manifest {
        seed: options.seed,
        bulk,
        deltas,
        after_bulk,
        after_each_delta,
        expected_rejects,
    })
}
