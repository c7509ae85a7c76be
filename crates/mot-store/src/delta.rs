//! Applying delta lines: created, updated and deleted vehicles.
//!
//! A line is matched to a stored vehicle by registration. Registrations
//! repeat across vehicles, so when several share one, the vehicle holding a
//! test whose number is in the line wins, else the most recently created
//! (highest id). Created and updated lines merge: the vehicle's fields are
//! replaced, each test in the line replaces the stored test with the same
//! number (or, without a number, the same completion time, result and
//! odometer reading) together with its defects, and stored tests absent
//! from the line are kept. The publisher does not say whether an updated
//! line carries the full history or only new tests; merging is right in
//! both cases. Deleted lines remove the vehicle with its tests and defects.
//! Applying the same lines twice leaves the tables as applying them once.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use mot_model::{Modification, MotTest, TestNumber, Vehicle};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Value};

use crate::error::{Error, Result};
use crate::imports::{self, Reject, RowCounts};
use crate::member::{MemberLoad, backoff, begin, commit, rollback_on_error};
use crate::rows::{DEFECTS, MOT_TESTS, Provenance, RowBatch, VEHICLES, vehicle_id};
use crate::tsv::date_time_text;
use crate::write::{Encoded, delete_in, delete_tests_in};

/// One decoded line of a delta member.
#[derive(Debug, Clone)]
pub struct DeltaLine {
    /// Line number in the member.
    pub line: u64,
    /// Offset of the line in the decompressed member.
    pub byte_offset: u64,
    /// The decoded record.
    pub vehicle: Vehicle<'static>,
}

/// Consecutive lines of a delta member, applied in one transaction.
#[derive(Debug, Default)]
pub struct DeltaBatch {
    /// Decoded lines in file order.
    pub lines: Vec<DeltaLine>,
    /// Lines rejected by the decoder or by column checks.
    pub rejects: Vec<Reject>,
    /// Last line number the batch covers, blank and rejected lines included.
    pub last_line: u64,
    /// Bytes of the member's file read up to the end of the batch.
    pub file_bytes: u64,
}

const BATCH_ATTEMPTS: u32 = 5;

