//! The presigned file endpoint, which imitates S3's responses to `GET` with
//! query-string authentication.
//!
//! The URL is checked only when a request starts, so a download that started
//! before the URL expired runs to its end.

use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::fault::FileFault;
use crate::listing::ttl_seconds;
use crate::state::{Endpoint, RequestRecord, State, random_string};

/// Kind of early end of a response body, before its declared length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EarlyEnd {
    /// The body stream fails, so the server resets the connection.
    Drop,
    /// The body stream ends cleanly, short of `Content-Length`.
    Close,
}

/// Plan of one response body: file range, early end and rate.
struct BodyPlan {
    path: PathBuf,
    start: u64,
    len: u64,
    early_end: Option<(u64, EarlyEnd)>,
    rate: Option<u64>,
    chunk_size: usize,
}

/// The byte range a request asked for.
#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    /// No `Range` header, or one this server ignores.
    Whole,
    /// Bytes from `start` to `end`, both inclusive.
    Bytes { start: u64, end: u64 },
    /// A range that starts at or past the end of the file.
    Unsatisfiable,
}

/// Handles `GET /files/{*key}`.
pub(crate) async fn file(
    AxumState(state): AxumState<Arc<State>>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let response = respond(&state, &key, query.as_deref(), &headers).await;

    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    state.record(RequestRecord {
        endpoint: Endpoint::File,
        path: format!("/files/{key}"),
        range,
        status: response.status().as_u16(),
    });
    response
}

async fn respond(state: &State, key: &str, query: Option<&str>, headers: &HeaderMap) -> Response {
    let fault = state.faults().file.pop();

    let path = match authorize(state, key, query, headers, fault.as_ref()) {
        Ok(path) => path,
        Err(error) => return error.into_response(),
    };

    match &fault {
        Some(FileFault::ServerError) => {
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
                "",
            );
        }
        Some(FileFault::SlowDown { retry_after }) => return slow_down(retry_after.as_deref()),
        _ => {}
    }

    match serve(state, path, headers, fault).await {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(%error, "failed to read a listed file");
            s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
                "",
            )
        }
    }
}

/// Checks headers and signature, and returns the file the URL points to.
fn authorize(
    state: &State,
    key: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    fault: Option<&FileFault>,
) -> Result<PathBuf, S3Error> {
    // S3 rejects a presigned request that also carries an Authorization header.
    // The X-API-Key check has no S3 counterpart: it catches clients that leak
    // the MOT API key to the download host.
    if headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key") {
        return Err(S3Error {
            status: StatusCode::BAD_REQUEST,
            code: "InvalidArgument",
            message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
                      Signature query string parameter or the Authorization header should be \
                      specified",
            extra: String::new(),
        });
    }

    let Some(signature) = query.and_then(signature_of) else {
        return Err(S3Error {
            status: StatusCode::FORBIDDEN,
            code: "AccessDenied",
            message: "Query-string authentication requires the Signature, Expires and \
                      AWSAccessKeyId parameters",
            extra: String::new(),
        });
    };

    let issued = state.lookup_url(signature);
    let Some((issued_key, path, expires_at)) = issued.filter(|(k, _, _)| k == key) else {
        return Err(S3Error {
            status: StatusCode::FORBIDDEN,
            code: "SignatureDoesNotMatch",
            message: "The request signature we calculated does not match the signature you \
                      provided.",
            extra: String::new(),
        });
    };

    let expired = expires_at <= Instant::now();
    if expired || fault == Some(&FileFault::UrlExpired) {
        tracing::debug!(key = %issued_key, "presigned URL expired");
        return Err(url_expired(state.settings.url_ttl));
    }
    Ok(path)
}

/// Returns the raw, still percent-encoded `X-Amz-Signature` value.
fn signature_of(query: &str) -> Option<&str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("X-Amz-Signature="))
}

