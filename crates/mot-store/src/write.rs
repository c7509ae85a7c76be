//! Sending encoded rows to the server and checking that all were written.

use bytes::Bytes;
use futures_util::StreamExt;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Value};

use crate::error::{Error, Result};
use crate::rows::{Table, TableRows};
use crate::store::Store;
use crate::tsv;

/// Bytes per item of the stream handed to the driver for `LOAD DATA`.
const STREAM_CHUNK_BYTES: usize = 1024 * 1024;
/// Smallest chunk, for servers with a tiny `max_allowed_packet` (the
/// server's own minimum is 1 KiB).
const MIN_STREAM_CHUNK_BYTES: usize = 512;

/// Maximum placeholders in one prepared statement (the protocol's u16 count).
const MAX_PLACEHOLDERS: usize = 65_535;

/// Server error codes meaning `LOAD DATA LOCAL` is disabled on one side.
const LOCAL_INFILE_REFUSED: &[u16] = &[1148, 2068, 3948, 4166];

/// Encoded rows ready to send; cheap to clone for a retry.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub table: &'static Table,
    pub data: Bytes,
    pub rows: u64,
}

impl From<TableRows> for Encoded {
    fn from(rows: TableRows) -> Self {
        Self {
            table: rows.table,
            data: Bytes::from(rows.data),
            rows: rows.rows,
        }
    }
}

impl Store {
    /// Writes `rows` on `conn` and checks the server wrote every one.
    pub(crate) async fn write_rows(&self, conn: &mut Conn, rows: &Encoded) -> Result<()> {
        if rows.rows == 0 {
            return Ok(());
        }
        let max_packet = self.max_packet();
        if self.uses_load_data() {
            match load_data(conn, rows, max_packet).await {
                Err(Error::Database {
                    source: mysql_async::Error::Server(server),
                    ..
                }) if LOCAL_INFILE_REFUSED.contains(&server.code) => {
                    self.fall_back_to_insert();
                }
                other => return other,
            }
        }
        insert(conn, rows, max_packet).await
    }

    /// Returns the server's `max_allowed_packet` in bytes.
    pub(crate) fn max_packet(&self) -> usize {
        usize::try_from(self.server.max_allowed_packet).unwrap_or(usize::MAX)
    }
}

async fn load_data(conn: &mut Conn, rows: &Encoded, max_packet: usize) -> Result<()> {
    let data = rows.data.clone();
    // Each chunk travels as one packet, which the server drops when it is
    // larger than max_allowed_packet.
    let chunk_bytes = (max_packet / 2).clamp(MIN_STREAM_CHUNK_BYTES, STREAM_CHUNK_BYTES);
    let chunks: Vec<std::io::Result<Bytes>> = (0..data.len())
        .step_by(chunk_bytes)
        .map(|start| Ok(data.slice(start..data.len().min(start + chunk_bytes))))
        .collect();
    conn.set_infile_handler(async move { Ok(futures_util::stream::iter(chunks).boxed()) });

    // The file name is a fixed label: the handler above supplies the bytes.
    let statement = format!(
        "LOAD DATA LOCAL INFILE 'mot-{table}' INTO TABLE {table} CHARACTER SET utf8mb4 \
         FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({columns})",
        table = rows.table.name,
        columns = rows.table.columns.join(", "),
    );
    conn.query_drop(statement)
        .await
        .map_err(|e| Error::database(format_args!("loading {}", rows.table.name), e))?;

    let written = conn.affected_rows();
    let warnings = conn.get_warnings();
    if written != rows.rows || warnings > 0 {
        let server_info = conn.info().into_owned();
        let info = format!("{server_info}; {}", first_warnings(conn).await);
        return Err(Error::RowCountMismatch {
            table: rows.table.name,
            sent: rows.rows,
            written,
            info,
        });
    }
    Ok(())
}

