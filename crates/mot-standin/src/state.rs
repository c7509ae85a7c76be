//! State shared by the request handlers: settings, issued tokens and URLs,
//! queued faults and the request log.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::fault::Faults;

/// One of the stand-in's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /{tenant}/oauth2/v2.0/token`.
    Token,
    /// `GET /v1/trade/vehicles/bulk-download`.
    Listing,
    /// `GET /files/{key}`, the presigned download URLs.
    File,
}

/// One request as the stand-in saw it, kept for test assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Endpoint that served the request.
    pub endpoint: Endpoint,
    /// Request path without the query string.
    pub path: String,
    /// `Range` header, if sent.
    pub range: Option<String>,
    /// Status code of the response.
    pub status: u16,
}

/// Client id, client secret and API key that the stand-in accepts.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) api_key: String,
}

/// Settings fixed when the server starts.
pub(crate) struct Settings {
    pub(crate) files_dir: PathBuf,
    pub(crate) credentials: Credentials,
    pub(crate) tenant_id: String,
    pub(crate) scope: String,
    pub(crate) url_ttl: Duration,
    pub(crate) token_ttl: Duration,
    pub(crate) chunk_size: usize,
    pub(crate) body_rate: Option<u64>,
    pub(crate) base_url: String,
}

/// A presigned URL handed out by a listing.
pub(crate) struct IssuedUrl {
    pub(crate) key: String,
    pub(crate) path: PathBuf,
    pub(crate) expires_at: Instant,
}

/// Everything the handlers share.
pub(crate) struct State {
    pub(crate) settings: Settings,
    tokens: Mutex<HashMap<String, Instant>>,
    urls: Mutex<HashMap<String, IssuedUrl>>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<RequestRecord>>,
}

impl State {
    pub(crate) fn new(settings: Settings) -> Self {
        State {
            settings,
            tokens: Mutex::default(),
            urls: Mutex::default(),
            faults: Mutex::default(),
            requests: Mutex::default(),
        }
    }

    /// Issues a new random access token valid for the token TTL.
    pub(crate) fn issue_token(&self) -> String {
        let token = random_string(64);
        let expires_at = Instant::now() + self.settings.token_ttl;
        lock(&self.tokens).insert(token.clone(), expires_at);
        token
    }

    /// Returns the expiry time of a token this server issued.
    pub(crate) fn token_expiry(&self, token: &str) -> Option<Instant> {
        lock(&self.tokens).get(token).copied()
    }

    /// Returns every access token issued so far.
    pub(crate) fn issued_tokens(&self) -> Vec<String> {
        lock(&self.tokens).keys().cloned().collect()
    }

    /// Records a presigned URL signature and drops signatures that expired.
    pub(crate) fn issue_url(&self, signature: String, url: IssuedUrl) {
        let now = Instant::now();
        let mut urls = lock(&self.urls);
        urls.retain(|_, issued| issued.expires_at > now);
        urls.insert(signature, url);
    }

    /// Returns the signatures of the presigned URLs not yet pruned, as they
    /// appear in the URL (percent-encoded).
    pub(crate) fn issued_signatures(&self) -> Vec<String> {
        lock(&self.urls).keys().cloned().collect()
    }

    /// Returns the object key, file path and expiry of a signature.
    pub(crate) fn lookup_url(&self, signature: &str) -> Option<(String, PathBuf, Instant)> {
        let urls = lock(&self.urls);
        let issued = urls.get(signature)?;
        Some((issued.key.clone(), issued.path.clone(), issued.expires_at))
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    pub(crate) fn record(&self, record: RequestRecord) {
        tracing::debug!(
            endpoint = ?record.endpoint,
            path = %record.path,
            range = ?record.range,
            status = record.status,
            "request served"
        );
        lock(&self.requests).push(record);
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.requests).clone()
    }
}

/// Locks a mutex, ignoring poisoning: every critical section leaves the data
/// consistent, so a panic in another handler does not invalidate it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Returns `len` random ASCII letters and digits.
pub(crate) fn random_string(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}
