//! Listing, tokens, rate limit and retries of API calls.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use dvla_client::{Client, Credential, Error, RateLimit, Secret};
use mot_standin::{Endpoint, ListingFault, TokenFault};

use crate::common::{BULK, BULK_SIZE, DELTA_EARLY, DELTA_LATE, Fixture, listed};

#[tokio::test]
async fn listing_has_keys_sizes_and_dates() {
    let fixture = Fixture::start().await;
    let listing = fixture.client().list_files().await.unwrap();

    assert_eq!(listing.bulk.len(), 1);
    let bulk = listed(&listing.bulk, BULK);
    assert_eq!(
        bulk.filename,
        "v1/public/bulk/year=2024/month=7/day=1/bulk-light-vehicle_01-07-2024.zip"
    );
    assert_eq!(bulk.file_size, BULK_SIZE as u64);
    assert_eq!(
        bulk.file_created_on,
        NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()
    );
}

#[tokio::test]
async fn deltas_sorted_by_date_not_name() {
    let fixture = Fixture::start().await;
    let listing = fixture.client().list_files().await.unwrap();

    // By name, 03-07-2024 sorts before 30-06-2024.
    let names: Vec<&str> = listing
        .delta
        .iter()
        .map(|file| file.filename.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, [DELTA_EARLY, DELTA_LATE]);
}

#[tokio::test]
async fn token_cached_across_calls() {
    let fixture = Fixture::start().await;
    let client = fixture.client();

    client.list_files().await.unwrap();
    client.list_files().await.unwrap();

    assert_eq!(fixture.count(Endpoint::Token), 1);
    assert_eq!(fixture.count(Endpoint::Listing), 2);
}

#[tokio::test]
async fn token_refreshed_before_expiry() {
    let fixture = Fixture::start_with(|b| b.token_ttl(Duration::from_secs(1))).await;
    let client = fixture.client();

    client.list_files().await.unwrap();
    // The refresh margin is 10 % of the 1 s lifetime, so after 950 ms the
    // client must fetch a new token before the old one expires.
    tokio::time::sleep(Duration::from_millis(950)).await;
    client.list_files().await.unwrap();

    assert_eq!(fixture.count(Endpoint::Token), 2);
    let statuses: Vec<u16> = fixture.server.requests().iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|&status| status == 200), "{statuses:?}");
}

#[tokio::test]
async fn expired_token_refreshed_once() {
    let fixture = Fixture::start().await;
    fixture.server.inject(ListingFault::TokenExpired);

    fixture.client().list_files().await.unwrap();

    assert_eq!(fixture.count(Endpoint::Token), 2);
    assert_eq!(fixture.count(Endpoint::Listing), 2);
}

#[tokio::test]
async fn repeated_token_rejection_stops() {
    let fixture = Fixture::start().await;
    fixture.server.inject_times(ListingFault::TokenExpired, 20);

    let error = fixture.client().list_files().await.unwrap_err();

    let Error::AuthRejected { code, check, .. } = &error else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(code, "MOTH-FB-02");
    assert_eq!(*check, Credential::ClientCredentials);
    assert!(error.to_string().contains("client_secret"), "{error}");
    assert_eq!(fixture.count(Endpoint::Token), 2);
    assert_eq!(fixture.count(Endpoint::Listing), 2);
}

#[tokio::test]
async fn wrong_client_secret_stops() {
    let fixture = Fixture::start().await;
    let mut config = fixture.config();
    config.client_secret = Secret::new("wrong-secret");

    let error = Client::new(config).unwrap().list_files().await.unwrap_err();

    let Error::TokenRejected {
        error: code, check, ..
    } = &error
    else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(code, "invalid_client");
    assert_eq!(*check, Credential::ClientCredentials);
    assert!(error.to_string().contains("AADSTS7000215"), "{error}");
    assert_eq!(fixture.count(Endpoint::Token), 1);
    assert_eq!(fixture.count(Endpoint::Listing), 0);
}

