//! The `mot` command's building blocks, public so that integration tests
//! and benchmarks drive the same code as the binary.

pub mod api;
pub mod db;
pub mod decode;
pub mod doctor;
pub mod download;
pub mod inputs;
pub mod load;
pub mod progress;
pub mod retry;
pub mod status;
pub mod sync;
