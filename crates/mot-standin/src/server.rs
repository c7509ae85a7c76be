//! Builder, startup and control of the stand-in server.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::fault::Fault;
use crate::state::{Credentials, Endpoint, RequestRecord, Settings, State};
use crate::{files, listing, token};

/// Client id accepted unless [`StandInBuilder::credentials`] sets another.
pub const DEFAULT_CLIENT_ID: &str = "standin-client-id";
/// Client secret accepted unless [`StandInBuilder::credentials`] sets another.
pub const DEFAULT_CLIENT_SECRET: &str = "standin-client-secret";
/// API key accepted unless [`StandInBuilder::credentials`] sets another.
pub const DEFAULT_API_KEY: &str = "standin-api-key";
/// Tenant id in the token path unless [`StandInBuilder::tenant_id`] sets another.
pub const DEFAULT_TENANT_ID: &str = "standin-tenant";
/// OAuth2 scope the token endpoint requires, the same as the real API's.
pub const DEFAULT_SCOPE: &str = "https://tapi.dvsa.gov.uk/.default";

/// Entry point of the stand-in: `StandIn::builder()`.
#[derive(Debug)]
pub struct StandIn;

impl StandIn {
    /// Returns a builder with the defaults listed on [`StandInBuilder`].
    pub fn builder() -> StandInBuilder {
        StandInBuilder::default()
    }
}

/// Settings of a stand-in server before it starts.
///
/// The files directory is required. Other settings default to the `DEFAULT_*`
/// credentials, tenant and scope of this crate, 64 KiB body chunks, no body
/// rate limit and any free port. URLs stay valid for 300 s, as on the real
/// API, and tokens for 1199 s, as in Microsoft's example response.
#[derive(Clone)]
pub struct StandInBuilder {
    files_dir: Option<PathBuf>,
    credentials: Credentials,
    tenant_id: String,
    scope: String,
    url_ttl: Duration,
    token_ttl: Duration,
    chunk_size: usize,
    body_rate: Option<u64>,
    port: u16,
}

impl Default for StandInBuilder {
    fn default() -> Self {
        StandInBuilder {
            files_dir: None,
            credentials: Credentials {
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
                api_key: DEFAULT_API_KEY.to_owned(),
            },
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            scope: DEFAULT_SCOPE.to_owned(),
            url_ttl: Duration::from_secs(300),
            token_ttl: Duration::from_secs(1199),
            chunk_size: 64 * 1024,
            body_rate: None,
            port: 0,
        }
    }
}

impl fmt::Debug for StandInBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandInBuilder")
            .field("files_dir", &self.files_dir)
            .field("tenant_id", &self.tenant_id)
            .field("url_ttl", &self.url_ttl)
            .field("token_ttl", &self.token_ttl)
            .field("chunk_size", &self.chunk_size)
            .field("body_rate", &self.body_rate)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl StandInBuilder {
    /// Sets the directory whose `bulk-*.zip` and `delta-*.zip` files are listed.
    pub fn files_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.files_dir = Some(dir.into());
        self
    }

    /// Sets the client id, client secret and API key the server accepts.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        api_key: impl Into<String>,
    ) -> Self {
        self.credentials = Credentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            api_key: api_key.into(),
        };
        self
    }

    /// Sets the tenant id that the token path must contain.
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = tenant_id.into();
        self
    }

    /// Sets how long a presigned URL stays valid after the listing call.
    pub fn url_ttl(mut self, ttl: Duration) -> Self {
        self.url_ttl = ttl;
        self
    }

    /// Sets how long an access token stays valid. The token response's
    /// `expires_in` shows it in whole seconds, so tests that need the token to
    /// expire should use whole seconds too.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Sets the size of the chunks that file bodies are sent in.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes;
        self
    }

    /// Limits every file body to `bytes_per_sec` bytes per second, for
    /// progress demos. `None` sends as fast as possible.
    pub fn body_rate(mut self, bytes_per_sec: Option<u64>) -> Self {
        self.body_rate = bytes_per_sec;
        self
    }

    /// Sets the port to listen on. Port 0 picks a free port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    ///
    /// Returns [`Error::FilesDir`] when no files directory was set or it is not
    /// a directory, and [`Error::Bind`] when the port cannot be bound.
    pub async fn start(self) -> Result<RunningStandIn, Error> {
        let files_dir = self.checked_files_dir().await?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))
            .await
            .map_err(|source| Error::Bind {
                port: self.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            port: self.port,
            source,
        })?;

        let settings = Settings {
            files_dir,
            credentials: self.credentials,
            tenant_id: self.tenant_id,
            scope: self.scope,
            url_ttl: self.url_ttl,
            token_ttl: self.token_ttl,
            chunk_size: self.chunk_size,
            body_rate: self.body_rate,
            base_url: format!("http://{addr}"),
        };
        let state = Arc::new(State::new(settings));
        Ok(RunningStandIn::spawn(listener, addr, state))
    }

    async fn checked_files_dir(&self) -> Result<PathBuf, Error> {
        let Some(dir) = self.files_dir.clone() else {
            return Err(Error::FilesDir {
                path: PathBuf::new(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no files directory was set",
                ),
            });
        };

        match tokio::fs::read_dir(&dir).await {
            Ok(_) => Ok(dir),
            Err(source) => Err(Error::FilesDir { path: dir, source }),
        }
    }
}

