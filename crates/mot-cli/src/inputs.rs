//! Finding input files and classifying their members as bulk or delta,
//! with the date each carries in its name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use mot_store::Kind;

/// Expands `paths` into files: a folder gives the files directly inside it
/// (sorted, hidden and `.part` files left out), a file gives itself.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}; check the path exists", path.display()))?;
        if !metadata.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        for entry in
            std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?
        {
            let entry = entry.with_context(|| format!("cannot list {}", path.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.ends_with(".part") || !entry.file_type()?.is_file() {
                continue;
            }
            found.push(entry.path());
        }
        found.sort();
        files.extend(found);
    }
    if files.is_empty() {
        bail!("no input files found in {}", describe(paths));
    }
    unique(files)
}

/// Drops repeats of a file given twice, and fails when two different files
/// share a name, because import tracking identifies files by name.
fn unique(files: Vec<PathBuf>) -> Result<Vec<PathBuf>> {
    let mut seen: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    let mut kept = Vec::with_capacity(files.len());
    for path in files {
        let real = std::fs::canonicalize(&path)
            .with_context(|| format!("cannot read {}; check the path exists", path.display()))?;
        let name = file_name(&path);
        match seen.get(&name) {
            Some(earlier) if *earlier == real => {}
            Some(earlier) => bail!(
                "{} and {} are different files with the same name {name}; load them in separate runs",
                earlier.display(),
                real.display()
            ),
            None => {
                seen.insert(name, real);
                kept.push(path);
            }
        }
    }
    Ok(kept)
}

fn describe(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Source of a file's or member's kind: `--kind` or its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindChoice {
    /// `delta-*` names are deltas, everything else is bulk.
    Auto,
    /// Every file is a bulk snapshot.
    Bulk,
    /// Every file is a delta.
    Delta,
}

/// Kind of an archive from its file name.
pub fn archive_kind(name: &str, choice: KindChoice) -> Kind {
    match choice {
        KindChoice::Bulk => Kind::Bulk,
        KindChoice::Delta => Kind::Delta,
        KindChoice::Auto if base_name(name).to_ascii_lowercase().starts_with("delta") => {
            Kind::Delta
        }
        KindChoice::Auto => Kind::Bulk,
    }
}

/// Kind of a member: a bulk archive can also hold `delta-*` members.
pub fn member_kind(member: &str, archive: Kind, choice: KindChoice) -> Kind {
    if choice != KindChoice::Auto {
        return archive;
    }
    let name = base_name(member).to_ascii_lowercase();
    if name.starts_with("delta") {
        Kind::Delta
    } else if name.starts_with("bulk") {
        Kind::Bulk
    } else {
        archive
    }
}

fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Finds the last `DD-MM-YYYY` date in a name, as the publisher writes
/// them (`delta-light-vehicle_03-07-2024.zip`).
pub fn date_in_name(name: &str) -> Option<NaiveDate> {
    let bytes = base_name(name).as_bytes();
    (0..bytes.len().saturating_sub(9)).rev().find_map(|start| {
        let window = &bytes[start..start + 10];
        let shaped = window.iter().enumerate().all(|(i, b)| match i {
            2 | 5 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
        let text = std::str::from_utf8(window).ok()?;
        shaped
            .then(|| NaiveDate::parse_from_str(text, "%d-%m-%Y").ok())
            .flatten()
    })
}

/// Moves `path` into `dir` (created if missing), replacing a file of the
/// same name, and returns the new path. Falls back to copy and delete when
/// `dir` is on another file system.
pub fn move_file(path: &Path, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", dir.display()))?;
    let target = dir.join(file_name(path));
    if std::fs::rename(path, &target).is_ok() {
        return Ok(target);
    }
    std::fs::copy(path, &target)
        .with_context(|| format!("cannot copy {} to {}", path.display(), target.display()))?;
    std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    Ok(target)
}

/// Name of `path` without its directory.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_names() {
        let date = NaiveDate::from_ymd_opt(2024, 7, 3);
        assert_eq!(date_in_name("delta-light-vehicle_03-07-2024.zip"), date);
        assert_eq!(
            date_in_name("delta-light-vehicle_03-07-2024_12.json.gz"),
            date
        );
        assert_eq!(
            date_in_name("v1/public/x/delta-light-vehicle_03-07-2024.zip"),
            date
        );
        assert_eq!(date_in_name("bulk.zip"), None);
        assert_eq!(date_in_name("x_31-02-2024.zip"), None);
    }

    #[test]
    fn kinds_from_names() {
        assert_eq!(
            archive_kind("delta-light-vehicle_03-07-2024.zip", KindChoice::Auto),
            Kind::Delta
        );
        assert_eq!(
            archive_kind("bulk-light-vehicle_01-07-2024.zip", KindChoice::Auto),
            Kind::Bulk
        );
        assert_eq!(
            archive_kind("examples.ndjson", KindChoice::Auto),
            Kind::Bulk
        );
        assert_eq!(
            member_kind("delta-x_1.json.gz", Kind::Bulk, KindChoice::Auto),
            Kind::Delta
        );
        assert_eq!(
            member_kind("part_1.json.gz", Kind::Delta, KindChoice::Auto),
            Kind::Delta
        );
        assert_eq!(
            member_kind("delta-x_1.json.gz", Kind::Bulk, KindChoice::Bulk),
            Kind::Bulk
        );
    }
}
