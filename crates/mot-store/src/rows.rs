//! Flattening records into rows of the three data tables.

use mot_model::{Defect, MotTest, TestNumber, Vehicle};

use crate::tsv::RowWriter;

/// A data table and the columns the loader writes, in order.
#[derive(Debug, PartialEq, Eq)]
pub struct Table {
    /// Table name.
    pub name: &'static str,
    /// Columns in the order each row lists them.
    pub columns: &'static [&'static str],
}

/// The `vehicles` table.
pub const VEHICLES: Table = Table {
    name: "vehicles",
    columns: &[
        "id",
        "registration",
        "first_used_date",
        "registration_date",
        "manufacture_date",
        "primary_colour",
        "secondary_colour",
        "engine_size",
        "make",
        "model",
        "fuel_type",
        "last_mot_test_date",
        "data_source",
        "last_update_date",
        "modification",
        "import_id",
        "source_line",
    ],
};

/// The `mot_tests` table.
pub const MOT_TESTS: Table = Table {
    name: "mot_tests",
    columns: &[
        "vehicle_id",
        "test_index",
        "mot_test_number",
        "certificate_number",
        "completed_date",
        "expiry_date",
        "test_result",
        "odometer_value",
        "odometer_unit",
        "odometer_result_type",
        "data_source",
        "registration_at_time_of_test",
        "location",
        "defects_listed",
    ],
};

/// The `defects` table.
pub const DEFECTS: Table = Table {
    name: "defects",
    columns: &[
        "vehicle_id",
        "test_index",
        "defect_index",
        "defect_type",
        "dangerous",
        "text",
    ],
};

/// Column widths from the schema, in characters, checked before a row is
/// written so that strict mode never has to reject a whole batch.
mod width {
    pub const REGISTRATION: usize = 32;
    pub const NAME: usize = 255;
    pub const CODE: usize = 64;
    /// `TEXT` holds 65,535 bytes, not characters.
    pub const TEXT_BYTES: usize = 65_535;
    /// `test_index` and `defect_index` are `SMALLINT UNSIGNED`.
    pub const INDEX: usize = u16::MAX as usize;
}

/// Rows of one table in `LOAD DATA` text form.
#[derive(Debug)]
pub struct TableRows {
    /// Table the rows belong to.
    pub table: &'static Table,
    /// Encoded rows, each ending in a newline.
    pub data: Vec<u8>,
    /// Number of rows in `data`.
    pub rows: u64,
}

impl TableRows {
    fn new(table: &'static Table) -> Self {
        Self {
            table,
            data: Vec::new(),
            rows: 0,
        }
    }
}

/// Origin of a vehicle row: the import member and the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    /// `import_log.id` of the member.
    pub import_id: u64,
    /// Line number in the member.
    pub line: u64,
}

/// Derives a vehicle id from the member and line that first stored it.
///
/// The id is stable across reloads of the same member, which makes a
/// reload idempotent, and increases along a member, so a bulk load inserts
/// in primary-key order.
pub fn vehicle_id(provenance: Provenance) -> u64 {
    (provenance.import_id << 32) | (provenance.line & 0xffff_ffff)
}

/// Inclusive range of vehicle ids that lines of one member can produce.
pub fn member_id_range(import_id: u64) -> (u64, u64) {
    (import_id << 32, (import_id << 32) | 0xffff_ffff)
}

/// A value that cannot be stored without altering it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct Unstorable {
    /// Field path, such as `motTests[3].location`.
    pub field: String,
    /// Problem found, such as `is 300 characters, longer than the 255 the column holds`.
    pub problem: String,
}

/// Rows for the three data tables, built up record by record.
#[derive(Debug)]
pub struct RowBatch {
    /// `vehicles` rows.
    pub vehicles: TableRows,
    /// `mot_tests` rows.
    pub tests: TableRows,
    /// `defects` rows.
    pub defects: TableRows,
}

impl Default for RowBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl RowBatch {
    /// Creates an empty batch.
    pub fn new() -> Self {
        Self {
            vehicles: TableRows::new(&VEHICLES),
            tests: TableRows::new(&MOT_TESTS),
            defects: TableRows::new(&DEFECTS),
        }
    }

    /// Total encoded bytes.
    pub fn bytes(&self) -> usize {
        self.vehicles.data.len() + self.tests.data.len() + self.defects.data.len()
    }

    /// Total rows across the three tables.
    pub fn rows(&self) -> u64 {
        self.vehicles.rows + self.tests.rows + self.defects.rows
    }

    /// Tells whether no row has been added.
    pub fn is_empty(&self) -> bool {
        self.rows() == 0
    }

