//! Errors of the MOT History API client.
//!
//! No variant contains a secret: URLs are shown as `scheme://host/path`, and
//! network errors are stored without their URL.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The setting to check after an authentication failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// `client_id`, `client_secret` and the tenant id in `token_url`.
    ClientCredentials,
    /// `api_key`.
    ApiKey,
    /// `scope`.
    Scope,
    /// All of them, because the response does not name the one that failed.
    All,
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credential::ClientCredentials => {
                "client_id, client_secret and the tenant id in token_url"
            }
            Credential::ApiKey => "api_key",
            Credential::Scope => "scope",
            Credential::All => {
                "client_id, client_secret, api_key and the tenant id in token_url, \
                 and that they belong to the same API registration"
            }
        })
    }
}

/// An error of the MOT History API client.
///
/// [`Error::is_retryable`] returns whether trying again later may succeed. The
/// client has already retried such errors before returning them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is invalid.
    #[error("invalid configuration value {field}: {reason}")]
    InvalidConfig {
        /// Name of the `ClientConfig` field.
        field: &'static str,
        /// Problem with the value, and the value to use instead.
        reason: String,
    },

    /// The HTTP client could not be built.
    #[error("failed to build the HTTP client; check the TLS setup of this machine")]
    HttpClient(#[source] reqwest::Error),

    /// The token endpoint rejected the client credentials, tenant or scope.
    #[error(
        "token endpoint {token_url} rejected the request with {error}: {description}; \
         check {check}"
    )]
    TokenRejected {
        /// Token endpoint, without query string.
        token_url: String,
        /// OAuth2 error code, such as `invalid_client`.
        error: String,
        /// Error description from the endpoint, such as `AADSTS7000215: …`.
        description: String,
        /// Setting to check.
        check: Credential,
    },

    /// The token request failed without a usable response.
    #[error("token request to {token_url} failed: {reason}")]
    TokenRequest {
        /// Token endpoint, without query string.
        token_url: String,
        /// Cause of the failure, including any network error.
        reason: String,
        /// Whether a later attempt may succeed.
        retryable: bool,
        /// Wait asked for by a `Retry-After` header.
        retry_after: Option<Duration>,
    },

    /// The API returned an error body such as `MOTH-RL-02`.
    #[error(
        "API request to {url} failed with HTTP {status} {code}: {message} \
         (request id {request_id}); {hint}",
        hint = api_hint(.code, *.status)
    )]
    Api {
        /// Request URL, without query string.
        url: String,
        /// HTTP status.
        status: u16,
        /// `errorCode`, such as `MOTH-RL-01`.
        code: String,
        /// `errorMessage`.
        message: String,
        /// `requestId`, to quote to the API's support.
        request_id: String,
        /// Wait asked for by a `Retry-After` header.
        retry_after: Option<Duration>,
    },

    /// The API rejected the credentials, after one token refresh where a
    /// refresh could help.
    #[error(
        "API rejected the credentials with HTTP {status} {code}: {message} \
         (request id {request_id}); check {check}"
    )]
    AuthRejected {
        /// HTTP status.
        status: u16,
        /// `errorCode`, such as `MOTH-FB-03`.
        code: String,
        /// `errorMessage`.
        message: String,
        /// `requestId`, to quote to the API's support.
        request_id: String,
        /// Setting to check.
        check: Credential,
    },

    /// The server returned an HTTP error status without a MOTH error body.
    #[error("request to {url} failed with HTTP {status}{detail}; {hint}", hint = status_hint(*.status))]
    Status {
        /// Request URL, without query string.
        url: String,
        /// HTTP status.
        status: u16,
        /// Error code and message from the body, if any, starting with `: `.
        detail: String,
        /// Wait asked for by a `Retry-After` header.
        retry_after: Option<Duration>,
    },

    /// A request failed on the network or timed out.
    #[error("request to {url} failed; check the network connection and the URL")]
    Network {
        /// Request URL, without query string.
        url: String,
        /// The network error, without its URL.
        #[source]
        source: reqwest::Error,
    },

    /// The listing body does not have the documented shape.
    #[error(
        "listing from {url} is not valid JSON of the documented shape; the API may have changed"
    )]
    InvalidListing {
        /// Listing URL.
        url: String,
        /// The parse error, with line and column.
        #[source]
        source: serde_json::Error,
    },

    /// A `filename` in the listing is not safe to use as a local file name.
    #[error("file name {filename:?} from the listing is unsafe as a local name: {reason}")]
    UnsafeFileName {
        /// The `filename` value from the listing.
        filename: String,
        /// Rule the name breaks.
        reason: &'static str,
    },

    /// A download URL would change if parsed and sent, which breaks its
    /// signature.
    #[error("download URL {url} for {filename} cannot be sent unchanged: {reason}")]
    UnsupportedDownloadUrl {
        /// The file's `filename`.
        filename: String,
        /// The URL, without query string.
        url: String,
        /// Change that parsing would make.
        reason: String,
    },

    /// The download host kept returning 403, even for fresh URLs.
    #[error(
        "download URL for {filename} was rejected with HTTP 403 {code} ({message}) after \
         {refreshes} fresh listings; check the system clock, then list the files again"
    )]
    UrlRejected {
        /// The file's `filename`.
        filename: String,
        /// S3 error code, such as `AccessDenied`.
        code: String,
        /// S3 error message, such as `Request has expired`.
        message: String,
        /// Fresh listings fetched before giving up.
        refreshes: u32,
    },

    /// The download server's size of a file disagrees with `fileSize` in the
    /// listing. The partial download is removed.
    #[error(
        "listing says {filename} has {expected} bytes but the download server {found}; \
         list the files again and retry"
    )]
    SizeMismatch {
        /// The file's `filename`.
        filename: String,
        /// `fileSize` from the listing.
        expected: u64,
        /// Size the server reported, or the amount it sent.
        found: String,
    },

    /// A fresh listing shows a different size for a file being downloaded.
    /// The partial download is removed.
    #[error(
        "{filename} changed from {old_size} to {new_size} bytes between listings; \
         the partial download was removed, start the download again"
    )]
    ListingChanged {
        /// The file's `filename`.
        filename: String,
        /// `fileSize` in the listing the download started from.
        old_size: u64,
        /// `fileSize` in the fresh listing.
        new_size: u64,
    },

    /// A fresh listing, fetched to renew an expired URL, no longer has the file.
    #[error(
        "{filename} is no longer in the listing, so its download URL cannot be renewed; \
         list the files again and download a current file"
    )]
    NotInListing {
        /// The file's `filename`.
        filename: String,
    },

    /// The `Content-Range` of a `206` response does not start at the requested
    /// byte, or cannot be parsed.
    #[error(
        "download server responded to the request for {filename} from byte {expected} with \
         Content-Range {content_range:?}; the partial file was discarded"
    )]
    BadContentRange {
        /// The file's `filename`.
        filename: String,
        /// Requested start byte.
        expected: u64,
        /// The `Content-Range` header as received, or `(missing)`.
        content_range: String,
    },

    /// A response body ended before all its bytes arrived.
    #[error("download of {filename} ended at byte {received} of {expected}")]
    Truncated {
        /// The file's `filename`.
        filename: String,
        /// Bytes on disk when the body ended.
        received: u64,
        /// `fileSize` from the listing.
        expected: u64,
    },

    /// Reading a response body failed part way.
    #[error("download of {filename} failed at byte {offset}")]
    Body {
        /// The file's `filename`.
        filename: String,
        /// Bytes on disk when the read failed.
        offset: u64,
        /// The network error, without its URL.
        #[source]
        source: reqwest::Error,
    },

    /// A local file operation failed.
    #[error(
        "failed to {action} {path}; check that the directory exists, is writable and has free space"
    )]
    Io {
        /// The operation, such as `write`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// Every attempt failed with a retryable error.
    #[error("gave up after {attempts} attempts; try again later")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        last: Box<Error>,
    },
}