async fn serve(
    state: &State,
    path: PathBuf,
    headers: &HeaderMap,
    fault: Option<FileFault>,
) -> std::io::Result<Response> {
    let size = tokio::fs::metadata(&path).await?.len();
    let mut range = parse_range(headers.get(header::RANGE), size);
    if fault == Some(FileFault::IgnoreRange) {
        range = RangeRequest::Whole;
    }

    let (start, end) = match range {
        RangeRequest::Unsatisfiable => return Ok(unsatisfiable(size)),
        RangeRequest::Whole => (0, size.saturating_sub(1)),
        RangeRequest::Bytes { start, end } => (start, end),
    };
    let partial = range != RangeRequest::Whole;

    // The wrong Content-Range is self-consistent: header and body both start
    // one byte past the requested offset.
    let (start, partial) = match fault {
        Some(FileFault::WrongContentRange) if start + 1 < size => (start + 1, true),
        _ => (start, partial),
    };

    let len = if size == 0 { 0 } else { end + 1 - start };
    let plan = BodyPlan {
        path,
        start,
        len,
        early_end: early_end(fault.as_ref(), len),
        rate: body_rate(fault.as_ref(), state.settings.body_rate),
        chunk_size: state.settings.chunk_size,
    };
    let body = file_body(plan).await?;

    let mut response = Response::new(body);
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));

    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let content_range = format!("bytes {start}-{end}/{size}");
        let value = HeaderValue::from_str(&content_range).expect("digits are a valid header");
        response.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    Ok(response)
}

/// Parses `bytes=N-` and `bytes=N-M`. Other forms are ignored, which RFC 9110
/// (section 14.2) allows.
fn parse_range(value: Option<&HeaderValue>, size: u64) -> RangeRequest {
    let Some(spec) = value
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("bytes="))
    else {
        return RangeRequest::Whole;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return RangeRequest::Whole;
    };
    let Ok(start) = first.trim().parse::<u64>() else {
        return RangeRequest::Whole;
    };

    let end = match last.trim() {
        "" => size.saturating_sub(1),
        digits => match digits.parse::<u64>() {
            Ok(end) if end >= start => end.min(size.saturating_sub(1)),
            _ => return RangeRequest::Whole,
        },
    };

    if start >= size {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Bytes { start, end }
}

fn early_end(fault: Option<&FileFault>, len: u64) -> Option<(u64, EarlyEnd)> {
    match fault {
        Some(FileFault::DropAfter { bytes }) => Some(((*bytes).min(len), EarlyEnd::Drop)),
        Some(FileFault::TruncatedBody { bytes }) => Some(((*bytes).min(len), EarlyEnd::Close)),
        _ => None,
    }
}

fn body_rate(fault: Option<&FileFault>, default: Option<u64>) -> Option<u64> {
    match fault {
        Some(FileFault::SlowBody { bytes_per_sec }) => Some((*bytes_per_sec).max(1)),
        _ => default,
    }
}

/// State of a body stream between chunks.
struct BodyStream {
    file: tokio::fs::File,
    to_send: u64,
    early_end: Option<EarlyEnd>,
    rate: Option<u64>,
    chunk_size: usize,
    finished: bool,
}

/// Opens the file at the plan's offset and returns a body that streams it.
async fn file_body(plan: BodyPlan) -> std::io::Result<Body> {
    let mut file = tokio::fs::File::open(&plan.path).await?;
    file.seek(SeekFrom::Start(plan.start)).await?;

    let (to_send, early_end) = match plan.early_end {
        Some((bytes, end)) => (bytes, Some(end)),
        None => (plan.len, None),
    };
    let state = BodyStream {
        file,
        to_send,
        early_end,
        rate: plan.rate,
        chunk_size: plan.chunk_size.max(1),
        finished: false,
    };
    Ok(Body::from_stream(stream::unfold(state, next_chunk)))
}