#[tokio::test]
async fn wrong_scope_names_scope() {
    let fixture = Fixture::start().await;
    let mut config = fixture.config();
    config.scope = "https://example.invalid/.default".to_owned();

    let error = Client::new(config).unwrap().list_files().await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::TokenRejected {
                check: Credential::Scope,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(fixture.count(Endpoint::Token), 1);
}

#[tokio::test]
async fn unknown_api_key_stops_without_refresh() {
    let fixture = Fixture::start().await;
    let mut config = fixture.config();
    config.api_key = Secret::new("wrong-key");

    let error = Client::new(config).unwrap().list_files().await.unwrap_err();

    let Error::AuthRejected { code, check, .. } = &error else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(code, "MOTH-FB-03");
    assert_eq!(*check, Credential::ApiKey);
    assert!(error.to_string().contains("check api_key"), "{error}");
    assert_eq!(fixture.count(Endpoint::Token), 1);
    assert_eq!(fixture.count(Endpoint::Listing), 1);
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let fixture = Fixture::start().await;
    fixture.server.inject(ListingFault::TooManyRequests {
        retry_after: Some("1".to_owned()),
    });

    let started = Instant::now();
    fixture.client().list_files().await.unwrap();

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fixture.count(Endpoint::Listing), 2);
}

#[tokio::test]
async fn too_many_requests_without_retry_after_backs_off() {
    let fixture = Fixture::start().await;
    fixture
        .server
        .inject_times(ListingFault::TooManyRequests { retry_after: None }, 2);

    let started = Instant::now();
    fixture.client().list_files().await.unwrap();

    // Two backoff delays of at least half of 10 ms and 20 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(15),
        "{:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fixture.count(Endpoint::Listing), 3);
}

#[tokio::test]
async fn retry_after_above_maximum_stops() {
    let fixture = Fixture::start().await;
    fixture.server.inject(ListingFault::TooManyRequests {
        retry_after: Some("3600".to_owned()),
    });

    let error = fixture.client().list_files().await.unwrap_err();

    let Error::Api {
        code, retry_after, ..
    } = &error
    else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(code, "MOTH-RL-02");
    assert_eq!(*retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(fixture.count(Endpoint::Listing), 1);
}

#[tokio::test]
async fn server_error_retried() {
    let fixture = Fixture::start().await;
    fixture.server.inject_times(ListingFault::ServerError, 2);

    fixture.client().list_files().await.unwrap();

    assert_eq!(fixture.count(Endpoint::Listing), 3);
}

#[tokio::test]
async fn server_error_gives_up_after_max_attempts() {
    let fixture = Fixture::start().await;
    fixture.server.inject_times(ListingFault::ServerError, 20);

    let error = fixture.client().list_files().await.unwrap_err();

    assert!(
        matches!(error, Error::GaveUp { attempts: 4, .. }),
        "{error}"
    );
    let last = error.last_attempt();
    assert!(
        matches!(last, Error::Api { status: 500, code, .. } if code == "MOTH-UN-01"),
        "{last}"
    );
    assert_eq!(fixture.count(Endpoint::Listing), 4);
}

#[tokio::test]
async fn daily_quota_not_retried() {
    let fixture = Fixture::start().await;
    fixture.server.inject_times(ListingFault::DailyQuota, 5);

    let error = fixture.client().list_files().await.unwrap_err();

    assert!(!error.is_retryable());
    assert!(
        matches!(&error, Error::Api { code, .. } if code == "MOTH-RL-01"),
        "{error}"
    );
    assert!(error.to_string().contains("quota"), "{error}");
    assert_eq!(fixture.count(Endpoint::Listing), 1);
}

#[tokio::test]
async fn token_endpoint_error_retried() {
    let fixture = Fixture::start().await;
    fixture.server.inject(TokenFault::ServerError);

    fixture.client().list_files().await.unwrap();

    assert_eq!(fixture.count(Endpoint::Token), 2);
    assert_eq!(fixture.count(Endpoint::Listing), 1);
}

#[tokio::test]
async fn rate_limit_spaces_calls() {
    let fixture = Fixture::start().await;
    let mut config = fixture.config();
    config.rate_limit = RateLimit {
        requests_per_second: 10.0,
        burst: 1,
    };
    let client = Client::new(config).unwrap();

    let started = Instant::now();
    for _ in 0..4 {
        client.list_files().await.unwrap();
    }

    // The first call uses the burst; the other three wait 100 ms each.
    assert!(
        started.elapsed() >= Duration::from_millis(280),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn unreachable_api_is_network_error() {
    let fixture = Fixture::start().await;
    let config = fixture.config();
    fixture.server.shutdown().await;

    let error = Client::new(config).unwrap().list_files().await.unwrap_err();

    assert!(matches!(error, Error::GaveUp { .. }), "{error}");
    assert!(error.last_attempt().is_retryable());
}
