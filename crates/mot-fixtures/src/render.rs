//! Rendering of one vehicle line as the MOT History files write it.
//!
//! Rendering is a pure function of the [`Context`] and the [`Line`], so a line rendered again
//! later (the overlap between deltas) is byte-identical.

use crate::codes;
use crate::json::{ObjectWriter, push_string};
use crate::pools;
use crate::rng::{Rng, derive};
use crate::vehicle::{
    Context, Engine, Fields, Numbering, Profile, SECONDS_PER_DAY, Source, TestDesc,
    draw_defect_count, stream,
};

/// The `modification` value of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modification {
    Created,
    Updated,
    Deleted,
}

impl Modification {
    fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Updated => "UPDATED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One vehicle line before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    /// Registration code, rendered by [`codes::registration`].
    pub(crate) registration: u64,
    /// `None` writes no `modification` key.
    pub(crate) modification: Option<Modification>,
    pub(crate) fields: Fields,
    /// The `motTests` elements, newest first where the history allows.
    pub(crate) tests: Vec<TestDesc>,
}

/// Appends the JSON of `line` (without a newline) to `out`.
pub(crate) fn render_line(context: &Context, line: &Line, out: &mut Vec<u8>) {
    let profile = Profile::new(context, line.fields);
    let registration = codes::registration(line.registration);
    let mut object = ObjectWriter::begin(out);

    object.string("registration", &registration);
    write_vehicle_fields(&mut object, &profile);
    if let Some(latest) = line.tests.iter().map(|test| test.completed).max() {
        object.datetime("lastMotTestDate", latest, false);
    }
    if let Some(modification) = line.modification {
        object.string("modification", modification.as_str());
    }

    let tests = object.key("motTests");
    tests.push(b'[');
    for (position, test) in line.tests.iter().enumerate() {
        if position > 0 {
            tests.push(b',');
        }
        render_test(context, &profile, &registration, test, tests);
    }
    tests.push(b']');

    if let Some(source) = profile.data_source {
        object.string("dataSource", source);
    }
    if let Some(day) = profile.last_update {
        object.date("last_update_date", day);
    }
    if profile.vehicle_class {
        object.string("vehicleClass", "4");
    }
    object.end();
}

/// Writes the top-level fields from `firstUsedDate` to `fuelType`, in the files' key order.
fn write_vehicle_fields(object: &mut ObjectWriter<'_>, profile: &Profile) {
    if profile.show_first_used {
        object.date("firstUsedDate", profile.first_used);
    }
    if let Some(day) = profile.registration_date {
        object.date("registrationDate", day);
    }
    if let Some(day) = profile.manufacture_date {
        object.date("manufactureDate", day);
    }
    object.string("primaryColour", profile.primary_colour);
    match profile.secondary_colour {
        Some("") => {}
        Some(colour) => object.string("secondaryColour", colour),
        None => object.raw("secondaryColour", "null"),
    }
    match profile.engine {
        Engine::Text(cc) => object.string("engineSize", &cc.to_string()),
        Engine::Number(cc) => object.number("engineSize", u64::from(cc)),
        Engine::Null => object.raw("engineSize", "null"),
        Engine::Missing => {}
    }
    match profile.model {
        Some(model) => object.string("model", model),
        None => object.raw("model", "null"),
    }
    object.string("make", profile.make);
    object.string("fuelType", profile.fuel);
}

/// Appends one element of `motTests`. Style choices (date format, plate key, unit case) come
/// from the test id, so they stay the same each time the test is rendered.
fn render_test(
    context: &Context,
    profile: &Profile,
    registration: &str,
    test: &TestDesc,
    out: &mut Vec<u8>,
) {
    let mut style = Rng::new(derive(context.seed, stream::TEST_STYLE, test.id));
    let mut object = ObjectWriter::begin(out);

    object.datetime("completedDate", test.completed, style.chance(40));
    match test.numbering {
        Numbering::Number => object.number("motTestNumber", codes::test_number(test.id)),
        Numbering::Text => object.string("motTestNumber", &codes::test_number(test.id).to_string()),
        Numbering::Certificate => object.string("motTestNumber", &codes::cvs_number(test.id)),
        Numbering::Missing => {}
    }
    let source = match test.source {
        Source::DvsaLower => "dvsa",
        Source::DvsaUpper => "DVSA",
        Source::NorthernIreland => "DVA NI",
        Source::Commercial => "CVS",
    };
    object.string("dataSource", source);
    if test.passed {
        let completed_day = test.completed.div_euclid(SECONDS_PER_DAY);
        object.date("expiryDate", completed_day + 364);
    } else {
        object.raw("expiryDate", "null");
    }
    write_plate_at_test(&mut object, &mut style, registration);
    object.string("testResult", if test.passed { "PASSED" } else { "FAILED" });
    write_odometer(&mut object, &mut style, profile, test.odometer);
    if test.source == Source::Commercial {
        object.string("location", style.pick::<&str>(pools::CVS_LOCATIONS));
    }
    if test.source != Source::NorthernIreland {
        render_defects(context, test, object.key("defects"));
    }
    object.end();
}