async fn first_warnings(conn: &mut Conn) -> String {
    let warnings: Vec<(String, u32, String)> = conn
        .query("SHOW WARNINGS LIMIT 5")
        .await
        .unwrap_or_default();
    let texts: Vec<String> = warnings
        .into_iter()
        .map(|(level, code, text)| format!("{level} {code}: {text}"))
        .collect();
    if texts.is_empty() {
        "no warnings".to_owned()
    } else {
        texts.join("; ")
    }
}

/// Writes rows with multi-row `INSERT` statements, each within the
/// placeholder limit and half of `max_allowed_packet`.
async fn insert(conn: &mut Conn, rows: &Encoded, max_packet: usize) -> Result<()> {
    let columns = rows.table.columns.len();
    let max_rows = MAX_PLACEHOLDERS / columns;
    let max_bytes = max_packet / 2;
    let mut params: Vec<Value> = Vec::new();
    let mut batch_rows = 0;
    let mut batch_bytes = 0;
    let mut written = 0;

    for row in tsv::parse_rows(&rows.data) {
        let row_bytes: usize = row
            .iter()
            .map(|f| f.as_ref().map_or(4, |v| v.len() + 8))
            .sum();
        if batch_rows > 0 && (batch_rows == max_rows || batch_bytes + row_bytes > max_bytes) {
            written +=
                insert_batch(conn, rows.table, batch_rows, std::mem::take(&mut params)).await?;
            batch_rows = 0;
            batch_bytes = 0;
        }
        params.extend(row.into_iter().map(|f| f.map_or(Value::NULL, Value::Bytes)));
        batch_rows += 1;
        batch_bytes += row_bytes;
    }
    if batch_rows > 0 {
        written += insert_batch(conn, rows.table, batch_rows, params).await?;
    }

    if written != rows.rows {
        let info = "INSERT statements".to_owned();
        return Err(Error::RowCountMismatch {
            table: rows.table.name,
            sent: rows.rows,
            written,
            info,
        });
    }
    Ok(())
}

async fn insert_batch(
    conn: &mut Conn,
    table: &Table,
    rows: usize,
    params: Vec<Value>,
) -> Result<u64> {
    let placeholders = format!("({})", vec!["?"; table.columns.len()].join(", "));
    let statement = format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        table.columns.join(", "),
        vec![placeholders.as_str(); rows].join(", "),
    );
    conn.exec_drop(statement, Params::Positional(params))
        .await
        .map_err(|e| Error::database(format_args!("inserting into {}", table.name), e))?;
    Ok(conn.affected_rows())
}

/// Runs `DELETE FROM {table} WHERE {column} IN (...)` over `ids` in slices
/// that stay within the placeholder limit. Returns rows deleted.
pub(crate) async fn delete_in(
    conn: &mut Conn,
    table: &str,
    column: &str,
    ids: &[u64],
) -> Result<u64> {
    let mut deleted = 0;
    for slice in ids.chunks(10_000) {
        let statement = format!(
            "DELETE FROM {table} WHERE {column} IN ({})",
            vec!["?"; slice.len()].join(", ")
        );
        let params: Vec<Value> = slice.iter().map(|&id| Value::UInt(id)).collect();
        conn.exec_drop(statement, params)
            .await
            .map_err(|e| Error::database(format_args!("deleting from {table}"), e))?;
        deleted += conn.affected_rows();
    }
    Ok(deleted)
}

/// Runs `DELETE FROM {table} WHERE (vehicle_id, test_index) IN (...)`.
pub(crate) async fn delete_tests_in(
    conn: &mut Conn,
    table: &str,
    keys: &[(u64, u16)],
) -> Result<u64> {
    let mut deleted = 0;
    for slice in keys.chunks(5_000) {
        let statement = format!(
            "DELETE FROM {table} WHERE (vehicle_id, test_index) IN ({})",
            vec!["(?, ?)"; slice.len()].join(", ")
        );
        let params: Vec<Value> = slice
            .iter()
            .flat_map(|&(id, index)| [Value::UInt(id), Value::UInt(u64::from(index))])
            .collect();
        conn.exec_drop(statement, params)
            .await
            .map_err(|e| Error::database(format_args!("deleting from {table}"), e))?;
        deleted += conn.affected_rows();
    }
    Ok(deleted)
}
