//! Wrappers that keep secrets and signed URLs out of logs, `Debug` and errors.

use std::fmt;

use serde::Deserialize;

/// A secret string: a client secret, an API key or an access token.
///
/// `Debug` and `Display` print `[redacted]`. [`Secret::expose`] returns the
/// value for the code that sends it.
///
/// ```
/// use dvla_client::Secret;
///
/// let key = Secret::new("abc123");
/// assert_eq!(format!("{key:?} {key}"), "[redacted] [redacted]");
/// assert_eq!(key.expose(), "abc123");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Returns the secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// A presigned download URL. Its query string carries a signature that grants
/// access to the file, so `Debug` and `Display` show only
/// `scheme://host/path`, and [`DownloadUrl::expose`] returns the full URL.
///
/// ```
/// use dvla_client::DownloadUrl;
///
/// let url = DownloadUrl::new("https://bucket.example/v1/a.zip?X-Amz-Signature=s3cr3t");
/// assert_eq!(url.to_string(), "https://bucket.example/v1/a.zip?[redacted]");
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DownloadUrl(String);

impl DownloadUrl {
    /// Wraps a presigned URL, kept byte for byte.
    pub fn new(url: impl Into<String>) -> Self {
        DownloadUrl(url.into())
    }

    /// Returns the full URL, signature included.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DownloadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DownloadUrl({})", redact_url(&self.0))
    }
}

impl fmt::Display for DownloadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// Returns `scheme://host[:port]/path` of a URL, dropping user info, query and
/// fragment. A dropped query or fragment shows as `?[redacted]`.
pub(crate) fn redact_url(url: &str) -> String {
    let (base, hidden) = match url.find(['?', '#']) {
        Some(index) => (&url[..index], true),
        None => (url, false),
    };
    let suffix = if hidden { "?[redacted]" } else { "" };

    let Ok(parsed) = reqwest::Url::parse(base) else {
        return "[invalid URL]".to_owned();
    };
    let host = parsed.host_str().unwrap_or("");
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{host}{port}{}{suffix}",
        parsed.scheme(),
        parsed.path()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_drops_query_and_user_info() {
        let url = "https://user:pw@host.example:8443/a/b.zip?X-Amz-Signature=abc%2Fdef#frag";
        assert_eq!(
            redact_url(url),
            "https://host.example:8443/a/b.zip?[redacted]"
        );
    }

    #[test]
    fn redact_url_keeps_plain_urls() {
        assert_eq!(redact_url("http://127.0.0.1:80/x"), "http://127.0.0.1/x");
        assert_eq!(redact_url("https://h.example/x"), "https://h.example/x");
    }

    #[test]
    fn redact_url_hides_unparseable_urls() {
        assert_eq!(redact_url("not a url?sig=1"), "[invalid URL]");
    }
}
