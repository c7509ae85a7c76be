//! The expected outcome of applying delta lines, computed with the load rules.
//!
//! Rules, applied line by line in file order:
//! - A line is matched to a stored vehicle by registration. When several vehicles share the
//!   registration, the match is the one holding a test whose `motTestNumber` appears in the
//!   line, else the most recently created one.
//! - CREATED and UPDATED: without a match the line becomes a new vehicle. With a match the
//!   vehicle's fields are replaced, and each test in the line is matched to a stored test of
//!   that vehicle by `motTestNumber`, or by completedDate, testResult and odometerValue when it
//!   has no number. A matched test is replaced with all its defects, and an unmatched one is
//!   added.
//!   Stored tests absent from the line are kept.
//! - DELETED: the matched vehicle is removed with its tests and defects. Without a match
//!   nothing changes.
//!
//! Memory stays proportional to the vehicles the deltas touch: an untouched bulk vehicle is
//! regenerated from its index, and a touched one keeps only the tests that differ from its
//! bulk history.

use std::collections::HashMap;

use crate::bulk::{bulk_fields, bulk_holders, bulk_registration, bulk_tests};
use crate::manifest::Counts;
use crate::render::{Line, Modification};
use crate::vehicle::{Context, Fields, TestDesc, TestKey};

/// A vehicle that a delta line has changed or created.
#[derive(Debug, Clone)]
struct TouchedVehicle {
    registration: u64,
    fields: Fields,
    /// The bulk line index the vehicle was loaded from, `None` if a delta created it.
    bulk_index: Option<u64>,
    /// Tests that differ from the bulk history: replacements (same key) and additions.
    changes: Vec<TestDesc>,
}

/// A stored vehicle's current fields and tests, which delta lines are built from.
#[derive(Debug, Clone)]
pub(crate) struct VehicleView {
    pub(crate) fields: Fields,
    pub(crate) tests: Vec<TestDesc>,
}

/// Stored vehicles after the bulk and the deltas applied so far.
pub(crate) struct Model {
    context: Context,
    bulk_vehicles: u64,
    counts: Counts,
    /// Vehicle ids (ascending = creation order) per registration code, for every code a delta
    /// line has touched. Other codes still have their bulk holders.
    holders: HashMap<u64, Vec<u64>>,
    touched: HashMap<u64, TouchedVehicle>,
    /// Id of the next vehicle a delta creates. Bulk vehicles have ids `0..bulk_vehicles`.
    next_vehicle: u64,
}

impl Model {
    /// Starts from a loaded bulk of `bulk_vehicles` vehicles with counts `after_bulk`.
    pub(crate) fn new(context: Context, bulk_vehicles: u64, after_bulk: Counts) -> Self {
        Self {
            context,
            bulk_vehicles,
            counts: after_bulk,
            holders: HashMap::new(),
            touched: HashMap::new(),
            next_vehicle: bulk_vehicles,
        }
    }

    /// Returns the current counts.
    pub(crate) fn counts(&self) -> Counts {
        self.counts
    }

    /// Returns the ids of the vehicles holding registration `code`, oldest first.
    fn holders_of(&self, code: u64) -> Vec<u64> {
        match self.holders.get(&code) {
            Some(ids) => ids.clone(),
            None => bulk_holders(&self.context, self.bulk_vehicles, code),
        }
    }

    fn holders_mut(&mut self, code: u64) -> &mut Vec<u64> {
        let (context, vehicles) = (self.context, self.bulk_vehicles);
        self.holders
            .entry(code)
            .or_insert_with(|| bulk_holders(&context, vehicles, code))
    }

    /// Returns how many stored vehicles hold registration `code`.
    pub(crate) fn holder_count(&self, code: u64) -> usize {
        match self.holders.get(&code) {
            Some(ids) => ids.len(),
            None => bulk_holders(&self.context, self.bulk_vehicles, code).len(),
        }
    }

    /// Returns the most recently created vehicle holding registration `code`.
    pub(crate) fn newest_holder(&self, code: u64) -> Option<VehicleView> {
        let id = *self.holders_of(code).last()?;
        Some(VehicleView {
            fields: self.fields_of(id),
            tests: self.tests_of(id),
        })
    }

    fn fields_of(&self, id: u64) -> Fields {
        match self.touched.get(&id) {
            Some(vehicle) => vehicle.fields,
            None => bulk_fields(&self.context, id),
        }
    }