impl Error {
    /// Returns whether trying again later may succeed.
    ///
    /// Network errors, timeouts, 5xx, `429`, `MOTH-RL-02` and broken downloads
    /// are retryable. Credential errors, `MOTH-RL-01` (daily quota), bad
    /// requests, not found and local errors are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network { .. }
            | Error::Body { .. }
            | Error::Truncated { .. }
            | Error::BadContentRange { .. } => true,
            Error::TokenRequest { retryable, .. } => *retryable,
            Error::Api { code, status, .. } => api_code_retryable(code, *status),
            Error::Status { status, .. } => status_retryable(*status),
            _ => false,
        }
    }

    /// Returns the wait a `Retry-After` header asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. }
            | Error::Status { retry_after, .. }
            | Error::TokenRequest { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Returns the error of the last attempt behind [`Error::GaveUp`], or
    /// `self` for other errors.
    pub fn last_attempt(&self) -> &Error {
        match self {
            Error::GaveUp { last, .. } => last.last_attempt(),
            other => other,
        }
    }

    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

fn api_code_retryable(code: &str, status: u16) -> bool {
    match code {
        "MOTH-RL-02" => true,
        "MOTH-RL-01" => false,
        _ if code.starts_with("MOTH-BR-")
            || code.starts_with("MOTH-NF-")
            || code.starts_with("MOTH-UA-")
            || code.starts_with("MOTH-FB-") =>
        {
            false
        }
        _ => status_retryable(status),
    }
}

fn status_retryable(status: u16) -> bool {
    status >= 500 || status == 429 || status == 408
}

fn api_hint(code: &str, status: u16) -> &'static str {
    match code {
        "MOTH-RL-01" => "the daily request quota is used up; try again tomorrow",
        "MOTH-RL-02" => "too many requests; wait a few minutes and try again",
        _ if code.starts_with("MOTH-NF-") => "check api_url",
        _ if code.starts_with("MOTH-BR-") => "the API did not accept the request; check api_url",
        _ if status_retryable(status) => "the API is failing; try again later",
        _ => "quote the request id to the API's support if this persists",
    }
}

fn status_hint(status: u16) -> &'static str {
    if status_retryable(status) {
        "the server is busy or failing; try again later"
    } else {
        "check the configured URLs"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, status: u16) -> Error {
        Error::Api {
            url: "https://h/x".into(),
            status,
            code: code.into(),
            message: "m".into(),
            request_id: "r".into(),
            retry_after: None,
        }
    }

    #[test]
    fn retryable_api_codes() {
        assert!(api("MOTH-RL-02", 429).is_retryable());
        assert!(api("MOTH-UN-01", 500).is_retryable());
        assert!(api("OTHER", 503).is_retryable());
    }

    #[test]
    fn final_api_codes() {
        assert!(!api("MOTH-RL-01", 429).is_retryable());
        assert!(!api("MOTH-BR-01", 400).is_retryable());
        assert!(!api("MOTH-NF-01", 404).is_retryable());
        assert!(!api("MOTH-UA-01", 401).is_retryable());
        assert!(!api("MOTH-FB-03", 403).is_retryable());
    }

    #[test]
    fn api_message_names_code_and_hint() {
        let text = api("MOTH-RL-01", 429).to_string();
        assert!(text.contains("MOTH-RL-01"), "{text}");
        assert!(text.contains("try again tomorrow"), "{text}");
    }
}