/// Writes the plate at the time of the test under either key name, or nothing. After a plate
/// transfer the plate differs from the current registration.
fn write_plate_at_test(object: &mut ObjectWriter<'_>, style: &mut Rng, registration: &str) {
    let key = match style.below(100) {
        0..=87 => "regMarkTimeOfTest",
        88..=93 => "registrationAtTimeOfTest",
        _ => return,
    };
    if style.chance(80) {
        let earlier = codes::EARLIER_PLATES + style.below(codes::EARLIER_PLATE_COUNT);
        object.string(key, &codes::registration(earlier));
    } else {
        object.string(key, registration);
    }
}

/// Writes `odometerValue`, `odometerUnit` and `odometerResultType`.
fn write_odometer(
    object: &mut ObjectWriter<'_>,
    style: &mut Rng,
    profile: &Profile,
    odometer: Option<u32>,
) {
    let Some(value) = odometer else {
        object.raw("odometerValue", "null");
        object.raw("odometerUnit", "null");
        let result = if style.chance(500) {
            "UNREADABLE"
        } else {
            "NO_ODOMETER"
        };
        object.string("odometerResultType", result);
        return;
    };
    object.string("odometerValue", &value.to_string());
    let unit = match (profile.odometer_km, style.chance(500)) {
        (false, true) => "mi",
        (false, false) => "MI",
        (true, true) => "km",
        (true, false) => "KM",
    };
    object.string("odometerUnit", unit);
    object.string(
        "odometerResultType",
        if style.chance(500) { "OK" } else { "READ" },
    );
}

/// Appends the `defects` array of a test, whose length is [`TestDesc::defect_count`].
fn render_defects(context: &Context, test: &TestDesc, out: &mut Vec<u8>) {
    let mut rng = test.defect_rng(context);
    let count = draw_defect_count(&mut rng, test.passed);
    out.push(b'[');
    for position in 0..count {
        if position > 0 {
            out.push(b',');
        }
        let failure = !test.passed && position == 0;
        render_defect(&mut rng, failure, !test.passed, out);
    }
    out.push(b']');
}

/// Appends one defect. The first defect of a failed test is a failure item.
fn render_defect(rng: &mut Rng, failure: bool, failed_test: bool, out: &mut Vec<u8>) {
    let kind = if failure {
        rng.weighted(&[("MAJOR", 50), ("FAIL", 25), ("DANGEROUS", 10), ("PRS", 15)])
    } else {
        rng.weighted(&[
            ("ADVISORY", 620),
            ("MINOR", 220),
            ("PRS", 30),
            ("NON SPECIFIC", 20),
            ("SYSTEM GENERATED", 20),
            ("USER ENTERED", 40),
            ("MAJOR", if failed_test { 50 } else { 0 }),
        ])
    };
    let dangerous = kind == "DANGEROUS" || (kind == "FAIL" && rng.chance(50));
    let failure_kind = matches!(kind, "MAJOR" | "FAIL" | "DANGEROUS" | "PRS");

    let mut object = ObjectWriter::begin(out);
    object.raw("dangerous", if dangerous { "true" } else { "false" });
    let text_roll = rng.below(1000);
    let out = object.key("text");
    match text_roll {
        0..=29 => push_string(out, "", false),
        30..=54 => {
            let ascii_only = text_roll < 36;
            push_string(out, rng.pick::<&str>(pools::AWKWARD_TEXTS), ascii_only);
        }
        _ if failure_kind => push_string(out, rng.pick::<&str>(pools::FAILURE_TEXTS), false),
        _ => push_string(out, rng.pick::<&str>(pools::ADVISORY_TEXTS), false),
    }
    object.string("type", kind);
    object.end();
}
