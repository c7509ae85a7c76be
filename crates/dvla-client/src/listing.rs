//! The bulk-download listing: which bulk and delta files exist and where to
//! fetch them.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::secret::DownloadUrl;

/// The files the API offers: one weekly bulk file and the daily deltas since.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Listing {
    /// Bulk files, sorted by `file_created_on`, then `filename`.
    #[serde(default)]
    pub bulk: Vec<RemoteFile>,
    /// Delta files, sorted by `file_created_on`, then `filename`. Their names
    /// carry a `DD-MM-YYYY` date that sorts wrongly as text, so the order
    /// comes from `fileCreatedOn`.
    #[serde(default)]
    pub delta: Vec<RemoteFile>,
}

/// One file of the listing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteFile {
    /// Object key, such as
    /// `v1/public/bulk/year=2024/month=7/day=1/bulk-light-vehicle_01-07-2024.zip`.
    /// It is remote data: use [`local_file_name`](crate::local_file_name) to
    /// get a safe local name.
    pub filename: String,
    /// Presigned URL, valid for about 5 minutes after the listing call.
    pub download_url: DownloadUrl,
    /// Size in bytes. The bulk file is larger than 4 GiB (about 38 GB in July
    /// 2024).
    pub file_size: u64,
    /// Date the file was created (`fileCreatedOn`, `YYYY-MM-DD`).
    pub file_created_on: NaiveDate,
}

impl Listing {
    /// Parses a listing body and sorts both lists.
    pub(crate) fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        let mut listing: Listing = serde_json::from_slice(body)?;
        sort_files(&mut listing.bulk);
        sort_files(&mut listing.delta);
        Ok(listing)
    }

    /// Returns the file with this object key, from either list.
    pub fn find(&self, filename: &str) -> Option<&RemoteFile> {
        self.bulk
            .iter()
            .chain(&self.delta)
            .find(|file| file.filename == filename)
    }

    /// Returns the newest bulk file, if any.
    pub fn latest_bulk(&self) -> Option<&RemoteFile> {
        self.bulk.last()
    }
}

fn sort_files(files: &mut [RemoteFile]) {
    files.sort_by(|a, b| {
        a.file_created_on
            .cmp(&b.file_created_on)
            .then_with(|| a.filename.cmp(&b.filename))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{
        "bulk": [{"filename": "v1/public/bulk/year=2024/month=7/day=1/bulk-light-vehicle_01-07-2024.zip",
                  "downloadUrl": "https://s3.example/b?X-Amz-Signature=a%2Fb",
                  "fileSize": 37718225291, "fileCreatedOn": "2024-07-01"}],
        "delta": [
            {"filename": "d/delta-light-vehicle_02-08-2024.zip", "downloadUrl": "https://s3.example/2",
             "fileSize": 2, "fileCreatedOn": "2024-08-02"},
            {"filename": "d/delta-light-vehicle_03-07-2024.zip", "downloadUrl": "https://s3.example/1",
             "fileSize": 1, "fileCreatedOn": "2024-07-03"}
        ]
    }"#;

    #[test]
    fn parses_and_sorts_deltas_by_date() {
        let listing = Listing::from_json(BODY.as_bytes()).unwrap();

        assert_eq!(listing.bulk[0].file_size, 37_718_225_291);
        let dates: Vec<_> = listing.delta.iter().map(|f| f.file_created_on).collect();
        assert_eq!(
            dates,
            [
                NaiveDate::from_ymd_opt(2024, 7, 3).unwrap(),
                NaiveDate::from_ymd_opt(2024, 8, 2).unwrap()
            ]
        );
    }

    #[test]
    fn keeps_url_byte_for_byte() {
        let listing = Listing::from_json(BODY.as_bytes()).unwrap();
        assert_eq!(
            listing.bulk[0].download_url.expose(),
            "https://s3.example/b?X-Amz-Signature=a%2Fb"
        );
    }

    #[test]
    fn find_searches_both_lists() {
        let listing = Listing::from_json(BODY.as_bytes()).unwrap();
        assert!(
            listing
                .find("d/delta-light-vehicle_02-08-2024.zip")
                .is_some()
        );
        assert!(listing.find("missing.zip").is_none());
    }

    #[test]
    fn missing_lists_are_empty() {
        let listing = Listing::from_json(b"{}").unwrap();
        assert!(listing.bulk.is_empty());
        assert!(listing.delta.is_empty());
    }
}
