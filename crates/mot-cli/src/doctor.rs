//! `mot doctor`: checks what a load needs and prints the fix for each gap.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use mot_store::Diagnostics;

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fine as it is.
    Ok,
    /// Works, but slower or riskier than it should be.
    Warn,
    /// A load will fail until this is fixed.
    Fail,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Severity.
    pub level: Level,
    /// The check's result, with the fix when one is needed.
    pub message: String,
}

fn finding(level: Level, message: impl Into<String>) -> Finding {
    Finding {
        level,
        message: message.into(),
    }
}

/// Privileges the tool uses: reads and writes, and DDL for migrations and
/// `--replace` (which truncates).
const NEEDED_PRIVILEGES: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX", "DROP",
];

/// Bytes in a GiB, for settings advice.
const GIB: u64 = 1 << 30;

/// Free space advised in the download folder: the 2026 bulk file is about
/// 53 GB, plus room for a week of deltas.
const ADVISED_FREE_BYTES: u64 = 60 * 1_000_000_000;

/// Checks the server's privileges and settings from `diagnostics`, and
/// the free space in `download_dir`.
pub fn check(diagnostics: &Diagnostics, download_dir: &Path) -> Vec<Finding> {
    let mut findings = vec![check_privileges(&diagnostics.grants)];
    let var = |name: &str| diagnostics.variables.get(name).map(String::as_str);
    let number = |name: &str| var(name).and_then(|v| v.parse::<u64>().ok());

    findings.push(match var("local_infile") {
        Some("ON" | "1") => finding(
            Level::Ok,
            "local_infile is ON: rows load through LOAD DATA LOCAL INFILE",
        ),
        _ => finding(
            Level::Warn,
            "local_infile is OFF, so loads fall back to INSERT, several times slower; \
             set local_infile=1 under [mysqld] or run SET GLOBAL local_infile = 1",
        ),
    });
    findings.push(match number("max_allowed_packet") {
        Some(bytes) if bytes >= 16 << 20 => finding(Level::Ok, format!("max_allowed_packet is {} MiB", bytes >> 20)),
        Some(bytes) => finding(
            Level::Warn,
            format!("max_allowed_packet is {} KiB; INSERT statements get smaller and slower: set max_allowed_packet=64M", bytes >> 10),
        ),
        None => finding(Level::Warn, "max_allowed_packet is unknown"),
    });
    findings.push(check_charsets(diagnostics));
    findings.extend(check_speed_settings(&number, &var));
    findings.push(check_disk(download_dir));
    findings
}

fn check_privileges(grants: &[String]) -> Finding {
    let all = grants.iter().any(|g| g.contains("ALL PRIVILEGES"));
    let missing: Vec<&str> = NEEDED_PRIVILEGES
        .iter()
        .copied()
        .filter(|p| !all && !grants.iter().any(|g| g.to_uppercase().contains(p)))
        .collect();
    if missing.is_empty() {
        return finding(Level::Ok, "the user has the privileges a load needs");
    }
    finding(
        Level::Fail,
        format!(
            "the user lacks {}; run GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP ON mot.* TO the user",
            missing.join(", ")
        ),
    )
}

fn check_charsets(diagnostics: &Diagnostics) -> Finding {
    let wrong: Vec<String> = diagnostics
        .collations
        .iter()
        .filter(|(_, collation)| !collation.starts_with("utf8mb4"))
        .map(|(table, collation)| format!("{table} ({collation})"))
        .collect();
    if wrong.is_empty() {
        finding(
            Level::Ok,
            "tables use utf8mb4, which holds every character the data has",
        )
    } else {
        finding(
            Level::Fail,
            format!(
                "tables not in utf8mb4: {}; run ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
                wrong.join(", ")
            ),
        )
    }
}

