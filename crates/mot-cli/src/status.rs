//! `mot status`: per-member state and row counts, as a table or JSON.

use std::io::Write;

use anyhow::Result;
use mot_store::{ImportRecord, State, Store, TableCounts};
use serde::Serialize;

/// One member's line of the status report.
#[derive(Debug, Serialize)]
struct MemberStatus<'a> {
    archive: &'a str,
    member: &'a str,
    kind: String,
    file_created_on: Option<String>,
    state: String,
    attempts: u32,
    lines: u64,
    vehicles: u64,
    tests: u64,
    defects: u64,
    vehicles_deleted: u64,
    rejects: u64,
    bytes: u64,
    started_at: Option<&'a str>,
    finished_at: Option<&'a str>,
    error_kind: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    database: String,
    tables: Tables,
    members: Vec<MemberStatus<'a>>,
}

#[derive(Debug, Serialize)]
struct Tables {
    vehicles: u64,
    mot_tests: u64,
    defects: u64,
}

fn member_status(record: &ImportRecord) -> MemberStatus<'_> {
    MemberStatus {
        archive: &record.archive,
        member: &record.member,
        kind: record.kind.to_string(),
        file_created_on: record.file_created_on.map(|d| d.to_string()),
        state: record.state.to_string(),
        attempts: record.attempts,
        lines: record.lines_read,
        vehicles: record.counts.vehicles,
        tests: record.counts.tests,
        defects: record.counts.defects,
        vehicles_deleted: record.counts.vehicles_deleted,
        rejects: record.counts.rejects,
        bytes: record.member_bytes,
        started_at: record.started_at.as_deref(),
        finished_at: record.finished_at.as_deref(),
        error_kind: record.error_kind.as_deref(),
        error: record.error_text.as_deref(),
    }
}

/// Prints the status of every tracked member to `out`.
///
/// # Errors
///
/// Fails on a database error or when `out` cannot be written.
pub async fn print(
    store: &Store,
    database: String,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let records = store.imports().await?;
    let TableCounts {
        vehicles,
        mot_tests,
        defects,
    } = store.table_counts().await?;
    let report = Report {
        database,
        tables: Tables {
            vehicles,
            mot_tests,
            defects,
        },
        members: records.iter().map(member_status).collect(),
    };
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    print_table(&report, &records, out)
}

fn print_table(report: &Report<'_>, records: &[ImportRecord], out: &mut impl Write) -> Result<()> {
    writeln!(out, "database {}", report.database)?;
    writeln!(
        out,
        "rows: {} vehicles, {} mot_tests, {} defects",
        report.tables.vehicles, report.tables.mot_tests, report.tables.defects
    )?;
    let count = |state: State| records.iter().filter(|r| r.state == state).count();
    writeln!(
        out,
        "members: {} loaded, {} loading, {} failed, {} waiting, {} superseded",
        count(State::Loaded),
        count(State::Loading),
        count(State::Failed),
        count(State::Downloaded),
        count(State::Superseded)
    )?;
    if report.members.is_empty() {
        writeln!(
            out,
            "no files loaded yet; run `mot load PATH` or `mot sync`"
        )?;
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<44} {:<6} {:<10} {:>10} {:>10} {:>10} {:>8} {:>8}  MEMBER",
        "ARCHIVE", "KIND", "STATE", "VEHICLES", "TESTS", "DEFECTS", "DELETED", "REJECTS"
    )?;
    for member in &report.members {
        writeln!(
            out,
            "{:<44} {:<6} {:<10} {:>10} {:>10} {:>10} {:>8} {:>8}  {}",
            member.archive,
            member.kind,
            member.state,
            member.vehicles,
            member.tests,
            member.defects,
            member.vehicles_deleted,
            member.rejects,
            if member.member.is_empty() {
                "(whole file)"
            } else {
                member.member
            }
        )?;
        if let Some(error) = member.error {
            writeln!(
                out,
                "    error ({}): {error}",
                member.error_kind.unwrap_or("unknown")
            )?;
        }
    }
    Ok(())
}
