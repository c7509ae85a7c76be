//! Faults that tests queue up for the next requests to one endpoint.

use std::collections::VecDeque;

/// A fault of the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenFault {
    /// Returns 500 with a Microsoft-style `temporarily_unavailable` error.
    ServerError,
    /// Returns 401 `invalid_client` (AADSTS7000215) even for valid credentials.
    InvalidClient,
}

/// A fault of the bulk-download listing endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListingFault {
    /// Returns 500 with `MOTH-UN-01`.
    ServerError,
    /// Returns 429 with `MOTH-RL-02`, and with a `Retry-After` header when
    /// `retry_after` is set (seconds or an HTTP date, sent as given).
    TooManyRequests {
        /// Value of the `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// Returns 401 with `MOTH-FB-02` (token expired), whatever token was sent.
    TokenExpired,
    /// Returns 429 with `MOTH-RL-01` (daily quota exceeded).
    DailyQuota,
    /// Lists every file with `fileSize` set to its real size plus `delta`.
    SizeMismatch {
        /// Bytes added to each real size. Negative values list a smaller size.
        delta: i64,
    },
}

/// A fault of the presigned file endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFault {
    /// Sends `bytes` bytes of the body, then resets the connection.
    DropAfter {
        /// Body bytes sent before the connection is dropped.
        bytes: u64,
    },
    /// Returns 500 with an S3-style `InternalError` body.
    ServerError,
    /// Returns 503 with an S3-style `SlowDown` body, and with a `Retry-After`
    /// header when `retry_after` is set.
    SlowDown {
        /// Value of the `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// Returns 403 `AccessDenied` / `Request has expired`, as if the URL had
    /// expired.
    UrlExpired,
    /// Returns 200 with the whole file, ignoring the `Range` header.
    IgnoreRange,
    /// Returns 206 with a body and `Content-Range` that start one byte after
    /// the requested offset.
    WrongContentRange,
    /// Declares the full `Content-Length` but sends only `bytes` bytes of the
    /// body before closing the connection.
    TruncatedBody {
        /// Body bytes sent before the connection closes.
        bytes: u64,
    },
    /// Sends the body at no more than `bytes_per_sec` bytes per second.
    SlowBody {
        /// Maximum body rate in bytes per second.
        bytes_per_sec: u64,
    },
}

/// A fault for one of the stand-in's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A fault of the token endpoint.
    Token(TokenFault),
    /// A fault of the listing endpoint.
    Listing(ListingFault),
    /// A fault of the file endpoint.
    File(FileFault),
}

impl From<TokenFault> for Fault {
    fn from(fault: TokenFault) -> Self {
        Fault::Token(fault)
    }
}

impl From<ListingFault> for Fault {
    fn from(fault: ListingFault) -> Self {
        Fault::Listing(fault)
    }
}

impl From<FileFault> for Fault {
    fn from(fault: FileFault) -> Self {
        Fault::File(fault)
    }
}

/// First-in first-out faults of one endpoint, each with a remaining count.
#[derive(Debug)]
pub(crate) struct FaultQueue<F> {
    entries: VecDeque<(F, usize)>,
}

impl<F: Clone> FaultQueue<F> {
    pub(crate) fn push(&mut self, fault: F, times: usize) {
        if times > 0 {
            self.entries.push_back((fault, times));
        }
    }

    /// Takes one use of the oldest queued fault.
    pub(crate) fn pop(&mut self) -> Option<F> {
        let (fault, remaining) = self.entries.front_mut()?;
        let fault = fault.clone();
        *remaining -= 1;

        if *remaining == 0 {
            self.entries.pop_front();
        }
        Some(fault)
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

impl<F> Default for FaultQueue<F> {
    fn default() -> Self {
        FaultQueue {
            entries: VecDeque::new(),
        }
    }
}

/// The fault queues of all endpoints.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) token: FaultQueue<TokenFault>,
    pub(crate) listing: FaultQueue<ListingFault>,
    pub(crate) file: FaultQueue<FileFault>,
}

impl Faults {
    pub(crate) fn push(&mut self, fault: Fault, times: usize) {
        match fault {
            Fault::Token(fault) => self.token.push(fault, times),
            Fault::Listing(fault) => self.listing.push(fault, times),
            Fault::File(fault) => self.file.push(fault, times),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.token.clear();
        self.listing.clear();
        self.file.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_pops_in_order_and_counts() {
        let mut queue = FaultQueue::default();
        queue.push(1, 2);
        queue.push(2, 1);
        queue.push(3, 0);

        assert_eq!(queue.pop(), Some(1));
        assert_eq!(queue.pop(), Some(1));
        assert_eq!(queue.pop(), Some(2));
        assert_eq!(queue.pop(), None);
    }
}
