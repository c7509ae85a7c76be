//! The SQL script that loads the TSV files of `decode --tsv-dir` with the
//! server's own `LOAD DATA LOCAL INFILE`: the baseline `mot load` is timed
//! against.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use mot_store::{DEFECTS, MOT_TESTS, SECONDARY_INDEXES, Table, VEHICLES};

/// File name of the script, written beside the TSV files.
pub const SCRIPT_NAME: &str = "load-data.sql";

/// Writes `load-data.sql` into `dir`, which contains `<table>.tsv` for the
/// three data tables. Run against tables that `mot migrate` created, the
/// script drops the secondary indexes, loads each file in one statement and
/// builds the indexes again, so the tables end as `mot load` leaves them.
pub fn write_script(dir: &Path) -> Result<()> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    let mut sql = String::new();

    // A copy of the session settings of mot-store (`SESSION_SETUP` in
    // crates/mot-store/src/store.rs), which keeps no public copy.
    sql.push_str(
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
         ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';\n\
         SET NAMES utf8mb4 COLLATE utf8mb4_bin;\n\
         SET SESSION time_zone = '+00:00';\n",
    );
    for (table, index, _) in SECONDARY_INDEXES {
        writeln!(sql, "ALTER TABLE {table} DROP INDEX {index};")?;
    }
    for table in [&VEHICLES, &MOT_TESTS, &DEFECTS] {
        let path = dir.join(format!("{}.tsv", table.name));
        writeln!(sql, "{}", load_statement(table, &path)?)?;
    }
    for (table, index, columns) in SECONDARY_INDEXES {
        writeln!(sql, "ALTER TABLE {table} ADD INDEX {index} ({columns});")?;
    }

    let script = dir.join(SCRIPT_NAME);
    std::fs::write(&script, sql).with_context(|| format!("writing {}", script.display()))
}

/// Returns the `LOAD DATA` statement of one table, with the field format
/// and column list that mot-store sends (`load_data` in write.rs).
fn load_statement(table: &Table, path: &Path) -> Result<String> {
    let Some(path) = path.to_str() else {
        bail!("{} is not valid UTF-8", path.display());
    };
    let quoted = path.replace('\\', "\\\\").replace('\'', "\\'");
    Ok(format!(
        "LOAD DATA LOCAL INFILE '{quoted}' INTO TABLE {name} CHARACTER SET utf8mb4 \
         FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({columns});",
        name = table.name,
        columns = table.columns.join(", "),
    ))
}
