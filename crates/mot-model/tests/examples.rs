//! Decodes the published example lines and checks every field.

use chrono::{NaiveDate, NaiveDateTime};
use mot_model::{
    DataSource, DefectType, Modification, MotTest, OdometerResultType, OdometerUnit, TestNumber,
    TestResult, Vehicle,
};

const EXAMPLES: &str = include_str!("../../../testdata/examples.ndjson");
const API_TEST: &str = include_str!("../../../testdata/api-test.json");

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn date_time(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// Decodes with simd-json, the parser the loader uses.
fn decode_simd(line: &str) -> Vehicle<'static> {
    let mut bytes = line.as_bytes().to_vec();
    simd_json::serde::from_slice::<Vehicle>(&mut bytes)
        .unwrap()
        .into_owned()
}

fn examples() -> Vec<Vehicle<'static>> {
    EXAMPLES.lines().map(decode_simd).collect()
}

#[test]
fn dvla_only_vehicle() {
    let vehicle = &examples()[0];
    assert_eq!(vehicle.registration, "AB12CDE");
    assert_eq!(vehicle.registration_date, Some(date("1973-09-21")));
    assert_eq!(vehicle.first_used_date, None);
    assert_eq!(vehicle.primary_colour.as_deref(), Some("Beige"));
    assert_eq!(vehicle.model.as_deref(), Some("AVENGER"));
    assert_eq!(vehicle.make.as_deref(), Some("HILLMAN"));
    assert_eq!(vehicle.fuel_type.as_deref(), Some("Petrol"));
    assert_eq!(vehicle.engine_size, None);
    assert!(vehicle.mot_tests.is_empty());
    assert_eq!(vehicle.data_source, Some(DataSource::Dvla));
    assert_eq!(vehicle.last_update_date, Some(date("2023-12-04")));
    assert_eq!(vehicle.modification, None);
}

#[test]
fn vehicle_with_two_tests() {
    let vehicle = &examples()[1];
    assert_eq!(vehicle.registration, "AB12CDF");
    assert_eq!(vehicle.first_used_date, Some(date("2003-03-27")));
    assert_eq!(vehicle.manufacture_date, Some(date("2003-03-27")));
    assert_eq!(vehicle.secondary_colour.as_deref(), Some("Not Stated"));
    assert_eq!(vehicle.engine_size, Some(1461));
    assert_eq!(
        vehicle.last_mot_test_date,
        Some(date_time("2017-03-10 12:21:09"))
    );
    assert_eq!(vehicle.data_source, Some(DataSource::Dvsa));
    assert_eq!(vehicle.mot_tests.len(), 2);

    let first = &vehicle.mot_tests[0];
    assert_eq!(
        first.mot_test_number,
        Some(TestNumber::Numeric(100_000_000_001))
    );
    assert_eq!(first.completed_date, Some(date_time("2015-03-11 11:41:11")));
    assert_eq!(first.expiry_date, Some(date("2016-03-10")));
    assert_eq!(first.test_result, Some(TestResult::Passed));
    assert_eq!(first.odometer_value, Some(133_230));
    assert_eq!(first.odometer_unit, Some(OdometerUnit::Miles));
    assert_eq!(first.odometer_result_type, Some(OdometerResultType::Read));
    assert_eq!(first.data_source, Some(DataSource::Dvsa));
    assert_eq!(
        first.registration_at_time_of_test.as_deref(),
        Some("AB12CDF")
    );
    assert_eq!(first.defects, Some(vec![]));

    // Both tests share a completion time; only their position tells them apart.
    let second = &vehicle.mot_tests[1];
    assert_eq!(second.completed_date, first.completed_date);
    assert_eq!(
        second.mot_test_number,
        Some(TestNumber::Numeric(100_000_000_002))
    );
    assert_eq!(
        second.registration_at_time_of_test.as_deref(),
        Some("AB12XYZ")
    );
    let defects = second.defects.as_ref().unwrap();
    assert_eq!(defects.len(), 2);
    assert_eq!(defects[0].text.as_deref(), Some(""));
    assert_eq!(defects[0].defect_type, Some(DefectType::Advisory));
    assert_eq!(defects[0].dangerous, Some(false));
    assert_eq!(defects[1].text.as_deref(), Some("lens scuffed"));
}

#[test]
fn updated_delta_line() {
    let vehicle = &examples()[2];
    assert_eq!(vehicle.registration, "AB12CDG");
    assert_eq!(vehicle.modification, Some(Modification::Updated));
    assert_eq!(vehicle.data_source, None);
    let test = &vehicle.mot_tests[0];
    assert_eq!(test.odometer_value, Some(42_366));
    assert_eq!(test.odometer_unit, Some(OdometerUnit::Miles));
    assert_eq!(test.odometer_result_type, Some(OdometerResultType::Read));
    let defects = test.defects.as_ref().unwrap();
    assert_eq!(
        defects[1].text.as_deref(),
        Some("Windscreen has damage to an area less than a 10mm circle within zone 'A' (8.3.1a)")
    );
}

