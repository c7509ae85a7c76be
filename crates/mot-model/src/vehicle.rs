//! The record types: one [`Vehicle`] per line of a file.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::codes::{
    DataSource, DefectType, Modification, OdometerResultType, OdometerUnit, TestNumber, TestResult,
};
use crate::decode;

/// One vehicle and its MOT history: one line of a bulk or delta file.
///
/// The registration is the vehicle's current plate. It is not unique across
/// the data set, because plates move between vehicles.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vehicle<'a> {
    /// Current registration mark, without spaces.
    #[serde(borrow, deserialize_with = "decode::text")]
    pub registration: Cow<'a, str>,
    /// Date the vehicle was first used.
    #[serde(default, deserialize_with = "decode::opt_date")]
    pub first_used_date: Option<NaiveDate>,
    /// Date the vehicle was first registered.
    #[serde(default, deserialize_with = "decode::opt_date")]
    pub registration_date: Option<NaiveDate>,
    /// Date the vehicle was manufactured.
    #[serde(default, deserialize_with = "decode::opt_date")]
    pub manufacture_date: Option<NaiveDate>,
    /// Main colour, such as `Blue`.
    #[serde(default, borrow, deserialize_with = "decode::opt_text")]
    pub primary_colour: Option<Cow<'a, str>>,
    /// Second colour, often `Not Stated`.
    #[serde(default, borrow, deserialize_with = "decode::opt_text")]
    pub secondary_colour: Option<Cow<'a, str>>,
    /// Engine capacity in cubic centimetres.
    #[serde(default, deserialize_with = "decode::opt_count")]
    pub engine_size: Option<u32>,
    /// Manufacturer, upper case in the files.
    #[serde(default, borrow, deserialize_with = "decode::opt_text")]
    pub make: Option<Cow<'a, str>>,
    /// Model name, upper case in the files.
    #[serde(default, borrow, deserialize_with = "decode::opt_text")]
    pub model: Option<Cow<'a, str>>,
    /// Fuel type, from an open set such as `Petrol` or `Hybrid Electric (Clean)`.
    #[serde(default, borrow, deserialize_with = "decode::opt_text")]
    pub fuel_type: Option<Cow<'a, str>>,
    /// Completion time of the latest test, as written (zone unknown, likely UK).
    #[serde(default, deserialize_with = "decode::opt_date_time")]
    pub last_mot_test_date: Option<NaiveDateTime>,
    /// MOT tests in file order. Missing and `null` both give an empty list.
    #[serde(default, borrow, deserialize_with = "decode::list")]
    pub mot_tests: Vec<MotTest<'a>>,
    /// Change described by a delta line; also seen on bulk lines.
    #[serde(
        default,
        borrow,
        alias = "last_modification",
        deserialize_with = "decode::opt_code"
    )]
    pub modification: Option<Modification<'a>>,
    /// System the record came from.
    #[serde(default, borrow, deserialize_with = "decode::opt_code")]
    pub data_source: Option<DataSource<'a>>,
    /// Date the DVLA last changed the record (`last_update_date`).
    #[serde(
        default,
        rename = "last_update_date",
        deserialize_with = "decode::opt_date"
    )]
    pub last_update_date: Option<NaiveDate>,
}

