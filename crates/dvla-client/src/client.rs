//! The client and its API calls.

use std::fmt;
use std::sync::Arc;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;

use crate::config::ClientConfig;
use crate::error::{Credential, Error};
use crate::listing::Listing;
use crate::rate::RateLimiter;
use crate::retry;
use crate::secret::{Secret, redact_url};
use crate::token::TokenSource;

/// Path of the bulk-download listing under the API base URL.
const LISTING_PATH: &str = "v1/trade/vehicles/bulk-download";

/// A client of the MOT History bulk-download API.
///
/// Cloning is cheap and clones share the token cache, rate limiter and
/// connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    pub(crate) http: reqwest::Client,
    tokens: TokenSource,
    limiter: RateLimiter,
    listing_url: Url,
    api_key: HeaderValue,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// An error body of the API, such as
/// `{"errorCode":"MOTH-RL-02","errorMessage":"…","requestId":"…"}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiErrorBody {
    error_code: String,
    #[serde(default)]
    error_message: String,
    #[serde(default)]
    request_id: String,
}

impl Client {
    /// Builds a client. No request is sent until the first call.
    ///
    /// Redirects are not followed, so that the API key never reaches another
    /// host.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidConfig`] for an invalid setting and
    /// [`Error::HttpClient`] when the TLS backend cannot be set up.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        config.validate()?;

        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.timeouts.connect)
            .read_timeout(config.timeouts.read)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| Error::HttpClient(error.without_url()))?;

        let mut api_key =
            HeaderValue::from_str(config.api_key.expose()).map_err(|_| Error::InvalidConfig {
                field: "api_key",
                reason: "contains characters that cannot be sent in an HTTP header".to_owned(),
            })?;
        api_key.set_sensitive(true);

        let inner = Inner {
            tokens: TokenSource::new(&config, http.clone()),
            limiter: RateLimiter::new(config.rate_limit),
            listing_url: listing_url(&config.api_url)?,
            api_key,
            http,
            config,
        };
        Ok(Client {
            inner: Arc::new(inner),
        })
    }

    /// Returns the configuration the client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Fetches the listing of bulk and delta files.
    ///
    /// The download URLs in the listing expire about 5 minutes later;
    /// [`Client::download`] renews them when needed.
    ///
    /// # Errors
    ///
    /// Returns [`Error::GaveUp`] when every attempt failed with a retryable
    /// error, [`Error::TokenRejected`] or [`Error::AuthRejected`] when the
    /// credentials are wrong, [`Error::Api`] for other API errors such as the
    /// daily quota (`MOTH-RL-01`), and [`Error::InvalidListing`] for a body of
    /// another shape.
    pub async fn list_files(&self) -> Result<Listing, Error> {
        let policy = self.inner.config.retry;
        retry::run(&policy, "list files", || self.list_with_refresh()).await
    }

    /// Lists once, and once more with a new token if the API rejected the
    /// cached one.
    async fn list_with_refresh(&self) -> Result<Listing, Error> {
        let token = self.inner.tokens.bearer().await?;
        match self.list_once(&token).await {
            Err(error) if is_token_rejection(&error) => {
                tracing::debug!(%error, "access token rejected, fetching a new one");
                self.inner.tokens.invalidate(&token).await;
                let token = self.inner.tokens.bearer().await?;
                let second = self.list_once(&token).await;
                second.map_err(|error| auth_failure(error, true))
            }
            other => other.map_err(|error| auth_failure(error, false)),
        }
    }

    async fn list_once(&self, token: &Secret) -> Result<Listing, Error> {
        self.inner.limiter.acquire().await;
        let url = &self.inner.listing_url;
        tracing::debug!(url = %url, "requesting listing");

        let network = |error: reqwest::Error| Error::Network {
            url: url.to_string(),
            source: error.without_url(),
        };
        let response = self
            .inner
            .http
            .get(url.clone())
            .bearer_auth(token.expose())
            .header("X-API-Key", self.inner.api_key.clone())
            .timeout(self.inner.config.timeouts.request)
            .send()
            .await
            .map_err(network)?;

        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(network)?;
        tracing::debug!(url = %url, status = status.as_u16(), bytes = body.len(), "listing response");

        if !status.is_success() {
            return Err(api_error(url.as_str(), status.as_u16(), &headers, &body));
        }
        Listing::from_json(&body).map_err(|source| Error::InvalidListing {
            url: url.to_string(),
            source,
        })
    }
}

