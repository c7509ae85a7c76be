//! Copying zip members out unchanged, so `gzip -dc` can read the same
//! `.json.gz` bytes that `mot load` inflates.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, Result, bail};
use zip::ZipArchive;

/// Writes each file member of `archive` into `out` under its base name and
/// returns a line with the member count and bytes written.
pub fn run(archive: &Path, out: &Path) -> Result<String> {
    let file = File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut zip = ZipArchive::new(BufReader::new(file))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;

    let mut members = 0;
    let mut bytes = 0;
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index)?;
        if entry.is_dir() {
            continue;
        }
        // Member names are labels from the file: only the last component is
        // used, so a name such as `../x` cannot leave `out`.
        let full_name = entry.name()?.into_owned();
        let name = Path::new(&full_name).file_name().map(ToOwned::to_owned);
        let Some(name) = name else {
            bail!("member {index} of {} has no file name", archive.display());
        };
        let path = out.join(name);
        let mut target =
            File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        bytes += std::io::copy(&mut entry, &mut target)?;
        members += 1;
    }
    Ok(format!("extract members={members} bytes={bytes}"))
}
