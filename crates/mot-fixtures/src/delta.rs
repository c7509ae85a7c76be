//! Delta archives: planning which lines a delta contains and writing them while the model
//! applies each one.
//!
//! Lines only target registrations that exactly one stored vehicle holds, so the expected
//! outcome never depends on how a loader breaks ties. Every delta contains these kinds of
//! lines, budget permitting:
//! - UPDATED with only a new test;
//! - UPDATED with the full history plus a new test, one or two stored tests having new defects;
//! - UPDATED with a new colour only, with the stored tests and without any;
//! - UPDATED for an unknown registration, which becomes a new vehicle;
//! - two UPDATED lines for one vehicle, each adding a test;
//! - an UPDATED line followed by a DELETED line for one vehicle;
//! - CREATED for new registrations;
//! - DELETED for stored vehicles, and one for an unknown registration.
//!
//! Each delta after the first starts with up to [`REPEATED_LINES`] lines of the previous
//! delta, byte for byte, as when a failed export rolls into the next one.

mod plan;

use std::collections::{HashSet, VecDeque};
use std::path::Path;

use chrono::{Days, NaiveDate};

use crate::archive::{ArchiveWriter, Layout, LineSink, MemberWriter};
use crate::bad::BadLineMixer;
use crate::codes::{FRESH_PLATES, UNKNOWN_PLATES};
use crate::error::Error;
use crate::manifest::ArchiveInfo;
use crate::model::Model;
use crate::options::GenerateOptions;
use crate::render::{Line, Modification, render_line};
use crate::rng::{Rng, derive};
use crate::vehicle::{
    Context, Fields, Kind, POOL_TEST_IDS, Profile, TestDesc, bulk_history, new_test, stream,
};

/// Lines of the previous delta repeated at the start of each later delta.
pub(crate) const REPEATED_LINES: usize = 3;
/// Lines kept from the end of a delta to choose the repeated ones from.
const TAIL_LINES: usize = 16;

/// One planned line. The content is built when the line is written, from the stored state at
/// that point.
#[derive(Debug, Clone)]
enum Op {
    /// UPDATED with only a new test.
    NewTest(u64),
    /// UPDATED with every stored test (one or two with new defects) and a new test.
    FullHistory(u64),
    /// UPDATED with a new colour and either every stored test or none.
    ColourOnly { registration: u64, with_tests: bool },
    /// A vehicle new to the data: CREATED, or UPDATED for a registration no vehicle holds.
    New {
        registration: u64,
        modification: Modification,
    },
    /// DELETED for a stored or unknown registration.
    Delete(u64),
    /// A line of the previous delta, repeated.
    Repeat(Line),
}

impl Op {
    fn registration(&self) -> u64 {
        match self {
            Self::NewTest(code) | Self::FullHistory(code) | Self::Delete(code) => *code,
            Self::ColourOnly { registration, .. } | Self::New { registration, .. } => *registration,
            Self::Repeat(line) => line.registration,
        }
    }
}

/// State carried from one delta to the next.
pub(crate) struct DeltaWriter<'a> {
    context: Context,
    options: &'a GenerateOptions,
    next_fresh_plate: u64,
    next_unknown_plate: u64,
    next_test_id: u64,
    /// Registrations created by deltas, which later deltas may update or delete.
    fresh_plates: Vec<u64>,
    /// Lines to repeat at the start of the next delta.
    carried: Vec<Line>,
}

/// The lines of the delta being written, consumed member by member.
struct PendingLines {
    ops: std::vec::IntoIter<Op>,
    /// Generator of line content (new tests, changed defects), after planning.
    rng: Rng,
    /// Day new tests are completed on: the day before the delta's date.
    test_day: i64,
    /// The last lines written, to choose the lines the next delta repeats.
    tail: VecDeque<Line>,
    buffer: Vec<u8>,
}