/// One MOT test of a vehicle.
///
/// Tests have no identity of their own beyond the test number, which can be
/// missing, and two tests of one vehicle can share a completion time, so the
/// position in [`Vehicle::mot_tests`] is what tells them apart.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MotTest<'a> {
    /// Test or certificate number.
    #[serde(default, borrow, deserialize_with = "decode::opt_test_number")]
    pub mot_test_number: Option<TestNumber<'a>>,
    /// Completion time, as written (zone unknown; the ISO form ends in `Z`).
    #[serde(default, deserialize_with = "decode::opt_date_time")]
    pub completed_date: Option<NaiveDateTime>,
    /// Date the certificate expires; `null` on failed tests.
    #[serde(default, deserialize_with = "decode::opt_date")]
    pub expiry_date: Option<NaiveDate>,
    /// Outcome of the test.
    #[serde(default, borrow, deserialize_with = "decode::opt_code")]
    pub test_result: Option<TestResult<'a>>,
    /// Odometer reading, in [`MotTest::odometer_unit`].
    #[serde(default, deserialize_with = "decode::opt_count")]
    pub odometer_value: Option<u32>,
    /// Unit of the odometer reading.
    #[serde(default, borrow, deserialize_with = "decode::opt_code")]
    pub odometer_unit: Option<OdometerUnit<'a>>,
    /// Whether the odometer was read.
    #[serde(default, borrow, deserialize_with = "decode::opt_code")]
    pub odometer_result_type: Option<OdometerResultType<'a>>,
    /// System the test came from.
    #[serde(default, borrow, deserialize_with = "decode::opt_code")]
    pub data_source: Option<DataSource<'a>>,
    /// Registration mark at the time of the test (`regMarkTimeOfTest`, or
    /// `registrationAtTimeOfTest` in the per-vehicle API).
    #[serde(
        default,
        borrow,
        rename = "regMarkTimeOfTest",
        alias = "registrationAtTimeOfTest",
        deserialize_with = "decode::opt_text"
    )]
    pub registration_at_time_of_test: Option<Cow<'a, str>>,
    /// Testing location; commercial vehicle tests only.
    #[serde(default, borrow, deserialize_with = "decode::opt_text")]
    pub location: Option<Cow<'a, str>>,
    /// Defects in file order. `None` when the key is missing or `null`, as
    /// on Northern Ireland tests; `Some` of an empty list when none were
    /// found.
    #[serde(default, borrow, deserialize_with = "decode::opt_list")]
    pub defects: Option<Vec<Defect<'a>>>,
}

/// One defect or advisory recorded at a test.
///
/// Defects have no identifier: their position in [`MotTest::defects`] is
/// their only identity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Defect<'a> {
    /// Free text; may be empty and may hold any Unicode character.
    #[serde(default, borrow, deserialize_with = "decode::opt_text")]
    pub text: Option<Cow<'a, str>>,
    /// Category of the defect.
    #[serde(
        default,
        borrow,
        rename = "type",
        deserialize_with = "decode::opt_code"
    )]
    pub defect_type: Option<DefectType<'a>>,
    /// Whether the tester marked the defect dangerous.
    #[serde(default, deserialize_with = "decode::opt_flag")]
    pub dangerous: Option<bool>,
}

fn owned(text: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    text.map(|text| Cow::Owned(text.into_owned()))
}

impl Vehicle<'_> {
    /// Copies all borrowed text so the record outlives its input buffer.
    pub fn into_owned(self) -> Vehicle<'static> {
        Vehicle {
            registration: Cow::Owned(self.registration.into_owned()),
            first_used_date: self.first_used_date,
            registration_date: self.registration_date,
            manufacture_date: self.manufacture_date,
            primary_colour: owned(self.primary_colour),
            secondary_colour: owned(self.secondary_colour),
            engine_size: self.engine_size,
            make: owned(self.make),
            model: owned(self.model),
            fuel_type: owned(self.fuel_type),
            last_mot_test_date: self.last_mot_test_date,
            mot_tests: self
                .mot_tests
                .into_iter()
                .map(MotTest::into_owned)
                .collect(),
            modification: self.modification.map(Modification::into_owned),
            data_source: self.data_source.map(DataSource::into_owned),
            last_update_date: self.last_update_date,
        }
    }

    /// Counts the defects across all tests.
    pub fn defect_count(&self) -> usize {
        self.mot_tests
            .iter()
            .map(|test| test.defects.as_ref().map_or(0, Vec::len))
            .sum()
    }
}

impl MotTest<'_> {
    /// Copies all borrowed text so the test outlives its input buffer.
    pub fn into_owned(self) -> MotTest<'static> {
        MotTest {
            mot_test_number: self.mot_test_number.map(TestNumber::into_owned),
            completed_date: self.completed_date,
            expiry_date: self.expiry_date,
            test_result: self.test_result.map(TestResult::into_owned),
            odometer_value: self.odometer_value,
            odometer_unit: self.odometer_unit.map(OdometerUnit::into_owned),
            odometer_result_type: self
                .odometer_result_type
                .map(OdometerResultType::into_owned),
            data_source: self.data_source.map(DataSource::into_owned),
            registration_at_time_of_test: owned(self.registration_at_time_of_test),
            location: owned(self.location),
            defects: self
                .defects
                .map(|defects| defects.into_iter().map(Defect::into_owned).collect()),
        }
    }
}

impl Defect<'_> {
    /// Copies all borrowed text so the defect outlives its input buffer.
    pub fn into_owned(self) -> Defect<'static> {
        Defect {
            text: owned(self.text),
            defect_type: self.defect_type.map(DefectType::into_owned),
            dangerous: self.dangerous,
        }
    }
}
