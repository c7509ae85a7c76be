//! Import tracking: one `import_log` row per archive member, and the
//! rejected lines of each member.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};

use crate::error::{Error, Result};
use crate::store::Store;

/// Whether a member is a full snapshot or a set of changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A full snapshot: every line is one vehicle.
    Bulk,
    /// Changes: each line is created, updated or deleted.
    Delta,
}

/// Stage of a member's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Known to the database (its file is on disk) and not loaded yet.
    Downloaded,
    /// Being loaded, or interrupted while loading.
    Loading,
    /// Every line is committed.
    Loaded,
    /// The last attempt failed; see the error columns.
    Failed,
    /// Part of a bulk that a later bulk replaced.
    Superseded,
}

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ }) => {
        impl $name {
            /// Spelling stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> std::result::Result<Self, String> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name).to_lowercase())),
                }
            }
        }
    };
}

text_enum!(Kind { Bulk => "bulk", Delta => "delta" });
text_enum!(State {
    Downloaded => "downloaded",
    Loading => "loading",
    Loaded => "loaded",
    Failed => "failed",
    Superseded => "superseded"
});

/// An archive or file to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// File name, without directory.
    pub name: String,
    /// Date the publisher created the file, when known.
    pub file_created_on: Option<NaiveDate>,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// A member of an archive to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEntry {
    /// Member name inside the archive.
    pub name: String,
    /// Position in the archive.
    pub index: u32,
    /// Bulk or delta.
    pub kind: Kind,
    /// Date the member's data was exported, when known; orders deltas.
    pub created_on: Option<NaiveDate>,
    /// Bytes the member occupies in the archive.
    pub bytes: u64,
    /// CRC-32 recorded by the archive, when it is a zip entry.
    pub crc32: Option<u32>,
}

/// Row counts written by one member or one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    /// `vehicles` rows inserted or replaced.
    pub vehicles: u64,
    /// `mot_tests` rows inserted or replaced.
    pub tests: u64,
    /// `defects` rows inserted or replaced.
    pub defects: u64,
    /// Vehicles removed by `DELETED` lines.
    pub vehicles_deleted: u64,
    /// Lines rejected.
    pub rejects: u64,
}

impl std::ops::AddAssign for RowCounts {
    fn add_assign(&mut self, other: Self) {
        self.vehicles += other.vehicles;
        self.tests += other.tests;
        self.defects += other.defects;
        self.vehicles_deleted += other.vehicles_deleted;
        self.rejects += other.rejects;
    }
}

/// One `import_log` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// Row id; also the high half of the ids of vehicles this member creates.
    pub id: u64,
    /// Archive file name.
    pub archive: String,
    /// Member name.
    pub member: String,
    /// Position in the archive.
    pub member_index: u32,
    /// Bulk or delta.
    pub kind: Kind,
    /// Publisher's date for the member's data.
    pub file_created_on: Option<NaiveDate>,
    /// Size of the archive in bytes.
    pub archive_bytes: u64,
    /// Bytes the member occupies in the archive.
    pub member_bytes: u64,
    /// CRC-32 recorded by the archive.
    pub member_crc32: Option<u32>,
    /// Current state.
    pub state: State,
    /// Load attempts so far.
    pub attempts: u32,
    /// Lines committed so far.
    pub lines_read: u64,
    /// Bytes of the member's file read by the committed batches.
    pub bytes_read: u64,
    /// Rows written by the last attempt.
    pub counts: RowCounts,
    /// Failure category of the last failed attempt, such as `corrupt-input`.
    pub error_kind: Option<String>,
    /// Full error message of the last failed attempt.
    pub error_text: Option<String>,
    /// When the member was first registered (UTC).
    pub registered_at: String,
    /// When the last attempt started (UTC).
    pub started_at: Option<String>,
    /// When the last attempt ended (UTC).
    pub finished_at: Option<String>,
}

/// A rejected line to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Line number in the member.
    pub line: u64,
    /// Offset of the line in the decompressed member.
    pub byte_offset: u64,
    /// Reason the line was rejected.
    pub reason: String,
    /// The line's bytes, possibly cut short.
    pub raw: Vec<u8>,
    /// Full length of the line in bytes.
    pub length: u64,
}

const RECORD_COLUMNS: &str = "id, archive, member, member_index, kind, \
    CAST(file_created_on AS CHAR), archive_bytes, member_bytes, member_crc32, state, attempts, \
    lines_read, vehicles_written, tests_written, defects_written, vehicles_deleted, rejects, \
    error_kind, error_text, CAST(registered_at AS CHAR), CAST(started_at AS CHAR), \
    CAST(finished_at AS CHAR), bytes_read";