impl<'a> DeltaWriter<'a> {
    pub(crate) fn new(context: Context, options: &'a GenerateOptions) -> Self {
        Self {
            context,
            options,
            next_fresh_plate: FRESH_PLATES,
            next_unknown_plate: UNKNOWN_PLATES,
            next_test_id: POOL_TEST_IDS,
            fresh_plates: Vec::new(),
            carried: Vec::new(),
        }
    }

    /// Writes delta number `number` (from 0) and applies its lines to `model`. `bad_serial`
    /// numbers rejected lines across all archives.
    pub(crate) fn write(
        &mut self,
        dir: &Path,
        number: usize,
        model: &mut Model,
        bad_serial: &mut u64,
    ) -> Result<ArchiveInfo, Error> {
        let created_on = delta_date(self.options.bulk_date, number);
        let base_name = format!("delta-light-vehicle_{}", created_on.format("%d-%m-%Y"));
        let mut rng = Rng::new(derive(self.context.seed, stream::DELTA_PLAN, number as u64));
        let ops = self.plan(&mut rng, model);
        let total = ops.len() as u64;
        let offset = i64::try_from(number).expect("validated delta counts fit in i64");
        let mut pending = PendingLines {
            ops: ops.into_iter(),
            rng,
            test_day: self.context.bulk_day + offset - 1,
            tail: VecDeque::with_capacity(TAIL_LINES),
            buffer: Vec::new(),
        };

        let layout = Layout {
            compression: self.options.compression,
            multi_member_gzip: self.options.multi_member_gzip,
            force_zip64: self.options.force_zip64,
        };
        let mut archive = ArchiveWriter::create(dir, &base_name, created_on, layout)?;
        let members = self.options.delta_members as u64;
        let mut rejects = 0;
        for member_index in 0..members {
            let lines = total * (member_index + 1) / members - total * member_index / members;
            let layout_stream = ((number as u64 + 1) << 32) | member_index;
            let seed = derive(self.context.seed, stream::MEMBER_LAYOUT, layout_stream);
            let mut bad =
                BadLineMixer::new(&mut Rng::new(seed), lines, self.options.bad_lines, true);
            let member_number = usize::try_from(member_index + 1).expect("fits in usize");
            let mut member = archive.member(member_number, lines + bad.count())?;

            for written in 0..lines {
                bad.write_due(written, &self.context, bad_serial, &mut member)?;
                self.write_next_line(&mut pending, model, &mut member)?;
            }
            bad.write_due(lines, &self.context, bad_serial, &mut member)?;
            rejects += bad.count();
            member.finish()?;
        }
        self.carried = choose_repeated(pending.tail);

        let path = archive.path().to_owned();
        let size_bytes = archive.finish()?;
        Ok(ArchiveInfo {
            path,
            file_name: format!("{base_name}.zip"),
            created_on,
            members: self.options.delta_members,
            lines: total + rejects,
            rejects,
            size_bytes,
        })
    }

    /// Builds the next planned line from the stored state, writes it and applies it.
    fn write_next_line(
        &mut self,
        pending: &mut PendingLines,
        model: &mut Model,
        member: &mut MemberWriter<'_>,
    ) -> Result<(), Error> {
        let op = pending.ops.next().expect("one op per planned line");
        let line = self.build_line(&mut pending.rng, op, model, pending.test_day);
        pending.buffer.clear();
        render_line(&self.context, &line, &mut pending.buffer);
        member.write_line(&pending.buffer)?;
        model.apply(&line);

        if pending.tail.len() == TAIL_LINES {
            pending.tail.pop_front();
        }
        pending.tail.push_back(line);
        Ok(())
    }

