//! Deciding what a sync fetches and loads, from the listing and from the archives
//! `import_log` records as loaded.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use dvla_client::{Listing, RemoteFile};
use mot_store::{ImportRecord, Kind, State};

use crate::download::display_name;

/// One `import_log` row, reduced to what the plan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) archive: String,
    pub(crate) kind: Kind,
    pub(crate) date: Option<NaiveDate>,
    pub(crate) state: State,
}

impl From<&ImportRecord> for Row {
    fn from(record: &ImportRecord) -> Self {
        Self {
            archive: record.archive.clone(),
            kind: record.kind,
            date: record.file_created_on,
            state: record.state,
        }
    }
}

/// The bulk archive the database's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeldBulk {
    pub(crate) archive: String,
    pub(crate) date: Option<NaiveDate>,
    /// Every member is loaded.
    pub(crate) complete: bool,
}

/// Archives whose rows are in the database, by file name.
#[derive(Debug, Default)]
pub(crate) struct Holdings {
    pub(crate) bulk: Option<HeldBulk>,
    /// Archives whose `import_log` rows are all `loaded`.
    loaded: HashSet<String>,
    /// Dates of the fully loaded delta archives.
    loaded_delta_dates: Vec<NaiveDate>,
    /// Archives with a row that is neither superseded nor only registered:
    /// their rows are, or were being, written into the data tables.
    touched: HashSet<String>,
}

impl Holdings {
    pub(crate) fn new(rows: &[Row]) -> Self {
        let mut archives: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for row in rows {
            archives.entry(&row.archive).or_default().push(row);
        }

        let mut holdings = Holdings::default();
        let mut bulks = Vec::new();
        for (archive, rows) in archives {
            let active: Vec<&Row> = rows
                .iter()
                .copied()
                .filter(|r| r.state != State::Superseded)
                .collect();
            let date = rows.iter().filter_map(|r| r.date).min();
            let all_loaded = rows.iter().all(|r| r.state == State::Loaded);
            let is_bulk = rows.iter().any(|r| r.kind == Kind::Bulk);

            if all_loaded {
                holdings.loaded.insert(archive.to_owned());
                if let (false, Some(date)) = (is_bulk, date) {
                    holdings.loaded_delta_dates.push(date);
                }
            }
            if active.iter().any(|r| r.state != State::Downloaded) {
                holdings.touched.insert(archive.to_owned());
            }
            if is_bulk && !active.is_empty() {
                bulks.push(HeldBulk {
                    archive: archive.to_owned(),
                    date,
                    complete: active.iter().all(|r| r.state == State::Loaded),
                });
            }
        }
        holdings.bulk = bulks
            .into_iter()
            .max_by(|a, b| (a.date, &a.archive).cmp(&(b.date, &b.archive)));
        holdings
    }

    /// Tells whether every `import_log` row of `archive` is `loaded`.
    pub(crate) fn is_loaded(&self, archive: &str) -> bool {
        self.loaded.contains(archive)
    }

    /// The last day the data covers: the complete bulk's date, or the date
    /// of the newest delta loaded on top of it. `None` when no complete
    /// bulk with a known date is held.
    pub(crate) fn data_ends(&self) -> Option<NaiveDate> {
        let bulk = self.bulk.as_ref().filter(|b| b.complete)?;
        let bulk_date = bulk.date?;
        let newest_delta = self
            .loaded_delta_dates
            .iter()
            .copied()
            .filter(|date| *date >= bulk_date)
            .max();
        Some(newest_delta.map_or(bulk_date, |date| date.max(bulk_date)))
    }

    /// Tells whether the data tables hold, or held part of, any archive
    /// other than `archive`, so that loading `archive` as the bulk must
    /// empty them first.
    fn holds_other_than(&self, archive: &str) -> bool {
        self.touched.iter().any(|name| name != archive)
    }
}

/// A listed file to download and load, in order.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) file: RemoteFile,
    pub(crate) name: String,
    /// Load it with `LoadOptions::replace`, emptying the data tables first.
    pub(crate) replace: bool,
}

/// A listed file left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skip {
    pub(crate) name: String,
    pub(crate) reason: String,
}

/// Plan of a sync: the steps in load order and the files it skips.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) steps: Vec<Step>,
    pub(crate) skipped: Vec<Skip>,
}

impl Plan {
    fn skip(&mut self, file: &RemoteFile, reason: String) {
        self.skipped.push(Skip {
            name: display_name(file),
            reason,
        });
    }

    fn push(&mut self, file: &RemoteFile, replace: bool) {
        self.steps.push(Step {
            file: file.clone(),
            name: display_name(file),
            replace,
        });
    }
}