impl Store {
    /// Records the members of an archive, so they show as `downloaded`
    /// until loaded, and returns their rows in member order.
    ///
    /// A member already known keeps its state, unless its size or CRC-32
    /// changed (new content under an old name) or it was superseded by a
    /// later bulk: then it goes back to `downloaded` to be loaded again.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn register(
        &self,
        archive: &ArchiveEntry,
        members: &[MemberEntry],
    ) -> Result<Vec<ImportRecord>> {
        crate::member::retry_transient("registering members", || {
            self.register_once(archive, members)
        })
        .await
    }

    async fn register_once(
        &self,
        archive: &ArchiveEntry,
        members: &[MemberEntry],
    ) -> Result<Vec<ImportRecord>> {
        let mut conn = self.conn().await?;
        let known = self.records_of(&mut conn, &archive.name).await?;
        for member in members {
            let existing = known.iter().find(|r| r.member == member.name);
            match existing {
                None => insert_member(&mut conn, archive, member).await?,
                Some(record)
                    if record.member_bytes != member.bytes
                        || record.member_crc32 != member.crc32 =>
                {
                    tracing::debug!(member = %member.name, "member content changed; it will be loaded again");
                    reset_member(&mut conn, record.id, archive, member).await?;
                }
                Some(_) => {}
            }
        }
        let records = self.records_of(&mut conn, &archive.name).await?;
        Ok(members
            .iter()
            .filter_map(|m| records.iter().find(|r| r.member == m.name).cloned())
            .collect())
    }

    async fn records_of(&self, conn: &mut Conn, archive: &str) -> Result<Vec<ImportRecord>> {
        let statement = format!(
            "SELECT {RECORD_COLUMNS} FROM import_log WHERE archive = ? ORDER BY member_index, id"
        );
        let rows: Vec<Row> = conn
            .exec(statement, (archive,))
            .await
            .map_err(|e| Error::database("reading import_log", e))?;
        rows.into_iter().map(record_from_row).collect()
    }

    /// Every `import_log` row, ordered by kind, date, archive and member.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn imports(&self) -> Result<Vec<ImportRecord>> {
        let mut conn = self.conn().await?;
        let statement = format!(
            "SELECT {RECORD_COLUMNS} FROM import_log ORDER BY kind, file_created_on, archive, member_index, id"
        );
        let rows: Vec<Row> = conn
            .query(statement)
            .await
            .map_err(|e| Error::database("reading import_log", e))?;
        rows.into_iter().map(record_from_row).collect()
    }

    /// Marks a member as loading: counts the attempt and discards rejects
    /// and progress from an earlier attempt.
    pub(crate) async fn mark_loading(&self, conn: &mut Conn, id: u64) -> Result<()> {
        conn.exec_drop(
            "UPDATE import_log SET state = 'loading', attempts = attempts + 1, \
             started_at = UTC_TIMESTAMP(3), finished_at = NULL, error_kind = NULL, error_text = NULL, \
             lines_read = 0, bytes_read = 0, vehicles_written = 0, tests_written = 0, defects_written = 0, \
             vehicles_deleted = 0, rejects = 0 WHERE id = ?",
            (id,),
        )
        .await
        .map_err(|e| Error::database("marking a member as loading", e))?;
        conn.exec_drop("DELETE FROM import_rejects WHERE import_id = ?", (id,))
            .await
            .map_err(|e| Error::database("clearing earlier rejects", e))
    }

    /// Marks a member as failed, keeping the rows it committed so far out
    /// of the `loaded` state. `kind` is a short category such as
    /// `corrupt-input` or `database`.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn mark_failed(&self, id: u64, kind: &str, message: &str) -> Result<()> {
        crate::member::retry_transient("recording a failure", || async {
            let mut conn = self.conn().await?;
            conn.exec_drop(
                "UPDATE import_log SET state = 'failed', error_kind = ?, error_text = ?, \
                 finished_at = UTC_TIMESTAMP(3) WHERE id = ?",
                (kind, message, id),
            )
            .await
            .map_err(|e| Error::database("marking a member as failed", e))
        })
        .await
    }

    /// Forgets an earlier failure to open `archive` as a whole, once it opens.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn clear_unreadable(&self, archive: &str) -> Result<()> {
        let mut conn = self.conn().await?;
        conn.exec_drop(
            "DELETE FROM import_log WHERE archive = ? AND member = ''",
            (archive,),
        )
        .await
        .map_err(|e| Error::database("clearing an earlier open failure", e))
    }

    /// Empties the three data tables and marks every member loaded so far
    /// as superseded, so that a new bulk can be loaded from scratch. The
    /// import history and rejects are kept.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn clear_for_new_bulk(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        for table in ["defects", "mot_tests", "vehicles"] {
            conn.query_drop(format!("TRUNCATE TABLE {table}"))
                .await
                .map_err(|e| Error::database(format_args!("emptying {table}"), e))?;
        }
        conn.query_drop("UPDATE import_log SET state = 'superseded' WHERE state <> 'superseded'")
            .await
            .map_err(|e| Error::database("superseding earlier imports", e))
    }
}