    /// Builds the content of a planned line from the stored state.
    fn build_line(&mut self, rng: &mut Rng, op: Op, model: &Model, day: i64) -> Line {
        let registration = op.registration();
        let (fields, tests) = match model.newest_holder(registration) {
            Some(view) => (view.fields, view.tests),
            None => (self.fresh_fields(registration, Kind::New), Vec::new()),
        };
        let modification = Some(Modification::Updated);
        match op {
            Op::Repeat(line) => line,
            Op::NewTest(_) => {
                let test = self.new_test(rng, fields, &tests, day);
                Line {
                    registration,
                    modification,
                    fields,
                    tests: vec![test],
                }
            }
            Op::FullHistory(_) => {
                let mut history = tests;
                for _ in 0..rng.between(1, 2) {
                    if !history.is_empty() {
                        let position = rng.index(history.len());
                        history[position].variant = history[position].variant.wrapping_add(1);
                    }
                }
                let test = self.new_test(rng, fields, &history, day);
                history.insert(0, test);
                Line {
                    registration,
                    modification,
                    fields,
                    tests: history,
                }
            }
            Op::ColourOnly { with_tests, .. } => {
                let fields = Fields {
                    colour_shift: fields.colour_shift.wrapping_add(1),
                    ..fields
                };
                let tests = if with_tests { tests } else { Vec::new() };
                Line {
                    registration,
                    modification,
                    fields,
                    tests,
                }
            }
            Op::New { modification, .. } => self.new_vehicle(rng, registration, modification),
            Op::Delete(_) => {
                let modification = Some(Modification::Deleted);
                Line {
                    registration,
                    modification,
                    fields,
                    tests: Vec::new(),
                }
            }
        }
    }

    /// Returns a new test for a vehicle with stored tests `tests`, completed on `day` or later.
    fn new_test(
        &mut self,
        rng: &mut Rng,
        fields: Fields,
        tests: &[TestDesc],
        day: i64,
    ) -> TestDesc {
        let profile = Profile::new(&self.context, fields);
        let latest = tests.iter().max_by_key(|test| test.completed);
        let id = self.next_test_id;
        self.next_test_id += 1;
        new_test(rng, &profile, latest, id, day)
    }

    /// Builds the line of a vehicle new to the data: seven in ten have no tests yet (a new
    /// registration), the others a history of tests.
    fn new_vehicle(
        &mut self,
        rng: &mut Rng,
        registration: u64,
        modification: Modification,
    ) -> Line {
        let kind = if rng.chance(700) {
            Kind::New
        } else {
            Kind::Tested
        };
        let fields = self.fresh_fields(registration, kind);
        let profile = Profile::new(&self.context, fields);
        let history_seed = derive(self.context.seed, stream::FRESH_HISTORY, registration);
        let tests = bulk_history(&self.context, &profile, history_seed, self.next_test_id);
        self.next_test_id += tests.len() as u64;
        self.fresh_plates.push(registration);
        Line {
            registration,
            modification: Some(modification),
            fields,
            tests,
        }
    }

    /// Returns field inputs for a new registration, of kind `kind` when one of a few seeds
    /// gives it.
    fn fresh_fields(&self, registration: u64, kind: Kind) -> Fields {
        let mut fields = Fields {
            seed: 0,
            colour_shift: 0,
        };
        for attempt in 0..16 {
            let seed = derive(
                self.context.seed,
                stream::FRESH_FIELDS,
                registration * 16 + attempt,
            );
            fields.seed = seed;
            if Profile::new(&self.context, fields).kind == kind {
                break;
            }
        }
        fields
    }
}

/// Returns the date of delta `number` (from 0): the bulk date plus `number` days.
pub(crate) fn delta_date(bulk_date: NaiveDate, number: usize) -> NaiveDate {
    bulk_date
        .checked_add_days(Days::new(number as u64))
        .expect("validated dates are far from chrono's limits")
}

/// Returns up to [`REPEATED_LINES`] of the last lines of a delta, in file order, skipping any
/// line whose registration appears again later. Re-applying such a line changes nothing:
/// its vehicle is still as the line left it, or still absent after a DELETED line.
fn choose_repeated(tail: VecDeque<Line>) -> Vec<Line> {
    let mut seen = HashSet::new();
    let mut chosen = Vec::new();
    for line in tail.into_iter().rev() {
        if seen.insert(line.registration) && chosen.len() < REPEATED_LINES {
            chosen.push(line);
        }
    }
    chosen.reverse();
    chosen
}