    /// Adds a vehicle with all its tests and defects, numbering tests from 0.
    ///
    /// # Errors
    ///
    /// Returns [`Unstorable`] and adds nothing when a value does not fit its
    /// column.
    pub fn push_vehicle(
        &mut self,
        id: u64,
        provenance: Provenance,
        vehicle: &Vehicle<'_>,
    ) -> Result<(), Unstorable> {
        check_record(vehicle)?;
        self.write_vehicle(id, provenance, vehicle);
        // check_record keeps the test count within u16, so zip stops at the
        // tests' end and never wraps the index.
        for (index, test) in (0..=u16::MAX).zip(&vehicle.mot_tests) {
            self.write_test(id, index, test);
        }
        Ok(())
    }

    /// Adds only the vehicle row, after checking its fields.
    pub(crate) fn push_vehicle_row(
        &mut self,
        id: u64,
        provenance: Provenance,
        vehicle: &Vehicle<'_>,
    ) -> Result<(), Unstorable> {
        check_vehicle(vehicle)?;
        self.write_vehicle(id, provenance, vehicle);
        Ok(())
    }

    /// Adds one test and its defects at `index`. The caller has checked it
    /// with [`check_test`].
    pub(crate) fn push_test(&mut self, vehicle_id: u64, index: u16, test: &MotTest<'_>) {
        self.write_test(vehicle_id, index, test);
    }

    fn write_vehicle(&mut self, id: u64, provenance: Provenance, vehicle: &Vehicle<'_>) {
        let mut row = RowWriter::new(&mut self.vehicles.data);
        row.number(id);
        row.text(&vehicle.registration);
        row.opt_date(vehicle.first_used_date);
        row.opt_date(vehicle.registration_date);
        row.opt_date(vehicle.manufacture_date);
        row.opt_text(vehicle.primary_colour.as_deref());
        row.opt_text(vehicle.secondary_colour.as_deref());
        row.opt_number(vehicle.engine_size.map(u64::from));
        row.opt_text(vehicle.make.as_deref());
        row.opt_text(vehicle.model.as_deref());
        row.opt_text(vehicle.fuel_type.as_deref());
        row.opt_date_time(vehicle.last_mot_test_date);
        row.opt_text(vehicle.data_source.as_ref().map(|s| s.as_str()));
        row.opt_date(vehicle.last_update_date);
        row.opt_text(vehicle.modification.as_ref().map(|m| m.as_str()));
        row.number(provenance.import_id);
        row.number(provenance.line);
        row.finish();
        self.vehicles.rows += 1;
    }

    fn write_test(&mut self, vehicle_id: u64, index: u16, test: &MotTest<'_>) {
        let (number, certificate) = match &test.mot_test_number {
            Some(TestNumber::Numeric(number)) => (Some(*number), None),
            Some(TestNumber::Text(text)) => (None, Some(text.as_ref())),
            None => (None, None),
        };
        let mut row = RowWriter::new(&mut self.tests.data);
        row.number(vehicle_id);
        row.number(u64::from(index));
        row.opt_number(number);
        row.opt_text(certificate);
        row.opt_date_time(test.completed_date);
        row.opt_date(test.expiry_date);
        row.opt_text(test.test_result.as_ref().map(|r| r.as_str()));
        row.opt_number(test.odometer_value.map(u64::from));
        row.opt_text(test.odometer_unit.as_ref().map(|u| u.as_str()));
        row.opt_text(test.odometer_result_type.as_ref().map(|t| t.as_str()));
        row.opt_text(test.data_source.as_ref().map(|s| s.as_str()));
        row.opt_text(test.registration_at_time_of_test.as_deref());
        row.opt_text(test.location.as_deref());
        row.number(u64::from(test.defects.is_some()));
        row.finish();
        self.tests.rows += 1;

        // check_test keeps the defect count within u16.
        for (defect_index, defect) in (0..=u16::MAX).zip(test.defects.iter().flatten()) {
            self.write_defect(vehicle_id, index, defect_index, defect);
        }
    }

    fn write_defect(&mut self, vehicle_id: u64, test_index: u16, index: u16, defect: &Defect<'_>) {
        let mut row = RowWriter::new(&mut self.defects.data);
        row.number(vehicle_id);
        row.number(u64::from(test_index));
        row.number(u64::from(index));
        row.opt_text(defect.defect_type.as_ref().map(|t| t.as_str()));
        row.opt_flag(defect.dangerous);
        row.opt_text(defect.text.as_deref());
        row.finish();
        self.defects.rows += 1;
    }
}

/// Checks a vehicle with all its tests and defects.
pub(crate) fn check_record(vehicle: &Vehicle<'_>) -> Result<(), Unstorable> {
    check_vehicle(vehicle)?;
    if vehicle.mot_tests.len() > width::INDEX {
        return Err(too_many("motTests", vehicle.mot_tests.len()));
    }
    for (index, test) in vehicle.mot_tests.iter().enumerate() {
        check_test(index, test)?;
    }
    Ok(())
}