impl MemberLoad {
    /// Applies one delta batch in one transaction, retrying on a lost
    /// connection, deadlock or lock wait timeout.
    ///
    /// # Errors
    ///
    /// Fails on a database error that persists, or when the server reports
    /// fewer rows written than were sent.
    pub async fn apply_delta(&mut self, batch: DeltaBatch) -> Result<()> {
        let mut attempt = 1;
        let added = loop {
            match self.try_apply_delta(&batch).await {
                Ok(added) => break added,
                Err(error) if error.is_transient() && attempt < BATCH_ATTEMPTS => {
                    tracing::warn!(member = %self.record.member, attempt, %error, "delta batch failed; retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                    if self.committed_through().await? >= batch.last_line {
                        // The commit landed before the connection dropped.
                        // Counts for this batch are in the database but not
                        // here, so read them back.
                        break self.committed_counts().await? - self.counts;
                    }
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        };
        self.counts += added;
        self.lines_read = batch.last_line;
        Ok(())
    }

    async fn try_apply_delta(&self, batch: &DeltaBatch) -> Result<RowCounts> {
        let mut conn = self.store.conn().await?;
        let result = async {
            begin(&mut conn).await?;
            let mut plan = Plan::load(&mut conn, &batch.lines).await?;
            let mut rejects = batch.rejects.clone();
            for (position, line) in batch.lines.iter().enumerate() {
                let provenance = Provenance {
                    import_id: self.record.id,
                    line: line.line,
                };
                if let Err(reason) = plan.apply(position, line, provenance) {
                    rejects.push(Reject {
                        line: line.line,
                        byte_offset: line.byte_offset,
                        reason,
                        raw: Vec::new(),
                        length: 0,
                    });
                }
            }
            rejects.sort_by_key(|r| r.line);

            let mut added = plan.write(&self.store, &mut conn, &batch.lines).await?;
            added.rejects = rejects.len() as u64;
            let mut total = self.counts;
            total += added;
            imports::insert_rejects(&mut conn, self.record.id, &rejects, self.store.max_packet())
                .await?;
            imports::save_progress(
                &mut conn,
                self.record.id,
                batch.last_line,
                Some(batch.file_bytes),
                &total,
                None,
            )
            .await?;
            commit(&mut conn).await?;
            Ok(added)
        }
        .await;
        rollback_on_error(&mut conn, result).await
    }

    async fn committed_counts(&self) -> Result<RowCounts> {
        let mut conn = self.store.conn().await?;
        let row: Option<(u64, u64, u64, u64, u64)> = conn
            .exec_first(
                "SELECT vehicles_written, tests_written, defects_written, vehicles_deleted, rejects \
                 FROM import_log WHERE id = ?",
                (self.record.id,),
            )
            .await
            .map_err(|e| Error::database("reading import progress", e))?;
        let (vehicles, tests, defects, vehicles_deleted, rejects) = row.unwrap_or_default();
        Ok(RowCounts {
            vehicles,
            tests,
            defects,
            vehicles_deleted,
            rejects,
        })
    }
}

impl std::ops::Sub for RowCounts {
    type Output = RowCounts;

    fn sub(self, other: Self) -> Self {
        RowCounts {
            vehicles: self.vehicles.saturating_sub(other.vehicles),
            tests: self.tests.saturating_sub(other.tests),
            defects: self.defects.saturating_sub(other.defects),
            vehicles_deleted: self.vehicles_deleted.saturating_sub(other.vehicles_deleted),
            rejects: self.rejects.saturating_sub(other.rejects),
        }
    }
}

/// Identity of a test within its vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum TestKey {
    Number(u64),
    Certificate(String),
}

fn test_key(test: &MotTest<'_>) -> Option<TestKey> {
    match &test.mot_test_number {
        Some(TestNumber::Numeric(number)) => Some(TestKey::Number(*number)),
        Some(TestNumber::Text(text)) => Some(TestKey::Certificate(text.to_string())),
        None => None,
    }
}

/// Identity of a test that has no number.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Signature {
    completed: Option<String>,
    result: Option<String>,
    odometer: Option<u32>,
}

fn signature(test: &MotTest<'_>) -> Signature {
    Signature {
        completed: test.completed_date.map(date_time_text),
        result: test.test_result.as_ref().map(|r| r.as_str().to_owned()),
        odometer: test.odometer_value,
    }
}

#[derive(Debug)]
struct StoredTest {
    index: u16,
    key: Option<TestKey>,
    signature: Signature,
}

#[derive(Debug)]
struct VehicleState {
    in_database: bool,
    tests: Vec<StoredTest>,
}

/// The stored state of the vehicles a batch touches, and the changes the
/// batch makes to it.
#[derive(Debug, Default)]
struct Plan {
    by_registration: HashMap<String, Vec<u64>>,
    vehicles: HashMap<u64, VehicleState>,
    /// Vehicle rows to write: id to (provenance, position of the line).
    vehicle_rows: BTreeMap<u64, (Provenance, usize)>,
    /// Test rows to write: (vehicle id, test index) to (line position, test
    /// position in the line).
    test_rows: BTreeMap<(u64, u16), (usize, usize)>,
    /// Stored vehicles to remove.
    deleted: BTreeSet<u64>,
}

