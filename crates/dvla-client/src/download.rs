//! Resumable downloads from presigned URLs.
//!
//! A download writes to `<name>.part` and resumes it with `Range: bytes=N-`.
//! Bytes are appended only after a `206` whose `Content-Range` starts at `N`
//! and whose total equals `fileSize`. A `200` starts the file over. An expired
//! URL (403) is renewed from a fresh listing and the download continues from
//! the bytes on disk. The file is renamed into place only when its size equals
//! `fileSize`, after an fsync.
//!
//! The listing has no checksum, so a `.part` left by an older file of the same
//! name and size cannot be distinguished from the current one. The CRC-32 of
//! each zip member catches such a mix later.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::{Response, StatusCode, Url};
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::client::Client;
use crate::error::Error;
use crate::listing::RemoteFile;
use crate::names::local_file_name;
use crate::retry::{self, give_up};
use crate::secret::redact_url;

/// Write buffer size of the `.part` file.
const WRITE_BUFFER: usize = 1 << 20;

/// Bytes written between two background flushes of the `.part` file to
/// disk, so that the fsync before the rename has little left to write.
const FLUSH_EVERY: u64 = 8 << 20;

/// URL renewals in a row without new bytes before the 403 is final.
const MAX_RENEWALS_WITHOUT_PROGRESS: u32 = 2;

impl Client {
    /// Downloads a listed file into `dir` and returns its path.
    ///
    /// The file is named by [`local_file_name`]. When it already exists with
    /// `file_size` bytes, nothing is downloaded. A file of another size is
    /// replaced. `progress` receives `(bytes on disk, file_size)` after every
    /// chunk, and drops back when the download has to start over.
    ///
    /// No API headers are sent to the presigned URL, and the URL is sent byte
    /// for byte as listed.
    ///
    /// # Errors
    ///
    /// - [`Error::UnsafeFileName`], before touching `dir`, when the name is
    ///   unsafe.
    /// - [`Error::SizeMismatch`] when the server's size disagrees with the
    ///   listing. The partial file is removed.
    /// - [`Error::UrlRejected`] when fresh URLs keep getting 403.
    /// - [`Error::GaveUp`] after `retry.max_attempts` failed requests in a row
    ///   without new bytes.
    /// - [`Error::Io`] for local file errors.
    pub async fn download<P>(
        &self,
        file: &RemoteFile,
        dir: &Path,
        mut progress: P,
    ) -> Result<PathBuf, Error>
    where
        P: FnMut(u64, u64),
    {
        let name = local_file_name(file)?;
        let target = dir.join(&name);

        if has_size(&target, file.file_size).await? {
            tracing::debug!(file = %name, "already downloaded, skipping");
            progress(file.file_size, file.file_size);
            return Ok(target);
        }

        let url = checked_url(file)?;
        let mut transfer = Transfer {
            client: self,
            part: dir.join(format!("{name}.part")),
            name,
            filename: file.filename.clone(),
            url,
            size: file.file_size,
            high_water: 0,
            failures: 0,
            renewals: 0,
            unflushed: 0,
            flushing: None,
        };
        transfer.run(&mut progress).await?;
        transfer.wait_for_flush().await?;

        finish(&transfer.part, &target, file.file_size).await?;
        tracing::debug!(file = %transfer.name, bytes = file.file_size, "download complete");
        Ok(target)
    }
}