async fn next_chunk(mut body: BodyStream) -> Option<(std::io::Result<Bytes>, BodyStream)> {
    if body.finished {
        return None;
    }

    if body.to_send == 0 {
        body.finished = true;
        // A body without an early end is complete.
        let early_end = body.early_end?;
        // Give the server time to flush the bytes already sent, so the client
        // receives all of them before the connection ends. Without this wait,
        // hyper 1.13 closed a truncated body's connection before writing its
        // last chunk, so a client received 8,192 of 10,000 bytes.
        tokio::time::sleep(Duration::from_millis(50)).await;
        if early_end == EarlyEnd::Close {
            return None;
        }
        let error = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "fault: drop");
        return Some((Err(error), body));
    }

    let len = usize::try_from(body.to_send)
        .unwrap_or(usize::MAX)
        .min(body.chunk_size);
    let mut buffer = vec![0; len];
    if let Err(error) = body.file.read_exact(&mut buffer).await {
        body.finished = true;
        return Some((Err(error), body));
    }

    if let Some(rate) = body.rate {
        let seconds = len as f64 / rate as f64;
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    }
    body.to_send -= len as u64;
    Some((Ok(Bytes::from(buffer)), body))
}

fn unsatisfiable(size: u64) -> Response {
    let mut response = s3_error(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "InvalidRange",
        "The requested range is not satisfiable",
        "",
    );
    let value = HeaderValue::from_str(&format!("bytes */{size}")).expect("valid header");
    response.headers_mut().insert(header::CONTENT_RANGE, value);
    response
}

fn slow_down(retry_after: Option<&str>) -> Response {
    let mut response = s3_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "SlowDown",
        "Please reduce your request rate.",
        "",
    );
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn url_expired(ttl: Duration) -> S3Error {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    S3Error {
        status: StatusCode::FORBIDDEN,
        code: "AccessDenied",
        message: "Request has expired",
        extra: format!(
            "<X-Amz-Expires>{}</X-Amz-Expires><ServerTime>{now}</ServerTime>",
            ttl_seconds(ttl)
        ),
    }
}

/// An S3-style error response. `extra` is inserted as raw XML.
struct S3Error {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
    extra: String,
}

impl IntoResponse for S3Error {
    fn into_response(self) -> Response {
        s3_error(self.status, self.code, self.message, &self.extra)
    }
}

/// Builds an S3-style XML error response with `extra` inserted as raw XML.
fn s3_error(status: StatusCode, code: &str, message: &str, extra: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>{message}</Message>{extra}<RequestId>{}</RequestId>\
         <HostId>{}</HostId></Error>",
        random_string(16),
        random_string(32),
    );
    let headers = [(header::CONTENT_TYPE, "application/xml")];
    (status, headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, size: u64) -> RangeRequest {
        parse_range(Some(&HeaderValue::from_str(value).unwrap()), size)
    }

    #[test]
    fn parse_range_accepts_open_and_closed_ranges() {
        assert_eq!(
            range("bytes=5-", 10),
            RangeRequest::Bytes { start: 5, end: 9 }
        );
        assert_eq!(
            range("bytes=2-4", 10),
            RangeRequest::Bytes { start: 2, end: 4 }
        );
        assert_eq!(
            range("bytes=2-40", 10),
            RangeRequest::Bytes { start: 2, end: 9 }
        );
    }

    #[test]
    fn parse_range_rejects_past_end() {
        assert_eq!(range("bytes=10-", 10), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn parse_range_ignores_other_forms() {
        assert_eq!(range("bytes=-5", 10), RangeRequest::Whole);
        assert_eq!(range("items=1-2", 10), RangeRequest::Whole);
        assert_eq!(range("bytes=4-2", 10), RangeRequest::Whole);
        assert_eq!(parse_range(None, 10), RangeRequest::Whole);
    }

    #[test]
    fn signature_is_read_raw() {
        let query = "X-Amz-Expires=300&X-Amz-Signature=ab%2Fcd&X-Amz-Date=1";
        assert_eq!(signature_of(query), Some("ab%2Fcd"));
        assert_eq!(signature_of("X-Amz-Expires=300"), None);
    }
}
