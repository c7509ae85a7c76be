//! OAuth2 client credentials tokens from Microsoft Entra ID, cached until
//! shortly before they expire.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType};
use oauth2::{
    AsyncHttpClient, AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpRequest,
    HttpResponse, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::{ClientConfig, RetryPolicy};
use crate::error::{Credential, Error};
use crate::retry;
use crate::secret::{Secret, redact_url};

type OAuthClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Lifetime assumed when a token response has no `expires_in`. Entra's
/// responses include it, so this applies only to servers that omit it.
const ASSUMED_LIFETIME: Duration = Duration::from_secs(300);

/// A failure of the HTTP exchange itself, before OAuth2 parses the response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    /// The request failed on the network or timed out.
    #[error("network error")]
    Network(#[source] reqwest::Error),
    /// The endpoint returned 5xx or 429, which is worth retrying.
    #[error("HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The request or response could not be converted.
    #[error("invalid HTTP message")]
    Http(#[source] oauth2::http::Error),
}

/// Sends the `oauth2` crate's requests through the client's own `reqwest`
/// client, so that timeouts, user agent and TLS settings apply.
struct OAuthHttp {
    http: reqwest::Client,
    timeout: Duration,
}

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

impl OAuthHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let network = |error: reqwest::Error| TransportError::Network(error.without_url());
        let mut request = reqwest::Request::try_from(request).map_err(network)?;
        *request.timeout_mut() = Some(self.timeout);

        let response = self.http.execute(request).await.map_err(network)?;
        let status = response.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(TransportError::Status {
                status: status.as_u16(),
                retry_after: retry::retry_after(response.headers()),
            });
        }

        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(network)?;
        let mut converted = oauth2::http::Response::builder().status(status);
        if let Some(target) = converted.headers_mut() {
            target.extend(headers);
        }
        converted.body(body.to_vec()).map_err(TransportError::Http)
    }
}

struct CachedToken {
    token: Secret,
    refresh_at: Instant,
}

/// Fetches and caches access tokens.
pub(crate) struct TokenSource {
    oauth: OAuthClient,
    transport: OAuthHttp,
    scope: String,
    token_url: String,
    margin: Duration,
    retry: RetryPolicy,
    cached: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub(crate) fn new(config: &ClientConfig, http: reqwest::Client) -> Self {
        let oauth = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(TokenUrl::from_url(config.token_url.clone()));

        TokenSource {
            oauth,
            transport: OAuthHttp {
                http,
                timeout: config.timeouts.request,
            },
            scope: config.scope.clone(),
            token_url: redact_url(config.token_url.as_str()),
            margin: config.token_refresh_margin,
            retry: config.retry,
            cached: Mutex::new(None),
        }
    }

    /// Returns the cached token, or fetches a new one when there is none or it
    /// is within the refresh margin of expiring.
    pub(crate) async fn bearer(&self) -> Result<Secret, Error> {
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref() {
            if Instant::now() < current.refresh_at {
                return Ok(current.token.clone());
            }
        }

        let fresh = retry::run(&self.retry, "fetch access token", || self.fetch()).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Drops the cached token if it is still `rejected`, so the next call to
    /// [`TokenSource::bearer`] fetches a new one. A token that another caller
    /// already replaced is kept.
    pub(crate) async fn invalidate(&self, rejected: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.token == *rejected) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<CachedToken, Error> {
        tracing::debug!(token_url = %self.token_url, scope = %self.scope, "requesting access token");
        let requested_at = Instant::now();
        let response = self
            .oauth
            .exchange_client_credentials()
            .add_scope(Scope::new(self.scope.clone()))
            .request_async(&self.transport)
            .await
            .map_err(|error| self.classify(error))?;

        let lifetime = response.expires_in().unwrap_or(ASSUMED_LIFETIME);
        let margin = self.margin.min(lifetime / 10);
        tracing::debug!(
            expires_in_s = lifetime.as_secs(),
            refresh_margin_ms = margin.as_millis(),
            "access token received"
        );
        Ok(CachedToken {
            token: Secret::new(response.access_token().secret().as_str()),
            refresh_at: requested_at + lifetime - margin,
        })
    }

    fn classify(&self, error: RequestTokenError<TransportError, BasicErrorResponse>) -> Error {
        let failed =
            |reason: String, retryable: bool, retry_after: Option<Duration>| Error::TokenRequest {
                token_url: self.token_url.clone(),
                reason,
                retryable,
                retry_after,
            };

        match error {
            RequestTokenError::ServerResponse(body) => self.rejected(&body),
            RequestTokenError::Request(TransportError::Network(source)) => {
                failed(error_chain(&source), true, None)
            }
            RequestTokenError::Request(TransportError::Status {
                status,
                retry_after,
            }) => failed(format!("HTTP {status}"), true, retry_after),
            RequestTokenError::Request(TransportError::Http(source)) => {
                failed(format!("invalid HTTP message: {source}"), false, None)
            }
            // The parse error is reported by field path only, because its text
            // can quote values from the body.
            RequestTokenError::Parse(source, _) => failed(
                format!(
                    "the response is not a valid token response (field {})",
                    source.path()
                ),
                false,
                None,
            ),
            RequestTokenError::Other(reason) => failed(reason, false, None),
        }
    }

    /// Converts an OAuth2 error body such as `invalid_client`.
    fn rejected(&self, body: &BasicErrorResponse) -> Error {
        let code = body.error();
        let description = body
            .error_description()
            .map(|text| text.trim_end_matches('.').to_owned())
            .unwrap_or_default();

        if let BasicErrorResponseType::Extension(name) = code {
            if name == "temporarily_unavailable" || name == "server_error" {
                return Error::TokenRequest {
                    token_url: self.token_url.clone(),
                    reason: format!("{name}: {description}"),
                    retryable: true,
                    retry_after: None,
                };
            }
        }

        let check = match code {
            BasicErrorResponseType::InvalidScope => Credential::Scope,
            _ => Credential::ClientCredentials,
        };
        Error::TokenRejected {
            token_url: self.token_url.clone(),
            error: code.to_string(),
            description,
            check,
        }
    }
}

/// Joins an error and its sources with `: `.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