/// One download in progress.
struct Transfer<'a> {
    client: &'a Client,
    name: String,
    filename: String,
    url: Url,
    size: u64,
    part: PathBuf,
    /// Most bytes ever on disk. Only growth past it counts as progress, so a
    /// server that keeps sending the start of the file again cannot loop
    /// forever.
    high_water: u64,
    /// Failed attempts in a row without progress.
    failures: u32,
    /// URL renewals in a row without progress.
    renewals: u32,
    /// Bytes written since the last background flush started.
    unflushed: u64,
    /// The background flush to disk in progress, if any.
    flushing: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Transfer<'_> {
    /// Sends requests until the `.part` file contains `size` bytes.
    async fn run<P: FnMut(u64, u64)>(&mut self, progress: &mut P) -> Result<(), Error> {
        loop {
            let offset = self.bytes_on_disk().await?;
            if offset == self.size {
                // Creates the `.part` file when the listed size is 0.
                self.open_part(offset).await?;
                return Ok(());
            }
            if offset > self.size {
                tracing::debug!(file = %self.name, offset, "partial file larger than the listing, restarting");
                self.discard().await?;
                continue;
            }

            let previous_high_water = self.high_water;
            let result = self.attempt(offset, progress).await;
            if self.high_water > previous_high_water {
                self.failures = 0;
                self.renewals = 0;
            }

            if let Err(error) = result {
                self.recover(error).await?;
            }
        }
    }

    /// Decides what to do after a failed attempt: renew the URL, discard the
    /// partial file, wait and retry, or give up.
    async fn recover(&mut self, error: Error) -> Result<(), Error> {
        match error {
            Error::UrlRejected { code, message, .. } => self.renew_url(code, message).await,
            Error::SizeMismatch { .. } => {
                self.discard().await?;
                Err(error)
            }
            Error::BadContentRange { .. } => {
                self.discard().await?;
                self.wait_before_retry(error).await
            }
            error if error.is_retryable() => self.wait_before_retry(error).await,
            error => Err(error),
        }
    }

    async fn wait_before_retry(&mut self, error: Error) -> Result<(), Error> {
        self.failures += 1;
        let policy = self.client.inner.config.retry;
        if self.failures >= policy.max_attempts {
            return Err(give_up(self.failures, error));
        }

        let Some(delay) = policy.delay(self.failures, &error) else {
            return Err(error);
        };
        tracing::debug!(
            file = %self.name,
            failures = self.failures,
            delay_ms = delay.as_millis(),
            %error,
            "download attempt failed, retrying"
        );
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// Replaces an expired URL with the one from a fresh listing.
    async fn renew_url(&mut self, code: String, message: String) -> Result<(), Error> {
        if self.renewals >= MAX_RENEWALS_WITHOUT_PROGRESS {
            return Err(Error::UrlRejected {
                filename: self.filename.clone(),
                code,
                message,
                refreshes: self.renewals,
            });
        }
        self.renewals += 1;
        tracing::debug!(file = %self.name, %code, "download URL rejected, listing again");

        let listing = self.client.list_files().await?;
        let Some(fresh) = listing.find(&self.filename) else {
            return Err(Error::NotInListing {
                filename: self.filename.clone(),
            });
        };
        if fresh.file_size != self.size {
            self.discard().await?;
            return Err(Error::ListingChanged {
                filename: self.filename.clone(),
                old_size: self.size,
                new_size: fresh.file_size,
            });
        }

        self.url = checked_url(fresh)?;
        Ok(())
    }

    /// Sends one request from `offset` and appends its body.
    async fn attempt<P: FnMut(u64, u64)>(
        &mut self,
        offset: u64,
        progress: &mut P,
    ) -> Result<(), Error> {
        let response = self.request(offset).await?;
        let Some(start) = self.check_response(&response, offset)? else {
            return Err(self.error_status(response).await);
        };
        let mut writer = self.open_part(start).await?;
        self.copy_body(response, &mut writer, start, progress).await
    }

    async fn request(&self, offset: u64) -> Result<Response, Error> {
        tracing::debug!(file = %self.name, url = %redact_url(self.url.as_str()), offset, "requesting file");

        // Only Range goes to the presigned URL: the signature authorises the
        // request, and the API's headers must not leak to the download host.
        let mut request = self.client.inner.http.get(self.url.clone());
        if offset > 0 {
            request = request.header(RANGE, format!("bytes={offset}-"));
        }

        request.send().await.map_err(|error| Error::Network {
            url: redact_url(self.url.as_str()),
            source: error.without_url(),
        })
    }

    /// Returns where the body starts in the file: `offset` for a valid `206`,
    /// 0 for a `200`, or `None` for an error status.
    fn check_response(&self, response: &Response, offset: u64) -> Result<Option<u64>, Error> {
        match response.status() {
            StatusCode::OK => {
                if let Some(length) = response.content_length() {
                    self.check_total(length, "sends")?;
                }
                if offset > 0 {
                    tracing::debug!(file = %self.name, offset, "server ignored Range, restarting from byte 0");
                }
                Ok(Some(0))
            }
            StatusCode::PARTIAL_CONTENT => {
                self.check_content_range(response, offset)?;
                Ok(Some(offset))
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                let header = content_range(response);
                if let Some((_, total)) = parse_content_range(&header) {
                    self.check_total(total, "reports")?;
                }
                Err(self.bad_range(offset, header))
            }
            _ => Ok(None),
        }
    }

    fn check_content_range(&self, response: &Response, offset: u64) -> Result<(), Error> {
        let header = content_range(response);
        let Some((first, total)) = parse_content_range(&header) else {
            return Err(self.bad_range(offset, header));
        };

        self.check_total(total, "reports")?;
        if first != Some(offset) {
            return Err(self.bad_range(offset, header));
        }
        Ok(())
    }

    fn check_total(&self, total: u64, verb: &str) -> Result<(), Error> {
        if total == self.size {
            return Ok(());
        }
        Err(Error::SizeMismatch {
            filename: self.filename.clone(),
            expected: self.size,
            found: format!("{verb} {total} bytes"),
        })
    }

    fn bad_range(&self, offset: u64, header: String) -> Error {
        Error::BadContentRange {
            filename: self.filename.clone(),
            expected: offset,
            content_range: header,
        }
    }

    /// Converts an error status. A 403 becomes [`Error::UrlRejected`], which
    /// triggers a URL renewal.
    async fn error_status(&self, response: Response) -> Error {
        let status = response.status().as_u16();
        let retry_after = retry::retry_after(response.headers());
        let body = response.bytes().await.unwrap_or_default();
        let (code, message) = s3_error_fields(&body);

        if status == 403 {
            return Error::UrlRejected {
                filename: self.filename.clone(),
                code,
                message,
                refreshes: 0,
            };
        }
        let detail = if code.is_empty() {
            String::new()
        } else {
            format!(": {code}: {message}")
        };
        Error::Status {
            url: redact_url(self.url.as_str()),
            status,
            detail,
            retry_after,
        }
    }

    /// Opens the `.part` file, truncated to `start` bytes, for appending.
    async fn open_part(&self, start: u64) -> Result<BufWriter<File>, Error> {
        let io = |action| {
            let part = self.part.clone();
            move |source| Error::io(action, &part, source)
        };
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&self.part)
            .await
            .map_err(io("open"))?;

        file.set_len(start).await.map_err(io("truncate"))?;
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(io("seek in"))?;
        Ok(BufWriter::with_capacity(WRITE_BUFFER, file))
    }

    /// Appends the response body, stopping with an error if it breaks off or
    /// would exceed the listed size.
    async fn copy_body<P: FnMut(u64, u64)>(
        &mut self,
        response: Response,
        writer: &mut BufWriter<File>,
        start: u64,
        progress: &mut P,
    ) -> Result<(), Error> {
        let mut position = start;
        let mut body = response.bytes_stream();

        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    self.flush(writer).await?;
                    return Err(Error::Body {
                        filename: self.filename.clone(),
                        offset: position,
                        source: error.without_url(),
                    });
                }
            };

            let end = position + chunk.len() as u64;
            if end > self.size {
                return Err(Error::SizeMismatch {
                    filename: self.filename.clone(),
                    expected: self.size,
                    found: format!("sends more than {} bytes", self.size),
                });
            }
            writer
                .write_all(&chunk)
                .await
                .map_err(|source| Error::io("write", &self.part, source))?;

            position = end;
            self.high_water = self.high_water.max(position);
            progress(position, self.size);
            self.unflushed += chunk.len() as u64;
            if self.unflushed >= FLUSH_EVERY {
                self.start_flush(writer).await?;
            }
        }

        self.flush(writer).await?;
        if position < self.size {
            return Err(Error::Truncated {
                filename: self.filename.clone(),
                received: position,
                expected: self.size,
            });
        }
        Ok(())
    }

    /// Starts writing the file's data to disk on a blocking thread while
    /// the download goes on, unless the previous flush is still running.
    async fn start_flush(&mut self, writer: &mut BufWriter<File>) -> Result<(), Error> {
        if self
            .flushing
            .as_ref()
            .is_some_and(|task| !task.is_finished())
        {
            return Ok(());
        }
        // A write error found by this flush is reported only to this file
        // description, so it must be checked here rather than left to the
        // final fsync.
        self.wait_for_flush().await?;
        self.flush(writer).await?;
        let file = writer
            .get_ref()
            .try_clone()
            .await
            .map_err(|source| Error::io("open", &self.part, source))?
            .into_std()
            .await;
        self.flushing = Some(tokio::task::spawn_blocking(move || file.sync_data()));
        self.unflushed = 0;
        Ok(())
    }

    /// Waits for the background flush, if any, and returns its error.
    async fn wait_for_flush(&mut self) -> Result<(), Error> {
        let Some(task) = self.flushing.take() else {
            return Ok(());
        };
        let result = task
            .await
            .unwrap_or_else(|join| Err(std::io::Error::other(join.to_string())));
        result.map_err(|source| Error::io("fsync", &self.part, source))
    }

    async fn flush(&self, writer: &mut BufWriter<File>) -> Result<(), Error> {
        writer
            .flush()
            .await
            .map_err(|source| Error::io("write", &self.part, source))
    }

    async fn bytes_on_disk(&self) -> Result<u64, Error> {
        match tokio::fs::metadata(&self.part).await {
            Ok(metadata) => Ok(metadata.len()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(source) => Err(Error::io("read metadata of", &self.part, source)),
        }
    }

    /// Removes the `.part` file so the next attempt starts from byte 0.
    async fn discard(&mut self) -> Result<(), Error> {
        tracing::debug!(file = %self.name, "discarding partial file");
        match tokio::fs::remove_file(&self.part).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::io("remove", &self.part, source)),
        }
    }
}

