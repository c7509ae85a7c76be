//! Domain types for DVSA MOT History records: a [`Vehicle`] with its
//! [`MotTest`]s, each with its [`Defect`]s.
//!
//! The MOT History files hold one JSON object per vehicle. The publisher
//! warns that fields may be added or dropped without notice, and the same
//! field arrives in several shapes: a test number as a number or a string,
//! an engine size as `"1461"` or `1461`, a completion time as
//! `2015-03-11 11:41:11` or `2023-02-17T09:17:46.000Z`, an odometer unit as
//! `mi` or `MI`. Decoding here is lenient about shape and strict about
//! meaning:
//!
//! - unknown keys are ignored, and every field other than `registration`
//!   may be missing or `null`;
//! - closed sets (test result, odometer unit, defect type, ...) are
//!   normalised to one spelling, and values outside them are kept as
//!   `Other` rather than rejected;
//! - a value that cannot be represented faithfully (an impossible date such
//!   as `2023-02-30`, an odometer reading that is not a whole number) fails
//!   the record, so the loader can reject the line instead of storing a
//!   silently altered value.
//!
//! Strings borrow from the input when the deserializer allows it (as
//! `simd_json` does), so decoding a record allocates little. Call
//! [`Vehicle::into_owned`] to keep a record beyond its input buffer.
//!
//! ```
//! use mot_model::{TestResult, Vehicle};
//!
//! let line = r#"{"registration":"AB12CDE","engineSize":"1461",
//!     "motTests":[{"motTestNumber":100000000001,"testResult":"PASSED",
//!     "completedDate":"2015-03-11 11:41:11","odometerUnit":"MI"}]}"#;
//! let vehicle: Vehicle = serde_json::from_str(line).unwrap();
//! assert_eq!(vehicle.registration, "AB12CDE");
//! assert_eq!(vehicle.engine_size, Some(1461));
//! assert_eq!(vehicle.mot_tests[0].test_result, Some(TestResult::Passed));
//! ```

mod codes;
mod decode;
mod error;
mod time;
mod vehicle;

pub use codes::{
    DataSource, DefectType, Modification, OdometerResultType, OdometerUnit, TestNumber, TestResult,
};
pub use error::ValueError;
pub use time::{parse_date, parse_date_time};
pub use vehicle::{Defect, MotTest, Vehicle};