fn check_vehicle(vehicle: &Vehicle<'_>) -> Result<(), Unstorable> {
    check_chars(
        "registration",
        Some(&vehicle.registration),
        width::REGISTRATION,
    )?;
    check_chars(
        "primaryColour",
        vehicle.primary_colour.as_deref(),
        width::NAME,
    )?;
    check_chars(
        "secondaryColour",
        vehicle.secondary_colour.as_deref(),
        width::NAME,
    )?;
    check_chars("make", vehicle.make.as_deref(), width::NAME)?;
    check_chars("model", vehicle.model.as_deref(), width::NAME)?;
    check_chars("fuelType", vehicle.fuel_type.as_deref(), width::NAME)?;
    check_millis("lastMotTestDate", vehicle.last_mot_test_date)?;
    check_chars(
        "dataSource",
        vehicle.data_source.as_ref().map(|s| s.as_str()),
        width::CODE,
    )?;
    check_chars(
        "modification",
        vehicle.modification.as_ref().map(|m| m.as_str()),
        width::CODE,
    )
}

/// Checks that a test and its defects fit their columns.
pub(crate) fn check_test(index: usize, test: &MotTest<'_>) -> Result<(), Unstorable> {
    let field = |name| Field::Test(index, name);
    if let Some(TestNumber::Text(text)) = &test.mot_test_number {
        check_chars(field("motTestNumber"), Some(text), width::CODE)?;
    }
    check_millis(field("completedDate"), test.completed_date)?;
    check_chars(
        field("testResult"),
        test.test_result.as_ref().map(|r| r.as_str()),
        width::CODE,
    )?;
    check_chars(
        field("odometerUnit"),
        test.odometer_unit.as_ref().map(|u| u.as_str()),
        width::CODE,
    )?;
    let kind = test.odometer_result_type.as_ref().map(|t| t.as_str());
    check_chars(field("odometerResultType"), kind, width::CODE)?;
    check_chars(
        field("dataSource"),
        test.data_source.as_ref().map(|s| s.as_str()),
        width::CODE,
    )?;
    let plate = test.registration_at_time_of_test.as_deref();
    check_chars(field("regMarkTimeOfTest"), plate, width::REGISTRATION)?;
    check_chars(field("location"), test.location.as_deref(), width::NAME)?;

    let defects = test.defects.as_deref().unwrap_or_default();
    if defects.len() > width::INDEX {
        return Err(too_many(&field("defects").to_string(), defects.len()));
    }
    for (number, defect) in defects.iter().enumerate() {
        let defect_field = |name| Field::Defect(index, number, name);
        let kind = defect.defect_type.as_ref().map(|t| t.as_str());
        check_chars(defect_field("type"), kind, width::CODE)?;
        if let Some(text) = &defect.text
            && text.len() > width::TEXT_BYTES
        {
            return Err(Unstorable {
                field: defect_field("text").to_string(),
                problem: format!(
                    "is {} bytes, longer than the {} bytes the column holds",
                    text.len(),
                    width::TEXT_BYTES
                ),
            });
        }
    }
    Ok(())
}

fn check_chars(
    field: impl Into<Field<'static>>,
    value: Option<&str>,
    max: usize,
) -> Result<(), Unstorable> {
    let Some(value) = value else { return Ok(()) };
    // A string of at most `max` bytes has at most `max` characters.
    if value.len() <= max {
        return Ok(());
    }
    let chars = value.chars().count();
    if chars <= max {
        return Ok(());
    }
    Err(Unstorable {
        field: field.into().to_string(),
        problem: format!("is {chars} characters, longer than the {max} the column holds"),
    })
}

fn check_millis(
    field: impl Into<Field<'static>>,
    value: Option<chrono::NaiveDateTime>,
) -> Result<(), Unstorable> {
    use chrono::Timelike;
    match value {
        Some(time) if time.nanosecond() % 1_000_000 != 0 => Err(Unstorable {
            field: field.into().to_string(),
            problem: "has a fraction finer than milliseconds, which the column does not hold"
                .to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Path of a checked field in the input line, formatted only when a check
/// fails, because building it for every test and defect costs real time.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field<'a> {
    /// A vehicle field such as `make`.
    Vehicle(&'a str),
    /// A field of the test at an index, such as `motTests[3].location`.
    Test(usize, &'a str),
    /// A field of a defect of a test, such as `motTests[3].defects[0].text`.
    Defect(usize, usize, &'a str),
}

impl<'a> From<&'a str> for Field<'a> {
    fn from(name: &'a str) -> Self {
        Field::Vehicle(name)
    }
}

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Field::Vehicle(name) => f.write_str(name),
            Field::Test(test, name) => write!(f, "motTests[{test}].{name}"),
            Field::Defect(test, defect, name) => {
                write!(f, "motTests[{test}].defects[{defect}].{name}")
            }
        }
    }
}

fn too_many(field: &str, count: usize) -> Unstorable {
    Unstorable {
        field: field.to_owned(),
        problem: format!(
            "has {count} entries, more than the {} the loader stores",
            width::INDEX
        ),
    }
}
