//! Compact descriptions of generated vehicles and MOT tests.
//!
//! Everything a line contains is a pure function of the seed and these descriptions, so a
//! vehicle can be regenerated from its index in place of being kept in memory.

use crate::codes;
use crate::pools;
use crate::rng::{Rng, derive};

/// Seed streams, so that each kind of content draws independent numbers.
pub(crate) mod stream {
    pub(crate) const BULK_FIELDS: u64 = 1;
    pub(crate) const BULK_HISTORY: u64 = 2;
    pub(crate) const SHARED_PLATE: u64 = 3;
    pub(crate) const TEST_STYLE: u64 = 4;
    pub(crate) const FRESH_FIELDS: u64 = 5;
    pub(crate) const FRESH_HISTORY: u64 = 6;
    pub(crate) const BULK_LINE: u64 = 7;
    pub(crate) const MEMBER_LAYOUT: u64 = 8;
    pub(crate) const DELTA_PLAN: u64 = 9;
    pub(crate) const BAD_LINE: u64 = 10;
    /// Defects of a test: the test's `variant` is added, so a changed variant gives new defects.
    pub(crate) const DEFECTS: u64 = 1 << 32;
}

pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// Maximum number of tests in one bulk vehicle's history. Bulk vehicle `i` numbers its tests
/// with ids `i * TEST_SLOTS ..`, so this must stay below [`TEST_SLOTS`].
const MAX_BULK_TESTS: usize = 60;
/// Test ids reserved per bulk vehicle.
pub(crate) const TEST_SLOTS: u64 = 64;
/// First test id of tests created after the bulk (new vehicles and new tests in deltas),
/// above every bulk test id. The odd offset keeps their numbers from sharing trailing digits
/// with bulk test numbers.
pub(crate) const POOL_TEST_IDS: u64 = codes::MAX_BULK_VEHICLES * TEST_SLOTS + 12_345_679;

/// Values shared by all generated content.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    pub(crate) seed: u64,
    /// Date of the bulk file, in days since 1970-01-01. Every bulk test is older.
    pub(crate) bulk_day: i64,
}

/// The inputs of a vehicle's top-level fields: a seed and a colour change applied on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) seed: u64,
    pub(crate) colour_shift: u8,
}

/// Kind of vehicle record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Has MOT tests.
    Tested,
    /// Younger than 3 years: known to DVLA only, no tests.
    New,
    /// Over 40 years old and exempt: known to DVLA only, no tests.
    Historic,
}

/// `engineSize` as written: a string of cc, a number, `null` or no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    Text(u32),
    Number(u32),
    Null,
    Missing,
}

/// A vehicle's top-level fields, derived from [`Fields`].
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub(crate) kind: Kind,
    /// First use in days since 1970-01-01. Tests start three years later.
    pub(crate) first_used: i64,
    pub(crate) show_first_used: bool,
    pub(crate) registration_date: Option<i64>,
    pub(crate) manufacture_date: Option<i64>,
    pub(crate) primary_colour: &'static str,
    /// `None` writes `null`, and `Some("")` leaves the key out.
    pub(crate) secondary_colour: Option<&'static str>,
    pub(crate) engine: Engine,
    pub(crate) make: &'static str,
    /// `None` writes `null`.
    pub(crate) model: Option<&'static str>,
    pub(crate) fuel: &'static str,
    /// Top-level `dataSource`, when present.
    pub(crate) data_source: Option<&'static str>,
    /// `last_update_date` of DVLA-only records, in days since 1970-01-01.
    pub(crate) last_update: Option<i64>,
    /// Writes the key `vehicleClass`, which the published format does not list.
    pub(crate) vehicle_class: bool,
    /// Tests come from the Northern Ireland agency (`DVA NI`) and carry no `defects` key.
    pub(crate) northern_ireland: bool,
    pub(crate) odometer_km: bool,
    pub(crate) annual_mileage: u32,
    /// Number of annual test visits in the bulk history.
    pub(crate) visits: u32,
}