/// Plans a sync: the newest listed bulk when the database needs it (or
/// `force_bulk`), then every listed delta not yet loaded and not older
/// than the bulk, in `fileCreatedOn` order.
///
/// # Errors
///
/// Returns a message when the database needs a bulk and none is listed.
pub(crate) fn plan(
    listing: &Listing,
    holdings: &Holdings,
    force_bulk: bool,
) -> Result<Plan, String> {
    let mut plan = Plan::default();
    let latest = listing.latest_bulk();
    for older in listing.bulk.iter().filter(|file| Some(*file) != latest) {
        plan.skip(older, "an older bulk than the newest one listed".into());
    }

    let (bulk_date, replace) = match (latest, bulk_needed(listing, holdings, force_bulk)) {
        (Some(file), Some(reason)) => {
            let replace = force_bulk || holdings.holds_other_than(&display_name(file));
            tracing::info!(file = %display_name(file), %reason, replace, "the bulk will be loaded");
            plan.push(file, replace);
            (Some(file.file_created_on), replace)
        }
        (None, Some(reason)) => {
            return Err(format!(
                "the listing has no bulk file, and the database needs one: {reason}"
            ));
        }
        (Some(file), None) => {
            plan.skip(file, bulk_not_needed(file, holdings));
            (holdings.bulk.as_ref().and_then(|b| b.date), false)
        }
        (None, None) => (holdings.bulk.as_ref().and_then(|b| b.date), false),
    };

    for delta in &listing.delta {
        let name = display_name(delta);
        let date = delta.file_created_on;
        if let Some(bulk_date) = bulk_date
            && date < bulk_date
        {
            let reason = format!("dated {date}, before the bulk of {bulk_date}, which holds it");
            plan.skip(delta, reason);
        } else if !replace && holdings.is_loaded(&name) {
            plan.skip(delta, "already loaded".into());
        } else {
            plan.push(delta, false);
        }
    }
    Ok(plan)
}

/// Returns why the newest listed bulk must be loaded, or `None` when the
/// listed deltas can bring the database up to date.
fn bulk_needed(listing: &Listing, holdings: &Holdings, force_bulk: bool) -> Option<String> {
    if force_bulk {
        return Some("--bulk was given".into());
    }
    let Some(held) = &holdings.bulk else {
        return Some("the database holds no bulk".into());
    };
    if !held.complete {
        return Some(format!("bulk {} is not fully loaded", held.archive));
    }
    let Some(ends) = holdings.data_ends() else {
        return Some(format!("the date of bulk {} is unknown", held.archive));
    };

    // The listed files continue the data only if the first listed delta
    // (or the bulk, when it is older) is dated no later than the day after
    // the data ends. Deltas that failed to export roll into later ones, so
    // a missing day inside the listing is not a gap.
    let first_delta = listing.delta.first().map(|f| f.file_created_on);
    let bulk_date = listing.latest_bulk().map(|f| f.file_created_on);
    let starts = first_delta.into_iter().chain(bulk_date).min()?;
    let next_day = ends.succ_opt()?;
    (next_day < starts).then(|| {
        format!(
            "the database's data ends on {ends} and the listed files start on {starts}, \
             a gap that only the new bulk fills"
        )
    })
}

