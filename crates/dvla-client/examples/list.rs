//! Lists the bulk and delta files the MOT History API offers.
//!
//! ```text
//! MOT_TENANT_ID=… MOT_CLIENT_ID=… MOT_CLIENT_SECRET=… MOT_API_KEY=… \
//!     cargo run -p dvla-client --example list
//! ```
//!
//! Set `MOT_API_URL` and `MOT_TOKEN_URL` as well to list from a local
//! `mot-standin` instead of the real service.

use std::process::ExitCode;

use dvla_client::{Client, ClientConfig, Error, Secret};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let config = config_from_env()?;
    let client = Client::new(config).map_err(|error| chain(&error))?;
    let listing = client.list_files().await.map_err(|error| chain(&error))?;

    for (kind, files) in [("bulk", &listing.bulk), ("delta", &listing.delta)] {
        for file in files {
            println!(
                "{kind:5} {} {:>14} {}",
                file.file_created_on, file.file_size, file.filename
            );
        }
    }
    Ok(())
}

fn config_from_env() -> Result<ClientConfig, String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));

    let mut config = ClientConfig::new(
        &var("MOT_TENANT_ID")?,
        var("MOT_CLIENT_ID")?,
        Secret::new(var("MOT_CLIENT_SECRET")?),
        Secret::new(var("MOT_API_KEY")?),
    )
    .map_err(|error| chain(&error))?;

    if let Ok(url) = std::env::var("MOT_API_URL") {
        config.api_url = url
            .parse()
            .map_err(|e| format!("MOT_API_URL is invalid: {e}"))?;
    }
    if let Ok(url) = std::env::var("MOT_TOKEN_URL") {
        config.token_url = url
            .parse()
            .map_err(|e| format!("MOT_TOKEN_URL is invalid: {e}"))?;
    }
    Ok(config)
}

/// Joins an error and its causes with `: `.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
