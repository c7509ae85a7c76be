//! Client settings with their defaults.

use std::time::Duration;

use reqwest::Url;

use crate::error::Error;
use crate::secret::Secret;

/// Default API base URL.
pub const DEFAULT_API_URL: &str = "https://history.mot.api.gov.uk";
/// Default OAuth2 scope of the MOT History API.
pub const DEFAULT_SCOPE: &str = "https://tapi.dvsa.gov.uk/.default";

/// Settings of a [`Client`](crate::Client).
///
/// [`ClientConfig::new`] fills every field but the credentials with the
/// defaults documented on each field. Change fields directly afterwards.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL. Default: `https://history.mot.api.gov.uk`.
    pub api_url: Url,
    /// OAuth2 token endpoint. Default:
    /// `https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token`.
    pub token_url: Url,
    /// OAuth2 scope requested with the token. Default:
    /// `https://tapi.dvsa.gov.uk/.default`.
    pub scope: String,
    /// OAuth2 client id of the API registration.
    pub client_id: String,
    /// OAuth2 client secret of the API registration.
    pub client_secret: Secret,
    /// API key sent as `X-API-Key` on every API call.
    pub api_key: Secret,
    /// Rate limit of API calls. Default: 15 requests/s, burst 10.
    pub rate_limit: RateLimit,
    /// Retry policy for API calls and downloads.
    pub retry: RetryPolicy,
    /// Network timeouts.
    pub timeouts: Timeouts,
    /// How long before `expires_in` runs out a cached token is replaced.
    /// Default: 60 s, capped at 10 % of the token's lifetime.
    pub token_refresh_margin: Duration,
    /// `User-Agent` header. Default: `dvla-client/<crate version>`.
    pub user_agent: String,
}

/// A token bucket limit on API calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second. Default: 15.
    pub requests_per_second: f64,
    /// Requests allowed at once after an idle spell. Default: 10.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            requests_per_second: 15.0,
            burst: 10,
        }
    }
}

/// Exponential backoff with jitter.
///
/// The delay before retry `n` (from 1) is drawn between half and all of
/// `min(base_delay * 2^(n-1), max_delay)`. A `Retry-After` header replaces the
/// drawn delay, and one longer than `max_retry_after` ends the retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per API call, and failed download requests in a row without
    /// new bytes, before giving up. Default: 5.
    pub max_attempts: u32,
    /// Delay before the first retry. Default: 500 ms.
    pub base_delay: Duration,
    /// Maximum delay drawn by the backoff. Default: 30 s.
    pub max_delay: Duration,
    /// Maximum `Retry-After` the client waits for. Default: 5 minutes.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// Network timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Time to open a connection. Default: 10 s.
    pub connect: Duration,
    /// Whole-request limit for token and listing calls. Default: 60 s.
    pub request: Duration,
    /// Maximum wait for the next bytes of any response. A download has no
    /// overall limit. Default: 60 s.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
            read: Duration::from_secs(60),
        }
    }
}

impl ClientConfig {
    /// Builds a configuration with the defaults for the real API.
    ///
    /// `tenant_id` is the Microsoft Entra tenant of the API registration and
    /// fills the default token URL.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidConfig`] when `tenant_id` is empty or contains
    /// characters other than ASCII letters, digits, `-` and `.`.
    pub fn new(
        tenant_id: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        api_key: impl Into<Secret>,
    ) -> Result<Self, Error> {
        Ok(ClientConfig {
            api_url: Url::parse(DEFAULT_API_URL).expect("the default API URL is valid"),
            token_url: default_token_url(tenant_id)?,
            scope: DEFAULT_SCOPE.to_owned(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            api_key: api_key.into(),
            rate_limit: RateLimit::default(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            token_refresh_margin: Duration::from_secs(60),
            user_agent: concat!("dvla-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        })
    }

    /// Checks the values that `Client::new` relies on.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let invalid = |field: &'static str, reason: &str| Error::InvalidConfig {
            field,
            reason: reason.to_owned(),
        };

        let rate = self.rate_limit.requests_per_second;
        if rate.is_nan() || rate <= 0.0 {
            return Err(invalid("rate_limit.requests_per_second", "must be above 0"));
        }
        if self.rate_limit.burst == 0 {
            return Err(invalid("rate_limit.burst", "must be at least 1"));
        }
        if self.retry.max_attempts == 0 {
            return Err(invalid("retry.max_attempts", "must be at least 1"));
        }
        if self.client_id.is_empty() {
            return Err(invalid("client_id", "must not be empty"));
        }
        if self.client_secret.expose().is_empty() {
            return Err(invalid("client_secret", "must not be empty"));
        }
        if self.api_key.expose().is_empty() {
            return Err(invalid("api_key", "must not be empty"));
        }
        for (field, url) in [("api_url", &self.api_url), ("token_url", &self.token_url)] {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid(field, "must be an http or https URL"));
            }
        }
        Ok(())
    }
}

/// Builds `https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token`.
fn default_token_url(tenant_id: &str) -> Result<Url, Error> {
    let valid = !tenant_id.is_empty()
        && tenant_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !valid {
        return Err(Error::InvalidConfig {
            field: "tenant_id",
            reason: format!(
                "{tenant_id:?} is not a tenant id; use the directory (tenant) id \
                 or domain from the API registration"
            ),
        });
    }

    let url = format!("https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token");
    Ok(Url::parse(&url).expect("a checked tenant id gives a valid URL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_fills_defaults() {
        let config = ClientConfig::new("my-tenant", "id", "secret", "key").unwrap();
        assert_eq!(config.api_url.as_str(), "https://history.mot.api.gov.uk/");
        assert_eq!(
            config.token_url.as_str(),
            "https://login.microsoftonline.com/my-tenant/oauth2/v2.0/token"
        );
        assert_eq!(config.scope, DEFAULT_SCOPE);
        assert_eq!(config.rate_limit, RateLimit::default());
        assert!(config.validate().is_ok());
    }

    #[test]
    fn new_rejects_tenant_with_slash() {
        let error = ClientConfig::new("a/b", "id", "secret", "key").unwrap_err();
        assert!(error.to_string().contains("\"a/b\""), "{error}");
    }

    #[test]
    fn validate_rejects_zero_rate() {
        let mut config = ClientConfig::new("t", "id", "secret", "key").unwrap();
        config.rate_limit.requests_per_second = 0.0;
        let error = config.validate().unwrap_err();
        assert!(error.to_string().contains("requests_per_second"), "{error}");
    }
}
