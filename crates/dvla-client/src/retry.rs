//! Backoff delays, `Retry-After` parsing and the retry loop for API calls.

use std::future::Future;
use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::config::RetryPolicy;
use crate::error::Error;

impl RetryPolicy {
    /// Returns the wait before retry `retry` (from 1) after `error`, or `None`
    /// when the error's `Retry-After` exceeds `max_retry_after`.
    pub(crate) fn delay(&self, retry: u32, error: &Error) -> Option<Duration> {
        if let Some(wait) = error.retry_after() {
            return (wait <= self.max_retry_after).then_some(wait);
        }
        Some(self.backoff(retry))
    }

    /// Draws a delay between half and all of
    /// `min(base_delay * 2^(retry-1), max_delay)`.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        let half = ceiling / 2;
        let jitter = rand::rng().random_range(0.0..=1.0);
        half + half.mul_f64(jitter)
    }
}

/// Runs `operation` until it succeeds, fails with an error that is not
/// retryable, or has been tried `policy.max_attempts` times.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    action: &str,
    mut operation: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut attempt = 1;
    loop {
        let error = match operation().await {
            Ok(value) => return Ok(value),
            Err(error) if !error.is_retryable() => return Err(error),
            Err(error) => error,
        };

        if attempt >= policy.max_attempts {
            tracing::debug!(action, attempt, %error, "giving up");
            return Err(give_up(attempt, error));
        }
        let Some(delay) = policy.delay(attempt, &error) else {
            tracing::debug!(action, %error, "Retry-After exceeds max_retry_after, giving up");
            return Err(error);
        };

        tracing::debug!(action, attempt, delay_ms = delay.as_millis(), %error, "retrying");
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

/// Wraps the last error, unless there was only one attempt.
pub(crate) fn give_up(attempts: u32, last: Error) -> Error {
    if attempts <= 1 {
        return last;
    }
    Error::GaveUp {
        attempts,
        last: Box::new(last),
    }
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }

    let date = httpdate::parse_http_date(value).ok()?;
    let wait = date
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_retry_after: Duration::from_secs(10),
        }
    }

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn backoff_doubles_within_bounds() {
        let policy = policy();
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50), "{first:?}");
            assert!(first <= Duration::from_millis(100), "{first:?}");
            let second = policy.backoff(2);
            assert!(second >= Duration::from_millis(100), "{second:?}");
            assert!(second <= Duration::from_millis(200), "{second:?}");
            let capped = policy.backoff(10);
            assert!(capped >= Duration::from_millis(150), "{capped:?}");
            assert!(capped <= Duration::from_millis(300), "{capped:?}");
        }
    }

    #[test]
    fn retry_after_reads_seconds() {
        assert_eq!(retry_after(&headers("7")), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_reads_http_date() {
        let future = SystemTime::now() + Duration::from_secs(120);
        let wait = retry_after(&headers(&httpdate::fmt_http_date(future))).unwrap();
        assert!(wait > Duration::from_secs(100), "{wait:?}");
        assert!(wait <= Duration::from_secs(120), "{wait:?}");
    }

    #[test]
    fn retry_after_in_past_is_zero() {
        let wait = retry_after(&headers("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(wait, Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_ignores_garbage() {
        assert_eq!(retry_after(&headers("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn run_stops_at_max_attempts() {
        let mut calls = 0;
        let result: Result<(), Error> = run(&policy(), "test", || {
            calls += 1;
            async {
                Err(Error::Status {
                    url: "u".into(),
                    status: 503,
                    detail: String::new(),
                    retry_after: Some(Duration::ZERO),
                })
            }
        })
        .await;

        assert_eq!(calls, 3);
        assert!(matches!(result, Err(Error::GaveUp { attempts: 3, .. })));
    }
}