impl Profile {
    /// Derives the top-level fields of a vehicle.
    pub(crate) fn new(context: &Context, fields: Fields) -> Self {
        let mut rng = Rng::new(fields.seed);
        let kind = rng.weighted(&[(Kind::Tested, 85), (Kind::New, 11), (Kind::Historic, 4)]);
        let (age_years, visits) = match kind {
            Kind::Tested => {
                let visits = rng.weighted(&[((1, 3), 35), ((4, 12), 40), ((13, 24), 25)]);
                let visits = u32::try_from(rng.between(visits.0, visits.1)).unwrap_or(1);
                (i64::from(visits) + 3, visits)
            }
            Kind::New => (rng.between(0, 2), 0),
            Kind::Historic => (rng.between(41, 70), 0),
        };
        let first_used = context.bulk_day - age_years * 365 - rng.between(20, 330);

        let (make, models) = *rng.pick(pools::MAKES);
        let colour_index = rng.index(pools::COLOURS.len() - 1) + usize::from(fields.colour_shift);
        // Imported vehicles are registered after their first use, but before the bulk date.
        let latest_registration = (context.bulk_day - first_used - 1).clamp(1, 4000);
        let registration_date = match rng.below(100) {
            0..=79 => Some(first_used),
            80..=94 => Some(first_used + rng.between(1, latest_registration)),
            _ => None,
        };
        let manufacture_date = if rng.chance(900) {
            Some(first_used - rng.between(0, 200))
        } else {
            None
        };
        let secondary_colour = match rng.below(100) {
            0..=79 => Some("Not Stated"),
            80..=89 => Some(*rng.pick(pools::COLOURS)),
            90..=94 => None,
            _ => Some(""),
        };
        let engine_size = *rng.pick(pools::ENGINE_SIZES);
        let engine = match rng.below(100) {
            0..=79 => Engine::Text(engine_size),
            80..=89 => Engine::Number(engine_size),
            90..=96 => Engine::Missing,
            _ => Engine::Null,
        };
        let dvla_only = kind != Kind::Tested;

        Self {
            kind,
            first_used,
            show_first_used: rng.chance(950),
            registration_date,
            manufacture_date,
            // `Not Stated`, the last colour, is skipped as a primary colour unless shifted to.
            primary_colour: pools::COLOURS[colour_index % pools::COLOURS.len()],
            secondary_colour,
            engine,
            make,
            model: if rng.chance(985) {
                Some(*rng.pick(models))
            } else {
                None
            },
            fuel: rng.weighted(pools::FUELS),
            data_source: match (dvla_only, rng.below(10)) {
                (true, _) => Some("dvla"),
                (false, 0..=2) => Some("dvsa"),
                _ => None,
            },
            // The DVLA record changed at some point between first use and the bulk date.
            last_update: dvla_only.then(|| {
                let span = (context.bulk_day - 1 - first_used).clamp(0, 900);
                context.bulk_day - 1 - rng.between(0, span)
            }),
            vehicle_class: rng.chance(20),
            northern_ireland: rng.chance(40),
            odometer_km: rng.chance(80),
            annual_mileage: u32::try_from(rng.between(2_000, 14_000)).unwrap_or(8_000),
            visits,
        }
    }
}

/// Agency and case of a test's `dataSource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    DvsaLower,
    DvsaUpper,
    /// `DVA NI`: written without a `defects` key.
    NorthernIreland,
    /// Commercial vehicle service: alphanumeric number and a `location`.
    Commercial,
}

/// Form of `motTestNumber`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbering {
    Number,
    /// The 12 digits as a JSON string.
    Text,
    /// A CVS certificate number such as `W05Q79998`.
    Certificate,
    /// No `motTestNumber` key: the test is matched by completedDate, result and odometer.
    Missing,
}

/// One MOT test, small enough to keep for every test the model tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TestDesc {
    /// Identity from which the test number and every per-test style choice derive.
    pub(crate) id: u64,
    /// `completedDate` in seconds since 1970-01-01 00:00:00.
    pub(crate) completed: i64,
    /// `odometerValue`, `None` for `null`.
    pub(crate) odometer: Option<u32>,
    pub(crate) passed: bool,
    /// Changing the variant gives the test a new set of defects.
    pub(crate) variant: u8,
    pub(crate) source: Source,
    pub(crate) numbering: Numbering,
}

/// The key by which a loader matches a test in a line to a stored test of the same vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TestKey {
    /// `motTestNumber`, whether written as a number or a string.
    Number(String),
    /// completedDate (normalised to seconds), testResult and odometerValue.
    Unnumbered(i64, bool, Option<u32>),
}

impl TestDesc {
    /// Returns the key a loader matches this test by.
    pub(crate) fn key(&self) -> TestKey {
        match self.numbering {
            Numbering::Number | Numbering::Text => {
                TestKey::Number(codes::test_number(self.id).to_string())
            }
            Numbering::Certificate => TestKey::Number(codes::cvs_number(self.id)),
            Numbering::Missing => TestKey::Unnumbered(self.completed, self.passed, self.odometer),
        }
    }

    /// Returns the number of defect elements this test's line contains.
    pub(crate) fn defect_count(&self, context: &Context) -> u64 {
        if self.source == Source::NorthernIreland {
            return 0;
        }
        draw_defect_count(&mut self.defect_rng(context), self.passed)
    }

    /// Returns the generator whose first draw is the defect count, followed by the defects.
    pub(crate) fn defect_rng(&self, context: &Context) -> Rng {
        let stream = stream::DEFECTS + u64::from(self.variant);
        Rng::new(derive(context.seed, stream, self.id))
    }
}

/// Draws a defect count. Passed tests often have none and failed tests at least one. Tests with
/// defects average 2.62.
pub(crate) fn draw_defect_count(rng: &mut Rng, passed: bool) -> u64 {
    if passed && rng.chance(450) {
        return 0;
    }
    rng.weighted(&[(1, 30), (2, 25), (3, 20), (4, 12), (5, 8), (6, 3), (8, 2)])
}

