//! Property: any record, written in any of the wire shapes the files use,
//! decodes to the values it was built from.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use mot_model::{
    DataSource, Defect, DefectType, Modification, MotTest, OdometerResultType, OdometerUnit,
    TestNumber, TestResult, Vehicle,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn text() -> impl Strategy<Value = Cow<'static, str>> {
    // Any Unicode, including quotes, backslashes, controls and 4-byte characters.
    any::<String>().prop_map(Cow::Owned)
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1i32..=9999, 1u32..=12, 1u32..=31)
        .prop_filter_map("real day", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
}

fn date_time() -> impl Strategy<Value = NaiveDateTime> {
    (
        date(),
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::of(0u32..1000),
    )
        .prop_map(|(date, h, m, s, millis)| {
            let nanos = millis.unwrap_or(0) * 1_000_000;
            date.and_time(NaiveTime::from_hms_nano_opt(h, m, s, nanos).unwrap())
        })
}

/// Picks a known variant or maps random text through `from_text`, so a
/// value that matches a known spelling in any case becomes that variant.
fn code<T: Clone + std::fmt::Debug + 'static>(
    known: &'static [T],
    other: fn(Cow<'static, str>) -> T,
    from_text: fn(Cow<'static, str>) -> T,
) -> impl Strategy<Value = T> {
    prop_oneof![
        prop::sample::select(known),
        "[A-Za-z ]{1,12}".prop_map(move |s| from_text(Cow::Owned(s))),
        Just(other(Cow::Borrowed("ZZ-UNKNOWN"))),
    ]
}

fn test_number() -> impl Strategy<Value = TestNumber<'static>> {
    prop_oneof![
        any::<u64>().prop_map(TestNumber::Numeric),
        "[A-Z][0-9]{2}[A-Z][0-9]{5}".prop_map(|s| TestNumber::Text(Cow::Owned(s))),
    ]
}

fn defect() -> impl Strategy<Value = Defect<'static>> {
    (
        prop::option::of(text()),
        prop::option::of(code(
            DefectType::KNOWN,
            DefectType::Other,
            DefectType::from_text,
        )),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(text, defect_type, dangerous)| Defect {
            text,
            defect_type,
            dangerous,
        })
}

fn mot_test() -> impl Strategy<Value = MotTest<'static>> {
    (
        (
            prop::option::of(test_number()),
            prop::option::of(date_time()),
            prop::option::of(date()),
            prop::option::of(code(
                TestResult::KNOWN,
                TestResult::Other,
                TestResult::from_text,
            )),
            prop::option::of(any::<u32>()),
            prop::option::of(code(
                OdometerUnit::KNOWN,
                OdometerUnit::Other,
                OdometerUnit::from_text,
            )),
        ),
        (
            prop::option::of(code(
                OdometerResultType::KNOWN,
                OdometerResultType::Other,
                OdometerResultType::from_text,
            )),
            prop::option::of(code(
                DataSource::KNOWN,
                DataSource::Other,
                DataSource::from_text,
            )),
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(prop::collection::vec(defect(), 0..4)),
        ),
    )
        .prop_map(
            |(
                (number, completed, expiry, result, odometer, unit),
                (kind, source, reg, location, defects),
            )| {
                MotTest {
                    mot_test_number: number,
                    completed_date: completed,
                    expiry_date: expiry,
                    test_result: result,
                    odometer_value: odometer,
                    odometer_unit: unit,
                    odometer_result_type: kind,
                    data_source: source,
                    registration_at_time_of_test: reg,
                    location,
                    defects,
                }
            },
        )
}

fn vehicle() -> impl Strategy<Value = Vehicle<'static>> {
    (
        (
            "[A-Z0-9]{1,8}".prop_map(Cow::Owned),
            prop::option::of(date()),
            prop::option::of(date()),
            prop::option::of(date()),
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(any::<u32>()),
            prop::option::of(text()),
        ),
        (
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(date_time()),
            prop::collection::vec(mot_test(), 0..5),
            prop::option::of(code(
                Modification::KNOWN,
                Modification::Other,
                Modification::from_text,
            )),
            prop::option::of(code(
                DataSource::KNOWN,
                DataSource::Other,
                DataSource::from_text,
            )),
            prop::option::of(date()),
        ),
    )
        .prop_map(
            |(
                (registration, first, reg_date, made, primary, secondary, engine, make),
                (model, fuel, last_test, tests, modification, source, updated),
            )| {
                Vehicle {
                    registration,
                    first_used_date: first,
                    registration_date: reg_date,
                    manufacture_date: made,
                    primary_colour: primary,
                    secondary_colour: secondary,
                    engine_size: engine,
                    make,
                    model,
                    fuel_type: fuel,
                    last_mot_test_date: last_test,
                    mot_tests: tests,
                    modification,
                    data_source: source,
                    last_update_date: updated,
                }
            },
        )
}