/// A stand-in server running on 127.0.0.1.
///
/// Dropping it stops the server at once, and [`RunningStandIn::shutdown`]
/// stops it after open requests finish or one second passes.
pub struct RunningStandIn {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl fmt::Debug for RunningStandIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningStandIn")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningStandIn {
    fn spawn(listener: TcpListener, addr: SocketAddr, state: Arc<State>) -> Self {
        let app = Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(token::token))
            .route(listing::LISTING_PATH, get(listing::listing))
            .route("/files/{*key}", get(files::file))
            .with_state(Arc::clone(&state));

        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
            if let Err(error) = served {
                tracing::debug!(%error, "stand-in server stopped with an error");
            }
        });

        tracing::debug!(%addr, "stand-in server started");
        RunningStandIn {
            addr,
            state,
            stop: Some(stop),
            task,
        }
    }

    /// Returns the socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the API base URL, such as `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.state.settings.base_url.clone()
    }

    /// Returns the token endpoint URL, including the tenant id.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.state.settings.base_url, self.state.settings.tenant_id
        )
    }

    /// Returns the tenant id the token path must contain.
    pub fn tenant_id(&self) -> &str {
        &self.state.settings.tenant_id
    }

    /// Queues `fault` for the next request to its endpoint.
    pub fn inject(&self, fault: impl Into<Fault>) {
        self.inject_times(fault, 1);
    }

    /// Queues `fault` for the next `times` requests to its endpoint. Faults of
    /// one endpoint apply in the order they were queued, and each request
    /// consumes one, whether or not its credentials are valid.
    pub fn inject_times(&self, fault: impl Into<Fault>, times: usize) {
        let fault = fault.into();
        tracing::debug!(?fault, times, "fault queued");
        self.state.faults().push(fault, times);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.state.faults().clear();
    }

    /// Returns every request served so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests()
    }

    /// Returns how many requests `endpoint` has served.
    pub fn request_count(&self, endpoint: Endpoint) -> usize {
        self.requests()
            .iter()
            .filter(|record| record.endpoint == endpoint)
            .count()
    }

    /// Returns every access token issued so far, so tests can check that none
    /// leaks into logs or errors.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.issued_tokens()
    }

    /// Returns the signatures of presigned URLs issued so far, percent-encoded
    /// as in the URLs. Expired ones may have been dropped.
    pub fn issued_signatures(&self) -> Vec<String> {
        self.state.issued_signatures()
    }

    /// Stops accepting connections, waits up to one second for open requests
    /// and then stops the server.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let finished = tokio::time::timeout(Duration::from_secs(1), &mut self.task).await;
        if finished.is_err() {
            self.task.abort();
        }
        tracing::debug!(addr = %self.addr, "stand-in server stopped");
    }
}

impl Drop for RunningStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}
