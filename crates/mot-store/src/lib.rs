//! MySQL and MariaDB persistence for MOT History data.
//!
//! The store owns the schema (`vehicles`, `mot_tests`, `defects`, plus
//! `import_log`, `import_rejects` and `import_batch_report`), applies
//! migrations, and writes decoded records:
//!
//! - bulk members as streams of rows through `LOAD DATA LOCAL INFILE`, fed
//!   from memory, or multi-row `INSERT` where the server refuses `LOCAL`;
//! - delta members by merging each line into the stored vehicle it refers
//!   to (see [`DeltaBatch`]).
//!
//! Every batch is one transaction that also saves the member's progress,
//! and every write checks that the server stored as many rows as were sent.
//! A member is marked `loaded` only after all its batches are committed.
//! Vehicle ids derive from the member and line that created the vehicle
//! ([`vehicle_id`]), so loading a member again replaces its rows instead of
//! duplicating them.
//!
//! Every statement runs under a strict `sql_mode` and `utf8mb4`, and all
//! values travel as parameters or as `LOAD DATA` rows, never spliced into
//! SQL text.
//!
//! ```no_run
//! use mot_store::{Store, StoreOptions};
//!
//! # async fn run() -> mot_store::Result<()> {
//! let opts = mysql_async::Opts::from_url("mysql://root@127.0.0.1:3306/mot").unwrap();
//! let store = Store::connect(opts, &StoreOptions::default()).await?;
//! store.migrate().await?;
//! println!("{:?}", store.table_counts().await?);
//! # Ok(())
//! # }
//! ```

mod delta;
mod diagnose;
mod error;
mod imports;
mod indexes;
mod lock;
mod member;
mod migrate;
mod report;
mod rows;
mod store;
mod tsv;
mod write;

pub use delta::{DeltaBatch, DeltaLine};
pub use diagnose::{CHECKED_VARIABLES, Diagnostics};
pub use error::{Error, Result};
pub use imports::{
    ArchiveEntry, ImportRecord, Kind, MemberEntry, Reject, RowCounts, State, StoredReject,
};
pub use indexes::SECONDARY_INDEXES;
pub use lock::RunLock;
pub use member::{BulkBatch, MemberLoad};
pub use migrate::{MIGRATIONS, Migration};
pub use report::{RunSummary, TableCounts};
pub use rows::{
    DEFECTS, MOT_TESTS, Provenance, RowBatch, Table, TableRows, Unstorable, VEHICLES,
    member_id_range, vehicle_id,
};
pub use store::{LoadMethod, ServerInfo, Store, StoreOptions};

/// Re-exported so callers can build connection options.
pub use mysql_async::{Opts, OptsBuilder};

/// Checks that a record's values fit their columns, so the caller can
/// reject the line with its raw bytes before handing it to the store.
///
/// # Errors
///
/// Returns the first value that does not fit.
pub fn check_record(vehicle: &mot_model::Vehicle<'_>) -> std::result::Result<(), Unstorable> {
    rows::check_record(vehicle)
}
