//! A token bucket that spaces out API calls.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::RateLimit;

/// Token bucket shared by all API calls of one client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// Tokens available. It is negative while callers wait for reserved tokens.
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        let burst = f64::from(limit.burst);
        RateLimiter {
            per_second: limit.requests_per_second,
            burst,
            bucket: Mutex::new(Bucket {
                tokens: burst,
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Takes one token, waiting until the bucket has refilled enough.
    pub(crate) async fn acquire(&self) {
        let wait = self.reserve().await;
        if wait > Duration::ZERO {
            tracing::trace!(wait_ms = wait.as_millis(), "rate limit reached, waiting");
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserves a token and returns how long the caller must wait for it.
    async fn reserve(&self) -> Duration {
        let mut bucket = self.bucket.lock().await;
        let now = Instant::now();
        let elapsed = now.duration_since(bucket.refilled_at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.refilled_at = now;

        bucket.tokens -= 1.0;
        if bucket.tokens >= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(-bucket.tokens / self.per_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn burst_then_spaced() {
        let limiter = RateLimiter::new(RateLimit {
            requests_per_second: 10.0,
            burst: 2,
        });

        assert_eq!(limiter.reserve().await, Duration::ZERO);
        assert_eq!(limiter.reserve().await, Duration::ZERO);
        let third = limiter.reserve().await;
        assert!((third.as_secs_f64() - 0.1).abs() < 0.01, "{third:?}");
        let fourth = limiter.reserve().await;
        assert!((fourth.as_secs_f64() - 0.2).abs() < 0.01, "{fourth:?}");
    }
}
