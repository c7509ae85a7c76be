//! Downloads from presigned URLs under every fault of the file endpoint.

use std::time::{Duration, Instant};

use dvla_client::Error;
use mot_standin::{Endpoint, FileFault, ListingFault};

use crate::common::{BULK, BULK_SIZE, Fixture, assert_same_bytes, bulk, listed, range_start};

const SIZE: u64 = BULK_SIZE as u64;

#[tokio::test]
async fn download_plain() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    let mut last = (0, 0);

    let path = client
        .download(&file, fixture.out.path(), |done, total| {
            last = (done, total)
        })
        .await
        .unwrap();

    assert_eq!(path, fixture.target(BULK));
    assert_same_bytes(&fixture, BULK);
    assert_eq!(last, (SIZE, SIZE));
    assert_eq!(fixture.downloaded_names(), [BULK]);
    assert_eq!(fixture.file_requests().len(), 1);
    assert_eq!(fixture.file_requests()[0].range, None);
}

#[tokio::test]
async fn encoded_signature_sent_unchanged() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;

    // The stand-in returns 403 SignatureDoesNotMatch unless the `%2F` in the
    // signature arrives as listed.
    assert!(file.download_url.expose().contains("%2F"));
    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    let statuses: Vec<u16> = fixture.file_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200]);
}

#[tokio::test]
async fn complete_file_skipped() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    let mut calls = Vec::new();
    client
        .download(&file, fixture.out.path(), |done, total| {
            calls.push((done, total))
        })
        .await
        .unwrap();

    assert_eq!(fixture.file_requests().len(), 1);
    assert_eq!(calls, [(SIZE, SIZE)]);
}

#[tokio::test]
async fn partial_file_resumed_from_disk() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    let source = fixture.source(BULK);
    let part = fixture.out.path().join(format!("{BULK}.part"));
    std::fs::write(&part, &source[..12_345]).unwrap();

    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    let requests = fixture.file_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(range_start(&requests[0]), Some(12_345));
    assert_eq!(requests[0].status, 206);
}

#[tokio::test]
async fn dropped_connection_resumes() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture
        .server
        .inject(FileFault::DropAfter { bytes: 50_000 });

    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    let requests = fixture.file_requests();
    assert_eq!(requests.len(), 2);
    let resumed_at = range_start(&requests[1]).expect("second request has a Range");
    assert!(resumed_at > 0, "{resumed_at}");
    assert!(resumed_at <= 50_000, "{resumed_at}");
    assert_eq!(requests[1].status, 206);
}

#[tokio::test]
async fn truncated_body_resumes() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture
        .server
        .inject(FileFault::TruncatedBody { bytes: 70_000 });

    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    let requests = fixture.file_requests();
    assert_eq!(requests.len(), 2);
    let resumed_at = range_start(&requests[1]).expect("second request has a Range");
    assert!(resumed_at > 0, "{resumed_at}");
    assert!(resumed_at <= 70_000, "{resumed_at}");
}

#[tokio::test]
async fn expired_url_mid_download_continues() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture
        .server
        .inject(FileFault::DropAfter { bytes: 50_000 });
    fixture.server.inject(FileFault::UrlExpired);

    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    assert_eq!(fixture.count(Endpoint::Listing), 2);
    let requests = fixture.file_requests();
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 403, 206]);
    // The renewed URL continues from the bytes on disk, not from 0.
    assert_eq!(range_start(&requests[2]), range_start(&requests[1]));
    assert!(range_start(&requests[2]).unwrap() > 0);
}

#[tokio::test]
async fn url_expired_before_start_renewed() {
    let fixture = Fixture::start_with(|b| b.url_ttl(Duration::from_millis(200))).await;
    let client = fixture.client();
    let file = bulk(&client).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    assert_eq!(fixture.count(Endpoint::Listing), 2);
    let statuses: Vec<u16> = fixture.file_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 200]);
}

#[tokio::test]
async fn running_download_outlives_url() {
    let fixture = Fixture::start_with(|b| b.url_ttl(Duration::from_millis(200))).await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture.server.inject(FileFault::SlowBody {
        bytes_per_sec: 500_000,
    });

    let started = Instant::now();
    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert!(
        started.elapsed() > Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_same_bytes(&fixture, BULK);
    assert_eq!(fixture.count(Endpoint::Listing), 1);
    assert_eq!(fixture.file_requests().len(), 1);
}

#[tokio::test]
async fn url_rejected_after_renewals_stops() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture.server.inject_times(FileFault::UrlExpired, 20);

    let error = client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap_err();

    let Error::UrlRejected {
        code, refreshes, ..
    } = &error
    else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(code, "AccessDenied");
    assert_eq!(*refreshes, 2);
    assert_eq!(fixture.count(Endpoint::Listing), 3);
    assert_eq!(fixture.file_requests().len(), 3);
    assert!(!fixture.target(BULK).exists());
}

#[tokio::test]
async fn file_gone_from_fresh_listing() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    std::fs::remove_file(fixture.files.path().join(BULK)).unwrap();
    fixture.server.inject(FileFault::UrlExpired);

    let error = client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap_err();

    assert!(matches!(error, Error::NotInListing { .. }), "{error}");
    assert!(!fixture.target(BULK).exists());
}

