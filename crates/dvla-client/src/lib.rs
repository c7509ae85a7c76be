//! A client for the DVSA MOT History API's bulk-download service.
//!
//! The service publishes one weekly bulk file of every vehicle and a daily
//! delta file of changes since. This crate lists those files and downloads
//! them resumably.
//!
//! # Getting started
//!
//! Register for the API to get a tenant id, client id, client secret and API
//! key. Build a [`ClientConfig`] with them. Every other setting has a default
//! for the real service. Set [`ClientConfig::api_url`] and
//! [`ClientConfig::token_url`] to use a local stand-in instead.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use dvla_client::{Client, ClientConfig, Secret};
//!
//! # async fn run() -> Result<(), dvla_client::Error> {
//! let secret = std::env::var("MOT_CLIENT_SECRET").unwrap_or_default();
//! let api_key = std::env::var("MOT_API_KEY").unwrap_or_default();
//! let config = ClientConfig::new("my-tenant-id", "my-client-id", Secret::new(secret), api_key)?;
//! let client = Client::new(config)?;
//!
//! // One call lists the bulk file and the deltas, deltas oldest first.
//! let listing = client.list_files().await?;
//! for delta in &listing.delta {
//!     println!("{} {} bytes", delta.file_created_on, delta.file_size);
//! }
//!
//! // Downloads resume after network errors and renew expired URLs.
//! if let Some(bulk) = listing.latest_bulk() {
//!     let path = client
//!         .download(bulk, Path::new("downloads"), |done, total| {
//!             eprint!("\r{done}/{total} bytes");
//!         })
//!         .await?;
//!     println!("\nsaved {}", path.display());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What the client handles
//!
//! - **Tokens.** An OAuth2 client credentials token from Microsoft Entra ID is
//!   cached and replaced shortly before `expires_in` runs out. When the API
//!   returns 401 or `MOTH-FB-02` (token expired), the client fetches one new
//!   token and tries again. A second rejection stops with
//!   [`Error::AuthRejected`], naming the setting to check.
//! - **Rate and retries.** API calls pass a token bucket (15 requests/s, burst
//!   10 by default). Network errors, 5xx, 429 and `MOTH-RL-02` are retried with
//!   exponential backoff and jitter, honouring `Retry-After`. The daily quota
//!   (`MOTH-RL-01`) and credential errors are not retried.
//! - **Downloads.** Files stream to `<name>.part` and resume with
//!   `Range: bytes=N-`. Presigned URLs expire about 5 minutes after the
//!   listing. A 403 triggers a fresh listing, and the download goes on from the
//!   bytes on disk. The file is renamed into place only when its size equals
//!   the listed `fileSize`.
//! - **Secrets.** The client secret, API key, access token and URL signatures
//!   print as `[redacted]` in `Debug`, `Display`, errors and logs.
//!
//! The crate logs through `tracing` at debug and trace level only.
#![deny(missing_docs)]

mod client;
mod config;
mod download;
mod error;
mod listing;
mod names;
mod rate;
mod retry;
mod secret;
mod token;

pub use client::Client;
pub use config::{ClientConfig, DEFAULT_API_URL, DEFAULT_SCOPE, RateLimit, RetryPolicy, Timeouts};
pub use error::{Credential, Error};
pub use listing::{Listing, RemoteFile};
pub use names::local_file_name;
pub use secret::{DownloadUrl, Secret};
