//! Local file names for remote object keys.

use std::path::{Component, Path};

use crate::error::Error;
use crate::listing::RemoteFile;

/// Returns the local file name for a listed file: the last `/`-separated
/// component of its object key, such as `bulk-light-vehicle_01-07-2024.zip`
/// for `v1/public/bulk/year=2024/month=7/day=1/bulk-light-vehicle_01-07-2024.zip`.
///
/// The key is remote data, so it is checked before any part of it touches the
/// file system.
///
/// # Errors
///
/// Returns [`Error::UnsafeFileName`] when the key is empty, is absolute,
/// contains a `.` or `..` component, a backslash, a NUL, a control character
/// or a `:`, or when its last component is empty.
///
/// ```
/// use dvla_client::{DownloadUrl, RemoteFile, local_file_name};
///
/// let file = RemoteFile {
///     filename: "v1/public/delta/year=2024/month=7/day=3/delta-light-vehicle_03-07-2024.zip".into(),
///     download_url: DownloadUrl::new("https://bucket.example/x"),
///     file_size: 1,
///     file_created_on: chrono::NaiveDate::from_ymd_opt(2024, 7, 3).unwrap(),
/// };
/// assert_eq!(local_file_name(&file).unwrap(), "delta-light-vehicle_03-07-2024.zip");
/// ```
pub fn local_file_name(file: &RemoteFile) -> Result<String, Error> {
    let key = file.filename.as_str();
    let reject = |reason| Error::UnsafeFileName {
        filename: key.to_owned(),
        reason,
    };

    if key.is_empty() {
        return Err(reject("it is empty"));
    }
    if key.starts_with('/') {
        return Err(reject("it is an absolute path"));
    }
    if key.contains('\\') {
        return Err(reject("it contains a backslash"));
    }
    if key.contains('\0') {
        return Err(reject("it contains a NUL byte"));
    }
    if key.chars().any(char::is_control) {
        return Err(reject("it contains a control character"));
    }
    if key.split('/').any(|part| part == "." || part == "..") {
        return Err(reject("it contains a `.` or `..` component"));
    }

    let name = key.rsplit('/').next().unwrap_or("");
    if name.is_empty() {
        return Err(reject("its last component is empty"));
    }
    if name.contains(':') {
        return Err(reject("its last component contains `:`"));
    }
    if !is_single_normal_component(name) {
        return Err(reject("its last component is not a plain file name"));
    }
    Ok(name.to_owned())
}

/// Checks with the platform's own path rules that `name` is one plain
/// component, as a final guard against separators and prefixes.
fn is_single_normal_component(name: &str) -> bool {
    let mut components = Path::new(name).components();
    let first = components.next();
    let rest = components.next();
    matches!(first, Some(Component::Normal(part)) if part == name) && rest.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::DownloadUrl;

    fn name_of(key: &str) -> Result<String, Error> {
        local_file_name(&RemoteFile {
            filename: key.to_owned(),
            download_url: DownloadUrl::new("http://127.0.0.1/x"),
            file_size: 0,
            file_created_on: chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap(),
        })
    }

    #[test]
    fn keeps_last_component() {
        let key = "v1/public/bulk/year=2024/month=7/day=1/bulk-light-vehicle_01-07-2024.zip";
        assert_eq!(name_of(key).unwrap(), "bulk-light-vehicle_01-07-2024.zip");
        assert_eq!(name_of("plain.zip").unwrap(), "plain.zip");
    }

    #[test]
    fn rejects_unsafe_keys() {
        let cases = [
            "",
            "/etc/x.zip",
            "../../x.zip",
            "a/./b.zip",
            "a/..",
            "..",
            ".",
            "a\\..\\b.zip",
            "x\0.zip",
            "x\n.zip",
            "x\u{7f}.zip",
            "dir/",
            "C:x.zip",
        ];
        for key in cases {
            let error = name_of(key).expect_err(key);
            let Error::UnsafeFileName { filename, .. } = &error else {
                panic!("{key:?}: unexpected error {error}");
            };
            assert_eq!(filename, key);
        }
    }

    #[test]
    fn error_names_the_value() {
        let text = name_of("../../x.zip").unwrap_err().to_string();
        assert!(text.contains("\"../../x.zip\""), "{text}");
    }
}