    /// Returns the stored tests of vehicle `id`: its bulk history with changes applied.
    fn tests_of(&self, id: u64) -> Vec<TestDesc> {
        let Some(vehicle) = self.touched.get(&id) else {
            return bulk_tests(&self.context, id);
        };
        let mut tests = match vehicle.bulk_index {
            Some(index) => bulk_tests(&self.context, index),
            None => Vec::new(),
        };
        let keys: Vec<TestKey> = tests.iter().map(TestDesc::key).collect();
        for change in &vehicle.changes {
            let key = change.key();
            match keys.iter().position(|stored| *stored == key) {
                Some(position) => tests[position] = *change,
                None => tests.push(*change),
            }
        }
        tests
    }

    fn defects_of(&self, tests: &[TestDesc]) -> u64 {
        tests
            .iter()
            .map(|test| test.defect_count(&self.context))
            .sum()
    }

    /// Applies one valid delta line.
    pub(crate) fn apply(&mut self, line: &Line) {
        let keys: Vec<TestKey> = line.tests.iter().map(TestDesc::key).collect();
        let target = self.find_target(line.registration, &keys);
        match (line.modification, target) {
            (Some(Modification::Deleted), Some(id)) => self.delete(line.registration, id),
            (Some(Modification::Deleted), None) => {}
            (_, None) => self.insert(line),
            (_, Some(id)) => self.merge(id, line, &keys),
        }
    }

    /// Returns the vehicle a line with registration `code` and test keys `keys` matches.
    fn find_target(&self, code: u64, keys: &[TestKey]) -> Option<u64> {
        let holders = self.holders_of(code);
        if holders.len() > 1 {
            let numbers: Vec<&TestKey> = keys
                .iter()
                .filter(|key| matches!(key, TestKey::Number(_)))
                .collect();
            for &id in holders.iter().rev() {
                let tests = self.tests_of(id);
                if tests.iter().any(|test| numbers.contains(&&test.key())) {
                    return Some(id);
                }
            }
        }
        holders.last().copied()
    }

    fn delete(&mut self, code: u64, id: u64) {
        let tests = self.tests_of(id);
        self.counts.vehicles -= 1;
        self.counts.mot_tests -= tests.len() as u64;
        self.counts.defects -= self.defects_of(&tests);
        self.holders_mut(code).retain(|&holder| holder != id);
        self.touched.remove(&id);
    }

    fn insert(&mut self, line: &Line) {
        let id = self.next_vehicle;
        self.next_vehicle += 1;
        self.counts.vehicles += 1;
        self.counts.mot_tests += line.tests.len() as u64;
        self.counts.defects += self.defects_of(&line.tests);
        self.holders_mut(line.registration).push(id);
        let vehicle = TouchedVehicle {
            registration: line.registration,
            fields: line.fields,
            bulk_index: None,
            changes: line.tests.clone(),
        };
        self.touched.insert(id, vehicle);
    }

    fn merge(&mut self, id: u64, line: &Line, keys: &[TestKey]) {
        let mut tests = self.tests_of(id);
        let mut stored_keys: Vec<TestKey> = tests.iter().map(TestDesc::key).collect();
        for (test, key) in line.tests.iter().zip(keys) {
            let defects = test.defect_count(&self.context);
            match stored_keys.iter().position(|stored| stored == key) {
                Some(position) => {
                    self.counts.defects -= tests[position].defect_count(&self.context);
                    self.counts.defects += defects;
                    tests[position] = *test;
                }
                None => {
                    self.counts.mot_tests += 1;
                    self.counts.defects += defects;
                    tests.push(*test);
                    stored_keys.push(key.clone());
                }
            }
        }

        let (registration, bulk_index) = match self.touched.get(&id) {
            Some(vehicle) => (vehicle.registration, vehicle.bulk_index),
            None => (bulk_registration(&self.context, id), Some(id)),
        };
        let base = bulk_index.map(|index| bulk_tests(&self.context, index));
        let changes = match base {
            Some(base) => tests
                .into_iter()
                .filter(|test| !base.contains(test))
                .collect(),
            None => tests,
        };
        let vehicle = TouchedVehicle {
            registration,
            fields: line.fields,
            bulk_index,
            changes,
        };
        self.touched.insert(id, vehicle);
    }
}
