//! `Secret` and `DownloadUrl` print without their secret parts.

use dvla_client::{DownloadUrl, Secret};

#[test]
fn secret_and_url_redacted_in_debug_and_display() {
    let secret = Secret::new("hunter2");
    assert_eq!(format!("{secret:?}"), "[redacted]");
    assert_eq!(format!("{secret}"), "[redacted]");

    let url = DownloadUrl::new("https://bucket.example/a.zip?X-Amz-Signature=s1g%2F");
    assert_eq!(format!("{url}"), "https://bucket.example/a.zip?[redacted]");
    assert!(!format!("{url:?}").contains("s1g"));
}