fn bulk_not_needed(file: &RemoteFile, holdings: &Holdings) -> String {
    let name = display_name(file);
    match (&holdings.bulk, holdings.data_ends()) {
        (Some(held), _) if held.archive == name => "already loaded".into(),
        (Some(held), Some(ends)) => format!(
            "not needed: the database holds bulk {} with data to {ends}, and the listed deltas \
             continue from there",
            held.archive
        ),
        _ => "not needed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dvla_client::DownloadUrl;

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 7, day).unwrap()
    }

    fn remote(kind: &str, day: u32) -> RemoteFile {
        RemoteFile {
            filename: format!("v1/public/{kind}/{kind}-light-vehicle_{day:02}-07-2024.zip"),
            download_url: DownloadUrl::new("http://127.0.0.1:9/x"),
            file_size: 1,
            file_created_on: date(day),
        }
    }

    fn listing(bulk_day: Option<u32>, delta_days: &[u32]) -> Listing {
        Listing {
            bulk: bulk_day
                .map(|day| remote("bulk", day))
                .into_iter()
                .collect(),
            delta: delta_days.iter().map(|day| remote("delta", *day)).collect(),
        }
    }

    fn row(kind: &str, day: u32, state: State) -> Row {
        Row {
            archive: format!("{kind}-light-vehicle_{day:02}-07-2024.zip"),
            kind: if kind == "bulk" {
                Kind::Bulk
            } else {
                Kind::Delta
            },
            date: Some(date(day)),
            state,
        }
    }

    fn step_names(plan: &Plan) -> Vec<&str> {
        plan.steps.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn empty_database_loads_bulk_and_deltas() {
        let plan = plan(&listing(Some(1), &[1, 2, 3]), &Holdings::new(&[]), false).unwrap();

        assert_eq!(
            step_names(&plan),
            [
                "bulk-light-vehicle_01-07-2024.zip",
                "delta-light-vehicle_01-07-2024.zip",
                "delta-light-vehicle_02-07-2024.zip",
                "delta-light-vehicle_03-07-2024.zip",
            ]
        );
        assert!(!plan.steps[0].replace);
    }

    #[test]
    fn loaded_files_are_skipped() {
        let rows = [
            row("bulk", 1, State::Loaded),
            row("delta", 1, State::Loaded),
            row("delta", 2, State::Loaded),
        ];
        let plan = plan(&listing(Some(1), &[1, 2, 3]), &Holdings::new(&rows), false).unwrap();

        assert_eq!(step_names(&plan), ["delta-light-vehicle_03-07-2024.zip"]);
        assert_eq!(plan.skipped.len(), 3);
        assert!(plan.skipped.iter().all(|s| s.reason == "already loaded"));
    }

    #[test]
    fn failed_delta_is_loaded_again() {
        let rows = [
            row("bulk", 1, State::Loaded),
            row("delta", 1, State::Loaded),
            row("delta", 2, State::Failed),
        ];
        let plan = plan(&listing(Some(1), &[1, 2]), &Holdings::new(&rows), false).unwrap();

        assert_eq!(step_names(&plan), ["delta-light-vehicle_02-07-2024.zip"]);
    }

    #[test]
    fn new_bulk_skipped_while_deltas_continue() {
        // Data to 7 July; the listing starts on 8 July.
        let mut rows = vec![row("bulk", 1, State::Loaded)];
        rows.extend((1..=7).map(|day| row("delta", day, State::Loaded)));
        let plan = plan(&listing(Some(8), &[8, 9]), &Holdings::new(&rows), false).unwrap();

        assert_eq!(
            step_names(&plan),
            [
                "delta-light-vehicle_08-07-2024.zip",
                "delta-light-vehicle_09-07-2024.zip"
            ]
        );
        assert!(plan.skipped[0].reason.starts_with("not needed"));
    }

    #[test]
    fn gap_loads_new_bulk_with_replace() {
        // Data to 6 July; the listing starts on 8 July, so 7 July is lost.
        let mut rows = vec![row("bulk", 1, State::Loaded)];
        rows.extend((1..=6).map(|day| row("delta", day, State::Loaded)));
        let plan = plan(&listing(Some(8), &[8, 9]), &Holdings::new(&rows), false).unwrap();

        assert_eq!(plan.steps.len(), 3);
        assert_eq!(plan.steps[0].name, "bulk-light-vehicle_08-07-2024.zip");
        assert!(plan.steps[0].replace);
        assert!(plan.steps[1..].iter().all(|s| !s.replace));
    }

    #[test]
    fn gap_without_listed_deltas() {
        let rows = [row("bulk", 1, State::Loaded)];
        let plan = plan(&listing(Some(8), &[]), &Holdings::new(&rows), false).unwrap();

        assert_eq!(step_names(&plan), ["bulk-light-vehicle_08-07-2024.zip"]);
    }

    #[test]
    fn force_bulk_reloads_same_bulk() {
        let rows = [
            row("bulk", 1, State::Loaded),
            row("delta", 1, State::Loaded),
        ];
        let plan = plan(&listing(Some(1), &[1]), &Holdings::new(&rows), true).unwrap();

        assert_eq!(plan.steps.len(), 2, "{plan:?}");
        assert!(plan.steps[0].replace);
    }

    #[test]
    fn unfinished_bulk_resumes_without_replace() {
        let rows = [
            row("bulk", 1, State::Loaded),
            row("bulk", 1, State::Loading),
        ];
        let plan = plan(&listing(Some(1), &[1]), &Holdings::new(&rows), false).unwrap();

        assert_eq!(plan.steps.len(), 2);
        assert!(!plan.steps[0].replace);
    }

    #[test]
    fn deltas_older_than_bulk_are_skipped() {
        let plan = plan(&listing(Some(3), &[1, 2, 3]), &Holdings::new(&[]), false).unwrap();

        assert_eq!(
            step_names(&plan),
            [
                "bulk-light-vehicle_03-07-2024.zip",
                "delta-light-vehicle_03-07-2024.zip"
            ]
        );
        assert!(plan.skipped[0].reason.contains("before the bulk"));
    }

    #[test]
    fn superseded_rows_count_as_not_loaded() {
        let rows = [
            row("bulk", 1, State::Superseded),
            row("delta", 2, State::Superseded),
        ];
        let holdings = Holdings::new(&rows);

        assert!(holdings.bulk.is_none());
        assert!(!holdings.is_loaded("delta-light-vehicle_02-07-2024.zip"));
    }

    #[test]
    fn missing_bulk_is_an_error() {
        let error = plan(&listing(None, &[1]), &Holdings::new(&[]), false).unwrap_err();
        assert!(error.contains("no bulk file"), "{error}");
    }
}
