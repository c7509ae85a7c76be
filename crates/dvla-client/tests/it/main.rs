//! Integration tests of `dvla-client` against the in-process `mot-standin`.

mod api;
mod common;
mod download;
mod names;
mod secrets;