/// Draws a time of day between 08:00:00 and 17:59:59, in seconds.
fn draw_time_of_day(rng: &mut Rng) -> i64 {
    rng.between(8 * 3600, 18 * 3600 - 1)
}

/// Draws the odometer reading at `completed`, or `None` for an unread odometer.
fn draw_odometer(rng: &mut Rng, profile: &Profile, completed: i64) -> Option<u32> {
    if rng.chance(30) {
        return None;
    }
    let days = (completed / SECONDS_PER_DAY - profile.first_used).max(0);
    let miles = days * i64::from(profile.annual_mileage) / 365 + rng.between(0, 400);
    u32::try_from(miles).ok()
}

/// Draws the agency and number style of a test.
fn draw_source(rng: &mut Rng, profile: &Profile, allow_commercial: bool) -> (Source, Numbering) {
    let source = if profile.northern_ireland {
        Source::NorthernIreland
    } else if allow_commercial && rng.chance(30) {
        Source::Commercial
    } else if rng.chance(600) {
        Source::DvsaLower
    } else {
        Source::DvsaUpper
    };
    let numbering = match (source, rng.below(100)) {
        (Source::Commercial, _) => Numbering::Certificate,
        (_, 0..=91) => Numbering::Number,
        (_, 92..=96) => Numbering::Text,
        _ => Numbering::Missing,
    };
    (source, numbering)
}

/// Generates a tested vehicle's bulk history, newest first, with ids `first_id ..`.
///
/// Visits are about a year apart and end before the bulk date. About a fifth of visits add a
/// failed test before the pass: a third of those share the pass's completedDate (same visit),
/// the rest are days earlier. Keys stay unique within the history because completed times
/// differ except in such pairs, whose results differ. CVS tests appear only while test ids
/// are below [`codes::CVS_SPACE`], which keeps every certificate number unique.
pub(crate) fn bulk_history(
    context: &Context,
    profile: &Profile,
    history_seed: u64,
    first_id: u64,
) -> Vec<TestDesc> {
    let mut tests = Vec::new();
    if profile.kind != Kind::Tested {
        return tests;
    }
    let mut rng = Rng::new(history_seed);
    // CVS numbers are unique only for ids below `CVS_SPACE` (see `codes::cvs_number`).
    let allow_commercial = first_id + TEST_SLOTS <= codes::CVS_SPACE;
    let first_test = (profile.first_used + 3 * 365) * SECONDS_PER_DAY;
    let mut day = context.bulk_day - rng.between(2, 300);

    for _ in 0..profile.visits {
        let completed = day * SECONDS_PER_DAY + draw_time_of_day(&mut rng);
        if completed < first_test || tests.len() + 2 > MAX_BULK_TESTS {
            break;
        }
        let odometer = draw_odometer(&mut rng, profile, completed);
        let (source, numbering) = draw_source(&mut rng, profile, allow_commercial);
        let id = first_id + tests.len() as u64;
        let passed = !rng.chance(30);
        let test = TestDesc {
            id,
            completed,
            odometer,
            passed,
            variant: 0,
            source,
            numbering,
        };
        tests.push(test);

        if passed && rng.chance(200) {
            let (completed, odometer) = if rng.chance(350) {
                (completed, odometer)
            } else {
                let earlier = completed - rng.between(1, 14) * SECONDS_PER_DAY - 3600;
                (earlier, odometer.map(|miles| miles.saturating_sub(40)))
            };
            let (source, numbering) = draw_source(&mut rng, profile, allow_commercial);
            let id = first_id + tests.len() as u64;
            let failed = TestDesc {
                id,
                completed,
                odometer,
                passed: false,
                variant: 0,
                source,
                numbering,
            };
            tests.push(failed);
        }
        day -= rng.between(335, 395);
    }
    tests
}

/// Generates a test completed on `day` (days since 1970-01-01), strictly after `latest` (the
/// vehicle's newest test), so that its unnumbered key cannot equal an existing one. Such tests
/// are never CVS tests, because CVS numbers are unique only below [`codes::CVS_SPACE`].
pub(crate) fn new_test(
    rng: &mut Rng,
    profile: &Profile,
    latest: Option<&TestDesc>,
    id: u64,
    day: i64,
) -> TestDesc {
    let mut completed = day * SECONDS_PER_DAY + draw_time_of_day(rng);
    if let Some(latest) = latest {
        completed = completed.max(latest.completed + 3600);
    }
    let odometer = match latest.and_then(|test| test.odometer) {
        Some(previous) => Some(previous + u32::try_from(rng.between(100, 12_000)).unwrap_or(0)),
        None => draw_odometer(rng, profile, completed),
    };
    let (source, numbering) = draw_source(rng, profile, false);
    let passed = rng.chance(800);
    TestDesc {
        id,
        completed,
        odometer,
        passed,
        variant: 0,
        source,
        numbering,
    }
}
