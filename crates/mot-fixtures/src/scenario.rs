//! Archives with hand-written lines, for cases too specific to generate.

use std::path::Path;

use chrono::NaiveDate;

use crate::archive::{ArchiveWriter, Layout, LineSink};
use crate::delta::delta_date;
use crate::error::Error;
use crate::manifest::{ArchiveInfo, Manifest};
use crate::options::Compression;
use crate::reference::ReferenceLoader;

/// Hand-written lines for one bulk archive and its deltas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Date of the bulk archive. Delta `k` (from 0) is dated `k` days later.
    pub bulk_date: NaiveDate,
    /// Members per archive (at least 1). Lines are split evenly across them in order.
    pub members: usize,
    /// Lines of the bulk archive, without newlines. They may be invalid on purpose.
    pub bulk: Vec<Vec<u8>>,
    /// Lines of each delta archive, in the order the deltas apply.
    pub deltas: Vec<Vec<Vec<u8>>>,
}

/// Writes the archives of `scenario` into `dir` in the layout of [`generate`](crate::generate)
/// (deflated zip members, each two or three gzip streams) and returns them with the counts the
/// [`ReferenceLoader`] computes from the lines. The manifest's seed is 0.
///
/// # Errors
///
/// [`Error::InvalidOption`] when `members` is 0 or a line contains a newline.
/// [`Error::ZipTimestamp`] for a date outside 1980-2107. [`Error::Io`] or [`Error::Zip`] when
/// writing fails.
pub fn write_scenario(dir: &Path, scenario: &Scenario) -> Result<Manifest, Error> {
    if scenario.members == 0 {
        return Err(Error::invalid_option("members", "must be at least 1"));
    }
    let all_lines = scenario.bulk.iter().chain(scenario.deltas.iter().flatten());
    if all_lines.into_iter().any(|line| line.contains(&b'\n')) {
        return Err(Error::invalid_option(
            "bulk",
            "a line contains a newline byte",
        ));
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::io(dir, source))?;
    let mut loader = ReferenceLoader::new();

    let base_name = format!(
        "bulk-light-vehicle_{}",
        scenario.bulk_date.format("%d-%m-%Y")
    );
    let bulk = write_lines(
        dir,
        &base_name,
        scenario.bulk_date,
        scenario.members,
        &scenario.bulk,
    )?;
    let rejects_before = loader.rejects();
    for line in &scenario.bulk {
        let _rejected = loader.load_bulk_line(line);
    }
    let bulk = ArchiveInfo {
        rejects: loader.rejects() - rejects_before,
        ..bulk
    };
    let after_bulk = loader.counts();

    let mut deltas = Vec::new();
    let mut after_each_delta = Vec::new();
    for (number, lines) in scenario.deltas.iter().enumerate() {
        let created_on = delta_date(scenario.bulk_date, number);
        let base_name = format!("delta-light-vehicle_{}", created_on.format("%d-%m-%Y"));
        let info = write_lines(dir, &base_name, created_on, scenario.members, lines)?;
        let rejects_before = loader.rejects();
        for line in lines {
            let _rejected = loader.apply_delta_line(line);
        }
        deltas.push(ArchiveInfo {
            rejects: loader.rejects() - rejects_before,
            ..info
        });
        after_each_delta.push(loader.counts());
    }

    Ok(Manifest {
        seed: 0,
        bulk,
        deltas,
        after_bulk,
        after_each_delta,
        expected_rejects: loader.rejects(),
    })
}

/// Writes `lines` into `members` members of a new archive, leaving `rejects` at 0.
fn write_lines(
    dir: &Path,
    base_name: &str,
    created_on: NaiveDate,
    members: usize,
    lines: &[Vec<u8>],
) -> Result<ArchiveInfo, Error> {
    let layout = Layout {
        compression: Compression::Deflate,
        multi_member_gzip: true,
        force_zip64: false,
    };
    let mut archive = ArchiveWriter::create(dir, base_name, created_on, layout)?;
    for member_index in 0..members {
        let first = lines.len() * member_index / members;
        let end = lines.len() * (member_index + 1) / members;
        let mut member = archive.member(member_index + 1, (end - first) as u64)?;
        for line in &lines[first..end] {
            member.write_line(line)?;
        }
        member.finish()?;
    }
    let path = archive.path().to_owned();
    let size_bytes = archive.finish()?;
    Ok(ArchiveInfo {
        path,
        file_name: format!("{base_name}.zip"),
        created_on,
        members,
        lines: lines.len() as u64,
        rejects: 0,
        size_bytes,
    })
}
