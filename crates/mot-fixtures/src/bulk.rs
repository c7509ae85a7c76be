//! The bulk archive. Bulk vehicle `i` (its line index) is a pure function of the seed and `i`,
//! so the bulk is written in one streaming pass and any vehicle can be regenerated later.

use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

use crate::archive::{ArchiveWriter, Layout, LineSink, member_name};
use crate::bad::BadLineMixer;
use crate::error::Error;
use crate::manifest::{ArchiveInfo, Counts};
use crate::options::{BAD_LINES_PER_MEMBER, GenerateOptions};
use crate::render::{Line, Modification, render_line};
use crate::rng::{Rng, derive};
use crate::vehicle::{Context, Fields, Profile, TEST_SLOTS, TestDesc, bulk_history, stream};

/// Returns whether vehicle `index` may take the registration of vehicle `index - 1` (3 in
/// 1,000).
fn is_share_candidate(context: &Context, index: u64) -> bool {
    index > 0 && derive(context.seed, stream::SHARED_PLATE, index) % 1000 < 3
}

/// Returns whether vehicle `index` carries the registration of vehicle `index - 1`. Two
/// candidates in a row never both share, so at most two bulk vehicles have one registration.
pub(crate) fn shares_previous_plate(context: &Context, index: u64) -> bool {
    is_share_candidate(context, index) && !is_share_candidate(context, index - 1)
}

/// Returns the registration code of bulk vehicle `index`.
pub(crate) fn bulk_registration(context: &Context, index: u64) -> u64 {
    if shares_previous_plate(context, index) {
        index - 1
    } else {
        index
    }
}

/// Returns the bulk vehicles (ascending line indexes) whose registration code is `code`.
pub(crate) fn bulk_holders(context: &Context, vehicles: u64, code: u64) -> Vec<u64> {
    let mut holders = Vec::new();
    if code < vehicles && !shares_previous_plate(context, code) {
        holders.push(code);
    }
    if code + 1 < vehicles && shares_previous_plate(context, code + 1) {
        holders.push(code + 1);
    }
    holders
}

/// Returns the top-level field inputs of bulk vehicle `index`.
pub(crate) fn bulk_fields(context: &Context, index: u64) -> Fields {
    let seed = derive(context.seed, stream::BULK_FIELDS, index);
    Fields {
        seed,
        colour_shift: 0,
    }
}

/// Returns the tests of bulk vehicle `index`, which has test ids `index * TEST_SLOTS ..`.
pub(crate) fn bulk_tests(context: &Context, index: u64) -> Vec<TestDesc> {
    let profile = Profile::new(context, bulk_fields(context, index));
    let history_seed = derive(context.seed, stream::BULK_HISTORY, index);
    bulk_history(context, &profile, history_seed, index * TEST_SLOTS)
}

/// Returns the line of bulk vehicle `index`. One line in ten carries `"modification":"CREATED"`,
/// which a bulk load ignores.
fn bulk_line(context: &Context, index: u64) -> Line {
    let created = derive(context.seed, stream::BULK_LINE, index) % 10 == 0;
    Line {
        registration: bulk_registration(context, index),
        modification: created.then_some(Modification::Created),
        fields: bulk_fields(context, index),
        tests: bulk_tests(context, index),
    }
}

/// Writes the bulk archive and returns it with the counts after loading it. Rejected lines
/// of member `m` (from 0) have serial numbers from `m * BAD_LINES_PER_MEMBER` on.
///
/// Members are written in parallel, one thread per available core, each as a one-member zip
/// archive in a temporary `.<member name>.zip.part` file in `dir`. The calling thread appends
/// finished parts to the bulk archive in member order, copying their compressed bytes, and
/// workers stay at most one member per thread ahead of it, which bounds the temporary disk
/// space.
pub(crate) fn write_bulk(
    dir: &Path,
    context: &Context,
    options: &GenerateOptions,
) -> Result<(ArchiveInfo, Counts), Error> {
    let base_name = format!(
        "bulk-light-vehicle_{}",
        options.bulk_date.format("%d-%m-%Y")
    );
    let layout = Layout {
        compression: options.compression,
        multi_member_gzip: options.multi_member_gzip,
        force_zip64: options.force_zip64,
    };
    let mut archive = ArchiveWriter::create(dir, &base_name, options.bulk_date, layout)?;
    let job = MemberJob {
        dir,
        base_name: &base_name,
        context,
        options,
        layout,
    };
    let workers = thread::available_parallelism()
        .map_or(1, NonZero::get)
        .min(options.members);
    let schedule = Schedule::new(options.members, workers);

    let assembled = thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| schedule.run_worker(|index| job.write_part(index)));
        }
        let assembled = schedule.assemble(&mut archive);
        if assembled.is_err() {
            schedule.fail();
        }
        assembled
    });
    if assembled.is_err() {
        for index in 0..options.members {
            // Best effort: a part may not exist, and the first error is the one to report.
            let _ignored = std::fs::remove_file(job.part_path(index));
        }
    }
    let (lines, rejects, counts) = assembled?;

    let path = archive.path().to_owned();
    let size_bytes = archive.finish()?;
    let info = ArchiveInfo {
        path,
        file_name: format!("{base_name}.zip"),
        created_on: options.bulk_date,
        members: options.members,
        lines,
        rejects,
        size_bytes,
    };
    Ok((info, counts))
}

/// One bulk member written to its temporary file.
struct MemberPart {
    path: PathBuf,
    lines: u64,
    rejects: u64,
    counts: Counts,
}

/// Everything needed to write any bulk member on its own.
struct MemberJob<'a> {
    dir: &'a Path,
    base_name: &'a str,
    context: &'a Context,
    options: &'a GenerateOptions,
    layout: Layout,
}

