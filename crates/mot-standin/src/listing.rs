//! The bulk-download listing endpoint and the presigned URLs it hands out.
//!
//! Auth failures return MOTH-style JSON bodies. The real API does not document
//! the HTTP status of each code, so this stand-in chooses one. A missing token
//! (`MOTH-FB-04`), an unknown token (`MOTH-UA-01`) and an expired token
//! (`MOTH-FB-02`) return 401. A missing or unknown API key (`MOTH-FB-03`)
//! returns 403.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use crate::fault::ListingFault;
use crate::state::{Endpoint, IssuedUrl, RequestRecord, State, random_string};

/// Path of the listing endpoint.
pub(crate) const LISTING_PATH: &str = "/v1/trade/vehicles/bulk-download";

/// One file of the listing, serialised as the real API names its fields.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ListedFile {
    filename: String,
    download_url: String,
    file_size: i64,
    file_created_on: String,
}

/// A `bulk-*.zip` or `delta-*.zip` found in the files directory.
#[derive(Debug)]
struct LocalFile {
    kind: &'static str,
    name: String,
    path: PathBuf,
    size: u64,
    created_on: NaiveDate,
}

/// Handles `GET /v1/trade/vehicles/bulk-download`.
pub(crate) async fn listing(
    AxumState(state): AxumState<Arc<State>>,
    headers: HeaderMap,
) -> Response {
    let response = respond(&state, &headers).await;

    state.record(RequestRecord {
        endpoint: Endpoint::Listing,
        path: LISTING_PATH.to_owned(),
        range: None,
        status: response.status().as_u16(),
    });
    response
}

async fn respond(state: &State, headers: &HeaderMap) -> Response {
    let fault = state.faults().listing.pop();
    let mut size_delta = 0;
    match fault {
        Some(ListingFault::ServerError) => {
            return moth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "MOTH-UN-01",
                "Unknown error",
            );
        }
        Some(ListingFault::TooManyRequests { retry_after }) => {
            let mut response = moth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "MOTH-RL-02",
                "Too many requests",
            );
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Some(ListingFault::TokenExpired) => {
            return moth_error(StatusCode::UNAUTHORIZED, "MOTH-FB-02", "Token expired");
        }
        Some(ListingFault::DailyQuota) => {
            return moth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "MOTH-RL-01",
                "Daily quota exceeded",
            );
        }
        Some(ListingFault::SizeMismatch { delta }) => size_delta = delta,
        None => {}
    }

    if let Err(error) = check_auth(state, headers) {
        return error.into_response();
    }

    match list_files(state, size_delta).await {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(error) => {
            tracing::debug!(%error, "failed to read the files directory");
            moth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "MOTH-UN-01",
                "Unknown error",
            )
        }
    }
}

fn check_auth(state: &State, headers: &HeaderMap) -> Result<(), MothError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let Some(token) = bearer else {
        return Err(MothError(
            StatusCode::UNAUTHORIZED,
            "MOTH-FB-04",
            "Missing authentication token",
        ));
    };

    match state.token_expiry(token) {
        None => {
            return Err(MothError(
                StatusCode::UNAUTHORIZED,
                "MOTH-UA-01",
                "Authentication failed",
            ));
        }
        Some(expires_at) if expires_at <= Instant::now() => {
            return Err(MothError(
                StatusCode::UNAUTHORIZED,
                "MOTH-FB-02",
                "Token expired",
            ));
        }
        Some(_) => {}
    }

    let api_key = headers
        .get("x-api-key")
        .and_then(|value| value.to_str().ok());
    if api_key != Some(state.settings.credentials.api_key.as_str()) {
        return Err(MothError(
            StatusCode::FORBIDDEN,
            "MOTH-FB-03",
            "API key unknown",
        ));
    }
    Ok(())
}

/// Builds the listing body and registers a fresh presigned URL per file.
async fn list_files(state: &State, size_delta: i64) -> std::io::Result<serde_json::Value> {
    let files = scan(&state.settings.files_dir).await?;
    let mut bulk = Vec::new();
    let mut delta = Vec::new();

    for file in files {
        let key = object_key(&file);
        let download_url = presign(state, &key, &file.path);
        let size = i64::try_from(file.size).unwrap_or(i64::MAX);
        let listed = ListedFile {
            filename: key,
            download_url,
            file_size: size.saturating_add(size_delta),
            file_created_on: file.created_on.format("%Y-%m-%d").to_string(),
        };

        if file.kind == "bulk" {
            bulk.push(listed);
        } else {
            delta.push(listed);
        }
    }
    Ok(json!({ "bulk": bulk, "delta": delta }))
}

