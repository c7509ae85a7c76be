//! Options of [`generate`](crate::generate).

use chrono::NaiveDate;

use crate::codes::MAX_BULK_VEHICLES;
use crate::error::Error;

/// Zip compression method of each `.json.gz` member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Deflate (zip method 8), at level 1.
    #[default]
    Deflate,
    /// No compression (zip method 0).
    Stored,
}

/// Settings of [`generate`](crate::generate). Every field is public, and [`Default`] gives a
/// small data set that still covers every kind of line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of vehicle lines in the bulk archive (default 1,000, at most 1,000,000,000).
    pub vehicles: u64,
    /// Number of delta archives, dated one day apart from the bulk date on (default 6, at most
    /// 3650).
    pub deltas: usize,
    /// Members in the bulk archive (default 4, at least 1). Members beyond the number of
    /// vehicles contain no lines.
    pub members: usize,
    /// Members in each delta archive (default 2, at least 1).
    pub delta_members: usize,
    /// Seed of all content: the same options give byte-identical archives with the same
    /// zlib-rs version (default 1).
    pub seed: u64,
    /// Date of the bulk archive, from 1990 to 2090 (default 2024-07-01, a Monday). The first
    /// delta has the same date, as on the real service.
    pub bulk_date: NaiveDate,
    /// Zip compression method of the members (default [`Compression::Deflate`]).
    pub compression: Compression,
    /// Adds [`BAD_LINES_PER_MEMBER`] rejected lines to every member of every archive (default
    /// false).
    pub bad_lines: bool,
    /// Writes each member as 2 or 3 concatenated gzip streams, alternating by member (default
    /// true). When false each member is a single gzip stream.
    pub multi_member_gzip: bool,
    /// Writes every member with ZIP64 size fields even when small (default false). Members of
    /// more than 20,000 lines always get them.
    pub force_zip64: bool,
    /// UPDATED lines per delta, not counting lines repeated from the previous delta (default
    /// 5% of `vehicles`, at least 8).
    pub delta_updates: Option<u64>,
    /// CREATED lines per delta (default 0.5% of `vehicles`, at least 2).
    pub delta_created: Option<u64>,
    /// DELETED lines per delta, one of them for an unknown registration (default 0.05% of
    /// `vehicles`, at least 3).
    pub delta_deleted: Option<u64>,
}

/// Rejected lines added to each member when [`GenerateOptions::bad_lines`] is set: one invalid
/// JSON, one with invalid UTF-8, one without a registration and one with an impossible date.
pub const BAD_LINES_PER_MEMBER: u64 = 4;

/// Maximum number of delta lines over all deltas.
const MAX_DELTA_LINES: u64 = 500_000_000;
/// Maximum number of deltas: ten years of daily files.
const MAX_DELTAS: usize = 3650;
/// Maximum number of members over all archives.
const MAX_MEMBERS: u64 = 10_000_000;

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            vehicles: 1_000,
            deltas: 6,
            members: 4,
            delta_members: 2,
            seed: 1,
            bulk_date: NaiveDate::from_ymd_opt(2024, 7, 1).expect("a valid date"),
            compression: Compression::Deflate,
            bad_lines: false,
            multi_member_gzip: true,
            force_zip64: false,
            delta_updates: None,
            delta_created: None,
            delta_deleted: None,
        }
    }
}

impl GenerateOptions {
    /// Returns the default options with `vehicles` bulk vehicles.
    pub fn with_vehicles(vehicles: u64) -> Self {
        Self {
            vehicles,
            ..Self::default()
        }
    }

    /// Returns the number of UPDATED lines per delta, after defaults.
    pub fn updates_per_delta(&self) -> u64 {
        self.delta_updates.unwrap_or((self.vehicles / 20).max(8))
    }

    /// Returns the number of CREATED lines per delta, after defaults.
    pub fn created_per_delta(&self) -> u64 {
        self.delta_created.unwrap_or((self.vehicles / 200).max(2))
    }

    /// Returns the number of DELETED lines per delta, after defaults.
    pub fn deleted_per_delta(&self) -> u64 {
        self.delta_deleted.unwrap_or((self.vehicles / 2000).max(3))
    }

    /// Checks every option against its limit.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.vehicles == 0 || self.vehicles > MAX_BULK_VEHICLES {
            let reason = format!("{} is outside 1..={MAX_BULK_VEHICLES}", self.vehicles);
            return Err(Error::invalid_option("vehicles", reason));
        }

        if self.members == 0 {
            return Err(Error::invalid_option("members", "must be at least 1"));
        }
        if self.delta_members == 0 {
            return Err(Error::invalid_option("delta_members", "must be at least 1"));
        }
        // Rejected lines take registrations from a fixed code range (see `codes`).
        let all_members = (self.deltas as u64)
            .saturating_mul(self.delta_members as u64)
            .saturating_add(self.members as u64);
        if all_members > MAX_MEMBERS {
            let reason = format!(
                "{all_members} members in all (members + deltas * delta_members) is more than \
                 {MAX_MEMBERS}"
            );
            return Err(Error::invalid_option("members", reason));
        }

        // The last delta's date must fit a zip timestamp, which ends in 2107.
        let first = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a valid date");
        let last = NaiveDate::from_ymd_opt(2090, 12, 31).expect("a valid date");
        if self.bulk_date < first || self.bulk_date > last {
            let reason = format!("{} is outside {first}..={last}", self.bulk_date);
            return Err(Error::invalid_option("bulk_date", reason));
        }
        if self.deltas > MAX_DELTAS {
            let reason = format!("{} is more than {MAX_DELTAS}", self.deltas);
            return Err(Error::invalid_option("deltas", reason));
        }

        // New registrations and test ids come from fixed code ranges (see `codes`), which
        // this bound keeps the delta lines within.
        let per_delta = self.updates_per_delta() + self.created_per_delta();
        let per_delta = per_delta.saturating_add(self.deleted_per_delta());
        let all_deltas = per_delta.saturating_mul(self.deltas as u64);
        if all_deltas > MAX_DELTA_LINES {
            let reason = format!(
                "{all_deltas} delta lines in all (updates + created + deleted, times deltas) \
                 is more than {MAX_DELTA_LINES}"
            );
            return Err(Error::invalid_option("delta_updates", reason));
        }
        Ok(())
    }
}