/// A rejected line as stored, with the member it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReject {
    /// Archive file name.
    pub archive: String,
    /// Member name.
    pub member: String,
    /// The rejected line.
    pub reject: Reject,
}

impl Store {
    /// Rejected lines in file and line order, of one archive or of all, at
    /// most `limit` of them.
    ///
    /// # Errors
    ///
    /// Fails on a database error.
    pub async fn rejects(&self, archive: Option<&str>, limit: u64) -> Result<Vec<StoredReject>> {
        let mut conn = self.conn().await?;
        type Row = (String, String, u64, u64, String, Vec<u8>, u64);
        let rows: Vec<Row> = conn
            .exec(
                "SELECT l.archive, l.member, r.line_number, r.byte_offset, r.reason, r.raw_line, r.raw_length \
                 FROM import_rejects r JOIN import_log l ON l.id = r.import_id \
                 WHERE ? IS NULL OR l.archive = ? \
                 ORDER BY l.archive, l.member_index, r.line_number LIMIT ?",
                (archive, archive, limit),
            )
            .await
            .map_err(|e| Error::database("reading rejected lines", e))?;
        Ok(rows
            .into_iter()
            .map(
                |(archive, member, line, byte_offset, reason, raw, length)| StoredReject {
                    archive,
                    member,
                    reject: Reject {
                        line,
                        byte_offset,
                        reason,
                        raw,
                        length,
                    },
                },
            )
            .collect())
    }
}

/// Saves progress and, with `state`, the member's new state, inside the
/// caller's transaction. `bytes_read` of `None` records the whole member.
pub(crate) async fn save_progress(
    conn: &mut Conn,
    id: u64,
    lines_read: u64,
    bytes_read: Option<u64>,
    counts: &RowCounts,
    state: Option<State>,
) -> Result<()> {
    let finished = state.is_some();
    conn.exec_drop(
        "UPDATE import_log SET lines_read = ?, bytes_read = COALESCE(?, member_bytes), \
         vehicles_written = ?, tests_written = ?, \
         defects_written = ?, vehicles_deleted = ?, rejects = ?, state = COALESCE(?, state), \
         finished_at = IF(?, UTC_TIMESTAMP(3), finished_at) WHERE id = ?",
        vec![
            Value::UInt(lines_read),
            bytes_read.map_or(Value::NULL, Value::UInt),
            Value::UInt(counts.vehicles),
            Value::UInt(counts.tests),
            Value::UInt(counts.defects),
            Value::UInt(counts.vehicles_deleted),
            Value::UInt(counts.rejects),
            state.map_or(Value::NULL, |s| Value::from(s.as_str())),
            Value::from(finished),
            Value::UInt(id),
        ],
    )
    .await
    .map_err(|e| Error::database("saving import progress", e))
}

/// Inserts rejected lines inside the caller's transaction, in statements
/// of at most 100 rows that stay within half of `max_packet`.
pub(crate) async fn insert_rejects(
    conn: &mut Conn,
    import_id: u64,
    rejects: &[Reject],
    max_packet: usize,
) -> Result<()> {
    let mut rest = rejects;
    while !rest.is_empty() {
        let count = statement_rows(rest, max_packet / 2);
        let (slice, tail) = rest.split_at(count);
        rest = tail;
        let statement = format!(
            "INSERT INTO import_rejects (import_id, line_number, byte_offset, reason, raw_line, raw_length) VALUES {}",
            vec!["(?, ?, ?, ?, ?, ?)"; slice.len()].join(", ")
        );
        let params: Vec<Value> = slice
            .iter()
            .flat_map(|r| {
                [
                    Value::UInt(import_id),
                    Value::UInt(r.line),
                    Value::UInt(r.byte_offset),
                    Value::from(r.reason.as_str()),
                    Value::Bytes(r.raw.clone()),
                    Value::UInt(r.length),
                ]
            })
            .collect();
        conn.exec_drop(statement, params)
            .await
            .map_err(|e| Error::database("recording rejected lines", e))?;
    }
    Ok(())
}