impl Plan {
    /// Reads the stored vehicles sharing a registration with any line, and
    /// their tests' identities.
    async fn load(conn: &mut Conn, lines: &[DeltaLine]) -> Result<Self> {
        let mut plan = Plan::default();
        let registrations: BTreeSet<&str> = lines
            .iter()
            .map(|l| l.vehicle.registration.as_ref())
            .collect();
        let registrations: Vec<&str> = registrations.into_iter().collect();
        for slice in registrations.chunks(5_000) {
            let statement = format!(
                "SELECT id, registration FROM vehicles WHERE registration IN ({})",
                vec!["?"; slice.len()].join(", ")
            );
            let params: Vec<Value> = slice.iter().map(|r| Value::from(*r)).collect();
            let rows: Vec<(u64, String)> = conn
                .exec(statement, params)
                .await
                .map_err(|e| Error::database("reading vehicles for a delta", e))?;
            for (id, registration) in rows {
                plan.by_registration
                    .entry(registration)
                    .or_default()
                    .push(id);
                plan.vehicles.insert(
                    id,
                    VehicleState {
                        in_database: true,
                        tests: Vec::new(),
                    },
                );
            }
        }

        let ids: Vec<u64> = plan.vehicles.keys().copied().collect();
        for slice in ids.chunks(5_000) {
            let statement = format!(
                "SELECT vehicle_id, test_index, mot_test_number, certificate_number, \
                 CAST(completed_date AS CHAR), test_result, odometer_value \
                 FROM mot_tests WHERE vehicle_id IN ({})",
                vec!["?"; slice.len()].join(", ")
            );
            let params: Vec<Value> = slice.iter().map(|&id| Value::UInt(id)).collect();
            type TestRow = (
                u64,
                u16,
                Option<u64>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<u32>,
            );
            let rows: Vec<TestRow> = conn
                .exec(statement, params)
                .await
                .map_err(|e| Error::database("reading tests for a delta", e))?;
            for (vehicle, index, number, certificate, completed, result, odometer) in rows {
                let key = number
                    .map(TestKey::Number)
                    .or(certificate.map(TestKey::Certificate));
                let signature = Signature {
                    completed,
                    result,
                    odometer,
                };
                if let Some(state) = plan.vehicles.get_mut(&vehicle) {
                    state.tests.push(StoredTest {
                        index,
                        key,
                        signature,
                    });
                }
            }
        }
        Ok(plan)
    }

    /// Picks the stored vehicle a line refers to.
    fn find(&self, vehicle: &Vehicle<'_>) -> Option<u64> {
        let candidates = self.by_registration.get(vehicle.registration.as_ref())?;
        if candidates.len() <= 1 {
            return candidates.first().copied();
        }
        let keys: Vec<TestKey> = vehicle.mot_tests.iter().filter_map(test_key).collect();
        let holds_a_test = |id: &&u64| {
            self.vehicles[*id]
                .tests
                .iter()
                .any(|t| t.key.as_ref().is_some_and(|k| keys.contains(k)))
        };
        candidates
            .iter()
            .filter(holds_a_test)
            .max()
            .or_else(|| candidates.iter().max())
            .copied()
    }

    /// Applies one line to the plan. Returns the reason when the line
    /// cannot be applied; the plan is then unchanged.
    fn apply(
        &mut self,
        position: usize,
        line: &DeltaLine,
        provenance: Provenance,
    ) -> Result<(), String> {
        match line.vehicle.modification {
            Some(Modification::Deleted) => {
                self.delete(&line.vehicle);
                Ok(())
            }
            Some(Modification::Other(ref other)) => Err(format!(
                "unknown modification {other:?}; expected CREATED, UPDATED or DELETED"
            )),
            _ => self.upsert(position, &line.vehicle, provenance),
        }
    }

    fn delete(&mut self, vehicle: &Vehicle<'_>) {
        let Some(id) = self.find(vehicle) else { return };
        if let Some(ids) = self.by_registration.get_mut(vehicle.registration.as_ref()) {
            ids.retain(|&other| other != id);
        }
        let state = self.vehicles.remove(&id);
        self.vehicle_rows.remove(&id);
        self.test_rows
            .retain(|&(vehicle_id, _), _| vehicle_id != id);
        if state.is_some_and(|s| s.in_database) {
            self.deleted.insert(id);
        }
    }