/// Returns whether `path` is a file of exactly `size` bytes.
async fn has_size(path: &Path, size: u64) -> Result<bool, Error> {
    match tokio::fs::metadata(path).await {
        Ok(metadata) => Ok(metadata.is_file() && metadata.len() == size),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::io("read metadata of", path, source)),
    }
}

/// Parses a download URL and checks that sending it keeps it byte for byte,
/// because any change to its query breaks the signature.
fn checked_url(file: &RemoteFile) -> Result<Url, Error> {
    let raw = file.download_url.expose();
    let unsupported = |reason: String| Error::UnsupportedDownloadUrl {
        filename: file.filename.clone(),
        url: redact_url(raw),
        reason,
    };

    let url =
        Url::parse(raw).map_err(|error| unsupported(format!("it is not a valid URL ({error})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(unsupported("it is not an http or https URL".to_owned()));
    }
    if url.as_str() != raw {
        return Err(unsupported(
            "parsing changes its text, such as its escaping; report this listing".to_owned(),
        ));
    }
    Ok(url)
}

/// fsyncs the complete `.part` file, renames it to `target` and fsyncs the
/// directory so the rename survives a crash.
async fn finish(part: &Path, target: &Path, size: u64) -> Result<(), Error> {
    let file = File::open(part)
        .await
        .map_err(|source| Error::io("open", part, source))?;
    file.sync_all()
        .await
        .map_err(|source| Error::io("fsync", part, source))?;

    let written = file
        .metadata()
        .await
        .map_err(|source| Error::io("read metadata of", part, source))?
        .len();
    if written != size {
        return Err(Error::io(
            "verify the size of",
            part,
            std::io::Error::other(format!("it has {written} bytes, expected {size}")),
        ));
    }
    drop(file);

    tokio::fs::rename(part, target)
        .await
        .map_err(|source| Error::io("rename", part, source))?;
    sync_dir(target.parent()).await;
    Ok(())
}

/// fsyncs a directory. Some file systems reject this, so failures are only
/// logged.
async fn sync_dir(dir: Option<&Path>) {
    let dir = match dir {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let synced = match File::open(dir).await {
        Ok(handle) => handle.sync_all().await,
        Err(error) => Err(error),
    };
    if let Err(error) = synced {
        tracing::debug!(dir = %dir.display(), %error, "failed to fsync directory");
    }
}

fn content_range(response: &Response) -> String {
    response
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("(missing)")
        .to_owned()
}

/// Parses `bytes FIRST-LAST/TOTAL` or `bytes */TOTAL` into the first byte
/// (`None` for `*`) and the total size. An unknown total (`*`) is rejected,
/// because it cannot be checked against the listing.
fn parse_content_range(header: &str) -> Option<(Option<u64>, u64)> {
    let spec = header.strip_prefix("bytes ")?;
    let (range, total) = spec.split_once('/')?;
    let total = total.trim().parse().ok()?;

    if range.trim() == "*" {
        return Some((None, total));
    }
    let (first, last) = range.split_once('-')?;
    let first: u64 = first.trim().parse().ok()?;
    let last: u64 = last.trim().parse().ok()?;
    if last < first || last >= total {
        return None;
    }
    Some((Some(first), total))
}

/// Reads `<Code>` and `<Message>` from an S3 XML error body.
fn s3_error_fields(body: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(body);
    let field = |tag: &str| {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&close)? + start;
        Some(text[start..end].chars().take(200).collect::<String>())
    };
    (
        field("Code").unwrap_or_default(),
        field("Message").unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::DownloadUrl;

    #[test]
    fn parse_content_range_forms() {
        assert_eq!(parse_content_range("bytes 5-9/10"), Some((Some(5), 10)));
        assert_eq!(parse_content_range("bytes */10"), Some((None, 10)));
        assert_eq!(parse_content_range("bytes 5-9/*"), None);
        assert_eq!(parse_content_range("bytes 5-10/10"), None);
        assert_eq!(parse_content_range("bytes 9-5/10"), None);
        assert_eq!(parse_content_range("items 5-9/10"), None);
        assert_eq!(parse_content_range("(missing)"), None);
    }

    #[test]
    fn s3_error_fields_reads_code_and_message() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>\
                     <Message>Request has expired</Message></Error>";
        assert_eq!(
            s3_error_fields(body),
            ("AccessDenied".to_owned(), "Request has expired".to_owned())
        );
        assert_eq!(s3_error_fields(b"nope"), (String::new(), String::new()));
    }

    fn remote(url: &str) -> RemoteFile {
        RemoteFile {
            filename: "a.zip".into(),
            download_url: DownloadUrl::new(url),
            file_size: 1,
            file_created_on: chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap(),
        }
    }

    #[test]
    fn checked_url_keeps_encoded_signature() {
        let raw = "https://bucket.example/v1/year=2024/a.zip?X-Amz-Signature=ab%2Fcd%2B%3D&X-Amz-Expires=300";
        assert_eq!(checked_url(&remote(raw)).unwrap().as_str(), raw);
    }

    #[test]
    fn checked_url_rejects_rewritten_urls() {
        let error = checked_url(&remote("HTTPS://bucket.example/a b?sig=secret")).unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(error, Error::UnsupportedDownloadUrl { .. }),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }
}