#[tokio::test]
async fn ignored_range_restarts_cleanly() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture
        .server
        .inject(FileFault::DropAfter { bytes: 50_000 });
    fixture.server.inject(FileFault::IgnoreRange);
    let mut restarted = false;
    let mut previous = 0;

    client
        .download(&file, fixture.out.path(), |done, _| {
            restarted |= done < previous;
            previous = done;
        })
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    assert!(
        restarted,
        "progress should drop back when the file starts over"
    );
    let requests = fixture.file_requests();
    assert_eq!(requests.len(), 2);
    assert!(range_start(&requests[1]).unwrap() > 0);
    assert_eq!(requests[1].status, 200);
}

#[tokio::test]
async fn wrong_content_range_never_appended() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture
        .server
        .inject(FileFault::DropAfter { bytes: 50_000 });
    fixture.server.inject(FileFault::WrongContentRange);

    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    let requests = fixture.file_requests();
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 206, 200]);
    // After the bad response the partial file is discarded and fetched whole.
    assert_eq!(requests[2].range, None);
}

#[tokio::test]
async fn file_server_error_retried() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture.server.inject_times(FileFault::ServerError, 2);

    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    let statuses: Vec<u16> = fixture.file_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 200]);
}

#[tokio::test]
async fn slow_down_honours_retry_after() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture.server.inject(FileFault::SlowDown {
        retry_after: Some("1".to_owned()),
    });

    let started = Instant::now();
    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_same_bytes(&fixture, BULK);
}

#[tokio::test]
async fn repeated_drops_without_progress_give_up() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture
        .server
        .inject_times(FileFault::DropAfter { bytes: 0 }, 20);

    let error = client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::GaveUp { attempts: 4, .. }),
        "{error}"
    );
    assert!(
        matches!(error.last_attempt(), Error::Body { .. }),
        "{error:?}"
    );
    assert_eq!(fixture.file_requests().len(), 4);
    assert!(!fixture.target(BULK).exists());
}

#[tokio::test]
async fn listing_smaller_than_file_fails() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    fixture
        .server
        .inject(ListingFault::SizeMismatch { delta: -100 });
    let file = bulk(&client).await;
    assert_eq!(file.file_size, SIZE - 100);

    let error = client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap_err();

    let Error::SizeMismatch { expected, .. } = &error else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(*expected, SIZE - 100);
    assert!(
        error.to_string().contains("list the files again"),
        "{error}"
    );
    assert!(
        fixture.downloaded_names().is_empty(),
        "{:?}",
        fixture.downloaded_names()
    );
}

#[tokio::test]
async fn listing_larger_than_file_fails() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    fixture
        .server
        .inject(ListingFault::SizeMismatch { delta: 100 });
    let file = bulk(&client).await;

    let error = client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap_err();

    assert!(matches!(error, Error::SizeMismatch { .. }), "{error}");
    assert!(
        fixture.downloaded_names().is_empty(),
        "{:?}",
        fixture.downloaded_names()
    );
}

#[tokio::test]
async fn range_total_disagrees_fails() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    fixture
        .server
        .inject(ListingFault::SizeMismatch { delta: -100 });
    let file = bulk(&client).await;
    // A partial file makes the server respond with 206, whose Content-Range total
    // disagrees with the listing.
    let part = fixture.out.path().join(format!("{BULK}.part"));
    std::fs::write(&part, &fixture.source(BULK)[..1000]).unwrap();

    let error = client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap_err();

    let Error::SizeMismatch { found, .. } = &error else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(found, &format!("reports {SIZE} bytes"));
    assert!(
        fixture.downloaded_names().is_empty(),
        "{:?}",
        fixture.downloaded_names()
    );
}

#[tokio::test]
async fn deltas_download_in_listing_order() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let listing = client.list_files().await.unwrap();

    for file in &listing.delta {
        client
            .download(file, fixture.out.path(), |_, _| {})
            .await
            .unwrap();
    }

    for name in [crate::common::DELTA_EARLY, crate::common::DELTA_LATE] {
        assert_same_bytes(&fixture, name);
        assert!(listed(&listing.delta, name).file_size > 0);
    }
}

#[tokio::test]
async fn empty_file_downloads() {
    let fixture = Fixture::start().await;
    let name = "delta-light-vehicle_04-07-2024.zip";
    std::fs::write(fixture.files.path().join(name), b"").unwrap();
    let client = fixture.client();
    let listing = client.list_files().await.unwrap();

    let path = client
        .download(listed(&listing.delta, name), fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    assert_eq!(fixture.downloaded_names(), [name]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_file_flushed_while_downloading() {
    // Large enough that the part file is flushed to disk in the background
    // many times, before and after a resume.
    const LARGE: usize = 80 << 20;
    let fixture = Fixture::start_with(|builder| builder.chunk_size(256 << 10)).await;
    crate::common::write_file(fixture.files.path(), BULK, LARGE, 9);
    let client = fixture.client();
    let file = bulk(&client).await;
    fixture
        .server
        .inject(FileFault::DropAfter { bytes: 40 << 20 });

    client
        .download(&file, fixture.out.path(), |_, _| {})
        .await
        .unwrap();

    assert_same_bytes(&fixture, BULK);
    let requests = fixture.file_requests();
    assert_eq!(requests.len(), 2);
    let resumed_at = range_start(&requests[1]).expect("second request has a Range");
    assert!(resumed_at > 32 << 20, "{resumed_at}");
    assert!(resumed_at <= 40 << 20, "{resumed_at}");
}