    fn upsert(
        &mut self,
        position: usize,
        vehicle: &Vehicle<'_>,
        provenance: Provenance,
    ) -> Result<(), String> {
        let existing = self.find(vehicle);
        let id = existing.unwrap_or_else(|| vehicle_id(provenance));
        let empty = VehicleState {
            in_database: false,
            tests: Vec::new(),
        };
        let state = self.vehicles.get(&id).unwrap_or(&empty);

        // Work out every test's index before changing anything, so a line
        // that overflows the index leaves the plan as it was.
        let mut next = state
            .tests
            .iter()
            .map(|t| usize::from(t.index) + 1)
            .max()
            .unwrap_or(0);
        let mut matched: Vec<bool> = vec![false; state.tests.len()];
        let mut assigned = Vec::with_capacity(vehicle.mot_tests.len());
        for test in &vehicle.mot_tests {
            let key = test_key(test);
            let signature = signature(test);
            let found = state.tests.iter().enumerate().position(|(i, stored)| {
                !matched[i]
                    && match &key {
                        Some(key) => stored.key.as_ref() == Some(key),
                        None => stored.signature == signature,
                    }
            });
            let index = match found {
                Some(i) => {
                    matched[i] = true;
                    state.tests[i].index
                }
                None => {
                    let index = u16::try_from(next).map_err(|_| {
                        format!(
                            "vehicle {} would have more than {} tests",
                            vehicle.registration,
                            u16::MAX
                        )
                    })?;
                    next += 1;
                    index
                }
            };
            assigned.push((index, found, key, signature));
        }

        if existing.is_none() {
            self.by_registration
                .entry(vehicle.registration.to_string())
                .or_default()
                .push(id);
            self.vehicles.insert(
                id,
                VehicleState {
                    in_database: false,
                    tests: Vec::new(),
                },
            );
        }
        let state = self
            .vehicles
            .get_mut(&id)
            .expect("vehicle state was just ensured");
        for (test_position, (index, found, key, signature)) in assigned.into_iter().enumerate() {
            match found {
                Some(i) => {
                    state.tests[i].key = key;
                    state.tests[i].signature = signature;
                }
                None => state.tests.push(StoredTest {
                    index,
                    key,
                    signature,
                }),
            }
            self.test_rows
                .insert((id, index), (position, test_position));
        }
        self.vehicle_rows.insert(id, (provenance, position));
        Ok(())
    }

    /// Writes the planned changes and returns the rows written.
    async fn write(
        &self,
        store: &crate::Store,
        conn: &mut Conn,
        lines: &[DeltaLine],
    ) -> Result<RowCounts> {
        let deleted: Vec<u64> = self.deleted.iter().copied().collect();
        delete_in(conn, DEFECTS.name, "vehicle_id", &deleted).await?;
        delete_in(conn, MOT_TESTS.name, "vehicle_id", &deleted).await?;

        let in_database = |id: &u64| self.vehicles.get(id).is_some_and(|s| s.in_database);
        let mut replaced: Vec<u64> = self
            .vehicle_rows
            .keys()
            .copied()
            .filter(in_database)
            .collect();
        replaced.extend(&deleted);
        delete_in(conn, VEHICLES.name, "id", &replaced).await?;
        let test_keys: Vec<(u64, u16)> = self
            .test_rows
            .keys()
            .copied()
            .filter(|(id, _)| in_database(id))
            .collect();
        delete_tests_in(conn, DEFECTS.name, &test_keys).await?;
        delete_tests_in(conn, MOT_TESTS.name, &test_keys).await?;

        let mut rows = RowBatch::new();
        for (&id, &(provenance, position)) in &self.vehicle_rows {
            rows.push_vehicle_row(id, provenance, &lines[position].vehicle)
                .map_err(|e| Error::Conflict(format!("line {}: {e}", provenance.line)))?;
        }
        for (&(id, index), &(position, test_position)) in &self.test_rows {
            rows.push_test(id, index, &lines[position].vehicle.mot_tests[test_position]);
        }
        let counts = RowCounts {
            vehicles: rows.vehicles.rows,
            tests: rows.tests.rows,
            defects: rows.defects.rows,
            vehicles_deleted: deleted.len() as u64,
            rejects: 0,
        };
        for table in [rows.vehicles, rows.tests, rows.defects] {
            store.write_rows(conn, &Encoded::from(table)).await?;
        }
        Ok(counts)
    }
}
