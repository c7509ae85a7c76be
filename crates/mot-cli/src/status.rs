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
    progress: Progress,
    members: Vec<MemberStatus<'a>>,
}

/// Progress of everything registered, by bytes of the files.
#[derive(Debug, Serialize, PartialEq)]
struct Progress {
    bytes_total: u64,
    bytes_done: u64,
    members_loading: usize,
    /// Seconds left at the rate of the running load, when one runs.
    eta_seconds: Option<u64>,
    /// Whether a `mot load`, `retry` or `sync` holds the run lock now.
    run_active: bool,
}

/// Sums progress over the members that still count (not superseded), and
/// estimates the time left from the members loading since the earliest
/// running one started.
fn progress(records: &[ImportRecord], now: chrono::NaiveDateTime) -> Progress {
    let active: Vec<&ImportRecord> = records
        .iter()
        .filter(|r| r.state != State::Superseded)
        .collect();
    let done = |r: &ImportRecord| {
        if r.state == State::Loaded {
            r.member_bytes
        } else {
            r.bytes_read
        }
    };
    let bytes_total: u64 = active.iter().map(|r| r.member_bytes).sum();
    let bytes_done: u64 = active.iter().map(|r| done(r)).sum();
    let loading: Vec<&&ImportRecord> = active
        .iter()
        .filter(|r| r.state == State::Loading)
        .collect();

    let parse = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").ok())
    };
    let eta_seconds = loading
        .iter()
        .filter_map(|r| parse(&r.started_at))
        .min()
        .and_then(|start| {
            let elapsed = (now - start).num_milliseconds().max(1) as f64 / 1000.0;
            let in_run: u64 = active
                .iter()
                .filter(|r| parse(&r.started_at).is_some_and(|s| s >= start))
                .map(|r| done(r))
                .sum();
            let rate = in_run as f64 / elapsed;
            let left = bytes_total.saturating_sub(bytes_done) as f64;
            // A float to integer cast saturates, which suits an estimate.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            (rate > 0.0).then(|| (left / rate).round() as u64)
        });
    Progress {
        bytes_total,
        bytes_done,
        members_loading: loading.len(),
        eta_seconds,
        run_active: false,
    }
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
        progress: {
            let mut progress = progress(&records, chrono::Utc::now().naive_utc());
            // Members left `loading` by a killed run have no rate to go by.
            progress.run_active = store.lock_in_use("sync").await?;
            if !progress.run_active {
                progress.eta_seconds = None;
            }
            progress
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
    let progress = &report.progress;
    if progress.bytes_total > 0 {
        let percent = progress.bytes_done as f64 * 100.0 / progress.bytes_total as f64;
        let eta = match progress.eta_seconds {
            Some(seconds) => format!(", about {}m{:02}s left", seconds / 60, seconds % 60),
            None => String::new(),
        };
        writeln!(
            out,
            "progress: {:.1}% of {} MB{eta}",
            percent,
            progress.bytes_total / 1_000_000
        )?;
    }
    if progress.members_loading > 0 && !progress.run_active {
        writeln!(
            out,
            "no mot run is active, so the members shown as loading were interrupted; \
             run the same mot load or mot sync again to finish them"
        )?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use mot_store::{Kind, RowCounts};

    fn record(state: State, bytes: u64, read: u64, started: Option<&str>) -> ImportRecord {
        ImportRecord {
            id: 1,
            archive: "a.zip".into(),
            member: "a_1.json.gz".into(),
            member_index: 0,
            kind: Kind::Bulk,
            file_created_on: None,
            archive_bytes: 0,
            member_bytes: bytes,
            member_crc32: None,
            state,
            attempts: 1,
            lines_read: 0,
            bytes_read: read,
            counts: RowCounts::default(),
            error_kind: None,
            error_text: None,
            registered_at: String::new(),
            started_at: started.map(str::to_owned),
            finished_at: None,
        }
    }

    #[test]
    fn progress_estimates_time_left() {
        let now = chrono::NaiveDateTime::parse_from_str(
            "2024-07-02 10:01:40.000",
            "%Y-%m-%d %H:%M:%S%.f",
        )
        .unwrap();
        let records = [
            record(State::Loaded, 400, 400, Some("2024-07-02 10:00:00.000")),
            record(State::Loading, 1_000, 100, Some("2024-07-02 10:00:00.000")),
            record(State::Downloaded, 500, 0, None),
            record(State::Superseded, 9_999, 0, None),
        ];
        let found = progress(&records, now);
        assert_eq!(found.bytes_total, 1_900);
        assert_eq!(found.bytes_done, 500);
        assert_eq!(found.members_loading, 1);
        // 500 bytes in 100 s leaves 1,400 bytes for 280 s.
        assert_eq!(found.eta_seconds, Some(280));
    }

    #[test]
    fn no_estimate_when_idle() {
        let now = chrono::Utc::now().naive_utc();
        let found = progress(
            &[record(
                State::Loaded,
                10,
                10,
                Some("2024-07-02 10:00:00.000"),
            )],
            now,
        );
        assert_eq!(found.eta_seconds, None);
        assert_eq!(found.bytes_done, 10);
    }
}