impl MemberJob<'_> {
    fn part_path(&self, index: usize) -> PathBuf {
        let name = member_name(self.base_name, index + 1);
        self.dir.join(format!(".{name}.zip.part"))
    }

    /// Writes member `index` (from 0) as gzip into its temporary file.
    fn write_part(&self, index: usize) -> Result<MemberPart, Error> {
        let (context, options) = (self.context, self.options);
        let members = options.members as u64;
        let member_index = index as u64;
        let first = options.vehicles * member_index / members;
        let end = options.vehicles * (member_index + 1) / members;
        let mut rng = Rng::new(derive(context.seed, stream::MEMBER_LAYOUT, member_index));
        let mut bad = BadLineMixer::new(&mut rng, end - first, options.bad_lines, false);
        let mut bad_serial = member_index * BAD_LINES_PER_MEMBER;

        let path = self.part_path(index);
        let created_on = options.bulk_date;
        let mut part =
            ArchiveWriter::create_at(path.clone(), self.base_name, created_on, self.layout)?;
        let lines = end - first + bad.count();
        let mut member = part.member(index + 1, lines)?;
        let mut counts = Counts::default();
        let mut buffer = Vec::with_capacity(1 << 16);

        for index in first..end {
            bad.write_due(index - first, context, &mut bad_serial, &mut member)?;
            let line = bulk_line(context, index);
            buffer.clear();
            render_line(context, &line, &mut buffer);
            member.write_line(&buffer)?;

            counts.vehicles += 1;
            counts.mot_tests += line.tests.len() as u64;
            counts.defects += line
                .tests
                .iter()
                .map(|t| t.defect_count(context))
                .sum::<u64>();
        }
        bad.write_due(end - first, context, &mut bad_serial, &mut member)?;
        member.finish()?;
        part.finish()?;

        let rejects = bad.count();
        Ok(MemberPart {
            path,
            lines,
            rejects,
            counts,
        })
    }
}

/// Hands out member indexes to worker threads and collects their parts in order.
struct Schedule {
    state: Mutex<ScheduleState>,
    changed: Condvar,
    /// Members a worker may start beyond the oldest one not yet copied.
    window: usize,
}

struct ScheduleState {
    next: usize,
    copied: usize,
    failed: bool,
    parts: Vec<Option<Result<MemberPart, Error>>>,
}

impl Schedule {
    fn new(members: usize, window: usize) -> Self {
        let parts = (0..members).map(|_| None).collect();
        let state = ScheduleState {
            next: 0,
            copied: 0,
            failed: false,
            parts,
        };
        Self {
            state: Mutex::new(state),
            changed: Condvar::new(),
            window,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ScheduleState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, ScheduleState>) -> MutexGuard<'a, ScheduleState> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the workers after their current member.
    fn fail(&self) {
        self.lock().failed = true;
        self.changed.notify_all();
    }

    /// Writes members with `write` until none is left or the schedule failed.
    fn run_worker(&self, write: impl Fn(usize) -> Result<MemberPart, Error>) {
        // A panicking worker marks the schedule failed, so the assembler stops waiting for it.
        struct FailOnPanic<'a>(&'a Schedule);
        impl Drop for FailOnPanic<'_> {
            fn drop(&mut self) {
                if thread::panicking() {
                    self.0.fail();
                }
            }
        }
        let _guard = FailOnPanic(self);

        loop {
            let mut state = self.lock();
            while !state.failed
                && state.next < state.parts.len()
                && state.next > state.copied + self.window
            {
                state = self.wait(state);
            }
            if state.failed || state.next == state.parts.len() {
                return;
            }
            let index = state.next;
            state.next += 1;
            drop(state);

            let part = write(index);
            self.lock().parts[index] = Some(part);
            self.changed.notify_all();
        }
    }

    /// Copies the parts into `archive` in member order, deleting each part file once copied.
    /// Returns the lines, rejected lines and counts over all members.
    fn assemble(&self, archive: &mut ArchiveWriter) -> Result<(u64, u64, Counts), Error> {
        let (mut lines, mut rejects, mut counts) = (0, 0, Counts::default());
        let members = self.lock().parts.len();
        for index in 0..members {
            let part = self.take_part(index, archive.path())??;
            archive.append_archive(&part.path)?;
            std::fs::remove_file(&part.path).map_err(|source| Error::io(&part.path, source))?;

            lines += part.lines;
            rejects += part.rejects;
            counts.vehicles += part.counts.vehicles;
            counts.mot_tests += part.counts.mot_tests;
            counts.defects += part.counts.defects;
            self.lock().copied += 1;
            self.changed.notify_all();
        }
        Ok((lines, rejects, counts))
    }

    /// Waits for part `index`. Fails when a worker panicked before writing it.
    fn take_part(&self, index: usize, archive: &Path) -> Result<Result<MemberPart, Error>, Error> {
        let mut state = self.lock();
        loop {
            if let Some(part) = state.parts[index].take() {
                return Ok(part);
            }
            if state.failed {
                let error = std::io::Error::other("a member writer thread panicked");
                return Err(Error::io(archive, error));
            }
            state = self.wait(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_plates_have_two_holders() {
        let context = Context {
            seed: 9,
            bulk_day: 19_905,
        };
        let vehicles = 20_000;
        let sharing: Vec<u64> = (1..vehicles)
            .filter(|&i| shares_previous_plate(&context, i))
            .collect();
        assert!(!sharing.is_empty());
        for &i in &sharing {
            assert_eq!(bulk_holders(&context, vehicles, i - 1), vec![i - 1, i]);
            assert!(bulk_holders(&context, vehicles, i).len() <= 1);
        }
    }
}