#[test]
fn api_test_object() {
    let mut bytes = API_TEST.trim().as_bytes().to_vec();
    let test: MotTest = simd_json::serde::from_slice(&mut bytes).unwrap();
    assert_eq!(
        test.mot_test_number,
        Some(TestNumber::Numeric(100_000_000_014))
    );
    assert_eq!(test.completed_date, Some(date_time("2022-09-02 12:28:36")));
    assert_eq!(test.expiry_date, None);
    assert_eq!(test.test_result, Some(TestResult::Failed));
    assert_eq!(test.data_source, Some(DataSource::Dvsa));
    let defects = test.defects.unwrap();
    assert_eq!(defects[0].defect_type, Some(DefectType::Major));
    assert_eq!(defects[1].defect_type, Some(DefectType::UserEntered));
}

#[test]
fn serde_json_and_simd_json_agree() {
    for line in EXAMPLES.lines() {
        let with_serde_json: Vehicle = serde_json::from_str(line).unwrap();
        assert_eq!(with_serde_json.into_owned(), decode_simd(line));
    }
}

#[test]
fn strings_borrow_from_input() {
    let mut bytes = EXAMPLES.lines().nth(1).unwrap().as_bytes().to_vec();
    let vehicle: Vehicle = simd_json::serde::from_slice(&mut bytes).unwrap();
    assert!(matches!(
        vehicle.registration,
        std::borrow::Cow::Borrowed(_)
    ));
    assert!(matches!(vehicle.make, Some(std::borrow::Cow::Borrowed(_))));
}

#[test]
fn variants_decode() {
    let line = r#"{"registration":"X1","engineSize":1598,"vehicleClass":"4","primaryColour":null,
        "motTests":[{"motTestNumber":"W05Q79998","dataSource":"CVS","location":"Ashford",
        "completedDate":"2023-02-17T09:17:46.000Z","odometerUnit":"KM","registrationAtTimeOfTest":"X1",
        "odometerValue":null},{"dataSource":"DVA NI","testResult":"RETEST"}]}"#;
    let vehicle = decode_simd(line);
    assert_eq!(vehicle.engine_size, Some(1598));
    assert_eq!(vehicle.primary_colour, None);
    let cvs = &vehicle.mot_tests[0];
    assert_eq!(
        cvs.mot_test_number,
        Some(TestNumber::Text("W05Q79998".into()))
    );
    assert_eq!(cvs.data_source, Some(DataSource::Cvs));
    assert_eq!(cvs.location.as_deref(), Some("Ashford"));
    assert_eq!(cvs.odometer_unit, Some(OdometerUnit::Kilometres));
    assert_eq!(cvs.registration_at_time_of_test.as_deref(), Some("X1"));
    assert_eq!(cvs.odometer_value, None);
    let ni = &vehicle.mot_tests[1];
    assert_eq!(ni.defects, None);
    assert_eq!(ni.mot_test_number, None);
    assert_eq!(ni.test_result, Some(TestResult::Other("RETEST".into())));
}

#[test]
fn bad_values_fail_with_reason() {
    let cases = [
        (r#"{"motTests":[]}"#, "registration"),
        (r#"{"registration":null}"#, "string"),
        (
            r#"{"registration":"X","firstUsedDate":"2023-02-30"}"#,
            "2023-02-30",
        ),
        (
            r#"{"registration":"X","firstUsedDate":"0000-00-00"}"#,
            "0000-00-00",
        ),
        (r#"{"registration":"X","engineSize":"1.6L"}"#, "1.6L"),
        (
            r#"{"registration":"X","motTests":[{"odometerValue":"-5"}]}"#,
            "-5",
        ),
        (
            r#"{"registration":"X","motTests":[{"completedDate":"2015-03-11"}]}"#,
            "2015-03-11",
        ),
        (
            r#"{"registration":"X","motTests":[{"motTestNumber":-3}]}"#,
            "-3",
        ),
    ];
    for (line, needle) in cases {
        let mut bytes = line.as_bytes().to_vec();
        let error = simd_json::serde::from_slice::<Vehicle>(&mut bytes)
            .unwrap_err()
            .to_string();
        let error = error.to_lowercase();
        assert!(
            error.contains(&needle.to_lowercase()),
            "{line}: error {error:?} should mention {needle:?}"
        );
    }
}