/// Choices of wire shape, drawn once per record.
#[derive(Debug, Clone, Copy)]
struct Shape {
    numbers_as_strings: bool,
    iso_times: bool,
    upper_case_codes: bool,
    api_key_names: bool,
    nulls_for_missing: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    any::<[bool; 5]>().prop_map(|b| Shape {
        numbers_as_strings: b[0],
        iso_times: b[1],
        upper_case_codes: b[2],
        api_key_names: b[3],
        nulls_for_missing: b[4],
    })
}

fn put(object: &mut Map<String, Value>, key: &str, value: Option<Value>, shape: Shape) {
    match value {
        Some(value) => {
            object.insert(key.to_owned(), value);
        }
        None if shape.nulls_for_missing => {
            object.insert(key.to_owned(), Value::Null);
        }
        None => {}
    }
}

fn date_value(date: Option<NaiveDate>) -> Option<Value> {
    date.map(|d| json!(d.format("%Y-%m-%d").to_string()))
}

fn time_value(time: Option<NaiveDateTime>, shape: Shape) -> Option<Value> {
    time.map(|t| {
        let millis = t.and_utc().timestamp_subsec_millis();
        if shape.iso_times {
            json!(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        } else if millis != 0 {
            json!(t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
        } else {
            json!(t.format("%Y-%m-%d %H:%M:%S").to_string())
        }
    })
}

fn count_value(value: Option<u32>, shape: Shape) -> Option<Value> {
    value.map(|v| {
        if shape.numbers_as_strings {
            json!(v.to_string())
        } else {
            json!(v)
        }
    })
}

fn code_value(known: Option<&str>, is_known: bool, shape: Shape) -> Option<Value> {
    known.map(|text| {
        if is_known && !shape.upper_case_codes {
            json!(text.to_lowercase())
        } else {
            json!(text)
        }
    })
}

fn text_value(text: &Option<Cow<'static, str>>) -> Option<Value> {
    text.as_ref().map(|t| json!(t))
}

fn encode_test(test: &MotTest<'static>, shape: Shape) -> Value {
    let mut o = Map::new();
    let number = test.mot_test_number.as_ref().map(|n| match n {
        TestNumber::Numeric(n) if shape.numbers_as_strings => json!(n.to_string()),
        TestNumber::Numeric(n) => json!(n),
        TestNumber::Text(t) => json!(t),
    });
    put(&mut o, "motTestNumber", number, shape);
    put(
        &mut o,
        "completedDate",
        time_value(test.completed_date, shape),
        shape,
    );
    put(&mut o, "expiryDate", date_value(test.expiry_date), shape);
    let result = test.test_result.as_ref();
    put(
        &mut o,
        "testResult",
        code_value(
            result.map(TestResult::as_str),
            !matches!(result, Some(TestResult::Other(_))),
            shape,
        ),
        shape,
    );
    put(
        &mut o,
        "odometerValue",
        count_value(test.odometer_value, shape),
        shape,
    );
    let unit = test.odometer_unit.as_ref();
    put(
        &mut o,
        "odometerUnit",
        code_value(
            unit.map(OdometerUnit::as_str),
            !matches!(unit, Some(OdometerUnit::Other(_))),
            shape,
        ),
        shape,
    );
    let kind = test.odometer_result_type.as_ref();
    put(
        &mut o,
        "odometerResultType",
        code_value(
            kind.map(OdometerResultType::as_str),
            !matches!(kind, Some(OdometerResultType::Other(_))),
            shape,
        ),
        shape,
    );
    let source = test.data_source.as_ref();
    put(
        &mut o,
        "dataSource",
        code_value(
            source.map(DataSource::as_str),
            !matches!(source, Some(DataSource::Other(_))),
            shape,
        ),
        shape,
    );
    let reg_key = if shape.api_key_names {
        "registrationAtTimeOfTest"
    } else {
        "regMarkTimeOfTest"
    };
    put(
        &mut o,
        reg_key,
        text_value(&test.registration_at_time_of_test),
        shape,
    );
    put(&mut o, "location", text_value(&test.location), shape);
    let defects = test.defects.as_ref().map(|defects| {
        Value::Array(
            defects
                .iter()
                .map(|d| {
                    let mut o = Map::new();
                    put(&mut o, "text", text_value(&d.text), shape);
                    let t = d.defect_type.as_ref();
                    put(
                        &mut o,
                        "type",
                        code_value(
                            t.map(DefectType::as_str),
                            !matches!(t, Some(DefectType::Other(_))),
                            shape,
                        ),
                        shape,
                    );
                    put(&mut o, "dangerous", d.dangerous.map(|b| json!(b)), shape);
                    Value::Object(o)
                })
                .collect(),
        )
    });
    put(&mut o, "defects", defects, shape);
    Value::Object(o)
}

fn encode(vehicle: &Vehicle<'static>, shape: Shape) -> String {
    let mut o = Map::new();
    o.insert("registration".into(), json!(vehicle.registration));
    put(
        &mut o,
        "firstUsedDate",
        date_value(vehicle.first_used_date),
        shape,
    );
    put(
        &mut o,
        "registrationDate",
        date_value(vehicle.registration_date),
        shape,
    );
    put(
        &mut o,
        "manufactureDate",
        date_value(vehicle.manufacture_date),
        shape,
    );
    put(
        &mut o,
        "primaryColour",
        text_value(&vehicle.primary_colour),
        shape,
    );
    put(
        &mut o,
        "secondaryColour",
        text_value(&vehicle.secondary_colour),
        shape,
    );
    put(
        &mut o,
        "engineSize",
        count_value(vehicle.engine_size, shape),
        shape,
    );
    put(&mut o, "make", text_value(&vehicle.make), shape);
    put(&mut o, "model", text_value(&vehicle.model), shape);
    put(&mut o, "fuelType", text_value(&vehicle.fuel_type), shape);
    put(
        &mut o,
        "lastMotTestDate",
        time_value(vehicle.last_mot_test_date, shape),
        shape,
    );
    o.insert(
        "someFutureField".into(),
        json!({"nested": [1, 2, {"x": null}]}),
    );
    o.insert(
        "motTests".into(),
        Value::Array(
            vehicle
                .mot_tests
                .iter()
                .map(|t| encode_test(t, shape))
                .collect(),
        ),
    );
    let modification = vehicle.modification.as_ref();
    let key = if shape.api_key_names {
        "last_modification"
    } else {
        "modification"
    };
    put(
        &mut o,
        key,
        code_value(
            modification.map(Modification::as_str),
            !matches!(modification, Some(Modification::Other(_))),
            shape,
        ),
        shape,
    );
    let source = vehicle.data_source.as_ref();
    put(
        &mut o,
        "dataSource",
        code_value(
            source.map(DataSource::as_str),
            !matches!(source, Some(DataSource::Other(_))),
            shape,
        ),
        shape,
    );
    put(
        &mut o,
        "last_update_date",
        date_value(vehicle.last_update_date),
        shape,
    );
    serde_json::to_string(&Value::Object(o)).unwrap()
}

/// Empty strings decode as missing for dates only, and the generators never
/// make empty dates, so the only normalisation left is the test number: a
/// text number in canonical decimal form reads back as numeric.
fn normalise(mut vehicle: Vehicle<'static>) -> Vehicle<'static> {
    for test in &mut vehicle.mot_tests {
        if let Some(TestNumber::Text(text)) = &test.mot_test_number {
            test.mot_test_number = Some(TestNumber::from_text(text.clone()));
        }
    }
    vehicle
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decodes_to_built_values(vehicle in vehicle(), shape in shape()) {
        let line = encode(&vehicle, shape);
        let mut bytes = line.clone().into_bytes();
        let decoded = simd_json::serde::from_slice::<Vehicle>(&mut bytes)
            .map_err(|e| TestCaseError::fail(format!("{e}: {line}")))?
            .into_owned();
        prop_assert_eq!(&decoded, &normalise(vehicle));

        let with_serde_json: Vehicle = serde_json::from_str(&line).unwrap();
        prop_assert_eq!(with_serde_json.into_owned(), decoded);
    }
}