/// Finds `bulk-*.zip` and `delta-*.zip` files whose names end in a
/// `_DD-MM-YYYY` date, sorted by name.
async fn scan(dir: &Path) -> std::io::Result<Vec<LocalFile>> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    let mut files = Vec::new();

    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((kind, created_on)) = classify(&name) else {
            continue;
        };
        let metadata = entry.metadata().await?;
        if !metadata.is_file() {
            continue;
        }
        files.push(LocalFile {
            kind,
            name,
            path: entry.path(),
            size: metadata.len(),
            created_on,
        });
    }

    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Returns the kind (`bulk` or `delta`) and the date in a file name such as
/// `delta-light-vehicle_03-07-2024.zip`.
fn classify(name: &str) -> Option<(&'static str, NaiveDate)> {
    let kind = if name.starts_with("bulk-") {
        "bulk"
    } else if name.starts_with("delta-") {
        "delta"
    } else {
        return None;
    };

    let stem = name.strip_suffix(".zip")?;
    let date = stem.rsplit('_').next()?;
    let created_on = NaiveDate::parse_from_str(date, "%d-%m-%Y").ok()?;
    Some((kind, created_on))
}

/// Builds an object key such as
/// `v1/public/bulk/year=2024/month=7/day=1/bulk-light-vehicle_01-07-2024.zip`.
fn object_key(file: &LocalFile) -> String {
    let date = file.created_on;
    format!(
        "v1/public/{}/year={}/month={}/day={}/{}",
        file.kind,
        date.year(),
        date.month(),
        date.day(),
        file.name
    )
}

/// Registers a new signature for `key` and returns an S3-style presigned URL.
///
/// The signature is random, not a real HMAC. The server keeps each issued
/// signature until it expires and checks it byte for byte. It always contains `%2F`, `%2B` and
/// `%3D`, so a client that decodes or re-encodes the query is rejected with
/// 403 `SignatureDoesNotMatch`.
fn presign(state: &State, key: &str, path: &Path) -> String {
    let ttl = state.settings.url_ttl;
    let signature = format!(
        "{}%2F{}%2B{}%3D",
        random_string(24),
        random_string(16),
        random_string(8)
    );
    state.issue_url(
        signature.clone(),
        IssuedUrl {
            key: key.to_owned(),
            path: path.to_owned(),
            expires_at: Instant::now() + ttl,
        },
    );

    let now = Utc::now();
    format!(
        "{base}/files/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=STANDIN%2F{day}%2Feu-west-2%2Fs3%2Faws4_request\
         &X-Amz-Date={time}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host\
         &X-Amz-Signature={signature}",
        base = state.settings.base_url,
        day = now.format("%Y%m%d"),
        time = now.format("%Y%m%dT%H%M%SZ"),
        expires = ttl_seconds(ttl),
    )
}

/// Returns a TTL in whole seconds, rounded up so that sub-second TTLs show 1.
pub(crate) fn ttl_seconds(ttl: Duration) -> u64 {
    ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0)
}

/// An error response: status, `errorCode` and `errorMessage`.
struct MothError(StatusCode, &'static str, &'static str);

impl IntoResponse for MothError {
    fn into_response(self) -> Response {
        moth_error(self.0, self.1, self.2)
    }
}

/// Builds an error response in the MOT History API's JSON format.
fn moth_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "errorCode": code,
        "errorMessage": message,
        "requestId": random_string(20),
    });
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_reads_kind_and_date() {
        let date = NaiveDate::from_ymd_opt(2024, 7, 3).unwrap();
        assert_eq!(
            classify("delta-light-vehicle_03-07-2024.zip"),
            Some(("delta", date))
        );
        assert_eq!(classify("bulk-x_03-07-2024.zip"), Some(("bulk", date)));
        assert_eq!(classify("other_03-07-2024.zip"), None);
        assert_eq!(classify("bulk-x.zip"), None);
        assert_eq!(classify("bulk-x_03-07-2024.gz"), None);
    }

    #[test]
    fn ttl_seconds_rounds_up() {
        assert_eq!(ttl_seconds(Duration::from_millis(300)), 1);
        assert_eq!(ttl_seconds(Duration::from_secs(300)), 300);
    }
}