/// Number of leading rejects for one statement: at most 100, and no more
/// than fit in `max_bytes`, but always at least one.
fn statement_rows(rejects: &[Reject], max_bytes: usize) -> usize {
    // Fixed fields and the row's share of the statement text.
    const ROW_OVERHEAD: usize = 64;
    let mut bytes = 0;
    let mut count = 0;
    for reject in rejects.iter().take(100) {
        bytes += reject.raw.len() + reject.reason.len() + ROW_OVERHEAD;
        if count > 0 && bytes > max_bytes {
            break;
        }
        count += 1;
    }
    count
}

async fn insert_member(
    conn: &mut Conn,
    archive: &ArchiveEntry,
    member: &MemberEntry,
) -> Result<()> {
    conn.exec_drop(
        "INSERT INTO import_log (archive, member, member_index, kind, file_created_on, archive_bytes, \
         member_bytes, member_crc32, state, registered_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'downloaded', UTC_TIMESTAMP(3))",
        member_params(archive, member),
    )
    .await
    .map_err(|e| Error::database(format_args!("registering {} {}", archive.name, member.name), e))
}

async fn reset_member(
    conn: &mut Conn,
    id: u64,
    archive: &ArchiveEntry,
    member: &MemberEntry,
) -> Result<()> {
    let mut params = member_params(archive, member);
    params.drain(..2);
    params.push(Value::UInt(id));
    conn.exec_drop(
        "UPDATE import_log SET member_index = ?, kind = ?, file_created_on = ?, archive_bytes = ?, \
         member_bytes = ?, member_crc32 = ?, state = 'downloaded', lines_read = 0 WHERE id = ?",
        params,
    )
    .await
    .map_err(|e| {
        Error::database(
            format_args!("re-registering {} {}", archive.name, member.name),
            e,
        )
    })
}

fn member_params(archive: &ArchiveEntry, member: &MemberEntry) -> Vec<Value> {
    vec![
        Value::from(archive.name.as_str()),
        Value::from(member.name.as_str()),
        Value::UInt(u64::from(member.index)),
        Value::from(member.kind.as_str()),
        member.created_on.map_or(Value::NULL, |d| {
            Value::from(d.format("%Y-%m-%d").to_string())
        }),
        Value::UInt(archive.bytes),
        Value::UInt(member.bytes),
        member
            .crc32
            .map_or(Value::NULL, |c| Value::UInt(u64::from(c))),
    ]
}

fn record_from_row(mut row: Row) -> Result<ImportRecord> {
    fn take<T: mysql_async::prelude::FromValue>(row: &mut Row, index: usize) -> Result<T> {
        match row.take_opt::<T, usize>(index) {
            Some(Ok(value)) => Ok(value),
            _ => Err(Error::Config(format!(
                "import_log column {index} has an unexpected value"
            ))),
        }
    }
    let invalid = |what: &str| Error::Config(format!("import_log has an invalid {what}"));

    let kind: String = take(&mut row, 4)?;
    let created: Option<String> = take(&mut row, 5)?;
    let state: String = take(&mut row, 9)?;
    let file_created_on = created
        .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
        .transpose()
        .map_err(|_| invalid("file_created_on"))?;
    Ok(ImportRecord {
        id: take(&mut row, 0)?,
        archive: take(&mut row, 1)?,
        member: take(&mut row, 2)?,
        member_index: take(&mut row, 3)?,
        kind: kind.parse().map_err(|_| invalid("kind"))?,
        file_created_on,
        archive_bytes: take(&mut row, 6)?,
        member_bytes: take(&mut row, 7)?,
        member_crc32: take(&mut row, 8)?,
        state: state.parse().map_err(|_| invalid("state"))?,
        attempts: take(&mut row, 10)?,
        lines_read: take(&mut row, 11)?,
        counts: RowCounts {
            vehicles: take(&mut row, 12)?,
            tests: take(&mut row, 13)?,
            defects: take(&mut row, 14)?,
            vehicles_deleted: take(&mut row, 15)?,
            rejects: take(&mut row, 16)?,
        },
        error_kind: take(&mut row, 17)?,
        error_text: take(&mut row, 18)?,
        registered_at: take(&mut row, 19)?,
        started_at: take(&mut row, 20)?,
        finished_at: take(&mut row, 21)?,
        bytes_read: take(&mut row, 22)?,
    })
}
