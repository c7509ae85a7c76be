//! The stand-in's own behaviour, checked with plain HTTP requests, and its
//! binary's startup line and lifetime limit.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mot_standin::{
    DEFAULT_API_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SCOPE, RunningStandIn,
    StandIn,
};
use serde_json::Value;
use tempfile::TempDir;

const NAME: &str = "delta-light-vehicle_03-07-2024.zip";

async fn start(files: &TempDir) -> RunningStandIn {
    std::fs::write(files.path().join(NAME), vec![7u8; 1000]).unwrap();
    std::fs::write(files.path().join("other.txt"), b"not listed").unwrap();
    StandIn::builder()
        .files_dir(files.path())
        .start()
        .await
        .unwrap()
}

async fn token(http: &reqwest::Client, token_url: &str, secret: &str) -> reqwest::Response {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", secret),
        ("scope", DEFAULT_SCOPE),
    ];
    http.post(token_url).form(&form).send().await.unwrap()
}

/// Fetches a token and the listing, and returns the one listed file.
async fn listed_file(server: &RunningStandIn) -> Value {
    let http = reqwest::Client::new();
    let body: Value = token(&http, &server.token_url(), DEFAULT_CLIENT_SECRET)
        .await
        .json()
        .await
        .unwrap();
    let access_token = body["access_token"].as_str().unwrap();

    let listing: Value = http
        .get(format!(
            "{}/v1/trade/vehicles/bulk-download",
            server.base_url()
        ))
        .bearer_auth(access_token)
        .header("X-API-Key", DEFAULT_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listing["delta"][0].clone()
}

#[tokio::test]
async fn token_response_has_entra_fields() {
    let files = TempDir::new().unwrap();
    let server = start(&files).await;

    let response = token(
        &reqwest::Client::new(),
        &server.token_url(),
        DEFAULT_CLIENT_SECRET,
    )
    .await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1199);
    assert_eq!(body["ext_expires_in"], 1199);
    assert!(body["access_token"].as_str().unwrap().len() > 20);
}

#[tokio::test]
async fn wrong_secret_gets_invalid_client() {
    let files = TempDir::new().unwrap();
    let server = start(&files).await;

    let response = token(&reqwest::Client::new(), &server.token_url(), "wrong").await;

    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215")
    );
}

#[tokio::test]
async fn listing_without_token_rejected() {
    let files = TempDir::new().unwrap();
    let server = start(&files).await;

    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/trade/vehicles/bulk-download",
            server.base_url()
        ))
        .header("X-API-Key", DEFAULT_API_KEY)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "MOTH-FB-04");
}

#[tokio::test]
async fn listing_describes_files() {
    let files = TempDir::new().unwrap();
    let server = start(&files).await;

    let file = listed_file(&server).await;

    assert_eq!(
        file["filename"],
        "v1/public/delta/year=2024/month=7/day=3/delta-light-vehicle_03-07-2024.zip"
    );
    assert_eq!(file["fileSize"], 1000);
    assert_eq!(file["fileCreatedOn"], "2024-07-03");
    let url = file["downloadUrl"].as_str().unwrap();
    assert!(
        url.contains("X-Amz-Signature=") && url.contains("%2F"),
        "{url}"
    );
}

#[tokio::test]
async fn file_range_returns_206() {
    let files = TempDir::new().unwrap();
    let server = start(&files).await;
    let url = listed_file(&server).await["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = reqwest::Client::new()
        .get(&url)
        .header("Range", "bytes=900-")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 206);
    assert_eq!(response.headers()["content-range"], "bytes 900-999/1000");
    assert_eq!(response.bytes().await.unwrap().len(), 100);
}

#[tokio::test]
async fn file_range_past_end_returns_416() {
    let files = TempDir::new().unwrap();
    let server = start(&files).await;
    let url = listed_file(&server).await["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = reqwest::Client::new()
        .get(&url)
        .header("Range", "bytes=1000-")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 416);
    assert_eq!(response.headers()["content-range"], "bytes */1000");
}

#[tokio::test]
async fn file_with_api_headers_rejected() {
    let files = TempDir::new().unwrap();
    let server = start(&files).await;
    let url = listed_file(&server).await["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();

    let with_key = http
        .get(&url)
        .header("X-API-Key", "k")
        .send()
        .await
        .unwrap();
    let with_auth = http.get(&url).bearer_auth("t").send().await.unwrap();

    assert_eq!(with_key.status(), 400);
    assert_eq!(with_auth.status(), 400);
    assert!(with_key.text().await.unwrap().contains("InvalidArgument"));
}

#[tokio::test]
async fn decoded_signature_rejected() {
    let files = TempDir::new().unwrap();
    let server = start(&files).await;
    let url = listed_file(&server).await["downloadUrl"]
        .as_str()
        .unwrap()
        .replace("%2F", "/");

    let response = reqwest::Client::new().get(&url).send().await.unwrap();

    assert_eq!(response.status(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("SignatureDoesNotMatch")
    );
}

#[tokio::test]
async fn expired_url_returns_403_xml() {
    let files = TempDir::new().unwrap();
    std::fs::write(files.path().join(NAME), vec![7u8; 1000]).unwrap();
    let server = StandIn::builder()
        .files_dir(files.path())
        .url_ttl(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let url = listed_file(&server).await["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(150)).await;

    let response = reqwest::Client::new().get(&url).send().await.unwrap();

    assert_eq!(response.status(), 403);
    let body = response.text().await.unwrap();
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(
        body.contains("<Message>Request has expired</Message>"),
        "{body}"
    );
}

#[tokio::test]
async fn missing_files_dir_fails_to_start() {
    let error = StandIn::builder()
        .files_dir("/nonexistent/mot-standin-test")
        .start()
        .await
        .unwrap_err();

    assert!(
        error.to_string().contains("/nonexistent/mot-standin-test"),
        "{error}"
    );
}

#[test]
fn binary_prints_address_and_exits_after_lifetime() {
    let files = TempDir::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mot-standin"))
        .args(["--files", files.path().to_str().unwrap()])
        .args(["--port", "0", "--max-lifetime-secs", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();

    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let token_url = format!("{base_url}/standin-tenant/oauth2/v2.0/token");
    let status = runtime.block_on(async {
        token(&reqwest::Client::new(), &token_url, DEFAULT_CLIENT_SECRET)
            .await
            .status()
    });
    assert_eq!(status, 200);

    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