fn check_speed_settings<'a>(
    number: &dyn Fn(&str) -> Option<u64>,
    var: &dyn Fn(&str) -> Option<&'a str>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let pool = number("innodb_buffer_pool_size").unwrap_or(0);
    findings.push(if pool >= GIB {
        finding(Level::Ok, format!("innodb_buffer_pool_size is {} MiB", pool >> 20))
    } else {
        finding(
            Level::Warn,
            format!("innodb_buffer_pool_size is {} MiB; bulk loads slow down once tables outgrow it: set it to half the machine's memory or more", pool >> 20),
        )
    });

    let redo = number("innodb_redo_log_capacity")
        .or_else(|| number("innodb_log_file_size"))
        .unwrap_or(0);
    findings.push(if redo >= GIB {
        finding(Level::Ok, format!("redo log is {} MiB", redo >> 20))
    } else {
        finding(
            Level::Warn,
            format!("redo log is {} MiB; set innodb_log_file_size=2G (MariaDB) or innodb_redo_log_capacity=2G (MySQL 8.0.30+) for bulk loads", redo >> 20),
        )
    });

    findings.push(match number("innodb_flush_log_at_trx_commit") {
        Some(1) => finding(
            Level::Warn,
            "innodb_flush_log_at_trx_commit is 1: every commit waits for a disk flush; 2 is faster during loads and loses at most a second of commits if the machine crashes, which a rerun restores",
        ),
        Some(value) => finding(Level::Ok, format!("innodb_flush_log_at_trx_commit is {value}")),
        None => finding(Level::Warn, "innodb_flush_log_at_trx_commit is unknown"),
    });

    if var("log_bin") == Some("ON") && number("sync_binlog") == Some(1) {
        findings.push(finding(
            Level::Warn,
            "the binary log is on with sync_binlog=1, which doubles the disk writes of a load; use sync_binlog=0 during the initial load if replicas allow",
        ));
    }
    findings
}

fn check_disk(dir: &Path) -> Finding {
    let probe = if dir.exists() { dir } else { Path::new(".") };
    let output = std::process::Command::new("df")
        .arg("-Pk")
        .arg(probe)
        .output();
    let available = output.ok().and_then(|o| {
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let line = text.lines().nth(1)?.to_owned();
        line.split_whitespace()
            .nth(3)?
            .parse::<u64>()
            .ok()
            .map(|kib| kib * 1024)
    });
    match available {
        Some(bytes) if bytes >= ADVISED_FREE_BYTES => finding(
            Level::Ok,
            format!(
                "{} GB free for downloads in {}",
                bytes / 1_000_000_000,
                probe.display()
            ),
        ),
        Some(bytes) => finding(
            Level::Warn,
            format!(
                "{} GB free in {}; a bulk file is about 53 GB: free space or point DOWNLOAD_DIR elsewhere",
                bytes / 1_000_000_000,
                probe.display()
            ),
        ),
        None => finding(
            Level::Warn,
            format!("could not read the free space of {}", probe.display()),
        ),
    }
}

/// Prints findings, one per line, and returns whether any is a failure.
pub fn print(findings: &[Finding], out: &mut impl Write) -> Result<bool> {
    for item in findings {
        let tag = match item.level {
            Level::Ok => "ok  ",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        writeln!(out, "{tag} {}", item.message)?;
    }
    Ok(findings.iter().any(|f| f.level == Level::Fail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostics(grants: &[&str], variables: &[(&str, &str)]) -> Diagnostics {
        Diagnostics {
            grants: grants.iter().map(|g| g.to_string()).collect(),
            variables: variables
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            collations: [("vehicles".to_owned(), "latin1_swedish_ci".to_owned())].into(),
        }
    }

    #[test]
    fn reports_missing_privileges_and_charset() {
        let found = check(
            &diagnostics(&["GRANT SELECT ON `mot`.* TO `x`@`%`"], &[]),
            Path::new("."),
        );
        let failures: Vec<_> = found.iter().filter(|f| f.level == Level::Fail).collect();
        assert_eq!(failures.len(), 2);
        assert!(failures[0].message.contains("INSERT"));
        assert!(failures[1].message.contains("vehicles (latin1_swedish_ci)"));
    }

    #[test]
    fn advises_on_slow_settings() {
        let variables = [
            ("local_infile", "OFF"),
            ("innodb_buffer_pool_size", "134217728"),
            ("innodb_flush_log_at_trx_commit", "1"),
        ];
        let found = check(
            &diagnostics(
                &["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`"],
                &variables,
            ),
            Path::new("."),
        );
        let warnings: Vec<&str> = found
            .iter()
            .filter(|f| f.level == Level::Warn)
            .map(|f| f.message.as_str())
            .collect();
        assert!(warnings.iter().any(|w| w.contains("local_infile=1")));
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("innodb_buffer_pool_size is 128 MiB"))
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("innodb_flush_log_at_trx_commit is 1"))
        );
    }
}
