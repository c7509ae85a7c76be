//! Decoding one member on a thread of its own and cutting it into batches
//! for the store.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use mot_model::Modification;
use mot_parse::{LineError, Member, ReadOptions, RecordError, Records, Source};
use mot_store::{BulkBatch, DeltaBatch, DeltaLine, Provenance, Reject, RowBatch, vehicle_id};
use tokio::sync::mpsc::Sender;

/// Limits on one batch, which is also one transaction.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// Maximum vehicles per batch (`BATCH_SIZE`).
    pub vehicles: usize,
    /// Maximum encoded bytes per batch, across the three tables.
    pub bytes: usize,
    /// Maximum rows per batch, across the three tables.
    pub rows: u64,
}

/// Receives progress from a load, for progress bars or log lines.
pub trait LoadProgress: Send + Sync {
    /// A member starts decoding. `file_bytes` counts the bytes of its
    /// `bytes` stored bytes read so far, and can be polled from any thread.
    fn member_started(&self, archive: &str, member: &str, bytes: u64, file_bytes: Arc<AtomicU64>);

    /// A member is done, loaded or not.
    fn member_finished(&self, archive: &str, member: &str);
}

/// A shared [`LoadProgress`], or none.
#[derive(Clone, Default)]
pub struct Progress(pub Option<Arc<dyn LoadProgress>>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(Some(..))"
        } else {
            "Progress(None)"
        })
    }
}

impl Progress {
    fn started(&self, source: &Source, member: &Member, records: &Records) {
        if let Some(progress) = &self.0 {
            let counter = records.file_bytes_counter();
            progress.member_started(source.name(), &member.name, member.compressed_size, counter);
        }
    }

    /// Reports that a member is done.
    pub fn finished(&self, archive: &str, member: &str) {
        if let Some(progress) = &self.0 {
            progress.member_finished(archive, member);
        }
    }
}

/// Message from a decoding thread to the writer.
pub enum Message<B> {
    /// A batch ready to write.
    Batch(B),
    /// The member could not be read to its end.
    Failed(mot_parse::Error),
    /// The member was read to its end; the number of lines it has.
    Done(u64),
}

fn reject_from(error: LineError) -> Reject {
    Reject {
        line: error.location.line,
        byte_offset: error.location.byte_offset,
        reason: error.reason,
        raw: error.raw,
        length: error.length,
    }
}

fn reject_record(
    records: &Records,
    line: u64,
    byte_offset: u64,
    reason: String,
    max_raw: usize,
) -> Reject {
    let raw = records.last_line();
    Reject {
        line,
        byte_offset,
        reason,
        raw: raw[..raw.len().min(max_raw)].to_vec(),
        length: raw.len() as u64,
    }
}

/// Decodes a bulk member into [`BulkBatch`]es. Runs on a blocking thread.
pub fn decode_bulk(
    source: Arc<Source>,
    member: Member,
    import_id: u64,
    read: ReadOptions,
    limits: BatchLimits,
    progress: Progress,
    tx: Sender<Message<BulkBatch>>,
) {
    let mut records = match source.records(&member, &read) {
        Ok(records) => records,
        Err(error) => {
            let _ = tx.blocking_send(Message::Failed(error));
            return;
        }
    };
    progress.started(&source, &member, &records);
    let mut rows = RowBatch::new();
    let mut rejects = Vec::new();
    let mut vehicles = 0;
    let mut first_line = 1;

    while let Some(result) = records.next_record() {
        match result {
            Ok(record) => {
                let provenance = Provenance {
                    import_id,
                    line: record.line,
                };
                let (line, offset) = (record.line, record.byte_offset);
                match rows.push_vehicle(vehicle_id(provenance), provenance, &record.vehicle) {
                    Ok(()) => vehicles += 1,
                    Err(unstorable) => {
                        let reason = unstorable.to_string();
                        rejects.push(reject_record(
                            &records,
                            line,
                            offset,
                            reason,
                            read.max_raw_bytes,
                        ));
                    }
                }
            }
            Err(RecordError::Line(error)) => rejects.push(reject_from(error)),
            Err(RecordError::Member(error)) => {
                let _ = tx.blocking_send(Message::Failed(error));
                return;
            }
        }
        let full = vehicles >= limits.vehicles
            || rows.bytes() >= limits.bytes
            || rows.rows() >= limits.rows;
        if full {
            let last_line = records.lines_read();
            let batch = BulkBatch {
                rows: std::mem::take(&mut rows),
                rejects: std::mem::take(&mut rejects),
                first_line,
                last_line,
                file_bytes: records.file_bytes_read(),
            };
            if tx.blocking_send(Message::Batch(batch)).is_err() {
                return;
            }
            vehicles = 0;
            first_line = last_line + 1;
        }
    }

    let last_line = records.lines_read();
    if !rows.is_empty() || !rejects.is_empty() {
        let batch = BulkBatch {
            rows,
            rejects,
            first_line,
            last_line,
            file_bytes: records.file_bytes_read(),
        };
        if tx.blocking_send(Message::Batch(batch)).is_err() {
            return;
        }
    }
    let _ = tx.blocking_send(Message::Done(last_line));
}

/// Decodes a delta member into [`DeltaBatch`]es. Runs on a blocking thread.
pub fn decode_delta(
    source: Arc<Source>,
    member: Member,
    read: ReadOptions,
    limits: BatchLimits,
    progress: Progress,
    tx: Sender<Message<DeltaBatch>>,
) {
    let mut records = match source.records(&member, &read) {
        Ok(records) => records,
        Err(error) => {
            let _ = tx.blocking_send(Message::Failed(error));
            return;
        }
    };
    progress.started(&source, &member, &records);
    let mut batch = DeltaBatch::default();

    while let Some(result) = records.next_record() {
        match result {
            Ok(record) => {
                let (line, offset) = (record.line, record.byte_offset);
                match check_delta_line(&record.vehicle) {
                    Ok(()) => batch.lines.push(DeltaLine {
                        line,
                        byte_offset: offset,
                        vehicle: record.vehicle.into_owned(),
                    }),
                    Err(reason) => batch.rejects.push(reject_record(
                        &records,
                        line,
                        offset,
                        reason,
                        read.max_raw_bytes,
                    )),
                }
            }
            Err(RecordError::Line(error)) => batch.rejects.push(reject_from(error)),
            Err(RecordError::Member(error)) => {
                let _ = tx.blocking_send(Message::Failed(error));
                return;
            }
        }
        if batch.lines.len() >= limits.vehicles.min(5_000) {
            batch.last_line = records.lines_read();
            batch.file_bytes = records.file_bytes_read();
            if tx
                .blocking_send(Message::Batch(std::mem::take(&mut batch)))
                .is_err()
            {
                return;
            }
        }
    }

    let last_line = records.lines_read();
    if !batch.lines.is_empty() || !batch.rejects.is_empty() {
        batch.last_line = last_line;
        batch.file_bytes = records.file_bytes_read();
        if tx.blocking_send(Message::Batch(batch)).is_err() {
            return;
        }
    }
    let _ = tx.blocking_send(Message::Done(last_line));
}

fn check_delta_line(vehicle: &mot_model::Vehicle<'_>) -> Result<(), String> {
    if let Some(Modification::Other(other)) = &vehicle.modification {
        return Err(format!(
            "unknown modification {other:?}; expected CREATED, UPDATED or DELETED"
        ));
    }
    mot_store::check_record(vehicle).map_err(|e| e.to_string())
}