/// Builds the listing URL from the API base URL, keeping any base path.
fn listing_url(api_url: &Url) -> Result<Url, Error> {
    let base = api_url.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{LISTING_PATH}")).map_err(|error| Error::InvalidConfig {
        field: "api_url",
        reason: format!(
            "{} cannot be extended with a path: {error}",
            redact_url(base)
        ),
    })
}

/// Converts an error response of the API, with or without a MOTH body.
fn api_error(url: &str, status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let url = redact_url(url);
    let retry_after = retry::retry_after(headers);

    match serde_json::from_slice::<ApiErrorBody>(body) {
        Ok(parsed) => Error::Api {
            url,
            status,
            code: parsed.error_code,
            message: parsed.error_message,
            request_id: parsed.request_id,
            retry_after,
        },
        Err(_) => Error::Status {
            url,
            status,
            detail: String::new(),
            retry_after,
        },
    }
}

/// Returns whether a fresh token may fix the error: HTTP 401, or the codes for
/// an expired (`MOTH-FB-02`) or missing (`MOTH-FB-04`) token or failed
/// authentication (`MOTH-UA-01`).
fn is_token_rejection(error: &Error) -> bool {
    match error {
        Error::Api { status, code, .. } => {
            *status == 401 || matches!(code.as_str(), "MOTH-FB-02" | "MOTH-FB-04" | "MOTH-UA-01")
        }
        Error::Status { status, .. } => *status == 401,
        _ => false,
    }
}

/// Turns credential errors into [`Error::AuthRejected`], naming the setting
/// to check. Token rejections become final only `after_refresh`.
fn auth_failure(error: Error, after_refresh: bool) -> Error {
    let check = match &error {
        Error::Api { code, .. } if code == "MOTH-FB-03" => Credential::ApiKey,
        Error::Api { code, .. } if code == "MOTH-FB-01" => Credential::All,
        Error::Api { code, .. } if code == "MOTH-UA-01" && after_refresh => Credential::All,
        _ if after_refresh && is_token_rejection(&error) => Credential::ClientCredentials,
        _ => return error,
    };

    match error {
        Error::Api {
            status,
            code,
            message,
            request_id,
            ..
        } => Error::AuthRejected {
            status,
            code,
            message,
            request_id,
            check,
        },
        Error::Status { status, .. } => Error::AuthRejected {
            status,
            code: String::new(),
            message: "unauthorized".to_owned(),
            request_id: String::new(),
            check,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_url_keeps_base_path() {
        let url = listing_url(&Url::parse("http://127.0.0.1:9/api/").unwrap()).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/api/v1/trade/vehicles/bulk-download"
        );
    }

    #[test]
    fn api_error_reads_moth_body() {
        let body = br#"{"errorCode":"MOTH-RL-02","errorMessage":"slow down","requestId":"r1"}"#;
        let error = api_error("https://h/x?q=1", 429, &HeaderMap::new(), body);
        let Error::Api { url, code, .. } = &error else {
            panic!("unexpected {error:?}");
        };
        assert_eq!(code, "MOTH-RL-02");
        assert_eq!(url, "https://h/x?[redacted]");
        assert!(error.is_retryable());
    }

    #[test]
    fn unknown_api_key_is_final_at_once() {
        let error = api_error(
            "https://h/x",
            403,
            &HeaderMap::new(),
            br#"{"errorCode":"MOTH-FB-03","errorMessage":"API key unknown","requestId":"r"}"#,
        );
        let error = auth_failure(error, false);
        assert!(matches!(
            error,
            Error::AuthRejected {
                check: Credential::ApiKey,
                ..
            }
        ));
    }
}
