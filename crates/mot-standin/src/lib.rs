//! A local stand-in of the DVSA MOT History bulk-download API, for tests and
//! demos.
//!
//! It serves three endpoints on 127.0.0.1:
//!
//! - `POST /{tenant}/oauth2/v2.0/token`: the OAuth2 client credentials grant,
//!   responding like Microsoft Entra ID, including its error JSON.
//! - `GET /v1/trade/vehicles/bulk-download`: the listing of every
//!   `bulk-*.zip` and `delta-*.zip` in the files directory. It requires a
//!   valid bearer token and `X-API-Key`, and returns MOTH-style error JSON.
//! - `GET /files/{key}`: S3-style presigned URLs that expire a set time after
//!   the listing, support `Range: bytes=N-` and reject requests that carry an
//!   `Authorization` or `X-API-Key` header.
//!
//! File names must end in a `_DD-MM-YYYY.zip` date, which becomes
//! `fileCreatedOn`. Tests queue [`Fault`]s to make the next requests fail in
//! the ways the real service and networks fail, and read back
//! [`RequestRecord`]s to count requests.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use mot_standin::{FileFault, StandIn};
//!
//! # async fn demo() -> Result<(), mot_standin::Error> {
//! let server = StandIn::builder()
//!     .files_dir("/tmp/mot-files")
//!     .credentials("my-client", "my-secret", "my-api-key")
//!     .url_ttl(Duration::from_secs(2))
//!     .start()
//!     .await?;
//!
//! // The next file request drops its connection after 1000 body bytes.
//! server.inject(FileFault::DropAfter { bytes: 1000 });
//! println!("API at {}, tokens at {}", server.base_url(), server.token_url());
//!
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod error;
mod fault;
mod files;
mod listing;
mod server;
mod state;
mod token;

pub use error::Error;
pub use fault::{Fault, FileFault, ListingFault, TokenFault};
pub use server::{
    DEFAULT_API_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SCOPE, DEFAULT_TENANT_ID,
    RunningStandIn, StandIn, StandInBuilder,
};
pub use state::{Endpoint, RequestRecord};
