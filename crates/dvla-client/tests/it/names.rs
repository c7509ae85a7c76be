//! Unsafe object keys in the listing never reach the file system.

use dvla_client::{Error, RemoteFile};

use crate::common::{Fixture, bulk};

#[tokio::test]
async fn unsafe_names_rejected_before_writing() {
    let fixture = Fixture::start().await;
    let client = fixture.client();
    let valid = bulk(&client).await;
    let keys = [
        "../../x.zip",
        "/etc/x.zip",
        "a\\..\\b.zip",
        "x\0.zip",
        "",
        "v1/public/bulk/",
        "v1/../x.zip",
        "x\r\n.zip",
    ];

    for key in keys {
        let file = RemoteFile {
            filename: key.to_owned(),
            ..valid.clone()
        };

        let error = client
            .download(&file, fixture.out.path(), |_, _| {})
            .await
            .expect_err(key);

        let Error::UnsafeFileName { filename, .. } = &error else {
            panic!("{key:?}: unexpected error {error}");
        };
        assert_eq!(filename, key);
        assert!(error.to_string().contains(&format!("{key:?}")), "{error}");
    }

    assert!(
        fixture.downloaded_names().is_empty(),
        "{:?}",
        fixture.downloaded_names()
    );
    assert!(fixture.file_requests().is_empty());
}
